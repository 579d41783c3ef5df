"""The ManagedServicePlan aggregate: procedure 104-07050030, *Managed Service Plan - Implementing*.

Pure functions only: :func:`decide` checks a command against the rules and returns the events
to record (or raises :class:`~recoverycore.errors.RuleViolation`); :func:`evolve` folds one
recorded event into the state and never refuses one, so any stored history replays.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, Literal, TypeAlias, TypeVar, cast, get_args
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from recoverycore.aggregates._decider import Command, Decision, Evolvers, replay, time_zone
from recoverycore.errors import AggregateNotFound
from recoverycore.events._envelope import (
    MAX_INT,
    DomainEvent,
    LocalDatetime,
    NonEmptyStr,
    Role,
)
from recoverycore.events.msp import (
    PROCEDURE,
    Behaviour,
    CallOutcome,
    CallTopic,
    ContactChannel,
    ContactPoint,
    CustomerAggressionLetterSent,
    CustomerContactDetails,
    DeliveryMethod,
    IncidentRef,
    LetterPolicyVersion,
    MspApproved,
    MspContactAttempted,
    MspContactCardIssued,
    MspCustomerInformed,
    MspDirectContactWaived,
    MspEnded,
    MspEvent,
    MspExpired,
    MspExtended,
    MspIncidentLinked,
    MspLetterAttached,
    MspLetterDelivered,
    MspLetterHandedByPolice,
    MspLetterReturnedToSender,
    MspLetterSent,
    MspNoteAdded,
    MspOneOffVariationGranted,
    MspRecorded,
    MspRejected,
    MspRepresentativeContacted,
    MspReviewed,
    MspReviewInvitationSent,
    MspSmsBlocked,
    MspSmsSent,
    MspType,
    MspVaried,
    MspVulnerabilityFlagCleared,
    MspVulnerabilityFlagRecorded,
    MspWithdrawn,
    MultiRecordCheck,
    PersonContacted,
    Program,
    Restriction,
    RestrictionKind,
    ReviewOutcome,
    SafetyFlag,
    SmsReason,
)

__all__ = [
    "CALL_CHECKLIST",
    "AddMspNote",
    "ApproveMsp",
    "AttachFinalLetter",
    "ClearVulnerabilityFlag",
    "CompleteReview",
    "ExpireMsp",
    "GrantOneOffVariation",
    "InviteCustomerToReview",
    "IssueContactCard",
    "LinkIncident",
    "MspCommand",
    "MspConfig",
    "MspState",
    "MspStatus",
    "RecordCustomerInformed",
    "RecordDecisionNotToContactDirectly",
    "RecordLetterDeliveryOutcome",
    "RecordMsp",
    "RecordNotificationCallAttempt",
    "RecordPoliceHandDelivery",
    "RecordRepresentativeContact",
    "RecordVulnerabilityFlag",
    "RejectMsp",
    "SendBehaviourWarning",
    "SendMspLetter",
    "SendMspSms",
    "SendRestrictionReminder",
    "WithdrawMsp",
    "decide",
    "evolve",
    "fold",
    "required_delivery_method",
]

MspStatus = Literal["DRAFT", "ACTIVE", "UNDER_REVIEW", "REJECTED", "WITHDRAWN", "ENDED", "EXPIRED"]
TERMINAL: frozenset[str] = frozenset({"REJECTED", "WITHDRAWN", "ENDED", "EXPIRED"})
IN_FORCE: frozenset[str] = frozenset({"ACTIVE", "UNDER_REVIEW"})
CALL_CHECKLIST: frozenset[CallTopic] = frozenset(get_args(CallTopic))
"""Step 1's checklist: what a successful notification call covers."""
SMS_REASONS: frozenset[str] = frozenset(get_args(SmsReason))
_HAND_DELIVERY = frozenset({"STAFF_HAND_DELIVERY", "SECURITY_GUARD_HAND_DELIVERY"})
_V1_REGISTERED = frozenset(
    {"WRITE_ONLY", "FULL_FACE_TO_FACE", "PARTIAL_FACE_TO_FACE", "PROTECTION_ORDER_EXISTS"}
)
_FACE_TO_FACE = frozenset({"FULL_FACE_TO_FACE", "PARTIAL_FACE_TO_FACE"})
# Which letter invitations contradict which restriction (MSP-R14, [OMB-2010]).
_CONTRADICTIONS: dict[str, frozenset[str]] = {
    "WRITE_ONLY": frozenset({"PHONE", "FACE_TO_FACE"}),
    "FULL_FACE_TO_FACE": frozenset({"FACE_TO_FACE"}),
    "PHONE_ONLY": frozenset({"FACE_TO_FACE"}),
}
_WORD = re.compile(r"[a-z']+")


