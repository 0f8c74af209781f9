"""Applying the county's state, pulled from the hub, to this branch's tables.

The hub sends rows, not events: each change is a whole row's current state (an item, a
loan, a reader ...) with its ``server_seq``. Applying one is an upsert by its id, so
applying the same page twice changes nothing (idempotent), and the caller moves its cursor
in the same transaction.

Rules that keep a branch consistent while it applies:
- Branches and locations are known by their code everywhere; every other row by its UUID.
- A natural key held here by *another* row (a card number or barcode the hub has since
  given to someone else) is moved aside to a temporary value, the same one the hub uses;
  that row's own new state comes in the same pull.
- A row whose references have not arrived yet (a loan before its reader) waits in
  ``PendingChange`` and is retried after every page.
- A row this desk changed since its last push (an event still waiting in the outbox) is left
  as it is: the hub will send it again once that event has been folded.

Everything here runs inside the caller's transaction and imports no UI.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import peewee as pw

from countylib.i18n import N_
from countylib.pinyin import pinyin_text
from countylib.settings import SettingSpec, get_setting, register_settings
from models import Bib, Branch, Conflict, Hold, Item, Loan, Location, Outbox, Patron, PendingChange
from models.ids import new_id

register_settings(
    SettingSpec("sync_interval_minutes", 5, N_("Minutes between automatic syncs with the central library")),
    SettingSpec("sync_ca_file", "", N_("CA certificate file for the central library (blank: the system's)")),
    SettingSpec("sync_keep_sent_days", 90, N_("Days to keep events the central library has received (for refilling it after a restore)")),
)


# Loan events stay whatever their age: this desk's reports count renewals from them and
# Koha exports read them; they name cards and barcodes, as the loan history itself does.
ALWAYS_KEPT_EVENTS = "loan.%"


def sent_events_kept_since(now: dt.datetime) -> dt.datetime:
    """Acknowledged events older than this may go (setting sync_keep_sent_days)."""
    return now - dt.timedelta(days=max(1, int(get_setting("sync_keep_sent_days"))))

KIND_ORDER = ("branch", "location", "bib", "patron", "item", "loan", "hold", "conflict")


class MissingReference(Exception):
    """A row names another that is not here yet."""


@dataclass
class Applied:
    rows: int = 0
    parked: int = 0
    skipped_local: int = 0
    conflicts: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, n: int = 1) -> None:
        self.rows += n
        self.by_kind[kind] = self.by_kind.get(kind, 0) + n


def _utc(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def temporary_key(value: str, row_id: str) -> str:
    """The stand-in a displaced card number or barcode gets (the hub uses the same)."""
    return f"{value}~{row_id[-6:]}"


# -- what the desk is still sending --------------------------------------------------------

ID_KEYS = ("loan_id", "item_id", "patron_id", "hold_id", "bib_id", "conflict_id")


def locally_pending_ids() -> set[str]:
    """Ids named by events not yet acknowledged: their rows here are newer than the hub's."""
    ids: set[str] = set()
    for (payload,) in Outbox.select(Outbox.payload).where(Outbox.acked_at.is_null()).tuples():
        payload = Outbox.payload.python_value(payload) if isinstance(payload, str) else payload
        for key in ID_KEYS:
            if payload.get(key):
                ids.add(payload[key])
        for nested in ("patron", "item", "bib"):
            inner = payload.get(nested)
            if isinstance(inner, dict) and inner.get("id"):
                ids.add(inner["id"])
    return ids


# -- lookups by code ------------------------------------------------------------------------


class Places:
    """Branch and location codes to local ids, creating what the hub knows and we do not."""

    def __init__(self) -> None:
        self.branches = {code: bid for code, bid in Branch.select(Branch.code, Branch.id).tuples()}
        self.locations = {code: lid for code, lid in Location.select(Location.code, Location.id).tuples()}

    def branch(self, code: str | None) -> str | None:
        if not code:
            return None
        if code not in self.branches:
            self.branches[code] = Branch.create(id=new_id(), code=code, name=code).id
        return self.branches[code]

    def location(self, code: str | None, branch_code: str | None) -> str | None:
        if not code:
            return None
        if code not in self.locations:
            branch_id = self.branch(branch_code or code)
            self.locations[code] = Location.create(id=new_id(), code=code, name=code, branch=branch_id,
                                                   kind="branch" if code == branch_code else "reading_point").id
        return self.locations[code]


# -- the entry point -------------------------------------------------------------------------


