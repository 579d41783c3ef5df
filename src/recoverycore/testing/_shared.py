"""What the test kits of both aggregates share: the default 'now', officers, and the two
assertions every rule test makes (a command refused by its rule, or accepted naming it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from recoverycore.aggregates import Command, decider_for
from recoverycore.errors import RuleViolation
from recoverycore.events import Actor, ApsLevel, DomainEvent, Role

__all__ = ["EPOCH", "assert_accepted", "assert_refused", "staff"]

EPOCH = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Australia/Sydney"))
"""The default 'now' of scenarios of both aggregates: Monday 2 March 2026, 9 am in Sydney."""

_C_contra = TypeVar("_C_contra", bound=Command, contravariant=True)
_E_co = TypeVar("_E_co", bound=DomainEvent, covariant=True)
_C = TypeVar("_C", bound=Command)
_E = TypeVar("_E", bound=DomainEvent)


class Deciding(Protocol[_C_contra, _E_co]):
    """A history a command can be decided against: :class:`~recoverycore.testing.Scenario` (a
    plan) or :class:`~recoverycore.testing.CaseScenario` (a case)."""

    @property
    def state(self) -> object: ...

    def when(self, command: _C_contra) -> Sequence[_E_co]: ...


def staff(
    role: Role,
    staff_id: str | None = None,
    aps_level: ApsLevel = "APS5",
    team: str = "Parramatta Service Centre",
) -> Actor:
    """An officer acting in ``role`` in ``team`` (the id defaults to one per role)."""
    return Actor(
        staff_id=staff_id or f"{role.value.lower()}-1",
        role=role,
        aps_level=aps_level,
        team=team,
    )


def _names(events: Sequence[DomainEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


def _aggregate_id(command: Command) -> object:
    return decider_for(command).id_of(command)


def assert_refused(scenario: Deciding[_C, _E], command: _C, rule_id: str) -> RuleViolation:
    """Assert that ``command`` is refused by ``rule_id``, with words an officer can act on
    (what is wrong, what to do instead), and that nothing is recorded; return the refusal."""
    before = scenario.state
    try:
        events = scenario.when(command)
    except RuleViolation as refusal:
        error = refusal
    else:
        raise AssertionError(
            f"{type(command).__name__} was accepted, recording {_names(events)}; "
            f"expected a refusal by {rule_id}"
        )
    assert error.rule_id == rule_id, str(error)
    assert error.reason.strip(), "a refusal says what is wrong"
    assert error.remedy.strip(), "a refusal says what to do instead"
    assert scenario.state == before, "a refusal records nothing"
    return error


def assert_accepted(scenario: Deciding[_C, _E], command: _C, *rules: str) -> list[_E]:
    """Assert that ``command`` is accepted and records something on its own aggregate, each
    event naming at least ``rules`` as checked; return the events it records."""
    events = list(scenario.when(command))
    assert events, "an accepted command records something"
    aggregate_id = _aggregate_id(command)
    for event in events:
        missing = set(rules) - set(event.rules_applied)
        assert not missing, f"{type(event).__name__} does not list {sorted(missing)}"
        assert event.originator_id == aggregate_id, f"{type(event).__name__} is on another record"
    return events
