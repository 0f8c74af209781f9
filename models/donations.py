"""Gifts from the public (接受社会各界捐赠) and what became of each book."""

from __future__ import annotations

import peewee as pw

from models.base import SyncedModel
from models.catalogue import Bib, Item
from models.org import Branch, Location, Staff, utcnow


class Donor(SyncedModel):
    name = pw.CharField()
    kind = pw.CharField(default="person", max_length=16)  # person | organisation
    phone = pw.CharField(default="")
    address = pw.CharField(default="")
    anonymous = pw.BooleanField(default=False)
    notes = pw.TextField(default="")
    created_at = pw.DateTimeField(default=utcnow)


class Donation(SyncedModel):
    donor = pw.ForeignKeyField(Donor, backref="donations")
    branch = pw.ForeignKeyField(Branch)
    received_on = pw.DateField(index=True)
    how_received = pw.CharField(default="in_person", max_length=24)
    notes = pw.TextField(default="")
    staff = pw.ForeignKeyField(Staff, null=True)


class DonationLine(SyncedModel):
    DECISIONS = ("pending", "accessioned", "forwarded", "declined")

    donation = pw.ForeignKeyField(Donation, backref="lines")
    isbn = pw.CharField(default="")
    title = pw.CharField(default="")
    bib = pw.ForeignKeyField(Bib, null=True)
    item = pw.ForeignKeyField(Item, null=True)
    decision = pw.CharField(default="pending", max_length=16)
    reason = pw.CharField(default="")
    forward_to = pw.ForeignKeyField(Location, null=True)
    estimated_value_cents = pw.IntegerField(default=0)
