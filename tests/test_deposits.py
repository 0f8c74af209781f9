"""Reading points, the book van and its stops; deposit collections sent out and taken back."""

from __future__ import annotations

from io import BytesIO

import peewee as pw
import pytest
from pypdf import PdfReader

from countylib import deposits
from countylib.errors import NotFound, RuleViolation, ValidationError
from countylib.locations import PlaceDraft, add_location, list_locations, set_location_active, update_location, van_schedule, van_stops_on
from models import Bib, DepositCollection, DepositLine, Item, Location, Outbox
from printing.attendance import render_transfer_list


def places(ctx) -> None:
    add_location(ctx, PlaceDraft(code="rp-dc", name="东村阅读点", kind="reading_point", host_organisation="东村村委会", contact="王主任 13800000000"))
    add_location(ctx, PlaceDraft(code="VAN1", name="流动图书车", kind="van", route="东线"))
    add_location(ctx, PlaceDraft(code="VS-XZ", name="新镇小学", kind="van_stop", route="东线", weekday=2, time_of_day="9:30"))
    add_location(ctx, PlaceDraft(code="VS-LJ", name="李家村", kind="van_stop", route="东线", weekday=2, time_of_day="08:00"))
    add_location(ctx, PlaceDraft(code="VS-NS", name="南山", kind="van_stop", route="东线", weekday=0, time_of_day="14:00"))


def items(ctx, n: int) -> list[Item]:
    home = Location.get(Location.code == "HX01")
    made = []
    for i in range(1, n + 1):
        bib = Bib.create(title=f"书{i}", call_number=f"I247.5/{i}")
        made.append(Item.create(barcode=f"T{i:05d}", bib=bib, home_location=home, current_location=home))
    return made


def outbox(kind: str) -> list[Outbox]:
    return list(Outbox.select().where(Outbox.type == kind).order_by(Outbox.seq))


# -- places ---------------------------------------------------------------------------------------


def test_places_and_the_van_schedule(library):
    places(library)
    rp = Location.get(Location.code == "RP-DC")
    assert (rp.kind, rp.host_organisation, rp.weekday) == ("reading_point", "东村村委会", None)
    assert [s.code for s in van_schedule()] == ["VS-NS", "VS-LJ", "VS-XZ"]  # Monday, then Wednesday by time
    assert [s.time_of_day for s in van_stops_on(2)] == ["08:00", "09:30"]
    assert [e.payload["location"]["code"] for e in outbox("location.added")] == ["RP-DC", "VAN1", "VS-XZ", "VS-LJ", "VS-NS"]
    update_location(library, "VS-XZ", PlaceDraft(code="", name="新镇小学", kind="van_stop", route="东线", weekday=3, time_of_day="10:00"))
    assert outbox("location.updated")[-1].payload["changes"] == {"weekday": 3, "time_of_day": "10:00"}


@pytest.mark.parametrize(
    "draft, message",
    [
        (PlaceDraft(code="x", name="A", kind="reading_point", host_organisation="h"), "place code"),
        (PlaceDraft(code="RP-A", name="", kind="reading_point", host_organisation="h"), "needs a name"),
        (PlaceDraft(code="RP-A", name="A", kind="reading_point"), "host organisation"),
        (PlaceDraft(code="VS-A", name="A", kind="van_stop", weekday=1, time_of_day="09:00"), "route"),
        (PlaceDraft(code="VS-A", name="A", kind="van_stop", route="东线", time_of_day="09:00"), "weekday"),
        (PlaceDraft(code="VS-A", name="A", kind="van_stop", route="东线", weekday=1, time_of_day="9点"), "hours:minutes"),
        (PlaceDraft(code="BR-A", name="A", kind="branch"), "reading point, the book van or a van stop"),
    ],
)
def test_bad_places_are_refused(library, draft, message):
    with pytest.raises(ValidationError, match=message):
        add_location(library, draft)
    assert Location.select().count() == 1


def test_place_codes_are_unique(library):
    places(library)
    with pytest.raises(RuleViolation, match="already a place"):
        add_location(library, PlaceDraft(code="RP-DC", name="又一个", kind="reading_point", host_organisation="x"))


# -- deposit collections --------------------------------------------------------------------------


def test_send_out_and_take_back(library, clock):
    places(library)
    books = items(library, 3)
    collection = deposits.send_deposit(library, "RP-DC", ["T00001", "T00002", "T00003"], "第一批")
    for item in books:
        item = Item.get_by_id(item.id)
        assert item.current_location.code == "RP-DC"
        assert item.status == "available"  # still loanable at the reading point
    [sent] = outbox("deposit.sent")
    assert sent.payload["collection"]["location"] == "RP-DC"
    assert [i["barcode"] for i in sent.payload["items"]] == ["T00001", "T00002", "T00003"]
    assert deposits.counts_by_place() == [("RP-DC", "东村阅读点", 3)]
    assert [i.barcode for i in deposits.items_out("RP-DC")] == ["T00001", "T00002", "T00003"]

    clock.advance(days=30)
    deposits.take_back(library, ["T00001", "T00002"])
    assert Item.get_by_id(books[0].id).current_location.code == "HX01"
    [summary] = deposits.list_collections()
    assert (summary.total, summary.still_out, summary.closed_at) == (3, 1, None)
    deposits.take_back(library, ["T00003"])
    [summary] = deposits.list_collections()
    assert summary.still_out == 0 and summary.closed_at is not None
    assert deposits.list_collections(open_only=True) == []
    assert [len(e.payload["items"]) for e in outbox("deposit.returned")] == [2, 1]
    assert deposits.items_out() == []
    # The item may go out again after it came back.
    deposits.send_deposit(library, "VAN1", ["T00001"])
    assert Item.get_by_id(books[0].id).current_location.code == "VAN1"
    assert DepositLine.select().count() == 4
    assert collection.sent_by == "system"


