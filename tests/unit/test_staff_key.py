"""Four-eyes and retyped staff ids (hostile trials, issue 13): a staff id is ASCII as HR issues
it, so look-alike letters and invisible characters are refused at the door; an ASCII id retyped
with another case or separator is the same officer."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from recoverycore.aggregates._authority import same_staff
from recoverycore.events import Role
from recoverycore.testing import given, msp_builder, staff


@pytest.mark.parametrize("typed", ["so-1001", "SO 1001", "SO_1001", "SO.1001", "SO1001", "so/1001"])
def test_an_ascii_staff_id_retyped_is_the_same_officer(typed: str) -> None:
    assert same_staff("SO-1001", typed)


def test_different_staff_ids_are_different_officers() -> None:
    assert not same_staff("SO-1001", "SO-1002")
    assert not same_staff("SO-1001", "SO-10010")


@pytest.mark.parametrize(
    "typed",
    [
        "S\u041e-1001",  # Cyrillic capital O
        "\uff33\uff2f-1001",  # fullwidth
        "SO\u2212" + "1001",  # minus sign
        "O\u034fL-0107",  # combining grapheme joiner
        "SO-1001\ufe0f",  # variation selector
        "S\u00d3-1001",  # a combining-mark letter
        "SO-\u0661\u0660\u0660\u0661",  # Arabic-Indic digits
    ],
)
def test_a_staff_id_with_anything_but_ascii_is_refused_at_the_door(typed: str) -> None:
    b = msp_builder()
    with pytest.raises(ValidationError, match="not a staff id"):
        b.approve(actor=staff(Role.MSP_APPROVER, typed))


def test_the_recorder_cannot_approve_their_own_plan_under_a_retyped_id() -> None:
    b = msp_builder()
    retyped = staff(Role.MSP_APPROVER, b.recorder.staff_id.upper().replace("-", "_"))

    refusal = given(b.recorded()).refused(b.approve(actor=retyped))

    assert refusal.rule_id == "MSP-A2"
