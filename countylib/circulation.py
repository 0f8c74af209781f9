"""The circulation desk's work: lend, take back, renew, and the things that go wrong.

Every function here that changes something is one service call: the rules are checked
first, then the rows and their events are written in one transaction, so a refusal leaves
no loan and no event behind. A volunteer may lend and take back; overriding a block needs
a librarian and a reason, and is audited.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from countylib.audit import record_audit
from countylib.context import ServiceContext, service
from countylib.errors import CountyLibError, RuleViolation, ValidationError
from countylib.desk_sql import (
    BIB_TITLE,
    CURRENT_LOANS,
    OPEN_LOAN_OF_ITEM,
    PATRON_BY_ID,
    close_loan,
    fetch_one,
    insert_loan,
    rows,
    save_item_place,
    save_loan_due,
    scalar,
    settings_values,
)
from countylib.holds import (
    HoldLine,
    Routing,
    cancel_hold,
    fill_hold,
    open_holds,
    patron_holds,
    ready_hold_on,
    record_routing,
    route_returned_item,
)
from countylib.i18n import N_, _, format_date
from countylib.lookups import desk_location, find_item, find_patron
from countylib.roles import LIBRARIAN, VOLUNTEER
from countylib.rules import (
    Block,
    Blocked,
    PatronStanding,
    card_blocks,
    due_date,
    patron_blocks,
    patron_standing,
    rule_for,
)
from countylib.scanning import check_code, looks_like_scan
from countylib.settings import SettingSpec, register_settings
from models import Bib, Hold, InHouseUse, Item, Loan, Location, Outbox, Patron
from printing.slips import HoldSlip, NoticeBatch, NoticeItem, OverdueNotice, Receipt, ReceiptLine

register_settings(
    SettingSpec(
        "receipt_paper", "80mm", N_("Receipt paper: 80 mm or 58 mm roll, or A4"), choices=("80mm", "58mm", "a4"),
        labels={"80mm": N_("80 mm roll"), "58mm": N_("58 mm roll"), "a4": N_("A4 sheet")},
    ),
    SettingSpec("auto_print_receipt", False, N_("Print a receipt when a reader is done at the desk"), choices=(False, True)),
)

ITEM_STATUS_NAMES = {
    "available": N_("on the shelf"),
    "on_loan": N_("on loan"),
    "in_transit": N_("in transit"),
    "on_hold_shelf": N_("on the hold shelf"),
    "lost": N_("lost"),
    "damaged": N_("damaged"),
    "withdrawn": N_("withdrawn"),
}

# Two characters already make a reason in Chinese (破损, 遗失); one is a slip of the key.
MIN_REASON_LENGTH = 2

LENDING_SETTINGS = ("circulation_rule_branch", "overdue_items_block", "fines_enabled", "fine_block_cents")


def iso_utc(value: dt.datetime) -> str:
    """A stored (naive UTC) time as the events write it: ISO 8601 ending in Z."""
    return value.isoformat(timespec="milliseconds") + "Z"


@dataclass
class CheckOut:
    loan: Loan
    item: Item
    patron: Patron
    title: str
    due_date: dt.date
    overridden: tuple[Block, ...] = ()
    hold: Hold | None = None  # the reader's own hold this loan fills


@dataclass
class CheckIn:
    barcode: str
    outcome: str  # shelved | in_transit | hold_shelf | unknown_item
    item: Item | None = None
    loan: Loan | None = None
    patron: Patron | None = None  # who had it
    title: str = ""
    hold: Hold | None = None  # set aside for (hold_shelf) or sent for (in_transit)
    hold_for: str = ""  # the name of the reader the hold is for
    destination: Location | None = None  # where to send it when in transit
    previous_status: str | None = None
    days_overdue: int = 0


@dataclass
class Renewal:
    loan: Loan
    item: Item
    patron: Patron
    title: str
    due_date: dt.date
    previous_due_date: dt.date
    renewals: int
    overridden: tuple[Block, ...] = ()


@dataclass
class RenewAttempt:
    barcode: str
    title: str
    renewal: Renewal | None = None
    refusal: CountyLibError | None = None


def _open_loan(item: Item) -> Loan | None:
    return fetch_one(Loan, OPEN_LOAN_OF_ITEM, (item.id,))


def _title(item: Item) -> str:
    return scalar(BIB_TITLE, (item.bib_id,)) or item.barcode


def check_reason(reason: str) -> str:
    """A reason for the audit log, as a person wrote it: not a scan that landed in the box."""
    reason = reason.strip()
    if looks_like_scan(reason):
        raise ValidationError("A scanned code cannot be the reason: write the reason in words.")
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError("Please write a reason of at least {n} characters.", n=MIN_REASON_LENGTH)
    return reason


def _override(ctx: ServiceContext, blocks: list[Block], reason: str | None, action: str, item: Item, patron: Patron) -> tuple[Block, ...]:
    """Refuse with every block, or let a librarian through with a reason (audited)."""
    if not blocks:
        return ()
    reason = (reason or "").strip()
    fixed = [b for b in blocks if not b.overridable]
    if fixed:
        raise Blocked(fixed)
    if not reason:
        raise Blocked(blocks)
    ctx.require(LIBRARIAN)
    reason = check_reason(reason)
    record_audit(
        ctx,
        f"{action}.override",
        "item",
        item.id,
        barcode=item.barcode,
        card_number=patron.card_number,
        blocks=[b.code for b in blocks],
        reason=reason,
    )
    return tuple(blocks)


# -- lending ------------------------------------------------------------------------------


def lending_blocks(patron: Patron, item: Item, title: str, rule, standing: PatronStanding, current: Loan | None, today: dt.date, settings: dict) -> list[Block]:
    """Everything that stops this reader borrowing this copy now."""
    blocks = patron_blocks(patron, today, standing, settings)
    if current is not None and current.patron_id == patron.id:
        blocks.append(
            Block(
                "already_theirs",
                N_("{title} is already on loan to {name}, due {date}. Use Renew to extend it."),
                {"title": title, "name": patron.name, "date": format_date(current.due_date)},
                overridable=False,
            )
        )
    elif current is not None:
        blocks.append(
            Block(
                "on_loan",
                N_("{title} is still on loan to another reader (due {date}). An override checks it in first."),
                {"title": title, "date": format_date(current.due_date)},
            )
        )
    if not rule.loanable:
        blocks.append(
            Block("not_for_loan", N_("{title} is not for loan; it can be read in the library."), {"title": title})
        )
    if item.status == "withdrawn":
        blocks.append(
            Block("withdrawn", N_("{title} has been withdrawn from the collection."), {"title": title}, overridable=False)
        )
    elif item.status == "lost":
        blocks.append(Block("item_lost", N_("{title} is recorded as lost."), {"title": title}))
    elif item.status == "damaged":
        blocks.append(Block("item_damaged", N_("{title} is marked damaged."), {"title": title}))
    holds = open_holds(item.bib_id)
    if holds:
        blocks.extend(_hold_blocks(patron, item, title, holds))
    if standing.open_loans >= rule.max_items:
        blocks.append(
            Block(
                "loan_limit",
                N_("{name} already has {n} item(s) on loan, the most allowed."),
                {"name": patron.name, "n": standing.open_loans},
            )
        )
    return blocks


def _hold_blocks(patron: Patron, item: Item, title: str, holds: list[Hold]) -> list[Block]:
    for hold in holds:
        if hold.status == "ready" and hold.item_id == item.id and hold.patron_id != patron.id:
            return [
                Block(
                    "on_hold_shelf",
                    N_("{title} is waiting on the hold shelf for another reader; cancel that hold first if it should go to this reader."),
                    {"title": title},
                    overridable=False,
                )
            ]
    own = [h for h in holds if h.patron_id == patron.id]
    if own and own[0].status == "ready" and own[0].item_id == item.id:
        return []
    own_since = min((h.placed_at for h in own), default=None)
    ahead = [
        h for h in holds
        if h.status == "waiting" and h.patron_id != patron.id and (own_since is None or h.placed_at < own_since)
    ]
    if not ahead:
        return []
    free_copies = 1 + (
        Item.select().where(Item.bib == item.bib_id, Item.status == "available", Item.id != item.id).count()
    )
    if len(ahead) < free_copies:
        return []
    return [
        Block("reserved", N_("{title} is reserved by {n} other reader(s) waiting before this one."), {"title": title, "n": len(ahead)})
    ]


@service(VOLUNTEER)
def check_out(
    ctx: ServiceContext,
    card_number: str,
    barcode: str,
    *,
    override_reason: str | None = None,
    location: Location | None = None,
) -> CheckOut:
    """Lend a copy to a reader: rules first, then the loan, its event, and their hold if any."""
    patron = find_patron(check_code(card_number))
    item = find_item(check_code(barcode))
    here = location or desk_location(ctx)
    today, now = ctx.clock.today(), ctx.clock.utcnow()
    settings = settings_values(*LENDING_SETTINGS)
    rule = rule_for(here, patron, item, settings["circulation_rule_branch"])
    standing = patron_standing(patron, today, settings["fines_enabled"])
    current = _open_loan(item)
    title = _title(item)
    blocks = lending_blocks(patron, item, title, rule, standing, current, today, settings)
    overridden = _override(ctx, blocks, override_reason, "loan", item, patron)
    if current is not None:
        # The copy is in our hands, so the earlier loan is over: close it before lending again.
        _check_in_item(ctx, item, here, now, loan=current, holds=False)
    due = due_date(here.branch_id, today, rule.loan_days)
    loan = Loan(
        item=item.id,
        patron=patron.id,
        location=here.id,
        checked_out_at=now,
        due_date=due,
        renewals=0,
        staff=ctx.actor.staff_id,
        patron_category=patron.category,
    )
    insert_loan(loan)
    item.status = "on_loan"
    item.current_location = here
    item.updated_at = now
    save_item_place(item)
    ctx.record(
        "loan.checked_out",
        {
            "loan_id": loan.id,
            "item_id": item.id,
            "barcode": item.barcode,
            "patron_id": patron.id,
            "card_number": patron.card_number,
            "location": here.code,
            "checked_out_at": iso_utc(now),
            "due_date": due.isoformat(),
            "override_reason": override_reason.strip() if overridden else None,
        },
    )
    hold = fill_hold(ctx, patron, item, loan, now)
    return CheckOut(loan, item, patron, title, due, overridden, hold)


# -- taking back --------------------------------------------------------------------------


def _check_in_item(
    ctx: ServiceContext, item: Item, here: Location, now: dt.datetime, *, loan: Loan | None = None, holds: bool = True
) -> CheckIn:
    loan = loan or _open_loan(item)
    previous = item.status
    patron = None
    days_overdue = 0
    if loan is not None:
        loan.checked_in_at = now
        loan.checkin_location = here
        close_loan(loan)
        patron = fetch_one(Patron, PATRON_BY_ID, (loan.patron_id,)) if loan.patron_id else None
        days_overdue = max(0, (ctx.clock.today() - loan.due_date).days)
    set_aside = ready_hold_on(item) if previous in ("on_hold_shelf", "in_transit") else None
    if set_aside is not None:
        # Already set aside for a reader (scanned again, or brought back to its pickup place).
        pickup = Location.get_by_id(set_aside.pickup_location_id)
        item.status = "on_hold_shelf" if pickup.id == here.id else "in_transit"
        item.current_location = here
        item.updated_at = now
        save_item_place(item)
        routing = Routing("hold_shelf" if pickup.id == here.id else "in_transit", set_aside, pickup)
    elif previous in ("damaged", "withdrawn"):
        # Out of circulation: it stays so wherever it is; staff decide what happens to it.
        item.current_location = here
        item.updated_at = now
        save_item_place(item)
        routing = Routing("shelved")
    else:
        routing = route_returned_item(ctx, item, here, now, holds=holds)
    ctx.record(
        "loan.checked_in",
        {
            "loan_id": loan.id if loan else None,
            "item_id": item.id,
            "barcode": item.barcode,
            "location": here.code,
            "checked_in_at": iso_utc(now),
            "outcome": routing.outcome,
            # No loan here and the copy not on loan as far as this database knows (on the shelf,
            # in transit, set aside): no return for the hub to wait for. "on_loan" without a loan
            # here is a loan made at another branch (通借通还): that return the hub must match.
            "not_on_loan": loan is None and previous != "on_loan",
        },
    )
    if set_aside is None:
        record_routing(ctx, item, routing)
    return CheckIn(
        barcode=item.barcode,
        outcome=routing.outcome,
        item=item,
        loan=loan,
        patron=patron,
        title=_title(item),
        hold=routing.hold,
        hold_for=fetch_one(Patron, PATRON_BY_ID, (routing.hold.patron_id,)).name if routing.hold else "",
        destination=routing.destination,
        previous_status=previous,
        days_overdue=days_overdue,
    )


@service(VOLUNTEER)
def check_in(ctx: ServiceContext, barcode: str, *, location: Location | None = None) -> CheckIn:
    """Take a copy back. Always accepted: even a barcode this database never saw is recorded,
    so sync can match it with the loan made elsewhere."""
    code = check_code(barcode)
    here = location or desk_location(ctx)
    now = ctx.clock.utcnow()
    item = Item.get_or_none(Item.barcode == code)
    if item is None:
        ctx.record(
            "loan.checked_in",
            {
                "loan_id": None,
                "item_id": None,
                "barcode": code,
                "location": here.code,
                "checked_in_at": iso_utc(now),
                "outcome": "unknown_item",
            },
        )
        return CheckIn(code, "unknown_item")
    return _check_in_item(ctx, item, here, now)


# -- renewing -----------------------------------------------------------------------------


@service(VOLUNTEER)
def renew(
    ctx: ServiceContext, barcode: str, *, override_reason: str | None = None, location: Location | None = None
) -> Renewal:
    """A new due date for a loan, unless the limit is reached or someone else waits for the title."""
    item = find_item(check_code(barcode))
    loan = _open_loan(item)
    title = _title(item)
    if loan is None:
        raise RuleViolation("{title} is not on loan, so it cannot be renewed.", title=title)
    patron = fetch_one(Patron, PATRON_BY_ID, (loan.patron_id,))
    here = location or desk_location(ctx)
    today = ctx.clock.today()
    setting = settings_values("circulation_rule_branch")["circulation_rule_branch"]
    rule = rule_for(here, patron, item, setting)
    blocks = card_blocks(patron, today)
    if item.status == "lost":
        blocks.append(Block("item_lost", N_("{title} is recorded as lost."), {"title": title}, overridable=False))
    if loan.renewals >= rule.renewals:
        blocks.append(
            Block(
                "renewal_limit",
                N_("{title} has been renewed {n} time(s), the most allowed."),
                {"title": title, "n": loan.renewals},
            )
        )
    waiting = sum(1 for h in open_holds(item.bib_id) if h.status == "waiting" and h.patron_id != patron.id)
    if waiting:
        blocks.append(
            Block("reserved", N_("{title} is reserved by {n} other reader(s), so it cannot be renewed."), {"title": title, "n": waiting})
        )
    new_due = due_date(here.branch_id, today, rule.renewal_days)
    if new_due <= loan.due_date:
        blocks.append(
            Block(
                "too_early",
                N_("Renewing {title} today would not move its due date ({date})."),
                {"title": title, "date": format_date(loan.due_date)},
                overridable=False,
            )
        )
    overridden = _override(ctx, blocks, override_reason, "renewal", item, patron)
    previous_due = loan.due_date
    loan.due_date = new_due
    loan.renewals += 1
    save_loan_due(loan)
    ctx.record(
        "loan.renewed",
        {
            "loan_id": loan.id,
            "barcode": item.barcode,
            "card_number": patron.card_number,
            "due_date": new_due.isoformat(),
            "renewals": loan.renewals,
            "renewed_at": iso_utc(ctx.clock.utcnow()),
            # The hub counts renewals from every desk against the limit this desk applied.
            "max_renewals": rule.renewals,
            "limit_overridden": any(b.code == "renewal_limit" for b in overridden),
        },
    )
    return Renewal(loan, item, patron, title, new_due, previous_due, loan.renewals, overridden)


@service(VOLUNTEER)
def renew_all(ctx: ServiceContext, card_number: str, *, location: Location | None = None) -> list[RenewAttempt]:
    """Renew every loan of a reader that may be renewed; each refusal is reported, not fatal."""
    patron = find_patron(check_code(card_number))
    here = location or desk_location(ctx)
    attempts = []
    for line in current_loans(patron, ctx.clock.today()):
        barcode, title = line.barcode, line.title
        try:
            attempts.append(RenewAttempt(barcode, title, renewal=renew(ctx, barcode, location=here)))
        except RuleViolation as exc:  # the savepoint of that one renewal is rolled back
            attempts.append(RenewAttempt(barcode, title, refusal=exc))
    return attempts


# -- undo (corrections, never deletions) ---------------------------------------------------


@dataclass(frozen=True)
class Transaction:
    """One line of the desk's session list: enough to undo it."""

    kind: str  # check_out | check_in | renew | hold | in_house
    barcode: str
    title: str = ""
    card_number: str = ""
    loan_id: str | None = None
    hold_id: str | None = None
    previous_due_date: dt.date | None = None
    previous_renewals: int = 0


