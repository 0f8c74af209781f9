"""The donation certificate (捐赠证书) given to a donor: who, when, how many books, which.

Its wording is a document in the donor's language (Chinese by default, English on
request), not interface text, so it does not follow the desk's current language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from printing.page import styles


@dataclass(frozen=True)
class CertificateBook:
    title: str
    author: str = ""


@dataclass(frozen=True)
class Certificate:
    library_name: str
    donor_name: str
    received_on: dt.date
    books: list[CertificateBook] = field(default_factory=list)
    number: str = ""
    issued_on: dt.date | None = None
    language: str = "zh_CN"  # zh_CN | en

    @property
    def count(self) -> int:
        return len(self.books)


_WORDING = {
    "zh_CN": {
        "title": "捐 赠 证 书",
        "number": "证书编号：{number}",
        "salutation": "{donor}：",
        "body": "承蒙您于{date}向本馆慷慨捐赠图书{count}册，充实了馆藏，惠及广大读者。"
        "您的善举令人敬佩，特颁此证，谨致诚挚的谢意！",
        "list": "捐赠图书清单",
        "columns": ("序号", "书名", "著者"),
        "date": "{d.year}年{d.month}月{d.day}日",
    },
    "en": {
        "title": "Certificate of Donation",
        "number": "Certificate no. {number}",
        "salutation": "Dear {donor},",
        "body": "On {date} you generously gave {count} books to our library. They enrich our "
        "collection and will be read by many. With this certificate we thank you most sincerely.",
        "body_one": "On {date} you generously gave a book to our library. It enriches our "
        "collection and will be read by many. With this certificate we thank you most sincerely.",
        "list": "Books donated",
        "columns": ("No.", "Title", "Author"),
        "date": "{d.day} {month} {d.year}",
    },
}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def _date(value: dt.date, language: str) -> str:
    return _WORDING[language]["date"].format(d=value, month=_MONTHS[value.month - 1])


def _border(canvas, doc) -> None:
    """A double frame on every page: the certificate look, and the list's pages match it."""
    width, height = A4
    canvas.saveState()
    canvas.setStrokeColor(colors.HexColor("#9b1c1c"))
    canvas.setLineWidth(2.2)
    canvas.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
    canvas.setLineWidth(0.6)
    canvas.rect(13 * mm, 13 * mm, width - 26 * mm, height - 26 * mm)
    canvas.restoreState()


def render_certificate(certificate: Certificate, out: Path | BytesIO) -> None:
    words = _WORDING["en" if certificate.language == "en" else "zh_CN"]
    language = "en" if certificate.language == "en" else "zh_CN"
    st = styles()
    title = ParagraphStyle("cert-title", parent=st["title"], fontSize=30, leading=40, alignment=TA_CENTER,
                           textColor=colors.HexColor("#9b1c1c"), spaceAfter=4 * mm)
    body = ParagraphStyle("cert-body", parent=st["body"], fontSize=14, leading=26, firstLineIndent=28 if language == "zh_CN" else 0)
    right = ParagraphStyle("cert-right", parent=st["body"], fontSize=13, leading=20, alignment=TA_RIGHT)
    small_right = ParagraphStyle("cert-number", parent=st["small"], alignment=TA_RIGHT)
    cell = ParagraphStyle("cert-cell", parent=st["body"], fontSize=10, leading=13)

    story = [Spacer(1, 8 * mm), Paragraph(escape(words["title"]), title)]
    if certificate.number:
        story.append(Paragraph(escape(words["number"].format(number=certificate.number)), small_right))
    story += [
        Spacer(1, 8 * mm),
        Paragraph(escape(words["salutation"].format(donor=certificate.donor_name)),
                  ParagraphStyle("cert-salutation", parent=body, firstLineIndent=0)),
        Paragraph(
            escape(
                words["body_one" if certificate.count == 1 and "body_one" in words else "body"].format(
                    date=_date(certificate.received_on, language), count=certificate.count
                )
            ),
            body,
        ),
        Spacer(1, 12 * mm),
        Paragraph(escape(certificate.library_name), right),
        Paragraph(escape(_date(certificate.issued_on or certificate.received_on, language)), right),
    ]
    if certificate.books:
        rows = [[Paragraph(escape(h), cell) for h in words["columns"]]]
        rows += [
            [Paragraph(str(n), cell), Paragraph(escape(b.title), cell), Paragraph(escape(b.author), cell)]
            for n, b in enumerate(certificate.books, 1)
        ]
        table = Table(rows, colWidths=[12 * mm, 100 * mm, 50 * mm], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3e8e8")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story += [Spacer(1, 12 * mm), Paragraph(escape(words["list"]), st["heading"]), table]
    doc = SimpleDocTemplate(
        str(out) if isinstance(out, Path) else out,
        pagesize=A4,
        leftMargin=24 * mm,
        rightMargin=24 * mm,
        topMargin=24 * mm,
        bottomMargin=24 * mm,
        title=words["title"].replace(" ", ""),
    )
    doc.build(story, onFirstPage=_border, onLaterPages=_border)
