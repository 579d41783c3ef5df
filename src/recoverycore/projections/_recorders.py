"""The recorders that keep a view's rows: eventsourcing tracking recorders (materialised views)
that apply a batch of writes and record the position of the batch's last event together, so an
event is applied exactly once even when a runner is stopped or killed part-way. The same
:class:`~recoverycore.projections.ViewDefinition` runs on SQLite
(:class:`SQLiteViewRecorder`) and PostgreSQL (:func:`postgres_view_recorder`)."""

from __future__ import annotations

import re
import weakref
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache, lru_cache
from typing import Any, ClassVar

from eventsourcing.persistence import IntegrityError, Notification, Tracking, TrackingRecorder
from eventsourcing.sqlite import (
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteRecorder,
    SQLiteTrackingRecorder,
)

from recoverycore.projections._view import Statement, ViewDefinition, Write

__all__ = [
    "SQLiteViewRecorder",
    "ViewRecorder",
    "position_of",
    "postgres_view_recorder",
    "sqlite_view_recorder",
]

_PARAM = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


@lru_cache(maxsize=1024)
def _postgres_sql(sql: str, prefix: str) -> str:
    return _PARAM.sub(r"%(\1)s", sql.replace("%", "%%")).replace("{p}", prefix)


@lru_cache(maxsize=1024)
def _sqlite_sql(sql: str) -> str:
    return sql.replace("{p}", "")


def _advance(tracking: Tracking, after: int) -> dict[str, Any]:
    return {
        "application_name": tracking.application_name,
        "notification_id": tracking.notification_id,
        "after": after,
    }


def _moved(tracking: Tracking, after: int) -> str:
    return (
        f"The view's position in {tracking.application_name} is no longer {after}: another "
        "runner applied these events first. Nothing was written; read on from its position."
    )


def _runs(writes: Iterable[Write]) -> Iterator[tuple[Statement, list[Mapping[str, Any]]]]:
    """Consecutive writes of the same statement, grouped for ``executemany`` (order kept)."""
    current: Statement | None = None
    batch: list[Mapping[str, Any]] = []
    for statement, params in writes:
        if statement is not current:
            if current is not None:
                yield current, batch
            current, batch = statement, []
        batch.append(params)
    if current is not None:
        yield current, batch


