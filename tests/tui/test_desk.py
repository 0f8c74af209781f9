"""The desk driven as staff drive it: scans (typed bursts + Enter), keys, dialogs."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

from textual import events
from textual.widgets import DataTable, Input, Static

from countylib.app import AppConfig, make_app
from countylib.clock import FixedClock
from countylib.scanning import RepeatFilter
from models import Hold, InHouseUse, Item, Loan, Outbox
from screens.confirm import ConfirmDialog
from screens.desk import DeskScreen
from screens.desk_dialogs import HoldSlipDialog, ReasonDialog
from screens.holdshelf import HoldShelfScreen
from screens.overdue import OverdueScreen
from tests.circulation_helpers import home, make_bib, make_item, make_patron
from tests.tui.pilot_helpers import sign_in, type_into

SIZE = (130, 40)
SHOTS = os.environ.get("COUNTYLIB_SCREENSHOTS")  # a folder: save SVGs to look at


class ManualTime:
    """The repeat filter's clock, moved by the test instead of by waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _app(db_path, language="en"):
    return make_app(db_path, AppConfig(language=language, clock=FixedClock()))


async def open_desk(pilot, user="admin", password="admin123") -> DeskScreen:
    await sign_in(pilot, user, password)
    await pilot.press("f2")
    await pilot.pause()
    desk = pilot.app.screen
    assert isinstance(desk, DeskScreen)
    desk.repeats = RepeatFilter(clock=ManualTime())
    return desk


async def scan(pilot, code: str) -> None:
    """A keyboard-wedge scanner: the characters, then Enter; time moves on 3 s."""
    desk = pilot.app.screen
    if isinstance(desk, DeskScreen) and isinstance(desk.repeats.clock, ManualTime):
        desk.repeats.clock.now += 3
    await pilot.press(*code, "enter")
    await pilot.pause()


def result(pilot) -> str:
    return str(pilot.app.screen.query_one("#result", Static).render())


def result_kind(pilot) -> str:
    return next(iter(pilot.app.screen.query_one("#result", Static).classes))


def patron_text(pilot) -> str:
    screen = pilot.app.screen
    return "\n".join(str(screen.query_one(sel, Static).render()) for sel in ("#patron-info", "#patron-blocks", "#holds"))


def table_rows(pilot, selector: str) -> list[list[str]]:
    table = pilot.app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def session_lines(pilot) -> list[str]:
    """The session list's entries, newest first (the heading line left out)."""
    text = str(pilot.app.screen.query_one("#session", Static).render())
    return [line for line in text.splitlines()[1:] if line.strip()]


