"""The closed-day calendar as Settings shows it: a year's closed days, and closing a run of
days at once (a holiday week such as 国庆节) in one transaction, so a refusal half-way
leaves no day of the run closed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from peewee import JOIN

from countylib.calendar import WEEKDAY_NAMES, close_day
from countylib.context import ServiceContext, service
from countylib.errors import ValidationError
from countylib.i18n import _
from countylib.roles import LIBRARIAN
from countylib.settings import get_setting
from models import Branch, Calendar

# A longer run is almost surely a typing slip in the year.
MAX_RUN_DAYS = 62


@dataclass(frozen=True)
class ClosedDay:
    day: dt.date
    branch_code: str | None  # None: every branch
    reason: str


def closed_days_of_year(branch: Branch, year: int) -> list[ClosedDay]:
    """The days ``branch`` is closed in ``year``: its own and those of every branch."""
    query = (
        Calendar.select(Calendar.day, Calendar.reason, Branch.code)
        .join(Branch, JOIN.LEFT_OUTER)
        .where(
            Calendar.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31)),
            Calendar.branch.is_null() | (Calendar.branch == branch),
        )
        .order_by(Calendar.day, Calendar.branch.is_null(False))
        .tuples()
    )
    return [ClosedDay(day, code, reason) for day, reason, code in query]


def closed_weekday_names() -> list[str]:
    """The weekly closing days of the setting, translated, Monday first."""
    numbers = {int(w) for w in get_setting("closed_weekdays") or () if str(w).strip().isdigit()}
    return [_(WEEKDAY_NAMES[w]) for w in sorted(numbers) if w <= 6]


@service(LIBRARIAN)
def close_days(ctx: ServiceContext, first: dt.date, last: dt.date, reason: str, branch_code: str | None = None) -> int:
    """Close every day from ``first`` to ``last``; returns how many were not closed already."""
    if not reason.strip():
        raise ValidationError("Say why the library is closed, e.g. the holiday's name.")
    if last < first:
        raise ValidationError("The last day ({last}) is before the first ({first}).", last=last.isoformat(), first=first.isoformat())
    count = (last - first).days + 1
    if count > MAX_RUN_DAYS:
        raise ValidationError("That is {n} days; close at most {max} days at once.", n=count, max=MAX_RUN_DAYS)
    before = Calendar.select().count()
    for offset in range(count):
        close_day(ctx, first + dt.timedelta(days=offset), reason, branch_code)
    return Calendar.select().count() - before
