"""Integrity: how fast ``recoverycore.verify`` checks a large store against reading the
same rows without checking them, and what sealing and encrypting cost when recording.

**Verify throughput.** A store of ``--integrity-events`` events (default 1,000,000) is generated
as :mod:`bench.projections` generates its store: templates recorded once through
``RecoveryApp.handle`` with the policies following, then cloned under new ids by
:class:`bench.projections.StoreBuilder`, each cloned history sealed anew in its own hash chain
(in ``make bench`` the projections' template is reused, so it is recorded once). On that store,
in the same run, ``--integrity-rounds`` rounds (default 3; the three passes alternate their
order from round to round, medians are reported) of:

* **select_notifications** - eventsourcing's ``recorder.select_notifications`` page by page
  (``DEFAULT_BATCH_SIZE`` a page) over every log of the store (``RecoveryCore``,
  ``FollowUpPolicy``, ``SafeguardPolicy``), nothing decoded: the raw read the views are measured
  against;
* **ordered scan** - the statement ``verify`` reads the store with (every row's id, version,
  topic and state, ``ORDER BY originator_id, originator_version``, fetched 2,000 rows at a time
  from SQLite, through a named server-side cursor from PostgreSQL), rows counted, nothing
  hashed: what ``verify`` would cost if checking were free;
* **verify** - ``verify(env)`` on the whole store (it must find nothing).

Events per wall second of each, and ``verify``'s rate divided by each raw read's (the issue's
aim: 0.5 or more), with the peak RSS rise of each pass (Linux: the high-water mark reset just
before, read from ``/proc/self/status``). SQLite first, then a throwaway PostgreSQL server
(:mod:`bench.pgserver`; skipped with a note when its binaries are missing, or with
``--no-postgres``). No audit view exists beside the generated store, so ``verify`` has no
witness to compare history ends with (that check reads one small table).

**Recording overhead.** The same commands recorded through ``RecoveryApp.handle`` on a new
SQLite file per run, in four modes: the defaults (hash chain and personal-data protection on),
the chain alone (``RECOVERYCORE_PERSONAL_DATA=plain``), protection alone
(``RECOVERYCORE_HASH_CHAIN=n``) and neither. Two workloads: ``--record-plans`` MSP plans of
:mod:`bench.scenario` (default 200, 15 events each, each plan a customer of its own, so each
plan makes a key and a link in the key store) and one case of ``--record-case-events`` events
of :mod:`bench.cases` (default 1,000; 0 for none; aggregate cache and snapshots every 100
events, as recoverycore's defaults). ``--record-rounds`` rounds (default 7) after a warm-up, the
modes in a rotated order each round; medians of events per wall second and of CPU microseconds
per event, and the overhead of each mode against "neither": extra wall time (and CPU time) per
event, the median over the rounds of the ratio to "neither" in the same round (the issue's aim
for the defaults: 20% or less of wall time). Recording on SQLite files waits mostly for commits
(an fsync each), so on a shared machine the wall figures are noisy; the CPU figures much less.
Each mode's last store is checked afterwards (untimed): it verifies when chained, reads as
unchained when not, and holds tokens only when protected.

Nothing here fails the run on a figure. Run alone with ``python -m bench.integrity`` (the same
options as ``python -m bench``'s integrity group, plus ``--no-postgres``, ``--json``, ``--quiet``
and ``--profile``: cProfile ``verify`` over a SQLite store of ``PROFILE_EVENTS`` events).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from time import perf_counter, process_time
from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from bench.cases import CASE_START, CASE_STEP, CaseScript, build_case
from bench.pgserver import SETTINGS, PgServer, PgUnavailable, throwaway_server
from bench.projections import (
    DEFAULT_CASE_EVENTS,
    StoreBuilder,
    Template,
    _peak,
    _quiet_logging,
    _reset_peak,
    _server_trouble,
    _status,
    record_template,
)
from bench.runner import Timing
from bench.scenario import EVENTS_PER_PLAN, START, STEP, PlanScript, build_plans
from recoverycore.application import RecoveryApp
from recoverycore.application.clock import SimulatedClock
from recoverycore.application.verify import APPLICATIONS, VerifyResult, verify
from recoverycore.persistence import (
    CHAIN_KEY,
    HASH_CHAIN,
    PERSONAL_DATA,
    chain_key_from,
    read_seal,
    release_personal_data,
    sqlite_env,
)
from recoverycore.projections import DEFAULT_BATCH_SIZE, opened

__all__ = [
    "DEFAULT_EVENTS",
    "MODES",
    "READS",
    "IntegrityResult",
    "Pass",
    "RecordingRun",
    "VerifyStore",
    "add_integrity_arguments",
    "check_integrity_arguments",
    "integrity_as_dict",
    "integrity_lines",
    "main",
    "measure_recording",
    "measure_verify",
    "profile_integrity",
    "run_integrity_bench",
]

DEFAULT_EVENTS = 1_000_000
DEFAULT_ROUNDS = 3
DEFAULT_RECORD_PLANS = 200
DEFAULT_RECORD_CASE_EVENTS = 1_000
DEFAULT_RECORD_ROUNDS = 7
PROFILE_EVENTS = 200_000
VERIFY_AIM = 0.5
"""verify's rate over the raw read's, at least."""
OVERHEAD_AIM = 0.20
"""Extra wall time per recorded event with the chain and protection on, at most."""
FETCH = 2_000
"""Rows per fetch in the ordered scan (as ``verify`` fetches them)."""
WARMUP_PLANS = 5
WARMUP_CASE_EVENTS = 50
CASE_SNAPSHOT_INTERVAL = "100"
CASE_CACHE_MAXSIZE = "1000"

READS = ("select_notifications", "ordered scan")
"""The raw reads verify is compared with."""
PASSES = (*READS, "verify")

MODES: dict[str, dict[str, str]] = {
    "chain+protect": {HASH_CHAIN: "y", PERSONAL_DATA: "protect"},
    "chain only": {HASH_CHAIN: "y", PERSONAL_DATA: "plain"},
    "protect only": {HASH_CHAIN: "n", PERSONAL_DATA: "protect"},
    "neither": {HASH_CHAIN: "n", PERSONAL_DATA: "plain"},
}
"""Recording modes, as environment switches (set explicitly, so the shell's do not count)."""
BASELINE = "neither"


# -- verify throughput ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Pass:
    """One timed pass over the whole store: events, seconds, and this process's RSS."""

    timing: Timing
    rss_start: int
    peak: int
    peak_reset: bool

    @property
    def rise(self) -> int:
        return max(0, self.peak - self.rss_start)


@dataclass
class VerifyStore:
    """One generated store: its events per log, and the passes over it."""

    store: str
    generate_seconds: float = 0.0
    events: dict[str, int] = field(default_factory=dict)
    passes: dict[str, list[Pass]] = field(default_factory=lambda: {p: [] for p in PASSES})
    chain: str = ""
    aggregates: int = 0

    @property
    def total(self) -> int:
        return sum(self.events.values())

    def rate(self, kind: str) -> float:
        return statistics.median(p.timing.rate for p in self.passes[kind])

    def seconds(self, kind: str) -> float:
        return statistics.median(p.timing.seconds for p in self.passes[kind])

    def cpu_share(self, kind: str) -> float:
        runs = [p.timing for p in self.passes[kind]]
        return sum(t.cpu_seconds for t in runs) / sum(t.seconds for t in runs)

    def rise(self, kind: str) -> int:
        return max(p.rise for p in self.passes[kind])

    def peak(self, kind: str) -> int:
        return max(p.peak for p in self.passes[kind])

    def ratio(self, read: str) -> float:
        return self.rate("verify") / self.rate(read)


@contextmanager
def _logs(env: Mapping[str, str]) -> Iterator[list[tuple[str, Any]]]:
    """Each log's application recorder, opened as ``verify`` opens them."""
    factories = [
        (name, InfrastructureFactory.construct(Environment(name, dict(env))))
        for name in APPLICATIONS
    ]
    try:
        yield [(name, factory.application_recorder()) for name, factory in factories]
    finally:
        for _, factory in factories:
            factory.close()


def _select_notifications(recorders: Sequence[tuple[str, Any]]) -> int:
    count = 0
    for _, recorder in recorders:
        select = recorder.select_notifications
        position = 0
        while page := select(position, limit=DEFAULT_BATCH_SIZE, inclusive_of_start=False):
            count += len(page)
            position = page[-1].id
    return count


def _ordered_scan(recorders: Sequence[tuple[str, Any]]) -> int:
    """verify's statement, its rows fetched as verify fetches them, and only counted."""
    count = 0
    for _, recorder in recorders:
        sql = (
            "SELECT originator_id, originator_version, topic, state FROM "
            f"{recorder.events_table_name} ORDER BY originator_id, originator_version"
        )
        if type(recorder).__module__.startswith("eventsourcing.postgres"):
            with (
                recorder.datastore.get_connection() as conn,
                conn.transaction(),
                conn.cursor(name="bench_ordered_scan", row_factory=_tuples) as cursor,
            ):
                cursor.itersize = FETCH
                cursor.execute(sql.encode())
                for _ in cursor:
                    count += 1
        else:
            with recorder.datastore.transaction(commit=False) as c:
                c.execute(sql)
                while batch := c.sqlite_cursor.fetchmany(FETCH):
                    count += len(batch)
    return count


def _tuples(cursor: Any) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    return tuple


def _chain_key(env: Mapping[str, str]) -> bytes | None:
    """The key the store was sealed with: applications read ``os.environ`` as well as ``env``
    (``verify(env)`` reads ``env`` only)."""
    return chain_key_from({**os.environ, **env})


def _verify(env: Mapping[str, str], found: list[VerifyResult]) -> int:
    result = verify(env, key=_chain_key(env))
    found.append(result)
    return result.events


def _pass(body: Callable[[], int]) -> Pass:
    gc.collect()
    peak_reset = _reset_peak()
    rss_start = _status().get("VmRSS", 0)
    cpu_started = process_time()
    started = perf_counter()
    events = body()
    elapsed = perf_counter() - started
    timing = Timing(events, elapsed, process_time() - cpu_started)
    return Pass(timing, rss_start, _peak(), peak_reset)


def measure_verify(
    store: str,
    env: Mapping[str, str],
    template: Template,
    target: int,
    *,
    rounds: int = DEFAULT_ROUNDS,
    progress: Callable[[str], None] | None = None,
) -> VerifyStore:
    """Generate the store, then ``rounds`` rounds of the raw reads and ``verify``."""
    say = progress or (lambda _: None)
    result = VerifyStore(store)
    with opened(env) as writers:
        builder = StoreBuilder(template, writers)
        builder.grow(target)
        result.generate_seconds = builder.seconds
        result.events = dict(builder.events)
    say(f"{store}: {result.total:,} events generated ({result.generate_seconds:.1f} s)")
    found: list[VerifyResult] = []
    with _logs(env) as recorders:
        bodies: dict[str, Callable[[], int]] = {
            "select_notifications": lambda: _select_notifications(recorders),
            "ordered scan": lambda: _ordered_scan(recorders),
            "verify": lambda: _verify(env, found),
        }
        for round_no in range(rounds):
            shift = round_no % len(PASSES)
            for kind in PASSES[shift:] + PASSES[:shift]:
                done = _pass(bodies[kind])
                if done.timing.events != result.total:
                    raise AssertionError(
                        f"{store} {kind}: {done.timing.events:,} events, expected {result.total:,}"
                    )
                result.passes[kind].append(done)
            say(f"{store}: round {round_no + 1} of {rounds} ({result.rate('verify'):,.0f} ev/s)")
    for checked in found:
        if not checked.ok:
            first = checked.findings[0]
            raise AssertionError(
                f"{store}: verify found {len(checked.findings):,} findings in the generated "
                f"store, first {first.kind} at {first.aggregate_id} v{first.version}: "
                f"{first.detail}"
            )
    result.chain = found[-1].chain
    result.aggregates = found[-1].aggregates
    return result


# -- recording overhead --------------------------------------------------------------------------
@dataclass
class RecordingRun:
    """One workload recorded in every mode, ``rounds`` times."""

    workload: str
    events: int
    runs: dict[str, list[Timing]] = field(default_factory=lambda: {m: [] for m in MODES})
    stored_bytes: dict[str, float] = field(default_factory=dict)
    checks: dict[str, str] = field(default_factory=dict)

    def rate(self, mode: str) -> float:
        return statistics.median(t.rate for t in self.runs[mode])

    def cpu_us(self, mode: str) -> float:
        """Median CPU microseconds per event."""
        return statistics.median(t.cpu_seconds / t.events * 1e6 for t in self.runs[mode])

    def overhead(self, mode: str) -> float:
        """Extra wall time per event against recording with neither: the median over the
        rounds of the two runs' ratio in the same round (paired, so drift between rounds
        cancels)."""
        return statistics.median(
            t.seconds / b.seconds - 1
            for t, b in zip(self.runs[mode], self.runs[BASELINE], strict=True)
        )

    def cpu_overhead(self, mode: str) -> float:
        """Extra CPU time per event against recording with neither (paired as ``overhead``)."""
        return statistics.median(
            t.cpu_seconds / b.cpu_seconds - 1
            for t, b in zip(self.runs[mode], self.runs[BASELINE], strict=True)
        )


def _record(
    path: Path,
    mode: Mapping[str, str],
    commands: Sequence[Any],
    start: datetime,
    step: timedelta,
    extra: Mapping[str, str],
) -> Timing:
    clock = SimulatedClock(start)
    app = RecoveryApp(env={**sqlite_env(path), **extra, **mode}, clock=clock)
    handle = app.handle
    advance = clock.advance
    try:
        gc.collect()
        cpu_started = process_time()
        started = perf_counter()
        count = 0
        for command in commands:
            advance(step)
            count += len(handle(command))
        elapsed = perf_counter() - started
        return Timing(count, elapsed, process_time() - cpu_started)
    finally:
        app.close()
        # The key file of each new store stays open in the process until released (nothing
        # else in the bench holds a key store at this point).
        release_personal_data()


def _plan_commands(plans: Sequence[PlanScript]) -> list[Any]:
    return [command for plan in plans for command in plan.commands]


_CASE_ENV = {
    "AGGREGATE_CACHE_MAXSIZE": CASE_CACHE_MAXSIZE,
    RecoveryApp.SNAPSHOT_INTERVAL: CASE_SNAPSHOT_INTERVAL,
}


def _check_store(path: Path, mode: Mapping[str, str]) -> tuple[float, str]:
    """The mean stored state of a recorded store, and what sealing and tokens it shows."""
    env = sqlite_env(path)
    chained = mode[HASH_CHAIN] == "y"
    protected = mode[PERSONAL_DATA] == "protect"
    with _logs(env) as recorders:
        (_, recorder), *_ = recorders
        stored = recorder.select_notifications(0, 10**9, inclusive_of_start=False)
    sealed = sum(1 for n in stored if read_seal(n.state) is not None)
    tokens = sum(1 for n in stored if b'"pii1:' in n.state or b'"pii2:' in n.state)
    if sealed != (len(stored) if chained else 0):
        raise AssertionError(f"{sealed} of {len(stored)} events sealed, chain {chained}")
    if (tokens > 0) != protected:
        raise AssertionError(f"{tokens} events with tokens, protection {protected}")
    result = verify({**env, **mode}, key=_chain_key(env))
    kinds = {f.kind for f in result.findings}
    if chained and not result.ok:
        raise AssertionError(f"a store recorded with the chain does not verify: {kinds}")
    if not chained and kinds != {"unchained"}:
        raise AssertionError(f"a store recorded without the chain reads as {kinds}")
    summary = (
        f"{'verifies' if result.ok else 'unchained'}, {tokens} of {len(stored)} events with tokens"
    )
    return sum(len(n.state) for n in stored) / len(stored), summary


def measure_recording(
    workload: str,
    commands: Sequence[Any],
    expected: int,
    *,
    start: datetime,
    step: timedelta,
    extra: Mapping[str, str],
    warmup: Sequence[Any],
    rounds: int,
    tmp: Path,
    progress: Callable[[str], None] | None = None,
) -> RecordingRun:
    """``commands`` recorded in every mode, ``rounds`` times, the modes rotated each round."""
    say = progress or (lambda _: None)
    run = RecordingRun(workload, expected)
    names = tuple(MODES)
    slug = workload.split()[0].lower()
    for number, name in enumerate(names):
        _record(tmp / f"warmup-{slug}-{number}.sqlite", MODES[name], warmup, start, step, extra)
    last: dict[str, Path] = {}
    for round_no in range(rounds):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            path = tmp / f"record-{slug}-{names.index(name)}-{round_no}.sqlite"
            timing = _record(path, MODES[name], commands, start, step, extra)
            if timing.events != expected:
                raise AssertionError(f"{workload} {name}: {timing.events} events, not {expected}")
            run.runs[name].append(timing)
            last[name] = path
        say(f"recording {workload}: round {round_no + 1} of {rounds}")
    for name, path in last.items():
        run.stored_bytes[name], run.checks[name] = _check_store(path, MODES[name])
    return run


# -- the whole section ---------------------------------------------------------------------------
@dataclass(frozen=True)
class IntegrityResult:
    target: int
    template_seconds: float | None
    """Seconds recording the template (``None``: the projections' template was reused)."""
    template_events: int
    rounds: int
    stores: list[VerifyStore]
    recordings: list[RecordingRun]
    notes: list[str]


def _postgres_store(server: PgServer) -> dict[str, str]:
    return server.env(server.create_database("bench_integrity"))


def run_integrity_bench(
    *,
    events: int = DEFAULT_EVENTS,
    rounds: int = DEFAULT_ROUNDS,
    record_plans: int = DEFAULT_RECORD_PLANS,
    record_case_events: int = DEFAULT_RECORD_CASE_EVENTS,
    record_rounds: int = DEFAULT_RECORD_ROUNDS,
    tmp: Path,
    template: Template | None = None,
    postgres: bool = True,
    progress: Callable[[str], None] | None = None,
) -> IntegrityResult:
    """Verify throughput on SQLite (and PostgreSQL, when a throwaway server can be started),
    then the recording overhead on SQLite files."""
    template_seconds = None
    if template is None:
        started = perf_counter()
        template = record_template(tmp / "integrity-template.sqlite")
        template_seconds = perf_counter() - started
    stores = [
        measure_verify(
            "SQLite",
            sqlite_env(tmp / "integrity.sqlite"),
            template,
            events,
            rounds=rounds,
            progress=progress,
        )
    ]
    notes: list[str] = []
    if not postgres:
        notes.append("PostgreSQL: skipped (--no-postgres)")
    else:
        try:
            with throwaway_server() as server:
                stores.append(
                    measure_verify(
                        f"PostgreSQL {server.version}",
                        _postgres_store(server),
                        template,
                        events,
                        rounds=rounds,
                        progress=progress,
                    )
                )
                notes.append(
                    f"PostgreSQL {server.version}: throwaway server on {server.host} "
                    f"(fsync={SETTINGS['fsync']}, shared_buffers={SETTINGS['shared_buffers']})"
                )
        except PgUnavailable as why:
            notes.append(f"PostgreSQL: skipped - {why}")
        except Exception as error:
            if not _server_trouble(error):
                raise
            notes.append(f"PostgreSQL: stopped - the server failed: {error}")
    recordings = [
        measure_recording(
            f"MSP plans ({record_plans} × {EVENTS_PER_PLAN} events)",
            _plan_commands(build_plans(record_plans)),
            record_plans * EVENTS_PER_PLAN,
            start=START,
            step=STEP,
            extra={},
            warmup=_plan_commands(build_plans(WARMUP_PLANS)),
            rounds=record_rounds,
            tmp=tmp,
            progress=progress,
        )
    ]
    if record_case_events:
        script: CaseScript = build_case(record_case_events, name="integrity-case")
        recordings.append(
            measure_recording(
                f"case ({record_case_events:,} events)",
                script.commands,
                record_case_events,
                start=CASE_START,
                step=CASE_STEP,
                extra=_CASE_ENV,
                warmup=build_case(WARMUP_CASE_EVENTS, name="integrity-warmup").commands,
                rounds=record_rounds,
                tmp=tmp,
                progress=progress,
            )
        )
    if os.environ.get(CHAIN_KEY):
        notes.append(f"{CHAIN_KEY} is set: the chain is HMAC-SHA-256")
    return IntegrityResult(
        events,
        template_seconds,
        template.clone_events,
        rounds,
        stores,
        recordings,
        notes,
    )


# -- rendering -----------------------------------------------------------------------------------
def _mb(value: int) -> str:
    return f"{value / 2**20:,.1f} MB"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "BELOW"


def integrity_lines(result: IntegrityResult) -> list[str]:
    """The integrity tables, for ``make bench``'s text output."""
    made = (
        "the projections' template reused"
        if result.template_seconds is None
        else f"template recorded in {result.template_seconds:.1f} s"
    )
    lines = [
        f"integrity: verify() on a store of at least {result.target:,} events, generated as the "
        f"projections' store ({made}; {result.template_events:,} events a clone, each clone "
        f"sealed anew), against raw reads of the same rows in the same run; {result.rounds} "
        f"round{'' if result.rounds == 1 else 's'}, passes alternating, medians",
        "",
        f"{'store':<16}{'events':>11}  {'pass':<22}{'seconds':>8}{'ev/s':>11}{'CPU':>6}"
        f"{'RSS rise':>11}{'peak RSS':>11}{'verify ×':>10}  aim",
    ]
    for store in result.stores:
        name, events = store.store, f"{store.total:,}"
        for kind in PASSES:
            ratio = "" if kind == "verify" else f"{store.ratio(kind):>10.2f}"
            verdict = (
                ""
                if kind == "verify"
                else f"  ≥ {VERIFY_AIM:.2f} {_verdict(store.ratio(kind) >= VERIFY_AIM)}"
            )
            lines.append(
                f"{name:<16}{events:>11}  {kind:<22}{store.seconds(kind):>8.2f}"
                f"{store.rate(kind):>11,.0f}{store.cpu_share(kind):>6.0%}"
                f"{'+' + _mb(store.rise(kind)):>11}{_mb(store.peak(kind)):>11}{ratio:>10}"
                f"{verdict}"
            )
            name = events = ""
        lines.append(
            f"{'':<16}{'':>11}  {store.aggregates:,} aggregates, {store.chain} chain; "
            + ", ".join(f"{log} {count:,}" for log, count in store.events.items())
            + f"; generated in {store.generate_seconds:.1f} s"
            + (
                ""
                if all(p.peak_reset for ps in store.passes.values() for p in ps)
                else " (RSS peaks not reset)"
            )
        )
    lines += [
        "verify × = verify's events/s / that read's events/s (aim ≥ 0.5); CPU = the process's "
        "CPU time / wall time (the rest is waiting: I/O, the server, or a busy machine); RSS "
        "rise = the largest rise of the peak RSS above the RSS at the pass's start, across "
        "rounds; peak RSS = the process's",
        "",
        "recording overhead: the same commands through RecoveryApp.handle on a new SQLite file "
        "per run, four modes rotated each round, after a warm-up; medians; overhead = extra "
        f"wall (CPU) time per event against '{BASELINE}' in the same round, median over the "
        f"rounds (aim for chain+protect ≤ {OVERHEAD_AIM:.0%} of wall time)",
        "",
        f"{'workload':<34}{'mode':<15}{'ev/s':>8}{'overhead':>10}{'CPU µs/ev':>11}"
        f"{'CPU ovh':>9}{'bytes/ev':>10}  check",
    ]
    for run in result.recordings:
        label = f"{run.workload} ×{len(run.runs[BASELINE])}"
        for mode in MODES:
            overhead = "" if mode == BASELINE else f"{run.overhead(mode):>+10.1%}"
            cpu = "" if mode == BASELINE else f"{run.cpu_overhead(mode):>+9.1%}"
            verdict = (
                f"  {_verdict(run.overhead(mode) <= OVERHEAD_AIM)} (≤ {OVERHEAD_AIM:.0%})"
                if mode == "chain+protect"
                else ""
            )
            lines.append(
                f"{label:<34}{mode:<15}{run.rate(mode):>8,.0f}{overhead:>10}"
                f"{run.cpu_us(mode):>11,.0f}{cpu:>9}{run.stored_bytes.get(mode, 0):>10,.0f}"
                f"  {run.checks.get(mode, '')}{verdict}"
            )
            label = ""
    lines += [
        *result.notes,
        "informational: no figure fails the run",
    ]
    return lines


def _timing(t: Timing) -> dict[str, Any]:
    return {
        "events": t.events,
        "seconds": round(t.seconds, 4),
        "events_per_second": round(t.rate, 1),
        "cpu_share": round(t.cpu_seconds / t.seconds, 3) if t.seconds else None,
    }


def integrity_as_dict(result: IntegrityResult) -> dict[str, Any]:
    """The integrity measurements for ``--json``."""
    return {
        "target_events": result.target,
        "template_seconds": (
            None if result.template_seconds is None else round(result.template_seconds, 2)
        ),
        "events_per_clone": result.template_events,
        "rounds": result.rounds,
        "verify_aim": VERIFY_AIM,
        "stores": {
            store.store: {
                "events": store.events,
                "total": store.total,
                "aggregates": store.aggregates,
                "chain": store.chain,
                "generate_seconds": round(store.generate_seconds, 2),
                "passes": {
                    kind: {
                        "median_events_per_second": round(store.rate(kind), 1),
                        "median_seconds": round(store.seconds(kind), 4),
                        "rss_rise_bytes": store.rise(kind),
                        "rss_peak_bytes": store.peak(kind),
                        "rss_peak_reset": all(p.peak_reset for p in store.passes[kind]),
                        "runs": [_timing(p.timing) for p in store.passes[kind]],
                    }
                    for kind in PASSES
                },
                "verify_ratio": {read: round(store.ratio(read), 4) for read in READS},
            }
            for store in result.stores
        },
        "recording": {
            "overhead_aim": OVERHEAD_AIM,
            "baseline": BASELINE,
            "modes": MODES,
            "workloads": {
                run.workload: {
                    "events": run.events,
                    "rounds": len(run.runs[BASELINE]),
                    **{
                        mode: {
                            "median_events_per_second": round(run.rate(mode), 1),
                            "median_cpu_us_per_event": round(run.cpu_us(mode), 1),
                            "overhead": round(run.overhead(mode), 4),
                            "cpu_overhead": round(run.cpu_overhead(mode), 4),
                            "mean_stored_bytes": round(run.stored_bytes.get(mode, 0.0), 1),
                            "check": run.checks.get(mode, ""),
                            "runs": [_timing(t) for t in run.runs[mode]],
                        }
                        for mode in MODES
                    },
                }
                for run in result.recordings
            },
        },
        "notes": result.notes,
    }


# -- profiling -----------------------------------------------------------------------------------
def profile_integrity(
    tmp: Path, *, events: int = PROFILE_EVENTS, template: Template | None = None
) -> list[tuple[str, cProfile.Profile]]:
    """cProfile ``verify`` over a SQLite store of ``events`` events (after one unprofiled
    pass, so the file is in the page cache)."""
    if template is None:
        template = record_template(tmp / "integrity-profile-template.sqlite")
    env = sqlite_env(tmp / "integrity-profile.sqlite")
    with opened(env) as writers:
        StoreBuilder(template, writers).grow(events)
    verify(env, key=_chain_key(env))
    gc.collect()
    prof = cProfile.Profile()
    prof.enable()
    try:
        result = verify(env, key=_chain_key(env))
    finally:
        prof.disable()
    if not result.ok:
        raise AssertionError("the generated store does not verify")
    return [(f"verify, SQLite ({result.events:,} events)", prof)]


# -- running alone -------------------------------------------------------------------------------
def add_integrity_arguments(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The integrity options (``python -m bench`` and ``python -m bench.integrity``)."""
    group = parser.add_argument_group("integrity")
    group.add_argument(
        "--integrity-events",
        type=int,
        default=DEFAULT_EVENTS,
        help=f"events in the store verify checks (default {DEFAULT_EVENTS:,})",
    )
    group.add_argument(
        "--integrity-rounds",
        type=int,
        default=DEFAULT_ROUNDS,
        help=f"rounds of the raw reads and verify (default {DEFAULT_ROUNDS})",
    )
    group.add_argument(
        "--record-plans",
        type=int,
        default=DEFAULT_RECORD_PLANS,
        help=f"MSP plans recorded per mode and round (default {DEFAULT_RECORD_PLANS})",
    )
    group.add_argument(
        "--record-case-events",
        type=int,
        default=DEFAULT_RECORD_CASE_EVENTS,
        help=f"events of the case recorded per mode and round (default "
        f"{DEFAULT_RECORD_CASE_EVENTS:,}; 0: no case)",
    )
    group.add_argument(
        "--record-rounds",
        type=int,
        default=DEFAULT_RECORD_ROUNDS,
        help=f"recording rounds per mode (default {DEFAULT_RECORD_ROUNDS})",
    )
    return group


def check_integrity_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.integrity_events < DEFAULT_CASE_EVENTS:
        parser.error(f"--integrity-events must be at least {DEFAULT_CASE_EVENTS:,}")
    if args.integrity_rounds < 1 or args.record_rounds < 1 or args.record_plans < 1:
        parser.error("--integrity-rounds, --record-rounds and --record-plans must be at least 1")
    if args.record_case_events != 0 and args.record_case_events < 2:
        parser.error("--record-case-events must be 0 (no case) or at least 2")


def _progress(message: str) -> None:
    print(f"[integrity] {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.integrity",
        description="verify() throughput against the raw read rate, and the recording overhead "
        "of the hash chain and personal-data protection.",
    )
    add_integrity_arguments(parser)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--profile",
        action="store_true",
        help=f"cProfile verify over a SQLite store of {PROFILE_EVENTS:,} events instead",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    check_integrity_arguments(parser, args)
    _quiet_logging()
    started = perf_counter()
    with tempfile.TemporaryDirectory(prefix="recoverycore-bench-integrity-") as tmp:
        if args.profile:
            out = io.StringIO()
            for title, prof in profile_integrity(Path(tmp)):
                for order in ("tottime", "cumulative"):
                    out.write(f"\n===== {title}: top 30 by {order} =====\n")
                    pstats.Stats(prof, stream=out).strip_dirs().sort_stats(order).print_stats(30)
            print(out.getvalue())
            return 0
        result = run_integrity_bench(
            events=args.integrity_events,
            rounds=args.integrity_rounds,
            record_plans=args.record_plans,
            record_case_events=args.record_case_events,
            record_rounds=args.record_rounds,
            tmp=Path(tmp),
            postgres=not args.no_postgres,
            progress=None if args.quiet else _progress,
        )
    seconds = perf_counter() - started
    if args.json:
        print(
            json.dumps({**integrity_as_dict(result), "total_seconds": round(seconds, 2)}, indent=2)
        )
    else:
        print("\n".join([*integrity_lines(result), f"total {seconds:.1f} s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
