"""Volunteers (志愿者), their shifts and the hours they give."""

from __future__ import annotations

import peewee as pw

from models.base import JSONField, SyncedModel
from models.org import Location, Staff, utcnow
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
    # The account a volunteer signs in with (role volunteer): what lets the services show
    # them their own shifts and nobody else's.
    staff = pw.ForeignKeyField(Staff, null=True, unique=True, backref="volunteer_records")
    notes = pw.TextField(default="")
    updated_at = pw.DateTimeField(default=utcnow)


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
    cancel_reason = pw.CharField(default="")
    created_at = pw.DateTimeField(default=utcnow)


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
    assigned_at = pw.DateTimeField(default=utcnow)
    status_reason = pw.CharField(default="")  # why it was cancelled or swapped
    # A swap keeps the old row (status "swapped") and points at the assignment that took its place.
    replaced_by = pw.ForeignKeyField("self", null=True, backref="replaces")


class VolunteerReview(SyncedModel):
    """A periodic evaluation: a short remark (小评) and a fuller summary (总结)."""

    volunteer = pw.ForeignKeyField(Volunteer, backref="reviews")
    period_start = pw.DateField()
    period_end = pw.DateField()
    brief = pw.CharField(default="")
    summary = pw.TextField(default="")
    reviewer = pw.ForeignKeyField(Staff, null=True)
    created_at = pw.DateTimeField(default=utcnow)


class VolunteerHonour(SyncedModel):
    """A title staff confirmed for a year, e.g. outstanding volunteer (优秀志愿者)."""

    volunteer = pw.ForeignKeyField(Volunteer, backref="honours")
    year = pw.SmallIntegerField(index=True)
    title = pw.CharField(default="outstanding", max_length=32)
    minutes = pw.IntegerField(default=0)  # the year's hours when it was confirmed
    confirmed_by = pw.ForeignKeyField(Staff, null=True)
    confirmed_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("volunteer", "year", "title"), True),)
