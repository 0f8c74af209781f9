"""What was done after a backup, once that backup is restored.

The restore (countylib.backup) keeps every event the replaced file holds and the backup
lacks, so the hub still receives each of them, once, by its event id. Their effect on this
database is another matter: the restored tables are the backup's, so a copy lent after the
backup would look available at the desk and could be lent a second time.

Loans, returns, renewals, loan corrections and new readers are therefore put back from
their events, through the same upserts by id that apply the hub's rows (replication), and
with the events' own ids: when the hub later sends those rows, they land on the same ones.
Nothing new is recorded, so nothing reaches the hub twice. The other kinds are only named
for staff: their services do more than their payload says (holds to fill, hours to count),
and the hub sends back the rows it keeps (readers, copies, holds) at the next sync.

Runs inside the restore's transaction, on the restored file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from countylib.clock import Clock
from countylib.i18n import N_, _, join_list, ngettext
from countylib.replication import Applied, Places, apply_loans, apply_patrons
from models import Bib, Item, Loan, Outbox, Patron

Line = tuple[str, dict[str, str]]  # a msgid and its values: shown in the language of the moment

# Where a returned copy goes, by the outcome its check-in recorded.
STATUS_AFTER_RETURN = {"hold_shelf": "on_hold_shelf", "in_transit": "in_transit"}

KIND_NAMES = {
    "loan.checked_out": N_("loans"),
    "loan.checked_in": N_("returns"),
    "loan.renewed": N_("renewals"),
    "loan.corrected": N_("undone desk transactions"),
    "patron.registered": N_("new readers"),
    "patron.updated": N_("reader changes"),
    "patron.card_replaced": N_("replaced cards"),
    "hold.placed": N_("holds placed"),
    "hold.cancelled": N_("holds cancelled"),
    "hold.ready": N_("holds set aside"),
    "hold.filled": N_("holds filled"),
    "hold.expired": N_("holds expired"),
    "item.accessioned": N_("new copies"),
    "item.status_changed": N_("copy status changes"),
    "bib.upserted": N_("catalogue records"),
    "donation.line_decided": N_("donation decisions"),
    "visit.counted": N_("visitor counts"),
    "visit.cleared": N_("visitor counts cleared"),
    "shift.signed_in": N_("volunteer sign-ins"),
}


@dataclass
class AfterBackup:
    """The replaced file's events that the backup lacks, and what became of them here."""

    read: bool = False  # the replaced file's outbox was read (else its note says why not)
    total: int = 0
    waiting: int = 0  # of them, not yet received by the central library
    put_back: list[Line] = field(default_factory=list)  # one per change put back here
    not_shown: dict[str, int] = field(default_factory=dict)  # by event type

    def line(self) -> str:
        if not self.read:
            return ""
        if not self.total:
            return _("Nothing was done in the database that was in use after this backup was taken.")
        return ngettext(
            "{n} change was made in the database that was in use after this backup was taken. Put back in "
            "this one (loans, returns, renewals, new readers): {back}; still to be sent to the central library, "
            "none of them twice: {waiting}.",
            "{n} changes were made in the database that was in use after this backup was taken. Put back in "
            "this one (loans, returns, renewals, new readers): {back}; still to be sent to the central library, "
            "none of them twice: {waiting}.",
            self.total,
        ).format(n=self.total, back=len(self.put_back), waiting=self.waiting)

    def details(self) -> list[str]:
        lines = [_(msgid).format(**values) for msgid, values in self.put_back]
        if self.not_shown:
            kinds = join_list(
                f"{_(KIND_NAMES[kind]) if kind in KIND_NAMES else kind} × {n}" for kind, n in self.not_shown.items()
            )
            lines.append(
                _(
                    "These reach the central library, but show in this database only once the next sync brings "
                    "them back: {kinds}."
                ).format(kinds=kinds)
            )
        return lines


def put_back(events: list[dict[str, Any]], clock: Clock) -> AfterBackup:
    """Replay ``events`` (outbox rows of the replaced file, in HLC order) onto the restored tables."""
    result = AfterBackup(read=True, total=len(events), waiting=sum(1 for e in events if e["acked_at"] is None))
    places = Places()
    for event in events:
        payload = event["payload"]
        payload = Outbox.payload.python_value(payload) if isinstance(payload, str) else payload
        replay = REPLAY.get(event["type"])
        line = replay(payload or {}, event["branch"], places, clock) if replay else None
        if line is None:
            result.not_shown[event["type"]] = result.not_shown.get(event["type"], 0) + 1
        else:
            result.put_back.append(line)
    return result


