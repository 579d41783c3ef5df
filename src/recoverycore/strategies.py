"""Hypothesis strategies and a stateful test base for the Managed Service Plan.

Needs `Hypothesis <https://hypothesis.readthedocs.io>`_, which is a development dependency of
recoverycore, not a runtime one: importing this module without it raises ``ImportError``.
:mod:`recoverycore.testing` (builders, given/when/then) does not need it.

What is here:

* Values: :func:`aware_datetimes`, :func:`actors`, :func:`reasons`, :func:`incident_refs`,
  :func:`behaviours`, :func:`restrictions`, :func:`contact_points`, :func:`customer_contacts`,
  :func:`multi_record_checks`. Importing the module also registers strategies for
  :class:`~recoverycore.Actor` and the MSP value objects, so ``st.from_type(Actor)`` works.
* Commands: one strategy per MSP command type, named after it (:func:`record_msp_commands`,
  :func:`approve_msp_commands`, ... :func:`add_msp_note_commands`; all in
  :data:`COMMAND_STRATEGIES`) and :func:`commands`, any of them. Each takes the plan id and the
  ``now`` the command will be decided at. Fields are drawn from small pools of realistic values,
  mostly legal and sometimes not, so random commands are accepted often enough to move a plan
  along and refused often enough to exercise every rule. :func:`progressing_commands` and
  :func:`closing_commands` draw commands that are (nearly always) legal for a given state.
* Events: :func:`msp_events` (every type of ``MSP_EVENT_TYPES``, with arbitrary valid field
  values) and :func:`events_of_type`.
* Histories: :func:`histories`, legal histories made by deciding random commands on a recorded
  plan and keeping the accepted ones (:class:`History`).
* :class:`MspStateMachine`, a ``RuleBasedStateMachine`` that drives one plan through random
  legal and illegal commands and checks ``decide`` against a naive model (:class:`MspModel`).
  Subclass it to add rules and invariants of your own::

      from hypothesis import strategies as st
      from hypothesis.stateful import rule
      from recoverycore import MspConfig
      from recoverycore.strategies import MspStateMachine, add_msp_note_commands

      class MyPlanMachine(MspStateMachine):
          config = MspConfig(letter_policy="V1")

          @rule(data=st.data())
          def my_note(self, data: st.DataObject) -> None:
              self.execute(data.draw(add_msp_note_commands(self.plan_id, now=self.now)))

          def extra_invariants(self) -> None:
              assert self.model.notes == (self.state.notes if self.state else 0)

      TestMyPlan = MyPlanMachine.TestCase
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from types import NoneType, UnionType
from typing import (
    Any,
    ClassVar,
    Literal,
    Protocol,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
)
from uuid import UUID
from zoneinfo import ZoneInfo

import annotated_types
from hypothesis import event as note_event
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)
from pydantic import AwareDatetime, BaseModel, StringConstraints
from pydantic.fields import FieldInfo

from recoverycore.aggregates import msp
from recoverycore.aggregates.msp import (
    AddMspNote,
    ApproveMsp,
    AttachFinalLetter,
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
    RecordLetterDeliveryOutcome,
    RecordMsp,
    RecordNotificationCallAttempt,
    RecordPoliceHandDelivery,
    RecordRepresentativeContact,
    RecordVulnerabilityFlag,
    RejectMsp,
    SendBehaviourWarning,
    SendMspLetter,
    SendMspSms,
    SendRestrictionReminder,
    WithdrawMsp,
)
from recoverycore.errors import AggregateNotFound, RuleViolation
from recoverycore.events._envelope import Actor, ApsLevel, Role, Snapshot
from recoverycore.events.msp import (
    MSP_EVENT_TYPES,
    Behaviour,
    CallOutcome,
    CallTopic,
    ContactChannel,
    ContactPoint,
    CustomerContactDetails,
    DeliveryMethod,
    IncidentRef,
    MspEvent,
    MspExtended,
    MspLetterSent,
    MspRecorded,
    MspSmsSent,
    MspVaried,
    MspVulnerabilityFlagCleared,
    MspVulnerabilityFlagRecorded,
    MultiRecordCheck,
    Program,
    Restriction,
    RestrictionKind,
    ReviewOutcome,
    SafetyFlag,
    SmsReason,
)
from recoverycore.testing import EPOCH

__all__ = [
    "BRIEF_REASONS",
    "COMMAND_STRATEGIES",
    "CONTACT_POINTS",
    "FACTUAL_DESCRIPTIONS",
    "JUSTIFYING_REASONS",
    "LETTER_IDS",
    "STAFF_IDS",
    "TIME_ZONES",
    "TRACKING_IDS",
    "VAGUE_DESCRIPTIONS",
    "CommandStrategy",
    "Expected",
    "History",
    "MspModel",
    "MspStateMachine",
    "Step",
    "actors",
    "add_msp_note_commands",
    "approve_msp_commands",
    "attach_final_letter_commands",
    "aware_datetimes",
    "behaviours",
    "clear_vulnerability_flag_commands",
    "closing_commands",
    "commands",
    "complete_review_commands",
    "contact_points",
    "customer_contacts",
    "events_of_type",
    "expire_msp_commands",
    "grant_one_off_variation_commands",
    "histories",
    "incident_refs",
    "invite_customer_to_review_commands",
    "issue_contact_card_commands",
    "link_incident_commands",
    "msp_events",
    "multi_record_checks",
    "progressing_commands",
    "reasons",
    "record_customer_informed_commands",
    "record_decision_not_to_contact_directly_commands",
    "record_letter_delivery_outcome_commands",
    "record_msp_commands",
    "record_notification_call_attempt_commands",
    "record_police_hand_delivery_commands",
    "record_representative_contact_commands",
    "record_vulnerability_flag_commands",
    "reject_msp_commands",
    "restrictions",
    "send_behaviour_warning_commands",
    "send_msp_letter_commands",
    "send_msp_sms_commands",
    "send_restriction_reminder_commands",
    "withdraw_msp_commands",
]

T = TypeVar("T")
C = TypeVar("C", bound=MspCommand)
SearchStrategy = st.SearchStrategy

# -- pools of realistic values -------------------------------------------------------------------
TIME_ZONES: tuple[str, ...] = (
    "Australia/Sydney",
    "Australia/Melbourne",
    "Australia/Brisbane",
    "Australia/Adelaide",
    "Australia/Darwin",
    "Australia/Perth",
    "Australia/Hobart",
    "UTC",
)
"""The IANA zones :func:`aware_datetimes` draws from by default."""

STAFF_IDS: tuple[str, ...] = ("officer-1", "officer-2", "officer-3")
"""Few staff ids, so that the recorder and the approver of a plan are sometimes the same."""
_TEAMS = ("Parramatta Service Centre", "Hobart Smart Centre", "Darwin Service Centre")

JUSTIFYING_REASONS: tuple[str, ...] = (
    "Threats to staff at two sites; a full restriction is proportionate.",
    "The customer's safety needs are best met through a single point of contact.",
    "The behaviour was repeated after a warning letter, so the plan continues.",
)
"""Reasons long enough to justify a decision (well over ``min_decision_reason_chars``)."""
BRIEF_REASONS: tuple[str, ...] = ("", "ok", "n/a", "per")
"""Reasons too brief to justify anything: at most three of them join to 11 characters."""

FACTUAL_DESCRIPTIONS: tuple[str, ...] = (
    "Shouted at the counter that he would wait outside for the officer after work, "
    "and struck the screen with his fist.",
    "Phoned the call centre twelve times in one afternoon and threatened to burn down the office.",
    "Followed a staff member to the car park on Tuesday and blocked her car door for ten minutes.",
)
"""Behaviour descriptions that say what happened (MSP-R11 accepts them)."""
VAGUE_DESCRIPTIONS: tuple[str, ...] = (
    "Inappropriate.",
    "The customer was very aggressive and abusive.",
    "Rude and hostile behaviour.",
    "Swore at staff.",
)
"""Behaviour descriptions that summarise instead of explaining (MSP-R11 refuses them)."""
_BEHAVIOUR_LABELS = ("Threat to staff", "Repeated calls", "Following staff", "Aggressive")

CONTACT_POINTS: tuple[ContactPoint, ...] = (
    ContactPoint(role="OMC", staff_id="omc-1", name="Jo Citizen", phone="1800 000 001"),
    ContactPoint(role="PSSO", staff_id="psso-2", name="Sam Example", phone="1800 000 002"),
)
"""The OMC/PSSO contacts plans and contact cards are drawn from."""
LETTER_IDS: tuple[str, ...] = ("L-1", "L-2")
TRACKING_IDS: tuple[str, ...] = ("AP-0001", "AP-0002")
_INCIDENT_IDS = ("CIMS-2026-0001", "CIMS-2026-0002", "CIRT-2026-0003")
_VULNERABILITIES = ("Homelessness", "Mental health condition", "Recent bereavement")
_NUMBERS = ("0400 000 000", "02 9999 0000")
_ADDRESSES = ("1 Example St, Parramatta NSW 2150", "PO Box 10, Hobart TAS 7000")
_NOTES = (
    "Called the customer on the mobile number; no answer, no voicemail left.",
    "Explained the MSP, its duration, the restrictions and the contact card.",
)
_DURATION_REASONS = ("Six months gives time to see whether the behaviour recurs.",)
_ALTERNATIVES = (
    "A partial restriction to one site was considered but the threats were made at two sites.",
)
_CRNS = ("123 456 789A", "987 654 321B")
_TEMPLATES = ("MSP-SMS-01", "MSP-SMS-02")
_STATIONS = ("Parramatta Police Station", "Hobart Police Station")
_POLICE_OFFICERS = ("Sgt A. Smith", "Const. B. Jones")
_SITES = ("Parramatta Service Centre", "Hobart Service Centre")
_PURPOSES = ("Lodge identity documents in person", "Attend a scheduled interview")
_RTS_REASONS = ("Addressee unknown at this address", "Refused by the addressee")
_REPRESENTATIVES = ("Alex Nominee", "Pat Attorney")
_EVIDENCE = ("CIMS-2026-0001", "Call recording 12/03")
_AUTHORITY = "Managed Service Plan - Implementing 104-07050030"
_HAND_DELIVERY = frozenset({"STAFF_HAND_DELIVERY", "SECURITY_GUARD_HAND_DELIVERY"})
_BUSINESS_MINUTES = (8 * 60, 18 * 60 - 1)


def _mostly(usual: SearchStrategy[T], rare: SearchStrategy[T], odds: int = 4) -> SearchStrategy[T]:
    """``usual`` ``odds`` times out of ``odds + 1``; shrinks towards ``usual``."""
    return st.integers(0, odds).flatmap(lambda i: rare if i == odds else usual)


def _tuples(elements: SearchStrategy[T], max_size: int = 3) -> SearchStrategy[tuple[T, ...]]:
    return st.lists(elements, max_size=max_size).map(tuple)


def _non_blank_text(max_size: int = 30) -> SearchStrategy[str]:
    return st.text(min_size=1, max_size=max_size).map(str.strip).filter(bool)


# Strategies are built once and cached: building and validating a strategy tree costs far more
# than drawing from it. Times are drawn relative to _REF and then placed at the caller's "now".
_REF = EPOCH
_REF_WALL = _REF.replace(tzinfo=None)
_PLACEHOLDER_PLAN = UUID(int=0)


# -- values -------------------------------------------------------------------------------------
def aware_datetimes(
    min_value: datetime = datetime(2000, 1, 1),
    max_value: datetime = datetime(2100, 1, 1),
    *,
    time_zones: Sequence[str | timezone] = TIME_ZONES,
) -> SearchStrategy[datetime]:
    """Timezone-aware datetimes between two naive bounds, in Australian zones or UTC by default.

    Pass ``time_zones`` of fixed offsets (``timezone(timedelta(hours=10))``) to stay clear of
    daylight-saving folds; IANA zones include their ambiguous and skipped hours."""
    return _aware_datetimes(min_value, max_value, tuple(time_zones))


@cache
def _aware_datetimes(
    min_value: datetime, max_value: datetime, time_zones: tuple[str | timezone, ...]
) -> SearchStrategy[datetime]:
    zones = [ZoneInfo(z) if isinstance(z, str) else z for z in time_zones]
    return st.datetimes(
        min_value, max_value, timezones=st.sampled_from(zones), allow_imaginary=False
    )


def actors(
    role: Role | None = None, *, staff_ids: Sequence[str] | None = STAFF_IDS
) -> SearchStrategy[Actor]:
    """Officers in ``role`` (any role if ``None``), with ids from ``staff_ids`` (arbitrary
    non-blank text if ``None``)."""
    return _actors(role, tuple(staff_ids) if staff_ids else None)


@cache
def _actors(role: Role | None, staff_ids: tuple[str, ...] | None) -> SearchStrategy[Actor]:
    return st.builds(
        Actor,
        staff_id=st.sampled_from(staff_ids) if staff_ids else _non_blank_text(20),
        role=st.just(role) if role is not None else st.sampled_from(Role),
        aps_level=st.sampled_from(get_args(ApsLevel)),
        team=st.sampled_from(_TEAMS),
    )


@cache
def _actor(*roles: Role) -> SearchStrategy[Actor]:
    """Mostly one of ``roles``, sometimes anyone."""
    return _mostly(st.sampled_from(roles).flatmap(actors), actors(), odds=3)


def reasons(justified: bool | None = None) -> SearchStrategy[tuple[str, ...]]:
    """Reasons for a decision: long enough to justify it, too brief, or (``None``) either."""
    return _reasons(justified)


@cache
def _reasons(justified: bool | None) -> SearchStrategy[tuple[str, ...]]:
    good = st.lists(st.sampled_from(JUSTIFYING_REASONS), min_size=1, max_size=2).map(tuple)
    brief = _tuples(st.sampled_from(BRIEF_REASONS), max_size=3)
    if justified is None:
        return _mostly(good, brief, odds=3)
    return good if justified else brief


@cache
def incident_refs() -> SearchStrategy[IncidentRef]:
    """CIMS/CIRT incidents from a small pool of ids."""
    return st.builds(
        IncidentRef,
        incident_id=st.sampled_from(_INCIDENT_IDS),
        system=st.sampled_from(("CIMS", "CIRT")),
        involved_assault_or_stalking=st.booleans(),
    )


def behaviours(factual: bool | None = None) -> SearchStrategy[Behaviour]:
    """Behaviours taken into consideration, described factually, vaguely or (``None``) either."""
    return _behaviours(factual)


@cache
def _behaviours(factual: bool | None) -> SearchStrategy[Behaviour]:
    described = st.sampled_from(FACTUAL_DESCRIPTIONS)
    summarised = st.sampled_from(VAGUE_DESCRIPTIONS)
    if factual is None:
        description = _mostly(described, summarised, odds=5)
    else:
        description = described if factual else summarised
    return st.builds(Behaviour, label=st.sampled_from(_BEHAVIOUR_LABELS), description=description)


@cache
def restrictions() -> SearchStrategy[Restriction]:
    """Servicing restrictions of every kind."""
    return st.builds(
        Restriction,
        kind=st.sampled_from(get_args(RestrictionKind)),
        scope=st.sampled_from(("", "All service centres in NSW")),
        notes=st.just(""),
    )


@cache
def contact_points() -> SearchStrategy[ContactPoint]:
    """The OMC/PSSO contacts of :data:`CONTACT_POINTS`."""
    return st.sampled_from(CONTACT_POINTS)


@cache
def customer_contacts() -> SearchStrategy[CustomerContactDetails]:
    return st.builds(
        CustomerContactDetails,
        preferred_method=st.sampled_from(get_args(ContactChannel)),
        phone=st.none() | st.sampled_from(_NUMBERS),
        postal_address=st.none() | st.sampled_from(_ADDRESSES),
    )


def _after_ref(minutes: int) -> datetime:
    return _REF + timedelta(minutes=minutes)


@cache
def _moments() -> SearchStrategy[datetime]:
    """Times up to three days before _REF (sometimes up to two hours after it)."""
    return _mostly(st.integers(-3 * 24 * 60, 0), st.integers(1, 120)).map(_after_ref)


def _business_time(day: date, minute: int, tzinfo: Any) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tzinfo)


@cache
def _appointments() -> SearchStrategy[datetime]:
    """Appointments during business hours, mostly in the coming months, sometimes in the past."""
    return st.builds(
        _business_time,
        _mostly(st.integers(0, 120), st.integers(-10, 400)).map(
            lambda days: _REF.date() + timedelta(days=days)
        ),
        st.integers(*_BUSINESS_MINUTES),
        st.just(_REF.tzinfo),
    )


def _days_from_ref(days: int) -> date:
    return _REF.date() + timedelta(days=days)


@cache
def _multi_record_checks() -> SearchStrategy[MultiRecordCheck]:
    return st.builds(
        MultiRecordCheck,
        performed_at=_moments(),
        result=_mostly(st.just("UNIQUE"), st.just("MULTIPLE")),
    )


def multi_record_checks(now: datetime = EPOCH) -> SearchStrategy[MultiRecordCheck]:
    """Checks of the mobile number against other records, made around ``now``."""
    return _multi_record_checks().map(
        lambda check: check.model_copy(update={"performed_at": _place(check.performed_at, now)})
    )


def _place(moment: datetime, now: datetime) -> datetime:
    """``moment`` drawn relative to _REF, moved to the same wall-clock distance from ``now``."""
    return (now.replace(tzinfo=None) + (moment.replace(tzinfo=None) - _REF_WALL)).replace(
        tzinfo=now.tzinfo
    )


_PLACED_TIMES = ("occurred_at", "smem_checked_at", "handed_at", "outcome_at")
_PLACED_DATES = ("start_date", "end_date", "new_end_date")


def _placed_command(command: C, plan_id: UUID, now: datetime) -> C:
    """Move a command drawn for _REF and a placeholder plan to ``plan_id`` and ``now``."""
    days = now.date() - _REF.date()
    update: dict[str, Any] = {"plan_id": plan_id}
    for name in _PLACED_TIMES:
        if (value := getattr(command, name, None)) is not None:
            update[name] = _place(value, now)
    for name in _PLACED_DATES:
        if (value := getattr(command, name, None)) is not None:
            update[name] = value + days
    if isinstance(command, GrantOneOffVariation):
        day = command.appointment_at.date() + days
        update["appointment_at"] = datetime.combine(
            day, command.appointment_at.time(), tzinfo=now.tzinfo
        )
    if isinstance(command, SendMspSms) and command.multi_record_check is not None:
        check = command.multi_record_check
        update["multi_record_check"] = check.model_copy(
            update={"performed_at": _place(check.performed_at, now)}
        )
    return command.model_copy(update=update)


def _at(base: SearchStrategy[C], plan_id: UUID, now: datetime) -> SearchStrategy[C]:
    return base.map(lambda command: _placed_command(command, plan_id, now))


# -- commands -----------------------------------------------------------------------------------
class CommandStrategy(Protocol):
    """The signature of every command strategy in :data:`COMMAND_STRATEGIES`."""

    def __call__(self, plan_id: UUID, *, now: datetime = ...) -> SearchStrategy[MspCommand]: ...


@cache
def _envelope() -> dict[str, SearchStrategy[Any]]:
    # Mostly "now" (occurred_at None), sometimes recorded after the event, rarely dated in the
    # future (which MSP-A10 refuses).
    occurred_at = _mostly(
        st.none(),
        _mostly(st.integers(-600, -1), st.integers(1, 60), odds=2).map(_after_ref),
        odds=3,
    )
    return {
        "plan_id": st.just(_PLACEHOLDER_PLAN),
        "reasons": reasons(),
        "evidence_refs": _tuples(st.sampled_from(_EVIDENCE), max_size=2),
        "authority": st.none() | st.just(_AUTHORITY),
        "occurred_at": occurred_at,
        "correlation_id": st.none() | st.uuids(),
        "causation_id": st.none() | st.uuids(),
    }


def _command(
    cls: type[C], actor: SearchStrategy[Actor], **fields: SearchStrategy[Any]
) -> SearchStrategy[C]:
    """Commands of ``cls`` for _REF; ``fields`` may also replace envelope fields."""
    return st.builds(cls, **{**_envelope(), "actor": actor, **fields})


def _with_duration(command: RecordMsp, days: int) -> RecordMsp:
    return command.model_copy(update={"end_date": command.start_date + timedelta(days=days)})


def record_msp_commands(
    plan_id: UUID, *, now: datetime = EPOCH, legal: bool = False, max_days: int = 365
) -> SearchStrategy[RecordMsp]:
    """M1 ``RecordMsp``, starting within a week of ``now``.

    With ``legal=True`` only commands the default rules accept: factual behaviours, incidents and
    vulnerabilities given, alternatives and duration reasons recorded, and a duration of at most
    ``max_days`` days."""
    return _at(_record_msp(legal, max_days), plan_id, now)


@cache
def _record_msp(legal: bool, max_days: int) -> SearchStrategy[RecordMsp]:
    start = st.integers(-7, 7).map(_days_from_ref)
    if legal:
        command = _command(
            RecordMsp,
            actors(Role.MSP_RECORDER),
            reasons=reasons(justified=True),
            occurred_at=st.none(),
            crn=st.sampled_from(_CRNS),
            program=_mostly(st.just("CENTRELINK"), st.sampled_from(get_args(Program)), odds=1),
            msp_type=st.sampled_from(("REACTIVE", "PROACTIVE")),
            triggering_incidents=st.lists(incident_refs(), min_size=1, max_size=2).map(tuple),
            vulnerabilities=st.lists(st.sampled_from(_VULNERABILITIES), min_size=1, max_size=2).map(
                tuple
            ),
            behaviours=st.lists(behaviours(factual=True), min_size=1, max_size=2).map(tuple),
            restrictions=_tuples(restrictions()),
            start_date=start,
            end_date=start,
            duration_reasons=st.sampled_from(_DURATION_REASONS),
            alternatives_considered=st.sampled_from(_ALTERNATIVES),
            omc_psso=contact_points(),
            customer_contact=customer_contacts(),
        )
        return st.builds(_with_duration, command, st.integers(1, max(1, max_days)))
    command = _command(
        RecordMsp,
        _actor(Role.MSP_RECORDER),
        crn=st.sampled_from(_CRNS),
        program=st.sampled_from(get_args(Program)),
        msp_type=st.sampled_from(("REACTIVE", "PROACTIVE")),
        triggering_incidents=_tuples(incident_refs(), max_size=2),
        vulnerabilities=_tuples(st.sampled_from((*_VULNERABILITIES, "", " ")), max_size=2),
        behaviours=_tuples(behaviours(), max_size=2),
        restrictions=_tuples(restrictions()),
        start_date=start,
        end_date=start,
        duration_reasons=_mostly(
            st.sampled_from(_DURATION_REASONS), st.sampled_from(BRIEF_REASONS)
        ),
        alternatives_considered=_mostly(st.sampled_from(_ALTERNATIVES), st.just("")),
        omc_psso=contact_points(),
        customer_contact=customer_contacts(),
    )
    duration = _mostly(st.integers(1, max_days), st.integers(-30, 800), odds=3)
    return st.builds(_with_duration, command, duration)


def approve_msp_commands(plan_id: UUID, *, now: datetime = EPOCH) -> SearchStrategy[ApproveMsp]:
    """M2 ``ApproveMsp``."""
    return _at(_approve_msp(), plan_id, now)


@cache
def _approve_msp() -> SearchStrategy[ApproveMsp]:
    return _command(ApproveMsp, _actor(Role.MSP_APPROVER))


def reject_msp_commands(plan_id: UUID, *, now: datetime = EPOCH) -> SearchStrategy[RejectMsp]:
    """M2 ``RejectMsp``."""
    return _at(_reject_msp(), plan_id, now)


@cache
def _reject_msp() -> SearchStrategy[RejectMsp]:
    return _command(RejectMsp, _actor(Role.MSP_APPROVER))


def withdraw_msp_commands(plan_id: UUID, *, now: datetime = EPOCH) -> SearchStrategy[WithdrawMsp]:
    """``WithdrawMsp``."""
    return _at(_withdraw_msp(), plan_id, now)


@cache
def _withdraw_msp() -> SearchStrategy[WithdrawMsp]:
    return _command(WithdrawMsp, _actor(Role.MSP_APPROVER))


@cache
def _topics() -> SearchStrategy[tuple[CallTopic, ...]]:
    everything = st.just(tuple(sorted(msp.CALL_CHECKLIST)))
    some = st.lists(st.sampled_from(get_args(CallTopic)), unique=True).map(tuple)
    return _mostly(everything, some, odds=2)


@cache
def _note_texts() -> SearchStrategy[str]:
    return _mostly(st.sampled_from(_NOTES), st.sampled_from(("", "  ")), odds=5)


_OFFICERS = (Role.OMC, Role.PSSO, Role.SERVICE_OFFICER)


def record_notification_call_attempt_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[RecordNotificationCallAttempt]:
    """M3 ``RecordNotificationCallAttempt``."""
    return _at(_call_attempt(), plan_id, now)


@cache
def _call_attempt() -> SearchStrategy[RecordNotificationCallAttempt]:
    return _command(
        RecordNotificationCallAttempt,
        _actor(*_OFFICERS),
        number_called=st.sampled_from(_NUMBERS),
        outcome=st.sampled_from(get_args(CallOutcome)),
        topics_covered=_topics(),
        note_text=_note_texts(),
        new_incident=_mostly(st.none(), incident_refs(), odds=2),
        safety_concern=_mostly(st.none(), st.sampled_from(get_args(SafetyFlag)), odds=6),
    )


def record_representative_contact_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[RecordRepresentativeContact]:
    """M6 ``RecordRepresentativeContact``."""
    return _at(_representative_contact(), plan_id, now)


@cache
def _representative_contact() -> SearchStrategy[RecordRepresentativeContact]:
    return _command(
        RecordRepresentativeContact,
        _actor(*_OFFICERS),
        representative_role=st.sampled_from(("POA", "NOMINEE", "PPE")),
        representative_name=st.sampled_from(_REPRESENTATIVES),
        number_called=st.sampled_from(_NUMBERS),
        outcome=st.sampled_from(get_args(CallOutcome)),
        topics_covered=_topics(),
        note_text=_note_texts(),
        new_incident=_mostly(st.none(), incident_refs(), odds=2),
    )


def record_customer_informed_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[RecordCustomerInformed]:
    """M4 ``RecordCustomerInformed``."""
    return _at(_customer_informed(), plan_id, now)


@cache
def _customer_informed() -> SearchStrategy[RecordCustomerInformed]:
    return _command(
        RecordCustomerInformed,
        _actor(*_OFFICERS),
        channel=_mostly(st.sampled_from(("PHONE", "LETTER")), st.just("SMS")),
        informed_person=_mostly(st.just("CUSTOMER"), st.sampled_from(("POA", "NOMINEE", "PPE"))),
    )


def record_decision_not_to_contact_directly_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[RecordDecisionNotToContactDirectly]:
    """M5 ``RecordDecisionNotToContactDirectly``."""
    return _at(_not_contact_directly(), plan_id, now)


@cache
def _not_contact_directly() -> SearchStrategy[RecordDecisionNotToContactDirectly]:
    return _command(
        RecordDecisionNotToContactDirectly,
        _actor(*_OFFICERS),
        alternative=st.sampled_from(("REPRESENTATIVE", "WRITTEN_ONLY")),
    )


def link_incident_commands(plan_id: UUID, *, now: datetime = EPOCH) -> SearchStrategy[LinkIncident]:
    """M7 ``LinkIncident``."""
    return _at(_link_incident(), plan_id, now)


@cache
def _link_incident() -> SearchStrategy[LinkIncident]:
    return _command(
        LinkIncident,
        _actor(*_OFFICERS),
        incident=incident_refs(),
        occurred_during=st.sampled_from(("NOTIFICATION", "OTHER")),
    )


def record_vulnerability_flag_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[RecordVulnerabilityFlag]:
    """``RecordVulnerabilityFlag`` (suicide/self-harm, FDV immediate threat)."""
    return _at(_record_flag(), plan_id, now)


@cache
def _record_flag() -> SearchStrategy[RecordVulnerabilityFlag]:
    return _command(
        RecordVulnerabilityFlag,
        _actor(*_OFFICERS, Role.SOCIAL_WORKER),
        flag=st.sampled_from(get_args(SafetyFlag)),
        source=st.sampled_from(("notification call", "social worker referral")),
    )


def clear_vulnerability_flag_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[ClearVulnerabilityFlag]:
    """``ClearVulnerabilityFlag``."""
    return _at(_clear_flag(), plan_id, now)


@cache
def _clear_flag() -> SearchStrategy[ClearVulnerabilityFlag]:
    return _command(
        ClearVulnerabilityFlag,
        _actor(Role.SOCIAL_WORKER, Role.MSP_APPROVER),
        flag=st.sampled_from(get_args(SafetyFlag)),
    )


def send_msp_sms_commands(plan_id: UUID, *, now: datetime = EPOCH) -> SearchStrategy[SendMspSms]:
    """M8 ``SendMspSms``."""
    return _at(_send_sms(), plan_id, now)


@cache
def _send_sms() -> SearchStrategy[SendMspSms]:
    return _command(
        SendMspSms,
        _actor(Role.MSP_APPROVER),
        reason_code=_mostly(
            st.sampled_from(get_args(SmsReason)), st.sampled_from((None, "CUSTOMER_ASKED"))
        ),
        mobile_number=st.sampled_from(_NUMBERS),
        multi_record_check=_mostly(_multi_record_checks(), st.none()),
        smem_checked_at=_mostly(_moments(), st.none()),
        message_template_id=st.sampled_from(_TEMPLATES),
    )


def issue_contact_card_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[IssueContactCard]:
    """M9 ``IssueContactCard``."""
    return _at(_contact_card(), plan_id, now)


@cache
def _contact_card() -> SearchStrategy[IssueContactCard]:
    return _command(
        IssueContactCard,
        _actor(*_OFFICERS),
        omc_psso=contact_points(),
        issued_via=st.sampled_from(("WITH_LETTER", "IN_PERSON", "POST")),
    )


def attach_final_letter_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[AttachFinalLetter]:
    """M10 ``AttachFinalLetter``."""
    return _at(_attach_letter(), plan_id, now)


@cache
def _attach_letter() -> SearchStrategy[AttachFinalLetter]:
    return _command(
        AttachFinalLetter,
        _actor(*_OFFICERS),
        letter_id=st.sampled_from(LETTER_IDS),
        letter_version=st.integers(1, 3),
        approval_status=_mostly(
            st.just("FINAL_APPROVED"), st.sampled_from(("DRAFT", "FOR_APPROVAL"))
        ),
    )


@cache
def _letter_fields() -> Mapping[str, SearchStrategy[Any]]:
    usual_methods = st.sampled_from(("PRIORITY", "PRIORITY_REGISTERED_PERSON_TO_PERSON"))
    return {
        "letter_id": st.sampled_from(LETTER_IDS),
        "delivery_method": _mostly(usual_methods, st.sampled_from(get_args(DeliveryMethod))),
        "tracking_id": _mostly(st.sampled_from(TRACKING_IDS), st.sampled_from(("", "  "))),
        "includes_review_rights": _mostly(st.just(True), st.just(False)),
        "contact_invitations": _mostly(
            st.sampled_from(((), ("WRITING",), ("WRITING", "ONLINE"))),
            st.lists(st.sampled_from(get_args(ContactChannel)), unique=True, max_size=2).map(tuple),
        ),
    }


def send_msp_letter_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[SendMspLetter]:
    """M11 ``SendMspLetter``."""
    return _at(_send_letter(), plan_id, now)


@cache
def _send_letter() -> SearchStrategy[SendMspLetter]:
    return _command(
        SendMspLetter,
        _actor(*_OFFICERS),
        address=st.sampled_from(_ADDRESSES),
        includes_contact_card=_mostly(st.just(True), st.just(False)),
        **_letter_fields(),
    )


def record_police_hand_delivery_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[RecordPoliceHandDelivery]:
    """M12 ``RecordPoliceHandDelivery``."""
    return _at(_police_hand_delivery(), plan_id, now)


@cache
def _police_hand_delivery() -> SearchStrategy[RecordPoliceHandDelivery]:
    return _command(
        RecordPoliceHandDelivery,
        _actor(*_OFFICERS),
        letter_id=st.sampled_from(LETTER_IDS),
        police_station=st.sampled_from(_STATIONS),
        police_officer=st.sampled_from(_POLICE_OFFICERS),
        handed_at=_moments(),
        serious_case=_mostly(st.just(True), st.just(False)),
        local_arrangement_exists=_mostly(st.just(True), st.just(False)),
    )


def record_letter_delivery_outcome_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[RecordLetterDeliveryOutcome]:
    """M13 ``RecordLetterDeliveryOutcome``."""
    return _at(_delivery_outcome(), plan_id, now)


@cache
def _delivery_outcome() -> SearchStrategy[RecordLetterDeliveryOutcome]:
    return _command(
        RecordLetterDeliveryOutcome,
        _actor(*_OFFICERS),
        letter_id=st.sampled_from(LETTER_IDS),
        tracking_id=st.sampled_from(TRACKING_IDS),
        outcome=_mostly(st.just("DELIVERED"), st.just("RETURNED_TO_SENDER"), odds=2),
        outcome_at=_moments(),
        rts_reason=_mostly(st.sampled_from(_RTS_REASONS), st.just("")),
    )


def grant_one_off_variation_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[GrantOneOffVariation]:
    """M14 ``GrantOneOffVariation``, for appointments during business hours."""
    return _at(_one_off_variation(), plan_id, now)


@cache
def _one_off_variation() -> SearchStrategy[GrantOneOffVariation]:
    return _command(
        GrantOneOffVariation,
        _actor(Role.MSP_APPROVER),
        appointment_at=_appointments(),
        site=st.sampled_from(_SITES),
        purpose=st.sampled_from(_PURPOSES),
    )


def invite_customer_to_review_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[InviteCustomerToReview]:
    """M15 ``InviteCustomerToReview``."""
    return _at(_invite_to_review(), plan_id, now)


@cache
def _invite_to_review() -> SearchStrategy[InviteCustomerToReview]:
    return _command(
        InviteCustomerToReview, _actor(Role.MSP_REVIEWER, Role.MSP_APPROVER), **_letter_fields()
    )


def complete_review_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[CompleteReview]:
    """M16 ``CompleteReview`` (continue, vary, extend or end early)."""
    return _at(_complete_review(), plan_id, now)


@cache
def _complete_review() -> SearchStrategy[CompleteReview]:
    return _command(
        CompleteReview,
        _actor(Role.MSP_REVIEWER, Role.MSP_APPROVER),
        outcome=st.sampled_from(get_args(ReviewOutcome)),
        new_restrictions=_tuples(restrictions()),
        new_end_date=_mostly(
            st.integers(30, 400).map(_days_from_ref),
            st.none() | st.integers(-30, 800).map(_days_from_ref),
        ),
        alternatives_considered=_mostly(st.sampled_from(_ALTERNATIVES), st.just("")),
    )


def send_behaviour_warning_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[SendBehaviourWarning]:
    """M17 ``SendBehaviourWarning``."""
    return _at(_behaviour_warning(), plan_id, now)


@cache
def _behaviour_warning() -> SearchStrategy[SendBehaviourWarning]:
    return _command(SendBehaviourWarning, _actor(*_OFFICERS), **_letter_fields())


def send_restriction_reminder_commands(
    plan_id: UUID, *, now: datetime = EPOCH
) -> SearchStrategy[SendRestrictionReminder]:
    """M17 ``SendRestrictionReminder``."""
    return _at(_restriction_reminder(), plan_id, now)


@cache
def _restriction_reminder() -> SearchStrategy[SendRestrictionReminder]:
    return _command(SendRestrictionReminder, _actor(*_OFFICERS), **_letter_fields())


def expire_msp_commands(plan_id: UUID, *, now: datetime = EPOCH) -> SearchStrategy[ExpireMsp]:
    """M18 ``ExpireMsp`` (usually the timer, acting as ``Role.SYSTEM``)."""
    return _at(_expire_msp(), plan_id, now)


@cache
def _expire_msp() -> SearchStrategy[ExpireMsp]:
    return _command(ExpireMsp, _actor(Role.SYSTEM))


def add_msp_note_commands(plan_id: UUID, *, now: datetime = EPOCH) -> SearchStrategy[AddMspNote]:
    """``AddMspNote``."""
    return _at(_add_note(), plan_id, now)


@cache
def _add_note() -> SearchStrategy[AddMspNote]:
    return _command(AddMspNote, _actor(*_OFFICERS), text=st.sampled_from(_NOTES))


COMMAND_STRATEGIES: Mapping[type[MspCommand], CommandStrategy] = {
    RecordMsp: record_msp_commands,
    ApproveMsp: approve_msp_commands,
    RejectMsp: reject_msp_commands,
    WithdrawMsp: withdraw_msp_commands,
    RecordNotificationCallAttempt: record_notification_call_attempt_commands,
    RecordRepresentativeContact: record_representative_contact_commands,
    RecordCustomerInformed: record_customer_informed_commands,
    RecordDecisionNotToContactDirectly: record_decision_not_to_contact_directly_commands,
    LinkIncident: link_incident_commands,
    RecordVulnerabilityFlag: record_vulnerability_flag_commands,
    ClearVulnerabilityFlag: clear_vulnerability_flag_commands,
    SendMspSms: send_msp_sms_commands,
    IssueContactCard: issue_contact_card_commands,
    AttachFinalLetter: attach_final_letter_commands,
    SendMspLetter: send_msp_letter_commands,
    RecordPoliceHandDelivery: record_police_hand_delivery_commands,
    RecordLetterDeliveryOutcome: record_letter_delivery_outcome_commands,
    GrantOneOffVariation: grant_one_off_variation_commands,
    InviteCustomerToReview: invite_customer_to_review_commands,
    CompleteReview: complete_review_commands,
    SendBehaviourWarning: send_behaviour_warning_commands,
    SendRestrictionReminder: send_restriction_reminder_commands,
    ExpireMsp: expire_msp_commands,
    AddMspNote: add_msp_note_commands,
}
"""The strategy of every MSP command type, by type."""


_BASES: Mapping[type[MspCommand], Callable[[], SearchStrategy[MspCommand]]] = {
    RecordMsp: lambda: _record_msp(False, 365),
    ApproveMsp: _approve_msp,
    RejectMsp: _reject_msp,
    WithdrawMsp: _withdraw_msp,
    RecordNotificationCallAttempt: _call_attempt,
    RecordRepresentativeContact: _representative_contact,
    RecordCustomerInformed: _customer_informed,
    RecordDecisionNotToContactDirectly: _not_contact_directly,
    LinkIncident: _link_incident,
    RecordVulnerabilityFlag: _record_flag,
    ClearVulnerabilityFlag: _clear_flag,
    SendMspSms: _send_sms,
    IssueContactCard: _contact_card,
    AttachFinalLetter: _attach_letter,
    SendMspLetter: _send_letter,
    RecordPoliceHandDelivery: _police_hand_delivery,
    RecordLetterDeliveryOutcome: _delivery_outcome,
    GrantOneOffVariation: _one_off_variation,
    InviteCustomerToReview: _invite_to_review,
    CompleteReview: _complete_review,
    SendBehaviourWarning: _behaviour_warning,
    SendRestrictionReminder: _restriction_reminder,
    ExpireMsp: _expire_msp,
    AddMspNote: _add_note,
}


def commands(
    plan_id: UUID,
    *,
    now: datetime = EPOCH,
    command_types: Sequence[type[MspCommand]] | None = None,
) -> SearchStrategy[MspCommand]:
    """Any MSP command on the plan: of every type of :data:`COMMAND_STRATEGIES`, or of
    ``command_types``."""
    return _at(_commands_of(tuple(command_types or _BASES)), plan_id, now)


@cache
def _commands_of(command_types: tuple[type[MspCommand], ...]) -> SearchStrategy[MspCommand]:
    return st.one_of([_BASES[t]() for t in command_types])


# -- commands that suit a state -----------------------------------------------------------------
def _legal(
    cls: type[C], plan_id: UUID, actor: SearchStrategy[Actor], **fields: Any
) -> SearchStrategy[C]:
    """A command with justified reasons, happening now, and the given field values/strategies."""
    return st.builds(
        cls,
        plan_id=st.just(plan_id),
        actor=actor,
        reasons=reasons(justified=True),
        **{
            name: value if isinstance(value, SearchStrategy) else st.just(value)
            for name, value in fields.items()
        },
    )


def _role_actors(roles: frozenset[Role], *, not_staff: str | None = None) -> SearchStrategy[Actor]:
    actor = st.sampled_from(sorted(roles)).flatmap(actors)
    return actor.filter(lambda a: a.staff_id != not_staff) if not_staff else actor


def _required_method(state: MspState, config: MspConfig) -> DeliveryMethod:
    return msp.required_delivery_method(
        config.letter_policy, state.restriction_kinds, state.incident_involved_assault_or_stalking
    )


def _local_date(when: datetime, config: MspConfig) -> date:
    return when.astimezone(ZoneInfo(config.time_zone)).date()


def progressing_commands(
    state: MspState, *, now: datetime = EPOCH, config: MspConfig | None = None
) -> SearchStrategy[MspCommand]:
    """Commands that move ``state`` along the procedure and that the rules (nearly always)
    accept at ``now``: approval, a successful call, the letter attached, sent and delivered,
    the customer informed, an SMS, a one-off variation, the review and its outcome, expiry.

    A terminal plan has none (the strategy is ``st.nothing()``)."""
    config = config or MspConfig()
    pid = state.id
    officer = actors(Role.OMC)
    deciders = _role_actors(config.decision_maker_roles)
    reviewers = _role_actors(config.reviewer_roles)
    # Notification steps come first (drawn three times in four), then the review, variations
    # and expiry, so that plans are usually notified before they move on.
    options: list[SearchStrategy[MspCommand]] = []
    later: list[SearchStrategy[MspCommand]] = []
    if state.status == "DRAFT":
        options.append(
            _legal(
                ApproveMsp,
                pid,
                _role_actors(config.decision_maker_roles, not_staff=state.recorder_id),
            )
        )
    letter = {
        "delivery_method": _required_method(state, config),
        "tracking_id": st.sampled_from(TRACKING_IDS),
        "contact_invitations": ("WRITING",),
    }
    if state.status == "ACTIVE":
        options.append(
            _legal(
                RecordNotificationCallAttempt,
                pid,
                officer,
                number_called=st.sampled_from(_NUMBERS),
                outcome="ENGAGED_SUCCESSFUL",
                topics_covered=tuple(sorted(msp.CALL_CHECKLIST)),
                note_text=_NOTES[1],
            )
        )
        options.append(
            _legal(
                AttachFinalLetter,
                pid,
                officer,
                letter_id=st.sampled_from(LETTER_IDS),
                letter_version=st.integers(1, 3),
                approval_status="FINAL_APPROVED",
            )
        )
        later.append(_legal(InviteCustomerToReview, pid, reviewers, letter_id="R-1", **letter))
        if state.restriction_kinds & {"FULL_FACE_TO_FACE", "PARTIAL_FACE_TO_FACE"}:
            first = max(now.date() + timedelta(days=1), state.start_date)
            if first <= state.end_date:
                days = (state.end_date - first).days
                later.append(
                    _legal(
                        GrantOneOffVariation,
                        pid,
                        deciders,
                        appointment_at=st.builds(
                            _business_time,
                            st.integers(0, days).map(lambda d: first + timedelta(days=d)),
                            st.integers(*_BUSINESS_MINUTES),
                            st.just(now.tzinfo),
                        ),
                        site=st.sampled_from(_SITES),
                        purpose=st.sampled_from(_PURPOSES),
                    )
                )
    if state.status in msp.IN_FORCE:
        if state.successful_contacts:
            options.append(
                _legal(
                    RecordCustomerInformed,
                    pid,
                    officer,
                    channel="PHONE",
                    informed_person=st.sampled_from(state.successful_contacts),
                )
            )
        if state.attached_letter_id is not None:
            options.append(
                _legal(
                    SendMspLetter,
                    pid,
                    officer,
                    letter_id=state.attached_letter_id,
                    address=st.sampled_from(_ADDRESSES),
                    **letter,
                )
            )
        if state.letter_sent_id is not None and state.letter_outcome is None:
            options.append(
                _legal(
                    RecordLetterDeliveryOutcome,
                    pid,
                    officer,
                    letter_id=state.letter_sent_id,
                    tracking_id=state.letter_tracking_id,
                    outcome="DELIVERED",
                    outcome_at=now,
                )
            )
        if state.letter_outcome == "DELIVERED":
            options.append(_legal(RecordCustomerInformed, pid, officer, channel="LETTER"))
        if not state.contact_card_issued:
            options.append(_legal(IssueContactCard, pid, officer, omc_psso=state.omc_psso))
        if state.program == "CENTRELINK":
            # Legal even when a safety flag is in force: the safeguards then block it.
            options.append(
                _legal(
                    SendMspSms,
                    pid,
                    deciders,
                    reason_code=st.sampled_from(get_args(SmsReason)),
                    mobile_number=st.sampled_from(_NUMBERS),
                    multi_record_check=MultiRecordCheck(performed_at=now, result="UNIQUE"),
                    smem_checked_at=now,
                    message_template_id=st.sampled_from(_TEMPLATES),
                )
            )
        if _local_date(now, config) >= state.end_date:
            later.append(_legal(ExpireMsp, pid, actors(Role.SYSTEM)))
    if state.status == "UNDER_REVIEW":
        options.append(
            _legal(
                CompleteReview,
                pid,
                reviewers,
                outcome=st.sampled_from(("CONTINUE_UNCHANGED", "END_EARLY")),
            )
        )
        options.append(
            _legal(
                CompleteReview,
                pid,
                deciders,
                outcome="VARY",
                new_restrictions=st.lists(restrictions(), min_size=1, max_size=2).map(tuple),
                alternatives_considered=_ALTERNATIVES[0],
            )
        )
        latest = _local_date(now, config) + timedelta(days=config.max_plan_duration_days)
        if latest > state.end_date:
            options.append(
                _legal(
                    CompleteReview,
                    pid,
                    deciders,
                    outcome="EXTEND",
                    new_end_date=st.integers(1, min(365, (latest - state.end_date).days)).map(
                        lambda d: state.end_date + timedelta(days=d)
                    ),
                )
            )
    if options and later:
        return _mostly(st.one_of(options), st.one_of(later), odds=3)
    return st.one_of(options or later) if options or later else st.nothing()


def closing_commands(
    state: MspState, *, now: datetime = EPOCH, config: MspConfig | None = None
) -> SearchStrategy[MspCommand]:
    """Commands that close a plan and that the rules accept at ``now``: rejection or withdrawal
    of a draft, withdrawal, ending early at review, or expiry once the end date is reached.

    A plan that is already closed has none (the strategy is ``st.nothing()``)."""
    config = config or MspConfig()
    pid = state.id
    deciders = _role_actors(config.decision_maker_roles)
    options: list[SearchStrategy[MspCommand]] = []
    if state.status == "DRAFT":
        not_recorder = _role_actors(config.decision_maker_roles, not_staff=state.recorder_id)
        options.append(_legal(RejectMsp, pid, not_recorder))
    if state.status in {"DRAFT", *msp.IN_FORCE}:
        options.append(_legal(WithdrawMsp, pid, deciders))
    if state.status == "UNDER_REVIEW":
        options.append(
            _legal(CompleteReview, pid, _role_actors(config.reviewer_roles), outcome="END_EARLY")
        )
    if state.status in msp.IN_FORCE and _local_date(now, config) >= state.end_date:
        options.append(_legal(ExpireMsp, pid, actors(Role.SYSTEM)))
    return st.one_of(options) if options else st.nothing()


# -- events -------------------------------------------------------------------------------------
_MAX_INT = 10**6
"""Counters and versions stay realistic (see the 64-bit note in the round-trip tests)."""


def _strategy_for(annotation: Any, datetimes: SearchStrategy[datetime]) -> SearchStrategy[Any]:
    if annotation is AwareDatetime or annotation is datetime:
        return datetimes
    if annotation is str:
        return st.text(max_size=30)
    if annotation is int:
        return st.integers(0, _MAX_INT)
    if annotation is NoneType:
        return st.none()
    if annotation is Actor:
        return actors(staff_ids=None)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _tuples(_strategy_for(args[0], datetimes))
    if origin is Union or origin is UnionType:
        return st.one_of([_strategy_for(arg, datetimes) for arg in args])
    if origin is Literal:
        return st.sampled_from(args)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _models(annotation, datetimes)
    return st.from_type(annotation)


def _field_strategy(info: FieldInfo, datetimes: SearchStrategy[datetime]) -> SearchStrategy[Any]:
    if any(isinstance(m, StringConstraints) and m.min_length for m in info.metadata):
        return _non_blank_text()
    if info.annotation is int:
        bounds = [m.ge for m in info.metadata if isinstance(m, annotated_types.Ge)]
        return st.integers(int(cast(int, bounds[0])) if bounds else 0, _MAX_INT)
    return _strategy_for(info.annotation, datetimes)


M = TypeVar("M", bound=BaseModel)


def _models(
    cls: type[M], datetimes: SearchStrategy[datetime], **overrides: SearchStrategy[Any]
) -> SearchStrategy[M]:
    fields = {
        name: overrides[name] if name in overrides else _field_strategy(info, datetimes)
        for name, info in cls.model_fields.items()
    }
    return st.builds(cls, **fields)


E = TypeVar("E", bound=MspEvent)


def events_of_type(
    event_type: type[E],
    *,
    datetimes: SearchStrategy[datetime] | None = None,
    **overrides: SearchStrategy[Any],
) -> SearchStrategy[E]:
    """Events of one type with every field (envelope included) drawn from its declared type and
    constraints; ``overrides`` replace the strategies of named fields."""
    datetimes = aware_datetimes() if datetimes is None else datetimes
    if overrides:
        return _models(event_type, datetimes, **overrides)
    return _cached_models(event_type, datetimes)


@cache
def _cached_models(cls: type[M], datetimes: SearchStrategy[datetime]) -> SearchStrategy[M]:
    return _models(cls, datetimes)


def msp_events(
    event_types: Sequence[type[MspEvent]] = MSP_EVENT_TYPES,
    *,
    datetimes: SearchStrategy[datetime] | None = None,
) -> SearchStrategy[MspEvent]:
    """Events of every type of ``MSP_EVENT_TYPES`` (or of ``event_types``) with valid envelopes
    and arbitrary valid field values. They are not a plan's history: see :func:`histories`."""
    return _events_of_types(
        tuple(event_types), aware_datetimes() if datetimes is None else datetimes
    )


