"""The CaseManagedRecovery aggregate: procedure 107-20112320, *Case managed debt recovery*.

Pure functions only, as for the MSP: :func:`decide` checks a command against the procedure's
rules (CMR-R*, and the cross-cutting X-R* that concern one case) and returns the events to
record or raises :class:`~recoverycore.errors.RuleViolation`; :func:`evolve` folds a recorded
event into the state and never refuses one. Time and the public-holiday calendar arrive as
arguments: the aggregate never reads a clock.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any, Literal, TypeAlias, cast
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from recoverycore.aggregates._decider import Command, Decision, Evolvers, replay, time_zone
from recoverycore.days import add_days, add_months
from recoverycore.errors import AggregateNotFound
from recoverycore.events._envelope import DomainEvent, LocalDatetime, NonEmptyStr, Role
from recoverycore.events.cmr import (
    PROCEDURE,
    ActorRelationshipApplied,
    ActorRelationshipEnded,
    AllocationSource,
    ArchiveConsiderationRequested,
    ArrangementAgreed,
    ArrangementBroken,
    ArrangementDeemedUnreasonable,
    ArrangementRefused,
    AustralianState,
    CallbackAgreed,
    CaseAllocated,
    CaseArchived,
    CaseClosed,
    CaseClosureStarted,
    CaseEvent,
    CaseFileCreated,
    CaseFileDocumentAdded,
    CaseFileFinalised,
    CivilActionEnded,
    ClosureReason,
    ContactAttempted,
    ContactChannel,
    ContactOutcome,
    CustomerName,
    CustomerUnassigned,
    DacIssued,
    DacRefused,
    DayCount,
    Debt,
    DebtDiscussed,
    DebtPaidInFull,
    DebtRedressCheckActioned,
    DebtRedressCheckApproved,
    DoaDocCreated,
    DoaDocExpired,
    DpoConsiderations,
    DpoMade,
    DpoNotified,
    DpoReferralMade,
    DpoRevoked,
    DpoVaried,
    DpoWarningDelivered,
    DpoWarningNotDelivered,
    EmployerContactAttempted,
    EmploymentLeadFound,
    EquifaxSearchRecorded,
    FieRequestSent,
    FinancialCircumstancesAssessed,
    FinancialInstitutionLeadFound,
    GarnisheeApproved,
    GarnisheeAssessed,
    GarnisheeChecklist,
    GarnisheeKind,
    GarnisheePlaced,
    GarnisheeRejected,
    GarnisheeRemittanceRecorded,
    GarnisheeSubmitted,
    LetterCode,
    LetterIssued,
    LetterPurpose,
    LitigationReferralAccepted,
    LitigationReferralDeclined,
    LitigationReferralSent,
    OpcvCodingEnded,
    PauseReason,
    PreCallSmsBlocked,
    PreCallSmsSent,
    PropertySearchRecorded,
    RecordReviewed,
    RecoveryOptionsExhaustedRecorded,
    RecoveryPaused,
    RecoveryResumed,
    RefusalRetracted,
    ReturnedCorrespondenceProcessed,
    ReviewRequested,
    SituationalHardshipSmsExcluded,
    SuitabilityAssessed,
    Team,
    TravelPatternAssessed,
    VulnerabilityFlagCleared,
    VulnerabilityFlagRecorded,
    VulnerabilityKind,
)

__all__ = [
    "CLOSURE_STEPS",
    "NO_HOLIDAYS",
    "AddCaseFileDocument",
    "AllocateCase",
    "ApplyActorRelationship",
    "ApproveDebtRedressCheck",
    "ArchiveCase",
    "AssessGarnishee",
    "AssessSuitability",
    "CaseCommand",
    "CaseConfig",
    "CaseState",
    "ClearVulnerabilityFlag",
    "CloseCase",
    "CompleteClosure",
    "ConfirmDpoWarningDelivery",
    "ContactCalendar",
    "ContactRecord",
    "CreateCaseFile",
    "CreateDoaDoc",
    "CustomerName",
    "DayCount",
    "Debt",
    "DecideDac",
    "DecideGarnisheeSubmission",
    "DecideLitigationReferral",
    "DeclareArrangementNotReasonable",
    "DpoConsiderations",
    "EmploymentLead",
    "EndCivilAction",
    "EndOpcvCoding",
    "ExcludeFromHardshipSms",
    "ExpireDoaDoc",
    "Fca",
    "FinaliseCaseFile",
    "Flag",
    "Garnishee",
    "GarnisheeChecklist",
    "IssueContactLetterQ164",
    "IssueDataMatchNotificationQ289",
    "IssueDpoWarning",
    "IssueEmployerRequestQ609",
    "IssueFinalOptionLetterQ190",
    "IssueThirdPartyNoticeQSS40",
    "LetterRecord",
    "MakeDpo",
    "NotifyDpo",
    "Pause",
    "PauseRecovery",
    "PlaceGarnishee",
    "ProcessReturnedCorrespondence",
    "RecordAcceptableArrangement",
    "RecordArrangementBroken",
    "RecordCallbackAgreed",
    "RecordCapacityReview",
    "RecordContactAttempt",
    "RecordDebtRedressCheck",
    "RecordDiscussion",
    "RecordEmployerContactAttempt",
    "RecordEmploymentLead",
    "RecordEquifaxSearch",
    "RecordFiAccountLead",
    "RecordFinancialCircumstanceAssessment",
    "RecordGarnisheeOutcome",
    "RecordInterimArrangement",
    "RecordPropertySearch",
    "RecordRefusal",
    "RecordRefusalRetracted",
    "RecordTravelPatternAssessment",
    "RecordVulnerabilityFlag",
    "ReferForDpo",
    "ReferToSrtLitigation",
    "RequestExplanationOrReview",
    "RequestFieInformation",
    "ResumeRecovery",
    "RevokeDpo",
    "RunRecoveryOptionsExhaustedFastNote",
    "SendPreCallSms",
    "SubmitGarnishee",
    "UnassignCustomer",
    "UpdateWlmActorRelationship",
    "VaryDpo",
    "add_days",
    "decide",
    "document_name_problem",
    "evolve",
    "fold",
    "garnishee_exclusions",
    "garnishee_failed_checks",
]

CaseStatus = Literal["OPEN", "UNASSIGNED", "CLOSING", "CLOSED", "ARCHIVED"]
Stage = Literal[
    "ONBOARDING",
    "ENGAGEMENT",
    "IN_ARRANGEMENT",
    "INVESTIGATION",
    "ENFORCEMENT",
    "LITIGATION_REFERRED",
    "DPO_TRACK",
    "CLOSING",
    "CLOSED",
]
CASE_ROLES = frozenset({Role.CASE_MANAGER, Role.LITIGATION_CASE_MANAGER})
LEADER_ROLES = frozenset({Role.TEAM_LEADER, Role.OPERATIONAL_LEADER})
ENFORCEMENT_FLAGS: frozenset[str] = frozenset({"SUICIDE_SELF_HARM", "FDV_IMMEDIATE_THREAT"})
# What counts towards "attempts must not be excessive" in a day (an SMS or letter is a contact,
# not a call attempt).
_ATTEMPT_CHANNELS: frozenset[str] = frozenset({"PHONE", "VOICEMAIL", "FACE_TO_FACE"})
_APS_ORDER = ("APS1", "APS2", "APS3", "APS4", "APS5", "APS6", "EL1", "EL2", "SES")
_DOC_NAME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2}) - (?P<surname>[A-Z][A-Z'\- ]*), "
    r"(?P<first>[A-Z][A-Za-z'\- ]*) - (?P<action>\S.*)$"
)


class CaseConfig(BaseModel):
    """The configurable defaults of the case managed recovery rules ([A] in the reference).

    Day counts are calendar days unless a field says otherwise.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_zone: str = "Australia/Sydney"
    """The customer's local time zone for contact hours and dates (X-R6)."""
    doa_doc_validity_years: int = 5
    """C4: a DOA DOC expires this many years after it is created [OB-CMR-03v]."""
    contact_letter_response: DayCount = DayCount(days=15)
    """Q164, Q190 (final option), QSS40 and Q609 response and review period [S-CMR T2-T3]."""
    dpo_warning_response: DayCount = DayCount(days=23)
    """Q190 as a DPO warning [S-CMR T4.S1]."""
    dpo_delivery_check_after: DayCount = DayCount(days=14)
    """Delivery of the DPO warning is confirmed after this long [S-CMR T4.S2]."""
    min_notice_response_days: int = 14
    """X-R10 and SS(Admin) Act Part 5: the shortest response period a letter may give."""
    garnishee_warning_validity_days: int = 90
    """CMR-R11: a garnishee warning counts only if given in this many days before placement."""
    q609_validity_days: int = 90
    """CMR-A6: a Q609 that confirmed employment makes a new one unnecessary for this long."""
    fca_validity_months: int = 3
    """CMR-R10: the FCA relied on for a garnishee is at most this many months old."""
    min_fca_excess_income_per_fortnight: Decimal = Decimal("15")
    min_bank_balance_for_fi_garnishee: Decimal = Decimal("5000")
    min_balance_for_continuing_income_garnishee: Decimal = Decimal("200")
    min_pgpa_debt_for_garnishee: Decimal = Decimal("10000")
    garnishee_payment_delay_days: int = 14
    """SSAct s.1233: payment is not required before this many days after the notice."""
    max_actual_contacts_per_week: int = 3
    max_actual_contacts_per_month: int = 10
    """X-R8 [ACCC §5]; counted over rolling 7 and 30 days [A]."""
    max_attempts_per_day: int = 2
    """X-R8: attempts must not be excessive [A]."""
    weekday_contact_hours: tuple[time, time] = (time(7, 30), time(21, 0))
    weekend_contact_hours: tuple[time, time] = (time(9, 0), time(21, 0))
    """X-R6 [ACCC]: customer's local time; none on national public holidays."""
    rp_data_states: frozenset[str] = frozenset({"VIC", "NSW", "QLD", "WA"})
    """CMR-R16 [S-CMR T3.S11]."""
    garnishee_approver_roles: frozenset[Role] = frozenset({Role.OPERATIONAL_LEADER})
    """CMR-R9 (C32): who approves garnishee submissions; an APS 5 litigation case manager may
    also approve their own bank garnishee."""
    redress_check_approver_roles: frozenset[Role] = frozenset({Role.OPERATIONAL_LEADER})
    """CMR-R9 (C33): who approves the Debt Redress Check [A]."""
    dpo_delegate_roles: frozenset[Role] = frozenset({Role.DPO_DELEGATE})
    """CMR-R17 (C44-C47): the Secretary's DPO delegates [A]."""
    litigation_decision_roles: frozenset[Role] = frozenset(
        {Role.SENIOR_LITIGATION_OFFICER, Role.LITIGATION_CASE_MANAGER}
    )
    """C39: SRT Litigation."""
    flag_clearing_roles: frozenset[Role] = frozenset({Role.SOCIAL_WORKER, Role.OPERATIONAL_LEADER})
    """X-R3/X-R4: who clears a suicide/self-harm or FDV flag after assessment [A]."""


