"""A branch's desk work for sync tests: rows written and events recorded per docs/events.md.

The circulation, patron and catalogue services have rules of their own (limits, blocks,
forms); these helpers record exactly the facts a test needs, in one transaction each, the
way a service does (row change + outbox event together).
"""

from __future__ import annotations

import datetime as dt

from countylib.context import ServiceContext
from models import Bib, Hold, Item, Loan, Location, Patron
from sync.codec import iso_utc


def _here(ctx: ServiceContext) -> Location:
    return Location.get(Location.code == ctx.branch.code)


def add_bib(ctx: ServiceContext, title: str, author: str = "") -> Bib:
    with ctx.db.atomic("IMMEDIATE"):
        bib = Bib.create(title=title, author=author)
        ctx.record("bib.upserted", {"bib": {"id": bib.id, "control_number": "", "title": title, "author": author,
                                            "publisher": "", "year": "", "isbn": "", "clc_class": "",
                                            "call_number": "", "price_cents": 0}})
    return bib


def add_item(ctx: ServiceContext, bib: Bib, barcode: str) -> Item:
    with ctx.db.atomic("IMMEDIATE"):
        here = _here(ctx)
        item = Item.create(barcode=barcode, bib=bib, home_location=here, current_location=here)
        ctx.record("item.accessioned", {"item": {"id": item.id, "barcode": barcode, "bib_id": bib.id,
                                                 "home_location": here.code, "current_location": here.code,
                                                 "status": "available", "item_type": "book", "call_number": "",
                                                 "price_cents": 0, "source": "purchase"}})
    return item


def add_patron(ctx: ServiceContext, card: str, name: str, *, id_hash: str = "") -> Patron:
    with ctx.db.atomic("IMMEDIATE"):
        now = ctx.clock.utcnow()
        patron = Patron.create(card_number=card, name=name, home_branch=ctx.branch, id_number_hash=id_hash,
                               registered_at=now, expiry_date=(now + dt.timedelta(days=365)).date())
        ctx.record("patron.registered", {"patron": {
            "id": patron.id, "card_number": card, "name": name, "gender": "", "id_type": "resident_id",
            "id_number_hash": id_hash, "id_number_masked": "", "birth_date": None, "phone": "", "category": "adult",
            "home_branch": ctx.branch.code, "status": "active", "expiry_date": patron.expiry_date.isoformat(),
            "registered_at": iso_utc(now), "guardian_id": None}})
    return patron


def check_out(ctx: ServiceContext, card: str, barcode: str, days: int = 30) -> Loan:
    with ctx.db.atomic("IMMEDIATE"):
        now = ctx.clock.utcnow()
        patron = Patron.get(Patron.card_number == card)
        item = Item.get(Item.barcode == barcode)
        here = _here(ctx)
        for old in Loan.select().where((Loan.item == item) & Loan.checked_in_at.is_null()):
            old.checked_in_at = now
            old.save()
        due = ctx.clock.today() + dt.timedelta(days=days)
        loan = Loan.create(item=item, patron=patron, location=here, checked_out_at=now, due_date=due)
        Item.update(status="on_loan", current_location=here).where(Item.id == item.id).execute()
        ctx.record("loan.checked_out", {
            "loan_id": loan.id, "item_id": item.id, "barcode": barcode, "patron_id": patron.id, "card_number": card,
            "location": here.code, "checked_out_at": iso_utc(now), "due_date": due.isoformat(),
            "override_reason": None})
    return loan


def check_in(ctx: ServiceContext, barcode: str) -> Loan | None:
    with ctx.db.atomic("IMMEDIATE"):
        now = ctx.clock.utcnow()
        here = _here(ctx)
        item = Item.get_or_none(Item.barcode == barcode)
        loan = None
        if item is not None:
            loan = Loan.get_or_none((Loan.item == item) & Loan.checked_in_at.is_null())
            if loan is not None:
                loan.checked_in_at = now
                loan.checkin_location = here
                loan.save()
            home = item.home_location.branch_id == ctx.branch.id
            Item.update(status="available" if home else "in_transit", current_location=here).where(
                Item.id == item.id).execute()
        ctx.record("loan.checked_in", {
            "loan_id": loan.id if loan else None, "item_id": item.id if item else None, "barcode": barcode,
            "location": here.code, "checked_in_at": iso_utc(now),
            "outcome": "unknown_item" if item is None else "shelved"})
    return loan


def place_hold(ctx: ServiceContext, card: str, bib: Bib) -> Hold:
    with ctx.db.atomic("IMMEDIATE"):
        patron = Patron.get(Patron.card_number == card)
        here = _here(ctx)
        hold = Hold.create(patron=patron, bib=bib, pickup_location=here, placed_at=ctx.clock.utcnow())
        ctx.record("hold.placed", {"hold_id": hold.id, "bib_id": bib.id, "patron_id": patron.id,
                                   "card_number": card, "pickup_location": here.code})
    return hold


def capture_hold(ctx: ServiceContext, hold_id: str, barcode: str) -> None:
    with ctx.db.atomic("IMMEDIATE"):
        item = Item.get(Item.barcode == barcode)
        Hold.update(status="ready", item=item, ready_at=ctx.clock.utcnow()).where(Hold.id == hold_id).execute()
        Item.update(status="on_hold_shelf").where(Item.id == item.id).execute()
        ctx.record("hold.ready", {"hold_id": hold_id, "item_id": item.id, "barcode": barcode})
