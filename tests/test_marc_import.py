"""Importing and exporting MARC files against a real library database."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from countylib import marc_reader
from countylib.callnumbers import reserve_block
from countylib.cataloguing import create_brief_record
from countylib.cli import main
from countylib.errors import PermissionDenied, ValidationError
from countylib.library import initialize_library, open_db
from countylib.marc import UNIMARC, BibFields, CopyOut, build_record, to_iso2709
from countylib.marc_export import export_marc_file
from countylib.marc_import import import_marc_file, nothing_read_message
from countylib.marc_reader import split_point
from models import Bib, Branch, Item, Location, Outbox
from tests.conftest import ADMIN_PASSWORD, fixtures_dir

STAMP = "20261121100000"


def fixture(name: str) -> Path:
    path = fixtures_dir() / "marc" / name
    if not path.exists():
        pytest.skip(f"{path} is not among the shared fixtures")
    return path


def book(n: int, **changes) -> BibFields:
    fields = dict(
        control_number=f"C{n:06d}",
        title=f"县域图书馆{n}号读本",
        author="王伟",
        publisher="江苏人民出版社",
        year="2020",
        isbn="",
        clc_class="G250.76",
        call_number=f"G250.76/{n}",
        price_cents=3500,
    )
    fields.update(changes)
    return BibFields(**fields)


def write(path: Path, *records, charset: str = "utf-8") -> Path:
    path.write_bytes(b"".join(to_iso2709(r, charset=charset) for r in records))
    return path


def record(fields: BibFields, flavour: str = UNIMARC, copies=()):
    return build_record(fields, flavour, library_code="HX01", stamp=STAMP, copies=copies)


def counts() -> tuple[int, int, int]:
    return Bib.select().count(), Item.select().count(), Outbox.select().count()


# -- the import --------------------------------------------------------------------------------


def test_cnmarc_import_fills_the_catalogue_and_records_events(library):
    report = import_marc_file(library, fixture("dp2/sample_cnmarcxml.xml"))
    assert (report.records, report.added, report.skipped_count) == (10, 10, 0)
    bib = Bib.get(Bib.control_number == "990002180740203961")
    assert (bib.title, bib.isbn, bib.clc_class, bib.call_number, bib.price_cents) == (
        "'94中国发展报告", "9787503717444", "F124", "F124/26", 6800,
    )
    assert bib.marc_format == "unimarc" and bytes(bib.marc).endswith(b"\x1d")
    assert bib.pinyin == "94zhongguofazhanbaogao 9zgfzbg yezhenliqiang yzlq"  # title, then author "叶震; 李强"
    events = [e for e in Outbox.select().order_by(Outbox.seq) if e.type == "bib.upserted"]
    assert len(events) == 10
    assert set(events[0].payload["bib"]) == {
        "id", "control_number", "title", "author", "publisher", "year", "isbn", "clc_class", "call_number", "price_cents",
    }
    assert events[0].payload["bib"]["id"] == Bib.get(Bib.control_number == events[0].payload["bib"]["control_number"]).id
    seqs = [e.seq for e in Outbox.select().order_by(Outbox.seq)]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # gapless across ctx.record and the batch writer
    hlcs = [e.hlc for e in Outbox.select().order_by(Outbox.seq)]
    assert hlcs == sorted(set(hlcs))


def test_reimporting_the_same_files_changes_nothing(library):
    files = [
        fixture("dp2/sample_cnmarcxml.xml"),
        fixture("dp2/sample_marcxml.xml"),
        fixture("xbib-marc/IRMARC8.bin"),
        fixture("xbib-marc/rusmarc.xml"),
        fixture("marc4j/pride-and-prejudice-with-many-errors.mrc"),
    ]
    for path in files:
        import_marc_file(library, path)
    before = counts()
    marc_before = {b.id: (bytes(b.marc), b.title, b.updated_at) for b in Bib.select()}
    for path in files:
        report = import_marc_file(library, path)
        assert report.added == report.updated == report.items_added == 0
    assert counts() == before
    assert {b.id: (bytes(b.marc), b.title, b.updated_at) for b in Bib.select()} == marc_before


def test_holdings_become_copies_at_the_branch_or_a_named_location(library, tmp_path):
    Location.create(branch=library.branch, code="HX01-RP1", name="幸福村阅读点", kind="reading_point")
    copies = [CopyOut("HX0100000001", "G250.76/1", "HX01", 3500), CopyOut("HX0100000002", "G250.76/1", "HX01-RP1", 2000)]
    path = write(tmp_path / "one.mrc", record(book(1), copies=copies))
    report = import_marc_file(library, path)
    assert report.items_added == 2
    first, second = Item.select().order_by(Item.barcode)
    assert first.home_location.code == "HX01" and first.current_location.code == "HX01"
    assert second.home_location.code == "HX01-RP1" and second.price_cents == 2000
    assert first.status == "available" and first.call_number == "G250.76/1"
    accessioned = [e.payload["item"] for e in Outbox.select().where(Outbox.type == "item.accessioned").order_by(Outbox.seq)]
    assert accessioned[1] == {
        "id": second.id, "barcode": "HX0100000002", "bib_id": second.bib_id, "home_location": "HX01-RP1",
        "current_location": "HX01-RP1", "status": "available", "item_type": "book", "call_number": "G250.76/1",
        "price_cents": 2000, "source": "purchase",
    }


def test_koha_items_import_once(library):
    first = import_marc_file(library, fixture("xbib-marc/rusmarc.xml"))
    assert first.items_added == 198
    again = import_marc_file(library, fixture("xbib-marc/rusmarc.xml"))
    assert again.items_added == 0 and again.items_present == 198


def test_a_changed_record_updates_its_bib_and_says_so(library, tmp_path):
    import_marc_file(library, write(tmp_path / "v1.mrc", record(book(1))))
    events = Outbox.select().count()
    report = import_marc_file(library, write(tmp_path / "v2.mrc", record(book(1, title="县域图书馆读本（修订版）"))))
    assert (report.added, report.updated) == (0, 1)
    bib = Bib.get(Bib.control_number == "C000001")
    assert bib.title == "县域图书馆读本（修订版）"
    assert "xianyutushuguandubenxiudingban" in bib.pinyin
    assert Outbox.select().count() == events + 1


def test_the_centres_full_record_replaces_a_local_brief_record(library, tmp_path):
    brief = Bib.create(title="红楼梦", isbn="9787020002207", call_number="I242.4/7", clc_class="I242.4")
    brief.control_number = brief.id  # as cataloguing.py mints it
    brief.save()
    Item.create(barcode="HX0100000099", bib=brief, home_location=Location.get(), current_location=Location.get())
    full = book(5, title="红楼梦 : 脂评本", author="曹雪芹", isbn="9787020002207", clc_class="I242.4", call_number="")
    report = import_marc_file(library, write(tmp_path / "centre.mrc", record(full)))
    assert (report.added, report.updated) == (0, 1)
    brief = Bib.get_by_id(brief.id)
    assert (brief.control_number, brief.title, brief.author) == ("C000005", "红楼梦 : 脂评本", "曹雪芹")
    assert brief.call_number == "I242.4/7"  # the centre gave none: the label on the shelf stays true
    assert Bib.select().count() == 1 and Item.get().bib_id == brief.id


def test_a_reused_isbn_under_another_title_becomes_its_own_record_and_is_noted(library, tmp_path):
    held = Bib.create(title="许三观卖血记", author="余华", isbn="9787544253994", clc_class="I247.57")
    other = book(0, control_number="", title="并发测试书", author="", isbn="9787544253994", call_number="")
    path = write(tmp_path / "reused.mrc", record(other))
    report = import_marc_file(library, path)
    assert (report.added, report.updated) == (1, 0)
    (note,) = report.warnings
    assert "ISBN 9787544253994 like 《许三观卖血记》" in note.reason and "separate record" in note.reason
    assert Bib.get_by_id(held.id).title == "许三观卖血记"
    again = import_marc_file(library, path)  # the new record is now the match: nothing changes
    assert (again.added, again.updated, again.unchanged, again.warnings) == (0, 0, 1, [])
    assert sorted(b.title for b in Bib.select()) == ["并发测试书", "许三观卖血记"]


def test_a_barcode_of_another_record_is_left_alone_and_noted(library, tmp_path):
    import_marc_file(library, write(tmp_path / "a.mrc", record(book(1), copies=[CopyOut("X1", "", "HX01", 0)])))
    report = import_marc_file(library, write(tmp_path / "b.mrc", record(book(2), copies=[CopyOut("X1", "", "HX01", 0)])))
    assert report.added == 1 and report.items_added == 0
    (note,) = report.warnings
    assert "X1" in note.reason and note.position == 1
    assert Item.get(Item.barcode == "X1").bib.control_number == "C000001"


def test_broken_files_import_the_good_records_and_list_the_bad(library):
    report = import_marc_file(library, fixture("ruby-marc/three-records-second-bad.xml"))
    assert (report.records, report.added) == (3, 1)
    assert [(s.position, s.line) for s in report.skipped] == [(2, 55), (3, 108)]
    assert "not well-formed" in report.skipped[0].reason
    assert "same book as record 1" in report.skipped[1].reason
    for name, words in (
        ("ruby-marc/utf8_with_bad_bytes.marc", "not valid UTF-8"),
        ("xbib-marc/SWB1.marc21", "record terminator"),
        ("xbib-marc/error.mrc", "leader says 714 bytes"),
    ):
        bad = import_marc_file(library, fixture(name))
        assert bad.imported == 0 and bad.skipped_count == 1
        assert words in bad.skipped[0].reason and bad.skipped[0].position == 1
    assert Bib.select().count() == 1


def test_a_text_file_named_mrc_is_said_not_to_be_marc(library, tmp_path):
    text = tmp_path / "text.mrc"
    text.write_text("书名,作者,ISBN\n红楼梦,曹雪芹,9787020002207\n", encoding="utf-8")
    report = import_marc_file(library, text)
    assert report.imported == 0 and report.skipped[0].reason.startswith("This is not MARC")
    assert nothing_read_message(report) == f"{text} is not a MARC file: nothing in it looks like a MARC record."
    cut = tmp_path / "cut.mrc"
    cut.write_bytes(record(book(1)).raw[:-20])  # a real record cut short is still called that
    short = import_marc_file(library, cut)
    assert "record terminator" in short.skipped[0].reason
    assert nothing_read_message(short) == f"None of the 1 record in {cut} could be imported."


def test_authority_and_titleless_records_are_skipped_with_a_reason(library, tmp_path):
    auth = import_marc_file(library, fixture("evergreen/auth-subset100.mrc"))
    assert auth.imported == 0 and auth.skipped_count == 17
    assert auth.skipped[0].reason == "This is an authority record, not a bibliographic record."
    untitled = import_marc_file(library, write(tmp_path / "t.mrc", record(book(1, title=""))))
    assert untitled.skipped[0].reason == "The record has no title (MARC21 245 or UNIMARC 200)."


def test_gb18030_file_imports_by_detection_and_by_option(library, tmp_path):
    path = write(tmp_path / "gbk.iso", record(book(1, title="三国演义")), record(book(2, title="水浒传")), charset="gb18030")
    report = import_marc_file(library, path)
    assert report.added == 2 and {b.title for b in Bib.select()} == {"三国演义", "水浒传"}
    assert import_marc_file(library, path, encoding="gb18030").unchanged == 2


def test_volunteers_cannot_import(as_role, tmp_path):
    path = write(tmp_path / "a.mrc", record(book(1)))
    with pytest.raises(PermissionDenied):
        import_marc_file(as_role("volunteer"), path)
    assert Bib.select().count() == 0


def test_a_missing_file_is_a_plain_message(library, tmp_path):
    with pytest.raises(ValidationError, match="Cannot open"):
        import_marc_file(library, tmp_path / "nowhere.mrc")


def test_progress_is_reported_and_cancel_keeps_whole_batches(library, tmp_path):
    path = write(tmp_path / "many.mrc", *(record(book(n), copies=[CopyOut(f"B{n}", "", "HX01", 0)]) for n in range(10)))
    seen = []
    report = import_marc_file(library, path, batch_size=3, progress=seen.append, cancelled=lambda: len(seen) >= 2)
    assert report.cancelled and report.added == 6
    assert (Bib.select().count(), Item.select().count()) == (6, 6)
    assert seen[-1].records == 6 and seen[0].bytes_total == path.stat().st_size
    rest = import_marc_file(library, path, batch_size=3, progress=seen.append)
    assert (rest.added, rest.unchanged, rest.cancelled) == (4, 6, False)
    assert seen[-1].bytes_done == seen[-1].bytes_total
    assert Item.select().count() == 10


def _mixed_file(path: Path, count: int) -> tuple[Path, list[int]]:
    """``count`` records with copies; broken, titleless and repeated ones among them."""
    chunks = [to_iso2709(record(book(n), copies=[CopyOut(f"B{n}", "", "HX01", 0)])) for n in range(1, count + 1)]
    chunks[2] = chunks[2][:40] + b"\x1d"  # cut short: the directory is gone
    chunks[6] = to_iso2709(record(book(7, title="")))
    chunks[count - 5] = chunks[0]  # the first book again
    path.write_bytes(b"".join(chunks))
    return path, [3, 7, count - 4]


def _catalogue() -> tuple[list, list, list]:
    """Bibs, copies and events as text, ids left out (each import mints its own)."""
    by_id = {b.id: b.control_number for b in Bib.select(Bib.id, Bib.control_number)}
    bibs = sorted(
        (b.control_number, b.title, b.author, b.isbn, b.call_number, b.price_cents, bytes(b.marc), b.marc_format, b.pinyin)
        for b in Bib.select()
    )
    places = {loc.id: loc.code for loc in Location.select()}
    items = sorted((i.barcode, by_id[i.bib_id], places[i.home_location_id], i.call_number, i.price_cents) for i in Item.select())
    events = []
    for event in Outbox.select().order_by(Outbox.seq):
        payload = {kind: dict(body) for kind, body in event.payload.items()}
        for body in payload.values():
            body.pop("id", None)
            if "bib_id" in body:
                body["bib_id"] = by_id[body["bib_id"]]
        events.append((event.seq, event.type, payload))
    return bibs, items, events


@pytest.mark.parametrize("head_start", [None, 1000], ids=["all-in-the-worker", "head-read-here"])
def test_reading_in_a_second_process_imports_the_same_as_in_one(library, tmp_path, clock, monkeypatch, head_start):
    if head_start is not None:  # this process reads the first records itself: the split lands before record 7
        monkeypatch.setattr(marc_reader, "HEAD_START", head_start)
    path, broken = _mixed_file(tmp_path / "mixed.mrc", 1200)  # more than one hand-over between the processes
    with open(path, "rb") as stream:
        assert (split_point(stream) > 0) == (head_start is not None)
    steps = []
    serial = import_marc_file(library, path, batch_size=250, parallel=False, progress=steps.append)
    assert [s.position for s in serial.skipped] == broken
    expected = _catalogue()
    assert len(expected[0]) == 1197 and len(expected[2]) == 2 * 1197 + 1  # and the set-up's own event
    library.db.close()

    other = initialize_library(
        open_db(tmp_path / "second.db"), library_name="某某县图书馆", branch_code="HX01", branch_name="城关分馆",
        admin_user="admin", password=ADMIN_PASSWORD, language="zh_CN", clock=clock,
    )
    seen = []
    parallel = import_marc_file(other, path, batch_size=250, parallel=True, progress=seen.append)
    assert [(s.position, s.offset, s.msgid) for s in parallel.skipped] == [(s.position, s.offset, s.msgid) for s in serial.skipped]
    assert (parallel.records, parallel.added, parallel.items_added) == (serial.records, serial.added, serial.items_added)
    assert _catalogue()[:2] == expected[:2]
    assert [e[1:] for e in _catalogue()[2][1:]] == [e[1:] for e in expected[2][1:]]
    assert [p.records for p in seen] == [p.records for p in steps] == [252, 502, 752, 1002, 1200]
    assert seen[-1].bytes_done == path.stat().st_size
    again = import_marc_file(other, path, parallel=True)
    assert (again.added, again.unchanged) == (0, 1197)
    assert not multiprocessing.active_children()


def test_a_parallel_import_starts_where_stderr_has_no_file_descriptor(tmp_path):
    """Inside the app sys.stderr is Textual's print capture, whose fileno() is -1; the
    first process multiprocessing starts used to fail there ("bad value(s) in fds_to_keep").
    A fresh interpreter, because multiprocessing starts its helper once per process."""
    path, broken = _mixed_file(tmp_path / "mixed.mrc", 300)
    script = tmp_path / "in_the_app.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            from countylib.library import initialize_library, open_db
            from countylib.marc_import import import_marc_file

            class PrintCapture:  # what Textual puts in sys.stderr while the app runs
                def write(self, text):
                    return len(text)

                def flush(self):
                    pass

                def fileno(self):
                    return -1

            if __name__ == "__main__":
                ctx = initialize_library(
                    open_db(sys.argv[1]), library_name="某某县图书馆", branch_code="HX01", branch_name="城关分馆",
                    admin_user="admin", password={ADMIN_PASSWORD!r},
                )
                sys.stderr = PrintCapture()
                try:
                    report = import_marc_file(ctx, sys.argv[2], parallel=True)
                except Exception as exc:  # the capture swallows tracebacks: say it where the test reads
                    print("failed:", repr(exc))
                    raise SystemExit(1) from None
                print(report.added, report.skipped_count)
            """
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "app.db"), str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.split() == [str(300 - len(broken)), str(len(broken))]


