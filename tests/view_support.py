"""What the projection-law tests share: a probe view that shows how often each event was applied,
fresh and rebuilt views, a view fed event by event the way eventsourcing's ``ProjectionRunner``
feeds it, and a store holding the demo plan and case many times over.

A view that upserts or keys its rows is left as it was when an event is applied twice, so its
rows cannot show a duplicate. :class:`Deliveries` records one row per event applied, with no
key: an event applied twice shows as two rows, one never applied as none.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from typing import Any, ClassVar
from unittest import mock
from uuid import UUID, uuid5

from eventsourcing.application import Application
from eventsourcing.persistence import ApplicationRecorder, Notification, Tracking
from eventsourcing.utils import get_topic

from recoverycore import RecoveryApp, SimulatedClock
from recoverycore.cli import demo
from recoverycore.events import cmr, follow_ups, msp
from recoverycore.persistence import in_memory_env
from recoverycore.projections import (
    FOLLOW_UP_APPLICATION,
    RECOVERY_APPLICATION,
    Fact,
    Source,
    Statement,
    ViewDefinition,
    ViewRecorder,
    Write,
    open_view,
    rebuild,
    view_projection,
)

__all__ = [
    "Deliveries",
    "deliveries",
    "fed_event_by_event",
    "fresh_view",
    "is_level",
    "notification_ids",
    "rebuilt",
    "record_demo_copies",
    "stopping_after",
]

_PAGE = 1_000
_RECOVERY_TOPICS = tuple(get_topic(t) for t in (*msp.MSP_EVENT_TYPES, *cmr.CASE_EVENT_TYPES))
_FOLLOW_UP_TOPICS = tuple(get_topic(t) for t in follow_ups.FOLLOW_UP_EVENT_TYPES)


class Deliveries(ViewDefinition):
    """A probe view: one row for every event applied to it, and nothing else."""

    name: ClassVar[str] = "deliveries"
    tables: ClassVar[tuple[str, ...]] = ("deliveries",)
    ddl: ClassVar[tuple[str, ...]] = (
        "CREATE TABLE IF NOT EXISTS {p}deliveries ("
        " application TEXT NOT NULL, position BIGINT NOT NULL, subject_id TEXT NOT NULL,"
        " version BIGINT NOT NULL, event_type TEXT NOT NULL)",
    )
    topics: ClassVar[dict[str, tuple[str, ...]]] = {
        RECOVERY_APPLICATION: _RECOVERY_TOPICS,
        FOLLOW_UP_APPLICATION: _FOLLOW_UP_TOPICS,
    }
    _DELIVERED: ClassVar[Statement] = Statement(
        "INSERT INTO {p}deliveries (application, position, subject_id, version, event_type)"
        " VALUES (:application, :position, :subject_id, :version, :event_type)"
    )

    @classmethod
    def writes(cls, fact: Fact) -> Iterable[Write]:
        params = {
            "application": fact.application,
            "position": fact.position,
            "subject_id": fact.subject_id,
            "version": fact.version,
            "event_type": fact.event_type,
        }
        return ((cls._DELIVERED, params),)


def deliveries(view: ViewRecorder) -> list[tuple[str, int]]:
    """(application, position) of every event a :class:`Deliveries` view applied, sorted, with
    repeats."""
    rows = view.select("SELECT application, position FROM {p}deliveries")
    return sorted((str(r["application"]), int(r["position"])) for r in rows)


def _pages(recorder: ApplicationRecorder, topics: Sequence[str]) -> Iterator[Notification]:
    start = 0
    while page := recorder.select_notifications(
        start=start, limit=_PAGE, topics=topics, inclusive_of_start=False
    ):
        yield from page
        start = page[-1].id


def notification_ids(
    sources: Mapping[str, Source], definition: type[ViewDefinition] = Deliveries
) -> list[tuple[str, int]]:
    """(application, position) of every event recorded that ``definition`` reads, sorted."""
    return sorted(
        (name, n.id)
        for name, topics in definition.topics.items()
        if name in sources
        for n in _pages(sources[name].recorder, topics)
    )


def fresh_view(definition: type[ViewDefinition]) -> ViewRecorder:
    """An empty view in an in-memory SQLite database of its own."""
    return open_view(definition, in_memory_env())


def rebuilt(definition: type[ViewDefinition], sources: Mapping[str, Source]) -> ViewRecorder:
    """A view rebuilt from scratch from ``sources``."""
    view = fresh_view(definition)
    rebuild(view, sources)
    return view


def stopping_after(batches: int | None) -> dict[str, Any]:
    """``catch_up`` keywords that stop it after so many batches (none if ``None``), as a
    runner stopped part-way is (it finishes the batch it is applying)."""
    if batches is None:
        return {}
    stop = threading.Event()
    done = [0]

    def progress(applied: int, total: int) -> None:
        done[0] += 1
        if done[0] >= batches:
            stop.set()

    return {"stop": stop, "progress": progress}


def is_level(view: ViewRecorder, sources: Mapping[str, Source], *names: str) -> bool:
    """Whether ``view`` has applied every event of ``sources`` (or of ``names``) it reads."""
    for name in names or tuple(sources):
        topics = view.definition.topics.get(name)
        if topics is None:
            continue
        position = view.max_tracking_id(name) or 0
        after = sources[name].recorder.select_notifications(
            start=position, limit=1, topics=topics, inclusive_of_start=False
        )
        if after:
            return False
    return True


def fed_event_by_event(
    definition: type[ViewDefinition], apps: Sequence[Application[Any]]
) -> ViewRecorder:
    """A view fed as eventsourcing's ``ProjectionRunner`` feeds it: each domain event (read back
    by the application's mapper) passed to the view's ``Projection``, one at a time."""
    view = fresh_view(definition)
    projection = view_projection(definition)(view)
    for app in apps:
        topics = definition.topics.get(app.name)
        if topics is None:
            continue
        for notification in _pages(app.recorder, topics):
            event = app.mapper.to_domain_event(notification)
            projection.process_event(event, Tracking(app.name, notification.id))
    return view


_COPIES = UUID("0f5e2b8c-6f5d-4c1e-9d7a-3a1b2c4d5e6f")


def record_demo_copies(app: RecoveryApp, copies: int, *, first: int = 0) -> None:
    """Record the demo plan and the demo case ``copies`` times each, under ids of their own
    (the demos record under fixed ids and skip a store that already has them); ``first``: the
    number of the first copy (copies numbered alike are the same plan and case)."""
    for n in range(first, first + copies):
        with ExitStack() as patched:
            for name in ("DEMO_PLAN_ID", "DEMO_CASE_ID"):
                patched.enter_context(mock.patch.object(demo, name, uuid5(_COPIES, f"{name}{n}")))
            # Each copy's case is another customer's: a customer has one open case.
            patched.enter_context(mock.patch.object(demo, "DEMO_CASE_CRN", f"{n + 1:09d}J"))
            plan_clock = SimulatedClock(demo.DEMO_START)
            app.clock = plan_clock
            demo.run_demo(app, plan_clock)
            case_clock = SimulatedClock(demo.DEMO_CASE_START)
            app.clock = case_clock
            demo.run_case_demo(app, case_clock)
