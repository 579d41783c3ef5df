""":func:`evolve` and :func:`fold`: recorded events into the case's state, and the change
function for each event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, TypeAlias, Unpack

from recoverycore.aggregates._decider import Evolvers, replay
from recoverycore.aggregates.cmr.state import (
    CaseChanges,
    CaseState,
    ContactRecord,
    EmploymentLead,
    EmploymentLeadChanges,
    Fca,
    Flag,
    Garnishee,
    GarnisheeChanges,
    LetterRecord,
    Pause,
)
from recoverycore.events import DomainEvent
from recoverycore.events.cmr import (
    ActorRelationshipApplied,
    ActorRelationshipEnded,
    ArchiveConsiderationRequested,
    ArrangementAgreed,
    ArrangementBroken,
    ArrangementDeemedUnreasonable,
    ArrangementRefused,
    CallbackAgreed,
    CaseAllocated,
    CaseArchived,
    CaseClosed,
    CaseClosureStarted,
    CaseEvent,
    CaseFileCreated,
    CaseFileDocumentAdded,
    CaseFileFinalised,
    CivilActionEnded,
    ContactAttempted,
    CustomerUnassigned,
    DebtDiscussed,
    DebtPaidInFull,
    DebtRedressCheckActioned,
    DebtRedressCheckApproved,
    DoaDocCreated,
    DoaDocExpired,
    DpoMade,
    DpoReferralMade,
    DpoRevoked,
    DpoWarningDelivered,
    DpoWarningNotDelivered,
    EmployerContactAttempted,
    EmploymentLeadFound,
    FinancialCircumstancesAssessed,
    FinancialInstitutionLeadFound,
    GarnisheeApproved,
    GarnisheeAssessed,
    GarnisheePlaced,
    GarnisheeRejected,
    GarnisheeRemittanceRecorded,
    GarnisheeSubmitted,
    LetterIssued,
    LitigationReferralAccepted,
    LitigationReferralDeclined,
    LitigationReferralSent,
    OpcvCodingEnded,
    PreCallSmsSent,
    PropertySearchRecorded,
    RecordReviewed,
    RecoveryOptionsExhaustedRecorded,
    RecoveryPaused,
    RecoveryResumed,
    RefusalRetracted,
    SuitabilityAssessed,
    TravelPatternAssessed,
    VulnerabilityFlagCleared,
    VulnerabilityFlagRecorded,
)
from recoverycore.events.vocabulary import LETTERS_TO_CUSTOMER

_Evolver: TypeAlias = Callable[[CaseState, Any], CaseChanges]
_EVOLVERS = Evolvers[CaseState]()
_on = _EVOLVERS.on


def evolve(state: CaseState | None, event: DomainEvent) -> CaseState:
    """Fold one recorded event into the case. Total: never validates, never refuses."""
    if isinstance(event, CaseAllocated):
        return CaseState(
            id=event.originator_id,
            version=event.originator_version,
            crn=event.crn,
            customer=event.customer,
            team=event.team,
            case_manager_id=event.case_manager_id,
            allocation_group=event.allocation_group,
            sms_subscribed=event.sms_subscribed,
            debts=event.debts,
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} cannot start a case history")
    return _EVOLVERS.apply(state, event)


def fold(events: Iterable[DomainEvent], state: CaseState | None = None) -> CaseState | None:
    """Replay ``events`` (a snapshot may come first) into the case's state."""
    return replay(evolve, events, state)


def _local(event: DomainEvent) -> date:
    return event.occurred_at.date()


@_on(SuitabilityAssessed)
def _e_suitability(s: CaseState, e: SuitabilityAssessed) -> CaseChanges:
    return {"suitable": e.suitable, "stage": "ENGAGEMENT" if e.suitable else s.stage}


@_on(CustomerUnassigned)
def _e_unassigned(s: CaseState, e: CustomerUnassigned) -> CaseChanges:
    return {"status": "UNASSIGNED"}


@_on(DoaDocCreated)
def _e_doa(s: CaseState, e: DoaDocCreated) -> CaseChanges:
    return {"doa_doc_id": e.doc_id, "doa_doc_expires_on": e.expires_on}


@_on(ActorRelationshipApplied)
def _e_actor(s: CaseState, e: ActorRelationshipApplied) -> CaseChanges:
    return {"actor_relationship": True, "allocation_group": e.allocation_group}


