"""The admin parts of Settings as staff use them: the lending-rule matrix and its tester,
closed days, staff accounts, and who may open what."""

from __future__ import annotations

import datetime as dt

from textual.widgets import DataTable, Select, Static

from countylib.app import AppConfig, make_app
from countylib.auth import create_staff
from countylib.clock import FixedClock
from countylib.rules import due_date
from models import Calendar, CirculationRule, Staff
from screens.closed_day_form import ClosedDayForm
from screens.closed_days import ClosedDaysScreen
from screens.confirm import ConfirmDialog
from screens.rule_form import RuleForm
from screens.rules import RulesScreen
from screens.settings import SettingsScreen
from screens.staff import StaffScreen
from screens.staff_form import NewStaffForm
from tests.tui.pilot_helpers import sign_in, type_into

SIZE = (120, 40)


def _app(db_path, language="en"):
    return make_app(db_path, AppConfig(language=language, clock=FixedClock()))


def notes(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def open_settings(pilot, username="admin", password="admin123") -> None:
    await sign_in(pilot, username, password)
    await pilot.press("f10")
    await pilot.pause()
    assert isinstance(pilot.app.screen, SettingsScreen)


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await pilot.pause()


def rule_rows(app) -> list[tuple[str, ...]]:
    table = app.screen.query_one("#rules-table", DataTable)
    return [tuple(str(c) for c in table.get_row_at(n)) for n in range(table.row_count)]


async def test_add_a_childrens_rule_test_it_and_delete_it(library, db_path):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await press(pilot, "ctrl+r")
        assert isinstance(app.screen, RulesScreen)
        assert rule_rows(app)[-1][:4] == ("any", "any", "any", "30")  # the default rule, last
        before = len(rule_rows(app))

        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, RuleForm)
        app.screen.query_one("#r-category", Select).value = "child"
        await type_into(pilot, "#r-loan_days", "20")
        await type_into(pilot, "#r-max_items", "5")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, RulesScreen)
        rule = CirculationRule.get(CirculationRule.patron_category == "child")
        assert (rule.branch_id, rule.item_type, rule.loan_days, rule.max_items) == (None, None, 20, 5)
        assert ("any", "Child", "any", "20", "5") in [row[:5] for row in rule_rows(app)]
        assert len(rule_rows(app)) == before + 1

        # The tester: an adult borrowing a book gets the default rule, a child the new one.
        assert "any branch · any category · any item type — 30 days" in text(app, "#test-result")
        app.screen.query_one("#test-category", Select).value = "child"
        await pilot.pause()
        assert "Applies: any branch · Child · any item type — 20 days, up to 5 items" in text(app, "#test-result")
        table = app.screen.query_one("#rules-table", DataTable)
        assert rule_rows(app)[table.cursor_row][1] == "Child"  # the table shows which row

        # Delete it (the tester's pick is highlighted): asked first, then gone.
        await press(pilot, "delete")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.pause(0.25)
        await pilot.click("#confirm")
        await pilot.pause()
        assert isinstance(app.screen, RulesScreen)
        assert not CirculationRule.select().where(CirculationRule.patron_category == "child").exists()
        assert "Rule deleted: any branch · Child · any item type" in notes(app)
        assert "any branch · any category · any item type — 30 days" in text(app, "#test-result")

        # The default rule refuses, in the service's words, with nothing to confirm.
        table.move_cursor(row=table.row_count - 1)
        await press(pilot, "delete")
        assert isinstance(app.screen, RulesScreen)
        assert "The default rule cannot be deleted; change it instead." in notes(app)
        assert len(rule_rows(app)) == before


async def test_change_the_default_rule(library, db_path):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await press(pilot, "ctrl+r")
        table = app.screen.query_one("#rules-table", DataTable)
        table.move_cursor(row=table.row_count - 1)
        await press(pilot, "enter")
        assert isinstance(app.screen, RuleForm)
        assert app.screen.query_one("#r-branch", Select).disabled  # an existing rule keeps its cell
        await type_into(pilot, "#r-loan_days", "28")
        await type_into(pilot, "#r-fine_per_day_cents", "0.10")
        await press(pilot, "enter")
        assert isinstance(app.screen, RulesScreen)
        assert rule_rows(app)[-1][:4] == ("any", "any", "any", "28")
        assert rule_rows(app)[-1][8] == "0.10"
    default = CirculationRule.get(CirculationRule.branch.is_null(), CirculationRule.patron_category.is_null(), CirculationRule.item_type.is_null())
    assert (default.loan_days, default.fine_per_day_cents) == (28, 10)


