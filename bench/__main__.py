"""``make bench``: recoverycore against a bare eventsourcing application, on SQLite.

What is measured, in one run, on SQLite files in a temporary directory (deleted afterwards):

* **record** - events recorded per wall second. recoverycore: every command of every plan
  through ``RecoveryApp.handle`` (load the plan, ``decide`` its rules, save the events), with a
  ``SimulatedClock`` moved before each command, into a new database each round. Baseline:
  eventsourcing 9.5.6's own ``Application`` (default ``Mapper`` and ``JSONTranscoder``, same
  SQLite settings) and a plain ``Aggregate`` whose ``@event`` methods record the same events
  with the same payloads (see :mod:`bench.bare`); each command is ``repository.get`` -> method
  call(s) -> ``save``. The baseline checks no rules, so the record ratio includes the whole
  cost of recoverycore's rule checking, pydantic validation and logging.
* **replay** - events replayed per wall second: every plan reconstructed from its events,
  ``RecoveryApp.plan(id)`` against ``repository.get(id)``, each round on applications opened
  afresh on the last recording round's databases (so nothing cached in-process is measured).

Each plan is 11 commands recording 15 events (:mod:`bench.scenario`); both sides must record
the same number of events, and the first and last plans are compared field for field.

How to read it: ``ratio`` is recoverycore's events/s divided by the baseline's, each the median
of several rounds in which the two sides alternate (so drift and noise hit both). Above 1.0
recoverycore is faster. The issue's aims are a record ratio of at least 0.8 and a replay ratio
of at least 1.0; they are shown as PASS or BELOW but never fail the run - benchmarks are not
tests, and shared machines are noisy. Recording on SQLite files spends much of its time
waiting for commits (the same for both sides); the CPU share printed under the table says how
much of the wall time the code itself takes.

structlog is configured with a filtering bound logger at WARNING for the run: ``handle()``
still binds its logger and calls ``log.info`` (that cost is measured), but the info lines are
dropped cheaply instead of being rendered.

The same run then measures case managed recoveries with long histories (:mod:`bench.cases`):

* **long case** - one case of ``--case-events`` events (default 1,000) recorded through
  ``RecoveryApp.handle`` and by the bare baseline (:class:`bench.case_bare.BareCase`), both with
  the aggregate cache (``AGGREGATE_CACHE_MAXSIZE=1000``) so neither replays the growing history
  on each command; recoverycore records once with snapshots (every ``--snapshot-interval``
  events, default 100) and once with ``RECOVERYCORE_SNAPSHOT_INTERVAL=0``; the baseline once
  with eventsourcing's default deep copy of the cached aggregate on each ``get`` and once
  without it (the row marked ``*``). Replay on a fresh application: recoverycore without
  snapshots (full replay; the fair comparison), the baseline, and recoverycore with snapshots.
* **replay stays flat** - ``RecoveryApp.case`` on cases of 100, 1,000 and 10,000 events, with
  snapshots on and off, and the ratio of the largest case's time to the smallest's.

Options: ``--plans N`` (default 200), ``--rounds R`` (recording rounds, default 5; replay runs
three times as many), ``--json`` (machine-readable output), ``--profile`` (cProfile recoverycore's
record and replay instead, and print the top functions). For cases: ``--case-events N`` (default
1000), ``--case-rounds R`` (recording rounds per variant, default 3; replay runs five times as
many), ``--snapshot-interval N`` (default 100, recoverycore's default), ``--skip-long`` (leave
the 10,000-event case out of the flat-replay table), ``--no-cases`` (MSP plans only).

Last, policy throughput (:mod:`bench.policies`): ``--policy-plans`` MSP plans (default 200) and
a case of ``--policy-case-events`` events (default 1,000; 0 for none) recorded through
``RecoveryApp.handle`` with no policy running, then a fresh ``FollowUpPolicy`` and a fresh
``SafeguardPolicy`` each ``follow_application(app); catch_up()`` over that log: upstream events
processed per second (and what each recorded) against the upstream recording rate on the same
store, on SQLite and on a throwaway PostgreSQL server (skipped with a note when its binaries are
missing, or with ``--no-postgres``). ``--policy-rounds R`` (default 3), ``--no-policies`` (leave
the section out).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import logging
import platform
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import structlog

from bench.cases import (
    CaseResult,
    build_case,
    case_as_dict,
    case_lines,
    profile_case,
    run_cases,
)
from bench.policies import (
    PolicyResult,
    PolicyWorkload,
    build_policy_workload,
    policy_as_dict,
    policy_lines,
    profile_policies,
    run_policies_bench,
)
from bench.runner import (
    OPENERS,
    RECORDERS,
    REPLAYERS,
    SIDES,
    Timing,
    check_equivalent,
    mean_stored_bytes,
    open_recoverycore,
    record_recoverycore,
    replay_recoverycore,
)
from bench.scenario import EVENTS_PER_PLAN, PlanScript, build_plans

AIMS: dict[str, float] = {"record": 0.8, "replay": 1.0}
REPLAY_ROUNDS_PER_RECORD_ROUND = 3
WARMUP_PLANS = 5
CASE_REPLAY_ROUNDS_PER_RECORD_ROUND = 5
FLAT_SIZES = (100, 1_000, 10_000)
FLAT_REPEATS = 7
LOGGING_NOTE = (
    "structlog: filtering bound logger at WARNING (handle() binds and calls log.info; "
    "the info lines are dropped, not rendered)"
)


@dataclass(frozen=True)
class Measurement:
    name: str
    runs: dict[str, list[Timing]]

    def median_rate(self, side: str) -> float:
        return statistics.median(t.rate for t in self.runs[side])

    def cpu_share(self, side: str) -> float:
        runs = self.runs[side]
        return sum(t.cpu_seconds for t in runs) / sum(t.seconds for t in runs)

    @property
    def events_per_run(self) -> int:
        return self.runs["recoverycore"][0].events

    @property
    def ratio(self) -> float:
        return self.median_rate("recoverycore") / self.median_rate("bare")

    @property
    def aim(self) -> float:
        return AIMS[self.name]

    @property
    def verdict(self) -> str:
        return "PASS" if self.ratio >= self.aim else "BELOW"

    def as_dict(self) -> dict[str, Any]:
        return {
            "events_per_run": self.events_per_run,
            "rounds": len(self.runs["recoverycore"]),
            "ratio": round(self.ratio, 4),
            "aim": self.aim,
            "verdict": self.verdict,
            **{
                side: {
                    "median_events_per_second": round(self.median_rate(side), 1),
                    "cpu_share": round(self.cpu_share(side), 3),
                    "seconds": [round(t.seconds, 4) for t in self.runs[side]],
                }
                for side in SIDES
            },
        }


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="recoverycore vs bare eventsourcing: recording and replay on SQLite.",
    )
    parser.add_argument("--plans", type=int, default=200, help="plans per run (default 200)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="recording rounds per side (default 5)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile recoverycore's record and replay instead of benchmarking",
    )
    cases = parser.add_argument_group("case managed recoveries")
    cases.add_argument(
        "--case-events",
        type=int,
        default=1_000,
        help="events in the long case (default 1000)",
    )
    cases.add_argument(
        "--case-rounds",
        type=int,
        default=3,
        help="recording rounds per case variant (default 3; replay runs 5x as many)",
    )
    cases.add_argument(
        "--snapshot-interval",
        type=int,
        default=100,
        help="snapshot every N events when snapshots are on (default 100)",
    )
    cases.add_argument(
        "--skip-long",
        action="store_true",
        help="leave the 10,000-event case out of the flat-replay table",
    )
    cases.add_argument(
        "--no-cases", action="store_true", help="measure the MSP plans only (skip the cases)"
    )
    policies = parser.add_argument_group("policy throughput")
    policies.add_argument(
        "--policy-plans",
        type=int,
        default=200,
        help="MSP plans in the upstream log the policies catch up over (default 200)",
    )
    policies.add_argument(
        "--policy-case-events",
        type=int,
        default=1_000,
        help="events of the case recorded after the plans (default 1000; 0: no case)",
    )
    policies.add_argument(
        "--policy-rounds",
        type=int,
        default=3,
        help="rounds per store, each recording the upstream anew (default 3)",
    )
    policies.add_argument(
        "--no-policies", action="store_true", help="leave the policy throughput out"
    )
    policies.add_argument(
        "--no-postgres",
        action="store_true",
        help="measure the policies on SQLite only (no PostgreSQL server)",
    )
    args = parser.parse_args(argv)
    if args.policy_plans < 1 or args.policy_rounds < 1:
        parser.error("--policy-plans and --policy-rounds must be at least 1")
    if args.policy_case_events != 0 and args.policy_case_events < 2:
        parser.error("--policy-case-events must be 0 (no case) or at least 2")
    if args.plans < 1 or args.rounds < 1:
        parser.error("--plans and --rounds must be at least 1")
    if args.case_events < 2 or args.case_rounds < 1 or args.snapshot_interval < 1:
        parser.error(
            "--case-events must be at least 2, --case-rounds and --snapshot-interval at least 1"
        )
    return args


def _flat_sizes(args: argparse.Namespace) -> tuple[int, ...]:
    return FLAT_SIZES[:-1] if args.skip_long else FLAT_SIZES


def _policy_workload(args: argparse.Namespace) -> PolicyWorkload:
    return build_policy_workload(args.policy_plans, args.policy_case_events)


def _quiet_logging() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def _alternating(round_no: int) -> tuple[str, ...]:
    return SIDES if round_no % 2 == 0 else SIDES[::-1]


def _expect(timing: Timing, expected: int, what: str) -> None:
    if timing.events != expected:
        raise AssertionError(f"{what}: {timing.events} events, expected {expected}")


def _replay_round(side: str, path: Path, plans: list[PlanScript]) -> Timing:
    """One replay of every plan, on an application opened afresh (so no state is cached)."""
    app = OPENERS[side](path)
    try:
        return REPLAYERS[side](app, plans)
    finally:
        app.close()


def run(plans: list[PlanScript], rounds: int, tmp: Path) -> dict[str, Any]:
    """Warm up, then the recording rounds, then the replay rounds, alternating the sides."""
    expected = len(plans) * EVENTS_PER_PLAN
    for side in SIDES:
        warmup = tmp / f"warmup-{side}.sqlite"
        RECORDERS[side](plans[:WARMUP_PLANS], warmup)
        _replay_round(side, warmup, plans[:WARMUP_PLANS])

    recorded: dict[str, list[Timing]] = {side: [] for side in SIDES}
    paths: dict[str, Path] = {}
    for round_no in range(rounds):
        for side in _alternating(round_no):
            path = tmp / f"{side}-{round_no}.sqlite"
            timing = RECORDERS[side](plans, path)
            _expect(timing, expected, f"{side} recorded")
            recorded[side].append(timing)
            paths[side] = path  # the last round's stores are replayed

    apps = {side: OPENERS[side](paths[side]) for side in SIDES}
    try:
        check_equivalent(apps, plans[0])
        check_equivalent(apps, plans[-1])
        stored_bytes = {side: mean_stored_bytes(apps[side], plans) for side in SIDES}
    finally:
        for app in apps.values():
            app.close()

    replayed: dict[str, list[Timing]] = {side: [] for side in SIDES}
    for round_no in range(rounds * REPLAY_ROUNDS_PER_RECORD_ROUND):
        for side in _alternating(round_no):
            timing = _replay_round(side, paths[side], plans)
            _expect(timing, expected, f"{side} replayed")
            replayed[side].append(timing)
    return {
        "measurements": [Measurement("record", recorded), Measurement("replay", replayed)],
        "stored_bytes": stored_bytes,
    }


def _table(result: dict[str, Any], plans: int, rounds: int, seconds: float) -> str:
    measurements: list[Measurement] = result["measurements"]
    cases: CaseResult | None = result.get("cases")
    policies: PolicyResult | None = result.get("policies")
    stored: dict[str, float] = result["stored_bytes"]
    lines = [
        f"recoverycore {version('recoverycore')} vs bare eventsourcing {version('eventsourcing')}"
        f" · SQLite temp files · Python {platform.python_version()}",
        f"workload: {plans} plans × 11 commands = {plans * EVENTS_PER_PLAN} events per run; "
        f"{rounds} recording and {rounds * REPLAY_ROUNDS_PER_RECORD_ROUND} replay rounds per "
        "side, sides alternating; medians",
        LOGGING_NOTE,
        "",
        f"{'measurement':<12}{'events/run':>11}{'recoverycore ev/s':>19}{'bare ev/s':>12}"
        f"{'ratio':>8}  {'aim':<7}result",
    ]
    for m in measurements:
        lines.append(
            f"{m.name:<12}{m.events_per_run:>11,}{m.median_rate('recoverycore'):>19,.0f}"
            f"{m.median_rate('bare'):>12,.0f}{m.ratio:>8.2f}  ≥ {m.aim:<5.2f}{m.verdict}"
        )
    lines += [
        "",
        "CPU share of wall time: "
        + "; ".join(
            f"{m.name} recoverycore {m.cpu_share('recoverycore'):.0%}, "
            f"bare {m.cpu_share('bare'):.0%}"
            for m in measurements
        )
        + " (the rest is I/O wait, mostly SQLite commits)",
        f"mean stored event state: recoverycore {stored['recoverycore']:.0f} B "
        f"(PydanticMapper + OrjsonTranscoder), bare {stored['bare']:.0f} B "
        "(Mapper + JSONTranscoder)",
    ]
    if cases is not None:
        lines += ["", *case_lines(cases), ""]
    if policies is not None:
        lines += [*([""] if cases is None else []), *policy_lines(policies), ""]
    lines += [
        f"total {seconds:.1f} s. Ratio = recoverycore / bare (> 1: recoverycore faster); "
        "aims are informational and never fail the run.",
    ]
    return "\n".join(lines)


def _json(result: dict[str, Any], plans: int, rounds: int, seconds: float) -> str:
    measurements: list[Measurement] = result["measurements"]
    return json.dumps(
        {
            "recoverycore": version("recoverycore"),
            "eventsourcing": version("eventsourcing"),
            "python": platform.python_version(),
            "store": "sqlite (temporary files)",
            "logging": LOGGING_NOTE,
            "plans": plans,
            "events_per_plan": EVENTS_PER_PLAN,
            "record_rounds": rounds,
            "replay_rounds": rounds * REPLAY_ROUNDS_PER_RECORD_ROUND,
            "measurements": {m.name: m.as_dict() for m in measurements},
            "mean_stored_bytes": {k: round(v, 1) for k, v in result["stored_bytes"].items()},
            **({"cases": case_as_dict(result["cases"])} if result.get("cases") else {}),
            **({"policies": policy_as_dict(result["policies"])} if result.get("policies") else {}),
            "total_seconds": round(seconds, 2),
        },
        indent=2,
    )


def profile(
    plans: list[PlanScript],
    tmp: Path,
    top: int = 30,
    *,
    case_events: int | None = None,
    snapshot_interval: int = 100,
    policy_workload: PolicyWorkload | None = None,
) -> str:
    """cProfile recoverycore's recording and replay of ``plans`` (and, with ``case_events``, of
    a case of that many events; with ``policy_workload``, each policy catching up over it on
    SQLite): the top functions by own time and by cumulative time."""
    out = io.StringIO()
    path = tmp / "profile.sqlite"
    gc.collect()
    recording = cProfile.Profile()
    recording.enable()
    record_recoverycore(plans, path, collect_first=False)
    recording.disable()
    app = open_recoverycore(path)
    try:
        gc.collect()
        replay = cProfile.Profile()
        replay.enable()
        for _ in range(REPLAY_ROUNDS_PER_RECORD_ROUND):
            replay_recoverycore(app, plans, collect_first=False)
        replay.disable()
    finally:
        app.close()
    profiles: list[tuple[str, cProfile.Profile]] = [("record", recording), ("replay", replay)]
    if case_events is not None:
        profiles += profile_case(build_case(case_events), interval=snapshot_interval, tmp=tmp)
    if policy_workload is not None:
        profiles += profile_policies(policy_workload, tmp)
    for title, prof in profiles:
        for order in ("tottime", "cumulative"):
            out.write(f"\n===== {title}: top {top} by {order} =====\n")
            stats = pstats.Stats(prof, stream=out)
            stats.strip_dirs().sort_stats(order).print_stats(top)
    return out.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    _quiet_logging()
    started = time.perf_counter()
    plans = build_plans(args.plans)
    with tempfile.TemporaryDirectory(prefix="recoverycore-bench-") as tmp:
        if args.profile:
            case_events = None if args.no_cases else args.case_events
            print(
                profile(
                    plans,
                    Path(tmp),
                    case_events=case_events,
                    snapshot_interval=args.snapshot_interval,
                    policy_workload=None if args.no_policies else _policy_workload(args),
                )
            )
            return 0
        result = run(plans, args.rounds, Path(tmp))
        if not args.no_cases:
            result["cases"] = run_cases(
                events=args.case_events,
                rounds=args.case_rounds,
                replay_rounds=args.case_rounds * CASE_REPLAY_ROUNDS_PER_RECORD_ROUND,
                interval=args.snapshot_interval,
                sizes=_flat_sizes(args),
                repeats=FLAT_REPEATS,
                tmp=Path(tmp),
            )
        if not args.no_policies:
            result["policies"] = run_policies_bench(
                _policy_workload(args),
                rounds=args.policy_rounds,
                tmp=Path(tmp),
                postgres=not args.no_postgres,
            )
    seconds = time.perf_counter() - started
    render = _json if args.json else _table
    print(render(result, args.plans, args.rounds, seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
