"""Events of follow-up ledgers: the procedures' timers, recorded like any other action.

Each plan or case has one ledger (its id derived from the plan's or case's id). A follow-up is
scheduled by the event that causes it, falls due when a supplied clock passes its due time, and
ends completed (what it waited for happened) or cancelled (it no longer applies).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from recoverycore.events._envelope import DomainEvent, LocalDatetime, NonEmptyStr

__all__ = [
    "FOLLOW_UP_EVENT_TYPES",
    "FollowUpCancelled",
    "FollowUpCompleted",
    "FollowUpDue",
    "FollowUpEvent",
    "FollowUpScheduled",
]


class FollowUpEvent(DomainEvent):
    """Base of a follow-up ledger's events."""

    aggregate_type: ClassVar[str] = "FollowUpLedger"

    follow_up_id: NonEmptyStr


class FollowUpScheduled(FollowUpEvent):
    subject_id: NonEmptyStr
    """The plan or case the follow-up is about."""
    subject_type: Literal["ManagedServicePlan", "CaseManagedRecovery"]
    kind: NonEmptyStr
    """The reason code, e.g. ``Q190_RESPONSE_REVIEW``."""
    description: NonEmptyStr
    due_at: LocalDatetime
    period_days: int
    unit: Literal["CALENDAR", "BUSINESS", "DATE"]
    """How ``due_at`` was reckoned: calendar or business days after the cause, or a date the
    cause names (a callback date, an end date)."""
    caused_by: NonEmptyStr
    """The event id of the event that scheduled it."""
    caused_by_type: NonEmptyStr
    scope: str = ""
    """What it is about within the subject (a letter, garnishee or lead id), if anything."""


class FollowUpDue(FollowUpEvent):
    due_at: LocalDatetime


class FollowUpCompleted(FollowUpEvent):
    completed_by: NonEmptyStr
    completed_by_type: NonEmptyStr


class FollowUpCancelled(FollowUpEvent):
    cancelled_by: NonEmptyStr
    cancelled_by_type: NonEmptyStr


FOLLOW_UP_EVENT_TYPES: tuple[type[FollowUpEvent], ...] = (
    FollowUpScheduled,
    FollowUpDue,
    FollowUpCompleted,
    FollowUpCancelled,
)
