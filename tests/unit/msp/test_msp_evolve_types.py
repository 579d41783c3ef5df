"""The typed state changes of the MSP's ``evolve``."""

from __future__ import annotations

from typing import get_type_hints

from recoverycore.aggregates.msp import MspState
from recoverycore.aggregates.msp.state import MspChanges


def test_every_key_of_the_state_changes_is_a_field_of_the_state_typed_as_in_the_state() -> None:
    changes = get_type_hints(MspChanges, include_extras=True)
    state = get_type_hints(MspState, include_extras=True)

    assert set(changes) <= set(MspState.model_fields)
    assert {key: state[key] for key in changes} == changes


def test_the_state_changes_never_set_the_identity_or_the_version() -> None:
    # Evolvers.apply sets the version; the identity and what was recorded never change.
    assert not {"id", "version", "crn", "recorder_id"} & set(MspChanges.__annotations__)
