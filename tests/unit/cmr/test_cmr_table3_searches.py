"""Table 3 of the case managed recovery procedure: searches, leads, letters to third parties,
litigation and the DPO referral (C22-C29, C36-C41).

The helpers and histories are in ``cmr_support.py``; see its docstring for the timeline.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cmr_support import (
    B,
    accepted,
    after,
    at,
    config,
    investigating,
    letter,
    names,
    referred,
    refused,
    single,
    with_flag,
    with_lead,
    with_q289,
)

from recoverycore.events.cmr import EmployerContactAttempted
from recoverycore.testing import CaseScenario


# == Table 3: other searches and enforcement ======================================================
# -- C22 RecordFiAccountLead, C23 RequestFieInformation, C24 IssueThirdPartyNoticeQSS40 ----------
def test_a_financial_institution_account_lead_starts_the_investigation() -> None:
    scenario = B.final_option_sent().at(at(3))

    assert names(accepted(scenario, B.fi_lead())) == ["FinancialInstitutionLeadFound"]
    state = after(scenario, B.fi_lead())
    assert (state.fi_leads, state.stage) == (("WBC-***-4411",), "INVESTIGATION")


@pytest.mark.parametrize("institution", ["Commonwealth Bank", "CBA", "  commonwealth bank "])
def test_account_information_is_requested_from_the_commonwealth_bank_through_fie(
    institution: str,
) -> None:
    command = B.fie_request(institution=institution)

    assert names(accepted(investigating(), command, "CMR-A11")) == ["FieRequestSent"]


def test_the_fie_tool_is_only_for_the_commonwealth_bank() -> None:
    error = refused(investigating(), B.fie_request(institution="Westpac"), "CMR-A11")

    assert "QSS40" in error.remedy


def test_a_qss40_notice_cites_its_legislation_and_gives_the_third_party_15_days() -> None:
    issued = letter(accepted(investigating(), B.qss40(), "CMR-A5", "CMR-R5", "X-R10"))

    assert (issued.code, issued.purpose) == ("QSS40", "THIRD_PARTY_NOTICE")
    assert issued.legislation_cited.startswith("s.192")
    assert issued.respond_by == B.day(4).date() + timedelta(days=15)
    assert not issued.counts_as_garnishee_warning
    contacts_before = after(investigating()).contacts
    assert after(investigating(), B.qss40()).contacts == contacts_before


def test_a_qss40_notice_without_the_legislation_relied_on_is_refused() -> None:
    refused(investigating(), B.qss40(legislation_cited=" "), "CMR-A5")


# -- C25 RecordEmploymentLead, C26 Q289, C27 employer contact, C28 Q609 ---------------------------
def test_an_employment_lead_is_recorded_with_its_source() -> None:
    command = B.employment_lead()

    assert names(accepted(investigating(), command, "CMR-R8")) == ["EmploymentLeadFound"]
    [lead] = after(investigating(), command).employment_leads
    assert (lead.lead_id, lead.source, lead.q289_issued) == ("EMP-1", "DATA_MATCH_STP", False)


def test_the_partners_employment_is_not_recorded_as_a_lead() -> None:
    error = refused(investigating(), B.employment_lead(relates_to="PARTNER"), "CMR-R8")

    assert "partner" in error.reason


def test_an_employment_lead_id_is_used_once() -> None:
    refused(with_lead(), B.employment_lead(employer_name="Other Pty Ltd"), "CMR-A2")


def test_a_q289_tells_the_customer_of_the_data_match_and_is_a_garnishee_warning() -> None:
    issued = letter(accepted(with_lead(), B.q289(), "CMR-R5", "X-R10"))

    assert (issued.code, issued.purpose) == ("Q289", "DATA_MATCH_NOTIFICATION")
    assert issued.counts_as_garnishee_warning
    assert issued.employment_lead_id == "EMP-1"
    [lead] = after(with_lead(), B.q289()).employment_leads
    assert lead.q289_issued


def test_a_q289_names_a_recorded_employment_lead() -> None:
    refused(investigating(), B.q289(), "CMR-A2")


@pytest.mark.parametrize("source", ["DATA_MATCH_STP", "DATA_MATCH_TDF"])
def test_no_employer_contact_before_the_q289_for_a_data_match_lead(source: str) -> None:
    scenario = with_lead(source)

    error = refused(scenario, B.employer_contact(), "CMR-R6")
    assert "Q289" in error.remedy
    refused(scenario, B.q609(), "CMR-R6")


@pytest.mark.parametrize("source", ["CUSTOMER_RECORD", "OTHER"])
def test_an_employer_from_the_customers_record_is_contacted_without_a_q289(source: str) -> None:
    scenario = with_lead(source)

    assert names(accepted(scenario, B.employer_contact(), "CMR-R6")) == ["EmployerContactAttempted"]
    assert names(accepted(scenario, B.q609(), "CMR-R6")) == ["LetterIssued"]


def test_after_the_q289_the_customer_is_sought_through_the_employer() -> None:
    events = accepted(with_q289(), B.employer_contact(), "CMR-R6", "CMR-R7", "CMR-R5", "CMR-A12")

    attempt = single(events, EmployerContactAttempted)
    assert (attempt.attempt_no, attempt.outcome) == (1, "NOT_REACHED")
    second = with_q289().then(B.employer_contact()).at(at(6))
    assert single(second.when(B.employer_contact()), EmployerContactAttempted).attempt_no == 2


def test_employment_details_are_never_requested_from_an_employer_by_phone() -> None:
    command = B.employer_contact(requested_employment_details=True)

    error = refused(with_q289(), command, "CMR-R7")
    assert "Q609" in error.remedy


def test_the_debt_is_not_disclosed_to_the_employer() -> None:
    refused(with_q289(), B.employer_contact(debt_disclosed=True), "CMR-R5")


def test_two_genuine_attempts_through_the_employer_are_on_different_days() -> None:
    once = with_q289().then(B.employer_contact())

    refused(once.at(at(5, 15)), B.employer_contact(), "CMR-A12")
    twice = once.at(at(6)).then(B.employer_contact())
    refused(twice.at(at(7)), B.employer_contact(), "CMR-A12")


def test_calls_to_the_employer_keep_to_contact_hours() -> None:
    refused(with_q289().at(at(5, 22)), B.employer_contact(), "X-R6")


def test_a_q609_asks_the_employer_in_writing_attention_payroll_private_and_confidential() -> None:
    issued = letter(accepted(with_q289(), B.q609(), "CMR-R6", "CMR-R7", "CMR-A6", "CMR-R5"))

    assert (issued.code, issued.purpose) == ("Q609", "EMPLOYER_REQUEST")
    assert (issued.attention, issued.marking) == ("Attention Payroll", "Private and Confidential")
    assert issued.respond_by == B.day(5).date() + timedelta(days=15)
    [lead] = after(with_q289(), B.q609()).employment_leads
    assert lead.q609_on == B.day(5).date()


@pytest.mark.parametrize(
    "fields",
    [
        {"attention": ""},
        {"attention": "The Manager"},
        {"marking": ""},
        {"marking": "Urgent"},
    ],
    ids=["no-attention", "wrong-attention", "no-marking", "wrong-marking"],
)
def test_a_q609_not_addressed_and_marked_as_required_is_refused(fields: dict[str, Any]) -> None:
    refused(with_q289(), B.q609(**fields), "CMR-R7")


def test_no_new_q609_within_90_days_of_one_that_confirmed_the_employment() -> None:
    sent = with_q289().then(B.q609())
    sent_on = B.day(5)

    again = B.q609(letter_id="Q609-2")
    refused(sent.at(sent_on + timedelta(days=90)), again, "CMR-A6")
    assert names(sent.at(sent_on + timedelta(days=91)).when(again)) == ["LetterIssued"]


def test_a_q609_still_goes_to_an_employer_of_a_customer_with_an_fdv_flag() -> None:
    scenario = with_flag("FDV_IMMEDIATE_THREAT", with_q289())

    assert names(scenario.when(B.q609())) == ["LetterIssued"]


# -- C29 ProcessReturnedCorrespondence ------------------------------------------------------------
def test_returned_correspondence_is_reviewed_and_recorded() -> None:
    command = B.returned_correspondence()

    assert names(accepted(investigating(), command)) == ["ReturnedCorrespondenceProcessed"]


# -- C36 RecordPropertySearch / C37 RecordEquifaxSearch (CMR-R16) ---------------------------------
def searched(action: str = "RP Data search") -> CaseScenario:
    return investigating().then(B.search_document(action))


@pytest.mark.parametrize("state", ["VIC", "NSW", "QLD", "WA"])
def test_an_rp_data_name_search_covers_vic_nsw_qld_and_wa(state: str) -> None:
    command = B.property_search(state=state)

    assert names(accepted(searched(), command, "CMR-R16", "CMR-A7")) == ["PropertySearchRecorded"]
    assert after(searched(), command).property_searches == (state,)


@pytest.mark.parametrize("state", ["SA", "TAS", "ACT", "NT"])
def test_no_rp_data_name_search_for_other_states(state: str) -> None:
    error = refused(searched(), B.property_search(state=state), "CMR-R16")

    assert "Equifax" in error.remedy


def test_the_rp_data_states_are_configurable() -> None:
    scenario = searched().configured(config(rp_data_states=frozenset({"VIC", "NSW", "SA"})))

    assert names(scenario.when(B.property_search(state="SA")))
    refused(scenario, B.property_search(state="QLD"), "CMR-R16")


def test_a_property_search_result_is_saved_in_the_case_file() -> None:
    refused(investigating(), B.property_search(), "CMR-A7")


def test_an_equifax_search_covers_a_state_outside_rp_data() -> None:
    scenario = searched("Equifax search")

    assert names(accepted(scenario, B.equifax_search(), "CMR-R16")) == ["EquifaxSearchRecorded"]
    refused(scenario, B.equifax_search(state="NSW"), "CMR-R16")


def test_an_equifax_search_in_an_rp_data_state_follows_the_rp_data_search() -> None:
    command = B.equifax_search(state="NSW", reason="OTHER_SEARCHES_EXHAUSTED")
    scenario = searched().then(B.search_document("Equifax search"))

    refused(scenario, command, "CMR-R16")
    assert names(scenario.then(B.property_search()).when(command)) == ["EquifaxSearchRecorded"]


def test_an_equifax_search_result_is_saved_in_the_case_file() -> None:
    refused(investigating(), B.equifax_search(), "CMR-A7")


# -- C38 ReferToSrtLitigation / C39 DecideLitigationReferral --------------------------------------
def test_a_litigation_referral_saved_in_the_case_file_goes_to_the_positional_mailbox() -> None:
    scenario = investigating().then(B.referral_document())

    events = accepted(scenario, B.refer_to_litigation(), "CMR-A7", "X-R1", "X-R3")
    assert names(events) == ["LitigationReferralSent"]
    state = after(scenario, B.refer_to_litigation())
    assert (state.litigation, state.stage) == ("SENT", "LITIGATION_REFERRED")


def test_a_litigation_referral_not_saved_in_the_case_file_is_refused() -> None:
    refused(investigating(), B.refer_to_litigation(), "CMR-A7")


def test_a_litigation_referral_names_debts_of_the_case_and_is_made_once() -> None:
    refused(investigating(), B.refer_to_litigation(debt_ids=("D-5",)), "CMR-A2")
    refused(referred(), B.refer_to_litigation(), "CMR-A1")


@pytest.mark.parametrize("accept", [True, False])
@pytest.mark.parametrize("decider", ["senior_litigation_officer", "litigation_case_manager"])
def test_srt_litigation_accepts_or_declines_a_referral(accept: bool, decider: str) -> None:
    command = B.decide_litigation(actor=getattr(B, decider), accept=accept)

    events = accepted(referred(), command, "CMR-A13", "CMR-A8")
    expected = "LitigationReferralAccepted" if accept else "LitigationReferralDeclined"
    assert names(events) == [expected]
    assert after(referred(), command).litigation == ("ACCEPTED" if accept else "DECLINED")


def test_only_srt_litigation_decides_a_referral_with_reasons() -> None:
    refused(referred(), B.decide_litigation(actor=B.operational_leader), "CMR-A13")
    refused(referred(), B.decide_litigation(reasons=()), "CMR-A8")
    refused(investigating(), B.decide_litigation(), "CMR-A1")


# -- C40 RecordTravelPatternAssessment / C41 ReferForDpo ------------------------------------------
def test_a_travel_pattern_found_leads_to_a_dpo_referral() -> None:
    scenario = investigating()

    assert names(accepted(scenario, B.travel_pattern())) == ["TravelPatternAssessed"]
    with_pattern = scenario.then(B.travel_pattern())
    assert names(accepted(with_pattern, B.refer_for_dpo(), "CMR-R17")) == ["DpoReferralMade"]
    state = after(with_pattern, B.refer_for_dpo())
    assert (state.dpo_referred, state.stage) == (True, "DPO_TRACK")


def test_no_dpo_referral_without_an_identified_travel_pattern() -> None:
    refused(investigating(), B.refer_for_dpo(), "CMR-R17")
    no_pattern = investigating().then(B.travel_pattern(pattern_found=False))
    refused(no_pattern, B.refer_for_dpo(), "CMR-R17")
