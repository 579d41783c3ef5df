"""Projections: how fast each view catches up over a large store, against reading the same
notifications without projecting, on SQLite and PostgreSQL.

The store (``--projection-events``, default 1,000,000 events across the two logs the views read,
``RecoveryCore`` and ``FollowUpPolicy``) is generated quickly, not pushed through the
application command by command:

* **templates** - a few real histories are recorded once through ``RecoveryApp.handle`` with
  the policies following (:func:`~recoverycore.application.run_policies`, so the follow-up log is
  filled too) on a SQLite file: the MSP plans of :mod:`bench.scenario`, the demo plan and the
  demo case (:mod:`recoverycore.cli.demo`, with follow-ups falling due as their clock moves), and
  the long case of :mod:`bench.cases` (``--projection-case-events``, default 1,000 events).
* **clones** - the stored events of every plan and case but the long case, with their
  follow-up ledgers, are cloned under new ids until the store holds at least the asked number of
  events: each clone gets a new plan or case id, the ledger id ``ledger_id(new id)``, new event
  ids where the follow-ups name their causes (``caused_by``, ``completed_by``, correlation and
  causation ids: ``uuid5(namespace, "<id>:<version>")``), new follow-up ids, a customer
  reference number of its own where the CRN is stored plain (``RECOVERYCORE_PERSONAL_DATA=
  plain``; a CRN stored as a personal-data token is left as it is: the views treat it as an
  opaque string) and an owner (OMC or case manager) drawn from a pool of ``OFFICERS`` officers
  in ``TEAMS`` teams, so a workload question has a realistic selectivity. Each cloned history
  is sealed anew in its own hash chain (new id, same versions; the template's seals are
  dropped first, and ``RECOVERYCORE_CHAIN_KEY`` is honoured), so the generated store verifies
  (``recoverycore.application.verify.verify``); events the template stored unsealed
  (``RECOVERYCORE_HASH_CHAIN=n``) are cloned unsealed. Clones are written in batches of
  ``INSERT_BATCH`` events, in the order the
  template logs hold them: with ``recorder.insert_events`` on SQLite, with a binary ``COPY`` into
  the recorder's table on PostgreSQL (eventsourcing's ``insert_events`` sends a batch as one
  array parameter in psycopg's pipeline mode, which hangs on batches of several MB, psycopg
  issue 685). The long case is written once, first, owned by the pool's first officer; the
  template itself is recorded in a few seconds and written to both stores.

Per store (SQLite files in a temporary directory, then a throwaway PostgreSQL server, see
:mod:`bench.pgserver`; skipped with a note when its binaries are missing or with
``--no-postgres``), once the store is generated:

* **raw read** - every notification a view reads (its topics, both logs):
  ``select_notifications(position, limit=DEFAULT_BATCH_SIZE, topics=..., inclusive_of_start=
  False)`` page by page, nothing decoded: the baseline, median of ``READ_ROUNDS`` reads.
  **read+decode** (one read) adds ``fact_decoder`` on each notification (JSON parsed,
  upcasters applied), a second reference.
* **catch-up** - each view of :data:`recoverycore.projections.VIEWS` (views registered later
  are benched too) from empty: ``catch_up(view, sources)`` with the default batch size, one
  transaction per batch. Events applied per wall second, and ``× raw``: that rate divided by
  the view's raw read rate on the same store in the same run. The issue's aim is 0.25 or more.
  SQLite views go in new files beside the store (``<VIEW>_SQLITE_DBNAME``, one per view); on
  PostgreSQL a view's tables are dropped (``reset()``) first.
* **memory** - the process's peak RSS during each catch-up (Linux: the high-water mark reset
  through ``/proc/self/clear_refs`` just before, read from ``/proc/self/status``) above the RSS
  at its start, after the first quarter of the events and at the end. The store grew by
  appending, so the first quarter of a catch-up over it *is* a catch-up over the store as it
  stood at a quarter of its size (the two logs interleave a little differently): flat memory
  keeps the two rises alike. The rate over that first quarter is shown too (does it slow down
  as the view's tables grow?).

Then, on the whole store, **queries** (median of ``QUERY_RUNS``): ``workload`` for the long
case's officer and for that officer's team, and the audit ``timeline`` of the long case (shown
as not available while :mod:`recoverycore.projections.audit` cannot be imported).

Nothing here fails the run on a figure. Run alone with ``python -m bench.projections`` (the same
options as ``python -m bench``'s projection group, plus ``--no-postgres``, ``--json`` and
``--profile``: cProfile each view's catch-up over a store of ``PROFILE_EVENTS`` events, on SQLite
and on PostgreSQL; ``python -m bench --profile`` profiles SQLite only).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import io
import json
import logging
import os
import pstats
import random
import re
import statistics
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from time import perf_counter, process_time
from typing import Any, NamedTuple
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

import orjson
import structlog
from eventsourcing.persistence import ApplicationRecorder, Notification, StoredEvent

from bench.cases import CASE_START, CASE_STEP, build_case
from bench.pgserver import SETTINGS, PgServer, PgUnavailable, throwaway_server
from bench.runner import Timing
from bench.scenario import START, STEP, build_plans
from recoverycore.application import RecoveryApp
from recoverycore.application.clock import SimulatedClock
from recoverycore.application.policies import FollowUpPolicy, run_policies
from recoverycore.cli.demo import DEMO_CASE_START, DEMO_START, run_case_demo, run_demo
from recoverycore.events import EVENT_ID_NAMESPACE
from recoverycore.persistence import (
    GENESIS,
    chain_key_from,
    is_token,
    read_seal,
    seal_state,
    sqlite_env,
    unseal,
)
from recoverycore.policies.follow_ups import ledger_id
from recoverycore.projections import (
    DEFAULT_BATCH_SIZE,
    FOLLOW_UP_APPLICATION,
    RECOVERY_APPLICATION,
    VIEWS,
    Source,
    ViewDefinition,
    ViewRecorder,
    catch_up,
    open_view,
    opened,
)
from recoverycore.projections.workload import workload

__all__ = [
    "DEFAULT_EVENTS",
    "CatchUpRun",
    "Mark",
    "ProjectionResult",
    "Query",
    "ReadRun",
    "StoreBuilder",
    "StoreResult",
    "Template",
    "add_projection_arguments",
    "check_projection_arguments",
    "main",
    "profile_projections",
    "projection_as_dict",
    "projection_lines",
    "record_template",
    "run_projections_bench",
]

DEFAULT_EVENTS = 1_000_000
DEFAULT_CASE_EVENTS = 1_000
TEMPLATE_PLANS = 20
"""MSP plans of :mod:`bench.scenario` in the template (with the demo plan and the demo case)."""
TEMPLATE_CASES = (50, 150)
"""Shorter cases of :mod:`bench.cases` in the template: their numbers of events."""
OFFICERS = 250
TEAMS = 25
INSERT_BATCH = 25_000
"""Events per ``insert_events`` call (per log) while the store is generated."""
READ_ROUNDS = 3
"""Raw reads per topic selection (the median is the baseline); read+decode is read once."""
QUERY_RUNS = 7
QUARTER = 0.25
"""Where a catch-up's rate and peak RSS are also taken (the share of its events applied)."""
PROFILE_EVENTS = 100_000
SEED = 20_260_302
AS_OF = datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo("Australia/Sydney"))
"""The time the workload questions are asked at (most template follow-ups are due by then)."""
SOURCES = (RECOVERY_APPLICATION, FOLLOW_UP_APPLICATION)
_ALL = 10**9
_STRING = re.compile(rb'"((?:[^"\\]|\\.)*)"')
_CRN_LETTERS = "ABCDEFGHJK"


