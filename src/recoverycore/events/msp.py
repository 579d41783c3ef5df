"""Events of the ManagedServicePlan aggregate (procedure 104-07050030; domain reference 1.7)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from recoverycore.events._envelope import (
    MAX_INT,
    DomainEvent,
    Identifier,
    LocalDatetime,
    NonEmptyStr,
    OptionalPersonal,
    PersonalStr,
    PersonalText,
)

__all__ = [
    "MSP_EVENT_TYPES",
    "Behaviour",
    "CallOutcome",
    "CallTopic",
    "ContactChannel",
    "ContactPoint",
    "CustomerAggressionLetterSent",
    "CustomerContactDetails",
    "DeliveryMethod",
    "IncidentRef",
    "LetterPolicyVersion",
    "MspApproved",
    "MspContactAttempted",
    "MspContactCardIssued",
    "MspCustomerInformed",
    "MspDirectContactWaived",
    "MspEnded",
    "MspEvent",
    "MspExpired",
    "MspExtended",
    "MspIncidentLinked",
    "MspLetterAttached",
    "MspLetterDelivered",
    "MspLetterHandedByPolice",
    "MspLetterReturnedToSender",
    "MspLetterSent",
    "MspNoteAdded",
    "MspOneOffVariationGranted",
    "MspRecorded",
    "MspRejected",
    "MspRepresentativeContacted",
    "MspReviewInvitationSent",
    "MspReviewed",
    "MspSmsBlocked",
    "MspSmsSent",
    "MspType",
    "MspVaried",
    "MspVulnerabilityFlagCleared",
    "MspVulnerabilityFlagRecorded",
    "MspWithdrawn",
    "MultiRecordCheck",
    "PersonContacted",
    "Program",
    "Restriction",
    "RestrictionKind",
    "ReviewOutcome",
    "SafetyFlag",
    "SmsReason",
]

PROCEDURE = "104-07050030"

Program = Literal["CENTRELINK", "MEDICARE", "CHILD_SUPPORT"]
MspType = Literal["REACTIVE", "PROACTIVE"]
RestrictionKind = Literal[
    "WRITE_ONLY",
    "FULL_FACE_TO_FACE",
    "PARTIAL_FACE_TO_FACE",
    "PROTECTION_ORDER_EXISTS",
    "PHONE_ONLY",
    "SINGLE_CONTACT_OMC_PSSO",
    "NONE",
]
CallOutcome = Literal["NO_ANSWER", "VOICEMAIL", "ENGAGED_SUCCESSFUL", "UNPRODUCTIVE", "AGGRESSION"]
CallTopic = Literal[
    "REASONS",
    "DURATION",
    "BEHAVIOURS",
    "RESTRICTIONS_AND_CONSEQUENCES",
    "ACCESS_METHOD",
    "OMC_PSSO_DETAILS",
    "CONTACT_DETAILS_CONFIRMED",
    "LETTER_AND_CARD_ADVISED",
]
PersonContacted = Literal["CUSTOMER", "POA", "NOMINEE", "PPE"]
SmsReason = Literal[
    "PHONE_UNREACHABLE",
    "CALL_UNPRODUCTIVE",
    "CONFIRMATION_BENEFICIAL",
    "PRELIMINARY_BEFORE_NEXT_DAY_CALL",
    "CAPTURE_OMC_PSSO_NUMBER",
]
SafetyFlag = Literal["SUICIDE_SELF_HARM", "FDV_IMMEDIATE_THREAT"]
DeliveryMethod = Literal[
    "PRIORITY",
    "PRIORITY_REGISTERED_PERSON_TO_PERSON",
    "STAFF_HAND_DELIVERY",
    "SECURITY_GUARD_HAND_DELIVERY",
]
LetterPolicyVersion = Literal["V1", "V2"]
ContactChannel = Literal["PHONE", "FACE_TO_FACE", "WRITING", "ONLINE"]
ReviewOutcome = Literal["CONTINUE_UNCHANGED", "VARY", "EXTEND", "END_EARLY"]


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IncidentRef(_Value):
    """An incident in CIMS (Centrelink) or CIRT (Medicare, Child Support)."""

    incident_id: Identifier
    system: Literal["CIMS", "CIRT"]
    involved_assault_or_stalking: bool = False


class Behaviour(_Value):
    """A behaviour taken into consideration: a short label and what actually happened."""

    label: PersonalStr
    description: PersonalText


class Restriction(_Value):
    kind: RestrictionKind
    scope: PersonalText = ""
    notes: PersonalText = ""


class ContactPoint(_Value):
    """The One Main Contact or Personalised Services Service Officer."""

    role: Literal["OMC", "PSSO"]
    staff_id: Identifier
    name: NonEmptyStr
    phone: NonEmptyStr


class CustomerContactDetails(_Value):
    preferred_method: ContactChannel
    phone: OptionalPersonal = None
    postal_address: OptionalPersonal = None


class MultiRecordCheck(_Value):
    """The check that the mobile number is not recorded on multiple records."""

    performed_at: LocalDatetime
    result: Literal["UNIQUE", "MULTIPLE"]


class MspEvent(DomainEvent):
    """Base of the ManagedServicePlan's events."""

    aggregate_type: ClassVar[str] = "ManagedServicePlan"


