"""Every rich table the commands print, the progress bars, and the two consoles they print to."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import orjson
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from recoverycore import DomainEvent, ReadModels, Role, RoleRow, VerifyResult
from recoverycore.events.follow_ups import FollowUpDue, FollowUpEvent, FollowUpScheduled
from recoverycore.projections import (
    Compliance,
    CustomerFlagInForce,
    Progress,
    RestrictionInForce,
    Timeline,
    Workload,
)

__all__ = [
    "console",
    "err",
    "print_compliance",
    "print_follow_ups",
    "print_history",
    "print_timeline",
    "print_verification",
    "print_workload",
]

# A pipe or CI log gets a wide table rather than an 80-column one.
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)


def _summary(event: DomainEvent) -> str:
    parts = []
    for key, value in event.payload().items():
        if value in (None, "", [], {}):
            continue
        # Free text (notes, reasons why an SMS was blocked) is what an auditor reads: keep it.
        text, limit = (value, 400) if isinstance(value, str) else (orjson.dumps(value).decode(), 90)
        parts.append(f"{key}={text if len(text) <= limit else text[: limit - 3] + '...'}")
    return "; ".join(parts)


def print_history(events: list[DomainEvent], title: str) -> None:
    table = Table(title=title, show_lines=True, expand=True)
    table.add_column("#", justify="right", width=3)
    table.add_column("occurred (recorded)", width=19)
    table.add_column("event / who", width=30)
    table.add_column("procedure step, rules checked, details, reasons", ratio=1)
    for e in events:
        when = e.occurred_at.strftime("%a %d %b %Y\n%H:%M %z")
        if e.recorded_at != e.occurred_at:
            when += f"\n({e.recorded_at.strftime('%d %b %H:%M')})"
        who = (
            f"[bold]{e.event_type}[/]\n{e.actor.staff_id} {e.actor.role.value} {e.actor.aps_level}"
        )
        lines = [
            e.procedure_ref + (f" | rules: {', '.join(e.rules_applied)}" if e.rules_applied else "")
        ]
        if details := _summary(e):
            lines.append(escape(details))
        if e.reasons:
            lines.append("[italic]reasons:[/] " + escape(" ".join(e.reasons)))
        if e.evidence_refs:
            lines.append("evidence: " + escape(", ".join(e.evidence_refs)))
        if e.authority:
            lines.append("authority: " + escape(e.authority))
        table.add_row(str(e.sequence), when, who, "\n".join(lines))
    console.print(table)


def print_follow_ups(events: list[FollowUpEvent], title: str) -> None:
    kinds = {e.follow_up_id: e.kind for e in events if isinstance(e, FollowUpScheduled)}
    table = Table(title=title, show_lines=False, expand=True)
    table.add_column("when", width=19)
    table.add_column("what", width=18)
    table.add_column("follow-up")
    table.add_column("due / by")
    for e in events:
        when = e.occurred_at.strftime("%d %b %Y %H:%M")
        kind = kinds.get(e.follow_up_id, "?")
        if isinstance(e, FollowUpScheduled):
            period = "on a date" if e.unit == "DATE" else f"{e.period_days} {e.unit.lower()} days"
            detail = f"due {e.due_at:%d %b %Y %H:%M} ({period})"
        elif isinstance(e, FollowUpDue):
            detail = f"was due {e.due_at:%d %b %Y %H:%M}"
        else:
            detail = str(
                e.payload().get("completed_by_type") or e.payload().get("cancelled_by_type")
            )
        table.add_row(when, e.event_type.removeprefix("FollowUp"), kind, detail)
    console.print(table)


def print_workload(answer: Workload) -> None:
    who = (
        " and ".join(
            x
            for x in (
                answer.officer_id and f"officer {answer.officer_id}",
                answer.team and f"team {answer.team}",
            )
            if x
        )
        or "everyone"
    )
    console.print(
        f"Workload of {who} at {answer.as_of.isoformat()}: {len(answer.subjects)} open plan(s) "
        f"and case(s), {len(answer.follow_ups)} open follow-up(s), {answer.overdue} overdue."
    )
    # One block per plan or case (not a table): every id, flag and restriction shown whole,
    # wrapped at the terminal's width (80 columns too), never cut short.
    console.print("[bold]Plans and cases[/]")
    for s in answer.subjects:
        kind = "plan" if s.subject_type == "ManagedServicePlan" else "case"
        since = f" since {s.stage_since.date().isoformat()}" if s.stage_since else ""
        due = (
            f", due {s.next_action_due.isoformat(timespec='minutes')}" if s.next_action_due else ""
        ) + (f" ({s.overdue_follow_ups} overdue)" if s.overdue_follow_ups else "")
        lines = [
            f"{kind} {s.subject_id}",
            f"  CRN {s.crn or '-'}, officer {s.officer_id or '-'}, {s.stage or '-'}{since}",
            f"  next: {escape(s.next_action or 'none scheduled')}{due}",
        ]
        lines += [f"  [red]{line}[/]" for line in customer_lines(s.customer_flags, s.restrictions)]
        console.print("\n".join(lines))
    follow_ups = Table(title="Open follow-ups, earliest first", expand=True)
    for column in ("due", "", "kind", "what", "step", "subject"):
        follow_ups.add_column(column, overflow="fold")
    for f in answer.follow_ups:
        follow_ups.add_row(
            f.due_at.isoformat(timespec="minutes"),
            "[red]OVERDUE[/]" if f.overdue else f.status.lower(),
            f.kind,
            f.description,
            f.procedure_ref or "",
            f.subject_id,
        )
    console.print(follow_ups)
    console.print(
        "By stage: "
        + (", ".join(f"{k} {v}" for k, v in answer.by_stage.items()) or "none")
        + ".  By officer: "
        + (", ".join(f"{k} {v}" for k, v in answer.by_officer.items()) or "none")
        + "."
    )


def customer_lines(
    flags: Sequence[CustomerFlagInForce], restrictions: Sequence[RestrictionInForce]
) -> list[str]:
    """The customer's flags and MSP restrictions in force, a line each."""
    lines = [
        f"customer flag {f.kind} ({escape(f.flag_id)}, since {f.recorded_at.date().isoformat()})"
        for f in flags
    ]
    for r in restrictions:
        lines.append(
            f"MSP {r.plan_id}: {', '.join(r.kinds) or 'no restriction'} to {r.end_date.isoformat()}"
        )
        lines.append(
            f"  contact through {r.channel_role} {r.channel_staff_id} ({escape(r.channel_name)})"
        )
    return lines