def apply_changes(changes: list[dict[str, Any]], *, protect: set[str] | None = None) -> Applied:
    """Apply one page of pulled rows (inside the caller's transaction), then retry waiting ones."""
    protect = locally_pending_ids() if protect is None else protect
    result = Applied()
    places = Places()
    by_kind: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KIND_ORDER}
    for change in changes:
        if change["kind"] in by_kind:
            by_kind[change["kind"]].append(change)
    for kind in KIND_ORDER:
        rows = by_kind[kind]
        if not rows:
            continue
        fresh = [c for c in rows if c["id"] not in protect]
        result.skipped_local += len(rows) - len(fresh)
        APPLY[kind](fresh, places, result)
    retry_pending(places, result, protect)
    result.parked = PendingChange.select().count()
    return result


def retry_pending(places: Places, result: Applied, protect: set[str]) -> None:
    """Rows that waited for a reference: try again now that a page has arrived."""
    waiting = list(PendingChange.select().order_by(PendingChange.server_seq))
    if not waiting:
        return
    PendingChange.delete().execute()
    by_kind: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KIND_ORDER}
    for row in waiting:
        by_kind[row.kind].append({"kind": row.kind, "id": row.entity_id, "seq": row.server_seq, "data": row.data})
    for kind in KIND_ORDER:
        if by_kind[kind]:
            APPLY[kind]([c for c in by_kind[kind] if c["id"] not in protect], places, Applied())


def _park(change: dict[str, Any], reason: str, result: Applied) -> None:
    PendingChange.insert(
        kind=change["kind"], entity_id=change["id"], server_seq=change["seq"], data=change["data"], reason=reason
    ).on_conflict_replace().execute()


def _in_chunks(model: type[pw.Model], column: str, values: list[str], what: str) -> list[tuple]:
    """``SELECT what FROM table WHERE column IN (...)`` in chunks, as plain SQL: building an IN
    list of thousands of values through the query builder costs more than running it."""
    found: list[tuple] = []
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        sql = f"SELECT {what} FROM {model._meta.table_name} WHERE {column} IN ({', '.join('?' * len(chunk))})"
        found += model._meta.database.execute_sql(sql, chunk).fetchall()
    return found


def _existing(model: type[pw.Model], ids: Iterable[str]) -> set[str]:
    return {row[0] for row in _in_chunks(model, "id", list({i for i in ids if i}), "id")}


def _make_room(model: type[pw.Model], key: pw.Field, rows: list[dict[str, Any]]) -> None:
    """Move a natural key aside where another local row holds a value an incoming row needs."""
    wanted = {r[key.name]: r["id"] for r in rows if r.get(key.name)}
    if not wanted:
        return
    for row_id, value in _in_chunks(model, key.column_name, list(wanted), f"id, {key.column_name}"):
        if wanted.get(value) != row_id:
            model.update({key: temporary_key(value, row_id)}).where(model.id == row_id).execute()


_UPSERT_SQL: dict[tuple, str] = {}


def _defaults(model: type[pw.Model]) -> dict[str, Any]:
    """What peewee would fill in for a new row (its defaults live in Python, not in the schema)."""
    return {
        name: (default() if callable(default) else default)
        for name, default in ((f.name, f.default) for f in model._meta.sorted_fields)
        if default is not None
    }


def _upsert_sql(model: type[pw.Model], names: tuple[str, ...], updated: tuple[str, ...]) -> str:
    key = (model, names, updated)
    if key not in _UPSERT_SQL:
        columns = [model._meta.fields[name].column_name for name in names]
        updates = ", ".join(
            f"{model._meta.fields[n].column_name} = excluded.{model._meta.fields[n].column_name}" for n in updated
        )
        _UPSERT_SQL[key] = (
            f"INSERT INTO {model._meta.table_name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT (id) DO UPDATE SET {updates}"
        )
    return _UPSERT_SQL[key]


