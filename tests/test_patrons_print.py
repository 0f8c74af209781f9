"""Library cards as PDF: one per page or A4 sheets of 10; the ``print cards`` command."""

from __future__ import annotations

from pypdf import PdfReader

from countylib.cli import main
from countylib.patron_search import card_faces
from countylib.patrons import register_patron
from printing.cards import CARD_H, CARD_W, render_cards
from tests.patron_helpers import adult_form, resident_id

SURNAMES = "赵钱孙李周吴郑王冯陈褚卫"


def twelve_readers(library):
    for n in range(12):
        register_patron(
            library,
            adult_form(name=f"{SURNAMES[n]}小{n}", id_number=resident_id(seq=f"{100 + n * 2:03d}"), phone=f"1380000{n:04d}"),
        )


def test_a4_sheets_hold_ten_cards_with_names_and_numbers(library, tmp_path):
    twelve_readers(library)
    faces = card_faces(library)
    assert len(faces) == 12
    out = tmp_path / "sheet.pdf"
    assert render_cards(faces, out, sheet=True) == 2
    pages = PdfReader(out).pages
    assert [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in pages] == [(595, 842)] * 2
    first, second = (page.extract_text() for page in pages)
    for n in range(10):
        assert f"{SURNAMES[n]}小{n}" in first and f"HX01{n + 1:05d}" in first
    assert first.count("某某县图书馆") == 10
    assert second.count("某某县图书馆") == 2 and "HX0100012" in second


def test_single_cards_are_id1_size(library, tmp_path):
    twelve_readers(library)
    out = tmp_path / "cards.pdf"
    render_cards(card_faces(library, ["HX0100001", "hx0100002"]), out)
    reader = PdfReader(out)
    assert len(reader.pages) == 2
    box = reader.pages[0].mediabox
    assert (round(float(box.width), 1), round(float(box.height), 1)) == (round(CARD_W, 1), round(CARD_H, 1))
    assert "赵小0" in reader.pages[0].extract_text()


def test_print_cards_command(library, db_path, tmp_path, capsys):
    twelve_readers(library)
    out = tmp_path / "new.pdf"
    assert main(["print", "cards", "--db", str(db_path), "--out", str(out), "--all-new-since", "2026-11-21", "--sheet"]) == 0
    assert "Printed 12 card(s) on 2 page(s)" in capsys.readouterr().out
    assert main(["print", "cards", "--db", str(db_path), "--out", str(out), "--cards", "HX0100003"]) == 0
    assert len(PdfReader(out).pages) == 1
    assert main(["print", "cards", "--db", str(db_path), "--out", str(out), "--cards", "NOPE01"]) == 1
    assert "NOPE01" in capsys.readouterr().err
    assert main(["print", "cards", "--db", str(db_path), "--out", str(out), "--all-new-since", "2027-01-01"]) == 1
    assert main(["print", "cards", "--db", str(db_path), "--out", str(out), "--all-new-since", "yesterday"]) == 1


def test_cards_are_printed_in_the_librarys_language(library, db_path, tmp_path):
    twelve_readers(library)
    out = tmp_path / "card.pdf"
    # The command line runs in English here (LANGUAGE=en); the library's language is Chinese.
    assert main(["print", "cards", "--db", str(db_path), "--out", str(out), "--cards", "HX0100001"]) == 0
    text = PdfReader(out).pages[0].extract_text()
    assert "借书证" in text and "Library card" not in text
