"""Reading a date staff typed: one reading and one set of messages for every screen and command.

Staff write 2026-11-21, 2026/11/21, 2026.11.21, 2026年11月21日 or 20261121. A date written
rightly that does not exist (2026-02-30) is told apart from a date written wrongly: being told
to use the form they already used sends people looking for the mistake in the wrong place.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from countylib.errors import ValidationError

_WRITTEN = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_DIGITS = re.compile(r"(\d{4})(\d{2})(\d{2})")


def parse_date(text: str | None, *, required: bool = False) -> dt.date | None:
    """The date in ``text``; None when it is blank (unless the date is required)."""
    value = (text or "").strip()
    if not value:
        if required:
            raise ValidationError("Type a date, e.g. 2026-11-21.")
        return None
    match = _WRITTEN.fullmatch(value) or _DIGITS.fullmatch(value)
    if match is None or match.group(1) == "0000":
        raise ValidationError("'{value}' is not a date like 2026-11-21.", value=value)
    year, month, day = (int(part) for part in match.groups())
    if not 1 <= month <= 12:
        raise ValidationError("There is no {value}: a month is 1 to 12.", value=value)
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise ValidationError("There is no {value}: that month has {days} days.", value=value, days=days)
    return dt.date(year, month, day)
