"""The follow-up tick expires a plan past its end date (issue 13, item 5): once, as the policy,
on SQLite and PostgreSQL, in the process that records and in a separate one."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
import structlog
from structlog.testing import capture_logs

from pgserver import PgServer
from recoverycore import RecoveryApp, RuleViolation, SimulatedClock
from recoverycore.aggregates import msp
from recoverycore.application.policies import FollowUpPolicy, run_policies
from recoverycore.events import Role
from recoverycore.events.follow_ups import FollowUpCompleted, FollowUpDue, FollowUpScheduled
from recoverycore.events.msp import MspExpired, Restriction
from recoverycore.persistence import in_memory_env, sqlite_env
from recoverycore.policies.follow_ups import POLICY_ACTOR
from recoverycore.testing import MspBuilder, msp_builder, staff

SYDNEY = ZoneInfo("Australia/Sydney")
SCRIPT = Path(sys.executable).with_name("recoverycore")
START = datetime(2026, 3, 2, 9, 0, tzinfo=SYDNEY)


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    yield
    structlog.reset_defaults()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if request.param == "memory":
        return in_memory_env()
    if request.param == "sqlite":
        return sqlite_env(tmp_path / "store.db")
    pg_server: PgServer = request.getfixturevalue("pg_server")
    return pg_server.env(request.getfixturevalue("pg_database"))


def builder(start: datetime = START) -> MspBuilder:
    return msp_builder(plan_id=uuid4(), now=start)


def end_of(b: MspBuilder) -> datetime:
    """9 am on the plan's end date: when its end-date follow-up falls due."""
    return datetime.combine(b.record().end_date, START.timetz())


class System:
    """RecoveryApp and its policies in this process (``run_policies``) on a simulated clock."""

    def __init__(self, env: dict[str, str]) -> None:
        self.runner = run_policies(env)
        self.app = self.runner.get(RecoveryApp)
        self.policy = self.runner.get(FollowUpPolicy)
        self.clock = SimulatedClock(START)
        self.app.clock = self.clock

    def at(self, when: datetime) -> System:
        self.clock.set(when)
        return self

    def record(self, b: MspBuilder) -> None:
        self.at(b.now)
        self.app.handle(b.record())
        self.app.handle(b.approve())

    def tick(self, when: datetime) -> list[FollowUpDue]:
        self.at(when)
        return [e for e in self.policy.tick(when) if isinstance(e, FollowUpDue)]

    def expiries(self, plan_id: UUID) -> list[MspExpired]:
        return [e for e in self.app.history(plan_id) if isinstance(e, MspExpired)]


@pytest.fixture
def system(env: dict[str, str]) -> Iterator[System]:
    running = System(env)
    try:
        yield running
    finally:
        running.runner.stop()


def test_an_sms_and_a_reminder_six_weeks_after_the_end_date_are_refused_and_the_tick_expires_the_plan(  # noqa: E501
    system: System,
) -> None:
    b = builder()
    system.record(b)
    six_weeks_later = end_of(b) + timedelta(weeks=6)
    reminder = b.command(
        msp.SendRestrictionReminder,
        letter_id="W-1",
        delivery_method="PRIORITY",
        tracking_id="AP-W1",
        contact_invitations=("WRITING",),
    )

    # Before the timer ran: refused by the rule itself.
    system.at(six_weeks_later)
    for command in (b.sms(), reminder):
        with pytest.raises(RuleViolation) as refused:
            system.app.handle(command)
        assert refused.value.rule_id == "MSP-A11"
    assert system.app.plan(b.plan_id).status == "ACTIVE"

    # The timer: the end-date follow-up falls due and the plan is expired, once.
    system.tick(six_weeks_later)
    [expired] = system.expiries(b.plan_id)
    assert system.app.plan(b.plan_id).status == "EXPIRED"
    assert system.policy.expired == [expired]
    assert expired.actor == POLICY_ACTOR
    assert expired.actor.role is Role.SYSTEM
    assert expired.occurred_at == end_of(b)  # when it fell due, not when the tick ran
    assert expired.expired_on == b.record().end_date
    follow_up = next(
        e
        for e in system.policy.follow_ups_of(b.plan_id)
        if isinstance(e, FollowUpDue) and e.due_at == end_of(b)
    )
    assert expired.causation_id == follow_up.event_id

    # After the timer ran: still refused (the plan is closed), and nothing more is recorded.
    for command in (b.sms(), reminder):
        with pytest.raises(RuleViolation):
            system.app.handle(command)
    assert system.tick(six_weeks_later + timedelta(days=1)) == []
    assert system.policy.expired == []
    assert len(system.expiries(b.plan_id)) == 1
    completed = [
        e for e in system.policy.follow_ups_of(b.plan_id) if isinstance(e, FollowUpCompleted)
    ]
    assert [e.completed_by_type for e in completed] == ["MspExpired"]


