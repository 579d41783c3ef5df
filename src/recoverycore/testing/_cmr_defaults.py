"""The defaults of every case command: valid commands for one case, every field overridable.

:class:`CaseCommandDefaults` holds one method per command (named as the procedure's step, e.g.
``allocate`` for C1, ``q190`` for C13), each a dict of defaults merged with the keyword overrides,
and one entry point over all of them, ``build(cls, **overrides)``, driven by the table
:data:`DEFAULT_BUILDERS` (command type -> its builder method), which is derived from the methods'
return types. :class:`~recoverycore.testing.CaseBuilder` adds the histories.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar, cast, get_type_hints
from uuid import UUID
from zoneinfo import ZoneInfo

from recoverycore.aggregates import cmr
from recoverycore.aggregates.cmr import (
    CaseCommand,
    CaseConfig,
    ContactCalendar,
    CustomerName,
    Debt,
    DpoConsiderations,
    GarnisheeChecklist,
)
from recoverycore.events import Actor, ApsLevel, Role
from recoverycore.testing._shared import EPOCH, staff

__all__ = ["DEFAULT_BUILDERS", "CaseCommandDefaults", "case_staff"]

_DEMO_CASE = UUID("00000000-0000-4000-8000-0000000000c1")
_C = TypeVar("_C", bound=CaseCommand)


def case_staff(
    role: Role,
    staff_id: str | None = None,
    aps_level: ApsLevel = "APS5",
    team: str = "SRT",
) -> Actor:
    """:func:`~recoverycore.testing.staff`, in the Specialist Recovery Team unless told."""
    return staff(role, staff_id, aps_level, team)


class CaseCommandDefaults:
    """Valid commands for one case, every field overridable (see
    :class:`~recoverycore.testing.CaseBuilder` for the arguments and the actors)."""

    def __init__(
        self,
        case_id: UUID = _DEMO_CASE,
        *,
        now: datetime = EPOCH,
        config: CaseConfig | None = None,
        calendar: ContactCalendar | None = None,
        customer: CustomerName | None = None,
        team: str = "SRT",
        debts: tuple[Debt, ...] | None = None,
        sms_subscribed: bool = False,
        allocation_group: str | None = "SRT-NSW-3",
    ) -> None:
        self.case_id = case_id
        self.now = now
        self.config = config or CaseConfig()
        self.calendar = calendar or ContactCalendar()
        self.zone = ZoneInfo(self.config.time_zone)
        self.customer = customer or CustomerName(surname="Citizen", first_name="Alex")
        self.team = team
        self.debts = debts or (
            Debt(debt_id="D-1", balance=Decimal("12400.00")),
            Debt(debt_id="D-2", balance=Decimal("3600.00")),
        )
        self.sms_subscribed = sms_subscribed
        self.allocation_group = allocation_group
        self.case_manager = case_staff(Role.CASE_MANAGER, "CM-3012", "APS5", team)
        self.team_leader = case_staff(Role.TEAM_LEADER, "TL-0440", "APS6", team)
        self.operational_leader = case_staff(Role.OPERATIONAL_LEADER, "OL-0107", "EL1", team)
        self.srt_officer = case_staff(Role.SRT_OFFICER, "SRTO-0210", "APS4", team)
        self.litigation_case_manager = case_staff(
            Role.LITIGATION_CASE_MANAGER, "LCM-0508", "APS5", team
        )
        self.senior_litigation_officer = case_staff(
            Role.SENIOR_LITIGATION_OFFICER, "SLO-0019", "EL1", team
        )
        self.debt_staff = case_staff(Role.DEBT_STAFF, "DS-0600", "APS5", "Debt Recovery")
        self.dpo_delegate = case_staff(Role.DPO_DELEGATE, "DEL-0031", "EL2", "DPO delegates")
        self.social_worker = case_staff(Role.SOCIAL_WORKER, "SW-0077", "APS5", "Social Work")
        # Individual case allocation by the team leader (S-CMR T1.S2); WLM is not a role.
        self.allocator = self.team_leader
        self.address = "7 Banksia Rd, Penrith NSW 2750"
        self.mobile = "0413 555 010"

    # -- helpers ----------------------------------------------------------------------------------
    @property
    def debt_ids(self) -> tuple[str, ...]:
        return tuple(d.debt_id for d in self.debts)

    @property
    def first_debt(self) -> str:
        return self.debts[0].debt_id

    def day(self, n: int, hour: int = 10, minute: int = 0) -> datetime:
        """The builder's start date plus ``n`` days, at ``hour:minute`` in local time."""
        start = self.now.astimezone(self.zone).date()
        return datetime.combine(start + timedelta(days=n), time(hour, minute), tzinfo=self.zone)

    def doc_name(self, action: str, on: date | None = None) -> str:
        """A case-file document name in the required form (CMR-R2)."""
        when = on or self.now.astimezone(self.zone).date()
        surname, first = self.customer.surname.upper(), self.customer.first_name
        return f"{when.isoformat()} - {surname}, {first} - {action}"

    def checklist(self, **kw: Any) -> GarnisheeChecklist:
        """A garnishee checklist on which every [OB-GAR] precondition holds (CMR-R10)."""
        fields: dict[str, Any] = {
            "debts_due_and_payable": True,
            "employment_or_bank_details_verified": True,
            "bank_balance": Decimal("8200.00"),
            "reasonable_contact_effort": True,
            "letter_periods_expired": True,
            "causes_financial_hardship": False,
            "failed_or_broke_reasonable_arrangement_or_nondisclosure": True,
            "vulnerabilities_considered": True,
        }
        return GarnisheeChecklist.model_validate({**fields, **kw})

    def considerations(self, **kw: Any) -> DpoConsiderations:
        """The matters a DPO delegate must have regard to (SSAct s.1240)."""
        fields: dict[str, Any] = {
            "capacity_to_pay": "Employed full time; FCA shows $180 a fortnight excess income.",
            "recovery_actions_and_outcomes": "Q190 ignored; refused any arrangement.",
            "time_unpaid": "Debts unpaid since 2022.",
        }
        return DpoConsiderations.model_validate({**fields, **kw})

    def _make(self, cls: type[_C], defaults: dict[str, Any], kw: dict[str, Any]) -> _C:
        fields = {"case_id": self.case_id, "actor": self.case_manager, **defaults, **kw}
        return cls.model_validate(fields)

    def command(self, cls: type[_C], **kw: Any) -> _C:
        """Any command, with this case's id and the case manager as actor."""
        return self._make(cls, {}, kw)

    def _letter(self, letter_id: str) -> dict[str, Any]:
        return {
            "letter_id": letter_id,
            "address": self.address,
            "address_confirmed": True,
            "privacy_safeguarded": True,
        }

    # -- Table 1: new case ------------------------------------------------------------------------
    def allocate(self, **kw: Any) -> cmr.AllocateCase:
        """C1."""
        defaults: dict[str, Any] = {
            "actor": self.allocator,
            "crn": "311 204 557J",
            "customer": self.customer,
            "team": self.team,
            "case_manager_id": self.case_manager.staff_id,
            "allocation_source": "WLM_READY",
            "allocation_group": self.allocation_group,
            "debts": self.debts,
            "sms_subscribed": self.sms_subscribed,
        }
        return self._make(cmr.AllocateCase, defaults, kw)

    def assess_suitability(self, **kw: Any) -> cmr.AssessSuitability:
        """C2 (suitable unless overridden; an unsuitable case names the OL it was discussed
        with)."""
        defaults: dict[str, Any] = {
            "suitable": True,
            "benefit_status": "Not current",
            "permanently_written_off": False,
            "outstanding_balance": sum((d.balance for d in self.debts), Decimal(0)),
            "already_case_managed_elsewhere": False,
            "reasons": ("High value debts; employed; no arrangement since 2024.",),
        }
        if kw.get("suitable") is False:
            defaults["discussed_with_ol"] = self.operational_leader.staff_id
            defaults["reasons"] = ("Debts are being written off; not suited to case management.",)
        return self._make(cmr.AssessSuitability, defaults, kw)

    def unassign(self, **kw: Any) -> cmr.UnassignCustomer:
        """C3, by the OL."""
        defaults: dict[str, Any] = {
            "actor": self.operational_leader,
            "reasons": ("Discussed with the case manager: not suitable for case management.",),
        }
        return self._make(cmr.UnassignCustomer, defaults, kw)

    def create_doa_doc(self, **kw: Any) -> cmr.CreateDoaDoc:
        """C4."""
        return self._make(cmr.CreateDoaDoc, {"doc_id": "DOC-55120"}, kw)

    def apply_actor_relationship(self, **kw: Any) -> cmr.ApplyActorRelationship:
        """C5, by the TL."""
        return self._make(cmr.ApplyActorRelationship, {"actor": self.team_leader}, kw)

    def create_case_file(self, **kw: Any) -> cmr.CreateCaseFile:
        """C6."""
        return self._make(cmr.CreateCaseFile, {"location": "SRT share/311204557J"}, kw)

    def add_document(self, **kw: Any) -> cmr.AddCaseFileDocument:
        """C7: the SRT/TRT referral, unless overridden."""
        defaults = {"name": self.doc_name("SRT/TRT referral"), "document_type": "REFERRAL"}
        return self._make(cmr.AddCaseFileDocument, defaults, kw)

    def exclude_from_hardship_sms(self, **kw: Any) -> cmr.ExcludeFromHardshipSms:
        """C8."""
        return self._make(cmr.ExcludeFromHardshipSms, {}, kw)

    # -- Table 2: outbound contact and discussion -------------------------------------------------
    def capacity_review(self, **kw: Any) -> cmr.RecordCapacityReview:
        """C9."""
        defaults = {"capacity_indicators": ("PAYG income in STP data",)}
        return self._make(cmr.RecordCapacityReview, defaults, kw)

    def pre_call_sms(self, **kw: Any) -> cmr.SendPreCallSms:
        """C10."""
        return self._make(cmr.SendPreCallSms, {"mobile_number": self.mobile}, kw)

    def contact_attempt(self, **kw: Any) -> cmr.RecordContactAttempt:
        """C11: an unanswered call, unless overridden."""
        defaults: dict[str, Any] = {
            "channel": "PHONE",
            "number": self.mobile,
            "outcome": "NO_ANSWER",
            "note": f"Called {self.mobile}; no answer; no voicemail left.",
        }
        return self._make(cmr.RecordContactAttempt, defaults, kw)

    def q164(self, **kw: Any) -> cmr.IssueContactLetterQ164:
        """C12."""
        return self._make(cmr.IssueContactLetterQ164, self._letter("Q164-1"), kw)

    def q190(self, **kw: Any) -> cmr.IssueFinalOptionLetterQ190:
        """C13."""
        return self._make(cmr.IssueFinalOptionLetterQ190, self._letter("Q190-1"), kw)

    def discussion(self, **kw: Any) -> cmr.RecordDiscussion:
        """C14: an inbound call with the customer's identity confirmed."""
        defaults: dict[str, Any] = {
            "direction": "INBOUND",
            "identity_confirmed": True,
            "summary": "Discussed the balance and repayment options.",
        }
        return self._make(cmr.RecordDiscussion, defaults, kw)

    def request_review(self, **kw: Any) -> cmr.RequestExplanationOrReview:
        """C15: the customer asks for a review of the first debt."""
        defaults: dict[str, Any] = {
            "pause_id": "P-1",
            "debt_ids": (self.first_debt,),
            "kind": "REVIEW",
        }
        return self._make(cmr.RequestExplanationOrReview, defaults, kw)

    def pause(self, **kw: Any) -> cmr.PauseRecovery:
        """A documented recovery pause of the first debt (a declared disaster: DIS)."""
        defaults: dict[str, Any] = {
            "pause_id": "P-1",
            "debt_ids": (self.first_debt,),
            "reason": "DISASTER",
            "reasons": ("The customer lives in a declared disaster area (DIS pause).",),
        }
        return self._make(cmr.PauseRecovery, defaults, kw)

    def resume(self, **kw: Any) -> cmr.ResumeRecovery:
        """End a recovery pause."""
        defaults: dict[str, Any] = {
            "pause_id": "P-1",
            "reasons": ("The review decision affirmed the debt.",),
        }
        return self._make(cmr.ResumeRecovery, defaults, kw)

    def acceptable_arrangement(self, **kw: Any) -> cmr.RecordAcceptableArrangement:
        """C16."""
        defaults = {"amount": Decimal("150"), "frequency": "FORTNIGHTLY"}
        return self._make(cmr.RecordAcceptableArrangement, defaults, kw)

    def fca(self, **kw: Any) -> cmr.RecordFinancialCircumstanceAssessment:
        """C17: $180 a fortnight excess income, no hardship."""
        defaults: dict[str, Any] = {
            "fca_id": "FCA-1",
            "excess_income_per_fortnight": Decimal("180"),
            "financial_hardship": False,
        }
        return self._make(cmr.RecordFinancialCircumstanceAssessment, defaults, kw)

    def interim_arrangement(self, **kw: Any) -> cmr.RecordInterimArrangement:
        """C18."""
        defaults = {"amount": Decimal("60"), "frequency": "FORTNIGHTLY"}
        return self._make(cmr.RecordInterimArrangement, defaults, kw)

    def arrangement_broken(self, **kw: Any) -> cmr.RecordArrangementBroken:
        """A missed payment breaks the arrangement."""
        defaults = {"detail": "Two fortnightly payments missed."}
        return self._make(cmr.RecordArrangementBroken, defaults, kw)

    def callback(self, **kw: Any) -> cmr.RecordCallbackAgreed:
        """C19: a callback a week after the builder's start, unless overridden."""
        defaults = {"callback_on": self.day(7).date()}
        return self._make(cmr.RecordCallbackAgreed, defaults, kw)

    def refusal(self, **kw: Any) -> cmr.RecordRefusal:
        """C20."""
        defaults = {"detail": "Refused to enter any repayment arrangement."}
        return self._make(cmr.RecordRefusal, defaults, kw)

    def refusal_retracted(self, **kw: Any) -> cmr.RecordRefusalRetracted:
        """CMR-R14: the customer now wants to negotiate."""
        defaults = {"detail": "Rang back and asked to discuss an arrangement."}
        return self._make(cmr.RecordRefusalRetracted, defaults, kw)

    def declare_not_reasonable(self, **kw: Any) -> cmr.DeclareArrangementNotReasonable:
        """C21, by the APS 5 case manager."""
        defaults: dict[str, Any] = {
            "reasons": ("$5 a fortnight would take 90 years; FCA shows $180 excess income.",),
        }
        return self._make(cmr.DeclareArrangementNotReasonable, defaults, kw)

    # -- Table 3: other searches and enforcement --------------------------------------------------
    def fi_lead(self, **kw: Any) -> cmr.RecordFiAccountLead:
        """C22."""
        defaults: dict[str, Any] = {
            "institution": "Westpac",
            "account_ref": "WBC-***-4411",
            "balance": Decimal("8200.00"),
        }
        return self._make(cmr.RecordFiAccountLead, defaults, kw)

    def fie_request(self, **kw: Any) -> cmr.RequestFieInformation:
        """C23."""
        defaults = {"institution": "Commonwealth Bank", "account_ref": "CBA-***-0192"}
        return self._make(cmr.RequestFieInformation, defaults, kw)

    def qss40(self, **kw: Any) -> cmr.IssueThirdPartyNoticeQSS40:
        """C24: to Westpac, citing the SS(Admin) Act."""
        defaults: dict[str, Any] = {
            **self._letter("QSS40-1"),
            "address": "Westpac Subpoena Unit, Locked Bag 5000, Sydney NSW",
            "legislation_cited": "s.192 Social Security (Administration) Act 1999",
        }
        return self._make(cmr.IssueThirdPartyNoticeQSS40, defaults, kw)

    def employment_lead(self, **kw: Any) -> cmr.RecordEmploymentLead:
        """C25: a Single Touch Payroll data match, unless overridden."""
        defaults: dict[str, Any] = {
            "lead_id": "EMP-1",
            "employer_name": "Harbour Logistics Pty Ltd",
            "source": "DATA_MATCH_STP",
            "relates_to": "CUSTOMER",
        }
        return self._make(cmr.RecordEmploymentLead, defaults, kw)

    def q289(self, **kw: Any) -> cmr.IssueDataMatchNotificationQ289:
        """C26."""
        defaults = {**self._letter("Q289-1"), "employment_lead_id": "EMP-1"}
        return self._make(cmr.IssueDataMatchNotificationQ289, defaults, kw)

    def employer_contact(self, **kw: Any) -> cmr.RecordEmployerContactAttempt:
        """C27."""
        defaults: dict[str, Any] = {
            "lead_id": "EMP-1",
            "outcome": "NOT_REACHED",
            "note": "Asked to speak to the customer; not on shift.",
        }
        return self._make(cmr.RecordEmployerContactAttempt, defaults, kw)

    def q609(self, **kw: Any) -> cmr.IssueEmployerRequestQ609:
        """C28, addressed and marked as the procedure says."""
        defaults: dict[str, Any] = {
            **self._letter("Q609-1"),
            "address": "Payroll, Harbour Logistics, PO Box 12 Botany NSW",
            "employment_lead_id": "EMP-1",
            "attention": "Attention Payroll",
            "marking": "Private and Confidential",
        }
        return self._make(cmr.IssueEmployerRequestQ609, defaults, kw)

    def returned_correspondence(self, **kw: Any) -> cmr.ProcessReturnedCorrespondence:
        """C29."""
        defaults = {"outcome": "EMPLOYMENT", "detail": "Employer confirms full-time work."}
        return self._make(cmr.ProcessReturnedCorrespondence, defaults, kw)

    def assess_garnishee(self, **kw: Any) -> cmr.AssessGarnishee:
        """C30: an FI garnishee of the first debt."""
        defaults: dict[str, Any] = {
            "garnishee_id": "G-1",
            "kind": "FI",
            "debt_ids": (self.first_debt,),
            "checklist": self.checklist(),
        }
        return self._make(cmr.AssessGarnishee, defaults, kw)

    def submission_doc(self) -> str:
        return self.doc_name("Bank garnishee submission")

    def submission_document(self, **kw: Any) -> cmr.AddCaseFileDocument:
        """C7: the garnishee submission saved in the case file."""
        defaults = {"name": self.submission_doc(), "document_type": "GARNISHEE_SUBMISSION"}
        return self._make(cmr.AddCaseFileDocument, defaults, kw)

    def submit_garnishee(self, **kw: Any) -> cmr.SubmitGarnishee:
        """C31, to the OL."""
        defaults: dict[str, Any] = {
            "garnishee_id": "G-1",
            "garnishee_party": "Westpac Banking Corporation",
            "submission_doc_name": self.submission_doc(),
            "submitted_to": self.operational_leader.staff_id,
        }
        return self._make(cmr.SubmitGarnishee, defaults, kw)

    def decide_garnishee(self, **kw: Any) -> cmr.DecideGarnisheeSubmission:
        """C32: the OL approves."""
        defaults: dict[str, Any] = {
            "actor": self.operational_leader,
            "garnishee_id": "G-1",
            "approve": True,
            "reasons": ("Refused an arrangement; capacity shown by the FCA.",),
        }
        return self._make(cmr.DecideGarnisheeSubmission, defaults, kw)

    def redress_check(self, **kw: Any) -> cmr.RecordDebtRedressCheck:
        """C33 (actioned, clear)."""
        defaults: dict[str, Any] = {
            "garnishee_id": "G-1",
            "check_id": "DRC-1",
            "result": "CLEAR",
            "notes": "Not in a redress cohort; no pause.",
        }
        return self._make(cmr.RecordDebtRedressCheck, defaults, kw)

    def approve_redress_check(self, **kw: Any) -> cmr.ApproveDebtRedressCheck:
        """C33 (approved by the OL)."""
        defaults: dict[str, Any] = {
            "actor": self.operational_leader,
            "garnishee_id": "G-1",
            "check_id": "DRC-1",
        }
        return self._make(cmr.ApproveDebtRedressCheck, defaults, kw)

    def place_garnishee(self, **kw: Any) -> cmr.PlaceGarnishee:
        """C34. Payment is not required before 26 weeks after the builder's start (more than
        14 days after any placement in the histories); pass ``payment_not_before`` to be exact."""
        defaults: dict[str, Any] = {
            "garnishee_id": "G-1",
            "amount_mode": "AMOUNT",
            "amount": Decimal("8000.00"),
            "payment_not_before": self.day(182).date(),
            "review_rights_advised": True,
        }
        return self._make(cmr.PlaceGarnishee, defaults, kw)

    def garnishee_outcome(self, **kw: Any) -> cmr.RecordGarnisheeOutcome:
        """C35: the remittance that pays the debt in full, unless overridden."""
        defaults: dict[str, Any] = {
            "garnishee_id": "G-1",
            "amount": Decimal("8000.00"),
            "received_on": self.day(60).date(),
            "remaining_balance": Decimal("0"),
        }
        return self._make(cmr.RecordGarnisheeOutcome, defaults, kw)

    def property_search(self, **kw: Any) -> cmr.RecordPropertySearch:
        """C36: an RP Data name search in NSW (its result must be in the case file)."""
        defaults: dict[str, Any] = {
            "state": "NSW",
            "successful": False,
            "saved_doc_name": self.doc_name("RP Data search"),
        }
        return self._make(cmr.RecordPropertySearch, defaults, kw)

    def equifax_search(self, **kw: Any) -> cmr.RecordEquifaxSearch:
        """C37: a Tasmanian search, outside RP Data's coverage."""
        defaults: dict[str, Any] = {
            "state": "TAS",
            "reason": "STATE_OUTSIDE_RP_DATA",
            "successful": True,
            "new_information": "Title in Launceston held jointly.",
            "saved_doc_name": self.doc_name("Equifax search"),
        }
        return self._make(cmr.RecordEquifaxSearch, defaults, kw)

    def search_document(self, action: str = "RP Data search", **kw: Any) -> cmr.AddCaseFileDocument:
        """C7: a search result saved in the case file."""
        defaults = {"name": self.doc_name(action), "document_type": "SEARCH_RESULT"}
        return self._make(cmr.AddCaseFileDocument, defaults, kw)

    def referral_doc(self) -> str:
        return self.doc_name("SRT Litigation referral")

    def referral_document(self, **kw: Any) -> cmr.AddCaseFileDocument:
        """C7: the litigation referral saved in the case file."""
        defaults = {"name": self.referral_doc(), "document_type": "REFERRAL"}
        return self._make(cmr.AddCaseFileDocument, defaults, kw)

    def refer_to_litigation(self, **kw: Any) -> cmr.ReferToSrtLitigation:
        """C38: the first debt, to the positional mailbox."""
        defaults: dict[str, Any] = {
            "debt_ids": (self.first_debt,),
            "referral_doc_name": self.referral_doc(),
        }
        return self._make(cmr.ReferToSrtLitigation, defaults, kw)

    def decide_litigation(self, **kw: Any) -> cmr.DecideLitigationReferral:
        """C39: SRT Litigation (the Senior Litigation Officer) accepts."""
        defaults: dict[str, Any] = {
            "actor": self.senior_litigation_officer,
            "accept": True,
            "reasons": ("Property in NSW supports civil recovery.",),
        }
        return self._make(cmr.DecideLitigationReferral, defaults, kw)

    def travel_pattern(self, **kw: Any) -> cmr.RecordTravelPatternAssessment:
        """C40: a pattern of overseas travel found."""
        defaults: dict[str, Any] = {
            "evidence": ("Movement records: 6 departures in 12 months",),
            "pattern_found": True,
        }
        return self._make(cmr.RecordTravelPatternAssessment, defaults, kw)

    def refer_for_dpo(self, **kw: Any) -> cmr.ReferForDpo:
        """C41."""
        return self._make(cmr.ReferForDpo, {"referral_to": "SRT DPO officer"}, kw)

    # -- Table 4: SRT Officer, DPO ----------------------------------------------------------------
    def dpo_warning(self, **kw: Any) -> cmr.IssueDpoWarning:
        """C42: Q190 as a DPO warning, by the SRT officer, tracked."""
        defaults: dict[str, Any] = {
            **self._letter("Q190-DPO-1"),
            "actor": self.srt_officer,
            "tracking_id": "AP-7781-DPO",
        }
        return self._make(cmr.IssueDpoWarning, defaults, kw)

    def confirm_dpo_delivery(self, **kw: Any) -> cmr.ConfirmDpoWarningDelivery:
        """C43: tracking shows the warning delivered."""
        defaults: dict[str, Any] = {
            "actor": self.srt_officer,
            "letter_id": "Q190-DPO-1",
            "tracking_status": "Delivered",
            "delivered": True,
        }
        return self._make(cmr.ConfirmDpoWarningDelivery, defaults, kw)

    def make_dpo(self, **kw: Any) -> cmr.MakeDpo:
        """C44, by the delegate, for every debt."""
        defaults: dict[str, Any] = {
            "actor": self.dpo_delegate,
            "dpo_id": "DPO-1",
            "debt_ids": self.debt_ids,
            "considerations": self.considerations(),
            "reasons": ("Travels often, has capacity, and refused every arrangement.",),
        }
        return self._make(cmr.MakeDpo, defaults, kw)

    def notify_dpo(self, **kw: Any) -> cmr.NotifyDpo:
        """C45: the customer and Home Affairs (the customer is not a citizen)."""
        defaults: dict[str, Any] = {
            "actor": self.dpo_delegate,
            "dpo_id": "DPO-1",
            "recipients": ("CUSTOMER", "HOME_AFFAIRS"),
            "australian_citizen": False,
        }
        return self._make(cmr.NotifyDpo, defaults, kw)

    def vary_dpo(self, **kw: Any) -> cmr.VaryDpo:
        """C46 (vary)."""
        defaults: dict[str, Any] = {
            "actor": self.dpo_delegate,
            "dpo_id": "DPO-1",
            "variation": "Limited to the debt still unpaid.",
            "reasons": ("Part of the debt was repaid; the order is narrowed.",),
        }
        return self._make(cmr.VaryDpo, defaults, kw)

    def revoke_dpo(self, **kw: Any) -> cmr.RevokeDpo:
        """C46 (revoke: the debts are paid)."""
        defaults: dict[str, Any] = {
            "actor": self.dpo_delegate,
            "dpo_id": "DPO-1",
            "ground": "PAID",
            "reasons": ("The debts are paid in full; the order must be revoked.",),
        }
        return self._make(cmr.RevokeDpo, defaults, kw)

    def decide_dac(self, **kw: Any) -> cmr.DecideDac:
        """C47: a departure authorisation certificate granted for a short trip."""
        defaults: dict[str, Any] = {
            "actor": self.dpo_delegate,
            "dpo_id": "DPO-1",
            "grant": True,
            "departs_on": self.day(60).date(),
            "returns_by": self.day(74).date(),
            "reasons": ("Parent's funeral; security given for the return.",),
        }
        return self._make(cmr.DecideDac, defaults, kw)

    # -- Table 5: closing -------------------------------------------------------------------------
    def close(self, **kw: Any) -> cmr.CloseCase:
        """C48: recovery options exhausted, unless overridden."""
        return self._make(cmr.CloseCase, {"reason": "RECOVERY_OPTIONS_EXHAUSTED"}, kw)

    def roe_fast_note(self, **kw: Any) -> cmr.RunRecoveryOptionsExhaustedFastNote:
        """C49."""
        defaults = {"fast_note_ref": "FN-ROE-771", "linked_activity_ref": "AL-NOARR-5512"}
        return self._make(cmr.RunRecoveryOptionsExhaustedFastNote, defaults, kw)

    def expire_doa_doc(self, **kw: Any) -> cmr.ExpireDoaDoc:
        """C50."""
        return self._make(cmr.ExpireDoaDoc, {}, kw)

    def end_civil_action(self, **kw: Any) -> cmr.EndCivilAction:
        """C51."""
        return self._make(cmr.EndCivilAction, {}, kw)

    def end_opcv_coding(self, **kw: Any) -> cmr.EndOpcvCoding:
        """C52."""
        return self._make(cmr.EndOpcvCoding, {}, kw)

    def update_wlm_actor_relationship(self, **kw: Any) -> cmr.UpdateWlmActorRelationship:
        """C53."""
        return self._make(cmr.UpdateWlmActorRelationship, {}, kw)

    def finalise_case_file(self, **kw: Any) -> cmr.FinaliseCaseFile:
        """C54."""
        return self._make(cmr.FinaliseCaseFile, {}, kw)

    def complete_closure(self, **kw: Any) -> cmr.CompleteClosure:
        """C55."""
        return self._make(cmr.CompleteClosure, {}, kw)

    def archive(self, **kw: Any) -> cmr.ArchiveCase:
        """C56."""
        return self._make(cmr.ArchiveCase, {}, kw)

    def closing_steps(self) -> list[CaseCommand]:
        """C50-C54, the steps every closure needs (C49 comes first for ROE)."""
        return [
            self.expire_doa_doc(),
            self.end_civil_action(),
            self.end_opcv_coding(),
            self.update_wlm_actor_relationship(),
            self.finalise_case_file(),
        ]

    # -- vulnerability flags ----------------------------------------------------------------------
    def flag(self, **kw: Any) -> cmr.RecordVulnerabilityFlag:
        """The customer talked about suicide or self-harm, unless overridden (X-R3)."""
        defaults: dict[str, Any] = {
            "flag_id": "F-1",
            "kind": "SUICIDE_SELF_HARM",
            "source": "Inbound call",
            "referral": "Warm transfer to the Social Work Line",
        }
        return self._make(cmr.RecordVulnerabilityFlag, defaults, kw)

    def clear_flag(self, **kw: Any) -> cmr.ClearVulnerabilityFlag:
        """The social worker clears the flag after assessment."""
        defaults: dict[str, Any] = {
            "actor": self.social_worker,
            "flag_id": "F-1",
            "reasons": ("Social worker assessment: no current risk; supports resuming.",),
        }
        return self._make(cmr.ClearVulnerabilityFlag, defaults, kw)

    # -- any command, by type ---------------------------------------------------------------------
    def build(self, cls: type[_C], **overrides: Any) -> _C:
        """A ``cls`` command with the defaults of its builder method (``allocate`` for
        :class:`~recoverycore.aggregates.cmr.AllocateCase`, ...), or only this case's id and the
        case manager as actor if it has none, with ``overrides`` of any field."""
        builder = DEFAULT_BUILDERS.get(cls)
        if builder is None:
            return self.command(cls, **overrides)
        return cast(_C, builder(self, **overrides))


def _default_builders() -> Mapping[type[CaseCommand], Callable[..., CaseCommand]]:
    """Each command type's builder method: the first method (in the order of the procedure's
    tables) that returns it, so ``add_document`` rather than ``submission_document``."""
    table: dict[type[CaseCommand], Callable[..., CaseCommand]] = {}
    for name, method in vars(CaseCommandDefaults).items():
        if name.startswith("_") or name in {"build", "command"} or not callable(method):
            continue
        returned = get_type_hints(method).get("return")
        if isinstance(returned, type) and issubclass(returned, CaseCommand):
            table.setdefault(returned, method)
    return table


DEFAULT_BUILDERS: Mapping[type[CaseCommand], Callable[..., CaseCommand]] = _default_builders()
"""Command type -> the :class:`CaseCommandDefaults` method that builds it with its defaults."""
