"""The demo: a reactive MSP recorded, approved and implemented end to end.

Run by ``recoverycore demo`` (and ``make demo``). It uses a :class:`SimulatedClock` that moves
through two weeks of March 2026, so the history reads like the real thing. Running it again is
safe: the demo plan has a fixed id, and a store that already holds it is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from recoverycore import Actor, RecoveryApp, Role, RuleViolation, SimulatedClock, cmr, msp
from recoverycore.msp import (
    Behaviour,
    CallOutcome,
    ContactPoint,
    CustomerContactDetails,
    IncidentRef,
    MultiRecordCheck,
    Restriction,
)

__all__ = [
    "DEMO_CASE_CRN",
    "DEMO_CASE_ID",
    "DEMO_CASE_START",
    "DEMO_PLAN_CRN",
    "DEMO_PLAN_ID",
    "DEMO_START",
    "DemoStep",
    "run_case_demo",
    "run_demo",
]

DEMO_PLAN_CRN = "204 567 891K"
"""The demo plan's customer."""
DEMO_CASE_CRN = "311 204 557J"
"""The demo case's customer."""
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


def run_demo(
    app: RecoveryApp,
    clock: SimulatedClock,
    on_step: Callable[[datetime], object] | None = None,
) -> list[DemoStep] | None:
    """Record the demo plan into ``app`` (whose clock is ``clock``); ``None`` if already there."""
    if app.exists(DEMO_PLAN_ID):
        return None
    steps: list[DemoStep] = []
    pid = DEMO_PLAN_ID

    def act(title: str, command: msp.MspCommand, *, advance: timedelta | None = None) -> None:
        if advance:
            clock.advance(advance)
        if on_step is not None:
            on_step(clock())
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
            crn=DEMO_PLAN_CRN,
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
            note_text="Spoke with Jordan TAYLOR (CRN 204 567 891K) on 0412 000 318. Explained "
            "the reasons, duration, behaviours, the full face-to-face restriction and trespass "
            "risk, access by phone via OMC; confirmed his details (14 Wattle St); letter and "
            "card to follow.",
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


# -- the case managed recovery demo ---------------------------------------------------------------
DEMO_CASE_ID = UUID("5e1f0c3a-0000-4000-8000-00000000c45e")
DEMO_CASE_START = datetime(2026, 3, 2, 8, 30, tzinfo=ZoneInfo("Australia/Sydney"))
CASE_MANAGER = Actor(staff_id="CM-3012", role=Role.CASE_MANAGER, aps_level="APS5", team="SRT")
TEAM_LEADER = Actor(staff_id="TL-0440", role=Role.TEAM_LEADER, aps_level="APS6", team="SRT")
OPERATIONAL_LEADER = Actor(
    staff_id="OL-0107", role=Role.OPERATIONAL_LEADER, aps_level="EL1", team="SRT"
)
CUSTOMER = cmr.CustomerName(surname="Citizen", first_name="Alex")


