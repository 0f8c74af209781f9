"""A card's life: renew, suspend, replace (补证), return (退证), PINs. Each step is a
CardEvent and a sync event; every refusal leaves nothing written."""

from __future__ import annotations

import datetime as dt

import pytest

from countylib.errors import AuthenticationFailed, RuleViolation, ValidationError
from countylib.i18n import set_language
from countylib.patron_privacy import export_patron_data
from countylib.patrons import (
    card_status_label,
    change_pin,
    patron_details,
    register_patron,
    renew_card,
    replace_card,
    reset_pin,
    return_card,
    return_reasons,
    suspend_patron,
    unsuspend_patron,
    verify_pin,
)
from countylib.patron_search import find_by_card
from models import AuditLog, CardEvent, Hold, Outbox, Patron
from tests.patron_helpers import adult_form, open_loan, register, resident_id


def events(kind: str) -> list[dict]:
    return [e.payload for e in Outbox.select().where(Outbox.type == kind).order_by(Outbox.seq)]


def test_renew_extends_from_the_old_expiry(library):
    patron = register(library)
    renewed = renew_card(library, patron.id)
    assert renewed.expiry_date == dt.date(2032, 11, 21)
    assert events("patron.renewed") == [
        {"patron_id": patron.id, "card_number": "HX0100001", "expiry_date": "2032-11-21"}
    ]
    assert renew_card(library, patron.id, dt.date(2033, 1, 1)).expiry_date == dt.date(2033, 1, 1)
    with pytest.raises(ValidationError):
        renew_card(library, patron.id, dt.date(2026, 1, 1))
    assert [e.kind for e in CardEvent.select().order_by(CardEvent.at, CardEvent.id)].count("renewed") == 2


def test_renewing_to_an_earlier_date_is_refused_and_keeps_the_card(library):
    patron = register(library)
    renew_card(library, patron.id, dt.date(2029, 11, 22))
    for earlier in (dt.date(2027, 1, 1), dt.date(2029, 11, 22)):
        with pytest.raises(ValidationError) as refused:
            renew_card(library, patron.id, earlier)
        assert refused.value.message == "The card is already valid until 22 Nov 2029; choose a later date to renew it."
    assert Patron.get_by_id(patron.id).expiry_date == dt.date(2029, 11, 22)
    assert len(events("patron.renewed")) == 1


def test_suspend_needs_a_reason_and_unsuspend_lifts_it(library):
    patron = register(library)
    with pytest.raises(ValidationError):
        suspend_patron(library, patron.id, "  ")
    assert Patron.get_by_id(patron.id).status == "active" and not events("patron.suspended")
    suspend_patron(library, patron.id, "三本书逾期半年")
    with pytest.raises(RuleViolation):
        suspend_patron(library, patron.id, "again")
    unsuspend_patron(library, patron.id, "书已还")
    assert Patron.get_by_id(patron.id).status == "active"
    assert events("patron.suspended") == [{"patron_id": patron.id, "card_number": "HX0100001", "reason": "三本书逾期半年"}]
    assert events("patron.unsuspended")[0]["reason"] == "书已还"


def test_replacing_a_lost_card_blocks_the_old_number_for_good(library):
    patron = register(library)
    loan = open_loan(library, patron)
    replaced = replace_card(library, patron.id, fee_cents=500, reason="lost")
    assert replaced.card_number == "HX0100002"
    assert loan.patron_id == replaced.id  # loans follow the reader, not the card
    assert events("patron.card_replaced") == [
        {"patron_id": patron.id, "old_card_number": "HX0100001", "card_number": "HX0100002"}
    ]
    event = CardEvent.get(CardEvent.kind == "replaced")
    assert (event.old_card_number, event.amount_cents) == ("HX0100001", 500)
    with pytest.raises(RuleViolation) as info:
        find_by_card(library, "HX0100001")
    assert "card is now HX0100002" in info.value.message
    # the old number can never be issued again, neither scanned nor by the sequence
    other = adult_form(name="王芳", id_number=resident_id(seq="222"), card_number="HX0100001")
    with pytest.raises(ValidationError) as info:
        register_patron(library, other)
    assert "blocked for good" in info.value.message


def test_replace_with_a_scanned_card(library):
    patron = register(library)
    assert replace_card(library, patron.id, "pp000123").card_number == "PP000123"
    with pytest.raises(ValidationError):
        replace_card(library, patron.id, "PP000123")  # the card it already has
    with pytest.raises(ValidationError):
        replace_card(library, patron.id, fee_cents=-1)


