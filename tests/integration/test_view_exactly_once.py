"""Exactly once: an event reaches a view once, however its runner is stopped, killed, restarted
or doubled (issue 5).

Every view of :data:`recoverycore.projections.VIEWS` is checked, with the probe
:class:`view_support.Deliveries` beside them: a view that upserts or keys its rows cannot show
an event applied twice, the probe's one row per event applied can.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
import structlog
from eventsourcing.persistence import ApplicationRecorder, IntegrityError, Tracking
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from pgserver import PgServer
from recoverycore import RecoveryApp
from recoverycore.application.policies import FollowUpPolicy, run_policies
from recoverycore.persistence import sqlite_env
from recoverycore.projections import (
    FOLLOW_UP_APPLICATION,
    RECOVERY_APPLICATION,
    VIEWS,
    Source,
    ViewDefinition,
    ViewRecorder,
    catch_up,
    open_view,
    opened,
    sources_of,
)
from view_support import (
    Deliveries,
    deliveries,
    fresh_view,
    is_level,
    notification_ids,
    rebuilt,
    record_demo_copies,
    stopping_after,
)

DEFINITIONS: tuple[type[ViewDefinition], ...] = (*VIEWS.values(), Deliveries)
"""Every shipped view, and the probe."""
TESTS = Path(__file__).parents[1]


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    yield
    structlog.reset_defaults()


@dataclass
class Store:
    """A store holding the demo plan and case many times over, and its logs."""

    env: dict[str, str]
    sources: dict[str, Source]


def _recorded(env: dict[str, str], copies: int) -> None:
    with capture_logs():
        runner = run_policies(env)
        try:
            record_demo_copies(runner.get(RecoveryApp), copies)
        finally:
            runner.stop()


@pytest.fixture(scope="module")
def small_store() -> Iterator[Store]:
    """Two copies, in memory: for the many examples of the property tests."""
    with capture_logs():
        runner = run_policies()
        record_demo_copies(runner.get(RecoveryApp), 2)
    try:
        sources = sources_of([runner.get(RecoveryApp), runner.get(FollowUpPolicy)])
        yield Store({}, sources)
    finally:
        runner.stop()


@pytest.fixture(scope="module")
def file_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Four copies (about 350 events) in an SQLite file: catching the views up in batches of a
    few events takes several hundred transactions, enough to be killed part-way."""
    env = sqlite_env(tmp_path_factory.mktemp("store") / "store.db")
    _recorded(env, 4)
    with opened(env) as sources:
        yield Store(env, sources)


def _view_files(directory: Path, *, wal: bool = False) -> dict[str, str]:
    """``<VIEW>_SQLITE_DBNAME`` of every view, each in a file of its own in ``directory``;
    with ``wal``, files already in SQLite's WAL mode, as the first connection to a view leaves
    them (runners racing to switch a new file's mode is the subject of its own test)."""
    files = {d.name: directory / f"{d.name}.db" for d in DEFINITIONS}
    for path in files.values() if wal else ():
        with closing(sqlite3.connect(path)) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
    return {f"{name.upper()}_SQLITE_DBNAME": str(path) for name, path in files.items()}


def _assert_exactly_once(
    views: Mapping[str, ViewRecorder], sources: Mapping[str, Source], what: str
) -> None:
    """Each view has the rows of an uninterrupted rebuild; the probe applied each event once."""
    assert deliveries(views[Deliveries.name]) == notification_ids(sources), what
    for definition in DEFINITIONS:
        expected = rebuilt(definition, sources).dump()
        assert views[definition.name].dump() == expected, f"{what}: {definition.name}"


# -- (a) a batch delivered again ----------------------------------------------------------------
@given(data=st.data())
def test_a_batch_applied_again_is_refused_and_changes_nothing(
    small_store: Store, data: st.DataObject
) -> None:
    sources = small_store.sources
    definition = data.draw(st.sampled_from(DEFINITIONS), label="view")
    view = fresh_view(definition)
    catch_up(view, sources, batch_size=data.draw(st.integers(1, 20), label="batch size"))
    before = view.dump()

    name = data.draw(st.sampled_from(sorted(definition.topics)), label="log")
    source = sources[name]
    read = source.recorder.select_notifications(
        start=0, limit=10_000, topics=definition.topics[name], inclusive_of_start=False
    )
    first = data.draw(st.integers(0, len(read) - 1), label="first event of the batch")
    last = data.draw(st.integers(first, len(read) - 1), label="last event of the batch")
    batch = read[first : last + 1]
    writes = [w for n in batch for w in definition.writes(source.decode(n))]

    tracking = Tracking(name, batch[-1].id)
    read_after = read[first - 1].id if first else 0
    with pytest.raises(IntegrityError):
        view.apply(writes, tracking)
    with pytest.raises(IntegrityError):
        view.apply(writes, tracking, after=read_after)  # as catch_up applies it
    assert view.dump() == before
    assert view.positions()[name] == read[-1].id


