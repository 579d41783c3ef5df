"""Deprecated: moved to :mod:`recoverycore.cli.demo`.

This import path works for one more release.
"""

import warnings

from recoverycore.cli.demo import *  # noqa: F403
from recoverycore.cli.demo import (  # noqa: F401  (imported from here by bench/ and users' scripts)
    APPROVER,
    CASE_MANAGER,
    CUSTOMER,
    OMC,
    OMC_CARD,
    OPERATIONAL_LEADER,
    RECORDER,
    TEAM_LEADER,
)
from recoverycore.cli.demo import __all__ as __all__

warnings.warn(
    "recoverycore.demo is deprecated; import from recoverycore.cli.demo",
    DeprecationWarning,
    stacklevel=2,
)
