"""The figures of a report as plain data: what the queries return and what the screen, the CSV
export and the printed reports read.

No database here (printing imports this module, and printing never queries): the dataclasses
are filled by ``countylib.reports`` and read by ``countylib.report_text`` and ``printing``.
Names that must be translated in the report's own language (class names, card-return reasons,
activity types) travel as msgids or codes, never as text already translated.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from countylib.errors import ValidationError


@dataclass(frozen=True)
class Period:
    """Any range of local calendar days, both ends included, optionally at one place."""

    start: dt.date
    end: dt.date
    location: str | None = None  # a place code; None: the whole library

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationError(
                "The period ends ({end}) before it starts ({start}).", start=self.start.isoformat(), end=self.end.isoformat()
            )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @classmethod
    def day(cls, day: dt.date, location: str | None = None) -> Period:
        return cls(day, day, location)

    @classmethod
    def week_of(cls, day: dt.date, location: str | None = None) -> Period:
        """Monday to Sunday of the week ``day`` falls in."""
        monday = day - dt.timedelta(days=day.weekday())
        return cls(monday, monday + dt.timedelta(days=6), location)

    @classmethod
    def month(cls, year: int, month: int, location: str | None = None) -> Period:
        return cls(dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1]), location)

    @classmethod
    def year(cls, year: int, location: str | None = None) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31), location)

    def is_whole_year(self) -> bool:
        return self.start == dt.date(self.start.year, 1, 1) and self.end == dt.date(self.start.year, 12, 31)

    def year_before(self) -> Period:
        """The same days one year earlier (29 February becomes the 28th)."""

        def back(day: dt.date) -> dt.date:
            return day.replace(year=day.year - 1, day=min(day.day, calendar.monthrange(day.year - 1, day.month)[1]))

        return Period(back(self.start), back(self.end), self.location)


# -- at a glance ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayFigures:
    day: dt.date
    loans: int
    returns: int
    visits: int


@dataclass(frozen=True)
class Glance:
    """The desk's picture of a day or a week. Overdue and in transit are as of now."""

    period: Period
    loans: int = 0
    returns: int = 0
    renewals: int = 0  # renewals made at this desk in the period (its outbox)
    new_patrons: int = 0
    visits: int = 0
    events: int = 0
    participants: int = 0
    volunteer_minutes: int = 0
    overdue: int = 0
    in_transit: int = 0
    days: list[DayFigures] = field(default_factory=list)


# -- circulation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BucketRow:
    """Loans lent and renewals made in one day or month of the period (``start`` is its first day)."""

    start: dt.date
    loans: int
    renewals: int  # renewals of the loans lent then, made whenever
    renewals_made: int  # renewals made then, of loans lent whenever


@dataclass(frozen=True)
class PlaceRow:
    code: str
    name: str
    kind: str  # branch | reading_point | van | van_stop
    kind_label: str  # its msgid
    loans: int
    share: float  # of all loans in the period, 0..1


@dataclass(frozen=True)
class CategoryRow:
    category: str  # msgid of a built-in patron category, or the code staff added
    loans: int
    share: float


@dataclass(frozen=True)
class Circulation:
    period: Period
    loans: int = 0
    renewals: int = 0  # renewals of the loans lent in the period
    bucket: str = "month"  # day | month: the size of a row in by_time
    by_time: list[BucketRow] = field(default_factory=list)
    by_place: list[PlaceRow] = field(default_factory=list)
    by_category: list[CategoryRow] = field(default_factory=list)


# -- titles: classes, top titles, weeding -----------------------------------------------------


@dataclass(frozen=True)
class ClassRow:
    code: str  # one of the 22 CLC letters, or "" for books without a class number
    titles: int  # titles held
    holdings: int  # copies held at the end of the period
    loans: int
    share: float  # of all loans, 0..1
    turnover: float | None  # loans per copy held (None when nothing is held)


@dataclass(frozen=True)
class TitleRow:
    rank: int
    title: str
    author: str
    clc_class: str
    loans: int
    holdings: int


