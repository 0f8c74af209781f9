"""The annual reading report (阅读年报) and the period report, as designed A4 documents.

The annual report is something a library publishes: a cover, the year's figures at a glance,
charts (bar and pie, drawn with reportlab.graphics), the tables, sentences that read the
numbers, and a page of targets for next year. It is written in the report's language (Chinese
by default), whatever language the desk shows. The period report (daily, monthly, any range)
is the same figures plainly: figures, tables, no cover.

Both take plain data (``countylib.report_data``) and never query the database.
"""

from __future__ import annotations

import random
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from countylib.report_data import AnnualReport, PeriodReport
from countylib.report_text import (
    Num,
    Pct,
    Words,
    activity_sentence,
    annual_title,
    card_return_sentence,
    change_text,
    class_sentence,
    overview_sentences,
    period_text,
    place_sentence,
    report_tables,
    target_label,
    turnover_sentence,
    weeding_sentence,
)
from countylib.report_text import Table as ReportTable
from printing.fonts import cjk_font

PAGE_W, PAGE_H = A4
MARGIN = 18 * mm
TEXT_W = PAGE_W - 2 * MARGIN

INK = colors.HexColor("#1f2a2e")
MUTED = colors.HexColor("#66706f")
TEAL = colors.HexColor("#1f5f5b")
DEEP = colors.HexColor("#143f3c")
GOLD = colors.HexColor("#e0a526")
PAPER = colors.HexColor("#f6f3ea")
MIST = colors.HexColor("#e3eeeb")
RULE = colors.HexColor("#c9d6d3")
UP = colors.HexColor("#2e7d4f")
DOWN = colors.HexColor("#b2452f")
SERIES = [colors.HexColor(c) for c in ("#1f5f5b", "#e0a526", "#4f9d8f", "#c8553d", "#7a8cc2", "#8fb996", "#d9a7a0", "#9aa5a3")]

WEEDING_SHOWN = 15
PIE_SLICES = 6


# -- styles ---------------------------------------------------------------------------------------


class Look:
    """Paragraph styles for one language: Chinese may break a line anywhere, English at spaces."""

    def __init__(self, words: Words) -> None:
        font = cjk_font().name
        self.font = font
        wrap = "CJK" if words.chinese else None
        base = ParagraphStyle("rb", fontName=font, fontSize=10.5, leading=17, textColor=INK, wordWrap=wrap)
        self.body = base
        self.lead = ParagraphStyle("rl", parent=base, fontSize=11.5, leading=19, spaceAfter=6)
        self.h1 = ParagraphStyle("rh1", parent=base, fontSize=20, leading=26, textColor=TEAL, spaceAfter=2)
        self.h2 = ParagraphStyle("rh2", parent=base, fontSize=13, leading=18, textColor=DEEP, spaceBefore=10, spaceAfter=4)
        self.note = ParagraphStyle("rn", parent=base, fontSize=8.5, leading=12, textColor=MUTED)
        # Table cells hold titles and place names, mostly Chinese: they may break anywhere.
        self.cell = ParagraphStyle("rc", parent=base, fontSize=8.5, leading=11.5, wordWrap="CJK")
        self.cell_right = ParagraphStyle("rcr", parent=self.cell, alignment=TA_RIGHT)
        self.head = ParagraphStyle("rhd", parent=self.cell, textColor=colors.white)
        self.head_right = ParagraphStyle("rhdr", parent=self.head, alignment=TA_RIGHT)
        self.big = ParagraphStyle("rbig", parent=base, fontSize=21, leading=25, textColor=TEAL, alignment=TA_CENTER)
        self.label = ParagraphStyle("rlab", parent=base, fontSize=8.5, leading=11, textColor=MUTED, alignment=TA_CENTER)
        self.change = ParagraphStyle("rchg", parent=self.label, fontSize=8)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


