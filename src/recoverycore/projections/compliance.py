"""The compliance view: for team leaders and auditors.

It answers, at a given time (``as_of``) and for one customer, one plan or case, or everyone:

* how many actual contacts each customer has had per ISO week and calendar month, and in the
  worst rolling 7 and 30 days, against the X-R8 caps;
* which letters' response periods have passed without a review;
* which recovery pauses and vulnerability flags are in force (X-R1, X-R3, X-R4);
* each garnishee with its assessment, submission, approval, Debt Redress Check and placement;
* any recorded history that breaks a rule (there should be none: the aggregates refuse such
  commands, so a breach found here comes from imported or older data), naming the event and
  the rule.

Rows: ``compliance_subjects`` (one per plan or case: its customer, and the version at which it
ended, if it has), ``compliance_events`` (one per plan or case event the checks read: when, by
whom, and the few fields they need; see :class:`ComplianceView`) and ``compliance_follow_ups``
(one per follow-up a letter caused: due time, and whether and when it was completed or
cancelled). A row is written only by the events of its own plan or case, or of its own
follow-up, so the rows never depend on how the recovery log and the follow-up log interleave;
the questions join them, and fold one plan's or case's events in version order to check the
rules from the outside as the aggregates check them from the inside.

"As of T" follows the other views: the record as it stood at T, that is events and follow-up
changes *recorded* by T (as :meth:`recoverycore.RecoveryApp.case_as_of` reads a case); contacts
are counted on the local date and time they *happened*.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar, Final, Literal

import orjson
from eventsourcing.utils import get_topic
from pydantic import BaseModel

from recoverycore.events import follow_ups, msp
from recoverycore.projections._framework import (
    FOLLOW_UP_APPLICATION,
    RECOVERY_APPLICATION,
    ROW_MODEL,
    Fact,
    Statement,
    ViewDefinition,
    ViewRecorder,
    Write,
    as_of_text,
    json_text,
    time_or_none,
    utc_text,
)
from recoverycore.projections._subjects import (
    CASE,
    CASE_TOPICS,
    PLAN,
    PLAN_TOPICS,
    event_id_of,
    subject_type,
)

__all__ = [
    "Compliance",
    "ComplianceBreach",
    "ComplianceView",
    "ContactHours",
    "ContactPeriod",
    "CustomerContacts",
    "FlagInForce",
    "GarnisheeRecord",
    "LetterFollowUp",
    "PauseInForce",
    "UnreviewedLetter",
    "compliance",
]

# -- what the view keeps -------------------------------------------------------------------------
_UPSERT_SUBJECT = Statement(
    "INSERT INTO {p}compliance_subjects (subject_id, subject_type, crn)"
    " VALUES (:subject_id, :subject_type, :crn)"
    " ON CONFLICT (subject_id) DO UPDATE SET subject_type = excluded.subject_type,"
    " crn = excluded.crn"
)
_RECORD_EVENT = Statement(
    "INSERT INTO {p}compliance_events (subject_id, version, event_type, recorded_at,"
    " occurred_local, actor_id, actor_role, channel, actual, item_id, kind, ref, respond_by,"
    " debt_ids, appropriate, self_approved)"
    " VALUES (:subject_id, :version, :event_type, :recorded_at, :occurred_local, :actor_id,"
    " :actor_role, :channel, :actual, :item_id, :kind, :ref, :respond_by, :debt_ids,"
    " :appropriate, :self_approved)"
    " ON CONFLICT (subject_id, version) DO NOTHING"
)
_END_SUBJECT = Statement(
    "INSERT INTO {p}compliance_subjects AS s (subject_id, subject_type, crn, ended_version)"
    " VALUES (:subject_id, :subject_type, NULL, :version)"
    " ON CONFLICT (subject_id) DO UPDATE SET"
    " ended_version = COALESCE(s.ended_version, excluded.ended_version)"
)
_RECORD_LATE_EVENT = Statement(
    "INSERT INTO {p}compliance_events (subject_id, version, event_type, recorded_at,"
    " occurred_local, actor_id, actor_role)"
    " SELECT :subject_id, :version, :event_type, :recorded_at, :occurred_local, :actor_id,"
    " :actor_role FROM {p}compliance_subjects"
    " WHERE subject_id = :subject_id AND ended_version IS NOT NULL"
    " ON CONFLICT (subject_id, version) DO NOTHING"
)
"""Any other event is kept only if it was recorded after its plan or case ended (CMR-A1,
MSP-A1): a look-up in the small subjects table, and a row only for a breach."""
_SCHEDULE = Statement(
    "INSERT INTO {p}compliance_follow_ups (follow_up_id, subject_id, kind, caused_by, due_at,"
    " due_local, scheduled_at, status, ended_at)"
    " VALUES (:follow_up_id, :subject_id, :kind, :caused_by, :due_at, :due_local, :at,"
    " 'SCHEDULED', NULL)"
    " ON CONFLICT (follow_up_id) DO NOTHING"
)
_END = Statement(
    "UPDATE {p}compliance_follow_ups SET status = :status, ended_at = :at"
    " WHERE follow_up_id = :follow_up_id"
)

_LETTER_EVENTS: Final = frozenset({"LetterIssued", "MspLetterSent"})
"""The letters whose review the view follows (an MSP letter's review is its tracking check)."""
_LETTERS_TO_CUSTOMER: Final = frozenset(
    {"CONTACT", "FINAL_OPTION", "DPO_WARNING", "DATA_MATCH_NOTIFICATION"}
)
"""Letter purposes that count as a contact with the customer (the others go to third parties)."""

_NO_DETAIL: Final[Mapping[str, Any]] = dict.fromkeys(
    (
        "channel",
        "actual",
        "item_id",
        "kind",
        "ref",
        "respond_by",
        "debt_ids",
        "appropriate",
        "self_approved",
    )
)


def _debts(data: Mapping[str, Any]) -> str:
    return json_text(list(data.get("debt_ids") or ()))


def _letter(data: Mapping[str, Any]) -> dict[str, Any]:
    to_customer = data["purpose"] in _LETTERS_TO_CUSTOMER
    return {
        "channel": "LETTER" if to_customer else None,
        "actual": True if to_customer else None,
        "item_id": data["letter_id"],
        "kind": data["purpose"],
        "ref": data["code"],
        "respond_by": data["respond_by"],
        "debt_ids": _debts(data),
    }


_DETAILS: Final[Mapping[str, Callable[[Mapping[str, Any]], dict[str, Any]]]] = {
    # contacts (channel, and whether it is an actual contact counted against the caps)
    "PreCallSmsSent": lambda d: {"channel": "SMS", "actual": True},
    "ContactAttempted": lambda d: {"channel": d["channel"], "actual": bool(d["actual_contact"])},
    "EmployerContactAttempted": lambda d: {
        "channel": "PHONE",
        "actual": d["outcome"] == "CUSTOMER_REACHED",
        "item_id": d["lead_id"],
        "kind": d["outcome"],
    },
    # letters (a letter to the customer is also a contact)
    "LetterIssued": _letter,
    "MspLetterSent": lambda d: {"item_id": d["letter_id"], "ref": d["delivery_method"]},
    # pauses and flags
    "RecoveryPaused": lambda d: {
        "item_id": d["pause_id"],
        "kind": d["reason"],
        "debt_ids": _debts(d),
    },
    "RecoveryResumed": lambda d: {"item_id": d["pause_id"]},
    "VulnerabilityFlagRecorded": lambda d: {"item_id": d["flag_id"], "kind": d["kind"]},
    "VulnerabilityFlagCleared": lambda d: {"item_id": d["flag_id"]},
    "MspVulnerabilityFlagRecorded": lambda d: {"item_id": d["flag"], "kind": d["flag"]},
    "MspVulnerabilityFlagCleared": lambda d: {"item_id": d["flag"], "kind": d["flag"]},
    # garnishees
    "GarnisheeAssessed": lambda d: {
        "item_id": d["garnishee_id"],
        "kind": d["kind"],
        "debt_ids": _debts(d),
        "appropriate": bool(d["appropriate"]),
    },
    "GarnisheeSubmitted": lambda d: {"item_id": d["garnishee_id"], "ref": d["submitted_to"]},
    "GarnisheeApproved": lambda d: {
        "item_id": d["garnishee_id"],
        "self_approved": bool(d["self_approved"]),
    },
    "GarnisheeRejected": lambda d: {"item_id": d["garnishee_id"]},
    "DebtRedressCheckActioned": lambda d: {
        "item_id": d["garnishee_id"],
        "kind": d["result"],
        "ref": d["check_id"],
    },
    "DebtRedressCheckApproved": lambda d: {"item_id": d["garnishee_id"], "ref": d["check_id"]},
    "GarnisheePlaced": lambda d: {"item_id": d["garnishee_id"]},
    # other enforcement and the DPO track
    "LitigationReferralSent": lambda d: {"debt_ids": _debts(d)},
    "DpoWarningDelivered": lambda d: {"item_id": d["letter_id"]},
    "DpoWarningNotDelivered": lambda d: {"item_id": d["letter_id"]},
    "DpoMade": lambda d: {"item_id": d["dpo_id"], "debt_ids": _debts(d)},
    "CaseClosed": lambda d: {"kind": d["reason"]},
}
"""What each event type keeps beyond when and by whom (every other event keeps only that)."""

# The status an event ends a record in; after it only the listed events may follow.
_TERMINAL: Final[Mapping[str, tuple[str, frozenset[str]]]] = {
    "CaseClosed": ("closed", frozenset({"CaseArchived", "ArchiveConsiderationRequested"})),
    "CaseArchived": ("archived", frozenset()),
    "ArchiveConsiderationRequested": ("referred for archiving", frozenset()),
    "CustomerUnassigned": ("unassigned", frozenset()),
    "MspRejected": ("rejected", frozenset()),
    "MspWithdrawn": ("withdrawn", frozenset()),
    "MspEnded": ("ended", frozenset()),
    "MspExpired": ("expired", frozenset()),
}
_SUBJECT_EVENTS: Final = frozenset({"CaseAllocated", "MspRecorded"})
_FOLLOW_UP_TOPICS: Final = tuple(
    get_topic(t)
    for t in (
        follow_ups.FollowUpScheduled,
        follow_ups.FollowUpCompleted,
        follow_ups.FollowUpCancelled,
    )
)
_ENDED: Final = {"FollowUpCompleted": "COMPLETED", "FollowUpCancelled": "CANCELLED"}


class ComplianceView(ViewDefinition):
    """The compliance view's tables and what each event changes in them.

    ``compliance_events`` keeps the events the checks read (contacts, letters, pauses, flags,
    garnishee steps, enforcement, the DPO track, and the events that end a plan or case, which
    also set ``compliance_subjects.ended_version``), and any other event recorded after its plan
    or case ended (a terminal-is-final breach); the two events that start a record write the
    customer into ``compliance_subjects`` instead. Each row holds the event type, when it was
    recorded (UTC text) and when it occurred (with its local offset), the acting officer and
    role, and:

    * ``channel``, ``actual``: a contact (SMS, phone, employer calls too, voicemail, letter,
      email, face to face) and whether it is an actual contact, counted against the caps;
    * ``item_id``: what within the record the event is about: the letter, pause, flag (an MSP
      flag's kind), garnishee, DPO or employment lead;
    * ``kind``: letter purpose, pause reason, flag kind, garnishee kind, Debt Redress Check
      result, employer call outcome, closure reason;
    * ``ref``: letter code, Debt Redress Check id, the officer a garnishee was submitted to, an
      MSP letter's delivery method;
    * ``respond_by``: a case letter's response date;
    * ``debt_ids``: the debts paused, warned of, garnished, referred or ordered (a JSON list);
    * ``appropriate``, ``self_approved``: a garnishee assessment's finding; an approval by the
      submitter (an APS 5 litigation case manager's own bank garnishee).
    """

    name: ClassVar[str] = "compliance"
    tables: ClassVar[tuple[str, ...]] = (
        "compliance_subjects",
        "compliance_events",
        "compliance_follow_ups",
    )
    ddl: ClassVar[tuple[str, ...]] = (
        "CREATE TABLE IF NOT EXISTS {p}compliance_subjects ("
        " subject_id TEXT PRIMARY KEY, subject_type TEXT NOT NULL, crn TEXT,"
        " ended_version BIGINT)",
        "CREATE INDEX IF NOT EXISTS compliance_subjects_crn ON {p}compliance_subjects (crn)",
        "CREATE TABLE IF NOT EXISTS {p}compliance_events ("
        " subject_id TEXT NOT NULL, version BIGINT NOT NULL, event_type TEXT NOT NULL,"
        " recorded_at TEXT NOT NULL, occurred_local TEXT NOT NULL, actor_id TEXT,"
        " actor_role TEXT, channel TEXT, actual BOOLEAN, item_id TEXT, kind TEXT, ref TEXT,"
        " respond_by TEXT, debt_ids TEXT, appropriate BOOLEAN, self_approved BOOLEAN,"
        " PRIMARY KEY (subject_id, version))",
        "CREATE TABLE IF NOT EXISTS {p}compliance_follow_ups ("
        " follow_up_id TEXT PRIMARY KEY, subject_id TEXT NOT NULL, kind TEXT NOT NULL,"
        " caused_by TEXT NOT NULL, due_at TEXT NOT NULL, due_local TEXT NOT NULL,"
        " scheduled_at TEXT NOT NULL, status TEXT NOT NULL, ended_at TEXT)",
        "CREATE INDEX IF NOT EXISTS compliance_follow_ups_subject"
        " ON {p}compliance_follow_ups (subject_id)",
    )
    topics: ClassVar[dict[str, tuple[str, ...]]] = {
        RECOVERY_APPLICATION: PLAN_TOPICS + CASE_TOPICS,
        FOLLOW_UP_APPLICATION: _FOLLOW_UP_TOPICS,
    }

    @classmethod
    def writes(cls, fact: Fact) -> Iterable[Write]:
        data = fact.data
        name = fact.event_type
        if fact.application == FOLLOW_UP_APPLICATION:
            return _follow_up_writes(name, data, fact)
        if name in _SUBJECT_EVENTS:
            subject = {
                "subject_id": fact.subject_id,
                "subject_type": subject_type(fact),
                "crn": data.get("crn"),
            }
            return ((_UPSERT_SUBJECT, subject),)
        actor = data.get("actor") or {}
        event = {
            "subject_id": fact.subject_id,
            "version": fact.version,
            "event_type": name,
            "recorded_at": utc_text(data["recorded_at"]),
            "occurred_local": data["occurred_at"],
            "actor_id": actor.get("staff_id"),
            "actor_role": actor.get("role"),
        }
        detail = _DETAILS.get(name)
        if name in _TERMINAL:
            ended = {
                "subject_id": fact.subject_id,
                "subject_type": subject_type(fact),
                "version": fact.version,
            }
            row = {**event, **_NO_DETAIL, **(detail(data) if detail else {})}
            return ((_RECORD_EVENT, row), (_END_SUBJECT, ended))
        if detail is None:
            return ((_RECORD_LATE_EVENT, event),)
        return ((_RECORD_EVENT, {**event, **_NO_DETAIL, **detail(data)}),)


def _recorded(data: Mapping[str, Any]) -> str:
    return utc_text(data["recorded_at"])


def _follow_up_writes(name: str, data: Mapping[str, Any], fact: Fact) -> Iterable[Write]:
    if name == "FollowUpScheduled":
        if data["caused_by_type"] not in _LETTER_EVENTS:
            return ()
        params = {
            "follow_up_id": data["follow_up_id"],
            "subject_id": data["subject_id"],
            "kind": data["kind"],
            "caused_by": data["caused_by"],
            "due_at": utc_text(data["due_at"]),
            "due_local": data["due_at"],
            "at": _recorded(data),
        }
        return ((_SCHEDULE, params),)
    status = _ENDED.get(name)
    if status is None:
        return ()
    return (
        (_END, {"follow_up_id": data["follow_up_id"], "status": status, "at": _recorded(data)}),
    )


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


# -- checking one record's history ---------------------------------------------------------------
_PLAN_EVENTS: Final = frozenset(t.__name__ for t in msp.MSP_EVENT_TYPES)
_ENFORCEMENT_FLAGS: Final = {
    "SUICIDE_SELF_HARM": "X-R3",
    "FDV_IMMEDIATE_THREAT": "X-R4",
    "DISASTER": "X-R1",
}
_HOURS_CHANNELS: Final = frozenset({"PHONE", "FACE_TO_FACE", "SMS", "VOICEMAIL"})
_ATTEMPT_CHANNELS: Final = frozenset({"PHONE", "VOICEMAIL", "FACE_TO_FACE"})


@dataclass(frozen=True, slots=True)
class _Event:
    subject_id: str
    version: int
    event_type: str
    at: datetime
    """When it occurred, with the local offset it was recorded with."""
    actor_id: str | None
    channel: str | None
    actual: bool | None
    item_id: str | None
    kind: str | None
    ref: str | None
    respond_by: date | None
    debt_ids: tuple[str, ...] | None
    appropriate: bool | None
    self_approved: bool | None

    @property
    def event_id(self) -> str:
        return event_id_of(self.subject_id, self.version)

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> _Event:
        debt_ids = row["debt_ids"]
        respond_by = row["respond_by"]
        return cls(
            subject_id=row["subject_id"],
            version=int(row["version"]),
            event_type=row["event_type"],
            at=datetime.fromisoformat(row["occurred_local"]),
            actor_id=row["actor_id"],
            channel=row["channel"],
            actual=_bool(row["actual"]),
            item_id=row["item_id"],
            kind=row["kind"],
            ref=row["ref"],
            respond_by=None if respond_by is None else date.fromisoformat(respond_by),
            debt_ids=None if debt_ids is None else tuple(orjson.loads(debt_ids)),
            appropriate=_bool(row["appropriate"]),
            self_approved=_bool(row["self_approved"]),
        )


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


@dataclass
class _Garnishee:
    garnishee_id: str
    assessed: _Event | None = None
    submitted: _Event | None = None
    decided: _Event | None = None
    decision: Literal["APPROVED", "REJECTED"] | None = None
    actioned: _Event | None = None
    redress_approved: _Event | None = None
    placed: _Event | None = None

    @property
    def debt_ids(self) -> tuple[str, ...] | None:
        return self.assessed.debt_ids if self.assessed is not None else None

    def check_is_approved_and_clear(self) -> bool:
        return (
            self.actioned is not None
            and self.actioned.kind == "CLEAR"
            and self.redress_approved is not None
        )


@dataclass(frozen=True)
class _Limits:
    weekly_cap: int
    monthly_cap: int
    daily_attempts: int
    hours: ContactHours
    holidays: frozenset[date]


@dataclass
class _Record:
    """One plan's or case's history folded in version order: what is in force, and every
    event that breaks a rule the aggregate checks."""

    subject_id: str
    subject_type: str
    crn: str | None
    limits: _Limits
    breaches: list[ComplianceBreach] = field(default_factory=list)
    contacts: list[_Event] = field(default_factory=list)
    letters: list[_Event] = field(default_factory=list)
    pauses: dict[str, _Event] = field(default_factory=dict)
    flags: dict[str, _Event] = field(default_factory=dict)
    garnishees: dict[str, _Garnishee] = field(default_factory=dict)
    dpo_warnings: dict[str, _Event] = field(default_factory=dict)
    delivered: dict[str, bool] = field(default_factory=dict)
    latest_dpo_warning: str | None = None
    ended: tuple[_Event, str, frozenset[str]] | None = None

    def breach(self, rule_id: str, event: _Event, detail: str) -> None:
        self.breaches.append(
            ComplianceBreach(
                rule_id=rule_id,
                crn=self.crn,
                subject_id=self.subject_id,
                version=event.version,
                event_id=event.event_id,
                event_type=event.event_type,
                occurred_at=event.at,
                detail=detail,
            )
        )

    def fold(self, e: _Event) -> None:
        self._after_terminal(e)
        if e.channel is not None:
            self._contact(e)
        handler = _HANDLERS.get(e.event_type)
        if handler is not None:
            handler(self, e)

    # -- terminal is final (CMR-A1, MSP-A1) -------------------------------------------------------
    def _after_terminal(self, e: _Event) -> None:
        if self.ended is not None:
            ended_by, status, allowed = self.ended
            if e.event_type not in allowed:
                rule_id = "MSP-A1" if self.subject_type == PLAN else "CMR-A1"
                what = "plan" if self.subject_type == PLAN else "case"
                self.breach(
                    rule_id,
                    e,
                    f"Recorded after the {what} was {status} ({ended_by.event_type}, version "
                    f"{ended_by.version}): a {status} {what} accepts no further changes.",
                )
        if e.event_type in _TERMINAL:
            status, allowed = _TERMINAL[e.event_type]
            self.ended = (e, status, allowed)

    # -- contacts (X-R6 hours, X-R8 caps and attempts, X-R3/X-R4 suppression) ---------------------
    def _contact(self, e: _Event) -> None:
        limits = self.limits
        local = e.at
        if e.channel in _HOURS_CHANNELS:
            weekday = local.weekday() < 5
            start, end = limits.hours.weekday if weekday else limits.hours.weekend
            clock = local.time()
            if local.date() in limits.holidays:
                self.breach(
                    "X-R6",
                    e,
                    f"{_channel(e)} on {local:%A %d %B %Y}, a national public holiday.",
                )
            elif not start <= clock <= end:
                self.breach(
                    "X-R6",
                    e,
                    f"{_channel(e)} at {local:%H:%M} on a {'weekday' if weekday else 'weekend'}"
                    f" ({local:%A %d %B %Y}), outside contact hours "
                    f"({start:%H:%M}-{end:%H:%M}, customer's local time).",
                )
        if e.actual:
            self._caps(e)
        else:
            today = sum(
                1
                for x in self.contacts
                if x.channel in _ATTEMPT_CHANNELS
                and x.at.astimezone(local.tzinfo).date() == local.date()
            )
            if today >= limits.daily_attempts:
                self.breach(
                    "X-R8",
                    e,
                    f"Contact attempt {today + 1} on {local:%d %B %Y}: at most "
                    f"{limits.daily_attempts} a day are not excessive.",
                )
        if e.event_type == "PreCallSmsSent":
            self._suppressed(e, ("SUICIDE_SELF_HARM", "FDV_IMMEDIATE_THREAT"), "an SMS was sent")
        elif e.event_type == "LetterIssued":
            self._suppressed(e, ("FDV_IMMEDIATE_THREAT",), "a letter went to the customer")
        self.contacts.append(e)

    def _caps(self, e: _Event) -> None:
        limits = self.limits
        week = sum(1 for x in self.contacts if x.actual and e.at - x.at < timedelta(days=7))
        month = sum(1 for x in self.contacts if x.actual and e.at - x.at < timedelta(days=30))
        over = []
        if week >= limits.weekly_cap:
            over.append(f"actual contact {week + 1} in 7 days (at most {limits.weekly_cap})")
        if month >= limits.monthly_cap:
            over.append(f"actual contact {month + 1} in 30 days (at most {limits.monthly_cap})")
        if over:
            self.breach("X-R8", e, f"{_channel(e)} was " + " and ".join(over) + ".")

    def _suppressed(self, e: _Event, kinds: tuple[str, ...], what: str) -> None:
        for flag_id, flag in sorted(self.flags.items()):
            if flag.kind in kinds:
                self.breach(
                    _ENFORCEMENT_FLAGS[flag.kind],
                    e,
                    f"{_sentence(what)} while flag {flag_id} ({_words(flag.kind)}, version "
                    f"{flag.version}) was in force.",
                )

    # -- enforcement while paused or flagged (X-R1, X-R2, X-R3, X-R4) -----------------------------
    def _enforcement(
        self, e: _Event, debt_ids: tuple[str, ...] | None, doing: str, *, garnishee: bool = False
    ) -> None:
        for flag_id, flag in sorted(self.flags.items()):
            kind = flag.kind or ""
            rule_id = _ENFORCEMENT_FLAGS.get(kind) or (
                "X-R2" if garnishee and kind == "HARDSHIP" else None
            )
            if rule_id is not None:
                self.breach(
                    rule_id,
                    e,
                    f"{_sentence(doing)} while flag {flag_id} ({_words(kind)}, version "
                    f"{flag.version}) was in force.",
                )
        for pause_id, pause in sorted(self.pauses.items()):
            paused = pause.debt_ids or ()
            hit = sorted(set(paused) & set(debt_ids)) if debt_ids else sorted(paused)
            if hit:
                self.breach(
                    "X-R1",
                    e,
                    f"{_sentence(doing)} while recovery of {', '.join(hit)} was paused "
                    f"(pause {pause_id}, {_words(pause.kind or '')}, version {pause.version}).",
                )

    def garnishee(self, garnishee_id: str | None) -> _Garnishee:
        key = garnishee_id or ""
        if key not in self.garnishees:
            self.garnishees[key] = _Garnishee(key)
        return self.garnishees[key]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _words(code: str) -> str:
    return code.replace("_", " ").lower()


def _channel(e: _Event) -> str:
    if e.event_type == "EmployerContactAttempted":
        return "A call through the employer"
    return {
        "SMS": "An SMS",
        "PHONE": "A phone call",
        "VOICEMAIL": "A voicemail",
        "FACE_TO_FACE": "Face-to-face contact",
        "LETTER": "A letter",
        "EMAIL": "An email",
    }.get(e.channel or "", "A contact")


def _on_letter(r: _Record, e: _Event) -> None:
    r.letters.append(e)
    if e.kind == "DPO_WARNING":
        r._enforcement(e, e.debt_ids, "a DPO warning was issued")
        r.dpo_warnings[e.item_id or ""] = e
        r.latest_dpo_warning = e.item_id or ""


def _on_dpo_made(r: _Record, e: _Event) -> None:
    r._enforcement(e, e.debt_ids, "a DPO was made")
    warning = r.dpo_warnings.get(r.latest_dpo_warning or "")
    if warning is None or r.delivered.get(r.latest_dpo_warning or "") is not True:
        r.breach(
            "CMR-R17",
            e,
            "A DPO was made without a DPO warning whose delivery was confirmed"
            + (f" (warning {warning.item_id} is not confirmed delivered)." if warning else "."),
        )
    elif warning.respond_by is not None and e.at.date() <= warning.respond_by:
        r.breach(
            "CMR-R17",
            e,
            f"A DPO was made before the customer's time to respond to warning "
            f"{warning.item_id} ended ({warning.respond_by.isoformat()}).",
        )


def _on_assessed(r: _Record, e: _Event) -> None:
    r.garnishee(e.item_id).assessed = e


def _on_submitted(r: _Record, e: _Event) -> None:
    g = r.garnishee(e.item_id)
    g.submitted = e
    r._enforcement(e, g.debt_ids, f"garnishee {g.garnishee_id} was submitted", garnishee=True)


def _on_decided(r: _Record, e: _Event) -> None:
    g = r.garnishee(e.item_id)
    g.decided = e
    g.decision = "APPROVED" if e.event_type == "GarnisheeApproved" else "REJECTED"


def _on_redress_actioned(r: _Record, e: _Event) -> None:
    g = r.garnishee(e.item_id)
    g.actioned, g.redress_approved = e, None


def _on_redress_approved(r: _Record, e: _Event) -> None:
    g = r.garnishee(e.item_id)
    if g.actioned is None or g.actioned.ref != e.ref or g.actioned.kind != "CLEAR":
        found = (
            "was not actioned" if g.actioned is None or g.actioned.ref != e.ref else "is not clear"
        )
        r.breach(
            "CMR-R9",
            e,
            f"Debt Redress Check {e.ref} for garnishee {g.garnishee_id} was approved but {found}.",
        )
    g.redress_approved = e


def _on_placed(r: _Record, e: _Event) -> None:
    g = r.garnishee(e.item_id)
    if g.decision != "APPROVED":
        r.breach(
            "CMR-R9",
            e,
            f"Garnishee {g.garnishee_id} was placed without an approved submission"
            + (" (it was rejected)." if g.decision == "REJECTED" else "."),
        )
    if not g.check_is_approved_and_clear():
        r.breach(
            "CMR-R9",
            e,
            f"Garnishee {g.garnishee_id} was placed without a Debt Redress Check actioned, clear "
            "and approved.",
        )
    r._enforcement(e, g.debt_ids, f"garnishee {g.garnishee_id} was placed", garnishee=True)
    g.placed = e


def _on_flag(r: _Record, e: _Event) -> None:
    r.flags.setdefault(e.item_id or "", e)


def _on_flag_cleared(r: _Record, e: _Event) -> None:
    r.flags.pop(e.item_id or "", None)


def _on_paused(r: _Record, e: _Event) -> None:
    r.pauses[e.item_id or ""] = e


def _on_resumed(r: _Record, e: _Event) -> None:
    r.pauses.pop(e.item_id or "", None)


def _on_delivery(r: _Record, e: _Event) -> None:
    r.delivered[e.item_id or ""] = e.event_type == "DpoWarningDelivered"


_HANDLERS: Final[Mapping[str, Callable[[_Record, _Event], None]]] = {
    "LetterIssued": _on_letter,
    "MspLetterSent": lambda r, e: r.letters.append(e),
    "RecoveryPaused": _on_paused,
    "RecoveryResumed": _on_resumed,
    "VulnerabilityFlagRecorded": _on_flag,
    "VulnerabilityFlagCleared": _on_flag_cleared,
    "MspVulnerabilityFlagRecorded": _on_flag,
    "MspVulnerabilityFlagCleared": _on_flag_cleared,
    "GarnisheeAssessed": _on_assessed,
    "GarnisheeSubmitted": _on_submitted,
    "GarnisheeApproved": _on_decided,
    "GarnisheeRejected": _on_decided,
    "DebtRedressCheckActioned": _on_redress_actioned,
    "DebtRedressCheckApproved": _on_redress_approved,
    "GarnisheePlaced": _on_placed,
    "LitigationReferralSent": lambda r, e: r._enforcement(
        e, e.debt_ids, "the debts were referred to litigation"
    ),
    "DpoWarningDelivered": _on_delivery,
    "DpoWarningNotDelivered": _on_delivery,
    "DpoMade": _on_dpo_made,
}


# -- the question --------------------------------------------------------------------------------
def compliance(
    view: ViewRecorder,
    *,
    as_of: datetime,
    crn: str | None = None,
    subject_id: str | None = None,
    weekly_cap: int = 3,
    monthly_cap: int = 10,
    daily_attempts: int = 2,
    contact_hours: ContactHours | None = None,
    public_holidays: Collection[date] = (),
) -> Compliance:
    """Contacts against the caps, unreviewed letters, pauses and flags in force, garnishees and
    breaches at ``as_of``, for one customer (``crn``), one plan or case (``subject_id``), or
    everyone (neither; this reads every row of the view).

    Only events and follow-up changes recorded by ``as_of`` count. The limits default to
    :class:`~recoverycore.aggregates.cmr.CaseConfig`'s (``max_actual_contacts_per_week``,
    ``max_actual_contacts_per_month``, ``max_attempts_per_day``, the contact hours); the
    application passes the configured ones. National public holidays are not known to the view:
    contact on one is found only if ``public_holidays`` names it.

    Breaches are found by folding each plan's or case's events in version order and checking
    every event as the aggregate checks the command that records it:

    * CMR-R9: a garnishee placed without an approved submission, or without a Debt Redress Check
      actioned, clear and approved; a Debt Redress Check approved that was not actioned or not
      clear.
    * X-R1, X-R3, X-R4 (and X-R2 for garnishees): an enforcement step (garnishee submitted or
      placed, litigation referral, DPO warning, DPO) while a pause covered its debts (a step
      naming no debts is for the whole case) or a suicide or self-harm, FDV with an immediate
      threat, declared disaster (or, for a garnishee, hardship) flag was on the case; an SMS
      under a suicide or self-harm or FDV flag, a letter to the customer under an FDV flag.
    * X-R8: an actual contact that exceeded the weekly or monthly cap over the rolling 7 or 30
      days before it (per case, as the aggregate counts); a call attempt beyond the daily limit.
    * X-R6: phone, SMS, voicemail or face-to-face contact outside contact hours (the local time
      it was recorded with), or on a public holiday given in ``public_holidays``.
    * CMR-R17: a DPO made without a DPO warning whose delivery was confirmed, or before the
      warning's response date passed.
    * CMR-A1 (cases) and MSP-A1 (plans), terminal is final: any event after the case was closed
      (but its archiving), archived, referred for archiving or unassigned, or after the plan was
      rejected, withdrawn, ended or expired.
    """
    as_of_text(as_of)  # refuses a time without its offset
    limits = _Limits(
        weekly_cap,
        monthly_cap,
        daily_attempts,
        contact_hours or ContactHours(),
        frozenset(public_holidays),
    )
    params: dict[str, Any] = {"as_of": utc_text(as_of), "crn": crn, "subject_id": subject_id}
    records = _fold(view, params, _filters(crn, subject_id, "e"), limits)
    follow_up_rows = view.select(
        "SELECT f.* FROM {p}compliance_follow_ups f"
        " LEFT JOIN {p}compliance_subjects s ON s.subject_id = f.subject_id"
        f" WHERE f.scheduled_at <= :as_of{_filters(crn, subject_id, 'f')}",
        params,
    )
    return Compliance(
        as_of=as_of,
        crn=crn,
        subject_id=subject_id,
        weekly_cap=weekly_cap,
        monthly_cap=monthly_cap,
        contacts=_contacts(records, limits),
        unreviewed_letters=_unreviewed(records, follow_up_rows, as_of),
        pauses=_pauses(records),
        flags=_flags(records),
        garnishees=_garnishees(records),
        breaches=tuple(
            sorted(
                (b for r in records for b in r.breaches),
                key=lambda b: (b.crn or "", b.subject_id, b.version, b.rule_id, b.detail),
            )
        ),
    )


_PAGE: Final = 10_000
"""Rows read per query while folding (a whole-store question reads the view a page at a time)."""


def _fold(view: ViewRecorder, params: dict[str, Any], where: str, limits: _Limits) -> list[_Record]:
    """Every selected plan's and case's history, folded in version order."""
    records: list[_Record] = []
    current: _Record | None = None
    after = {"after_subject": "", "after_version": 0}
    while True:
        rows = view.select(
            "SELECT e.*, s.crn, s.subject_type FROM {p}compliance_events e"
            " LEFT JOIN {p}compliance_subjects s ON s.subject_id = e.subject_id"
            f" WHERE e.recorded_at <= :as_of{where}"
            " AND (e.subject_id > :after_subject"
            " OR (e.subject_id = :after_subject AND e.version > :after_version))"
            f" ORDER BY e.subject_id, e.version LIMIT {_PAGE}",
            {**params, **after},
        )
        for row in rows:
            if current is None or current.subject_id != row["subject_id"]:
                kind = row["subject_type"] or (PLAN if row["event_type"] in _PLAN_EVENTS else CASE)
                current = _Record(row["subject_id"], kind, row["crn"], limits)
                records.append(current)
            current.fold(_Event.of(row))
        if len(rows) < _PAGE:
            return records
        after = {"after_subject": rows[-1]["subject_id"], "after_version": rows[-1]["version"]}


def _filters(crn: str | None, subject_id: str | None, table: str) -> str:
    clauses = []
    if crn is not None:
        clauses.append(" AND s.crn = :crn")
    if subject_id is not None:
        clauses.append(f" AND {table}.subject_id = :subject_id")
    return "".join(clauses)


def _contacts(records: list[_Record], limits: _Limits) -> tuple[CustomerContacts, ...]:
    customers: dict[str, list[_Record]] = {}
    for r in records:
        customers.setdefault(r.crn if r.crn is not None else f"\x00{r.subject_id}", []).append(r)
    answers = []
    for key in sorted(customers):
        group = customers[key]
        actual = sorted((e for r in group for e in r.contacts if e.actual), key=lambda e: e.at)
        if not actual:
            continue
        weeks: dict[tuple[int, int], int] = {}
        months: dict[tuple[int, int], int] = {}
        for e in actual:
            day = e.at.date()
            iso = day.isocalendar()
            weeks[(iso.year, iso.week)] = weeks.get((iso.year, iso.week), 0) + 1
            months[(day.year, day.month)] = months.get((day.year, day.month), 0) + 1
        week_periods = tuple(
            ContactPeriod(
                label=f"{year}-W{week:02d}",
                starts_on=date.fromisocalendar(year, week, 1),
                contacts=n,
                cap=limits.weekly_cap,
                over_cap=n > limits.weekly_cap,
            )
            for (year, week), n in sorted(weeks.items())
        )
        month_periods = tuple(
            ContactPeriod(
                label=f"{year}-{month:02d}",
                starts_on=date(year, month, 1),
                contacts=n,
                cap=limits.monthly_cap,
                over_cap=n > limits.monthly_cap,
            )
            for (year, month), n in sorted(months.items())
        )
        worst_7, ending_7 = _worst(actual, timedelta(days=7))
        worst_30, ending_30 = _worst(actual, timedelta(days=30))
        answers.append(
            CustomerContacts(
                crn=group[0].crn,
                subject_ids=tuple(r.subject_id for r in group),
                contacts=len(actual),
                weeks=week_periods,
                months=month_periods,
                worst_7_days=worst_7,
                worst_7_days_ending=ending_7,
                worst_30_days=worst_30,
                worst_30_days_ending=ending_30,
                over_weekly_cap=worst_7 > limits.weekly_cap
                or any(p.over_cap for p in week_periods),
                over_monthly_cap=worst_30 > limits.monthly_cap
                or any(p.over_cap for p in month_periods),
            )
        )
    return tuple(answers)


def _worst(contacts: list[_Event], window: timedelta) -> tuple[int, datetime | None]:
    """The most contacts within ``window`` ending at a contact (contacts sorted by time)."""
    best, ending, start = 0, None, 0
    for end, e in enumerate(contacts):
        while e.at - contacts[start].at >= window:
            start += 1
        if end - start + 1 > best:
            best, ending = end - start + 1, e.at
    return best, ending


def _status_at(row: Mapping[str, Any], as_of_utc: str) -> FollowUpStatus:
    if row["ended_at"] is not None and row["ended_at"] <= as_of_utc:
        status: FollowUpStatus = row["status"]
        return status
    return "DUE" if row["due_at"] <= as_of_utc else "SCHEDULED"


def _unreviewed(
    records: list[_Record], follow_up_rows: list[dict[str, Any]], as_of: datetime
) -> tuple[UnreviewedLetter, ...]:
    as_of_utc = utc_text(as_of)
    caused: dict[str, list[LetterFollowUp]] = {}
    for row in sorted(follow_up_rows, key=lambda f: (f["due_at"], f["follow_up_id"])):
        status = _status_at(row, as_of_utc)
        caused.setdefault(row["caused_by"], []).append(
            LetterFollowUp(
                follow_up_id=row["follow_up_id"],
                kind=row["kind"],
                due_at=datetime.fromisoformat(row["due_local"]),
                status=status,
                ended_at=time_or_none(row["ended_at"])
                if status in ("COMPLETED", "CANCELLED")
                else None,
            )
        )
    letters = []
    for r in records:
        for e in r.letters:
            items = tuple(caused.get(e.event_id, ()))
            if any(f.status == "COMPLETED" for f in items):
                continue
            if e.respond_by is not None:
                passed = as_of.astimezone(e.at.tzinfo).date() > e.respond_by
            else:
                passed = any(f.due_at <= as_of for f in items)
            if not passed:
                continue
            letters.append(
                UnreviewedLetter(
                    crn=r.crn,
                    subject_id=r.subject_id,
                    subject_type=r.subject_type,
                    letter_id=e.item_id or "",
                    code=e.ref if e.event_type == "LetterIssued" else None,
                    purpose=e.kind,
                    event_id=e.event_id,
                    event_type=e.event_type,
                    version=e.version,
                    issued_at=e.at,
                    respond_by=e.respond_by,
                    follow_ups=items,
                )
            )
    return tuple(sorted(letters, key=lambda x: (x.issued_at.astimezone(UTC), x.event_id)))


def _pauses(records: list[_Record]) -> tuple[PauseInForce, ...]:
    return tuple(
        PauseInForce(
            crn=r.crn,
            subject_id=r.subject_id,
            pause_id=pause_id,
            debt_ids=e.debt_ids or (),
            reason=e.kind or "",
            paused_at=e.at,
            version=e.version,
            event_id=e.event_id,
        )
        for r in records
        for pause_id, e in sorted(r.pauses.items())
    )


def _flags(records: list[_Record]) -> tuple[FlagInForce, ...]:
    return tuple(
        FlagInForce(
            crn=r.crn,
            subject_id=r.subject_id,
            subject_type=r.subject_type,
            flag_id=flag_id,
            kind=e.kind or "",
            recorded_at=e.at,
            version=e.version,
            event_id=e.event_id,
            pauses_enforcement=_ENFORCEMENT_FLAGS.get(e.kind or "")
            if r.subject_type == CASE
            else None,
        )
        for r in records
        for flag_id, e in sorted(r.flags.items())
    )


def _garnishees(records: list[_Record]) -> tuple[GarnisheeRecord, ...]:
    answers = []
    for r in records:
        for garnishee_id, g in sorted(r.garnishees.items()):
            assessed, submitted, decided = g.assessed, g.submitted, g.decided
            actioned, approved, placed = g.actioned, g.redress_approved, g.placed
            answers.append(
                GarnisheeRecord(
                    crn=r.crn,
                    subject_id=r.subject_id,
                    garnishee_id=garnishee_id,
                    kind=assessed.kind if assessed else None,
                    debt_ids=g.debt_ids or (),
                    appropriate=assessed.appropriate if assessed else None,
                    assessed_at=assessed.at if assessed else None,
                    assessed_by=assessed.actor_id if assessed else None,
                    submitted_at=submitted.at if submitted else None,
                    submitted_by=submitted.actor_id if submitted else None,
                    submitted_to=submitted.ref if submitted else None,
                    decision=g.decision,
                    decided_at=decided.at if decided else None,
                    decided_by=decided.actor_id if decided else None,
                    self_approved=decided.self_approved if decided else None,
                    redress_check_id=actioned.ref if actioned else None,
                    redress_result=actioned.kind if actioned else None,
                    redress_actioned_at=actioned.at if actioned else None,
                    redress_actioned_by=actioned.actor_id if actioned else None,
                    redress_approved_at=approved.at if approved else None,
                    redress_approved_by=approved.actor_id if approved else None,
                    placed_at=placed.at if placed else None,
                    placed_by=placed.actor_id if placed else None,
                )
            )
    return tuple(answers)
