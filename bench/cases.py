"""Long case histories: recording and replaying one CaseManagedRecovery of many events.

Two measurements, in the same ``make bench`` run as the MSP plans:

* **A case with a long history** (``--case-events``, default 1,000 events). recoverycore records
  it through ``RecoveryApp.handle`` (load the case, ``decide`` its rules, save), a
  ``SimulatedClock`` moved ``CASE_STEP`` before each command; the baseline is eventsourcing's
  own ``Application`` (default ``Mapper`` and ``JSONTranscoder``) with
  :class:`bench.case_bare.BareCase`, whose ``@event`` methods record the same events with the
  same payloads, one ``repository.get`` -> method -> ``save`` per command. Both sides use the
  same aggregate cache (``AGGREGATE_CACHE_MAXSIZE``), so neither replays the growing history
  on every command. recoverycore records twice per round: with snapshots every
  ``--snapshot-interval`` events (its default) and with ``RECOVERYCORE_SNAPSHOT_INTERVAL=0``,
  each into its own store (the interval only decides when snapshots are *taken*: a store that
  holds snapshots is replayed from them whatever the interval). The baseline records twice too:
  with eventsourcing's default deep copy of the cached aggregate on each ``get`` and without it
  (``DEEPCOPY_FROM_AGGREGATE_CACHE=n``, as recoverycore's frozen states are handed out).
  Replay reconstructs the case on an application opened afresh (its cache empty): recoverycore
  without snapshots (a full replay, the fair comparison), the baseline, and recoverycore with
  snapshots (from the latest snapshot).
* **Replay stays flat with snapshots**: cases of 100, 1,000 and 10,000 events (10,000 left out
  by ``--skip-long``), decided with the pure ``cmr.decide``/``cmr.fold`` at the same simulated
  times and saved with ``app.save(*events)`` in batches, with snapshots taken where the
  application takes them (each time the version reaches a multiple of the interval), into one
  store with snapshots and one without. ``RecoveryApp.case`` is timed on a fresh application
  (median of several repeats) with snapshots on and off.

The case's commands are not contacts (X-R6 contact hours and X-R8 contact caps do not apply):
after ``AllocateCase`` and ``CreateCaseFile`` they cycle through a capacity review, an inbound
discussion, returned correspondence, an FI account lead, a case file document (named
``YYYY-MM-DD - CITIZEN, Alex - ...``) and a travel pattern assessment; each records one event.
Documents and FI leads accumulate in the case's state, so its snapshot grows with the history.
"""

from __future__ import annotations

import cProfile
import gc
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from time import perf_counter, process_time
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.application import Application

from bench.bare import BareApp
from bench.case_bare import CASE_BARE_METHODS, BareCase
from bench.runner import Timing, bare_env
from bench.scenario import bare_fields
from recoverycore.aggregates import cmr
from recoverycore.application import RecoveryApp
from recoverycore.application.clock import SimulatedClock
from recoverycore.cli.demo import CASE_MANAGER, CUSTOMER, TEAM_LEADER
from recoverycore.events import Snapshot
from recoverycore.events.cmr import CaseEvent
from recoverycore.persistence import sqlite_env
from recoverycore.testing import EPOCH

__all__ = [
    "CACHE_MAXSIZE",
    "CASE_START",
    "CASE_STEP",
    "CASE_VARIANTS",
    "CaseComparison",
    "CaseResult",
    "CaseScript",
    "FlatRow",
    "build_case",
    "case_as_dict",
    "case_lines",
    "check_case_equivalent",
    "measure_case",
    "measure_flat",
    "open_case_recoverycore",
    "profile_case",
    "record_case_bare",
    "record_case_recoverycore",
    "replay_case_bare",
    "replay_case_recoverycore",
    "run_cases",
    "store_case",
]

CASE_START: datetime = EPOCH
"""Where the simulated clock starts (Monday 2 March 2026, 9:00 in Sydney)."""
CASE_STEP = timedelta(minutes=5)
"""How far the simulated clock moves before each command."""
CACHE_MAXSIZE = "1000"
"""``AGGREGATE_CACHE_MAXSIZE`` on both sides (recoverycore's own default)."""
BATCH = 500
"""Events per ``app.save`` when the flatness cases are built."""

