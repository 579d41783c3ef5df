"""Policy throughput: the process applications catching up over RecoveryApp's notification log.

In the same ``make bench`` run, on SQLite and (when its binaries are installed) PostgreSQL:

* **upstream record** - the MSP plans of :mod:`bench.scenario` (``--policy-plans``, default 200,
  15 events each) and then the long case of :mod:`bench.cases` (``--policy-case-events``,
  default 1,000) recorded through ``RecoveryApp.handle`` with *no* policy running, a
  ``SimulatedClock`` moved before each command (one transaction per command, snapshots every
  100 events as recoverycore's default). Events recorded per wall second.
* **FollowUpPolicy** and **SafeguardPolicy** - a fresh policy on the same store,
  ``policy.follow_application(app); policy.catch_up()``: every upstream event pulled from the
  notification log and processed, each in one transaction with its tracking record (and
  whatever follow-ups or customer records it causes). Upstream events processed per wall second,
  and what the policy recorded.

Each round records the upstream into a new store (a new SQLite file, with each policy's file
beside it; a new PostgreSQL database) and then runs both policies over it, in alternating
order; medians over ``--policy-rounds`` rounds (default 3). ``× upstream`` is a policy's rate
divided by the upstream recording rate on the same store: at 1.0 or more a policy keeps up with
commands recorded one at a time. Nothing here fails the run on a figure.

PostgreSQL is a throwaway server (:mod:`bench.pgserver`, the test suite's settings: fsync and
synchronous commit off); without its binaries it is skipped with a note.
"""

from __future__ import annotations

import cProfile
import gc
import statistics
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter, process_time
from typing import Any

from bench.cases import CASE_START, CASE_STEP, CaseScript, build_case
from bench.pgserver import SETTINGS, PgServer, PgUnavailable, throwaway_server
from bench.runner import Timing
from bench.scenario import EVENTS_PER_PLAN, START, STEP, PlanScript, build_plans
from recoverycore.application import RecoveryApp
from recoverycore.application.clock import SimulatedClock
from recoverycore.application.policies import FollowUpPolicy, SafeguardPolicy
from recoverycore.events.safeguards import SafeguardReactionRequested
from recoverycore.persistence import sqlite_env

__all__ = [
    "POLICIES",
    "CatchUp",
    "PolicyResult",
    "PolicyWorkload",
    "StoreResult",
    "build_policy_workload",
    "catch_up",
    "policy_as_dict",
    "policy_lines",
    "profile_policies",
    "record_upstream",
    "run_policies_bench",
]

PolicyClass = type[FollowUpPolicy] | type[SafeguardPolicy]
POLICIES: tuple[PolicyClass, ...] = (FollowUpPolicy, SafeguardPolicy)
SNAPSHOT_INTERVAL = "100"
"""Upstream snapshots as recoverycore takes them by default (set, so the environment does not
change what is measured)."""
WARMUP_PLANS = 3
WARMUP_CASE_EVENTS = 30
_ALL = 10**9


# -- the workload --------------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyWorkload:
    """The upstream commands: MSP plans, then one long case (``None`` for none)."""

    plans: list[PlanScript]
    case: CaseScript | None

    @property
    def plan_events(self) -> int:
        return len(self.plans) * EVENTS_PER_PLAN

    @property
    def case_events(self) -> int:
        return self.case.event_count if self.case else 0

    @property
    def events(self) -> int:
        return self.plan_events + self.case_events

    def warmup(self) -> PolicyWorkload:
        return PolicyWorkload(
            self.plans[:WARMUP_PLANS],
            self.case.prefix(min(WARMUP_CASE_EVENTS, self.case.event_count)) if self.case else None,
        )


def build_policy_workload(plans: int, case_events: int) -> PolicyWorkload:
    """``plans`` MSP plans and a case of ``case_events`` events (0: no case)."""
    return PolicyWorkload(build_plans(plans), build_case(case_events) if case_events else None)


