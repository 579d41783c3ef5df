"""The baseline: a bare eventsourcing application recording the equivalent MSP events.

``BarePlan`` is a plain :class:`eventsourcing.domain.Aggregate` whose ``@event`` methods take
exactly the fields of recoverycore's events (the common envelope, then the event's own fields),
as plain Python values: strings, ints, bools, lists, nested dicts, datetimes and dates. The
application keeps eventsourcing's default ``Mapper`` and ``JSONTranscoder``, with one extra
transcoding for ``date`` (datetimes, UUIDs and decimals have eventsourcing's own). It checks no
rules: a command is ``repository.get`` -> ``@event`` method call(s) -> ``save``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import JSONTranscoder, Transcoding

__all__ = ["BareApp", "BarePlan", "DateAsISO"]


class DateAsISO(Transcoding):
    """``date`` as an ISO string (eventsourcing registers datetimes, not dates)."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class BareApp(Application[UUID]):
    """eventsourcing's ``Application`` with its default mapper and JSON transcoder."""

    name = "BareBench"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())


class BarePlan(Aggregate):
    """A Managed Service Plan as a plain eventsourcing aggregate (no rules are checked)."""

    @event("Recorded")
    def __init__(
        self,
        *,
        id: UUID,
        occurred_at: datetime,
        actor: dict[str, Any],
        authority: str | None,
        reasons: list[str],
        evidence_refs: list[str],
        procedure_ref: str,
        rules_applied: list[str],
        correlation_id: UUID | None,
        causation_id: UUID | None,
        crn: str,
        program: str,
        msp_type: str,
        triggering_incidents: list[dict[str, Any]],
        vulnerabilities: list[str],
        behaviours: list[dict[str, Any]],
        restrictions: list[dict[str, Any]],
        start_date: date,
        end_date: date,
        duration_reasons: str,
        alternatives_considered: str,
        omc_psso: dict[str, Any],
        customer_contact: dict[str, Any],
    ) -> None:
        self.crn = crn
        self.program = program
        self.status = "DRAFT"
        self.recorder_id: str = actor["staff_id"]
        self.approver_id: str | None = None
        self.start_date = start_date
        self.end_date = end_date
        self.restrictions = restrictions
        self.omc = omc_psso
        self.contact_attempts = 0
        self.successful_contacts: list[str] = []
        self.informed_on: date | None = None
        self.attached_letter_id: str | None = None
        self.sent_letter_id: str | None = None
        self.tracking_id: str | None = None
        self.letter_outcome: str | None = None
        self.card_issued = False
        self.sms_count = 0
        self.notes = 0

    @event("Approved")
    def approved(
        self,
        *,
        occurred_at: datetime,
        actor: dict[str, Any],
        authority: str | None,
        reasons: list[str],
        evidence_refs: list[str],
        procedure_ref: str,
        rules_applied: list[str],
        correlation_id: UUID | None,
        causation_id: UUID | None,
    ) -> None:
        self.status = "ACTIVE"
        self.approver_id = actor["staff_id"]

    @event("ContactAttempted")
    def contact_attempted(
        self,
        *,
        occurred_at: datetime,
        actor: dict[str, Any],
        authority: str | None,
        reasons: list[str],
        evidence_refs: list[str],
        procedure_ref: str,
        rules_applied: list[str],
        correlation_id: UUID | None,
        causation_id: UUID | None,
        attempt_no: int,
        channel: str,
        number_called: str,
        person_contacted: str,
        outcome: str,
        topics_covered: list[str],
        note_text: str,
    ) -> None:
        self.contact_attempts += 1
        if outcome == "ENGAGED_SUCCESSFUL" and person_contacted not in self.successful_contacts:
            self.successful_contacts = [*self.successful_contacts, person_contacted]

    @event("NoteAdded")
    def note_added(
        self,
        *,
        occurred_at: datetime,
        actor: dict[str, Any],
        authority: str | None,
        reasons: list[str],
        evidence_refs: list[str],
        procedure_ref: str,
        rules_applied: list[str],
        correlation_id: UUID | None,
        causation_id: UUID | None,
        note_type: str,
        text: str,
    ) -> None:
        self.notes += 1

    @event("SmsSent")
    def sms_sent(
        self,
        *,
        occurred_at: datetime,
        actor: dict[str, Any],
        authority: str | None,
        reasons: list[str],
        evidence_refs: list[str],
        procedure_ref: str,
        rules_applied: list[str],
        correlation_id: UUID | None,
        causation_id: UUID | None,
        reason_code: str,
        mobile_number_hash: str,
        multi_record_check: dict[str, Any],
        smem_checked_at: datetime,
        message_template_id: str,
    ) -> None:
        self.sms_count += 1

    @event("CustomerInformed")
    def customer_informed(
        self,
        *,
        occurred_at: datetime,
        actor: dict[str, Any],
        authority: str | None,
        reasons: list[str],
        evidence_refs: list[str],
        procedure_ref: str,
        rules_applied: list[str],
        correlation_id: UUID | None,
        causation_id: UUID | None,
        informed_on: date,
        channel: str,
        informed_person: str,
    ) -> None:
        self.informed_on = informed_on

    @event("LetterAttached")
    def letter_attached(
        self,
        *,
        occurred_at: datetime,
        actor: dict[str, Any],
        authority: str | None,
        reasons: list[str],
        evidence_refs: list[str],
        procedure_ref: str,
        rules_applied: list[str],
        correlation_id: UUID | None,
        causation_id: UUID | None,
        letter_id: str,
        letter_version: int,
        approval_status: str,
    ) -> None:
        self.attached_letter_id = letter_id

    @event("LetterSent")
    def letter_sent(
        self,
        *,
        occurred_at: datetime,
        actor: dict[str, Any],
        authority: str | None,
        reasons: list[str],
        evidence_refs: list[str],
        procedure_ref: str,
        rules_applied: list[str],
        correlation_id: UUID | None,
        causation_id: UUID | None,
        letter_id: str,
        address: str,
        delivery_method: str,
        tracking_id: str,
        includes_contact_card: bool,
        includes_review_rights: bool,
        contact_invitations: list[str],
        policy_version: str,
    ) -> None:
        self.sent_letter_id = letter_id
        self.tracking_id = tracking_id
        self.letter_outcome = None

    @event("ContactCardIssued")
    def contact_card_issued(
        self,
        *,
        occurred_at: datetime,
        actor: dict[str, Any],
        authority: str | None,
        reasons: list[str],
        evidence_refs: list[str],
        procedure_ref: str,
        rules_applied: list[str],
        correlation_id: UUID | None,
        causation_id: UUID | None,
        omc_psso: dict[str, Any],
        issued_via: str,
    ) -> None:
        self.card_issued = True

    @event("LetterDelivered")
    def letter_delivered(
        self,
        *,
        occurred_at: datetime,
        actor: dict[str, Any],
        authority: str | None,
        reasons: list[str],
        evidence_refs: list[str],
        procedure_ref: str,
        rules_applied: list[str],
        correlation_id: UUID | None,
        causation_id: UUID | None,
        letter_id: str,
        tracking_id: str,
        outcome_at: datetime,
    ) -> None:
        self.letter_outcome = "DELIVERED"