_NAMESPACE = UUID("0b7e6c1e-9a55-4d51-8f43-6b1d3c2a5e01")

CASE_VARIANTS = ("recoverycore-snapshots", "recoverycore-no-snapshots", "bare")
"""recoverycore with snapshots every ``interval`` events, recoverycore with
``RECOVERYCORE_SNAPSHOT_INTERVAL=0``, and the bare eventsourcing baseline."""
RECORD_VARIANTS = (*CASE_VARIANTS, "bare-no-deepcopy")
"""Recording also runs the baseline with ``DEEPCOPY_FROM_AGGREGATE_CACHE=n``: recoverycore's
states are frozen, so its cache hands them out as they are, while eventsourcing deep-copies a
cached mutable aggregate on every ``get`` by default; this shows what that copy costs."""


# -- the workload --------------------------------------------------------------------------------
@dataclass(frozen=True)
class CaseScript:
    """One case's commands (one event each), the events they record, and the bare steps."""

    case_id: UUID
    commands: tuple[cmr.CaseCommand, ...]
    events: tuple[CaseEvent, ...]
    bare_steps: tuple[tuple[str, dict[str, Any]], ...]

    @property
    def event_count(self) -> int:
        return len(self.events)

    def prefix(self, count: int) -> CaseScript:
        """The first ``count`` commands: the same case with a shorter history."""
        return CaseScript(
            self.case_id,
            self.commands[:count],
            self.events[:count],
            self.bare_steps[:count],
        )


def _doc_name(on: datetime, action: str) -> str:
    return f"{on.date().isoformat()} - {CUSTOMER.surname.upper()}, {CUSTOMER.first_name} - {action}"


def _command(case_id: UUID, index: int, now: datetime) -> cmr.CaseCommand:
    """The ``index``-th command of the case, decided at ``now``."""
    cm = CASE_MANAGER
    if index == 0:
        return cmr.AllocateCase(
            case_id=case_id,
            actor=TEAM_LEADER,
            # A customer of its own (one open case per customer): a CRN from the case's id.
            crn=f"{case_id.int % 10**9:09d}J",
            customer=CUSTOMER,
            team="SRT",
            case_manager_id=cm.staff_id,
            allocation_source="WLM_READY",
            allocation_group="SRT-NSW-3",
            sms_subscribed=True,
            debts=(
                cmr.Debt(debt_id="D-88121", balance=Decimal("12400.00")),
                cmr.Debt(debt_id="D-88122", balance=Decimal("930.15")),
            ),
        )
    if index == 1:
        return cmr.CreateCaseFile(case_id=case_id, actor=cm, location="SRT share/311204557J")
    n = index - 2
    kind = n % 6
    if kind == 0:
        return cmr.RecordCapacityReview(
            case_id=case_id,
            actor=cm,
            capacity_indicators=("PAYG income in STP data", f"Review {n // 6 + 1}"),
        )
    if kind == 1:
        return cmr.RecordDiscussion(
            case_id=case_id,
            actor=cm,
            direction="INBOUND",
            identity_confirmed=True,
            customer_queried_debt=n % 4 == 1,
            summary="The customer rang about the balance; identity confirmed, options and "
            "review rights explained.",
        )
    if kind == 2:
        return cmr.ProcessReturnedCorrespondence(
            case_id=case_id,
            actor=cm,
            outcome="NOTHING_NEW",
            detail=f"Return to sender, batch RTS-{n:06d}; no new address.",
        )
    if kind == 3:
        return cmr.RecordFiAccountLead(
            case_id=case_id,
            actor=cm,
            institution="Westpac",
            account_ref=f"032-000 {n:06d}",
            balance=Decimal(f"{1000 + n % 9000}.{n % 100:02d}"),
        )
    if kind == 4:
        return cmr.AddCaseFileDocument(
            case_id=case_id,
            actor=cm,
            name=_doc_name(now, f"Equifax search result {n:06d}"),
            document_type="SEARCH_RESULT",
        )
    return cmr.RecordTravelPatternAssessment(
        case_id=case_id,
        actor=cm,
        evidence=("Movement data", f"PASS-{n:06d}"),
        pattern_found=False,
    )


