"""The recorders that keep a view's rows: eventsourcing tracking recorders (materialised views)
that apply a batch of writes and record the position of the batch's last event together, so an
event is applied exactly once even when a runner is stopped or killed part-way. The same
:class:`~recoverycore.projections.ViewDefinition` runs on SQLite
(:class:`SQLiteViewRecorder`) and PostgreSQL (:func:`postgres_view_recorder`)."""

from __future__ import annotations

import contextlib
import re
import secrets
import sqlite3
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cache, lru_cache
from typing import Any, ClassVar

from eventsourcing.persistence import (
    IntegrityError,
    Notification,
    PersistenceError,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.sqlite import (
    SQLiteDatastore,
    SQLiteRecorder,
    SQLiteTrackingRecorder,
)

from recoverycore.projections._view import Statement, ViewDefinition, Write

__all__ = [
    "GENERATIONS_TABLE",
    "RebuildSuperseded",
    "SQLiteViewRecorder",
    "Tail",
    "ViewRecorder",
    "position_of",
    "postgres_view_recorder",
    "sqlite_view_recorder",
]

_PARAM = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")
_TABLE = re.compile(r"\{p\}([A-Za-z_][A-Za-z0-9_]*)")
_INDEX = re.compile(r"(INDEX IF NOT EXISTS )([A-Za-z_][A-Za-z0-9_]*)")

GENERATIONS_TABLE = "view_generations"
"""The pointer table: one row per view, naming its live generation (a count of the rebuilds
that switched) and the tag its indexes were built under."""

_GENERATIONS_DDL = (
    "CREATE TABLE IF NOT EXISTS {p}view_generations ("
    " view TEXT PRIMARY KEY, generation BIGINT NOT NULL, tag TEXT NOT NULL)"
)
_CLAIM_GENERATION = Statement(
    "INSERT INTO {p}view_generations AS g (view, generation, tag) VALUES (:view, 1, :tag)"
    " ON CONFLICT (view) DO UPDATE SET generation = g.generation + 1, tag = excluded.tag"
)

Tail = Callable[[dict[str, int]], Iterator[tuple[str, list[Write], int, int]]]
"""What a rebuild still has to apply when it switches, read after the given positions: batches
of (source, writes, position of the batch's last event, events in the batch)."""


class RebuildSuperseded(RuntimeError):
    """Another rebuild of the same view switched first and dropped this one's tables."""

    def __init__(self, view: str) -> None:
        super().__init__(
            f"Another rebuild of the {view} view switched to its new version while this one was "
            "building, and dropped this one's tables. The live view is the other rebuild's "
            "(built from the first event, like this one): nothing needs doing."
        )


def _new_tag() -> str:
    return f"__b{secrets.token_hex(4)}"


@lru_cache(maxsize=4096)
def _render(
    sql: str, prefix: str, tables: frozenset[str], tag: str, index_tag: str, postgres: bool
) -> str:
    """A view's SQL for one table set: ``{p}name`` is the schema prefix and, for the view's own
    tables, the set's tag (``""`` for the live tables, ``__b<hex>`` for a rebuild's); index
    names carry the tag their tables were built under."""

    def table(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"{prefix}{name}{tag if name in tables else ''}"

    out = _INDEX.sub(lambda m: f"{m.group(1)}{m.group(2)}{index_tag}", _TABLE.sub(table, sql))
    if postgres:
        out = _PARAM.sub(r"%(\1)s", out.replace("%", "%%"))
    return out


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
    """A materialised view: an eventsourcing tracking recorder that also keeps a view's rows.

    A recorder writes one set of the view's tables: the live set (under the tables' own names,
    ``tag`` empty), or a rebuild's new set beside it (every table, its tracking table included,
    named with the rebuild's ``tag``) until :meth:`switch` makes that set the live one."""

    definition: ClassVar[type[ViewDefinition]]
    tag: str = ""
    """The table set this recorder writes: ``""`` for the live one, ``__b<hex>`` for a build."""
    index_tag: str = ""
    """The tag the set's indexes were created under (a switched build keeps its index names)."""

    @property
    def problems_table(self) -> str:
        """The view's table of aggregates it stopped at (an event that could not be read)."""
        return f"{self.definition.name}_problems"

    @property
    def table_names(self) -> tuple[str, ...]:
        """The view's own tables (without the tag), its problems table included."""
        return (*self.definition.tables, self.problems_table)

    def _ddl(self) -> tuple[str, ...]:
        return (
            _GENERATIONS_DDL,
            f"CREATE TABLE IF NOT EXISTS {{p}}{self.problems_table} ("
            " log TEXT NOT NULL, subject_id TEXT NOT NULL, version BIGINT NOT NULL,"
            " position BIGINT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (log, subject_id))",
            *self.definition.ddl,
        )

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
    def apply_in(self, cursor: Any, writes: Iterable[Write]) -> None:
        """Apply ``writes`` in the caller's transaction (``cursor``), without a position."""

    @abstractmethod
    def select(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows of a query on the view's tables (``:name`` parameters, ``{p}`` table prefix)."""

    @abstractmethod
    def reset(self) -> None:
        """Drop the view's rows and positions and create its tables again, empty. (Not how a
        view is rebuilt: see :func:`~recoverycore.projections.rebuild`.)"""

    @abstractmethod
    def optimize(self) -> None:
        """Refresh the database's statistics of the view's tables, so that its questions use
        the right indexes (``catch_up`` calls this after applying many events)."""

    @abstractmethod
    def begin_build(self) -> ViewRecorder:
        """A new, empty set of the view's tables beside the live one (a rebuild fills it from
        the first event with its own positions, then :meth:`switch` makes it live)."""

    @abstractmethod
    def switch(self, build: ViewRecorder, tail: Tail) -> int:
        """Make ``build`` the live view, in one transaction: hold off the live view's writers,
        apply to ``build`` what was recorded since its positions (``tail``), drop the live tables
        and give ``build``'s tables their names, record the new generation, and drop any other
        rebuild's tables left behind. Readers and writers see the old view until it commits and
        the new one after. Returns the events ``tail`` applied.

        Raises :class:`RebuildSuperseded` (changing nothing) when ``build``'s tables are gone."""

    @abstractmethod
    def abandon(self) -> None:
        """Drop this build's tables (a rebuild that failed before switching)."""

    def generation(self) -> int:
        """How many rebuilds have switched this view (0: never rebuilt)."""
        rows = self.select(
            "SELECT generation FROM {p}view_generations WHERE view = :view",
            {"view": self.definition.name},
        )
        return int(rows[0]["generation"]) if rows else 0

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of every table of the view, in a stable order: for comparing two views
        (a rebuilt one and a live one) and for tests."""
        dumped: dict[str, list[dict[str, Any]]] = {}
        for table in self.table_names:
            rows = self.select(f"SELECT * FROM {{p}}{table}")
            dumped[table] = sorted(rows, key=lambda row: [str(v) for v in row.values()])
        return dumped

    def positions(self) -> dict[str, int]:
        """The last position applied from each source (0 when none)."""
        return {name: self.max_tracking_id(name) or 0 for name in self.definition.topics}

    def problems(self) -> list[dict[str, Any]]:
        """The plans and cases (and follow-ups) this view stopped at: the log, the aggregate,
        the version and position of its first event that could not be read, and why. The
        view holds none of that aggregate's events from that version on."""
        return self.select(
            f"SELECT log, subject_id, version, position, reason FROM {{p}}{self.problems_table}"
            " ORDER BY log, position"
        )

    def blocked(self) -> set[tuple[str, str]]:
        """(log, aggregate id) of every aggregate this view stopped at."""
        return {(str(row["log"]), str(row["subject_id"])) for row in self.problems()}

    def _tables_of(self, tag: str) -> list[str]:
        return [f"{table}{tag}" for table in self.table_names]


def _tail_in(
    cursor: Any, build: ViewRecorder, positions: dict[str, int], tail: Tail, advance: Any
) -> int:
    applied = 0
    for name, writes, last, count in tail(positions):
        cursor.execute(advance, _advance(Tracking(name, last), positions.get(name, 0)))
        if cursor.fetchone() is None:
            raise IntegrityError(_moved(Tracking(name, last), positions.get(name, 0)))
        positions[name] = last
        build.apply_in(cursor, writes)
        applied += count
    return applied


class SQLiteViewRecorder(SQLiteTrackingRecorder, ViewRecorder):
    """A view on SQLite. eventsourcing's SQLite tracking table has a fixed name, so each view
    keeps its positions in a table of its own (``<view>_tracking``) and several views can share
    one file."""

    def __init__(self, datastore: SQLiteDatastore, *, tag: str = "", **kwargs: Any) -> None:
        self.tag = tag
        self.index_tag = tag or _sqlite_live_tag(datastore, self.definition.name)
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
        # A batch read after position ``after`` > 0 needs the position row to still say so: a
        # missing row (the view's tables were dropped and made again) refuses it too.
        self._advance_statement = (
            f"INSERT INTO {table} SELECT :application_name, :notification_id "
            f"WHERE :after = 0 OR EXISTS (SELECT 1 FROM {table} "
            "WHERE application_name = :application_name) "
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = :notification_id "
            f"WHERE {table}.notification_id = :after AND :after < :notification_id "
            "RETURNING notification_id"
        )

    @property
    def tracking_table(self) -> str:
        return f"{self.definition.name}_tracking{self.tag}"

    def _sql(self, sql: str) -> str:
        return _render(sql, "", frozenset(self.table_names), self.tag, self.index_tag, False)

    def construct_create_table_statements(self) -> list[str]:
        statements = SQLiteRecorder.construct_create_table_statements(self)
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {self.tracking_table} ("
            "application_name TEXT, notification_id INTEGER, "
            "PRIMARY KEY (application_name)) WITHOUT ROWID"
        )
        statements.extend(self._sql(ddl) for ddl in self._ddl())
        return statements

    def _relax(self, connection: Any) -> None:
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

    def apply(
        self, writes: Iterable[Write], tracking: Tracking, *, after: int | None = None
    ) -> None:
        with self.datastore.get_connection(commit=True) as connection:
            self._relax(connection)
            with connection.transaction(commit=True) as c:
                # First: a batch already applied (or overlapping one) stops here.
                if after is None:
                    self._insert_tracking(c, tracking)
                else:
                    c.execute(self._advance_statement, _advance(tracking, after))
                    if c.fetchone() is None:
                        raise IntegrityError(_moved(tracking, after))
                self.apply_in(c, writes)

    def apply_in(self, c: Any, writes: Iterable[Write]) -> None:
        """Apply ``writes`` in the caller's transaction ``c``."""
        for statement, rows in _runs(writes):
            c.executemany(self._sql(statement.sql), rows)

    def select(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._sql(sql), dict(params or {}))
            return [dict(row) for row in c.fetchall()]

    def optimize(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("PRAGMA analysis_limit = 1000")  # sample, so this stays quick
            for table in self._tables_of(self.tag):
                c.execute(f"ANALYZE {table}")

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            for table in (*self._tables_of(self.tag), self.tracking_table):
                c.execute(f"DROP TABLE IF EXISTS {table}")
        self.tracking_table_exists = False
        self.tracking_migration_previous = self.tracking_migration_current = None
        self.create_table()

    def begin_build(self) -> ViewRecorder:
        build = type(self)(self.datastore, tag=_new_tag())
        build.create_table()
        return build

    def switch(self, build: ViewRecorder, tail: Tail) -> int:
        assert isinstance(build, SQLiteViewRecorder)
        with self.datastore.get_connection(commit=True) as connection:
            self._relax(connection)
            with connection.transaction(commit=True) as c:
                # The first statement writes, so the transaction holds the file's write lock
                # from here: the live view's writers wait until the switch commits.
                c.execute(
                    self._sql(_CLAIM_GENERATION.sql),
                    {"view": self.definition.name, "tag": build.tag},
                )
                c.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                    (build.tracking_table,),
                )
                if c.fetchone() is None:
                    raise RebuildSuperseded(self.definition.name)
                positions = {}
                for name in self.definition.topics:
                    c.execute(build.select_max_tracking_id_statement, (name,))
                    positions[name] = c.fetchone()[0] or 0
                applied = _tail_in(c, build, positions, tail, build._advance_statement)
                for table in (*self._tables_of(""), self.tracking_table):
                    c.execute(f"DROP TABLE IF EXISTS {table}")
                for table in (*self.table_names, f"{self.definition.name}_tracking"):
                    c.execute(f"ALTER TABLE {table}{build.tag} RENAME TO {table}")
                patterns = [
                    f"{table}\\_\\_b%" for table in (*self.table_names, self.tracking_table)
                ]
                c.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND ("
                    + " OR ".join("name LIKE ? ESCAPE '\\'" for _ in patterns)
                    + ")",
                    patterns,
                )
                for (leftover,) in c.fetchall():
                    c.execute(f"DROP TABLE IF EXISTS {leftover}")
        self.index_tag = build.tag
        return applied

    def abandon(self) -> None:
        with contextlib.suppress(Exception), self.datastore.transaction(commit=True) as c:
            for table in (*self._tables_of(self.tag), self.tracking_table):
                c.execute(f"DROP TABLE IF EXISTS {table}")


def _sqlite_live_tag(datastore: SQLiteDatastore, view: str) -> str:
    try:
        with datastore.transaction(commit=False) as c:
            c.execute(f"SELECT tag FROM {GENERATIONS_TABLE} WHERE view = ?", (view,))
            row = c.fetchone()
    except (sqlite3.Error, PersistenceError):
        return ""  # a new file: no view was ever rebuilt in it
    return str(row[0]) if row else ""


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

        def __init__(self, datastore: Any, *, tag: str = "", **kwargs: Any) -> None:
            self.tag = tag
            super().__init__(datastore, **kwargs)
            schema = self.datastore.schema
            self.prefix = f'"{schema}".' if schema else ""
            self.index_tag = tag or self._live_tag()
            self.sql_create_statements.extend(SQL(self._text(ddl)) for ddl in self._ddl())
            # As on SQLite: after > 0 also needs the position row to exist.
            self._advance_statement = SQL(
                "INSERT INTO {0} SELECT %(application_name)s::text, %(notification_id)s::bigint "
                "WHERE %(after)s::bigint = 0 OR EXISTS (SELECT 1 FROM {0} "
                "WHERE application_name = %(application_name)s::text) "
                "ON CONFLICT (application_name) DO UPDATE SET notification_id = "
                "%(notification_id)s WHERE {0}.notification_id = %(after)s "
                "AND %(after)s < %(notification_id)s RETURNING notification_id"
            ).format(self._identifier(self.tracking_table_name))

        def _identifier(self, name: str) -> Any:
            schema = self.datastore.schema
            return (
                SQL(".").join([Identifier(schema), Identifier(name)])
                if schema
                else Identifier(name)
            )

        def _live_tag(self) -> str:
            try:
                with self.datastore.transaction(commit=False) as curs:
                    curs.execute(
                        SQL("SELECT tag FROM {0} WHERE view = %s").format(
                            self._identifier(GENERATIONS_TABLE)
                        ),
                        (self.definition.name,),
                    )
                    row = curs.fetchone()
            except PersistenceError:
                return ""  # a new schema: no view was ever rebuilt in it
            return str(row["tag"]) if row else ""

        def _text(self, sql: str) -> str:
            tables = frozenset(self.table_names)
            return _render(sql, self.prefix, tables, self.tag, self.index_tag, True)

        def _sql(self, sql: str) -> Any:
            return SQL(self._text(sql))

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
                self.apply_in(curs, writes)

        def apply_in(self, curs: Any, writes: Iterable[Write]) -> None:
            """Apply ``writes`` in the caller's transaction ``curs``."""
            # One pipeline for the whole batch: without it each run of a statement waits for
            # its own round trip (a view's statements alternate, so runs are short).
            with curs.connection.pipeline():
                for statement, rows in _runs(writes):
                    curs.executemany(self._sql(statement.sql), rows)

        def optimize(self) -> None:
            with self.datastore.transaction(commit=True) as curs:
                for table in (*self._tables_of(self.tag), self.tracking_table_name):
                    curs.execute(SQL("ANALYZE {0}").format(self._identifier(table)))

        def select(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
            with self.datastore.transaction(commit=False) as curs:
                curs.execute(self._sql(sql), dict(params or {}))
                return [dict(row) for row in curs.fetchall()]

        def _drop(self, curs: Any, tables: Iterable[str]) -> None:
            for table in tables:
                curs.execute(SQL("DROP TABLE IF EXISTS {0}").format(self._identifier(table)))

        def reset(self) -> None:
            with self.datastore.transaction(commit=True) as curs:
                self._drop(curs, (*self._tables_of(self.tag), self.tracking_table_name))
            self.tracking_table_exists = False
            self.tracking_migration_previous = self.tracking_migration_current = None
            self.create_table()

        def begin_build(self) -> ViewRecorder:
            tag = _new_tag()
            build = type(self)(
                self.datastore, tag=tag, tracking_table_name=f"{self.tracking_table_name}{tag}"
            )
            build.create_table()
            return build

        def switch(self, build: ViewRecorder, tail: Tail) -> int:
            assert isinstance(build, PostgresViewRecorder)
            schema = self.datastore.schema or "public"
            live = self._tables_of("")
            with self.datastore.transaction(commit=True) as curs:
                # The tracking table first, in the order the live view's writers take their
                # locks: they wait here until the switch commits (and then write the new view).
                curs.execute(
                    SQL("LOCK TABLE {0} IN ACCESS EXCLUSIVE MODE").format(
                        SQL(", ").join(
                            self._identifier(t) for t in (self.tracking_table_name, *live)
                        )
                    )
                )
                curs.execute(
                    "SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = %s",
                    (schema, build.tracking_table_name),
                )
                if curs.fetchone() is None:
                    raise RebuildSuperseded(self.definition.name)
                curs.execute(
                    self._sql(_CLAIM_GENERATION.sql),
                    {"view": self.definition.name, "tag": build.tag},
                )
                positions = {}
                for name in self.definition.topics:
                    positions[name] = build._max_tracking_id(name, curs) or 0
                applied = _tail_in(curs, build, positions, tail, build._advance_statement)
                self._drop(curs, (*live, self.tracking_table_name))
                for table in (*self.table_names, self.tracking_table_name):
                    curs.execute(
                        SQL("ALTER TABLE {0} RENAME TO {1}").format(
                            self._identifier(f"{table}{build.tag}"), Identifier(table)
                        )
                    )
                curs.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = %s AND ("
                    + " OR ".join("tablename LIKE %s" for _ in live)
                    + " OR tablename LIKE %s)",
                    (
                        schema,
                        *(f"{t}\\_\\_b%" for t in self.table_names),
                        f"{self.tracking_table_name}\\_\\_b%",
                    ),
                )
                self._drop(curs, [row["tablename"] for row in curs.fetchall()])
            self.index_tag = build.tag
            return applied

        def abandon(self) -> None:
            with contextlib.suppress(Exception), self.datastore.transaction(commit=True) as curs:
                self._drop(curs, (*self._tables_of(self.tag), self.tracking_table_name))

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
