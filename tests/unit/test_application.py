"""RecoveryApp: load -> decide -> save, on the in-memory and the SQLite store.

Concurrency is simulated deterministically: :class:`InterleavedApp` lets another writer record
on the plan after the command has read the plan's state and before its events are saved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError, Recording
from pydantic import BaseModel
from structlog.testing import capture_logs

from recoverycore import (
    AggregateIdInUse,
    AggregateNotFound,
    ConcurrentUpdateError,
    RecoveryApp,
    RuleViolation,
    SimulatedClock,
)
from recoverycore.aggregates import (
    CASE,
    DECIDERS,
    MSP,
    Command,
    Decider,
    decider_of_kind,
    msp,
)
from recoverycore.errors import UnknownCommand
from recoverycore.events import DomainEvent, Snapshot
from recoverycore.events.msp import IncidentRef, MspEvent, MspLetterSent
from recoverycore.msp import AddMspNote, MspConfig, RecordCustomerInformed, RecordPoliceHandDelivery
from recoverycore.persistence import in_memory_env, sqlite_env
from recoverycore.testing import EPOCH, case_builder, msp_builder

A = TypeVar("A", bound=RecoveryApp)
B = msp_builder()
PLAN = B.plan_id
UNKNOWN_PLAN = UUID("00000000-0000-4000-8000-00000000dead")
AGGRESSIVE_CALL = B.call(
    outcome="AGGRESSION",
    new_incident=IncidentRef(incident_id="CIMS-2026-0042", system="CIMS"),
    note_text="Customer shouted threats and hung up.",
)
"""A command recording three events: MspContactAttempted, MspNoteAdded, MspIncidentLinked."""


S = TypeVar("S", bound=BaseModel)


class InterleavedApp(RecoveryApp):
    """Runs the next ``meanwhile`` callback after reading the plan, before deciding and saving:
    as if another writer recorded on the plan while this command was being decided."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.meanwhile: list[Callable[[], object]] = []
        self._interleaving = False

    def _state_or_none(
        self, decider: Decider[S, Any, Any, Any], aggregate_id: UUID, *, version: int | None = None
    ) -> S | None:
        state = super()._state_or_none(decider, aggregate_id, version=version)
        # The other writer's own commands read the plan too: they must not interleave again.
        # (Reading the customer's record does not count: the plan is what the writer races.)
        if self.meanwhile and not self._interleaving and decider is MSP:
            self._interleaving = True
            try:
                self.meanwhile.pop(0)()
            finally:
                self._interleaving = False
        return state


def note(text: str = "Nominee called asking for a copy of the letter.") -> AddMspNote:
    command: AddMspNote = B.command(AddMspNote, text=text)
    return command


