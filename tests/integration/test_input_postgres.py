"""Hostile input on PostgreSQL (issue 12, items 2-4): a NUL byte, controls, surrogates and
bidirectional characters in a staff id, a team or a note are refused with InvalidCommand and
record nothing; exotic but legitimate text is stored and read back exactly, and the views
(audit, compliance) still catch up for everyone afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgserver import PgServer
from recoverycore import ReadModels, RecoveryApp, SimulatedClock
from recoverycore.aggregates import Command
from recoverycore.errors import InvalidCommand, RecoveryCoreError
from recoverycore.events import MAX_TEXT_CHARS
from recoverycore.msp import AddMspNote
from recoverycore.testing import msp_builder
from recoverycore.testing.strategies import adversarial_text, exotic_clean_text

NOW = datetime(2030, 6, 3, 1, tzinfo=UTC)
B = msp_builder(now=NOW)


@dataclass
class PgStore:
    server: PgServer
    database: str
    env: dict[str, str]
    app: RecoveryApp

    def rows(self) -> int:
        with self.server.connect(self.database) as conn:
            tables = conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            ).fetchall()
            return sum(
                conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # type: ignore[index]
                for (table,) in tables
            )


@pytest.fixture
def store(pg_server: PgServer, pg_database: str) -> Iterator[PgStore]:
    env = pg_server.env(pg_database)
    with RecoveryApp(env=env, clock=SimulatedClock(NOW)) as app:
        app.handle(B.record())
        app.handle(B.approve())
        yield PgStore(pg_server, pg_database, env, app)


def note(**update: Any) -> Command:
    made: Command = B.command(AddMspNote, text="A note.").model_copy(update=update)
    return made


HOSTILE = [
    ("actor.staff_id", {"actor": B.officer.model_copy(update={"staff_id": "omc-1\x00"})}),
    ("actor.team", {"actor": B.officer.model_copy(update={"team": "Parramatta\x00"})}),
    ("actor.staff_id", {"actor": B.officer.model_copy(update={"staff_id": "\u202eomc-1"})}),
    ("actor.staff_id", {"actor": B.officer.model_copy(update={"staff_id": "omc\ud800"})}),
    ("text", {"text": "Called\x00back"}),
    ("text", {"text": "x" * 10_000_000}),
    ("reasons[0]", {"reasons": ("\x1b[2J",)}),
]


@pytest.mark.parametrize(("field", "update"), HOSTILE, ids=[f for f, _ in HOSTILE])
def test_hostile_values_are_refused_and_the_views_carry_on(
    store: PgStore, field: str, update: dict[str, Any]
) -> None:
    before = store.rows()
    with pytest.raises(InvalidCommand) as refusal:
        store.app.handle(note(**update))
    assert refusal.value.field == field
    assert store.rows() == before
    (event,) = store.app.handle(note(text="Recorded after the refusal."))
    with ReadModels(store.env) as views:
        views.catch_up()
        entries = views.audit(B.plan_id).entries
        assert entries[-1].version == event.originator_version
    assert store.app.plan(B.plan_id).version == event.originator_version


def test_exotic_text_is_stored_and_read_back_exactly(store: PgStore) -> None:
    texts = [
        "Tab\there,\nnew line,\r\nCRLF",
        "שלום \u2067مرحبا\u2069 中文 😀 👩\u200d👩\u200d👧 e\u0301",
        "'; DROP TABLE recoverycore_events; -- \\ \" %s {}",
        "\ufffd\ufffe\uffff\ue000",
        "y" * MAX_TEXT_CHARS,
    ]
    recorded = [store.app.handle(note(text=text))[0] for text in texts]
    with RecoveryApp(env=store.env) as reader:
        assert reader.history(B.plan_id)[-len(texts) :] == recorded
        assert [e.payload()["text"] for e in recorded] == texts
    with ReadModels(store.env) as views:
        views.catch_up()


@settings(
    max_examples=30,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    field=st.sampled_from(["text", "staff_id", "team"]),
    value=st.one_of(adversarial_text(), exotic_clean_text()),
)
def test_any_text_is_refused_typed_or_read_back_equal(
    store: PgStore, field: str, value: str
) -> None:
    if field == "text":
        command = note(text=value)
    else:
        command = note(actor=B.officer.model_copy(update={field: value}))
    before = store.rows()
    try:
        events = store.app.handle(command)
    except RecoveryCoreError:
        assert store.rows() == before
        return
    with RecoveryApp(env=store.env) as reader:
        assert reader.history(B.plan_id)[-len(events) :] == events
