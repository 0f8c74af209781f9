"""Opening a CountyLib database: pragmas, identity, schema version and forward migrations.

The schema version lives in ``PRAGMA user_version`` and the file's identity in
``PRAGMA application_id``. A new file gets today's schema straight from the models. An
older file is first copied aside with SQLite's online backup API, then migrated step by
step, each step in its own transaction. ``schema/v1.sql`` is the first released schema,
kept frozen so the upgrade path from it stays tested.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import peewee as pw
from playhouse.migrate import SqliteMigrator, migrate

from models import (
    ALL_MODELS,
    CallNumberBlock,
    CallNumberCursor,
    CardEvent,
    Conflict,
    DepositCollection,
    DepositLine,
    Event,
    InHouseUse,
    Item,
    KocExport,
    Loan,
    Patron,
    PendingChange,
    Registration,
    ReplicaState,
    Shift,
    ShiftAssignment,
    SyncRun,
    Volunteer,
    VolunteerHonour,
    VolunteerReview,
)
from models.base import PRAGMAS, db
from models.catalogue import Bib

log = logging.getLogger(__name__)

APPLICATION_ID = 0x434C4942  # "CLIB"
SCHEMA_VERSION = 3
SCHEMA_DIR = Path(__file__).parent / "schema"


class NotACountyLibDatabase(Exception):
    """The file exists but was not made by CountyLib."""


class DatabaseTooNew(Exception):
    """The file was written by a newer CountyLib than this one."""

    def __init__(self, found: int) -> None:
        super().__init__(f"schema version {found} is newer than {SCHEMA_VERSION}")
        self.found = found


def _pragma(name: str) -> int:
    return db.execute_sql(f"PRAGMA {name}").fetchone()[0]


def _has_tables() -> bool:
    row = db.execute_sql("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
    return row[0] > 0


def backup_to(target: Path) -> Path:
    """Copy the open database to ``target`` consistently, even while it is in use."""
    target.parent.mkdir(parents=True, exist_ok=True)
    dest = sqlite3.connect(target)
    try:
        db.connection().backup(dest)
    finally:
        dest.close()
    return target


# -- migrations ------------------------------------------------------------------------

BIB_FTS_SQL = [
    # External content over bib's rowid: no second copy of the text. A VACUUM may renumber
    # rowids, so the integrity check rebuilds this index ('rebuild') when it disagrees.
    """CREATE VIRTUAL TABLE bib_fts USING fts5(
        title, author, publisher, isbn, call_number, pinyin,
        content='bib', content_rowid='rowid', tokenize='trigram')""",
    """CREATE TRIGGER bib_fts_ai AFTER INSERT ON bib BEGIN
        INSERT INTO bib_fts(rowid, title, author, publisher, isbn, call_number, pinyin)
        VALUES (new.rowid, new.title, new.author, new.publisher, new.isbn, new.call_number, new.pinyin);
    END""",
    """CREATE TRIGGER bib_fts_ad AFTER DELETE ON bib BEGIN
        INSERT INTO bib_fts(bib_fts, rowid, title, author, publisher, isbn, call_number, pinyin)
        VALUES ('delete', old.rowid, old.title, old.author, old.publisher, old.isbn, old.call_number, old.pinyin);
    END""",
    """CREATE TRIGGER bib_fts_au AFTER UPDATE ON bib BEGIN
        INSERT INTO bib_fts(bib_fts, rowid, title, author, publisher, isbn, call_number, pinyin)
        VALUES ('delete', old.rowid, old.title, old.author, old.publisher, old.isbn, old.call_number, old.pinyin);
        INSERT INTO bib_fts(rowid, title, author, publisher, isbn, call_number, pinyin)
        VALUES (new.rowid, new.title, new.author, new.publisher, new.isbn, new.call_number, new.pinyin);
    END""",
]


def _v2_catalogue_search(database: pw.SqliteDatabase) -> None:
    """v2: pinyin column on bib and the trigram full-text index over the catalogue."""
    migrate(SqliteMigrator(database).add_column("bib", "pinyin", Bib.pinyin))
    for sql in BIB_FTS_SQL:
        database.execute_sql(sql)
    database.execute_sql("INSERT INTO bib_fts(bib_fts) VALUES ('rebuild')")


def _add_missing_columns(database: pw.SqliteDatabase, fields: list[pw.Field]) -> None:
    """Add columns a file lacks. Tolerant of columns already there, so a step stays correct
    when a table it touches was created by an earlier step from a newer model."""
    migrator = SqliteMigrator(database)
    operations = []
    for field in fields:
        table = field.model._meta.table_name
        if field.column_name not in {c.name for c in database.get_columns(table)}:
            operations.append(migrator.add_column(table, field.column_name, field))
    migrate(*operations)


def _v3_area_tables(database: pw.SqliteDatabase) -> None:
    """v3: the first build of every area: patrons' ID search, in-house use, call-number
    blocks, deposit collections, volunteer accounts and history, activity details, and the
    branch's replication bookkeeping."""
    _add_missing_columns(
        database,
        [
            Patron.id_last4,
            Event.room,
            Event.archive_note,
            Registration.stated_age,
            Registration.guardian_name,
            Registration.at_door,
            Volunteer.staff,
            Volunteer.notes,
            Volunteer.updated_at,
            Shift.cancel_reason,
            Shift.created_at,
            ShiftAssignment.assigned_at,
            ShiftAssignment.status_reason,
            ShiftAssignment.replaced_by,
        ],
    )
    # Readers registered before v3 become findable by the last four characters of their ID.
    database.execute_sql(
        "UPDATE patron SET id_last4 = upper(substr(id_number, -4)) WHERE id_number <> '' AND id_last4 = ''"
    )
    database.create_tables(
        [
            InHouseUse,
            CallNumberBlock,
            CallNumberCursor,
            DepositCollection,
            DepositLine,
            VolunteerReview,
            VolunteerHonour,
            ReplicaState,
            Conflict,
            PendingChange,
            SyncRun,
            KocExport,
        ],
        safe=True,
    )
    for name in ("loan_item_id", "loan_patron_id", "loan_location_id", "loan_staff_id"):
        database.execute_sql(f'DROP INDEX IF EXISTS "{name}"')  # covered by the composites
    for model in (Patron, CardEvent, Volunteer, ShiftAssignment, Loan, Item, Bib):
        model._schema.create_indexes(safe=True)


