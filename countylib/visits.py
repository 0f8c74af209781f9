"""Visitors (到馆人次): clicker totals typed in by the hour or the day, or a gate counter's CSV.

A count is *set*, not added: typing the same day again corrects it, and importing the same gate
file twice changes nothing. A place's day is counted either by the hour or as one total, never
both, so a day's visits are never counted twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from peewee import fn

from countylib.context import ServiceContext, service
from countylib.errors import ValidationError
from countylib.i18n import N_, _
from countylib.locations import CODE, location_by_code
from countylib.roles import LIBRARIAN, VOLUNTEER
from countylib.settings import SettingSpec, change_setting, get_setting, register_settings
from models import Location, VisitCount
from models.ids import new_id

MAX_COUNT = 100_000  # per hour or day at one door: anything above is a typing slip

register_settings(
    SettingSpec("service_population", 0, N_("Service population (for visits per head)"), LIBRARIAN),
    SettingSpec("gate_csv_columns", {}, N_("Gate counter file columns"), LIBRARIAN),
)


def _iso(value: dt.datetime) -> str:
    return value.replace(microsecond=0).isoformat() + "Z"


Key = tuple[str, dt.date, int | None]  # (location id, day, hour or None for a day total)


def _existing(keys: Iterable[Key]) -> dict[Key, VisitCount]:
    """The stored counts for these keys (hour None matches a day total: SQL's NULL never equals)."""
    keys = list(keys)
    if not keys:
        return {}
    locations = {k[0] for k in keys}
    days = {k[1] for k in keys}
    rows = VisitCount.select().where(VisitCount.location.in_(locations), VisitCount.day.in_(days))
    wanted = set(keys)
    return {(r.location_id, r.day, r.hour): r for r in rows if (r.location_id, r.day, r.hour) in wanted}


def _granularity(location_id: str, day: dt.date) -> str | None:
    """'hour', 'day' or None: how this place's day is counted so far."""
    hours = {
        h
        for (h,) in VisitCount.select(VisitCount.hour)
        .where(VisitCount.location == location_id, VisitCount.day == day)
        .tuples()
    }
    if not hours:
        return None
    return "day" if hours == {None} else "hour"


def _check_count(count: int) -> None:
    if count < 0:
        raise ValidationError("A visitor count cannot be negative.")
    if count > MAX_COUNT:
        raise ValidationError("{count} visitors is more than one counter can record; check the number.", count=count)


def _write(ctx: ServiceContext, counts: dict[Key, int], source: str, codes: dict[str, str]) -> int:
    """Set the counts; one event lists every count that changed. Returns how many changed."""
    existing = _existing(counts)
    changed = []
    new_rows = []
    for key, count in counts.items():
        row = existing.get(key)
        if row is not None and row.count == count:
            continue
        location_id, day, hour = key
        if row is None:
            row_id = new_id()
            new_rows.append({"id": row_id, "location": location_id, "day": day, "hour": hour, "count": count, "source": source})
        else:
            row_id = row.id
            VisitCount.update(count=count, source=source).where(VisitCount.id == row.id).execute()
        changed.append({"id": row_id, "location": codes[location_id], "day": day.isoformat(), "hour": hour, "count": count})
    for start in range(0, len(new_rows), 500):  # SQLite's limit on bound variables per statement
        VisitCount.insert_many(new_rows[start : start + 500]).execute()
    if changed:
        ctx.record("visit.counted", {"source": source, "counted_at": _iso(ctx.clock.utcnow()), "counts": changed})
    return len(changed)


@service(VOLUNTEER)
def record_visits(ctx: ServiceContext, location_code: str, day: dt.date, counts: dict[int | None, int]) -> int:
    """Counts typed in from a clicker: ``{None: 250}`` for a day total, ``{9: 30, 10: 41}`` per hour."""
    location = location_by_code(location_code)
    if day > ctx.clock.today():
        raise ValidationError("{date} is in the future; visitors are counted after they came.", date=day.isoformat())
    if not counts:
        raise ValidationError("Type at least one count.")
    hourly = any(h is not None for h in counts)
    if hourly and None in counts:
        raise ValidationError("Give either a total for the day or counts per hour, not both.")
    for hour, count in counts.items():
        if hour is not None and not 0 <= hour <= 23:
            raise ValidationError("An hour is from 0 to 23.")
        _check_count(count)
    kept = _granularity(location.id, day)
    if kept == "hour" and not hourly:
        raise ValidationError(
            "{place} already has counts per hour on {date}; correct the hours, or clear the day first.",
            place=location.name,
            date=day.isoformat(),
        )
    if kept == "day" and hourly:
        raise ValidationError(
            "{place} already has a total for {date}; correct it, or clear the day first.", place=location.name, date=day.isoformat()
        )
    return _write(ctx, {(location.id, day, hour): count for hour, count in counts.items()}, "manual", {location.id: location.code})


@service(LIBRARIAN)
def clear_visits(ctx: ServiceContext, location_code: str, day: dt.date) -> int:
    """Remove a day's counts at a place (to switch between hourly counts and a day total)."""
    location = location_by_code(location_code)
    rows = list(VisitCount.select().where(VisitCount.location == location, VisitCount.day == day))
    if not rows:
        return 0
    VisitCount.delete().where(VisitCount.id.in_([r.id for r in rows])).execute()
    ctx.record("visit.cleared", {"location": location.code, "day": day.isoformat(), "ids": [r.id for r in rows]})
    return len(rows)


# -- gate counter files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GateColumns:
    """Which columns of the gate counter's file hold what; chosen once, kept as a setting."""

    date: str  # a date, or a date and time (the hour is then taken from it)
    count: str  # visitors in
    hour: str = ""  # optional: 9, 09, 09:00, 09:00-10:00
    location: str = ""  # optional: a place code per row; without it the file is for one place


def gate_columns() -> GateColumns | None:
    saved = get_setting("gate_csv_columns")
    return GateColumns(**saved) if saved else None


def save_gate_columns(ctx: ServiceContext, columns: GateColumns) -> None:
    if not columns.date.strip() or not columns.count.strip():
        raise ValidationError("Choose at least the date column and the count column.")
    used = [c for c in (columns.date, columns.count, columns.hour, columns.location) if c]
    if len(set(used)) != len(used):
        raise ValidationError("Each column can be chosen for one thing only.")
    change_setting(ctx, "gate_csv_columns", {k: v.strip() for k, v in columns.__dict__.items()})


def _decode(raw: bytes) -> str:
    # Gate counters sold in China often write GB18030 (GBK); others UTF-8, sometimes with a BOM.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        # Old counters end lines with a bare CR; the csv module refuses one inside a field.
        return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    raise ValidationError("The file is neither UTF-8 nor GB18030 text; save it as CSV and try again.")


def _reader(text: str) -> csv.reader:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.StringIO(text), dialect)


