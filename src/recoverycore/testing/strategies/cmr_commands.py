"""Case commands for a given case and time: :func:`case_commands`.

Each command starts from the defaults of :class:`~recoverycore.testing.CaseBuilder` (a command
the rules accept in the matching history) and has some of its fields redrawn: the acting officer,
when it happened, the reasons, and any choice (``Literal``) or yes/no field. So random commands
look like an officer's, are accepted often enough to move a case along, and are refused often
enough to exercise every rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Literal, get_args, get_origin
from uuid import UUID

from hypothesis import strategies as st
from pydantic import ValidationError

from recoverycore.aggregates.cmr import CaseCommand
from recoverycore.events import Actor
from recoverycore.testing import DEFAULT_BUILDERS, EPOCH, CaseCommandDefaults
from recoverycore.testing.strategies.cmr_values import case_reasons

__all__ = ["CASE_COMMAND_TYPES", "case_commands"]

SearchStrategy = st.SearchStrategy

CASE_COMMAND_TYPES: tuple[type[CaseCommand], ...] = tuple(DEFAULT_BUILDERS)
"""Every case command type, in the order of the procedure's tables."""


_OFFICERS = (
    "case_manager",
    "team_leader",
    "operational_leader",
    "srt_officer",
    "litigation_case_manager",
    "senior_litigation_officer",
    "debt_staff",
    "dpo_delegate",
    "social_worker",
    "allocator",
)
"""The officers of :class:`~recoverycore.testing.CaseBuilder`, any of whom may act."""


def _officers(defaults: CaseCommandDefaults) -> tuple[Actor, ...]:
    return tuple(getattr(defaults, name) for name in _OFFICERS)


@cache
def _choices(cls: type[CaseCommand]) -> dict[str, tuple[Any, ...]]:
    """The fields of ``cls`` whose values are a choice: a ``Literal`` or a ``bool``."""
    choices: dict[str, tuple[Any, ...]] = {}
    for name, info in cls.model_fields.items():
        if info.annotation is bool:
            choices[name] = (False, True)
        elif get_origin(info.annotation) is Literal:
            choices[name] = get_args(info.annotation)
    return choices


def case_commands(
    case_id: UUID,
    *,
    now: datetime = EPOCH,
    command_types: Sequence[type[CaseCommand]] = CASE_COMMAND_TYPES,
) -> SearchStrategy[CaseCommand]:
    """Commands of ``command_types`` (every case command by default) for case ``case_id``, to
    be decided at ``now``: the builder's defaults (counted from ``now``), sometimes with another
    of the builder's officers acting, a time it happened (``occurred_at``, up to a day before
    ``now``), other reasons, or other values of the choice fields."""
    types = tuple(command_types)
    if not types:
        raise ValueError("case_commands needs at least one command type")

    @st.composite
    def build(draw: st.DrawFn) -> CaseCommand:
        cls = draw(st.sampled_from(types))
        defaults = CaseCommandDefaults(case_id, now=now)
        command = defaults.build(cls)
        overrides: dict[str, Any] = {}
        if draw(st.integers(0, 3)) == 0:
            overrides["actor"] = draw(st.sampled_from(_officers(defaults)))
        if draw(st.integers(0, 3)) == 0:
            minutes = draw(st.integers(0, 24 * 60))
            overrides["occurred_at"] = now - timedelta(minutes=minutes)
        if draw(st.integers(0, 4)) == 0:
            overrides["reasons"] = draw(case_reasons)
        for name, values in _choices(cls).items():
            if draw(st.integers(0, 2)) == 0:
                overrides[name] = draw(st.sampled_from(values))
        if not overrides:
            return command
        try:
            return cls.model_validate({**dict(command), **overrides})
        except ValidationError:  # a combination the command itself forbids: keep the default
            return command

    return build()
