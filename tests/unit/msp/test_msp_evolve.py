"""How recorded events change the plan (``evolve``): the typed state changes, and a varied or
extended plan starting a fresh notification round. Helpers are in ``msp_support.py``."""

from __future__ import annotations

from datetime import timedelta
from typing import get_type_hints

from msp_support import END, B, accepted, after, informed, names, refused, review, under_review

from recoverycore.aggregates.msp import MspState
from recoverycore.aggregates.msp.state import MspChanges
from recoverycore.events.msp import Restriction
from recoverycore.testing import Scenario


# -- the typed state changes ----------------------------------------------------------------------
def test_every_key_of_the_state_changes_is_a_field_of_the_state_typed_as_in_the_state() -> None:
    changes = get_type_hints(MspChanges, include_extras=True)
    state = get_type_hints(MspState, include_extras=True)

    assert set(changes) <= set(MspState.model_fields)
    assert {key: state[key] for key in changes} == changes


def test_the_state_changes_never_set_the_identity_or_the_version() -> None:
    # Evolvers.apply sets the version; the identity and what was recorded never change.
    assert not {"id", "version", "crn", "recorder_id"} & set(MspChanges.__annotations__)


# -- M16 outcomes that start a fresh notification round ------------------------------------------
def test_a_varied_plan_takes_its_new_restrictions_and_starts_a_fresh_notification_round() -> None:
    command = review("VARY", new_restrictions=(Restriction(kind="PARTIAL_FACE_TO_FACE"),))

    assert names(accepted(under_review(), command, "MSP-A9")) == ["MspReviewed", "MspVaried"]
    varied = under_review().then(command)
    state = after(varied)
    assert state.restriction_kinds == {"PARTIAL_FACE_TO_FACE"}
    assert_fresh_notification_round(varied)


def test_an_extended_plan_takes_its_new_end_date_and_starts_a_fresh_notification_round() -> None:
    new_end = END.date() + timedelta(days=90)
    command = review("EXTEND", new_end_date=new_end)

    assert names(accepted(under_review(), command, "MSP-A9", "MSP-R14")) == [
        "MspReviewed",
        "MspExtended",
    ]
    extended = under_review().then(command)
    assert after(extended).end_date == new_end
    assert_fresh_notification_round(extended)


def assert_fresh_notification_round(scenario: Scenario) -> None:
    """The customer must be told again: earlier calls, letter and card no longer count."""
    state = after(scenario)
    assert (state.status, state.notification_round) == ("ACTIVE", 2)
    assert state.customer_informed_on is None
    assert (state.letter_sent_id, state.attached_letter_id, state.contact_card_issued) == (
        None,
        None,
        False,
    )
    assert not state.notification_complete
    refused(scenario, informed("PHONE"), "MSP-A4")
    refused(scenario, B.send_letter(), "MSP-R9")
    renotified = after(
        scenario,
        B.call(outcome="ENGAGED_SUCCESSFUL"),
        informed("PHONE"),
        B.attach(letter_id="L-1", letter_version=3),
        B.send_letter(tracking_id="AP-0002"),
    )
    assert renotified.notification_complete
