"""Timed recording and replay, for recoverycore and the bare eventsourcing baseline."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter, process_time
from typing import Any

from eventsourcing.application import Application

from bench.bare import BareApp, BarePlan
from bench.scenario import START, STEP, PlanScript, bare_fields
from recoverycore.application import RecoveryApp
from recoverycore.application.clock import SimulatedClock
from recoverycore.persistence import sqlite_env

__all__ = [
    "OPENERS",
    "RECORDERS",
    "REPLAYERS",
    "SIDES",
    "Timing",
    "bare_env",
    "check_equivalent",
    "mean_stored_bytes",
    "open_bare",
    "open_recoverycore",
    "record_bare",
    "record_recoverycore",
    "replay_bare",
    "replay_recoverycore",
]

SIDES = ("recoverycore", "bare")


@dataclass(frozen=True)
class Timing:
    """Events recorded or replayed, wall seconds, and this process's CPU seconds meanwhile."""

    events: int
    seconds: float
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


def bare_env(path: str | os.PathLike[str]) -> dict[str, str]:
    """The SQLite settings recoverycore uses, without its mapper and transcoder topics."""
    return {
        key: value
        for key, value in sqlite_env(path).items()
        if key not in ("MAPPER_TOPIC", "TRANSCODER_TOPIC")
    }


def _timed(body: Callable[[], int], *, collect_first: bool) -> Timing:
    if collect_first:
        gc.collect()
    cpu_started = process_time()
    started = perf_counter()
    events = body()
    elapsed = perf_counter() - started
    return Timing(events, elapsed, process_time() - cpu_started)


def open_recoverycore(path: Path) -> Application[Any]:
    """recoverycore's application on the SQLite file, as its users open it."""
    return RecoveryApp.sqlite(path, clock=SimulatedClock(START))


def open_bare(path: Path) -> Application[Any]:
    """The bare application on the SQLite file, with recoverycore's SQLite settings."""
    return BareApp(env=bare_env(path))


# -- recording ---------------------------------------------------------------------------------
def record_recoverycore(
    plans: list[PlanScript], path: Path, *, collect_first: bool = True
) -> Timing:
    """Every plan's commands through ``RecoveryApp.handle``, the clock moved before each."""
    clock = SimulatedClock(START)
    app = RecoveryApp.sqlite(path, clock=clock)
    handle = app.handle
    advance = clock.advance

    def body() -> int:
        count = 0
        for plan in plans:
            for command in plan.commands:
                advance(STEP)
                count += len(handle(command))
        return count

    try:
        return _timed(body, collect_first=collect_first)
    finally:
        app.close()


def record_bare(plans: list[PlanScript], path: Path, *, collect_first: bool = True) -> Timing:
    """Every plan's bare steps: ``repository.get`` -> ``@event`` method(s) -> ``save``."""
    app = open_bare(path)
    get = app.repository.get
    save = app.save

    def body() -> int:
        count = 0
        for plan in plans:
            for step in plan.bare_steps:
                if step.creates:
                    ((_, fields),) = step.events
                    aggregate = BarePlan(id=plan.plan_id, **fields)
                else:
                    aggregate = get(plan.plan_id)
                    for method, fields in step.events:
                        getattr(aggregate, method)(**fields)
                save(aggregate)
                count += len(step.events)
        return count

    try:
        return _timed(body, collect_first=collect_first)
    finally:
        app.close()


# -- replay ------------------------------------------------------------------------------------
def replay_recoverycore(
    app: Application[Any], plans: list[PlanScript], *, collect_first: bool = True
) -> Timing:
    """Every plan reconstructed with ``RecoveryApp.plan``; counts the events replayed."""
    assert isinstance(app, RecoveryApp)
    plan = app.plan

    def body() -> int:
        return sum(plan(script.plan_id).version for script in plans)

    return _timed(body, collect_first=collect_first)


def replay_bare(
    app: Application[Any], plans: list[PlanScript], *, collect_first: bool = True
) -> Timing:
    """Every plan reconstructed with ``repository.get``; counts the events replayed."""
    get = app.repository.get

    def body() -> int:
        return sum(get(script.plan_id).version for script in plans)

    return _timed(body, collect_first=collect_first)


RECORDERS: dict[str, Callable[[list[PlanScript], Path], Timing]] = {
    "recoverycore": record_recoverycore,
    "bare": record_bare,
}
OPENERS: dict[str, Callable[[Path], Application[Any]]] = {
    "recoverycore": open_recoverycore,
    "bare": open_bare,
}
REPLAYERS: dict[str, Callable[[Application[Any], list[PlanScript]], Timing]] = {
    "recoverycore": replay_recoverycore,
    "bare": replay_bare,
}


# -- checks (untimed) -----------------------------------------------------------------------------
def check_equivalent(apps: dict[str, Application[Any]], plan: PlanScript) -> None:
    """Both stores hold the same events for ``plan``, field for field (AssertionError if not)."""
    rc = apps["recoverycore"]
    bare = apps["bare"]
    assert isinstance(rc, RecoveryApp)
    expected = [fields for step in plan.bare_steps for _, fields in step.events]
    recorded = [bare_fields(event) for event in rc.history(plan.plan_id)]
    if recorded != expected:
        raise AssertionError("recoverycore recorded other events than the bare side replays")
    stored = list(bare.events.get(plan.plan_id))
    if len(stored) != len(expected):
        raise AssertionError(f"bare side stored {len(stored)} events, expected {len(expected)}")
    for event, fields in zip(stored, expected, strict=True):
        got = {name: getattr(event, name) for name in fields}
        if got != fields:
            raise AssertionError(f"bare {type(event).__name__} differs: {got} != {fields}")


def mean_stored_bytes(app: Application[Any], plans: list[PlanScript]) -> float:
    """The mean size of a stored event's state (after the mapper and transcoder)."""
    sizes = [
        len(stored.state) for plan in plans for stored in app.recorder.select_events(plan.plan_id)
    ]
    return sum(sizes) / len(sizes) if sizes else 0.0
