"""Four-eyes compares staff ids as the same officer would type them (hostile trial, issue 13):
case, spaces, dashes, fullwidth and look-alike letters of other scripts do not make a second
person."""

from __future__ import annotations

import pytest

from recoverycore.aggregates._authority import same_staff
from recoverycore.events import Role
from recoverycore.testing import given, msp_builder, staff


@pytest.mark.parametrize(
    "typed",
    ["so-1001", "SO\u00a0-1001", "SO\u20101001", "ＳＯ－１００１", "S\u041e-1001", "SO-1001 "],
)
def test_a_retyped_staff_id_is_the_same_officer(typed: str) -> None:
    assert same_staff("SO-1001", typed)


def test_different_staff_ids_are_different_officers() -> None:
    assert not same_staff("SO-1001", "SO-1002")


def test_the_recorder_cannot_approve_their_own_plan_under_a_look_alike_id() -> None:
    b = msp_builder()
    look_alike = staff(Role.MSP_APPROVER, b.recorder.staff_id.upper().replace("O", "\u041e"))

    refusal = given(b.recorded()).refused(b.approve(actor=look_alike))

    assert refusal.rule_id == "MSP-A2"
