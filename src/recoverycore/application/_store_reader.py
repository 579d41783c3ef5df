"""Reading a store for :func:`~recoverycore.application.verify.verify`, read-only and without
trusting it: every row is checked for its types, and damage (a file that is not a database, a
missing table, a row with NULL or garbage in it) is raised as :class:`Damaged` with where it was
found, for verify to report as a finding instead of an exception.

SQLite files are opened with ``mode=ro`` URIs (``immutable=1`` when the file has no write-ahead
log beside it, so that opening it creates no ``-wal`` or ``-shm`` file); PostgreSQL connections
run read-only transactions. Nothing here creates a table, a file or a row.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote
from uuid import UUID

from recoverycore.errors import StoreNotFound
from recoverycore.persistence import (
    ALL_APPLICATIONS,
    RECOVERY_APPLICATION,
    StoreKind,
    postgres_connect_args,
    store_kind,
)

__all__ = ["Damaged", "LogSource", "RawRow", "StoreSource", "open_store", "valid_row"]


class RawRow(NamedTuple):
    """One stored event (or snapshot) as read, before its types are checked."""

    notification_id: int | None
    originator_id: Any
    version: Any
    topic: Any
    state: Any


class Damaged(Exception):
    """A file, table or row that cannot be read. ``missing`` when it does not exist."""

    def __init__(
        self, where: str, reason: str, *, missing: bool = False, absent: bool = False
    ) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason
        self.missing = missing
        """The log's file (or PostgreSQL table) does not exist."""
        self.absent = absent or missing
        """The log's events table is not there (its file may be)."""


def valid_row(row: RawRow) -> tuple[UUID, int, str, bytes] | str:
    """The row's (aggregate, version, topic, state), or why its values cannot be an event's."""
    oid = row.originator_id
    if isinstance(oid, UUID):
        aggregate = oid
    elif type(oid) is str:
        try:
            aggregate = UUID(hex=oid)
        except ValueError:
            return f"its aggregate id {oid[:40]!r} is not a UUID"
    else:
        return f"its aggregate id is {_what(oid)}, not a UUID"
    version = row.version
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return f"its version is {_what(version)}, not a positive whole number"
    if type(row.topic) is not str:
        return f"its topic is {_what(row.topic)}, not an event type's name"
    state = row.state
    if isinstance(state, memoryview):
        state = state.tobytes()
    if not isinstance(state, bytes):
        return f"its state is {_what(state)}, not bytes"
    return aggregate, version, row.topic, state


def _what(value: object) -> str:
    if value is None:
        return "NULL"
    text = repr(value)
    return f"{type(value).__name__} {text[:40]}{'...' if len(text) > 40 else ''}"


class LogSource(ABC):
    """One application's stored events, read-only."""

    def __init__(self, name: str, where: str) -> None:
        self.name = name
        self.where = where
        """The file (SQLite) or table (PostgreSQL) the log is in, for findings."""

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def by_aggregate(self) -> Iterator[tuple[Any, ...]]:
        """Every row in (aggregate, version) order, as the fields of :class:`RawRow`."""

    @abstractmethod
    def by_position(self) -> Iterator[tuple[int, Any, Any, Any]]:
        """(notification id, aggregate id, version, first bytes of the state) of every row, in
        notification order."""

    @abstractmethod
    def history(self, aggregate_id: UUID) -> list[RawRow]: ...

    @abstractmethod
    def snapshots(self, aggregate_id: UUID | None = None) -> Iterator[tuple[RawRow, Any]]:
        """The snapshots (only RecoveryCore has any), each with the first bytes (the seal) of
        the event stored at its version (``None`` if there is none)."""

    @abstractmethod
    def tracking(self) -> dict[str, int]:
        """How far this application has processed each log it follows."""

    def contiguous(self) -> bool:
        """Whether notification ids are 1, 2, 3 ... unless rows were deleted (SQLite: yes;
        PostgreSQL's sequences leave gaps on a failed insert)."""
        return False


