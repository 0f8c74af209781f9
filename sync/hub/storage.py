"""The hub's tables and how they are opened: PostgreSQL in production, SQLite for development.

A DSN picks the engine: ``sqlite:///path/to/hub.db`` or ``postgresql://user@host/db``.
Several hub processes may share one PostgreSQL database; everything that orders changes
(event acceptance, ``server_seq``) runs inside :func:`serialised`, which takes one
transaction-scoped lock: ``pg_advisory_xact_lock`` on PostgreSQL, ``BEGIN IMMEDIATE`` on
SQLite. Commit order therefore equals ``server_seq`` order, and a reader that has seen
cursor N never later meets a commit below N.

These tables belong to the hub only; a branch's tables live in ``models/``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import peewee as pw
from playhouse.pool import PooledPostgresqlDatabase

hub_db = pw.DatabaseProxy()

# The one advisory lock key every hub process agrees on ("CLIB" in ASCII).
ADVISORY_LOCK_KEY = 0x434C4942
HUB_SCHEMA_VERSION = 1


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class HubModel(pw.Model):
    class Meta:
        database = hub_db
        legacy_table_names = False


class Meta(HubModel):
    """Small key/value facts: hub epoch, the server_seq counter, the hub's HLC."""

    key = pw.CharField(primary_key=True, max_length=32)
    value = pw.TextField()

    class Meta:
        table_name = "hub_meta"


class Device(HubModel):
    id = pw.CharField(primary_key=True, max_length=64)
    branch = pw.CharField(max_length=16, index=True)
    name = pw.CharField(default="")
    token_hash = pw.CharField(max_length=64, index=True)
    token_issued_at = pw.DateTimeField()
    token_seen = pw.BooleanField(default=False)  # the device has used its current token: it has it
    prev_token_hash = pw.CharField(max_length=64, null=True, index=True)
    prev_valid_until = pw.DateTimeField(null=True)
    enrolled_at = pw.DateTimeField(default=utcnow)
    last_seen_at = pw.DateTimeField(null=True)
    last_event_at = pw.DateTimeField(null=True)  # corrected time of its latest event: keeps its order
    revoked_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "hub_device"


class EnrolmentCode(HubModel):
    code_hash = pw.CharField(primary_key=True, max_length=64)
    branch = pw.CharField(max_length=16)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField()
    used_at = pw.DateTimeField(null=True)
    used_by = pw.CharField(max_length=64, null=True)

    class Meta:
        table_name = "hub_enrolment_code"


class Event(HubModel):
    """Every event ever accepted, once, at the address it first arrived with."""

    id = pw.CharField(primary_key=True, max_length=36)
    device_id = pw.CharField(max_length=64)
    epoch = pw.CharField(max_length=36)
    seq = pw.BigIntegerField()
    branch = pw.CharField(max_length=16, index=True)
    type = pw.CharField(max_length=64, index=True)
    hlc = pw.BigIntegerField(index=True)
    created_at = pw.DateTimeField()  # the device's raw clock
    corrected_at = pw.DateTimeField(index=True)  # the hub's best estimate of the real time
    payload = pw.TextField()
    content_hash = pw.CharField(max_length=64)
    received_at = pw.DateTimeField(default=utcnow)
    result = pw.CharField(max_length=16)  # applied | exception
    code = pw.CharField(max_length=32, default="")
    ticket = pw.CharField(max_length=36, default="")

    class Meta:
        table_name = "hub_event"
        indexes = ((("device_id", "epoch", "seq"), True),)


class EventAlias(HubModel):
    """A later address of an already stored event (a restored branch re-sending it)."""

    device_id = pw.CharField(max_length=64)
    epoch = pw.CharField(max_length=36)
    seq = pw.BigIntegerField()
    event_id = pw.CharField(max_length=36, index=True)

    class Meta:
        table_name = "hub_event_alias"
        primary_key = pw.CompositeKey("device_id", "epoch", "seq")


class Mark(HubModel):
    """The high-water mark of one device's sequence in one epoch."""

    device_id = pw.CharField(max_length=64)
    epoch = pw.CharField(max_length=36)
    last_seq = pw.BigIntegerField(default=0)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "hub_mark"
        primary_key = pw.CompositeKey("device_id", "epoch")


# -- projections: the county's current state, folded from the events -----------------------
# Each row carries ``server_seq`` (when it last changed, in the hub's one order), ``scope``
# (which branches pull it: "*" or "|HX01|HX02|") and ``data`` (its state as JSON, exactly what
# a branch receives).


class Projection(HubModel):
    data = pw.TextField()
    scope = pw.CharField(default="*")
    server_seq = pw.BigIntegerField(index=True)


class BranchRow(Projection):
    code = pw.CharField(primary_key=True, max_length=16)

    class Meta:
        table_name = "hub_branch"


class LocationRow(Projection):
    code = pw.CharField(primary_key=True, max_length=32)
    branch = pw.CharField(max_length=16)

    class Meta:
        table_name = "hub_location"


class BibRow(Projection):
    id = pw.CharField(primary_key=True, max_length=36)
    hlc = pw.BigIntegerField(default=0)

    class Meta:
        table_name = "hub_bib"


class PatronRow(Projection):
    id = pw.CharField(primary_key=True, max_length=36)
    card_number = pw.CharField(max_length=40, index=True)
    id_number_hash = pw.CharField(default="", index=True)
    home_branch = pw.CharField(max_length=16, default="")
    registered_at = pw.DateTimeField()  # corrected time: decides who keeps a contested card
    registered_hlc = pw.BigIntegerField(default=0)
    field_hlc = pw.TextField(default="{}")  # last writer per field (contact edits at two places)

    class Meta:
        table_name = "hub_patron"


