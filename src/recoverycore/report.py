"""The case report: everything an auditor needs about one plan or case, in one file.

``recoverycore report ID -o FILE.html`` writes it; :func:`build_report` gathers it and
:func:`render` writes it as

* ``html``: one self-contained page (inline CSS and SVG, a few lines of inline script, nothing
  fetched from anywhere): the summary, the hash-chain verification, the procedure's state
  machine with the path this record took, the timeline of actions, the follow-ups and how they
  ended, and the pauses and flags with their history;
* ``json``: the audit export, the :class:`CaseReport` model itself; every event with its type,
  schema version and data, which :func:`event_schemas` (``recoverycore report --schemas``)
  describes;
* ``text``: the same as plain text.

Personal fields are read through :class:`~recoverycore.ReadModels`, so they show as recorded,
or ``[erased]`` once the customer was forgotten. Every recorded text is escaped in the page.
This module is the application layer: it reads the views and folds histories with the
aggregates (to find the path taken and the pauses and flags), and never writes.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from html import escape
from typing import Any, Literal
from uuid import UUID

import orjson
from eventsourcing.utils import get_topic
from pydantic import BaseModel, ConfigDict

from recoverycore._diagram import (
    MachineTransition,
    PathStep,
    StateMachine,
    event_class,
    node_of,
    render_svg,
    state_machine,
)
from recoverycore._version import __version__
from recoverycore.aggregates import cmr, msp
from recoverycore.application.read_models import ReadModels, StateAsOf
from recoverycore.application.verify import VerifyResult, verify
from recoverycore.events import msp as plan_events
from recoverycore.events._envelope import DomainEvent
from recoverycore.events.cmr import CASE_EVENT_TYPES
from recoverycore.events.follow_ups import FOLLOW_UP_EVENT_TYPES
from recoverycore.events.safeguards import CustomerAggregateLinked, SafeguardReactionRequested
from recoverycore.projections import audit as audit_view
from recoverycore.projections._framework import RECOVERY_APPLICATION, Fact
from recoverycore.projections._subjects import CASE, owner
from recoverycore.projections.audit import AuditEntry, FollowUpRecord
from recoverycore.rules import CATALOGUE

__all__ = [
    "FORMATS",
    "CaseReport",
    "MachineTransition",
    "PathStep",
    "ReportEvent",
    "ReportFormat",
    "Spell",
    "StateMachine",
    "Summary",
    "build_report",
    "event_schemas",
    "format_for",
    "render",
    "render_html",
    "render_json",
    "render_text",
    "report_schemas",
    "state_machine",
]

ReportFormat = Literal["html", "json", "text"]
FORMATS: Mapping[str, ReportFormat] = {
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".txt": "text",
    ".text": "text",
}
"""The format a file's extension asks for (anything else: html)."""
_BY_NAME: Mapping[str, ReportFormat] = {"html": "html", "json": "json", "text": "text"}

_MODEL = ConfigDict(frozen=True, extra="forbid")
_TITLES = {"ManagedServicePlan": "Managed Service Plan", CASE: "Case managed debt recovery"}


def format_for(path: str | None, chosen: str | None = None) -> ReportFormat:
    """``chosen`` if given, else the format ``path``'s extension asks for, else html."""
    if chosen is not None:
        try:
            return _BY_NAME[chosen]
        except KeyError:
            raise ValueError(f"No report format {chosen!r}; use html, json or text.") from None
    if path is None:
        return "html"
    suffix = path[path.rfind(".") :].lower() if "." in path else ""
    return FORMATS.get(suffix, "html")


# -- the report's data -----------------------------------------------------------------------------


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
    machine: StateMachine
    path: tuple[PathStep, ...]
    """The transitions taken, in version order (the first: where the record began)."""


# -- gathering -------------------------------------------------------------------------------------

_ENVELOPE_ORDER = (
    "occurred_at",
    "recorded_at",
    "actor",
    "authority",
    "reasons",
    "evidence_refs",
    "procedure_ref",
    "rules_applied",
    "correlation_id",
    "causation_id",
)


def _event_data(entry: AuditEntry) -> dict[str, Any]:
    """The event as recorded, rebuilt from its audit entry (the envelope and its own fields)."""
    dumped = entry.model_dump(mode="json")
    data: dict[str, Any] = {
        "originator_id": entry.subject_id,
        "originator_version": entry.version,
    }
    for name in _ENVELOPE_ORDER:
        if name == "actor":
            if entry.staff_id is not None:
                data["actor"] = {
                    "staff_id": entry.staff_id,
                    "role": entry.role,
                    "aps_level": entry.aps_level,
                    "team": entry.team,
                }
            continue
        data[name] = dumped[name]
    data.update(entry.details)
    return data