class MspConfig(BaseModel):
    """The configurable defaults of the MSP rules (the domain reference's ``[A]`` assumptions).

    Every field is documented with the rule it changes; the defaults are the reference's.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_zone: str = "Australia/Sydney"
    """The local time zone in which dates (informed on, end date reached, ...) are reckoned and
    action times are recorded."""
    letter_policy: LetterPolicyVersion = "V2"
    """MSP-A7: which published letter-delivery policy applies. ``V1`` (older): registered
    person-to-person post for write-only, face-to-face or protection-order plans, Priority when
    the incident involved assault or stalking; ``V2`` (newer): Priority for every letter."""
    decision_maker_roles: frozenset[Role] = frozenset({Role.MSP_APPROVER})
    """MSP-R2, MSP-A3: the roles that are approved decision makers."""
    reviewer_roles: frozenset[Role] = frozenset({Role.MSP_REVIEWER, Role.MSP_APPROVER})
    """MSP-A3: the roles that may invite to and complete an MSP review."""
    flag_clearing_roles: frozenset[Role] = frozenset({Role.MSP_APPROVER, Role.SOCIAL_WORKER})
    """MSP-A3: who may clear a suicide/self-harm or FDV flag."""
    require_four_eyes: bool = True
    """MSP-A2: the approver must not be the recorder."""
    max_plan_duration_days: int = Field(default=730, ge=1)
    """MSP-R14: the longest a plan (or an extension) may run, so no restriction is indefinite."""
    min_decision_reason_chars: int = Field(default=20, ge=1)
    """MSP-R15: the shortest reason that can justify a decision."""
    min_behaviour_description_words: int = Field(default=5, ge=1)
    """MSP-R11: a behaviour's factual description has at least this many words beyond
    vague labels."""
    vague_behaviour_terms: frozenset[str] = frozenset(
        {
            "inappropriate",
            "aggressive",
            "abusive",
            "rude",
            "hostile",
            "threatening",
            "unacceptable",
            "difficult",
            "behaviour",
            "behavior",
            "was",
            "is",
            "very",
            "the",
            "customer",
            "and",
        }
    )
    """MSP-R11: words that do not describe what happened."""


DEFAULT_CONFIG = MspConfig()


# -- commands -------------------------------------------------------------------------------------
class MspCommand(Command):
    plan_id: UUID


class RecordMsp(MspCommand):
    """M1: record a reactive (after an incident) or proactive (vulnerabilities) MSP."""

    crn: NonEmptyStr
    program: Program
    msp_type: MspType
    triggering_incidents: tuple[IncidentRef, ...] = ()
    vulnerabilities: tuple[str, ...] = ()
    behaviours: tuple[Behaviour, ...] = ()
    restrictions: tuple[Restriction, ...] = ()
    start_date: date
    end_date: date
    duration_reasons: str = ""
    alternatives_considered: str = ""
    omc_psso: ContactPoint
    customer_contact: CustomerContactDetails


class ApproveMsp(MspCommand):
    """M2: an approved decision maker approves the plan (reasons required)."""


class RejectMsp(MspCommand):
    """M2: an approved decision maker rejects the plan (reasons required)."""


class WithdrawMsp(MspCommand):
    """Withdraw a draft or approved plan (reasons required)."""


class RecordNotificationCallAttempt(MspCommand):
    """M3: a phone call to the customer, with its note (and an incident if aggression)."""

    number_called: NonEmptyStr
    outcome: CallOutcome
    topics_covered: tuple[CallTopic, ...] = ()
    note_text: str = ""
    new_incident: IncidentRef | None = None
    safety_concern: SafetyFlag | None = None


class RecordRepresentativeContact(MspCommand):
    """M6: a call to the customer's Power of Attorney, nominee or person permitted to enquire."""

    representative_role: Literal["POA", "NOMINEE", "PPE"]
    representative_name: NonEmptyStr
    number_called: NonEmptyStr
    outcome: CallOutcome
    topics_covered: tuple[CallTopic, ...] = ()
    note_text: str = ""
    new_incident: IncidentRef | None = None


class RecordCustomerInformed(MspCommand):
    """M4: set the 'Date customer informed of MSP'."""

    channel: Literal["PHONE", "LETTER", "SMS"]
    informed_person: PersonContacted = "CUSTOMER"


class RecordDecisionNotToContactDirectly(MspCommand):
    """M5: document why the customer is not phoned directly (the reasons become an MSP note)."""

    alternative: Literal["REPRESENTATIVE", "WRITTEN_ONLY"]


class LinkIncident(MspCommand):
    """M7: link a CIMS/CIRT incident to the plan."""

    incident: IncidentRef
    occurred_during: Literal["NOTIFICATION", "OTHER"] = "OTHER"


class RecordVulnerabilityFlag(MspCommand):
    """Record that the customer talked about suicide or self-harm, or that FDV with an
    immediate threat to safety was witnessed (X-R3, X-R4)."""

    flag: SafetyFlag
    source: NonEmptyStr


class ClearVulnerabilityFlag(MspCommand):
    """A social worker or decision maker clears a safety flag (reasons required)."""

    flag: SafetyFlag


class SendMspSms(MspCommand):
    """M8: an MSP SMS through desktop messaging (Centrelink customers only)."""

    reason_code: str | None = None
    mobile_number: NonEmptyStr
    multi_record_check: MultiRecordCheck | None = None
    smem_checked_at: AwareDatetime | None = None
    message_template_id: NonEmptyStr


class IssueContactCard(MspCommand):
    """M9: issue the OMC/PSSO contact card."""

    omc_psso: ContactPoint
    issued_via: Literal["WITH_LETTER", "IN_PERSON", "POST"] = "WITH_LETTER"


class AttachFinalLetter(MspCommand):
    """M10: attach the MSP letter (only the final approved version)."""

    letter_id: NonEmptyStr
    letter_version: int = Field(ge=1, le=MAX_INT)
    approval_status: Literal["DRAFT", "FOR_APPROVAL", "FINAL_APPROVED"]


class _Letter(MspCommand):
    letter_id: NonEmptyStr
    delivery_method: DeliveryMethod
    tracking_id: str = ""
    includes_review_rights: bool = True
    contact_invitations: tuple[ContactChannel, ...] = ()


class SendMspLetter(_Letter):
    """M11: send the attached final letter with the contact card."""

    address: NonEmptyStr
    includes_contact_card: bool = True


class RecordPoliceHandDelivery(MspCommand):
    """M12: local police handed the letter over (serious cases, where arrangements exist)."""

    letter_id: NonEmptyStr
    police_station: NonEmptyStr
    police_officer: NonEmptyStr
    handed_at: AwareDatetime
    serious_case: bool
    local_arrangement_exists: bool


class RecordLetterDeliveryOutcome(MspCommand):
    """M13: the tracked delivery outcome of the letter."""

    letter_id: NonEmptyStr
    tracking_id: NonEmptyStr
    outcome: Literal["DELIVERED", "RETURNED_TO_SENDER"]
    outcome_at: AwareDatetime
    rts_reason: str = ""


class GrantOneOffVariation(MspCommand):
    """M14: a one-off appointment under a face-to-face restriction."""

    appointment_at: AwareDatetime
    site: NonEmptyStr
    purpose: NonEmptyStr


class InviteCustomerToReview(_Letter):
    """M15: send the invitation to participate in the MSP review."""

    includes_review_rights: bool = True


class CompleteReview(MspCommand):
    """M16: complete the review: continue, vary, extend or end early (reasons required)."""

    outcome: ReviewOutcome
    new_restrictions: tuple[Restriction, ...] = ()
    new_end_date: date | None = None
    alternatives_considered: str = ""


class SendBehaviourWarning(_Letter):
    """M17: a behaviour warning letter."""


class SendRestrictionReminder(_Letter):
    """M17: a restriction reminder letter."""


class ExpireMsp(MspCommand):
    """M18: the plan's end date has been reached (usually sent by the timer policy)."""


class AddMspNote(MspCommand):
    """Add a free MSP note."""

    text: NonEmptyStr


