"""Events of the CaseManagedRecovery aggregate (procedure 107-20112320; domain reference 2.6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from recoverycore.events._envelope import (
    DomainEvent,
    Identifier,
    NonEmptyStr,
    PersonalStr,
    PersonalText,
)

__all__ = [
    "CASE_EVENT_TYPES",
    "PROCEDURE",
    "ActorRelationshipApplied",
    "ActorRelationshipEnded",
    "AllocationSource",
    "ArchiveConsiderationRequested",
    "ArrangementAgreed",
    "ArrangementBroken",
    "ArrangementDeemedUnreasonable",
    "ArrangementRefused",
    "AustralianState",
    "CallbackAgreed",
    "CaseAllocated",
    "CaseArchived",
    "CaseClosed",
    "CaseClosureStarted",
    "CaseEvent",
    "CaseFileCreated",
    "CaseFileDocumentAdded",
    "CaseFileFinalised",
    "CivilActionEnded",
    "ClosureReason",
    "ContactAttempted",
    "ContactChannel",
    "ContactOutcome",
    "CustomerName",
    "CustomerUnassigned",
    "DacIssued",
    "DacRefused",
    "DayCount",
    "DayUnit",
    "Debt",
    "DebtDiscussed",
    "DebtLegislation",
    "DebtPaidInFull",
    "DebtRedressCheckActioned",
    "DebtRedressCheckApproved",
    "DoaDocCreated",
    "DoaDocExpired",
    "DpoConsiderations",
    "DpoMade",
    "DpoNotified",
    "DpoReferralMade",
    "DpoRevoked",
    "DpoVaried",
    "DpoWarningDelivered",
    "DpoWarningNotDelivered",
    "EmployerContactAttempted",
    "EmploymentLeadFound",
    "EquifaxSearchRecorded",
    "FieRequestSent",
    "FinancialCircumstancesAssessed",
    "FinancialInstitutionLeadFound",
    "GarnisheeApproved",
    "GarnisheeAssessed",
    "GarnisheeChecklist",
    "GarnisheeKind",
    "GarnisheePlaced",
    "GarnisheeRejected",
    "GarnisheeRemittanceRecorded",
    "GarnisheeSubmitted",
    "LetterCode",
    "LetterIssued",
    "LetterPurpose",
    "LitigationReferralAccepted",
    "LitigationReferralDeclined",
    "LitigationReferralSent",
    "OpcvCodingEnded",
    "PauseReason",
    "PreCallSmsBlocked",
    "PreCallSmsSent",
    "PropertySearchRecorded",
    "RecordReviewed",
    "RecoveryOptionsExhaustedRecorded",
    "RecoveryPaused",
    "RecoveryResumed",
    "RefusalRetracted",
    "ReturnedCorrespondenceProcessed",
    "ReviewRequested",
    "SituationalHardshipSmsExcluded",
    "SuitabilityAssessed",
    "Team",
    "TravelPatternAssessed",
    "VulnerabilityFlagCleared",
    "VulnerabilityFlagRecorded",
    "VulnerabilityKind",
]


PROCEDURE = "107-20112320"

Team = Literal["SRT", "TRT"]
AllocationSource = Literal["INDIVIDUAL", "WLM_READY"]
DebtLegislation = Literal[
    "SOCIAL_SECURITY",
    "FAMILY_ASSISTANCE",
    "PGPA",
    "FMA",
    "NDIS_SELF_MANAGED",
    "CHILD_SUPPORT",
    "OTHER",
]
LetterCode = Literal["Q164", "Q190", "QSS40", "Q289", "Q609"]
LetterPurpose = Literal[
    "CONTACT",
    "FINAL_OPTION",
    "DPO_WARNING",
    "THIRD_PARTY_NOTICE",
    "DATA_MATCH_NOTIFICATION",
    "EMPLOYER_REQUEST",
]
DayUnit = Literal["CALENDAR", "BUSINESS"]
ContactChannel = Literal["PHONE", "SMS", "VOICEMAIL", "LETTER", "EMAIL", "FACE_TO_FACE"]
ContactOutcome = Literal[
    "NO_ANSWER", "VOICEMAIL", "ENGAGED", "WRONG_NUMBER", "CALLBACK_REQUESTED", "REFUSED"
]
VulnerabilityKind = Literal[
    "SUICIDE_SELF_HARM", "FDV_IMMEDIATE_THREAT", "FDV", "HARDSHIP", "DISASTER", "OTHER"
]
PauseReason = Literal[
    "EXPLANATION",
    "REVIEW",
    "REASSESSMENT",
    "ART_REVIEW",
    "DISASTER",
    "VULNERABILITY",
    "REDRESS",
]
GarnisheeKind = Literal["FI", "WAGE", "OTHER"]
ClosureReason = Literal[
    "PAID_IN_FULL",
    "RECOVERY_OPTIONS_EXHAUSTED",
    "ACCEPTABLE_ARRANGEMENT_SUSTAINED",
    "LITIGATION_REFERRAL_ACCEPTED",
    "WRITTEN_OFF",
    "WAIVED",
    "DECEASED_NO_ESTATE",
    "BANKRUPT",
    "UNASSIGNED_NOT_SUITABLE",
    "OTHER",
]
AustralianState = Literal["NSW", "VIC", "QLD", "WA", "SA", "TAS", "ACT", "NT"]


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DayCount(_Value):
    """A number of days with its unit made explicit: calendar or business days."""

    days: int = Field(ge=0)
    unit: DayUnit = "CALENDAR"


class CustomerName(_Value):
    surname: PersonalStr
    first_name: PersonalStr


class Debt(_Value):
    """One debt on the case, with what decides whether enforcement may touch it."""

    debt_id: Identifier
    balance: Decimal
    legislation: DebtLegislation = "SOCIAL_SECURITY"
    due_and_payable: bool = True
    civil_action: bool = False
    opcv_coded: bool = True


class GarnisheeChecklist(_Value):
    """The garnishee preconditions of [OB-GAR] (CMR-R10), as assessed by the case manager."""

    debts_due_and_payable: bool
    employment_or_bank_details_verified: bool
    bank_balance: Decimal | None = None
    reasonable_contact_effort: bool
    letter_periods_expired: bool
    fca_excess_income_per_fortnight: Decimal | None = None
    causes_financial_hardship: bool
    failed_or_broke_reasonable_arrangement_or_nondisclosure: bool
    continuing_income: bool = False
    superannuation: bool = False
    bankrupt: bool = False
    nls_write_off: bool = False
    declared_disaster_area: bool = False
    vulnerabilities_considered: bool


class DpoConsiderations(_Value):
    """What the delegate must have regard to before making a DPO (SSAct s.1240)."""

    capacity_to_pay: PersonalStr
    recovery_actions_and_outcomes: PersonalStr
    time_unpaid: PersonalStr
    other_matters: PersonalText = ""


class CaseEvent(DomainEvent):
    """Base of the CaseManagedRecovery's events."""

    aggregate_type: ClassVar[str] = "CaseManagedRecovery"


