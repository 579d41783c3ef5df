"""``verify`` on PostgreSQL (issue 12): every kind of forgery and damage of the SQLite
properties (``tests/properties/test_tamper_evidence.py``) is found on a PostgreSQL store too,
each changed with SQL and put back before the next, and verify creates nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
import pytest

from pgserver import PgServer
from recoverycore import ReadModels, RecoveryApp
from recoverycore.application.clock import SimulatedClock
from recoverycore.application.policies import FollowUpPolicy, run_policies
from recoverycore.application.verify import StoreNotFound, VerifyResult, verify
from recoverycore.cli.demo import (
    DEMO_CASE_ID,
    DEMO_CASE_START,
    DEMO_PLAN_ID,
    DEMO_START,
    run_case_demo,
    run_demo,
)
from recoverycore.persistence import CHAIN_KEY

RECOVERY, FOLLOW_UPS, SAFEGUARDS = "RecoveryCore", "FollowUpPolicy", "SafeguardPolicy"


def _record(env: dict[str, str]) -> None:
    runner = run_policies(env)
    try:
        app = runner.get(RecoveryApp)
        ticking = runner.get(FollowUpPolicy)
        for demo, start in ((run_demo, DEMO_START), (run_case_demo, DEMO_CASE_START)):
            clock = SimulatedClock(start)
            app.clock = clock
            demo(app, clock, ticking.tick)
    finally:
        runner.stop()
    with ReadModels(env) as views:
        views.catch_up()


def _tables(conn: psycopg.Connection[Any]) -> set[str]:
    return {
        name
        for (name,) in conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables"
        ).fetchall()
    }


def _found(result: VerifyResult) -> set[tuple[str, str, int, str]]:
    return {(f.application, f.aggregate_id, f.version, f.kind) for f in result.findings}


@contextmanager
def _changed(conn: psycopg.Connection[Any], do: str, undo: str, *params: Any) -> Iterator[None]:
    conn.execute(do, params)
    try:
        yield
    finally:
        conn.execute(undo, params)


def _position(conn: psycopg.Connection[Any], table: str, oid: UUID, version: int) -> int:
    row = conn.execute(
        f"SELECT notification_id FROM {table} WHERE originator_id = %s AND originator_version = %s",
        (oid, version),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_verify_on_postgres_finds_each_forgery_and_damage_and_creates_nothing(
    pg_server: PgServer, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CHAIN_KEY, raising=False)
    env = {**pg_server.env(pg_database), "RECOVERYCORE_SNAPSHOT_INTERVAL": "5"}
    _record(env)
    with pg_server.connect(pg_database) as conn:
        tables = _tables(conn)
        intact = verify(env)
        assert intact.ok, intact.findings
        assert intact.snapshots >= 7
        assert intact.witness == "audit view"
        assert set(intact.log_heads) == {RECOVERY, FOLLOW_UPS, SAFEGUARDS}
        head = intact.log_heads
        assert verify(env, against=head).ok

        # A forged snapshot: one byte of the case's latest.
        (version,) = conn.execute(
            "SELECT MAX(originator_version) FROM recoverycore_snapshots WHERE originator_id = %s",
            (DEMO_CASE_ID,),
        ).fetchone() or (0,)
        flip = (
            "UPDATE recoverycore_snapshots SET state = overlay(state placing"
            " decode(lpad(to_hex(get_byte(state, 80) # 1), 2, '0'), 'hex') from 81 for 1)"
            " WHERE originator_id = %s AND originator_version = %s"
        )
        with _changed(conn, flip, flip, DEMO_CASE_ID, version):
            assert _found(verify(env)) == {(RECOVERY, str(DEMO_CASE_ID), version, "snapshot")}
            with RecoveryApp(env=env) as app:
                assert app.case(DEMO_CASE_ID).case_manager_id == "CM-3012"

        # A forged audit view row.
        with _changed(
            conn,
            "UPDATE audit_events SET staff_id = 'CM-9999' WHERE subject_id = %s AND version = 5",
            "UPDATE audit_events SET staff_id = 'CM-3012' WHERE subject_id = %s AND version = 5",
            str(DEMO_CASE_ID),
        ):
            assert _found(verify(env)) == {(RECOVERY, str(DEMO_CASE_ID), 5, "view-differs")}
            assert _found(verify(env, aggregate_id=DEMO_CASE_ID)) == {
                (RECOVERY, str(DEMO_CASE_ID), 5, "view-differs")
            }

        # Two events of different aggregates swapped in the log.
        a = _position(conn, "recoverycore_events", DEMO_PLAN_ID, 3)
        b = _position(conn, "recoverycore_events", DEMO_CASE_ID, 3)

        def swap() -> None:
            # The notification ids are unique row by row: through a free one.
            move = "UPDATE recoverycore_events SET notification_id = %s WHERE notification_id = %s"
            conn.execute(move, (-1, a))
            conn.execute(move, (a, b))
            conn.execute(move, (b, -1))

        swap()
        try:
            swapped = verify(env, against=head)
            assert {
                (RECOVERY, str(DEMO_PLAN_ID), 3, "log-order"),
                (RECOVERY, str(DEMO_CASE_ID), 3, "log-order"),
                (RECOVERY, "", 0, "rewritten"),
            } <= _found(swapped)
        finally:
            swap()

        # The last event of the follow-up log deleted.
        last = conn.execute(
            "SELECT originator_id, originator_version, topic, state, notification_id"
            " FROM followuppolicy_events ORDER BY notification_id DESC LIMIT 1"
        ).fetchone()
        assert last is not None
        conn.execute("DELETE FROM followuppolicy_events WHERE notification_id = %s", (last[4],))
        try:
            truncated = verify(env)
            assert [(f.application, f.kind, f.notification_id) for f in truncated.findings] == [
                (FOLLOW_UPS, "truncated", last[4])
            ]
            assert (FOLLOW_UPS, "rewritten") in {
                (f.application, f.kind) for f in verify(env, against=head).findings
            }
        finally:
            conn.execute(
                "INSERT INTO followuppolicy_events (originator_id, originator_version, topic,"
                " state, notification_id) VALUES (%s, %s, %s, %s, %s)",
                last,
            )

        # A row with NULL bytes for its state.
        position = _position(conn, "recoverycore_events", DEMO_CASE_ID, 10)
        (state,) = conn.execute(
            "SELECT state FROM recoverycore_events WHERE notification_id = %s", (position,)
        ).fetchone() or (b"",)
        conn.execute(
            "UPDATE recoverycore_events SET state = NULL WHERE notification_id = %s", (position,)
        )
        try:
            damaged = verify(env)
            assert [
                (f.kind, f.notification_id) for f in damaged.findings if f.kind == "damaged"
            ] == [("damaged", position)]
        finally:
            conn.execute(
                "UPDATE recoverycore_events SET state = %s WHERE notification_id = %s",
                (state, position),
            )

        # A policy's log gone.
        with _changed(
            conn,
            "ALTER TABLE safeguardpolicy_events RENAME TO gone",
            "ALTER TABLE gone RENAME TO safeguardpolicy_events",
        ):
            gone = verify(env)
            assert [(f.application, f.kind) for f in gone.findings] == [(SAFEGUARDS, "missing")]

        assert verify(env, against=head).ok
        assert _tables(conn) == tables


def test_verify_of_a_postgres_store_that_does_not_exist_is_a_loud_error(
    pg_server: PgServer, pg_database: str
) -> None:
    with pytest.raises(StoreNotFound):
        verify(pg_server.env(pg_database))
    with pytest.raises(StoreNotFound):
        verify(pg_server.env("no_such_database"))
    with pg_server.connect(pg_database) as conn:
        assert _tables(conn) & {"public.recoverycore_events"} == set()
