"""Notifying the customer: calls, a representative, the decision not to call, informed,
incidents, safety flags, SMS and the contact card."""

from __future__ import annotations

import hashlib
import re
from typing import cast, get_args

from recoverycore.aggregates._decider import Decision
from recoverycore.aggregates.msp._checks import (
    _aggression_incident,
    _Ctx,
    _decision_maker,
    _justified,
    _note_given,
    _status_in,
    _successful_call_checklist,
)
from recoverycore.aggregates.msp._decide import _handles
from recoverycore.aggregates.msp.commands import (
    ClearVulnerabilityFlag,
    IssueContactCard,
    LinkIncident,
    RecordCustomerInformed,
    RecordDecisionNotToContactDirectly,
    RecordNotificationCallAttempt,
    RecordRepresentativeContact,
    RecordVulnerabilityFlag,
    SendMspSms,
)
from recoverycore.aggregates.msp.state import IN_FORCE, MspState
from recoverycore.events import Role
from recoverycore.events.msp import (
    ContactPoint,
    IncidentRef,
    MspContactAttempted,
    MspContactCardIssued,
    MspCustomerInformed,
    MspDirectContactWaived,
    MspIncidentLinked,
    MspNoteAdded,
    MspRepresentativeContacted,
    MspSmsBlocked,
    MspSmsSent,
    MspVulnerabilityFlagCleared,
    MspVulnerabilityFlagRecorded,
    SmsReason,
)

SMS_REASONS: frozenset[str] = frozenset(get_args(SmsReason))


def _call_events(d: Decision, note_text: str, incident: IncidentRef | None) -> None:
    d.emit(MspNoteAdded, note_type="CONTACT", text=note_text)
    if incident is not None:
        d.emit(MspIncidentLinked, incident=incident, occurred_during="NOTIFICATION")


@_handles(RecordNotificationCallAttempt, "S1")
def _call(s: MspState, c: RecordNotificationCallAttempt, x: _Ctx) -> None:
    _status_in(x.d, s, {"ACTIVE"}, "notify the customer")
    _note_given(x.d, c.note_text)
    _successful_call_checklist(x.d, c.outcome, c.topics_covered)
    _aggression_incident(x.d, c.outcome, c.new_incident)
    x.d.emit(
        MspContactAttempted,
        attempt_no=s.contact_attempts + 1,
        number_called=c.number_called,
        person_contacted="CUSTOMER",
        outcome=c.outcome,
        topics_covered=c.topics_covered,
        note_text=c.note_text,
    )
    _call_events(x.d, c.note_text, c.new_incident)
    if c.safety_concern is not None and c.safety_concern not in s.safety_flags:
        x.d.emit(
            MspVulnerabilityFlagRecorded,
            flag=c.safety_concern,
            source="notification call",
            procedure_ref="003-06010040" if c.safety_concern == "SUICIDE_SELF_HARM" else None,
        )


@_handles(RecordRepresentativeContact, "S1")
def _representative(s: MspState, c: RecordRepresentativeContact, x: _Ctx) -> None:
    _status_in(x.d, s, {"ACTIVE"}, "contact a representative")
    x.d.require(
        s.direct_contact_waived,
        "MSP-R12",
        "No decision not to contact the customer directly has been documented.",
        "Phone the customer, or first record the decision not to contact them directly with "
        "its reason.",
    )
    _note_given(x.d, c.note_text)
    _successful_call_checklist(x.d, c.outcome, c.topics_covered)
    _aggression_incident(x.d, c.outcome, c.new_incident)
    x.d.emit(
        MspRepresentativeContacted,
        representative_role=c.representative_role,
        representative_name=c.representative_name,
        number_called=c.number_called,
        outcome=c.outcome,
        topics_covered=c.topics_covered,
        note_text=c.note_text,
    )
    _call_events(x.d, c.note_text, c.new_incident)


@_handles(RecordDecisionNotToContactDirectly, "S1")
def _waive(s: MspState, c: RecordDecisionNotToContactDirectly, x: _Ctx) -> None:
    _status_in(x.d, s, {"ACTIVE"}, "decide not to contact the customer directly")
    x.d.require(
        len(" ".join(c.reasons).strip()) >= x.config.min_decision_reason_chars,
        "MSP-R12",
        "A decision not to contact the customer directly needs its reason documented.",
        "Give the reason; it is recorded as an MSP note.",
    )
    x.d.emit(MspDirectContactWaived, alternative=c.alternative)
    x.d.emit(MspNoteAdded, note_type="DECISION", text=" ".join(c.reasons))


@_handles(RecordCustomerInformed, "S1")
def _informed(s: MspState, c: RecordCustomerInformed, x: _Ctx) -> None:
    _status_in(x.d, s, IN_FORCE, "record that the customer was informed")
    x.d.require(
        c.channel != "SMS",
        "MSP-R8",
        "An SMS does not carry the notification and decision information, so it cannot "
        "inform the customer of the MSP.",
        "Inform the customer by phone or by the MSP letter.",
    )
    if c.channel == "PHONE":
        x.d.require(
            c.informed_person in s.successful_contacts,
            "MSP-A4",
            f"No successful call with the {c.informed_person.lower()} has been recorded.",
            "Record the successful call first.",
        )
    else:
        x.d.require(
            s.letter_outcome == "DELIVERED",
            "MSP-A4",
            "The MSP letter's delivery has not been confirmed.",
            "Record the letter's delivery outcome first.",
        )
    x.d.emit(
        MspCustomerInformed,
        informed_on=x.d.local_date(),
        channel=c.channel,
        informed_person=c.informed_person,
    )


