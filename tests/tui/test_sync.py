"""The Sync area as staff use it: enrol with a code, sync, resolve a conflict."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import Button, DataTable, Input

from countylib.app import AppConfig, make_app
from countylib.clock import FixedClock
from models import Conflict, Outbox, SyncState
from screens.sync import ResolveScreen, SyncScreen
from tests.sync.conftest import HubAdmin, HubProcess
from tests.tui.pilot_helpers import screen_text, sign_in, type_into

SIZE = (130, 40)


@pytest.fixture
def conflict(library):
    return Conflict.create(
        id="0190a0a0-0000-7000-8000-000000000001",
        code="OPEN_LOAN_EXISTS",
        status="open",
        detected_at=dt.datetime(2026, 11, 20, 8, 0),
        data={
            "code": "OPEN_LOAN_EXISTS",
            "status": "open",
            "branches": ["HX01", "HX02"],
            "item": {"id": "i1", "barcode": "HX010001"},
            "patron": None,
            "note": "checked out at two places; the earlier loan was closed at the later check-out",
            "sides": [
                {"branch": "HX01", "card_number": "C0001", "at": "2026-11-19T02:00:00.000Z"},
                {"branch": "HX02", "card_number": "C0002", "at": "2026-11-20T03:00:00.000Z"},
            ],
            "actions": ["accept", "check_shelf"],
        },
    )


async def _open(pilot) -> SyncScreen:
    await sign_in(pilot)
    await pilot.press("f9")
    await pilot.pause()
    assert isinstance(pilot.app.screen, SyncScreen)
    return pilot.app.screen


async def test_resolve_a_conflict_records_an_event(db_path, conflict, tmp_path):
    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        text = screen_text(pilot)
        assert "Not connected to a central library yet" in text, text
        assert "Checked out at two places" in text
        assert "C0002" in text  # both sides are shown
        assert screen.query_one("#conflicts", DataTable).row_count == 1
        app.save_screenshot(str(tmp_path / "sync.svg"))
        [button] = [b for b in screen.query(".resolve").results(Button) if b.name == "check_shelf"]
        button.press()
        await pilot.pause()
        assert isinstance(app.screen, ResolveScreen)
        await type_into(pilot, "#resolve-note", "on the shelf")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SyncScreen)
        assert screen.query_one("#conflicts", DataTable).row_count == 0
    assert Conflict.get_by_id(conflict.id).status == "resolved"
    event = Outbox.select().where(Outbox.type == "conflict.resolved").get()
    assert event.payload["action"] == "check_shelf" and event.payload["note"] == "on the shelf"


async def test_enrol_and_sync_from_the_screen(db_path, library, tmp_path):
    dsn = f"sqlite:///{tmp_path}/hub.db"
    admin = HubAdmin(dsn)
    hub = HubProcess(dsn, tmp_path).start()
    try:
        code = admin.code("HX01")
        app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
        async with app.run_test(size=SIZE) as pilot:
            screen = await _open(pilot)
            screen.query_one("#sync-tabs").active = "tab-enrol"
            await pilot.pause()
            await type_into(pilot, "#enrol-url", hub.url)
            await type_into(pilot, "#enrol-code", code)
            screen.query_one("#enrol-button", Button).press()
            for _ in range(100):
                await pilot.pause(0.1)
                await app.workers.wait_for_complete()
                if app.background_sync is not None and not app.background_sync.status.running \
                        and app.background_sync.status.last_success:
                    break
            await pilot.pause()
            screen.refresh_status_line()
            text = screen_text(pilot)
            assert "Enrolled as a device of branch HX01" in text
            assert "Last successful sync" in text and "never" not in text
            # The fixed test clock is hours away from the hub's: staff are told by how much.
            assert "behind the central library" in text or "ahead of the central library" in text
            assert screen.query_one("#enrol-code", Input).value == ""
            app.save_screenshot(str(tmp_path / "sync-enrolled.svg"))
        assert SyncState.get_by_id(1).hub_url == hub.url
        assert Outbox.select().where(Outbox.acked_at.is_null()).count() == 0
    finally:
        hub.close()
