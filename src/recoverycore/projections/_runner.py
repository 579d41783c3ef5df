"""Running views: a catch-up runner that follows notification logs in batches (SQLite and
PostgreSQL), a rebuild, and the eventsourcing ``Projection`` that a ``ProjectionRunner`` drives
when following a PostgreSQL store live."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import orjson
import structlog
from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    ApplicationRecorder,
    InfrastructureFactory,
    IntegrityError,
    InternalError,
    Mapper,
    Notification,
    OperationalError,
    Tracking,
)
from eventsourcing.projection import Projection
from eventsourcing.utils import Environment, get_topic
from pydantic import BaseModel

from recoverycore.persistence import (
    OrjsonTranscoder,
    StoreKind,
    lenient_sqlite_text,
    protected_form,
    schema_lock,
    store_kind,
    tolerate_malformed_ids,
)
from recoverycore.projections._recorders import (
    RebuildSuperseded,
    Tail,
    ViewRecorder,
    postgres_view_recorder,
    sqlite_view_recorder,
)
from recoverycore.projections._view import (
    FOLLOW_UP_APPLICATION,
    RECOVERY_APPLICATION,
    Fact,
    Statement,
    ViewDefinition,
    Write,
    fact_decoder,
)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "CatchUpResult",
    "Progress",
    "RebuildSuperseded",
    "Source",
    "UnreadableNotification",
    "ViewProjection",
    "catch_up",
    "open_sources",
    "open_view",
    "rebuild",
    "tolerant_application",
    "view_projection",
    "views_database",
]

_OPEN_ATTEMPTS = 8
_REASON_LIMIT = 500
_log = structlog.get_logger("recoverycore.projections")

DEFAULT_BATCH_SIZE = 2_000
"""Events applied per transaction by the catch-up runner."""

OPTIMIZE_AFTER = 10_000
"""A catch-up that applies at least this many events refreshes the view's table statistics."""

Progress = Callable[[int, int], None]
"""Called after each batch with (events applied so far, events to apply in all)."""


@dataclass
class Source:
    """One notification log a view reads: its application name, its recorder, and how its
    stored events are decoded (the application's cipher and compressor, if any)."""

    name: str
    recorder: ApplicationRecorder
    decode: Callable[[Notification], Fact]
    _close: Callable[[], None] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, app: Application[Any]) -> Source:
        """The log of a running application (e.g. an in-memory one)."""
        mapper = app.mapper
        return cls(app.name, app.recorder, fact_decoder(app.name, mapper.cipher, mapper.compressor))

    def close(self) -> None:
        if self._close is not None:
            self._close()


def open_sources(env: Mapping[str, str]) -> dict[str, Source]:
    """The recovery log and the follow-up log of the store ``env`` describes, opened through
    eventsourcing's infrastructure factory (without starting the applications)."""
    sources: dict[str, Source] = {}
    for name in (RECOVERY_APPLICATION, FOLLOW_UP_APPLICATION):
        factory: InfrastructureFactory[Any] = lenient_sqlite_text(
            InfrastructureFactory.construct(Environment(name, dict(env)))
        )
        with schema_lock(env):  # PostgreSQL refuses concurrent DDL ("tuple concurrently updated")
            recorder = tolerate_malformed_ids(factory.application_recorder())
        mapper: Mapper[Any] = factory.mapper(transcoder=OrjsonTranscoder())
        sources[name] = Source(
            name, recorder, fact_decoder(name, mapper.cipher, mapper.compressor), factory.close
        )
    return sources


