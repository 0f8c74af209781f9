"""Shared makers for the patron tests: valid ID numbers and forms, an open loan."""

from __future__ import annotations

import datetime as dt

from stdnum.cn import ric

from countylib.patrons import PatronForm, register_patron
from models import Bib, Item, Loan, Location, Patron


def resident_id(birth: str = "19900307", seq: str = "123", region: str = "320311") -> str:
    body = region + birth + seq
    return body + ric.calc_check_digit(body + "0")


def adult_form(**changes) -> PatronForm:
    values = dict(
        name="张三丰",
        id_number=resident_id(),
        phone="13812345678",
        address="城关镇解放路1号",
        consent=True,
    )
    values.update(changes)
    return PatronForm(**values)


def child_form(**changes) -> PatronForm:
    values = dict(
        name="李小明",
        id_number=resident_id("20180601", "456"),
        consent=True,
        guardian_name="李大明",
        guardian_phone="13900001111",
    )
    values.update(changes)
    return PatronForm(**values)


def register(ctx, **changes) -> Patron:
    return register_patron(ctx, adult_form(**changes), accept_possible_duplicates=True)


def open_loan(ctx, patron: Patron, *, barcode: str = "T0001", due: dt.date = dt.date(2026, 12, 1)) -> Loan:
    """An open loan written straight to the table (circulation is another module's work)."""
    location = Location.get(Location.code == ctx.branch.code)
    bib = Bib.create(title="红楼梦", author="曹雪芹")
    item = Item.create(barcode=barcode, bib=bib, home_location=location, current_location=location, status="on_loan")
    return Loan.create(item=item, patron=patron, location=location, due_date=due)
