"""Authority through the application: ``SYSTEM`` only for the library's own policies, the role
table applied on the write path, and a refusal records nothing (issue 13, item 7)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest
import structlog
from structlog.testing import capture_logs

from recoverycore import RecoveryApp, SimulatedClock
from recoverycore.aggregates import cmr, msp
from recoverycore.application.policies import run_policies
from recoverycore.errors import NotAuthorised
from recoverycore.events import Actor, Role
from recoverycore.persistence import sqlite_env
from recoverycore.policies.safeguards import SAFEGUARD_ACTOR
from recoverycore.testing import case_builder, msp_builder

CRN = "311 204 557J"
CLAIMED_SYSTEM = Actor(staff_id="policy:safeguards", role=Role.SYSTEM, aps_level="N/A", team="x")


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    yield
    structlog.reset_defaults()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[RecoveryApp]:
    with RecoveryApp(env=sqlite_env(tmp_path / "store.db")) as recovery:
        yield recovery


def test_an_application_actor_claiming_system_cannot_flag_a_case_and_pause_its_enforcement(
    app: RecoveryApp,
) -> None:
    case = case_builder(case_id=uuid4())
    app.clock = SimulatedClock(case.now)
    app.handle(case.allocate(crn=CRN))
    before = app.case(case.case_id).version

    flag = case.flag(kind="SUICIDE_SELF_HARM", source="claimed", actor=CLAIMED_SYSTEM)
    with capture_logs() as logs, pytest.raises(NotAuthorised) as refusal:
        app.handle(flag)

    assert refusal.value.rule_id == "X-A3"
    assert app.case(case.case_id).version == before
    assert app.case(case.case_id).flags == ()
    assert any(log.get("rule_id") == "X-A3" for log in logs)


def test_the_librarys_own_policies_record_their_flags_as_system(app: RecoveryApp) -> None:
    case = case_builder(case_id=uuid4())
    app.clock = SimulatedClock(case.now)
    app.handle(case.allocate(crn=CRN))

    events = app.handle_for_policy(
        case.flag(kind="SUICIDE_SELF_HARM", source="safeguard", actor=SAFEGUARD_ACTOR)
    )

    assert [e.event_type for e in events] == ["VulnerabilityFlagRecorded"]
    assert "X-A3" in events[0].rules_applied
    assert [f.kind for f in app.case(case.case_id).flags] == ["SUICIDE_SELF_HARM"]


def test_the_policy_path_records_as_system_only_what_the_table_gives_the_policies(
    app: RecoveryApp,
) -> None:
    case = case_builder(case_id=uuid4())
    app.clock = SimulatedClock(case.now)
    app.handle(case.allocate(crn=CRN))
    pause = case.build(cmr.PauseRecovery, actor=SAFEGUARD_ACTOR)

    with pytest.raises(NotAuthorised) as refusal:
        app.handle_for_policy(pause)

    assert refusal.value.rule_id == "X-A3"
    assert app.case(case.case_id).pauses == ()


def test_an_expired_plan_is_expired_by_the_timer_as_system_but_not_by_a_claimed_system(
    app: RecoveryApp,
) -> None:
    plan = msp_builder(plan_id=uuid4())
    app.clock = SimulatedClock(plan.now)
    app.handle(plan.record())
    app.handle(plan.approve())
    state = app.plan(plan.plan_id)
    app.clock = SimulatedClock(
        plan.now + timedelta(days=(state.end_date - plan.now.date()).days + 1)
    )
    expire = plan.command(msp.ExpireMsp, actor=CLAIMED_SYSTEM)

    with pytest.raises(NotAuthorised):
        app.handle(expire)
    events = app.handle_for_policy(expire)

    assert [e.event_type for e in events] == ["MspExpired"]
    assert app.plan(plan.plan_id).status == "EXPIRED"


def test_an_officer_without_the_role_is_refused_with_the_table_rule_and_nothing_is_recorded(
    app: RecoveryApp,
) -> None:
    case = case_builder(case_id=uuid4())
    app.clock = SimulatedClock(case.now)
    app.handle(case.allocate(crn=CRN))
    # The trial: any role with the case manager's staff id was accepted.
    impostor = case.case_manager.model_copy(update={"role": Role.MSP_RECORDER})

    with pytest.raises(NotAuthorised) as refusal:
        app.handle(case.build(cmr.CreateDoaDoc, actor=impostor))

    assert refusal.value.rule_id == "X-A1"
    assert "CASE_MANAGER" not in refusal.value.reason
    assert app.case(case.case_id).doa_doc_id is None


def test_the_safeguard_reaction_still_flags_the_customers_other_records(tmp_path: Path) -> None:
    runner = run_policies(sqlite_env(tmp_path / "store.db"))
    try:
        app = runner.get(RecoveryApp)
        plan = msp_builder(plan_id=uuid4())
        case = case_builder(case_id=uuid4())
        app.clock = SimulatedClock(case.now)
        app.handle(plan.record(crn=CRN))
        app.handle(plan.approve())
        app.handle(case.allocate(crn=CRN))

        app.handle(case.flag(kind="SUICIDE_SELF_HARM", source="Customer spoke of self-harm"))

        assert app.plan(plan.plan_id).safety_flags == ("SUICIDE_SELF_HARM",)
    finally:
        runner.stop()
