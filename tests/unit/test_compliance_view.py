"""The compliance view, from a team leader's and an auditor's point of view.

Clean histories are recorded with the real application and its policies (follow-ups and
safeguards) on a simulated clock; histories that break a rule stand for imported or older data:
they are built with the pure case rules and then extended with events the rules would refuse,
written straight into the store, as an import would. Times are Sydney's; day 0 is Monday
2 March 2026 (the case builder's start).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import structlog

from recoverycore import RecoveryApp, SimulatedClock
from recoverycore.aggregates import msp
from recoverycore.aggregates.cmr import CaseCommand
from recoverycore.application.policies import FollowUpPolicy, run_policies
from recoverycore.cli.demo import DEMO_CASE_START, run_case_demo
from recoverycore.events import DomainEvent, normalise_crn
from recoverycore.events import cmr as events
from recoverycore.events.cmr import CaseEvent, DayCount
from recoverycore.events.msp import MspNoteAdded
from recoverycore.persistence import in_memory_env
from recoverycore.projections import (
    ViewRecorder,
    catch_up,
    open_view,
    rebuild,
    sources_of,
)
from recoverycore.projections.compliance import (
    Compliance,
    ComplianceView,
    compliance,
)
from recoverycore.testing import CaseBuilder, case_builder, given, msp_builder

SYDNEY = ZoneInfo("Australia/Sydney")
CRN = "311 204 557J"
STORED_CRN = normalise_crn(CRN)
"""The CRN as commands store it (and the views hold it): its canonical spelling."""
"""The case builder's customer."""
E = TypeVar("E", bound=DomainEvent)


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def empty_view() -> ViewRecorder:
    return open_view(ComplianceView, in_memory_env())


class Office:
    """The real application with its policies, on a clock the test moves."""

    def __init__(self) -> None:
        self.runner = run_policies()
        self.app = self.runner.get(RecoveryApp)
        self.follow_ups = self.runner.get(FollowUpPolicy)
        self.clock = SimulatedClock(datetime(2026, 3, 1, tzinfo=SYDNEY))
        self.app.clock = self.clock
        self.live: ViewRecorder | None = None

    def record(self, when: datetime, *commands: CaseCommand | msp.MspCommand) -> None:
        """Move the clock to ``when``, let the follow-ups it passes fall due, then handle."""
        self.clock.set(when)
        self.follow_ups.tick(when)
        for command in commands:
            self.app.handle(command)
        if self.live is not None:
            catch_up(self.live, self.sources(), batch_size=3)

    def sources(self) -> dict[str, Any]:
        return sources_of([self.app, self.follow_ups])

    def view(self) -> ViewRecorder:
        view = empty_view()
        catch_up(view, self.sources())
        return view


@pytest.fixture
def office() -> Iterator[Office]:
    running = Office()
    yield running
    running.runner.stop()


def contacted_without_answer(b: CaseBuilder) -> list[tuple[datetime, CaseCommand]]:
    """Onboarding, the record review and two unanswered calls (days 0 and 1)."""
    return [
        (b.day(0, 9, 0), b.allocate()),
        (b.day(0, 9, 5), b.assess_suitability()),
        (b.day(0, 9, 10), b.create_doa_doc()),
        (b.day(0, 9, 15), b.apply_actor_relationship()),
        (b.day(0, 9, 20), b.create_case_file()),
        (b.day(0, 9, 30), b.capacity_review()),
        (b.day(0, 10, 5), b.contact_attempt()),
        (b.day(1, 10, 5), b.contact_attempt()),
    ]


def record_all(office: Office, steps: Sequence[tuple[datetime, CaseCommand]]) -> None:
    for when, command in steps:
        office.record(when, command)


def imported(*history: DomainEvent) -> ViewRecorder:
    """A view of a store into which ``history`` was imported, bypassing the rules."""
    app = RecoveryApp.in_memory()
    app.recorder.insert_events([app.mapper.to_stored_event(e) for e in history])
    view = empty_view()
    catch_up(view, sources_of([app]))
    return view


def next_event(
    history: Sequence[DomainEvent], event_class: type[E], when: datetime, **kw: Any
) -> E:
    """The event after ``history`` that an import records, whatever the rules say."""
    last = history[-1]
    fields: dict[str, Any] = {
        "originator_id": last.originator_id,
        "originator_version": last.originator_version + 1,
        "occurred_at": when,
        "recorded_at": when,
        "actor": last.actor,
        "procedure_ref": last.procedure_ref,
        **kw,
    }
    return event_class.model_validate(fields)


