"""Reports in words: the tables (for the screen, the CSV export and the PDF) and the short
sentences that read the numbers ("Literature (I) made up 50.1 % of loans, followed by ...").

Everything here takes a ``Words`` for one language, which may differ from the screen's: the
annual report is written in the library's report language whatever the desk shows. No database.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import IO

from babel.dates import format_date as babel_format_date

from countylib.clc import CLASSES
from countylib.i18n import N_, _load
from countylib.report_data import AnnualReport, Glance, PeriodReport, Target

INDICATORS = {
    "loans": N_("Books lent"),
    "returns": N_("Books returned"),
    "renewals": N_("Renewals"),
    "new_cards": N_("New reader cards"),
    "active_readers": N_("Readers who borrowed"),
    "visits": N_("Visits"),
    "visits_per_head": N_("Visits per head of population"),
    "turnover": N_("Turnover (loans per copy held)"),
    "activities": N_("Reading activities"),
    "participants": N_("Activity participants"),
    "volunteer_hours": N_("Volunteer hours"),
    "donated_books": N_("Donated books added"),
    "overdue": N_("Overdue now"),
    "in_transit": N_("In transit now"),
    "holdings": N_("Copies held"),
}
SOURCE_NAMES = {"purchase": N_("Bought"), "donation": N_("Donated")}
UNCLASSIFIED = N_("No class number")


@dataclass(frozen=True)
class Pct:
    """A share (0..1), written as a percentage with one decimal."""

    value: float


@dataclass(frozen=True)
class Num:
    """A number written with a fixed count of decimals (turnover, hours, visits per head)."""

    value: float | None
    decimals: int = 2


Cell = str | int | Pct | Num | dt.date | None


@dataclass(frozen=True)
class Table:
    key: str  # stable name, e.g. "by_class" (file names, widget ids)
    title: str
    columns: list[str]
    rows: list[tuple[Cell, ...]]


class Words:
    """Translation and number, date and list formatting in one language (zh_CN or en)."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.gettext: Callable[[str], str] = _load(language).gettext

    @property
    def chinese(self) -> bool:
        return self.language == "zh_CN"

    def _(self, msgid: str) -> str:
        """Translate into this language (named ``_`` so the msgids are found and extracted)."""
        return self.gettext(msgid)

    def indicator(self, key: str) -> str:
        return self._(INDICATORS[key])

    def number(self, value: float | int | None, decimals: int = 0) -> str:
        if value is None:
            return "—"
        if decimals == 0:
            return f"{int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)):,}"
        quantum = Decimal(1).scaleb(-decimals)
        return f"{Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP):,}"

    def percent(self, share: float) -> str:
        return self._("{value} %").format(value=self.number(share * 100, 1))

    def hours(self, minutes: int) -> str:
        return self.number(minutes / 60, 1)

    def date(self, value: dt.date, style: str = "medium") -> str:
        return babel_format_date(value, format=style, locale="zh_Hans_CN" if self.chinese else "en_GB")

    def month(self, value: dt.date) -> str:
        """7月 / July."""
        return f"{value.month}月" if self.chinese else babel_format_date(value, format="LLLL", locale="en_GB")

    def listing(self, parts: list[str]) -> str:
        """A, B and C / A、B和C."""
        if len(parts) <= 1:
            return "".join(parts)
        if self.chinese:
            return "、".join(parts[:-1]) + "和" + parts[-1]
        return ", ".join(parts[:-1]) + " and " + parts[-1]

    def class_name(self, code: str) -> str:
        if code not in CLASSES:
            return self._(UNCLASSIFIED)
        entry = CLASSES[code]
        return entry.name_zh if self.chinese else entry.name_en

    def class_label(self, code: str) -> str:
        return self._("{name} ({code})").format(name=self.class_name(code), code=code) if code else self._(UNCLASSIFIED)

    def cell(self, value: Cell) -> str:
        if value is None:
            return ""
        if isinstance(value, Pct):
            return self.percent(value.value)
        if isinstance(value, Num):
            return self.number(value.value, value.decimals)
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int):
            return self.number(value)
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)


def period_text(words: Words, report: PeriodReport) -> str:
    """2026-11-01 – 2026-11-30 · 城关分馆 (one day: just the date)."""
    p = report.period
    when = words.date(p.start) if p.start == p.end else f"{words.date(p.start)} – {words.date(p.end)}"
    return f"{when} · {report.place_name}" if report.place_name else when


