"""The views on PostgreSQL: caught up in batches, and followed live by eventsourcing's
ProjectionRunner, on the throwaway server the suite starts itself."""

from __future__ import annotations

import pytest
from eventsourcing.projection import ProjectionRunner

from pgserver import PgServer
from recoverycore import RecoveryApp, SimulatedClock
from recoverycore.demo import DEMO_CASE_START, run_case_demo
from recoverycore.projections import (
    WorkloadView,
    catch_up,
    open_view,
    opened,
    postgres_view_recorder,
    view_projection,
)

pytestmark = pytest.mark.postgres


def test_a_view_caught_up_in_batches_equals_one_followed_live_event_by_event(
    pg_server: PgServer, pg_database: str
) -> None:
    env = pg_server.env(pg_database)
    clock = SimulatedClock(DEMO_CASE_START)
    with RecoveryApp(env=env, clock=clock) as app:
        assert run_case_demo(app, clock) is not None
        last = app.recorder.max_notification_id()
    batched = open_view(WorkloadView, env)
    with opened(env) as sources:
        result = catch_up(batched, sources, batch_size=5)
    assert result.events["RecoveryCore"] == last

    live_env = {**env, "WORKLOAD_POSTGRES_SCHEMA": "live"}
    pg_server.create_schema(pg_database, "live")
    with ProjectionRunner(
        application_class=RecoveryApp,
        projection_class=view_projection(WorkloadView),
        view_class=postgres_view_recorder(WorkloadView),
        env=live_env,
    ) as runner:
        runner.wait(last, timeout=20)
        live = runner.view
        assert isinstance(live, type(batched))
        assert live.dump()["workload_subjects"] == batched.dump()["workload_subjects"]
        assert live.max_tracking_id("RecoveryCore") == last