class SectionHeading(Flowable):
    """A section's title with a gold mark before it and a rule under it."""

    def __init__(self, text: str, look: Look) -> None:
        super().__init__()
        self.text, self.look = text, look
        self.height = 14 * mm

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        self.width = avail_w
        return avail_w, self.height

    def draw(self) -> None:
        c = self.canv
        c.setFillColor(GOLD)
        c.rect(0, 5.2 * mm, 2.2 * mm, 7 * mm, stroke=0, fill=1)
        c.setFillColor(TEAL)
        c.setFont(self.look.font, 17)
        c.drawString(5 * mm, 6.4 * mm, self.text)
        c.setStrokeColor(RULE)
        c.setLineWidth(0.7)
        c.line(0, 2.5 * mm, self.width, 2.5 * mm)


# -- tables ---------------------------------------------------------------------------------------


def _is_number(value) -> bool:
    return isinstance(value, int | Pct | Num) and not isinstance(value, bool)


def data_table(table: ReportTable, words: Words, look: Look, *, widths: list[float] | None = None, limit: int | None = None) -> Flowable:
    """A report table as a styled platypus table: teal header, light bands, numbers on the right."""
    rows = table.rows[:limit] if limit else table.rows
    if not rows:
        return _p(words._("Nothing to show for this period."), look.note)
    numeric = [any(_is_number(r[i]) for r in rows) and all(_is_number(r[i]) or r[i] in ("", None) for r in rows) for i in range(len(table.columns))]
    header = [Paragraph(escape(name), look.head_right if numeric[i] else look.head) for i, name in enumerate(table.columns)]
    body = [
        [Paragraph(escape(words.cell(value)), look.cell_right if numeric[i] else look.cell) for i, value in enumerate(row)]
        for row in rows
    ]
    if widths is None:
        widths = _widths(table, numeric)
    flow = Table([header, *body], colWidths=widths, repeatRows=1)
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), TEAL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (0, -1), (-1, -1), 0.8, TEAL),
    ]
    style += [("BACKGROUND", (0, n), (-1, n), MIST) for n in range(2, len(body) + 1, 2)]
    flow.setStyle(TableStyle(style))
    return flow


def _widths(table: ReportTable, numeric: list[bool]) -> list[float]:
    """Number columns narrow, text columns share the rest by how long their text runs."""
    count = len(table.columns)
    number_w = 22 * mm
    n_numeric = sum(numeric)
    rest = TEXT_W - n_numeric * number_w
    text_cols = [i for i in range(count) if not numeric[i]]
    if not text_cols:
        return [TEXT_W / count] * count
    lengths = {i: max([len(str(table.columns[i]))] + [len(str(r[i] or "")) for r in table.rows[:50]]) or 1 for i in text_cols}
    total = sum(min(n, 40) for n in lengths.values())
    return [number_w if numeric[i] else rest * min(lengths[i], 40) / total for i in range(count)]


# -- charts ---------------------------------------------------------------------------------------


def _no_data(words: Words, look: Look, height: float = 20 * mm) -> Flowable:
    d = Drawing(TEXT_W, height)
    d.add(String(TEXT_W / 2, height / 2, words._("No data for this period."), fontName=look.font, fontSize=10, fillColor=MUTED, textAnchor="middle"))
    return d


def bar_chart(labels: list[str], values: list[int], words: Words, look: Look, *, title: str, height: float = 62 * mm) -> Flowable:
    """Vertical bars (loans by month, activities by type), the value over each bar."""
    if not any(values):
        return _no_data(words, look)
    d = Drawing(TEXT_W, height)
    d.add(String(0, height - 4 * mm, title, fontName=look.font, fontSize=10, fillColor=DEEP))
    chart = VerticalBarChart()
    chart.x, chart.y = 12 * mm, 10 * mm
    chart.width, chart.height = TEXT_W - 16 * mm, height - 20 * mm
    chart.data = [values]
    chart.bars[0].fillColor = TEAL
    chart.bars[0].strokeColor = None
    chart.barSpacing = 2
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = look.font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = lambda v: words.number(v)
    chart.valueAxis.strokeColor = RULE
    chart.valueAxis.gridStrokeColor = RULE
    chart.valueAxis.visibleGrid = True
    chart.categoryAxis.categoryNames = labels
    chart.categoryAxis.labels.fontName = look.font
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.strokeColor = RULE
    chart.barLabelFormat = lambda v: words.number(v) if v else ""
    chart.barLabels.fontName = look.font
    chart.barLabels.fontSize = 6.5
    chart.barLabels.fillColor = MUTED
    chart.barLabels.nudge = 6
    d.add(chart)
    return d


