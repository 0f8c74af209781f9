"""The printed and exported reports: the annual reading report's text (English and Chinese), the
period report, the CSV export, and ``countylib report`` on the command line."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import replace
from io import BytesIO, StringIO

import pytest
from pypdf import PdfReader

from countylib import reports
from countylib.cli import main
from countylib.report_data import Period
from countylib.report_text import Words, class_sentence, report_tables, write_csv
from printing.annual_report import render_annual_report, render_period_report
from tests.report_helpers import build_small_library


def pdf_text(data: BytesIO) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data.getvalue())).pages)


def squeezed(text: str) -> str:
    """Text as extracted, without the line breaks and spaces layout put in."""
    return "".join(text.split())


@pytest.fixture
def small(library):
    return build_small_library(library)


def test_annual_report_in_english_reads_the_numbers(library, small):
    annual = reports.annual_report(library, 2026, language="en")
    out = BytesIO()
    pages = render_annual_report(annual, out)
    text = squeezed(pdf_text(out))
    assert pages == len(PdfReader(BytesIO(out.getvalue())).pages) >= 7
    for phrase in (
        "Annual Reading Report",
        "Literature (I) made up 71.4 % of loans, followed by Culture, science, education and sports (G, 14.3 %) and History and geography (K, 14.3 %).",
        "3 readers borrowed 7 books, up 600.0 % on last year",
        "Reading points and the book van lent 2 books, 28.6 % of all loans.",
        "1 titles were not borrowed for 3 years",
        "Targets for 2027",
        "张*丰",
        "红楼梦",
        "某某县图书馆",
    ):
        assert squeezed(phrase) in text, phrase
    assert "张三丰" not in text  # a published report masks readers


def test_annual_report_in_chinese(library, small):
    annual = reports.annual_report(library, 2026)
    out = BytesIO()
    render_annual_report(annual, out)
    text = squeezed(pdf_text(out))
    for phrase in (
        "2026年度阅读报告",
        "文学（I）类图书最受欢迎，占全部外借的71.4%，其次是文化、科学、教育、体育（G，14.3%）和历史、地理（K，14.3%）。",
        "3位读者共借阅图书7册次，比上年增长600.0%。",
        "年度概览",
        "2027年工作目标",
        "退证原因",
        "住得离图书馆太远",
    ):
        assert squeezed(phrase) in text, phrase


def test_a_fresh_library_still_gets_a_whole_annual_report(library):
    annual = reports.annual_report(library, 2026, language="en")
    out = BytesIO()
    assert render_annual_report(annual, out) >= 7
    text = squeezed(pdf_text(out))
    assert squeezed("No books were lent in this period.") in text
    assert squeezed("No data for this period.") in text
    out_zh = BytesIO()
    render_annual_report(replace(annual, language="zh_CN"), out_zh)
    assert "本时段没有图书外借" in squeezed(pdf_text(out_zh))


def test_period_report_pdf_lists_every_table(library, small):
    report = reports.period_report(library, Period.month(2026, 3, "HX01-VS01"))
    out = BytesIO()
    render_period_report(report, out, "en")
    text = squeezed(pdf_text(out))
    for table in report_tables(report, Words("en")):
        assert squeezed(table.title) in text
    assert squeezed("1 Mar 2026 – 31 Mar 2026 · 东村") in text


def test_csv_has_every_table_with_plain_numbers(library, small):
    report = reports.period_report(library, Period.year(2026), internal=True)
    words = Words("en")
    buffer = StringIO()
    rows = write_csv(report_tables(report, words), buffer, words, heading="某某县图书馆 2026")
    lines = list(csv.reader(StringIO(buffer.getvalue())))
    assert lines[0] == ["某某县图书馆 2026"] and rows > 40
    titles = [line[0] for n, line in enumerate(lines) if n and line and not lines[n - 1]]
    assert titles[:3] == ["Overview", "Loans by month", "Loans and holdings by class (CLC)"]
    # the renewals of the month's loans and the renewals made that month, each said so
    assert ["Month", "Loans", "Renewals of these loans", "Renewals made"] in lines
    assert ["I", "Literature", "5", "71.4", "1", "2", "2.5"] in lines
    assert ["1", "张三丰", "HX010001", "Adult", "3"] in lines  # internal: names in full


def test_sentences_handle_no_loans():
    report = reports_empty()
    assert class_sentence(Words("en"), report) == "No books were lent in this period."


def reports_empty():
    from countylib.report_data import (
        Activities, Circulation, Collection, Donations, Glance, Patrons, PeriodReport, Readers, TitleFigures, Volunteers,
    )  # fmt: skip

    p = Period.day(dt.date(2026, 1, 1))
    return PeriodReport(
        "馆", p, "", Glance(p), Circulation(p), TitleFigures(p), Readers(p), Collection(p), Patrons(p), Activities(p), Volunteers(p), Donations(p)
    )


def test_command_line_annual_daily_monthly(library, small, db_path, tmp_path, capsys):
    library.db.close()
    pdf = tmp_path / "out" / "annual.pdf"
    assert main(["report", "annual", "--year", "2026", "--out", str(pdf), "--lang", "en", "--db", str(db_path)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("Wrote the 2026 annual reading report (") and "7 loans" in line and len(line.splitlines()) == 1
    assert "Annual Reading Report" in pdf_text(BytesIO(pdf.read_bytes()))

    daily = tmp_path / "day.csv"
    assert main(["report", "daily", "--date", "2026-11-21", "--out", str(daily), "--db", str(db_path), "--lang", "en"]) == 0
    assert "1 loans" in capsys.readouterr().out
    assert daily.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads the Chinese
    monthly = tmp_path / "month.pdf"
    assert main(["report", "monthly", "--month", "2026-03", "--location", "hx01-vs01", "--out", str(monthly), "--db", str(db_path)]) == 0
    assert "at HX01-VS01 (1 loans" in capsys.readouterr().out
    ranged = tmp_path / "range.csv"
    assert main(["report", "monthly", "--from", "2026-01-01", "--to", "2026-03-31", "--out", str(ranged), "--db", str(db_path)]) == 0
    assert "2026-01-01 to 2026-03-31 (5 loans" in capsys.readouterr().out


@pytest.mark.parametrize(
    "lang, columns",
    [
        ("en", ["Day", "Loans", "Renewals of these loans", "Renewals made"]),
        ("zh_CN", ["日期", "借阅", "本期借出图书的续借次数", "续借次数"]),
    ],
)
def test_daily_csv_counts_the_renewals_made_that_day(library, small, db_path, tmp_path, lang, columns):
    library.db.close()
    daily = tmp_path / "day.csv"
    assert main(["report", "daily", "--date", "2026-11-21", "--out", str(daily), "--db", str(db_path), "--lang", lang]) == 0
    lines = list(csv.reader(StringIO(daily.read_text(encoding="utf-8-sig"))))
    header = lines.index(columns)
    # Today's loan was not renewed; the renewal made today was of a loan lent in January.
    assert lines[header + 1] == ["2026-11-21", "1", "0", "1"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["daily", "--out", "x.txt"], ".pdf or .csv"),
        (["daily", "--from", "2026-02-01", "--to", "2026-01-01", "--out", "x.csv"], "before it starts"),
        (["daily", "--from", "2026-02-01", "--out", "x.csv"], "both --from and --to"),
        (["monthly", "--location", "NOWHERE", "--out", "x.csv"], "NOWHERE"),
    ],
)
def test_command_line_refusals_are_one_line(library, db_path, tmp_path, capsys, args, message):
    library.db.close()
    args = [*args[:-1], str(tmp_path / args[-1])]
    assert main(["report", *args, "--db", str(db_path), "--lang", "en"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("countylib: ")
    assert not list(tmp_path.glob("x.*"))