DEFAULT_CONFIG = CaseConfig()


class ContactCalendar(BaseModel):
    """The calendar the application supplies: national public holidays (X-R6)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    public_holidays: frozenset[date] = frozenset()


NO_HOLIDAYS = ContactCalendar()


# -- commands --
class CaseCommand(Command):
    case_id: UUID


class AllocateCase(CaseCommand):
    """C1: allocate a customer to an SRT/TRT case manager."""

    crn: NonEmptyStr
    customer: CustomerName
    team: Team
    case_manager_id: NonEmptyStr
    allocation_source: AllocationSource
    allocation_group: str | None = None
    debts: tuple[Debt, ...]
    sms_subscribed: bool = False
    already_case_managed: bool = False


class AssessSuitability(CaseCommand):
    """C2: is the case suitable for case managed recovery?"""

    suitable: bool
    benefit_status: NonEmptyStr
    permanently_written_off: bool
    outstanding_balance: Decimal
    already_case_managed_elsewhere: bool
    discussed_with_ol: str | None = None


class UnassignCustomer(CaseCommand):
    """C3: an OL, or a litigation case manager after discussing it with the SLO, unassigns."""

    discussed_with: str = ""


class CreateDoaDoc(CaseCommand):
    """C4: the Display on Access DOC (expires 5 years after it is created)."""

    doc_id: NonEmptyStr
    transfer_to: str = "CLK Case Managed Recoveries"


class ApplyActorRelationship(CaseCommand):
    """C5: a TL or OL applies the WLM actor relationship (an allocation group is needed)."""

    allocation_group: str | None = None


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


class RecordCapacityReview(CaseCommand):
    """C9: review the record and referral documents for capacity to pay."""

    capacity_indicators: tuple[str, ...] = ()


class SendPreCallSms(CaseCommand):
    """C10: the pre-call SMS before a contact attempt."""

    mobile_number: NonEmptyStr


class RecordContactAttempt(CaseCommand):
    """C11: a contact attempt (call, SMS, voicemail, email, face to face)."""

    channel: ContactChannel = "PHONE"
    number: str = ""
    outcome: ContactOutcome
    voicemail_left: bool = False
    voicemail_disclosed_reason: bool = False
    third_party_told_reason: bool = False
    third_party_has_authority: bool = False
    purpose: Literal["RECOVERY", "DEBTOR_REQUESTED", "BETTER_ALTERNATIVE", "DEFAULT"] = "RECOVERY"
    note: str = ""


class _IssueLetter(CaseCommand):
    letter_id: NonEmptyStr
    address: str = ""
    address_confirmed: bool = False
    privacy_safeguarded: bool = False
    includes_review_rights: bool = True
    tracking_id: str = ""


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

    employment_lead_id: NonEmptyStr


class IssueEmployerRequestQ609(_IssueLetter):
    """C28: ask the employer for employment details, in writing only."""

    employment_lead_id: NonEmptyStr
    attention: str = ""
    marking: str = ""


class IssueDpoWarning(_IssueLetter):
    """C42: Q190 as a DPO warning (23 days to respond), by a tracked article.

    ``debt_ids`` are the debts it warns about; by default every debt whose recovery is not
    paused (X-R1: other debts continue)."""

    debt_ids: tuple[str, ...] = ()


class RecordDiscussion(CaseCommand):
    """C14: a discussion with the customer (privacy checked first)."""

    direction: Literal["INBOUND", "OUTBOUND"]
    identity_confirmed: bool
    customer_queried_debt: bool = False
    garnishee_warning_given: bool = False
    summary: NonEmptyStr


class RequestExplanationOrReview(CaseCommand):
    """C15: the customer asks for an explanation or review; recovery of those debts pauses."""

    pause_id: NonEmptyStr
    debt_ids: tuple[str, ...]
    kind: Literal["EXPLANATION", "REVIEW", "REASSESSMENT", "ART_REVIEW"]


class PauseRecovery(CaseCommand):
    """Pause recovery of some debts (disaster, vulnerability, redress, ...); X-R1, X-R5."""

    pause_id: NonEmptyStr
    debt_ids: tuple[str, ...]
    reason: PauseReason


class ResumeRecovery(CaseCommand):
    pause_id: NonEmptyStr


class RecordAcceptableArrangement(CaseCommand):
    """C16."""

    amount: Decimal = Field(gt=0)
    frequency: Literal["WEEKLY", "FORTNIGHTLY", "MONTHLY"] = "FORTNIGHTLY"


class RecordFinancialCircumstanceAssessment(CaseCommand):
    """C17."""

    fca_id: NonEmptyStr
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


class RecordFiAccountLead(CaseCommand):
    """C22."""

    institution: NonEmptyStr
    account_ref: NonEmptyStr
    balance: Decimal | None = None


class RequestFieInformation(CaseCommand):
    """C23: Commonwealth Bank only, through the FIE tool."""

    institution: NonEmptyStr
    account_ref: NonEmptyStr


class RecordEmploymentLead(CaseCommand):
    """C25."""

    lead_id: NonEmptyStr
    employer_name: NonEmptyStr
    source: Literal["DATA_MATCH_STP", "DATA_MATCH_TDF", "CUSTOMER_RECORD", "OTHER"]
    relates_to: Literal["CUSTOMER", "PARTNER"]


class RecordEmployerContactAttempt(CaseCommand):
    """C27: reach the customer through the employer (2 attempts over 2 days)."""

    lead_id: NonEmptyStr
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

    garnishee_id: NonEmptyStr
    kind: GarnisheeKind
    debt_ids: tuple[str, ...]
    checklist: GarnisheeChecklist
    employment_lead_id: str | None = None


class SubmitGarnishee(CaseCommand):
    """C31: the submission, saved in the case file, to an OL."""

    garnishee_id: NonEmptyStr
    garnishee_party: NonEmptyStr
    submission_doc_name: NonEmptyStr
    submitted_to: NonEmptyStr


class DecideGarnisheeSubmission(CaseCommand):
    """C32."""

    garnishee_id: NonEmptyStr
    approve: bool


class RecordDebtRedressCheck(CaseCommand):
    """C33 (actioned)."""

    garnishee_id: NonEmptyStr
    check_id: NonEmptyStr
    result: Literal["CLEAR", "NOT_CLEAR"]
    notes: str = ""


class ApproveDebtRedressCheck(CaseCommand):
    """C33 (approved)."""

    garnishee_id: NonEmptyStr
    check_id: NonEmptyStr


class PlaceGarnishee(CaseCommand):
    """C34 (SSAct s.1233)."""

    garnishee_id: NonEmptyStr
    amount_mode: Literal["AMOUNT", "AMOUNT_PER_PAYMENT", "PERCENTAGE_PER_PAYMENT"]
    amount: Decimal = Field(gt=0)
    payment_not_before: date
    review_rights_advised: bool = False


class RecordGarnisheeOutcome(CaseCommand):
    """C35."""

    garnishee_id: NonEmptyStr
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

    debt_ids: tuple[str, ...]
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


class ConfirmDpoWarningDelivery(CaseCommand):
    """C43: after 14 days, by Australia Post tracking."""

    letter_id: NonEmptyStr
    tracking_status: NonEmptyStr
    delivered: bool


class MakeDpo(CaseCommand):
    """C44 (SSAct s.1240)."""

    dpo_id: NonEmptyStr
    debt_ids: tuple[str, ...]
    considerations: DpoConsiderations


class NotifyDpo(CaseCommand):
    """C45."""

    dpo_id: NonEmptyStr
    recipients: tuple[str, ...]
    australian_citizen: bool


class VaryDpo(CaseCommand):
    dpo_id: NonEmptyStr
    variation: NonEmptyStr


class RevokeDpo(CaseCommand):
    """C46."""

    dpo_id: NonEmptyStr
    ground: Literal["PAID", "SATISFACTORY_ARRANGEMENT", "IRRECOVERABLE", "DISCRETION"]


class DecideDac(CaseCommand):
    """C47: a departure authorisation certificate."""

    dpo_id: NonEmptyStr
    grant: bool
    departs_on: date
    returns_by: date


class CloseCase(CaseCommand):
    """C48: start closing, after an outcome."""

    reason: ClosureReason
    detail: str = ""


class RunRecoveryOptionsExhaustedFastNote(CaseCommand):
    """C49."""

    fast_note_ref: NonEmptyStr
    linked_activity_ref: NonEmptyStr


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


class RecordVulnerabilityFlag(CaseCommand):
    """Suicide or self-harm, FDV (with an immediate threat), hardship, disaster (X-R2..X-R4)."""

    flag_id: NonEmptyStr
    kind: VulnerabilityKind
    source: NonEmptyStr
    referral: str = ""
    incident_ref: str = ""


class ClearVulnerabilityFlag(CaseCommand):
    flag_id: NonEmptyStr


# -- state --
class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ContactRecord(_Record):
    at: LocalDatetime
    channel: ContactChannel
    actual: bool


class LetterRecord(_Record):
    letter_id: str
    code: LetterCode
    purpose: LetterPurpose
    issued_on: date
    respond_by: date
    garnishee_warning: bool
    tracking_id: str = ""
    employment_lead_id: str = ""
    delivered: bool | None = None


class Pause(_Record):
    pause_id: str
    debt_ids: tuple[str, ...]
    reason: PauseReason


class Flag(_Record):
    flag_id: str
    kind: VulnerabilityKind


class EmploymentLead(_Record):
    lead_id: str
    source: str
    q289_issued: bool = False
    employer_attempts: tuple[date, ...] = ()
    q609_on: date | None = None


class Fca(_Record):
    fca_id: str
    assessed_on: date
    excess_income_per_fortnight: Decimal
    financial_hardship: bool


class Garnishee(_Record):
    garnishee_id: str
    kind: GarnisheeKind
    debt_ids: tuple[str, ...]
    appropriate: bool
    failed_checks: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()
    assessed_on: date
    submitted_by: str | None = None
    decision: Literal["APPROVED", "REJECTED"] | None = None
    redress_check_id: str | None = None
    redress_result: Literal["CLEAR", "NOT_CLEAR"] | None = None
    redress_approved: bool = False
    placed_on: date | None = None


class CaseState(BaseModel):
    """The case as its history makes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: UUID
    version: int
    crn: str
    customer: CustomerName
    team: Team
    case_manager_id: str
    allocation_group: str | None
    sms_subscribed: bool
    status: CaseStatus = "OPEN"
    stage: Stage = "ONBOARDING"
    debts: tuple[Debt, ...]
    suitable: bool | None = None
    doa_doc_id: str | None = None
    doa_doc_expires_on: date | None = None
    actor_relationship: bool = False
    case_file: bool = False
    documents: tuple[str, ...] = ()
    record_reviewed: bool = False
    pre_call_sms_pending: bool = False
    contacts: tuple[ContactRecord, ...] = ()
    letters: tuple[LetterRecord, ...] = ()
    verbal_warnings: tuple[date, ...] = ()
    arrangement: Literal["ACCEPTABLE", "INTERIM"] | None = None
    refused: bool = False
    refusal_retracted: bool = False
    deemed_unreasonable: bool = False
    callback_on: date | None = None
    fca: Fca | None = None
    pauses: tuple[Pause, ...] = ()
    flags: tuple[Flag, ...] = ()
    fi_leads: tuple[str, ...] = ()
    employment_leads: tuple[EmploymentLead, ...] = ()
    garnishees: tuple[Garnishee, ...] = ()
    property_searches: tuple[str, ...] = ()
    litigation: Literal["SENT", "ACCEPTED", "DECLINED"] | None = None
    travel_pattern_found: bool = False
    dpo_referred: bool = False
    dpo_id: str | None = None
    dpo_active: bool = False
    paid_in_full: bool = False
    closure_reason: ClosureReason | None = None
    closure_steps: tuple[str, ...] = ()
    archive_requested: bool = False

    @property
    def is_terminal(self) -> bool:
        return self.status in ("CLOSED", "ARCHIVED", "UNASSIGNED")

    @property
    def debt_ids(self) -> tuple[str, ...]:
        return tuple(d.debt_id for d in self.debts)

    def paused_debts(self) -> dict[str, str]:
        """Debt id -> the reason its recovery is paused (X-R1)."""
        return {debt_id: p.reason for p in self.pauses for debt_id in p.debt_ids}

    def flag_kinds(self) -> frozenset[str]:
        return frozenset(f.kind for f in self.flags)

    def debt(self, debt_id: str) -> Debt | None:
        return next((d for d in self.debts if d.debt_id == debt_id), None)

    def garnishee(self, garnishee_id: str) -> Garnishee | None:
        return next((g for g in self.garnishees if g.garnishee_id == garnishee_id), None)

    def lead(self, lead_id: str) -> EmploymentLead | None:
        return next((e for e in self.employment_leads if e.lead_id == lead_id), None)

    def letter(self, letter_id: str) -> LetterRecord | None:
        return next((x for x in self.letters if x.letter_id == letter_id), None)

    def dpo_warning(self) -> LetterRecord | None:
        warnings = [x for x in self.letters if x.purpose == "DPO_WARNING"]
        return warnings[-1] if warnings else None