class ViewRecorder(TrackingRecorder, ABC):
    """A materialised view: an eventsourcing tracking recorder that also keeps a view's rows."""

    definition: ClassVar[type[ViewDefinition]]

    @abstractmethod
    def apply(
        self, writes: Iterable[Write], tracking: Tracking, *, after: int | None = None
    ) -> None:
        """Apply ``writes`` and record ``tracking`` in one transaction.

        Raises eventsourcing's ``IntegrityError``, and changes nothing, if the position was
        already recorded; with ``after`` (the position the batch was read after), also unless
        the recorded position is still exactly ``after``: a batch read before another runner
        committed an overlapping one is refused rather than applied twice."""

    @abstractmethod
    def select(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows of a query on the view's tables (``:name`` parameters, ``{p}`` table prefix)."""

    @abstractmethod
    def reset(self) -> None:
        """Drop the view's rows and positions and create its tables again, empty."""

    @abstractmethod
    def optimize(self) -> None:
        """Refresh the database's statistics of the view's tables, so that its questions use
        the right indexes (``catch_up`` calls this after applying many events)."""

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of every table of the view, in a stable order: for comparing two views
        (a rebuilt one and a live one) and for tests."""
        dumped: dict[str, list[dict[str, Any]]] = {}
        for table in self.definition.tables:
            rows = self.select(f"SELECT * FROM {{p}}{table}")
            dumped[table] = sorted(rows, key=lambda row: [str(v) for v in row.values()])
        return dumped

    def positions(self) -> dict[str, int]:
        """The last position applied from each source (0 when none)."""
        return {name: self.max_tracking_id(name) or 0 for name in self.definition.topics}


class SQLiteViewRecorder(SQLiteTrackingRecorder, ViewRecorder):
    """A view on SQLite. eventsourcing's SQLite tracking table has a fixed name, so each view
    keeps its positions in a table of its own (``<view>_tracking``) and several views can share
    one file."""

    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        if not self.datastore.single_row_tracking:
            raise ValueError("recoverycore views use eventsourcing's single-row tracking")
        table = self.tracking_table
        self._relaxed: weakref.WeakSet[Any] = weakref.WeakSet()
        self.insert_tracking_statement = (
            f"INSERT INTO {table} "
            "VALUES (:application_name, :notification_id) "
            "ON CONFLICT (application_name) DO UPDATE "
            "SET notification_id = :notification_id "
            f"WHERE {table}.notification_id < :notification_id "
            "RETURNING notification_id"
        )
        self.select_max_tracking_id_statement = (
            f"SELECT MAX(notification_id) FROM {table} WHERE application_name=?"
        )
        self._advance_statement = (
            f"INSERT INTO {table} VALUES (:application_name, :notification_id) "
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = :notification_id "
            f"WHERE {table}.notification_id = :after AND :after < :notification_id "
            "RETURNING notification_id"
        )

    @property
    def tracking_table(self) -> str:
        return f"{self.definition.name}_tracking"

    def construct_create_table_statements(self) -> list[str]:
        statements = SQLiteRecorder.construct_create_table_statements(self)
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {self.tracking_table} ("
            "application_name TEXT, notification_id INTEGER, "
            "PRIMARY KEY (application_name)) WITHOUT ROWID"
        )
        statements.extend(_sqlite_sql(ddl) for ddl in self.definition.ddl)
        return statements

    def apply(
        self, writes: Iterable[Write], tracking: Tracking, *, after: int | None = None
    ) -> None:
        with self.datastore.get_connection(commit=True) as connection:
            if connection not in self._relaxed:
                # A view's rows and position commit together and the view can be rebuilt, so
                # it needs WAL's consistency but not an fsync per batch: a crash loses whole
                # batches, position included, which are then applied again. Checkpointing the
                # WAL every 64 MiB rather than every 4 MiB halves the time of a large catch-up.
                raw = connection._sqlite_conn
                raw.execute("PRAGMA synchronous = NORMAL")
                raw.execute("PRAGMA wal_autocheckpoint = 16384")
                # A large catch-up touches pages all over the view's tables and indexes: keep up
                # to 64 MiB of them in memory rather than SQLite's default 2 MiB.
                raw.execute("PRAGMA cache_size = -65536")
                self._relaxed.add(connection)
            with connection.transaction(commit=True) as c:
                # First: a batch already applied (or overlapping one) stops here.
                if after is None:
                    self._insert_tracking(c, tracking)
                else:
                    c.execute(self._advance_statement, _advance(tracking, after))
                    if c.fetchone() is None:
                        raise IntegrityError(_moved(tracking, after))
                self._apply(c, writes)

    @staticmethod
    def _apply(c: SQLiteCursor, writes: Iterable[Write]) -> None:
        for statement, rows in _runs(writes):
            c.executemany(_sqlite_sql(statement.sql), rows)

    def select(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(_sqlite_sql(sql), dict(params or {}))
            return [dict(row) for row in c.fetchall()]

    def optimize(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("PRAGMA analysis_limit = 1000")  # sample, so this stays quick
            for table in self.definition.tables:
                c.execute(f"ANALYZE {table}")

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            for table in (*self.definition.tables, self.tracking_table):
                c.execute(f"DROP TABLE IF EXISTS {table}")
        self.tracking_table_exists = False
        self.tracking_migration_previous = self.tracking_migration_current = None
        self.create_table()


def _postgres_recorder_base() -> type[Any]:
    from eventsourcing.postgres import PostgresTrackingRecorder

    return PostgresTrackingRecorder


def postgres_view_recorder(definition: type[ViewDefinition]) -> type[ViewRecorder]:
    """The PostgreSQL recorder class of a view (psycopg is imported only when asked for)."""
    return _postgres_view_recorders(definition)


@cache
def _postgres_view_recorders(definition: type[ViewDefinition]) -> type[ViewRecorder]:
    from psycopg.sql import SQL, Identifier

    base = _postgres_recorder_base()

    class PostgresViewRecorder(base, ViewRecorder):  # type: ignore[misc,valid-type]
        """A view on PostgreSQL: eventsourcing's tracking table ``<view>_tracking`` and the
        view's tables, in the datastore's schema."""

        def __init__(self, datastore: Any, **kwargs: Any) -> None:
            super().__init__(datastore, **kwargs)
            schema = self.datastore.schema
            self.prefix = f'"{schema}".' if schema else ""
            self.sql_create_statements.extend(
                SQL(_postgres_sql(ddl, self.prefix)) for ddl in self.definition.ddl
            )
            table = (
                SQL(".").join([Identifier(schema), Identifier(self.tracking_table_name)])
                if schema
                else Identifier(self.tracking_table_name)
            )
            self._advance_statement = SQL(
                "INSERT INTO {0} VALUES (%(application_name)s, %(notification_id)s) "
                "ON CONFLICT (application_name) DO UPDATE SET notification_id = "
                "%(notification_id)s WHERE {0}.notification_id = %(after)s "
                "AND %(after)s < %(notification_id)s RETURNING notification_id"
            ).format(table)
            self._identifiers = [
                SQL(".").join([Identifier(schema), Identifier(t)]) if schema else Identifier(t)
                for t in (*self.definition.tables, self.tracking_table_name)
            ]

        def apply(
            self, writes: Iterable[Write], tracking: Tracking, *, after: int | None = None
        ) -> None:
            with self.datastore.transaction(commit=True) as curs:
                # First: a batch already applied (or an overlapping one) stops here.
                if after is None:
                    self._insert_tracking(curs, tracking)
                else:
                    curs.execute(self._advance_statement, _advance(tracking, after))
                    if curs.fetchone() is None:
                        raise IntegrityError(_moved(tracking, after))
                # One pipeline for the whole batch: without it each run of a statement waits for
                # its own round trip (a view's statements alternate, so runs are short).
                with curs.connection.pipeline():
                    for statement, rows in _runs(writes):
                        curs.executemany(self._sql(statement.sql), rows)

        def optimize(self) -> None:
            with self.datastore.transaction(commit=True) as curs:
                for identifier in self._identifiers:
                    curs.execute(SQL("ANALYZE {0}").format(identifier))

        def _sql(self, sql: str) -> Any:
            return SQL(_postgres_sql(sql, self.prefix))

        def select(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
            with self.datastore.transaction(commit=False) as curs:
                curs.execute(self._sql(sql), dict(params or {}))
                return [dict(row) for row in curs.fetchall()]

        def reset(self) -> None:
            with self.datastore.transaction(commit=True) as curs:
                for identifier in self._identifiers:
                    curs.execute(SQL("DROP TABLE IF EXISTS {0}").format(identifier))
            self.tracking_table_exists = False
            self.tracking_migration_previous = self.tracking_migration_current = None
            self.create_table()

    PostgresViewRecorder.definition = definition
    PostgresViewRecorder.__name__ = PostgresViewRecorder.__qualname__ = (
        f"Postgres{definition.__name__}Recorder"
    )
    return PostgresViewRecorder


def sqlite_view_recorder(definition: type[ViewDefinition]) -> type[ViewRecorder]:
    """The SQLite recorder class of a view."""
    return _sqlite_view_recorders(definition)


@cache
def _sqlite_view_recorders(definition: type[ViewDefinition]) -> type[ViewRecorder]:
    return type(
        f"SQLite{definition.__name__}Recorder",
        (SQLiteViewRecorder,),
        {"definition": definition, "__module__": __name__},
    )


def position_of(notifications: Sequence[Notification]) -> int:
    return notifications[-1].id
