"""The case state machine: :class:`CaseStateMachine` (also :data:`CaseLifecycle`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from recoverycore.aggregates import authority_for, cmr
from recoverycore.errors import RuleViolation
from recoverycore.events import Actor, Role
from recoverycore.events import cmr as ev
from recoverycore.testing import EPOCH
from recoverycore.testing.strategies.cmr_invariants import CaseInvariants
from recoverycore.testing.strategies.cmr_values import CASE_ACTORS as ACTORS
from recoverycore.testing.strategies.cmr_values import CASE_CHECKLIST as CHECKLIST
from recoverycore.testing.strategies.cmr_values import CASE_CUSTOMER as CUSTOMER
from recoverycore.testing.strategies.cmr_values import CASE_DEBTS as DEBTS
from recoverycore.testing.strategies.cmr_values import CASE_ID, SYDNEY
from recoverycore.testing.strategies.cmr_values import CASE_LETTER as LETTER
from recoverycore.testing.strategies.cmr_values import any_case_actor as actors
from recoverycore.testing.strategies.cmr_values import case_ids as ids
from recoverycore.testing.strategies.cmr_values import case_manager_or_anyone as case_manager
from recoverycore.testing.strategies.cmr_values import case_reasons as reasons

__all__ = ["CaseLifecycle", "CaseStateMachine"]


class CaseStateMachine(CaseInvariants):
    """Drives one case (:data:`CASE_ID`) through random legal and illegal commands with the pure
    ``decide``, and through guided paths to deep states (a placed garnishee, a departure
    prohibition order, closure and archiving).

    Every accepted event must round-trip (:meth:`check_recorded`); every refusal must leave no
    trace and name its rule, what is wrong and what to do. The invariants read the event log
    itself, not the aggregate's state, so they check the aggregate against an independent
    statement of the procedure's safeguards:

    * replaying every event so far gives the live state; versions are 1, 2, 3, ... without gaps;
    * no garnishee is placed without the OL's approval and an approved Debt Redress Check;
    * nothing is enforced on a paused debt; no employer is contacted from a data match before
      a Q289;
    * the ACCC caps on actual contacts are never exceeded; calls and pre-call SMS happen in
      contact hours and never on a public holiday (:attr:`holidays`);
    * a closed case records nothing more but its archiving;
    * a DPO follows a delivered DPO warning and a travel pattern.

    Subclass it to decide with another :attr:`config`, and to add rules (that call
    :meth:`send`) and invariants of your own::

        from hypothesis.stateful import invariant
        from recoverycore.testing.strategies import CaseStateMachine

        class MyCaseMachine(CaseStateMachine):
            @invariant()
            def no_voicemail_says_why(self) -> None:
                assert not any(getattr(e, "voicemail_disclosed_reason", False) for e in self.events)

        TestMyCase = MyCaseMachine.TestCase
    """

    config = cmr.CaseConfig()

    def __init__(self) -> None:
        super().__init__()
        self.events: list[ev.CaseEvent] = []
        self.state: cmr.CaseState | None = None
        self.now = EPOCH
        self.holidays = cmr.ContactCalendar(public_holidays=frozenset({date(2026, 4, 3)}))

    # -- the act of deciding ----------------------------------------------------------------------
    def check_recorded(self, event: ev.CaseEvent) -> None:
        """Called on every event ``decide`` records: by default, the event reads back unchanged
        from its JSON (override it to round-trip through a store's mapper as well)."""
        assert type(event).model_validate_json(event.model_dump_json()) == event

    def send(self, command: cmr.CaseCommand) -> list[ev.CaseEvent]:
        before = (list(self.events), self.state)
        try:
            new = cmr.decide(
                self.state, command, now=self.now, config=self.config, calendar=self.holidays
            )
        except RuleViolation as refusal:
            refused = refusal
        else:
            # Authority: an accepted command was recorded by a role the role table allows.
            row = authority_for(type(command))
            assert row is not None
            assert command.actor.role in row.allowed(self.config) - {Role.SYSTEM}
            for event in new:
                self.check_recorded(event)
            self.events.extend(new)
            self.state = cmr.fold(new, self.state)
            return new
        # Rejection leaves no trace, and says which rule and what to do.
        assert (self.events, self.state) == before
        assert refused.rule_id
        assert refused.reason
        assert refused.remedy
        return []

    # -- time -------------------------------------------------------------------------------------
    @rule(
        wait=st.sampled_from(
            [
                timedelta(minutes=20),
                timedelta(hours=4),
                timedelta(days=1),
                timedelta(days=8),
                timedelta(days=16),
                timedelta(days=31),
                timedelta(days=95),
            ]
        )
        | st.integers(1, 60 * 24 * 40).map(lambda minutes: timedelta(minutes=minutes))
    )
    def time_passes(self, wait: timedelta) -> None:
        self.now += wait

    @rule(hour=st.integers(6, 22))
    def next_day_at(self, hour: int) -> None:
        self.now = (self.now + timedelta(days=1)).replace(hour=hour, minute=15)

    # -- Table 1 ----------------------------------------------------------------------------------
    @initialize(subscribed=st.booleans(), pgpa=st.booleans())
    def allocate(self, subscribed: bool, pgpa: bool) -> None:
        debts = (
            cmr.Debt(debt_id="D1", balance=Decimal("12000")),
            cmr.Debt(
                debt_id="D2",
                balance=Decimal("4000"),
                legislation="PGPA" if pgpa else "SOCIAL_SECURITY",
            ),
        )
        self.send(
            cmr.AllocateCase(
                case_id=CASE_ID,
                actor=ACTORS["tl"],
                crn="311 204 557J",
                customer=CUSTOMER,
                team="SRT",
                case_manager_id="CM-1",
                allocation_source="WLM_READY",
                allocation_group="SRT-3",
                debts=debts,
                sms_subscribed=subscribed,
            )
        )
        assert self.state is not None

    @rule(actor=case_manager, suitable=st.booleans(), why=reasons)
    def assess_suitability(self, actor: Actor, suitable: bool, why: tuple[str, ...]) -> None:
        self.send(
            cmr.AssessSuitability(
                case_id=CASE_ID,
                actor=actor,
                suitable=suitable,
                benefit_status="Not current",
                permanently_written_off=False,
                outstanding_balance=Decimal("16000"),
                already_case_managed_elsewhere=False,
                discussed_with_ol="OL-1" if not suitable else None,
                reasons=why,
            )
        )

    @rule(actor=actors, why=reasons)
    def unassign(self, actor: Actor, why: tuple[str, ...]) -> None:
        self.send(
            cmr.UnassignCustomer(case_id=CASE_ID, actor=actor, reasons=why, discussed_with="")
        )

    @rule(actor=case_manager)
    def onboard(self, actor: Actor) -> None:
        self.send(cmr.CreateDoaDoc(case_id=CASE_ID, actor=actor, doc_id="DOC-1"))
        self.send(cmr.ApplyActorRelationship(case_id=CASE_ID, actor=ACTORS["tl"]))
        self.send(cmr.CreateCaseFile(case_id=CASE_ID, actor=actor, location="share"))

    @rule(
        action=st.sampled_from(["Garnishee submission", "Litigation referral", "RP Data"]),
        good=st.booleans(),
    )
    def save_document(self, action: str, good: bool) -> None:
        name = f"{self.now:%Y-%m-%d} - CITIZEN, Alex - {action}" if good else f"{action}.pdf"
        self.send(
            cmr.AddCaseFileDocument(
                case_id=CASE_ID, actor=ACTORS["cm"], name=name, document_type="CORRESPONDENCE"
            )
        )

    # -- Table 2 ----------------------------------------------------------------------------------
    @rule()
    def pre_call_sms(self) -> None:
        self.send(cmr.SendPreCallSms(case_id=CASE_ID, actor=ACTORS["cm"], mobile_number="0413"))

    @rule(
        channel=st.sampled_from(["PHONE", "PHONE", "PHONE", "EMAIL", "FACE_TO_FACE"]),
        outcome=st.sampled_from(["NO_ANSWER", "VOICEMAIL", "ENGAGED", "REFUSED"]),
        purpose=st.sampled_from(["RECOVERY", "DEBTOR_REQUESTED"]),
        disclosed=st.booleans(),
    )
    def contact_attempt(self, channel: Any, outcome: Any, purpose: Any, disclosed: bool) -> None:
        self.send(
            cmr.RecordContactAttempt(
                case_id=CASE_ID,
                actor=ACTORS["cm"],
                channel=channel,
                number="0413",
                outcome=outcome,
                voicemail_left=outcome == "VOICEMAIL",
                voicemail_disclosed_reason=disclosed and outcome == "VOICEMAIL",
                purpose=purpose,
                note="Called the customer.",
                reasons=("Phone and letters tried first.",),
            )
        )

    @rule(code=st.sampled_from(["Q164", "Q190"]), n=ids, aware=st.booleans())
    def contact_letter(self, code: str, n: str, aware: bool) -> None:
        cls = cmr.IssueContactLetterQ164 if code == "Q164" else cmr.IssueFinalOptionLetterQ190
        self.send(
            cls(
                case_id=CASE_ID,
                actor=ACTORS["cm"],
                letter_id=f"{code}-{n}",
                customer_aware_of_debt=aware,
                **LETTER,
            )
        )

    @rule(warned=st.booleans(), identity=st.booleans())
    def discussion(self, warned: bool, identity: bool) -> None:
        self.send(
            cmr.RecordDiscussion(
                case_id=CASE_ID,
                actor=ACTORS["cm"],
                direction="INBOUND",
                identity_confirmed=identity,
                garnishee_warning_given=warned,
                summary="Discussed the debt.",
            )
        )

    @rule(excess=st.sampled_from(["5", "180"]), hardship=st.booleans())
    def fca(self, excess: str, hardship: bool) -> None:
        self.send(
            cmr.RecordFinancialCircumstanceAssessment(
                case_id=CASE_ID,
                actor=ACTORS["cm"],
                fca_id="FCA",
                excess_income_per_fortnight=Decimal(excess),
                financial_hardship=hardship,
            )
        )

    @rule(what=st.sampled_from(["refuse", "retract", "agree", "interim", "break", "unreasonable"]))
    def arrangement(self, what: str) -> None:
        base: dict[str, Any] = {"case_id": CASE_ID, "actor": ACTORS["cm"]}
        builders: dict[str, Callable[[], cmr.CaseCommand]] = {
            "refuse": lambda: cmr.RecordRefusal(**base, detail="No."),
            "retract": lambda: cmr.RecordRefusalRetracted(**base, detail="Will negotiate."),
            "agree": lambda: cmr.RecordAcceptableArrangement(**base, amount=Decimal("50")),
            "interim": lambda: cmr.RecordInterimArrangement(**base, amount=Decimal("20")),
            "break": lambda: cmr.RecordArrangementBroken(**base, detail="Missed 2 payments."),
            "unreasonable": lambda: cmr.DeclareArrangementNotReasonable(
                **base, reasons=("Offer of $1 a fortnight ignores capacity shown by the FCA.",)
            ),
        }
        self.send(builders[what]())

    @rule(
        debts=st.sampled_from([("D1",), ("D2",), DEBTS]),
        n=ids,
        reason=st.sampled_from(["REVIEW", "DISASTER", "VULNERABILITY"]),
        why=reasons,
    )
    def pause(self, debts: tuple[str, ...], n: str, reason: Any, why: tuple[str, ...]) -> None:
        self.send(
            cmr.PauseRecovery(
                case_id=CASE_ID,
                actor=ACTORS["cm"],
                pause_id=f"P{n}",
                debt_ids=debts,
                reason=reason,
                reasons=why,
            )
        )

    @rule(n=ids)
    def resume(self, n: str) -> None:
        self.send(
            cmr.ResumeRecovery(
                case_id=CASE_ID,
                actor=ACTORS["cm"],
                pause_id=f"P{n}",
                reasons=("Review done.",),
            )
        )

    @rule(kind=st.sampled_from(["SUICIDE_SELF_HARM", "FDV_IMMEDIATE_THREAT", "HARDSHIP"]), n=ids)
    def flag(self, kind: Any, n: str) -> None:
        self.send(
            cmr.RecordVulnerabilityFlag(
                case_id=CASE_ID, actor=ACTORS["cm"], flag_id=f"F{n}", kind=kind, source="call"
            )
        )

    @rule(actor=actors, n=ids, why=reasons)
    def clear_flag(self, actor: Actor, n: str, why: tuple[str, ...]) -> None:
        self.send(
            cmr.ClearVulnerabilityFlag(case_id=CASE_ID, actor=actor, flag_id=f"F{n}", reasons=why)
        )

    # -- Table 3 ----------------------------------------------------------------------------------
    @rule(source=st.sampled_from(["DATA_MATCH_STP", "CUSTOMER_RECORD"]), n=ids)
    def employment_lead(self, source: Any, n: str) -> None:
        self.send(
            cmr.RecordEmploymentLead(
                case_id=CASE_ID,
                actor=ACTORS["cm"],
                lead_id=f"E{n}",
                employer_name="Harbour Logistics",
                source=source,
                relates_to="CUSTOMER",
            )
        )

    @rule(n=ids, m=ids)
    def q289(self, n: str, m: str) -> None:
        self.send(
            cmr.IssueDataMatchNotificationQ289(
                case_id=CASE_ID,
                actor=ACTORS["cm"],
                letter_id=f"Q289-{m}",
                employment_lead_id=f"E{n}",
                **LETTER,
            )
        )

    @rule(n=ids, reached=st.booleans())
    def employer_contact(self, n: str, reached: bool) -> None:
        self.send(
            cmr.RecordEmployerContactAttempt(
                case_id=CASE_ID,
                actor=ACTORS["cm"],
                lead_id=f"E{n}",
                outcome="CUSTOMER_REACHED" if reached else "NOT_REACHED",
                note="Asked for the customer.",
            )
        )

    @rule(n=ids, m=ids)
    def q609(self, n: str, m: str) -> None:
        self.send(
            cmr.IssueEmployerRequestQ609(
                case_id=CASE_ID,
                actor=ACTORS["cm"],
                letter_id=f"Q609-{m}",
                employment_lead_id=f"E{n}",
                attention="Attention Payroll",
                marking="Private and Confidential",
                **LETTER,
            )
        )

    @rule(
        n=ids,
        kind=st.sampled_from(["FI", "WAGE"]),
        debts=st.sampled_from([("D1",), DEBTS]),
    )
    def assess_garnishee(self, n: str, kind: Any, debts: tuple[str, ...]) -> None:
        self.send(
            cmr.AssessGarnishee(
                case_id=CASE_ID,
                actor=ACTORS["cm"],
                garnishee_id=f"G{n}",
                kind=kind,
                debt_ids=debts,
                checklist=CHECKLIST,
            )
        )

    @rule(n=ids)
    def submit_garnishee(self, n: str) -> None:
        name = f"{self.now:%Y-%m-%d} - CITIZEN, Alex - Garnishee submission"
        self.send(
            cmr.SubmitGarnishee(
                case_id=CASE_ID,
                actor=ACTORS["cm"],
                garnishee_id=f"G{n}",
                garnishee_party="Bank",
                submission_doc_name=name,
                submitted_to="OL-1",
            )
        )

    @rule(n=ids, actor=actors, approve=st.booleans(), why=reasons)
    def decide_garnishee(self, n: str, actor: Actor, approve: bool, why: tuple[str, ...]) -> None:
        self.send(
            cmr.DecideGarnisheeSubmission(
                case_id=CASE_ID, actor=actor, garnishee_id=f"G{n}", approve=approve, reasons=why
            )
        )

    @rule(n=ids, clear=st.booleans(), approver=actors)
    def redress_check(self, n: str, clear: bool, approver: Actor) -> None:
        self.send(
            cmr.RecordDebtRedressCheck(
                case_id=CASE_ID,
                actor=ACTORS["cm"],
                garnishee_id=f"G{n}",
                check_id=f"DRC{n}",
                result="CLEAR" if clear else "NOT_CLEAR",
            )
        )
        self.send(
            cmr.ApproveDebtRedressCheck(
                case_id=CASE_ID, actor=approver, garnishee_id=f"G{n}", check_id=f"DRC{n}"
            )
        )

    @rule(n=ids, delay=st.integers(7, 20), advised=st.booleans())
    def place_garnishee(self, n: str, delay: int, advised: bool) -> None:
        self.send(
            cmr.PlaceGarnishee(
                case_id=CASE_ID,
                actor=ACTORS["cm"],
                garnishee_id=f"G{n}",
                amount_mode="AMOUNT",
                amount=Decimal("100"),
                payment_not_before=self.now.date() + timedelta(days=delay),
                review_rights_advised=advised,
            )
        )

    @rule(n=ids, remaining=st.sampled_from(["0", "500"]))
    def garnishee_outcome(self, n: str, remaining: str) -> None:
        self.send(
            cmr.RecordGarnisheeOutcome(
                case_id=CASE_ID,
                actor=ACTORS["cm"],
                garnishee_id=f"G{n}",
                amount=Decimal("100"),
                received_on=self.now.date(),
                remaining_balance=Decimal(remaining),
            )
        )

    @rule(debts=st.sampled_from([("D1",), DEBTS]), accept=st.booleans(), actor=actors)
    def litigation(self, debts: tuple[str, ...], accept: bool, actor: Actor) -> None:
        name = f"{self.now:%Y-%m-%d} - CITIZEN, Alex - Litigation referral"
        self.send(
            cmr.ReferToSrtLitigation(
                case_id=CASE_ID, actor=ACTORS["cm"], debt_ids=debts, referral_doc_name=name
            )
        )
        self.send(
            cmr.DecideLitigationReferral(
                case_id=CASE_ID, actor=actor, accept=accept, reasons=("Assets found.",)
            )
        )

    # -- DPO --------------------------------------------------------------------------------------
    @rule(found=st.booleans())
    def travel_and_referral(self, found: bool) -> None:
        self.send(
            cmr.RecordTravelPatternAssessment(
                case_id=CASE_ID,
                actor=ACTORS["cm"],
                evidence=("3 trips in 2025",),
                pattern_found=found,
            )
        )
        self.send(cmr.ReferForDpo(case_id=CASE_ID, actor=ACTORS["cm"], referral_to="SRT DPO"))

    @rule(actor=st.just(ACTORS["srto"]) | actors, n=ids)
    def dpo_warning(self, actor: Actor, n: str) -> None:
        self.send(
            cmr.IssueDpoWarning(
                case_id=CASE_ID,
                actor=actor,
                letter_id=f"DPO-{n}",
                tracking_id=f"AP{n}",
                **LETTER,
            )
        )

    @rule(n=ids, delivered=st.booleans())
    def dpo_delivery(self, n: str, delivered: bool) -> None:
        self.send(
            cmr.ConfirmDpoWarningDelivery(
                case_id=CASE_ID,
                actor=ACTORS["srto"],
                letter_id=f"DPO-{n}",
                tracking_status="Delivered" if delivered else "In transit",
                delivered=delivered,
            )
        )

    @rule(
        actor=st.just(ACTORS["delegate"]) | actors,
        debts=st.sampled_from([("D1",), DEBTS]),
    )
    def make_dpo(self, actor: Actor, debts: tuple[str, ...]) -> None:
        self.send(
            cmr.MakeDpo(
                case_id=CASE_ID,
                actor=actor,
                dpo_id="DPO",
                debt_ids=debts,
                considerations=cmr.DpoConsiderations(
                    capacity_to_pay="Employed full time",
                    recovery_actions_and_outcomes="Garnishee refused",
                    time_unpaid="3 years",
                ),
                reasons=("Travels often; no arrangement; other methods failed.",),
            )
        )

    @rule()
    def revoke_dpo(self) -> None:
        self.send(
            cmr.RevokeDpo(
                case_id=CASE_ID,
                actor=ACTORS["delegate"],
                dpo_id="DPO",
                ground="PAID",
                reasons=("The debt is paid.",),
            )
        )

    # -- Table 5 ----------------------------------------------------------------------------------
    @rule(reason=st.sampled_from(["PAID_IN_FULL", "RECOVERY_OPTIONS_EXHAUSTED", "OTHER"]))
    def close(self, reason: Any) -> None:
        self.send(cmr.CloseCase(case_id=CASE_ID, actor=ACTORS["cm"], reason=reason, detail=""))

    @rule(
        step=st.sampled_from(["roe", "doa", "civil", "opcv", "wlm", "file", "complete", "archive"])
    )
    def closing_step(self, step: str) -> None:
        base: dict[str, Any] = {"case_id": CASE_ID, "actor": ACTORS["cm"]}
        builders: dict[str, Callable[[], cmr.CaseCommand]] = {
            "roe": lambda: cmr.RunRecoveryOptionsExhaustedFastNote(
                **base, fast_note_ref="FN-1", linked_activity_ref="ACT-1"
            ),
            "doa": lambda: cmr.ExpireDoaDoc(**base),
            "civil": lambda: cmr.EndCivilAction(**base),
            "opcv": lambda: cmr.EndOpcvCoding(**base),
            "wlm": lambda: cmr.UpdateWlmActorRelationship(**base),
            "file": lambda: cmr.FinaliseCaseFile(**base),
            "complete": lambda: cmr.CompleteClosure(**base),
            "archive": lambda: cmr.ArchiveCase(**base),
        }
        self.send(builders[step]())

    # -- guided paths: the next legal step towards a deep state, amid the random steps ------------
    def _cm(self, command_type: type[cmr.CaseCommand], **fields: Any) -> list[ev.CaseEvent]:
        return self.send(command_type(case_id=CASE_ID, actor=ACTORS["cm"], **fields))

    @precondition(lambda self: self.state is not None and self.state.status == "OPEN")
    @rule()
    def next_step_towards_a_placed_garnishee(self) -> None:
        s = self.state
        assert s is not None
        g = s.garnishees[-1] if s.garnishees else None
        submission = f"{self.now:%Y-%m-%d} - CITIZEN, Alex - Garnishee submission"
        ol = {"actor": ACTORS["ol"], "case_id": CASE_ID}
        if s.fca is None or s.fca.excess_income_per_fortnight < 15 or s.fca.financial_hardship:
            self._cm(
                cmr.RecordFinancialCircumstanceAssessment,
                fca_id="FCA",
                excess_income_per_fortnight=Decimal("180"),
                financial_hardship=False,
            )
        elif not (s.refused or s.deemed_unreasonable) or s.refusal_retracted:
            self._cm(cmr.RecordRefusal, detail="Will not pay.")
        elif not s.verbal_warnings:
            self._cm(
                cmr.RecordDiscussion,
                direction="INBOUND",
                identity_confirmed=True,
                garnishee_warning_given=True,
                summary="Garnishee explained.",
            )
        elif (
            g is None
            or not g.appropriate
            or g.decision == "REJECTED"
            or (g.redress_result == "NOT_CLEAR")
        ):
            if s.letters:  # the officer waits for every letter's response period to pass
                self._wait_until(max(x.respond_by for x in s.letters) + timedelta(days=1))
            self._cm(
                cmr.AssessGarnishee,
                garnishee_id=f"GP{len(s.garnishees)}",
                kind="FI",
                debt_ids=("D1",),
                checklist=CHECKLIST,
            )
        elif submission not in s.documents and g.submitted_by is None:
            if not s.case_file:
                self._cm(cmr.CreateCaseFile, location="share")
            self._cm(cmr.AddCaseFileDocument, name=submission, document_type="GARNISHEE_SUBMISSION")
        elif g.submitted_by is None:
            self._cm(
                cmr.SubmitGarnishee,
                garnishee_id=g.garnishee_id,
                garnishee_party="Bank",
                submission_doc_name=submission,
                submitted_to="OL-1",
            )
        elif g.decision is None:
            self.send(
                cmr.DecideGarnisheeSubmission(
                    **ol,
                    garnishee_id=g.garnishee_id,
                    approve=True,
                    reasons=("Refused an arrangement despite capacity.",),
                )
            )
        elif g.redress_check_id is None:
            self._cm(
                cmr.RecordDebtRedressCheck,
                garnishee_id=g.garnishee_id,
                check_id=f"DRC-{g.garnishee_id}",
                result="CLEAR",
            )
        elif not g.redress_approved:
            self.send(
                cmr.ApproveDebtRedressCheck(
                    **ol, garnishee_id=g.garnishee_id, check_id=g.redress_check_id
                )
            )
        elif g.placed_on is None:
            self._cm(
                cmr.PlaceGarnishee,
                garnishee_id=g.garnishee_id,
                amount_mode="AMOUNT",
                amount=Decimal("100"),
                payment_not_before=self.now.date() + timedelta(days=14),
                review_rights_advised=True,
            )
        else:
            self._cm(
                cmr.RecordGarnisheeOutcome,
                garnishee_id=g.garnishee_id,
                amount=Decimal("100"),
                received_on=self.now.date(),
                remaining_balance=Decimal("0"),
            )

    def _wait_until(self, day: date) -> None:
        self.now = max(self.now, datetime.combine(day, time(10, 0), tzinfo=SYDNEY))

    @precondition(lambda self: self.state is not None and self.state.status == "OPEN")
    @rule()
    def next_step_towards_a_dpo(self) -> None:
        s = self.state
        assert s is not None
        warning = s.dpo_warning()
        delegate = {
            "case_id": CASE_ID,
            "actor": ACTORS["delegate"],
            "reasons": ("Travels often and has not paid.",),
        }
        if not s.travel_pattern_found:
            self._cm(cmr.RecordTravelPatternAssessment, evidence=("trips",), pattern_found=True)
        elif not s.dpo_referred:
            self._cm(cmr.ReferForDpo, referral_to="SRT DPO")
        elif warning is None or warning.delivered is False:
            n = len(s.letters)
            self.send(
                cmr.IssueDpoWarning(
                    case_id=CASE_ID,
                    actor=ACTORS["srto"],
                    letter_id=f"DPOW-{n}",
                    tracking_id=f"AP-{n}",
                    **LETTER,
                )
            )
        elif warning.delivered is None:
            # The officer holds the activity until the delivery check is due.
            self._wait_until(warning.issued_on + timedelta(days=14))
            self.send(
                cmr.ConfirmDpoWarningDelivery(
                    case_id=CASE_ID,
                    actor=ACTORS["srto"],
                    letter_id=warning.letter_id,
                    tracking_status="Delivered",
                    delivered=True,
                )
            )
        elif not s.dpo_active and s.dpo_id is None:
            self._wait_until(warning.respond_by + timedelta(days=1))
            self.send(
                cmr.MakeDpo(
                    **delegate,
                    dpo_id="DPO",
                    debt_ids=("D1",),
                    considerations=cmr.DpoConsiderations(
                        capacity_to_pay="Employed",
                        recovery_actions_and_outcomes="Refused",
                        time_unpaid="3 years",
                    ),
                )
            )
        elif s.dpo_active:
            self.send(
                cmr.NotifyDpo(
                    case_id=CASE_ID,
                    actor=ACTORS["delegate"],
                    dpo_id="DPO",
                    recipients=("CUSTOMER", "HOME_AFFAIRS"),
                    australian_citizen=False,
                )
            )
            self.send(cmr.RevokeDpo(**delegate, dpo_id="DPO", ground="PAID"))

    @precondition(lambda self: self.state is not None and not self.state.is_terminal)
    @rule(now_or_later=st.integers(0, 7))
    def next_step_towards_closure(self, now_or_later: int) -> None:
        s = self.state
        assert s is not None
        if s.status == "OPEN":
            if not s.paid_in_full and now_or_later:
                return  # most cases go on; some close early, for another reason
            reason = "PAID_IN_FULL" if s.paid_in_full else "OTHER"
            self._cm(cmr.CloseCase, reason=reason, detail="Outcome reached.")
            return
        for step, command_type in (
            ("DOA_DOC_EXPIRED", cmr.ExpireDoaDoc),
            ("CIVIL_ACTION_ENDED", cmr.EndCivilAction),
            ("OPCV_CODING_ENDED", cmr.EndOpcvCoding),
            ("ACTOR_RELATIONSHIP_UPDATED", cmr.UpdateWlmActorRelationship),
            ("CASE_FILE_FINALISED", cmr.FinaliseCaseFile),
        ):
            if step not in s.closure_steps:
                self._cm(command_type)
                return
        self._cm(cmr.CompleteClosure)

    @precondition(lambda self: self.state is not None and self.state.status == "CLOSED")
    @rule()
    def archive(self) -> None:
        self._cm(cmr.ArchiveCase)

    @precondition(lambda self: self.state is not None and self.state.status != "OPEN")
    @rule(actor=actors)
    def a_settled_case_accepts_no_recovery_action(self, actor: Actor) -> None:
        before = len(self.events)
        self.send(cmr.RecordCapacityReview(case_id=CASE_ID, actor=actor))
        assert len(self.events) == before


CaseLifecycle = CaseStateMachine
"""The name the case state machine had as a test module (``tests/stateful``)."""
