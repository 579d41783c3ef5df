"""Table 3, searches and leads (C22-C29, C36-C41): FI and FIE, QSS40, employment leads, Q289,
employer contact, Q609, returned mail, property and Equifax searches, litigation, travel
patterns, and the DPO referral.
"""

from __future__ import annotations

from recoverycore.aggregates.cmr._checks import (
    _contact_allowed,
    _Ctx,
    _debts_known,
    _enforcement,
    _in_case_file,
    _reasons,
    _role,
)
from recoverycore.aggregates.cmr._decide import _handles
from recoverycore.aggregates.cmr.commands import (
    DecideLitigationReferral,
    IssueDataMatchNotificationQ289,
    IssueEmployerRequestQ609,
    IssueThirdPartyNoticeQSS40,
    ProcessReturnedCorrespondence,
    RecordEmployerContactAttempt,
    RecordEmploymentLead,
    RecordEquifaxSearch,
    RecordFiAccountLead,
    RecordPropertySearch,
    RecordTravelPatternAssessment,
    ReferForDpo,
    ReferToSrtLitigation,
    RequestFieInformation,
)
from recoverycore.aggregates.cmr.state import CaseState, EmploymentLead
from recoverycore.aggregates.cmr.table2_contact import _issue_letter
from recoverycore.events.cmr import (
    DpoReferralMade,
    EmployerContactAttempted,
    EmploymentLeadFound,
    EquifaxSearchRecorded,
    FieRequestSent,
    FinancialInstitutionLeadFound,
    LitigationReferralAccepted,
    LitigationReferralDeclined,
    LitigationReferralSent,
    PropertySearchRecorded,
    ReturnedCorrespondenceProcessed,
    TravelPatternAssessed,
)


@_handles(RecordFiAccountLead, "T3.S1")
def _fi_lead(s: CaseState, cmd: RecordFiAccountLead, c: _Ctx) -> None:
    c.d.emit(
        FinancialInstitutionLeadFound,
        institution=cmd.institution,
        account_ref=cmd.account_ref,
        balance=cmd.balance,
    )


@_handles(RequestFieInformation, "T3.S2")
def _fie(s: CaseState, cmd: RequestFieInformation, c: _Ctx) -> None:
    c.d.require(
        cmd.institution.strip().lower() in ("commonwealth bank", "cba"),
        "CMR-A11",
        "The Financial Information Exchange tool is for the Commonwealth Bank only.",
        "Send a QSS40 notice to other financial institutions.",
    )
    c.d.emit(FieRequestSent, account_ref=cmd.account_ref)


@_handles(IssueThirdPartyNoticeQSS40, "T3.S2")
def _qss40(s: CaseState, cmd: IssueThirdPartyNoticeQSS40, c: _Ctx) -> None:
    c.d.require(
        bool(cmd.legislation_cited.strip()),
        "CMR-A5",
        "The QSS40 notice does not record the legislation relied on.",
        "Record the provision (e.g. Part 5 of the Social Security (Administration) Act 1999).",
    )
    _issue_letter(
        c,
        s,
        cmd,
        "QSS40",
        "THIRD_PARTY_NOTICE",
        c.config.contact_letter_response,
        to_customer=False,
        legislation_cited=cmd.legislation_cited,
    )


@_handles(RecordEmploymentLead, "T3.S3")
def _employment_lead(s: CaseState, cmd: RecordEmploymentLead, c: _Ctx) -> None:
    c.d.require(
        cmd.relates_to == "CUSTOMER",
        "CMR-R8",
        "The employment lead relates to the customer's partner, not the customer.",
        "Record only employment information about the customer.",
    )
    c.d.require(
        s.lead(cmd.lead_id) is None,
        "CMR-A2",
        f"Lead id {cmd.lead_id} has been used already.",
        "Give the lead its own id.",
    )
    c.d.emit(
        EmploymentLeadFound,
        lead_id=cmd.lead_id,
        employer_name=cmd.employer_name,
        source=cmd.source,
    )


def _known_lead(c: _Ctx, s: CaseState, lead_id: str) -> EmploymentLead:
    return c.d.required(
        s.lead(lead_id),
        "CMR-A2",
        f"No employment lead {lead_id} is recorded.",
        "Record the employment lead first.",
    )


def _q289_first(c: _Ctx, lead: EmploymentLead, doing: str) -> None:
    c.d.require(
        lead.q289_issued or not lead.source.startswith("DATA_MATCH"),
        "CMR-R6",
        f"The employer came from a data match, so the customer must be sent a Q289 before "
        f"anyone may {doing}.",
        "Issue the Q289 data-match notification to the customer first.",
    )


@_handles(IssueDataMatchNotificationQ289, "T3.S3")
def _q289(s: CaseState, cmd: IssueDataMatchNotificationQ289, c: _Ctx) -> None:
    _known_lead(c, s, cmd.employment_lead_id)
    _issue_letter(
        c,
        s,
        cmd,
        "Q289",
        "DATA_MATCH_NOTIFICATION",
        c.config.contact_letter_response,
        garnishee_warning=True,
        employment_lead_id=cmd.employment_lead_id,
    )


