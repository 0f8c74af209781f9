"""Realistic generated libraries for the demo and the benchmarks (``countylib demo-data``).

A county library (某某县图书馆: the main library XZ01, 城关分馆 XZ02, two reading points,
the book van and its stops) with readers, a catalogue, two years of loans, holds, gifts,
volunteers, activities and visitor counts. The same seed and day give the same file,
keys and timestamps included. The library is set up through ``initialize_library`` with
the demo accounts admin/admin123, librarian/librarian123 and volunteer/volunteer123; the
generated rows are history, written in bulk with no outbox events.

The file is built under a temporary name and renamed into place when complete, so an
interrupted run leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import peewee as pw

from countylib.clock import Clock
from countylib.demo_data.bulk import BulkLoad
from countylib.demo_data.catalogue import build_collection
from countylib.demo_data.circulation import write_history, write_holds
from countylib.demo_data.community import write_donations, write_events, write_visits, write_volunteers
from countylib.demo_data.people import id_number_hash
from countylib.demo_data.readers import build_readers
from countylib.demo_data.setup import ACCOUNTS, set_up
from countylib.demo_data.stamps import Timeline
from countylib.errors import ValidationError
from countylib.library import is_initialized, local_branch, open_db
from models import (
    ALL_MODELS,
    Attendance,
    Bib,
    CallNumberBlock,
    CallNumberCursor,
    CardEvent,
    DepositCollection,
    DepositLine,
    Donation,
    DonationLine,
    Donor,
    Event,
    Hold,
    Item,
    Loan,
    Patron,
    Registration,
    Shift,
    ShiftAssignment,
    VisitCount,
    Volunteer,
)

__all__ = ["ACCOUNTS", "SIZES", "DemoSummary", "Plan", "generate", "id_number_hash"]


@dataclass(frozen=True)
class Plan:
    bibs: int
    items: int
    patrons: int
    loans: int
    donors: int
    volunteers: int
    events_per_week: float
    visit_scale: float


SIZES: dict[str, Plan] = {
    "demo": Plan(bibs=3_000, items=5_000, patrons=1_000, loans=15_000, donors=40, volunteers=24, events_per_week=2, visit_scale=1),
    "branch": Plan(bibs=30_000, items=50_000, patrons=10_000, loans=150_000, donors=300, volunteers=60, events_per_week=3, visit_scale=2),
    "county": Plan(
        bibs=500_000, items=1_000_000, patrons=200_000, loans=5_000_000, donors=3_000, volunteers=300, events_per_week=5, visit_scale=6
    ),
}

# Tables the generator fills in bulk (their indexes are rebuilt once at the end).
BULK_MODELS = (
    Patron, CardEvent, Bib, Item, Loan, Hold, DepositCollection, DepositLine, CallNumberBlock, CallNumberCursor,
    Donor, Donation, DonationLine, Volunteer, Shift, ShiftAssignment, Event, Registration, Attendance, VisitCount,
)


@dataclass
class DemoSummary:
    size: str
    seed: int
    today: dt.date
    path: Path
    rows: dict[str, int]  # table → row count
    seconds: float

    def line(self) -> str:
        r = self.rows
        return (
            f"{self.size} dataset: {r['item']:,} items, {r['bib']:,} bibs, {r['patron']:,} patrons, "
            f"{r['loan']:,} loans in {self.seconds:.1f} s → {self.path}"
        )


def generate(
    path: str | Path,
    *,
    size: str = "demo",
    seed: int = 1,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Build a new library file at ``path``; refuses a file that already holds a library."""
    if size not in SIZES:
        raise ValidationError("Unknown dataset size {size}; choose demo, branch or county.", size=size)
    started = time.perf_counter()
    path = Path(path)
    today = today or Clock().today()
    _refuse_a_library(path)
    partial = path.with_name(path.name + ".partial")
    _remove(partial)
    try:
        database = open_db(partial)
        try:
            _fill(database, SIZES[size], seed, today, progress or (lambda _stage: None))
            rows = _count_rows(database)
        finally:
            database.close()
        _remove(path)
        os.replace(partial, path)
    except BaseException:
        _remove(partial)
        raise
    return DemoSummary(size, seed, today, path, rows, time.perf_counter() - started)


def _refuse_a_library(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    database = open_db(path)
    try:
        if is_initialized():
            branch = local_branch()
            raise ValidationError(
                "{path} already holds a library ({library}, branch {code}); demo data goes into a new file.",
                path=str(path),
                library=branch.library_name,
                code=branch.code,
            )
    finally:
        database.close()


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        candidate.unlink(missing_ok=True)


def _fill(database: pw.SqliteDatabase, plan: Plan, seed: int, today: dt.date, progress: Callable[[str], None]) -> None:
    timeline = Timeline(today)
    progress("library")
    library = set_up(database, timeline, random.Random(f"{seed}:setup"))
    load = BulkLoad(database, BULK_MODELS)
    load.start()
    progress("readers")
    readers = build_readers(load, library, timeline, plan.patrons, seed)
    progress("catalogue")
    collection = build_collection(load, library, timeline, plan.bibs, plan.items, seed)
    progress("loans")
    history = write_history(load, library, timeline, collection, readers, plan.loans, seed)
    progress("holds")
    write_holds(load, library, timeline, collection, readers, history, seed)
    progress("donations, volunteers, activities, visits")
    write_donations(load, library, timeline, collection, plan.donors, seed)
    write_volunteers(load, library, timeline, readers, plan.volunteers, seed)
    write_events(load, library, timeline, readers, plan.events_per_week, seed)
    write_visits(load, library, timeline, plan.visit_scale, seed)
    load.flush_all()
    # New readers registered at the desk continue the main library's card sequence.
    load.update("INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", [("card_number_next", json.dumps(readers.main_count + 1))])
    progress("indexes")
    load.finish()


def _count_rows(database: pw.SqliteDatabase) -> dict[str, int]:
    conn = database.connection()
    return {
        m._meta.table_name: conn.execute(f'SELECT count(*) FROM "{m._meta.table_name}"').fetchone()[0] for m in ALL_MODELS
    }
