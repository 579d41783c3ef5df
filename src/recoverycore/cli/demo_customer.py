"""The demo's third part: one customer across a plan and a case (the customer record).

A write-only MSP after a knife threat; on its notification call the customer talks about
self-harm and the officer records the flag on the plan. The next day the customer is allocated
for case managed recovery: the new case shows the customer's flag (where it came from), its
pre-call SMS is recorded as blocked, the case manager's call is refused because the MSP allows
only writing, and the OMC makes the call instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from recoverycore import Actor, RecoveryApp, Role, RuleViolation, SimulatedClock, cmr, msp
from recoverycore.cli.demo import DemoStep
from recoverycore.msp import (
    Behaviour,
    ContactPoint,
    CustomerContactDetails,
    IncidentRef,
    Restriction,
)

__all__ = ["DEMO_CUSTOMER_CASE_ID", "DEMO_CUSTOMER_CRN", "DEMO_CUSTOMER_START", "run_customer_demo"]

DEMO_CUSTOMER_CRN = "402 118 736B"
DEMO_CUSTOMER_PLAN_ID = UUID("5e1f0c3a-0000-4000-8000-00000000d3e2")
DEMO_CUSTOMER_CASE_ID = UUID("5e1f0c3a-0000-4000-8000-00000000d3e3")
DEMO_CUSTOMER_START = datetime(2026, 3, 9, 9, 0, tzinfo=ZoneInfo("Australia/Sydney"))

_RECORDER = Actor(staff_id="SO-4411", role=Role.MSP_RECORDER, aps_level="APS4", team="Blacktown")
_APPROVER = Actor(staff_id="SCM-2087", role=Role.MSP_APPROVER, aps_level="EL1", team="Blacktown")
_OMC = Actor(staff_id="SO-6230", role=Role.OMC, aps_level="APS4", team="Blacktown")
_OMC_CARD = ContactPoint(role="OMC", staff_id="SO-6230", name="Dana Whitlock", phone="02 9000 6230")
_CASE_MANAGER = Actor(staff_id="CM-3012", role=Role.CASE_MANAGER, aps_level="APS5", team="SRT")
_TEAM_LEADER = Actor(staff_id="TL-0440", role=Role.TEAM_LEADER, aps_level="APS6", team="SRT")


def run_customer_demo(
    app: RecoveryApp,
    clock: SimulatedClock,
    on_step: Callable[[datetime], object] | None = None,
) -> list[DemoStep] | None:
    """Record the customer demo into ``app``; ``None`` if it is already there."""
    if app.exists(DEMO_CUSTOMER_CASE_ID):
        return None
    steps: list[DemoStep] = []
    pid, cid = DEMO_CUSTOMER_PLAN_ID, DEMO_CUSTOMER_CASE_ID

    def act(title: str, command: msp.MspCommand | cmr.CaseCommand, *, at: tuple[int, int]) -> None:
        day, minute_of_day = at
        start = DEMO_CUSTOMER_START + timedelta(days=day)
        clock.set(start.replace(hour=minute_of_day // 60, minute=minute_of_day % 60))
        if on_step is not None:
            on_step(clock())
        step = DemoStep(at=clock(), title=title)
        try:
            step.recorded = [type(e).__name__ for e in app.handle(command)]
        except RuleViolation as refusal:
            step.refused = refusal
        steps.append(step)

    act(
        "A write-only MSP is recorded after a knife threat at the counter",
        msp.RecordMsp(
            plan_id=pid,
            actor=_RECORDER,
            crn=DEMO_CUSTOMER_CRN,
            program="CENTRELINK",
            msp_type="REACTIVE",
            triggering_incidents=(IncidentRef(incident_id="CIMS-2026-032214", system="CIMS"),),
            behaviours=(
                Behaviour(
                    label="Threat with a weapon",
                    description="On 6 March at the Blacktown counter the customer showed a "
                    "knife and said he would use it on the officer if his payment was cut.",
                ),
            ),
            restrictions=(
                Restriction(kind="WRITE_ONLY"),
                Restriction(kind="FULL_FACE_TO_FACE", scope="All service centres"),
            ),
            alternatives_considered="A single site was considered; a weapon was shown, so "
            "servicing in writing through one officer is the least restrictive safe option.",
            start_date=date(2026, 3, 9),
            end_date=date(2026, 9, 8),
            duration_reasons="Six months, reviewed before the end, lets the customer show the "
            "behaviour will not recur.",
            omc_psso=_OMC_CARD,
            customer_contact=CustomerContactDetails(
                preferred_method="WRITING", postal_address="3 Grevillea Cl, Blacktown NSW"
            ),
        ),
        at=(0, 9 * 60),
    )
    act(
        "The decision maker approves it: the restrictions bind the customer",
        msp.ApproveMsp(
            plan_id=pid,
            actor=_APPROVER,
            reasons=("A weapon was shown; writing through one officer keeps staff safe.",),
        ),
        at=(0, 10 * 60),
    )
    act(
        "On the notification call the customer talks about self-harm: the OMC flags it",
        msp.RecordVulnerabilityFlag(
            plan_id=pid,
            actor=_OMC,
            flag="SUICIDE_SELF_HARM",
            source="Said on the MSP notification call that he might hurt himself; warm "
            "transfer to the Social Work Line.",
        ),
        at=(0, 11 * 60),
    )
    act(
        "The next day the customer is allocated for case managed recovery",
        cmr.AllocateCase(
            case_id=cid,
            actor=_TEAM_LEADER,
            crn=" 402-118-736 b",
            customer=cmr.CustomerName(surname="Moreau", first_name="Luc"),
            team="SRT",
            case_manager_id=_CASE_MANAGER.staff_id,
            allocation_source="WLM_READY",
            allocation_group="SRT-NSW-3",
            sms_subscribed=True,
            debts=(cmr.Debt(debt_id="D-90310", balance=Decimal("18250.00")),),
        ),
        at=(1, 9 * 60),
    )
    act(
        "The case manager's pre-call SMS: the flag came with the customer",
        cmr.SendPreCallSms(case_id=cid, actor=_CASE_MANAGER, mobile_number="0412 000 471"),
        at=(1, 10 * 60),
    )
    act(
        "The case manager tries to phone the customer",
        cmr.RecordContactAttempt(
            case_id=cid,
            actor=_CASE_MANAGER,
            channel="PHONE",
            number="0412 000 471",
            outcome="NO_ANSWER",
            note="Called; no answer.",
        ),
        at=(1, 10 * 60 + 5),
    )
    act(
        "The OMC, the customer's single point of contact, makes the call instead",
        cmr.RecordContactAttempt(
            case_id=cid,
            actor=_OMC,
            channel="PHONE",
            number="0412 000 471",
            outcome="ENGAGED",
            note="OMC called about the debt; the customer will ring back with his income.",
        ),
        at=(1, 11 * 60),
    )
    return steps


def customer_standing(recovery: RecoveryApp, case_id: UUID) -> str:
    """Where the demo customer stands: their record's flags and restrictions."""
    record = recovery.customer(DEMO_CUSTOMER_CRN)
    if record is None:
        return "no customer record"
    flags = ", ".join(f"{f.kind} ({f.flag_id}, by {f.recorded_by})" for f in record.flags)
    restrictions = "; ".join(
        f"MSP {r.plan_id}: {', '.join(x.kind for x in r.restrictions)} through "
        f"{r.channel.role} {r.channel.name}"
        for r in record.restrictions
    )
    linked = len(record.records)
    return (
        f"customer record {record.id}: {linked} plans and cases; flags in force: "
        f"{flags or 'none'}; restrictions in force: {restrictions or 'none'}"
    )