def _correction(ctx: ServiceContext, loan: Loan, barcode: str, undid: str) -> None:
    card = Patron.select(Patron.card_number).where(Patron.id == loan.patron_id).scalar() if loan.patron_id else None
    record_audit(ctx, "loan.corrected", "loan", loan.id, barcode=barcode, undid=undid)
    ctx.record(
        "loan.corrected",
        {
            "loan_id": loan.id,
            "barcode": barcode,
            "card_number": card,
            "undid": undid,
            "due_date": loan.due_date.isoformat(),
            "renewals": loan.renewals,
            "open": loan.checked_in_at is None,
            "corrected_at": iso_utc(ctx.clock.utcnow()),
        },
    )


NOT_UNDOABLE = N_("Only a loan, a return, a renewal or a hold made at this desk can be undone here.")


@service(VOLUNTEER)
def undo(ctx: ServiceContext, tx: Transaction, *, location: Location | None = None) -> str:
    """Undo the desk's last transaction by recording its correction; returns what was done."""
    here = location or desk_location(ctx)
    now = ctx.clock.utcnow()
    if tx.kind == "hold" and tx.hold_id:
        cancel_hold(ctx, tx.hold_id, "undo")
        return _("Hold cancelled: {title}").format(title=tx.title)
    loan = Loan.get_or_none(Loan.id == tx.loan_id) if tx.loan_id else None
    if loan is None and tx.kind == "check_in":
        # A copy that was on the shelf (or unknown here) was scanned back: no loan was closed.
        raise RuleViolation(
            "{title} was not on loan when it was checked in, so there is no loan to put back. "
            "If a reader should have it, lend it to them.",
            title=tx.title or tx.barcode,
        )
    if loan is None:
        raise RuleViolation(NOT_UNDOABLE)
    item = Item.get_by_id(loan.item_id)
    if tx.kind == "check_out":
        if loan.checked_in_at is not None or loan.renewals:
            raise RuleViolation("{title} has been returned or renewed since; there is nothing to undo.", title=tx.title)
        _reopen_filled_hold(loan, item)
        _check_in_item(ctx, item, here, now, loan=loan)
        _correction(ctx, loan, item.barcode, "check_out")
        return _("Loan undone: {title} taken back.").format(title=tx.title)
    if tx.kind == "check_in":
        later = Loan.select().where(Loan.item == item, Loan.checked_out_at > loan.checked_out_at).exists()
        if loan.checked_in_at is None or later or item.status in ("on_loan", "on_hold_shelf"):
            raise RuleViolation(
                "{title} has moved on since it was checked in (lent again or set aside for a hold); undo it there.",
                title=tx.title,
            )
        loan.checked_in_at = None
        loan.checkin_location = None
        loan.save()
        item.status = "on_loan"
        item.updated_at = now
        item.save()
        _correction(ctx, loan, item.barcode, "check_in")
        return _("Return undone: {title} is on loan again.").format(title=tx.title)
    if tx.kind == "renew":
        if loan.checked_in_at is not None or loan.renewals != tx.previous_renewals + 1 or tx.previous_due_date is None:
            raise RuleViolation("{title} has changed since the renewal; there is nothing to undo.", title=tx.title)
        loan.due_date = tx.previous_due_date
        loan.renewals = tx.previous_renewals
        loan.save()
        # The correction alone states the due date and renewals put back: a loan.renewed here
        # would be counted as one more renewal by whoever counts them (the hub, the reports).
        _correction(ctx, loan, item.barcode, "renew")
        return _("Renewal undone: {title} is due {date} again.").format(title=tx.title, date=format_date(loan.due_date))
    raise RuleViolation(NOT_UNDOABLE)


