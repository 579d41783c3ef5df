"""The commands an officer (or the timer policy) gives a Managed Service Plan."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from recoverycore.aggregates._decider import Command
from recoverycore.aggregates._input import Ref
from recoverycore.events import MAX_INT, Crn, Identifier, NonEmptyStr
from recoverycore.events.msp import (
    Behaviour,
    CallOutcome,
    CallTopic,
    ContactChannel,
    ContactPoint,
    CustomerContactDetails,
    DeliveryMethod,
    IncidentRef,
    MspType,
    MultiRecordCheck,
    PersonContacted,
    Program,
    Restriction,
    ReviewOutcome,
    SafetyFlag,
)


class MspCommand(Command):
    plan_id: UUID


class RecordMsp(MspCommand):
    """M1: record a reactive (after an incident) or proactive (vulnerabilities) MSP."""

    crn: Crn
    program: Program
    msp_type: MspType
    triggering_incidents: tuple[IncidentRef, ...] = ()
    vulnerabilities: tuple[str, ...] = ()
    behaviours: tuple[Behaviour, ...] = ()
    restrictions: tuple[Restriction, ...] = ()
    start_date: date
    end_date: date
    duration_reasons: str = ""
    alternatives_considered: str = ""
    omc_psso: ContactPoint
    customer_contact: CustomerContactDetails


class ApproveMsp(MspCommand):
    """M2: an approved decision maker approves the plan (reasons required)."""


class RejectMsp(MspCommand):
    """M2: an approved decision maker rejects the plan (reasons required)."""


class WithdrawMsp(MspCommand):
    """Withdraw a draft or approved plan (reasons required)."""


class RecordNotificationCallAttempt(MspCommand):
    """M3: a phone call to the customer, with its note (and an incident if aggression)."""

    number_called: Identifier
    outcome: CallOutcome
    topics_covered: tuple[CallTopic, ...] = ()
    note_text: str = ""
    new_incident: IncidentRef | None = None
    safety_concern: SafetyFlag | None = None


class RecordRepresentativeContact(MspCommand):
    """M6: a call to the customer's Power of Attorney, nominee or person permitted to enquire."""

    representative_role: Literal["POA", "NOMINEE", "PPE"]
    representative_name: NonEmptyStr
    number_called: Identifier
    outcome: CallOutcome
    topics_covered: tuple[CallTopic, ...] = ()
    note_text: str = ""
    new_incident: IncidentRef | None = None


class RecordCustomerInformed(MspCommand):
    """M4: set the 'Date customer informed of MSP'."""

    channel: Literal["PHONE", "LETTER", "SMS"]
    informed_person: PersonContacted = "CUSTOMER"


class RecordDecisionNotToContactDirectly(MspCommand):
    """M5: document why the customer is not phoned directly (the reasons become an MSP note)."""

    alternative: Literal["REPRESENTATIVE", "WRITTEN_ONLY"]


class LinkIncident(MspCommand):
    """M7: link a CIMS/CIRT incident to the plan."""

    incident: IncidentRef
    occurred_during: Literal["NOTIFICATION", "OTHER"] = "OTHER"


class RecordVulnerabilityFlag(MspCommand):
    """Record that the customer talked about suicide or self-harm, or that FDV with an
    immediate threat to safety was witnessed (X-R3, X-R4)."""

    flag: SafetyFlag
    source: NonEmptyStr


class ClearVulnerabilityFlag(MspCommand):
    """A social worker or decision maker clears a safety flag (reasons required)."""

    flag: SafetyFlag


class SendMspSms(MspCommand):
    """M8: an MSP SMS through desktop messaging (Centrelink customers only)."""

    reason_code: Ref | None = None
    mobile_number: Identifier
    multi_record_check: MultiRecordCheck | None = None
    smem_checked_at: AwareDatetime | None = None
    message_template_id: Identifier


class IssueContactCard(MspCommand):
    """M9: issue the OMC/PSSO contact card."""

    omc_psso: ContactPoint
    issued_via: Literal["WITH_LETTER", "IN_PERSON", "POST"] = "WITH_LETTER"


class AttachFinalLetter(MspCommand):
    """M10: attach the MSP letter (only the final approved version)."""

    letter_id: Identifier
    letter_version: int = Field(ge=1, le=MAX_INT)
    approval_status: Literal["DRAFT", "FOR_APPROVAL", "FINAL_APPROVED"]


class _Letter(MspCommand):
    letter_id: Identifier
    delivery_method: DeliveryMethod
    tracking_id: Ref = ""
    includes_review_rights: bool = True
    contact_invitations: tuple[ContactChannel, ...] = ()


class SendMspLetter(_Letter):
    """M11: send the attached final letter with the contact card."""

    address: NonEmptyStr
    includes_contact_card: bool = True


class RecordPoliceHandDelivery(MspCommand):
    """M12: local police handed the letter over (serious cases, where arrangements exist)."""

    letter_id: Identifier
    police_station: NonEmptyStr
    police_officer: NonEmptyStr
    handed_at: AwareDatetime
    serious_case: bool
    local_arrangement_exists: bool


class RecordLetterDeliveryOutcome(MspCommand):
    """M13: the tracked delivery outcome of the letter."""

    letter_id: Identifier
    tracking_id: Identifier
    outcome: Literal["DELIVERED", "RETURNED_TO_SENDER"]
    outcome_at: AwareDatetime
    rts_reason: str = ""


class GrantOneOffVariation(MspCommand):
    """M14: a one-off appointment under a face-to-face restriction."""

    appointment_at: AwareDatetime
    site: NonEmptyStr
    purpose: NonEmptyStr


class InviteCustomerToReview(_Letter):
    """M15: send the invitation to participate in the MSP review."""

    includes_review_rights: bool = True


class CompleteReview(MspCommand):
    """M16: complete the review: continue, vary, extend or end early (reasons required)."""

    outcome: ReviewOutcome
    new_restrictions: tuple[Restriction, ...] = ()
    new_end_date: date | None = None
    alternatives_considered: str = ""


class SendBehaviourWarning(_Letter):
    """M17: a behaviour warning letter."""


class SendRestrictionReminder(_Letter):
    """M17: a restriction reminder letter."""


class ExpireMsp(MspCommand):
    """M18: the plan's end date has been reached (usually sent by the timer policy)."""


class AddMspNote(MspCommand):
    """Add a free MSP note."""

    text: NonEmptyStr
