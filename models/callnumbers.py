"""Ranges of call-number running numbers (种次号) the centre reserved for a branch.

A running number is one county-wide counter per class, but branches catalogue offline: the
centre hands each branch a block of numbers per class (or per class prefix, "" meaning
every class), and the branch counts within its own blocks only, so two places never give
out the same number.
"""

from __future__ import annotations

import peewee as pw

from models.base import BaseModel, SyncedModel
from models.org import Branch, utcnow


class CallNumberBlock(SyncedModel):
    branch = pw.ForeignKeyField(Branch, backref="call_number_blocks")
    class_prefix = pw.CharField(default="", index=True)  # "" every class, "I" all of I, "I247.5" that class
    first_number = pw.IntegerField()
    last_number = pw.IntegerField()
    note = pw.CharField(default="")
    reserved_at = pw.DateTimeField(default=utcnow)


class CallNumberCursor(BaseModel):
    """How far one class has counted inside one block (local: only this branch counts in it)."""

    block = pw.ForeignKeyField(CallNumberBlock, backref="cursors", on_delete="CASCADE")
    clc_class = pw.CharField()
    next_number = pw.IntegerField()

    class Meta:
        indexes = ((("block", "clc_class"), True),)