MIGRATIONS: dict[int, Callable[[pw.SqliteDatabase], None]] = {
    2: _v2_catalogue_search,
    3: _v3_area_tables,
}


def _create_current_schema() -> None:
    with db.atomic():
        db.create_tables(ALL_MODELS)
        for sql in BIB_FTS_SQL:
            db.execute_sql(sql)
        db.execute_sql(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")


def create_v1_schema() -> None:
    """Lay down the frozen first schema (for upgrade tests and tools)."""
    with db.atomic():
        for statement in (SCHEMA_DIR / "v1.sql").read_text(encoding="utf-8").split(";\n"):
            if statement.strip():
                db.execute_sql(statement)
        db.execute_sql(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute_sql("PRAGMA user_version = 1")


def migrate_to_current(backup_dir: Path | None, db_path: Path) -> Path | None:
    """Bring an older file up to SCHEMA_VERSION; returns the backup taken first, if any."""
    version = _pragma("user_version")
    if version > SCHEMA_VERSION:
        raise DatabaseTooNew(version)
    if version == SCHEMA_VERSION:
        return None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = backup_dir or db_path.parent / "backups"
    backup = backup_to(folder / f"{db_path.stem}-v{version}-before-migration-{stamp}.db")
    for step in range(version + 1, SCHEMA_VERSION + 1):
        with db.atomic("IMMEDIATE"):
            MIGRATIONS[step](db)
            db.execute_sql(f"PRAGMA user_version = {step}")
    return backup


def open_database(path: str | Path, *, backup_dir: Path | None = None) -> pw.SqliteDatabase:
    """Open (creating or migrating as needed) the database at ``path`` and bind the models."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not db.is_closed():
        db.close()
    db.init(str(path), pragmas=PRAGMAS)
    try:
        db.connect()
        app_id = _pragma("application_id")
        if not _has_tables():
            _create_current_schema()
        elif app_id != APPLICATION_ID:
            raise NotACountyLibDatabase(str(path))
        else:
            migrate_to_current(backup_dir, path)
    except (sqlite3.DatabaseError, pw.DatabaseError) as exc:
        if not db.is_closed():
            db.close()
        if "file is not a database" in str(exc):
            raise NotACountyLibDatabase(str(path)) from exc
        raise
    except Exception:
        if not db.is_closed():
            db.close()
        raise
    return db


def hand_checkpoints_to_background(database: pw.SqliteDatabase = db) -> None:
    """Stop this thread's connection from checkpointing the WAL itself.

    SQLite otherwise copies the WAL back into the file (with an fsync) inside whichever
    commit crosses 1,000 pages: a check-out every few minutes would take 10-20 ms instead
    of 1. The desk calls this and runs ``checkpoint`` from a background thread instead.
    """
    database.execute_sql("PRAGMA wal_autocheckpoint = 0")


def checkpoint(database: pw.SqliteDatabase = db) -> tuple[int, int, int]:
    """A PASSIVE checkpoint: copies what it can without waiting for or blocking writers.
    Returns SQLite's (busy, WAL frames, frames checkpointed)."""
    return tuple(database.execute_sql("PRAGMA wal_checkpoint(PASSIVE)").fetchone())


def schema_version() -> int:
    return _pragma("user_version")


@contextlib.contextmanager
def checkpoints_in_background(database: pw.SqliteDatabase = db) -> Iterator[Callable[[], None]]:
    """Checkpoint the WAL in a second thread while this one writes a lot (an import).

    A commit that crosses SQLite's 1,000-page mark otherwise copies the WAL back into the
    file itself, and a large import crosses it nearly every batch: a sixth of its time.
    The checkpoint is mostly copying and waiting for the disk, which the other thread does
    while this one builds the next batch. Call the function yielded after each commit.
    """
    previous = database.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0]
    database.execute_sql("PRAGMA wal_autocheckpoint = 0")
    wanted = threading.Event()
    done = threading.Event()

    def run() -> None:
        with database.connection_context():
            while not done.is_set():
                if wanted.wait(timeout=0.5):
                    wanted.clear()
                    try:
                        checkpoint(database)
                    except pw.DatabaseError as exc:
                        # The writer's own commits meet the same disk and say so in plain
                        # words; here it is only logged, and the WAL waits for a later checkpoint.
                        log.warning("background WAL checkpoint failed: %s", exc)
                        return

    worker = threading.Thread(target=run, daemon=True, name="wal-checkpoint")
    worker.start()
    try:
        yield wanted.set
    finally:
        done.set()
        wanted.set()
        worker.join()
        database.execute_sql(f"PRAGMA wal_autocheckpoint = {int(previous)}")