@cache
def _events_of_types(
    event_types: tuple[type[MspEvent], ...], datetimes: SearchStrategy[datetime]
) -> SearchStrategy[MspEvent]:
    return st.one_of([events_of_type(t, datetimes=datetimes) for t in event_types])


for _value_type in (
    IncidentRef,
    Behaviour,
    Restriction,
    ContactPoint,
    CustomerContactDetails,
    MultiRecordCheck,
):
    st.register_type_strategy(_value_type, _models(_value_type, aware_datetimes()))
st.register_type_strategy(Actor, actors(staff_ids=None))


# -- histories ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One accepted command, when it was decided, and the events it recorded."""

    at: datetime
    command: MspCommand
    events: tuple[MspEvent, ...]


@dataclass(frozen=True)
class History:
    """A plan's legal history: the accepted commands in order, each with its events."""

    plan_id: UUID
    config: MspConfig
    steps: tuple[Step, ...]

    @property
    def events(self) -> tuple[MspEvent, ...]:
        return tuple(e for step in self.steps for e in step.events)

    @property
    def state(self) -> MspState:
        state = msp.fold(self.events)
        assert state is not None, "a history starts with MspRecorded"
        return state

    @property
    def now(self) -> datetime:
        """When the last command was decided."""
        return self.steps[-1].at


