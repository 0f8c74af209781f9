"""Importing MARC files into the catalogue: records become Bibs, holdings become Items.

Matching makes a re-import change nothing: a record is the Bib with the same 001 (or, for a
local record, with that id: our export's 001 for a record without one); a record
without a 001 match is the Bib with its ISBN when that Bib is a local brief record (no
001 of its own, or the one minted here), so the centre's full record replaces the brief
one instead of doubling it. A matched Bib is written, and its bib.upserted event recorded,
only if something differs. Copies are matched by barcode.

Records are read one by one (``countylib.marc``) and written in batches, each batch one
transaction with its events, so memory stays flat however large the file, a cancel keeps
the finished batches, and running the same file again completes the rest. A large file is
read and mapped in a second process (``countylib.marc_reader``) while this one writes.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from countylib.audit import record_audit
from countylib.context import ServiceContext, service
from countylib.errors import ValidationError
from countylib.i18n import N_, _, ngettext
from countylib.marc import (
    NOT_MARC,
    BibFields,
    MarcRecord,
    Skipped,
    check_options,
)
from countylib.marc_reader import COLUMNS, Prepared, Reader, prepared, split_point
from countylib.pinyin import pinyin_text
from countylib.roles import LIBRARIAN
from models import Bib, Item, Location
from models.database import checkpoints_in_background
from models.ids import new_ids

BATCH_SIZE = 1000
MAX_PARAMETERS = 30_000  # SQLite allows 32,766 in one statement
PARALLEL_FROM_BYTES = 4 << 20  # about 10,000 records: below, starting a second process costs more than it saves
MAX_LISTED = 1000  # skipped records kept for the report; beyond that they are only counted


@dataclass(frozen=True)
class ImportProgress:
    bytes_done: int
    bytes_total: int
    records: int
    added: int
    updated: int
    unchanged: int
    skipped: int


@dataclass
class ImportReport:
    path: str
    records: int = 0  # records met in the file, read or not
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    items_added: int = 0
    items_present: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    skipped_count: int = 0
    warnings: list[Skipped] = field(default_factory=list)
    cancelled: bool = False

    @property
    def imported(self) -> int:
        """Records read and matched to the catalogue (new, changed or already there)."""
        return self.added + self.updated + self.unchanged

    def skip(self, entry: Skipped) -> None:
        self.skipped_count += 1
        if len(self.skipped) < MAX_LISTED:
            self.skipped.append(entry)

    def warn(self, entry: Skipped) -> None:
        if len(self.warnings) < MAX_LISTED:
            self.warnings.append(entry)

    def line(self) -> str:
        """One line for the command line and the screen."""
        text = _(
            "{path}: {records} read; {added} added, {updated} updated, {unchanged} unchanged, "
            "{skipped} skipped; copies added: {items}."
        ).format(
            path=Path(self.path).name,
            records=self.records,
            added=self.added,
            updated=self.updated,
            unchanged=self.unchanged,
            skipped=self.skipped_count,
            items=self.items_added,
        )
        if self.cancelled:
            text += " " + _("Cancelled: the batches finished so far are kept; importing the file again completes it.")
        return text


ProgressCallback = Callable[[ImportProgress], None]


def import_marc_file(
    ctx: ServiceContext,
    path: str | Path,
    *,
    flavour: str = "auto",
    encoding: str = "auto",
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
    batch_size: int = BATCH_SIZE,
    parallel: bool | None = None,
) -> ImportReport:
    """Import every readable record of a MARC file; the report lists what was skipped and why.

    ``parallel``: read and map the records in a second process while this one writes
    (None: when the file is large enough for that to pay off).
    """
    ctx.require(LIBRARIAN)
    path = Path(path)
    try:
        stream = open(path, "rb")  # noqa: SIM115 (closed below; read_marc streams from it)
    except OSError as exc:
        raise ValidationError("Cannot open {path}: {reason}", path=str(path), reason=exc) from exc
    check_options(flavour, encoding)
    report = ImportReport(str(path))
    total = path.stat().st_size
    places = _Places.load(ctx)
    batch: list[Prepared] = []
    if parallel is None:
        parallel = total >= PARALLEL_FROM_BYTES and (os.cpu_count() or 1) > 1
    head = split_point(stream) if parallel else 0
    reader = Reader(path, flavour, encoding, start=head) if parallel else None

    def entries() -> Iterator[Skipped | Prepared]:
        if reader is None:
            yield from prepared(stream, flavour, encoding)
            return
        # The first megabyte is read here while the second process starts (a third of a
        # second that this one would otherwise spend waiting).
        before = 0
        for entry in prepared(io.BytesIO(stream.read(head)), flavour, encoding):
            before += 1
            yield entry
        yield from reader.entries(records_before=before)

    def flush() -> None:
        if batch:
            _import_batch(ctx, batch, places, seen, report)
            batch.clear()
            committed()
        if progress is not None:
            done = (reader.bytes_done or head) if reader is not None else stream.tell() if not stream.closed else total
            progress(
                ImportProgress(
                    done, total, report.records, report.added, report.updated, report.unchanged, report.skipped_count
                )
            )

    seen = _Seen(ctx)
    with (
        stream,
        seen,
        _older_objects_left_alone(),
        checkpoints_in_background(ctx.db) as committed,
        reader or contextlib.nullcontext(),
    ):
        for entry in entries():
            report.records += 1
            if isinstance(entry, Skipped):
                report.skip(entry)
                continue
            batch.append(entry)
            if len(batch) >= batch_size:
                flush()
                if cancelled is not None and cancelled():
                    report.cancelled = True
                    break
        if not report.cancelled:
            flush()
    if report.imported or report.skipped_count:
        with ctx.db.atomic("IMMEDIATE"):
            record_audit(
                ctx,
                "marc.imported",
                "file",
                path.name,
                records=report.records,
                added=report.added,
                updated=report.updated,
                skipped=report.skipped_count,
                items=report.items_added,
                cancelled=report.cancelled,
            )
    return report


@contextlib.contextmanager
def _older_objects_left_alone() -> Iterator[None]:
    """Keep the garbage collector's full passes off the objects that existed before the import.

    Each batch keeps tens of thousands of objects alive until it is written, which sets off
    a full collection every batch or two; each one walks every object of the process, the
    pinyin phrase tables' few hundred thousand included (a fifth of the import's time).
    Frozen objects are skipped until the import ends; they are still freed by reference
    counting as usual.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def nothing_read_message(report: ImportReport) -> str:
    if report.records == 0:
        return _("No MARC records were found in {path}.").format(path=report.path)
    if report.skipped and all(entry.msgid == NOT_MARC for entry in report.skipped):
        return _("{path} is not a MARC file: nothing in it looks like a MARC record.").format(path=report.path)
    return ngettext(
        "None of the {n} record in {path} could be imported.",
        "None of the {n} records in {path} could be imported.",
        report.records,
    ).format(n=report.records, path=report.path)


