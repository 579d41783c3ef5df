"""The views on PostgreSQL: caught up in batches, and followed live by eventsourcing's
ProjectionRunner, on the throwaway server the suite starts itself."""

from __future__ import annotations

import pytest
from eventsourcing.projection import ProjectionRunner

from pgserver import PgServer
from recoverycore import RecoveryApp, SimulatedClock
from recoverycore.application.policies import FollowUpPolicy, run_policies
from recoverycore.cli.demo import DEMO_CASE_START, run_case_demo
from recoverycore.projections import (
    VIEWS,
    catch_up,
    open_view,
    opened,
    postgres_view_recorder,
    view_projection,
)

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_a_view_caught_up_in_batches_equals_one_followed_live_event_by_event(
    pg_server: PgServer, pg_database: str, name: str
) -> None:
    env = pg_server.env(pg_database)
    runner = run_policies(env)
    try:
        app = runner.get(RecoveryApp)
        clock = SimulatedClock(DEMO_CASE_START)
        app.clock = clock
        assert run_case_demo(app, clock) is not None
        last = {
            "RecoveryCore": app.recorder.max_notification_id(),
            "FollowUpPolicy": runner.get(FollowUpPolicy).recorder.max_notification_id(),
        }
    finally:
        runner.stop()
    assert last["FollowUpPolicy"], "the policy scheduled follow-ups"
    definition = VIEWS[name]
    batched = open_view(definition, env)
    with opened(env) as sources:
        result = catch_up(batched, sources, batch_size=5)
    assert result.events["RecoveryCore"] == last["RecoveryCore"]

    live_env = {**env, f"{name.upper()}_POSTGRES_SCHEMA": "live"}
    pg_server.create_schema(pg_database, "live")
    runners = [
        ProjectionRunner(
            application_class=application_class,
            projection_class=view_projection(definition),
            view_class=postgres_view_recorder(definition),
            env=live_env,
        )
        for application_class in (RecoveryApp, FollowUpPolicy)
    ]
    for projection_runner in runners:
        with projection_runner:
            projection_runner.wait(last[projection_runner.app_name], timeout=20)
            live = projection_runner.view
    assert isinstance(live, type(batched))
    assert live.dump() == batched.dump()
    assert live.positions() == batched.positions() == last