def run_case_demo(
    app: RecoveryApp,
    clock: SimulatedClock,
    on_step: Callable[[datetime], object] | None = None,
) -> list[DemoStep] | None:
    """Record the demo case: allocation, unanswered calls, a Q190, a refusal, an employment lead
    with Q289 and Q609, a wage garnishee approved and placed, paid in full, closure.

    ``on_step`` is called with the clock's time before each step (the CLI ticks follow-ups)."""
    if app.exists(DEMO_CASE_ID):
        return None
    steps: list[DemoStep] = []
    cid = DEMO_CASE_ID
    cm = CASE_MANAGER

    def act(title: str, command: cmr.CaseCommand, *, at: tuple[int, int, int, int, int]) -> None:
        year, month, day, hour, minute = at
        clock.set(clock().replace(year=year, month=month, day=day, hour=hour, minute=minute))
        if on_step is not None:
            on_step(clock())  # e.g. tick the follow-ups: what the clock has passed falls due
        step = DemoStep(at=clock(), title=title)
        try:
            step.recorded = [type(e).__name__ for e in app.handle(command)]
        except RuleViolation as refusal:
            step.refused = refusal
        steps.append(step)

    def doc(on: str, action: str) -> str:
        return f"{on} - {CUSTOMER.surname.upper()}, {CUSTOMER.first_name} - {action}"

    checklist = cmr.GarnisheeChecklist(
        debts_due_and_payable=True,
        employment_or_bank_details_verified=True,
        reasonable_contact_effort=True,
        letter_periods_expired=True,
        causes_financial_hardship=False,
        failed_or_broke_reasonable_arrangement_or_nondisclosure=True,
        continuing_income=True,
        vulnerabilities_considered=True,
    )
    letter = {
        "address": "7 Banksia Rd, Penrith NSW",
        "address_confirmed": True,
        "privacy_safeguarded": True,
    }
    act(
        "WLM allocates the customer to an SRT case manager",
        cmr.AllocateCase(
            case_id=cid,
            actor=TEAM_LEADER,
            crn=DEMO_CASE_CRN,
            customer=CUSTOMER,
            team="SRT",
            case_manager_id=cm.staff_id,
            allocation_source="WLM_READY",
            allocation_group="SRT-NSW-3",
            sms_subscribed=True,
            debts=(cmr.Debt(debt_id="D-88121", balance=Decimal("12400.00")),),
        ),
        at=(2026, 3, 2, 8, 45),
    )
    act(
        "The case manager finds the case suitable",
        cmr.AssessSuitability(
            case_id=cid,
            actor=cm,
            suitable=True,
            benefit_status="Not current",
            permanently_written_off=False,
            outstanding_balance=Decimal("12400.00"),
            already_case_managed_elsewhere=False,
            reasons=("High value debt; employed; no arrangement since 2024.",),
        ),
        at=(2026, 3, 2, 8, 55),
    )
    act(
        "A DOA DOC shows who manages the customer (expires in 5 years)",
        cmr.CreateDoaDoc(case_id=cid, actor=cm, doc_id="DOC-55120"),
        at=(2026, 3, 2, 9, 0),
    )
    act(
        "The team leader applies the WLM actor relationship",
        cmr.ApplyActorRelationship(case_id=cid, actor=TEAM_LEADER),
        at=(2026, 3, 2, 9, 5),
    )
    act(
        "The case file is created",
        cmr.CreateCaseFile(case_id=cid, actor=cm, location="SRT share/311204557J"),
        at=(2026, 3, 2, 9, 10),
    )
    act(
        "A referral saved with a badly formed name is refused",
        cmr.AddCaseFileDocument(
            case_id=cid, actor=cm, name="Alex Citizen referral.pdf", document_type="REFERRAL"
        ),
        at=(2026, 3, 2, 9, 12),
    )
    act(
        "The referral is saved under the required name",
        cmr.AddCaseFileDocument(
            case_id=cid,
            actor=cm,
            name=doc("2026-03-02", "SRT/TRT referral"),
            document_type="REFERRAL",
        ),
        at=(2026, 3, 2, 9, 14),
    )
    act(
        "The case manager reviews the record for capacity to pay",
        cmr.RecordCapacityReview(
            case_id=cid, actor=cm, capacity_indicators=("PAYG income in STP data",)
        ),
        at=(2026, 3, 2, 9, 20),
    )
    for hour, outcome, voicemail in ((10, "NO_ANSWER", False), (15, "VOICEMAIL", True)):
        act(
            "Pre-call SMS",
            cmr.SendPreCallSms(case_id=cid, actor=cm, mobile_number="0413 555 010"),
            at=(2026, 3, 2, hour, 0),
        )
        act(
            f"Genuine contact attempt ({outcome.replace('_', ' ').lower()})",
            cmr.RecordContactAttempt(
                case_id=cid,
                actor=cm,
                number="0413 555 010",
                outcome=outcome,
                voicemail_left=voicemail,
                note=f"Called Alex CITIZEN on 0413 555 010 at {hour}:05, {outcome.lower()}; "
                "voicemail gave name and number only.",
            ),
            at=(2026, 3, 2, hour, 5),
        )
    act(
        "A Q190 the next day would be a 4th contact in a week",
        cmr.IssueFinalOptionLetterQ190(case_id=cid, actor=cm, letter_id="Q190-0001", **letter),
        at=(2026, 3, 3, 9, 0),
    )
    act(
        "The Q190 'final option' letter goes the following week (15 days to respond)",
        cmr.IssueFinalOptionLetterQ190(case_id=cid, actor=cm, letter_id="Q190-0001", **letter),
        at=(2026, 3, 10, 9, 30),
    )
    act(
        "The customer rings in; identity confirmed; garnishee warned of",
        cmr.RecordDiscussion(
            case_id=cid,
            actor=cm,
            direction="INBOUND",
            identity_confirmed=True,
            garnishee_warning_given=True,
            summary="Discussed the balance and options; explained that a "
            "garnishee may follow and how to seek a review.",
        ),
        at=(2026, 3, 12, 11, 0),
    )
    act(
        "A financial circumstance assessment in the same call",
        cmr.RecordFinancialCircumstanceAssessment(
            case_id=cid,
            actor=cm,
            fca_id="FCA-7781",
            excess_income_per_fortnight=Decimal("180"),
            financial_hardship=False,
        ),
        at=(2026, 3, 12, 11, 20),
    )
    act(
        "The customer refuses any arrangement",
        cmr.RecordRefusal(case_id=cid, actor=cm, detail="Refused to enter any arrangement."),
        at=(2026, 3, 12, 11, 25),
    )
    act(
        "An STP data match finds the customer's employer",
        cmr.RecordEmploymentLead(
            case_id=cid,
            actor=cm,
            lead_id="EMP-1",
            relates_to="CUSTOMER",
            employer_name="Harbour Logistics Pty Ltd",
            source="DATA_MATCH_STP",
        ),
        at=(2026, 3, 12, 14, 0),
    )
    act(
        "Calling the employer before the customer is told of the match is refused",
        cmr.RecordEmployerContactAttempt(
            case_id=cid,
            actor=cm,
            lead_id="EMP-1",
            outcome="NOT_REACHED",
            note="Asked for the customer.",
        ),
        at=(2026, 3, 12, 14, 10),
    )
    act(
        "The Q289 tells the customer of the data match",
        cmr.IssueDataMatchNotificationQ289(
            case_id=cid, actor=cm, letter_id="Q289-0001", employment_lead_id="EMP-1", **letter
        ),
        at=(2026, 3, 12, 14, 30),
    )
    for day in (30, 31):
        act(
            "The case manager tries to reach the customer through the employer",
            cmr.RecordEmployerContactAttempt(
                case_id=cid,
                actor=cm,
                lead_id="EMP-1",
                outcome="NOT_REACHED",
                note="Asked to speak to the customer; not on shift.",
            ),
            at=(2026, 3, day, 10, 0),
        )
    act(
        "The Q609 asks the employer for employment details, in writing",
        cmr.IssueEmployerRequestQ609(
            case_id=cid,
            actor=cm,
            letter_id="Q609-0001",
            employment_lead_id="EMP-1",
            attention="Attention Payroll",
            marking="Private and Confidential",
            address="Payroll, Harbour Logistics, PO Box 12 Botany NSW",
            address_confirmed=True,
            privacy_safeguarded=True,
        ),
        at=(2026, 3, 31, 11, 0),
    )
    act(
        "The employer's reply confirms employment",
        cmr.ProcessReturnedCorrespondence(
            case_id=cid,
            actor=cm,
            outcome="EMPLOYMENT",
            detail="Full time since 2023; fortnightly pay.",
        ),
        at=(2026, 4, 16, 9, 0),
    )
    act(
        "A wage garnishee is assessed against the [OB-GAR] preconditions",
        cmr.AssessGarnishee(
            case_id=cid,
            actor=cm,
            garnishee_id="G-1",
            kind="WAGE",
            debt_ids=("D-88121",),
            checklist=checklist,
            employment_lead_id="EMP-1",
        ),
        at=(2026, 4, 16, 10, 0),
    )
    act(
        "The submission is saved in the case file",
        cmr.AddCaseFileDocument(
            case_id=cid,
            actor=cm,
            name=doc("2026-04-16", "Wage garnishee submission"),
            document_type="GARNISHEE_SUBMISSION",
        ),
        at=(2026, 4, 16, 10, 20),
    )
    act(
        "It is submitted to the Operational Leader",
        cmr.SubmitGarnishee(
            case_id=cid,
            actor=cm,
            garnishee_id="G-1",
            garnishee_party="Harbour Logistics Pty Ltd",
            submission_doc_name=doc("2026-04-16", "Wage garnishee submission"),
            submitted_to=OPERATIONAL_LEADER.staff_id,
        ),
        at=(2026, 4, 16, 10, 30),
    )
    act(
        "Placing it before approval is refused",
        cmr.PlaceGarnishee(
            case_id=cid,
            actor=cm,
            garnishee_id="G-1",
            amount_mode="AMOUNT_PER_PAYMENT",
            amount=Decimal("150"),
            payment_not_before=date(2026, 5, 1),
            review_rights_advised=True,
        ),
        at=(2026, 4, 16, 11, 0),
    )
    act(
        "The OL approves the submission",
        cmr.DecideGarnisheeSubmission(
            case_id=cid,
            actor=OPERATIONAL_LEADER,
            garnishee_id="G-1",
            approve=True,
            reasons=("Refused arrangement; capacity shown by FCA.",),
        ),
        at=(2026, 4, 17, 9, 0),
    )
    act(
        "The Debt Redress Check is actioned (clear)",
        cmr.RecordDebtRedressCheck(
            case_id=cid,
            actor=cm,
            garnishee_id="G-1",
            check_id="DRC-310",
            result="CLEAR",
            notes="Not in a redress cohort; no pause.",
        ),
        at=(2026, 4, 17, 9, 30),
    )
    act(
        "... and approved",
        cmr.ApproveDebtRedressCheck(
            case_id=cid, actor=OPERATIONAL_LEADER, garnishee_id="G-1", check_id="DRC-310"
        ),
        at=(2026, 4, 17, 10, 0),
    )
    act(
        "The wage garnishee is placed ($150 a pay, not before 14 days)",
        cmr.PlaceGarnishee(
            case_id=cid,
            actor=cm,
            garnishee_id="G-1",
            amount_mode="AMOUNT_PER_PAYMENT",
            amount=Decimal("150"),
            payment_not_before=date(2026, 5, 1),
            review_rights_advised=True,
        ),
        at=(2026, 4, 17, 11, 0),
    )
    act(
        "A remittance arrives",
        cmr.RecordGarnisheeOutcome(
            case_id=cid,
            actor=cm,
            garnishee_id="G-1",
            amount=Decimal("6200"),
            received_on=date(2026, 9, 14),
            remaining_balance=Decimal("6200"),
        ),
        at=(2026, 9, 15, 9, 0),
    )
    act(
        "The last remittance pays the debt in full",
        cmr.RecordGarnisheeOutcome(
            case_id=cid,
            actor=cm,
            garnishee_id="G-1",
            amount=Decimal("6200"),
            received_on=date(2027, 2, 15),
            remaining_balance=Decimal("0"),
        ),
        at=(2027, 2, 16, 9, 0),
    )
    act(
        "The case manager starts closing the case (paid in full)",
        cmr.CloseCase(case_id=cid, actor=cm, reason="PAID_IN_FULL"),
        at=(2027, 2, 16, 9, 10),
    )
    act(
        "Completing the closure before its steps are done is refused",
        cmr.CompleteClosure(case_id=cid, actor=cm),
        at=(2027, 2, 16, 9, 12),
    )
    closing: tuple[tuple[str, cmr.CaseCommand], ...] = (
        ("The DOA DOC is expired", cmr.ExpireDoaDoc(case_id=cid, actor=cm)),
        ("The civil action is ended", cmr.EndCivilAction(case_id=cid, actor=cm)),
        ("OPCV coding ends, even at a zero balance", cmr.EndOpcvCoding(case_id=cid, actor=cm)),
        (
            "The WLM actor relationship is updated",
            cmr.UpdateWlmActorRelationship(case_id=cid, actor=cm),
        ),
        ("The case file is finalised", cmr.FinaliseCaseFile(case_id=cid, actor=cm)),
        ("The closure is complete", cmr.CompleteClosure(case_id=cid, actor=cm)),
        ("The SRT case is archived", cmr.ArchiveCase(case_id=cid, actor=cm)),
    )
    for minute, (title, command) in enumerate(closing, start=15):
        act(title, command, at=(2027, 2, 16, 9, minute))
    return steps
