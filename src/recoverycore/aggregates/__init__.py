"""Aggregates: state, commands, and the pure ``decide`` / ``evolve`` functions.

Each aggregate is one :class:`Decider` value: :data:`MSP` (Managed Service Plans,
:mod:`recoverycore.aggregates.msp`) and :data:`CASE` (case managed recovery,
:mod:`recoverycore.aggregates.cmr`). :data:`DECIDERS` maps each one's command base class to it;
:func:`decider_for` finds the Decider of a command, :func:`decider_of_kind` the Decider of an
aggregate type name, and :func:`decider_of_event` the one whose histories hold an event.
"""

from __future__ import annotations

from typing import Any

from recoverycore.aggregates import cmr, msp
from recoverycore.aggregates._decider import (
    Command,
    DecideContext,
    Decider,
    Decision,
    FlagRequest,
    Handlers,
    Handling,
    Lifecycle,
)
from recoverycore.events import DomainEvent
from recoverycore.events.cmr import CaseEvent
from recoverycore.events.msp import MspEvent

__all__ = [
    "CASE",
    "DECIDERS",
    "MSP",
    "AnyDecider",
    "Command",
    "DecideContext",
    "Decider",
    "Decision",
    "FlagRequest",
    "Handlers",
    "Handling",
    "Lifecycle",
    "cmr",
    "decider_for",
    "decider_of_event",
    "decider_of_kind",
    "msp",
]

AnyDecider = Decider[Any, Any, Any, Any]
"""A Decider of any aggregate (what :data:`DECIDERS` holds)."""


def _decide_plan(
    state: msp.MspState | None, command: msp.MspCommand, context: DecideContext[msp.MspConfig]
) -> list[MspEvent]:
    return msp.decide(state, command, now=context.now, config=context.config)


def _plan_flag(state: msp.MspState, request: FlagRequest) -> msp.MspCommand | None:
    if request.flag in state.safety_flags:
        return None
    return msp.RecordVulnerabilityFlag(
        plan_id=request.target_id,
        actor=request.actor,
        flag=request.flag,
        source=request.source,
        causation_id=request.causation_id,
        correlation_id=request.correlation_id,
    )


MSP: Decider[msp.MspState, msp.MspCommand, MspEvent, msp.MspConfig] = Decider(
    kind="ManagedServicePlan",
    noun="plan",
    command_type=msp.MspCommand,
    state_type=msp.MspState,
    event_type=MspEvent,
    config_type=msp.MspConfig,
    id_of=lambda command: command.plan_id,
    decide=_decide_plan,
    evolve=msp.evolve,
    flag_command=_plan_flag,
    flags_in_force=lambda state: tuple(state.safety_flags),
)
"""The Managed Service Plan (procedure 104-07050030) as a Decider."""


def _decide_case(
    state: cmr.CaseState | None, command: cmr.CaseCommand, context: DecideContext[cmr.CaseConfig]
) -> list[CaseEvent]:
    calendar = cmr.ContactCalendar(public_holidays=context.public_holidays)
    return cmr.decide(state, command, now=context.now, config=context.config, calendar=calendar)


def _case_flag(state: cmr.CaseState, request: FlagRequest) -> cmr.CaseCommand | None:
    flag_id = f"SG-{request.causation_id}"
    if any(f.flag_id == flag_id for f in state.flags):
        return None
    return cmr.RecordVulnerabilityFlag(
        case_id=request.target_id,
        actor=request.actor,
        flag_id=flag_id,
        kind=request.flag,
        source=request.source,
        causation_id=request.causation_id,
        correlation_id=request.correlation_id,
    )


CASE: Decider[cmr.CaseState, cmr.CaseCommand, CaseEvent, cmr.CaseConfig] = Decider(
    kind="CaseManagedRecovery",
    noun="case",
    command_type=cmr.CaseCommand,
    state_type=cmr.CaseState,
    event_type=CaseEvent,
    config_type=cmr.CaseConfig,
    id_of=lambda command: command.case_id,
    decide=_decide_case,
    evolve=cmr.evolve,
    flag_command=_case_flag,
    flags_in_force=lambda state: tuple(f.kind for f in state.flags),
    pauses_in_force=lambda state: tuple(state.pauses),
)
"""Case managed debt recovery as a Decider."""

DECIDERS: dict[type[Command], AnyDecider] = {
    msp.MspCommand: MSP,
    cmr.CaseCommand: CASE,
}
"""Every aggregate recoverycore records, by its command base class."""

_BY_KIND: dict[str, AnyDecider] = {d.kind: d for d in DECIDERS.values()}


def decider_for(command: Command) -> AnyDecider:
    """The Decider that decides ``command`` (by the command's base class)."""
    for base in type(command).__mro__:
        decider = DECIDERS.get(base)
        if decider is not None:
            return decider
    raise TypeError(f"{type(command).__name__} is not a command of any recoverycore aggregate")


def decider_of_kind(kind: str) -> AnyDecider | None:
    """The Decider of the aggregate type ``kind`` (``ManagedServicePlan``, ...), if any."""
    return _BY_KIND.get(kind)


def decider_of_event(event: DomainEvent) -> AnyDecider | None:
    """The Decider whose histories hold ``event``, if any."""
    for decider in DECIDERS.values():
        if decider.owns(event):
            return decider
    return None