def _sample(path: Path, rows: int = 20) -> tuple[list[str], list[list[str]]]:
    """A gate file's column names and its first rows."""
    try:
        text = _decode(Path(path).read_bytes())
    except OSError as exc:
        raise ValidationError("Cannot read {path}: {reason}", path=str(path), reason=exc) from exc
    header: list[str] | None = None
    sample: list[list[str]] = []
    for row in _reader(text):
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip() for cell in row]
        elif len(sample) < rows:
            sample.append([cell.strip() for cell in row])
        else:
            break
    if header is None:
        raise ValidationError("{path} is empty.", path=str(path))
    return header, sample


def read_header(path: Path) -> list[str]:
    """The column names of a gate file, to choose the columns from."""
    return _sample(path)[0]


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")
TIME_FORMATS = ("", " %H:%M", " %H:%M:%S", "T%H:%M", "T%H:%M:%S")
HOUR = re.compile(r"^(\d{1,2})(?::\d{2}(?::\d{2})?)?(?:\s*[-~–]\s*\d{1,2}(?::\d{2})?)?$")


FORMATS = [(d + t, bool(t)) for d in DATE_FORMATS for t in TIME_FORMATS]

# Words in the column names of the gate counters libraries use (Chinese and English).
DATE_WORDS = ("日期", "date", "day")
COUNT_IN_WORDS = ("进馆", "入馆", "进入", "进", "入", "in", "entries", "entered")
COUNT_WORDS = ("人数", "人次", "客流", "count", "visitors", "people", "total")
OUT_WORDS = ("出馆", "离馆", "出", "out", "exits", "exited")  # the people leaving: never the count
HOUR_WORDS = ("时段", "小时", "时间", "hour", "time", "period")
PLACE_WORDS = ("地点", "场所", "馆点", "代码", "place", "location", "site", "code")


def _named(name: str, words: tuple[str, ...]) -> bool:
    """Whether a column name holds one of the words (English ones as whole words: 'in' is not in 'min')."""
    english = re.findall(r"[a-z]+", name.lower())
    return any(word in english if word.isascii() else word in name for word in words)