# -- tables -----------------------------------------------------------------------------------


def report_tables(report: PeriodReport, words: Words) -> list[Table]:
    """Every table of a report, in the order the screen and the printout show them."""
    t = words
    g, c, ti, rd = report.glance, report.circulation, report.titles, report.readers
    co, pa, ac, vo, do = report.collection, report.patrons, report.activities, report.volunteers, report.donations
    overview = [
        (t.indicator("loans"), c.loans),
        (t._("Renewals of these loans"), c.renewals),
        (t.indicator("returns"), g.returns),
        (t.indicator("renewals"), g.renewals),
        (t.indicator("active_readers"), rd.active),
        (t.indicator("new_cards"), pa.new_cards),
        (t._("Valid reader cards"), pa.registered),
        (t.indicator("visits"), pa.visits),
        (t.indicator("visits_per_head"), Num(pa.visits_per_head, 2)),
        (t.indicator("holdings"), ti.holdings),
        (t.indicator("turnover"), Num(ti.turnover, 2)),
        (t._("Turnover target (a year)"), Num(report.turnover_target, 2)),
        (t.indicator("activities"), ac.activities),
        (t.indicator("participants"), ac.participants),
        (t.indicator("volunteer_hours"), Num(vo.minutes / 60, 1)),
        (t.indicator("overdue"), g.overdue),
        (t.indicator("in_transit"), g.in_transit),
    ]
    time_label = t._("Day") if c.bucket == "day" else t._("Month")
    tables = [
        Table("overview", t._("Overview"), [t._("Figure"), t._("This period")], overview),
        Table(
            "by_time",
            t._("Loans by day") if c.bucket == "day" else t._("Loans by month"),
            # Two figures that differ: the renewals of the loans lent that day or month (made
            # whenever), and the renewals made then (of loans lent whenever), which add up to the
            # overview's renewals.
            [time_label, t._("Loans"), t._("Renewals of these loans"), t._("Renewals made")],
            [(r.start if c.bucket == "day" else r.start.strftime("%Y-%m"), r.loans, r.renewals, r.renewals_made) for r in c.by_time],
        ),
        Table(
            "by_class",
            t._("Loans and holdings by class (CLC)"),
            [t._("Class"), t._("Class name"), t._("Loans"), t._("Share of loans"), t._("Titles held"), t._("Copies held"), t._("Turnover")],
            [(r.code or "—", t.class_name(r.code), r.loans, Pct(r.share), r.titles, r.holdings, Num(r.turnover, 2)) for r in ti.by_class],
        ),
        Table(
            "by_place",
            t._("Loans by place"),
            [t._("Place code"), t._("Place"), t._("Kind of place"), t._("Loans"), t._("Share of loans")],
            [(r.code, r.name, t._(r.kind_label), r.loans, Pct(r.share)) for r in c.by_place],
        ),
        Table(
            "by_category",
            t._("Loans by reader category"),
            [t._("Reader category"), t._("Loans"), t._("Share of loans")],
            [(t._(r.category), r.loans, Pct(r.share)) for r in c.by_category],
        ),
        Table(
            "top_titles",
            t._("Most borrowed titles"),
            [t._("Rank"), t._("Title"), t._("Author"), t._("Class"), t._("Loans"), t._("Copies held")],
            [(r.rank, r.title, r.author, r.clc_class, r.loans, r.holdings) for r in ti.top],
        ),
        Table(
            "top_readers",
            t._("Most active readers") if rd.internal else t._("Most active readers (masked)"),
            [t._("Rank"), t._("Reader"), t._("Card"), t._("Reader category"), t._("Loans")],
            [(r.rank, r.name, r.card, t._(r.category), r.loans) for r in rd.top],
        ),
        Table(
            "additions",
            t._("Copies added by source"),
            [t._("Source"), t._("Copies")],
            [(t._(SOURCE_NAMES.get(r.source, r.source)), r.items) for r in co.by_source],
        ),
        Table(
            "weeding",
            t._("Weeding candidates: not borrowed for {years} years").format(years=ti.weeding_years),
            [t._("Title"), t._("Author"), t._("Call number"), t._("Copies held"), t._("Held since"), t._("Last lent")],
            [(r.title, r.author, r.call_number, r.holdings, r.held_since, r.last_loan or t._("never")) for r in ti.weeding],
        ),
        Table(
            "card_returns",
            t._("Reader cards returned, by reason"),
            [t._("Reason"), t._("Cards")],
            [(t._(r.label), r.cards) for r in pa.reasons],
        ),
        Table(
            "visits_by_place",
            t._("Visits by place"),
            [t._("Place code"), t._("Place"), t._("Visits")],
            [(code, name, n) for code, name, n in pa.visits_by_place],
        ),
        Table(
            "activities",
            t._("Reading activities by type"),
            [t._("Type"), t._("Activities"), t._("Participants")],
            [(t._(r.name), r.activities, r.participants) for r in ac.by_type],
        ),
        Table(
            "volunteers",
            t._("Volunteers"),
            [t._("Figure"), t._("This period")],
            [
                (t._("Volunteers who served"), vo.people),
                (t._("Shifts served"), vo.shifts),
                (t.indicator("volunteer_hours"), Num(vo.minutes / 60, 1)),
                *((t._("Outstanding volunteer"), f"{name} ({t.hours(m)} h)") for name, m in vo.outstanding),
            ],
        ),
        Table(
            "donations",
            t._("Donations"),
            [t._("Figure"), t._("This period")],
            [
                (t._("Donors"), do.donors),
                (t._("Gifts received"), do.donations),
                (t._("Books received"), do.books),
                (t._("Added to the collection"), do.accessioned),
                (t._("Passed on to other places"), do.forwarded),
                (t._("Declined"), do.declined),
                (t._("Estimated value of books added (yuan)"), Num(do.value_cents / 100, 2)),
            ],
        ),
    ]
    return tables


