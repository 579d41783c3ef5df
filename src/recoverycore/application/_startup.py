"""Starting applications together on one store, and waiting between retries.

Several processes may start on a new (or existing) store at the same moment: on PostgreSQL they
take turns creating the tables (an advisory lock, :func:`~recoverycore.persistence.schema_lock`);
on either store, what still races (eventsourcing's tracking-table migration row, SQLite's
``database is locked``) is tried again after a jittered wait.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

import structlog
from eventsourcing.application import Application
from eventsourcing.persistence import (
    EventStore,
    InfrastructureFactory,
    IntegrityError,
    InternalError,
    OperationalError,
    ProgrammingError,
)
from eventsourcing.utils import Environment, EnvType

from recoverycore.persistence import (
    StoreKind,
    lenient_sqlite_text,
    schema_lock,
    store_kind,
    tolerate_malformed_ids,
)

__all__ = [
    "POSTGRES_STATEMENT_TIMEOUT",
    "START_ATTEMPTS",
    "STORE_TIMEOUTS",
    "StartsTogether",
    "backoff",
]

_log = structlog.get_logger("recoverycore")

T = TypeVar("T")

START_ATTEMPTS = 10
"""How many times an application tries to create (or check) its tables before giving up."""

POSTGRES_STATEMENT_TIMEOUT = "POSTGRES_STATEMENT_TIMEOUT"
"""Environment variable: seconds any one statement of an application's PostgreSQL connections
may run before the server cancels it (default 30; 0 turns it off)."""

STORE_TIMEOUTS: dict[str, str] = {
    # eventsourcing's own settings (seconds): how long an insert waits for the events table's
    # lock, and how long a connection may sit idle inside a transaction.
    "POSTGRES_LOCK_TIMEOUT": "5",
    "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "5",
    POSTGRES_STATEMENT_TIMEOUT: "30",
    # eventsourcing's SQLite busy timeout (seconds).
    "SQLITE_LOCK_TIMEOUT": "10",
}
"""The defaults recoverycore's applications start with, so no one command blocks the store for
long; each can be set in the environment like any eventsourcing setting."""

_START_RACES = (IntegrityError, InternalError, OperationalError, ProgrammingError)


def backoff(attempt: int, *, base: float = 0.01, cap: float = 1.0) -> float:
    """Seconds to wait before retry ``attempt`` (1, 2, ...): exponential backoff with full
    jitter, uniform between 0 and ``min(cap, base * 2**attempt)``, so writers that conflicted
    together do not retry together."""
    return random.uniform(0, min(cap, base * 2**attempt))  # jitter, not security


def _tried(action: Callable[[], T], what: str) -> T:
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            return action()
        except _START_RACES as race:
            if attempt == START_ATTEMPTS:
                raise
            _log.debug("retrying start-up", what=what, attempt=attempt, error=str(race))
            time.sleep(backoff(attempt, base=0.02, cap=2.0))
    raise AssertionError("unreachable")


class StartsTogether(Application[UUID]):
    """An application that can start at the same moment as others on the same store.

    Its tables are created (or checked) under :func:`~recoverycore.persistence.schema_lock`,
    and creating its recorders is tried again (up to :data:`START_ATTEMPTS` times, with
    :func:`backoff`) when it races another process's.
    """

    def __init__(self, env: EnvType | None = None) -> None:
        with schema_lock(self.construct_env(self.name, env)):
            super().__init__(env)

    def construct_factory(self, env: Environment) -> InfrastructureFactory[Any]:
        factory = super().construct_factory(env)
        seconds = float(env.get(POSTGRES_STATEMENT_TIMEOUT) or 0)
        pool = getattr(getattr(factory, "datastore", None), "pool", None)
        if store_kind(env) is StoreKind.POSTGRES and seconds > 0 and pool is not None:
            # Each new connection of the pool (opened on first use) starts with the timeout.
            kwargs = dict(pool.kwargs or {})
            kwargs["options"] = f"-c statement_timeout={int(seconds * 1000)}"
            pool.kwargs = kwargs
        return lenient_sqlite_text(factory)

    def construct_recorder(self) -> Any:  # a ProcessRecorder for a process application
        return tolerate_malformed_ids(_tried(super().construct_recorder, f"{self.name} recorder"))

    def construct_snapshot_store(self) -> EventStore[UUID]:
        return _tried(super().construct_snapshot_store, f"{self.name} snapshots")
