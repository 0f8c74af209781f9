"""The shell: first-run wizard, login, every area by key, language switch, idle lock, sign out."""

from __future__ import annotations

import time

import pytest
from textual.widgets import Footer, Select, Static
from textual.widgets._footer import FooterKey

from countylib.app import AppConfig, make_app
from countylib.clock import FixedClock
from countylib.i18n import current_language
from models import Branch, Staff
from screens.areas import AREAS
from screens.lock import LockScreen
from screens.login import LoginScreen
from screens.placeholder import PlaceholderScreen
from screens.wizard import WizardScreen
from tests.tui.pilot_helpers import screen_text, sign_in, type_into

SIZE = (110, 34)


def _app(db_path, **config):
    return make_app(db_path, AppConfig(language=config.pop("language", "en"), clock=FixedClock(), **config))


async def test_first_run_wizard_sets_up_the_library(tmp_path):
    app = _app(tmp_path / "new.db")
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, WizardScreen)
        await type_into(pilot, "#library-name", "某某县图书馆")
        await type_into(pilot, "#branch-code", "HX01")
        await type_into(pilot, "#branch-name", "城关分馆")
        await type_into(pilot, "#password", "secret12")
        await type_into(pilot, "#password2", "secret12")
        await pilot.click("#create")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert "某某县图书馆" in screen_text(pilot)
        await sign_in(pilot, "admin", "secret12")
        assert app.current_mode == "home"
    assert Branch.get(Branch.is_local == True).code == "HX01"  # noqa: E712


async def test_wizard_refuses_mismatched_passwords_and_writes_nothing(tmp_path):
    app = _app(tmp_path / "new.db")
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "#library-name", "某某县图书馆")
        await type_into(pilot, "#branch-code", "HX01")
        await type_into(pilot, "#branch-name", "城关分馆")
        await type_into(pilot, "#password", "secret12")
        await type_into(pilot, "#password2", "secret13")
        await pilot.click("#create")
        await pilot.pause()
        assert isinstance(app.screen, WizardScreen)
        assert "The two passwords differ." in str(app.screen.query_one("#wizard-error", Static).render())
    assert Branch.select().count() == 0


async def test_wrong_password_is_explained_then_sign_in_works(library, db_path):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "admin", "wrong-one")
        assert isinstance(app.screen, LoginScreen)
        assert "Wrong user name or password." in screen_text(pilot)
        await sign_in(pilot, "admin", "admin123")
        assert app.current_mode == "home"
        assert "admin (Administrator)" in screen_text(pilot)
        assert "某某县图书馆 · 城关分馆 (HX01)" in screen_text(pilot)


async def test_every_area_is_reached_by_its_key(library, db_path):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        for area in AREAS:
            await pilot.press(area.key)
            await pilot.pause()
            assert app.current_mode == area.id, area.id
            if isinstance(app.screen, PlaceholderScreen):
                assert "Not built yet" in screen_text(pilot)
            await pilot.press("f1")
            await pilot.pause()
            assert app.current_mode == "home"


async def test_every_area_is_reached_by_the_mouse(library, db_path):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        for area in AREAS:
            await pilot.click(f"#area-{area.id}")
            await pilot.pause()
            assert app.current_mode == area.id
            await pilot.press("f1")
            await pilot.pause()


# The screens one key away from an area's, by the area's key: each is left with Escape.
SCREENS_WITHIN = {"f2": ["f11", "ctrl+f"], "f3": ["ctrl+n"], "f10": ["ctrl+r", "ctrl+d", "ctrl+u", "ctrl+a"]}


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_every_areas_keys_fit_in_the_footer_at_120_columns(library, db_path, language):
    app = _app(db_path, language=language)
    async with app.run_test(size=(120, 40)) as pilot:

        def footer_width() -> int:
            keys = app.screen.query_one(Footer).query(FooterKey)
            return sum(key.outer_size.width + key.styles.margin.width for key in keys)  # compact keys have a margin

        assert "ctrl+q" in [key.key for key in app.screen.query(FooterKey)]  # no home screen names it yet
        await sign_in(pilot)
        widths = {"home": footer_width()}
        for area in AREAS:
            await pilot.press(area.key)
            await pilot.pause()
            widths[area.id] = footer_width()
            for key in SCREENS_WITHIN.get(area.key, []):
                await pilot.press(key)
                await pilot.pause()
                widths[type(app.screen).__name__] = footer_width()
                await pilot.press("escape")
                await pilot.pause()
        assert len(widths) == 1 + len(AREAS) + 7  # every screen reached
        assert {name: width for name, width in widths.items() if width > 120} == {}