@_handles(LinkIncident, "S1")
def _link(s: MspState, c: LinkIncident, x: _Ctx) -> None:
    x.d.emit(MspIncidentLinked, incident=c.incident, occurred_during=c.occurred_during)


@_handles(RecordVulnerabilityFlag, "S2")
def _flag(s: MspState, c: RecordVulnerabilityFlag, x: _Ctx) -> None:
    x.d.emit(MspVulnerabilityFlagRecorded, flag=c.flag, source=c.source)


@_handles(ClearVulnerabilityFlag, "S2")
def _clear_flag(s: MspState, c: ClearVulnerabilityFlag, x: _Ctx) -> None:
    x.d.require(
        c.flag in s.safety_flags,
        "MSP-A1",
        f"No {c.flag.replace('_', ' ').lower()} flag is in force on this MSP.",
        "Nothing to clear.",
    )
    x.d.require(
        # The customer's record cleared it (applied by the library, X-R3, X-R4).
        c.actor.role in x.config.flag_clearing_roles or c.actor.role == Role.SYSTEM,
        "MSP-A3",
        "Only a social worker or an approved decision maker may clear a safety flag.",
        "Ask a social worker or decision maker to review and clear it.",
    )
    _justified(x.d, x.config, "clear the safety flag")
    if c.actor.role != Role.SYSTEM and x.customer is not None:
        # The plan shows one flag of each kind; the person may hold several (raised on their
        # cases or record). Clearing here clears the person's one flag, never several unseen.
        same = [f.flag_id for f in x.customer.flags if f.kind == c.flag]
        x.d.require(
            len(same) <= 1,
            "MSP-A3",
            f"The customer's record holds {len(same)} {c.flag.replace('_', ' ').lower()} "
            f"flags ({', '.join(same)}): clearing on the plan would clear them all.",
            "Clear each on the customer's record by its id (ClearSafetyFlag), after assessing it.",
        )
    x.d.emit(MspVulnerabilityFlagCleared, flag=c.flag)


@_handles(SendMspSms, "S2")
def _sms(s: MspState, c: SendMspSms, x: _Ctx) -> None:
    _status_in(x.d, s, IN_FORCE, "send an MSP SMS")
    x.d.require(
        s.program == "CENTRELINK",
        "MSP-R1",
        f"MSP SMS is for Centrelink customers only; this is a {s.program.lower()} MSP.",
        "Notify the customer by phone and by the MSP letter.",
    )
    _decision_maker(x.d, x.config, "send an MSP SMS", rule_id="MSP-R2")
    x.d.require(
        c.reason_code in SMS_REASONS,
        "MSP-R3",
        f"'{c.reason_code}' is not one of the five circumstances in which an MSP SMS may be sent.",
        "Choose one: " + ", ".join(sorted(SMS_REASONS)) + "; otherwise do not send an SMS.",
    )
    smem_checked = (
        "MSP-R5",
        "The SMS/Email Search (SMEM) screen was not checked before this customer aggression "
        "message.",
        "Check the SMEM screen, then send the SMS with the time it was checked.",
    )
    smem_checked_at = x.d.required(c.smem_checked_at, *smem_checked)
    x.d.require(smem_checked_at <= x.d.occurred_at, *smem_checked)
    number_checked = (
        "MSP-R4",
        "No check that the mobile number is not recorded on multiple records was made.",
        "Check the mobile number against other records before sending.",
    )
    multi_record_check = x.d.required(c.multi_record_check, *number_checked)
    x.d.require(multi_record_check.performed_at <= x.d.occurred_at, *number_checked)
    reason = cast(SmsReason, c.reason_code)
    blocked: tuple[str, str] | None = None
    if "SUICIDE_SELF_HARM" in s.safety_flags:
        blocked = (
            "MSP-R6",
            "The customer has talked about suicide or self-harm: no MSP SMS. Follow the "
            "suicide or self-harm procedure (social worker warm transfer; 000 if in danger).",
        )
    elif "FDV_IMMEDIATE_THREAT" in s.safety_flags:
        blocked = (
            "MSP-R7",
            "Family and domestic violence with an immediate threat to safety was witnessed: no "
            "MSP SMS. Follow local response guidelines.",
        )
    elif multi_record_check.result == "MULTIPLE":
        blocked = (
            "MSP-R4",
            "The mobile number is recorded on multiple records: the SMS must not be sent; the "
            "phone and letter notification provisions apply.",
        )
    x.d.applied("MSP-R6", "MSP-R7", "MSP-R4")
    if blocked is not None:
        rule_id, detail = blocked
        x.d.emit(MspSmsBlocked, reason_code=reason, rule_id=rule_id, detail=detail)
        return
    x.d.emit(
        MspSmsSent,
        reason_code=reason,
        mobile_number_hash=hashlib.sha256(re.sub(r"\D", "", c.mobile_number).encode()).hexdigest(),
        multi_record_check=multi_record_check,
        smem_checked_at=smem_checked_at,
        message_template_id=c.message_template_id,
    )


def _card_matches(d: Decision, s: MspState, card: ContactPoint) -> None:
    d.require(
        card.staff_id == s.omc_psso.staff_id and card.phone == s.omc_psso.phone,
        "MSP-A6",
        "The contact card does not carry this MSP's OMC/PSSO contact details.",
        f"Issue the card of {s.omc_psso.name} ({s.omc_psso.role}, {s.omc_psso.phone}).",
    )


@_handles(IssueContactCard, "S1")
def _card(s: MspState, c: IssueContactCard, x: _Ctx) -> None:
    _status_in(x.d, s, IN_FORCE, "issue the contact card")
    _card_matches(x.d, s, c.omc_psso)
    x.d.emit(MspContactCardIssued, omc_psso=c.omc_psso, issued_via=c.issued_via)