def _later(now: datetime, end_date: date) -> SearchStrategy[datetime]:
    """A later time during business hours: within three days, or on or after the end date."""

    def at(day: date, minute: int) -> datetime:
        return max(now + timedelta(minutes=1), _business_time(day, minute, now.tzinfo))

    soon = st.integers(0, 3).map(lambda d: now.date() + timedelta(days=d))
    at_end = st.integers(0, 2).map(lambda d: end_date + timedelta(days=d))
    return st.builds(at, _mostly(soon, at_end, odds=20), st.integers(*_BUSINESS_MINUTES))


def histories(
    *,
    plan_id: UUID | None = None,
    config: MspConfig | None = None,
    start: datetime = EPOCH,
    max_steps: int = 25,
) -> SearchStrategy[History]:
    """Legal histories of one plan: a legal ``RecordMsp`` at ``start``, then up to ``max_steps``
    commands (two in three from :func:`progressing_commands`, the others from :func:`commands`),
    each decided a little later, keeping only the accepted ones. It stops early when the plan
    closes.

    With no ``config`` the letter policy is drawn (``V1`` or ``V2``); the other rules keep their
    defaults."""

    @st.composite
    def build(draw: st.DrawFn) -> History:
        pid = plan_id if plan_id is not None else draw(st.uuids())
        cfg = config or MspConfig(letter_policy=draw(st.sampled_from(("V1", "V2"))))
        now = start
        record = draw(
            record_msp_commands(
                pid, now=now, legal=True, max_days=min(365, cfg.max_plan_duration_days)
            )
        )
        events = msp.decide(None, record, now=now, config=cfg)
        steps = [Step(now, record, tuple(events))]
        state = msp.fold(events)
        assert state is not None
        for _ in range(draw(st.integers(0, max_steps))):
            if state.is_terminal:
                break
            now = draw(_later(now, state.end_date))
            progress = draw(st.integers(0, 2)) > 0
            command = draw(
                progressing_commands(state, now=now, config=cfg)
                if progress
                else commands(pid, now=now)
            )
            try:
                events = msp.decide(state, command, now=now, config=cfg)
            except RuleViolation:
                continue
            state = msp.fold(events, state)
            assert state is not None
            steps.append(Step(now, command, tuple(events)))
        return History(pid, cfg, tuple(steps))

    return build()