def _timed(body: Callable[[], int]) -> Timing:
    gc.collect()
    cpu_started = process_time()
    started = perf_counter()
    events = body()
    elapsed = perf_counter() - started
    return Timing(events, elapsed, process_time() - cpu_started)


# -- upstream ------------------------------------------------------------------------------------
def _upstream_env(env: dict[str, str]) -> dict[str, str]:
    return {**env, RecoveryApp.SNAPSHOT_INTERVAL: SNAPSHOT_INTERVAL}


def record_upstream(workload: PolicyWorkload, env: dict[str, str]) -> Timing:
    """Every command through ``RecoveryApp.handle`` with no policy following: the plans (clock
    from ``START``, ``STEP`` before each command), then the case (its own clock)."""
    plan_clock = SimulatedClock(START)
    case_clock = SimulatedClock(CASE_START)
    app = RecoveryApp(env=_upstream_env(env), clock=plan_clock)
    handle = app.handle

    def body() -> int:
        count = 0
        advance = plan_clock.advance
        for plan in workload.plans:
            for command in plan.commands:
                advance(STEP)
                count += len(handle(command))
        if workload.case is not None:
            app.clock = case_clock
            advance = case_clock.advance
            for case_command in workload.case.commands:
                advance(CASE_STEP)
                count += len(handle(case_command))
        return count

    try:
        app.recorder.max_notification_id()  # open the connection outside the timing
        return _timed(body)
    finally:
        app.close()


# -- policies ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CatchUp:
    """One policy's catch-up: upstream events processed, and what it recorded (by type)."""

    timing: Timing
    recorded: dict[str, int]


def catch_up(policy_class: PolicyClass, env: dict[str, str]) -> CatchUp:
    """A fresh policy on ``env``'s store: ``follow_application(app); catch_up()``, timed."""
    upstream = RecoveryApp(env=_upstream_env(env))
    policy = policy_class(env=env)
    try:
        policy.follow_application(upstream)
        # Open both connections outside the timing; a fresh policy has processed nothing.
        last = upstream.recorder.max_notification_id() or 0
        before = policy.recorder.max_tracking_id(upstream.name) or 0
        if before:
            raise AssertionError(f"{policy.name} was not fresh: it had processed up to {before}")

        def body() -> int:
            policy.catch_up()
            return policy.recorder.max_tracking_id(upstream.name) or 0

        timing = _timed(body)
        if timing.events != last:
            raise AssertionError(
                f"{policy.name} processed up to notification {timing.events}, expected {last}"
            )
        processed = len(upstream.recorder.select_notifications(start=None, limit=_ALL))
        timing = Timing(processed, timing.seconds, timing.cpu_seconds)
        recorded = Counter(
            n.topic.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
            for n in policy.recorder.select_notifications(start=None, limit=_ALL)
        )
        return CatchUp(timing, dict(sorted(recorded.items())))
    finally:
        policy.close()
        upstream.close()


# -- stores --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StoreResult:
    """One store: the upstream recordings and each policy's catch-ups, round by round."""

    store: str
    upstream: list[Timing]
    catch_ups: dict[str, list[CatchUp]]

    def median_rate(self, name: str) -> float:
        timings = self.upstream if name == "upstream" else [c.timing for c in self.catch_ups[name]]
        return statistics.median(t.rate for t in timings)

    def median_seconds(self, name: str) -> float:
        timings = self.upstream if name == "upstream" else [c.timing for c in self.catch_ups[name]]
        return statistics.median(t.seconds for t in timings)

    def cpu_share(self, name: str) -> float:
        timings = self.upstream if name == "upstream" else [c.timing for c in self.catch_ups[name]]
        return sum(t.cpu_seconds for t in timings) / sum(t.seconds for t in timings)

    def ratio(self, name: str) -> float:
        return self.median_rate(name) / self.median_rate("upstream")

    def recorded(self, name: str) -> dict[str, int]:
        """What the policy recorded (the first round's; see :meth:`steady`)."""
        return self.catch_ups[name][0].recorded

    def steady(self, name: str) -> bool:
        """Whether every round recorded the same events (they should: same history)."""
        first = self.catch_ups[name][0].recorded
        return all(c.recorded == first for c in self.catch_ups[name])


