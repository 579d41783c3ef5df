"""Table 2, contact (C9-C21): capacity review, pre-call SMS, contact attempts, letters Q164 and
Q190, discussion, review requests and pauses, arrangements, FCA, callbacks and refusals.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

from recoverycore.aggregates.cmr._checks import (
    _aps_at_least,
    _assigned,
    _contact_allowed,
    _Ctx,
    _debts_known,
    _reasons,
    _restrictions_allow,
    _through_the_msp_contact,
)
from recoverycore.aggregates.cmr._decide import _handles
from recoverycore.aggregates.cmr.commands import (
    DeclareArrangementNotReasonable,
    IssueContactLetterQ164,
    IssueFinalOptionLetterQ190,
    PauseRecovery,
    RecordAcceptableArrangement,
    RecordArrangementBroken,
    RecordCallbackAgreed,
    RecordCapacityReview,
    RecordContactAttempt,
    RecordDiscussion,
    RecordFinancialCircumstanceAssessment,
    RecordInterimArrangement,
    RecordRefusal,
    RecordRefusalRetracted,
    RequestExplanationOrReview,
    ResumeRecovery,
    SendPreCallSms,
    _IssueLetter,
)
from recoverycore.aggregates.cmr.state import CASE_ROLES, LEADER_ROLES, CaseState
from recoverycore.days import add_days
from recoverycore.events import Role
from recoverycore.events.cmr import (
    ArrangementAgreed,
    ArrangementBroken,
    ArrangementDeemedUnreasonable,
    ArrangementRefused,
    CallbackAgreed,
    ContactAttempted,
    DebtDiscussed,
    FinancialCircumstancesAssessed,
    LetterCode,
    LetterIssued,
    LetterPurpose,
    PreCallSmsBlocked,
    PreCallSmsSent,
    RecordReviewed,
    RecoveryPaused,
    RecoveryResumed,
    RefusalRetracted,
    ReviewRequested,
)
from recoverycore.events.vocabulary import DayCount


@_handles(RecordCapacityReview, "T2.S1")
def _review(s: CaseState, cmd: RecordCapacityReview, c: _Ctx) -> None:
    c.d.emit(RecordReviewed, capacity_indicators=cmd.capacity_indicators)


def _sms_blocked_by(s: CaseState) -> tuple[str, str] | None:
    kinds = s.flag_kinds()
    if "SUICIDE_SELF_HARM" in kinds:
        return "X-R3", "The customer has talked about suicide or self-harm: no SMS."
    if "FDV_IMMEDIATE_THREAT" in kinds:
        return "X-R4", "FDV with an immediate threat to safety: outbound SMS is suppressed."
    return None


@_handles(SendPreCallSms, "T2.S3", case_team=False)
def _pre_call_sms(s: CaseState, cmd: SendPreCallSms, c: _Ctx) -> None:
    # CMR-R1, except for the OMC/PSSO of an MSP in force, as for the call itself (X-R12).
    if not _through_the_msp_contact(c, c.d.occurred_at.astimezone(c.customer_zone).date()):
        _assigned(c.d, s)
    c.d.require(
        s.sms_subscribed,
        "CMR-A3",
        "The customer is not subscribed to SMS electronic messaging.",
        "Make the contact attempt without a pre-call SMS.",
    )
    c.d.applied("X-R3", "X-R4")
    _not_represented(c, "send the customer a pre-call SMS")
    if (blocked := _sms_blocked_by(s)) is not None:
        c.d.emit(PreCallSmsBlocked, rule_id=blocked[0], detail=blocked[1])
        return
    _contact_allowed(c, s, "SMS", actual=True)
    c.d.emit(
        PreCallSmsSent,
        mobile_number_hash=hashlib.sha256(
            re.sub(r"\D", "", cmd.mobile_number).encode()
        ).hexdigest(),
    )


_ACTUAL = frozenset({"ENGAGED", "CALLBACK_REQUESTED", "REFUSED"})


@_handles(RecordContactAttempt, "T2.S3", case_team=False)
def _contact_attempt(s: CaseState, cmd: RecordContactAttempt, c: _Ctx) -> None:
    d = c.d
    # CMR-R1, except for the OMC/PSSO of an MSP in force: contact goes through them (X-R12).
    if not _through_the_msp_contact(c, d.occurred_at.astimezone(c.customer_zone).date()):
        _assigned(d, s)
    d.require(
        bool(cmd.note.strip()),
        "CMR-A2",
        "Every contact attempt needs a note of what happened.",
        "Record who was called, on which number, and the outcome.",
    )
    d.require(
        not (cmd.voicemail_left and cmd.voicemail_disclosed_reason),
        "CMR-R5",
        "A voicemail must not say the reason for the call.",
        "Leave only your name and a number to call back.",
    )
    d.require(
        not cmd.third_party_told_reason or cmd.third_party_has_authority,
        "CMR-R5",
        "The reason for the call was disclosed to a third party without the customer's express "
        "authority.",
        "Discuss the debt only with the customer or someone they have authorised.",
    )
    if cmd.channel == "SMS":
        # An SMS as the contact itself is held to the pre-call SMS's safeguards (X-R3, X-R4).
        blocked = _sms_blocked_by(s)
        d.applied("X-R3", "X-R4")
        d.require(
            blocked is None,
            blocked[0] if blocked else "X-R3",
            blocked[1] if blocked else "",
            "Contact the customer another way (a call, or in writing) and follow the "
            "safeguarding procedure.",
        )
    # The customer's MSP first: it may rule the channel out altogether (X-R12).
    _restrictions_allow(c, cmd.channel, d.occurred_at.astimezone(c.customer_zone).date())
    if cmd.channel == "FACE_TO_FACE":
        phone_attempts = sum(1 for x in s.contacts if x.channel == "PHONE")
        d.require(
            phone_attempts >= 2 and any(x.code in ("Q164", "Q190") for x in s.letters),
            "X-R7",
            "Face-to-face contact is a last resort, but phone contact and a contact letter "
            "have not been tried.",
            "Make 2 genuine phone attempts and send a contact letter first.",
        )
        _reasons(d, "X-R7", "make face-to-face contact")
    if s.arrangement is not None:
        d.require(
            cmd.purpose != "RECOVERY",
            "X-R9",
            "An arrangement is in place: the customer is not contacted about the debt unless "
            "they ask, a better alternative is proposed, or they default.",
            "Give the purpose of the contact (debtor requested, better alternative, default).",
        )
    if cmd.representative_id:
        d.require(
            c.customer is not None and c.customer.representative(cmd.representative_id) is not None,
            "X-R13",
            f"No representative {cmd.representative_id} is recorded on the customer's record.",
            "Record the representative on the customer's record (RecordRepresentative) first.",
        )
    elif cmd.channel in ("PHONE", "SMS", "VOICEMAIL", "FACE_TO_FACE", "EMAIL"):
        _not_represented(c, f"contact the customer directly ({cmd.channel.lower()})")
    if (
        cmd.channel == "PHONE"
        and not cmd.representative_id
        and s.sms_subscribed
        and _sms_blocked_by(s) is None
    ):
        d.require(
            s.pre_call_sms_pending,
            "CMR-A3",
            "A pre-call SMS is sent before every contact attempt to a subscribed customer.",
            "Send the pre-call SMS, then call.",
        )
    actual = (
        cmd.outcome in _ACTUAL
        or cmd.voicemail_left
        or cmd.channel
        in (
            "SMS",
            "EMAIL",
            "LETTER",
            "FACE_TO_FACE",
        )
    )
    _contact_allowed(c, s, cmd.channel, actual)
    d.emit(
        ContactAttempted,
        attempt_no=len(s.contacts) + 1,
        channel=cmd.channel,
        number=cmd.number,
        outcome=cmd.outcome,
        actual_contact=actual,
        voicemail_left=cmd.voicemail_left,
        note=cmd.note,
        representative_id=cmd.representative_id,
    )


def _not_represented(c: _Ctx, doing: str) -> None:
    """X-R13: a customer with a POA or nominee recorded for contact is contacted through them."""
    through = c.customer.contact_representatives() if c.customer is not None else ()
    named = ", ".join(f"{r.kind} {r.representative_id}" for r in through)
    c.d.require(
        not through,
        "X-R13",
        f"The customer is represented ({named}): recovery does not {doing}.",
        "Contact the representative instead (RecordContactAttempt with representative_id), "
        "or write to the customer.",
    )


def _genuine_attempts(s: CaseState) -> int:
    """Phone attempts at least 3 hours apart (one morning, one afternoon) [A], [OB-COMPL]."""
    times = sorted(x.at for x in s.contacts if x.channel == "PHONE")
    count, last = 0, None
    for at in times:
        if last is None or at - last >= timedelta(hours=3):
            count, last = count + 1, at
    return count


def _issue_letter(
    c: _Ctx,
    s: CaseState,
    cmd: _IssueLetter,
    code: LetterCode,
    purpose: LetterPurpose,
    period: DayCount,
    *,
    to_customer: bool = True,
    garnishee_warning: bool = False,
    **extra: Any,
) -> None:
    d = c.d
    d.require(
        cmd.privacy_safeguarded and cmd.address_confirmed and bool(cmd.address.strip()),
        "CMR-R5",
        "Before a letter is issued the customer's privacy must be safeguarded and the address "
        "confirmed, and the address it goes to recorded.",
        "Follow 'Safeguarding customer privacy when raising and recovering debts', confirm the "
        "address, and give it.",
    )
    d.require(
        period.days >= c.config.min_notice_response_days,
        "X-R10",
        f"A response period of {period.days} days is too short.",
        f"Allow at least {c.config.min_notice_response_days} days.",
    )
    if to_customer:
        d.require(
            cmd.includes_review_rights,
            "X-R10",
            "The letter does not say how to seek an explanation or review of the debt.",
            "Use the approved letter that states the customer's review rights.",
        )
        d.require(
            s.arrangement is None,
            "X-R9",
            "An arrangement is in place: the customer is not written to about the debt unless "
            "they ask, a better alternative is proposed, or they default.",
            "Record the broken arrangement first, or contact the customer only at their request.",
        )
        d.require(
            "FDV_IMMEDIATE_THREAT" not in s.flag_kinds(),
            "X-R4",
            "FDV with an immediate threat to safety is recorded: outbound letters are "
            "suppressed pending assessment.",
            "Follow local response guidelines; write once the flag is assessed and cleared.",
        )
        _contact_allowed(c, s, "LETTER", actual=True, counts_for_hours=False)
    d.require(
        s.letter(cmd.letter_id) is None,
        "CMR-A2",
        f"Letter id {cmd.letter_id} has been used already.",
        "Give the letter its own id.",
    )
    d.emit(
        LetterIssued,
        letter_id=cmd.letter_id,
        code=code,
        purpose=purpose,
        address=cmd.address,
        address_confirmed=cmd.address_confirmed,
        privacy_safeguarded=cmd.privacy_safeguarded,
        response_period=period,
        respond_by=add_days(c.today, period, c.calendar.public_holidays),
        counts_as_garnishee_warning=garnishee_warning,
        tracking_id=cmd.tracking_id,
        **extra,
    )


def _calls_ruled_out(c: _Ctx) -> bool:
    """Whether the customer's MSP in force rules out the case manager's calls (X-R12)."""
    if c.customer is None or _through_the_msp_contact(c, c.today):
        return False
    return any(
        r.kind in ("WRITE_ONLY", "SINGLE_CONTACT_OMC_PSSO")
        for plan in c.customer.restrictions_on(c.today)
        for r in plan.restrictions
    )


def _letter_choice(c: _Ctx, s: CaseState, aware: bool, code: str) -> None:
    d = c.d
    if code == "Q164":
        d.require(
            not aware,
            "CMR-A4",
            "Q164 is for a customer who is likely not aware of their debt.",
            "Use the Q190 'Contact letter with final option' for a customer aware of the debt.",
        )
    else:
        d.require(
            aware,
            "CMR-A4",
            "Q190 (final option) is for a customer who is aware of their debts.",
            "Send the Q164 contact letter first.",
        )
    engaged = any(x.actual for x in s.contacts if x.channel == "PHONE")
    # The customer's MSP rules calls out for the case manager (X-R12): writing is the way, and
    # no call attempts can come first.
    calls_ruled_out = _calls_ruled_out(c)
    d.require(
        engaged or calls_ruled_out or _genuine_attempts(s) >= 2,
        "CMR-A4",
        "A contact letter follows 2 genuine contact attempts on all available numbers.",
        "Make 2 genuine call attempts (e.g. one morning, one afternoon) first.",
    )


@_handles(IssueContactLetterQ164, "T2.S4")
def _q164(s: CaseState, cmd: IssueContactLetterQ164, c: _Ctx) -> None:
    _letter_choice(c, s, cmd.customer_aware_of_debt, "Q164")
    _issue_letter(c, s, cmd, "Q164", "CONTACT", c.config.contact_letter_response)


@_handles(IssueFinalOptionLetterQ190, "T2.S5")
def _q190(s: CaseState, cmd: IssueFinalOptionLetterQ190, c: _Ctx) -> None:
    _letter_choice(c, s, cmd.customer_aware_of_debt, "Q190")
    _issue_letter(
        c,
        s,
        cmd,
        "Q190",
        "FINAL_OPTION",
        c.config.contact_letter_response,
        garnishee_warning=True,
    )


@_handles(RecordDiscussion, "T2.S6")
def _discussion(s: CaseState, cmd: RecordDiscussion, c: _Ctx) -> None:
    c.d.require(
        cmd.identity_confirmed,
        "CMR-R5",
        "The customer's identity was not confirmed before discussing the debt.",
        "Safeguard privacy first: confirm identity (proof of record ownership).",
    )
    if cmd.direction == "OUTBOUND":
        # An outbound discussion is a call made: the customer's MSP and representatives bind it.
        _restrictions_allow(c, "PHONE", c.d.occurred_at.astimezone(c.customer_zone).date())
        _not_represented(c, "call the customer to discuss the debt")
    c.d.emit(
        DebtDiscussed,
        direction=cmd.direction,
        identity_confirmed=cmd.identity_confirmed,
        customer_queried_debt=cmd.customer_queried_debt,
        garnishee_warning_given=cmd.garnishee_warning_given,
        summary=cmd.summary,
    )


def _pause(c: _Ctx, s: CaseState, pause_id: str, debt_ids: tuple[str, ...], reason: str) -> None:
    c.d.require(
        all(p.pause_id != pause_id for p in s.pauses),
        "CMR-A2",
        f"Pause id {pause_id} has been used already.",
        "Give the pause its own id.",
    )
    c.d.emit(RecoveryPaused, pause_id=pause_id, debt_ids=debt_ids, reason=reason)


@_handles(RequestExplanationOrReview, "T2.S6")
def _review_request(s: CaseState, cmd: RequestExplanationOrReview, c: _Ctx) -> None:
    ids = _debts_known(c.d, s, cmd.debt_ids)
    c.d.emit(ReviewRequested, debt_ids=ids, kind=cmd.kind)
    _pause(c, s, cmd.pause_id, ids, cmd.kind)


@_handles(PauseRecovery, "T2.S6")
def _pause_recovery(s: CaseState, cmd: PauseRecovery, c: _Ctx) -> None:
    ids = _debts_known(c.d, s, cmd.debt_ids)
    _reasons(c.d, "X-R5", "exclude these debts from recovery")
    _pause(c, s, cmd.pause_id, ids, cmd.reason)


@_handles(ResumeRecovery, "T2.S6")
def _resume(s: CaseState, cmd: ResumeRecovery, c: _Ctx) -> None:
    c.d.require(
        any(p.pause_id == cmd.pause_id for p in s.pauses),
        "CMR-A1",
        f"No pause {cmd.pause_id} is in force.",
        "Nothing to resume.",
    )
    _reasons(c.d, "CMR-A8", "resume recovery")
    c.d.emit(RecoveryResumed, pause_id=cmd.pause_id)


@_handles(RecordAcceptableArrangement, "T2.S7")
def _acceptable(s: CaseState, cmd: RecordAcceptableArrangement, c: _Ctx) -> None:
    c.d.emit(ArrangementAgreed, kind="ACCEPTABLE", amount=cmd.amount, frequency=cmd.frequency)


@_handles(RecordFinancialCircumstanceAssessment, "T2.S8")
def _fca(s: CaseState, cmd: RecordFinancialCircumstanceAssessment, c: _Ctx) -> None:
    c.d.emit(
        FinancialCircumstancesAssessed,
        fca_id=cmd.fca_id,
        assessed_on=c.today,
        excess_income_per_fortnight=cmd.excess_income_per_fortnight,
        financial_hardship=cmd.financial_hardship,
    )


@_handles(RecordInterimArrangement, "T2.S8")
def _interim(s: CaseState, cmd: RecordInterimArrangement, c: _Ctx) -> None:
    fca = c.d.required(
        s.fca,
        "CMR-A10",
        "An interim arrangement is based on a financial circumstance assessment, and none is "
        "recorded.",
        "Complete the financial circumstance assessment first.",
    )
    c.d.emit(
        ArrangementAgreed,
        kind="INTERIM",
        amount=cmd.amount,
        frequency=cmd.frequency,
        fca_id=fca.fca_id,
    )


@_handles(RecordArrangementBroken, "T2.S7")
def _broken(s: CaseState, cmd: RecordArrangementBroken, c: _Ctx) -> None:
    c.d.require(s.arrangement is not None, "CMR-A1", "No arrangement is in place.", "None.")
    c.d.emit(ArrangementBroken, detail=cmd.detail)


@_handles(RecordCallbackAgreed, "T2.S9")
def _callback(s: CaseState, cmd: RecordCallbackAgreed, c: _Ctx) -> None:
    c.d.require(
        cmd.callback_on >= c.today,
        "CMR-A2",
        "The agreed callback date has already passed.",
        "Record the date the customer agreed to call back.",
    )
    c.d.emit(CallbackAgreed, callback_on=cmd.callback_on)


@_handles(RecordRefusal, "T2.S9")
def _refusal(s: CaseState, cmd: RecordRefusal, c: _Ctx) -> None:
    c.d.emit(ArrangementRefused, detail=cmd.detail)


@_handles(RecordRefusalRetracted, "T2.S9")
def _retracted(s: CaseState, cmd: RecordRefusalRetracted, c: _Ctx) -> None:
    c.d.require(s.refused, "CMR-A1", "The customer has not refused.", "Nothing to retract.")
    c.d.emit(RefusalRetracted, detail=cmd.detail)


@_handles(DeclareArrangementNotReasonable, "T2.S9", case_team=False)
def _not_reasonable(s: CaseState, cmd: DeclareArrangementNotReasonable, c: _Ctx) -> None:
    actor = cmd.actor
    c.d.require(
        actor.role in (CASE_ROLES | {Role.DEBT_STAFF, *LEADER_ROLES})
        and _aps_at_least(actor.aps_level, "APS5"),
        "CMR-R13",
        "Only Debt Staff at APS 5 or above may decide an arrangement is not reasonable.",
        "Ask an APS 5+ officer to make and document the decision.",
    )
    _reasons(c.d, "CMR-R13", "decide the arrangement is not reasonable", 20)
    c.d.emit(ArrangementDeemedUnreasonable)
