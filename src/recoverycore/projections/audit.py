"""The audit view: for auditors, the chronological history of a plan, a case or a customer.

For every recorded action it keeps when it happened and was recorded, who did it (staff id,
role, APS level, team), what it was, the authority, reasons and evidence references given, the
procedure step, the rules it was checked against (a blocked SMS names the rule that blocked it),
the correlation and causation ids, its details, and the follow-ups it caused and how they ended.

Rows: ``audit_events`` (one per plan, case or customer record event, with its stored JSON, so
the view can give back the events themselves and a record's state at any past time),
``audit_subjects`` (which customer each plan, case and customer record is about) and
``audit_follow_ups`` (one per follow-up, with when it was scheduled, fell due and ended, and the
event that ended it). "As of" a time means as the record stood then: events and follow-up
changes *recorded* by that time, the way :meth:`recoverycore.RecoveryApp.case_as_of` reads a
case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar, Literal
from uuid import UUID

import orjson
from eventsourcing.utils import resolve_topic
from pydantic import BaseModel

from recoverycore.events import ENVELOPE_FIELDS, DomainEvent
from recoverycore.projections._recorders import ViewRecorder
from recoverycore.projections._subjects import (
    CASE_TOPICS,
    CUSTOMER,
    CUSTOMER_TOPICS,
    FOLLOW_UP_TOPICS,
    PLAN_TOPICS,
    event_id,
    subject_type,
)
from recoverycore.projections._view import (
    FOLLOW_UP_APPLICATION,
    RECOVERY_APPLICATION,
    ROW_MODEL,
    Fact,
    Statement,
    ViewDefinition,
    Write,
    as_of_text,
    json_text,
    time_or_none,
    utc_text,
)

__all__ = [
    "AuditEntry",
    "AuditView",
    "FollowUpRecord",
    "Timeline",
    "ViewDiscrepancy",
    "customer_timeline",
    "discrepancies",
    "entry_of",
    "event_row",
    "events_until",
    "timeline",
    "typed_event",
]

_ENVELOPE = frozenset({*ENVELOPE_FIELDS, "class_version"})
"""What every event carries (the rest of its data is its details), and ``class_version``."""

_RECORD_EVENT = Statement(
    "INSERT INTO {p}audit_events (subject_id, version, subject_type, position, event_id,"
    " event_type, topic, occurred_utc, recorded_utc, staff_id, role, aps_level, team,"
    " procedure_ref, data)"
    " VALUES (:subject_id, :version, :subject_type, :position, :event_id, :event_type, :topic,"
    " :occurred_utc, :recorded_utc, :staff_id, :role, :aps_level, :team, :procedure_ref, :data)"
)
_RECORD_SUBJECT = Statement(
    "INSERT INTO {p}audit_subjects (subject_id, subject_type, crn)"
    " VALUES (:subject_id, :subject_type, :crn)"
    " ON CONFLICT (subject_id) DO UPDATE SET crn = excluded.crn"
)
_SCHEDULE = Statement(
    "INSERT INTO {p}audit_follow_ups (follow_up_id, subject_id, caused_by, caused_by_type,"
    " kind, description, procedure_ref, scope, due_at, due_local, scheduled_at, status,"
    " fell_due_at, ended_at, ended_by, ended_by_type)"
    " VALUES (:follow_up_id, :subject_id, :caused_by, :caused_by_type, :kind, :description,"
    " :procedure_ref, :scope, :due_at, :due_local, :at, 'SCHEDULED', NULL, NULL, NULL, NULL)"
    " ON CONFLICT (follow_up_id) DO NOTHING"
)
_FALL_DUE = Statement(
    "UPDATE {p}audit_follow_ups SET status = 'DUE', fell_due_at = :at"
    " WHERE follow_up_id = :follow_up_id AND status = 'SCHEDULED'"
)
_END = Statement(
    "UPDATE {p}audit_follow_ups SET status = :status, ended_at = :at, ended_by = :ended_by,"
    " ended_by_type = :ended_by_type WHERE follow_up_id = :follow_up_id"
)


class AuditView(ViewDefinition):
    """The audit view's tables and what each event adds to them."""

    name: ClassVar[str] = "audit"
    tables: ClassVar[tuple[str, ...]] = ("audit_events", "audit_subjects", "audit_follow_ups")
    ddl: ClassVar[tuple[str, ...]] = (
        "CREATE TABLE IF NOT EXISTS {p}audit_events ("
        " subject_id TEXT NOT NULL, version BIGINT NOT NULL, subject_type TEXT NOT NULL,"
        " position BIGINT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL,"
        " topic TEXT NOT NULL, occurred_utc TEXT NOT NULL, recorded_utc TEXT NOT NULL,"
        " staff_id TEXT, role TEXT, aps_level TEXT, team TEXT, procedure_ref TEXT,"
        " data TEXT NOT NULL, PRIMARY KEY (subject_id, version))",
        "CREATE TABLE IF NOT EXISTS {p}audit_subjects ("
        " subject_id TEXT PRIMARY KEY, subject_type TEXT NOT NULL, crn TEXT)",
        "CREATE INDEX IF NOT EXISTS audit_subjects_crn ON {p}audit_subjects (crn)",
        "CREATE TABLE IF NOT EXISTS {p}audit_follow_ups ("
        " follow_up_id TEXT PRIMARY KEY, subject_id TEXT NOT NULL, caused_by TEXT NOT NULL,"
        " caused_by_type TEXT NOT NULL, kind TEXT NOT NULL, description TEXT NOT NULL,"
        " procedure_ref TEXT, scope TEXT, due_at TEXT NOT NULL, due_local TEXT NOT NULL,"
        " scheduled_at TEXT NOT NULL, status TEXT NOT NULL, fell_due_at TEXT, ended_at TEXT,"
        " ended_by TEXT, ended_by_type TEXT)",
        "CREATE INDEX IF NOT EXISTS audit_follow_ups_subject"
        " ON {p}audit_follow_ups (subject_id, scheduled_at)",
    )
    topics: ClassVar[dict[str, tuple[str, ...]]] = {
        RECOVERY_APPLICATION: PLAN_TOPICS + CASE_TOPICS + CUSTOMER_TOPICS,
        FOLLOW_UP_APPLICATION: FOLLOW_UP_TOPICS,
    }

    @classmethod
    def writes(cls, fact: Fact) -> Iterable[Write]:
        """A plan's, case's or customer record's event: its row (and the record's customer,
        from the event that names it); a follow-up's change."""
        if fact.application == FOLLOW_UP_APPLICATION:
            return _follow_up_writes(fact)
        data = fact.data
        actor = fact.actor
        kind = subject_type(fact)
        occurred, recorded = utc_text(data["occurred_at"]), data["recorded_at"]
        row = {
            "subject_id": fact.subject_id,
            "version": fact.version,
            "subject_type": kind,
            "position": fact.position,
            "event_id": event_id(fact),
            "event_type": fact.event_type,
            "topic": fact.topic,
            "occurred_utc": occurred,
            # Most actions are recorded as they happen: convert the time once.
            "recorded_utc": occurred if recorded == data["occurred_at"] else utc_text(recorded),
            "staff_id": actor.get("staff_id"),
            "role": actor.get("role"),
            "aps_level": actor.get("aps_level"),
            "team": actor.get("team"),
            "procedure_ref": data.get("procedure_ref"),
            "data": fact.json or json_text(data),
        }
        crn = data.get("crn")
        if crn is None:
            return ((_RECORD_EVENT, row),)
        subject = {"subject_id": fact.subject_id, "subject_type": kind, "crn": crn}
        return ((_RECORD_EVENT, row), (_RECORD_SUBJECT, subject))


