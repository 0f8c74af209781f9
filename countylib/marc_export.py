"""Exporting catalogue records as MARC21 or UNIMARC for the central cataloguers.

A record that came in as MARC in the same flavour goes out as received (in UTF-8), as
long as its catalogue columns still say what the record says; only its holdings fields
are replaced by the copies this branch has now. Records catalogued here, received in the
other flavour, or edited since, are written from the catalogue columns. Either way the
copies go in 852 (MARC21) or 905 (CNMARC), which ``countylib.marc`` reads back, so an
export imports into another branch's catalogue unchanged.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import peewee as pw

from countylib.audit import record_audit
from countylib.context import ServiceContext
from countylib.errors import ValidationError
from countylib.i18n import _
from countylib.marc import (
    MARC21,
    UNIMARC,
    BadRecord,
    BibFields,
    CopyOut,
    MarcRecord,
    build_record,
    map_record,
    parse_stored,
    with_copies,
)
from countylib.roles import LIBRARIAN
from models import Bib, Branch, Item, Location

BATCH = 500
GONE = ("lost", "withdrawn")


@dataclass
class ExportReport:
    path: str
    flavour: str
    written: int = 0
    copies: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (title, reason)

    def line(self) -> str:
        text = _("{path}: {records} written as {flavour}; copies: {copies}.").format(
            path=Path(self.path).name, records=self.written, flavour=self.flavour.upper(), copies=self.copies
        )
        if self.problems:
            text += " " + _("{n} records could not be written.").format(n=len(self.problems))
        return text


def _columns(bib: Bib) -> BibFields:
    return BibFields(
        control_number=bib.control_number or bib.id,
        title=bib.title,
        author=bib.author,
        publisher=bib.publisher,
        year=bib.year,
        isbn=bib.isbn,
        clc_class=bib.clc_class,
        call_number=bib.call_number,
        price_cents=bib.price_cents,
    )


def _copies_of(bib: Bib, branch: Branch | None) -> list[CopyOut]:
    """The record's copies (at ``branch``'s places only, when given: other branches' copies
    reach this database by sync, and they send their own)."""
    query = (
        Item.select(Item.barcode, Item.call_number, Item.price_cents, Location.code)
        .join(Location, on=Item.home_location == Location.id)
        .where((Item.bib == bib) & Item.status.not_in(GONE))
        .order_by(Item.barcode)
    )
    if branch is not None:
        query = query.where(Location.branch == branch)
    return [CopyOut(barcode, call, location, price) for barcode, call, price, location in query.tuples()]


def record_for_export(
    bib: Bib, flavour: str, *, include_copies: bool = True, library_code: str = "", branch: Branch | None = None
) -> MarcRecord:
    """The record to send for ``bib``: as received when still true, else from the columns."""
    copies = _copies_of(bib, branch) if include_copies else []
    columns = _columns(bib)
    if bib.marc and bib.marc_format == flavour:
        try:
            received = parse_stored(bytes(bib.marc), flavour)
        except BadRecord:
            received = None
        if received is not None:
            said = map_record(received).columns()
            said["control_number"] = said["control_number"] or bib.id
            if said == columns.columns():
                return with_copies(received, copies, library_code=library_code, bib_price_cents=bib.price_cents)
    stamp = bib.updated_at.strftime("%Y%m%d%H%M%S")
    return build_record(columns, flavour, library_code=library_code, stamp=stamp, copies=copies)


def _chosen(since: dt.date | None, clock, branch: Branch) -> pw.ModelSelect:
    query = Bib.select().order_by(Bib.created_at, Bib.id)
    if since is None:
        return query
    # ``since`` is a local date: from its midnight in the library's time zone, in UTC.
    start = dt.datetime.combine(since, dt.time(), tzinfo=clock.timezone).astimezone(dt.UTC).replace(tzinfo=None)
    accessioned = (
        Item.select(Item.bib)
        .join(Location, on=Item.home_location == Location.id)
        .where((Item.accessioned_at >= start) & (Location.branch == branch))
    )
    return query.where((Bib.updated_at >= start) | Bib.id.in_(accessioned))


def export_marc_file(
    ctx: ServiceContext, path: str | Path, *, flavour: str = MARC21, since: dt.date | None = None
) -> ExportReport:
    """Write the chosen records (all, or added, changed or given copies since ``since``)."""
    ctx.require(LIBRARIAN)
    if flavour not in (MARC21, UNIMARC):
        raise ValidationError("Unknown MARC format {format}; use marc21 or unimarc.", format=flavour)
    path = Path(path)
    report = ExportReport(str(path), flavour)
    # Written beside the target and renamed at the end: a failed export leaves no half file.
    partial = path.with_name(path.name + ".part")
    try:
        with open(partial, "wb") as out:
            for bib in _chosen(since, ctx.clock, ctx.branch).iterator():
                try:
                    record = record_for_export(bib, flavour, library_code=ctx.branch.code, branch=ctx.branch)
                except BadRecord as exc:
                    report.problems.append((bib.title, exc.message))
                    continue
                out.write(record.raw)
                report.written += 1
                report.copies += sum(1 for f in record.fields if f.tag in ("852", "905"))
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ValidationError("Cannot write {path}: {reason}", path=str(path), reason=exc) from exc
    with ctx.db.atomic("IMMEDIATE"):
        record_audit(
            ctx, "marc.exported", "file", path.name, flavour=flavour, records=report.written,
            since=since.isoformat() if since else None,
        )
    return report