_Folder = Callable[[Any, DomainEvent], Any]


def _positions(
    subject_type: str, events: Sequence[DomainEvent]
) -> tuple[list[PathStep], list[Spell], list[Spell], dict[int, str]]:
    """Fold the events with the aggregate, one at a time: the path taken (where the record was
    after each event), and the pauses and flags as they came and went."""
    evolve: _Folder = cmr.evolve if subject_type == CASE else msp.evolve
    path: list[PathStep] = []
    moved: dict[int, str] = {}
    spells: dict[tuple[str, str], dict[str, Any]] = {}
    closed: list[dict[str, Any]] = []
    state: Any = None
    where: str | None = None
    for event in events:
        state = evolve(state, event)
        now = node_of(subject_type, state.status, getattr(state, "stage", None))
        if now is not None and now != where:
            path.append(
                PathStep(
                    version=event.originator_version,
                    event_type=event.event_type,
                    occurred_at=event.occurred_at,
                    source=where,
                    target=now,
                )
            )
            moved[event.originator_version] = now
            where = now
        current = _spells_in(state)
        for key, what in current.items():
            if key not in spells:
                spells[key] = {
                    "kind": key[0],
                    "key": key[1],
                    "what": what,
                    "began_version": event.originator_version,
                    "began_at": event.occurred_at,
                    "began_by": event.event_type,
                    "ended_version": None,
                    "ended_at": None,
                    "ended_by": None,
                }
        for key in [k for k in spells if k not in current]:
            ended = spells.pop(key)
            ended.update(
                ended_version=event.originator_version,
                ended_at=event.occurred_at,
                ended_by=event.event_type,
            )
            closed.append(ended)
    every = sorted([*closed, *spells.values()], key=lambda s: (s["began_version"], s["key"]))
    pauses = [Spell.model_validate(s) for s in every if s["kind"] == "pause"]
    flags = [Spell.model_validate(s) for s in every if s["kind"] == "flag"]
    return path, pauses, flags, moved


def _spells_in(state: Any) -> dict[tuple[str, str], str]:
    """The pauses and flags in force in a plan's or case's state, keyed by (kind, id)."""
    found: dict[tuple[str, str], str] = {}
    if isinstance(state, cmr.CaseState):
        for pause in state.pauses:
            debts = ", ".join(pause.debt_ids) or "all debts"
            found["pause", pause.pause_id] = f"{pause.reason} ({debts})"
        for flag in state.flags:
            found["flag", flag.flag_id] = flag.kind
    elif isinstance(state, msp.MspState):
        for kind in state.safety_flags:
            found["flag", kind] = kind
    return found


def _owner(subject_id: str, events: Iterable[ReportEvent]) -> tuple[str | None, str | None]:
    officer = team = None
    for event in sorted(events, key=lambda e: e.version):
        cls = event_class(event.event_type)
        if cls is None:
            continue
        fact = Fact(RECOVERY_APPLICATION, 0, subject_id, event.version, get_topic(cls), event.data)
        who, where = owner(fact)
        officer, team = who or officer, where or team
    return officer, team


def _customer(state: msp.MspState | cmr.CaseState) -> str | None:
    customer = getattr(state, "customer", None)
    if customer is None:
        return None
    return f"{customer.first_name} {customer.surname}"


