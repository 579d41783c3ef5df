"""``python -m recoverycore.cli``: the same as the ``recoverycore`` command."""

from recoverycore.cli import main

main()