# Loans whose check-out was undone: lent by mistake, never lent after all, so no figure counts
# them (nor the return the undo wrote). Each undo has its audit entry, found by the index on the
# action whatever its age; loan events carry no index to find them by.
UNDONE_CHECK_OUTS = (
    "SELECT a.target_id FROM audit_log a WHERE a.action = 'loan.corrected' "
    "AND json_extract(a.details, '$.undid') = 'check_out'"
)


def undone_renewals(since_hlc: int) -> list[str]:
    """Outbox ids of the loan.renewed events from ``since_hlc`` on that renewed nothing in the
    end: each renewal an undo took back, and, in databases from before the undo recorded its
    loan.corrected alone, the undo's own loan.renewed putting the due date back (it comes just
    before the undo's loan.corrected and states the same renewals)."""
    query = (
        Outbox.select(Outbox.id, Outbox.type, Outbox.payload)
        .where((Outbox.hlc >= since_hlc) & Outbox.type.in_(("loan.renewed", "loan.corrected")))
        .order_by(Outbox.hlc)
    )
    renewed: dict[str, list[tuple[str, int]]] = defaultdict(list)  # loan → (event, renewals after it)
    undone = []
    for event_id, kind, payload in query.tuples():
        if kind == "loan.renewed":
            renewed[payload.get("loan_id")].append((event_id, payload.get("renewals")))
        elif payload.get("undid") == "renew":
            stack = renewed[payload.get("loan_id")]
            if stack and stack[-1][1] == payload.get("renewals"):
                undone.append(stack.pop()[0])  # the undo putting the due date back
            if stack:
                undone.append(stack.pop()[0])  # the renewal it took back, unless made before since_hlc
    return undone