def test_returning_a_card_with_open_loans_is_refused(library):
    patron = register(library, deposit_cents=10000)
    open_loan(library, patron)
    with pytest.raises(RuleViolation) as info:
        return_card(library, patron.id, "moved")
    assert "1 book(s) on loan" in info.value.message
    assert Patron.get_by_id(patron.id).status == "active"
    assert not events("patron.card_returned") and not CardEvent.select().where(CardEvent.kind == "returned").exists()


def test_returning_a_card_with_holds_waiting_is_refused(library):
    patron = register(library)
    loan = open_loan(library, patron)
    loan.checked_in_at = library.clock.utcnow()
    loan.save()
    Hold.create(patron=patron, bib=loan.item.bib, pickup_location=loan.location)
    with pytest.raises(RuleViolation):
        return_card(library, patron.id, "moved")


def test_return_records_reason_and_refund(library):
    patron = register(library, deposit_cents=10000)
    with pytest.raises(ValidationError):
        return_card(library, patron.id, "no-such-reason")
    with pytest.raises(ValidationError):
        return_card(library, patron.id, "other")  # "other" needs words
    with pytest.raises(ValidationError):
        return_card(library, patron.id, "moved", deposit_refund_cents=20000)
    returned = return_card(library, patron.id, "other", "去外地读书", deposit_refund_cents=8000)
    assert returned.status == "returned" and returned.deposit_cents == 0
    assert events("patron.card_returned") == [
        {
            "patron_id": patron.id,
            "card_number": "HX0100001",
            "reason_code": "other",
            "reason": "去外地读书",
            "deposit_refund_cents": 8000,
        }
    ]
    with pytest.raises(RuleViolation):
        renew_card(library, patron.id)


def test_return_reasons_are_data(library):
    codes = [r.code for r in return_reasons()]
    assert codes == ["moved", "too_far", "books_not_found", "few_new_books", "other_library", "other"]
    patron = register(library, deposit_cents=500)
    return_card(library, patron.id, "too_far")
    event = CardEvent.get(CardEvent.kind == "returned")
    assert (event.reason_code, event.reason, event.amount_cents) == ("too_far", "Lives too far from the library", 500)


def test_pins_reset_and_change(library, as_role):
    patron = register(library)
    assert verify_pin("hx0100001", "19900307").id == patron.id
    change_pin(as_role("volunteer"), "HX0100001", "19900307", "4321")
    assert verify_pin("HX0100001", "4321") and not verify_pin("HX0100001", "19900307")
    with pytest.raises(AuthenticationFailed):
        change_pin(library, "HX0100001", "19900307", "5555")
    with pytest.raises(ValidationError):
        change_pin(library, "HX0100001", "4321", "12")
    reset_pin(library, patron.id)
    assert verify_pin("HX0100001", "19900307")
    assert {a.action for a in AuditLog.select()} >= {"patron.pin_changed", "patron.pin_reset"}
    assert "19900307" not in str([a.details for a in AuditLog.select()])


def test_a_refund_above_the_deposit_names_the_deposit_in_yuan(library):
    patron = register(library, deposit_cents=5000)
    with pytest.raises(ValidationError) as refused:
        return_card(library, patron.id, "moved", deposit_refund_cents=6000)
    assert refused.value.message == "The refund must be between 0 and the deposit held (50.00 yuan)."
    set_language("zh_CN")
    assert refused.value.message == "退还金额必须在 0 到押金余额（50.00 元）之间。"


def test_card_history_shows_the_reasons_in_the_current_language(library):
    patron = register(library)
    replace_card(library, patron.id, fee_cents=500, reason="lost")
    return_card(library, patron.id, "moved")
    set_language("zh_CN")
    history = {line.kind: line.reason for line in patron_details(library, patron.id).history}
    assert history["returned"] == "搬离本地" and history["replaced"] == "遗失"
    export = export_patron_data(library, patron.id)
    assert ["已退证", "HX0100002", "搬离本地"] in [row[1:4] for row in export.tables[0].rows]


def test_an_active_card_past_its_expiry_reads_expired(library):
    today = library.clock.today()
    assert card_status_label("active", today - dt.timedelta(days=1), today) == "Expired"
    assert card_status_label("active", today, today) == "Valid"
    assert card_status_label("suspended", today - dt.timedelta(days=1), today) == "Suspended"
    assert card_status_label("active", None, today) == "Valid"
    set_language("zh_CN")
    assert card_status_label("active", dt.date(2021, 12, 11), today) == "已过期"