# -- state ----------------------------------------------------------------------------------------
class MspState(BaseModel):
    """The plan as its history makes it; notification progress is per notification round."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: UUID
    version: int
    crn: str
    program: Program
    msp_type: MspType
    status: MspStatus
    recorder_id: str
    approver_id: str | None = None
    start_date: date
    end_date: date
    restrictions: tuple[Restriction, ...]
    incident_involved_assault_or_stalking: bool
    omc_psso: ContactPoint
    linked_incident_ids: tuple[str, ...] = ()
    safety_flags: tuple[SafetyFlag, ...] = ()
    notification_round: int = 1
    contact_attempts: int = 0
    successful_contacts: tuple[PersonContacted, ...] = ()
    direct_contact_waived: bool = False
    customer_informed_on: date | None = None
    attached_letter_id: str | None = None
    attached_letter_version: int | None = None
    letter_sent_id: str | None = None
    letter_tracking_id: str | None = None
    letter_outcome: Literal["DELIVERED", "RETURNED_TO_SENDER"] | None = None
    contact_card_issued: bool = False
    police_handovers: int = 0
    sms_sent: int = 0
    sms_blocked: int = 0
    notes: int = 0
    one_off_variations: tuple[LocalDatetime, ...] = ()
    closed_on: date | None = None

    @property
    def restriction_kinds(self) -> frozenset[RestrictionKind]:
        return frozenset(r.kind for r in self.restrictions)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def notification_complete(self) -> bool:
        """MSP-R8: the letter was sent and the customer was informed (never by SMS alone)."""
        return self.letter_sent_id is not None and self.customer_informed_on is not None


# -- decide ---------------------------------------------------------------------------------------
C = TypeVar("C", bound=MspCommand)
_Handler: TypeAlias = Callable[[Any, Any, Decision, MspConfig], None]
_HANDLERS: dict[type[MspCommand], tuple[str, _Handler]] = {}


def _handles(command_type: type[C], step: str) -> Callable[[_Handler], _Handler]:
    def register(handler: _Handler) -> _Handler:
        _HANDLERS[command_type] = (f"{PROCEDURE} {step}", handler)
        return handler

    return register


def decide(
    state: MspState | None,
    command: MspCommand,
    *,
    now: AwareDatetime,
    config: MspConfig = DEFAULT_CONFIG,
) -> list[MspEvent]:
    """The events ``command`` records on the plan, or :class:`RuleViolation` if refused."""
    step, handler = _HANDLERS[type(command)]
    decision = Decision(
        command,
        command.plan_id,
        state.version if state else 0,
        now,
        step,
        time_zone(config.time_zone),
    )
    decision.require(
        decision.occurred_at <= now,
        "MSP-A10",
        "The action is dated later than the time it is being recorded.",
        "Record the action after it has happened, with the time it happened.",
    )
    if isinstance(command, RecordMsp):
        decision.require(
            state is None,
            "MSP-A10",
            f"An MSP with id {command.plan_id} has already been recorded.",
            "Use a new plan id, or act on the existing plan.",
        )
    else:
        if state is None:
            raise AggregateNotFound(command.plan_id)
        decision.require(
            not state.is_terminal,
            "MSP-A1",
            f"The MSP is {state.status.lower()} and accepts no further changes.",
            "Record a new MSP if the customer's servicing needs managing again.",
        )
    handler(state, command, decision, config)
    return cast(list[MspEvent], decision.events)


def _status_in(d: Decision, state: MspState, allowed: Iterable[str], doing: str) -> None:
    allowed = frozenset(allowed)
    d.require(
        state.status in allowed,
        "MSP-A1",
        f"Cannot {doing} while the MSP is {state.status.lower()}.",
        f"This is possible only when the MSP is {' or '.join(sorted(allowed)).lower()}.",
    )


def _not_in_future(d: Decision, when: datetime, what: str) -> None:
    d.require(
        when <= d.now,
        "MSP-A10",
        f"The {what} is dated later than the time it is being recorded.",
        "Record it once it has happened, with the time it happened.",
    )


def _decision_maker(d: Decision, config: MspConfig, doing: str, rule_id: str = "MSP-A3") -> None:
    d.require(
        d.command.actor.role in config.decision_maker_roles,
        rule_id,
        f"Only an approved decision maker may {doing}; "
        f"{d.command.actor.staff_id} acts as {d.command.actor.role.value}.",
        "Ask an approved MSP decision maker to do this.",
    )


def _justified(d: Decision, config: MspConfig, doing: str) -> None:
    text = " ".join(r.strip() for r in d.command.reasons)
    d.require(
        len(text) >= config.min_decision_reason_chars,
        "MSP-R15",
        f"The reasons given to {doing} are missing or too brief to justify the decision.",
        f"Give the reasons in at least {config.min_decision_reason_chars} characters: what "
        "was considered and why this decision was made.",
    )


def _note_given(d: Decision, note_text: str) -> None:
    d.require(
        bool(note_text.strip()),
        "MSP-R12",
        "Every attempted or successful contact needs an MSP note, and none was given.",
        "Write a note saying who was called, on which number, and what happened.",
    )


def _successful_call_checklist(d: Decision, outcome: str, topics: Iterable[str]) -> None:
    if outcome != "ENGAGED_SUCCESSFUL":
        return
    missing = sorted(CALL_CHECKLIST - frozenset(topics))
    d.require(
        not missing,
        "MSP-A5",
        "A successful notification call must cover the whole Step 1 checklist; missing: "
        + ", ".join(m.lower().replace("_", " ") for m in missing)
        + ".",
        "Cover the missing points, or record the call as unproductive.",
    )


def _aggression_incident(d: Decision, outcome: str, incident: IncidentRef | None) -> None:
    if outcome == "AGGRESSION":
        d.require(
            incident is not None,
            "MSP-R13",
            "The customer displayed aggression during the call but no new incident is linked.",
            "Record a new incident in CIMS/CIRT (see Customer aggression - Response) and give "
            "its id with the call.",
        )


def _required_method(state: MspState, config: MspConfig) -> DeliveryMethod:
    return required_delivery_method(
        config.letter_policy, state.restriction_kinds, state.incident_involved_assault_or_stalking
    )


def required_delivery_method(
    policy: LetterPolicyVersion,
    restriction_kinds: Iterable[str],
    incident_involved_assault_or_stalking: bool,
) -> DeliveryMethod:
    """MSP-A7: the delivery method the published letter policy requires for a plan."""
    if policy == "V2":
        return "PRIORITY"
    if incident_involved_assault_or_stalking:
        return "PRIORITY"
    if _V1_REGISTERED & frozenset(restriction_kinds):
        return "PRIORITY_REGISTERED_PERSON_TO_PERSON"
    return "PRIORITY"


def _letter_rules(d: Decision, state: MspState, command: _Letter, config: MspConfig) -> None:
    d.require(
        command.delivery_method not in _HAND_DELIVERY,
        "MSP-R10",
        "Staff and security guards must not leave the premises to hand-deliver the letter.",
        "Post the letter; in serious cases local police may hand it over where arrangements "
        "exist (record that separately).",
    )
    required = _required_method(state, config)
    d.require(
        command.delivery_method == required,
        "MSP-A7",
        f"Letter policy {config.letter_policy} requires {required.replace('_', ' ').lower()} "
        f"for this MSP, not {command.delivery_method.replace('_', ' ').lower()}.",
        f"Send it by {required.replace('_', ' ').lower()}.",
    )
    d.require(
        bool(command.tracking_id.strip()),
        "MSP-A7",
        "The letter has no tracking id, so its delivery cannot be confirmed.",
        "Record the Australia Post tracking id.",
    )
    d.require(
        command.includes_review_rights,
        "MSP-R14",
        "The letter does not tell the customer how to seek a review of the decision.",
        "Use the approved letter that states the customer's review rights.",
    )
    contradicted = sorted(
        {
            channel
            for kind in state.restriction_kinds
            for channel in command.contact_invitations
            if channel in _CONTRADICTIONS.get(kind, frozenset())
        }
    )
    d.require(
        not contradicted,
        "MSP-R14",
        "The letter invites the customer to make contact by "
        + ", ".join(c.replace("_", " ").lower() for c in contradicted)
        + ", which their servicing restriction does not allow.",
        "Use correspondence that only offers the channels the MSP allows.",
    )


@_handles(RecordMsp, "S1")
def _record(state: None, c: RecordMsp, d: Decision, config: MspConfig) -> None:
    d.require(
        bool(c.behaviours),
        "MSP-R11",
        "No behaviours taken into consideration are recorded.",
        "Describe each behaviour: what the customer said or did, when and where.",
    )
    for behaviour in c.behaviours:
        words = _WORD.findall(behaviour.description.lower())
        factual = [w for w in words if w not in config.vague_behaviour_terms]
        d.require(
            len(factual) >= config.min_behaviour_description_words
            and behaviour.description.strip().lower() != behaviour.label.strip().lower(),
            "MSP-R11",
            f"The behaviour '{behaviour.label}' is summarised rather than explained.",
            "Do not summarise behaviours as 'inappropriate' or 'aggressive': say what the "
            "customer actually said or did, when and where.",
        )
    if c.msp_type == "REACTIVE":
        d.require(
            bool(c.triggering_incidents),
            "MSP-R15",
            "A reactive MSP results from a specific incident, but none is given.",
            "Give the CIMS/CIRT incident that led to the MSP, or record a proactive MSP.",
        )
    else:
        d.require(
            any(v.strip() for v in c.vulnerabilities),
            "MSP-R15",
            "A proactive MSP supports the customer by addressing vulnerabilities, but none is "
            "given.",
            "Name the vulnerabilities the MSP addresses.",
        )
    kinds = {r.kind for r in c.restrictions}
    if kinds & {"WRITE_ONLY", "FULL_FACE_TO_FACE"}:
        d.require(
            bool(c.alternatives_considered.strip()),
            "MSP-R15",
            "A write-only or full face-to-face restriction is proposed without recording the "
            "less restrictive arrangements considered.",
            "Record which alternative servicing arrangements were considered and why they are "
            "not enough.",
        )
    d.require(
        c.end_date > c.start_date,
        "MSP-R14",
        "The MSP has no end date after its start date; restrictions must be time-limited.",
        "Give an end date after the start date.",
    )
    d.require(
        (c.end_date - c.start_date).days <= config.max_plan_duration_days,
        "MSP-R14",
        f"The MSP would run {(c.end_date - c.start_date).days} days, longer than the maximum "
        f"of {config.max_plan_duration_days}.",
        "Set a shorter duration; it can be extended at review.",
    )
    d.require(
        len(c.duration_reasons.strip()) >= config.min_decision_reason_chars,
        "MSP-R14",
        "The reasons for the MSP's duration are missing or too brief.",
        "Explain why the MSP runs for this long.",
    )
    d.emit(
        MspRecorded,
        crn=c.crn,
        program=c.program,
        msp_type=c.msp_type,
        triggering_incidents=c.triggering_incidents,
        vulnerabilities=c.vulnerabilities,
        behaviours=c.behaviours,
        restrictions=c.restrictions,
        start_date=c.start_date,
        end_date=c.end_date,
        duration_reasons=c.duration_reasons,
        alternatives_considered=c.alternatives_considered,
        omc_psso=c.omc_psso,
        customer_contact=c.customer_contact,
    )


def _approval_checks(d: Decision, s: MspState, config: MspConfig, doing: str) -> None:
    _status_in(d, s, {"DRAFT"}, doing)
    _decision_maker(d, config, doing)
    if config.require_four_eyes:
        d.require(
            d.command.actor.staff_id != s.recorder_id,
            "MSP-A2",
            f"{d.command.actor.staff_id} recorded this MSP and so cannot also decide it.",
            "Ask another approved decision maker to make the decision.",
        )
    _justified(d, config, doing)


@_handles(ApproveMsp, "S1")
def _approve(s: MspState, c: ApproveMsp, d: Decision, config: MspConfig) -> None:
    _approval_checks(d, s, config, "approve the MSP")
    d.emit(MspApproved)


@_handles(RejectMsp, "S1")
def _reject(s: MspState, c: RejectMsp, d: Decision, config: MspConfig) -> None:
    _approval_checks(d, s, config, "reject the MSP")
    d.emit(MspRejected)


@_handles(WithdrawMsp, "S1")
def _withdraw(s: MspState, c: WithdrawMsp, d: Decision, config: MspConfig) -> None:
    _status_in(d, s, {"DRAFT", *IN_FORCE}, "withdraw the MSP")
    _decision_maker(d, config, "withdraw the MSP")
    _justified(d, config, "withdraw the MSP")
    d.emit(MspWithdrawn)


def _call_events(d: Decision, note_text: str, incident: IncidentRef | None) -> None:
    d.emit(MspNoteAdded, note_type="CONTACT", text=note_text)
    if incident is not None:
        d.emit(MspIncidentLinked, incident=incident, occurred_during="NOTIFICATION")


@_handles(RecordNotificationCallAttempt, "S1")
def _call(s: MspState, c: RecordNotificationCallAttempt, d: Decision, config: MspConfig) -> None:
    _status_in(d, s, {"ACTIVE"}, "notify the customer")
    _note_given(d, c.note_text)
    _successful_call_checklist(d, c.outcome, c.topics_covered)
    _aggression_incident(d, c.outcome, c.new_incident)
    d.emit(
        MspContactAttempted,
        attempt_no=s.contact_attempts + 1,
        number_called=c.number_called,
        person_contacted="CUSTOMER",
        outcome=c.outcome,
        topics_covered=c.topics_covered,
        note_text=c.note_text,
    )
    _call_events(d, c.note_text, c.new_incident)
    if c.safety_concern is not None and c.safety_concern not in s.safety_flags:
        d.emit(
            MspVulnerabilityFlagRecorded,
            flag=c.safety_concern,
            source="notification call",
            procedure_ref="003-06010040" if c.safety_concern == "SUICIDE_SELF_HARM" else None,
        )


@_handles(RecordRepresentativeContact, "S1")
def _representative(
    s: MspState, c: RecordRepresentativeContact, d: Decision, config: MspConfig
) -> None:
    _status_in(d, s, {"ACTIVE"}, "contact a representative")
    d.require(
        s.direct_contact_waived,
        "MSP-R12",
        "No decision not to contact the customer directly has been documented.",
        "Phone the customer, or first record the decision not to contact them directly with "
        "its reason.",
    )
    _note_given(d, c.note_text)
    _successful_call_checklist(d, c.outcome, c.topics_covered)
    _aggression_incident(d, c.outcome, c.new_incident)
    d.emit(
        MspRepresentativeContacted,
        representative_role=c.representative_role,
        representative_name=c.representative_name,
        number_called=c.number_called,
        outcome=c.outcome,
        topics_covered=c.topics_covered,
        note_text=c.note_text,
    )
    _call_events(d, c.note_text, c.new_incident)


@_handles(RecordDecisionNotToContactDirectly, "S1")
def _waive(
    s: MspState, c: RecordDecisionNotToContactDirectly, d: Decision, config: MspConfig
) -> None:
    _status_in(d, s, {"ACTIVE"}, "decide not to contact the customer directly")
    d.require(
        len(" ".join(c.reasons).strip()) >= config.min_decision_reason_chars,
        "MSP-R12",
        "A decision not to contact the customer directly needs its reason documented.",
        "Give the reason; it is recorded as an MSP note.",
    )
    d.emit(MspDirectContactWaived, alternative=c.alternative)
    d.emit(MspNoteAdded, note_type="DECISION", text=" ".join(c.reasons))


@_handles(RecordCustomerInformed, "S1")
def _informed(s: MspState, c: RecordCustomerInformed, d: Decision, config: MspConfig) -> None:
    _status_in(d, s, IN_FORCE, "record that the customer was informed")
    d.require(
        c.channel != "SMS",
        "MSP-R8",
        "An SMS does not carry the notification and decision information, so it cannot "
        "inform the customer of the MSP.",
        "Inform the customer by phone or by the MSP letter.",
    )
    if c.channel == "PHONE":
        d.require(
            c.informed_person in s.successful_contacts,
            "MSP-A4",
            f"No successful call with the {c.informed_person.lower()} has been recorded.",
            "Record the successful call first.",
        )
    else:
        d.require(
            s.letter_outcome == "DELIVERED",
            "MSP-A4",
            "The MSP letter's delivery has not been confirmed.",
            "Record the letter's delivery outcome first.",
        )
    d.emit(
        MspCustomerInformed,
        informed_on=d.local_date(),
        channel=c.channel,
        informed_person=c.informed_person,
    )


@_handles(LinkIncident, "S1")
def _link(s: MspState, c: LinkIncident, d: Decision, config: MspConfig) -> None:
    d.emit(MspIncidentLinked, incident=c.incident, occurred_during=c.occurred_during)


@_handles(RecordVulnerabilityFlag, "S2")
def _flag(s: MspState, c: RecordVulnerabilityFlag, d: Decision, config: MspConfig) -> None:
    d.emit(MspVulnerabilityFlagRecorded, flag=c.flag, source=c.source)


@_handles(ClearVulnerabilityFlag, "S2")
def _clear_flag(s: MspState, c: ClearVulnerabilityFlag, d: Decision, config: MspConfig) -> None:
    d.require(
        c.flag in s.safety_flags,
        "MSP-A1",
        f"No {c.flag.replace('_', ' ').lower()} flag is in force on this MSP.",
        "Nothing to clear.",
    )
    d.require(
        c.actor.role in config.flag_clearing_roles,
        "MSP-A3",
        "Only a social worker or an approved decision maker may clear a safety flag.",
        "Ask a social worker or decision maker to review and clear it.",
    )
    _justified(d, config, "clear the safety flag")
    d.emit(MspVulnerabilityFlagCleared, flag=c.flag)


@_handles(SendMspSms, "S2")
def _sms(s: MspState, c: SendMspSms, d: Decision, config: MspConfig) -> None:
    _status_in(d, s, IN_FORCE, "send an MSP SMS")
    d.require(
        s.program == "CENTRELINK",
        "MSP-R1",
        f"MSP SMS is for Centrelink customers only; this is a {s.program.lower()} MSP.",
        "Notify the customer by phone and by the MSP letter.",
    )
    _decision_maker(d, config, "send an MSP SMS", rule_id="MSP-R2")
    d.require(
        c.reason_code in SMS_REASONS,
        "MSP-R3",
        f"'{c.reason_code}' is not one of the five circumstances in which an MSP SMS may be sent.",
        "Choose one: " + ", ".join(sorted(SMS_REASONS)) + "; otherwise do not send an SMS.",
    )
    d.require(
        c.smem_checked_at is not None and c.smem_checked_at <= d.occurred_at,
        "MSP-R5",
        "The SMS/Email Search (SMEM) screen was not checked before this customer aggression "
        "message.",
        "Check the SMEM screen, then send the SMS with the time it was checked.",
    )
    d.require(
        c.multi_record_check is not None and c.multi_record_check.performed_at <= d.occurred_at,
        "MSP-R4",
        "No check that the mobile number is not recorded on multiple records was made.",
        "Check the mobile number against other records before sending.",
    )
    assert c.multi_record_check is not None
    assert c.smem_checked_at is not None
    reason = cast(SmsReason, c.reason_code)
    blocked: tuple[str, str] | None = None
    if "SUICIDE_SELF_HARM" in s.safety_flags:
        blocked = (
            "MSP-R6",
            "The customer has talked about suicide or self-harm: no MSP SMS. Follow the "
            "suicide or self-harm procedure (social worker warm transfer; 000 if in danger).",
        )
    elif "FDV_IMMEDIATE_THREAT" in s.safety_flags:
        blocked = (
            "MSP-R7",
            "Family and domestic violence with an immediate threat to safety was witnessed: no "
            "MSP SMS. Follow local response guidelines.",
        )
    elif c.multi_record_check.result == "MULTIPLE":
        blocked = (
            "MSP-R4",
            "The mobile number is recorded on multiple records: the SMS must not be sent; the "
            "phone and letter notification provisions apply.",
        )
    d.applied("MSP-R6", "MSP-R7", "MSP-R4")
    if blocked is not None:
        rule_id, detail = blocked
        d.emit(MspSmsBlocked, reason_code=reason, rule_id=rule_id, detail=detail)
        return
    d.emit(
        MspSmsSent,
        reason_code=reason,
        mobile_number_hash=hashlib.sha256(re.sub(r"\D", "", c.mobile_number).encode()).hexdigest(),
        multi_record_check=c.multi_record_check,
        smem_checked_at=c.smem_checked_at,
        message_template_id=c.message_template_id,
    )


def _card_matches(d: Decision, s: MspState, card: ContactPoint) -> None:
    d.require(
        card.staff_id == s.omc_psso.staff_id and card.phone == s.omc_psso.phone,
        "MSP-A6",
        "The contact card does not carry this MSP's OMC/PSSO contact details.",
        f"Issue the card of {s.omc_psso.name} ({s.omc_psso.role}, {s.omc_psso.phone}).",
    )


@_handles(IssueContactCard, "S1")
def _card(s: MspState, c: IssueContactCard, d: Decision, config: MspConfig) -> None:
    _status_in(d, s, IN_FORCE, "issue the contact card")
    _card_matches(d, s, c.omc_psso)
    d.emit(MspContactCardIssued, omc_psso=c.omc_psso, issued_via=c.issued_via)


@_handles(AttachFinalLetter, "S3")
def _attach(s: MspState, c: AttachFinalLetter, d: Decision, config: MspConfig) -> None:
    _status_in(d, s, IN_FORCE, "attach the MSP letter")
    d.require(
        c.approval_status == "FINAL_APPROVED",
        "MSP-R9",
        f"Letter {c.letter_id} version {c.letter_version} is "
        f"{c.approval_status.replace('_', ' ').lower()}; only the final approved letter may "
        "be attached.",
        "Attach the final approved version of the MSP letter.",
    )
    d.emit(MspLetterAttached, letter_id=c.letter_id, letter_version=c.letter_version)


@_handles(SendMspLetter, "S3")
def _send_letter(s: MspState, c: SendMspLetter, d: Decision, config: MspConfig) -> None:
    _status_in(d, s, IN_FORCE, "send the MSP letter")
    d.require(
        s.attached_letter_id is not None and s.attached_letter_id == c.letter_id,
        "MSP-R9",
        f"Letter {c.letter_id} is not the final approved letter attached to the MSP.",
        "Attach the final approved letter first, and send that letter.",
    )
    d.require(
        c.includes_contact_card,
        "MSP-A6",
        "The MSP letter is sent without the OMC/PSSO contact card.",
        "Include the OMC/PSSO contact card with the letter.",
    )
    _letter_rules(d, s, c, config)
    d.emit(
        MspLetterSent,
        letter_id=c.letter_id,
        address=c.address,
        delivery_method=c.delivery_method,
        tracking_id=c.tracking_id,
        includes_contact_card=c.includes_contact_card,
        includes_review_rights=c.includes_review_rights,
        contact_invitations=c.contact_invitations,
        policy_version=config.letter_policy,
    )
    if not s.contact_card_issued:
        d.emit(MspContactCardIssued, omc_psso=s.omc_psso, issued_via="WITH_LETTER")


@_handles(RecordPoliceHandDelivery, "S3")
def _police(s: MspState, c: RecordPoliceHandDelivery, d: Decision, config: MspConfig) -> None:
    _status_in(d, s, IN_FORCE, "record a police hand-over")
    _not_in_future(d, c.handed_at, "police hand-over")
    d.require(
        c.serious_case and c.local_arrangement_exists,
        "MSP-R10",
        "Police hand the letter over only in serious cases where local arrangements exist.",
        "Send the letter by post.",
    )
    d.require(
        s.attached_letter_id == c.letter_id,
        "MSP-R9",
        f"Letter {c.letter_id} is not the final approved letter attached to the MSP.",
        "Only the attached final approved letter may be handed over.",
    )
    d.emit(
        MspLetterHandedByPolice,
        letter_id=c.letter_id,
        police_station=c.police_station,
        police_officer=c.police_officer,
        handed_at=c.handed_at,
    )
    d.emit(
        MspNoteAdded,
        note_type="POLICE_DELIVERY",
        text=f"Letter {c.letter_id} handed to the customer by {c.police_officer} "
        f"({c.police_station}); postal delivery still applies.",
    )


@_handles(RecordLetterDeliveryOutcome, "S3")
def _delivery(s: MspState, c: RecordLetterDeliveryOutcome, d: Decision, config: MspConfig) -> None:
    _status_in(d, s, IN_FORCE, "record the letter's delivery")
    _not_in_future(d, c.outcome_at, "delivery outcome")
    d.require(
        s.letter_sent_id == c.letter_id and s.letter_tracking_id == c.tracking_id,
        "MSP-A7",
        f"No MSP letter {c.letter_id} with tracking id {c.tracking_id} has been sent.",
        "Record the outcome against the letter and tracking id that were sent.",
    )
    if c.outcome == "DELIVERED":
        d.emit(
            MspLetterDelivered,
            letter_id=c.letter_id,
            tracking_id=c.tracking_id,
            outcome_at=c.outcome_at,
        )
        return
    d.require(
        bool(c.rts_reason.strip()),
        "MSP-A7",
        "A returned-to-sender outcome needs the reason it was returned.",
        "Give the reason shown by Australia Post.",
    )
    d.emit(
        MspLetterReturnedToSender,
        letter_id=c.letter_id,
        tracking_id=c.tracking_id,
        outcome_at=c.outcome_at,
        rts_reason=c.rts_reason,
    )


@_handles(GrantOneOffVariation, "S1")
def _variation(s: MspState, c: GrantOneOffVariation, d: Decision, config: MspConfig) -> None:
    _status_in(d, s, IN_FORCE, "grant a one-off variation")
    _decision_maker(d, config, "grant a one-off variation")
    d.require(
        bool(s.restriction_kinds & _FACE_TO_FACE),
        "MSP-A8",
        "A one-off variation is only for a customer under a face-to-face restriction.",
        "No variation is needed: the customer may attend.",
    )
    d.require(
        s.start_date <= d.local_date(c.appointment_at) <= s.end_date
        and c.appointment_at > d.occurred_at,
        "MSP-A8",
        "The appointment is not a future date inside the MSP's period.",
        f"Book an appointment between now and {s.end_date.isoformat()}.",
    )
    d.emit(
        MspOneOffVariationGranted,
        appointment_at=c.appointment_at,
        site=c.site,
        purpose=c.purpose,
    )


def _reviewer(d: Decision, config: MspConfig) -> None:
    d.require(
        d.command.actor.role in config.reviewer_roles,
        "MSP-A3",
        "Only an MSP reviewer or decision maker may conduct an MSP review.",
        "Ask an MSP reviewer to do this.",
    )


@_handles(InviteCustomerToReview, "S3")
def _invite(s: MspState, c: InviteCustomerToReview, d: Decision, config: MspConfig) -> None:
    _status_in(d, s, {"ACTIVE"}, "invite the customer to a review")
    _reviewer(d, config)
    _letter_rules(d, s, c, config)
    d.emit(
        MspReviewInvitationSent,
        letter_id=c.letter_id,
        delivery_method=c.delivery_method,
        tracking_id=c.tracking_id,
        policy_version=config.letter_policy,
    )


@_handles(CompleteReview, "S1")
def _complete_review(s: MspState, c: CompleteReview, d: Decision, config: MspConfig) -> None:
    _status_in(d, s, {"UNDER_REVIEW"}, "complete a review")
    if c.outcome in ("VARY", "EXTEND"):
        _decision_maker(d, config, f"{c.outcome.lower()} the MSP")
    else:
        _reviewer(d, config)
    _justified(d, config, "complete the review")
    if c.outcome == "EXTEND":
        d.require(
            c.new_end_date is not None and c.new_end_date > s.end_date,
            "MSP-A9",
            "An extension needs a new end date after the current one.",
            f"Give a new end date after {s.end_date.isoformat()}.",
        )
        assert c.new_end_date is not None
        d.require(
            (c.new_end_date - d.local_date()).days <= config.max_plan_duration_days,
            "MSP-R14",
            "The extension would keep the restrictions longer than the maximum duration.",
            "Extend for a shorter time; it can be reviewed again.",
        )
    if c.outcome == "VARY":
        d.require(
            bool(c.new_restrictions),
            "MSP-A9",
            "A variation needs the new restrictions.",
            "Give the restrictions that apply from now on.",
        )
        kinds = {r.kind for r in c.new_restrictions}
        if kinds & {"WRITE_ONLY", "FULL_FACE_TO_FACE"}:
            d.require(
                bool(c.alternatives_considered.strip()),
                "MSP-R15",
                "A write-only or full face-to-face restriction needs the less restrictive "
                "alternatives considered.",
                "Record the alternatives considered.",
            )
    d.emit(MspReviewed, outcome=c.outcome)
    if c.outcome == "VARY":
        d.emit(MspVaried, new_restrictions=c.new_restrictions)
    elif c.outcome == "EXTEND":
        assert c.new_end_date is not None
        d.emit(MspExtended, new_end_date=c.new_end_date)
    elif c.outcome == "END_EARLY":
        d.emit(MspEnded, ended_on=d.local_date())


def _aggression_letter(
    kind: Literal["BEHAVIOUR_WARNING", "RESTRICTION_REMINDER"],
) -> _Handler:
    def handler(s: MspState, c: _Letter, d: Decision, config: MspConfig) -> None:
        _status_in(d, s, IN_FORCE, f"send a {kind.replace('_', ' ').lower()}")
        _letter_rules(d, s, c, config)
        d.emit(
            CustomerAggressionLetterSent,
            kind=kind,
            letter_id=c.letter_id,
            delivery_method=c.delivery_method,
            tracking_id=c.tracking_id,
            includes_review_rights=c.includes_review_rights,
            contact_invitations=c.contact_invitations,
            policy_version=config.letter_policy,
        )

    return handler


_handles(SendBehaviourWarning, "S3")(_aggression_letter("BEHAVIOUR_WARNING"))
_handles(SendRestrictionReminder, "S3")(_aggression_letter("RESTRICTION_REMINDER"))


@_handles(ExpireMsp, "S1")
def _expire(s: MspState, c: ExpireMsp, d: Decision, config: MspConfig) -> None:
    _status_in(d, s, IN_FORCE, "expire the MSP")
    d.require(
        d.local_date() >= s.end_date,
        "MSP-A9",
        f"The MSP runs until {s.end_date.isoformat()} and has not reached its end date.",
        "Wait for the end date, or complete a review that ends it early.",
    )
    d.emit(MspExpired, expired_on=d.local_date())


@_handles(AddMspNote, "S1")
def _note(s: MspState, c: AddMspNote, d: Decision, config: MspConfig) -> None:
    d.emit(MspNoteAdded, note_type="OTHER", text=c.text)


# -- evolve ---------------------------------------------------------------------------------------
_Evolver: TypeAlias = Callable[[MspState, Any], dict[str, Any]]
_EVOLVERS = Evolvers[MspState]()
_on = _EVOLVERS.on


def evolve(state: MspState | None, event: DomainEvent) -> MspState:
    """Fold one recorded event into the plan. Total: never validates, never raises for an
    event of this aggregate (an event type it does not know changes only the version)."""
    if isinstance(event, MspRecorded):
        return MspState(
            id=event.originator_id,
            version=event.originator_version,
            crn=event.crn,
            program=event.program,
            msp_type=event.msp_type,
            status="DRAFT",
            recorder_id=event.actor.staff_id,
            start_date=event.start_date,
            end_date=event.end_date,
            restrictions=event.restrictions,
            incident_involved_assault_or_stalking=any(
                i.involved_assault_or_stalking for i in event.triggering_incidents
            ),
            omc_psso=event.omc_psso,
            linked_incident_ids=tuple(i.incident_id for i in event.triggering_incidents),
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} cannot start an MSP history")
    return _EVOLVERS.apply(state, event)


def fold(events: Iterable[DomainEvent], state: MspState | None = None) -> MspState | None:
    """Replay ``events`` (a snapshot may come first) into the plan's state."""
    return replay(evolve, events, state)


