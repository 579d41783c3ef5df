"""Gathering a report: check the chain, read the plan's or case's stored events (what the chain
covers) and fold them with the aggregate, take the follow-ups from the audit view, and check the
audit view's rows against the stored events."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic
from pydantic import BaseModel

from recoverycore._version import __version__
from recoverycore.aggregates import cmr, customer, decider_of_event, msp
from recoverycore.application import (
    AggregateNotFound,
    NotAPlanOrCase,
    ReadModels,
    StateAsOf,
    UnreadableEvent,
    VerifyResult,
    verify,
)
from recoverycore.events import ENVELOPE_FIELDS, DomainEvent
from recoverycore.projections import (
    CASE,
    RECOVERY_APPLICATION,
    AuditEntry,
    Fact,
    FollowUpRecord,
    as_of_text,
    owner,
    utc_text,
)
from recoverycore.projections import audit as audit_view
from recoverycore.report.diagram import PathStep, event_class, node_of, state_machine
from recoverycore.report.model import CaseReport, ReportEvent, Spell, Summary

__all__ = ["build_report"]

_TITLES = {"ManagedServicePlan": "Managed Service Plan", CASE: "Case managed debt recovery"}


def _event_data(entry: AuditEntry) -> dict[str, Any]:
    """The event as recorded, rebuilt from its audit entry (the envelope, in the model's field
    order, and its own fields)."""
    dumped = entry.model_dump(mode="json")
    data: dict[str, Any] = {}
    for name in ENVELOPE_FIELDS:
        if name == "originator_id":
            data[name] = entry.subject_id
        elif name == "originator_version":
            data[name] = entry.version
        elif name == "actor":
            if entry.staff_id is not None:
                data["actor"] = {
                    "staff_id": entry.staff_id,
                    "role": entry.role,
                    "aps_level": entry.aps_level,
                    "team": entry.team,
                }
        else:
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


def _stored_facts(
    models: ReadModels, sid: str, as_of: datetime | None, version: int | None
) -> list[Fact]:
    """The plan's or case's events as the store holds them (what ``verify`` checks), recorded
    by ``as_of`` and up to ``version``, read as a view reads them."""
    source = models.sources[RECOVERY_APPLICATION]
    cutoff = None if as_of is None else as_of_text(as_of)
    facts = []
    for stored in source.recorder.select_events(UUID(sid)):
        notification = Notification(
            id=0,
            originator_id=stored.originator_id,
            originator_version=stored.originator_version,
            topic=stored.topic,
            state=stored.state,
        )
        try:
            fact = source.decode(notification)
            audit_view.event_row(fact)
        except Exception as error:  # damaged: say where, as the views do
            reason = f"{type(error).__name__}: {error}"
            raise UnreadableEvent(
                RECOVERY_APPLICATION, UUID(sid), stored.originator_version, reason
            ) from error
        if version is not None and fact.version > version:
            break
        if cutoff is None or utc_text(fact.data["recorded_at"]) <= cutoff:
            facts.append(fact)
    return facts


_Model = TypeVar("_Model", bound=BaseModel)


def _revealed(models: ReadModels, answer: _Model) -> _Model:
    """``answer`` with personal fields read from their tokens (``[erased]`` once erased)."""
    if models.personal is None:
        return answer
    return type(answer).model_validate(models.personal.reveal(answer.model_dump()))


def _state(
    models: ReadModels,
    sid: str,
    events: Sequence[DomainEvent],
    as_of: datetime | None,
    follow_ups: tuple[FollowUpRecord, ...],
) -> StateAsOf:
    """The plan's or case's state: its stored events folded by the aggregate."""
    decider = decider_of_event(events[0])
    state = decider.fold(e for e in events if decider.owns(e)) if decider else None
    if decider is None or state is None:
        raise AggregateNotFound(UUID(sid), kind="plan or case")
    return _revealed(
        models,
        StateAsOf(
            subject_id=sid,
            subject_type=decider.kind,
            as_of=as_of,
            version=events[-1].originator_version,
            state=state,
            pauses_in_force=decider.pauses_in_force(state),
            flags_in_force=decider.flags_in_force(state),
            follow_ups_in_force=follow_ups,
        ),
    )


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

    The actions, the path and the state come from the record's stored events (what the hash
    chain covers), not from the audit view; the follow-ups come from the audit view. Each of
    the audit view's rows is checked against its stored event: a row changed, missing or extra
    is listed in ``view_discrepancies`` and the report does not call the record intact.

    ``verification`` is the hash-chain check of the record; by default :func:`~recoverycore.
    application.verify` on the store ``models`` reads (for an in-memory system, pass
    ``verify(apps=[...], aggregate_id=...)``). Raises
    :class:`~recoverycore.errors.AggregateNotFound` when nothing was recorded on
    ``subject_id`` by then (:class:`~recoverycore.errors.NotAPlanOrCase` when it is a customer
    record's id), :class:`~recoverycore.errors.UnreadableEvent` when one of its stored events
    cannot be read.
    """
    sid = str(subject_id)
    if verification is None:
        if not models.env:
            raise ValueError(
                "These views follow running applications, not a store: pass "
                "verification=verify(apps=[...], aggregate_id=...)."
            )
        verification = verify(models.env, aggregate_id=UUID(sid))
    facts = _stored_facts(models, sid, as_of, version)
    if not facts:
        when = as_of.isoformat() if as_of else f"version {version}" if version else ""
        raise AggregateNotFound(UUID(sid), kind="plan or case", when=when)
    timeline = models.audit(sid, as_of=as_of, version=version)
    checked = audit_view.discrepancies(
        models.view("audit"), sid, facts, as_of=as_of, version=version
    )
    follow_ups = {entry.event_id: entry.follow_ups for entry in timeline.entries}
    rows = sorted(
        (audit_view.event_row(fact) for fact in facts),
        key=lambda r: (r["occurred_utc"], r["recorded_utc"], r["version"]),
    )
    entries = [
        _revealed(models, audit_view.entry_of(row, follow_ups.get(row["event_id"], ())))
        for row in rows
    ]
    typed = [audit_view.typed_event(sid, f.version, f.topic, f.data) for f in facts]
    state = _state(models, sid, typed, as_of, timeline.follow_ups_in_force)
    folded = state.state
    if isinstance(folded, customer.CustomerState):
        raise NotAPlanOrCase(
            UUID(sid),
            "customer record",
            f"the report is one plan's or case's: see this record's history with `recoverycore "
            f"audit {sid}` (ReadModels.audit_report), and report each of its plans and cases "
            f"({', '.join(r for r, _ in folded.records) or 'none yet'}).",
        )
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
        for entry in entries
    )
    officer, team = _owner(sid, events)
    status = folded.status
    stage = getattr(folded, "stage", status)
    final = state_machine(state.subject_type).final
    ended = next((s.occurred_at for s in path if s.target in final), None)
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
        view_discrepancies=checked,
        machine=state_machine(state.subject_type),
        path=tuple(path),
    )
