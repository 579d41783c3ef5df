"""The pure half of plan expiry: which plans a follow-up ledger says are to be expired."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from recoverycore.events import DomainEvent
from recoverycore.events.follow_ups import FollowUpDue, FollowUpEvent
from recoverycore.msp import CompleteReview, ExpireMsp, InviteCustomerToReview
from recoverycore.policies import follow_ups as fu
from recoverycore.testing import EPOCH, case_builder, given, msp_builder

B = msp_builder()
END = datetime.combine(B.record().end_date, fu.DATE_DUE_AT, EPOCH.tzinfo)


def ledger_of(events: Sequence[DomainEvent]) -> fu.FollowUpLedger | None:
    ledger: fu.FollowUpLedger | None = None
    for event in events:
        ledger = fu.fold(fu.react(ledger, event), ledger)
    return ledger


def ticked(
    ledger: fu.FollowUpLedger | None, now: datetime
) -> tuple[fu.FollowUpLedger | None, list[FollowUpEvent]]:
    due = fu.tick(ledger, now)
    return fu.fold(due, ledger), due


def test_a_plan_is_to_be_expired_once_its_end_date_follow_up_falls_due() -> None:
    plan = B.approved_plan()
    ledger = ledger_of(plan)

    assert fu.expiries_due(ledger) == []
    ledger, _ = ticked(ledger, END - timedelta(minutes=1))
    assert fu.expiries_due(ledger) == []
    ledger, due = ticked(ledger, END)

    [expiry] = fu.expiries_due(ledger)
    [end_date_due] = [e for e in due if isinstance(e, FollowUpDue) and e.due_at == END]
    assert expiry.plan_id == B.plan_id
    assert expiry.due_at == END
    assert expiry.due_event_id == end_date_due.event_id
    assert expiry.caused_by == plan[0].event_id  # MspRecorded set the end date
    # Asked again at a later tick until the expiry is recorded (a crash between the two).
    assert fu.expiries_due(ticked(ledger, END + timedelta(days=1))[0]) == [expiry]


def test_the_recorded_expiry_closes_the_end_date_follow_up() -> None:
    scenario = given(B.approved_plan()).at(END)
    ledger, _ = ticked(ledger_of(scenario.events), END)
    expired = scenario.when(B.command(ExpireMsp, actor=B.approver))

    ledger = fu.fold(fu.react(ledger, expired[0]), ledger)
    assert fu.expiries_due(ledger) == []


def test_an_extension_replaces_the_end_date_follow_up_with_one_at_the_new_end_date() -> None:
    new_end = B.record().end_date + timedelta(days=60)
    scenario = (
        given(B.notified_plan())
        .at(END - timedelta(days=28))
        .then(
            B.command(
                InviteCustomerToReview,
                actor=B.reviewer,
                letter_id="R-1",
                delivery_method="PRIORITY",
                tracking_id="AP-R1",
                contact_invitations=("WRITING",),
            )
        )
        .then(
            B.command(
                CompleteReview,
                actor=B.approver,
                outcome="EXTEND",
                new_end_date=new_end,
                reasons=("Further threats in July; sixty more days are needed.",),
            )
        )
    )
    ledger, _ = ticked(ledger_of(scenario.events), END + timedelta(days=1))
    assert fu.expiries_due(ledger) == []

    new_end_at = datetime.combine(new_end, fu.DATE_DUE_AT, EPOCH.tzinfo)
    [expiry] = fu.expiries_due(ticked(ledger, new_end_at)[0])
    assert expiry.due_at == new_end_at


def test_a_case_ledger_asks_for_no_expiry() -> None:
    case = case_builder().final_option_sent()
    ledger, _ = ticked(ledger_of(case.events), EPOCH + timedelta(days=4000))
    assert fu.expiries_due(ledger) == []
    assert fu.expiries_due(None) == []
