"""Table 4 of the case managed recovery procedure: the SRT Officer's DPO steps (C42-C47,
CMR-R17).

The helpers and histories are in ``cmr_support.py``; see its docstring for the timeline.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from cmr_support import (
    ZONE,
    B,
    accepted,
    after,
    at,
    config,
    contacted,
    dpo_delivered,
    dpo_in_force,
    dpo_referred,
    dpo_warned,
    investigating,
    letter,
    names,
    refused,
    single,
)

from recoverycore.aggregates.cmr import DayCount
from recoverycore.events.cmr import (
    DacIssued,
    DpoMade,
    DpoNotified,
    DpoRevoked,
    DpoWarningDelivered,
    DpoWarningNotDelivered,
)


# == Table 4: the SRT Officer's DPO steps (CMR-R17) ===============================================
# -- C42 IssueDpoWarning --------------------------------------------------------------------------
def test_the_srt_officer_issues_a_tracked_dpo_warning_with_23_days_to_respond() -> None:
    events = accepted(dpo_referred(), B.dpo_warning(), "CMR-A13", "CMR-R17", "X-R1", "CMR-R5")

    warning = letter(events)
    assert (warning.code, warning.purpose) == ("Q190", "DPO_WARNING")
    assert warning.response_period == DayCount(days=23)
    assert warning.respond_by == date(2026, 4, 3)
    assert warning.tracking_id == "AP-7781-DPO"
    assert warning.counts_as_garnishee_warning
    state = after(dpo_referred(), B.dpo_warning())
    assert state.stage == "DPO_TRACK"
    dpo_warning = state.dpo_warning()
    assert dpo_warning is not None
    assert dpo_warning.respond_by == date(2026, 4, 3)


def test_the_same_q190_gives_15_days_as_a_final_option_and_23_as_a_dpo_warning() -> None:
    final_option = letter(contacted().when(B.q190()))
    dpo = letter(dpo_referred().when(B.dpo_warning()))

    assert final_option.code == dpo.code == "Q190"
    assert (final_option.response_period.days, dpo.response_period.days) == (15, 23)
    assert final_option.respond_by - final_option.occurred_at.date() == timedelta(days=15)
    assert dpo.respond_by - dpo.occurred_at.date() == timedelta(days=23)


@pytest.mark.parametrize("role", ["case_manager", "operational_leader"])
def test_only_the_srt_officer_issues_a_dpo_warning(role: str) -> None:
    refused(dpo_referred(), B.dpo_warning(actor=getattr(B, role)), "CMR-A13")


def test_no_dpo_warning_before_the_dpo_referral() -> None:
    with_pattern = investigating().then(B.travel_pattern())

    error = refused(with_pattern, B.dpo_warning(), "CMR-R17")
    assert "referred" in error.reason


def test_a_dpo_warning_goes_by_a_tracked_article() -> None:
    refused(dpo_referred(), B.dpo_warning(tracking_id=""), "CMR-R17")


def test_a_dpo_warning_safeguards_privacy_and_states_review_rights() -> None:
    refused(dpo_referred(), B.dpo_warning(address_confirmed=False), "CMR-R5")
    refused(dpo_referred(), B.dpo_warning(includes_review_rights=False), "X-R10")


# -- C43 ConfirmDpoWarningDelivery ----------------------------------------------------------------
def test_delivery_of_the_dpo_warning_is_confirmed_after_14_days() -> None:
    scenario = dpo_warned().at(at(23))

    delivered = single(
        accepted(scenario, B.confirm_dpo_delivery(), "CMR-A13", "CMR-R17"), DpoWarningDelivered
    )
    assert (delivered.tracking_id, delivered.checked_on) == ("AP-7781-DPO", date(2026, 3, 25))
    warning = after(scenario, B.confirm_dpo_delivery()).dpo_warning()
    assert warning is not None
    assert warning.delivered is True


def test_delivery_is_not_checked_before_14_days_have_passed() -> None:
    error = refused(dpo_warned().at(at(22, 16)), B.confirm_dpo_delivery(), "CMR-R17")

    assert "2026-03-25" in error.reason


def test_an_undelivered_dpo_warning_is_recorded_and_no_dpo_follows() -> None:
    command = B.confirm_dpo_delivery(delivered=False, tracking_status="Awaiting collection")
    scenario = dpo_warned().at(at(23))

    not_delivered = single(accepted(scenario, command), DpoWarningNotDelivered)
    assert not_delivered.tracking_status == "Awaiting collection"
    refused(scenario.then(command).at(at(40)), B.make_dpo(), "CMR-R17")


def test_only_the_srt_officer_confirms_delivery_of_a_dpo_warning() -> None:
    refused(dpo_warned().at(at(23)), B.confirm_dpo_delivery(actor=B.case_manager), "CMR-A13")


def test_delivery_is_confirmed_only_for_a_dpo_warning() -> None:
    scenario = dpo_warned().at(at(23))

    refused(scenario, B.confirm_dpo_delivery(letter_id="Q190-1"), "CMR-R17")
    refused(scenario, B.confirm_dpo_delivery(letter_id="Q190-X"), "CMR-R17")


def test_the_delivery_wait_is_configurable_in_business_days() -> None:
    five_business_days = config(dpo_delivery_check_after=DayCount(days=5, unit="BUSINESS"))
    scenario = dpo_warned().configured(five_business_days)

    refused(
        scenario.at(datetime(2026, 3, 17, 16, tzinfo=ZONE)), B.confirm_dpo_delivery(), "CMR-R17"
    )
    wednesday = scenario.at(datetime(2026, 3, 18, 10, tzinfo=ZONE))
    assert names(wednesday.when(B.confirm_dpo_delivery())) == ["DpoWarningDelivered"]


def test_a_business_day_delivery_wait_skips_public_holidays() -> None:
    five_business_days = config(dpo_delivery_check_after=DayCount(days=5, unit="BUSINESS"))
    scenario = dpo_warned().configured(five_business_days).with_holidays(date(2026, 3, 16))

    wednesday = scenario.at(datetime(2026, 3, 18, 10, tzinfo=ZONE))
    refused(wednesday, B.confirm_dpo_delivery(), "CMR-R17")


# -- C44 MakeDpo ----------------------------------------------------------------------------------
def test_the_delegate_makes_a_dpo_once_the_warning_is_delivered_and_its_23_days_are_over() -> None:
    scenario = dpo_delivered().at(datetime(2026, 4, 4, 10, tzinfo=ZONE))

    made = single(accepted(scenario, B.make_dpo(), "CMR-R17", "CMR-A8", "X-R1"), DpoMade)
    assert (made.dpo_id, made.debt_ids, made.made_on) == ("DPO-1", ("D-1", "D-2"), date(2026, 4, 4))
    assert made.considerations.time_unpaid == "Debts unpaid since 2022."
    state = after(scenario, B.make_dpo())
    assert (state.dpo_id, state.dpo_active) == ("DPO-1", True)


def test_no_dpo_while_the_customer_may_still_respond_to_the_warning() -> None:
    on_the_last_day = dpo_delivered().at(datetime(2026, 4, 3, 16, tzinfo=ZONE))

    error = refused(on_the_last_day, B.make_dpo(), "CMR-R17")
    assert "2026-04-03" in error.reason


@pytest.mark.parametrize("role", ["operational_leader", "srt_officer", "case_manager"])
def test_only_a_dpo_delegate_makes_a_dpo(role: str) -> None:
    scenario = dpo_delivered().at(at(33))

    refused(scenario, B.make_dpo(actor=getattr(B, role)), "CMR-R17")


def test_no_dpo_without_a_delivered_warning() -> None:
    refused(dpo_warned().at(at(33)), B.make_dpo(), "CMR-R17")
    refused(dpo_referred().at(at(33)), B.make_dpo(), "CMR-R17")


def test_no_dpo_while_a_satisfactory_arrangement_is_in_place() -> None:
    scenario = dpo_delivered().then(B.acceptable_arrangement()).at(at(33))

    error = refused(scenario, B.make_dpo(), "CMR-R17")
    assert "arrangement" in error.reason


def test_a_dpo_decision_records_its_reasons() -> None:
    refused(dpo_delivered().at(at(33)), B.make_dpo(reasons=()), "CMR-A8")


def test_a_dpo_names_debts_of_the_case_and_only_one_is_in_force() -> None:
    refused(dpo_delivered().at(at(33)), B.make_dpo(debt_ids=("D-3",)), "CMR-A2")
    refused(dpo_in_force(), B.make_dpo(dpo_id="DPO-2"), "CMR-A1")


# -- C45 NotifyDpo --------------------------------------------------------------------------------
def test_a_dpo_is_notified_to_the_customer_and_home_affairs() -> None:
    notified = single(accepted(dpo_in_force(), B.notify_dpo(), "CMR-R17"), DpoNotified)

    assert notified.recipients == ("CUSTOMER", "HOME_AFFAIRS")


def test_home_affairs_gets_no_copy_for_an_australian_citizen() -> None:
    command = B.notify_dpo(recipients=("CUSTOMER",), australian_citizen=True)

    assert names(dpo_in_force().when(command)) == ["DpoNotified"]


@pytest.mark.parametrize(
    "recipients",
    [("CUSTOMER",), ("HOME_AFFAIRS",), ()],
    ids=["no-home-affairs", "no-customer", "none"],
)
def test_a_non_citizen_and_home_affairs_must_both_be_notified(recipients: tuple[str, ...]) -> None:
    command = B.notify_dpo(recipients=recipients)

    error = refused(dpo_in_force(), command, "CMR-R17")
    assert "Home Affairs" in error.reason


def test_the_srt_officer_may_notify_a_dpo_but_not_the_case_manager() -> None:
    assert names(dpo_in_force().when(B.notify_dpo(actor=B.srt_officer))) == ["DpoNotified"]
    refused(dpo_in_force(), B.notify_dpo(actor=B.case_manager), "CMR-R17")


def test_only_a_dpo_in_force_is_notified() -> None:
    refused(dpo_in_force(), B.notify_dpo(dpo_id="DPO-9"), "CMR-A1")
    refused(dpo_delivered(), B.notify_dpo(), "CMR-A1")


# -- C46 VaryDpo / RevokeDpo ----------------------------------------------------------------------
def test_the_delegate_varies_a_dpo_with_reasons() -> None:
    assert names(accepted(dpo_in_force(), B.vary_dpo(), "CMR-R17", "CMR-A8")) == ["DpoVaried"]
    refused(dpo_in_force(), B.vary_dpo(reasons=()), "CMR-A8")
    refused(dpo_in_force(), B.vary_dpo(actor=B.operational_leader), "CMR-R17")


@pytest.mark.parametrize(
    "ground", ["PAID", "SATISFACTORY_ARRANGEMENT", "IRRECOVERABLE", "DISCRETION"]
)
def test_the_delegate_revokes_a_dpo(ground: str) -> None:
    command = B.revoke_dpo(ground=ground)

    revoked = single(accepted(dpo_in_force(), command, "CMR-R17"), DpoRevoked)
    assert revoked.ground == ground
    assert not after(dpo_in_force(), command).dpo_active


def test_a_revoked_dpo_is_no_longer_in_force() -> None:
    revoked = dpo_in_force().then(B.revoke_dpo())

    refused(revoked, B.revoke_dpo(), "CMR-A1")
    refused(revoked, B.vary_dpo(), "CMR-A1")
    refused(dpo_in_force(), B.revoke_dpo(actor=B.srt_officer), "CMR-R17")


# -- C47 DecideDac --------------------------------------------------------------------------------
def test_the_delegate_grants_or_refuses_a_departure_authorisation_certificate() -> None:
    issued = single(accepted(dpo_in_force(), B.decide_dac(), "CMR-R17"), DacIssued)
    assert (issued.departs_on, issued.returns_by) == (date(2026, 5, 1), date(2026, 5, 15))
    assert names(dpo_in_force().when(B.decide_dac(grant=False))) == ["DacRefused"]


def test_a_dac_needs_a_return_after_the_departure_and_a_dpo_in_force() -> None:
    same_day = B.decide_dac(returns_by=date(2026, 5, 1))

    refused(dpo_in_force(), same_day, "CMR-A2")
    refused(dpo_delivered(), B.decide_dac(), "CMR-A1")
    refused(dpo_in_force(), B.decide_dac(reasons=()), "CMR-A8")