def hbar_chart(labels: list[str], values: list[int], words: Words, look: Look, *, title: str) -> Flowable:
    """Horizontal bars, longest first (places, card-return reasons)."""
    if not any(values):
        return _no_data(words, look)
    height = (14 + 7 * len(values)) * mm
    d = Drawing(TEXT_W, height)
    d.add(String(0, height - 4 * mm, title, fontName=look.font, fontSize=10, fillColor=DEEP))
    chart = HorizontalBarChart()
    chart.x, chart.y = 48 * mm, 6 * mm
    chart.width, chart.height = TEXT_W - 62 * mm, height - 16 * mm
    chart.data = [list(reversed(values))]
    chart.bars[0].fillColor = GOLD
    chart.bars[0].strokeColor = None
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = look.font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = lambda v: words.number(v)
    chart.valueAxis.strokeColor = RULE
    chart.categoryAxis.categoryNames = [label[:14] for label in reversed(labels)]
    chart.categoryAxis.labels.fontName = look.font
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.strokeColor = RULE
    chart.barLabelFormat = lambda v: words.number(v)
    chart.barLabels.fontName = look.font
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    d.add(chart)
    return d


def pie_chart(parts: list[tuple[str, int]], words: Words, look: Look, *, title: str) -> Flowable:
    """A pie of the largest parts (the rest together as "Other"), its legend beside it."""
    parts = [(label, n) for label, n in parts if n > 0]
    if not parts:
        return _no_data(words, look)
    parts.sort(key=lambda p: -p[1])
    if len(parts) > PIE_SLICES:
        rest = sum(n for _, n in parts[PIE_SLICES - 1 :])
        parts = parts[: PIE_SLICES - 1] + [(words._("Other classes"), rest)]
    total = sum(n for _, n in parts)
    height = 68 * mm
    d = Drawing(TEXT_W, height)
    d.add(String(0, height - 4 * mm, title, fontName=look.font, fontSize=10, fillColor=DEEP))
    pie = Pie()
    pie.x, pie.y = 6 * mm, 4 * mm
    pie.width = pie.height = 52 * mm
    pie.data = [n for _, n in parts]
    pie.labels = None
    pie.slices.strokeColor = colors.white
    pie.slices.strokeWidth = 1.2
    for n in range(len(parts)):
        pie.slices[n].fillColor = SERIES[n % len(SERIES)]
    pie.slices[0].popout = 3
    d.add(pie)
    legend = Legend()
    legend.x, legend.y = 70 * mm, height - 14 * mm
    legend.fontName = look.font
    legend.fontSize = 9
    legend.alignment = "right"
    legend.deltay = 9 * mm / 1.6
    legend.columnMaximum = 8
    legend.colorNamePairs = [
        (SERIES[n % len(SERIES)], f"{label}   {words.percent(count / total)}") for n, (label, count) in enumerate(parts)
    ]
    d.add(legend)
    return d


# -- page furniture --------------------------------------------------------------------------------


def _spines(c, y: float, seed: int) -> None:
    """A shelf of book spines along the cover's band: the same year always draws the same shelf."""
    rng = random.Random(seed)
    x = MARGIN
    palette = [GOLD, colors.HexColor("#f2d27a"), colors.HexColor("#4f9d8f"), colors.HexColor("#8fc1b5"), colors.HexColor("#c8553d"), PAPER]
    while x < PAGE_W - MARGIN - 8 * mm:
        w = rng.uniform(4, 9) * mm
        h = rng.uniform(22, 38) * mm
        c.setFillColor(rng.choice(palette))
        if rng.random() < 0.12:  # now and then a book leans on its neighbour
            c.saveState()
            c.translate(x, y)
            c.rotate(-8)
            c.rect(0, 0, w, h, stroke=0, fill=1)
            c.restoreState()
            x += w + 3 * mm
            continue
        c.rect(x, y, w, h, stroke=0, fill=1)
        c.setFillColor(colors.Color(1, 1, 1, alpha=0.55))
        c.rect(x + 0.9 * mm, y + h - 6 * mm, w - 1.8 * mm, 0.8 * mm, stroke=0, fill=1)
        x += w + rng.uniform(0.4, 1.2) * mm
    c.setFillColor(DEEP)
    c.rect(MARGIN - 4 * mm, y - 2.5 * mm, PAGE_W - 2 * MARGIN + 8 * mm, 2.5 * mm, stroke=0, fill=1)


