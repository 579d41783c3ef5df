"""Checking one plan's or case's recorded history from the outside, event by event, as the
aggregates check it from the inside."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final, Literal

import orjson

from recoverycore.events import msp
from recoverycore.events.vocabulary import (
    ATTEMPT_CHANNELS,
    FLAG_RULES,
    TERMINAL_EVENTS,
)
from recoverycore.projections._subjects import (
    PLAN,
    event_id_of,
)
from recoverycore.projections.compliance.answers import ComplianceBreach, ContactHours

# -- checking one record's history ---------------------------------------------------------------
_PLAN_EVENTS: Final = frozenset(t.__name__ for t in msp.MSP_EVENT_TYPES)
_HOURS_CHANNELS: Final = frozenset({"PHONE", "FACE_TO_FACE", "SMS", "VOICEMAIL"})


@dataclass(frozen=True, slots=True)
class _Event:
    subject_id: str
    version: int
    event_type: str
    at: datetime
    """When it occurred, with the local offset it was recorded with."""
    actor_id: str | None
    channel: str | None
    actual: bool | None
    item_id: str | None
    kind: str | None
    ref: str | None
    respond_by: date | None
    debt_ids: tuple[str, ...] | None
    appropriate: bool | None
    self_approved: bool | None

    @property
    def event_id(self) -> str:
        return event_id_of(self.subject_id, self.version)

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> _Event:
        debt_ids = row["debt_ids"]
        respond_by = row["respond_by"]
        return cls(
            subject_id=row["subject_id"],
            version=int(row["version"]),
            event_type=row["event_type"],
            at=datetime.fromisoformat(row["occurred_local"]),
            actor_id=row["actor_id"],
            channel=row["channel"],
            actual=_bool(row["actual"]),
            item_id=row["item_id"],
            kind=row["kind"],
            ref=row["ref"],
            respond_by=None if respond_by is None else date.fromisoformat(respond_by),
            debt_ids=None if debt_ids is None else tuple(orjson.loads(debt_ids)),
            appropriate=_bool(row["appropriate"]),
            self_approved=_bool(row["self_approved"]),
        )


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


@dataclass
class _Garnishee:
    garnishee_id: str
    assessed: _Event | None = None
    submitted: _Event | None = None
    decided: _Event | None = None
    decision: Literal["APPROVED", "REJECTED"] | None = None
    actioned: _Event | None = None
    redress_approved: _Event | None = None
    placed: _Event | None = None

    @property
    def debt_ids(self) -> tuple[str, ...] | None:
        return self.assessed.debt_ids if self.assessed is not None else None

    def check_is_approved_and_clear(self) -> bool:
        return (
            self.actioned is not None
            and self.actioned.kind == "CLEAR"
            and self.redress_approved is not None
        )


@dataclass(frozen=True)
class _Limits:
    weekly_cap: int
    monthly_cap: int
    daily_attempts: int
    hours: ContactHours
    holidays: frozenset[date]


@dataclass
class _Record:
    """One plan's or case's history folded in version order: what is in force, and every
    event that breaks a rule the aggregate checks."""

    subject_id: str
    subject_type: str
    crn: str | None
    limits: _Limits
    breaches: list[ComplianceBreach] = field(default_factory=list)
    contacts: list[_Event] = field(default_factory=list)
    letters: list[_Event] = field(default_factory=list)
    pauses: dict[str, _Event] = field(default_factory=dict)
    flags: dict[str, _Event] = field(default_factory=dict)
    garnishees: dict[str, _Garnishee] = field(default_factory=dict)
    dpo_warnings: dict[str, _Event] = field(default_factory=dict)
    delivered: dict[str, bool] = field(default_factory=dict)
    latest_dpo_warning: str | None = None
    ended: tuple[_Event, str, frozenset[str]] | None = None
    in_force_since: _Event | None = None
    """A plan's approval (or latest variation or extension), while it is in force."""
    written_to: bool = False
    informed: bool = False

    @property
    def in_force(self) -> bool:
        """A plan approved and not since rejected, withdrawn, ended or expired."""
        return self.in_force_since is not None and self.ended is None

    def breach(self, rule_id: str, event: _Event, detail: str) -> None:
        self.breaches.append(
            ComplianceBreach(
                rule_id=rule_id,
                crn=self.crn,
                subject_id=self.subject_id,
                version=event.version,
                event_id=event.event_id,
                event_type=event.event_type,
                occurred_at=event.at,
                detail=detail,
            )
        )

    def fold(self, e: _Event) -> None:
        self._after_terminal(e)
        if e.channel is not None:
            self._contact(e)
        handler = _HANDLERS.get(e.event_type)
        if handler is not None:
            handler(self, e)

    # -- terminal is final (CMR-A1, MSP-A1) -------------------------------------------------------
    def _after_terminal(self, e: _Event) -> None:
        if self.ended is not None:
            ended_by, status, allowed = self.ended
            if e.event_type not in allowed:
                rule_id = "MSP-A1" if self.subject_type == PLAN else "CMR-A1"
                what = "plan" if self.subject_type == PLAN else "case"
                self.breach(
                    rule_id,
                    e,
                    f"Recorded after the {what} was {status} ({ended_by.event_type}, version "
                    f"{ended_by.version}): a {status} {what} accepts no further changes.",
                )
        if e.event_type in TERMINAL_EVENTS:
            status, allowed = TERMINAL_EVENTS[e.event_type]
            self.ended = (e, status, allowed)

    # -- contacts (X-R6 hours, X-R8 caps and attempts, X-R3/X-R4 suppression) ---------------------
    def _contact(self, e: _Event) -> None:
        limits = self.limits
        local = e.at
        if e.channel in _HOURS_CHANNELS:
            weekday = local.weekday() < 5
            start, end = limits.hours.weekday if weekday else limits.hours.weekend
            clock = local.time()
            if local.date() in limits.holidays:
                self.breach(
                    "X-R6",
                    e,
                    f"{_channel(e)} on {local:%A %d %B %Y}, a national public holiday.",
                )
            elif not start <= clock <= end:
                self.breach(
                    "X-R6",
                    e,
                    f"{_channel(e)} at {local:%H:%M} on a {'weekday' if weekday else 'weekend'}"
                    f" ({local:%A %d %B %Y}), outside contact hours "
                    f"({start:%H:%M}-{end:%H:%M}, customer's local time).",
                )
        if e.actual:
            self._caps(e)
        else:
            today = sum(
                1
                for x in self.contacts
                if x.channel in ATTEMPT_CHANNELS
                and x.at.astimezone(local.tzinfo).date() == local.date()
            )
            if today >= limits.daily_attempts:
                self.breach(
                    "X-R8",
                    e,
                    f"Contact attempt {today + 1} on {local:%d %B %Y}: at most "
                    f"{limits.daily_attempts} a day are not excessive.",
                )
        if e.event_type == "PreCallSmsSent":
            self._suppressed(e, ("SUICIDE_SELF_HARM", "FDV_IMMEDIATE_THREAT"), "an SMS was sent")
        elif e.event_type == "LetterIssued":
            self._suppressed(e, ("FDV_IMMEDIATE_THREAT",), "a letter went to the customer")
        self.contacts.append(e)

    def _caps(self, e: _Event) -> None:
        limits = self.limits
        week = sum(1 for x in self.contacts if x.actual and e.at - x.at < timedelta(days=7))
        month = sum(1 for x in self.contacts if x.actual and e.at - x.at < timedelta(days=30))
        over = []
        if week >= limits.weekly_cap:
            over.append(f"actual contact {week + 1} in 7 days (at most {limits.weekly_cap})")
        if month >= limits.monthly_cap:
            over.append(f"actual contact {month + 1} in 30 days (at most {limits.monthly_cap})")
        if over:
            self.breach("X-R8", e, f"{_channel(e)} was " + " and ".join(over) + ".")

    def _suppressed(self, e: _Event, kinds: tuple[str, ...], what: str) -> None:
        for flag_id, flag in sorted(self.flags.items()):
            if flag.kind in kinds:
                self.breach(
                    FLAG_RULES[flag.kind],
                    e,
                    f"{_sentence(what)} while flag {flag_id} ({_words(flag.kind)}, version "
                    f"{flag.version}) was in force.",
                )

    # -- enforcement while paused or flagged (X-R1, X-R2, X-R3, X-R4) -----------------------------
    def _enforcement(
        self, e: _Event, debt_ids: tuple[str, ...] | None, doing: str, *, garnishee: bool = False
    ) -> None:
        for flag_id, flag in sorted(self.flags.items()):
            kind = flag.kind or ""
            rule_id = FLAG_RULES.get(kind) or ("X-R2" if garnishee and kind == "HARDSHIP" else None)
            if rule_id is not None:
                self.breach(
                    rule_id,
                    e,
                    f"{_sentence(doing)} while flag {flag_id} ({_words(kind)}, version "
                    f"{flag.version}) was in force.",
                )
        for pause_id, pause in sorted(self.pauses.items()):
            paused = pause.debt_ids or ()
            hit = sorted(set(paused) & set(debt_ids)) if debt_ids else sorted(paused)
            if hit:
                self.breach(
                    "X-R1",
                    e,
                    f"{_sentence(doing)} while recovery of {', '.join(hit)} was paused "
                    f"(pause {pause_id}, {_words(pause.kind or '')}, version {pause.version}).",
                )

    def garnishee(self, garnishee_id: str | None) -> _Garnishee:
        key = garnishee_id or ""
        if key not in self.garnishees:
            self.garnishees[key] = _Garnishee(key)
        return self.garnishees[key]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _words(code: str) -> str:
    return code.replace("_", " ").lower()


