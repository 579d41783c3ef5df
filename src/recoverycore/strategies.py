"""Deprecated: the Hypothesis strategies and state machines are in
:mod:`recoverycore.testing.strategies`. This module re-exports every public name for one release."""

import warnings

from recoverycore.testing.strategies import *  # noqa: F403
from recoverycore.testing.strategies import __all__ as __all__

warnings.warn(
    "recoverycore.strategies is deprecated; import from recoverycore.testing.strategies",
    DeprecationWarning,
    stacklevel=2,
)
