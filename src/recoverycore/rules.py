"""The rule catalogue: every rule recoverycore enforces, its text, and where it comes from.

Ids ``MSP-R*``, ``CMR-R*`` and ``X-R*`` are the domain reference's own (``spec/domain.md``).
Ids ending in ``-A*`` are rules the reference states as preconditions or marks as assumptions
(``[A]``) without giving them an id; ``assumption`` says which of them are configurable defaults
rather than the procedure's words, and ``setting`` names the :class:`~recoverycore.MspConfig`
field that changes them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["CATALOGUE", "Rule", "rule"]

MSP_PROC = "104-07050030"


class Rule(BaseModel):
    """One entry of the catalogue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    text: str
    procedure: str
    source_step: str
    sources: tuple[str, ...]
    applies_to: Literal["ManagedServicePlan", "CaseManagedRecovery", "Any"]
    assumption: bool = False
    setting: str | None = None


def _msp(
    rule_id: str,
    text: str,
    step: str,
    *sources: str,
    assumption: bool = False,
    setting: str | None = None,
) -> Rule:
    return Rule(
        id=rule_id,
        text=text,
        procedure=MSP_PROC,
        source_step=f"{MSP_PROC} {step}",
        sources=sources,
        applies_to="ManagedServicePlan",
        assumption=assumption,
        setting=setting,
    )


