"""The follow-up policy: the procedures' timers as pure functions of recorded events.

:func:`react` takes one recorded event of a plan or case and the follow-up ledger of that plan
or case, and returns the ledger events it causes: follow-ups scheduled (spec 1.8 and 2.7),
completed (what they waited for happened) or cancelled (the plan or case ended). :func:`tick`
returns the follow-ups that fall due by a supplied time. Neither reads a clock: time arrives
in the events and in ``tick``'s ``now``; public holidays arrive as a set of dates.

Both are idempotent: a follow-up's id is derived from its kind, its cause and its scope, and a
ledger never schedules an id it has seen, so delivering the same event twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any, Literal
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from recoverycore.days import add_days, add_months
from recoverycore.events import Actor, DomainEvent, LocalDatetime, Role
from recoverycore.events import cmr as c
from recoverycore.events import msp as m
from recoverycore.events.follow_ups import (
    FollowUpCancelled,
    FollowUpCompleted,
    FollowUpDue,
    FollowUpEvent,
    FollowUpScheduled,
)
from recoverycore.events.vocabulary import DEFAULT_PERIODS, PROCEDURE_TIME_ZONE, DayCount

__all__ = [
    "PLAN_EXPIRY",
    "POLICY_ACTOR",
    "RULES",
    "FollowUpLedger",
    "FollowUpRule",
    "OpenFollowUp",
    "PlanExpiryDue",
    "evolve",
    "expiries_due",
    "ledger_id",
    "react",
    "tick",
]

POLICY_ACTOR = Actor(
    staff_id="policy:follow-ups", role=Role.SYSTEM, aps_level="N/A", team="recoverycore"
)
"""Who records follow-up events: the policy acting on the procedure's behalf."""
_LEDGER_NAMESPACE = UUID("1b0c5a8e-43f2-4c53-9d6e-7f0e5b1d2c44")
DATE_DUE_AT = time(9, 0)
"""A follow-up due on a date (a callback, an end date) falls due at 9 am local time [A]."""


@lru_cache(maxsize=8)
def _zone(name: str) -> tzinfo:
    return ZoneInfo(name)


def ledger_id(subject_id: UUID) -> UUID:
    """The id of the follow-up ledger of a plan or case."""
    return uuid5(_LEDGER_NAMESPACE, str(subject_id))


# -- the rules --
def _none(event: Any) -> str:
    return ""


def _same_scope(scope: str, event: Any, attribute: str) -> bool:
    return scope == str(getattr(event, attribute, ""))


@dataclass(frozen=True)
class FollowUpRule:
    """One timer of the procedures: what schedules it, when it is due, what ends it."""

    kind: str
    description: str
    procedure_ref: str
    trigger: tuple[type[DomainEvent], ...]
    period: DayCount | None = None
    """Days after the triggering action; or ``None`` when ``due_date``, ``period_of`` or
    ``setting`` gives it."""
    period_of: Callable[[Any], DayCount] | None = None
    """The period as the triggering event recorded it (a letter's response period)."""
    setting: str | None = None
    """The configuration field whose value is the period (``dpo_delivery_check_after``)."""
    due_date: Callable[[Any], date] | None = None
    when: Callable[[Any], bool] = lambda event: True
    scope: Callable[[Any], str] = _none
    completed_by: tuple[type[DomainEvent], ...] = ()
    completes: Callable[[str, Any], bool] = lambda scope, event: True
    """Whether an event of ``completed_by`` is the one this follow-up (with ``scope``) awaits."""
    cancelled_by: tuple[type[DomainEvent], ...] = field(default=())


def _days(n: int, unit: Literal["CALENDAR", "BUSINESS"] = "CALENDAR") -> DayCount:
    return DayCount(days=n, unit=unit)


_MSP_END = (m.MspRejected, m.MspWithdrawn, m.MspEnded, m.MspExpired)
_CASE_END = (c.CaseClosed, c.CustomerUnassigned)
_RESPONSES = (c.DebtDiscussed, c.ArrangementAgreed, c.ArrangementRefused, c.CallbackAgreed)
MSP_PROC, CMR_PROC = m.PROCEDURE, c.PROCEDURE


