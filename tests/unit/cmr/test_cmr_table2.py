"""Table 2 of the case managed recovery procedure: outbound contact and discussion (C9-C21),
with contact hours and frequency (X-R6 to X-R9).

The helpers and histories are in ``cmr_support.py``; see its docstring for the timeline.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from cmr_support import (
    Q190_ISSUED,
    SMS,
    ZONE,
    B,
    accepted,
    after,
    at,
    config,
    contacted,
    investigating,
    letter,
    names,
    onboarded,
    refused,
    refused_customer,
    single,
)

from recoverycore.aggregates import cmr
from recoverycore.aggregates.cmr import ContactCalendar, DayCount
from recoverycore.events import Actor, Role
from recoverycore.events.cmr import (
    ArrangementAgreed,
    ContactAttempted,
    DebtDiscussed,
    PreCallSmsSent,
    RecoveryPaused,
    ReviewRequested,
)
from recoverycore.testing import CaseScenario, case_staff


# == Table 2: outbound contact and discussion =====================================================
# -- C9 RecordCapacityReview ----------------------------------------------------------------------
def test_the_case_manager_reviews_the_record_for_capacity_to_pay() -> None:
    assert names(accepted(onboarded(), B.capacity_review())) == ["RecordReviewed"]
    assert after(onboarded(), B.capacity_review()).record_reviewed


# -- C10 SendPreCallSms, CMR-A3 -------------------------------------------------------------------
def test_a_pre_call_sms_goes_to_a_subscribed_customer_and_counts_as_a_contact() -> None:
    scenario = SMS.onboarded().at(at(0, 10))

    sms = single(accepted(scenario, SMS.pre_call_sms(), "CMR-A3", "X-R3", "X-R4"), PreCallSmsSent)
    assert "0413" not in sms.mobile_number_hash
    state = after(scenario, SMS.pre_call_sms())
    assert state.pre_call_sms_pending
    assert [(c.channel, c.actual) for c in state.contacts] == [("SMS", True)]


def test_no_pre_call_sms_to_a_customer_not_subscribed_to_sms() -> None:
    refused(onboarded().at(at(0, 10)), B.pre_call_sms(), "CMR-A3")


def test_every_call_to_a_subscribed_customer_follows_a_pre_call_sms() -> None:
    scenario = SMS.onboarded().at(at(0, 10))

    refused(scenario, SMS.contact_attempt(), "CMR-A3")
    after_sms = scenario.then(SMS.pre_call_sms()).at(at(0, 10, 5))
    assert names(accepted(after_sms, SMS.contact_attempt(), "CMR-A3")) == ["ContactAttempted"]
    refused(after_sms.then(SMS.contact_attempt()).at(at(1)), SMS.contact_attempt(), "CMR-A3")


# -- C11 RecordContactAttempt ---------------------------------------------------------------------
def test_an_unanswered_call_is_recorded_as_an_attempt_not_an_actual_contact() -> None:
    scenario = onboarded().at(at(0, 10))

    attempt = single(accepted(scenario, B.contact_attempt(), "X-R6", "X-R8"), ContactAttempted)
    assert (attempt.attempt_no, attempt.outcome, attempt.actual_contact) == (1, "NO_ANSWER", False)


@pytest.mark.parametrize(
    ("fields", "actual"),
    [
        ({"outcome": "ENGAGED"}, True),
        ({"outcome": "VOICEMAIL", "voicemail_left": True}, True),
        ({"channel": "EMAIL", "outcome": "NO_ANSWER"}, True),
        ({"outcome": "WRONG_NUMBER"}, False),
    ],
    ids=["engaged", "voicemail", "email", "wrong-number"],
)
def test_engaged_calls_voicemails_and_emails_are_actual_contacts(
    fields: dict[str, Any], actual: bool
) -> None:
    attempt = single(onboarded().at(at(0, 10)).when(B.contact_attempt(**fields)), ContactAttempted)

    assert attempt.actual_contact is actual


@pytest.mark.parametrize("note", ["", "   "])
def test_every_contact_attempt_needs_a_note(note: str) -> None:
    refused(onboarded().at(at(0, 10)), B.contact_attempt(note=note), "CMR-A2")


def test_a_voicemail_must_not_say_the_reason_for_the_call() -> None:
    command = B.contact_attempt(
        outcome="VOICEMAIL", voicemail_left=True, voicemail_disclosed_reason=True
    )

    refused(onboarded().at(at(0, 10)), command, "CMR-R5")


def test_a_third_party_is_told_the_reason_only_with_the_customers_express_authority() -> None:
    scenario = onboarded().at(at(0, 10))
    told = B.contact_attempt(outcome="NO_ANSWER", third_party_told_reason=True)

    refused(scenario, told, "CMR-R5")
    authorised = B.contact_attempt(third_party_told_reason=True, third_party_has_authority=True)
    assert names(scenario.when(authorised)) == ["ContactAttempted"]


# -- X-R6 contact hours ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("when", "allowed"),
    [
        (datetime(2026, 3, 3, 7, 29, tzinfo=ZONE), False),
        (datetime(2026, 3, 3, 7, 30, tzinfo=ZONE), True),
        (datetime(2026, 3, 3, 21, 0, tzinfo=ZONE), True),
        (datetime(2026, 3, 3, 21, 1, tzinfo=ZONE), False),
        (datetime(2026, 3, 7, 8, 59, tzinfo=ZONE), False),
        (datetime(2026, 3, 7, 9, 0, tzinfo=ZONE), True),
        (datetime(2026, 3, 8, 20, 59, tzinfo=ZONE), True),
        (datetime(2026, 3, 8, 21, 30, tzinfo=ZONE), False),
    ],
    ids=[
        "tue-7.29",
        "tue-7.30",
        "tue-21.00",
        "tue-21.01",
        "sat-8.59",
        "sat-9.00",
        "sun-20.59",
        "sun-21.30",
    ],
)
def test_calls_are_made_between_7_30_and_9_pm_on_weekdays_and_9_and_9_on_weekends(
    when: datetime, allowed: bool
) -> None:
    scenario = onboarded().at(when)

    if allowed:
        assert names(scenario.when(B.contact_attempt())) == ["ContactAttempted"]
    else:
        error = refused(scenario, B.contact_attempt(), "X-R6")
        assert "outside contact hours" in error.reason


def test_no_contact_on_a_national_public_holiday_from_the_contact_calendar() -> None:
    good_friday = datetime(2026, 4, 3, 10, 0, tzinfo=ZONE)
    holidays = ContactCalendar(public_holidays=frozenset({good_friday.date()}))
    scenario = onboarded().at(good_friday)

    assert names(scenario.when(B.contact_attempt())) == ["ContactAttempted"]
    error = refused(scenario.with_calendar(holidays), B.contact_attempt(), "X-R6")
    assert "public holiday" in error.reason
    refused(SMS.onboarded().at(good_friday).with_calendar(holidays), SMS.pre_call_sms(), "X-R6")


def test_contact_hours_are_the_customers_local_time() -> None:
    perth = config(time_zone="Australia/Perth")
    ten_in_sydney = onboarded().at(at(1, 10)).configured(perth)

    error = refused(ten_in_sydney, B.contact_attempt(), "X-R6")
    assert "07:00" in error.reason
    assert names(ten_in_sydney.at(at(1, 11)).when(B.contact_attempt())) == ["ContactAttempted"]


def test_a_pre_call_sms_is_also_sent_only_in_contact_hours() -> None:
    refused(SMS.onboarded().at(at(1, 22)), SMS.pre_call_sms(), "X-R6")


def test_letters_are_not_bound_by_contact_hours() -> None:
    assert names(contacted().at(at(2, 22, 30)).when(B.q190())) == ["LetterIssued"]


def test_contact_hours_are_configurable() -> None:
    early = config(weekday_contact_hours=(time(7, 0), time(20, 0)))

    assert names(onboarded().at(at(1, 7, 10)).configured(early).when(B.contact_attempt()))
    refused(onboarded().at(at(1, 20, 30)).configured(early), B.contact_attempt(), "X-R6")


# -- X-R8 contact frequency -----------------------------------------------------------------------
def test_a_third_unanswered_call_the_same_day_is_excessive() -> None:
    scenario = (
        onboarded()
        .then_at(at(0, 10), B.contact_attempt())
        .then_at(at(0, 15), B.contact_attempt())
        .at(at(0, 18))
    )

    error = refused(scenario, B.contact_attempt(), "X-R8")
    assert "2 contact attempts" in error.reason
    assert names(scenario.at(at(1, 10)).when(B.contact_attempt())) == ["ContactAttempted"]


def test_a_subscribed_customer_can_be_called_morning_and_afternoon_after_pre_call_sms() -> None:
    scenario = (
        SMS.onboarded()
        .then_at(at(0, 10), SMS.pre_call_sms())
        .then_at(at(0, 10, 5), SMS.contact_attempt())
        .then_at(at(0, 15), SMS.pre_call_sms())
        .at(at(0, 15, 5))
    )

    assert names(scenario.when(SMS.contact_attempt())) == ["ContactAttempted"]


def engaged_calls_on(*days: int) -> CaseScenario:
    scenario = onboarded()
    for day in days:
        scenario = scenario.then_at(at(day), B.contact_attempt(outcome="ENGAGED"))
    return scenario


def test_a_fourth_actual_contact_in_seven_days_is_refused_and_letters_count() -> None:
    scenario = engaged_calls_on(0, 1, 2).at(at(3))

    error = refused(scenario, B.q190(), "X-R8")
    assert "3 actual contacts in the last 7 days" in error.reason
    refused(scenario, B.contact_attempt(outcome="ENGAGED"), "X-R8")
    assert names(scenario.at(at(7)).when(B.q190())) == ["LetterIssued"]


def test_pre_call_sms_and_letters_count_towards_the_weekly_cap() -> None:
    scenario = SMS.final_option_sent().at(at(3))

    assert len([c for c in after(scenario).contacts if c.actual]) == 3
    refused(scenario, SMS.pre_call_sms(), "X-R8")
    refused(scenario, SMS.contact_attempt(channel="EMAIL", note="Emailed the customer."), "X-R8")
    assert names(scenario.at(at(8)).when(SMS.pre_call_sms())) == ["PreCallSmsSent"]


def test_an_eleventh_actual_contact_in_thirty_days_is_refused() -> None:
    scenario = engaged_calls_on(0, 1, 2, 7, 8, 9, 14, 15, 16, 21)

    error = refused(scenario.at(at(28)), B.contact_attempt(outcome="ENGAGED"), "X-R8")
    assert "10 actual contacts in the last 30 days" in error.reason
    assert names(scenario.at(at(30)).when(B.contact_attempt(outcome="ENGAGED")))


def test_the_contact_caps_are_configurable() -> None:
    scenario = (
        engaged_calls_on(0, 1, 2).at(at(3)).configured(config(max_actual_contacts_per_week=4))
    )

    assert names(scenario.when(B.q190())) == ["LetterIssued"]


# -- X-R7 face-to-face contact --------------------------------------------------------------------
def face_to_face(**kw: Any) -> cmr.RecordContactAttempt:
    fields: dict[str, Any] = {
        "channel": "FACE_TO_FACE",
        "outcome": "ENGAGED",
        "note": "Field visit at the home address.",
        "reasons": ("No response to calls or the Q190; a field visit is the last resort.",),
    }
    return B.contact_attempt(**{**fields, **kw})


def test_face_to_face_contact_is_a_last_resort_after_calls_and_a_contact_letter() -> None:
    refused(onboarded().at(at(0, 10)), face_to_face(), "X-R7")
    scenario = B.final_option_sent().at(at(8))
    assert names(accepted(scenario, face_to_face(), "X-R7", "X-R6")) == ["ContactAttempted"]


def test_face_to_face_contact_records_its_reasons() -> None:
    refused(B.final_option_sent().at(at(8)), face_to_face(reasons=()), "X-R7")


# -- X-R9 contact while an arrangement is in place ------------------------------------------------
def test_no_recovery_contact_while_an_arrangement_is_in_place() -> None:
    scenario = B.arranged().at(at(2))

    refused(scenario, B.contact_attempt(), "X-R9")
    for purpose in ("DEBTOR_REQUESTED", "BETTER_ALTERNATIVE", "DEFAULT"):
        assert names(scenario.when(B.contact_attempt(purpose=purpose))) == ["ContactAttempted"]


def test_no_final_option_letter_while_an_arrangement_is_in_place() -> None:
    scenario = (
        B.contacted_without_answer()
        .then_at(at(1, 11), B.discussion())
        .then_at(at(1, 11, 10), B.acceptable_arrangement())
        .at(at(2))
    )

    refused(scenario, B.q190(), "X-R9")


# -- C12 IssueContactLetterQ164 / C13 IssueFinalOptionLetterQ190, CMR-A4 --------------------------
def test_a_q164_gives_a_customer_unaware_of_the_debt_15_days_to_respond() -> None:
    issued = letter(accepted(contacted(), B.q164(), "CMR-A4", "CMR-R5", "X-R10", "X-R8"))

    assert (issued.code, issued.purpose) == ("Q164", "CONTACT")
    assert issued.response_period == DayCount(days=15)
    assert issued.respond_by == Q190_ISSUED + timedelta(days=15)
    assert issued.address == B.address
    assert not issued.counts_as_garnishee_warning


def test_a_q190_final_option_gives_15_days_to_respond_and_is_a_garnishee_warning() -> None:
    issued = letter(accepted(contacted(), B.q190(), "CMR-A4", "CMR-R5", "X-R10"))

    assert (issued.code, issued.purpose) == ("Q190", "FINAL_OPTION")
    assert issued.response_period == DayCount(days=15, unit="CALENDAR")
    assert issued.respond_by == date(2026, 3, 19)
    assert issued.counts_as_garnishee_warning
    state = after(contacted(), B.q190())
    assert state.letters[0].respond_by == date(2026, 3, 19)
    assert state.contacts[-1].channel == "LETTER"


def test_a_q164_is_for_a_customer_unaware_of_the_debt_and_a_q190_for_one_aware() -> None:
    refused(contacted(), B.q164(customer_aware_of_debt=True), "CMR-A4")
    refused(contacted(), B.q190(customer_aware_of_debt=False), "CMR-A4")


def test_a_contact_letter_follows_two_genuine_call_attempts() -> None:
    one_call = onboarded().then_at(at(0, 10), B.contact_attempt()).at(at(0, 11))
    close_together = one_call.then(B.contact_attempt()).at(at(0, 12))

    refused(onboarded(), B.q190(), "CMR-A4")
    refused(one_call, B.q190(), "CMR-A4")
    error = refused(close_together, B.q190(), "CMR-A4")
    assert "2 genuine" in error.reason
    engaged = onboarded().then_at(at(0, 10), B.contact_attempt(outcome="ENGAGED")).at(at(0, 11))
    assert names(engaged.when(B.q190())) == ["LetterIssued"]


@pytest.mark.parametrize(
    "fields",
    [
        {"privacy_safeguarded": False},
        {"address_confirmed": False},
        {"address": "  "},
    ],
    ids=["privacy-not-safeguarded", "address-not-confirmed", "no-address"],
)
def test_a_letter_needs_privacy_safeguarded_and_the_address_confirmed_and_recorded(
    fields: dict[str, Any],
) -> None:
    refused(contacted(), B.q190(**fields), "CMR-R5")
    refused(contacted(), B.q164(**fields), "CMR-R5")


def test_a_letter_asserting_a_debt_states_how_to_seek_a_review() -> None:
    error = refused(contacted(), B.q190(includes_review_rights=False), "X-R10")

    assert "review" in error.reason


def test_a_response_period_shorter_than_14_days_is_refused() -> None:
    short = contacted().configured(config(contact_letter_response=DayCount(days=10)))

    error = refused(short, B.q190(), "X-R10")
    assert "10 days" in error.reason
    lenient = short.configured(
        config(contact_letter_response=DayCount(days=10), min_notice_response_days=10)
    )
    assert letter(lenient.when(B.q190())).respond_by == Q190_ISSUED + timedelta(days=10)


def test_a_letter_id_is_used_once() -> None:
    refused(B.final_option_sent().at(at(9)), B.q164(letter_id="Q190-1"), "CMR-A2")


# -- day counts -----------------------------------------------------------------------------------
def test_a_response_period_in_business_days_skips_weekends_and_public_holidays() -> None:
    business = config(contact_letter_response=DayCount(days=15, unit="BUSINESS"))
    scenario = contacted().configured(business)

    issued = letter(scenario.when(B.q190()))
    assert issued.response_period == DayCount(days=15, unit="BUSINESS")
    assert issued.respond_by == date(2026, 3, 25)
    with_holiday = scenario.with_holidays(date(2026, 3, 16))
    assert letter(with_holiday.when(B.q190())).respond_by == date(2026, 3, 26)


def test_add_days_counts_calendar_or_business_days() -> None:
    friday = date(2026, 4, 2)
    easter = (date(2026, 4, 3), date(2026, 4, 6))

    assert cmr.add_days(friday, DayCount(days=3)) == date(2026, 4, 5)
    assert cmr.add_days(friday, DayCount(days=3, unit="BUSINESS")) == date(2026, 4, 7)
    assert cmr.add_days(friday, DayCount(days=3, unit="BUSINESS"), easter) == date(2026, 4, 9)
    assert cmr.add_days(friday, DayCount(days=0, unit="BUSINESS")) == friday


# -- C14 RecordDiscussion -------------------------------------------------------------------------
def test_the_debt_is_discussed_once_the_customers_identity_is_confirmed() -> None:
    command = B.discussion(customer_queried_debt=True)

    discussed = single(accepted(onboarded(), command, "CMR-R5"), DebtDiscussed)
    assert discussed.customer_queried_debt


def test_the_debt_is_not_discussed_before_identity_is_confirmed() -> None:
    refused(onboarded(), B.discussion(identity_confirmed=False), "CMR-R5")


def test_a_verbal_garnishee_warning_given_in_a_discussion_is_remembered() -> None:
    state = after(onboarded(), B.discussion(garnishee_warning_given=True))

    assert state.verbal_warnings == (date(2026, 3, 2),)


# -- C15 RequestExplanationOrReview, PauseRecovery, ResumeRecovery (X-R1, X-R5) -------------------
@pytest.mark.parametrize("kind", ["EXPLANATION", "REVIEW", "REASSESSMENT", "ART_REVIEW"])
def test_a_review_request_pauses_recovery_of_those_debts_only(kind: str) -> None:
    command = B.request_review(kind=kind)

    events = accepted(investigating(), command, "CMR-A2")
    assert names(events) == ["ReviewRequested", "RecoveryPaused"]
    requested, paused = events
    assert isinstance(requested, ReviewRequested)
    assert isinstance(paused, RecoveryPaused)
    assert (requested.debt_ids, paused.debt_ids, paused.reason) == (("D-1",), ("D-1",), kind)
    assert after(investigating(), command).paused_debts() == {"D-1": kind}


def test_a_review_names_debts_of_this_case() -> None:
    error = refused(investigating(), B.request_review(debt_ids=("D-9",)), "CMR-A2")

    assert "D-9" in error.reason
    refused(investigating(), B.request_review(debt_ids=()), "CMR-A2")


@pytest.mark.parametrize("reason", ["DISASTER", "VULNERABILITY", "REDRESS"])
def test_a_documented_pause_excludes_debts_from_recovery(reason: str) -> None:
    command = B.pause(reason=reason)

    assert names(accepted(investigating(), command, "X-R5")) == ["RecoveryPaused"]
    assert after(investigating(), command).paused_debts() == {"D-1": reason}


def test_a_pause_without_documented_reasons_is_refused() -> None:
    refused(investigating(), B.pause(reasons=()), "X-R5")


def test_a_pause_id_is_used_once() -> None:
    scenario = investigating().then(B.pause())

    refused(scenario, B.pause(debt_ids=("D-2",)), "CMR-A2")
    refused(scenario, B.request_review(debt_ids=("D-2",)), "CMR-A2")


def test_recovery_resumes_with_reasons() -> None:
    scenario = investigating().then(B.request_review())

    assert names(accepted(scenario, B.resume(), "CMR-A8")) == ["RecoveryResumed"]
    assert after(scenario, B.resume()).paused_debts() == {}
    refused(scenario, B.resume(reasons=()), "CMR-A8")


def test_only_a_pause_in_force_is_resumed() -> None:
    refused(investigating(), B.resume(), "CMR-A1")


# -- C16-C21 arrangements, refusal ----------------------------------------------------------------
def test_an_acceptable_arrangement_is_recorded() -> None:
    scenario = onboarded().then(B.discussion())

    agreed = single(accepted(scenario, B.acceptable_arrangement()), ArrangementAgreed)
    assert (agreed.kind, agreed.amount) == ("ACCEPTABLE", Decimal("150"))
    assert after(scenario, B.acceptable_arrangement()).stage == "IN_ARRANGEMENT"


def test_a_financial_circumstance_assessment_is_recorded() -> None:
    state = after(onboarded(), B.fca())

    assert state.fca is not None
    assert (state.fca.assessed_on, state.fca.excess_income_per_fortnight) == (
        date(2026, 3, 2),
        Decimal("180"),
    )


def test_an_interim_arrangement_rests_on_a_financial_circumstance_assessment() -> None:
    refused(onboarded(), B.interim_arrangement(), "CMR-A10")
    events = accepted(onboarded().then(B.fca()), B.interim_arrangement(), "CMR-A10")
    agreed = single(events, ArrangementAgreed)
    assert (agreed.kind, agreed.fca_id) == ("INTERIM", "FCA-1")


def test_a_broken_arrangement_sends_the_case_to_investigation() -> None:
    scenario = B.arranged()

    assert names(accepted(scenario, B.arrangement_broken())) == ["ArrangementBroken"]
    state = after(scenario, B.arrangement_broken())
    assert (state.arrangement, state.refused, state.stage) == (None, True, "INVESTIGATION")
    refused(onboarded(), B.arrangement_broken(), "CMR-A1")


def test_a_callback_is_agreed_for_a_date_not_yet_past() -> None:
    scenario = onboarded()

    assert after(scenario, B.callback()).callback_on == date(2026, 3, 9)
    assert names(scenario.when(B.callback(callback_on=date(2026, 3, 2))))
    refused(scenario, B.callback(callback_on=date(2026, 3, 1)), "CMR-A2")


def test_a_refusal_is_documented_and_investigation_follows() -> None:
    scenario = B.final_option_sent().at(at(3))

    assert names(accepted(scenario, B.refusal())) == ["ArrangementRefused"]
    state = after(scenario, B.refusal())
    assert (state.refused, state.stage) == (True, "INVESTIGATION")


def test_a_customer_who_retracts_their_refusal_goes_back_to_negotiation() -> None:
    state = after(refused_customer(), B.refusal_retracted())

    assert (state.refused, state.refusal_retracted, state.stage) == (False, True, "ENGAGEMENT")
    refused(onboarded(), B.refusal_retracted(), "CMR-A1")


@pytest.mark.parametrize(
    "actor",
    [B.case_manager, case_staff(Role.DEBT_STAFF, "DS-0600", "APS6", "Debt Recovery"), B.debt_staff],
    ids=["aps5-case-manager", "aps6-debt-staff-elsewhere", "aps5-debt-staff"],
)
def test_debt_staff_at_aps5_or_above_decide_an_arrangement_is_not_reasonable(actor: Actor) -> None:
    command = B.declare_not_reasonable(actor=actor)

    assert names(accepted(refused_customer(), command, "CMR-R13")) == [
        "ArrangementDeemedUnreasonable"
    ]
    assert after(refused_customer(), command).deemed_unreasonable


@pytest.mark.parametrize(
    "actor",
    [
        case_staff(Role.CASE_MANAGER, "CM-3012", "APS4"),
        case_staff(Role.DEBT_STAFF, "DS-1", "APS4", "Debt Recovery"),
        case_staff(Role.SRT_OFFICER, "SRTO-1", "APS6"),
    ],
    ids=["aps4-case-manager", "aps4-debt-staff", "srt-officer"],
)
def test_only_aps5_debt_staff_decide_an_arrangement_is_not_reasonable(actor: Actor) -> None:
    refused(refused_customer(), B.declare_not_reasonable(actor=actor), "CMR-R13")


def test_an_arrangement_is_not_deemed_unreasonable_without_documented_reasons() -> None:
    refused(refused_customer(), B.declare_not_reasonable(reasons=("Too low.",)), "CMR-R13")
