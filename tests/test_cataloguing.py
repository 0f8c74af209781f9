"""Brief records as MARC21, ISBNs, accessioning copies with the branch's sequences."""

from __future__ import annotations

import pytest
from pymarc import Record

from countylib.callnumbers import reserve_block
from countylib.cataloguing import (
    accession_items,
    check_brief_record,
    create_brief_record,
    format_isbn,
    holdings_count,
    looks_like_isbn,
    normalize_isbn,
    parse_price,
)
from countylib.errors import PermissionDenied, RuleViolation, ValidationError
from models import Bib, Item, Outbox


@pytest.fixture
def branch(library):
    reserve_block(library, "", 1, 999)
    return library


def test_isbn_normalised_to_13_and_checked():
    assert normalize_isbn("7-02-000220-X") == "9787020002207"
    assert normalize_isbn("ISBN 978-7-02-000220-7") == "9787020002207"
    assert normalize_isbn("") == ""
    assert format_isbn("9787020002207") == "978-7-02-000220-7"
    assert looks_like_isbn("978-7-02-000220-7") and looks_like_isbn("702000220X")
    assert not looks_like_isbn("红楼梦") and not looks_like_isbn("12345")


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("978-7-02-000220-3", "978-7-02-000220-3 is not a valid ISBN: the check digit is wrong."),
        ("97870200022", "97870200022 is not a valid ISBN: an ISBN has 10 or 13 digits."),
        ("978-7-O2-000220-7", "978-7-O2-000220-7 is not a valid ISBN."),
    ],
)
def test_malformed_isbn_named_in_the_message(value, says):
    with pytest.raises(ValidationError) as info:
        normalize_isbn(value)
    assert info.value.message == says


def test_prices():
    assert parse_price("25") == 2500
    assert parse_price("¥25.5") == 2550
    assert parse_price("CNY39.80") == 3980
    assert parse_price("12元") == 1200
    assert parse_price("") == 0
    for bad in ("abc", "-3", "1.234"):
        with pytest.raises(ValidationError):
            parse_price(bad)


def test_brief_record_is_a_marc21_record(branch):
    book = create_brief_record(
        branch,
        title="长安的荔枝",
        author="马伯庸",
        publisher="湖南文艺出版社",
        year="2021",
        isbn="978-7-5726-0378-5",
        clc="I247.5",
        price="45.00",
        copies=2,
    )
    bib = Bib.get_by_id(book.bib.id)
    assert bib.marc_format == "marc21"
    assert bib.call_number == "I247.5/1"
    assert bib.isbn == "9787572603785"
    assert bib.pinyin == "changandelizhi cadlz maboyong mby"
    record = Record(data=bytes(bib.marc), force_utf8=True)
    assert record.leader[5:10] == "nam a" and record.leader[17] == "7"
    assert record["001"].data == bib.id
    assert record["245"]["a"] == "长安的荔枝"
    assert record["245"]["c"] == "马伯庸"
    assert record["100"]["a"] == "马伯庸"
    assert record["264"]["b"] == "湖南文艺出版社" and record["264"]["c"] == "2021"
    assert record["020"]["a"] == "9787572603785" and record["020"]["c"] == "CNY45.00"
    assert record["084"]["a"] == "I247.5" and record["084"]["2"] == "clc"
    assert record["090"]["a"] == "I247.5" and record["090"]["b"] == "1"
    assert record["008"].data[7:11] == "2021" and record["008"].data[35:38] == "chi"
    assert len(record["008"].data) == 40

    items = [Item.get_by_id(i.id) for i in book.items]
    assert [i.barcode for i in items] == ["HX0100000001", "HX0100000002"]
    assert [i.accession_number for i in items] == ["HX01-2026-000001", "HX01-2026-000002"]
    assert {i.call_number for i in items} == {"I247.5/1"}
    assert {i.price_cents for i in items} == {4500}
    assert {i.home_location.code for i in items} == {"HX01"}
    assert holdings_count(bib) == 2

    events = list(Outbox.select().where(Outbox.type.in_(("bib.upserted", "item.accessioned"))).order_by(Outbox.seq))
    assert [e.type for e in events] == ["bib.upserted", "item.accessioned", "item.accessioned"]
    assert events[0].payload["bib"]["call_number"] == "I247.5/1"
    assert events[1].payload["item"] == {
        "id": items[0].id,
        "barcode": "HX0100000001",
        "bib_id": bib.id,
        "home_location": "HX01",
        "current_location": "HX01",
        "status": "available",
        "item_type": "book",
        "call_number": "I247.5/1",
        "price_cents": 4500,
        "source": "purchase",
    }