def _measure_store(
    store: str,
    new_env: Callable[[str], dict[str, str]],
    workload: PolicyWorkload,
    rounds: int,
) -> StoreResult:
    """Warm up, then ``rounds`` rounds: record the upstream into a new store, then each policy
    catches up over it (their order alternating)."""
    warm_env = new_env("warmup")
    warmup = workload.warmup()
    record_upstream(warmup, warm_env)
    for policy_class in POLICIES:
        catch_up(policy_class, warm_env)

    upstream: list[Timing] = []
    catch_ups: dict[str, list[CatchUp]] = {cls.name: [] for cls in POLICIES}
    for round_no in range(rounds):
        env = new_env(f"round{round_no}")
        timing = record_upstream(workload, env)
        if timing.events != workload.events:
            raise AssertionError(f"{store}: recorded {timing.events}, expected {workload.events}")
        upstream.append(timing)
        order = POLICIES if round_no % 2 == 0 else POLICIES[::-1]
        for policy_class in order:
            catch_ups[policy_class.name].append(catch_up(policy_class, env))
    return StoreResult(store, upstream, catch_ups)


def _sqlite_envs(tmp: Path) -> Callable[[str], dict[str, str]]:
    def new_env(label: str) -> dict[str, str]:
        return sqlite_env(tmp / f"policies-{label}.sqlite")

    return new_env


def _postgres_envs(server: PgServer) -> Callable[[str], dict[str, str]]:
    def new_env(label: str) -> dict[str, str]:
        return server.env(server.create_database(f"bench_policies_{label}"))

    return new_env


# -- the whole measurement -----------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyResult:
    plans: int
    case_events: int
    rounds: int
    stores: list[StoreResult]
    notes: list[str]


def run_policies_bench(
    workload: PolicyWorkload, *, rounds: int, tmp: Path, postgres: bool = True
) -> PolicyResult:
    """SQLite, then PostgreSQL if a throwaway server can be started (else a note says why)."""
    stores = [_measure_store("SQLite", _sqlite_envs(tmp), workload, rounds)]
    notes: list[str] = []
    if not postgres:
        notes.append("PostgreSQL: skipped (--no-postgres)")
    else:
        try:
            with throwaway_server() as server:
                stores.append(
                    _measure_store(
                        f"PostgreSQL {server.version}",
                        _postgres_envs(server),
                        workload,
                        rounds,
                    )
                )
                notes.append(
                    f"PostgreSQL {server.version}: throwaway server on {server.host} "
                    f"(fsync={SETTINGS['fsync']}, synchronous_commit="
                    f"{SETTINGS['synchronous_commit']}), a new database per round; "
                    "SQLite: temporary files"
                )
        except PgUnavailable as why:
            notes.append(f"PostgreSQL: skipped - {why}")
        except Exception as error:
            if not _server_trouble(error):
                raise
            notes.append(f"PostgreSQL: stopped - the server failed: {error}")
    return PolicyResult(len(workload.plans), workload.case_events, rounds, stores, notes)


def _server_trouble(error: Exception) -> bool:
    """A connection to the throwaway server failed (not a wrong figure or a bug)."""
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(error, psycopg.OperationalError)


# -- rendering -----------------------------------------------------------------------------------
_LABELS = {"upstream": "upstream record", **{cls.name: cls.name for cls in POLICIES}}


def _names() -> Iterator[str]:
    yield "upstream"
    for cls in POLICIES:
        yield cls.name


def _breakdown(recorded: dict[str, int]) -> str:
    return ", ".join(f"{count:,} {kind}" for kind, count in recorded.items()) or "nothing"


