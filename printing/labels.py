"""Spine and barcode labels on sheets or a thermal roll, measured in millimetres.

A template describes the stock: page size, columns × rows, label size, gaps between
labels and the page margins. Printers and sheets never agree exactly, so every print
takes an x/y offset (mm; + moves the print right / down), printed on a calibration page
first; a half-used sheet starts at label N; a thermal label printer gets one label per
page (the page is the label).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from io import BytesIO
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from countylib.i18n import N_, _
from printing.fonts import cjk_font
from printing.page import DIGITS_GAP_MM, barcode

PADDING_MM = 1.5
MAX_BAR_WIDTH_MM = 0.33


class LabelLayoutError(ValueError):
    """A template or option that cannot be printed (labels off the page, start beyond the sheet)."""


@dataclass(frozen=True)
class LabelTemplate:
    name: str
    description: str  # msgid
    page_width_mm: float
    page_height_mm: float
    columns: int
    rows: int
    label_width_mm: float
    label_height_mm: float
    gap_x_mm: float = 0.0
    gap_y_mm: float = 0.0
    margin_left_mm: float = 0.0
    margin_top_mm: float = 0.0

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def check(self) -> None:
        if self.columns < 1 or self.rows < 1 or self.label_width_mm <= 0 or self.label_height_mm <= 0:
            raise LabelLayoutError(f"{self.name}: columns, rows and label size must be positive")
        right = self.margin_left_mm + self.columns * self.label_width_mm + (self.columns - 1) * self.gap_x_mm
        bottom = self.margin_top_mm + self.rows * self.label_height_mm + (self.rows - 1) * self.gap_y_mm
        if right > self.page_width_mm + 0.01 or bottom > self.page_height_mm + 0.01:
            raise LabelLayoutError(
                f"{self.name}: the labels need {right:.1f} × {bottom:.1f} mm, "
                f"the page is {self.page_width_mm:g} × {self.page_height_mm:g} mm"
            )

    def slot_origin_mm(self, slot: int) -> tuple[float, float]:
        """Top-left corner of a slot (0 = top left, across then down), from the page's top left."""
        row, column = divmod(slot, self.columns)
        return (
            self.margin_left_mm + column * (self.label_width_mm + self.gap_x_mm),
            self.margin_top_mm + row * (self.label_height_mm + self.gap_y_mm),
        )

    def one_per_page(self) -> LabelTemplate:
        """The same label, alone on a page its own size (thermal label printers)."""
        return replace(
            self,
            page_width_mm=self.label_width_mm,
            page_height_mm=self.label_height_mm,
            columns=1,
            rows=1,
            gap_x_mm=0,
            gap_y_mm=0,
            margin_left_mm=0,
            margin_top_mm=0,
        )


TEMPLATES: dict[str, LabelTemplate] = {
    t.name: t
    for t in (
        LabelTemplate("a4-3x8", N_("A4, 3 × 8, 70 × 36 mm"), 210, 297, 3, 8, 70, 36, margin_top_mm=4.5),
        LabelTemplate("a4-4x10", N_("A4, 4 × 10, 48.5 × 25.4 mm"), 210, 297, 4, 10, 48.5, 25.4, 0, 0, 8, 21.5),
        LabelTemplate("a4-5x13", N_("A4, 5 × 13, 38.1 × 21.2 mm"), 210, 297, 5, 13, 38.1, 21.2, 2.5, 0, 4.75, 10.7),
        LabelTemplate("thermal-50x30", N_("Thermal roll, 50 × 30 mm, one per page"), 50, 30, 1, 1, 50, 30),
        LabelTemplate("thermal-40x60", N_("Thermal roll, 40 × 60 mm, one per page"), 40, 60, 1, 1, 40, 60),
    )
}
DEFAULT_TEMPLATE = "a4-3x8"


@dataclass(frozen=True)
class SpineLabel:
    """The call number on two lines, class over 书次号: I247.5 / 12."""

    call_number: str
    library_name: str = ""

    @property
    def lines(self) -> tuple[str, str]:
        clc_class, _sep, book_number = self.call_number.partition("/")
        return clc_class.strip(), book_number.strip()