def call(history: Sequence[CaseEvent], when: datetime, **kw: Any) -> events.ContactAttempted:
    fields: dict[str, Any] = {
        "attempt_no": 9,
        "channel": "PHONE",
        "outcome": "NO_ANSWER",
        "actual_contact": False,
        "note": "Called the customer's mobile.",
        **kw,
    }
    return next_event(history, events.ContactAttempted, when, **fields)


def placed(history: Sequence[CaseEvent], when: datetime) -> events.GarnisheePlaced:
    return next_event(
        history,
        events.GarnisheePlaced,
        when,
        garnishee_id="G-1",
        notice_date=when.date(),
        amount_mode="AMOUNT",
        amount=Decimal("1200"),
        payment_not_before=when.date() + timedelta(days=14),
        warning_relied_on="Q190 Q190-1",
    )


def breaches_of(answer: Compliance) -> list[tuple[str, int, str]]:
    return [(b.rule_id, b.version, b.event_type) for b in answer.breaches]


LATER = datetime(2027, 1, 1, tzinfo=SYDNEY)


# -- a clean history -----------------------------------------------------------------------------
def test_the_demo_case_run_with_its_policies_breaks_no_rule_and_shows_its_garnishee_step_by_step(
    office: Office,
) -> None:
    assert run_case_demo(office.app, office.clock, on_step=office.follow_ups.tick) is not None

    answer = compliance(office.view(), as_of=LATER)

    assert answer.breaches == ()
    assert answer.unreviewed_letters == ()
    assert (answer.pauses, answer.flags) == ((), ())
    [garnishee] = answer.garnishees
    assert (garnishee.garnishee_id, garnishee.kind, garnishee.debt_ids) == (
        "G-1",
        "WAGE",
        ("D-88121",),
    )
    assert (garnishee.submitted_by, garnishee.submitted_to) == ("CM-3012", "OL-0107")
    assert (garnishee.decision, garnishee.decided_by, garnishee.self_approved) == (
        "APPROVED",
        "OL-0107",
        False,
    )
    assert (garnishee.redress_check_id, garnishee.redress_result) == ("DRC-310", "CLEAR")
    assert garnishee.redress_approved_by == "OL-0107"
    assert garnishee.placed_by == "CM-3012"
    assert garnishee.placed_at == datetime(2026, 4, 17, 11, 0, tzinfo=SYDNEY)
    [customer] = answer.contacts
    assert customer.crn == STORED_CRN
    assert [(w.label, w.contacts, w.over_cap) for w in customer.weeks] == [
        ("2026-W10", 3, False),  # two pre-call SMS and a voicemail on Monday 2 March
        ("2026-W11", 2, False),  # the Q190 and the Q289
    ]
    assert [(m.label, m.contacts) for m in customer.months] == [("2026-03", 5)]
    assert (customer.worst_7_days, customer.over_weekly_cap) == (3, False)


def test_before_the_approval_the_garnishee_shows_as_submitted_and_undecided(
    office: Office,
) -> None:
    run_case_demo(office.app, office.clock, on_step=office.follow_ups.tick)

    answer = compliance(office.view(), as_of=datetime(2026, 4, 16, 12, 0, tzinfo=SYDNEY))

    [garnishee] = answer.garnishees
    assert garnishee.submitted_at == datetime(2026, 4, 16, 10, 30, tzinfo=SYDNEY)
    assert (garnishee.decision, garnishee.redress_check_id, garnishee.placed_at) == (
        None,
        None,
        None,
    )