class ItemRow(Projection):
    id = pw.CharField(primary_key=True, max_length=36)
    barcode = pw.CharField(max_length=32, index=True)
    bib_id = pw.CharField(max_length=36, default="")
    home_branch = pw.CharField(max_length=16, default="")
    status = pw.CharField(max_length=16, default="available")
    state_at = pw.DateTimeField(null=True)  # corrected time of the event that set the state
    state_hlc = pw.BigIntegerField(default=0)  # and its HLC

    class Meta:
        table_name = "hub_item"


class LoanRow(Projection):
    id = pw.CharField(primary_key=True, max_length=36)
    item_id = pw.CharField(max_length=36, index=True)
    patron_id = pw.CharField(max_length=36, default="", index=True)
    is_open = pw.BooleanField(default=True, index=True)
    checked_out_at = pw.DateTimeField()
    checked_in_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "hub_loan"


class HoldRow(Projection):
    id = pw.CharField(primary_key=True, max_length=36)
    bib_id = pw.CharField(max_length=36, default="", index=True)
    patron_id = pw.CharField(max_length=36, default="")
    status = pw.CharField(max_length=16, default="waiting")
    ready_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "hub_hold"


class ConflictRow(Projection):
    id = pw.CharField(primary_key=True, max_length=36)
    code = pw.CharField(max_length=32, index=True)
    status = pw.CharField(max_length=16, default="open", index=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "hub_conflict"


class ParkedReturn(HubModel):
    """A check-in that matched no loan yet: kept until its check-out arrives (or flagged)."""

    event_id = pw.CharField(primary_key=True, max_length=36)
    item_id = pw.CharField(max_length=36, index=True)
    returned_at = pw.DateTimeField()
    branch = pw.CharField(max_length=16)
    location = pw.CharField(max_length=32, default="")
    received_at = pw.DateTimeField(default=utcnow)
    flagged = pw.BooleanField(default=False)

    class Meta:
        table_name = "hub_parked_return"


PROJECTIONS: dict[str, type[Projection]] = {
    "branch": BranchRow,
    "location": LocationRow,
    "bib": BibRow,
    "patron": PatronRow,
    "item": ItemRow,
    "loan": LoanRow,
    "hold": HoldRow,
    "conflict": ConflictRow,
}
# Kinds in the order a receiver must apply them (each after what it references).
KIND_ORDER = list(PROJECTIONS)
HUB_MODELS = [Meta, Device, EnrolmentCode, Event, EventAlias, Mark, *PROJECTIONS.values(), ParkedReturn]


# -- opening ----------------------------------------------------------------------------


class BadDSN(ValueError):
    pass


def open_hub(dsn: str) -> pw.Database:
    """Bind the hub's models to the database a DSN names (not connected yet)."""
    parts = urlsplit(dsn)
    if parts.scheme == "sqlite":
        path = parts.path
        if parts.netloc:  # sqlite://relative/path
            path = parts.netloc + path
        if not path or path == "/":
            raise BadDSN("sqlite DSN needs a file path: sqlite:///path/to/hub.db")
        database: pw.Database = pw.SqliteDatabase(
            path,
            pragmas={"journal_mode": "wal", "synchronous": "normal", "busy_timeout": 10000, "foreign_keys": 1},
            timeout=10,
        )
    elif parts.scheme in ("postgresql", "postgres"):
        options = dict(parse_qsl(parts.query))
        database = PooledPostgresqlDatabase(
            parts.path.lstrip("/") or "postgres",
            user=parts.username,
            password=parts.password,
            host=parts.hostname,
            port=parts.port,
            max_connections=16,
            stale_timeout=300,
            **options,
        )
    else:
        raise BadDSN(f"unknown DSN scheme {parts.scheme!r}: use sqlite:///path or postgresql://...")
    hub_db.initialize(database)
    return database


def is_postgres() -> bool:
    return isinstance(hub_db.obj, pw.PostgresqlDatabase)


@contextlib.contextmanager
def serialised() -> Iterator[None]:
    """One transaction holding the hub-wide write lock (see the module docstring)."""
    if is_postgres():
        with hub_db.atomic():
            hub_db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
            yield
    else:
        with hub_db.atomic("IMMEDIATE"):
            yield


def migrate() -> str:
    """Create what is missing; returns the hub epoch (made on the first run)."""
    import uuid

    with hub_db.connection_context():
        with serialised():
            hub_db.create_tables(HUB_MODELS, safe=True)
            for key, value in (
                ("schema_version", str(HUB_SCHEMA_VERSION)),
                ("epoch", str(uuid.uuid4())),
                ("server_seq", "0"),
                ("hlc", "0"),
                # One key for the whole county, handed to each device at enrolment, so the
                # same ID number hashes alike at every branch (see countylib.idnumbers).
                ("id_hash_key", secrets.token_hex(32)),
            ):
                if Meta.get_or_none(Meta.key == key) is None:
                    Meta.create(key=key, value=value)
            return Meta.get_by_id("epoch").value


def get_meta(key: str) -> str:
    return Meta.get_by_id(key).value


def set_meta(key: str, value: str) -> None:
    Meta.update(value=value).where(Meta.key == key).execute()


def new_epoch() -> str:
    """After the hub's database was restored from a backup: every client starts over."""
    import uuid

    epoch = str(uuid.uuid4())
    with hub_db.connection_context():
        with serialised():
            set_meta("epoch", epoch)
    return epoch