_SNAPSHOTS = (
    "SELECT s.originator_id, s.originator_version, s.topic, s.state, substr(e.state, 1, 68)"
    " FROM {t} AS s LEFT JOIN {e} AS e ON e.originator_id = s.originator_id"
    " AND e.originator_version = s.originator_version {w}"
    " ORDER BY s.originator_id, s.originator_version"
)
"""Every snapshot with the seal of the event at its version, in one streamed query."""


# -- SQLite ---------------------------------------------------------------------------------------
class BadText(bytes):
    """Text stored in SQLite that is not UTF-8 (read as its bytes, to be reported)."""


def _text(value: bytes) -> str | BadText:
    try:
        return value.decode()
    except UnicodeDecodeError:
        return BadText(value)


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    """A read-only connection that creates nothing beside the file."""
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    if not Path(f"{path}-wal").exists():
        # No write-ahead log to read: the file alone is the database, and a read-only
        # connection to a WAL-mode file would otherwise create the -wal and -shm files.
        uri += "&immutable=1"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    conn.text_factory = _text
    return conn


class SQLiteLog(LogSource):
    def __init__(self, name: str, path: Path) -> None:
        super().__init__(name, str(path))
        self.path = path
        self._conn: sqlite3.Connection | None = None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            if not self.path.exists():
                raise Damaged(self.where, "the file does not exist", missing=True)
            try:
                self._conn = _sqlite_connect(self.path)
            except (sqlite3.Error, UnicodeDecodeError) as e:
                raise Damaged(self.where, f"cannot be opened ({e})") from None
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[Any]:
        try:
            cursor = self._db().execute(sql, params)
            while batch := cursor.fetchmany(2000):
                yield from batch
        except (sqlite3.Error, UnicodeDecodeError) as e:
            absent = str(e) == "no such table: stored_events"
            raise Damaged(self.where, _sqlite_reason(e, sql), absent=absent) from None

    def count(self) -> int:
        return int(next(self._rows("SELECT COUNT(*) FROM stored_events"))[0])

    def by_aggregate(self) -> Iterator[tuple[Any, ...]]:
        return self._rows(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events"
            " ORDER BY originator_id, originator_version"
        )

    def by_position(self) -> Iterator[tuple[int, Any, Any, Any]]:
        yield from self._rows(
            "SELECT rowid, originator_id, originator_version, substr(state, 1, 68)"
            " FROM stored_events ORDER BY rowid"
        )

    def history(self, aggregate_id: UUID) -> list[RawRow]:
        return [
            RawRow(*r)
            for r in self._rows(
                "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events"
                " WHERE originator_id = ? ORDER BY originator_version",
                (aggregate_id.hex,),
            )
        ]

    def snapshots(self, aggregate_id: UUID | None = None) -> Iterator[tuple[RawRow, Any]]:
        if not self._has_table("stored_snapshots"):
            return
        where, params = (
            ("WHERE s.originator_id = ?", (aggregate_id.hex,)) if aggregate_id else ("", ())
        )
        for r in self._rows(
            _SNAPSHOTS.format(t="stored_snapshots", e="stored_events", w=where), params
        ):
            yield RawRow(None, *r[:4]), r[4]

    def tracking(self) -> dict[str, int]:
        if not self._has_table("tracking"):
            return {}
        return _positions(
            self._rows("SELECT application_name, MAX(notification_id) FROM tracking GROUP BY 1")
        )

    def _has_table(self, table: str) -> bool:
        rows = self._rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
        return any(True for _ in rows)

    def contiguous(self) -> bool:
        return True


def _sqlite_reason(error: Exception, sql: str) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "the file is damaged (its schema holds text that is not UTF-8)"
    text = str(error)
    if text.startswith("no such table"):
        return f"the table {text.rsplit(':', 1)[-1].strip()} is missing"
    if "not a database" in text or "malformed" in text:
        return f"the file is damaged ({text})"
    return f"cannot be read ({text})"


