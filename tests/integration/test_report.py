"""The case report (issue 6): ``recoverycore report ID -o FILE.html|.json|.txt``.

The demo's case and plan reported in each format; the state machines generated from the code's
own definitions (and following a change to them); the audit export's events valid against
their models and schemas; recorded text escaped; ``[erased]`` after ``forget``; a tampered
store reported as failing verification; and the page loaded in a real headless browser
(Debian's ``chromium``) with no console messages, its timeline and diagram in the DOM and on
the screenshot.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args
from uuid import UUID

import orjson
import pytest
import structlog
from typer.testing import CliRunner

from recoverycore import ReadModels, RecoveryApp, SimulatedClock
from recoverycore.aggregates import cmr, msp
from recoverycore.application.verify import verify
from recoverycore.cli import app as cli
from recoverycore.cli.demo import DEMO_CASE_ID, DEMO_CASE_START, DEMO_PLAN_ID, run_case_demo
from recoverycore.events import normalise_crn
from recoverycore.events.cmr import CustomerName
from recoverycore.projections import _subjects
from recoverycore.report import CaseReport, build_report, event_schemas, format_for, render
from recoverycore.report.diagram import event_class, state_machine
from recoverycore.testing import case_builder

runner = CliRunner()

HOSTILE_CASE = UUID("5e1f0c3a-0000-4000-8000-0000000bad00")
HOSTILE_CRN = "409 118 233X"
SCRIPT = '<script>alert("x")</script> & <b>bold</b>'
IMAGE = "<img src=x onerror=alert(1)>"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("report") / "store.db"
    result = runner.invoke(cli, ["demo", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    """A case whose customer name and recorded text are HTML, with a pause that was lifted and
    a flag still in force."""
    db = tmp_path / "hostile.db"
    b = case_builder(
        case_id=HOSTILE_CASE, customer=CustomerName(surname="O'Hara", first_name=IMAGE)
    )
    clock = SimulatedClock(b.day(0, 9, 0))
    steps = [
        (b.day(0, 9, 0), b.allocate(crn=HOSTILE_CRN)),
        (b.day(0, 9, 5), b.assess_suitability()),
        (b.day(0, 9, 10), b.pause(reasons=(SCRIPT,))),
        (b.day(0, 9, 20), b.flag(source=SCRIPT)),
        (b.day(0, 10, 0), b.resume()),
    ]
    with RecoveryApp.sqlite(db, clock=clock) as app:
        for when, command in steps:
            clock.set(when)
            app.handle(command)
    return db


def _invoke(args: list[str], code: int = 0) -> str:
    result = runner.invoke(cli, args)
    assert result.exit_code == code, result.output
    return result.stdout


def _report(db: Path, subject: UUID, *more: str) -> CaseReport:
    return CaseReport.model_validate_json(
        _invoke(["report", str(subject), "--db", str(db), "-f", "json", *more])
    )


# -- the state machines ----------------------------------------------------------------------------


def test_the_state_machines_are_the_aggregates_own_states_and_event_mapping() -> None:
    plan = state_machine("ManagedServicePlan")
    assert plan.states == get_args(msp.MspStatus)
    assert set(plan.final) == msp.TERMINAL
    case = state_machine("CaseManagedRecovery")
    assert case.states[: len(get_args(cmr.Stage))] == get_args(cmr.Stage)
    assert {"UNASSIGNED", "ARCHIVED"} <= set(case.states)
    assert "OPEN" not in case.states  # an open case is where its stage says
    for machine in (plan, case):
        assert [t.event_type for t in machine.transitions if t.starts] == [
            machine.transitions[0].event_type
        ]
        for t in machine.transitions:
            assert event_class(t.event_type) is not None
            assert t.target in machine.states
    moves = {(t.event_type, t.condition, t.target) for t in case.transitions}
    assert ("LetterIssued", "purpose is DPO_WARNING", "DPO_TRACK") in moves
    assert ("SuitabilityAssessed", "suitable", "ENGAGEMENT") in moves
    assert ("CaseArchived", None, "ARCHIVED") in moves
    assert ("MspReviewInvitationSent", None, "UNDER_REVIEW") in {
        (t.event_type, t.condition, t.target) for t in plan.transitions
    }


def test_the_diagram_changes_when_the_codes_mapping_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state_machine.cache_clear()
    monkeypatch.setitem(_subjects._CASE_STAGE, "RecoveryPaused", "ENGAGEMENT")
    try:
        entered = state_machine("CaseManagedRecovery").entered_by("ENGAGEMENT")
        assert "RecoveryPaused" in [t.event_type for t in entered]
    finally:
        monkeypatch.undo()
        state_machine.cache_clear()
    assert "RecoveryPaused" not in [
        t.event_type for t in state_machine("CaseManagedRecovery").transitions
    ]


# -- formats ---------------------------------------------------------------------------------------


def test_the_format_comes_from_the_option_else_the_extension_else_html() -> None:
    assert format_for("r.json") == "json"
    assert format_for("r.TXT") == "text"
    assert format_for("r.html") == "html"
    assert format_for("report") == "html"
    assert format_for(None) == "html"
    assert format_for("r.json", "text") == "text"
    with pytest.raises(ValueError, match="html, json or text"):
        format_for(None, "pdf")


def test_report_writes_the_format_its_file_extension_asks_for(
    demo_db: Path, tmp_path: Path
) -> None:
    for name in ("case.html", "case.json", "case.txt"):
        _invoke(["report", str(DEMO_CASE_ID), "--db", str(demo_db), "-o", str(tmp_path / name)])
    assert (tmp_path / "case.html").read_text().startswith("<!DOCTYPE html>")
    report = CaseReport.model_validate_json((tmp_path / "case.json").read_text())
    assert report.summary.subject_id == str(DEMO_CASE_ID)
    text = (tmp_path / "case.txt").read_text()
    assert text.startswith("Case managed debt recovery")
    assert "Hash chain intact" in text
    assert "ENGAGEMENT -> INVESTIGATION by v15 ArrangementRefused" in text


def test_without_output_the_report_goes_to_stdout_as_html(demo_db: Path) -> None:
    out = _invoke(["report", str(DEMO_PLAN_ID), "--db", str(demo_db)])
    assert out.startswith("<!DOCTYPE html>")
    assert out.rstrip().endswith("</html>")


def test_the_json_report_summarises_the_demo_case_and_the_path_it_took(demo_db: Path) -> None:
    report = _report(demo_db, DEMO_CASE_ID)
    s = report.summary
    assert (s.subject_type, s.status, s.stage) == ("CaseManagedRecovery", "ARCHIVED", "CLOSED")
    assert (s.officer_id, s.team, s.crn) == ("CM-3012", "SRT", "311204557J")
    assert s.customer == "Alex Citizen"
    assert s.actions == s.version == len(report.events) == 39
    assert s.ended_at is not None
    assert [(p.source, p.target) for p in report.path] == [
        (None, "ONBOARDING"),
        ("ONBOARDING", "ENGAGEMENT"),
        ("ENGAGEMENT", "INVESTIGATION"),
        ("INVESTIGATION", "ENFORCEMENT"),
        ("ENFORCEMENT", "CLOSING"),
        ("CLOSING", "CLOSED"),
        ("CLOSED", "ARCHIVED"),
    ]
    assert report.verification.ok
    assert report.verification.heads["version"] == "39"
    assert any(f.ended_at is not None for e in report.events for f in e.follow_ups)


def test_the_audit_export_gives_each_events_type_schema_version_and_valid_data(
    demo_db: Path,
) -> None:
    schemas = event_schemas()
    for subject in (DEMO_CASE_ID, DEMO_PLAN_ID):
        report = _report(demo_db, subject)
        for event in report.events:
            cls = event_class(event.event_type)
            assert cls is not None
            assert event.schema_version == cls.class_version
            assert schemas[event.event_type]["x-schema-version"] == event.schema_version
            required = set(schemas[event.event_type].get("required", ()))
            assert required <= set(event.data), event.event_type
            recorded = cls.model_validate(event.data)
            assert recorded.originator_version == event.version
            assert str(recorded.event_id) == event.event_id


def test_the_schemas_cover_every_recorded_event_type_and_the_report(demo_db: Path) -> None:
    printed = orjson.loads(_invoke(["report", "--schemas"]))
    assert printed["report"]["title"] == "CaseReport"
    names = set(printed["events"])
    assert {"MspRecorded", "CaseAllocated", "FollowUpScheduled", "CustomerAggregateLinked"} <= names
    assert len(names) == len(event_schemas())
    crn = printed["events"]["CaseAllocated"]["properties"]["crn"]
    assert crn.get("x-personal") is True


def test_a_report_as_of_a_version_shows_the_record_as_it_stood_then(demo_db: Path) -> None:
    report = _report(demo_db, DEMO_CASE_ID, "--version", "2")
    assert report.summary.version == 2
    assert report.summary.stage == "ENGAGEMENT"
    assert [p.target for p in report.path] == ["ONBOARDING", "ENGAGEMENT"]


def test_a_report_of_an_unknown_id_says_so_and_fails(demo_db: Path) -> None:
    result = runner.invoke(
        cli, ["report", "00000000-0000-4000-8000-000000000000", "--db", str(demo_db)]
    )
    assert result.exit_code == 1
    assert "has been recorded" in result.output


def test_report_without_an_id_or_schemas_is_a_usage_error() -> None:
    result = runner.invoke(cli, ["report"])
    assert result.exit_code == 2


def test_a_report_of_an_in_memory_system_is_verified_against_its_applications() -> None:
    clock = SimulatedClock(DEMO_CASE_START)
    with RecoveryApp.in_memory(clock=clock) as recovery:
        run_case_demo(recovery, clock)
        with ReadModels(apps=[recovery]) as views:
            views.catch_up()
            with pytest.raises(ValueError, match="verification=verify"):
                build_report(views, DEMO_CASE_ID)
            checked = verify(apps=[recovery], aggregate_id=DEMO_CASE_ID)
            report = build_report(views, DEMO_CASE_ID, verification=checked)
    assert report.verification.ok
    assert report.verification.events == report.summary.version == 39
    assert render(report, "text").startswith("Case managed debt recovery")


# -- what the page holds ---------------------------------------------------------------------------


def test_the_html_report_is_self_contained(demo_db: Path) -> None:
    page = _invoke(["report", str(DEMO_CASE_ID), "--db", str(demo_db)])
    assert "<link" not in page
    assert "@import" not in page
    assert not re.search(r"url\((?!#)", page)  # only the page's own markers
    assert not re.search(r"""\s(?:src|href)=["'](?!#)""", page)
    # The one URL is the SVG namespace, which is a name, never fetched.
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}


