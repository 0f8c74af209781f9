"""The hub's fold: accepted events in, current county state (projections) and conflicts out.

Runs inside the push transaction that holds the hub-wide lock (``storage.serialised``).
Every changed projection row gets the next ``server_seq`` when the batch is flushed, so a
branch pulling after cursor N receives exactly what changed since.

Business times are *corrected*: the device reports how far its clock is from the hub's
(measured at this sync), and every time in a payload is shifted by that much before it is
compared with other branches' times. A laptop three days fast therefore neither wins every
race for an item nor gives its readers three extra days: due dates move by the difference
between the corrected and the raw local date. Competing circulation events are ordered by
(corrected time, HLC, device, seq).

Principle: a business-rule problem is a recorded fact (a conflict row, code and ticket in
the event's result), never a refused event. History is never rewritten; an automatic
resolution (closing the earlier of two open loans) is stated in the conflict it raises.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sync.codec import dumps, iso_utc, parse_utc
from sync.hub.rows import Rows
from sync.hub.storage import (
    BibRow,
    BranchRow,
    ConflictRow,
    Event,
    HoldRow,
    ItemRow,
    LoanRow,
    LocationRow,
    ParkedReturn,
    PatronRow,
    Projection,
    get_meta,
    set_meta,
)

# A check-in matching no loan waits this long for its check-out before staff are asked.
CHECKIN_WITHOUT_LOAN_AFTER = dt.timedelta(days=3)
# A payload time this close to the event's own clock reading was taken at the same moment.
SAME_MOMENT = dt.timedelta(minutes=1)

LOCATION_FIELDS = ("name", "kind", "host_organisation", "contact", "route", "weekday", "time_of_day", "active")

# What staff may do about each kind of conflict (the Sync screen offers these).
ACTIONS: dict[str, tuple[str, ...]] = {
    "OPEN_LOAN_EXISTS": ("accept", "check_shelf"),
    "CHECKIN_WITHOUT_LOAN": ("accept", "check_shelf"),
    "ROUTE_ITEM": ("accept",),
    "ASSET_CHANGED": ("accept",),
    "COPY_STATUS_LOST": ("accept",),
    "DUPLICATE_CARD": ("accept", "merge"),
    "POSSIBLE_DUPLICATE_PATRON": ("keep_both", "merge"),
    "CARD_NOT_FOUND": ("accept",),
    "ITEM_NOT_FOUND": ("accept",),
    "DUPLICATE_BARCODE": ("accept",),
    "PATRON_BLOCKED_AT_TIME": ("accept",),
    "HOLD_CAPTURE_CONFLICT": ("accept", "cancel_hold"),
    "MAX_RENEWALS_REACHED": ("accept",),
    "REPLACED_CARD_USED": ("accept",),
    "INVALID_PAYLOAD": ("accept",),
}


@dataclass
class Incoming:
    """One accepted event with what the hub knows about its device."""

    event: dict[str, Any]
    device_id: str
    offset: dt.timedelta  # hub clock minus device clock, measured at this sync
    at: dt.datetime  # the event's corrected time (see service.push)

    @property
    def payload(self) -> dict[str, Any]:
        return self.event["payload"]

    @property
    def branch(self) -> str:
        return self.event["branch"]


@dataclass
class Outcome:
    result: str = "applied"
    code: str = ""
    ticket: str = ""


class InvalidPayload(ValueError):
    """A known event type whose payload lacks what the fold needs."""


def scope_of(branches: set[str] | str) -> str:
    if branches == "*":
        return "*"
    return "|" + "|".join(sorted(b for b in branches if b)) + "|"


def scope_set(scope: str) -> set[str]:
    return set() if scope == "*" else {b for b in scope.split("|") if b}


@dataclass
class Fold:
    now: dt.datetime
    timezone: ZoneInfo
    dirty: dict[tuple[str, str], Projection] = field(default_factory=dict)
    outcome: Outcome = field(default_factory=Outcome)
    seq: int = 0  # the last server_seq handed out (read from hub_meta by the caller)
    rows: Rows = field(default_factory=Rows)
    _open_codes: set[str] | None = None  # codes with open conflicts, read once per batch
    _waiting_bibs: set[str] | None = None  # titles with a waiting hold (a superset), read once
    _any_parked: bool | None = None  # is any return waiting for its check-out at all?
    _deferred: list = field(default_factory=list)  # this event's writes other than projection rows
    # Item id -> the latest check-out time among its loans in the database when the batch began
    # (None: no loans). Its open loans are in memory, so a check-out at or after that time
    # needs no query to know which loans it meets.
    _loan_cover: dict[str, dt.datetime | None] = field(default_factory=dict)
    _waiting: dict[str, list[ConflictRow]] = field(default_factory=dict)  # open conflicts by code
    _unknown_copies: dict[str, list[ConflictRow]] | None = None  # open ITEM_NOT_FOUND by barcode, read once
    _flagged_here: dict[str, Incoming] = field(default_factory=dict)  # this batch's events with a ticket

    # -- the batch ---------------------------------------------------------------------

    def prefetch(self, events: list[dict[str, Any]]) -> None:
        """Read every row the batch's payloads name, a few statements in all."""
        keys: dict[str, set[str]] = {name: set() for name in (
            "item", "barcode", "patron", "card", "id_hash", "loan", "bib", "hold", "location", "conflict")}
        for event in events:
            _payload_keys(event.get("payload"), keys)
        rows = self.rows
        rows.prefetch(ItemRow, "id", keys["item"])
        rows.prefetch(ItemRow, "barcode", keys["barcode"])
        rows.prefetch(PatronRow, "id", keys["patron"])
        rows.prefetch(PatronRow, "card_number", keys["card"])
        rows.prefetch(PatronRow, "id_number_hash", keys["id_hash"])
        rows.prefetch(BibRow, "id", keys["bib"])
        rows.prefetch(HoldRow, "id", keys["hold"])
        rows.prefetch(LocationRow, "code", keys["location"])
        rows.prefetch(ConflictRow, "id", keys["conflict"])
        rows.prefetch(LoanRow, "id", keys["loan"])
        found = [rows.get(ItemRow, i) for i in keys["item"]]
        for barcode in keys["barcode"]:
            found += rows.find(ItemRow, "barcode", barcode)
        items = sorted({r.id for r in found if r is not None})
        for start in range(0, len(items), 500):
            chunk = items[start : start + 500]
            marks = ", ".join([rows.param] * len(chunk))
            cursor = rows.execute(
                f"SELECT item_id, MAX(checked_out_at) FROM hub_loan WHERE item_id IN ({marks}) GROUP BY item_id", chunk
            )
            latest = {item_id: LoanRow.checked_out_at.python_value(at) for item_id, at in cursor.fetchall()}
            for item_id in chunk:
                self._loan_cover[item_id] = latest.get(item_id)
            rows.prefetch(LoanRow, "item_id", chunk, extra=" AND is_open")
        if self.any_parked():
            rows.prefetch(ParkedReturn, "item_id", items)

    # -- entry point ------------------------------------------------------------------

    def apply(self, incoming: Incoming) -> Outcome:
        self.outcome = Outcome()
        handler = getattr(self, "on_" + incoming.event["type"].replace(".", "_"), None)
        if handler is None:
            # Types the hub keeps no projection for (donations, hours, attendance ...): appended.
            return self.outcome
        self.rows.journal = {}
        try:
            handler(incoming)
        except (InvalidPayload, KeyError, TypeError, ValueError, AttributeError) as exc:
            # Handlers only change rows in memory, and the journal holds every row this one
            # looked at as it was before: putting them back undoes the event.
            self.rows.undo()
            self.dirty.clear()
            self._deferred.clear()
            self._open_codes = None
            self._waiting_bibs = None
            self._any_parked = None
            self._waiting.clear()
            self._unknown_copies = None
            self.outcome = Outcome()
            self.flag("INVALID_PAYLOAD", incoming, note=f"{type(exc).__name__}: {exc}")
        self.flush()
        self.rows.journal = None
        return self.outcome

    # -- time -------------------------------------------------------------------------

    def corrected(self, incoming: Incoming, text: str | None) -> dt.datetime:
        """A payload time on the hub's clock.

        A time taken when the event was recorded (a check-out's checked_out_at) is the event's
        corrected time itself; a time from the past (a loan published at a first sync) keeps
        its distance from the event's own clock reading."""
        if not text:
            return incoming.at
        delta = parse_utc(text) - parse_utc(incoming.event["created_at"])
        if abs(delta) <= SAME_MOMENT:
            return incoming.at
        return min(incoming.at + delta, self.now)

    def corrected_due(self, incoming: Incoming, due: str | None, raw_text: str | None) -> str | None:
        """Move a due date by the days the device's wrong clock added or took away."""
        if not due:
            return due
        raw = parse_utc(raw_text) if raw_text else parse_utc(incoming.event["created_at"])
        fixed = self.corrected(incoming, raw_text)
        shift = self._local_date(fixed) - self._local_date(raw)
        return (dt.date.fromisoformat(due) + shift).isoformat()

    def _local_date(self, naive_utc: dt.datetime) -> dt.date:
        return naive_utc.replace(tzinfo=dt.UTC).astimezone(self.timezone).date()

    # -- rows -------------------------------------------------------------------------

    @staticmethod
    def state(row: Projection) -> dict[str, Any]:
        if not hasattr(row, "_state"):
            row._state = json.loads(row.data) if row.data else {}
        return row._state

    def touch(self, kind: str, row: Projection, branches: set[str] | str = "*") -> None:
        """Mark a row changed; a branch that once pulled it keeps receiving it (scopes only grow)."""
        if branches == "*":
            row.scope = row.scope or "*"
        elif row.scope != "*":
            row.scope = scope_of(scope_set(row.scope) | {b for b in branches if b})
        self.dirty.setdefault((kind, str(row._pk)), row)
        self.rows.register(row)

    def new_row(self, model: type[Projection], **fields: Any) -> Projection:
        row = model(scope="", server_seq=0, data="", **fields)
        row._new = True
        row._state = {}
        return row

    def flush(self) -> None:
        """Give every row the last event changed the next server_seq; it is written later.

        Called after each event. A row changed by several events of a batch is written once,
        with the last one's server_seq (a puller would have received it once anyway)."""
        self.rows.deferred += self._deferred
        self._deferred.clear()
        for row in self.dirty.values():
            self.seq += 1
            row.server_seq = self.seq
            row.data = dumps(self.state(row)).decode("utf-8")
            self.rows.save_later(row)
            row._new = False
        self.dirty.clear()

    def finish(self) -> None:
        self.flush()
        self.rows.write()
        set_meta("server_seq", str(self.seq))

    def item(self, item_id: str | None, barcode: str | None) -> ItemRow | None:
        """The copy with this id, else the latest one with this barcode."""
        row = self.rows.get(ItemRow, item_id) if item_id else None
        if row is None and barcode:
            row = max(self.rows.find(ItemRow, "barcode", barcode), key=lambda r: r.server_seq or 0, default=None)
        return row

    def patron(self, patron_id: str | None, card: str | None) -> PatronRow | None:
        row = self.rows.get(PatronRow, patron_id) if patron_id else None
        if row is None and card:
            row = next(iter(self.rows.find(PatronRow, "card_number", card)), None)
        return row

    def _remember_patron(self, row: PatronRow) -> None:
        self.rows.register(row)

    def location_row(self, code: str) -> LocationRow | None:
        return self.rows.get(LocationRow, code)

    def location_branch(self, code: str | None, fallback: str) -> str:
        if not code:
            return fallback
        row = self.location_row(code)
        return row.branch if row is not None else fallback

    def ensure_location(self, code: str | None, branch: str) -> None:
        """Learn a location from a payload that names it (reading points, van stops)."""
        if not code or ("location", code) in self.dirty or self.location_row(code) is not None:
            return
        row = self.new_row(LocationRow, code=code, branch=branch)
        row._state = {"code": code, "name": code, "kind": "branch" if code == branch else "other", "branch": branch}
        self.touch("location", row)

    def open_loan(self, item_id: str) -> LoanRow | None:
        if item_id in self._loan_cover:
            return next((loan for loan in self.rows.in_memory(LoanRow, "item_id", item_id) if loan.is_open), None)
        return self.rows.one(LoanRow, "item_id = {p} AND is_open = {p}", [item_id, True])

    def loan(self, loan_id: str) -> LoanRow | None:
        return self.rows.get(LoanRow, loan_id)

    # -- conflicts --------------------------------------------------------------------

    def flag(
        self,
        code: str,
        incoming: Incoming,
        *,
        branches: set[str] | None = None,
        item: ItemRow | None = None,
        patron: PatronRow | None = None,
        sides: list[dict[str, Any]] | None = None,
        note: str = "",
    ) -> str:
        ticket = str(uuid.uuid4())
        branches = {b for b in (branches or ()) if b} | {incoming.branch}
        row = self.new_row(ConflictRow, id=ticket, code=code, status="open", created_at=self.now)
        row._state = {
            "id": ticket,
            "code": code,
            "status": "open",
            "detected_at": iso_utc(self.now),
            "branches": sorted(b for b in branches if b),
            "item": _item_summary(self.state(item)) if item is not None else None,
            "patron": _patron_summary(self.state(patron)) if patron is not None else None,
            "sides": sides or [self.side(incoming)],
            "note": note,
            "actions": list(ACTIONS.get(code, ("accept",))),
            "resolution": None,
        }
        self.touch("conflict", row, branches)
        self._flagged_here[incoming.event["id"]] = incoming
        if code == "ITEM_NOT_FOUND" and self._unknown_copies is not None:
            for barcode in {s.get("barcode") for s in row._state["sides"] if s.get("barcode")}:
                self._unknown_copies.setdefault(barcode, []).append(row)
        if self._open_codes is not None:
            self._open_codes.add(code)
        if code in self._waiting:
            self._waiting[code].append(row)
        if not self.outcome.code:
            self.outcome = Outcome("exception", code, ticket)
        return ticket

    def side(self, incoming: Incoming, at: dt.datetime | None = None, **extra: Any) -> dict[str, Any]:
        p = incoming.payload
        side = {
            "branch": incoming.branch,
            "device_id": incoming.device_id,
            "event_id": incoming.event["id"],
            "type": incoming.event["type"],
            "at": iso_utc(at) if at else iso_utc(self.corrected(incoming, None)),
            "loan_id": p.get("loan_id"),
            "card_number": p.get("card_number") or (p.get("patron") or {}).get("card_number"),
            "barcode": p.get("barcode"),
            "location": p.get("location"),
        }
        side.update(extra)
        return side

    # -- branches and places -----------------------------------------------------------

    def on_branch_initialized(self, incoming: Incoming) -> None:
        b = incoming.payload["branch"]
        self._upsert_branch(b["code"], b.get("name", b["code"]), b.get("library_name", ""))
        self._upsert_location({"code": b["code"], "name": b.get("name", b["code"]), "kind": "branch"}, b["code"])

    on_branch_published = on_branch_initialized

    def _upsert_branch(self, code: str, name: str, library_name: str) -> None:
        row = self.rows.get(BranchRow, code) or self.new_row(BranchRow, code=code)
        new = {"code": code, "name": name, "library_name": library_name}
        if self.state(row) != new:
            row._state = new
            self.touch("branch", row)

    def on_location_published(self, incoming: Incoming) -> None:
        loc = incoming.payload["location"]
        self._upsert_location(loc, loc.get("branch") or incoming.branch)

    on_location_added = on_location_published

    def on_location_updated(self, incoming: Incoming) -> None:
        p = incoming.payload
        row = self.location_row(p["code"])
        current = dict(self.state(row)) if row is not None else {"code": p["code"], "branch": incoming.branch}
        current.update({k: v for k, v in p.get("changes", {}).items() if k in LOCATION_FIELDS})
        self._upsert_location(current, current.get("branch") or incoming.branch)

    def _upsert_location(self, loc: dict[str, Any], branch: str) -> None:
        code = loc["code"]
        row = self.dirty.get(("location", code)) or self.location_row(code)
        if row is None:
            row = self.new_row(LocationRow, code=code, branch=branch)
        new = {"code": code, "name": code, "kind": "branch", "active": True, **self.state(row)}
        new.update({k: v for k, v in loc.items() if k in LOCATION_FIELDS})
        new["name"] = new.get("name") or code
        new["branch"] = branch
        if self.state(row) != new:
            row.branch = branch
            row._state = new
            self.touch("location", row)

    # -- catalogue --------------------------------------------------------------------

    def on_bib_upserted(self, incoming: Incoming) -> None:
        bib = incoming.payload["bib"]
        row = self.rows.get(BibRow, bib["id"]) or self.new_row(BibRow, id=bib["id"])
        if row.hlc and row.hlc > incoming.event["hlc"]:
            return  # a newer edit of the record is already folded
        row.hlc = incoming.event["hlc"]
        row._state = {**self.state(row), **bib}
        self.touch("bib", row)

    on_bib_published = on_bib_upserted

    def on_item_accessioned(self, incoming: Incoming) -> None:
        data = dict(incoming.payload["item"])
        home = self.location_branch(data.get("home_location"), incoming.branch)
        current = self.location_branch(data.get("current_location"), incoming.branch)
        self.ensure_location(data.get("home_location"), home)
        self.ensure_location(data.get("current_location"), current)
        row = self.item(data["id"], None)
        is_new = row is None
        if row is None:
            other = self.item(None, data["barcode"])
            if other is not None and other.id != data["id"]:
                self.flag(
                    "DUPLICATE_BARCODE",
                    incoming,
                    branches={other.home_branch},
                    item=other,
                    note=f"barcode {data['barcode']} already belongs to another copy",
                )
            row = self.new_row(ItemRow, id=data["id"], barcode=data["barcode"])
            # A copy new to the county has no loans and no parked returns yet.
            self._loan_cover.setdefault(row.id, None)
            self.rows.made(LoanRow, "item_id", row.id)
            self.rows.made(ParkedReturn, "item_id", row.id)
        state = self.state(row)
        state.update(data)
        state.update(home_branch=home, current_branch=current)
        row.barcode = data["barcode"]
        row.bib_id = data.get("bib_id", "")
        row.home_branch = home
        row.status = state.get("status", "available")
        row.state_at = row.state_at or self.corrected(incoming, None)
        row.state_hlc = max(row.state_hlc or 0, incoming.event["hlc"])
        self.touch("item", row, {home, current})
        if is_new:
            self._apply_events_that_missed(row, incoming, data)

    on_item_published = on_item_accessioned

    def _apply_events_that_missed(self, row: ItemRow, incoming: Incoming, data: dict[str, Any]) -> None:
        """A copy new to the county that earlier events named (ITEM_NOT_FOUND): apply them now,
        in their own order, and close their conflicts. The copy ends in the state this event
        states when it is the newest news (a branch publishing what it holds now)."""
        waiting = [c for c in self._unknown_copy_conflicts(row.barcode) if c.status == "open"]
        if not waiting:
            return
        ids = {s["event_id"] for c in waiting for s in self.state(c)["sides"] if s.get("event_id")}
        events = self._stored_events(ids)
        saved, latest = self.outcome, None
        for event in sorted(events.values(), key=lambda e: (e.at, e.event["hlc"], e.device_id, e.event["seq"])):
            handler = getattr(self, "on_" + event.event["type"].replace(".", "_"), None)
            if handler is None or event.event["type"] in ("item.accessioned", "item.published"):
                continue
            self.outcome = Outcome()
            try:
                handler(event)
            except (InvalidPayload, KeyError, TypeError, ValueError, AttributeError):
                events.pop(event.event["id"])  # its conflict stays open for staff
                continue
            latest = max(latest or event.at, event.at)
        self.outcome = saved
        for conflict in waiting:
            sides = [s.get("event_id") for s in self.state(conflict)["sides"]]
            if all(e in events for e in sides if e):
                self.state(conflict).update(status="resolved", resolution={
                    "action": "automatic", "note": "the copy became known; the event was applied",
                    "at": iso_utc(self.now)})
                conflict.status = "resolved"
                self.touch("conflict", conflict)
        if latest is not None and self.corrected(incoming, None) >= latest:
            self._set_item(row, status=data.get("status") or "available", location=data.get("current_location"),
                           at=self.corrected(incoming, None), branch=incoming.branch, hlc=incoming.event["hlc"])

    def _unknown_copy_conflicts(self, barcode: str) -> list[ConflictRow]:
        if self._unknown_copies is None:
            self._unknown_copies = {}
            if self._open_codes is None:
                self._open_codes = {
                    c for (c,) in self.rows.execute("SELECT DISTINCT code FROM hub_conflict WHERE status = 'open'")
                }
            if "ITEM_NOT_FOUND" in self._open_codes:
                for conflict in self.rows.select(ConflictRow, "code = {p} AND status = 'open'", ["ITEM_NOT_FOUND"]):
                    for code in {s.get("barcode") for s in self.state(conflict)["sides"] if s.get("barcode")}:
                        self._unknown_copies.setdefault(code, []).append(conflict)
        return self._unknown_copies.get(barcode, [])

    def _stored_events(self, ids: set[str]) -> dict[str, Incoming]:
        """Events by id: this batch's from memory, earlier ones from the event log."""
        found = {i: self._flagged_here[i] for i in ids if i in self._flagged_here}
        rest = sorted(ids - set(found))
        if rest:
            for e in Event.select().where(Event.id.in_(rest)):
                event = {"id": e.id, "device_id": e.device_id, "epoch": e.epoch, "seq": e.seq, "branch": e.branch,
                         "type": e.type, "hlc": e.hlc, "created_at": iso_utc(e.created_at),
                         "payload": json.loads(e.payload)}
                found[e.id] = Incoming(event, e.device_id, dt.timedelta(0), e.corrected_at)
        return found

    def on_item_status_changed(self, incoming: Incoming) -> None:
        p = incoming.payload
        row = self.item(p.get("item_id"), p.get("barcode"))
        if row is None:
            self.flag("ITEM_NOT_FOUND", incoming, note=f"barcode {p.get('barcode')}")
            return
        at = self.corrected(incoming, None)
        if self._stale(row, at, incoming):
            self.flag(
                "ASSET_CHANGED",
                incoming,
                branches={row.home_branch},
                item=row,
                note=f"stale change to {p.get('status')} skipped; the copy is {row.status}",
            )
            return
        self._set_item(row, status=p["status"], location=p.get("location"), at=at, branch=incoming.branch,
                       hlc=incoming.event["hlc"])

    def on_deposit_sent(self, incoming: Incoming) -> None:
        """A deposit collection went out to a reading point or the van: each copy is there now,
        still loanable (its status is left as it is)."""
        place = incoming.payload["collection"]["location"]
        self._move_copies(incoming, [(line, place) for line in incoming.payload["items"]],
                          self.corrected(incoming, incoming.payload["collection"].get("sent_at")))

    def on_deposit_returned(self, incoming: Incoming) -> None:
        """Copies came back from a deposit collection, each to the place it was sent from."""
        p = incoming.payload
        self._move_copies(incoming, [(line, line["to"]) for line in p["items"]], self.corrected(incoming, p.get("returned_at")))

    def _move_copies(self, incoming: Incoming, moves: list[tuple[dict[str, Any], str]], at: dt.datetime) -> None:
        """Copies change place, not status. A copy whose state a later event set already (lent
        at the reading point, say) keeps it; a copy unknown to the county is ITEM_NOT_FOUND."""
        unknown = []
        for line, place in moves:
            if not place:
                raise InvalidPayload("a deposit line names no place")
            row = self.item(line.get("item_id"), line.get("barcode"))
            if row is None:
                unknown.append(line.get("barcode"))
                continue
            if self._stale(row, at, incoming):
                continue
            self._set_item(row, status=row.status, location=place, at=at, branch=incoming.branch,
                           hlc=incoming.event["hlc"])
        if unknown:
            self.flag("ITEM_NOT_FOUND", incoming, sides=[self.side(incoming, at, barcode=b) for b in unknown],
                      note=f"barcodes {', '.join(str(b) for b in unknown)}")

    def _stale(self, row: ItemRow, at: dt.datetime, incoming: Incoming) -> bool:
        """The copy's state was set by something later than this event, which did not know it.

        Later in corrected time *and* in HLC: an event whose device had already seen the
        current state (its HLC is higher, merged at a sync) is news, whatever its clock said."""
        return bool(row.state_at) and at < row.state_at and incoming.event["hlc"] < row.state_hlc

    def _set_item(self, row: ItemRow, *, status: str, location: str | None, at: dt.datetime, branch: str,
                  hlc: int = 0) -> None:
        state = self.state(row)
        state["status"] = status
        row.status = status
        scopes = {row.home_branch}
        if location:
            loc_branch = self.location_branch(location, branch)
            self.ensure_location(location, loc_branch)
            state["current_location"] = location
            state["current_branch"] = loc_branch
            scopes.add(loc_branch)
        row.state_at = max(at, row.state_at) if row.state_at else at
        row.state_hlc = max(hlc, row.state_hlc or 0)
        self.touch("item", row, scopes)

    # -- patrons ----------------------------------------------------------------------

    def on_patron_registered(self, incoming: Incoming) -> None:
        data = dict(incoming.payload["patron"])
        data.pop("id_number", None)  # never kept centrally, even if a payload carries it
        card = data["card_number"]
        registered = self.corrected(incoming, data.get("registered_at"))
        row = self.patron(data["id"], None)
        if row is not None:  # published again, or a re-statement: keep the card it holds now
            state = self.state(row)
            kept_card = row.card_number
            state.update(data)
            state["card_number"] = kept_card
            self.touch("patron", row)
            return
        row = self.new_row(
            PatronRow,
            id=data["id"],
            card_number=card,
            id_number_hash=data.get("id_number_hash") or "",
            home_branch=data.get("home_branch") or incoming.branch,
            registered_at=registered,
            registered_hlc=incoming.event["hlc"],
        )
        row._state = {**data, "home_branch": row.home_branch, "status": data.get("status") or "active"}
        holder = self.patron(None, card)
        if holder is not None and holder.id != row.id:
            # Same card number registered twice offline: the earlier keeps it.
            later, earlier = (row, holder) if (registered, row.registered_hlc) >= (
                holder.registered_at,
                holder.registered_hlc,
            ) else (holder, row)
            self._give_temporary_card(later)
            self._remember_patron(earlier)
            self.touch("patron", row)
            self.flag(
                "DUPLICATE_CARD",
                incoming,
                branches={holder.home_branch, row.home_branch},
                patron=earlier,
                sides=[
                    {"patron_id": earlier.id, "card_number": earlier.card_number, "branch": earlier.home_branch,
                     "name": self.state(earlier).get("name", ""), "at": iso_utc(earlier.registered_at)},
                    {"patron_id": later.id, "card_number": later.card_number, "branch": later.home_branch,
                     "name": self.state(later).get("name", ""), "at": iso_utc(later.registered_at),
                     "original_card_number": card},
                ],
                note=f"card {card} was given to two readers; the later one now has {later.card_number}",
            )
        else:
            self._remember_patron(row)
            self.touch("patron", row)
        self._check_same_person(row, incoming)
        self._resolve_waiting("CARD_NOT_FOUND", "patron", row.id, card=card)

    on_patron_published = on_patron_registered

    def _give_temporary_card(self, row: PatronRow) -> None:
        temporary = f"{row.card_number}~{row.id[-6:]}"
        row.card_number = temporary
        self.state(row)["card_number"] = temporary
        self._remember_patron(row)
        self.touch("patron", row)

    def _check_same_person(self, row: PatronRow, incoming: Incoming) -> None:
        if not row.id_number_hash:
            return
        others = [
            p
            for p in self.rows.find(PatronRow, "id_number_hash", row.id_number_hash)
            if p.id != row.id and p.home_branch != row.home_branch
        ]
        for other in others:
            self.flag(
                "POSSIBLE_DUPLICATE_PATRON",
                incoming,
                branches={other.home_branch, row.home_branch},
                patron=other,
                sides=[
                    {"patron_id": other.id, "card_number": other.card_number, "branch": other.home_branch,
                     "name": self.state(other).get("name", "")},
                    {"patron_id": row.id, "card_number": row.card_number, "branch": row.home_branch,
                     "name": self.state(row).get("name", "")},
                ],
                note="the same ID number is registered at two branches",
            )

    def _patron_for_change(self, incoming: Incoming) -> PatronRow | None:
        p = incoming.payload
        row = self.patron(p.get("patron_id"), p.get("card_number") or p.get("old_card_number"))
        if row is None:
            self.flag("CARD_NOT_FOUND", incoming, note=f"card {p.get('card_number')}")
        return row

    def on_patron_updated(self, incoming: Incoming) -> None:
        row = self._patron_for_change(incoming)
        if row is None:
            return
        stamps = json.loads(row.field_hlc or "{}")
        state = self.state(row)
        hlc = incoming.event["hlc"]
        changed = False
        for name, value in incoming.payload.get("changes", {}).items():
            if name in ("id", "card_number", "id_number"):
                continue
            if stamps.get(name, 0) > hlc:
                continue  # last writer per field by HLC: a later edit is already here
            stamps[name] = hlc
            state[name] = value
            changed = True
            if name == "id_number_hash":
                row.id_number_hash = value or ""
        if changed:
            row.field_hlc = json.dumps(stamps)
            self.touch("patron", row)

    def on_patron_renewed(self, incoming: Incoming) -> None:
        row = self._patron_for_change(incoming)
        if row is not None:
            self.state(row)["expiry_date"] = incoming.payload.get("expiry_date")
            self.touch("patron", row)

    def on_patron_suspended(self, incoming: Incoming) -> None:
        row = self._patron_for_change(incoming)
        if row is not None:
            self.state(row)["status"] = "suspended"
            self.touch("patron", row)

    def on_patron_unsuspended(self, incoming: Incoming) -> None:
        row = self._patron_for_change(incoming)
        if row is not None:
            self.state(row)["status"] = "active"
            self.touch("patron", row)

    def on_patron_card_returned(self, incoming: Incoming) -> None:
        row = self._patron_for_change(incoming)
        if row is not None:
            self.state(row)["status"] = "returned"
            self.touch("patron", row)

    def on_patron_erased(self, incoming: Incoming) -> None:
        row = self._patron_for_change(incoming)
        if row is not None:
            # Only what the card needs to stay blocked remains, here as at the branch.
            state = self.state(row)
            row._state = {"id": row.id, "card_number": row.card_number, "name": "", "status": "erased",
                          "home_branch": state.get("home_branch"), "registered_at": state.get("registered_at")}
            row.id_number_hash = ""
            self.touch("patron", row)

    def on_patron_card_replaced(self, incoming: Incoming) -> None:
        row = self._patron_for_change(incoming)
        if row is None:
            return
        new_card = incoming.payload["card_number"]
        old_card = incoming.payload.get("old_card_number") or ""
        holder = self.patron(None, new_card)
        row.card_number = new_card
        state = self.state(row)
        state["card_number"] = new_card
        if old_card and old_card != new_card:
            state["replaced_cards"] = [*state.get("replaced_cards", []), {"card_number": old_card,
                                                                          "at": iso_utc(incoming.at)}]
            # Lent on the old card after it was replaced, somewhere the news had not reached,
            # and that check-out reached the hub first.
            for loan in self.rows.select(LoanRow, "patron_id = {p} AND checked_out_at > {p}", [row.id, _dt(incoming.at)]):
                if self.state(loan).get("card_used") == old_card:
                    self._flag_replaced_card(incoming, row, loan)
        if holder is not None and holder.id != row.id:
            self._give_temporary_card(row)
            self.flag("DUPLICATE_CARD", incoming, branches={holder.home_branch}, patron=holder,
                      note=f"replacement card {new_card} already belongs to another reader")
        self._remember_patron(row)
        self.touch("patron", row)

    # -- circulation ------------------------------------------------------------------

    def _loan_scope(self, item: ItemRow, location_branch: str) -> set[str]:
        return scope_set(item.scope) | {item.home_branch, location_branch}

    def on_loan_checked_out(self, incoming: Incoming) -> None:
        p = incoming.payload
        item = self.item(p.get("item_id"), p.get("barcode"))
        if item is None:
            self.flag("ITEM_NOT_FOUND", incoming, note=f"barcode {p.get('barcode')}")
            return
        if not p.get("loan_id"):
            raise InvalidPayload("loan_id is missing")
        at = self.corrected(incoming, p.get("checked_out_at"))
        patron = self.patron(p.get("patron_id"), p.get("card_number"))
        if patron is None:
            self.flag("CARD_NOT_FOUND", incoming, branches={item.home_branch}, item=item,
                      note=f"card {p.get('card_number')} is not known to the county")
        else:
            self._check_patron_at(patron, at, incoming, item)
        branch = self.location_branch(p.get("location"), incoming.branch)
        self.ensure_location(p.get("location"), branch)
        # One round trip for the three loans that matter: this one (stated again?), the open
        # one, and the first that began after this check-out.
        nearby = self._loans_around(p["loan_id"], item.id, at)
        if any(loan.id == p["loan_id"] for loan in nearby):
            return  # the same loan stated again (published at a first sync)
        state = {
            "id": p["loan_id"],
            "item_id": item.id,
            "barcode": item.barcode,
            "patron_id": patron.id if patron is not None else p.get("patron_id"),
            "card_number": patron.card_number if patron is not None else p.get("card_number"),
            "location": p.get("location"),
            "branch": branch,
            "checked_out_at": iso_utc(at),
            "due_date": self.corrected_due(incoming, p.get("due_date"), p.get("checked_out_at")),
            "renewals": p.get("renewals", 0),
            "checked_in_at": None,
            "checkin_location": None,
            "closed_by": None,
            "patron_category": p.get("patron_category", ""),
            "card_used": p.get("card_number"),
        }
        loan = self.new_row(LoanRow, id=p["loan_id"], item_id=item.id, patron_id=state["patron_id"] or "",
                            checked_out_at=at, is_open=True)
        loan._state = state
        if patron is not None and self._replaced_before(patron, p.get("card_number"), at):
            self._flag_replaced_card(incoming, patron, loan)
        scopes = self._loan_scope(item, branch)

        open_loan = next((loan for loan in nearby if loan.is_open), None)
        later = min((loan for loan in nearby if loan.checked_out_at > at), key=lambda loan: loan.checked_out_at,
                    default=None)
        parked = None
        if self.any_parked():
            parked = min((r for r in self.rows.find(ParkedReturn, "item_id", item.id) if r.returned_at >= at),
                         key=lambda r: r.returned_at, default=None)
        if later is not None:
            # A check-out that happened before loans already folded: it is history now.
            end = later.checked_out_at
            if parked is not None and parked.returned_at <= end:
                self._close(loan, parked.returned_at, parked.location, "return")
                self._unpark(parked)
            else:
                self._close(loan, end, None, "implied_by_checkout")
                if later.patron_id != loan.patron_id:
                    self._flag_two_loans(incoming, item, earlier=loan, later=later)
            self.touch("loan", loan, scopes)
            return
        if parked is not None:
            # The return arrived first (return_before_checkout_arrival): close at once.
            self._close(loan, parked.returned_at, parked.location, "return")
            self._unpark(parked)
            self.touch("loan", loan, scopes)
            return
        if open_loan is not None:
            self.state(open_loan)
            self._close(open_loan, at, None, "implied_by_checkout")
            self.touch("loan", open_loan, scopes)
            if open_loan.patron_id != loan.patron_id:
                self._flag_two_loans(incoming, item, earlier=open_loan, later=loan)
        self._set_item(item, status="on_loan", location=p.get("location"), at=at, branch=branch,
                       hlc=incoming.event["hlc"])
        self.touch("loan", loan, scopes)

    on_loan_published = on_loan_checked_out

    def _replaced_before(self, patron: PatronRow, card: str | None, at: dt.datetime) -> bool:
        """``card`` was this reader's until a replacement (a lost card) made before ``at``."""
        return bool(card) and card != patron.card_number and any(
            old["card_number"] == card and parse_utc(old["at"]) <= at for old in self.state(patron).get("replaced_cards", [])
        )

    def _flag_replaced_card(self, incoming: Incoming, patron: PatronRow, loan: LoanRow) -> None:
        s = self.state(loan)
        self.flag(
            "REPLACED_CARD_USED",
            incoming,
            branches={patron.home_branch, s.get("branch") or ""},
            item=self.item(loan.item_id, None),
            patron=patron,
            sides=[{"loan_id": loan.id, "branch": s.get("branch"), "location": s.get("location"),
                    "card_number": s.get("card_used"), "barcode": s.get("barcode"), "at": s.get("checked_out_at"),
                    "name": self.state(patron).get("name", "")}],
            note=f"card {s.get('card_used')} had been replaced when it was used; the loan stands",
        )

    def _check_patron_at(self, patron: PatronRow, at: dt.datetime, incoming: Incoming, item: ItemRow) -> None:
        state = self.state(patron)
        expiry = state.get("expiry_date")
        blocked = state.get("status") in ("suspended", "returned")
        expired = bool(expiry) and self._local_date(at) > dt.date.fromisoformat(expiry)
        if (blocked or expired) and incoming.event["type"] == "loan.checked_out":
            self.flag("PATRON_BLOCKED_AT_TIME", incoming, branches={patron.home_branch}, item=item, patron=patron,
                      note="blocked" if blocked else f"card expired on {expiry}")

    def _flag_two_loans(self, incoming: Incoming, item: ItemRow, *, earlier: LoanRow, later: LoanRow) -> None:
        sides = []
        for loan in (earlier, later):
            s = self.state(loan)
            sides.append({"loan_id": loan.id, "branch": s.get("branch"), "location": s.get("location"),
                          "card_number": s.get("card_number"), "patron_id": loan.patron_id,
                          "at": s.get("checked_out_at"), "closed_at": s.get("checked_in_at")})
        self.flag(
            "OPEN_LOAN_EXISTS",
            incoming,
            branches={s["branch"] for s in sides if s["branch"]} | {item.home_branch},
            item=item,
            sides=sides,
            note="checked out at two places; the earlier loan was closed at the later check-out",
        )

    def _close(self, loan: LoanRow, at: dt.datetime, location: str | None, how: str) -> None:
        state = self.state(loan)
        loan.is_open = False
        state["checked_in_at"] = iso_utc(at)
        state["checkin_location"] = location
        state["closed_by"] = how

    def _loans_around(self, loan_id: str, item_id: str, at: dt.datetime) -> list[LoanRow]:
        """This loan (stated again?), the item's open loan, and its loans that began after ``at``."""
        latest = self._loan_cover.get(item_id, at)
        if item_id in self._loan_cover and (latest is None or at >= latest):
            around = [loan for loan in self.rows.in_memory(LoanRow, "item_id", item_id)
                      if loan.is_open or loan.checked_out_at > at]
            same = self.loan(loan_id)
            return around + [same] if same is not None and same not in around else around
        return self.rows.select(
            LoanRow, "id = {p} OR (item_id = {p} AND (is_open = {p} OR checked_out_at > {p}))",
            [loan_id, item_id, True, _dt(at)],
        )

    def any_parked(self) -> bool:
        if self._any_parked is None:
            self._any_parked = bool(self.rows.execute("SELECT 1 FROM hub_parked_return LIMIT 1").fetchone())
        return self._any_parked

    def _unpark(self, parked: ParkedReturn) -> None:
        if parked.flagged:
            self._resolve_waiting("CHECKIN_WITHOUT_LOAN", "event", parked.event_id)
        self.rows.forget(parked)
        self._deferred.append(ParkedReturn.delete().where(ParkedReturn.event_id == parked.event_id).execute)

    def on_loan_checked_in(self, incoming: Incoming) -> None:
        p = incoming.payload
        item = self.item(p.get("item_id"), p.get("barcode"))
        if item is None:
            self.flag("ITEM_NOT_FOUND", incoming, note=f"barcode {p.get('barcode')}")
            return
        at = self.corrected(incoming, p.get("checked_in_at"))
        branch = self.location_branch(p.get("location"), incoming.branch)
        loan = self.loan(p["loan_id"]) if p.get("loan_id") else None
        if loan is None:
            loan = self.open_loan(item.id)
            if loan is not None and loan.checked_out_at > at:
                loan = None  # this return belongs to an earlier loan
        if loan is None:
            # Perhaps it ends a loan that a later check-out already closed by implication.
            loan = self.rows.one(
                LoanRow, "item_id = {p} AND checked_out_at <= {p}", [item.id, _dt(at)], "ORDER BY checked_out_at DESC"
            )
            if loan is not None and self.state(loan).get("closed_by") != "implied_by_checkout":
                loan = None
        scopes = {branch, item.home_branch}
        if loan is not None:
            state = self.state(loan)
            if loan.is_open or state.get("closed_by") == "implied_by_checkout":
                self._close(loan, at, p.get("location"), "return")
                self.touch("loan", loan, self._loan_scope(item, branch))
        elif not p.get("not_on_loan"):
            # A return waiting for its check-out. A copy the desk knew was not on loan (scanned
            # off the shelf, or received in transit) closes a loan the hub knows, but it is no
            # return to wait with: it only moves the copy.
            self._any_parked = True
            parked = ParkedReturn(event_id=incoming.event["id"], item_id=item.id, returned_at=at,
                                  branch=incoming.branch, location=p.get("location") or "", received_at=self.now,
                                  flagged=False)
            self.rows.made(ParkedReturn, "event_id", parked.event_id)
            self.rows.register(parked)
            self._deferred.append(ParkedReturn.insert(**parked.__data__).on_conflict_ignore().execute)
        if item.status == "lost":
            self.flag("COPY_STATUS_LOST", incoming, branches=scopes, item=item,
                      note="a copy marked lost was checked in; the check-in was applied")
        if self._stale(item, at, incoming):
            return  # the copy has moved on since (a later event already set its state)
        status = {"in_transit": "in_transit", "hold_shelf": "on_hold_shelf"}.get(p.get("outcome") or "", "")
        if not status:
            status = "available" if branch == item.home_branch else "in_transit"
        self._set_item(item, status=status, location=p.get("location"), at=at, branch=branch, hlc=incoming.event["hlc"])
        self._route_check(incoming, item, branch)

    def _route_check(self, incoming: Incoming, item: ItemRow, branch: str) -> None:
        if self._waiting_bibs is None:
            self._waiting_bibs = {
                b for (b,) in self.rows.execute("SELECT DISTINCT bib_id FROM hub_hold WHERE status = 'waiting'")
            }
        if not item.bib_id or item.bib_id not in self._waiting_bibs:
            return
        waiting = self.rows.one(HoldRow, "bib_id = {p} AND status = 'waiting'", [item.bib_id], "ORDER BY server_seq")
        if waiting is None:
            return
        pickup = self.state(waiting).get("pickup_branch")
        if pickup and pickup != branch and incoming.payload.get("outcome") != "in_transit":
            self.flag("ROUTE_ITEM", incoming, branches={pickup, branch}, item=item,
                      note=f"a hold waits for this title at {pickup}")

    def on_loan_renewed(self, incoming: Incoming) -> None:
        p = incoming.payload
        loan = self.loan(p["loan_id"]) if p.get("loan_id") else None
        if loan is None and p.get("barcode"):
            item = self.item(None, p["barcode"])
            if item is not None:
                loan = self.open_loan(item.id)
        if loan is None:
            self.flag("ITEM_NOT_FOUND", incoming, note=f"no loan for {p.get('barcode')}")
            return
        state = self.state(loan)
        # Renewals from every desk, counted here: each desk's own count only knows its own.
        count = int(state.get("renewal_count", state.get("renewals") or 0)) + 1
        at = self.corrected(incoming, p.get("renewed_at"))
        state["due_date"] = self.corrected_due(incoming, p.get("due_date"), p.get("renewed_at"))
        state["renewals"] = max(int(p.get("renewals", 0)), int(state.get("renewals") or 0))
        state["renewal_count"] = count
        limit = p.get("max_renewals")
        state["renewal_log"] = [*state.get("renewal_log", []), self.side(
            incoming, at, barcode=p.get("barcode") or state.get("barcode"),
            card_number=p.get("card_number") or state.get("card_number"), renewal=count, max_renewals=limit,
            seq=incoming.event["seq"], renewals=p.get("renewals"))]
        self.touch("loan", loan)
        if isinstance(limit, int) and count > limit and not p.get("limit_overridden"):
            # Renewed at two desks that were offline: each kept to the limit, together they did not.
            item = self.item(loan.item_id, None)
            self.flag("MAX_RENEWALS_REACHED", incoming,
                      branches=scope_set(loan.scope) | {state.get("branch") or ""},
                      item=item, patron=self.patron(loan.patron_id, None), sides=state["renewal_log"],
                      note=f"renewed {count} times; the limit is {limit}; the renewal was applied")

    def on_loan_corrected(self, incoming: Incoming) -> None:
        """Staff undid their last step at the desk: the loan's state becomes what they say."""
        p = incoming.payload
        loan = self.loan(p["loan_id"])
        if loan is None:
            self.flag("ITEM_NOT_FOUND", incoming, note=f"no loan {p['loan_id']} to correct")
            return
        state = self.state(loan)
        state.update(due_date=p.get("due_date", state.get("due_date")), renewals=p.get("renewals", state.get("renewals")),
                     corrected=p.get("undid"))
        if p.get("undid") == "renew":
            self._take_back_renewal(incoming, state)
        if p.get("open") and not loan.is_open:
            other = self.open_loan(loan.item_id)
            if other is None:
                loan.is_open = True
                state.update(checked_in_at=None, checkin_location=None, closed_by=None)
                item = self.item(loan.item_id, None)
                if item is not None:
                    self._set_item(item, status="on_loan", location=None, at=self.corrected(incoming, None),
                                   branch=incoming.branch, hlc=incoming.event["hlc"])
        self.touch("loan", loan)

    def _take_back_renewal(self, incoming: Incoming, state: dict[str, Any]) -> None:
        """An undone renewal comes off the loan's count. Desks now send the undo alone; older
        ones first sent a ``loan.renewed`` putting the due date back (the event just before the
        undo, from the same device, stating the renewals the undo states), which was counted as
        a renewal too: that one comes off as well."""
        log = list(state.get("renewal_log", []))
        mine = [i for i, s in enumerate(log) if s.get("device_id") == incoming.device_id]
        undone = mine[-1:]  # this desk's last renewal
        if mine and _put_back_by_undo(log[mine[-1]], incoming):
            undone = mine[-2:]
        if not mine and log:
            undone = [len(log) - 1]  # the renewal was published from elsewhere: the latest one
        count = int(state.get("renewal_count", state.get("renewals") or 0))
        state["renewal_count"] = max(0, count - (len(undone) or 1))
        state["renewal_log"] = [s for i, s in enumerate(log) if i not in undone]

    # -- holds ------------------------------------------------------------------------

    def on_hold_placed(self, incoming: Incoming) -> None:
        p = incoming.payload
        pickup_branch = self.location_branch(p.get("pickup_location"), incoming.branch)
        self.ensure_location(p.get("pickup_location"), pickup_branch)
        row = self.rows.get(HoldRow, p["hold_id"])
        if row is None:
            row = self.new_row(HoldRow, id=p["hold_id"], bib_id=p.get("bib_id", ""), patron_id=p.get("patron_id", ""))
            row._state = {
                "id": p["hold_id"],
                "bib_id": p.get("bib_id"),
                "patron_id": p.get("patron_id"),
                "card_number": p.get("card_number"),
                "pickup_location": p.get("pickup_location"),
                "pickup_branch": pickup_branch,
                "status": p.get("status") or "waiting",
                "item_id": p.get("item_id"),
                "barcode": p.get("barcode"),
                "placed_at": iso_utc(self.corrected(incoming, p.get("placed_at"))),
                "ready_at": None,
                "closed_at": None,
            }
            row.status = row._state["status"]
            if self._waiting_bibs is not None and row.status == "waiting":
                self._waiting_bibs.add(row.bib_id)
            self.touch("hold", row, {pickup_branch, incoming.branch})

    on_hold_published = on_hold_placed

    def _hold(self, incoming: Incoming) -> HoldRow | None:
        row = self.rows.get(HoldRow, incoming.payload["hold_id"])
        if row is None:
            self.flag("INVALID_PAYLOAD", incoming, note=f"hold {incoming.payload['hold_id']} is not known")
        else:
            self.state(row)
        return row

    def on_hold_ready(self, incoming: Incoming) -> None:
        row = self._hold(incoming)
        if row is None:
            return
        p = incoming.payload
        at = self.corrected(incoming, None)
        state = self.state(row)
        item = self.item(p.get("item_id"), p.get("barcode"))
        if row.status == "ready" and state.get("item_id") not in (None, p.get("item_id")):
            # Captured twice (two copies set aside at two desks): the earlier capture wins.
            first_item = self.item(state.get("item_id"), state.get("barcode"))
            mine_first = row.ready_at is not None and at < row.ready_at
            loser = first_item if mine_first else item
            sides = [
                {"item_id": state.get("item_id"), "barcode": state.get("barcode"), "at": state.get("ready_at"),
                 "branch": state.get("ready_branch")},
                {"item_id": p.get("item_id"), "barcode": p.get("barcode"), "at": iso_utc(at), "branch": incoming.branch},
            ]
            if mine_first:
                self._capture(row, p, at, incoming.branch)
            if loser is not None:
                home_here = loser.home_branch == self.state(loser).get("current_branch")
                self._set_item(loser, status="available" if home_here else "in_transit", location=None, at=at,
                               branch=incoming.branch, hlc=incoming.event["hlc"])
            self.flag("HOLD_CAPTURE_CONFLICT", incoming, branches={state.get("pickup_branch"), incoming.branch},
                      item=item, sides=sides,
                      note="one hold was filled by two copies; the earlier capture keeps it, the other copy is routed")
            self.touch("hold", row, {incoming.branch})
            return
        self._capture(row, p, at, incoming.branch)
        if item is not None:
            self._set_item(item, status="on_hold_shelf", location=None, at=at, branch=incoming.branch,
                           hlc=incoming.event["hlc"])
        self.touch("hold", row, {incoming.branch})

    def _capture(self, row: HoldRow, p: dict[str, Any], at: dt.datetime, branch: str) -> None:
        state = self.state(row)
        state.update(status="ready", item_id=p.get("item_id"), barcode=p.get("barcode"), ready_at=iso_utc(at),
                     ready_branch=branch)
        row.status = "ready"
        row.ready_at = at

    def on_hold_filled(self, incoming: Incoming) -> None:
        row = self._hold(incoming)
        if row is not None:
            self.state(row).update(status="filled", closed_at=iso_utc(self.corrected(incoming, None)),
                                   loan_id=incoming.payload.get("loan_id"))
            row.status = "filled"
            self.touch("hold", row)

    def on_hold_expired(self, incoming: Incoming) -> None:
        row = self._hold(incoming)
        if row is not None:
            self.state(row).update(status="expired", closed_at=iso_utc(self.corrected(incoming, None)))
            row.status = "expired"
            self.touch("hold", row)

    def on_hold_cancelled(self, incoming: Incoming) -> None:
        row = self._hold(incoming)
        if row is not None:
            self.state(row).update(status="cancelled", closed_at=iso_utc(self.corrected(incoming, None)),
                                   reason=incoming.payload.get("reason", ""))
            row.status = "cancelled"
            self.touch("hold", row)

    # -- resolutions ------------------------------------------------------------------

    def on_conflict_resolved(self, incoming: Incoming) -> None:
        p = incoming.payload
        row = self.rows.get(ConflictRow, p["conflict_id"])
        if row is None:
            raise InvalidPayload(f"conflict {p['conflict_id']} is not known")
        state = self.state(row)
        if state.get("status") == "resolved":
            return  # resolved at another desk already: the first resolution stands
        action = p.get("action", "accept")
        if action == "merge":
            self._merge_patrons(p["keep_patron_id"], p["merge_patron_id"], incoming)
        elif action == "cancel_hold" and p.get("hold_id"):
            hold = self.rows.get(HoldRow, p["hold_id"])
            if hold is not None:
                self.state(hold).update(status="cancelled", closed_at=iso_utc(self.now), reason="conflict")
                hold.status = "cancelled"
                self.touch("hold", hold)
        elif action == "check_shelf" and (state.get("item") or {}).get("id"):
            item = self.item(state["item"]["id"], None)
            if item is not None:
                self.state(item)["check_shelf"] = True
                self.touch("item", item)
        state.update(
            status="resolved",
            resolution={"action": action, "note": p.get("note", ""), "branch": incoming.branch,
                        "at": iso_utc(self.corrected(incoming, None)), "by": p.get("by", "")},
        )
        row.status = "resolved"
        self.touch("conflict", row)

    def _merge_patrons(self, keep_id: str, merge_id: str, incoming: Incoming) -> None:
        keep = self.patron(keep_id, None)
        merged = self.patron(merge_id, None)
        if keep is None or merged is None:
            raise InvalidPayload("both readers of a merge must be known")
        for loan in self.rows.select(LoanRow, "patron_id = {p}", [merged.id]):
            self.state(loan).update(patron_id=keep.id, card_number=keep.card_number)
            loan.patron_id = keep.id
            self.touch("loan", loan)
        for hold in self.rows.select(HoldRow, "patron_id = {p}", [merged.id]):
            self.state(hold).update(patron_id=keep.id, card_number=keep.card_number)
            hold.patron_id = keep.id
            self.touch("hold", hold)
        self.state(merged).update(status="returned", merged_into=keep.id)
        self.touch("patron", merged)

    def _resolve_waiting(self, code: str, what: str, ident: str, card: str = "") -> None:
        """A conflict that only waited for a missing fact closes itself when the fact arrives."""
        if self._open_codes is None:
            self._open_codes = {
                c for (c,) in self.rows.execute("SELECT DISTINCT code FROM hub_conflict WHERE status = 'open'")
            }
        if code not in self._open_codes:
            return
        if code not in self._waiting:
            self._waiting[code] = self.rows.select(ConflictRow, "code = {p} AND status = 'open'", [code])
        for row in self._waiting[code]:
            if row.status != "open":
                continue
            state = self.state(row)
            hit = (what == "patron" and any(
                s.get("patron_id") == ident or (card and s.get("card_number") == card) for s in state["sides"]
            )) or (
                what == "event" and any(s.get("event_id") == ident for s in state["sides"])
            )
            if hit:
                state.update(status="resolved", resolution={"action": "automatic", "note": "the missing record arrived",
                                                            "at": iso_utc(self.now)})
                row.status = "resolved"
                self.touch("conflict", row)

    # -- housekeeping -----------------------------------------------------------------

    def flag_stale_returns(self) -> None:
        """Check-ins still without their check-out after a while become CHECKIN_WITHOUT_LOAN."""
        limit = self.now - CHECKIN_WITHOUT_LOAN_AFTER
        for parked in self.rows.select(ParkedReturn, "flagged = {p} AND received_at < {p}",
                                       [False, ParkedReturn.received_at.db_value(limit)]):
            item = self.item(parked.item_id, None)
            fake = Incoming(
                {"id": parked.event_id, "type": "loan.checked_in", "branch": parked.branch, "seq": 0, "hlc": 0,
                 "created_at": iso_utc(parked.returned_at), "payload": {"location": parked.location}},
                device_id="",
                offset=dt.timedelta(0),
                at=parked.returned_at,
            )
            saved = self.outcome
            self.flag("CHECKIN_WITHOUT_LOAN", fake, branches={parked.branch}, item=item,
                      sides=[{"event_id": parked.event_id, "branch": parked.branch, "at": iso_utc(parked.returned_at),
                              "location": parked.location}],
                      note="a check-in matched no loan, and no check-out arrived")
            self.outcome = saved
            parked.flagged = True
            self.rows.deferred.append(
                ParkedReturn.update(flagged=True).where(ParkedReturn.event_id == parked.event_id).execute
            )


