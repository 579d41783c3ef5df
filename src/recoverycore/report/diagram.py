"""The procedures' state machines, generated from the code's own definitions, and drawn as SVG.

Nothing here is a second copy of the procedures:

* the states are the aggregates' own ``Literal`` types (:data:`recoverycore.aggregates.msp.
  MspStatus`; :data:`recoverycore.aggregates.cmr.Stage` and ``CaseStatus``), in the order the
  code declares them;
* which event moves a plan or case to which state is asked of
  :func:`recoverycore.projections.status_and_stage`, the mapping the workload view
  keeps (and ``tests/properties/test_projection_laws.py`` checks against the aggregates'
  ``evolve``), for every event type and every value of each of its ``Literal`` or ``bool``
  fields, so a transition that depends on a field (a letter's purpose) is found with its
  condition;
* which states accept no further work is the views' :data:`~recoverycore.projections.
  TERMINAL_STATUSES`;
* the path a record took is the aggregate's own fold of its events (see :mod:`recoverycore.
  report`).

A case is "where its stage says" while its status is the one it opened with (the first status
``CaseStatus`` declares, ``OPEN``); otherwise it is where its status says (closing, closed,
unassigned, archived). A plan has no stages: its status is where it is.

The drawing is deterministic, pure Python, and needs nothing outside the page: the states that
accept work sit in a box, in rows that snake in declaration order, and the states that end a
record sit below it. An event that moves a record into a state inside the box can happen in
any state of the box (the rules in ``decide`` say whether it is allowed at a given moment); an
arrow from the box to a state below carries the events that end a record there. The path taken
is drawn over it, each transition numbered in order.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from html import escape
from types import NoneType, UnionType
from typing import Any, Literal, Union, get_args, get_origin

from eventsourcing.utils import get_topic
from pydantic import BaseModel, ConfigDict

from recoverycore.aggregates import cmr, msp
from recoverycore.events import DomainEvent
from recoverycore.events import cmr as case_events
from recoverycore.events import msp as plan_events
from recoverycore.projections import (
    CASE,
    PLAN,
    RECOVERY_APPLICATION,
    TERMINAL_STATUSES,
    Fact,
    status_and_stage,
)

__all__ = [
    "MachineTransition",
    "PathStep",
    "StateMachine",
    "event_class",
    "node_of",
    "render_svg",
    "state_machine",
]

_MODEL = ConfigDict(frozen=True, extra="forbid")


class MachineTransition(BaseModel):
    """An event that moves a plan or case into ``target`` (when ``condition`` holds)."""

    model_config = _MODEL

    event_type: str
    target: str
    condition: str | None = None
    """E.g. ``purpose is DPO_WARNING``: the value of the event's field that decides it."""
    starts: bool = False
    """The event that begins a record (its first event)."""

    @property
    def label(self) -> str:
        return self.event_type + (f" if {self.condition}" if self.condition else "")


class StateMachine(BaseModel):
    """A procedure's states and the events that move a record between them."""

    model_config = _MODEL

    subject_type: str
    procedure: str
    states: tuple[str, ...]
    """Every state, in the order the code declares them."""
    initial: str
    working: tuple[str, ...]
    """The states in which the record still accepts work."""
    final: tuple[str, ...]
    """The states that end a record (no further work)."""
    transitions: tuple[MachineTransition, ...]

    def entered_by(self, state: str) -> tuple[MachineTransition, ...]:
        return tuple(t for t in self.transitions if t.target == state)


class PathStep(BaseModel):
    """One transition a plan or case took: the event that moved it, from where to where."""

    model_config = _MODEL

    version: int
    event_type: str
    occurred_at: datetime
    source: str | None
    """``None``: the record began here."""
    target: str


@dataclass(frozen=True)
class _Kind:
    subject_type: str
    procedure: str
    event_types: tuple[type[DomainEvent], ...]
    statuses: tuple[str, ...]
    stages: tuple[str, ...] | None
    """``None``: the record's stage is its status (a plan)."""


