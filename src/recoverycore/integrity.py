"""Deprecated: moved to :mod:`recoverycore.application.verify`.

This import path works for one more release.
"""

import warnings

from recoverycore.application.verify import *  # noqa: F403
from recoverycore.application.verify import __all__ as __all__

warnings.warn(
    "recoverycore.integrity is deprecated; import from recoverycore.application.verify",
    DeprecationWarning,
    stacklevel=2,
)
