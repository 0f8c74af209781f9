"""Printouts of the events area: the sign-in sheet (签到表) printed before an activity, the
attendance list afterwards, and the transfer list (调拨清单) that travels with a deposit collection.

Each takes plain data prepared by its service; headings are in the current language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from countylib.i18n import N_, _
from printing.fonts import cjk_font
from printing.page import styles

LEFT = RIGHT = 15 * mm
WIDTH = A4[0] - LEFT - RIGHT


@dataclass
class ActivityHeader:
    library: str
    title: str
    kind: str  # already in words: 讲座, Lecture
    when: str  # already formatted: 2026年11月28日 14:30–16:00
    place: str
    organiser: str = ""


@dataclass
class SignInRow:
    name: str
    card_number: str = ""
    phone: str = ""  # masked: 138****5678
    guardian: str = ""
    waitlisted: bool = False


@dataclass
class SignInSheet:
    header: ActivityHeader
    rows: list[SignInRow] = field(default_factory=list)
    blank_rows: int = 10  # for walk-ins at the door


@dataclass
class AttendanceRow:
    name: str
    card_number: str
    how: str  # "registered" / "walk-in", in words
    checked_in: str  # local time, formatted
    late: bool


@dataclass
class AttendanceSheet:
    header: ActivityHeader
    rows: list[AttendanceRow]
    figures: list[tuple[str, str]]  # (label, value) in words: headcount, no-shows, rate ...
    summary: str = ""
    archive_note: str = ""


@dataclass
class TransferLine:
    barcode: str
    title: str
    call_number: str


@dataclass
class TransferList:
    library: str
    branch: str
    destination: str
    destination_kind: str
    host_organisation: str
    contact: str
    sent_on: str
    sent_by: str
    reference: str
    note: str
    lines: list[TransferLine]


def _doc(out: Path | BytesIO, title: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        str(out) if isinstance(out, Path) else out,
        pagesize=A4,
        leftMargin=LEFT,
        rightMargin=RIGHT,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=title,
    )


def _table(head: list[str], body: list[list[str]], widths: list[float]) -> Table:
    """A ruled table whose cells wrap (names and titles can be long); the heading repeats per page."""
    st = styles()
    cell = st["small"]
    data = [[Paragraph(h, cell) for h in head]] + [[Paragraph(_escape(v), cell) for v in row] for row in body]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), cjk_font().name),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 1), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 1), (-1, -1), 5),
            ]
        )
    )
    return table


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _line(label: str, value: str) -> str:
    """'Label: value' as the language writes it (Chinese uses a full-width colon)."""
    return _("{label}: {value}").format(label=_(label), value=_escape(value))


def _header(header: ActivityHeader, heading: str) -> list[Flowable]:
    st = styles()
    lines = [
        _line(N_("Activity"), header.title),
        _line(N_("Type"), header.kind),
        _line(N_("Time"), header.when),
        _line(N_("Venue"), header.place),
    ]
    if header.organiser:
        lines.append(_line(N_("Organiser"), header.organiser))
    story: list[Flowable] = [
        Paragraph(_escape(header.library), st["body"]),
        Paragraph(heading, st["title"]),
    ]
    story += [Paragraph(line, st["body"]) for line in lines]
    story.append(Spacer(1, 4 * mm))
    return story


def render_sign_in_sheet(sheet: SignInSheet, out: Path | BytesIO) -> None:
    head = [_("No."), _("Name"), _("Card number"), _("Phone"), _("Guardian"), _("Signature")]
    widths = [w * WIDTH for w in (0.07, 0.18, 0.18, 0.17, 0.15, 0.25)]
    body = []
    for number, row in enumerate(sheet.rows, start=1):
        name = _("{name} (waitlist)").format(name=row.name) if row.waitlisted else row.name
        body.append([str(number), name, row.card_number, row.phone, row.guardian, ""])
    start = len(body) + 1
    body += [[str(n), "", "", "", "", ""] for n in range(start, start + sheet.blank_rows)]
    story = _header(sheet.header, _("Sign-in sheet"))
    story.append(_table(head, body, widths))
    _doc(out, _("Sign-in sheet")).build(story)


def render_attendance_sheet(sheet: AttendanceSheet, out: Path | BytesIO) -> None:
    st = styles()
    story = _header(sheet.header, _("Attendance list"))
    story.append(Paragraph(" · ".join(f"{label}: {value}" for label, value in sheet.figures), st["body"]))
    story.append(Spacer(1, 3 * mm))
    head = [_("No."), _("Name"), _("Card number"), _("Came as"), _("Checked in"), _("Late")]
    widths = [w * WIDTH for w in (0.07, 0.23, 0.2, 0.16, 0.2, 0.14)]
    body = [
        [str(n), row.name, row.card_number, row.how, row.checked_in, _("late") if row.late else ""]
        for n, row in enumerate(sheet.rows, start=1)
    ]
    story.append(_table(head, body, widths))
    for label, text in ((_("Summary"), sheet.summary), (_("Archive note"), sheet.archive_note)):
        if text.strip():
            story.append(Paragraph(label, st["heading"]))
            story.append(Paragraph(_escape(text).replace("\n", "<br/>"), st["body"]))
    _doc(out, _("Attendance list")).build(story)


def render_transfer_list(transfer: TransferList, out: Path | BytesIO) -> None:
    st = styles()
    story: list[Flowable] = [
        Paragraph(_escape(f"{transfer.library} · {transfer.branch}"), st["body"]),
        Paragraph(_("Deposit collection transfer list"), st["title"]),
        Paragraph(_line(N_("Destination"), f"{transfer.destination} ({transfer.destination_kind})"), st["body"]),
    ]
    if transfer.host_organisation:
        story.append(Paragraph(_line(N_("Host organisation"), transfer.host_organisation), st["body"]))
    if transfer.contact:
        story.append(Paragraph(_line(N_("Contact"), transfer.contact), st["body"]))
    story.append(Paragraph(_line(N_("Sent on"), transfer.sent_on) + " · " + _line(N_("Sent by"), transfer.sent_by), st["body"]))
    story.append(Paragraph(_line(N_("Reference"), transfer.reference), st["body"]))
    if transfer.note:
        story.append(Paragraph(_line(N_("Note"), transfer.note), st["body"]))
    story.append(Spacer(1, 4 * mm))
    head = [_("No."), _("Barcode"), _("Title"), _("Call number"), _("Returned")]
    widths = [w * WIDTH for w in (0.07, 0.2, 0.45, 0.18, 0.1)]
    body = [[str(n), line.barcode, line.title, line.call_number, ""] for n, line in enumerate(transfer.lines, start=1)]
    story.append(_table(head, body, widths))
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph(_("{count} items in total.").format(count=len(transfer.lines)), st["body"]))
    story.append(Spacer(1, 10 * mm))
    blank = "_" * 14
    sign_off = [_line(N_("Handed over by"), blank), _line(N_("Received by"), blank), _line(N_("Date"), blank)]
    story.append(Paragraph(" &nbsp;&nbsp;&nbsp; ".join(sign_off), st["body"]))
    _doc(out, _("Deposit collection transfer list")).build(story)