def shot(app, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        app.save_screenshot(filename=f"{name}.svg", path=SHOTS)


def seed(library):
    make_patron(library, "HX01P1", name="张三")
    make_patron(library, "HX01P2", name="李四", status="suspended")
    make_patron(library, "HX01P3", name="王五")
    for n, title in enumerate(["红楼梦", "三国演义", "水浒传", "西游记"], start=1):
        make_item(library, f"HX01B{n}", bib=make_bib(title))


async def test_a_full_desk_session(library, db_path):
    seed(library)
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        desk = await open_desk(pilot)
        assert app.focused is desk.query_one("#scan", Input)

        await scan(pilot, "HX01P1")  # open the reader
        assert "张三" in patron_text(pilot) and "May borrow" in patron_text(pilot)
        assert "3301**********123X" in patron_text(pilot)

        for code in ("HX01B1", "HX01B2", "hx01b3 "):  # three loans; scanner noise is fine
            await scan(pilot, code)
            assert result_kind(pilot) == "result-ok", result(pilot)
        assert "Lent to 张三: 水浒传, due 21 Dec 2026" in result(pilot)
        assert [row[0] for row in table_rows(pilot, "#loans")] == ["HX01B1", "HX01B2", "HX01B3"]

        await scan(pilot, "HX01B3")  # the same code again within 2 s: ignored, with a note
        desk.repeats.clock.now -= 3
        await scan(pilot, "HX01B3")
        assert "scanned twice within 2 seconds" in result(pilot)
        assert Loan.select().count() == 3

        await pilot.press("down")  # choose the second loan and renew it (too early: refused)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "would not move its due date" in result(pilot) and result_kind(pilot) == "result-refused"
        app.clock.advance(days=10)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "Renewed 三国演义 for 张三: now due 31 Dec 2026" in result(pilot)
        shot(app, "desk-session-en")

        await pilot.press("escape")  # next reader, who is blocked: refused, a librarian may override
        await scan(pilot, "HX01P2")
        assert "Card HX01P2 is suspended" in patron_text(pilot)
        await scan(pilot, "HX01B4")
        assert isinstance(app.screen, ReasonDialog)
        await pilot.press("escape")  # no override after all
        await pilot.pause()
        assert result_kind(pilot) == "result-refused" and "suspended" in result(pilot)
        assert Loan.select().where(Loan.checked_in_at.is_null()).count() == 3

        # 王五 reserves 红楼梦, which 张三 has; its return fills the hold.
        await pilot.press("escape")
        await scan(pilot, "HX01P3")
        await pilot.press("ctrl+t")
        await pilot.pause()
        await type_into(pilot, "#code", "HX01B1")
        await pilot.press("enter")
        await pilot.pause()
        assert "Hold placed for 王五: 红楼梦" in result(pilot)
        assert "Waiting for: 红楼梦" in patron_text(pilot)
        await pilot.press("escape")
        await pilot.press("f12")  # Return mode
        await pilot.pause()
        assert "RETURN" in str(desk.query_one("#mode", Static).render())
        await scan(pilot, "HX01B2")
        assert "Returned 三国演义 from 张三: back to the shelf" in result(pilot)
        await scan(pilot, "HX01B1")
        assert isinstance(app.screen, HoldSlipDialog)
        shot(app, "desk-hold-slip-en")
        await pilot.press("enter")
        await pilot.pause()
        assert "put it on the hold shelf for 王五" in result(pilot)
        assert Hold.get().status == "ready" and Item.get(Item.barcode == "HX01B1").status == "on_hold_shelf"

        await pilot.press("ctrl+z")  # undo is refused for a return that filled a hold, plainly
        await pilot.pause()
        assert "moved on" in result(pilot)
        lines = session_lines(pilot)
        assert "Returned" in lines[0] and "红楼梦" in lines[0] and "Lent" in lines[-1]  # newest first


async def test_codes_arriving_in_one_burst_are_each_handled(library, db_path):
    """A scanner sending two codes faster than the screen handles them (a quick second scan,
    or a batch from its memory): the keys all wait in the field's queue before any runs."""
    seed(library)
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        desk = await open_desk(pilot)
        field = desk.query_one("#scan", Input)
        for key in [*"HX01P1", "enter", *"HX01B1", "enter", *"HX01B2", "enter"]:
            field.post_message(events.Key(key, key if len(key) == 1 else "\r"))
        for _ in range(5):
            await pilot.pause()
        assert [row[0] for row in table_rows(pilot, "#loans")] == ["HX01B1", "HX01B2"]
        assert "Lent to 张三: 三国演义" in result(pilot)
    assert Loan.select().count() == 2


async def test_undo_of_a_loan_and_the_receipt(library, db_path, tmp_path):
    seed(library)
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(pilot)
        await scan(pilot, "HX01P1")
        await scan(pilot, "HX01B1")
        await scan(pilot, "HX01B2")
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert "Loan undone: 三国演义 taken back" in result(pilot)
        assert [row[0] for row in table_rows(pilot, "#loans")] == ["HX01B1"]
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        printed = list((Path(os.environ["COUNTYLIB_HOME"]) / "printouts").glob("receipt-*.pdf"))
        assert len(printed) == 1
    types = [e.type for e in Outbox.select().order_by(Outbox.seq)][1:]
    assert types == ["loan.checked_out", "loan.checked_out", "loan.checked_in", "loan.corrected"]


async def test_a_second_undo_in_a_row_asks_first(library, db_path):
    seed(library)
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        desk = await open_desk(pilot)
        await scan(pilot, "HX01P1")
        await scan(pilot, "HX01B1")
        await scan(pilot, "HX01B2")

        def on_loan() -> list[str]:
            return sorted(loan.item.barcode for loan in Loan.select().where(Loan.checked_in_at.is_null()))

        await pilot.press("ctrl+z")  # the quick "oops": at once
        await pilot.pause()
        assert app.screen is desk and on_loan() == ["HX01B1"]

        await pilot.press("ctrl+z")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert dialog.question == "Undo the check-out of 红楼梦 to 张三?"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is desk and on_loan() == ["HX01B1"]

        await pilot.press("ctrl+z")
        await pilot.pause()
        await pilot.click("#confirm")
        await pilot.pause()
        assert app.screen is desk and on_loan() == []
        assert "Loan undone: 红楼梦 taken back" in result(pilot)

        await scan(pilot, "HX01B3")  # a new transaction: its undo is the quick one again
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert app.screen is desk and on_loan() == []


async def test_undoing_the_return_of_a_book_not_on_loan_says_what_to_do(library, db_path):
    seed(library)
    app = _app(db_path, language="zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(pilot)
        await pilot.press("f12")  # Return mode
        await pilot.pause()
        await scan(pilot, "HX01B1")
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert "《红楼梦》扫描归还时并未借出，没有可恢复的借阅。如果这本书应在读者手中，请直接借给该读者。" in result(pilot)


async def test_bad_input_is_refused_plainly_with_nothing_written(library, db_path):
    seed(library)
    make_bib("ISBN book", isbn="9787020002207")
    app = _app(db_path)
    bells = []
    async with app.run_test(size=SIZE) as pilot:
        app.bell = lambda: bells.append(1)
        await open_desk(pilot)
        await scan(pilot, "NOSUCH1")  # no reader open: neither a card nor a copy
        assert "No reader or item has the code NOSUCH1" in result(pilot) and result_kind(pilot) == "result-refused"
        await scan(pilot, "HX01P1")
        await scan(pilot, "HX01B404")
        assert "No item has barcode HX01B404" in result(pilot)
        await scan(pilot, "9787020002207")
        assert "ISBN" in result(pilot)
        await pilot.press(*"A;B", "enter")
        await pilot.pause()
        assert "cannot be a card number or a barcode" in result(pilot)
        assert len(bells) == 4
        await pilot.press("escape")
        await pilot.press("f12")
        await scan(pilot, "QT02B77")  # Return mode: a copy from elsewhere is accepted for sync
        assert "not in this catalogue" in result(pilot) and result_kind(pilot) == "result-warning"
        await scan(pilot, "HX01B4")  # ours, but not on loan here: said so, not "returned"
        assert "西游记 was not on loan here: back to the shelf." in result(pilot)
    assert Loan.select().count() == 0
    assert [e.type for e in Outbox.select().order_by(Outbox.seq)][1:] == ["loan.checked_in", "loan.checked_in"]


async def test_volunteer_is_told_a_librarian_can_override(library, db_path, as_role):
    as_role("volunteer")
    seed(library)
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(pilot, "volunteer1", "password1")
        await scan(pilot, "HX01P2")
        await scan(pilot, "HX01B1")
        assert not isinstance(app.screen, ReasonDialog)
        assert "A librarian can override this." in result(pilot)
    assert Loan.select().count() == 0


async def test_librarian_override_with_a_reason(library, db_path, as_role):
    as_role("librarian")
    seed(library)
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(pilot, "librarian1", "password1")
        await scan(pilot, "HX01P2")
        await scan(pilot, "HX01B1")
        assert isinstance(app.screen, ReasonDialog)
        shot(app, "desk-override-en")
        await type_into(pilot, "#reason", "card renewed at the desk")
        await pilot.press("enter")
        await pilot.pause()
        assert "Lent to 李四: 红楼梦" in result(pilot)
    assert Loan.get().patron.card_number == "HX01P2"


async def test_overdue_list_in_chinese(library, db_path):
    seed(library)
    from countylib.circulation import check_out

    check_out(library, "HX01P1", "HX01B1")
    Loan.update(due_date=dt.date(2026, 11, 1)).execute()
    app = _app(db_path, language="zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        desk = await open_desk(pilot)
        await scan(pilot, "HX01P1")
        assert "20" in str(desk.query_one("#loans", DataTable).get_row_at(0)[3])
        shot(app, "desk-patron-zh")
        await pilot.press("f11")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, OverdueScreen)
        assert table_rows(pilot, "#overdue-table")[0][:2] == ["张三", "HX01P1"]
        shot(app, "overdue-zh")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is desk
    assert home(library).code == "HX01"


async def test_hold_shelf_lists_and_passes_on_expired_holds(library, db_path):
    seed(library)
    from countylib.circulation import check_in, check_out
    from countylib.holds import place_hold

    check_out(library, "HX01P1", "HX01B1")
    place_hold(library, "HX01P3", Item.get(Item.barcode == "HX01B1").bib_id, home(library))
    check_in(library, "HX01B1")
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(pilot)
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert isinstance(app.screen, HoldShelfScreen)
        assert table_rows(pilot, "#shelf-table")[0][:2] == ["王五", "HX01P3"]
        app.clock.advance(days=10)
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert table_rows(pilot, "#shelf-table") == []
    assert Hold.get().status == "expired" and Item.get(Item.barcode == "HX01B1").status == "available"


async def test_a_locked_database_is_said_plainly_at_the_desk(library, db_path):
    seed(library)
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(pilot)
        await scan(pilot, "HX01P1")
        app.database.execute_sql("PRAGMA busy_timeout = 50")
        other = sqlite3.connect(db_path)
        other.execute("BEGIN EXCLUSIVE")  # a backup holding the write lock
        try:
            await scan(pilot, "HX01B1")
        finally:
            other.rollback()
            other.close()
        assert "The database is busy" in result(pilot) and result_kind(pilot) == "result-refused"
        await scan(pilot, "HX01B2")  # and the desk carries on once it is free
        assert "Lent to 张三" in result(pilot)
    assert [loan.item.barcode for loan in Loan.select()] == ["HX01B2"]
    assert [e.type for e in Outbox.select().order_by(Outbox.seq)][1:] == ["loan.checked_out"]


async def test_a_scan_into_the_override_reason_is_refused_not_lent(library, db_path, as_role):
    """The scanner goes on while "Override?" waits: a code landing in the reason box (with
    Enter, or several in one burst) is no reason, and lends nothing."""
    as_role("librarian")
    make_patron(library, "XZ0100005", name="王琪", expiry=dt.date(2026, 1, 1))
    make_item(library, "XZ0100000005", bib=make_bib("红楼梦"))
    make_item(library, "XZ0100000007", bib=make_bib("三国演义"))
    app = _app(db_path, language="zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(pilot, "librarian1", "password1")
        await scan(pilot, "XZ0100005")
        await scan(pilot, "XZ0100000005")
        dialog = app.screen
        assert isinstance(dialog, ReasonDialog)
        field = dialog.query_one("#reason", Input)
        for key in [*"XZ0100000007", "enter", *"XZ0100000007", "enter"]:
            field.post_message(events.Key(key, key if len(key) == 1 else "\r"))
        for _ in range(5):
            await pilot.pause()
        assert app.screen is dialog and field.value == ""
        error = str(dialog.query_one("#dialog-error", Static).render())
        assert error == "扫描的条码不能作为原因：请写下强制办理的原因，或按 Esc 取消。"
        assert Loan.select().count() == 0

        await type_into(pilot, "#reason", "馆长同意")
        await pilot.press("enter")
        await pilot.pause()
        assert "已借给王琪：《红楼梦》" in result(pilot)
    loan = Loan.get()
    assert loan.item.barcode == "XZ0100000005"
    assert Outbox.get(Outbox.type == "loan.checked_out").payload["override_reason"] == "馆长同意"


async def test_a_handed_back_card_offers_no_override(library, db_path, as_role):
    as_role("librarian")
    make_patron(library, "HX01P9", name="赵六", status="returned")
    make_item(library, "HX01B1", bib=make_bib("红楼梦"))
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(pilot, "librarian1", "password1")
        await scan(pilot, "HX01P9")
        await scan(pilot, "HX01B1")
        assert not isinstance(app.screen, ReasonDialog)
        assert "was handed back" in result(pilot) and result_kind(pilot) == "result-refused"
    assert Loan.select().count() == 0


async def test_a_hold_by_a_hyphenated_isbn(library, db_path):
    seed(library)
    make_item(library, "HX01B9", bib=make_bib("人间词话", isbn="9787020002207"))
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(pilot)
        await scan(pilot, "HX01P1")
        await pilot.press("ctrl+t")
        await pilot.pause()
        await type_into(pilot, "#code", "978-7-02-000220-7")
        await pilot.press("enter")
        await pilot.pause()
        assert "Hold placed for 张三: 人间词话" in result(pilot)
    assert Hold.get().bib.title == "人间词话"


async def test_a_card_scanned_in_in_house_mode_says_how_to_lend(library, db_path):
    seed(library)
    app = _app(db_path, language="zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert "馆内阅览：扫描桌上留下的每本图书以计数" in patron_text(pilot)
        assert "扫借书证即可借书" not in patron_text(pilot)
        await scan(pilot, "HX01P1")
        assert result(pilot) == "✖ 馆内阅览模式：请扫图书；按 Ctrl+N 返回借书。"
        assert result_kind(pilot) == "result-refused"
        await scan(pilot, "HX01B1")  # the mode is still on: the book is counted
        assert "红楼梦" in result(pilot) and InHouseUse.select().count() == 1
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert "扫借书证即可借书" in patron_text(pilot)


async def test_an_overdue_return_reads_as_chinese_sentences(library, db_path):
    seed(library)
    app = _app(db_path, language="zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(pilot)
        await scan(pilot, "HX01P1")
        await scan(pilot, "HX01B1")
        await pilot.press("escape")
        app.clock.advance(days=37)  # due in 30 days
        await scan(pilot, "HX01B1")
        assert "请上架。超期 7 天。" in result(pilot), result(pilot)


async def test_an_expired_card_reads_expired_not_active(library, db_path):
    make_patron(library, "HX01P9", name="赵七", expiry=dt.date(2021, 12, 11))
    app = _app(db_path, language="zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(pilot)
        await scan(pilot, "HX01P9")
        assert "有效期至 2021年12月11日 · 已过期" in patron_text(pilot)
