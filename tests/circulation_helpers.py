"""Small makers of readers, titles and copies for the circulation tests (plain peewee rows:
registration and cataloguing are other areas' work)."""

from __future__ import annotations

import datetime as dt
import itertools

from models import Bib, Item, Location, Outbox, Patron

_serial = itertools.count(1)


def make_patron(ctx, card: str | None = None, *, name: str = "张三", category: str = "adult", status: str = "active",
                expiry: dt.date | None = dt.date(2028, 1, 1), phone: str = "13800000000") -> Patron:
    return Patron.create(
        card_number=card or f"HX01P{next(_serial):05d}",
        name=name,
        category=category,
        status=status,
        expiry_date=expiry,
        phone=phone,
        home_branch=ctx.branch,
        id_number_masked="3301**********123X",
    )


def make_bib(title: str = "红楼梦", **extra) -> Bib:
    return Bib.create(title=title, author=extra.pop("author", "曹雪芹"), call_number=extra.pop("call_number", "I242.4/1"), **extra)


def home(ctx) -> Location:
    return Location.get(Location.code == ctx.branch.code)


def make_item(ctx, barcode: str | None = None, *, bib: Bib | None = None, title: str = "红楼梦",
              item_type: str = "book", status: str = "available", location: Location | None = None) -> Item:
    bib = bib or make_bib(title)
    where = location or home(ctx)
    return Item.create(
        barcode=barcode or f"HX01B{next(_serial):06d}",
        bib=bib,
        home_location=where,
        current_location=where,
        status=status,
        item_type=item_type,
    )


def make_location(ctx, code: str, kind: str = "reading_point", name: str = "") -> Location:
    return Location.create(branch=ctx.branch, code=code, name=name or code, kind=kind)


def events(kind_prefix: str = "") -> list[Outbox]:
    return [e for e in Outbox.select().order_by(Outbox.seq) if e.type.startswith(kind_prefix)]


def event_types() -> list[str]:
    return [e.type for e in Outbox.select().order_by(Outbox.seq) if e.type != "branch.initialized"]


def lend_renew_and_undo(ctx):
    """HX01B1 lent to HX01P1, renewed ten days on, and the renewal undone at the desk."""
    from countylib.circulation import Transaction, check_out, renew, undo

    make_patron(ctx, "HX01P1")
    make_item(ctx, "HX01B1")
    lent = check_out(ctx, "HX01P1", "HX01B1")
    ctx.clock.advance(days=10)
    renewal = renew(ctx, "HX01B1")
    undo(ctx, Transaction("renew", "HX01B1", "红楼梦", "HX01P1", loan_id=lent.loan.id,
                          previous_due_date=renewal.previous_due_date, previous_renewals=0))
    return lent


def lend_return_and_undo(ctx):
    """HX01B1 lent to HX01P1, returned five minutes on, and the return undone at the desk."""
    from countylib.circulation import Transaction, check_in, check_out, undo

    make_patron(ctx, "HX01P1")
    make_item(ctx, "HX01B1")
    lent = check_out(ctx, "HX01P1", "HX01B1")
    ctx.clock.advance(minutes=5)
    check_in(ctx, "HX01B1")
    undo(ctx, Transaction("check_in", "HX01B1", "红楼梦", "HX01P1", loan_id=lent.loan.id))
    return lent