def _reopen_filled_hold(loan: Loan, item: Item) -> None:
    """A lending that filled the reader's hold is undone: the hold waits again."""
    hold = Hold.get_or_none(
        Hold.patron == loan.patron_id, Hold.item == item, Hold.status == "filled", Hold.closed_at == loan.checked_out_at
    )
    if hold is not None:
        hold.status = "waiting"
        hold.item = None
        hold.closed_at = None
        hold.save()


# -- lost, damaged, read in the building ---------------------------------------------------


def _status_change(ctx: ServiceContext, item: Item, status: str, reason: str, here: Location) -> None:
    previous = item.status
    item.status = status
    item.updated_at = ctx.clock.utcnow()
    item.save()
    ctx.record(
        "item.status_changed",
        {
            "item_id": item.id,
            "barcode": item.barcode,
            "status": status,
            "previous_status": previous,
            "reason": reason,
            "location": here.code,
        },
    )


def _refuse_if_set_aside(item: Item, title: str) -> None:
    hold = Hold.get_or_none(Hold.item == item, Hold.status == "ready")
    if hold is not None:
        raise RuleViolation(
            "{title} is waiting on the hold shelf for a reader; cancel that hold first.", title=title
        )


@service(LIBRARIAN)
def declare_lost(ctx: ServiceContext, barcode: str, reason: str = "", *, location: Location | None = None) -> Item:
    """The copy is gone. A loan stays open (the reader still owes it) but no longer counts as overdue."""
    item = find_item(check_code(barcode))
    title = _title(item)
    if item.status in ("lost", "withdrawn"):
        raise RuleViolation("{title} is already recorded as {status}.", title=title, status=_(ITEM_STATUS_NAMES[item.status]))
    _refuse_if_set_aside(item, title)
    here = location or desk_location(ctx)
    reason = check_reason(reason) if reason.strip() else "declared_lost"
    record_audit(ctx, "item.declared_lost", "item", item.id, barcode=item.barcode, reason=reason)
    _status_change(ctx, item, "lost", reason, here)
    return item


