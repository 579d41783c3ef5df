"""The compliance view's tables and what each recorded event writes in them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Final

from eventsourcing.utils import get_topic

from recoverycore.events import follow_ups
from recoverycore.events.vocabulary import (
    LETTERS_TO_CUSTOMER,
    TERMINAL_EVENTS,
)
from recoverycore.projections._customers import CustomerTables
from recoverycore.projections._subjects import (
    CASE_TOPICS,
    CUSTOMER_TOPICS,
    PLAN_TOPICS,
    is_customer_event,
    subject_type,
)
from recoverycore.projections._view import (
    FOLLOW_UP_APPLICATION,
    RECOVERY_APPLICATION,
    Fact,
    Statement,
    ViewDefinition,
    Write,
    json_text,
    utc_text,
)

# -- what the view keeps -------------------------------------------------------------------------
CUSTOMERS: Final = CustomerTables("compliance")
"""The customer record's tables of the compliance view (flags and restrictions in force)."""

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
    to_customer = data["purpose"] in LETTERS_TO_CUSTOMER
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
    # a plan in force, and its notification (S-MSP Step 1's informed date, Step 3's letter)
    "MspApproved": lambda d: {},
    "MspCustomerInformed": lambda d: {"kind": d["channel"]},
    "MspVaried": lambda d: {},
    "MspExtended": lambda d: {},
}
"""What each event type keeps beyond when and by whom (every other event keeps only that)."""

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
      result, employer call outcome, closure reason, how an MSP's customer was informed;
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
        *CUSTOMERS.tables,
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
        *CUSTOMERS.ddl,
    )
    topics: ClassVar[dict[str, tuple[str, ...]]] = {
        RECOVERY_APPLICATION: PLAN_TOPICS + CASE_TOPICS + CUSTOMER_TOPICS,
        FOLLOW_UP_APPLICATION: _FOLLOW_UP_TOPICS,
    }

    @classmethod
    def writes(cls, fact: Fact) -> Iterable[Write]:
        data = fact.data
        name = fact.event_type
        if fact.application == FOLLOW_UP_APPLICATION:
            return _follow_up_writes(name, data, fact)
        if is_customer_event(fact):
            return CUSTOMERS.writes(fact)
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
        if name in TERMINAL_EVENTS:
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