def _letter(code: str, purpose: str | None = None) -> Callable[[Any], bool]:
    return lambda e: e.code == code and (purpose is None or e.purpose == purpose)


def _response_period(event: c.LetterIssued) -> DayCount:
    return event.response_period


def _end_date(event: m.MspRecorded | m.MspExtended) -> date:
    return event.end_date if isinstance(event, m.MspRecorded) else event.new_end_date


RULES: tuple[FollowUpRule, ...] = (
    # -- spec 1.8: MSP ---------------------------------------------------------------------------
    FollowUpRule(
        "MSP_FIRST_CONTACT",
        "Notify the customer as soon as possible: a first contact attempt by the end of the "
        "next business day [A].",
        f"{MSP_PROC} S1-S2",
        (m.MspApproved,),
        period=_days(1, "BUSINESS"),
        completed_by=(
            m.MspContactAttempted,
            m.MspRepresentativeContacted,
            m.MspDirectContactWaived,
        ),
        cancelled_by=_MSP_END,
    ),
    FollowUpRule(
        "MSP_LETTER_DUE",
        "The MSP letter is always sent: within 2 business days of approval [A].",
        f"{MSP_PROC} S3",
        (m.MspApproved, m.MspVaried, m.MspExtended),
        period=_days(2, "BUSINESS"),
        completed_by=(m.MspLetterSent,),
        cancelled_by=_MSP_END,
    ),
    FollowUpRule(
        "MSP_LETTER_TRACKING",
        "Check the Priority letter's tracking after 4 business days and record the outcome.",
        f"{MSP_PROC} S3",
        (m.MspLetterSent,),
        period=_days(4, "BUSINESS"),
        scope=lambda e: e.letter_id,
        completed_by=(m.MspLetterDelivered, m.MspLetterReturnedToSender),
        completes=lambda scope, e: _same_scope(scope, e, "letter_id"),
        cancelled_by=_MSP_END,
    ),
    FollowUpRule(
        "MSP_RETURNED_TO_SENDER",
        "Letter returned to sender: re-verify the address, try phone or a representative, and "
        "re-send [A].",
        f"{MSP_PROC} S3",
        (m.MspLetterReturnedToSender,),
        period=_days(0),
        completed_by=(m.MspLetterSent,),
        cancelled_by=_MSP_END,
    ),
    FollowUpRule(
        "MSP_REVIEW_START",
        "Start the MSP review and invite the customer 28 days before the end date [A].",
        f"{MSP_PROC} (review)",
        (m.MspRecorded, m.MspExtended),
        due_date=lambda e: _end_date(e) - timedelta(days=28),
        completed_by=(m.MspReviewInvitationSent,),
        cancelled_by=_MSP_END,
    ),
    FollowUpRule(
        "MSP_END_DATE",
        "The MSP expires on its end date unless extended [A].",
        f"{MSP_PROC} (duration)",
        (m.MspRecorded, m.MspExtended),
        due_date=_end_date,
        completed_by=(m.MspExpired, m.MspExtended),
        cancelled_by=(m.MspRejected, m.MspWithdrawn, m.MspEnded),
    ),
    FollowUpRule(
        "MSP_VARIATION_LAPSES",
        "The one-off variation lapses after its appointment [A].",
        f"{MSP_PROC} S1",
        (m.MspOneOffVariationGranted,),
        due_date=lambda e: e.appointment_at.date() + timedelta(days=1),
        cancelled_by=_MSP_END,
    ),
    # -- spec 2.7: case managed recovery -------------------------------------------------------
    FollowUpRule(
        "Q164_RESPONSE_REVIEW",
        "Hold the No Arrangement activity 15 days for the Q164 response; then the next step.",
        f"{CMR_PROC} T2.S4",
        (c.LetterIssued,),
        period_of=_response_period,
        when=_letter("Q164"),
        scope=lambda e: e.letter_id,
        completed_by=_RESPONSES,
        cancelled_by=_CASE_END,
    ),
    FollowUpRule(
        "Q190_RESPONSE_REVIEW",
        "Review the response to the Q190 'final option' letter after 15 days.",
        f"{CMR_PROC} T2.S5",
        (c.LetterIssued,),
        period_of=_response_period,
        when=_letter("Q190", "FINAL_OPTION"),
        scope=lambda e: e.letter_id,
        completed_by=_RESPONSES,
        cancelled_by=_CASE_END,
    ),
    FollowUpRule(
        "DISCUSSION_MANUAL_REVIEW",
        "A manual review on the RVR screen 15 days after the discussion.",
        f"{CMR_PROC} T2.S6",
        (c.DebtDiscussed,),
        period=_days(15),
        completed_by=(c.ArrangementAgreed, c.ArrangementRefused, c.CallbackAgreed),
        cancelled_by=_CASE_END,
    ),
    FollowUpRule(
        "CALLBACK",
        "Hold to the agreed callback date and check progress.",
        f"{CMR_PROC} T2.S9",
        (c.CallbackAgreed,),
        due_date=lambda e: e.callback_on,
        completed_by=(c.DebtDiscussed, c.ArrangementAgreed, c.ArrangementRefused),
        cancelled_by=_CASE_END,
    ),
    FollowUpRule(
        "QSS40_REPLY_REVIEW",
        "Review the third party's reply to the QSS40 after 15 days.",
        f"{CMR_PROC} T3.S2",
        (c.LetterIssued,),
        period_of=_response_period,
        when=_letter("QSS40"),
        scope=lambda e: e.letter_id,
        completed_by=(c.ReturnedCorrespondenceProcessed, c.FinancialInstitutionLeadFound),
        cancelled_by=_CASE_END,
    ),
    FollowUpRule(
        "Q609_REPLY_REVIEW",
        "Review the employer's reply to the Q609 after 15 days.",
        f"{CMR_PROC} T3.S5",
        (c.LetterIssued,),
        period_of=_response_period,
        when=_letter("Q609"),
        scope=lambda e: e.letter_id,
        completed_by=(c.ReturnedCorrespondenceProcessed,),
        cancelled_by=_CASE_END,
    ),
    FollowUpRule(
        "EMPLOYER_CONTACT",
        "Two genuine attempts through the employer over 2 days, then a Q609.",
        f"{CMR_PROC} T3.S4",
        (c.EmploymentLeadFound,),
        period=_days(2),
        scope=lambda e: e.lead_id,
        completed_by=(c.LetterIssued,),
        completes=lambda scope, e: e.code == "Q609" and e.employment_lead_id == scope,
        cancelled_by=_CASE_END,
    ),
    FollowUpRule(
        "GARNISHEE_APPROVAL",
        "Hold the No Arrangement activity 5 days for the OL's decision on the submission.",
        f"{CMR_PROC} T3.S9",
        (c.GarnisheeSubmitted,),
        period=_days(5),
        scope=lambda e: e.garnishee_id,
        completed_by=(c.GarnisheeApproved, c.GarnisheeRejected),
        completes=lambda scope, e: _same_scope(scope, e, "garnishee_id"),
        cancelled_by=_CASE_END,
    ),
    FollowUpRule(
        "LITIGATION_RESPONSE",
        "Hold 5 days for SRT Litigation's response to the referral.",
        f"{CMR_PROC} T3.S13",
        (c.LitigationReferralSent,),
        period=_days(5),
        completed_by=(c.LitigationReferralAccepted, c.LitigationReferralDeclined),
        cancelled_by=_CASE_END,
    ),
    FollowUpRule(
        "DPO_DELIVERY_CHECK",
        "After 14 days, confirm the DPO warning's delivery through Australia Post tracking.",
        f"{CMR_PROC} T4.S1-S2",
        (c.LetterIssued,),
        setting="dpo_delivery_check_after",
        when=_letter("Q190", "DPO_WARNING"),
        scope=lambda e: e.letter_id,
        completed_by=(c.DpoWarningDelivered, c.DpoWarningNotDelivered),
        completes=lambda scope, e: _same_scope(scope, e, "letter_id"),
        cancelled_by=_CASE_END,
    ),
    FollowUpRule(
        "DPO_RESPONSE_WINDOW",
        "The customer's 23 days to respond to the DPO warning end; a DPO decision may proceed.",
        f"{CMR_PROC} T4.S1",
        (c.LetterIssued,),
        period_of=_response_period,
        when=_letter("Q190", "DPO_WARNING"),
        scope=lambda e: e.letter_id,
        cancelled_by=_CASE_END,
    ),
    FollowUpRule(
        "DPO_WARNING_REISSUE",
        "The DPO warning was not delivered: re-verify the address and issue it again [A].",
        f"{CMR_PROC} T4.S2",
        (c.DpoWarningNotDelivered,),
        period=_days(0),
        completed_by=(c.LetterIssued,),
        completes=lambda scope, e: e.purpose == "DPO_WARNING",
        cancelled_by=_CASE_END,
    ),
    FollowUpRule(
        "GARNISHEE_WARNING_VALIDITY",
        "A garnishee warning counts for 90 days; after that warn again before a garnishee.",
        f"{CMR_PROC} T3.S10",
        (c.LetterIssued, c.DebtDiscussed),
        period=_days(90),
        when=lambda e: (
            getattr(e, "counts_as_garnishee_warning", False)
            or getattr(e, "garnishee_warning_given", False)
        ),
        completed_by=(c.GarnisheePlaced,),
        cancelled_by=_CASE_END,
    ),
    FollowUpRule(
        "FCA_VALIDITY",
        "A financial circumstance assessment relied on for a garnishee is at most 3 months old.",
        f"{CMR_PROC} T3.S7-S8",
        (c.FinancialCircumstancesAssessed,),
        due_date=lambda e: add_months(e.assessed_on, 3),
        scope=lambda e: e.fca_id,
        completed_by=(c.FinancialCircumstancesAssessed,),
        completes=lambda scope, e: e.fca_id != scope,
        cancelled_by=_CASE_END,
    ),
    FollowUpRule(
        "Q609_VALIDITY",
        "A Q609 confirmation of employment makes a new Q609 unnecessary for 90 days.",
        f"{CMR_PROC} T3.S5",
        (c.LetterIssued,),
        period=_days(90),
        when=_letter("Q609"),
        scope=lambda e: e.letter_id,
        cancelled_by=_CASE_END,
    ),
    FollowUpRule(
        "DOA_DOC_EXPIRY",
        "The DOA DOC expires 5 years after it was created.",
        f"{CMR_PROC} T1.S3",
        (c.DoaDocCreated,),
        due_date=lambda e: e.expires_on,
        completed_by=(c.DoaDocExpired,),
        cancelled_by=_CASE_END,
    ),
    FollowUpRule(
        "GARNISHEE_PAYMENT_NOT_BEFORE",
        "The garnishee's first payment is not due before 14 days after the notice (s.1233).",
        f"{CMR_PROC} T3.S10",
        (c.GarnisheePlaced,),
        due_date=lambda e: e.payment_not_before,
        scope=lambda e: e.garnishee_id,
        cancelled_by=_CASE_END,
    ),
    FollowUpRule(
        "ARRANGEMENT_REVIEW",
        "An arrangement is reviewed no more often than every 3 months unless a payment is missed.",
        f"{CMR_PROC} T2.S7",
        (c.ArrangementAgreed,),
        due_date=lambda e: add_months(e.occurred_at.date(), 3),
        completed_by=(c.ArrangementBroken, c.ArrangementAgreed),
        completes=lambda scope, e: True,
        cancelled_by=_CASE_END,
    ),
)
"""Every timer of spec sections 1.8 and 2.7 (the context-only Account Payable and STP timers
excepted: they belong to other procedures)."""