def build_report(
    models: ReadModels,
    subject_id: UUID | str,
    *,
    as_of: datetime | None = None,
    version: int | None = None,
    verification: VerifyResult | None = None,
    generated_at: datetime | None = None,
) -> CaseReport:
    """The report of one plan or case, as the record stood at ``as_of`` (or ``version``, or
    now), from views that are up to date (call ``models.catch_up()`` first).

    ``verification`` is the hash-chain check of the record; by default :func:`~recoverycore.
    integrity.verify` on the store ``models`` reads (for an in-memory system, pass
    ``verify(apps=[...], aggregate_id=...)``). Raises
    :class:`~recoverycore.errors.AggregateNotFound` when nothing was recorded on
    ``subject_id`` by then.
    """
    sid = str(subject_id)
    audit = models.audit_report(sid, as_of=as_of, version=version)
    timeline, state = audit.timeline, audit.state
    typed = audit_view.events_until(models.view("audit"), sid, as_of=as_of, version=version)
    path, pauses, flags, moved = _positions(state.subject_type, typed)
    events = tuple(
        ReportEvent(
            version=entry.version,
            event_id=entry.event_id,
            event_type=entry.event_type,
            schema_version=getattr(event_class(entry.event_type), "class_version", 1),
            data=_event_data(entry),
            follow_ups=entry.follow_ups,
            moved_to=moved.get(entry.version),
        )
        for entry in timeline.entries
    )
    if verification is None:
        if not models.env:
            raise ValueError(
                "These views follow running applications, not a store: pass "
                "verification=verify(apps=[...], aggregate_id=...)."
            )
        verification = verify(models.env, aggregate_id=UUID(sid))
    officer, team = _owner(sid, events)
    folded = state.state
    status = folded.status
    stage = getattr(folded, "stage", status)
    final = state_machine(state.subject_type).final
    ended = next((s.occurred_at for s in path if s.target in final), None)
    entries = timeline.entries
    summary = Summary(
        subject_type=state.subject_type,
        title=_TITLES.get(state.subject_type, state.subject_type),
        subject_id=sid,
        procedure=state_machine(state.subject_type).procedure,
        crn=getattr(folded, "crn", None) or timeline.crn,
        customer=_customer(folded),
        status=status,
        stage=stage,
        officer_id=officer,
        team=team,
        opened_at=min(e.occurred_at for e in entries),
        last_action_at=max(e.occurred_at for e in entries),
        in_state_since=path[-1].occurred_at if path else entries[0].occurred_at,
        ended_at=ended,
        period_start=getattr(folded, "start_date", None),
        period_end=getattr(folded, "end_date", None),
        version=state.version,
        actions=len(entries),
        as_of=as_of,
        up_to_version=version,
    )
    return CaseReport(
        generated_at=generated_at or datetime.now().astimezone(),
        generator=f"recoverycore {__version__}",
        summary=summary,
        events=events,
        follow_ups_in_force=timeline.follow_ups_in_force,
        pauses=tuple(pauses),
        flags=tuple(flags),
        state=state,
        verification=verification,
        machine=state_machine(state.subject_type),
        path=tuple(path),
    )


# -- schemas ---------------------------------------------------------------------------------------


def _recorded_event_types() -> tuple[type[DomainEvent], ...]:
    return (
        *plan_events.MSP_EVENT_TYPES,
        *CASE_EVENT_TYPES,
        *FOLLOW_UP_EVENT_TYPES,
        CustomerAggregateLinked,
        SafeguardReactionRequested,
    )


def event_schemas() -> dict[str, dict[str, Any]]:
    """A JSON Schema for every event type recoverycore records (plans, cases, follow-ups,
    safeguards), generated from its pydantic model, by event type name. Each schema carries
    ``x-schema-version`` (the type's ``class_version``) and ``x-aggregate-type``; a personal
    field is marked ``"x-personal": true``."""
    schemas: dict[str, dict[str, Any]] = {}
    for cls in _recorded_event_types():
        schema = cls.model_json_schema()
        schema["x-schema-version"] = cls.class_version
        schema["x-aggregate-type"] = cls.aggregate_type
        schemas[cls.__name__] = schema
    return schemas


def report_schemas() -> dict[str, Any]:
    """What ``recoverycore report --schemas`` prints: the JSON Schema of the report
    (``--format json``) and of every event type its ``events[].data`` may hold."""
    return {"report": CaseReport.model_json_schema(), "events": event_schemas()}


# -- rendering: shared -----------------------------------------------------------------------------


def render(report: CaseReport, fmt: ReportFormat) -> str:
    """The report as ``html``, ``json`` or ``text``."""
    if fmt == "json":
        return render_json(report)
    if fmt == "text":
        return render_text(report)
    return render_html(report)


def render_json(report: CaseReport) -> str:
    """The audit export: :class:`CaseReport` as JSON (see :func:`report_schemas`)."""
    return report.model_dump_json(indent=2) + "\n"


def _when(value: datetime | None, like: datetime | None = None) -> str:
    """A time as people read it (``2026-03-02 08:45 +11:00``); ``like``: in that time's offset
    (a follow-up's recording times, kept in UTC, beside its local due time)."""
    if value is None:
        return ""
    if like is not None and like.tzinfo is not None:
        value = value.astimezone(like.tzinfo)
    offset = value.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else ""
    return f"{value:%Y-%m-%d %H:%M} {offset}".strip()


def _standing(s: Summary) -> str:
    if s.as_of is not None:
        return f"at {_when(s.as_of)}"
    if s.up_to_version is not None:
        return f"at version {s.up_to_version}"
    return "when the report was generated"


def _actor(event: ReportEvent) -> tuple[str, str]:
    actor: Mapping[str, Any] = event.data.get("actor") or {}
    staff = str(actor.get("staff_id") or "")
    more = ", ".join(str(actor[k]) for k in ("role", "aps_level", "team") if actor.get(k))
    return staff, more


def _details(event: ReportEvent) -> dict[str, Any]:
    envelope = {"originator_id", "originator_version", *_ENVELOPE_ORDER}
    return {
        k: v for k, v in event.data.items() if k not in envelope and v not in (None, "", [], {})
    }


