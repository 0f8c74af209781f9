"""Reading-promotion activities, who came, and how many walked through the door."""

from __future__ import annotations

import peewee as pw

from models.base import SyncedModel
from models.org import Location, utcnow
from models.patrons import Patron


class Event(SyncedModel):
    """A library activity: lecture (讲座), story time, exhibition, training, reading club."""

    title = pw.CharField()
    kind = pw.CharField(default="lecture", max_length=24)
    location = pw.ForeignKeyField(Location, backref="events")
    room = pw.CharField(default="")  # where inside the location: 报告厅, 少儿阅览室
    starts_at = pw.DateTimeField(index=True)
    ends_at = pw.DateTimeField()
    capacity = pw.IntegerField(default=0)  # 0: unlimited
    min_age = pw.SmallIntegerField(null=True)
    max_age = pw.SmallIntegerField(null=True)
    guardian_required = pw.BooleanField(default=False)
    registration_opens = pw.DateTimeField(null=True)
    registration_closes = pw.DateTimeField(null=True)
    organiser = pw.CharField(default="")
    description = pw.TextField(default="")
    series_id = pw.CharField(null=True, max_length=36)
    status = pw.CharField(default="planned", max_length=16)  # planned | cancelled | finished
    summary = pw.TextField(default="")
    archive_note = pw.TextField(default="")  # 立卷归档: where the photos, sign-in sheets, file are kept


class Registration(SyncedModel):
    STATUSES = ("registered", "waitlisted", "cancelled", "no_show", "attended")

    event = pw.ForeignKeyField(Event, backref="registrations")
    patron = pw.ForeignKeyField(Patron, null=True, backref="registrations")
    walk_in_name = pw.CharField(default="")
    walk_in_phone = pw.CharField(default="")
    stated_age = pw.SmallIntegerField(null=True)  # walk-ins, or a card without a birth date
    guardian_name = pw.CharField(default="")  # the adult who comes with a child
    at_door = pw.BooleanField(default=False)  # added at the door, not registered beforehand
    status = pw.CharField(default="registered", max_length=16)
    registered_at = pw.DateTimeField(default=utcnow)


class Attendance(SyncedModel):
    event = pw.ForeignKeyField(Event, backref="attendance")
    registration = pw.ForeignKeyField(Registration, null=True)
    patron = pw.ForeignKeyField(Patron, null=True)
    name = pw.CharField(default="")
    checked_in_at = pw.DateTimeField(default=utcnow)
    late = pw.BooleanField(default=False)


class VisitCount(SyncedModel):
    """Visitors (到馆人次) counted at a place: a day total (hour null) or an hour's."""

    location = pw.ForeignKeyField(Location, backref="visit_counts")
    day = pw.DateField(index=True)
    hour = pw.SmallIntegerField(null=True)
    count = pw.IntegerField()
    source = pw.CharField(default="manual", max_length=16)

    class Meta:
        indexes = ((("location", "day", "hour"), True),)
