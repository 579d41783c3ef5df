"""``recoverycore roles``: the role table as text (80 columns, nothing cut) and as JSON."""

from __future__ import annotations

import orjson
from rich.console import Console
from typer.testing import CliRunner

from recoverycore import DECIDERS, ROLE_TABLE, role_rows
from recoverycore.cli import app as cli
from recoverycore.cli._tables import print_roles

runner = CliRunner()


def test_roles_as_json_lists_every_command_with_who_may_record_it() -> None:
    result = runner.invoke(cli, ["roles", "--format", "json"])

    assert result.exit_code == 0
    rows = orjson.loads(result.stdout)
    assert len(rows) == len(ROLE_TABLE) == 24 + 64 + 6  # plan, case and customer commands
    by_command = {(r["aggregate"], r["command"]): r for r in rows}
    approve = by_command["ManagedServicePlan", "ApproveMsp"]
    assert approve["roles"] == ["MSP_APPROVER"]
    assert approve["second_person"] == "not the recorder (MSP-A2)"
    assert approve["settings"] == ["decision_maker_roles"]
    assert by_command["ManagedServicePlan", "ExpireMsp"]["system"] is True
    assert by_command["CaseManagedRecovery", "DeclareArrangementNotReasonable"]["min_aps"] == "APS5"
    assert all(r["source"] and r["rule_id"] for r in rows)
    assert "SOCIAL_WORKER" in by_command["Customer", "RecordSafetyFlag"]["roles"]


def test_roles_as_text_fits_80_columns_without_cutting_anything() -> None:
    console = Console(width=80, record=True, color_system=None)

    print_roles(role_rows(DECIDERS.values()), to=console)

    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text
    assert "ApproveDebtRedressCheck" in text
    assert text.count("(X-A2)") == 2


def test_roles_as_text_from_the_command_line() -> None:
    result = runner.invoke(cli, ["roles"])

    assert result.exit_code == 0
    assert "Who may record each CaseManagedRecovery command" in result.output
    assert "SYSTEM" in result.output