def print_timeline(timeline: Timeline, title: str) -> None:
    table = Table(title=f"Audit timeline of {title}", show_lines=True, expand=True)
    for column in ("#", "when", "who", "what", "why", "step / rules", "follow-ups caused"):
        table.add_column(column)
    for e in timeline.entries:
        why = "; ".join(
            [*e.reasons, *(f"evidence {r}" for r in e.evidence_refs)]
            + ([f"authority {e.authority}"] if e.authority else [])
        )
        details = ", ".join(f"{k}={v}" for k, v in list(e.details.items())[:4])
        follow_ups = "\n".join(
            f"{f.kind} due {f.due_at.date().isoformat()}: {f.status.lower()}"
            + (f" {f.ended_at.date().isoformat()}" if f.ended_at else "")
            for f in e.follow_ups
        )
        table.add_row(
            str(e.version),
            e.occurred_at.isoformat(timespec="minutes"),
            f"{e.staff_id} ({e.role}, {e.aps_level})",
            f"{e.event_type}\n{escape(details)}",
            escape(why),
            f"{e.procedure_ref or ''}\n{', '.join(e.rules_applied)}",
            follow_ups,
        )
    console.print(table)
    console.print(
        f"Follow-ups in force: {len(timeline.follow_ups_in_force)}"
        + "".join(
            f"\n  {f.kind} due {f.due_at.isoformat(timespec='minutes')} ({f.status.lower()})"
            for f in timeline.follow_ups_in_force
        )
    )


