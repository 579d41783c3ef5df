"""Evolve: how each recorded event changes the plan. Total: no validation, never refuses."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeAlias

from recoverycore.aggregates._decider import Evolvers, replay
from recoverycore.aggregates.msp.state import MspChanges, MspState
from recoverycore.events import DomainEvent
from recoverycore.events.msp import (
    MspApproved,
    MspContactAttempted,
    MspContactCardIssued,
    MspCustomerInformed,
    MspDirectContactWaived,
    MspEnded,
    MspExpired,
    MspExtended,
    MspIncidentLinked,
    MspLetterAttached,
    MspLetterDelivered,
    MspLetterHandedByPolice,
    MspLetterReturnedToSender,
    MspLetterSent,
    MspNoteAdded,
    MspOneOffVariationGranted,
    MspRecorded,
    MspRejected,
    MspRepresentativeContacted,
    MspReviewed,
    MspReviewInvitationSent,
    MspSmsBlocked,
    MspSmsSent,
    MspVaried,
    MspVulnerabilityFlagCleared,
    MspVulnerabilityFlagRecorded,
    MspWithdrawn,
    PersonContacted,
)

_Evolver: TypeAlias = Callable[[MspState, Any], MspChanges]
_EVOLVERS = Evolvers[MspState]()
_on = _EVOLVERS.on


def evolve(state: MspState | None, event: DomainEvent) -> MspState:
    """Fold one recorded event into the plan. Total: never validates, never raises for an
    event of this aggregate (an event type it does not know changes only the version)."""
    if isinstance(event, MspRecorded):
        return MspState(
            id=event.originator_id,
            version=event.originator_version,
            crn=event.crn,
            program=event.program,
            msp_type=event.msp_type,
            status="DRAFT",
            recorder_id=event.actor.staff_id,
            start_date=event.start_date,
            end_date=event.end_date,
            restrictions=event.restrictions,
            incident_involved_assault_or_stalking=any(
                i.involved_assault_or_stalking for i in event.triggering_incidents
            ),
            omc_psso=event.omc_psso,
            linked_incident_ids=tuple(i.incident_id for i in event.triggering_incidents),
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} cannot start an MSP history")
    return _EVOLVERS.apply(state, event)


def fold(events: Iterable[DomainEvent], state: MspState | None = None) -> MspState | None:
    """Replay ``events`` (a snapshot may come first) into the plan's state."""
    return replay(evolve, events, state)


@_on(MspApproved)
def _e_approved(s: MspState, e: MspApproved) -> MspChanges:
    return {"status": "ACTIVE", "approver_id": e.actor.staff_id}


@_on(MspRejected)
def _e_rejected(s: MspState, e: MspRejected) -> MspChanges:
    return {"status": "REJECTED", "closed_on": e.occurred_at.date()}


@_on(MspWithdrawn)
def _e_withdrawn(s: MspState, e: MspWithdrawn) -> MspChanges:
    return {"status": "WITHDRAWN", "closed_on": e.occurred_at.date()}


def _contact(s: MspState, person: PersonContacted, outcome: str) -> MspChanges:
    changes: MspChanges = {"contact_attempts": s.contact_attempts + 1}
    if outcome == "ENGAGED_SUCCESSFUL" and person not in s.successful_contacts:
        changes["successful_contacts"] = (*s.successful_contacts, person)
    return changes


@_on(MspContactAttempted)
def _e_call(s: MspState, e: MspContactAttempted) -> MspChanges:
    return _contact(s, e.person_contacted, e.outcome)


@_on(MspRepresentativeContacted)
def _e_rep(s: MspState, e: MspRepresentativeContacted) -> MspChanges:
    return _contact(s, e.representative_role, e.outcome)


@_on(MspNoteAdded)
def _e_note(s: MspState, e: MspNoteAdded) -> MspChanges:
    return {"notes": s.notes + 1}


@_on(MspCustomerInformed)
def _e_informed(s: MspState, e: MspCustomerInformed) -> MspChanges:
    return {"customer_informed_on": e.informed_on}