def _follow_up_writes(fact: Fact) -> Iterable[Write]:
    data = fact.data
    name = fact.event_type
    at = utc_text(data["recorded_at"])
    if name == "FollowUpScheduled":
        params: dict[str, Any] = {
            "follow_up_id": data["follow_up_id"],
            "subject_id": data["subject_id"],
            "caused_by": data["caused_by"],
            "caused_by_type": data["caused_by_type"],
            "kind": data["kind"],
            "description": data["description"],
            "procedure_ref": data.get("procedure_ref"),
            "scope": data.get("scope", ""),
            "due_at": utc_text(data["due_at"]),
            "due_local": data["due_at"],
            "at": at,
        }
        return ((_SCHEDULE, params),)
    if name == "FollowUpDue":
        return ((_FALL_DUE, {"follow_up_id": data["follow_up_id"], "at": at}),)
    if name == "FollowUpCompleted":
        ended = ("COMPLETED", data["completed_by"], data["completed_by_type"])
    elif name == "FollowUpCancelled":
        ended = ("CANCELLED", data["cancelled_by"], data["cancelled_by_type"])
    else:
        return ()
    status, by, by_type = ended
    params = {
        "follow_up_id": data["follow_up_id"],
        "status": status,
        "at": at,
        "ended_by": by,
        "ended_by_type": by_type,
    }
    return ((_END, params),)


# -- the questions -------------------------------------------------------------------------------