@_on(MspApproved)
def _e_approved(s: MspState, e: MspApproved) -> dict[str, Any]:
    return {"status": "ACTIVE", "approver_id": e.actor.staff_id}


@_on(MspRejected)
def _e_rejected(s: MspState, e: MspRejected) -> dict[str, Any]:
    return {"status": "REJECTED", "closed_on": e.occurred_at.date()}


@_on(MspWithdrawn)
def _e_withdrawn(s: MspState, e: MspWithdrawn) -> dict[str, Any]:
    return {"status": "WITHDRAWN", "closed_on": e.occurred_at.date()}


def _contact(s: MspState, person: PersonContacted, outcome: str) -> dict[str, Any]:
    changes: dict[str, Any] = {"contact_attempts": s.contact_attempts + 1}
    if outcome == "ENGAGED_SUCCESSFUL" and person not in s.successful_contacts:
        changes["successful_contacts"] = (*s.successful_contacts, person)
    return changes


@_on(MspContactAttempted)
def _e_call(s: MspState, e: MspContactAttempted) -> dict[str, Any]:
    return _contact(s, e.person_contacted, e.outcome)


@_on(MspRepresentativeContacted)
def _e_rep(s: MspState, e: MspRepresentativeContacted) -> dict[str, Any]:
    return _contact(s, e.representative_role, e.outcome)


