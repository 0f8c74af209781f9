"""Deposit collections (流动服务): a box of items lent as a block to a reading point or the book van.

Sent items stay loanable: their status stays ``available`` and their current location becomes
the reading point or the van, so a loan made there records that place. An item is out with one
collection at a time (the database enforces it too); taking it back returns it to where it was
sent from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from peewee import fn

from countylib.context import ServiceContext, service
from countylib.errors import NotFound, RuleViolation, ValidationError
from countylib.i18n import N_, _, format_date
from countylib.locations import kind_name, location_by_code
from countylib.roles import LIBRARIAN
from models import Bib, DepositCollection, DepositLine, Item, Location
from models.ids import new_id
from printing.attendance import TransferLine, TransferList

# How an item's status reads in a refusal (the circulation desk's statuses).
ITEM_STATUS_NAMES = {
    "available": N_("on the shelf"),
    "on_loan": N_("on loan"),
    "in_transit": N_("in transit"),
    "on_hold_shelf": N_("on the hold shelf"),
    "lost": N_("lost"),
    "damaged": N_("damaged"),
    "withdrawn": N_("withdrawn"),
}
DESTINATION_KINDS = ("reading_point", "van")


def status_name(status: str) -> str:
    return _(ITEM_STATUS_NAMES.get(status, status))


def _clean_barcode(barcode: str) -> str:
    value = barcode.strip()
    if not value:
        raise ValidationError("Scan or type an item barcode.")
    return value


def _open_line(item: Item) -> DepositLine | None:
    return (
        DepositLine.select(DepositLine, DepositCollection, Location)
        .join(DepositCollection)
        .join(Location)
        .where(DepositLine.item == item, DepositLine.returned_at.is_null())
        .first()
    )


def _destination(code: str) -> Location:
    place = location_by_code(code)
    if place.kind not in DESTINATION_KINDS:
        raise ValidationError("Deposit collections go to a reading point or the book van, not to {name}.", name=place.name)
    if not place.active:
        raise RuleViolation("{name} is closed; open it again before sending items there.", name=place.name)
    return place


def check_sendable(ctx: ServiceContext, barcode: str, destination_code: str) -> Item:
    """The item a scan names, if it may go out with a collection; otherwise the reason it may not."""
    return _sendable(ctx, [barcode], _destination(destination_code))[0]


def _sendable(ctx: ServiceContext, barcodes: list[str], destination: Location) -> list[Item]:
    """The items, in scan order, if every one may go out; else the first one's reason.

    Two queries for the whole box (items, then any open lines), however many were scanned.
    """
    wanted: list[str] = []
    for raw in barcodes:
        barcode = _clean_barcode(raw)
        if barcode in wanted:
            raise ValidationError("{barcode} was scanned twice.", barcode=barcode)
        wanted.append(barcode)
    found: dict[str, Item] = {}
    for chunk in range(0, len(wanted), 500):  # SQLite's limit on bound variables per statement
        query = (
            Item.select(Item, Bib.id, Bib.title, Location.id, Location.code)
            .join(Bib)
            .switch(Item)
            .join(Location, on=(Item.current_location == Location.id))
            .where(Item.barcode.in_(wanted[chunk : chunk + 500]))
        )
        found.update({item.barcode: item for item in query})
    open_lines: dict[str, DepositLine] = {}
    ids = [item.id for item in found.values()]
    for chunk in range(0, len(ids), 500):
        query = (
            DepositLine.select(DepositLine.item, DepositCollection.id, DepositCollection.sent_at, Location.id, Location.name)
            .join(DepositCollection)
            .join(Location)
            .where(DepositLine.item.in_(ids[chunk : chunk + 500]), DepositLine.returned_at.is_null())
        )
        open_lines.update({line.item_id: line for line in query})
    items = []
    for barcode in wanted:
        item = found.get(barcode)
        if item is None:
            raise NotFound("No item has the barcode {barcode}.", barcode=barcode)
        line = open_lines.get(item.id)
        if line is not None:
            raise RuleViolation(
                "{barcode} ({title}) is already out at {place} since {date}; take it back before sending it anywhere else.",
                barcode=barcode,
                title=item.bib.title,
                place=line.collection.location.name,
                date=format_date(ctx.clock.to_local(line.collection.sent_at).date()),
            )
        if item.status != "available":
            raise RuleViolation(
                "{barcode} ({title}) is {status}; only items on the shelf can be sent out.",
                barcode=barcode,
                title=item.bib.title,
                status=status_name(item.status),
            )
        if item.current_location_id == destination.id:
            raise RuleViolation("{barcode} ({title}) is already at {place}.", barcode=barcode, title=item.bib.title, place=destination.name)
        items.append(item)
    return items


@service(LIBRARIAN)
def send_deposit(ctx: ServiceContext, destination_code: str, barcodes: list[str], note: str = "") -> DepositCollection:
    """Send the scanned items out as one collection: all of them, or (on any refusal) none."""
    destination = _destination(destination_code)
    if not barcodes:
        raise ValidationError("Scan the items to send first.")
    items = _sendable(ctx, barcodes, destination)
    now = ctx.clock.utcnow()
    collection = DepositCollection.create(location=destination, sent_at=now, sent_by=ctx.actor.username, note=note.strip())
    lines = [
        {"id": new_id(), "collection": collection.id, "item": i.id, "barcode": i.barcode, "sent_from": i.current_location_id}
        for i in items
    ]
    for start in range(0, len(lines), 100):  # SQLite's limit on bound variables per statement
        DepositLine.insert_many(lines[start : start + 100]).execute()
    sent = [
        {"line_id": line["id"], "item_id": i.id, "barcode": i.barcode, "from": i.current_location.code}
        for line, i in zip(lines, items)
    ]
    Item.update(current_location=destination, updated_at=now).where(Item.id.in_([i.id for i in items])).execute()
    ctx.record(
        "deposit.sent",
        {
            "collection": {
                "id": collection.id,
                "location": destination.code,
                "sent_at": _iso(now),
                "sent_by": ctx.actor.username,
                "note": collection.note,
            },
            "items": sent,
        },
    )
    return collection


@service(LIBRARIAN)
def take_back(ctx: ServiceContext, barcodes: list[str]) -> list[DepositLine]:
    """Items come back from a reading point or the van: each returns to where it was sent from."""
    if not barcodes:
        raise ValidationError("Scan the items that came back first.")
    now = ctx.clock.utcnow()
    lines: list[DepositLine] = []
    seen: set[str] = set()
    for raw in barcodes:
        barcode = _clean_barcode(raw)
        if barcode in seen:
            raise ValidationError("{barcode} was scanned twice.", barcode=barcode)
        seen.add(barcode)
        item = Item.select(Item, Bib).join(Bib).where(Item.barcode == barcode).first()
        if item is None:
            raise NotFound("No item has the barcode {barcode}.", barcode=barcode)
        line = _open_line(item)
        if line is None:
            raise RuleViolation("{barcode} ({title}) is not out with any deposit collection.", barcode=barcode, title=item.bib.title)
        if item.status == "on_loan":
            raise RuleViolation(
                "{barcode} ({title}) is on loan to a reader; check it in at the desk first.", barcode=barcode, title=item.bib.title
            )
        lines.append(line)
    returned = []
    for line in lines:
        DepositLine.update(returned_at=now, returned_by=ctx.actor.username).where(DepositLine.id == line.id).execute()
        Item.update(current_location=line.sent_from_id, updated_at=now).where(Item.id == line.item_id).execute()
        returned.append(
            {
                "line_id": line.id,
                "collection_id": line.collection_id,
                "item_id": line.item_id,
                "barcode": line.barcode,
                "to": line.sent_from.code,
            }
        )
    for collection_id in {line.collection_id for line in lines}:
        still_out = DepositLine.select().where(DepositLine.collection == collection_id, DepositLine.returned_at.is_null()).exists()
        if not still_out:
            DepositCollection.update(closed_at=now).where(DepositCollection.id == collection_id).execute()
    ctx.record("deposit.returned", {"returned_at": _iso(now), "items": returned})
    return [DepositLine.get_by_id(line.id) for line in lines]


def _iso(value: dt.datetime) -> str:
    return value.replace(microsecond=0).isoformat() + "Z"


# -- queries for screens and printouts ----------------------------------------------------------


@dataclass(frozen=True)
class CollectionSummary:
    id: str
    location_code: str
    location_name: str
    location_kind: str
    sent_at: dt.datetime
    sent_by: str
    note: str
    total: int
    still_out: int
    closed_at: dt.datetime | None


def list_collections(*, open_only: bool = False, limit: int = 200) -> list[CollectionSummary]:
    query = DepositCollection.select(DepositCollection, Location).join(Location).order_by(DepositCollection.sent_at.desc())
    if open_only:
        query = query.where(DepositCollection.closed_at.is_null())
    collections = list(query.limit(limit))
    counts: dict[str, tuple[int, int]] = {}
    if collections:
        rows = (
            DepositLine.select(
                DepositLine.collection,
                fn.COUNT(DepositLine.id).alias("total"),
                fn.SUM(DepositLine.returned_at.is_null()).alias("out"),
            )
            .where(DepositLine.collection.in_([c.id for c in collections]))
            .group_by(DepositLine.collection)
            .tuples()
        )
        counts = {cid: (total, out or 0) for cid, total, out in rows}
    return [
        CollectionSummary(
            id=c.id,
            location_code=c.location.code,
            location_name=c.location.name,
            location_kind=c.location.kind,
            sent_at=c.sent_at,
            sent_by=c.sent_by,
            note=c.note,
            total=counts.get(c.id, (0, 0))[0],
            still_out=counts.get(c.id, (0, 0))[1],
            closed_at=c.closed_at,
        )
        for c in collections
    ]


@dataclass(frozen=True)
class DepositedItem:
    barcode: str
    title: str
    call_number: str
    place_code: str
    place_name: str
    sent_at: dt.datetime
    status: str  # the item's circulation status (on_loan when a reader has it out)


def items_out(location_code: str | None = None) -> list[DepositedItem]:
    """What is where: every item out with a collection (at one place, or everywhere)."""
    query = (
        DepositLine.select(DepositLine, DepositCollection, Location, Item, Bib)
        .join(DepositCollection)
        .join(Location)
        .switch(DepositLine)
        .join(Item)
        .join(Bib)
        .where(DepositLine.returned_at.is_null())
        .order_by(Location.code, Bib.call_number, DepositLine.barcode)
    )
    if location_code:
        query = query.where(Location.code == location_code.strip().upper())
    return [
        DepositedItem(
            barcode=line.barcode,
            title=line.item.bib.title,
            call_number=line.item.call_number or line.item.bib.call_number,
            place_code=line.collection.location.code,
            place_name=line.collection.location.name,
            sent_at=line.collection.sent_at,
            status=line.item.status,
        )
        for line in query
    ]


def counts_by_place() -> list[tuple[str, str, int]]:
    """(place code, place name, items out there) for every place that has any."""
    rows = (
        DepositLine.select(Location.code, Location.name, fn.COUNT(DepositLine.id))
        .join(DepositCollection)
        .join(Location)
        .where(DepositLine.returned_at.is_null())
        .group_by(Location.code, Location.name)
        .order_by(Location.code)
        .tuples()
    )
    return list(rows)


def transfer_list(ctx: ServiceContext, collection_id: str) -> TransferList:
    """The transfer list (调拨清单) of one collection, ready to print."""
    collection = DepositCollection.select(DepositCollection, Location).join(Location).where(DepositCollection.id == collection_id).first()
    if collection is None:
        raise NotFound("There is no such deposit collection.")
    lines = (
        DepositLine.select(DepositLine, Item, Bib)
        .join(Item)
        .join(Bib)
        .where(DepositLine.collection == collection)
        .order_by(Bib.call_number, DepositLine.barcode)
    )
    place = collection.location
    return TransferList(
        library=ctx.branch.library_name,
        branch=ctx.branch.name,
        destination=place.name,
        destination_kind=kind_name(place.kind),
        host_organisation=place.host_organisation,
        contact=place.contact,
        sent_on=format_date(ctx.clock.to_local(collection.sent_at).date()),
        sent_by=collection.sent_by,
        reference=collection.id[-8:].upper(),
        note=collection.note,
        lines=[
            TransferLine(barcode=line.barcode, title=line.item.bib.title, call_number=line.item.call_number or line.item.bib.call_number)
            for line in lines
        ],
    )
