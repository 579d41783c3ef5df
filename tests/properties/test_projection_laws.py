"""The laws every view is held to, for any history of plans and cases (issue 5).

A state machine drives :class:`~recoverycore.RecoveryApp` with its follow-up and safeguard
policies running (``run_policies``), by the commands of the case state machine
(:class:`~recoverycore.testing.strategies.CaseStateMachine`, whose rules it inherits), of the
MSP strategies (:mod:`recoverycore.testing.strategies`) and flags raised and cleared on the
customer's record, legal and illegal, with follow-ups
falling due on ticks. Every view of :data:`recoverycore.projections.VIEWS` is kept
incrementally, caught up in small batches of random size, sometimes stopped part-way, sometimes
reading one log ahead of the other. Then:

* Rebuild equals live: a view rebuilt from scratch has the same rows as the one kept
  incrementally, whatever the batches and however the two logs interleaved; so has one fed
  event by event as eventsourcing's ``ProjectionRunner`` feeds it.
* The workload view's status and stage of every plan and case are the aggregate's own; and,
  without any storage, the status and stage a view reads off each event of a plan's legal
  history are those of the plan folded up to that event.
"""

from __future__ import annotations

import contextlib
import random
from datetime import datetime, timedelta
from uuid import UUID, uuid5

from eventsourcing.persistence import Tracking
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from recoverycore import RecoveryApp
from recoverycore.aggregates import cmr, msp
from recoverycore.aggregates.customer import CustomerCommand
from recoverycore.application.policies import FollowUpPolicy, run_policies
from recoverycore.errors import AggregateNotFound, RuleViolation
from recoverycore.events import cmr as ev
from recoverycore.projections import (
    FOLLOW_UP_APPLICATION,
    RECOVERY_APPLICATION,
    VIEWS,
    ViewRecorder,
    WorkloadView,
    catch_up,
    fact_of,
    sources_of,
    status_and_stage,
)
from recoverycore.testing import customer_builder
from recoverycore.testing.strategies import (
    CASE_ID,
    CaseLifecycle,
    History,
    closing_commands,
    commands,
    histories,
    progressing_commands,
    record_msp_commands,
)
from view_support import fed_event_by_event, fresh_view, is_level, rebuilt, stopping_after

CASE_CRN = "311 204 557J"
"""The customer ``CaseLifecycle.allocate`` allocates the case for."""
_PLAN_IDS = UUID("7c0a9d7e-35c4-4b8a-a3f1-0d4b9f3e5a10")
_READINGS: tuple[tuple[str, ...], ...] = (
    (RECOVERY_APPLICATION, FOLLOW_UP_APPLICATION),
    (RECOVERY_APPLICATION,),
    (FOLLOW_UP_APPLICATION,),
)
"""What a catch-up reads: both logs, or one of them ahead of the other."""


