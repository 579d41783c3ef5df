"""What a handler needs (``_Ctx``) and the checks every table shares: the case team
(CMR-R1), reasons, roles, known debts, pauses (X-R1), safety flags (X-R3, X-R4) and contact
hours and frequency (X-R6, X-R8).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta, tzinfo
from uuid import UUID

from pydantic import BaseModel

from recoverycore.aggregates._decider import Decision, time_zone
from recoverycore.aggregates.cmr.commands import ClearVulnerabilityFlag, RecordVulnerabilityFlag
from recoverycore.aggregates.cmr.state import (
    CASE_ROLES,
    LEADER_ROLES,
    CaseConfig,
    CaseState,
    ContactCalendar,
)
from recoverycore.aggregates.customer.state import CustomerState
from recoverycore.events import Role
from recoverycore.events.vocabulary import ATTEMPT_CHANNELS


class _Ctx:
    """What a handler needs besides the state and the command: the customer's record and
    their other plans and cases, as the application supplies them."""

    def __init__(
        self,
        d: Decision,
        config: CaseConfig,
        calendar: ContactCalendar,
        customer: CustomerState | None = None,
        related: Mapping[UUID, BaseModel] | None = None,
    ) -> None:
        self.d = d
        self.config = config
        self.calendar = calendar
        self.customer = customer
        self.related = related or {}
        self.today = d.local_date()

    @property
    def customer_zone(self) -> tzinfo:
        """The customer's own time zone (their record's location), else the procedure's."""
        if self.customer is not None and self.customer.time_zone:
            return time_zone(self.customer.time_zone)
        return self.d.zone

    def other_cases(self) -> list[CaseState]:
        return [r for r in self.related.values() if isinstance(r, CaseState)]


_APS_ORDER = ("APS1", "APS2", "APS3", "APS4", "APS5", "APS6", "EL1", "EL2", "SES")


def _assigned(d: Decision, s: CaseState) -> None:
    actor = d.command.actor
    d.require(
        actor.staff_id == s.case_manager_id
        or (actor.team == s.team and actor.role in (CASE_ROLES | LEADER_ROLES | {Role.SRT_OFFICER}))
        # A social worker, or the safeguard policy reacting to a flag on another of the
        # customer's records, may record a vulnerability flag on the case (X-R3, X-R4).
        or (
            actor.role in (Role.SOCIAL_WORKER, Role.SYSTEM)
            and isinstance(d.command, RecordVulnerabilityFlag | ClearVulnerabilityFlag)
        ),
        "CMR-R1",
        f"{actor.staff_id} ({actor.role.value}, {actor.team}) is not the case manager or team "
        f"managing this customer ({s.case_manager_id}, {s.team}).",
        f"Refer the customer to {s.case_manager_id} in {s.team}, as the DOA DOC says.",
    )


def _reasons(d: Decision, rule_id: str, doing: str, min_chars: int = 10) -> None:
    text = " ".join(r.strip() for r in d.command.reasons).strip()
    d.require(
        len(text) >= min_chars,
        rule_id,
        f"No reasons are recorded to {doing}.",
        "Record the reasons for the decision.",
    )


def _role(d: Decision, roles: Iterable[Role], rule_id: str, doing: str) -> None:
    allowed = frozenset(roles)
    d.require(
        d.command.actor.role in allowed,
        rule_id,
        f"Only {' or '.join(sorted(r.value.replace('_', ' ').lower() for r in allowed))} may "
        f"{doing}; {d.command.actor.staff_id} acts as {d.command.actor.role.value}.",
        "Ask someone with that role to do it.",
    )


def _aps_at_least(level: str, minimum: str) -> bool:
    return level in _APS_ORDER and _APS_ORDER.index(level) >= _APS_ORDER.index(minimum)


def _debts_known(d: Decision, s: CaseState, debt_ids: Iterable[str]) -> tuple[str, ...]:
    ids = tuple(debt_ids)
    unknown = [i for i in ids if s.debt(i) is None]
    d.require(
        bool(ids) and not unknown,
        "CMR-A2",
        f"Unknown debts {', '.join(unknown)}." if unknown else "No debts are named.",
        f"Name debts of this case: {', '.join(s.debt_ids)}.",
    )
    return ids


def _not_paused(d: Decision, s: CaseState, debt_ids: Iterable[str], doing: str) -> None:
    paused = s.paused_debts()
    hit = sorted(i for i in debt_ids if i in paused)
    d.require(
        not hit,
        "X-R1",
        f"Recovery of {', '.join(hit)} is paused "
        f"({', '.join(sorted({paused[i].lower() for i in hit}))}), so no enforcement step may "
        f"{doing}.",
        "Wait until the pause is resumed; other debts can continue normally.",
    )


def _no_safety_flags(d: Decision, s: CaseState, doing: str) -> None:
    kinds = s.flag_kinds()
    d.require(
        "SUICIDE_SELF_HARM" not in kinds,
        "X-R3",
        f"The customer has talked about suicide or self-harm; enforcement is paused, so no "
        f"step may {doing}.",
        "Follow the suicide or self-harm procedure; a social worker or decision maker clears "
        "the flag before enforcement resumes.",
    )
    d.require(
        "FDV_IMMEDIATE_THREAT" not in kinds,
        "X-R4",
        f"Family and domestic violence with an immediate threat to safety is recorded; "
        f"enforcement is paused pending assessment, so no step may {doing}.",
        "Follow local response guidelines; the flag is cleared after assessment.",
    )
    d.require(
        "DISASTER" not in kinds,
        "X-R1",
        f"The customer is in a declared disaster (DIS) pause, so no step may {doing}.",
        "Wait until the disaster pause ends.",
    )