CLOSURE_STEPS: tuple[str, ...] = (
    "DOA_DOC_EXPIRED",
    "CIVIL_ACTION_ENDED",
    "OPCV_CODING_ENDED",
    "ACTOR_RELATIONSHIP_UPDATED",
    "CASE_FILE_FINALISED",
)
"""What Table 5 requires before a closure is complete (plus the ROE Fast Note for ROE)."""


# -- day arithmetic (add_days is recoverycore.days.add_days) --
# -- decide --
class _Ctx:
    """What a handler needs besides the state and the command."""

    def __init__(self, d: Decision, config: CaseConfig, calendar: ContactCalendar) -> None:
        self.d = d
        self.config = config
        self.calendar = calendar
        self.today = d.local_date()


_Handler: TypeAlias = Callable[[Any, Any, _Ctx], None]
# command type -> (procedure step, handler, whether CMR-R1's case-team check applies)
_HANDLERS: dict[type[CaseCommand], tuple[str, _Handler, bool]] = {}
_CLOSING_COMMANDS: set[type[CaseCommand]] = set()


def _handles(
    command_type: type[CaseCommand], step: str, *, case_team: bool = True, closing: bool = False
) -> Callable[[_Handler], _Handler]:
    def register(handler: _Handler) -> _Handler:
        _HANDLERS[command_type] = (f"{PROCEDURE} {step}", handler, case_team)
        if closing:
            _CLOSING_COMMANDS.add(command_type)
        return handler

    return register


def decide(
    state: CaseState | None,
    command: CaseCommand,
    *,
    now: AwareDatetime,
    config: CaseConfig = DEFAULT_CONFIG,
    calendar: ContactCalendar = NO_HOLIDAYS,
) -> list[CaseEvent]:
    """The events ``command`` records on the case, or :class:`RuleViolation` if refused."""
    step, handler, case_team = _HANDLERS[type(command)]
    d = Decision(
        command,
        command.case_id,
        state.version if state else 0,
        now,
        step,
        time_zone(config.time_zone),
    )
    d.require(
        d.occurred_at <= now,
        "CMR-A2",
        "The action is dated later than the time it is being recorded.",
        "Record the action after it has happened, with the time it happened.",
    )
    if isinstance(command, AllocateCase):
        d.require(
            state is None,
            "CMR-A2",
            f"A case with id {command.case_id} has already been recorded.",
            "Use a new case id, or act on the existing case.",
        )
    else:
        if state is None:
            raise AggregateNotFound(command.case_id, kind="case")
        archiving = isinstance(command, ArchiveCase) and state.status == "CLOSED"
        d.require(
            not state.is_terminal or archiving,
            "CMR-A1",
            f"The case is {state.status.lower()} and accepts no further changes.",
            "Allocate a new case if the customer needs case managed recovery again.",
        )
        d.require(
            (state.status == "CLOSING") == (type(command) in _CLOSING_COMMANDS)
            or isinstance(command, (RecordVulnerabilityFlag, ClearVulnerabilityFlag))
            or archiving,
            "CMR-A1",
            "The case is being closed: only the Table 5 closing steps can be recorded."
            if state.status == "CLOSING"
            else "This closing step can only be recorded once the case closure has started.",
            "Complete the closing steps, then complete the closure."
            if state.status == "CLOSING"
            else "Start the closure (CloseCase) first.",
        )
        if case_team:
            _assigned(d, state)
    handler(state, command, _Ctx(d, config, calendar))
    return cast(list[CaseEvent], d.events)


def _assigned(d: Decision, s: CaseState) -> None:
    actor = d.command.actor
    d.require(
        actor.staff_id == s.case_manager_id
        or (actor.team == s.team and actor.role in (CASE_ROLES | LEADER_ROLES | {Role.SRT_OFFICER}))
        # A social worker, or the safeguard policy reacting to a flag on another of the
        # customer's records, may record a vulnerability flag on the case (X-R3, X-R4).
        or (
            actor.role in (Role.SOCIAL_WORKER, Role.SYSTEM)
            and isinstance(d.command, RecordVulnerabilityFlag)
        ),
        "CMR-R1",
        f"{actor.staff_id} ({actor.role.value}, {actor.team}) is not the case manager or team "
        f"managing this customer ({s.case_manager_id}, {s.team}).",
        f"Refer the customer to {s.case_manager_id} in {s.team}, as the DOA DOC says.",
    )


def _reasons(d: Decision, rule_id: str, doing: str, min_chars: int = 10) -> None:
    text = " ".join(r.strip() for r in d.command.reasons).strip()
    d.require(
        len(text) >= min_chars,
        rule_id,
        f"No reasons are recorded to {doing}.",
        "Record the reasons for the decision.",
    )


def _role(d: Decision, roles: Iterable[Role], rule_id: str, doing: str) -> None:
    allowed = frozenset(roles)
    d.require(
        d.command.actor.role in allowed,
        rule_id,
        f"Only {' or '.join(sorted(r.value.replace('_', ' ').lower() for r in allowed))} may "
        f"{doing}; {d.command.actor.staff_id} acts as {d.command.actor.role.value}.",
        "Ask someone with that role to do it.",
    )


def _aps_at_least(level: str, minimum: str) -> bool:
    return level in _APS_ORDER and _APS_ORDER.index(level) >= _APS_ORDER.index(minimum)


def _debts_known(d: Decision, s: CaseState, debt_ids: Iterable[str]) -> tuple[str, ...]:
    ids = tuple(debt_ids)
    unknown = [i for i in ids if s.debt(i) is None]
    d.require(
        bool(ids) and not unknown,
        "CMR-A2",
        f"Unknown debts {', '.join(unknown)}." if unknown else "No debts are named.",
        f"Name debts of this case: {', '.join(s.debt_ids)}.",
    )
    return ids


def _not_paused(d: Decision, s: CaseState, debt_ids: Iterable[str], doing: str) -> None:
    paused = s.paused_debts()
    hit = sorted(i for i in debt_ids if i in paused)
    d.require(
        not hit,
        "X-R1",
        f"Recovery of {', '.join(hit)} is paused "
        f"({', '.join(sorted({paused[i].lower() for i in hit}))}), so no enforcement step may "
        f"{doing}.",
        "Wait until the pause is resumed; other debts can continue normally.",
    )


def _no_safety_flags(d: Decision, s: CaseState, doing: str) -> None:
    kinds = s.flag_kinds()
    d.require(
        "SUICIDE_SELF_HARM" not in kinds,
        "X-R3",
        f"The customer has talked about suicide or self-harm; enforcement is paused, so no "
        f"step may {doing}.",
        "Follow the suicide or self-harm procedure; a social worker or decision maker clears "
        "the flag before enforcement resumes.",
    )
    d.require(
        "FDV_IMMEDIATE_THREAT" not in kinds,
        "X-R4",
        f"Family and domestic violence with an immediate threat to safety is recorded; "
        f"enforcement is paused pending assessment, so no step may {doing}.",
        "Follow local response guidelines; the flag is cleared after assessment.",
    )
    d.require(
        "DISASTER" not in kinds,
        "X-R1",
        f"The customer is in a declared disaster (DIS) pause, so no step may {doing}.",
        "Wait until the disaster pause ends.",
    )


def _enforcement(d: Decision, s: CaseState, debt_ids: Iterable[str], doing: str) -> None:
    _no_safety_flags(d, s, doing)
    _not_paused(d, s, debt_ids, doing)


def _in_case_file(d: Decision, s: CaseState, name: str, what: str) -> None:
    d.require(
        name in s.documents,
        "CMR-A7",
        f"The {what} '{name}' is not saved in the customer's case file.",
        "Save it in the case file first (AddCaseFileDocument).",
    )


def _contact_allowed(
    c: _Ctx, s: CaseState, channel: str, actual: bool, *, counts_for_hours: bool = True
) -> None:
    """X-R6 (hours), X-R8 (frequency) and X-R9 (while an arrangement is in place)."""
    d, config = c.d, c.config
    local = d.occurred_at.astimezone(d.zone)
    if counts_for_hours and channel in ("PHONE", "FACE_TO_FACE", "SMS", "VOICEMAIL"):
        start, end = (
            config.weekday_contact_hours if local.weekday() < 5 else config.weekend_contact_hours
        )
        d.require(
            local.date() not in c.calendar.public_holidays,
            "X-R6",
            f"{local:%A %d %B %Y} is a national public holiday: no contact.",
            "Contact the customer on another day.",
        )
        d.require(
            start <= local.time() <= end,
            "X-R6",
            f"{local:%H:%M} on a {'weekday' if local.weekday() < 5 else 'weekend'} is outside "
            f"contact hours ({start:%H:%M}-{end:%H:%M}, customer's local time).",
            f"Contact the customer between {start:%H:%M} and {end:%H:%M}.",
        )
    if actual:
        week = [x for x in s.contacts if x.actual and local - x.at < timedelta(days=7)]
        month = [x for x in s.contacts if x.actual and local - x.at < timedelta(days=30)]
        d.require(
            len(week) < config.max_actual_contacts_per_week,
            "X-R8",
            f"The customer has had {len(week)} actual contacts in the last 7 days, the most "
            "allowed.",
            "Wait before contacting again (SMS, voicemail, letters and emails count).",
        )
        d.require(
            len(month) < config.max_actual_contacts_per_month,
            "X-R8",
            f"The customer has had {len(month)} actual contacts in the last 30 days, the most "
            "allowed.",
            "Wait before contacting again.",
        )
    else:
        today = [
            x
            for x in s.contacts
            if x.channel in _ATTEMPT_CHANNELS and x.at.astimezone(d.zone).date() == local.date()
        ]
        d.require(
            len(today) < config.max_attempts_per_day,
            "X-R8",
            f"{len(today)} contact attempts have already been made today; more would be excessive.",
            "Try again on another day.",
        )