def test_the_tick_expires_a_plan_on_its_end_date_and_not_before(system: System) -> None:
    b = builder()
    system.record(b)

    system.tick(end_of(b) - timedelta(minutes=1))
    assert system.expiries(b.plan_id) == []
    assert system.app.plan(b.plan_id).status == "ACTIVE"
    system.tick(end_of(b))
    assert len(system.expiries(b.plan_id)) == 1


def test_an_extended_plan_is_not_expired_at_its_old_end_date(system: System) -> None:
    b = builder()
    system.record(b)
    reviewer, new_end = b.reviewer, b.record().end_date + timedelta(days=90)
    system.at(end_of(b) - timedelta(days=30))
    system.app.handle(
        b.command(
            msp.InviteCustomerToReview,
            actor=reviewer,
            letter_id="R-1",
            delivery_method="PRIORITY",
            tracking_id="AP-R1",
            contact_invitations=("WRITING",),
        )
    )
    system.app.handle(
        b.command(
            msp.CompleteReview,
            actor=b.approver,
            outcome="EXTEND",
            new_end_date=new_end,
            reasons=("The customer threatened staff again in July; three more months.",),
        )
    )

    system.tick(end_of(b) + timedelta(days=1))
    assert system.expiries(b.plan_id) == []
    assert system.app.plan(b.plan_id).status == "ACTIVE"

    system.tick(datetime.combine(new_end, START.timetz()))
    [expired] = system.expiries(b.plan_id)
    assert expired.expired_on == new_end


def test_a_plan_ended_or_already_expired_before_the_tick_is_left_as_it_is(
    system: System,
) -> None:
    withdrawn, expired_by_hand, ordinary = builder(), builder(), builder()
    for b in (withdrawn, expired_by_hand, ordinary):
        system.record(b)
    system.at(end_of(withdrawn) - timedelta(days=3))
    system.app.handle(
        withdrawn.command(
            msp.WithdrawMsp,
            actor=withdrawn.approver,
            reasons=("The customer moved overseas; the plan is no longer needed.",),
        )
    )
    system.at(end_of(expired_by_hand) + timedelta(hours=1))
    system.app.handle_for_policy(
        expired_by_hand.command(msp.ExpireMsp, actor=staff(Role.SYSTEM, "policy:follow-ups"))
    )

    with capture_logs() as logs:
        system.tick(end_of(ordinary) + timedelta(hours=2))

    assert system.expiries(withdrawn.plan_id) == []
    assert len(system.expiries(expired_by_hand.plan_id)) == 1
    assert len(system.expiries(ordinary.plan_id)) == 1
    assert not [log for log in logs if log["log_level"] in ("warning", "error")]


def test_a_tick_that_could_not_record_the_expiry_is_made_good_by_the_next_one(
    tmp_path: Path,
) -> None:
    # A policy that records through no application (a crash, a runner wired by hand) makes the
    # follow-up due; the next tick of a wired policy expires the plan, caused by that due event.
    env = sqlite_env(tmp_path / "store.db")
    b = builder()
    with RecoveryApp(env=env, clock=SimulatedClock(b.now)) as app:
        app.handle(b.record())
        app.handle(b.approve())
    unwired = FollowUpPolicy(env=env)
    upstream = RecoveryApp(env=env, clock=SimulatedClock(end_of(b) + timedelta(hours=1)))
    unwired.follow(upstream.name, upstream.notification_log)
    unwired.catch_up()
    with capture_logs() as logs:
        due = unwired.tick(end_of(b))
    [end_date_due] = [e for e in due if isinstance(e, FollowUpDue) and e.due_at == end_of(b)]
    assert any("not expired" in str(log["event"]) for log in logs)
    assert upstream.plan(b.plan_id).status == "ACTIVE"

    wired = FollowUpPolicy(env=env)
    wired.follow_application(upstream)
    wired.catch_up()
    assert wired.tick(end_of(b) + timedelta(hours=1)) == []
    [expired] = [e for e in upstream.history(b.plan_id) if isinstance(e, MspExpired)]
    assert expired.causation_id == end_date_due.event_id
    wired.catch_up()
    assert wired.tick(end_of(b) + timedelta(hours=2)) == []
    assert len([e for e in upstream.history(b.plan_id) if isinstance(e, MspExpired)]) == 1


