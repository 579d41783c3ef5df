"""The auditor's commands: ``report``, ``verify``, ``forget`` and ``backup``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from uuid import UUID

import orjson
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from recoverycore import AggregateNotFound, InvalidCommand, UnreadableEvent, forget, verify
from recoverycore.application import resolve_store_env
from recoverycore.application.backup import backup
from recoverycore.application.forget import ForgetIncomplete, KeyStoreMissing
from recoverycore.application.verify import StoreNotFound, head_document, heads_from
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
from recoverycore.cli._tables import console, err, print_verification


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
    follow-ups, pauses and flags (exit 1 if the record's hash chain does not verify, or the
    audit view's rows differ from the stored events)."""
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
        except UnreadableEvent as unreadable:
            err.print(f"[red]No report:[/] {escape(str(unreadable))}")
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
    for discrepancy in report.view_discrepancies:
        err.print(f"[red]The audit view is not to be trusted:[/] {escape(discrepancy.text)}.")
    if not report.verification.ok:
        kinds = ", ".join(sorted({finding.kind for finding in report.verification.findings}))
        err.print(f"[red]The record does not verify ({escape(kinds)}):[/] see the report.")
    if report.view_discrepancies or not report.verification.ok:
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
    head: Annotated[
        bool,
        typer.Option(
            "--head",
            help="Print the head of each log (events, last notification id, digest) as JSON, to "
            "keep somewhere the store's writers cannot change; check it later with --against.",
        ),
    ] = False,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="A head printed earlier by --head ('-' for stdin): each log must extend it "
            "(nothing before it altered, removed, inserted or reordered).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check that every stored event is the one recorded: recompute each aggregate's hash chain
    and each log's whole-log chain, check snapshots and the audit view against them, and report
    any event altered, removed, inserted or reordered and any damaged file (exit 1 if anything
    is, 2 if there is no store). Reads only: it writes and creates nothing."""
    env = resolve_store_env(db)
    heads = None
    if against is not None:
        try:
            text = sys.stdin.read() if str(against) == "-" else against.read_text(encoding="utf-8")
            heads = heads_from(orjson.loads(text))
        except (OSError, ValueError) as bad:
            err.print(f"[red]Cannot read the head {escape(str(against))}:[/] {escape(str(bad))}")
            raise typer.Exit(code=2) from None
    if (head or heads is not None) and subject_id is not None:
        err.print("[red]--head and --against are about whole logs:[/] give no id.")
        raise typer.Exit(code=2)
    try:
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

                result = verify(env, progress=progress, against=heads)
    except StoreNotFound as missing:
        err.print(f"[red]{escape(str(missing))}[/]")
        raise typer.Exit(code=2) from None
    if subject_id is not None and result.aggregates == 0:
        err.print(
            f"[red]Nothing is recorded on {subject_id}.[/] Check the id and the store (--db)."
        )
        raise typer.Exit(code=1)
    if head:
        sys.stdout.write(orjson.dumps(head_document(result), option=orjson.OPT_INDENT_2).decode())
        sys.stdout.write("\n")
        if not result.ok:
            print_verification(result, to=err)
    elif fmt is Format.json:
        _write_json(result)
    else:
        print_verification(result)
    if not result.ok:
        raise typer.Exit(code=1)


@app.command("forget")
def forget_command(
    crn: Annotated[str, typer.Argument(help="The customer's CRN.", show_default=False)],
    db: DbOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Erase a customer's personal data: destroy their key, so their name, CRN, phone numbers,
    addresses and the notes, reasons and document names written about them read as \\[erased]
    everywhere (histories, views, reports); histories still replay and verify. Any spelling of
    the CRN."""
    env = resolve_store_env(db)
    try:
        done = forget(env, crn)
    except (ValueError, ForgetIncomplete, KeyStoreMissing) as refused:
        err.print(f"[red]{escape(str(refused))}[/]")
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
    elif done.customer_record:
        console.print(
            f"No key to destroy for customer record {done.customer_record} (already forgotten)."
        )
    else:
        console.print("No customer is recorded under this CRN (or they were already forgotten).")


@app.command("backup")
def backup_command(
    dest: Annotated[
        Path, typer.Argument(help="The folder to copy the store into.", show_default=False)
    ],
    db: DbOption = None,
) -> None:
    """Copy the store while it is in use: its events, the policies' files, the views and the
    customers' key file, one consistent snapshot of each (SQLite's backup API), in an order
    that keeps them consistent with one another. A PostgreSQL store is backed up with
    pg_dump."""
    env = resolve_store_env(db)
    try:
        done = backup(env, dest)
    except InvalidCommand as refused:
        err.print(f"[red]{escape(str(refused))}[/]")
        raise typer.Exit(code=1) from None
    for path in done.files:
        console.print(f"copied {escape(str(path))}")
