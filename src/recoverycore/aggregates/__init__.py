"""Aggregates: state, commands, and the pure ``decide`` / ``evolve`` functions.

Each aggregate is one :class:`Decider` value: :data:`MSP` (Managed Service Plans,
:mod:`recoverycore.aggregates.msp`), :data:`CASE` (case managed recovery,
:mod:`recoverycore.aggregates.cmr`) and :data:`CUSTOMER` (the customer record,
:mod:`recoverycore.aggregates.customer`: what belongs to the person across every plan and
case). :data:`DECIDERS` maps each one's command base class to it; :func:`decider_for` finds the
Decider of a command, :func:`decider_of_kind` the Decider of an aggregate type name, and
:func:`decider_of_event` the one whose histories hold an event.
:data:`ROLE_TABLE` says who may record each command (the shared decide skeleton checks it
before every handler).
"""

from __future__ import annotations

from typing import Any

from recoverycore.aggregates import cmr, customer, msp
from recoverycore.aggregates._authority import (
    ROLE_TABLE,
    Authority,
    FourEyes,
    RoleRow,
    authority_for,
    authorize,
    role_rows,
)
from recoverycore.aggregates._decider import (
    Command,
    DecideContext,
    Decider,
    Decision,
    Evolvers,
    FlagRequest,
    Handlers,
    Handling,
    Lifecycle,
    decide_with,
    replay,
    time_zone,
)
from recoverycore.aggregates._input import admit, check_command, invalid_command
from recoverycore.aggregates.cmr import CASE
from recoverycore.aggregates.customer import CUSTOMER
from recoverycore.aggregates.msp import MSP
from recoverycore.errors import UnknownCommand
from recoverycore.events import DomainEvent

__all__ = [
    "CASE",
    "CUSTOMER",
    "DECIDERS",
    "MSP",
    "ROLE_TABLE",
    "AnyDecider",
    "Authority",
    "Command",
    "DecideContext",
    "Decider",
    "Decision",
    "Evolvers",
    "FlagRequest",
    "FourEyes",
    "Handlers",
    "Handling",
    "Lifecycle",
    "RoleRow",
    "admit",
    "authority_for",
    "authorize",
    "check_command",
    "cmr",
    "customer",
    "decide_with",
    "decider_for",
    "decider_of_event",
    "decider_of_kind",
    "invalid_command",
    "msp",
    "replay",
    "role_rows",
    "time_zone",
]

AnyDecider = Decider[Any, Any, Any, Any]
"""A Decider of any aggregate (what :data:`DECIDERS` holds)."""

DECIDERS: dict[type[Command], AnyDecider] = {
    msp.MspCommand: MSP,
    cmr.CaseCommand: CASE,
    customer.CustomerCommand: CUSTOMER,
}
"""Every aggregate recoverycore records, by its command base class."""


def decider_for(command: Command) -> AnyDecider:
    """The Decider that decides ``command`` (by the command's base class)."""
    for base in type(command).__mro__:
        decider = DECIDERS.get(base)
        if decider is not None:
            return decider
    raise UnknownCommand(type(command).__name__)


def decider_of_kind(kind: str) -> AnyDecider | None:
    """The Decider of the aggregate type ``kind`` (``ManagedServicePlan``, ...), if any."""
    return next((d for d in DECIDERS.values() if d.kind == kind), None)


def decider_of_event(event: DomainEvent) -> AnyDecider | None:
    """The Decider whose histories hold ``event``, if any."""
    for decider in DECIDERS.values():
        if decider.owns(event):
            return decider
    return None