def build_case(count: int, *, name: str = "long-case") -> CaseScript:
    """A case of ``count`` events; they are decided here with the simulated clock the recording
    uses (``CASE_START``, moved ``CASE_STEP`` before every command)."""
    if count < 2:
        raise ValueError("a case needs at least 2 events (allocation and case file)")
    case_id = uuid5(_NAMESPACE, name)
    commands: list[cmr.CaseCommand] = []
    events: list[CaseEvent] = []
    steps: list[tuple[str, dict[str, Any]]] = []
    state: cmr.CaseState | None = None
    now = CASE_START
    for index in range(count):
        now += CASE_STEP
        command = _command(case_id, index, now)
        decided = cmr.decide(state, command, now=now)
        if len(decided) != 1:
            raise AssertionError(f"command {index} recorded {len(decided)} events, expected 1")
        (event,) = decided
        state = cmr.fold(decided, state)
        commands.append(command)
        events.append(event)
        steps.append((CASE_BARE_METHODS.get(type(event).__name__, "__init__"), bare_fields(event)))
    return CaseScript(case_id, tuple(commands), tuple(events), tuple(steps))


# -- applications --------------------------------------------------------------------------------
def _recoverycore_env(path: Path, interval: int) -> dict[str, str]:
    return {
        **sqlite_env(path),
        "AGGREGATE_CACHE_MAXSIZE": CACHE_MAXSIZE,
        RecoveryApp.SNAPSHOT_INTERVAL: str(interval),
    }


def open_case_recoverycore(
    path: Path, interval: int, clock: SimulatedClock | None = None
) -> RecoveryApp:
    """recoverycore on the SQLite file with the cache and snapshot interval set explicitly (so
    the environment does not change what is measured)."""
    return RecoveryApp(
        env=_recoverycore_env(path, interval), clock=clock or SimulatedClock(CASE_START)
    )


def _open_bare(path: Path, *, deepcopy: bool = True) -> BareApp:
    return BareApp(
        env={
            **bare_env(path),
            "AGGREGATE_CACHE_MAXSIZE": CACHE_MAXSIZE,
            "DEEPCOPY_FROM_AGGREGATE_CACHE": "y" if deepcopy else "n",
        }
    )


def _timed(body: Callable[[], int]) -> Timing:
    gc.collect()
    cpu_started = process_time()
    started = perf_counter()
    events = body()
    elapsed = perf_counter() - started
    return Timing(events, elapsed, process_time() - cpu_started)


# -- recording -----------------------------------------------------------------------------------
def record_case_recoverycore(script: CaseScript, path: Path, interval: int) -> Timing:
    """Every command through ``RecoveryApp.handle``, the clock moved before each."""
    clock = SimulatedClock(CASE_START)
    app = open_case_recoverycore(path, interval, clock)
    handle = app.handle
    advance = clock.advance

    def body() -> int:
        count = 0
        for command in script.commands:
            advance(CASE_STEP)
            count += len(handle(command))
        return count

    try:
        return _timed(body)
    finally:
        app.close()


def record_case_bare(script: CaseScript, path: Path, *, deepcopy: bool = True) -> Timing:
    """Every bare step: ``repository.get`` -> ``@event`` method -> ``save``."""
    app = _open_bare(path, deepcopy=deepcopy)
    get = app.repository.get
    save = app.save
    case_id = script.case_id

    def body() -> int:
        count = 0
        for method, fields in script.bare_steps:
            if method == "__init__":
                aggregate = BareCase(id=case_id, **fields)
            else:
                aggregate = get(case_id)
                getattr(aggregate, method)(**fields)
            save(aggregate)
            count += 1
        return count

    try:
        return _timed(body)
    finally:
        app.close()


# -- replay --------------------------------------------------------------------------------------
_OTHER_ID = uuid5(_NAMESPACE, "nothing-recorded-here")


def _warm(app: Application[Any]) -> None:
    """Open the store's connection with a query on another id, so that the timed read is the
    case's replay alone (the case's state is not touched, so nothing of it is cached)."""
    list(app.events.get(_OTHER_ID, limit=1))


