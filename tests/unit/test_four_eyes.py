"""Four-eyes where the procedures need an approver (issue 13, item 7): the MSP's approver is
not its recorder (MSP-A2), the garnishee's approver is not its submitter (X-A2) except the APS 5
litigation case manager's own bank garnishee (S-CMR T3.S9), whose submitter must really have
been one (CMR-R9), and the Debt Redress Check's approver is not who actioned it (X-A2)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recoverycore.aggregates import msp
from recoverycore.errors import NotAuthorised, RuleViolation
from recoverycore.events import Actor, Role
from recoverycore.events.cmr import GarnisheeApproved
from recoverycore.testing import CaseScenario, case_builder, case_staff, given, msp_builder, staff

B = case_builder()
LCM = B.litigation_case_manager  # LCM-0508, APS 5
OL = B.operational_leader


def _submitted_by(actor: Actor, kind: str = "FI") -> CaseScenario:
    return (
        B.garnishee_ready()
        .then(B.assess_garnishee(kind=kind, actor=actor))
        .then(B.submission_document(actor=actor))
        .then(B.submit_garnishee(actor=actor))
        .later(hours=1)
    )


def _refused(scenario: CaseScenario, command: object) -> RuleViolation:
    with pytest.raises(RuleViolation) as refusal:
        scenario.when(command)  # type: ignore[arg-type]
    return refusal.value


# -- MSP approval ---------------------------------------------------------------------------------
def test_a_decision_maker_cannot_approve_the_msp_they_recorded() -> None:
    dm = staff(Role.MSP_APPROVER, "dm-7", aps_level="APS6")
    plan = msp_builder()
    draft = given(plan.recorded())
    recorded_by_dm = given().then(plan.record(actor=dm))

    with pytest.raises(NotAuthorised) as refusal:
        recorded_by_dm.when(plan.approve(actor=dm))

    assert refusal.value.rule_id == "MSP-A2"
    assert [type(e).__name__ for e in draft.when(plan.approve(actor=dm))] == ["MspApproved"]


def test_msp_four_eyes_is_a_setting() -> None:
    dm = staff(Role.MSP_APPROVER, "dm-7", aps_level="APS6")
    plan = msp_builder(config=msp.MspConfig(require_four_eyes=False))
    recorded_by_dm = given().configured(plan.config).then(plan.record(actor=dm))

    assert [type(e).__name__ for e in recorded_by_dm.when(plan.approve(actor=dm))] == [
        "MspApproved"
    ]


# -- garnishee approval ---------------------------------------------------------------------------
def test_an_operational_leader_cannot_approve_a_garnishee_they_submitted() -> None:
    refusal = _refused(_submitted_by(OL), B.decide_garnishee(actor=OL))

    assert isinstance(refusal, NotAuthorised)
    assert refusal.rule_id == "X-A2"
    assert "submitter" in refusal.reason


def test_another_operational_leader_approves_it() -> None:
    other_ol = case_staff(Role.OPERATIONAL_LEADER, "OL-0999", "EL1")

    events = _submitted_by(OL).when(B.decide_garnishee(actor=other_ol))

    assert [type(e).__name__ for e in events] == ["GarnisheeApproved"]


def test_an_aps5_litigation_case_manager_approves_their_own_bank_garnishee_alone() -> None:
    events = _submitted_by(LCM).when(B.decide_garnishee(actor=LCM))

    [approved] = events
    assert isinstance(approved, GarnisheeApproved)
    assert approved.self_approved
    assert "X-A2" in approved.rules_applied


def test_self_approval_needs_the_submitter_to_have_been_an_aps5_litigation_case_manager() -> None:
    # The trial: submitted as a case manager, then approved under the same staff id as an
    # APS 5 litigation case manager.
    as_case_manager = case_staff(Role.CASE_MANAGER, LCM.staff_id, "APS5")
    as_junior = case_staff(Role.LITIGATION_CASE_MANAGER, LCM.staff_id, "APS4")

    for submitter in (as_case_manager, as_junior):
        refusal = _refused(_submitted_by(submitter), B.decide_garnishee(actor=LCM))
        assert refusal.rule_id == "CMR-R9", submitter


def test_a_litigation_case_manager_does_not_approve_their_own_wage_garnishee_or_anothers() -> None:
    assert _refused(_submitted_by(LCM, "WAGE"), B.decide_garnishee(actor=LCM)).rule_id == "CMR-R9"
    other_lcm = case_staff(Role.LITIGATION_CASE_MANAGER, "LCM-0777", "APS6")
    assert _refused(_submitted_by(LCM), B.decide_garnishee(actor=other_lcm)).rule_id == "CMR-R9"


# -- Debt Redress Check ---------------------------------------------------------------------------
def _redress_actioned_by(actor: Actor) -> CaseScenario:
    submitted = B.garnishee_submitted().later(days=1)
    return (
        submitted.then(B.decide_garnishee())
        .then(B.redress_check(actor=actor))
        .at(submitted.now + timedelta(hours=1))
    )


def test_the_debt_redress_check_is_not_approved_by_who_actioned_it() -> None:
    refusal = _refused(_redress_actioned_by(OL), B.approve_redress_check(actor=OL))

    assert isinstance(refusal, NotAuthorised)
    assert refusal.rule_id == "X-A2"
    assert "actioned" in refusal.reason


def test_the_debt_redress_check_actioned_by_the_case_manager_is_approved_by_the_ol() -> None:
    events = _redress_actioned_by(B.case_manager).when(B.approve_redress_check(actor=OL))

    assert [type(e).__name__ for e in events] == ["DebtRedressCheckApproved"]