@_on(MspDirectContactWaived)
def _e_waived(s: MspState, e: MspDirectContactWaived) -> MspChanges:
    return {"direct_contact_waived": True}


@_on(MspIncidentLinked)
def _e_incident(s: MspState, e: MspIncidentLinked) -> MspChanges:
    return {"linked_incident_ids": (*s.linked_incident_ids, e.incident.incident_id)}


@_on(MspVulnerabilityFlagRecorded)
def _e_flag(s: MspState, e: MspVulnerabilityFlagRecorded) -> MspChanges:
    return {"safety_flags": tuple(sorted({*s.safety_flags, e.flag}))}


@_on(MspVulnerabilityFlagCleared)
def _e_flag_cleared(s: MspState, e: MspVulnerabilityFlagCleared) -> MspChanges:
    return {"safety_flags": tuple(f for f in s.safety_flags if f != e.flag)}


@_on(MspSmsSent)
def _e_sms(s: MspState, e: MspSmsSent) -> MspChanges:
    return {"sms_sent": s.sms_sent + 1}


@_on(MspSmsBlocked)
def _e_sms_blocked(s: MspState, e: MspSmsBlocked) -> MspChanges:
    return {"sms_blocked": s.sms_blocked + 1}


@_on(MspContactCardIssued)
def _e_card(s: MspState, e: MspContactCardIssued) -> MspChanges:
    return {"contact_card_issued": True}


@_on(MspLetterAttached)
def _e_attached(s: MspState, e: MspLetterAttached) -> MspChanges:
    return {"attached_letter_id": e.letter_id, "attached_letter_version": e.letter_version}


@_on(MspLetterSent)
def _e_sent(s: MspState, e: MspLetterSent) -> MspChanges:
    return {
        "letter_sent_id": e.letter_id,
        "letter_tracking_id": e.tracking_id,
        "letter_outcome": None,
    }


@_on(MspLetterHandedByPolice)
def _e_police(s: MspState, e: MspLetterHandedByPolice) -> MspChanges:
    return {"police_handovers": s.police_handovers + 1}


@_on(MspLetterDelivered)
def _e_delivered(s: MspState, e: MspLetterDelivered) -> MspChanges:
    return {"letter_outcome": "DELIVERED"}


@_on(MspLetterReturnedToSender)
def _e_rts(s: MspState, e: MspLetterReturnedToSender) -> MspChanges:
    return {"letter_outcome": "RETURNED_TO_SENDER"}


@_on(MspOneOffVariationGranted)
def _e_variation(s: MspState, e: MspOneOffVariationGranted) -> MspChanges:
    return {"one_off_variations": (*s.one_off_variations, e.appointment_at)}


@_on(MspReviewInvitationSent)
def _e_invited(s: MspState, e: MspReviewInvitationSent) -> MspChanges:
    return {"status": "UNDER_REVIEW"}


@_on(MspReviewed)
def _e_reviewed(s: MspState, e: MspReviewed) -> MspChanges:
    return {"status": "ACTIVE"}


def _new_round(s: MspState) -> MspChanges:
    # A varied or extended plan is notified afresh (M16 [A]): the progress flags restart.
    return {
        "notification_round": s.notification_round + 1,
        "successful_contacts": (),
        "direct_contact_waived": False,
        "customer_informed_on": None,
        "attached_letter_id": None,
        "attached_letter_version": None,
        "letter_sent_id": None,
        "letter_tracking_id": None,
        "letter_outcome": None,
        "contact_card_issued": False,
    }


@_on(MspVaried)
def _e_varied(s: MspState, e: MspVaried) -> MspChanges:
    return {**_new_round(s), "restrictions": e.new_restrictions}


@_on(MspExtended)
def _e_extended(s: MspState, e: MspExtended) -> MspChanges:
    return {**_new_round(s), "end_date": e.new_end_date}


@_on(MspEnded)
def _e_ended(s: MspState, e: MspEnded) -> MspChanges:
    return {"status": "ENDED", "closed_on": e.ended_on}


@_on(MspExpired)
def _e_expired(s: MspState, e: MspExpired) -> MspChanges:
    return {"status": "EXPIRED", "closed_on": e.expired_on}
