"""The views on the command line: `project`, `rebuild`, `workload`, `audit` and `schema`, as a
user runs them on the embedded SQLite store, and `project --follow` as its own process on
PostgreSQL (eventsourcing's ProjectionRunner)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import structlog
from typer.testing import CliRunner

from pgserver import PgServer
from recoverycore import AuditReport, RecoveryApp, SimulatedClock
from recoverycore.aggregates.cmr import CaseState
from recoverycore.application.policies import FollowUpPolicy, run_policies
from recoverycore.cli import app as cli
from recoverycore.cli.demo import (
    DEMO_CASE_ID,
    DEMO_CASE_START,
    DEMO_PLAN_ID,
    DEMO_START,
    run_case_demo,
    run_demo,
)
from recoverycore.persistence import sqlite_env
from recoverycore.projections import Compliance, Timeline, Workload, WorkloadView, open_view

runner = CliRunner()


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("views") / "store.db"
    result = runner.invoke(cli, ["demo", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture(scope="module")
def plan_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's MSP alone, its follow-ups ticked as the demo ticks them. (In the whole demo the
    case's clock runs past the plan's end date, 31 August 2026, and the tick expires the plan,
    so no plan is left open there.)"""
    db = tmp_path_factory.mktemp("plan") / "store.db"
    policies = run_policies(sqlite_env(db))
    try:
        app = policies.get(RecoveryApp)
        clock = SimulatedClock(DEMO_START)
        app.clock = clock
        run_demo(app, clock, policies.get(FollowUpPolicy).tick)
    finally:
        policies.stop()
    return db


def _json(args: list[str]) -> bytes:
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result.stdout.encode()


def test_workload_json_is_the_documented_model_and_lists_the_officers_plan(plan_db: Path) -> None:
    out = _json(["workload", "--officer", "SO-5120", "--db", str(plan_db), "-f", "json"])
    answer = Workload.model_validate_json(out)
    assert [s.subject_id for s in answer.subjects] == [str(DEMO_PLAN_ID)]
    assert answer.officer_id == "SO-5120"
    assert answer.overdue == sum(1 for f in answer.follow_ups if f.overdue)


def test_workload_as_of_a_past_time_has_nothing_overdue_yet(plan_db: Path) -> None:
    out = _json(
        [
            *("workload", "--officer", "SO-5120", "--as-of", "2026-03-10T09:00:00+11:00"),
            *("--db", str(plan_db), "-f", "json"),
        ]
    )
    answer = Workload.model_validate_json(out)
    assert answer.follow_ups
    assert answer.overdue == 0


def test_audit_json_gives_the_timeline_and_the_state_as_of_the_time_asked(demo_db: Path) -> None:
    args = ["audit", str(DEMO_CASE_ID), "--db", str(demo_db), "-f", "json"]
    now = AuditReport.model_validate_json(_json(args))
    then = AuditReport.model_validate_json(_json([*args, "--as-of", "2026-03-02T10:00+11:00"]))
    assert len(then.timeline.entries) < len(now.timeline.entries)
    assert then.state.version == then.timeline.entries[-1].version
    assert isinstance(now.state.state, CaseState)
    assert now.state.state.status in ("CLOSED", "ARCHIVED")
    with RecoveryApp.sqlite(demo_db) as app:
        assert len(now.timeline.entries) == len(app.history(DEMO_CASE_ID))


def test_audit_of_a_customer_lists_every_record_of_the_crn(demo_db: Path) -> None:
    with RecoveryApp.sqlite(demo_db) as app:
        crn = app.case(DEMO_CASE_ID).crn
    out = _json(["audit", "--crn", crn, "--db", str(demo_db), "-f", "json"])
    timeline = Timeline.model_validate_json(out)
    assert timeline.subject_ids == (str(DEMO_CASE_ID),)


def test_audit_text_shows_who_did_what_under_which_step(demo_db: Path) -> None:
    result = runner.invoke(cli, ["audit", str(DEMO_CASE_ID), "--db", str(demo_db)])
    assert result.exit_code == 0, result.output
    assert "CaseAllocated" in result.output
    assert "TL-0440" in result.output
    assert "107-20112320" in result.output
    assert "As the record stood at version" in result.output


