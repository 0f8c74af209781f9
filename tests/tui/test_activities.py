"""The Events & Attendance area as staff use it: registering and waitlisting, the door check-in,
a deposit collection sent out and taken back — and every change queued for sync."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import DataTable, Digits, Input, Select, Static, TabbedContent

from countylib import activities as act
from countylib.app import AppConfig, make_app
from countylib.clock import FixedClock
from countylib.locations import PlaceDraft, add_location
from countylib.paths import data_dir
from models import Bib, DepositLine, Item, Location, Outbox, Patron, Registration, VisitCount
from screens.activities import ActivitiesScreen
from screens.activity import ActivityScreen
from screens.confirm import ConfirmDialog
from screens.door import DoorScreen
from screens.places import DepositReturnScreen, DepositSendScreen
from tests.tui.pilot_helpers import click_button, screen_text, sign_in, type_into

SIZE = (130, 40)


@pytest.fixture
def branch(library):
    """Three readers and a story time this afternoon with two places (the clock says 10:00)."""
    for n, name in enumerate(("王小明", "李大壮", "赵晓燕"), start=1):
        Patron.create(card_number=f"C{n}", name=name, home_branch=library.branch, birth_date=dt.date(1990, 1, 1))
    [event] = act.plan_activity(
        library,
        act.ActivityDraft(
            title="绘本故事会",
            kind="children",
            location_code="HX01",
            starts_at=dt.datetime(2026, 11, 21, 14, 30),
            ends_at=dt.datetime(2026, 11, 21, 16, 0),
            capacity=2,
        ),
    )
    return event


def _app(db_path, language="en"):
    return make_app(db_path, AppConfig(language=language, clock=FixedClock()))


async def open_area(pilot) -> None:
    await sign_in(pilot)
    await pilot.press("f7")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ActivitiesScreen)


def message(pilot, selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


async def test_register_by_card_waitlist_and_promotion(db_path, branch):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_area(pilot)
        table = app.screen.query_one("#activity-table", DataTable)
        assert table.row_count == 1 and "绘本故事会" in str(table.get_row_at(0))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ActivityScreen)

        for card in ("C1", "C2"):
            await type_into(pilot, "#reg-card", card)
            await pilot.press("enter")
            await pilot.pause()
        assert "李大壮 is registered." in message(pilot, "#a-message")
        assert app.screen.query_one("#reg-card").has_focus  # the scan field keeps the focus

        await type_into(pilot, "#reg-card", "C3")
        await pilot.press("ctrl+j")  # a scanner sending LF
        await pilot.pause()
        assert "赵晓燕 is on the waitlist" in message(pilot, "#a-message")
        assert "Places taken 2/2 · waitlist 1" in screen_text(pilot)

        await type_into(pilot, "#reg-card", "C1")
        await pilot.press("enter")
        await pilot.pause()
        assert "王小明 is already down for 绘本故事会 (registered)." in message(pilot, "#a-message")
        assert Registration.select().count() == 3

        # A walk-in without a phone is refused with a reason; nothing is written.
        await type_into(pilot, "#reg-name", "路人甲")
        await pilot.click("#reg-walk-in-add")
        await pilot.pause()
        assert "A phone number is needed to reach 路人甲." in message(pilot, "#a-message")
        assert Registration.select().count() == 3

        # Cancel 王小明 (first row): 赵晓燕 moves up from the waitlist.
        app.screen.query_one("#reg-table", DataTable).move_cursor(row=0)
        await pilot.click("#do-cancel-reg")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#confirm")
        await pilot.pause()
        assert "赵晓燕 moves up from the waitlist" in message(pilot, "#a-message")
    statuses = {r.patron.card_number: r.status for r in Registration.select()}
    assert statuses == {"C1": "cancelled", "C2": "registered", "C3": "registered"}
    types = [e.type for e in Outbox.select().where(Outbox.type.startswith("registration.")).order_by(Outbox.seq)]
    assert types == ["registration.created"] * 3 + ["registration.cancelled", "registration.promoted"]


async def test_door_check_in_scan_tick_walk_in_and_headcount(db_path, branch, library):
    act.register_patron(library, branch.id, "C1")
    act.register_patron(library, branch.id, "C2")
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_area(pilot)
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert isinstance(app.screen, DoorScreen)
        headcount = app.screen.query_one("#headcount", Digits)
        assert headcount.value == "0"

        await type_into(pilot, "#door-scan", "C1")
        await pilot.press("enter")
        await pilot.pause()
        assert message(pilot, "#door-message") == "王小明 checked in."
        assert headcount.value == "1"
        assert app.screen.query_one("#door-scan").has_focus

        await type_into(pilot, "#door-scan", "C1")
        await pilot.press("enter")
        await pilot.pause()
        assert "王小明 already checked in at 10:00." in message(pilot, "#door-message")
        assert headcount.value == "1"

        # Tick 李大壮 on the list (second row) without leaving the scan field.
        app.screen.query_one("#door-list", DataTable).move_cursor(row=1)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert message(pilot, "#door-message") == "李大壮 checked in."
        assert headcount.value == "2"

        # Both places are taken: a walk-in is refused, plainly.
        await type_into(pilot, "#walk-name", "路人")
        await pilot.click("#walk-add")
        await pilot.pause()
        assert "绘本故事会 is full: all 2 places are taken." in message(pilot, "#door-message")

        # Undo a mistaken tick, and tick again.
        app.screen.query_one("#door-list", DataTable).move_cursor(row=1)
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert message(pilot, "#door-message") == "李大壮's check-in is undone."
        assert headcount.value == "1"
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert headcount.value == "2"
    types = [e.type for e in Outbox.select().where(Outbox.type.startswith("activity.")).order_by(Outbox.seq)]
    assert types == ["activity.planned", "activity.checked_in", "activity.checked_in", "activity.check_in_undone", "activity.checked_in"]


async def test_walk_ins_at_the_door(db_path, branch):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_area(pilot)
        await pilot.press("ctrl+g")
        await pilot.pause()
        await type_into(pilot, "#walk-name", "路人")
        await type_into(pilot, "#walk-phone", "13900000000")
        await pilot.press("enter")
        await pilot.pause()
        assert message(pilot, "#door-message") == "路人 checked in as a walk-in."
        assert app.screen.query_one("#door-scan").has_focus  # back to scanning
        await type_into(pilot, "#door-scan", "C3")  # a card without a registration
        await pilot.press("enter")
        await pilot.pause()
        assert message(pilot, "#door-message") == "赵晓燕 checked in as a walk-in."
        assert app.screen.query_one("#headcount", Digits).value == "2"
        assert "checked in of 2 places" in screen_text(pilot)
    assert Registration.select().where(Registration.at_door == True).count() == 2  # noqa: E712


async def test_check_in_to_a_cancelled_activity_is_refused(db_path, branch, library):
    act.register_patron(library, branch.id, "C1")
    act.cancel_activity(library, branch.id, "停电")
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_area(pilot)
        app.screen.query_one("#activity-table", DataTable).move_cursor(row=0)
        await pilot.press("ctrl+g")
        await pilot.pause()
        await type_into(pilot, "#door-scan", "C1")
        await pilot.press("enter")
        await pilot.pause()
        assert "绘本故事会 was cancelled; nobody can check in." in message(pilot, "#door-message")
        assert app.screen.query_one("#headcount", Digits).value == "0"


@pytest.fixture
def shelf(library):
    add_location(library, PlaceDraft(code="RP-DC", name="东村阅读点", kind="reading_point", host_organisation="东村村委会"))
    home = Location.get(Location.code == "HX01")
    for n in range(1, 4):
        bib = Bib.create(title=f"图书{n}", call_number=f"I247.5/{n}")
        Item.create(barcode=f"T{n:05d}", bib=bib, home_location=home, current_location=home)
    return library


async def test_a_deposit_collection_sent_out_and_taken_back(db_path, shelf):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_area(pilot)
        app.screen.query_one("#events-tabs", TabbedContent).active = "deposits"
        await pilot.pause()
        await pilot.click("#dep-send")
        await pilot.pause()
        assert isinstance(app.screen, DepositSendScreen)
        for barcode in ("T00001", "T00002", "T00002", "NOPE"):
            await type_into(pilot, "#send-scan", barcode)
            await pilot.press("enter")
            await pilot.pause()
        assert "No item has the barcode NOPE." in message(pilot, "#send-message")
        assert app.screen.query_one("#send-table", DataTable).row_count == 2  # the second T00002 was refused
        await type_into(pilot, "#send-note", "冬季书箱")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)  # offer the transfer list
        await pilot.click("#confirm")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ActivitiesScreen)
        assert "Out now: 东村阅读点 2" in screen_text(pilot)
        [pdf] = list((data_dir() / "exports").glob("*.pdf"))
        assert pdf.read_bytes().startswith(b"%PDF")
        assert Item.get(Item.barcode == "T00001").current_location.code == "RP-DC"

        await pilot.click("#dep-back")
        await pilot.pause()
        assert isinstance(app.screen, DepositReturnScreen)
        for barcode in ("T00001", "T00003", "T00002"):
            await type_into(pilot, "#back-scan", barcode)
            await pilot.press("enter")
            await pilot.pause()
        assert "图书2 is back from 东村阅读点." in message(pilot, "#back-message")
        assert app.screen.query_one("#back-table", DataTable).row_count == 2  # T00003 was never out
        await pilot.press("escape")
        await pilot.pause()
        assert "Nothing is out with a deposit collection." in screen_text(pilot)
    assert DepositLine.select().where(DepositLine.returned_at.is_null()).count() == 0
    assert Item.get(Item.barcode == "T00002").current_location.code == "HX01"
    types = [e.type for e in Outbox.select().where(Outbox.type.startswith("deposit.")).order_by(Outbox.seq)]
    assert types == ["deposit.sent", "deposit.returned", "deposit.returned"]


async def test_the_area_in_chinese(db_path, branch, shelf):
    app = _app(db_path, "zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await open_area(pilot)
        row = str(app.screen.query_one("#activity-table", DataTable).get_row_at(0))
        assert "少儿活动" in row and "已安排" in row
        await pilot.press("enter")
        await pilot.pause()
        await type_into(pilot, "#reg-card", "C1")
        await pilot.press("enter")
        await pilot.pause()
        assert message(pilot, "#a-message") == "王小明报名成功。"
        await type_into(pilot, "#reg-card", "C9")
        await pilot.press("enter")
        await pilot.pause()
        assert "C9" in message(pilot, "#a-message") and "没有" in message(pilot, "#a-message")


async def test_adding_an_activity_type(db_path, branch):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_area(pilot)
        await pilot.click("#activity-new-type")
        await pilot.pause()
        await type_into(pilot, "#prompt-text", "亲子阅读")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ActivitiesScreen)
    assert ("亲子阅读", "亲子阅读") in act.activity_types()


async def open_tab(pilot, tab: str) -> None:
    await open_area(pilot)
    pilot.app.screen.query_one("#events-tabs", TabbedContent).active = tab
    await pilot.pause()


async def save_count(pilot, hour: str, count: str) -> None:
    await type_into(pilot, "#visit-hour", hour)
    await type_into(pilot, "#visit-count", count)
    await pilot.press("enter")
    await pilot.pause()


async def test_a_day_counted_by_the_hour_is_cleared_and_counted_as_a_total(db_path, library):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(pilot, "visits")
        await save_count(pilot, "10", "100")
        await save_count(pilot, "", "50")
        assert "already has counts per hour" in message(pilot, "#visit-message")
        await save_count(pilot, "", "-5")
        assert message(pilot, "#visit-message") == "-5 is less than 0; write 0 or more."

        await pilot.click("#visit-clear")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "10:00 100" in screen_text(pilot)
        await pilot.click("#cancel")  # thought better of it: nothing changes
        await pilot.pause()
        assert VisitCount.select().count() == 1
        await click_button(pilot, "#visit-clear")
        await pilot.click("#confirm")
        await pilot.pause()
        assert "count the day again" in message(pilot, "#visit-message")
        await save_count(pilot, "", "50")
        assert "Saved: 50 visitors" in message(pilot, "#visit-message")
    assert [(v.hour, v.count) for v in VisitCount.select()] == [(None, 50)]
    types = [e.type for e in Outbox.select().where(Outbox.type.startswith("visit.")).order_by(Outbox.seq)]
    assert types == ["visit.counted", "visit.cleared", "visit.counted"]


async def test_a_wrong_date_says_what_is_wrong_with_it(db_path, library):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(pilot, "visits")
        await type_into(pilot, "#visit-day", "2026-02-30")
        await save_count(pilot, "", "5")
        assert message(pilot, "#visit-message") == "There is no 2026-02-30: that month has 28 days."


async def test_the_gate_file_dialog_guesses_the_columns_by_their_names(db_path, library, tmp_path):
    gate = tmp_path / "gate.csv"
    gate.write_text("日期,时间,进馆人数\n2026-11-20,09:00,35\n", encoding="utf-8")
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(pilot, "visits")
        await type_into(pilot, "#gate-path", str(gate))
        await pilot.click("#gate-columns")
        await pilot.pause()
        chosen = {name: app.screen.query_one(f"#col-{name}", Select).value for name in ("date", "count", "hour", "place")}
    assert chosen == {"date": "日期", "count": "进馆人数", "hour": "时间", "place": "-"}


async def test_a_van_stop_chooses_its_route_and_long_names_keep_the_columns(db_path, library):
    add_location(library, PlaceDraft(code="VAN1", name="流动图书车", kind="van", route="东线"))
    Location.create(branch=library.branch, code="RP-LONG", name="阅" * 120, kind="reading_point", host_organisation="村委会")
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(pilot, "places")
        table = app.screen.query_one("#place-table", DataTable)
        long_row = next(r for r in (list(map(str, table.get_row_at(i))) for i in range(table.row_count)) if r[0] == "RP-LONG")
        assert long_row[1].endswith("…") and len(long_row[1]) <= 16 and long_row[3] == "村委会"
        assert sum(c.get_render_width(table) for c in table.ordered_columns) <= SIZE[0]

        await pilot.click("#place-new-stop")
        await pilot.pause()
        assert "e.g. VS-DONGCUN" in str(app.screen.query_one("#p-code", Input).placeholder)
        route = app.screen.query_one("#p-route-choice", Select)
        assert route.value == "东线"
        await type_into(pilot, "#p-code", "VS-XZ")
        await type_into(pilot, "#p-name", "新" * 31)
        await type_into(pilot, "#p-time", "09:30")

        await click_button(pilot, "#p-save")
        assert "keep it to 30 at most" in message(pilot, "#place-error")
        await type_into(pilot, "#p-name", "新镇小学")
        await click_button(pilot, "#p-save")
    assert Location.get(Location.code == "VS-XZ").route == "东线"
