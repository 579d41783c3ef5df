"""Recording and reading histories: ``demo``, ``history``, ``rules``, ``tick``, ``follow-ups`` and
``follow``."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

import orjson
import typer
from rich.table import Table

from recoverycore import (
    DECIDERS,
    AggregateNotFound,
    DomainEvent,
    RecoveryApp,
    SimulatedClock,
    SystemClock,
    role_rows,
)
from recoverycore.application import (
    FollowUpPolicy,
    SafeguardPolicy,
    follow,
    resolve_store_env,
    run_policies,
)
from recoverycore.cli._app import DbOption, Format, FormatOption, _open, app
from recoverycore.cli._tables import console, err, print_follow_ups, print_history, print_roles
from recoverycore.cli.demo import (
    DEMO_CASE_ID,
    DEMO_CASE_START,
    DEMO_PLAN_ID,
    DEMO_START,
    DemoStep,
    run_case_demo,
    run_demo,
)
from recoverycore.cli.demo_customer import (
    DEMO_CUSTOMER_CASE_ID,
    DEMO_CUSTOMER_START,
    customer_standing,
    run_customer_demo,
)
from recoverycore.rules import CATALOGUE


def _event_row(event: DomainEvent) -> dict[str, Any]:
    return {
        "sequence": event.sequence,
        "event_id": str(event.event_id),
        "event_type": event.event_type,
        "schema_version": event.schema_version,
        **event.model_dump(mode="json", exclude={"originator_version"}),
    }


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


_DemoRun = Callable[
    [RecoveryApp, SimulatedClock, Callable[[datetime], object] | None], list[DemoStep] | None
]


def _record_and_show(
    recovery: RecoveryApp,
    heading: str,
    run: _DemoRun,
    start: datetime,
    on_step: Callable[[datetime], object],
    *,
    subject_id: UUID,
    noun: str,
    title: str,
    standing: Callable[[RecoveryApp, UUID], str],
) -> None:
    """One part of the demo: record it on a simulated clock from ``start`` (unless it is already
    recorded), then print its steps, its history and where it stands."""
    console.rule(heading)
    clock = SimulatedClock(start)
    recovery.clock = clock
    steps = run(recovery, clock, on_step)
    if steps is None:
        console.print(f"The demo {noun} {subject_id} is already recorded; showing its history.")
    else:
        _print_steps(steps)
    where = standing(recovery, subject_id)
    print_history(recovery.history(subject_id), f"History of {title} {subject_id}")
    console.print(f"{where}.\nSee it again with: recoverycore history {subject_id}")


def _plan_standing(recovery: RecoveryApp, plan_id: UUID) -> str:
    state = recovery.plan(plan_id)
    return (
        f"status {state.status}; notification complete: {state.notification_complete}; "
        f"customer informed on {state.customer_informed_on}; letter {state.letter_outcome}"
    )


def _case_standing(recovery: RecoveryApp, case_id: UUID) -> str:
    case = recovery.case(case_id)
    return (
        f"status {case.status}; paid in full: {case.paid_in_full}; "
        f"closure reason {case.closure_reason}"
    )


@app.command("demo")
def demo_command(db: DbOption = None) -> None:
    """Record the example MSP, the example case and one customer across a plan and a case, with
    the policies following, and print their histories and follow-ups (safe to run again)."""
    runner = run_policies(resolve_store_env(db))
    try:
        recovery = runner.get(RecoveryApp)
        follow_ups = runner.get(FollowUpPolicy)
        follow_ups.catch_up()
        runner.get(SafeguardPolicy).catch_up()
        recovery.pull_and_process(SafeguardPolicy.name)
        store = recovery.describe_store()
        console.print(f"[bold]recoverycore demo[/] on {store['persistence']} ({store['database']})")

        _record_and_show(
            recovery,
            "1. A Managed Service Plan after an incident (procedure 104-07050030)",
            run_demo,
            DEMO_START,
            follow_ups.tick,
            subject_id=DEMO_PLAN_ID,
            noun="plan",
            title="MSP",
            standing=_plan_standing,
        )
        _record_and_show(
            recovery,
            "2. A case managed debt recovery (procedure 107-20112320)",
            run_case_demo,
            DEMO_CASE_START,
            follow_ups.tick,
            subject_id=DEMO_CASE_ID,
            noun="case",
            title="case",
            standing=_case_standing,
        )

        _record_and_show(
            recovery,
            "3. One customer across a plan and a case (the customer record)",
            run_customer_demo,
            DEMO_CUSTOMER_START,
            follow_ups.tick,
            subject_id=DEMO_CUSTOMER_CASE_ID,
            noun="case",
            title="case",
            standing=customer_standing,
        )

        console.rule("4. Follow-ups: scheduled, satisfied, cancelled, and due as the clock moves")
        for subject, title in ((DEMO_PLAN_ID, "MSP"), (DEMO_CASE_ID, "case")):
            print_follow_ups(follow_ups.follow_ups_of(subject), f"Follow-ups of the {title}")
        console.print(
            "Follow-ups fall due only when a tick passes their due time: the demo ticks before "
            "each step as its clock moves; `recoverycore tick --now TIME` does it by hand."
        )
    finally:
        runner.stop()


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
def roles(fmt: FormatOption = Format.text) -> None:
    """The role table: who may record each command, at which APS level, which need a second
    person (four-eyes), and which the library's own policies record (SYSTEM)."""
    rows = role_rows(DECIDERS.values())
    if fmt is Format.json:
        sys.stdout.write(orjson.dumps([r.model_dump(mode="json") for r in rows]).decode() + "\n")
        return
    print_roles(rows)