# -- templates -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Event:
    """One stored event of a template: its log, whose it is (the subject or its ledger), and
    its state cut where the values a clone changes sit (``int``: that token's index)."""

    source: str
    family: int
    ledger: bool
    version: int
    topic: str
    parts: tuple[bytes | int, ...]
    sealed: bool = True
    """Whether the template's event carried a hash-chain seal (a clone is sealed anew)."""


@dataclass(frozen=True)
class _Family:
    """A plan or case and its follow-up ledger: the ids and values a clone replaces."""

    subject_id: UUID
    tokens: tuple[tuple[str, str], ...]
    """(kind, old value): ``subject``, ``ledger``, ``event`` (old value: the version),
    ``follow_up``, ``officer``, ``team``, ``crn``."""


@dataclass(frozen=True)
class Template:
    """Recorded histories to clone (``events`` in log order), and the long case (written once)."""

    families: tuple[_Family, ...]
    events: dict[str, tuple[_Event, ...]]
    long_case: _Family
    long_case_events: dict[str, tuple[_Event, ...]]
    plans: int
    cases: int

    @property
    def clone_events(self) -> int:
        return sum(len(events) for events in self.events.values())

    @property
    def case_events(self) -> int:
        """The long case's own events (its follow-ups are :attr:`case_follow_up_events`)."""
        return len(self.long_case_events[RECOVERY_APPLICATION])

    @property
    def case_follow_up_events(self) -> int:
        return len(self.long_case_events[FOLLOW_UP_APPLICATION])


def _owners(topic: str, data: Mapping[str, Any]) -> tuple[list[Any], list[Any]]:
    """The owning officers and teams an event names (what a clone gives an owner of its own)."""
    name = topic.rsplit(".", 1)[-1].rsplit(":", 1)[-1]
    if name == "MspRecorded":
        contact = data.get("omc_psso") or {}
        actor = data.get("actor") or {}
        return [contact.get("staff_id")], [actor.get("team")]
    if name == "CaseAllocated":
        return [data.get("case_manager_id")], [data.get("team")]
    if name == "ActorRelationshipApplied":
        return [data.get("case_manager_id")], []
    return [], []


def _family(
    subject_id: UUID,
    recovery: Sequence[Notification],
    follow_ups: Sequence[Notification],
) -> tuple[_Family, dict[str, int]]:
    """The family's tokens, and their index by the stored text they replace."""
    tokens: dict[tuple[str, str], None] = {("subject", ""): None, ("ledger", ""): None}
    lookup: dict[str, tuple[str, str]] = {
        str(subject_id): ("subject", ""),
        str(ledger_id(subject_id)): ("ledger", ""),
    }
    for version in range(1, max((n.originator_version for n in recovery), default=0) + 1):
        lookup[str(uuid5(EVENT_ID_NAMESPACE, f"{subject_id}:{version}"))] = ("event", str(version))
    for n in recovery:
        data = orjson.loads(unseal(n.state))
        officers, teams = _owners(n.topic, data)
        # A CRN stored as a personal-data token is left as it is (the views treat it as an
        # opaque string, and a new token could not be made without the customer's key).
        crns = [] if is_token(data.get("crn")) else [data.get("crn")]
        for kind, values in (("officer", officers), ("team", teams), ("crn", crns)):
            for value in values:
                if isinstance(value, str) and value:
                    lookup.setdefault(value, (kind, value))
    for n in follow_ups:
        follow_up = orjson.loads(unseal(n.state)).get("follow_up_id")
        if isinstance(follow_up, str):
            lookup.setdefault(follow_up, ("follow_up", follow_up))
    # Keep the tokens the stored states name (in the order first met), plus subject and ledger.
    for n in (*recovery, *follow_ups):
        for match in _STRING.finditer(unseal(n.state)):
            token = lookup.get(match.group(1).decode())
            if token is not None:
                tokens.setdefault(token, None)
    ordered = tuple(tokens)
    index = {text: ordered.index(token) for text, token in lookup.items() if token in tokens}
    return _Family(subject_id, ordered), index