def _upsert(model: type[pw.Model], rows: list[dict[str, Any]], keys: tuple[pw.Field, ...] = ()) -> None:
    """Insert or update rows by id, in one statement per page (SQL built once per shape).

    A new row gets the model's defaults for what the hub does not send; an existing row
    keeps its own values there (a MARC record, a local note)."""
    if not rows:
        return
    for key in keys:
        _make_room(model, key, rows)
    updated = tuple(name for name in rows[0] if name != "id")
    defaults = _defaults(model)
    names = tuple(dict.fromkeys([*defaults, *rows[0]]))
    fields = [model._meta.fields[name] for name in names]
    sql = _upsert_sql(model, names, updated)
    database = model._meta.database
    values = [[f.db_value(row[f.name] if f.name in row else defaults[f.name]) for f in fields] for row in rows]
    try:
        with database.atomic():
            database.cursor().executemany(sql, values)
    except (pw.IntegrityError, sqlite3.IntegrityError):
        # Two incoming rows disagree about a natural key (the hub flagged it): one at a time,
        # each later one moving the earlier aside.
        for row, row_values in zip(rows, values):
            for key in keys:
                _make_room(model, key, [row])
            database.execute_sql(sql, row_values)


# -- per kind -------------------------------------------------------------------------------


def apply_branches(changes: list[dict[str, Any]], places: Places, result: Applied) -> None:
    for change in changes:
        data = change["data"]
        code = data["code"]
        if code in places.branches:
            Branch.update(name=data.get("name") or code, library_name=data.get("library_name", "")).where(
                Branch.code == code
            ).execute()
        else:
            places.branches[code] = Branch.create(
                id=new_id(), code=code, name=data.get("name") or code, library_name=data.get("library_name", "")
            ).id
        result.count("branch")


LOCATION_COLUMNS = ("name", "kind", "host_organisation", "contact", "route", "weekday", "time_of_day", "active")


def apply_locations(changes: list[dict[str, Any]], places: Places, result: Applied) -> None:
    for change in changes:
        data = change["data"]
        fields = {name: data[name] for name in LOCATION_COLUMNS if data.get(name) is not None}
        fields["branch"] = places.branch(data.get("branch"))
        code = data["code"]
        if code in places.locations:
            Location.update(fields).where(Location.code == code).execute()
        else:
            fields.setdefault("name", code)
            places.locations[code] = Location.create(id=new_id(), code=code, **fields).id
        result.count("location")


def apply_bibs(changes: list[dict[str, Any]], places: Places, result: Applied) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = []
    for change in changes:
        d = change["data"]
        rows.append(
            {
                "id": change["id"],
                "control_number": d.get("control_number") or "",
                "title": d.get("title") or "",
                "author": d.get("author") or "",
                "publisher": d.get("publisher") or "",
                "year": str(d.get("year") or "")[:8],
                "isbn": d.get("isbn") or "",
                "clc_class": d.get("clc_class") or "",
                "call_number": d.get("call_number") or "",
                "price_cents": int(d.get("price_cents") or 0),
                "pinyin": pinyin_text(d.get("title") or "", d.get("author") or ""),
                "updated_at": now,
            }
        )
    _upsert(Bib, rows)
    result.count("bib", len(rows))


def apply_patrons(changes: list[dict[str, Any]], places: Places, result: Applied) -> None:
    from countylib.patrons import name_pinyin

    rows, later_guardians = [], []
    known = _existing(Patron, [c["data"].get("guardian_id") for c in changes])
    known |= {c["id"] for c in changes}
    for change in changes:
        d = change["data"]
        full, initials = name_pinyin(d.get("name") or "")
        guardian = d.get("guardian_id") or d.get("guardian")
        rows.append(
            {
                "id": change["id"],
                "card_number": d["card_number"],
                "name": d.get("name") or "",
                "name_pinyin": full,
                "name_initials": initials,
                "gender": (d.get("gender") or "")[:1],
                "id_type": d.get("id_type") or "resident_id",
                "id_number_hash": d.get("id_number_hash") or "",
                "id_number_masked": d.get("id_number_masked") or "",
                "birth_date": _date(d.get("birth_date")),
                "phone": d.get("phone") or "",
                "category": d.get("category") or "adult",
                "home_branch": places.branch(d.get("home_branch")),
                "status": d.get("status") or "active",
                "expiry_date": _date(d.get("expiry_date")),
                "registered_at": _utc(d.get("registered_at")) or dt.datetime(2000, 1, 1),
                "guardian": None,
            }
        )
        if guardian and guardian in known:
            later_guardians.append((change["id"], guardian))
    _upsert(Patron, rows, (Patron.card_number,))
    for patron_id, guardian in later_guardians:
        Patron.update(guardian=guardian).where(Patron.id == patron_id).execute()
    result.count("patron", len(rows))


