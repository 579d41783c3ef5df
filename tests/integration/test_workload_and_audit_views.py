"""The workload and audit views, from a case manager's and an auditor's point of view.

The histories are the demo plan and case recorded by the real application with its policies
(follow-ups scheduled, falling due on ticks, completed and cancelled), in memory.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoverycore import ReadModels, RecoveryApp, SimulatedClock
from recoverycore.aggregates import cmr, msp
from recoverycore.application.policies import FollowUpPolicy, run_policies
from recoverycore.cli.demo import (
    DEMO_CASE_ID,
    DEMO_CASE_START,
    DEMO_PLAN_ID,
    DEMO_START,
    run_case_demo,
    run_demo,
)
from recoverycore.errors import AggregateNotFound
from recoverycore.events.cmr import CaseEvent
from recoverycore.testing import msp_builder


class _StopDemo(Exception):
    pass


@dataclass
class Recorded:
    app: RecoveryApp
    follow_ups: FollowUpPolicy
    views: ReadModels

    def catch_up(self) -> None:
        self.views.catch_up(batch_size=7)


def _record(
    demo: Callable[..., object], start: datetime, steps: int | None = None
) -> Iterator[Recorded]:
    runner = run_policies()
    app = runner.get(RecoveryApp)
    follow_ups = runner.get(FollowUpPolicy)
    clock = SimulatedClock(start)
    app.clock = clock
    taken = 0

    def on_step(now: datetime) -> None:
        nonlocal taken
        if steps is not None and taken >= steps:
            raise _StopDemo
        taken += 1
        follow_ups.tick(now)

    with contextlib.suppress(_StopDemo):
        demo(app, clock, on_step)
    views = ReadModels(apps=[app, follow_ups])
    try:
        recorded = Recorded(app, follow_ups, views)
        recorded.catch_up()
        yield recorded
    finally:
        views.close()
        runner.stop()


@pytest.fixture(scope="module")
def plan() -> Iterator[Recorded]:
    yield from _record(run_demo, DEMO_START)


@pytest.fixture(scope="module")
def case() -> Iterator[Recorded]:
    yield from _record(run_case_demo, DEMO_CASE_START)


@pytest.fixture(scope="module")
def open_case() -> Iterator[Recorded]:
    """The demo case stopped part-way: allocated, contacted, a Q190 sent and awaited."""
    yield from _record(run_case_demo, DEMO_CASE_START, steps=14)


# -- workload: a case manager's and a team leader's questions ------------------------------------


def test_the_omc_sees_the_plan_they_own_at_its_stage_with_its_next_action(plan: Recorded) -> None:
    answer = plan.views.workload(as_of=DEMO_START, officer_id="SO-5120")
    assert [s.subject_id for s in answer.subjects] == [str(DEMO_PLAN_ID)]
    item = answer.subjects[0]
    assert (item.subject_type, item.stage, item.status) == ("ManagedServicePlan",) + (
        plan.app.plan(DEMO_PLAN_ID).status,
    ) * 2
    assert item.crn == plan.app.plan(DEMO_PLAN_ID).crn
    assert item.next_action == answer.follow_ups[0].description
    assert item.next_action_due == min(f.due_at for f in answer.follow_ups)
    assert answer.by_stage == {item.stage: 1}
    assert answer.by_officer == {"SO-5120": 1}


def test_another_officer_has_no_work_on_the_plan(plan: Recorded) -> None:
    answer = plan.views.workload(as_of=DEMO_START, officer_id="SO-9999")
    assert answer.subjects == ()
    assert answer.follow_ups == ()
    assert answer.overdue == 0


def test_a_follow_up_is_overdue_only_once_its_due_time_has_passed(plan: Recorded) -> None:
    first = plan.views.workload(as_of=DEMO_START, officer_id="SO-5120").follow_ups[0]
    before = plan.views.workload(as_of=first.due_at - timedelta(minutes=1), officer_id="SO-5120")
    at = plan.views.workload(as_of=first.due_at, officer_id="SO-5120")
    assert not next(f for f in before.follow_ups if f.follow_up_id == first.follow_up_id).overdue
    assert next(f for f in at.follow_ups if f.follow_up_id == first.follow_up_id).overdue
    assert at.overdue == before.overdue + sum(1 for f in at.follow_ups if f.due_at == first.due_at)


def test_open_follow_ups_are_those_the_policy_has_not_completed_or_cancelled(
    plan: Recorded,
) -> None:
    ledger = plan.follow_ups.follow_ups_of(DEMO_PLAN_ID)
    ended = {
        e.follow_up_id for e in ledger if e.event_type in ("FollowUpCompleted", "FollowUpCancelled")
    }
    scheduled = {e.follow_up_id for e in ledger if e.event_type == "FollowUpScheduled"}
    listed = {f.follow_up_id for f in plan.views.workload(as_of=DEMO_START).follow_ups}
    assert listed == scheduled - ended
    assert listed  # the demo plan ends with its review and end date ahead


def test_the_case_manager_sees_the_open_case_waiting_for_the_q190_response(
    open_case: Recorded,
) -> None:
    state = open_case.app.case(DEMO_CASE_ID)
    answer = open_case.views.workload(as_of=DEMO_CASE_START, officer_id="CM-3012")
    (item,) = answer.subjects
    assert (item.stage, item.status, item.team) == (state.stage, state.status, "SRT")
    kinds = {f.kind for f in answer.follow_ups if f.subject_id == str(DEMO_CASE_ID)}
    assert any("Q190" in kind for kind in kinds), kinds
    assert item.open_follow_ups == len(
        [f for f in answer.follow_ups if f.subject_id == str(DEMO_CASE_ID)]
    )


def test_the_team_leader_sees_the_teams_cases_and_not_other_teams(open_case: Recorded) -> None:
    team = open_case.views.workload(as_of=DEMO_CASE_START, team="SRT")
    other = open_case.views.workload(as_of=DEMO_CASE_START, team="Parramatta")
    assert [s.subject_id for s in team.subjects] == [str(DEMO_CASE_ID)]
    assert other.subjects == ()


def test_a_closed_case_leaves_the_workload_and_its_follow_ups_with_it(case: Recorded) -> None:
    assert case.app.case(DEMO_CASE_ID).status in ("CLOSED", "ARCHIVED")
    answer = case.views.workload(as_of=DEMO_CASE_START, officer_id="CM-3012")
    assert answer.subjects == ()
    assert all(f.subject_id != str(DEMO_CASE_ID) for f in answer.follow_ups)


# -- audit: an auditor's questions ---------------------------------------------------------------


def test_every_recorded_action_is_on_the_timeline_with_who_when_what_and_why(
    case: Recorded,
) -> None:
    history = case.app.history(DEMO_CASE_ID)
    timeline = case.views.audit(DEMO_CASE_ID)
    assert [e.version for e in timeline.entries] == [e.originator_version for e in history]
    for entry, event in zip(timeline.entries, history, strict=True):
        assert entry.event_type == event.event_type
        assert entry.event_id == str(event.event_id)
        assert (entry.staff_id, entry.role, entry.aps_level, entry.team) == (
            event.actor.staff_id,
            event.actor.role.value,
            event.actor.aps_level,
            event.actor.team,
        )
        assert entry.occurred_at == event.occurred_at
        assert entry.recorded_at == event.recorded_at
        assert entry.reasons == event.reasons
        assert entry.evidence_refs == event.evidence_refs
        assert entry.procedure_ref == event.procedure_ref
        assert entry.rules_applied == event.rules_applied
        assert entry.details == event.model_dump(mode="json", include=set(entry.details))
    assert timeline.crn == case.app.case(DEMO_CASE_ID).crn


def test_each_action_shows_the_follow_ups_it_caused_and_how_they_ended(case: Recorded) -> None:
    ledger = case.follow_ups.follow_ups_of(DEMO_CASE_ID)
    timeline = case.views.audit(DEMO_CASE_ID)
    shown = {
        f.follow_up_id: (entry.event_id, f) for entry in timeline.entries for f in entry.follow_ups
    }
    scheduled = [e for e in ledger if e.event_type == "FollowUpScheduled"]
    assert set(shown) == {e.follow_up_id for e in scheduled}
    for event in scheduled:
        cause, record = shown[event.follow_up_id]
        assert cause == event.payload()["caused_by"]
    endings = {
        e.follow_up_id: e
        for e in ledger
        if e.event_type in ("FollowUpCompleted", "FollowUpCancelled")
    }
    assert endings, "the demo case completes and cancels follow-ups"
    for follow_up_id, ending in endings.items():
        record = shown[follow_up_id][1]
        assert record.status == (
            "COMPLETED" if ending.event_type == "FollowUpCompleted" else "CANCELLED"
        )
        ended_by = ending.payload().get("completed_by") or ending.payload().get("cancelled_by")
        assert record.ended_by == ended_by
    in_force = {f.follow_up_id for f in timeline.follow_ups_in_force}
    assert in_force == {i for i, (_, f) in shown.items() if f.status in ("SCHEDULED", "DUE")}


def test_as_of_a_past_time_the_timeline_shows_only_what_was_recorded_by_then(
    case: Recorded,
) -> None:
    history = case.app.history(DEMO_CASE_ID)
    cut = history[len(history) // 2].recorded_at
    timeline = case.views.audit(DEMO_CASE_ID, as_of=cut)
    assert [e.version for e in timeline.entries] == [
        e.originator_version for e in history if e.recorded_at <= cut
    ]
    for entry in timeline.entries:
        for record in entry.follow_ups:
            assert record.scheduled_at <= cut
            assert record.ended_at is None or record.ended_at <= cut
    later = case.views.audit(DEMO_CASE_ID)
    ended_later = [
        f
        for e in later.entries
        for f in e.follow_ups
        if f.ended_at is not None and f.ended_at > cut
    ]
    assert ended_later, "some follow-up open at the cut ends later in the demo"
    then = {f.follow_up_id: f for e in timeline.entries for f in e.follow_ups}
    for record in ended_later:
        if record.follow_up_id in then:
            assert then[record.follow_up_id].status in ("SCHEDULED", "DUE")
            assert then[record.follow_up_id] in timeline.follow_ups_in_force


def test_the_timeline_up_to_a_version_stops_at_that_version(case: Recorded) -> None:
    timeline = case.views.audit(DEMO_CASE_ID, version=5)
    assert [e.version for e in timeline.entries] == [1, 2, 3, 4, 5]


def test_an_unknown_id_has_an_empty_timeline(case: Recorded) -> None:
    timeline = case.views.audit(uuid4())
    assert timeline.entries == ()
    assert timeline.crn is None


def test_a_customers_timeline_merges_their_plans_and_cases_in_the_order_things_happened(
    case: Recorded,
) -> None:
    crn = case.app.case(DEMO_CASE_ID).crn
    builder = msp_builder(plan_id=uuid4())
    for command in (builder.record(crn=crn), builder.approve()):
        case.app.handle(command)
    case.catch_up()
    merged = case.views.customer_audit(crn)
    assert set(merged.subject_ids) == {str(DEMO_CASE_ID), str(builder.plan_id)}
    assert len(merged.entries) == len(case.app.history(DEMO_CASE_ID)) + 2
    keys = [(e.occurred_at, e.recorded_at) for e in merged.entries]
    assert keys == sorted(keys)
    assert case.views.customer_audit("000 000 000X").entries == ()


# -- the law: the state as of T equals folding the history up to T --------------------------------


def _fold_until(app: RecoveryApp, subject_id: UUID, when: datetime) -> object:
    if app.history(subject_id)[0].event_type.startswith("Msp"):
        return app.plan_as_of(subject_id, when)
    return app.case_as_of(subject_id, when)


@pytest.mark.parametrize("which", ["plan", "case"])
def test_the_state_as_of_every_recorded_moment_equals_folding_the_history_up_to_it(
    which: str, request: pytest.FixtureRequest
) -> None:
    recorded: Recorded = request.getfixturevalue(which)
    subject_id = DEMO_PLAN_ID if which == "plan" else DEMO_CASE_ID
    for event in recorded.app.history(subject_id):
        at = event.recorded_at
        state = recorded.views.state_as_of(subject_id, as_of=at)
        assert state.state == _fold_until(recorded.app, subject_id, at)
        assert state.version == max(
            e.originator_version for e in recorded.app.history(subject_id) if e.recorded_at <= at
        )


@given(offset_minutes=st.integers(min_value=0, max_value=60 * 24 * 400))
def test_the_state_as_of_any_time_equals_folding_the_history_up_to_it(
    case: Recorded, offset_minutes: int
) -> None:
    at = DEMO_CASE_START + timedelta(minutes=offset_minutes)
    history = case.app.history(DEMO_CASE_ID)
    if at < history[0].recorded_at:
        with pytest.raises(AggregateNotFound, match="had been recorded by"):
            case.views.state_as_of(DEMO_CASE_ID, as_of=at)
        return
    state = case.views.state_as_of(DEMO_CASE_ID, as_of=at)
    assert state.state == case.app.case_as_of(DEMO_CASE_ID, at)
    assert state.pauses_in_force == case.app.case_as_of(DEMO_CASE_ID, at).pauses


def test_the_state_at_each_version_equals_folding_that_many_events(case: Recorded) -> None:
    history = case.app.history(DEMO_CASE_ID)
    for version in range(1, len(history) + 1):
        state = case.views.state_as_of(DEMO_CASE_ID, version=version)
        assert state.version == version
        assert state.state == cmr.fold(e for e in history[:version] if isinstance(e, CaseEvent))


def test_the_plan_state_at_each_version_equals_folding_that_many_events(plan: Recorded) -> None:
    history = plan.app.history(DEMO_PLAN_ID)
    for version in (1, len(history) // 2, len(history)):
        state = plan.views.state_as_of(DEMO_PLAN_ID, version=version)
        assert state.state == msp.fold(history[:version])
