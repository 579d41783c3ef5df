"""Which handler decides each case command (the typed registry), the case's lifecycle checks,
and :func:`decide` (the shared skeleton, :func:`~recoverycore.aggregates._decider.decide_with`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar, cast
from uuid import UUID

from pydantic import AwareDatetime, BaseModel

from recoverycore.aggregates._decider import (
    Command,
    Decision,
    Handlers,
    Handling,
    Lifecycle,
    decide_with,
    time_zone,
)
from recoverycore.aggregates.cmr._checks import _assigned, _Ctx
from recoverycore.aggregates.cmr.commands import (
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
from recoverycore.aggregates.customer.state import CustomerState
from recoverycore.events.cmr import PROCEDURE, CaseEvent

CC = TypeVar("CC", bound=CaseCommand)
Handler = Callable[[CaseState, CC, _Ctx], None]

HANDLERS: Handlers[CaseState, _Ctx] = Handlers(PROCEDURE)
"""Every case command's handler and procedure step."""

CLOSING = "closing"
"""Tag: a Table 5 closing step (recorded only while the case is closing)."""
ANY_TEAM = "any_team"
"""Tag: recorded by someone outside the case team (CMR-R1 does not apply: a leader's decision,
a social worker's flag)."""


def _handles(
    command_type: type[CC], step: str, *, case_team: bool = True, closing: bool = False
) -> Callable[[Handler[CC]], Handler[CC]]:
    tags = ({CLOSING} if closing else set()) | (set() if case_team else {ANY_TEAM})
    return HANDLERS.handles(command_type, step, tags=tags)


def _lifecycle(state: CaseState, command: Command, d: Decision, handling: Handling[_Ctx]) -> None:
    archiving = isinstance(command, ArchiveCase) and state.status == "CLOSED"
    d.require(
        not state.is_terminal or archiving,
        "CMR-A1",
        f"The case is {state.status.lower()} and accepts no further changes.",
        "Allocate a new case if the customer needs case managed recovery again.",
    )
    d.require(
        (state.status == "CLOSING") == (CLOSING in handling.tags)
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
    if ANY_TEAM not in handling.tags:
        _assigned(d, state)


LIFECYCLE: Lifecycle[CaseState, _Ctx] = Lifecycle(
    rule_id="CMR-A2", article="A case", noun="case", not_found_kind="case", check=_lifecycle
)
"""What every case command passes first: CMR-A2 (not dated in the future, a new id), the case
exists, CMR-A1 (not closed; closing steps only while closing) and CMR-R1 (the case team)."""


def decide(
    state: CaseState | None,
    command: CaseCommand,
    *,
    now: AwareDatetime,
    config: CaseConfig = DEFAULT_CONFIG,
    calendar: ContactCalendar = NO_HOLIDAYS,
    customer: CustomerState | None = None,
    related: Mapping[UUID, BaseModel] | None = None,
    internal: bool = False,
) -> list[CaseEvent]:
    """The events ``command`` records on the case, or :class:`RuleViolation` if refused.

    ``internal``: the library's own policies record it (only then may the actor be
    ``SYSTEM``; see the role table, :data:`~recoverycore.aggregates.ROLE_TABLE`)."""
    events = decide_with(
        HANDLERS,
        LIFECYCLE,
        state,
        command,
        aggregate_id=command.case_id,
        version=state.version if state else 0,
        now=now,
        zone=time_zone(config.time_zone),
        config=config,
        internal=internal,
        context=lambda d: _Ctx(d, config, calendar, customer, related),
    )
    return cast(list[CaseEvent], events)
