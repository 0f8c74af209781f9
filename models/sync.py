"""The outbox of domain events and this device's sync state."""

from __future__ import annotations

import peewee as pw

from models.base import BaseModel, JSONField
from models.org import utcnow


class Outbox(BaseModel):
    """One domain event, written in the same transaction as the change it describes."""

    id = pw.CharField(primary_key=True, max_length=36)  # event id (UUIDv7)
    device_id = pw.CharField(max_length=64)
    epoch = pw.CharField(max_length=36)
    seq = pw.IntegerField()  # gapless per (device, epoch)
    hlc = pw.BigIntegerField(index=True)
    branch = pw.CharField(max_length=16)
    type = pw.CharField(max_length=64)
    payload = JSONField()
    schema_version = pw.SmallIntegerField(default=1)
    created_at = pw.DateTimeField(default=utcnow)
    acked_at = pw.DateTimeField(null=True, index=True)

    class Meta:
        indexes = ((("epoch", "seq"), True),)


class SyncState(BaseModel):
    """A single row (id = 1): who this device is to the hub and how far it has synced."""

    id = pw.IntegerField(primary_key=True, default=1)
    device_id = pw.CharField(max_length=64)
    epoch = pw.CharField(max_length=36)
    next_seq = pw.IntegerField(default=1)
    hlc = pw.BigIntegerField(default=0)
    hub_url = pw.CharField(default="")
    hub_cursor = pw.BigIntegerField(default=0)
    enrolled_at = pw.DateTimeField(null=True)
    last_sync_at = pw.DateTimeField(null=True)
    last_error = pw.TextField(default="")
    clock_offset_ms = pw.IntegerField(default=0)