# -- (b) stopped part-way and restarted ----------------------------------------------------------
@given(
    definition=st.sampled_from(DEFINITIONS),
    runs=st.lists(st.tuples(st.integers(1, 12), st.integers(1, 6)), min_size=1, max_size=8),
)
def test_a_catch_up_stopped_after_any_batch_and_restarted_ends_as_an_uninterrupted_one(
    small_store: Store, definition: type[ViewDefinition], runs: list[tuple[int, int]]
) -> None:
    """Each run has its own batch size and stops after so many batches; the last goes on to the
    end."""
    sources = small_store.sources
    view = fresh_view(definition)
    for batch_size, batches in runs:
        catch_up(view, sources, batch_size=batch_size, **stopping_after(batches))
    catch_up(view, sources, batch_size=runs[-1][0])

    assert is_level(view, sources)
    assert view.dump() == rebuilt(definition, sources).dump()
    if definition is Deliveries:
        assert deliveries(view) == notification_ids(sources)


# -- (c) a process killed part-way and restarted -------------------------------------------------
_CATCH_UP = """
import json, logging, sys
import structlog
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
sys.path.insert(0, sys.argv[1])
from recoverycore.projections import VIEWS, catch_up, open_view, opened
from view_support import Deliveries
env, batch_size = json.loads(sys.argv[2]), int(sys.argv[3])
with opened(env) as sources:
    views = [open_view(d, env) for d in (*VIEWS.values(), Deliveries)]
    print("catching up", flush=True)
    for view in views:
        catch_up(view, sources, batch_size=batch_size, progress=lambda *_: print(flush=True))
"""

Process = subprocess.Popen[bytes]


