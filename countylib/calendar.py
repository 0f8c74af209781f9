"""Closed days: a due date (or a hold's last pickup day) never falls on a day the branch is shut.

Closed days come from two places: weekdays the branch is always shut (a setting, e.g. every
Monday) and single days in the Calendar table (holidays, a stocktake), either for one
branch or, with no branch, for all of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from countylib.audit import record_audit
from countylib.context import ServiceContext, service
from countylib.desk_sql import CLOSED_DAYS_ALL, CLOSED_DAYS_OF_BRANCH, rows, settings_values
from countylib.errors import RuleViolation, ValidationError
from countylib.i18n import N_
from countylib.roles import LIBRARIAN
from countylib.settings import SettingSpec, register_settings
from models import Branch, Calendar

# Far enough for any loan period; a calendar with no open day in it is a mistake to report.
HORIZON_DAYS = 400
# The one way the app names a weekday (周二 in Chinese), index = date.weekday(): the van's
# timetable, the volunteer roster and the closed days read alike.
WEEKDAY_NAMES = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))

def parse_weekdays(text: str) -> list[int]:
    """ "0, 6" → [0, 6]: weekday numbers, Monday = 0."""
    days = []
    for part in text.replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or int(part) > 6:
            raise ValidationError("{text} is not a weekday number (0 = Monday … 6 = Sunday).", text=part)
        days.append(int(part))
    return sorted(set(days))


register_settings(
    SettingSpec(
        "closed_weekdays",
        [],
        N_("Weekdays the library is always closed (0 = Monday … 6 = Sunday)"),
        parse=parse_weekdays,
    ),
)


def first_open_day(day: dt.date, is_closed: Callable[[dt.date], bool], horizon: int = HORIZON_DAYS) -> dt.date:
    """``day`` itself when open, else the next open day after it."""
    for offset in range(horizon + 1):
        candidate = day + dt.timedelta(days=offset)
        if not is_closed(candidate):
            return candidate
    raise RuleViolation(
        "The calendar has no open day in the {n} days after {day}; check the closed days in Settings.",
        n=horizon,
        day=day.isoformat(),
    )


def closed_checker(branch_id: str | None, start: dt.date, horizon: int = HORIZON_DAYS) -> Callable[[dt.date], bool]:
    """A predicate over [start, start + horizon] answering from one query."""
    weekdays = {int(w) for w in settings_values("closed_weekdays")["closed_weekdays"] or ()}
    span = (start.isoformat(), (start + dt.timedelta(days=horizon)).isoformat())
    if branch_id is None:
        found = rows(CLOSED_DAYS_ALL, span)
    else:
        found = rows(CLOSED_DAYS_OF_BRANCH, (*span, branch_id))
    days = {dt.date.fromisoformat(day) for (day,) in found}
    return lambda day: day in days or day.weekday() in weekdays


def next_open_day(branch_id: str | None, day: dt.date) -> dt.date:
    return first_open_day(day, closed_checker(branch_id, day))


def _branch(code: str | None) -> Branch | None:
    if code is None:
        return None
    branch = Branch.get_or_none(Branch.code == code)
    if branch is None:
        raise ValidationError("There is no branch {code}.", code=code)
    return branch


@service(LIBRARIAN)
def close_day(ctx: ServiceContext, day: dt.date, reason: str = "", branch_code: str | None = None) -> Calendar:
    """Mark a day closed (for one branch, or for all branches when no branch is given)."""
    branch = _branch(branch_code)
    existing = Calendar.get_or_none(Calendar.day == day, Calendar.branch == branch if branch else Calendar.branch.is_null())
    if existing is not None:
        return existing
    row = Calendar.create(branch=branch, day=day, reason=reason.strip())
    record_audit(ctx, "calendar.closed", "calendar", day.isoformat(), branch=branch_code, reason=reason.strip())
    return row


@service(LIBRARIAN)
def open_day(ctx: ServiceContext, day: dt.date, branch_code: str | None = None) -> None:
    """Undo a closed day."""
    branch = _branch(branch_code)
    deleted = (
        Calendar.delete()
        .where(Calendar.day == day, Calendar.branch == branch if branch else Calendar.branch.is_null())
        .execute()
    )
    if deleted:
        record_audit(ctx, "calendar.opened", "calendar", day.isoformat(), branch=branch_code)

