"""The views (read models): ``project``, ``rebuild``, ``workload``, ``audit``, ``compliance`` and
``schema``."""

from __future__ import annotations

import signal
import sys
import threading
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

import orjson
import typer

from recoverycore import AggregateNotFound, AuditReport, ReadModels
from recoverycore.application import follow_views, resolve_store_env
from recoverycore.cli._app import (
    AsOfOption,
    DbOption,
    Format,
    FormatOption,
    _aware,
    _up_to_date,
    _write_json,
    app,
)
from recoverycore.cli._tables import (
    _progress_bars,
    console,
    err,
    print_compliance,
    print_timeline,
    print_workload,
)
from recoverycore.projections import (
    CUSTOMER,
    VIEWS,
    Compliance,
    RebuildSuperseded,
    Timeline,
    ViewRecorder,
    Workload,
)


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
            _print_problems(models.view(name))


@app.command()
def rebuild(
    views: Annotated[
        list[ViewName] | None, typer.Argument(help="Views to rebuild (default: all).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Build views again from the first recorded event, beside the live ones, and switch to
    each in one transaction: readers and a running ``project --follow`` keep the old view until
    then. Only reads the logs: no policy reacts to a rebuild."""
    names = _view_names(views)
    models = ReadModels(resolve_store_env(db), names=names)
    done: dict[str, str] = {}
    with models:
        with _progress_bars(models, "rebuilding") as bars:
            for name in models.names:
                try:
                    result = models.rebuild([name], progress=bars)[name]
                except RebuildSuperseded as superseded:
                    done[name] = str(superseded)
                    continue
                generation = models.view(name).generation()
                done[name] = f"rebuilt from {result.total} event(s), now generation {generation}."
        for name, outcome in done.items():
            console.print(f"{name}: {outcome}")
            _print_problems(models.view(name))


def _print_problems(view: ViewRecorder) -> None:
    """The plans and cases a view stopped at (an event it could not read), if any."""
    for problem in view.problems():
        err.print(
            f"[yellow]{view.definition.name}: stopped at {problem['subject_id']} "
            f"(version {problem['version']}, {problem['log']} notification "
            f"{problem['position']}):[/] {problem['reason']}. Its later events are not in this "
            "view; the other records are. Run `recoverycore verify` on it."
        )


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
    if state.subject_type == CUSTOMER:
        console.print(
            f"As the record stood at version {state.version}"
            + (f" ({when.isoformat()})" if when else "")
            + ": flags in force: "
            + (", ".join(state.flags_in_force) or "none")
            + "; MSP restrictions: "
            + (", ".join(r.plan_id for r in getattr(state.state, "restrictions", ())) or "none")
            + "."
        )
        return
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