def _plain(value: Any, items: str = "\n") -> str:
    """A recorded value as text: a list of records one per line (``items``), a record as
    ``name: value`` pairs."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return ", ".join(
            f"{k}: {_plain(v, '; ')}" for k, v in value.items() if v not in (None, "", [], {})
        )
    if isinstance(value, list | tuple):
        compound = any(isinstance(v, Mapping | list | tuple) for v in value)
        return (items if compound else ", ").join(_plain(v, "; ") for v in value)
    return orjson.dumps(value).decode() if not isinstance(value, int | float) else str(value)


def _list(values: Iterable[Any]) -> list[Any]:
    return list(values) if isinstance(values, list | tuple) else []


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _verdict(result: VerifyResult) -> str:
    checked = (
        f"{_count(result.events, 'event', 'events')} in "
        f"{_count(result.aggregates, 'stored history', 'stored histories')}"
    )
    if result.ok:
        return f"intact: {checked} checked"
    return f"FAILED: {_count(len(result.findings), 'finding', 'findings')} in {checked}"


def _rules_cited(report: CaseReport) -> list[str]:
    cited: dict[str, None] = {}
    for event in report.events:
        for rule in _list(event.data.get("rules_applied") or ()):
            cited[str(rule)] = None
        if isinstance(event.data.get("rule_id"), str):
            cited[event.data["rule_id"]] = None
    return sorted(cited)


def _caused_by(report: CaseReport) -> dict[str, ReportEvent]:
    return {e.event_id: e for e in report.events}


# -- rendering: text -------------------------------------------------------------------------------


def render_text(report: CaseReport) -> str:
    """The report as plain text."""
    s = report.summary
    title = f"{s.title} {s.subject_id} (procedure {s.procedure})"
    out = [title, "=" * len(title), ""]
    out += _text_summary(report)
    out += _heading("Verification (hash chain)") + _text_verification(report.verification)
    out += _heading("Path through the procedure") + _text_path(report)
    out += _heading("Timeline") + _text_timeline(report)
    out += _heading("Follow-ups") + _text_follow_ups(report)
    out += _heading("Pauses of recovery") + _text_spells(report.pauses)
    out += _heading("Flags") + _text_spells(report.flags)
    rules = _rules_cited(report)
    if rules:
        out += _heading("Rules cited")
        for rid in rules:
            rule = CATALOGUE.get(rid)
            out.append(f"{rid}: {rule.text if rule else '(not in this version catalogue)'}")
    return "\n".join(out) + "\n"


def _heading(title: str) -> list[str]:
    return ["", title, "-" * len(title)]


def _text_summary(report: CaseReport) -> list[str]:
    s = report.summary
    rows = [
        ("Type", s.subject_type),
        ("CRN", s.crn or ""),
        ("Customer", s.customer or ""),
        ("Status / stage", f"{s.status} / {s.stage}"),
        ("Officer", " ".join(x for x in (s.officer_id, s.team and f"({s.team})") if x)),
        ("Opened", _when(s.opened_at)),
        ("Last action", _when(s.last_action_at)),
        ("In this state since", _when(s.in_state_since)),
        ("Ended", _when(s.ended_at) or "not ended"),
        ("Plan period", f"{s.period_start} to {s.period_end}" if s.period_start else ""),
        ("Events", f"{s.actions} (version {s.version})"),
        ("As it stood", _standing(s)),
        ("Generated", f"{_when(report.generated_at)} by {report.generator}"),
    ]
    return [f"{k + ':':<22}{v}" for k, v in rows if v]


def _text_verification(result: VerifyResult) -> list[str]:
    out = [f"Hash chain {_verdict(result)} ({result.chain})."]
    if result.heads:
        out.append(
            f"Head: version {result.heads.get('version')}, digest {result.heads.get('digest')}"
        )
    out += [
        f"  {finding.kind} at version {finding.version} ({finding.application}): {finding.detail}"
        for finding in result.findings
    ]
    return out


def _text_path(report: CaseReport) -> list[str]:
    m = report.machine
    out = [
        f"{n:>3}. {step.source or '(start)'} -> {step.target} by v{step.version} "
        f"{step.event_type} ({_when(step.occurred_at)})"
        for n, step in enumerate(report.path, start=1)
    ]
    out.append("")
    out.append(f"States: {', '.join(m.states)}; a record ends in {', '.join(m.final)}.")
    out.append("Events that move a record (from any state that accepts work):")
    out += [
        f"  {t.label} -> {t.target}" + (" (begins the record)" if t.starts else "")
        for t in m.transitions
    ]
    return out


def _text_timeline(report: CaseReport) -> list[str]:
    caused = _caused_by(report)
    out: list[str] = []
    indent = " " * 6
    for e in report.events:
        staff, more = _actor(e)
        moved = f"  -> {e.moved_to}" if e.moved_to else ""
        out.append(
            f"v{e.version:<5}{_when(_occurred(e))}  {e.event_type} (schema v{e.schema_version})"
            + moved
        )
        recorded = e.data.get("recorded_at")
        if recorded and recorded != e.data.get("occurred_at"):
            out.append(f"{indent}recorded {_when(datetime.fromisoformat(recorded))}")
        out.append(f"{indent}by {staff} ({more})")
        rules = ", ".join(str(r) for r in _list(e.data.get("rules_applied") or ()))
        out.append(
            f"{indent}step {e.data.get('procedure_ref') or ''}"
            + (f"; rules applied {rules}" if rules else "")
        )
        for label, key in (("reasons", "reasons"), ("evidence", "evidence_refs")):
            values = _list(e.data.get(key) or ())
            if values:
                out.append(f"{indent}{label}: " + "; ".join(str(x) for x in values))
        if e.data.get("authority"):
            out.append(f"{indent}authority: {e.data['authority']}")
        for key, value in _details(e).items():
            out += textwrap.wrap(
                f"{key}: {_plain(value, ' | ')}",
                100,
                initial_indent=indent,
                subsequent_indent=indent + "  ",
                break_on_hyphens=False,
                break_long_words=False,
            )
        out += [
            f"{indent}follow-up {f.kind}: due {_when(f.due_at)}, {_follow_up_end(f, caused)}"
            for f in e.follow_ups
        ]
    return out


def _text_follow_ups(report: CaseReport) -> list[str]:
    caused = _caused_by(report)
    out = [
        f"{f.kind}: {f.description} (step {f.procedure_ref or '-'}); caused by v{e.version} "
        f"{e.event_type}; due {_when(f.due_at)}; {_follow_up_end(f, caused)}"
        for e in report.events
        for f in e.follow_ups
    ]
    out.append(f"In force: {len(report.follow_ups_in_force)}.")
    return out


def _text_spells(spells: Sequence[Spell]) -> list[str]:
    in_force = [sp for sp in spells if sp.in_force]
    out = [f"In force: {len(in_force)}; recorded in all: {len(spells)}."]
    out += [f"  {_spell_text(sp)}" for sp in spells]
    return out


def _occurred(event: ReportEvent) -> datetime | None:
    value = event.data.get("occurred_at")
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _follow_up_end(f: FollowUpRecord, caused: Mapping[str, ReportEvent]) -> str:
    """How a follow-up stands or ended: its recording times (kept in UTC) are shown in the
    offset of the action that ended it, else of its due time."""
    status = f.status.lower()
    if f.ended_at is None:
        fell_due = _when(f.fell_due_at, f.due_at)
        return status + (f" (fell due {fell_due})" if f.fell_due_at else "")
    ender = caused.get(f.ended_by or "")
    if ender is not None:
        return (
            f"{status} {_when(f.ended_at, _occurred(ender) or f.due_at)} "
            f"by v{ender.version} {ender.event_type}"
        )
    by = f" by {f.ended_by_type}" if f.ended_by_type else ""
    return f"{status} {_when(f.ended_at, f.due_at)}{by}"


def _spell_text(sp: Spell) -> str:
    began = f"from v{sp.began_version} {sp.began_by} ({_when(sp.began_at)})"
    ended = (
        "in force"
        if sp.ended_version is None
        else f"until v{sp.ended_version} {sp.ended_by} ({_when(sp.ended_at)})"
    )
    return f"{sp.key}: {sp.what}; {began}; {ended}"


# -- rendering: html -------------------------------------------------------------------------------

_CSS = """
:root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --accent:#1d4ed8; --ok:#047857;
  --bad:#b91c1c; --soft:#f3f4f6; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: #fff; }