def test_record_without_isbn_author_or_publisher(branch):
    book = create_brief_record(branch, title="县志（油印本）", clc="K295", copies=0)
    record = Record(data=bytes(book.bib.marc), force_utf8=True)
    assert tuple(record["245"].indicators) == ("0", "0") and record["245"]["a"] == "县志（油印本）"
    assert not record.get_fields("020", "100", "264")
    assert book.items == []


def test_bad_input_writes_nothing(branch):
    before = (Bib.select().count(), Item.select().count(), Outbox.select().count())
    cases = [
        dict(title="", clc="I247.5"),
        dict(title="书", clc="L12"),
        dict(title="书", clc="I247.5", isbn="978-7-02-000220-3"),
        dict(title="书", clc="I247.5", year="21"),
        dict(title="书", clc="I247.5", price="很多"),
        dict(title="书", clc="I247.5", copies="x"),
        dict(title="书", clc="I247.5", copies=51),
    ]
    for case in cases:
        with pytest.raises(ValidationError):
            create_brief_record(branch, **case)
    assert (Bib.select().count(), Item.select().count(), Outbox.select().count()) == before


def test_no_block_leaves_nothing_half_written(library):
    with pytest.raises(RuleViolation):
        create_brief_record(library, title="书", clc="I247.5", copies=1)
    assert Bib.select().count() == 0 and Item.select().count() == 0


def test_same_isbn_twice_is_refused(branch):
    create_brief_record(branch, title="活着", author="余华", clc="I247.57", isbn="9787506365437")
    with pytest.raises(RuleViolation) as info:
        create_brief_record(branch, title="活着", clc="I247.57", isbn="7-5063-6543-X")
    assert "978-7-5063-6543-7" in info.value.message and "I247.57/1" in info.value.message


def test_more_copies_continue_the_sequences(branch):
    first = create_brief_record(branch, title="活着", author="余华", clc="I247.57", copies=1)
    more = accession_items(branch, first.bib, 2, source="donation", price_cents=0)
    assert [i.barcode for i in more] == ["HX0100000002", "HX0100000003"]
    assert {i.source for i in more} == {"donation"}
    # A barcode imported from elsewhere in our range moves the sequence past it.
    Item.create(barcode="HX0100000050", bib=first.bib, home_location=more[0].home_location,
                current_location=more[0].home_location)
    assert accession_items(branch, first.bib, 1)[0].barcode == "HX0100000051"


def test_volunteers_do_not_catalogue(as_role, library):
    reserve_block(library, "", 1, 99)
    with pytest.raises(PermissionDenied):
        create_brief_record(as_role("volunteer"), title="书", clc="I247.5")


def test_check_brief_record_tidies():
    record = check_brief_record(title="  红楼梦 ", clc="i242.47", isbn="7-02-000220-X", price="59", copies="3")
    assert (record.title, record.clc, record.isbn, record.price_cents, record.copies) == (
        "红楼梦", "I242.47", "9787020002207", 5900, 3)


def test_check_brief_record_names_every_problem_at_once():
    with pytest.raises(ValidationError) as one:
        check_brief_record(title="红楼梦", clc="ZZ9")
    assert one.value.message.startswith("ZZ9") and "\n" not in one.value.message  # one problem, one line
    with pytest.raises(ValidationError) as several:
        check_brief_record(title=" ", clc="ZZ9", year="82", isbn="9787020002208", price="abc", copies="x")
    lines = several.value.message.splitlines()
    assert len(lines) == 6 and lines[0] == "The title is needed."
    assert "ZZ9" in lines[1] and "82 is not a year" in lines[2] and "check digit is wrong" in lines[3]
    assert "abc" in lines[4] and lines[5] == "x is not a number of copies."
