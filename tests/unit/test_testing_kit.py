"""The public test kit (:mod:`recoverycore.testing`) serves both aggregates, and its old import
paths still work."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

import pytest
from hypothesis import given as for_all
from hypothesis import strategies as st

import recoverycore.testing.strategies as strategies
from recoverycore.aggregates import CASE as CASE_DECIDER
from recoverycore.aggregates import MSP as MSP_DECIDER
from recoverycore.aggregates import cmr
from recoverycore.aggregates.msp import MspCommand
from recoverycore.events import Role
from recoverycore.testing import (
    CASE_EPOCH,
    DEFAULT_BUILDERS,
    EPOCH,
    CaseBuilder,
    assert_accepted,
    assert_refused,
    case_builder,
    case_staff,
    given,
    given_for,
    msp_builder,
    staff,
)
from recoverycore.testing import cmr as case_kit

MSP = msp_builder()
CASE = case_builder()


def test_there_is_one_epoch_for_both_aggregates() -> None:
    assert CASE_EPOCH == EPOCH
    assert EPOCH.isoformat() == "2026-03-02T09:00:00+11:00"


def test_staff_serves_both_aggregates_and_case_staff_is_of_the_srt() -> None:
    assert staff(Role.OMC).team == "Parramatta Service Centre"
    assert case_staff(Role.CASE_MANAGER, "CM-1") == staff(Role.CASE_MANAGER, "CM-1", team="SRT")


def test_assert_refused_returns_the_refusal_of_either_aggregate() -> None:
    plan = assert_refused(given(*MSP.approved_plan()), MSP.sms(reason_code="BECAUSE"), "MSP-R3")
    case = assert_refused(CASE.onboarded(), CASE.add_document(name="referral.pdf"), "CMR-R2")
    assert (plan.rule_id, case.rule_id) == ("MSP-R3", "CMR-R2")


def test_assert_refused_fails_when_another_rule_refuses_or_the_command_is_accepted() -> None:
    with pytest.raises(AssertionError, match="CMR-R2"):
        assert_refused(CASE.onboarded(), CASE.add_document(name="referral.pdf"), "CMR-R5")
    with pytest.raises(AssertionError, match="was accepted"):
        assert_refused(CASE.onboarded(), CASE.add_document(), "CMR-R2")


def test_assert_accepted_returns_the_events_naming_the_rules_checked() -> None:
    [letter] = assert_accepted(CASE.contacted_without_answer(), CASE.q190(), "CMR-R5")
    assert letter.originator_id == CASE.case_id
    events = assert_accepted(given(*MSP.recorded()), MSP.approve())
    assert events
    with pytest.raises(AssertionError, match="does not list"):
        assert_accepted(CASE.contacted_without_answer(), CASE.q190(), "MSP-R3")


def test_the_builder_builds_any_case_command_by_type_with_its_defaults() -> None:
    assert CASE.build(cmr.IssueFinalOptionLetterQ190) == CASE.q190()
    assert CASE.build(cmr.AddCaseFileDocument) == CASE.add_document()
    assert CASE.build(cmr.RecordContactAttempt, outcome="VOICEMAIL") == CASE.contact_attempt(
        outcome="VOICEMAIL"
    )
    assert DEFAULT_BUILDERS[cmr.AllocateCase].__name__ == "allocate"
    assert len(DEFAULT_BUILDERS) == 64


def deprecated(module: str) -> ModuleType:
    """Import the old path afresh, expecting its DeprecationWarning."""
    sys.modules.pop(module, None)
    with pytest.warns(DeprecationWarning, match=module.replace(".", r"\.")):
        return importlib.import_module(module)


@pytest.mark.parametrize(
    "module",
    [
        f"recoverycore.{name}"
        for name in (
            "clock",
            "holiday_calendar",
            "policy_app",
            "read_models",
            "integrity",
            "privacy",
            "strategies",
            "_case_testing",
            "demo",
            "_diagram",
        )
    ],
)
def test_every_old_module_path_still_imports_and_warns(module: str) -> None:
    old = deprecated(module)
    assert old.__all__
    assert all(hasattr(old, name) for name in old.__all__)


def test_the_old_top_level_msp_names_still_resolve_and_warn() -> None:
    import recoverycore

    with pytest.warns(DeprecationWarning, match="recoverycore.msp.ApproveMsp"):
        old = recoverycore.ApproveMsp  # type: ignore[attr-defined]
    assert old is recoverycore.msp.ApproveMsp


def test_the_old_import_paths_still_work() -> None:
    old_case_kit = deprecated("recoverycore._case_testing")
    old_strategies = deprecated("recoverycore.strategies")
    assert old_case_kit.CaseBuilder is CaseBuilder is case_kit.CaseBuilder
    assert old_case_kit.CASE_EPOCH == EPOCH
    for name in old_strategies.__all__:
        assert getattr(old_strategies, name) is getattr(strategies, name), name


@for_all(data=st.data(), command_type=st.sampled_from(list(strategies.COMMAND_STRATEGIES)))
def test_command_strategy_is_the_named_strategy_of_each_msp_command_type(
    data: st.DataObject, command_type: type[MspCommand]
) -> None:
    named = strategies.COMMAND_STRATEGIES[command_type]
    by_type = data.draw(strategies.command_strategy(command_type, MSP.plan_id, now=EPOCH))
    by_name = data.draw(named(MSP.plan_id, now=EPOCH))
    assert type(by_type) is type(by_name) is command_type
    assert by_type.plan_id == MSP.plan_id


def test_given_for_decides_a_case_command_against_any_deciders_history() -> None:
    b = case_builder()
    history = given_for(CASE_DECIDER, b.onboarded().events, now=b.day(0, 10))
    assert [type(e).__name__ for e in history.when(b.capacity_review())] == ["RecordReviewed"]
    assert (
        history.then(b.capacity_review()).state
        == b.onboarded().then_at(b.day(0, 10), b.capacity_review()).state
    )
    refusal = history.refused(b.add_document(name="referral.pdf"))
    assert refusal.rule_id == "CMR-R2"


def test_given_for_decides_a_plan_command_under_its_configuration() -> None:
    b = msp_builder()
    scenario = given_for(MSP_DECIDER, b.recorded(), b.approved())
    state = scenario.state
    assert state is not None
    assert state.status == "ACTIVE"
    assert_refused(scenario, b.sms(reason_code="BECAUSE"), "MSP-R3")
    assert scenario.configured(MSP_DECIDER.default_config()).state == state
