"""The ``recoverycore`` command line: a thin shell over the public API."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import orjson
import structlog
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from recoverycore.application import RecoveryApp
from recoverycore.application.clock import SimulatedClock
from recoverycore.application.forget import forget
from recoverycore.application.policies import FollowUpPolicy, SafeguardPolicy, follow, run_policies
from recoverycore.application.read_models import AuditReport, ReadModels, follow_views
from recoverycore.application.verify import VerifyResult, verify
from recoverycore.demo import (
    DEMO_CASE_ID,
    DEMO_CASE_START,
    DEMO_PLAN_ID,
    DEMO_START,
    DemoStep,
    run_case_demo,
    run_demo,
)
from recoverycore.errors import AggregateNotFound
from recoverycore.events._envelope import DomainEvent
from recoverycore.events.follow_ups import FollowUpDue, FollowUpEvent, FollowUpScheduled
from recoverycore.persistence import resolve_store_env
from recoverycore.projections import VIEWS, Compliance, Progress, Timeline
from recoverycore.projections.workload import Workload
from recoverycore.rules import CATALOGUE

__all__ = ["app", "main"]

app = typer.Typer(
    help="Record and audit Managed Service Plans and case managed debt recovery.",
    no_args_is_help=True,
    add_completion=False,
)
# A pipe or CI log gets a wide table rather than an 80-column one.
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)


class Format(StrEnum):
    text = "text"
    json = "json"


DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="SQLite file to use (default: $RECOVERYCORE_DB, else ./recoverycore.db). "
        "PostgreSQL is chosen with eventsourcing's PERSISTENCE_MODULE and POSTGRES_* variables.",
        show_default=False,
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def _stderr_logger(*_: Any) -> structlog.PrintLogger:
    # Looked up at each use, so a replaced sys.stderr (tests, embedding) is followed.
    return structlog.PrintLogger(file=sys.stderr)


def _configure_logging(verbose: bool) -> None:
    # Command logs go to stderr so that --format json output stays parseable.
    structlog.configure(
        logger_factory=_stderr_logger,
        wrapper_class=structlog.make_filtering_bound_logger(10 if verbose else 30),
    )


@app.callback()
def _root(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log every command to stderr.")
    ] = False,
) -> None:
    _configure_logging(verbose)


def _open(db: Path | None, **kwargs: Any) -> RecoveryApp:
    return RecoveryApp(env=resolve_store_env(db), **kwargs)


def _event_row(event: DomainEvent) -> dict[str, Any]:
    return {
        "sequence": event.sequence,
        "event_id": str(event.event_id),
        "event_type": event.event_type,
        "schema_version": event.schema_version,
        **event.model_dump(mode="json", exclude={"originator_version"}),
    }


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


def _print_steps(steps: list[DemoStep]) -> None:
    for step in steps:
        stamp = step.at.strftime("%a %d %b %Y %H:%M")
        if step.refused is not None:
            console.print(
                f"  {stamp}  {step.title}\n      [red]refused {step.refused.rule_id}[/]: "
                f"{step.refused.reason} [dim]{step.refused.remedy}[/]"
            )
        else:
            console.print(f"  {stamp}  {step.title}\n      recorded {', '.join(step.recorded)}")


@app.command()
def demo(db: DbOption = None) -> None:
    """Record the example MSP and the example case end to end, with the policies following,
    and print their histories and follow-ups (safe to run again)."""
    runner = run_policies(resolve_store_env(db))
    try:
        recovery = runner.get(RecoveryApp)
        follow_ups = runner.get(FollowUpPolicy)
        follow_ups.catch_up()
        runner.get(SafeguardPolicy).catch_up()
        recovery.pull_and_process(SafeguardPolicy.name)
        store = recovery.describe_store()
        console.print(f"[bold]recoverycore demo[/] on {store['persistence']} ({store['database']})")

        console.rule("1. A Managed Service Plan after an incident (procedure 104-07050030)")
        plan_clock = SimulatedClock(DEMO_START)
        recovery.clock = plan_clock
        steps = run_demo(recovery, plan_clock, on_step=follow_ups.tick)
        if steps is None:
            console.print(f"The demo plan {DEMO_PLAN_ID} is already recorded; showing its history.")
        else:
            _print_steps(steps)
        state = recovery.plan(DEMO_PLAN_ID)
        print_history(recovery.history(DEMO_PLAN_ID), f"History of MSP {DEMO_PLAN_ID}")
        console.print(
            f"status {state.status}; notification complete: {state.notification_complete}; "
            f"customer informed on {state.customer_informed_on}; letter {state.letter_outcome}.\n"
            f"See it again with: recoverycore history {DEMO_PLAN_ID}"
        )

        console.rule("2. A case managed debt recovery (procedure 107-20112320)")
        case_clock = SimulatedClock(DEMO_CASE_START)
        recovery.clock = case_clock
        case_steps = run_case_demo(recovery, case_clock, on_step=follow_ups.tick)
        if case_steps is None:
            console.print(f"The demo case {DEMO_CASE_ID} is already recorded; showing its history.")
        else:
            _print_steps(case_steps)
        case = recovery.case(DEMO_CASE_ID)
        print_history(recovery.history(DEMO_CASE_ID), f"History of case {DEMO_CASE_ID}")
        console.print(
            f"status {case.status}; paid in full: {case.paid_in_full}; "
            f"closure reason {case.closure_reason}.\n"
            f"See it again with: recoverycore history {DEMO_CASE_ID}"
        )

        console.rule("3. Follow-ups: scheduled, satisfied, cancelled, and due as the clock moves")
        for subject, title in ((DEMO_PLAN_ID, "MSP"), (DEMO_CASE_ID, "case")):
            print_follow_ups(follow_ups.follow_ups_of(subject), f"Follow-ups of the {title}")
        console.print(
            "Follow-ups fall due only when a tick passes their due time: the demo ticks before "
            "each step as its clock moves; `recoverycore tick --now TIME` does it by hand."
        )
    finally:
        runner.stop()


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


@app.command()
def history(
    aggregate_id: Annotated[UUID, typer.Argument(help="The plan (or case) id.")],
    db: DbOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Print every event recorded on a plan or case, oldest first."""
    with _open(db) as recovery:
        try:
            events = recovery.history(aggregate_id)
        except AggregateNotFound as missing:
            err.print(f"[red]{missing}[/] Check the id, and the store (--db).")
            raise typer.Exit(code=1) from None
    if fmt is Format.json:
        sys.stdout.write(orjson.dumps([_event_row(e) for e in events]).decode() + "\n")
    else:
        print_history(events, f"History of {aggregate_id}")


