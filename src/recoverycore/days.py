"""Calendar-day and business-day arithmetic: pure, with the holidays passed in.

This module never reads a clock and never looks holidays up: the application layer builds the
holiday set (see :mod:`recoverycore.application.holidays`, which uses the ``holidays`` library) and
hands it to a :class:`BusinessCalendar` or to :func:`add_days`. A calendar therefore knows only
the holidays it was given; dates outside the years it was built for count as if they had none.

Conventions (the same for every function here):

* A **business day** is a day whose weekday is not in ``weekend`` (Saturday and Sunday by
  default) and that is not in ``holidays``.
* Adding ``n`` **calendar days** is plain date arithmetic: ``start + timedelta(days=n)``,
  whatever the weekday or holidays.
* Adding ``n >= 1`` **business days** gives the ``n``-th business day strictly after
  ``start``; ``start`` itself never counts, whether or not it is a business day. So one
  business day after a Thursday before Good Friday is the Tuesday after Easter Monday, and one
  business day after a Saturday is the following Monday (when that is not a holiday).
* Adding **0 days** of either unit returns ``start`` unchanged, even when ``start`` is a
  weekend or a holiday: nothing is added, so nothing is rolled forward.
* ``business_days_between(a, b)`` counts the business days ``d`` with ``a < d <= b`` (and is
  the negative of ``business_days_between(b, a)`` when ``b < a``), so that
  ``business_days_between(d, add(d, n business days)) == n`` for every ``d`` and ``n``.

With these conventions adding is associative: adding ``n`` then ``m`` days of a unit equals
adding ``n + m`` days of that unit, because the result of adding ``n >= 1`` business days is
itself a business day and the count always starts after the date it is given.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from recoverycore.events.cmr import DayCount

__all__ = ["SATURDAY_SUNDAY", "BusinessCalendar", "DayCount", "add_days", "add_months"]

SATURDAY_SUNDAY: frozenset[int] = frozenset({5, 6})
"""The default weekend, as :meth:`datetime.date.weekday` numbers (Monday is 0)."""

_ONE_DAY = timedelta(days=1)


class BusinessCalendar(BaseModel):
    """Which days are business days: every day except the ``weekend`` weekdays and the
    ``holidays``.

    ``holidays`` are the dates the application built (for Australia, from
    :func:`recoverycore.application.holidays.business_calendar`); ``weekend`` holds
    :meth:`~datetime.date.weekday` numbers (Monday 0 ... Sunday 6) and may not be every day of
    the week. See the module docstring for the conventions of :meth:`add` and
    :meth:`business_days_between`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    holidays: frozenset[date] = frozenset()
    weekend: frozenset[Annotated[int, Field(ge=0, le=6)]] = SATURDAY_SUNDAY

    @field_validator("weekend")
    @classmethod
    def _some_weekday_is_worked(cls, weekend: frozenset[int]) -> frozenset[int]:
        if len(weekend) >= 7:
            raise ValueError("a weekend of every day leaves no business days")
        return weekend

    def is_business_day(self, day: date) -> bool:
        """Whether ``day`` is neither a weekend day nor a holiday."""
        return _is_business_day(day, self.holidays, self.weekend)

    def add(self, start: date, period: DayCount) -> date:
        """``start`` plus ``period``: plain date arithmetic for calendar days; for business
        days the ``period.days``-th business day after ``start`` (``start`` itself when the
        period is 0)."""
        return _add(start, period, self.holidays, self.weekend)

    def add_datetime(self, start: datetime, period: DayCount) -> datetime:
        """:meth:`add` on the date of ``start``, keeping its time of day, ``tzinfo`` and
        ``fold``.

        The arithmetic is on the wall clock of ``start``'s own time zone, so 9 am stays 9 am
        across a daylight-saving change (the UTC offset of a ``zoneinfo`` time zone follows
        the new date). Convert ``start`` to the customer's time zone first if the days should
        be counted there.
        """
        day = self.add(start.date(), period)
        return start.replace(year=day.year, month=day.month, day=day.day)

    def business_days_between(self, a: date, b: date) -> int:
        """The number of business days ``d`` with ``a < d <= b``; negative when ``b < a``
        (``-business_days_between(b, a)``), and 0 when ``a == b``."""
        if b < a:
            return -self.business_days_between(b, a)
        count, day = 0, a
        while day < b:
            day += _ONE_DAY
            if self.is_business_day(day):
                count += 1
        return count


def add_days(start: date, period: DayCount, holidays: Iterable[date] = ()) -> date:
    """``start`` plus ``period``: calendar days, or business days skipping Saturdays, Sundays
    and ``holidays`` (the conventions of :class:`BusinessCalendar`, with the default weekend).
    """
    return _add(start, period, frozenset(holidays), SATURDAY_SUNDAY)


def _is_business_day(day: date, holidays: frozenset[date], weekend: frozenset[int]) -> bool:
    return day.weekday() not in weekend and day not in holidays


def _add(start: date, period: DayCount, holidays: frozenset[date], weekend: frozenset[int]) -> date:
    if period.unit == "CALENDAR":
        return start + timedelta(days=period.days)
    day, left = start, period.days
    while left:
        day += _ONE_DAY
        if _is_business_day(day, holidays, weekend):
            left -= 1
    return day


def add_months(start: date, months: int) -> date:
    """The same day ``months`` calendar months later; the month's last day when it is shorter
    (31 January + 1 month = 28 or 29 February)."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - _ONE_DAY).day
    return date(year, month, min(start.day, last))
