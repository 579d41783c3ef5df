"""The public entry point: an eventsourcing ``Application`` that loads, decides and saves.

This is the only layer with I/O, a clock and logging. It takes typed commands, loads the
aggregate from the store, lets the pure ``decide`` check the procedure's rules, records the
resulting events atomically, and returns them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any, ClassVar, overload
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError
from eventsourcing.system import ProcessApplication
from eventsourcing.utils import EnvType

from recoverycore.aggregates import cmr, msp
from recoverycore.application.clock import Clock, SystemClock
from recoverycore.application.holidays import holidays_for
from recoverycore.errors import AggregateNotFound, ConcurrentUpdateError, RuleViolation
from recoverycore.events._envelope import DomainEvent, Snapshot
from recoverycore.events.cmr import CaseEvent
from recoverycore.events.msp import MspEvent
from recoverycore.events.safeguards import SafeguardReactionRequested
from recoverycore.persistence import (
    MAPPER_TOPIC,
    RECOVERY_APPLICATION,
    TRANSCODER_TOPIC,
    ProtectedStorage,
    in_memory_env,
    sqlite_env,
)
from recoverycore.policies.safeguards import SAFEGUARD_ACTOR

__all__ = ["RecoveryApp"]

_log = structlog.get_logger("recoverycore")


def _project_plan(state: msp.MspState | None, events: Any) -> msp.MspState | None:
    return msp.fold(events, state)


def _project_case(state: cmr.CaseState | None, events: Any) -> cmr.CaseState | None:
    return cmr.fold(events, state)


class RecoveryApp(ProtectedStorage, ProcessApplication[UUID]):
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
    }
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
        public_holidays: Callable[[range], frozenset[date]] | None = None,
    ) -> None:
        super().__init__(env)
        self.clock: Clock = clock or SystemClock()
        self.msp_config = msp_config or msp.MspConfig()
        self.case_config = case_config or cmr.CaseConfig()
        self._holidays = lru_cache(maxsize=8)(public_holidays or holidays_for(self.env))
        self.snapshot_interval = int(self.env.get(self.SNAPSHOT_INTERVAL) or 100)

    @classmethod
    def in_memory(cls, **kwargs: Any) -> RecoveryApp:
        """An application on eventsourcing's in-memory recorders."""
        return cls(env=in_memory_env(), **kwargs)

    @classmethod
    def sqlite(cls, path: str | os.PathLike[str], **kwargs: Any) -> RecoveryApp:
        """An application on an embedded SQLite file (created if missing)."""
        return cls(env=sqlite_env(path), **kwargs)

    # -- commands ---------------------------------------------------------------------------------
    @overload
    def handle(self, command: msp.MspCommand, *, retries: int = 0) -> list[MspEvent]: ...

    @overload
    def handle(self, command: cmr.CaseCommand, *, retries: int = 0) -> list[CaseEvent]: ...

    def handle(
        self, command: msp.MspCommand | cmr.CaseCommand, *, retries: int = 0
    ) -> list[MspEvent] | list[CaseEvent]:
        """Decide ``command`` against the plan's or case's history and record its events
        atomically.

        Returns the recorded events. Raises :class:`RuleViolation` (nothing recorded) when a
        rule refuses it, :class:`AggregateNotFound` for an unknown plan or case, and
        :class:`ConcurrentUpdateError` (nothing recorded) when another command on the same
        aggregate was recorded first ``retries + 1`` times in a row; each retry decides afresh.
        """
        is_case = isinstance(command, cmr.CaseCommand)
        aggregate_id = command.case_id if isinstance(command, cmr.CaseCommand) else command.plan_id
        log = _log.bind(
            **{"case_id" if is_case else "plan_id": str(aggregate_id)},
            command=type(command).__name__,
            actor=command.actor.staff_id,
            role=command.actor.role.value,
        )
        attempt = 0
        while True:
            now = self.clock()
            try:
                if isinstance(command, cmr.CaseCommand):
                    case = self._case_or_none(command.case_id)
                    version = case.version if case else 0
                    events: list[Any] = cmr.decide(
                        case,
                        command,
                        now=now,
                        config=self.case_config,
                        calendar=self.contact_calendar(now),
                    )
                    new_state: Any = cmr.fold(events, case)
                else:
                    plan = self._plan_or_none(command.plan_id)
                    version = plan.version if plan else 0
                    events = msp.decide(plan, command, now=now, config=self.msp_config)
                    new_state = msp.fold(events, plan)
            except RuleViolation as refusal:
                log.info("command refused", outcome="refused", rule_id=refusal.rule_id)
                raise
            except AggregateNotFound:
                log.info("command refused", outcome="not_found")
                raise
            try:
                self.save(*events)
            except IntegrityError:
                if attempt < retries:
                    attempt += 1
                    log.info("command retried", outcome="conflict", attempt=attempt)
                    continue
                log.warning("command conflicted", outcome="conflict", version=version)
                raise ConcurrentUpdateError(aggregate_id, version) from None
            self._remember(new_state)
            self._snapshot_if_due(new_state, version)
            log.info(
                "command accepted",
                outcome="accepted",
                events=[type(e).__name__ for e in events],
                version=events[-1].originator_version if events else version,
            )
            return events

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
            target_id = UUID(target)
            try:
                if kind == "ManagedServicePlan":
                    plan = self._plan_or_none(target_id)
                    if plan is None or domain_event.flag in plan.safety_flags:
                        continue
                    events: list[Any] = msp.decide(
                        plan,
                        msp.RecordVulnerabilityFlag(
                            plan_id=target_id,
                            actor=SAFEGUARD_ACTOR,
                            flag=domain_event.flag,
                            source=source,
                            causation_id=cause,
                            correlation_id=domain_event.correlation_id,
                        ),
                        now=now,
                        config=self.msp_config,
                    )
                else:
                    case = self._case_or_none(target_id)
                    flag_id = f"SG-{cause}"
                    if case is None or any(f.flag_id == flag_id for f in case.flags):
                        continue
                    events = cmr.decide(
                        case,
                        cmr.RecordVulnerabilityFlag(
                            case_id=target_id,
                            actor=SAFEGUARD_ACTOR,
                            flag_id=flag_id,
                            kind=domain_event.flag,
                            source=source,
                            causation_id=cause,
                            correlation_id=domain_event.correlation_id,
                        ),
                        now=now,
                        config=self.case_config,
                        calendar=self.contact_calendar(now),
                    )
            except RuleViolation as refusal:
                # A closed plan or case needs no flag; the refusal is logged, not recorded.
                _log.info("safeguard not applied", target=target, rule_id=refusal.rule_id)
                continue
            processing_event.collect_events(*events)

    def contact_calendar(self, when: datetime) -> cmr.ContactCalendar:
        """The public holidays around ``when`` that the contact rules (X-R6) need."""
        return cmr.ContactCalendar(
            public_holidays=self._holidays(range(when.year - 1, when.year + 2))
        )

    # -- queries ----------------------------------------------------------------------------------
    def plan(self, plan_id: UUID, *, version: int | None = None) -> msp.MspState:
        """The plan's current state, or as it was at ``version``."""
        try:
            state = self.repository.get(plan_id, version=version, projector_func=_project_plan)
        except (AggregateNotFoundError, ValueError):
            raise AggregateNotFound(plan_id) from None
        if not isinstance(state, msp.MspState):
            raise AggregateNotFound(plan_id)
        if version is None:
            self._remember(state)
        return state

    def _snapshot_if_due(self, state: msp.MspState | cmr.CaseState | None, before: int) -> None:
        interval = self.snapshot_interval
        if state is None or self.snapshots is None or interval <= 0:
            return
        if state.version // interval > before // interval:
            # A snapshot is only a shortcut for replay: the events are already recorded, so a
            # failure here is logged and otherwise ignored.
            try:
                self.snapshots.put([Snapshot.take(state)])
            except Exception:
                _log.warning("snapshot failed", aggregate_id=str(state.id), version=state.version)

    def _remember(self, state: msp.MspState | cmr.CaseState | None) -> None:
        # eventsourcing fast-forwards a cached immutable state but cannot write the newer one
        # back; doing it here keeps each read to the events recorded since.
        if state is not None and self.repository.cache is not None:
            self.repository.cache.put(state.id, state)

    def case(self, case_id: UUID, *, version: int | None = None) -> cmr.CaseState:
        """The case's current state, or as it was at ``version``."""
        try:
            state = self.repository.get(case_id, version=version, projector_func=_project_case)
        except (AggregateNotFoundError, ValueError):
            raise AggregateNotFound(case_id, kind="case") from None
        if not isinstance(state, cmr.CaseState):
            raise AggregateNotFound(case_id, kind="case")
        if version is None:
            self._remember(state)
        return state

    def case_as_of(self, case_id: UUID, when: datetime) -> cmr.CaseState:
        """The case as it was recorded at ``when`` (events recorded later are left out)."""
        state = cmr.fold(e for e in self.history(case_id) if e.recorded_at <= when)
        if state is None:
            raise AggregateNotFound(case_id, kind="case")
        return state

    def _case_or_none(self, case_id: UUID) -> cmr.CaseState | None:
        try:
            return self.case(case_id)
        except AggregateNotFound:
            return None

    def plan_as_of(self, plan_id: UUID, when: datetime) -> msp.MspState:
        """The plan as it was recorded at ``when`` (events recorded later are left out)."""
        events = [e for e in self.history(plan_id) if e.recorded_at <= when]
        state = msp.fold(events)
        if state is None:
            raise AggregateNotFound(plan_id)
        return state

    def history(self, aggregate_id: UUID) -> list[DomainEvent]:
        """Every event recorded on a plan or case, oldest first."""
        events: Sequence[Any] = list(self.events.get(aggregate_id))
        if not events:
            raise AggregateNotFound(aggregate_id, kind="plan or case")
        return [e for e in events if isinstance(e, DomainEvent)]

    def exists(self, aggregate_id: UUID) -> bool:
        """Whether anything has been recorded on this plan or case id."""
        return any(True for _ in self.events.get(aggregate_id, limit=1))

    def _plan_or_none(self, plan_id: UUID) -> msp.MspState | None:
        try:
            return self.plan(plan_id)
        except AggregateNotFound:
            return None

    def describe_store(self) -> Mapping[str, str]:
        """Which store this application uses (for logs and the command line)."""
        module = self.env.get("PERSISTENCE_MODULE") or "eventsourcing.popo"
        where = self.env.get("SQLITE_DBNAME") or self.env.get("POSTGRES_DBNAME") or "memory"
        return {"persistence": module, "database": where}
