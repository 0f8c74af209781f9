"""What the hub does for each request, free of HTTP: push, pull, snapshot, info, enrol.

Each function runs on a request-scoped connection opened by the caller (``app.py``) and
returns a JSON-ready dict or raises :class:`Refusal`, which the app turns into an answer.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from typing import Any
from zoneinfo import ZoneInfo

from sync.codec import PROTOCOL_VERSION, content_hash, envelope_problems, iso_utc, parse_utc
from sync.hlc import HybridClock
from sync.hub import devices
from sync.hub.devices import AuthProblem, Caller
from sync.hub.fold import Fold, Incoming, hub_hlc_after
from sync.hub.storage import (
    KIND_ORDER,
    PROJECTIONS,
    Device,
    Event,
    EventAlias,
    Mark,
    get_meta,
    hub_db,
    serialised,
    utcnow,
)

MAX_BATCH_EVENTS = 1000
MAX_BODY_COMPRESSED = 1 << 20  # what may arrive on the wire
MAX_BODY_BYTES = 8 << 20  # what it may grow to once decompressed
MAX_PULL_LIMIT = 5000
# A device claiming its clock is off by more than this is not believed: its events keep their times.
MAX_CLAIMED_OFFSET = dt.timedelta(days=400)
TIMEZONE = ZoneInfo(os.environ.get("COUNTYLIB_HUB_TIMEZONE", "Asia/Shanghai"))


class Refusal(Exception):
    """The request is refused as a whole; nothing of it was stored."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.extra}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def clock_fields() -> dict[str, Any]:
    """Hub time and HLC, carried by every answer so clients can estimate their offset."""
    ms = now_ms()
    hlc = HybridClock(int(get_meta("hlc"))).tick(ms)
    return {"hub_time_ms": ms, "hub_time": iso_utc(dt.datetime.fromtimestamp(ms / 1000, dt.UTC)), "hub_hlc": hlc}


# -- info and enrolment --------------------------------------------------------------------


def info(caller: Caller, epoch: str | None) -> dict[str, Any]:
    device = caller.device
    last = 0
    if epoch:
        mark = Mark.get_or_none((Mark.device_id == device.id) & (Mark.epoch == epoch))
        last = mark.last_seq if mark is not None else 0
    answer = {
        "protocol": PROTOCOL_VERSION,
        "hub_epoch": get_meta("epoch"),
        "server_seq": int(get_meta("server_seq")),
        "device": {"id": device.id, "branch": device.branch, "name": device.name, "epoch": epoch, "last_seq": last},
        **clock_fields(),
    }
    new_token = devices.rotate_if_due(caller)
    if new_token:
        answer["new_token"] = new_token
    return answer


def enrol(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("code"), str) or not isinstance(body.get("device_id"), str):
        raise Refusal(400, "malformed", "enrolment needs code and device_id")
    if not 8 <= len(body["device_id"]) <= 64:
        raise Refusal(400, "malformed", "device_id must be 8 to 64 characters")
    with serialised():
        enrolled = devices.enrol(body["code"], body["device_id"], str(body.get("branch") or ""), str(body.get("name") or ""))
        known = Event.select().where(Event.branch == enrolled.branch).exists()
    return {
        "device_id": enrolled.device_id,
        "branch": enrolled.branch,
        "token": enrolled.token,
        "hub_epoch": get_meta("epoch"),
        "branch_known": known,
        "id_hash_key": get_meta("id_hash_key"),
        **clock_fields(),
    }


# -- push ------------------------------------------------------------------------------------


