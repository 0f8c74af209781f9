"""The catalogue as staff use it: search, open a record, import a MARC file, in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from countylib.app import AppConfig, make_app
from countylib.clock import FixedClock
from countylib.marc import UNIMARC, BibFields, CopyOut, build_record
from countylib.marc_import import import_marc_file
from models import Bib
from screens.catalogue import CatalogueScreen
from screens.catalogue_dialogs import ImportDialog, RecordDialog
from tests.tui.pilot_helpers import sign_in, type_into

SIZE = (140, 40)


def book(n: int, title: str, author: str = "", isbn: str = "", call: str = "") -> BibFields:
    return BibFields(f"T{n:05d}", title, author, "人民文学出版社", "2001", isbn, call.split("/")[0], call, 4500)


def marc_file(path: Path, books: list[BibFields], copies=()) -> Path:
    path.write_bytes(
        b"".join(
            build_record(b, UNIMARC, library_code="HX01", stamp="20261121100000", copies=copies if n == 0 else ()).raw
            for n, b in enumerate(books)
        )
    )
    return path


@pytest.fixture
def stocked(library, tmp_path):
    path = marc_file(
        tmp_path / "stock.mrc",
        [book(1, "红楼梦", "曹雪芹", "9787020002207", "I242.4/12"), book(2, "三国演义", "罗贯中", call="I242.4/3")],
        copies=[CopyOut("HX0100000001", "I242.4/12", "HX01", 4500)],
    )
    import_marc_file(library, path)
    library.db.close()
    return library


async def wait_for(app, group: str) -> None:
    # The file picker keeps a loader worker running, so wait for ours by name.
    for worker in list(app.workers):
        if worker.group == group:
            await worker.wait()


async def open_catalogue(pilot) -> CatalogueScreen:
    await sign_in(pilot)
    await pilot.press("f4")
    await pilot.pause()
    await wait_for(pilot.app, "catalogue-search")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, CatalogueScreen)
    return screen


def rows(screen) -> list[list[str]]:
    table = screen.query_one("#results", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def search(pilot, text: str) -> None:
    await type_into(pilot, "#query", text)
    await pilot.press("enter")
    await pilot.pause()
    await wait_for(pilot.app, "catalogue-search")
    await pilot.pause()


async def test_search_by_pinyin_initials_and_open_the_record(stocked, db_path):
    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_catalogue(pilot)
        assert {r[0] for r in rows(screen)} == {"红楼梦", "三国演义"}  # the latest records first
        await search(pilot, "hlm")
        (hit,) = rows(screen)
        assert hit[0] == "红楼梦" and hit[1] == "曹雪芹" and hit[3] == "I242.4/12"
        assert hit[4:8] == ["1", "1", "0", "0"] and "城关分馆 ×1 on shelf" in hit[8]
        assert "pinyin" in str(screen.query_one("#search-info", Static).render())
        screen.query_one("#results", DataTable).focus()
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, RecordDialog)
        marc = str(dialog.query_one("#record-marc-lines", Static).render())
        assert "200 1  $a红楼梦 $f曹雪芹" in marc and "905" in marc
        assert dialog.query_one("#record-copies", DataTable).row_count == 1
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await search(pilot, "978-7-02-000220-7")
        assert [r[0] for r in rows(screen)] == ["红楼梦"]
        await search(pilot, "没有这本书")
        assert rows(screen) == []
        assert "Nothing found" in str(screen.query_one("#page-info", Static).render())


async def test_import_a_file_with_a_broken_record_then_find_it(stocked, db_path, tmp_path):
    good = marc_file(tmp_path / "good.mrc", [book(3, "水浒传", "施耐庵", call="I242.4/5")]).read_bytes()
    path = tmp_path / "delivery.mrc"
    path.write_bytes(good + b"00042nam  2200025   4500broken\x1d")
    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_catalogue(pilot)
        await pilot.press("f11")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ImportDialog)
        await type_into(pilot, "#import-path", str(path))
        await pilot.press("enter")
        await pilot.pause()
        await wait_for(app, "marc-import")
        await pilot.pause()
        status = str(dialog.query_one("#import-status", Static).render())
        assert status.startswith("delivery.mrc: 2 read; 1 added")
        skipped = str(dialog.query_one("#import-skipped-lines", Static).render())
        assert "Skipped record 2 (byte" in skipped and "directory" in skipped
        assert dialog.report is not None and dialog.report.added == 1
        await pilot.click("#import-close")
        await pilot.pause()
        await wait_for(app, "catalogue-search")
        await pilot.pause()
        assert app.screen is screen
        assert "水浒传" in {r[0] for r in rows(screen)}


async def test_import_can_be_stopped_and_bad_paths_are_told(stocked, db_path, tmp_path):
    path = marc_file(tmp_path / "big.mrc", [book(100 + n, f"地方志{n}") for n in range(1200)])
    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        await open_catalogue(pilot)
        await pilot.press("f11")
        await pilot.pause()
        dialog = app.screen
        await type_into(pilot, "#import-path", str(tmp_path / "nowhere.mrc"))
        await pilot.press("enter")
        await pilot.pause()
        await wait_for(app, "marc-import")
        await pilot.pause()
        assert "Cannot open" in str(dialog.query_one("#import-status", Static).render())
        await type_into(pilot, "#import-path", str(path))
        # Start and press "Stop" at once: the batch being written finishes, then it stops.
        dialog.action_start()
        assert str(dialog.query_one("#import-close").label) == "Stop"
        dialog.action_close()
        await pilot.pause()
        await wait_for(app, "marc-import")
        await pilot.pause()
        assert dialog.report.cancelled
        assert "Cancelled" in str(dialog.query_one("#import-status", Static).render())
        assert dialog.report.added < 1200
    assert Bib.select().count() == 2 + dialog.report.added


async def test_the_file_picker_goes_up_opens_typed_folders_and_comes_back_where_the_last_file_was(
    stocked, db_path, tmp_path
):
    records = tmp_path / "stick" / "records"
    records.mkdir(parents=True)
    marc_file(records / "delivery.mrc", [book(7, "西游记", "吴承恩", call="I242.4/7")])
    (records / "notes.txt").write_text("not MARC")
    hidden_only = tmp_path / "home"
    hidden_only.mkdir()
    (hidden_only / ".profile").write_text("")
    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_catalogue(pilot)
        screen.import_folder = hidden_only
        await pilot.press("f11")
        await pilot.pause()
        dialog = app.screen

        def folder_line() -> str:
            return str(dialog.query_one("#import-folder", Static).render())

        assert "holds no folders or MARC files" in folder_line()
        await pilot.click("#import-up")
        await pilot.pause()
        assert Path(dialog.query_one("#import-files").path) == tmp_path
        assert folder_line() == str(tmp_path)

        await type_into(pilot, "#import-path", str(records))
        assert Path(dialog.query_one("#import-files").path) == records
        await pilot.press("enter")
        await pilot.pause()
        assert "is a folder: pick a MARC file in it below" in str(dialog.query_one("#import-status", Static).render())
        tree = dialog.query_one("#import-files")
        assert tree.has_focus
        for _ in range(50):  # the tree reads the folder in a worker of its own
            await pilot.pause(0.02)
            if tree.last_line >= 1:
                break
        assert [str(tree.get_node_at_line(n).label) for n in range(tree.last_line + 1)] == ["records", "delivery.mrc"]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert dialog.query_one("#import-path").value == str(records / "delivery.mrc")
        assert str(dialog.query_one("#import-status", Static).render()) == ""  # the folder remark is gone
        await pilot.press("ctrl+s")
        await pilot.pause()
        await wait_for(app, "marc-import")
        await pilot.pause()
        assert dialog.report is not None and dialog.report.added == 1
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("f11")
        await pilot.pause()
        assert Path(app.screen.query_one("#import-files").path) == records
        assert str(app.screen.query_one("#import-folder", Static).render()) == str(records)


async def test_the_catalogue_in_chinese(stocked, db_path):
    app = make_app(db_path, AppConfig(language="zh_CN", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_catalogue(pilot)
        table = screen.query_one("#results", DataTable)
        headers = [str(c.label) for c in table.columns.values()]
        assert headers[:2] == ["题名", "著者"] and "在架" in headers and "所在位置" in headers
        await search(pilot, "楼梦")
        assert rows(screen)[0][8] == "城关分馆 在架 1 册"
        await pilot.press("f11")
        await pilot.pause()
        assert "导入 MARC 记录" in str(app.screen.query_one(".dialog-title", Static).render())


async def test_switching_language_keeps_the_search(stocked, db_path):
    app = make_app(db_path, AppConfig(language="en", clock=FixedClock()))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_catalogue(pilot)
        await search(pilot, "hlm")
        await app.set_ui_language("zh_CN", persist=False)
        await pilot.pause()
        await wait_for(app, "catalogue-search")
        await pilot.pause()
        table = app.screen.query_one("#results", DataTable)
        assert str(list(table.columns.values())[0].label) == "题名"
        assert [r[0] for r in rows(app.screen)] == ["红楼梦"]
        assert app.screen.query_one("#query").value == "hlm"
        assert screen is app.screen