class MspRecorded(MspEvent):
    crn: PersonalStr
    program: Program
    msp_type: MspType
    triggering_incidents: tuple[IncidentRef, ...] = ()
    vulnerabilities: tuple[PersonalText, ...] = ()
    behaviours: tuple[Behaviour, ...]
    restrictions: tuple[Restriction, ...]
    start_date: date
    end_date: date
    duration_reasons: PersonalText
    alternatives_considered: PersonalText = ""
    omc_psso: ContactPoint
    customer_contact: CustomerContactDetails


class MspApproved(MspEvent):
    is_decision: ClassVar[bool] = True


class MspRejected(MspEvent):
    is_decision: ClassVar[bool] = True


class MspWithdrawn(MspEvent):
    is_decision: ClassVar[bool] = True


class MspContactAttempted(MspEvent):
    attempt_no: int
    channel: Literal["PHONE"] = "PHONE"
    number_called: PersonalStr
    person_contacted: PersonContacted = "CUSTOMER"
    outcome: CallOutcome
    topics_covered: tuple[CallTopic, ...] = ()
    note_text: PersonalStr


class MspRepresentativeContacted(MspEvent):
    representative_role: Literal["POA", "NOMINEE", "PPE"]
    representative_name: PersonalStr
    number_called: PersonalStr
    outcome: CallOutcome
    topics_covered: tuple[CallTopic, ...] = ()
    note_text: PersonalStr


class MspNoteAdded(MspEvent):
    note_type: Literal["CONTACT", "DECISION", "POLICE_DELIVERY", "OTHER"]
    text: PersonalStr


class MspCustomerInformed(MspEvent):
    informed_on: date
    channel: Literal["PHONE", "LETTER"]
    informed_person: PersonContacted


class MspDirectContactWaived(MspEvent):
    is_decision: ClassVar[bool] = True
    alternative: Literal["REPRESENTATIVE", "WRITTEN_ONLY"]


class MspIncidentLinked(MspEvent):
    incident: IncidentRef
    occurred_during: Literal["NOTIFICATION", "OTHER"]


class MspVulnerabilityFlagRecorded(MspEvent):
    flag: SafetyFlag
    source: PersonalStr


class MspVulnerabilityFlagCleared(MspEvent):
    is_decision: ClassVar[bool] = True
    flag: SafetyFlag


class MspSmsSent(MspEvent):
    reason_code: SmsReason
    mobile_number_hash: PersonalText
    multi_record_check: MultiRecordCheck
    smem_checked_at: LocalDatetime
    message_template_id: NonEmptyStr