@_handles(RecordEmployerContactAttempt, "T3.S4")
def _employer_contact(s: CaseState, cmd: RecordEmployerContactAttempt, c: _Ctx) -> None:
    d = c.d
    lead = _known_lead(c, s, cmd.lead_id)
    _q289_first(c, lead, "contact the employer")
    d.require(
        not cmd.requested_employment_details,
        "CMR-R7",
        "Employment details must never be requested from an employer by phone.",
        "Request them in writing with a Q609 letter.",
    )
    d.require(
        not cmd.debt_disclosed,
        "CMR-R5",
        "The debt must not be disclosed to the employer.",
        "Ask only to speak to the customer.",
    )
    d.require(
        len(lead.employer_attempts) < 2 and c.today not in lead.employer_attempts,
        "CMR-A12",
        "Two genuine attempts through the employer are made on different days, then the "
        "employer is written to.",
        "Try on another day, or issue the Q609 letter.",
    )
    _contact_allowed(c, s, "PHONE", actual=cmd.outcome == "CUSTOMER_REACHED")
    d.emit(
        EmployerContactAttempted,
        lead_id=cmd.lead_id,
        attempt_no=len(lead.employer_attempts) + 1,
        outcome=cmd.outcome,
        note=cmd.note,
    )


@_handles(IssueEmployerRequestQ609, "T3.S5")
def _q609(s: CaseState, cmd: IssueEmployerRequestQ609, c: _Ctx) -> None:
    d = c.d
    lead = _known_lead(c, s, cmd.employment_lead_id)
    _q289_first(c, lead, "write to the employer")
    d.require(
        cmd.attention.strip().lower() == "attention payroll"
        and cmd.marking.strip().lower() == "private and confidential",
        "CMR-R7",
        "A Q609 is addressed 'Attention Payroll' and marked 'Private and Confidential'.",
        "Address and mark the letter as the procedure says.",
    )
    d.require(
        lead.q609_on is None or (c.today - lead.q609_on).days > c.config.q609_validity_days,
        "CMR-A6",
        "A Q609 confirmed this employment in the last 90 days; no new one is needed.",
        "Rely on the earlier Q609.",
    )
    _issue_letter(
        c,
        s,
        cmd,
        "Q609",
        "EMPLOYER_REQUEST",
        c.config.contact_letter_response,
        to_customer=False,
        attention="Attention Payroll",
        marking="Private and Confidential",
        employment_lead_id=cmd.employment_lead_id,
    )


@_handles(ProcessReturnedCorrespondence, "T3.S6")
def _returned(s: CaseState, cmd: ProcessReturnedCorrespondence, c: _Ctx) -> None:
    c.d.emit(ReturnedCorrespondenceProcessed, outcome=cmd.outcome, detail=cmd.detail)


@_handles(RecordPropertySearch, "T3.S11")
def _rp_data(s: CaseState, cmd: RecordPropertySearch, c: _Ctx) -> None:
    c.d.require(
        cmd.state in c.config.rp_data_states,
        "CMR-R16",
        f"RP Data name searches cover only {', '.join(sorted(c.config.rp_data_states))}, not "
        f"{cmd.state}.",
        "Consider an Equifax search for other states.",
    )
    _in_case_file(c.d, s, cmd.saved_doc_name, "search result")
    c.d.emit(
        PropertySearchRecorded,
        state=cmd.state,
        successful=cmd.successful,
        property_details=cmd.property_details,
        saved_doc_name=cmd.saved_doc_name,
    )


@_handles(RecordEquifaxSearch, "T3.S12")
def _equifax(s: CaseState, cmd: RecordEquifaxSearch, c: _Ctx) -> None:
    outside = cmd.state not in c.config.rp_data_states
    c.d.require(
        (cmd.reason == "STATE_OUTSIDE_RP_DATA" and outside)
        or (cmd.reason == "OTHER_SEARCHES_EXHAUSTED" and bool(s.property_searches)),
        "CMR-R16",
        "An Equifax search is only for a state RP Data does not cover, or after the other "
        "searches (RP Data) are done.",
        "Run the RP Data search first.",
    )
    _in_case_file(c.d, s, cmd.saved_doc_name, "search result")
    c.d.emit(
        EquifaxSearchRecorded,
        successful=cmd.successful,
        new_information=cmd.new_information,
        saved_doc_name=cmd.saved_doc_name,
    )


@_handles(ReferToSrtLitigation, "T3.S13")
def _litigation(s: CaseState, cmd: ReferToSrtLitigation, c: _Ctx) -> None:
    ids = _debts_known(c.d, s, cmd.debt_ids)
    c.d.require(s.litigation is None, "CMR-A1", "A referral has been made already.", "Wait.")
    _enforcement(c.d, s, ids, "refer the debts to litigation")
    _in_case_file(c.d, s, cmd.referral_doc_name, "litigation referral")
    c.d.emit(
        LitigationReferralSent,
        debt_ids=ids,
        referral_doc_name=cmd.referral_doc_name,
        sent_to=cmd.sent_to,
    )


@_handles(DecideLitigationReferral, "T3.S13", case_team=False)
def _litigation_decision(s: CaseState, cmd: DecideLitigationReferral, c: _Ctx) -> None:
    c.d.require(s.litigation == "SENT", "CMR-A1", "No referral awaits a decision.", "Refer.")
    _role(c.d, c.config.litigation_decision_roles, "CMR-A13", "decide a litigation referral")
    _reasons(c.d, "CMR-A8", "decide the litigation referral")
    c.d.emit(LitigationReferralAccepted if cmd.accept else LitigationReferralDeclined)


@_handles(RecordTravelPatternAssessment, "T3.S14")
def _travel(s: CaseState, cmd: RecordTravelPatternAssessment, c: _Ctx) -> None:
    c.d.emit(TravelPatternAssessed, evidence=cmd.evidence, pattern_found=cmd.pattern_found)


@_handles(ReferForDpo, "T3.S15")
def _dpo_referral(s: CaseState, cmd: ReferForDpo, c: _Ctx) -> None:
    c.d.require(
        s.travel_pattern_found,
        "CMR-R17",
        "No pattern of overseas travel has been identified.",
        "Assess the customer's travel pattern first.",
    )
    c.d.emit(DpoReferralMade, referral_to=cmd.referral_to)