def test_cancelling_a_parallel_import_keeps_whole_batches_and_stops_the_reader(library, tmp_path):
    path, _ = _mixed_file(tmp_path / "mixed.mrc", 1200)
    seen = []
    report = import_marc_file(library, path, batch_size=100, parallel=True, progress=seen.append, cancelled=lambda: len(seen) >= 2)
    assert report.cancelled and report.records == 202 and Bib.select().count() == report.added == 200
    assert not multiprocessing.active_children()
    rest = import_marc_file(library, path, parallel=True)
    assert (rest.added, rest.unchanged) == (997, 200) and Item.select().count() == 1197


def test_small_files_are_read_in_this_process(library, tmp_path):
    path, _ = _mixed_file(tmp_path / "small.mrc", 20)
    children = []
    import_marc_file(library, path, progress=lambda p: children.append(multiprocessing.active_children()))
    assert children == [[]]


# -- export ------------------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", ["marc21", "unimarc"])
def test_export_round_trips_through_import(library, tmp_path, flavour):
    import_marc_file(library, fixture("dp2/sample_cnmarcxml.xml"))
    import_marc_file(library, fixture("dp2/sample_marcxml.xml"))
    copies = [CopyOut("HX0100000001", "G250.76/1", "HX01", 3500), CopyOut("HX0100000002", "G250.76/1:2", "HX01", 2000)]
    import_marc_file(library, write(tmp_path / "ours.mrc", record(book(1, isbn="9787020002207"), copies=copies)))
    brief = Bib.create(title="乡土中国", author="费孝通", isbn="9787108009821", clc_class="C912.82", call_number="C912.82/3")
    brief.control_number = brief.id
    brief.save()
    columns = ("control_number", "title", "author", "publisher", "year", "isbn", "clc_class", "call_number", "price_cents")
    expected = sorted(tuple(getattr(b, c) for c in columns) for b in Bib.select())
    expected_items = sorted((i.barcode, i.call_number, i.price_cents, i.bib.control_number) for i in Item.select())
    out = tmp_path / f"export.{flavour}"
    report = export_marc_file(library, out, flavour=flavour)
    assert report.written == len(expected) and report.copies == 2 and not report.problems
    library.db.close()

    other = open_db(tmp_path / "other.db")
    ctx = initialize_library(
        other, library_name="某某县图书馆", branch_code="HX01", branch_name="城关分馆",
        admin_user="admin", password=ADMIN_PASSWORD,
    )
    back = import_marc_file(ctx, out)
    assert (back.added, back.skipped_count) == (len(expected), 0)
    assert sorted(tuple(getattr(b, c) for c in columns) for b in Bib.select()) == expected
    assert sorted((i.barcode, i.call_number, i.price_cents, i.bib.control_number) for i in Item.select()) == expected_items
    assert {b.marc_format for b in Bib.select()} == {flavour}
    other.close()


