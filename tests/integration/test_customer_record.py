"""The customer as one record (issue 13): safety flags, MSP restrictions, representatives and
the customer's location follow the person across every plan and case, whatever the order in
which they and the plans and cases were recorded, on SQLite and on PostgreSQL.

Each test reproduces one finding of the trial: on the code before the customer record it
failed (the flag did not reach the later record, the write-only customer was phoned, ...).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import structlog

from recoverycore import RecoveryApp, RuleViolation, SimulatedClock, msp
from recoverycore.aggregates import CUSTOMER
from recoverycore.events.cmr import ContactAttempted, PreCallSmsBlocked
from recoverycore.events.customer import CustomerFlagRecorded
from recoverycore.events.msp import (
    MspSmsBlocked,
    MspVulnerabilityFlagCleared,
    MspVulnerabilityFlagRecorded,
    Restriction,
)
from recoverycore.persistence import sqlite_env
from recoverycore.policies.safeguards import SAFEGUARD_ACTOR
from recoverycore.testing import case_builder, customer_builder, msp_builder

CRN = "311 204 557J"


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    yield
    structlog.reset_defaults()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RecoveryApp]:
    if request.param == "sqlite":
        env = sqlite_env(tmp_path / "store.db")
    else:
        server = request.getfixturevalue("pg_server")
        env = server.env(server.create_database("customer"))
    with RecoveryApp(env=env) as opened:
        yield opened


class Office:
    """A plan, a case and the customer's record of one customer, recorded through ``app`` with
    a clock the test moves."""

    def __init__(self, app: RecoveryApp, *, restrictions: tuple[Restriction, ...] = ()) -> None:
        self.app = app
        self.case = case_builder(case_id=uuid4())
        self.plan = msp_builder(plan_id=uuid4(), restrictions=restrictions)
        self.customer = customer_builder(CRN)
        self.clock = SimulatedClock(self.case.day(0, 8, 0))
        app.clock = self.clock

    def at(self, day: int, hour: int = 10, minute: int = 0) -> Office:
        self.clock.now = self.case.day(day, hour, minute)
        return self

    def record_plan(self) -> None:
        self.app.handle(self.plan.record(crn=CRN, start_date=self.clock.now.date()))
        self.app.handle(self.plan.approve())

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

    def plan_flag(self, kind: str) -> msp.RecordVulnerabilityFlag:
        made: msp.RecordVulnerabilityFlag = self.plan.command(
            msp.RecordVulnerabilityFlag, flag=kind, source="Said so on the notification call"
        )
        return made

    def plan_clear(self, kind: str) -> msp.ClearVulnerabilityFlag:
        made: msp.ClearVulnerabilityFlag = self.plan.command(
            msp.ClearVulnerabilityFlag,
            flag=kind,
            actor=self.plan.approver,
            reasons=("Assessed by the decision maker with the social worker: no current risk.",),
        )
        return made

    def withdraw_plan(self) -> msp.WithdrawMsp:
        made: msp.WithdrawMsp = self.plan.command(
            msp.WithdrawMsp,
            actor=self.plan.approver,
            reasons=("The incident was recorded against the wrong customer.",),
        )
        return made


def history(app: RecoveryApp, record_id: object) -> list[str]:
    return [type(e).__name__ for e in app.history(record_id)]  # type: ignore[arg-type]


# -- a flag reaches every record, whatever the order -----------------------------------------------
def test_a_flag_on_a_case_blocks_the_sms_of_an_msp_recorded_later(app: RecoveryApp) -> None:
    office = Office(app)
    office.at(0, 9).allocate()
    office.at(0, 11)
    app.handle(office.case.flag(kind="SUICIDE_SELF_HARM", source="Spoke of self-harm on a call"))

    office.at(1).record_plan()
    blocked = app.handle(office.plan.sms())

    assert [type(e).__name__ for e in blocked] == ["MspSmsBlocked"]
    assert isinstance(blocked[0], MspSmsBlocked)
    assert blocked[0].rule_id == "MSP-R6"
    applied = [
        e
        for e in app.history(office.plan.plan_id)
        if isinstance(e, MspVulnerabilityFlagRecorded | MspVulnerabilityFlagCleared)
    ]
    assert [(type(e).__name__, e.actor) for e in applied] == [
        ("MspVulnerabilityFlagRecorded", SAFEGUARD_ACTOR)
    ]
    # Where it came from: the customer's flag, raised while working on the case.
    assert isinstance(applied[0], MspVulnerabilityFlagRecorded)
    assert str(office.case.case_id) in applied[0].source
    assert "customer record" in applied[0].source


def test_a_flag_on_an_msp_blocks_the_pre_call_sms_of_a_case_allocated_the_next_day(
    app: RecoveryApp,
) -> None:
    office = Office(app)
    office.case = case_builder(case_id=uuid4(), sms_subscribed=True)
    office.at(0, 9).record_plan()
    app.handle(office.plan_flag("SUICIDE_SELF_HARM"))

    office.at(1, 9).allocate()
    office.at(1, 10)
    events = app.handle(office.case.pre_call_sms())

    assert [type(e).__name__ for e in events] == ["PreCallSmsBlocked"]
    assert isinstance(events[0], PreCallSmsBlocked)
    assert events[0].rule_id == "X-R3"
    assert "SUICIDE_SELF_HARM" in app.case(office.case.case_id).flag_kinds()


def test_a_flag_recorded_on_the_customer_reaches_every_record_and_clearing_it_clears_all(
    app: RecoveryApp,
) -> None:
    office = Office(app)
    office.at(0, 9).allocate()
    office.at(0, 10).record_plan()
    app.handle(office.customer.flag(kind="FDV_IMMEDIATE_THREAT", flag_id="F-9"))

    assert app.plan(office.plan.plan_id).safety_flags == ("FDV_IMMEDIATE_THREAT",)
    assert app.case(office.case.case_id).flag_kinds() == {"FDV_IMMEDIATE_THREAT"}

    office.at(2)
    app.handle(office.customer.clear(flag_id="F-9"))

    assert app.plan(office.plan.plan_id).safety_flags == ()
    assert app.case(office.case.case_id).flag_kinds() == frozenset()
    record = app.customer(CRN)
    assert record is not None
    assert record.flags == ()
    assert record.cleared_flags == ("F-9",)


@pytest.mark.parametrize("cleared_on", ["case", "plan"])
def test_clearing_a_flag_on_one_record_clears_it_on_the_others(
    app: RecoveryApp, cleared_on: str
) -> None:
    office = Office(app)
    office.at(0, 9).allocate()
    office.at(0, 10).record_plan()
    if cleared_on == "case":
        app.handle(office.plan_flag("SUICIDE_SELF_HARM"))
        [flag] = app.case(office.case.case_id).flags
        office.at(1)
        app.handle(office.case.clear_flag(flag_id=flag.flag_id))
    else:
        app.handle(office.case.flag(kind="SUICIDE_SELF_HARM", source="On a call"))
        office.at(1)
        app.handle(office.plan_clear("SUICIDE_SELF_HARM"))

    assert app.plan(office.plan.plan_id).safety_flags == ()
    assert app.case(office.case.case_id).flags == ()
    record = app.customer(CRN)
    assert record is not None
    assert record.flags == ()


def test_every_flag_kind_belongs_to_the_person(app: RecoveryApp) -> None:
    office = Office(app)
    office.at(0, 9).allocate()
    app.handle(office.case.flag(kind="HARDSHIP", source="Lost their job", flag_id="H-1"))
    office.at(0, 12).record_plan()

    record = app.customer(CRN)
    assert record is not None
    assert [f.kind for f in record.flags] == ["HARDSHIP"]
    # A plan holds only the two safety flags; hardship stays on the person and the case.
    assert app.plan(office.plan.plan_id).safety_flags == ()


# -- restrictions and representatives bind recovery ---------------------------------------------
@pytest.mark.parametrize("order", ["plan first", "case first"])
def test_a_write_only_msp_stops_recovery_calls_and_visits(app: RecoveryApp, order: str) -> None:
    office = Office(
        app,
        restrictions=(Restriction(kind="WRITE_ONLY"), Restriction(kind="FULL_FACE_TO_FACE")),
    )
    if order == "plan first":
        office.at(0, 8).record_plan()
        office.at(0, 9).allocate()
    else:
        office.at(0, 9).allocate()
        office.at(0, 9, 30).record_plan()
    office.at(0, 10, 5)

    call = app_refusal(app, office.case.contact_attempt())
    visit = app_refusal(
        app,
        office.case.contact_attempt(channel="FACE_TO_FACE", outcome="ENGAGED", note="Home visit"),
    )

    assert call.rule_id == visit.rule_id == "X-R12"
    assert str(office.plan.plan_id) in call.reason
    assert "write to the customer" in call.remedy.lower()
    assert office.plan.omc.name in call.remedy
    # The OMC may make the call the MSP routes through them.
    omc = office.case.case_manager.model_copy(update={"staff_id": office.plan.omc.staff_id})
    accepted = app.handle(office.case.contact_attempt(actor=omc))
    assert [type(e).__name__ for e in accepted] == ["ContactAttempted"]


def test_restrictions_lift_when_the_msp_is_withdrawn(app: RecoveryApp) -> None:
    office = Office(app, restrictions=(Restriction(kind="WRITE_ONLY"),))
    office.at(0, 8).record_plan()
    office.at(0, 9).allocate()
    office.at(0, 10)
    app.handle(office.withdraw_plan())
    office.at(0, 10, 5)

    events = app.handle(office.case.contact_attempt())

    assert [type(e).__name__ for e in events] == ["ContactAttempted"]
    record = app.customer(CRN)
    assert record is not None
    assert record.restrictions == ()


def test_a_represented_customer_is_contacted_through_the_representative(app: RecoveryApp) -> None:
    office = Office(app)
    office.at(0, 9).allocate()
    app.handle(office.customer.representative(kind="POA", representative_id="POA-1"))
    office.at(0, 10, 5)

    refusal = app_refusal(app, office.case.contact_attempt())
    events = app.handle(office.case.contact_attempt(representative_id="POA-1"))

    assert refusal.rule_id == "X-R13"
    assert "POA-1" in refusal.reason
    assert isinstance(events[0], ContactAttempted)
    assert events[0].representative_id == "POA-1"


# -- one open case; the customer's own time --------------------------------------------------------
def test_a_second_open_case_for_the_customer_is_refused(app: RecoveryApp) -> None:
    office = Office(app)
    office.at(0, 9).allocate()
    second = case_builder(case_id=uuid4())

    refusal = app_refusal(app, second.allocate(crn=" 311-204-557 j "))

    assert refusal.rule_id == "CMR-A1"
    assert str(office.case.case_id) in refusal.reason
    assert not app.exists(second.case_id)


def test_contact_hours_are_the_customers_own(app: RecoveryApp) -> None:
    office = Office(app)
    office.at(0, 9).allocate()
    app.handle(office.customer.location(state="WA"))
    # 09:00 in Sydney is 06:00 in Perth: too early for the customer. (Tuesday: Monday 2
    # March 2026 is Labour Day in Western Australia.)
    perth = ZoneInfo("Australia/Perth")
    office.clock.now = datetime(2026, 3, 3, 6, 0, tzinfo=perth)

    refusal = app_refusal(app, office.case.contact_attempt())

    assert refusal.rule_id == "X-R6"
    office.clock.now = datetime(2026, 3, 3, 8, 0, tzinfo=perth)
    assert [type(e).__name__ for e in app.handle(office.case.contact_attempt())] == [
        "ContactAttempted"
    ]


def test_the_customers_state_holidays_stop_contact(app: RecoveryApp) -> None:
    office = Office(app)
    office.at(0, 9).allocate()
    app.handle(office.customer.location(state="WA"))
    # WA Day, Monday 1 June 2026: a public holiday in Western Australia only.
    office.clock.now = datetime(2026, 6, 1, 10, 0, tzinfo=ZoneInfo("Australia/Perth"))

    assert app_refusal(app, office.case.contact_attempt()).rule_id == "X-R6"


def test_the_customer_record_is_read_back_after_a_restart(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path / "store.db")
    with RecoveryApp(env=env) as app:
        office = Office(app)
        office.at(0, 9).allocate()
        app.handle(office.customer.flag(kind="SUICIDE_SELF_HARM"))
        customer_id = app.customer_id(CRN)
    with RecoveryApp(env=env) as again:
        assert again.customer_id(CRN) == customer_id
        record = again.customer(" 311 204 557 j")
        assert record is not None
        assert [f.kind for f in record.flags] == ["SUICIDE_SELF_HARM"]
        assert any(isinstance(e, CustomerFlagRecorded) for e in again.history(record.id))
        assert again.state(CUSTOMER, record.id) == record


def app_refusal(app: RecoveryApp, command: object) -> RuleViolation:
    with pytest.raises(RuleViolation) as refused:
        app.handle(command)  # type: ignore[call-overload]
    return refused.value


def test_a_plan_does_not_clear_several_flags_of_the_person_at_once(app: RecoveryApp) -> None:
    # Hostile trial: one clear on the MSP wiped a case's flag and the record's flag together.
    office = Office(app)
    office.at(0, 9).allocate()
    office.at(0, 10).record_plan()
    app.handle(office.case.flag(kind="SUICIDE_SELF_HARM", source="On a call", flag_id="F-1"))
    app.handle(office.customer.flag(kind="SUICIDE_SELF_HARM", flag_id="F-2"))
    office.at(1)

    refusal = app_refusal(app, office.plan_clear("SUICIDE_SELF_HARM"))
    app.handle(office.customer.clear(flag_id="F-2"))

    assert refusal.rule_id == "MSP-A3"
    assert "F-2" in refusal.reason
    assert app.plan(office.plan.plan_id).safety_flags == ("SUICIDE_SELF_HARM",)
    assert [f.flag_id for f in app.case(office.case.case_id).flags] == ["F-1"]