# -- contacts against the caps (X-R8) ------------------------------------------------------------
def test_a_team_leader_sees_a_customers_actual_contacts_per_iso_week_and_calendar_month(
    office: Office,
) -> None:
    b = case_builder(sms_subscribed=True)
    record_all(
        office,
        [
            *contacted_without_answer(b)[:6],
            (b.day(0, 10, 0), b.pre_call_sms()),
            (b.day(0, 10, 5), b.contact_attempt()),
            (b.day(1, 10, 0), b.pre_call_sms()),
            (b.day(1, 10, 5), b.contact_attempt()),
            (b.day(2, 9, 30), b.q190(letter_id="Q190-1")),
            (b.day(27, 10, 0), b.pre_call_sms()),  # Sunday 29 March: week 13, March
            (b.day(30, 10, 0), b.pre_call_sms()),  # Wednesday 1 April: week 14, April
        ],
    )

    answer = compliance(office.view(), as_of=b.day(31), crn=STORED_CRN)

    [customer] = answer.contacts
    assert customer.contacts == 5  # the unanswered calls are attempts, not actual contacts
    assert [(w.label, w.starts_on, w.contacts) for w in customer.weeks] == [
        ("2026-W10", date(2026, 3, 2), 3),
        ("2026-W13", date(2026, 3, 23), 1),
        ("2026-W14", date(2026, 3, 30), 1),
    ]
    assert [(m.label, m.contacts, m.cap) for m in customer.months] == [
        ("2026-03", 4, 10),
        ("2026-04", 1, 10),
    ]
    assert (customer.worst_7_days, customer.worst_7_days_ending) == (3, b.day(2, 9, 30))
    assert (customer.worst_30_days, customer.worst_30_days_ending) == (4, b.day(27, 10, 0))
    assert (customer.over_weekly_cap, customer.over_monthly_cap) == (False, False)
    assert answer.breaches == ()


def test_an_imported_fourth_contact_in_a_week_is_an_x_r8_breach_naming_that_contact() -> None:
    b = case_builder(sms_subscribed=True)
    history = list(b.final_option_sent().events)  # SMS on days 0 and 1, the Q190 on day 2
    fourth = call(history, b.day(3, 11), outcome="ENGAGED", actual_contact=True)

    view = imported(*history, fourth)
    answer = compliance(view, as_of=LATER)

    assert breaches_of(answer) == [("X-R8", fourth.originator_version, "ContactAttempted")]
    [breach] = answer.breaches
    assert breach.event_id == str(fourth.event_id)
    assert breach.occurred_at == b.day(3, 11)
    assert "actual contact 4 in 7 days (at most 3)" in breach.detail
    [customer] = answer.contacts
    assert (customer.worst_7_days, customer.over_weekly_cap) == (4, True)
    assert [(w.label, w.over_cap) for w in customer.weeks] == [("2026-W10", True)]
    assert compliance(view, as_of=LATER, weekly_cap=4).breaches == ()


def test_an_imported_third_call_attempt_in_one_day_is_an_x_r8_breach() -> None:
    b = case_builder()
    history = list(b.contacted_without_answer().events)  # one unanswered call on days 0 and 1
    second = call(history, b.day(1, 14))
    third = call([*history, second], b.day(1, 16))

    answer = compliance(imported(*history, second, third), as_of=LATER)

    assert breaches_of(answer) == [("X-R8", third.originator_version, "ContactAttempted")]
    assert "at most 2 a day" in answer.breaches[0].detail


# -- contact hours (X-R6) ------------------------------------------------------------------------
def test_an_imported_call_at_night_or_on_a_given_public_holiday_is_an_x_r6_breach() -> None:
    b = case_builder()
    history = list(b.onboarded().events)
    at_night = call(history, b.day(0, 22, 15))  # Monday 2 March, 10:15 pm
    early_saturday = call([*history, at_night], b.day(5, 8, 30))  # weekend calls start at 9
    on_holiday = call([*history, at_night, early_saturday], b.day(7, 10, 0))  # Monday 9 March
    view = imported(*history, at_night, early_saturday, on_holiday)

    answer = compliance(view, as_of=LATER)
    with_holiday = compliance(view, as_of=LATER, public_holidays={date(2026, 3, 9)})

    assert breaches_of(answer) == [
        ("X-R6", at_night.originator_version, "ContactAttempted"),
        ("X-R6", early_saturday.originator_version, "ContactAttempted"),
    ]
    assert "22:15 on a weekday" in answer.breaches[0].detail
    assert "08:30 on a weekend" in answer.breaches[1].detail
    assert [b.version for b in with_holiday.breaches] == [
        at_night.originator_version,
        early_saturday.originator_version,
        on_holiday.originator_version,
    ]
    assert "public holiday" in with_holiday.breaches[2].detail


# -- garnishees (CMR-R9) and enforcement while paused or flagged (X-R1, X-R3) --------------------
def test_a_garnishee_placed_without_approval_or_debt_redress_check_is_a_cmr_r9_breach() -> None:
    b = case_builder()
    submitted = b.garnishee_submitted()
    history = list(submitted.events)
    placement = placed(history, submitted.now + timedelta(hours=1))

    answer = compliance(imported(*history, placement), as_of=LATER)

    assert breaches_of(answer) == [
        ("CMR-R9", placement.originator_version, "GarnisheePlaced"),
        ("CMR-R9", placement.originator_version, "GarnisheePlaced"),
    ]
    assert sorted(b.detail for b in answer.breaches) == [
        "Garnishee G-1 was placed without a Debt Redress Check actioned, clear and approved.",
        "Garnishee G-1 was placed without an approved submission.",
    ]
    [garnishee] = answer.garnishees
    assert (garnishee.decision, garnishee.placed_at) == (None, submitted.now + timedelta(hours=1))


