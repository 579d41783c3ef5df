"""Legal histories of one plan: :class:`Step`, :class:`History`, :func:`histories`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from hypothesis import strategies as st

from recoverycore.aggregates import msp
from recoverycore.aggregates.msp import (
    MspCommand,
    MspConfig,
    MspState,
)
from recoverycore.errors import RuleViolation
from recoverycore.events.msp import (
    MspEvent,
)
from recoverycore.testing import EPOCH
from recoverycore.testing.strategies.msp_commands import commands, record_msp_commands
from recoverycore.testing.strategies.msp_progress import progressing_commands
from recoverycore.testing.strategies.values import _BUSINESS_MINUTES, _business_time, _mostly

SearchStrategy = st.SearchStrategy


# -- histories ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One accepted command, when it was decided, and the events it recorded."""

    at: datetime
    command: MspCommand
    events: tuple[MspEvent, ...]


@dataclass(frozen=True)
class History:
    """A plan's legal history: the accepted commands in order, each with its events."""

    plan_id: UUID
    config: MspConfig
    steps: tuple[Step, ...]

    @property
    def events(self) -> tuple[MspEvent, ...]:
        return tuple(e for step in self.steps for e in step.events)

    @property
    def state(self) -> MspState:
        state = msp.fold(self.events)
        assert state is not None, "a history starts with MspRecorded"
        return state

    @property
    def now(self) -> datetime:
        """When the last command was decided."""
        return self.steps[-1].at


def _later(now: datetime, end_date: date) -> SearchStrategy[datetime]:
    """A later time during business hours: within three days, or on or after the end date."""

    def at(day: date, minute: int) -> datetime:
        return max(now + timedelta(minutes=1), _business_time(day, minute, now.tzinfo))

    soon = st.integers(0, 3).map(lambda d: now.date() + timedelta(days=d))
    at_end = st.integers(0, 2).map(lambda d: end_date + timedelta(days=d))
    return st.builds(at, _mostly(soon, at_end, odds=20), st.integers(*_BUSINESS_MINUTES))


def histories(
    *,
    plan_id: UUID | None = None,
    config: MspConfig | None = None,
    start: datetime = EPOCH,
    max_steps: int = 25,
) -> SearchStrategy[History]:
    """Legal histories of one plan: a legal ``RecordMsp`` at ``start``, then up to ``max_steps``
    commands (two in three from :func:`progressing_commands`, the others from :func:`commands`),
    each decided a little later, keeping only the accepted ones. It stops early when the plan
    closes.

    With no ``config`` the letter policy is drawn (``V1`` or ``V2``); the other rules keep their
    defaults."""

    @st.composite
    def build(draw: st.DrawFn) -> History:
        pid = plan_id if plan_id is not None else draw(st.uuids())
        cfg = config or MspConfig(letter_policy=draw(st.sampled_from(("V1", "V2"))))
        now = start
        record = draw(
            record_msp_commands(
                pid, now=now, legal=True, max_days=min(365, cfg.max_plan_duration_days)
            )
        )
        events = msp.decide(None, record, now=now, config=cfg)
        steps = [Step(now, record, tuple(events))]
        state = msp.fold(events)
        assert state is not None
        for _ in range(draw(st.integers(0, max_steps))):
            if state.is_terminal:
                break
            now = draw(_later(now, state.end_date))
            progress = draw(st.integers(0, 2)) > 0
            command = draw(
                progressing_commands(state, now=now, config=cfg)
                if progress
                else commands(pid, now=now)
            )
            try:
                events = msp.decide(state, command, now=now, config=cfg)
            except RuleViolation:
                continue
            state = msp.fold(events, state)
            assert state is not None
            steps.append(Step(now, command, tuple(events)))
        return History(pid, cfg, tuple(steps))

    return build()
