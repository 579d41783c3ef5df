"""Deprecated: moved to :mod:`recoverycore.report.diagram`.

This import path works for one more release.
"""

import warnings

from recoverycore.report.diagram import *  # noqa: F403
from recoverycore.report.diagram import __all__ as __all__

warnings.warn(
    "recoverycore._diagram is deprecated; import from recoverycore.report.diagram",
    DeprecationWarning,
    stacklevel=2,
)
