"""Deprecated: the case test kit is public as :mod:`recoverycore.testing` (the builders,
given/when/then) and :mod:`recoverycore.testing.cmr`. This module re-exports it for one release."""

from recoverycore.testing.cmr import (
    CASE_EPOCH,
    CaseBuilder,
    CaseScenario,
    case_builder,
    case_staff,
    given_case,
)

__all__ = ["CASE_EPOCH", "CaseBuilder", "CaseScenario", "case_builder", "case_staff", "given_case"]

import warnings

warnings.warn(
    "recoverycore._case_testing is deprecated; import from recoverycore.testing",
    DeprecationWarning,
    stacklevel=2,
)