def _cut(state: bytes, index: Mapping[str, int]) -> tuple[bytes | int, ...]:
    parts: list[bytes | int] = []
    position = 0
    for match in _STRING.finditer(state):
        token = index.get(match.group(1).decode())
        if token is not None:
            parts += [state[position : match.start(1)], token]
            position = match.end(1)
    parts.append(state[position:])
    return tuple(parts)


def _quiet_logging() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def record_template(path: Path, *, case_events: int = DEFAULT_CASE_EVENTS) -> Template:
    """Record the template histories through ``RecoveryApp.handle`` with the policies following
    (on SQLite at ``path``, a new file), and cut their stored events ready to clone."""
    if path.exists():
        raise ValueError(f"the template is recorded into a new file, and {path} exists")
    runner = run_policies(sqlite_env(path))
    try:
        recovery = runner.get(RecoveryApp)
        follow_ups = runner.get(FollowUpPolicy)
        clock = SimulatedClock(START)
        recovery.clock = clock
        for plan in build_plans(TEMPLATE_PLANS):
            for command in plan.commands:
                clock.advance(STEP)
                recovery.handle(command)
        demo_clock = SimulatedClock(DEMO_START)
        recovery.clock = demo_clock
        run_demo(recovery, demo_clock, on_step=follow_ups.tick)
        case_clock = SimulatedClock(DEMO_CASE_START)
        recovery.clock = case_clock
        run_case_demo(recovery, case_clock, on_step=follow_ups.tick)
        long_case = build_case(case_events, name="projections-long-case")
        cases = [build_case(n, name=f"projections-case-{n}") for n in TEMPLATE_CASES]
        for script in [*cases, long_case]:
            case_clock = SimulatedClock(CASE_START)
            recovery.clock = case_clock
            for case_command in script.commands:
                case_clock.advance(CASE_STEP)
                recovery.handle(case_command)
        follow_ups.tick(AS_OF.replace(month=4))  # some follow-ups due, others still scheduled
        logs = {
            RECOVERY_APPLICATION: recovery.recorder.select_notifications(1, _ALL),
            FOLLOW_UP_APPLICATION: follow_ups.recorder.select_notifications(1, _ALL),
        }
    finally:
        runner.stop()
    return _template(logs, long_case.case_id)


def _template(logs: Mapping[str, Sequence[Notification]], long_case_id: UUID) -> Template:
    recovery_of: dict[UUID, list[Notification]] = {}
    for n in logs[RECOVERY_APPLICATION]:
        recovery_of.setdefault(UUID(str(n.originator_id)), []).append(n)
    subject_of_ledger = {ledger_id(subject): subject for subject in recovery_of}
    follow_ups_of: dict[UUID, list[Notification]] = {subject: [] for subject in recovery_of}
    for n in logs[FOLLOW_UP_APPLICATION]:
        subject = subject_of_ledger.get(UUID(str(n.originator_id)))
        if subject is not None:
            follow_ups_of[subject].append(n)
    subjects = [s for s in recovery_of if s != long_case_id]
    if long_case_id not in recovery_of:
        raise AssertionError("the long case was not recorded")
    families: dict[UUID, tuple[int, _Family, dict[str, int]]] = {}
    for number, subject in enumerate([*subjects, long_case_id]):
        family, index = _family(subject, recovery_of[subject], follow_ups_of[subject])
        families[subject] = (number, family, index)

    def cut(keep: Callable[[UUID], bool]) -> dict[str, tuple[_Event, ...]]:
        events: dict[str, tuple[_Event, ...]] = {}
        for source in SOURCES:
            kept = []
            for n in logs[source]:
                originator = UUID(str(n.originator_id))
                subject = originator if source == RECOVERY_APPLICATION else None
                if subject is None:
                    subject = subject_of_ledger.get(originator)
                if subject is None or not keep(subject):
                    continue
                number, _, index = families[subject]
                kept.append(
                    _Event(
                        source,
                        number if subject != long_case_id else 0,
                        source == FOLLOW_UP_APPLICATION,
                        n.originator_version,
                        n.topic,
                        _cut(unseal(n.state), index),
                        read_seal(n.state) is not None,
                    )
                )
            events[source] = tuple(kept)
        return events

    plans = sum(
        1 for s in subjects if recovery_of[s][0].topic.endswith("MspRecorded")
    )  # the rest are cases
    return Template(
        families=tuple(families[s][1] for s in subjects),
        events=cut(lambda s: s != long_case_id),
        long_case=families[long_case_id][1],
        long_case_events=cut(lambda s: s == long_case_id),
        plans=plans,
        cases=len(subjects) - plans,
    )


# -- the generated store -------------------------------------------------------------------------
def officer_id(number: int) -> str:
    return f"SO-{1000 + number}"


def team_of(number: int) -> str:
    return f"TEAM-{number % TEAMS:02d}"


class _Clone(NamedTuple):
    """One family's clone: its new ids, and the new text of each of its tokens."""

    subject: UUID
    ledger: UUID
    values: list[bytes]


