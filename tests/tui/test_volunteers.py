"""The volunteers area as staff use it: building a week's roster, signing in and out at the
desk, and a volunteer's own page."""

from __future__ import annotations

import datetime as dt

from textual.widgets import DataTable, Static, TabbedContent

from countylib.app import AppConfig, make_app
from countylib.clock import FixedClock
from countylib.shifts import assign_volunteer, create_shift, update_shift
from models import Shift, ShiftAssignment
from screens.roster import RosterPane
from screens.volunteer_desk import MyShiftsPane
from screens.volunteer_modals import ShiftDetail, ShiftForm
from screens.volunteers import VolunteersScreen
from tests.tui.pilot_helpers import sign_in, type_into
from tests.volunteer_fixtures import SATURDAY, add_volunteer, volunteer_login  # noqa: F401 (fixture)

SIZE = (120, 40)


def _app(db_path, clock=None, language="en"):
    return make_app(db_path, AppConfig(language=language, clock=clock or FixedClock()))


def cell(pilot, row: int, column: int) -> str:
    grid = pilot.app.screen.query_one("#roster-grid", DataTable)
    return str(grid.get_cell_at((row, column)))


async def open_volunteers(pilot, tab: str | None = None) -> None:
    await sign_in(pilot)
    await pilot.press("f6")
    await pilot.pause()
    assert isinstance(pilot.app.screen, VolunteersScreen)
    if tab:
        pilot.app.screen.query_one("#volunteer-tabs", TabbedContent).active = tab
        await pilot.pause()


async def test_build_a_weeks_roster(library, db_path):
    add_volunteer(library, "张三", availability={"sat": ["pm"]}, skills=["storytelling"])
    add_volunteer(library, "李四", background_check_on=None)
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_volunteers(pilot)
        roster = app.screen.query_one(RosterPane)
        assert roster.monday == dt.date(2026, 11, 16)
        grid = app.screen.query_one("#roster-grid", DataTable)
        grid.move_cursor(row=0, column=6)  # the branch, Saturday
        await pilot.press("enter")  # an empty cell: a new shift there
        await pilot.pause()
        assert isinstance(app.screen, ShiftForm)
        await type_into(pilot, "#s-start", "14:00")
        await type_into(pilot, "#s-end", "16:00")
        await type_into(pilot, "#s-slots", "2")
        app.screen.query_one("#s-check").value = True
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, VolunteersScreen)
        shift = Shift.get()
        assert (shift.day, shift.slots, shift.needs_background_check) == (SATURDAY, 2, True)
        assert cell(pilot, 0, 6) == "14:00 0/2 *"

        await pilot.press("enter")  # the cell now holds one shift: open it
        await pilot.pause()
        assert isinstance(app.screen, ShiftDetail)
        candidates = app.screen.query_one("#detail-candidates", DataTable)
        assert [str(candidates.get_row_at(n)[0]) for n in range(candidates.row_count)] == ["张三", "李四"]
        candidates.move_cursor(row=1)
        await pilot.press("enter")  # 李四 has no background check: refused, nothing written
        await pilot.pause()
        assert "李四 has no background check on record" in str(app.screen.query_one(".dialog-error", Static).render())
        assert ShiftAssignment.select().count() == 0
        candidates.move_cursor(row=0)
        await pilot.press("enter")
        await pilot.pause()
        assert [a.volunteer.name for a in ShiftAssignment.select()] == ["张三"]
        people = app.screen.query_one("#detail-people", DataTable)
        assert str(people.get_row_at(0)[0]) == "张三"
        await pilot.press("escape")
        await pilot.pause()
        assert cell(pilot, 0, 6) == "14:00 1/2 *"
        warnings = str(app.screen.query_one("#roster-warnings", Static).render())
        assert "Sat 14:00–16:00 城关分馆: 1 open" in warnings

        await pilot.press("ctrl+n")  # a weekly series from the same cell
        await pilot.pause()
        await type_into(pilot, "#s-start", "09:00")
        await type_into(pilot, "#s-end", "12:00")
        await type_into(pilot, "#s-weeks", "8")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert Shift.select().where(Shift.series_id.is_null(False)).count() == 8
        assert cell(pilot, 0, 6) == "09:00 0/1\n14:00 1/2 *"
        await pilot.press("ctrl+right")
        await pilot.pause()
        assert roster.monday == dt.date(2026, 11, 23)
        assert cell(pilot, 0, 6) == "09:00 0/1"


