"""What the MSP rule tests share: the default plan, histories at each status, and builders for
the commands :class:`~recoverycore.testing.MspBuilder` does not cover.

Each test decides one command against a history with the pure ``decide`` (no storage) and
checks the events it would record, or the rule that refuses it. Every refusal must say what
is wrong and what to do instead (:func:`refused`); every accepted event names the rules that
were checked (:func:`accepted`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TypeVar

from recoverycore.aggregates.msp import (
    CALL_CHECKLIST,
    AddMspNote,
    ClearVulnerabilityFlag,
    CompleteReview,
    ExpireMsp,
    GrantOneOffVariation,
    InviteCustomerToReview,
    IssueContactCard,
    LinkIncident,
    MspCommand,
    MspConfig,
    MspState,
    RecordCustomerInformed,
    RecordDecisionNotToContactDirectly,
    RecordPoliceHandDelivery,
    RecordRepresentativeContact,
    RecordVulnerabilityFlag,
    WithdrawMsp,
    required_delivery_method,
)
from recoverycore.events import DomainEvent, Role
from recoverycore.events.msp import IncidentRef, Restriction, RestrictionKind
from recoverycore.testing import (
    EPOCH,
    MspBuilder,
    Scenario,
    assert_accepted,
    assert_refused,
    given,
    msp_builder,
    staff,
)

C = TypeVar("C", bound=MspCommand)

B = msp_builder()
"""A Centrelink plan with a full face-to-face restriction, recorded and decided at EPOCH."""
LATER = EPOCH + timedelta(minutes=30)
END = EPOCH + timedelta(days=182)
"""The default plan's end date (182 days after it starts), at the same time of day."""
CHECKLIST = tuple(sorted(CALL_CHECKLIST))
REASONS = ("The customer's conduct at two sites makes this proportionate and necessary.",)
REGISTERED = "PRIORITY_REGISTERED_PERSON_TO_PERSON"
NEW_INCIDENT = IncidentRef(incident_id="CIMS-2026-0042", system="CIMS")
OFFICER = staff(Role.OMC, "omc-1", aps_level="APS4")
SOCIAL_WORKER = staff(Role.SOCIAL_WORKER)