class StoreBuilder:
    """Writes the long case, then clones of the template, into a store (``insert_events`` on
    SQLite, ``COPY`` on PostgreSQL)."""

    def __init__(self, template: Template, sources: Mapping[str, Source], *, seed: int = SEED):
        self.template = template
        self.recorders = {name: sources[name].recorder for name in SOURCES}
        self.random = random.Random(seed)
        self.events = dict.fromkeys(SOURCES, 0)
        self.subjects = 0
        self.clones = 0
        self.seconds = 0.0
        self.long_case_id = self._new_id()
        self.long_case_officer = officer_id(0)
        self.long_case_team = team_of(0)
        self.chain_key = chain_key_from(os.environ)
        """The template was sealed by applications reading ``os.environ``: so is each clone."""
        started = perf_counter()
        values = self._values(template.long_case, self.long_case_id, officer=0)
        heads: dict[UUID, bytes] = {}
        self._insert(
            {
                source: [self._stored(e, [values], heads) for e in events]
                for source, events in template.long_case_events.items()
            }
        )
        self.seconds += perf_counter() - started

    @property
    def total(self) -> int:
        return sum(self.events.values())

    def _new_id(self) -> UUID:
        return UUID(int=self.random.getrandbits(128), version=4)

    def _officer(self) -> int:
        return self.random.randrange(OFFICERS)

    def _values(self, family: _Family, subject: UUID, *, officer: int | None = None) -> _Clone:
        ledger = ledger_id(subject)
        self.subjects += 1
        serial = self.subjects
        digits = f"{300_000_000 + serial * 7:09d}"
        crn = f"{digits[:3]} {digits[3:6]} {digits[6:]}{_CRN_LETTERS[serial % 10]}"
        owners: dict[str, int] = {}
        for kind, old in family.tokens:
            if kind == "officer":
                owners[old] = officer if officer is not None and not owners else self._officer()
        team = team_of(next(iter(owners.values()), self._officer()))
        values: list[str] = []
        for kind, old in family.tokens:
            if kind == "subject":
                values.append(str(subject))
            elif kind == "ledger":
                values.append(str(ledger))
            elif kind == "event":
                values.append(str(uuid5(EVENT_ID_NAMESPACE, f"{subject}:{old}")))
            elif kind == "follow_up":
                values.append(str(uuid5(ledger, old)))
            elif kind == "crn":
                values.append(crn)
            elif kind == "officer":
                values.append(officer_id(owners[old]))
            else:  # team: the first owner's
                values.append(team)
        return _Clone(subject, ledger, [v.encode() for v in values])

    def _stored(
        self, event: _Event, clones: Sequence[_Clone], heads: dict[UUID, bytes]
    ) -> StoredEvent:
        """The clone of ``event``, sealed in its new aggregate's chain: ``heads`` holds the
        digest of each aggregate's event before (the template's events come in version
        order within each aggregate, starting at version 1)."""
        clone = clones[event.family]
        own = clone.values
        state = b"".join([p if isinstance(p, bytes) else own[p] for p in event.parts])
        originator = clone.ledger if event.ledger else clone.subject
        if event.sealed:
            state, heads[originator] = seal_state(
                heads.get(originator, GENESIS),
                originator,
                event.version,
                event.topic,
                state,
                self.chain_key,
            )
        return StoredEvent(
            originator_id=originator,
            originator_version=event.version,
            topic=event.topic,
            state=state,
        )

    def _insert(self, batch: Mapping[str, list[StoredEvent]]) -> None:
        for source, stored in batch.items():
            if stored:
                recorder = self.recorders[source]
                if _is_postgres(recorder):
                    _copy_events(recorder, stored)
                else:
                    recorder.insert_events(stored)
                self.events[source] += len(stored)

    def grow(self, total: int) -> None:
        """Add clones until the store holds at least ``total`` events."""
        template = self.template
        started = perf_counter()
        batch: dict[str, list[StoredEvent]] = {source: [] for source in SOURCES}
        pending = 0
        while self.total + pending < total:
            values = [self._values(family, self._new_id()) for family in template.families]
            heads: dict[UUID, bytes] = {}
            for source, events in template.events.items():
                batch[source].extend(self._stored(e, values, heads) for e in events)
            pending += template.clone_events
            self.clones += 1
            if pending >= INSERT_BATCH:
                self._insert(batch)
                batch = {source: [] for source in SOURCES}
                pending = 0
        self._insert(batch)
        self.seconds += perf_counter() - started


def _is_postgres(recorder: ApplicationRecorder) -> bool:
    return type(recorder).__module__.startswith("eventsourcing.postgres")


def _copy_events(recorder: Any, stored: Sequence[StoredEvent]) -> None:
    """Append stored events to a PostgreSQL application recorder's table with ``COPY`` (binary):
    the table numbers them as ``insert_events`` would. Not ``insert_events``: it sends a batch
    as one array parameter in pipeline mode, which hangs on batches of several MB (psycopg
    issue 685), and small batches make generating a million events slow."""
    from psycopg import sql

    datastore = recorder.datastore
    statement = sql.SQL(
        "COPY {} (originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)"
    ).format(sql.Identifier(datastore.schema, recorder.events_table_name))
    with datastore.transaction(commit=True) as cursor, cursor.copy(statement) as copy:
        copy.set_types(["uuid", "int8", "text", "bytea"])
        for event in stored:
            copy.write_row(
                (event.originator_id, event.originator_version, event.topic, event.state)
            )


# -- measurements --------------------------------------------------------------------------------
def _status() -> dict[str, int]:
    """This process's current and peak RSS in bytes (Linux; empty elsewhere)."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return {}
    return {
        key: int(value) * 1024
        for key, value in re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", text, re.MULTILINE)
    }


def _reset_peak() -> bool:
    """Reset the peak RSS (VmHWM) to the current RSS; False where that cannot be done."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak() -> int:
    status = _status()
    if status:
        return status["VmHWM"]
    import resource  # not Linux: the process's peak so far

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) * (1 if sys.platform == "darwin" else 1024)


def _timed(body: Callable[[], int]) -> Timing:
    gc.collect()
    cpu_started = process_time()
    started = perf_counter()
    events = body()
    elapsed = perf_counter() - started
    return Timing(events, elapsed, process_time() - cpu_started)


