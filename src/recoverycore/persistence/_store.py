"""Which store an application uses, chosen only through eventsourcing's environment variables."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from eventsourcing.utils import get_topic

from recoverycore.persistence._mapper import PydanticMapper
from recoverycore.persistence._transcoder import OrjsonTranscoder

__all__ = [
    "ALL_APPLICATIONS",
    "DEFAULT_DB_PATH",
    "FOLLOW_UP_APPLICATION",
    "MAPPER_TOPIC",
    "POLICY_APPLICATIONS",
    "RECOVERY_APPLICATION",
    "SAFEGUARD_APPLICATION",
    "TRANSCODER_TOPIC",
    "StoreKind",
    "in_memory_env",
    "postgres_connect_args",
    "postgres_env",
    "resolve_store_env",
    "schema_lock",
    "sqlite_env",
    "store_kind",
]

MAPPER_TOPIC = get_topic(PydanticMapper)
TRANSCODER_TOPIC = get_topic(OrjsonTranscoder)
DEFAULT_DB_PATH = Path("recoverycore.db")
"""The embedded SQLite file used by the CLI and examples when nothing else is said."""

RECOVERY_APPLICATION = "RecoveryCore"
"""The name of :class:`recoverycore.RecoveryApp` and of its notification log (plans and cases)."""
FOLLOW_UP_APPLICATION = "FollowUpPolicy"
"""The name of the follow-up policy and of its notification log (follow-up ledgers)."""
SAFEGUARD_APPLICATION = "SafeguardPolicy"
"""The name of the safeguard policy and of its notification log (customer records)."""
ALL_APPLICATIONS = (RECOVERY_APPLICATION, FOLLOW_UP_APPLICATION, SAFEGUARD_APPLICATION)
"""Every application of a store, in the order ``verify`` reads their logs."""
POLICY_APPLICATIONS = (FOLLOW_UP_APPLICATION, SAFEGUARD_APPLICATION)
"""The process applications that follow RecoveryApp (names as eventsourcing prefixes them)."""


class StoreKind(StrEnum):
    """Which kind of eventsourcing store an environment describes."""

    MEMORY = "memory"
    """eventsourcing's in-memory (POPO) recorders, also when ``PERSISTENCE_MODULE`` is unset."""
    SQLITE = "sqlite"
    """eventsourcing's SQLite recorders (on a file, or ``:memory:``)."""
    POSTGRES = "postgres"
    """eventsourcing's PostgreSQL recorders."""
    OTHER = "other"
    """Any other persistence module."""


def store_kind(env: Mapping[str, str]) -> StoreKind:
    """The kind of store ``env`` describes, from eventsourcing's ``PERSISTENCE_MODULE``."""
    module = env.get("PERSISTENCE_MODULE") or "eventsourcing.popo"
    if module.endswith("sqlite"):
        return StoreKind.SQLITE
    if module.endswith("postgres"):
        return StoreKind.POSTGRES
    if module.endswith("popo"):
        return StoreKind.MEMORY
    return StoreKind.OTHER


_SHARED_SETTINGS = frozenset({"CIPHER_TOPIC", "CIPHER_KEY", "COMPRESSOR_TOPIC"})
_CODEC = {"MAPPER_TOPIC": MAPPER_TOPIC, "TRANSCODER_TOPIC": TRANSCODER_TOPIC}


def in_memory_env() -> dict[str, str]:
    """eventsourcing's in-memory (POPO) recorders: for unit tests and experiments."""
    return {"PERSISTENCE_MODULE": "eventsourcing.popo", **_CODEC}


def policy_databases(path: str) -> dict[str, str]:
    """Each policy's own SQLite file beside ``path``.

    eventsourcing's SQLite recorders use fixed table names, so applications must not share a
    file; eventsourcing reads ``<APPNAME>_SQLITE_DBNAME`` before ``SQLITE_DBNAME``.
    """
    if path == ":memory:" or path.startswith("file:"):
        return {f"{name.upper()}_SQLITE_DBNAME": ":memory:" for name in POLICY_APPLICATIONS}
    base = Path(path)
    return {
        f"{name.upper()}_SQLITE_DBNAME": str(
            base.with_name(f"{base.stem}.{name.lower()}{base.suffix or '.db'}")
        )
        for name in POLICY_APPLICATIONS
    }


def sqlite_env(path: str | os.PathLike[str]) -> dict[str, str]:
    """eventsourcing's SQLite recorders on one file (``":memory:"`` for an in-process database),
    and a file of their own beside it for each policy."""
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(path),
        "SQLITE_LOCK_TIMEOUT": "10",
        **policy_databases(str(path)),
        **_CODEC,
    }


def postgres_env(
    *,
    dbname: str,
    host: str = "127.0.0.1",
    port: int | str = 5432,
    user: str = "postgres",
    password: str = "",
    schema: str = "",
) -> dict[str, str]:
    """eventsourcing's PostgreSQL recorders (psycopg 3)."""
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(port),
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": password,
        **_CODEC,
    }
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    return env