main { max-width: 1360px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 10px; padding-bottom: 4px;
  border-bottom: 2px solid var(--line); }
.sub { color: var(--muted); margin: 0 0 16px; }
.summary { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr));
  gap: 8px 16px; margin: 0; }
.summary div { background: var(--soft); border-radius: 8px; padding: 8px 12px; }
.summary dt { font-size: 11px; text-transform: uppercase; letter-spacing: .04em;
  color: var(--muted); }
.summary dd { margin: 2px 0 0; font-weight: 600; overflow-wrap: anywhere; }
.verdict { border-radius: 8px; padding: 10px 14px; font-weight: 600; margin: 0 0 8px; }
.verdict.ok { background: #ecfdf5; color: var(--ok); border: 1px solid #a7f3d0; }
.verdict.bad { background: #fef2f2; color: var(--bad); border: 1px solid #fecaca; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px;
  overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px;
  border-bottom: 1px solid var(--line); }
td { overflow-wrap: break-word; }
#timeline { table-layout: fixed; }
#timeline td { overflow-wrap: anywhere; }
#timeline col.n { width: 3.5%; } #timeline col.when { width: 9%; } #timeline col.who { width: 11%; }
#timeline col.what { width: 33%; } #timeline col.why { width: 18%; }
#timeline col.step { width: 11%; } #timeline col.fu { width: 14.5%; }
.nowrap { white-space: nowrap; }
th { font-size: 12px; color: var(--muted); background: #fafafa; position: sticky; top: 0; }
td.n { color: var(--muted); white-space: nowrap; }
.event { font-weight: 700; }
.schema { color: var(--muted); font-size: 11px; font-weight: 400; }
.moved { display: inline-block; margin-left: 6px; padding: 0 6px; border-radius: 9px;
  background: #dbeafe; color: var(--accent); font-size: 11px; font-weight: 700; }
.details { margin: 4px 0 0; display: grid; grid-template-columns: max-content 1fr; gap: 0 8px;
  font-size: 12px; }
.details dt { color: var(--muted); }
.details dd { margin: 0; overflow-wrap: anywhere; }
.rule { display: inline-block; margin: 1px 2px 1px 0; padding: 0 5px; border-radius: 4px;
  background: var(--soft); border: 1px solid var(--line); font-size: 11px; }
.muted { color: var(--muted); }
.tag { display: inline-block; padding: 0 6px; border-radius: 9px; font-size: 11px;
  font-weight: 700; }
.tag.completed { background: #ecfdf5; color: var(--ok); }
.tag.cancelled { background: var(--soft); color: var(--muted); }
.tag.due { background: #fef3c7; color: #92400e; }
.tag.scheduled { background: #dbeafe; color: var(--accent); }
.tag.force { background: #fef2f2; color: var(--bad); }
.diagram { overflow-x: auto; border: 1px solid var(--line); border-radius: 10px; padding: 8px; }
.diagram svg { max-width: 100%; height: auto; display: block; margin: 0 auto; }
ol.path { columns: 2; column-gap: 32px; padding-left: 24px; }
ol.path li { break-inside: avoid; margin-bottom: 2px; }
#filter { margin: 0 0 8px; padding: 6px 10px; width: 320px; max-width: 100%;
  border: 1px solid var(--line); border-radius: 6px; font: inherit; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print { th { position: static; } .diagram { overflow: visible; } #filter { display: none; }
  h2 { break-after: avoid; } tr { break-inside: avoid; } }
"""

# Progressive enhancement only: without it the page is complete; with it, a box filters the
# timeline's rows by the text typed.
_SCRIPT = """
(function () {
  var box = document.getElementById("filter");
  var rows = document.querySelectorAll("#timeline tbody tr");
  if (!box) { return; }
  box.hidden = false;
  box.addEventListener("input", function () {
    var wanted = box.value.toLowerCase();
    rows.forEach(function (row) {
      row.hidden = wanted !== "" && row.textContent.toLowerCase().indexOf(wanted) < 0;
    });
  });
})();
"""


def _h(value: Any) -> str:
    """Recorded text, escaped for the page."""
    return escape("" if value is None else str(value), quote=True)


def _rule_chip(rule_id: str) -> str:
    rule = CATALOGUE.get(rule_id)
    title = f' title="{_h(rule.text)}"' if rule else ""
    return f'<span class="rule"{title}>{_h(rule_id)}</span>'


def _follow_up_tag(f: FollowUpRecord) -> str:
    return f'<span class="tag {_h(f.status.lower())}">{_h(f.status.lower())}</span>'


def _dl(items: Mapping[str, Any]) -> str:
    if not items:
        return ""
    body = "".join(
        f"<dt>{_h(k)}</dt><dd>{_h(_plain(v)).replace(chr(10), '<br>')}</dd>"
        for k, v in items.items()
    )
    return f'<dl class="details">{body}</dl>'


def _summary_html(report: CaseReport) -> str:
    s = report.summary
    items = [
        ("Type", f"{s.title} ({s.subject_type})"),
        ("Id", s.subject_id),
        ("CRN", s.crn or "none recorded"),
        ("Customer", s.customer),
        ("Status", s.status),
        ("Stage", s.stage),
        ("Officer", " ".join(x for x in (s.officer_id, s.team and f"({s.team})") if x) or None),
        ("Opened", _when(s.opened_at)),
        ("Last action", _when(s.last_action_at)),
        ("In this state since", _when(s.in_state_since)),
        ("Ended", _when(s.ended_at) or "not ended"),
        ("Plan period", f"{s.period_start} to {s.period_end}" if s.period_start else None),
        ("Events", f"{s.actions} (version {s.version})"),
        ("As it stood", _standing(s)),
    ]
    cells = "".join(
        f"<div><dt>{_h(k)}</dt><dd>{_h(v)}</dd></div>" for k, v in items if v is not None
    )
    return f'<dl class="summary" id="summary">{cells}</dl>'


def _verification_html(v: VerifyResult) -> str:
    out = [
        f'<p class="verdict {"ok" if v.ok else "bad"}" id="verdict">Hash chain '
        f"{_h(_verdict(v))} ({_h(v.chain)}"
        + (f", checked against the {_h(v.witness)}" if v.witness else "")
        + ").</p>"
    ]
    if v.heads:
        out.append(
            f"<p>Head: version {_h(v.heads.get('version'))}, digest "
            f"<code>{_h(v.heads.get('digest'))}</code>. Write it down: a later "
            "<code>recoverycore verify</code> shows whether anything was appended, removed or "
            "re-sealed since.</p>"
        )
    if v.findings:
        rows = "".join(
            f"<tr><td>{_h(f.application)}</td><td>{_h(f.version)}"
            + (f"–{_h(f.last_version)}" if f.last_version and f.last_version != f.version else "")
            + f'</td><td><span class="tag force">{_h(f.kind)}</span></td>'
            f"<td>{_h(f.detail)}</td></tr>"
            for f in v.findings
        )
        out.append(
            '<table id="findings"><thead><tr><th>log</th><th>version</th><th>finding</th>'
            f"<th>detail</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    return "\n".join(out)


def _path_html(report: CaseReport) -> str:
    items = []
    for step in report.path:
        source = step.source or "start"
        items.append(
            f"<li><strong>{_h(source)} → {_h(step.target)}</strong> by "
            f'{_h(step.event_type)} <span class="muted">(v{step.version}, '
            f"{_h(_when(step.occurred_at))})</span></li>"
        )
    return f'<ol class="path" id="path">{"".join(items)}</ol>'


def _timeline_html(report: CaseReport) -> str:
    caused = _caused_by(report)
    rows = []
    for e in report.events:
        staff, more = _actor(e)
        occurred, recorded = e.data.get("occurred_at"), e.data.get("recorded_at")
        day, _, time = _when(_occurred(e)).partition(" ")
        when = f'<span class="nowrap">{_h(day)}</span> <span class="nowrap">{_h(time)}</span>'
        if recorded and recorded != occurred:
            at = _when(datetime.fromisoformat(recorded))
            when += f'<br><span class="muted">recorded {_h(at)}</span>'
        why = []
        why += [f"<div>{_h(r)}</div>" for r in _list(e.data.get("reasons") or ())]
        evidence = _list(e.data.get("evidence_refs") or ())
        if evidence:
            why.append(f'<div class="muted">evidence: {_h(", ".join(map(str, evidence)))}</div>')
        if e.data.get("authority"):
            why.append(f'<div class="muted">authority: {_h(e.data["authority"])}</div>')
        rules = "".join(_rule_chip(str(r)) for r in _list(e.data.get("rules_applied") or ()))
        follow_ups = "".join(
            f'<div>{_h(f.kind)} {_follow_up_tag(f)}<br><span class="muted">due '
            f"{_h(_when(f.due_at))}"
            + (f"; {_h(_follow_up_end(f, caused))}" if f.ended_at else "")
            + "</span></div>"
            for f in e.follow_ups
        )
        moved = f'<span class="moved">→ {_h(e.moved_to)}</span>' if e.moved_to else ""
        rows.append(
            f'<tr id="v{e.version}" data-event-type="{_h(e.event_type)}">'
            f'<td class="n">{e.version}</td><td>{when}</td>'
            f'<td><strong>{_h(staff)}</strong><br><span class="muted">{_h(more)}</span></td>'
            f'<td><span class="event">{_h(e.event_type)}</span> '
            f'<span class="schema">v{e.schema_version}</span>{moved}{_dl(_details(e))}</td>'
            f"<td>{''.join(why)}</td>"
            f"<td>{_h(e.data.get('procedure_ref') or '')}<br>{rules}</td>"
            f"<td>{follow_ups}</td></tr>"
        )
    return (
        '<input id="filter" type="search" placeholder="Filter the timeline…" hidden>'
        '<table id="timeline"><colgroup><col class="n"><col class="when"><col class="who">'
        '<col class="what"><col class="why"><col class="step"><col class="fu"></colgroup>'
        "<thead><tr><th>#</th><th>when</th><th>who</th>"
        "<th>action and details</th><th>reasons, evidence, authority</th>"
        "<th>procedure step, rules applied</th><th>follow-ups caused</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _follow_ups_html(report: CaseReport) -> str:
    caused = _caused_by(report)
    rows = []
    for e in report.events:
        for f in e.follow_ups:
            rows.append(
                f'<tr><td>{_h(f.kind)}<br><span class="muted">{_h(f.description)}</span></td>'
                f"<td>{_h(f.procedure_ref or '')}</td>"
                f'<td><a href="#v{e.version}">v{e.version}</a> {_h(e.event_type)}</td>'
                f"<td>{_h(_when(f.due_at))}</td><td>{_follow_up_tag(f)}</td>"
                f"<td>{_h(_follow_up_end(f, caused) if f.ended_at else '')}</td></tr>"
            )
    if not rows:
        return "<p>No follow-ups were scheduled.</p>"
    in_force = len(report.follow_ups_in_force)
    return (
        f"<p>{in_force} in force (scheduled or due, not completed or cancelled).</p>"
        '<table id="follow-ups"><thead><tr><th>follow-up</th><th>step</th><th>caused by</th>'
        "<th>due</th><th>status</th><th>how it ended</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _spells_html(name: str, spells: Sequence[Spell], html_id: str) -> str:
    in_force = [s for s in spells if s.in_force]
    head = f"<p>{len(in_force)} {name} in force" + (
        ": " + ", ".join(f"<strong>{_h(s.key)}</strong> ({_h(s.what)})" for s in in_force)
        if in_force
        else ""
    )
    head += f"; {len(spells)} recorded in all.</p>"
    if not spells:
        return head
    rows = "".join(
        f"<tr><td>{_h(s.key)}</td><td>{_h(s.what)}</td>"
        f'<td><a href="#v{s.began_version}">v{s.began_version}</a> {_h(s.began_by)}<br>'
        f'<span class="muted">{_h(_when(s.began_at))}</span></td><td>'
        + (
            '<span class="tag force">in force</span>'
            if s.in_force
            else f'<a href="#v{s.ended_version}">v{s.ended_version}</a> {_h(s.ended_by)}<br>'
            f'<span class="muted">{_h(_when(s.ended_at))}</span>'
        )
        + "</td></tr>"
        for s in spells
    )
    return (
        head + f'<table id="{html_id}"><thead><tr><th>id</th><th>what</th><th>recorded</th>'
        f"<th>lifted</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _rules_html(report: CaseReport) -> str:
    items = []
    for rid in _rules_cited(report):
        rule = CATALOGUE.get(rid)
        text = (
            f'{_h(rule.text)} <span class="muted">({_h(rule.source_step)})</span>'
            if rule
            else "not in this version's catalogue"
        )
        items.append(f"<dt>{_h(rid)}</dt><dd>{text}</dd>")
    return f'<dl class="details" id="rules">{"".join(items)}</dl>'


def render_html(report: CaseReport) -> str:
    """The report as one self-contained HTML page."""
    s = report.summary
    current = report.path[-1].target if report.path else None
    diagram = render_svg(report.machine, report.path, current=current)
    title = f"{s.title} {s.subject_id}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{_h(report.generator)}">
<title>Report: {_h(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<main>
<h1>{_h(title)}</h1>
<p class="sub">Procedure {_h(s.procedure)}. Report generated {_h(_when(report.generated_at))}
by {_h(report.generator)}; the record as it stood {_h(_standing(s))}.</p>
<section><h2>Summary</h2>{_summary_html(report)}</section>
<section><h2>Verification</h2>{_verification_html(report.verification)}</section>
<section><h2>The procedure and the path this record took</h2>
<p class="muted">The states and the events that move a record between them are generated from
the code's own definitions (the aggregate's state types and its event-to-state mapping).</p>
<div class="diagram" id="diagram">{diagram}</div>
{_path_html(report)}
</section>
<section><h2>Timeline of actions</h2>{_timeline_html(report)}</section>
<section><h2>Follow-ups and how they ended</h2>{_follow_ups_html(report)}</section>
<section><h2>Pauses of recovery</h2>{_spells_html("pause(s)", report.pauses, "pauses")}</section>
<section><h2>Flags</h2>{_spells_html("flag(s)", report.flags, "flags")}</section>
<section><h2>Rules cited</h2>{_rules_html(report)}</section>
<footer>Self-contained report: everything is in this file. Personal fields are shown as read
from the record ("[erased]" once the customer was forgotten). Machine-readable form:
<code>recoverycore report {_h(s.subject_id)} --format json</code>.</footer>
</main>
<script>{_SCRIPT}</script>
</body>
</html>
"""