async def test_a_bad_shift_keeps_the_form_open_with_the_reason(library, db_path):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_volunteers(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        await type_into(pilot, "#s-start", "12:00")
        await type_into(pilot, "#s-end", "09:00")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ShiftForm)
        assert "must end after it starts" in str(app.screen.query_one(".dialog-error", Static).render())
    assert Shift.select().count() == 0


async def test_sign_in_and_out_at_the_desk(library, db_path):
    zhang = add_volunteer(library, "张三", card_number="V001")
    shift = create_shift(library, location="HX01", day=SATURDAY, starts="09:00", ends="12:00", slots=2)
    assign_volunteer(library, shift, zhang)
    later = create_shift(library, location="HX01", day=SATURDAY, starts="14:00", ends="16:00", slots=1)
    assign_volunteer(library, later, zhang)  # two shifts today: two rows for one volunteer
    clock = FixedClock()
    app = _app(db_path, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_volunteers(pilot, "tab-desk")
        await type_into(pilot, "#desk-scan", "v001")
        await pilot.press("enter")
        await pilot.pause()
        result = str(app.screen.query_one("#desk-result", Static).render())
        assert result == "张三 signed in for 09:00–12:00 at 城关分馆."
        today = app.screen.query_one("#desk-today", DataTable)
        assert [str(c) for c in today.get_row_at(0)] == ["09:00–12:00", "城关分馆", "张三", "Attended", "10:00", "", ""]
        clock.advance(hours=1, minutes=45)
        await type_into(pilot, "#desk-scan", "V001")
        await pilot.press("ctrl+j")  # a scanner ending its code with LF
        await pilot.pause()
        result = str(app.screen.query_one("#desk-result", Static).render())
        assert result == "张三 signed out: 1.8 hours."
        assert ShiftAssignment.get().minutes == 105
        assert app.screen.query_one("#desk-scan").has_focus
        clock.advance(hours=2)
        today.move_cursor(row=1)
        today.focus()
        await pilot.press("enter")  # picked from today's list instead of scanned
        await pilot.pause()
        result = str(app.screen.query_one("#desk-result", Static).render())
        assert result == "张三 signed in for 14:00–16:00 at 城关分馆."


async def test_a_volunteer_sees_and_signs_only_their_own_shifts(library, db_path, volunteer_login):
    me, other = add_volunteer(library, "我"), add_volunteer(library, "他")
    shift = create_shift(library, location="HX01", day=SATURDAY, starts="09:00", ends="12:00", slots=2)
    assign_volunteer(library, shift, me)
    assign_volunteer(library, shift, other)
    username = volunteer_login(me).actor.username
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, username, "password1")
        await pilot.press("f6")
        await pilot.pause()
        assert app.screen.query_one(MyShiftsPane)
        assert not app.screen.query("#volunteer-tabs")  # no roster, no records, no desk
        table = app.screen.query_one("#my-shifts", DataTable)
        assert table.row_count == 1
        await pilot.click("#my-sign-in")
        await pilot.pause()
        assert "Signed in for 09:00–12:00 at 城关分馆." in str(app.screen.query_one("#my-result", Static).render())
    states = {a.volunteer.name: a.status for a in ShiftAssignment.select()}
    assert states == {"我": "attended", "他": "assigned"}


