"""The workload view: for case managers, team leaders and workload management (WLM).

It answers: which plans and cases does an officer or a team hold, at which stage, waiting for
what; which follow-ups are open and when they fall due; what is overdue at a given time; how many
records sit at each stage and with each officer.

Rows: ``workload_subjects`` (one per plan or case: customer, officer, team, status, stage and
since when), ``workload_follow_ups`` (one per follow-up: due time, status and when it ended) and
the customer record's tables (``workload_customers``, ``workload_customer_records``,
``workload_customer_flags``, ``workload_customer_restrictions``: see
:class:`~recoverycore.projections._customers.CustomerTables`), from which each plan and case
shows the flags and MSP restrictions in force on its customer. None of them depends on the order
in which the logs are read; the questions join them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from recoverycore.projections._customers import (
    CustomerFlagInForce,
    CustomerTables,
    RestrictionInForce,
)
from recoverycore.projections._recorders import ViewRecorder
from recoverycore.projections._subjects import (
    CASE_TOPICS,
    CUSTOMER_TOPICS,
    FOLLOW_UP_TOPICS,
    PLAN_TOPICS,
    TERMINAL_STATUSES,
    is_customer_event,
    owner,
    status_and_stage,
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
    time_or_none,
    utc_text,
)

__all__ = [
    "CustomerFlagInForce",
    "FollowUpItem",
    "RestrictionInForce",
    "SubjectItem",
    "Workload",
    "WorkloadView",
    "workload",
]

_CUSTOMERS = CustomerTables("workload")

_UPSERT_SUBJECT = Statement(
    "INSERT INTO {p}workload_subjects AS s (subject_id, subject_type, crn, officer_id, team,"
    " status, stage, stage_since, opened_at, last_event_at, last_event_type, version)"
    " VALUES (:subject_id, :subject_type, :crn, :officer_id, :team, :status, :stage, :at, :at,"
    " :at, :event_type, :version)"
    " ON CONFLICT (subject_id) DO UPDATE SET"
    " crn = COALESCE(excluded.crn, s.crn),"
    " officer_id = COALESCE(excluded.officer_id, s.officer_id),"
    " team = COALESCE(excluded.team, s.team),"
    " status = COALESCE(excluded.status, s.status),"
    " stage_since = CASE WHEN excluded.stage IS NOT NULL"
    "  AND (s.stage IS NULL OR excluded.stage <> s.stage)"
    "  THEN excluded.last_event_at ELSE s.stage_since END,"
    " stage = COALESCE(excluded.stage, s.stage),"
    " last_event_at = excluded.last_event_at,"
    " last_event_type = excluded.last_event_type,"
    " version = excluded.version"
)
_SCHEDULE = Statement(
    "INSERT INTO {p}workload_follow_ups (follow_up_id, subject_id, subject_type, kind,"
    " description, procedure_ref, scope, due_at, due_local, status, scheduled_at, ended_at)"
    " VALUES (:follow_up_id, :subject_id, :subject_type, :kind, :description, :procedure_ref,"
    " :scope, :due_at, :due_local, 'SCHEDULED', :at, NULL)"
    " ON CONFLICT (follow_up_id) DO NOTHING"
)
_FALL_DUE = Statement(
    "UPDATE {p}workload_follow_ups SET status = 'DUE'"
    " WHERE follow_up_id = :follow_up_id AND status = 'SCHEDULED'"
)
_END = Statement(
    "UPDATE {p}workload_follow_ups SET status = :status, ended_at = :at"
    " WHERE follow_up_id = :follow_up_id"
)


class WorkloadView(ViewDefinition):
    """The workload view's tables and what each event changes in them."""

    name: ClassVar[str] = "workload"
    tables: ClassVar[tuple[str, ...]] = (
        "workload_subjects",
        "workload_follow_ups",
        *_CUSTOMERS.tables,
    )
    ddl: ClassVar[tuple[str, ...]] = (
        "CREATE TABLE IF NOT EXISTS {p}workload_subjects ("
        " subject_id TEXT PRIMARY KEY, subject_type TEXT NOT NULL, crn TEXT, officer_id TEXT,"
        " team TEXT, status TEXT, stage TEXT, stage_since TEXT, opened_at TEXT,"
        " last_event_at TEXT, last_event_type TEXT, version BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS workload_subjects_officer"
        " ON {p}workload_subjects (officer_id, stage)",
        "CREATE INDEX IF NOT EXISTS workload_subjects_team ON {p}workload_subjects (team, stage)",
        "CREATE TABLE IF NOT EXISTS {p}workload_follow_ups ("
        " follow_up_id TEXT PRIMARY KEY, subject_id TEXT NOT NULL, subject_type TEXT NOT NULL,"
        " kind TEXT NOT NULL, description TEXT NOT NULL, procedure_ref TEXT, scope TEXT,"
        " due_at TEXT NOT NULL, due_local TEXT NOT NULL, status TEXT NOT NULL,"
        " scheduled_at TEXT NOT NULL, ended_at TEXT)",
        "CREATE INDEX IF NOT EXISTS workload_follow_ups_subject"
        " ON {p}workload_follow_ups (subject_id, status, due_at)",
        "CREATE INDEX IF NOT EXISTS workload_follow_ups_open"
        " ON {p}workload_follow_ups (status, due_at)",
        *_CUSTOMERS.ddl,
    )
    topics: ClassVar[dict[str, tuple[str, ...]]] = {
        RECOVERY_APPLICATION: PLAN_TOPICS + CASE_TOPICS + CUSTOMER_TOPICS,
        FOLLOW_UP_APPLICATION: FOLLOW_UP_TOPICS,
    }

    @classmethod
    def writes(cls, fact: Fact) -> Iterable[Write]:
        if fact.application == FOLLOW_UP_APPLICATION:
            return _follow_up_writes(fact)
        if is_customer_event(fact):
            return _CUSTOMERS.writes(fact)
        status, stage = status_and_stage(fact)
        officer_id, team = owner(fact)
        params = {
            "subject_id": fact.subject_id,
            "subject_type": subject_type(fact),
            "crn": fact.data.get("crn"),
            "officer_id": officer_id,
            "team": team,
            "status": status,
            "stage": stage,
            "at": fact.occurred_utc,
            "event_type": fact.event_type,
            "version": fact.version,
        }
        return ((_UPSERT_SUBJECT, params),)


