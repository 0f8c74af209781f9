"""Catalogue search: Chinese substrings, pinyin, ISBNs, call numbers, and where the copies are."""

from __future__ import annotations

from pathlib import Path

import pytest
from stdnum import isbn as stdnum_isbn

from countylib.marc import UNIMARC, BibFields, CopyOut, build_record
from countylib.marc_import import import_marc_file
from countylib.pinyin import pinyin_text, syllables
from countylib.search import record_view, search_catalogue
from models import Bib, Branch, Item, Location

HONGLOUMENG = "9787020002207"


def bib(n: int, title: str, author: str = "", isbn: str = "", call: str = "", **more) -> BibFields:
    return BibFields(
        control_number=f"S{n:04d}", title=title, author=author, publisher=more.get("publisher", "人民文学出版社"),
        year="2000", isbn=isbn, clc_class=call.split("/")[0], call_number=call, price_cents=2000,
    )


@pytest.fixture
def catalogue(library, tmp_path: Path):
    other = Branch.create(code="HX02", name="东门分馆")
    Location.create(branch=other, code="HX02", name="东门分馆", kind="branch")
    Location.create(branch=library.branch, code="HX01-RP1", name="幸福村阅读点", kind="reading_point")
    copies = [CopyOut(f"HLM{n}", "I242.4/12", "HX01", 2000) for n in range(1, 5)]
    records = [
        (bib(1, "红楼梦", "曹雪芹", HONGLOUMENG, "I242.4/12"), copies),
        (bib(2, "红楼梦研究", "俞平伯", call="I207.411/3"), []),
        (bib(3, "论红楼梦的艺术", "王昆仑", call="I207.411/8"), []),
        (bib(4, "三国演义", "罗贯中", "9787020008728", "I242.4/3"), []),
        (bib(5, "重庆银行史", "张行长", call="F832.9/1"), []),
        (bib(6, "Pride and prejudice", "Austen, Jane", call="I561.44/2"), []),
        *((bib(100 + n, f"县志丛书第{n}卷", "县志办", call=f"K290/{n}"), []) for n in range(25)),
    ]
    path = tmp_path / "catalogue.mrc"
    path.write_bytes(
        b"".join(build_record(f, UNIMARC, library_code="HX01", stamp="20261121100000", copies=c).raw for f, c in records)
    )
    import_marc_file(library, path)
    # One copy each: on the shelf here, on the shelf at the reading point, on loan, in transit at HX02.
    Item.update(current_location=Location.get(Location.code == "HX01-RP1")).where(Item.barcode == "HLM2").execute()
    Item.update(status="on_loan").where(Item.barcode == "HLM3").execute()
    Item.update(status="in_transit", current_location=Location.get(Location.code == "HX02")).where(
        Item.barcode == "HLM4"
    ).execute()
    return library


def titles(query: str, **kwargs) -> list[str]:
    return [h.title for h in search_catalogue(query, **kwargs).hits]


@pytest.mark.parametrize("query", ["楼梦", "红楼梦", "hongloumeng", "loumeng", "hlm", "HLM", "hong lou meng", "caoxueqin", "cxq"])
def test_chinese_and_pinyin_find_hongloumeng(catalogue, query):
    assert "红楼梦" in titles(query)


def test_short_queries_fall_back_to_like(catalogue):
    assert search_catalogue("楼梦").kind == "short"
    assert search_catalogue("红楼梦").kind == "text"
    assert titles("三国")[0] == "三国演义"


def test_polyphones_read_as_in_their_words(catalogue):
    assert syllables("重庆银行") == ["chong", "qing", "yin", "hang"]
    assert "重庆银行史" in titles("chongqingyinhang")
    assert "重庆银行史" in titles("cqyhs")
    assert pinyin_text("红楼梦", "曹雪芹") == "hongloumeng hlm caoxueqin cxq"
    assert pinyin_text("Pride and prejudice", "Austen, Jane") == ""  # its own words are indexed already


def test_exact_title_first_then_prefix_then_substring(catalogue):
    assert titles("红楼梦")[:3] == ["红楼梦", "红楼梦研究", "论红楼梦的艺术"]


@pytest.mark.parametrize(
    "query",
    [HONGLOUMENG, "978-7-02-000220-7", stdnum_isbn.to_isbn10(HONGLOUMENG), stdnum_isbn.format(stdnum_isbn.to_isbn10(HONGLOUMENG)), "ISBN 978-7-02-000220-7"],
)
def test_isbn_in_any_form(catalogue, query):
    page = search_catalogue(query)
    assert page.kind == "isbn" and [h.title for h in page.hits] == ["红楼梦"]
    assert page.hits[0].isbn_display == "978-7-02-000220-7"


