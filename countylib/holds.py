"""Holds (reservations): a reader asks for a title; the next copy returned is set aside.

A hold waits on a title (bib), not a copy. When a copy is checked in, the hold to serve is
picked: first the oldest waiting hold to be collected here, then the oldest anywhere. Here,
the copy goes on the hold shelf (the hold is "ready" until its last pickup day); for
another place, the desk is told where to send it, and the capture happens when it is
checked in there. Nothing is trapped in transit, so a hold cancelled on the way simply
lets the copy go home.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from countylib.audit import record_audit
from countylib.calendar import next_open_day
from countylib.context import ServiceContext, service
from countylib.errors import NotFound, RuleViolation
from countylib.i18n import N_
from countylib.lookups import find_patron
from countylib.roles import VOLUNTEER
from countylib.desk_sql import OPEN_HOLDS_OF_BIB, PATRON_HOLDS, fetch_all, rows, save_item_place, settings_values
from countylib.rules import card_blocks, find_rule, rule_branch_id
from countylib.scanning import check_code
from countylib.settings import SettingSpec, register_settings
from models import Bib, Hold, Item, Loan, Location, Patron

register_settings(
    SettingSpec("hold_shelf_days", 7, N_("Days a reserved item waits on the hold shelf")),
)

OPEN_STATUSES = ("waiting", "ready")


@service(VOLUNTEER)
def place_hold(
    ctx: ServiceContext, card_number: str, bib_id: str, pickup: Location, *, desk: Location | None = None
) -> Hold:
    """Reserve a title for a reader, to be collected at ``pickup``."""
    patron = find_patron(check_code(card_number))
    bib = Bib.get_or_none(Bib.id == bib_id) if bib_id.isascii() else None
    if bib is None:
        raise NotFound("There is no such title in the catalogue.")
    blocks = card_blocks(patron, ctx.clock.today())
    if blocks:
        raise RuleViolation(blocks[0].msgid, **blocks[0].params)
    if not Item.select().where(Item.bib == bib, Item.status.not_in(("lost", "withdrawn"))).exists():
        raise RuleViolation("{title} has no copy that could be lent; a hold would never be filled.", title=bib.title)
    if Hold.select().where(Hold.patron == patron, Hold.bib == bib, Hold.status.in_(OPEN_STATUSES)).exists():
        raise RuleViolation("{name} already has a hold on {title}.", name=patron.name, title=bib.title)
    on_loan_to_them = (
        Loan.select()
        .join(Item)
        .where(Loan.patron == patron, Loan.checked_in_at.is_null(), Item.bib == bib)
        .exists()
    )
    if on_loan_to_them:
        raise RuleViolation("{name} already has {title} on loan.", name=patron.name, title=bib.title)
    first_copy = Item.select().where(Item.bib == bib).order_by(Item.barcode).first()
    setting = settings_values("circulation_rule_branch")["circulation_rule_branch"]
    rule = find_rule(rule_branch_id(setting, desk or pickup, patron, first_copy), patron.category, first_copy.item_type)
    if not rule.loanable:
        raise RuleViolation("{title} is not for loan; it can be read in the library.", title=bib.title)
    held = Hold.select().where(Hold.patron == patron, Hold.status.in_(OPEN_STATUSES)).count()
    if held >= rule.holds_allowed:
        raise RuleViolation("{name} already has {n} hold(s), the most allowed.", name=patron.name, n=held)
    hold = Hold.create(patron=patron, bib=bib, pickup_location=pickup, status="waiting", placed_at=ctx.clock.utcnow())
    ctx.record(
        "hold.placed",
        {
            "hold_id": hold.id,
            "bib_id": bib.id,
            "patron_id": patron.id,
            "card_number": patron.card_number,
            "pickup_location": pickup.code,
        },
    )
    return hold


def release_copy(ctx: ServiceContext, item_id: str | None, pickup_location_id: str) -> Routing | None:
    """A ready hold ended without its copy being lent: the copy goes to the next hold or back."""
    if item_id is None:
        return None
    item = Item.get_by_id(item_id)
    if item.status != "on_hold_shelf":
        return None
    here = Location.get_by_id(pickup_location_id)
    routing = route_returned_item(ctx, item, here, ctx.clock.utcnow())
    if routing.outcome == "hold_shelf":
        record_routing(ctx, item, routing)
    else:
        ctx.record(
            "item.status_changed",
            {
                "item_id": item.id,
                "barcode": item.barcode,
                "status": item.status,
                "previous_status": "on_hold_shelf",
                "reason": "hold_ended",
                "location": here.code,
            },
        )
    return routing


@service(VOLUNTEER)
def cancel_hold(ctx: ServiceContext, hold_id: str, reason: str = "patron_request") -> Hold:
    """Cancel a hold; a copy waiting on the shelf for it is passed on or put back."""
    hold = Hold.get_or_none(Hold.id == hold_id)
    if hold is None:
        raise NotFound("There is no such hold.")
    if hold.status not in OPEN_STATUSES:
        raise RuleViolation("This hold is already {status}.", status=hold.status)
    was_ready = hold.status == "ready"
    hold.status = "cancelled"
    hold.closed_at = ctx.clock.utcnow()
    hold.save()
    record_audit(ctx, "hold.cancelled", "hold", hold.id, reason=reason)
    ctx.record("hold.cancelled", {"hold_id": hold.id, "reason": reason})
    if was_ready:
        release_copy(ctx, hold.item_id, hold.pickup_location_id)
    return hold


@dataclass
class Routing:
    """Where a copy goes after it comes back: the shelf, the hold shelf, or elsewhere."""

    outcome: str  # shelved | in_transit | hold_shelf
    hold: Hold | None = None  # the hold it was set aside for (hold_shelf), or is sent for (in_transit)
    destination: Location | None = None


def open_holds(bib_id: str) -> list[Hold]:
    """Waiting and ready holds on a title, oldest first."""
    return fetch_all(Hold, OPEN_HOLDS_OF_BIB, (bib_id,))


def next_hold_for(item: Item, here: Location) -> Hold | None:
    """The hold this copy should serve: oldest to be collected here first, then oldest anywhere."""
    waiting = [h for h in open_holds(item.bib_id) if h.status == "waiting"]
    for hold in waiting:
        if hold.pickup_location_id == here.id:
            return hold
    return waiting[0] if waiting else None


def route_returned_item(ctx: ServiceContext, item: Item, here: Location, now: dt.datetime, *, holds: bool = True) -> Routing:
    """Decide and apply where a copy in our hands goes next (inside the caller's transaction).

    The caller records the events: its own first (the return), then ``record_routing``.
    """
    settings = settings_values("floating_collection", "hold_shelf_days")
    hold = next_hold_for(item, here) if holds else None
    item.current_location = here
    item.updated_at = now
    if hold is not None and hold.pickup_location_id == here.id:
        shelf_days = int(settings["hold_shelf_days"])
        hold.status = "ready"
        hold.item = item
        hold.ready_at = now
        hold.expires_on = next_open_day(here.branch_id, ctx.clock.today() + dt.timedelta(days=shelf_days))
        hold.save()
        item.status = "on_hold_shelf"
        save_item_place(item)
        return Routing("hold_shelf", hold, here)
    if hold is not None:
        item.status = "in_transit"
        save_item_place(item)
        return Routing("in_transit", hold, Location.get_by_id(hold.pickup_location_id))
    if item.home_location_id != here.id and not settings["floating_collection"]:
        item.status = "in_transit"
        save_item_place(item)
        return Routing("in_transit", None, Location.get_by_id(item.home_location_id))
    item.status = "available"
    save_item_place(item)
    return Routing("shelved")


def record_routing(ctx: ServiceContext, item: Item, routing: Routing) -> None:
    """The event of a copy set aside (after the event of the return that freed it)."""
    if routing.outcome == "hold_shelf" and routing.hold is not None:
        ctx.record("hold.ready", {"hold_id": routing.hold.id, "item_id": item.id, "barcode": item.barcode})


def fill_hold(ctx: ServiceContext, patron: Patron, item: Item, loan: Loan, now: dt.datetime) -> Hold | None:
    """A reader borrows a title they were waiting for: their hold is done."""
    hold = next((h for h in open_holds(item.bib_id) if h.patron_id == patron.id), None)
    if hold is None:
        return None
    shelf_copy = hold.item_id if hold.status == "ready" and hold.item_id != item.id else None
    hold.status = "filled"
    hold.item = item
    hold.closed_at = now
    hold.save()
    ctx.record("hold.filled", {"hold_id": hold.id, "item_id": item.id, "barcode": item.barcode, "loan_id": loan.id})
    if shelf_copy is not None:
        # They took another copy: the one set aside for them is free for the next reader.
        release_copy(ctx, shelf_copy, hold.pickup_location_id)
    return hold


def ready_hold_on(item: Item) -> Hold | None:
    return Hold.get_or_none(Hold.item == item, Hold.status == "ready")


@service(VOLUNTEER)
def expire_holds(ctx: ServiceContext, location: Location | None = None) -> list[Hold]:
    """Ready holds past their last pickup day end; their copies go on to the next reader."""
    today = ctx.clock.today()
    query = Hold.select().where(Hold.status == "ready", Hold.expires_on < today)
    if location is not None:
        query = query.where(Hold.pickup_location == location)
    expired = list(query)
    for hold in expired:
        hold.status = "expired"
        hold.closed_at = ctx.clock.utcnow()
        hold.save()
        ctx.record("hold.expired", {"hold_id": hold.id, "item_id": hold.item_id})
        release_copy(ctx, hold.item_id, hold.pickup_location_id)
    return expired


@dataclass(frozen=True)
class ShelfRow:
    hold_id: str
    patron_name: str
    card_number: str
    phone: str
    title: str
    barcode: str
    call_number: str
    ready_on: dt.datetime | None
    expires_on: dt.date | None


def hold_shelf(location: Location) -> list[ShelfRow]:
    """The hold shelf of a service point, last pickup day first."""
    rows = (
        Hold.select(Hold, Patron, Bib, Item)
        .join(Patron, on=Hold.patron == Patron.id)
        .switch(Hold)
        .join(Bib, on=Hold.bib == Bib.id)
        .switch(Hold)
        .join(Item, on=Hold.item == Item.id)
        .where(Hold.status == "ready", Hold.pickup_location == location)
        .order_by(Hold.expires_on, Patron.name)
    )
    return [
        ShelfRow(
            h.id, h.patron.name, h.patron.card_number, h.patron.phone, h.bib.title, h.item.barcode,
            h.item.call_number or h.bib.call_number, h.ready_at, h.expires_on,
        )
        for h in rows
    ]


@dataclass(frozen=True)
class HoldLine:
    hold_id: str
    title: str
    status: str  # ready | waiting
    expires_on: dt.date | None


def patron_holds(patron: Patron) -> list[HoldLine]:
    """A reader's open holds, ready ones first."""
    return [
        HoldLine(hold_id, title, status, dt.date.fromisoformat(expires) if expires else None)
        for hold_id, title, status, expires in rows(PATRON_HOLDS, (patron.id,))
    ]
