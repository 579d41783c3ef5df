"""Given/when/then tests of the ManagedServicePlan's rules (procedure 104-07050030).

Each test decides one command against a history with the pure ``decide`` (no storage) and
checks the events it would record, or the rule that refuses it. Every refusal must say what
is wrong and what to do instead; every accepted event names the rules that were checked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from importlib import import_module
from pkgutil import iter_modules
from typing import Any, TypeVar

import pytest

from recoverycore.aggregates import msp
from recoverycore.aggregates.msp import (
    CALL_CHECKLIST,
    AddMspNote,
    ClearVulnerabilityFlag,
    CompleteReview,
    ExpireMsp,
    GrantOneOffVariation,
    InviteCustomerToReview,
    IssueContactCard,
    LinkIncident,
    MspCommand,
    MspConfig,
    MspState,
    RecordCustomerInformed,
    RecordDecisionNotToContactDirectly,
    RecordPoliceHandDelivery,
    RecordRepresentativeContact,
    RecordVulnerabilityFlag,
    SendBehaviourWarning,
    SendMspSms,
    SendRestrictionReminder,
    WithdrawMsp,
    required_delivery_method,
)
from recoverycore.errors import RuleViolation
from recoverycore.events._envelope import DomainEvent, Role
from recoverycore.events.msp import (
    Behaviour,
    ContactPoint,
    CustomerAggressionLetterSent,
    IncidentRef,
    MspContactAttempted,
    MspCustomerInformed,
    MspDirectContactWaived,
    MspEvent,
    MspExpired,
    MspIncidentLinked,
    MspLetterHandedByPolice,
    MspLetterSent,
    MspNoteAdded,
    MspOneOffVariationGranted,
    MspRecorded,
    MspRepresentativeContacted,
    MspSmsBlocked,
    MspSmsSent,
    MspVulnerabilityFlagRecorded,
    MultiRecordCheck,
    Restriction,
    RestrictionKind,
)
from recoverycore.testing import EPOCH, MspBuilder, Scenario, given, msp_builder, staff

C = TypeVar("C", bound=MspCommand)

B = msp_builder()
"""A Centrelink plan with a full face-to-face restriction, recorded and decided at EPOCH."""
LATER = EPOCH + timedelta(minutes=30)
END = EPOCH + timedelta(days=182)
"""The default plan's end date (182 days after it starts), at the same time of day."""
CHECKLIST = tuple(sorted(CALL_CHECKLIST))
REASONS = ("The customer's conduct at two sites makes this proportionate and necessary.",)
REGISTERED = "PRIORITY_REGISTERED_PERSON_TO_PERSON"
NEW_INCIDENT = IncidentRef(incident_id="CIMS-2026-0042", system="CIMS")
OFFICER = staff(Role.OMC, "omc-1", aps_level="APS4")
SOCIAL_WORKER = staff(Role.SOCIAL_WORKER)