# -- one batch ---------------------------------------------------------------------------------


class _Seen:
    """The catalogue records this import has already written or found, by Bib id.

    A file may describe one book twice (the same 001 twice, or a record without 001 whose
    ISBN is another's); letting both through would flip the Bib between them on every
    import. The first record wins and the later ones are listed. The ids live in a table
    in SQLite's temp store, so memory stays flat for large files.
    """

    def __init__(self, ctx: ServiceContext) -> None:
        self.db = ctx.db

    def __enter__(self) -> _Seen:
        # Keyed by a hash of the id: an integer key is SQLite's fastest table.
        self.db.execute_sql("CREATE TEMP TABLE IF NOT EXISTS marc_import_seen (key INTEGER PRIMARY KEY, position INTEGER)")
        self.db.execute_sql("DELETE FROM temp.marc_import_seen")
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.execute_sql("DROP TABLE IF EXISTS temp.marc_import_seen")

    @staticmethod
    def _key(bib_id: str) -> int:
        # Python's own string hash: 64 bits, fast, and steady for the life of this process,
        # which outlives the temp table.
        return hash(bib_id)

    def earlier(self, bib_ids: list[str]) -> dict[str, int]:
        if not bib_ids:
            return {}
        keys = {self._key(bib_id): bib_id for bib_id in bib_ids}
        marks = ", ".join("?" * len(keys))
        sql = f"SELECT key, position FROM temp.marc_import_seen WHERE key IN ({marks})"
        return {keys[key]: position for key, position in self.db.execute_sql(sql, list(keys)).fetchall()}

    def add(self, positions: dict[str, int]) -> None:
        self.db.cursor().executemany(
            "INSERT OR IGNORE INTO temp.marc_import_seen (key, position) VALUES (?, ?)",
            [(self._key(bib_id), position) for bib_id, position in positions.items()],
        )