@service(VOLUNTEER)
def declare_damaged(ctx: ServiceContext, barcode: str, reason: str = "", *, location: Location | None = None) -> Item:
    """The copy came back (or was found) damaged: it is taken back if on loan and put aside."""
    item = find_item(check_code(barcode))
    title = _title(item)
    if item.status in ("damaged", "withdrawn"):
        raise RuleViolation("{title} is already recorded as {status}.", title=title, status=_(ITEM_STATUS_NAMES[item.status]))
    _refuse_if_set_aside(item, title)
    here = location or desk_location(ctx)
    if _open_loan(item) is not None:
        _check_in_item(ctx, item, here, ctx.clock.utcnow(), holds=False)
    reason = check_reason(reason) if reason.strip() else "declared_damaged"
    record_audit(ctx, "item.declared_damaged", "item", item.id, barcode=item.barcode, reason=reason)
    _status_change(ctx, item, "damaged", reason, here)
    return item


@service(VOLUNTEER)
def record_in_house_use(ctx: ServiceContext, barcode: str, *, location: Location | None = None) -> InHouseUse:
    """A copy read in the building (left on a table): counted for the statistics."""
    item = find_item(check_code(barcode))
    if _open_loan(item) is not None:
        raise RuleViolation("{title} is on loan; check it in first.", title=_title(item))
    here = location or desk_location(ctx)
    now = ctx.clock.utcnow()
    use = InHouseUse.create(item=item, location=here, used_at=now, staff=ctx.actor.staff_id)
    ctx.record(
        "item.used_in_house",
        {"use_id": use.id, "item_id": item.id, "barcode": item.barcode, "location": here.code, "used_at": iso_utc(now)},
    )
    return use


