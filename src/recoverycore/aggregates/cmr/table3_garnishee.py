"""Table 3, garnishees (C30-C35): exclusions and failed checks, assessment, submission and its
decision, the Debt Redress Check, placement and outcome (CMR-R9 to CMR-R12).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from recoverycore.aggregates._authority import litigation_self_approval
from recoverycore.aggregates.cmr._checks import (
    _Ctx,
    _debts_known,
    _enforcement,
    _in_case_file,
    _reasons,
    _role,
)
from recoverycore.aggregates.cmr._decide import _handles
from recoverycore.aggregates.cmr.commands import (
    ApproveDebtRedressCheck,
    AssessGarnishee,
    DecideGarnisheeSubmission,
    PlaceGarnishee,
    RecordDebtRedressCheck,
    RecordGarnisheeOutcome,
    SubmitGarnishee,
)
from recoverycore.aggregates.cmr.state import CaseConfig, CaseState, Garnishee
from recoverycore.aggregates.cmr.table3_searches import _known_lead
from recoverycore.days import add_months
from recoverycore.events.cmr import (
    DebtPaidInFull,
    DebtRedressCheckActioned,
    DebtRedressCheckApproved,
    GarnisheeApproved,
    GarnisheeAssessed,
    GarnisheeChecklist,
    GarnisheePlaced,
    GarnisheeRejected,
    GarnisheeRemittanceRecorded,
    GarnisheeSubmitted,
)


def garnishee_exclusions(
    s: CaseState, debt_ids: Iterable[str], checklist: GarnisheeChecklist, config: CaseConfig
) -> list[str]:
    """CMR-R12: why these debts may not be garnished at all (empty if they may)."""
    found = []
    for debt_id in debt_ids:
        debt = s.debt(debt_id)
        if debt is None:
            continue
        if debt.legislation == "PGPA" and debt.balance < config.min_pgpa_debt_for_garnishee:
            found.append(f"{debt_id} is a PGPA debt under ${config.min_pgpa_debt_for_garnishee}")
        if debt.legislation in ("FMA", "NDIS_SELF_MANAGED", "CHILD_SUPPORT"):
            found.append(f"{debt_id} is a {debt.legislation.replace('_', ' ').lower()} debt")
    for flag, text in (
        (checklist.superannuation, "superannuation cannot be garnished"),
        (checklist.bankrupt, "the customer is bankrupt"),
        (checklist.nls_write_off, "the debt is written off (NLS)"),
        (checklist.declared_disaster_area, "the customer is in a declared disaster area"),
    ):
        if flag:
            found.append(text)
    return found


def garnishee_failed_checks(
    s: CaseState,
    kind: str,
    debt_ids: Iterable[str],
    checklist: GarnisheeChecklist,
    today: date,
    config: CaseConfig,
) -> list[str]:
    """CMR-R10: which garnishee preconditions of [OB-GAR] do not hold (empty if all do)."""
    ids = tuple(debt_ids)
    failed = []
    debts = [d for d in s.debts if d.debt_id in ids]
    if not checklist.debts_due_and_payable or not all(d.due_and_payable for d in debts):
        failed.append("debts are not all due and payable")
    if not checklist.employment_or_bank_details_verified:
        failed.append("employment or bank details are not verified")
    if (
        kind == "FI"
        and (checklist.bank_balance or Decimal(0)) <= config.min_bank_balance_for_fi_garnishee
    ):
        failed.append(f"bank balance is not over ${config.min_bank_balance_for_fi_garnishee}")
    if not checklist.reasonable_contact_effort:
        failed.append("reasonable efforts to contact the customer were not made")
    open_letters = [x.letter_id for x in s.letters if x.respond_by >= today]
    if not checklist.letter_periods_expired or open_letters:
        failed.append("letter response periods have not all expired")
    fca = s.fca
    if fca is None or add_months(fca.assessed_on, config.fca_validity_months) < today:
        failed.append(
            f"no financial circumstance assessment in the last {config.fca_validity_months} months"
        )
    elif fca.excess_income_per_fortnight < config.min_fca_excess_income_per_fortnight:
        failed.append(
            f"excess income is under ${config.min_fca_excess_income_per_fortnight} a fortnight"
        )
    if (
        checklist.causes_financial_hardship
        or (fca is not None and fca.financial_hardship)
        or ("HARDSHIP" in s.flag_kinds())
    ):
        failed.append("the garnishee would cause financial hardship")
    broke = s.refused or s.deemed_unreasonable
    if not (broke or checklist.failed_or_broke_reasonable_arrangement_or_nondisclosure):
        failed.append("the customer has not refused or broken a reasonable arrangement")
    if (
        checklist.continuing_income
        and sum(d.balance for d in debts) < config.min_balance_for_continuing_income_garnishee
    ):
        failed.append(f"the balance is under ${config.min_balance_for_continuing_income_garnishee}")
    return failed


@_handles(AssessGarnishee, "T3.S7")
def _assess_garnishee(s: CaseState, cmd: AssessGarnishee, c: _Ctx) -> None:
    d = c.d
    ids = _debts_known(d, s, cmd.debt_ids)
    d.require(
        s.garnishee(cmd.garnishee_id) is None,
        "CMR-A2",
        f"Garnishee id {cmd.garnishee_id} has been used already.",
        "Give the garnishee its own id.",
    )
    d.require(
        cmd.checklist.vulnerabilities_considered,
        "X-R2",
        "The customer's vulnerabilities (e.g. family and domestic violence) were not "
        "considered before the garnishee.",
        "Consider and record the customer's circumstances first.",
    )
    if cmd.kind == "WAGE" and cmd.employment_lead_id:
        lead = _known_lead(c, s, cmd.employment_lead_id)
        d.require(
            lead.q289_issued or not lead.source.startswith("DATA_MATCH"),
            "X-R11",
            "The employer came from a data match and the customer has not been told of it.",
            "Issue the Q289 data-match notification before any administrative action.",
        )
    failed = garnishee_failed_checks(s, cmd.kind, ids, cmd.checklist, c.today, c.config)
    excluded = garnishee_exclusions(s, ids, cmd.checklist, c.config)
    d.emit(
        GarnisheeAssessed,
        garnishee_id=cmd.garnishee_id,
        kind=cmd.kind,
        debt_ids=ids,
        checklist=cmd.checklist,
        appropriate=not failed and not excluded,
        failed_checks=tuple(failed),
        exclusions=tuple(excluded),
    )


def _known_garnishee(c: _Ctx, s: CaseState, garnishee_id: str) -> Garnishee:
    return c.d.required(
        s.garnishee(garnishee_id),
        "CMR-A2",
        f"No garnishee {garnishee_id} has been assessed.",
        "Assess the garnishee first.",
    )


def _garnishee_allowed(c: _Ctx, s: CaseState, g: Garnishee, doing: str) -> None:
    exclusions = list(g.exclusions) + [
        x
        for x in garnishee_exclusions(s, g.debt_ids, _NO_CHECKLIST_EXCLUSIONS, c.config)
        if x not in g.exclusions
    ]
    c.d.require(
        not exclusions,
        "CMR-R12",
        "These debts cannot be garnished: " + "; ".join(exclusions) + ".",
        "Use another recovery method.",
    )
    c.d.require(
        g.appropriate,
        "CMR-R10",
        f"The assessment found the garnishee not appropriate: {_failed_text(s, g)}.",
        "Resolve those points and assess the garnishee again.",
    )
    c.d.require(
        "HARDSHIP" not in s.flag_kinds(),
        "X-R2",
        f"The customer is now flagged as in hardship, so no step may {doing}.",
        "Respond proportionately to the hardship; reassess once it is cleared.",
    )
    _enforcement(c.d, s, g.debt_ids, doing)


# The debt-based exclusions only (the checklist's own were recorded at assessment).
_NO_CHECKLIST_EXCLUSIONS = GarnisheeChecklist(
    debts_due_and_payable=True,
    employment_or_bank_details_verified=True,
    reasonable_contact_effort=True,
    letter_periods_expired=True,
    causes_financial_hardship=False,
    failed_or_broke_reasonable_arrangement_or_nondisclosure=True,
    vulnerabilities_considered=True,
)


def _failed_text(s: CaseState, g: Garnishee) -> str:
    return "; ".join(g.failed_checks) or "see the assessment"


@_handles(SubmitGarnishee, "T3.S9")
def _submit_garnishee(s: CaseState, cmd: SubmitGarnishee, c: _Ctx) -> None:
    g = _known_garnishee(c, s, cmd.garnishee_id)
    c.d.require(g.submitted_by is None, "CMR-A1", "It has been submitted already.", "Wait.")
    _garnishee_allowed(c, s, g, "submit a garnishee")
    _in_case_file(c.d, s, cmd.submission_doc_name, "garnishee submission")
    c.d.emit(
        GarnisheeSubmitted,
        garnishee_id=cmd.garnishee_id,
        garnishee_party=cmd.garnishee_party,
        submission_doc_name=cmd.submission_doc_name,
        submitted_to=cmd.submitted_to,
    )


@_handles(DecideGarnisheeSubmission, "T3.S9", case_team=False)
def _decide_garnishee(s: CaseState, cmd: DecideGarnisheeSubmission, c: _Ctx) -> None:
    d = c.d
    g = _known_garnishee(c, s, cmd.garnishee_id)
    d.require(
        g.submitted_by is not None and g.decision is None,
        "CMR-A1",
        "The garnishee is not awaiting a decision.",
        "Submit it first.",
    )
    actor = cmd.actor
    # The submitter must have submitted it as an APS 5 litigation case manager too.
    self_approval = litigation_self_approval(s, cmd)
    d.require(
        actor.role in c.config.garnishee_approver_roles or self_approval,
        "CMR-R9",
        "Only an Operational Leader approves a garnishee submission (an APS 5 litigation case "
        "manager may approve their own bank garnishee).",
        "Send the submission to an OL.",
    )
    _reasons(d, "CMR-A8", "decide the garnishee submission")
    if cmd.approve:
        d.emit(GarnisheeApproved, garnishee_id=g.garnishee_id, self_approved=self_approval)
    else:
        d.emit(GarnisheeRejected, garnishee_id=g.garnishee_id)


@_handles(RecordDebtRedressCheck, "T3.S9")
def _redress_actioned(s: CaseState, cmd: RecordDebtRedressCheck, c: _Ctx) -> None:
    g = _known_garnishee(c, s, cmd.garnishee_id)
    c.d.require(
        g.submitted_by is not None,
        "CMR-A1",
        "The garnishee has not been submitted.",
        "Submit it first.",
    )
    c.d.emit(
        DebtRedressCheckActioned,
        garnishee_id=cmd.garnishee_id,
        check_id=cmd.check_id,
        result=cmd.result,
        notes=cmd.notes,
    )


@_handles(ApproveDebtRedressCheck, "T3.S9", case_team=False)
def _redress_approved(s: CaseState, cmd: ApproveDebtRedressCheck, c: _Ctx) -> None:
    d = c.d
    g = _known_garnishee(c, s, cmd.garnishee_id)
    _role(d, c.config.redress_check_approver_roles, "CMR-R9", "approve a Debt Redress Check")
    d.require(
        g.redress_check_id == cmd.check_id,
        "CMR-R9",
        f"Debt Redress Check {cmd.check_id} has not been actioned for this garnishee.",
        "Action the check first.",
    )
    d.require(
        g.redress_result == "CLEAR",
        "CMR-R9",
        "The Debt Redress Check found the debt is not clear for enforcement.",
        "Do not implement the garnishee; resolve the redress matter first.",
    )
    d.emit(DebtRedressCheckApproved, garnishee_id=g.garnishee_id, check_id=cmd.check_id)


def _latest_warning(s: CaseState) -> tuple[date, str] | None:
    warnings = [(x.issued_on, f"{x.code} {x.letter_id}") for x in s.letters if x.garnishee_warning]
    warnings += [(on, "verbal warning") for on in s.verbal_warnings]
    return max(warnings) if warnings else None


@_handles(PlaceGarnishee, "T3.S10")
def _place_garnishee(s: CaseState, cmd: PlaceGarnishee, c: _Ctx) -> None:
    d = c.d
    g = _known_garnishee(c, s, cmd.garnishee_id)
    d.require(g.placed_on is None, "CMR-A1", "The garnishee has been placed already.", "None.")
    d.require(
        g.decision == "APPROVED",
        "CMR-R9",
        "The garnishee submission has not been approved.",
        "Get the OL's approval first.",
    )
    d.require(
        g.redress_check_id is not None and g.redress_approved,
        "CMR-R9",
        "A Debt Redress Check must be actioned and approved before the garnishee is placed.",
        "Action the Debt Redress Check and have it approved.",
    )
    _garnishee_allowed(c, s, g, "place a garnishee")
    latest = _latest_warning(s)
    warning = d.required(
        latest
        if latest is not None
        and (c.today - latest[0]).days <= c.config.garnishee_warning_validity_days
        else None,
        "CMR-R11",
        "No garnishee warning (Q190, Q289 or verbal) was given in the 90 days before "
        "implementation.",
        "Warn the customer again (e.g. a Q190) and wait for its response period.",
    )
    d.require(
        not s.refusal_retracted,
        "CMR-R14",
        "The customer retracted their refusal before the garnishee issued: negotiation resumes.",
        "Negotiate an arrangement with the customer.",
    )
    d.require(
        cmd.review_rights_advised,
        "CMR-R15",
        "The customer has not been told the garnishee decision is reviewable and how to seek "
        "a review.",
        "Advise the customer of their review and appeal rights.",
    )
    d.require(
        cmd.payment_not_before >= c.today + timedelta(days=c.config.garnishee_payment_delay_days),
        "CMR-A9",
        f"The notice requires payment before {c.config.garnishee_payment_delay_days} days after "
        "it is given (SSAct s.1233).",
        "Set the payment time at least 14 days after the notice date.",
    )
    d.emit(
        GarnisheePlaced,
        garnishee_id=g.garnishee_id,
        notice_date=c.today,
        amount_mode=cmd.amount_mode,
        amount=cmd.amount,
        payment_not_before=cmd.payment_not_before,
        warning_relied_on=f"{warning[1]} of {warning[0].isoformat()}",
    )


@_handles(RecordGarnisheeOutcome, "T3.S10")
def _garnishee_outcome(s: CaseState, cmd: RecordGarnisheeOutcome, c: _Ctx) -> None:
    g = _known_garnishee(c, s, cmd.garnishee_id)
    c.d.require(g.placed_on is not None, "CMR-A1", "The garnishee is not placed.", "Place it.")
    c.d.emit(
        GarnisheeRemittanceRecorded,
        garnishee_id=g.garnishee_id,
        amount=cmd.amount,
        received_on=cmd.received_on,
        remaining_balance=cmd.remaining_balance,
    )
    if cmd.remaining_balance == 0:
        c.d.emit(DebtPaidInFull, paid_on=cmd.received_on)