# -- Table 1: new case --
class CaseAllocated(CaseEvent):
    crn: PersonalStr
    customer: CustomerName
    team: Team
    case_manager_id: NonEmptyStr
    allocation_source: AllocationSource
    allocation_group: str | None = None
    debts: tuple[Debt, ...]
    sms_subscribed: bool = False


class SuitabilityAssessed(CaseEvent):
    is_decision: ClassVar[bool] = True
    suitable: bool
    benefit_status: PersonalStr
    permanently_written_off: bool
    outstanding_balance: Decimal
    already_case_managed_elsewhere: bool
    discussed_with_ol: str | None = None


class CustomerUnassigned(CaseEvent):
    is_decision: ClassVar[bool] = True
    discussed_with: NonEmptyStr


class DoaDocCreated(CaseEvent):
    doc_id: NonEmptyStr
    service_reason: Literal["DMN"] = "DMN"
    who: Literal["CSO"] = "CSO"
    source: Literal["INT"] = "INT"
    channel: Literal["INT"] = "INT"
    doc_type: Literal["SCC"] = "SCC"
    receipt_date: date
    expires_on: date
    ext_detail: Literal["DO NOT DISCUSS DEBT RECOVERY"] = "DO NOT DISCUSS DEBT RECOVERY"
    transfer_to: NonEmptyStr


class ActorRelationshipApplied(CaseEvent):
    allocation_group: NonEmptyStr
    case_manager_id: NonEmptyStr


class CaseFileCreated(CaseEvent):
    location: PersonalStr


class CaseFileDocumentAdded(CaseEvent):
    name: PersonalStr
    document_type: Literal[
        "SEARCH_RESULT",
        "CHECKLIST",
        "GARNISHEE_SUBMISSION",
        "LETTER_OF_DEMAND_SUBMISSION",
        "BRIEF",
        "CORRESPONDENCE",
        "REFERRAL",
    ]


class SituationalHardshipSmsExcluded(CaseEvent):
    attribute: Literal["XCSHSMS"] = "XCSHSMS"


# -- Table 2: outbound contact and discussion --
class RecordReviewed(CaseEvent):
    capacity_indicators: tuple[PersonalText, ...] = ()


class PreCallSmsSent(CaseEvent):
    mobile_number_hash: PersonalText


class PreCallSmsBlocked(CaseEvent):
    rule_id: str
    detail: str


