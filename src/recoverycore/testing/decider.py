"""Given/when/then over any :class:`~recoverycore.aggregates.Decider`: one way to test a rule of
any aggregate, the plan's, the case's or one added later.

>>> from recoverycore.aggregates import CASE
>>> from recoverycore.testing import case_builder, given_for
>>> b = case_builder()
>>> history = b.onboarded().events
>>> events = given_for(CASE, *history, now=b.day(0, 10)).when(b.capacity_review())
>>> [type(e).__name__ for e in events]
['RecordReviewed']

The aggregate-specific scenarios (:func:`~recoverycore.testing.given` for a plan,
:func:`~recoverycore.testing.given_case` for a case) add their builders' conveniences; this one
needs nothing but the Decider.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from recoverycore.aggregates import DecideContext, Decider
from recoverycore.errors import RuleViolation
from recoverycore.events import DomainEvent
from recoverycore.testing._shared import EPOCH

__all__ = ["Given", "given_for"]

S = TypeVar("S", bound=BaseModel)
C = TypeVar("C")
E = TypeVar("E", bound=DomainEvent)
K = TypeVar("K", bound=BaseModel)


@dataclass(frozen=True)
class Given(Generic[S, C, E, K]):
    """One aggregate's history, ready to decide the next command against, ``now``.

    ``config`` is the configuration the rules are checked under (the Decider's default when
    ``None``), ``public_holidays`` the days the contact rules treat as holidays.
    """

    decider: Decider[S, Any, E, K]
    events: tuple[DomainEvent, ...] = ()
    now: datetime = EPOCH
    config: K | None = None
    public_holidays: frozenset[date] = frozenset()
    customer: BaseModel | None = None
    """The customer's record (``recoverycore.aggregates.customer.CustomerState``) decided with."""
    related: tuple[BaseModel, ...] = ()
    """The customer's other plans' and cases' states."""

    @property
    def state(self) -> S | None:
        """The fold of the history (``None`` before its first event)."""
        return self.decider.fold(self.events)

    def at(self, now: datetime) -> Given[S, C, E, K]:
        """The same history, deciding at ``now``."""
        return replace(self, now=now)

    def configured(self, config: K) -> Given[S, C, E, K]:
        """The same history, deciding under ``config``."""
        return replace(self, config=config)

    def with_holidays(self, *days: date) -> Given[S, C, E, K]:
        """The same history, with ``days`` as public holidays."""
        return replace(self, public_holidays=frozenset(days))

    def for_customer(self, customer: BaseModel | None, *related: BaseModel) -> Given[S, C, E, K]:
        """The same history, decided with the customer's record and their other plans' and
        cases' states."""
        return replace(self, customer=customer, related=related)

    def when(self, command: C) -> list[E]:
        """The events ``command`` records (or the :class:`RuleViolation` it raises)."""
        config = self.config if self.config is not None else self.decider.default_config()
        context = DecideContext(
            now=self.now,
            config=config,
            public_holidays=self.public_holidays,
            customer=self.customer,
            related={getattr(r, "id"): r for r in self.related},  # noqa: B009
        )
        return self.decider.decide(self.state, command, context)

    def refused(self, command: C) -> RuleViolation:
        """The refusal ``command`` meets; fails the test if it is accepted."""
        try:
            events = self.when(command)
        except RuleViolation as refusal:
            return refusal
        names = [type(e).__name__ for e in events]
        raise AssertionError(f"{type(command).__name__} was accepted, recording {names}")

    def then(self, command: C) -> Given[S, C, E, K]:
        """The history with ``command``'s events added (it must be accepted)."""
        return replace(self, events=(*self.events, *self.when(command)))


def given_for(
    decider: Decider[S, Any, E, K],
    *events: DomainEvent | Iterable[DomainEvent],
    now: datetime = EPOCH,
) -> Given[S, Any, E, K]:
    """A history of ``decider``'s aggregate: ``events`` (single events or sequences of them,
    oldest first), deciding at ``now``."""
    flat: list[DomainEvent] = []
    for item in events:
        if isinstance(item, DomainEvent):
            flat.append(item)
        else:
            flat.extend(item)
    return Given(decider, tuple(flat), now)