# -- the naive model ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Expected:
    """What the model expects ``decide`` to do with a command.

    ``refusals`` are the rules the command breaks (``decide`` names one of them; empty: it is
    accepted); ``not_found`` that the plan does not exist; ``sms_blocked_by`` the safeguards that
    turn an accepted ``SendMspSms`` into ``MspSmsBlocked`` (empty: ``MspSmsSent``)."""

    refusals: frozenset[str] = frozenset()
    not_found: bool = False
    sms_blocked_by: frozenset[str] = frozenset()

    @property
    def accepted(self) -> bool:
        return not self.refusals and not self.not_found

    def __str__(self) -> str:
        if self.accepted:
            blocked = f", blocked by {sorted(self.sms_blocked_by)}" if self.sms_blocked_by else ""
            return f"acceptance{blocked}"
        found = ["plan not found"] if self.not_found else []
        return "refusal by " + " or ".join([*sorted(self.refusals), *found])


_TERMINAL = frozenset({"REJECTED", "WITHDRAWN", "ENDED", "EXPIRED"})
_IN_FORCE = frozenset({"ACTIVE", "UNDER_REVIEW"})
_FORBIDDEN_INVITATIONS: dict[str, frozenset[str]] = {
    "WRITE_ONLY": frozenset({"PHONE", "FACE_TO_FACE"}),
    "FULL_FACE_TO_FACE": frozenset({"FACE_TO_FACE"}),
    "PHONE_ONLY": frozenset({"FACE_TO_FACE"}),
}
_Letter = SendMspLetter | InviteCustomerToReview | SendBehaviourWarning | SendRestrictionReminder