def _read(
    sources: Mapping[str, Source],
    topics: Mapping[str, tuple[str, ...]],
    *,
    decode: bool,
) -> int:
    count = 0
    for name, wanted in topics.items():
        source = sources.get(name)
        if source is None:
            continue
        select = source.recorder.select_notifications
        decoder = source.decode
        position = 0
        while page := select(
            position, limit=DEFAULT_BATCH_SIZE, topics=wanted, inclusive_of_start=False
        ):
            if decode:
                for notification in page:
                    decoder(notification)
            count += len(page)
            position = page[-1].id
    return count


@dataclass(frozen=True)
class ReadRun:
    """The reads of one topic selection: raw (several rounds) and decoded."""

    views: tuple[str, ...]
    raw: list[Timing]
    decoded: list[Timing]

    @property
    def events(self) -> int:
        return self.raw[0].events

    def rate(self, kind: str) -> float:
        return statistics.median(t.rate for t in (self.raw if kind == "raw" else self.decoded))

    def seconds(self, kind: str) -> float:
        return statistics.median(t.seconds for t in (self.raw if kind == "raw" else self.decoded))


@dataclass(frozen=True)
class Mark:
    """Where a catch-up stood: events applied, seconds since it started, peak RSS so far."""

    events: int
    seconds: float
    peak: int

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


@dataclass(frozen=True)
class CatchUpRun:
    """One view caught up from empty: the whole run, where it stood after the first quarter of
    the events, the RSS it started from, and the rows it then held."""

    view: str
    timing: Timing
    batches: int
    quarter: Mark
    end: Mark
    rss_start: int
    peak_reset: bool
    rows: dict[str, int]

    def rise(self, mark: Mark) -> int:
        return max(0, mark.peak - self.rss_start)


@dataclass(frozen=True)
class Query:
    """A question timed on the whole store: median milliseconds, and what it returned."""

    label: str
    milliseconds: float | None
    answer: str


@dataclass
class StoreResult:
    """One store: its events per log, the reads, each view's catch-up and the queries."""

    store: str
    generate_seconds: float = 0.0
    events: dict[str, int] = field(default_factory=dict)
    reads: list[ReadRun] = field(default_factory=list)
    catch_ups: list[CatchUpRun] = field(default_factory=list)
    queries: list[Query] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.events.values())

    def read_of(self, view: str) -> ReadRun:
        return next(r for r in self.reads if view in r.views)

    def ratio(self, run: CatchUpRun) -> float:
        return run.timing.rate / self.read_of(run.view).rate("raw")


@dataclass(frozen=True)
class ProjectionResult:
    target: int
    template: Template
    template_seconds: float
    stores: list[StoreResult]
    notes: list[str]


def _topic_groups() -> list[tuple[tuple[str, ...], Mapping[str, tuple[str, ...]]]]:
    """The views grouped by the notifications they read (one read measured per group)."""
    groups: dict[str, tuple[list[str], Mapping[str, tuple[str, ...]]]] = {}
    for name, definition in VIEWS.items():
        key = json.dumps({s: sorted(t) for s, t in sorted(definition.topics.items())})
        groups.setdefault(key, ([], definition.topics))[0].append(name)
    return [(tuple(names), topics) for names, topics in groups.values()]


def measure_reads(sources: Mapping[str, Source], rounds: int = READ_ROUNDS) -> list[ReadRun]:
    """For every topic selection the views make: ``rounds`` raw reads, with one read+decode
    after the first."""
    runs = []
    for names, topics in _topic_groups():
        raw: list[Timing] = []
        decoded: list[Timing] = []
        for round_no in range(rounds):
            raw.append(_timed(partial(_read, sources, topics, decode=False)))
            if round_no == 0:
                decoded.append(_timed(partial(_read, sources, topics, decode=True)))
        if {t.events for t in raw + decoded} != {raw[0].events}:
            raise AssertionError(f"reads of {names} saw different numbers of events")
        runs.append(ReadRun(names, raw, decoded))
    return runs


def _close(view: ViewRecorder) -> None:
    datastore = getattr(view, "datastore", None)
    if datastore is not None:
        datastore.close()


def measure_catch_up(
    definition: type[ViewDefinition],
    env: Mapping[str, str],
    sources: Mapping[str, Source],
    expected: int,
) -> tuple[CatchUpRun, ViewRecorder]:
    """``definition``'s view from empty, caught up over the store (the view is left open).

    The store grew by appending, so the first quarter of this catch-up is a catch-up over the
    store as it stood at a quarter of its size: the peak RSS and the rate are taken there too.
    """
    view = open_view(definition, env)
    view.reset()
    view.positions()  # open the connection outside the timing
    quarter: list[Mark] = []
    started = 0.0

    def mark(done: int, total: int) -> None:
        if not quarter and done >= total * QUARTER:
            quarter.append(Mark(done, perf_counter() - started, _peak()))

    gc.collect()
    peak_reset = _reset_peak()
    rss_start = _status().get("VmRSS", 0)
    cpu_started = process_time()
    started = perf_counter()
    result = catch_up(view, sources, progress=mark)
    elapsed = perf_counter() - started
    timing = Timing(result.total, elapsed, process_time() - cpu_started)
    end = Mark(result.total, elapsed, _peak())
    if timing.events != expected:
        raise AssertionError(f"{definition.name} applied {timing.events}, expected {expected}")
    rows = {
        table: int(view.select(f"SELECT COUNT(*) AS n FROM {{p}}{table}")[0]["n"])
        for table in definition.tables
    }
    run = CatchUpRun(
        definition.name,
        timing,
        result.batches,
        quarter[0] if quarter else end,
        end,
        rss_start,
        peak_reset,
        rows,
    )
    return run, view


