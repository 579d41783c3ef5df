"""The follow-up policy, given/when/then: which events schedule, complete, cancel and make due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from recoverycore.aggregates.cmr import CaseConfig
from recoverycore.days import add_days
from recoverycore.events import DomainEvent
from recoverycore.events.cmr import DayCount, LetterIssued
from recoverycore.events.follow_ups import (
    FollowUpCancelled,
    FollowUpCompleted,
    FollowUpDue,
    FollowUpEvent,
    FollowUpScheduled,
)
from recoverycore.msp import WithdrawMsp
from recoverycore.policies import follow_ups as fu
from recoverycore.testing import case_builder, given, msp_builder

B = case_builder()


def run(
    events: Sequence[DomainEvent], holidays: frozenset[date] = frozenset()
) -> tuple[fu.FollowUpLedger | None, list[FollowUpEvent]]:
    ledger: fu.FollowUpLedger | None = None
    recorded: list[FollowUpEvent] = []
    for event in events:
        new = fu.react(ledger, event, holidays=holidays)
        ledger = fu.fold(new, ledger)
        recorded.extend(new)
    return ledger, recorded


def scheduled(recorded: Sequence[FollowUpEvent], kind: str) -> FollowUpScheduled:
    found = [e for e in recorded if isinstance(e, FollowUpScheduled) and e.kind == kind]
    assert len(found) == 1, [e.kind for e in recorded if isinstance(e, FollowUpScheduled)]
    return found[0]


def test_a_q190_final_option_letter_schedules_its_15_day_review() -> None:
    scenario = B.final_option_sent()
    letter = next(e for e in scenario.events if e.event_type == "LetterIssued")
    _, recorded = run(scenario.events)

    review = scheduled(recorded, "Q190_RESPONSE_REVIEW")
    assert review.due_at == letter.occurred_at + timedelta(days=15)
    assert (review.unit, review.period_days) == ("CALENDAR", 15)
    assert review.caused_by == str(letter.event_id)
    assert review.procedure_ref == "107-20112320 T2.S5"
    assert review.causation_id == letter.event_id


def test_the_customers_response_completes_the_letter_review() -> None:
    scenario = B.refused_after_q190()
    ledger, recorded = run(scenario.events)

    review = scheduled(recorded, "Q190_RESPONSE_REVIEW")
    completed = [e for e in recorded if isinstance(e, FollowUpCompleted)]
    assert review.follow_up_id in {e.follow_up_id for e in completed}
    assert ledger is not None
    assert review.follow_up_id not in {f.follow_up_id for f in ledger.open}


def test_a_dpo_warning_schedules_a_14_day_delivery_check_and_a_23_day_window() -> None:
    scenario = B.dpo_warned()
    _, recorded = run(scenario.events)
    warning = next(
        e for e in scenario.events if e.event_type == "LetterIssued" and "DPO" in str(e.payload())
    )

    assert scheduled(recorded, "DPO_DELIVERY_CHECK").due_at == warning.occurred_at + timedelta(
        days=14
    )
    assert scheduled(recorded, "DPO_RESPONSE_WINDOW").due_at == warning.occurred_at + timedelta(
        days=23
    )


def test_the_garnishee_approval_hold_ends_when_the_ol_decides() -> None:
    _, recorded = run(B.garnishee_approved().events)

    hold = scheduled(recorded, "GARNISHEE_APPROVAL")
    submitted = next(
        e for e in B.garnishee_approved().events if e.event_type == "GarnisheeSubmitted"
    )
    assert (hold.period_days, hold.scope) == (5, submitted.payload()["garnishee_id"])
    assert any(
        isinstance(e, FollowUpCompleted)
        and e.follow_up_id == hold.follow_up_id
        and e.completed_by_type == "GarnisheeApproved"
        for e in recorded
    )


def test_an_approved_msp_must_be_contacted_by_the_end_of_the_next_business_day() -> None:
    b = msp_builder()  # approved on Monday 2 March 2026
    _, recorded = run(b.approved_plan())

    first = scheduled(recorded, "MSP_FIRST_CONTACT")
    assert first.unit == "BUSINESS"
    assert first.due_at.date() == date(2026, 3, 3)
    assert scheduled(recorded, "MSP_LETTER_DUE").due_at.date() == date(2026, 3, 4)


def test_business_day_follow_ups_skip_weekends_and_the_holidays_supplied() -> None:
    b = msp_builder(now=datetime(2026, 4, 2, 9, 0, tzinfo=msp_builder().now.tzinfo))  # Thu
    holidays = frozenset({date(2026, 4, 3), date(2026, 4, 6)})  # Good Friday, Easter Monday
    _, recorded = run(b.approved_plan(), holidays)

    assert scheduled(recorded, "MSP_FIRST_CONTACT").due_at.date() == date(2026, 4, 7)
    assert scheduled(recorded, "MSP_LETTER_DUE").due_at.date() == date(2026, 4, 8)
    assert add_days(date(2026, 4, 2), DayCount(days=1, unit="BUSINESS"), holidays) == date(
        2026, 4, 7
    )


def test_the_msp_review_starts_28_days_before_the_end_date() -> None:
    b = msp_builder()
    _, recorded = run(b.recorded())
    end = b.record().end_date

    assert scheduled(recorded, "MSP_REVIEW_START").due_at.date() == end - timedelta(days=28)
    assert scheduled(recorded, "MSP_END_DATE").due_at.date() == end


def test_a_follow_up_falls_due_once_when_the_clock_passes_its_due_time() -> None:
    scenario = B.final_option_sent()
    ledger, recorded = run(scenario.events)
    review = scheduled(recorded, "Q190_RESPONSE_REVIEW")
    assert ledger is not None

    assert fu.tick(ledger, review.due_at - timedelta(seconds=1)) == []
    due = fu.tick(ledger, review.due_at)
    assert [e.follow_up_id for e in due if isinstance(e, FollowUpDue)] == [review.follow_up_id]
    after = fu.fold(due, ledger)
    later = fu.tick(after, review.due_at + timedelta(days=30))
    assert review.follow_up_id not in {e.follow_up_id for e in later}


def test_closing_the_case_cancels_what_is_still_open() -> None:
    scenario = B.closed()
    ledger, recorded = run(scenario.events)

    assert ledger is not None
    assert ledger.open == ()
    assert any(isinstance(e, FollowUpCancelled) for e in recorded)


def test_an_ended_msp_cancels_its_follow_ups() -> None:
    b = msp_builder()
    history = given(b.approved_plan()).then(
        b.command(
            WithdrawMsp,
            actor=b.approver,
            reasons=("The customer has moved overseas permanently.",),
        )
    )
    ledger, recorded = run(history.events)

    assert ledger is not None
    assert ledger.open == ()
    assert {e.cancelled_by_type for e in recorded if isinstance(e, FollowUpCancelled)} == {
        "MspWithdrawn"
    }


def test_delivering_an_event_again_schedules_nothing_more() -> None:
    scenario = B.garnishee_placed()
    ledger, _ = run(scenario.events)
    assert ledger is not None

    for event in scenario.events:
        again = fu.react(ledger, event)
        assert not [e for e in again if isinstance(e, FollowUpScheduled)]


def test_a_letter_review_waits_the_response_period_the_letter_gave() -> None:
    b = case_builder()
    longer = CaseConfig(contact_letter_response=DayCount(days=21))
    [letter] = [
        e
        for e in b.contacted_without_answer().configured(longer).when(b.q164())
        if isinstance(e, LetterIssued)
    ]
    [scheduled] = [e for e in fu.react(None, letter) if isinstance(e, FollowUpScheduled)]
    assert (scheduled.kind, scheduled.period_days) == ("Q164_RESPONSE_REVIEW", 21)


def test_the_dpo_delivery_check_waits_the_configured_period() -> None:
    rule = next(r for r in fu.RULES if r.kind == "DPO_DELIVERY_CHECK")
    assert CaseConfig().dpo_delivery_check_after == DayCount(days=14)
    event: Any = None  # a configured period does not read its event
    assert fu.period_of(rule, event) == DayCount(days=14)
    shorter = {"dpo_delivery_check_after": DayCount(days=10)}
    assert fu.period_of(rule, event, shorter) == DayCount(days=10)


@pytest.mark.parametrize("rule", fu.RULES, ids=lambda r: r.kind)
def test_every_timer_names_its_procedure_step_and_what_ends_it(rule: fu.FollowUpRule) -> None:
    assert rule.procedure_ref.startswith(("104-07050030", "107-20112320"))
    assert rule.description.endswith(".")
    # Exactly one of: a stated period, a date, the period the event recorded, a configured one.
    given = (rule.period, rule.due_date, rule.period_of, rule.setting)
    assert sum(x is not None for x in given) == 1
    assert rule.cancelled_by, "every follow-up is cancelled when its plan or case ends"