@_on(MspNoteAdded)
def _e_note(s: MspState, e: MspNoteAdded) -> dict[str, Any]:
    return {"notes": s.notes + 1}


@_on(MspCustomerInformed)
def _e_informed(s: MspState, e: MspCustomerInformed) -> dict[str, Any]:
    return {"customer_informed_on": e.informed_on}


@_on(MspDirectContactWaived)
def _e_waived(s: MspState, e: MspDirectContactWaived) -> dict[str, Any]:
    return {"direct_contact_waived": True}


@_on(MspIncidentLinked)
def _e_incident(s: MspState, e: MspIncidentLinked) -> dict[str, Any]:
    return {"linked_incident_ids": (*s.linked_incident_ids, e.incident.incident_id)}


@_on(MspVulnerabilityFlagRecorded)
def _e_flag(s: MspState, e: MspVulnerabilityFlagRecorded) -> dict[str, Any]:
    return {"safety_flags": tuple(sorted({*s.safety_flags, e.flag}))}


@_on(MspVulnerabilityFlagCleared)
def _e_flag_cleared(s: MspState, e: MspVulnerabilityFlagCleared) -> dict[str, Any]:
    return {"safety_flags": tuple(f for f in s.safety_flags if f != e.flag)}


@_on(MspSmsSent)
def _e_sms(s: MspState, e: MspSmsSent) -> dict[str, Any]:
    return {"sms_sent": s.sms_sent + 1}


