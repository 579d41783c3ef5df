"""MSP-A11: a plan is in force only until its end date.

Spec 1.5 and 1.8: an MSP has a duration and expires when its end date is reached, unless a
review extended it (``MspExtended`` moves the end date). The follow-up timer records the expiry
(``ExpireMsp``), but the rule does not wait for it: from the end date on, in the plan's local
time zone and on the date of the action, nothing that needs the plan in force is accepted.
What records what happened before then (a delivery outcome of a letter already sent, a note, a
linked incident, a safety flag) is still accepted, and so is a decision on the plan itself
(approval or rejection of a draft, withdrawal, the expiry): a draft approved after its end date
does nothing under the plan, and the next tick expires it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import cast

from recoverycore.aggregates._decider import Command, Decision
from recoverycore.aggregates.msp.commands import (
    AttachFinalLetter,
    CompleteReview,
    GrantOneOffVariation,
    InviteCustomerToReview,
    IssueContactCard,
    RecordCustomerInformed,
    RecordDecisionNotToContactDirectly,
    RecordNotificationCallAttempt,
    RecordPoliceHandDelivery,
    RecordRepresentativeContact,
    SendBehaviourWarning,
    SendMspLetter,
    SendMspSms,
    SendRestrictionReminder,
)
from recoverycore.aggregates.msp.state import MspState

NEEDS_PLAN_IN_FORCE: Mapping[type[Command], str] = {
    RecordNotificationCallAttempt: "phone the customer about the MSP",
    RecordRepresentativeContact: "contact a representative about the MSP",
    RecordDecisionNotToContactDirectly: "decide how the customer is told of the MSP",
    RecordCustomerInformed: "record that the customer was informed of the MSP",
    SendMspSms: "send an MSP SMS",
    IssueContactCard: "issue the OMC/PSSO contact card",
    AttachFinalLetter: "attach the MSP letter",
    SendMspLetter: "send the MSP letter",
    RecordPoliceHandDelivery: "hand the MSP letter over through the police",
    GrantOneOffVariation: "grant a one-off variation",
    InviteCustomerToReview: "invite the customer to an MSP review",
    CompleteReview: "complete a review of the MSP",
    SendBehaviourWarning: "send a behaviour warning under the MSP",
    SendRestrictionReminder: "send a restriction reminder under the MSP",
}
"""The commands that need the plan in force (MSP-A11), with what each does, as a refusal
names it."""

_WHEN: Mapping[type[Command], Callable[[Command], datetime]] = {
    # The hand-over is dated by when the police made it, whenever it is recorded.
    RecordPoliceHandDelivery: lambda c: cast(RecordPoliceHandDelivery, c).handed_at,
}


def in_force_on_action_date(state: MspState, command: Command, d: Decision) -> None:
    """MSP-A11: refuse a command that needs the plan in force once the plan's end date is
    reached on the date of the action (in the plan's local time zone)."""
    doing = next(
        (NEEDS_PLAN_IN_FORCE[t] for t in type(command).__mro__ if t in NEEDS_PLAN_IN_FORCE), None
    )
    if doing is None:
        return
    when = _WHEN.get(type(command))
    day = d.local_date(when(command) if when is not None else None)
    end = state.end_date.isoformat()
    d.require(
        day < state.end_date,
        "MSP-A11",
        f"Cannot {doing} on {day.isoformat()}: the MSP's end date, {end}, has been reached, so "
        "the plan is no longer in force.",
        "Record a new MSP if the customer's servicing still needs managing (a plan is "
        "extended only by a review completed before its end date); the follow-up timer "
        "records the expiry.",
    )
