"""Donation intake: donors, checking against the holdings, one decision per book,
certificates and statistics."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from pypdf import PdfReader

from countylib.callnumbers import reserve_block
from countylib.cataloguing import check_brief_record, create_brief_record
from countylib.donations import (
    AlreadyADonor,
    accession_line,
    accessioned_items,
    add_book,
    certificate_for,
    check_book,
    decline_line,
    donation_statistics,
    find_donors,
    forward_destinations,
    forward_line,
    intake_lines,
    reason_text,
    receive_donation,
    register_donor,
)
from countylib.errors import NotFound, PermissionDenied, RuleViolation, ValidationError
from countylib.i18n import set_language
from models import Bib, Donation, DonationLine, Donor, Item, Location, Outbox
from printing.certificates import render_certificate

EXISTING = "9787020002207"  # 红楼梦, already on the shelves
NEW_BOOKS = ["9787506365437", "9787101111118", "9787302123453"]


@pytest.fixture
def branch(library):
    reserve_block(library, "", 1, 999)
    create_brief_record(library, title="红楼梦", author="曹雪芹", clc="I242.47", isbn=EXISTING, price="59.70", copies=3)
    Location.create(branch=library.branch, code="HX01-RP1", name="幸福村阅读点", kind="reading_point")
    return library


@pytest.fixture
def donation(branch):
    donor = register_donor(branch, "张三", phone="138 0000 0000", address="城关镇幸福路1号")
    return receive_donation(branch, donor, how_received="in_person", notes="一箱")


def events(kind):
    return [e.payload for e in Outbox.select().where(Outbox.type == kind).order_by(Outbox.seq)]


def test_donors(branch):
    org = register_donor(branch, "  县第一中学  ", kind="organisation", anonymous=True)
    assert org.name == "县第一中学" and org.anonymous
    assert [d.name for d in find_donors("一中")] == ["县第一中学"]
    with pytest.raises(ValidationError):
        register_donor(branch, "")
    with pytest.raises(ValidationError):
        register_donor(branch, "李四", kind="company")
    with pytest.raises(ValidationError):
        register_donor(branch, "李四", phone="call me")
    with pytest.raises(AlreadyADonor) as again:
        register_donor(branch, "县第一中学", kind="organisation")
    assert again.value.donor == org and again.value.message == "县第一中学 is already on the list of donors."
    one = register_donor(branch, "张伟", phone="13800000001")
    assert register_donor(branch, "张伟", phone="13900000002") != one  # the same name: two people
    assert Donor.select().count() == 3


def test_receiving_records_the_event(donation):
    (payload,) = events("donation.received")
    assert payload["donation"]["id"] == donation.id
    assert payload["donation"]["received_on"] == "2026-11-21"
    assert payload["donation"]["branch"] == "HX01"
    assert payload["donor"]["name"] == "张三" and payload["donor"]["anonymous"] is False


def test_future_date_and_unknown_channel_refused(branch):
    donor = register_donor(branch, "王五")
    with pytest.raises(ValidationError):
        receive_donation(branch, donor, received_on=dt.date(2026, 12, 1))
    with pytest.raises(ValidationError):
        receive_donation(branch, donor, how_received="pigeon")


def test_check_by_isbn_and_title(branch):
    here = Location.get(Location.code == "HX01")
    found = check_book("978-7-02-000220-7", here)
    assert (found.title, found.held, found.held_here, found.records) == ("红楼梦", 3, 3, 1)
    found = check_book("7-02-000220-X", here)
    assert found.bib is not None and found.isbn == EXISTING
    found = check_book("红楼梦", here)
    assert found.bib is not None and found.held == 3 and found.isbn == ""
    unknown = check_book(NEW_BOOKS[0], here)
    assert unknown.bib is None and unknown.held == 0
    nothing = check_book("一本没有的书", here)
    assert nothing.bib is None and nothing.records == 0


def test_malformed_isbn_is_named(donation, branch):
    with pytest.raises(ValidationError) as info:
        add_book(branch, donation, "978-7-02-000220-3")
    assert info.value.message == "978-7-02-000220-3 is not a valid ISBN: the check digit is wrong."
    with pytest.raises(ValidationError):
        add_book(branch, donation, "  ")
    assert DonationLine.select().count() == 0


def test_accession_an_existing_record_adds_a_donated_copy(donation, branch):
    line = add_book(branch, donation, EXISTING)
    assert line.bib is not None and line.decision == "pending"
    line = accession_line(branch, line)
    item = Item.get_by_id(line.item_id)
    assert (item.source, item.price_cents, item.call_number) == ("donation", 5970, "I242.47/1")
    assert item.barcode == "HX0100000004"
    (payload,) = events("donation.line_decided")
    assert payload["line"]["decision"] == "accessioned" and payload["line"]["barcode"] == "HX0100000004"
    assert events("item.accessioned")[-1]["item"]["source"] == "donation"


def test_second_click_on_accession_changes_nothing(donation, branch):
    line = add_book(branch, donation, EXISTING)
    first = accession_line(branch, line)
    again = accession_line(branch, line)  # the screen's stale copy of the line
    assert again.item_id == first.item_id
    assert Item.select().where(Item.source == "donation").count() == 1
    assert len(events("donation.line_decided")) == 1


def test_new_book_needs_the_brief_record(donation, branch):
    line = add_book(branch, donation, NEW_BOOKS[0])
    assert line.bib is None
    with pytest.raises(ValidationError) as info:
        accession_line(branch, line)
    assert "fill in the brief record first" in info.value.message
    record = check_brief_record(title="活着", author="余华", clc="I247.57", isbn=NEW_BOOKS[0], price="20")
    line = accession_line(branch, line, record=record, estimated_value_cents=1000)
    bib = Bib.get_by_id(line.bib_id)
    assert (bib.title, bib.call_number, bib.marc_format) == ("活着", "I247.57/1", "marc21")
    assert Item.get_by_id(line.item_id).price_cents == 1000
    assert line.title == "活着"


def test_brief_record_isbn_must_match_the_scan(donation, branch):
    line = add_book(branch, donation, NEW_BOOKS[0])
    record = check_brief_record(title="别的书", clc="I247.5", isbn=NEW_BOOKS[1])
    with pytest.raises(ValidationError):
        accession_line(branch, line, record=record)
    assert Bib.select().count() == 1 and Item.select().count() == 3


def test_decline_needs_a_reason(donation, branch):
    line = add_book(branch, donation, "旧杂志合订本")
    with pytest.raises(ValidationError) as info:
        decline_line(branch, line, "  ")
    assert "Say why the book is declined" in info.value.message
    assert DonationLine.get_by_id(line.id).decision == "pending"
    line = decline_line(branch, line, "damaged")
    assert (line.decision, line.reason) == ("declined", "damaged")
    assert reason_text("damaged") == "damaged"
    assert reason_text("水渍严重") == "水渍严重"


def test_a_decision_is_final(donation, branch):
    line = add_book(branch, donation, EXISTING)
    decline_line(branch, line, "duplicate")
    with pytest.raises(RuleViolation) as info:
        accession_line(branch, line)
    assert info.value.message == "红楼梦 was already declined; a decision is not changed afterwards."
    assert Item.select().where(Item.source == "donation").count() == 0


def test_forward_to_a_reading_point(donation, branch):
    line = add_book(branch, donation, "儿童绘本")
    assert [loc.code for loc in forward_destinations(branch)] == ["HX01-RP1"]
    with pytest.raises(NotFound):
        forward_line(branch, line, "NOPE")
    with pytest.raises(ValidationError):
        forward_line(branch, line, "HX01")
    line = forward_line(branch, line, "HX01-RP1")
    assert line.decision == "forwarded"
    assert events("donation.line_decided")[-1]["line"]["forward_to"] == "HX01-RP1"


def test_intake_lines_show_holdings(donation, branch):
    add_book(branch, donation, EXISTING)
    add_book(branch, donation, NEW_BOOKS[1])
    views = intake_lines(branch, donation)
    assert [(v.held, v.held_here, v.has_record) for v in views] == [(3, 3, True), (0, 0, False)]


def test_volunteers_cannot_take_in_donations(as_role, donation):
    with pytest.raises(PermissionDenied):
        add_book(as_role("volunteer"), donation, EXISTING)


def five_book_donation(branch, donation):
    add_book(branch, donation, EXISTING)
    for isbn, title in zip(NEW_BOOKS, ["活着", "论语译注", "数据结构"], strict=True):
        line = add_book(branch, donation, isbn)
        record = check_brief_record(title=title, author="某作者", clc="I247.57", isbn=isbn, price="30")
        accession_line(branch, line, record=record)
    for view in intake_lines(branch, donation):
        if view.line.decision == "pending":
            accession_line(branch, view.line)
    declined = add_book(branch, donation, "破损的旧书")
    decline_line(branch, declined, "damaged")


def test_certificate_lists_the_accepted_books(donation, branch):
    waiting = add_book(branch, donation, "旧挂历")
    with pytest.raises(RuleViolation) as info:
        certificate_for(branch, donation)
    assert info.value.message == "Books still waiting for a decision: 1. Decide each one first."
    decline_line(branch, waiting, "unsuitable")
    five_book_donation(branch, donation)
    certificate = certificate_for(branch, donation)
    assert certificate.count == 4
    assert [b.title for b in certificate.books] == ["红楼梦", "活着", "论语译注", "数据结构"]
    out = BytesIO()
    render_certificate(certificate, out)
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(out.getvalue())).pages)
    assert "捐" in text and "证" in text
    assert "张三" in text and "某某县图书馆" in text
    assert "2026年11月21日" in text and "4册" in text
    for title in ("红楼梦", "活着", "论语译注", "数据结构"):
        assert title in text
    assert "破损的旧书" not in text
    assert len(accessioned_items(donation)) == 4


def test_a_book_passed_on_by_its_isbn_alone_is_named_by_it_on_the_certificate(donation, branch):
    line = add_book(branch, donation, "9787544253994")
    assert line.title == "" and line.bib_id is None
    forward_line(branch, line, "HX01-RP1")
    (book,) = certificate_for(branch, donation).books
    assert book.title == "ISBN 978-7-5442-5399-4"


def test_certificate_in_english(donation, branch):
    five_book_donation(branch, donation)
    out = BytesIO()
    render_certificate(certificate_for(branch, donation, language="en"), out)
    text = PdfReader(BytesIO(out.getvalue())).pages[0].extract_text()
    assert "Certificate of Donation" in text and "21 November 2026" in text and "gave 4 books" in text


def test_long_list_continues_on_more_pages(donation, branch):
    for n in range(60):
        line = add_book(branch, donation, f"捐赠书第{n + 1}册")
        forward_line(branch, line, "HX01-RP1")
    out = BytesIO()
    render_certificate(certificate_for(branch, donation), out)
    reader = PdfReader(BytesIO(out.getvalue()))
    assert len(reader.pages) >= 2
    assert "捐赠书第60册" in "".join(p.extract_text() for p in reader.pages)


def test_statistics_by_month_and_donor_kind(branch, donation):
    five_book_donation(branch, donation)
    school = register_donor(branch, "县第一中学", kind="organisation")
    october = receive_donation(branch, school, received_on=dt.date(2026, 10, 9))
    forward_line(branch, add_book(branch, october, "校史"), "HX01-RP1")
    other = register_donor(branch, "李四")
    receive_donation(branch, other, received_on=dt.date(2026, 11, 2))
    rows = donation_statistics(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert [(r.month, r.donor_kind, r.donations, r.donors, r.books, r.accessioned, r.forwarded, r.declined)
            for r in rows] == [
        ("2026-10", "organisation", 1, 1, 1, 0, 1, 0),
        ("2026-11", "person", 2, 2, 5, 4, 0, 1),
    ]
    assert rows[1].value_cents == 5970 + 3 * 3000
    assert donation_statistics(dt.date(2025, 1, 1), dt.date(2025, 12, 31)) == []


def test_messages_translate(donation, branch):
    line = add_book(branch, donation, "某书")
    try:
        set_language("zh_CN")
        with pytest.raises(ValidationError) as info:
            decline_line(branch, line, "")
        assert "拒收" in info.value.message
    finally:
        set_language("en")
    assert Donation.select().count() == 1


def test_print_certificate_again_from_the_command_line(donation, branch, db_path, tmp_path, capsys):
    from countylib.cli import main

    five_book_donation(branch, donation)
    number = certificate_for(branch, donation).number
    out = tmp_path / "again.pdf"
    assert main(["print", "certificate", "--db", str(db_path), "--out", str(out), "--donor", "张三"]) == 0
    assert f"Printed certificate {number} for 张三 (4 books) to {out}" in capsys.readouterr().out
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert number in text and "红楼梦" in text and "数据结构" in text and "破损的旧书" not in text

    argv = ["print", "certificate", "--db", str(db_path), "--out", str(out), "--number", number.lower(), "--language", "en"]
    assert main(argv) == 0
    assert "Certificate of Donation" in PdfReader(out).pages[0].extract_text()


def test_print_certificate_names_what_it_cannot_find(donation, branch, db_path, tmp_path, capsys):
    from countylib.cli import main

    out = tmp_path / "x.pdf"
    five_book_donation(branch, donation)
    second = receive_donation(branch, donation.donor, how_received="post", received_on=dt.date(2026, 11, 20))
    forward_line(branch, add_book(branch, second, "一本旧书"), "HX01-RP1")

    def refused(*options: str) -> str:
        assert main(["print", "certificate", "--db", str(db_path), "--out", str(out), *options]) == 1
        return capsys.readouterr().err

    listed = refused("--donor", "张三")
    assert "张三 gave more than once:" in listed
    assert f"{certificate_for(branch, second).number} (2026-11-20, 1)" in listed
    assert main(["print", "certificate", "--db", str(db_path), "--out", str(out), "--donor", "张三",
                 "--date", "2026-11-20"]) == 0
    assert "(1 books)" in capsys.readouterr().out
    assert "No donation with books accepted matches 李四." in refused("--donor", "李四")
    assert "is not a certificate number of this branch (like HX01-20261110-3FA2)" in refused("--number", "XZ01-20261121-AB12")
    assert "No donation with books accepted matches HX01-20261121-0000." in refused("--number", "HX01-20261121-0000")
    assert "is not a date like 2026-11-21" in refused("--donor", "张三", "--date", "21/11/2026")
    assert not out.exists() or out.stat().st_size > 0
