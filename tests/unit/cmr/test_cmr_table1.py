"""Table 1 of the case managed recovery procedure: a new case (C1-C8).

The helpers and histories are in ``cmr_support.py``; see its docstring for the timeline.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from cmr_support import (
    ZONE,
    B,
    accepted,
    after,
    at,
    config,
    names,
    onboarded,
    refused,
    single,
    unsuitable,
)

from recoverycore.aggregates import cmr
from recoverycore.errors import AggregateNotFound
from recoverycore.events import Actor
from recoverycore.events.cmr import (
    CaseAllocated,
    ContactAttempted,
    DoaDocCreated,
    SituationalHardshipSmsExcluded,
    SuitabilityAssessed,
)
from recoverycore.testing import CASE_EPOCH, case_builder


# == Table 1: a new case ==========================================================================
# -- C1 AllocateCase ------------------------------------------------------------------------------
def test_wlm_allocates_the_customer_to_a_case_manager_and_onboarding_starts() -> None:
    events = accepted(B.start(), B.allocate(), "CMR-A2")

    allocated = single(events, CaseAllocated)
    assert allocated.originator_version == 1
    assert (allocated.case_manager_id, allocated.team) == ("CM-3012", "SRT")
    assert allocated.recorded_at == CASE_EPOCH
    state = after(B.start(), B.allocate())
    assert (state.status, state.stage) == ("OPEN", "ONBOARDING")
    assert state.debt_ids == ("D-1", "D-2")


def test_a_case_id_is_allocated_only_once() -> None:
    error = refused(B.allocated(), B.allocate(), "CMR-A2")
    assert str(B.case_id) in error.reason


def test_a_customer_who_is_already_case_managed_is_not_allocated_again() -> None:
    refused(B.start(), B.allocate(already_case_managed=True), "CMR-A1")


def test_a_case_needs_at_least_one_debt() -> None:
    refused(B.start(), B.allocate(debts=()), "CMR-A2")


def test_an_action_dated_after_it_is_recorded_is_refused() -> None:
    scenario = onboarded()

    refused(B.start(), B.allocate(occurred_at=CASE_EPOCH + timedelta(minutes=1)), "CMR-A2")
    refused(scenario, B.capacity_review(occurred_at=scenario.now + timedelta(hours=1)), "CMR-A2")


def test_an_action_recorded_after_it_happened_keeps_when_it_happened() -> None:
    scenario = onboarded().at(at(0, 11))
    called = at(0, 10, 5)

    attempt = single(scenario.when(B.contact_attempt(occurred_at=called)), ContactAttempted)
    assert (attempt.occurred_at, attempt.recorded_at) == (called, at(0, 11))


def test_a_command_for_a_case_never_allocated_finds_no_case() -> None:
    with pytest.raises(AggregateNotFound):
        B.start().when(B.capacity_review())


# -- C2 AssessSuitability -------------------------------------------------------------------------
def test_the_case_manager_finds_the_case_suitable_and_engagement_starts() -> None:
    events = accepted(B.allocated(), B.assess_suitability(), "CMR-R1", "CMR-A8")

    assessed_ = single(events, SuitabilityAssessed)
    assert assessed_.suitable
    assert assessed_.outstanding_balance == Decimal("16000.00")
    assert after(B.allocated(), B.assess_suitability()).stage == "ENGAGEMENT"


def test_an_unsuitable_case_is_recorded_after_discussing_it_with_the_ol() -> None:
    state = after(B.allocated(), B.assess_suitability(suitable=False))

    assert (state.suitable, state.stage) == (False, "ONBOARDING")


def test_an_unsuitable_case_must_be_discussed_with_the_operational_leader() -> None:
    command = B.assess_suitability(suitable=False, discussed_with_ol=None)

    refused(B.allocated(), command, "CMR-R4")


@pytest.mark.parametrize("reasons", [(), ("OK",), ("  ", "Fine")])
def test_a_suitability_assessment_needs_its_reasons(reasons: tuple[str, ...]) -> None:
    refused(B.allocated(), B.assess_suitability(reasons=reasons), "CMR-A8")


def test_an_unsuitable_assessment_records_the_ol_it_was_discussed_with() -> None:
    events = B.allocated().when(B.assess_suitability(suitable=False))

    assert "OL-0107" in str(single(events, SuitabilityAssessed).model_dump())


# -- C3 UnassignCustomer --------------------------------------------------------------------------
def test_the_operational_leader_unassigns_an_unsuitable_customer() -> None:
    events = accepted(unsuitable(), B.unassign(), "CMR-R4", "CMR-A8")

    assert names(events) == ["CustomerUnassigned"]
    state = after(unsuitable(), B.unassign())
    assert (state.status, state.is_terminal) == ("UNASSIGNED", True)


def test_a_litigation_case_manager_unassigns_after_discussing_it_with_the_slo() -> None:
    command = B.unassign(actor=B.litigation_case_manager, discussed_with="SLO-0019")

    assert names(accepted(unsuitable(), command, "CMR-R4")) == ["CustomerUnassigned"]


@pytest.mark.parametrize(
    ("actor", "discussed_with"),
    [
        (B.case_manager, "OL-0107"),
        (B.team_leader, "OL-0107"),
        (B.litigation_case_manager, ""),
        (B.litigation_case_manager, "   "),
    ],
    ids=["case-manager", "team-leader", "lcm-without-slo", "lcm-blank-slo"],
)
def test_only_the_ol_or_a_litigation_case_manager_after_slo_discussion_unassigns(
    actor: Actor, discussed_with: str
) -> None:
    refused(unsuitable(), B.unassign(actor=actor, discussed_with=discussed_with), "CMR-R4")


def test_a_customer_is_unassigned_only_once_the_case_is_found_unsuitable() -> None:
    refused(B.allocated(), B.unassign(), "CMR-R4")
    refused(B.onboarded(), B.unassign(), "CMR-R4")


def test_an_unassignment_needs_its_reasons() -> None:
    refused(unsuitable(), B.unassign(reasons=("Unfit.",)), "CMR-A8")


# -- C4 CreateDoaDoc ------------------------------------------------------------------------------
def test_a_doa_doc_shows_who_manages_the_customer_and_expires_in_five_years() -> None:
    scenario = B.allocated().then(B.assess_suitability())

    doc = single(accepted(scenario, B.create_doa_doc(), "CMR-R1"), DoaDocCreated)
    assert (doc.service_reason, doc.who, doc.source, doc.channel, doc.doc_type) == (
        "DMN",
        "CSO",
        "INT",
        "INT",
        "SCC",
    )
    assert doc.ext_detail == "DO NOT DISCUSS DEBT RECOVERY"
    assert doc.transfer_to == "CLK Case Managed Recoveries"
    assert (doc.receipt_date, doc.expires_on) == (date(2026, 3, 2), date(2031, 3, 2))
    assert after(scenario, B.create_doa_doc()).doa_doc_expires_on == date(2031, 3, 2)


def test_the_doa_doc_validity_is_configurable() -> None:
    scenario = B.allocated().configured(config(doa_doc_validity_years=2))

    assert single(scenario.when(B.create_doa_doc()), DoaDocCreated).expires_on == date(2028, 3, 2)


def test_a_doa_doc_created_on_29_february_expires_on_28_february() -> None:
    leap_day = datetime(2028, 2, 29, 9, 30, tzinfo=ZONE)
    b = case_builder(now=leap_day)

    doc = single(b.allocated().at(leap_day).when(b.create_doa_doc()), DoaDocCreated)
    assert (doc.receipt_date, doc.expires_on) == (date(2028, 2, 29), date(2033, 2, 28))


def test_a_second_doa_doc_is_refused() -> None:
    refused(onboarded(), B.create_doa_doc(doc_id="DOC-2"), "CMR-A1")


# -- C5 ApplyActorRelationship --------------------------------------------------------------------
@pytest.mark.parametrize("role", ["team_leader", "operational_leader"])
def test_a_team_leader_or_operational_leader_applies_the_actor_relationship(role: str) -> None:
    command = B.apply_actor_relationship(actor=getattr(B, role))

    assert names(accepted(B.allocated(), command, "CMR-R3")) == ["ActorRelationshipApplied"]
    assert after(B.allocated(), command).actor_relationship


@pytest.mark.parametrize("role", ["case_manager", "srt_officer", "litigation_case_manager"])
def test_only_a_team_leader_or_operational_leader_applies_the_actor_relationship(
    role: str,
) -> None:
    refused(B.allocated(), B.apply_actor_relationship(actor=getattr(B, role)), "CMR-R3")


def test_the_actor_relationship_needs_an_allocation_group() -> None:
    b = case_builder(allocation_group=None)

    error = refused(b.allocated(), b.apply_actor_relationship(), "CMR-R3")
    assert "allocation group" in error.reason
    state = after(b.allocated(), b.apply_actor_relationship(allocation_group="SRT-NSW-3"))
    assert state.allocation_group == "SRT-NSW-3"


# -- C6 CreateCaseFile, C7 AddCaseFileDocument ----------------------------------------------------
def test_the_case_file_is_created_once() -> None:
    scenario = B.allocated()

    assert names(accepted(scenario, B.create_case_file(), "CMR-R1")) == ["CaseFileCreated"]
    refused(scenario.then(B.create_case_file()), B.create_case_file(), "CMR-A1")


def test_a_document_named_by_the_convention_is_saved_in_the_case_file() -> None:
    command = B.add_document(name="2020-10-01 - CITIZEN, Alex - SRT/TRT referral")

    assert names(accepted(onboarded(), command, "CMR-R2")) == ["CaseFileDocumentAdded"]
    assert after(onboarded(), command).documents == (command.name,)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("Alex Citizen referral.pdf", "does not follow the format"),
        ("2026-03-02 - Citizen, Alex - SRT/TRT referral", "does not follow the format"),
        ("2026-03-02 - CITIZEN, Alex -", "does not follow the format"),
        ("02-03-2026 - CITIZEN, Alex - SRT/TRT referral", "does not follow the format"),
        ("2026-02-30 - CITIZEN, Alex - SRT/TRT referral", "is not a date"),
        ("2026-03-02 - SMITH, Alex - SRT/TRT referral", "surname should be CITIZEN"),
        ("2026-03-02 - CITIZEN, Mary - SRT/TRT referral", "first name should be Alex"),
    ],
)
def test_a_document_not_named_yyyy_mm_dd_surname_first_name_action_is_refused(
    name: str, problem: str
) -> None:
    error = refused(onboarded(), B.add_document(name=name), "CMR-R2")

    assert problem in error.reason
    assert "CITIZEN, Alex" in error.remedy
    assert cmr.document_name_problem(name, B.customer) is not None


def test_a_document_needs_a_case_file_to_go_in() -> None:
    refused(B.allocated(), B.add_document(), "CMR-A1")


# -- C8 ExcludeFromHardshipSms --------------------------------------------------------------------
def test_a_customer_under_recovery_action_is_excluded_from_situational_hardship_sms() -> None:
    excluded = single(
        accepted(onboarded(), B.exclude_from_hardship_sms(), "CMR-R1"),
        SituationalHardshipSmsExcluded,
    )

    assert excluded.attribute == "XCSHSMS"