def test_export_since_a_date_takes_recent_accessions(library, tmp_path, clock):
    import_marc_file(library, write(tmp_path / "old.mrc", record(book(1)), record(book(2))))
    clock.advance(days=10)
    import_marc_file(library, write(tmp_path / "new.mrc", record(book(2), copies=[CopyOut("N1", "", "HX01", 0)])))
    since = clock.today()
    report = export_marc_file(library, tmp_path / "recent.mrc", flavour="unimarc", since=since)
    assert report.written == 1 and report.copies == 1


def test_our_own_export_coming_back_changes_nothing_and_queues_nothing(library, tmp_path):
    import_marc_file(library, write(tmp_path / "centre.mrc", record(book(1), copies=[CopyOut("HX0100000001", "", "HX01", 0)])))
    out = tmp_path / "ours.mrc"
    export_marc_file(library, out, flavour="marc21")  # another flavour: every stored record differs
    events = Outbox.select().count()
    back = import_marc_file(library, out)
    assert (back.added, back.updated, back.unchanged) == (0, 0, 1)
    assert Outbox.select().count() == events
    assert Bib.get().marc_format == "marc21" and bytes(Bib.get().marc) == out.read_bytes()


def test_local_records_coming_back_in_our_own_export_are_found_by_their_id(library, tmp_path):
    reserve_block(library, "", 1, 999)
    create_brief_record(library, title="长安的荔枝", author="马伯庸", isbn="9787572603785", clc="I247.5", copies=2)
    create_brief_record(library, title="某某县志", clc="K294.14", copies=1)
    # Records from the hub or the demo data have no 001 of their own: the export gives them their id.
    synced = create_brief_record(library, title="乡土中国", author="费孝通", isbn="9787108009821", clc="C912.82")
    unnumbered = create_brief_record(library, title="某某县文史资料", clc="K294.14", copies=1)
    Bib.update(control_number="").where(Bib.id.in_([synced.bib.id, unnumbered.bib.id])).execute()
    out = tmp_path / "ours.mrc"
    export_marc_file(library, out)
    events = Outbox.select().count()
    back = import_marc_file(library, out)
    assert (back.added, back.updated, back.unchanged, back.items_added, back.warnings) == (0, 0, 4, 0, [])
    assert Outbox.select().count() == events
    assert Bib.select().count() == 4 and Item.select().count() == 5
    assert Bib.get_by_id(synced.bib.id).control_number == Bib.get_by_id(unnumbered.bib.id).control_number == ""


