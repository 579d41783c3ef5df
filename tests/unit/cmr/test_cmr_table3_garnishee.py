"""Table 3 of the case managed recovery procedure: garnishees (C30-C35, CMR-R9 to CMR-R12),
and recovery pauses stopping enforcement (X-R1).

The helpers and histories are in ``cmr_support.py``; see its docstring for the timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from cmr_support import (
    Q190_ISSUED,
    ZONE,
    B,
    accepted,
    after,
    approved,
    assessed,
    at,
    config,
    dpo_delivered,
    dpo_in_force,
    dpo_referred,
    investigating,
    names,
    onboarded,
    placed,
    ready,
    refused,
    single,
    submitted,
    with_flag,
)

from recoverycore.aggregates import cmr
from recoverycore.aggregates.cmr import CaseCommand, Debt
from recoverycore.events import Actor, Role
from recoverycore.events.cmr import (
    DebtPaidInFull,
    GarnisheeApproved,
    GarnisheeAssessed,
    GarnisheePlaced,
    GarnisheeRemittanceRecorded,
    GarnisheeSubmitted,
)
from recoverycore.testing import CaseBuilder, CaseScenario, case_builder, case_staff


# -- C30 AssessGarnishee (CMR-R10, CMR-R12, X-R2, X-R11) ------------------------------------------
def test_an_fi_garnishee_is_assessed_appropriate_when_every_precondition_holds() -> None:
    events = accepted(ready(), B.assess_garnishee(), "X-R2")

    assessed_ = single(events, GarnisheeAssessed)
    assert (assessed_.appropriate, assessed_.failed_checks) == (True, ())
    state = after(ready(), B.assess_garnishee())
    assert state.stage == "ENFORCEMENT"
    garnishee = state.garnishee("G-1")
    assert garnishee is not None
    assert garnishee.appropriate


def test_several_failed_garnishee_checks_are_all_recorded_and_named_when_submitting() -> None:
    early = B.refused_after_q190().then_at(at(4), B.fi_lead()).at(at(5))
    checklist = B.checklist(bank_balance=Decimal("5000.00"), reasonable_contact_effort=False)

    assessed_ = single(early.when(B.assess_garnishee(checklist=checklist)), GarnisheeAssessed)
    assert not assessed_.appropriate
    assert assessed_.failed_checks == (
        "bank balance is not over $5000",
        "reasonable efforts to contact the customer were not made",
        "letter response periods have not all expired",
    )
    scenario = early.then(B.assess_garnishee(checklist=checklist)).then(B.submission_document())
    error = refused(scenario, B.submit_garnishee(), "CMR-R10")
    for failed in assessed_.failed_checks:
        assert failed in error.reason


def no_fca() -> CaseScenario:
    return (
        B.final_option_sent()
        .then_at(at(3, 11), B.discussion())
        .then_at(at(3, 11, 25), B.refusal())
        .at(at(18))
    )


def stale_fca() -> CaseScenario:
    """An FCA on 2 March, decided on 10 June (more than 3 months later)."""
    return onboarded().then(B.fca()).then_at(at(100), B.refusal())


def low_excess() -> CaseScenario:
    return no_fca().then(B.fca(excess_income_per_fortnight=Decimal("14.99")))


def hardship_fca() -> CaseScenario:
    return no_fca().then(B.fca(financial_hardship=True))


def not_refused() -> CaseScenario:
    return B.final_option_sent().then_at(at(3, 11, 20), B.fca()).at(at(18))


FAILED_CHECKS: dict[str, tuple[Callable[[], CaseScenario], dict[str, Any], str]] = {
    "not-due": (ready, {"debts_due_and_payable": False}, "not all due and payable"),
    "unverified": (
        ready,
        {"employment_or_bank_details_verified": False},
        "employment or bank details are not verified",
    ),
    "balance-5000": (ready, {"bank_balance": Decimal("5000.00")}, "bank balance is not over"),
    "no-balance": (ready, {"bank_balance": None}, "bank balance is not over"),
    "no-contact-effort": (ready, {"reasonable_contact_effort": False}, "reasonable efforts"),
    "letters-not-expired": (ready, {"letter_periods_expired": False}, "letter response periods"),
    "no-fca": (no_fca, {}, "no financial circumstance assessment in the last 3 months"),
    "stale-fca": (stale_fca, {}, "no financial circumstance assessment in the last 3 months"),
    "excess-under-15": (low_excess, {}, "excess income is under $15"),
    "hardship-checklist": (ready, {"causes_financial_hardship": True}, "financial hardship"),
    "hardship-fca": (hardship_fca, {}, "financial hardship"),
    "no-refusal": (
        not_refused,
        {"failed_or_broke_reasonable_arrangement_or_nondisclosure": False},
        "has not refused or broken a reasonable arrangement",
    ),
}
"""For each garnishee precondition of [OB-GAR]: a history, checklist overrides, and the text of
the failed check the assessment records."""


@pytest.mark.parametrize("check", sorted(FAILED_CHECKS))
def test_a_garnishee_failing_a_precondition_is_assessed_not_appropriate(check: str) -> None:
    history, overrides, text = FAILED_CHECKS[check]
    command = B.assess_garnishee(checklist=B.checklist(**overrides))

    assessed_ = single(history().when(command), GarnisheeAssessed)
    assert not assessed_.appropriate
    assert any(text in failed for failed in assessed_.failed_checks), assessed_.failed_checks


def test_a_bank_balance_just_over_5000_supports_an_fi_garnishee() -> None:
    command = B.assess_garnishee(checklist=B.checklist(bank_balance=Decimal("5000.01")))

    assert single(ready().when(command), GarnisheeAssessed).appropriate


def test_an_fca_relied_on_is_at_most_3_months_old() -> None:
    scenario = onboarded().then(B.fca()).then(B.refusal())

    on_the_day = scenario.at(datetime(2026, 6, 2, 10, tzinfo=ZONE)).when(B.assess_garnishee())
    assert single(on_the_day, GarnisheeAssessed).appropriate
    next_day = scenario.at(datetime(2026, 6, 3, 10, tzinfo=ZONE)).when(B.assess_garnishee())
    assert not single(next_day, GarnisheeAssessed).appropriate


def test_a_continuing_income_garnishee_needs_a_balance_of_200_or_more() -> None:
    small = case_builder(debts=(Debt(debt_id="D-1", balance=Decimal("199.99")),))
    command = small.assess_garnishee(kind="WAGE", checklist=small.checklist(continuing_income=True))

    assessed_ = single(small.garnishee_ready().when(command), GarnisheeAssessed)
    assert assessed_.failed_checks == ("the balance is under $200",)


def test_a_debt_not_yet_due_and_payable_fails_the_garnishee_assessment() -> None:
    b = case_builder(debts=(Debt(debt_id="D-1", balance=Decimal("9000"), due_and_payable=False),))

    assessed_ = single(b.garnishee_ready().when(b.assess_garnishee()), GarnisheeAssessed)
    assert assessed_.failed_checks == ("debts are not all due and payable",)


def test_a_refusal_or_an_arrangement_deemed_unreasonable_satisfies_the_arrangement_check() -> None:
    checklist = B.checklist(failed_or_broke_reasonable_arrangement_or_nondisclosure=False)

    assert single(
        ready().when(B.assess_garnishee(checklist=checklist)), GarnisheeAssessed
    ).appropriate
    deemed = not_refused().then(B.declare_not_reasonable())
    assessed_ = single(deemed.when(B.assess_garnishee(checklist=checklist)), GarnisheeAssessed)
    assert assessed_.appropriate


def test_the_garnishee_thresholds_are_configurable() -> None:
    scenario = ready().configured(config(min_bank_balance_for_fi_garnishee=Decimal("10000")))

    assessed_ = single(scenario.when(B.assess_garnishee()), GarnisheeAssessed)
    assert assessed_.failed_checks == ("bank balance is not over $10000",)


EXCLUDED: dict[str, tuple[Debt | None, dict[str, Any], str]] = {
    "pgpa-under-10000": (
        Debt(debt_id="D-1", balance=Decimal("9999"), legislation="PGPA"),
        {},
        "PGPA debt under $10000",
    ),
    "fma": (Debt(debt_id="D-1", balance=Decimal("20000"), legislation="FMA"), {}, "fma debt"),
    "ndis": (
        Debt(debt_id="D-1", balance=Decimal("20000"), legislation="NDIS_SELF_MANAGED"),
        {},
        "ndis self managed debt",
    ),
    "child-support": (
        Debt(debt_id="D-1", balance=Decimal("20000"), legislation="CHILD_SUPPORT"),
        {},
        "child support debt",
    ),
    "superannuation": (None, {"superannuation": True}, "superannuation cannot be garnished"),
    "bankrupt": (None, {"bankrupt": True}, "the customer is bankrupt"),
    "nls-write-off": (None, {"nls_write_off": True}, "written off (NLS)"),
    "disaster-area": (None, {"declared_disaster_area": True}, "declared disaster area"),
}
"""CMR-R12: what may never be garnished, as a debt of the case or a checklist answer."""


@pytest.mark.parametrize("case", sorted(EXCLUDED))
def test_an_excluded_debt_or_circumstance_makes_a_garnishee_not_appropriate(case: str) -> None:
    debt, overrides, text = EXCLUDED[case]
    b = case_builder(debts=(debt,)) if debt else B
    command = b.assess_garnishee(checklist=b.checklist(**overrides))

    assessed_ = single(b.garnishee_ready().when(command), GarnisheeAssessed)
    assert not assessed_.appropriate
    assert any(text in excluded for excluded in assessed_.exclusions), assessed_.exclusions
    assert cmr.garnishee_exclusions(
        after(b.garnishee_ready()), ("D-1",), command.checklist, b.config
    )


def test_a_pgpa_debt_of_10000_or_more_may_be_garnished() -> None:
    b = case_builder(debts=(Debt(debt_id="D-1", balance=Decimal("10000"), legislation="PGPA"),))

    assert single(b.garnishee_ready().when(b.assess_garnishee()), GarnisheeAssessed).appropriate


def excluded_after_assessment() -> tuple[CaseBuilder, CaseScenario]:
    """A PGPA debt of $12,000 assessed when the PGPA threshold was $10,000, submitted after it
    was raised to $15,000."""
    b = case_builder(debts=(Debt(debt_id="D-1", balance=Decimal("12000"), legislation="PGPA"),))
    scenario = (
        b.garnishee_assessed()
        .then(b.submission_document())
        .configured(config(min_pgpa_debt_for_garnishee=Decimal("15000")))
    )
    return b, scenario


def test_a_garnishee_of_a_debt_excluded_when_it_is_submitted_is_refused() -> None:
    b, scenario = excluded_after_assessment()

    error = refused(scenario, b.submit_garnishee(), "CMR-R12")
    assert "PGPA debt under $15000" in error.reason


def test_a_garnishee_of_an_excluded_debt_is_refused_naming_cmr_r12() -> None:
    b = case_builder(debts=(Debt(debt_id="D-1", balance=Decimal("9000"), legislation="PGPA"),))
    scenario = b.garnishee_assessed().then(b.submission_document())

    refused(scenario, b.submit_garnishee(), "CMR-R12")


def test_a_garnishee_is_assessed_only_after_considering_the_customers_vulnerabilities() -> None:
    command = B.assess_garnishee(checklist=B.checklist(vulnerabilities_considered=False))

    error = refused(ready(), command, "X-R2")
    assert "family and domestic violence" in error.reason


def test_a_hardship_flag_makes_a_garnishee_not_appropriate() -> None:
    scenario = with_flag("HARDSHIP", ready())

    assessed_ = single(scenario.when(B.assess_garnishee()), GarnisheeAssessed)
    assert assessed_.failed_checks == ("the garnishee would cause financial hardship",)


def wage_ready(source: str = "DATA_MATCH_STP", q289: bool = False) -> CaseScenario:
    scenario = B.refused_after_q190().then_at(at(4), B.employment_lead(source=source))
    if q289:
        scenario = scenario.then(B.q289())
    return scenario.at(at(22))


def wage(**kw: Any) -> cmr.AssessGarnishee:
    return B.assess_garnishee(kind="WAGE", employment_lead_id="EMP-1", **kw)


def test_a_wage_garnishee_on_a_data_matched_employer_needs_the_customer_told_first() -> None:
    error = refused(wage_ready(), wage(), "X-R11")

    assert "Q289" in error.remedy
    assert single(wage_ready(q289=True).when(wage()), GarnisheeAssessed).appropriate
    assert single(wage_ready("CUSTOMER_RECORD").when(wage()), GarnisheeAssessed).appropriate


def test_a_garnishee_names_known_debts_and_a_fresh_id() -> None:
    refused(ready(), B.assess_garnishee(debt_ids=("D-7",)), "CMR-A2")
    refused(assessed(), B.assess_garnishee(), "CMR-A2")


# -- C31 SubmitGarnishee --------------------------------------------------------------------------
def test_a_garnishee_submission_saved_in_the_case_file_is_sent_to_the_ol() -> None:
    scenario = assessed().then(B.submission_document())

    events = accepted(scenario, B.submit_garnishee(), "CMR-R10", "CMR-R12", "X-R1", "CMR-A7")
    submitted_ = single(events, GarnisheeSubmitted)
    assert submitted_.submitted_to == "OL-0107"
    garnishee = after(scenario, B.submit_garnishee()).garnishee("G-1")
    assert garnishee is not None
    assert garnishee.submitted_by == "CM-3012"


def test_a_submission_not_saved_in_the_case_file_is_refused() -> None:
    error = refused(assessed(), B.submit_garnishee(), "CMR-A7")

    assert "case file" in error.reason


def test_a_garnishee_is_submitted_once_and_only_once_assessed() -> None:
    refused(submitted(), B.submit_garnishee(), "CMR-A1")
    refused(ready().then(B.submission_document()), B.submit_garnishee(), "CMR-A2")


# -- X-R1 recovery pauses stop enforcement of those debts only ------------------------------------
PAUSES: dict[str, Callable[[], CaseCommand]] = {
    "explanation": lambda: B.request_review(kind="EXPLANATION"),
    "review": lambda: B.request_review(kind="REVIEW"),
    "reassessment": lambda: B.request_review(kind="REASSESSMENT"),
    "art-review": lambda: B.request_review(kind="ART_REVIEW"),
    "disaster": lambda: B.pause(reason="DISASTER"),
    "vulnerability": lambda: B.pause(reason="VULNERABILITY"),
    "redress": lambda: B.pause(reason="REDRESS"),
}


@pytest.mark.parametrize("pause", sorted(PAUSES))
def test_no_garnishee_is_submitted_for_a_paused_debt_while_other_debts_continue(
    pause: str,
) -> None:
    scenario = (
        assessed()
        .then(B.assess_garnishee(garnishee_id="G-2", debt_ids=("D-2",)))
        .then(B.submission_document())
        .then(PAUSES[pause]())
    )

    error = refused(scenario, B.submit_garnishee(), "X-R1")
    assert "D-1" in error.reason
    other = B.submit_garnishee(garnishee_id="G-2")
    assert names(accepted(scenario, other, "X-R1")) == ["GarnisheeSubmitted"]


@pytest.mark.parametrize("pause", sorted(PAUSES))
def test_no_garnishee_is_placed_for_a_debt_paused_after_approval(pause: str) -> None:
    scenario = approved().then(PAUSES[pause]())

    refused(scenario, B.place_garnishee(), "X-R1")
    resumed = scenario.then(B.resume())
    assert names(resumed.when(B.place_garnishee())) == ["GarnisheePlaced"]


@pytest.mark.parametrize("pause", sorted(PAUSES))
def test_no_litigation_referral_for_a_paused_debt_while_other_debts_continue(pause: str) -> None:
    scenario = investigating().then(B.referral_document()).then(PAUSES[pause]())

    refused(scenario, B.refer_to_litigation(), "X-R1")
    refused(scenario, B.refer_to_litigation(debt_ids=("D-1", "D-2")), "X-R1")
    other = B.refer_to_litigation(debt_ids=("D-2",))
    assert names(accepted(scenario, other, "X-R1")) == ["LitigationReferralSent"]


@pytest.mark.parametrize("pause", sorted(PAUSES))
def test_no_dpo_warning_while_the_customers_debts_are_paused(pause: str) -> None:
    scenario = dpo_referred().then(PAUSES[pause]())

    refused(scenario, B.dpo_warning(debt_ids=("D-1",)), "X-R1")


def test_a_dpo_warning_is_issued_for_the_debts_that_are_not_paused() -> None:
    scenario = dpo_referred().then(B.request_review(debt_ids=("D-1",)))

    assert names(scenario.when(B.dpo_warning())) == ["LetterIssued"]


@pytest.mark.parametrize("pause", sorted(PAUSES))
def test_no_dpo_is_made_for_a_paused_debt_while_other_debts_continue(pause: str) -> None:
    scenario = dpo_delivered().at(at(33)).then(PAUSES[pause]())

    refused(scenario, B.make_dpo(), "X-R1")
    refused(scenario, B.make_dpo(debt_ids=("D-1",)), "X-R1")
    assert names(accepted(scenario, B.make_dpo(debt_ids=("D-2",)), "X-R1")) == ["DpoMade"]


def test_a_review_request_does_not_revoke_a_dpo_in_force() -> None:
    scenario = dpo_in_force().then(B.request_review())

    state = after(scenario)
    assert state.dpo_active
    assert names(scenario.when(B.notify_dpo())) == ["DpoNotified"]


# -- C32 DecideGarnisheeSubmission (CMR-R9) -------------------------------------------------------
def test_the_operational_leader_approves_a_garnishee_submission() -> None:
    events = accepted(submitted(), B.decide_garnishee(), "CMR-R9", "CMR-A8")

    approval = single(events, GarnisheeApproved)
    assert not approval.self_approved
    garnishee = after(submitted(), B.decide_garnishee()).garnishee("G-1")
    assert garnishee is not None
    assert garnishee.decision == "APPROVED"


def test_the_operational_leader_rejects_a_garnishee_submission() -> None:
    command = B.decide_garnishee(approve=False)

    assert names(accepted(submitted(), command, "CMR-R9")) == ["GarnisheeRejected"]
    garnishee = after(submitted(), command).garnishee("G-1")
    assert garnishee is not None
    assert garnishee.decision == "REJECTED"


@pytest.mark.parametrize(
    "actor",
    [B.case_manager, B.team_leader, B.srt_officer, B.litigation_case_manager],
    ids=["case-manager", "team-leader", "srt-officer", "another-cms-lcm"],
)
def test_only_an_operational_leader_approves_someone_elses_garnishee(actor: Actor) -> None:
    error = refused(submitted(), B.decide_garnishee(actor=actor), "CMR-R9")

    assert "Operational Leader" in error.reason


def lcm_submitted(kind: str, lcm: Actor = B.litigation_case_manager) -> CaseScenario:
    return (
        ready()
        .then(B.assess_garnishee(kind=kind, actor=lcm))
        .then(B.submission_document(actor=lcm))
        .then(B.submit_garnishee(actor=lcm))
    )


def test_an_aps5_litigation_case_manager_approves_their_own_bank_garnishee() -> None:
    lcm = B.litigation_case_manager
    events = accepted(lcm_submitted("FI"), B.decide_garnishee(actor=lcm), "CMR-R9")

    assert single(events, GarnisheeApproved).self_approved


def test_a_litigation_case_manager_does_not_approve_their_own_wage_garnishee() -> None:
    lcm = B.litigation_case_manager

    refused(lcm_submitted("WAGE"), B.decide_garnishee(actor=lcm), "CMR-R9")
    assert names(lcm_submitted("WAGE").when(B.decide_garnishee())) == ["GarnisheeApproved"]


def test_a_litigation_case_manager_below_aps5_does_not_approve_their_own_garnishee() -> None:
    junior = case_staff(Role.LITIGATION_CASE_MANAGER, "LCM-0901", "APS4")

    refused(lcm_submitted("FI", junior), B.decide_garnishee(actor=junior), "CMR-R9")


def test_the_garnishee_approver_roles_are_configurable() -> None:
    approvers = config(garnishee_approver_roles=frozenset({Role.TEAM_LEADER}))

    scenario = submitted().configured(approvers)
    assert names(scenario.when(B.decide_garnishee(actor=B.team_leader))) == ["GarnisheeApproved"]
    refused(scenario, B.decide_garnishee(), "CMR-R9")


def test_a_garnishee_decision_records_its_reasons() -> None:
    refused(submitted(), B.decide_garnishee(reasons=()), "CMR-A8")


def test_only_a_submitted_garnishee_awaiting_a_decision_is_decided() -> None:
    refused(assessed(), B.decide_garnishee(), "CMR-A1")
    refused(approved(), B.decide_garnishee(), "CMR-A1")


# -- C33 RecordDebtRedressCheck / ApproveDebtRedressCheck (CMR-R9) --------------------------------
def test_a_debt_redress_check_is_actioned_then_approved_by_the_ol() -> None:
    decided = submitted().then(B.decide_garnishee())

    assert names(accepted(decided, B.redress_check())) == ["DebtRedressCheckActioned"]
    actioned = decided.then(B.redress_check())
    assert names(accepted(actioned, B.approve_redress_check(), "CMR-R9")) == [
        "DebtRedressCheckApproved"
    ]
    garnishee = after(actioned, B.approve_redress_check()).garnishee("G-1")
    assert garnishee is not None
    assert (garnishee.redress_result, garnishee.redress_approved) == ("CLEAR", True)


def test_a_debt_redress_check_is_for_a_submitted_garnishee() -> None:
    refused(assessed(), B.redress_check(), "CMR-A1")


def test_a_debt_redress_check_not_clear_cannot_be_approved() -> None:
    actioned = submitted().then(B.redress_check(result="NOT_CLEAR"))

    error = refused(actioned, B.approve_redress_check(), "CMR-R9")
    assert "not clear" in error.reason


def test_only_the_operational_leader_approves_the_debt_redress_check_it_actioned() -> None:
    actioned = submitted().then(B.redress_check())

    refused(actioned, B.approve_redress_check(actor=B.case_manager), "CMR-R9")
    refused(actioned, B.approve_redress_check(check_id="DRC-9"), "CMR-R9")
    refused(submitted(), B.approve_redress_check(), "CMR-R9")


# -- C34 PlaceGarnishee (CMR-R9, R11, R14, R15, A9) -----------------------------------------------
def test_an_approved_garnishee_with_a_clear_approved_redress_check_is_placed() -> None:
    scenario = approved().later(hours=1)
    command = B.place_garnishee()

    events = accepted(
        scenario, command, "CMR-R9", "CMR-R10", "CMR-R11", "CMR-R14", "CMR-R15", "CMR-A9", "X-R1"
    )
    placed_ = single(events, GarnisheePlaced)
    assert placed_.notice_date == date(2026, 3, 23)
    assert placed_.warning_relied_on == "Q190 Q190-1 of 2026-03-04"
    garnishee = after(scenario, command).garnishee("G-1")
    assert garnishee is not None
    assert garnishee.placed_on == date(2026, 3, 23)


def test_a_garnishee_is_not_placed_before_its_submission_is_approved() -> None:
    refused(submitted(), B.place_garnishee(), "CMR-R9")
    rejected = submitted().then(B.decide_garnishee(approve=False))
    refused(rejected, B.place_garnishee(), "CMR-R9")


def test_a_garnishee_is_not_placed_until_a_debt_redress_check_is_actioned_and_approved() -> None:
    decided = submitted().then(B.decide_garnishee())

    error = refused(decided, B.place_garnishee(), "CMR-R9")
    assert "Debt Redress Check" in error.reason
    refused(decided.then(B.redress_check()), B.place_garnishee(), "CMR-R9")


def test_a_garnishee_is_placed_only_once() -> None:
    refused(placed(), B.place_garnishee(), "CMR-A1")


def placement_on(day: date, scenario: CaseScenario | None = None) -> CaseScenario:
    return (scenario or approved()).at(datetime.combine(day, time(10), tzinfo=ZONE))


def test_the_garnishee_warning_counts_for_90_days_before_implementation() -> None:
    on_day_90 = placement_on(Q190_ISSUED + timedelta(days=90))
    on_day_91 = placement_on(Q190_ISSUED + timedelta(days=91))

    assert names(accepted(on_day_90, B.place_garnishee(), "CMR-R11")) == ["GarnisheePlaced"]
    error = refused(on_day_91, B.place_garnishee(), "CMR-R11")
    assert "90 days" in error.reason


def test_a_later_verbal_warning_or_q289_renews_the_garnishee_warning() -> None:
    verbal = approved().then_at(at(60, 11), B.discussion(garnishee_warning_given=True))
    q289 = (
        approved()
        .then_at(at(60), B.employment_lead(lead_id="EMP-9"))
        .then(B.q289(letter_id="Q289-9", employment_lead_id="EMP-9"))
    )
    day = Q190_ISSUED + timedelta(days=100)

    assert names(placement_on(day, verbal).when(B.place_garnishee())) == ["GarnisheePlaced"]
    placed_ = single(placement_on(day, q289).when(B.place_garnishee()), GarnisheePlaced)
    assert placed_.warning_relied_on.startswith("Q289 Q289-9")


def test_the_garnishee_warning_validity_is_configurable() -> None:
    day = Q190_ISSUED + timedelta(days=30)
    strict = placement_on(day).configured(config(garnishee_warning_validity_days=28))

    refused(strict, B.place_garnishee(), "CMR-R11")


def test_a_customer_who_retracts_their_refusal_before_the_garnishee_issues_negotiates() -> None:
    scenario = approved().then(B.refusal_retracted())

    error = refused(scenario, B.place_garnishee(), "CMR-R14")
    assert "negotiation resumes" in error.reason


def test_the_customer_is_told_the_garnishee_decision_is_reviewable() -> None:
    refused(approved(), B.place_garnishee(review_rights_advised=False), "CMR-R15")


def test_a_garnishee_notice_allows_14_days_before_payment() -> None:
    today = approved().now.date()

    too_soon = B.place_garnishee(payment_not_before=today + timedelta(days=13))
    error = refused(approved(), too_soon, "CMR-A9")
    assert "s.1233" in error.reason
    in_time = B.place_garnishee(payment_not_before=today + timedelta(days=14))
    assert names(approved().when(in_time)) == ["GarnisheePlaced"]


# -- C35 RecordGarnisheeOutcome -------------------------------------------------------------------
def test_a_garnishee_remittance_is_recorded_and_the_last_one_pays_the_debt_in_full() -> None:
    part = B.garnishee_outcome(remaining_balance=Decimal("4400"))

    remittance = single(accepted(placed(), part), GarnisheeRemittanceRecorded)
    assert remittance.remaining_balance == Decimal("4400")
    assert not after(placed(), part).paid_in_full
    events = accepted(placed().then(part), B.garnishee_outcome())
    assert names(events) == ["GarnisheeRemittanceRecorded", "DebtPaidInFull"]
    assert isinstance(events[1], DebtPaidInFull)
    assert after(placed(), B.garnishee_outcome()).paid_in_full


def test_an_outcome_is_recorded_only_for_a_placed_garnishee() -> None:
    refused(approved(), B.garnishee_outcome(), "CMR-A1")
