"""A reader's own data, on request (PIPL art. 45): the PDF form of the export."""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from printing.fonts import cjk_font
from printing.page import styles


@dataclass
class ExportTable:
    title: str
    headers: list[str]
    rows: list[list[str]]
    empty_text: str = ""


@dataclass
class PersonalDataExport:
    """Plain, already translated text: a title, field/value pairs, then tables."""

    title: str
    subtitle: str
    fields: list[tuple[str, str]]
    tables: list[ExportTable] = field(default_factory=list)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_export_pdf(export: PersonalDataExport, out: Path | BytesIO) -> None:
    st = styles()
    font = cjk_font().name
    grid = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 9),
            ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    story = [Paragraph(_escape(export.title), st["title"]), Paragraph(_escape(export.subtitle), st["small"]), Spacer(1, 4 * mm)]
    cell = st["small"]
    story.append(
        Table(
            [[Paragraph(_escape(k), cell), Paragraph(_escape(v), cell)] for k, v in export.fields],
            colWidths=[45 * mm, 125 * mm],
            style=grid,
        )
    )
    for table in export.tables:
        story.append(Paragraph(_escape(table.title), st["heading"]))
        if not table.rows:
            story.append(Paragraph(_escape(table.empty_text), st["body"]))
            continue
        header_style = TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF4"))])
        data = [[Paragraph(_escape(h), cell) for h in table.headers]]
        data += [[Paragraph(_escape(v), cell) for v in row] for row in table.rows]
        t = Table(data, repeatRows=1, colWidths=[170 * mm / len(table.headers)] * len(table.headers), style=grid)
        t.setStyle(header_style)
        story.append(t)
    doc = SimpleDocTemplate(
        str(out) if isinstance(out, Path) else out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=export.title,
    )
    doc.build(story)