FollowUpStatus = Literal["SCHEDULED", "DUE", "COMPLETED", "CANCELLED"]


class FollowUpRecord(BaseModel):
    """A follow-up an action caused, and how it stood (or ended) at the time asked about."""

    model_config = ROW_MODEL

    follow_up_id: str
    kind: str
    description: str
    procedure_ref: str | None
    scope: str
    caused_by: str
    """The event id of the action that scheduled it."""
    due_at: datetime
    scheduled_at: datetime
    status: FollowUpStatus
    fell_due_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None
    """The event id of the action that completed or cancelled it."""
    ended_by_type: str | None


class AuditEntry(BaseModel):
    """One recorded action: when, who, what, why, under which step and rules, and what it led to."""

    model_config = ROW_MODEL

    subject_id: str
    subject_type: str
    version: int
    event_id: str
    event_type: str
    occurred_at: datetime
    recorded_at: datetime
    staff_id: str | None
    role: str | None
    aps_level: str | None
    team: str | None
    authority: str | None
    reasons: tuple[str, ...]
    evidence_refs: tuple[str, ...]
    procedure_ref: str | None
    rules_applied: tuple[str, ...]
    """The rules the action was checked against; a recorded refusal (a blocked SMS) names the
    rule that refused it in ``details['rule_id']``."""
    correlation_id: str | None
    causation_id: str | None
    details: dict[str, Any]
    """The event's own fields (everything but the common envelope above)."""
    follow_ups: tuple[FollowUpRecord, ...]
    """The follow-ups this action scheduled, as they stood at the time asked about."""


class Timeline(BaseModel):
    """A plan's, case's or customer's history as the record stood at ``as_of`` (or now)."""

    model_config = ROW_MODEL

    subject_ids: tuple[str, ...]
    crn: str | None
    as_of: datetime | None
    up_to_version: int | None
    entries: tuple[AuditEntry, ...]
    follow_ups_in_force: tuple[FollowUpRecord, ...]
    """Follow-ups scheduled and not yet completed or cancelled at ``as_of`` (or now)."""


def _follow_up(row: Mapping[str, Any], as_of: str | None) -> FollowUpRecord:
    status: FollowUpStatus = row["status"]
    fell_due_at, ended_at = row["fell_due_at"], row["ended_at"]
    ended_by, ended_by_type = row["ended_by"], row["ended_by_type"]
    if as_of is not None:
        if ended_at is not None and ended_at > as_of:
            ended_at = ended_by = ended_by_type = None
            status = "DUE" if fell_due_at is not None else "SCHEDULED"
        if fell_due_at is not None and fell_due_at > as_of:
            fell_due_at = None
            status = "SCHEDULED" if status == "DUE" else status
    return FollowUpRecord(
        follow_up_id=row["follow_up_id"],
        kind=row["kind"],
        description=row["description"],
        procedure_ref=row["procedure_ref"],
        scope=row["scope"] or "",
        caused_by=row["caused_by"],
        due_at=datetime.fromisoformat(row["due_local"]),
        scheduled_at=datetime.fromisoformat(row["scheduled_at"]),
        status=status,
        fell_due_at=time_or_none(fell_due_at),
        ended_at=time_or_none(ended_at),
        ended_by=ended_by,
        ended_by_type=ended_by_type,
    )


