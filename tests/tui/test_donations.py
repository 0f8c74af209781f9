"""Donation intake as staff do it: donor, a box of five books, decisions, certificate."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from textual.widgets import DataTable, Input, Select

from countylib.app import AppConfig, make_app
from countylib.callnumbers import reserve_block
from countylib.cataloguing import create_brief_record
from countylib.clock import FixedClock
from countylib.paths import data_dir
from models import Bib, Donation, DonationLine, Donor, Item, Location
from screens.brief_record import BriefRecordScreen
from screens.donations import DeclineScreen, DonationsScreen, NewDonorScreen
from tests.tui.pilot_helpers import screen_text, sign_in, type_into

SIZE = (130, 40)
EXISTING = "9787020002207"
NEW_BOOKS = [
    ("9787506365437", "活着", "余华", "I247.57"),
    ("9787101111118", "论语译注", "杨伯峻", "B222.2"),
    ("9787302123453", "数据结构", "严蔚敏", "TP311.12"),
]
DAMAGED = "9787200123456"


@pytest.fixture
def branch(library):
    reserve_block(library, "", 1, 999)
    create_brief_record(library, title="红楼梦", author="曹雪芹", clc="I242.47", isbn=EXISTING, price="59.70", copies=2)
    Location.create(branch=library.branch, code="HX01-RP1", name="幸福村阅读点", kind="reading_point")
    return library


def _app(db_path, language="en"):
    return make_app(db_path, AppConfig(language=language, clock=FixedClock()))


def lines_table(app) -> DataTable:
    return app.screen.query_one("#lines", DataTable)


async def scan(pilot, text: str) -> None:
    await type_into(pilot, "#scan", text)
    await pilot.press("enter")
    await pilot.pause()


async def add_donor(pilot, name: str = "张三", phone: str = "13800000000") -> None:
    """The donor pane's New donor form, filled in and saved."""
    await pilot.click("#new-donor")
    await pilot.pause()
    assert isinstance(pilot.app.screen, NewDonorScreen)
    await type_into(pilot, "#donor-name", name)
    await type_into(pilot, "#donor-phone", phone)
    await pilot.press("ctrl+s")
    await pilot.pause()


async def decline(pilot, reason: str) -> None:
    """The chosen book declined for ``reason``."""
    await pilot.press("ctrl+d")
    await pilot.pause()
    pilot.app.screen.query_one("#decline-reason", Select).value = reason
    await pilot.click("#decline-ok")
    await pilot.pause()


async def open_intake(pilot, donor_name="张三") -> None:
    await pilot.press("f5")
    await pilot.pause()
    assert isinstance(pilot.app.screen, DonationsScreen)
    await add_donor(pilot, donor_name)
    assert "Donor: 张三 (Person)" in screen_text(pilot)
    await pilot.click("#start-intake")
    await pilot.pause()
    assert pilot.app.screen.focused is pilot.app.screen.query_one("#scan", Input)


