"""Which handler decides each case command (the registry), and :func:`decide`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias, cast

from pydantic import AwareDatetime

from recoverycore.aggregates._decider import Decision, time_zone
from recoverycore.aggregates.cmr._checks import _assigned, _Ctx
from recoverycore.aggregates.cmr.commands import (
    AllocateCase,
    ArchiveCase,
    CaseCommand,
    ClearVulnerabilityFlag,
    RecordVulnerabilityFlag,
)
from recoverycore.aggregates.cmr.state import (
    DEFAULT_CONFIG,
    NO_HOLIDAYS,
    CaseConfig,
    CaseState,
    ContactCalendar,
)
from recoverycore.errors import AggregateNotFound
from recoverycore.events.cmr import PROCEDURE, CaseEvent

_Handler: TypeAlias = Callable[[Any, Any, _Ctx], None]
# command type -> (procedure step, handler, whether CMR-R1's case-team check applies)
_HANDLERS: dict[type[CaseCommand], tuple[str, _Handler, bool]] = {}
_CLOSING_COMMANDS: set[type[CaseCommand]] = set()


def _handles(
    command_type: type[CaseCommand], step: str, *, case_team: bool = True, closing: bool = False
) -> Callable[[_Handler], _Handler]:
    def register(handler: _Handler) -> _Handler:
        _HANDLERS[command_type] = (f"{PROCEDURE} {step}", handler, case_team)
        if closing:
            _CLOSING_COMMANDS.add(command_type)
        return handler

    return register


def decide(
    state: CaseState | None,
    command: CaseCommand,
    *,
    now: AwareDatetime,
    config: CaseConfig = DEFAULT_CONFIG,
    calendar: ContactCalendar = NO_HOLIDAYS,
) -> list[CaseEvent]:
    """The events ``command`` records on the case, or :class:`RuleViolation` if refused."""
    step, handler, case_team = _HANDLERS[type(command)]
    d = Decision(
        command,
        command.case_id,
        state.version if state else 0,
        now,
        step,
        time_zone(config.time_zone),
    )
    d.require(
        d.occurred_at <= now,
        "CMR-A2",
        "The action is dated later than the time it is being recorded.",
        "Record the action after it has happened, with the time it happened.",
    )
    if isinstance(command, AllocateCase):
        d.require(
            state is None,
            "CMR-A2",
            f"A case with id {command.case_id} has already been recorded.",
            "Use a new case id, or act on the existing case.",
        )
    else:
        if state is None:
            raise AggregateNotFound(command.case_id, kind="case")
        archiving = isinstance(command, ArchiveCase) and state.status == "CLOSED"
        d.require(
            not state.is_terminal or archiving,
            "CMR-A1",
            f"The case is {state.status.lower()} and accepts no further changes.",
            "Allocate a new case if the customer needs case managed recovery again.",
        )
        d.require(
            (state.status == "CLOSING") == (type(command) in _CLOSING_COMMANDS)
            or isinstance(command, (RecordVulnerabilityFlag, ClearVulnerabilityFlag))
            or archiving,
            "CMR-A1",
            "The case is being closed: only the Table 5 closing steps can be recorded."
            if state.status == "CLOSING"
            else "This closing step can only be recorded once the case closure has started.",
            "Complete the closing steps, then complete the closure."
            if state.status == "CLOSING"
            else "Start the closure (CloseCase) first.",
        )
        if case_team:
            _assigned(d, state)
    handler(state, command, _Ctx(d, config, calendar))
    return cast(list[CaseEvent], d.events)
