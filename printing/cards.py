"""Library cards (读者证): ID-1 size, 85.6 × 54 mm, one per page for a card printer, or
A4 sheets of ten (two columns, five rows, thin cut lines) for an ordinary printer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from reportlab.graphics.barcode import code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from countylib.i18n import translator
from printing.fonts import cjk_font

CARD_W, CARD_H = 85.6 * mm, 54 * mm
COLUMNS, ROWS = 2, 5
PER_SHEET = COLUMNS * ROWS
BAR_HEIGHT = 12 * mm
BAR_WIDTH = 0.33 * mm
MAX_BARCODE_WIDTH = CARD_W - 10 * mm
BAND = colors.HexColor("#1F4E79")


@dataclass(frozen=True)
class CardFace:
    """What one card shows."""

    library_name: str
    patron_name: str
    card_number: str
    branch_name: str
    language: str  # the library's, whatever language the screen or the command line uses


def _fit(text: str, font: str, size: float, width: float) -> float:
    """The largest size ≤ ``size`` at which ``text`` fits ``width``."""
    while size > 5 and stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def draw_card(canvas: Canvas, card: CardFace, x: float, y: float, *, cut_lines: bool) -> None:
    """One card with its lower-left corner at (x, y)."""
    font = cjk_font().name
    if cut_lines:
        canvas.setStrokeColor(colors.lightgrey)
        canvas.setLineWidth(0.3)
        canvas.roundRect(x, y, CARD_W, CARD_H, 3 * mm)
    band_h = 11 * mm
    canvas.setFillColor(BAND)
    canvas.rect(x, y + CARD_H - band_h, CARD_W, band_h, stroke=0, fill=1)
    canvas.setFillColor(colors.white)
    title_size = _fit(card.library_name, font, 13, CARD_W - 8 * mm)
    canvas.setFont(font, title_size)
    canvas.drawCentredString(x + CARD_W / 2, y + CARD_H - band_h + (band_h - title_size * 0.7) / 2, card.library_name)

    canvas.setFillColor(colors.black)
    label = translator(card.language)("Library card")
    canvas.setFont(font, 8)
    canvas.drawString(x + 5 * mm, y + CARD_H - band_h - 5 * mm, label)
    if card.branch_name:
        canvas.drawRightString(x + CARD_W - 5 * mm, y + CARD_H - band_h - 5 * mm, card.branch_name)
    name_size = _fit(card.patron_name, font, 14, CARD_W - 10 * mm)
    canvas.setFont(font, name_size)
    canvas.drawString(x + 5 * mm, y + CARD_H - band_h - 12 * mm, card.patron_name)

    bar = code128.Code128(card.card_number, barHeight=BAR_HEIGHT, barWidth=BAR_WIDTH, humanReadable=False)
    if bar.width > MAX_BARCODE_WIDTH:  # long pre-printed numbers: narrower bars, still one line
        bar = code128.Code128(
            card.card_number,
            barHeight=BAR_HEIGHT,
            barWidth=BAR_WIDTH * MAX_BARCODE_WIDTH / bar.width,
            humanReadable=False,
        )
    bar.drawOn(canvas, x + (CARD_W - bar.width) / 2, y + 8.5 * mm)
    # The number under the bars, for staff to type when a scanner fails.
    canvas.setFont("Courier-Bold", _fit(card.card_number, "Courier-Bold", 10, MAX_BARCODE_WIDTH))
    canvas.drawCentredString(x + CARD_W / 2, y + 4.5 * mm, card.card_number)


def render_cards(cards: Sequence[CardFace], out: Path | BytesIO, *, sheet: bool = False) -> int:
    """Write the cards as a PDF; returns the number of pages."""
    if not cards:
        raise ValueError("no cards to print")
    target = str(out) if isinstance(out, Path) else out
    pages = 0
    if sheet:
        canvas = Canvas(target, pagesize=A4)
        page_w, page_h = A4
        left = (page_w - COLUMNS * CARD_W) / 2
        bottom = (page_h - ROWS * CARD_H) / 2
        for start in range(0, len(cards), PER_SHEET):
            for index, card in enumerate(cards[start : start + PER_SHEET]):
                row, column = divmod(index, COLUMNS)
                draw_card(canvas, card, left + column * CARD_W, bottom + (ROWS - 1 - row) * CARD_H, cut_lines=True)
            canvas.showPage()
            pages += 1
    else:
        canvas = Canvas(target, pagesize=(CARD_W, CARD_H))
        for card in cards:
            draw_card(canvas, card, 0, 0, cut_lines=False)
            canvas.showPage()
            pages += 1
    canvas.setTitle(translator(cards[0].language)("Library cards"))
    canvas.save()
    return pages
