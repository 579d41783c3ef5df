"""Hostile values for commands: what an attacker, a broken client or a copy-paste would send.

Each strategy mixes ordinary values with the ones that have poisoned stores before: control
characters (NUL above all), lone surrogates, bidirectional overrides and isolates, invisible
characters, texts just over (and far over) their limits, times before local mean time ended or
past year 9999's neighbourhood, offsets in seconds, amounts that are negative, not numbers or
astronomically large, and integers past 64 bits. A property test feeds them into real commands
and checks that each is either refused with a typed error and nothing recorded, or recorded and
read back exactly (see ``tests/properties/test_adversarial_input.py``).

The limits they probe are those of :mod:`recoverycore.events` (``EARLIEST_TIME``,
``MAX_TEXT_CHARS``, ...): the strategies draw values on both sides of each limit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from recoverycore.events import (
    EARLIEST_DATE,
    EARLIEST_TIME,
    LATEST_DATE,
    LATEST_TIME,
    MAX_AMOUNT,
    MAX_IDENTIFIER_CHARS,
    MAX_INT,
    MAX_TEXT_CHARS,
)

__all__ = [
    "BIDI_CONTROLS",
    "CONTROL_CHARACTERS",
    "INVISIBLE_CHARACTERS",
    "adversarial_text",
    "exotic_clean_text",
    "extreme_dates",
    "extreme_datetimes",
    "extreme_decimals",
    "extreme_integers",
    "hostile_characters",
    "oversized_text",
]

CONTROL_CHARACTERS: tuple[str, ...] = (
    "\x00",
    "\x01",
    "\x07",
    "\x08",
    "\t",
    "\n",
    "\x0b",
    "\x0c",
    "\r",
    "\x1b",
    "\x1f",
    "\x7f",
    "\x80",
    "\x85",
    "\x9b",
    "\x9f",
)
"""C0 and C1 controls (tab, line feed and carriage return included: free text may hold them)."""
BIDI_CONTROLS: tuple[str, ...] = (
    "\u061c",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
)
"""Bidirectional marks, embeddings, overrides and isolates (Trojan Source)."""
INVISIBLE_CHARACTERS: tuple[str, ...] = (
    "\u00ad",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\U000e0041",
)
"""Soft hyphen, zero-width characters, word joiner, line and paragraph separators, BOM, a tag."""
_EXOTIC: tuple[str, ...] = (
    "é",
    "e\u0301",
    "ß",
    "שלום",
    "مرحبا",
    "中文",
    "😀",
    "👩\u200d👩\u200d👧",
    "\U0001f1e6\U0001f1fa",
    "\ufffd",
    "\ufffe",
    "\uffff",
    "\ue000",
    "  ",
    '"',
    "\\",
    "'; DROP TABLE stored_events; --",
    "<script>",
    "%s",
    "{}",
)
"""Characters and snippets that are legitimate in text but trip careless code (combining
marks, right-to-left scripts, emoji, noncharacters, quotes, SQL and format strings)."""


def hostile_characters() -> SearchStrategy[str]:
    """One character (or short snippet) an input check must think about: a control, a lone
    surrogate, a bidirectional or invisible character, or an exotic but legitimate one."""
    return st.one_of(
        st.sampled_from(CONTROL_CHARACTERS),
        st.characters(categories=["Cs"]),
        st.sampled_from(BIDI_CONTROLS),
        st.sampled_from(INVISIBLE_CHARACTERS),
        st.sampled_from(_EXOTIC),
        st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Co"]),
    )


def adversarial_text(min_size: int = 1, max_size: int = 12) -> SearchStrategy[str]:
    """Text of ordinary letters with hostile characters mixed in (``min_size`` to ``max_size``
    pieces): often refused, sometimes legitimate."""
    piece = st.one_of(st.sampled_from(("a", "Z", "0", " ", "-", "CRN")), hostile_characters())
    return st.lists(piece, min_size=min_size, max_size=max_size).map("".join)


def exotic_clean_text(min_size: int = 1, max_size: int = 12) -> SearchStrategy[str]:
    """Text every free-text field must accept and give back exactly: letters, right-to-left
    scripts, combining marks, emoji, quotes, tabs and line breaks; no control character (but
    tab and line breaks) and no surrogate. Never blank."""
    piece = st.one_of(
        st.sampled_from(("a", "Z", "0", "-", "\t", "\n", "\r\n", *_EXOTIC)),
        st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp"]),
    )
    return (
        st.lists(piece, min_size=min_size, max_size=max_size)
        .map(lambda parts: "x" + "".join(parts))
        .filter(lambda text: len(text) <= MAX_TEXT_CHARS)
    )


def oversized_text(*, identifier: bool = False) -> SearchStrategy[str]:
    """Text at, just over, or far over the limit of a free text (``identifier=False``) or of an
    identifier: the limit itself must be accepted, anything over refused."""
    limit = MAX_IDENTIFIER_CHARS if identifier else MAX_TEXT_CHARS
    sizes = st.sampled_from((limit, limit + 1, 2 * limit, 10_000_000))
    return st.tuples(sizes, st.sampled_from(("x", "é", "😀"))).map(lambda p: p[1] * p[0])


_ODD_OFFSETS: tuple[timezone, ...] = (
    timezone(timedelta(hours=10, minutes=4, seconds=52)),
    timezone(timedelta(seconds=30)),
    timezone(timedelta(hours=-23, minutes=-59, seconds=-59, microseconds=-1)),
    timezone(timedelta(hours=23, minutes=59)),
    timezone(timedelta(hours=5, minutes=45)),
    timezone(timedelta(microseconds=1)),
)
_ZONES = (
    ZoneInfo("Australia/Sydney"),
    ZoneInfo("Australia/Lord_Howe"),
    ZoneInfo("Africa/Monrovia"),
    ZoneInfo("Pacific/Kiritimati"),
    UTC,
)


def extreme_datetimes() -> SearchStrategy[datetime]:
    """Aware times from year 1 to 9999, in zones with local mean time and half-hour or odd
    offsets, with offsets in seconds, and on both sides of the plausible range's edges."""
    edges = (
        EARLIEST_TIME,
        EARLIEST_TIME - timedelta(microseconds=1),
        LATEST_TIME,
        LATEST_TIME - timedelta(microseconds=1),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1895, 2, 1, tzinfo=ZoneInfo("Australia/Sydney")),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    )
    return st.one_of(
        st.sampled_from(edges),
        st.datetimes(timezones=st.sampled_from((*_ZONES, *_ODD_OFFSETS))),
        st.datetimes(
            min_value=datetime(1985, 1, 1),
            max_value=datetime(2205, 1, 1),
            timezones=st.sampled_from(_ZONES),
        ),
    )


