"""A rebuild builds the view again beside the live one and switches in one transaction
(issue 12, item 7): a follower writing meanwhile loses nothing, carries on after the switch, and
the view ends equal to a clean build, row for row, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from pathlib import Path
from typing import Any, cast
from unittest import mock

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
    VIEWS,
    RebuildSuperseded,
    Source,
    ViewDefinition,
    ViewRecorder,
    catch_up,
    open_view,
    opened,
    rebuild,
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
TESTS = Path(__file__).parents[1]


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    yield
    structlog.reset_defaults()


_copies = iter(range(0, 10_000, 100))


def _record(env: Mapping[str, str], copies: int) -> None:
    """Record ``copies`` more demo plans and cases (under ids no earlier call used)."""
    with capture_logs():
        runner = run_policies(dict(env))
        try:
            record_demo_copies(runner.get(RecoveryApp), copies, first=next(_copies))
        finally:
            runner.stop()


def _store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[dict[str, str], str]:
    """A store of the kind asked for, and the schema (PostgreSQL) for a clean build."""
    if request.param == "sqlite":
        return sqlite_env(tmp_path / "store.db"), ""
    pg_server: PgServer = request.getfixturevalue("pg_server")
    database: str = request.getfixturevalue("pg_database")
    pg_server.create_schema(database, "clean")
    return pg_server.env(database), "clean"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[dict[str, str], str]:
    return _store(request, tmp_path)


def _clean(
    definition: type[ViewDefinition],
    env: Mapping[str, str],
    clean_schema: str,
    sources: Mapping[str, Source],
    tmp_path: Path,
) -> dict[str, list[dict[str, Any]]]:
    """The rows of the view built once from scratch, in a place of its own of the same kind."""
    key = definition.name.upper()
    if clean_schema:
        where = {**env, f"{key}_POSTGRES_SCHEMA": clean_schema}
    else:
        where = {**env, f"{key}_SQLITE_DBNAME": str(tmp_path / f"clean-{definition.name}.db")}
    view = open_view(definition, where)
    catch_up(view, sources)
    return view.dump()


def _leftovers(view: ViewRecorder) -> list[str]:
    """Tables of rebuilds (``<table>__b<tag>``) still in the view's database."""
    rows = view.select(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%\\_\\_b%' ESCAPE '\\'"
        if type(view).__name__.startswith("SQLite")
        else "SELECT tablename AS name FROM pg_tables WHERE tablename LIKE '%\\_\\_b%'"
    )
    return [str(r["name"]) for r in rows]


class _FirstReadThen:
    """A log whose first read lets something happen before it returns (another runner
    committing between this one's read and its write)."""

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


def _pending_batches(view: ViewRecorder, sources: Mapping[str, Source]) -> Callable[[], None]:
    """A follower's next batches, read now (one per log, up to the end), applied later."""
    batches = []
    for name, topics in view.definition.topics.items():
        position = view.max_tracking_id(name) or 0
        read = sources[name].recorder.select_notifications(
            start=position, limit=100_000, topics=topics, inclusive_of_start=False
        )
        if read:
            writes = [w for n in read for w in view.definition.writes(sources[name].decode(n))]
            batches.append((writes, Tracking(name, read[-1].id), position))

    def apply() -> None:
        for writes, tracking, after in batches:
            view.apply(writes, tracking, after=after)

    return apply