def print_compliance(answer: Compliance) -> None:
    scope = (
        f"customer {answer.crn}"
        if answer.crn
        else f"record {answer.subject_id}"
        if answer.subject_id
        else "every customer"
    )
    console.print(f"Compliance of {scope} at {answer.as_of.isoformat()}.")
    contacts = Table(
        title=f"Actual contacts (caps: {answer.weekly_cap} a week, {answer.monthly_cap} a month)",
        expand=True,
    )
    for column in ("CRN", "contacts", "busiest week", "busiest month", "over a cap"):
        contacts.add_column(column, overflow="fold")
    for c in answer.contacts:
        week = max(c.weeks, key=lambda p: p.contacts, default=None)
        month = max(c.months, key=lambda p: p.contacts, default=None)
        contacts.add_row(
            c.crn or "",
            str(c.contacts),
            f"{week.label}: {week.contacts}" if week else "",
            f"{month.label}: {month.contacts}" if month else "",
            "[red]yes[/]" if c.over_weekly_cap or c.over_monthly_cap else "no",
        )
    console.print(contacts)
    letters = Table(title="Letters past their response period without a review", expand=True)
    for column in ("issued", "letter", "respond by", "follow-ups", "record"):
        letters.add_column(column, overflow="fold")
    for letter in answer.unreviewed_letters:
        letters.add_row(
            letter.issued_at.date().isoformat(),
            f"{letter.code or ''} {letter.letter_id}".strip(),
            letter.respond_by.isoformat() if letter.respond_by else "",
            ", ".join(f"{f.kind} {f.status.lower()}" for f in letter.follow_ups) or "none",
            letter.subject_id,
        )
    console.print(letters)
    console.print(
        f"Pauses in force: {len(answer.pauses)}"
        + "".join(
            f"\n  {p.pause_id} ({p.reason}) on {', '.join(p.debt_ids) or 'all debts'}"
            f" since {p.paused_at.date().isoformat()}"
            for p in answer.pauses
        )
    )
    console.print(
        f"Flags in force: {len(answer.flags)}"
        + "".join(
            f"\n  {f.kind} on {f.subject_id} since {f.recorded_at.date().isoformat()}"
            for f in answer.flags
        )
    )
    _print_customers(answer)
    garnishees = Table(title="Garnishees", expand=True)
    for column in ("garnishee", "assessed", "decision", "Debt Redress Check", "placed"):
        garnishees.add_column(column, overflow="fold")
    for g in answer.garnishees:
        garnishees.add_row(
            f"{g.garnishee_id} ({g.kind or '?'})",
            "" if g.assessed_at is None else f"{g.assessed_at.date()} appropriate={g.appropriate}",
            "" if g.decision is None else f"{g.decision} by {g.decided_by} {g.decided_at:%Y-%m-%d}",
            ""
            if g.redress_check_id is None
            else f"{g.redress_result}, approved by {g.redress_approved_by or '-'}",
            "" if g.placed_at is None else f"{g.placed_at.date()} by {g.placed_by}",
        )
    console.print(garnishees)
    if not answer.breaches:
        console.print("No recorded history breaks a rule.")
        return
    breaches = Table(title="[red]Histories that break a rule[/]", expand=True)
    for column in ("rule", "record", "event", "when", "what"):
        breaches.add_column(column, overflow="fold")
    for b in answer.breaches:
        breaches.add_row(
            b.rule_id,
            b.subject_id,
            f"v{b.version} {b.event_type}",
            b.occurred_at.isoformat(timespec="minutes"),
            b.detail,
        )
    console.print(breaches)


def _print_customers(answer: Compliance) -> None:
    """Each customer's flags and restrictions in force, and the plans whose notification is
    not complete."""
    shown = [c for c in answer.customers if c.flags or c.restrictions]
    console.print(f"Customers with flags or MSP restrictions in force: {len(shown)}")
    for c in shown:
        lines = [f"  customer {c.crn or c.customer_id}"]
        lines += [f"    {line}" for line in customer_lines(c.flags, c.restrictions)]
        console.print("\n".join(lines))
    for title, plans in (
        ("Plans in force not notified in writing (S-MSP Step 3)", answer.not_notified_in_writing),
        (
            "Plans in force without the date the customer was informed (S-MSP Step 1)",
            answer.informed_date_missing,
        ),
    ):
        console.print(
            f"{title}: {len(plans)}"
            + "".join(
                f"\n  [red]{p.plan_id}[/] (CRN {p.crn or '-'})\n    in force since "
                f"{p.in_force_since.date().isoformat()}: {p.rule_id}, {p.procedure_ref}"
                for p in plans
            )
        )