def test_audit_of_an_unknown_id_says_so_and_fails(demo_db: Path) -> None:
    result = runner.invoke(
        cli, ["audit", "00000000-0000-4000-8000-000000000000", "--db", str(demo_db)]
    )
    assert result.exit_code == 1
    assert "had been recorded" in result.output or "has been recorded" in result.output


def test_a_time_without_its_offset_is_refused(demo_db: Path) -> None:
    result = runner.invoke(cli, ["workload", "--as-of", "2026-03-01T09:00", "--db", str(demo_db)])
    assert result.exit_code == 2
    assert "offset" in result.output


def test_a_rebuilt_view_answers_exactly_as_the_view_kept_up_to_date(demo_db: Path) -> None:
    args = ["audit", str(DEMO_CASE_ID), "--db", str(demo_db), "-f", "json"]
    workload_args = ["workload", "--db", str(demo_db), "-f", "json", "--as-of", "2027-01-01T00:00Z"]
    before = (_json(args), _json(workload_args))
    result = runner.invoke(cli, ["rebuild", "--db", str(demo_db)])
    assert result.exit_code == 0, result.output
    for name in ("workload", "audit", "compliance"):
        assert f"{name}: rebuilt from" in result.output
    assert (_json(args), _json(workload_args)) == before


def test_project_applies_only_what_was_recorded_since_last_time(demo_db: Path) -> None:
    first = runner.invoke(cli, ["project", "--db", str(demo_db)])
    assert first.exit_code == 0, first.output
    again = runner.invoke(cli, ["project", "workload", "--db", str(demo_db)])
    assert again.exit_code == 0
    assert "workload: 0 event(s) applied" in again.output


def test_compliance_of_the_demo_customer_finds_contacts_a_garnishee_and_no_breach(
    demo_db: Path,
) -> None:
    with RecoveryApp.sqlite(demo_db) as app:
        crn = app.case(DEMO_CASE_ID).crn
    out = _json(["compliance", "--crn", crn, "--db", str(demo_db), "-f", "json"])
    answer = Compliance.model_validate_json(out)
    assert answer.crn == crn
    (contacts,) = answer.contacts
    assert contacts.contacts > 0
    assert not contacts.over_weekly_cap
    assert not contacts.over_monthly_cap
    assert [g.garnishee_id for g in answer.garnishees] == ["G-1"]
    assert answer.garnishees[0].placed_at is not None
    assert answer.breaches == ()
    text = runner.invoke(cli, ["compliance", "--crn", crn, "--db", str(demo_db)])
    assert text.exit_code == 0
    assert "No recorded history breaks a rule." in text.output


def test_schema_prints_the_json_schema_of_each_output() -> None:
    for which, title in (
        ("workload", "Workload"),
        ("audit", "AuditReport"),
        ("customer-audit", "Timeline"),
        ("compliance", "Compliance"),
    ):
        schema = orjson.loads(_json(["schema", which]))
        assert schema["title"] == title
        assert "properties" in schema


@pytest.mark.postgres
def test_project_follow_keeps_a_postgres_view_up_to_date_until_stopped(
    pg_server: PgServer, pg_database: str
) -> None:
    env = pg_server.env(pg_database)
    process = subprocess.Popen(
        [sys.executable, "-m", "recoverycore.cli", "project", "workload", "--follow"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        clock = SimulatedClock(DEMO_CASE_START)
        with RecoveryApp(env=env, clock=clock) as app:
            assert run_case_demo(app, clock) is not None
            last = app.recorder.max_notification_id()
            versions = len(app.history(DEMO_CASE_ID))
        view = open_view(WorkloadView, env)
        deadline = time.monotonic() + 60
        while (view.max_tracking_id("RecoveryCore") or 0) < (last or 0):
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the follower did not catch up in 60 s"
            time.sleep(0.2)
        (row,) = view.select("SELECT * FROM {p}workload_subjects")
        assert row["subject_id"] == str(DEMO_CASE_ID)
        assert row["version"] == versions
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
