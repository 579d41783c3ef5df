"""Business-day arithmetic (issue 4): Hypothesis properties and a table of known dates.

The properties run on random calendars (any weekend short of the whole week, any holidays) and
on the real Australian national holidays of 2024-2030 from :mod:`recoverycore.application.holidays`;
the number of examples comes from the settings profile (``tests/conftest.py``).
"""

from __future__ import annotations

import ast
import inspect
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from recoverycore import days
from recoverycore.aggregates import cmr
from recoverycore.application import national_public_holidays
from recoverycore.application.holidays import (
    AUSTRALIAN_STATES,
    australian_holidays,
    business_calendar,
    national_holidays,
    state_holidays,
)
from recoverycore.days import BusinessCalendar, add_days, add_months
from recoverycore.events.cmr import DayCount

YEARS = range(2024, 2031)
AUSTRALIA = business_calendar(range(YEARS.start - 1, YEARS.stop + 1))
"""The national calendar, a year wider than the dates drawn so that no result runs past it."""

WINDOW = (date(2026, 1, 1), date(2026, 12, 31))
"""Random holidays and start dates share one year, so that holidays are often in the way."""

counts = st.integers(0, 60)
positive_counts = st.integers(1, 60)
units = st.sampled_from(["CALENDAR", "BUSINESS"])
window_dates = st.dates(*WINDOW)
australian_dates = st.dates(date(YEARS.start, 1, 1), date(YEARS.stop - 1, 12, 31))
calendars = st.builds(
    BusinessCalendar,
    holidays=st.frozensets(window_dates, max_size=60),
    weekend=st.frozensets(st.integers(0, 6), max_size=6),
)


def business(n: int) -> DayCount:
    return DayCount(days=n, unit="BUSINESS")


def calendar_days(n: int) -> DayCount:
    return DayCount(days=n, unit="CALENDAR")


# -- properties on any calendar ------------------------------------------------------------------
@given(calendars, window_dates, positive_counts)
def test_adding_business_days_lands_on_a_business_day_after_the_start(
    calendar: BusinessCalendar, start: date, n: int
) -> None:
    end = calendar.add(start, business(n))
    assert end > start
    assert end.weekday() not in calendar.weekend
    assert end not in calendar.holidays
    assert calendar.is_business_day(end)


@given(calendars, window_dates, counts, counts, units)
def test_adding_n_then_m_days_equals_adding_n_plus_m(
    calendar: BusinessCalendar, start: date, n: int, m: int, unit: str
) -> None:
    def period(k: int) -> DayCount:
        return DayCount(days=k, unit="BUSINESS" if unit == "BUSINESS" else "CALENDAR")

    assert calendar.add(calendar.add(start, period(n)), period(m)) == calendar.add(
        start, period(n + m)
    )


@given(calendars, window_dates, counts)
def test_the_business_days_between_a_start_and_n_business_days_later_are_n(
    calendar: BusinessCalendar, start: date, n: int
) -> None:
    end = calendar.add(start, business(n))
    assert calendar.business_days_between(start, end) == n
    assert calendar.business_days_between(end, start) == -n
    # ... and ``end`` is the first date with n business days: the day before has one fewer.
    if n:
        assert calendar.business_days_between(start, end - timedelta(days=1)) == n - 1


@given(calendars, window_dates, window_dates)
def test_business_days_between_counts_the_business_days_after_a_up_to_b(
    calendar: BusinessCalendar, a: date, b: date
) -> None:
    low, high = min(a, b), max(a, b)
    span = (low + timedelta(days=k) for k in range(1, (high - low).days + 1))
    expected = sum(
        1 for day in span if day.weekday() not in calendar.weekend and day not in calendar.holidays
    )
    assert calendar.business_days_between(low, high) == expected
    assert calendar.business_days_between(a, b) == (expected if a <= b else -expected)


@given(calendars, window_dates, counts)
def test_calendar_days_are_plain_date_arithmetic(
    calendar: BusinessCalendar, start: date, n: int
) -> None:
    assert calendar.add(start, calendar_days(n)) == start + timedelta(days=n)