def test_a_garnishee_placed_after_its_approvals_is_no_breach() -> None:
    answer = compliance(imported(*case_builder().garnishee_placed().events), as_of=LATER)

    assert answer.breaches == ()
    [garnishee] = answer.garnishees
    assert (garnishee.decision, garnishee.redress_result) == ("APPROVED", "CLEAR")
    assert garnishee.placed_by == "CM-3012"


def test_a_garnishee_placed_while_recovery_of_its_debt_is_paused_is_an_x_r1_breach() -> None:
    b = case_builder()
    approved = b.garnishee_approved()
    paused = approved.later(minutes=30).then(b.pause())  # a disaster pause of debt D-1
    history = list(paused.events)
    placement = placed(history, paused.now + timedelta(minutes=30))
    view = imported(*history, placement)

    answer = compliance(view, as_of=LATER)

    assert breaches_of(answer) == [("X-R1", placement.originator_version, "GarnisheePlaced")]
    assert "recovery of D-1 was paused (pause P-1, disaster" in answer.breaches[0].detail
    [pause] = answer.pauses
    assert (pause.pause_id, pause.debt_ids, pause.reason) == ("P-1", ("D-1",), "DISASTER")
    assert pause.paused_at == paused.now
    assert compliance(view, as_of=approved.now).pauses == ()


def test_a_dpo_warning_issued_while_a_suicide_flag_is_in_force_is_an_x_r3_breach() -> None:
    b = case_builder()
    flagged = b.dpo_referred().later(minutes=5).then(b.flag())
    history = list(flagged.events)
    when = flagged.now + timedelta(minutes=10)
    warning = next_event(
        history,
        events.LetterIssued,
        when,
        letter_id="Q190-DPO-1",
        code="Q190",
        purpose="DPO_WARNING",
        address=b.address,
        address_confirmed=True,
        privacy_safeguarded=True,
        response_period=DayCount(days=23),
        respond_by=when.date() + timedelta(days=23),
        counts_as_garnishee_warning=True,
        tracking_id="AP-1",
        debt_ids=("D-1", "D-2"),
    )

    answer = compliance(imported(*history, warning), as_of=LATER)

    assert breaches_of(answer) == [("X-R3", warning.originator_version, "LetterIssued")]
    assert "A DPO warning was issued while flag F-1 (suicide self harm" in answer.breaches[0].detail
    [flag] = answer.flags
    assert (flag.flag_id, flag.kind, flag.pauses_enforcement) == (
        "F-1",
        "SUICIDE_SELF_HARM",
        "X-R3",
    )


# -- the DPO track (CMR-R17) ---------------------------------------------------------------------
def test_a_dpo_made_without_a_delivered_warning_is_a_cmr_r17_breach() -> None:
    b = case_builder()
    history = list(b.dpo_warned().events)
    order = next_event(
        history,
        events.DpoMade,
        b.day(40),
        actor=b.dpo_delegate,
        dpo_id="DPO-1",
        debt_ids=b.debt_ids,
        considerations=b.considerations(),
        made_on=b.day(40).date(),
    )

    answer = compliance(imported(*history, order), as_of=LATER)

    assert breaches_of(answer) == [("CMR-R17", order.originator_version, "DpoMade")]
    assert "warning Q190-DPO-1 is not confirmed delivered" in answer.breaches[0].detail


def test_a_dpo_made_after_the_delivered_warnings_response_period_is_no_breach() -> None:
    answer = compliance(imported(*case_builder().dpo_made().events), as_of=LATER)

    assert answer.breaches == ()


