"""The report's data: what ``recoverycore report --format json`` writes (:class:`CaseReport`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from recoverycore.application import StateAsOf, VerifyResult
from recoverycore.events.schemas import event_schemas
from recoverycore.projections import FollowUpRecord, ViewDiscrepancy
from recoverycore.report.diagram import PathStep, StateMachine

__all__ = ["CaseReport", "ReportEvent", "Spell", "Summary", "is_intact", "report_schemas"]

_MODEL = ConfigDict(frozen=True, extra="forbid")


class Summary(BaseModel):
    """Who the record is about, where it stands, who owns it, and its dates."""

    model_config = _MODEL

    subject_type: str
    title: str
    subject_id: str
    procedure: str
    crn: str | None
    customer: str | None
    """The customer's name where the record holds it (a case)."""
    status: str
    stage: str
    officer_id: str | None
    """The owner: a case's case manager, a plan's OMC or PSSO (as the workload view has it)."""
    team: str | None
    opened_at: datetime
    """When the first action happened."""
    last_action_at: datetime
    in_state_since: datetime
    """When the record entered the state it is in."""
    ended_at: datetime | None
    """When the record entered a state that ends it (``None``: it has not)."""
    period_start: date | None
    period_end: date | None
    """A plan's start and end dates."""
    version: int
    actions: int
    as_of: datetime | None
    up_to_version: int | None


class ReportEvent(BaseModel):
    """One recorded event, as the audit export gives it."""

    model_config = _MODEL

    version: int
    event_id: str
    event_type: str
    schema_version: int
    """The event type's ``class_version``: which of :func:`event_schemas` ``data`` follows."""
    data: dict[str, Any]
    """The event as recorded (envelope and fields; personal fields as read, or
    ``[erased]``), valid against ``event_schemas()[event_type]``."""
    follow_ups: tuple[FollowUpRecord, ...]
    """The follow-ups it scheduled, and how they stood (or ended) at the time of the report."""
    moved_to: str | None
    """The state this event moved the record into (``None``: it stayed where it was)."""


class Spell(BaseModel):
    """A pause of recovery or a flag, from when it was recorded to when it was lifted."""

    model_config = _MODEL

    kind: Literal["pause", "flag"]
    key: str
    """The pause id, the flag id (a case) or the flag (a plan)."""
    what: str
    began_version: int
    began_at: datetime
    began_by: str
    """The event type that recorded it."""
    ended_version: int | None
    ended_at: datetime | None
    ended_by: str | None

    @property
    def in_force(self) -> bool:
        return self.ended_version is None


class CaseReport(BaseModel):
    """Everything ``recoverycore report`` shows about one plan or case."""

    model_config = _MODEL

    report_format: Literal[1] = 1
    generated_at: datetime
    generator: str
    summary: Summary
    events: tuple[ReportEvent, ...]
    """Every action, in the order it happened (as the audit timeline orders them)."""
    follow_ups_in_force: tuple[FollowUpRecord, ...]
    pauses: tuple[Spell, ...]
    flags: tuple[Spell, ...]
    state: StateAsOf
    """The plan's or case's state as the aggregate folds its events."""
    verification: VerifyResult
    """The hash-chain check of this record's stored events (now, whatever ``as_of``)."""
    view_discrepancies: tuple[ViewDiscrepancy, ...] = ()
    """The audit view's rows of this record that are not what its stored events make (the
    chain does not cover the view). ``events``, ``path`` and ``state`` come from the stored
    events whatever the view holds; ``follow_ups`` from the view."""
    machine: StateMachine
    path: tuple[PathStep, ...]
    """The transitions taken, in version order (the first: where the record began)."""


def is_intact(report: CaseReport) -> bool:
    """Whether the record's hash chain verifies and the audit view agrees with it."""
    return report.verification.ok and not report.view_discrepancies


def report_schemas() -> dict[str, Any]:
    """What ``recoverycore report --schemas`` prints: the JSON Schema of the report
    (``--format json``) and of every event type its ``events[].data`` may hold."""
    return {"report": CaseReport.model_json_schema(), "events": event_schemas()}