class _Pages:
    """Draws the cover and the header and footer of every other page."""

    def __init__(self, annual: AnnualReport, words: Words, look: Look) -> None:
        self.annual, self.words, self.look = annual, words, look

    def cover(self, c, doc) -> None:
        w, look, a = self.words, self.look, self.annual
        report = a.report
        c.saveState()
        c.setFillColor(PAPER)
        c.rect(0, 0, PAGE_W, PAGE_H, stroke=0, fill=1)
        band = PAGE_H * 0.52
        c.setFillColor(TEAL)
        c.rect(0, PAGE_H - band, PAGE_W, band, stroke=0, fill=1)
        c.setFillColor(colors.Color(1, 1, 1, alpha=0.08))
        c.circle(PAGE_W - 30 * mm, PAGE_H - 40 * mm, 70 * mm, stroke=0, fill=1)
        c.setFillColor(colors.white)
        c.setFont(look.font, 13)
        c.drawString(MARGIN, PAGE_H - 30 * mm, report.library_name)
        c.setFillColor(GOLD)
        c.setFont(look.font, 96)
        c.drawString(MARGIN - 2 * mm, PAGE_H - 72 * mm, str(a.year))
        c.setFillColor(colors.white)
        c.setFont(look.font, 34 if w.chinese else 28)
        c.drawString(MARGIN, PAGE_H - 92 * mm, w._("Annual Reading Report"))
        c.setFont(look.font, 12)
        c.drawString(MARGIN, PAGE_H - 103 * mm, w._("A year of reading at {library}").format(library=report.library_name))
        _spines(c, PAGE_H - band + 2.5 * mm, a.year)
        # Three figures that say the year at a glance.
        figures = [
            (w.number(report.circulation.loans), w.indicator("loans")),
            (w.number(report.readers.active), w.indicator("active_readers")),
            (w.number(report.patrons.visits), w.indicator("visits")),
        ]
        col = (PAGE_W - 2 * MARGIN) / 3
        base = PAGE_H - band - 48 * mm
        for n, (value, label) in enumerate(figures):
            x = MARGIN + n * col + col / 2
            c.setFillColor(TEAL)
            c.setFont(look.font, 26)
            c.drawCentredString(x, base, value)
            c.setFillColor(MUTED)
            c.setFont(look.font, 10)
            c.drawCentredString(x, base - 8 * mm, label)
            if n:
                c.setStrokeColor(RULE)
                c.line(MARGIN + n * col, base - 10 * mm, MARGIN + n * col, base + 10 * mm)
        summary = Paragraph(escape(class_sentence(w, report)), ParagraphStyle("cover", parent=look.lead, alignment=TA_CENTER, textColor=MUTED))
        _w, h = summary.wrap(PAGE_W - 2 * MARGIN - 20 * mm, 40 * mm)
        summary.drawOn(c, MARGIN + 10 * mm, base - 24 * mm - h)
        c.setFillColor(MUTED)
        c.setFont(look.font, 9)
        made = report.made_on
        line = w._("Compiled by {library} · {date}").format(library=report.library_name, date=w.date(made) if made else "")
        c.drawString(MARGIN, 18 * mm, line)
        c.setFillColor(GOLD)
        c.rect(0, 0, PAGE_W, 5 * mm, stroke=0, fill=1)
        c.restoreState()

    def page(self, c, doc) -> None:
        w, look = self.words, self.look
        c.saveState()
        c.setFillColor(TEAL)
        c.rect(0, PAGE_H - 11 * mm, PAGE_W, 11 * mm, stroke=0, fill=1)
        c.setFillColor(GOLD)
        c.rect(0, PAGE_H - 12 * mm, PAGE_W, 1 * mm, stroke=0, fill=1)
        c.setFillColor(colors.white)
        c.setFont(look.font, 9)
        c.drawString(MARGIN, PAGE_H - 7 * mm, self.annual.report.library_name)
        c.drawRightString(PAGE_W - MARGIN, PAGE_H - 7 * mm, annual_title(w, self.annual))
        c.setFillColor(MUTED)
        c.setFont(look.font, 8.5)
        c.drawCentredString(PAGE_W / 2, 10 * mm, f"— {doc.page - 1} —")
        c.restoreState()


