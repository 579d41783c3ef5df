"""The question: :func:`compliance` reads the view's rows and folds each record's history."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from recoverycore.events import msp
from recoverycore.events.vocabulary import FLAG_RULES
from recoverycore.projections._customers import CustomerRecord
from recoverycore.projections._recorders import ViewRecorder
from recoverycore.projections._subjects import (
    CASE,
    PLAN,
)
from recoverycore.projections._view import (
    as_of_text,
    time_or_none,
    utc_text,
)
from recoverycore.projections.compliance.answers import (
    Compliance,
    ContactHours,
    ContactPeriod,
    CustomerContacts,
    FlagInForce,
    FollowUpStatus,
    GarnisheeRecord,
    LetterFollowUp,
    PauseInForce,
    UnnotifiedPlan,
    UnreviewedLetter,
)
from recoverycore.projections.compliance.checks import _PLAN_EVENTS, _Event, _Limits, _Record
from recoverycore.projections.compliance.view import CUSTOMERS


# -- the question --------------------------------------------------------------------------------
def compliance(
    view: ViewRecorder,
    *,
    as_of: datetime,
    crn: str | None = None,
    subject_id: str | None = None,
    weekly_cap: int = 3,
    monthly_cap: int = 10,
    daily_attempts: int = 2,
    contact_hours: ContactHours | None = None,
    public_holidays: Collection[date] = (),
) -> Compliance:
    """Contacts against the caps, unreviewed letters, pauses and flags in force, garnishees,
    breaches, each customer's record (the flags and MSP restrictions in force on the person)
    and the plans in force whose notification is not complete, at ``as_of``, for one customer
    (``crn``), one plan or case (``subject_id``; a customer record's id gives its customer),
    or everyone (neither; this reads every row of the view).

    Only events and follow-up changes recorded by ``as_of`` count. The limits default to
    :class:`~recoverycore.aggregates.cmr.CaseConfig`'s (``max_actual_contacts_per_week``,
    ``max_actual_contacts_per_month``, ``max_attempts_per_day``, the contact hours); the
    application passes the configured ones. National public holidays are not known to the view:
    contact on one is found only if ``public_holidays`` names it.

    Breaches are found by folding each plan's or case's events in version order and checking
    every event as the aggregate checks the command that records it:

    * CMR-R9: a garnishee placed without an approved submission, or without a Debt Redress Check
      actioned, clear and approved; a Debt Redress Check approved that was not actioned or not
      clear.
    * X-R1, X-R3, X-R4 (and X-R2 for garnishees): an enforcement step (garnishee submitted or
      placed, litigation referral, DPO warning, DPO) while a pause covered its debts (a step
      naming no debts is for the whole case) or a suicide or self-harm, FDV with an immediate
      threat, declared disaster (or, for a garnishee, hardship) flag was on the case; an SMS
      under a suicide or self-harm or FDV flag, a letter to the customer under an FDV flag.
    * X-R8: an actual contact that exceeded the weekly or monthly cap over the rolling 7 or 30
      days before it (per case, as the aggregate counts); a call attempt beyond the daily limit.
    * X-R6: phone, SMS, voicemail or face-to-face contact outside contact hours (the local time
      it was recorded with), or on a public holiday given in ``public_holidays``.
    * CMR-R17: a DPO made without a DPO warning whose delivery was confirmed, or before the
      warning's response date passed.
    * CMR-A1 (cases) and MSP-A1 (plans), terminal is final: any event after the case was closed
      (but its archiving), archived, referred for archiving or unassigned, or after the plan was
      rejected, withdrawn, ended or expired.

    Plans in force (approved, and not since rejected, withdrawn, ended or expired) are listed
    when they were never sent to the customer in writing (no ``MspLetterSent``: S-MSP Step 3,
    MSP-R9) or have no date the customer was informed (no ``MspCustomerInformed``: S-MSP Step
    1, MSP-A4), since their approval, or their latest variation or extension (after which a
    plan is notified afresh).
    """
    as_of_text(as_of)  # refuses a time without its offset
    limits = _Limits(
        weekly_cap,
        monthly_cap,
        daily_attempts,
        contact_hours or ContactHours(),
        frozenset(public_holidays),
    )
    params: dict[str, Any] = {"as_of": utc_text(as_of), "crn": crn, "subject_id": subject_id}
    records = _fold(view, params, _filters(crn, subject_id, "e"), limits)
    follow_up_rows = view.select(
        "SELECT f.* FROM {p}compliance_follow_ups f"
        " LEFT JOIN {p}compliance_subjects s ON s.subject_id = f.subject_id"
        f" WHERE f.scheduled_at <= :as_of{_filters(crn, subject_id, 'f')}",
        params,
    )
    not_written, not_informed = _unnotified(records)
    return Compliance(
        as_of=as_of,
        crn=crn,
        subject_id=subject_id,
        weekly_cap=weekly_cap,
        monthly_cap=monthly_cap,
        contacts=_contacts(records, limits),
        unreviewed_letters=_unreviewed(records, follow_up_rows, as_of),
        pauses=_pauses(records),
        flags=_flags(records),
        garnishees=_garnishees(records),
        breaches=tuple(
            sorted(
                (b for r in records for b in r.breaches),
                key=lambda b: (b.crn or "", b.subject_id, b.version, b.rule_id, b.detail),
            )
        ),
        customers=_customers(view, as_of, crn, subject_id),
        not_notified_in_writing=not_written,
        informed_date_missing=not_informed,
    )


def _customers(
    view: ViewRecorder, as_of: datetime, crn: str | None, subject_id: str | None
) -> tuple[CustomerRecord, ...]:
    scope = ""
    if crn is not None:
        scope += " AND c.crn = :crn"
    if subject_id is not None:
        scope += (
            " AND (c.customer_id = :subject_id OR c.customer_id IN (SELECT customer_id"
            f" FROM {{p}}{CUSTOMERS.records} WHERE record_id = :subject_id))"
        )
    found = CUSTOMERS.customer_records(
        view, as_of, scope=scope, params={"crn": crn, "subject_id": subject_id}
    )
    if crn is None and subject_id is None:  # everyone: only the customers with something in force
        found = [c for c in found if c.flags or c.restrictions]
    return tuple(found)


_WRITING_STEP: Final = f"{msp.PROCEDURE} S3"
_INFORMED_STEP: Final = f"{msp.PROCEDURE} S1"


def _unnotified(
    records: list[_Record],
) -> tuple[tuple[UnnotifiedPlan, ...], tuple[UnnotifiedPlan, ...]]:
    """The plans in force never notified in writing, and those without the informed date."""
    written: list[UnnotifiedPlan] = []
    informed: list[UnnotifiedPlan] = []
    for r in records:
        since = r.in_force_since
        if r.subject_type != PLAN or since is None or not r.in_force:
            continue
        what = "approved" if since.event_type == "MspApproved" else "varied or extended"
        if not r.written_to:
            written.append(
                UnnotifiedPlan(
                    crn=r.crn,
                    plan_id=r.subject_id,
                    in_force_since=since.at,
                    rule_id="MSP-R9",
                    procedure_ref=_WRITING_STEP,
                    detail=f"In force since it was {what} on {since.at:%d %B %Y}, and never "
                    "sent to the customer in writing: customers must be advised of their MSP "
                    "in writing (send the approved MSP letter with the OMC/PSSO contact card).",
                )
            )
        if not r.informed:
            informed.append(
                UnnotifiedPlan(
                    crn=r.crn,
                    plan_id=r.subject_id,
                    in_force_since=since.at,
                    rule_id="MSP-A4",
                    procedure_ref=_INFORMED_STEP,
                    detail=f"In force since it was {what} on {since.at:%d %B %Y}, with no date "
                    "the customer was informed: record it once the customer (or their "
                    "representative) is told of the MSP.",
                )
            )
    return tuple(written), tuple(informed)


_PAGE: Final = 10_000
"""Rows read per query while folding (a whole-store question reads the view a page at a time)."""


def _fold(view: ViewRecorder, params: dict[str, Any], where: str, limits: _Limits) -> list[_Record]:
    """Every selected plan's and case's history, folded in version order."""
    records: list[_Record] = []
    current: _Record | None = None
    after = {"after_subject": "", "after_version": 0}
    while True:
        rows = view.select(
            "SELECT e.*, s.crn, s.subject_type FROM {p}compliance_events e"
            " LEFT JOIN {p}compliance_subjects s ON s.subject_id = e.subject_id"
            f" WHERE e.recorded_at <= :as_of{where}"
            " AND (e.subject_id > :after_subject"
            " OR (e.subject_id = :after_subject AND e.version > :after_version))"
            f" ORDER BY e.subject_id, e.version LIMIT {_PAGE}",
            {**params, **after},
        )
        for row in rows:
            if current is None or current.subject_id != row["subject_id"]:
                kind = row["subject_type"] or (PLAN if row["event_type"] in _PLAN_EVENTS else CASE)
                current = _Record(row["subject_id"], kind, row["crn"], limits)
                records.append(current)
            current.fold(_Event.of(row))
        if len(rows) < _PAGE:
            return records
        after = {"after_subject": rows[-1]["subject_id"], "after_version": rows[-1]["version"]}


def _filters(crn: str | None, subject_id: str | None, table: str) -> str:
    clauses = []
    if crn is not None:
        clauses.append(" AND s.crn = :crn")
    if subject_id is not None:
        clauses.append(f" AND {table}.subject_id = :subject_id")
    return "".join(clauses)


def _contacts(records: list[_Record], limits: _Limits) -> tuple[CustomerContacts, ...]:
    customers: dict[str, list[_Record]] = {}
    for r in records:
        customers.setdefault(r.crn if r.crn is not None else f"\x00{r.subject_id}", []).append(r)
    answers = []
    for key in sorted(customers):
        group = customers[key]
        actual = sorted((e for r in group for e in r.contacts if e.actual), key=lambda e: e.at)
        if not actual:
            continue
        weeks: dict[tuple[int, int], int] = {}
        months: dict[tuple[int, int], int] = {}
        for e in actual:
            day = e.at.date()
            iso = day.isocalendar()
            weeks[(iso.year, iso.week)] = weeks.get((iso.year, iso.week), 0) + 1
            months[(day.year, day.month)] = months.get((day.year, day.month), 0) + 1
        week_periods = tuple(
            ContactPeriod(
                label=f"{year}-W{week:02d}",
                starts_on=date.fromisocalendar(year, week, 1),
                contacts=n,
                cap=limits.weekly_cap,
                over_cap=n > limits.weekly_cap,
            )
            for (year, week), n in sorted(weeks.items())
        )
        month_periods = tuple(
            ContactPeriod(
                label=f"{year}-{month:02d}",
                starts_on=date(year, month, 1),
                contacts=n,
                cap=limits.monthly_cap,
                over_cap=n > limits.monthly_cap,
            )
            for (year, month), n in sorted(months.items())
        )
        worst_7, ending_7 = _worst(actual, timedelta(days=7))
        worst_30, ending_30 = _worst(actual, timedelta(days=30))
        answers.append(
            CustomerContacts(
                crn=group[0].crn,
                subject_ids=tuple(r.subject_id for r in group),
                contacts=len(actual),
                weeks=week_periods,
                months=month_periods,
                worst_7_days=worst_7,
                worst_7_days_ending=ending_7,
                worst_30_days=worst_30,
                worst_30_days_ending=ending_30,
                over_weekly_cap=worst_7 > limits.weekly_cap
                or any(p.over_cap for p in week_periods),
                over_monthly_cap=worst_30 > limits.monthly_cap
                or any(p.over_cap for p in month_periods),
            )
        )
    return tuple(answers)


def _worst(contacts: list[_Event], window: timedelta) -> tuple[int, datetime | None]:
    """The most contacts within ``window`` ending at a contact (contacts sorted by time)."""
    best, ending, start = 0, None, 0
    for end, e in enumerate(contacts):
        while e.at - contacts[start].at >= window:
            start += 1
        if end - start + 1 > best:
            best, ending = end - start + 1, e.at
    return best, ending


def _status_at(row: Mapping[str, Any], as_of_utc: str) -> FollowUpStatus:
    if row["ended_at"] is not None and row["ended_at"] <= as_of_utc:
        status: FollowUpStatus = row["status"]
        return status
    return "DUE" if row["due_at"] <= as_of_utc else "SCHEDULED"


def _unreviewed(
    records: list[_Record], follow_up_rows: list[dict[str, Any]], as_of: datetime
) -> tuple[UnreviewedLetter, ...]:
    as_of_utc = utc_text(as_of)
    caused: dict[str, list[LetterFollowUp]] = {}
    for row in sorted(follow_up_rows, key=lambda f: (f["due_at"], f["follow_up_id"])):
        status = _status_at(row, as_of_utc)
        caused.setdefault(row["caused_by"], []).append(
            LetterFollowUp(
                follow_up_id=row["follow_up_id"],
                kind=row["kind"],
                due_at=datetime.fromisoformat(row["due_local"]),
                status=status,
                ended_at=time_or_none(row["ended_at"])
                if status in ("COMPLETED", "CANCELLED")
                else None,
            )
        )
    letters = []
    for r in records:
        for e in r.letters:
            items = tuple(caused.get(e.event_id, ()))
            if any(f.status == "COMPLETED" for f in items):
                continue
            if e.respond_by is not None:
                passed = as_of.astimezone(e.at.tzinfo).date() > e.respond_by
            else:
                passed = any(f.due_at <= as_of for f in items)
            if not passed:
                continue
            letters.append(
                UnreviewedLetter(
                    crn=r.crn,
                    subject_id=r.subject_id,
                    subject_type=r.subject_type,
                    letter_id=e.item_id or "",
                    code=e.ref if e.event_type == "LetterIssued" else None,
                    purpose=e.kind,
                    event_id=e.event_id,
                    event_type=e.event_type,
                    version=e.version,
                    issued_at=e.at,
                    respond_by=e.respond_by,
                    follow_ups=items,
                )
            )
    return tuple(sorted(letters, key=lambda x: (x.issued_at.astimezone(UTC), x.event_id)))


def _pauses(records: list[_Record]) -> tuple[PauseInForce, ...]:
    return tuple(
        PauseInForce(
            crn=r.crn,
            subject_id=r.subject_id,
            pause_id=pause_id,
            debt_ids=e.debt_ids or (),
            reason=e.kind or "",
            paused_at=e.at,
            version=e.version,
            event_id=e.event_id,
        )
        for r in records
        for pause_id, e in sorted(r.pauses.items())
    )


def _flags(records: list[_Record]) -> tuple[FlagInForce, ...]:
    return tuple(
        FlagInForce(
            crn=r.crn,
            subject_id=r.subject_id,
            subject_type=r.subject_type,
            flag_id=flag_id,
            kind=e.kind or "",
            recorded_at=e.at,
            version=e.version,
            event_id=e.event_id,
            pauses_enforcement=FLAG_RULES.get(e.kind or "") if r.subject_type == CASE else None,
        )
        for r in records
        for flag_id, e in sorted(r.flags.items())
    )


def _garnishees(records: list[_Record]) -> tuple[GarnisheeRecord, ...]:
    answers = []
    for r in records:
        for garnishee_id, g in sorted(r.garnishees.items()):
            assessed, submitted, decided = g.assessed, g.submitted, g.decided
            actioned, approved, placed = g.actioned, g.redress_approved, g.placed
            answers.append(
                GarnisheeRecord(
                    crn=r.crn,
                    subject_id=r.subject_id,
                    garnishee_id=garnishee_id,
                    kind=assessed.kind if assessed else None,
                    debt_ids=g.debt_ids or (),
                    appropriate=assessed.appropriate if assessed else None,
                    assessed_at=assessed.at if assessed else None,
                    assessed_by=assessed.actor_id if assessed else None,
                    submitted_at=submitted.at if submitted else None,
                    submitted_by=submitted.actor_id if submitted else None,
                    submitted_to=submitted.ref if submitted else None,
                    decision=g.decision,
                    decided_at=decided.at if decided else None,
                    decided_by=decided.actor_id if decided else None,
                    self_approved=decided.self_approved if decided else None,
                    redress_check_id=actioned.ref if actioned else None,
                    redress_result=actioned.kind if actioned else None,
                    redress_actioned_at=actioned.at if actioned else None,
                    redress_actioned_by=actioned.actor_id if actioned else None,
                    redress_approved_at=approved.at if approved else None,
                    redress_approved_by=approved.actor_id if approved else None,
                    placed_at=placed.at if placed else None,
                    placed_by=placed.actor_id if placed else None,
                )
            )
    return tuple(answers)
