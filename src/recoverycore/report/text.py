"""The report as plain text."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime

from recoverycore.application import VerifyResult
from recoverycore.projections import ViewDiscrepancy
from recoverycore.report._format import (
    _actor,
    _caused_by,
    _details,
    _follow_up_end,
    _list,
    _occurred,
    _plain,
    _rules_cited,
    _standing,
    _verdict,
    _when,
)
from recoverycore.report.model import CaseReport, Spell
from recoverycore.rules import CATALOGUE

__all__ = ["render_text"]


def render_text(report: CaseReport) -> str:
    """The report as plain text."""
    s = report.summary
    title = f"{s.title} {s.subject_id} (procedure {s.procedure})"
    out = [title, "=" * len(title), ""]
    out += _text_summary(report)
    out += _heading("Verification (hash chain)") + _text_verification(
        report.verification, report.view_discrepancies
    )
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


def _text_verification(
    result: VerifyResult, discrepancies: Sequence[ViewDiscrepancy] = ()
) -> list[str]:
    out = [f"Hash chain {_verdict(result, discrepancies)} ({result.chain})."]
    out += [f"  {d.text}: do not trust the audit view's row" for d in discrepancies]
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


def _spell_text(sp: Spell) -> str:
    began = f"from v{sp.began_version} {sp.began_by} ({_when(sp.began_at)})"
    ended = (
        "in force"
        if sp.ended_version is None
        else f"until v{sp.ended_version} {sp.ended_by} ({_when(sp.ended_at)})"
    )
    return f"{sp.key}: {sp.what}; {began}; {ended}"
