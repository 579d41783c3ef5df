"""Customers' keys, and which customer each plan or case belongs to: in memory, in a SQLite file
beside the store, or in a table of the store's PostgreSQL database."""

from __future__ import annotations

import os
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any, ClassVar, NamedTuple
from uuid import UUID

from recoverycore.errors import ForgetIncomplete, KeyStoreMissing, PersonalDataErased

# Where each customer's record id is found: a row keyed by HMAC-SHA-256 of the customer's
# normalised CRN under the key store's own secret (``customer_lookup``). The record id itself is
# random (uuid4), so nothing derived from a CRN alone appears anywhere; ``destroy`` deletes the
# lookup row with the key, and afterwards nothing links the record id back to the CRN.

__all__ = [
    "CustomerKey",
    "KeyStore",
    "MemoryKeyStore",
    "PostgresKeyStore",
    "SQLiteKeyStore",
    "keys_path",
]

CURRENT_SCHEME = 2
"""The token construction new keys are made for: 2 is AES-SIV (``pii2:``)."""


class CustomerKey(NamedTuple):
    """What the key store holds for one customer."""

    known: bool
    """``False`` if the customer was never seen here (no key and no tombstone)."""
    key: bytes | None = None
    """The key; ``None`` once the customer was forgotten (a tombstone), or when unknown."""
    scheme: int = 1
    """The construction the customer's tokens use: 1 (``pii1:``, the HMAC-SHA-256 IV and
    AES-256-CTR construction of the first versions) for keys made before AES-SIV, 2 (``pii2:``,
    AES-SIV) for keys made since. One customer's tokens always use one, so equal values still
    give equal tokens (the views group and search on them)."""


UNKNOWN = CustomerKey(known=False)


class KeyStore(ABC):
    """Customers' keys, and which customer each plan or case belongs to.

    A forgotten customer keeps a row with no key (a tombstone), so new personal data for them is
    refused rather than encrypted under a fresh key; a customer with no row at all was never
    recorded here (reading a token of theirs means keys were lost: :class:`KeyStoreMissing`).

    Keys and links written for a command are *pending* under that command's ``owner`` until
    someone else uses them: :meth:`abandon` removes the ones nobody else has used when the
    command fails, so a failed command leaves no key and no link behind.

    :meth:`generation` is a counter that moves whenever a key is destroyed or removed; a process
    holding keys in memory drops them when it has moved, so erasure is seen everywhere at once.
    """

    @abstractmethod
    def get(self, subject: str, *, fresh: bool = False) -> CustomerKey:
        """The customer's row. ``fresh``: read on a new connection (what another process
        committed a moment ago)."""

    @abstractmethod
    def enrol(
        self,
        subject: str,
        key: bytes,
        *,
        aggregate_id: str | None = None,
        owner: str | None = None,
        scheme: int = CURRENT_SCHEME,
    ) -> CustomerKey:
        """In one transaction: store ``key`` for ``subject`` unless it has a row, and link
        ``aggregate_id`` to it unless that has a link. Rows written with an ``owner`` are
        pending under it; rows that were pending under another owner become permanent (they
        are now used by two commands). The key in force; :class:`PersonalDataErased` (and
        nothing written) if the customer was forgotten."""

    def create(self, subject: str, key: bytes, link: str | None = None) -> bytes:
        """Store ``key`` for ``subject`` unless it already has a row (and link the aggregate
        ``link`` to it, in the same transaction); the key in force."""
        found = self.enrol(subject, key, aggregate_id=link)
        assert found.key is not None  # enrol raises for a forgotten customer
        return found.key

    @abstractmethod
    def link(self, aggregate_id: str, subject: str) -> None: ...

    @abstractmethod
    def secret(self) -> bytes:
        """The key store's secret (made once, when first asked for): the key of the HMAC the
        customer lookup is keyed by. It lives and is backed up with the keys."""

    @abstractmethod
    def record_of(
        self, digest: str, *, legacy: str, new: str | None = None, owner: str | None = None
    ) -> str | None:
        """The record id (key subject, hex) the lookup row ``digest`` points to. With no row:
        ``legacy`` (the ``uuid5`` id stores written before record ids were random gave the
        customer) if the key store holds a key for it, else ``new`` (a fresh random id; ``None``:
        only find); the row is then written pointing to it (pending under ``owner``), and
        whichever row is in force after a concurrent writer is returned."""

    @abstractmethod
    def abandon(self, owner: str) -> bool:
        """Remove the keys and links written pending under ``owner`` that nobody else has used
        (the command that wrote them failed); ``True`` if any was removed (the generation
        moves then)."""

    @abstractmethod
    def subject_of(self, aggregate_id: str) -> str | None: ...

    @abstractmethod
    def aggregates_of(self, subject: str) -> list[str]: ...

    @abstractmethod
    def destroy(self, subject: str) -> bool:
        """Overwrite and drop the key, leaving a tombstone, and move the generation; ``True``
        if there was a key. Raises :class:`ForgetIncomplete` when the bytes could not be
        scrubbed (or nothing could be changed)."""

    def scrub(self, record: str = "") -> None:
        """Rewrite the key store so that no destroyed key or deleted lookup row remains in its
        files (``destroy`` does it; ``forget`` runs it again when it finds no customer, after
        an earlier ``forget`` that could not scrub). Raises :class:`ForgetIncomplete` naming
        ``record`` when another process keeps the key store busy."""
        return

    @abstractmethod
    def generation(self) -> int:
        """How many times a key was destroyed or removed here (0 for a new store)."""

    where = "the key store"
    """The key store, as error messages name it."""

    def close(self) -> None:
        return None