def write_csv(tables: Iterable[Table], out: Path | IO[str], words: Words, *, heading: str = "") -> int:
    """Every table in one CSV, one after another: its title on a line, its header, its rows, a
    blank line. UTF-8 with a BOM, so Excel opens the Chinese right. Returns the rows written."""
    if isinstance(out, Path):
        with out.open("w", encoding="utf-8-sig", newline="") as fh:
            return write_csv(tables, fh, words, heading=heading)
    writer = csv.writer(out)
    count = 0
    if heading:
        writer.writerow([heading])
        writer.writerow([])
    for table in tables:
        writer.writerow([table.title])
        writer.writerow(table.columns)
        for row in table.rows:
            writer.writerow([_csv_cell(words, cell) for cell in row])
            count += 1
        writer.writerow([])
    return count


def _csv_cell(words: Words, value: Cell) -> str | int | float:
    """Numbers stay numbers (a spreadsheet adds them up); shares as percent values."""
    if isinstance(value, Pct):
        return round(value.value * 100, 1)
    if isinstance(value, Num):
        return "" if value.value is None else round(value.value, value.decimals)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return words.cell(value)


# -- sentences ----------------------------------------------------------------------------------


def change_text(words: Words, now: float, before: float) -> str:
    """'up 5.3 % on last year' / '比上年增长5.3%'; blank when there is nothing to compare with."""
    if not before:
        return ""
    change = (now - before) / before
    if abs(change) < 0.0005:
        return words._("the same as last year")
    key = N_("up {percent} on last year") if change > 0 else N_("down {percent} on last year")
    return words._(key).format(percent=words.percent(abs(change)))


def class_sentence(words: Words, report: PeriodReport) -> str:
    """Literature (I) made up 50.1 % of loans, followed by Culture, ... (G, 9.8 %) and ... (K, 6.9 %)."""
    ranked = sorted((r for r in report.titles.by_class if r.loans), key=lambda r: -r.loans)
    if not ranked:
        return words._("No books were lent in this period.")
    first, rest = ranked[0], ranked[1:3]
    text = words._("{name} ({code}) made up {share} of loans").format(
        name=words.class_name(first.code), code=first.code or "—", share=words.percent(first.share)
    )
    if rest:
        others = [
            words._("{name} ({code}, {share})").format(name=words.class_name(r.code), code=r.code or "—", share=words.percent(r.share))
            for r in rest
        ]
        text += words._(", followed by {others}").format(others=words.listing(others))
    return text + words._(".")


