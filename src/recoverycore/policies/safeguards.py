"""The safeguard policy: which plans and cases belong to which customer, as its own log.

Pure functions of recorded events. :func:`react` learns which plans and cases belong to which
customer (CRN). Safety flags themselves are the customer record's (``aggregates.customer``):
recorded once on the person and applied to every plan and case by the application, in the same
transaction, whatever the order in which the flag and each record were recorded. Earlier
versions asked here for a flag on a customer's other records (``SafeguardReactionRequested``);
such requests already recorded are still acted on (``RecoveryApp.policy``). :data:`SAFEGUARD_ACTOR`
is who applies the customer's flags to a plan or case.

The customer record's id is the application's to give (``customer_id``): a random id it finds
through the key store, never one computed from the CRN here (a CRN-derived id could be tested
against every guessed CRN).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict

from recoverycore.events import Actor, DomainEvent, Role
from recoverycore.events import cmr as c
from recoverycore.events import msp as m
from recoverycore.events.safeguards import (
    CustomerAggregateLinked,
    SafeguardEvent,
)

__all__ = [
    "SAFEGUARD_ACTOR",
    "Customer",
    "evolve",
    "owner_id",
    "react",
]

SAFEGUARD_ACTOR = Actor(
    staff_id="policy:safeguards", role=Role.SYSTEM, aps_level="N/A", team="recoverycore"
)
_OWNER_NS = UUID("a4d2e9b7-1c3f-4e68-9a0b-7e5f3c2d1b80")
SAFETY_FLAGS = frozenset({"SUICIDE_SELF_HARM", "FDV_IMMEDIATE_THREAT"})


def owner_id(aggregate_id: UUID) -> UUID:
    """A plan's or case's owner record (whose customer it is)."""
    return uuid5(_OWNER_NS, str(aggregate_id))


class Customer(BaseModel):
    """A customer record, or an owner record (which has one member: its plan or case)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: UUID
    version: int
    crn: str
    members: tuple[tuple[str, str], ...] = ()


def evolve(state: Customer | None, event: DomainEvent) -> Customer:
    assert isinstance(event, SafeguardEvent)
    if state is None:
        state = Customer(id=event.originator_id, version=0, crn=event.crn)
    update: dict[str, Any] = {"version": event.originator_version}
    if isinstance(event, CustomerAggregateLinked):
        member = (event.aggregate_id, event.aggregate_type_name)
        if member not in state.members:
            update["members"] = (*state.members, member)
    return state.model_copy(update=update)


def fold(events: Any, state: Customer | None = None) -> Customer | None:
    for event in events:
        state = evolve(state, event)
    return state


def _event(
    cls: type[SafeguardEvent],
    aggregate: Customer | None,
    record_id: UUID,
    offset: int,
    cause: DomainEvent,
    **fields: Any,
) -> SafeguardEvent:
    return cls(
        originator_id=record_id,
        originator_version=(aggregate.version if aggregate else 0) + offset,
        occurred_at=cause.recorded_at,
        recorded_at=cause.recorded_at,
        actor=SAFEGUARD_ACTOR,
        procedure_ref="X-R3, X-R4",
        correlation_id=cause.correlation_id or cause.event_id,
        causation_id=cause.event_id,
        **fields,
    )


def react(
    event: DomainEvent,
    *,
    customer: Customer | None,
    owner: Customer | None,
    customer_id: UUID | None,
) -> list[SafeguardEvent]:
    """What one plan or case event means for the customer's safeguards.

    ``customer`` is the customer record of the event's CRN (for MspRecorded/CaseAllocated) or of
    the event's owner, and ``customer_id`` its id (given by the application, whether or not the
    record exists yet; ``None`` if it has none); ``owner`` is the owner record of the event's
    plan or case.
    """
    if isinstance(event, m.MspRecorded | c.CaseAllocated):
        if customer_id is None:
            return []
        kind = "ManagedServicePlan" if isinstance(event, m.MspRecorded) else "CaseManagedRecovery"
        member = (str(event.originator_id), kind)
        if customer is not None and member in customer.members:
            return []  # delivered again
        fields = {"crn": event.crn, "aggregate_id": member[0], "aggregate_type_name": kind}
        return [
            _event(CustomerAggregateLinked, customer, customer_id, 1, event, **fields),
            _event(
                CustomerAggregateLinked, owner, owner_id(event.originator_id), 1, event, **fields
            ),
        ]
    # A safety flag is the customer record's now (recorded on it, or on a plan or case and
    # carried to it in the same transaction, then applied to every plan and case of the
    # customer): nothing is left to request. Requests recorded by earlier versions are still
    # acted on by RecoveryApp.policy.
    return []


def _safety_flag(event: DomainEvent) -> str | None:
    if isinstance(event, m.MspVulnerabilityFlagRecorded) and event.flag in SAFETY_FLAGS:
        return event.flag
    if isinstance(event, c.VulnerabilityFlagRecorded) and event.kind in SAFETY_FLAGS:
        return event.kind
    return None
