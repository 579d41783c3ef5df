"""A mapper that stores pydantic events (and still maps eventsourcing's own events)."""

from __future__ import annotations

import sqlite3
from typing import Any, TypeVar, cast
from uuid import UUID, uuid5

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Mapper,
    MapperDeserialisationError,
    Notification,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.utils import TopicError, get_topic, resolve_topic
from pydantic import BaseModel

from recoverycore.errors import InvalidCommand, KeyStoreMissing, UnreadableEvent
from recoverycore.events import Snapshot
from recoverycore.persistence._chain import unseal
from recoverycore.persistence._personal import (
    ERASED,
    PersonalData,
    is_token,
    personal_spec,
    remember_protected_form,
)
from recoverycore.persistence._transcoder import OrjsonTranscoder

__all__ = ["MAX_STORED_EVENT_BYTES", "PydanticMapper", "UnreadableStoredEvent"]

MAX_STORED_EVENT_BYTES = 1 << 20
"""The most bytes one stored event may take (1 MiB): a larger one is refused before anything is
sent to the store. (psycopg's pipeline mode, which eventsourcing's PostgreSQL recorder uses,
can hang for good on a parameter of several MB while the events table is locked.)"""

_POSITION: set[str] = {"originator_id", "originator_version"}
_ENVIRONMENT_ERRORS = (PersistenceError, sqlite3.Error, OSError, MemoryError)
"""Errors of the store or the machine, not of the event's bytes: never called unreadable (a
follower that skipped an event for them would skip events that are fine)."""


class UnreadableStoredEvent(UnreadableEvent, MapperDeserialisationError):
    """:class:`~recoverycore.errors.UnreadableEvent` as the mapper raises it: also eventsourcing's
    ``MapperDeserialisationError``, which callers of eventsourcing's mappers expect.

    ``skippable`` is false when the cause may be the reader's configuration rather than the
    event (eventsourcing's cipher could not decrypt it: a wrong ``CIPHER_KEY`` makes every event
    fail so); followers stop at such an event instead of going past it.
    """

    skippable: bool = True


def _located(stored_event: StoredEvent, log: str, reason: str) -> UnreadableStoredEvent:
    notification_id = stored_event.id if isinstance(stored_event, Notification) else None
    originator_id = stored_event.originator_id
    aggregate_id = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
    return UnreadableStoredEvent(
        log,
        aggregate_id,
        stored_event.originator_version,
        reason,
        notification_id=notification_id,
    )


def _first_line(error: BaseException, limit: int = 300) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:limit]}"


