"""The Managed Service Plan's test kit: :class:`Scenario`, :func:`given` and :class:`MspBuilder`.

Given/when/then works on the pure functions, without storage::

    from recoverycore.testing import given, msp_builder

    b = msp_builder()
    events = given(b.recorded(), b.approved()).when(b.call(outcome="NO_ANSWER"))
    assert [type(e).__name__ for e in events] == ["MspContactAttempted", "MspNoteAdded"]
    error = given(*b.approved_plan()).refused(b.sms(reason_code="BECAUSE"))
    assert error.rule_id == "MSP-R3"
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from recoverycore.aggregates import authority_for, msp
from recoverycore.errors import RuleViolation
from recoverycore.events import Actor, Role
from recoverycore.events.msp import (
    Behaviour,
    ContactPoint,
    CustomerContactDetails,
    IncidentRef,
    MspEvent,
    MultiRecordCheck,
    Restriction,
)
from recoverycore.testing._shared import EPOCH, staff

__all__ = ["EPOCH", "MspBuilder", "Scenario", "given", "msp_builder", "staff"]

_DEMO_PLAN = UUID("00000000-0000-4000-8000-000000000001")


@dataclass(frozen=True)
class Scenario:
    """A plan's history (``given``), ready to decide a command against (``when``)."""

    events: tuple[MspEvent, ...]
    now: datetime = EPOCH
    config: msp.MspConfig = field(default_factory=msp.MspConfig)

    @property
    def state(self) -> msp.MspState | None:
        return msp.fold(self.events)

    def at(self, now: datetime) -> Scenario:
        return Scenario(self.events, now, self.config)

    def configured(self, config: msp.MspConfig) -> Scenario:
        return Scenario(self.events, self.now, config)

    def when(self, command: msp.MspCommand) -> list[MspEvent]:
        """The events ``command`` would record."""
        return msp.decide(self.state, command, now=self.now, config=self.config)

    def refused(self, command: msp.MspCommand) -> RuleViolation:
        """Assert that ``command`` is refused, and return the refusal to inspect."""
        try:
            events = self.when(command)
        except RuleViolation as refusal:
            return refusal
        raise AssertionError(
            f"{type(command).__name__} was accepted, recording {[type(e).__name__ for e in events]}"
        )

    def then(self, command: msp.MspCommand) -> Scenario:
        """Decide ``command`` and continue from the history it makes."""
        return Scenario((*self.events, *self.when(command)), self.now, self.config)


def given(*events: MspEvent | Sequence[MspEvent], now: datetime = EPOCH) -> Scenario:
    """A scenario from events (or lists of events), oldest first."""
    flat: list[MspEvent] = []
    for item in events:
        if isinstance(item, MspEvent):
            flat.append(item)
        else:
            flat.extend(item)
    return Scenario(tuple(flat), now)


