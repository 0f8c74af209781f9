"""Readers and the life of their cards."""

from __future__ import annotations

import peewee as pw

from models.base import SyncedModel
from models.org import Branch, Staff, utcnow


class Patron(SyncedModel):
    ID_TYPES = ("resident_id", "passport", "hmt_permit", "foreign_permanent", "none")
    STATUSES = ("active", "suspended", "returned", "erased")

    card_number = pw.CharField(unique=True, max_length=32)
    name = pw.CharField(index=True)  # prefix search by characters
    name_pinyin = pw.CharField(default="", index=True)
    name_initials = pw.CharField(default="", index=True)
    gender = pw.CharField(default="", max_length=1)  # M, F or blank
    id_type = pw.CharField(default="resident_id", max_length=24)
    id_number = pw.CharField(default="")  # full number: shown to librarians only, audited
    id_number_hash = pw.CharField(default="", index=True)  # keyed hash: duplicate finding
    id_number_masked = pw.CharField(default="")
    id_last4 = pw.CharField(default="", max_length=4, index=True)  # desk search: "the ID ends in 123X"
    birth_date = pw.DateField(null=True)
    phone = pw.CharField(default="", index=True)
    address = pw.CharField(default="")
    category = pw.CharField(default="adult", max_length=24, index=True)
    home_branch = pw.ForeignKeyField(Branch, backref="patrons")
    status = pw.CharField(default="active", max_length=16, index=True)
    expiry_date = pw.DateField(null=True, index=True)
    deposit_cents = pw.IntegerField(default=0)
    notes = pw.TextField(default="")
    consent_at = pw.DateTimeField(null=True)
    pin_hash = pw.CharField(default="")
    guardian = pw.ForeignKeyField("self", null=True, backref="wards")
    guardian_name = pw.CharField(default="")
    guardian_phone = pw.CharField(default="")
    guardian_id_number = pw.CharField(default="")
    registered_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        # The patron list pages in card order within a category or status (200k readers).
        indexes = ((("category", "card_number"), False), (("status", "card_number"), False))


# Given names start at the 2nd character (3rd after 欧阳, 司马 ...): indexing the name from
# there lets "三丰" find 张三丰 without reading every name.
NAME_FROM_2 = pw.fn.substr(Patron.name, pw.SQL("2"))
NAME_FROM_3 = pw.fn.substr(Patron.name, pw.SQL("3"))
Patron.add_index(pw.ModelIndex(Patron, (NAME_FROM_2,), name="patron_name_from_2"))
Patron.add_index(pw.ModelIndex(Patron, (NAME_FROM_3,), name="patron_name_from_3"))


class CardEvent(SyncedModel):
    KINDS = ("issued", "renewed", "suspended", "unsuspended", "replaced", "returned", "erased")

    patron = pw.ForeignKeyField(Patron, backref="card_events")
    kind = pw.CharField(max_length=16)
    card_number = pw.CharField(default="")
    old_card_number = pw.CharField(default="")  # replaced numbers stay blocked for good
    reason_code = pw.CharField(default="", max_length=32)
    reason = pw.CharField(default="")
    amount_cents = pw.IntegerField(default=0)
    at = pw.DateTimeField(default=utcnow, index=True)
    staff = pw.ForeignKeyField(Staff, null=True)


# Only replacements set old_card_number; a partial index keeps the planner's statistics
# about those rows (a full one is all '' and looks useless to it). Query with both terms.
CardEvent.add_index(
    pw.ModelIndex(
        CardEvent,
        (CardEvent.old_card_number,),
        where=(CardEvent.old_card_number != ""),
        name="card_event_old_card_number_set",
    )
)