_KINDS: Mapping[str, _Kind] = {
    PLAN: _Kind(
        PLAN,
        plan_events.PROCEDURE,
        plan_events.MSP_EVENT_TYPES,
        get_args(msp.MspStatus),
        None,
    ),
    CASE: _Kind(
        CASE,
        case_events.PROCEDURE,
        case_events.CASE_EVENT_TYPES,
        get_args(cmr.CaseStatus),
        get_args(cmr.Stage),
    ),
}


def _kind(subject_type: str) -> _Kind:
    try:
        return _KINDS[subject_type]
    except KeyError:
        known = sorted(_KINDS)
        raise ValueError(f"No state machine for {subject_type!r}; there are {known}.") from None


def node_of(subject_type: str, status: str | None, stage: str | None) -> str | None:
    """Where a record with this status and stage is, as a state of its machine (``None``:
    neither says)."""
    kind = _kind(subject_type)
    if kind.stages is None:
        return status
    working_status = kind.statuses[0]
    if status is not None and status != working_status:
        return status
    return stage


@lru_cache(maxsize=256)
def event_class(event_type: str) -> type[DomainEvent] | None:
    """The plan or case event class of this name (``None``: not one of this version's)."""
    for kind in _KINDS.values():
        for cls in kind.event_types:
            if cls.__name__ == event_type:
                return cls
    return None


def _choices(annotation: Any) -> tuple[Any, ...]:
    """The values a ``Literal`` or ``bool`` field (optional or not) can take; () otherwise."""
    origin = get_origin(annotation)
    if origin is Literal:
        return get_args(annotation)
    if annotation is bool:
        return (True, False)
    if origin in (Union, UnionType):
        inner = [a for a in get_args(annotation) if a is not NoneType]
        return _choices(inner[0]) if len(inner) == 1 else ()
    return ()


def _moves(kind: _Kind, topic: str, data: dict[str, Any]) -> tuple[str | None, str | None]:
    """(the state this event moves a record to, the status it sets), as the code maps them."""
    fact = Fact(RECOVERY_APPLICATION, 0, "", 1, topic, data)
    status, stage = status_and_stage(fact)
    return node_of(kind.subject_type, status, stage), status


def _condition(field: str, values: Sequence[Any]) -> str:
    if values == [True]:
        return field.replace("_", " ")
    if values == [False]:
        return "not " + field.replace("_", " ")
    shown = [str(v) for v in values]
    listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
    return f"{field} is {listed}"


def _transitions(kind: _Kind) -> tuple[MachineTransition, ...]:
    envelope = set(DomainEvent.model_fields)
    found: list[MachineTransition] = []
    for cls in kind.event_types:
        topic = get_topic(cls)
        plain, status = _moves(kind, topic, {})
        if plain is not None:
            # The event that sets the status a record opens with (the first the code declares)
            # is the one that begins it.
            starts = status == kind.statuses[0]
            found.append(MachineTransition(event_type=cls.__name__, target=plain, starts=starts))
        for field, info in cls.model_fields.items():
            if field in envelope:
                continue
            by_target: dict[str, list[Any]] = {}
            for value in _choices(info.annotation):
                target, _ = _moves(kind, topic, {field: value})
                if target is not None and target != plain:
                    by_target.setdefault(target, []).append(value)
            for target, values in by_target.items():
                found.append(
                    MachineTransition(
                        event_type=cls.__name__,
                        target=target,
                        condition=_condition(field, values),
                    )
                )
    return tuple(found)


@lru_cache(maxsize=4)
def state_machine(subject_type: str) -> StateMachine:
    """The state machine of plans (``ManagedServicePlan``) or cases (``CaseManagedRecovery``),
    generated from the aggregates' state types and the code's event-to-state mapping."""
    kind = _kind(subject_type)
    if kind.stages is None:
        states = kind.statuses
    else:
        extra = tuple(s for s in kind.statuses[1:] if s not in kind.stages)
        states = (*kind.stages, *extra)
    initial = states[0]
    final = tuple(s for s in states if s in TERMINAL_STATUSES)
    working = tuple(s for s in states if s not in final)
    return StateMachine(
        subject_type=subject_type,
        procedure=kind.procedure,
        states=states,
        initial=initial,
        working=working,
        final=final,
        transitions=_transitions(kind),
    )