def _utc(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    value = dt.datetime.fromisoformat(text)
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def _when(text: str | None, clock: Clock) -> str:
    value = _utc(text)
    return clock.to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _title(item: Item) -> str:
    return Bib.select(Bib.title).where(Bib.id == item.bib_id).scalar() or ""


def _item(payload: dict[str, Any]) -> Item | None:
    if payload.get("item_id"):
        return Item.get_or_none(Item.id == payload["item_id"])
    return Item.get_or_none(Item.barcode == payload["barcode"]) if payload.get("barcode") else None


def _reader(patron_id: str | None, card: str | None) -> str:
    patron = Patron.get_or_none(Patron.id == patron_id) if patron_id else None
    return patron.name if patron else card or "?"


def _set_item(item: Item, status: str, location: str | None, at: dt.datetime | None) -> None:
    fields: dict[str, Any] = {"status": status, "updated_at": at or item.updated_at}
    if location:
        fields["current_location"] = location
    Item.update(fields).where(Item.id == item.id).execute()


def _checked_out(p: dict[str, Any], branch: str, places: Places, clock: Clock) -> Line | None:
    item = _item(p)
    if item is None or not p.get("loan_id") or not p.get("checked_out_at"):
        return None
    # A reader whose registration is not here either: the loan still holds the copy, and
    # the hub's row names the reader once the registration has arrived there.
    patron_id = p.get("patron_id") if Patron.select().where(Patron.id == p.get("patron_id")).exists() else None
    category = Patron.select(Patron.category).where(Patron.id == patron_id).scalar() if patron_id else ""
    loan = {
        "item_id": item.id,
        "patron_id": patron_id,
        "location": p.get("location"),
        "branch": branch,
        "checked_out_at": p["checked_out_at"],
        "due_date": p.get("due_date"),
        "renewals": 0,
        "checked_in_at": None,
        "patron_category": category or "",
    }
    apply_loans([{"kind": "loan", "id": p["loan_id"], "seq": 0, "data": loan}], places, Applied())
    _set_item(item, "on_loan", places.location(p.get("location"), branch), _utc(p["checked_out_at"]))
    return N_("Lent {barcode} “{title}” to {name}, {time}"), {
        "barcode": item.barcode,
        "title": _title(item),
        "name": _reader(patron_id, p.get("card_number")),
        "time": _when(p["checked_out_at"], clock),
    }


def _checked_in(p: dict[str, Any], branch: str, places: Places, clock: Clock) -> Line | None:
    item = _item(p)
    at = _utc(p.get("checked_in_at"))
    if item is None or at is None:
        return None
    here = places.location(p.get("location"), branch)
    loan = Loan.get_or_none(Loan.id == p["loan_id"]) if p.get("loan_id") else None
    loan = loan or Loan.get_or_none(Loan.item == item.id, Loan.checked_in_at.is_null())
    if loan is not None and loan.checked_in_at is None:
        Loan.update(checked_in_at=at, checkin_location=here).where(Loan.id == loan.id).execute()
    status = STATUS_AFTER_RETURN.get(p.get("outcome") or "")
    if status is None and item.status == "on_loan":
        status = "available"
    _set_item(item, status or item.status, here, at)
    return N_("Returned {barcode} “{title}”, {time}"), {
        "barcode": item.barcode,
        "title": _title(item),
        "time": _when(p.get("checked_in_at"), clock),
    }


def _renewed(p: dict[str, Any], branch: str, places: Places, clock: Clock) -> Line | None:
    loan = Loan.get_or_none(Loan.id == p.get("loan_id")) if p.get("loan_id") else None
    if loan is None or not p.get("due_date"):
        return None
    Loan.update(due_date=dt.date.fromisoformat(p["due_date"]), renewals=int(p.get("renewals") or 0)).where(
        Loan.id == loan.id
    ).execute()
    item = Item.get_by_id(loan.item_id)
    return N_("Renewed {barcode} “{title}” for {name} until {date}"), {
        "barcode": item.barcode,
        "title": _title(item),
        "name": _reader(loan.patron_id, p.get("card_number")),
        "date": p["due_date"],
    }


def _corrected(p: dict[str, Any], branch: str, places: Places, clock: Clock) -> Line | None:
    loan = Loan.get_or_none(Loan.id == p.get("loan_id")) if p.get("loan_id") else None
    if loan is None:
        return None
    item = Item.get_by_id(loan.item_id)
    if p.get("undid") == "check_in" and p.get("open") and loan.checked_in_at is not None:
        Loan.update(checked_in_at=None, checkin_location=None).where(Loan.id == loan.id).execute()
        _set_item(item, "on_loan", None, _utc(p.get("corrected_at")))
    if p.get("due_date"):
        Loan.update(due_date=dt.date.fromisoformat(p["due_date"]), renewals=int(p.get("renewals") or 0)).where(
            Loan.id == loan.id
        ).execute()
    return N_("Undid a desk transaction on {barcode} “{title}”, {time}"), {
        "barcode": item.barcode,
        "title": _title(item),
        "time": _when(p.get("corrected_at"), clock),
    }


def _registered(p: dict[str, Any], branch: str, places: Places, clock: Clock) -> Line | None:
    reader = p.get("patron")
    if not isinstance(reader, dict) or not reader.get("id") or not reader.get("card_number"):
        return None
    apply_patrons([{"kind": "patron", "id": reader["id"], "seq": 0, "data": reader}], places, Applied())
    return N_("New reader {card} {name}, {time}"), {
        "card": reader["card_number"],
        "name": reader.get("name") or "",
        "time": _when(reader.get("registered_at"), clock),
    }


REPLAY: dict[str, Callable[[dict[str, Any], str, Places, Clock], Line | None]] = {
    "patron.registered": _registered,
    "loan.checked_out": _checked_out,
    "loan.checked_in": _checked_in,
    "loan.renewed": _renewed,
    "loan.corrected": _corrected,
}
