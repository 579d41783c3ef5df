"""The public entry point: an eventsourcing ``Application`` that loads, decides and saves.

This is the only layer with I/O, a clock and logging. It takes typed commands, loads the
aggregate from the store, lets the pure ``decide`` check the procedure's rules, records the
resulting events atomically, and returns them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import EnvType

from recoverycore.aggregates import msp
from recoverycore.clock import Clock, SystemClock
from recoverycore.errors import AggregateNotFound, ConcurrentUpdateError, RuleViolation
from recoverycore.events._envelope import DomainEvent
from recoverycore.events.msp import MspEvent
from recoverycore.persistence import MAPPER_TOPIC, TRANSCODER_TOPIC, in_memory_env, sqlite_env

__all__ = ["RecoveryApp"]

_log = structlog.get_logger("recoverycore")


def _project_plan(state: msp.MspState | None, events: Any) -> msp.MspState | None:
    return msp.fold(events, state)


class RecoveryApp(Application[UUID]):
    """Records Managed Service Plans (and, later, case managed recoveries) as events.

    Storage is chosen through eventsourcing's environment variables (``PERSISTENCE_MODULE``,
    ``SQLITE_DBNAME``, ``POSTGRES_*``, ...) from ``os.environ`` and the ``env`` argument; with
    none given it is in memory. :meth:`sqlite` and :meth:`in_memory` are shortcuts. Events are
    always stored by :class:`~recoverycore.persistence.PydanticMapper` with
    :class:`~recoverycore.persistence.OrjsonTranscoder`.

    ``clock`` supplies every ``recorded_at`` (and ``occurred_at`` when a command does not say);
    ``msp_config`` sets the configurable MSP rules.
    """

    name = "RecoveryCore"
    env: ClassVar[dict[str, str]] = {
        "MAPPER_TOPIC": MAPPER_TOPIC,
        "TRANSCODER_TOPIC": TRANSCODER_TOPIC,
        # Recently used states stay in memory and are fast-forwarded from the store on each
        # read, so a command replays only what others recorded since. States are frozen, so
        # the cache hands them out without copying.
        "AGGREGATE_CACHE_MAXSIZE": "1000",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
    }

    def __init__(
        self,
        env: EnvType | None = None,
        *,
        clock: Clock | None = None,
        msp_config: msp.MspConfig | None = None,
    ) -> None:
        super().__init__(env)
        self.clock: Clock = clock or SystemClock()
        self.msp_config = msp_config or msp.MspConfig()

    @classmethod
    def in_memory(cls, **kwargs: Any) -> RecoveryApp:
        """An application on eventsourcing's in-memory recorders."""
        return cls(env=in_memory_env(), **kwargs)

    @classmethod
    def sqlite(cls, path: str | os.PathLike[str], **kwargs: Any) -> RecoveryApp:
        """An application on an embedded SQLite file (created if missing)."""
        return cls(env=sqlite_env(path), **kwargs)

    # -- commands ---------------------------------------------------------------------------------
    def handle(self, command: msp.MspCommand, *, retries: int = 0) -> list[MspEvent]:
        """Decide ``command`` against the plan's history and record its events atomically.

        Returns the recorded events. Raises :class:`RuleViolation` (nothing recorded) when a
        rule refuses it, :class:`AggregateNotFound` for an unknown plan, and
        :class:`ConcurrentUpdateError` (nothing recorded) when another command on the same plan
        was recorded first ``retries + 1`` times in a row; each retry decides afresh.
        """
        log = _log.bind(
            plan_id=str(command.plan_id),
            command=type(command).__name__,
            actor=command.actor.staff_id,
            role=command.actor.role.value,
        )
        attempt = 0
        while True:
            state = self._plan_or_none(command.plan_id)
            version = state.version if state else 0
            try:
                events = msp.decide(state, command, now=self.clock(), config=self.msp_config)
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
                raise ConcurrentUpdateError(command.plan_id, version) from None
            self._remember(msp.fold(events, state))
            log.info(
                "command accepted",
                outcome="accepted",
                events=[type(e).__name__ for e in events],
                version=events[-1].originator_version if events else version,
            )
            return events

    # -- queries ----------------------------------------------------------------------------------
    def plan(self, plan_id: UUID, *, version: int | None = None) -> msp.MspState:
        """The plan's current state, or as it was at ``version``."""
        try:
            state: msp.MspState = self.repository.get(
                plan_id, version=version, projector_func=_project_plan
            )
        except AggregateNotFoundError:
            raise AggregateNotFound(plan_id) from None
        if version is None:
            self._remember(state)
        return state

    def _remember(self, state: msp.MspState | None) -> None:
        # eventsourcing fast-forwards a cached immutable state but cannot write the newer one
        # back; doing it here keeps each read to the events recorded since.
        if state is not None and self.repository.cache is not None:
            self.repository.cache.put(state.id, state)

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
