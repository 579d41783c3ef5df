"""Record, approve and notify a Managed Service Plan; see a refusal; read the history back.

Run: python examples/quickstart.py [path/to/store.db]   (default: a temporary SQLite file)
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date, datetime
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

from recoverycore import Actor, RecoveryApp, Role, RuleViolation, SimulatedClock
from recoverycore.events.msp import (
    Behaviour,
    ContactPoint,
    CustomerContactDetails,
    IncidentRef,
    MultiRecordCheck,
    Restriction,
)
from recoverycore.msp import ApproveMsp, RecordMsp, RecordNotificationCallAttempt, SendMspSms


def main(db: Path) -> None:
    clock = SimulatedClock(datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Australia/Sydney")))
    app = RecoveryApp.sqlite(db, clock=clock)

    recorder = Actor(staff_id="SO-1", role=Role.MSP_RECORDER, aps_level="APS4", team="Parramatta")
    approver = Actor(staff_id="DM-7", role=Role.MSP_APPROVER, aps_level="EL1", team="Parramatta")
    omc = Actor(staff_id="SO-2", role=Role.OMC, aps_level="APS4", team="Parramatta")

    plan_id = uuid4()
    app.handle(
        RecordMsp(
            plan_id=plan_id,
            actor=recorder,
            crn="204 567 891K",
            program="CENTRELINK",
            msp_type="REACTIVE",
            triggering_incidents=(IncidentRef(incident_id="CIMS-2026-0042", system="CIMS"),),
            behaviours=(
                Behaviour(
                    label="Threat to staff",
                    description="Said at the counter he would wait outside for the officer "
                    "after work and struck the screen with his fist.",
                ),
            ),
            restrictions=(Restriction(kind="FULL_FACE_TO_FACE"),),
            alternatives_considered="One-site servicing considered; staff rotate between sites.",
            start_date=date(2026, 3, 2),
            end_date=date(2026, 8, 31),
            duration_reasons="Six months to see that the behaviour does not recur.",
            omc_psso=ContactPoint(
                role="OMC", staff_id="SO-2", name="Priya N", phone="02 9000 0002"
            ),
            customer_contact=CustomerContactDetails(preferred_method="PHONE", phone="0412 000 318"),
        )
    )
    clock.advance(hours=1)
    app.handle(
        ApproveMsp(
            plan_id=plan_id,
            actor=approver,
            reasons=("Credible threat to staff; a lesser restriction would not protect them.",),
        )
    )
    clock.advance(hours=1)
    app.handle(
        RecordNotificationCallAttempt(
            plan_id=plan_id,
            actor=omc,
            number_called="0412 000 318",
            outcome="NO_ANSWER",
            note_text="Called at 11:00, no answer; no voicemail left.",
        )
    )

    # Refused: only an approved decision maker may send an MSP SMS (rule MSP-R2).
    try:
        app.handle(
            SendMspSms(
                plan_id=plan_id,
                actor=omc,
                reason_code="PHONE_UNREACHABLE",
                mobile_number="0412 000 318",
                multi_record_check=MultiRecordCheck(performed_at=clock(), result="UNIQUE"),
                smem_checked_at=clock(),
                message_template_id="MSP-SMS-01",
            )
        )
    except RuleViolation as refusal:
        print(f"refused by {refusal.rule_id}: {refusal.reason}\n  instead: {refusal.remedy}")

    plan = app.plan(plan_id)
    print(f"plan {plan_id} is {plan.status} at version {plan.version}")
    for event in app.history(plan_id):
        print(
            f"{event.sequence:>3} {event.occurred_at:%d %b %H:%M} {event.event_type:<22} "
            f"{event.actor.staff_id} ({event.actor.role.value}) {event.procedure_ref}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp) / "quickstart.db")
