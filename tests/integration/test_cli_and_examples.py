"""The command line, the README's code and the examples, run as a user would run them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
import structlog
from typer.testing import CliRunner

from recoverycore import CATALOGUE, RecoveryApp, SimulatedClock
from recoverycore.cli import app as cli
from recoverycore.cli.demo import DEMO_CASE_ID, DEMO_PLAN_ID
from recoverycore.testing import msp_builder

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    # The CLI configures structlog for the process; don't let that leak into other tests.
    yield
    structlog.reset_defaults()


def test_the_demo_records_the_example_msp_and_prints_its_history(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = runner.invoke(cli, ["demo", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "refused MSP-R2" in result.output
    assert "recorded MspSmsBlocked" in result.output
    assert "MspLetterDelivered" in result.output
    with RecoveryApp.sqlite(db) as app:
        plan = app.plan(DEMO_PLAN_ID)
        types = [e.event_type for e in app.history(DEMO_PLAN_ID)]
    assert plan.notification_complete
    assert plan.letter_outcome == "DELIVERED"
    blocked = types.index("MspSmsBlocked")
    assert types.index("MspSmsSent") > blocked


def test_running_the_demo_again_records_nothing_more(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    assert runner.invoke(cli, ["demo", "--db", str(db)]).exit_code == 0
    with RecoveryApp.sqlite(db) as app:
        before = len(app.history(DEMO_PLAN_ID))
    again = runner.invoke(cli, ["demo", "--db", str(db)])
    assert again.exit_code == 0
    assert "already recorded" in again.output
    with RecoveryApp.sqlite(db) as app:
        assert len(app.history(DEMO_PLAN_ID)) == before


def test_the_demo_uses_the_file_named_by_recoverycore_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "from-env.db"
    monkeypatch.delenv("PERSISTENCE_MODULE", raising=False)
    monkeypatch.setenv("RECOVERYCORE_DB", str(db))
    assert runner.invoke(cli, ["demo"]).exit_code == 0
    assert db.exists()


def test_history_as_json_is_every_event_with_its_envelope(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    runner.invoke(cli, ["demo", "--db", str(db)])
    result = runner.invoke(cli, ["history", str(DEMO_PLAN_ID), "--db", str(db), "-f", "json"])
    assert result.exit_code == 0
    rows = orjson.loads(result.stdout)
    assert [r["sequence"] for r in rows] == list(range(1, len(rows) + 1))
    first = rows[0]
    assert first["event_type"] == "MspRecorded"
    assert first["actor"]["role"] == "MSP_RECORDER"
    assert first["procedure_ref"] == "104-07050030 S1"
    assert "MSP-R11" in first["rules_applied"]


def test_history_of_an_unknown_id_says_so_and_fails(tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["history", "00000000-0000-4000-8000-000000000000", "--db", str(tmp_path / "x.db")]
    )
    assert result.exit_code == 1
    assert "No plan or case" in result.output


def test_rules_as_json_lists_the_whole_catalogue_with_source_steps() -> None:
    result = runner.invoke(cli, ["rules", "--format", "json"])
    assert result.exit_code == 0
    rules = orjson.loads(result.stdout)
    assert [r["id"] for r in rules] == list(CATALOGUE)
    assert all(r["text"] and r["source_step"].startswith(r["procedure"]) for r in rules)
    # The role table's rules (X-A1 to X-A3) bind both procedures.
    assert {r["procedure"] for r in rules} == {
        "104-07050030",
        "107-20112320",
        "104-07050030 and 107-20112320",
    }


def test_rules_as_text_shows_each_rule_id() -> None:
    result = runner.invoke(cli, ["rules"])
    assert result.exit_code == 0
    for rule_id in CATALOGUE:
        assert rule_id in result.output


def test_the_console_script_is_installed_and_runs() -> None:
    script = Path(sys.executable).with_name("recoverycore")
    result = subprocess.run([str(script), "rules", "-f", "json"], capture_output=True, check=True)
    assert len(orjson.loads(result.stdout)) == len(CATALOGUE)


@pytest.mark.parametrize("example", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_every_example_runs(example: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run(
        [sys.executable, str(example)], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert result.returncode == 0, result.stderr


def test_the_readme_python_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert blocks, "the README shows the API with code"
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})


def test_the_demo_also_records_the_example_case_and_history_shows_it(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = runner.invoke(cli, ["demo", "--db", str(db)])
    assert result.exit_code == 0, result.output
    for refusal in ("refused CMR-R2", "refused X-R8", "refused CMR-R6", "refused CMR-R9"):
        assert refusal in result.output
    rows = orjson.loads(
        runner.invoke(cli, ["history", str(DEMO_CASE_ID), "--db", str(db), "-f", "json"]).stdout
    )
    types = [r["event_type"] for r in rows]
    assert types[0] == "CaseAllocated"
    assert (
        types.index("GarnisheePlaced") < types.index("DebtPaidInFull") < types.index("CaseClosed")
    )
    assert types[-1] == "CaseArchived"
    assert rows[0]["procedure_ref"].startswith("107-20112320")


def test_tick_makes_follow_ups_due_once_and_follow_ups_lists_them(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    b = msp_builder()
    with RecoveryApp.sqlite(db, clock=SimulatedClock(b.now)) as app:
        app.handle(b.record())
        app.handle(b.approve())
    now = (b.now + timedelta(days=3)).isoformat()  # past the first-contact and letter alarms

    first = runner.invoke(cli, ["tick", "--now", now, "--db", str(db), "-f", "json"])
    assert first.exit_code == 0, first.output
    assert [row["event_type"] for row in orjson.loads(first.stdout)] == ["FollowUpDue"] * 2
    again = runner.invoke(cli, ["tick", "--now", now, "--db", str(db), "-f", "json"])
    assert orjson.loads(again.stdout) == []

    listed = runner.invoke(cli, ["follow-ups", str(b.plan_id), "--db", str(db), "-f", "json"])
    kinds = {row.get("kind") for row in orjson.loads(listed.stdout)}
    assert {"MSP_FIRST_CONTACT", "MSP_LETTER_DUE", "MSP_REVIEW_START", "MSP_END_DATE"} <= kinds


def test_the_demo_shows_follow_ups_falling_due_as_its_clock_moves(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["demo", "--db", str(tmp_path / "demo.db")])
    assert result.exit_code == 0, result.output
    section = result.output.split("4. Follow-ups")[1]
    for word in ("Scheduled", "Completed", "Cancelled", "Due", "EMPLOYER_CONTACT"):
        assert word in section


def test_the_demo_shows_a_restriction_blocking_a_call_and_a_flag_reaching_a_later_case(
    tmp_path: Path,
) -> None:
    result = runner.invoke(cli, ["demo", "--db", str(tmp_path / "demo.db")], terminal_width=200)
    assert result.exit_code == 0, result.output
    part = result.output.split("3. One customer")[1].split("4. Follow-ups")[0]
    part = " ".join(part.split())  # however the terminal wrapped it
    # The flag recorded on the MSP reaches the case allocated the next day...
    assert "recorded CaseAllocated, VulnerabilityFlagRecorded" in part
    assert "recorded PreCallSmsBlocked" in part
    # ... and the write-only MSP refuses the case manager's call; the OMC makes it.
    assert "refused X-R12" in part
    assert "rules out a phone call from debt" in part
    assert "recorded ContactAttempted" in part


def test_tick_needs_a_time_with_its_offset(tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["tick", "--now", "2026-08-03T09:00:00", "--db", str(tmp_path / "x.db")]
    )
    assert result.exit_code == 2
    assert "offset" in result.output
