"""The Managed Service Plan as a :class:`~recoverycore.aggregates.Decider` value (``MSP``)."""

from __future__ import annotations

from recoverycore.aggregates._decider import DecideContext, Decider, FlagRequest
from recoverycore.aggregates.msp._decide import decide
from recoverycore.aggregates.msp._evolve import evolve
from recoverycore.aggregates.msp.commands import (
    ClearVulnerabilityFlag,
    MspCommand,
    RecordVulnerabilityFlag,
)
from recoverycore.aggregates.msp.state import MspConfig, MspState
from recoverycore.events.msp import MSP_EVENT_TYPES, MspEvent

__all__ = ["MSP"]


def _decide_plan(
    state: MspState | None, command: MspCommand, context: DecideContext[MspConfig]
) -> list[MspEvent]:
    return decide(
        state,
        command,
        now=context.now,
        config=context.config,
        internal=context.internal,
        customer=context.customer,
    )


def _plan_flag(state: MspState, request: FlagRequest) -> MspCommand | None:
    if request.flag in state.safety_flags:
        return None
    return RecordVulnerabilityFlag(
        plan_id=request.target_id,
        actor=request.actor,
        flag=request.flag,
        source=request.source,
        causation_id=request.causation_id,
        correlation_id=request.correlation_id,
    )


def _plan_clear(state: MspState, request: FlagRequest) -> MspCommand | None:
    if request.flag not in state.safety_flags or state.is_terminal:
        return None
    return ClearVulnerabilityFlag(
        plan_id=request.target_id,
        actor=request.actor,
        flag=request.flag,
        reasons=request.reasons,
        causation_id=request.causation_id,
        correlation_id=request.correlation_id,
    )


MSP: Decider[MspState, MspCommand, MspEvent, MspConfig] = Decider(
    kind="ManagedServicePlan",
    noun="plan",
    command_type=MspCommand,
    state_type=MspState,
    event_type=MspEvent,
    event_types=MSP_EVENT_TYPES,
    config_type=MspConfig,
    id_of=lambda command: command.plan_id,
    decide=_decide_plan,
    evolve=evolve,
    flag_command=_plan_flag,
    clear_command=_plan_clear,
    state_topic="recoverycore.aggregates.msp:MspState",  # the topic of every snapshot since 0.1
    flags_in_force=lambda state: tuple(state.safety_flags),
)
"""The Managed Service Plan (procedure 104-07050030) as a Decider."""
