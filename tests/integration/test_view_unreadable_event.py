"""One stored event that cannot be read back stops only its own plan or case in the views
(issue 12, item 1): the view records where it stopped, skips that record's later events, applies
every other record's, and a restart or a rebuild does the same without failing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from uuid import UUID

import pytest
import structlog
from eventsourcing.projection import ProjectionRunner
from structlog.testing import capture_logs
from typer.testing import CliRunner

from pgserver import PgServer
from recoverycore import ReadModels, RecoveryApp
from recoverycore.application.policies import run_policies
from recoverycore.cli import app as cli
from recoverycore.persistence import sqlite_env
from recoverycore.projections import (
    RECOVERY_APPLICATION,
    VIEWS,
    ViewRecorder,
    catch_up,
    open_view,
    opened,
    postgres_view_recorder,
    tolerant_application,
    view_projection,
)
from view_support import record_demo_copies

CORRUPTIONS = {
    "not JSON": lambda json: json[:1] + b'"broken',
    "no occurred_at": lambda json: json.replace(b'"occurred_at"', b'"occurred_ax"', 1),
}


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def _corrupt(path: str, subject_id: str, version: int, how: str) -> None:
    """Change the stored bytes of one event in place, as damage on disk would (its seal, if
    it has one, is kept: the JSON after it is what changes)."""
    with closing(sqlite3.connect(path)) as connection:
        (state,) = connection.execute(
            "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (UUID(subject_id).hex, version),
        ).fetchone()
        start = state.index(b"{")
        damaged = state[:start] + CORRUPTIONS[how](state[start:])
        connection.execute(
            "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (damaged, UUID(subject_id).hex, version),
        )
        connection.commit()


def _histories(path: str) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as connection:
        return {
            str(UUID(s)): int(v)
            for s, v in connection.execute(
                "SELECT originator_id, MAX(originator_version) FROM stored_events"
                " GROUP BY originator_id"
            )
        }


def _audit_versions(view: ViewRecorder) -> dict[str, int]:
    rows = view.select("SELECT subject_id, MAX(version) AS v FROM {p}audit_events GROUP BY 1")
    return {str(r["subject_id"]): int(r["v"]) for r in rows}


@pytest.mark.parametrize("how", sorted(CORRUPTIONS))
def test_an_unreadable_event_stops_only_its_record_in_every_view(tmp_path: Path, how: str) -> None:
    env = sqlite_env(tmp_path / "store.db")
    with capture_logs():
        runner = run_policies(env)
        try:
            record_demo_copies(runner.get(RecoveryApp), 2)
        finally:
            runner.stop()
    histories = _histories(env["SQLITE_DBNAME"])
    damaged = max(histories, key=lambda s: histories[s])  # the longest history
    _corrupt(env["SQLITE_DBNAME"], damaged, 3, how)

    with capture_logs() as logs, ReadModels(env) as models:
        models.catch_up()
        for name in VIEWS:
            problems = models.view(name).problems()
            assert [(p["log"], p["subject_id"], p["version"]) for p in problems] == [
                (RECOVERY_APPLICATION, damaged, 3)
            ], name
            assert problems[0]["position"] > 0
            assert problems[0]["reason"]
        audit = _audit_versions(models.view("audit"))
    stopped = [e for e in logs if e["event"] == "view_stopped_at_unreadable_event"]
    assert {(e["view"], e["aggregate_id"], e["version"]) for e in stopped} == {
        (name, damaged, 3) for name in VIEWS
    }
    assert all(e["log_level"] == "warning" and e["notification_id"] > 0 for e in stopped)
    # Every other record is whole; the damaged one holds only what came before the damage.
    assert audit == {**histories, damaged: 2}

    with ReadModels(env) as restarted:  # a restart reads on without failing
        assert all(r.total == 0 for r in restarted.catch_up().values())
        live = {name: restarted.view(name).dump() for name in VIEWS}
        restarted.rebuild()  # and a rebuild ends as the same view
        assert {name: restarted.view(name).dump() for name in VIEWS} == live

    result = CliRunner().invoke(cli, ["project", "--db", env["SQLITE_DBNAME"]])
    assert result.exit_code == 0, result.output
    assert f"stopped at {damaged} (version 3" in result.output

    # Its report says where it cannot be read, rather than failing with a raw error.
    result = CliRunner().invoke(cli, ["report", damaged, "--db", env["SQLITE_DBNAME"]])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    said = " ".join(result.output.split())  # as the console wrapped it
    assert f"event 3 of {damaged} cannot be read back" in said


def test_a_view_fed_in_batches_of_one_stops_at_the_same_event(tmp_path: Path) -> None:
    """The problem row commits with the batch that met the event: exactly once, whatever the
    batch size, and the view equals one caught up in a single batch."""
    env = sqlite_env(tmp_path / "store.db")
    with capture_logs():
        runner = run_policies(env)
        try:
            record_demo_copies(runner.get(RecoveryApp), 1)
        finally:
            runner.stop()
    histories = _histories(env["SQLITE_DBNAME"])
    damaged = max(histories, key=lambda s: histories[s])
    _corrupt(env["SQLITE_DBNAME"], damaged, 2, "not JSON")
    with capture_logs(), opened(env) as sources:
        for name, definition in VIEWS.items():
            one = open_view(definition, {**env, "SQLITE_DBNAME": str(tmp_path / "one.db")})
            many = open_view(definition, {**env, "SQLITE_DBNAME": str(tmp_path / "many.db")})
            catch_up(one, sources, batch_size=1)
            catch_up(many, sources, batch_size=10_000)
            assert one.dump() == many.dump(), name
            assert len(one.problems()) == 1


@pytest.mark.postgres
def test_on_postgres_a_projection_runner_passes_an_unreadable_event_to_the_view(
    pg_server: PgServer, pg_database: str
) -> None:
    """``project --follow`` on PostgreSQL: eventsourcing's ProjectionRunner reads each event
    with the application's mapper; the mapper's failure reaches the view as a problem row
    instead of stopping the runner, and the runner applies every other record's events."""
    env = pg_server.env(pg_database)
    with capture_logs():
        runner = run_policies(env)
        try:
            record_demo_copies(runner.get(RecoveryApp), 2)
            last = runner.get(RecoveryApp).recorder.max_notification_id()
        finally:
            runner.stop()
    with pg_server.connect(pg_database) as connection:
        rows = connection.execute(
            "SELECT originator_id::text, MAX(originator_version) FROM recoverycore_events"
            " GROUP BY 1"
        ).fetchall()
        histories = {str(s): int(v) for s, v in rows}
        damaged = max(histories, key=lambda s: histories[s])
        connection.execute(
            "UPDATE recoverycore_events SET state = %s"
            " WHERE originator_id = %s AND originator_version = 3",
            (b'{"broken', damaged),
        )
    definition = VIEWS["audit"]
    with (
        capture_logs(),
        ProjectionRunner(
            application_class=tolerant_application(RecoveryApp),
            projection_class=view_projection(definition),
            view_class=postgres_view_recorder(definition),
            env=env,
        ) as following,
    ):
        following.wait(last, timeout=30)
        following.run_forever(timeout=0)  # re-raises the runner's error, if it had one
        view = following.view
        problems = view.problems()
        assert [(p["subject_id"], p["version"]) for p in problems] == [(damaged, 3)]
        assert _audit_versions(view) == {**histories, damaged: 2}