def guess_gate_columns(path: Path) -> GateColumns:
    """A first choice of a gate file's columns, for staff to check: by the columns' names, and
    where the names say nothing, by what the first rows hold."""
    header, rows = _sample(path)
    values = {name: [row[i] for row in rows if i < len(row) and row[i]] for i, name in enumerate(header)}
    formats = list(FORMATS)

    def is_when(value: str) -> bool:
        return _parse_when(value, formats) is not None

    def is_hour(value: str) -> bool:
        match = HOUR.match(value)
        return match is not None and int(match.group(1)) <= 23

    def is_count(value: str) -> bool:
        return value.replace(",", "").isdigit()

    def is_code(value: str) -> bool:
        return CODE.match(value.upper()) is not None

    taken: list[str] = []

    def pick(test, *wanted: tuple[str, ...], by_content: bool = False, avoid: tuple[str, ...] = ()) -> str:
        free = [n for n in header if n not in taken and not _named(n, avoid) and all(test(v) for v in values[n])]
        found = next((n for words in wanted for n in free if _named(n, words)), "")
        if not found and by_content:
            found = next((n for n in free if values[n]), "")
        if found:
            taken.append(found)
        return found

    date = pick(is_when, DATE_WORDS, by_content=True)
    count = pick(is_count, COUNT_IN_WORDS, COUNT_WORDS, by_content=True, avoid=OUT_WORDS + HOUR_WORDS)
    hour = pick(is_hour, HOUR_WORDS)
    location = pick(is_code, PLACE_WORDS)
    return GateColumns(date=date or header[0], count=count or header[min(1, len(header) - 1)], hour=hour, location=location)


def _parse_when(value: str, formats: list[tuple[str, bool]]) -> tuple[dt.date, int | None] | None:
    """Try the forms a gate counter writes; the one that worked moves to the front (a file
    uses one form throughout, so the rest of it parses at the first try)."""
    value = value.strip()
    for n, (form, has_time) in enumerate(formats):
        try:
            parsed = dt.datetime.strptime(value, form)
        except ValueError:
            continue
        if n:
            formats.insert(0, formats.pop(n))
        return parsed.date(), (parsed.hour if has_time else None)
    return None


@dataclass(frozen=True)
class Problem:
    line: int
    message: str  # already in the current language


@dataclass
class GateImport:
    rows_read: int = 0
    rows_used: int = 0
    counts_changed: int = 0
    problems: list[Problem] = field(default_factory=list)
    first_day: dt.date | None = None
    last_day: dt.date | None = None


def import_gate_file(ctx: ServiceContext, path: Path, location_code: str | None = None) -> GateImport:
    """Import a gate counter's CSV with the saved columns. Broken rows are reported by line and
    skipped; the good rows are imported together. Importing a file again changes nothing."""
    columns = gate_columns()
    if columns is None:
        raise ValidationError("Choose the gate file's columns first.")
    if not columns.location and not location_code:
        raise ValidationError("Choose the place this gate file counts.")
    return _import(ctx, Path(path), columns, location_code)


@service(VOLUNTEER)
def _import(ctx: ServiceContext, path: Path, columns: GateColumns, location_code: str | None) -> GateImport:
    fixed = location_by_code(location_code) if location_code else None
    try:
        text = _decode(path.read_bytes())
    except OSError as exc:
        raise ValidationError("Cannot read {path}: {reason}", path=str(path), reason=exc) from exc
    reader = _reader(text)
    header: list[str] | None = None
    for row in reader:
        if any(cell.strip() for cell in row):
            header = [cell.strip() for cell in row]
            break
    if header is None:
        raise ValidationError("{path} is empty.", path=str(path))
    wanted = [c for c in (columns.date, columns.count, columns.hour, columns.location) if c]
    missing = [c for c in wanted if c not in header]
    if missing:
        raise ValidationError(
            "The file has no column called {column}; its columns are: {columns}.", column=missing[0], columns=", ".join(header)
        )
    index = {name: header.index(name) for name in wanted}
    places = {loc.code: loc for loc in Location.select()}
    today = ctx.clock.today()
    result = GateImport()
    formats = list(FORMATS)
    sums: dict[Key, int] = {}
    lines_of: dict[Key, list[int]] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        result.rows_read += 1

        def cell(name: str) -> str:
            i = index[name]
            return row[i].strip() if i < len(row) else ""

        when = _parse_when(cell(columns.date), formats)
        if when is None:
            result.problems.append(Problem(line, _("'{value}' is not a date like 2026-11-20.").format(value=cell(columns.date))))
            continue
        day, hour = when
        if columns.hour:
            match = HOUR.match(cell(columns.hour))
            if not match or int(match.group(1)) > 23:
                result.problems.append(Problem(line, _("'{value}' is not an hour like 09 or 09:00.").format(value=cell(columns.hour))))
                continue
            hour = int(match.group(1))
        raw_count = cell(columns.count).replace(",", "")
        if not raw_count.isdigit():
            result.problems.append(Problem(line, _("'{value}' is not a number of visitors.").format(value=cell(columns.count))))
            continue
        count = int(raw_count)
        if count > MAX_COUNT:
            result.problems.append(Problem(line, _("{count} visitors is more than one counter can record.").format(count=count)))
            continue
        if day > today:
            result.problems.append(Problem(line, _("{date} is in the future.").format(date=day.isoformat())))
            continue
        place = fixed
        if columns.location:
            place = places.get(cell(columns.location).upper())
            if place is None:
                result.problems.append(Problem(line, _("There is no place with the code {code}.").format(code=cell(columns.location))))
                continue
        key = (place.id, day, hour)
        sums[key] = sums.get(key, 0) + count  # several doors or rows for one hour add up
        lines_of.setdefault(key, []).append(line)
        result.rows_used += 1
    # A day counted by the hour in the file must not also have a day total (or the reverse).
    in_file: dict[tuple[str, dt.date], set[str]] = {}
    for location_id, day, hour in sums:
        in_file.setdefault((location_id, day), set()).add("day" if hour is None else "hour")
    names = {loc.id: loc.name for loc in places.values()}
    for (location_id, day), kinds in in_file.items():
        stored = _granularity(location_id, day)
        clash = len(kinds) > 1 or (stored is not None and stored not in kinds)
        if not clash:
            continue
        for key in [k for k in sums if k[0] == location_id and k[1] == day]:
            for line in lines_of.pop(key):
                result.problems.append(
                    Problem(
                        line,
                        _("{place} on {date} is counted both per hour and as a day total; clear the day or fix the file.").format(
                            place=names[location_id], date=day.isoformat()
                        ),
                    )
                )
                result.rows_used -= 1
            del sums[key]
    result.problems.sort(key=lambda p: p.line)
    if sums:
        days = [k[1] for k in sums]
        result.first_day, result.last_day = min(days), max(days)
        codes = {loc.id: loc.code for loc in places.values()}
        result.counts_changed = _write(ctx, sums, "gate", codes)
    return result