@dataclass(frozen=True)
class WeedingRow:
    title: str
    author: str
    call_number: str
    holdings: int
    held_since: dt.date
    last_loan: dt.date | None


@dataclass(frozen=True)
class TitleFigures:
    period: Period
    loans: int = 0
    titles: int = 0
    holdings: int = 0
    by_class: list[ClassRow] = field(default_factory=list)
    top: list[TitleRow] = field(default_factory=list)
    weeding_years: int = 3
    weeding_count: int = 0
    weeding: list[WeedingRow] = field(default_factory=list)  # the longest-held first

    @property
    def turnover(self) -> float | None:
        return self.loans / self.holdings if self.holdings else None


# -- readers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReaderRow:
    rank: int
    name: str  # masked unless the report is internal
    card: str  # masked unless the report is internal
    category: str  # msgid of a built-in patron category, or the code staff added
    loans: int


@dataclass(frozen=True)
class Readers:
    period: Period
    active: int = 0  # readers who borrowed at least once in the period
    top: list[ReaderRow] = field(default_factory=list)
    internal: bool = False


# -- collection, patrons, activities, volunteers, donations -----------------------------------


@dataclass(frozen=True)
class SourceRow:
    source: str  # purchase | donation | anything else staff recorded
    items: int


@dataclass(frozen=True)
class Collection:
    period: Period
    added: int = 0
    by_source: list[SourceRow] = field(default_factory=list)
    withdrawn_or_lost: int = 0  # copies out of the collection now (status withdrawn or lost)


@dataclass(frozen=True)
class ReasonRow:
    code: str
    label: str  # msgid of the reason, as kept in the setting
    cards: int


@dataclass(frozen=True)
class Patrons:
    period: Period
    registered: int = 0  # valid cards (active or suspended) at the end of the period
    new_cards: int = 0
    cards_returned: int = 0
    reasons: list[ReasonRow] = field(default_factory=list)
    visits: int = 0
    population: int = 0  # 0: the service population is not set
    visits_by_place: list[tuple[str, str, int]] = field(default_factory=list)  # (code, name, visits)

    @property
    def visits_per_head(self) -> float | None:
        return self.visits / self.population if self.population > 0 else None


@dataclass(frozen=True)
class ActivityRow:
    kind: str  # type code
    name: str  # msgid of a built-in type, or the name staff typed
    activities: int
    participants: int


@dataclass(frozen=True)
class Activities:
    period: Period
    activities: int = 0
    participants: int = 0
    by_type: list[ActivityRow] = field(default_factory=list)


@dataclass(frozen=True)
class Volunteers:
    period: Period
    people: int = 0
    minutes: int = 0
    shifts: int = 0
    outstanding: list[tuple[str, int]] = field(default_factory=list)  # (name, minutes) honoured for the period's years


@dataclass(frozen=True)
class Donations:
    period: Period
    donors: int = 0
    donations: int = 0
    books: int = 0
    accessioned: int = 0
    forwarded: int = 0
    declined: int = 0
    value_cents: int = 0


# -- whole reports ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    key: str  # loans, active_readers, ...
    this_year: float | None
    target: float | None
    decimals: int = 0  # how the figure is written: 0 for counts, 2 for ratios


@dataclass(frozen=True)
class PeriodReport:
    """Every section of a report over one period (daily, monthly, any range)."""

    library_name: str
    period: Period
    place_name: str  # the place's name, or "" for the whole library
    glance: Glance
    circulation: Circulation
    titles: TitleFigures
    readers: Readers
    collection: Collection
    patrons: Patrons
    activities: Activities
    volunteers: Volunteers
    donations: Donations
    turnover_target: float = 0.4
    made_on: dt.date | None = None


@dataclass(frozen=True)
class AnnualReport:
    """The annual reading report (阅读年报): this year, last year's totals and next year's targets."""

    year: int
    language: str
    report: PeriodReport
    last_year: Glance
    targets: list[Target] = field(default_factory=list)