def _views_env(env: Mapping[str, str], tmp: Path | None) -> dict[str, str]:
    """SQLite: each view in a new file of its own beside the store."""
    if tmp is None:
        return dict(env)
    return {
        **env,
        **{
            f"{definition.name.upper()}_SQLITE_DBNAME": str(tmp / f"views-{name}.sqlite")
            for name, definition in VIEWS.items()
        },
    }


def _median_ms(body: Callable[[], Any], runs: int) -> tuple[float, Any]:
    answer = body()  # warm
    times = []
    for _ in range(runs):
        started = perf_counter()
        answer = body()
        times.append((perf_counter() - started) * 1000)
    return statistics.median(times), answer


def _timeline() -> tuple[Callable[[ViewRecorder, str], Any] | None, str]:
    try:
        module = importlib.import_module("recoverycore.projections.audit")
    except ImportError as error:
        return None, f"not available (recoverycore.projections.audit: {error})"
    timeline = getattr(module, "timeline", None)
    if not callable(timeline):
        return None, "not available (recoverycore.projections.audit has no timeline())"
    return timeline, ""


def _size_of(answer: Any) -> str:
    """How much a timeline holds: its entries, and the follow-ups attached to them."""
    for name in ("entries", "events", "items", "rows"):
        value = getattr(answer, name, None)
        if isinstance(value, Sequence):
            attached = sum(len(getattr(entry, "follow_ups", ())) for entry in value)
            return f"{len(value):,} {name}, {attached:,} follow-ups attached"
    return type(answer).__name__


def measure_queries(
    views: Mapping[str, ViewRecorder], builder: StoreBuilder, runs: int = QUERY_RUNS
) -> list[Query]:
    """The workload questions for the long case's officer and team, and its audit timeline."""
    queries: list[Query] = []
    view = views.get("workload")
    if view is None:
        queries.append(Query("workload", None, "not available (no workload view in VIEWS)"))
    else:
        for label, kwargs in (
            (
                f"workload(officer_id={builder.long_case_officer})",
                {"officer_id": builder.long_case_officer},
            ),
            (f"workload(team={builder.long_case_team})", {"team": builder.long_case_team}),
        ):
            ms, answer = _median_ms(partial(workload, view, as_of=AS_OF, **kwargs), runs)
            queries.append(
                Query(
                    label,
                    ms,
                    f"{len(answer.subjects):,} subjects, {len(answer.follow_ups):,} open "
                    f"follow-ups ({answer.overdue:,} overdue)",
                )
            )
    label = f"audit timeline({builder.template.case_events:,}-event case)"
    timeline, why = _timeline()
    audit = views.get("audit")
    if timeline is None:
        queries.append(Query(label, None, why))
    elif audit is None:
        queries.append(Query(label, None, "not available (no audit view in VIEWS)"))
    else:
        subject = str(builder.long_case_id)
        ms, answer = _median_ms(lambda: timeline(audit, subject), runs)
        queries.append(Query(label, ms, _size_of(answer)))
    return queries


# -- stores --------------------------------------------------------------------------------------
def measure_store(
    store: str,
    env: Mapping[str, str],
    template: Template,
    target: int,
    tmp: Path | None,
    *,
    progress: Callable[[str], None] | None = None,
) -> StoreResult:
    """Generate the store, measure the reads and each view's catch-up, time the queries."""
    result = StoreResult(store)
    say = progress or (lambda _: None)
    views: dict[str, ViewRecorder] = {}
    with opened(env) as writers, opened(env) as sources:
        try:
            builder = StoreBuilder(template, writers)
            builder.grow(target)
            result.generate_seconds = builder.seconds
            result.events = dict(builder.events)
            say(f"{store}: {builder.total:,} events generated ({builder.seconds:.1f} s)")
            result.reads = measure_reads(sources)
            say(f"{store}: reads measured")
            views_env = _views_env(env, tmp)
            for name, definition in VIEWS.items():
                run, views[name] = measure_catch_up(
                    definition, views_env, sources, result.read_of(name).events
                )
                result.catch_ups.append(run)
                say(f"{store}: {name} caught up ({run.timing.rate:,.0f} events/s)")
            result.queries = measure_queries(views, builder)
        finally:
            for view in views.values():
                _close(view)
    return result


def _sqlite_store(tmp: Path) -> dict[str, str]:
    return sqlite_env(tmp / "projections.sqlite")


def _postgres_store(server: PgServer) -> dict[str, str]:
    # Not POSTGRES_ENABLE_DB_FUNCTIONS: eventsourcing 9.5.6 names its insert function after the
    # id type only, so the second log's recorder would redirect the first log's inserts.
    return server.env(server.create_database("bench_projections"))


def run_projections_bench(
    *,
    events: int = DEFAULT_EVENTS,
    case_events: int = DEFAULT_CASE_EVENTS,
    tmp: Path,
    postgres: bool = True,
    progress: Callable[[str], None] | None = None,
) -> ProjectionResult:
    """Record the template, then measure SQLite and (when a throwaway server can be started)
    PostgreSQL, each on its own generated store of ``events`` events."""
    started = perf_counter()
    template = record_template(tmp / "projections-template.sqlite", case_events=case_events)
    template_seconds = perf_counter() - started
    stores = [measure_store("SQLite", _sqlite_store(tmp), template, events, tmp, progress=progress)]
    notes: list[str] = []
    if not postgres:
        notes.append("PostgreSQL: skipped (--no-postgres)")
    else:
        try:
            with throwaway_server() as server:
                stores.append(
                    measure_store(
                        f"PostgreSQL {server.version}",
                        _postgres_store(server),
                        template,
                        events,
                        None,
                        progress=progress,
                    )
                )
                notes.append(
                    f"PostgreSQL {server.version}: throwaway server on {server.host} "
                    f"(fsync={SETTINGS['fsync']}, synchronous_commit="
                    f"{SETTINGS['synchronous_commit']}, shared_buffers="
                    f"{SETTINGS['shared_buffers']}); SQLite: temporary files, each view in a "
                    "file of its own"
                )
        except PgUnavailable as why:
            notes.append(f"PostgreSQL: skipped - {why}")
        except Exception as error:
            if not _server_trouble(error):
                raise
            notes.append(f"PostgreSQL: stopped - the server failed: {error}")
    return ProjectionResult(events, template, template_seconds, stores, notes)


