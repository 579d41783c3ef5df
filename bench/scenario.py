"""The workload: MSP plans whose commands record 15 events each, and its bare equivalent.

Each plan is recorded, approved, phoned three times (no answer, voicemail, successful), sent an
SMS, informed, sent its letter (which also issues the contact card), the letter is delivered,
and a closing note is added: 11 commands recording 15 events.

The bare eventsourcing side records *the same events*: the payloads are taken from the events
recoverycore's pure ``decide`` produces for the same commands at the same simulated times
(computed once, outside any timing), with tuples as lists, nested models as dicts and enums as
their values; datetimes and dates stay datetimes and dates (registered transcodings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any
from uuid import UUID, uuid5

from recoverycore.aggregates import msp
from recoverycore.events import DomainEvent
from recoverycore.testing import EPOCH, msp_builder

__all__ = [
    "BARE_METHODS",
    "EVENTS_PER_PLAN",
    "START",
    "STEP",
    "BareStep",
    "PlanScript",
    "bare_fields",
    "build_plans",
]

START: datetime = EPOCH
"""Where the simulated clock starts (every command's explicit times are at or after it)."""
STEP = timedelta(minutes=7)
"""How far the simulated clock moves before each command."""
EVENTS_PER_PLAN = 15

_NAMESPACE = UUID("0b7e6c1e-9a55-4d51-8f43-6b1d3c2a5e00")

BARE_METHODS: dict[str, str] = {
    "MspApproved": "approved",
    "MspContactAttempted": "contact_attempted",
    "MspNoteAdded": "note_added",
    "MspSmsSent": "sms_sent",
    "MspCustomerInformed": "customer_informed",
    "MspLetterAttached": "letter_attached",
    "MspLetterSent": "letter_sent",
    "MspContactCardIssued": "contact_card_issued",
    "MspLetterDelivered": "letter_delivered",
}
"""recoverycore event type -> the bare aggregate's ``@event`` method recording its equivalent
(``MspRecorded`` is the bare aggregate's created event, i.e. its ``__init__``)."""

_NOT_IN_BARE_PAYLOAD = {"originator_id", "originator_version", "recorded_at"}
"""Position is stored by both mappers outside the payload; eventsourcing's own ``timestamp``
plays the part of ``recorded_at``."""


@dataclass(frozen=True)
class BareStep:
    """One bare command: the ``@event`` methods to call on the plan, with their arguments."""

    creates: bool
    events: tuple[tuple[str, dict[str, Any]], ...]


@dataclass(frozen=True)
class PlanScript:
    """One plan's commands for recoverycore and the equivalent bare steps."""

    plan_id: UUID
    commands: tuple[msp.MspCommand, ...]
    bare_steps: tuple[BareStep, ...]

    @property
    def event_count(self) -> int:
        return sum(len(step.events) for step in self.bare_steps)


def _plain(value: Any) -> Any:
    """A pydantic ``model_dump()`` value as a bare application would hold it."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value


def bare_fields(event: DomainEvent) -> dict[str, Any]:
    fields: dict[str, Any] = _plain(event.model_dump(exclude=_NOT_IN_BARE_PAYLOAD))
    return fields


def _commands(index: int, plan_id: UUID, first_at: datetime) -> tuple[msp.MspCommand, ...]:
    """The plan's commands; the first is recorded at ``first_at`` and the k-th ``k * STEP``
    later (the SMS checks are made at ``first_at``, the letter delivered just before it is
    recorded)."""
    b = msp_builder(plan_id=plan_id, now=first_at)
    crn = f"{200_000_000 + index * 7919:09d}"
    crn = f"{crn[:3]} {crn[3:6]} {crn[6:]}K"
    letter = f"MSP-LTR-{index:05d}"
    tracking = f"AP-{index:05d}-9081"
    return (
        b.record(crn=crn),
        b.approve(),
        b.call(outcome="NO_ANSWER"),
        b.call(
            outcome="VOICEMAIL",
            note_text="Called 0400 000 000, left a voicemail asking for a call back; the "
            "message did not mention the reason for the call.",
        ),
        b.sms(),
        b.call(outcome="ENGAGED_SUCCESSFUL"),
        b.command(msp.RecordCustomerInformed, channel="PHONE"),
        b.attach(letter_id=letter),
        b.send_letter(letter_id=letter, tracking_id=tracking),
        b.delivered(letter_id=letter, tracking_id=tracking, outcome_at=first_at + 8.5 * STEP),
        b.command(
            msp.AddMspNote,
            text="Notification complete: letter delivered, customer informed by phone, "
            "contact card issued with the letter.",
        ),
    )


def build_plans(count: int) -> list[PlanScript]:
    """``count`` plans; their reference events are decided here with the simulated clock the
    recording run uses (``START``, advanced by ``STEP`` before every command)."""
    plans: list[PlanScript] = []
    now = START
    for index in range(count):
        plan_id = uuid5(_NAMESPACE, str(index))
        commands = _commands(index, plan_id, now + STEP)
        state: msp.MspState | None = None
        steps: list[BareStep] = []
        for command in commands:
            now += STEP
            events = msp.decide(state, command, now=now)
            state = msp.fold(events, state)
            steps.append(
                BareStep(
                    creates=state is not None and state.version == len(events),
                    events=tuple(
                        (BARE_METHODS.get(type(e).__name__, "__init__"), bare_fields(e))
                        for e in events
                    ),
                )
            )
        script = PlanScript(plan_id, commands, tuple(steps))
        if script.event_count != EVENTS_PER_PLAN:
            raise AssertionError(f"plan {index} records {script.event_count} events")
        plans.append(script)
    return plans