@dataclass
class _Places:
    """Location ids by code: copies go to the named location, else to the branch itself."""

    by_code: dict[str, tuple[str, str]]
    local: tuple[str, str]  # (id, code)

    @classmethod
    def load(cls, ctx: ServiceContext) -> _Places:
        rows = {loc.code.upper(): (loc.id, loc.code) for loc in Location.select(Location.id, Location.code)}
        local = rows.get(ctx.branch.code.upper())
        if local is None:
            loc = Location.get(Location.branch == ctx.branch, Location.kind == "branch")
            local = (loc.id, loc.code)
        return cls(rows, local)

    def find(self, values: tuple[str, ...]) -> tuple[str, str]:
        for value in values:
            found = self.by_code.get(value.upper())
            if found is not None:
                return found
        return self.local


class _Ids:
    """New primary keys for a batch, minted many at a time (``new_ids``)."""

    def __init__(self, expected: int) -> None:
        self.expected = max(expected, 16)
        self.ready: list[str] = []

    def take(self) -> str:
        if not self.ready:
            self.ready = new_ids(self.expected)
            self.ready.reverse()
        return self.ready.pop()


def _rows(sql: str, values: list[str]):
    """Run ``sql`` with ``{marks}`` standing for one placeholder per value."""
    return Bib._meta.database.execute_sql(sql.format(marks=", ".join("?" * len(values))), values)


def _bib_select(where: str, values: list[str]) -> list[dict]:
    columns = ", ".join(("id", *COLUMNS, "marc", "marc_format"))
    cursor = _rows(f"SELECT {columns} FROM bib WHERE {where} IN ({{marks}})", values)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _is_local_record(row: dict) -> bool:
    return row["control_number"] in ("", row["id"])