async def test_five_books_from_intake_to_certificate(branch, db_path, tmp_path):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await open_intake(pilot)

        # 1. A book the library already has: the check shows at once.
        await scan(pilot, "978-7-02-000220-7")
        check = screen_text(pilot)
        assert "红楼梦: record exists, call number I242.47/1. The library holds 2 copies (2 here)." in check
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert lines_table(app).get_row_at(0)[5] == "accessioned HX0100000003"

        # 2-4. New books: accession opens the brief record, prefilled with the scanned ISBN.
        for isbn, title, author, clc in NEW_BOOKS:
            await scan(pilot, isbn)
            assert "no record yet" in screen_text(pilot)
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert isinstance(app.screen, BriefRecordScreen)
            assert app.screen.query_one("#brief-isbn", Input).value.replace("-", "") == isbn
            await type_into(pilot, "#brief-title", title)
            await type_into(pilot, "#brief-author", author)
            await type_into(pilot, "#brief-clc", clc)
            await type_into(pilot, "#brief-price", "30")
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, DonationsScreen)

        # 5. A damaged book: declining without a reason is refused, then damaged.
        await scan(pilot, DAMAGED)
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert isinstance(app.screen, DeclineScreen)
        await pilot.click("#decline-ok")
        await pilot.pause()
        assert "Say why the book is declined" in screen_text(pilot)
        app.screen.query_one("#decline-reason", Select).value = "damaged"
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert isinstance(app.screen, DonationsScreen), screen_text(pilot)
        assert lines_table(app).get_row_at(4)[5] == "declined: damaged"

        # A second press on an accessioned book makes no second copy.
        await pilot.press("up", "up", "up", "up")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert Item.select().where(Item.source == "donation").count() == 4

        app.save_screenshot(str(tmp_path / "intake.svg"))
        await pilot.press("ctrl+g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        summary = screen_text(pilot)
        assert "张三: 4 of 5 books accepted, estimated value 149.70 yuan." in summary
        app.save_screenshot(str(tmp_path / "done.svg"))

    donor = Donor.get(Donor.name == "张三")
    assert [line.decision for line in DonationLine.select().order_by(DonationLine.id)] == [
        "accessioned", "accessioned", "accessioned", "accessioned", "declined"]
    assert Bib.get(Bib.isbn == "9787302123453").call_number == "TP311.12/1"
    printouts = sorted((data_dir() / "printouts").glob("*.pdf"))
    assert len(printouts) == 3
    certificate = next(p for p in printouts if p.name.endswith("certificate.pdf"))
    text = "".join(page.extract_text() for page in PdfReader(certificate).pages)
    assert donor.name in text and "4册" in text
    for title in ("红楼梦", "活着", "论语译注", "数据结构"):
        assert title in text
    spines = next(p for p in printouts if p.name.endswith("spine-labels.pdf"))
    spine_lines = [line.strip() for line in PdfReader(spines).pages[0].extract_text().splitlines() if line.strip()]
    assert spine_lines == ["I242.47", "1", "I247.57", "1", "B222.2", "1", "TP311.12", "1"]


async def test_bad_scans_and_finishing_too_early(branch, db_path):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await open_intake(pilot)
        await scan(pilot, "978-7-02-000220-3")
        assert "978-7-02-000220-3 is not a valid ISBN: the check digit is wrong." in screen_text(pilot)
        assert app.screen.query_one("#scan", Input).value == "978-7-02-000220-3"  # kept to correct
        assert DonationLine.select().count() == 0
        # The scanner's next code replaces it (selected), rather than joining it.
        await pilot.press(*NEW_BOOKS[0][0], "enter")
        await pilot.pause()
        assert [line.isbn for line in DonationLine.select()] == [NEW_BOOKS[0][0]]
        await decline(pilot, "damaged")
        await scan(pilot, "红楼梦")
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert "Books still waiting for a decision: 1. Decide each one first." in screen_text(pilot)
        await pilot.press("ctrl+f")
        await pilot.pause()
        app.screen.action_submit()
        await pilot.pause()
        assert "Choose where the book goes." in screen_text(pilot)
        app.screen.query_one("#forward-to", Select).value = "HX01-RP1"
        await pilot.pause()
        assert "Choose where the book goes." not in screen_text(pilot)  # mended: the remark goes
        app.screen.action_submit()
        await pilot.pause()
        assert lines_table(app).get_row_at(1)[5] == "forwarded → 幸福村阅读点"


async def test_brief_record_form_refuses_bad_input(branch, db_path):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await open_intake(pilot)
        await scan(pilot, NEW_BOOKS[0][0])
        await pilot.press("ctrl+r")
        await pilot.pause()
        await type_into(pilot, "#brief-title", "活着")
        await type_into(pilot, "#brief-clc", "L123")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, BriefRecordScreen)
        assert "L123: there is no CLC class L." in screen_text(pilot)
        await type_into(pilot, "#brief-clc", "I247.57")
        assert "I Literature" in screen_text(pilot)
        await type_into(pilot, "#brief-price", "很多")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "很多 is not a price" in screen_text(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DonationsScreen)
    assert Bib.select().count() == 1 and DonationLine.get().decision == "pending"


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_screens_in_both_languages(branch, db_path, tmp_path, language):
    app = _app(db_path, language)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("f5")
        await pilot.pause()
        app.save_screenshot(str(tmp_path / f"donor-{language}.svg"))
        await pilot.click("#new-donor")
        await pilot.pause()
        await type_into(pilot, "#donor-name", "县第一中学")
        app.save_screenshot(str(tmp_path / f"new-donor-{language}.svg"))
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.click("#start-intake")
        await pilot.pause()
        await scan(pilot, EXISTING)
        await scan(pilot, NEW_BOOKS[0][0])
        app.save_screenshot(str(tmp_path / f"intake-{language}.svg"))
        await pilot.press("ctrl+r")
        await pilot.pause()
        await type_into(pilot, "#brief-clc", "I247.57")
        app.save_screenshot(str(tmp_path / f"brief-{language}.svg"))
        if language == "zh_CN":
            assert "文学" in screen_text(pilot)
    shots = Path(tmp_path)
    assert len(list(shots.glob("*.svg"))) == 4