class ContactAttempted(CaseEvent):
    attempt_no: int
    channel: ContactChannel
    number: PersonalText = ""
    outcome: ContactOutcome
    actual_contact: bool
    voicemail_left: bool = False
    note: PersonalStr
    representative_id: str = ""
    """The customer's representative contacted instead of the customer (X-R13)."""


class LetterIssued(CaseEvent):
    letter_id: NonEmptyStr
    code: LetterCode
    purpose: LetterPurpose
    address: PersonalStr
    address_confirmed: bool
    privacy_safeguarded: bool
    response_period: DayCount
    respond_by: date
    counts_as_garnishee_warning: bool
    legislation_cited: str = ""
    attention: str = ""
    marking: str = ""
    tracking_id: str = ""
    employment_lead_id: str = ""
    debt_ids: tuple[str, ...] = ()


class DebtDiscussed(CaseEvent):
    direction: Literal["INBOUND", "OUTBOUND"]
    identity_confirmed: bool
    customer_queried_debt: bool = False
    garnishee_warning_given: bool = False
    summary: PersonalStr


class ReviewRequested(CaseEvent):
    debt_ids: tuple[str, ...]
    kind: Literal["EXPLANATION", "REVIEW", "REASSESSMENT", "ART_REVIEW"]


class RecoveryPaused(CaseEvent):
    is_decision: ClassVar[bool] = True
    pause_id: NonEmptyStr
    debt_ids: tuple[str, ...]
    reason: PauseReason


class RecoveryResumed(CaseEvent):
    is_decision: ClassVar[bool] = True
    pause_id: NonEmptyStr


class FinancialCircumstancesAssessed(CaseEvent):
    fca_id: NonEmptyStr
    assessed_on: date
    excess_income_per_fortnight: Decimal
    financial_hardship: bool


class ArrangementAgreed(CaseEvent):
    kind: Literal["ACCEPTABLE", "INTERIM"]
    amount: Decimal
    frequency: Literal["WEEKLY", "FORTNIGHTLY", "MONTHLY"]
    fca_id: str = ""


class ArrangementBroken(CaseEvent):
    detail: PersonalStr


class CallbackAgreed(CaseEvent):
    callback_on: date


class ArrangementRefused(CaseEvent):
    detail: PersonalStr


class RefusalRetracted(CaseEvent):
    detail: PersonalStr


class ArrangementDeemedUnreasonable(CaseEvent):
    is_decision: ClassVar[bool] = True


# -- Table 3: other searches and enforcement --
class FinancialInstitutionLeadFound(CaseEvent):
    institution: NonEmptyStr
    account_ref: PersonalStr
    balance: Decimal | None = None


class FieRequestSent(CaseEvent):
    institution: Literal["Commonwealth Bank"] = "Commonwealth Bank"
    account_ref: PersonalStr


class EmploymentLeadFound(CaseEvent):
    lead_id: NonEmptyStr
    employer_name: PersonalStr
    source: Literal["DATA_MATCH_STP", "DATA_MATCH_TDF", "CUSTOMER_RECORD", "OTHER"]
    relates_to: Literal["CUSTOMER"] = "CUSTOMER"


class EmployerContactAttempted(CaseEvent):
    lead_id: NonEmptyStr
    attempt_no: int
    outcome: Literal["CUSTOMER_REACHED", "NOT_REACHED"]
    note: PersonalStr


class ReturnedCorrespondenceProcessed(CaseEvent):
    outcome: Literal["NEW_CONTACT_DETAILS", "EMPLOYMENT", "FI_RELATIONSHIP", "NOTHING_NEW"]
    detail: PersonalText = ""


class GarnisheeAssessed(CaseEvent):
    garnishee_id: NonEmptyStr
    kind: GarnisheeKind
    debt_ids: tuple[str, ...]
    checklist: GarnisheeChecklist
    appropriate: bool
    failed_checks: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()


class GarnisheeSubmitted(CaseEvent):
    garnishee_id: NonEmptyStr
    garnishee_party: PersonalStr
    submission_doc_name: PersonalStr
    submitted_to: NonEmptyStr


class GarnisheeApproved(CaseEvent):
    is_decision: ClassVar[bool] = True
    garnishee_id: NonEmptyStr
    self_approved: bool


class GarnisheeRejected(CaseEvent):
    is_decision: ClassVar[bool] = True
    garnishee_id: NonEmptyStr


class DebtRedressCheckActioned(CaseEvent):
    garnishee_id: NonEmptyStr
    check_id: NonEmptyStr
    result: Literal["CLEAR", "NOT_CLEAR"]
    notes: PersonalText = ""


class DebtRedressCheckApproved(CaseEvent):
    is_decision: ClassVar[bool] = True
    garnishee_id: NonEmptyStr
    check_id: NonEmptyStr