def test_a_plan_whose_history_cannot_be_read_stops_only_its_own_expiry(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path / "store.db")
    damaged, other = builder(), builder()
    with RecoveryApp(env=env, clock=SimulatedClock(START)) as app:
        for b in (damaged, other):
            app.handle(b.record())
            app.handle(b.approve())
    policy = FollowUpPolicy(env=env)
    upstream = RecoveryApp(env=env, clock=SimulatedClock(end_of(other) + timedelta(hours=1)))
    policy.follow_application(upstream)
    policy.catch_up()
    with closing(sqlite3.connect(tmp_path / "store.db")) as conn:
        changed = conn.execute(
            "UPDATE stored_events SET state = CAST(state || X'FF' AS TEXT) "
            "WHERE originator_id = ? AND originator_version = 2",
            (damaged.plan_id.hex,),
        )
        assert changed.rowcount == 1
        conn.commit()
    upstream.repository.cache = None  # read the damaged history from the store

    with capture_logs() as logs:
        policy.tick(end_of(other))
        policy.tick(end_of(other) + timedelta(minutes=5))
    assert [e.originator_id for e in policy.expired] == []
    assert [e for e in upstream.history(other.plan_id) if isinstance(e, MspExpired)]
    warnings = [log for log in logs if log["log_level"] == "warning"]
    assert warnings
    assert all(log["plan_id"] == str(damaged.plan_id) for log in warnings)


# -- in other processes ---------------------------------------------------------------------------
def recently() -> datetime:
    """A start 200 days before the machine's clock: the plan's end date (182 days on) has
    passed by the time the CLI's system clock records the expiry."""
    return (datetime.now(SYDNEY) - timedelta(days=200)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )


def record_elsewhere(env: dict[str, str], b: MspBuilder) -> None:
    """The writer: records and approves the plan, then closes (another process ticks)."""
    with RecoveryApp(env=env, clock=SimulatedClock(b.now)) as app:
        app.handle(b.record())
        app.handle(b.approve())


def cli(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(SCRIPT), *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def expiries_in(env: dict[str, str], plan_id: UUID) -> list[MspExpired]:
    with RecoveryApp(env=env) as app:
        return [e for e in app.history(plan_id) if isinstance(e, MspExpired)]


def eventually(check: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("not reached in time")


def test_recoverycore_tick_in_another_process_expires_a_plan_recorded_by_this_one(
    tmp_path: Path,
) -> None:
    db = tmp_path / "store.db"
    env = sqlite_env(db)
    b = builder(recently())
    record_elsewhere(env, b)

    ticker = cli(
        "tick", "--now", (end_of(b) + timedelta(days=1)).isoformat(), "--db", str(db), env={}
    )
    out, error = ticker.communicate(timeout=120)
    assert ticker.returncode == 0, error.decode()
    assert "1 plan(s) expired" in out.decode()
    [expired] = expiries_in(env, b.plan_id)
    assert expired.actor == POLICY_ACTOR

    again = cli(
        "tick", "--now", (end_of(b) + timedelta(days=2)).isoformat(), "--db", str(db), env={}
    )
    out, error = again.communicate(timeout=120)
    assert again.returncode == 0, error.decode()
    assert "expired" not in out.decode()
    assert len(expiries_in(env, b.plan_id)) == 1


@pytest.mark.postgres
def test_two_ticks_at_once_in_two_processes_expire_the_plan_once(
    pg_server: PgServer, pg_database: str
) -> None:
    env = pg_server.env(pg_database)
    plans = [builder(recently()) for _ in range(3)]
    for b in plans:
        record_elsewhere(env, b)
    now = (end_of(plans[0]) + timedelta(days=1)).isoformat()

    tickers = [cli("tick", "--now", now, env=env) for _ in range(2)]
    for ticker in tickers:
        _, error = ticker.communicate(timeout=120)
        assert ticker.returncode == 0, error.decode()
    for b in plans:
        assert len(expiries_in(env, b.plan_id)) == 1


@pytest.mark.postgres
def test_the_follow_up_process_ticking_on_its_own_expires_a_plan_recorded_elsewhere(
    pg_server: PgServer, pg_database: str
) -> None:
    env = pg_server.env(pg_database)
    follower = cli("follow", "follow-ups", "--poll", "0.1", "--tick", env=env)
    try:
        b = builder(recently())
        record_elsewhere(env, b)
        eventually(lambda: len(expiries_in(env, b.plan_id)) == 1)
    finally:
        follower.terminate()
        _, error = follower.communicate(timeout=30)
    assert follower.returncode == 0, error.decode()
    assert len(expiries_in(env, b.plan_id)) == 1


def test_a_write_only_plan_restricted_in_force_accepts_its_letters_before_the_end_date(
    system: System,
) -> None:
    # A control for the trial: the same reminder the day before the end date is accepted.
    b = msp_builder(plan_id=uuid4(), now=START, restrictions=(Restriction(kind="WRITE_ONLY"),))
    system.record(b)
    system.at(end_of(b) - timedelta(days=1))
    reminder = b.command(
        msp.SendRestrictionReminder,
        letter_id="W-1",
        delivery_method="PRIORITY",
        tracking_id="AP-W1",
        contact_invitations=("WRITING",),
    )
    assert [type(e).__name__ for e in system.app.handle(reminder)] == [
        "CustomerAggressionLetterSent"
    ]
    assert [e for e in system.policy.follow_ups_of(b.plan_id) if isinstance(e, FollowUpScheduled)]
