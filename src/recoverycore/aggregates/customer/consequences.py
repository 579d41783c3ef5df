"""What a plan's or case's events mean for the customer's record, and what the customer's
record means for each of their plans and cases. Pure functions; the application records the
results in the same transaction as the command that caused them.

* :func:`record_consequences`: a plan or case recorded for a customer links it to their record
  (opening the record if need be); a flag an officer raises or clears on a plan or case is
  recorded or cleared on the person; an MSP's restrictions and OMC/PSSO are in force on the
  person from its approval (or variation) until it ends, expires or is withdrawn.
* :func:`flag_changes`: the flags a plan or case must record or clear so that it shows exactly
  the customer's flags in force, whatever the order in which they and it were recorded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel

from recoverycore.aggregates.cmr.state import CaseState
from recoverycore.aggregates.customer.state import CustomerFlag, CustomerState
from recoverycore.aggregates.msp.state import IN_FORCE, MspState
from recoverycore.events import DomainEvent, Role
from recoverycore.events import cmr as c
from recoverycore.events import msp as m
from recoverycore.events.customer import (
    CustomerEvent,
    CustomerFlagCleared,
    CustomerFlagRecorded,
    CustomerRecordLinked,
    CustomerRegistered,
    RecordKind,
    RestrictionsInForce,
    RestrictionsLifted,
)
from recoverycore.events.vocabulary import ENFORCEMENT_FLAGS

__all__ = ["FlagChange", "customer_source", "flag_changes", "record_consequences"]

_LIFTED: dict[str, Literal["ENDED", "EXPIRED", "WITHDRAWN", "REJECTED"]] = {
    "ENDED": "ENDED",
    "EXPIRED": "EXPIRED",
    "WITHDRAWN": "WITHDRAWN",
    "REJECTED": "REJECTED",
}


class _Emitter:
    """Numbers the customer events a cause leads to and fills their envelope from the cause."""

    def __init__(self, customer: CustomerState | None, customer_id: UUID, cause: DomainEvent):
        self.customer_id = customer_id
        self.version = customer.version if customer else 0
        self.cause = cause
        self.events: list[CustomerEvent] = []

    def emit(self, cls: type[CustomerEvent], procedure_ref: str, **fields: Any) -> None:
        cause = self.cause
        self.events.append(
            cls(
                originator_id=self.customer_id,
                originator_version=self.version + len(self.events) + 1,
                occurred_at=cause.occurred_at,
                recorded_at=cause.recorded_at,
                actor=cause.actor,
                authority=cause.authority,
                reasons=cause.reasons,
                evidence_refs=cause.evidence_refs,
                procedure_ref=procedure_ref,
                rules_applied=("X-R3", "X-R4") if "Flag" in cls.__name__ else (),
                correlation_id=cause.correlation_id or cause.event_id,
                causation_id=cause.event_id,
                **fields,
            )
        )


def _customer_flag_id(record_id: str, on_record: str, version: int) -> str:
    """The customer's id of a flag raised on a plan or case: short enough to be the flag's id
    on every other record too (an identifier is at most 200 characters)."""
    if len(on_record) > 64:
        on_record = hashlib.sha256(on_record.encode()).hexdigest()[:16]
    return f"{record_id}:{on_record}" + (f":{version}" if version else "")


def _kind_of(state: BaseModel) -> RecordKind:
    return "ManagedServicePlan" if isinstance(state, MspState) else "CaseManagedRecovery"


def _record_flags(state: BaseModel | None) -> list[tuple[str, str, str]]:
    """(id on the record, kind, source) of each flag in force on a plan or case."""
    if isinstance(state, MspState):
        return [(flag, flag, "") for flag in state.safety_flags]
    if isinstance(state, CaseState):
        return [(f.flag_id, f.kind, getattr(f, "source", "")) for f in state.flags]
    return []


def _known(customer: CustomerState | None, record_id: str, record_flag_id: str) -> bool:
    if customer is None:
        return False
    return any(
        (f.raised_on == record_id and f.record_flag_id == record_flag_id)
        or f.flag_id == record_flag_id
        or (f.kind == record_flag_id and f.kind in ENFORCEMENT_FLAGS)
        for f in customer.flags
    )


def record_consequences(
    customer: CustomerState | None,
    *,
    customer_id: UUID,
    crn: str,
    before: BaseModel | None,
    after: BaseModel,
    events: Sequence[DomainEvent],
) -> list[CustomerEvent]:
    """The customer events that ``events`` (just decided on a plan or case, taking it from
    ``before`` to ``after``) lead to on the customer's record (``None`` if they have none)."""
    if not events:
        return []
    record_id = str(events[0].originator_id)
    out = _Emitter(customer, customer_id, events[0])
    if customer is None:
        out.emit(CustomerRegistered, "S-MSP S1, S-CMR T2.S2", crn=crn)
    if customer is None or not customer.linked(record_id):
        out.emit(
            CustomerRecordLinked,
            "S-MSP S1, S-CMR T2.S2",
            record_id=record_id,
            record_kind=_kind_of(after),
        )
        # A plan or case recorded before customer records existed brings its flags to them.
        for flag_id, kind, _source in _record_flags(before):
            if not _known(customer, record_id, flag_id):
                out.emit(
                    CustomerFlagRecorded,
                    "S-MSP S2, S-CMR T2.S2",
                    flag_id=_customer_flag_id(record_id, flag_id, 0),
                    kind=kind,
                    source=f"recorded on {record_id} before customer records",
                    raised_on=record_id,
                    record_flag_id=flag_id,
                )
    flags = list(customer.flags) if customer else []
    for event in events:
        out.cause = event
        if event.actor.role == Role.SYSTEM and str(getattr(event, "source", "")).startswith(
            CUSTOMER_SOURCE
        ):
            continue  # the customer's own flag, applied to this record
        if isinstance(event, m.MspVulnerabilityFlagRecorded | c.VulnerabilityFlagRecorded):
            kind = event.flag if isinstance(event, m.MspVulnerabilityFlagRecorded) else event.kind
            on_record = (
                event.flag if isinstance(event, m.MspVulnerabilityFlagRecorded) else (event.flag_id)
            )
            if isinstance(event, m.MspVulnerabilityFlagRecorded) and any(
                f.kind == kind for f in flags
            ):
                continue  # the customer already has this flag in force
            flag_id = _customer_flag_id(record_id, on_record, event.originator_version)
            out.emit(
                CustomerFlagRecorded,
                event.procedure_ref,
                flag_id=flag_id,
                kind=kind,
                source=event.source,
                referral=getattr(event, "referral", ""),
                incident_ref=getattr(event, "incident_ref", ""),
                raised_on=record_id,
                record_flag_id=on_record,
            )
            flags.append(
                CustomerFlag(
                    flag_id=flag_id,
                    kind=kind,
                    source=event.source,
                    recorded_by=event.actor.staff_id,
                    recorded_on=event.occurred_at.date(),
                    raised_on=record_id,
                    record_flag_id=on_record,
                )
            )
        elif isinstance(event, m.MspVulnerabilityFlagCleared | c.VulnerabilityFlagCleared):
            if isinstance(event, m.MspVulnerabilityFlagCleared):
                hit = [f for f in flags if f.kind == event.flag]
            else:
                hit = [
                    f
                    for f in flags
                    if f.flag_id == event.flag_id
                    or (f.raised_on == record_id and f.record_flag_id == event.flag_id)
                ]
            for flag in hit:
                out.emit(
                    CustomerFlagCleared,
                    event.procedure_ref,
                    flag_id=flag.flag_id,
                    kind=flag.kind,
                    cleared_on=record_id,
                )
                flags.remove(flag)
    if isinstance(after, MspState):
        _restrictions(out, customer, before, after)
    return out.events