def _doc(out: Path | BytesIO, title: str, author: str, templates: list[PageTemplate]) -> BaseDocTemplate:
    doc = BaseDocTemplate(
        str(out) if isinstance(out, Path) else out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=20 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=author,
        creator="CountyLib",
    )
    doc.addPageTemplates(templates)
    return doc


def _frame(name: str) -> Frame:
    return Frame(MARGIN, 18 * mm, TEXT_W, PAGE_H - 38 * mm, id=name, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)


# -- the annual report ---------------------------------------------------------------------------


Card = tuple[str, str, str, float]  # value, label, change on last year (words), the change's sign


def _card(words: Words, value: str, label_key: str, now: float | None = None, before: float | None = None) -> Card:
    change = change_text(words, now, before) if now is not None and before else ""
    return value, words.indicator(label_key), change, (now - before) if change else 0


def _figure_cards(cards: list[Card], look: Look) -> Flowable:
    """Big numbers in a grid of three, each with its label and how it changed on last year."""
    cells = []
    for value, label, change, sign in cards:
        colour = UP if sign > 0 else DOWN if sign < 0 else MUTED
        style = ParagraphStyle("c", parent=look.change, textColor=colour)
        cells.append([Paragraph(escape(value), look.big), Paragraph(escape(label), look.label), Paragraph(escape(change) or "&nbsp;", style)])
    rows = [cells[n : n + 3] for n in range(0, len(cells), 3)]
    while len(rows[-1]) < 3:
        rows[-1].append("")
    grid = Table(rows, colWidths=[TEXT_W / 3] * 3, rowHeights=[27 * mm] * len(rows))
    grid.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), MIST),
                ("LINEAFTER", (0, 0), (1, -1), 2.5, colors.white),
                ("LINEBELOW", (0, 0), (-1, -2), 2.5, colors.white),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return grid


def _tables_by_key(report: PeriodReport, words: Words) -> dict[str, ReportTable]:
    return {t.key: t for t in report_tables(report, words)}


def _month_labels(words: Words, report: PeriodReport) -> list[str]:
    return [f"{r.start.month}月" if words.chinese else r.start.strftime("%b") for r in report.circulation.by_time]


