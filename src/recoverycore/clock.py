"""Deprecated: moved to :mod:`recoverycore.application.clock`.

This import path works for one more release.
"""

import warnings

from recoverycore.application.clock import *  # noqa: F403
from recoverycore.application.clock import __all__ as __all__

warnings.warn(
    "recoverycore.clock is deprecated; import from recoverycore.application.clock",
    DeprecationWarning,
    stacklevel=2,
)
