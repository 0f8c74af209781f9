"""Recording domain events in the outbox, in the transaction of the change they describe.

An event: id (UUIDv7), device id, epoch, seq (gapless per device and epoch), HLC stamp,
branch, type ("loan.checked_out"), payload (JSON), schema version. Events are facts:
never edited, only acknowledged by the hub.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import peewee as pw

from models import Outbox, SyncState
from models.base import db
from models.ids import new_id, new_ids
from sync.hlc import HybridClock

EVENT_SCHEMA_VERSION = 1


class OutboxMisuse(RuntimeError):
    """An event was recorded outside a transaction: it could outlive a failed change."""


def sync_state() -> SyncState | None:
    """This device's identity and sync progress (None before the database is set up)."""
    return SyncState.get_or_none(SyncState.id == 1)


def hub_url() -> str:
    """The central library this device is enrolled with; "" before enrolment."""
    state = sync_state()
    return state.hub_url if state is not None else ""


def is_enrolled() -> bool:
    return bool(hub_url())


def ensure_sync_state(device_id: str | None = None) -> SyncState:
    """The device's identity row, made once when the database is set up."""
    state = SyncState.get_or_none(SyncState.id == 1)
    if state is None:
        state = SyncState.create(id=1, device_id=device_id or new_id(), epoch=new_id())
    return state


# The desk records an event with every loan: plain SQL here costs a third of peewee's
# query building, which matters at a p50 target of 1 ms per check-out.
_READ_STATE = "SELECT device_id, epoch, next_seq, hlc FROM sync_state WHERE id = 1"
_INSERT_EVENT = (
    "INSERT INTO outbox (id, device_id, epoch, seq, hlc, branch, type, payload, schema_version, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_ADVANCE_STATE = "UPDATE sync_state SET next_seq = ?, hlc = ? WHERE id = 1"


def record_event(
    event_type: str,
    payload: dict[str, Any],
    *,
    branch: str,
    now: dt.datetime,
    database: pw.Database = db,
) -> Outbox:
    """Append one event; must run inside the service's transaction (seq stays gapless)."""
    if not database.in_transaction():
        raise OutboxMisuse(f"{event_type} recorded outside a transaction")
    cursor = database.cursor()
    device_id, epoch, seq, last_hlc = cursor.execute(_READ_STATE).fetchone()
    stamp = HybridClock(last_hlc).tick(int(now.timestamp() * 1000))
    event = Outbox(
        id=new_id(),
        device_id=device_id,
        epoch=epoch,
        seq=seq,
        hlc=stamp,
        branch=branch,
        type=event_type,
        payload=payload,
        schema_version=EVENT_SCHEMA_VERSION,
        created_at=now.astimezone(dt.UTC).replace(tzinfo=None),
    )
    cursor.execute(
        _INSERT_EVENT,
        (
            event.id,
            device_id,
            epoch,
            seq,
            stamp,
            branch,
            event_type,
            Outbox.payload.db_value(payload),
            EVENT_SCHEMA_VERSION,
            event.created_at.isoformat(sep=" "),
        ),
    )
    cursor.execute(_ADVANCE_STATE, (seq + 1, stamp))
    return event


# SQLite's default limit on host parameters per statement is 32,766.
_MAX_PARAMETERS = 30_000
_EVENT_COLUMNS = 10


def record_events(
    events: list[tuple[str, dict[str, Any]]],
    *,
    branch: str,
    now: dt.datetime,
    database: pw.Database = db,
) -> int:
    """``record_event`` for a batch (an import): the same envelope, gapless seq and HLC
    ticks, but the state read once and the events inserted a few thousand per statement."""
    if not events:
        return 0
    if not database.in_transaction():
        raise OutboxMisuse(f"{events[0][0]} recorded outside a transaction")
    cursor = database.cursor()
    device_id, epoch, seq, last_hlc = cursor.execute(_READ_STATE).fetchone()
    clock = HybridClock(last_hlc)
    stamps = clock.ticks(int(now.timestamp() * 1000), len(events))
    created = now.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    as_json = Outbox.payload.db_value
    rows = [
        (event_id, device_id, epoch, seq + n, stamp, branch, event_type, as_json(payload), EVENT_SCHEMA_VERSION, created)
        for n, (event_id, stamp, (event_type, payload)) in enumerate(zip(new_ids(len(events)), stamps, events))
    ]
    per = _MAX_PARAMETERS // _EVENT_COLUMNS
    one = "(" + ",".join("?" * _EVENT_COLUMNS) + ")"
    head = _INSERT_EVENT.split(" VALUES ")[0]
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        cursor.execute(f"{head} VALUES {','.join([one] * len(chunk))}", [v for row in chunk for v in row])
    cursor.execute(_ADVANCE_STATE, (seq + len(rows), clock.last))
    return len(rows)


def pending_events(limit: int = 500) -> list[Outbox]:
    return list(Outbox.select().where(Outbox.acked_at.is_null()).order_by(Outbox.seq).limit(limit))


def pending_count() -> int:
    return Outbox.select().where(Outbox.acked_at.is_null()).count()


def rewrite_unsent(replacements: dict[str, str]) -> int:
    """Replace values inside the payloads of events no hub has received yet.

    The one exception to "events are never edited": when a library first enrols and takes
    the county's ID-number key, the hashes in its queued registrations must be the county's,
    or the hub could never match them. Acknowledged events are left alone. Runs in the
    caller's transaction; returns how many events changed.
    """
    if not replacements:
        return 0

    def swap(value: Any) -> Any:
        if isinstance(value, str):
            return replacements.get(value, value)
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        return value

    changed = 0
    for event_id, payload in Outbox.select(Outbox.id, Outbox.payload).where(Outbox.acked_at.is_null()).tuples():
        new = swap(payload)
        if new != payload:
            Outbox.update(payload=new).where(Outbox.id == event_id).execute()
            changed += 1
    return changed


def prune_acknowledged(before: dt.datetime, *, keep_types_like: str | None = None) -> int:
    """Delete events the hub acknowledged before ``before`` (naive UTC, as stored); returns
    how many went.

    Acknowledged events are kept for a while so a restored hub can be refilled (SYNC.md,
    "Restores"); after that they are only a copy of what the hub holds — and registrations
    carry readers' names and phone numbers, which should not linger on a laptop. Types
    matching ``keep_types_like`` (an SQL LIKE pattern) stay.
    """
    query = Outbox.delete().where(Outbox.acked_at.is_null(False) & (Outbox.acked_at < before))
    if keep_types_like:
        query = query.where(~(Outbox.type ** keep_types_like))
    return query.execute()
