"""Privacy: who sees ID numbers and addresses, the audit of each showing, the export of
one reader's data, and erasure after the retention period."""

from __future__ import annotations

import csv

import pytest
from pypdf import PdfReader

from countylib.errors import PermissionDenied
from countylib.patron_privacy import due_for_erasure, erase_expired_personal_data, export_patron_data, write_export
from countylib.patron_search import search_patrons
from countylib.patrons import ERASED_NAME, patron_details, register_patron, return_card, show_id_number
from models import AuditLog, Branch, CardEvent, Loan, Outbox, Patron
from tests.patron_helpers import child_form, open_loan, register


def test_librarians_see_the_full_number_and_each_showing_is_audited(library, as_role):
    patron = register(library)
    librarian = as_role("librarian")
    assert show_id_number(librarian, patron.id) == patron.id_number
    assert show_id_number(library, patron.id) == patron.id_number
    viewed = list(AuditLog.select().where(AuditLog.action == "patron.id_viewed").order_by(AuditLog.at))
    assert len(viewed) == 2 and viewed[0].username == "librarian1" and viewed[0].target_id == patron.id
    assert patron.id_number not in str([a.details for a in viewed])


def test_a_volunteer_opening_the_id_field_is_refused(library, as_role):
    patron = register(library)
    with pytest.raises(PermissionDenied):
        show_id_number(as_role("volunteer"), patron.id)
    assert not AuditLog.select().where(AuditLog.action == "patron.id_viewed").exists()


def test_volunteers_see_neither_id_nor_address(library, as_role):
    patron = register(library)
    volunteer = as_role("volunteer")
    details = patron_details(volunteer, patron.id)
    assert details.id_number_masked is None and details.address is None and not details.may_see_private
    assert details.name == "张三丰" and details.card_number == "HX0100001"
    mine = patron_details(library, patron.id)
    assert mine.id_number_masked == patron.id_number_masked and mine.address == patron.address
    rows = search_patrons(volunteer, "zsf")
    assert rows and rows[0].id_number_masked is None
    assert search_patrons(volunteer, patron.id_number[-4:]) == []  # no search by ID for volunteers
    with pytest.raises(PermissionDenied):
        export_patron_data(volunteer, patron.id)


def test_export_has_everything_in_csv_and_pdf(library, tmp_path):
    patron = register(library)
    open_loan(library, patron)
    export = export_patron_data(library, patron.id)
    assert AuditLog.select().where(AuditLog.action == "patron.exported").count() == 1
    write_export(export, tmp_path / "me.csv")
    rows = list(csv.reader((tmp_path / "me.csv").open(encoding="utf-8-sig")))
    flat = [cell for row in rows for cell in row]
    assert patron.id_number in flat and "城关镇解放路1号" in flat and "红楼梦" in flat and "Card issued" in flat
    write_export(export, tmp_path / "me.pdf")
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "me.pdf").pages)
    assert "张三丰" in text and patron.id_number in text and "HX0100001" in text


def test_erasure_after_the_retention_period_keeps_loans_anonymous(library, clock):
    patron = register(library, deposit_cents=1000)
    ward = register_patron(library, child_form(guardian_name="", guardian_phone="", guardian_id=patron.id))
    loan = open_loan(library, patron)
    loan.checked_in_at = clock.utcnow()
    loan.save()
    return_card(library, patron.id, "moved")
    assert erase_expired_personal_data(library) == 0  # retention (180 days) not over yet
    clock.advance(days=181)
    assert erase_expired_personal_data(library) == 1
    gone = Patron.get_by_id(patron.id)
    assert gone.status == "erased" and gone.name == ERASED_NAME
    assert (gone.id_number, gone.id_number_hash, gone.id_number_masked, gone.id_last4) == ("", "", "", "")
    assert (gone.phone, gone.address, gone.birth_date, gone.pin_hash, gone.name_pinyin) == ("", "", None, "", "")
    assert gone.card_number == "HX0100001" and gone.category == "adult"  # stays taken; statistics keep category
    assert Loan.get_by_id(loan.id).patron_id == patron.id  # the loan counts, for nobody in particular
    assert CardEvent.get(CardEvent.kind == "returned").reason_code == "moved"
    assert [e.payload for e in Outbox.select().where(Outbox.type == "patron.erased")] == [
        {"patron_id": patron.id, "card_number": "HX0100001"}
    ]
    # the child keeps a way to reach the guardian
    ward = Patron.get_by_id(ward.id)
    assert ward.guardian_id is None and ward.guardian_name == "张三丰" and ward.guardian_phone == "13812345678"
    assert search_patrons(library, "张三丰") == []
    assert erase_expired_personal_data(library) == 0  # idempotent


def returned_at_another_branch(clock) -> Patron:
    """A reader of branch XZ02 whose card was handed back there, as sync brings it in."""
    other = Branch.create(code="XZ02", name="徐庄分馆")
    patron = Patron.create(
        card_number="XZ0200107", name="李四", home_branch=other, status="returned", phone="13900000001", address="徐庄镇"
    )
    CardEvent.create(patron=patron, kind="returned", card_number="XZ0200107", reason_code="moved", at=clock.utcnow())
    return patron


def test_another_branchs_readers_are_never_erased_here(library, clock):
    theirs = returned_at_another_branch(clock)
    mine = register(library)
    return_card(library, mine.id, "moved")
    clock.advance(days=400)
    assert [p.id for p in due_for_erasure(library)] == [mine.id]
    assert erase_expired_personal_data(library) == 1
    kept = Patron.get_by_id(theirs.id)
    assert (kept.status, kept.name, kept.phone, kept.address) == ("returned", "李四", "13900000001", "徐庄镇")
    assert [e.payload["patron_id"] for e in Outbox.select().where(Outbox.type == "patron.erased")] == [mine.id]


def test_only_an_administrator_erases(library, clock, as_role):
    patron = register(library)
    return_card(library, patron.id, "moved")
    clock.advance(days=181)
    with pytest.raises(PermissionDenied):
        erase_expired_personal_data(as_role("librarian"))
    assert Patron.get_by_id(patron.id).status == "returned"
    assert erase_expired_personal_data(as_role("admin")) == 1
