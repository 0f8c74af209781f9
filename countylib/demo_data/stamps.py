"""Time and keys for generated rows: every timestamp and every UUID comes from the seed.

Rows are written straight to SQLite, so values are produced in the exact text form the
models store: naive UTC ``YYYY-MM-DD HH:MM:SS`` for datetimes, ``YYYY-MM-DD`` for local
dates. All generated times fall between 08:00 and 23:59 Beijing time, which is the same
UTC calendar day (Asia/Shanghai is UTC+8 without daylight saving since 1991), so a local
day and its UTC stamps share one date string.
"""

from __future__ import annotations

import datetime as dt
import random

LOCAL_OFFSET = 8 * 3600  # Asia/Shanghai
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_MASK62 = (1 << 62) - 1


class Minter:
    """UUIDv7 keys (as models/ids.py makes them) whose millisecond field is the row's own
    time and whose counter and random bits come from a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self._bits = rng.getrandbits

    def value(self, ms: int) -> int:
        r = self._bits(74)
        return (ms << 80) | (0x7 << 76) | ((r >> 62) << 64) | (0b10 << 62) | (r & _MASK62)

    def __call__(self, ms: int) -> str:
        return as_text(self.value(ms))


def as_text(value: int) -> str:
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class KeyColumn:
    """Many keys held as 16 bytes each instead of Python strings (1M items, 5M loans)."""

    def __init__(self) -> None:
        self._blob = bytearray()

    def append(self, value: int) -> str:
        self._blob += value.to_bytes(16, "big")
        return as_text(value)

    def __getitem__(self, index: int) -> str:
        h = self._blob[index * 16 : index * 16 + 16].hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def __len__(self) -> int:
        return len(self._blob) // 16


class Timeline:
    """Days as ordinals; local times as seconds after local midnight."""

    def __init__(self, today: dt.date, history_days: int = 730) -> None:
        self.today = today.toordinal()
        self.first = self.today - history_days  # the first day of the loan history
        self._iso: dict[int, str] = {}

    def iso(self, ordinal: int) -> str:
        text = self._iso.get(ordinal)
        if text is None:
            text = self._iso[ordinal] = dt.date.fromordinal(ordinal).isoformat()
        return text

    def stamp(self, ordinal: int, local_seconds: int) -> tuple[str, int]:
        """The stored UTC text and the Unix milliseconds of a local day and time of day."""
        utc = local_seconds - LOCAL_OFFSET
        if not 0 <= utc < 86400:
            raise ValueError(f"local time {local_seconds} s is outside 08:00-24:00")
        h, rest = divmod(utc, 3600)
        m, s = divmod(rest, 60)
        return f"{self.iso(ordinal)} {h:02d}:{m:02d}:{s:02d}", ((ordinal - EPOCH_ORDINAL) * 86400 + utc) * 1000

    def weekday(self, ordinal: int) -> int:
        return (ordinal - 1) % 7  # 0 = Monday, as date.weekday()


def hm(hours: int, minutes: int = 0) -> int:
    return hours * 3600 + minutes * 60


# -- closed days ---------------------------------------------------------------------------

# Lunar holidays move every year: the Gregorian dates of 春节 (first day), 端午 and 中秋.
_SPRING_FESTIVAL = {
    2016: (2, 8), 2017: (1, 28), 2018: (2, 16), 2019: (2, 5), 2020: (1, 25), 2021: (2, 12), 2022: (2, 1),
    2023: (1, 22), 2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13),
    2030: (2, 3), 2031: (1, 23), 2032: (2, 11), 2033: (1, 31), 2034: (2, 19), 2035: (2, 8),
}
_DRAGON_BOAT = {
    2016: (6, 9), 2017: (5, 30), 2018: (6, 18), 2019: (6, 7), 2020: (6, 25), 2021: (6, 14), 2022: (6, 3),
    2023: (6, 22), 2024: (6, 10), 2025: (5, 31), 2026: (6, 19), 2027: (6, 9), 2028: (5, 28), 2029: (6, 16),
    2030: (6, 5), 2031: (6, 24), 2032: (6, 12), 2033: (6, 1), 2034: (6, 20), 2035: (6, 10),
}
_MID_AUTUMN = {
    2016: (9, 15), 2017: (10, 4), 2018: (9, 24), 2019: (9, 13), 2020: (10, 1), 2021: (9, 21), 2022: (9, 10),
    2023: (9, 29), 2024: (9, 17), 2025: (10, 6), 2026: (9, 25), 2027: (9, 15), 2028: (10, 3), 2029: (9, 22),
    2030: (9, 12), 2031: (10, 1), 2032: (9, 19), 2033: (9, 8), 2034: (9, 27), 2035: (9, 16),
}


def closed_days(year: int) -> list[tuple[dt.date, str]]:
    """Days the library is shut in a year: the statutory holidays' main days. A county
    library opens through most of Golden Week, closing only its first days."""
    days: list[tuple[dt.date, str]] = [(dt.date(year, 1, 1), "元旦")]
    if year in _SPRING_FESTIVAL:
        first = dt.date(year, *_SPRING_FESTIVAL[year])
        days += [(first + dt.timedelta(days=k), "春节") for k in range(-1, 3)]
    y = year % 100
    qingming = int(y * 0.2422 + 4.81) - y // 4  # valid for 2000-2099
    days.append((dt.date(year, 4, qingming), "清明节"))
    days.append((dt.date(year, 5, 1), "劳动节"))
    if year in _DRAGON_BOAT:
        days.append((dt.date(year, *_DRAGON_BOAT[year]), "端午节"))
    if year in _MID_AUTUMN:
        days.append((dt.date(year, *_MID_AUTUMN[year]), "中秋节"))
    days += [(dt.date(year, 10, d), "国庆节") for d in (1, 2, 3)]
    seen: dict[dt.date, str] = {}
    for day, reason in days:  # 中秋 may fall on 国庆: one row per day
        seen.setdefault(day, reason)
    return sorted(seen.items())