def _enforcement(d: Decision, s: CaseState, debt_ids: Iterable[str], doing: str) -> None:
    _no_safety_flags(d, s, doing)
    _not_paused(d, s, debt_ids, doing)


def _in_case_file(d: Decision, s: CaseState, name: str, what: str) -> None:
    d.require(
        name in s.documents,
        "CMR-A7",
        f"The {what} '{name}' is not saved in the customer's case file.",
        "Save it in the case file first (AddCaseFileDocument).",
    )


def _contact_allowed(
    c: _Ctx, s: CaseState, channel: str, actual: bool, *, counts_for_hours: bool = True
) -> None:
    """X-R6 (hours), X-R8 (frequency) and X-R9 (while an arrangement is in place)."""
    d, config = c.d, c.config
    local = d.occurred_at.astimezone(c.customer_zone)
    _restrictions_allow(c, channel, local.date())
    if counts_for_hours and channel in ("PHONE", "FACE_TO_FACE", "SMS", "VOICEMAIL"):
        start, end = (
            config.weekday_contact_hours if local.weekday() < 5 else config.weekend_contact_hours
        )
        d.require(
            local.date() not in c.calendar.public_holidays,
            "X-R6",
            f"{local:%A %d %B %Y} is a public holiday "
            f"{f'in {c.customer.state}' if c.customer and c.customer.state else 'nationally'}"
            ": no contact.",
            "Contact the customer on another day.",
        )
        d.require(
            start <= local.time() <= end,
            "X-R6",
            f"{local:%H:%M} on a {'weekday' if local.weekday() < 5 else 'weekend'} is outside "
            f"contact hours ({start:%H:%M}-{end:%H:%M}, customer's local time).",
            f"Contact the customer between {start:%H:%M} and {end:%H:%M}.",
        )
    # Counted per customer: the contacts recorded on their other cases count too.
    contacts = [*s.contacts, *(x for other in c.other_cases() for x in other.contacts)]
    if actual:
        week = [x for x in contacts if x.actual and local - x.at < timedelta(days=7)]
        month = [x for x in contacts if x.actual and local - x.at < timedelta(days=30)]
        d.require(
            len(week) < config.max_actual_contacts_per_week,
            "X-R8",
            f"The customer has had {len(week)} actual contacts in the last 7 days, the most "
            "allowed.",
            "Wait before contacting again (SMS, voicemail, letters and emails count).",
        )
        d.require(
            len(month) < config.max_actual_contacts_per_month,
            "X-R8",
            f"The customer has had {len(month)} actual contacts in the last 30 days, the most "
            "allowed.",
            "Wait before contacting again.",
        )
    else:
        today = [
            x
            for x in contacts
            if x.channel in ATTEMPT_CHANNELS
            and x.at.astimezone(c.customer_zone).date() == local.date()
        ]
        d.require(
            len(today) < config.max_attempts_per_day,
            "X-R8",
            f"{len(today)} contact attempts have already been made today; more would be excessive.",
            "Try again on another day.",
        )


_BY_RESTRICTION_OR_REPRESENTATIVE = frozenset(
    {"PHONE", "SMS", "VOICEMAIL", "FACE_TO_FACE", "EMAIL"}
)
# Which recovery contact each MSP restriction rules out (X-R12): writing is always open.
_FORBIDDEN: dict[str, frozenset[str]] = {
    "WRITE_ONLY": frozenset({"PHONE", "SMS", "VOICEMAIL", "FACE_TO_FACE"}),
    "SINGLE_CONTACT_OMC_PSSO": frozenset({"PHONE", "SMS", "VOICEMAIL", "FACE_TO_FACE", "EMAIL"}),
    "FULL_FACE_TO_FACE": frozenset({"FACE_TO_FACE"}),
    "PARTIAL_FACE_TO_FACE": frozenset({"FACE_TO_FACE"}),
    "PHONE_ONLY": frozenset({"FACE_TO_FACE"}),
}
_CHANNEL_WORDS = {
    "PHONE": "phone call",
    "SMS": "SMS",
    "VOICEMAIL": "voicemail",
    "FACE_TO_FACE": "face-to-face contact",
    "EMAIL": "email",
}


def _restrictions_allow(c: _Ctx, channel: str, day: date) -> None:
    """X-R12: an MSP's servicing restrictions bind debt recovery too. Contact the MSP rules
    out goes through its OMC/PSSO (who may make it) or is made in writing."""
    if c.customer is None or channel not in _BY_RESTRICTION_OR_REPRESENTATIVE:
        return
    actor = c.d.command.actor
    for plan in c.customer.restrictions_on(day):
        kinds = sorted(
            r.kind for r in plan.restrictions if channel in _FORBIDDEN.get(r.kind, frozenset())
        )
        if not kinds:
            continue
        c.d.applied("X-R12")
        contact = plan.channel
        named = ", ".join(k.replace("_", " ").lower() for k in kinds)
        c.d.require(
            actor.staff_id == contact.staff_id,
            "X-R12",
            f"The customer's MSP {plan.plan_id} ({named}, in force from "
            f"{plan.start_date.isoformat()} until {plan.end_date.isoformat()}) rules out a "
            f"{_CHANNEL_WORDS[channel]} from debt recovery.",
            f"Write to the customer, or go through their {contact.role} {contact.name} "
            f"({contact.staff_id}, {contact.phone}).",
        )


def _through_the_msp_contact(c: _Ctx, day: date) -> bool:
    """Whether the actor is the OMC/PSSO of an MSP in force for the customer: the one through
    whom contact the MSP rules out for others is made (X-R12)."""
    if c.customer is None:
        return False
    staff_id = c.d.command.actor.staff_id
    return any(plan.channel.staff_id == staff_id for plan in c.customer.restrictions_on(day))
