"""MSP-A11 as a law: from its end date on, a plan accepts nothing that needs it in force.

Histories and commands come from the shipped strategies (:mod:`recoverycore.testing.strategies`);
the action times of the second law from this module's own strategy (any UTC offset, around
midnight of the end date, in every Australian zone). What "needs the plan in force" is this
test's own list, from the procedure (spec 1.6), not the code's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from recoverycore.aggregates import msp
from recoverycore.errors import RuleViolation
from recoverycore.testing import given as given_events
from recoverycore.testing import msp_builder
from recoverycore.testing.strategies import History, commands, histories

UNDER_THE_PLAN = (
    msp.RecordNotificationCallAttempt,  # M3
    msp.RecordCustomerInformed,  # M4
    msp.RecordDecisionNotToContactDirectly,  # M5
    msp.RecordRepresentativeContact,  # M6
    msp.SendMspSms,  # M8
    msp.IssueContactCard,  # M9
    msp.AttachFinalLetter,  # M10
    msp.SendMspLetter,  # M11
    msp.RecordPoliceHandDelivery,  # M12, dated by the hand-over
    msp.GrantOneOffVariation,  # M14
    msp.InviteCustomerToReview,  # M15
    msp.CompleteReview,  # M16
    msp.SendBehaviourWarning,  # M17
    msp.SendRestrictionReminder,  # M17
)


def _acted_on(command: msp.MspCommand, now: datetime, zone: str) -> date:
    when = (
        command.handed_at
        if isinstance(command, msp.RecordPoliceHandDelivery)
        else command.occurred_at or now
    )
    return when.astimezone(ZoneInfo(zone)).date()


@given(
    history=histories(max_steps=12),
    days_after=st.integers(0, 800),
    minute=st.integers(0, 24 * 60 - 1),
    data=st.data(),
)
def test_no_command_that_needs_the_plan_in_force_is_accepted_from_its_end_date(
    history: History, days_after: int, minute: int, data: st.DataObject
) -> None:
    state, config = history.state, history.config
    zone = ZoneInfo(config.time_zone)
    local_midnight = datetime.combine(state.end_date + timedelta(days=days_after), time(), zone)
    now = max(history.now + timedelta(minutes=1), local_midnight + timedelta(minutes=minute))
    for _ in range(6):
        command = data.draw(commands(history.plan_id, now=now))
        try:
            msp.decide(state, command, now=now, config=config)
        except RuleViolation:
            continue
        if isinstance(command, UNDER_THE_PLAN):
            acted = _acted_on(command, now, config.time_zone)
            note(f"{type(command).__name__} accepted, acted on {acted}")
            assert acted < state.end_date, (
                f"{type(command).__name__} accepted on {acted}, on or after the plan's end date "
                f"{state.end_date} (status {state.status})"
            )


ZONES = (
    "Australia/Sydney",
    "Australia/Perth",
    "Australia/Darwin",
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Lord_Howe",  # a half-hour daylight-saving shift
    "Australia/Eucla",  # +08:45
)


@st.composite
def action_times(draw: st.DrawFn, end_date: date, zone: str) -> datetime:
    """A moment within a day and a half of the end date's local midnight, written with any
    whole-minute UTC offset from -12:00 to +14:00 (the same instant, another wall clock)."""
    midnight = datetime.combine(end_date, time(), ZoneInfo(zone))
    moment = midnight + timedelta(minutes=draw(st.integers(-36 * 60, 36 * 60)))
    offset = timedelta(minutes=draw(st.integers(-12 * 60, 14 * 60)))
    return moment.astimezone(timezone(offset))


@given(zone=st.sampled_from(ZONES), data=st.data())
def test_the_end_date_is_the_plans_local_date_whatever_offset_the_action_is_written_in(
    zone: str, data: st.DataObject
) -> None:
    b = msp_builder(config=msp.MspConfig(time_zone=zone))
    plan = given_events(b.approved_plan(), now=b.now).configured(b.config)
    end_date = b.record().end_date
    acted = data.draw(action_times(end_date, zone))
    at = plan.at(acted.astimezone(UTC) + timedelta(minutes=1))
    reminder = b.command(
        msp.SendRestrictionReminder,
        occurred_at=acted,
        letter_id="W-1",
        delivery_method="PRIORITY",
        tracking_id="AP-W1",
        contact_invitations=("WRITING",),
    )
    local_day = acted.astimezone(ZoneInfo(zone)).date()
    for command in (b.sms(occurred_at=acted), reminder):
        if local_day < end_date:
            assert at.when(command)
            continue
        with pytest.raises(RuleViolation) as refused:
            at.when(command)
        assert refused.value.rule_id == "MSP-A11"