@_on(MspSmsBlocked)
def _e_sms_blocked(s: MspState, e: MspSmsBlocked) -> dict[str, Any]:
    return {"sms_blocked": s.sms_blocked + 1}


@_on(MspContactCardIssued)
def _e_card(s: MspState, e: MspContactCardIssued) -> dict[str, Any]:
    return {"contact_card_issued": True}


@_on(MspLetterAttached)
def _e_attached(s: MspState, e: MspLetterAttached) -> dict[str, Any]:
    return {"attached_letter_id": e.letter_id, "attached_letter_version": e.letter_version}


@_on(MspLetterSent)
def _e_sent(s: MspState, e: MspLetterSent) -> dict[str, Any]:
    return {
        "letter_sent_id": e.letter_id,
        "letter_tracking_id": e.tracking_id,
        "letter_outcome": None,
    }


@_on(MspLetterHandedByPolice)
def _e_police(s: MspState, e: MspLetterHandedByPolice) -> dict[str, Any]:
    return {"police_handovers": s.police_handovers + 1}


@_on(MspLetterDelivered)
def _e_delivered(s: MspState, e: MspLetterDelivered) -> dict[str, Any]:
    return {"letter_outcome": "DELIVERED"}


@_on(MspLetterReturnedToSender)
def _e_rts(s: MspState, e: MspLetterReturnedToSender) -> dict[str, Any]:
    return {"letter_outcome": "RETURNED_TO_SENDER"}