def _channel(e: _Event) -> str:
    if e.event_type == "EmployerContactAttempted":
        return "A call through the employer"
    return {
        "SMS": "An SMS",
        "PHONE": "A phone call",
        "VOICEMAIL": "A voicemail",
        "FACE_TO_FACE": "Face-to-face contact",
        "LETTER": "A letter",
        "EMAIL": "An email",
    }.get(e.channel or "", "A contact")


def _on_letter(r: _Record, e: _Event) -> None:
    r.letters.append(e)
    if e.kind == "DPO_WARNING":
        r._enforcement(e, e.debt_ids, "a DPO warning was issued")
        r.dpo_warnings[e.item_id or ""] = e
        r.latest_dpo_warning = e.item_id or ""


def _on_dpo_made(r: _Record, e: _Event) -> None:
    r._enforcement(e, e.debt_ids, "a DPO was made")
    warning = r.dpo_warnings.get(r.latest_dpo_warning or "")
    if warning is None or r.delivered.get(r.latest_dpo_warning or "") is not True:
        r.breach(
            "CMR-R17",
            e,
            "A DPO was made without a DPO warning whose delivery was confirmed"
            + (f" (warning {warning.item_id} is not confirmed delivered)." if warning else "."),
        )
    elif warning.respond_by is not None and e.at.date() <= warning.respond_by:
        r.breach(
            "CMR-R17",
            e,
            f"A DPO was made before the customer's time to respond to warning "
            f"{warning.item_id} ended ({warning.respond_by.isoformat()}).",
        )


