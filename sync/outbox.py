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
from models.ids import new_id
from sync.hlc import HybridClock

EVENT_SCHEMA_VERSION = 1


class OutboxMisuse(RuntimeError):
    """An event was recorded outside a transaction: it could outlive a failed change."""


def ensure_sync_state(device_id: str | None = None) -> SyncState:
    """The device's identity row, made once when the database is set up."""
    state = SyncState.get_or_none(SyncState.id == 1)
    if state is None:
        state = SyncState.create(id=1, device_id=device_id or new_id(), epoch=new_id())
    return state


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
    state = SyncState.get_by_id(1)
    clock = HybridClock(state.hlc)
    stamp = clock.tick(int(now.timestamp() * 1000))
    event = Outbox.create(
        id=new_id(),
        device_id=state.device_id,
        epoch=state.epoch,
        seq=state.next_seq,
        hlc=stamp,
        branch=branch,
        type=event_type,
        payload=payload,
        schema_version=EVENT_SCHEMA_VERSION,
        created_at=now.astimezone(dt.UTC).replace(tzinfo=None),
    )
    SyncState.update(next_seq=SyncState.next_seq + 1, hlc=stamp).where(SyncState.id == 1).execute()
    return event


def pending_events(limit: int = 500) -> list[Outbox]:
    return list(Outbox.select().where(Outbox.acked_at.is_null()).order_by(Outbox.seq).limit(limit))


def pending_count() -> int:
    return Outbox.select().where(Outbox.acked_at.is_null()).count()