def _follow_up_writes(fact: Fact) -> Iterable[Write]:
    data = fact.data
    name = fact.event_type
    if name == "FollowUpScheduled":
        params: dict[str, Any] = {
            "follow_up_id": data["follow_up_id"],
            "subject_id": data["subject_id"],
            "subject_type": data["subject_type"],
            "kind": data["kind"],
            "description": data["description"],
            "procedure_ref": data.get("procedure_ref"),
            "scope": data.get("scope", ""),
            "due_at": utc_text(data["due_at"]),
            "due_local": data["due_at"],
            "at": fact.occurred_utc,
        }
        return ((_SCHEDULE, params),)
    if name == "FollowUpDue":
        return ((_FALL_DUE, {"follow_up_id": data["follow_up_id"]}),)
    status = {"FollowUpCompleted": "COMPLETED", "FollowUpCancelled": "CANCELLED"}.get(name)
    if status is None:
        return ()
    return (
        (_END, {"follow_up_id": data["follow_up_id"], "status": status, "at": fact.occurred_utc}),
    )


# -- the questions -------------------------------------------------------------------------------


class FollowUpItem(BaseModel):
    """An open follow-up on an officer's or team's list."""

    model_config = ROW_MODEL

    follow_up_id: str
    subject_id: str
    subject_type: str
    crn: str | None
    officer_id: str | None
    team: str | None
    kind: str
    description: str
    procedure_ref: str | None
    scope: str
    due_at: datetime
    """When it falls due, at the local offset it was scheduled with."""
    status: Literal["SCHEDULED", "DUE"]
    """``DUE`` once a tick has passed its due time."""
    overdue: bool
    """Its due time has passed at the time asked about."""


class SubjectItem(BaseModel):
    """A plan or case on an officer's or team's list."""

    model_config = ROW_MODEL

    subject_id: str
    subject_type: str
    crn: str | None
    officer_id: str | None
    team: str | None
    status: str | None
    stage: str | None
    stage_since: datetime | None
    last_event_type: str | None
    last_event_at: datetime | None
    version: int
    next_action: str | None
    """The earliest open follow-up: what the record is waiting for."""
    next_action_due: datetime | None
    open_follow_ups: int
    overdue_follow_ups: int
    customer_flags: tuple[CustomerFlagInForce, ...] = ()
    """The flags in force on the customer's record at ``as_of`` (whenever they were recorded:
    before or after this plan or case)."""
    restrictions: tuple[RestrictionInForce, ...] = ()
    """The MSP servicing restrictions in force on the customer at ``as_of`` (this plan's own,
    for a plan, and any other plan's), with the OMC/PSSO contact goes through."""


class Workload(BaseModel):
    """The answer to ``recoverycore workload``: one officer's or team's open work at a time."""

    model_config = ROW_MODEL

    officer_id: str | None
    team: str | None
    as_of: datetime
    subjects: tuple[SubjectItem, ...]
    """Open plans and cases (not ended, closed, archived or unassigned), oldest stage first."""
    follow_ups: tuple[FollowUpItem, ...]
    """Open follow-ups, earliest due first."""
    overdue: int = Field(description="Open follow-ups whose due time has passed at ``as_of``.")
    by_stage: dict[str, int]
    """Open plans and cases per stage."""
    by_officer: dict[str, int]
    """Open plans and cases per officer."""


