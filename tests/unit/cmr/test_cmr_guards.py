"""The checks every step of a case shares: who acts on a case (CMR-R1), the case's status
(CMR-A1), and the vulnerability flags (X-R2, X-R3, X-R4, X-R1 disaster).

The helpers and histories are in ``cmr_support.py``; see its docstring for the timeline.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cmr_support import (
    CLOSING_STEPS,
    SMS,
    STRANGER,
    B,
    accepted,
    after,
    approved,
    assessed,
    at,
    closing,
    contacted,
    dpo_delivered,
    dpo_referred,
    investigating,
    names,
    onboarded,
    refused,
    single,
    unsuitable,
    with_flag,
)

from recoverycore.aggregates.cmr import CaseCommand
from recoverycore.events import Actor, Role
from recoverycore.events.cmr import (
    PreCallSmsBlocked,
    VulnerabilityFlagCleared,
    VulnerabilityFlagRecorded,
)
from recoverycore.testing import CaseScenario, case_staff


# -- CMR-R1 who acts on a case --------------------------------------------------------------------
@pytest.mark.parametrize(
    "actor",
    [
        STRANGER,
        case_staff(Role.SERVICE_OFFICER, "SO-4411", team="SRT"),
        case_staff(Role.CASE_MANAGER, "CM-0001", team="Parramatta Service Centre"),
    ],
    ids=["other-team-case-manager", "service-officer", "service-centre-case-manager"],
)
def test_only_the_assigned_case_manager_or_team_takes_recovery_actions(actor: Actor) -> None:
    error = refused(onboarded(), B.capacity_review(actor=actor), "CMR-R1")

    assert "CM-3012" in error.reason
    assert "DOA DOC" in error.remedy


def test_another_officer_of_the_case_team_may_act_on_the_case() -> None:
    colleague = case_staff(Role.CASE_MANAGER, "CM-4100", team="SRT")

    assert names(accepted(onboarded(), B.capacity_review(actor=colleague), "CMR-R1")) == [
        "RecordReviewed"
    ]


# -- CMR-A1 the case's status ---------------------------------------------------------------------
TERMINAL: dict[str, Callable[[], CaseScenario]] = {
    "CLOSED": B.closed,
    "ARCHIVED": lambda: B.closed().then(B.archive()),
    "UNASSIGNED": lambda: unsuitable().then(B.unassign()),
}
ANY_COMMAND: dict[str, Callable[[], CaseCommand]] = {
    "suitability": B.assess_suitability,
    "document": B.add_document,
    "call": B.contact_attempt,
    "q190": B.q190,
    "discussion": B.discussion,
    "pause": B.pause,
    "arrangement": B.acceptable_arrangement,
    "employment-lead": B.employment_lead,
    "garnishee": B.assess_garnishee,
    "litigation": B.refer_to_litigation,
    "dpo": B.make_dpo,
    "flag": B.flag,
    "close": B.close,
    "closing-step": B.expire_doa_doc,
    "complete": B.complete_closure,
}


@pytest.mark.parametrize("status", sorted(TERMINAL))
@pytest.mark.parametrize("command", sorted(ANY_COMMAND))
def test_a_closed_archived_or_unassigned_case_accepts_no_changing_command(
    status: str, command: str
) -> None:
    scenario = TERMINAL[status]().later(days=1)
    assert scenario.state is not None
    assert (scenario.state.status, scenario.state.is_terminal) == (status, True)

    error = refused(scenario, ANY_COMMAND[command](), "CMR-A1")
    assert status.lower() in error.reason


def test_an_archived_case_is_not_archived_again() -> None:
    refused(B.closed().then(B.archive()), B.archive(), "CMR-A1")


@pytest.mark.parametrize(
    "command",
    sorted(set(ANY_COMMAND) - {"flag", "closing-step", "complete"}),
)
def test_a_closing_case_accepts_only_the_closing_steps(command: str) -> None:
    error = refused(closing(), ANY_COMMAND[command](), "CMR-A1")

    assert "closing steps" in error.reason


def test_a_vulnerability_flag_is_still_recorded_while_the_case_closes() -> None:
    assert names(closing().when(B.flag())) == ["VulnerabilityFlagRecorded"]
    assert names(closing().then(B.flag()).when(B.clear_flag())) == ["VulnerabilityFlagCleared"]


@pytest.mark.parametrize(
    "command",
    [B.roe_fast_note, *(step for step, _, _ in CLOSING_STEPS.values()), B.complete_closure],
    ids=["C49", *sorted(CLOSING_STEPS), "C55"],
)
def test_a_closing_step_waits_for_the_closure_to_start(command: Callable[[], CaseCommand]) -> None:
    error = refused(investigating(), command(), "CMR-A1")

    assert "CloseCase" in error.remedy


# == vulnerability flags (X-R2, X-R3, X-R4, X-R1 disaster) ========================================
@pytest.mark.parametrize(
    "kind", ["SUICIDE_SELF_HARM", "FDV_IMMEDIATE_THREAT", "FDV", "HARDSHIP", "DISASTER", "OTHER"]
)
def test_a_vulnerability_flag_is_recorded_by_the_case_team_or_a_social_worker(kind: str) -> None:
    recorded = single(accepted(investigating(), B.flag(kind=kind)), VulnerabilityFlagRecorded)

    assert recorded.kind == kind
    by_social_worker = B.flag(kind=kind, actor=B.social_worker)
    assert names(investigating().when(by_social_worker)) == ["VulnerabilityFlagRecorded"]
    assert after(investigating(), B.flag(kind=kind)).flag_kinds() == {kind}


def test_a_flag_id_is_used_once() -> None:
    refused(with_flag("OTHER"), B.flag(kind="HARDSHIP"), "CMR-A2")


@pytest.mark.parametrize(
    ("kind", "rule_id"), [("SUICIDE_SELF_HARM", "X-R3"), ("FDV_IMMEDIATE_THREAT", "X-R4")]
)
def test_a_pre_call_sms_to_a_customer_at_risk_is_recorded_as_blocked_not_refused(
    kind: str, rule_id: str
) -> None:
    scenario = with_flag(kind, SMS.onboarded().at(at(0, 10)))

    blocked = single(scenario.when(SMS.pre_call_sms()), PreCallSmsBlocked)
    assert blocked.rule_id == rule_id
    assert rule_id in blocked.rules_applied
    assert blocked.detail
    state = after(scenario, SMS.pre_call_sms())
    assert (state.contacts, state.pre_call_sms_pending) == ((), False)
    call = SMS.contact_attempt(occurred_at=at(0, 10))
    assert names(scenario.then(SMS.pre_call_sms()).when(call)) == ["ContactAttempted"]


def test_fdv_with_an_immediate_threat_suppresses_letters_to_the_customer() -> None:
    scenario = with_flag("FDV_IMMEDIATE_THREAT", contacted())

    error = refused(scenario, B.q190(), "X-R4")
    assert "suppressed" in error.reason
    refused(scenario, B.q164(customer_aware_of_debt=False), "X-R4")


def test_an_fdv_flag_without_an_immediate_threat_does_not_stop_letters() -> None:
    assert names(with_flag("FDV", contacted()).when(B.q190())) == ["LetterIssued"]


ENFORCEMENT: dict[str, tuple[Callable[[], CaseScenario], Callable[[], CaseCommand]]] = {
    "submit-garnishee": (lambda: assessed().then(B.submission_document()), B.submit_garnishee),
    "place-garnishee": (approved, B.place_garnishee),
    "litigation-referral": (
        lambda: investigating().then(B.referral_document()),
        B.refer_to_litigation,
    ),
    "dpo-warning": (dpo_referred, B.dpo_warning),
    "make-dpo": (lambda: dpo_delivered().at(at(33)), B.make_dpo),
}
"""Each enforcement step, in a history where it would otherwise go ahead."""


@pytest.mark.parametrize(
    ("kind", "rule_id"),
    [("SUICIDE_SELF_HARM", "X-R3"), ("FDV_IMMEDIATE_THREAT", "X-R4"), ("DISASTER", "X-R1")],
)
@pytest.mark.parametrize("step", sorted(ENFORCEMENT))
def test_suicide_fdv_and_disaster_flags_pause_every_enforcement_step(
    step: str, kind: str, rule_id: str
) -> None:
    history, command = ENFORCEMENT[step]
    assert history().when(command()), "the step goes ahead without the flag"

    refused(with_flag(kind, history()), command(), rule_id)


@pytest.mark.parametrize("kind", ["FDV", "OTHER"])
def test_other_flags_do_not_pause_enforcement(kind: str) -> None:
    scenario = with_flag(kind, approved())

    assert names(scenario.when(B.place_garnishee())) == ["GarnisheePlaced"]


def test_a_hardship_flag_recorded_after_approval_stops_the_garnishee_being_placed() -> None:
    error = with_flag("HARDSHIP", approved()).refused(B.place_garnishee())

    assert error.rule_id in ("CMR-R10", "X-R2")


@pytest.mark.parametrize(
    ("kind", "clearer"),
    [
        ("SUICIDE_SELF_HARM", "social_worker"),
        ("SUICIDE_SELF_HARM", "operational_leader"),
        ("FDV_IMMEDIATE_THREAT", "social_worker"),
        ("FDV_IMMEDIATE_THREAT", "operational_leader"),
    ],
)
def test_a_social_worker_or_ol_clears_a_safety_flag_and_enforcement_resumes(
    kind: str, clearer: str
) -> None:
    scenario = with_flag(kind, approved())
    command = B.clear_flag(actor=getattr(B, clearer))

    cleared = single(accepted(scenario, command, "CMR-A8"), VulnerabilityFlagCleared)
    assert cleared.flag_id == "F-1"
    assert names(scenario.then(command).when(B.place_garnishee())) == ["GarnisheePlaced"]


@pytest.mark.parametrize(
    ("kind", "rule_id"), [("SUICIDE_SELF_HARM", "X-R3"), ("FDV_IMMEDIATE_THREAT", "X-R4")]
)
@pytest.mark.parametrize("role", ["case_manager", "team_leader", "srt_officer"])
def test_only_a_social_worker_or_ol_clears_a_safety_flag(
    kind: str, rule_id: str, role: str
) -> None:
    refused(with_flag(kind), B.clear_flag(actor=getattr(B, role)), rule_id)


def test_clearing_a_flag_needs_reasons() -> None:
    refused(with_flag("SUICIDE_SELF_HARM"), B.clear_flag(reasons=("ok",)), "CMR-A8")
    refused(with_flag("HARDSHIP"), B.clear_flag(actor=B.case_manager, reasons=()), "CMR-A8")


def test_the_case_manager_clears_a_hardship_or_disaster_flag_with_reasons() -> None:
    scenario = with_flag("DISASTER", approved())
    command = B.clear_flag(actor=B.case_manager, reasons=("DIS declaration for the area ended.",))

    assert names(scenario.when(command)) == ["VulnerabilityFlagCleared"]
    assert names(scenario.then(command).when(B.place_garnishee())) == ["GarnisheePlaced"]


def test_someone_outside_the_case_team_cannot_clear_a_disaster_flag() -> None:
    outsider = case_staff(Role.MSP_RECORDER, "SO-4411", team="Parramatta Service Centre")
    command = B.clear_flag(actor=outsider, reasons=("No longer in a disaster area, I think.",))

    refused(with_flag("DISASTER", approved()), command, "CMR-R1")


def test_only_a_flag_in_force_is_cleared() -> None:
    refused(investigating(), B.clear_flag(), "CMR-A1")
    cleared = with_flag("HARDSHIP").then(B.clear_flag())
    refused(cleared, B.clear_flag(), "CMR-A1")
