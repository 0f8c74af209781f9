"""Reading the audit log: admins only, in pages and filters, and exported as CSV.

The log names staff and sometimes readers (whose ID number was viewed), so reading it is
an admin's task, and exporting it is itself audited. Entries are never edited or deleted
here.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from countylib.audit import record_audit
from countylib.context import ServiceContext, service
from countylib.errors import ValidationError
from countylib.i18n import N_, _
from countylib.roles import ADMIN
from models import AuditLog

PAGE = 200
CSV_HEADER = ("at_utc", "username", "action", "target_type", "target_id", "details")

# Kinds of entry the screen offers as a filter: label, and the parts of action names they match.
KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("Sign-ins"), ("login", "logout")),
    (N_("Overrides"), ("override",)),
    (N_("Personal data viewed"), ("viewed", "exported")),
    (N_("Deletions"), ("deleted", "erased", "cancelled")),
    (N_("Restores"), ("restored",)),
    (N_("Staff accounts"), ("staff.",)),
    (N_("Settings and rules"), ("setting.", "rule.", "calendar.")),
)


@dataclass(frozen=True)
class AuditEntry:
    id: str
    at: dt.datetime  # naive UTC, as stored
    username: str
    action: str
    target_type: str
    target_id: str
    details: dict

    def details_text(self) -> str:
        return json.dumps(self.details, ensure_ascii=False, sort_keys=True) if self.details else ""


@dataclass(frozen=True)
class AuditFilter:
    text: str = ""  # part of an action, a user name or a target id
    actions: tuple[str, ...] = ()  # any of these parts of an action name (a kind from KINDS)
    since: dt.date | None = None  # local dates, inclusive
    until: dt.date | None = None


def _query(ctx: ServiceContext, flt: AuditFilter):
    query = AuditLog.select()
    if flt.since and flt.until and flt.since > flt.until:
        raise ValidationError("The start date is after the end date.")
    if flt.since:
        query = query.where(AuditLog.at >= _utc_start(ctx, flt.since))
    if flt.until:
        query = query.where(AuditLog.at < _utc_start(ctx, flt.until + dt.timedelta(days=1)))
    text = flt.text.strip()
    if text:
        query = query.where(
            AuditLog.action.contains(text) | AuditLog.username.contains(text) | (AuditLog.target_id == text)
        )
    if flt.actions:
        match = AuditLog.action.contains(flt.actions[0])
        for part in flt.actions[1:]:
            match |= AuditLog.action.contains(part)
        query = query.where(match)
    return query.order_by(AuditLog.at.desc(), AuditLog.id.desc())


def _utc_start(ctx: ServiceContext, day: dt.date) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(), tzinfo=ctx.clock.timezone)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _entry(row: AuditLog) -> AuditEntry:
    return AuditEntry(row.id, row.at, row.username, row.action, row.target_type, row.target_id, row.details or {})


@service(ADMIN)
def list_audit_entries(
    ctx: ServiceContext, flt: AuditFilter | None = None, *, limit: int = PAGE, offset: int = 0
) -> list[AuditEntry]:
    """Newest first, one page."""
    query = _query(ctx, flt or AuditFilter())
    return [_entry(row) for row in query.limit(max(1, min(limit, 1000))).offset(max(0, offset))]


@service(ADMIN)
def count_audit_entries(ctx: ServiceContext, flt: AuditFilter | None = None) -> int:
    return _query(ctx, flt or AuditFilter()).count()


@service(ADMIN)
def export_audit_log(ctx: ServiceContext, path: str | Path, flt: AuditFilter | None = None) -> int:
    """Write the (filtered) log as UTF-8 CSV with a BOM (Excel opens it right); returns rows written."""
    path = Path(path)
    flt = flt or AuditFilter()
    try:
        with open(path, "w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow(CSV_HEADER)
            n = 0
            for row in _query(ctx, flt).iterator():
                entry = _entry(row)
                writer.writerow(
                    (entry.at.isoformat(timespec="seconds"), entry.username, entry.action, entry.target_type,
                     entry.target_id, entry.details_text())
                )
                n += 1
    except OSError as exc:
        raise ValidationError("Cannot write {path}: {reason}", path=str(path), reason=exc) from exc
    record_audit(ctx, "audit_log.exported", "file", path.name, rows=n, text=flt.text,
                 since=flt.since.isoformat() if flt.since else None, until=flt.until.isoformat() if flt.until else None)
    return n


def kinds() -> list[tuple[str, tuple[str, ...]]]:
    """(translated label, action parts) for the screen's filter."""
    return [(_(label), parts) for label, parts in KINDS]