def names(events: list[DomainEvent] | list[MspEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


def versions(app: RecoveryApp) -> list[int]:
    return [e.originator_version for e in app.history(PLAN)]


def approved(app: RecoveryApp) -> list[MspEvent]:
    return [*app.handle(B.record()), *app.handle(B.approve())]


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(EPOCH)


class Opener(Protocol):
    def __call__(self, application: A) -> A: ...


@pytest.fixture
def opened() -> Iterator[Opener]:
    """Registers an application to be closed when the test ends."""
    apps: list[RecoveryApp] = []

    def register(application: A) -> A:
        apps.append(application)
        return application

    yield register
    for application in apps:
        application.close()


@pytest.fixture(params=["memory", "sqlite"])
def app(
    request: pytest.FixtureRequest, tmp_path: Path, clock: SimulatedClock
) -> Iterator[InterleavedApp]:
    """The application on each store, through the shortcuts ``in_memory`` and ``sqlite``."""
    if request.param == "memory":
        application = InterleavedApp.in_memory(clock=clock)
    else:
        application = InterleavedApp.sqlite(tmp_path / "x.db", clock=clock)
    assert isinstance(application, InterleavedApp)
    yield application
    application.close()


# -- construction ---------------------------------------------------------------------------------
def test_the_shortcuts_choose_the_in_memory_or_sqlite_store(tmp_path: Path, opened: Opener) -> None:
    memory = opened(RecoveryApp.in_memory(clock=SimulatedClock(EPOCH)))
    on_disk = opened(RecoveryApp.sqlite(tmp_path / "x.db", clock=SimulatedClock(EPOCH)))

    assert memory.describe_store() == {"persistence": "eventsourcing.popo", "database": "memory"}
    assert on_disk.describe_store() == {
        "persistence": "eventsourcing.sqlite",
        "database": str(tmp_path / "x.db"),
    }
    assert (tmp_path / "x.db").exists()


def test_the_app_decides_with_its_msp_config(tmp_path: Path, opened: Opener) -> None:
    v1 = MspConfig(letter_policy="V1")
    app = opened(RecoveryApp.sqlite(tmp_path / "x.db", clock=SimulatedClock(EPOCH), msp_config=v1))
    approved(app)
    app.handle(B.attach())

    with pytest.raises(RuleViolation) as refusal:
        app.handle(B.send_letter(delivery_method="PRIORITY"))
    assert refusal.value.rule_id == "MSP-A7"
    [sent, _] = app.handle(B.send_letter(delivery_method="PRIORITY_REGISTERED_PERSON_TO_PERSON"))
    assert isinstance(sent, MspLetterSent)
    assert sent.policy_version == "V1"


# -- handle and queries ---------------------------------------------------------------------------
def test_handle_returns_the_events_it_recorded(app: InterleavedApp) -> None:
    recorded = app.handle(B.record())
    approval = app.handle(B.approve())

    assert names(recorded) == ["MspRecorded"]
    assert names(approval) == ["MspApproved"]
    assert app.history(PLAN) == [*recorded, *approval]


def test_the_clock_dates_what_the_command_does_not(
    app: InterleavedApp, clock: SimulatedClock
) -> None:
    approved(app)
    clock.advance(hours=2)
    made_earlier = EPOCH + timedelta(hours=1)

    [attempt, _] = app.handle(B.call(occurred_at=made_earlier))
    [later_note] = app.handle(note())
    assert (attempt.occurred_at, attempt.recorded_at) == (made_earlier, EPOCH + timedelta(hours=2))
    assert later_note.occurred_at == later_note.recorded_at == EPOCH + timedelta(hours=2)


def test_the_plan_is_the_fold_of_its_history(app: InterleavedApp) -> None:
    events = approved(app)

    state = app.plan(PLAN)
    assert state == msp.fold(events)
    assert (state.status, state.version, state.approver_id) == ("ACTIVE", 2, B.approver.staff_id)
    assert app.plan(PLAN, version=1).status == "DRAFT"


def test_plan_as_of_a_past_time_gives_the_earlier_state(
    app: InterleavedApp, clock: SimulatedClock
) -> None:
    app.handle(B.record())
    clock.advance(hours=1)
    app.handle(B.approve())
    clock.advance(hours=1)
    app.handle(B.call(outcome="ENGAGED_SUCCESSFUL"))

    assert app.plan_as_of(PLAN, EPOCH + timedelta(minutes=30)).status == "DRAFT"
    as_approved = app.plan_as_of(PLAN, EPOCH + timedelta(hours=1))
    assert (as_approved.status, as_approved.version, as_approved.successful_contacts) == (
        "ACTIVE",
        2,
        (),
    )
    assert app.plan_as_of(PLAN, clock()) == app.plan(PLAN)
    with pytest.raises(AggregateNotFound):
        app.plan_as_of(PLAN, EPOCH - timedelta(seconds=1))


def test_an_unknown_plan_is_not_found(app: InterleavedApp) -> None:
    with pytest.raises(AggregateNotFound) as not_found:
        app.plan(UNKNOWN_PLAN)
    assert not_found.value.aggregate_id == UNKNOWN_PLAN
    with pytest.raises(AggregateNotFound):
        app.history(UNKNOWN_PLAN)
    with pytest.raises(AggregateNotFound):
        app.plan_as_of(UNKNOWN_PLAN, EPOCH)


def test_a_command_on_an_unknown_plan_is_not_found_and_records_nothing(app: InterleavedApp) -> None:
    with capture_logs() as logs, pytest.raises(AggregateNotFound):
        app.handle(note())

    with pytest.raises(AggregateNotFound):
        app.history(PLAN)
    assert [(log["outcome"], log["plan_id"]) for log in logs] == [("not_found", str(PLAN))]


# -- refusals and logs ----------------------------------------------------------------------------
def test_a_refused_command_records_nothing_and_logs_its_rule(app: InterleavedApp) -> None:
    approved(app)
    before = app.history(PLAN)

    with capture_logs() as logs, pytest.raises(RuleViolation) as refusal:
        app.handle(B.sms(reason_code="BECAUSE"))

    assert refusal.value.rule_id == "MSP-R3"
    assert app.history(PLAN) == before
    assert app.plan(PLAN).version == 2
    [line] = logs
    assert line["log_level"] == "info"
    assert line["outcome"] == "refused"
    assert line["rule_id"] == "MSP-R3"
    assert (line["plan_id"], line["command"], line["actor"]) == (
        str(PLAN),
        "SendMspSms",
        B.approver.staff_id,
    )


def test_an_accepted_command_logs_one_line_with_plan_command_actor_and_outcome(
    app: InterleavedApp,
) -> None:
    approved(app)

    with capture_logs() as logs:
        app.handle(AGGRESSIVE_CALL)

    [line] = logs
    assert line["outcome"] == "accepted"
    assert (line["plan_id"], line["command"], line["actor"], line["role"]) == (
        str(PLAN),
        "RecordNotificationCallAttempt",
        B.officer.staff_id,
        B.officer.role.value,
    )
    assert line["events"] == ["MspContactAttempted", "MspNoteAdded", "MspIncidentLinked"]
    assert line["version"] == 5
    assert "rule_id" not in line


# -- atomicity and concurrency --------------------------------------------------------------------
def test_a_command_with_several_events_is_recorded_whole(app: InterleavedApp) -> None:
    approved(app)

    events = app.handle(AGGRESSIVE_CALL)

    assert names(events) == ["MspContactAttempted", "MspNoteAdded", "MspIncidentLinked"]
    assert versions(app) == [1, 2, 3, 4, 5]
    assert app.history(PLAN)[2:] == events
    assert "CIMS-2026-0042" in app.plan(PLAN).linked_incident_ids


def test_a_conflict_on_the_last_of_several_events_records_none_of_them(
    app: InterleavedApp,
) -> None:
    approved(app)
    # Another writer takes version 5 only: the call's events 3 and 4 would fit, 5 conflicts.
    [stray] = msp.decide(app.plan(PLAN), note(), now=EPOCH)
    app.meanwhile.append(lambda: app.save(stray.model_copy(update={"originator_version": 5})))

    with pytest.raises(ConcurrentUpdateError):
        app.handle(AGGRESSIVE_CALL)

    assert versions(app) == [1, 2, 5]
    assert names(app.history(PLAN)) == ["MspRecorded", "MspApproved", "MspNoteAdded"]


def test_a_writer_that_decided_from_an_older_state_conflicts_and_records_nothing(
    app: InterleavedApp,
) -> None:
    approved(app)
    app.meanwhile.append(lambda: app.handle(note()))

    with capture_logs() as logs, pytest.raises(ConcurrentUpdateError) as conflict:
        app.handle(AGGRESSIVE_CALL)

    assert (conflict.value.aggregate_id, conflict.value.expected_version) == (PLAN, 2)
    assert names(app.history(PLAN)) == ["MspRecorded", "MspApproved", "MspNoteAdded"]
    assert [(log["command"], log["outcome"]) for log in logs] == [
        ("AddMspNote", "accepted"),
        ("RecordNotificationCallAttempt", "conflict"),
    ]


def test_a_retry_decides_again_against_the_newer_history_and_succeeds(
    app: InterleavedApp,
) -> None:
    approved(app)
    app.meanwhile.append(lambda: app.handle(note()))

    with capture_logs() as logs:
        events = app.handle(AGGRESSIVE_CALL, retries=1)

    assert [e.originator_version for e in events] == [4, 5, 6]
    assert names(app.history(PLAN)) == [
        "MspRecorded",
        "MspApproved",
        "MspNoteAdded",
        "MspContactAttempted",
        "MspNoteAdded",
        "MspIncidentLinked",
    ]
    assert app.history(PLAN)[3:] == events
    assert [log["outcome"] for log in logs] == ["accepted", "conflict", "accepted"]


def test_a_retry_checks_the_rules_again_and_can_be_refused(app: InterleavedApp) -> None:
    app.handle(B.record())
    # Someone else approves the draft while this approval is being decided.
    app.meanwhile.append(lambda: app.handle(B.approve()))

    with pytest.raises(RuleViolation) as refusal:
        app.handle(B.approve(), retries=1)

    assert refusal.value.rule_id == "MSP-A1"
    assert names(app.history(PLAN)) == ["MspRecorded", "MspApproved"]


def test_conflicts_beyond_the_retries_give_up_and_record_nothing(app: InterleavedApp) -> None:
    approved(app)
    app.meanwhile.extend([lambda: app.handle(note("first")), lambda: app.handle(note("second"))])

    with pytest.raises(ConcurrentUpdateError) as conflict:
        app.handle(AGGRESSIVE_CALL, retries=1)

    assert conflict.value.expected_version == 3
    assert names(app.history(PLAN)) == [
        "MspRecorded",
        "MspApproved",
        "MspNoteAdded",
        "MspNoteAdded",
    ]


def test_two_apps_on_one_sqlite_file_conflict_and_the_retry_succeeds(
    tmp_path: Path, opened: Opener
) -> None:
    env = sqlite_env(tmp_path / "shared.db")
    first = opened(RecoveryApp(env=env, clock=SimulatedClock(EPOCH)))
    second = opened(InterleavedApp(env=env, clock=SimulatedClock(EPOCH)))
    approved(first)
    second.meanwhile.append(lambda: first.handle(note()))

    with pytest.raises(ConcurrentUpdateError):
        second.handle(AGGRESSIVE_CALL)
    assert names(second.history(PLAN)) == ["MspRecorded", "MspApproved", "MspNoteAdded"]

    second.meanwhile.append(lambda: first.handle(note("again")))
    events = second.handle(AGGRESSIVE_CALL, retries=1)
    assert [e.originator_version for e in events] == [5, 6, 7]
    assert first.history(PLAN) == second.history(PLAN)


# -- persistence round trip -----------------------------------------------------------------------
def test_events_reloaded_from_sqlite_equal_the_ones_handle_returned(
    tmp_path: Path, opened: Opener
) -> None:
    path = tmp_path / "x.db"
    clock = SimulatedClock(EPOCH)
    writer = RecoveryApp.sqlite(path, clock=clock)
    returned: list[MspEvent] = []
    for command in (
        B.record(),
        B.approve(),
        B.sms(),
        AGGRESSIVE_CALL,
        B.call(outcome="ENGAGED_SUCCESSFUL"),
        B.command(RecordCustomerInformed, channel="PHONE"),
        B.attach(),
        B.command(
            RecordPoliceHandDelivery,
            letter_id="L-1",
            police_station="Parramatta Police Station",
            police_officer="Sgt Lee",
            handed_at=EPOCH,
            serious_case=True,
            local_arrangement_exists=True,
        ),
        B.send_letter(),
        B.delivered(),
    ):
        clock.advance(minutes=5)
        returned.extend(writer.handle(command))
    writer.close()

    reader = opened(RecoveryApp.sqlite(path, clock=SimulatedClock(clock())))
    reloaded = reader.history(PLAN)
    assert reloaded == returned
    assert [type(e) for e in reloaded] == [type(e) for e in returned]
    assert reader.plan(PLAN) == msp.fold(returned)
    assert reader.plan(PLAN).notification_complete


# -- one path for every aggregate -----------------------------------------------------------------
def test_snapshots_keep_the_state_topic_they_have_always_been_stored_under(
    tmp_path: Path, clock: SimulatedClock, opened: Opener
) -> None:
    env = {**sqlite_env(tmp_path / "s.db"), "RECOVERYCORE_SNAPSHOT_INTERVAL": "2"}
    app = opened(RecoveryApp(env=env, clock=clock))
    approved(app)
    snapshots = app.snapshots
    assert snapshots is not None
    [snapshot] = list(snapshots.get(PLAN))
    assert isinstance(snapshot, Snapshot)
    # Code from before the split resolves this topic (the class moved, the stored name did not).
    assert snapshot.topic == "recoverycore.aggregates.msp:MspState"
    assert CASE.snapshot_topic() == "recoverycore.aggregates.cmr:CaseState"
    reopened = opened(RecoveryApp(env=env, clock=clock))
    assert reopened.plan(PLAN) == app.plan(PLAN)


def test_a_value_no_aggregate_decides_is_refused_with_a_typed_error(app: InterleavedApp) -> None:
    with pytest.raises(UnknownCommand):
        app.handle("approve it")  # type: ignore[call-overload]
    with pytest.raises(UnknownCommand):
        app.handle(msp.MspCommand(plan_id=PLAN, actor=B.approve().actor))
    with pytest.raises(AggregateNotFound):
        app.history(PLAN)


def test_a_subclass_of_a_command_is_decided_as_the_command_it_extends(app: InterleavedApp) -> None:
    class ApproveWithTicket(msp.ApproveMsp):
        ticket: str = "SR-1"

    app.handle(B.record())
    [event] = app.handle(ApproveWithTicket(**B.approve().model_dump()))
    assert type(event).__name__ == "MspApproved"


def test_one_aggregates_id_is_not_found_as_the_other_aggregate(app: InterleavedApp) -> None:
    approved(app)
    assert app.state_or_none(CASE, PLAN) is None
    with pytest.raises(AggregateNotFound):
        app.case(PLAN)
    with pytest.raises(AggregateNotFound):
        app.case_as_of(PLAN, EPOCH + timedelta(days=1))


def test_a_decider_registered_later_is_found_by_its_kind() -> None:
    class LateCommand(Command):
        pass

    late = replace(MSP, kind="LateAggregate")
    DECIDERS[LateCommand] = late
    try:
        assert decider_of_kind("LateAggregate") is late
    finally:
        del DECIDERS[LateCommand]
    assert decider_of_kind("LateAggregate") is None


class FollowerConflictApp(RecoveryApp):
    """Leads its followers, then raises the IntegrityError a policy run in this process raises
    when another process's policy took its position first (after the events were committed)."""

    conflicts = 1

    def _lead(self, recordings: list[Recording[UUID]]) -> None:
        super()._lead(recordings)
        if self.conflicts:
            self.conflicts -= 1
            raise IntegrityError("Failed to record tracking for RecoveryCore 9")


def test_a_followers_conflict_after_the_commit_neither_repeats_nor_disowns_the_command(
    clock: SimulatedClock,
) -> None:
    app = FollowerConflictApp(env=in_memory_env(), clock=clock)
    app.conflicts = 0
    approved(app)
    app.conflicts = 1
    with capture_logs() as logs:
        events = app.handle(note(), retries=3)
    assert [type(e).__name__ for e in events] == ["MspNoteAdded"]
    assert names(app.history(PLAN)) == ["MspRecorded", "MspApproved", "MspNoteAdded"]
    assert [log["outcome"] for log in logs] == ["accepted", "accepted"]
    app.conflicts = 1
    app.handle(note("Second note."))  # no retries: still not a ConcurrentUpdateError
    assert names(app.history(PLAN))[-1] == "MspNoteAdded"
    assert len(app.history(PLAN)) == 4


def test_a_new_plan_on_a_case_id_is_refused_as_an_id_in_use_not_a_conflict(
    app: InterleavedApp,
) -> None:
    c = case_builder(case_id=PLAN)
    app.handle(c.allocate())
    with pytest.raises(AggregateIdInUse) as in_use:
        app.handle(B.record(), retries=3)
    assert (in_use.value.aggregate_id, in_use.value.owner) == (PLAN, "case")
    assert "new id" in str(in_use.value)
    assert names(app.history(PLAN)) == ["CaseAllocated"]
    with pytest.raises(RuleViolation) as twice:
        app.handle(c.allocate())  # the case's own kind: an id used twice is a rule (CMR-A2)
    assert twice.value.rule_id == "CMR-A2"


def test_a_subclass_of_the_application_keeps_its_store_unless_it_names_another() -> None:
    # eventsourcing names an application's tables after its class: on PostgreSQL a subclass
    # would otherwise read and write tables of its own, silently apart from everyone else's.
    class OfficeApp(RecoveryApp):
        pass

    class Elsewhere(RecoveryApp):
        name = "Elsewhere"

    assert OfficeApp.name == RecoveryApp.name
    assert Elsewhere.name == "Elsewhere"