def entry_of(row: Mapping[str, Any], follow_ups: Sequence[FollowUpRecord]) -> AuditEntry:
    """The audit entry of one ``audit_events`` row (as :func:`event_row` makes it)."""
    data: dict[str, Any] = orjson.loads(row["data"])
    actor: dict[str, Any] = data.get("actor") or {}
    return AuditEntry(
        subject_id=row["subject_id"],
        subject_type=row["subject_type"],
        version=row["version"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        occurred_at=datetime.fromisoformat(data["occurred_at"]),
        recorded_at=datetime.fromisoformat(data["recorded_at"]),
        staff_id=actor.get("staff_id"),
        role=actor.get("role"),
        aps_level=actor.get("aps_level"),
        team=actor.get("team"),
        authority=data.get("authority"),
        reasons=tuple(data.get("reasons") or ()),
        evidence_refs=tuple(data.get("evidence_refs") or ()),
        procedure_ref=data.get("procedure_ref"),
        rules_applied=tuple(data.get("rules_applied") or ()),
        correlation_id=data.get("correlation_id"),
        causation_id=data.get("causation_id"),
        details={k: v for k, v in data.items() if k not in _ENVELOPE},
        follow_ups=tuple(follow_ups),
    )


def _up_to(params: dict[str, Any], cutoff: str | None, version: int | None) -> str:
    """The SQL condition (and its ``params``) for audit rows recorded by ``cutoff`` and up to
    ``version``: empty when neither is given."""
    where = ""
    if cutoff is not None:
        params["as_of"] = cutoff
        where += " AND recorded_utc <= :as_of"
    if version is not None:
        params["version"] = version
        where += " AND version <= :version"
    return where


def _as_of_text(as_of: datetime | None) -> str | None:
    return None if as_of is None else as_of_text(as_of)


def _timeline(
    view: ViewRecorder,
    subject_ids: Sequence[str],
    crn: str | None,
    as_of: datetime | None,
    version: int | None,
) -> Timeline:
    cutoff = _as_of_text(as_of)
    params: dict[str, Any] = {f"s{i}": s for i, s in enumerate(subject_ids)}
    within = ", ".join(f":s{i}" for i in range(len(subject_ids))) or "NULL"
    event_filter = _up_to(params, cutoff, version)
    rows = view.select(
        f"SELECT * FROM {{p}}audit_events WHERE subject_id IN ({within}){event_filter}"
        " ORDER BY occurred_utc, recorded_utc, subject_id, version",
        params,
    )
    follow_up_filter = " AND scheduled_at <= :as_of" if cutoff is not None else ""
    follow_up_rows = view.select(
        f"SELECT * FROM {{p}}audit_follow_ups WHERE subject_id IN ({within}){follow_up_filter}"
        " ORDER BY scheduled_at, due_at, follow_up_id",
        params,
    )
    event_ids = {row["event_id"] for row in rows}
    by_cause: dict[str, list[FollowUpRecord]] = {}
    in_force: list[FollowUpRecord] = []
    for row in follow_up_rows:
        if row["caused_by"] not in event_ids:
            continue  # caused by an event after the version asked about
        record = _follow_up(row, cutoff)
        by_cause.setdefault(record.caused_by, []).append(record)
        if record.status in ("SCHEDULED", "DUE"):
            in_force.append(record)
    entries = tuple(entry_of(row, by_cause.get(row["event_id"], ())) for row in rows)
    return Timeline(
        subject_ids=tuple(subject_ids),
        crn=crn,
        as_of=as_of,
        up_to_version=version,
        entries=entries,
        follow_ups_in_force=tuple(in_force),
    )


def timeline(
    view: ViewRecorder,
    subject_id: str | UUID,
    *,
    as_of: datetime | None = None,
    version: int | None = None,
) -> Timeline:
    """Every action recorded on one plan, case or customer record, oldest first, with the
    follow-ups each caused.

    ``as_of``: only what had been recorded by then, and follow-ups as they stood then.
    ``version``: only the first ``version`` events. An unknown id gives an empty timeline.
    """
    sid = str(subject_id)
    subjects = view.select(
        "SELECT crn FROM {p}audit_subjects WHERE subject_id = :subject_id", {"subject_id": sid}
    )
    crn = subjects[0]["crn"] if subjects else None
    return _timeline(view, [sid], crn, as_of, version)


def customer_timeline(view: ViewRecorder, crn: str, *, as_of: datetime | None = None) -> Timeline:
    """Every action on every plan and case of one customer (CRN), in the order they happened
    (the customer record's own history is :func:`timeline` of its id)."""
    rows = view.select(
        "SELECT subject_id FROM {p}audit_subjects WHERE crn = :crn AND subject_type <> :customer"
        " ORDER BY subject_id",
        {"crn": crn, "customer": CUSTOMER},
    )
    return _timeline(view, [row["subject_id"] for row in rows], crn, as_of, None)


@lru_cache(maxsize=512)
def _event_class(topic: str) -> type[DomainEvent]:
    cls = resolve_topic(topic)
    if not (isinstance(cls, type) and issubclass(cls, DomainEvent)):
        raise TypeError(f"{topic} is not a recoverycore event")
    return cls


def events_until(
    view: ViewRecorder,
    subject_id: str | UUID,
    *,
    as_of: datetime | None = None,
    version: int | None = None,
) -> list[DomainEvent]:
    """The plan's, case's or customer record's events as the view holds them (recorded by
    ``as_of``, up to ``version``), as the typed events: fold them to see the record as it
    stood then."""
    params: dict[str, Any] = {"subject_id": str(subject_id)}
    where = _up_to(params, _as_of_text(as_of), version)
    rows = view.select(
        "SELECT subject_id, version, topic, data FROM {p}audit_events"
        f" WHERE subject_id = :subject_id{where} ORDER BY version",
        params,
    )
    return [
        typed_event(row["subject_id"], row["version"], row["topic"], orjson.loads(row["data"]))
        for row in rows
    ]


def typed_event(subject_id: str, version: int, topic: str, data: Mapping[str, Any]) -> DomainEvent:
    """The typed event of a plan's or case's stored JSON (as a view or the store holds it)."""
    fields = {k: v for k, v in data.items() if k != "class_version"}
    fields["originator_id"] = subject_id
    fields["originator_version"] = version
    return _event_class(topic).model_validate(fields)


# -- checking the view against the stored events --------------------------------------------------


def event_row(fact: Fact) -> dict[str, Any]:
    """The ``audit_events`` row a clean build of the view writes for one plan, case or
    customer record event."""
    for statement, params in AuditView.writes(fact):
        if statement is _RECORD_EVENT:
            return dict(params)
    raise ValueError(f"{fact.topic} is not a plan, case or customer record event")


class ViewDiscrepancy(BaseModel):
    """An ``audit_events`` row that is not what the stored event it stands for makes: the hash
    chain covers the stored events, not the view, so the view's row is not to be trusted."""

    model_config = ROW_MODEL

    subject_id: str
    version: int
    event_type: str | None
    """The stored event's type (the view's, for a row with no stored event)."""
    problem: Literal["changed", "missing", "extra"]
    """``changed``: the row differs from the event; ``missing``: the view has no row for a
    stored event; ``extra``: the view has a row for no stored event."""
    fields: tuple[str, ...]
    """What differs (``data.<field>`` for a field of the event's stored JSON)."""

    @property
    def text(self) -> str:
        what = f"audit view row of version {self.version} ({self.event_type or 'unknown'})"
        if self.problem == "missing":
            return f"{what} is missing: the store holds that event"
        if self.problem == "extra":
            return f"{what} has no stored event behind it"
        return f"{what} differs from the stored event in {', '.join(self.fields)}"


_NOT_CHECKED = frozenset({"position"})
"""A row's place in the notification log: not part of what the event says."""


def _json_or_none(text: Any) -> Any:
    try:
        return orjson.loads(text)
    except (orjson.JSONDecodeError, TypeError):
        return None


def _differing(row: Mapping[str, Any], expected: Mapping[str, Any]) -> tuple[str, ...]:
    fields: list[str] = []
    for column, value in expected.items():
        if column in _NOT_CHECKED:
            continue
        if column != "data":
            if row.get(column) != value:
                fields.append(column)
            continue
        stored, shown = _json_or_none(value), _json_or_none(row.get("data"))
        if not isinstance(stored, dict) or not isinstance(shown, dict):
            if stored != shown:
                fields.append("data")
            continue
        fields += [f"data.{k}" for k in sorted({*stored, *shown}) if stored.get(k) != shown.get(k)]
    return tuple(fields)


def discrepancies(
    view: ViewRecorder,
    subject_id: str | UUID,
    facts: Sequence[Fact],
    *,
    as_of: datetime | None = None,
    version: int | None = None,
) -> tuple[ViewDiscrepancy, ...]:
    """Each ``audit_events`` row of one plan or case (recorded by ``as_of``, up to
    ``version``) compared with the row its stored event makes (``facts``: the plan's or case's
    stored events, as read from the store): every row changed, missing or extra."""
    sid = str(subject_id)
    cutoff = _as_of_text(as_of)
    expected = {
        fact.version: event_row(fact)
        for fact in facts
        if (version is None or fact.version <= version)
        and (cutoff is None or utc_text(fact.data["recorded_at"]) <= cutoff)
    }
    params: dict[str, Any] = {"subject_id": sid}
    where = _up_to(params, cutoff, version)
    shown = {
        int(row["version"]): row
        for row in view.select(
            f"SELECT * FROM {{p}}audit_events WHERE subject_id = :subject_id{where}", params
        )
    }
    found: list[ViewDiscrepancy] = []
    for v in sorted({*expected, *shown}):
        want, row = expected.get(v), shown.get(v)
        if want is None:
            assert row is not None
            found.append(
                ViewDiscrepancy(
                    subject_id=sid,
                    version=v,
                    event_type=row.get("event_type"),
                    problem="extra",
                    fields=(),
                )
            )
        elif row is None:
            found.append(
                ViewDiscrepancy(
                    subject_id=sid,
                    version=v,
                    event_type=want["event_type"],
                    problem="missing",
                    fields=(),
                )
            )
        elif differing := _differing(row, want):
            found.append(
                ViewDiscrepancy(
                    subject_id=sid,
                    version=v,
                    event_type=want["event_type"],
                    problem="changed",
                    fields=differing,
                )
            )
    return tuple(found)
