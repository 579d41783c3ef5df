"""Two ways the hostile trial of issue 12 made ``verify`` say "intact" over tampering: the audit
view's table dropped (the witness of every history's end), and a head document naming only a
log the store does not have."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from recoverycore import RecoveryApp, SimulatedClock, verify
from recoverycore.application import ReadModels
from recoverycore.application.verify import head_document, heads_from
from recoverycore.cli.demo import DEMO_CASE_START, run_case_demo
from recoverycore.persistence import sqlite_env


def demo_store(tmp_path: Path) -> dict[str, str]:
    env = sqlite_env(tmp_path / "store.db")
    clock = SimulatedClock(DEMO_CASE_START)
    with RecoveryApp(env=env, clock=clock) as app:
        run_case_demo(app, clock)
    with ReadModels(env) as views:
        views.catch_up()
    return env


def test_a_dropped_audit_view_table_is_missing_not_intact(tmp_path: Path) -> None:
    env = demo_store(tmp_path)
    assert verify(env).ok
    with closing(sqlite3.connect(tmp_path / "store.views.db")) as views:
        views.execute("DROP TABLE audit_events")
        views.commit()
    result = verify(env)
    assert not result.ok
    assert [(f.application, f.kind) for f in result.findings] == [("views", "missing")]


def test_heads_of_a_log_the_store_does_not_have_are_a_finding(tmp_path: Path) -> None:
    env = demo_store(tmp_path)
    document = head_document(verify(env))
    assert verify(env, against=heads_from(document)).ok
    heads = heads_from(document)
    foreign = {"Nope": next(iter(heads.values()))}
    result = verify(env, against=foreign)
    assert not result.ok
    assert [(f.application, f.kind) for f in result.findings] == [("Nope", "missing")]