async def test_a_bad_rule_keeps_the_form_open_and_saves_nothing(library, db_path):
    count = CirculationRule.select().count()
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await press(pilot, "ctrl+r")
        await press(pilot, "ctrl+n")
        app.screen.query_one("#r-category", Select).value = "child"
        await type_into(pilot, "#r-loan_days", "two")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, RuleForm)
        assert "Loan days must be a whole number, 0 or more." in text(app, ".dialog-error")
        await type_into(pilot, "#r-loan_days", "0")
        await press(pilot, "ctrl+s")
        assert "A loanable rule needs at least one loan day." in text(app, ".dialog-error")
        await type_into(pilot, "#r-loan_days", "20")
        await type_into(pilot, "#r-fine_cap_cents", "lots")
        await press(pilot, "ctrl+s")
        assert "lots is not an amount in yuan" in text(app, ".dialog-error")
        await type_into(pilot, "#r-fine_cap_cents", "0")
        app.screen.query_one("#r-category", Select).value = "*"
        app.screen.query_one("#r-type", Select).value = "periodical"  # seeded already
        await press(pilot, "ctrl+s")
        assert "There is a rule for this branch, category and item type already" in text(app, ".dialog-error")
        await press(pilot, "escape")
        assert isinstance(app.screen, RulesScreen)
    assert CirculationRule.select().count() == count


async def test_close_a_run_of_days_and_due_dates_skip_it(library, db_path):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await press(pilot, "ctrl+d")
        assert isinstance(app.screen, ClosedDaysScreen)
        assert "No closed days in 2026." in text(app, "#closed-empty")

        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, ClosedDayForm)
        await type_into(pilot, "#c-first", "2026-12-41")
        await type_into(pilot, "#c-reason", "盘点")
        await press(pilot, "enter")
        assert "There is no 2026-12-41: that month has 31 days." in text(app, ".dialog-error")
        await type_into(pilot, "#c-first", "2026-12-21")
        await type_into(pilot, "#c-last", "2026-12-22")
        await type_into(pilot, "#c-reason", "盘点")
        await press(pilot, "enter")
        assert isinstance(app.screen, ClosedDaysScreen)
        assert "Closed days added: 2" in notes(app)
        table = app.screen.query_one("#closed-table", DataTable)
        assert [str(c) for c in table.get_row_at(0)] == ["21 Dec 2026", "Mon", "This branch (HX01)", "盘点"]
        assert table.row_count == 2

        # 2026-11-21 + 30 days is 21 December: closed, and so is the 22nd.
        assert due_date(library.branch.id, dt.date(2026, 11, 21), 30) == dt.date(2026, 12, 23)

        await press(pilot, "delete")  # reopen the 21st
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.pause(0.25)
        await pilot.click("#confirm")
        await pilot.pause()
        assert [c.day for c in Calendar.select()] == [dt.date(2026, 12, 22)]
        assert due_date(library.branch.id, dt.date(2026, 11, 21), 30) == dt.date(2026, 12, 21)

        await press(pilot, "ctrl+right")
        assert text(app, "#year") == "Closed days in 2027"
        assert table.row_count == 0


async def test_weekly_closing_days_from_the_closed_days_screen(library, db_path):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await press(pilot, "ctrl+d")
        await press(pilot, "ctrl+w")
        await type_into(pilot, "#setting-value", "Monday")
        await press(pilot, "enter")
        assert "Monday is not a weekday number (0 = Monday … 6 = Sunday)." in str(
            app.screen.query_one("#setting-error").render()
        )
        await type_into(pilot, "#setting-value", "0")
        await press(pilot, "enter")
        assert text(app, "#weekly") == "Closed every week: Mon"
    # Monday 2026-11-23 is closed now: a loan due then is due on Tuesday.
    assert due_date(library.branch.id, dt.date(2026, 11, 23), 0) == dt.date(2026, 11, 24)


async def test_open_a_librarian_account_that_can_sign_in(library, db_path):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await press(pilot, "ctrl+u")
        assert isinstance(app.screen, StaffScreen)
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, NewStaffForm)
        await type_into(pilot, "#s-username", "wang")
        await type_into(pilot, "#s-name", "王老师")
        await type_into(pilot, "#s-password", "shelves1")
        await type_into(pilot, "#s-password2", "shelves2")
        await press(pilot, "enter")
        assert "The two passwords differ." in text(app, ".dialog-error")
        await type_into(pilot, "#s-password2", "shelves1")
        await press(pilot, "enter")
        assert isinstance(app.screen, StaffScreen)
        assert "Account wang opened." in notes(app)
        table = app.screen.query_one("#staff-accounts", DataTable)
        assert [str(c) for c in table.get_row_at(table.cursor_row)][:4] == ["wang", "王老师", "Librarian", "yes"]
        await press(pilot, "escape")
        overview = app.screen.query_one("#staff-table", DataTable)  # Settings' list is up to date
        names = [str(overview.get_row_at(n)[0]) for n in range(overview.row_count)]
        assert "wang" in names
        overview.focus()
        overview.move_cursor(row=names.index("wang"))
        await press(pilot, "enter")  # a row of that list opens the account
        assert isinstance(app.screen, StaffScreen)
        assert app.screen.highlighted().username == "wang"
        await press(pilot, "escape")

        await press(pilot, "ctrl+o")  # sign out; the new account signs in
        await open_settings(pilot, "wang", "shelves1")
        assert app.ctx.actor.role == "librarian"