def _on_assessed(r: _Record, e: _Event) -> None:
    r.garnishee(e.item_id).assessed = e


def _on_submitted(r: _Record, e: _Event) -> None:
    g = r.garnishee(e.item_id)
    g.submitted = e
    r._enforcement(e, g.debt_ids, f"garnishee {g.garnishee_id} was submitted", garnishee=True)


def _on_decided(r: _Record, e: _Event) -> None:
    g = r.garnishee(e.item_id)
    g.decided = e
    g.decision = "APPROVED" if e.event_type == "GarnisheeApproved" else "REJECTED"


def _on_redress_actioned(r: _Record, e: _Event) -> None:
    g = r.garnishee(e.item_id)
    g.actioned, g.redress_approved = e, None


def _on_redress_approved(r: _Record, e: _Event) -> None:
    g = r.garnishee(e.item_id)
    if g.actioned is None or g.actioned.ref != e.ref or g.actioned.kind != "CLEAR":
        found = (
            "was not actioned" if g.actioned is None or g.actioned.ref != e.ref else "is not clear"
        )
        r.breach(
            "CMR-R9",
            e,
            f"Debt Redress Check {e.ref} for garnishee {g.garnishee_id} was approved but {found}.",
        )
    g.redress_approved = e


def _on_placed(r: _Record, e: _Event) -> None:
    g = r.garnishee(e.item_id)
    if g.decision != "APPROVED":
        r.breach(
            "CMR-R9",
            e,
            f"Garnishee {g.garnishee_id} was placed without an approved submission"
            + (" (it was rejected)." if g.decision == "REJECTED" else "."),
        )
    if not g.check_is_approved_and_clear():
        r.breach(
            "CMR-R9",
            e,
            f"Garnishee {g.garnishee_id} was placed without a Debt Redress Check actioned, clear "
            "and approved.",
        )
    r._enforcement(e, g.debt_ids, f"garnishee {g.garnishee_id} was placed", garnishee=True)
    g.placed = e


