"""Text helpers both renderers share (html and text never import each other)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from recoverycore.application import VerifyResult
from recoverycore.events import ENVELOPE_FIELDS
from recoverycore.projections import FollowUpRecord, ViewDiscrepancy
from recoverycore.report.model import CaseReport, ReportEvent, Summary

_ENVELOPE = frozenset(ENVELOPE_FIELDS)


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
    return {
        k: v for k, v in event.data.items() if k not in _ENVELOPE and v not in (None, "", [], {})
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


def _verdict(result: VerifyResult, discrepancies: Sequence[ViewDiscrepancy] = ()) -> str:
    checked = (
        f"{_count(result.events, 'event', 'events')} in "
        f"{_count(result.aggregates, 'stored history', 'stored histories')}"
    )
    if not result.ok:
        kinds = ", ".join(sorted({finding.kind for finding in result.findings}))
        return (
            f"NOT intact: verify FAILED with {_count(len(result.findings), 'finding', 'findings')}"
            f" ({kinds}) in {checked}"
        )
    if discrepancies:
        rows = _count(len(discrepancies), "row", "rows")
        return (
            f"NOT intact: the chain of {checked} verifies, but {rows} of the audit view "
            "differ from the stored events (this report shows the stored events)"
        )
    return f"intact: {checked} checked"


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
