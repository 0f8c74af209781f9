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
            await _enrol(pilot, screen, hub.url, code)
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


async def _enrol(pilot, screen: SyncScreen, url: str, code: str) -> None:
    """Fill in the enrolment tab and press Enrol, as staff do."""
    screen.query_one("#sync-tabs").active = "tab-enrol"
    await pilot.pause()
    await type_into(pilot, "#enrol-url", url)
    await type_into(pilot, "#enrol-code", code)
    screen.query_one("#enrol-button", Button).press()


async def _enrolment_answered(pilot) -> None:
    for _ in range(150):
        await pilot.pause(0.1)
        if "…" not in str(pilot.app.screen.query_one("#enrol-message").render()):
            return


def _notes(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def test_sync_now_before_enrolment_says_how_to_enrol(db_path, library):
    """立即同步 on a computer never enrolled: a plain message and the Enrolment tab, not silence;
    and no claim that the records agree with the county."""
    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        assert "agrees with the county" not in screen_text(pilot)
        assert "has not been connected to the central library yet" in screen_text(pilot)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "not connected to the central library yet. Enrol it first" in _notes(app)
        assert screen.query_one("#sync-tabs").active == "tab-enrol"
        app.clear_notifications()
        screen.query_one("#sync-now", Button).press()
        await pilot.pause()
        assert "Enrol it first" in _notes(app)


async def test_unknown_card_conflict_shows_card_copy_time_and_what_accept_means(db_path, library):
    """未知读者证 / 未知条码: the columns come from the conflict's sides (there is no reader or
    copy record), the time is the transaction's, and the action is explained."""
    Conflict.create(
        id="0190a0a0-0000-7000-8000-000000000002", code="CARD_NOT_FOUND", status="open",
        detected_at=dt.datetime(2026, 11, 21, 1, 0),
        data={"code": "CARD_NOT_FOUND", "status": "open", "branches": ["HX01"], "item": None, "patron": None,
              "note": "card XZ0200253 is not known to the county",
              "sides": [{"branch": "HX01", "card_number": "XZ0200253", "barcode": "XZ0100000959",
                         "at": "2026-11-18T06:30:00.000Z"}],
              "actions": ["accept"]},
    )
    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        table = screen.query_one("#conflicts", DataTable)
        when, _what, copy, reader, _branches = (str(cell) for cell in table.get_row_at(0))
        assert (copy, reader) == ("XZ0100000959", "XZ0200253")
        assert when.endswith("14:30") and "18" in when  # 06:30 UTC on the 18th, in Beijing time; not the sync's
        assert "Accept what was done: what was recorded stands" in screen_text(pilot)


async def test_status_bar_shows_the_last_sync_in_local_time_and_no_dangling_dot(db_path, library):
    from screens.sync_worker import BackgroundSync

    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        worker = BackgroundSync(app)
        app.background_sync = worker
        worker.status.enrolled, worker.status.online = True, True
        worker.status.last_success = dt.datetime(2026, 11, 21, 7, 30, tzinfo=dt.UTC).timestamp()
        assert worker.describe().endswith("last 15:30")  # the library's clock (Asia/Shanghai), not UTC
        worker.status.online = False
        worker.status.last_error = "The central library cannot be reached right now (ConnectionError). Work goes on."
        assert worker.describe() == "Sync: offline · 1 waiting · last 15:30"  # branch.initialized waits
        worker.status.last_success = None
        assert worker.describe() == "Sync: offline · 1 waiting"


async def test_enrolment_with_an_unreachable_address_says_what_to_check(db_path, library):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await _enrol(pilot, screen, url, "ABCD-EFGH-JKLM")
        await _enrolment_answered(pilot)
        text = screen_text(pilot)
        assert f"could not be reached at {url}. Check the hub address" in text, text
        assert "ConnectionError" not in text and "will try again" not in text


async def test_code_of_another_branch_is_explained_in_chinese(db_path, library, tmp_path):
    dsn = f"sqlite:///{tmp_path}/hub.db"
    admin = HubAdmin(dsn)
    hub = HubProcess(dsn, tmp_path).start()
    try:
        code = admin.code("ZZ99")
        app = make_app(db_path, AppConfig(language="zh_CN", clock=FixedClock()))
        async with app.run_test(size=SIZE) as pilot:
            screen = await _open(pilot)
            await _enrol(pilot, screen, hub.url, code)
            await _enrolment_answered(pilot)
            message = str(screen.query_one("#enrol-message").render())
            assert message == ("这个注册码是给分馆 ZZ99 用的，而本机属于分馆 HX01。请向中心馆管理员索取 HX01 的注册码。"), message
    finally:
        hub.close()