def _restrictions(
    out: _Emitter, customer: CustomerState | None, before: BaseModel | None, plan: MspState
) -> None:
    plan_id = str(plan.id)
    recorded = next(
        (r for r in (customer.restrictions if customer else ()) if r.plan_id == plan_id), None
    )
    if plan.status in IN_FORCE:
        restrictions = tuple(r for r in plan.restrictions if r.kind != "NONE")
        wanted = (restrictions, plan.omc_psso, plan.start_date, plan.end_date)
        if recorded is None or wanted != (
            recorded.restrictions,
            recorded.channel,
            recorded.start_date,
            recorded.end_date,
        ):
            out.emit(
                RestrictionsInForce,
                "S-MSP S1",
                plan_id=plan_id,
                restrictions=restrictions,
                channel=plan.omc_psso,
                start_date=plan.start_date,
                end_date=plan.end_date,
            )
    elif recorded is not None:
        out.emit(
            RestrictionsLifted,
            "S-MSP S1",
            plan_id=plan_id,
            why=_LIFTED.get(plan.status, "ENDED"),
        )


@dataclass(frozen=True, slots=True)
class FlagChange:
    """A flag a plan or case must record (``add``) or clear to show the customer's flags."""

    action: Literal["add", "clear"]
    record_flag_id: str
    kind: str
    source: str
    reasons: tuple[str, ...] = ()


CUSTOMER_SOURCE = "customer record: "
"""How the source of a flag a plan or case holds from the customer's record begins."""


def customer_source(flag: CustomerFlag) -> str:
    """How a plan or case names the customer flag it applies."""
    where = f" while working on {flag.raised_on}" if flag.raised_on else ""
    return (
        f"{CUSTOMER_SOURCE}{flag.kind.replace('_', ' ').lower()} flag {flag.flag_id} recorded "
        f"by {flag.recorded_by} on {flag.recorded_on.isoformat()}{where}"
    )


def flag_changes(
    customer: CustomerState, record: BaseModel, *, reasons: tuple[str, ...] = ()
) -> list[FlagChange]:
    """What ``record`` (a plan's or case's state) must record or clear so that its flags are
    exactly the customer's in force (a plan holds only the two safety flags, by kind)."""
    record_id = str(getattr(record, "id", ""))
    changes: list[FlagChange] = []
    if isinstance(record, MspState):
        wanted = {f.kind: f for f in customer.flags if f.kind in ENFORCEMENT_FLAGS}
        present = set(record.safety_flags)
        for kind, flag in wanted.items():
            if kind not in present:
                changes.append(FlagChange("add", kind, kind, customer_source(flag)))
        for kind in sorted(present - set(wanted)):
            changes.append(FlagChange("clear", kind, kind, "", reasons))
        return changes
    if isinstance(record, CaseState):
        wanted_ids = {
            (f.record_flag_id if f.raised_on == record_id else f.flag_id): f for f in customer.flags
        }
        present_ids = {f.flag_id: f.kind for f in record.flags}
        for flag_id, flag in wanted_ids.items():
            if flag_id not in present_ids:
                changes.append(FlagChange("add", flag_id, flag.kind, customer_source(flag)))
        for flag_id, kind in present_ids.items():
            if flag_id not in wanted_ids:
                changes.append(FlagChange("clear", flag_id, kind, "", reasons))
    return changes
