"""Pools of realistic values and value strategies (actors, reasons, behaviours, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from typing import (
    Any,
    TypeVar,
    get_args,
)
from uuid import UUID
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from recoverycore.aggregates.msp import (
    GrantOneOffVariation,
    MspCommand,
    SendMspSms,
)
from recoverycore.events import Actor, ApsLevel, Role
from recoverycore.events.msp import (
    Behaviour,
    ContactChannel,
    ContactPoint,
    CustomerContactDetails,
    IncidentRef,
    MultiRecordCheck,
    Restriction,
    RestrictionKind,
)
from recoverycore.testing import EPOCH

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