# -- what the desk shows ------------------------------------------------------------------


@dataclass(frozen=True)
class LoanLine:
    loan_id: str
    barcode: str
    title: str
    due_date: dt.date
    days_overdue: int
    renewals: int
    item_status: str


@dataclass
class PatronSummary:
    patron: Patron
    loans: list[LoanLine]
    holds: list[HoldLine]  # ready first, then waiting
    blocks: list[Block]
    standing: PatronStanding
    fines_enabled: bool = False


def current_loans(patron: Patron, today: dt.date) -> list[LoanLine]:
    lines = []
    for loan_id, barcode, title, stored_due, renewals, status in rows(CURRENT_LOANS, (patron.id,)):
        due = dt.date.fromisoformat(stored_due)
        lines.append(LoanLine(loan_id, barcode, title, due, max(0, (today - due).days), renewals, status))
    return lines


def patron_summary(patron: Patron, today: dt.date) -> PatronSummary:
    settings = settings_values(*LENDING_SETTINGS)
    standing = patron_standing(patron, today, settings["fines_enabled"])
    return PatronSummary(
        patron=patron,
        loans=current_loans(patron, today),
        holds=patron_holds(patron),
        blocks=patron_blocks(patron, today, standing, settings),
        standing=standing,
        fines_enabled=bool(settings["fines_enabled"]),
    )


