"""The one spelling of a Customer Reference Number (CRN) used wherever a CRN is a key."""

from __future__ import annotations

import re
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


_CRN_FORM = re.compile("[0-9]{9}[A-Z]")
"""A CRN's canonical form: nine digits and a letter (``311204557J``)."""
_CRN_CHARACTER = re.compile("[0-9A-Za-z]")


def _canonical(crn: str) -> str:
    for ch in crn:
        if unicodedata.category(ch) in ("Zs", "Pd"):
            continue  # spaces and dashes officers type between the groups
        if not _CRN_CHARACTER.fullmatch(unicodedata.normalize("NFKC", ch)):
            # Refused, not dropped or kept: a control, bidirectional, invisible or combining
            # character, or a letter or digit of another script (Cyrillic К, Arabic-Indic
            # digits), would make one customer two (forget still finds any spelling).
            raise ValueError(
                f"a CRN is nine digits and a letter (such as 311 204 557J), written with "
                f"spaces or dashes at most; U+{ord(ch):04X} is not one of those"
            )
    normal = normalise_crn(crn)
    if not _CRN_FORM.fullmatch(normal):
        raise ValueError(
            "a CRN is nine digits and a letter (such as 311 204 557J); "
            f"this one has {len(normal)} characters in another order"
        )
    return normal


Crn = Annotated[Identifier, AfterValidator(_canonical), Field(json_schema_extra=PERSONAL)]
"""A CRN as a command gives it (an :data:`Identifier`: no control characters, bounded), stored
in its canonical spelling (:func:`normalise_crn`), so ``forget`` and every query by CRN find the
customer however the officer typed it."""
