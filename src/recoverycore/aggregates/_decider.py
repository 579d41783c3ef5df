"""What every aggregate's ``decide`` shares: the command envelope, the context, rule checks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, tzinfo
from functools import lru_cache
from typing import Any, Generic, TypeVar, cast
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict

from recoverycore.errors import RuleViolation
from recoverycore.events._envelope import Actor, DomainEvent, Snapshot

__all__ = ["Command", "Decision", "Evolvers", "replay", "time_zone"]

E = TypeVar("E", bound=DomainEvent)
T = TypeVar("T")
S = TypeVar("S", bound=BaseModel)
Change = Callable[[Any, Any], Mapping[str, Any]]
"""A state change: the fields an event changes, as a ``TypedDict`` of the state's fields (so a
misspelt or mistyped field is a type error, not a silently stored value)."""
F = TypeVar("F", bound=Change)


@lru_cache(maxsize=16)
def time_zone(name: str) -> tzinfo:
    """The IANA time zone ``name`` (a pure lookup in the time zone database, cached)."""
    return ZoneInfo(name)


class Command(BaseModel):
    """Fields every command carries: who acts, why, on what evidence, and (optionally) when.

    ``occurred_at`` is when the action happened if it is recorded afterwards (a call made at
    10:05 and recorded at 10:30); when left out the application's clock supplies it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: Actor
    reasons: tuple[str, ...] = ()
    evidence_refs: tuple[str, ...] = ()
    authority: str | None = None
    occurred_at: AwareDatetime | None = None
    correlation_id: UUID | None = None
    causation_id: UUID | None = None


class Decision:
    """Collects the rules checked and the events emitted while deciding one command."""

    def __init__(
        self,
        command: Command,
        aggregate_id: UUID,
        version: int,
        now: AwareDatetime,
        procedure_ref: str,
        zone: tzinfo,
    ) -> None:
        self.command = command
        self.aggregate_id = aggregate_id
        self.version = version
        self.now = now
        self.zone = zone
        # Recorded in the procedure's local time, so that "which day" never depends on the
        # offset a caller happened to use.
        self.occurred_at = (command.occurred_at or now).astimezone(zone)
        self.procedure_ref = procedure_ref
        self.rules: list[str] = []
        self.events: list[DomainEvent] = []

    def local_date(self, when: datetime | None = None) -> date:
        """The local calendar date of ``when`` (default: when the action occurred)."""
        return (when or self.occurred_at).astimezone(self.zone).date()

    def require(self, ok: bool, rule_id: str, reason: str, remedy: str) -> None:
        """Check one rule: refuse the whole command, recording nothing, when it does not hold."""
        self.applied(rule_id)
        if not ok:
            raise RuleViolation(rule_id, reason, remedy)

    def required(self, value: T | None, rule_id: str, reason: str, remedy: str) -> T:
        """Check that ``value`` is there (a rule that needs it): return it, narrowed, or refuse
        the whole command as :meth:`require` does. Use it instead of ``assert`` after
        ``require``."""
        self.applied(rule_id)
        if value is None:
            raise RuleViolation(rule_id, reason, remedy)
        return value

    def applied(self, *rule_ids: str) -> None:
        """Note rules that were checked and held without a ``require`` (e.g. a safeguard that
        did not block)."""
        for rule_id in rule_ids:
            if rule_id not in self.rules:
                self.rules.append(rule_id)

    def emit(self, event_class: type[E], *, procedure_ref: str | None = None, **fields: Any) -> E:
        command = self.command
        event = event_class(
            originator_id=self.aggregate_id,
            originator_version=self.version + len(self.events) + 1,
            occurred_at=self.occurred_at,
            recorded_at=self.now,
            actor=command.actor,
            authority=command.authority,
            reasons=command.reasons,
            evidence_refs=command.evidence_refs,
            procedure_ref=procedure_ref or self.procedure_ref,
            rules_applied=tuple(self.rules),
            correlation_id=command.correlation_id,
            causation_id=command.causation_id,
            **fields,
        )
        self.events.append(event)
        return event


class Evolvers(Generic[S]):
    """The state changes an aggregate makes for each event type, and how they are applied.

    A change function returns only the fields that change; :meth:`apply` sets the version and
    copies the frozen state. An event type with no change function moves only the version, so
    an event from a newer release never stops an older history from replaying.
    """

    def __init__(self) -> None:
        self._changes: dict[type[DomainEvent], Change] = {}

    def on(self, *event_types: type[DomainEvent]) -> Callable[[F], F]:
        def register(change: F) -> F:
            for event_type in event_types:
                self._changes[event_type] = change
            return change

        return register

    def apply(self, state: S, event: DomainEvent) -> S:
        change = self._changes.get(type(event))
        update = dict(change(state, event)) if change else {}
        update["version"] = event.originator_version
        return state.model_copy(update=update)


def replay(
    evolve: Callable[[S | None, DomainEvent], S],
    events: Iterable[DomainEvent],
    state: S | None = None,
) -> S | None:
    """Fold ``events`` into ``state``; a snapshot (first, when there is one) restores a state."""
    for event in events:
        state = cast(S, event.mutate(None)) if isinstance(event, Snapshot) else evolve(state, event)
    return state