def _positions(rows: Iterator[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for name, position in rows:
        if isinstance(name, str) and isinstance(position, int):
            found[name] = position
    return found


# -- PostgreSQL -----------------------------------------------------------------------------------
class PostgresLog(LogSource):
    def __init__(self, name: str, conn: Any, schema: str) -> None:
        self.table = f"{name.lower()}_events"
        self.schema = schema
        super().__init__(name, f"{schema}.{self.table}" if schema else self.table)
        self.conn = conn

    def _name(self, table: str) -> Any:
        from psycopg.sql import SQL, Identifier

        if self.schema:
            return SQL(".").join([Identifier(self.schema), Identifier(table)])
        return Identifier(table)

    def _rows(self, sql: str, params: tuple[Any, ...] = (), table: str = "") -> Iterator[Any]:
        import psycopg
        from psycopg.sql import SQL

        query = SQL(sql).format(t=self._name(table or self.table), e=self._name(self.table))
        try:
            with self.conn.cursor() as cur:
                yield from cur.stream(query, params)
        except psycopg.errors.UndefinedTable:
            raise Damaged(
                self.where, f"the table {table or self.table} is missing", missing=not table
            ) from None
        except psycopg.Error as e:
            raise Damaged(self.where, f"cannot be read ({e})") from None

    def exists(self, table: str = "") -> bool:
        rows = self._rows(
            "SELECT 1 FROM information_schema.tables WHERE table_name = %s"
            + (" AND table_schema = %s" if self.schema else " AND table_schema = current_schema()"),
            (table or self.table, self.schema) if self.schema else (table or self.table,),
        )
        return any(True for _ in rows)

    def count(self) -> int:
        return int(next(self._rows("SELECT COUNT(*) FROM {t}"))[0])

    def by_aggregate(self) -> Iterator[tuple[Any, ...]]:
        return self._rows(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {t}"
            " ORDER BY originator_id, originator_version"
        )

    def by_position(self) -> Iterator[tuple[int, Any, Any, Any]]:
        yield from self._rows(
            "SELECT notification_id, originator_id, originator_version,"
            " substring(state from 1 for 68) FROM {t} ORDER BY notification_id"
        )

    def history(self, aggregate_id: UUID) -> list[RawRow]:
        return [
            RawRow(*r)
            for r in self._rows(
                "SELECT notification_id, originator_id, originator_version, topic, state FROM {t}"
                " WHERE originator_id = %s ORDER BY originator_version",
                (aggregate_id,),
            )
        ]

    def snapshots(self, aggregate_id: UUID | None = None) -> Iterator[tuple[RawRow, Any]]:
        table = f"{self.name.lower()}_snapshots"
        if not self.exists(table):
            return
        where, params = (
            ("WHERE s.originator_id = %s", (aggregate_id,)) if aggregate_id else ("", ())
        )
        sql = _SNAPSHOTS.format(t="{t}", e="{e}", w=where).replace("substr(", "substring(")
        for r in self._rows(sql, params, table=table):
            yield RawRow(None, *r[:4]), r[4]

    def tracking(self) -> dict[str, int]:
        table = f"{self.name.lower()}_tracking"
        if not self.exists(table):
            return {}
        return _positions(
            self._rows(
                "SELECT application_name, MAX(notification_id) FROM {t} GROUP BY 1", table=table
            )
        )


# -- the store ------------------------------------------------------------------------------------
@dataclass
class StoreSource:
    """Every log of a store, and how to ask its views, read-only."""

    kind: StoreKind
    logs: list[LogSource]
    select_view: Callable[[str, str, tuple[Any, ...]], list[tuple[Any, ...]] | None]
    """Rows of a query on the views (``{t}`` the table), ``None`` when the table is absent."""
    views_where: str
    close: Callable[[], None]


def open_store(env: Mapping[str, str], names: tuple[str, ...] = ALL_APPLICATIONS) -> StoreSource:
    """The store ``env`` describes, opened read-only. Raises :class:`StoreNotFound` when none of
    its logs exists (a mistyped path or database)."""
    kind = store_kind(env)
    if kind is StoreKind.SQLITE:
        return _open_sqlite(env, names)
    if kind is StoreKind.POSTGRES:
        return _open_postgres(env, names)
    raise ValueError(f"verify reads SQLite and PostgreSQL stores, not {kind}: pass apps=[...].")


def _sqlite_path(env: Mapping[str, str], name: str) -> str:
    return env.get(f"{name.upper()}_SQLITE_DBNAME") or env.get("SQLITE_DBNAME") or ""


def _open_sqlite(env: Mapping[str, str], names: tuple[str, ...]) -> StoreSource:
    from recoverycore.projections import views_database

    main = _sqlite_path(env, RECOVERY_APPLICATION)
    if not main or main == ":memory:" or main.startswith("file:"):
        raise ValueError("verify reads a store on disk: pass apps=[...] for one in memory.")
    paths = {name: Path(_sqlite_path(env, name)) for name in names}
    if not any(p.exists() for p in paths.values()):
        raise StoreNotFound(main, "no such file")
    logs: list[LogSource] = [SQLiteLog(name, path) for name, path in paths.items()]
    views = Path(env.get("AUDIT_SQLITE_DBNAME") or views_database(main))
    conns: list[sqlite3.Connection] = []

    def select_view(table: str, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]] | None:
        if not views.exists():
            return None
        try:
            if not conns:
                conns.append(_sqlite_connect(views))
            conn = conns[0]
            if not conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).fetchone():
                return None
            return list(conn.execute(sql.replace("{t}", table), params))
        except (sqlite3.Error, UnicodeDecodeError) as e:
            raise Damaged(str(views), _sqlite_reason(e, sql)) from None

    def close() -> None:
        for log in logs:
            assert isinstance(log, SQLiteLog)
            log.close()
        for conn in conns:
            conn.close()

    return StoreSource(StoreKind.SQLITE, logs, select_view, str(views), close)