# -- drawing ---------------------------------------------------------------------------------------

_NODE_W = 232
_GAP_X = 40
_GAP_Y = 56
_PAD = 24
_TOP = 44
_LEFT = 150
_COLUMNS = 4
_LINE = 14
_WRAP = 35
_FINAL_DROP = 96

_INK = "#1f2937"
_MUTED = "#6b7280"
_EDGE = "#9ca3af"
_PATH = "#1d4ed8"
_VISITED_FILL = "#dbeafe"
_CURRENT = "#b45309"


@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def edge_towards(self, tx: float, ty: float) -> tuple[float, float]:
        """Where the ray from the centre towards (tx, ty) leaves the box."""
        dx, dy = tx - self.cx, ty - self.cy
        if dx == 0 and dy == 0:
            return self.cx, self.cy
        scale = min(
            (self.w / 2) / abs(dx) if dx else math.inf,
            (self.h / 2) / abs(dy) if dy else math.inf,
        )
        return self.cx + dx * scale, self.cy + dy * scale


@dataclass(frozen=True)
class _Layout:
    boxes: Mapping[str, _Box]
    frame: _Box
    """The box around the states that accept work."""
    width: float
    height: float
    legend_y: float


def _entry_lines(machine: StateMachine, state: str) -> list[str]:
    labels = [t.label for t in machine.entered_by(state) if not t.starts]
    if not labels:
        return []
    return textwrap.wrap("← " + "; ".join(labels), _WRAP, break_on_hyphens=False)


def _node_height(lines: int) -> float:
    return 40 + lines * _LINE


def _rows(states: Sequence[str], columns: int) -> list[list[str]]:
    return [list(states[i : i + columns]) for i in range(0, len(states), columns)]


def _layout(machine: StateMachine, lines: Mapping[str, Sequence[str]]) -> _Layout:
    """Working states in rows that snake (left to right, then right to left) in the order the
    code declares them, so neighbours in that order stay neighbours; final states below."""
    columns = min(_COLUMNS, max(len(machine.working), 1))
    step = _NODE_W + _GAP_X
    inner = columns * _NODE_W + (columns - 1) * _GAP_X
    finals = len(machine.final)
    final_w = finals * _NODE_W + (finals - 1) * _GAP_X
    frame_w = inner + 2 * _PAD
    left = _LEFT + max(0.0, (final_w - frame_w) / 2)
    boxes: dict[str, _Box] = {}
    y: float = _TOP + _PAD
    for r, row in enumerate(_rows(machine.working, columns)):
        height = max(_node_height(len(lines[s])) for s in row)
        for i, state in enumerate(row):
            slot = i if r % 2 == 0 else columns - 1 - i
            boxes[state] = _Box(left + _PAD + slot * step, y, _NODE_W, height)
        y += height + _GAP_Y
    frame = _Box(left, _TOP, frame_w, y - _GAP_Y + _PAD - _TOP)
    y = frame.y + frame.h + _FINAL_DROP
    for row in _rows(machine.final, max(columns, finals)):
        height = max(_node_height(len(lines[s])) for s in row)
        x0 = frame.cx - (len(row) * step - _GAP_X) / 2
        for i, state in enumerate(row):
            boxes[state] = _Box(x0 + i * step, y, _NODE_W, height)
        y += height + _GAP_Y
    width = max(b.x + b.w for b in boxes.values()) + 24
    legend_y = y - _GAP_Y + 36
    return _Layout(boxes, frame, width, legend_y + 24, legend_y)