def _on_flag(r: _Record, e: _Event) -> None:
    r.flags.setdefault(e.item_id or "", e)


def _on_flag_cleared(r: _Record, e: _Event) -> None:
    r.flags.pop(e.item_id or "", None)


def _on_paused(r: _Record, e: _Event) -> None:
    r.pauses[e.item_id or ""] = e


def _on_resumed(r: _Record, e: _Event) -> None:
    r.pauses.pop(e.item_id or "", None)


def _on_approved(r: _Record, e: _Event) -> None:
    r.in_force_since = e


def _on_renewed(r: _Record, e: _Event) -> None:
    """Varied or extended: the plan is notified afresh (M16 [A]), as the aggregate folds it."""
    r.written_to = r.informed = False
    if r.in_force_since is not None:
        r.in_force_since = e


def _on_written(r: _Record, e: _Event) -> None:
    r.letters.append(e)
    r.written_to = True


def _on_informed(r: _Record, e: _Event) -> None:
    r.informed = True


def _on_delivery(r: _Record, e: _Event) -> None:
    r.delivered[e.item_id or ""] = e.event_type == "DpoWarningDelivered"


_HANDLERS: Final[Mapping[str, Callable[[_Record, _Event], None]]] = {
    "LetterIssued": _on_letter,
    "MspLetterSent": _on_written,
    "MspApproved": _on_approved,
    "MspVaried": _on_renewed,
    "MspExtended": _on_renewed,
    "MspCustomerInformed": _on_informed,
    "RecoveryPaused": _on_paused,
    "RecoveryResumed": _on_resumed,
    "VulnerabilityFlagRecorded": _on_flag,
    "VulnerabilityFlagCleared": _on_flag_cleared,
    "MspVulnerabilityFlagRecorded": _on_flag,
    "MspVulnerabilityFlagCleared": _on_flag_cleared,
    "GarnisheeAssessed": _on_assessed,
    "GarnisheeSubmitted": _on_submitted,
    "GarnisheeApproved": _on_decided,
    "GarnisheeRejected": _on_decided,
    "DebtRedressCheckActioned": _on_redress_actioned,
    "DebtRedressCheckApproved": _on_redress_approved,
    "GarnisheePlaced": _on_placed,
    "LitigationReferralSent": lambda r, e: r._enforcement(
        e, e.debt_ids, "the debts were referred to litigation"
    ),
    "DpoWarningDelivered": _on_delivery,
    "DpoWarningNotDelivered": _on_delivery,
    "DpoMade": _on_dpo_made,
}