_RULES_BY_KIND = {rule.kind: rule for rule in RULES}


# -- the ledger --
class OpenFollowUp(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    follow_up_id: str
    kind: str
    scope: str
    caused_by: str
    due_at: LocalDatetime
    status: Literal["SCHEDULED", "DUE"] = "SCHEDULED"
    due_event_id: UUID | None = None
    """The ``FollowUpDue`` event that made it due (what a reaction to it names as its cause)."""


class FollowUpLedger(BaseModel):
    """The follow-ups of one plan or case: those still open, and every id ever scheduled."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: UUID
    version: int
    subject_id: str
    open: tuple[OpenFollowUp, ...] = ()
    known: frozenset[str] = frozenset()


def evolve(ledger: FollowUpLedger | None, event: DomainEvent) -> FollowUpLedger:
    """Fold one ledger event into the ledger (total; never refuses)."""
    if ledger is None:
        subject = event.subject_id if isinstance(event, FollowUpScheduled) else ""
        ledger = FollowUpLedger(id=event.originator_id, version=0, subject_id=subject)
    update: dict[str, Any] = {"version": event.originator_version}
    if isinstance(event, FollowUpScheduled):
        item = OpenFollowUp(
            follow_up_id=event.follow_up_id,
            kind=event.kind,
            scope=event.scope,
            caused_by=event.caused_by,
            due_at=event.due_at,
        )
        update["open"] = (*ledger.open, item)
        update["known"] = ledger.known | {event.follow_up_id}
    elif isinstance(event, FollowUpDue):
        update["open"] = tuple(
            f.model_copy(update={"status": "DUE", "due_event_id": event.event_id})
            if f.follow_up_id == event.follow_up_id
            else f
            for f in ledger.open
        )
    elif isinstance(event, FollowUpCompleted | FollowUpCancelled):
        update["open"] = tuple(f for f in ledger.open if f.follow_up_id != event.follow_up_id)
    return ledger.model_copy(update=update)


def fold(
    events: Iterable[DomainEvent], ledger: FollowUpLedger | None = None
) -> FollowUpLedger | None:
    for event in events:
        ledger = evolve(ledger, event)
    return ledger


# -- react and tick --
class _Emitter:
    def __init__(self, ledger: FollowUpLedger | None, lid: UUID, at: datetime, cause: Any) -> None:
        self.version = ledger.version if ledger else 0
        self.id = lid
        self.at = at
        self.cause = cause
        self.events: list[FollowUpEvent] = []

    def emit(self, event_class: type[FollowUpEvent], procedure_ref: str, **fields: Any) -> None:
        cause = self.cause
        self.events.append(
            event_class(
                originator_id=self.id,
                originator_version=self.version + len(self.events) + 1,
                occurred_at=self.at,
                recorded_at=self.at,
                actor=POLICY_ACTOR,
                procedure_ref=procedure_ref,
                correlation_id=getattr(cause, "correlation_id", None)
                or getattr(cause, "event_id", None),
                causation_id=getattr(cause, "event_id", None),
                **fields,
            )
        )


def period_of(
    rule: FollowUpRule, event: DomainEvent, periods: Mapping[str, DayCount] = DEFAULT_PERIODS
) -> DayCount | None:
    """The period ``rule`` waits after ``event``: as the event recorded it, as configured, or
    as the rule states it; ``None`` when the rule gives a date instead."""
    if rule.period_of is not None:
        return rule.period_of(event)
    if rule.setting is not None:
        return periods.get(rule.setting) or DEFAULT_PERIODS[rule.setting]
    return rule.period


def _due_at(
    rule: FollowUpRule,
    event: DomainEvent,
    holidays: frozenset[date],
    zone: tzinfo,
    periods: Mapping[str, DayCount],
) -> tuple[datetime, int, str]:
    # Reckoned on the local calendar: "15 days" lands at the same local time of day, even
    # across a daylight-saving change.
    local = event.occurred_at.astimezone(zone)
    period = period_of(rule, event, periods)
    if period is not None:
        day = add_days(local.date(), period, holidays)
        due = datetime.combine(day, local.time(), tzinfo=zone)
        return due, period.days, period.unit
    if rule.due_date is None:
        raise ValueError(f"follow-up rule {rule.kind} has neither a period nor a due date")
    day = rule.due_date(event)
    return datetime.combine(day, DATE_DUE_AT, tzinfo=zone), (day - local.date()).days, "DATE"


def react(
    ledger: FollowUpLedger | None,
    event: DomainEvent,
    *,
    holidays: Iterable[date] = (),
    time_zone: str = PROCEDURE_TIME_ZONE,
    periods: Mapping[str, DayCount] = DEFAULT_PERIODS,
) -> list[FollowUpEvent]:
    """The ledger events one recorded plan or case event causes.

    ``holidays`` are the public holidays business days skip; ``time_zone`` is the local zone
    in which days are counted; ``periods`` are the configured periods the rules name by their
    ``setting`` (a letter's response period is read from the letter itself)."""
    if isinstance(event, FollowUpEvent):
        return []
    lid = ledger_id(event.originator_id)
    out = _Emitter(ledger, lid, event.recorded_at, event)
    event_id, event_type = str(event.event_id), type(event).__name__
    for item in ledger.open if ledger else ():
        rule = _RULES_BY_KIND[item.kind]
        if item.caused_by == event_id:
            continue
        if isinstance(event, rule.completed_by) and rule.completes(item.scope, event):
            out.emit(
                FollowUpCompleted,
                rule.procedure_ref,
                follow_up_id=item.follow_up_id,
                completed_by=event_id,
                completed_by_type=event_type,
            )
        elif isinstance(event, rule.cancelled_by):
            out.emit(
                FollowUpCancelled,
                rule.procedure_ref,
                follow_up_id=item.follow_up_id,
                cancelled_by=event_id,
                cancelled_by_type=event_type,
            )
    known = ledger.known if ledger else frozenset()
    subject_type = "ManagedServicePlan" if isinstance(event, m.MspEvent) else "CaseManagedRecovery"
    holiday_set = frozenset(holidays)
    zone = _zone(time_zone)
    for rule in RULES:
        if not isinstance(event, rule.trigger) or not rule.when(event):
            continue
        scope = rule.scope(event)
        follow_up_id = str(uuid5(lid, f"{rule.kind}:{event_id}:{scope}"))
        if follow_up_id in known:
            continue  # delivered again: already scheduled
        due_at, period_days, unit = _due_at(rule, event, holiday_set, zone, periods)
        out.emit(
            FollowUpScheduled,
            rule.procedure_ref,
            follow_up_id=follow_up_id,
            subject_id=str(event.originator_id),
            subject_type=subject_type,
            kind=rule.kind,
            description=rule.description,
            due_at=due_at,
            period_days=period_days,
            unit=unit,
            caused_by=event_id,
            caused_by_type=event_type,
            scope=scope,
        )
    return out.events


def tick(ledger: FollowUpLedger | None, now: datetime) -> list[FollowUpEvent]:
    """The follow-ups of ``ledger`` that fall due by ``now`` (each falls due once)."""
    if ledger is None:
        return []
    out = _Emitter(ledger, ledger.id, now, None)
    for item in ledger.open:
        if item.status == "SCHEDULED" and item.due_at <= now:
            out.emit(
                FollowUpDue,
                _RULES_BY_KIND[item.kind].procedure_ref,
                follow_up_id=item.follow_up_id,
                due_at=item.due_at,
            )
    return out.events


# -- what a follow-up that fell due asks the application to record --
PLAN_EXPIRY = "MSP_END_DATE"
"""The follow-up whose falling due expires the plan (spec 1.8: "end_date: expire unless
extended")."""


@dataclass(frozen=True)
class PlanExpiryDue:
    """A plan whose end-date follow-up has fallen due and is still open: the application records
    its expiry (``ExpireMsp``) as the policy, dated when the follow-up fell due."""

    plan_id: UUID
    due_at: datetime
    follow_up_id: str
    due_event_id: UUID | None
    """The ``FollowUpDue`` event (the expiry's cause)."""
    caused_by: UUID | None
    """The event that set the end date (``MspRecorded`` or ``MspExtended``)."""


def expiries_due(ledger: FollowUpLedger | None) -> list[PlanExpiryDue]:
    """The plan expiries ``ledger`` calls for: its end-date follow-ups that have fallen due and
    are still open (an expiry, an extension, an end or a withdrawal closes them).

    Asking again is harmless: the plan refuses a second expiry, an expiry before its (perhaps
    extended) end date, and any change once closed, so a tick that stopped after making the
    follow-up due and before the expiry was recorded is made good by the next one."""
    if ledger is None:
        return []
    try:
        plan_id = UUID(ledger.subject_id)
    except ValueError:
        return []
    return [
        PlanExpiryDue(
            plan_id=plan_id,
            due_at=item.due_at,
            follow_up_id=item.follow_up_id,
            due_event_id=item.due_event_id,
            caused_by=_uuid_or_none(item.caused_by),
        )
        for item in ledger.open
        if item.kind == PLAN_EXPIRY and item.status == "DUE"
    ]


def _uuid_or_none(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None
