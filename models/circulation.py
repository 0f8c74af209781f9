"""Loans, holds, the rule matrix and the closed-day calendar."""

from __future__ import annotations

import peewee as pw

from models.base import BaseModel, SyncedModel
from models.catalogue import Bib, Item
from models.org import Branch, Location, Staff, utcnow
from models.patrons import Patron


class Loan(SyncedModel):
    # No single-column indexes on item, patron, location and staff: the composite indexes
    # below start with them, and every index costs each check-out a write.
    item = pw.ForeignKeyField(Item, backref="loans", index=False)
    patron = pw.ForeignKeyField(Patron, null=True, backref="loans", index=False)  # null once anonymised
    location = pw.ForeignKeyField(Location, backref="loans", index=False)  # where it was lent
    checked_out_at = pw.DateTimeField(default=utcnow, index=True)
    due_date = pw.DateField(index=True)  # a local date: due by the end of that day
    renewals = pw.SmallIntegerField(default=0)
    checked_in_at = pw.DateTimeField(null=True, index=True)
    checkin_location = pw.ForeignKeyField(Location, null=True, backref="returns")
    staff = pw.ForeignKeyField(Staff, null=True, index=False)
    patron_category = pw.CharField(default="", max_length=24)  # kept for statistics

    class Meta:
        indexes = (
            (("item", "checked_in_at"), False),
            (("patron", "checked_in_at"), False),
            # Reports: a copy's loans and a reader's loans in time order, and the loans of a
            # place and patron category in time order (counted by range, never sorted).
            (("item", "checked_out_at"), False),
            (("patron", "checked_out_at"), False),
            (("location", "patron_category", "checked_out_at", "renewals"), False),
        )


class Hold(SyncedModel):
    STATUSES = ("waiting", "ready", "filled", "cancelled", "expired")

    patron = pw.ForeignKeyField(Patron, backref="holds")
    bib = pw.ForeignKeyField(Bib, backref="holds")
    item = pw.ForeignKeyField(Item, null=True, backref="holds")  # the copy set aside
    pickup_location = pw.ForeignKeyField(Location)
    status = pw.CharField(default="waiting", max_length=16, index=True)
    placed_at = pw.DateTimeField(default=utcnow)
    ready_at = pw.DateTimeField(null=True)
    expires_on = pw.DateField(null=True)
    closed_at = pw.DateTimeField(null=True)


class CirculationRule(SyncedModel):
    """One cell of branch × patron category × item type; a null part means "any"."""

    branch = pw.ForeignKeyField(Branch, null=True)
    patron_category = pw.CharField(null=True, max_length=24)
    item_type = pw.CharField(null=True, max_length=16)
    loan_days = pw.SmallIntegerField(default=30)
    max_items = pw.SmallIntegerField(default=10)
    renewals = pw.SmallIntegerField(default=1)
    renewal_days = pw.SmallIntegerField(default=30)
    holds_allowed = pw.SmallIntegerField(default=5)
    fine_per_day_cents = pw.IntegerField(default=0)
    fine_cap_cents = pw.IntegerField(default=0)
    loanable = pw.BooleanField(default=True)

    class Meta:
        indexes = ((("branch", "patron_category", "item_type"), True),)


class Calendar(BaseModel):
    """Days a branch is closed; due dates move to the next open day."""

    branch = pw.ForeignKeyField(Branch, null=True)  # null: every branch
    day = pw.DateField()
    reason = pw.CharField(default="")

    class Meta:
        indexes = ((("branch", "day"), True),)


class InHouseUse(SyncedModel):
    """A copy read in the building and left on a table: counted, never lent."""

    item = pw.ForeignKeyField(Item, backref="in_house_uses")
    location = pw.ForeignKeyField(Location)
    used_at = pw.DateTimeField(default=utcnow, index=True)
    staff = pw.ForeignKeyField(Staff, null=True)
