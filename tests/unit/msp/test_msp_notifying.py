"""Notifying the customer (procedure 104-07050030): calls (M3), informed (M4), the decision not
to call directly and representatives (M5, M6), incidents and safety flags (M7), SMS (M8) and
the contact card (M9). Helpers are in ``msp_support.py``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from msp_support import (
    CHECKLIST,
    NEW_INCIDENT,
    OFFICER,
    B,
    accepted,
    active,
    after,
    card,
    clear_flag,
    draft,
    flag_command,
    flagged,
    informed,
    letter_attached,
    link,
    names,
    plan_for,
    police,
    refused,
    representative_call,
    waive,
)

from recoverycore.aggregates.msp import SendMspSms
from recoverycore.events import Role
from recoverycore.events.msp import (
    ContactPoint,
    MspContactAttempted,
    MspCustomerInformed,
    MspDirectContactWaived,
    MspIncidentLinked,
    MspNoteAdded,
    MspRepresentativeContacted,
    MspSmsBlocked,
    MspSmsSent,
    MspVulnerabilityFlagRecorded,
    MultiRecordCheck,
)
from recoverycore.testing import EPOCH, Scenario, staff


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
