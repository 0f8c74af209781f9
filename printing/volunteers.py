"""Volunteer printouts: the week's roster (A4 landscape), an hours statement and a
certificate of service (A4 portrait), each in the language asked for (zh_CN or en).

They take plain data; role names arrive as msgids (or as staff typed them) and are
translated here, in the printout's language, which may differ from the screen's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO
from pathlib import Path

from babel.dates import format_date as babel_format_date
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

from countylib.i18n import N_
from countylib.i18n import translator
from printing.page import styles

WEEKDAY_MSGIDS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def _date(value: dt.date, language: str, style: str = "medium") -> str:
    return babel_format_date(value, format=style, locale="zh_Hans_CN" if language == "zh_CN" else "en_GB")


def hours_text(minutes: int) -> str:
    """Minutes as hours with one decimal, halves rounded up as people expect (135 → 2.3)."""
    return str((Decimal(minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _styles(language: str) -> dict[str, ParagraphStyle]:
    """The base styles; CJK wrapping (a line may break anywhere) only for Chinese, so English
    words are not split mid-word."""
    if language == "zh_CN":
        return styles()
    return {name: ParagraphStyle(f"{name}-en", parent=style, wordWrap=None) for name, style in styles().items()}


def _doc(out: Path | BytesIO, title: str, *, pagesize=A4, margin_mm: float = 18) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        str(out) if isinstance(out, Path) else out,
        pagesize=pagesize,
        leftMargin=margin_mm * mm,
        rightMargin=margin_mm * mm,
        topMargin=margin_mm * mm,
        bottomMargin=margin_mm * mm,
        title=title,
    )


# -- the roster --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterShift:
    place_code: str
    day: dt.date
    starts: str  # "09:00"
    ends: str
    role: str  # msgid of a known skill, or as typed
    slots: int
    names: tuple[str, ...]
    needs_background_check: bool = False
    cancelled: bool = False

    @property
    def open(self) -> int:
        return 0 if self.cancelled else max(0, self.slots - len(self.names))


@dataclass
class RosterSheet:
    library: str
    branch: str
    monday: dt.date
    places: list[tuple[str, str]]  # (code, name) in the order to print
    shifts: list[RosterShift]
    printed_on: dt.date


def render_roster(sheet: RosterSheet, out: Path | BytesIO, language: str) -> None:
    _ = translator(language)
    st = _styles(language)
    cell = ParagraphStyle("cell", parent=st["small"], fontSize=8.5, leading=11)
    head = ParagraphStyle("head", parent=cell, fontSize=9, leading=11, textColor=colors.white)
    days = [sheet.monday + dt.timedelta(days=n) for n in range(7)]
    sunday = days[-1]
    title = _("Volunteer roster {start} – {end}").format(
        start=_date(sheet.monday, language), end=_date(sunday, language)
    )
    header = [Paragraph(escape(_("Place")), head)] + [
        Paragraph(f"{escape(_(WEEKDAY_MSGIDS[d.weekday()]))}<br/>{escape(_date(d, language, 'short'))}", head) for d in days
    ]
    rows = [header]
    open_total = 0
    for code, name in sheet.places:
        row = [Paragraph(escape(name), cell)]
        for d in days:
            parts = []
            for s in (x for x in sheet.shifts if x.place_code == code and x.day == d):
                open_total += s.open
                parts.append(_roster_cell_text(s, _))
            row.append(Paragraph("<br/><br/>".join(parts), cell))
        rows.append(row)
    usable = 297 - 2 * 12
    place_width = 33
    table = Table(rows, colWidths=[place_width * mm] + [(usable - place_width) / 7 * mm] * 7, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#35586f")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8a8a8a")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 1), (0, -1), colors.HexColor("#eef2f5")),
            ]
        )
    )
    story = [
        Paragraph(escape(f"{sheet.library} {sheet.branch}"), st["body"]),
        Paragraph(escape(title), st["heading"]),
        table,
        Spacer(1, 3 * mm),
        Paragraph(
            escape(
                _("Open places this week: {n}. * = background check needed (children's programme). Printed {date}.").format(
                    n=open_total, date=_date(sheet.printed_on, language)
                )
            ),
            st["small"],
        ),
    ]
    _doc(out, title, pagesize=landscape(A4), margin_mm=12).build(story)


def _roster_cell_text(s: RosterShift, _: Callable[[str], str]) -> str:
    """Times, role (* when a background check is needed), names, then open places or "full"."""
    role = (escape(_(s.role)) if s.role else "") + (" *" if s.needs_background_check else "")
    times = f'<font color="#35586f">{s.starts}–{s.ends}</font>'
    if s.cancelled:
        cancelled = escape(_("Cancelled"))
        return f"<strike>{times}</strike><br/>{cancelled}"
    lines = [times, role.strip(), escape("、".join(s.names))]
    if s.open:
        missing = escape(_("{n} open").format(n=s.open))
        lines.append(f'<font color="#b00020">{missing}</font>')
    else:
        lines.append(escape(_("full")))
    return "<br/>".join(line for line in lines if line)


# -- hours statement ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    day: dt.date
    place: str
    role: str  # msgid or as typed
    times: str  # "09:00–12:00"
    minutes: int


@dataclass
class HoursStatement:
    library: str
    branch: str
    volunteer: str
    id_masked: str
    start: dt.date
    end: dt.date
    lines: list[StatementLine]
    issued_on: dt.date

    @property
    def total_minutes(self) -> int:
        return sum(line.minutes for line in self.lines)


def render_hours_statement(statement: HoursStatement, out: Path | BytesIO, language: str) -> None:
    _ = translator(language)
    st = _styles(language)
    title = _("Volunteer hours statement")
    cell = st["small"]
    number = ParagraphStyle("number", parent=cell, alignment=2)
    rows = [[Paragraph(escape(_(h)), number if h == "Hours" else cell) for h in (N_("Date"), N_("Place"), N_("Task"), N_("Time"), N_("Hours"))]]
    for line in statement.lines:
        rows.append(
            [
                Paragraph(escape(_date(line.day, language)), cell),
                Paragraph(escape(line.place), cell),
                Paragraph(escape(_(line.role)) if line.role else "", cell),
                Paragraph(escape(line.times), cell),
                Paragraph(hours_text(line.minutes), number),
            ]
        )
    rows.append(
        [Paragraph(escape(_("Total")), cell), "", "", "", Paragraph(hours_text(statement.total_minutes), number)]
    )
    table = Table(rows, colWidths=[32 * mm, 50 * mm, 36 * mm, 36 * mm, 20 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    facts = _("Volunteer: {name}   ID: {id}").format(name=statement.volunteer, id=statement.id_masked or "—")
    period = _("Period: {start} to {end}").format(
        start=_date(statement.start, language), end=_date(statement.end, language)
    )
    total = _("{shifts} shifts, {hours} hours in all.").format(
        shifts=len(statement.lines), hours=hours_text(statement.total_minutes)
    )
    story = [
        Paragraph(escape(statement.library), st["body"]),
        Paragraph(escape(title), st["title"]),
        Paragraph(escape(facts), st["body"]),
        Paragraph(escape(period), st["body"]),
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 4 * mm),
        Paragraph(escape(total), st["body"]),
        Spacer(1, 10 * mm),
        Paragraph(escape(f"{statement.library} {statement.branch}"), st["body"]),
        Paragraph(escape(_date(statement.issued_on, language, "long")), st["body"]),
    ]
    _doc(out, title).build(story)


# -- certificate of service --------------------------------------------------------------------


@dataclass
class ServiceCertificate:
    library: str
    branch: str
    volunteer: str
    id_masked: str
    start: dt.date
    end: dt.date
    minutes: int
    shifts: int
    places: list[str]
    honours: list[tuple[int, str]] = field(default_factory=list)  # (year, title msgid)
    issued_on: dt.date = dt.date(1970, 1, 1)


def render_certificate(cert: ServiceCertificate, out: Path | BytesIO, language: str) -> None:
    _ = translator(language)
    st = _styles(language)
    title_style = ParagraphStyle("certtitle", parent=st["title"], fontSize=26, leading=36, alignment=1, spaceAfter=14)
    body = ParagraphStyle("certbody", parent=st["body"], fontSize=13, leading=22, firstLineIndent=26 if language == "zh_CN" else 0)
    right = ParagraphStyle("certright", parent=st["body"], fontSize=12, leading=20, alignment=2)
    title = _("Certificate of Volunteer Service")
    text = _(
        "This is to certify that {name} (ID {id}) served as a volunteer with {library} from {start} to {end}, "
        "giving {hours} hours of service over {shifts} shifts."
    ).format(
        name=cert.volunteer,
        id=cert.id_masked or "—",
        library=cert.library,
        start=_date(cert.start, language, "long"),
        end=_date(cert.end, language, "long"),
        hours=hours_text(cert.minutes),
        shifts=cert.shifts,
    )
    story = [Spacer(1, 20 * mm), Paragraph(escape(title), title_style), Spacer(1, 8 * mm), Paragraph(escape(text), body)]
    if cert.places:
        story.append(Paragraph(escape(_("Places served: {places}").format(places="、".join(cert.places))), body))
    for year, honour in cert.honours:
        story.append(Paragraph(escape(_("Named {title} for {year}.").format(title=_(honour), year=year)), body))
    story += [
        Spacer(1, 4 * mm),
        Paragraph(escape(_("Hereby certified, with our thanks.")), body),
        Spacer(1, 25 * mm),
        Paragraph(escape(f"{cert.library} {cert.branch}"), right),
        Paragraph(escape(_("(seal)")), right),
        Paragraph(escape(_date(cert.issued_on, language, "long")), right),
    ]
    _doc(out, title, margin_mm=25).build(story)
