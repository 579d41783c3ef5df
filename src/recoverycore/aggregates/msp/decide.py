"""The handler registry and :func:`decide`: the checks every MSP command passes first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar, cast

from pydantic import AwareDatetime

from recoverycore.aggregates._decider import Decision, time_zone
from recoverycore.aggregates.msp.commands import MspCommand, RecordMsp
from recoverycore.aggregates.msp.state import DEFAULT_CONFIG, MspConfig, MspState
from recoverycore.errors import AggregateNotFound
from recoverycore.events.msp import PROCEDURE, MspEvent

C = TypeVar("C", bound=MspCommand)
_Handler: TypeAlias = Callable[[Any, Any, Decision, MspConfig], None]
_HANDLERS: dict[type[MspCommand], tuple[str, _Handler]] = {}


def _handles(command_type: type[C], step: str) -> Callable[[_Handler], _Handler]:
    def register(handler: _Handler) -> _Handler:
        _HANDLERS[command_type] = (f"{PROCEDURE} {step}", handler)
        return handler

    return register


def decide(
    state: MspState | None,
    command: MspCommand,
    *,
    now: AwareDatetime,
    config: MspConfig = DEFAULT_CONFIG,
) -> list[MspEvent]:
    """The events ``command`` records on the plan, or :class:`RuleViolation` if refused."""
    step, handler = _HANDLERS[type(command)]
    decision = Decision(
        command,
        command.plan_id,
        state.version if state else 0,
        now,
        step,
        time_zone(config.time_zone),
    )
    decision.require(
        decision.occurred_at <= now,
        "MSP-A10",
        "The action is dated later than the time it is being recorded.",
        "Record the action after it has happened, with the time it happened.",
    )
    if isinstance(command, RecordMsp):
        decision.require(
            state is None,
            "MSP-A10",
            f"An MSP with id {command.plan_id} has already been recorded.",
            "Use a new plan id, or act on the existing plan.",
        )
    else:
        if state is None:
            raise AggregateNotFound(command.plan_id)
        decision.require(
            not state.is_terminal,
            "MSP-A1",
            f"The MSP is {state.status.lower()} and accepts no further changes.",
            "Record a new MSP if the customer's servicing needs managing again.",
        )
    handler(state, command, decision, config)
    return cast(list[MspEvent], decision.events)
