"""The views and the customer record (issue 13, item 8), on SQLite and on PostgreSQL.

The workload shows on each plan and case the flags and MSP restrictions in force on the
customer's record, whichever was recorded first; the compliance view lists them per customer,
and the plans in force that were never notified in writing (S-MSP Step 3) or that miss the
date the customer was informed (S-MSP Step 1). Every answer "as of T" reads only what was
recorded by T, and a customer's id given to the audit questions and the report works or is
refused with a typed error.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
import structlog
from rich.console import Console
from typer.testing import CliRunner

from recoverycore import ReadModels, RecoveryApp, SimulatedClock, msp
from recoverycore.aggregates.customer import CustomerState
from recoverycore.application import verify
from recoverycore.cli import _tables
from recoverycore.cli import app as cli
from recoverycore.errors import NotAPlanOrCase
from recoverycore.events import normalise_crn
from recoverycore.events.msp import Restriction
from recoverycore.persistence import sqlite_env
from recoverycore.projections import VIEWS, Compliance, SubjectItem, Workload
from recoverycore.report import build_report
from recoverycore.testing import case_builder, customer_builder, msp_builder

CRN = "311 204 557J"


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    yield
    structlog.reset_defaults()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if request.param == "sqlite":
        return sqlite_env(tmp_path / "store.db")
    server = request.getfixturevalue("pg_server")
    return dict(server.env(server.create_database("custviews")))


class Office:
    """One customer's plan, case and record, recorded through ``app`` with a clock the test
    moves, and the store's views."""

    def __init__(
        self, app: RecoveryApp, env: dict[str, str], *, restrictions: tuple[Restriction, ...] = ()
    ) -> None:
        self.app = app
        self.env = env
        self.case = case_builder(case_id=uuid4())
        self.plan = msp_builder(
            plan_id=uuid4(), restrictions=restrictions or (Restriction(kind="FULL_FACE_TO_FACE"),)
        )
        self.customer = customer_builder(CRN)
        self.clock = SimulatedClock(self.case.day(0, 8, 0))
        app.clock = self.clock

    def at(self, day: int, hour: int = 10, minute: int = 0) -> datetime:
        self.clock.now = self.case.day(day, hour, minute)
        return self.clock.now

    def record_plan(self) -> datetime:
        self.app.handle(self.plan.record(crn=CRN, start_date=self.clock.now.date()))
        self.app.handle(self.plan.approve())
        return self.clock.now

    def allocate(self) -> None:
        b = self.case
        for command in (
            b.allocate(crn=CRN),
            b.assess_suitability(),
            b.create_doa_doc(),
            b.apply_actor_relationship(),
            b.create_case_file(),
        ):
            self.app.handle(command)

    def views(self) -> ReadModels:
        models = ReadModels(self.env)
        models.catch_up()
        return models

    def rows(self, as_of: datetime) -> dict[str, SubjectItem]:
        with self.views() as models:
            answer = models.workload(as_of=as_of)
        return {s.subject_id: s for s in answer.subjects}

    def compliance(self, as_of: datetime, **filters: object) -> Compliance:
        with self.views() as models:
            return models.compliance(as_of=as_of, **filters)  # type: ignore[arg-type]


@pytest.fixture
def app(env: dict[str, str]) -> Iterator[RecoveryApp]:
    with RecoveryApp(env=env) as opened:
        yield opened


def _flag_kinds(row: SubjectItem) -> list[str]:
    return [f.kind for f in row.customer_flags]


# -- the views read every event of the recovery log -----------------------------------------------
def test_every_view_reads_the_customer_records_events(
    app: RecoveryApp, env: dict[str, str]
) -> None:
    office = Office(app, env)
    office.at(0, 9)
    office.allocate()
    app.handle(office.customer.flag(kind="HARDSHIP", flag_id="H-1"))
    with office.views() as models:
        logged = app.recorder.max_notification_id()
        for name in VIEWS:
            positions = models.view(name).positions()
            assert positions["RecoveryCore"] == logged, name
        rebuilt = models.rebuild()
        # Personal fields stay as stored: the customer's CRN is its token in the views' rows.
        for name in ("workload", "compliance"):
            [stored] = models.view(name).select(f"SELECT crn FROM {{p}}{name}_customers")
            assert stored["crn"] not in (CRN, normalise_crn(CRN))
    assert all(r.events["RecoveryCore"] == logged for r in rebuilt.values())


