"""Bibliographic records and the copies on the shelves."""

from __future__ import annotations

import peewee as pw

from models.base import SyncedModel
from models.org import Location, utcnow


class Bib(SyncedModel):
    control_number = pw.CharField(default="", index=True)  # MARC 001
    title = pw.CharField()
    author = pw.CharField(default="")
    publisher = pw.CharField(default="")
    year = pw.CharField(default="", max_length=8)
    isbn = pw.CharField(default="", index=True)  # normalised ISBN-13
    clc_class = pw.CharField(default="", index=True)  # 中图法 class number, e.g. I247.5
    call_number = pw.CharField(default="")
    price_cents = pw.IntegerField(default=0)
    marc = pw.BlobField(null=True)  # the raw record as received, ISO 2709
    marc_format = pw.CharField(default="", max_length=8)  # marc21 | unimarc
    pinyin = pw.TextField(default="")  # full pinyin and initials of title and author, for search
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        # Reports add up loans and copies by class over every title: this index alone answers.
        indexes = ((("id", "clc_class"), False),)


class Item(SyncedModel):
    STATUSES = ("available", "on_loan", "in_transit", "on_hold_shelf", "lost", "damaged", "withdrawn")
    TYPES = ("book", "periodical", "reference", "local_history", "av", "children")

    barcode = pw.CharField(unique=True, max_length=32)
    bib = pw.ForeignKeyField(Bib, backref="items")
    home_location = pw.ForeignKeyField(Location, backref="home_items")
    current_location = pw.ForeignKeyField(Location, backref="present_items")
    status = pw.CharField(default="available", max_length=16, index=True)
    item_type = pw.CharField(default="book", max_length=16)
    call_number = pw.CharField(default="")
    price_cents = pw.IntegerField(default=0)
    source = pw.CharField(default="purchase", max_length=16)  # purchase | donation
    accession_number = pw.CharField(null=True, unique=True, max_length=32)
    accessioned_at = pw.DateTimeField(default=utcnow, index=True)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        # Reports read every copy's title, status and accession time in key order from this
        # index alone (the table's rows are several times wider).
        indexes = ((("id", "bib", "status", "accessioned_at"), False),)
