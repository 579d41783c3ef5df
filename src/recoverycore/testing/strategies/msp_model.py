"""The naive model of the MSP rules the state machine checks ``decide`` against."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import (
    get_args,
)
from zoneinfo import ZoneInfo

from recoverycore.aggregates import authority_for, msp
from recoverycore.aggregates.msp import (
    AddMspNote,
    ApproveMsp,
    AttachFinalLetter,
    ClearVulnerabilityFlag,
    CompleteReview,
    ExpireMsp,
    GrantOneOffVariation,
    InviteCustomerToReview,
    IssueContactCard,
    LinkIncident,
    MspCommand,
    MspConfig,
    RecordCustomerInformed,
    RecordDecisionNotToContactDirectly,
    RecordLetterDeliveryOutcome,
    RecordMsp,
    RecordNotificationCallAttempt,
    RecordPoliceHandDelivery,
    RecordRepresentativeContact,
    RecordVulnerabilityFlag,
    RejectMsp,
    SendBehaviourWarning,
    SendMspLetter,
    SendMspSms,
    SendRestrictionReminder,
    WithdrawMsp,
)
from recoverycore.events import Actor, Role
from recoverycore.events.msp import (
    Behaviour,
    ContactPoint,
    IncidentRef,
    SmsReason,
)
from recoverycore.testing.strategies.values import (
    _HAND_DELIVERY,
    FACTUAL_DESCRIPTIONS,
    VAGUE_DESCRIPTIONS,
)


# -- the naive model ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Expected:
    """What the model expects ``decide`` to do with a command.

    ``refusals`` are the rules the command breaks (``decide`` names one of them; empty: it is
    accepted); ``not_found`` that the plan does not exist; ``sms_blocked_by`` the safeguards that
    turn an accepted ``SendMspSms`` into ``MspSmsBlocked`` (empty: ``MspSmsSent``)."""

    refusals: frozenset[str] = frozenset()
    not_found: bool = False
    sms_blocked_by: frozenset[str] = frozenset()

    @property
    def accepted(self) -> bool:
        return not self.refusals and not self.not_found

    def __str__(self) -> str:
        if self.accepted:
            blocked = f", blocked by {sorted(self.sms_blocked_by)}" if self.sms_blocked_by else ""
            return f"acceptance{blocked}"
        found = ["plan not found"] if self.not_found else []
        return "refusal by " + " or ".join([*sorted(self.refusals), *found])


_TERMINAL = frozenset({"REJECTED", "WITHDRAWN", "ENDED", "EXPIRED"})
_IN_FORCE = frozenset({"ACTIVE", "UNDER_REVIEW"})
_FORBIDDEN_INVITATIONS: dict[str, frozenset[str]] = {
    "WRITE_ONLY": frozenset({"PHONE", "FACE_TO_FACE"}),
    "FULL_FACE_TO_FACE": frozenset({"FACE_TO_FACE"}),
    "PHONE_ONLY": frozenset({"FACE_TO_FACE"}),
}
_Letter = SendMspLetter | InviteCustomerToReview | SendBehaviourWarning | SendRestrictionReminder
_UNDER_THE_PLAN = (
    RecordNotificationCallAttempt,
    RecordRepresentativeContact,
    RecordDecisionNotToContactDirectly,
    RecordCustomerInformed,
    SendMspSms,
    IssueContactCard,
    AttachFinalLetter,
    SendMspLetter,
    RecordPoliceHandDelivery,
    GrantOneOffVariation,
    InviteCustomerToReview,
    CompleteReview,
    SendBehaviourWarning,
    SendRestrictionReminder,
)
"""MSP-A11: what is done under a plan in force, so not from its end date on (notes, incidents,
flags and delivery outcomes record what happened; approval, rejection, withdrawal and the expiry
decide on the plan itself)."""


@dataclass
class MspModel:
    """A naive model of one plan, written from the procedure rather than from ``decide``.

    It keeps what an officer would track on paper (status, notification round, who was reached,
    which letter was attached and sent, flags, counts), says what it expects of each command
    (:meth:`expect`) and records the effect of accepted ones (:meth:`accept`). It knows the rules
    as the domain reference states them, reading the configurable ones from ``config``.
    """

    config: MspConfig
    recorded: bool = False
    status: str = "NONE"
    program: str = ""
    recorder_id: str = ""
    restriction_kinds: frozenset[str] = frozenset()
    assault_or_stalking: bool = False
    omc: ContactPoint | None = None
    start_date: date = date.min
    end_date: date = date.min
    flags: set[str] = field(default_factory=set)
    incidents: list[str] = field(default_factory=list)
    round: int = 1
    reached: set[str] = field(default_factory=set)
    waived: bool = False
    informed: bool = False
    attached_letter: str | None = None
    sent_letter: tuple[str, str] | None = None
    letter_outcome: str | None = None
    card_issued: bool = False
    contact_attempts: int = 0
    sms_sent: int = 0
    sms_blocked: int = 0
    notes: int = 0
    police_handovers: int = 0
    variations: int = 0

    @property
    def terminal(self) -> bool:
        return self.status in _TERMINAL

    @property
    def in_force(self) -> bool:
        return self.status in _IN_FORCE

    # -- overridable knowledge -------------------------------------------------------------------
    def behaviour_is_factual(self, behaviour: Behaviour) -> bool:
        """MSP-R11. The pools of this module are classified by membership; other text by
        counting the words that are not vague. Override for your own descriptions."""
        if behaviour.description in FACTUAL_DESCRIPTIONS:
            return True
        if behaviour.description in VAGUE_DESCRIPTIONS:
            return False
        words = [w.strip('.,;:!?"()').lower() for w in behaviour.description.split()]
        specific = [w for w in words if w and w not in self.config.vague_behaviour_terms]
        return (
            len(specific) >= self.config.min_behaviour_description_words
            and behaviour.description.strip().lower() != behaviour.label.strip().lower()
        )

    def required_delivery_method(self) -> str:
        """MSP-A7, the published letter policies: V2 sends everything by Priority; V1 sends
        registered person-to-person post for restricted plans unless the incident involved
        assault or stalking."""
        if self.config.letter_policy == "V2" or self.assault_or_stalking:
            return "PRIORITY"
        restricted = {"WRITE_ONLY", "FULL_FACE_TO_FACE", "PARTIAL_FACE_TO_FACE"}
        if self.restriction_kinds & {*restricted, "PROTECTION_ORDER_EXISTS"}:
            return "PRIORITY_REGISTERED_PERSON_TO_PERSON"
        return "PRIORITY"

    def forbidden_invitations(self) -> frozenset[str]:
        """MSP-R14: the contact channels a letter must not invite, given the restrictions."""
        forbidden: set[str] = set()
        for kind in self.restriction_kinds:
            forbidden |= _FORBIDDEN_INVITATIONS.get(kind, frozenset())
        return frozenset(forbidden)

    # -- expectations ----------------------------------------------------------------------------
    def _justified(self, why: Sequence[str]) -> bool:
        return len(" ".join(r.strip() for r in why)) >= self.config.min_decision_reason_chars

    def _decides(self, actor: Actor) -> bool:
        return actor.role in self.config.decision_maker_roles

    def _reviews(self, actor: Actor) -> bool:
        return actor.role in self.config.reviewer_roles

    def _letter_rules(self, c: _Letter) -> set[str]:
        broken: set[str] = set()
        if c.delivery_method in _HAND_DELIVERY:
            broken.add("MSP-R10")
        if c.delivery_method != self.required_delivery_method() or not c.tracking_id.strip():
            broken.add("MSP-A7")
        if (
            not c.includes_review_rights
            or set(c.contact_invitations) & self.forbidden_invitations()
        ):
            broken.add("MSP-R14")
        return broken

    def _record_rules(self, c: RecordMsp) -> set[str]:
        broken: set[str] = set()
        if not c.behaviours or not all(self.behaviour_is_factual(b) for b in c.behaviours):
            broken.add("MSP-R11")
        if c.msp_type == "REACTIVE" and not c.triggering_incidents:
            broken.add("MSP-R15")
        if c.msp_type == "PROACTIVE" and not any(v.strip() for v in c.vulnerabilities):
            broken.add("MSP-R15")
        kinds = {r.kind for r in c.restrictions}
        if kinds & {"WRITE_ONLY", "FULL_FACE_TO_FACE"} and not c.alternatives_considered.strip():
            broken.add("MSP-R15")
        too_long = (c.end_date - c.start_date).days > self.config.max_plan_duration_days
        if c.end_date <= c.start_date or too_long:
            broken.add("MSP-R14")
        if len(c.duration_reasons.strip()) < self.config.min_decision_reason_chars:
            broken.add("MSP-R14")
        return broken

    def local_date(self, when: datetime) -> date:
        """The calendar date of ``when`` in the procedure's time zone (``config.time_zone``)."""
        return when.astimezone(ZoneInfo(self.config.time_zone)).date()

    def _status(self, *allowed: str) -> set[str]:
        return set() if self.status in allowed else {"MSP-A1"}

    def _rules(self, command: MspCommand, occurred: datetime, now: datetime) -> set[str]:
        broken: set[str] = set()
        a = command.actor
        match command:
            case ApproveMsp() | RejectMsp():
                broken |= self._status("DRAFT")
                if not self._decides(a):
                    broken.add("MSP-A3")
                if self.config.require_four_eyes and a.staff_id == self.recorder_id:
                    broken.add("MSP-A2")
                if not self._justified(command.reasons):
                    broken.add("MSP-R15")
            case WithdrawMsp():
                broken |= self._status("DRAFT", *_IN_FORCE)
                if not self._decides(a):
                    broken.add("MSP-A3")
                if not self._justified(command.reasons):
                    broken.add("MSP-R15")
            case RecordNotificationCallAttempt() | RecordRepresentativeContact():
                broken |= self._status("ACTIVE")
                if isinstance(command, RecordRepresentativeContact) and not self.waived:
                    broken.add("MSP-R12")
                if not command.note_text.strip():
                    broken.add("MSP-R12")
                missing = set(msp.CALL_CHECKLIST) - set(command.topics_covered)
                if command.outcome == "ENGAGED_SUCCESSFUL" and missing:
                    broken.add("MSP-A5")
                if command.outcome == "AGGRESSION" and command.new_incident is None:
                    broken.add("MSP-R13")
            case RecordCustomerInformed():
                broken |= self._status(*_IN_FORCE)
                reached = {
                    "PHONE": command.informed_person in self.reached,
                    "LETTER": self.letter_outcome == "DELIVERED",
                }
                if command.channel == "SMS":
                    broken.add("MSP-R8")
                elif not reached[command.channel]:
                    broken.add("MSP-A4")
            case RecordDecisionNotToContactDirectly():
                broken |= self._status("ACTIVE")
                if len(" ".join(command.reasons).strip()) < self.config.min_decision_reason_chars:
                    broken.add("MSP-R12")
            case ClearVulnerabilityFlag():
                if command.flag not in self.flags:
                    broken.add("MSP-A1")
                if a.role not in self.config.flag_clearing_roles:
                    broken.add("MSP-A3")
                if not self._justified(command.reasons):
                    broken.add("MSP-R15")
            case SendMspSms():
                broken |= self._status(*_IN_FORCE)
                if self.program != "CENTRELINK":
                    broken.add("MSP-R1")
                if not self._decides(a):
                    broken.add("MSP-R2")
                if command.reason_code not in get_args(SmsReason):
                    broken.add("MSP-R3")
                if command.smem_checked_at is None or command.smem_checked_at > occurred:
                    broken.add("MSP-R5")
                check = command.multi_record_check
                if check is None or check.performed_at > occurred:
                    broken.add("MSP-R4")
            case IssueContactCard():
                broken |= self._status(*_IN_FORCE)
                card, omc = command.omc_psso, self.omc
                if omc is None or (card.staff_id, card.phone) != (omc.staff_id, omc.phone):
                    broken.add("MSP-A6")
            case AttachFinalLetter():
                broken |= self._status(*_IN_FORCE)
                if command.approval_status != "FINAL_APPROVED":
                    broken.add("MSP-R9")
            case SendMspLetter():
                broken |= self._status(*_IN_FORCE) | self._letter_rules(command)
                if command.letter_id != self.attached_letter:
                    broken.add("MSP-R9")
                if not command.includes_contact_card:
                    broken.add("MSP-A6")
            case RecordPoliceHandDelivery():
                broken |= self._status(*_IN_FORCE)
                if command.handed_at > now:
                    broken.add("MSP-A10")
                if not (command.serious_case and command.local_arrangement_exists):
                    broken.add("MSP-R10")
                if command.letter_id != self.attached_letter:
                    broken.add("MSP-R9")
            case RecordLetterDeliveryOutcome():
                broken |= self._status(*_IN_FORCE)
                if command.outcome_at > now:
                    broken.add("MSP-A10")
                if self.sent_letter != (command.letter_id, command.tracking_id):
                    broken.add("MSP-A7")
                if command.outcome == "RETURNED_TO_SENDER" and not command.rts_reason.strip():
                    broken.add("MSP-A7")
            case GrantOneOffVariation():
                broken |= self._status(*_IN_FORCE)
                if not self._decides(a):
                    broken.add("MSP-A3")
                if not self.restriction_kinds & {"FULL_FACE_TO_FACE", "PARTIAL_FACE_TO_FACE"}:
                    broken.add("MSP-A8")
                day = self.local_date(command.appointment_at)
                inside = self.start_date <= day < self.end_date
                if not inside or command.appointment_at <= occurred:
                    broken.add("MSP-A8")
            case InviteCustomerToReview():
                broken |= self._status("ACTIVE") | self._letter_rules(command)
                if not self._reviews(a):
                    broken.add("MSP-A3")
            case CompleteReview():
                broken |= self._status("UNDER_REVIEW")
                changes = command.outcome in ("VARY", "EXTEND")
                if not (self._decides(a) if changes else self._reviews(a)):
                    broken.add("MSP-A3")
                if not self._justified(command.reasons):
                    broken.add("MSP-R15")
                new_end = command.new_end_date
                if command.outcome == "EXTEND":
                    if new_end is None or new_end <= self.end_date:
                        broken.add("MSP-A9")
                    elif (
                        new_end - self.local_date(occurred)
                    ).days > self.config.max_plan_duration_days:
                        broken.add("MSP-R14")
                if command.outcome == "VARY":
                    if not command.new_restrictions:
                        broken.add("MSP-A9")
                    kinds = {r.kind for r in command.new_restrictions}
                    strict = kinds & {"WRITE_ONLY", "FULL_FACE_TO_FACE"}
                    if strict and not command.alternatives_considered.strip():
                        broken.add("MSP-R15")
            case SendBehaviourWarning() | SendRestrictionReminder():
                broken |= self._status(*_IN_FORCE) | self._letter_rules(command)
            case ExpireMsp():
                broken |= self._status(*_IN_FORCE)
                if self.local_date(occurred) < self.end_date:
                    broken.add("MSP-A9")
            case LinkIncident() | RecordVulnerabilityFlag() | AddMspNote():
                pass  # allowed at any time while the plan is open
            case _:
                raise TypeError(
                    f"MspModel does not know {type(command).__name__}: a subclass adding a command "
                    "overrides MspModel.expect for it"
                )
        return broken

    def _sms_blocks(self, command: SendMspSms) -> frozenset[str]:
        blocks = set()
        if "SUICIDE_SELF_HARM" in self.flags:
            blocks.add("MSP-R6")
        if "FDV_IMMEDIATE_THREAT" in self.flags:
            blocks.add("MSP-R7")
        if command.multi_record_check and command.multi_record_check.result == "MULTIPLE":
            blocks.add("MSP-R4")
        return frozenset(blocks)

    def _authority(self, command: MspCommand) -> set[str]:
        """The role table (X-A1 or its row's rule, X-A3): who may record the command, as an
        application records it (``SYSTEM`` only through the library's own policies)."""
        row = authority_for(type(command))
        role = command.actor.role
        if row is None:
            return {"X-A1"}
        if role == Role.SYSTEM:
            return {"X-A3"}
        return set() if role in row.allowed(self.config) else {row.rule_id}

    def expect(self, command: MspCommand, *, now: datetime) -> Expected:
        """What ``decide`` should do with ``command`` at ``now``."""
        occurred = command.occurred_at or now
        broken = {"MSP-A10"} if occurred > now else set()
        if command.actor.role == Role.SYSTEM:
            broken.add("X-A3")  # before the plan is looked up: SYSTEM is the policies' only
        if isinstance(command, RecordMsp):
            if self.recorded:
                return Expected(frozenset(broken | {"MSP-A10"}))
            broken |= self._authority(command) | self._record_rules(command)
            return Expected(frozenset(broken))
        if not self.recorded:
            return Expected(frozenset(broken), not_found=True)
        if self.terminal:
            return Expected(frozenset(broken | {"MSP-A1"}))
        broken |= self._authority(command) | self._rules(command, occurred, now)
        if isinstance(command, _UNDER_THE_PLAN):
            acted = command.handed_at if isinstance(command, RecordPoliceHandDelivery) else occurred
            if self.local_date(acted) >= self.end_date:
                broken.add("MSP-A11")
        blocked = self._sms_blocks(command) if isinstance(command, SendMspSms) else frozenset()
        return Expected(frozenset(broken), sms_blocked_by=blocked)

    # -- effects ---------------------------------------------------------------------------------
    def _new_round(self) -> None:
        self.round += 1
        self.reached = set()
        self.waived = self.informed = self.card_issued = False
        self.attached_letter = self.sent_letter = self.letter_outcome = None

    def _contact(self, person: str, outcome: str, incident: IncidentRef | None) -> None:
        self.contact_attempts += 1
        self.notes += 1
        if outcome == "ENGAGED_SUCCESSFUL":
            self.reached.add(person)
        if incident is not None:
            self.incidents.append(incident.incident_id)

    def accept(self, command: MspCommand, *, now: datetime) -> None:
        """Record the effect of ``command``, which ``decide`` accepted at ``now``."""
        match command:
            case RecordMsp():
                self.recorded = True
                self.status = "DRAFT"
                self.program = command.program
                self.recorder_id = command.actor.staff_id
                self.restriction_kinds = frozenset(r.kind for r in command.restrictions)
                self.assault_or_stalking = any(
                    i.involved_assault_or_stalking for i in command.triggering_incidents
                )
                self.omc = command.omc_psso
                self.start_date, self.end_date = command.start_date, command.end_date
                self.incidents = [i.incident_id for i in command.triggering_incidents]
            case ApproveMsp():
                self.status = "ACTIVE"
            case RejectMsp():
                self.status = "REJECTED"
            case WithdrawMsp():
                self.status = "WITHDRAWN"
            case RecordNotificationCallAttempt():
                self._contact("CUSTOMER", command.outcome, command.new_incident)
                if command.safety_concern is not None:
                    self.flags.add(command.safety_concern)
            case RecordRepresentativeContact():
                self._contact(command.representative_role, command.outcome, command.new_incident)
            case RecordCustomerInformed():
                self.informed = True
            case RecordDecisionNotToContactDirectly():
                self.waived = True
                self.notes += 1
            case LinkIncident():
                self.incidents.append(command.incident.incident_id)
            case RecordVulnerabilityFlag():
                self.flags.add(command.flag)
            case ClearVulnerabilityFlag():
                self.flags.discard(command.flag)
            case SendMspSms():
                if self._sms_blocks(command):
                    self.sms_blocked += 1
                else:
                    self.sms_sent += 1
            case IssueContactCard():
                self.card_issued = True
            case AttachFinalLetter():
                self.attached_letter = command.letter_id
            case SendMspLetter():
                self.sent_letter = (command.letter_id, command.tracking_id)
                self.letter_outcome = None
                self.card_issued = True
            case RecordPoliceHandDelivery():
                self.police_handovers += 1
                self.notes += 1
            case RecordLetterDeliveryOutcome():
                self.letter_outcome = command.outcome
            case GrantOneOffVariation():
                self.variations += 1
            case InviteCustomerToReview():
                self.status = "UNDER_REVIEW"
            case CompleteReview():
                self.status = "ENDED" if command.outcome == "END_EARLY" else "ACTIVE"
                if command.outcome == "VARY":
                    self._new_round()
                    self.restriction_kinds = frozenset(r.kind for r in command.new_restrictions)
                elif command.outcome == "EXTEND":
                    assert command.new_end_date is not None
                    self._new_round()
                    self.end_date = command.new_end_date
            case ExpireMsp():
                self.status = "EXPIRED"
            case AddMspNote():
                self.notes += 1
            case _:
                pass  # letters of M17 change nothing the model tracks
