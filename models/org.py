"""The library's own shape: branches, places, staff, settings, the audit trail."""

from __future__ import annotations

import datetime as dt

import peewee as pw

from models.base import BaseModel, JSONField, SyncedModel


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Branch(SyncedModel):
    code = pw.CharField(unique=True, max_length=16)
    name = pw.CharField()
    library_name = pw.CharField(default="")
    is_local = pw.BooleanField(default=False)  # the branch this database works for
    created_at = pw.DateTimeField(default=utcnow)


class Location(SyncedModel):
    """A service point: the branch building, a reading point (便民阅读点), the book van or a van stop.

    The van itself is a place too: a deposit collection rides in it from stop to stop.
    """

    KINDS = ("branch", "reading_point", "van", "van_stop")

    branch = pw.ForeignKeyField(Branch, backref="locations")
    code = pw.CharField(unique=True, max_length=32)
    name = pw.CharField()
    kind = pw.CharField(default="branch", max_length=16)
    host_organisation = pw.CharField(default="")
    contact = pw.CharField(default="")
    route = pw.CharField(default="")
    weekday = pw.SmallIntegerField(null=True)  # van stops: 0 = Monday
    time_of_day = pw.CharField(default="")
    active = pw.BooleanField(default=True)


class Staff(SyncedModel):
    ROLES = ("admin", "librarian", "volunteer")

    username = pw.CharField(unique=True, max_length=64)
    display_name = pw.CharField(default="")
    role = pw.CharField(max_length=16)
    password_hash = pw.CharField()
    branch = pw.ForeignKeyField(Branch, null=True, backref="staff")
    active = pw.BooleanField(default=True)
    failed_logins = pw.IntegerField(default=0)
    locked_until = pw.DateTimeField(null=True)
    last_login_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)


class Setting(BaseModel):
    key = pw.CharField(primary_key=True, max_length=64)
    value = JSONField()


class AuditLog(SyncedModel):
    at = pw.DateTimeField(default=utcnow, index=True)
    staff = pw.ForeignKeyField(Staff, null=True, backref="audit_entries")
    username = pw.CharField(default="")  # kept even if the account goes away
    action = pw.CharField(max_length=64, index=True)
    target_type = pw.CharField(default="", max_length=32)
    target_id = pw.CharField(default="", max_length=64)
    details = JSONField(null=True)
