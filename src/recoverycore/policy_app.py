"""Deprecated: moved to :mod:`recoverycore.application.policies`.

This import path works for one more release.
"""

import warnings

from recoverycore.application.policies import *  # noqa: F403
from recoverycore.application.policies import __all__ as __all__

warnings.warn(
    "recoverycore.policy_app is deprecated; import from recoverycore.application.policies",
    DeprecationWarning,
    stacklevel=2,
)
