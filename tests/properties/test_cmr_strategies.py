"""The case's Hypothesis kit (:mod:`recoverycore.testing.strategies`) gives what it promises.

``case_commands`` draws case commands for the case and time asked for; ``case_histories`` draws
legal histories that replay to the state they claim; and a command drawn for a history is either
accepted (its events fold onto the state) or refused by a named rule, recording nothing. The
number of examples comes from the profile loaded in ``tests/conftest.py``.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from recoverycore.aggregates import cmr
from recoverycore.errors import RuleViolation
from recoverycore.events.cmr import CASE_EVENT_TYPES, CaseEvent
from recoverycore.testing import EPOCH
from recoverycore.testing.strategies import (
    CASE_COMMAND_TYPES,
    CASE_PATHS,
    CaseHistory,
    case_commands,
    case_histories,
    events_of_type,
)

CASE = UUID("00000000-0000-4000-8000-00000000c0de")


@given(data=st.data(), minutes=st.integers(0, 60 * 24 * 400))
def test_every_drawn_case_command_is_a_case_command_for_the_case_asked_for(
    data: st.DataObject, minutes: int
) -> None:
    now = EPOCH + timedelta(minutes=minutes)
    command = data.draw(case_commands(CASE, now=now))
    assert isinstance(command, cmr.CaseCommand)
    assert type(command) in CASE_COMMAND_TYPES
    assert command.case_id == CASE
    assert command.occurred_at is None or command.occurred_at <= now


@given(data=st.data(), types=st.sets(st.sampled_from(CASE_COMMAND_TYPES), min_size=1))
def test_case_commands_draws_only_the_types_asked_for(
    data: st.DataObject, types: set[type[cmr.CaseCommand]]
) -> None:
    command = data.draw(case_commands(CASE, command_types=sorted(types, key=str)))
    assert type(command) in types


def test_case_commands_cover_every_case_command_type() -> None:
    public = {getattr(cmr, name) for name in cmr.__all__}
    commands = {c for c in public if isinstance(c, type) and issubclass(c, cmr.CaseCommand)}
    assert set(CASE_COMMAND_TYPES) == commands - {cmr.CaseCommand}


@given(history=case_histories())
def test_every_generated_case_history_replays_to_its_state(history: CaseHistory) -> None:
    state = cmr.fold(history.events)
    assert state is not None
    assert state == history.state
    assert state.id == history.case_id
    assert [e.originator_version for e in history.events] == list(range(1, len(history.events) + 1))
    assert all(e.originator_id == history.case_id for e in history.events)
    assert history.path in CASE_PATHS
    tail = [e for step in history.steps for e in step.events]
    assert list(history.events[len(history.events) - len(tail) :]) == tail
    assert all(
        earlier.at <= later.at
        for earlier, later in zip(history.steps, history.steps[1:], strict=False)
    )


@given(history=case_histories(case_id=CASE, paths=("onboarded", "closed"), max_steps=3))
def test_case_histories_keep_the_case_id_and_paths_asked_for(history: CaseHistory) -> None:
    assert history.case_id == CASE
    assert history.path in ("onboarded", "closed")
    assert history.state.id == CASE


@given(history=case_histories(), data=st.data())
def test_a_drawn_command_is_accepted_and_folds_or_is_refused_by_a_named_rule_recording_nothing(
    history: CaseHistory, data: st.DataObject
) -> None:
    now = history.now + timedelta(minutes=data.draw(st.integers(1, 60 * 24 * 30)))
    scenario = history.scenario.at(now)
    command = data.draw(case_commands(history.case_id, now=now))
    refusal: RuleViolation | None = None
    try:
        events = scenario.when(command)
    except RuleViolation as refused:
        refusal = refused
    if refusal is not None:
        assert refusal.rule_id
        assert refusal.reason.strip()
        assert refusal.remedy.strip()
        assert scenario.state == history.state
        return
    assert events
    folded = cmr.fold(events, history.state)
    assert folded is not None
    assert folded == cmr.fold((*history.events, *events))


@given(data=st.data(), event_type=st.sampled_from(CASE_EVENT_TYPES))
def test_events_of_type_draws_case_events_too(
    data: st.DataObject, event_type: type[CaseEvent]
) -> None:
    event = data.draw(events_of_type(event_type))
    assert type(event) is event_type