class MspBuilder:
    """Valid commands for one plan, with every field overridable, and common histories.

    Each command method takes keyword overrides of the command's fields. The history methods
    (``recorded()``, ``approved_plan()``, ...) decide the commands at ``now`` and return events.
    """

    def __init__(
        self,
        plan_id: UUID = _DEMO_PLAN,
        *,
        program: str = "CENTRELINK",
        restrictions: tuple[Restriction, ...] = (Restriction(kind="FULL_FACE_TO_FACE"),),
        now: datetime = EPOCH,
        config: msp.MspConfig | None = None,
    ) -> None:
        self.plan_id = plan_id
        self.program = program
        self.restrictions = restrictions
        self.now = now
        self.config = config or msp.MspConfig()
        self.recorder = staff(Role.MSP_RECORDER)
        self.approver = staff(Role.MSP_APPROVER, aps_level="APS6")
        self.reviewer = staff(Role.MSP_REVIEWER)
        self.officer = staff(Role.OMC, "omc-1", aps_level="APS4")
        self.omc = ContactPoint(
            role="OMC", staff_id="omc-1", name="Jo Citizen", phone="1800 000 001"
        )

    def _make(self, cls: type[msp.MspCommand], defaults: dict[str, Any], **kw: Any) -> Any:
        return cls.model_validate({"plan_id": self.plan_id, **defaults, **kw})

    # -- commands ---------------------------------------------------------------------------------
    def record(self, **kw: Any) -> msp.RecordMsp:
        start = self.now.date()
        defaults: dict[str, Any] = {
            "actor": self.recorder,
            "crn": "123 456 789A",
            "program": self.program,
            "msp_type": "REACTIVE",
            "triggering_incidents": (IncidentRef(incident_id="CIMS-2026-0001", system="CIMS"),),
            "behaviours": (
                Behaviour(
                    label="Threat to staff",
                    description="Shouted at the counter that he would wait outside for the "
                    "officer after work, and struck the screen with his fist.",
                ),
            ),
            "restrictions": self.restrictions,
            "alternatives_considered": "A partial restriction to one site was considered but "
            "the threat was made to staff at two sites.",
            "start_date": start,
            "end_date": start + timedelta(days=182),
            "duration_reasons": "Six months gives time to see whether the behaviour recurs.",
            "omc_psso": self.omc,
            "customer_contact": CustomerContactDetails(
                preferred_method="PHONE", phone="0400 000 000", postal_address="1 Example St"
            ),
        }
        result: msp.RecordMsp = self._make(msp.RecordMsp, defaults, **kw)
        return result

    def approve(self, **kw: Any) -> msp.ApproveMsp:
        reasons = ("Threats to staff at two sites; a full restriction is proportionate.",)
        result: msp.ApproveMsp = self._make(
            msp.ApproveMsp, {"actor": self.approver, "reasons": reasons}, **kw
        )
        return result

    def reject(self, **kw: Any) -> msp.RejectMsp:
        reasons = ("The incident does not justify restricting face-to-face service.",)
        result: msp.RejectMsp = self._make(
            msp.RejectMsp, {"actor": self.approver, "reasons": reasons}, **kw
        )
        return result

    def call(self, **kw: Any) -> msp.RecordNotificationCallAttempt:
        defaults: dict[str, Any] = {
            "actor": self.officer,
            "number_called": "0400 000 000",
            "outcome": "NO_ANSWER",
            "note_text": "Called 0400 000 000, no answer, no voicemail left.",
        }
        if kw.get("outcome") == "ENGAGED_SUCCESSFUL":
            defaults["topics_covered"] = tuple(sorted(msp.CALL_CHECKLIST))
            defaults["note_text"] = "Explained the MSP, its duration and restrictions."
        result: msp.RecordNotificationCallAttempt = self._make(
            msp.RecordNotificationCallAttempt, defaults, **kw
        )
        return result

    def sms(self, **kw: Any) -> msp.SendMspSms:
        defaults: dict[str, Any] = {
            "actor": self.approver,
            "reason_code": "PHONE_UNREACHABLE",
            "mobile_number": "0400 000 000",
            "multi_record_check": MultiRecordCheck(performed_at=self.now, result="UNIQUE"),
            "smem_checked_at": self.now,
            "message_template_id": "MSP-SMS-01",
        }
        result: msp.SendMspSms = self._make(msp.SendMspSms, defaults, **kw)
        return result

    def attach(self, **kw: Any) -> msp.AttachFinalLetter:
        defaults = {
            "actor": self.officer,
            "letter_id": "L-1",
            "letter_version": 2,
            "approval_status": "FINAL_APPROVED",
        }
        result: msp.AttachFinalLetter = self._make(msp.AttachFinalLetter, defaults, **kw)
        return result

    def send_letter(self, **kw: Any) -> msp.SendMspLetter:
        defaults = {
            "actor": self.officer,
            "letter_id": "L-1",
            "address": "1 Example St",
            "delivery_method": msp.required_delivery_method(
                self.config.letter_policy, {r.kind for r in self.restrictions}, False
            ),
            "tracking_id": "AP-0001",
            "contact_invitations": ("WRITING",),
        }
        result: msp.SendMspLetter = self._make(msp.SendMspLetter, defaults, **kw)
        return result

    def delivered(self, **kw: Any) -> msp.RecordLetterDeliveryOutcome:
        defaults = {
            "actor": self.officer,
            "letter_id": "L-1",
            "tracking_id": "AP-0001",
            "outcome": "DELIVERED",
            "outcome_at": self.now,
        }
        result: msp.RecordLetterDeliveryOutcome = self._make(
            msp.RecordLetterDeliveryOutcome, defaults, **kw
        )
        return result

    def command(self, cls: type[msp.MspCommand], **kw: Any) -> Any:
        """Any other command, with this plan's id and, as actor, the implementing officer, or
        (where the role table gives the command to others) the approver, the reviewer or the
        recorder."""
        return self._make(cls, {"actor": self.actor_for(cls)}, **kw)

    def actor_for(self, cls: type[msp.MspCommand]) -> Actor:
        """The builder's first officer the role table lets record ``cls`` (the implementing
        officer, the approver, the reviewer, the recorder, in that order)."""
        row = authority_for(cls)
        allowed = row.allowed(self.config) if row is not None else frozenset()
        officers = (self.officer, self.approver, self.reviewer, self.recorder)
        return next((a for a in officers if a.role in allowed), self.officer)

    # -- histories --------------------------------------------------------------------------------
    def _scenario(self) -> Scenario:
        return Scenario((), self.now, self.config)

    def recorded(self) -> list[MspEvent]:
        return self._scenario().when(self.record())

    def approved(self) -> list[MspEvent]:
        return given(*self.recorded(), now=self.now).configured(self.config).when(self.approve())

    def approved_plan(self) -> list[MspEvent]:
        """A recorded and approved (ACTIVE) plan."""
        return [*self.recorded(), *self.approved()]

    def notified_plan(self) -> list[MspEvent]:
        """An approved plan whose customer was phoned successfully and sent the letter."""
        scenario = (
            given(self.approved_plan(), now=self.now)
            .configured(self.config)
            .then(self.call(outcome="ENGAGED_SUCCESSFUL"))
            .then(self.command(msp.RecordCustomerInformed, channel="PHONE"))
            .then(self.attach())
            .then(self.send_letter())
        )
        return list(scenario.events)


def msp_builder(**kwargs: Any) -> MspBuilder:
    """A :class:`MspBuilder` for a fresh plan (see its arguments)."""
    return MspBuilder(**kwargs)