class MemoryKeyStore(KeyStore):
    where = "the in-memory key store"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, CustomerKey] = {}
        self._links: dict[str, str] = {}
        self._pending: dict[tuple[str, str], str] = {}  # ("key" | "link" | "lookup", id) -> owner
        self._lookup: dict[str, str] = {}
        self._secret = os.urandom(32)
        self._generation = 0

    def get(self, subject: str, *, fresh: bool = False) -> CustomerKey:
        return self._keys.get(subject, UNKNOWN)

    def _mark(self, kind: str, name: str, owner: str | None, added: bool) -> None:
        if added and owner is not None:
            self._pending[(kind, name)] = owner
        elif self._pending.get((kind, name), owner) != owner:
            del self._pending[(kind, name)]

    def enrol(
        self,
        subject: str,
        key: bytes,
        *,
        aggregate_id: str | None = None,
        owner: str | None = None,
        scheme: int = CURRENT_SCHEME,
    ) -> CustomerKey:
        with self._lock:
            found = self._keys.get(subject)
            if found is not None and found.key is None:
                raise PersonalDataErased(subject)
            if found is None:
                found = self._keys[subject] = CustomerKey(True, key, scheme)
            self._mark("key", subject, owner, added=found.key is key)
            if aggregate_id is not None:
                added = aggregate_id not in self._links
                self._links.setdefault(aggregate_id, subject)
                self._mark("link", aggregate_id, owner, added=added)
            return found

    def link(self, aggregate_id: str, subject: str) -> None:
        with self._lock:
            self._links.setdefault(aggregate_id, subject)
            self._pending.pop(("link", aggregate_id), None)

    def secret(self) -> bytes:
        return self._secret

    def record_of(
        self, digest: str, *, legacy: str, new: str | None = None, owner: str | None = None
    ) -> str | None:
        with self._lock:
            found = self._lookup.get(digest)
            if found is not None:
                self._mark("lookup", digest, owner, added=False)
                return found
            subject = legacy if self._keys.get(legacy, UNKNOWN).key is not None else new
            if subject is None:
                return None
            self._lookup[digest] = subject
            self._mark("lookup", digest, owner, added=True)
            return subject

    def abandon(self, owner: str) -> bool:
        with self._lock:
            mine = [k for k, o in self._pending.items() if o == owner]
            for kind, name in mine:
                del self._pending[(kind, name)]
                if kind == "key":
                    del self._keys[name]
                elif kind == "lookup":
                    del self._lookup[name]
                else:
                    del self._links[name]
            if mine:
                self._generation += 1
            return bool(mine)

    def subject_of(self, aggregate_id: str) -> str | None:
        return self._links.get(aggregate_id)

    def aggregates_of(self, subject: str) -> list[str]:
        return sorted(a for a, s in self._links.items() if s == subject)

    def destroy(self, subject: str) -> bool:
        with self._lock:
            had = self._keys.get(subject, UNKNOWN).key is not None
            self._keys[subject] = CustomerKey(True, None)
            self._pending.pop(("key", subject), None)
            for digest in [d for d, s in self._lookup.items() if s == subject]:
                del self._lookup[digest]
                self._pending.pop(("lookup", digest), None)
            self._generation += 1
            return had

    def generation(self) -> int:
        return self._generation


