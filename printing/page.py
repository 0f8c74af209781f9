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


def barcode(value: str, *, bar_height_mm: float = 10, bar_width_mm: float = 0.33, human_readable: bool = True) -> Flowable:
    """A Code128 barcode flowable (what library card and item scanners read)."""
    return code128.Code128(
        value, barHeight=bar_height_mm * mm, barWidth=bar_width_mm * mm, humanReadable=human_readable
    )


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
