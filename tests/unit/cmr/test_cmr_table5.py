"""Table 5 of the case managed recovery procedure: closing (C48-C56, CMR-R18).

The helpers and histories are in ``cmr_support.py``; see its docstring for the timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from cmr_support import (
    CLOSING_STEPS,
    B,
    accepted,
    after,
    closing,
    dpo_in_force,
    investigating,
    names,
    placed,
    referred,
    refused,
    single,
    unsuitable,
)

from recoverycore.aggregates import cmr
from recoverycore.aggregates.cmr import Debt
from recoverycore.events.cmr import (
    ArchiveConsiderationRequested,
    CaseClosed,
    CaseClosureStarted,
    CivilActionEnded,
    OpcvCodingEnded,
)
from recoverycore.testing import CaseScenario, case_builder


# == Table 5: closing (CMR-R18) ===================================================================
def test_a_case_that_exhausted_its_recovery_options_starts_closing() -> None:
    scenario = investigating()

    started = single(accepted(scenario, B.close(), "CMR-R18", "CMR-R17"), CaseClosureStarted)
    assert started.reason == "RECOVERY_OPTIONS_EXHAUSTED"
    state = after(scenario, B.close())
    assert (state.status, state.stage, state.closure_reason) == (
        "CLOSING",
        "CLOSING",
        "RECOVERY_OPTIONS_EXHAUSTED",
    )


UNMET_OUTCOMES: dict[str, Callable[[], CaseScenario]] = {
    "PAID_IN_FULL": investigating,
    "ACCEPTABLE_ARRANGEMENT_SUSTAINED": investigating,
    "LITIGATION_REFERRAL_ACCEPTED": referred,
    "RECOVERY_OPTIONS_EXHAUSTED": B.onboarded,
    "UNASSIGNED_NOT_SUITABLE": investigating,
}


@pytest.mark.parametrize("reason", sorted(UNMET_OUTCOMES))
def test_a_case_closes_only_after_its_outcome_is_achieved(reason: str) -> None:
    error = refused(UNMET_OUTCOMES[reason](), B.close(reason=reason), "CMR-R18")

    assert reason.replace("_", " ").lower() in error.reason


MET_OUTCOMES: dict[str, Callable[[], CaseScenario]] = {
    "PAID_IN_FULL": lambda: placed().then(B.garnishee_outcome()),
    "ACCEPTABLE_ARRANGEMENT_SUSTAINED": B.arranged,
    "LITIGATION_REFERRAL_ACCEPTED": lambda: referred().then(B.decide_litigation()),
    "UNASSIGNED_NOT_SUITABLE": unsuitable,
    "WRITTEN_OFF": investigating,
    "WAIVED": investigating,
    "DECEASED_NO_ESTATE": investigating,
    "BANKRUPT": investigating,
}


@pytest.mark.parametrize("reason", sorted(MET_OUTCOMES))
def test_a_case_with_its_outcome_achieved_starts_closing(reason: str) -> None:
    events = MET_OUTCOMES[reason]().when(B.close(reason=reason))

    assert single(events, CaseClosureStarted).reason == reason


def test_a_closure_for_another_reason_describes_the_outcome() -> None:
    refused(investigating(), B.close(reason="OTHER"), "CMR-R18")
    command = B.close(reason="OTHER", detail="Customer migrated; debt transferred to ATO.")
    assert names(investigating().when(command)) == ["CaseClosureStarted"]


def test_a_case_does_not_close_while_a_dpo_is_in_force() -> None:
    error = refused(dpo_in_force(), B.close(), "CMR-R17")

    assert "revoke" in error.remedy
    revoked = dpo_in_force().then(B.revoke_dpo())
    assert names(revoked.when(B.close())) == ["CaseClosureStarted"]


def test_the_recovery_options_exhausted_fast_note_is_linked_to_its_activity() -> None:
    events = accepted(closing(), B.roe_fast_note(), "CMR-R18")

    assert names(events) == ["RecoveryOptionsExhaustedRecorded"]
    assert after(closing(), B.roe_fast_note()).closure_steps == ("ROE_FAST_NOTE",)


def test_the_roe_fast_note_is_only_for_a_recovery_options_exhausted_closure() -> None:
    paid = placed().then(B.garnishee_outcome()).then(B.close(reason="PAID_IN_FULL"))

    refused(paid, B.roe_fast_note(), "CMR-R18")


@pytest.mark.parametrize("step", sorted(CLOSING_STEPS))
def test_each_closing_step_is_recorded_once(step: str) -> None:
    command, event, done = CLOSING_STEPS[step]

    assert names(accepted(closing(), command(), "CMR-A1")) == [event]
    assert after(closing(), command()).closure_steps == (done,)
    error = refused(closing().then(command()), command(), "CMR-A1")
    assert "already done" in error.reason


def test_the_civil_action_ends_for_the_debts_that_have_one() -> None:
    b = case_builder(
        debts=(
            Debt(debt_id="D-1", balance=Decimal("9000"), civil_action=True),
            Debt(debt_id="D-2", balance=Decimal("3000")),
        )
    )

    ended = single(b.closing().when(b.end_civil_action()), CivilActionEnded)
    assert ended.debt_ids == ("D-1",)


def test_opcv_coding_ends_even_on_debts_with_a_zero_balance() -> None:
    b = case_builder(
        debts=(
            Debt(debt_id="D-1", balance=Decimal("9000")),
            Debt(debt_id="D-2", balance=Decimal("0")),
            Debt(debt_id="D-3", balance=Decimal("50"), opcv_coded=False),
        )
    )

    ended = single(b.closing().when(b.end_opcv_coding()), OpcvCodingEnded)
    assert ended.debt_ids == ("D-1", "D-2")


def test_the_closure_completes_once_every_table_5_step_is_done() -> None:
    scenario = closing().then(B.roe_fast_note())
    for step in B.closing_steps():
        scenario = scenario.then(step)

    closed = single(accepted(scenario, B.complete_closure(), "CMR-R18"), CaseClosed)
    assert closed.completed_steps == ("ROE_FAST_NOTE", *cmr.CLOSURE_STEPS)
    state = after(scenario, B.complete_closure())
    assert (state.status, state.stage, state.is_terminal) == ("CLOSED", "CLOSED", True)


def test_the_closure_is_not_complete_while_a_step_is_missing() -> None:
    error = refused(closing(), B.complete_closure(), "CMR-R18")
    assert "roe fast note" in error.reason
    assert "doa doc expired" in error.reason

    scenario = closing().then(B.roe_fast_note())
    for step in B.closing_steps()[:-1]:
        scenario = scenario.then(step)
    error = refused(scenario, B.complete_closure(), "CMR-R18")
    assert "case file finalised" in error.reason


def test_a_paid_in_full_closure_needs_no_roe_fast_note() -> None:
    scenario = placed().then(B.garnishee_outcome()).then(B.close(reason="PAID_IN_FULL"))
    for step in B.closing_steps():
        scenario = scenario.then(step)

    closed = single(scenario.when(B.complete_closure()), CaseClosed)
    assert closed.completed_steps == cmr.CLOSURE_STEPS


def test_an_srt_case_is_archived_once_closed() -> None:
    assert names(accepted(B.closed(), B.archive(), "CMR-A1")) == ["CaseArchived"]
    assert after(B.closed(), B.archive()).status == "ARCHIVED"


def test_a_closed_trt_case_is_referred_to_the_positional_mailbox_for_archiving() -> None:
    trt = case_builder(team="TRT")

    events = trt.closed().when(trt.archive())
    assert single(events, ArchiveConsiderationRequested).mailbox == "TRT positional mailbox"


def test_only_a_closed_case_is_archived() -> None:
    refused(investigating(), B.archive(), "CMR-A1")
    refused(closing(), B.archive(), "CMR-A1")
