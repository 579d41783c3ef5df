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
from recoverycore.cli._app import app

__all__ = ["app", "main"]


def main() -> None:
    app()
