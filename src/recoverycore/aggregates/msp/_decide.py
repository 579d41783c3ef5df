"""Which handler decides each MSP command (the typed registry), the plan's lifecycle checks, and
:func:`decide` (the shared skeleton, :func:`~recoverycore.aggregates._decider.decide_with`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from pydantic import AwareDatetime

from recoverycore.aggregates._decider import (
    Command,
    Decision,
    Handlers,
    Handling,
    Lifecycle,
    decide_with,
    time_zone,
)
from recoverycore.aggregates.customer.state import CustomerState
from recoverycore.aggregates.msp._checks import _Ctx
from recoverycore.aggregates.msp._expiry import in_force_on_action_date
from recoverycore.aggregates.msp.commands import MspCommand
from recoverycore.aggregates.msp.state import DEFAULT_CONFIG, MspConfig, MspState
from recoverycore.events.msp import PROCEDURE, MspEvent

C = TypeVar("C", bound=MspCommand)
Handler = Callable[[MspState, C, _Ctx], None]

HANDLERS: Handlers[MspState, _Ctx] = Handlers(PROCEDURE)
"""Every MSP command's handler and procedure step."""


def _handles(command_type: type[C], step: str) -> Callable[[Handler[C]], Handler[C]]:
    return HANDLERS.handles(command_type, step)


def _lifecycle(state: MspState, command: Command, d: Decision, handling: Handling[_Ctx]) -> None:
    d.require(
        not state.is_terminal,
        "MSP-A1",
        f"The MSP is {state.status.lower()} and accepts no further changes.",
        "Record a new MSP if the customer's servicing needs managing again.",
    )
    in_force_on_action_date(state, command, d)


LIFECYCLE: Lifecycle[MspState, _Ctx] = Lifecycle(
    rule_id="MSP-A10", article="An MSP", noun="plan", not_found_kind="plan", check=_lifecycle
)
"""What every MSP command passes first: MSP-A10 (not dated in the future, a new id), the plan
exists, MSP-A1 (a rejected, withdrawn, ended or expired plan accepts nothing more), and MSP-A11
(from its end date on, a plan accepts nothing that needs it in force, expired or not yet)."""


def decide(
    state: MspState | None,
    command: MspCommand,
    *,
    now: AwareDatetime,
    config: MspConfig = DEFAULT_CONFIG,
    internal: bool = False,
    customer: CustomerState | None = None,
) -> list[MspEvent]:
    """The events ``command`` records on the plan, or :class:`RuleViolation` if refused.

    ``internal``: the library's own policies record it (only then may the actor be
    ``SYSTEM``; see the role table, :data:`~recoverycore.aggregates.ROLE_TABLE`)."""
    events = decide_with(
        HANDLERS,
        LIFECYCLE,
        state,
        command,
        aggregate_id=command.plan_id,
        version=state.version if state else 0,
        now=now,
        zone=time_zone(config.time_zone),
        config=config,
        internal=internal,
        context=lambda d: _Ctx(d, config, customer),
    )
    return cast(list[MspEvent], events)
