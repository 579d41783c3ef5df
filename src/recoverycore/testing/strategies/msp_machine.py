"""The MSP state machine: :class:`MspStateMachine`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import (
    Any,
    ClassVar,
)
from uuid import UUID

from hypothesis import event as note_event
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from recoverycore.aggregates import msp
from recoverycore.aggregates.msp import (
    AddMspNote,
    ApproveMsp,
    ClearVulnerabilityFlag,
    LinkIncident,
    MspCommand,
    MspConfig,
    MspState,
    RecordCustomerInformed,
    RecordDecisionNotToContactDirectly,
    RecordMsp,
    RecordNotificationCallAttempt,
    RecordRepresentativeContact,
    RecordVulnerabilityFlag,
    RejectMsp,
    SendMspSms,
    WithdrawMsp,
)
from recoverycore.errors import AggregateNotFound, RuleViolation
from recoverycore.events import Snapshot
from recoverycore.events.msp import (
    MspEvent,
    MspExtended,
    MspLetterSent,
    MspRecorded,
    MspSmsSent,
    MspVaried,
    MspVulnerabilityFlagCleared,
    MspVulnerabilityFlagRecorded,
)
from recoverycore.testing import EPOCH
from recoverycore.testing.strategies.msp_commands import (
    attach_final_letter_commands,
    commands,
    record_letter_delivery_outcome_commands,
    record_msp_commands,
    record_police_hand_delivery_commands,
    send_msp_letter_commands,
)
from recoverycore.testing.strategies.msp_model import MspModel
from recoverycore.testing.strategies.msp_progress import progressing_commands
from recoverycore.testing.strategies.values import _BUSINESS_MINUTES, _business_time, _mostly


# -- the state machine --------------------------------------------------------------------------
class MspStateMachine(RuleBasedStateMachine):
    """Drives one plan through random legal and illegal commands with the pure ``decide``.

    Every command is first put to the naive :class:`MspModel`; ``decide``'s answer (accepted,
    or refused naming which rule) must be one the model expects, and after every step the plan's
    state must agree with the model and with these invariants:

    * replaying every event so far (and the events after a snapshot) gives the live state;
    * versions are 1, 2, 3, ... without gaps;
    * no ``MspSmsSent`` is recorded on a non-Centrelink plan or while a suicide/self-harm or FDV
      flag is in force;
    * notification is complete only if a letter was sent in the current notification round;
    * a closed plan stays closed and accepts no command.

    Extension points for subclasses:

    * ``config`` (class attribute): the :class:`~recoverycore.msp.MspConfig` the plan is decided
      with (the model reads it too); ``start``: the clock's first reading; ``plan_id``: the
      first plan's id (when a plan closes the run may go on with another, with the next id).
    * :meth:`execute`: decide a command of your own rule through the same checks.
    * :meth:`on_accepted`, :meth:`on_refused`: called after each command.
    * :meth:`extra_invariants`: checked after every step with the built-in invariants.
    * ``self.plan_id``, ``self.model``, ``self.state``, ``self.events`` (of the current plan),
      ``self.now``: read them in your rules; ``self.plans_closed`` counts the plans closed.
    * ``attached_letters`` and ``sent_letters``: bundles of letter ids attached and
      ``(letter_id, tracking_id)`` pairs sent.
    """

    config: ClassVar[MspConfig] = MspConfig()
    start: ClassVar[datetime] = EPOCH
    plan_id: UUID = UUID("00000000-0000-4000-8000-00000000c0de")

    attached_letters: Bundle[str] = Bundle("attached_letters")
    sent_letters: Bundle[tuple[str, str]] = Bundle("sent_letters")

    def __init__(self) -> None:
        super().__init__()
        self.now: datetime = self.start
        self.events: list[MspEvent] = []
        self.state: MspState | None = None
        self.model = MspModel(self.config)
        self.snapshot: tuple[int, Snapshot] | None = None
        self.plans_closed = 0

    # -- hooks -----------------------------------------------------------------------------------
    def on_accepted(self, command: MspCommand, events: list[MspEvent]) -> None:
        """Called after ``decide`` accepted ``command`` (state and model already updated)."""

    def on_refused(self, command: MspCommand, refusal: RuleViolation | AggregateNotFound) -> None:
        """Called after ``decide`` refused ``command``."""

    def extra_invariants(self) -> None:
        """Override to assert invariants of your own after every step."""

    # -- deciding --------------------------------------------------------------------------------
    def execute(self, command: MspCommand) -> list[MspEvent] | None:
        """Decide ``command`` now and check the outcome against the model: the recorded events,
        or ``None`` when it was refused."""
        name = type(command).__name__
        expected = self.model.expect(command, now=self.now)
        refusal: RuleViolation | AggregateNotFound | None = None
        try:
            events = msp.decide(self.state, command, now=self.now, config=self.config)
        except (RuleViolation, AggregateNotFound) as error:
            refusal = error
        if isinstance(refusal, RuleViolation):
            assert refusal.rule_id in expected.refusals, (
                f"{name} was refused by {refusal.rule_id} ({refusal.reason}) but the model "
                f"expected {expected}"
            )
            note_event(f"refused {name} ({refusal.rule_id})")
        elif refusal is not None:
            assert expected.not_found, f"{name} found no plan but the model expected {expected}"
        if refusal is not None:
            self.on_refused(command, refusal)
            return None
        recorded = [type(e).__name__ for e in events]
        assert expected.accepted, (
            f"{name} was accepted ({recorded}) but the model expected {expected}"
        )
        if isinstance(command, SendMspSms):
            if expected.sms_blocked_by:
                assert recorded == ["MspSmsBlocked"], recorded
                assert getattr(events[0], "rule_id", None) in expected.sms_blocked_by
            else:
                assert recorded == ["MspSmsSent"], recorded
        self.events.extend(events)
        for e in events:
            self.state = msp.evolve(self.state, e)
        self.model.accept(command, now=self.now)
        note_event(f"accepted {name}")
        self.on_accepted(command, events)
        return events

    def _draw(self, data: st.DataObject, *command_types: type[MspCommand]) -> None:
        """Decide a command drawn from :func:`commands` (of ``command_types``, or any)."""
        strategy = commands(self.plan_id, now=self.now, command_types=command_types or None)
        self.execute(data.draw(strategy))

    # -- rules -----------------------------------------------------------------------------------
    def _open(self) -> bool:
        return self.model.recorded and not self.model.terminal

    @initialize(data=st.data())
    def begin(self, data: st.DataObject) -> None:
        """Start from a legal recorded and approved plan, a draft, or (rarely) nothing."""
        self._start(data)

    def _start(self, data: st.DataObject) -> None:
        start = data.draw(
            _mostly(st.sampled_from(("ACTIVE", "DRAFT")), st.just("NOTHING"), odds=5),
            label="start",
        )
        if start == "NOTHING":
            return
        max_days = min(365, self.config.max_plan_duration_days)
        record = record_msp_commands(self.plan_id, now=self.now, legal=True, max_days=max_days)
        self.execute(data.draw(record))
        if start == "ACTIVE" and self.state is not None:
            approvals = progressing_commands(self.state, now=self.now, config=self.config)
            self.execute(data.draw(approvals))

    @precondition(lambda self: not self.model.recorded)
    @rule(data=st.data())
    def command_before_recording(self, data: st.DataObject) -> None:
        self._draw(data)

    @precondition(lambda self: not self.model.recorded)
    @rule(data=st.data())
    def record_msp(self, data: st.DataObject) -> None:
        self._draw(data, RecordMsp)

    @precondition(lambda self: self.model.status == "DRAFT")
    @rule(data=st.data())
    def decide_draft(self, data: st.DataObject) -> None:
        self._draw(data, ApproveMsp, RejectMsp, WithdrawMsp)

    @precondition(_open)
    @rule(data=st.data())
    def any_command(self, data: st.DataObject) -> None:
        self._draw(data)

    @precondition(_open)
    @rule(data=st.data())
    def progress(self, data: st.DataObject) -> None:
        assert self.state is not None
        command = data.draw(progressing_commands(self.state, now=self.now, config=self.config))
        self.execute(command)

    @precondition(_open)
    @rule(data=st.data())
    def contact_customer(self, data: st.DataObject) -> None:
        self._draw(
            data,
            RecordNotificationCallAttempt,
            RecordRepresentativeContact,
            RecordDecisionNotToContactDirectly,
            RecordCustomerInformed,
        )

    @precondition(_open)
    @rule(data=st.data())
    def safeguard(self, data: st.DataObject) -> None:
        self._draw(
            data,
            RecordVulnerabilityFlag,
            ClearVulnerabilityFlag,
            SendMspSms,
            LinkIncident,
            AddMspNote,
        )

    @precondition(_open)
    @rule(target=attached_letters, data=st.data())
    def attach_letter(self, data: st.DataObject) -> Any:
        command = data.draw(attach_final_letter_commands(self.plan_id, now=self.now))
        return multiple() if self.execute(command) is None else command.letter_id

    @precondition(_open)
    @rule(target=sent_letters, letter=attached_letters, data=st.data())
    def send_attached_letter(self, letter: str, data: st.DataObject) -> Any:
        command = data.draw(send_msp_letter_commands(self.plan_id, now=self.now))
        command = command.model_copy(update={"letter_id": letter})
        if self.execute(command) is None:
            return multiple()
        return (command.letter_id, command.tracking_id)

    @precondition(_open)
    @rule(letter=sent_letters, data=st.data())
    def record_delivery(self, letter: tuple[str, str], data: st.DataObject) -> None:
        command = data.draw(record_letter_delivery_outcome_commands(self.plan_id, now=self.now))
        letter_id, tracking_id = letter
        self.execute(
            command.model_copy(update={"letter_id": letter_id, "tracking_id": tracking_id})
        )

    @precondition(_open)
    @rule(letter=attached_letters, data=st.data())
    def police_hand_over(self, letter: str, data: st.DataObject) -> None:
        command = data.draw(record_police_hand_delivery_commands(self.plan_id, now=self.now))
        self.execute(command.model_copy(update={"letter_id": letter}))

    @precondition(lambda self: self.model.terminal)
    @rule(data=st.data())
    def closed_plan_refuses_everything(self, data: st.DataObject) -> None:
        before = list(self.events)
        command = data.draw(commands(self.plan_id, now=self.now))
        assert self.execute(command) is None, f"a closed plan accepted {type(command).__name__}"
        assert self.events == before

    @precondition(lambda self: self.model.terminal)
    @rule(data=st.data())
    def start_another_plan(self, data: st.DataObject) -> None:
        """Once a plan is closed, the rest of the run drives a new plan (with a new id)."""
        self.plans_closed += 1
        self.plan_id = UUID(int=self.plan_id.int + 1)
        self.events, self.state, self.snapshot = [], None, None
        self.model = MspModel(self.config)
        self._start(data)

    @rule(days=st.integers(0, 3), minute=st.integers(*_BUSINESS_MINUTES))
    def wait(self, days: int, minute: int) -> None:
        later = _business_time(self.now.date() + timedelta(days=days), minute, self.now.tzinfo)
        self.now = max(self.now + timedelta(minutes=1), later)

    @precondition(lambda self: self.model.in_force and self.now.date() < self.model.end_date)
    @rule()
    def wait_for_end_date(self) -> None:
        self.now = _business_time(self.model.end_date, 9 * 60, self.now.tzinfo)

    @precondition(lambda self: self.state is not None)
    @rule()
    def take_snapshot(self) -> None:
        assert self.state is not None
        self.snapshot = (len(self.events), Snapshot.take(self.state))

    # -- invariants ------------------------------------------------------------------------------
    @invariant()
    def replay_equals_live_state(self) -> None:
        assert msp.fold(self.events) == self.state
        if self.snapshot is not None:
            position, snapshot = self.snapshot
            restored = snapshot.mutate()
            assert isinstance(restored, MspState)
            assert msp.fold(self.events[position:], restored) == self.state

    @invariant()
    def versions_are_gap_free(self) -> None:
        versions = [e.originator_version for e in self.events]
        assert versions == list(range(1, len(versions) + 1)), versions
        assert all(e.originator_id == self.plan_id for e in self.events)
        if self.state is not None:
            assert self.state.version == len(self.events)

    @invariant()
    def state_agrees_with_model(self) -> None:
        s, m = self.state, self.model
        if s is None:
            assert not m.recorded
            return
        assert s.status == m.status
        assert (s.program, s.recorder_id) == (m.program, m.recorder_id)
        assert set(s.safety_flags) == m.flags
        assert list(s.linked_incident_ids) == m.incidents
        assert s.restriction_kinds == m.restriction_kinds
        assert s.end_date == m.end_date
        assert s.notification_round == m.round
        assert set(s.successful_contacts) == m.reached
        assert s.direct_contact_waived == m.waived
        assert (s.customer_informed_on is not None) == m.informed
        assert s.attached_letter_id == m.attached_letter
        sent = (s.letter_sent_id, s.letter_tracking_id) if s.letter_sent_id is not None else None
        assert sent == m.sent_letter
        assert s.letter_outcome == m.letter_outcome
        assert s.contact_card_issued == m.card_issued
        assert (s.contact_attempts, s.notes) == (m.contact_attempts, m.notes)
        assert (s.sms_sent, s.sms_blocked) == (m.sms_sent, m.sms_blocked)
        assert (s.police_handovers, len(s.one_off_variations)) == (
            m.police_handovers,
            m.variations,
        )

    @invariant()
    def sms_sent_only_when_allowed(self) -> None:
        program: str | None = None
        flags: set[str] = set()
        for e in self.events:
            if isinstance(e, MspRecorded):
                program = e.program
            elif isinstance(e, MspVulnerabilityFlagRecorded):
                flags.add(e.flag)
            elif isinstance(e, MspVulnerabilityFlagCleared):
                flags.discard(e.flag)
            elif isinstance(e, MspSmsSent):
                assert program == "CENTRELINK", f"MSP SMS sent on a {program} plan"
                assert not flags, f"MSP SMS sent while {sorted(flags)} in force"

    @invariant()
    def notification_complete_needs_a_letter_this_round(self) -> None:
        if self.state is None or not self.state.notification_complete:
            return
        last_letter = max(
            (i for i, e in enumerate(self.events) if isinstance(e, MspLetterSent)), default=-1
        )
        new_round = max(
            (i for i, e in enumerate(self.events) if isinstance(e, MspVaried | MspExtended)),
            default=-1,
        )
        assert last_letter > new_round, "notification complete without a letter this round"
        assert self.model.sent_letter is not None

    @invariant()
    def closed_plan_stays_closed(self) -> None:
        if self.model.terminal:
            assert self.state is not None
            assert self.state.is_terminal
            assert self.state.closed_on is not None

    @invariant()
    def subclass_invariants(self) -> None:
        self.extra_invariants()