@app.command()
def rules(fmt: FormatOption = Format.text) -> None:
    """The rule catalogue: every rule id, its text and the procedure step it comes from."""
    entries = list(CATALOGUE.values())
    if fmt is Format.json:
        sys.stdout.write(orjson.dumps([r.model_dump(mode="json") for r in entries]).decode() + "\n")
        return
    table = Table(title="recoverycore rule catalogue", show_lines=True, expand=True)
    table.add_column("id")
    table.add_column("rule", ratio=3)
    table.add_column("source step")
    table.add_column("sources")
    for r in entries:
        rid = r.id + (" [A]" if r.assumption else "")
        extra = f"\nsetting: {r.setting}" if r.setting else ""
        table.add_row(rid, r.text + extra, r.source_step, ", ".join(r.sources))
    console.print(table)


@app.command()
def tick(
    now: Annotated[
        datetime,
        typer.Option(
            "--now",
            help="The time to tick to, with its offset (e.g. 2026-08-31T09:00:00+10:00). The "
            "domain never reads a clock; this is the only way follow-ups fall due.",
        ),
    ],
    db: DbOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Process new plan and case events into follow-ups, then make due those past ``--now``."""
    if now.tzinfo is None:
        err.print("[red]--now needs a UTC offset[/], e.g. 2026-08-31T09:00:00+10:00.")
        raise typer.Exit(code=2)
    env = resolve_store_env(db)
    with RecoveryApp(env=env) as recovery, FollowUpPolicy(env=env) as policy:
        policy.follow_application(recovery)
        policy.catch_up()
        due = policy.tick(now)
    rows = [e.model_dump(mode="json") | {"event_type": e.event_type} for e in due]
    if fmt is Format.json:
        sys.stdout.write(orjson.dumps(rows).decode() + "\n")
        return
    console.print(f"{len(due)} follow-up(s) fell due by {now.isoformat()}.")
    for event in due:
        console.print(f"  {event.follow_up_id}  due {event.payload().get('due_at')}")


@app.command("follow-ups")
def follow_ups_command(
    aggregate_id: Annotated[UUID, typer.Argument(help="The plan or case id.")],
    db: DbOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Every follow-up of a plan or case: scheduled, due, completed or cancelled."""
    env = resolve_store_env(db)
    with RecoveryApp(env=env) as recovery, FollowUpPolicy(env=env) as policy:
        policy.follow_application(recovery)
        policy.catch_up()
        events = policy.follow_ups_of(aggregate_id)
    if fmt is Format.json:
        sys.stdout.write(orjson.dumps([_event_row(e) for e in events]).decode() + "\n")
        return
    print_history(list(events), f"Follow-ups of {aggregate_id}")


class Follower(StrEnum):
    follow_ups = "follow-ups"
    safeguards = "safeguards"
    recovery = "recovery"


@app.command("follow")
def follow_command(
    which: Annotated[Follower, typer.Argument(help="Which process application to run.")],
    db: DbOption = None,
    poll: Annotated[float, typer.Option(help="Seconds between polls of the upstream log.")] = 0.5,
) -> None:
    """Run one policy (or RecoveryApp's side of the safeguard loop) in this process, following
    its upstream's notification log until stopped (Ctrl-C or SIGTERM).

    On PostgreSQL, run `follow follow-ups`, `follow safeguards` and `follow recovery` as three
    processes; each resumes exactly where it left off after a restart.
    """
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        follow(which.value, resolve_store_env(db), poll_seconds=poll, stop=stop)
    except KeyboardInterrupt:
        stop.set()


# -- views (read models) ---------------------------------------------------------------------------


class ViewName(StrEnum):
    workload = "workload"
    audit = "audit"
    compliance = "compliance"


def _view_names(chosen: list[ViewName] | None) -> list[str] | None:
    names = [v.value for v in chosen] if chosen else None
    unknown = [n for n in names or () if n not in VIEWS]
    if unknown:
        err.print(f"[red]No view named {', '.join(unknown)}[/] in this version.")
        raise typer.Exit(code=2)
    return names


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


def _up_to_date(db: Path | None, names: list[str] | None = None) -> ReadModels:
    """The store's views with everything recorded so far applied (the follow-up policy first, as
    ``tick`` does, so the views see every follow-up the recorded events cause)."""
    env = resolve_store_env(db)
    with RecoveryApp(env=env) as recovery, FollowUpPolicy(env=env) as policy:
        policy.follow_application(recovery)
        policy.catch_up()
    views = ReadModels(env, names=names)
    with _progress_bars(views, "catching up") as bars:
        views.catch_up(progress=bars)
    return views


def _write_json(model: Any) -> None:
    sys.stdout.write(model.model_dump_json() + "\n")


def _aware(value: datetime | None, option: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        err.print(f"[red]{option} needs a UTC offset[/], e.g. 2026-03-01T09:00:00+11:00.")
        raise typer.Exit(code=2)
    return value


AsOfOption = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        help="A time with its offset (e.g. 2026-03-01T17:00:00+11:00): answer as the record "
        "stood then.",
        show_default=False,
    ),
]


