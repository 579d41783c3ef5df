"""The ``recoverycore`` command line: a thin shell over the public API.

:mod:`~recoverycore.cli._app` holds the Typer app and the options the commands share;
:mod:`~recoverycore.cli.record`, :mod:`~recoverycore.cli.views` and :mod:`~recoverycore.cli.audit`
its commands (in the order ``--help`` lists them); :mod:`~recoverycore.cli._tables` the rich tables
they print; :mod:`~recoverycore.cli.demo` the scenario ``recoverycore demo`` records.
"""

# Each module registers its commands on import; this order is the order ``--help`` lists them.
# isort: off
from recoverycore.cli import record  # noqa: F401
from recoverycore.cli import views  # noqa: F401
from recoverycore.cli import audit  # noqa: F401

# isort: on
import sqlite3
import sys

from eventsourcing.persistence import PersistenceError
from rich.console import Console
from rich.markup import escape

from recoverycore import RecoveryCoreError, StoreNotFound
from recoverycore.cli._app import app

__all__ = ["app", "main"]


def main() -> None:
    """Run the command line. A typed error the library raises on purpose (a key store that is
    missing, a store that is busy, an unreadable event ...) is printed as its message, without
    a traceback, and exits 1 (2 for a store that does not exist)."""
    try:
        app()
    except StoreNotFound as missing:
        Console(stderr=True).print(f"[red]Error:[/] {escape(str(missing))}")
        sys.exit(2)
    except RecoveryCoreError as error:
        Console(stderr=True).print(f"[red]Error ({type(error).__name__}):[/] {escape(str(error))}")
        sys.exit(1)
    except (OSError, sqlite3.Error, PersistenceError) as error:
        # A file that is not a database, a folder given as the store, a report written where
        # there is no folder: the store or the machine, said plainly.
        Console(stderr=True).print(
            f"[red]Error ({type(error).__name__}):[/] {escape(str(error))}. Nothing was "
            "recorded. Check the path given (--db, -o) and run `recoverycore verify` on the store."
        )
        sys.exit(1)