# -- workload ------------------------------------------------------------------------------------
def test_a_flag_recorded_before_and_after_each_record_shows_on_every_row(
    app: RecoveryApp, env: dict[str, str]
) -> None:
    office = Office(app, env)
    office.at(0, 9)
    office.allocate()
    flagged_at = office.at(0, 11)
    app.handle(office.customer.flag(kind="SUICIDE_SELF_HARM", flag_id="F-1"))
    office.at(1)
    office.record_plan()  # after the flag
    office.at(1, 12)
    app.handle(office.customer.flag(kind="HARDSHIP", flag_id="H-1"))  # after both records
    cleared_at = office.at(3)
    app.handle(office.customer.clear(flag_id="F-1"))

    before = office.rows(flagged_at - timedelta(minutes=1))
    between = office.rows(office.case.day(2))
    after = office.rows(cleared_at + timedelta(minutes=1))

    case_id, plan_id = str(office.case.case_id), str(office.plan.plan_id)
    assert _flag_kinds(before[case_id]) == []
    for row in (between[case_id], between[plan_id]):
        assert sorted(_flag_kinds(row)) == ["HARDSHIP", "SUICIDE_SELF_HARM"]
    assert {f.flag_id for f in between[case_id].customer_flags} == {"F-1", "H-1"}
    for row in (after[case_id], after[plan_id]):
        assert _flag_kinds(row) == ["HARDSHIP"]


@pytest.mark.parametrize("order", ["plan first", "case first"])
def test_msp_restrictions_show_on_the_customers_case_until_lifted(
    app: RecoveryApp, env: dict[str, str], order: str
) -> None:
    office = Office(
        app,
        env,
        restrictions=(Restriction(kind="WRITE_ONLY"), Restriction(kind="FULL_FACE_TO_FACE")),
    )
    if order == "plan first":
        office.at(0, 8)
        office.record_plan()
        office.at(0, 9)
        office.allocate()
    else:
        office.at(0, 9)
        office.allocate()
        office.at(0, 9, 30)
        office.record_plan()
    in_force = office.at(0, 10)
    withdrawn = office.at(1)
    app.handle(
        office.plan.command(
            msp.WithdrawMsp,
            actor=office.plan.approver,
            reasons=("The incident was recorded against the wrong customer.",),
        )
    )

    case_id = str(office.case.case_id)
    [plan] = office.rows(in_force)[case_id].restrictions
    assert plan.plan_id == str(office.plan.plan_id)
    assert plan.kinds == ("FULL_FACE_TO_FACE", "WRITE_ONLY")
    assert (plan.channel_role, plan.channel_staff_id) == ("OMC", office.plan.omc.staff_id)
    assert office.rows(withdrawn + timedelta(minutes=1))[case_id].restrictions == ()
    # As of a time before the withdrawal, the restrictions were in force.
    assert office.rows(withdrawn - timedelta(minutes=1))[case_id].restrictions != ()


# -- compliance ------------------------------------------------------------------------------------
def test_plans_in_force_not_notified_in_writing_or_missing_the_informed_date(
    app: RecoveryApp, env: dict[str, str]
) -> None:
    office = Office(app, env)
    approved_at = office.at(0, 9)
    office.record_plan()
    b = office.plan
    informed_at = office.at(1, 10)
    app.handle(b.call(outcome="ENGAGED_SUCCESSFUL"))
    app.handle(b.command(msp.RecordCustomerInformed, channel="PHONE"))
    sent_at = office.at(2, 10)
    app.handle(b.attach())
    app.handle(b.send_letter())

    plan_id = str(b.plan_id)
    first = office.compliance(office.case.day(0, 12))
    [unwritten] = first.not_notified_in_writing
    [uninformed] = first.informed_date_missing
    assert unwritten.plan_id == uninformed.plan_id == plan_id
    assert unwritten.in_force_since == uninformed.in_force_since == approved_at
    assert unwritten.rule_id == "MSP-R9"
    assert unwritten.procedure_ref.endswith("S3")
    assert uninformed.procedure_ref.endswith("S1")
    assert unwritten.crn is not None

    informed = office.compliance(informed_at + timedelta(minutes=5))
    assert [p.plan_id for p in informed.not_notified_in_writing] == [plan_id]
    assert informed.informed_date_missing == ()

    notified = office.compliance(sent_at + timedelta(minutes=5))
    assert notified.not_notified_in_writing == notified.informed_date_missing == ()
    # Only plans in force: a withdrawn plan is not listed.
    other = msp_builder(plan_id=uuid4())
    office.at(3)
    app.handle(other.record(crn="204 567 891K", start_date=office.clock.now.date()))
    assert office.compliance(office.case.day(3, 12)).not_notified_in_writing == ()


