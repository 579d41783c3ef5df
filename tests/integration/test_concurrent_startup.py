"""Applications started at the same moment on one store all start (issue 12, item 5).

Real processes, released together: on a new store, eventsourcing's table creation races
(SQLite: the tracking-table migration row; PostgreSQL: "tuple concurrently updated", a duplicate
type). Before the fix most runs had a process crash.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pgserver import PgServer
from recoverycore.persistence import sqlite_env

PROCESSES = 8

STARTER = """
import json, os, sys, time
from uuid import uuid4
import structlog
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
from recoverycore import RecoveryApp, SimulatedClock
from recoverycore.application.policies import FollowUpPolicy, SafeguardPolicy
from recoverycore.testing import msp_builder
env = json.loads(sys.argv[1])
while time.time() < float(sys.argv[2]):
    time.sleep(0.001)
plan = msp_builder(plan_id=uuid4())
with RecoveryApp(env=env, clock=SimulatedClock(plan.now)) as app:
    app.handle(plan.record(crn="311 204 557J"), retries=5)
    with FollowUpPolicy(env=env), SafeguardPolicy(env=env):
        pass
"""


def start_together(env: dict[str, str], processes: int = PROCESSES) -> list[str]:
    """Start ``processes`` applications at one moment; the errors of those that failed."""
    at = time.time() + 3.0  # after every interpreter has imported recoverycore
    started = [
        subprocess.Popen(
            [sys.executable, "-c", STARTER, json.dumps(env), str(at)],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(processes)
    ]
    errors = []
    for process in started:
        _, stderr = process.communicate(timeout=180)
        if process.returncode != 0:
            errors.append(stderr.decode(errors="replace").strip().splitlines()[-1])
    return errors


def test_applications_starting_together_on_a_new_sqlite_store_all_start(tmp_path: Path) -> None:
    assert start_together(sqlite_env(tmp_path / "store.db")) == []


@pytest.mark.postgres
def test_applications_starting_together_on_a_new_postgres_store_all_start(
    pg_server: PgServer, pg_database: str
) -> None:
    env = pg_server.env(pg_database)
    assert start_together(env) == []
    # ... and again on the store they made.
    assert start_together(env) == []
