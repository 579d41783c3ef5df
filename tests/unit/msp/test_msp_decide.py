"""What every MSP command passes (procedure 104-07050030): action times (A10), terminal plans
and status (A1), the envelope of accepted events, the configured time zone, and that every
command is exercised by the MSP tests. Helpers are in ``msp_support.py``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import import_module
from pkgutil import iter_modules

import pytest
from msp_support import (
    END,
    LATER,
    NEW_INCIDENT,
    B,
    active,
    aggression_letter,
    card,
    clear_flag,
    draft,
    expire,
    flag_command,
    informed,
    invite,
    link,
    note,
    police,
    refused,
    representative_call,
    review,
    under_review,
    variation,
    waive,
    withdraw,
)

from recoverycore.aggregates import msp
from recoverycore.aggregates.msp import (
    ExpireMsp,
    MspCommand,
    SendBehaviourWarning,
    SendRestrictionReminder,
)
from recoverycore.events import Role
from recoverycore.events.msp import MspExpired
from recoverycore.testing import EPOCH, Scenario, given, msp_builder, staff


# -- A10 action times and plan ids ----------------------------------------------------------------
def test_a_plan_id_is_used_only_once() -> None:
    error = refused(draft(), B.record(), "MSP-A10")
    assert str(B.plan_id) in error.reason


def test_an_action_dated_after_it_is_recorded_is_refused() -> None:
    refused(given(), B.record(occurred_at=LATER), "MSP-A10")
    refused(active(), B.call(occurred_at=LATER), "MSP-A10")


def test_an_action_recorded_after_it_happened_keeps_when_it_happened() -> None:
    earlier = EPOCH - timedelta(minutes=25)

    [attempt, _] = active().when(B.call(occurred_at=earlier))
    assert (attempt.occurred_at, attempt.recorded_at) == (earlier, EPOCH)


# -- A1 terminal plans ----------------------------------------------------------------------------
def _rejected() -> Scenario:
    return draft().then(B.reject())


def _withdrawn() -> Scenario:
    return active().then(withdraw())


def _ended() -> Scenario:
    return under_review().then(review("END_EARLY"))


def _expired() -> Scenario:
    return active().at(END).then(expire())


TERMINAL_HISTORIES: dict[str, Callable[[], Scenario]] = {
    "REJECTED": _rejected,
    "WITHDRAWN": _withdrawn,
    "ENDED": _ended,
    "EXPIRED": _expired,
}
ANY_COMMAND: dict[str, Callable[[], MspCommand]] = {
    "note": note,
    "link": link,
    "flag": lambda: flag_command("SUICIDE_SELF_HARM"),
    "approve": B.approve,
    "withdraw": withdraw,
    "call": B.call,
    "sms": B.sms,
    "letter": B.send_letter,
    "expire": expire,
}


@pytest.mark.parametrize("status", sorted(TERMINAL_HISTORIES))
@pytest.mark.parametrize("command", sorted(ANY_COMMAND))
def test_a_terminal_plan_accepts_no_further_command(status: str, command: str) -> None:
    scenario = TERMINAL_HISTORIES[status]()
    assert scenario.state is not None
    assert scenario.state.status == status
    assert scenario.state.is_terminal

    error = refused(scenario, ANY_COMMAND[command](), "MSP-A1")
    assert status.lower() in error.reason


def test_a_terminal_plan_id_cannot_be_recorded_again() -> None:
    refused(_rejected(), B.record(), "MSP-A10")


@pytest.mark.parametrize(
    ("history", "command"),
    [
        (draft, B.call),
        (draft, B.sms),
        (draft, B.attach),
        (draft, invite),
        (draft, expire),
        (active, lambda: review("CONTINUE_UNCHANGED")),
        (under_review, invite),
        (under_review, B.approve),
    ],
    ids=[
        "call-draft",
        "sms-draft",
        "attach-draft",
        "invite-draft",
        "expire-draft",
        "review-active",
        "invite-under-review",
        "approve-under-review",
    ],
)
def test_a_command_that_does_not_suit_the_plans_status_is_refused(
    history: Callable[[], Scenario], command: Callable[[], MspCommand]
) -> None:
    refused(history(), command(), "MSP-A1")


# -- the envelope every accepted event carries ----------------------------------------------------
def test_accepted_events_carry_the_command_envelope_and_consecutive_versions() -> None:
    command = B.call(
        outcome="AGGRESSION",
        new_incident=NEW_INCIDENT,
        note_text="Customer threatened the OMC.",
        reasons=("Notification call",),
        evidence_refs=("CALL-REC-7",),
        authority="104-07050030",
    )

    events = active().when(command)
    assert [e.originator_version for e in events] == [3, 4, 5]
    for event in events:
        assert event.originator_id == B.plan_id
        assert event.actor == B.officer
        assert (event.reasons, event.evidence_refs) == (("Notification call",), ("CALL-REC-7",))
        assert event.procedure_ref == "104-07050030 S1"
        assert event.rules_applied[:2] == ("MSP-A10", "MSP-A1")


def test_every_msp_command_is_exercised_by_these_tests() -> None:
    """A new command fails this until it has a builder here (and tests using it)."""
    commands = {
        type(c)
        for c in (
            B.record(),
            B.approve(),
            B.reject(),
            withdraw(),
            B.call(),
            informed(),
            waive(),
            representative_call(),
            link(),
            flag_command("SUICIDE_SELF_HARM"),
            clear_flag("SUICIDE_SELF_HARM"),
            B.sms(),
            card(),
            B.attach(),
            B.send_letter(),
            police(),
            B.delivered(),
            variation(),
            invite(),
            review("CONTINUE_UNCHANGED"),
            aggression_letter(SendBehaviourWarning),
            aggression_letter(SendRestrictionReminder),
            expire(),
            note(),
        )
    }
    assert commands == set(_all_commands())


def _all_commands() -> list[type[MspCommand]]:
    # Every module of the package: a command defined anywhere in it, exported or not.
    modules = [
        msp,
        *(import_module(f"{msp.__name__}.{m.name}") for m in iter_modules(msp.__path__)),
    ]
    return [
        c
        for module in modules
        for c in vars(module).values()
        if isinstance(c, type)
        and issubclass(c, MspCommand)
        and c.__module__.startswith(f"{msp.__name__}.")
        and not c.__name__.startswith("_")
        and c is not MspCommand
    ]


def test_dates_are_reckoned_in_the_configured_local_time_zone() -> None:
    # 23:00 UTC on 30 Aug is 9 am on 31 Aug in Sydney: the plan's end date has been reached.
    plan = msp_builder(now=EPOCH)
    end = plan.record().end_date
    utc_moment = datetime(end.year, end.month, end.day, 9, tzinfo=EPOCH.tzinfo).astimezone(UTC)
    events = given(plan.approved_plan(), now=utc_moment).when(
        plan.command(ExpireMsp, actor=staff(Role.MSP_APPROVER))
    )
    expired = events[-1]
    assert isinstance(expired, MspExpired)
    assert expired.expired_on == end
    assert expired.occurred_at.hour == 9  # recorded in Sydney time, not UTC