# -- overdue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueItem:
    loan_id: str
    barcode: str
    title: str
    call_number: str
    due_date: dt.date
    days_overdue: int


@dataclass
class OverdueReader:
    patron_id: str
    name: str
    card_number: str
    phone: str
    address: str
    guardian_phone: str
    items: list[OverdueItem] = field(default_factory=list)

    @property
    def most_days(self) -> int:
        return max(i.days_overdue for i in self.items)


def overdue_readers(today: dt.date, *, min_days: int = 1, location: Location | None = None) -> list[OverdueReader]:
    """The call list: readers with items at least ``min_days`` overdue, longest overdue first."""
    cutoff = today - dt.timedelta(days=max(1, min_days))
    query = (
        Loan.select(
            Loan.id, Loan.due_date, Item.barcode, Item.call_number, Bib.title, Bib.call_number,
            Patron.id, Patron.name, Patron.card_number, Patron.phone, Patron.address, Patron.guardian_phone,
        )
        .join(Item)
        .join(Bib)
        .switch(Loan)
        .join(Patron)
        .where(Loan.checked_in_at.is_null(), Loan.due_date <= cutoff, Item.status != "lost")
        .order_by(Patron.name, Patron.card_number, Loan.due_date)
    )
    if location is not None:
        query = query.where(Loan.location == location)
    readers: dict[str, OverdueReader] = {}
    for loan_id, due, barcode, item_call, title, bib_call, pid, name, card, phone, address, gphone in query.tuples():
        reader = readers.get(pid)
        if reader is None:
            reader = readers[pid] = OverdueReader(pid, name, card, phone, address, gphone)
        reader.items.append(OverdueItem(loan_id, barcode, title, item_call or bib_call, due, (today - due).days))
    return sorted(readers.values(), key=lambda r: (-r.most_days, r.name))


