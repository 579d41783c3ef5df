"""Customers' keys, and which customer each plan or case belongs to: in memory, in a SQLite file
beside the store, or in a table of the store's PostgreSQL database."""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, ClassVar

from recoverycore.errors import PersonalDataErased

__all__ = ["KeyStore", "MemoryKeyStore", "PostgresKeyStore", "SQLiteKeyStore", "keys_path"]


class KeyStore(ABC):
    """Customers' keys, and which customer each plan or case belongs to.

    A forgotten customer keeps a row with no key (a tombstone), so new personal data for them is
    refused rather than encrypted under a fresh key.
    """

    @abstractmethod
    def get(self, subject: str, *, fresh: bool = False) -> tuple[bool, bytes | None]:
        """``(known, key)``: ``(False, None)`` if never seen, ``(True, None)`` if forgotten.
        ``fresh``: read on a new connection (what another process committed a moment ago)."""

    @abstractmethod
    def create(self, subject: str, key: bytes, link: str | None = None) -> bytes:
        """Store ``key`` for ``subject`` unless it already has a row (and link the aggregate
        ``link`` to it, in the same transaction); the key in force."""

    @abstractmethod
    def link(self, aggregate_id: str, subject: str) -> None: ...

    @abstractmethod
    def subject_of(self, aggregate_id: str) -> str | None: ...

    @abstractmethod
    def aggregates_of(self, subject: str) -> list[str]: ...

    @abstractmethod
    def destroy(self, subject: str) -> bool:
        """Overwrite and drop the key; ``True`` if there was one."""

    def close(self) -> None:
        return None


class MemoryKeyStore(KeyStore):
    def __init__(self) -> None:
        self._keys: dict[str, bytes | None] = {}
        self._links: dict[str, str] = {}

    def get(self, subject: str, *, fresh: bool = False) -> tuple[bool, bytes | None]:
        return subject in self._keys, self._keys.get(subject)

    def create(self, subject: str, key: bytes, link: str | None = None) -> bytes:
        if link is not None:
            self.link(link, subject)
        existing = self._keys.setdefault(subject, key)
        if existing is None:
            raise PersonalDataErased(subject)
        return existing

    def link(self, aggregate_id: str, subject: str) -> None:
        self._links.setdefault(aggregate_id, subject)

    def subject_of(self, aggregate_id: str) -> str | None:
        return self._links.get(aggregate_id)

    def aggregates_of(self, subject: str) -> list[str]:
        return sorted(a for a, s in self._links.items() if s == subject)

    def destroy(self, subject: str) -> bool:
        had = self._keys.get(subject) is not None
        self._keys[subject] = None
        return had


# Written with ``?`` placeholders and ``{t}`` before each table name (the schema on PostgreSQL).
_KEYS_DDL = (
    "CREATE TABLE IF NOT EXISTS {t}customer_keys (subject TEXT PRIMARY KEY, key {blob})",
    "CREATE TABLE IF NOT EXISTS {t}customer_links"
    " (aggregate_id TEXT PRIMARY KEY, subject TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS {i}customer_links_subject ON {t}customer_links (subject)",
)
_SELECT_KEY = "SELECT key FROM {t}customer_keys WHERE subject = ?"
_INSERT_KEY = (
    "INSERT INTO {t}customer_keys (subject, key) VALUES (?, ?) ON CONFLICT (subject) DO NOTHING"
)
_INSERT_LINK = (
    "INSERT INTO {t}customer_links (aggregate_id, subject) VALUES (?, ?)"
    " ON CONFLICT (aggregate_id) DO NOTHING"
)
_SELECT_SUBJECT = "SELECT subject FROM {t}customer_links WHERE aggregate_id = ?"
_SELECT_AGGREGATES = (
    "SELECT aggregate_id FROM {t}customer_links WHERE subject = ? ORDER BY aggregate_id"
)
_ZERO_KEY = "UPDATE {t}customer_keys SET key = zeroblob(length(key)) WHERE subject = ?"
_TOMBSTONE = (
    "INSERT INTO {t}customer_keys (subject, key) VALUES (?, NULL)"
    " ON CONFLICT (subject) DO UPDATE SET key = NULL"
)


