"""The ``recoverycore`` command line: a thin shell over the public API."""

from __future__ import annotations

import signal
import sys
import threading
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import orjson
import structlog
import typer
from rich.console import Console
from rich.table import Table

from recoverycore.application import RecoveryApp
from recoverycore.clock import SimulatedClock
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
from recoverycore.policy_app import FollowUpPolicy, SafeguardPolicy, follow, run_policies
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
            lines.append(details)
        if e.reasons:
            lines.append("[italic]reasons:[/] " + " ".join(e.reasons))
        if e.evidence_refs:
            lines.append("evidence: " + ", ".join(e.evidence_refs))
        if e.authority:
            lines.append("authority: " + e.authority)
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


def main() -> None:
    app()