@given(calendars, window_dates, units)
def test_adding_nothing_returns_the_start_even_on_a_weekend_or_holiday(
    calendar: BusinessCalendar, start: date, unit: str
) -> None:
    zero = DayCount(days=0, unit="BUSINESS" if unit == "BUSINESS" else "CALENDAR")
    assert calendar.add(start, zero) == start


@given(calendars, window_dates, counts)
def test_one_more_business_day_is_the_next_business_day(
    calendar: BusinessCalendar, start: date, n: int
) -> None:
    end = calendar.add(start, business(n))
    later = calendar.add(start, business(n + 1))
    between = (end + timedelta(days=k) for k in range(1, (later - end).days))
    assert later > end
    assert not any(calendar.is_business_day(day) for day in between)


@given(calendars, st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31)), counts, units)
def test_add_datetime_keeps_the_time_of_day_and_time_zone(
    calendar: BusinessCalendar, start: datetime, n: int, unit: str
) -> None:
    period = DayCount(days=n, unit="BUSINESS" if unit == "BUSINESS" else "CALENDAR")
    sydney = start.replace(tzinfo=ZoneInfo("Australia/Sydney"))
    for moment in (start, sydney):
        moved = calendar.add_datetime(moment, period)
        assert moved.date() == calendar.add(moment.date(), period)
        assert moved.timetz() == moment.timetz()
        assert moved.tzinfo is moment.tzinfo


@given(st.frozensets(window_dates, max_size=60), window_dates, counts, units)
def test_module_add_days_is_the_calendar_with_a_saturday_sunday_weekend(
    holiday_dates: frozenset[date], start: date, n: int, unit: str
) -> None:
    period = DayCount(days=n, unit="BUSINESS" if unit == "BUSINESS" else "CALENDAR")
    expected = BusinessCalendar(holidays=holiday_dates).add(start, period)
    assert add_days(start, period, holiday_dates) == expected
    assert add_days(start, period, sorted(holiday_dates)) == expected  # any iterable
    assert cmr.add_days(start, period, holiday_dates) == expected


# -- properties on the real Australian national holidays -----------------------------------------
@given(australian_dates, positive_counts)
def test_australian_business_days_never_land_on_a_weekend_or_national_holiday(
    start: date, n: int
) -> None:
    end = AUSTRALIA.add(start, business(n))
    assert end.weekday() < 5
    assert end not in national_holidays(end.year)
    assert AUSTRALIA.business_days_between(start, end) == n


@given(australian_dates, counts, counts, units)
def test_australian_business_days_add_up(start: date, n: int, m: int, unit: str) -> None:
    def period(k: int) -> DayCount:
        return DayCount(days=k, unit="BUSINESS" if unit == "BUSINESS" else "CALENDAR")

    assert AUSTRALIA.add(AUSTRALIA.add(start, period(n)), period(m)) == AUSTRALIA.add(
        start, period(n + m)
    )


@given(st.sampled_from(AUSTRALIAN_STATES), st.sampled_from(list(YEARS)))
def test_a_national_holiday_on_a_weekday_is_a_holiday_in_every_state(state: str, year: int) -> None:
    weekday_holidays = {day for day in national_holidays(year) if day.weekday() < 5}
    assert weekday_holidays <= state_holidays(state, year)


@given(st.lists(st.sampled_from(AUSTRALIAN_STATES), max_size=3), st.sampled_from(list(YEARS)))
def test_states_only_add_holidays(states: list[str], year: int) -> None:
    with_states = australian_holidays([year], states=states)
    assert national_holidays(year) <= with_states
    for state in states:
        assert state_holidays(state, year) <= with_states