def test_the_html_report_has_the_summary_timeline_diagram_and_verification(
    demo_db: Path,
) -> None:
    page = _invoke(["report", str(DEMO_CASE_ID), "--db", str(demo_db)])
    for part in ('id="summary"', 'id="verdict"', 'id="diagram"', 'id="timeline"', 'id="path"'):
        assert part in page
    assert len(re.findall(r'<tr id="v\d+"', page)) == 39
    assert "Hash chain intact" in page
    for state in state_machine("CaseManagedRecovery").states:
        assert f'data-state="{state}"' in page
    visited = set(re.findall(r'class="state visited[^"]*" data-state="([A-Z_]+)"', page))
    assert visited == {
        "ONBOARDING",
        "ENGAGEMENT",
        "INVESTIGATION",
        "ENFORCEMENT",
        "CLOSING",
        "CLOSED",
        "ARCHIVED",
    }
    assert 'class="state visited current" data-state="ARCHIVED"' in page
    assert len(re.findall(r'<path class="taken"', page)) == 6
    assert 'title="' in page  # rule chips carry the rule's text


def test_recorded_text_is_escaped_and_pauses_and_flags_have_their_history(
    hostile_db: Path,
) -> None:
    page = _invoke(["report", str(HOSTILE_CASE), "--db", str(hostile_db)])
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("<script>") == 1  # the page's own few lines
    report = _report(hostile_db, HOSTILE_CASE)
    [pause] = report.pauses
    assert (pause.key, pause.began_by, pause.ended_by) == (
        "P-1",
        "RecoveryPaused",
        "RecoveryResumed",
    )
    [flag] = report.flags
    assert (flag.key, flag.what, flag.in_force) == ("F-1", "SUICIDE_SELF_HARM", True)
    assert report.state.flags_in_force == ("SUICIDE_SELF_HARM",)
    assert "1 flag(s) in force" in page
    assert "0 pause(s) in force" in page