@dataclass
class MspModel:
    """A naive model of one plan, written from the procedure rather than from ``decide``.

    It keeps what an officer would track on paper (status, notification round, who was reached,
    which letter was attached and sent, flags, counts), says what it expects of each command
    (:meth:`expect`) and records the effect of accepted ones (:meth:`accept`). It knows the rules
    as the domain reference states them, reading the configurable ones from ``config``.
    """

    config: MspConfig
    recorded: bool = False
    status: str = "NONE"
    program: str = ""
    recorder_id: str = ""
    restriction_kinds: frozenset[str] = frozenset()
    assault_or_stalking: bool = False
    omc: ContactPoint | None = None
    start_date: date = date.min
    end_date: date = date.min
    flags: set[str] = field(default_factory=set)
    incidents: list[str] = field(default_factory=list)
    round: int = 1
    reached: set[str] = field(default_factory=set)
    waived: bool = False
    informed: bool = False
    attached_letter: str | None = None
    sent_letter: tuple[str, str] | None = None
    letter_outcome: str | None = None
    card_issued: bool = False
    contact_attempts: int = 0
    sms_sent: int = 0
    sms_blocked: int = 0
    notes: int = 0
    police_handovers: int = 0
    variations: int = 0

    @property
    def terminal(self) -> bool:
        return self.status in _TERMINAL

    @property
    def in_force(self) -> bool:
        return self.status in _IN_FORCE

    # -- overridable knowledge -------------------------------------------------------------------
    def behaviour_is_factual(self, behaviour: Behaviour) -> bool:
        """MSP-R11. The pools of this module are classified by membership; other text by
        counting the words that are not vague. Override for your own descriptions."""
        if behaviour.description in FACTUAL_DESCRIPTIONS:
            return True
        if behaviour.description in VAGUE_DESCRIPTIONS:
            return False
        words = [w.strip('.,;:!?"()').lower() for w in behaviour.description.split()]
        specific = [w for w in words if w and w not in self.config.vague_behaviour_terms]
        return (
            len(specific) >= self.config.min_behaviour_description_words
            and behaviour.description.strip().lower() != behaviour.label.strip().lower()
        )

    def required_delivery_method(self) -> str:
        """MSP-A7, the published letter policies: V2 sends everything by Priority; V1 sends
        registered person-to-person post for restricted plans unless the incident involved
        assault or stalking."""
        if self.config.letter_policy == "V2" or self.assault_or_stalking:
            return "PRIORITY"
        restricted = {"WRITE_ONLY", "FULL_FACE_TO_FACE", "PARTIAL_FACE_TO_FACE"}
        if self.restriction_kinds & {*restricted, "PROTECTION_ORDER_EXISTS"}:
            return "PRIORITY_REGISTERED_PERSON_TO_PERSON"
        return "PRIORITY"

    def forbidden_invitations(self) -> frozenset[str]:
        """MSP-R14: the contact channels a letter must not invite, given the restrictions."""
        forbidden: set[str] = set()
        for kind in self.restriction_kinds:
            forbidden |= _FORBIDDEN_INVITATIONS.get(kind, frozenset())
        return frozenset(forbidden)

    # -- expectations ----------------------------------------------------------------------------
    def _justified(self, why: Sequence[str]) -> bool:
        return len(" ".join(r.strip() for r in why)) >= self.config.min_decision_reason_chars

    def _decides(self, actor: Actor) -> bool:
        return actor.role in self.config.decision_maker_roles

    def _reviews(self, actor: Actor) -> bool:
        return actor.role in self.config.reviewer_roles

    def _letter_rules(self, c: _Letter) -> set[str]:
        broken: set[str] = set()
        if c.delivery_method in _HAND_DELIVERY:
            broken.add("MSP-R10")
        if c.delivery_method != self.required_delivery_method() or not c.tracking_id.strip():
            broken.add("MSP-A7")
        if (
            not c.includes_review_rights
            or set(c.contact_invitations) & self.forbidden_invitations()
        ):
            broken.add("MSP-R14")
        return broken

    def _record_rules(self, c: RecordMsp) -> set[str]:
        broken: set[str] = set()
        if not c.behaviours or not all(self.behaviour_is_factual(b) for b in c.behaviours):
            broken.add("MSP-R11")
        if c.msp_type == "REACTIVE" and not c.triggering_incidents:
            broken.add("MSP-R15")
        if c.msp_type == "PROACTIVE" and not any(v.strip() for v in c.vulnerabilities):
            broken.add("MSP-R15")
        kinds = {r.kind for r in c.restrictions}
        if kinds & {"WRITE_ONLY", "FULL_FACE_TO_FACE"} and not c.alternatives_considered.strip():
            broken.add("MSP-R15")
        too_long = (c.end_date - c.start_date).days > self.config.max_plan_duration_days
        if c.end_date <= c.start_date or too_long:
            broken.add("MSP-R14")
        if len(c.duration_reasons.strip()) < self.config.min_decision_reason_chars:
            broken.add("MSP-R14")
        return broken

    def local_date(self, when: datetime) -> date:
        """The calendar date of ``when`` in the procedure's time zone (``config.time_zone``)."""
        return when.astimezone(ZoneInfo(self.config.time_zone)).date()

    def _status(self, *allowed: str) -> set[str]:
        return set() if self.status in allowed else {"MSP-A1"}

    def _rules(self, command: MspCommand, occurred: datetime, now: datetime) -> set[str]:
        broken: set[str] = set()
        a = command.actor
        match command:
            case ApproveMsp() | RejectMsp():
                broken |= self._status("DRAFT")
                if not self._decides(a):
                    broken.add("MSP-A3")
                if self.config.require_four_eyes and a.staff_id == self.recorder_id:
                    broken.add("MSP-A2")
                if not self._justified(command.reasons):
                    broken.add("MSP-R15")
            case WithdrawMsp():
                broken |= self._status("DRAFT", *_IN_FORCE)
                if not self._decides(a):
                    broken.add("MSP-A3")
                if not self._justified(command.reasons):
                    broken.add("MSP-R15")
            case RecordNotificationCallAttempt() | RecordRepresentativeContact():
                broken |= self._status("ACTIVE")
                if isinstance(command, RecordRepresentativeContact) and not self.waived:
                    broken.add("MSP-R12")
                if not command.note_text.strip():
                    broken.add("MSP-R12")
                missing = set(msp.CALL_CHECKLIST) - set(command.topics_covered)
                if command.outcome == "ENGAGED_SUCCESSFUL" and missing:
                    broken.add("MSP-A5")
                if command.outcome == "AGGRESSION" and command.new_incident is None:
                    broken.add("MSP-R13")
            case RecordCustomerInformed():
                broken |= self._status(*_IN_FORCE)
                reached = {
                    "PHONE": command.informed_person in self.reached,
                    "LETTER": self.letter_outcome == "DELIVERED",
                }
                if command.channel == "SMS":
                    broken.add("MSP-R8")
                elif not reached[command.channel]:
                    broken.add("MSP-A4")
            case RecordDecisionNotToContactDirectly():
                broken |= self._status("ACTIVE")
                if len(" ".join(command.reasons).strip()) < self.config.min_decision_reason_chars:
                    broken.add("MSP-R12")
            case ClearVulnerabilityFlag():
                if command.flag not in self.flags:
                    broken.add("MSP-A1")
                if a.role not in self.config.flag_clearing_roles:
                    broken.add("MSP-A3")
                if not self._justified(command.reasons):
                    broken.add("MSP-R15")
            case SendMspSms():
                broken |= self._status(*_IN_FORCE)
                if self.program != "CENTRELINK":
                    broken.add("MSP-R1")
                if not self._decides(a):
                    broken.add("MSP-R2")
                if command.reason_code not in get_args(SmsReason):
                    broken.add("MSP-R3")
                if command.smem_checked_at is None or command.smem_checked_at > occurred:
                    broken.add("MSP-R5")
                check = command.multi_record_check
                if check is None or check.performed_at > occurred:
                    broken.add("MSP-R4")
            case IssueContactCard():
                broken |= self._status(*_IN_FORCE)
                card, omc = command.omc_psso, self.omc
                if omc is None or (card.staff_id, card.phone) != (omc.staff_id, omc.phone):
                    broken.add("MSP-A6")
            case AttachFinalLetter():
                broken |= self._status(*_IN_FORCE)
                if command.approval_status != "FINAL_APPROVED":
                    broken.add("MSP-R9")
            case SendMspLetter():
                broken |= self._status(*_IN_FORCE) | self._letter_rules(command)
                if command.letter_id != self.attached_letter:
                    broken.add("MSP-R9")
                if not command.includes_contact_card:
                    broken.add("MSP-A6")
            case RecordPoliceHandDelivery():
                broken |= self._status(*_IN_FORCE)
                if command.handed_at > now:
                    broken.add("MSP-A10")
                if not (command.serious_case and command.local_arrangement_exists):
                    broken.add("MSP-R10")
                if command.letter_id != self.attached_letter:
                    broken.add("MSP-R9")
            case RecordLetterDeliveryOutcome():
                broken |= self._status(*_IN_FORCE)
                if command.outcome_at > now:
                    broken.add("MSP-A10")
                if self.sent_letter != (command.letter_id, command.tracking_id):
                    broken.add("MSP-A7")
                if command.outcome == "RETURNED_TO_SENDER" and not command.rts_reason.strip():
                    broken.add("MSP-A7")
            case GrantOneOffVariation():
                broken |= self._status(*_IN_FORCE)
                if not self._decides(a):
                    broken.add("MSP-A3")
                if not self.restriction_kinds & {"FULL_FACE_TO_FACE", "PARTIAL_FACE_TO_FACE"}:
                    broken.add("MSP-A8")
                day = self.local_date(command.appointment_at)
                inside = self.start_date <= day <= self.end_date
                if not inside or command.appointment_at <= occurred:
                    broken.add("MSP-A8")
            case InviteCustomerToReview():
                broken |= self._status("ACTIVE") | self._letter_rules(command)
                if not self._reviews(a):
                    broken.add("MSP-A3")
            case CompleteReview():
                broken |= self._status("UNDER_REVIEW")
                changes = command.outcome in ("VARY", "EXTEND")
                if not (self._decides(a) if changes else self._reviews(a)):
                    broken.add("MSP-A3")
                if not self._justified(command.reasons):
                    broken.add("MSP-R15")
                new_end = command.new_end_date
                if command.outcome == "EXTEND":
                    if new_end is None or new_end <= self.end_date:
                        broken.add("MSP-A9")
                    elif (
                        new_end - self.local_date(occurred)
                    ).days > self.config.max_plan_duration_days:
                        broken.add("MSP-R14")
                if command.outcome == "VARY":
                    if not command.new_restrictions:
                        broken.add("MSP-A9")
                    kinds = {r.kind for r in command.new_restrictions}
                    strict = kinds & {"WRITE_ONLY", "FULL_FACE_TO_FACE"}
                    if strict and not command.alternatives_considered.strip():
                        broken.add("MSP-R15")
            case SendBehaviourWarning() | SendRestrictionReminder():
                broken |= self._status(*_IN_FORCE) | self._letter_rules(command)
            case ExpireMsp():
                broken |= self._status(*_IN_FORCE)
                if self.local_date(occurred) < self.end_date:
                    broken.add("MSP-A9")
            case LinkIncident() | RecordVulnerabilityFlag() | AddMspNote():
                pass  # allowed at any time while the plan is open
            case _:
                raise TypeError(
                    f"MspModel does not know {type(command).__name__}: a subclass adding a command "
                    "overrides MspModel.expect for it"
                )
        return broken

    def _sms_blocks(self, command: SendMspSms) -> frozenset[str]:
        blocks = set()
        if "SUICIDE_SELF_HARM" in self.flags:
            blocks.add("MSP-R6")
        if "FDV_IMMEDIATE_THREAT" in self.flags:
            blocks.add("MSP-R7")
        if command.multi_record_check and command.multi_record_check.result == "MULTIPLE":
            blocks.add("MSP-R4")
        return frozenset(blocks)

    def expect(self, command: MspCommand, *, now: datetime) -> Expected:
        """What ``decide`` should do with ``command`` at ``now``."""
        occurred = command.occurred_at or now
        broken = {"MSP-A10"} if occurred > now else set()
        if isinstance(command, RecordMsp):
            broken |= {"MSP-A10"} if self.recorded else self._record_rules(command)
            return Expected(frozenset(broken))
        if not self.recorded:
            return Expected(frozenset(broken), not_found=True)
        if self.terminal:
            return Expected(frozenset(broken | {"MSP-A1"}))
        broken |= self._rules(command, occurred, now)
        blocked = self._sms_blocks(command) if isinstance(command, SendMspSms) else frozenset()
        return Expected(frozenset(broken), sms_blocked_by=blocked)

    # -- effects ---------------------------------------------------------------------------------
    def _new_round(self) -> None:
        self.round += 1
        self.reached = set()
        self.waived = self.informed = self.card_issued = False
        self.attached_letter = self.sent_letter = self.letter_outcome = None

    def _contact(self, person: str, outcome: str, incident: IncidentRef | None) -> None:
        self.contact_attempts += 1
        self.notes += 1
        if outcome == "ENGAGED_SUCCESSFUL":
            self.reached.add(person)
        if incident is not None:
            self.incidents.append(incident.incident_id)

    def accept(self, command: MspCommand, *, now: datetime) -> None:
        """Record the effect of ``command``, which ``decide`` accepted at ``now``."""
        match command:
            case RecordMsp():
                self.recorded = True
                self.status = "DRAFT"
                self.program = command.program
                self.recorder_id = command.actor.staff_id
                self.restriction_kinds = frozenset(r.kind for r in command.restrictions)
                self.assault_or_stalking = any(
                    i.involved_assault_or_stalking for i in command.triggering_incidents
                )
                self.omc = command.omc_psso
                self.start_date, self.end_date = command.start_date, command.end_date
                self.incidents = [i.incident_id for i in command.triggering_incidents]
            case ApproveMsp():
                self.status = "ACTIVE"
            case RejectMsp():
                self.status = "REJECTED"
            case WithdrawMsp():
                self.status = "WITHDRAWN"
            case RecordNotificationCallAttempt():
                self._contact("CUSTOMER", command.outcome, command.new_incident)
                if command.safety_concern is not None:
                    self.flags.add(command.safety_concern)
            case RecordRepresentativeContact():
                self._contact(command.representative_role, command.outcome, command.new_incident)
            case RecordCustomerInformed():
                self.informed = True
            case RecordDecisionNotToContactDirectly():
                self.waived = True
                self.notes += 1
            case LinkIncident():
                self.incidents.append(command.incident.incident_id)
            case RecordVulnerabilityFlag():
                self.flags.add(command.flag)
            case ClearVulnerabilityFlag():
                self.flags.discard(command.flag)
            case SendMspSms():
                if self._sms_blocks(command):
                    self.sms_blocked += 1
                else:
                    self.sms_sent += 1
            case IssueContactCard():
                self.card_issued = True
            case AttachFinalLetter():
                self.attached_letter = command.letter_id
            case SendMspLetter():
                self.sent_letter = (command.letter_id, command.tracking_id)
                self.letter_outcome = None
                self.card_issued = True
            case RecordPoliceHandDelivery():
                self.police_handovers += 1
                self.notes += 1
            case RecordLetterDeliveryOutcome():
                self.letter_outcome = command.outcome
            case GrantOneOffVariation():
                self.variations += 1
            case InviteCustomerToReview():
                self.status = "UNDER_REVIEW"
            case CompleteReview():
                self.status = "ENDED" if command.outcome == "END_EARLY" else "ACTIVE"
                if command.outcome == "VARY":
                    self._new_round()
                    self.restriction_kinds = frozenset(r.kind for r in command.new_restrictions)
                elif command.outcome == "EXTEND":
                    assert command.new_end_date is not None
                    self._new_round()
                    self.end_date = command.new_end_date
            case ExpireMsp():
                self.status = "EXPIRED"
            case AddMspNote():
                self.notes += 1
            case _:
                pass  # letters of M17 change nothing the model tracks