@_on(CaseFileCreated)
def _e_case_file(s: CaseState, e: CaseFileCreated) -> CaseChanges:
    return {"case_file": True}


@_on(CaseFileDocumentAdded)
def _e_document(s: CaseState, e: CaseFileDocumentAdded) -> CaseChanges:
    return {"documents": (*s.documents, e.name)}


@_on(RecordReviewed)
def _e_reviewed(s: CaseState, e: RecordReviewed) -> CaseChanges:
    return {"record_reviewed": True}


@_on(PreCallSmsSent)
def _e_sms(s: CaseState, e: PreCallSmsSent) -> CaseChanges:
    contact = ContactRecord(at=e.occurred_at, channel="SMS", actual=True)
    return {"pre_call_sms_pending": True, "contacts": (*s.contacts, contact)}


@_on(ContactAttempted)
def _e_contact(s: CaseState, e: ContactAttempted) -> CaseChanges:
    contact = ContactRecord(at=e.occurred_at, channel=e.channel, actual=e.actual_contact)
    changes: CaseChanges = {"contacts": (*s.contacts, contact)}
    if e.channel == "PHONE":
        changes["pre_call_sms_pending"] = False
    return changes


@_on(LetterIssued)
def _e_letter(s: CaseState, e: LetterIssued) -> CaseChanges:
    letter = LetterRecord(
        letter_id=e.letter_id,
        code=e.code,
        purpose=e.purpose,
        issued_on=_local(e),
        respond_by=e.respond_by,
        garnishee_warning=e.counts_as_garnishee_warning,
        tracking_id=e.tracking_id,
        employment_lead_id=e.employment_lead_id,
    )
    changes: CaseChanges = {"letters": (*s.letters, letter)}
    if e.purpose in LETTERS_TO_CUSTOMER:
        contact = ContactRecord(at=e.occurred_at, channel="LETTER", actual=True)
        changes["contacts"] = (*s.contacts, contact)
    if e.code == "Q289" and e.employment_lead_id:
        changes["employment_leads"] = _update_lead(s, e.employment_lead_id, q289_issued=True)
    if e.code == "Q609" and e.employment_lead_id:
        changes["employment_leads"] = _update_lead(s, e.employment_lead_id, q609_on=_local(e))
    if e.purpose == "DPO_WARNING":
        changes["stage"] = "DPO_TRACK"
    elif e.purpose in ("THIRD_PARTY_NOTICE", "EMPLOYER_REQUEST", "DATA_MATCH_NOTIFICATION"):
        changes["stage"] = "INVESTIGATION"
    return changes


def _update_lead(
    s: CaseState, lead_id: str, **update: Unpack[EmploymentLeadChanges]
) -> tuple[EmploymentLead, ...]:
    return tuple(
        lead.model_copy(update=update) if lead.lead_id == lead_id else lead
        for lead in s.employment_leads
    )


def _update_garnishee(
    s: CaseState, garnishee_id: str, **update: Unpack[GarnisheeChanges]
) -> tuple[Garnishee, ...]:
    return tuple(
        g.model_copy(update=update) if g.garnishee_id == garnishee_id else g for g in s.garnishees
    )


@_on(DebtDiscussed)
def _e_discussed(s: CaseState, e: DebtDiscussed) -> CaseChanges:
    if e.garnishee_warning_given:
        return {"verbal_warnings": (*s.verbal_warnings, _local(e))}
    return {}


@_on(RecoveryPaused)
def _e_paused(s: CaseState, e: RecoveryPaused) -> CaseChanges:
    return {"pauses": (*s.pauses, Pause(pause_id=e.pause_id, debt_ids=e.debt_ids, reason=e.reason))}


@_on(RecoveryResumed)
def _e_resumed(s: CaseState, e: RecoveryResumed) -> CaseChanges:
    return {"pauses": tuple(p for p in s.pauses if p.pause_id != e.pause_id)}


@_on(FinancialCircumstancesAssessed)
def _e_fca(s: CaseState, e: FinancialCircumstancesAssessed) -> CaseChanges:
    fca = Fca(
        fca_id=e.fca_id,
        assessed_on=e.assessed_on,
        excess_income_per_fortnight=e.excess_income_per_fortnight,
        financial_hardship=e.financial_hardship,
    )
    return {"fca": fca}


@_on(ArrangementAgreed)
def _e_arrangement(s: CaseState, e: ArrangementAgreed) -> CaseChanges:
    return {"arrangement": e.kind, "refused": False, "stage": "IN_ARRANGEMENT"}


