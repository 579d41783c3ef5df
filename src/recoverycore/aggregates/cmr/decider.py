"""Case managed debt recovery as a :class:`~recoverycore.aggregates.Decider` value (``CASE``)."""

from __future__ import annotations

from recoverycore.aggregates._decider import DecideContext, Decider, FlagRequest
from recoverycore.aggregates.cmr._decide import decide
from recoverycore.aggregates.cmr._evolve import evolve
from recoverycore.aggregates.cmr.commands import (
    CaseCommand,
    ClearVulnerabilityFlag,
    RecordVulnerabilityFlag,
)
from recoverycore.aggregates.cmr.state import CaseConfig, CaseState, ContactCalendar
from recoverycore.events.cmr import CASE_EVENT_TYPES, CaseEvent

__all__ = ["CASE"]


def _decide_case(
    state: CaseState | None, command: CaseCommand, context: DecideContext[CaseConfig]
) -> list[CaseEvent]:
    calendar = ContactCalendar(public_holidays=context.public_holidays)
    return decide(
        state,
        command,
        now=context.now,
        config=context.config,
        calendar=calendar,
        customer=context.customer,
        related=context.related,
        internal=context.internal,
    )


def _case_flag(state: CaseState, request: FlagRequest) -> CaseCommand | None:
    flag_id = request.flag_id or f"SG-{request.causation_id}"
    if any(f.flag_id == flag_id for f in state.flags):
        return None
    return RecordVulnerabilityFlag(
        case_id=request.target_id,
        actor=request.actor,
        flag_id=flag_id,
        kind=request.flag,
        source=request.source,
        causation_id=request.causation_id,
        correlation_id=request.correlation_id,
    )


def _case_clear(state: CaseState, request: FlagRequest) -> CaseCommand | None:
    if all(f.flag_id != request.flag_id for f in state.flags) or state.is_terminal:
        return None
    return ClearVulnerabilityFlag(
        case_id=request.target_id,
        actor=request.actor,
        flag_id=request.flag_id,
        reasons=request.reasons,
        causation_id=request.causation_id,
        correlation_id=request.correlation_id,
    )


CASE: Decider[CaseState, CaseCommand, CaseEvent, CaseConfig] = Decider(
    kind="CaseManagedRecovery",
    noun="case",
    command_type=CaseCommand,
    state_type=CaseState,
    event_type=CaseEvent,
    event_types=CASE_EVENT_TYPES,
    config_type=CaseConfig,
    id_of=lambda command: command.case_id,
    decide=_decide_case,
    evolve=evolve,
    flag_command=_case_flag,
    clear_command=_case_clear,
    state_topic="recoverycore.aggregates.cmr:CaseState",  # the topic of every snapshot since 0.1
    flags_in_force=lambda state: tuple(f.kind for f in state.flags),
    pauses_in_force=lambda state: tuple(state.pauses),
)
"""Case managed debt recovery as a Decider."""
