"""The laws every aggregate meets, checked for each Decider in ``aggregates.DECIDERS``.

Replay determinism, rejection leaves no trace, evolve is total and the round trip through the
stored form hold for the plan and the case alike: a new aggregate registered in ``DECIDERS``
is held to them as soon as it brings a :class:`Kit` (the test of the kits fails until it does).
Generated histories come from the public kit (:mod:`recoverycore.testing.strategies`); the
number of examples comes from the settings profile (``tests/conftest.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from recoverycore import RecoveryApp, RuleViolation, SimulatedClock
from recoverycore.aggregates import CASE, CUSTOMER, DECIDERS, MSP, AnyDecider, Command, decider_for
from recoverycore.events import DomainEvent, Snapshot
from recoverycore.persistence import OrjsonTranscoder, PydanticMapper
from recoverycore.testing import given_for
from recoverycore.testing.strategies import (
    case_commands,
    case_histories,
    commands,
    customer_commands,
    customer_histories,
    events_of_type,
    histories,
)


@dataclass(frozen=True)
class Recorded:
    """A generated legal history: the aggregate's id, its events, and when it was last decided."""

    aggregate_id: UUID
    events: tuple[DomainEvent, ...]
    now: datetime


@dataclass(frozen=True)
class Kit:
    """What the laws need of an aggregate's test kit: legal histories, and any next command."""

    histories: SearchStrategy[Recorded]
    next_commands: Callable[[UUID, datetime], SearchStrategy[Any]]


KITS: dict[AnyDecider, Kit] = {
    MSP: Kit(
        histories(max_steps=12).map(lambda h: Recorded(h.plan_id, h.events, h.now)),
        lambda plan_id, now: commands(plan_id, now=now),
    ),
    CASE: Kit(
        case_histories(max_steps=4).map(lambda h: Recorded(h.case_id, h.events, h.now)),
        lambda case_id, now: case_commands(case_id, now=now),
    ),
    CUSTOMER: Kit(
        customer_histories().map(lambda h: Recorded(h.customer_id, h.events, h.now)),
        lambda _customer_id, _now: customer_commands(),
    ),
}
MAPPER = PydanticMapper(transcoder=OrjsonTranscoder())
EVERY_DECIDER = pytest.mark.parametrize("decider", list(DECIDERS.values()), ids=lambda d: d.kind)


def history_and_next(decider: AnyDecider) -> SearchStrategy[tuple[Recorded, Any]]:
    kit = KITS[decider]
    return kit.histories.flatmap(
        lambda h: st.tuples(
            st.just(h), kit.next_commands(h.aggregate_id, h.now + timedelta(hours=1))
        )
    )


def outcome(decide: Callable[[], Sequence[DomainEvent]]) -> list[DomainEvent] | RuleViolation:
    """What deciding gives: the events, or the refusal."""
    try:
        return list(decide())
    except RuleViolation as refusal:
        return refusal


def recorded_in_an_app(history: Recorded, now: datetime) -> RecoveryApp:
    app = RecoveryApp.in_memory(clock=SimulatedClock(now))
    app.save(*history.events)
    return app


def test_every_decider_has_a_kit_for_the_laws() -> None:
    assert set(KITS) == set(DECIDERS.values())


@EVERY_DECIDER
def test_every_decider_names_its_command_base_and_its_events(decider: AnyDecider) -> None:
    assert DECIDERS[decider.command_type] is decider
    assert decider.event_types, "a Decider lists its event types"
    assert all(issubclass(t, decider.event_type) for t in decider.event_types)
    assert decider.initial_state is None
    assert decider.fold([]) is None, "every history starts from nothing"


@EVERY_DECIDER
def test_replaying_the_stored_history_gives_the_live_state(decider: AnyDecider) -> None:
    @given(history=KITS[decider].histories)
    def law(history: Recorded) -> None:
        live = None
        for event in history.events:
            live = decider.evolve(live, event)
        assert live == decider.fold(history.events)
        app = recorded_in_an_app(history, history.now)
        assert app.state(decider, history.aggregate_id) == live
        assert app.state_or_none(decider, history.aggregate_id) == live
        assert Snapshot.take(live).mutate() == live
        others = [d for d in DECIDERS.values() if d is not decider]
        assert all(app.state_or_none(d, history.aggregate_id) is None for d in others)

    law()


@EVERY_DECIDER
def test_a_refused_command_records_nothing_and_an_accepted_one_replays(
    decider: AnyDecider,
) -> None:
    @given(drawn=history_and_next(decider))
    def law(drawn: tuple[Recorded, Command]) -> None:
        history, command = drawn
        assert decider_for(command) is decider
        app = recorded_in_an_app(history, history.now + timedelta(hours=1))
        before = app.state(decider, history.aggregate_id)
        events = outcome(lambda: app.handle(command))
        if isinstance(events, RuleViolation):
            assert events.rule_id
            assert events.reason.strip()
            assert events.remedy.strip()
            assert len(app.history(history.aggregate_id)) == len(history.events)
            assert app.state(decider, history.aggregate_id) == before
            return
        stored = app.history(history.aggregate_id)
        assert stored[len(history.events) :] == events
        assert app.state(decider, history.aggregate_id) == decider.fold(stored)

    law()


@EVERY_DECIDER
def test_the_pure_decision_and_the_application_agree(decider: AnyDecider) -> None:
    @given(drawn=history_and_next(decider))
    def law(drawn: tuple[Recorded, Command]) -> None:
        history, command = drawn
        now = history.now + timedelta(hours=1)
        scenario = given_for(decider, history.events, now=now)
        app = RecoveryApp.in_memory(
            clock=SimulatedClock(now), public_holidays=lambda _: frozenset()
        )
        app.save(*history.events)
        expected = outcome(lambda: scenario.when(command))
        got = outcome(lambda: app.handle(command))
        if isinstance(expected, RuleViolation):
            assert isinstance(got, RuleViolation)
            assert got.rule_id == expected.rule_id
        else:
            assert got == expected

    law()


@EVERY_DECIDER
def test_evolve_is_total_over_every_event_type(decider: AnyDecider) -> None:
    @given(
        history=KITS[decider].histories,
        event=st.sampled_from(decider.event_types).flatmap(events_of_type),
    )
    def law(history: Recorded, event: DomainEvent) -> None:
        state = decider.fold(history.events)
        evolved = decider.evolve(state, event)
        assert isinstance(evolved, decider.state_type)
        assert evolved.version == event.originator_version

    law()


@EVERY_DECIDER
def test_every_event_type_survives_the_stored_form_unchanged(decider: AnyDecider) -> None:
    @given(event=st.sampled_from(decider.event_types).flatmap(events_of_type))
    def law(event: DomainEvent) -> None:
        assert MAPPER.to_domain_event(MAPPER.to_stored_event(event)) == event

    law()
