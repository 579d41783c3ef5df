"""The public entry point: an eventsourcing ``Application`` that loads, decides and saves.

This is the only layer with I/O, a clock and logging. It takes typed commands, loads the
aggregate from the store, lets the pure ``decide`` check the procedure's rules, records the
resulting events atomically, and returns them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import date, datetime
from functools import lru_cache
from typing import Any, ClassVar, TypeVar, cast, overload
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError, OperationalError, Recording
from eventsourcing.system import ProcessApplication
from eventsourcing.utils import EnvType
from pydantic import BaseModel, ValidationError

from recoverycore.aggregates import (
    CASE,
    MSP,
    AnyDecider,
    Command,
    DecideContext,
    Decider,
    FlagRequest,
    admit,
    cmr,
    decider_for,
    decider_of_event,
    decider_of_kind,
    invalid_command,
    msp,
)
from recoverycore.aggregates.customer import CustomerCommand, CustomerState
from recoverycore.application._customers import CustomerRecords, Decided
from recoverycore.application._following import SkipsUnreadable
from recoverycore.application._startup import STORE_TIMEOUTS, StartsTogether, backoff
from recoverycore.application.clock import Clock, SystemClock
from recoverycore.application.holidays import holidays_for, state_holidays_for
from recoverycore.errors import (
    AggregateIdInUse,
    AggregateNotFound,
    ConcurrentUpdateError,
    InvalidCommand,
    RecoveryCoreError,
    RuleViolation,
    StoreBusy,
    UnreadableEvent,
)
from recoverycore.events import DomainEvent, Snapshot
from recoverycore.events.cmr import CaseEvent
from recoverycore.events.msp import MspEvent
from recoverycore.events.safeguards import SafeguardReactionRequested
from recoverycore.persistence import (
    MAPPER_TOPIC,
    RECOVERY_APPLICATION,
    TRANSCODER_TOPIC,
    OrjsonTranscoder,
    ProtectedStorage,
    in_memory_env,
    sqlite_env,
)
from recoverycore.policies.safeguards import SAFEGUARD_ACTOR

__all__ = ["RecoveryApp"]

_log = structlog.get_logger("recoverycore")


S = TypeVar("S", bound=BaseModel)
C = TypeVar("C", bound=Command)
_POSITION = {"originator_id", "originator_version"}


class FollowerConflict(IntegrityError):
    """A policy run in this process could not record its position (another process's policy
    recorded it first) after this application's events were committed."""