# -- queries --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayTotal:
    day: dt.date
    location_code: str
    location_name: str
    visits: int
    by_hour: bool
    source: str


def day_totals(start: dt.date, end: dt.date, location_code: str | None = None) -> list[DayTotal]:
    """Visits per place and day, newest first."""
    query = (
        VisitCount.select(
            VisitCount.day,
            Location.code,
            Location.name,
            fn.SUM(VisitCount.count),
            fn.MAX(VisitCount.hour.is_null(False)),
            fn.MAX(VisitCount.source),
        )
        .join(Location)
        .where(VisitCount.day >= start, VisitCount.day <= end)
        .group_by(VisitCount.day, Location.code, Location.name)
        .order_by(VisitCount.day.desc(), Location.code)
    )
    if location_code:
        query = query.where(Location.code == location_code.strip().upper())
    return [
        DayTotal(day=_as_date(day), location_code=code, location_name=name, visits=total, by_hour=bool(hourly), source=source)
        for day, code, name, total, hourly, source in query.tuples()
    ]


def hour_counts(location_code: str, day: dt.date) -> dict[int | None, int]:
    location = location_by_code(location_code)
    return {r.hour: r.count for r in VisitCount.select().where(VisitCount.location == location, VisitCount.day == day)}


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def total_visits(start: dt.date, end: dt.date, location_code: str | None = None) -> int:
    query = VisitCount.select(fn.SUM(VisitCount.count)).where(VisitCount.day >= start, VisitCount.day <= end)
    if location_code:
        query = query.where(VisitCount.location == location_by_code(location_code))
    return query.scalar() or 0


def visits_by_month(year: int) -> dict[int, int]:
    """Visits per month of a year (every place), for the reports."""
    rows = (
        VisitCount.select(fn.strftime("%m", VisitCount.day), fn.SUM(VisitCount.count))
        .where(VisitCount.day >= dt.date(year, 1, 1), VisitCount.day <= dt.date(year, 12, 31))
        .group_by(fn.strftime("%m", VisitCount.day))
        .tuples()
    )
    return {int(month): total for month, total in rows}


@dataclass(frozen=True)
class PerCapita:
    visits: int
    population: int  # 0: not set
    per_head: float | None  # None until the service population is set


def per_capita_visits(year: int) -> PerCapita:
    """Visits in a year per head of the service population (人均到馆次数), as the annual targets state it."""
    visits = total_visits(dt.date(year, 1, 1), dt.date(year, 12, 31))
    population = service_population()
    return PerCapita(visits, population, visits / population if population > 0 else None)


def service_population() -> int:
    """People the library serves (服务人口); 0 until the library sets it."""
    return int(get_setting("service_population") or 0)


def set_service_population(ctx: ServiceContext, population: int) -> None:
    if population < 0:
        raise ValidationError("The service population cannot be negative.")
    change_setting(ctx, "service_population", population)