def open_view(definition: type[ViewDefinition], env: Mapping[str, str]) -> ViewRecorder:
    """A view's recorder on the store ``env`` describes: its own tables in the PostgreSQL
    database, or (SQLite and in-memory stores) the view's SQLite file from
    ``<VIEW>_SQLITE_DBNAME``, ``SQLITE_DBNAME``'s views file, or memory."""
    view_env = dict(env)
    kind = store_kind(view_env)
    if kind is StoreKind.POSTGRES:
        recorder_class = postgres_view_recorder(definition)
    else:
        key = f"{definition.name.upper()}_SQLITE_DBNAME"
        if kind is not StoreKind.SQLITE:
            view_env["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
            view_env.setdefault(key, ":memory:")
        elif key not in view_env:
            view_env[key] = views_database(view_env.get("SQLITE_DBNAME", ":memory:"))
        recorder_class = sqlite_view_recorder(definition)
    factory: InfrastructureFactory[Any] = InfrastructureFactory.construct(
        Environment(definition.name, view_env)
    )
    # Runners opening a new view at the same moment race to create its tables (eventsourcing
    # checks for the tracking table, then records its migration row in another transaction);
    # the tables exist once one of them succeeds, so opening again is safe. The first connection
    # to a new file also switches it to WAL, which SQLite refuses while another holds the lock.
    for attempt in range(1, _OPEN_ATTEMPTS + 1):
        try:
            with schema_lock(view_env):
                recorder = factory.tracking_recorder(recorder_class)
            break
        except (IntegrityError, OperationalError, InternalError, sqlite3.OperationalError):
            if attempt == _OPEN_ATTEMPTS:
                raise
            time.sleep(0.05 * attempt)
    assert isinstance(recorder, ViewRecorder)
    return recorder


def views_database(store: str) -> str:
    """Where the views of an SQLite store live: ``<stem>.views.db`` beside the store's file (the
    store's own file is written by the application; a view writer must not hold its lock)."""
    if store == ":memory:" or store.startswith("file:"):
        return ":memory:"
    path = Path(store)
    return str(path.with_name(f"{path.stem}.views{path.suffix or '.db'}"))


@dataclass(frozen=True)
class CatchUpResult:
    """What a catch-up applied: events per source, and the batches (transactions) used."""

    events: Mapping[str, int]
    batches: int

    @property
    def total(self) -> int:
        return sum(self.events.values())


def _backlog(view: ViewRecorder, sources: Mapping[str, Source]) -> int:
    positions = view.positions()
    return sum(
        max(0, (sources[name].recorder.max_notification_id() or 0) - positions.get(name, 0))
        for name in view.definition.topics
        if name in sources
    )


def catch_up(
    view: ViewRecorder,
    sources: Mapping[str, Source],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> CatchUpResult:
    """Apply every event recorded since the view's last positions, a batch per transaction,
    until the view is level with its sources (or ``stop`` is set).

    Each batch's rows and the position of its last event are written together, so a runner
    stopped or killed at any point resumes exactly after the last batch it committed. Another
    runner committing the same batch first makes this one's attempt fail on the tracking
    position (nothing is written) and it reads on from the new position.
    """
    definition = view.definition
    applied = dict.fromkeys(definition.topics, 0)
    batches = 0
    total = _backlog(view, sources) if progress else 0
    blocked = view.blocked()
    while not (stop is not None and stop.is_set()):
        moved = False
        for name, topics in definition.topics.items():
            source = sources.get(name)
            if source is None:
                continue
            position = view.max_tracking_id(name) or 0
            notifications = source.recorder.select_notifications(
                start=position, limit=batch_size, topics=topics, inclusive_of_start=False
            )
            if not notifications:
                continue
            writes = _writes_of(view, source, notifications, blocked)
            try:
                view.apply(writes, Tracking(name, notifications[-1].id), after=position)
            except IntegrityError:
                moved = True  # another runner applied it first; read on from its position
                blocked = view.blocked()  # with any aggregate it stopped at
                continue
            applied[name] += len(notifications)
            batches += 1
            moved = True
            if progress:
                done = sum(applied.values())
                progress(done, max(total, done))
        if not moved:
            break
    if sum(applied.values()) >= OPTIMIZE_AFTER:
        view.optimize()
    return CatchUpResult(applied, batches)


def rebuild(
    view: ViewRecorder,
    sources: Mapping[str, Source],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> CatchUpResult:
    """Build the view again from the first event, beside the live one, and switch to it.

    The new version of the view is a set of tables of its own with its own positions (the live
    view and any process following it carry on meanwhile); once it has caught up, one
    transaction holds off the live view's writers, applies what was recorded since, drops the
    live tables and gives the new ones their names. Readers see the old view or the new one,
    never a part of either, and a follower's next batch lands in the new view (or is refused
    and read past, if the new view already has it). Reads the logs only: nothing is recorded
    in them, so no policy reacts to a rebuild. Raises :class:`RebuildSuperseded` when another
    rebuild of the view switched first and dropped this one's tables.
    """
    build = view.begin_build()
    try:
        built = catch_up(build, sources, batch_size=batch_size, progress=progress)
        counts = dict.fromkeys(view.definition.topics, 0)
        tail = _tail(build, sources, batch_size, counts)
        batches = view.switch(build, tail)
    except BaseException:
        build.abandon()
        raise
    events = {name: built.events.get(name, 0) + counts[name] for name in counts}
    return CatchUpResult(events, built.batches + (1 if batches else 0))


def _tail(
    build: ViewRecorder, sources: Mapping[str, Source], batch_size: int, counts: dict[str, int]
) -> Tail:
    """What a rebuild applies while it switches: everything recorded since its positions."""
    blocked = build.blocked()

    def tail(positions: dict[str, int]) -> Iterator[tuple[str, list[Write], int, int]]:
        for name, topics in build.definition.topics.items():
            source = sources.get(name)
            if source is None:
                continue
            position = positions.get(name, 0)
            while page := source.recorder.select_notifications(
                start=position, limit=batch_size, topics=topics, inclusive_of_start=False
            ):
                counts[name] += len(page)
                yield name, _writes_of(build, source, page, blocked), page[-1].id, len(page)
                position = page[-1].id

    return tail


def _reason(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= _REASON_LIMIT else text[: _REASON_LIMIT - 1] + "…"


def _problem(
    view: ViewRecorder, log: str, subject_id: str, version: int, position: int, error: BaseException
) -> Write:
    """The row that records where the view stopped for one aggregate, and the log line."""
    _log.warning(
        "view_stopped_at_unreadable_event",
        view=view.definition.name,
        log=log,
        aggregate_id=subject_id,
        version=version,
        notification_id=position,
        reason=_reason(error),
    )
    statement = Statement(
        f"INSERT INTO {{p}}{view.problems_table} (log, subject_id, version, position, reason)"
        " VALUES (:log, :subject_id, :version, :position, :reason)"
        " ON CONFLICT (log, subject_id) DO NOTHING"
    )
    params = {
        "log": log,
        "subject_id": subject_id,
        "version": version,
        "position": position,
        "reason": _reason(error),
    }
    return statement, params


def _writes_of(
    view: ViewRecorder,
    source: Source,
    notifications: Sequence[Notification],
    blocked: set[tuple[str, str]],
) -> list[Write]:
    """The row changes of a batch. An event that cannot be read (or turned into rows) stops
    its own aggregate only: a row in the view's problems table names it, and that aggregate's
    later events are skipped (the view never holds half a history as if it were whole), while
    every other aggregate's events are applied."""
    definition = view.definition
    writes: list[Write] = []
    for notification in notifications:
        subject_id = str(notification.originator_id)
        if (source.name, subject_id) in blocked:
            continue
        try:
            changes = list(definition.writes(source.decode(notification)))
        except Exception as error:  # any failure to read one stored event: see the docstring
            blocked.add((source.name, subject_id))
            writes.append(
                _problem(
                    view,
                    source.name,
                    subject_id,
                    notification.originator_version,
                    notification.id,
                    error,
                )
            )
            continue
        writes.extend(changes)
    return writes


def _stored_json(domain_event: DomainEventProtocol[Any]) -> bytes:
    # The same JSON the mapper stores, so a view fed live equals one rebuilt from the log.
    if not isinstance(domain_event, BaseModel):
        raise TypeError(f"recoverycore views read pydantic events, not {type(domain_event)}")
    state = domain_event.model_dump(exclude={"originator_id", "originator_version"})
    return OrjsonTranscoder().encode_native(state)


def fact_of(domain_event: DomainEventProtocol[Any], tracking: Tracking) -> Fact:
    # An event read from a store that protects personal data keeps its stored (tokenised)
    # JSON beside it: the view stores that, as a rebuild from the log does.
    stored = protected_form(domain_event) or _stored_json(domain_event)
    return Fact(
        application=tracking.application_name,
        position=tracking.notification_id,
        subject_id=str(domain_event.originator_id),
        version=domain_event.originator_version,
        topic=get_topic(type(domain_event)),
        data=orjson.loads(stored),
        json=stored.decode(),
    )


class ViewProjection(Projection[ViewRecorder]):
    """A view as an eventsourcing :class:`~eventsourcing.projection.Projection`, for
    eventsourcing's ``ProjectionRunner`` (one event per transaction, as events arrive).

    An event the application could not read (see :func:`tolerant_application`), or whose rows
    cannot be made, stops its aggregate only, as in :func:`catch_up`. An event the view already
    has (another runner applied it, or a rebuild switched to a view that has it) is passed
    over: the runner carries on with the next."""

    definition: type[ViewDefinition]

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        blocked = self.__dict__.get("_blocked")
        if blocked is None:
            blocked = self.__dict__["_blocked"] = self.view.blocked()
        log, subject_id = tracking.application_name, str(domain_event.originator_id)
        writes: list[Write] = []
        if (log, subject_id) not in blocked:
            try:
                if isinstance(domain_event, UnreadableNotification):
                    raise domain_event.error
                writes = list(self.definition.writes(fact_of(domain_event, tracking)))
            except Exception as error:  # one unreadable event: stop its aggregate only
                blocked.add((log, subject_id))
                version = int(domain_event.originator_version)
                writes = [
                    _problem(self.view, log, subject_id, version, tracking.notification_id, error)
                ]
        try:
            self.view.apply(writes, tracking)
        except IntegrityError:
            if (self.view.max_tracking_id(log) or 0) < tracking.notification_id:
                raise
            self.__dict__["_blocked"] = self.view.blocked()


@dataclass(frozen=True)
class UnreadableNotification:
    """What a tolerant application's mapper gives for a stored event it cannot read."""

    originator_id: Any
    originator_version: int
    error: Exception


class _TolerantMapper:
    def __init__(self, mapper: Mapper[Any]) -> None:
        self._mapper = mapper

    def to_domain_event(self, stored: Any) -> Any:
        try:
            return self._mapper.to_domain_event(stored)
        except Exception as error:  # handed to the view, which stops that aggregate only
            return UnreadableNotification(stored.originator_id, stored.originator_version, error)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._mapper, name)


def tolerant_application(application_class: type[Application[Any]]) -> type[Application[Any]]:
    """``application_class`` for a ``ProjectionRunner``: its mapper hands a stored event it
    cannot read to the view (as an :class:`UnreadableNotification`) instead of stopping the
    runner, so one bad event stops only its own aggregate in the view."""

    def construct_mapper(self: Application[Any]) -> Mapper[Any]:
        mapper = application_class.construct_mapper(self)
        return cast("Mapper[Any]", _TolerantMapper(mapper))

    return type(
        f"Tolerant{application_class.__name__}",
        (application_class,),
        {"name": application_class.name, "construct_mapper": construct_mapper},
    )


def view_projection(definition: type[ViewDefinition]) -> type[ViewProjection]:
    """The ``Projection`` class of a view (named after it, reading its topics)."""
    return type(
        f"{definition.__name__}Projection",
        (ViewProjection,),
        {
            "definition": definition,
            "name": definition.name,
            "topics": definition.all_topics(),
            "__module__": __name__,
        },
    )


@contextmanager
def opened(env: Mapping[str, str]) -> Iterator[dict[str, Source]]:
    sources = open_sources(env)
    try:
        yield sources
    finally:
        for source in sources.values():
            source.close()


def sources_of(apps: Sequence[Application[Any]]) -> dict[str, Source]:
    return {app.name: Source.of(app) for app in apps}
