"""The case commands: one per action an officer records, under the procedure's Tables 1-5."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal, Self
from uuid import UUID

from pydantic import Field, model_validator

from recoverycore.aggregates._decider import Command
from recoverycore.aggregates._input import Ref
from recoverycore.errors import InvalidCommand
from recoverycore.events import Crn, Identifier, NonEmptyStr
from recoverycore.events.cmr import (
    AllocationSource,
    AustralianState,
    ClosureReason,
    ContactChannel,
    ContactOutcome,
    CustomerName,
    Debt,
    DpoConsiderations,
    GarnisheeChecklist,
    GarnisheeKind,
    PauseReason,
    Team,
    VulnerabilityKind,
)


class CaseCommand(Command):
    case_id: UUID


# -- Table 1: a new case (C1-C8) --
class AllocateCase(CaseCommand):
    """C1: allocate a customer to an SRT/TRT case manager."""

    crn: Crn
    customer: CustomerName
    team: Team
    case_manager_id: Identifier
    allocation_source: AllocationSource
    allocation_group: Ref | None = None
    debts: tuple[Debt, ...]
    sms_subscribed: bool = False
    already_case_managed: bool = False

    @model_validator(mode="after")
    def _debts_recordable(self) -> Self:
        seen: set[str] = set()
        for i, debt in enumerate(self.debts):
            if debt.balance < 0:
                raise InvalidCommand(
                    f"debts[{i}].balance",
                    f"debt {debt.debt_id} has a negative balance ({debt.balance}).",
                    "Record what the customer owes (an overpaid debt is recorded as 0).",
                )
            if debt.debt_id in seen:
                raise InvalidCommand(
                    f"debts[{i}].debt_id",
                    f"debt {debt.debt_id} is listed twice.",
                    "List each debt once, with its own id.",
                )
            seen.add(debt.debt_id)
        return self


class AssessSuitability(CaseCommand):
    """C2: is the case suitable for case managed recovery?"""

    suitable: bool
    benefit_status: NonEmptyStr
    permanently_written_off: bool
    outstanding_balance: Decimal = Field(ge=0)
    already_case_managed_elsewhere: bool
    discussed_with_ol: str | None = None


class UnassignCustomer(CaseCommand):
    """C3: an OL, or a litigation case manager after discussing it with the SLO, unassigns."""

    discussed_with: str = ""


class CreateDoaDoc(CaseCommand):
    """C4: the Display on Access DOC (expires 5 years after it is created)."""

    doc_id: Identifier
    transfer_to: str = "CLK Case Managed Recoveries"


class ApplyActorRelationship(CaseCommand):
    """C5: a TL or OL applies the WLM actor relationship (an allocation group is needed)."""

    allocation_group: Ref | None = None


class CreateCaseFile(CaseCommand):
    """C6."""

    location: NonEmptyStr


class AddCaseFileDocument(CaseCommand):
    """C7: save a document, named ``YYYY-MM-DD - SURNAME, First name - Action``."""

    name: NonEmptyStr
    document_type: Literal[
        "SEARCH_RESULT",
        "CHECKLIST",
        "GARNISHEE_SUBMISSION",
        "LETTER_OF_DEMAND_SUBMISSION",
        "BRIEF",
        "CORRESPONDENCE",
        "REFERRAL",
    ]


class ExcludeFromHardshipSms(CaseCommand):
    """C8: add the XCSHSMS attribute."""


# -- Table 2: contact and discussion (C9-C21) --
class RecordCapacityReview(CaseCommand):
    """C9: review the record and referral documents for capacity to pay."""

    capacity_indicators: tuple[str, ...] = ()


class SendPreCallSms(CaseCommand):
    """C10: the pre-call SMS before a contact attempt."""

    mobile_number: Identifier


class RecordContactAttempt(CaseCommand):
    """C11: a contact attempt (call, SMS, voicemail, email, face to face)."""

    channel: ContactChannel = "PHONE"
    number: Ref = ""
    outcome: ContactOutcome
    voicemail_left: bool = False
    voicemail_disclosed_reason: bool = False
    third_party_told_reason: bool = False
    third_party_has_authority: bool = False
    purpose: Literal["RECOVERY", "DEBTOR_REQUESTED", "BETTER_ALTERNATIVE", "DEFAULT"] = "RECOVERY"
    note: str = ""
    representative_id: Ref = ""
    """The representative contacted (on the customer's record) instead of the customer, when
    the customer is represented (X-R13); "" for the customer themselves."""


# -- letters: Q164 and Q190 (Table 2), QSS40, Q289 and Q609 (Table 3), the DPO warning (Table 4)
class _IssueLetter(CaseCommand):
    letter_id: Identifier
    address: str = ""
    address_confirmed: bool = False
    privacy_safeguarded: bool = False
    includes_review_rights: bool = True
    tracking_id: Ref = ""


class IssueContactLetterQ164(_IssueLetter):
    """C12: customer probably unaware of the debt; 15 days to respond."""

    customer_aware_of_debt: bool = False


class IssueFinalOptionLetterQ190(_IssueLetter):
    """C13: customer aware of the debts; 15 days to respond; a garnishee warning."""

    customer_aware_of_debt: bool = True


class IssueThirdPartyNoticeQSS40(_IssueLetter):
    """C24: notice to a third party for information, citing the legislation."""

    legislation_cited: str = ""


class IssueDataMatchNotificationQ289(_IssueLetter):
    """C26: tell the customer of the data match before contacting the employer."""

    employment_lead_id: Identifier


class IssueEmployerRequestQ609(_IssueLetter):
    """C28: ask the employer for employment details, in writing only."""

    employment_lead_id: Identifier
    attention: str = ""
    marking: str = ""


class IssueDpoWarning(_IssueLetter):
    """C42: Q190 as a DPO warning (23 days to respond), by a tracked article.

    ``debt_ids`` are the debts it warns about; by default every debt whose recovery is not
    paused (X-R1: other debts continue)."""

    debt_ids: tuple[Ref, ...] = ()


# -- Table 2, continued --
class RecordDiscussion(CaseCommand):
    """C14: a discussion with the customer (privacy checked first)."""

    direction: Literal["INBOUND", "OUTBOUND"]
    identity_confirmed: bool
    customer_queried_debt: bool = False
    garnishee_warning_given: bool = False
    summary: NonEmptyStr


class RequestExplanationOrReview(CaseCommand):
    """C15: the customer asks for an explanation or review; recovery of those debts pauses."""

    pause_id: Identifier
    debt_ids: tuple[Ref, ...]
    kind: Literal["EXPLANATION", "REVIEW", "REASSESSMENT", "ART_REVIEW"]


class PauseRecovery(CaseCommand):
    """Pause recovery of some debts (disaster, vulnerability, redress, ...); X-R1, X-R5."""

    pause_id: Identifier
    debt_ids: tuple[Ref, ...]
    reason: PauseReason


class ResumeRecovery(CaseCommand):
    pause_id: Identifier


class RecordAcceptableArrangement(CaseCommand):
    """C16."""

    amount: Decimal = Field(gt=0)
    frequency: Literal["WEEKLY", "FORTNIGHTLY", "MONTHLY"] = "FORTNIGHTLY"


class RecordFinancialCircumstanceAssessment(CaseCommand):
    """C17."""

    fca_id: Identifier
    excess_income_per_fortnight: Decimal
    financial_hardship: bool


class RecordInterimArrangement(CaseCommand):
    """C18: only after a financial circumstance assessment."""

    amount: Decimal = Field(gt=0)
    frequency: Literal["WEEKLY", "FORTNIGHTLY", "MONTHLY"] = "FORTNIGHTLY"


class RecordArrangementBroken(CaseCommand):
    detail: NonEmptyStr


class RecordCallbackAgreed(CaseCommand):
    """C19."""

    callback_on: date


class RecordRefusal(CaseCommand):
    """C20."""

    detail: NonEmptyStr


class RecordRefusalRetracted(CaseCommand):
    """CMR-R14: the customer now wants to negotiate."""

    detail: NonEmptyStr


class DeclareArrangementNotReasonable(CaseCommand):
    """C21: Debt Staff APS5+ only, documented."""


# -- Table 3: searches, leads, garnishees, litigation, the DPO referral (C22-C41) --
class RecordFiAccountLead(CaseCommand):
    """C22."""

    institution: NonEmptyStr
    account_ref: Identifier
    balance: Decimal | None = None


class RequestFieInformation(CaseCommand):
    """C23: Commonwealth Bank only, through the FIE tool."""

    institution: NonEmptyStr
    account_ref: Identifier


class RecordEmploymentLead(CaseCommand):
    """C25."""

    lead_id: Identifier
    employer_name: NonEmptyStr
    source: Literal["DATA_MATCH_STP", "DATA_MATCH_TDF", "CUSTOMER_RECORD", "OTHER"]
    relates_to: Literal["CUSTOMER", "PARTNER"]


class RecordEmployerContactAttempt(CaseCommand):
    """C27: reach the customer through the employer (2 attempts over 2 days)."""

    lead_id: Identifier
    outcome: Literal["CUSTOMER_REACHED", "NOT_REACHED"]
    requested_employment_details: bool = False
    debt_disclosed: bool = False
    note: NonEmptyStr


class ProcessReturnedCorrespondence(CaseCommand):
    """C29."""

    outcome: Literal["NEW_CONTACT_DETAILS", "EMPLOYMENT", "FI_RELATIONSHIP", "NOTHING_NEW"]
    detail: str = ""


class AssessGarnishee(CaseCommand):
    """C30: is an FI or wage garnishee appropriate? (CMR-R10, CMR-R12, X-R2)."""

    garnishee_id: Identifier
    kind: GarnisheeKind
    debt_ids: tuple[Ref, ...]
    checklist: GarnisheeChecklist
    employment_lead_id: Ref | None = None


class SubmitGarnishee(CaseCommand):
    """C31: the submission, saved in the case file, to an OL."""

    garnishee_id: Identifier
    garnishee_party: NonEmptyStr
    submission_doc_name: NonEmptyStr
    submitted_to: NonEmptyStr


class DecideGarnisheeSubmission(CaseCommand):
    """C32."""

    garnishee_id: Identifier
    approve: bool


class RecordDebtRedressCheck(CaseCommand):
    """C33 (actioned)."""

    garnishee_id: Identifier
    check_id: Identifier
    result: Literal["CLEAR", "NOT_CLEAR"]
    notes: str = ""


class ApproveDebtRedressCheck(CaseCommand):
    """C33 (approved)."""

    garnishee_id: Identifier
    check_id: Identifier


class PlaceGarnishee(CaseCommand):
    """C34 (SSAct s.1233)."""

    garnishee_id: Identifier
    amount_mode: Literal["AMOUNT", "AMOUNT_PER_PAYMENT", "PERCENTAGE_PER_PAYMENT"]
    amount: Decimal = Field(gt=0)
    payment_not_before: date
    review_rights_advised: bool = False


class RecordGarnisheeOutcome(CaseCommand):
    """C35."""

    garnishee_id: Identifier
    amount: Decimal = Field(ge=0)
    received_on: date
    remaining_balance: Decimal = Field(ge=0)


class RecordPropertySearch(CaseCommand):
    """C36: RP Data name search."""

    state: AustralianState
    successful: bool
    property_details: str = ""
    saved_doc_name: NonEmptyStr


class RecordEquifaxSearch(CaseCommand):
    """C37."""

    state: AustralianState
    reason: Literal["STATE_OUTSIDE_RP_DATA", "OTHER_SEARCHES_EXHAUSTED"]
    successful: bool
    new_information: str = ""
    saved_doc_name: NonEmptyStr


class ReferToSrtLitigation(CaseCommand):
    """C38."""

    debt_ids: tuple[Ref, ...]
    referral_doc_name: NonEmptyStr
    sent_to: Literal["POSITIONAL_MAILBOX", "OPERATIONAL_LEADER"] = "POSITIONAL_MAILBOX"


class DecideLitigationReferral(CaseCommand):
    """C39."""

    accept: bool


class RecordTravelPatternAssessment(CaseCommand):
    """C40."""

    evidence: tuple[str, ...]
    pattern_found: bool


class ReferForDpo(CaseCommand):
    """C41."""

    referral_to: NonEmptyStr


# -- Table 4: the DPO (C42-C47) --
class ConfirmDpoWarningDelivery(CaseCommand):
    """C43: after 14 days, by Australia Post tracking."""

    letter_id: Identifier
    tracking_status: NonEmptyStr
    delivered: bool


class MakeDpo(CaseCommand):
    """C44 (SSAct s.1240)."""

    dpo_id: Identifier
    debt_ids: tuple[Ref, ...]
    considerations: DpoConsiderations


class NotifyDpo(CaseCommand):
    """C45."""

    dpo_id: Identifier
    recipients: tuple[str, ...]
    australian_citizen: bool


class VaryDpo(CaseCommand):
    dpo_id: Identifier
    variation: NonEmptyStr


class RevokeDpo(CaseCommand):
    """C46."""

    dpo_id: Identifier
    ground: Literal["PAID", "SATISFACTORY_ARRANGEMENT", "IRRECOVERABLE", "DISCRETION"]


class DecideDac(CaseCommand):
    """C47: a departure authorisation certificate."""

    dpo_id: Identifier
    grant: bool
    departs_on: date
    returns_by: date


# -- Table 5: closing (C48-C56) --
class CloseCase(CaseCommand):
    """C48: start closing, after an outcome."""

    reason: ClosureReason
    detail: str = ""


class RunRecoveryOptionsExhaustedFastNote(CaseCommand):
    """C49."""

    fast_note_ref: Identifier
    linked_activity_ref: Identifier


class ExpireDoaDoc(CaseCommand):
    """C50."""


class EndCivilAction(CaseCommand):
    """C51."""


class EndOpcvCoding(CaseCommand):
    """C52: even for debts with a zero balance."""


class UpdateWlmActorRelationship(CaseCommand):
    """C53."""


class FinaliseCaseFile(CaseCommand):
    """C54."""


class CompleteClosure(CaseCommand):
    """C55."""


class ArchiveCase(CaseCommand):
    """C56: SRT archives; TRT asks the positional mailbox to consider it."""

    mailbox: str = "TRT positional mailbox"


# -- vulnerability flags (X-R2, X-R3, X-R4) --
class RecordVulnerabilityFlag(CaseCommand):
    """Suicide or self-harm, FDV (with an immediate threat), hardship, disaster (X-R2..X-R4)."""

    flag_id: Identifier
    kind: VulnerabilityKind
    source: NonEmptyStr
    referral: str = ""
    incident_ref: Ref = ""


class ClearVulnerabilityFlag(CaseCommand):
    flag_id: Identifier
