"""The plan's state: its status, the configurable rule settings, and what its history makes it."""

from __future__ import annotations

from datetime import date
from typing import Literal, TypedDict
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from recoverycore.events import LocalDatetime, Role
from recoverycore.events.msp import (
    ContactPoint,
    LetterPolicyVersion,
    MspType,
    PersonContacted,
    Program,
    Restriction,
    RestrictionKind,
    SafetyFlag,
)

MspStatus = Literal["DRAFT", "ACTIVE", "UNDER_REVIEW", "REJECTED", "WITHDRAWN", "ENDED", "EXPIRED"]
TERMINAL: frozenset[str] = frozenset({"REJECTED", "WITHDRAWN", "ENDED", "EXPIRED"})
IN_FORCE: frozenset[str] = frozenset({"ACTIVE", "UNDER_REVIEW"})


class MspConfig(BaseModel):
    """The configurable defaults of the MSP rules (the domain reference's ``[A]`` assumptions).

    Every field is documented with the rule it changes; the defaults are the reference's.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_zone: str = "Australia/Sydney"
    """The local time zone in which dates (informed on, end date reached, ...) are reckoned and
    action times are recorded."""
    letter_policy: LetterPolicyVersion = "V2"
    """MSP-A7: which published letter-delivery policy applies. ``V1`` (older): registered
    person-to-person post for write-only, face-to-face or protection-order plans, Priority when
    the incident involved assault or stalking; ``V2`` (newer): Priority for every letter."""
    decision_maker_roles: frozenset[Role] = frozenset({Role.MSP_APPROVER})
    """MSP-R2, MSP-A3: the roles that are approved decision makers."""
    reviewer_roles: frozenset[Role] = frozenset({Role.MSP_REVIEWER, Role.MSP_APPROVER})
    """MSP-A3: the roles that may invite to and complete an MSP review."""
    flag_clearing_roles: frozenset[Role] = frozenset({Role.MSP_APPROVER, Role.SOCIAL_WORKER})
    """MSP-A3: who may clear a suicide/self-harm or FDV flag."""
    require_four_eyes: bool = True
    """MSP-A2: the approver must not be the recorder."""
    max_plan_duration_days: int = Field(default=730, ge=1)
    """MSP-R14: the longest a plan (or an extension) may run, so no restriction is indefinite."""
    min_decision_reason_chars: int = Field(default=20, ge=1)
    """MSP-R15: the shortest reason that can justify a decision."""
    min_behaviour_description_words: int = Field(default=5, ge=1)
    """MSP-R11: a behaviour's factual description has at least this many words beyond
    vague labels."""
    vague_behaviour_terms: frozenset[str] = frozenset(
        {
            "inappropriate",
            "aggressive",
            "abusive",
            "rude",
            "hostile",
            "threatening",
            "unacceptable",
            "difficult",
            "behaviour",
            "behavior",
            "was",
            "is",
            "very",
            "the",
            "customer",
            "and",
        }
    )
    """MSP-R11: words that do not describe what happened."""


DEFAULT_CONFIG = MspConfig()


class MspState(BaseModel):
    """The plan as its history makes it; notification progress is per notification round."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: UUID
    version: int
    crn: str
    program: Program
    msp_type: MspType
    status: MspStatus
    recorder_id: str
    approver_id: str | None = None
    start_date: date
    end_date: date
    restrictions: tuple[Restriction, ...]
    incident_involved_assault_or_stalking: bool
    omc_psso: ContactPoint
    linked_incident_ids: tuple[str, ...] = ()
    safety_flags: tuple[SafetyFlag, ...] = ()
    notification_round: int = 1
    contact_attempts: int = 0
    successful_contacts: tuple[PersonContacted, ...] = ()
    direct_contact_waived: bool = False
    customer_informed_on: date | None = None
    attached_letter_id: str | None = None
    attached_letter_version: int | None = None
    letter_sent_id: str | None = None
    letter_tracking_id: str | None = None
    letter_outcome: Literal["DELIVERED", "RETURNED_TO_SENDER"] | None = None
    contact_card_issued: bool = False
    police_handovers: int = 0
    sms_sent: int = 0
    sms_blocked: int = 0
    notes: int = 0
    one_off_variations: tuple[LocalDatetime, ...] = ()
    closed_on: date | None = None

    @property
    def restriction_kinds(self) -> frozenset[RestrictionKind]:
        return frozenset(r.kind for r in self.restrictions)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def notification_complete(self) -> bool:
        """MSP-R8: the letter was sent and the customer was informed (never by SMS alone)."""
        return self.letter_sent_id is not None and self.customer_informed_on is not None


class MspChanges(TypedDict, total=False):
    """The fields of :class:`MspState` an event changes (what an ``evolve`` change function
    returns), typed as in the state: a misspelt or mistyped field is a type error."""

    status: MspStatus
    approver_id: str | None
    end_date: date
    restrictions: tuple[Restriction, ...]
    linked_incident_ids: tuple[str, ...]
    safety_flags: tuple[SafetyFlag, ...]
    notification_round: int
    contact_attempts: int
    successful_contacts: tuple[PersonContacted, ...]
    direct_contact_waived: bool
    customer_informed_on: date | None
    attached_letter_id: str | None
    attached_letter_version: int | None
    letter_sent_id: str | None
    letter_tracking_id: str | None
    letter_outcome: Literal["DELIVERED", "RETURNED_TO_SENDER"] | None
    contact_card_issued: bool
    police_handovers: int
    sms_sent: int
    sms_blocked: int
    notes: int
    one_off_variations: tuple[LocalDatetime, ...]
    closed_on: date | None
