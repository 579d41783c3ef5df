"""Deprecated: moved to :mod:`recoverycore.application.holidays`.

This import path works for one more release.
"""

import warnings

from recoverycore.application.holidays import *  # noqa: F403
from recoverycore.application.holidays import __all__ as __all__

warnings.warn(
    "recoverycore.holiday_calendar is deprecated; import from recoverycore.application.holidays",
    DeprecationWarning,
    stacklevel=2,
)
