"""The Managed Service Plan's lifecycle as Hypothesis state machines.

:class:`~recoverycore.testing.strategies.MspStateMachine` drives one plan through random legal and
illegal commands and checks ``decide`` against a naive model and the plan's invariants; the
settings (examples, steps) come from the profile loaded in ``tests/conftest.py``.

The second machine is the documentation example of a downstream extension: another letter
policy (``config``), a rule of its own (through ``execute``), a hook (``on_accepted``) and an
invariant of its own (``extra_invariants``).
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from recoverycore.aggregates.msp import MspCommand
from recoverycore.events.msp import (
    CustomerAggressionLetterSent,
    MspEvent,
    MspLetterSent,
    MspReviewInvitationSent,
)
from recoverycore.msp import MspConfig
from recoverycore.testing.strategies import MspStateMachine, send_restriction_reminder_commands

TestMspLifecycle = MspStateMachine.TestCase


class LetterPolicyV1Machine(MspStateMachine):
    """A plan decided under the older letter policy (V1), with restriction reminders sent often
    and a check that every letter records the policy it was sent under."""

    config = MspConfig(letter_policy="V1")

    def __init__(self) -> None:
        super().__init__()
        self.letters: list[MspEvent] = []

    def on_accepted(self, command: MspCommand, events: list[MspEvent]) -> None:
        letter_types = (MspLetterSent, MspReviewInvitationSent, CustomerAggressionLetterSent)
        self.letters.extend(e for e in events if isinstance(e, letter_types))

    @precondition(lambda self: self.model.in_force)
    @rule(data=st.data())
    def remind_of_the_restrictions(self, data: st.DataObject) -> None:
        self.execute(data.draw(send_restriction_reminder_commands(self.plan_id, now=self.now)))

    def extra_invariants(self) -> None:
        for letter in self.letters:
            assert isinstance(
                letter, MspLetterSent | MspReviewInvitationSent | CustomerAggressionLetterSent
            )
            assert letter.policy_version == "V1"
            assert letter.delivery_method in {"PRIORITY", "PRIORITY_REGISTERED_PERSON_TO_PERSON"}


TestLetterPolicyV1Lifecycle = LetterPolicyV1Machine.TestCase