def _start(*args: str) -> Process:
    """``python -c args[0] args[1:]``, its first line (it has started) read."""
    process = subprocess.Popen(
        [sys.executable, "-c", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    process.stdout.readline()
    return process


def _killed_and_restarted(
    start: Callable[[], Process],
    moments: Sequence[Callable[[Process], object]],
    partly_done: Callable[[], bool],
) -> int:
    """Start a runner, wait for a moment of ``moments`` (or for the runner to end), kill it
    with SIGKILL, and start it again, once per moment; then let it run to its end. Returns
    how many kills left a view part-way through (by ``partly_done``)."""
    partway = 0
    for moment in (*moments, None):
        process = start()
        if moment is not None:
            moment(process)
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()
                partway += partly_done()
        _, stderr = process.communicate(timeout=120)
        if process.returncode == 0:
            return partway
        assert process.returncode == -signal.SIGKILL, stderr.decode()
    raise AssertionError("the runner, left to run to its end, did not end well")


def _after_batches(batches: int, jitter: float) -> Callable[[Process], None]:
    """The moment a runner has committed so many batches, and a little more (so that the kill
    lands anywhere in the next batch: reading, writing or committing)."""

    def moment(process: Process) -> None:
        assert process.stdout is not None
        for _ in range(batches):
            if not process.stdout.readline():
                return  # it ended
        time.sleep(jitter)

    return moment


def _part_way(view: ViewRecorder, sources: Mapping[str, Source]) -> bool:
    return any(view.positions().values()) and not is_level(view, sources)


@pytest.mark.slow
def test_a_runner_killed_at_random_moments_and_restarted_applies_every_event_once(
    file_store: Store, tmp_path: Path
) -> None:
    """Three kills, each after a random number of batches (of a random size) and a random
    fraction of a batch more; then a run to the end."""
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    env = {**file_store.env, **_view_files(tmp_path)}

    def start() -> Process:
        return _start(_CATCH_UP, str(TESTS), json.dumps(env), str(rng.randint(1, 4)))

    def partly_done() -> bool:
        views = [open_view(d, env) for d in DEFINITIONS]
        return any(_part_way(view, file_store.sources) for view in views)

    moments = [_after_batches(rng.randint(1, 300), rng.uniform(0, 0.003)) for _ in range(3)]
    partway = _killed_and_restarted(start, moments, partly_done)

    views = {d.name: open_view(d, env) for d in DEFINITIONS}
    _assert_exactly_once(views, file_store.sources, f"seed {seed}")
    assert partway, f"seed {seed}: no kill landed while a view was part-way through"


# -- (d) two runners at once ---------------------------------------------------------------------
def _at_once(*runners: Callable[[threading.Barrier], None]) -> list[BaseException]:
    """Run each runner in a thread of its own, released together by the barrier they are
    given; the errors they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(runners), timeout=60)

    def run(runner: Callable[[threading.Barrier], None]) -> None:
        try:
            runner(start)
        except BaseException as error:  # reported by the test's thread
            start.abort()
            errors.append(error)

    threads = [threading.Thread(target=run, args=(runner,)) for runner in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _catching_up(env: Mapping[str, str], batch_size: int) -> Callable[[threading.Barrier], None]:
    """A runner with its own connections to the store and the views, as a process has."""

    def runner(start: threading.Barrier) -> None:
        start.wait()
        with opened(env) as sources:
            views = [open_view(d, env) for d in DEFINITIONS]
            for view in views:
                catch_up(view, sources, batch_size=batch_size)

    return runner


@pytest.mark.parametrize("batch_sizes", [(3, 3), (1, 7), (500, 2)])
def test_two_runners_catching_up_the_same_new_views_at_once_end_as_one_runner(
    file_store: Store, tmp_path: Path, batch_sizes: tuple[int, int]
) -> None:
    """They open the views together (racing to create their tables) and read batches of their
    own sizes: a batch overlapping one the other committed first is refused and read past."""
    env = {**file_store.env, **_view_files(tmp_path, wal=True)}
    assert _at_once(*(_catching_up(env, size) for size in batch_sizes)) == []
    views = {d.name: open_view(d, env) for d in DEFINITIONS}
    _assert_exactly_once(views, file_store.sources, f"two runners, batches of {batch_sizes}")


def test_two_runners_creating_a_new_views_tables_at_the_same_moment_both_open_it(
    tmp_path: Path,
) -> None:
    """(eventsourcing checks for the tracking table, then records its migration row in another
    transaction: without a retry the second runner fails on it, about three times in four.)"""
    errors: list[BaseException] = []
    for attempt in range(10):
        (tmp_path / str(attempt)).mkdir()
        env = {
            **sqlite_env(tmp_path / "store.db"),
            **_view_files(tmp_path / str(attempt), wal=True),
        }
        errors += _at_once(_opening(Deliveries, env), _opening(Deliveries, env))
    assert errors == []


def _opening(
    definition: type[ViewDefinition], env: Mapping[str, str]
) -> Callable[[threading.Barrier], None]:
    def runner(start: threading.Barrier) -> None:
        start.wait()
        open_view(definition, env)

    return runner


def test_a_runner_opening_a_new_view_while_another_creates_its_tables_waits_and_opens_it(
    tmp_path: Path,
) -> None:
    """The other runner is in its first write transaction on the new file (for 0.3 s)."""
    env = {**sqlite_env(tmp_path / "store.db"), **_view_files(tmp_path)}
    path = env["DELIVERIES_SQLITE_DBNAME"]
    with closing(sqlite3.connect(path, isolation_level=None, check_same_thread=False)) as other:
        other.execute("BEGIN IMMEDIATE")
        done = threading.Timer(0.3, other.execute, ("COMMIT",))
        done.start()
        try:
            view = open_view(Deliveries, env)
        finally:
            done.join()
    assert view.positions() == dict.fromkeys(Deliveries.topics, 0)


class _ReadThenWait:
    """A source whose first read lets another runner commit before the read's batch is applied
    (as a second runner does when it commits between this one's read and its write)."""

    def __init__(self, source: Source, meanwhile: Callable[[], object]) -> None:
        self.source = source
        self.meanwhile: Callable[[], object] | None = meanwhile

    def select_notifications(self, *args: Any, **kwargs: Any) -> Any:
        read = self.source.recorder.select_notifications(*args, **kwargs)
        if self.meanwhile is not None:
            meanwhile, self.meanwhile = self.meanwhile, None
            meanwhile()
        return read

    def __getattr__(self, name: str) -> Any:
        return getattr(self.source.recorder, name)


def test_a_batch_read_before_another_runner_committed_a_shorter_one_is_not_applied_twice(
    small_store: Store, tmp_path: Path
) -> None:
    """The interleaving two runners with different batch sizes meet, made to happen: this one
    reads ten events, the other commits the first three, then this one applies its ten."""
    env = {**sqlite_env(tmp_path / "unused.db"), **_view_files(tmp_path)}
    recovery = small_store.sources[RECOVERY_APPLICATION]
    one_log = {RECOVERY_APPLICATION: recovery}
    slow, fast = open_view(Deliveries, env), open_view(Deliveries, env)

    def fast_runner_commits_three_events() -> None:
        catch_up(fast, one_log, batch_size=3, **stopping_after(1))

    reads = _ReadThenWait(recovery, fast_runner_commits_three_events)
    interleaved = Source(recovery.name, cast(ApplicationRecorder, reads), recovery.decode)
    catch_up(slow, {RECOVERY_APPLICATION: interleaved}, batch_size=10)
    catch_up(slow, one_log, batch_size=10)

    assert deliveries(slow) == notification_ids(one_log)


# -- (e) PostgreSQL: eventsourcing's ProjectionRunner killed part-way ----------------------------
_FOLLOW = """
import json, logging, sys
from contextlib import ExitStack
import structlog
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
sys.path.insert(0, sys.argv[1])
from eventsourcing.projection import ProjectionRunner
from recoverycore import RecoveryApp
from recoverycore.application.policies import FollowUpPolicy
from recoverycore.projections import VIEWS, postgres_view_recorder, view_projection
from view_support import Deliveries
env, targets = json.loads(sys.argv[2]), json.loads(sys.argv[3])
with ExitStack() as running:
    runners = [
        running.enter_context(
            ProjectionRunner(
                application_class=application_class,
                projection_class=view_projection(definition),
                view_class=postgres_view_recorder(definition),
                env=env,
            )
        )
        for definition in (*VIEWS.values(), Deliveries)
        for application_class in (RecoveryApp, FollowUpPolicy)
    ]
    print("following", flush=True)
    for runner in runners:
        target = targets[runner.projection.view.definition.name][runner.app_name]
        runner.wait(target, timeout=120)
"""


def _after_deliveries(view: ViewRecorder, count: int, jitter: float) -> Callable[[Process], None]:
    """The moment the probe view ``view`` has applied ``count`` events, and a little more."""

    def moment(process: Process) -> None:
        while process.poll() is None and len(deliveries(view)) < count:
            time.sleep(0.002)
        time.sleep(jitter)

    return moment


@pytest.mark.postgres
@pytest.mark.slow
def test_projection_runners_killed_at_random_moments_on_postgres_end_as_a_batch_catch_up(
    pg_server: PgServer, pg_database: str
) -> None:
    """A process runs eventsourcing's ProjectionRunner for each view and each log (as
    ``recoverycore project --follow`` does once it has caught up): two kills while they work,
    then a run to the end."""
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    env = pg_server.env(pg_database)
    _recorded(env, 3)
    for schema in ("followed", "batched"):
        pg_server.create_schema(pg_database, schema)
    followed = {**env, **{f"{d.name.upper()}_POSTGRES_SCHEMA": "followed" for d in DEFINITIONS}}
    batched = {**env, **{f"{d.name.upper()}_POSTGRES_SCHEMA": "batched" for d in DEFINITIONS}}

    with opened(env) as sources:
        events = notification_ids(sources)
        targets = {
            d.name: {
                name: max((n for app, n in notification_ids(sources, d) if app == name), default=0)
                for name in (RECOVERY_APPLICATION, FOLLOW_UP_APPLICATION)
            }
            for d in DEFINITIONS
        }
        probe = open_view(Deliveries, followed)

        def start() -> Process:
            return _start(_FOLLOW, str(TESTS), json.dumps(followed), json.dumps(targets))

        def partly_done() -> bool:
            views = [open_view(d, followed) for d in DEFINITIONS]
            return any(_part_way(view, sources) for view in views)

        # In the first half: the runners then have hundreds of events (a transaction each) left
        # when the kill lands, so it always finds a view part-way, even on a fast machine.
        moments = [
            _after_deliveries(probe, rng.randint(1, len(events) // 2), rng.uniform(0, 0.003))
            for _ in range(2)
        ]
        partway = _killed_and_restarted(start, moments, partly_done)

        views = {d.name: open_view(d, followed) for d in DEFINITIONS}
        assert deliveries(views[Deliveries.name]) == events, f"seed {seed}"
        for definition in DEFINITIONS:
            reference = open_view(definition, batched)
            catch_up(reference, sources, batch_size=50)
            assert views[definition.name].dump() == reference.dump(), (
                f"seed {seed}: {definition.name}"
            )
    assert partway, f"seed {seed}: no kill landed while a view was part-way through"


@pytest.mark.postgres
def test_on_postgres_too_a_batch_applied_again_is_refused_and_changes_nothing(
    pg_server: PgServer, pg_database: str, small_store: Store
) -> None:
    env = pg_server.env(pg_database)
    sources = small_store.sources
    for definition in DEFINITIONS:
        view = open_view(definition, env)
        catch_up(view, sources, batch_size=4)
        before = view.dump()
        for name, topics in definition.topics.items():
            read = sources[name].recorder.select_notifications(
                start=0, limit=10_000, topics=topics, inclusive_of_start=False
            )
            for first, last in ((len(read) - 4, len(read)), (0, 4), (5, 6)):
                batch = read[first:last]
                writes = [w for n in batch for w in definition.writes(sources[name].decode(n))]
                tracking = Tracking(name, batch[-1].id)
                with pytest.raises(IntegrityError):
                    view.apply(writes, tracking)
                with pytest.raises(IntegrityError):
                    view.apply(writes, tracking, after=read[first - 1].id if first else 0)
        assert view.dump() == before, definition.name
