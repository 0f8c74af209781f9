"""Volunteers (志愿者), their shifts and the hours they give."""

from __future__ import annotations

import peewee as pw

from models.base import JSONField, SyncedModel
from models.org import Location, utcnow
from models.patrons import Patron


class Volunteer(SyncedModel):
    STATUSES = ("applicant", "active", "paused", "left")

    name = pw.CharField()
    name_pinyin = pw.CharField(default="", index=True)
    name_initials = pw.CharField(default="", index=True)
    phone = pw.CharField(default="")
    card_number = pw.CharField(null=True, unique=True, max_length=32)
    id_number_hash = pw.CharField(default="", index=True)
    id_number_masked = pw.CharField(default="")
    patron = pw.ForeignKeyField(Patron, null=True, backref="volunteer_roles")
    skills = JSONField(default=list)
    availability = JSONField(default=dict)  # {"sat": ["am", "pm"], ...}
    emergency_contact = pw.CharField(default="")
    background_check_on = pw.DateField(null=True)
    status = pw.CharField(default="applicant", max_length=16)
    consent_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)


class Shift(SyncedModel):
    location = pw.ForeignKeyField(Location, backref="shifts")
    day = pw.DateField(index=True)
    starts = pw.TimeField()
    ends = pw.TimeField()
    role = pw.CharField(default="")
    slots = pw.SmallIntegerField(default=1)
    needs_background_check = pw.BooleanField(default=False)
    series_id = pw.CharField(null=True, max_length=36)
    cancelled = pw.BooleanField(default=False)


class ShiftAssignment(SyncedModel):
    STATUSES = ("assigned", "cancelled", "swapped", "attended", "no_show")

    shift = pw.ForeignKeyField(Shift, backref="assignments")
    volunteer = pw.ForeignKeyField(Volunteer, backref="assignments")
    status = pw.CharField(default="assigned", max_length=16)
    signed_in_at = pw.DateTimeField(null=True)
    signed_out_at = pw.DateTimeField(null=True)
    minutes = pw.IntegerField(default=0)
    rating = pw.SmallIntegerField(null=True)
    comment = pw.TextField(default="")
    correction_reason = pw.CharField(default="")