def replay_case_recoverycore(path: Path, interval: int, case_id: UUID) -> Timing:
    """``RecoveryApp.case`` on an application opened afresh; counts the case's version."""
    app = open_case_recoverycore(path, interval)
    try:
        _warm(app)
        return _timed(lambda: app.case(case_id).version)
    finally:
        app.close()


def replay_case_bare(path: Path, case_id: UUID) -> Timing:
    """``repository.get`` on an application opened afresh; counts the aggregate's version."""
    app = _open_bare(path)
    try:
        _warm(app)
        return _timed(lambda: app.repository.get(case_id).version)
    finally:
        app.close()


# -- checks (untimed) ----------------------------------------------------------------------------
def check_case_equivalent(rc: RecoveryApp, bare: Application[Any], script: CaseScript) -> None:
    """Both stores hold the script's events for the case, field for field."""
    expected = [fields for _, fields in script.bare_steps]
    recorded = [bare_fields(event) for event in rc.history(script.case_id)]
    if recorded != expected:
        raise AssertionError("recoverycore recorded other case events than the script's")
    stored = list(bare.events.get(script.case_id))
    if len(stored) != len(expected):
        raise AssertionError(f"bare side stored {len(stored)} events, expected {len(expected)}")
    for event, fields in zip(stored, expected, strict=True):
        got = {name: getattr(event, name) for name in fields}
        if got != fields:
            raise AssertionError(f"bare {type(event).__name__} differs: {got} != {fields}")


# -- the long case -------------------------------------------------------------------------------
def _rotated(variants: tuple[str, ...], round_no: int) -> tuple[str, ...]:
    shift = round_no % len(variants)
    return variants[shift:] + variants[:shift]


def measure_case(
    script: CaseScript, *, rounds: int, replay_rounds: int, interval: int, tmp: Path
) -> dict[str, dict[str, list[Timing]]]:
    """Warm up, record the case ``rounds`` times per variant, then replay it ``replay_rounds``
    times per variant; the variants take turns in rotating order."""
    warmup = script.prefix(min(script.event_count, 30))
    for variant in RECORD_VARIANTS:
        _record(variant, warmup, tmp / f"case-warmup-{variant}.sqlite", interval)
        _replay(variant, tmp / f"case-warmup-{variant}.sqlite", interval, warmup.case_id)

    recorded: dict[str, list[Timing]] = {variant: [] for variant in RECORD_VARIANTS}
    paths: dict[str, Path] = {}
    for round_no in range(rounds):
        for variant in _rotated(RECORD_VARIANTS, round_no):
            path = tmp / f"case-{variant}-{round_no}.sqlite"
            timing = _record(variant, script, path, interval)
            _expect(timing, script.event_count, f"{variant} recorded")
            recorded[variant].append(timing)
            paths[variant] = path

    rc = open_case_recoverycore(paths["recoverycore-no-snapshots"], 0)
    bare = _open_bare(paths["bare"])
    bare_no_copy = _open_bare(paths["bare-no-deepcopy"])
    rc_snapshots = open_case_recoverycore(paths["recoverycore-snapshots"], interval)
    try:
        check_case_equivalent(rc, bare, script)
        check_case_equivalent(rc, bare_no_copy, script)
        expected = cmr.fold(script.events)
        if rc.case(script.case_id) != expected or rc_snapshots.case(script.case_id) != expected:
            raise AssertionError("the recorded case replays to another state than the script's")
    finally:
        rc.close()
        bare.close()
        bare_no_copy.close()
        rc_snapshots.close()

    replayed: dict[str, list[Timing]] = {variant: [] for variant in CASE_VARIANTS}
    for round_no in range(replay_rounds):
        for variant in _rotated(CASE_VARIANTS, round_no):
            timing = _replay(variant, paths[variant], interval, script.case_id)
            _expect(timing, script.event_count, f"{variant} replayed")
            replayed[variant].append(timing)
    return {"record": recorded, "replay": replayed}


def _record(variant: str, script: CaseScript, path: Path, interval: int) -> Timing:
    if variant.startswith("bare"):
        return record_case_bare(script, path, deepcopy=variant == "bare")
    return record_case_recoverycore(
        script, path, interval if variant == "recoverycore-snapshots" else 0
    )


