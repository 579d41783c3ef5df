"""Errors cross process boundaries whole: a refusal raised in a worker process (a
``multiprocessing`` pool's task) reaches the parent with its fields."""

from __future__ import annotations

import pickle
from uuid import uuid4

import pytest

from recoverycore import errors


def _examples() -> list[errors.RecoveryCoreError]:
    return [
        errors.RuleViolation("X-R12", "The MSP rules out a call.", "Write instead."),
        errors.ConcurrentUpdateError(uuid4(), 3),
        errors.AggregateNotFound(uuid4(), kind="case"),
        errors.InvalidCommand("note", "too long", "shorten it"),
    ]


@pytest.mark.parametrize("error", _examples(), ids=lambda e: type(e).__name__)
def test_an_error_pickles_with_its_fields(error: errors.RecoveryCoreError) -> None:
    again = pickle.loads(pickle.dumps(error))

    assert type(again) is type(error)
    assert str(again) == str(error)
    assert vars(again) == vars(error)