# -- known dates ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "n", "expected", "why"),
    [
        (
            date(2026, 4, 2),
            1,
            date(2026, 4, 7),
            "Thursday before Good Friday -> Tuesday after Easter Monday",
        ),
        (date(2026, 4, 2), 0, date(2026, 4, 2), "nothing added"),
        (date(2026, 4, 3), 0, date(2026, 4, 3), "nothing added, even on Good Friday"),
        (date(2026, 4, 3), 1, date(2026, 4, 7), "from Good Friday itself"),
        (date(2026, 3, 27), 4, date(2026, 4, 2), "Friday to the Thursday before Easter"),
        (date(2026, 3, 27), 5, date(2026, 4, 7), "... and one more skips four days"),
        (
            date(2026, 12, 24),
            1,
            date(2026, 12, 29),
            "Christmas Fri, Boxing Day Sat observed Mon 28",
        ),
        (date(2027, 12, 24), 1, date(2027, 12, 29), "Christmas Sat and Boxing Day Sun -> Mon, Tue"),
        (date(2024, 12, 24), 1, date(2024, 12, 27), "Christmas Wed, Boxing Day Thu"),
        (date(2025, 1, 24), 1, date(2025, 1, 28), "Australia Day Sun 2025 observed Mon 27"),
        (date(2030, 1, 25), 1, date(2030, 1, 29), "Australia Day Sat 2030 observed Mon 28"),
        (date(2026, 1, 23), 1, date(2026, 1, 27), "Australia Day Mon 2026"),
        (date(2027, 12, 31), 1, date(2028, 1, 4), "New Year's Day Sat 2028 observed Mon 3"),
        (date(2026, 4, 24), 1, date(2026, 4, 27), "ANZAC Day Sat 2026: no national substitute"),
        (date(2026, 6, 5), 1, date(2026, 6, 8), "the King's Birthday is not national"),
        (date(2026, 11, 2), 1, date(2026, 11, 3), "Melbourne Cup Day is not national"),
        (date(2026, 4, 2), 15, date(2026, 4, 27), "15 business days over Easter"),
    ],
)
def test_known_australian_business_days(start: date, n: int, expected: date, why: str) -> None:
    assert AUSTRALIA.add(start, business(n)) == expected, why
    assert add_days(start, business(n), national_public_holidays(range(2024, 2031))) == expected


def test_known_calendar_days_ignore_holidays() -> None:
    assert AUSTRALIA.add(date(2026, 4, 2), calendar_days(15)) == date(2026, 4, 17)
    assert AUSTRALIA.add(date(2026, 12, 24), calendar_days(1)) == date(2026, 12, 25)


def test_known_business_days_between() -> None:
    assert AUSTRALIA.business_days_between(date(2026, 4, 2), date(2026, 4, 7)) == 1
    assert AUSTRALIA.business_days_between(date(2026, 4, 2), date(2026, 4, 6)) == 0
    assert AUSTRALIA.business_days_between(date(2026, 12, 21), date(2027, 1, 4)) == 7
    assert AUSTRALIA.business_days_between(date(2027, 1, 4), date(2026, 12, 21)) == -7


def test_add_datetime_keeps_the_wall_clock_across_daylight_saving() -> None:
    sydney = ZoneInfo("Australia/Sydney")
    # Daylight saving ends on Sunday 5 April 2026, inside the Easter weekend.
    before = datetime(2026, 4, 2, 9, 30, tzinfo=sydney)
    after = AUSTRALIA.add_datetime(before, business(1))
    assert after == datetime(2026, 4, 7, 9, 30, tzinfo=sydney)
    assert after.utcoffset() == timedelta(hours=10) != before.utcoffset()
    fixed = datetime(2026, 4, 2, 9, 30, tzinfo=timezone(timedelta(hours=11)))
    assert AUSTRALIA.add_datetime(fixed, business(1)).utcoffset() == timedelta(hours=11)


# -- national and state holidays -----------------------------------------------------------------
def test_the_library_adds_no_substitute_days_at_country_level_so_we_take_them_from_the_states() -> (
    None
):
    country = holidays.country_holidays("AU", years=2025)
    assert date(2025, 1, 26) in country
    assert date(2025, 1, 27) not in country
    assert date(2025, 1, 27) in national_holidays(2025)  # every state observes Monday 27
    assert date(2025, 1, 26) in national_holidays(2025)  # the nominal day is kept
    assert date(2026, 12, 28) in national_holidays(2026)  # Boxing Day (Sat) observed