def policy_lines(result: PolicyResult) -> list[str]:
    """The policy table, for ``make bench``'s text output."""
    plan_events = result.plans * EVENTS_PER_PLAN
    case = f" + 1 case of {result.case_events:,} events" if result.case_events else ""
    total = plan_events + result.case_events
    lines = [
        f"policies: {result.plans} plans ({plan_events:,} events){case} = {total:,} upstream "
        "events recorded through handle() with no policy running (one transaction per "
        "command); then a fresh FollowUpPolicy / SafeguardPolicy on the same store: "
        "follow_application(app); catch_up() (one transaction per upstream event, with its "
        f"tracking); {result.rounds} round{'' if result.rounds == 1 else 's'} per store, each on a "
        "new store; medians",
        "",
        f"{'store':<15}{'measurement':<18}{'events':>7}{'median s':>10}{'ev/s':>9}{'CPU':>6}"
        f"{'recorded':>10}{'× upstream':>12}",
    ]
    for store in result.stores:
        for name in _names():
            recorded = "–" if name == "upstream" else f"{sum(store.recorded(name).values()):,}"
            events = store.upstream[0].events
            lines.append(
                f"{store.store:<15}{_LABELS[name]:<18}{events:>7,}"
                f"{store.median_seconds(name):>10.2f}{store.median_rate(name):>9,.0f}"
                f"{store.cpu_share(name):>6.0%}{recorded:>10}{store.ratio(name):>12.2f}"
            )
    lines.append("")
    for store in result.stores:
        for cls in POLICIES:
            kinds = store.recorded(cls.name)
            steady = "" if store.steady(cls.name) else " (NOT the same in every round!)"
            if cls is SafeguardPolicy and not kinds.get(SafeguardReactionRequested.__name__):
                steady += " (no safety flag in the workload, so no reaction)"
            lines.append(f"recorded by {cls.name} on {store.store}: {_breakdown(kinds)}{steady}")
    lines += [
        *result.notes,
        "× upstream = the policy's events processed per second / upstream events recorded per "
        "second on the same store (≥ 1: it keeps up); informational, never fails the run",
    ]
    return lines


def policy_as_dict(result: PolicyResult) -> dict[str, Any]:
    """The policy measurements for ``--json``."""
    return {
        "plans": result.plans,
        "case_events": result.case_events,
        "upstream_events": result.plans * EVENTS_PER_PLAN + result.case_events,
        "rounds": result.rounds,
        "stores": {
            store.store: {
                name: {
                    "median_events_per_second": round(store.median_rate(name), 1),
                    "median_seconds": round(store.median_seconds(name), 4),
                    "cpu_share": round(store.cpu_share(name), 3),
                    "ratio_to_upstream": round(store.ratio(name), 4),
                    "seconds": [
                        round(t.seconds, 4)
                        for t in (
                            store.upstream
                            if name == "upstream"
                            else [c.timing for c in store.catch_ups[name]]
                        )
                    ],
                    **(
                        {}
                        if name == "upstream"
                        else {
                            "recorded": store.recorded(name),
                            "same_in_every_round": store.steady(name),
                        }
                    ),
                }
                for name in _names()
            }
            for store in result.stores
        },
        "notes": result.notes,
    }


# -- profiling -----------------------------------------------------------------------------------
def profile_policies(workload: PolicyWorkload, tmp: Path) -> list[tuple[str, cProfile.Profile]]:
    """cProfile each policy catching up over ``workload`` recorded on SQLite."""
    env = sqlite_env(tmp / "profile-policies.sqlite")
    record_upstream(workload, env)
    profiles: list[tuple[str, cProfile.Profile]] = []
    for policy_class in POLICIES:
        upstream = RecoveryApp(env=_upstream_env(env))
        policy = policy_class(env=env)
        try:
            policy.follow_application(upstream)
            upstream.recorder.max_notification_id()
            policy.recorder.max_tracking_id(upstream.name)
            gc.collect()
            prof = cProfile.Profile()
            with _enabled(prof):
                policy.catch_up()
            profiles.append((f"{policy_class.name} catch-up", prof))
        finally:
            policy.close()
            upstream.close()
    return profiles


@contextmanager
def _enabled(prof: cProfile.Profile) -> Iterator[None]:
    prof.enable()
    try:
        yield
    finally:
        prof.disable()