class PydanticMapper(Mapper[UUID]):
    """Maps frozen pydantic domain events to :class:`StoredEvent` and back.

    Schema evolution works as in eventsourcing: a class with ``class_version = N`` (a
    ``ClassVar``) stores that version beside its fields, and reading an older record calls the
    class's ``upcast_v1_v2(state)``, ``upcast_v2_v3(state)``, ... static methods in turn on the
    stored dict before the model is validated. Events that are not pydantic models are mapped
    by eventsourcing's own :class:`Mapper`, so this mapper can serve any application.

    With ``personal`` set (applications set it from the store's configuration, see
    :func:`~recoverycore.persistence.personal_data_for`), fields marked personal are stored as
    tokens encrypted under their customer's key and read back as plaintext, or as ``[erased]``
    once the key is destroyed; snapshots of a customer's plans and cases are stored encrypted whole.
    Reading strips the hash-chain seal an application's event store puts before the bytes.

    A stored event that cannot be read back (damaged bytes or JSON, a topic that no longer
    resolves, fields its class refuses, such as a time an old version wrote wrongly) raises
    :class:`~recoverycore.errors.UnreadableEvent` naming the log, aggregate, version and
    notification id; errors of the store itself (a lost connection, a missing key store) are
    raised as they are.
    """

    personal: PersonalData | None = None
    max_stored_bytes: int = MAX_STORED_EVENT_BYTES
    """Events stored larger than this are refused with InvalidCommand (nothing recorded)."""
    log: str = "store"
    """The notification log (application name) this mapper reads, named in its errors."""

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        if not isinstance(domain_event, BaseModel):
            return super().to_stored_event(domain_event)
        transcoder = self.transcoder
        if isinstance(transcoder, OrjsonTranscoder):
            state = domain_event.model_dump(exclude=_POSITION)
            encode = transcoder.encode_native
        else:
            state = domain_event.model_dump(mode="json", exclude=_POSITION)
            encode = transcoder.encode
        personal = self.personal
        if personal is not None:
            if isinstance(domain_event, Snapshot):
                subject = personal.snapshot_subject(domain_event.originator_id)
                if subject is not None:
                    state["state"] = personal.seal(subject, orjson.dumps(state["state"]).decode())
            else:
                spec = personal_spec(type(domain_event))
                if spec:
                    personal.protect(state, spec, domain_event.originator_id)
        class_version: int = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        stored_state = encode(state)
        if self.compressor:
            stored_state = self.compressor.compress(stored_state)
        if self.cipher:
            stored_state = self.cipher.encrypt(stored_state)
        if len(stored_state) > self.max_stored_bytes:
            raise InvalidCommand(
                type(domain_event).__name__,
                f"the event would be stored as {len(stored_state):,} bytes, more than the "
                f"{self.max_stored_bytes:,} bytes one recorded event may take.",
                "Shorten the longest texts (attach long documents by reference instead).",
            )
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=stored_state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        stored_id = malformed_id(stored_event.originator_id)
        if stored_id is not None:
            raise _located(stored_event, self.log, f"its aggregate id {stored_id} is not a UUID")
        try:
            return self._to_domain_event(stored_event)
        except (UnreadableEvent, KeyStoreMissing, *_ENVIRONMENT_ERRORS):
            raise  # a lost key store is the store's fault, never one event's: stop loudly
        except Exception as e:
            if type(e).__module__.startswith("psycopg"):
                raise  # the store's connection, not the event
            reason = f"its fields are refused by {stored_event.topic} ({_first_line(e)})"
            raise _located(stored_event, self.log, reason) from e

    def _to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        try:
            cls = resolve_topic(stored_event.topic)
        except TopicError as e:
            reason = f"its topic {stored_event.topic!r} names no class this version has"
            raise _located(stored_event, self.log, reason) from e
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            return super().to_domain_event(stored_event)
        stored_state = unseal(stored_event.state)
        if self.cipher:
            try:
                stored_state = self.cipher.decrypt(stored_state)
            except Exception as e:
                reason = (
                    f"Failed to deserialise the stored state of a {stored_event.topic}: it "
                    f"cannot be decrypted with this CIPHER_KEY ({_first_line(e)})"
                )
                error = _located(stored_event, self.log, reason)
                error.skippable = False
                raise error from e
        try:
            if self.compressor:
                stored_state = self.compressor.decompress(stored_state)
            state: dict[str, Any] = self.transcoder.decode(stored_state)
            if not isinstance(state, dict):
                raise TypeError(f"the stored state is a {type(state).__name__}, not an object")
        except Exception as e:
            reason = (
                f"Failed to deserialise the stored state of a {stored_event.topic} "
                f"({_first_line(e)})"
            )
            raise _located(stored_event, self.log, reason) from e
        class_version: int = getattr(cls, "class_version", 1)
        from_version: int = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        personal = self.personal
        if personal is not None:
            if cls is Snapshot and is_token(state.get("state")):
                text = personal.open(state["state"])
                if text == ERASED:
                    reason = (
                        "it is a snapshot of a forgotten customer's record; forget() deletes "
                        "such snapshots: delete it and replay the events"
                    )
                    raise _located(stored_event, self.log, reason)
                state["state"] = orjson.loads(text)
            else:
                spec = personal_spec(cls)
                if spec:
                    protected = orjson.dumps(state)
                    personal.reveal_fields(state, spec)
                    state["originator_id"] = stored_event.originator_id
                    state["originator_version"] = stored_event.originator_version
                    event = cls.model_validate(state)
                    remember_protected_form(event, protected)
                    return cast(DomainEventProtocol[UUID], event)
        state["originator_id"] = stored_event.originator_id
        state["originator_version"] = stored_event.originator_version
        return cast(DomainEventProtocol[UUID], cls.model_validate(state))


_R = TypeVar("_R")

MALFORMED_ID_NAMESPACE = UUID("0b4b5f0e-57c1-4a8e-9a43-1d5a3e0c7f21")
"""The namespace of the stand-in id a row with a malformed aggregate id is read under."""
_MALFORMED: dict[UUID, str] = {}


def malformed_id(originator_id: object) -> str | None:
    """What was stored as the aggregate id, when ``originator_id`` is the stand-in of a row whose
    id is not a UUID (see :func:`tolerate_malformed_ids`); ``None`` otherwise."""
    return _MALFORMED.get(originator_id) if isinstance(originator_id, UUID) else None


def tolerate_malformed_ids(recorder: _R) -> _R:
    """``recorder``, reading a stored row whose aggregate id is not a UUID (a hand edit; only a
    SQLite file can hold one) under a stand-in id instead of failing the whole read in
    eventsourcing's notification reader: the mapper then calls that one event unreadable, and
    every other row of the batch is read as usual."""
    convert = getattr(recorder, "convert_originator_id", None)
    if convert is None:
        return recorder

    def tolerant(raw: Any) -> Any:
        try:
            return convert(raw)
        except (ValueError, TypeError, AttributeError):
            stand_in = uuid5(MALFORMED_ID_NAMESPACE, repr(raw))
            _MALFORMED[stand_in] = repr(raw)[:80]
            return stand_in

    recorder.convert_originator_id = tolerant  # type: ignore[attr-defined]
    return recorder