def extreme_dates() -> SearchStrategy[date]:
    """Dates from year 1 to 9999, on both sides of the plausible range's edges, and from now
    on (which rules about the future accept)."""
    edges = (
        date.min,
        date.max,
        EARLIEST_DATE,
        EARLIEST_DATE - timedelta(days=1),
        LATEST_DATE,
        LATEST_DATE + timedelta(days=1),
    )
    near = st.dates(EARLIEST_DATE - timedelta(days=366), LATEST_DATE + timedelta(days=366))
    return st.one_of(st.sampled_from(edges), st.dates(), near, st.dates(date(2026, 1, 1)))


def extreme_decimals() -> SearchStrategy[Decimal]:
    """Amounts: negative, zero (and -0), not a number, infinite, astronomically large or small,
    with many decimal places, and ordinary ones."""
    special = (
        Decimal("-0"),
        Decimal("-0.01"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        Decimal("1E+999999"),
        Decimal("1E-999999"),
        MAX_AMOUNT,
        MAX_AMOUNT + 1,
        Decimal("0.00001"),
        Decimal(2**64),
    )
    return st.one_of(
        st.sampled_from(special),
        st.decimals(allow_nan=False, allow_infinity=False),
        st.decimals(min_value=-1000, max_value=10**6, places=2),
    )


def extreme_integers() -> SearchStrategy[int]:
    """Integers around the 64-bit limits the stores keep, and far beyond."""
    return st.one_of(
        st.sampled_from((0, -1, MAX_INT, MAX_INT + 1, -MAX_INT - 2, 2**64, 10**100)),
        st.integers(),
    )