_RULES: tuple[Rule, ...] = (
    _msp("MSP-R1", "An MSP SMS may be sent only to Centrelink customers.", "S2", "S-MSP S2"),
    _msp(
        "MSP-R2",
        "An MSP SMS may be sent only by an approved decision maker.",
        "S2",
        "S-MSP S2",
        setting="decision_maker_roles",
    ),
    _msp(
        "MSP-R3",
        "An MSP SMS may be sent only in one of the five listed circumstances, "
        "and the circumstance must be given.",
        "S2",
        "S-MSP S2",
    ),
    _msp(
        "MSP-R4",
        "No MSP SMS when the mobile number is recorded on multiple records; the "
        "phone and letter notification provisions apply instead.",
        "S2",
        "S-MSP S2",
    ),
    _msp(
        "MSP-R5",
        "The SMS/Email Search (SMEM) screen is checked before a customer aggression "
        "desktop message is sent.",
        "S2",
        "S-MSP S2",
    ),
    _msp(
        "MSP-R6",
        "No MSP SMS to a customer talking about suicide or self-harm; follow the "
        "suicide or self-harm procedure (warm transfer to a social worker, 000 if in danger).",
        "S2",
        "S-MSP S2",
        "OB-SUI",
    ),
    _msp(
        "MSP-R7",
        "No MSP SMS where family and domestic violence with an immediate threat to "
        "safety was witnessed; follow local response guidelines.",
        "S2",
        "S-MSP S2",
    ),
    _msp(
        "MSP-R8",
        "An SMS complements, never replaces, the letter: the customer is not informed "
        "by SMS and notification is never complete without the MSP letter being sent.",
        "S2, S3",
        "S-MSP S2",
        "S-MSP S3",
    ),
    _msp(
        "MSP-R9",
        "The customer is advised in writing, and only the final approved letter may "
        "be attached to the MSP and sent.",
        "S3",
        "S-MSP S3",
    ),
    _msp(
        "MSP-R10",
        "Staff and security guards must not leave the premises to hand-deliver the "
        "letter; a police hand-over is recorded in the notes and does not replace postal "
        "delivery.",
        "S3",
        "S-MSP S3",
        "OB-MSP-01",
    ),
    _msp(
        "MSP-R11",
        "Behaviours are explained with a factual description, not summarised as "
        "'inappropriate' or 'aggressive'.",
        "S1",
        "S-MSP S1",
        setting="vague_behaviour_terms, min_behaviour_description_words",
    ),
    _msp(
        "MSP-R12",
        "A note is added for every attempted or successful contact, and any decision "
        "not to contact the customer directly is documented with its reason before a "
        "representative is contacted instead.",
        "S1",
        "S-MSP S1",
    ),
    _msp(
        "MSP-R13",
        "If the customer displays aggression or counterproductive behaviour during "
        "implementation, a new incident is recorded and linked to the MSP.",
        "S1",
        "S-MSP S1",
    ),
    _msp(
        "MSP-R14",
        "Restrictions are time-limited (a finite end date after the start, within "
        "the maximum duration) with reasons for the duration; letters state review rights and "
        "never contradict a restriction (e.g. inviting a write-only customer to phone).",
        "S1, S3",
        "OMB-2010",
        "OMB-2008",
        assumption=True,
        setting="max_plan_duration_days",
    ),
    _msp(
        "MSP-R15",
        "Decisions carry enough detail to justify them, and a face-to-face "
        "restriction records the less restrictive alternatives considered.",
        "S1",
        "OMB-2008",
        assumption=True,
        setting="min_decision_reason_chars",
    ),
    _msp(
        "MSP-A1",
        "A command must suit the plan's status; a rejected, withdrawn, ended or "
        "expired plan accepts no changing command.",
        "S1-S3 (states, spec 1.5)",
        "S-MSP S1",
        assumption=True,
    ),
    _msp(
        "MSP-A2",
        "Four eyes: the officer who approves or rejects an MSP is not the one who recorded it.",
        "S1 (approval, spec 1.2)",
        "OMB-2008",
        assumption=True,
        setting="require_four_eyes",
    ),
    _msp(
        "MSP-A3",
        "Only an approved decision maker approves, rejects, withdraws, varies or "
        "extends an MSP or grants a one-off variation; only a reviewer or decision maker "
        "invites to and completes a review.",
        "S2 (approved decision makers)",
        "S-MSP S2",
        "OB-MSP-06",
        assumption=True,
        setting="decision_maker_roles, reviewer_roles",
    ),
    _msp(
        "MSP-A4",
        "The 'Date customer informed of MSP' is set only after a successful contact "
        "with the customer or their representative, or a confirmed letter delivery.",
        "S1",
        "S-MSP S1",
    ),
    _msp(
        "MSP-A5",
        "A successful notification call covers the whole Step 1 checklist (reasons, "
        "duration, behaviours, restrictions and consequences, access, OMC/PSSO details, "
        "contact details, letter and card); otherwise it is recorded as unproductive.",
        "S1",
        "S-MSP S1",
    ),
    _msp(
        "MSP-A6",
        "The letter includes the OMC/PSSO contact card, and the card carries the "
        "OMC/PSSO's contact details.",
        "S1, S3",
        "S-MSP S1",
        "S-MSP S3",
    ),
    _msp(
        "MSP-A7",
        "MSP and customer aggression letters are sent by the delivery method of the "
        "configured published letter policy (V1: registered person-to-person for write-only, "
        "face-to-face or protection-order plans, Priority after assault or stalking; V2: "
        "Priority for all), tracked, and the outcome matches the letter sent.",
        "S3",
        "OB-MSP-01",
        setting="letter_policy",
    ),
    _msp(
        "MSP-A8",
        "A one-off variation is granted only under a full or partial face-to-face "
        "restriction, for one appointment inside the plan's period.",
        "S1",
        "S-MSP S1",
        assumption=True,
    ),
    _msp(
        "MSP-A9",
        "A plan expires only once its end date is reached; a review that varies or "
        "extends a plan needs a finite new end date or new restrictions and a fresh "
        "notification.",
        "spec 1.6 M16, M18",
        "OB-MSP-01",
        assumption=True,
    ),
    _msp(
        "MSP-A10",
        "An action cannot be recorded as happening later than it is recorded, and "
        "an MSP id is used once.",
        "spec 3.1",
        "ACCC §10",
    ),
)

CATALOGUE: dict[str, Rule] = {r.id: r for r in _RULES}
"""Every rule recoverycore enforces, by id."""


def rule(rule_id: str) -> Rule:
    """The catalogue entry for ``rule_id`` (``KeyError`` if there is none)."""
    return CATALOGUE[rule_id]
