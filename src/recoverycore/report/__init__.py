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
The report is a presenter: it reads the views and folds histories with the aggregates (to find
the path taken and the pauses and flags), and never writes.

Modules: :mod:`~recoverycore.report.model` (the report's data), :mod:`~recoverycore.report.gather`
(:func:`build_report`), :mod:`~recoverycore.report.text` and :mod:`~recoverycore.report.html` (the
renderers) and :mod:`~recoverycore.report.diagram` (the procedures' state machines and the SVG).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from recoverycore.events.schemas import event_schemas
from recoverycore.report.diagram import MachineTransition, PathStep, StateMachine, state_machine
from recoverycore.report.gather import build_report
from recoverycore.report.html import render_html
from recoverycore.report.model import CaseReport, ReportEvent, Spell, Summary, report_schemas
from recoverycore.report.text import render_text

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
