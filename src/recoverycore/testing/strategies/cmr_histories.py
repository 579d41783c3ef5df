"""Legal histories of one case: :class:`CaseStep`, :class:`CaseHistory`, :func:`case_histories`.

A history starts with one of :class:`~recoverycore.testing.CaseBuilder`'s histories (allocated,
onboarded, ..., a placed garnishee, a DPO made, closed), so it reaches deep states at once, and
goes on with random :func:`~recoverycore.testing.strategies.case_commands`, each decided a little
later than the one before, keeping only the accepted ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from uuid import UUID

from hypothesis import strategies as st

from recoverycore.aggregates.cmr import CaseCommand, CaseConfig, CaseState, ContactCalendar
from recoverycore.errors import RuleViolation
from recoverycore.events.cmr import CaseEvent
from recoverycore.testing import EPOCH, CaseBuilder, CaseScenario
from recoverycore.testing.strategies.cmr_commands import case_commands

__all__ = ["CASE_PATHS", "CaseHistory", "CaseStep", "case_histories"]

SearchStrategy = st.SearchStrategy

CASE_PATHS: tuple[str, ...] = (
    "allocated",
    "onboarded",
    "contacted_without_answer",
    "final_option_sent",
    "refused_after_q190",
    "arranged",
    "employment_lead_found",
    "garnishee_ready",
    "garnishee_assessed",
    "garnishee_submitted",
    "garnishee_approved",
    "garnishee_placed",
    "dpo_referred",
    "dpo_warned",
    "dpo_warning_delivered",
    "dpo_made",
    "closing",
    "closed",
)
"""The :class:`~recoverycore.testing.CaseBuilder` histories a generated history may start from."""


@dataclass(frozen=True)
class CaseStep:
    """One accepted random command, when it was decided, and the events it recorded."""

    at: datetime
    command: CaseCommand
    events: tuple[CaseEvent, ...]


@dataclass(frozen=True)
class CaseHistory:
    """A case's legal history: the builder history it started from (``path``) and the random
    commands accepted after it (``steps``). ``scenario`` is the whole history, ready to decide a
    next command against (with ``assert_refused``, ``assert_accepted`` or ``when``)."""

    case_id: UUID
    path: str
    scenario: CaseScenario
    steps: tuple[CaseStep, ...]

    @property
    def events(self) -> tuple[CaseEvent, ...]:
        return self.scenario.events

    @property
    def state(self) -> CaseState:
        state = self.scenario.state
        assert state is not None, "a history starts with CaseAllocated"
        return state

    @property
    def now(self) -> datetime:
        """When the last command was decided."""
        return self.scenario.now

    @property
    def config(self) -> CaseConfig:
        return self.scenario.config

    @property
    def calendar(self) -> ContactCalendar:
        return self.scenario.calendar


def _later(now: datetime) -> SearchStrategy[datetime]:
    """Minutes later (mostly), or a later morning, up to three weeks on."""
    minutes = st.integers(1, 120).map(lambda m: now + timedelta(minutes=m))
    mornings = st.tuples(st.integers(1, 21), st.integers(9, 11)).map(
        lambda d: datetime.combine(now.date() + timedelta(days=d[0]), time(d[1]), now.tzinfo)
    )
    return st.integers(0, 3).flatmap(lambda i: mornings if i == 3 else minutes)


def case_histories(
    *,
    case_id: UUID | None = None,
    config: CaseConfig | None = None,
    calendar: ContactCalendar | None = None,
    start: datetime = EPOCH,
    paths: Sequence[str] = CASE_PATHS,
    max_steps: int = 10,
) -> SearchStrategy[CaseHistory]:
    """Legal histories of one case (``case_id``, or a drawn id): one of the builder's ``paths``
    from ``start`` (a customer subscribed to SMS or not), then up to ``max_steps`` random
    :func:`~recoverycore.testing.strategies.case_commands`, each decided a little later, keeping
    only the accepted ones. It stops early when the case is closed or the customer unassigned.

    ``start`` is the builder's day 0 (a Monday morning suits every path; the default is
    :data:`~recoverycore.testing.EPOCH`)."""
    chosen = tuple(paths)
    unknown = set(chosen) - set(CASE_PATHS)
    if unknown or not chosen:
        raise ValueError(f"case_histories paths must be some of {CASE_PATHS}, not {chosen}")

    @st.composite
    def build(draw: st.DrawFn) -> CaseHistory:
        cid = case_id if case_id is not None else draw(st.uuids())
        path = draw(st.sampled_from(chosen))
        builder = CaseBuilder(
            cid,
            now=start,
            config=config,
            calendar=calendar,
            sms_subscribed=draw(st.booleans()),
        )
        scenario: CaseScenario = getattr(builder, path)()
        steps: list[CaseStep] = []
        for _ in range(draw(st.integers(0, max_steps))):
            state = scenario.state
            if state is None or state.is_terminal:
                break
            now = draw(_later(scenario.now))
            command = draw(case_commands(cid, now=now))
            try:
                events = scenario.at(now).when(command)
            except RuleViolation:
                continue
            scenario = replace(scenario, now=now, events=(*scenario.events, *events))
            steps.append(CaseStep(now, command, tuple(events)))
        return CaseHistory(cid, path, scenario, tuple(steps))

    return build()
