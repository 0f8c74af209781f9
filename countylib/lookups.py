"""Finding what was scanned: a reader by card, a copy by barcode, the desk's service point."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import peewee as pw

from countylib.context import ServiceContext
from countylib.desk_sql import ITEM_BY_BARCODE, PATRON_BY_CARD, PATRON_BY_ID, fetch_one
from countylib.errors import DatabaseError, NotFound, RuleViolation
from countylib.i18n import N_, format_date
from countylib.isbn import normalize as normalize_isbn
from countylib.roles import LIBRARIAN
from countylib.scanning import looks_like_isbn
from countylib.settings import SettingSpec, get_setting, register_settings
from models import Bib, CardEvent, Item, Location, Patron

register_settings(
    SettingSpec(
        "desk_location",
        "",
        N_("Service point this computer lends from: a reading point or van stop code (blank: the branch)"),
        LIBRARIAN,
    ),
)


def refuse_replaced_card(card_number: str) -> None:
    """A card reported lost and replaced stays refused for good, and says so."""
    replaced = (
        CardEvent.select(CardEvent, Patron)
        .join(Patron)
        .where(CardEvent.old_card_number == card_number, CardEvent.kind == "replaced")
        .order_by(CardEvent.at.desc())
        .first()
    )
    if replaced is not None:
        raise RuleViolation(
            "Card {card} was replaced on {date} (reported lost); only the new card can be used.",
            card=card_number,
            date=format_date(replaced.at.date()),
        )


def find_patron(card_number: str) -> Patron:
    """The reader with this card; a replaced (lost) card is refused by name, not as unknown."""
    patron = fetch_one(Patron, PATRON_BY_CARD, (card_number,))
    if patron is not None:
        return patron
    refuse_replaced_card(card_number)
    raise NotFound(
        "No reader has card {card} here. If they registered at another branch that has not synced yet, "
        "register them in Patrons (F3) or ask them to come back after the next sync.",
        card=card_number,
    )


def refresh_patron(patron_id: str) -> Patron | None:
    """The open reader as stored now, so a change since the card was scanned shows. The desk
    re-reads after every scan, hence its plain SQL rather than ``patrons.get_patron``."""
    return fetch_one(Patron, PATRON_BY_ID, (patron_id,))


def find_item(barcode: str) -> Item:
    item = fetch_one(Item, ITEM_BY_BARCODE, (barcode,))
    if item is None:
        raise NotFound("No item has barcode {barcode} in this catalogue.", barcode=barcode)
    return item


def location_by_code(code: str) -> Location:
    location = Location.get_or_none(Location.code == code)
    if location is None:
        raise NotFound("There is no service point {code}.", code=code)
    return location


def desk_location(ctx: ServiceContext) -> Location:
    """Where this computer lends: the setting (van laptop, reading point), else the branch building."""
    code = get_setting("desk_location")
    if code:
        location = Location.get_or_none(Location.code == code, Location.active == True)  # noqa: E712
        if location is not None:
            return location
    location = Location.get_or_none(Location.code == ctx.branch.code)
    if location is None:
        location = Location.select().where(Location.branch == ctx.branch).order_by(Location.code).first()
    if location is None:
        raise NotFound("This branch has no service point; add one in Settings.")
    return location


@dataclass(frozen=True)
class Scanned:
    """What a scanned code turned out to be."""

    kind: str  # patron | item | isbn | unknown
    code: str
    patron: Patron | None = None
    item: Item | None = None


def identify(code: str) -> Scanned:
    """A card opens a reader, a barcode is a copy; a replaced card is refused here and now."""
    try:
        patron = fetch_one(Patron, PATRON_BY_CARD, (code,))
        if patron is not None:
            return Scanned("patron", code, patron=patron)
        item = fetch_one(Item, ITEM_BY_BARCODE, (code,))
        if item is not None:
            return Scanned("item", code, item=item)
        refuse_replaced_card(code)
    except (pw.OperationalError, sqlite3.OperationalError) as exc:
        # Reads happen outside a service call, so say it in the same plain words here.
        raise DatabaseError(
            "The database is busy (a backup or another window may be using it). Nothing was saved; try again in a moment."
        ) from exc
    return Scanned("isbn" if looks_like_isbn(code) else "unknown", code)


def find_title(code: str) -> Bib:
    """The title behind a copy's barcode or an ISBN (to place a hold on it)."""
    item = Item.get_or_none(Item.barcode == code)
    if item is not None:
        return Bib.get_by_id(item.bib_id)
    # Stored as compact ISBN-13: a hyphenated or ISBN-10 code is the same book.
    bib = Bib.select().where(Bib.isbn == (normalize_isbn(code) or code)).order_by(Bib.created_at).first()
    if bib is None:
        raise NotFound("No copy or ISBN {code} in this catalogue.", code=code)
    return bib