def print_verification(result: VerifyResult, *, to: Console | None = None) -> None:
    out = to or console
    scope = "the whole store" if result.scope == "store" else result.scope
    out.print(
        f"Verified {scope}: {result.events} event(s) in {result.aggregates} histories "
        f"({result.chain} chain"
        + (f", {result.snapshots} snapshot(s)" if result.snapshots else "")
        + (f", checked against the {result.witness}" if result.witness else "")
        + (", against the heads given" if result.against else "")
        + ")."
    )
    if result.heads:
        out.print(f"Head: version {result.heads['version']}, digest {result.heads['digest']}")
    for name, head in result.log_heads.items():
        out.print(
            f"Log head of {name}: {head.events} event(s) to notification "
            f"{head.notification_id}, digest {head.digest}"
        )
    if result.ok:
        out.print("[green]Every history is intact.[/]")
        return
    table = Table(title=f"{len(result.findings)} finding(s)", expand=True)
    for column in ("log", "aggregate", "version", "finding", "detail"):
        table.add_column(column)
    for f in result.findings:
        versions = str(f.version) + (
            f"-{f.last_version}" if f.last_version and f.last_version != f.version else ""
        )
        if not f.version:
            versions = f"#{f.notification_id}" if f.notification_id else ""
        detail = f.detail + (f" [{f.location}]" if f.location else "")
        table.add_row(f.application, f.aggregate_id, versions, f"[red]{f.kind}[/]", escape(detail))
    out.print(table)


ROLE_ABBREVIATIONS: dict[str, str] = {
    Role.CASE_MANAGER: "CM",
    Role.LITIGATION_CASE_MANAGER: "LCM",
    Role.TEAM_LEADER: "TL",
    Role.OPERATIONAL_LEADER: "OL",
    Role.SENIOR_LITIGATION_OFFICER: "SLO",
    Role.SRT_OFFICER: "SRTO",
    Role.DEBT_STAFF: "DS",
    Role.DPO_DELEGATE: "DEL",
    Role.SOCIAL_WORKER: "SW",
    Role.MSP_RECORDER: "REC",
    Role.MSP_REVIEWER: "REV",
    Role.MSP_APPROVER: "DM",
    Role.SERVICE_OFFICER: "SO",
    Role.OMC: "OMC",
    Role.PSSO: "PSSO",
    Role.SYSTEM: "SYSTEM",
}
"""Short names for the roles (the domain reference's own where it has one: CM, LCM, OL, TL,
SRTO, DEL), so the role table fits 80 columns."""


def print_roles(rows: list[RoleRow], *, to: Console | None = None) -> None:
    """The role table, one table per aggregate, with a legend of the role names."""
    out = to or console
    out.print(
        "Roles: "
        + ", ".join(f"{short} = {role}" for role, short in ROLE_ABBREVIATIONS.items())
        + ".",
        overflow="fold",
    )
    out.print(
        "[A] settings add the roles the configuration names; 'SYSTEM' means the library's "
        "own policies (RecoveryApp.handle refuses a SYSTEM actor: X-A3)."
    )
    for aggregate in dict.fromkeys(r.aggregate for r in rows):
        table = Table(title=f"Who may record each {aggregate} command", show_lines=True)
        table.add_column("command", overflow="fold", ratio=3)
        table.add_column("who", overflow="fold", ratio=2)
        table.add_column("refused as; four-eyes; settings", overflow="fold", ratio=3)
        for r in (r for r in rows if r.aggregate == aggregate):
            who = " ".join(ROLE_ABBREVIATIONS.get(role, role) for role in r.roles)
            who += f" (APS {r.min_aps.removeprefix('APS')}+)" if r.min_aps else ""
            who += " SYSTEM" if r.system else ""
            notes = [r.rule_id]
            notes += [r.second_person] if r.second_person else []
            notes += [f"[A] {', '.join(r.settings)}"] if r.settings else []
            table.add_row(r.command, who, escape("; ".join(notes)))
        out.print(table)


@contextmanager
def _progress_bars(views: ReadModels, title: str) -> Iterator[dict[str, Progress]]:
    """A progress bar per view on stderr (stdout stays clean for --format json)."""
    with RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=not err.is_terminal,
        disable=not err.is_terminal,
    ) as bars:
        tasks = {name: bars.add_task(f"{title} {name}", total=None) for name in views.names}

        def bar(name: str) -> Progress:
            return lambda done, total: bars.update(tasks[name], completed=done, total=total)

        yield {name: bar(name) for name in views.names}
