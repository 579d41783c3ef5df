"""Australian public holidays from the ``holidays`` library, for the pure calendars.

Application layer: this is the only module that imports ``holidays``. It builds a
``frozenset`` of dates once, and the pure code (:mod:`recoverycore.days`, the aggregates'
``ContactCalendar``) only ever sees that set.

**National** holidays are, for each year, the union of

1. the library's country-level set (``holidays.country_holidays("AU")`` with no subdivision):
   New Year's Day, Australia Day, Good Friday, Easter Monday, ANZAC Day, Christmas Day and
   Boxing Day on their nominal dates, plus nation-wide one-off days (the 2022 National Day of
   Mourning). The library adds **no** substitute ("observed") days at this level: Australia
   Day on Sunday 26 January 2025 is there, Monday 27 January 2025 is not; and
2. the days that are a public holiday in **every** state and territory (ACT, NSW, NT, QLD, SA,
   TAS, VIC, WA; the library's "NSW Western" is a school-calendar variant of NSW and adds no
   public holiday). This brings in the substitute weekdays that all of them observe, e.g.
   Monday 27 January 2025 (Australia Day), Monday 28 December 2026 (Boxing Day), Monday 27 and
   Tuesday 28 December 2027 (Christmas and Boxing Day) and Monday 3 January 2028 (New Year's
   Day), and Easter Sunday in the years every state keeps it.

A holiday that only some states keep (Easter Saturday, the King's Birthday, which WA and QLD
hold on other dates, ANZAC Day's Monday substitute in 2026, Labour Day, Melbourne Cup Day, ...)
is not national: name the states to include it. Keeping the nominal dates of part 1 even where
every state moved the holiday to a Monday errs towards a holiday, which is the safe side for
the contact rule "no contact on national public holidays" (X-R6) and changes no business day,
since the nominal date is then a weekend.

**State** holidays, when ``states`` are given, are each named state's or territory's public
holidays (``holidays.country_holidays("AU", subdiv=state)``, with its own substitute days),
added to the national ones; with ``include_bank_holidays=True`` also their bank holidays (the
NSW and ACT Bank Holiday on the first Monday of August), which are not public holidays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import lru_cache

import holidays
from holidays.constants import BANK, PUBLIC
from holidays.countries.australia import Australia

from recoverycore.days import SATURDAY_SUNDAY, BusinessCalendar

__all__ = [
    "AUSTRALIAN_STATES",
    "HOLIDAY_STATES",
    "australian_holidays",
    "business_calendar",
    "holidays_for",
    "national_holidays",
    "national_public_holidays",
    "state_holidays",
    "state_holidays_for",
]

AUSTRALIAN_STATES: tuple[str, ...] = ("ACT", "NSW", "NT", "QLD", "SA", "TAS", "VIC", "WA")
"""The states and territories whose common public holidays make the national ones."""


def australian_holidays(
    years: Iterable[int], *, states: Iterable[str] = (), include_bank_holidays: bool = False
) -> frozenset[date]:
    """The national public holidays in ``years`` and, for each of ``states``, that state's
    or territory's public holidays (and bank holidays with ``include_bank_holidays``).

    ``states`` are the library's subdivision codes (``"NSW"``, ``"VIC"``, ..., in any case) or
    full names (``"Victoria"``); an unknown one raises :class:`ValueError`. See the module
    docstring for what counts as national.
    """
    codes = tuple(_subdivision(state) for state in states)
    found: set[date] = set()
    for year in years:
        found |= national_holidays(year)
        for code in codes:
            found |= state_holidays(code, year, include_bank_holidays=include_bank_holidays)
    return frozenset(found)


def business_calendar(
    years: Iterable[int], *, states: Iterable[str] = (), include_bank_holidays: bool = False
) -> BusinessCalendar:
    """A :class:`~recoverycore.days.BusinessCalendar` with Saturday and Sunday as the weekend
    and :func:`australian_holidays` of ``years`` (and ``states``) as its holidays."""
    return BusinessCalendar(
        holidays=australian_holidays(
            years, states=states, include_bank_holidays=include_bank_holidays
        ),
        weekend=SATURDAY_SUNDAY,
    )


@lru_cache(maxsize=64)
def national_holidays(year: int) -> frozenset[date]:
    """Australia's national public holidays in ``year``: the library's country-level days
    together with the days every state and territory keeps (see the module docstring)."""
    country = frozenset(holidays.country_holidays("AU", years=year).keys())
    everywhere = frozenset.intersection(*(state_holidays(code, year) for code in AUSTRALIAN_STATES))
    return country | everywhere


@lru_cache(maxsize=256)
def state_holidays(
    state: str, year: int, *, include_bank_holidays: bool = False
) -> frozenset[date]:
    """One state's or territory's public holidays in ``year`` (with its bank holidays when
    ``include_bank_holidays``), as the library lists them for that subdivision."""
    categories = (PUBLIC, BANK) if include_bank_holidays else (PUBLIC,)
    return frozenset(
        holidays.country_holidays(
            "AU", subdiv=_subdivision(state), years=year, categories=categories
        ).keys()
    )


def _subdivision(state: str) -> str:
    code = _SUBDIVISIONS.get(state.strip().casefold())
    if code is None:
        known = ", ".join(Australia.subdivisions)
        raise ValueError(f"unknown Australian state or territory {state!r} (known: {known})")
    return code


_SUBDIVISIONS: dict[str, str] = {
    **{alias.casefold(): code for alias, code in Australia.subdivisions_aliases.items()},
    **{code.casefold(): code for code in Australia.subdivisions},
}


def national_public_holidays(years: range) -> frozenset[date]:
    """Australia's national public holidays in ``years``, with the substitute days every state
    observes (:func:`australian_holidays` with no states)."""
    return australian_holidays(years)


HOLIDAY_STATES = "RECOVERYCORE_HOLIDAY_STATES"
"""Environment variable: states whose public holidays count too (e.g. ``NSW,VIC``); by default
only national public holidays block contact and are skipped in business days."""


def state_holidays_for(years: range, state: str) -> frozenset[date]:
    """The public holidays of one state or territory (with its own substitute days) in
    ``years``: the customer's, when their record says where they live (X-R6)."""
    found: set[date] = set()
    for year in years:
        found |= state_holidays(_subdivision(state), year)
    return frozenset(found)


def holidays_for(env: Mapping[str, str]) -> Callable[[range], frozenset[date]]:
    """The public-holiday function an application uses, from ``RECOVERYCORE_HOLIDAY_STATES``."""
    states = tuple(s.strip() for s in (env.get(HOLIDAY_STATES) or "").split(",") if s.strip())
    if not states:
        return national_public_holidays
    return lambda years: australian_holidays(years, states=states)
