"""What a view is: the events as a view reads them (:class:`Fact`), the SQL it writes
(:class:`Statement`, :class:`Write`) and its definition (:class:`ViewDefinition`): its tables, the
event topics it reads and a pure function from one recorded event to the row changes it makes.
Nothing here touches a database."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic
from pydantic import ConfigDict

from recoverycore.persistence import (
    FOLLOW_UP_APPLICATION,
    RECOVERY_APPLICATION,
    malformed_id,
    unseal,
)

if TYPE_CHECKING:  # pragma: no cover
    from eventsourcing.persistence import Cipher, Compressor

__all__ = [
    "FOLLOW_UP_APPLICATION",
    "RECOVERY_APPLICATION",
    "ROW_MODEL",
    "Fact",
    "Statement",
    "ViewDefinition",
    "Write",
    "as_of_text",
    "fact_decoder",
    "json_text",
    "time_or_none",
    "utc_text",
]


@dataclass(frozen=True, slots=True)
class Fact:
    """One recorded event as a view reads it: where it sits in its application's notification
    log, whose event it is, and its stored JSON (after upcasting), without pydantic validation:
    the write side validated it when it was recorded."""

    application: str
    position: int
    subject_id: str
    version: int
    topic: str
    data: Mapping[str, Any]
    json: str = ""
    """The stored JSON text itself (after upcasting, the JSON of ``data``)."""

    @property
    def event_type(self) -> str:
        return _event_type(self.topic)

    def text(self, name: str) -> str | None:
        value = self.data.get(name)
        return None if value is None else str(value)

    @property
    def actor(self) -> Mapping[str, Any]:
        actor = self.data.get("actor")
        return actor if isinstance(actor, Mapping) else {}

    @property
    def occurred_utc(self) -> str:
        return utc_text(self.data["occurred_at"])


@lru_cache(maxsize=512)
def _event_type(topic: str) -> str:
    return topic.rsplit(":", 1)[-1].rsplit(".", 1)[-1]


@lru_cache(maxsize=512)
def _upcasters(topic: str) -> tuple[int, tuple[Callable[[dict[str, Any]], None], ...]]:
    try:
        cls = resolve_topic(topic)
    except Exception:  # an event type this version no longer has: read it as stored
        return 1, ()
    version: int = getattr(cls, "class_version", 1)
    steps = tuple(getattr(cls, f"upcast_v{v}_v{v + 1}") for v in range(1, version))
    return version, steps


@lru_cache(maxsize=4096)
def _id_text(originator_id: object) -> str:
    # A plan's or case's events come together, and str(UUID) is slow Python: remember a few.
    return str(originator_id)


def fact_decoder(
    application: str, cipher: Cipher | None = None, compressor: Compressor | None = None
) -> Callable[[Notification], Fact]:
    """How a view reads one application's notifications: decrypt and decompress as the
    application's mapper does, parse the JSON, apply the event class's upcasters."""

    def decode(notification: Notification) -> Fact:
        stored_id = malformed_id(notification.originator_id)
        if stored_id is not None:
            raise ValueError(f"its aggregate id {stored_id} is not a UUID")
        state = unseal(notification.state)
        if cipher is not None:
            state = cipher.decrypt(state)
        if compressor is not None:
            state = compressor.decompress(state)
        data: dict[str, Any] = orjson.loads(state)
        if "class_version" in data or _upcasters(notification.topic)[1]:
            stored = data.pop("class_version", 1)
            for step in _upcasters(notification.topic)[1][stored - 1 :]:
                step(data)
            state = orjson.dumps(data)
        return Fact(
            application=application,
            position=notification.id,
            subject_id=_id_text(notification.originator_id),
            version=notification.originator_version,
            topic=notification.topic,
            data=data,
            json=state.decode(),
        )

    return decode


def utc_text(value: str | datetime) -> str:
    """A time as sortable UTC text (``2026-03-01T22:00:00+00:00``, with microseconds when it has
    any): the form every view stores. The same instant always gives the same text, and text
    order is time order (``+`` and ``.`` sort below every digit), so ``<=`` and ``ORDER BY`` in
    SQL compare times on both databases."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        raise ValueError(f"A recorded time must carry its offset: {value!r}")
    return moment.astimezone(UTC).isoformat()


def as_of_text(as_of: datetime) -> str:
    """A question's ``as_of`` as the views store times; refused without its offset."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must carry its offset (e.g. 2026-03-01T09:00+11:00)")
    return utc_text(as_of)


def time_or_none(value: Any) -> datetime | None:
    """A time read back from a view's row (``None`` stays ``None``)."""
    return None if value is None else datetime.fromisoformat(str(value))


ROW_MODEL = ConfigDict(frozen=True, extra="forbid")
"""The configuration of every view's answer models."""


def json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement of a view, written with ``:name`` parameters and ``{p}`` before each
    table name (the schema prefix on PostgreSQL, nothing on SQLite)."""

    sql: str


Write = tuple[Statement, Mapping[str, Any]]
"""One row change: the statement and its parameters."""


class ViewDefinition(ABC):
    """A read model: its tables, the events it reads, and what each event changes.

    ``writes`` must be a pure function of the fact, and a view's rows must not depend on the
    order in which its sources (the recovery log and the follow-up log) interleave, so a view
    rebuilt from scratch equals the one maintained as events arrive.
    """

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]
    """The names of the view's tables (dropped by a rebuild)."""
    ddl: ClassVar[tuple[str, ...]]
    """``CREATE TABLE IF NOT EXISTS`` and ``CREATE INDEX IF NOT EXISTS`` statements."""
    topics: ClassVar[Mapping[str, tuple[str, ...]]]
    """The event topics the view reads, per source application."""

    @classmethod
    @abstractmethod
    def writes(cls, fact: Fact) -> Iterable[Write]:
        """The row changes one recorded event makes."""

    @classmethod
    def all_topics(cls) -> tuple[str, ...]:
        return tuple(t for topics in cls.topics.values() for t in topics)
