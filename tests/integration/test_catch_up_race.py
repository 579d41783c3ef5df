"""A query that brings the follow-up policy up to date while `follow` runs (issue 12, item 6).

Both process the same events; the one that loses the race for a position finds it already
recorded (eventsourcing's IntegrityError). That is "already done": the query answers normally,
and nothing is recorded twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import structlog
from structlog.testing import capture_logs

from recoverycore import RecoveryApp, SimulatedClock
from recoverycore.application.policies import FollowUpPolicy
from recoverycore.events.follow_ups import FollowUpScheduled
from recoverycore.persistence import sqlite_env
from recoverycore.testing import msp_builder

SCRIPT = Path(sys.executable).with_name("recoverycore")


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def scheduled(policy: FollowUpPolicy, subject: Any) -> Counter[str]:
    return Counter(
        e.follow_up_id for e in policy.follow_ups_of(subject) if isinstance(e, FollowUpScheduled)
    )


def test_a_catch_up_that_loses_the_race_for_a_position_treats_it_as_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = sqlite_env(tmp_path / "store.db")
    plan = msp_builder(plan_id=uuid4())
    with RecoveryApp(env=env, clock=SimulatedClock(plan.now)) as app:
        app.handle(plan.record(crn="311 204 557J"))
        app.handle(plan.approve())
        with FollowUpPolicy(env=env) as first, FollowUpPolicy(env=env) as second:
            first.follow_application(app)
            second.follow_application(app)
            # The second read its position just before the first recorded the same events.
            stale = iter([None])
            real = second.recorder.max_tracking_id
            monkeypatch.setattr(
                second.recorder, "max_tracking_id", lambda name: next(stale, real(name))
            )
            first.catch_up()
            with capture_logs() as logs:
                second.catch_up()
            assert any(e["event"] == "already processed by another process" for e in logs)
            assert all(e["log_level"] == "debug" for e in logs)
            counts = scheduled(second, plan.plan_id)
            assert counts
            assert set(counts.values()) == {1}
            last = app.recorder.max_notification_id()
            assert second.recorder.max_tracking_id(app.name) == last


def test_queries_catching_up_while_follow_runs_never_fail(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path / "store.db")
    plans = [msp_builder(plan_id=uuid4()) for _ in range(25)]
    with RecoveryApp(env=env, clock=SimulatedClock(plans[0].now)) as app:
        app.handle(plans[0].record(crn="311 204 557J"))
        follower = subprocess.Popen(
            [str(SCRIPT), "follow", "follow-ups", "--poll", "0"],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            with FollowUpPolicy(env=env) as policy:
                policy.follow_application(app)
                deadline = time.monotonic() + 60
                while not policy.recorder.max_tracking_id(app.name):  # `follow` is running
                    assert time.monotonic() < deadline, "follow did not start"
                    time.sleep(0.05)
                for plan in plans[1:]:
                    app.handle(plan.record(crn="311 204 557J"))
                    policy.catch_up()  # raised IntegrityError in some rounds before
                    app.handle(plan.approve())
                    policy.catch_up()
                for plan in plans[1:]:
                    assert set(scheduled(policy, plan.plan_id).values()) == {1}
        finally:
            follower.send_signal(signal.SIGTERM)
            _, stderr = follower.communicate(timeout=30)
        assert follower.returncode == 0, stderr.decode()