def _open_postgres(env: Mapping[str, str], names: tuple[str, ...]) -> StoreSource:
    import psycopg

    schema = env.get("POSTGRES_SCHEMA") or ""
    where = f"{env.get('POSTGRES_DBNAME')}" + (f" (schema {schema})" if schema else "")
    try:
        conn = psycopg.connect(
            **postgres_connect_args(env),
            autocommit=True,
            options="-c default_transaction_read_only=on",
        )
    except psycopg.Error as e:
        raise StoreNotFound(where, f"cannot connect ({str(e).strip()})") from None
    logs = [PostgresLog(name, conn, schema) for name in names]
    try:
        present = [log.exists() for log in logs]
    except Damaged:
        present = []
    if not any(present):
        conn.close()
        raise StoreNotFound(where, "none of its event tables exists")
    # The views are asked while a log is streamed: on a connection of their own.
    opened: list[Any] = []

    def select_view(table: str, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]] | None:
        if not opened:
            try:
                opened.append(
                    psycopg.connect(
                        **postgres_connect_args(env),
                        autocommit=True,
                        options="-c default_transaction_read_only=on",
                    )
                )
            except psycopg.Error as e:
                raise Damaged(where, f"the views cannot be read ({e})") from None
        probe = PostgresLog(RECOVERY_APPLICATION, opened[0], schema)
        if not probe.exists(table):
            return None
        return list(probe._rows(sql.replace("%", "%%").replace("?", "%s"), params, table=table))

    def close() -> None:
        for c in (conn, *opened):
            with suppress(psycopg.Error):
                c.close()

    return StoreSource(StoreKind.POSTGRES, list(logs), select_view, where, close)
