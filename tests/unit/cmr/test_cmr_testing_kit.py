"""The case testing kit the rule tests rely on: ``given_case``, scenarios and the builder.

The helpers and histories are in ``cmr_support.py``; see its docstring for the timeline.
"""

from __future__ import annotations

import pytest
from cmr_support import B, at, onboarded

from recoverycore.aggregates import cmr
from recoverycore.testing import CaseScenario, case_builder, given_case


# == the testing helpers ==========================================================================
def test_given_case_flattens_events_and_lists_of_events() -> None:
    events = B.onboarded().events

    scenario = given_case(events[0], events[1:], now=at(0, 11))
    assert scenario.events == events
    assert scenario.state == B.onboarded().state
    assert scenario.now == at(0, 11)
    assert given_case().state is None


def test_a_scenario_refusal_is_returned_and_an_acceptance_is_an_error() -> None:
    assert onboarded().refused(B.create_doa_doc()).rule_id == "CMR-A1"
    with pytest.raises(AssertionError, match="was accepted"):
        onboarded().refused(B.capacity_review())


def test_the_builder_makes_any_command_for_its_case_by_the_case_manager() -> None:
    command = B.command(cmr.ExcludeFromHardshipSms, reasons=("Under recovery action.",))

    assert (command.case_id, command.actor, command.reasons) == (
        B.case_id,
        B.case_manager,
        ("Under recovery action.",),
    )


def test_a_case_history_starts_with_its_allocation() -> None:
    [doa] = B.allocated().when(B.create_doa_doc())

    with pytest.raises(ValueError, match="cannot start a case history"):
        cmr.evolve(None, doa)


def test_the_builders_histories_replay_to_the_states_they_describe() -> None:
    histories: dict[str, tuple[CaseScenario, str, str]] = {
        "onboarded": (B.onboarded(), "OPEN", "ENGAGEMENT"),
        "refused": (B.refused_after_q190(), "OPEN", "INVESTIGATION"),
        "arranged": (B.arranged(), "OPEN", "IN_ARRANGEMENT"),
        "garnishee": (B.garnishee_placed(), "OPEN", "ENFORCEMENT"),
        "dpo": (B.dpo_made(), "OPEN", "DPO_TRACK"),
        "closed": (B.closed(), "CLOSED", "CLOSED"),
    }
    for name, (scenario, status, stage) in histories.items():
        state = scenario.state
        assert state is not None, name
        assert (state.status, state.stage) == (status, stage), name
        assert state.version == len(scenario.events)
        assert all(e.occurred_at <= scenario.now for e in scenario.events), name
    for sms in (False, True):
        b = case_builder(sms_subscribed=sms)
        assert b.garnishee_placed().state is not None
        assert b.dpo_made().state is not None