def _replay(variant: str, path: Path, interval: int, case_id: UUID) -> Timing:
    if variant.startswith("bare"):
        return replay_case_bare(path, case_id)
    return replay_case_recoverycore(
        path, interval if variant == "recoverycore-snapshots" else 0, case_id
    )


def _expect(timing: Timing, expected: int, what: str) -> None:
    if timing.events != expected:
        raise AssertionError(f"{what}: {timing.events} events, expected {expected}")


# -- replay stays flat ---------------------------------------------------------------------------
@dataclass(frozen=True)
class FlatRow:
    """One case size: replay times (seconds) with and without snapshots, and the snapshot."""

    events: int
    with_snapshots: list[float]
    without_snapshots: list[float]
    snapshot_version: int
    snapshot_bytes: int

    @property
    def median_with(self) -> float:
        return statistics.median(self.with_snapshots)

    @property
    def median_without(self) -> float:
        return statistics.median(self.without_snapshots)


def _states(script: CaseScript) -> Iterator[tuple[CaseEvent, cmr.CaseState]]:
    state: cmr.CaseState | None = None
    for event in script.events:
        state = cmr.evolve(state, event)
        yield event, state


def store_case(script: CaseScript, path: Path, interval: int) -> tuple[int, int]:
    """Save the script's events with ``app.save`` in batches of ``BATCH``; with ``interval``
    > 0, also the snapshots ``handle`` would have taken. Returns the latest snapshot's version
    and the size of its stored state (0, 0 without snapshots)."""
    app = open_case_recoverycore(path, interval)
    latest = (0, 0)
    try:
        batch: list[CaseEvent] = []
        snapshots: list[Snapshot] = []
        for event, state in _states(script):
            batch.append(event)
            if interval > 0 and state.version % interval == 0:
                snapshots.append(Snapshot.take(state))
            if len(batch) == BATCH:
                app.save(*batch)
                batch = []
        if batch:
            app.save(*batch)
        if snapshots:
            assert app.snapshots is not None
            app.snapshots.put(snapshots)
            last = snapshots[-1]
            stored = app.snapshots.mapper.to_stored_event(last)
            latest = (last.originator_version, len(stored.state))
    finally:
        app.close()
    return latest


def _time_case(path: Path, interval: int, case_id: UUID) -> tuple[float, cmr.CaseState]:
    app = open_case_recoverycore(path, interval)
    try:
        _warm(app)
        gc.collect()
        started = perf_counter()
        state = app.case(case_id)
        return perf_counter() - started, state
    finally:
        app.close()


def measure_flat(
    script: CaseScript, sizes: tuple[int, ...], *, interval: int, repeats: int, tmp: Path
) -> list[FlatRow]:
    """For each size: store the case twice (with and without snapshots), then time
    ``RecoveryApp.case`` on fresh applications, the two stores taking turns."""
    rows: list[FlatRow] = []
    for size in sizes:
        case = script.prefix(size)
        on_path = tmp / f"flat-{size}-snapshots.sqlite"
        off_path = tmp / f"flat-{size}-no-snapshots.sqlite"
        snapshot_version, snapshot_bytes = store_case(case, on_path, interval)
        store_case(case, off_path, 0)
        expected = cmr.fold(case.events)
        on: list[float] = []
        off: list[float] = []
        for _ in range(repeats):
            for path, times, every in ((on_path, on, interval), (off_path, off, 0)):
                seconds, state = _time_case(path, every, case.case_id)
                if state != expected:
                    raise AssertionError(f"the {size}-event case replays to another state")
                times.append(seconds)
        rows.append(FlatRow(size, on, off, snapshot_version, snapshot_bytes))
    return rows