def _dt(value: dt.datetime) -> Any:
    """A time as the database stores it (the same conversion peewee applies)."""
    return LoanRow.checked_out_at.db_value(value)


def _item_summary(state: dict[str, Any]) -> dict[str, Any]:
    return {k: state.get(k) for k in ("id", "barcode", "bib_id", "home_branch", "current_branch", "status")}


def _patron_summary(state: dict[str, Any]) -> dict[str, Any]:
    return {k: state.get(k) for k in ("id", "card_number", "name", "home_branch", "status")}


def hub_hlc_after(events_hlc: list[int], now_ms: int) -> int:
    """The hub's clock after seeing a batch: its own time, or later stamps it can trust."""
    from sync.hlc import ClockDriftError, HybridClock

    clock = HybridClock(int(get_meta("hlc")))
    clock.tick(now_ms)
    for stamp in events_hlc:
        try:
            clock.merge(stamp, now_ms)
        except ClockDriftError:
            continue  # one bad clock must not drag the whole county's clock forward
    set_meta("hlc", str(clock.last))
    return clock.last


def _put_back_by_undo(side: dict[str, Any], undo: Incoming) -> bool:
    """The logged renewal is the due date an older desk's undo put back just before ``undo``."""
    return (side.get("type") == "loan.renewed" and side.get("max_renewals") is None
            and side.get("seq") == undo.event["seq"] - 1 and side.get("renewals") == undo.payload.get("renewals"))


