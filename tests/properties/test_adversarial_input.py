"""Hostile values fed into real commands on a real SQLite store (issue 12, items 1-4).

Every example builds a command with one hostile value (from the strategies of
:mod:`recoverycore.testing.strategies.adversarial` and from this file's own), either validated
(``model_validate``) or not (``model_copy(update=...)``, as a careless caller could), and hands
it to ``RecoveryApp.handle``. Then exactly one of these holds:

* it is refused with a :class:`~recoverycore.errors.RecoveryCoreError` (never anything untyped),
  and the store is unchanged: no new row in any table, the version where it was;
* it is accepted, and a second application reading the same file gets the very same events
  back (``history``) and replays the plan or case to their version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as label
from hypothesis import strategies as st
from pydantic import ValidationError

from recoverycore import RecoveryApp, SimulatedClock
from recoverycore.aggregates import Command
from recoverycore.cmr import RecordCallbackAgreed
from recoverycore.errors import InvalidCommand, RecoveryCoreError
from recoverycore.events import DomainEvent
from recoverycore.events.cmr import CustomerName, Debt
from recoverycore.events.msp import IncidentRef
from recoverycore.msp import AddMspNote, LinkIncident
from recoverycore.testing import case_builder, msp_builder
from recoverycore.testing.strategies import (
    BIDI_CONTROLS,
    adversarial_text,
    exotic_clean_text,
    extreme_dates,
    extreme_datetimes,
    extreme_decimals,
    oversized_text,
)

NOW = datetime(2199, 6, 1, 12, tzinfo=UTC)
"""Late in the plausible range, so that nearly every plausible time is in the past."""
B = msp_builder(now=NOW)
C = case_builder()

# This file's own hostile text, independent of the shipped strategies: any code point at all
# (surrogates included), and the characters that have broken stores before, in any mixture.
_RAW = st.text(st.characters(codec=None, categories=None), min_size=1, max_size=20)
_KNOWN_BAD = st.lists(
    st.sampled_from(["\x00", "\ud800", "\udfff", "\u202e", "\u2066", "\x85", "\n", "ok", " "]),
    min_size=1,
    max_size=6,
).map("".join)
HOSTILE_TEXT = st.one_of(_RAW, _KNOWN_BAD, adversarial_text(), exotic_clean_text())
HOSTILE_IDS = st.one_of(HOSTILE_TEXT, oversized_text(identifier=True))


@dataclass
class Store:
    path: Path
    app: RecoveryApp
    reader: RecoveryApp

    def rows(self) -> int:
        with sqlite3.connect(self.path) as conn:
            tables = [
                t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            return sum(conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables)


@pytest.fixture(scope="module")
def plan_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("adversarial") / "plans.db"
    with RecoveryApp.sqlite(path, clock=SimulatedClock(NOW)) as app:
        app.handle(B.record())
        app.handle(B.approve())
        with RecoveryApp.sqlite(path) as reader:
            yield Store(path, app, reader)


@pytest.fixture(scope="module")
def case_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("adversarial") / "cases.db"
    with (
        RecoveryApp.sqlite(path, clock=SimulatedClock(C.day(0, 9, 0))) as app,
        RecoveryApp.sqlite(path) as reader,
    ):
        yield Store(path, app, reader)


def built(base: Command, checked: bool, **update: Any) -> Command | None:
    """``base`` with ``update``: validated afresh (``None`` when construction refuses it, which
    must be a ValidationError) or copied without validation."""
    if not checked:
        made: Command = base.model_copy(update=update)
        return made
    try:
        return type(base).model_validate(base.model_dump() | update)
    except ValidationError:
        return None


def recorded_or_refused(store: Store, command: Command, aggregate_id: UUID) -> list[DomainEvent]:
    """Handle ``command``: refused (typed, nothing recorded; returns ``[]``) or accepted (read
    back equal from another application)."""
    before = store.rows()
    version = _version(store.reader, aggregate_id)
    try:
        events: list[DomainEvent] = store.app.handle(command)
    except RecoveryCoreError as refusal:
        assert store.rows() == before
        assert _version(store.reader, aggregate_id) == version
        label(f"refused: {type(refusal).__name__}")
        return []
    label("accepted")
    assert store.rows() > before
    assert store.reader.history(aggregate_id)[-len(events) :] == events
    assert _version(store.reader, aggregate_id) == events[-1].originator_version
    return events


def _version(app: RecoveryApp, aggregate_id: UUID) -> int:
    if not app.exists(aggregate_id):
        return 0
    return len(app.history(aggregate_id))


SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(
    field=st.sampled_from(["text", "reasons", "evidence_refs", "authority"]),
    value=st.one_of(HOSTILE_TEXT, oversized_text()),
    checked=st.booleans(),
)
def test_hostile_text_in_a_note(plan_store: Store, field: str, value: str, checked: bool) -> None:
    update: dict[str, Any] = {field: (value,) if field in {"reasons", "evidence_refs"} else value}
    command = built(B.command(AddMspNote, text="A note."), checked, **update)
    if command is None:
        return
    events = recorded_or_refused(plan_store, command, B.plan_id)
    for event in events:
        stored = event.model_dump_json()
        assert "\\u0000" not in stored


@SETTINGS
@given(field=st.sampled_from(["staff_id", "team"]), value=HOSTILE_IDS, checked=st.booleans())
def test_hostile_staff_ids_and_teams(
    plan_store: Store, field: str, value: str, checked: bool
) -> None:
    actor = B.officer.model_copy(update={field: value})
    if checked:
        try:
            actor = type(actor).model_validate(B.officer.model_dump() | {field: value})
        except ValidationError:
            return
    command = built(B.command(AddMspNote, text="A note."), False, actor=actor)
    assert command is not None
    events = recorded_or_refused(plan_store, command, B.plan_id)
    for event in events:
        recorded = getattr(event.actor, field)
        assert not any(c in recorded for c in BIDI_CONTROLS)
        assert all(c >= " " and not "\x7f" <= c <= "\x9f" for c in recorded)


@SETTINGS
@given(incident_id=HOSTILE_IDS, checked=st.booleans())
def test_hostile_incident_ids(plan_store: Store, incident_id: str, checked: bool) -> None:
    incident = IncidentRef.model_construct(incident_id=incident_id, system="CIMS")
    base = B.command(LinkIncident, incident=IncidentRef(incident_id="CIMS-1", system="CIMS"))
    command = built(base, checked, incident=incident if not checked else incident.model_dump())
    if command is not None:
        recorded_or_refused(plan_store, command, B.plan_id)


@SETTINGS
@given(when=extreme_datetimes(), checked=st.booleans())
def test_extreme_times(plan_store: Store, when: datetime, checked: bool) -> None:
    command = built(B.command(AddMspNote, text="Dated note."), checked, occurred_at=when)
    if command is None:
        return
    events = recorded_or_refused(plan_store, command, B.plan_id)
    if events:
        # The same instant (an imaginary local time, in a daylight-saving gap, never compares
        # equal across zones: PEP 495).
        assert events[0].occurred_at.timestamp() == when.timestamp()


@SETTINGS
@given(
    surname=HOSTILE_TEXT,
    crn=HOSTILE_IDS,
    debt_id=HOSTILE_IDS,
    balance=extreme_decimals(),
    twice=st.booleans(),
    checked=st.booleans(),
)
def test_hostile_allocations(
    case_store: Store,
    surname: str,
    crn: str,
    debt_id: str,
    balance: Any,
    twice: bool,
    checked: bool,
) -> None:
    case_id = uuid4()  # a new case each time (Hypothesis repeats drawn ids)
    debt = Debt.model_construct(**(C.debts[0].model_dump() | {"debt_id": debt_id}))
    debt = debt.model_copy(update={"balance": balance})
    debts = (debt, C.debts[0]) if not twice else (debt, debt)
    customer = CustomerName.model_construct(surname=surname, first_name="Alex")
    base = C.allocate(case_id=case_id)
    if checked:
        update: dict[str, Any] = {
            "crn": crn,
            "customer": customer.model_dump(),
            "debts": tuple(d.model_dump() for d in debts),
        }
    else:
        update = {"crn": crn, "customer": customer, "debts": debts}
    command = built(base, checked, **update)
    if command is not None:
        recorded_or_refused(case_store, command, case_id)


@SETTINGS
@given(callback_on=extreme_dates(), checked=st.booleans())
def test_extreme_dates(case_store: Store, callback_on: date, checked: bool) -> None:
    case_id = uuid4()
    case_store.app.handle(C.allocate(case_id=case_id, crn=f"{case_id.int % 10**9:09d}J"))
    base = C.command(RecordCallbackAgreed, case_id=case_id, callback_on=C.day(1).date())
    command = built(base, checked, callback_on=callback_on)
    if command is not None:
        recorded_or_refused(case_store, command, case_id)


def test_an_invalid_command_names_its_field() -> None:
    with pytest.raises(ValidationError, match="text: contains the control character U\\+0000"):
        B.command(AddMspNote, text="a\x00b")
    assert issubclass(InvalidCommand, RecoveryCoreError)
