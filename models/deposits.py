"""Deposit collections: blocks of items lent to a reading point or the book van (流动服务)."""

from __future__ import annotations

import peewee as pw

from models.base import SyncedModel
from models.catalogue import Item
from models.org import Location, utcnow


class DepositCollection(SyncedModel):
    """One batch sent out together, with one transfer list."""

    location = pw.ForeignKeyField(Location, backref="deposit_collections")  # where it went
    sent_at = pw.DateTimeField(default=utcnow, index=True)
    sent_by = pw.CharField(default="")  # user name, kept even if the account goes away
    note = pw.CharField(default="")
    closed_at = pw.DateTimeField(null=True)  # when the last item came back


class DepositLine(SyncedModel):
    collection = pw.ForeignKeyField(DepositCollection, backref="lines")
    item = pw.ForeignKeyField(Item, backref="deposit_lines")
    barcode = pw.CharField(max_length=32)
    sent_from = pw.ForeignKeyField(Location)  # where it stood before; it goes back there
    returned_at = pw.DateTimeField(null=True)
    returned_by = pw.CharField(default="")


# An item is out with at most one collection at a time: the database refuses a second one.
DepositLine.add_index(
    pw.ModelIndex(
        DepositLine, (DepositLine.item,), unique=True, where=DepositLine.returned_at.is_null(), name="deposit_line_item_out"
    )
)
DepositLine.add_index(DepositLine.collection, DepositLine.returned_at)
