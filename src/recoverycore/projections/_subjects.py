"""What a view reads off any plan, case or customer record event: which kind of record it is,
the customer, the owning officer and team, and the status and stage the event moves it to.

The status and stage transitions restate the aggregates' ``evolve`` for these two fields only
(projections import events, never aggregates); ``tests/properties/test_projection_laws.py``
checks them against folding generated histories with the aggregates themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from hashlib import sha1
from typing import Any, Final

from eventsourcing.utils import get_topic

from recoverycore.events import EVENT_ID_NAMESPACE, cmr, customer, follow_ups, msp
from recoverycore.projections._view import Fact

__all__ = [
    "CASE",
    "CASE_TOPICS",
    "CUSTOMER",
    "CUSTOMER_TOPICS",
    "FOLLOW_UP_TOPICS",
    "PLAN",
    "PLAN_TOPICS",
    "TERMINAL_STATUSES",
    "event_id",
    "event_id_of",
    "is_customer_event",
    "owner",
    "status_and_stage",
    "subject_type",
]

PLAN: Final = "ManagedServicePlan"
CASE: Final = "CaseManagedRecovery"
CUSTOMER: Final = "Customer"
"""The customer record (:mod:`recoverycore.events.customer`): what belongs to the person."""

PLAN_TOPICS: tuple[str, ...] = tuple(get_topic(t) for t in msp.MSP_EVENT_TYPES)
CASE_TOPICS: tuple[str, ...] = tuple(get_topic(t) for t in cmr.CASE_EVENT_TYPES)
CUSTOMER_TOPICS: tuple[str, ...] = tuple(get_topic(t) for t in customer.CUSTOMER_EVENT_TYPES)
FOLLOW_UP_TOPICS: tuple[str, ...] = tuple(get_topic(t) for t in follow_ups.FOLLOW_UP_EVENT_TYPES)
_PLAN_TOPIC_SET = frozenset(PLAN_TOPICS)
_CUSTOMER_TOPIC_SET = frozenset(CUSTOMER_TOPICS)

TERMINAL_STATUSES: tuple[str, ...] = (
    "REJECTED",
    "WITHDRAWN",
    "ENDED",
    "EXPIRED",
    "UNASSIGNED",
    "CLOSED",
    "ARCHIVED",
)
"""Statuses in which a plan or case accepts no further work (the aggregates' terminal states)."""


def subject_type(fact: Fact) -> str:
    """The kind of record the event is about: a plan, the customer's record, or a case."""
    if fact.topic in _PLAN_TOPIC_SET:
        return PLAN
    return CUSTOMER if fact.topic in _CUSTOMER_TOPIC_SET else CASE


def is_customer_event(fact: Fact) -> bool:
    """Whether the event is the customer record's (not a plan's or a case's)."""
    return fact.topic in _CUSTOMER_TOPIC_SET


_NAMESPACE = EVENT_ID_NAMESPACE.bytes


def event_id(fact: Fact) -> str:
    """The event's stable id, as :attr:`recoverycore.events.DomainEvent.event_id` gives it."""
    return event_id_of(fact.subject_id, fact.version)


def event_id_of(subject_id: str, version: int) -> str:
    """The stable id of a plan's or case's event at ``version`` (``uuid5``, computed here
    without building ``UUID`` objects: views do this for every event)."""
    digest = bytearray(sha1(_NAMESPACE + f"{subject_id}:{version}".encode()).digest())
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest[:16].hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


# Plans: MspStatus transitions (aggregates/msp/_evolve.py). The stage of a plan is its status.
_PLAN_STATUS: Mapping[str, str] = {
    "MspRecorded": "DRAFT",
    "MspApproved": "ACTIVE",
    "MspRejected": "REJECTED",
    "MspWithdrawn": "WITHDRAWN",
    "MspReviewInvitationSent": "UNDER_REVIEW",
    "MspReviewed": "ACTIVE",
    "MspEnded": "ENDED",
    "MspExpired": "EXPIRED",
}

# Cases: CaseStatus and Stage transitions (aggregates/cmr/_evolve.py).
_CASE_STATUS: Mapping[str, str] = {
    "CaseAllocated": "OPEN",
    "CustomerUnassigned": "UNASSIGNED",
    "CaseClosureStarted": "CLOSING",
    "CaseClosed": "CLOSED",
    "CaseArchived": "ARCHIVED",
}
_CASE_STAGE: Mapping[str, str] = {
    "CaseAllocated": "ONBOARDING",
    "ArrangementAgreed": "IN_ARRANGEMENT",
    "ArrangementBroken": "INVESTIGATION",
    "ArrangementRefused": "INVESTIGATION",
    "RefusalRetracted": "ENGAGEMENT",
    "FinancialInstitutionLeadFound": "INVESTIGATION",
    "EmploymentLeadFound": "INVESTIGATION",
    "GarnisheeAssessed": "ENFORCEMENT",
    "LitigationReferralSent": "LITIGATION_REFERRED",
    "LitigationReferralDeclined": "INVESTIGATION",
    "DpoReferralMade": "DPO_TRACK",
    "CaseClosureStarted": "CLOSING",
    "CaseClosed": "CLOSED",
}
_INVESTIGATION_LETTERS = frozenset(
    {"THIRD_PARTY_NOTICE", "EMPLOYER_REQUEST", "DATA_MATCH_NOTIFICATION"}
)


def status_and_stage(fact: Fact) -> tuple[str | None, str | None]:
    """The status and stage this event moves its plan or case to (``None``: unchanged)."""
    name = fact.event_type
    if fact.topic in _PLAN_TOPIC_SET:
        status = _PLAN_STATUS.get(name)
        return status, status
    stage = _CASE_STAGE.get(name)
    if name == "SuitabilityAssessed" and fact.data.get("suitable"):
        stage = "ENGAGEMENT"
    elif name == "LetterIssued":
        purpose = fact.data.get("purpose")
        if purpose == "DPO_WARNING":
            stage = "DPO_TRACK"
        elif purpose in _INVESTIGATION_LETTERS:
            stage = "INVESTIGATION"
    return _CASE_STATUS.get(name), stage


def owner(fact: Fact) -> tuple[str | None, str | None]:
    """The officer and team who own the plan or case after this event (``None``: unchanged).

    A case is owned by its case manager (allocation, actor relationship); a plan by its OMC or
    PSSO contact point, in the recording officer's team.
    """
    data: Mapping[str, Any] = fact.data
    name = fact.event_type
    if name == "CaseAllocated":
        return data.get("case_manager_id"), data.get("team")
    if name == "ActorRelationshipApplied":
        return data.get("case_manager_id"), None
    if name == "MspRecorded":
        contact = data.get("omc_psso") or {}
        return contact.get("staff_id"), fact.actor.get("team")
    return None, None
