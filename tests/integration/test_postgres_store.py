"""The same application on PostgreSQL, on the throwaway server the suite starts itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
import structlog
from typer.testing import CliRunner

from pgserver import PgServer
from recoverycore import ConcurrentUpdateError, RecoveryApp, SimulatedClock
from recoverycore.cli import app as cli
from recoverycore.cli.demo import (
    DEMO_CASE_ID,
    DEMO_CASE_START,
    DEMO_PLAN_ID,
    DEMO_START,
    run_case_demo,
    run_demo,
)
from recoverycore.persistence import PydanticMapper
from recoverycore.testing import EPOCH, msp_builder

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def test_the_demo_plan_is_recorded_and_read_back_from_postgres(
    pg_server: PgServer, pg_database: str
) -> None:
    clock = SimulatedClock(DEMO_START)
    with RecoveryApp(env=pg_server.env(pg_database), clock=clock) as app:
        assert isinstance(app.mapper, PydanticMapper)
        steps = run_demo(app, clock)
        assert steps is not None
        recorded = sum(len(s.recorded) for s in steps)
    with RecoveryApp(env=pg_server.env(pg_database)) as reader:
        history = reader.history(DEMO_PLAN_ID)
        plan = reader.plan(DEMO_PLAN_ID)
    assert len(history) == recorded
    assert plan.notification_complete
    assert [e.sequence for e in history] == list(range(1, recorded + 1))


def test_the_cli_follows_eventsourcings_postgres_variables(
    pg_server: PgServer, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in pg_server.env(pg_database).items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    assert runner.invoke(cli, ["demo"]).exit_code == 0
    result = runner.invoke(cli, ["history", str(DEMO_PLAN_ID), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)[0]["event_type"] == "MspRecorded"


def test_a_stale_writer_on_postgres_records_nothing_and_can_retry(
    pg_server: PgServer, pg_database: str
) -> None:
    b = msp_builder(plan_id=uuid4())
    env = pg_server.env(pg_database)
    with (
        RecoveryApp(env=env, clock=SimulatedClock(EPOCH)) as first,
        RecoveryApp(env=env, clock=SimulatedClock(EPOCH)) as second,
    ):
        first.handle(b.record())
        first.handle(b.approve())
        stale = second.plan(b.plan_id)
        first.handle(b.call(outcome="NO_ANSWER"))

        original = second._state_or_none
        calls = iter([stale])

        def stale_once(decider: Any, aggregate_id: UUID, *, version: int | None = None) -> Any:
            return next(calls, None) or original(decider, aggregate_id, version=version)

        second._state_or_none = stale_once  # type: ignore[method-assign]
        with pytest.raises(ConcurrentUpdateError):
            second.handle(b.call(outcome="VOICEMAIL"))
        assert len(first.history(b.plan_id)) == 4

        calls = iter([stale])
        events = second.handle(b.call(outcome="VOICEMAIL"), retries=1)
        assert [e.originator_version for e in events] == [5, 6]
        assert len(first.history(b.plan_id)) == 6


def test_the_demo_case_with_snapshots_is_recorded_and_read_back_from_postgres(
    pg_server: PgServer, pg_database: str
) -> None:
    env = {**pg_server.env(pg_database), "RECOVERYCORE_SNAPSHOT_INTERVAL": "10"}
    clock = SimulatedClock(DEMO_CASE_START)
    with RecoveryApp(env=env, clock=clock) as app:
        steps = run_case_demo(app, clock)
        assert steps is not None
        recorded = sum(len(s.recorded) for s in steps)
        live = app.case(DEMO_CASE_ID)
    with RecoveryApp(env=env) as reader:
        assert reader.snapshots is not None
        snapshots = list(reader.snapshots.get(DEMO_CASE_ID))
        # One snapshot each time a command takes the case past a multiple of 10 events.
        versions = [s.originator_version for s in snapshots]
        assert [v // 10 for v in versions] == list(range(1, recorded // 10 + 1))
        assert reader.case(DEMO_CASE_ID) == live
        assert reader.case(DEMO_CASE_ID, version=recorded - 1).status == "CLOSED"
        assert live.status == "ARCHIVED"
        assert len(reader.history(DEMO_CASE_ID)) == recorded
