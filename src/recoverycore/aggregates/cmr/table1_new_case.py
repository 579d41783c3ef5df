"""Table 1, a new case (C1-C8): allocation, suitability, unassigning, the DOA DOC, the actor
relationship, the case file and its documents, XCSHSMS.
"""

from __future__ import annotations

import re
from datetime import date

from recoverycore.aggregates.cmr._checks import _Ctx, _reasons, _role
from recoverycore.aggregates.cmr._decide import HANDLERS, _handles
from recoverycore.aggregates.cmr.commands import (
    AddCaseFileDocument,
    AllocateCase,
    ApplyActorRelationship,
    AssessSuitability,
    CreateCaseFile,
    CreateDoaDoc,
    ExcludeFromHardshipSms,
    UnassignCustomer,
)
from recoverycore.aggregates.cmr.state import LEADER_ROLES, CaseState
from recoverycore.days import add_months
from recoverycore.events import Role
from recoverycore.events.cmr import (
    ActorRelationshipApplied,
    CaseAllocated,
    CaseFileCreated,
    CaseFileDocumentAdded,
    CustomerName,
    CustomerUnassigned,
    DoaDocCreated,
    SituationalHardshipSmsExcluded,
    SuitabilityAssessed,
)

_DOC_NAME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2}) - (?P<surname>[A-Z][A-Z'\- ]*), "
    r"(?P<first>[A-Z][A-Za-z'\- ]*) - (?P<action>\S.*)$"
)


@HANDLERS.creates(AllocateCase, "T1.S2")
def _allocate(s: None, cmd: AllocateCase, c: _Ctx) -> None:
    c.d.require(
        not cmd.already_case_managed,
        "CMR-A1",
        "The customer is already case managed.",
        "Refer to the case manager named in the customer's DOA DOC.",
    )
    # One open case per customer (C1: "customer not already case managed"), whoever knows it.
    open_case = next((o for o in c.other_cases() if not o.is_terminal), None)
    which = f"{open_case.id}, {open_case.case_manager_id}, {open_case.team}" if open_case else ""
    c.d.require(
        open_case is None,
        "CMR-A1",
        f"The customer already has an open case ({which}).",
        "Refer to that case's manager (named in the customer's DOA DOC), or close it first.",
    )
    c.d.require(
        bool(cmd.debts),
        "CMR-A2",
        "A case needs at least one debt.",
        "Give the customer's debts.",
    )
    c.d.emit(
        CaseAllocated,
        crn=cmd.crn,
        customer=cmd.customer,
        team=cmd.team,
        case_manager_id=cmd.case_manager_id,
        allocation_source=cmd.allocation_source,
        allocation_group=cmd.allocation_group,
        debts=cmd.debts,
        sms_subscribed=cmd.sms_subscribed,
    )


@_handles(AssessSuitability, "T1.S2")
def _suitability(s: CaseState, cmd: AssessSuitability, c: _Ctx) -> None:
    if not cmd.suitable:
        c.d.require(
            bool(cmd.discussed_with_ol),
            "CMR-R4",
            "An unsuitable case must be discussed with the Operational Leader.",
            "Discuss the case with your OL and name them.",
        )
    _reasons(c.d, "CMR-A8", "assess the case's suitability")
    c.d.emit(
        SuitabilityAssessed,
        suitable=cmd.suitable,
        benefit_status=cmd.benefit_status,
        permanently_written_off=cmd.permanently_written_off,
        outstanding_balance=cmd.outstanding_balance,
        already_case_managed_elsewhere=cmd.already_case_managed_elsewhere,
        discussed_with_ol=cmd.discussed_with_ol,
    )


@_handles(UnassignCustomer, "T1.S2", case_team=False)
def _unassign(s: CaseState, cmd: UnassignCustomer, c: _Ctx) -> None:
    role = cmd.actor.role
    c.d.require(
        role == Role.OPERATIONAL_LEADER
        or (role == Role.LITIGATION_CASE_MANAGER and bool(cmd.discussed_with.strip())),
        "CMR-R4",
        "Only an Operational Leader, or a litigation case manager after discussing it with the "
        "Senior Litigation Officer, may unassign a customer.",
        "Ask your OL, or discuss it with the Senior Litigation Officer and name them.",
    )
    c.d.require(
        s.suitable is False,
        "CMR-R4",
        "The case has not been assessed as unsuitable for case managed recovery.",
        "Record the suitability assessment first.",
    )
    _reasons(c.d, "CMR-A8", "unassign the customer")
    c.d.emit(CustomerUnassigned, discussed_with=cmd.discussed_with or cmd.actor.staff_id)


@_handles(CreateDoaDoc, "T1.S3")
def _doa(s: CaseState, cmd: CreateDoaDoc, c: _Ctx) -> None:
    c.d.require(
        s.doa_doc_id is None,
        "CMR-A1",
        f"A DOA DOC ({s.doa_doc_id}) already shows who manages this customer.",
        "Keep the existing DOA DOC.",
    )
    c.d.emit(
        DoaDocCreated,
        doc_id=cmd.doc_id,
        receipt_date=c.today,
        expires_on=add_months(c.today, 12 * c.config.doa_doc_validity_years),
        transfer_to=cmd.transfer_to,
    )


@_handles(ApplyActorRelationship, "T1.S4", case_team=False)
def _actor_relationship(s: CaseState, cmd: ApplyActorRelationship, c: _Ctx) -> None:
    _role(c.d, LEADER_ROLES, "CMR-R3", "apply an actor relationship")
    group = c.d.required(
        cmd.allocation_group or s.allocation_group or None,
        "CMR-R3",
        "An allocation group is required before applying the actor relationship.",
        "Set up the allocation group in Work Optimiser first.",
    )
    c.d.emit(ActorRelationshipApplied, allocation_group=group, case_manager_id=s.case_manager_id)


@_handles(CreateCaseFile, "T1.S5")
def _case_file(s: CaseState, cmd: CreateCaseFile, c: _Ctx) -> None:
    c.d.require(not s.case_file, "CMR-A1", "The case file exists already.", "Use it.")
    c.d.emit(CaseFileCreated, location=cmd.location)


def document_name_problem(name: str, customer: CustomerName) -> str | None:
    """Why ``name`` does not follow ``YYYY-MM-DD - SURNAME, First name - Action`` (CMR-R2)."""
    match = _DOC_NAME.match(name)
    if match is None:
        return "it does not follow the format"
    try:
        date.fromisoformat(match["date"])
    except ValueError:
        return f"{match['date']} is not a date"
    if match["surname"].strip() != customer.surname.upper():
        return f"the surname should be {customer.surname.upper()}"
    if match["first"].strip().lower() != customer.first_name.lower():
        return f"the first name should be {customer.first_name}"
    return None


@_handles(AddCaseFileDocument, "T1.S5")
def _document(s: CaseState, cmd: AddCaseFileDocument, c: _Ctx) -> None:
    c.d.require(
        s.case_file,
        "CMR-A1",
        "There is no case file to save the document in.",
        "Create the customer case file first.",
    )
    problem = document_name_problem(cmd.name, s.customer)
    c.d.require(
        problem is None,
        "CMR-R2",
        f"The document name '{cmd.name}' is not valid: {problem}.",
        f"Name it 'YYYY-MM-DD - {s.customer.surname.upper()}, {s.customer.first_name} - Action'.",
    )
    c.d.emit(CaseFileDocumentAdded, name=cmd.name, document_type=cmd.document_type)


@_handles(ExcludeFromHardshipSms, "T1")
def _xcshsms(s: CaseState, cmd: ExcludeFromHardshipSms, c: _Ctx) -> None:
    c.d.emit(SituationalHardshipSmsExcluded)
