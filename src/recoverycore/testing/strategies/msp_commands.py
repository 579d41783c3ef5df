"""A strategy per MSP command type, :data:`COMMAND_STRATEGIES` and :func:`commands`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import (
    Any,
    Protocol,
    TypeVar,
    cast,
    get_args,
)
from uuid import UUID

from hypothesis import strategies as st

from recoverycore.aggregates import msp
from recoverycore.aggregates.msp import (
    AddMspNote,
    ApproveMsp,
    AttachFinalLetter,
    ClearVulnerabilityFlag,
    CompleteReview,
    ExpireMsp,
    GrantOneOffVariation,
    InviteCustomerToReview,
    IssueContactCard,
    LinkIncident,
    MspCommand,
    RecordCustomerInformed,
    RecordDecisionNotToContactDirectly,
    RecordLetterDeliveryOutcome,
    RecordMsp,
    RecordNotificationCallAttempt,
    RecordPoliceHandDelivery,
    RecordRepresentativeContact,
    RecordVulnerabilityFlag,
    RejectMsp,
    SendBehaviourWarning,
    SendMspLetter,
    SendMspSms,
    SendRestrictionReminder,
    WithdrawMsp,
)
from recoverycore.events import Actor, Role
from recoverycore.events.msp import (
    CallOutcome,
    CallTopic,
    ContactChannel,
    DeliveryMethod,
    Program,
    ReviewOutcome,
    SafetyFlag,
    SmsReason,
)
from recoverycore.testing import EPOCH
from recoverycore.testing.strategies.values import (
    _ADDRESSES,
    _ALTERNATIVES,
    _AUTHORITY,
    _CRNS,
    _DURATION_REASONS,
    _EVIDENCE,
    _NOTES,
    _NUMBERS,
    _PLACEHOLDER_PLAN,
    _POLICE_OFFICERS,
    _PURPOSES,
    _REPRESENTATIVES,
    _RTS_REASONS,
    _SITES,
    _STATIONS,
    _TEMPLATES,
    _VULNERABILITIES,
    BRIEF_REASONS,
    LETTER_IDS,
    TRACKING_IDS,
    _actor,
    _after_ref,
    _appointments,
    _at,
    _days_from_ref,
    _moments,
    _mostly,
    _multi_record_checks,
    _tuples,
    actors,
    behaviours,
    contact_points,
    customer_contacts,
    incident_refs,
    reasons,
    restrictions,
)

C = TypeVar("C", bound=MspCommand)
SearchStrategy = st.SearchStrategy


# -- commands -----------------------------------------------------------------------------------
class CommandStrategy(Protocol):
    """The signature of every command strategy in :data:`COMMAND_STRATEGIES`."""

    def __call__(self, plan_id: UUID, *, now: datetime = ...) -> SearchStrategy[MspCommand]: ...


@cache
def _envelope() -> dict[str, SearchStrategy[Any]]:
    # Mostly "now" (occurred_at None), sometimes recorded after the event, rarely dated in the
    # future (which MSP-A10 refuses).
    occurred_at = _mostly(
        st.none(),
        _mostly(st.integers(-600, -1), st.integers(1, 60), odds=2).map(_after_ref),
        odds=3,
    )
    return {
        "plan_id": st.just(_PLACEHOLDER_PLAN),
        "reasons": reasons(),
        "evidence_refs": _tuples(st.sampled_from(_EVIDENCE), max_size=2),
        "authority": st.none() | st.just(_AUTHORITY),
        "occurred_at": occurred_at,
        "correlation_id": st.none() | st.uuids(),
        "causation_id": st.none() | st.uuids(),
    }


def _command(
    cls: type[C], actor: SearchStrategy[Actor], **fields: SearchStrategy[Any]
) -> SearchStrategy[C]:
    """Commands of ``cls`` for _REF; ``fields`` may also replace envelope fields."""
    return st.builds(cls, **{**_envelope(), "actor": actor, **fields})


def _with_duration(command: RecordMsp, days: int) -> RecordMsp:
    return command.model_copy(update={"end_date": command.start_date + timedelta(days=days)})


def record_msp_commands(
    plan_id: UUID, *, now: datetime = EPOCH, legal: bool = False, max_days: int = 365
) -> SearchStrategy[RecordMsp]:
    """M1 ``RecordMsp``, starting within a week of ``now``.

    With ``legal=True`` only commands the default rules accept: factual behaviours, incidents and
    vulnerabilities given, alternatives and duration reasons recorded, and a duration of at most
    ``max_days`` days."""
    return _at(_record_msp(legal, max_days), plan_id, now)


@cache
def _record_msp(legal: bool, max_days: int) -> SearchStrategy[RecordMsp]:
    start = st.integers(-7, 7).map(_days_from_ref)
    if legal:
        command = _command(
            RecordMsp,
            actors(Role.MSP_RECORDER),
            reasons=reasons(justified=True),
            occurred_at=st.none(),
            crn=st.sampled_from(_CRNS),
            program=_mostly(st.just("CENTRELINK"), st.sampled_from(get_args(Program)), odds=1),
            msp_type=st.sampled_from(("REACTIVE", "PROACTIVE")),
            triggering_incidents=st.lists(incident_refs(), min_size=1, max_size=2).map(tuple),
            vulnerabilities=st.lists(st.sampled_from(_VULNERABILITIES), min_size=1, max_size=2).map(
                tuple
            ),
            behaviours=st.lists(behaviours(factual=True), min_size=1, max_size=2).map(tuple),
            restrictions=_tuples(restrictions()),
            start_date=start,
            end_date=start,
            duration_reasons=st.sampled_from(_DURATION_REASONS),
            alternatives_considered=st.sampled_from(_ALTERNATIVES),
            omc_psso=contact_points(),
            customer_contact=customer_contacts(),
        )
        return st.builds(_with_duration, command, st.integers(1, max(1, max_days)))
    command = _command(
        RecordMsp,
        _actor(Role.MSP_RECORDER),
        crn=st.sampled_from(_CRNS),
        program=st.sampled_from(get_args(Program)),
        msp_type=st.sampled_from(("REACTIVE", "PROACTIVE")),
        triggering_incidents=_tuples(incident_refs(), max_size=2),
        vulnerabilities=_tuples(st.sampled_from((*_VULNERABILITIES, "", " ")), max_size=2),
        behaviours=_tuples(behaviours(), max_size=2),
        restrictions=_tuples(restrictions()),
        start_date=start,
        end_date=start,
        duration_reasons=_mostly(
            st.sampled_from(_DURATION_REASONS), st.sampled_from(BRIEF_REASONS)
        ),
        alternatives_considered=_mostly(st.sampled_from(_ALTERNATIVES), st.just("")),
        omc_psso=contact_points(),
        customer_contact=customer_contacts(),
    )
    duration = _mostly(st.integers(1, max_days), st.integers(-30, 800), odds=3)
    return st.builds(_with_duration, command, duration)


def approve_msp_commands(plan_id: UUID, *, now: datetime = EPOCH) -> SearchStrategy[ApproveMsp]:
    """M2 ``ApproveMsp``."""
    return _at(_approve_msp(), plan_id, now)


@cache
def _approve_msp() -> SearchStrategy[ApproveMsp]:
    return _command(ApproveMsp, _actor(Role.MSP_APPROVER))


def reject_msp_commands(plan_id: UUID, *, now: datetime = EPOCH) -> SearchStrategy[RejectMsp]:
    """M2 ``RejectMsp``."""
    return _at(_reject_msp(), plan_id, now)


@cache
def _reject_msp() -> SearchStrategy[RejectMsp]:
    return _command(RejectMsp, _actor(Role.MSP_APPROVER))


def withdraw_msp_commands(plan_id: UUID, *, now: datetime = EPOCH) -> SearchStrategy[WithdrawMsp]:
    """``WithdrawMsp``."""
    return _at(_withdraw_msp(), plan_id, now)


@cache
def _withdraw_msp() -> SearchStrategy[WithdrawMsp]:
    return _command(WithdrawMsp, _actor(Role.MSP_APPROVER))


@cache
def _topics() -> SearchStrategy[tuple[CallTopic, ...]]:
    everything = st.just(tuple(sorted(msp.CALL_CHECKLIST)))
    some = st.lists(st.sampled_from(get_args(CallTopic)), unique=True).map(tuple)
    return _mostly(everything, some, odds=2)


@cache
def _note_texts() -> SearchStrategy[str]:
    return _mostly(st.sampled_from(_NOTES), st.sampled_from(("", "  ")), odds=5)


_OFFICERS = (Role.OMC, Role.PSSO, Role.SERVICE_OFFICER)


def record_notification_call_attempt_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[RecordNotificationCallAttempt]:
    """M3 ``RecordNotificationCallAttempt``."""
    return _at(_call_attempt(), plan_id, now)


@cache
def _call_attempt() -> SearchStrategy[RecordNotificationCallAttempt]:
    return _command(
        RecordNotificationCallAttempt,
        _actor(*_OFFICERS),
        number_called=st.sampled_from(_NUMBERS),
        outcome=st.sampled_from(get_args(CallOutcome)),
        topics_covered=_topics(),
        note_text=_note_texts(),
        new_incident=_mostly(st.none(), incident_refs(), odds=2),
        safety_concern=_mostly(st.none(), st.sampled_from(get_args(SafetyFlag)), odds=6),
    )


def record_representative_contact_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[RecordRepresentativeContact]:
    """M6 ``RecordRepresentativeContact``."""
    return _at(_representative_contact(), plan_id, now)


@cache
def _representative_contact() -> SearchStrategy[RecordRepresentativeContact]:
    return _command(
        RecordRepresentativeContact,
        _actor(*_OFFICERS),
        representative_role=st.sampled_from(("POA", "NOMINEE", "PPE")),
        representative_name=st.sampled_from(_REPRESENTATIVES),
        number_called=st.sampled_from(_NUMBERS),
        outcome=st.sampled_from(get_args(CallOutcome)),
        topics_covered=_topics(),
        note_text=_note_texts(),
        new_incident=_mostly(st.none(), incident_refs(), odds=2),
    )


def record_customer_informed_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[RecordCustomerInformed]:
    """M4 ``RecordCustomerInformed``."""
    return _at(_customer_informed(), plan_id, now)


@cache
def _customer_informed() -> SearchStrategy[RecordCustomerInformed]:
    return _command(
        RecordCustomerInformed,
        _actor(*_OFFICERS),
        channel=_mostly(st.sampled_from(("PHONE", "LETTER")), st.just("SMS")),
        informed_person=_mostly(st.just("CUSTOMER"), st.sampled_from(("POA", "NOMINEE", "PPE"))),
    )


def record_decision_not_to_contact_directly_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[RecordDecisionNotToContactDirectly]:
    """M5 ``RecordDecisionNotToContactDirectly``."""
    return _at(_not_contact_directly(), plan_id, now)


@cache
def _not_contact_directly() -> SearchStrategy[RecordDecisionNotToContactDirectly]:
    return _command(
        RecordDecisionNotToContactDirectly,
        _actor(*_OFFICERS),
        alternative=st.sampled_from(("REPRESENTATIVE", "WRITTEN_ONLY")),
    )


def link_incident_commands(plan_id: UUID, *, now: datetime = EPOCH) -> SearchStrategy[LinkIncident]:
    """M7 ``LinkIncident``."""
    return _at(_link_incident(), plan_id, now)


@cache
def _link_incident() -> SearchStrategy[LinkIncident]:
    return _command(
        LinkIncident,
        _actor(*_OFFICERS),
        incident=incident_refs(),
        occurred_during=st.sampled_from(("NOTIFICATION", "OTHER")),
    )


def record_vulnerability_flag_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[RecordVulnerabilityFlag]:
    """``RecordVulnerabilityFlag`` (suicide/self-harm, FDV immediate threat)."""
    return _at(_record_flag(), plan_id, now)


@cache
def _record_flag() -> SearchStrategy[RecordVulnerabilityFlag]:
    return _command(
        RecordVulnerabilityFlag,
        _actor(*_OFFICERS, Role.SOCIAL_WORKER),
        flag=st.sampled_from(get_args(SafetyFlag)),
        source=st.sampled_from(("notification call", "social worker referral")),
    )


def clear_vulnerability_flag_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[ClearVulnerabilityFlag]:
    """``ClearVulnerabilityFlag``."""
    return _at(_clear_flag(), plan_id, now)


@cache
def _clear_flag() -> SearchStrategy[ClearVulnerabilityFlag]:
    return _command(
        ClearVulnerabilityFlag,
        _actor(Role.SOCIAL_WORKER, Role.MSP_APPROVER),
        flag=st.sampled_from(get_args(SafetyFlag)),
    )


def send_msp_sms_commands(plan_id: UUID, *, now: datetime = EPOCH) -> SearchStrategy[SendMspSms]:
    """M8 ``SendMspSms``."""
    return _at(_send_sms(), plan_id, now)


@cache
def _send_sms() -> SearchStrategy[SendMspSms]:
    return _command(
        SendMspSms,
        _actor(Role.MSP_APPROVER),
        reason_code=_mostly(
            st.sampled_from(get_args(SmsReason)), st.sampled_from((None, "CUSTOMER_ASKED"))
        ),
        mobile_number=st.sampled_from(_NUMBERS),
        multi_record_check=_mostly(_multi_record_checks(), st.none()),
        smem_checked_at=_mostly(_moments(), st.none()),
        message_template_id=st.sampled_from(_TEMPLATES),
    )


def issue_contact_card_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[IssueContactCard]:
    """M9 ``IssueContactCard``."""
    return _at(_contact_card(), plan_id, now)


@cache
def _contact_card() -> SearchStrategy[IssueContactCard]:
    return _command(
        IssueContactCard,
        _actor(*_OFFICERS),
        omc_psso=contact_points(),
        issued_via=st.sampled_from(("WITH_LETTER", "IN_PERSON", "POST")),
    )


def attach_final_letter_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[AttachFinalLetter]:
    """M10 ``AttachFinalLetter``."""
    return _at(_attach_letter(), plan_id, now)


@cache
def _attach_letter() -> SearchStrategy[AttachFinalLetter]:
    return _command(
        AttachFinalLetter,
        _actor(*_OFFICERS),
        letter_id=st.sampled_from(LETTER_IDS),
        letter_version=st.integers(1, 3),
        approval_status=_mostly(
            st.just("FINAL_APPROVED"), st.sampled_from(("DRAFT", "FOR_APPROVAL"))
        ),
    )


@cache
def _letter_fields() -> Mapping[str, SearchStrategy[Any]]:
    usual_methods = st.sampled_from(("PRIORITY", "PRIORITY_REGISTERED_PERSON_TO_PERSON"))
    return {
        "letter_id": st.sampled_from(LETTER_IDS),
        "delivery_method": _mostly(usual_methods, st.sampled_from(get_args(DeliveryMethod))),
        "tracking_id": _mostly(st.sampled_from(TRACKING_IDS), st.sampled_from(("", "  "))),
        "includes_review_rights": _mostly(st.just(True), st.just(False)),
        "contact_invitations": _mostly(
            st.sampled_from(((), ("WRITING",), ("WRITING", "ONLINE"))),
            st.lists(st.sampled_from(get_args(ContactChannel)), unique=True, max_size=2).map(tuple),
        ),
    }


def send_msp_letter_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[SendMspLetter]:
    """M11 ``SendMspLetter``."""
    return _at(_send_letter(), plan_id, now)


@cache
def _send_letter() -> SearchStrategy[SendMspLetter]:
    return _command(
        SendMspLetter,
        _actor(*_OFFICERS),
        address=st.sampled_from(_ADDRESSES),
        includes_contact_card=_mostly(st.just(True), st.just(False)),
        **_letter_fields(),
    )


def record_police_hand_delivery_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[RecordPoliceHandDelivery]:
    """M12 ``RecordPoliceHandDelivery``."""
    return _at(_police_hand_delivery(), plan_id, now)


@cache
def _police_hand_delivery() -> SearchStrategy[RecordPoliceHandDelivery]:
    return _command(
        RecordPoliceHandDelivery,
        _actor(*_OFFICERS),
        letter_id=st.sampled_from(LETTER_IDS),
        police_station=st.sampled_from(_STATIONS),
        police_officer=st.sampled_from(_POLICE_OFFICERS),
        handed_at=_moments(),
        serious_case=_mostly(st.just(True), st.just(False)),
        local_arrangement_exists=_mostly(st.just(True), st.just(False)),
    )


def record_letter_delivery_outcome_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[RecordLetterDeliveryOutcome]:
    """M13 ``RecordLetterDeliveryOutcome``."""
    return _at(_delivery_outcome(), plan_id, now)


@cache
def _delivery_outcome() -> SearchStrategy[RecordLetterDeliveryOutcome]:
    return _command(
        RecordLetterDeliveryOutcome,
        _actor(*_OFFICERS),
        letter_id=st.sampled_from(LETTER_IDS),
        tracking_id=st.sampled_from(TRACKING_IDS),
        outcome=_mostly(st.just("DELIVERED"), st.just("RETURNED_TO_SENDER"), odds=2),
        outcome_at=_moments(),
        rts_reason=_mostly(st.sampled_from(_RTS_REASONS), st.just("")),
    )


def grant_one_off_variation_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[GrantOneOffVariation]:
    """M14 ``GrantOneOffVariation``, for appointments during business hours."""
    return _at(_one_off_variation(), plan_id, now)


@cache
def _one_off_variation() -> SearchStrategy[GrantOneOffVariation]:
    return _command(
        GrantOneOffVariation,
        _actor(Role.MSP_APPROVER),
        appointment_at=_appointments(),
        site=st.sampled_from(_SITES),
        purpose=st.sampled_from(_PURPOSES),
    )


def invite_customer_to_review_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[InviteCustomerToReview]:
    """M15 ``InviteCustomerToReview``."""
    return _at(_invite_to_review(), plan_id, now)


@cache
def _invite_to_review() -> SearchStrategy[InviteCustomerToReview]:
    return _command(
        InviteCustomerToReview, _actor(Role.MSP_REVIEWER, Role.MSP_APPROVER), **_letter_fields()
    )


def complete_review_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[CompleteReview]:
    """M16 ``CompleteReview`` (continue, vary, extend or end early)."""
    return _at(_complete_review(), plan_id, now)


@cache
def _complete_review() -> SearchStrategy[CompleteReview]:
    return _command(
        CompleteReview,
        _actor(Role.MSP_REVIEWER, Role.MSP_APPROVER),
        outcome=st.sampled_from(get_args(ReviewOutcome)),
        new_restrictions=_tuples(restrictions()),
        new_end_date=_mostly(
            st.integers(30, 400).map(_days_from_ref),
            st.none() | st.integers(-30, 800).map(_days_from_ref),
        ),
        alternatives_considered=_mostly(st.sampled_from(_ALTERNATIVES), st.just("")),
    )


def send_behaviour_warning_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[SendBehaviourWarning]:
    """M17 ``SendBehaviourWarning``."""
    return _at(_behaviour_warning(), plan_id, now)


@cache
def _behaviour_warning() -> SearchStrategy[SendBehaviourWarning]:
    return _command(SendBehaviourWarning, _actor(*_OFFICERS), **_letter_fields())


def send_restriction_reminder_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[SendRestrictionReminder]:
    """M17 ``SendRestrictionReminder``."""
    return _at(_restriction_reminder(), plan_id, now)


@cache
def _restriction_reminder() -> SearchStrategy[SendRestrictionReminder]:
    return _command(SendRestrictionReminder, _actor(*_OFFICERS), **_letter_fields())


def expire_msp_commands(plan_id: UUID, *, now: datetime = EPOCH) -> SearchStrategy[ExpireMsp]:
    """M18 ``ExpireMsp`` (the timer records it through the library's own policies, as
    ``Role.SYSTEM``; an application, as an approved decision maker)."""
    return _at(_expire_msp(), plan_id, now)


@cache
def _expire_msp() -> SearchStrategy[ExpireMsp]:
    return _command(ExpireMsp, _actor(Role.MSP_APPROVER))


def add_msp_note_commands(plan_id: UUID, *, now: datetime = EPOCH) -> SearchStrategy[AddMspNote]:
    """``AddMspNote``."""
    return _at(_add_note(), plan_id, now)


@cache
def _add_note() -> SearchStrategy[AddMspNote]:
    return _command(AddMspNote, _actor(*_OFFICERS), text=st.sampled_from(_NOTES))


COMMAND_STRATEGIES: Mapping[type[MspCommand], CommandStrategy] = {
    RecordMsp: record_msp_commands,
    ApproveMsp: approve_msp_commands,
    RejectMsp: reject_msp_commands,
    WithdrawMsp: withdraw_msp_commands,
    RecordNotificationCallAttempt: record_notification_call_attempt_commands,
    RecordRepresentativeContact: record_representative_contact_commands,
    RecordCustomerInformed: record_customer_informed_commands,
    RecordDecisionNotToContactDirectly: record_decision_not_to_contact_directly_commands,
    LinkIncident: link_incident_commands,
    RecordVulnerabilityFlag: record_vulnerability_flag_commands,
    ClearVulnerabilityFlag: clear_vulnerability_flag_commands,
    SendMspSms: send_msp_sms_commands,
    IssueContactCard: issue_contact_card_commands,
    AttachFinalLetter: attach_final_letter_commands,
    SendMspLetter: send_msp_letter_commands,
    RecordPoliceHandDelivery: record_police_hand_delivery_commands,
    RecordLetterDeliveryOutcome: record_letter_delivery_outcome_commands,
    GrantOneOffVariation: grant_one_off_variation_commands,
    InviteCustomerToReview: invite_customer_to_review_commands,
    CompleteReview: complete_review_commands,
    SendBehaviourWarning: send_behaviour_warning_commands,
    SendRestrictionReminder: send_restriction_reminder_commands,
    ExpireMsp: expire_msp_commands,
    AddMspNote: add_msp_note_commands,
}
"""The strategy of every MSP command type, by type."""


_BASES: Mapping[type[MspCommand], Callable[[], SearchStrategy[MspCommand]]] = {
    RecordMsp: lambda: _record_msp(False, 365),
    ApproveMsp: _approve_msp,
    RejectMsp: _reject_msp,
    WithdrawMsp: _withdraw_msp,
    RecordNotificationCallAttempt: _call_attempt,
    RecordRepresentativeContact: _representative_contact,
    RecordCustomerInformed: _customer_informed,
    RecordDecisionNotToContactDirectly: _not_contact_directly,
    LinkIncident: _link_incident,
    RecordVulnerabilityFlag: _record_flag,
    ClearVulnerabilityFlag: _clear_flag,
    SendMspSms: _send_sms,
    IssueContactCard: _contact_card,
    AttachFinalLetter: _attach_letter,
    SendMspLetter: _send_letter,
    RecordPoliceHandDelivery: _police_hand_delivery,
    RecordLetterDeliveryOutcome: _delivery_outcome,
    GrantOneOffVariation: _one_off_variation,
    InviteCustomerToReview: _invite_to_review,
    CompleteReview: _complete_review,
    SendBehaviourWarning: _behaviour_warning,
    SendRestrictionReminder: _restriction_reminder,
    ExpireMsp: _expire_msp,
    AddMspNote: _add_note,
}


def command_strategy(
    command_type: type[C], plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[C]:
    """Commands of ``command_type`` on the plan, to be decided at ``now``: the same as the named
    strategy of :data:`COMMAND_STRATEGIES` (``command_strategy(ApproveMsp, plan_id)`` is
    ``approve_msp_commands(plan_id)``) with its default arguments."""
    return cast(SearchStrategy[C], _at(_BASES[command_type](), plan_id, now))


def commands(
    plan_id: UUID,
    *,
    now: datetime = EPOCH,
    command_types: Sequence[type[MspCommand]] | None = None,
) -> SearchStrategy[MspCommand]:
    """Any MSP command on the plan: of every type of :data:`COMMAND_STRATEGIES`, or of
    ``command_types``."""
    return _at(_commands_of(tuple(command_types or _BASES)), plan_id, now)


@cache
def _commands_of(command_types: tuple[type[MspCommand], ...]) -> SearchStrategy[MspCommand]:
    return st.one_of([_BASES[t]() for t in command_types])
