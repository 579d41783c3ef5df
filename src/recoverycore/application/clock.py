"""Clocks the application can be given. The domain never reads a clock; the application does."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from recoverycore.events.vocabulary import PROCEDURE_TIME_ZONE

__all__ = ["DEFAULT_TIME_ZONE", "Clock", "SimulatedClock", "SystemClock"]

DEFAULT_TIME_ZONE = PROCEDURE_TIME_ZONE
"""Times are recorded in an Australian local time zone (configurable per application)."""


class Clock(Protocol):
    def __call__(self) -> datetime:
        """The current time, timezone-aware."""


class SystemClock:
    """The machine's clock, in the given time zone."""

    def __init__(self, time_zone: str = DEFAULT_TIME_ZONE) -> None:
        self.zone = ZoneInfo(time_zone)

    def __call__(self) -> datetime:
        return datetime.now(self.zone)


class SimulatedClock:
    """A clock that moves only when told to: for examples, tests and replays of a scenario."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("SimulatedClock needs a timezone-aware start time")
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**kwargs)``; returns the new time."""
        step = delta if delta is not None else timedelta(**kwargs)
        if step < timedelta(0):
            raise ValueError("a clock does not go backwards")
        self.now = self.now + step
        return self.now

    def set(self, when: datetime) -> datetime:
        if when < self.now:
            raise ValueError("a clock does not go backwards")
        self.now = when
        return self.now
