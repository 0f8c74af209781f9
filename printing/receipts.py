"""Desk slips: the loan receipt a reader takes home, and the hold slip tucked into a reserved book.

Three papers: 80 mm and 58 mm thermal rolls (the page is as long as the text) and A4. The
card number is masked: a receipt left in a book should not give a stranger the card.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, HRFlowable, Paragraph, SimpleDocTemplate, Spacer

from countylib.i18n import _, format_date
from printing.page import barcode, styles
from printing.slips import HoldSlip, Receipt, mask_card

PAPERS = ("80mm", "58mm", "a4")


@dataclass(frozen=True)
class _Paper:
    width: float
    margin: float
    font_size: float
    a4: bool = False


def _paper(name: str) -> _Paper:
    if name == "58mm":
        return _Paper(58 * mm, 2.5 * mm, 8)
    if name == "a4":
        return _Paper(A4[0], 20 * mm, 10.5, a4=True)
    if name == "80mm":
        return _Paper(80 * mm, 4 * mm, 9)
    raise ValueError(f"unknown paper {name!r}; one of {', '.join(PAPERS)}")


def _styles(paper: _Paper) -> dict[str, ParagraphStyle]:
    base = styles()
    size = paper.font_size
    body = ParagraphStyle("r-body", parent=base["body"], fontSize=size, leading=size * 1.35)
    return {
        "title": ParagraphStyle("r-title", parent=body, fontSize=size * 1.5, leading=size * 2, alignment=TA_CENTER),
        "centre": ParagraphStyle("r-centre", parent=body, alignment=TA_CENTER),
        "body": body,
        "item": ParagraphStyle("r-item", parent=body, fontSize=size * 1.05, leading=size * 1.45, spaceBefore=size * 0.4),
        "small": ParagraphStyle("r-small", parent=body, fontSize=size * 0.85, leading=size * 1.15),
    }


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _build(story: list[Flowable], paper: _Paper, out: Path | BytesIO, title: str) -> None:
    target = str(out) if isinstance(out, Path) else out
    if paper.a4:
        doc = SimpleDocTemplate(target, pagesize=A4, leftMargin=paper.margin, rightMargin=paper.margin,
                                topMargin=paper.margin, bottomMargin=paper.margin, title=title)
        doc.build(story)
        return
    # A roll: one page exactly as long as the text, so the printer cuts where the slip ends.
    padding = 6  # SimpleDocTemplate's frame pads each side by 6 pt
    frame_width = paper.width - 2 * paper.margin - 2 * padding
    height = sum(f.wrap(frame_width, 10_000)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in story)
    height += 2 * paper.margin + 2 * padding + 2
    doc = SimpleDocTemplate(target, pagesize=(paper.width, height), leftMargin=paper.margin, rightMargin=paper.margin,
                            topMargin=paper.margin, bottomMargin=paper.margin, title=title)
    doc.build(story)


def _rule() -> HRFlowable:
    return HRFlowable(width="100%", thickness=0.5, dash=(2, 2), spaceBefore=2, spaceAfter=2)


def render_receipt(receipt: Receipt, out: Path | BytesIO, paper: str = "80mm") -> None:
    """A loan (and renewal) receipt: what was taken, when each is due."""
    spec = _paper(paper)
    st = _styles(spec)
    story: list[Flowable] = [
        Paragraph(_escape(receipt.library_name), st["title"]),
        Paragraph(_escape(receipt.location_name), st["centre"]),
        Paragraph(_("Loan receipt"), st["centre"]),
        _rule(),
        Paragraph(_("Reader: {name}").format(name=_escape(receipt.patron_name)), st["body"]),
        Paragraph(_("Card: {card}").format(card=mask_card(receipt.card_number)), st["body"]),
        _rule(),
    ]
    for line in receipt.lines:
        story.append(Paragraph(_escape(line.title), st["item"]))
        due = _("Due {date}").format(date=format_date(line.due_date))
        if line.renewed:
            due = _("Renewed, due {date}").format(date=format_date(line.due_date))
        story.append(Paragraph(_escape(line.barcode), st["small"]))
        story.append(Paragraph(f"<b>{due}</b>", st["body"]))
    story += [
        _rule(),
        Paragraph(_("Items on this receipt: {n}").format(n=len(receipt.lines)), st["body"]),
        Paragraph(_("Items on loan now: {n}").format(n=receipt.loans_total), st["body"]),
        Spacer(1, 2 * mm),
        Paragraph(_("Please return or renew by the due date. Thank you for reading!"), st["small"]),
        Paragraph(f"{format_date(receipt.printed_at.date())} {receipt.printed_at:%H:%M}", st["small"]),
    ]
    _build(story, spec, out, _("Loan receipt"))


def render_hold_slip(slip: HoldSlip, out: Path | BytesIO, paper: str = "80mm") -> None:
    """The slip that goes into a reserved copy on the hold shelf."""
    spec = _paper(paper)
    st = _styles(spec)
    story: list[Flowable] = [
        Paragraph(_("Reserved"), st["title"]),
        Paragraph(_escape(slip.patron_name), ParagraphStyle("r-name", parent=st["title"], fontSize=spec.font_size * 2, leading=spec.font_size * 2.6)),
        Paragraph(_("Card: {card}").format(card=mask_card(slip.card_number)), st["centre"]),
        _rule(),
        Paragraph(_escape(slip.title), st["item"]),
        Paragraph(f"{_escape(slip.call_number)} · {_escape(slip.barcode)}", st["body"]),
    ]
    if slip.expires_on is not None:
        story.append(Paragraph(_("Collect by {date}").format(date=format_date(slip.expires_on)), st["item"]))
    story += [
        _rule(),
        Paragraph(_("Pick up at: {place}").format(place=_escape(slip.location_name)), st["body"]),
        Spacer(1, 1 * mm),
        barcode(slip.barcode, bar_height_mm=8, bar_width_mm=0.25 if spec.width < 60 * mm else 0.3),
        Spacer(1, 2 * mm),
        Paragraph(f"{_escape(slip.library_name)} · {format_date(slip.printed_at.date())}", st["small"]),
    ]
    _build(story, spec, out, _("Reserved"))