class PlansAndCasesWithTheirViews(CaseLifecycle):
    """The case lifecycle, decided by RecoveryApp under its policies, with plans recorded beside
    the case (some for the same customer, so the safeguards link them), ticks, and the views."""

    def __init__(self) -> None:
        super().__init__()
        self.runner = run_policies()
        self.app = self.runner.get(RecoveryApp)
        self.app.clock = self.clock
        self.follow_ups = self.runner.get(FollowUpPolicy)
        self.sources = sources_of([self.app, self.follow_ups])
        self.live: dict[str, ViewRecorder] = {name: fresh_view(d) for name, d in VIEWS.items()}
        self.plans: list[UUID] = []
        self.reference: dict[str, ViewRecorder] = {name: fresh_view(d) for name, d in VIEWS.items()}
        self.compared: dict[str, dict[str, int]] = {}
        self.views_moved = False
        self.rng: random.Random | None = None

    def clock(self) -> datetime:
        return self.now

    # -- deciding through the application ----------------------------------------------------
    def _log_sizes(self) -> tuple[int, int]:
        return (
            self.app.recorder.max_notification_id() or 0,
            self.follow_ups.recorder.max_notification_id() or 0,
        )

    def _decide(self, command: cmr.CaseCommand | msp.MspCommand | CustomerCommand) -> bool:
        before = self._log_sizes()
        try:
            self.app.handle(command)
        except (RuleViolation, AggregateNotFound):
            # Rejection leaves no trace: nothing in the log, so nothing for a view or a policy.
            assert self._log_sizes() == before
            return False
        self._after_recording()
        # The policies may have recorded on the case too (a safety flag from a plan).
        if self.app.exists(CASE_ID):
            self.state = self.app.case(CASE_ID)
            self.events = [e for e in self.app.history(CASE_ID) if isinstance(e, ev.CaseEvent)]
        return True

    def send(self, command: cmr.CaseCommand) -> list[ev.CaseEvent]:
        known = len(self.events)
        self._decide(command)
        return self.events[known:]

    # -- plans -----------------------------------------------------------------------------
    def _open_plans(self) -> list[UUID]:
        return [p for p in self.plans if not self.app.plan(p).is_terminal]

    def _move_along(self, data: st.DataObject, plan_id: UUID, steps: int) -> None:
        for _ in range(steps):
            plan = self.app.plan(plan_id)
            if plan.is_terminal:
                return
            config = self.app.msp_config
            self._decide(data.draw(progressing_commands(plan, now=self.now, config=config)))

    @initialize(data=st.data(), plans=st.integers(0, 2))
    def record_the_customers_plans(self, data: st.DataObject, plans: int) -> None:
        """Plans recorded and moved along for the case's customer, so the safeguards link them."""
        for _ in range(plans):
            self._record_a_plan(data, legal=True, crn=CASE_CRN, steps=data.draw(st.integers(1, 4)))

    def _record_a_plan(
        self, data: st.DataObject, *, legal: bool, crn: str | None, steps: int
    ) -> None:
        plan_id = uuid5(_PLAN_IDS, str(len(self.plans)))
        command = data.draw(record_msp_commands(plan_id, now=self.now, legal=legal))
        if crn is not None:
            command = command.model_copy(update={"crn": crn})
        if self._decide(command):
            self.plans.append(plan_id)
            self._move_along(data, plan_id, steps)

    @rule(
        data=st.data(),
        legal=st.booleans(),
        same_customer=st.booleans(),
        steps=st.integers(0, 3),
    )
    def record_a_plan(
        self, data: st.DataObject, legal: bool, same_customer: bool, steps: int
    ) -> None:
        """A plan, for the case's customer or another, usually approved and moved along."""
        self._record_a_plan(data, legal=legal, crn=CASE_CRN if same_customer else None, steps=steps)

    @precondition(lambda self: self.plans)
    @rule(data=st.data())
    def command_a_plan(self, data: st.DataObject) -> None:
        plan_id = data.draw(st.sampled_from(self.plans))
        self._decide(data.draw(commands(plan_id, now=self.now)))

    @precondition(lambda self: self._open_plans())
    @rule(data=st.data(), steps=st.integers(1, 5))
    def move_a_plan_along(self, data: st.DataObject, steps: int) -> None:
        self._move_along(data, data.draw(st.sampled_from(self._open_plans())), steps)

    @precondition(lambda self: self._open_plans())
    @rule(data=st.data())
    def close_a_plan(self, data: st.DataObject) -> None:
        """Rejected, withdrawn, ended early at review or expired (once its end date is due)."""
        plan = self.app.plan(data.draw(st.sampled_from(self._open_plans())))
        config = self.app.msp_config
        self._decide(data.draw(closing_commands(plan, now=self.now, config=config)))

    # -- the customer's record --------------------------------------------------------------
    @rule(
        kind=st.sampled_from(("SUICIDE_SELF_HARM", "FDV_IMMEDIATE_THREAT", "HARDSHIP")),
        flag=st.integers(1, 3),
        clear=st.booleans(),
    )
    def flag_or_clear_on_the_customers_record(self, kind: str, flag: int, clear: bool) -> None:
        """A flag raised on (or cleared from) the case's customer's own record: the views
        show it on every plan and case of theirs (issue 13)."""
        customer = customer_builder(CASE_CRN)
        flag_id = f"F-{flag}"
        self._decide(
            customer.clear(flag_id=flag_id) if clear else customer.flag(kind=kind, flag_id=flag_id)
        )

    # -- the case, further along than random commands take it -------------------------------
    @precondition(lambda self: self.state is not None and not self.state.is_terminal)
    @rule(path=st.sampled_from(("garnishee", "DPO", "closure")), steps=st.integers(1, 8))
    def move_the_case_along(self, path: str, steps: int) -> None:
        """Several steps of one of the case lifecycle's paths: to a placed garnishee, to a
        departure prohibition order, or to closure and archiving."""
        for _ in range(steps):
            if self.state is None or self.state.is_terminal:
                return
            if self.state.status == "OPEN" and path == "garnishee":
                self.next_step_towards_a_placed_garnishee()
            elif self.state.status == "OPEN" and path == "DPO":
                self.next_step_towards_a_dpo()
            elif self.state.status == "CLOSED":
                self.archive()
            else:
                self.next_step_towards_closure(now_or_later=0)

    # -- time ------------------------------------------------------------------------------
    @rule(days=st.integers(0, 40))
    def follow_ups_fall_due_on_a_tick(self, days: int) -> None:
        self.now += timedelta(days=days)
        if self.follow_ups.tick(self.now):
            self._after_recording()

    # -- the views, kept incrementally ------------------------------------------------------
    @initialize(rng=st.randoms(use_true_random=False))
    def choose_when_the_clock_ticks_and_how_the_views_catch_up(self, rng: random.Random) -> None:
        self.rng = rng

    def _after_recording(self) -> None:
        """After something is recorded the follow-ups may tick (as the command line ticks them
        before each step), and each view may catch up: reading one log or both, in batches of 1
        to 6 events, sometimes stopping after a few batches, as a runner stopped part-way does."""
        rng = self.rng
        if rng is None:
            return
        if rng.random() < 0.3:
            self.follow_ups.tick(self.now)
        for view in self.live.values():
            if rng.random() < 0.5:
                continue
            sources = {n: self.sources[n] for n in rng.choice(_READINGS)}
            stop_after = rng.choice((None, None, 1, 2, 3))
            catch_up(view, sources, batch_size=rng.randint(1, 6), **stopping_after(stop_after))
            self.views_moved = True

    # -- the laws --------------------------------------------------------------------------
    @invariant()
    def the_views_obey_the_laws_whenever_they_have_caught_up(self) -> None:
        """Checked after every step in which a view caught up (the view rebuilt from scratch
        and the one fed event by event are compared at the end of the run)."""
        if not self.views_moved:
            return
        self.views_moved = False
        self._a_view_level_with_its_logs_equals_one_that_read_them_in_a_single_batch()
        self._the_workload_view_has_each_plan_and_case_at_its_aggregates_status_and_stage()

    def _a_view_level_with_its_logs_equals_one_that_read_them_in_a_single_batch(self) -> None:
        for name, view in self.live.items():
            positions = view.positions()
            if self.compared.get(name) == positions or not is_level(view, self.sources):
                continue
            reference = self.reference[name]
            catch_up(reference, self.sources)
            assert view.dump() == reference.dump(), name
            self.compared[name] = positions

    def _the_workload_view_has_each_plan_and_case_at_its_aggregates_status_and_stage(self) -> None:
        view = self.live.get(WorkloadView.name)
        if view is not None and is_level(view, self.sources, RECOVERY_APPLICATION):
            assert _statuses_and_stages(view) == self._aggregates_statuses_and_stages()

    def _aggregates_statuses_and_stages(self) -> dict[str, tuple[str, str]]:
        expected: dict[str, tuple[str, str]] = {}
        for plan_id in self.plans:
            status = self.app.plan(plan_id).status
            expected[str(plan_id)] = (status, status)  # a plan's stage is its status
        if self.state is not None:
            expected[str(CASE_ID)] = (self.state.status, self.state.stage)
        return expected

    def teardown(self) -> None:
        try:
            self._the_laws_hold_once_every_view_has_caught_up()
        finally:
            self.runner.stop()

    def _the_laws_hold_once_every_view_has_caught_up(self) -> None:
        apps = [self.app, self.follow_ups]
        follow_ups_first = {FOLLOW_UP_APPLICATION: self.sources[FOLLOW_UP_APPLICATION]}
        for name, view in self.live.items():
            definition = VIEWS[name]
            catch_up(view, self.sources)
            live = view.dump()
            assert live == rebuilt(definition, self.sources).dump(), name
            other_order = fresh_view(definition)
            catch_up(other_order, follow_ups_first)
            catch_up(other_order, self.sources)
            assert live == other_order.dump(), f"{name}: follow-up log read first"
            assert live == fed_event_by_event(definition, apps).dump(), f"{name}: event by event"
        workload = self.live.get(WorkloadView.name)
        if workload is not None:
            assert _statuses_and_stages(workload) == self._aggregates_statuses_and_stages()


