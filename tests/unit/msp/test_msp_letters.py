"""The MSP letter and the review invitation (procedure 104-07050030): attach and send (M10,
M11), the delivery method by letter policy (A7), police hand-over (M12), delivery outcome (M13)
and the review invitation (M15). Helpers are in ``msp_support.py``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from msp_support import (
    OFFICER,
    REGISTERED,
    B,
    accepted,
    active,
    after,
    aggression_letter,
    card,
    invite,
    letter_attached,
    names,
    notified,
    plan_for,
    police,
    refused,
)

from recoverycore.aggregates.msp import (
    SendBehaviourWarning,
    SendRestrictionReminder,
    required_delivery_method,
)
from recoverycore.events.msp import (
    MspLetterHandedByPolice,
    MspLetterSent,
    MspNoteAdded,
    RestrictionKind,
)
from recoverycore.testing import EPOCH


# -- M10 AttachFinalLetter, M11 SendMspLetter (R9, R10, R14, A6, A7) -------------------------------
def test_the_final_approved_letter_is_attached() -> None:
    events = accepted(active(), B.attach(), "MSP-R9")

    assert names(events) == ["MspLetterAttached"]
    state = after(active(), B.attach())
    assert (state.attached_letter_id, state.attached_letter_version) == ("L-1", 2)


@pytest.mark.parametrize("status", ["DRAFT", "FOR_APPROVAL"])
def test_only_the_final_approved_letter_may_be_attached(status: str) -> None:
    error = refused(active(), B.attach(approval_status=status), "MSP-R9")
    assert status.replace("_", " ").lower() in error.reason


def test_the_letter_is_sent_with_the_contact_card() -> None:
    rules = ("MSP-R9", "MSP-A6", "MSP-R10", "MSP-A7", "MSP-R14")
    events = accepted(letter_attached(), B.send_letter(), *rules)

    assert names(events) == ["MspLetterSent", "MspContactCardIssued"]
    sent = events[0]
    assert isinstance(sent, MspLetterSent)
    assert (sent.letter_id, sent.delivery_method, sent.policy_version) == ("L-1", "PRIORITY", "V2")
    assert sent.includes_contact_card
    assert after(letter_attached(), B.send_letter()).letter_sent_id == "L-1"


def test_a_card_already_issued_is_not_issued_again_with_the_letter() -> None:
    assert names(letter_attached().then(card()).when(B.send_letter())) == ["MspLetterSent"]


def test_a_letter_that_is_not_the_attached_final_letter_is_refused() -> None:
    refused(active(), B.send_letter(), "MSP-R9")
    refused(letter_attached(), B.send_letter(letter_id="L-DRAFT"), "MSP-R9")


def test_a_letter_without_the_contact_card_is_refused() -> None:
    refused(letter_attached(), B.send_letter(includes_contact_card=False), "MSP-A6")


@pytest.mark.parametrize("method", ["STAFF_HAND_DELIVERY", "SECURITY_GUARD_HAND_DELIVERY"])
def test_staff_or_security_hand_delivery_is_refused(method: str) -> None:
    error = refused(letter_attached(), B.send_letter(delivery_method=method), "MSP-R10")
    assert "police" in error.remedy


def test_a_letter_without_a_tracking_id_is_refused() -> None:
    refused(letter_attached(), B.send_letter(tracking_id="  "), "MSP-A7")


def test_a_letter_without_review_rights_is_refused() -> None:
    error = refused(letter_attached(), B.send_letter(includes_review_rights=False), "MSP-R14")
    assert "review" in error.reason


@pytest.mark.parametrize(
    ("kind", "invitation"),
    [
        ("WRITE_ONLY", "PHONE"),
        ("WRITE_ONLY", "FACE_TO_FACE"),
        ("FULL_FACE_TO_FACE", "FACE_TO_FACE"),
        ("PHONE_ONLY", "FACE_TO_FACE"),
    ],
)
def test_a_letter_inviting_contact_the_restriction_forbids_is_refused(
    kind: RestrictionKind, invitation: str
) -> None:
    b, scenario = plan_for(kind)
    letter = b.send_letter(contact_invitations=("WRITING", invitation))

    error = refused(scenario.then(b.attach()), letter, "MSP-R14")
    assert invitation.replace("_", " ").lower() in error.reason


def test_a_write_only_customer_may_be_invited_to_write() -> None:
    b, scenario = plan_for("WRITE_ONLY")

    letter = b.send_letter(contact_invitations=("WRITING", "ONLINE"))
    assert names(scenario.then(b.attach()).when(letter))[0] == "MspLetterSent"


# -- A7 delivery method by letter policy ----------------------------------------------------------
V1_CASES = [
    (("WRITE_ONLY",), False, REGISTERED),
    (("FULL_FACE_TO_FACE",), False, REGISTERED),
    (("PARTIAL_FACE_TO_FACE",), False, REGISTERED),
    (("PROTECTION_ORDER_EXISTS",), False, REGISTERED),
    (("PHONE_ONLY", "PROTECTION_ORDER_EXISTS"), False, REGISTERED),
    (("NONE",), False, "PRIORITY"),
    (("PHONE_ONLY",), False, "PRIORITY"),
    (("WRITE_ONLY",), True, "PRIORITY"),
    (("FULL_FACE_TO_FACE",), True, "PRIORITY"),
    (("PROTECTION_ORDER_EXISTS",), True, "PRIORITY"),
]
OTHER_METHOD = {REGISTERED: "PRIORITY", "PRIORITY": REGISTERED}


@pytest.mark.parametrize(("kinds", "assault_or_stalking", "method"), V1_CASES)
def test_letter_policy_v1_sends_registered_post_for_restricted_plans_and_priority_after_assault(
    kinds: tuple[RestrictionKind, ...], assault_or_stalking: bool, method: str
) -> None:
    b, scenario = plan_for(*kinds, policy="V1", assault_or_stalking=assault_or_stalking)
    attached = scenario.then(b.attach())

    assert required_delivery_method("V1", kinds, assault_or_stalking) == method
    [sent, _] = accepted(attached, b.send_letter(delivery_method=method), "MSP-A7")
    assert isinstance(sent, MspLetterSent)
    assert (sent.delivery_method, sent.policy_version) == (method, "V1")
    error = refused(attached, b.send_letter(delivery_method=OTHER_METHOD[method]), "MSP-A7")
    assert "V1" in error.reason


@pytest.mark.parametrize(("kinds", "assault_or_stalking", "method"), V1_CASES)
def test_letter_policy_v2_sends_every_letter_by_priority_mail(
    kinds: tuple[RestrictionKind, ...], assault_or_stalking: bool, method: str
) -> None:
    b, scenario = plan_for(*kinds, policy="V2", assault_or_stalking=assault_or_stalking)
    attached = scenario.then(b.attach())

    assert required_delivery_method("V2", kinds, assault_or_stalking) == "PRIORITY"
    [sent, _] = attached.when(b.send_letter(delivery_method="PRIORITY"))
    assert isinstance(sent, MspLetterSent)
    assert sent.policy_version == "V2"
    refused(attached, b.send_letter(delivery_method=REGISTERED), "MSP-A7")


@pytest.mark.parametrize("policy", ["V1", "V2"])
def test_review_invitations_and_aggression_letters_follow_the_letter_policy(policy: str) -> None:
    b, scenario = plan_for("WRITE_ONLY", policy=policy)
    expected = REGISTERED if policy == "V1" else "PRIORITY"
    wrong = OTHER_METHOD[expected]

    for command in (
        invite(b, delivery_method=expected),
        aggression_letter(SendBehaviourWarning, b, delivery_method=expected),
        aggression_letter(SendRestrictionReminder, b, delivery_method=expected),
    ):
        [event] = accepted(scenario, command, "MSP-A7")
        assert getattr(event, "policy_version", None) == policy
        refused(scenario, command.model_copy(update={"delivery_method": wrong}), "MSP-A7")


# -- M12 RecordPoliceHandDelivery (R10) -----------------------------------------------------------
def test_a_police_hand_over_is_recorded_with_a_note_and_does_not_count_as_the_letter_sent() -> None:
    events = accepted(letter_attached(), police(), "MSP-R10", "MSP-R9")

    assert names(events) == ["MspLetterHandedByPolice", "MspNoteAdded"]
    handed, police_note = events
    assert isinstance(handed, MspLetterHandedByPolice)
    assert (handed.police_station, handed.police_officer) == (
        "Parramatta Police Station",
        "Sgt Lee",
    )
    assert isinstance(police_note, MspNoteAdded)
    assert police_note.note_type == "POLICE_DELIVERY"
    assert "Sgt Lee" in police_note.text
    state = after(letter_attached(), police())
    assert (state.police_handovers, state.letter_sent_id) == (1, None)
    assert not state.notification_complete


@pytest.mark.parametrize(
    ("serious_case", "local_arrangement_exists"), [(False, True), (True, False), (False, False)]
)
def test_police_hand_over_only_in_a_serious_case_with_a_local_arrangement(
    serious_case: bool, local_arrangement_exists: bool
) -> None:
    command = police(serious_case=serious_case, local_arrangement_exists=local_arrangement_exists)

    refused(letter_attached(), command, "MSP-R10")


def test_police_hand_over_only_of_the_attached_final_letter() -> None:
    refused(active(), police(), "MSP-R9")
    refused(letter_attached(), police(letter_id="L-2"), "MSP-R9")


def test_the_letter_is_still_posted_after_a_police_hand_over() -> None:
    assert names(letter_attached().then(police()).when(B.send_letter()))[0] == "MspLetterSent"


# -- M13 RecordLetterDeliveryOutcome (A7) ---------------------------------------------------------
def test_the_tracked_delivery_of_the_letter_is_recorded() -> None:
    sent = letter_attached().then(B.send_letter())

    assert names(accepted(sent, B.delivered(), "MSP-A7")) == ["MspLetterDelivered"]
    assert after(sent, B.delivered()).letter_outcome == "DELIVERED"


def test_a_returned_letter_is_recorded_with_its_reason() -> None:
    sent = letter_attached().then(B.send_letter())
    returned = B.delivered(outcome="RETURNED_TO_SENDER", rts_reason="Unknown at address")

    refused(sent, B.delivered(outcome="RETURNED_TO_SENDER"), "MSP-A7")
    assert names(sent.when(returned)) == ["MspLetterReturnedToSender"]
    assert after(sent, returned).letter_outcome == "RETURNED_TO_SENDER"


def test_a_delivery_outcome_must_match_the_letter_and_tracking_id_sent() -> None:
    sent = letter_attached().then(B.send_letter())

    refused(letter_attached(), B.delivered(), "MSP-A7")
    refused(sent, B.delivered(tracking_id="AP-9999"), "MSP-A7")
    refused(sent, B.delivered(letter_id="L-9"), "MSP-A7")


def test_a_resent_letter_needs_a_fresh_delivery_outcome() -> None:
    resent = (
        letter_attached()
        .then(B.send_letter())
        .then(B.delivered(outcome="RETURNED_TO_SENDER", rts_reason="Moved, left no address"))
        .then(B.send_letter(tracking_id="AP-0002"))
    )

    refused(resent, B.delivered(), "MSP-A7")
    assert after(resent, B.delivered(tracking_id="AP-0002")).letter_outcome == "DELIVERED"


def test_a_delivery_outcome_dated_in_the_future_is_refused() -> None:
    sent = letter_attached().then(B.send_letter())

    refused(sent, B.delivered(outcome_at=EPOCH + timedelta(days=3)), "MSP-A10")


def test_a_police_hand_over_dated_in_the_future_is_refused() -> None:
    refused(letter_attached(), police(handed_at=EPOCH + timedelta(days=2)), "MSP-A10")


# -- M15 InviteCustomerToReview (A3, R10, R14) ----------------------------------------------------
def test_a_reviewer_invites_the_customer_to_a_review() -> None:
    events = accepted(notified(), invite(), "MSP-A1", "MSP-A3", "MSP-A7", "MSP-R14")

    assert names(events) == ["MspReviewInvitationSent"]
    assert after(notified(), invite()).status == "UNDER_REVIEW"


def test_only_a_reviewer_or_decision_maker_invites_to_a_review() -> None:
    refused(notified(), invite(actor=OFFICER), "MSP-A3")
    assert names(notified().when(invite(actor=B.approver))) == ["MspReviewInvitationSent"]


def test_a_review_invitation_must_not_invite_contact_the_restriction_forbids() -> None:
    refused(notified(), invite(contact_invitations=("FACE_TO_FACE",)), "MSP-R14")
    refused(notified(), invite(includes_review_rights=False), "MSP-R14")
    refused(notified(), invite(delivery_method="STAFF_HAND_DELIVERY"), "MSP-R10")
