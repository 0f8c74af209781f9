"""Time as the library sees it: UTC instants, local calendar dates in the library's zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass
class Clock:
    """The wall clock. Tests use FixedClock so due dates and snapshots do not drift."""

    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))

    def now(self) -> dt.datetime:
        """Aware UTC now."""
        return dt.datetime.now(dt.UTC)

    def utcnow(self) -> dt.datetime:
        """Naive UTC now, as the database stores it."""
        return self.now().replace(tzinfo=None)

    def local_now(self) -> dt.datetime:
        return self.now().astimezone(self.timezone)

    def today(self) -> dt.date:
        """Today's date where the library is (not where UTC is)."""
        return self.local_now().date()

    def to_local(self, stored: dt.datetime) -> dt.datetime:
        """A naive-UTC value from the database, in the library's local time."""
        return stored.replace(tzinfo=dt.UTC).astimezone(self.timezone)


@dataclass
class FixedClock(Clock):
    """A clock that stands still until moved: deterministic tests and snapshots."""

    instant: dt.datetime = dt.datetime(2026, 11, 21, 2, 0, tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self.instant

    def advance(self, **delta: float) -> None:
        self.instant += dt.timedelta(**delta)
