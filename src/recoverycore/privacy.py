"""Deprecated: moved to :mod:`recoverycore.application.forget`.

This import path works for one more release.
"""

import warnings

from recoverycore.application.forget import *  # noqa: F403
from recoverycore.application.forget import __all__ as __all__

warnings.warn(
    "recoverycore.privacy is deprecated; import from recoverycore.application.forget",
    DeprecationWarning,
    stacklevel=2,
)
