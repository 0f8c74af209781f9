"""The audit log screen: an admin reads, filters and exports; anyone else sees the refusal."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from countylib.app import AppConfig, make_app
from countylib.clock import FixedClock
from screens.audit_log import AuditLogScreen, ExportAuditDialog
from tests.tui.pilot_helpers import screen_text, sign_in, type_into

SIZE = (130, 36)


async def _open(pilot, app, ctx=None):
    app.push_screen(AuditLogScreen(ctx or app.ctx))
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_admin_reads_filters_and_exports(library, db_path, tmp_path):
    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await _open(pilot, app)
        table = app.screen.query_one("#audit-table", DataTable)
        actions = [table.get_row_at(i)[2] for i in range(table.row_count)]
        assert actions[0] == "login.succeeded" and "library.initialized" in actions
        assert "Entries 1–" in screen_text(pilot)
        app.save_screenshot(str(tmp_path / "audit.svg"))
        await type_into(pilot, "#audit-text", "login")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [table.get_row_at(i)[2] for i in range(table.row_count)] == ["login.succeeded"]
        await type_into(pilot, "#audit-since", "21/11/2026")
        await pilot.press("enter")
        await pilot.pause()
        assert "is not a date" in screen_text(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ExportAuditDialog)
        out = tmp_path / "audit.csv"
        app.screen.query_one("#audit-export-path", Input).value = str(out)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "1 entries written" in screen_text(pilot) and out.exists()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AuditLogScreen)


async def test_pages_of_two_hundred(library, db_path):
    from countylib.audit import record_audit

    with library.db.atomic():
        for i in range(250):
            record_audit(library, "patron.id_viewed", "patron", f"p-{i}")
    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await _open(pilot, app)
        assert "Entries 1–200 of 252" in screen_text(pilot)
        await pilot.press("pagedown")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Entries 201–252 of 252" in screen_text(pilot)
        await pilot.press("pagedown")  # no further
        await pilot.press("pageup")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Entries 1–200 of 252" in screen_text(pilot)


async def test_a_librarian_is_refused(as_role, db_path):
    librarian = as_role("librarian")
    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "librarian1", "password1")
        await _open(pilot, app, librarian)
        assert "This needs the Administrator role" in screen_text(pilot)
        assert app.screen.query_one("#audit-table", DataTable).row_count == 0