def _filters(officer_id: str | None, team: str | None) -> tuple[str, dict[str, Any]]:
    clauses, params = [], {}
    if officer_id is not None:
        clauses.append("s.officer_id = :officer_id")
        params["officer_id"] = officer_id
    if team is not None:
        clauses.append("s.team = :team")
        params["team"] = team
    return "".join(f" AND {c}" for c in clauses), params


_OPEN_SUBJECT = (
    "s.status IS NULL OR s.status NOT IN ("
    + ", ".join(f"'{status}'" for status in TERMINAL_STATUSES)
    + ")"
)


def workload(
    view: ViewRecorder,
    *,
    as_of: datetime,
    officer_id: str | None = None,
    team: str | None = None,
) -> Workload:
    """One officer's (or team's, or everyone's) open plans, cases and follow-ups at ``as_of``."""
    where, params = _filters(officer_id, team)
    params["as_of"] = as_of_text(as_of)
    follow_up_rows = view.select(
        "SELECT f.follow_up_id, f.subject_id, f.subject_type, s.crn, s.officer_id, s.team,"
        " f.kind, f.description, f.procedure_ref, f.scope, f.due_at, f.due_local, f.status"
        # With an officer or team, drive from their plans and cases (an index) to their
        # follow-ups; without, from the open follow-ups.
        + (
            " FROM {p}workload_subjects s JOIN {p}workload_follow_ups f"
            if where
            else " FROM {p}workload_follow_ups f LEFT JOIN {p}workload_subjects s"
        )
        + " ON s.subject_id = f.subject_id"
        f" WHERE f.status IN ('SCHEDULED', 'DUE'){where}"
        " ORDER BY f.due_at, f.follow_up_id",
        params,
    )
    follow_up_items = tuple(
        FollowUpItem(
            follow_up_id=r["follow_up_id"],
            subject_id=r["subject_id"],
            subject_type=r["subject_type"],
            crn=r["crn"],
            officer_id=r["officer_id"],
            team=r["team"],
            kind=r["kind"],
            description=r["description"],
            procedure_ref=r["procedure_ref"],
            scope=r["scope"] or "",
            due_at=datetime.fromisoformat(r["due_local"]),
            status=r["status"],
            overdue=r["due_at"] <= params["as_of"],
        )
        for r in follow_up_rows
    )
    per_subject: dict[str, list[FollowUpItem]] = {}
    for item in follow_up_items:
        per_subject.setdefault(item.subject_id, []).append(item)
    subject_rows = view.select(
        "SELECT s.* FROM {p}workload_subjects s"
        f" WHERE ({_OPEN_SUBJECT}){where}"
        " ORDER BY s.stage_since, s.subject_id",
        params,
    )
    of_record = _CUSTOMERS.in_force(
        view,
        as_of,
        by_record=True,
        scope=" AND l.record_id IN (SELECT s.subject_id FROM {p}workload_subjects s"
        f" WHERE ({_OPEN_SUBJECT}){where})",
        params=params,
    )
    subjects = []
    for r in subject_rows:
        flags, restrictions = of_record.get(r["subject_id"], ((), ()))
        open_items = per_subject.get(r["subject_id"], [])
        first = open_items[0] if open_items else None
        subjects.append(
            SubjectItem(
                subject_id=r["subject_id"],
                subject_type=r["subject_type"],
                crn=r["crn"],
                officer_id=r["officer_id"],
                team=r["team"],
                status=r["status"],
                stage=r["stage"],
                stage_since=time_or_none(r["stage_since"]),
                last_event_type=r["last_event_type"],
                last_event_at=time_or_none(r["last_event_at"]),
                version=r["version"],
                next_action=first.description if first else None,
                next_action_due=first.due_at if first else None,
                open_follow_ups=len(open_items),
                overdue_follow_ups=sum(1 for i in open_items if i.overdue),
                customer_flags=flags,
                restrictions=restrictions,
            )
        )
    by_stage: dict[str, int] = {}
    by_officer: dict[str, int] = {}
    for subject in subjects:
        by_stage[subject.stage or "UNKNOWN"] = by_stage.get(subject.stage or "UNKNOWN", 0) + 1
        officer = subject.officer_id or "UNALLOCATED"
        by_officer[officer] = by_officer.get(officer, 0) + 1
    return Workload(
        officer_id=officer_id,
        team=team,
        as_of=as_of,
        subjects=tuple(subjects),
        follow_ups=follow_up_items,
        overdue=sum(1 for i in follow_up_items if i.overdue),
        by_stage=dict(sorted(by_stage.items())),
        by_officer=dict(sorted(by_officer.items())),
    )
