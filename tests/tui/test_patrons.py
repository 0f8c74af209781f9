"""The patrons area driven as staff drive it: register a child with a guardian, replace a
lost card, return a card — and the refusals on the way, with nothing half-written."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from textual import events
from textual.widgets import Checkbox, DataTable, RadioSet, Static

from countylib.app import AppConfig, make_app
from countylib.clock import FixedClock
from countylib.patrons import ERASED_NAME, register_patron, return_card
from models import AuditLog, CardEvent, Loan, Outbox, Patron
from screens.confirm import ConfirmDialog
from screens.patron_dialogs import ReplaceCardDialog, ReturnCardDialog
from screens.patron_form import PatronFormScreen
from screens.patrons import REPEAT_AFTER_DIALOG, PatronsScreen
from tests.patron_helpers import adult_form, open_loan, resident_id
from tests.tui.pilot_helpers import screen_text, sign_in, type_into

SIZE = (140, 42)
SHOTS = os.environ.get("COUNTYLIB_SCREENSHOTS")  # a folder: save SVGs to look at


def shot(app, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        app.save_screenshot(filename=f"{name}.svg", path=SHOTS)


def _app(db_path, language="en"):
    return make_app(db_path, AppConfig(language=language, clock=FixedClock()))


async def open_patrons(pilot) -> PatronsScreen:
    await sign_in(pilot)
    await pilot.press("f3")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PatronsScreen)
    return screen


async def open_new_card_form(pilot) -> None:
    await open_patrons(pilot)
    await pilot.press("ctrl+n")
    await pilot.pause()
    assert isinstance(pilot.app.screen, PatronFormScreen)


async def settle(pilot) -> None:
    """Let handlers run and the thread workers they start finish."""
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def text_of(pilot, selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


def table_cards(pilot) -> list[str]:
    table = pilot.app.screen.query_one("#patron-table", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def click(pilot, selector: str) -> None:
    """Click a button as a person would: not again within its 0.2 s pressed look (Textual
    ignores a click on a button that still shows as pressed)."""
    await pilot.pause(0.25)
    await pilot.click(selector)
    await pilot.pause()


async def search(pilot, text: str) -> None:
    await type_into(pilot, "#patron-search", text)
    await pilot.press("enter")
    await settle(pilot)


async def test_register_a_child_with_a_guardian(library, db_path):
    parent = register_patron(library, adult_form())
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_card_form(pilot)
        await type_into(pilot, "#f-name", "李小明")
        await type_into(pilot, "#f-id-number", resident_id("20180601", "456"))
        # the ID number filled in the birth date and sex
        assert app.screen.query_one("#f-birth-date").value == "2018-06-01"
        assert "born" in text_of(pilot, "#id-facts")

        # no consent yet, no guardian: refused one at a time, the field focused
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "needs a guardian" in text_of(pilot, "#form-error")
        assert app.focused.id == "f-guardian-name"
        # the line above the buttons is below the fold: the refusal pops up as well
        assert any("needs a guardian" in n.message for n in app._notifications)  # Textual keeps no public list
        shot(app, "patrons-child-refused")

        # link the parent by scanning their card
        await type_into(pilot, "#f-guardian-card", "HX0100001")
        await pilot.press("enter")
        await pilot.pause()
        assert "张三丰" in text_of(pilot, "#guardian-linked")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "privacy notice" in text_of(pilot, "#form-error")
        assert app.focused.id == "f-consent"
        assert Patron.select().count() == 1  # nothing written by the refusals
        await pilot.press("space")
        # Pressed twice in quick succession (Pilot's press would wait between the two): the
        # second lands on the list, where Ctrl+S suspends a card.
        for _ in range(2):
            app.post_message(events.Key("ctrl+s", None))
        await settle(pilot)
        assert isinstance(app.screen, PatronsScreen)  # where Ctrl+S would suspend the card: it does not
        child = Patron.get(Patron.name == "李小明")
        assert child.guardian_id == parent.id and child.category == "child"
        assert table_cards(pilot) == [child.card_number]
        assert "李小明" in text_of(pilot, "#patron-detail") and "张三丰" in text_of(pilot, "#patron-detail")
        shot(app, "patrons-child-registered")


async def test_a_possible_second_card_is_asked_about_and_a_stray_enter_issues_none(library, db_path):
    register_patron(library, adult_form())  # 张三丰, HX0100001
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_card_form(pilot)
        await type_into(pilot, "#f-name", "张三丰")
        await type_into(pilot, "#f-id-number", resident_id("19850101", "777"))
        await type_into(pilot, "#f-phone", "13812345678")  # same name and phone
        app.screen.query_one("#f-consent", Checkbox).value = True
        await pilot.press("ctrl+s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert dialog.details == ["HX0100001  张三丰  — same name and phone"]
        assert dialog.focused.id == "cancel"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PatronFormScreen)  # back in the form, all typed kept
        assert Patron.select().count() == 1

        await pilot.pause(REPEAT_AFTER_DIALOG)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("left", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PatronsScreen)
    assert Patron.select().where(Patron.name == "张三丰").count() == 2


async def test_the_guardian_link_follows_the_card_field(library, db_path):
    parent = register_patron(library, adult_form())
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_card_form(pilot)
        await type_into(pilot, "#f-name", "李小红")
        await type_into(pilot, "#f-id-number", resident_id("20180601", "462"))
        await type_into(pilot, "#f-guardian-card", "HX0100001")
        await pilot.press("enter")
        await pilot.pause()
        assert "张三丰" in text_of(pilot, "#guardian-linked")
        await type_into(pilot, "#f-guardian-card", "")  # cleared: the link goes with it
        assert text_of(pilot, "#guardian-linked") == ""
        await type_into(pilot, "#f-guardian-card", "HX0100001")  # typed again, then Tab, not Enter
        await pilot.press("tab")
        app.screen.query_one("#f-consent", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatronsScreen)
    assert Patron.get(Patron.name == "李小红").guardian_id == parent.id


async def test_replace_a_lost_card(library, db_path):
    patron = register_patron(library, adult_form())
    loan = open_loan(library, patron)
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_patrons(pilot)
        await search(pilot, "zsf")
        assert table_cards(pilot) == ["HX0100001"]
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert isinstance(app.screen, ReplaceCardDialog)
        await type_into(pilot, "#fee", "5")
        await type_into(pilot, "#new-card", "HX0100001")  # the lost card itself: refused
        await pilot.press("enter")
        await pilot.pause()
        assert "already belongs" in text_of(pilot, "#dialog-error")
        assert isinstance(app.screen, ReplaceCardDialog)
        await type_into(pilot, "#new-card", "PP000777")  # a pre-printed card, scanned
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatronsScreen)
        assert Patron.get_by_id(patron.id).card_number == "PP000777"
        assert Loan.get_by_id(loan.id).patron_id == patron.id
        event = CardEvent.get(CardEvent.kind == "replaced")
        assert (event.old_card_number, event.amount_cents, event.reason) == ("HX0100001", 500, "lost")
        assert table_cards(pilot) == ["PP000777"]
        # the old card, scanned again, finds the reader and says it was replaced
        await search(pilot, "HX0100001")
        assert table_cards(pilot) == ["PP000777"]
        assert "HX0100001 was replaced" in text_of(pilot, "#patron-count")
        shot(app, "patrons-replaced")


async def test_return_a_card(library, db_path):
    patron = register_patron(library, adult_form(deposit_cents=5000))
    loan = open_loan(library, patron)
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_patrons(pilot)
        await search(pilot, "HX0100001")
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, ReturnCardDialog)
        await click(pilot, "#ok")
        await pilot.pause()
        assert "on loan" in text_of(pilot, "#dialog-error")
        assert Patron.get_by_id(patron.id).status == "active"
        assert not Outbox.select().where(Outbox.type == "patron.card_returned").exists()
        await pilot.press("escape")
        await pilot.pause()

        loan.checked_in_at = library.clock.utcnow()  # the book comes back at the desk
        loan.save()
        await pilot.pause(REPEAT_AFTER_DIALOG)  # a key sooner would be taken for a repeat
        await pilot.press("ctrl+t")
        await pilot.pause()
        reasons = app.screen.query_one("#reason", RadioSet)
        reasons.focus()
        for _ in range(5):  # down to "Other"
            await pilot.press("down")
        await pilot.press("enter")
        await click(pilot, "#ok")
        await pilot.pause()
        assert "describe the reason" in text_of(pilot, "#dialog-error")
        await type_into(pilot, "#reason-text", "去外地读书")
        await type_into(pilot, "#refund", "30")
        await click(pilot, "#ok")
        await settle(pilot)
        assert isinstance(app.screen, PatronsScreen)
        returned = Patron.get_by_id(patron.id)
        assert returned.status == "returned"
        event = CardEvent.get(CardEvent.kind == "returned")
        assert (event.reason_code, event.reason, event.amount_cents) == ("other", "去外地读书", 3000)
        assert "Card returned" in text_of(pilot, "#patron-detail")
        assert app.screen.query_one("#act-return").disabled
        shot(app, "patrons-returned")


async def test_show_id_is_audited_and_the_screen_switches_language(library, db_path):
    register_patron(library, adult_form())
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_patrons(pilot)
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert resident_id() in text_of(pilot, "#id-number")
        assert AuditLog.select().where(AuditLog.action == "patron.id_viewed").count() == 1
        await pilot.press("escape")
        await app.set_ui_language("zh_CN", persist=False)
        await settle(pilot)
        assert "第 1 页" in text_of(pilot, "#patron-count")
        assert "张三丰" in text_of(pilot, "#patron-detail") and "成人" in text_of(pilot, "#patron-detail")
        shot(app, "patrons-zh")


async def test_volunteers_do_not_get_the_patrons_area(library, db_path, as_role):
    as_role("volunteer")
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "volunteer1", "password1")
        await pilot.press("f3")
        await pilot.pause()
        assert not isinstance(app.screen, PatronsScreen)


async def test_import_preview_then_import(library, db_path, tmp_path):
    rows = [
        "姓名,身份证号,手机",
        f"王芳,{resident_id(seq='222')},13911112222",
        f"坏号码,{resident_id()[:-1]},13800000001",
    ]
    path = tmp_path / "readers.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_patrons(pilot)
        await pilot.press("ctrl+f")
        await pilot.pause()
        await type_into(pilot, "#import-path", str(path))
        await pilot.press("enter")
        await settle(pilot)
        assert "2 rows: 1 will be added, 0 are already there, 1 will be rejected" in text_of(pilot, "#import-counts")
        assert app.screen.query_one("#map-name").value == "姓名"
        assert Patron.select().count() == 0  # the preview writes nothing
        shot(app, "patrons-import-preview")
        await click(pilot, "#import-run")
        await pilot.pause()
        assert "Tick the box" in text_of(pilot, "#import-error")
        app.screen.query_one("#import-consent", Checkbox).value = True
        await click(pilot, "#import-run")
        await settle(pilot)
        assert "1 added, 0 already there, 1 rejected" in text_of(pilot, "#import-counts")
        assert [p.name for p in Patron.select()] == ["王芳"]
        await click(pilot, "#import-close")
        await settle(pilot)
        assert isinstance(app.screen, PatronsScreen) and table_cards(pilot) == ["HX0100001"]


async def test_opening_the_area_erases_nothing_and_erasing_asks_first(library, db_path):
    patron = register_patron(library, adult_form())
    return_card(library, patron.id, "moved")
    # Handed back 200 days before the app's clock: past the 180-day retention period.
    CardEvent.update(at=library.clock.utcnow() - dt.timedelta(days=200)).where(CardEvent.kind == "returned").execute()
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_patrons(pilot)
        table = app.screen.query_one("#patron-table", DataTable)
        assert str(table.get_row_at(0)[1]) == "张三丰"
        assert Patron.get_by_id(patron.id).status == "returned"
        assert not Outbox.select().where(Outbox.type == "patron.erased").exists()
        assert "Personal data of 1 reader is due for erasure" in text_of(pilot, "#erase-due")

        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "of 1 reader whose card" in screen_text(pilot) and "cannot be undone" in screen_text(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert Patron.get_by_id(patron.id).status == "returned"

        await click(pilot, "#erase-expired")
        assert isinstance(app.screen, ConfirmDialog)
        await click(pilot, "#confirm")
        await settle(pilot)
        assert isinstance(app.screen, PatronsScreen)
        assert Patron.get_by_id(patron.id).status == "erased"
        # The list is read again: erased readers leave it, and nobody's old data stays on screen.
        assert table_cards(pilot) == [] and "张三丰" not in text_of(pilot, "#patron-detail")
        assert Patron.get_by_id(patron.id).name == ERASED_NAME
        assert not app.screen.query_one("#patron-erase-bar").display


async def test_a_librarian_sees_what_is_due_but_cannot_erase(library, db_path, as_role):
    as_role("librarian")
    patron = register_patron(library, adult_form())
    return_card(library, patron.id, "moved")
    CardEvent.update(at=library.clock.utcnow() - dt.timedelta(days=200)).where(CardEvent.kind == "returned").execute()
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "librarian1", "password1")
        await pilot.press("f3")
        await settle(pilot)
        assert "An administrator can erase it." in text_of(pilot, "#erase-due")
        assert not app.screen.query_one("#erase-expired").display
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert isinstance(app.screen, PatronsScreen)
        assert Patron.get_by_id(patron.id).status == "returned"
