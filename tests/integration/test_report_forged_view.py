"""The report shows what the verified chain holds, never a forged audit-view row as intact
(issue 12, item 8): a row changed, deleted or added in the audit view with ``sqlite3`` (or on
PostgreSQL) is named in the report, which says plainly that the record is not intact and shows
the stored events instead."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog
from structlog.testing import capture_logs
from typer.testing import CliRunner

from pgserver import PgServer
from recoverycore import ReadModels, RecoveryApp, SimulatedClock
from recoverycore.application.policies import run_policies
from recoverycore.cli import app as cli
from recoverycore.cli.demo import DEMO_CASE_ID, DEMO_CASE_START, run_case_demo
from recoverycore.report import build_report, render

runner = CliRunner()
FORGED = "FORGED-7Q reason no officer gave"
FORGER = "FORGER-9Z"

Forgery = tuple[str, tuple[Any, ...], int, str, tuple[str, ...]]
"""SQL (``?`` parameters, ``{id}`` for the case id), its parameters, the version it touches,
the problem the report must name, and the fields it must name."""

FORGERIES: dict[str, Forgery] = {
    "reason changed": (
        "UPDATE audit_events SET data = json_set(data, '$.reasons', json_array(?))"
        " WHERE subject_id = {id} AND version = 3",
        (FORGED,),
        3,
        "changed",
        ("data.reasons",),
    ),
    "actor changed": (
        "UPDATE audit_events SET staff_id = ?, data = json_set(data, '$.actor.staff_id', ?)"
        " WHERE subject_id = {id} AND version = 2",
        (FORGER, FORGER),
        2,
        "changed",
        ("staff_id", "data.actor"),
    ),
    "row deleted": (
        "DELETE FROM audit_events WHERE subject_id = {id} AND version = 4",
        (),
        4,
        "missing",
        (),
    ),
}
_POSTGRES = {
    "reason changed": (
        "UPDATE audit_events SET data = jsonb_set(data::jsonb, '{{reasons}}',"
        " jsonb_build_array(%s::text))::text WHERE subject_id = {id} AND version = 3"
    ),
    "actor changed": (
        "UPDATE audit_events SET staff_id = %s,"
        " data = jsonb_set(data::jsonb, '{{actor,staff_id}}', to_jsonb(%s::text))::text"
        " WHERE subject_id = {id} AND version = 2"
    ),
    "row deleted": "DELETE FROM audit_events WHERE subject_id = {id} AND version = 4",
}


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    structlog.reset_defaults()


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    db = tmp_path / "store.db"
    result = runner.invoke(cli, ["demo", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


def _report(db: Path, fmt: str) -> tuple[int, str]:
    out = db.with_name(f"report.{fmt}")
    result = runner.invoke(cli, ["report", str(DEMO_CASE_ID), "--db", str(db), "-o", str(out)])
    return result.exit_code, out.read_text(encoding="utf-8") + result.output


def _assert_flagged(html: str, exported: str, name: str) -> None:
    _, _, version, problem, fields = FORGERIES[name]
    for text in (html, exported):
        assert FORGED not in text
        assert FORGER not in text
    assert "NOT intact" in html
    assert 'class="verdict ok"' not in html
    assert 'id="view-discrepancies"' in html
    report = orjson.loads(exported[: exported.rindex("}") + 1])
    found = report["view_discrepancies"]
    assert [(d["version"], d["problem"]) for d in found] == [(version, problem)]
    assert set(fields) <= set(found[0]["fields"])
    # The stored event is shown where the view's row was changed or deleted.
    assert version in [e["version"] for e in report["events"]]


def test_an_untouched_view_gives_an_intact_report(demo_db: Path) -> None:
    code, html = _report(demo_db, "html")
    assert code == 0
    assert 'class="verdict ok"' in html
    assert "NOT intact" not in html
    code, exported = _report(demo_db, "json")
    assert orjson.loads(exported[: exported.rindex("}") + 1])["view_discrepancies"] == []


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_forged_audit_view_row_is_named_and_never_shown_as_intact(
    demo_db: Path, name: str
) -> None:
    sql, params, *_ = FORGERIES[name]
    _report(demo_db, "json")  # the views are caught up
    views = demo_db.with_name("store.views.db")
    with closing(sqlite3.connect(views)) as connection:
        changed = connection.execute(sql.format(id="?"), (*params, str(DEMO_CASE_ID)))
        assert changed.rowcount == 1
        connection.commit()
    html_code, html = _report(demo_db, "html")
    json_code, exported = _report(demo_db, "json")
    assert html_code == json_code == 1
    assert "The audit view is not to be trusted" in html
    _assert_flagged(html, exported, name)


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_on_postgres_too_a_forged_audit_view_row_is_named(
    pg_server: PgServer, pg_database: str, name: str
) -> None:
    env = pg_server.env(pg_database)
    with capture_logs():
        policies = run_policies(env)
        try:
            app = policies.get(RecoveryApp)
            clock = SimulatedClock(DEMO_CASE_START)
            app.clock = clock
            assert run_case_demo(app, clock) is not None
        finally:
            policies.stop()
    _, params, *_ = FORGERIES[name]
    with ReadModels(env) as models:
        models.catch_up()
        with pg_server.connect(pg_database) as connection:
            changed = connection.execute(
                _POSTGRES[name].format(id="%s"), (*params, str(DEMO_CASE_ID))
            )
            assert changed.rowcount == 1
        report = build_report(models, DEMO_CASE_ID)
        _assert_flagged(render(report, "html"), render(report, "json"), name)