@dataclass(frozen=True)
class BarcodeLabel:
    barcode: str
    library_name: str
    title: str = ""
    call_number: str = ""


Label = SpineLabel | BarcodeLabel


@dataclass(frozen=True)
class LabelPrint:
    """Where the labels go: the stock, the offset that makes them land, the first free label."""

    template: LabelTemplate
    offset_x_mm: float = 0.0
    offset_y_mm: float = 0.0
    start_at: int = 1  # 1-based: the first unused label on a half-used sheet
    one_per_page: bool = False

    def layout(self) -> LabelTemplate:
        template = self.template.one_per_page() if self.one_per_page else self.template
        template.check()
        if not 1 <= self.start_at <= template.per_page:
            raise LabelLayoutError(f"start at label 1 to {template.per_page} on {template.name}, not {self.start_at}")
        return template


def _fit_font(text: str, font: str, width: float, largest: float) -> float:
    size = largest
    while size > 4 and stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _draw_spine(c: Canvas, label: SpineLabel, x: float, y: float, w: float, h: float) -> None:
    font = cjk_font().name
    pad = PADDING_MM * mm
    top = y + h
    if label.library_name and h >= 28 * mm:
        small = _fit_font(label.library_name, font, w - 2 * pad, 7)
        c.setFont(font, small)
        c.drawCentredString(x + w / 2, top - pad - small, label.library_name)
        top -= small + 1.5 * mm
    first, second = label.lines
    lines = [line for line in (first, second) if line]
    line_h = min((top - y - 2 * pad) / max(len(lines), 1), 12 * mm)
    size = min(_fit_font(line, font, w - 2 * pad, line_h / 1.25) for line in lines) if lines else 8
    block = len(lines) * size * 1.25
    baseline = y + (top - y) / 2 + block / 2 - size
    for line in lines:
        c.setFont(font, size)
        c.drawCentredString(x + w / 2, baseline, line)
        baseline -= size * 1.25


def _draw_barcode(c: Canvas, label: BarcodeLabel, x: float, y: float, w: float, h: float) -> None:
    font = cjk_font().name
    pad = PADDING_MM * mm
    top = y + h - pad
    if label.library_name:
        size = _fit_font(label.library_name, font, w - 2 * pad, min(8, h / mm / 4))
        c.setFont(font, size)
        c.drawCentredString(x + w / 2, top - size, label.library_name)
        top -= size + 1 * mm
    caption = " ".join(part for part in (label.call_number, label.title) if part)
    caption_size = min(6.5, h / mm / 5) if caption else 0
    bottom = y + pad + (caption_size + 0.5 * mm if caption else 0)
    # Bars: as wide as fit (quiet zones may run into the padding, which is blank anyway),
    # as tall as the space left under the name, less the digits printed under them.
    probe = barcode(label.barcode, bar_width_mm=MAX_BAR_WIDTH_MM, human_readable=False)
    modules_mm = (probe.width - 2 * probe.lquiet) / mm / MAX_BAR_WIDTH_MM
    bar_width = min(MAX_BAR_WIDTH_MM, (w - 2 * pad) / mm / modules_mm)
    # The digits under the bars are drawn here rather than by reportlab, whose digits touch
    # the bars: a clear gap keeps both readable when the printer bleeds.
    digits_size = 7 if h >= 25 * mm else 6
    digits_room = digits_size + DIGITS_GAP_MM * mm
    bar_height = max(3.0, (top - bottom - digits_room) / mm - 0.5)
    flow = barcode(label.barcode, bar_width_mm=bar_width, bar_height_mm=bar_height, human_readable=False)
    flow.wrapOn(c, w, h)
    flow.drawOn(c, x + (w - flow.width) / 2, bottom + digits_room)
    c.setFont("Helvetica", digits_size)
    c.drawCentredString(x + w / 2, bottom, label.barcode)
    if caption:
        text = caption
        while text and stringWidth(text, font, caption_size) > w - 2 * pad:
            text = text[:-1]
        c.setFont(font, caption_size)
        c.drawCentredString(x + w / 2, y + pad, text)


def _slots(template: LabelTemplate, start_at: int, count: int) -> Iterable[tuple[int, int]]:
    """(page, slot) for each label, the first page starting at label ``start_at``."""
    position = start_at - 1
    for _index in range(count):
        yield divmod(position, template.per_page)
        position += 1