# -- helpers --------------------------------------------------------------------------------------
def names(events: Sequence[DomainEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


# The rule tests' refused/accepted are the public kit's assertions.
refused = assert_refused
accepted = assert_accepted


def after(scenario: Scenario, *commands: MspCommand) -> MspState:
    for command in commands:
        scenario = scenario.then(command)
    assert scenario.state is not None
    return scenario.state


def make(cls: type[C], b: MspBuilder = B, **fields: Any) -> C:
    command: C = b.command(cls, **fields)
    return command


def draft(b: MspBuilder = B) -> Scenario:
    return given(b.recorded(), now=b.now).configured(b.config)


def active(b: MspBuilder = B) -> Scenario:
    return given(b.approved_plan(), now=b.now).configured(b.config)


def notified(b: MspBuilder = B) -> Scenario:
    return given(b.notified_plan(), now=b.now).configured(b.config)


def letter_attached(b: MspBuilder = B) -> Scenario:
    return active(b).then(b.attach())


def flagged(flag: str, b: MspBuilder = B) -> Scenario:
    return active(b).then(flag_command(flag))


def under_review(b: MspBuilder = B) -> Scenario:
    return notified(b).then(invite(b))


def plan_for(
    *kinds: RestrictionKind,
    policy: str = "V2",
    assault_or_stalking: bool = False,
    program: str = "CENTRELINK",
) -> tuple[MspBuilder, Scenario]:
    """An approved plan with these restrictions under this letter policy."""
    config = MspConfig.model_validate({"letter_policy": policy})
    b = msp_builder(
        restrictions=tuple(Restriction(kind=k) for k in kinds), config=config, program=program
    )
    incident = IncidentRef(
        incident_id="CIMS-2026-0001",
        system="CIMS",
        involved_assault_or_stalking=assault_or_stalking,
    )
    scenario = (
        given(now=b.now)
        .configured(config)
        .then(b.record(triggering_incidents=(incident,)))
        .then(b.approve())
    )
    return b, scenario


# -- command builders for commands MspBuilder does not cover ---------------------------------------
def withdraw(**kw: Any) -> WithdrawMsp:
    return make(WithdrawMsp, **{"actor": B.approver, "reasons": REASONS, **kw})


def informed(channel: str = "PHONE", **kw: Any) -> RecordCustomerInformed:
    return make(RecordCustomerInformed, channel=channel, **kw)


def waive(**kw: Any) -> RecordDecisionNotToContactDirectly:
    fields: dict[str, Any] = {
        "alternative": "REPRESENTATIVE",
        "reasons": ("The customer threatened the OMC on the last call; contact the nominee.",),
    }
    return make(RecordDecisionNotToContactDirectly, **{**fields, **kw})


def representative_call(**kw: Any) -> RecordRepresentativeContact:
    fields: dict[str, Any] = {
        "representative_role": "NOMINEE",
        "representative_name": "Sam Nominee",
        "number_called": "0411 111 111",
        "outcome": "ENGAGED_SUCCESSFUL",
        "topics_covered": CHECKLIST,
        "note_text": "Explained the MSP to the nominee, who will tell the customer.",
    }
    return make(RecordRepresentativeContact, **{**fields, **kw})


def link(**kw: Any) -> LinkIncident:
    return make(LinkIncident, **{"incident": NEW_INCIDENT, **kw})


def flag_command(flag: str) -> RecordVulnerabilityFlag:
    return make(RecordVulnerabilityFlag, flag=flag, source="Customer said so on the phone.")


def clear_flag(flag: str, **kw: Any) -> ClearVulnerabilityFlag:
    fields: dict[str, Any] = {
        "actor": SOCIAL_WORKER,
        "reasons": ("Social worker assessment: no current risk of self-harm.",),
    }
    return make(ClearVulnerabilityFlag, flag=flag, **{**fields, **kw})


def card(b: MspBuilder = B, **kw: Any) -> IssueContactCard:
    return make(IssueContactCard, b, **{"omc_psso": b.omc, "issued_via": "IN_PERSON", **kw})


def police(**kw: Any) -> RecordPoliceHandDelivery:
    fields: dict[str, Any] = {
        "letter_id": "L-1",
        "police_station": "Parramatta Police Station",
        "police_officer": "Sgt Lee",
        "handed_at": EPOCH,
        "serious_case": True,
        "local_arrangement_exists": True,
    }
    return make(RecordPoliceHandDelivery, **{**fields, **kw})


def variation(b: MspBuilder = B, **kw: Any) -> GrantOneOffVariation:
    fields: dict[str, Any] = {
        "actor": b.approver,
        "appointment_at": b.now + timedelta(days=7),
        "site": "Parramatta Service Centre",
        "purpose": "Identity check that needs original documents.",
    }
    return make(GrantOneOffVariation, b, **{**fields, **kw})


def required_method(b: MspBuilder) -> str:
    kinds = {r.kind for r in b.restrictions}
    return required_delivery_method(b.config.letter_policy, kinds, False)


def invite(b: MspBuilder = B, **kw: Any) -> InviteCustomerToReview:
    fields: dict[str, Any] = {
        "actor": b.reviewer,
        "letter_id": "R-1",
        "delivery_method": required_method(b),
        "tracking_id": "AP-R1",
        "contact_invitations": ("WRITING",),
    }
    return make(InviteCustomerToReview, b, **{**fields, **kw})


def review(outcome: str, **kw: Any) -> CompleteReview:
    return make(
        CompleteReview, **{"actor": B.approver, "reasons": REASONS, "outcome": outcome, **kw}
    )


def aggression_letter(cls: type[C], b: MspBuilder = B, **kw: Any) -> C:
    fields: dict[str, Any] = {
        "letter_id": "W-1",
        "delivery_method": required_method(b),
        "tracking_id": "AP-W1",
        "contact_invitations": ("WRITING",),
    }
    return make(cls, b, **{**fields, **kw})


def expire(**kw: Any) -> ExpireMsp:
    return make(ExpireMsp, **{"actor": staff(Role.MSP_APPROVER), **kw})


def note(**kw: Any) -> AddMspNote:
    return make(AddMspNote, **{"text": "Customer's nominee asked for a copy of the letter.", **kw})