# -- results and rendering -----------------------------------------------------------------------
@dataclass(frozen=True)
class CaseComparison:
    """One figure of the long case: a recoverycore variant against the baseline."""

    key: str
    label: str
    recoverycore: list[Timing]
    bare: list[Timing]

    def _side(self, side: str) -> list[Timing]:
        return self.recoverycore if side == "recoverycore" else self.bare

    def median_rate(self, side: str) -> float:
        return statistics.median(t.rate for t in self._side(side))

    def median_ms(self, side: str) -> float:
        return statistics.median(t.seconds for t in self._side(side)) * 1000

    def cpu_us_per_event(self, side: str) -> float:
        return statistics.median(t.cpu_seconds / t.events for t in self._side(side)) * 1e6

    @property
    def ratio(self) -> float:
        return self.median_rate("recoverycore") / self.median_rate("bare")

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "ratio": round(self.ratio, 4),
            **{
                side: {
                    "median_events_per_second": round(self.median_rate(side), 1),
                    "median_ms": round(self.median_ms(side), 3),
                    "median_cpu_us_per_event": round(self.cpu_us_per_event(side), 2),
                    "seconds": [round(t.seconds, 5) for t in self._side(side)],
                }
                for side in ("recoverycore", "bare")
            },
        }


@dataclass(frozen=True)
class CaseResult:
    events: int
    rounds: int
    replay_rounds: int
    interval: int
    repeats: int
    comparisons: list[CaseComparison]
    flat: list[FlatRow]


def run_cases(
    *,
    events: int,
    rounds: int,
    replay_rounds: int,
    interval: int,
    sizes: tuple[int, ...],
    repeats: int,
    tmp: Path,
) -> CaseResult:
    """Both case measurements: the long case, then the replay-stays-flat table."""
    script = build_case(max(events, *sizes))
    runs = measure_case(
        script.prefix(events),
        rounds=rounds,
        replay_rounds=replay_rounds,
        interval=interval,
        tmp=tmp,
    )
    on, off = "recoverycore-snapshots", "recoverycore-no-snapshots"
    every = f"snapshots every {interval}"
    comparisons = [
        CaseComparison(
            "record_snapshots", f"case record, {every}", runs["record"][on], runs["record"]["bare"]
        ),
        CaseComparison(
            "record_no_snapshots",
            "case record, no snapshots",
            runs["record"][off],
            runs["record"]["bare"],
        ),
        CaseComparison(
            "record_no_snapshots_vs_bare_no_deepcopy",
            "case record, no snapshots *",
            runs["record"][off],
            runs["record"]["bare-no-deepcopy"],
        ),
        CaseComparison(
            "replay_no_snapshots",
            "case replay, no snapshots",
            runs["replay"][off],
            runs["replay"]["bare"],
        ),
        CaseComparison(
            "replay_snapshots", f"case replay, {every}", runs["replay"][on], runs["replay"]["bare"]
        ),
    ]
    flat = measure_flat(script, sizes, interval=interval, repeats=repeats, tmp=tmp)
    return CaseResult(events, rounds, replay_rounds, interval, repeats, comparisons, flat)


def _cpu_share(runs: list[Timing]) -> float:
    return sum(t.cpu_seconds for t in runs) / sum(t.seconds for t in runs)


