"""Laws of the role table (issue 13, item 7), for any history and any actor an attacker may claim.

* No command is accepted from a role its row refuses, below its APS level, or from ``SYSTEM``
  outside the library's own policies (or for a command the policies do not record).
* Four-eyes holds on every accepted approval: an MSP's approver is not its recorder; a
  garnishee's is not its submitter unless both are the same APS 5 litigation case manager and
  the garnishee is a bank garnishee; a Debt Redress Check's is not who actioned it.
* A refusal on authority grounds is a ``NotAuthorised`` naming the row's rule (or X-A3).

The actors come from this file's own strategy: every role, every APS level (and ``N/A``), staff
ids that are the record's own officers (the recorder, the case manager, the submitter), look-alikes
of them, or any id, the case's team or another.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from recoverycore.aggregates import authority_for, cmr, msp
from recoverycore.aggregates._authority import aps_at_least
from recoverycore.errors import InvalidCommand, NotAuthorised, RuleViolation
from recoverycore.events import Actor, ApsLevel, Role
from recoverycore.testing.strategies import (
    case_commands,
    case_histories,
    commands,
    histories,
)

APS_LEVELS: tuple[ApsLevel, ...] = (
    "APS1",
    "APS2",
    "APS3",
    "APS4",
    "APS5",
    "APS6",
    "EL1",
    "EL2",
    "SES",
    "N/A",
)


def claimed_actors(own_ids: tuple[str, ...], team: str) -> st.SearchStrategy[Actor]:
    """Anyone: any role and level, the record's own officers' ids, look-alikes, or any id."""
    lookalikes = ("cm-3012", "ＣＭ-3012", "CM-3012.", "Ōmura-1", "o'brien-2", "policy:safeguards")
    ids = st.sampled_from(own_ids + lookalikes) | st.from_regex(
        r"[A-Za-z0-9:-]{1,12}", fullmatch=True
    )
    return st.builds(
        Actor,
        staff_id=ids,
        role=st.sampled_from(Role),
        aps_level=st.sampled_from(APS_LEVELS),
        team=st.sampled_from((team, "Another team")),
    )


def _decided(decide: Any) -> tuple[list[Any] | None, RuleViolation | None]:
    try:
        return decide(), None
    except NotAuthorised as refusal:
        return None, refusal
    except (RuleViolation, InvalidCommand):
        # Refused on other grounds (a staff id that is not ASCII is not a staff id at all).
        return None, None


def _check(
    command: Any, state: Any, config: Any, internal: bool, accepted: bool, refusal: Any
) -> None:
    row = authority_for(type(command))
    assert row is not None
    actor = command.actor
    if actor.role == Role.SYSTEM:
        lawful = internal and row.system
    else:
        lawful = actor.role in row.allowed(config) or (
            row.four_eyes is not None and row.four_eyes.alone(state, command)
        )
        if row.min_aps is not None:
            lawful = lawful and aps_at_least(actor.aps_level, row.min_aps)
    if accepted:
        assert lawful, (type(command).__name__, actor)
    if refusal is not None:
        assert refusal.rule_id in {row.rule_id, "X-A2", "X-A3", "MSP-A2"}


@given(data=st.data(), history=histories(max_steps=8), internal=st.booleans())
def test_no_plan_command_is_accepted_from_an_actor_the_table_refuses(
    data: st.DataObject, history: Any, internal: bool
) -> None:
    state: msp.MspState = history.state
    command = data.draw(commands(history.plan_id, now=history.now))
    own = (state.recorder_id, state.approver_id or "dm-1", command.actor.staff_id)
    actor = data.draw(claimed_actors(own, command.actor.team))
    command = command.model_copy(update={"actor": actor})

    events, refusal = _decided(
        lambda: msp.decide(
            state, command, now=history.now, config=history.config, internal=internal
        )
    )

    _check(command, state, history.config, internal, events is not None, refusal)
    if events is not None and isinstance(command, msp.ApproveMsp | msp.RejectMsp):
        assert actor.staff_id != state.recorder_id or not history.config.require_four_eyes


@given(data=st.data(), history=case_histories(max_steps=6), internal=st.booleans())
def test_no_case_command_is_accepted_from_an_actor_the_table_refuses(
    data: st.DataObject, history: Any, internal: bool
) -> None:
    state: cmr.CaseState = history.state
    scenario = history.scenario
    command = data.draw(case_commands(history.case_id, now=history.now))
    submitters = tuple(g.submitted_by for g in state.garnishees if g.submitted_by)
    own = (state.case_manager_id, *submitters, command.actor.staff_id)
    actor = data.draw(claimed_actors(own, state.team))
    command = command.model_copy(update={"actor": actor})

    events, refusal = _decided(
        lambda: cmr.decide(
            state,
            command,
            now=history.now,
            config=scenario.config,
            calendar=scenario.calendar,
            internal=internal,
        )
    )

    row = authority_for(type(command))
    assert row is not None
    _check(command, state, scenario.config, internal, events is not None, refusal)
    if events is None:
        return
    if actor.role != Role.SYSTEM:
        assert actor.role in row.allowed(scenario.config) or isinstance(
            command, cmr.DecideGarnisheeSubmission
        )
    if isinstance(command, cmr.DecideGarnisheeSubmission):
        g = state.garnishee(command.garnishee_id)
        assert g is not None
        if actor.staff_id == g.submitted_by:
            # Only the APS 5 litigation case manager's own bank garnishee, submitted as one.
            assert g.kind == "FI"
            assert actor.role == Role.LITIGATION_CASE_MANAGER
            assert g.submitter is not None
            assert g.submitter.role == Role.LITIGATION_CASE_MANAGER
            assert aps_at_least(g.submitter.aps_level, "APS5")
            assert aps_at_least(actor.aps_level, "APS5")
        else:
            assert actor.role in row.allowed(scenario.config)
    if isinstance(command, cmr.ApproveDebtRedressCheck):
        g = state.garnishee(command.garnishee_id)
        assert g is not None
        assert actor.staff_id != g.redress_actioned_by