# Written with ``?`` placeholders and ``{t}`` before each table name (the schema on PostgreSQL).
_KEYS_DDL = (
    "CREATE TABLE IF NOT EXISTS {t}customer_keys"
    " (subject TEXT PRIMARY KEY, key {blob}, scheme INTEGER, pending TEXT)",
    "CREATE TABLE IF NOT EXISTS {t}customer_links"
    " (aggregate_id TEXT PRIMARY KEY, subject TEXT NOT NULL, pending TEXT)",
    "CREATE INDEX IF NOT EXISTS {i}customer_links_subject ON {t}customer_links (subject)",
    "CREATE TABLE IF NOT EXISTS {t}key_store_state (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {t}customer_lookup"
    " (digest TEXT PRIMARY KEY, subject TEXT NOT NULL, pending TEXT)",
    "CREATE INDEX IF NOT EXISTS {i}customer_lookup_subject ON {t}customer_lookup (subject)",
    "CREATE TABLE IF NOT EXISTS {t}key_store_secret (name TEXT PRIMARY KEY, value {blob} NOT NULL)",
)
_ADDED_COLUMNS = (
    ("customer_keys", "scheme", "INTEGER"),
    ("customer_keys", "pending", "TEXT"),
    ("customer_links", "pending", "TEXT"),
)
"""Columns the first versions' key stores lack: added when such a store is opened (a key with no
scheme is a scheme 1 key)."""
_KEY_STORE_COLUMNS = frozenset(
    {
        ("customer_keys", "subject"),
        ("customer_keys", "key"),
        ("customer_links", "aggregate_id"),
        ("customer_links", "subject"),
        ("key_store_state", "name"),
        ("customer_lookup", "digest"),
        ("customer_lookup", "subject"),
        ("customer_lookup", "pending"),
        ("key_store_secret", "value"),
        *((table, column) for table, column, _ in _ADDED_COLUMNS),
    }
)
"""Every table and column the key store needs (its DDL runs when one is missing)."""
_SELECT_KEY = "SELECT key, scheme FROM {t}customer_keys WHERE subject = ?"
_INSERT_KEY = (
    "INSERT INTO {t}customer_keys (subject, key, scheme, pending) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (subject) DO NOTHING"
)
_INSERT_LINK = (
    "INSERT INTO {t}customer_links (aggregate_id, subject, pending) VALUES (?, ?, ?)"
    " ON CONFLICT (aggregate_id) DO NOTHING"
)
_SELECT_LOOKUP = "SELECT subject FROM {t}customer_lookup WHERE digest = ?"
_SELECT_LOOKUP_PENDING = "SELECT subject, pending FROM {t}customer_lookup WHERE digest = ?"
_INSERT_LOOKUP = (
    "INSERT INTO {t}customer_lookup (digest, subject, pending) VALUES (?, ?, ?)"
    " ON CONFLICT (digest) DO NOTHING"
)
_DELETE_LOOKUP = "DELETE FROM {t}customer_lookup WHERE subject = ?"
_SELECT_SECRET = "SELECT value FROM {t}key_store_secret WHERE name = 'customer-lookup'"
_ANY_LOOKUP = "SELECT 1 FROM {t}customer_lookup LIMIT 1"
_INSERT_SECRET = (
    "INSERT INTO {t}key_store_secret (name, value) VALUES ('customer-lookup', ?)"
    " ON CONFLICT (name) DO NOTHING"
)
_CLAIM = "UPDATE {t}customer_{table} SET pending = NULL WHERE {column} = ? AND pending IS NOT NULL"
_ABANDON = "DELETE FROM {t}customer_{table} WHERE pending = ?"
_SELECT_SUBJECT = "SELECT subject FROM {t}customer_links WHERE aggregate_id = ?"
_SELECT_AGGREGATES = (
    "SELECT aggregate_id FROM {t}customer_links WHERE subject = ? ORDER BY aggregate_id"
)
_ANY_KEY = "SELECT 1 FROM {t}customer_keys LIMIT 1"
_ZERO_KEY = "UPDATE {t}customer_keys SET key = zeroblob(length(key)) WHERE subject = ?"
_TOMBSTONE = (
    "INSERT INTO {t}customer_keys (subject, key) VALUES (?, NULL)"
    " ON CONFLICT (subject) DO UPDATE SET key = NULL, pending = NULL"
)
_GENERATION = "SELECT value FROM {t}key_store_state WHERE name = 'generation'"
_NEXT_GENERATION = (
    "INSERT INTO {t}key_store_state AS s (name, value) VALUES ('generation', 1)"
    " ON CONFLICT (name) DO UPDATE SET value = s.value + 1"
)
_TOKEN_MARKS = (b"pii1:", b"pii2:")
"""What a stored event or snapshot holding a customer's token contains."""


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

    def _refuse_if_lost(self, holds_tokens: bool) -> None:
        """Raise :class:`KeyStoreMissing` if this key store holds no key while the store it
        belongs to holds customers' tokens (the key store was replaced, emptied or not copied
        with the store): carrying on would read every customer as erased and give them new
        keys."""
        if holds_tokens and not self.rows(_ANY_KEY, ()):
            raise KeyStoreMissing(
                self.where, "it holds no key, but the store holds customers' encrypted data"
            )

    def get(self, subject: str, *, fresh: bool = False) -> CustomerKey:
        rows = self.rows(_SELECT_KEY, (subject,), fresh=fresh)
        if not rows:
            return UNKNOWN
        key, scheme = rows[0]
        return CustomerKey(True, None if key is None else bytes(key), scheme or 1)

    def _claim(self, c: Any, table: str, column: str, name: str, owner: str | None) -> None:
        statement = _CLAIM.replace("{table}", table).replace("{column}", column)
        if owner is None:
            c.execute(self.sql(statement), (name,))
        else:
            c.execute(self.sql(statement + " AND pending <> ?"), (name, owner))

    def enrol(
        self,
        subject: str,
        key: bytes,
        *,
        aggregate_id: str | None = None,
        owner: str | None = None,
        scheme: int = CURRENT_SCHEME,
    ) -> CustomerKey:
        with self.transaction() as c:
            c.execute(self.sql(_INSERT_KEY), (subject, key, scheme, owner))
            self._claim(c, "keys", "subject", subject, owner)
            if aggregate_id is not None:
                c.execute(self.sql(_INSERT_LINK), (aggregate_id, subject, owner))
                self._claim(c, "links", "aggregate_id", aggregate_id, owner)
            row = c.execute(self.sql(_SELECT_KEY), (subject,)).fetchone()
            if row is None or row[0] is None:
                raise PersonalDataErased(subject)  # rolls back: nothing written
        return CustomerKey(True, bytes(row[0]), row[1] or 1)

    def link(self, aggregate_id: str, subject: str) -> None:
        with self.transaction() as c:
            c.execute(self.sql(_INSERT_LINK), (aggregate_id, subject, None))
            self._claim(c, "links", "aggregate_id", aggregate_id, None)

    _secret: bytes | None = None

    def secret(self) -> bytes:
        if self._secret is None:
            rows = self.rows(_SELECT_SECRET, ())
            if not rows and self.rows(_ANY_LOOKUP, ()):
                # Lookup rows made under a secret that is gone: a new one would find no customer
                # (forget would say "nobody") and give every returning customer a second record.
                raise KeyStoreMissing(
                    self.where,
                    "its customer-lookup secret is gone while it holds lookup rows made with it, "
                    "so no customer could be found by CRN",
                )
            if not rows:
                with self.transaction() as c:
                    c.execute(self.sql(_INSERT_SECRET), (os.urandom(32),))
                    rows = [c.execute(self.sql(_SELECT_SECRET)).fetchone()]
            self._secret = bytes(rows[0][0])
        return self._secret

    def record_of(
        self, digest: str, *, legacy: str, new: str | None = None, owner: str | None = None
    ) -> str | None:
        rows = self.rows(_SELECT_LOOKUP_PENDING, (digest,))
        if rows and rows[0][1] in (None, owner):
            return str(rows[0][0])  # permanent, or this command's own: nothing to claim
        with self.transaction() as c:
            row = c.execute(self.sql(_SELECT_LOOKUP), (digest,)).fetchone()
            if row is None:
                old = c.execute(self.sql(_SELECT_KEY), (legacy,)).fetchone()
                subject = legacy if old is not None and old[0] is not None else new
                if subject is None:
                    return None
                # Another process may write the row first: its row is the one in force.
                c.execute(self.sql(_INSERT_LOOKUP), (digest, subject, owner))
                row = c.execute(self.sql(_SELECT_LOOKUP), (digest,)).fetchone()
            self._claim(c, "lookup", "digest", digest, owner)
        return str(row[0])

    def abandon(self, owner: str) -> bool:
        with self.transaction() as c:
            removed = 0
            for table in ("links", "lookup", "keys"):
                cursor = c.execute(self.sql(_ABANDON.replace("{table}", table)), (owner,))
                removed += max(cursor.rowcount, 0)
            if removed:
                c.execute(self.sql(_NEXT_GENERATION))
        return removed > 0

    def subject_of(self, aggregate_id: str) -> str | None:
        rows = self.rows(_SELECT_SUBJECT, (aggregate_id,))
        return None if not rows else str(rows[0][0])

    def aggregates_of(self, subject: str) -> list[str]:
        return [str(r[0]) for r in self.rows(_SELECT_AGGREGATES, (subject,))]

    def generation(self) -> int:
        rows = self.rows(_GENERATION, ())
        return int(rows[0][0]) if rows else 0