@app.command()
def project(
    views: Annotated[
        list[ViewName] | None, typer.Argument(help="Views to keep up to date (default: all).")
    ] = None,
    db: DbOption = None,
    follow_: Annotated[
        bool,
        typer.Option(
            "--follow",
            help="Keep following new events until stopped (Ctrl-C or SIGTERM). On PostgreSQL "
            "this runs eventsourcing's ProjectionRunner per view.",
        ),
    ] = False,
    poll: Annotated[float, typer.Option(help="Seconds between polls (SQLite).")] = 0.5,
) -> None:
    """Apply to the views every event recorded since they were last brought up to date."""
    names = _view_names(views)
    env = resolve_store_env(db)
    if follow_:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            follow_views(env, names, stop=stop, poll_seconds=poll)
        except KeyboardInterrupt:
            stop.set()
        return
    with ReadModels(env, names=names) as models, _progress_bars(models, "catching up") as bars:
        results = models.catch_up(progress=bars)
    for name, result in results.items():
        console.print(f"{name}: {result.total} event(s) applied in {result.batches} batch(es).")


@app.command()
def rebuild(
    views: Annotated[
        list[ViewName] | None, typer.Argument(help="Views to rebuild (default: all).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Drop views and build them again from the first recorded event. Only reads the logs:
    no policy reacts to a rebuild."""
    names = _view_names(views)
    models = ReadModels(resolve_store_env(db), names=names)
    with models, _progress_bars(models, "rebuilding") as bars:
        results = models.rebuild(progress=bars)
    for name, result in results.items():
        console.print(f"{name}: rebuilt from {result.total} event(s).")


@app.command("workload")
def workload_command(
    officer: Annotated[str | None, typer.Option(help="The officer's staff id.")] = None,
    team: Annotated[str | None, typer.Option(help="The team.")] = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """An officer's or team's open plans and cases, their stage and next action, and the open
    follow-ups (overdue ones marked) at --as-of (default: now)."""
    when = _aware(as_of, "--as-of") or datetime.now().astimezone()
    with _up_to_date(db, ["workload"]) as models:
        answer = models.workload(as_of=when, officer_id=officer, team=team)
    if fmt is Format.json:
        _write_json(answer)
        return
    print_workload(answer)


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
    subjects = Table(title="Plans and cases", expand=True)
    for column in ("id", "type", "CRN", "officer", "stage", "since", "next action", "due"):
        subjects.add_column(column)
    for s in answer.subjects:
        subjects.add_row(
            s.subject_id,
            "plan" if s.subject_type == "ManagedServicePlan" else "case",
            s.crn or "",
            s.officer_id or "",
            s.stage or "",
            s.stage_since.date().isoformat() if s.stage_since else "",
            s.next_action or "none scheduled",
            (s.next_action_due.isoformat(timespec="minutes") if s.next_action_due else "")
            + (f" ({s.overdue_follow_ups} overdue)" if s.overdue_follow_ups else ""),
        )
    console.print(subjects)
    follow_ups = Table(title="Open follow-ups, earliest first", expand=True)
    for column in ("due", "", "kind", "what", "step", "subject"):
        follow_ups.add_column(column)
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


@app.command("audit")
def audit_command(
    subject_id: Annotated[
        UUID | None, typer.Argument(help="The plan or case id.", show_default=False)
    ] = None,
    crn: Annotated[
        str | None, typer.Option(help="Instead of an id: every plan and case of this customer.")
    ] = None,
    as_of: AsOfOption = None,
    version: Annotated[
        int | None, typer.Option(help="Only the first VERSION events of the plan or case.")
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """The timeline of every action on a plan or case (who, when, what, why, under which step
    and rules, the follow-ups it caused and how they ended), and its state as the record stood
    at --as-of or --version."""
    if (subject_id is None) == (crn is None):
        err.print("[red]Give a plan or case id, or --crn[/] (not both).")
        raise typer.Exit(code=2)
    when = _aware(as_of, "--as-of")
    with _up_to_date(db, ["audit"]) as models:
        if crn is not None:
            timeline = models.customer_audit(crn, as_of=when)
            if fmt is Format.json:
                _write_json(timeline)
            else:
                print_timeline(timeline, f"Customer {crn}")
            return
        assert subject_id is not None
        try:
            report = models.audit_report(subject_id, as_of=when, version=version)
        except AggregateNotFound as missing:
            err.print(f"[red]{missing}[/] Check the id, the time, and the store (--db).")
            raise typer.Exit(code=1) from None
    if fmt is Format.json:
        _write_json(report)
        return
    print_timeline(report.timeline, f"{report.state.subject_type} {subject_id}")
    state = report.state
    status = getattr(state.state, "status", "")
    stage = getattr(state.state, "stage", status)
    console.print(
        f"As the record stood at version {state.version}"
        + (f" ({when.isoformat()})" if when else "")
        + f": status {status}, stage {stage}; pauses in force: "
        + (", ".join(f"{p.pause_id} ({p.reason})" for p in state.pauses_in_force) or "none")
        + "; flags in force: "
        + (", ".join(state.flags_in_force) or "none")
        + "."
    )


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


@app.command("compliance")
def compliance_command(
    crn: Annotated[str | None, typer.Option(help="Only this customer (CRN).")] = None,
    subject_id: Annotated[
        UUID | None, typer.Option("--id", help="Only this plan or case.", show_default=False)
    ] = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Contacts against the caps, letters past their response period without a review, pauses
    and flags in force, garnishees with their approvals and checks, and any recorded history that
    breaks a rule. Exits 1 when a breach is found."""
    when = _aware(as_of, "--as-of") or datetime.now().astimezone()
    with _up_to_date(db, ["compliance"]) as models:
        answer = models.compliance(as_of=when, crn=crn, subject_id=subject_id)
    if fmt is Format.json:
        _write_json(answer)
    else:
        print_compliance(answer)
    if answer.breaches:
        raise typer.Exit(code=1)


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
        contacts.add_column(column)
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
        letters.add_column(column)
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
    garnishees = Table(title="Garnishees", expand=True)
    for column in ("garnishee", "assessed", "decision", "Debt Redress Check", "placed"):
        garnishees.add_column(column)
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
        breaches.add_column(column)
    for b in answer.breaches:
        breaches.add_row(
            b.rule_id,
            b.subject_id,
            f"v{b.version} {b.event_type}",
            b.occurred_at.isoformat(timespec="minutes"),
            b.detail,
        )
    console.print(breaches)


class SchemaName(StrEnum):
    workload = "workload"
    audit = "audit"
    customer_audit = "customer-audit"
    compliance = "compliance"


@app.command()
def schema(which: Annotated[SchemaName, typer.Argument(help="Which output.")]) -> None:
    """The JSON Schema of a command's ``--format json`` output (generated from the models)."""
    models: dict[SchemaName, Any] = {
        SchemaName.workload: Workload,
        SchemaName.audit: AuditReport,
        SchemaName.customer_audit: Timeline,
        SchemaName.compliance: Compliance,
    }
    model = models.get(which)
    if model is None:
        err.print(f"[red]No {which.value} output in this version.[/]")
        raise typer.Exit(code=2)
    sys.stdout.write(orjson.dumps(model.model_json_schema(), option=orjson.OPT_INDENT_2).decode())
    sys.stdout.write("\n")


# -- the case report -------------------------------------------------------------------------------


class ReportFormatName(StrEnum):
    html = "html"
    json = "json"
    text = "text"


@app.command("report")
def report_command(
    subject_id: Annotated[
        UUID | None, typer.Argument(help="The plan or case id.", show_default=False)
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the report to this file (default: stdout). Its extension (.html, .json, "
            ".txt) chooses the format unless --format is given.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        ReportFormatName | None,
        typer.Option(
            "--format",
            "-f",
            help="html (one self-contained page), json (the audit export) or text; default: "
            "from --output's extension, else html.",
            show_default=False,
        ),
    ] = None,
    as_of: AsOfOption = None,
    version: Annotated[
        int | None, typer.Option(help="Only the first VERSION events of the plan or case.")
    ] = None,
    schemas: Annotated[
        bool,
        typer.Option(
            "--schemas",
            help="Print the JSON Schema of the json report and of every event type, and exit.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """One self-contained report of a plan or case for an auditor: summary, hash-chain
    verification, the procedure's state machine with the path taken, the timeline of actions,
    follow-ups, pauses and flags (exit 1 if the record's hash chain does not verify)."""
    # Imported here: the report's rendering is only needed by this command.
    from recoverycore.report import build_report, format_for, render, report_schemas

    if schemas:
        sys.stdout.write(orjson.dumps(report_schemas(), option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    if subject_id is None:
        err.print("[red]Give a plan or case id[/] (or --schemas).")
        raise typer.Exit(code=2)
    when = _aware(as_of, "--as-of")
    chosen = format_for(None if output is None else output.name, fmt.value if fmt else None)
    with _up_to_date(db, ["audit"]) as models:
        try:
            report = build_report(models, subject_id, as_of=when, version=version)
        except AggregateNotFound as missing:
            err.print(f"[red]{missing}[/] Check the id, the time, and the store (--db).")
            raise typer.Exit(code=1) from None
    text = render(report, chosen)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(
            f"Wrote the {chosen} report of {report.summary.subject_type} {subject_id} "
            f"({report.summary.actions} actions) to {escape(str(output))}."
        )
    if not report.verification.ok:
        err.print("[red]The record's hash chain does not verify:[/] see the report.")
        raise typer.Exit(code=1)


@app.command("verify")
def verify_command(
    subject_id: Annotated[
        UUID | None,
        typer.Argument(
            help="A plan, case or record id (default: the whole store).", show_default=False
        ),
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Check that every stored event is the one recorded: recompute each aggregate's hash chain
    and report any event altered, removed, inserted or reordered (exit 1 if anything is)."""
    env = resolve_store_env(db)
    if subject_id is not None:
        result = verify(env, aggregate_id=subject_id)
    else:
        with RichProgress(
            TextColumn("verifying"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=not err.is_terminal,
        ) as bar:
            task = bar.add_task("verify", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = verify(env, progress=progress)
    if subject_id is not None and result.aggregates == 0:
        err.print(
            f"[red]Nothing is recorded on {subject_id}.[/] Check the id and the store (--db)."
        )
        raise typer.Exit(code=1)
    if fmt is Format.json:
        _write_json(result)
    else:
        print_verification(result)
    if not result.ok:
        raise typer.Exit(code=1)


def print_verification(result: VerifyResult) -> None:
    scope = "the whole store" if result.scope == "store" else result.scope
    console.print(
        f"Verified {scope}: {result.events} event(s) in {result.aggregates} histories "
        f"({result.chain} chain"
        + (f", checked against the {result.witness}" if result.witness else "")
        + ")."
    )
    if result.heads:
        console.print(f"Head: version {result.heads['version']}, digest {result.heads['digest']}")
    if result.ok:
        console.print("[green]Every history is intact.[/]")
        return
    table = Table(title=f"{len(result.findings)} finding(s)", expand=True)
    for column in ("log", "aggregate", "version", "finding", "detail"):
        table.add_column(column)
    for f in result.findings:
        versions = str(f.version) + (
            f"-{f.last_version}" if f.last_version and f.last_version != f.version else ""
        )
        table.add_row(
            f.application, f.aggregate_id, versions, f"[red]{f.kind}[/]", escape(f.detail)
        )
    console.print(table)


@app.command("forget")
def forget_command(
    crn: Annotated[str, typer.Argument(help="The customer's CRN.", show_default=False)],
    db: DbOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Erase a customer's personal data: destroy their key, so their name, CRN, phone numbers
    and addresses read as [erased] everywhere (histories, views, reports); histories still
    replay and verify."""
    env = resolve_store_env(db)
    try:
        done = forget(env, crn)
    except ValueError as plain:
        err.print(f"[red]{escape(str(plain))}[/]")
        raise typer.Exit(code=1) from None
    if fmt is Format.json:
        _write_json(done)
        return
    if done.key_destroyed:
        console.print(
            f"Forgot customer record {done.customer_record}: key destroyed; "
            f"{len(done.records)} record(s) now read as erased; "
            f"{done.snapshots_deleted} snapshot(s) deleted."
        )
    else:
        console.print(
            f"No key to destroy for customer record {done.customer_record} "
            "(nothing recorded for this CRN, or already forgotten)."
        )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