def annual_story(annual: AnnualReport, words: Words, look: Look) -> list[Flowable]:
    w = words
    r = annual.report
    last = annual.last_year
    tables = _tables_by_key(r, w)
    story: list[Flowable] = [NextPageTemplate("body"), PageBreak()]

    # Overview
    per_head = r.patrons.visits_per_head
    cards = [
        _card(w, w.number(r.circulation.loans), "loans", r.circulation.loans, last.loans),
        _card(w, w.number(r.readers.active), "active_readers"),
        _card(w, w.number(r.patrons.new_cards), "new_cards", r.patrons.new_cards, last.new_patrons),
        _card(w, w.number(r.patrons.visits), "visits", r.patrons.visits, last.visits),
        _card(w, w.number(per_head, 2), "visits_per_head")
        if per_head is not None
        else _card(w, w.number(r.titles.turnover, 2), "turnover"),
        _card(w, w.number(r.titles.holdings), "holdings"),
        _card(w, w.number(r.activities.activities), "activities", r.activities.activities, last.events),
        _card(w, w.number(r.activities.participants), "participants", r.activities.participants, last.participants),
        _card(w, w.hours(r.volunteers.minutes), "volunteer_hours", r.volunteers.minutes, last.volunteer_minutes),
    ]
    sentences = [*overview_sentences(w, r, last), class_sentence(w, r), place_sentence(w, r), turnover_sentence(w, r), activity_sentence(w, r)]
    joiner = "" if w.chinese else " "
    story += [
        SectionHeading(w._("The year at a glance"), look),
        Spacer(1, 2 * mm),
        _figure_cards(cards, look),
        Spacer(1, 7 * mm),
        _p(joiner.join(s for s in sentences if s), look.lead),
        Spacer(1, 3 * mm),
        bar_chart(_month_labels(w, r), [b.loans for b in r.circulation.by_time], w, look, title=w._("Loans by month")),
        PageBreak(),
    ]

    # Lending by class
    story += [
        SectionHeading(w._("What the county read"), look),
        _p(class_sentence(w, r), look.lead),
        pie_chart([(w.class_label(c.code), c.loans) for c in r.titles.by_class], w, look, title=w._("Loans by class (CLC)")),
        Spacer(1, 2 * mm),
        data_table(tables["by_class"], w, look, widths=[12 * mm, 62 * mm, 20 * mm, 20 * mm, 20 * mm, 20 * mm, TEXT_W - 154 * mm]),
        PageBreak(),
    ]

    # Where and who
    places = r.circulation.by_place
    story += [
        SectionHeading(w._("Where and who"), look),
        _p(place_sentence(w, r) or w._("All books were lent at the branch buildings."), look.lead),
        hbar_chart([p.name for p in places[:10]], [p.loans for p in places[:10]], w, look, title=w._("Loans by place")),
        data_table(tables["by_place"], w, look),
        Spacer(1, 4 * mm),
        KeepTogether([_p(tables["by_category"].title, look.h2), data_table(tables["by_category"], w, look)]),
        CondPageBreak(60 * mm),
        _p(tables["top_titles"].title, look.h2),
        data_table(tables["top_titles"], w, look, widths=[12 * mm, 70 * mm, 38 * mm, 20 * mm, 18 * mm, TEXT_W - 158 * mm]),
        CondPageBreak(60 * mm),
        _p(tables["top_readers"].title, look.h2),
        data_table(tables["top_readers"], w, look),
        _p(w._("Readers are shown masked, as the library's privacy setting asks."), look.note),
        PageBreak(),
    ]

    # Collection
    ti = r.titles
    story += [
        SectionHeading(w._("The collection"), look),
        _p(
            w._("At the end of the year the library held {copies} copies of {titles} titles; {added} copies were added this year.").format(
                copies=w.number(ti.holdings), titles=w.number(ti.titles), added=w.number(r.collection.added)
            ),
            look.lead,
        ),
        _p(turnover_sentence(w, r), look.lead),
        data_table(tables["additions"], w, look),
        Spacer(1, 3 * mm),
        _p(weeding_sentence(w, r), look.lead),
        data_table(tables["weeding"], w, look, limit=WEEDING_SHOWN),
    ]
    if ti.weeding_count > WEEDING_SHOWN:
        story.append(_p(w._("{more} more titles are not listed here.").format(more=w.number(ti.weeding_count - WEEDING_SHOWN)), look.note))
    story.append(PageBreak())

    # Readers' cards and visits
    reasons = r.patrons.reasons
    story += [
        SectionHeading(w._("Reader cards and visits"), look),
        _p(
            w._("{registered} reader cards were valid at the end of the year; {new} were issued this year.").format(
                registered=w.number(r.patrons.registered), new=w.number(r.patrons.new_cards)
            )
            + (joiner + card_return_sentence(w, r) if r.patrons.cards_returned else ""),
            look.lead,
        ),
        hbar_chart([w._(x.label) for x in reasons], [x.cards for x in reasons], w, look, title=w._("Reader cards returned, by reason"))
        if reasons
        else _p(w._("No reader returned a card this year."), look.body),
        Spacer(1, 3 * mm),
        _p(tables["visits_by_place"].title, look.h2),
        data_table(tables["visits_by_place"], w, look),
        PageBreak(),
    ]

    # Activities, volunteers, donations
    kinds = r.activities.by_type
    story += [
        SectionHeading(w._("Activities, volunteers and gifts"), look),
        _p(activity_sentence(w, r) or w._("No activities, volunteer shifts or gifts were recorded this year."), look.lead),
        bar_chart([w._(k.name) for k in kinds], [k.participants for k in kinds], w, look, title=w._("Participants by type of activity"), height=55 * mm),
        data_table(tables["activities"], w, look),
        Spacer(1, 3 * mm),
        KeepTogether([_p(tables["volunteers"].title, look.h2), data_table(tables["volunteers"], w, look)]),
        Spacer(1, 3 * mm),
        KeepTogether([_p(tables["donations"].title, look.h2), data_table(tables["donations"], w, look)]),
        PageBreak(),
    ]

    # Next year's targets
    rows = []
    for target in annual.targets:
        if target.this_year is None and target.target is None:
            continue
        growth = Pct((target.target - target.this_year) / target.this_year) if target.this_year and target.target is not None else None
        rows.append((target_label(w, target), Num(target.this_year, target.decimals), Num(target.target, target.decimals), growth))
    target_table = ReportTable(
        "targets", w._("Targets for {year}").format(year=annual.year + 1), [w._("Indicator"), str(annual.year), str(annual.year + 1), w._("Growth")], rows
    )
    story += [
        SectionHeading(w._("Targets for {year}").format(year=annual.year + 1), look),
        _p(w._("Next year's targets, set against this year's figures. The turnover target is at least {target} loans per copy.").format(
            target=w.number(r.turnover_target, 2)), look.lead),
        data_table(target_table, w, look, widths=[70 * mm, 35 * mm, 35 * mm, TEXT_W - 140 * mm]),
        Spacer(1, 8 * mm),
        _p(w._("Figures from the library's own records; visits from door counts. Made with CountyLib."), look.note),
    ]
    return story


