"""Finding readers: card, characters, pinyin, phone, ID last four; the filtered list."""

from __future__ import annotations

import datetime as dt

from countylib.patron_search import PatronFilter, list_patrons, search_patrons
from countylib.patrons import register_patron, replace_card, suspend_patron
from models import Patron
from tests.patron_helpers import child_form, open_loan, register, resident_id


def cards(rows) -> list[str]:
    return [r.card_number for r in rows]


def people(library):
    zhang = register(library)  # 张三丰 HX0100001, 13812345678
    wang = register(library, name="王芳", id_number=resident_id(seq="222"), phone="13911112222")  # HX0100002
    zhang2 = register(library, name="张三", id_number=resident_id(seq="244"), phone="13700000000")  # HX0100003
    child = register_patron(library, child_form())  # 李小明 HX0100004
    return zhang, wang, zhang2, child


def test_search_by_every_key(library):
    zhang, wang, zhang2, child = people(library)
    assert cards(search_patrons(library, "hx0100002")) == ["HX0100002"]
    assert cards(search_patrons(library, "张三丰")) == ["HX0100001"]
    assert cards(search_patrons(library, "张三"))[0] == "HX0100003"  # exact name first
    assert set(cards(search_patrons(library, "张三"))) == {"HX0100001", "HX0100003"}
    assert cards(search_patrons(library, "三丰")) == ["HX0100001"]  # the given name
    assert cards(search_patrons(library, "丰")) == ["HX0100001"]
    assert cards(search_patrons(library, "zsf")) == ["HX0100001"]
    assert cards(search_patrons(library, "ZS"))[0] == "HX0100003"  # initials exact first
    assert cards(search_patrons(library, "wangf")) == ["HX0100002"]
    assert cards(search_patrons(library, "13911112222")) == ["HX0100002"]
    assert cards(search_patrons(library, "139111")) == ["HX0100002"]
    assert cards(search_patrons(library, wang.id_number[-4:])) == ["HX0100002"]
    assert cards(search_patrons(library, wang.id_number)) == ["HX0100002"]
    assert search_patrons(library, "   ") == []
    assert search_patrons(library, "nobody") == []


def test_search_by_a_replaced_card_finds_the_reader_and_says_so(library):
    zhang, *_ = people(library)
    replace_card(library, zhang.id)
    rows = search_patrons(library, "HX0100001")
    assert rows[0].card_number == "HX0100005" and rows[0].matched_old_card == "HX0100001"


def test_list_filters_and_pages(library, clock):
    zhang, wang, zhang2, child = people(library)
    assert cards(list_patrons(library, PatronFilter()).rows) == ["HX0100001", "HX0100002", "HX0100003", "HX0100004"]
    assert cards(list_patrons(library, PatronFilter(category="child")).rows) == ["HX0100004"]
    suspend_patron(library, wang.id, "overdue")
    assert cards(list_patrons(library, PatronFilter(status="suspended")).rows) == ["HX0100002"]
    Patron.update(expiry_date=dt.date(2026, 12, 5)).where(Patron.id == zhang2.id).execute()  # renewing never shortens
    assert cards(list_patrons(library, PatronFilter(expiring_soon=True)).rows) == ["HX0100003"]
    open_loan(library, zhang, due=dt.date(2026, 11, 1))
    open_loan(library, wang, barcode="T0002", due=dt.date(2026, 12, 30))
    page = list_patrons(library, PatronFilter(overdue=True))
    assert cards(page.rows) == ["HX0100001"] and page.rows[0].overdue_loans == 1 and page.rows[0].open_loans == 1
    first = list_patrons(library, PatronFilter(), limit=3)
    assert cards(first.rows) == ["HX0100001", "HX0100002", "HX0100003"] and first.next_after == "HX0100003"
    rest = list_patrons(library, PatronFilter(), after=first.next_after, limit=3)
    assert cards(rest.rows) == ["HX0100004"] and rest.next_after is None