def _slot_rect(template: LabelTemplate, slot: int, setup: LabelPrint) -> tuple[float, float, float, float]:
    left_mm, top_mm = template.slot_origin_mm(slot)
    x = (left_mm + setup.offset_x_mm) * mm
    y = (template.page_height_mm - top_mm - template.label_height_mm - setup.offset_y_mm) * mm
    return x, y, template.label_width_mm * mm, template.label_height_mm * mm


def render_labels(labels: Sequence[Label], setup: LabelPrint, out: Path | BytesIO) -> int:
    """Write the labels as a PDF; returns the number of pages."""
    template = setup.layout()
    c = Canvas(str(out) if isinstance(out, Path) else out, pagesize=(template.page_width_mm * mm, template.page_height_mm * mm))
    c.setTitle(_("Labels"))
    page = 0
    for label, (label_page, slot) in zip(labels, _slots(template, setup.start_at, len(labels)), strict=True):
        if label_page != page:
            c.showPage()
            page = label_page
        x, y, w, h = _slot_rect(template, slot, setup)
        if isinstance(label, SpineLabel):
            _draw_spine(c, label, x, y, w, h)
        else:
            _draw_barcode(c, label, x, y, w, h)
    c.showPage()
    c.save()
    return page + 1


def render_calibration(setup: LabelPrint, out: Path | BytesIO) -> None:
    """A page with every label outlined and numbered, a centre cross in each and rulers, to
    print on plain paper and hold against a sheet of labels; then a page saying how."""
    template = setup.layout()
    width, height = template.page_width_mm * mm, template.page_height_mm * mm
    c = Canvas(str(out) if isinstance(out, Path) else out, pagesize=(width, height))
    c.setTitle(_("Label calibration"))
    font = cjk_font().name
    c.setLineWidth(0.25)
    for slot in range(template.per_page):
        x, y, w, h = _slot_rect(template, slot, setup)
        c.rect(x, y, w, h)
        cx, cy = x + w / 2, y + h / 2
        c.line(cx - 2 * mm, cy, cx + 2 * mm, cy)
        c.line(cx, cy - 2 * mm, cx, cy + 2 * mm)
        c.setFont(font, min(8, h / mm / 3))
        c.drawString(x + 1 * mm, y + h - 3.5 * mm, str(slot + 1))
    # Millimetre rulers along the top and left edges, unshifted: they measure the paper.
    c.setFont(font, 5)
    for position in range(0, int(template.page_width_mm) + 1):
        tick = 3 if position % 10 == 0 else 1.5 if position % 5 == 0 else 0.8
        c.line(position * mm, height, position * mm, height - tick * mm)
        if position % 10 == 0 and position:
            c.drawCentredString(position * mm, height - 5.5 * mm, str(position))
    for position in range(0, int(template.page_height_mm) + 1):
        tick = 3 if position % 10 == 0 else 1.5 if position % 5 == 0 else 0.8
        c.line(0, height - position * mm, tick * mm, height - position * mm)
        if position % 10 == 0 and position:
            c.drawString(3.5 * mm, height - position * mm - 1.5, str(position))
    c.showPage()
    # The instructions go on a page of their own so they hide no label on the first.
    lines = [
        _("Label calibration: {template} ({description})").format(
            template=template.name, description=_(template.description)
        ),
        _("Offset now: x {x} mm, y {y} mm.").format(x=f"{setup.offset_x_mm:g}", y=f"{setup.offset_y_mm:g}"),
        _("Print the first page at 100% (no 'fit to page') on plain paper and hold it against a label sheet to the light."),
        _("Boxes left of the labels: raise x by the gap in mm; boxes above the labels: raise y."),
        _("Boxes right of or below the labels: lower x or y. Then print the calibration page again."),
    ]
    size = min(9.0, height / mm / 8)
    y_text = height - 8 * mm - size
    for line in lines:
        c.setFont(font, _fit_font(line, font, width - 8 * mm, size))
        c.drawString(4 * mm, y_text, line)
        y_text -= size * 1.5
    c.showPage()
    c.save()