def test_export_sends_this_branchs_copies_and_accessions_only(library, tmp_path, clock):
    other = Branch.create(code="HX02", name="河西分馆")
    there = Location.create(branch=other, code="HX02", name="河西分馆", kind="branch")
    import_marc_file(library, write(tmp_path / "a.mrc", record(book(1), copies=[CopyOut("HX0100000001", "", "HX01", 0)])))
    clock.advance(days=10)
    # A copy the other branch accessioned today, arrived here by sync.
    Item.create(barcode="HX0200000020", bib=Bib.get(), home_location=there, current_location=there,
                accessioned_at=clock.utcnow())
    since = clock.today()
    assert export_marc_file(library, tmp_path / "today.mrc", since=since).written == 0
    report = export_marc_file(library, tmp_path / "all.mrc", flavour="unimarc")
    assert (report.written, report.copies) == (1, 1)
    exported = (tmp_path / "all.mrc").read_bytes()
    assert b"HX0100000001" in exported and b"HX0200000020" not in exported


def test_export_to_an_unwritable_place_leaves_nothing(library, tmp_path):
    with pytest.raises(ValidationError, match="Cannot write"):
        export_marc_file(library, tmp_path / "missing-folder" / "x.mrc")
    assert not list(tmp_path.glob("**/*.part"))


