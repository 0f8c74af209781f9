"""The About screen: reached from Settings, shows version, folders and licence, closes with escape."""

from __future__ import annotations

from textual.widgets import Button

from countylib import __version__
from countylib.app import AppConfig, make_app
from countylib.clock import FixedClock
from countylib.paths import data_dir, log_dir
from screens.about import AboutScreen
from tests.tui.pilot_helpers import screen_text, sign_in

SIZE = (120, 36)


async def test_about_from_settings_shows_version_folders_and_licence(library, db_path, tmp_path):
    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("f10")
        await pilot.pause()
        button = app.screen.query_one("#about", Button)
        button.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AboutScreen)
        text = screen_text(pilot)
        for expected in (__version__, str(data_dir()), str(log_dir()), str(db_path.resolve()), "MIT"):
            assert expected in text
        assert str(db_path.parent.resolve() / "backups") in text
        app.save_screenshot(str(tmp_path / "about.svg"))
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, AboutScreen)


async def test_about_reads_in_chinese(library, db_path):
    app = make_app(db_path, AppConfig(language="zh_CN", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(AboutScreen(str(db_path)))
        await pilot.pause()
        text = screen_text(pilot)
        assert "关于 CountyLib" in text
        assert "数据文件夹" in text
