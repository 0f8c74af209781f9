"""Overdue notices (催还单): one A4 page per reader, for readers the desk cannot reach by phone.

Village staff or the van hand them out, so each page stands alone: who it is for (with
address and phone), what is overdue since when, where to bring it back, and a tear-off
strip the reader can return with the books.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, HRFlowable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from countylib.i18n import _, format_date, ngettext
from printing.page import styles
from printing.slips import NoticeBatch, NoticeItem, OverdueNotice, mask_card


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _items_table(items: list[NoticeItem], st: dict[str, ParagraphStyle]) -> Table:
    head = [Paragraph(f"<b>{text}</b>", st["body"]) for text in (_("Title"), _("Barcode"), _("Due"), _("Days overdue"))]
    rows = [head] + [
        [
            Paragraph(_escape(item.title) + (f"<br/><font size=8>{_escape(item.call_number)}</font>" if item.call_number else ""), st["body"]),
            Paragraph(_escape(item.barcode), st["body"]),
            Paragraph(format_date(item.due_date), st["body"]),
            Paragraph(str(item.days_overdue), st["body"]),
        ]
        for item in items
    ]
    table = Table(rows, colWidths=[80 * mm, 35 * mm, 35 * mm, 20 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _notice(batch: NoticeBatch, notice: OverdueNotice, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    count = len(notice.items)
    most = max(item.days_overdue for item in notice.items)
    story: list[Flowable] = [
        Paragraph(_escape(batch.library_name), st["heading"]),
        Paragraph(_("Overdue notice"), st["title"]),
        Paragraph(_("To: {name} (card {card})").format(name=_escape(notice.patron_name), card=mask_card(notice.card_number)), st["body"]),
    ]
    if notice.address:
        story.append(Paragraph(_("Address: {address}").format(address=_escape(notice.address)), st["body"]))
    if notice.phone:
        story.append(Paragraph(_("Phone: {phone}").format(phone=_escape(notice.phone)), st["body"]))
    story += [
        Spacer(1, 5 * mm),
        Paragraph(_("Dear {name},").format(name=_escape(notice.patron_name)), st["body"]),
        Paragraph(
            ngettext(
                "Our records show {n} item borrowed from the library is overdue (the longest by {days} days):",
                "Our records show {n} items borrowed from the library are overdue (the longest by {days} days):",
                count,
            ).format(n=count, days=most),
            st["body"],
        ),
        Spacer(1, 3 * mm),
        _items_table(notice.items, st),
        Spacer(1, 5 * mm),
        Paragraph(
            _("Please bring them back to {place} or to the book van, or ask at the desk to renew them. "
              "If you have already returned them, please ignore this notice. Thank you.").format(place=_escape(batch.location_name)),
            st["body"],
        ),
        Spacer(1, 6 * mm),
        Paragraph(f"{_escape(batch.library_name)} · {format_date(batch.printed_on)}", st["body"]),
        Spacer(1, 25 * mm),
        HRFlowable(width="100%", thickness=0.5, dash=(3, 3)),
        Paragraph(_("Tear off and hand in with the books"), st["small"]),
        Paragraph(
            _("{name} · card {card} · {n} item(s): {barcodes}").format(
                name=_escape(notice.patron_name),
                card=mask_card(notice.card_number),
                n=count,
                barcodes=", ".join(_escape(item.barcode) for item in notice.items),
            ),
            st["body"],
        ),
    ]
    return story


def render_overdue_notices(batch: NoticeBatch, out: Path | BytesIO) -> int:
    """Write the notices, one reader a page (a long list runs over); returns how many."""
    st = styles()
    story: list[Flowable] = []
    for index, notice in enumerate(batch.notices):
        if index:
            story.append(PageBreak())
        story += _notice(batch, notice, st)
    doc = SimpleDocTemplate(
        str(out) if isinstance(out, Path) else out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=_("Overdue notice"),
    )
    doc.build(story)
    return len(batch.notices)
