"""The reports area as staff use it: today and this week at a glance, a period's tables, a place
filter, a mistyped date, the CSV export, the monthly and the annual report, in English and
Chinese, at the widths staff terminals have."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from rich.cells import cell_len
from textual.widgets import Button, Checkbox, DataTable, Footer, Input, Select, Sparkline, Static, TabbedContent

from countylib.app import AppConfig, make_app
from countylib.clock import FixedClock
from countylib.paths import data_dir
from screens.reports import ReportsScreen
from tests.report_helpers import build_small_library
from tests.tui.pilot_helpers import sign_in, type_into

SIZE = (150, 45)


async def open_reports(pilot) -> ReportsScreen:
    await sign_in(pilot)
    await pilot.press("f8")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ReportsScreen)
    return pilot.app.screen


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def text(pilot, selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


def column(pilot, key: str, index: int) -> list[str]:
    table = pilot.app.screen.query_one(f"#table-{key}", DataTable)
    return [str(table.get_row_at(n)[index]) for n in range(table.row_count)]


def written(pilot, prefix: str) -> Path:
    """The file the screen's message says it wrote."""
    message = text(pilot, "#report-message")
    assert message.startswith(prefix), message
    return Path(message.removeprefix(prefix))


def pdf_words(path: Path) -> str:
    """A PDF's text without the spaces and line breaks layout put in."""
    return "".join("".join(page.extract_text() for page in PdfReader(path).pages).split())


def overview(pilot) -> dict[str, str]:
    table = pilot.app.screen.query_one("#table-overview", DataTable)
    return {str(table.get_row_at(n)[0]): str(table.get_row_at(n)[1]) for n in range(table.row_count)}


async def test_glance_and_this_months_tables(library, db_path, tmp_path):
    build_small_library(library)
    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        assert text(pilot, "#glance-today-loans") == "1" and text(pilot, "#glance-today-visits") == "40"
        assert text(pilot, "#glance-week-visits") == "52" and text(pilot, "#glance-week-volunteer_hours") == "2.5"
        assert text(pilot, "#glance-today-overdue") == "1" and text(pilot, "#glance-today-in_transit") == "1"
        assert pilot.app.screen.query_one("#glance-week-spark-visits", Sparkline).data == [0, 0, 0, 0, 12, 40, 0]
        assert overview(pilot)["Books lent"] == "1"  # this month: today's loan
        assert "1 Nov 2026 – 30 Nov 2026: 1 loans" in text(pilot, "#report-message")
        app.save_screenshot(str(tmp_path / "reports.svg"))

        pilot.app.screen.query_one("#report-preset", Select).value = "this_year"
        await settle(pilot)
        assert overview(pilot)["Books lent"] == "7"
        assert column(pilot, "by_class", 0)[8] == "I" and column(pilot, "by_class", 3)[8] == "71.4 %"
        assert column(pilot, "top_readers", 1) == ["张*丰", "李*", "王*"]
        assert column(pilot, "by_time", 1)[:3] == ["3", "0", "2"]

        pilot.app.screen.query_one("#report-internal", Checkbox).value = True
        await settle(pilot)
        assert column(pilot, "top_readers", 1) == ["张三丰", "李四", "王五"]

        pilot.app.screen.query_one("#report-place", Select).value = "HX01-VS01"
        await settle(pilot)
        assert overview(pilot)["Books lent"] == "2"
        assert column(pilot, "by_place", 0) == ["HX01-VS01"]


async def test_a_mistyped_date_says_so_and_keeps_the_tables(library, db_path):
    build_small_library(library)
    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        await type_into(pilot, "#report-from", "2026-13-01")
        await pilot.press("enter")
        await settle(pilot)
        assert "There is no 2026-13-01: a month is 1 to 12." in text(pilot, "#report-message")
        assert pilot.app.screen.query_one("#report-preset", Select).value == "custom"
        assert overview(pilot)["Books lent"] == "1"
        await type_into(pilot, "#report-from", "2026-03-01")
        await type_into(pilot, "#report-to", "2026-03-31")
        await pilot.press("enter")
        await settle(pilot)
        assert overview(pilot)["Books lent"] == "2"
        assert pilot.app.screen.query_one("#table-by_time", DataTable).row_count == 31  # day by day