async def test_areas_are_offered_in_the_command_palette(library, db_path):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for area in AREAS:
            assert area.title in titles


async def test_volunteer_cannot_open_librarian_areas(library, db_path, as_role):
    as_role("volunteer")  # volunteer1 / password1
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "volunteer1", "password1")
        await pilot.press("f3")  # Patrons
        await pilot.pause()
        assert app.current_mode == "home"
        assert app.screen.query_one("#area-patrons").disabled


async def test_switching_language_in_settings_needs_no_restart(library, db_path):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("f10")
        await pilot.pause()
        app.screen.query_one("#language", Select).value = "zh_CN"
        await pilot.pause()
        await pilot.pause()
        assert current_language() == "zh_CN"
        assert "界面语言" in screen_text(pilot)
        footer_keys = [str(k.description) for k in app.screen.query_one(Footer).query("FooterKey")]
        assert "首页" in footer_keys
        await pilot.press("f1")
        await pilot.pause()
        assert "欢迎" in screen_text(pilot)
    app2 = _app(db_path, language=None)
    assert current_language() == "zh_CN"  # the choice was saved as the library's setting
    del app2


async def test_textuals_own_keys_are_in_the_footer_in_chinese(library, db_path):
    app = _app(db_path, language="zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("f10")
        await pilot.pause()
        app.screen.query_one("#language", Select).focus()
        await pilot.press("enter")  # the menu opens: Textual's own "Dismiss menu" key
        await pilot.pause()
        footer_keys = [str(k.description) for k in app.screen.query_one(Footer).query("FooterKey")]
        assert "收起菜单" in footer_keys and "Dismiss menu" not in footer_keys


async def test_idle_screen_locks_and_unlocks_with_the_password(library, db_path):
    app = _app(db_path, idle_lock_minutes=1)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("f2")
        await pilot.pause()
        app.last_activity = time.monotonic() - 61
        app._tick()
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await pilot.press("f3")  # area keys do nothing while locked
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await type_into(pilot, "#lock-password", "nope")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await type_into(pilot, "#lock-password", "admin123")
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_mode == "desk"
        assert not isinstance(app.screen, LockScreen)


async def test_sign_out_forgets_the_session(library, db_path):
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert "desk" not in app._modes
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
    assert Staff.get(Staff.username == "admin").last_login_at is not None


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_main_screen_snapshot(library, db_path, language, snap_compare):
    async def signed_in(pilot):
        await sign_in(pilot)
        await pilot.pause()

    assert snap_compare(_app(db_path, language=language), run_before=signed_in, terminal_size=SIZE)


async def test_admin_changes_a_setting_and_a_bad_value_is_explained(library, db_path):
    from textual.widgets import DataTable

    from countylib.settings import get_setting
    from screens.setting_edit import SettingEditScreen

    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("f10")
        await pilot.pause()
        table = app.screen.query_one("#settings-table", DataTable)
        table.focus()
        table.move_cursor(row=table.get_row_index("idle_lock_minutes"))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SettingEditScreen)
        await type_into(pilot, "#setting-value", "soon")
        await pilot.press("enter")
        await pilot.pause()
        assert "soon is not a number of minutes; write 0 to never lock the screen." in screen_text(pilot)
        await type_into(pilot, "#setting-value", "15")
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, SettingEditScreen)
        assert get_setting("idle_lock_minutes") == 15
        assert table.get_row("idle_lock_minutes")[1] == "15"


def test_area_keys_are_not_taken_by_any_screen():
    """F1-F10 switch areas from every screen: a screen binding one would swallow it there."""
    import importlib
    import pkgutil

    import screens
    from textual.screen import Screen

    area_keys = {"f1", *(area.key for area in AREAS)}
    for info in pkgutil.iter_modules(screens.__path__, "screens."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Screen) and obj.__module__ == info.name:
                keys = set(obj._merged_bindings.key_to_bindings) if obj._merged_bindings else set()
                assert not keys & area_keys, f"{obj.__name__} binds {keys & area_keys}"


async def test_admin_opens_the_audit_log_from_settings(library, db_path):
    from screens.audit_log import AuditLogScreen

    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("f10")
        await pilot.pause()
        await pilot.click("#open-audit-log")
        await pilot.pause()
        assert isinstance(app.screen, AuditLogScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.current_mode == "settings"