@_on(ArrangementBroken)
def _e_broken(s: CaseState, e: ArrangementBroken) -> CaseChanges:
    return {"arrangement": None, "refused": True, "stage": "INVESTIGATION"}


@_on(CallbackAgreed)
def _e_callback(s: CaseState, e: CallbackAgreed) -> CaseChanges:
    return {"callback_on": e.callback_on}


@_on(ArrangementRefused)
def _e_refused(s: CaseState, e: ArrangementRefused) -> CaseChanges:
    return {"refused": True, "refusal_retracted": False, "stage": "INVESTIGATION"}


@_on(RefusalRetracted)
def _e_retracted(s: CaseState, e: RefusalRetracted) -> CaseChanges:
    return {"refused": False, "refusal_retracted": True, "stage": "ENGAGEMENT"}


@_on(ArrangementDeemedUnreasonable)
def _e_unreasonable(s: CaseState, e: ArrangementDeemedUnreasonable) -> CaseChanges:
    return {"deemed_unreasonable": True, "refusal_retracted": False}


@_on(FinancialInstitutionLeadFound)
def _e_fi_lead(s: CaseState, e: FinancialInstitutionLeadFound) -> CaseChanges:
    return {"fi_leads": (*s.fi_leads, e.account_ref), "stage": "INVESTIGATION"}


@_on(EmploymentLeadFound)
def _e_employment(s: CaseState, e: EmploymentLeadFound) -> CaseChanges:
    lead = EmploymentLead(lead_id=e.lead_id, source=e.source)
    return {"employment_leads": (*s.employment_leads, lead), "stage": "INVESTIGATION"}


@_on(EmployerContactAttempted)
def _e_employer(s: CaseState, e: EmployerContactAttempted) -> CaseChanges:
    lead = s.lead(e.lead_id)
    attempts = (*(lead.employer_attempts if lead else ()), _local(e))
    contact = ContactRecord(
        at=e.occurred_at, channel="PHONE", actual=e.outcome == "CUSTOMER_REACHED"
    )
    return {
        "employment_leads": _update_lead(s, e.lead_id, employer_attempts=attempts),
        "contacts": (*s.contacts, contact),
    }


@_on(GarnisheeAssessed)
def _e_assessed(s: CaseState, e: GarnisheeAssessed) -> CaseChanges:
    g = Garnishee(
        garnishee_id=e.garnishee_id,
        kind=e.kind,
        debt_ids=e.debt_ids,
        appropriate=e.appropriate,
        failed_checks=e.failed_checks,
        exclusions=e.exclusions,
        assessed_on=_local(e),
    )
    return {"garnishees": (*s.garnishees, g), "stage": "ENFORCEMENT"}


@_on(GarnisheeSubmitted)
def _e_submitted(s: CaseState, e: GarnisheeSubmitted) -> CaseChanges:
    garnishees = _update_garnishee(
        s, e.garnishee_id, submitted_by=e.actor.staff_id, submitter=e.actor
    )
    return {"garnishees": garnishees}


@_on(GarnisheeApproved)
def _e_approved(s: CaseState, e: GarnisheeApproved) -> CaseChanges:
    return {"garnishees": _update_garnishee(s, e.garnishee_id, decision="APPROVED")}


@_on(GarnisheeRejected)
def _e_rejected(s: CaseState, e: GarnisheeRejected) -> CaseChanges:
    return {"garnishees": _update_garnishee(s, e.garnishee_id, decision="REJECTED")}


@_on(DebtRedressCheckActioned)
def _e_redress(s: CaseState, e: DebtRedressCheckActioned) -> CaseChanges:
    garnishees = _update_garnishee(
        s,
        e.garnishee_id,
        redress_check_id=e.check_id,
        redress_result=e.result,
        redress_actioned_by=e.actor.staff_id,
        redress_approved=False,
    )
    return {"garnishees": garnishees}


@_on(DebtRedressCheckApproved)
def _e_redress_ok(s: CaseState, e: DebtRedressCheckApproved) -> CaseChanges:
    return {"garnishees": _update_garnishee(s, e.garnishee_id, redress_approved=True)}


@_on(GarnisheePlaced)
def _e_placed(s: CaseState, e: GarnisheePlaced) -> CaseChanges:
    return {"garnishees": _update_garnishee(s, e.garnishee_id, placed_on=e.notice_date)}


