"""What every aggregate shares: the command envelope, the rule checks, the decide skeleton, and
the :class:`Decider` value that describes one aggregate to the application, the views and the
test kit.

An aggregate module registers one handler per command type on a typed :class:`Handlers` registry
(``@handlers.handles(ApproveMsp, "S1")``), keeps its lifecycle checks in one function, and
decides with :func:`decide_with`, the one skeleton every aggregate shares: the action is not
dated in the future, a ``SYSTEM`` actor is the library's own policy (X-A3), a creating command
finds no aggregate, any other command finds one, the aggregate's own lifecycle checks hold, the
role table lets the actor record it (``aggregates/_authority.py``), then the handler runs.
Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from functools import lru_cache
from typing import Any, Generic, Self, TypeVar, cast
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.utils import get_topic
from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator

from recoverycore.aggregates._input import (
    check_command,
    check_time,
    mark_validated,
    was_validated,
)
from recoverycore.errors import AggregateNotFound, RuleViolation, UnknownCommand
from recoverycore.events import Actor, DomainEvent, Snapshot

__all__ = [
    "Command",
    "DecideContext",
    "Decider",
    "Decision",
    "Evolvers",
    "FlagRequest",
    "Handlers",
    "Handling",
    "Lifecycle",
    "decide_with",
    "replay",
    "time_zone",
]

E = TypeVar("E", bound=DomainEvent)
T = TypeVar("T")
S = TypeVar("S", bound=BaseModel)
C = TypeVar("C", bound="Command")
CC = TypeVar("CC", bound="Command")
K = TypeVar("K", bound=BaseModel)
X = TypeVar("X")
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

    Every value is checked when the command is built (:func:`check_command`): times and dates
    in the plausible range, texts clean and within their limits, amounts and numbers storable.
    A value that is not is refused with :class:`~recoverycore.errors.InvalidCommand` naming it
    (inside pydantic's ``ValidationError`` at construction; as itself from ``decide``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: Actor
    reasons: tuple[str, ...] = ()
    evidence_refs: tuple[str, ...] = ()
    authority: str | None = None
    occurred_at: AwareDatetime | None = None
    correlation_id: UUID | None = None
    causation_id: UUID | None = None

    @model_validator(mode="after")
    def _recordable(self) -> Self:
        check_command(self)
        mark_validated(self)
        return self


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


# -- the typed handler registry -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Handling(Generic[X]):
    """How one command type is handled: its procedure step, its handler, and its marks."""

    command_type: type[Command]
    procedure_ref: str
    handler: Callable[[Any, Any, X], None]
    creates: bool = False
    tags: frozenset[str] = frozenset()


class Handlers(Generic[S, X]):
    """The handlers of one aggregate, by command type, each tied to its procedure step.

    ``S`` is the aggregate's state and ``X`` what a handler receives besides the state and the
    command (the :class:`Decision`, or an aggregate's own context around it). A handler is typed
    by the command it handles, so ``@handlers.handles(ApproveMsp, "S1")`` on a function that
    takes a ``RejectMsp`` is a type error.
    """

    def __init__(self, procedure: str) -> None:
        self.procedure = procedure
        self._by_type: dict[type[Command], Handling[X]] = {}

    def handles(
        self, command_type: type[CC], step: str, *, tags: Iterable[str] = ()
    ) -> Callable[[Callable[[S, CC, X], None]], Callable[[S, CC, X], None]]:
        """Register the handler of ``command_type`` (on an existing aggregate) at ``step``."""

        def register(handler: Callable[[S, CC, X], None]) -> Callable[[S, CC, X], None]:
            self._add(Handling(command_type, self._ref(step), handler, False, frozenset(tags)))
            return handler

        return register

    def creates(
        self, command_type: type[CC], step: str
    ) -> Callable[[Callable[[None, CC, X], None]], Callable[[None, CC, X], None]]:
        """Register the handler of the command that starts the aggregate's history."""

        def register(handler: Callable[[None, CC, X], None]) -> Callable[[None, CC, X], None]:
            self._add(Handling(command_type, self._ref(step), handler, True))
            return handler

        return register

    def _ref(self, step: str) -> str:
        return f"{self.procedure} {step}"

    def _add(self, handling: Handling[X]) -> None:
        if handling.command_type in self._by_type:
            raise ValueError(f"{handling.command_type.__name__} already has a handler")
        self._by_type[handling.command_type] = handling

    def __getitem__(self, command_type: type[Command]) -> Handling[X]:
        """The handling of ``command_type`` (or of the nearest command class it extends);
        :class:`~recoverycore.errors.UnknownCommand` when none is registered."""
        for base in command_type.__mro__:
            handling = self._by_type.get(base)
            if handling is not None:
                return handling
        raise UnknownCommand(command_type.__name__, f"procedure {self.procedure}")

    def __contains__(self, command_type: object) -> bool:
        return command_type in self._by_type

    def __iter__(self) -> Iterator[type[Command]]:
        return iter(self._by_type)

    def __len__(self) -> int:
        return len(self._by_type)


# -- the one decide skeleton ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Lifecycle(Generic[S, X]):
    """The checks every command of one aggregate passes before its handler runs.

    ``rule_id`` is the aggregate's record-keeping rule (an action dated in the future, an id used
    twice); ``article`` and ``noun`` name the aggregate in messages ("An MSP", "plan");
    ``check`` holds the aggregate's own lifecycle rules (terminal, closing, case team), run on
    an existing aggregate after it has been found.
    """

    rule_id: str
    article: str
    noun: str
    not_found_kind: str
    check: Callable[[S, Command, Decision, Handling[X]], None]


def decide_with(
    handlers: Handlers[S, X],
    lifecycle: Lifecycle[S, X],
    state: S | None,
    command: Command,
    *,
    aggregate_id: UUID,
    version: int,
    now: AwareDatetime,
    zone: tzinfo,
    context: Callable[[Decision], X],
    config: BaseModel | None = None,
    internal: bool = False,
) -> list[DomainEvent]:
    """Decide ``command`` (the skeleton every aggregate shares): the events it records, or
    :class:`RuleViolation` (or :class:`AggregateNotFound`) with nothing recorded.

    After the lifecycle checks and before the handler, the role table's row for the command
    is applied (:func:`~recoverycore.aggregates._authority.authorize`), reading the role
    settings of ``config``; ``internal`` is True only when the library's own policies record
    (only then may the actor have the role ``SYSTEM``)."""
    # Imported here: the role table names every aggregate's commands, which import this module.
    from recoverycore.aggregates._authority import authorize, system_only_for_policies

    handling = handlers[type(command)]
    if not was_validated(command):  # built with model_construct or model_copy(update=...)
        check_command(command)
    d = Decision(command, aggregate_id, version, now, handling.procedure_ref, zone)
    # The procedure's zone may have had an offset in seconds at that time (local mean time).
    check_time(d.occurred_at, "occurred_at")
    d.require(
        d.occurred_at <= now,
        lifecycle.rule_id,
        "The action is dated later than the time it is being recorded.",
        "Record the action after it has happened, with the time it happened.",
    )
    system_only_for_policies(command, d, internal=internal)
    if handling.creates:
        d.require(
            state is None,
            lifecycle.rule_id,
            f"{lifecycle.article} with id {aggregate_id} has already been recorded.",
            f"Use a new {lifecycle.noun} id, or act on the existing {lifecycle.noun}.",
        )
    else:
        if state is None:
            raise AggregateNotFound(aggregate_id, kind=lifecycle.not_found_kind)
        lifecycle.check(state, command, d, handling)
    authorize(state, command, d, config, internal=internal)
    handling.handler(state, command, context(d))
    return d.events


# -- one aggregate as a value ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DecideContext(Generic[K]):
    """What ``decide`` needs besides the state and the command: the time it is being recorded,
    the configuration in force, the public holidays around that time (the contact rules use
    them), the customer's current record and their other plans and cases, and whether the
    library's own policies are acting. The application supplies them; the aggregate never reads
    a clock or a store."""

    now: AwareDatetime
    config: K
    public_holidays: frozenset[date] = frozenset()
    customer: Any = None
    """The customer's current record (``recoverycore.customer.CustomerState``), or ``None`` when
    the customer has none yet: safety flags, restrictions in force, representatives, location."""
    related: Mapping[UUID, BaseModel] = field(default_factory=dict)
    """The current states of the customer's other plans and cases, by id."""
    aggregate_id: UUID | None = None
    """The aggregate's id where the application resolves it (a customer record's, found from the
    CRN), else ``None`` (the Decider's ``id_of`` the command)."""
    internal: bool = False
    """Whether the command is recorded by the library's own policies (the follow-up timer, the
    safeguard reaction): only then may its actor have the ``SYSTEM`` role."""


@dataclass(frozen=True, slots=True)
class FlagRequest:
    """A request to record (or clear) a flag of the customer's record on one of their plans or
    cases (X-R3, X-R4), as the aggregate's own flag command needs it."""

    target_id: UUID
    flag: str
    source: str
    actor: Actor
    causation_id: UUID | None = None
    correlation_id: UUID | None = None
    reasons: tuple[str, ...] = ()
    flag_id: str = ""
    """The flag's id on the target (a case names its flags; a plan names them by kind)."""


@dataclass(frozen=True, eq=False)
class Decider(Generic[S, C, E, K]):
    """One aggregate, described as values: which commands it takes, how it decides and evolves.

    ``recoverycore.aggregates.DECIDERS`` maps each aggregate's command base class to its
    Decider. The application's write path (``RecoveryApp.handle``, ``state``, ``state_as_of``,
    snapshots, the safeguard reaction it records) and the test kit (``given_for``) go through
    it, so an aggregate registered there is decided, stored and read back with no other change.
    The read side names events (see ``docs/architecture.md``, "Adding an aggregate").

    * ``event_type`` is the base class of its events and ``event_types`` every concrete one.
    * ``kind``: the aggregate type the views and the safeguard policy name it by
      (``ManagedServicePlan``, ``CaseManagedRecovery``); ``noun``: how errors name it.
    * ``decide(state, command, context)``: the events a command records, or a refusal.
    * ``evolve(state, event)``: total; ``fold`` replays a history (a snapshot may come first).
    * ``flag_command(state, request)``: the command that records a safeguard flag on this
      aggregate, or ``None`` when the flag is already recorded.
    * ``flags_in_force`` and ``pauses_in_force`` summarise a state for the auditor's answers.
    """

    kind: str
    noun: str
    command_type: type[C]
    state_type: type[S]
    event_type: type[E]
    event_types: tuple[type[E], ...]
    config_type: type[K]
    id_of: Callable[[C], UUID]
    decide: Callable[[S | None, C, DecideContext[K]], list[E]]
    evolve: Callable[[S | None, DomainEvent], S]
    flag_command: Callable[[S, FlagRequest], C | None]
    flags_in_force: Callable[[S], tuple[str, ...]]
    pauses_in_force: Callable[[S], tuple[BaseModel, ...]] = field(default=lambda _: ())
    clear_command: Callable[[S, FlagRequest], C | None] = field(default=lambda _s, _r: None)
    """The command that clears a flag the customer's record no longer has (``None``: none)."""
    state_topic: str = ""
    """The topic its snapshots name the state class by (by default the class's own): kept when
    the class moves, so stores stay readable by older and newer code alike."""

    initial_state: None = None
    """Every history starts from nothing: the creating command's event makes the state."""

    def fold(self, events: Iterable[DomainEvent], state: S | None = None) -> S | None:
        """Replay ``events`` (a snapshot may come first) into the state."""
        return replay(self.evolve, events, state)

    def project(self, state: S | None, events: Iterable[Any]) -> S | None:
        """``fold`` in the argument order of eventsourcing's ``projector_func``."""
        return replay(self.evolve, events, state)

    def snapshot_topic(self) -> str:
        """The topic a snapshot of this aggregate's state is stored under."""
        return self.state_topic or get_topic(self.state_type)

    def default_config(self) -> K:
        return self.config_type()

    def owns(self, event: object) -> bool:
        """Whether ``event`` belongs to this aggregate's histories."""
        return isinstance(event, self.event_type)
