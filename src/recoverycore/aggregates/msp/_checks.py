"""Checks several MSP handlers share: status, decision makers, reasons, calls, letters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import get_args

from recoverycore.aggregates._decider import Decision
from recoverycore.aggregates.customer.state import CustomerState
from recoverycore.aggregates.msp.commands import _Letter
from recoverycore.aggregates.msp.state import MspConfig, MspState
from recoverycore.events.msp import CallTopic, DeliveryMethod, IncidentRef, LetterPolicyVersion


class _Ctx:
    """What an MSP handler needs besides the state and the command."""

    def __init__(
        self, d: Decision, config: MspConfig, customer: CustomerState | None = None
    ) -> None:
        self.d = d
        self.config = config
        self.customer = customer
        """The customer's record, as the application supplies it (``None``: none yet)."""


CALL_CHECKLIST: frozenset[CallTopic] = frozenset(get_args(CallTopic))
"""Step 1's checklist: what a successful notification call covers."""
_HAND_DELIVERY = frozenset({"STAFF_HAND_DELIVERY", "SECURITY_GUARD_HAND_DELIVERY"})
_V1_REGISTERED = frozenset(
    {"WRITE_ONLY", "FULL_FACE_TO_FACE", "PARTIAL_FACE_TO_FACE", "PROTECTION_ORDER_EXISTS"}
)
# Which letter invitations contradict which restriction (MSP-R14, [OMB-2010]).
_CONTRADICTIONS: dict[str, frozenset[str]] = {
    "WRITE_ONLY": frozenset({"PHONE", "FACE_TO_FACE"}),
    "FULL_FACE_TO_FACE": frozenset({"FACE_TO_FACE"}),
    "PHONE_ONLY": frozenset({"FACE_TO_FACE"}),
}


def _status_in(d: Decision, state: MspState, allowed: Iterable[str], doing: str) -> None:
    allowed = frozenset(allowed)
    d.require(
        state.status in allowed,
        "MSP-A1",
        f"Cannot {doing} while the MSP is {state.status.lower()}.",
        f"This is possible only when the MSP is {' or '.join(sorted(allowed)).lower()}.",
    )


def _not_in_future(d: Decision, when: datetime, what: str) -> None:
    d.require(
        when <= d.now,
        "MSP-A10",
        f"The {what} is dated later than the time it is being recorded.",
        "Record it once it has happened, with the time it happened.",
    )


def _decision_maker(d: Decision, config: MspConfig, doing: str, rule_id: str = "MSP-A3") -> None:
    d.require(
        d.command.actor.role in config.decision_maker_roles,
        rule_id,
        f"Only an approved decision maker may {doing}; "
        f"{d.command.actor.staff_id} acts as {d.command.actor.role.value}.",
        "Ask an approved MSP decision maker to do this.",
    )


def _justified(d: Decision, config: MspConfig, doing: str) -> None:
    text = " ".join(r.strip() for r in d.command.reasons)
    d.require(
        len(text) >= config.min_decision_reason_chars,
        "MSP-R15",
        f"The reasons given to {doing} are missing or too brief to justify the decision.",
        f"Give the reasons in at least {config.min_decision_reason_chars} characters: what "
        "was considered and why this decision was made.",
    )


def _note_given(d: Decision, note_text: str) -> None:
    d.require(
        bool(note_text.strip()),
        "MSP-R12",
        "Every attempted or successful contact needs an MSP note, and none was given.",
        "Write a note saying who was called, on which number, and what happened.",
    )


def _successful_call_checklist(d: Decision, outcome: str, topics: Iterable[str]) -> None:
    if outcome != "ENGAGED_SUCCESSFUL":
        return
    missing = sorted(CALL_CHECKLIST - frozenset(topics))
    d.require(
        not missing,
        "MSP-A5",
        "A successful notification call must cover the whole Step 1 checklist; missing: "
        + ", ".join(m.lower().replace("_", " ") for m in missing)
        + ".",
        "Cover the missing points, or record the call as unproductive.",
    )


def _aggression_incident(d: Decision, outcome: str, incident: IncidentRef | None) -> None:
    if outcome == "AGGRESSION":
        d.require(
            incident is not None,
            "MSP-R13",
            "The customer displayed aggression during the call but no new incident is linked.",
            "Record a new incident in CIMS/CIRT (see Customer aggression - Response) and give "
            "its id with the call.",
        )


def _required_method(state: MspState, config: MspConfig) -> DeliveryMethod:
    return required_delivery_method(
        config.letter_policy, state.restriction_kinds, state.incident_involved_assault_or_stalking
    )


def required_delivery_method(
    policy: LetterPolicyVersion,
    restriction_kinds: Iterable[str],
    incident_involved_assault_or_stalking: bool,
) -> DeliveryMethod:
    """MSP-A7: the delivery method the published letter policy requires for a plan."""
    if policy == "V2":
        return "PRIORITY"
    if incident_involved_assault_or_stalking:
        return "PRIORITY"
    if _V1_REGISTERED & frozenset(restriction_kinds):
        return "PRIORITY_REGISTERED_PERSON_TO_PERSON"
    return "PRIORITY"


def _letter_rules(d: Decision, state: MspState, command: _Letter, config: MspConfig) -> None:
    d.require(
        command.delivery_method not in _HAND_DELIVERY,
        "MSP-R10",
        "Staff and security guards must not leave the premises to hand-deliver the letter.",
        "Post the letter; in serious cases local police may hand it over where arrangements "
        "exist (record that separately).",
    )
    required = _required_method(state, config)
    d.require(
        command.delivery_method == required,
        "MSP-A7",
        f"Letter policy {config.letter_policy} requires {required.replace('_', ' ').lower()} "
        f"for this MSP, not {command.delivery_method.replace('_', ' ').lower()}.",
        f"Send it by {required.replace('_', ' ').lower()}.",
    )
    d.require(
        bool(command.tracking_id.strip()),
        "MSP-A7",
        "The letter has no tracking id, so its delivery cannot be confirmed.",
        "Record the Australia Post tracking id.",
    )
    d.require(
        command.includes_review_rights,
        "MSP-R14",
        "The letter does not tell the customer how to seek a review of the decision.",
        "Use the approved letter that states the customer's review rights.",
    )
    contradicted = sorted(
        {
            channel
            for kind in state.restriction_kinds
            for channel in command.contact_invitations
            if channel in _CONTRADICTIONS.get(kind, frozenset())
        }
    )
    d.require(
        not contradicted,
        "MSP-R14",
        "The letter invites the customer to make contact by "
        + ", ".join(c.replace("_", " ").lower() for c in contradicted)
        + ", which their servicing restriction does not allow.",
        "Use correspondence that only offers the channels the MSP allows.",
    )


def _reviewer(d: Decision, config: MspConfig) -> None:
    d.require(
        d.command.actor.role in config.reviewer_roles,
        "MSP-A3",
        "Only an MSP reviewer or decision maker may conduct an MSP review.",
        "Ask an MSP reviewer to do this.",
    )
