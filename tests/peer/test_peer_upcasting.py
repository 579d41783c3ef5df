"""Schema evolution of stored pydantic events, and their round trip through cipher and compressor.

Old records are written to a real SQLite file through eventsourcing's ``Application`` event
store with our mapper and transcoder, using the first version of an event class. The "deployed"
class behind the event's topic is then swapped for a later version, as editing the class in
place would do, and the old records are read back: the mapper must call the class's
``upcast_vN_vM`` static methods in turn before validating the model.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID, uuid4

import orjson
import pytest
from eventsourcing.application import Application
from eventsourcing.cipher import AESCipher
from eventsourcing.compressor import ZlibCompressor
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent
from eventsourcing.utils import Environment, _topic_cache, get_topic, register_topic

from recoverycore.events import Actor, DomainEvent, Role
from recoverycore.persistence import OrjsonTranscoder, PydanticMapper, sqlite_env

NOTE_TOPIC = f"{__name__}:CaseNoteAdded"
"""The one topic every version of the event class is stored under."""

AEST = timezone(timedelta(hours=10))
ACTOR = Actor(staff_id="cm-0042", role=Role.CASE_MANAGER, aps_level="APS5", team="Debt Recovery")


class CaseNoteAddedV1(DomainEvent):
    """The event as first released."""

    TOPIC: ClassVar[str] = NOTE_TOPIC
    text: str


class CaseNoteAddedV2(DomainEvent):
    """Second release: a note has a category (old notes are "general")."""

    TOPIC: ClassVar[str] = NOTE_TOPIC
    class_version: ClassVar[int] = 2
    text: str
    category: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["category"] = "general"


class CaseNoteAddedV3(DomainEvent):
    """Third release: ``text`` renamed ``body``; notes are hidden from the customer unless said."""

    TOPIC: ClassVar[str] = NOTE_TOPIC
    class_version: ClassVar[int] = 3
    body: str
    category: str
    visible_to_customer: bool

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["category"] = "general"

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["body"] = state.pop("text")
        state["visible_to_customer"] = False


CaseNoteAdded = CaseNoteAddedV1
"""What ``NOTE_TOPIC`` resolves to unless a test deploys another version."""


@contextmanager
def deployed(event_class: type[DomainEvent]) -> Iterator[None]:
    """Run as if ``event_class`` were the code behind ``NOTE_TOPIC``.

    eventsourcing caches which class a topic resolves to; the swap replaces only this
    module's topic in that cache (``register_topic`` refuses to rebind a topic).
    """
    _topic_cache.pop(NOTE_TOPIC, None)
    register_topic(NOTE_TOPIC, event_class)
    try:
        yield
    finally:
        _topic_cache.pop(NOTE_TOPIC, None)


@pytest.fixture(autouse=True)
def _forget_deployed_class() -> Iterator[None]:
    yield
    _topic_cache.pop(NOTE_TOPIC, None)


def envelope(originator_id: UUID, version: int) -> dict[str, Any]:
    at = datetime(2026, 3, 2, 9, 30, tzinfo=AEST) + timedelta(minutes=version)
    return {
        "originator_id": originator_id,
        "originator_version": version,
        "occurred_at": at,
        "recorded_at": at + timedelta(seconds=5),
        "actor": ACTOR,
        "procedure_ref": "Debt recovery procedure 4.2",
    }


def sqlite_app(path: Path, **extra: str) -> Application[UUID]:
    return Application[UUID](env={**sqlite_env(path), **extra})


def write(path: Path, *events: DomainEvent, **extra: str) -> None:
    app = sqlite_app(path, **extra)
    try:
        app.events.put(events)
    finally:
        app.close()


def read(path: Path, originator_id: UUID, **extra: str) -> list[Any]:
    app = sqlite_app(path, **extra)
    try:
        return list(app.events.get(originator_id))
    finally:
        app.close()


def stored_states(path: Path, originator_id: UUID) -> Sequence[StoredEvent]:
    app = sqlite_app(path)
    try:
        return app.recorder.select_events(originator_id)
    finally:
        app.close()


def test_the_application_store_uses_our_mapper_and_transcoder(tmp_path: Path) -> None:
    app = sqlite_app(tmp_path / "events.db")
    try:
        assert type(app.mapper) is PydanticMapper
        assert type(app.mapper.transcoder) is OrjsonTranscoder
    finally:
        app.close()


def test_records_written_by_v1_are_read_as_v2_with_the_added_field(tmp_path: Path) -> None:
    db, case_id = tmp_path / "events.db", uuid4()
    with deployed(CaseNoteAddedV1):
        assert get_topic(CaseNoteAddedV1) == NOTE_TOPIC
        written = CaseNoteAddedV1(**envelope(case_id, 1), text="Customer rang about the debt")
        write(db, written)

    with deployed(CaseNoteAddedV2):
        (note,) = read(db, case_id)

    assert type(note) is CaseNoteAddedV2
    assert note.text == "Customer rang about the debt"
    assert note.category == "general"
    # The envelope is untouched by upcasting.
    assert note.originator_id == case_id
    assert note.originator_version == 1
    assert note.occurred_at == written.occurred_at
    assert note.actor == ACTOR
    assert note.schema_version == 2


def test_v1_and_v2_records_are_upcast_in_turn_to_v3(tmp_path: Path) -> None:
    db, case_id = tmp_path / "events.db", uuid4()
    with deployed(CaseNoteAddedV1):
        write(db, CaseNoteAddedV1(**envelope(case_id, 1), text="First contact"))
    with deployed(CaseNoteAddedV2):
        write(db, CaseNoteAddedV2(**envelope(case_id, 2), text="Hardship", category="urgent"))

    with deployed(CaseNoteAddedV3):
        first, second = read(db, case_id)
        # Only the newest version is written from now on.
        write(
            db,
            CaseNoteAddedV3(
                **envelope(case_id, 3),
                body="Plan agreed",
                category="plan",
                visible_to_customer=True,
            ),
        )
        third = read(db, case_id)[2]

    assert [type(e) for e in (first, second, third)] == [CaseNoteAddedV3] * 3
    assert (first.body, first.category, first.visible_to_customer) == (
        "First contact",
        "general",
        False,
    )
    # A v2 record only goes through upcast_v2_v3: its category is kept.
    assert (second.body, second.category, second.visible_to_customer) == (
        "Hardship",
        "urgent",
        False,
    )
    assert (third.body, third.category, third.visible_to_customer) == ("Plan agreed", "plan", True)
    assert [e.originator_version for e in (first, second, third)] == [1, 2, 3]


def test_stored_state_names_the_class_version_only_after_the_first(tmp_path: Path) -> None:
    db, case_id = tmp_path / "events.db", uuid4()
    with deployed(CaseNoteAddedV1):
        write(db, CaseNoteAddedV1(**envelope(case_id, 1), text="a"))
    with deployed(CaseNoteAddedV2):
        write(db, CaseNoteAddedV2(**envelope(case_id, 2), text="b", category="c"))

    first, second = stored_states(db, case_id)
    assert first.topic == second.topic == NOTE_TOPIC
    v1_state, v2_state = orjson.loads(first.state), orjson.loads(second.state)
    assert "class_version" not in v1_state
    assert v2_state["class_version"] == 2
    # The position is the record's, not repeated in its state.
    assert "originator_id" not in v1_state
    assert "originator_version" not in v2_state


def test_old_records_are_upcast_when_read_through_cipher_and_compressor(tmp_path: Path) -> None:
    db, case_id = tmp_path / "events.db", uuid4()
    secured = {
        "CIPHER_KEY": AESCipher.create_key(16),
        "COMPRESSOR_TOPIC": get_topic(ZlibCompressor),
    }
    with deployed(CaseNoteAddedV1):
        write(db, CaseNoteAddedV1(**envelope(case_id, 1), text="Confidential"), **secured)

    (stored,) = stored_states(db, case_id)
    assert b"Confidential" not in stored.state

    with deployed(CaseNoteAddedV3):
        (note,) = read(db, case_id, **secured)
        assert (note.body, note.category, note.visible_to_customer) == (
            "Confidential",
            "general",
            False,
        )
        with pytest.raises(MapperDeserialisationError, match=NOTE_TOPIC):
            read(db, case_id)  # without the key


def full_envelope_event() -> CaseNoteAddedV1:
    at = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=AEST)
    return CaseNoteAddedV1(
        originator_id=uuid4(),
        originator_version=7,
        occurred_at=at,
        recorded_at=at.astimezone(UTC) + timedelta(seconds=1),
        actor=ACTOR,
        authority="Delegation 12(3)",
        reasons=("Customer asked for a review", "New evidence"),
        evidence_refs=("DOC-1", "DOC-2"),
        procedure_ref="Debt recovery procedure 4.2",
        rules_applied=("DR-1", "DR-7"),
        correlation_id=uuid4(),
        causation_id=uuid4(),
        text="Note with ünïcödé and \"quotes\" and 'apostrophes' 🐈",
    )


def test_mapper_round_trips_an_event_through_cipher_and_compressor() -> None:
    key = AESCipher.create_key(32)
    cipher = AESCipher(Environment(env={"CIPHER_KEY": key}))
    mapper = PydanticMapper(
        transcoder=OrjsonTranscoder(), cipher=cipher, compressor=ZlibCompressor()
    )
    event = full_envelope_event()

    stored = mapper.to_stored_event(event)
    copy = mapper.to_domain_event(stored)

    assert copy == event
    assert type(copy) is CaseNoteAddedV1
    assert stored.topic == NOTE_TOPIC
    assert b"quotes" not in stored.state
    # Encrypted after compression: decrypt then decompress gives our transcoder's JSON.
    state = orjson.loads(zlib.decompress(cipher.decrypt(stored.state)))
    assert state["text"] == event.text
    assert state["reasons"] == list(event.reasons)


def test_event_store_round_trips_an_event_through_cipher_and_compressor(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    secured = {
        "CIPHER_KEY": AESCipher.create_key(16),
        "COMPRESSOR_TOPIC": get_topic(ZlibCompressor),
    }
    event = full_envelope_event()

    app = sqlite_app(db, **secured)
    try:
        assert isinstance(app.mapper.cipher, AESCipher)
        assert isinstance(app.mapper.compressor, ZlibCompressor)
        app.events.put([event])
    finally:
        app.close()

    assert read(db, event.originator_id, **secured) == [event]


def test_mapper_with_a_wrong_cipher_key_cannot_read() -> None:
    def mapper() -> PydanticMapper:
        env = Environment(env={"CIPHER_KEY": AESCipher.create_key(16)})
        return PydanticMapper(transcoder=OrjsonTranscoder(), cipher=AESCipher(env))

    stored = mapper().to_stored_event(full_envelope_event())
    with pytest.raises(MapperDeserialisationError, match="Failed to deserialise"):
        mapper().to_domain_event(stored)