def write_overdue_csv(readers: Iterable[OverdueReader], out: IO[str]) -> int:
    """One row per overdue item (spreadsheets sort and filter rows); returns the rows written."""
    writer = csv.writer(out)
    writer.writerow(
        [_("Name"), _("Card"), _("Phone"), _("Guardian phone"), _("Barcode"), _("Title"), _("Due"), _("Days overdue")]
    )
    count = 0
    for reader in readers:
        for item in reader.items:
            writer.writerow(
                [reader.name, reader.card_number, reader.phone, reader.guardian_phone, item.barcode, item.title,
                 item.due_date.isoformat(), item.days_overdue]
            )
            count += 1
    return count


@service(LIBRARIAN)
def mark_long_overdue_lost(ctx: ServiceContext, *, location: Location | None = None) -> int:
    """Items overdue longer than the "lost after" setting are recorded as lost."""
    days = int(settings_values("lost_after_days")["lost_after_days"])
    if days <= 0:
        return 0
    here = location or desk_location(ctx)
    cutoff = ctx.clock.today() - dt.timedelta(days=days)
    items = list(
        Item.select()
        .join(Loan)
        .where(Loan.checked_in_at.is_null(), Loan.due_date < cutoff, Item.status == "on_loan")
    )
    for item in items:
        _status_change(ctx, item, "lost", "long_overdue", here)
    return len(items)


# -- printouts (plain data for printing/) ------------------------------------------------


def library_name(ctx: ServiceContext) -> str:
    return settings_values("library_name")["library_name"] or ctx.branch.library_name


def receipt_for(ctx: ServiceContext, patron: Patron, lines: list[ReceiptLine], location: Location) -> Receipt:
    on_loan = Loan.select().where(Loan.patron == patron, Loan.checked_in_at.is_null()).count()
    return Receipt(
        library_name=library_name(ctx),
        location_name=location.name,
        patron_name=patron.name,
        card_number=patron.card_number,
        printed_at=ctx.clock.local_now().replace(tzinfo=None),
        lines=lines,
        loans_total=on_loan,
    )


def hold_slip_for(ctx: ServiceContext, hold: Hold) -> HoldSlip:
    item = Item.get_by_id(hold.item_id)
    bib = Bib.get_by_id(hold.bib_id)
    patron = Patron.get_by_id(hold.patron_id)
    return HoldSlip(
        library_name=library_name(ctx),
        location_name=Location.get_by_id(hold.pickup_location_id).name,
        patron_name=patron.name,
        card_number=patron.card_number,
        title=bib.title,
        barcode=item.barcode,
        call_number=item.call_number or bib.call_number,
        expires_on=hold.expires_on,
        printed_at=ctx.clock.local_now().replace(tzinfo=None),
    )


def notice_batch(ctx: ServiceContext, readers: list[OverdueReader], location: Location) -> NoticeBatch:
    return NoticeBatch(
        library_name=library_name(ctx),
        location_name=location.name,
        printed_on=ctx.clock.today(),
        notices=[
            OverdueNotice(
                r.name, r.card_number, r.address, r.phone or r.guardian_phone,
                [NoticeItem(i.title, i.barcode, i.call_number, i.due_date, i.days_overdue) for i in r.items],
            )
            for r in readers
        ],
    )