def test_after_forget_the_report_shows_personal_fields_as_erased(hostile_db: Path) -> None:
    before = _report(hostile_db, HOSTILE_CASE)
    assert before.summary.crn == normalise_crn(HOSTILE_CRN)  # stored in its canonical spelling
    _invoke(["forget", HOSTILE_CRN, "--db", str(hostile_db)])
    after = _report(hostile_db, HOSTILE_CASE)
    assert after.summary.crn == "[erased]"
    assert after.summary.customer == "[erased] [erased]"
    assert after.events[0].data["customer"] == {"surname": "[erased]", "first_name": "[erased]"}
    assert after.verification.ok
    page = _invoke(["report", str(HOSTILE_CASE), "--db", str(hostile_db)])
    assert HOSTILE_CRN not in page
    assert normalise_crn(HOSTILE_CRN) not in page
    assert "O&#x27;Hara" not in page
    assert "[erased]" in page


def _copy_store(db: Path, into: Path) -> Path:
    into.mkdir()
    for file in db.parent.glob(db.stem + "*"):
        shutil.copy(file, into / file.name)
    return into / db.name


def test_a_tampered_event_fails_the_reports_verification_and_the_command(
    demo_db: Path, tmp_path: Path
) -> None:
    db = _copy_store(demo_db, tmp_path / "copy")
    _invoke(["report", str(DEMO_CASE_ID), "--db", str(db), "-f", "json"])  # views caught up
    with sqlite3.connect(db) as conn:
        (state,) = conn.execute(
            "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = 3",
            (DEMO_CASE_ID.hex,),
        ).fetchone()
        changed = bytearray(state)
        changed[-3] ^= 1
        conn.execute(
            "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = 3",
            (bytes(changed), DEMO_CASE_ID.hex),
        )
    out = tmp_path / "tampered.html"
    result = runner.invoke(cli, ["report", str(DEMO_CASE_ID), "--db", str(db), "-o", str(out)])
    assert result.exit_code == 1
    page = out.read_text()
    assert 'class="verdict bad"' in page
    assert 'id="findings"' in page
    assert "altered" in page


