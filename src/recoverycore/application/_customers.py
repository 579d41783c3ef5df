"""The customer record in the application: found from a CRN, supplied to every decision, and
kept in step with the customer's plans and cases in the same transaction as each command.

A command on a plan or case is decided with the customer's current record and their other
plans and cases in its :class:`~recoverycore.aggregates.DecideContext`; what its events mean for
the customer (:func:`~recoverycore.aggregates.customer.record_consequences`) and the flags each
of the customer's records must then record or clear
(:func:`~recoverycore.aggregates.customer.flag_changes`) are decided too, and everything is
recorded atomically: either all of it or none of it. A command on the customer record applies
its flags to every plan and case of the customer the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import structlog
from pydantic import BaseModel

from recoverycore.aggregates import (
    CUSTOMER,
    AnyDecider,
    Command,
    DecideContext,
    FlagRequest,
    decider_of_kind,
)
from recoverycore.aggregates.customer import (
    CustomerCommand,
    CustomerState,
    flag_changes,
    plain_customer_id,
    record_consequences,
)
from recoverycore.errors import RuleViolation, UnreadableEvent
from recoverycore.events import DomainEvent
from recoverycore.events.customer import (
    CustomerFlagCleared,
    CustomerFlagRecorded,
    customer_record_id,
)
from recoverycore.persistence import ERASED
from recoverycore.policies.safeguards import SAFEGUARD_ACTOR

if TYPE_CHECKING:
    from recoverycore.persistence import PersonalData

__all__ = ["CustomerRecords", "Decided"]

_log = structlog.get_logger("recoverycore")


@dataclass
class Decided:
    """What one command decides: the events of the commanded aggregate (returned to the
    caller), those of the customer's record and other records (recorded with them), and the
    states they lead to."""

    events: list[DomainEvent]
    others: list[DomainEvent] = field(default_factory=list)
    states: list[BaseModel] = field(default_factory=list)
    state: BaseModel | None = None
    version: int = 0
    """The version of the commanded aggregate the command was decided on."""

    @property
    def all(self) -> list[DomainEvent]:
        return [*self.events, *self.others]


class CustomerRecords:
    """The customer-record part of :class:`~recoverycore.RecoveryApp` (a mixin)."""

    # Provided by RecoveryApp.
    personal: PersonalData | None
    _state_or_none: Callable[..., Any]
    _context: Callable[..., DecideContext[Any]]
    _check_stored_form: Callable[[Sequence[DomainEvent]], None]

    # -- finding the customer -----------------------------------------------------------------
    def customer_id(self, crn: str, *, create: bool = False) -> UUID | None:
        """The id of the customer record of ``crn`` (any spelling that normalises to it).

        On a store that protects personal data it is made from the customer's random key
        subject, found through the key store's lookup row of the CRN's keyed digest (made when
        ``create``), so no id can be computed from a guessed CRN; where personal data is kept
        plain it is :func:`~recoverycore.aggregates.customer.plain_customer_id`. ``None`` when
        the customer has no record (or was forgotten) and not ``create``.
        """
        if crn == ERASED:
            return None
        personal = self.personal
        if personal is None:
            return plain_customer_id(crn)
        subject = personal.record_of_crn(crn, create=create)
        return None if subject is None else customer_record_id(subject)

    def customer(self, crn: str) -> CustomerState | None:
        """The customer's current record (``None`` if they have none yet)."""
        customer_id = self.customer_id(crn)
        if customer_id is None:
            return None
        state: CustomerState | None = self._state_or_none(CUSTOMER, customer_id)
        return state

    def customer_of(self, record: BaseModel) -> CustomerState | None:
        """The customer record of a plan's or case's state."""
        crn = getattr(record, "crn", None)
        return self.customer(crn) if isinstance(crn, str) else None

    # -- deciding with the customer ---------------------------------------------------------
    def _related(self, customer: CustomerState | None, exclude: UUID | None) -> dict[UUID, Any]:
        related: dict[UUID, Any] = {}
        for record_id, kind in customer.records if customer else ():
            if record_id == str(exclude):
                continue
            decider = decider_of_kind(kind)
            if decider is None:
                continue
            try:
                state = self._state_or_none(decider, UUID(record_id))
            except UnreadableEvent:
                continue  # that record stops; the others still count
            if state is not None:
                related[UUID(record_id)] = state
        return related

    def _decide_all(
        self, decider: AnyDecider, command: Command, now: datetime, *, internal: bool
    ) -> Decided:
        """Decide ``command`` with the customer's record, and what it means for the record and
        the customer's other plans and cases."""
        if isinstance(command, CustomerCommand):
            return self._decide_on_customer(command, now, internal=internal)
        aggregate_id = decider.id_of(command)
        state = self._state_or_none(decider, aggregate_id)
        crn = getattr(state, "crn", None) if state is not None else getattr(command, "crn", None)
        customer_id = self.customer_id(crn) if isinstance(crn, str) else None
        customer: CustomerState | None = (
            self._state_or_none(CUSTOMER, customer_id) if customer_id else None
        )
        context = self._context(
            decider,
            now,
            internal=internal,
            customer=customer,
            related=self._related(customer, aggregate_id),
        )
        events: list[DomainEvent] = list(decider.decide(state, command, context))
        self._check_stored_form(events)
        new_state = decider.fold(events, state)
        decided = Decided(events, state=new_state, version=getattr(state, "version", 0))
        if not events or not isinstance(crn, str) or crn == ERASED or new_state is None:
            return decided
        customer_id = customer_id or self.customer_id(crn, create=True)
        if customer_id is None:
            return decided
        customer_events = list(
            record_consequences(
                customer,
                customer_id=customer_id,
                crn=crn,
                before=state,
                after=new_state,
                events=events,
            )
        )
        self._check_stored_form(customer_events)
        after = CUSTOMER.fold(customer_events, customer) if customer_events else customer
        decided.others.extend(customer_events)
        if after is None:
            return decided
        decided.states.append(after)
        # This record shows the customer's flags; the others too when the flags moved.
        cause = customer_events[-1] if customer_events else events[-1]
        synced = self._sync(decider, new_state, after, now, cause, reasons=command.reasons)
        decided.events.extend(synced)
        decided.state = decider.fold(synced, new_state) if synced else new_state
        if any(isinstance(e, CustomerFlagRecorded | CustomerFlagCleared) for e in customer_events):
            self._sync_others(decided, after, now, exclude=aggregate_id, reasons=command.reasons)
        return decided

    def _decide_on_customer(
        self, command: CustomerCommand, now: datetime, *, internal: bool
    ) -> Decided:
        customer_id = self.customer_id(command.crn, create=True)
        assert customer_id is not None  # made if new (the CRN is never ERASED: checked)
        customer = self._state_or_none(CUSTOMER, customer_id)
        context = self._context(CUSTOMER, now, internal=internal, aggregate_id=customer_id)
        events: list[DomainEvent] = list(CUSTOMER.decide(customer, command, context))
        self._check_stored_form(events)
        after = CUSTOMER.fold(events, customer)
        decided = Decided(events, state=after, version=customer.version if customer else 0)
        if after is not None and events:
            self._sync_others(decided, after, now, exclude=None, reasons=command.reasons)
        return decided

    def _sync_others(
        self,
        decided: Decided,
        customer: CustomerState,
        now: datetime,
        *,
        exclude: UUID | None,
        reasons: tuple[str, ...],
    ) -> None:
        cause = next(
            (
                e
                for e in reversed(decided.all)
                if isinstance(e, CustomerFlagRecorded | CustomerFlagCleared)
            ),
            decided.all[-1],
        )
        for record_id, kind in customer.records:
            target = UUID(record_id)
            decider = decider_of_kind(kind)
            if decider is None or target == exclude:
                continue
            try:
                state = self._state_or_none(decider, target)
            except UnreadableEvent as unreadable:
                # Only that record stops; the customer's other records still get the flag.
                _log.warning("customer flag not applied", target=record_id, error=str(unreadable))
                continue
            if state is None:
                continue
            synced = self._sync(decider, state, customer, now, cause, reasons=reasons)
            if synced:
                decided.others.extend(synced)
                new_state = decider.fold(synced, state)
                if new_state is not None:
                    decided.states.append(new_state)

    def _sync(
        self,
        decider: AnyDecider,
        state: BaseModel,
        customer: CustomerState,
        now: datetime,
        cause: DomainEvent,
        *,
        reasons: tuple[str, ...],
    ) -> list[DomainEvent]:
        """The events that make ``state`` (a plan or case) show exactly the customer's flags:
        recorded by the library (``SAFEGUARD_ACTOR``), naming the customer flag they apply."""
        cleared_by = f"Cleared on the customer's record by {cause.actor.staff_id}"
        why = (f"{cleared_by}: {' '.join(reasons)}".strip(),)
        events: list[DomainEvent] = []
        for change in flag_changes(customer, state, reasons=why):
            request = FlagRequest(
                target_id=getattr(state, "id"),  # noqa: B009 (every state has an id)
                flag=change.kind,
                source=change.source,
                actor=SAFEGUARD_ACTOR,
                causation_id=cause.event_id,
                correlation_id=cause.correlation_id or cause.event_id,
                reasons=change.reasons,
                flag_id=change.record_flag_id,
            )
            make = decider.flag_command if change.action == "add" else decider.clear_command
            flag_command = make(state, request)
            if flag_command is None:
                continue
            context = self._context(decider, now, internal=True)
            try:
                new = list(decider.decide(state, flag_command, context))
            except RuleViolation as refusal:
                # A closed plan or case needs no flag; the refusal is logged, not recorded.
                _log.info(
                    "customer flag not applied",
                    target=str(getattr(state, "id", "")),
                    rule_id=refusal.rule_id,
                )
                continue
            self._check_stored_form(new)
            events.extend(new)
            folded = decider.fold(new, state)
            if folded is not None:
                state = folded
        return events
