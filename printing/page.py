"""The base of every printout: an A4 document with Chinese text, and Code128 barcodes."""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from reportlab.graphics.barcode import code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer

from printing.fonts import cjk_font


def styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles in the CJK font (CJK wrapping on: lines may break between any characters)."""
    font = cjk_font().name
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=15, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=body, fontSize=20, leading=28, spaceAfter=8),
        "heading": ParagraphStyle("heading", parent=body, fontSize=14, leading=20, spaceBefore=8, spaceAfter=4),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11),
    }


DIGITS_GAP_MM = 0.8  # between a barcode's digits and the bars above them
DIGITS_PT = 7


class _BarsAndDigits(Flowable):
    """Code128 bars with their digits under them, a clear gap apart, all within its height.

    reportlab's own digits touch the bars (a printer's bleed then joins them) and hang
    below the flowable, over whatever follows it.
    """

    def __init__(self, bars: code128.Code128, value: str) -> None:
        super().__init__()
        self.bars, self.value = bars, value
        self.width = bars.width
        self.height = bars.height + DIGITS_PT + DIGITS_GAP_MM * mm

    def draw(self) -> None:
        self.bars.drawOn(self.canv, 0, DIGITS_PT + DIGITS_GAP_MM * mm)
        self.canv.setFont("Helvetica", DIGITS_PT)
        self.canv.drawCentredString(self.width / 2, 0, self.value)


def barcode(value: str, *, bar_height_mm: float = 10, bar_width_mm: float = 0.33, human_readable: bool = True) -> Flowable:
    """A Code128 barcode flowable (what library card and item scanners read), with its digits."""
    bars = code128.Code128(value, barHeight=bar_height_mm * mm, barWidth=bar_width_mm * mm, humanReadable=False)
    return _BarsAndDigits(bars, value) if human_readable else bars


@dataclass
class Page:
    """Plain data for a simple A4 page: a title, paragraphs and optional barcodes."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    barcodes: list[str] = field(default_factory=list)


def render_page(page: Page, out: Path | BytesIO) -> None:
    st = styles()
    story: list[Flowable] = [Paragraph(page.title, st["title"])]
    for text in page.paragraphs:
        story.append(Paragraph(text, st["body"]))
        story.append(Spacer(1, 3 * mm))
    for value in page.barcodes:
        story.append(barcode(value))
        story.append(Spacer(1, 4 * mm))
    doc = SimpleDocTemplate(
        str(out) if isinstance(out, Path) else out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=page.title,
    )
    doc.build(story)
