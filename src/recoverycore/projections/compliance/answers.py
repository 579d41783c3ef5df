"""What the compliance view answers: the models of its answer."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal

from pydantic import BaseModel

from recoverycore.projections._customers import CustomerRecord
from recoverycore.projections._view import ROW_MODEL

# -- the answers ---------------------------------------------------------------------------------


class ContactHours(BaseModel):
    """X-R6: when phone, SMS, voicemail and face-to-face contact may happen, in the customer's
    local time. The defaults are :class:`~recoverycore.aggregates.cmr.CaseConfig`'s
    ``weekday_contact_hours`` and ``weekend_contact_hours``."""

    model_config = ROW_MODEL

    weekday: tuple[time, time] = (time(7, 30), time(21, 0))
    weekend: tuple[time, time] = (time(9, 0), time(21, 0))


class ContactPeriod(BaseModel):
    """One ISO week or calendar month of a customer's actual contacts."""

    model_config = ROW_MODEL

    label: str
    """``2026-W10`` or ``2026-03``."""
    starts_on: date
    contacts: int
    cap: int
    over_cap: bool
    """More actual contacts than the cap allows."""


class CustomerContacts(BaseModel):
    """One customer's actual contacts against the X-R8 caps (all their cases together).

    Periods are reckoned on the local date of each contact (the offset it was recorded with).
    The rolling counts are the aggregate's own measure: the most actual contacts within any
    7 (30) days, ending at a contact."""

    model_config = ROW_MODEL

    crn: str | None
    """``None`` for a case whose allocation the view has not seen (one customer per case)."""
    subject_ids: tuple[str, ...]
    contacts: int
    """Actual contacts up to ``as_of``."""
    weeks: tuple[ContactPeriod, ...]
    months: tuple[ContactPeriod, ...]
    worst_7_days: int
    worst_7_days_ending: datetime | None
    worst_30_days: int
    worst_30_days_ending: datetime | None
    over_weekly_cap: bool
    """Some ISO week or rolling 7 days had more actual contacts than the weekly cap."""
    over_monthly_cap: bool
    """Some calendar month or rolling 30 days had more actual contacts than the monthly cap."""


FollowUpStatus = Literal["SCHEDULED", "DUE", "COMPLETED", "CANCELLED"]


class LetterFollowUp(BaseModel):
    """A follow-up a letter caused, as it stood at ``as_of``."""

    model_config = ROW_MODEL

    follow_up_id: str
    kind: str
    due_at: datetime
    status: FollowUpStatus
    """``DUE`` once its due time has passed at ``as_of`` (ticked or not)."""
    ended_at: datetime | None


class UnreviewedLetter(BaseModel):
    """A letter whose response period has passed at ``as_of`` without a review.

    The letters are a case's ``LetterIssued`` and a plan's ``MspLetterSent``. A case letter's
    period has passed once ``as_of``'s date (at the letter's offset) is after ``respond_by``; an
    MSP letter has no response date, so its period is the follow-ups it caused, passed once one
    falls due (its tracking check, 4 business days on). A letter is reviewed once a follow-up it
    caused (``FollowUpScheduled.caused_by`` is the letter event's id) was completed: by the
    customer's response, the third party's reply, the delivery check, or a garnishee placed on
    the strength of the warning."""

    model_config = ROW_MODEL

    crn: str | None
    subject_id: str
    subject_type: str
    letter_id: str
    code: str | None
    """The letter code (Q164, Q190, ...) of a case letter."""
    purpose: str | None
    event_id: str
    event_type: str
    version: int
    issued_at: datetime
    respond_by: date | None
    """A case letter's response date; an MSP letter's review is its tracking check."""
    follow_ups: tuple[LetterFollowUp, ...]
    """What the letter caused, with its status (none if the follow-up policy has not run)."""