def render_annual_report(annual: AnnualReport, out: Path | BytesIO) -> int:
    """Write the annual reading report; returns its number of pages."""
    words = Words(annual.language)
    look = Look(words)
    pages = _Pages(annual, words, look)
    cover = PageTemplate("cover", [_frame("cover")], onPage=pages.cover)
    body = PageTemplate("body", [_frame("body")], onPage=pages.page)
    doc = _doc(out, annual_title(words, annual), annual.report.library_name, [cover, body])
    doc.build(annual_story(annual, words, look))
    return doc.page


# -- the period report (daily, monthly, any range) -----------------------------------------------


def render_period_report(report: PeriodReport, out: Path | BytesIO, language: str) -> int:
    """The figures and every table of a period, plainly; returns its number of pages."""
    words = Words(language)
    look = Look(words)
    title = words._("Library statistics")

    def furniture(c, doc) -> None:
        c.saveState()
        c.setFillColor(TEAL)
        c.rect(0, PAGE_H - 8 * mm, PAGE_W, 8 * mm, stroke=0, fill=1)
        c.setFillColor(colors.white)
        c.setFont(look.font, 8.5)
        c.drawString(MARGIN, PAGE_H - 5.5 * mm, f"{report.library_name} · {title}")
        c.drawRightString(PAGE_W - MARGIN, PAGE_H - 5.5 * mm, period_text(words, report))
        c.setFillColor(MUTED)
        c.drawCentredString(PAGE_W / 2, 10 * mm, f"— {doc.page} —")
        c.restoreState()

    doc = _doc(out, title, report.library_name, [PageTemplate("body", [_frame("body")], onPage=furniture)])
    story: list[Flowable] = [
        _p(report.library_name, look.note),
        _p(title, look.h1),
        _p(period_text(words, report), look.lead),
    ]
    g = report.glance
    story += [
        _figure_cards(
            [
                _card(words, words.number(g.loans), "loans"),
                _card(words, words.number(g.returns), "returns"),
                _card(words, words.number(g.new_patrons), "new_cards"),
                _card(words, words.number(g.visits), "visits"),
                _card(words, words.number(g.participants), "participants"),
                _card(words, words.hours(g.volunteer_minutes), "volunteer_hours"),
            ],
            look,
        ),
        Spacer(1, 5 * mm),
        _p(("" if words.chinese else " ").join([*overview_sentences(words, report), class_sentence(words, report)]), look.lead),
    ]
    for table in report_tables(report, words):
        story += [CondPageBreak(40 * mm), _p(table.title, look.h2), data_table(table, words, look)]
    doc.build(story)
    return doc.page
