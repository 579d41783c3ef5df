"""The report as one self-contained HTML page (inline CSS and SVG, a few lines of inline script,
nothing fetched from anywhere)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any

from recoverycore.application import VerifyResult
from recoverycore.projections import FollowUpRecord, ViewDiscrepancy
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
from recoverycore.report.diagram import render_svg
from recoverycore.report.model import CaseReport, Spell
from recoverycore.rules import CATALOGUE

__all__ = ["render_html"]


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


def _verification_html(v: VerifyResult, discrepancies: Sequence[ViewDiscrepancy] = ()) -> str:
    ok = v.ok and not discrepancies
    out = [
        f'<p class="verdict {"ok" if ok else "bad"}" id="verdict">Hash chain '
        f"{_h(_verdict(v, discrepancies))} ({_h(v.chain)}"
        + (f", checked against the {_h(v.witness)}" if v.witness else "")
        + ").</p>"
    ]
    if discrepancies:
        rows = "".join(
            f"<tr><td>{_h(d.version)}</td><td>{_h(d.event_type or '')}</td>"
            f'<td><span class="tag force">{_h(d.problem)}</span></td>'
            f"<td>{_h(', '.join(d.fields))}</td></tr>"
            for d in discrepancies
        )
        out.append(
            "<p>The audit view is not covered by the hash chain, and these of its rows are not "
            "what the stored events say: do not trust them (rebuild the view with "
            "<code>recoverycore rebuild audit</code>, and find out who changed it).</p>"
            '<table id="view-discrepancies"><thead><tr><th>version</th><th>event</th>'
            f"<th>problem</th><th>what differs</th></tr></thead><tbody>{rows}</tbody></table>"
        )
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
    verification = _verification_html(report.verification, report.view_discrepancies)
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
<section><h2>Verification</h2>{verification}</section>
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