class PauseInForce(BaseModel):
    """A recovery pause in force at ``as_of`` (X-R1: no enforcement of its debts)."""

    model_config = ROW_MODEL

    crn: str | None
    subject_id: str
    pause_id: str
    debt_ids: tuple[str, ...]
    reason: str
    paused_at: datetime
    version: int
    event_id: str


class FlagInForce(BaseModel):
    """A vulnerability flag in force at ``as_of`` on a case or a plan."""

    model_config = ROW_MODEL

    crn: str | None
    subject_id: str
    subject_type: str
    flag_id: str
    """The case flag's id; a plan's flags are named by their kind."""
    kind: str
    recorded_at: datetime
    version: int
    event_id: str
    pauses_enforcement: str | None
    """The rule by which the flag pauses enforcement on a case (X-R3 suicide or self-harm,
    X-R4 FDV with an immediate threat, X-R1 a declared disaster), ``None`` otherwise."""


class GarnisheeRecord(BaseModel):
    """One garnishee, step by step: who did what, when."""

    model_config = ROW_MODEL

    crn: str | None
    subject_id: str
    garnishee_id: str
    kind: str | None
    debt_ids: tuple[str, ...]
    appropriate: bool | None
    assessed_at: datetime | None
    assessed_by: str | None
    submitted_at: datetime | None
    submitted_by: str | None
    submitted_to: str | None
    decision: Literal["APPROVED", "REJECTED"] | None
    decided_at: datetime | None
    decided_by: str | None
    self_approved: bool | None
    redress_check_id: str | None
    redress_result: str | None
    redress_actioned_at: datetime | None
    redress_actioned_by: str | None
    redress_approved_at: datetime | None
    redress_approved_by: str | None
    placed_at: datetime | None
    placed_by: str | None


class UnnotifiedPlan(BaseModel):
    """A plan in force at ``as_of`` whose notification is not complete: never sent to the
    customer in writing (S-MSP Step 3: "Customers must be advised of their MSP in writing";
    MSP-R9), or without the date the customer was informed (S-MSP Step 1: "update the Date
    customer informed of MSP field"; MSP-A4). A varied or extended plan is notified afresh."""

    model_config = ROW_MODEL

    crn: str | None
    plan_id: str
    in_force_since: datetime
    """When it was approved (or varied or extended: the notification it needs since then), at
    the local offset it was recorded with."""
    rule_id: str
    procedure_ref: str
    """The procedure step that requires it (``104-07050030 S3``, ``104-07050030 S1``)."""
    detail: str


class ComplianceBreach(BaseModel):
    """A recorded event that breaks a rule, and which."""

    model_config = ROW_MODEL

    rule_id: str
    crn: str | None
    subject_id: str
    version: int
    event_id: str
    event_type: str
    occurred_at: datetime
    detail: str


class Compliance(BaseModel):
    """The answer to the compliance questions at ``as_of``, for one customer, one plan or
    case, or everyone."""

    model_config = ROW_MODEL

    as_of: datetime
    crn: str | None
    subject_id: str | None
    weekly_cap: int
    monthly_cap: int
    contacts: tuple[CustomerContacts, ...]
    unreviewed_letters: tuple[UnreviewedLetter, ...]
    pauses: tuple[PauseInForce, ...]
    flags: tuple[FlagInForce, ...]
    garnishees: tuple[GarnisheeRecord, ...]
    breaches: tuple[ComplianceBreach, ...]
    customers: tuple[CustomerRecord, ...] = ()
    """The customer's record at ``as_of`` (for one customer, or the customer of one plan or
    case; asked of everyone, every customer with a flag or MSP restriction in force): their
    plans and cases, and the flags and MSP restrictions (with the OMC/PSSO) in force on the
    person, which bind every plan and case of theirs."""
    not_notified_in_writing: tuple[UnnotifiedPlan, ...] = ()
    """Plans in force never sent to the customer in writing (no ``MspLetterSent``)."""
    informed_date_missing: tuple[UnnotifiedPlan, ...] = ()
    """Plans in force with no date the customer was informed (no ``MspCustomerInformed``)."""
