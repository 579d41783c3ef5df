"""Events of any type (of either aggregate), every field drawn from its declared type and
constraints: :func:`events_of_type`, and :func:`msp_events` for the plan's events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from functools import cache
from types import NoneType, UnionType
from typing import (
    Any,
    Literal,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
)

import annotated_types
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel, StringConstraints
from pydantic.fields import FieldInfo

from recoverycore.events import Actor, DomainEvent
from recoverycore.events.msp import (
    MSP_EVENT_TYPES,
    MspEvent,
)
from recoverycore.testing.strategies.values import _non_blank_text, _tuples, actors, aware_datetimes

SearchStrategy = st.SearchStrategy

# -- events -------------------------------------------------------------------------------------
_MAX_INT = 10**6
"""Counters and versions stay realistic (see the 64-bit note in the round-trip tests)."""


def _strategy_for(annotation: Any, datetimes: SearchStrategy[datetime]) -> SearchStrategy[Any]:
    if annotation is AwareDatetime or annotation is datetime:
        return datetimes
    if annotation is str:
        return st.text(max_size=30)
    if annotation is int:
        return st.integers(0, _MAX_INT)
    if annotation is NoneType:
        return st.none()
    if annotation is Decimal:  # amounts of money: finite, in cents
        return st.decimals(-_MAX_INT, _MAX_INT, allow_nan=False, allow_infinity=False, places=2)
    if annotation is Actor:
        return actors(staff_ids=None)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _tuples(_strategy_for(args[0], datetimes))
    if origin is Union or origin is UnionType:
        return st.one_of([_strategy_for(arg, datetimes) for arg in args])
    if origin is Literal:
        return st.sampled_from(args)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _models(annotation, datetimes)
    return st.from_type(annotation)


def _field_strategy(info: FieldInfo, datetimes: SearchStrategy[datetime]) -> SearchStrategy[Any]:
    if any(isinstance(m, StringConstraints) and m.min_length for m in info.metadata):
        return _non_blank_text()
    if info.annotation is int:
        bounds = [m.ge for m in info.metadata if isinstance(m, annotated_types.Ge)]
        return st.integers(int(cast(int, bounds[0])) if bounds else 0, _MAX_INT)
    return _strategy_for(info.annotation, datetimes)


M = TypeVar("M", bound=BaseModel)


def _models(
    cls: type[M], datetimes: SearchStrategy[datetime], **overrides: SearchStrategy[Any]
) -> SearchStrategy[M]:
    fields = {
        name: overrides[name] if name in overrides else _field_strategy(info, datetimes)
        for name, info in cls.model_fields.items()
    }
    return st.builds(cls, **fields)


E = TypeVar("E", bound=DomainEvent)


def events_of_type(
    event_type: type[E],
    *,
    datetimes: SearchStrategy[datetime] | None = None,
    **overrides: SearchStrategy[Any],
) -> SearchStrategy[E]:
    """Events of one type with every field (envelope included) drawn from its declared type and
    constraints; ``overrides`` replace the strategies of named fields."""
    datetimes = aware_datetimes() if datetimes is None else datetimes
    if overrides:
        return _models(event_type, datetimes, **overrides)
    return _cached_models(event_type, datetimes)


@cache
def _cached_models(cls: type[M], datetimes: SearchStrategy[datetime]) -> SearchStrategy[M]:
    return _models(cls, datetimes)


def msp_events(
    event_types: Sequence[type[MspEvent]] = MSP_EVENT_TYPES,
    *,
    datetimes: SearchStrategy[datetime] | None = None,
) -> SearchStrategy[MspEvent]:
    """Events of every type of ``MSP_EVENT_TYPES`` (or of ``event_types``) with valid envelopes
    and arbitrary valid field values. They are not a plan's history: see :func:`histories`."""
    return _events_of_types(
        tuple(event_types), aware_datetimes() if datetimes is None else datetimes
    )


@cache
def _events_of_types(
    event_types: tuple[type[MspEvent], ...], datetimes: SearchStrategy[datetime]
) -> SearchStrategy[MspEvent]:
    return st.one_of([events_of_type(t, datetimes=datetimes) for t in event_types])