@service(LIBRARIAN)
def _import_batch(
    ctx: ServiceContext, batch: list[Prepared], places: _Places, seen: _Seen, report: ImportReport
) -> None:
    now = ctx.clock.utcnow()
    stamp = str(now)
    control_numbers = sorted({f.control_number for _, f, _ in batch if f.control_number})
    by_cn: dict[str, dict] = {}
    for row in _bib_select("control_number", control_numbers) if control_numbers else []:
        by_cn.setdefault(row["control_number"], row)
    # Our own export gives a local record without a 001 its id instead (``countylib.marc_export``).
    ids_as_001 = [cn for cn in control_numbers if cn not in by_cn]
    for row in _bib_select("id", ids_as_001) if ids_as_001 else []:
        if _is_local_record(row):
            by_cn[row["id"]] = row
    isbns = sorted({f.isbn for _, f, _ in batch if f.isbn and f.control_number not in by_cn})
    by_isbn: dict[str, list[dict]] = {}
    for row in _bib_select("isbn", isbns) if isbns else []:
        by_isbn.setdefault(row["isbn"], []).append(row)

    checked = {r["id"] for r in by_cn.values()} | {r["id"] for rs in by_isbn.values() for r in rs}
    touched = seen.earlier(sorted(checked))
    barcodes = sorted({h.barcode for _, f, _ in batch for h in f.holdings})
    present = dict(_rows("SELECT barcode, bib_id FROM item WHERE barcode IN ({marks})", barcodes)) if barcodes else {}
    inserts: list[tuple] = []
    updates: list[tuple] = []
    same_columns: list[tuple] = []
    items: list[tuple] = []
    events: list[tuple[str, dict]] = []
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    fresh: dict[str, int] = {}
    ids = _Ids(len(batch))

    for record, fields, pinyin in batch:
        row, other_book = _match(fields, by_cn, by_isbn)
        if other_book is not None:
            report.warn(
                Skipped(
                    record.position,
                    record.offset,
                    record.line,
                    N_("The record has ISBN {isbn} like 《{title}》 in the catalogue but another title; it was added "
                       "as a separate record (publishers sometimes reuse an ISBN)."),
                    (("isbn", fields.isbn), ("title", other_book["title"])),
                )
            )
        if row is not None and row["id"] not in checked:
            checked.add(row["id"])
            touched.update(seen.earlier([row["id"]]))
        if row is not None and row["id"] in touched:
            report.skip(
                Skipped(
                    record.position,
                    record.offset,
                    record.line,
                    N_("The record describes the same book as record {first} of this file (same 001 or ISBN); the first one was kept."),
                    (("first", touched[row["id"]]),),
                )
            )
            continue
        if row is None:
            row = {"id": ids.take(), **fields.columns(), "marc": record.raw, "marc_format": record.flavour}
            inserts.append(
                (*(row[c] for c in ("id", *COLUMNS)), record.raw, record.flavour,
                 pinyin if pinyin is not None else pinyin_text(fields.title, fields.author), stamp, stamp)
            )
            counts["added"] += 1
            events.append(("bib.upserted", {"bib": _bib_payload(row)}))
        else:
            incoming = fields.columns()
            if incoming["control_number"] == row["id"]:
                # The id our export stood in for a missing 001: the record still has none.
                incoming["control_number"] = row["control_number"]
            merged = {c: (incoming[c] or row[c]) for c in COLUMNS}
            if all(merged[c] == row[c] for c in COLUMNS):
                # The catalogue says the same (an export of ours coming back, a new 005 stamp):
                # the record as received is kept, with no event, since no synced column changed.
                counts["unchanged"] += 1
                if bytes(row["marc"] or b"") != record.raw or row["marc_format"] != record.flavour:
                    same_columns.append((record.raw, record.flavour, row["id"]))
                    row.update(marc=record.raw, marc_format=record.flavour)
            else:
                if pinyin is None or (merged["title"], merged["author"]) != (fields.title, fields.author):
                    pinyin = pinyin_text(merged["title"], merged["author"])
                updates.append((*(merged[c] for c in COLUMNS), record.raw, record.flavour, pinyin, stamp, row["id"]))
                row.update(merged, marc=record.raw, marc_format=record.flavour)
                counts["updated"] += 1
                events.append(("bib.upserted", {"bib": _bib_payload(row)}))
        # Later records of this batch with the same keys match this row too.
        if row["control_number"]:
            by_cn[row["control_number"]] = row
        if row["isbn"]:
            by_isbn.setdefault(row["isbn"], []).insert(0, row)
        touched[row["id"]] = record.position
        fresh[row["id"]] = record.position
        events.extend(_copies(record, fields, row, places, present, items, report, stamp, ids))

    _in_one_statement(
        "INSERT INTO bib (id, control_number, title, author, publisher, year, isbn, clc_class, call_number, "
        "price_cents, marc, marc_format, pinyin, created_at, updated_at) VALUES {rows}",
        inserts,
    )
    _in_one_statement(
        "UPDATE bib SET control_number=v.column1, title=v.column2, author=v.column3, publisher=v.column4, "
        "year=v.column5, isbn=v.column6, clc_class=v.column7, call_number=v.column8, price_cents=v.column9, "
        "marc=v.column10, marc_format=v.column11, pinyin=v.column12, updated_at=v.column13 "
        "FROM (VALUES {rows}) AS v WHERE bib.id = v.column14",
        updates,
    )
    _in_one_statement(
        "UPDATE bib SET marc=v.column1, marc_format=v.column2 FROM (VALUES {rows}) AS v WHERE bib.id = v.column3",
        same_columns,
    )
    _in_one_statement(
        "INSERT INTO item (id, barcode, bib_id, home_location_id, current_location_id, status, item_type, "
        "call_number, price_cents, source, accessioned_at, updated_at) VALUES {rows}",
        items,
    )
    ctx.record_many(events)
    seen.add(fresh)
    # Counted only now: a batch that fails rolls back and adds nothing to the report.
    report.added += counts["added"]
    report.updated += counts["updated"]
    report.unchanged += counts["unchanged"]


