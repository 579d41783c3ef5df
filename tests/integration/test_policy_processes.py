"""On PostgreSQL each process application runs in its own process, following its upstream."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest
import structlog

from pgserver import PgServer
from process_support import eventually, start, stop
from recoverycore import RecoveryApp, SimulatedClock
from recoverycore.application.policies import FollowUpPolicy
from recoverycore.events.follow_ups import FollowUpScheduled
from recoverycore.testing import case_builder, msp_builder

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def test_the_policies_follow_in_their_own_processes_and_a_restarted_one_resumes(
    pg_server: PgServer, pg_database: str
) -> None:
    env = pg_server.env(pg_database)
    plan = msp_builder(plan_id=uuid4())
    case = case_builder(case_id=uuid4())
    crn = "311 204 557J"
    processes = {which: start(which, env) for which in ("follow-ups", "safeguards", "recovery")}
    try:
        with RecoveryApp(env=env, clock=SimulatedClock(case.now)) as app:
            app.handle(plan.record(crn=crn))
            app.handle(plan.approve())
            app.handle(case.allocate(crn=crn))

            # A flag on the case reaches the MSP (in the command's own transaction, with the
            # policies following in their own processes).
            app.handle(case.flag(kind="SUICIDE_SELF_HARM", source="Customer spoke of self-harm"))
            assert app.plan(plan.plan_id).safety_flags == ("SUICIDE_SELF_HARM",)
            with FollowUpPolicy(env=env) as reader:
                # The follow-up process is up and following before it is stopped.
                eventually(lambda: bool(reader.follow_ups_of(plan.plan_id)))

            # The follow-up process is stopped, the upstream goes on, and a new process resumes.
            stop(processes.pop("follow-ups"))
            app.handle(plan.call(outcome="NO_ANSWER"))
            processes["follow-ups"] = start("follow-ups", env)
            with FollowUpPolicy(env=env) as reader:

                def first_contact_completed() -> bool:
                    events = reader.follow_ups_of(plan.plan_id)
                    return any(e.event_type == "FollowUpCompleted" for e in events)

                eventually(first_contact_completed)
                scheduled = [
                    e
                    for e in reader.follow_ups_of(plan.plan_id)
                    if isinstance(e, FollowUpScheduled)
                ]
        kinds = [e.kind for e in scheduled]
        assert len(kinds) == len(set(kinds)), "nothing was scheduled twice"
        assert {"MSP_FIRST_CONTACT", "MSP_LETTER_DUE"} <= set(kinds)
    finally:
        for process in processes.values():
            stop(process)
