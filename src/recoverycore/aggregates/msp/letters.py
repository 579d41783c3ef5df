"""The MSP letter and the review invitation: attach, send, police hand-over, delivery."""

from __future__ import annotations

from recoverycore.aggregates.msp._checks import (
    _Ctx,
    _letter_rules,
    _not_in_future,
    _reviewer,
    _status_in,
)
from recoverycore.aggregates.msp._decide import _handles
from recoverycore.aggregates.msp.commands import (
    AttachFinalLetter,
    InviteCustomerToReview,
    RecordLetterDeliveryOutcome,
    RecordPoliceHandDelivery,
    SendMspLetter,
)
from recoverycore.aggregates.msp.state import IN_FORCE, MspState
from recoverycore.events.msp import (
    MspContactCardIssued,
    MspLetterAttached,
    MspLetterDelivered,
    MspLetterHandedByPolice,
    MspLetterReturnedToSender,
    MspLetterSent,
    MspNoteAdded,
    MspReviewInvitationSent,
)


@_handles(AttachFinalLetter, "S3")
def _attach(s: MspState, c: AttachFinalLetter, x: _Ctx) -> None:
    _status_in(x.d, s, IN_FORCE, "attach the MSP letter")
    x.d.require(
        c.approval_status == "FINAL_APPROVED",
        "MSP-R9",
        f"Letter {c.letter_id} version {c.letter_version} is "
        f"{c.approval_status.replace('_', ' ').lower()}; only the final approved letter may "
        "be attached.",
        "Attach the final approved version of the MSP letter.",
    )
    x.d.emit(MspLetterAttached, letter_id=c.letter_id, letter_version=c.letter_version)


@_handles(SendMspLetter, "S3")
def _send_letter(s: MspState, c: SendMspLetter, x: _Ctx) -> None:
    _status_in(x.d, s, IN_FORCE, "send the MSP letter")
    x.d.require(
        s.attached_letter_id is not None and s.attached_letter_id == c.letter_id,
        "MSP-R9",
        f"Letter {c.letter_id} is not the final approved letter attached to the MSP.",
        "Attach the final approved letter first, and send that letter.",
    )
    x.d.require(
        c.includes_contact_card,
        "MSP-A6",
        "The MSP letter is sent without the OMC/PSSO contact card.",
        "Include the OMC/PSSO contact card with the letter.",
    )
    _letter_rules(x.d, s, c, x.config)
    x.d.emit(
        MspLetterSent,
        letter_id=c.letter_id,
        address=c.address,
        delivery_method=c.delivery_method,
        tracking_id=c.tracking_id,
        includes_contact_card=c.includes_contact_card,
        includes_review_rights=c.includes_review_rights,
        contact_invitations=c.contact_invitations,
        policy_version=x.config.letter_policy,
    )
    if not s.contact_card_issued:
        x.d.emit(MspContactCardIssued, omc_psso=s.omc_psso, issued_via="WITH_LETTER")


@_handles(RecordPoliceHandDelivery, "S3")
def _police(s: MspState, c: RecordPoliceHandDelivery, x: _Ctx) -> None:
    _status_in(x.d, s, IN_FORCE, "record a police hand-over")
    _not_in_future(x.d, c.handed_at, "police hand-over")
    x.d.require(
        c.serious_case and c.local_arrangement_exists,
        "MSP-R10",
        "Police hand the letter over only in serious cases where local arrangements exist.",
        "Send the letter by post.",
    )
    x.d.require(
        s.attached_letter_id == c.letter_id,
        "MSP-R9",
        f"Letter {c.letter_id} is not the final approved letter attached to the MSP.",
        "Only the attached final approved letter may be handed over.",
    )
    x.d.emit(
        MspLetterHandedByPolice,
        letter_id=c.letter_id,
        police_station=c.police_station,
        police_officer=c.police_officer,
        handed_at=c.handed_at,
    )
    x.d.emit(
        MspNoteAdded,
        note_type="POLICE_DELIVERY",
        text=f"Letter {c.letter_id} handed to the customer by {c.police_officer} "
        f"({c.police_station}); postal delivery still applies.",
    )


@_handles(RecordLetterDeliveryOutcome, "S3")
def _delivery(s: MspState, c: RecordLetterDeliveryOutcome, x: _Ctx) -> None:
    _status_in(x.d, s, IN_FORCE, "record the letter's delivery")
    _not_in_future(x.d, c.outcome_at, "delivery outcome")
    x.d.require(
        s.letter_sent_id == c.letter_id and s.letter_tracking_id == c.tracking_id,
        "MSP-A7",
        f"No MSP letter {c.letter_id} with tracking id {c.tracking_id} has been sent.",
        "Record the outcome against the letter and tracking id that were sent.",
    )
    if c.outcome == "DELIVERED":
        x.d.emit(
            MspLetterDelivered,
            letter_id=c.letter_id,
            tracking_id=c.tracking_id,
            outcome_at=c.outcome_at,
        )
        return
    x.d.require(
        bool(c.rts_reason.strip()),
        "MSP-A7",
        "A returned-to-sender outcome needs the reason it was returned.",
        "Give the reason shown by Australia Post.",
    )
    x.d.emit(
        MspLetterReturnedToSender,
        letter_id=c.letter_id,
        tracking_id=c.tracking_id,
        outcome_at=c.outcome_at,
        rts_reason=c.rts_reason,
    )


@_handles(InviteCustomerToReview, "S3")
def _invite(s: MspState, c: InviteCustomerToReview, x: _Ctx) -> None:
    _status_in(x.d, s, {"ACTIVE"}, "invite the customer to a review")
    _reviewer(x.d, x.config)
    _letter_rules(x.d, s, c, x.config)
    x.d.emit(
        MspReviewInvitationSent,
        letter_id=c.letter_id,
        delivery_method=c.delivery_method,
        tracking_id=c.tracking_id,
        policy_version=x.config.letter_policy,
    )
