"""The baseline for cases: a plain eventsourcing aggregate recording the equivalent case events.

``BareCase`` is a plain :class:`eventsourcing.domain.Aggregate` whose ``@event`` methods take
exactly the fields of recoverycore's case events (the common envelope, then the event's own
fields) as plain Python values, like :class:`bench.bare.BarePlan` does for plans. It is stored by
:class:`bench.bare.BareApp` (eventsourcing's default ``Mapper`` and ``JSONTranscoder``). It keeps
the state the long-history workload touches (documents, FI leads, flags) and checks no rules.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

__all__ = ["CASE_BARE_METHODS", "BareCase"]

CASE_BARE_METHODS: dict[str, str] = {
    "CaseFileCreated": "case_file_created",
    "CaseFileDocumentAdded": "document_added",
    "RecordReviewed": "reviewed",
    "DebtDiscussed": "debt_discussed",
    "ReturnedCorrespondenceProcessed": "returned_correspondence_processed",
    "FinancialInstitutionLeadFound": "fi_lead_found",
    "TravelPatternAssessed": "travel_pattern_assessed",
}
"""recoverycore case event type -> the bare aggregate's ``@event`` method recording its
equivalent (``CaseAllocated`` is the bare aggregate's created event, i.e. its ``__init__``)."""


class BareCase(Aggregate):
    """A case managed recovery as a plain eventsourcing aggregate (no rules are checked)."""

    @event("Allocated")
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
        customer: dict[str, Any],
        team: str,
        case_manager_id: str,
        allocation_source: str,
        allocation_group: str | None,
        debts: list[dict[str, Any]],
        sms_subscribed: bool,
    ) -> None:
        self.crn = crn
        self.customer = customer
        self.team = team
        self.case_manager_id = case_manager_id
        self.allocation_group = allocation_group
        self.sms_subscribed = sms_subscribed
        self.debts = debts
        self.status = "OPEN"
        self.stage = "ONBOARDING"
        self.case_file = False
        self.documents: list[str] = []
        self.record_reviewed = False
        self.discussions = 0
        self.returned_correspondence = 0
        self.fi_leads: list[str] = []
        self.travel_pattern_found = False

    @event("CaseFileCreated")
    def case_file_created(
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
        location: str,
    ) -> None:
        self.case_file = True

    @event("DocumentAdded")
    def document_added(
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
        name: str,
        document_type: str,
    ) -> None:
        self.documents.append(name)

    @event("RecordReviewed")
    def reviewed(
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
        capacity_indicators: list[str],
    ) -> None:
        self.record_reviewed = True

    @event("DebtDiscussed")
    def debt_discussed(
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
        direction: str,
        identity_confirmed: bool,
        customer_queried_debt: bool,
        garnishee_warning_given: bool,
        summary: str,
    ) -> None:
        self.discussions += 1

    @event("ReturnedCorrespondenceProcessed")
    def returned_correspondence_processed(
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
        outcome: str,
        detail: str,
    ) -> None:
        self.returned_correspondence += 1

    @event("FiLeadFound")
    def fi_lead_found(
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
        institution: str,
        account_ref: str,
        balance: Decimal | None,
    ) -> None:
        self.fi_leads.append(account_ref)
        self.stage = "INVESTIGATION"

    @event("TravelPatternAssessed")
    def travel_pattern_assessed(
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
        evidence: list[str],
        pattern_found: bool,
    ) -> None:
        self.travel_pattern_found = pattern_found
