"""The demo: a reactive MSP recorded, approved and implemented end to end.

Run by ``recoverycore demo`` (and ``make demo``). It uses a :class:`SimulatedClock` that moves
through two weeks of March 2026, so the history reads like the real thing. Running it again is
safe: the demo plan has a fixed id, and a store that already holds it is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from recoverycore.aggregates import msp
from recoverycore.application import RecoveryApp
from recoverycore.clock import SimulatedClock
from recoverycore.errors import RuleViolation
from recoverycore.events._envelope import Actor, Role
from recoverycore.events.msp import (
    Behaviour,
    CallOutcome,
    ContactPoint,
    CustomerContactDetails,
    IncidentRef,
    MultiRecordCheck,
    Restriction,
)

__all__ = ["DEMO_PLAN_ID", "DEMO_START", "DemoStep", "run_demo"]

DEMO_PLAN_ID = UUID("5e1f0c3a-0000-4000-8000-00000000d3e0")
DEMO_START = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Australia/Sydney"))

RECORDER = Actor(staff_id="SO-4411", role=Role.MSP_RECORDER, aps_level="APS4", team="Parramatta")
APPROVER = Actor(staff_id="SCM-2087", role=Role.MSP_APPROVER, aps_level="EL1", team="Parramatta")
OMC = Actor(staff_id="SO-5120", role=Role.OMC, aps_level="APS4", team="Parramatta")
OMC_CARD = ContactPoint(
    role="OMC", staff_id="SO-5120", name="Priya Natarajan", phone="02 9000 5120"
)


@dataclass
class DemoStep:
    """What happened at one step: the events recorded, or the refusal and why."""

    at: datetime
    title: str
    recorded: list[str] = field(default_factory=list)
    refused: RuleViolation | None = None


def run_demo(app: RecoveryApp, clock: SimulatedClock) -> list[DemoStep] | None:
    """Record the demo plan into ``app`` (whose clock is ``clock``); ``None`` if already there."""
    if app.exists(DEMO_PLAN_ID):
        return None
    steps: list[DemoStep] = []
    pid = DEMO_PLAN_ID

    def act(title: str, command: msp.MspCommand, *, advance: timedelta | None = None) -> None:
        if advance:
            clock.advance(advance)
        step = DemoStep(at=clock(), title=title)
        try:
            step.recorded = [type(e).__name__ for e in app.handle(command)]
        except RuleViolation as refusal:
            step.refused = refusal
        steps.append(step)

    later: Callable[..., timedelta] = timedelta
    act(
        "The recorder records a reactive MSP after the incident",
        msp.RecordMsp(
            plan_id=pid,
            actor=RECORDER,
            crn="204 567 891K",
            program="CENTRELINK",
            msp_type="REACTIVE",
            triggering_incidents=(IncidentRef(incident_id="CIMS-2026-031877", system="CIMS"),),
            behaviours=(
                Behaviour(
                    label="Threat to staff",
                    description="On 27 February at the Parramatta counter the customer said he "
                    "would wait for the officer in the car park after work, and struck the "
                    "counter screen twice with his fist.",
                ),
            ),
            restrictions=(Restriction(kind="FULL_FACE_TO_FACE", scope="All service centres"),),
            alternatives_considered="Servicing at one site only was considered; the threat was "
            "directed at staff who rotate between sites, so it would not protect them.",
            start_date=date(2026, 3, 2),
            end_date=date(2026, 8, 31),
            duration_reasons="Six months lets the customer show the behaviour will not recur "
            "while his payments continue through his OMC.",
            omc_psso=OMC_CARD,
            customer_contact=CustomerContactDetails(
                preferred_method="PHONE", phone="0412 000 318", postal_address="14 Wattle St"
            ),
            evidence_refs=("CIMS-2026-031877",),
        ),
    )
    act(
        "The recorder tries to approve their own MSP",
        msp.ApproveMsp(
            plan_id=pid,
            actor=RECORDER.model_copy(update={"role": Role.MSP_APPROVER}),
            reasons=("I recorded it and I think it is right.",),
        ),
        advance=later(minutes=20),
    )
    act(
        "A service centre manager approves it",
        msp.ApproveMsp(
            plan_id=pid,
            actor=APPROVER,
            reasons=("Credible threat to staff; lesser restriction would not protect them.",),
            authority="MSP delegation 4.2",
        ),
        advance=later(hours=1),
    )
    attempts: tuple[tuple[int, CallOutcome], ...] = ((11, "NO_ANSWER"), (14, "VOICEMAIL"))
    for hour, outcome in attempts:
        act(
            f"The OMC phones the customer ({outcome.replace('_', ' ').lower()})",
            msp.RecordNotificationCallAttempt(
                plan_id=pid,
                actor=OMC,
                number_called="0412 000 318",
                outcome=outcome,
                note_text=f"Called 0412 000 318 at {hour}:00: {outcome.replace('_', ' ').lower()}."
                " Voicemail did not mention the reason for the call.",
            ),
            advance=clock().replace(hour=hour, minute=0) - clock(),
        )
    act(
        "The OMC (not a decision maker) tries to send the MSP SMS",
        msp.SendMspSms(
            plan_id=pid,
            actor=OMC,
            reason_code="PHONE_UNREACHABLE",
            mobile_number="0412 000 318",
            multi_record_check=MultiRecordCheck(performed_at=clock(), result="UNIQUE"),
            smem_checked_at=clock(),
            message_template_id="MSP-SMS-01",
        ),
        advance=later(minutes=15),
    )
    act(
        "The decision maker tries the SMS: the mobile is on two records, so it is blocked",
        msp.SendMspSms(
            plan_id=pid,
            actor=APPROVER,
            reason_code="PHONE_UNREACHABLE",
            mobile_number="0412 000 318",
            multi_record_check=MultiRecordCheck(performed_at=clock(), result="MULTIPLE"),
            smem_checked_at=clock(),
            message_template_id="MSP-SMS-01",
        ),
        advance=later(minutes=10),
    )
    act(
        "Next morning, the duplicate record fixed, the SMS goes before the next call",
        msp.SendMspSms(
            plan_id=pid,
            actor=APPROVER,
            reason_code="PRELIMINARY_BEFORE_NEXT_DAY_CALL",
            mobile_number="0412 000 318",
            multi_record_check=MultiRecordCheck(
                performed_at=clock() + later(hours=18), result="UNIQUE"
            ),
            smem_checked_at=clock() + later(hours=18),
            message_template_id="MSP-SMS-02",
        ),
        advance=later(hours=18, minutes=5),
    )
    act(
        "The OMC reaches the customer and covers the whole checklist",
        msp.RecordNotificationCallAttempt(
            plan_id=pid,
            actor=OMC,
            number_called="0412 000 318",
            outcome="ENGAGED_SUCCESSFUL",
            topics_covered=tuple(sorted(msp.CALL_CHECKLIST)),
            note_text="Explained the reasons, duration, behaviours, the full face-to-face "
            "restriction and trespass risk, access by phone via OMC; confirmed his details; "
            "letter and card to follow.",
        ),
        advance=later(hours=1),
    )
    act(
        "The OMC sets the date the customer was informed",
        msp.RecordCustomerInformed(plan_id=pid, actor=OMC, channel="PHONE"),
        advance=later(minutes=5),
    )
    act(
        "The OMC tries to attach the draft letter",
        msp.AttachFinalLetter(
            plan_id=pid,
            actor=OMC,
            letter_id="MSP-LTR-0918",
            letter_version=1,
            approval_status="DRAFT",
        ),
        advance=later(minutes=20),
    )
    act(
        "The final approved letter is attached",
        msp.AttachFinalLetter(
            plan_id=pid,
            actor=OMC,
            letter_id="MSP-LTR-0918",
            letter_version=2,
            approval_status="FINAL_APPROVED",
        ),
        advance=later(hours=2),
    )
    act(
        "The OMC/PSSO contact card is issued with the letter",
        msp.IssueContactCard(plan_id=pid, actor=OMC, omc_psso=OMC_CARD, issued_via="WITH_LETTER"),
        advance=later(minutes=5),
    )
    act(
        "The final letter goes by Priority mail (letter policy V2)",
        msp.SendMspLetter(
            plan_id=pid,
            actor=OMC,
            letter_id="MSP-LTR-0918",
            address="14 Wattle St",
            delivery_method="PRIORITY",
            tracking_id="AP-33QK-9081-2",
            contact_invitations=("PHONE", "WRITING"),
        ),
        advance=later(minutes=10),
    )
    act(
        "Australia Post tracking shows the letter delivered",
        msp.RecordLetterDeliveryOutcome(
            plan_id=pid,
            actor=OMC,
            letter_id="MSP-LTR-0918",
            tracking_id="AP-33QK-9081-2",
            outcome="DELIVERED",
            outcome_at=clock() + later(days=2, hours=2),
        ),
        advance=later(days=4),
    )
    return steps