class MspSmsBlocked(MspEvent):
    """An SMS was asked for but a safeguard stopped it; phone and letter notification apply."""

    reason_code: SmsReason
    rule_id: str
    detail: str


class MspContactCardIssued(MspEvent):
    omc_psso: ContactPoint
    issued_via: Literal["WITH_LETTER", "IN_PERSON", "POST"]


class MspLetterAttached(MspEvent):
    letter_id: NonEmptyStr
    letter_version: int = Field(ge=1, le=MAX_INT)
    approval_status: Literal["FINAL_APPROVED"] = "FINAL_APPROVED"


class MspLetterSent(MspEvent):
    letter_id: NonEmptyStr
    address: PersonalStr
    delivery_method: DeliveryMethod
    tracking_id: NonEmptyStr
    includes_contact_card: bool
    includes_review_rights: bool
    contact_invitations: tuple[ContactChannel, ...] = ()
    policy_version: LetterPolicyVersion


class MspLetterHandedByPolice(MspEvent):
    letter_id: NonEmptyStr
    police_station: NonEmptyStr
    police_officer: NonEmptyStr
    handed_at: LocalDatetime


class MspLetterDelivered(MspEvent):
    letter_id: NonEmptyStr
    tracking_id: NonEmptyStr
    outcome_at: LocalDatetime


class MspLetterReturnedToSender(MspEvent):
    letter_id: NonEmptyStr
    tracking_id: NonEmptyStr
    outcome_at: LocalDatetime
    rts_reason: PersonalStr


class MspOneOffVariationGranted(MspEvent):
    is_decision: ClassVar[bool] = True
    appointment_at: LocalDatetime
    site: NonEmptyStr
    purpose: PersonalStr


class MspReviewInvitationSent(MspEvent):
    letter_id: NonEmptyStr
    delivery_method: DeliveryMethod
    tracking_id: NonEmptyStr
    policy_version: LetterPolicyVersion


class MspReviewed(MspEvent):
    is_decision: ClassVar[bool] = True
    outcome: ReviewOutcome


class MspVaried(MspEvent):
    is_decision: ClassVar[bool] = True
    new_restrictions: tuple[Restriction, ...]


class MspExtended(MspEvent):
    is_decision: ClassVar[bool] = True
    new_end_date: date


class MspEnded(MspEvent):
    is_decision: ClassVar[bool] = True
    ended_on: date


class MspExpired(MspEvent):
    expired_on: date


class CustomerAggressionLetterSent(MspEvent):
    kind: Literal["BEHAVIOUR_WARNING", "RESTRICTION_REMINDER"]
    letter_id: NonEmptyStr
    delivery_method: DeliveryMethod
    tracking_id: NonEmptyStr
    includes_review_rights: bool
    contact_invitations: tuple[ContactChannel, ...] = ()
    policy_version: LetterPolicyVersion


MSP_EVENT_TYPES: tuple[type[MspEvent], ...] = (
    MspRecorded,
    MspApproved,
    MspRejected,
    MspWithdrawn,
    MspContactAttempted,
    MspRepresentativeContacted,
    MspNoteAdded,
    MspCustomerInformed,
    MspDirectContactWaived,
    MspIncidentLinked,
    MspVulnerabilityFlagRecorded,
    MspVulnerabilityFlagCleared,
    MspSmsSent,
    MspSmsBlocked,
    MspContactCardIssued,
    MspLetterAttached,
    MspLetterSent,
    MspLetterHandedByPolice,
    MspLetterDelivered,
    MspLetterReturnedToSender,
    MspOneOffVariationGranted,
    MspReviewInvitationSent,
    MspReviewed,
    MspVaried,
    MspExtended,
    MspEnded,
    MspExpired,
    CustomerAggressionLetterSent,
)
"""Every event type the ManagedServicePlan records."""
