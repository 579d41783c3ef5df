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
from typing import Any

import orjson
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

from recoverycore.persistence import OrjsonTranscoder, StoreKind, protected_form, store_kind
from recoverycore.projections._recorders import (
    ViewRecorder,
    postgres_view_recorder,
    sqlite_view_recorder,
)
from recoverycore.projections._view import (
    FOLLOW_UP_APPLICATION,
    RECOVERY_APPLICATION,
    Fact,
    ViewDefinition,
    fact_decoder,
)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "CatchUpResult",
    "Progress",
    "Source",
    "ViewProjection",
    "catch_up",
    "open_sources",
    "open_view",
    "rebuild",
    "view_projection",
    "views_database",
]

_OPEN_ATTEMPTS = 8

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
        factory: InfrastructureFactory[Any] = InfrastructureFactory.construct(
            Environment(name, dict(env))
        )
        recorder = factory.application_recorder()
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
            writes = [w for n in notifications for w in definition.writes(source.decode(n))]
            try:
                view.apply(writes, Tracking(name, notifications[-1].id), after=position)
            except IntegrityError:
                moved = True  # another runner applied it first; read on from its position
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
    """Drop the view and build it again from the first event. Reads the logs only: nothing is
    recorded in them, so no policy reacts to a rebuild."""
    view.reset()
    return catch_up(view, sources, batch_size=batch_size, progress=progress)


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
    eventsourcing's ``ProjectionRunner`` (one event per transaction, as events arrive)."""

    definition: type[ViewDefinition]

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        fact = fact_of(domain_event, tracking)
        self.view.apply(list(self.definition.writes(fact)), tracking)


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