def _statuses_and_stages(view: ViewRecorder) -> dict[str, tuple[str, str]]:
    rows = view.select("SELECT subject_id, status, stage FROM {p}workload_subjects")
    return {str(r["subject_id"]): (r["status"], r["stage"]) for r in rows}


TestEveryViewRebuiltFromScratchEqualsTheLiveOneAndAgreesWithTheAggregates = (
    PlansAndCasesWithTheirViews.TestCase
)


@given(history=histories(), data=st.data())
def test_the_status_and_stage_a_view_reads_off_each_plan_event_are_the_plans_own(
    history: History, data: st.DataObject
) -> None:
    """Over a legal history, closed at the end (rejected, withdrawn, ended or expired) when it
    is still open."""
    events = list(history.events)
    plan = history.state
    if not plan.is_terminal:
        days = data.draw(st.sampled_from((1, (plan.end_date - plan.start_date).days + 1)))
        now = history.steps[-1].at + timedelta(days=days)
        close = data.draw(closing_commands(plan, now=now, config=history.config))
        with contextlib.suppress(RuleViolation):  # the strategy's commands are nearly all legal
            events += msp.decide(plan, close, now=now, config=history.config)
    status: str | None = None
    stage: str | None = None
    for version, event in enumerate(events, start=1):
        fact = fact_of(event, Tracking(RECOVERY_APPLICATION, version))
        new_status, new_stage = status_and_stage(fact)
        status, stage = new_status or status, new_stage or stage
        folded = msp.fold(events[:version])
        assert folded is not None
        assert (status, stage) == (folded.status, folded.status), type(event).__name__