def _server_trouble(error: Exception) -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(error, psycopg.OperationalError)


# -- rendering -----------------------------------------------------------------------------------
def _mb(value: int, decimals: int = 0) -> str:
    return f"{value / 2**20:,.{decimals}f} MB"


def _logs(events: Mapping[str, int]) -> str:
    return " + ".join(f"{name} {count:,}" for name, count in events.items())


def projection_lines(result: ProjectionResult) -> list[str]:
    """The projections table, for ``make bench``'s text output."""
    t = result.template
    labels = [
        f"raw read ({', '.join(read.views)})" for store in result.stores for read in store.reads
    ] + [f"{name} catch-up" for name in VIEWS]
    width = max(len(label) for label in labels) + 2
    lines = [
        f"projections: stores of at least {result.target:,} events, cloned from a template "
        f"recorded through handle() with the policies following ({t.plans} MSP plans and "
        f"{t.cases} case{'' if t.cases == 1 else 's'}: {t.clone_events:,} events a clone, "
        f"{result.template_seconds:.1f} s) plus one case of {t.case_events:,} events (and "
        f"{t.case_follow_up_events:,} follow-up events); owners from {OFFICERS} officers in "
        f"{TEAMS} teams. Each view caught up from empty with catch_up() "
        f"({DEFAULT_BATCH_SIZE:,} events a transaction); '¼' = after its first quarter of the "
        "events (the store as it stood at a quarter of its size). raw read = "
        f"select_notifications() of the view's topics, both logs, {DEFAULT_BATCH_SIZE:,} a page, "
        f"nothing decoded (median of {READ_ROUNDS}); read+decode adds fact_decoder",
        "",
        f"{'store':<16}{'events':>10}  {'measurement':<{width}}{'seconds':>8}{'ev/s':>9}"
        f"{'× raw':>7}{'ev/s ¼':>9}{'× raw ¼':>9}{'RSS rise ¼':>12}{'rise':>10}{'peak RSS':>10}",
    ]
    for store in result.stores:
        name, events = store.store, f"{store.total:,}"
        for read in store.reads:
            who = ", ".join(read.views)
            for kind, label in (("raw", f"raw read ({who})"), ("decoded", "read+decode")):
                lines.append(
                    f"{name:<16}{events:>10}  {label:<{width}}{read.seconds(kind):>8.2f}"
                    f"{read.rate(kind):>9,.0f}{read.rate(kind) / read.rate('raw'):>7.2f}"
                )
                name = events = ""
        for run in store.catch_ups:
            raw = store.read_of(run.view).rate("raw")
            verdict = "" if store.ratio(run) >= 0.25 else "  BELOW 0.25"
            lines.append(
                f"{'':<16}{'':>10}  {run.view + ' catch-up':<{width}}{run.timing.seconds:>8.2f}"
                f"{run.timing.rate:>9,.0f}{store.ratio(run):>7.2f}{run.quarter.rate:>9,.0f}"
                f"{run.quarter.rate / raw:>9.2f}{'+' + _mb(run.rise(run.quarter), 1):>12}"
                f"{'+' + _mb(run.rise(run.end), 1):>10}{_mb(run.end.peak):>10}{verdict}"
            )
        lines.append("")
    for store in result.stores:
        lines.append(
            f"{store.store}: {_logs(store.events)} events, generated in "
            f"{store.generate_seconds:.1f} s; "
            + "; ".join(
                f"{run.view}: {run.batches:,} batches, rows "
                + ", ".join(f"{table} {count:,}" for table, count in run.rows.items())
                for run in store.catch_ups
            )
            + ("" if all(r.peak_reset for r in store.catch_ups) else " (RSS peaks not reset)")
        )
    lines.append("")
    lines.append(f"queries on the whole store, median of {QUERY_RUNS} (as of {AS_OF.isoformat()}):")
    for store in result.stores:
        for query in store.queries:
            ms = "–" if query.milliseconds is None else f"{query.milliseconds:,.2f} ms"
            lines.append(f"  {store.store:<16}{query.label:<40}{ms:>12}  {query.answer}")
    lines += [
        *result.notes,
        "× raw = events applied per second / raw read events per second, same store, same run "
        "(aim ≥ 0.25); RSS rise = peak RSS during the catch-up (after its first quarter, after "
        "all of it) above the RSS at its start: flat memory keeps the two alike; "
        "informational, never fails the run",
    ]
    return lines


def _timing(t: Timing) -> dict[str, Any]:
    return {
        "events": t.events,
        "seconds": round(t.seconds, 4),
        "events_per_second": round(t.rate, 1),
        "cpu_share": round(t.cpu_seconds / t.seconds, 3) if t.seconds else None,
    }


