"""The Typer app, the options the commands share, logging set-up, and opening the store."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import structlog
import typer

from recoverycore import ReadModels, RecoveryApp
from recoverycore.application import FollowUpPolicy, resolve_store_env
from recoverycore.cli._tables import _progress_bars, err

__all__ = ["AsOfOption", "DbOption", "Format", "FormatOption", "app"]

app = typer.Typer(
    help="Record and audit Managed Service Plans and case managed debt recovery.",
    no_args_is_help=True,
    add_completion=False,
)


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
