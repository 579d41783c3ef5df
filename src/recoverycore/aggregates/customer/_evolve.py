"""How each customer event changes the customer record."""

from __future__ import annotations

from typing import Any

from recoverycore.aggregates._decider import Evolvers
from recoverycore.aggregates.customer.state import (
    CustomerFlag,
    CustomerState,
    PlanRestrictions,
    Representative,
)
from recoverycore.events import DomainEvent
from recoverycore.events.customer import (
    CustomerFlagCleared,
    CustomerFlagRecorded,
    CustomerLocationRecorded,
    CustomerRecordLinked,
    CustomerRegistered,
    RepresentativeRecorded,
    RepresentativeRemoved,
    RestrictionsInForce,
    RestrictionsLifted,
)

EVOLVERS: Evolvers[CustomerState] = Evolvers()


def evolve(state: CustomerState | None, event: DomainEvent) -> CustomerState:
    """The customer record after ``event`` (total: an unknown event moves only the version)."""
    if state is None:
        if not isinstance(event, CustomerRegistered):
            raise ValueError(f"A customer's history starts with CustomerRegistered, not {event}")
        return CustomerState(
            id=event.originator_id, version=event.originator_version, crn=event.crn
        )
    return EVOLVERS.apply(state, event)


@EVOLVERS.on(CustomerRecordLinked)
def _linked(s: CustomerState, e: CustomerRecordLinked) -> dict[str, Any]:
    if s.linked(e.record_id):
        return {}
    return {"records": (*s.records, (e.record_id, e.record_kind))}


@EVOLVERS.on(CustomerFlagRecorded)
def _flagged(s: CustomerState, e: CustomerFlagRecorded) -> dict[str, Any]:
    flag = CustomerFlag(
        flag_id=e.flag_id,
        kind=e.kind,
        source=e.source,
        recorded_by=e.actor.staff_id,
        recorded_on=e.occurred_at.date(),
        raised_on=e.raised_on,
        record_flag_id=e.record_flag_id,
    )
    return {"flags": (*(f for f in s.flags if f.flag_id != e.flag_id), flag)}


@EVOLVERS.on(CustomerFlagCleared)
def _cleared(s: CustomerState, e: CustomerFlagCleared) -> dict[str, Any]:
    return {
        "flags": tuple(f for f in s.flags if f.flag_id != e.flag_id),
        "cleared_flags": (*s.cleared_flags, e.flag_id),
    }


@EVOLVERS.on(RestrictionsInForce)
def _in_force(s: CustomerState, e: RestrictionsInForce) -> dict[str, Any]:
    plan = PlanRestrictions(
        plan_id=e.plan_id,
        restrictions=e.restrictions,
        channel=e.channel,
        start_date=e.start_date,
        end_date=e.end_date,
    )
    return {"restrictions": (*(r for r in s.restrictions if r.plan_id != e.plan_id), plan)}


@EVOLVERS.on(RestrictionsLifted)
def _lifted(s: CustomerState, e: RestrictionsLifted) -> dict[str, Any]:
    return {"restrictions": tuple(r for r in s.restrictions if r.plan_id != e.plan_id)}


@EVOLVERS.on(RepresentativeRecorded)
def _represented(s: CustomerState, e: RepresentativeRecorded) -> dict[str, Any]:
    representative = Representative(
        representative_id=e.representative_id,
        kind=e.kind,
        name=e.name,
        phone=e.phone,
        postal_address=e.postal_address,
        contact_through=e.contact_through,
    )
    others = (r for r in s.representatives if r.representative_id != e.representative_id)
    return {"representatives": (*others, representative)}


@EVOLVERS.on(RepresentativeRemoved)
def _unrepresented(s: CustomerState, e: RepresentativeRemoved) -> dict[str, Any]:
    return {
        "representatives": tuple(
            r for r in s.representatives if r.representative_id != e.representative_id
        )
    }


@EVOLVERS.on(CustomerLocationRecorded)
def _located(s: CustomerState, e: CustomerLocationRecorded) -> dict[str, Any]:
    return {"state": e.state, "time_zone": e.time_zone}
