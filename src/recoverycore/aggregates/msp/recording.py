"""Recording the plan and deciding on it: record, approve, reject, withdraw, one-off
variation, review, the customer aggression letters, expiry and notes."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from recoverycore.aggregates._decider import Decision
from recoverycore.aggregates.msp._checks import (
    _Ctx,
    _decision_maker,
    _justified,
    _letter_rules,
    _reviewer,
    _status_in,
)
from recoverycore.aggregates.msp._decide import HANDLERS, Handler, _handles
from recoverycore.aggregates.msp.commands import (
    AddMspNote,
    ApproveMsp,
    CompleteReview,
    ExpireMsp,
    GrantOneOffVariation,
    RecordMsp,
    RejectMsp,
    SendBehaviourWarning,
    SendRestrictionReminder,
    WithdrawMsp,
    _Letter,
)
from recoverycore.aggregates.msp.state import IN_FORCE, MspConfig, MspState
from recoverycore.events.msp import (
    CustomerAggressionLetterSent,
    MspApproved,
    MspEnded,
    MspExpired,
    MspExtended,
    MspNoteAdded,
    MspOneOffVariationGranted,
    MspRecorded,
    MspRejected,
    MspReviewed,
    MspVaried,
    MspWithdrawn,
)

_FACE_TO_FACE = frozenset({"FULL_FACE_TO_FACE", "PARTIAL_FACE_TO_FACE"})
_WORD = re.compile(r"[a-z']+")


@HANDLERS.creates(RecordMsp, "S1")
def _record(state: None, c: RecordMsp, x: _Ctx) -> None:
    x.d.require(
        bool(c.behaviours),
        "MSP-R11",
        "No behaviours taken into consideration are recorded.",
        "Describe each behaviour: what the customer said or did, when and where.",
    )
    for behaviour in c.behaviours:
        words = _WORD.findall(behaviour.description.lower())
        factual = [w for w in words if w not in x.config.vague_behaviour_terms]
        x.d.require(
            len(factual) >= x.config.min_behaviour_description_words
            and behaviour.description.strip().lower() != behaviour.label.strip().lower(),
            "MSP-R11",
            f"The behaviour '{behaviour.label}' is summarised rather than explained.",
            "Do not summarise behaviours as 'inappropriate' or 'aggressive': say what the "
            "customer actually said or did, when and where.",
        )
    if c.msp_type == "REACTIVE":
        x.d.require(
            bool(c.triggering_incidents),
            "MSP-R15",
            "A reactive MSP results from a specific incident, but none is given.",
            "Give the CIMS/CIRT incident that led to the MSP, or record a proactive MSP.",
        )
    else:
        x.d.require(
            any(v.strip() for v in c.vulnerabilities),
            "MSP-R15",
            "A proactive MSP supports the customer by addressing vulnerabilities, but none is "
            "given.",
            "Name the vulnerabilities the MSP addresses.",
        )
    kinds = {r.kind for r in c.restrictions}
    if kinds & {"WRITE_ONLY", "FULL_FACE_TO_FACE"}:
        x.d.require(
            bool(c.alternatives_considered.strip()),
            "MSP-R15",
            "A write-only or full face-to-face restriction is proposed without recording the "
            "less restrictive arrangements considered.",
            "Record which alternative servicing arrangements were considered and why they are "
            "not enough.",
        )
    x.d.require(
        c.end_date > c.start_date,
        "MSP-R14",
        "The MSP has no end date after its start date; restrictions must be time-limited.",
        "Give an end date after the start date.",
    )
    x.d.require(
        (c.end_date - c.start_date).days <= x.config.max_plan_duration_days,
        "MSP-R14",
        f"The MSP would run {(c.end_date - c.start_date).days} days, longer than the maximum "
        f"of {x.config.max_plan_duration_days}.",
        "Set a shorter duration; it can be extended at review.",
    )
    x.d.require(
        len(c.duration_reasons.strip()) >= x.config.min_decision_reason_chars,
        "MSP-R14",
        "The reasons for the MSP's duration are missing or too brief.",
        "Explain why the MSP runs for this long.",
    )
    x.d.emit(
        MspRecorded,
        crn=c.crn,
        program=c.program,
        msp_type=c.msp_type,
        triggering_incidents=c.triggering_incidents,
        vulnerabilities=c.vulnerabilities,
        behaviours=c.behaviours,
        restrictions=c.restrictions,
        start_date=c.start_date,
        end_date=c.end_date,
        duration_reasons=c.duration_reasons,
        alternatives_considered=c.alternatives_considered,
        omc_psso=c.omc_psso,
        customer_contact=c.customer_contact,
    )


def _approval_checks(d: Decision, s: MspState, config: MspConfig, doing: str) -> None:
    _status_in(d, s, {"DRAFT"}, doing)
    _decision_maker(d, config, doing)
    if config.require_four_eyes:
        d.require(
            d.command.actor.staff_id != s.recorder_id,
            "MSP-A2",
            f"{d.command.actor.staff_id} recorded this MSP and so cannot also decide it.",
            "Ask another approved decision maker to make the decision.",
        )
    _justified(d, config, doing)


@_handles(ApproveMsp, "S1")
def _approve(s: MspState, c: ApproveMsp, x: _Ctx) -> None:
    _approval_checks(x.d, s, x.config, "approve the MSP")
    x.d.emit(MspApproved)


@_handles(RejectMsp, "S1")
def _reject(s: MspState, c: RejectMsp, x: _Ctx) -> None:
    _approval_checks(x.d, s, x.config, "reject the MSP")
    x.d.emit(MspRejected)


@_handles(WithdrawMsp, "S1")
def _withdraw(s: MspState, c: WithdrawMsp, x: _Ctx) -> None:
    _status_in(x.d, s, {"DRAFT", *IN_FORCE}, "withdraw the MSP")
    _decision_maker(x.d, x.config, "withdraw the MSP")
    _justified(x.d, x.config, "withdraw the MSP")
    x.d.emit(MspWithdrawn)


@_handles(GrantOneOffVariation, "S1")
def _variation(s: MspState, c: GrantOneOffVariation, x: _Ctx) -> None:
    _status_in(x.d, s, IN_FORCE, "grant a one-off variation")
    _decision_maker(x.d, x.config, "grant a one-off variation")
    x.d.require(
        bool(s.restriction_kinds & _FACE_TO_FACE),
        "MSP-A8",
        "A one-off variation is only for a customer under a face-to-face restriction.",
        "No variation is needed: the customer may attend.",
    )
    x.d.require(
        s.start_date <= x.d.local_date(c.appointment_at) < s.end_date
        and c.appointment_at > x.d.occurred_at,
        "MSP-A8",
        "The appointment is not a future date inside the MSP's period (the plan is no longer "
        "in force from its end date, MSP-A11).",
        f"Book an appointment after now and before the end date, {s.end_date.isoformat()}.",
    )
    x.d.emit(
        MspOneOffVariationGranted,
        appointment_at=c.appointment_at,
        site=c.site,
        purpose=c.purpose,
    )


@_handles(CompleteReview, "S1")
def _complete_review(s: MspState, c: CompleteReview, x: _Ctx) -> None:
    _status_in(x.d, s, {"UNDER_REVIEW"}, "complete a review")
    if c.outcome in ("VARY", "EXTEND"):
        _decision_maker(x.d, x.config, f"{c.outcome.lower()} the MSP")
    else:
        _reviewer(x.d, x.config)
    _justified(x.d, x.config, "complete the review")
    extended_to: date | None = None
    if c.outcome == "EXTEND":
        later_end_date = (
            "MSP-A9",
            "An extension needs a new end date after the current one.",
            f"Give a new end date after {s.end_date.isoformat()}.",
        )
        extended_to = x.d.required(c.new_end_date, *later_end_date)
        x.d.require(extended_to > s.end_date, *later_end_date)
        x.d.require(
            (extended_to - x.d.local_date()).days <= x.config.max_plan_duration_days,
            "MSP-R14",
            "The extension would keep the restrictions longer than the maximum duration.",
            "Extend for a shorter time; it can be reviewed again.",
        )
    if c.outcome == "VARY":
        x.d.require(
            bool(c.new_restrictions),
            "MSP-A9",
            "A variation needs the new restrictions.",
            "Give the restrictions that apply from now on.",
        )
        kinds = {r.kind for r in c.new_restrictions}
        if kinds & {"WRITE_ONLY", "FULL_FACE_TO_FACE"}:
            x.d.require(
                bool(c.alternatives_considered.strip()),
                "MSP-R15",
                "A write-only or full face-to-face restriction needs the less restrictive "
                "alternatives considered.",
                "Record the alternatives considered.",
            )
    x.d.emit(MspReviewed, outcome=c.outcome)
    if c.outcome == "VARY":
        x.d.emit(MspVaried, new_restrictions=c.new_restrictions)
    elif c.outcome == "EXTEND" and extended_to is not None:
        x.d.emit(MspExtended, new_end_date=extended_to)
    elif c.outcome == "END_EARLY":
        x.d.emit(MspEnded, ended_on=x.d.local_date())


def _aggression_letter(
    kind: Literal["BEHAVIOUR_WARNING", "RESTRICTION_REMINDER"],
) -> Handler[_Letter]:
    def handler(s: MspState, c: _Letter, x: _Ctx) -> None:
        _status_in(x.d, s, IN_FORCE, f"send a {kind.replace('_', ' ').lower()}")
        _letter_rules(x.d, s, c, x.config)
        x.d.emit(
            CustomerAggressionLetterSent,
            kind=kind,
            letter_id=c.letter_id,
            delivery_method=c.delivery_method,
            tracking_id=c.tracking_id,
            includes_review_rights=c.includes_review_rights,
            contact_invitations=c.contact_invitations,
            policy_version=x.config.letter_policy,
        )

    return handler


_handles(SendBehaviourWarning, "S3")(_aggression_letter("BEHAVIOUR_WARNING"))
_handles(SendRestrictionReminder, "S3")(_aggression_letter("RESTRICTION_REMINDER"))


@_handles(ExpireMsp, "S1")
def _expire(s: MspState, c: ExpireMsp, x: _Ctx) -> None:
    _status_in(x.d, s, IN_FORCE, "expire the MSP")
    x.d.require(
        x.d.local_date() >= s.end_date,
        "MSP-A9",
        f"The MSP runs until {s.end_date.isoformat()} and has not reached its end date.",
        "Wait for the end date, or complete a review that ends it early.",
    )
    x.d.emit(MspExpired, expired_on=x.d.local_date())


@_handles(AddMspNote, "S1")
def _note(s: MspState, c: AddMspNote, x: _Ctx) -> None:
    x.d.emit(MspNoteAdded, note_type="OTHER", text=c.text)