def _f(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _text(x: float, y: float, text: str, *, size: int = 11, fill: str = _INK, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return (
        f'<text x="{_f(x)}" y="{_f(y)}" font-size="{size}" fill="{fill}"{extra}>'
        f"{escape(text)}</text>"
    )


def _arrow(x1: float, y1: float, x2: float, y2: float, *, taken: bool) -> str:
    style = (
        f'stroke="{_PATH}" stroke-width="2.5" marker-end="url(#arrow-taken)"'
        if taken
        else f'stroke="{_EDGE}" stroke-width="1.4" stroke-dasharray="5 3" marker-end="url(#arrow)"'
    )
    return f'<line x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" y2="{_f(y2)}" {style}/>'


def _state(
    box: _Box, state: str, lines: Sequence[str], *, seen: bool, here: bool, final: bool
) -> str:
    fill = _VISITED_FILL if seen else "#ffffff"
    stroke = _CURRENT if here else _PATH if seen else _EDGE
    stroke_width = 3.5 if here else 2 if seen else 1.2
    classes = " ".join(c for c in ("state", seen and "visited", here and "current") if c)
    out = [
        f'<g class="{classes}" data-state="{escape(state)}">',
        f'<rect x="{_f(box.x)}" y="{_f(box.y)}" width="{_f(box.w)}" height="{_f(box.h)}" '
        f'rx="9" fill="{fill}" stroke="{stroke}" stroke-width="{stroke_width}"/>',
        _text(box.x + 12, box.y + 22, state, size=14, font_weight="700" if seen else "600"),
    ]
    if here or final:
        out.append(
            _text(
                box.x + box.w - 12,
                box.y + 21,
                "now" if here else "ends",
                size=11 if here else 10,
                fill=_CURRENT if here else _MUTED,
                text_anchor="end",
                font_weight="700" if here else "400",
            )
        )
    out += [
        _text(box.x + 12, box.y + 40 + i * _LINE, line, size=11, fill=_MUTED)
        for i, line in enumerate(lines)
    ]
    out.append("</g>")
    return "".join(out)


def _taken(boxes: Mapping[str, _Box], source: str, target: str, label: str) -> tuple[str, str]:
    """A transition taken, curved so that A->B and B->A take different sides, and its badge
    with the step numbers."""
    a, b = boxes[source], boxes[target]
    dx, dy = b.cx - a.cx, b.cy - a.cy
    if abs(a.y - b.y) < 1 and abs(dx) > _NODE_W + _GAP_X + 1:
        # Same row, states in between: over the row going right, under it going left, from
        # and to the side of the state nearer the other.
        lead, trail = (0.7, 0.3) if dx > 0 else (0.3, 0.7)
        edge_a, edge_b = (a.y, b.y) if dx > 0 else (a.y + a.h, b.y + b.h)
        x1, y1 = a.x + a.w * lead, edge_a
        x2, y2 = b.x + b.w * trail, edge_b
        cx, cy = (x1 + x2) / 2, (edge_a - 36 if dx > 0 else edge_a + 36)
    else:
        dist = math.hypot(dx, dy) or 1.0
        bulge = 10.0 if abs(dy) < 1 else max(28.0, 0.14 * dist)
        # Perpendicular to the direction of travel: A->B and B->A take different sides.
        cx = (a.cx + b.cx) / 2 + dy / dist * bulge
        cy = (a.cy + b.cy) / 2 - dx / dist * bulge
        x1, y1 = a.edge_towards(cx, cy)
        x2, y2 = b.edge_towards(cx, cy)
    line = (
        f'<path class="taken" data-from="{escape(source)}" data-to="{escape(target)}" '
        f'd="M{_f(x1)},{_f(y1)} Q{_f(cx)},{_f(cy)} {_f(x2)},{_f(y2)}" fill="none" '
        f'stroke="{_PATH}" stroke-width="3" marker-end="url(#arrow-taken)"/>'
    )
    mx = 0.25 * x1 + 0.5 * cx + 0.25 * x2
    my = 0.25 * y1 + 0.5 * cy + 0.25 * y2
    half = max(10.0, 4 + 3.6 * len(label))
    badge = (
        f'<g class="step"><rect x="{_f(mx - half)}" y="{_f(my - 10)}" width="{_f(2 * half)}" '
        f'height="20" rx="10" fill="{_PATH}" stroke="#ffffff" stroke-width="1.5"/>'
        + _text(mx, my + 4, label, fill="#ffffff", text_anchor="middle", font_weight="700")
        + "</g>"
    )
    return line, badge


def _legend(x: float, y: float) -> list[str]:
    return [
        f'<rect x="{_f(x)}" y="{_f(y - 11)}" width="22" height="14" rx="4" '
        f'fill="{_VISITED_FILL}" stroke="{_PATH}" stroke-width="2"/>',
        _text(x + 30, y, "visited", size=12),
        f'<rect x="{_f(x + 100)}" y="{_f(y - 11)}" width="22" height="14" rx="4" '
        f'fill="#ffffff" stroke="{_CURRENT}" stroke-width="3"/>',
        _text(x + 130, y, "where it is now", size=12),
        _arrow(x + 250, y - 4, x + 290, y - 4, taken=True),
        _text(x + 298, y, "transition taken (numbered in order)", size=12),
        _arrow(x + 530, y - 4, x + 570, y - 4, taken=False),
        _text(x + 578, y, "possible", size=12),
    ]


def render_svg(
    machine: StateMachine,
    path: Sequence[PathStep] = (),
    *,
    current: str | None = None,
) -> str:
    """The machine as an inline SVG, with the states visited and transitions taken (``path``,
    in order) highlighted, and ``current`` marked."""
    visited = {s.target for s in path} | {s.source for s in path if s.source is not None}
    lines = {s: _entry_lines(machine, s) for s in machine.states}
    layout = _layout(machine, lines)
    boxes, frame = layout.boxes, layout.frame
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_f(layout.width)} '
        f'{_f(layout.height)}" width="{_f(layout.width)}" height="{_f(layout.height)}" '
        'role="img" aria-labelledby="machine-title" class="machine" '
        'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">',
        f'<title id="machine-title">State machine of {escape(machine.subject_type)} '
        f"(procedure {escape(machine.procedure)}), with the path this record took</title>",
        "<defs>",
        '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{_EDGE}"/></marker>',
        '<marker id="arrow-taken" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" '
        'markerHeight="5" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{_PATH}"/></marker>',
        "</defs>",
        f'<rect x="{_f(frame.x)}" y="{_f(frame.y)}" width="{_f(frame.w)}" '
        f'height="{_f(frame.h)}" rx="14" fill="#f9fafb" stroke="{_EDGE}" '
        'stroke-dasharray="6 4"/>',
        _text(
            frame.x + 4,
            frame.y - 10,
            "Accepts work: the events listed on a state move the record there from any "
            "state in this box",
            size=12,
            fill=_MUTED,
        ),
    ]

    # The event that begins every record.
    start = next((t for t in machine.transitions if t.starts), None)
    first = boxes[machine.initial]
    began = any(s.source is None for s in path)
    sx, sy = frame.x - 100, first.y + 18
    out.append(
        f'<circle class="start" cx="{_f(sx)}" cy="{_f(sy)}" r="9" '
        f'fill="{_PATH if began else _INK}"/>'
    )
    out.append(_arrow(sx + 9, sy, first.x - 3, sy, taken=began))
    if start is not None:
        out.append(_text(sx + 30, sy - 14, start.event_type, fill=_MUTED, text_anchor="middle"))

    # The ways out of the box: the events listed on each final state end a record there.
    for state in machine.final:
        box = boxes[state]
        if machine.entered_by(state):
            x = min(max(box.cx, frame.x + 24), frame.x + frame.w - 24)
            out.append(_arrow(x, frame.y + frame.h, box.cx, box.y - 3, taken=False))

    for state in machine.states:
        out.append(
            _state(
                boxes[state],
                state,
                lines[state],
                seen=state in visited,
                here=state == current,
                final=state in machine.final,
            )
        )

    # The path taken, numbered in order, over everything else.
    pairs: dict[tuple[str, str], list[int]] = {}
    for number, step in enumerate(path, start=1):
        if step.source is not None and step.source != step.target:
            pairs.setdefault((step.source, step.target), []).append(number)
    badges: list[str] = []
    for (source, target), numbers in pairs.items():
        line, badge = _taken(boxes, source, target, ",".join(str(n) for n in numbers))
        out.append(line)
        badges.append(badge)
    out += badges
    out += _legend(frame.x, layout.legend_y)
    out.append("</svg>")
    return "\n".join(out)
