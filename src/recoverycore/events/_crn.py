"""The one spelling of a Customer Reference Number (CRN) used wherever a CRN is a key."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field

from recoverycore.events._envelope import PERSONAL, Identifier

__all__ = ["Crn", "normalise_crn"]

_DROPPED = frozenset({"Zs", "Zl", "Zp", "Pd", "Cf", "Cc"})
"""Separators, dashes, invisible format characters and control characters (tabs, newlines)."""


def normalise_crn(crn: str) -> str:
    """The canonical spelling of ``crn``: compatibility forms folded (NFKC: full-width digits
    become digits), spaces, dashes and invisible characters dropped, letters upper case.
    ``"123-456 789a"``, ``"123456789A"`` and ``"１２３４５６７８９Ａ"`` are one customer."""
    text = crn
    for _ in range(8):  # until nothing changes: folding, dropping and upper-casing interact
        folded = unicodedata.normalize("NFKC", text)
        kept = "".join(ch for ch in folded if unicodedata.category(ch) not in _DROPPED).upper()
        if kept == text:
            break
        text = kept
    return text


def _canonical(crn: str) -> str:
    hidden = next((ch for ch in crn if unicodedata.category(ch) in ("Cc", "Cf", "Cs")), None)
    if hidden is not None:
        # Refused, not dropped: a CRN typed with a control, bidirectional or invisible
        # character is a mistake or an attack, never a spelling (forget still finds any).
        raise ValueError(
            f"a CRN may not hold control, bidirectional or invisible characters "
            f"(U+{ord(hidden):04X})"
        )
    normal = normalise_crn(crn)
    if not normal:
        raise ValueError("a CRN needs letters or digits (spaces and dashes are dropped)")
    return normal


Crn = Annotated[Identifier, AfterValidator(_canonical), Field(json_schema_extra=PERSONAL)]
"""A CRN as a command gives it (an :data:`Identifier`: no control characters, bounded), stored
in its canonical spelling (:func:`normalise_crn`), so ``forget`` and every query by CRN find the
customer however the officer typed it."""