async def test_call_number_blocks_are_recorded_from_the_screen(library, db_path, tmp_path):
    from screens.callnumber_blocks import CallNumberBlocksScreen

    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("f5")
        await pilot.pause()
        await pilot.click("#blocks")
        await pilot.pause()
        assert isinstance(app.screen, CallNumberBlocksScreen)
        await type_into(pilot, "#block-prefix", "I")
        await type_into(pilot, "#block-first", "200")
        await type_into(pilot, "#block-last", "100")
        await pilot.press("enter")
        await pilot.pause()
        assert "200–100 does not" in screen_text(pilot)
        await type_into(pilot, "#block-last", "300")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#blocks-table", DataTable).get_row_at(0)[:4] == ["I", "200", "300", "0"]
        app.save_screenshot(str(tmp_path / "blocks.svg"))
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DonationsScreen)


async def test_two_copies_of_a_new_book_need_one_brief_record(branch, db_path):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await open_intake(pilot)
        isbn, title, author, clc = NEW_BOOKS[0]
        await scan(pilot, isbn)
        await scan(pilot, isbn)
        await pilot.press("up")
        await pilot.press("ctrl+r")
        await pilot.pause()
        await type_into(pilot, "#brief-title", title)
        await type_into(pilot, "#brief-clc", clc)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("down")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, DonationsScreen)  # no second form: the record exists now
        assert [lines_table(app).get_row_at(i)[5] for i in (0, 1)] == [
            "accessioned HX0100000003", "accessioned HX0100000004"]
    assert Bib.select().where(Bib.isbn == isbn).count() == 1


async def test_a_box_left_half_done_is_taken_up_again_after_signing_out(branch, db_path):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await open_intake(pilot)
        await scan(pilot, NEW_BOOKS[0][0])
        await scan(pilot, EXISTING)
        await pilot.press("ctrl+o")  # signed out in the middle of the box
        await pilot.pause()
        await sign_in(pilot)
        await pilot.press("f5")
        await pilot.pause()
        text = screen_text(pilot)
        assert "Not finished yet: 张三" in text and "(2 of 2 books waiting for a decision)" in text
        await type_into(pilot, "#donor-search", "张三")
        await pilot.press("enter")
        await pilot.pause()
        assert "is not finished (2 of 2 books waiting for a decision): Start intake goes on with it." in screen_text(pilot)
        await pilot.click("#start-intake")
        await pilot.pause()
        assert "Going on with the donation of" in screen_text(pilot)
        assert [lines_table(app).get_row_at(n)[1] for n in range(2)] == ["978-7-5063-6543-7", "978-7-02-000220-7"]
        await decline(pilot, "duplicate")
        await pilot.press("down")
        await decline(pilot, "duplicate")
        await pilot.press("ctrl+g")
        await pilot.pause()
    assert Donor.select().count() == 1 and DonationLine.select().count() == 2
    assert {line.decision for line in DonationLine.select()} == {"declined"}
    assert Donation.select().count() == 1


async def test_adding_a_donor_already_listed_chooses_them(branch, db_path):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await open_intake(pilot)
        app.screen.next_donation()  # back to the donor list, as after a box
        await pilot.pause()
        await add_donor(pilot, "张三", "13800000000")  # the same name and phone again
        assert isinstance(app.screen, DonationsScreen)
        assert "Donor: 张三 (Person) 13800000000" in screen_text(pilot)
    assert Donor.select().count() == 1