async def test_the_area_speaks_chinese(library, db_path):
    add_volunteer(library, "张三")
    app = _app(db_path, language="zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await open_volunteers(pilot)
        tabs = app.screen.query_one("#volunteer-tabs", TabbedContent)
        assert [str(tab.label) for tab in tabs.query("ContentTab")] == ["排班表", "签到 / 签退", "志愿者", "时长与表彰"]
        assert "2026年11月16日 – 2026年11月22日 这一周" in str(app.screen.query_one("#roster-week", Static).render())


async def test_roster_prints_to_pdf_and_csv(library, db_path):
    from pypdf import PdfReader

    from countylib.paths import data_dir

    shift = create_shift(library, location="HX01", day=SATURDAY, starts="09:00", ends="12:00", slots=2, role="shelving")
    assign_volunteer(library, shift, add_volunteer(library, "张三"))
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_volunteers(pilot)
        await pilot.click("#roster-print")
        await pilot.click("#roster-csv")
        await app.workers.wait_for_complete()
        await pilot.pause()
    folder = data_dir() / "printouts"
    text = PdfReader(folder / "roster-2026-11-16.pdf").pages[0].extract_text()
    assert "Volunteer roster" in text and "张三" in text and "1 open" in text
    assert "张三" in (folder / "roster-2026-11-16.csv").read_text(encoding="utf-8-sig")


async def test_a_double_scan_at_the_desk_does_not_sign_out(library, db_path):
    zhang = add_volunteer(library, "张晓雨", card_number="V001")
    for starts, ends in (("09:00", "12:00"), ("14:00", "17:00")):
        assign_volunteer(library, create_shift(library, location="HX01", day=SATURDAY, starts=starts, ends=ends), zhang)
    clock = FixedClock()
    clock.advance(hours=5, minutes=22)  # 15:22
    app = _app(db_path, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_volunteers(pilot, "tab-desk")

        async def scan() -> str:
            await type_into(pilot, "#desk-scan", "V001")
            await pilot.press("enter")
            await pilot.pause()
            return str(app.screen.query_one("#desk-result", Static).render())

        assert await scan() == "张晓雨 signed in for 14:00–17:00 at 城关分馆."
        clock.advance(seconds=3)
        assert await scan() == (
            "张晓雨 signed in at 15:22, 0 min ago; a second scan so soon is not taken as signing out."
        )
        assert ShiftAssignment.get(ShiftAssignment.signed_in_at.is_null(False)).signed_out_at is None
        button = app.screen.query_one("#desk-sign-out")
        assert button.display and str(button.label) == "Sign 张晓雨 out now"
        assert app.screen.query_one("#desk-scan").has_focus
        await pilot.click("#desk-sign-out")  # meant after all
        await pilot.pause()
        result = str(app.screen.query_one("#desk-result", Static).render())
        assert result == "张晓雨 signed out after 0 min: too short to count as a shift."
        assert not button.display
        assert "has already ended" in await scan()  # not the morning shift, over since 12:00
    assert ShiftAssignment.select().where(ShiftAssignment.status == "attended").count() == 1


async def test_assigning_asks_only_when_it_can_be_done_and_no_is_the_default(library, db_path):
    from screens.confirm import ConfirmDialog

    async def pick_candidate(pilot, name: str) -> None:
        candidates = app.screen.query_one("#detail-candidates", DataTable)
        names = [str(candidates.get_row_at(n)[0]) for n in range(candidates.row_count)]
        candidates.focus()
        candidates.move_cursor(row=names.index(name))
        await pilot.press("enter")

    add_volunteer(library, "周东平", availability={"mon": ["am"]})  # not usually on Saturdays: a warning
    full = create_shift(library, location="HX01", day=SATURDAY, starts="09:00", ends="12:00", slots=1)
    assign_volunteer(library, full, add_volunteer(library, "张三"))
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_volunteers(pilot)
        app.screen.query_one(RosterPane).open_shift(full.id)
        await pilot.pause()
        await pick_candidate(pilot, "周东平")
        await pilot.pause()
        assert isinstance(app.screen, ShiftDetail)  # no question whose yes would be refused
        error = str(app.screen.query_one(".dialog-error", Static).render())
        assert error == "This shift already has all 1 volunteers it needs."

        app.screen.dismiss(None)
        await pilot.pause()
        update_shift(library, full, slots=2)
        app.screen.query_one(RosterPane).open_shift(full.id)
        await pilot.pause()
        await pick_candidate(pilot, "周东平")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.focused.id == "cancel"
        await pilot.press("left")
        assert app.screen.focused.id == "confirm"
        await pilot.press("right")
        assert app.screen.focused.id == "cancel"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ShiftDetail)
    assert [a.volunteer.name for a in ShiftAssignment.select()] == ["张三"]


async def test_ctrl_n_makes_what_the_tab_lists_even_from_the_tab_bar(library, db_path):
    from screens.volunteer_modals import VolunteerForm

    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_volunteers(pilot, "tab-records")
        app.screen.query_one("ContentTabs").focus()
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, VolunteerForm)
        await pilot.press("escape")
        await pilot.pause()
        app.screen.query_one("#volunteer-tabs", TabbedContent).active = "tab-roster"
        await pilot.pause()
        app.screen.query_one("ContentTabs").focus()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, ShiftForm)