def _check_batch(caller: Caller, body: Any) -> tuple[str, list[dict[str, Any]], dt.timedelta]:
    if not isinstance(body, dict):
        raise Refusal(400, "malformed", "the body must be a JSON object")
    if body.get("protocol") != PROTOCOL_VERSION:
        raise Refusal(400, "protocol", f"this hub speaks protocol {PROTOCOL_VERSION}", protocol=PROTOCOL_VERSION)
    device = caller.device
    if body.get("device") != device.id:
        raise Refusal(403, "wrong_device", "a device may only push its own events")
    epoch = body.get("epoch")
    events = body.get("events")
    if not isinstance(epoch, str) or not epoch:
        raise Refusal(400, "malformed", "epoch is missing")
    if not isinstance(events, list) or not events:
        raise Refusal(400, "malformed", "events must be a non-empty list")
    if len(events) > MAX_BATCH_EVENTS:
        raise Refusal(413, "batch_too_long", f"at most {MAX_BATCH_EVENTS} events per batch", max_events=MAX_BATCH_EVENTS)
    seen: set[str] = set()
    for index, event in enumerate(events):
        problems = envelope_problems(event)
        if problems:
            raise Refusal(400, "malformed", f"event {index}: " + "; ".join(problems), index=index)
        if event["device_id"] != device.id:
            raise Refusal(403, "wrong_device", f"event {index} was recorded by another device", index=index)
        if event["branch"] != device.branch:
            raise Refusal(
                403, "wrong_branch", f"event {index} is for branch {event['branch']}; this device is {device.branch}",
                index=index,
            )
        if event["epoch"] != epoch:
            raise Refusal(400, "malformed", f"event {index} is of another epoch", index=index)
        if index and event["seq"] != events[index - 1]["seq"] + 1:
            raise Refusal(400, "malformed", "events must be in consecutive seq order", index=index)
        if event["id"] in seen:
            raise Refusal(400, "malformed", f"event {index} repeats an id in this batch", index=index)
        seen.add(event["id"])
    offset_ms = body.get("clock_offset_ms", 0)
    if not isinstance(offset_ms, int) or isinstance(offset_ms, bool):
        raise Refusal(400, "malformed", "clock_offset_ms must be an integer")
    offset = dt.timedelta(milliseconds=offset_ms)
    if abs(offset) > MAX_CLAIMED_OFFSET:
        offset = dt.timedelta(0)
    return epoch, events, offset