class GarnisheePlaced(CaseEvent):
    garnishee_id: NonEmptyStr
    notice_date: date
    amount_mode: Literal["AMOUNT", "AMOUNT_PER_PAYMENT", "PERCENTAGE_PER_PAYMENT"]
    amount: Decimal
    payment_not_before: date
    warning_relied_on: NonEmptyStr


class GarnisheeRemittanceRecorded(CaseEvent):
    garnishee_id: NonEmptyStr
    amount: Decimal
    received_on: date
    remaining_balance: Decimal


class DebtPaidInFull(CaseEvent):
    paid_on: date


class PropertySearchRecorded(CaseEvent):
    provider: Literal["RP_DATA"] = "RP_DATA"
    state: AustralianState
    successful: bool
    property_details: PersonalText = ""
    saved_doc_name: PersonalStr


class EquifaxSearchRecorded(CaseEvent):
    successful: bool
    new_information: PersonalText = ""
    saved_doc_name: PersonalStr


class LitigationReferralSent(CaseEvent):
    debt_ids: tuple[str, ...] = ()
    referral_doc_name: PersonalStr
    sent_to: Literal["POSITIONAL_MAILBOX", "OPERATIONAL_LEADER"]


class LitigationReferralAccepted(CaseEvent):
    is_decision: ClassVar[bool] = True


class LitigationReferralDeclined(CaseEvent):
    is_decision: ClassVar[bool] = True


class TravelPatternAssessed(CaseEvent):
    evidence: tuple[PersonalText, ...]
    pattern_found: bool


class DpoReferralMade(CaseEvent):
    referral_to: NonEmptyStr


# -- Table 4: SRT Officer, DPO --
class DpoWarningDelivered(CaseEvent):
    letter_id: NonEmptyStr
    tracking_id: NonEmptyStr
    checked_on: date


class DpoWarningNotDelivered(CaseEvent):
    letter_id: NonEmptyStr
    tracking_id: NonEmptyStr
    checked_on: date
    tracking_status: NonEmptyStr


class DpoMade(CaseEvent):
    is_decision: ClassVar[bool] = True
    dpo_id: NonEmptyStr
    debt_ids: tuple[str, ...]
    considerations: DpoConsiderations
    made_on: date


class DpoNotified(CaseEvent):
    dpo_id: NonEmptyStr
    recipients: tuple[str, ...]


class DpoVaried(CaseEvent):
    is_decision: ClassVar[bool] = True
    dpo_id: NonEmptyStr
    variation: PersonalStr


class DpoRevoked(CaseEvent):
    is_decision: ClassVar[bool] = True
    dpo_id: NonEmptyStr
    ground: Literal["PAID", "SATISFACTORY_ARRANGEMENT", "IRRECOVERABLE", "DISCRETION"]


class DacIssued(CaseEvent):
    is_decision: ClassVar[bool] = True
    dpo_id: NonEmptyStr
    departs_on: date
    returns_by: date


class DacRefused(CaseEvent):
    is_decision: ClassVar[bool] = True
    dpo_id: NonEmptyStr


# -- Table 5: closing --
class CaseClosureStarted(CaseEvent):
    reason: ClosureReason
    detail: PersonalText = ""


class RecoveryOptionsExhaustedRecorded(CaseEvent):
    fast_note_ref: NonEmptyStr
    linked_activity_ref: NonEmptyStr


class DoaDocExpired(CaseEvent):
    doc_id: NonEmptyStr


class CivilActionEnded(CaseEvent):
    debt_ids: tuple[str, ...]


class OpcvCodingEnded(CaseEvent):
    debt_ids: tuple[str, ...]


class ActorRelationshipEnded(CaseEvent):
    allocation_group: str = ""


class CaseFileFinalised(CaseEvent):
    location: NonEmptyStr
    """``case file`` or ``no case file`` (recorded by the aggregate, not written by an officer)."""


class CaseClosed(CaseEvent):
    reason: ClosureReason
    completed_steps: tuple[str, ...]


class CaseArchived(CaseEvent):
    pass


class ArchiveConsiderationRequested(CaseEvent):
    mailbox: NonEmptyStr


# -- safeguards --
class VulnerabilityFlagRecorded(CaseEvent):
    flag_id: NonEmptyStr
    kind: VulnerabilityKind
    source: PersonalStr
    referral: PersonalText = ""
    incident_ref: str = ""


class VulnerabilityFlagCleared(CaseEvent):
    is_decision: ClassVar[bool] = True
    flag_id: NonEmptyStr


CASE_EVENT_TYPES: tuple[type[CaseEvent], ...] = tuple(
    cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, CaseEvent) and cls is not CaseEvent
)
"""Every event type the CaseManagedRecovery records."""
