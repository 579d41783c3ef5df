"""The customer record across processes (issue 13): writers in separate processes, the policy
followers each in its own process, and a flag recorded on the customer while another writer
opens a plan or case for them. On SQLite (one file) and PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
import structlog

from process_support import start, stop
from recoverycore import RecoveryApp, RuleViolation, SimulatedClock
from recoverycore.aggregates import Decider
from recoverycore.events.msp import MspSmsBlocked, Restriction
from recoverycore.persistence import sqlite_env
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
    made: dict[str, str] = server.env(server.create_database("customer_processes"))
    return made


def run_writer(env: dict[str, str], body: str) -> None:
    """Run ``body`` in a new Python process with a RecoveryApp ``app`` on the store."""
    script = textwrap.dedent(
        """
        import sys
        from uuid import UUID
        from recoverycore import RecoveryApp, SimulatedClock
        from recoverycore.events.msp import Restriction
        from recoverycore.testing import case_builder, msp_builder
        args = sys.argv[1:]
        app = RecoveryApp()
        """
    ) + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **env},
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()


def test_flags_and_restrictions_reach_records_written_by_other_processes(
    env: dict[str, str],
) -> None:
    plan = msp_builder(plan_id=uuid4(), restrictions=(Restriction(kind="WRITE_ONLY"),))
    case = case_builder(case_id=uuid4(), sms_subscribed=True)
    followers = [start(which, env) for which in ("follow-ups", "safeguards", "recovery")]
    try:
        # Another process records and approves the write-only MSP.
        run_writer(
            env,
            f"""
            plan = msp_builder(plan_id=UUID("{plan.plan_id}"),
                               restrictions=(Restriction(kind="WRITE_ONLY"),))
            app.clock = SimulatedClock(plan.now)
            app.handle(plan.record(crn="{CRN}"))
            app.handle(plan.approve())
            """,
        )
        # This process records a suicide/self-harm flag on the customer's record.
        with RecoveryApp(env=env, clock=SimulatedClock(case.day(0, 8, 0))) as app:
            app.handle(customer_builder(CRN).flag(kind="SUICIDE_SELF_HARM"))
            assert app.plan(plan.plan_id).safety_flags == ("SUICIDE_SELF_HARM",)
        # A third process allocates the case afterwards.
        run_writer(
            env,
            f"""
            case = case_builder(case_id=UUID("{case.case_id}"), sms_subscribed=True)
            app.clock = SimulatedClock(case.day(0, 9, 0))
            app.handle(case.allocate(crn="{CRN}"))
            """,
        )
        with RecoveryApp(env=env, clock=SimulatedClock(case.day(0, 10, 5))) as app:
            assert "SUICIDE_SELF_HARM" in app.case(case.case_id).flag_kinds()
            [blocked] = app.handle(plan.sms())
            assert isinstance(blocked, MspSmsBlocked)
            assert blocked.rule_id == "MSP-R6"
            with pytest.raises(RuleViolation) as refused:
                app.handle(case.contact_attempt(outcome="NO_ANSWER"))
            assert refused.value.rule_id == "X-R12"
    finally:
        for follower in followers:
            stop(follower)


class RacingApp(RecoveryApp):
    """Runs ``meanwhile`` once, right after reading the customer's record: as if another
    writer recorded on it while this command was being decided."""

    meanwhile: Callable[[], object] | None = None

    def _state_or_none(
        self, decider: Decider[Any, Any, Any, Any], aggregate_id: UUID, **kw: Any
    ) -> Any:
        state = super()._state_or_none(decider, aggregate_id, **kw)
        if decider.kind == "Customer" and self.meanwhile is not None:
            meanwhile, self.meanwhile = self.meanwhile, None
            meanwhile()
        return state


@pytest.mark.parametrize("opens", ["case", "plan"])
def test_a_flag_recorded_while_a_record_is_being_opened_still_reaches_it(
    env: dict[str, str], opens: str
) -> None:
    case = case_builder(case_id=uuid4())
    plan = msp_builder(plan_id=uuid4())
    with (
        RecoveryApp(env=env, clock=SimulatedClock(case.day(0, 8, 0))) as other,
        RacingApp(env=env, clock=SimulatedClock(case.day(0, 9, 0))) as app,
    ):
        other.handle(customer_builder(CRN).register())
        app.meanwhile = lambda: other.handle(customer_builder(CRN).flag(kind="SUICIDE_SELF_HARM"))

        if opens == "case":
            app.handle(case.allocate(crn=CRN), retries=2)
            flags = app.case(case.case_id).flag_kinds()
        else:
            app.handle(plan.record(crn=CRN), retries=2)
            flags = frozenset(app.plan(plan.plan_id).safety_flags)

        assert "SUICIDE_SELF_HARM" in flags
        record = app.customer(CRN)
        assert record is not None
        assert len(record.records) == 1
