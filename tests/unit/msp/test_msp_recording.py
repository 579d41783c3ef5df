"""Recording and deciding on the plan (procedure 104-07050030): record (M1), approve, reject and
withdraw (M2), one-off variation (M14), review (M16), the customer aggression letters (M17),
expiry (M18) and free notes. Helpers are in ``msp_support.py``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from msp_support import (
    END,
    OFFICER,
    B,
    accepted,
    active,
    after,
    aggression_letter,
    draft,
    expire,
    names,
    note,
    plan_for,
    refused,
    review,
    under_review,
    variation,
    withdraw,
)

from recoverycore.aggregates.msp import MspConfig, SendBehaviourWarning, SendRestrictionReminder
from recoverycore.events import Role
from recoverycore.events.msp import (
    Behaviour,
    CustomerAggressionLetterSent,
    MspNoteAdded,
    MspOneOffVariationGranted,
    MspRecorded,
    Restriction,
    RestrictionKind,
)
from recoverycore.testing import EPOCH, Scenario, given, staff


# -- M1 RecordMsp ---------------------------------------------------------------------------------
def test_a_reactive_plan_is_recorded_as_a_draft() -> None:
    events = accepted(given(), B.record(), "MSP-A10", "MSP-R11", "MSP-R14", "MSP-R15")

    assert names(events) == ["MspRecorded"]
    recorded = events[0]
    assert isinstance(recorded, MspRecorded)
    assert recorded.originator_version == 1
    assert recorded.recorded_at == EPOCH
    state = after(given(), B.record())
    assert (state.status, state.recorder_id) == ("DRAFT", B.recorder.staff_id)
    assert state.linked_incident_ids == ("CIMS-2026-0001",)


def test_a_proactive_plan_without_restrictions_is_recorded_for_its_vulnerabilities() -> None:
    command = B.record(
        msp_type="PROACTIVE",
        triggering_incidents=(),
        vulnerabilities=("Acquired brain injury affecting phone conversations",),
        restrictions=(Restriction(kind="NONE"),),
        alternatives_considered="",
    )

    assert names(accepted(given(), command, "MSP-R15")) == ["MspRecorded"]


@pytest.mark.parametrize(
    "description",
    [
        "Aggressive",
        "Inappropriate.",
        "The customer was very aggressive and inappropriate.",
        "Was rude and abusive",
        "Swore at staff",
    ],
)
def test_a_behaviour_summarised_as_inappropriate_or_aggressive_is_refused(description: str) -> None:
    command = B.record(behaviours=(Behaviour(label="Aggressive", description=description),))

    error = refused(given(), command, "MSP-R11")
    assert "Aggressive" in error.reason


def test_a_behaviour_whose_description_only_repeats_its_label_is_refused() -> None:
    label = "Threw a chair across the waiting room at Parramatta"
    command = B.record(behaviours=(Behaviour(label=label, description=label),))

    refused(given(), command, "MSP-R11")


def test_a_plan_without_any_behaviour_considered_is_refused() -> None:
    refused(given(), B.record(behaviours=()), "MSP-R11")


def test_a_factual_behaviour_description_is_accepted_however_short_the_label() -> None:
    behaviour = Behaviour(label="Aggressive", description="Threw a chair at the counter screen.")

    assert names(given().when(B.record(behaviours=(behaviour,)))) == ["MspRecorded"]


def test_the_minimum_words_in_a_behaviour_description_is_configurable() -> None:
    behaviour = Behaviour(label="Threat", description="Threatened the officer.")
    scenario = given()

    refused(scenario, B.record(behaviours=(behaviour,)), "MSP-R11")
    lenient = scenario.configured(MspConfig(min_behaviour_description_words=2))
    assert names(lenient.when(B.record(behaviours=(behaviour,)))) == ["MspRecorded"]


def test_a_reactive_plan_needs_the_incident_that_led_to_it() -> None:
    refused(given(), B.record(triggering_incidents=()), "MSP-R15")


def test_a_proactive_plan_needs_the_vulnerabilities_it_addresses() -> None:
    command = B.record(msp_type="PROACTIVE", triggering_incidents=(), vulnerabilities=("  ",))

    refused(given(), command, "MSP-R15")


@pytest.mark.parametrize("kind", ["WRITE_ONLY", "FULL_FACE_TO_FACE"])
def test_a_severe_restriction_needs_the_less_restrictive_alternatives_considered(
    kind: RestrictionKind,
) -> None:
    command = B.record(restrictions=(Restriction(kind=kind),), alternatives_considered=" ")

    refused(given(), command, "MSP-R15")


def test_a_partial_face_to_face_restriction_needs_no_recorded_alternatives() -> None:
    command = B.record(
        restrictions=(Restriction(kind="PARTIAL_FACE_TO_FACE"),), alternatives_considered=""
    )

    assert names(given().when(command)) == ["MspRecorded"]


@pytest.mark.parametrize("days", [0, -1], ids=["same-day", "before-start"])
def test_a_plan_must_end_after_it_starts(days: int) -> None:
    start = EPOCH.date()
    command = B.record(start_date=start, end_date=start + timedelta(days=days))

    refused(given(), command, "MSP-R14")


def test_a_plan_longer_than_the_maximum_duration_is_refused_unless_configured() -> None:
    start = EPOCH.date()
    command = B.record(start_date=start, end_date=start + timedelta(days=731))

    error = refused(given(), command, "MSP-R14")
    assert "731" in error.reason
    longer = given().configured(MspConfig(max_plan_duration_days=1000))
    assert names(longer.when(command)) == ["MspRecorded"]


def test_a_plan_needs_the_reasons_for_its_duration() -> None:
    refused(given(), B.record(duration_reasons="Six months."), "MSP-R14")


# -- M2 ApproveMsp / RejectMsp, WithdrawMsp -------------------------------------------------------
def test_an_approved_decision_maker_approves_a_draft_and_the_plan_becomes_active() -> None:
    events = accepted(draft(), B.approve(), "MSP-A1", "MSP-A2", "MSP-A3", "MSP-R15")

    assert names(events) == ["MspApproved"]
    assert events[0].reasons == B.approve().reasons
    state = after(draft(), B.approve())
    assert (state.status, state.approver_id) == ("ACTIVE", B.approver.staff_id)


def test_an_approved_decision_maker_rejects_a_draft() -> None:
    events = accepted(draft(), B.reject(), "MSP-A2", "MSP-A3", "MSP-R15")

    assert names(events) == ["MspRejected"]
    assert after(draft(), B.reject()).status == "REJECTED"


def test_the_recorder_cannot_approve_their_own_plan() -> None:
    recorder_as_approver = staff(Role.MSP_APPROVER, B.recorder.staff_id)

    refused(draft(), B.approve(actor=recorder_as_approver), "MSP-A2")
    refused(draft(), B.reject(actor=recorder_as_approver), "MSP-A2")


def test_four_eyes_can_be_switched_off_by_configuration() -> None:
    recorder_as_approver = staff(Role.MSP_APPROVER, B.recorder.staff_id)
    scenario = draft().configured(MspConfig(require_four_eyes=False))

    assert names(scenario.when(B.approve(actor=recorder_as_approver))) == ["MspApproved"]


@pytest.mark.parametrize("role", [Role.MSP_RECORDER, Role.MSP_REVIEWER, Role.OMC, Role.TEAM_LEADER])
def test_only_an_approved_decision_maker_approves_or_rejects(role: Role) -> None:
    error = refused(draft(), B.approve(actor=staff(role)), "MSP-A3")
    assert role.value in error.reason
    refused(draft(), B.reject(actor=staff(role)), "MSP-A3")


def test_the_decision_maker_roles_are_configurable() -> None:
    leader = staff(Role.TEAM_LEADER)
    config = MspConfig(decision_maker_roles=frozenset({Role.MSP_APPROVER, Role.TEAM_LEADER}))

    assert names(draft().configured(config).when(B.approve(actor=leader))) == ["MspApproved"]


@pytest.mark.parametrize("reasons", [(), ("OK",), ("  ", "Fine.")])
def test_a_decision_without_reasons_that_justify_it_is_refused(reasons: tuple[str, ...]) -> None:
    refused(draft(), B.approve(reasons=reasons), "MSP-R15")
    refused(draft(), B.reject(reasons=reasons), "MSP-R15")


def test_an_active_plan_cannot_be_approved_again() -> None:
    refused(active(), B.approve(), "MSP-A1")


@pytest.mark.parametrize(
    "history", [draft, active, under_review], ids=["draft", "active", "review"]
)
def test_a_decision_maker_withdraws_a_plan_that_has_not_ended(
    history: Callable[[], Scenario],
) -> None:
    events = accepted(history(), withdraw(), "MSP-A1", "MSP-A3", "MSP-R15")

    assert names(events) == ["MspWithdrawn"]
    assert after(history(), withdraw()).status == "WITHDRAWN"


def test_a_withdrawal_needs_a_decision_maker_and_reasons() -> None:
    refused(active(), withdraw(actor=OFFICER), "MSP-A3")
    refused(active(), withdraw(reasons=("Not needed",)), "MSP-R15")


# -- M14 GrantOneOffVariation (A8) ----------------------------------------------------------------
@pytest.mark.parametrize("kind", ["FULL_FACE_TO_FACE", "PARTIAL_FACE_TO_FACE"])
def test_a_one_off_variation_is_granted_under_a_face_to_face_restriction(
    kind: RestrictionKind,
) -> None:
    b, scenario = plan_for(kind)

    events = accepted(scenario, variation(b), "MSP-A3", "MSP-A8")
    assert names(events) == ["MspOneOffVariationGranted"]
    assert isinstance(events[0], MspOneOffVariationGranted)
    assert events[0].appointment_at == EPOCH + timedelta(days=7)
    assert after(scenario, variation(b)).one_off_variations == (EPOCH + timedelta(days=7),)


@pytest.mark.parametrize("kind", ["WRITE_ONLY", "PHONE_ONLY", "NONE"])
def test_a_one_off_variation_is_refused_without_a_face_to_face_restriction(
    kind: RestrictionKind,
) -> None:
    b, scenario = plan_for(kind)

    refused(scenario, variation(b), "MSP-A8")


@pytest.mark.parametrize(
    "appointment_at",
    [EPOCH - timedelta(hours=1), END + timedelta(days=1), EPOCH],
    ids=["past", "after-end", "now"],
)
def test_a_one_off_variation_is_for_a_future_appointment_inside_the_plan(
    appointment_at: datetime,
) -> None:
    refused(active(), variation(appointment_at=appointment_at), "MSP-A8")


def test_only_a_decision_maker_grants_a_one_off_variation() -> None:
    refused(active(), variation(actor=OFFICER), "MSP-A3")


# -- M16 CompleteReview (A3, A9, R14, R15) --------------------------------------------------------
def test_a_review_continuing_the_plan_unchanged_returns_it_to_active() -> None:
    events = accepted(under_review(), review("CONTINUE_UNCHANGED"), "MSP-A3", "MSP-R15")

    assert names(events) == ["MspReviewed"]
    state = after(under_review(), review("CONTINUE_UNCHANGED"))
    assert (state.status, state.notification_round) == ("ACTIVE", 1)
    assert state.notification_complete


def test_a_reviewer_may_continue_or_end_a_plan_but_not_vary_or_extend_it() -> None:
    reviewer = B.reviewer

    assert names(under_review().when(review("CONTINUE_UNCHANGED", actor=reviewer))) == [
        "MspReviewed"
    ]
    assert names(under_review().when(review("END_EARLY", actor=reviewer))) == [
        "MspReviewed",
        "MspEnded",
    ]
    vary = review("VARY", actor=reviewer, new_restrictions=(Restriction(kind="PHONE_ONLY"),))
    refused(under_review(), vary, "MSP-A3")
    extend = review("EXTEND", actor=reviewer, new_end_date=END.date() + timedelta(days=90))
    refused(under_review(), extend, "MSP-A3")
    refused(under_review(), review("CONTINUE_UNCHANGED", actor=OFFICER), "MSP-A3")


def test_a_review_needs_reasons_that_justify_its_outcome() -> None:
    refused(under_review(), review("END_EARLY", reasons=("Done.",)), "MSP-R15")


def test_a_plan_ended_early_at_review_is_ended_that_day() -> None:
    state = after(under_review(), review("END_EARLY"))

    assert (state.status, state.closed_on) == ("ENDED", EPOCH.date())


def test_an_extension_needs_a_later_end_date() -> None:
    refused(under_review(), review("EXTEND"), "MSP-A9")
    refused(under_review(), review("EXTEND", new_end_date=END.date()), "MSP-A9")


def test_an_extension_beyond_the_maximum_duration_is_refused() -> None:
    too_long = review("EXTEND", new_end_date=EPOCH.date() + timedelta(days=731))

    refused(under_review(), too_long, "MSP-R14")


def test_a_variation_needs_the_new_restrictions() -> None:
    refused(under_review(), review("VARY"), "MSP-A9")


def test_a_variation_to_a_severe_restriction_needs_the_alternatives_considered() -> None:
    command = review("VARY", new_restrictions=(Restriction(kind="WRITE_ONLY"),))

    refused(under_review(), command, "MSP-R15")
    considered = command.model_copy(
        update={"alternatives_considered": "Phone-only was tried and the threats continued."}
    )
    assert names(under_review().when(considered)) == ["MspReviewed", "MspVaried"]


# -- M17 SendBehaviourWarning, SendRestrictionReminder --------------------------------------------
@pytest.mark.parametrize(
    ("cls", "kind"),
    [
        (SendBehaviourWarning, "BEHAVIOUR_WARNING"),
        (SendRestrictionReminder, "RESTRICTION_REMINDER"),
    ],
)
def test_customer_aggression_letters_are_sent_by_the_letter_policy(
    cls: type[SendBehaviourWarning | SendRestrictionReminder], kind: str
) -> None:
    events = accepted(active(), aggression_letter(cls), "MSP-R10", "MSP-A7", "MSP-R14")

    assert names(events) == ["CustomerAggressionLetterSent"]
    letter = events[0]
    assert isinstance(letter, CustomerAggressionLetterSent)
    assert (letter.kind, letter.delivery_method, letter.policy_version) == (kind, "PRIORITY", "V2")


@pytest.mark.parametrize("cls", [SendBehaviourWarning, SendRestrictionReminder])
def test_customer_aggression_letters_obey_the_letter_rules(
    cls: type[SendBehaviourWarning | SendRestrictionReminder],
) -> None:
    refused(active(), aggression_letter(cls, delivery_method="STAFF_HAND_DELIVERY"), "MSP-R10")
    refused(active(), aggression_letter(cls, tracking_id=""), "MSP-A7")
    refused(active(), aggression_letter(cls, includes_review_rights=False), "MSP-R14")
    refused(active(), aggression_letter(cls, contact_invitations=("FACE_TO_FACE",)), "MSP-R14")
    refused(draft(), aggression_letter(cls), "MSP-A1")


# -- M18 ExpireMsp (A9) ---------------------------------------------------------------------------
def test_a_plan_expires_on_its_end_date() -> None:
    events = accepted(active().at(END), expire(), "MSP-A9")

    assert names(events) == ["MspExpired"]
    state = after(active().at(END), expire())
    assert (state.status, state.closed_on) == ("EXPIRED", END.date())


def test_a_plan_under_review_expires_on_its_end_date_if_the_review_is_not_completed() -> None:
    assert after(under_review().at(END), expire()).status == "EXPIRED"


def test_a_plan_does_not_expire_before_its_end_date() -> None:
    error = refused(active().at(END - timedelta(days=1)), expire(), "MSP-A9")
    assert END.date().isoformat() in error.reason


def test_an_extended_plan_does_not_expire_on_its_old_end_date() -> None:
    extended = under_review().then(review("EXTEND", new_end_date=END.date() + timedelta(days=90)))

    refused(extended.at(END), expire(), "MSP-A9")


# -- AddMspNote -----------------------------------------------------------------------------------
@pytest.mark.parametrize("history", [draft, active], ids=["draft", "active"])
def test_a_free_note_is_added_to_the_plan(history: Callable[[], Scenario]) -> None:
    events = history().when(note())

    assert names(events) == ["MspNoteAdded"]
    assert isinstance(events[0], MspNoteAdded)
    assert (events[0].note_type, events[0].text) == ("OTHER", note().text)
    assert after(history(), note()).notes == after(history()).notes + 1