async def test_export_csv_and_annual_report(library, db_path):
    build_small_library(library)
    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        await pilot.press("ctrl+e")
        await pilot.pause()
        message = text(pilot, "#report-message")
        assert message.startswith("Exported 14 tables")
        path = Path(message.rsplit(" to ", 1)[1])
        assert path.suffix == ".csv" and "Books lent" in path.read_text(encoding="utf-8-sig")
        await pilot.press("ctrl+r")
        await settle(pilot)
        message = text(pilot, "#report-message")
        assert message.startswith("Annual report written to ")
        pdf = Path(message.removeprefix("Annual report written to "))
        assert pdf.read_bytes().startswith(b"%PDF")


async def test_ctrl_e_exports_from_a_date_field(library, db_path):
    build_small_library(library)
    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        date = screen.query_one("#report-from", Input)
        date.focus()
        await pilot.pause()
        date.cursor_position = 0
        assert "Export CSV" in [str(key.description) for key in screen.query_one(Footer).query("FooterKey")]
        await pilot.press("ctrl+e")
        await pilot.pause()
        message = text(pilot, "#report-message")
        assert message.startswith("Exported 14 tables"), message
        path = Path(message.rsplit(" to ", 1)[1])
        assert "Books lent" in path.read_text(encoding="utf-8-sig")
        assert date.has_focus and date.cursor_position == 0  # the export took the key, not the field
        await pilot.press("end")
        assert date.cursor_position == len(date.value)


async def test_monthly_report_pdf_for_the_month_the_period_starts_in(library, db_path):
    build_small_library(library)
    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        footer = [str(key.description) for key in screen.query_one(Footer).query("FooterKey")]
        assert "Monthly report (PDF)" in footer
        await pilot.press("ctrl+t")
        await settle(pilot)
        pdf = written(pilot, "Monthly report written to ")
        assert pdf.parent == data_dir() / "exports" and pdf.suffix == ".pdf"  # beside the annual report
        assert "1Nov2026–30Nov2026" in pdf_words(pdf)

        # A range from 5 March at the van stop: the whole of March there, by the button.
        await type_into(pilot, "#report-from", "2026-03-05")
        await type_into(pilot, "#report-to", "2026-04-10")
        screen.query_one("#report-place", Select).value = "HX01-VS01"
        await settle(pilot)
        await pilot.click("#report-monthly")
        await settle(pilot)
        pdf = written(pilot, "Monthly report written to ")
        assert "2026-03-HX01-VS01" in pdf.name
        assert "1Mar2026–31Mar2026·东村" in pdf_words(pdf)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("width", [120, 140])
async def test_every_button_fits_the_width(library, db_path, language, width):
    build_small_library(library)
    app = make_app(db_path, AppConfig(language=language, clock=FixedClock()))
    async with app.run_test(size=(width, 40)) as pilot:
        screen = await open_reports(pilot)
        right = screen.query_one("#reports").content_region.right
        for widget in screen.query("#report-bar > *, #report-actions > *"):
            assert widget.region.right <= right, f"{widget.id} runs off the screen at {width} columns"
        for button in screen.query(Button):
            assert button.region.width >= cell_len(str(button.label)) + 2, f"{button.id} is cut"


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("width", [120, 140])
async def test_every_glance_label_is_shown_whole(library, db_path, language, width):
    build_small_library(library)
    app = make_app(db_path, AppConfig(language=language, clock=FixedClock()))
    async with app.run_test(size=(width, 40)) as pilot:
        screen = await open_reports(pilot)
        # What the terminal shows, not what the widgets hold: a cut label keeps its whole text.
        rows = screen._compositor.render_strips()
        labels = list(screen.query(".figure-label, .spark-label"))
        assert len(labels) == 2 * 9 + 3
        for label in labels:
            shown = rows[label.region.y].crop(label.region.x, label.region.right).text.strip()
            assert shown == str(label.content), f"{label.content!r} shows as {shown!r} at {width} columns"


async def test_reports_in_chinese(library, db_path):
    build_small_library(library)
    app = make_app(db_path, AppConfig(language="zh_CN", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        screen = pilot.app.screen
        assert str(screen.query_one("#glance-today .glance-title").render()) == "今天"
        glance = " ".join(str(w.render()) for w in screen.query("#glance-today Static"))
        assert "续借次数" in glance and "续期" not in glance  # 续期 is a card's renewal
        assert overview(pilot)["外借册次"] == "1"
        assert str(screen.query_one("#report-tabs", TabbedContent).get_tab("tab-lending").label) == "借阅"
        assert screen.query_one("#report-from", Input).value == "2026-11-01"
