"""Policies at work: follow-ups scheduled and falling due, and a safety flag that reaches every
record of the customer.

Run: python examples/policies_and_follow_ups.py [path/to/store.db]  (default: a temporary file)
"""

from __future__ import annotations

import logging
import sys
import tempfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

import structlog

from recoverycore import Actor, RecoveryApp, Role, SimulatedClock
from recoverycore.aggregates import cmr
from recoverycore.application.policies import FollowUpPolicy, run_policies
from recoverycore.events.follow_ups import FollowUpScheduled
from recoverycore.events.msp import (
    Behaviour,
    ContactPoint,
    CustomerContactDetails,
    IncidentRef,
    Restriction,
)
from recoverycore.msp import ApproveMsp, RecordMsp
from recoverycore.persistence import sqlite_env

SYDNEY = ZoneInfo("Australia/Sydney")
CRN = "204 567 891K"


def main(db: Path) -> None:
    # recoverycore logs one line per command through structlog; keep this example's output short.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    runner = run_policies(sqlite_env(db))  # RecoveryApp + FollowUpPolicy + SafeguardPolicy
    try:
        app = runner.get(RecoveryApp)
        clock = SimulatedClock(datetime(2026, 3, 2, 9, 0, tzinfo=SYDNEY))
        app.clock = clock
        follow_ups = runner.get(FollowUpPolicy)

        recorder = Actor(staff_id="SO-1", role=Role.MSP_RECORDER, aps_level="APS4", team="Parra")
        approver = Actor(staff_id="DM-7", role=Role.MSP_APPROVER, aps_level="EL1", team="Parra")
        plan_id = uuid4()
        app.handle(
            RecordMsp(
                plan_id=plan_id,
                actor=recorder,
                crn=CRN,
                program="CENTRELINK",
                msp_type="REACTIVE",
                triggering_incidents=(IncidentRef(incident_id="CIMS-1", system="CIMS"),),
                behaviours=(
                    Behaviour(
                        label="Threat to staff",
                        description="Said he would wait outside for the officer after work.",
                    ),
                ),
                restrictions=(Restriction(kind="FULL_FACE_TO_FACE"),),
                alternatives_considered="One-site servicing considered; staff rotate sites.",
                start_date=date(2026, 3, 2),
                end_date=date(2026, 8, 31),
                duration_reasons="Six months to see that the behaviour does not recur.",
                omc_psso=ContactPoint(role="OMC", staff_id="SO-2", name="Priya", phone="02 9000"),
                customer_contact=CustomerContactDetails(preferred_method="PHONE"),
            )
        )
        clock.advance(hours=1)
        app.handle(
            ApproveMsp(
                plan_id=plan_id,
                actor=approver,
                reasons=("Credible threat to staff; nothing less protects them.",),
            )
        )
        for event in follow_ups.follow_ups_of(plan_id):
            if isinstance(event, FollowUpScheduled):
                print(f"scheduled {event.kind:<18} due {event.due_at:%a %d %b %Y %H:%M}")

        # Nothing falls due until a tick passes it (the domain never reads a clock).
        due = follow_ups.tick(clock() + timedelta(days=3))
        print(f"ticked three days on: {len(due)} follow-up(s) fell due")

        # A case for the same customer; a suicide/self-harm flag on it reaches the MSP.
        case_manager = Actor(staff_id="CM-3", role=Role.CASE_MANAGER, aps_level="APS5", team="SRT")
        case_id = uuid4()
        app.handle(
            cmr.AllocateCase(
                case_id=case_id,
                actor=case_manager,
                crn=CRN,
                customer=cmr.CustomerName(surname="Citizen", first_name="Alex"),
                team="SRT",
                case_manager_id="CM-3",
                allocation_source="INDIVIDUAL",
                debts=(cmr.Debt(debt_id="D-1", balance=Decimal("12000")),),
            )
        )
        app.handle(
            cmr.RecordVulnerabilityFlag(
                case_id=case_id,
                actor=case_manager,
                flag_id="F-1",
                kind="SUICIDE_SELF_HARM",
                source="The customer spoke of self-harm during a call",
            )
        )
        print(f"the MSP's safety flags now: {app.plan(plan_id).safety_flags}")
    finally:
        runner.stop()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp) / "policies.db")