def test_compliance_lists_the_customers_flags_and_restrictions(
    app: RecoveryApp, env: dict[str, str]
) -> None:
    office = Office(app, env, restrictions=(Restriction(kind="WRITE_ONLY"),))
    office.at(0, 9)
    office.allocate()
    office.at(0, 10)
    office.record_plan()
    flagged_at = office.at(0, 11)
    app.handle(office.customer.flag(kind="FDV_IMMEDIATE_THREAT", flag_id="F-9"))

    answer = office.compliance(office.case.day(1), crn=CRN)
    [customer] = answer.customers
    assert customer.crn == normalise_crn(CRN)
    assert set(customer.record_ids) == {str(office.case.case_id), str(office.plan.plan_id)}
    assert [(f.flag_id, f.kind) for f in customer.flags] == [("F-9", "FDV_IMMEDIATE_THREAT")]
    assert [r.kinds for r in customer.restrictions] == [("WRITE_ONLY",)]
    # One record's question shows its customer too; before the flag, no flag.
    by_case = office.compliance(
        flagged_at - timedelta(minutes=1), subject_id=str(office.case.case_id)
    )
    [customer] = by_case.customers
    assert customer.flags == ()
    by_record = office.compliance(office.case.day(1), subject_id=customer.customer_id)
    assert [c.customer_id for c in by_record.customers] == [customer.customer_id]
    assert office.compliance(office.case.day(1), crn="204 567 891K").customers == ()


# -- a customer's id given to the audit questions and the report ------------------------------
def test_a_customers_id_in_the_audit_questions_and_the_report(
    app: RecoveryApp, env: dict[str, str]
) -> None:
    office = Office(app, env)
    office.at(0, 9)
    office.allocate()
    app.handle(office.customer.flag(kind="SUICIDE_SELF_HARM", flag_id="F-1"))
    customer_id = app.customer_id(CRN)
    assert customer_id is not None
    with office.views() as models:
        timeline = models.audit(customer_id)
        assert [e.event_type for e in timeline.entries][:2] == [
            "CustomerRegistered",
            "CustomerRecordLinked",
        ]
        assert timeline.entries[-1].event_type == "CustomerFlagRecorded"
        state = models.state_as_of(customer_id)
        assert isinstance(state.state, CustomerState)
        assert state.subject_type == "Customer"
        assert state.flags_in_force == ("SUICIDE_SELF_HARM",)
        report = models.audit_report(customer_id)
        assert report.state.version == len(app.history(customer_id))
        # The customer's timeline stays the plans' and cases' (as before the record).
        assert models.customer_audit(CRN).subject_ids == (str(office.case.case_id),)
        with pytest.raises(NotAPlanOrCase) as refused:
            build_report(models, customer_id, verification=verify(env, aggregate_id=customer_id))
        assert "customer" in str(refused.value)
        assert "audit" in str(refused.value)


# -- the command line: 80 columns, nothing cut ---------------------------------------------------
def test_the_workload_and_compliance_tables_show_the_customer_level_in_80_columns(
    app: RecoveryApp, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    office = Office(app, env, restrictions=(Restriction(kind="WRITE_ONLY"),))
    office.at(0, 9)
    office.allocate()
    office.at(0, 10)
    office.record_plan()
    app.handle(office.customer.flag(kind="SUICIDE_SELF_HARM", flag_id="F-1"))
    as_of = office.case.day(1)
    with office.views() as models:
        workload: Workload = models.workload(as_of=as_of)
        compliance = models.compliance(as_of=as_of)
    narrow = Console(width=80, record=True, color_system=None)
    monkeypatch.setattr(_tables, "console", narrow)
    _tables.print_workload(workload)
    _tables.print_compliance(compliance)
    text = narrow.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "..." not in text
    assert "…" not in text
    assert "SUICIDE_SELF_HARM" in text
    assert "WRITE_ONLY" in text
    assert office.plan.omc.staff_id in text
    assert str(office.plan.plan_id) in text
    assert "not notified in writing" in text.lower()
    assert "informed" in text.lower()


def test_the_command_line_audits_a_customer_record_and_refuses_to_report_it(
    tmp_path: Path,
) -> None:
    store = tmp_path / "store.db"
    env = sqlite_env(store)
    with RecoveryApp(env=env) as app:
        office = Office(app, env)
        office.at(0, 9)
        office.allocate()
        app.handle(office.customer.flag(kind="SUICIDE_SELF_HARM", flag_id="F-1"))
        customer_id = str(app.customer_id(CRN))
    runner = CliRunner()

    audited = runner.invoke(cli, ["audit", customer_id, "--db", str(store)])
    reported = runner.invoke(cli, ["report", customer_id, "--db", str(store)])
    everyone = runner.invoke(cli, ["compliance", "--db", str(store), "-f", "json"])

    assert audited.exit_code == 0, audited.output
    assert "CustomerFlagRecorded" in audited.output
    assert "flags in force: SUICIDE_SELF_HARM" in audited.output
    assert reported.exit_code == 1
    assert "customer record, not a plan or case" in " ".join(reported.output.split())
    assert "Traceback" not in reported.output
    [customer] = Compliance.model_validate_json(everyone.output).customers
    assert customer.customer_id == customer_id


def test_the_json_schemas_describe_the_new_fields() -> None:
    workload = Workload.model_json_schema()
    compliance = Compliance.model_json_schema()
    subject = workload["$defs"]["SubjectItem"]["properties"]
    assert {"customer_flags", "restrictions"} <= set(subject)
    assert {"customers", "not_notified_in_writing", "informed_date_missing"} <= set(
        compliance["properties"]
    )