def case_lines(result: CaseResult) -> list[str]:
    """The two case tables, for ``make bench``'s text output."""
    lines = [
        f"long case: 1 case of {result.events:,} events through handle() (AllocateCase, "
        "CreateCaseFile, then capacity reviews, inbound discussions, returned mail, FI leads, "
        f"case file documents, travel assessments in turn; clock +{_minutes(CASE_STEP)} min per "
        f"command); {result.rounds} recording and {result.replay_rounds} replay rounds per "
        "variant, variants rotating; medians. Replay: case() / repository.get() on an "
        "application opened afresh",
        f"cache: AGGREGATE_CACHE_MAXSIZE={CACHE_MAXSIZE} on both sides; recoverycore hands out "
        "its frozen states (DEEPCOPY_FROM_AGGREGATE_CACHE=n), the bare side deep-copies its "
        "mutable aggregate on each get (eventsourcing's default, y)",
        "",
        f"{'measurement':<34}{'events':>7}{'recoverycore ev/s':>19}{'bare ev/s':>11}"
        f"{'ratio':>8}{'ms rc / bare':>17}{'CPU µs/ev rc / bare':>21}",
    ]
    for c in result.comparisons:
        ms = f"{c.median_ms('recoverycore'):.1f} / {c.median_ms('bare'):.1f}"
        cpu = f"{c.cpu_us_per_event('recoverycore'):.1f} / {c.cpu_us_per_event('bare'):.1f}"
        lines.append(
            f"{c.label:<34}{result.events:>7,}{c.median_rate('recoverycore'):>19,.0f}"
            f"{c.median_rate('bare'):>11,.0f}{c.ratio:>8.2f}{ms:>17}{cpu:>21}"
        )
    record = result.comparisons[0]
    lines += [
        "* against the bare side with DEEPCOPY_FROM_AGGREGATE_CACHE=n (no deep copy on get)",
        f"CPU share of wall time, case record: recoverycore {_cpu_share(record.recoverycore):.0%},"
        f" bare {_cpu_share(record.bare):.0%} (the rest is SQLite commits, one per command)",
        "",
        f"replay stays flat with snapshots: case() on a fresh app, median of {result.repeats}; "
        f"each case saved with app.save in batches of {BATCH} (events from cmr.decide at the "
        f"same simulated times) with the snapshots handle() takes, every {result.interval} "
        "events",
        f"{'events':>12}{'snapshots on ms':>17}{'snapshots off ms':>18}"
        f"{'latest snapshot: version, stored size':>40}",
    ]
    for row in result.flat:
        snapshot = (
            f"{row.snapshot_version:,}, {row.snapshot_bytes / 1024:.1f} KB"
            if row.snapshot_version
            else "none"
        )
        lines.append(
            f"{row.events:>12,}{row.median_with * 1000:>17.2f}{row.median_without * 1000:>18.2f}"
            f"{snapshot:>40}"
        )
    first, last = result.flat[0], result.flat[-1]
    lines.append(
        f"{f'{last.events:,}/{first.events:,}':>12}"
        f"{f'{last.median_with / first.median_with:.2f}×':>17}"
        f"{f'{last.median_without / first.median_without:.2f}×':>18}"
        "   (flat ≈ 1; with snapshots the time follows the state's size, not the event count)"
    )
    return lines


def case_as_dict(result: CaseResult) -> dict[str, Any]:
    """The case measurements for ``--json``."""
    first, last = result.flat[0], result.flat[-1]
    return {
        "events": result.events,
        "record_rounds": result.rounds,
        "replay_rounds": result.replay_rounds,
        "snapshot_interval": result.interval,
        "aggregate_cache_maxsize": int(CACHE_MAXSIZE),
        "clock_step_minutes": _minutes(CASE_STEP),
        "measurements": {c.key: c.as_dict() for c in result.comparisons},
        "replay_flat": {
            "repeats": result.repeats,
            "rows": [
                {
                    "events": row.events,
                    "median_ms_snapshots": round(row.median_with * 1000, 3),
                    "median_ms_no_snapshots": round(row.median_without * 1000, 3),
                    "snapshot_version": row.snapshot_version,
                    "snapshot_stored_bytes": row.snapshot_bytes,
                }
                for row in result.flat
            ],
            "ratio_largest_to_smallest": {
                "snapshots": round(last.median_with / first.median_with, 3),
                "no_snapshots": round(last.median_without / first.median_without, 3),
            },
        },
    }


def _minutes(step: timedelta) -> int:
    return int(step.total_seconds() // 60)


def profile_case(
    script: CaseScript, *, interval: int, tmp: Path
) -> list[tuple[str, cProfile.Profile]]:
    """cProfile recoverycore recording ``script`` through ``handle`` (snapshots every
    ``interval``) and replaying it without snapshots three times, on fresh applications."""
    clock = SimulatedClock(CASE_START)
    app = open_case_recoverycore(tmp / "profile-case.sqlite", interval, clock)
    recording = cProfile.Profile()
    try:
        gc.collect()
        recording.enable()
        for command in script.commands:
            clock.advance(CASE_STEP)
            app.handle(command)
        recording.disable()
    finally:
        app.close()
    path = tmp / "profile-case-no-snapshots.sqlite"
    store_case(script, path, 0)
    replay = cProfile.Profile()
    for _ in range(3):
        fresh = open_case_recoverycore(path, 0)
        try:
            _warm(fresh)
            gc.collect()
            replay.enable()
            fresh.case(script.case_id)
            replay.disable()
        finally:
            fresh.close()
    return [("case record", recording), ("case replay (no snapshots)", replay)]