# -- command line ------------------------------------------------------------------------------


def test_cli_exit_codes(library, db_path, tmp_path, capsys):
    library.db.close()
    good = write(tmp_path / "good.mrc", record(book(1)))
    assert main(["import-marc", "--db", str(db_path), str(fixture("ruby-marc/three-records-second-bad.xml"))]) == 0
    out = capsys.readouterr().out
    assert "skipped record 2 (line 55)" in out and out.strip().splitlines()[-1].startswith("three-records-second-bad.xml: 3 read; 1 added")
    assert main(["import-marc", "--db", str(db_path), str(fixture("ruby-marc/utf8_with_bad_bytes.marc"))]) == 1
    captured = capsys.readouterr()
    assert "skipped record 1 (byte 0): Field 245 is not valid UTF-8 text." in captured.out
    assert "could be imported" in captured.err
    assert main(["import-marc", "--db", str(db_path), str(fixture("marc-perl/xml_invalid.xml"))]) == 1
    assert "No MARC records were found" in capsys.readouterr().err
    assert main(["import-marc", "--db", str(db_path), str(tmp_path / "nowhere.mrc")]) == 1
    assert main(["import-marc", "--db", str(db_path), "--format", "unimarc", "--encoding", "utf-8", str(good)]) == 0
    assert main(["export-marc", "--db", str(db_path), str(tmp_path / "out.mrc"), "--format", "unimarc", "--since", "2026-01-01"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "out.mrc: 2 written as UNIMARC; copies: 0."
    with pytest.raises(SystemExit):
        main(["export-marc", "--db", str(db_path), str(tmp_path / "out.mrc"), "--since", "21/11/2026"])
