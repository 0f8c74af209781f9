"""The integrity check finds each kind of damage, and repairs the search index."""

from __future__ import annotations

from countylib.circulation import check_out, declare_lost
from countylib.integrity import check
from countylib.library import open_db
from models import Bib, Item, Loan, Outbox, SyncState
from models.base import db
from tests.circulation_helpers import home, make_item, make_patron


def _kinds(report) -> list[str]:
    return [p.check for p in report.problems]


def test_a_fresh_library_is_ok(library):
    report = check()
    assert report.ok and not report.repaired
    assert report.line().startswith("Database OK") and "1 changes in the log kept for the central library" in report.line()


def test_lending_keeps_every_invariant(library):
    patron = make_patron(library)
    items = [make_item(library) for _ in range(3)]
    for item in items:
        check_out(library, patron.card_number, item.barcode)
    declare_lost(library, items[0].barcode)  # its loan stays open on purpose
    report = check()
    assert report.ok, report.problems
    assert report.open_loans == 3 and report.items_on_loan == 2


def test_item_on_loan_without_a_loan(library):
    make_item(library, "HX01B000777", status="on_loan")
    report = check()
    assert _kinds(report) == ["loans"]
    assert "HX01B000777 (0)" in report.problems[0].message


def test_open_loan_on_a_shelved_item_and_two_open_loans(library):
    patron = make_patron(library)
    item = make_item(library, "HX01B000888")
    check_out(library, patron.card_number, item.barcode)
    Item.update(status="available").where(Item.id == item.id).execute()
    report = check()
    assert _kinds(report) == ["loans"] and "open loan but are not on loan" in report.problems[0].message
    Item.update(status="on_loan").where(Item.id == item.id).execute()
    Loan.create(item=item, patron=patron, location=home(library), due_date=library.clock.today())
    report = check()
    assert "HX01B000888 (2)" in report.problems[0].message


def test_outbox_gap_and_wrong_next_seq(library):
    patron = make_patron(library)
    for _ in range(3):
        check_out(library, patron.card_number, make_item(library).barcode)
    middle = Outbox.select().order_by(Outbox.seq).offset(2).first()
    middle.delete_instance()
    report = check()
    assert _kinds(report) == ["outbox"] and "has gaps" in report.problems[0].message
    db.execute_sql("DELETE FROM outbox")
    assert check().ok  # pruned completely: nothing to number against
    make_item(library)
    with db.atomic():
        library.record("item.accessioned", {})
    SyncState.update(next_seq=SyncState.next_seq + 5).execute()
    report = check()
    assert "The next sync sequence number" in report.problems[0].message


def test_foreign_key_violation(library):
    db.execute_sql("PRAGMA foreign_keys = OFF")
    item = make_item(library)
    db.execute_sql("DELETE FROM bib WHERE id = ?", (item.bib_id,))
    db.execute_sql("PRAGMA foreign_keys = ON")
    report = check()
    assert "foreign_keys" in _kinds(report) and "item→bib" in report.problems[0].message


def test_stale_search_index_is_rebuilt(library):
    bib = Bib.create(title="红楼梦", author="曹雪芹")
    # A change that bypassed the index's trigger (as a raw edit or an old tool would).
    db.execute_sql("DROP TRIGGER bib_fts_au")
    db.execute_sql("UPDATE bib SET title = '西游记' WHERE id = ?", (bib.id,))
    from models.database import BIB_FTS_SQL

    db.execute_sql(BIB_FTS_SQL[3])
    report = check()
    assert report.ok and report.repaired
    assert "rebuilt" in report.line()
    assert not check().repaired  # in step now
    def hits(text: str) -> int:
        return db.execute_sql("SELECT count(*) FROM bib_fts WHERE bib_fts MATCH ?", (f'"{text}"',)).fetchone()[0]

    assert hits("西游记") == 1 and hits("红楼梦") == 0


def _fill(library) -> None:
    for i in range(300):
        make_patron(library, f"HX01P{i:05d}", name="某" * 60, phone=f"139{i:08d}")
    db.close()  # checkpointed: everything is in the main file


def _scribble(path, pages) -> None:
    data = bytearray(path.read_bytes())
    for page in pages:
        offset = page * 4096
        data[offset + 8 : offset + 200] = bytes(range(192))
    path.write_bytes(bytes(data))


def test_damaged_rows_are_reported(library, db_path):
    _fill(library)
    pages = db_path.stat().st_size // 4096
    _scribble(db_path, range(pages - 12, pages - 2, 3))  # the patron rows, written last
    report = check(open_db(db_path))
    assert not report.ok and report.problems[0].check == "integrity"
    assert "SQLite reports damage" in report.line()


def test_check_command_on_a_file_too_damaged_to_open(library, db_path, capsys):
    from countylib.cli import main

    _fill(library)
    _scribble(db_path, range(1, 30))  # the schema itself
    assert main(["check", "--db", str(db_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert "is damaged" in err and "countylib restore" in err and "\n" not in err