def test_a_follower_committing_a_batch_in_the_middle_of_a_rebuild_loses_nothing(
    store: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    """The interleaving that lost 600 of 620 audit rows: the follower reads its next batch, a
    rebuild starts, the follower commits the batch while the rebuild reads its first one."""
    env, clean_schema = store
    env = {**env, "DELIVERIES_SQLITE_DBNAME": str(tmp_path / "deliveries.db")}
    _record(env, 2)
    with opened(env) as sources:
        followed = {d.name: open_view(d, env) for d in DEFINITIONS}
        for view in followed.values():
            catch_up(view, sources)
        _record(env, 1)
        for definition in DEFINITIONS:
            follower = followed[definition.name]
            commit_pending = _pending_batches(follower, sources)
            interleaved = {
                name: Source(
                    source.name,
                    cast(ApplicationRecorder, _FirstReadThen(source, commit_pending)),
                    source.decode,
                )
                if name == next(iter(definition.topics))
                else source
                for name, source in sources.items()
            }
            rebuilt = rebuild(open_view(definition, env), interleaved)
            assert rebuilt.total == len(notification_ids(sources, definition))
            catch_up(follower, sources)  # the follower reads on
            expected = _clean(definition, env, clean_schema, sources, tmp_path)
            assert follower.dump() == expected, definition.name
            assert follower.generation() == 1
            assert _leftovers(follower) == []
        assert deliveries(followed[Deliveries.name]) == notification_ids(sources)


def test_a_rebuild_leaves_the_live_view_as_it_was_until_it_switches(
    store: tuple[dict[str, str], str],
) -> None:
    env, _ = store
    _record(env, 1)
    with opened(env) as sources:
        live = open_view(VIEWS["audit"], env)
        catch_up(live, sources)
        before = live.dump()
        seen: list[dict[str, list[dict[str, Any]]]] = []

        def look() -> None:
            seen.append(live.dump())

        recovery = next(iter(VIEWS["audit"].topics))
        watched = {
            **sources,
            recovery: Source(
                recovery,
                cast(ApplicationRecorder, _FirstReadThen(sources[recovery], look)),
                sources[recovery].decode,
            ),
        }
        rebuild(open_view(VIEWS["audit"], env), watched)
        assert seen == [before]
        assert live.dump() == before
        assert live.generation() == 1


def test_a_rebuild_whose_tables_another_rebuild_dropped_says_so_and_changes_nothing(
    store: tuple[dict[str, str], str],
) -> None:
    env, _ = store
    _record(env, 1)
    with opened(env) as sources:
        first, second = open_view(VIEWS["workload"], env), open_view(VIEWS["workload"], env)
        build = first.begin_build()
        rebuild(second, sources)  # switches first, dropping the other build's tables
        after_second = second.dump()
        with pytest.raises(RebuildSuperseded, match="Another rebuild of the workload view"):
            first.switch(build, lambda positions: iter(()))
        assert first.dump() == after_second
        assert first.generation() == 1


# -- real processes: a follower running while rebuilds switch under it ---------------------------
_FOLLOWER = """
import json, logging, signal, sys, threading
import structlog
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
from recoverycore.application import follow_views
env = json.loads(sys.argv[1])
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
print("following", flush=True)
follow_views(env, stop=stop, poll_seconds=0.05)
print("stopped", flush=True)
"""


def _level(views: Mapping[str, ViewRecorder], sources: Mapping[str, Source]) -> bool:
    for view in views.values():
        for name, topics in view.definition.topics.items():
            after = sources[name].recorder.select_notifications(
                start=view.max_tracking_id(name) or 0,
                limit=1,
                topics=topics,
                inclusive_of_start=False,
            )
            if after:
                return False
    return True


@pytest.mark.slow
def test_rebuilds_beside_a_follower_process_and_a_writer_end_as_a_clean_build(
    store: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    """A ``project --follow`` process keeps the views while another thread records plans and
    cases and this one rebuilds every view three times; the follower never fails, carries on
    after each switch, and the views end equal to clean builds."""
    env, clean_schema = store
    _record(env, 1)
    follower = subprocess.Popen(
        [sys.executable, "-c", _FOLLOWER, json.dumps(env)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert follower.stdout is not None
        assert follower.stdout.readline().strip() == "following"
        writer = threading.Thread(target=_record, args=(env, 4))
        writer.start()
        rebuilt = 0
        with opened(env) as sources:
            while writer.is_alive() or rebuilt < 3:
                for definition in VIEWS.values():
                    rebuild(open_view(definition, env), sources, batch_size=50)
                rebuilt += 1
            writer.join()
            views = {name: open_view(d, env) for name, d in VIEWS.items()}
            deadline = time.monotonic() + 60
            while not _level(views, sources):  # the follower alone brings them level
                assert follower.poll() is None, follower.communicate()
                assert time.monotonic() < deadline, "the follower stopped following"
                time.sleep(0.1)
            for name, definition in VIEWS.items():
                expected = _clean(definition, env, clean_schema, sources, tmp_path)
                assert views[name].dump() == expected, name
                assert views[name].generation() >= 3
                assert _leftovers(views[name]) == []
    finally:
        follower.send_signal(signal.SIGTERM)
        out, err = follower.communicate(timeout=60)
    assert follower.returncode == 0, err
    assert "stopped" in out
    assert "Traceback" not in err, err


def test_a_rebuilt_sqlite_view_keeps_its_indexes_under_the_tag_it_was_built_with(
    tmp_path: Path,
) -> None:
    env = sqlite_env(tmp_path / "store.db")
    _record(env, 1)
    with opened(env) as sources:
        view = open_view(VIEWS["audit"], env)
        catch_up(view, sources)
        rebuild(view, sources)
        rebuild(open_view(VIEWS["audit"], env), sources)
        open_view(VIEWS["audit"], env)  # a later open creates no second set of indexes
    path = env["SQLITE_DBNAME"].replace("store.db", "store.views.db")
    with closing(sqlite3.connect(path)) as connection:
        indexes = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'audit_%'"
                " AND name NOT LIKE 'sqlite_autoindex%'"
            )
        ]
    assert len(indexes) == 2, indexes


# -- any interleaving of a follower's batches with a rebuild ------------------------------------
@pytest.fixture(scope="module")
def memory_store() -> Iterator[dict[str, Source]]:
    """Two copies of the demo plan and case, in memory."""
    with capture_logs():
        policies = run_policies()
        record_demo_copies(policies.get(RecoveryApp), 2)
    try:
        yield sources_of([policies.get(RecoveryApp), policies.get(FollowUpPolicy)])
    finally:
        policies.stop()


class _Counting:
    """A log that runs ``meanwhile`` once, just after its ``at``-th read (counted over every log
    that shares ``reads``)."""

    def __init__(self, source: Source, reads: list[int], at: int, meanwhile: Callable[[], object]):
        self.source, self.reads, self.at = source, reads, at
        self.meanwhile: list[Callable[[], object]] = [meanwhile]

    def select_notifications(self, *args: Any, **kwargs: Any) -> Any:
        read = self.source.recorder.select_notifications(*args, **kwargs)
        self.reads[0] += 1
        if self.reads[0] == self.at and self.meanwhile:
            self.meanwhile.pop()()
        return read

    def __getattr__(self, name: str) -> Any:
        return getattr(self.source.recorder, name)


@given(
    definition=st.sampled_from(DEFINITIONS),
    behind=st.integers(0, 8),
    follower_batch=st.integers(5, 60),
    rebuild_batch=st.integers(5, 80),
    at=st.integers(1, 40),
    pending_first=st.booleans(),
)
def test_a_follower_acting_at_any_moment_of_a_rebuild_leaves_a_clean_view(
    memory_store: dict[str, Source],
    definition: type[ViewDefinition],
    behind: int,
    follower_batch: int,
    rebuild_batch: int,
    at: int,
    pending_first: bool,
) -> None:
    """The follower is some batches behind and has read its next batch; at the ``at``-th read
    of the rebuild (or just before it switches, if it reads fewer times) it commits that batch
    (or first catches up a batch of its own); then the rebuild switches and the follower reads
    on. The view ends as a clean build, each event applied once."""
    sources = memory_store
    follower = fresh_view(definition)
    total = len(notification_ids(sources, definition))
    catch_up(follower, sources, batch_size=follower_batch)
    if behind:  # start again, and stop that many batches short of the end
        follower = fresh_view(definition)
        batches = max(1, -(-total // follower_batch) - behind)
        catch_up(follower, sources, batch_size=follower_batch, **stopping_after(batches))
    pending = _pending_batches(follower, sources) if not is_level(follower, sources) else None

    def follower_acts() -> None:
        if pending is not None and pending_first:
            with contextlib.suppress(IntegrityError):
                pending()
        catch_up(follower, sources, batch_size=follower_batch, **stopping_after(1))
        if pending is not None and not pending_first:
            with contextlib.suppress(IntegrityError):  # refused: read past, as catch_up does
                pending()

    reads = [0]
    counting = {
        name: Source(
            name, cast(ApplicationRecorder, _Counting(s, reads, at, follower_acts)), s.decode
        )
        for name, s in sources.items()
    }
    switch = follower.switch

    def acts_then_switches(build: ViewRecorder, tail: Any) -> int:
        for source in counting.values():
            waiting = cast(_Counting, source.recorder).meanwhile
            if waiting:
                waiting.pop()()
            reads[0] = -(10**9)  # the switch's own reads run nothing
        return switch(build, tail)

    with mock.patch.object(follower, "switch", acts_then_switches):
        rebuild(follower, counting, batch_size=rebuild_batch)
    catch_up(follower, sources, batch_size=follower_batch)
    assert follower.dump() == rebuilt(definition, sources).dump()
    if definition is Deliveries:
        assert deliveries(follower) == notification_ids(sources)


def test_a_batch_read_before_the_views_tables_were_made_again_is_refused(
    store: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    """The cause of the old loss: a batch read after position p, applied once the view's
    position row was gone, was recorded as if the view held everything up to its end."""
    env, _ = store
    env = {**env, "DELIVERIES_SQLITE_DBNAME": str(tmp_path / "deliveries.db")}
    _record(env, 1)
    with opened(env) as sources:
        view = open_view(Deliveries, env)
        catch_up(view, sources, **stopping_after(1), batch_size=20)
        commit_pending = _pending_batches(view, sources)
        view.reset()
        with pytest.raises(IntegrityError):
            commit_pending()
        catch_up(view, sources)
        assert deliveries(view) == notification_ids(sources)