@_on(GarnisheeRemittanceRecorded)
def _e_remittance(s: CaseState, e: GarnisheeRemittanceRecorded) -> CaseChanges:
    return {}


@_on(DebtPaidInFull)
def _e_paid(s: CaseState, e: DebtPaidInFull) -> CaseChanges:
    return {"paid_in_full": True}


@_on(PropertySearchRecorded)
def _e_property(s: CaseState, e: PropertySearchRecorded) -> CaseChanges:
    return {"property_searches": (*s.property_searches, e.state)}


@_on(LitigationReferralSent)
def _e_litigation(s: CaseState, e: LitigationReferralSent) -> CaseChanges:
    return {"litigation": "SENT", "stage": "LITIGATION_REFERRED"}


@_on(LitigationReferralAccepted)
def _e_litigation_ok(s: CaseState, e: LitigationReferralAccepted) -> CaseChanges:
    return {"litigation": "ACCEPTED"}


@_on(LitigationReferralDeclined)
def _e_litigation_no(s: CaseState, e: LitigationReferralDeclined) -> CaseChanges:
    return {"litigation": "DECLINED", "stage": "INVESTIGATION"}


@_on(TravelPatternAssessed)
def _e_travel(s: CaseState, e: TravelPatternAssessed) -> CaseChanges:
    return {"travel_pattern_found": e.pattern_found}


@_on(DpoReferralMade)
def _e_dpo_referral(s: CaseState, e: DpoReferralMade) -> CaseChanges:
    return {"dpo_referred": True, "stage": "DPO_TRACK"}


def _warning_delivered(s: CaseState, letter_id: str, delivered: bool) -> CaseChanges:
    letters = tuple(
        x.model_copy(update={"delivered": delivered}) if x.letter_id == letter_id else x
        for x in s.letters
    )
    return {"letters": letters}


@_on(DpoWarningDelivered)
def _e_delivered(s: CaseState, e: DpoWarningDelivered) -> CaseChanges:
    return _warning_delivered(s, e.letter_id, True)


@_on(DpoWarningNotDelivered)
def _e_not_delivered(s: CaseState, e: DpoWarningNotDelivered) -> CaseChanges:
    return _warning_delivered(s, e.letter_id, False)


@_on(DpoMade)
def _e_dpo(s: CaseState, e: DpoMade) -> CaseChanges:
    return {"dpo_id": e.dpo_id, "dpo_active": True}


@_on(DpoRevoked)
def _e_dpo_revoked(s: CaseState, e: DpoRevoked) -> CaseChanges:
    return {"dpo_active": False}


@_on(CaseClosureStarted)
def _e_closing(s: CaseState, e: CaseClosureStarted) -> CaseChanges:
    return {"status": "CLOSING", "stage": "CLOSING", "closure_reason": e.reason}


def _did(step: str) -> _Evolver:
    def evolver(s: CaseState, e: Any) -> CaseChanges:
        return {"closure_steps": (*s.closure_steps, step)}

    return evolver


_on(RecoveryOptionsExhaustedRecorded)(_did("ROE_FAST_NOTE"))
_on(DoaDocExpired)(_did("DOA_DOC_EXPIRED"))
_on(CivilActionEnded)(_did("CIVIL_ACTION_ENDED"))
_on(OpcvCodingEnded)(_did("OPCV_CODING_ENDED"))
_on(ActorRelationshipEnded)(_did("ACTOR_RELATIONSHIP_UPDATED"))
_on(CaseFileFinalised)(_did("CASE_FILE_FINALISED"))


@_on(CaseClosed)
def _e_closed(s: CaseState, e: CaseClosed) -> CaseChanges:
    return {"status": "CLOSED", "stage": "CLOSED"}


@_on(CaseArchived, ArchiveConsiderationRequested)
def _e_archived(s: CaseState, e: CaseEvent) -> CaseChanges:
    return {"status": "ARCHIVED"} if isinstance(e, CaseArchived) else {"archive_requested": True}


@_on(VulnerabilityFlagRecorded)
def _e_flag(s: CaseState, e: VulnerabilityFlagRecorded) -> CaseChanges:
    return {"flags": (*s.flags, Flag(flag_id=e.flag_id, kind=e.kind))}


@_on(VulnerabilityFlagCleared)
def _e_flag_cleared(s: CaseState, e: VulnerabilityFlagCleared) -> CaseChanges:
    return {"flags": tuple(f for f in s.flags if f.flag_id != e.flag_id)}