def overview_sentences(words: Words, report: PeriodReport, last_year: Glance | None = None) -> list[str]:
    """The report's first paragraph: how much was lent, to how many, visits, what changed."""
    c, rd, pa = report.circulation, report.readers, report.patrons
    sentences = []
    if c.loans:
        text = words._("{readers} readers borrowed {loans} books").format(
            readers=words.number(rd.active), loans=words.number(c.loans)
        )
        change = change_text(words, c.loans, last_year.loans) if last_year else ""
        sentences.append(text + (words._(", {change}").format(change=change) if change else "") + words._("."))
    else:
        sentences.append(words._("No books were lent in this period."))
    if c.bucket == "month" and c.loans:
        busiest = max(c.by_time, key=lambda r: r.loans)
        sentences.append(
            words._("The busiest month was {month}, with {loans} loans.").format(month=words.month(busiest.start), loans=words.number(busiest.loans))
        )
    if pa.new_cards:
        sentences.append(words._("{cards} new reader cards were issued.").format(cards=words.number(pa.new_cards)))
    if pa.visits:
        per_head = pa.visits_per_head
        if per_head is None:
            sentences.append(words._("Readers visited {visits} times.").format(visits=words.number(pa.visits)))
        else:
            sentences.append(
                words._("Readers visited {visits} times, {per_head} visits per head of the {population} people the library serves.").format(
                    visits=words.number(pa.visits), per_head=words.number(per_head, 2), population=words.number(pa.population)
                )
            )
    return sentences


def place_sentence(words: Words, report: PeriodReport) -> str:
    """How much of the lending happened away from the branch buildings."""
    c = report.circulation
    away = sum(r.loans for r in c.by_place if r.kind != "branch")
    if not c.loans or not away:
        return ""
    return words._("Reading points and the book van lent {loans} books, {share} of all loans.").format(
        loans=words.number(away), share=words.percent(away / c.loans)
    )


def turnover_sentence(words: Words, report: PeriodReport) -> str:
    ti = report.titles
    if ti.turnover is None:
        return words._("No copies are held yet, so there is no turnover to report.")
    key = (
        N_("Each copy held was lent {turnover} times on average, meeting the target of {target}.")
        if ti.turnover >= report.turnover_target
        else N_("Each copy held was lent {turnover} times on average, below the target of {target}.")
    )
    return words._(key).format(turnover=words.number(ti.turnover, 2), target=words.number(report.turnover_target, 2))


def weeding_sentence(words: Words, report: PeriodReport) -> str:
    ti = report.titles
    if not ti.weeding_count:
        return words._("Every title held for {years} years was borrowed in that time.").format(years=ti.weeding_years)
    return words._("{titles} titles were not borrowed for {years} years: candidates for weeding or for a display that wakes them up.").format(
        titles=words.number(ti.weeding_count), years=ti.weeding_years
    )


def card_return_sentence(words: Words, report: PeriodReport) -> str:
    pa = report.patrons
    if not pa.cards_returned:
        return ""
    top = pa.reasons[0]
    return words._("{cards} readers returned their cards; the reason given most was “{reason}” ({n}).").format(
        cards=words.number(pa.cards_returned), reason=words._(top.label), n=words.number(top.cards)
    )


def activity_sentence(words: Words, report: PeriodReport) -> str:
    ac, vo, do = report.activities, report.volunteers, report.donations
    parts = []
    if ac.activities:
        parts.append(
            words._("The library held {activities} reading activities with {participants} participants.").format(
                activities=words.number(ac.activities), participants=words.number(ac.participants)
            )
        )
    if vo.people:
        parts.append(
            words._("{people} volunteers gave {hours} hours.").format(people=words.number(vo.people), hours=words.hours(vo.minutes))
        )
    if do.books:
        parts.append(
            words._("{donors} donors gave {books} books; {added} were added to the collection.").format(
                donors=words.number(do.donors), books=words.number(do.books), added=words.number(do.accessioned)
            )
        )
    return "".join(parts) if words.chinese else " ".join(parts)


def target_label(words: Words, target: Target) -> str:
    return words.indicator(target.key)


def annual_title(words: Words, annual: AnnualReport) -> str:
    return words._("Annual Reading Report {year}").format(year=annual.year)