# -- terminal is final (CMR-A1) ------------------------------------------------------------------
def test_an_event_after_the_case_closed_is_a_cmr_a1_breach_but_its_archiving_is_not() -> None:
    b = case_builder()
    archived = b.closed().later(minutes=5).then(b.archive())
    history = list(archived.events)
    late_call = call(history, archived.now + timedelta(days=1))
    late_document = next_event(
        [*history, late_call],
        events.CaseFileDocumentAdded,
        archived.now + timedelta(days=2),
        name=b.doc_name("Correspondence"),
        document_type="CORRESPONDENCE",
    )
    view = imported(*history, late_call, late_document)

    answer = compliance(view, as_of=LATER)

    assert [e.event_type for e in history[-2:]] == ["CaseClosed", "CaseArchived"]
    assert breaches_of(answer) == [
        ("CMR-A1", late_call.originator_version, "ContactAttempted"),
        ("CMR-A1", late_document.originator_version, "CaseFileDocumentAdded"),
    ]
    assert "after the case was archived (CaseArchived, version" in answer.breaches[0].detail
    assert answer.breaches[1].occurred_at == archived.now + timedelta(days=2)
    assert compliance(view, as_of=archived.now + timedelta(days=1, hours=1)).breaches == (
        answer.breaches[0],
    )


def test_an_event_after_a_plan_was_rejected_is_an_msp_a1_breach() -> None:
    p = msp_builder(plan_id=uuid4())
    rejected = [*p.recorded(), *given(*p.recorded(), now=p.now).when(p.reject())]
    note = next_event(
        rejected,
        MspNoteAdded,
        p.now + timedelta(days=1),
        note_type="OTHER",
        text="Customer rang about the letter.",
    )

    answer = compliance(imported(*rejected, note), as_of=LATER)

    assert breaches_of(answer) == [("MSP-A1", note.originator_version, "MspNoteAdded")]
    assert "after the plan was rejected" in answer.breaches[0].detail


# -- letters without a review --------------------------------------------------------------------
def test_a_letter_whose_response_period_passed_is_listed_until_its_review_is_completed(
    office: Office,
) -> None:
    b = case_builder()
    record_all(
        office, [*contacted_without_answer(b), (b.day(2, 9, 30), b.q190(letter_id="Q190-1"))]
    )
    office.record(b.day(18, 10, 0))  # Friday 20 March: the 15 days to respond ended on the 19th
    office.record(b.day(18, 10, 30), b.discussion())  # the customer rings in
    view = office.view()

    within_period = compliance(view, as_of=b.day(16))
    overdue = compliance(view, as_of=b.day(18, 10, 0))
    reviewed = compliance(view, as_of=b.day(18, 11, 0))

    assert within_period.unreviewed_letters == ()
    [letter] = overdue.unreviewed_letters
    assert (letter.letter_id, letter.code, letter.purpose) == ("Q190-1", "Q190", "FINAL_OPTION")
    assert (letter.crn, letter.respond_by) == (STORED_CRN, date(2026, 3, 19))
    assert letter.issued_at == b.day(2, 9, 30)
    assert {(f.kind, f.status) for f in letter.follow_ups} == {
        ("Q190_RESPONSE_REVIEW", "DUE"),
        ("GARNISHEE_WARNING_VALIDITY", "SCHEDULED"),
    }
    assert reviewed.unreviewed_letters == ()


def test_an_msp_letter_whose_tracking_check_is_overdue_is_listed_until_its_delivery_is_recorded(
    office: Office,
) -> None:
    p = msp_builder(plan_id=uuid4(), now=DEMO_CASE_START)
    start = DEMO_CASE_START
    office.record(start, p.record(), p.approve())
    office.record(start + timedelta(hours=1), p.call(outcome="ENGAGED_SUCCESSFUL"))
    office.record(
        start + timedelta(hours=2),
        p.command(msp.RecordCustomerInformed, channel="PHONE"),
        p.attach(),
        p.send_letter(),
    )
    checked = start + timedelta(days=8)  # tracking is checked 4 business days after sending
    office.record(checked, p.delivered(outcome_at=checked))
    view = office.view()

    overdue = compliance(view, as_of=checked - timedelta(minutes=1), subject_id=str(p.plan_id))
    after = compliance(view, as_of=checked, subject_id=str(p.plan_id))

    [letter] = overdue.unreviewed_letters
    assert (letter.letter_id, letter.event_type, letter.respond_by) == (
        "L-1",
        "MspLetterSent",
        None,
    )
    assert [(f.kind, f.status) for f in letter.follow_ups] == [("MSP_LETTER_TRACKING", "DUE")]
    assert after.unreviewed_letters == ()