# -- the state machine --------------------------------------------------------------------------
class MspStateMachine(RuleBasedStateMachine):
    """Drives one plan through random legal and illegal commands with the pure ``decide``.

    Every command is first put to the naive :class:`MspModel`; ``decide``'s answer (accepted,
    or refused naming which rule) must be one the model expects, and after every step the plan's
    state must agree with the model and with these invariants:

    * replaying every event so far (and the events after a snapshot) gives the live state;
    * versions are 1, 2, 3, ... without gaps;
    * no ``MspSmsSent`` is recorded on a non-Centrelink plan or while a suicide/self-harm or FDV
      flag is in force;
    * notification is complete only if a letter was sent in the current notification round;
    * a closed plan stays closed and accepts no command.

    Extension points for subclasses:

    * ``config`` (class attribute): the :class:`~recoverycore.MspConfig` the plan is decided
      with (the model reads it too); ``start``: the clock's first reading; ``plan_id``: the
      first plan's id (when a plan closes the run may go on with another, with the next id).
    * :meth:`execute`: decide a command of your own rule through the same checks.
    * :meth:`on_accepted`, :meth:`on_refused`: called after each command.
    * :meth:`extra_invariants`: checked after every step with the built-in invariants.
    * ``self.plan_id``, ``self.model``, ``self.state``, ``self.events`` (of the current plan),
      ``self.now``: read them in your rules; ``self.plans_closed`` counts the plans closed.
    * ``attached_letters`` and ``sent_letters``: bundles of letter ids attached and
      ``(letter_id, tracking_id)`` pairs sent.
    """

    config: ClassVar[MspConfig] = MspConfig()
    start: ClassVar[datetime] = EPOCH
    plan_id: UUID = UUID("00000000-0000-4000-8000-00000000c0de")

    attached_letters: Bundle[str] = Bundle("attached_letters")
    sent_letters: Bundle[tuple[str, str]] = Bundle("sent_letters")

    def __init__(self) -> None:
        super().__init__()
        self.now: datetime = self.start
        self.events: list[MspEvent] = []
        self.state: MspState | None = None
        self.model = MspModel(self.config)
        self.snapshot: tuple[int, Snapshot] | None = None
        self.plans_closed = 0

    # -- hooks -----------------------------------------------------------------------------------
    def on_accepted(self, command: MspCommand, events: list[MspEvent]) -> None:
        """Called after ``decide`` accepted ``command`` (state and model already updated)."""

    def on_refused(self, command: MspCommand, refusal: RuleViolation | AggregateNotFound) -> None:
        """Called after ``decide`` refused ``command``."""

    def extra_invariants(self) -> None:
        """Override to assert invariants of your own after every step."""

    # -- deciding --------------------------------------------------------------------------------
    def execute(self, command: MspCommand) -> list[MspEvent] | None:
        """Decide ``command`` now and check the outcome against the model: the recorded events,
        or ``None`` when it was refused."""
        name = type(command).__name__
        expected = self.model.expect(command, now=self.now)
        refusal: RuleViolation | AggregateNotFound | None = None
        try:
            events = msp.decide(self.state, command, now=self.now, config=self.config)
        except (RuleViolation, AggregateNotFound) as error:
            refusal = error
        if isinstance(refusal, RuleViolation):
            assert refusal.rule_id in expected.refusals, (
                f"{name} was refused by {refusal.rule_id} ({refusal.reason}) but the model "
                f"expected {expected}"
            )
            note_event(f"refused {name} ({refusal.rule_id})")
        elif refusal is not None:
            assert expected.not_found, f"{name} found no plan but the model expected {expected}"
        if refusal is not None:
            self.on_refused(command, refusal)
            return None
        recorded = [type(e).__name__ for e in events]
        assert expected.accepted, (
            f"{name} was accepted ({recorded}) but the model expected {expected}"
        )
        if isinstance(command, SendMspSms):
            if expected.sms_blocked_by:
                assert recorded == ["MspSmsBlocked"], recorded
                assert getattr(events[0], "rule_id", None) in expected.sms_blocked_by
            else:
                assert recorded == ["MspSmsSent"], recorded
        self.events.extend(events)
        for e in events:
            self.state = msp.evolve(self.state, e)
        self.model.accept(command, now=self.now)
        note_event(f"accepted {name}")
        self.on_accepted(command, events)
        return events

    def _draw(self, data: st.DataObject, *command_types: type[MspCommand]) -> None:
        """Decide a command drawn from :func:`commands` (of ``command_types``, or any)."""
        strategy = commands(self.plan_id, now=self.now, command_types=command_types or None)
        self.execute(data.draw(strategy))

    # -- rules -----------------------------------------------------------------------------------
    def _open(self) -> bool:
        return self.model.recorded and not self.model.terminal

    @initialize(data=st.data())
    def begin(self, data: st.DataObject) -> None:
        """Start from a legal recorded and approved plan, a draft, or (rarely) nothing."""
        self._start(data)

    def _start(self, data: st.DataObject) -> None:
        start = data.draw(
            _mostly(st.sampled_from(("ACTIVE", "DRAFT")), st.just("NOTHING"), odds=5),
            label="start",
        )
        if start == "NOTHING":
            return
        max_days = min(365, self.config.max_plan_duration_days)
        record = record_msp_commands(self.plan_id, now=self.now, legal=True, max_days=max_days)
        self.execute(data.draw(record))
        if start == "ACTIVE" and self.state is not None:
            approvals = progressing_commands(self.state, now=self.now, config=self.config)
            self.execute(data.draw(approvals))

    @precondition(lambda self: not self.model.recorded)
    @rule(data=st.data())
    def command_before_recording(self, data: st.DataObject) -> None:
        self._draw(data)

    @precondition(lambda self: not self.model.recorded)
    @rule(data=st.data())
    def record_msp(self, data: st.DataObject) -> None:
        self._draw(data, RecordMsp)

    @precondition(lambda self: self.model.status == "DRAFT")
    @rule(data=st.data())
    def decide_draft(self, data: st.DataObject) -> None:
        self._draw(data, ApproveMsp, RejectMsp, WithdrawMsp)

    @precondition(_open)
    @rule(data=st.data())
    def any_command(self, data: st.DataObject) -> None:
        self._draw(data)

    @precondition(_open)
    @rule(data=st.data())
    def progress(self, data: st.DataObject) -> None:
        assert self.state is not None
        command = data.draw(progressing_commands(self.state, now=self.now, config=self.config))
        self.execute(command)

    @precondition(_open)
    @rule(data=st.data())
    def contact_customer(self, data: st.DataObject) -> None:
        self._draw(
            data,
            RecordNotificationCallAttempt,
            RecordRepresentativeContact,
            RecordDecisionNotToContactDirectly,
            RecordCustomerInformed,
        )

    @precondition(_open)
    @rule(data=st.data())
    def safeguard(self, data: st.DataObject) -> None:
        self._draw(
            data,
            RecordVulnerabilityFlag,
            ClearVulnerabilityFlag,
            SendMspSms,
            LinkIncident,
            AddMspNote,
        )

    @precondition(_open)
    @rule(target=attached_letters, data=st.data())
    def attach_letter(self, data: st.DataObject) -> Any:
        command = data.draw(attach_final_letter_commands(self.plan_id, now=self.now))
        return multiple() if self.execute(command) is None else command.letter_id

    @precondition(_open)
    @rule(target=sent_letters, letter=attached_letters, data=st.data())
    def send_attached_letter(self, letter: str, data: st.DataObject) -> Any:
        command = data.draw(send_msp_letter_commands(self.plan_id, now=self.now))
        command = command.model_copy(update={"letter_id": letter})
        if self.execute(command) is None:
            return multiple()
        return (command.letter_id, command.tracking_id)

    @precondition(_open)
    @rule(letter=sent_letters, data=st.data())
    def record_delivery(self, letter: tuple[str, str], data: st.DataObject) -> None:
        command = data.draw(record_letter_delivery_outcome_commands(self.plan_id, now=self.now))
        letter_id, tracking_id = letter
        self.execute(
            command.model_copy(update={"letter_id": letter_id, "tracking_id": tracking_id})
        )

    @precondition(_open)
    @rule(letter=attached_letters, data=st.data())
    def police_hand_over(self, letter: str, data: st.DataObject) -> None:
        command = data.draw(record_police_hand_delivery_commands(self.plan_id, now=self.now))
        self.execute(command.model_copy(update={"letter_id": letter}))

    @precondition(lambda self: self.model.terminal)
    @rule(data=st.data())
    def closed_plan_refuses_everything(self, data: st.DataObject) -> None:
        before = list(self.events)
        command = data.draw(commands(self.plan_id, now=self.now))
        assert self.execute(command) is None, f"a closed plan accepted {type(command).__name__}"
        assert self.events == before

    @precondition(lambda self: self.model.terminal)
    @rule(data=st.data())
    def start_another_plan(self, data: st.DataObject) -> None:
        """Once a plan is closed, the rest of the run drives a new plan (with a new id)."""
        self.plans_closed += 1
        self.plan_id = UUID(int=self.plan_id.int + 1)
        self.events, self.state, self.snapshot = [], None, None
        self.model = MspModel(self.config)
        self._start(data)

    @rule(days=st.integers(0, 3), minute=st.integers(*_BUSINESS_MINUTES))
    def wait(self, days: int, minute: int) -> None:
        later = _business_time(self.now.date() + timedelta(days=days), minute, self.now.tzinfo)
        self.now = max(self.now + timedelta(minutes=1), later)

    @precondition(lambda self: self.model.in_force and self.now.date() < self.model.end_date)
    @rule()
    def wait_for_end_date(self) -> None:
        self.now = _business_time(self.model.end_date, 9 * 60, self.now.tzinfo)

    @precondition(lambda self: self.state is not None)
    @rule()
    def take_snapshot(self) -> None:
        assert self.state is not None
        self.snapshot = (len(self.events), Snapshot.take(self.state))

    # -- invariants ------------------------------------------------------------------------------
    @invariant()
    def replay_equals_live_state(self) -> None:
        assert msp.fold(self.events) == self.state
        if self.snapshot is not None:
            position, snapshot = self.snapshot
            restored = snapshot.mutate()
            assert isinstance(restored, MspState)
            assert msp.fold(self.events[position:], restored) == self.state

    @invariant()
    def versions_are_gap_free(self) -> None:
        versions = [e.originator_version for e in self.events]
        assert versions == list(range(1, len(versions) + 1)), versions
        assert all(e.originator_id == self.plan_id for e in self.events)
        if self.state is not None:
            assert self.state.version == len(self.events)

    @invariant()
    def state_agrees_with_model(self) -> None:
        s, m = self.state, self.model
        if s is None:
            assert not m.recorded
            return
        assert s.status == m.status
        assert (s.program, s.recorder_id) == (m.program, m.recorder_id)
        assert set(s.safety_flags) == m.flags
        assert list(s.linked_incident_ids) == m.incidents
        assert s.restriction_kinds == m.restriction_kinds
        assert s.end_date == m.end_date
        assert s.notification_round == m.round
        assert set(s.successful_contacts) == m.reached
        assert s.direct_contact_waived == m.waived
        assert (s.customer_informed_on is not None) == m.informed
        assert s.attached_letter_id == m.attached_letter
        sent = (s.letter_sent_id, s.letter_tracking_id) if s.letter_sent_id is not None else None
        assert sent == m.sent_letter
        assert s.letter_outcome == m.letter_outcome
        assert s.contact_card_issued == m.card_issued
        assert (s.contact_attempts, s.notes) == (m.contact_attempts, m.notes)
        assert (s.sms_sent, s.sms_blocked) == (m.sms_sent, m.sms_blocked)
        assert (s.police_handovers, len(s.one_off_variations)) == (
            m.police_handovers,
            m.variations,
        )

    @invariant()
    def sms_sent_only_when_allowed(self) -> None:
        program: str | None = None
        flags: set[str] = set()
        for e in self.events:
            if isinstance(e, MspRecorded):
                program = e.program
            elif isinstance(e, MspVulnerabilityFlagRecorded):
                flags.add(e.flag)
            elif isinstance(e, MspVulnerabilityFlagCleared):
                flags.discard(e.flag)
            elif isinstance(e, MspSmsSent):
                assert program == "CENTRELINK", f"MSP SMS sent on a {program} plan"
                assert not flags, f"MSP SMS sent while {sorted(flags)} in force"

    @invariant()
    def notification_complete_needs_a_letter_this_round(self) -> None:
        if self.state is None or not self.state.notification_complete:
            return
        last_letter = max(
            (i for i, e in enumerate(self.events) if isinstance(e, MspLetterSent)), default=-1
        )
        new_round = max(
            (i for i, e in enumerate(self.events) if isinstance(e, MspVaried | MspExtended)),
            default=-1,
        )
        assert last_letter > new_round, "notification complete without a letter this round"
        assert self.model.sent_letter is not None

    @invariant()
    def closed_plan_stays_closed(self) -> None:
        if self.model.terminal:
            assert self.state is not None
            assert self.state.is_terminal
            assert self.state.closed_on is not None

    @invariant()
    def subclass_invariants(self) -> None:
        self.extra_invariants()
