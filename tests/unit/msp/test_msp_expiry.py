"""MSP-A11: a plan is in force only until its end date, whether or not the timer has expired it.

The trial (issue 13): "MSPs never expire by themselves: six weeks after the end date an SMS and
a restriction reminder were accepted."
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import pytest
from msp_support import (
    END,
    REASONS,
    B,
    accepted,
    active,
    aggression_letter,
    card,
    clear_flag,
    draft,
    expire,
    flag_command,
    flagged,
    informed,
    invite,
    link,
    names,
    note,
    notified,
    police,
    representative_call,
    review,
    under_review,
    variation,
    waive,
    withdraw,
)

from recoverycore.aggregates.msp import (
    MspCommand,
    MspConfig,
    SendBehaviourWarning,
    SendRestrictionReminder,
)
from recoverycore.events.msp import Restriction
from recoverycore.testing import Scenario, assert_refused, given, msp_builder

SIX_WEEKS_LATER = END + timedelta(weeks=6)
END_DATE = END.date()


def refused_as_past_its_end_date(scenario: Scenario, command: MspCommand) -> None:
    error = assert_refused(scenario, command, "MSP-A11")
    assert END_DATE.isoformat() in error.reason, error.reason
    assert "no longer in force" in error.reason
    assert "new MSP" in error.remedy


# -- the trial ------------------------------------------------------------------------------------
def test_six_weeks_after_the_end_date_an_sms_and_a_restriction_reminder_are_refused() -> None:
    # Before the timer has recorded the expiry: the plan still says ACTIVE.
    plan = active().at(SIX_WEEKS_LATER)
    assert plan.state is not None
    assert plan.state.status == "ACTIVE"

    refused_as_past_its_end_date(plan, B.sms())
    refused_as_past_its_end_date(plan, aggression_letter(SendRestrictionReminder))


def test_after_the_timer_expired_the_plan_the_sms_and_the_reminder_are_still_refused() -> None:
    expired = active().at(END).then(expire()).at(SIX_WEEKS_LATER)
    assert expired.state is not None
    assert expired.state.status == "EXPIRED"

    # An expired plan is closed: MSP-A1 (terminal is final) refuses first, naming the status.
    for command in (B.sms(), aggression_letter(SendRestrictionReminder)):
        error = assert_refused(expired, command, "MSP-A1")
        assert "expired" in error.reason


def test_the_day_before_the_end_date_the_plan_is_still_in_force() -> None:
    last_day = active().at(END - timedelta(days=1))

    assert names(last_day.when(B.sms())) == ["MspSmsSent"]
    assert names(last_day.when(aggression_letter(SendRestrictionReminder))) == [
        "CustomerAggressionLetterSent"
    ]


# -- every command that needs the plan in force ---------------------------------------------------
UNDER_THE_PLAN: dict[str, Callable[[], MspCommand]] = {
    "call": B.call,
    "representative": representative_call,
    "waive": waive,
    "informed": informed,
    "sms": B.sms,
    "card": card,
    "attach": B.attach,
    "letter": B.send_letter,
    "police": lambda: police(handed_at=END),
    "variation": lambda: variation(appointment_at=END + timedelta(days=3)),
    "invite": invite,
    "review-extend": lambda: review("EXTEND", new_end_date=END_DATE + timedelta(days=90)),
    "review-end-early": lambda: review("END_EARLY"),
    "warning": lambda: aggression_letter(SendBehaviourWarning),
    "reminder": lambda: aggression_letter(SendRestrictionReminder),
}


@pytest.mark.parametrize("command", sorted(UNDER_THE_PLAN))
@pytest.mark.parametrize("history", [active, under_review], ids=["active", "under-review"])
def test_from_the_end_date_on_nothing_that_needs_the_plan_in_force_is_accepted(
    command: str, history: Callable[[], Scenario]
) -> None:
    scenario = history().at(END)
    refused_as_past_its_end_date(scenario, UNDER_THE_PLAN[command]())


def test_a_draft_past_its_end_date_is_not_in_force_either() -> None:
    refused_as_past_its_end_date(draft().at(END), B.sms())
    # A decision on the plan itself is still taken: approved, the next tick expires it.
    assert names(draft().at(END).when(B.reject())) == ["MspRejected"]
    assert names(draft().at(END).when(B.approve())) == ["MspApproved"]


# -- what records what happened, or ends the plan, is still accepted ------------------------------
AFTERWARDS: dict[str, Callable[[], MspCommand]] = {
    "note": note,
    "link": link,
    "flag": lambda: flag_command("SUICIDE_SELF_HARM"),
    "withdraw": withdraw,
    "expire": expire,
}


@pytest.mark.parametrize("command", sorted(AFTERWARDS))
def test_after_the_end_date_what_happened_can_still_be_recorded(command: str) -> None:
    accepted(active().at(SIX_WEEKS_LATER), AFTERWARDS[command]())


def test_the_delivery_outcome_of_a_letter_sent_before_the_end_date_is_still_recorded() -> None:
    sent = notified().at(SIX_WEEKS_LATER)
    events = accepted(sent, B.delivered(outcome_at=END + timedelta(days=2)))
    assert names(events) == ["MspLetterDelivered"]


def test_a_safety_flag_can_still_be_cleared_after_the_end_date() -> None:
    scenario = flagged("SUICIDE_SELF_HARM").at(SIX_WEEKS_LATER)
    assert names(scenario.when(clear_flag("SUICIDE_SELF_HARM"))) == ["MspVulnerabilityFlagCleared"]


def test_a_call_made_before_the_end_date_may_be_recorded_after_it() -> None:
    made = END - timedelta(days=1)
    late = active().at(SIX_WEEKS_LATER)

    events = late.when(B.call(occurred_at=made))
    assert events[0].occurred_at == made
    refused_as_past_its_end_date(late, B.call(occurred_at=END))


def test_a_police_hand_over_is_dated_by_when_the_police_made_it() -> None:
    attached = active().then(B.attach()).at(SIX_WEEKS_LATER)

    assert "MspLetterHandedByPolice" in names(
        attached.when(police(handed_at=END - timedelta(days=1)))
    )
    refused_as_past_its_end_date(attached, police(handed_at=END))


# -- a review that extended the plan moves the end date -------------------------------------------
def test_an_extended_plan_is_in_force_until_its_new_end_date() -> None:
    new_end = END_DATE + timedelta(days=90)
    extended = under_review().then(review("EXTEND", new_end_date=new_end))

    later = extended.at(SIX_WEEKS_LATER)
    assert names(later.when(B.sms())) == ["MspSmsSent"]
    assert names(later.when(aggression_letter(SendRestrictionReminder))) == [
        "CustomerAggressionLetterSent"
    ]
    assert_refused(later, expire(), "MSP-A9")

    at_new_end = extended.at(datetime.combine(new_end, time(10), END.tzinfo))
    error = assert_refused(at_new_end, B.sms(), "MSP-A11")
    assert new_end.isoformat() in error.reason
    assert names(at_new_end.when(expire())) == ["MspExpired"]


def test_a_review_cannot_extend_a_plan_once_its_end_date_has_been_reached() -> None:
    late = under_review().at(END)
    extend = review("EXTEND", new_end_date=END_DATE + timedelta(days=90), reasons=REASONS)

    refused_as_past_its_end_date(late, extend)


# -- the date is the plan's local date ---------------------------------------------------------
def test_the_end_date_is_reckoned_in_the_plans_own_time_zone() -> None:
    # 00:30 on the end date in Sydney is still 22:30 the day before in Perth.
    moment = datetime.combine(END_DATE, time(0, 30), END.tzinfo).astimezone(UTC)
    sydney = active().at(moment)
    refused_as_past_its_end_date(sydney, B.sms(occurred_at=moment))

    perth = msp_builder(config=MspConfig(time_zone="Australia/Perth"))
    perth_plan = given(perth.approved_plan(), now=moment).configured(perth.config)
    assert names(perth_plan.when(perth.sms(occurred_at=moment))) == ["MspSmsSent"]


def test_a_one_off_variation_appointment_must_fall_before_the_end_date() -> None:
    b = msp_builder(restrictions=(Restriction(kind="FULL_FACE_TO_FACE"),))
    plan = given(b.approved_plan(), now=b.now).configured(b.config)
    on_end_date = datetime.combine(END_DATE, time(10), END.tzinfo)

    assert_refused(plan, variation(b, appointment_at=on_end_date), "MSP-A8")
    accepted(plan, variation(b, appointment_at=on_end_date - timedelta(days=1)), "MSP-A8")