def test_an_isbn_with_a_wrong_check_digit_is_not_taken_as_one(catalogue):
    page = search_catalogue("9787020002208")
    assert page.kind == "text" and page.hits == []


def test_call_numbers_by_prefix(catalogue):
    page = search_catalogue("I242.4/12")
    assert page.kind == "call_number" and [h.title for h in page.hits] == ["红楼梦"]
    assert titles("I242.4") == ["三国演义", "红楼梦"]  # shelf order: I242.4/3 before I242.4/12
    assert set(titles("I2")) == {"红楼梦", "红楼梦研究", "论红楼梦的艺术", "三国演义"}
    assert titles("K290/7") == ["县志丛书第7卷"]
    assert titles("K290", limit=3) == ["县志丛书第0卷", "县志丛书第1卷", "县志丛书第2卷"]


def test_call_numbers_in_lower_case(catalogue):
    page = search_catalogue("i242.4")
    assert page.kind == "call_number" and [h.title for h in page.hits] == ["三国演义", "红楼梦"]
    assert titles("i242.4/12") == ["红楼梦"]
    assert set(titles("i2")) == set(titles("I2"))
    assert titles("k290/7") == ["县志丛书第7卷"]


def test_results_say_how_many_copies_and_where(catalogue):
    (hit,) = [h for h in search_catalogue("红楼梦").hits if h.title == "红楼梦"]
    copies = hit.copies
    assert (copies.total, copies.on_shelf, copies.on_loan, copies.in_transit, copies.other) == (4, 2, 1, 1, 0)
    where = copies.where()
    assert "城关分馆 ×1 on shelf" in where
    assert "城关分馆 · 幸福村阅读点 ×1 on shelf" in where
    assert "东门分馆 ×1 in transit" in where and "×1 on loan" in where
    (none,) = [h for h in search_catalogue("三国演义").hits]
    assert none.copies.total == 0 and none.copies.where() == "no copies"


def test_pages_come_from_sql(catalogue):
    first = search_catalogue("县志丛书", limit=20)
    assert len(first.hits) == 20 and first.has_more and first.page_number == 1
    second = search_catalogue("县志丛书", limit=20, offset=20)
    assert len(second.hits) == 5 and not second.has_more and second.page_number == 2
    assert not {h.bib_id for h in first.hits} & {h.bib_id for h in second.hits}


def test_several_words_must_all_match(catalogue):
    assert titles("红楼梦 曹雪芹") == ["红楼梦"]
    assert titles("红楼梦 研究") == ["红楼梦研究"]
    assert titles("pride austen") == ["Pride and prejudice"]


@pytest.mark.parametrize("query", ['"红楼', "a*b", "%", "_", "NOT", "红楼梦 OR", "(", "I24'"])
def test_odd_input_is_searched_not_parsed(catalogue, query):
    search_catalogue(query)  # no FTS syntax error escapes


def test_an_empty_query_lists_the_latest_records(catalogue):
    page = search_catalogue("  ")
    assert page.kind == "recent" and len(page.hits) == 20 and page.hits[0].title == "县志丛书第24卷"


def test_record_view_shows_marc_fields_and_copies(catalogue):
    bib_id = Bib.get(Bib.title == "红楼梦").id
    view = record_view(bib_id)
    assert view.from_raw and view.marc_format == "unimarc"
    assert view.marc_lines[0].startswith("LDR")
    assert "200 1  $a红楼梦 $f曹雪芹" in view.marc_lines
    assert [c.barcode for c in view.copies] == ["HLM1", "HLM2", "HLM3", "HLM4"]
    brief = Bib.create(title="乡土中国", author="费孝通")
    shown = record_view(brief.id)
    assert not shown.from_raw and any(line.startswith("245 10 $a乡土中国") for line in shown.marc_lines)
    assert record_view("no-such-id") is None


def test_two_characters_are_found_among_many_that_sound_the_same(catalogue, monkeypatch):
    # 鹿瑶 and 路遥 are both "luyao": the pinyin index finds every one, the characters decide.
    with catalogue.db.atomic():
        for n in range(12):
            Bib.create(title=f"鹿瑶传{n}", author="佚名", pinyin=pinyin_text(f"鹿瑶传{n}", "佚名"))
        Bib.create(title="路遥文集", author="路遥", pinyin=pinyin_text("路遥文集", "路遥"))
    monkeypatch.setattr("countylib.search.CANDIDATES", 5)
    page = search_catalogue("路遥")
    assert page.kind == "short" and [h.title for h in page.hits] == ["路遥文集"]
    assert titles("鹿瑶") and all(t.startswith("鹿瑶传") for t in titles("鹿瑶"))