def _payload_keys(payload: Any, keys: dict[str, set[str]]) -> None:
    """The rows a payload names, by kind (what :meth:`Fold.prefetch` reads in bulk)."""
    if not isinstance(payload, dict):
        return

    def add(kind: str, value: Any) -> None:
        if isinstance(value, str) and value:
            keys[kind].add(value)

    for name, kind in (("item_id", "item"), ("barcode", "barcode"), ("patron_id", "patron"),
                       ("keep_patron_id", "patron"), ("merge_patron_id", "patron"), ("card_number", "card"),
                       ("old_card_number", "card"), ("loan_id", "loan"), ("bib_id", "bib"), ("hold_id", "hold"),
                       ("conflict_id", "conflict"), ("code", "location"), ("location", "location"),
                       ("pickup_location", "location")):
        add(kind, payload.get(name))
    for line in payload.get("items") or ():  # deposit collections
        if isinstance(line, dict):
            add("item", line.get("item_id"))
            add("barcode", line.get("barcode"))
            add("location", line.get("to"))
    for nested, fields in (
        ("item", (("id", "item"), ("barcode", "barcode"), ("home_location", "location"),
                  ("current_location", "location"))),
        ("patron", (("id", "patron"), ("card_number", "card"), ("id_number_hash", "id_hash"))),
        ("bib", (("id", "bib"),)),
        ("branch", (("code", "location"),)),
        ("location", (("code", "location"),)),
        ("collection", (("location", "location"),)),
        ("changes", (("id_number_hash", "id_hash"),)),
    ):
        inner = payload.get(nested)
        if isinstance(inner, dict):
            for name, kind in fields:
                add(kind, inner.get(name))
