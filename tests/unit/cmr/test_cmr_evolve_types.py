"""The typed state changes cannot drift from the models they change.

Each change function in ``aggregates/cmr/_evolve.py`` returns a ``CaseChanges``; mypy checks the
keys and types it returns against that TypedDict, and these tests check the TypedDict against
the pydantic model (a field renamed or retyped in ``CaseState`` fails here).
"""

from __future__ import annotations

import typing
from typing import Any

import pytest
from pydantic import BaseModel

from recoverycore.aggregates import cmr
from recoverycore.aggregates.cmr.state import (
    CaseChanges,
    CaseState,
    EmploymentLead,
    EmploymentLeadChanges,
    Garnishee,
    GarnisheeChanges,
)

PAIRS: list[tuple[Any, type[BaseModel]]] = [
    (CaseChanges, CaseState),
    (EmploymentLeadChanges, EmploymentLead),
    (GarnisheeChanges, Garnishee),
]


@pytest.mark.parametrize(("changes", "model"), PAIRS, ids=lambda x: getattr(x, "__name__", ""))
def test_every_key_of_the_changes_is_a_field_of_the_model(
    changes: Any, model: type[BaseModel]
) -> None:
    keys = set(changes.__annotations__)

    assert keys, changes.__name__
    assert keys <= set(model.model_fields), sorted(keys - set(model.model_fields))
    assert changes.__required_keys__ == frozenset(), "a change names only what changes"


@pytest.mark.parametrize(("changes", "model"), PAIRS, ids=lambda x: getattr(x, "__name__", ""))
def test_every_key_of_the_changes_is_typed_as_the_models_field(
    changes: Any, model: type[BaseModel]
) -> None:
    hints = typing.get_type_hints(changes)

    for key, hint in hints.items():
        assert hint == model.model_fields[key].annotation, key


def test_the_version_is_not_a_change_applying_one_sets_it() -> None:
    assert "version" not in CaseChanges.__annotations__
    assert "id" not in CaseChanges.__annotations__


def test_case_changes_is_exported_with_the_case() -> None:
    assert cmr.CaseChanges is CaseChanges
