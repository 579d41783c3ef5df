"""How the customer record decides its commands (the shared skeleton, one handler each)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast
from uuid import UUID

from pydantic import AwareDatetime

from recoverycore.aggregates._decider import (
    Command,
    Decision,
    Handlers,
    Handling,
    Lifecycle,
    decide_with,
    time_zone,
)
from recoverycore.aggregates.customer._evolve import evolve
from recoverycore.aggregates.customer.commands import (
    ClearSafetyFlag,
    CustomerCommand,
    RecordCustomerLocation,
    RecordRepresentative,
    RecordSafetyFlag,
    RegisterCustomer,
    RemoveRepresentative,
)
from recoverycore.aggregates.customer.state import CustomerConfig, CustomerState
from recoverycore.events import Role
from recoverycore.events.customer import (
    PROCEDURE,
    STATE_TIME_ZONES,
    STATE_ZONES,
    CustomerEvent,
    CustomerFlagCleared,
    CustomerFlagRecorded,
    CustomerLocationRecorded,
    CustomerRegistered,
    RepresentativeRecorded,
    RepresentativeRemoved,
)
from recoverycore.events.vocabulary import ENFORCEMENT_FLAGS

__all__ = ["HANDLERS", "decide"]


class _Ctx:
    def __init__(self, d: Decision, config: CustomerConfig) -> None:
        self.d = d
        self.config = config


C = TypeVar("C", bound=CustomerCommand)
Handler = Callable[[CustomerState, C, _Ctx], None]

HANDLERS: Handlers[CustomerState, _Ctx] = Handlers(PROCEDURE)
"""Every customer command's handler and the procedure step it comes from."""


def _no_lifecycle(s: CustomerState, command: Command, d: Decision, h: Handling[_Ctx]) -> None:
    """A customer record has no end: it is kept for as long as the customer's records are."""


LIFECYCLE: Lifecycle[CustomerState, _Ctx] = Lifecycle(
    rule_id="X-A4",
    article="A customer record",
    noun="customer",
    not_found_kind="customer",
    check=_no_lifecycle,
)


@HANDLERS.creates(RegisterCustomer, "S-MSP S1, S-CMR T2.S2")
def _register(s: None, c: RegisterCustomer, x: _Ctx) -> None:
    x.d.emit(CustomerRegistered, crn=c.crn)


@HANDLERS.handles(RecordSafetyFlag, "S-MSP S2, S-CMR T2.S2")
def _flag(s: CustomerState, c: RecordSafetyFlag, x: _Ctx) -> None:
    x.d.require(
        s.flag(c.flag_id) is None
        and c.flag_id not in s.cleared_flags
        # A flag raised on a plan or case keeps its id there: the same id for another flag
        # would make the two one flag on that record (and one clear would clear both).
        and all(f.record_flag_id != c.flag_id for f in s.flags),
        "X-A4",
        f"Flag id {c.flag_id} is already used on the customer's record or one of their "
        "plans and cases.",
        "Give the flag its own id.",
    )
    x.d.emit(
        CustomerFlagRecorded,
        flag_id=c.flag_id,
        kind=c.kind,
        source=c.source,
        referral=c.referral,
        incident_ref=c.incident_ref,
    )


@HANDLERS.handles(ClearSafetyFlag, "S-MSP S2, S-CMR T2.S2")
def _clear(s: CustomerState, c: ClearSafetyFlag, x: _Ctx) -> None:
    flag = x.d.required(
        s.flag(c.flag_id),
        "X-A4",
        f"No flag {c.flag_id} is in force on the customer's record.",
        "Name a flag in force: "
        + (", ".join(f"{f.flag_id} ({f.kind})" for f in s.flags) or "there are none")
        + ".",
    )
    if flag.kind in ENFORCEMENT_FLAGS:
        allowed = x.config.flag_clearing_roles
        x.d.require(
            c.actor.role in allowed or c.actor.role == Role.SYSTEM,
            "X-R3" if flag.kind == "SUICIDE_SELF_HARM" else "X-R4",
            f"Only {' or '.join(sorted(r.value.replace('_', ' ').lower() for r in allowed))} "
            f"may clear a {flag.kind.replace('_', ' ').lower()} flag; {c.actor.staff_id} acts "
            f"as {c.actor.role.value}.",
            "Ask a social worker or decision maker to assess and clear it.",
        )
    text = " ".join(r.strip() for r in c.reasons).strip()
    x.d.require(
        len(text) >= 10,
        "X-A4",
        "No reasons are recorded for clearing the flag.",
        "Record why the flag no longer applies (the assessment, who made it).",
    )
    x.d.emit(CustomerFlagCleared, flag_id=flag.flag_id, kind=flag.kind)