async def test_roster_and_shift_show_whole_names_tasks_and_notes(library, db_path):
    from models import Location

    Location.create(branch=library.branch, code="HX01-RP2", name="城东社区便民阅读点", kind="reading_point")
    li = add_volunteer(library, "李霞彩", availability={"mon": ["am"]}, skills=[], background_check_on=None)
    create_shift(library, location="HX01-RP2", day=SATURDAY, starts="09:00", ends="12:00", slots=2)
    shelving = create_shift(
        library, location="HX01", day=SATURDAY, starts="09:00", ends="12:00", role="shelving", needs_background_check=True
    )
    app = _app(db_path, language="zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await open_volunteers(pilot)
        grid = app.screen.query_one("#roster-grid", DataTable)
        assert grid.columns["place"].width == 18  # 城东社区便民阅读点 whole
        grid.move_cursor(row=[str(grid.get_row_at(n)[0]) for n in range(grid.row_count)].index("城东社区便民阅读点"), column=6)
        await pilot.pause()
        shifts = app.screen.query_one("#roster-shifts", DataTable)
        assert str(shifts.get_row_at(0)[1]) == "（任何志愿者）"
        app.screen.query_one(RosterPane).open_shift(shelving.id)
        await pilot.pause()
        candidates = app.screen.query_one("#detail-candidates", DataTable)
        note = str(candidates.get_row_at(0)[2])
        assert note == (
            "李霞彩没有背景审查记录，而这个少儿班次需要。李霞彩通常不在周六（上午）服务。李霞彩的档案中没有“图书上架”特长。"
        )
        assert candidates.rows[li.id].height == 2  # wrapped, not cut at the edge


async def test_year_field_shows_the_whole_year_and_papers_are_named_by_the_volunteer(library, db_path):
    from countylib.paths import data_dir
    from countylib.volunteer_hours import correct_hours

    zhang = add_volunteer(library, "张晓雨")
    assignment = assign_volunteer(library, create_shift(library, location="HX01", day=SATURDAY, starts="09:00", ends="12:00"), zhang)
    correct_hours(library, assignment.assignment, minutes=180, reason="补登")
    app = _app(db_path, language="zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await open_volunteers(pilot, "tab-recognition")
        year = app.screen.query_one("#rank-year")
        await type_into(pilot, "#rank-year", "2026")
        assert year.content_region.width > len("2026")  # the digits and the cursor
        await pilot.click("#paper-statement")
        await pilot.click("#paper-certificate")
        await app.workers.wait_for_complete()
        await pilot.pause()
    names = sorted(path.name for path in (data_dir() / "printouts").glob("*.pdf"))
    assert names == ["certificate-张晓雨-2026-zh_CN.pdf", "hours-张晓雨-2026-zh_CN.pdf"]