def _in_one_statement(sql: str, rows: list[tuple]) -> None:
    """Write many rows with one statement (per 30,000 parameters) rather than one each.

    The trigram index is kept by triggers on bib, and FTS5 flushes its pending terms at
    the end of every statement: a statement a row (executemany) builds the index a row at
    a time, three times slower than a statement for the whole batch.
    """
    if not rows:
        return
    width = len(rows[0])
    per = max(MAX_PARAMETERS // width, 1)
    one = "(" + ",".join("?" * width) + ")"
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        Bib._meta.database.execute_sql(sql.format(rows=",".join([one] * len(chunk))), [v for row in chunk for v in row])


def _match(fields: BibFields, by_cn: dict[str, dict], by_isbn: dict[str, list[dict]]) -> tuple[dict | None, dict | None]:
    """The catalogue row the record describes, else None and (for the report) a row that has
    its ISBN under another title: Chinese publishers have reused ISBNs for other books, and
    taking such a record for the one held would overwrite that book's title."""
    if fields.control_number:
        row = by_cn.get(fields.control_number)
        if row is not None:
            return row, None
        candidates = [r for r in by_isbn.get(fields.isbn, []) if _is_local_record(r)] if fields.isbn else []
    elif fields.isbn:
        candidates = by_isbn.get(fields.isbn, [])
    else:
        return _match_by_description(fields), None
    for row in candidates:
        if _same_title(row["title"], fields.title):
            return row, None
    return None, (candidates[0] if candidates else None)


_TITLE_NOISE = re.compile(r"[\W_]+")  # spaces and punctuation, Chinese punctuation included


def _same_title(held: str, incoming: str) -> bool:
    """Titles of one book: the same, or one of them the other with more added (a subtitle, a
    volume: 红楼梦 and 红楼梦 : 脂评本), spaces and punctuation aside."""
    held, incoming = _TITLE_NOISE.sub("", held).casefold(), _TITLE_NOISE.sub("", incoming).casefold()
    return bool(held and incoming) and (held.startswith(incoming) or incoming.startswith(held))


def _match_by_description(fields: BibFields) -> dict | None:
    """A record with neither 001 nor ISBN is the local record with the same description."""
    found = (
        Bib.select(Bib.id)
        .where(
            (Bib.control_number == "")
            & (Bib.isbn == "")
            & (Bib.title == fields.title)
            & (Bib.author == fields.author)
            & (Bib.publisher == fields.publisher)
            & (Bib.year == fields.year)
        )
        .first()
    )
    if found is None:
        return None
    return _bib_select("id", [found.id])[0]


def _copies(
    record: MarcRecord,
    fields: BibFields,
    row: dict,
    places: _Places,
    present: dict[str, str],
    items: list[tuple],
    report: ImportReport,
    stamp: str,
    ids: _Ids,
) -> list[tuple[str, dict]]:
    """Items for the record's holdings that are not here yet, and their events.

    ``present`` maps the batch's barcodes already in the catalogue to their Bib; copies
    added here join it, so a barcode twice in one file is added once.
    """
    events = []
    for holding in fields.holdings:
        owner = present.get(holding.barcode)
        if owner is not None:
            if owner == row["id"]:
                report.items_present += 1
            else:
                report.warn(
                    Skipped(
                        record.position,
                        record.offset,
                        record.line,
                        N_("Copy {barcode} is already in the catalogue under another record; it was left as it is."),
                        (("barcode", holding.barcode),),
                    )
                )
            continue
        if len(holding.barcode) > Item.barcode.max_length:
            report.warn(
                Skipped(
                    record.position,
                    record.offset,
                    record.line,
                    N_("Copy barcode {barcode} is longer than {most} characters; the copy was not added."),
                    (("barcode", holding.barcode), ("most", Item.barcode.max_length)),
                )
            )
            continue
        location_id, location_code = places.find(holding.places)
        item_id = ids.take()
        items.append(
            (item_id, holding.barcode, row["id"], location_id, location_id, "available", "book",
             holding.call_number, holding.price_cents, "purchase", stamp, stamp)
        )
        present[holding.barcode] = row["id"]
        report.items_added += 1
        events.append(
            (
                "item.accessioned",
                {
                    "item": {
                        "id": item_id,
                        "barcode": holding.barcode,
                        "bib_id": row["id"],
                        "home_location": location_code,
                        "current_location": location_code,
                        "status": "available",
                        "item_type": "book",
                        "call_number": holding.call_number,
                        "price_cents": holding.price_cents,
                        "source": "purchase",
                    }
                },
            )
        )
    return events


def _bib_payload(row: dict) -> dict:
    return {"id": row["id"], **{c: row[c] for c in COLUMNS}}


