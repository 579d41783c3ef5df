"""A builder for the customer's record: its commands with sensible defaults, and records made
from them, to decide plans and cases with (``CaseScenario.for_customer``,
``Given.for_customer``).

>>> from recoverycore.testing import customer_builder
>>> c = customer_builder()
>>> record = c.record(c.flag(kind="SUICIDE_SELF_HARM"), c.location(state="WA"))
>>> (sorted(record.flag_kinds()), record.time_zone)
(['SUICIDE_SELF_HARM'], 'Australia/Perth')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from recoverycore.aggregates import CUSTOMER, DecideContext
from recoverycore.aggregates.customer import (
    ClearSafetyFlag,
    CustomerCommand,
    CustomerConfig,
    CustomerState,
    RecordCustomerLocation,
    RecordRepresentative,
    RecordSafetyFlag,
    RegisterCustomer,
    RemoveRepresentative,
    RestrictionsInForce,
    plain_customer_id,
)
from recoverycore.events import Actor, DomainEvent, Role
from recoverycore.events.msp import ContactPoint, Restriction
from recoverycore.testing._shared import EPOCH, staff

__all__ = ["CustomerBuilder", "customer_builder"]


@dataclass(frozen=True)
class CustomerBuilder:
    """Commands on one customer's record, and records built from them (decided at ``now``)."""

    crn: str = "311 204 557J"
    now: datetime = EPOCH
    officer: Actor = field(default_factory=lambda: staff(Role.CASE_MANAGER))
    clearer: Actor = field(default_factory=lambda: staff(Role.SOCIAL_WORKER))

    @property
    def customer_id(self) -> UUID:
        return plain_customer_id(self.crn)

    def command(self, cls: type[CustomerCommand], **fields: Any) -> Any:
        fields.setdefault("actor", self.officer)
        return cls(crn=self.crn, **fields)

    def register(self, **fields: Any) -> RegisterCustomer:
        made: RegisterCustomer = self.command(RegisterCustomer, **fields)
        return made

    def flag(self, **fields: Any) -> RecordSafetyFlag:
        fields.setdefault("flag_id", "F-1")
        fields.setdefault("kind", "SUICIDE_SELF_HARM")
        fields.setdefault("source", "The customer spoke of self-harm on a call.")
        made: RecordSafetyFlag = self.command(RecordSafetyFlag, **fields)
        return made

    def clear(self, **fields: Any) -> ClearSafetyFlag:
        fields.setdefault("flag_id", "F-1")
        fields.setdefault("actor", self.clearer)
        fields.setdefault("reasons", ("Assessed by the social worker: no current risk.",))
        made: ClearSafetyFlag = self.command(ClearSafetyFlag, **fields)
        return made

    def representative(self, **fields: Any) -> RecordRepresentative:
        fields.setdefault("representative_id", "R-1")
        fields.setdefault("kind", "POA")
        fields.setdefault("name", "Jordan Lee")
        fields.setdefault("phone", "0400 000 111")
        made: RecordRepresentative = self.command(RecordRepresentative, **fields)
        return made

    def remove_representative(self, **fields: Any) -> RemoveRepresentative:
        fields.setdefault("representative_id", "R-1")
        made: RemoveRepresentative = self.command(RemoveRepresentative, **fields)
        return made

    def location(self, **fields: Any) -> RecordCustomerLocation:
        fields.setdefault("state", "NSW")
        made: RecordCustomerLocation = self.command(RecordCustomerLocation, **fields)
        return made

    def events(self, *commands: CustomerCommand) -> list[DomainEvent]:
        """The events ``commands`` record, one after another, on a new record."""
        state: CustomerState | None = None
        recorded: list[DomainEvent] = []
        context = DecideContext(now=self.now, config=CustomerConfig())
        for command in commands:
            new = CUSTOMER.decide(state, command, context)
            recorded.extend(new)
            state = CUSTOMER.fold(new, state)
        return recorded

    def record(self, *commands: CustomerCommand, restrictions: Any = ()) -> CustomerState:
        """The customer's record after ``commands`` (opened if none is given), with the MSP
        restrictions ``restrictions`` (``RestrictionsInForce`` events' fields, as dicts) in
        force."""
        events = self.events(*(commands or (self.register(),)))
        state = CUSTOMER.fold(events)
        assert state is not None
        for fields in restrictions:
            event = RestrictionsInForce(
                originator_id=state.id,
                originator_version=state.version + 1,
                occurred_at=self.now,
                recorded_at=self.now,
                actor=self.officer,
                procedure_ref="104-07050030 S1",
                **fields,
            )
            state = CUSTOMER.fold([event], state)
            assert state is not None
        return state


def customer_builder(crn: str = "311 204 557J", **fields: Any) -> CustomerBuilder:
    """A :class:`CustomerBuilder` for the customer ``crn``."""
    return CustomerBuilder(crn=crn, **fields)


def write_only(plan_id: str, omc: ContactPoint, start: Any, end: Any) -> dict[str, Any]:
    """The fields of a write-only MSP's ``RestrictionsInForce`` (for ``record``)."""
    return {
        "plan_id": plan_id,
        "restrictions": (Restriction(kind="WRITE_ONLY"),),
        "channel": omc,
        "start_date": start,
        "end_date": end,
    }