def postgres_connect_args(env: Mapping[str, str]) -> dict[str, Any]:
    """Keyword arguments for ``psycopg.connect`` to the store's database, from the same
    ``POSTGRES_*`` variables (and defaults) as :func:`postgres_env`."""
    dbname = env.get("POSTGRES_DBNAME")
    if not dbname:
        raise KeyError("POSTGRES_DBNAME")
    return {
        "dbname": dbname,
        "host": env.get("POSTGRES_HOST") or "127.0.0.1",
        "port": env.get("POSTGRES_PORT") or "5432",
        "user": env.get("POSTGRES_USER") or "postgres",
        "password": env.get("POSTGRES_PASSWORD") or "",
    }


SCHEMA_LOCK_KEY = 0x7265636F76657279
"""The PostgreSQL advisory lock (per database) :func:`schema_lock` takes: ``b"recovery"``."""
SCHEMA_LOCK_TIMEOUT = "RECOVERYCORE_SCHEMA_LOCK_TIMEOUT"
"""Environment variable: how long (seconds, default 60) an application starting on PostgreSQL
waits for another one that is creating the store's tables."""


@contextmanager
def schema_lock(env: Mapping[str, str]) -> Iterator[None]:
    """Let one process at a time create or check a PostgreSQL store's tables.

    PostgreSQL refuses concurrent DDL on the same objects ("tuple concurrently updated", a
    duplicate type), even ``CREATE TABLE IF NOT EXISTS``; applications starting together wait
    for each other on a session advisory lock held on a connection of its own. Other stores
    need no lock (SQLite serialises writers; an application retries what races, see
    ``RecoveryApp``).
    """
    if store_kind(env) is not StoreKind.POSTGRES:
        yield
        return
    import psycopg  # the postgres extra: imported only for a PostgreSQL store

    timeout = float(env.get(SCHEMA_LOCK_TIMEOUT) or 60)
    with psycopg.connect(**postgres_connect_args(env), autocommit=True) as conn:
        conn.execute(f"SET lock_timeout = '{int(timeout * 1000)}ms'")
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))


def resolve_store_env(
    db: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The store the command line and examples use.

    eventsourcing's ``CIPHER_TOPIC``, ``CIPHER_KEY`` and ``COMPRESSOR_TOPIC`` and every
    ``RECOVERYCORE_*`` setting in the environment are carried along, so the views, ``verify`` and
    ``forget`` read the store as the applications wrote it. The store itself is, in order: an
    explicit ``db`` path (``--db``); eventsourcing's own ``PERSISTENCE_MODULE`` with
    its variables (e.g. ``eventsourcing.postgres`` and ``POSTGRES_*``) when set in the
    environment; the ``RECOVERYCORE_DB`` path; else ``./recoverycore.db``.
    """
    environ = os.environ if environ is None else environ
    # Settings every reader of the store needs too (the cipher, recoverycore's own switches).
    shared = {
        k: v
        for k, v in environ.items()
        if k in _SHARED_SETTINGS or (k.startswith("RECOVERYCORE_") and k != "RECOVERYCORE_DB")
    }
    if db is not None:
        return {**shared, **sqlite_env(db)}
    if environ.get("PERSISTENCE_MODULE"):
        env = {k: v for k, v in environ.items() if k.isupper()}
        if env.get("SQLITE_DBNAME"):
            env = {**policy_databases(env["SQLITE_DBNAME"]), **env}
        return {**env, **_CODEC}
    return {**shared, **sqlite_env(environ.get("RECOVERYCORE_DB") or DEFAULT_DB_PATH)}


_F = TypeVar("_F")


def _lenient_text(data: bytes) -> str:
    # Text that is not UTF-8 (a row edited by hand with SQL's replace() turns a BLOB into such
    # TEXT) is read with its bad bytes kept as surrogates, so the one event is unreadable (the
    # mapper and the views say which) instead of the whole read failing in the driver.
    return data.decode("utf-8", "surrogateescape")


def lenient_sqlite_text(factory: _F) -> _F:
    """``factory`` (an eventsourcing infrastructure factory), with every SQLite connection it
    opens reading text that is not valid UTF-8 instead of raising ``OperationalError: Could not
    decode to UTF-8`` for the whole query. Other stores are left as they are."""
    pool = getattr(getattr(factory, "datastore", None), "pool", None)
    create = getattr(pool, "_create_connection", None)
    if pool is None or create is None or not hasattr(pool, "is_sqlite_memory_mode"):
        return factory

    def create_lenient() -> Any:
        connection = create()
        raw = getattr(connection, "_sqlite_conn", None)
        if isinstance(raw, sqlite3.Connection):
            raw.text_factory = _lenient_text
        return connection

    pool._create_connection = create_lenient
    for connection in list(getattr(pool, "_pool", ())):
        raw = getattr(connection, "_sqlite_conn", None)
        if isinstance(raw, sqlite3.Connection):
            raw.text_factory = _lenient_text
    return factory
