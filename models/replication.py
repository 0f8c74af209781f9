"""What a branch keeps about its replication with the hub, beside ``SyncState``."""

from __future__ import annotations

import peewee as pw

from models.base import BaseModel, JSONField
from models.org import utcnow


class ReplicaState(BaseModel):
    """A single row (id = 1): the hub epoch the cursor belongs to, bootstrap and publishing."""

    id = pw.IntegerField(primary_key=True, default=1)
    hub_epoch = pw.CharField(default="", max_length=36)
    bootstrapped_at = pw.DateTimeField(null=True)  # the snapshot has been applied
    snapshot_cursor = pw.BigIntegerField(null=True)  # a bootstrap in progress pages from here
    snapshot_after = pw.CharField(null=True)
    published_at = pw.DateTimeField(null=True)  # pre-existing data sent at the first sync
    last_result = JSONField(null=True)  # the last sync's summary, for the status bar


class Conflict(BaseModel):
    """A conflict the hub detected that concerns this branch (id = the hub's ticket)."""

    id = pw.CharField(primary_key=True, max_length=36)
    code = pw.CharField(max_length=32, index=True)
    status = pw.CharField(default="open", max_length=16, index=True)
    data = JSONField()  # both sides, the item or reader, the actions that fit
    detected_at = pw.DateTimeField(index=True)
    resolved_at = pw.DateTimeField(null=True)
    resolution_sent = pw.BooleanField(default=False)  # resolved here, waiting for the hub


class PendingChange(BaseModel):
    """A pulled row whose references have not arrived yet; retried after every page."""

    kind = pw.CharField(max_length=16)
    entity_id = pw.CharField(max_length=40)
    server_seq = pw.BigIntegerField()
    data = JSONField()
    reason = pw.CharField(default="")

    class Meta:
        primary_key = pw.CompositeKey("kind", "entity_id")


class SyncRun(BaseModel):
    """One sync attempt, for the Sync screen's history."""

    started_at = pw.DateTimeField(default=utcnow, index=True)
    finished_at = pw.DateTimeField(null=True)
    pushed = pw.IntegerField(default=0)
    pulled = pw.IntegerField(default=0)
    conflicts = pw.IntegerField(default=0)
    clock_offset_ms = pw.IntegerField(default=0)
    ok = pw.BooleanField(default=False)
    error = pw.TextField(default="")


class KocExport(BaseModel):
    """An outbox event already written to a Koha offline circulation file."""

    event_id = pw.CharField(primary_key=True, max_length=36)
    exported_at = pw.DateTimeField(default=utcnow)
    file = pw.CharField(default="")