# -- helpers --------------------------------------------------------------------------------------
def names(events: Sequence[DomainEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


def refused(scenario: Scenario, command: MspCommand, rule_id: str) -> RuleViolation:
    """The command is refused by ``rule_id``, with words an officer can act on."""
    error = scenario.refused(command)
    assert error.rule_id == rule_id, str(error)
    assert error.reason.strip(), "a refusal says what is wrong"
    assert error.remedy.strip(), "a refusal says what to do instead"
    return error


def accepted(scenario: Scenario, command: MspCommand, *rules: str) -> list[MspEvent]:
    """The events the command records; each names at least ``rules`` as checked."""
    events = scenario.when(command)
    assert events, "an accepted command records something"
    for event in events:
        missing = set(rules) - set(event.rules_applied)
        assert not missing, f"{type(event).__name__} does not list {sorted(missing)}"
    return events


def after(scenario: Scenario, *commands: MspCommand) -> MspState:
    for command in commands:
        scenario = scenario.then(command)
    assert scenario.state is not None
    return scenario.state


def make(cls: type[C], b: MspBuilder = B, **fields: Any) -> C:
    command: C = b.command(cls, **fields)
    return command


def draft(b: MspBuilder = B) -> Scenario:
    return given(b.recorded(), now=b.now).configured(b.config)


def active(b: MspBuilder = B) -> Scenario:
    return given(b.approved_plan(), now=b.now).configured(b.config)


def notified(b: MspBuilder = B) -> Scenario:
    return given(b.notified_plan(), now=b.now).configured(b.config)


def letter_attached(b: MspBuilder = B) -> Scenario:
    return active(b).then(b.attach())


def flagged(flag: str, b: MspBuilder = B) -> Scenario:
    return active(b).then(flag_command(flag))


def under_review(b: MspBuilder = B) -> Scenario:
    return notified(b).then(invite(b))


def plan_for(
    *kinds: RestrictionKind,
    policy: str = "V2",
    assault_or_stalking: bool = False,
    program: str = "CENTRELINK",
) -> tuple[MspBuilder, Scenario]:
    """An approved plan with these restrictions under this letter policy."""
    config = MspConfig.model_validate({"letter_policy": policy})
    b = msp_builder(
        restrictions=tuple(Restriction(kind=k) for k in kinds), config=config, program=program
    )
    incident = IncidentRef(
        incident_id="CIMS-2026-0001",
        system="CIMS",
        involved_assault_or_stalking=assault_or_stalking,
    )
    scenario = (
        given(now=b.now)
        .configured(config)
        .then(b.record(triggering_incidents=(incident,)))
        .then(b.approve())
    )
    return b, scenario


# -- command builders for commands MspBuilder does not cover ---------------------------------------
def withdraw(**kw: Any) -> WithdrawMsp:
    return make(WithdrawMsp, **{"actor": B.approver, "reasons": REASONS, **kw})


def informed(channel: str = "PHONE", **kw: Any) -> RecordCustomerInformed:
    return make(RecordCustomerInformed, channel=channel, **kw)


def waive(**kw: Any) -> RecordDecisionNotToContactDirectly:
    fields: dict[str, Any] = {
        "alternative": "REPRESENTATIVE",
        "reasons": ("The customer threatened the OMC on the last call; contact the nominee.",),
    }
    return make(RecordDecisionNotToContactDirectly, **{**fields, **kw})


def representative_call(**kw: Any) -> RecordRepresentativeContact:
    fields: dict[str, Any] = {
        "representative_role": "NOMINEE",
        "representative_name": "Sam Nominee",
        "number_called": "0411 111 111",
        "outcome": "ENGAGED_SUCCESSFUL",
        "topics_covered": CHECKLIST,
        "note_text": "Explained the MSP to the nominee, who will tell the customer.",
    }
    return make(RecordRepresentativeContact, **{**fields, **kw})


def link(**kw: Any) -> LinkIncident:
    return make(LinkIncident, **{"incident": NEW_INCIDENT, **kw})


def flag_command(flag: str) -> RecordVulnerabilityFlag:
    return make(RecordVulnerabilityFlag, flag=flag, source="Customer said so on the phone.")


def clear_flag(flag: str, **kw: Any) -> ClearVulnerabilityFlag:
    fields: dict[str, Any] = {
        "actor": SOCIAL_WORKER,
        "reasons": ("Social worker assessment: no current risk of self-harm.",),
    }
    return make(ClearVulnerabilityFlag, flag=flag, **{**fields, **kw})


def card(b: MspBuilder = B, **kw: Any) -> IssueContactCard:
    return make(IssueContactCard, b, **{"omc_psso": b.omc, "issued_via": "IN_PERSON", **kw})


def police(**kw: Any) -> RecordPoliceHandDelivery:
    fields: dict[str, Any] = {
        "letter_id": "L-1",
        "police_station": "Parramatta Police Station",
        "police_officer": "Sgt Lee",
        "handed_at": EPOCH,
        "serious_case": True,
        "local_arrangement_exists": True,
    }
    return make(RecordPoliceHandDelivery, **{**fields, **kw})


def variation(b: MspBuilder = B, **kw: Any) -> GrantOneOffVariation:
    fields: dict[str, Any] = {
        "actor": b.approver,
        "appointment_at": b.now + timedelta(days=7),
        "site": "Parramatta Service Centre",
        "purpose": "Identity check that needs original documents.",
    }
    return make(GrantOneOffVariation, b, **{**fields, **kw})


def required_method(b: MspBuilder) -> str:
    kinds = {r.kind for r in b.restrictions}
    return required_delivery_method(b.config.letter_policy, kinds, False)


def invite(b: MspBuilder = B, **kw: Any) -> InviteCustomerToReview:
    fields: dict[str, Any] = {
        "actor": b.reviewer,
        "letter_id": "R-1",
        "delivery_method": required_method(b),
        "tracking_id": "AP-R1",
        "contact_invitations": ("WRITING",),
    }
    return make(InviteCustomerToReview, b, **{**fields, **kw})


def review(outcome: str, **kw: Any) -> CompleteReview:
    return make(
        CompleteReview, **{"actor": B.approver, "reasons": REASONS, "outcome": outcome, **kw}
    )


def aggression_letter(cls: type[C], b: MspBuilder = B, **kw: Any) -> C:
    fields: dict[str, Any] = {
        "letter_id": "W-1",
        "delivery_method": required_method(b),
        "tracking_id": "AP-W1",
        "contact_invitations": ("WRITING",),
    }
    return make(cls, b, **{**fields, **kw})


def expire(**kw: Any) -> ExpireMsp:
    return make(ExpireMsp, **{"actor": staff(Role.SYSTEM), **kw})


def note(**kw: Any) -> AddMspNote:
    return make(AddMspNote, **{"text": "Customer's nominee asked for a copy of the letter.", **kw})


# -- M1 RecordMsp ---------------------------------------------------------------------------------
def test_a_reactive_plan_is_recorded_as_a_draft() -> None:
    events = accepted(given(), B.record(), "MSP-A10", "MSP-R11", "MSP-R14", "MSP-R15")

    assert names(events) == ["MspRecorded"]
    recorded = events[0]
    assert isinstance(recorded, MspRecorded)
    assert recorded.originator_version == 1
    assert recorded.recorded_at == EPOCH
    state = after(given(), B.record())
    assert (state.status, state.recorder_id) == ("DRAFT", B.recorder.staff_id)
    assert state.linked_incident_ids == ("CIMS-2026-0001",)


def test_a_proactive_plan_without_restrictions_is_recorded_for_its_vulnerabilities() -> None:
    command = B.record(
        msp_type="PROACTIVE",
        triggering_incidents=(),
        vulnerabilities=("Acquired brain injury affecting phone conversations",),
        restrictions=(Restriction(kind="NONE"),),
        alternatives_considered="",
    )

    assert names(accepted(given(), command, "MSP-R15")) == ["MspRecorded"]


@pytest.mark.parametrize(
    "description",
    [
        "Aggressive",
        "Inappropriate.",
        "The customer was very aggressive and inappropriate.",
        "Was rude and abusive",
        "Swore at staff",
    ],
)
def test_a_behaviour_summarised_as_inappropriate_or_aggressive_is_refused(description: str) -> None:
    command = B.record(behaviours=(Behaviour(label="Aggressive", description=description),))

    error = refused(given(), command, "MSP-R11")
    assert "Aggressive" in error.reason


def test_a_behaviour_whose_description_only_repeats_its_label_is_refused() -> None:
    label = "Threw a chair across the waiting room at Parramatta"
    command = B.record(behaviours=(Behaviour(label=label, description=label),))

    refused(given(), command, "MSP-R11")


def test_a_plan_without_any_behaviour_considered_is_refused() -> None:
    refused(given(), B.record(behaviours=()), "MSP-R11")


def test_a_factual_behaviour_description_is_accepted_however_short_the_label() -> None:
    behaviour = Behaviour(label="Aggressive", description="Threw a chair at the counter screen.")

    assert names(given().when(B.record(behaviours=(behaviour,)))) == ["MspRecorded"]


def test_the_minimum_words_in_a_behaviour_description_is_configurable() -> None:
    behaviour = Behaviour(label="Threat", description="Threatened the officer.")
    scenario = given()

    refused(scenario, B.record(behaviours=(behaviour,)), "MSP-R11")
    lenient = scenario.configured(MspConfig(min_behaviour_description_words=2))
    assert names(lenient.when(B.record(behaviours=(behaviour,)))) == ["MspRecorded"]


def test_a_reactive_plan_needs_the_incident_that_led_to_it() -> None:
    refused(given(), B.record(triggering_incidents=()), "MSP-R15")


def test_a_proactive_plan_needs_the_vulnerabilities_it_addresses() -> None:
    command = B.record(msp_type="PROACTIVE", triggering_incidents=(), vulnerabilities=("  ",))

    refused(given(), command, "MSP-R15")


@pytest.mark.parametrize("kind", ["WRITE_ONLY", "FULL_FACE_TO_FACE"])
def test_a_severe_restriction_needs_the_less_restrictive_alternatives_considered(
    kind: RestrictionKind,
) -> None:
    command = B.record(restrictions=(Restriction(kind=kind),), alternatives_considered=" ")

    refused(given(), command, "MSP-R15")


def test_a_partial_face_to_face_restriction_needs_no_recorded_alternatives() -> None:
    command = B.record(
        restrictions=(Restriction(kind="PARTIAL_FACE_TO_FACE"),), alternatives_considered=""
    )

    assert names(given().when(command)) == ["MspRecorded"]


@pytest.mark.parametrize("days", [0, -1], ids=["same-day", "before-start"])
def test_a_plan_must_end_after_it_starts(days: int) -> None:
    start = EPOCH.date()
    command = B.record(start_date=start, end_date=start + timedelta(days=days))

    refused(given(), command, "MSP-R14")


def test_a_plan_longer_than_the_maximum_duration_is_refused_unless_configured() -> None:
    start = EPOCH.date()
    command = B.record(start_date=start, end_date=start + timedelta(days=731))

    error = refused(given(), command, "MSP-R14")
    assert "731" in error.reason
    longer = given().configured(MspConfig(max_plan_duration_days=1000))
    assert names(longer.when(command)) == ["MspRecorded"]


def test_a_plan_needs_the_reasons_for_its_duration() -> None:
    refused(given(), B.record(duration_reasons="Six months."), "MSP-R14")


def test_a_plan_id_is_used_only_once() -> None:
    error = refused(draft(), B.record(), "MSP-A10")
    assert str(B.plan_id) in error.reason


def test_an_action_dated_after_it_is_recorded_is_refused() -> None:
    refused(given(), B.record(occurred_at=LATER), "MSP-A10")
    refused(active(), B.call(occurred_at=LATER), "MSP-A10")


def test_an_action_recorded_after_it_happened_keeps_when_it_happened() -> None:
    earlier = EPOCH - timedelta(minutes=25)

    [attempt, _] = active().when(B.call(occurred_at=earlier))
    assert (attempt.occurred_at, attempt.recorded_at) == (earlier, EPOCH)


# -- M2 ApproveMsp / RejectMsp, WithdrawMsp -------------------------------------------------------
def test_an_approved_decision_maker_approves_a_draft_and_the_plan_becomes_active() -> None:
    events = accepted(draft(), B.approve(), "MSP-A1", "MSP-A2", "MSP-A3", "MSP-R15")

    assert names(events) == ["MspApproved"]
    assert events[0].reasons == B.approve().reasons
    state = after(draft(), B.approve())
    assert (state.status, state.approver_id) == ("ACTIVE", B.approver.staff_id)


def test_an_approved_decision_maker_rejects_a_draft() -> None:
    events = accepted(draft(), B.reject(), "MSP-A2", "MSP-A3", "MSP-R15")

    assert names(events) == ["MspRejected"]
    assert after(draft(), B.reject()).status == "REJECTED"


def test_the_recorder_cannot_approve_their_own_plan() -> None:
    recorder_as_approver = staff(Role.MSP_APPROVER, B.recorder.staff_id)

    refused(draft(), B.approve(actor=recorder_as_approver), "MSP-A2")
    refused(draft(), B.reject(actor=recorder_as_approver), "MSP-A2")


def test_four_eyes_can_be_switched_off_by_configuration() -> None:
    recorder_as_approver = staff(Role.MSP_APPROVER, B.recorder.staff_id)
    scenario = draft().configured(MspConfig(require_four_eyes=False))

    assert names(scenario.when(B.approve(actor=recorder_as_approver))) == ["MspApproved"]


@pytest.mark.parametrize("role", [Role.MSP_RECORDER, Role.MSP_REVIEWER, Role.OMC, Role.TEAM_LEADER])
def test_only_an_approved_decision_maker_approves_or_rejects(role: Role) -> None:
    error = refused(draft(), B.approve(actor=staff(role)), "MSP-A3")
    assert role.value in error.reason
    refused(draft(), B.reject(actor=staff(role)), "MSP-A3")


def test_the_decision_maker_roles_are_configurable() -> None:
    leader = staff(Role.TEAM_LEADER)
    config = MspConfig(decision_maker_roles=frozenset({Role.MSP_APPROVER, Role.TEAM_LEADER}))

    assert names(draft().configured(config).when(B.approve(actor=leader))) == ["MspApproved"]


@pytest.mark.parametrize("reasons", [(), ("OK",), ("  ", "Fine.")])
def test_a_decision_without_reasons_that_justify_it_is_refused(reasons: tuple[str, ...]) -> None:
    refused(draft(), B.approve(reasons=reasons), "MSP-R15")
    refused(draft(), B.reject(reasons=reasons), "MSP-R15")


def test_an_active_plan_cannot_be_approved_again() -> None:
    refused(active(), B.approve(), "MSP-A1")


@pytest.mark.parametrize(
    "history", [draft, active, under_review], ids=["draft", "active", "review"]
)
def test_a_decision_maker_withdraws_a_plan_that_has_not_ended(
    history: Callable[[], Scenario],
) -> None:
    events = accepted(history(), withdraw(), "MSP-A1", "MSP-A3", "MSP-R15")

    assert names(events) == ["MspWithdrawn"]
    assert after(history(), withdraw()).status == "WITHDRAWN"


def test_a_withdrawal_needs_a_decision_maker_and_reasons() -> None:
    refused(active(), withdraw(actor=OFFICER), "MSP-A3")
    refused(active(), withdraw(reasons=("Not needed",)), "MSP-R15")


# -- A1 terminal plans ----------------------------------------------------------------------------
def _rejected() -> Scenario:
    return draft().then(B.reject())


def _withdrawn() -> Scenario:
    return active().then(withdraw())


def _ended() -> Scenario:
    return under_review().then(review("END_EARLY"))


def _expired() -> Scenario:
    return active().at(END).then(expire())


TERMINAL_HISTORIES: dict[str, Callable[[], Scenario]] = {
    "REJECTED": _rejected,
    "WITHDRAWN": _withdrawn,
    "ENDED": _ended,
    "EXPIRED": _expired,
}
ANY_COMMAND: dict[str, Callable[[], MspCommand]] = {
    "note": note,
    "link": link,
    "flag": lambda: flag_command("SUICIDE_SELF_HARM"),
    "approve": B.approve,
    "withdraw": withdraw,
    "call": B.call,
    "sms": B.sms,
    "letter": B.send_letter,
    "expire": expire,
}


@pytest.mark.parametrize("status", sorted(TERMINAL_HISTORIES))
@pytest.mark.parametrize("command", sorted(ANY_COMMAND))
def test_a_terminal_plan_accepts_no_further_command(status: str, command: str) -> None:
    scenario = TERMINAL_HISTORIES[status]()
    assert scenario.state is not None
    assert scenario.state.status == status
    assert scenario.state.is_terminal

    error = refused(scenario, ANY_COMMAND[command](), "MSP-A1")
    assert status.lower() in error.reason


def test_a_terminal_plan_id_cannot_be_recorded_again() -> None:
    refused(_rejected(), B.record(), "MSP-A10")


@pytest.mark.parametrize(
    ("history", "command"),
    [
        (draft, B.call),
        (draft, B.sms),
        (draft, B.attach),
        (draft, invite),
        (draft, expire),
        (active, lambda: review("CONTINUE_UNCHANGED")),
        (under_review, invite),
        (under_review, B.approve),
    ],
    ids=[
        "call-draft",
        "sms-draft",
        "attach-draft",
        "invite-draft",
        "expire-draft",
        "review-active",
        "invite-under-review",
        "approve-under-review",
    ],
)
def test_a_command_that_does_not_suit_the_plans_status_is_refused(
    history: Callable[[], Scenario], command: Callable[[], MspCommand]
) -> None:
    refused(history(), command(), "MSP-A1")


# -- M3 RecordNotificationCallAttempt -------------------------------------------------------------
def test_an_unanswered_call_is_recorded_with_its_note() -> None:
    events = accepted(active(), B.call(), "MSP-A1", "MSP-R12")

    assert names(events) == ["MspContactAttempted", "MspNoteAdded"]
    attempt, contact_note = events
    assert isinstance(attempt, MspContactAttempted)
    assert isinstance(contact_note, MspNoteAdded)
    assert (attempt.attempt_no, attempt.outcome) == (1, "NO_ANSWER")
    assert (contact_note.note_type, contact_note.text) == ("CONTACT", B.call().note_text)


def test_each_call_attempt_is_numbered() -> None:
    [attempt, _] = active().then(B.call()).then(B.call()).when(B.call(outcome="VOICEMAIL"))

    assert isinstance(attempt, MspContactAttempted)
    assert attempt.attempt_no == 3


@pytest.mark.parametrize("note_text", ["", "   "])
def test_every_contact_attempt_needs_a_note(note_text: str) -> None:
    refused(active(), B.call(note_text=note_text), "MSP-R12")
    refused(active(), B.call(outcome="ENGAGED_SUCCESSFUL", note_text=note_text), "MSP-R12")


def test_a_successful_call_that_covers_the_checklist_counts_as_successful_contact() -> None:
    events = accepted(active(), B.call(outcome="ENGAGED_SUCCESSFUL"), "MSP-A5")

    assert names(events) == ["MspContactAttempted", "MspNoteAdded"]
    assert after(active(), B.call(outcome="ENGAGED_SUCCESSFUL")).successful_contacts == (
        "CUSTOMER",
    )


@pytest.mark.parametrize("missing", CHECKLIST)
def test_a_successful_call_that_misses_a_checklist_point_is_refused(missing: str) -> None:
    topics = tuple(t for t in CHECKLIST if t != missing)

    error = refused(active(), B.call(outcome="ENGAGED_SUCCESSFUL", topics_covered=topics), "MSP-A5")
    assert missing.lower().replace("_", " ") in error.reason


def test_an_unproductive_call_need_not_cover_the_checklist() -> None:
    state = after(active(), B.call(outcome="UNPRODUCTIVE"))

    assert (state.contact_attempts, state.successful_contacts) == (1, ())


def test_aggression_during_a_call_requires_a_new_incident() -> None:
    error = refused(active(), B.call(outcome="AGGRESSION"), "MSP-R13")
    assert "incident" in error.remedy


def test_aggression_during_a_call_links_the_new_incident_to_the_plan() -> None:
    command = B.call(outcome="AGGRESSION", new_incident=NEW_INCIDENT, note_text="Customer swore.")

    events = accepted(active(), command, "MSP-R12", "MSP-R13")
    assert names(events) == ["MspContactAttempted", "MspNoteAdded", "MspIncidentLinked"]
    linked = events[2]
    assert isinstance(linked, MspIncidentLinked)
    assert (linked.incident, linked.occurred_during) == (NEW_INCIDENT, "NOTIFICATION")
    assert after(active(), command).linked_incident_ids == ("CIMS-2026-0001", "CIMS-2026-0042")


def test_a_safety_concern_raised_on_a_call_records_the_flag() -> None:
    command = B.call(outcome="UNPRODUCTIVE", safety_concern="SUICIDE_SELF_HARM")

    events = active().when(command)
    assert names(events) == ["MspContactAttempted", "MspNoteAdded", "MspVulnerabilityFlagRecorded"]
    assert isinstance(events[2], MspVulnerabilityFlagRecorded)
    assert events[2].flag == "SUICIDE_SELF_HARM"
    assert after(active(), command).safety_flags == ("SUICIDE_SELF_HARM",)


# -- M4 RecordCustomerInformed (A4, R8) -----------------------------------------------------------
def test_the_customer_is_informed_after_a_successful_call() -> None:
    scenario = active().then(B.call(outcome="ENGAGED_SUCCESSFUL"))

    events = accepted(scenario, informed("PHONE"), "MSP-A4", "MSP-R8")
    assert names(events) == ["MspCustomerInformed"]
    assert isinstance(events[0], MspCustomerInformed)
    assert events[0].informed_on == EPOCH.date()
    assert after(scenario, informed("PHONE")).customer_informed_on == EPOCH.date()


@pytest.mark.parametrize("outcome", ["NO_ANSWER", "VOICEMAIL", "UNPRODUCTIVE"])
def test_the_customer_is_not_informed_by_a_call_that_did_not_succeed(outcome: str) -> None:
    refused(active().then(B.call(outcome=outcome)), informed("PHONE"), "MSP-A4")


def test_the_customer_is_not_informed_before_any_contact() -> None:
    refused(active(), informed("PHONE"), "MSP-A4")


def test_an_sms_never_counts_as_informing_the_customer() -> None:
    after_sms = active().then(B.sms())

    refused(after_sms, informed("SMS"), "MSP-R8")
    refused(after_sms, informed("PHONE"), "MSP-A4")
    refused(after_sms.then(B.call(outcome="ENGAGED_SUCCESSFUL")), informed("SMS"), "MSP-R8")


def test_notification_is_never_complete_without_the_letter() -> None:
    informed_by_phone = active().then(B.sms()).then(B.call(outcome="ENGAGED_SUCCESSFUL"))

    state = after(informed_by_phone, informed("PHONE"))
    assert state.customer_informed_on is not None
    assert state.sms_sent == 1
    assert not state.notification_complete
    assert after(
        informed_by_phone, informed("PHONE"), B.attach(), B.send_letter()
    ).notification_complete


def test_the_customer_is_informed_by_letter_only_once_its_delivery_is_confirmed() -> None:
    sent = letter_attached().then(B.send_letter())

    refused(sent, informed("LETTER"), "MSP-A4")
    refused(
        sent.then(B.delivered(outcome="RETURNED_TO_SENDER", rts_reason="Unknown at address")),
        informed("LETTER"),
        "MSP-A4",
    )
    state = after(sent, B.delivered(), informed("LETTER"))
    assert state.customer_informed_on == EPOCH.date()
    assert state.notification_complete


def test_a_police_hand_over_does_not_inform_the_customer_by_letter() -> None:
    refused(letter_attached().then(police()), informed("LETTER"), "MSP-A4")


# -- M5 RecordDecisionNotToContactDirectly, M6 RecordRepresentativeContact (R12) ------------------
def test_a_decision_not_to_contact_directly_is_recorded_with_its_reason_as_a_note() -> None:
    events = accepted(active(), waive(), "MSP-R12")

    assert names(events) == ["MspDirectContactWaived", "MspNoteAdded"]
    waived, decision_note = events
    assert isinstance(waived, MspDirectContactWaived)
    assert waived.alternative == "REPRESENTATIVE"
    assert isinstance(decision_note, MspNoteAdded)
    assert (decision_note.note_type, decision_note.text) == ("DECISION", waive().reasons[0])


@pytest.mark.parametrize("reasons", [(), ("Unsafe",), (" ",)])
def test_a_decision_not_to_contact_directly_needs_a_documented_reason(
    reasons: tuple[str, ...],
) -> None:
    refused(active(), waive(reasons=reasons), "MSP-R12")


def test_a_representative_is_contacted_only_after_a_decision_not_to_contact_directly() -> None:
    error = refused(active(), representative_call(), "MSP-R12")
    assert "decision" in error.reason

    events = accepted(active().then(waive()), representative_call(), "MSP-R12", "MSP-A5")
    assert names(events) == ["MspRepresentativeContacted", "MspNoteAdded"]
    assert isinstance(events[0], MspRepresentativeContacted)
    assert events[0].representative_role == "NOMINEE"


def test_a_representative_contact_needs_a_note_and_the_checklist() -> None:
    waived = active().then(waive())

    refused(waived, representative_call(note_text=" "), "MSP-R12")
    refused(waived, representative_call(topics_covered=CHECKLIST[1:]), "MSP-A5")


def test_aggression_from_a_representative_requires_and_links_a_new_incident() -> None:
    waived = active().then(waive())

    refused(waived, representative_call(outcome="AGGRESSION"), "MSP-R13")
    events = waived.when(representative_call(outcome="AGGRESSION", new_incident=NEW_INCIDENT))
    assert names(events) == ["MspRepresentativeContacted", "MspNoteAdded", "MspIncidentLinked"]


def test_the_representative_who_was_told_is_the_one_recorded_as_informed() -> None:
    reached_nominee = active().then(waive()).then(representative_call())

    events = reached_nominee.when(informed("PHONE", informed_person="NOMINEE"))
    assert isinstance(events[0], MspCustomerInformed)
    assert events[0].informed_person == "NOMINEE"
    refused(reached_nominee, informed("PHONE", informed_person="POA"), "MSP-A4")
    refused(reached_nominee, informed("PHONE"), "MSP-A4")


# -- M7 LinkIncident, safety flags ----------------------------------------------------------------
@pytest.mark.parametrize("history", [draft, active], ids=["draft", "active"])
def test_an_incident_is_linked_to_the_plan(history: Callable[[], Scenario]) -> None:
    events = history().when(link())

    assert names(events) == ["MspIncidentLinked"]
    assert isinstance(events[0], MspIncidentLinked)
    assert events[0].occurred_during == "OTHER"
    assert "CIMS-2026-0042" in after(history(), link()).linked_incident_ids


@pytest.mark.parametrize("flag", ["SUICIDE_SELF_HARM", "FDV_IMMEDIATE_THREAT"])
def test_a_safety_flag_is_recorded_and_cleared_by_a_social_worker(flag: str) -> None:
    assert names(active().when(flag_command(flag))) == ["MspVulnerabilityFlagRecorded"]
    assert after(flagged(flag)).safety_flags == (flag,)

    events = accepted(flagged(flag), clear_flag(flag), "MSP-A3", "MSP-R15")
    assert names(events) == ["MspVulnerabilityFlagCleared"]
    assert after(flagged(flag), clear_flag(flag)).safety_flags == ()


def test_a_safety_flag_that_is_not_in_force_cannot_be_cleared() -> None:
    refused(active(), clear_flag("SUICIDE_SELF_HARM"), "MSP-A1")
    refused(flagged("FDV_IMMEDIATE_THREAT"), clear_flag("SUICIDE_SELF_HARM"), "MSP-A1")


def test_only_a_social_worker_or_decision_maker_clears_a_safety_flag_with_reasons() -> None:
    scenario = flagged("SUICIDE_SELF_HARM")

    refused(scenario, clear_flag("SUICIDE_SELF_HARM", actor=OFFICER), "MSP-A3")
    refused(scenario, clear_flag("SUICIDE_SELF_HARM", reasons=("Fine now",)), "MSP-R15")
    assert names(scenario.when(clear_flag("SUICIDE_SELF_HARM", actor=B.approver))) == [
        "MspVulnerabilityFlagCleared"
    ]


# -- M8 SendMspSms (R1-R7) ------------------------------------------------------------------------
def test_an_approved_decision_maker_sends_an_sms_to_a_centrelink_customer() -> None:
    rules = ("MSP-A1", "MSP-R1", "MSP-R2", "MSP-R3", "MSP-R4", "MSP-R5", "MSP-R6", "MSP-R7")
    events = accepted(active(), B.sms(), *rules)

    assert names(events) == ["MspSmsSent"]
    sent = events[0]
    assert isinstance(sent, MspSmsSent)
    assert sent.reason_code == "PHONE_UNREACHABLE"
    assert sent.actor == B.approver
    assert sent.mobile_number_hash == hashlib.sha256(b"0400000000").hexdigest()
    assert "0400" not in sent.model_dump_json(), "the mobile number itself is not recorded"
    assert after(active(), B.sms()).sms_sent == 1


@pytest.mark.parametrize("program", ["MEDICARE", "CHILD_SUPPORT"])
def test_an_sms_is_refused_for_a_customer_who_is_not_a_centrelink_customer(program: str) -> None:
    b, scenario = plan_for("FULL_FACE_TO_FACE", program=program)

    error = refused(scenario, b.sms(), "MSP-R1")
    assert program.lower() in error.reason


@pytest.mark.parametrize("role", [Role.OMC, Role.MSP_REVIEWER, Role.SERVICE_OFFICER])
def test_an_sms_is_refused_from_anyone_but_an_approved_decision_maker(role: Role) -> None:
    refused(active(), B.sms(actor=staff(role)), "MSP-R2")


@pytest.mark.parametrize(
    "reason_code",
    [
        "PHONE_UNREACHABLE",
        "CALL_UNPRODUCTIVE",
        "CONFIRMATION_BENEFICIAL",
        "PRELIMINARY_BEFORE_NEXT_DAY_CALL",
        "CAPTURE_OMC_PSSO_NUMBER",
    ],
)
def test_an_sms_is_sent_in_each_of_the_five_circumstances(reason_code: str) -> None:
    [sent] = active().when(B.sms(reason_code=reason_code))

    assert isinstance(sent, MspSmsSent)
    assert sent.reason_code == reason_code


@pytest.mark.parametrize("reason_code", [None, "", "BECAUSE", "phone_unreachable"])
def test_an_sms_is_refused_outside_the_five_circumstances(reason_code: str | None) -> None:
    refused(active(), B.sms(reason_code=reason_code), "MSP-R3")


def test_an_sms_is_refused_without_the_multiple_records_check() -> None:
    refused(active(), B.sms(multi_record_check=None), "MSP-R4")
    check_after_sending = MultiRecordCheck(
        performed_at=EPOCH + timedelta(minutes=1), result="UNIQUE"
    )
    refused(active(), B.sms(multi_record_check=check_after_sending), "MSP-R4")


def test_an_sms_is_refused_without_checking_the_smem_screen_first() -> None:
    refused(active(), B.sms(smem_checked_at=None), "MSP-R5")
    refused(active(), B.sms(smem_checked_at=EPOCH + timedelta(minutes=1)), "MSP-R5")


def assert_sms_blocked(scenario: Scenario, command: SendMspSms, rule_id: str) -> None:
    """The SMS is not sent, and the block is recorded (not raised) with the rule that stopped it."""
    events = accepted(scenario, command, rule_id)

    assert names(events) == ["MspSmsBlocked"]
    blocked = events[0]
    assert isinstance(blocked, MspSmsBlocked)
    assert blocked.rule_id == rule_id
    assert blocked.detail.strip()
    assert blocked.reason_code == command.reason_code
    state = after(scenario, command)
    assert (state.sms_sent, state.sms_blocked) == (0, 1)


def test_an_sms_to_a_mobile_on_multiple_records_is_blocked_and_recorded() -> None:
    check = MultiRecordCheck(performed_at=EPOCH, result="MULTIPLE")

    assert_sms_blocked(active(), B.sms(multi_record_check=check), "MSP-R4")


def test_an_sms_to_a_customer_talking_about_suicide_or_self_harm_is_blocked_and_recorded() -> None:
    assert_sms_blocked(flagged("SUICIDE_SELF_HARM"), B.sms(), "MSP-R6")


def test_an_sms_where_fdv_with_an_immediate_threat_was_witnessed_is_blocked_and_recorded() -> None:
    assert_sms_blocked(flagged("FDV_IMMEDIATE_THREAT"), B.sms(), "MSP-R7")


def test_an_sms_is_sent_again_once_the_safety_flag_is_cleared() -> None:
    cleared = flagged("SUICIDE_SELF_HARM").then(clear_flag("SUICIDE_SELF_HARM"))

    assert names(cleared.when(B.sms())) == ["MspSmsSent"]


def test_a_blocked_sms_still_leaves_phone_and_letter_notification_to_do() -> None:
    state = after(flagged("FDV_IMMEDIATE_THREAT"), B.sms())

    assert (state.customer_informed_on, state.letter_sent_id) == (None, None)
    assert not state.notification_complete


# -- M9 IssueContactCard (A6) ---------------------------------------------------------------------
def test_the_omc_contact_card_is_issued() -> None:
    events = accepted(active(), card(), "MSP-A6")

    assert names(events) == ["MspContactCardIssued"]
    assert after(active(), card()).contact_card_issued


def test_a_contact_card_with_someone_elses_details_is_refused() -> None:
    stranger = ContactPoint(role="OMC", staff_id="omc-9", name="Al Other", phone="1800 999 999")
    wrong_phone = B.omc.model_copy(update={"phone": "1800 000 002"})

    refused(active(), card(omc_psso=stranger), "MSP-A6")
    refused(active(), card(omc_psso=wrong_phone), "MSP-A6")


# -- M10 AttachFinalLetter, M11 SendMspLetter (R9, R10, R14, A6, A7) -------------------------------
def test_the_final_approved_letter_is_attached() -> None:
    events = accepted(active(), B.attach(), "MSP-R9")

    assert names(events) == ["MspLetterAttached"]
    state = after(active(), B.attach())
    assert (state.attached_letter_id, state.attached_letter_version) == ("L-1", 2)


@pytest.mark.parametrize("status", ["DRAFT", "FOR_APPROVAL"])
def test_only_the_final_approved_letter_may_be_attached(status: str) -> None:
    error = refused(active(), B.attach(approval_status=status), "MSP-R9")
    assert status.replace("_", " ").lower() in error.reason


def test_the_letter_is_sent_with_the_contact_card() -> None:
    rules = ("MSP-R9", "MSP-A6", "MSP-R10", "MSP-A7", "MSP-R14")
    events = accepted(letter_attached(), B.send_letter(), *rules)

    assert names(events) == ["MspLetterSent", "MspContactCardIssued"]
    sent = events[0]
    assert isinstance(sent, MspLetterSent)
    assert (sent.letter_id, sent.delivery_method, sent.policy_version) == ("L-1", "PRIORITY", "V2")
    assert sent.includes_contact_card
    assert after(letter_attached(), B.send_letter()).letter_sent_id == "L-1"


def test_a_card_already_issued_is_not_issued_again_with_the_letter() -> None:
    assert names(letter_attached().then(card()).when(B.send_letter())) == ["MspLetterSent"]


def test_a_letter_that_is_not_the_attached_final_letter_is_refused() -> None:
    refused(active(), B.send_letter(), "MSP-R9")
    refused(letter_attached(), B.send_letter(letter_id="L-DRAFT"), "MSP-R9")


def test_a_letter_without_the_contact_card_is_refused() -> None:
    refused(letter_attached(), B.send_letter(includes_contact_card=False), "MSP-A6")


@pytest.mark.parametrize("method", ["STAFF_HAND_DELIVERY", "SECURITY_GUARD_HAND_DELIVERY"])
def test_staff_or_security_hand_delivery_is_refused(method: str) -> None:
    error = refused(letter_attached(), B.send_letter(delivery_method=method), "MSP-R10")
    assert "police" in error.remedy


def test_a_letter_without_a_tracking_id_is_refused() -> None:
    refused(letter_attached(), B.send_letter(tracking_id="  "), "MSP-A7")


def test_a_letter_without_review_rights_is_refused() -> None:
    error = refused(letter_attached(), B.send_letter(includes_review_rights=False), "MSP-R14")
    assert "review" in error.reason


@pytest.mark.parametrize(
    ("kind", "invitation"),
    [
        ("WRITE_ONLY", "PHONE"),
        ("WRITE_ONLY", "FACE_TO_FACE"),
        ("FULL_FACE_TO_FACE", "FACE_TO_FACE"),
        ("PHONE_ONLY", "FACE_TO_FACE"),
    ],
)
def test_a_letter_inviting_contact_the_restriction_forbids_is_refused(
    kind: RestrictionKind, invitation: str
) -> None:
    b, scenario = plan_for(kind)
    letter = b.send_letter(contact_invitations=("WRITING", invitation))

    error = refused(scenario.then(b.attach()), letter, "MSP-R14")
    assert invitation.replace("_", " ").lower() in error.reason


def test_a_write_only_customer_may_be_invited_to_write() -> None:
    b, scenario = plan_for("WRITE_ONLY")

    letter = b.send_letter(contact_invitations=("WRITING", "ONLINE"))
    assert names(scenario.then(b.attach()).when(letter))[0] == "MspLetterSent"


# -- A7 delivery method by letter policy ----------------------------------------------------------
V1_CASES = [
    (("WRITE_ONLY",), False, REGISTERED),
    (("FULL_FACE_TO_FACE",), False, REGISTERED),
    (("PARTIAL_FACE_TO_FACE",), False, REGISTERED),
    (("PROTECTION_ORDER_EXISTS",), False, REGISTERED),
    (("PHONE_ONLY", "PROTECTION_ORDER_EXISTS"), False, REGISTERED),
    (("NONE",), False, "PRIORITY"),
    (("PHONE_ONLY",), False, "PRIORITY"),
    (("WRITE_ONLY",), True, "PRIORITY"),
    (("FULL_FACE_TO_FACE",), True, "PRIORITY"),
    (("PROTECTION_ORDER_EXISTS",), True, "PRIORITY"),
]
OTHER_METHOD = {REGISTERED: "PRIORITY", "PRIORITY": REGISTERED}


@pytest.mark.parametrize(("kinds", "assault_or_stalking", "method"), V1_CASES)
def test_letter_policy_v1_sends_registered_post_for_restricted_plans_and_priority_after_assault(
    kinds: tuple[RestrictionKind, ...], assault_or_stalking: bool, method: str
) -> None:
    b, scenario = plan_for(*kinds, policy="V1", assault_or_stalking=assault_or_stalking)
    attached = scenario.then(b.attach())

    assert required_delivery_method("V1", kinds, assault_or_stalking) == method
    [sent, _] = accepted(attached, b.send_letter(delivery_method=method), "MSP-A7")
    assert isinstance(sent, MspLetterSent)
    assert (sent.delivery_method, sent.policy_version) == (method, "V1")
    error = refused(attached, b.send_letter(delivery_method=OTHER_METHOD[method]), "MSP-A7")
    assert "V1" in error.reason


@pytest.mark.parametrize(("kinds", "assault_or_stalking", "method"), V1_CASES)
def test_letter_policy_v2_sends_every_letter_by_priority_mail(
    kinds: tuple[RestrictionKind, ...], assault_or_stalking: bool, method: str
) -> None:
    b, scenario = plan_for(*kinds, policy="V2", assault_or_stalking=assault_or_stalking)
    attached = scenario.then(b.attach())

    assert required_delivery_method("V2", kinds, assault_or_stalking) == "PRIORITY"
    [sent, _] = attached.when(b.send_letter(delivery_method="PRIORITY"))
    assert isinstance(sent, MspLetterSent)
    assert sent.policy_version == "V2"
    refused(attached, b.send_letter(delivery_method=REGISTERED), "MSP-A7")


@pytest.mark.parametrize("policy", ["V1", "V2"])
def test_review_invitations_and_aggression_letters_follow_the_letter_policy(policy: str) -> None:
    b, scenario = plan_for("WRITE_ONLY", policy=policy)
    expected = REGISTERED if policy == "V1" else "PRIORITY"
    wrong = OTHER_METHOD[expected]

    for command in (
        invite(b, delivery_method=expected),
        aggression_letter(SendBehaviourWarning, b, delivery_method=expected),
        aggression_letter(SendRestrictionReminder, b, delivery_method=expected),
    ):
        [event] = accepted(scenario, command, "MSP-A7")
        assert getattr(event, "policy_version", None) == policy
        refused(scenario, command.model_copy(update={"delivery_method": wrong}), "MSP-A7")


# -- M12 RecordPoliceHandDelivery (R10) -----------------------------------------------------------
def test_a_police_hand_over_is_recorded_with_a_note_and_does_not_count_as_the_letter_sent() -> None:
    events = accepted(letter_attached(), police(), "MSP-R10", "MSP-R9")

    assert names(events) == ["MspLetterHandedByPolice", "MspNoteAdded"]
    handed, police_note = events
    assert isinstance(handed, MspLetterHandedByPolice)
    assert (handed.police_station, handed.police_officer) == (
        "Parramatta Police Station",
        "Sgt Lee",
    )
    assert isinstance(police_note, MspNoteAdded)
    assert police_note.note_type == "POLICE_DELIVERY"
    assert "Sgt Lee" in police_note.text
    state = after(letter_attached(), police())
    assert (state.police_handovers, state.letter_sent_id) == (1, None)
    assert not state.notification_complete


@pytest.mark.parametrize(
    ("serious_case", "local_arrangement_exists"), [(False, True), (True, False), (False, False)]
)
def test_police_hand_over_only_in_a_serious_case_with_a_local_arrangement(
    serious_case: bool, local_arrangement_exists: bool
) -> None:
    command = police(serious_case=serious_case, local_arrangement_exists=local_arrangement_exists)

    refused(letter_attached(), command, "MSP-R10")


def test_police_hand_over_only_of_the_attached_final_letter() -> None:
    refused(active(), police(), "MSP-R9")
    refused(letter_attached(), police(letter_id="L-2"), "MSP-R9")


def test_the_letter_is_still_posted_after_a_police_hand_over() -> None:
    assert names(letter_attached().then(police()).when(B.send_letter()))[0] == "MspLetterSent"


# -- M13 RecordLetterDeliveryOutcome (A7) ---------------------------------------------------------
def test_the_tracked_delivery_of_the_letter_is_recorded() -> None:
    sent = letter_attached().then(B.send_letter())

    assert names(accepted(sent, B.delivered(), "MSP-A7")) == ["MspLetterDelivered"]
    assert after(sent, B.delivered()).letter_outcome == "DELIVERED"


def test_a_returned_letter_is_recorded_with_its_reason() -> None:
    sent = letter_attached().then(B.send_letter())
    returned = B.delivered(outcome="RETURNED_TO_SENDER", rts_reason="Unknown at address")

    refused(sent, B.delivered(outcome="RETURNED_TO_SENDER"), "MSP-A7")
    assert names(sent.when(returned)) == ["MspLetterReturnedToSender"]
    assert after(sent, returned).letter_outcome == "RETURNED_TO_SENDER"


def test_a_delivery_outcome_must_match_the_letter_and_tracking_id_sent() -> None:
    sent = letter_attached().then(B.send_letter())

    refused(letter_attached(), B.delivered(), "MSP-A7")
    refused(sent, B.delivered(tracking_id="AP-9999"), "MSP-A7")
    refused(sent, B.delivered(letter_id="L-9"), "MSP-A7")


def test_a_resent_letter_needs_a_fresh_delivery_outcome() -> None:
    resent = (
        letter_attached()
        .then(B.send_letter())
        .then(B.delivered(outcome="RETURNED_TO_SENDER", rts_reason="Moved, left no address"))
        .then(B.send_letter(tracking_id="AP-0002"))
    )

    refused(resent, B.delivered(), "MSP-A7")
    assert after(resent, B.delivered(tracking_id="AP-0002")).letter_outcome == "DELIVERED"


def test_a_delivery_outcome_dated_in_the_future_is_refused() -> None:
    sent = letter_attached().then(B.send_letter())

    refused(sent, B.delivered(outcome_at=EPOCH + timedelta(days=3)), "MSP-A10")


def test_a_police_hand_over_dated_in_the_future_is_refused() -> None:
    refused(letter_attached(), police(handed_at=EPOCH + timedelta(days=2)), "MSP-A10")


# -- M14 GrantOneOffVariation (A8) ----------------------------------------------------------------
@pytest.mark.parametrize("kind", ["FULL_FACE_TO_FACE", "PARTIAL_FACE_TO_FACE"])
def test_a_one_off_variation_is_granted_under_a_face_to_face_restriction(
    kind: RestrictionKind,
) -> None:
    b, scenario = plan_for(kind)

    events = accepted(scenario, variation(b), "MSP-A3", "MSP-A8")
    assert names(events) == ["MspOneOffVariationGranted"]
    assert isinstance(events[0], MspOneOffVariationGranted)
    assert events[0].appointment_at == EPOCH + timedelta(days=7)
    assert after(scenario, variation(b)).one_off_variations == (EPOCH + timedelta(days=7),)


@pytest.mark.parametrize("kind", ["WRITE_ONLY", "PHONE_ONLY", "NONE"])
def test_a_one_off_variation_is_refused_without_a_face_to_face_restriction(
    kind: RestrictionKind,
) -> None:
    b, scenario = plan_for(kind)

    refused(scenario, variation(b), "MSP-A8")


@pytest.mark.parametrize(
    "appointment_at",
    [EPOCH - timedelta(hours=1), END + timedelta(days=1), EPOCH],
    ids=["past", "after-end", "now"],
)
def test_a_one_off_variation_is_for_a_future_appointment_inside_the_plan(
    appointment_at: datetime,
) -> None:
    refused(active(), variation(appointment_at=appointment_at), "MSP-A8")


def test_only_a_decision_maker_grants_a_one_off_variation() -> None:
    refused(active(), variation(actor=OFFICER), "MSP-A3")


# -- M15 InviteCustomerToReview, M16 CompleteReview (A3, A9, R14, R15) ----------------------------
def test_a_reviewer_invites_the_customer_to_a_review() -> None:
    events = accepted(notified(), invite(), "MSP-A1", "MSP-A3", "MSP-A7", "MSP-R14")

    assert names(events) == ["MspReviewInvitationSent"]
    assert after(notified(), invite()).status == "UNDER_REVIEW"


def test_only_a_reviewer_or_decision_maker_invites_to_a_review() -> None:
    refused(notified(), invite(actor=OFFICER), "MSP-A3")
    assert names(notified().when(invite(actor=B.approver))) == ["MspReviewInvitationSent"]


def test_a_review_invitation_must_not_invite_contact_the_restriction_forbids() -> None:
    refused(notified(), invite(contact_invitations=("FACE_TO_FACE",)), "MSP-R14")
    refused(notified(), invite(includes_review_rights=False), "MSP-R14")
    refused(notified(), invite(delivery_method="STAFF_HAND_DELIVERY"), "MSP-R10")


def test_a_review_continuing_the_plan_unchanged_returns_it_to_active() -> None:
    events = accepted(under_review(), review("CONTINUE_UNCHANGED"), "MSP-A3", "MSP-R15")

    assert names(events) == ["MspReviewed"]
    state = after(under_review(), review("CONTINUE_UNCHANGED"))
    assert (state.status, state.notification_round) == ("ACTIVE", 1)
    assert state.notification_complete


def test_a_reviewer_may_continue_or_end_a_plan_but_not_vary_or_extend_it() -> None:
    reviewer = B.reviewer

    assert names(under_review().when(review("CONTINUE_UNCHANGED", actor=reviewer))) == [
        "MspReviewed"
    ]
    assert names(under_review().when(review("END_EARLY", actor=reviewer))) == [
        "MspReviewed",
        "MspEnded",
    ]
    vary = review("VARY", actor=reviewer, new_restrictions=(Restriction(kind="PHONE_ONLY"),))
    refused(under_review(), vary, "MSP-A3")
    extend = review("EXTEND", actor=reviewer, new_end_date=END.date() + timedelta(days=90))
    refused(under_review(), extend, "MSP-A3")
    refused(under_review(), review("CONTINUE_UNCHANGED", actor=OFFICER), "MSP-A3")


def test_a_review_needs_reasons_that_justify_its_outcome() -> None:
    refused(under_review(), review("END_EARLY", reasons=("Done.",)), "MSP-R15")


def test_a_plan_ended_early_at_review_is_ended_that_day() -> None:
    state = after(under_review(), review("END_EARLY"))

    assert (state.status, state.closed_on) == ("ENDED", EPOCH.date())


def test_a_varied_plan_takes_its_new_restrictions_and_starts_a_fresh_notification_round() -> None:
    command = review("VARY", new_restrictions=(Restriction(kind="PARTIAL_FACE_TO_FACE"),))

    assert names(accepted(under_review(), command, "MSP-A9")) == ["MspReviewed", "MspVaried"]
    varied = under_review().then(command)
    state = after(varied)
    assert state.restriction_kinds == {"PARTIAL_FACE_TO_FACE"}
    assert_fresh_notification_round(varied)


def test_an_extended_plan_takes_its_new_end_date_and_starts_a_fresh_notification_round() -> None:
    new_end = END.date() + timedelta(days=90)
    command = review("EXTEND", new_end_date=new_end)

    assert names(accepted(under_review(), command, "MSP-A9", "MSP-R14")) == [
        "MspReviewed",
        "MspExtended",
    ]
    extended = under_review().then(command)
    assert after(extended).end_date == new_end
    assert_fresh_notification_round(extended)


def assert_fresh_notification_round(scenario: Scenario) -> None:
    """The customer must be told again: earlier calls, letter and card no longer count."""
    state = after(scenario)
    assert (state.status, state.notification_round) == ("ACTIVE", 2)
    assert state.customer_informed_on is None
    assert (state.letter_sent_id, state.attached_letter_id, state.contact_card_issued) == (
        None,
        None,
        False,
    )
    assert not state.notification_complete
    refused(scenario, informed("PHONE"), "MSP-A4")
    refused(scenario, B.send_letter(), "MSP-R9")
    renotified = after(
        scenario,
        B.call(outcome="ENGAGED_SUCCESSFUL"),
        informed("PHONE"),
        B.attach(letter_id="L-1", letter_version=3),
        B.send_letter(tracking_id="AP-0002"),
    )
    assert renotified.notification_complete


def test_an_extension_needs_a_later_end_date() -> None:
    refused(under_review(), review("EXTEND"), "MSP-A9")
    refused(under_review(), review("EXTEND", new_end_date=END.date()), "MSP-A9")


def test_an_extension_beyond_the_maximum_duration_is_refused() -> None:
    too_long = review("EXTEND", new_end_date=EPOCH.date() + timedelta(days=731))

    refused(under_review(), too_long, "MSP-R14")


def test_a_variation_needs_the_new_restrictions() -> None:
    refused(under_review(), review("VARY"), "MSP-A9")


def test_a_variation_to_a_severe_restriction_needs_the_alternatives_considered() -> None:
    command = review("VARY", new_restrictions=(Restriction(kind="WRITE_ONLY"),))

    refused(under_review(), command, "MSP-R15")
    considered = command.model_copy(
        update={"alternatives_considered": "Phone-only was tried and the threats continued."}
    )
    assert names(under_review().when(considered)) == ["MspReviewed", "MspVaried"]


# -- M17 SendBehaviourWarning, SendRestrictionReminder --------------------------------------------
@pytest.mark.parametrize(
    ("cls", "kind"),
    [
        (SendBehaviourWarning, "BEHAVIOUR_WARNING"),
        (SendRestrictionReminder, "RESTRICTION_REMINDER"),
    ],
)
def test_customer_aggression_letters_are_sent_by_the_letter_policy(
    cls: type[SendBehaviourWarning | SendRestrictionReminder], kind: str
) -> None:
    events = accepted(active(), aggression_letter(cls), "MSP-R10", "MSP-A7", "MSP-R14")

    assert names(events) == ["CustomerAggressionLetterSent"]
    letter = events[0]
    assert isinstance(letter, CustomerAggressionLetterSent)
    assert (letter.kind, letter.delivery_method, letter.policy_version) == (kind, "PRIORITY", "V2")


@pytest.mark.parametrize("cls", [SendBehaviourWarning, SendRestrictionReminder])
def test_customer_aggression_letters_obey_the_letter_rules(
    cls: type[SendBehaviourWarning | SendRestrictionReminder],
) -> None:
    refused(active(), aggression_letter(cls, delivery_method="STAFF_HAND_DELIVERY"), "MSP-R10")
    refused(active(), aggression_letter(cls, tracking_id=""), "MSP-A7")
    refused(active(), aggression_letter(cls, includes_review_rights=False), "MSP-R14")
    refused(active(), aggression_letter(cls, contact_invitations=("FACE_TO_FACE",)), "MSP-R14")
    refused(draft(), aggression_letter(cls), "MSP-A1")


# -- M18 ExpireMsp (A9) ---------------------------------------------------------------------------
def test_a_plan_expires_on_its_end_date() -> None:
    events = accepted(active().at(END), expire(), "MSP-A9")

    assert names(events) == ["MspExpired"]
    state = after(active().at(END), expire())
    assert (state.status, state.closed_on) == ("EXPIRED", END.date())


def test_a_plan_under_review_expires_on_its_end_date_if_the_review_is_not_completed() -> None:
    assert after(under_review().at(END), expire()).status == "EXPIRED"


def test_a_plan_does_not_expire_before_its_end_date() -> None:
    error = refused(active().at(END - timedelta(days=1)), expire(), "MSP-A9")
    assert END.date().isoformat() in error.reason


def test_an_extended_plan_does_not_expire_on_its_old_end_date() -> None:
    extended = under_review().then(review("EXTEND", new_end_date=END.date() + timedelta(days=90)))

    refused(extended.at(END), expire(), "MSP-A9")


# -- AddMspNote -----------------------------------------------------------------------------------
@pytest.mark.parametrize("history", [draft, active], ids=["draft", "active"])
def test_a_free_note_is_added_to_the_plan(history: Callable[[], Scenario]) -> None:
    events = history().when(note())

    assert names(events) == ["MspNoteAdded"]
    assert isinstance(events[0], MspNoteAdded)
    assert (events[0].note_type, events[0].text) == ("OTHER", note().text)
    assert after(history(), note()).notes == after(history()).notes + 1


# -- the envelope every accepted event carries ----------------------------------------------------
def test_accepted_events_carry_the_command_envelope_and_consecutive_versions() -> None:
    command = B.call(
        outcome="AGGRESSION",
        new_incident=NEW_INCIDENT,
        note_text="Customer threatened the OMC.",
        reasons=("Notification call",),
        evidence_refs=("CALL-REC-7",),
        authority="104-07050030",
    )

    events = active().when(command)
    assert [e.originator_version for e in events] == [3, 4, 5]
    for event in events:
        assert event.originator_id == B.plan_id
        assert event.actor == B.officer
        assert (event.reasons, event.evidence_refs) == (("Notification call",), ("CALL-REC-7",))
        assert event.procedure_ref == "104-07050030 S1"
        assert event.rules_applied[:2] == ("MSP-A10", "MSP-A1")


def test_every_msp_command_is_exercised_by_these_tests() -> None:
    """A new command fails this until it has a builder here (and tests using it)."""
    commands = {
        type(c)
        for c in (
            B.record(),
            B.approve(),
            B.reject(),
            withdraw(),
            B.call(),
            informed(),
            waive(),
            representative_call(),
            link(),
            flag_command("SUICIDE_SELF_HARM"),
            clear_flag("SUICIDE_SELF_HARM"),
            B.sms(),
            card(),
            B.attach(),
            B.send_letter(),
            police(),
            B.delivered(),
            variation(),
            invite(),
            review("CONTINUE_UNCHANGED"),
            aggression_letter(SendBehaviourWarning),
            aggression_letter(SendRestrictionReminder),
            expire(),
            note(),
        )
    }
    assert commands == set(_all_commands())


def _all_commands() -> list[type[MspCommand]]:
    # Every module of the package: a command defined anywhere in it, exported or not.
    modules = [
        msp,
        *(import_module(f"{msp.__name__}.{m.name}") for m in iter_modules(msp.__path__)),
    ]
    return [
        c
        for module in modules
        for c in vars(module).values()
        if isinstance(c, type)
        and issubclass(c, MspCommand)
        and c.__module__.startswith(f"{msp.__name__}.")
        and not c.__name__.startswith("_")
        and c is not MspCommand
    ]


def test_dates_are_reckoned_in_the_configured_local_time_zone() -> None:
    # 23:00 UTC on 30 Aug is 9 am on 31 Aug in Sydney: the plan's end date has been reached.
    plan = msp_builder(now=EPOCH)
    end = plan.record().end_date
    utc_moment = datetime(end.year, end.month, end.day, 9, tzinfo=EPOCH.tzinfo).astimezone(UTC)
    events = given(plan.approved_plan(), now=utc_moment).when(
        plan.command(ExpireMsp, actor=staff(Role.SYSTEM))
    )
    expired = events[-1]
    assert isinstance(expired, MspExpired)
    assert expired.expired_on == end
    assert expired.occurred_at.hour == 9  # recorded in Sydney time, not UTC