async def test_an_admin_cannot_deactivate_themselves_but_can_others(library, db_path):
    create_staff(library, "wang", "shelves1", "librarian")
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await press(pilot, "ctrl+u")
        table = app.screen.query_one("#staff-accounts", DataTable)
        names = [str(table.get_row_at(n)[0]) for n in range(table.row_count)]
        table.move_cursor(row=names.index("admin"))
        await press(pilot, "ctrl+d")
        await pilot.pause(0.25)
        await pilot.click("#confirm")
        await pilot.pause()
        assert "You cannot deactivate your own account" in notes(app)
        table.move_cursor(row=names.index("wang"))
        await press(pilot, "ctrl+d")
        await pilot.pause(0.25)
        await pilot.click("#confirm")
        await pilot.pause()
        assert "wang can no longer sign in." in notes(app)
        assert str(table.get_row_at(names.index("wang"))[3]) == "no"
    assert not Staff.get(Staff.username == "wang").active
    assert Staff.get(Staff.username == "admin").active


async def test_a_librarian_may_look_at_rules_but_not_change_them_or_staff(library, db_path):
    create_staff(library, "wang", "shelves1", "librarian")
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot, "wang", "shelves1")
        await press(pilot, "ctrl+u")
        assert isinstance(app.screen, SettingsScreen)
        assert "This needs the Administrator role; you are signed in as wang (Librarian)." in notes(app)

        await press(pilot, "ctrl+r")
        assert isinstance(app.screen, RulesScreen)
        assert "Only an administrator can change the lending rules." in text(app, "#rules-hint")
        count = len(rule_rows(app))
        for key in ("ctrl+n", "enter", "delete"):
            app._notifications.clear()
            await press(pilot, key)
            assert isinstance(app.screen, RulesScreen), key
            assert "This needs the Administrator role" in notes(app), key
        assert len(rule_rows(app)) == count == CirculationRule.select().count()
        await press(pilot, "escape")

        await press(pilot, "ctrl+d")  # closed days are a librarian's work
        assert isinstance(app.screen, ClosedDaysScreen)


async def test_a_volunteer_is_refused_every_admin_screen(library, db_path):
    create_staff(library, "vol", "helper12", "volunteer")
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot, "vol", "helper12")
        for key in ("ctrl+r", "ctrl+d", "ctrl+u"):
            await press(pilot, key)
            assert isinstance(app.screen, SettingsScreen), key
        assert "This needs the Librarian role; you are signed in as vol (Volunteer)." in notes(app)
        assert not app.screen.query("#staff-table")


async def test_the_admin_screens_in_chinese(library, db_path):
    app = _app(db_path, language="zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await press(pilot, "ctrl+r")
        assert "适用" in text(app, "#test-result")
        await press(pilot, "escape")
        await press(pilot, "ctrl+d")
        assert text(app, "#year") == "2026 年闭馆日"
        await press(pilot, "escape")
        await press(pilot, "ctrl+u")
        assert isinstance(app.screen, StaffScreen)


async def test_settings_read_as_the_words_chosen_and_a_weak_account_is_refused(library, db_path):
    from screens.setting_edit import SettingEditScreen

    app = _app(db_path, "zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        table = app.screen.query_one("#settings-table", DataTable)
        values = {key: str(table.get_row(key)[1]) for key in ("language", "fines_enabled", "circulation_rule_branch")}
        assert values == {"language": "简体中文", "fines_enabled": "否", "circulation_rule_branch": "借阅台所在馆"}
        assert "0：不锁屏" in str(table.get_row("idle_lock_minutes")[0])

        table.focus()
        table.move_cursor(row=table.get_row_index("fines_enabled"))
        await press(pilot, "enter")
        assert isinstance(app.screen, SettingEditScreen)
        app.screen.query_one("#setting-choice", Select).value = True  # chosen from 是 / 否
        await pilot.click("#setting-save")
        await pilot.pause()
        assert str(table.get_row("fines_enabled")[1]) == "是"

        await press(pilot, "ctrl+u")
        await press(pilot, "ctrl+n")
        await type_into(pilot, "#s-username", "王 老师")
        await type_into(pilot, "#s-password", "123456")
        await type_into(pilot, "#s-password2", "123456")
        await press(pilot, "enter")
        assert text(app, ".dialog-error") == "用户名不能有空格，例如可写成 王老师。"
        await type_into(pilot, "#s-username", "wang")
        await type_into(pilot, "#s-password", "12345678")
        await type_into(pilot, "#s-password2", "12345678")
        await press(pilot, "enter")
        assert text(app, ".dialog-error") == "纯数字密码很容易被猜到，请加入字母。"
    assert not Staff.select().where(Staff.username.in_(["王 老师", "wang"])).exists()