# -- Table 1 --
@_handles(AllocateCase, "T1.S2", case_team=False)
def _allocate(s: None, cmd: AllocateCase, c: _Ctx) -> None:
    c.d.require(
        not cmd.already_case_managed,
        "CMR-A1",
        "The customer is already case managed.",
        "Refer to the case manager named in the customer's DOA DOC.",
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
    group = cmd.allocation_group or s.allocation_group
    c.d.require(
        bool(group),
        "CMR-R3",
        "An allocation group is required before applying the actor relationship.",
        "Set up the allocation group in Work Optimiser first.",
    )
    assert group is not None
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


# -- Table 2 --
@_handles(RecordCapacityReview, "T2.S1")
def _review(s: CaseState, cmd: RecordCapacityReview, c: _Ctx) -> None:
    c.d.emit(RecordReviewed, capacity_indicators=cmd.capacity_indicators)


def _sms_blocked_by(s: CaseState) -> tuple[str, str] | None:
    kinds = s.flag_kinds()
    if "SUICIDE_SELF_HARM" in kinds:
        return "X-R3", "The customer has talked about suicide or self-harm: no SMS."
    if "FDV_IMMEDIATE_THREAT" in kinds:
        return "X-R4", "FDV with an immediate threat to safety: outbound SMS is suppressed."
    return None


@_handles(SendPreCallSms, "T2.S3")
def _pre_call_sms(s: CaseState, cmd: SendPreCallSms, c: _Ctx) -> None:
    c.d.require(
        s.sms_subscribed,
        "CMR-A3",
        "The customer is not subscribed to SMS electronic messaging.",
        "Make the contact attempt without a pre-call SMS.",
    )
    c.d.applied("X-R3", "X-R4")
    if (blocked := _sms_blocked_by(s)) is not None:
        c.d.emit(PreCallSmsBlocked, rule_id=blocked[0], detail=blocked[1])
        return
    _contact_allowed(c, s, "SMS", actual=True)
    c.d.emit(
        PreCallSmsSent,
        mobile_number_hash=hashlib.sha256(
            re.sub(r"\D", "", cmd.mobile_number).encode()
        ).hexdigest(),
    )


_ACTUAL = frozenset({"ENGAGED", "CALLBACK_REQUESTED", "REFUSED"})


@_handles(RecordContactAttempt, "T2.S3")
def _contact_attempt(s: CaseState, cmd: RecordContactAttempt, c: _Ctx) -> None:
    d = c.d
    d.require(
        bool(cmd.note.strip()),
        "CMR-A2",
        "Every contact attempt needs a note of what happened.",
        "Record who was called, on which number, and the outcome.",
    )
    d.require(
        not (cmd.voicemail_left and cmd.voicemail_disclosed_reason),
        "CMR-R5",
        "A voicemail must not say the reason for the call.",
        "Leave only your name and a number to call back.",
    )
    d.require(
        not cmd.third_party_told_reason or cmd.third_party_has_authority,
        "CMR-R5",
        "The reason for the call was disclosed to a third party without the customer's express "
        "authority.",
        "Discuss the debt only with the customer or someone they have authorised.",
    )
    if cmd.channel == "FACE_TO_FACE":
        phone_attempts = sum(1 for x in s.contacts if x.channel == "PHONE")
        d.require(
            phone_attempts >= 2 and any(x.code in ("Q164", "Q190") for x in s.letters),
            "X-R7",
            "Face-to-face contact is a last resort, but phone contact and a contact letter "
            "have not been tried.",
            "Make 2 genuine phone attempts and send a contact letter first.",
        )
        _reasons(d, "X-R7", "make face-to-face contact")
    if s.arrangement is not None:
        d.require(
            cmd.purpose != "RECOVERY",
            "X-R9",
            "An arrangement is in place: the customer is not contacted about the debt unless "
            "they ask, a better alternative is proposed, or they default.",
            "Give the purpose of the contact (debtor requested, better alternative, default).",
        )
    if cmd.channel == "PHONE" and s.sms_subscribed and _sms_blocked_by(s) is None:
        d.require(
            s.pre_call_sms_pending,
            "CMR-A3",
            "A pre-call SMS is sent before every contact attempt to a subscribed customer.",
            "Send the pre-call SMS, then call.",
        )
    actual = (
        cmd.outcome in _ACTUAL
        or cmd.voicemail_left
        or cmd.channel
        in (
            "SMS",
            "EMAIL",
            "LETTER",
            "FACE_TO_FACE",
        )
    )
    _contact_allowed(c, s, cmd.channel, actual)
    d.emit(
        ContactAttempted,
        attempt_no=len(s.contacts) + 1,
        channel=cmd.channel,
        number=cmd.number,
        outcome=cmd.outcome,
        actual_contact=actual,
        voicemail_left=cmd.voicemail_left,
        note=cmd.note,
    )


def _genuine_attempts(s: CaseState) -> int:
    """Phone attempts at least 3 hours apart (one morning, one afternoon) [A], [OB-COMPL]."""
    times = sorted(x.at for x in s.contacts if x.channel == "PHONE")
    count, last = 0, None
    for at in times:
        if last is None or at - last >= timedelta(hours=3):
            count, last = count + 1, at
    return count


def _issue_letter(
    c: _Ctx,
    s: CaseState,
    cmd: _IssueLetter,
    code: LetterCode,
    purpose: LetterPurpose,
    period: DayCount,
    *,
    to_customer: bool = True,
    garnishee_warning: bool = False,
    **extra: Any,
) -> None:
    d = c.d
    d.require(
        cmd.privacy_safeguarded and cmd.address_confirmed and bool(cmd.address.strip()),
        "CMR-R5",
        "Before a letter is issued the customer's privacy must be safeguarded and the address "
        "confirmed, and the address it goes to recorded.",
        "Follow 'Safeguarding customer privacy when raising and recovering debts', confirm the "
        "address, and give it.",
    )
    d.require(
        period.days >= c.config.min_notice_response_days,
        "X-R10",
        f"A response period of {period.days} days is too short.",
        f"Allow at least {c.config.min_notice_response_days} days.",
    )
    if to_customer:
        d.require(
            cmd.includes_review_rights,
            "X-R10",
            "The letter does not say how to seek an explanation or review of the debt.",
            "Use the approved letter that states the customer's review rights.",
        )
        d.require(
            s.arrangement is None,
            "X-R9",
            "An arrangement is in place: the customer is not written to about the debt unless "
            "they ask, a better alternative is proposed, or they default.",
            "Record the broken arrangement first, or contact the customer only at their request.",
        )
        d.require(
            "FDV_IMMEDIATE_THREAT" not in s.flag_kinds(),
            "X-R4",
            "FDV with an immediate threat to safety is recorded: outbound letters are "
            "suppressed pending assessment.",
            "Follow local response guidelines; write once the flag is assessed and cleared.",
        )
        _contact_allowed(c, s, "LETTER", actual=True, counts_for_hours=False)
    d.require(
        s.letter(cmd.letter_id) is None,
        "CMR-A2",
        f"Letter id {cmd.letter_id} has been used already.",
        "Give the letter its own id.",
    )
    d.emit(
        LetterIssued,
        letter_id=cmd.letter_id,
        code=code,
        purpose=purpose,
        address=cmd.address,
        address_confirmed=cmd.address_confirmed,
        privacy_safeguarded=cmd.privacy_safeguarded,
        response_period=period,
        respond_by=add_days(c.today, period, c.calendar.public_holidays),
        counts_as_garnishee_warning=garnishee_warning,
        tracking_id=cmd.tracking_id,
        **extra,
    )


def _letter_choice(c: _Ctx, s: CaseState, aware: bool, code: str) -> None:
    d = c.d
    if code == "Q164":
        d.require(
            not aware,
            "CMR-A4",
            "Q164 is for a customer who is likely not aware of their debt.",
            "Use the Q190 'Contact letter with final option' for a customer aware of the debt.",
        )
    else:
        d.require(
            aware,
            "CMR-A4",
            "Q190 (final option) is for a customer who is aware of their debts.",
            "Send the Q164 contact letter first.",
        )
    engaged = any(x.actual for x in s.contacts if x.channel == "PHONE")
    d.require(
        engaged or _genuine_attempts(s) >= 2,
        "CMR-A4",
        "A contact letter follows 2 genuine contact attempts on all available numbers.",
        "Make 2 genuine call attempts (e.g. one morning, one afternoon) first.",
    )


@_handles(IssueContactLetterQ164, "T2.S4")
def _q164(s: CaseState, cmd: IssueContactLetterQ164, c: _Ctx) -> None:
    _letter_choice(c, s, cmd.customer_aware_of_debt, "Q164")
    _issue_letter(c, s, cmd, "Q164", "CONTACT", c.config.contact_letter_response)


@_handles(IssueFinalOptionLetterQ190, "T2.S5")
def _q190(s: CaseState, cmd: IssueFinalOptionLetterQ190, c: _Ctx) -> None:
    _letter_choice(c, s, cmd.customer_aware_of_debt, "Q190")
    _issue_letter(
        c,
        s,
        cmd,
        "Q190",
        "FINAL_OPTION",
        c.config.contact_letter_response,
        garnishee_warning=True,
    )


@_handles(RecordDiscussion, "T2.S6")
def _discussion(s: CaseState, cmd: RecordDiscussion, c: _Ctx) -> None:
    c.d.require(
        cmd.identity_confirmed,
        "CMR-R5",
        "The customer's identity was not confirmed before discussing the debt.",
        "Safeguard privacy first: confirm identity (proof of record ownership).",
    )
    c.d.emit(
        DebtDiscussed,
        direction=cmd.direction,
        identity_confirmed=cmd.identity_confirmed,
        customer_queried_debt=cmd.customer_queried_debt,
        garnishee_warning_given=cmd.garnishee_warning_given,
        summary=cmd.summary,
    )


def _pause(c: _Ctx, s: CaseState, pause_id: str, debt_ids: tuple[str, ...], reason: str) -> None:
    c.d.require(
        all(p.pause_id != pause_id for p in s.pauses),
        "CMR-A2",
        f"Pause id {pause_id} has been used already.",
        "Give the pause its own id.",
    )
    c.d.emit(RecoveryPaused, pause_id=pause_id, debt_ids=debt_ids, reason=reason)


@_handles(RequestExplanationOrReview, "T2.S6")
def _review_request(s: CaseState, cmd: RequestExplanationOrReview, c: _Ctx) -> None:
    ids = _debts_known(c.d, s, cmd.debt_ids)
    c.d.emit(ReviewRequested, debt_ids=ids, kind=cmd.kind)
    _pause(c, s, cmd.pause_id, ids, cmd.kind)


@_handles(PauseRecovery, "T2.S6")
def _pause_recovery(s: CaseState, cmd: PauseRecovery, c: _Ctx) -> None:
    ids = _debts_known(c.d, s, cmd.debt_ids)
    _reasons(c.d, "X-R5", "exclude these debts from recovery")
    _pause(c, s, cmd.pause_id, ids, cmd.reason)


@_handles(ResumeRecovery, "T2.S6")
def _resume(s: CaseState, cmd: ResumeRecovery, c: _Ctx) -> None:
    c.d.require(
        any(p.pause_id == cmd.pause_id for p in s.pauses),
        "CMR-A1",
        f"No pause {cmd.pause_id} is in force.",
        "Nothing to resume.",
    )
    _reasons(c.d, "CMR-A8", "resume recovery")
    c.d.emit(RecoveryResumed, pause_id=cmd.pause_id)


@_handles(RecordAcceptableArrangement, "T2.S7")
def _acceptable(s: CaseState, cmd: RecordAcceptableArrangement, c: _Ctx) -> None:
    c.d.emit(ArrangementAgreed, kind="ACCEPTABLE", amount=cmd.amount, frequency=cmd.frequency)


@_handles(RecordFinancialCircumstanceAssessment, "T2.S8")
def _fca(s: CaseState, cmd: RecordFinancialCircumstanceAssessment, c: _Ctx) -> None:
    c.d.emit(
        FinancialCircumstancesAssessed,
        fca_id=cmd.fca_id,
        assessed_on=c.today,
        excess_income_per_fortnight=cmd.excess_income_per_fortnight,
        financial_hardship=cmd.financial_hardship,
    )


@_handles(RecordInterimArrangement, "T2.S8")
def _interim(s: CaseState, cmd: RecordInterimArrangement, c: _Ctx) -> None:
    c.d.require(
        s.fca is not None,
        "CMR-A10",
        "An interim arrangement is based on a financial circumstance assessment, and none is "
        "recorded.",
        "Complete the financial circumstance assessment first.",
    )
    assert s.fca is not None
    c.d.emit(
        ArrangementAgreed,
        kind="INTERIM",
        amount=cmd.amount,
        frequency=cmd.frequency,
        fca_id=s.fca.fca_id,
    )


@_handles(RecordArrangementBroken, "T2.S7")
def _broken(s: CaseState, cmd: RecordArrangementBroken, c: _Ctx) -> None:
    c.d.require(s.arrangement is not None, "CMR-A1", "No arrangement is in place.", "None.")
    c.d.emit(ArrangementBroken, detail=cmd.detail)


@_handles(RecordCallbackAgreed, "T2.S9")
def _callback(s: CaseState, cmd: RecordCallbackAgreed, c: _Ctx) -> None:
    c.d.require(
        cmd.callback_on >= c.today,
        "CMR-A2",
        "The agreed callback date has already passed.",
        "Record the date the customer agreed to call back.",
    )
    c.d.emit(CallbackAgreed, callback_on=cmd.callback_on)


@_handles(RecordRefusal, "T2.S9")
def _refusal(s: CaseState, cmd: RecordRefusal, c: _Ctx) -> None:
    c.d.emit(ArrangementRefused, detail=cmd.detail)


@_handles(RecordRefusalRetracted, "T2.S9")
def _retracted(s: CaseState, cmd: RecordRefusalRetracted, c: _Ctx) -> None:
    c.d.require(s.refused, "CMR-A1", "The customer has not refused.", "Nothing to retract.")
    c.d.emit(RefusalRetracted, detail=cmd.detail)


@_handles(DeclareArrangementNotReasonable, "T2.S9", case_team=False)
def _not_reasonable(s: CaseState, cmd: DeclareArrangementNotReasonable, c: _Ctx) -> None:
    actor = cmd.actor
    c.d.require(
        actor.role in (CASE_ROLES | {Role.DEBT_STAFF, *LEADER_ROLES})
        and _aps_at_least(actor.aps_level, "APS5"),
        "CMR-R13",
        "Only Debt Staff at APS 5 or above may decide an arrangement is not reasonable.",
        "Ask an APS 5+ officer to make and document the decision.",
    )
    _reasons(c.d, "CMR-R13", "decide the arrangement is not reasonable", 20)
    c.d.emit(ArrangementDeemedUnreasonable)


# -- Table 3 --
@_handles(RecordFiAccountLead, "T3.S1")
def _fi_lead(s: CaseState, cmd: RecordFiAccountLead, c: _Ctx) -> None:
    c.d.emit(
        FinancialInstitutionLeadFound,
        institution=cmd.institution,
        account_ref=cmd.account_ref,
        balance=cmd.balance,
    )


@_handles(RequestFieInformation, "T3.S2")
def _fie(s: CaseState, cmd: RequestFieInformation, c: _Ctx) -> None:
    c.d.require(
        cmd.institution.strip().lower() in ("commonwealth bank", "cba"),
        "CMR-A11",
        "The Financial Information Exchange tool is for the Commonwealth Bank only.",
        "Send a QSS40 notice to other financial institutions.",
    )
    c.d.emit(FieRequestSent, account_ref=cmd.account_ref)


@_handles(IssueThirdPartyNoticeQSS40, "T3.S2")
def _qss40(s: CaseState, cmd: IssueThirdPartyNoticeQSS40, c: _Ctx) -> None:
    c.d.require(
        bool(cmd.legislation_cited.strip()),
        "CMR-A5",
        "The QSS40 notice does not record the legislation relied on.",
        "Record the provision (e.g. Part 5 of the Social Security (Administration) Act 1999).",
    )
    _issue_letter(
        c,
        s,
        cmd,
        "QSS40",
        "THIRD_PARTY_NOTICE",
        c.config.contact_letter_response,
        to_customer=False,
        legislation_cited=cmd.legislation_cited,
    )


@_handles(RecordEmploymentLead, "T3.S3")
def _employment_lead(s: CaseState, cmd: RecordEmploymentLead, c: _Ctx) -> None:
    c.d.require(
        cmd.relates_to == "CUSTOMER",
        "CMR-R8",
        "The employment lead relates to the customer's partner, not the customer.",
        "Record only employment information about the customer.",
    )
    c.d.require(
        s.lead(cmd.lead_id) is None,
        "CMR-A2",
        f"Lead id {cmd.lead_id} has been used already.",
        "Give the lead its own id.",
    )
    c.d.emit(
        EmploymentLeadFound,
        lead_id=cmd.lead_id,
        employer_name=cmd.employer_name,
        source=cmd.source,
    )


def _known_lead(c: _Ctx, s: CaseState, lead_id: str) -> EmploymentLead:
    lead = s.lead(lead_id)
    c.d.require(
        lead is not None,
        "CMR-A2",
        f"No employment lead {lead_id} is recorded.",
        "Record the employment lead first.",
    )
    assert lead is not None
    return lead


def _q289_first(c: _Ctx, lead: EmploymentLead, doing: str) -> None:
    c.d.require(
        lead.q289_issued or not lead.source.startswith("DATA_MATCH"),
        "CMR-R6",
        f"The employer came from a data match, so the customer must be sent a Q289 before "
        f"anyone may {doing}.",
        "Issue the Q289 data-match notification to the customer first.",
    )


@_handles(IssueDataMatchNotificationQ289, "T3.S3")
def _q289(s: CaseState, cmd: IssueDataMatchNotificationQ289, c: _Ctx) -> None:
    _known_lead(c, s, cmd.employment_lead_id)
    _issue_letter(
        c,
        s,
        cmd,
        "Q289",
        "DATA_MATCH_NOTIFICATION",
        c.config.contact_letter_response,
        garnishee_warning=True,
        employment_lead_id=cmd.employment_lead_id,
    )


@_handles(RecordEmployerContactAttempt, "T3.S4")
def _employer_contact(s: CaseState, cmd: RecordEmployerContactAttempt, c: _Ctx) -> None:
    d = c.d
    lead = _known_lead(c, s, cmd.lead_id)
    _q289_first(c, lead, "contact the employer")
    d.require(
        not cmd.requested_employment_details,
        "CMR-R7",
        "Employment details must never be requested from an employer by phone.",
        "Request them in writing with a Q609 letter.",
    )
    d.require(
        not cmd.debt_disclosed,
        "CMR-R5",
        "The debt must not be disclosed to the employer.",
        "Ask only to speak to the customer.",
    )
    d.require(
        len(lead.employer_attempts) < 2 and c.today not in lead.employer_attempts,
        "CMR-A12",
        "Two genuine attempts through the employer are made on different days, then the "
        "employer is written to.",
        "Try on another day, or issue the Q609 letter.",
    )
    _contact_allowed(c, s, "PHONE", actual=cmd.outcome == "CUSTOMER_REACHED")
    d.emit(
        EmployerContactAttempted,
        lead_id=cmd.lead_id,
        attempt_no=len(lead.employer_attempts) + 1,
        outcome=cmd.outcome,
        note=cmd.note,
    )


@_handles(IssueEmployerRequestQ609, "T3.S5")
def _q609(s: CaseState, cmd: IssueEmployerRequestQ609, c: _Ctx) -> None:
    d = c.d
    lead = _known_lead(c, s, cmd.employment_lead_id)
    _q289_first(c, lead, "write to the employer")
    d.require(
        cmd.attention.strip().lower() == "attention payroll"
        and cmd.marking.strip().lower() == "private and confidential",
        "CMR-R7",
        "A Q609 is addressed 'Attention Payroll' and marked 'Private and Confidential'.",
        "Address and mark the letter as the procedure says.",
    )
    d.require(
        lead.q609_on is None or (c.today - lead.q609_on).days > c.config.q609_validity_days,
        "CMR-A6",
        "A Q609 confirmed this employment in the last 90 days; no new one is needed.",
        "Rely on the earlier Q609.",
    )
    _issue_letter(
        c,
        s,
        cmd,
        "Q609",
        "EMPLOYER_REQUEST",
        c.config.contact_letter_response,
        to_customer=False,
        attention="Attention Payroll",
        marking="Private and Confidential",
        employment_lead_id=cmd.employment_lead_id,
    )


@_handles(ProcessReturnedCorrespondence, "T3.S6")
def _returned(s: CaseState, cmd: ProcessReturnedCorrespondence, c: _Ctx) -> None:
    c.d.emit(ReturnedCorrespondenceProcessed, outcome=cmd.outcome, detail=cmd.detail)


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
    g = s.garnishee(garnishee_id)
    c.d.require(
        g is not None,
        "CMR-A2",
        f"No garnishee {garnishee_id} has been assessed.",
        "Assess the garnishee first.",
    )
    assert g is not None
    return g


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
    self_approval = (
        actor.role == Role.LITIGATION_CASE_MANAGER
        and g.kind == "FI"
        and actor.staff_id == g.submitted_by
        and _aps_at_least(actor.aps_level, "APS5")
    )
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
    warning = _latest_warning(s)
    d.require(
        warning is not None
        and (c.today - warning[0]).days <= c.config.garnishee_warning_validity_days,
        "CMR-R11",
        "No garnishee warning (Q190, Q289 or verbal) was given in the 90 days before "
        "implementation.",
        "Warn the customer again (e.g. a Q190) and wait for its response period.",
    )
    assert warning is not None
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


@_handles(RecordPropertySearch, "T3.S11")
def _rp_data(s: CaseState, cmd: RecordPropertySearch, c: _Ctx) -> None:
    c.d.require(
        cmd.state in c.config.rp_data_states,
        "CMR-R16",
        f"RP Data name searches cover only {', '.join(sorted(c.config.rp_data_states))}, not "
        f"{cmd.state}.",
        "Consider an Equifax search for other states.",
    )
    _in_case_file(c.d, s, cmd.saved_doc_name, "search result")
    c.d.emit(
        PropertySearchRecorded,
        state=cmd.state,
        successful=cmd.successful,
        property_details=cmd.property_details,
        saved_doc_name=cmd.saved_doc_name,
    )


@_handles(RecordEquifaxSearch, "T3.S12")
def _equifax(s: CaseState, cmd: RecordEquifaxSearch, c: _Ctx) -> None:
    outside = cmd.state not in c.config.rp_data_states
    c.d.require(
        (cmd.reason == "STATE_OUTSIDE_RP_DATA" and outside)
        or (cmd.reason == "OTHER_SEARCHES_EXHAUSTED" and bool(s.property_searches)),
        "CMR-R16",
        "An Equifax search is only for a state RP Data does not cover, or after the other "
        "searches (RP Data) are done.",
        "Run the RP Data search first.",
    )
    _in_case_file(c.d, s, cmd.saved_doc_name, "search result")
    c.d.emit(
        EquifaxSearchRecorded,
        successful=cmd.successful,
        new_information=cmd.new_information,
        saved_doc_name=cmd.saved_doc_name,
    )


@_handles(ReferToSrtLitigation, "T3.S13")
def _litigation(s: CaseState, cmd: ReferToSrtLitigation, c: _Ctx) -> None:
    ids = _debts_known(c.d, s, cmd.debt_ids)
    c.d.require(s.litigation is None, "CMR-A1", "A referral has been made already.", "Wait.")
    _enforcement(c.d, s, ids, "refer the debts to litigation")
    _in_case_file(c.d, s, cmd.referral_doc_name, "litigation referral")
    c.d.emit(
        LitigationReferralSent,
        debt_ids=ids,
        referral_doc_name=cmd.referral_doc_name,
        sent_to=cmd.sent_to,
    )


@_handles(DecideLitigationReferral, "T3.S13", case_team=False)
def _litigation_decision(s: CaseState, cmd: DecideLitigationReferral, c: _Ctx) -> None:
    c.d.require(s.litigation == "SENT", "CMR-A1", "No referral awaits a decision.", "Refer.")
    _role(c.d, c.config.litigation_decision_roles, "CMR-A13", "decide a litigation referral")
    _reasons(c.d, "CMR-A8", "decide the litigation referral")
    c.d.emit(LitigationReferralAccepted if cmd.accept else LitigationReferralDeclined)


@_handles(RecordTravelPatternAssessment, "T3.S14")
def _travel(s: CaseState, cmd: RecordTravelPatternAssessment, c: _Ctx) -> None:
    c.d.emit(TravelPatternAssessed, evidence=cmd.evidence, pattern_found=cmd.pattern_found)


@_handles(ReferForDpo, "T3.S15")
def _dpo_referral(s: CaseState, cmd: ReferForDpo, c: _Ctx) -> None:
    c.d.require(
        s.travel_pattern_found,
        "CMR-R17",
        "No pattern of overseas travel has been identified.",
        "Assess the customer's travel pattern first.",
    )
    c.d.emit(DpoReferralMade, referral_to=cmd.referral_to)


# -- Table 4: SRT Officer, DPO --
@_handles(IssueDpoWarning, "T4.S1")
def _dpo_warning(s: CaseState, cmd: IssueDpoWarning, c: _Ctx) -> None:
    d = c.d
    _role(d, {Role.SRT_OFFICER}, "CMR-A13", "issue a DPO warning")
    d.require(
        s.dpo_referred,
        "CMR-R17",
        "The customer has not been referred for a DPO.",
        "Assess the travel pattern and make the DPO referral first.",
    )
    d.require(
        bool(cmd.tracking_id.strip()),
        "CMR-R17",
        "The DPO warning must go by a tracked article, so its delivery can be confirmed.",
        "Record the Australia Post tracking id.",
    )
    paused = s.paused_debts()
    debt_ids = (
        _debts_known(d, s, cmd.debt_ids)
        if cmd.debt_ids
        else tuple(i for i in s.debt_ids if i not in paused)
    )
    d.require(
        bool(debt_ids),
        "X-R1",
        "Recovery of every debt on the case is paused, so no DPO warning may be issued.",
        "Wait until a pause is resumed.",
    )
    _enforcement(d, s, debt_ids, "issue a DPO warning")
    _issue_letter(
        c,
        s,
        cmd,
        "Q190",
        "DPO_WARNING",
        c.config.dpo_warning_response,
        garnishee_warning=True,
        debt_ids=debt_ids,
    )


@_handles(ConfirmDpoWarningDelivery, "T4.S2")
def _dpo_delivery(s: CaseState, cmd: ConfirmDpoWarningDelivery, c: _Ctx) -> None:
    d = c.d
    _role(d, {Role.SRT_OFFICER}, "CMR-A13", "confirm a DPO warning's delivery")
    warning = s.letter(cmd.letter_id)
    d.require(
        warning is not None and warning.purpose == "DPO_WARNING",
        "CMR-R17",
        f"No DPO warning {cmd.letter_id} has been issued.",
        "Issue the DPO warning first.",
    )
    assert warning is not None
    check_from = add_days(
        warning.issued_on, c.config.dpo_delivery_check_after, c.calendar.public_holidays
    )
    d.require(
        c.today >= check_from,
        "CMR-R17",
        f"Delivery is confirmed after {c.config.dpo_delivery_check_after.days} days, on or after "
        f"{check_from.isoformat()}.",
        "Hold the No Arrangement activity and check the tracking then.",
    )
    fields: dict[str, Any] = {
        "letter_id": warning.letter_id,
        "tracking_id": warning.tracking_id,
        "checked_on": c.today,
    }
    if cmd.delivered:
        d.emit(DpoWarningDelivered, **fields)
    else:
        d.emit(DpoWarningNotDelivered, tracking_status=cmd.tracking_status, **fields)


def _delegate(c: _Ctx, doing: str) -> None:
    _role(c.d, c.config.dpo_delegate_roles, "CMR-R17", doing)
    _reasons(c.d, "CMR-A8", doing)


@_handles(MakeDpo, "T4", case_team=False)
def _make_dpo(s: CaseState, cmd: MakeDpo, c: _Ctx) -> None:
    d = c.d
    _delegate(c, "make a DPO")
    ids = _debts_known(d, s, cmd.debt_ids)
    warning = s.dpo_warning()
    d.require(
        s.travel_pattern_found and warning is not None and warning.delivered is True,
        "CMR-R17",
        "A DPO needs an identified travel pattern and a DPO warning whose delivery is confirmed.",
        "Issue the DPO warning and confirm its delivery first.",
    )
    assert warning is not None
    d.require(
        c.today > warning.respond_by,
        "CMR-R17",
        f"The customer has until {warning.respond_by.isoformat()} to respond to the DPO warning.",
        "Wait for the response period to end.",
    )
    d.require(
        s.arrangement is None,
        "CMR-R17",
        "A satisfactory arrangement is in place, so a DPO is not desirable.",
        "Manage the arrangement instead.",
    )
    d.require(not s.dpo_active, "CMR-A1", "A DPO is already in force.", "Vary it instead.")
    _enforcement(d, s, ids, "make a DPO")
    d.emit(
        DpoMade,
        dpo_id=cmd.dpo_id,
        debt_ids=ids,
        considerations=cmd.considerations,
        made_on=c.today,
    )


def _active_dpo(c: _Ctx, s: CaseState, dpo_id: str) -> None:
    c.d.require(
        s.dpo_active and s.dpo_id == dpo_id,
        "CMR-A1",
        f"No DPO {dpo_id} is in force.",
        "Check the DPO id.",
    )


@_handles(NotifyDpo, "T4", case_team=False)
def _notify_dpo(s: CaseState, cmd: NotifyDpo, c: _Ctx) -> None:
    _role(c.d, c.config.dpo_delegate_roles | {Role.SRT_OFFICER}, "CMR-R17", "notify a DPO")
    _active_dpo(c, s, cmd.dpo_id)
    c.d.require(
        "CUSTOMER" in cmd.recipients
        and (cmd.australian_citizen or "HOME_AFFAIRS" in cmd.recipients),
        "CMR-R17",
        "The person must be notified, and Home Affairs sent a copy unless the person is an "
        "Australian citizen (SSAct s.1242).",
        "Add the missing recipients (CUSTOMER, HOME_AFFAIRS).",
    )
    c.d.emit(DpoNotified, dpo_id=cmd.dpo_id, recipients=cmd.recipients)


@_handles(VaryDpo, "T4", case_team=False)
def _vary_dpo(s: CaseState, cmd: VaryDpo, c: _Ctx) -> None:
    _delegate(c, "vary a DPO")
    _active_dpo(c, s, cmd.dpo_id)
    c.d.emit(DpoVaried, dpo_id=cmd.dpo_id, variation=cmd.variation)


@_handles(RevokeDpo, "T4", case_team=False)
def _revoke_dpo(s: CaseState, cmd: RevokeDpo, c: _Ctx) -> None:
    _delegate(c, "revoke a DPO")
    _active_dpo(c, s, cmd.dpo_id)
    c.d.emit(DpoRevoked, dpo_id=cmd.dpo_id, ground=cmd.ground)


@_handles(DecideDac, "T4", case_team=False)
def _dac(s: CaseState, cmd: DecideDac, c: _Ctx) -> None:
    _delegate(c, "decide a departure authorisation certificate")
    _active_dpo(c, s, cmd.dpo_id)
    c.d.require(
        cmd.returns_by > cmd.departs_on,
        "CMR-A2",
        "The return date is not after the departure date.",
        "Give the travel dates.",
    )
    if cmd.grant:
        c.d.emit(DacIssued, dpo_id=cmd.dpo_id, departs_on=cmd.departs_on, returns_by=cmd.returns_by)
    else:
        c.d.emit(DacRefused, dpo_id=cmd.dpo_id)


# -- Table 5: closing --
_OUTCOME_NEEDED: dict[str, Callable[[CaseState], bool]] = {
    "PAID_IN_FULL": lambda s: s.paid_in_full,
    "ACCEPTABLE_ARRANGEMENT_SUSTAINED": lambda s: s.arrangement == "ACCEPTABLE",
    "LITIGATION_REFERRAL_ACCEPTED": lambda s: s.litigation == "ACCEPTED",
    "RECOVERY_OPTIONS_EXHAUSTED": lambda s: any(x.code == "Q190" for x in s.letters),
    "UNASSIGNED_NOT_SUITABLE": lambda s: s.suitable is False,
}


@_handles(CloseCase, "T5.S1")
def _close(s: CaseState, cmd: CloseCase, c: _Ctx) -> None:
    d = c.d
    outcome = _OUTCOME_NEEDED.get(cmd.reason)
    achieved = outcome is None or outcome(s)
    d.require(
        achieved,
        "CMR-R18",
        f"The case has not reached the outcome '{cmd.reason.replace('_', ' ').lower()}'.",
        "Close the case once an outcome is achieved.",
    )
    if cmd.reason == "OTHER":
        d.require(
            bool(cmd.detail.strip()),
            "CMR-R18",
            "A closure for another reason needs the reason described.",
            "Describe the outcome achieved.",
        )
    d.require(
        not s.dpo_active,
        "CMR-R17",
        "A DPO is still in force; it must be revoked when the debt is paid, a satisfactory "
        "arrangement is made or the debt is irrecoverable.",
        "Have the delegate revoke the DPO first.",
    )
    d.emit(CaseClosureStarted, reason=cmd.reason, detail=cmd.detail)


def _step(c: _Ctx, s: CaseState, step: str) -> None:
    c.d.require(
        step not in s.closure_steps,
        "CMR-A1",
        f"The closing step {step.replace('_', ' ').lower()} is already done.",
        "Go on with the other closing steps.",
    )


@_handles(RunRecoveryOptionsExhaustedFastNote, "T5.S2", closing=True)
def _roe(s: CaseState, cmd: RunRecoveryOptionsExhaustedFastNote, c: _Ctx) -> None:
    c.d.require(
        s.closure_reason == "RECOVERY_OPTIONS_EXHAUSTED",
        "CMR-R18",
        "The Recovery Options Exhausted Fast Note is only for a case closed for that reason.",
        "Use the closing steps for this closure reason.",
    )
    _step(c, s, "ROE_FAST_NOTE")
    c.d.emit(
        RecoveryOptionsExhaustedRecorded,
        fast_note_ref=cmd.fast_note_ref,
        linked_activity_ref=cmd.linked_activity_ref,
    )


@_handles(ExpireDoaDoc, "T5.S3", closing=True)
def _expire_doa(s: CaseState, cmd: ExpireDoaDoc, c: _Ctx) -> None:
    _step(c, s, "DOA_DOC_EXPIRED")
    c.d.emit(DoaDocExpired, doc_id=s.doa_doc_id or "none recorded")


@_handles(EndCivilAction, "T5.S4", closing=True)
def _end_civil(s: CaseState, cmd: EndCivilAction, c: _Ctx) -> None:
    _step(c, s, "CIVIL_ACTION_ENDED")
    c.d.emit(CivilActionEnded, debt_ids=tuple(d.debt_id for d in s.debts if d.civil_action))


@_handles(EndOpcvCoding, "T5.S4", closing=True)
def _end_opcv(s: CaseState, cmd: EndOpcvCoding, c: _Ctx) -> None:
    _step(c, s, "OPCV_CODING_ENDED")
    # Even debts with a zero balance may still hold OPCV coding [S-CMR T5.S4].
    c.d.emit(OpcvCodingEnded, debt_ids=tuple(d.debt_id for d in s.debts if d.opcv_coded))


@_handles(UpdateWlmActorRelationship, "T5.S5", closing=True)
def _end_actor(s: CaseState, cmd: UpdateWlmActorRelationship, c: _Ctx) -> None:
    _step(c, s, "ACTOR_RELATIONSHIP_UPDATED")
    c.d.emit(ActorRelationshipEnded, allocation_group=s.allocation_group or "")


@_handles(FinaliseCaseFile, "T5.S6", closing=True)
def _finalise(s: CaseState, cmd: FinaliseCaseFile, c: _Ctx) -> None:
    _step(c, s, "CASE_FILE_FINALISED")
    c.d.emit(CaseFileFinalised, location="case file" if s.case_file else "no case file")


@_handles(CompleteClosure, "T5", closing=True)
def _complete(s: CaseState, cmd: CompleteClosure, c: _Ctx) -> None:
    needed = list(CLOSURE_STEPS)
    if s.closure_reason == "RECOVERY_OPTIONS_EXHAUSTED":
        needed.insert(0, "ROE_FAST_NOTE")
    missing = [step for step in needed if step not in s.closure_steps]
    c.d.require(
        not missing,
        "CMR-R18",
        "The closure is not complete: "
        + ", ".join(m.replace("_", " ").lower() for m in missing)
        + " still to do.",
        "Complete those closing steps first.",
    )
    assert s.closure_reason is not None
    c.d.emit(CaseClosed, reason=s.closure_reason, completed_steps=tuple(needed))


@_handles(ArchiveCase, "T5", case_team=True)
def _archive(s: CaseState, cmd: ArchiveCase, c: _Ctx) -> None:
    c.d.require(s.status == "CLOSED", "CMR-A1", "Only a closed case is archived.", "Close it.")
    c.d.require(
        not s.archive_requested,
        "CMR-A1",
        "Archiving was already referred to the positional mailbox.",
        "Wait for the mailbox's decision.",
    )
    if s.team == "SRT":
        c.d.emit(CaseArchived)
    else:
        c.d.emit(ArchiveConsiderationRequested, mailbox=cmd.mailbox)


# -- vulnerability flags --
@_handles(RecordVulnerabilityFlag, "X-R2")
def _flag(s: CaseState, cmd: RecordVulnerabilityFlag, c: _Ctx) -> None:
    c.d.require(
        all(f.flag_id != cmd.flag_id for f in s.flags),
        "CMR-A2",
        f"Flag id {cmd.flag_id} is in use.",
        "Give the flag its own id.",
    )
    c.d.emit(
        VulnerabilityFlagRecorded,
        flag_id=cmd.flag_id,
        kind=cmd.kind,
        source=cmd.source,
        referral=cmd.referral,
        incident_ref=cmd.incident_ref,
    )


@_handles(ClearVulnerabilityFlag, "X-R3", case_team=False)
def _clear_flag(s: CaseState, cmd: ClearVulnerabilityFlag, c: _Ctx) -> None:
    flag = next((f for f in s.flags if f.flag_id == cmd.flag_id), None)
    c.d.require(flag is not None, "CMR-A1", f"No flag {cmd.flag_id} is in force.", "None.")
    assert flag is not None
    if flag.kind not in ENFORCEMENT_FLAGS:
        if cmd.actor.role not in c.config.flag_clearing_roles:
            _assigned(c.d, s)
    else:
        _role(
            c.d,
            c.config.flag_clearing_roles,
            (flag.kind == "SUICIDE_SELF_HARM" and "X-R3") or "X-R4",
            "clear this flag",
        )
    _reasons(c.d, "CMR-A8", "clear the flag")
    c.d.emit(VulnerabilityFlagCleared, flag_id=cmd.flag_id)


# -- evolve --
_Evolver: TypeAlias = Callable[[CaseState, Any], dict[str, Any]]
_EVOLVERS = Evolvers[CaseState]()
_on = _EVOLVERS.on
_LETTERS_TO_CUSTOMER = frozenset(
    {"CONTACT", "FINAL_OPTION", "DPO_WARNING", "DATA_MATCH_NOTIFICATION"}
)


def evolve(state: CaseState | None, event: DomainEvent) -> CaseState:
    """Fold one recorded event into the case. Total: never validates, never refuses."""
    if isinstance(event, CaseAllocated):
        return CaseState(
            id=event.originator_id,
            version=event.originator_version,
            crn=event.crn,
            customer=event.customer,
            team=event.team,
            case_manager_id=event.case_manager_id,
            allocation_group=event.allocation_group,
            sms_subscribed=event.sms_subscribed,
            debts=event.debts,
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} cannot start a case history")
    return _EVOLVERS.apply(state, event)


def fold(events: Iterable[DomainEvent], state: CaseState | None = None) -> CaseState | None:
    """Replay ``events`` (a snapshot may come first) into the case's state."""
    return replay(evolve, events, state)


def _local(event: DomainEvent) -> date:
    return event.occurred_at.date()


@_on(SuitabilityAssessed)
def _e_suitability(s: CaseState, e: SuitabilityAssessed) -> dict[str, Any]:
    return {"suitable": e.suitable, "stage": "ENGAGEMENT" if e.suitable else s.stage}


@_on(CustomerUnassigned)
def _e_unassigned(s: CaseState, e: CustomerUnassigned) -> dict[str, Any]:
    return {"status": "UNASSIGNED"}


@_on(DoaDocCreated)
def _e_doa(s: CaseState, e: DoaDocCreated) -> dict[str, Any]:
    return {"doa_doc_id": e.doc_id, "doa_doc_expires_on": e.expires_on}


@_on(ActorRelationshipApplied)
def _e_actor(s: CaseState, e: ActorRelationshipApplied) -> dict[str, Any]:
    return {"actor_relationship": True, "allocation_group": e.allocation_group}


@_on(CaseFileCreated)
def _e_case_file(s: CaseState, e: CaseFileCreated) -> dict[str, Any]:
    return {"case_file": True}


@_on(CaseFileDocumentAdded)
def _e_document(s: CaseState, e: CaseFileDocumentAdded) -> dict[str, Any]:
    return {"documents": (*s.documents, e.name)}


@_on(RecordReviewed)
def _e_reviewed(s: CaseState, e: RecordReviewed) -> dict[str, Any]:
    return {"record_reviewed": True}


@_on(PreCallSmsSent)
def _e_sms(s: CaseState, e: PreCallSmsSent) -> dict[str, Any]:
    contact = ContactRecord(at=e.occurred_at, channel="SMS", actual=True)
    return {"pre_call_sms_pending": True, "contacts": (*s.contacts, contact)}


@_on(ContactAttempted)
def _e_contact(s: CaseState, e: ContactAttempted) -> dict[str, Any]:
    contact = ContactRecord(at=e.occurred_at, channel=e.channel, actual=e.actual_contact)
    changes: dict[str, Any] = {"contacts": (*s.contacts, contact)}
    if e.channel == "PHONE":
        changes["pre_call_sms_pending"] = False
    return changes


@_on(LetterIssued)
def _e_letter(s: CaseState, e: LetterIssued) -> dict[str, Any]:
    letter = LetterRecord(
        letter_id=e.letter_id,
        code=e.code,
        purpose=e.purpose,
        issued_on=_local(e),
        respond_by=e.respond_by,
        garnishee_warning=e.counts_as_garnishee_warning,
        tracking_id=e.tracking_id,
        employment_lead_id=e.employment_lead_id,
    )
    changes: dict[str, Any] = {"letters": (*s.letters, letter)}
    if e.purpose in _LETTERS_TO_CUSTOMER:
        contact = ContactRecord(at=e.occurred_at, channel="LETTER", actual=True)
        changes["contacts"] = (*s.contacts, contact)
    if e.code == "Q289" and e.employment_lead_id:
        changes["employment_leads"] = _update_lead(s, e.employment_lead_id, q289_issued=True)
    if e.code == "Q609" and e.employment_lead_id:
        changes["employment_leads"] = _update_lead(s, e.employment_lead_id, q609_on=_local(e))
    if e.purpose == "DPO_WARNING":
        changes["stage"] = "DPO_TRACK"
    elif e.purpose in ("THIRD_PARTY_NOTICE", "EMPLOYER_REQUEST", "DATA_MATCH_NOTIFICATION"):
        changes["stage"] = "INVESTIGATION"
    return changes


def _update_lead(s: CaseState, lead_id: str, **update: Any) -> tuple[EmploymentLead, ...]:
    return tuple(
        lead.model_copy(update=update) if lead.lead_id == lead_id else lead
        for lead in s.employment_leads
    )


def _update_garnishee(s: CaseState, garnishee_id: str, **update: Any) -> tuple[Garnishee, ...]:
    return tuple(
        g.model_copy(update=update) if g.garnishee_id == garnishee_id else g for g in s.garnishees
    )


@_on(DebtDiscussed)
def _e_discussed(s: CaseState, e: DebtDiscussed) -> dict[str, Any]:
    if e.garnishee_warning_given:
        return {"verbal_warnings": (*s.verbal_warnings, _local(e))}
    return {}


@_on(RecoveryPaused)
def _e_paused(s: CaseState, e: RecoveryPaused) -> dict[str, Any]:
    return {"pauses": (*s.pauses, Pause(pause_id=e.pause_id, debt_ids=e.debt_ids, reason=e.reason))}


@_on(RecoveryResumed)
def _e_resumed(s: CaseState, e: RecoveryResumed) -> dict[str, Any]:
    return {"pauses": tuple(p for p in s.pauses if p.pause_id != e.pause_id)}


@_on(FinancialCircumstancesAssessed)
def _e_fca(s: CaseState, e: FinancialCircumstancesAssessed) -> dict[str, Any]:
    fca = Fca(
        fca_id=e.fca_id,
        assessed_on=e.assessed_on,
        excess_income_per_fortnight=e.excess_income_per_fortnight,
        financial_hardship=e.financial_hardship,
    )
    return {"fca": fca}


@_on(ArrangementAgreed)
def _e_arrangement(s: CaseState, e: ArrangementAgreed) -> dict[str, Any]:
    return {"arrangement": e.kind, "refused": False, "stage": "IN_ARRANGEMENT"}


@_on(ArrangementBroken)
def _e_broken(s: CaseState, e: ArrangementBroken) -> dict[str, Any]:
    return {"arrangement": None, "refused": True, "stage": "INVESTIGATION"}


@_on(CallbackAgreed)
def _e_callback(s: CaseState, e: CallbackAgreed) -> dict[str, Any]:
    return {"callback_on": e.callback_on}


@_on(ArrangementRefused)
def _e_refused(s: CaseState, e: ArrangementRefused) -> dict[str, Any]:
    return {"refused": True, "refusal_retracted": False, "stage": "INVESTIGATION"}


@_on(RefusalRetracted)
def _e_retracted(s: CaseState, e: RefusalRetracted) -> dict[str, Any]:
    return {"refused": False, "refusal_retracted": True, "stage": "ENGAGEMENT"}


@_on(ArrangementDeemedUnreasonable)
def _e_unreasonable(s: CaseState, e: ArrangementDeemedUnreasonable) -> dict[str, Any]:
    return {"deemed_unreasonable": True, "refusal_retracted": False}


@_on(FinancialInstitutionLeadFound)
def _e_fi_lead(s: CaseState, e: FinancialInstitutionLeadFound) -> dict[str, Any]:
    return {"fi_leads": (*s.fi_leads, e.account_ref), "stage": "INVESTIGATION"}


@_on(EmploymentLeadFound)
def _e_employment(s: CaseState, e: EmploymentLeadFound) -> dict[str, Any]:
    lead = EmploymentLead(lead_id=e.lead_id, source=e.source)
    return {"employment_leads": (*s.employment_leads, lead), "stage": "INVESTIGATION"}


@_on(EmployerContactAttempted)
def _e_employer(s: CaseState, e: EmployerContactAttempted) -> dict[str, Any]:
    lead = s.lead(e.lead_id)
    attempts = (*(lead.employer_attempts if lead else ()), _local(e))
    contact = ContactRecord(
        at=e.occurred_at, channel="PHONE", actual=e.outcome == "CUSTOMER_REACHED"
    )
    return {
        "employment_leads": _update_lead(s, e.lead_id, employer_attempts=attempts),
        "contacts": (*s.contacts, contact),
    }


@_on(GarnisheeAssessed)
def _e_assessed(s: CaseState, e: GarnisheeAssessed) -> dict[str, Any]:
    g = Garnishee(
        garnishee_id=e.garnishee_id,
        kind=e.kind,
        debt_ids=e.debt_ids,
        appropriate=e.appropriate,
        failed_checks=e.failed_checks,
        exclusions=e.exclusions,
        assessed_on=_local(e),
    )
    return {"garnishees": (*s.garnishees, g), "stage": "ENFORCEMENT"}


@_on(GarnisheeSubmitted)
def _e_submitted(s: CaseState, e: GarnisheeSubmitted) -> dict[str, Any]:
    return {"garnishees": _update_garnishee(s, e.garnishee_id, submitted_by=e.actor.staff_id)}


@_on(GarnisheeApproved)
def _e_approved(s: CaseState, e: GarnisheeApproved) -> dict[str, Any]:
    return {"garnishees": _update_garnishee(s, e.garnishee_id, decision="APPROVED")}


@_on(GarnisheeRejected)
def _e_rejected(s: CaseState, e: GarnisheeRejected) -> dict[str, Any]:
    return {"garnishees": _update_garnishee(s, e.garnishee_id, decision="REJECTED")}


@_on(DebtRedressCheckActioned)
def _e_redress(s: CaseState, e: DebtRedressCheckActioned) -> dict[str, Any]:
    update = {"redress_check_id": e.check_id, "redress_result": e.result, "redress_approved": False}
    return {"garnishees": _update_garnishee(s, e.garnishee_id, **update)}


@_on(DebtRedressCheckApproved)
def _e_redress_ok(s: CaseState, e: DebtRedressCheckApproved) -> dict[str, Any]:
    return {"garnishees": _update_garnishee(s, e.garnishee_id, redress_approved=True)}


@_on(GarnisheePlaced)
def _e_placed(s: CaseState, e: GarnisheePlaced) -> dict[str, Any]:
    return {"garnishees": _update_garnishee(s, e.garnishee_id, placed_on=e.notice_date)}


@_on(GarnisheeRemittanceRecorded)
def _e_remittance(s: CaseState, e: GarnisheeRemittanceRecorded) -> dict[str, Any]:
    return {}


@_on(DebtPaidInFull)
def _e_paid(s: CaseState, e: DebtPaidInFull) -> dict[str, Any]:
    return {"paid_in_full": True}


@_on(PropertySearchRecorded)
def _e_property(s: CaseState, e: PropertySearchRecorded) -> dict[str, Any]:
    return {"property_searches": (*s.property_searches, e.state)}


@_on(LitigationReferralSent)
def _e_litigation(s: CaseState, e: LitigationReferralSent) -> dict[str, Any]:
    return {"litigation": "SENT", "stage": "LITIGATION_REFERRED"}


@_on(LitigationReferralAccepted)
def _e_litigation_ok(s: CaseState, e: LitigationReferralAccepted) -> dict[str, Any]:
    return {"litigation": "ACCEPTED"}


@_on(LitigationReferralDeclined)
def _e_litigation_no(s: CaseState, e: LitigationReferralDeclined) -> dict[str, Any]:
    return {"litigation": "DECLINED", "stage": "INVESTIGATION"}


@_on(TravelPatternAssessed)
def _e_travel(s: CaseState, e: TravelPatternAssessed) -> dict[str, Any]:
    return {"travel_pattern_found": e.pattern_found}


@_on(DpoReferralMade)
def _e_dpo_referral(s: CaseState, e: DpoReferralMade) -> dict[str, Any]:
    return {"dpo_referred": True, "stage": "DPO_TRACK"}


def _warning_delivered(s: CaseState, letter_id: str, delivered: bool) -> dict[str, Any]:
    letters = tuple(
        x.model_copy(update={"delivered": delivered}) if x.letter_id == letter_id else x
        for x in s.letters
    )
    return {"letters": letters}


@_on(DpoWarningDelivered)
def _e_delivered(s: CaseState, e: DpoWarningDelivered) -> dict[str, Any]:
    return _warning_delivered(s, e.letter_id, True)


@_on(DpoWarningNotDelivered)
def _e_not_delivered(s: CaseState, e: DpoWarningNotDelivered) -> dict[str, Any]:
    return _warning_delivered(s, e.letter_id, False)


@_on(DpoMade)
def _e_dpo(s: CaseState, e: DpoMade) -> dict[str, Any]:
    return {"dpo_id": e.dpo_id, "dpo_active": True}


@_on(DpoRevoked)
def _e_dpo_revoked(s: CaseState, e: DpoRevoked) -> dict[str, Any]:
    return {"dpo_active": False}


@_on(CaseClosureStarted)
def _e_closing(s: CaseState, e: CaseClosureStarted) -> dict[str, Any]:
    return {"status": "CLOSING", "stage": "CLOSING", "closure_reason": e.reason}


def _did(step: str) -> _Evolver:
    def evolver(s: CaseState, e: Any) -> dict[str, Any]:
        return {"closure_steps": (*s.closure_steps, step)}

    return evolver


_on(RecoveryOptionsExhaustedRecorded)(_did("ROE_FAST_NOTE"))
_on(DoaDocExpired)(_did("DOA_DOC_EXPIRED"))
_on(CivilActionEnded)(_did("CIVIL_ACTION_ENDED"))
_on(OpcvCodingEnded)(_did("OPCV_CODING_ENDED"))
_on(ActorRelationshipEnded)(_did("ACTOR_RELATIONSHIP_UPDATED"))
_on(CaseFileFinalised)(_did("CASE_FILE_FINALISED"))


@_on(CaseClosed)
def _e_closed(s: CaseState, e: CaseClosed) -> dict[str, Any]:
    return {"status": "CLOSED", "stage": "CLOSED"}


@_on(CaseArchived, ArchiveConsiderationRequested)
def _e_archived(s: CaseState, e: CaseEvent) -> dict[str, Any]:
    return {"status": "ARCHIVED"} if isinstance(e, CaseArchived) else {"archive_requested": True}


@_on(VulnerabilityFlagRecorded)
def _e_flag(s: CaseState, e: VulnerabilityFlagRecorded) -> dict[str, Any]:
    return {"flags": (*s.flags, Flag(flag_id=e.flag_id, kind=e.kind))}


@_on(VulnerabilityFlagCleared)
def _e_flag_cleared(s: CaseState, e: VulnerabilityFlagCleared) -> dict[str, Any]:
    return {"flags": tuple(f for f in s.flags if f.flag_id != e.flag_id)}