def projection_as_dict(result: ProjectionResult) -> dict[str, Any]:
    """The projection measurements for ``--json``."""
    t = result.template
    return {
        "target_events": result.target,
        "template": {
            "plans": t.plans,
            "cases": t.cases,
            "events_per_clone": t.clone_events,
            "long_case_events": t.case_events,
            "long_case_follow_up_events": t.case_follow_up_events,
            "seconds": round(result.template_seconds, 2),
        },
        "batch_size": DEFAULT_BATCH_SIZE,
        "stores": {
            store.store: {
                "generate_seconds": round(store.generate_seconds, 2),
                "events": store.events,
                "total": store.total,
                "reads": [
                    {
                        "views": list(read.views),
                        "events": read.events,
                        "raw_events_per_second": round(read.rate("raw"), 1),
                        "decoded_events_per_second": round(read.rate("decoded"), 1),
                        "raw": [_timing(x) for x in read.raw],
                        "decoded": [_timing(x) for x in read.decoded],
                    }
                    for read in store.reads
                ],
                "catch_ups": {
                    run.view: {
                        **_timing(run.timing),
                        "ratio_to_raw": round(store.ratio(run), 4),
                        "batches": run.batches,
                        "first_quarter": {
                            "events": run.quarter.events,
                            "seconds": round(run.quarter.seconds, 4),
                            "events_per_second": round(run.quarter.rate, 1),
                            "ratio_to_raw": round(
                                run.quarter.rate / store.read_of(run.view).rate("raw"), 4
                            ),
                            "rss_peak_bytes": run.quarter.peak,
                            "rss_rise_bytes": run.rise(run.quarter),
                        },
                        "rss_start_bytes": run.rss_start,
                        "rss_peak_bytes": run.end.peak,
                        "rss_rise_bytes": run.rise(run.end),
                        "rss_peak_reset": run.peak_reset,
                        "rows": run.rows,
                    }
                    for run in store.catch_ups
                },
                "queries": {
                    q.label: {
                        "median_ms": None if q.milliseconds is None else round(q.milliseconds, 3),
                        "answer": q.answer,
                    }
                    for q in store.queries
                },
            }
            for store in result.stores
        },
        "notes": result.notes,
    }


# -- profiling -----------------------------------------------------------------------------------
def _profile_store(
    label: str, env: Mapping[str, str], template: Template, events: int, tmp: Path | None
) -> list[tuple[str, cProfile.Profile]]:
    views_env = _views_env(env, tmp)
    profiles: list[tuple[str, cProfile.Profile]] = []
    with opened(env) as sources:
        StoreBuilder(template, sources).grow(events)
        for definition in VIEWS.values():
            view = open_view(definition, views_env)
            try:
                view.reset()
                view.positions()
                gc.collect()
                prof = cProfile.Profile()
                prof.enable()
                try:
                    catch_up(view, sources)
                finally:
                    prof.disable()
                profiles.append((f"{definition.name} catch-up, {label} ({events:,} events)", prof))
            finally:
                _close(view)
    return profiles


def profile_projections(
    tmp: Path,
    *,
    events: int = PROFILE_EVENTS,
    case_events: int = DEFAULT_CASE_EVENTS,
    postgres: bool = False,
) -> list[tuple[str, cProfile.Profile]]:
    """cProfile each view catching up from empty over a SQLite store of ``events`` events (and,
    with ``postgres``, over one on a throwaway PostgreSQL server if it can be started)."""
    template = record_template(tmp / "profile-template.sqlite", case_events=case_events)
    env = sqlite_env(tmp / "profile-projections.sqlite")
    profiles = _profile_store("SQLite", env, template, events, tmp)
    if postgres:
        try:
            with throwaway_server() as server:
                pg_env = server.env(server.create_database("bench_projections_profile"))
                profiles += _profile_store("PostgreSQL", pg_env, template, events, None)
        except PgUnavailable as why:
            print(f"PostgreSQL not profiled: {why}", file=sys.stderr)
    return profiles


# -- running alone -------------------------------------------------------------------------------
def add_projection_arguments(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The projection options (``python -m bench`` and ``python -m bench.projections``)."""
    group = parser.add_argument_group("projections")
    group.add_argument(
        "--projection-events",
        type=int,
        default=DEFAULT_EVENTS,
        help=f"events in the generated store, both logs (default {DEFAULT_EVENTS:,})",
    )
    group.add_argument(
        "--projection-case-events",
        type=int,
        default=DEFAULT_CASE_EVENTS,
        help=f"events of the case the queries ask about (default {DEFAULT_CASE_EVENTS:,})",
    )
    return group


def check_projection_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.projection_case_events < 2:
        parser.error("--projection-case-events must be at least 2")
    if args.projection_events < args.projection_case_events:
        parser.error("--projection-events must be at least --projection-case-events")


def _progress(message: str) -> None:
    print(f"[projections] {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.projections",
        description="View catch-up throughput against the raw read rate, SQLite and PostgreSQL.",
    )
    add_projection_arguments(parser)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--profile",
        action="store_true",
        help=f"cProfile each view's catch-up over {PROFILE_EVENTS:,} events instead (SQLite, and "
        "PostgreSQL unless --no-postgres)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    check_projection_arguments(parser, args)
    _quiet_logging()
    started = perf_counter()
    with tempfile.TemporaryDirectory(prefix="recoverycore-bench-projections-") as tmp:
        if args.profile:
            out = io.StringIO()
            for title, prof in profile_projections(
                Path(tmp), case_events=args.projection_case_events, postgres=not args.no_postgres
            ):
                for order in ("tottime", "cumulative"):
                    out.write(f"\n===== {title}: top 30 by {order} =====\n")
                    pstats.Stats(prof, stream=out).strip_dirs().sort_stats(order).print_stats(30)
            print(out.getvalue())
            return 0
        result = run_projections_bench(
            events=args.projection_events,
            case_events=args.projection_case_events,
            tmp=Path(tmp),
            postgres=not args.no_postgres,
            progress=None if args.quiet else _progress,
        )
    seconds = perf_counter() - started
    if args.json:
        print(
            json.dumps({**projection_as_dict(result), "total_seconds": round(seconds, 2)}, indent=2)
        )
    else:
        print("\n".join([*projection_lines(result), f"total {seconds:.1f} s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
