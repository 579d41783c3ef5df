"""Tamper evidence and personal data on PostgreSQL (issue 6): the same guarantees as on SQLite,
with the keys in a table of the store's own database."""

from __future__ import annotations

from typing import Any

import psycopg

from pgserver import PgServer
from recoverycore import ReadModels, RecoveryApp
from recoverycore.application.clock import SimulatedClock
from recoverycore.application.forget import forget
from recoverycore.application.verify import verify
from recoverycore.cli.demo import DEMO_CASE_ID, DEMO_CASE_START, run_case_demo
from recoverycore.persistence import ERASED


def _all_bytes(conn: psycopg.Connection[Any]) -> bytes:
    """Every stored event, snapshot and key of the database, as bytes."""
    out = b""
    tables = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    ).fetchall()
    for (table,) in tables:
        for row in conn.execute(f'SELECT * FROM "{table}"').fetchall():
            for value in row:
                out += value if isinstance(value, bytes) else str(value).encode()
    return out


def test_a_protected_postgres_store_verifies_locates_tampering_and_forgets(
    pg_server: PgServer, pg_database: str
) -> None:
    env = pg_server.env(pg_database)
    clock = SimulatedClock(DEMO_CASE_START)
    with RecoveryApp(env=env, clock=clock) as app:
        run_case_demo(app, clock)
        case = app.case(DEMO_CASE_ID)
    with ReadModels(env) as views:
        views.catch_up()

    result = verify(env)
    assert result.ok, result.findings
    assert result.events >= case.version
    assert result.witness == "audit view"

    with pg_server.connect(pg_database) as conn:
        raw = _all_bytes(conn)
        assert case.customer.surname.encode() not in raw
        assert case.crn.encode() not in raw
        # Alter one event's data in place.
        table = "recoverycore_events"
        state = conn.execute(
            f"SELECT state FROM {table} WHERE originator_id = %s AND originator_version = 3",
            (DEMO_CASE_ID,),
        ).fetchone()
        assert state is not None
        changed = bytearray(state[0])
        changed[-3] ^= 1
        conn.execute(
            f"UPDATE {table} SET state = %s WHERE originator_id = %s AND originator_version = 3",
            (bytes(changed), DEMO_CASE_ID),
        )
    tampered = verify(env)
    assert not tampered.ok
    assert [(f.aggregate_id, f.version, f.kind) for f in tampered.findings] == [
        (str(DEMO_CASE_ID), 3, "altered")
    ]
    with pg_server.connect(pg_database) as conn:
        conn.execute(
            "UPDATE recoverycore_events SET state = %s"
            " WHERE originator_id = %s AND originator_version = 3",
            (bytes(state[0]), DEMO_CASE_ID),
        )

    done = forget(env, case.crn)
    assert done.key_destroyed
    assert verify(env).ok
    with RecoveryApp(env=env) as reader:
        assert reader.case(DEMO_CASE_ID).crn == ERASED
    with ReadModels(env) as views:
        assert views.audit(DEMO_CASE_ID).entries[0].details["crn"] == ERASED
    one = verify(env, aggregate_id=DEMO_CASE_ID)
    assert one.ok
    assert one.heads["version"] == str(case.version)


def test_a_whole_store_in_its_own_schema_verifies_and_keeps_its_keys_there(
    pg_server: PgServer, pg_database: str
) -> None:
    pg_server.create_schema(pg_database, "recovery")
    env = pg_server.env(pg_database, schema="recovery")
    clock = SimulatedClock(DEMO_CASE_START)
    with RecoveryApp(env=env, clock=clock) as app:
        run_case_demo(app, clock)
        version = app.case(DEMO_CASE_ID).version
    result = verify(env)
    assert result.ok, result.findings
    assert result.events >= version
    with pg_server.connect(pg_database) as conn:
        tables = {
            (schema, table)
            for schema, table in conn.execute(
                "SELECT table_schema, table_name FROM information_schema.tables"
                " WHERE table_name LIKE 'customer_%'"
            ).fetchall()
        }
        assert tables == {
            ("recovery", "customer_keys"),
            ("recovery", "customer_links"),
            ("recovery", "customer_lookup"),
        }
        conn.execute(
            "DELETE FROM recovery.recoverycore_events"
            " WHERE originator_id = %s AND originator_version = 5",
            (DEMO_CASE_ID,),
        )
    found = verify(env).findings
    assert [(f.aggregate_id, f.version, f.kind) for f in found] == [
        (str(DEMO_CASE_ID), 5, "removed")
    ]