def test_national_holidays_are_the_seven_national_days_and_shared_substitutes() -> None:
    assert national_holidays(2026) == {
        date(2026, 1, 1),  # New Year's Day
        date(2026, 1, 26),  # Australia Day
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 4, 25),  # ANZAC Day (Saturday)
        date(2026, 12, 25),  # Christmas Day
        date(2026, 12, 26),  # Boxing Day (Saturday)
        date(2026, 12, 28),  # Boxing Day observed in every state
    }
    assert national_public_holidays(range(2026, 2027)) == national_holidays(2026)
    assert australian_holidays(YEARS) == frozenset().union(*map(national_holidays, YEARS))


def test_melbourne_cup_day_is_a_holiday_only_with_victoria() -> None:
    cup_day = date(2026, 11, 3)
    assert cup_day not in australian_holidays([2026])
    assert cup_day not in australian_holidays([2026], states=["NSW"])
    assert cup_day in australian_holidays([2026], states=["VIC"])
    assert cup_day in australian_holidays([2026], states=["Victoria"])  # full names too
    victoria = business_calendar([2026], states=["vic"])  # any case
    assert victoria.add(date(2026, 11, 2), business(1)) == date(2026, 11, 4)
    assert business_calendar([2026]).add(date(2026, 11, 2), business(1)) == cup_day


def test_the_nsw_bank_holiday_counts_only_with_nsw_and_bank_holidays() -> None:
    bank_holiday = date(2026, 8, 3)  # first Monday of August
    assert bank_holiday not in australian_holidays([2026], states=["NSW"])
    assert bank_holiday not in australian_holidays(
        [2026], states=["VIC"], include_bank_holidays=True
    )
    assert bank_holiday in australian_holidays([2026], states=["NSW"], include_bank_holidays=True)


def test_state_substitute_days_come_with_the_state() -> None:
    anzac_monday = date(2026, 4, 27)  # NSW adds Monday for ANZAC Day on a Saturday in 2026
    assert anzac_monday not in australian_holidays([2026])
    assert anzac_monday in australian_holidays([2026], states=["NSW"])
    assert business_calendar([2026], states=["NSW"]).add(date(2026, 4, 24), business(1)) == date(
        2026, 4, 28
    )


def test_an_unknown_state_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown Australian state"):
        australian_holidays([2026], states=["XYZ"])


def test_a_calendar_needs_a_working_weekday_and_real_weekday_numbers() -> None:
    with pytest.raises(ValidationError):
        BusinessCalendar(weekend=frozenset(range(7)))
    with pytest.raises(ValidationError):
        BusinessCalendar(weekend=frozenset({7}))
    friday_saturday = BusinessCalendar(weekend=frozenset({4, 5}))
    assert friday_saturday.add(date(2026, 4, 2), business(1)) == date(2026, 4, 5)  # Sunday


def test_day_arithmetic_stays_pure() -> None:
    """No ``holidays``, clock, I/O or logging in the pure module: only these imports."""
    tree = ast.parse(inspect.getsource(days))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    allowed = {
        "__future__",
        "collections.abc",
        "datetime",
        "typing",
        "pydantic",
        "recoverycore.events.cmr",
    }
    assert imported <= allowed
    assert cmr.add_days is days.add_days


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    months=st.integers(0, 120),
)
def test_adding_months_keeps_the_day_or_clamps_to_the_months_last_day(
    start: date, months: int
) -> None:
    result = add_months(start, months)
    index = start.year * 12 + start.month - 1 + months
    assert (result.year, result.month) == (index // 12, index % 12 + 1)
    next_day = result + timedelta(days=1)
    assert result.day == start.day or (result.day < start.day and next_day.month != result.month)
