"""A safety flag recorded anywhere takes effect on every plan and case of the customer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
import structlog

from pgserver import PgServer
from recoverycore import RecoveryApp, RuleViolation, SimulatedClock
from recoverycore.aggregates import cmr
from recoverycore.application.policies import SafeguardPolicy, run_policies
from recoverycore.events.safeguards import SafeguardReactionRequested
from recoverycore.msp import RecordVulnerabilityFlag
from recoverycore.persistence import sqlite_env
from recoverycore.policies.safeguards import SAFEGUARD_ACTOR
from recoverycore.testing import case_builder, msp_builder


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    yield
    structlog.reset_defaults()


CRN = "311 204 557J"


def test_a_suicide_flag_on_a_case_blocks_the_customers_msp_sms_and_pauses_enforcement(
    tmp_path: Path,
) -> None:
    runner = run_policies(sqlite_env(tmp_path / "store.db"))
    try:
        app = runner.get(RecoveryApp)
        plan = msp_builder(plan_id=uuid4())
        case = case_builder(case_id=uuid4())
        app.clock = SimulatedClock(case.now)
        app.handle(plan.record(crn=CRN))
        app.handle(plan.approve())
        app.handle(case.allocate(crn=CRN))

        flag = case.flag(kind="SUICIDE_SELF_HARM", source="Customer spoke of self-harm on a call")
        app.handle(flag)

        msp_state = app.plan(plan.plan_id)
        assert msp_state.safety_flags == ("SUICIDE_SELF_HARM",)
        reaction = [
            e for e in app.history(plan.plan_id) if e.event_type == "MspVulnerabilityFlagRecorded"
        ]
        assert len(reaction) == 1
        assert reaction[0].actor == SAFEGUARD_ACTOR
        assert str(case.case_id) in reaction[0].payload()["source"]
        # The MSP SMS is now blocked (recorded as blocked, naming MSP-R6).
        blocked = app.handle(plan.sms())
        assert [e.event_type for e in blocked] == ["MspSmsBlocked"]
        assert blocked[0].payload()["rule_id"] == "MSP-R6"
        # The flag on the case itself was recorded once, by the officer.
        assert [f.kind for f in app.case(case.case_id).flags] == ["SUICIDE_SELF_HARM"]
    finally:
        runner.stop()


def test_a_flag_on_the_msp_pauses_enforcement_on_the_customers_case(tmp_path: Path) -> None:
    runner = run_policies(sqlite_env(tmp_path / "store.db"))
    try:
        app = runner.get(RecoveryApp)
        plan = msp_builder(plan_id=uuid4())
        case = case_builder(case_id=uuid4())
        app.clock = SimulatedClock(case.now)
        app.handle(case.allocate(crn=CRN))
        app.handle(plan.record(crn=CRN))
        app.handle(plan.approve())

        app.handle(
            plan.command(
                RecordVulnerabilityFlag,
                flag="FDV_IMMEDIATE_THREAT",
                source="Witnessed a threat during the notification call",
            )
        )

        state = app.case(case.case_id)
        assert [f.kind for f in state.flags] == ["FDV_IMMEDIATE_THREAT"]
        with pytest.raises(RuleViolation) as refused:
            cmr.decide(
                state,
                case.refer_to_litigation(debt_ids=state.debt_ids),
                now=case.now,
            )
        assert refused.value.rule_id == "X-R4"
        policy = runner.get(SafeguardPolicy)
        customer = policy.customer(CRN)
        assert customer is not None
        assert {a for a, _ in customer.members} == {str(plan.plan_id), str(case.case_id)}
    finally:
        runner.stop()


def test_a_flag_is_applied_once_even_when_the_policies_process_again(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path / "store.db")
    runner = run_policies(env)
    try:
        app = runner.get(RecoveryApp)
        plan = msp_builder(plan_id=uuid4())
        case = case_builder(case_id=uuid4())
        app.clock = SimulatedClock(case.now)
        app.handle(plan.record(crn=CRN))
        app.handle(case.allocate(crn=CRN))
        app.handle(case.flag(kind="SUICIDE_SELF_HARM", source="call"))
        before = len(app.history(plan.plan_id))
    finally:
        runner.stop()

    app = RecoveryApp(env=env)
    policy = SafeguardPolicy(env=env)
    policy.follow_application(app)
    policy.catch_up()
    app.follow(policy.name, policy.notification_log)
    app.pull_and_process(policy.name)
    assert len(app.history(plan.plan_id)) == before
    # The customer's record applied the flag in the command's own transaction: the policy
    # has nothing left to ask for.
    requests = [
        n
        for n in policy.recorder.select_notifications(start=1, limit=1000)
        if n.topic.endswith(SafeguardReactionRequested.__name__)
    ]
    assert requests == []
    assert app.plan(plan.plan_id).safety_flags == ("SUICIDE_SELF_HARM",)


@pytest.mark.postgres
def test_the_reaction_works_on_postgres(pg_server: PgServer, pg_database: str) -> None:
    runner = run_policies(pg_server.env(pg_database))
    try:
        app = runner.get(RecoveryApp)
        plan = msp_builder(plan_id=uuid4())
        case = case_builder(case_id=uuid4())
        app.clock = SimulatedClock(case.now)
        app.handle(plan.record(crn=CRN))
        app.handle(case.allocate(crn=CRN))
        app.handle(case.flag(kind="SUICIDE_SELF_HARM", source="call"))
        assert app.plan(plan.plan_id).safety_flags == ("SUICIDE_SELF_HARM",)
    finally:
        runner.stop()