# -- pauses and flags in force -------------------------------------------------------------------
def test_pauses_and_flags_are_in_force_from_when_they_are_recorded_until_resumed_or_cleared(
    office: Office,
) -> None:
    b = case_builder()
    p = msp_builder(plan_id=uuid4(), now=b.day(0, 8, 0))
    office.record(b.day(0, 8, 0), p.record(crn=CRN))  # the customer also has a plan
    record_all(office, contacted_without_answer(b)[:5])
    office.record(b.day(1), b.pause())
    office.record(b.day(2), b.flag())  # the customer's record flags the plan too
    office.record(b.day(3), b.resume())
    office.record(b.day(4), b.clear_flag())
    view = office.view()

    paused_and_flagged = compliance(view, as_of=b.day(2, 12), crn=STORED_CRN)
    resumed = compliance(view, as_of=b.day(3, 12), crn=STORED_CRN)
    cleared = compliance(view, as_of=b.day(4, 12), crn=STORED_CRN)

    [pause] = paused_and_flagged.pauses
    assert (pause.subject_id, pause.pause_id, pause.paused_at) == (str(b.case_id), "P-1", b.day(1))
    assert {(f.subject_type, f.kind, f.pauses_enforcement) for f in paused_and_flagged.flags} == {
        ("CaseManagedRecovery", "SUICIDE_SELF_HARM", "X-R3"),
        ("ManagedServicePlan", "SUICIDE_SELF_HARM", None),
    }
    assert resumed.pauses == ()
    assert len(resumed.flags) == 2
    assert cleared.flags == ()  # cleared on the customer's record: on every plan and case


# -- one customer, one case, everyone ------------------------------------------------------------
def test_the_view_answers_for_one_customer_or_one_case_when_asked() -> None:
    first, second = case_builder(case_id=uuid4()), case_builder(case_id=uuid4())
    first_history = list(first.onboarded().events)
    night_call = call(first_history, first.day(1, 23))
    second_history = [
        e.model_copy(update={"crn": "999 888 777K"}) if isinstance(e, events.CaseAllocated) else e
        for e in case_builder(case_id=second.case_id, sms_subscribed=True)
        .final_option_sent()
        .events
    ]
    view = imported(*first_history, night_call, *second_history)

    everyone = compliance(view, as_of=LATER)
    second_customer = compliance(view, as_of=LATER, crn="999 888 777K")
    first_case = compliance(view, as_of=LATER, subject_id=str(first.case_id))

    assert {c.crn for c in everyone.contacts} == {"999 888 777K"}  # the night call was unanswered
    assert [b.subject_id for b in everyone.breaches] == [str(first.case_id)]
    assert [c.subject_ids for c in second_customer.contacts] == [(str(second.case_id),)]
    assert second_customer.breaches == ()
    assert [(b.rule_id, b.crn) for b in first_case.breaches] == [("X-R6", STORED_CRN)]
    assert first_case.contacts == ()


def test_a_whole_store_question_read_a_page_at_a_time_gives_the_same_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    b = case_builder()
    history = list(b.garnishee_submitted().events)
    view = imported(*history, placed(history, b.day(30)))
    whole = compliance(view, as_of=LATER)

    monkeypatch.setattr(sys.modules[compliance.__module__], "_PAGE", 4)
    paged = compliance(view, as_of=LATER)

    assert len(history) > 3 * 4
    assert [b.rule_id for b in whole.breaches] == ["CMR-R9", "CMR-R9"]
    assert paged == whole


def test_the_time_asked_about_must_carry_its_offset() -> None:
    with pytest.raises(ValueError, match="offset"):
        compliance(empty_view(), as_of=datetime(2026, 3, 2, 9, 0))


# -- the laws: rebuild equals live, whatever order the two logs are read in -----------------------
def test_a_rebuilt_view_equals_the_one_kept_as_events_arrived_whichever_log_is_read_first(
    office: Office,
) -> None:
    b = case_builder()
    office.live = empty_view()
    record_all(
        office, [*contacted_without_answer(b), (b.day(2, 9, 30), b.q190(letter_id="Q190-1"))]
    )
    office.record(b.day(18, 10, 30), b.discussion(), b.pause(), b.flag())
    sources = office.sources()
    rebuilt = empty_view()
    rebuild(rebuilt, sources)
    follow_ups_first = empty_view()
    catch_up(follow_ups_first, {FollowUpPolicy.name: sources[FollowUpPolicy.name]})
    catch_up(follow_ups_first, sources)

    live = office.live.dump()
    assert live["compliance_follow_ups"]  # the letter's follow-ups are in the view
    assert rebuilt.dump() == live
    assert follow_ups_first.dump() == live
    as_of = b.day(30)
    assert compliance(rebuilt, as_of=as_of) == compliance(office.live, as_of=as_of)