class _SqlKeyStore(KeyStore):
    """The key store on a SQL database. SQLite and PostgreSQL differ only in the placeholder,
    the DDL's blob type, how a connection is had, and how a destroyed key is scrubbed from the
    database's files (``destroy``)."""

    placeholder: ClassVar[str]
    blob: ClassVar[str]
    prefix = ""
    """Before each table name: the schema and a dot on PostgreSQL, nothing on SQLite."""

    def sql(self, statement: str) -> Any:
        """A statement written with ``?`` and ``{t}`` in this database's dialect."""
        return statement.format(t=self.prefix).replace("?", self.placeholder)

    def ddl(self) -> list[Any]:
        return [self.sql(ddl.format(t="{t}", i="", blob=self.blob)) for ddl in _KEYS_DDL]

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Any]:
        """A connection in a transaction that commits when the block ends (and rolls back if it
        raises)."""

    @abstractmethod
    def rows(self, statement: str, params: tuple[Any, ...], *, fresh: bool = False) -> list[Any]:
        """The rows of one query (``fresh``: on a new connection)."""

    def get(self, subject: str, *, fresh: bool = False) -> tuple[bool, bytes | None]:
        rows = self.rows(_SELECT_KEY, (subject,), fresh=fresh)
        if not rows:
            return False, None
        return True, None if rows[0][0] is None else bytes(rows[0][0])

    def create(self, subject: str, key: bytes, link: str | None = None) -> bytes:
        with self.transaction() as c:
            c.execute(self.sql(_INSERT_KEY), (subject, key))
            if link is not None:
                c.execute(self.sql(_INSERT_LINK), (link, subject))
            row = c.execute(self.sql(_SELECT_KEY), (subject,)).fetchone()
        if row is None or row[0] is None:
            raise PersonalDataErased(subject)
        return bytes(row[0])

    def link(self, aggregate_id: str, subject: str) -> None:
        with self.transaction() as c:
            c.execute(self.sql(_INSERT_LINK), (aggregate_id, subject))

    def subject_of(self, aggregate_id: str) -> str | None:
        rows = self.rows(_SELECT_SUBJECT, (aggregate_id,))
        return None if not rows else str(rows[0][0])

    def aggregates_of(self, subject: str) -> list[str]:
        return [str(r[0]) for r in self.rows(_SELECT_AGGREGATES, (subject,))]


class SQLiteKeyStore(_SqlKeyStore):
    """Keys in their own SQLite file (``<store>.keys.db``), with ``secure_delete`` on so a
    destroyed key is overwritten in the file; a destroy then vacuums the file and truncates its
    write-ahead log, so no copy of the key is left in a log beside it. Each key is made durable
    (``synchronous = FULL``) before any event encrypted under it is recorded. A connection is
    opened per operation (keys are read once per process and customer), so no file stays
    open."""

    placeholder = "?"
    blob = "BLOB"

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        with self._lock, self._connection() as conn:
            conn.execute("PRAGMA journal_mode = WAL")  # kept by the file from now on
        with self.transaction() as c:
            for ddl in self.ddl():
                c.execute(ddl)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        # One connection, opened when first needed and kept (the caller holds the lock);
        # close() gives it back, and the next operation opens it again.
        conn = self._conn
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA secure_delete = ON")
            conn.execute("PRAGMA synchronous = FULL")
            self._conn = conn
        yield conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def rows(self, statement: str, params: tuple[Any, ...], *, fresh: bool = False) -> list[Any]:
        if fresh:
            # The kept connection has been seen to miss another process's forget for one
            # read after a VACUUM there; a new connection always sees it.
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            try:
                return conn.execute(self.sql(statement), params).fetchall()
            finally:
                conn.close()
        with self._lock, self._connection() as conn:
            return conn.execute(self.sql(statement), params).fetchall()

    def destroy(self, subject: str) -> bool:
        with self.transaction() as c:
            row = c.execute(self.sql(_SELECT_KEY), (subject,)).fetchone()
            had = row is not None and row[0] is not None
            if had:
                c.execute(self.sql(_ZERO_KEY), (subject,))
            c.execute(self.sql(_TOMBSTONE), (subject,))
        with self._lock, self._connection() as conn:
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return had


class PostgresKeyStore(_SqlKeyStore):
    """Keys in a table of the store's own PostgreSQL database and schema.

    ``destroy`` overwrites the key and runs ``VACUUM FULL`` on the table, which rewrites it
    without the old row versions. PostgreSQL's write-ahead log and any backups keep the old
    pages until they are recycled: rotate them as your retention policy says. A connection is
    opened per operation (keys are read once per process and customer).
    """

    placeholder = "%s"
    blob = "BYTEA"

    def __init__(self, env: Mapping[str, str]) -> None:
        # Imported here: _store imports the mapper, which imports the personal data and so this.
        from recoverycore.persistence._store import postgres_connect_args

        schema = env.get("POSTGRES_SCHEMA") or ""
        self.prefix = f"{schema}." if schema else ""
        self._params = postgres_connect_args(env)
        with self.transaction() as conn:
            # Serialise the DDL between processes creating the tables at once.
            conn.execute("SELECT pg_advisory_xact_lock(7350011)")
            for ddl in self.ddl():
                conn.execute(ddl)

    def sql(self, statement: str) -> Any:
        # psycopg takes a query it did not see composed as bytes (its str must be a literal).
        return super().sql(statement).encode()

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        import psycopg

        conn = psycopg.connect(**self._params, autocommit=True)
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self._connection() as conn, conn.transaction():
            yield conn

    def rows(self, statement: str, params: tuple[Any, ...], *, fresh: bool = False) -> list[Any]:
        with self._connection() as conn:
            return list(conn.execute(self.sql(statement), params).fetchall())

    def destroy(self, subject: str) -> bool:
        with self._connection() as conn:
            with conn.transaction():
                row = conn.execute(self.sql(_SELECT_KEY + " FOR UPDATE"), (subject,)).fetchone()
                had = row is not None and row[0] is not None
                conn.execute(self.sql(_TOMBSTONE), (subject,))
            conn.execute(self.sql("VACUUM FULL {t}customer_keys"))
        return had


def keys_path(store_path: str) -> str:
    """The key file beside a SQLite store: ``recoverycore.db`` -> ``recoverycore.keys.db``."""
    base = Path(store_path)
    return str(base.with_name(f"{base.stem}.keys{base.suffix or '.db'}"))
