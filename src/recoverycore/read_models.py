"""Deprecated: moved to :mod:`recoverycore.application.read_models`.

This import path works for one more release.
"""

import warnings

from recoverycore.application.read_models import *  # noqa: F403
from recoverycore.application.read_models import __all__ as __all__

warnings.warn(
    "recoverycore.read_models is deprecated; import from recoverycore.application.read_models",
    DeprecationWarning,
    stacklevel=2,
)