@HANDLERS.handles(RecordRepresentative, "S-MSP S1")
def _represent(s: CustomerState, c: RecordRepresentative, x: _Ctx) -> None:
    x.d.require(
        s.representative(c.representative_id) is None,
        "X-A4",
        f"Representative {c.representative_id} is already recorded for the customer.",
        "Give the new representative their own id, or remove the old record first (with reasons).",
    )
    through = c.contact_through if c.contact_through is not None else c.kind != "PPE"
    x.d.emit(
        RepresentativeRecorded,
        representative_id=c.representative_id,
        kind=c.kind,
        name=c.name,
        phone=c.phone,
        postal_address=c.postal_address,
        contact_through=through,
    )


@HANDLERS.handles(RemoveRepresentative, "S-MSP S1")
def _unrepresent(s: CustomerState, c: RemoveRepresentative, x: _Ctx) -> None:
    found = x.d.required(
        s.representative(c.representative_id),
        "X-A4",
        f"No representative {c.representative_id} is recorded for the customer.",
        "Name a recorded representative: "
        + (", ".join(r.representative_id for r in s.representatives) or "there are none")
        + ".",
    )
    x.d.require(
        len(" ".join(r.strip() for r in c.reasons).strip()) >= 10,
        "X-A4",
        "No reasons are recorded for removing the representative.",
        "Record why they no longer act for the customer (the authority ended, revoked, ...).",
    )
    x.d.emit(RepresentativeRemoved, representative_id=found.representative_id)


@HANDLERS.handles(RecordCustomerLocation, "X-R6 (ACCC contact hours, customer's local time)")
def _locate(s: CustomerState, c: RecordCustomerLocation, x: _Ctx) -> None:
    zone = c.time_zone or STATE_TIME_ZONES[c.state]
    allowed = STATE_ZONES[c.state]
    x.d.require(
        zone in allowed and _known_zone(zone),
        "X-A4",
        f"'{zone}' is not a time zone of {c.state}.",
        f"Give one of {', '.join(sorted(allowed))}, or leave it out to use {c.state}'s.",
    )
    x.d.emit(CustomerLocationRecorded, state=c.state, time_zone=zone)


def _known_zone(zone: str) -> bool:
    try:
        time_zone(zone)
    except (KeyError, ValueError):
        return False
    return True


def decide(
    state: CustomerState | None,
    command: CustomerCommand,
    *,
    customer_id: UUID,
    now: AwareDatetime,
    config: CustomerConfig,
    internal: bool = False,
) -> list[CustomerEvent]:
    """The events ``command`` records on the customer's record (opening it first when it has
    none), or :class:`~recoverycore.errors.RuleViolation` with nothing recorded."""
    events: list[CustomerEvent] = []
    if state is None and not isinstance(command, RegisterCustomer):
        opening = RegisterCustomer(
            crn=command.crn,
            actor=command.actor,
            occurred_at=command.occurred_at,
            correlation_id=command.correlation_id,
            causation_id=command.causation_id,
        )
        events = _decide(None, opening, customer_id, now, config, internal)
        state = evolve(None, events[0])
    return events + _decide(state, command, customer_id, now, config, internal)


def _decide(
    state: CustomerState | None,
    command: CustomerCommand,
    customer_id: UUID,
    now: AwareDatetime,
    config: CustomerConfig,
    internal: bool,
) -> list[CustomerEvent]:
    found = decide_with(
        HANDLERS,
        LIFECYCLE,
        state,
        command,
        aggregate_id=customer_id,
        version=state.version if state else 0,
        now=now,
        zone=time_zone(config.time_zone),
        context=lambda d: _Ctx(d, config),
        config=config,
        internal=internal,
    )
    return cast(list[CustomerEvent], found)