def test_an_item_sent_to_two_places_is_refused_and_nothing_is_half_written(library):
    places(library)
    items(library, 3)
    deposits.send_deposit(library, "RP-DC", ["T00002"])
    with pytest.raises(RuleViolation, match=r"T00002 \(书2\) is already out at 东村阅读点 since"):
        deposits.send_deposit(library, "VAN1", ["T00001", "T00002", "T00003"])
    assert DepositCollection.select().count() == 1
    assert Item.get(Item.barcode == "T00001").current_location.code == "HX01"
    assert len(outbox("deposit.sent")) == 1


def test_the_database_itself_refuses_a_second_open_line(library):
    places(library)
    [book] = items(library, 1)
    collection = deposits.send_deposit(library, "RP-DC", ["T00001"])
    with pytest.raises(pw.IntegrityError):
        with library.db.atomic():
            DepositLine.create(collection=collection, item=book, barcode="T00001", sent_from=book.home_location)


@pytest.mark.parametrize(
    "destination, barcodes, error, message",
    [
        ("RP-DC", [], ValidationError, "Scan the items"),
        ("RP-DC", ["T00001", "T00001"], ValidationError, "scanned twice"),
        ("RP-DC", ["NOPE"], NotFound, "No item has the barcode NOPE"),
        ("HX01", ["T00001"], ValidationError, "reading point or the book van"),
        ("VS-XZ", ["T00001"], ValidationError, "reading point or the book van"),
        ("RP-DC", ["T00002"], RuleViolation, "is on loan; only items on the shelf"),
    ],
)
def test_bad_sends(library, destination, barcodes, error, message):
    places(library)
    items(library, 2)
    Item.update(status="on_loan").where(Item.barcode == "T00002").execute()
    with pytest.raises(error, match=message):
        deposits.send_deposit(library, destination, barcodes)
    assert DepositCollection.select().count() == 0


def test_bad_take_backs(library):
    places(library)
    items(library, 2)
    deposits.send_deposit(library, "RP-DC", ["T00001", "T00002"])
    Item.update(status="on_loan").where(Item.barcode == "T00002").execute()  # a reader at the point has it
    with pytest.raises(RuleViolation, match="on loan to a reader"):
        deposits.take_back(library, ["T00001", "T00002"])
    assert DepositLine.select().where(DepositLine.returned_at.is_null()).count() == 2
    deposits.take_back(library, ["T00001"])
    with pytest.raises(RuleViolation, match="not out with any deposit collection"):
        deposits.take_back(library, ["T00001"])


def test_a_place_with_items_out_cannot_close(library):
    places(library)
    items(library, 1)
    deposits.send_deposit(library, "RP-DC", ["T00001"])
    with pytest.raises(RuleViolation, match="1 items are still deposited"):
        set_location_active(library, "RP-DC", False)
    deposits.take_back(library, ["T00001"])
    set_location_active(library, "RP-DC", False)
    assert "RP-DC" not in [loc.code for loc in list_locations()]
    with pytest.raises(RuleViolation, match="is closed"):
        deposits.send_deposit(library, "RP-DC", ["T00001"])


def test_transfer_list_pdf(library):
    places(library)
    items(library, 3)
    collection = deposits.send_deposit(library, "RP-DC", ["T00003", "T00001", "T00002"], "冬季书箱")
    data = deposits.transfer_list(library, collection.id)
    assert [line.barcode for line in data.lines] == ["T00001", "T00002", "T00003"]
    out = BytesIO()
    render_transfer_list(data, out)
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(out.getvalue())).pages)
    for expected in ("东村阅读点", "东村村委会", "T00002", "书3", "冬季书箱", "3 items in total", "Received by"):
        assert expected in text


def test_a_van_stop_is_on_a_route_a_van_drives(library):
    stop = PlaceDraft(code="VS-BX", name="北寨", kind="van_stop", route="北线", weekday=1, time_of_day="09:00")
    with pytest.raises(ValidationError, match="No book van has a route yet"):
        add_location(library, stop)
    places(library)
    with pytest.raises(ValidationError, match="No book van drives the route 北线. Choose one of: 东线"):
        add_location(library, stop)
    assert "北线" not in {s.route for s in van_schedule()}
    # A new route comes with its van.
    add_location(library, PlaceDraft(code="VAN2", name="二号车", kind="van", route="北线"))
    add_location(library, stop)
    assert [s.code for s in van_stops_on(1)] == ["VS-BX"]
    # A stop keeps its route when edited, even once its van is closed.
    set_location_active(library, "VAN2", False)
    update_location(library, "VS-BX", PlaceDraft(code="", name="北寨村", kind="van_stop", route="北线", weekday=1, time_of_day="09:00"))


def test_place_names_are_kept_short_and_codes_explained_by_kind(library):
    with pytest.raises(ValidationError, match="The place name is 120 characters long; keep it to 30 at most."):
        add_location(library, PlaceDraft(code="RP-A", name="阅" * 120, kind="reading_point", host_organisation="h"))
    with pytest.raises(ValidationError, match="e.g. VS-DONGCUN"):
        add_location(library, PlaceDraft(code="x", name="A", kind="van_stop", route="东线", weekday=1, time_of_day="09:00"))
    assert Location.select().count() == 1