def apply_items(changes: list[dict[str, Any]], places: Places, result: Applied) -> None:
    bibs = _existing(Bib, [c["data"].get("bib_id") for c in changes])
    rows = []
    for change in changes:
        d = change["data"]
        if d.get("bib_id") not in bibs:
            _park(change, "bib", result)
            continue
        rows.append(
            {
                "id": change["id"],
                "barcode": d["barcode"],
                "bib": d["bib_id"],
                "home_location": places.location(d.get("home_location"), d.get("home_branch")),
                "current_location": places.location(
                    d.get("current_location") or d.get("home_location"), d.get("current_branch") or d.get("home_branch")
                ),
                "status": d.get("status") or "available",
                "item_type": d.get("item_type") or "book",
                "call_number": d.get("call_number") or "",
                "price_cents": int(d.get("price_cents") or 0),
                "source": d.get("source") or "purchase",
                "updated_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
            }
        )
    _upsert(Item, rows, (Item.barcode,))
    result.count("item", len(rows))


def apply_loans(changes: list[dict[str, Any]], places: Places, result: Applied) -> None:
    items = _existing(Item, [c["data"].get("item_id") for c in changes])
    patrons = _existing(Patron, [c["data"].get("patron_id") for c in changes])
    rows = []
    for change in changes:
        d = change["data"]
        if d.get("item_id") not in items:
            _park(change, "item", result)
            continue
        if d.get("patron_id") and d["patron_id"] not in patrons:
            _park(change, "patron", result)
            continue
        branch = d.get("branch")
        rows.append(
            {
                "id": change["id"],
                "item": d["item_id"],
                "patron": d.get("patron_id"),
                "location": places.location(d.get("location") or branch, branch),
                "checked_out_at": _utc(d.get("checked_out_at")),
                "due_date": _date(d.get("due_date")) or _utc(d.get("checked_out_at")).date(),
                "renewals": int(d.get("renewals") or 0),
                "checked_in_at": _utc(d.get("checked_in_at")),
                "checkin_location": places.location(d.get("checkin_location"), branch),
                "patron_category": d.get("patron_category") or "",
            }
        )
    _upsert(Loan, rows)
    result.count("loan", len(rows))


def apply_holds(changes: list[dict[str, Any]], places: Places, result: Applied) -> None:
    bibs = _existing(Bib, [c["data"].get("bib_id") for c in changes])
    patrons = _existing(Patron, [c["data"].get("patron_id") for c in changes])
    items = _existing(Item, [c["data"].get("item_id") for c in changes])
    rows = []
    for change in changes:
        d = change["data"]
        if d.get("bib_id") not in bibs or d.get("patron_id") not in patrons:
            _park(change, "bib or patron", result)
            continue
        rows.append(
            {
                "id": change["id"],
                "patron": d["patron_id"],
                "bib": d["bib_id"],
                "item": d.get("item_id") if d.get("item_id") in items else None,
                "pickup_location": places.location(d.get("pickup_location"), d.get("pickup_branch")),
                "status": d.get("status") or "waiting",
                "placed_at": _utc(d.get("placed_at")) or dt.datetime.now(dt.UTC).replace(tzinfo=None),
                "ready_at": _utc(d.get("ready_at")),
                "expires_on": _date(d.get("expires_on")),
                "closed_at": _utc(d.get("closed_at")),
            }
        )
    _upsert(Hold, rows)
    result.count("hold", len(rows))


def apply_conflicts(changes: list[dict[str, Any]], places: Places, result: Applied) -> None:
    for change in changes:
        d = change["data"]
        local = Conflict.get_or_none(Conflict.id == change["id"])
        resolved = d.get("status") == "resolved"
        if local is not None and local.resolution_sent and not resolved:
            continue  # resolved here; the hub has not folded our resolution yet
        fields = {
            "code": d["code"],
            "status": d.get("status") or "open",
            "data": d,
            "detected_at": _utc(d.get("detected_at")) or dt.datetime.now(dt.UTC).replace(tzinfo=None),
            "resolved_at": _utc((d.get("resolution") or {}).get("at")) if resolved else None,
            "resolution_sent": False,
        }
        if local is None:
            Conflict.create(id=change["id"], **fields)
            if not resolved:
                result.conflicts += 1
        else:
            Conflict.update(fields).where(Conflict.id == change["id"]).execute()
        result.count("conflict")


APPLY = {
    "branch": apply_branches,
    "location": apply_locations,
    "bib": apply_bibs,
    "patron": apply_patrons,
    "item": apply_items,
    "loan": apply_loans,
    "hold": apply_holds,
    "conflict": apply_conflicts,
}