def push(caller: Caller, body: Any, *, hold_seconds: float = 0.0, allow_revoked: bool = False) -> dict[str, Any]:
    epoch, events, offset = _check_batch(caller, body)
    device_id = caller.device.id
    results: list[dict[str, Any]] = []
    with serialised():
        device = Device.get_by_id(device_id)  # revoked since the request began?
        if device.revoked_at is not None and not allow_revoked:
            raise AuthProblem(403, "device_revoked", "this device was revoked by the hub admin")
        mark = Mark.get_or_none((Mark.device_id == device_id) & (Mark.epoch == epoch))
        last = mark.last_seq if mark is not None else 0
        first = events[0]["seq"]
        if first > last + 1:
            raise Refusal(409, "gap", f"expected seq {last + 1}, got {first}", next_expected_seq=last + 1)
        hashes = [content_hash(e) for e in events]
        stored = {e.id: e for e in Event.select().where(Event.id.in_([e["id"] for e in events]))}
        already = [(e, h) for e, h in zip(events, hashes) if e["seq"] <= last]
        if already:
            _check_reuse(device_id, epoch, already, stored)
        now = utcnow()
        fold = Fold(now=now, timezone=TIMEZONE, seq=int(get_meta("server_seq")))
        fold.prefetch([e for e in events if e["seq"] > last and e["id"] not in stored])
        floor = device.last_event_at
        rows: list[dict[str, Any]] = []
        aliases: list[dict[str, Any]] = []
        for event, digest in zip(events, hashes):
            old = stored.get(event["id"])
            if event["seq"] <= last or old is not None:
                if old.content_hash != digest:
                    raise Refusal(409, "event_id_reuse", f"event {event['id']} was stored with other content")
                if event["seq"] > last:  # a restored branch re-sending under its new epoch
                    aliases.append({"device_id": device_id, "epoch": epoch, "seq": event["seq"], "event_id": old.id})
                    last = event["seq"]
                results.append({"id": event["id"], "seq": event["seq"], "status": "duplicate",
                                "result": old.result, "code": old.code, "ticket": old.ticket})
                continue
            # Corrected time: the device's clock plus the offset measured at this sync, never
            # before its own previous event (a clock set back keeps the device's order) and
            # never after the hub received it.
            corrected = parse_utc(event["created_at"]) + offset
            if floor is not None and corrected < floor:
                corrected = floor
            corrected = min(corrected, now)
            floor = corrected
            outcome = fold.apply(Incoming(event, device_id, offset, corrected))
            rows.append(
                {
                    "id": event["id"],
                    "device_id": device_id,
                    "epoch": epoch,
                    "seq": event["seq"],
                    "branch": event["branch"],
                    "type": event["type"],
                    "hlc": event["hlc"],
                    "created_at": parse_utc(event["created_at"]),
                    "corrected_at": corrected,
                    "payload": json.dumps(event["payload"], ensure_ascii=False, separators=(",", ":")),
                    "content_hash": digest,
                    "received_at": now,
                    "result": outcome.result,
                    "code": outcome.code,
                    "ticket": outcome.ticket,
                }
            )
            results.append({"id": event["id"], "seq": event["seq"], "status": outcome.result,
                             "code": outcome.code, "ticket": outcome.ticket})
            last = event["seq"]
        fold.flag_stale_returns()
        fold.finish()
        fold.rows.insert_many(Event, rows)
        if aliases:
            EventAlias.insert_many(aliases).on_conflict_ignore().execute()
        if floor is not None and floor != device.last_event_at:
            Device.update(last_event_at=floor).where(Device.id == device_id).execute()
        if mark is None:
            Mark.create(device_id=device_id, epoch=epoch, last_seq=last, updated_at=now)
        else:
            Mark.update(last_seq=last, updated_at=now).where(
                (Mark.device_id == device_id) & (Mark.epoch == epoch)
            ).execute()
        hub_hlc = hub_hlc_after([e["hlc"] for e in events], now_ms())
        if hold_seconds:
            time.sleep(hold_seconds)  # test hook: lets a test kill the hub mid-transaction
    answer = {"acked_through": last, "results": results, "hub_epoch": get_meta("epoch"), **clock_fields()}
    answer["hub_hlc"] = max(answer["hub_hlc"], hub_hlc)
    return answer


def _check_reuse(device_id: str, epoch: str, already: list[tuple[dict, str]], stored: dict[str, Event]) -> None:
    """Events at or below the mark must be exactly what was stored there."""
    seqs = [e["seq"] for e, _ in already]
    at_address = {
        e.seq: e.id
        for e in Event.select(Event.seq, Event.id).where(
            (Event.device_id == device_id) & (Event.epoch == epoch) & (Event.seq.between(min(seqs), max(seqs)))
        )
    }
    for alias in EventAlias.select().where(
        (EventAlias.device_id == device_id) & (EventAlias.epoch == epoch) & (EventAlias.seq.between(min(seqs), max(seqs)))
    ):
        at_address[alias.seq] = alias.event_id
    for event, digest in already:
        old = stored.get(event["id"])
        if at_address.get(event["seq"]) != event["id"] or old is None or old.content_hash != digest:
            raise Refusal(
                409, "seq_reuse", f"seq {event['seq']} of this epoch was already used by another event: take a new epoch",
                seq=event["seq"],
            )


# -- pull and snapshot ------------------------------------------------------------------------


def _scope_sql(branch: str) -> tuple[str, str]:
    return "(scope = '*' OR scope LIKE {p})", f"%|{branch}|%"