def _locked(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _sqlite_holds_tokens(store_path: str | None) -> bool:
    """Whether the SQLite store at ``store_path`` holds a customer's token (in any table with a
    ``state`` column: events and snapshots)."""
    if not store_path or not os.path.exists(store_path) or os.path.getsize(store_path) == 0:
        return False
    conn = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True, timeout=30)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            columns = {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}
            if "state" not in columns:
                continue
            for mark in _TOKEN_MARKS:
                found = conn.execute(
                    f'SELECT 1 FROM "{table}" WHERE instr(state, ?) > 0 LIMIT 1', (mark,)
                ).fetchone()
                if found:
                    return True
        return False
    finally:
        conn.close()


class SQLiteKeyStore(_SqlKeyStore):
    """Keys in their own SQLite file (``<store>.keys.db``).

    The file uses a rollback journal, not a write-ahead log, with ``secure_delete`` on: a key is
    overwritten in place in the file and the journal holding its old page is deleted when the
    transaction commits, so no other file keeps a copy, and the file alone is always complete (a
    copy of it holds every committed key). Under a write-ahead log a destroyed key stays in
    ``-wal`` while another process reads, and a copy of the file without its log lacks the keys
    still in the log. Writing waits for readers: a process holding a read transaction on the
    file for longer than :attr:`busy_timeout` makes a write (a new customer, a ``forget``) fail
    with nothing changed. Each key is made durable (``synchronous = FULL``) before any event
    encrypted under it is recorded. One connection is kept for reading.

    Opening the key file of a store that holds customers' tokens when the file is missing, empty
    or holds no key raises :class:`KeyStoreMissing` (``store_path`` names the store).
    """

    placeholder = "?"
    blob = "BLOB"
    busy_timeout: ClassVar[float] = 30.0
    """Seconds a write waits for other processes' reads of the key file to end."""

    def __init__(self, path: str, *, store_path: str | None = None) -> None:
        self.path = path
        self.where = f"the key file {path}"
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        existed = os.path.exists(path) and os.path.getsize(path) > 0
        holds_tokens = _sqlite_holds_tokens(store_path)
        if holds_tokens and not existed:
            raise KeyStoreMissing(
                self.where, "it is missing, but the store holds customers' encrypted data"
            )
        # A key file the first versions wrote uses a write-ahead log: leave it (it can only be
        # left while no other process has the file open; destroy() copes with either).
        with self._lock, self._connection() as conn, suppress(sqlite3.OperationalError):
            conn.execute("PRAGMA journal_mode = DELETE")
        with self.transaction() as c:
            for ddl in self.ddl():
                c.execute(ddl)
            for table, column, kind in _ADDED_COLUMNS:
                if column not in {r[1] for r in c.execute(f"PRAGMA table_info({table})")}:
                    c.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self._refuse_if_lost(holds_tokens)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA synchronous = FULL")
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        # One connection, opened when first needed and kept (the caller holds the lock);
        # close() gives it back, and the next operation opens it again.
        if self._conn is None:
            self._conn = self._connect()
        yield self._conn

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
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def rows(self, statement: str, params: tuple[Any, ...], *, fresh: bool = False) -> list[Any]:
        if fresh:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
            try:
                return conn.execute(self.sql(statement), params).fetchall()
            finally:
                conn.close()
        with self._lock, self._connection() as conn:
            return conn.execute(self.sql(statement), params).fetchall()

    def destroy(self, subject: str) -> bool:
        record = str(UUID(hex=subject))
        try:
            with self.transaction() as c:
                row = c.execute(self.sql(_SELECT_KEY), (subject,)).fetchone()
                had = row is not None and row[0] is not None
                if had:
                    c.execute(self.sql(_ZERO_KEY), (subject,))
                c.execute(self.sql(_TOMBSTONE), (subject,))
                c.execute(self.sql(_DELETE_LOOKUP), (subject,))
                c.execute(self.sql(_NEXT_GENERATION))
        except sqlite3.OperationalError as e:
            if not _locked(e):
                raise
            raise ForgetIncomplete(
                record,
                f"another process kept {self.where} busy for over {self.busy_timeout:g} s, so "
                "nothing was changed: the key is still in force",
                key_tombstoned=False,
            ) from e
        self.scrub(record)
        return had

    def scrub(self, record: str = "") -> None:
        try:
            with self._lock, self._connection() as conn:
                # Rebuild the file without free pages, and leave no log beside it (a key file
                # the first versions wrote uses a write-ahead log: fold it in and leave it).
                conn.execute("VACUUM")
                try:
                    mode = str(conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0])
                except sqlite3.OperationalError:
                    mode = "wal"  # another process has it open: it stays a write-ahead log
                if mode.lower() == "wal":
                    busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                    if busy:
                        raise sqlite3.OperationalError("the write-ahead log is busy")
        except sqlite3.OperationalError as e:
            if not _locked(e) and "busy" not in str(e):
                raise
            raise ForgetIncomplete(
                record,
                f"the key is marked forgotten and is no longer used, but another process kept "
                f"{self.where} busy, so its bytes may remain in the file or its log",
                key_tombstoned=True,
            ) from e