class RecoveryApp(
    CustomerRecords, ProtectedStorage, StartsTogether, SkipsUnreadable, ProcessApplication[UUID]
):
    """Records Managed Service Plans and case managed recoveries as events.

    It is an eventsourcing process application: policies follow its notification log, and it
    follows the safeguard policy, recording the flags a customer's other records require
    (X-R3, X-R4) atomically with the position of the request it acts on.

    Storage is chosen through eventsourcing's environment variables (``PERSISTENCE_MODULE``,
    ``SQLITE_DBNAME``, ``POSTGRES_*``, ...) from ``os.environ`` and the ``env`` argument; with
    none given it is in memory. :meth:`sqlite` and :meth:`in_memory` are shortcuts. Events are
    always stored by :class:`~recoverycore.persistence.PydanticMapper` with
    :class:`~recoverycore.persistence.OrjsonTranscoder`.

    ``clock`` supplies every ``recorded_at`` (and ``occurred_at`` when a command does not say);
    ``msp_config`` sets the configurable MSP rules.
    """

    name = RECOVERY_APPLICATION
    env: ClassVar[dict[str, str]] = {
        "MAPPER_TOPIC": MAPPER_TOPIC,
        "TRANSCODER_TOPIC": TRANSCODER_TOPIC,
        # Recently used states stay in memory and are fast-forwarded from the store on each
        # read, so a command replays only what others recorded since. States are frozen, so
        # the cache hands them out without copying.
        "AGGREGATE_CACHE_MAXSIZE": "1000",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
        # Snapshots (eventsourcing's snapshot store) keep replay short for long histories.
        "IS_SNAPSHOTTING_ENABLED": "y",
        # Lock, statement and idle-in-transaction timeouts (see STORE_TIMEOUTS).
        **STORE_TIMEOUTS,
    }

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # eventsourcing names an application after its class, and the name picks its tables
        # (and its environment variables): a subclass (an application's own RecoveryApp, a test
        # double) keeps this store unless it names another on purpose.
        given = "name" in cls.__dict__
        super().__init_subclass__(**kwargs)
        if not given:
            cls.name = RECOVERY_APPLICATION

    snapshot_class = Snapshot
    SNAPSHOT_INTERVAL = "RECOVERYCORE_SNAPSHOT_INTERVAL"
    """Environment variable: take a snapshot every N events of a plan or case (default 100;
    0 turns snapshots off)."""

    def __init__(
        self,
        env: EnvType | None = None,
        *,
        clock: Clock | None = None,
        msp_config: msp.MspConfig | None = None,
        case_config: cmr.CaseConfig | None = None,
        configs: Mapping[AnyDecider, BaseModel] | None = None,
        public_holidays: Callable[[range], frozenset[date]] | None = None,
    ) -> None:
        super().__init__(env)
        self.clock: Clock = clock or SystemClock()
        self.configs: dict[AnyDecider, Any] = dict(configs or {})
        """Each aggregate's configuration (a Decider's ``default_config()`` when not given)."""
        if msp_config is not None:
            self.configs[MSP] = msp_config
        if case_config is not None:
            self.configs[CASE] = case_config
        self._holidays = lru_cache(maxsize=8)(public_holidays or holidays_for(self.env))
        self._state_holidays: Callable[[range, str], frozenset[date]] | None = (
            None if public_holidays is not None else lru_cache(maxsize=32)(state_holidays_for)
        )
        """A state's own public holidays (left out when the application supplies its own)."""
        self.snapshot_interval = int(self.env.get(self.SNAPSHOT_INTERVAL) or 100)

    @classmethod
    def in_memory(cls, **kwargs: Any) -> RecoveryApp:
        """An application on eventsourcing's in-memory recorders."""
        return cls(env=in_memory_env(), **kwargs)

    @classmethod
    def sqlite(cls, path: str | os.PathLike[str], **kwargs: Any) -> RecoveryApp:
        """An application on an embedded SQLite file (created if missing)."""
        return cls(env=sqlite_env(path), **kwargs)

    # -- configuration --------------------------------------------------------------------------
    def config_for(self, decider: AnyDecider) -> Any:
        """The configuration ``decider``'s rules are checked under in this application."""
        config = self.configs.get(decider)
        if config is None:
            config = self.configs[decider] = decider.default_config()
        return config

    @property
    def msp_config(self) -> msp.MspConfig:
        """The configurable MSP rules (``configs[MSP]``)."""
        config: msp.MspConfig = self.config_for(MSP)
        return config

    @msp_config.setter
    def msp_config(self, config: msp.MspConfig) -> None:
        self.configs[MSP] = config

    @property
    def case_config(self) -> cmr.CaseConfig:
        """The configurable case rules (``configs[CASE]``)."""
        config: cmr.CaseConfig = self.config_for(CASE)
        return config

    @case_config.setter
    def case_config(self, config: cmr.CaseConfig) -> None:
        self.configs[CASE] = config

    def public_holidays(self, when: datetime, *, state: str | None = None) -> frozenset[date]:
        """The public holidays around ``when`` that the contact rules (X-R6) need: the national
        ones, and those of the customer's ``state`` or territory when it is known."""
        years = range(when.year - 1, when.year + 2)
        found = self._holidays(years)
        if state is not None and self._state_holidays is not None:
            found = found | self._state_holidays(years, state)
        return found

    def contact_calendar(self, when: datetime) -> cmr.ContactCalendar:
        """The public holidays around ``when`` as the case rules take them."""
        return cmr.ContactCalendar(public_holidays=self.public_holidays(when))

    def _context(
        self,
        decider: AnyDecider,
        now: datetime,
        *,
        internal: bool = False,
        customer: CustomerState | None = None,
        related: Mapping[UUID, BaseModel] | None = None,
        aggregate_id: UUID | None = None,
    ) -> DecideContext[Any]:
        state = customer.state if customer is not None else None
        return DecideContext(
            now=now,
            config=self.config_for(decider),
            public_holidays=self.public_holidays(now, state=state),
            customer=customer,
            related=related or {},
            aggregate_id=aggregate_id,
            internal=internal,
        )

    # -- commands ---------------------------------------------------------------------------------
    @overload
    def handle(self, command: msp.MspCommand, *, retries: int = 0) -> list[MspEvent]: ...

    @overload
    def handle(self, command: cmr.CaseCommand, *, retries: int = 0) -> list[CaseEvent]: ...

    @overload
    def handle(self, command: Command, *, retries: int = 0) -> list[DomainEvent]: ...

    def handle(self, command: Command, *, retries: int = 0) -> Sequence[DomainEvent]:
        """Decide ``command`` against its plan's or case's history and record its events
        atomically.

        Returns the recorded events. Raises :class:`InvalidCommand` (nothing recorded) when a
        value cannot be recorded exactly or is implausible (see
        :func:`~recoverycore.aggregates.check_command`; a command built without validation is
        validated here), :class:`RuleViolation` (nothing recorded) when a
        rule refuses it, :class:`AggregateNotFound` for an unknown plan or case, and
        :class:`ConcurrentUpdateError` (nothing recorded) when another command on the same
        aggregate was recorded first ``retries + 1`` times in a row; each retry decides afresh,
        after a jittered wait (exponential backoff with full jitter: up to ``2**attempt`` times
        as long as the try took, at most 5 s), so writers that conflicted together do not retry
        together.
        """
        return self._handle(command, retries=retries, internal=False)

    def handle_for_policy(self, command: Command, *, retries: int = 0) -> Sequence[DomainEvent]:
        """Record ``command`` on behalf of the library's own policies (the follow-up timer's
        expiry, the safeguard reaction): the one path on which an actor may have the ``SYSTEM``
        role. Not for applications: :meth:`handle` refuses ``SYSTEM`` actors."""
        return self._handle(command, retries=retries, internal=True)

    def _handle(self, command: Command, *, retries: int, internal: bool) -> Sequence[DomainEvent]:
        decider = decider_for(command)
        command = self._admitted(decider, command)
        aggregate_id = self._id_of(decider, command)
        log = _log.bind(
            **{f"{decider.noun}_id": str(aggregate_id)},
            command=type(command).__name__,
            actor=command.actor.staff_id,
            role=command.actor.role.value,
        )
        attempt = 0
        while True:
            started = time.monotonic()
            now = self.clock()
            decided: Decided | None = None
            try:
                with self._unit_of_work():
                    decided = self._decided(decider, command, now, internal=internal, log=log)
                    self.save(*decided.all)
            except FollowerConflict:
                # The events are committed; a policy run in this process lost a race for its
                # own position with another process's policy. The command is done: deciding it
                # again would record it twice.
                log.warning("policy conflicted after recording", outcome="accepted")
            except OperationalError as busy:
                # A lock or statement timeout (or a lost connection): nothing was committed.
                log.warning("command not recorded", outcome="store_busy", error=str(busy))
                raise StoreBusy(f"{decider.noun} {aggregate_id}", str(busy)) from busy
            except IntegrityError:
                new = decided is None or decided.version == 0
                owner = self._other_owner(decider, aggregate_id) if new else None
                if owner is not None:
                    # Retrying cannot help: the id is another aggregate's for good.
                    log.info("command refused", outcome="id_in_use", owner=owner.kind)
                    raise AggregateIdInUse(aggregate_id, owner.noun, decider.noun) from None
                if attempt < retries:
                    attempt += 1
                    log.info("command retried", outcome="conflict", attempt=attempt)
                    # Jittered, and scaled to how long a try takes, so the writers spread out.
                    took = time.monotonic() - started
                    time.sleep(backoff(attempt, base=max(0.01, took), cap=5.0))
                    continue
                version = decided.version if decided is not None else 0
                log.warning("command conflicted", outcome="conflict", version=version)
                raise ConcurrentUpdateError(aggregate_id, version) from None
            assert decided is not None  # decided before anything could be recorded
            events = decided.events
            for state in (decided.state, *decided.states):
                self._remember(state)
            before = events[0].originator_version - 1 if events else 0
            self._snapshot_if_due(decider, decided.state, before)
            log.info(
                "command accepted",
                outcome="accepted",
                events=[type(e).__name__ for e in events],
                version=events[-1].originator_version if events else before,
                also=len(decided.others),
            )
            return events

    def _decided(
        self, decider: AnyDecider, command: Command, now: datetime, *, internal: bool, log: Any
    ) -> Decided:
        try:
            return self._decide_all(decider, command, now, internal=internal)
        except RuleViolation as refusal:
            log.info("command refused", outcome="refused", rule_id=refusal.rule_id)
            raise
        except AggregateNotFound:
            log.info("command refused", outcome="not_found")
            raise
        except RecoveryCoreError:
            raise
        except (ValidationError, TypeError, ValueError, ArithmeticError) as error:
            # A value the command checks let through but an event cannot hold (or the stored
            # form cannot keep): refused, typed, with nothing recorded.
            invalid = invalid_command(error)
            log.info("command refused", outcome="invalid", field=invalid.field)
            raise invalid from error

    def _unit_of_work(self) -> AbstractContextManager[None]:
        """Keys and lookup rows made while deciding and recording one command are pending until
        its events are recorded, and removed if they are not."""
        personal = self.personal
        return personal.unit_of_work() if personal is not None else nullcontext()

    def _id_of(self, decider: AnyDecider, command: Command) -> UUID:
        if isinstance(command, CustomerCommand):
            return self.customer_id(command.crn) or decider.id_of(command)
        found: UUID = decider.id_of(command)
        return found

    def _admitted(self, decider: AnyDecider, command: C) -> C:
        """``command`` validated afresh (one built with ``model_construct`` or
        ``model_copy(update=...)`` skipped validation), or :class:`InvalidCommand`."""
        try:
            return admit(command)
        except InvalidCommand as refusal:
            _log.info(
                "command refused",
                command=type(command).__name__,
                kind=decider.noun,
                outcome="invalid",
                field=refusal.field,
            )
            raise

    def _check_stored_form(self, events: Sequence[DomainEvent]) -> None:
        """Refuse events the stored form would not give back as they are (a time whose offset
        has seconds, a lone surrogate): recorded, they could never be read again."""
        transcoder = self.mapper.transcoder
        if not isinstance(transcoder, OrjsonTranscoder):
            return
        for event in events:
            stored = event.model_dump(exclude=_POSITION)
            state = transcoder.decode(transcoder.encode_native(stored))
            back = type(event).model_validate(
                {
                    **state,
                    "originator_id": event.originator_id,
                    "originator_version": event.originator_version,
                }
            )
            if back != event:
                changed = next((k for k in stored if getattr(back, k) != getattr(event, k)), "")
                raise InvalidCommand(
                    changed or "command",
                    f"the {type(event).__name__} it records would not read back from the store "
                    "as recorded (a time whose UTC offset is not whole minutes, say).",
                    "Give times in UTC or with offsets in whole minutes, and record it again.",
                )

    def policy(
        self, domain_event: DomainEventProtocol[UUID], processing_event: ProcessingEvent[UUID]
    ) -> None:
        """Record on each target the safety flag a customer's other record asked for."""
        if not isinstance(domain_event, SafeguardReactionRequested):
            return
        cause = UUID(domain_event.cause_event_id)
        source = f"safeguard: {domain_event.flag} recorded on {domain_event.source_aggregate_id}"
        now = domain_event.recorded_at
        for target, kind in zip(domain_event.targets, domain_event.target_types, strict=True):
            decider = decider_of_kind(kind)
            if decider is None:
                _log.warning("safeguard target of unknown kind", target=target, kind=kind)
                continue
            target_id = UUID(target)
            try:
                state = self._state_or_none(decider, target_id)
            except UnreadableEvent as unreadable:
                # Only that record stops; the customer's other records still get the flag.
                _log.warning("safeguard not applied", target=target, error=str(unreadable))
                continue
            if state is None:
                continue
            command = decider.flag_command(
                state,
                FlagRequest(
                    target_id=target_id,
                    flag=domain_event.flag,
                    source=source,
                    actor=SAFEGUARD_ACTOR,
                    causation_id=cause,
                    correlation_id=domain_event.correlation_id,
                ),
            )
            if command is None:
                continue
            try:
                events = decider.decide(state, command, self._context(decider, now, internal=True))
            except RuleViolation as refusal:
                # A closed plan or case needs no flag; the refusal is logged, not recorded.
                _log.info("safeguard not applied", target=target, rule_id=refusal.rule_id)
                continue
            processing_event.collect_events(*events)

    # -- queries ----------------------------------------------------------------------------------
    def state_or_none(
        self, decider: Decider[S, Any, Any, Any], aggregate_id: UUID, *, version: int | None = None
    ) -> S | None:
        """The aggregate's current state (or as it was at ``version``), or ``None`` when
        ``decider``'s aggregate has recorded nothing under this id."""
        return self._state_or_none(decider, aggregate_id, version=version)

    def state(
        self, decider: Decider[S, Any, Any, Any], aggregate_id: UUID, *, version: int | None = None
    ) -> S:
        """The aggregate's current state, or as it was at ``version``; raises
        :class:`AggregateNotFound` when nothing of ``decider``'s kind was recorded under it."""
        state = self._state_or_none(decider, aggregate_id, version=version)
        if state is None:
            raise AggregateNotFound(aggregate_id, kind=decider.noun)
        return state

    def state_as_of(
        self, decider: Decider[S, Any, Any, Any], aggregate_id: UUID, when: datetime
    ) -> S:
        """The aggregate as it was recorded at ``when`` (events recorded later are left out)."""
        events = [e for e in self.events.get(aggregate_id) if isinstance(e, DomainEvent)]
        if not events or not decider.owns(events[0]):
            raise AggregateNotFound(aggregate_id, kind=decider.noun)
        state = decider.fold(e for e in events if e.recorded_at <= when)
        if state is None or not isinstance(state, decider.state_type):
            raise AggregateNotFound(aggregate_id, kind=decider.noun)
        return state

    def _state_or_none(
        self, decider: Decider[S, Any, Any, Any], aggregate_id: UUID, *, version: int | None = None
    ) -> S | None:
        try:
            projector: Any = decider.project  # states are immutable pydantic models
            state: object = self.repository.get(
                aggregate_id, version=version, projector_func=projector
            )
        except AggregateNotFoundError:
            return None
        except UnreadableEvent:
            raise  # only this aggregate stops, loudly (it is a ValueError too)
        except ValueError:
            # The id's history is another aggregate's: its first event cannot start this one.
            return None
        if not isinstance(state, decider.state_type):
            return None
        if version is None:
            self._remember(state)
        return state

    def plan(self, plan_id: UUID, *, version: int | None = None) -> msp.MspState:
        """The plan's current state, or as it was at ``version`` (``state(MSP, plan_id)``)."""
        return self.state(MSP, plan_id, version=version)

    def case(self, case_id: UUID, *, version: int | None = None) -> cmr.CaseState:
        """The case's current state, or as it was at ``version`` (``state(CASE, case_id)``)."""
        return self.state(CASE, case_id, version=version)

    def plan_as_of(self, plan_id: UUID, when: datetime) -> msp.MspState:
        """The plan as it was recorded at ``when`` (``state_as_of(MSP, plan_id, when)``)."""
        return self.state_as_of(MSP, plan_id, when)

    def case_as_of(self, case_id: UUID, when: datetime) -> cmr.CaseState:
        """The case as it was recorded at ``when`` (``state_as_of(CASE, case_id, when)``)."""
        return self.state_as_of(CASE, case_id, when)

    def _other_owner(self, decider: AnyDecider, aggregate_id: UUID) -> AnyDecider | None:
        """The Decider of another aggregate whose history is stored under ``aggregate_id``."""
        first = next(iter(self.events.get(aggregate_id, limit=1)), None)
        owner = decider_of_event(first) if isinstance(first, DomainEvent) else None
        return owner if owner is not None and owner is not decider else None

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        # eventsourcing calls this after the events are committed, to lead the followers run in
        # this process; a follower's conflict is not the command's.
        try:
            self._lead(recordings)
        except IntegrityError as conflict:
            raise FollowerConflict(str(conflict)) from conflict

    def _lead(self, recordings: list[Recording[UUID]]) -> None:
        super()._notify(recordings)

    def _snapshot_if_due(self, decider: AnyDecider, state: BaseModel | None, before: int) -> None:
        interval = self.snapshot_interval
        if state is None or self.snapshots is None or interval <= 0:
            return
        version: int = cast(Any, state).version  # every state has an id and a version
        if version // interval > before // interval:
            # A snapshot is only a shortcut for replay: the events are already recorded, so a
            # failure here is logged and otherwise ignored.
            try:
                self.snapshots.put([Snapshot.take(state, topic=decider.snapshot_topic())])
            except Exception:
                _log.warning(
                    "snapshot failed", aggregate_id=str(getattr(state, "id", "")), version=version
                )

    def _remember(self, state: BaseModel | None) -> None:
        # eventsourcing fast-forwards a cached immutable state but cannot write the newer one
        # back; doing it here keeps each read to the events recorded since.
        if state is not None and self.repository.cache is not None:
            self.repository.cache.put(cast(Any, state).id, cast(Any, state))

    def history(self, aggregate_id: UUID) -> list[DomainEvent]:
        """Every event recorded on a plan or case, oldest first."""
        events: Sequence[Any] = list(self.events.get(aggregate_id))
        if not events:
            raise AggregateNotFound(aggregate_id, kind="plan or case")
        return [e for e in events if isinstance(e, DomainEvent)]

    def exists(self, aggregate_id: UUID) -> bool:
        """Whether anything has been recorded on this plan or case id."""
        return any(True for _ in self.events.get(aggregate_id, limit=1))

    def describe_store(self) -> Mapping[str, str]:
        """Which store this application uses (for logs and the command line)."""
        module = self.env.get("PERSISTENCE_MODULE") or "eventsourcing.popo"
        where = self.env.get("SQLITE_DBNAME") or self.env.get("POSTGRES_DBNAME") or "memory"
        return {"persistence": module, "database": where}