def pull(caller: Caller, cursor: int, limit: int, epoch: str | None) -> bytes:
    """Changed rows after ``cursor`` in server_seq order, as a ready JSON body."""
    hub_epoch = get_meta("epoch")
    if epoch and epoch != hub_epoch:
        return _json({"reset": True, "reason": "hub_epoch_changed", "hub_epoch": hub_epoch, **clock_fields()})
    limit = max(1, min(limit, MAX_PULL_LIMIT))
    top = int(get_meta("server_seq"))  # every row at or below it is committed (same transaction)
    if cursor > top:
        return _json({"reset": True, "reason": "cursor_ahead", "hub_epoch": hub_epoch, **clock_fields()})
    p = hub_db.obj.param
    scope, pattern = _scope_sql(caller.device.branch)
    parts, params = [], []
    for kind in KIND_ORDER:
        model = PROJECTIONS[kind]
        pk = model._meta.primary_key.column_name
        parts.append(
            f"SELECT * FROM (SELECT '{kind}' AS kind, {pk} AS id, data, server_seq FROM {model._meta.table_name}"
            f" WHERE server_seq > {p} AND server_seq <= {p} AND {scope.format(p=p)}"
            f" ORDER BY server_seq LIMIT {p}) AS {kind}_part"
        )
        params += [cursor, top, pattern, limit + 1]
    sql = " UNION ALL ".join(parts) + f" ORDER BY server_seq LIMIT {p}"
    rows = hub_db.execute_sql(sql, params + [limit + 1]).fetchall()
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = rows[-1][3] if has_more else top
    head = {"reset": False, "cursor": cursor, "next_cursor": next_cursor, "has_more": has_more, "hub_epoch": hub_epoch,
            **clock_fields()}
    return _with_changes(head, rows)


def snapshot(caller: Caller, cursor: int | None, after: str | None, limit: int) -> bytes:
    """Every row in the device's scope, kind by kind in dependency order, as of ``cursor``.

    The first page fixes the cursor; the client passes it back for the next pages and,
    once ``has_more`` is false, pulls from it. Rows changed after the cursor are left to
    the pull, so the snapshot is one consistent cut."""
    hub_epoch = get_meta("epoch")
    if cursor is None:
        cursor = int(get_meta("server_seq"))
    limit = max(1, min(limit, MAX_PULL_LIMIT))
    kind, _, after_id = (after or f"{KIND_ORDER[0]}:").partition(":")
    if kind not in PROJECTIONS:
        raise Refusal(400, "malformed", "after must be kind:id")
    p = hub_db.obj.param
    scope, pattern = _scope_sql(caller.device.branch)
    rows: list[tuple] = []
    for name in KIND_ORDER[KIND_ORDER.index(kind) :]:
        model = PROJECTIONS[name]
        pk = model._meta.primary_key.column_name
        start = after_id if name == kind else ""
        want = limit + 1 - len(rows)
        rows += hub_db.execute_sql(
            f"SELECT '{name}', {pk}, data, server_seq FROM {model._meta.table_name}"
            f" WHERE {pk} > {p} AND server_seq <= {p} AND {scope.format(p=p)} ORDER BY {pk} LIMIT {p}",
            [start, cursor, pattern, want],
        ).fetchall()
        if len(rows) > limit:
            break
    has_more = len(rows) > limit
    rows = rows[:limit]
    head = {"cursor": cursor, "has_more": has_more, "after": f"{rows[-1][0]}:{rows[-1][1]}" if has_more else None,
            "hub_epoch": hub_epoch, **clock_fields()}
    return _with_changes(head, rows)


def _json(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _with_changes(head: dict[str, Any], rows: list[tuple]) -> bytes:
    """Splice the stored JSON of each row in as it is: no decode and re-encode per row."""
    items = ",".join(
        '{"seq":%d,"kind":"%s","id":%s,"data":%s}' % (row[3], row[0], json.dumps(row[1]), row[2]) for row in rows
    )
    return _json(head)[:-1] + b',"changes":[' + items.encode("utf-8") + b"]}"