class PostgresKeyStore(_SqlKeyStore):
    """Keys in a table of the store's own PostgreSQL database and schema.

    ``destroy`` overwrites the key and runs ``VACUUM FULL`` on the table, which rewrites it
    without the old row versions. PostgreSQL's write-ahead log and any backups keep the old
    pages until they are recycled: rotate them as your retention policy says. One connection is
    kept for reading (the generation is read on every read of personal data); each write opens
    its own.
    """

    placeholder = "%s"
    blob = "BYTEA"
    busy_timeout: ClassVar[float] = 30.0
    """Seconds ``destroy`` waits for other sessions' locks on the key table."""

    def __init__(self, env: Mapping[str, str]) -> None:
        # Imported here: _store imports the mapper, which imports the personal data and so this.
        from recoverycore.persistence._store import ALL_APPLICATIONS, postgres_connect_args

        schema = env.get("POSTGRES_SCHEMA") or ""
        self.prefix = f"{schema}." if schema else ""
        self.where = f"the customer_keys table of {env.get('POSTGRES_DBNAME')}" + (
            f" (schema {schema})" if schema else ""
        )
        self._params = postgres_connect_args(env)
        self._lock = threading.Lock()
        self._reader: Any = None
        with self.transaction() as conn:
            # Serialise the DDL between processes creating the tables at once.
            conn.execute("SELECT pg_advisory_xact_lock(7350011)")
            # Only when something is missing: CREATE INDEX and ALTER TABLE lock their tables
            # even when there is nothing to do, and deadlock with another process's
            # transaction that writes the keys and then the links.
            present = {
                (str(t), str(c))
                for t, c in conn.execute(
                    "SELECT table_name, column_name FROM information_schema.columns"
                    " WHERE table_schema = COALESCE(%s, current_schema())",
                    (schema or None,),
                ).fetchall()
            }
            if not _KEY_STORE_COLUMNS.issubset(present):
                for ddl in self.ddl():
                    conn.execute(ddl)
                for table, column, kind in _ADDED_COLUMNS:
                    conn.execute(
                        self.sql(
                            f"ALTER TABLE {{t}}{table} ADD COLUMN IF NOT EXISTS {column} {kind}"
                        )
                    )
        tables = [f"{name.lower()}_{kind}" for name in ALL_APPLICATIONS for kind in ("events",)]
        self._refuse_if_lost(self._holds_tokens(schema or None, tables))

    def _holds_tokens(self, schema: str | None, tables: list[str]) -> bool:
        with self._connection() as conn:
            present = [
                r[0]
                for r in conn.execute(
                    "SELECT table_name FROM information_schema.columns"
                    " WHERE table_schema = COALESCE(%s, current_schema())"
                    " AND column_name = 'state' AND table_name = ANY(%s)",
                    (schema, tables),
                ).fetchall()
            ]
            for table in present:
                for mark in _TOKEN_MARKS:
                    found = conn.execute(
                        self.sql(
                            f"SELECT 1 FROM {{t}}{table} WHERE position(? in state) > 0 LIMIT 1"
                        ),
                        (mark,),
                    ).fetchone()
                    if found:
                        return True
        return False

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
        import psycopg

        with self._lock:
            for attempt in (1, 2):
                if self._reader is None or self._reader.closed:
                    self._reader = psycopg.connect(**self._params, autocommit=True)
                try:
                    return list(self._reader.execute(self.sql(statement), params).fetchall())
                except psycopg.OperationalError:
                    # The kept connection was lost (a server restart): open another, once.
                    self._reader.close()
                    self._reader = None
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    def destroy(self, subject: str) -> bool:
        import psycopg

        record = str(UUID(hex=subject))
        with self._connection() as conn:
            # Wait for other sessions' locks no longer than a SQLite key file waits.
            conn.execute(f"SET lock_timeout = '{int(self.busy_timeout * 1000)}ms'".encode())
            try:
                with conn.transaction():
                    row = conn.execute(self.sql(_SELECT_KEY + " FOR UPDATE"), (subject,)).fetchone()
                    had = row is not None and row[0] is not None
                    conn.execute(self.sql(_TOMBSTONE), (subject,))
                    conn.execute(self.sql(_DELETE_LOOKUP), (subject,))
                    conn.execute(self.sql(_NEXT_GENERATION))
            except psycopg.errors.LockNotAvailable as e:
                raise ForgetIncomplete(
                    record,
                    f"another session held a lock on {self.where} for over "
                    f"{self.busy_timeout:g} s, so nothing was changed: the key is still in force",
                    key_tombstoned=False,
                ) from e
        self.scrub(record)
        return had

    def scrub(self, record: str = "") -> None:
        import psycopg

        with self._connection() as conn:
            conn.execute(f"SET lock_timeout = '{int(self.busy_timeout * 1000)}ms'".encode())
            try:
                # Rewrite the tables without the old row versions that hold the key and the
                # customer's lookup row.
                conn.execute(self.sql("VACUUM FULL {t}customer_keys"))
                conn.execute(self.sql("VACUUM FULL {t}customer_lookup"))
            except psycopg.errors.LockNotAvailable as e:
                raise ForgetIncomplete(
                    record,
                    "the key is marked forgotten and is no longer used, but another session "
                    f"held {self.where} open in a transaction, so the old row version holding "
                    "its bytes was not rewritten",
                    key_tombstoned=True,
                ) from e


def keys_path(store_path: str) -> str:
    """The key file beside a SQLite store: ``recoverycore.db`` -> ``recoverycore.keys.db``."""
    base = Path(store_path)
    return str(base.with_name(f"{base.stem}.keys{base.suffix or '.db'}"))
