"""The database handle, its pragmas and the base model.

All datetimes are stored as naive UTC; dates that people read as dates (due dates, expiry,
shift days) are local calendar dates. Money is stored in fen (integer cents).
"""

from __future__ import annotations

import functools

import peewee as pw

from models.ids import new_id

# Bound to a file by models.database.open_database(); None until then.
db = pw.SqliteDatabase(None)

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": 5000,
    "cache_size": -32000,
}


class BaseModel(pw.Model):
    class Meta:
        database = db
        legacy_table_names = False


class SyncedModel(BaseModel):
    """A row other branches learn about through sync: its key is minted here, never reused."""

    id = pw.CharField(primary_key=True, max_length=36, default=new_id)


@functools.cache
def _json_encoder():
    # One encoder for every value: json.dumps with options builds a new one per call,
    # which is most of its cost for the small payloads of outbox events.
    import json

    return json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class JSONField(pw.TextField):
    """JSON stored as text; SQLite's json functions can still read it."""

    def db_value(self, value):
        return None if value is None else _json_encoder().encode(value)

    def python_value(self, value):
        import json

        return None if value is None else json.loads(value)