@app.command()
def tick(
    now: Annotated[
        datetime,
        typer.Option(
            "--now",
            help="The time to tick to, with its offset (e.g. 2026-08-31T09:00:00+10:00). The "
            "domain never reads a clock: follow-ups fall due (and plans past their end date "
            "expire) only when a tick passes them, here or in `follow follow-ups --tick`.",
        ),
    ],
    db: DbOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Process new plan and case events into follow-ups, then make due those past ``--now``;
    a plan whose end date has come is expired (``MspExpired``, recorded by the policy)."""
    if now.tzinfo is None:
        err.print("[red]--now needs a UTC offset[/], e.g. 2026-08-31T09:00:00+10:00.")
        raise typer.Exit(code=2)
    env = resolve_store_env(db)
    with RecoveryApp(env=env) as recovery, FollowUpPolicy(env=env) as policy:
        policy.follow_application(recovery)
        policy.catch_up()
        due = policy.tick(now)
        expired = policy.expired
    recorded: list[DomainEvent] = [*due, *expired]
    rows = [e.model_dump(mode="json") | {"event_type": e.event_type} for e in recorded]
    if fmt is Format.json:
        sys.stdout.write(orjson.dumps(rows).decode() + "\n")
        return
    console.print(f"{len(due)} follow-up(s) fell due by {now.isoformat()}.")
    for event in due:
        console.print(f"  {event.follow_up_id}  due {event.payload().get('due_at')}")
    if expired:
        console.print(f"{len(expired)} plan(s) expired on reaching their end date.")
    for plan in expired:
        console.print(f"  {plan.originator_id}  expired on {plan.expired_on.isoformat()}")


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
    tick: Annotated[
        bool,
        typer.Option(
            "--tick",
            help="follow-ups only: after each poll, tick to the system clock (follow-ups fall "
            "due and plans past their end date expire without `recoverycore tick`).",
        ),
    ] = False,
) -> None:
    """Run one policy (or RecoveryApp's side of the safeguard loop) in this process, following
    its upstream's notification log until stopped (Ctrl-C or SIGTERM).

    On PostgreSQL, run `follow follow-ups`, `follow safeguards` and `follow recovery` as three
    processes; each resumes exactly where it left off after a restart.
    """
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        clock = SystemClock() if tick else None
        follow(which.value, resolve_store_env(db), poll_seconds=poll, stop=stop, clock=clock)
    except KeyboardInterrupt:
        stop.set()
