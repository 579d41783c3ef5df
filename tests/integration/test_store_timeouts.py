"""No single command blocks the store for long (issue 12, item 3): lock, statement and
idle-in-transaction timeouts, a stored-event size limit, and typed errors when they fire."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import structlog

from pgserver import PgServer
from recoverycore import InvalidCommand, RecoveryApp, SimulatedClock, StoreBusy
from recoverycore.persistence import sqlite_env
from recoverycore.testing import MspBuilder, msp_builder

NINE_MB = "x" * 9_000_000


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def active_plan(env: dict[str, str]) -> MspBuilder:
    plan = msp_builder(plan_id=uuid4())
    with RecoveryApp(env=env, clock=SimulatedClock(plan.now)) as app:
        app.handle(plan.record(crn="311 204 557J"))
        app.handle(plan.approve())
    return plan


def test_a_command_waiting_on_a_locked_sqlite_store_is_a_typed_error(tmp_path: Path) -> None:
    env = {**sqlite_env(tmp_path / "store.db"), "SQLITE_LOCK_TIMEOUT": "1"}
    plan = active_plan(env)
    with RecoveryApp(env=env, clock=SimulatedClock(plan.now)) as app:
        holder = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process is writing, and does not finish
        try:
            with pytest.raises(StoreBusy) as busy:
                app.handle(plan.call())
            assert "Nothing was recorded" in str(busy.value)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert app.plan(plan.plan_id).version == 2
        app.handle(plan.call())


@pytest.mark.postgres
def test_postgres_connections_have_lock_statement_and_idle_timeouts(
    pg_server: PgServer, pg_database: str
) -> None:
    with RecoveryApp(env=pg_server.env(pg_database)) as app:
        datastore: Any = app.recorder.datastore  # type: ignore[attr-defined]
        assert datastore.lock_timeout == 5
        with datastore.get_connection() as conn:
            settings = {
                name: conn.execute(f"SHOW {name}").fetchone()[name]
                for name in ("statement_timeout", "idle_in_transaction_session_timeout")
            }
    assert settings == {"statement_timeout": "30s", "idle_in_transaction_session_timeout": "5s"}


@pytest.mark.postgres
def test_a_command_waiting_for_the_events_table_lock_is_a_typed_error(
    pg_server: PgServer, pg_database: str
) -> None:
    env = {**pg_server.env(pg_database), "POSTGRES_LOCK_TIMEOUT": "1"}
    plan = active_plan(env)
    with RecoveryApp(env=env, clock=SimulatedClock(plan.now)) as app:
        holder = pg_server.connect(pg_database)
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE recoverycore_events IN EXCLUSIVE MODE")
        started = time.monotonic()
        try:
            with pytest.raises(StoreBusy):
                app.handle(plan.call())
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert time.monotonic() - started < 60
        assert app.plan(plan.plan_id).version == 2
        app.handle(plan.call())


@pytest.mark.postgres
def test_a_command_of_several_mb_is_refused_at_once_and_blocks_no_one(
    pg_server: PgServer, pg_database: str
) -> None:
    env = pg_server.env(pg_database)
    plan = active_plan(env)
    with RecoveryApp(env=env, clock=SimulatedClock(plan.now)) as app:
        started = time.monotonic()
        # Built without validation (model_copy), as a caller could: handle() checks it again.
        huge = plan.call().model_copy(update={"note_text": NINE_MB})
        with pytest.raises(InvalidCommand, match="note_text"):
            app.handle(huge)  # hung for good before
        assert time.monotonic() - started < 20
        assert app.plan(plan.plan_id).version == 2
        other = msp_builder(plan_id=uuid4())
        with RecoveryApp(env=env, clock=SimulatedClock(plan.now)) as writer:
            writer.handle(other.record(crn="311 204 558K"))
        app.handle(plan.call())


def test_an_event_over_the_stored_size_limit_is_refused_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    # The mapper's own limit is the last line behind the command's text limits.
    env = sqlite_env(tmp_path / "store.db")
    plan = active_plan(env)
    with RecoveryApp(env=env, clock=SimulatedClock(plan.now)) as app:
        app.mapper.max_stored_bytes = 4_000  # type: ignore[attr-defined]
        with pytest.raises(InvalidCommand, match="bytes one recorded event may take"):
            app.handle(plan.call(note_text="x" * 6_000))
        assert app.plan(plan.plan_id).version == 2
        app.handle(plan.call(note_text="x" * 100))
        assert app.plan(plan.plan_id).version > 2
