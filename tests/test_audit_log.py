"""The audit log service: admins read and export it; filters; the export is itself audited."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from countylib.audit import record_audit
from countylib.audit_log import AuditFilter, count_audit_entries, export_audit_log, kinds, list_audit_entries
from countylib.auth import sign_in
from countylib.errors import AuthenticationFailed, PermissionDenied, ValidationError


def test_admins_read_newest_first_with_filters(library):
    with pytest.raises(AuthenticationFailed):
        sign_in(library, "admin", "wrong-password")
    sign_in(library, "admin", "admin123")
    library.clock.advance(days=2)
    with library.db.atomic():
        record_audit(library, "patron.id_viewed", "patron", "p-1")
    entries = list_audit_entries(library)
    assert [e.action for e in entries[:3]] == ["patron.id_viewed", "login.succeeded", "login.failed"]
    assert count_audit_entries(library, AuditFilter(text="login")) == 2
    viewed = dict(kinds())[next(label for label, parts in kinds() if "viewed" in parts)]
    assert [e.action for e in list_audit_entries(library, AuditFilter(actions=viewed))] == ["patron.id_viewed"]
    today = library.clock.today()
    assert [e.target_id for e in list_audit_entries(library, AuditFilter(since=today, until=today))] == ["p-1"]
    assert list_audit_entries(library, AuditFilter(text="p-1"))[0].action == "patron.id_viewed"
    with pytest.raises(ValidationError, match="start date is after the end date"):
        list_audit_entries(library, AuditFilter(since=today, until=today - dt.timedelta(days=1)))
    assert len(list_audit_entries(library, limit=1, offset=1)) == 1


def test_export_writes_csv_and_is_audited(library, tmp_path):
    sign_in(library, "admin", "admin123")
    path = tmp_path / "audit.csv"
    n = export_audit_log(library, path)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["at_utc", "username", "action", "target_type", "target_id", "details"]
    assert len(rows) == n + 1 and {"login.succeeded", "library.initialized"} <= {r[2] for r in rows[1:]}
    assert list_audit_entries(library)[0].action == "audit_log.exported"
    with pytest.raises(ValidationError, match="Cannot write"):
        export_audit_log(library, tmp_path / "missing" / "audit.csv")


def test_only_admins(as_role, tmp_path):
    for role in ("volunteer", "librarian"):
        ctx = as_role(role)
        with pytest.raises(PermissionDenied):
            list_audit_entries(ctx)
        with pytest.raises(PermissionDenied):
            export_audit_log(ctx, tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
