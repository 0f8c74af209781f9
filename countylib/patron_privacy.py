"""A reader's rights over their data: a copy on request, erasure when the card is gone.

Erasure keeps the Patron row as an anonymous stub (name 已注销读者, no ID, phone, address,
birth date, notes or PIN) instead of deleting it or nulling ``Loan.patron``: the loans stay
linked to one anonymous borrower, so statistics such as "readers who borrowed this year"
and loans per category and sex still count correctly, events from other branches that name
the patron id still find a row, and the card number stays taken so it is never reissued.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import peewee as pw

from countylib.audit import record_audit
from countylib.context import ServiceContext, service
from countylib.i18n import _, format_date, format_datetime
from countylib.idnumbers import ID_TYPE_LABELS
from countylib.patrons import (
    CARD_EVENT_LABELS,
    ERASED_NAME,
    GENDER_LABELS,
    card_event_reason,
    card_status_label,
    category_label,
    get_patron,
)
from countylib.roles import ADMIN, LIBRARIAN
from countylib.settings import get_setting
from models import Bib, CardEvent, Hold, Item, Loan, Patron
from printing.patron_export import ExportTable, PersonalDataExport, render_export_pdf


def _money(cents: int) -> str:
    return f"{cents / 100:.2f}"


def _date(value: dt.date | None) -> str:
    return format_date(value) if value else ""


@service(LIBRARIAN)
def export_patron_data(ctx: ServiceContext, patron_id: str) -> PersonalDataExport:
    """Everything held about one reader, in the current language (audited: it holds the ID)."""
    p = get_patron(patron_id)
    record_audit(ctx, "patron.exported", "patron", p.id, card=p.card_number)

    def when(value: dt.datetime | None) -> str:
        return format_datetime(ctx.clock.to_local(value)) if value else ""

    guardian = p.guardian
    fields = [
        (_("Card number"), p.card_number),
        (_("Name"), p.name),
        (_("Sex"), _(GENDER_LABELS.get(p.gender, p.gender))),
        (_("ID type"), _(ID_TYPE_LABELS.get(p.id_type, p.id_type))),
        (_("ID number"), p.id_number),
        (_("Birth date"), _date(p.birth_date)),
        (_("Phone"), p.phone),
        (_("Address"), p.address),
        (_("Category"), category_label(p.category)),
        (_("Status"), card_status_label(p.status, p.expiry_date, ctx.clock.today())),
        (_("Card valid until"), _date(p.expiry_date)),
        (_("Deposit held"), _money(p.deposit_cents)),
        (_("Notes"), p.notes),
        (_("Registered"), when(p.registered_at)),
        (_("Agreed to the privacy notice"), when(p.consent_at)),
        (_("Guardian"), f"{guardian.name} ({guardian.card_number})" if guardian else p.guardian_name),
        (_("Guardian's phone"), guardian.phone if guardian else p.guardian_phone),
        (_("Guardian's ID number"), "" if guardian else p.guardian_id_number),
    ]
    history = ExportTable(
        _("Card history"),
        [_("When"), _("What"), _("Card number"), _("Reason"), _("Amount")],
        [
            [
                when(e.at),
                _(CARD_EVENT_LABELS.get(e.kind, e.kind)),
                e.card_number,
                card_event_reason(e.kind, e.reason_code, e.reason),
                _money(e.amount_cents),
            ]
            for e in p.card_events.order_by(CardEvent.at)
        ],
    )
    loans = ExportTable(
        _("Loans"),
        [_("Borrowed"), _("Title"), _("Barcode"), _("Due"), _("Returned")],
        [
            [when(loan.checked_out_at), title, barcode, _date(loan.due_date), when(loan.checked_in_at)]
            for loan, title, barcode in (
                (row, row.item.bib.title, row.item.barcode)
                for row in Loan.select(Loan, Item, Bib)
                .join(Item)
                .join(Bib)
                .where(Loan.patron == p)
                .order_by(Loan.checked_out_at)
            )
        ],
        _("No loans."),
    )
    holds = ExportTable(
        _("Holds"),
        [_("Placed"), _("Title"), _("Status")],
        [
            [when(h.placed_at), h.bib.title, h.status]
            for h in Hold.select(Hold, Bib).join(Bib).where(Hold.patron == p).order_by(Hold.placed_at)
        ],
        _("No holds."),
    )
    return PersonalDataExport(
        title=_("Personal data held about {name}").format(name=p.name),
        subtitle=_("{library} · {branch} · made {when}").format(
            library=ctx.branch.library_name, branch=ctx.branch.name, when=when(ctx.clock.utcnow())
        ),
        fields=fields,
        tables=[history, loans, holds],
    )


def write_export_csv(export: PersonalDataExport, out: Path) -> None:
    """One CSV a spreadsheet opens (UTF-8 with BOM for Excel): fields first, then each table."""
    with out.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow([export.title])
        writer.writerow([export.subtitle])
        writer.writerows([list(pair) for pair in export.fields])
        for table in export.tables:
            writer.writerow([])
            writer.writerow([table.title])
            writer.writerow(table.headers)
            writer.writerows(table.rows)


def write_export(export: PersonalDataExport, out: Path) -> None:
    """PDF or CSV, chosen by the file name."""
    if out.suffix.lower() == ".csv":
        write_export_csv(export, out)
    else:
        render_export_pdf(export, out)


def due_for_erasure(ctx: ServiceContext) -> list[Patron]:
    """This branch's readers whose card was returned longer ago than the retention period.

    Another branch's readers are that branch's to erase (it knows when their cards went
    back); its ``patron.erased`` events then erase them here too.
    """
    return list(_due(ctx))


def erasures_due(ctx: ServiceContext) -> int:
    """How many readers ``due_for_erasure`` would give, counted by the database."""
    return _due(ctx).count()


def _due(ctx: ServiceContext) -> pw.ModelSelect:
    cutoff = ctx.clock.utcnow() - dt.timedelta(days=int(get_setting("patron_retention_days")))
    returned_before = CardEvent.select(CardEvent.patron).where(CardEvent.kind == "returned", CardEvent.at <= cutoff)
    return Patron.select().where(
        Patron.home_branch == ctx.branch, Patron.status == "returned", Patron.id.in_(returned_before)
    )


# Administrators only: erasure cannot be undone and takes many readers at once, like the
# retention period it follows (an administrator's setting).
@service(ADMIN)
def erase_expired_personal_data(ctx: ServiceContext) -> int:
    """Anonymise every reader of this branch whose retention period after returning the
    card has passed.

    Returns how many were erased. Safe to run again: the ones already erased are skipped.
    """
    erased = 0
    for patron in due_for_erasure(ctx):
        _erase(ctx, patron)
        erased += 1
    if erased:
        record_audit(ctx, "patron.erased_expired", "patron", "", count=erased)
    return erased


def _erase(ctx: ServiceContext, patron: Patron) -> None:
    now = ctx.clock.utcnow()
    # Children in this reader's care keep a way to reach the guardian: the typed fields.
    for ward in Patron.select().where(Patron.guardian == patron, Patron.status.in_(("active", "suspended"))):
        ward.guardian = None
        ward.guardian_name, ward.guardian_phone = patron.name, patron.phone
        ward.updated_at = now
        ward.save()
        ctx.record("patron.updated", {"patron_id": ward.id, "card_number": ward.card_number, "changes": {"guardian_id": None}})
    Patron.update(
        name=ERASED_NAME,
        name_pinyin="",
        name_initials="",
        id_number="",
        id_number_hash="",
        id_number_masked="",
        id_last4="",
        birth_date=None,
        phone="",
        address="",
        notes="",
        pin_hash="",
        guardian=None,
        guardian_name="",
        guardian_phone="",
        guardian_id_number="",
        status="erased",
        updated_at=now,
    ).where(Patron.id == patron.id).execute()
    # Free text in the card history may name the person; the coded return reasons stay.
    CardEvent.update(reason="").where(CardEvent.patron == patron, CardEvent.kind != "returned").execute()
    CardEvent.update(reason="").where(
        CardEvent.patron == patron, CardEvent.kind == "returned", CardEvent.reason_code == "other"
    ).execute()
    CardEvent.create(patron=patron, kind="erased", card_number=patron.card_number, at=now, staff=ctx.actor.staff_id)
    ctx.record("patron.erased", {"patron_id": patron.id, "card_number": patron.card_number})