@_on(MspOneOffVariationGranted)
def _e_variation(s: MspState, e: MspOneOffVariationGranted) -> dict[str, Any]:
    return {"one_off_variations": (*s.one_off_variations, e.appointment_at)}


@_on(MspReviewInvitationSent)
def _e_invited(s: MspState, e: MspReviewInvitationSent) -> dict[str, Any]:
    return {"status": "UNDER_REVIEW"}


@_on(MspReviewed)
def _e_reviewed(s: MspState, e: MspReviewed) -> dict[str, Any]:
    return {"status": "ACTIVE"}


def _new_round(s: MspState) -> dict[str, Any]:
    # A varied or extended plan is notified afresh (M16 [A]): the progress flags restart.
    return {
        "notification_round": s.notification_round + 1,
        "successful_contacts": (),
        "direct_contact_waived": False,
        "customer_informed_on": None,
        "attached_letter_id": None,
        "attached_letter_version": None,
        "letter_sent_id": None,
        "letter_tracking_id": None,
        "letter_outcome": None,
        "contact_card_issued": False,
    }


@_on(MspVaried)
def _e_varied(s: MspState, e: MspVaried) -> dict[str, Any]:
    return {**_new_round(s), "restrictions": e.new_restrictions}


@_on(MspExtended)
def _e_extended(s: MspState, e: MspExtended) -> dict[str, Any]:
    return {**_new_round(s), "end_date": e.new_end_date}


@_on(MspEnded)
def _e_ended(s: MspState, e: MspEnded) -> dict[str, Any]:
    return {"status": "ENDED", "closed_on": e.ended_on}


@_on(MspExpired)
def _e_expired(s: MspState, e: MspExpired) -> dict[str, Any]:
    return {"status": "EXPIRED", "closed_on": e.expired_on}
