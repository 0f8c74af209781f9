"""Koha offline circulation (.koc) files, for counties whose central system runs Koha.

Format (what Koha's ``offline_circ/process_koc.pl`` reads): a header line
``Version=1.0<TAB>Generator=...<TAB>GeneratorVersion=...``, then one line per transaction,
``YYYY-MM-DD HH:MM:SS<TAB>issue<TAB>cardnumber<TAB>barcode`` or
``YYYY-MM-DD HH:MM:SS<TAB>return<TAB>barcode``. Koha reads the times as its own local time,
so they are written in the library's time zone; the file names no branch (one file per
branch). Each check-out and check-in event goes into one file only: the events handled are
remembered (``KocExport``), so running the export again writes only what is new.

An undo at the desk (``loan.corrected``) takes its transaction back: a loan or a return undone
before Koha heard of it is left out, with the undo's own return; one Koha already has is
answered with the opposite line (a return for a loan, an issue for a return), as at the desk.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from countylib import __version__
from countylib.context import ServiceContext, service
from countylib.errors import ValidationError
from countylib.roles import LIBRARIAN
from models import KocExport, Outbox
from sync.codec import parse_utc

KOC_VERSION = "1.0"
GENERATOR = "CountyLib"
TYPES = ("loan.checked_out", "loan.checked_in", "loan.corrected")


@dataclass(frozen=True)
class KocResult:
    path: Path
    issues: int
    returns: int
    already_exported: int


def koc_line(ctx: ServiceContext, event_type: str, payload: dict) -> str | None:
    """One transaction line, or None when the event lacks what Koha needs."""
    if event_type == "loan.checked_out":
        when, fields = payload.get("checked_out_at"), ["issue", payload.get("card_number"), payload.get("barcode")]
    elif event_type == "loan.corrected":  # a return undone after Koha had it: lent again
        when, fields = payload.get("corrected_at"), ["issue", payload.get("card_number"), payload.get("barcode")]
    else:
        when, fields = payload.get("checked_in_at"), ["return", payload.get("barcode")]
    if not when or not all(fields):
        return None
    local = parse_utc(when).replace(tzinfo=dt.UTC).astimezone(ctx.clock.timezone)
    return "\t".join([local.strftime("%Y-%m-%d %H:%M:%S"), *(str(f).replace("\t", " ") for f in fields)])


@service(LIBRARIAN)
def export_koc(ctx: ServiceContext, since: dt.date, out: Path) -> KocResult:
    """Write this branch's check-outs and check-ins since a local date that no earlier file had."""
    if since > ctx.clock.today():
        raise ValidationError("The date {date} is in the future.", date=since.isoformat())
    start = dt.datetime.combine(since, dt.time(0), tzinfo=ctx.clock.timezone).astimezone(dt.UTC).replace(tzinfo=None)
    query = (
        Outbox.select(Outbox.id, Outbox.type, Outbox.payload)
        .where(Outbox.type.in_(TYPES) & (Outbox.created_at >= start) & (Outbox.branch == ctx.branch.code))
        .order_by(Outbox.created_at, Outbox.seq)
    )
    done = {event_id for (event_id,) in KocExport.select(KocExport.event_id).tuples()}
    lines: dict[str, str | None] = {}  # event → its line, None once an undo took it back
    issued: dict[str, str] = {}  # loan → its check-out in this file
    returned: dict[str, str] = {}  # loan → its latest return in this file
    skipped = 0
    for event_id, event_type, payload in query.tuples():
        if event_id in done:
            skipped += 1
            continue
        loan_id, undid = payload.get("loan_id"), payload.get("undid")
        if event_type == "loan.corrected":
            lines[event_id] = None  # handled: Koha hears of an undo only as the opposite line
            if undid == "check_out" and loan_id in issued:
                lines[issued.pop(loan_id)] = None
                if loan_id in returned:  # the return the undo wrote
                    lines[returned.pop(loan_id)] = None
            elif undid == "check_in" and loan_id in returned:
                lines[returned.pop(loan_id)] = None
            elif undid == "check_in":
                lines[event_id] = koc_line(ctx, event_type, payload)
            continue
        lines[event_id] = koc_line(ctx, event_type, payload)
        if loan_id and lines[event_id] is not None:
            (issued if event_type == "loan.checked_out" else returned)[loan_id] = event_id
    written = [line for line in lines.values() if line is not None]
    issues = sum(line.split("\t")[1] == "issue" for line in written)
    returns = len(written) - issues
    exported = list(lines)
    out = Path(out)
    header = f"Version={KOC_VERSION}\tGenerator={GENERATOR}\tGeneratorVersion={__version__}"
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text("\n".join([header, *written]) + "\n", encoding="utf-8")
    now = ctx.clock.utcnow()
    for start_at in range(0, len(exported), 500):
        KocExport.insert_many(
            [{"event_id": e, "exported_at": now, "file": out.name} for e in exported[start_at : start_at + 500]]
        ).execute()
    # The file appears only once its events are marked; a failure before leaves neither.
    os.replace(tmp, out)
    return KocResult(out, issues, returns, skipped)