# -- in a real browser -----------------------------------------------------------------------------


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    pytest.skip("No headless browser: `apt-get install chromium` enables this test.")


def _browse(
    browser: str, page: Path, profile: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            browser,
            "--headless=new",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=2000",
            "--window-size=1400,2400",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("subject", [DEMO_CASE_ID, DEMO_PLAN_ID], ids=["case", "plan"])
def test_the_report_loads_in_a_headless_browser_without_console_messages(
    demo_db: Path, tmp_path: Path, subject: UUID
) -> None:
    browser = _chromium()
    page = tmp_path / "report.html"
    _invoke(["report", str(subject), "--db", str(demo_db), "-o", str(page)])

    shot = tmp_path / "report.png"
    done = _browse(browser, page, tmp_path / "profile", f"--screenshot={shot}")
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    data = shot.read_bytes()
    assert _png_size(data) == (1400, 2400)
    assert len(data) > 100_000  # a page of text and a diagram, not a blank one

    dom = _browse(browser, page, tmp_path / "profile", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert [line for line in dom.stderr.splitlines() if ":CONSOLE" in line] == []
    html = dom.stdout
    report: dict[str, Any] = orjson.loads(
        _invoke(["report", str(subject), "--db", str(demo_db), "-f", "json"])
    )
    rows = re.findall(r'<tr id="v\d+" data-event-type="(\w+)"', html)
    assert rows == [e["event_type"] for e in report["events"]]
    assert re.search(r'<svg[^>]*class="machine"', html)
    assert 'class="state visited current"' in html
    # The page's script ran: it shows the timeline filter, hidden without it.
    assert re.search(r'<input id="filter"(?![^>]*hidden)[^>]*>', html)
