"""Registration (办证): the form's rules, duplicates, card numbers, PINs, events."""

from __future__ import annotations

import datetime as dt

import pytest

from countylib.auth import verify_password
from countylib.errors import PermissionDenied, ValidationError
from countylib.idnumbers import NO_ID, PASSPORT, id_number_hash
from countylib.patrons import (
    DuplicatePatron,
    PossibleDuplicate,
    name_pinyin,
    register_patron,
    update_patron,
    form_for,
)
from countylib.settings import change_setting
from models import AuditLog, CardEvent, Outbox, Patron, Setting
from tests.patron_helpers import adult_form, child_form, register, resident_id


def nothing_written() -> bool:
    return Patron.select().count() == 0 and CardEvent.select().count() == 0 and not Outbox.select().where(
        Outbox.type.startswith("patron.")
    ).exists()


def refused(ctx, form, error=ValidationError, **kw):
    with pytest.raises(error) as info:
        register_patron(ctx, form, **kw)
    return info.value


def test_register_fills_birth_date_sex_and_pinyin_from_the_id(library):
    patron = register_patron(library, adult_form())
    assert patron.card_number == "HX0100001"
    assert patron.birth_date == dt.date(1990, 3, 7)
    assert patron.gender == "M"
    assert (patron.name_pinyin, patron.name_initials) == ("zhangsanfeng", "zsf")
    assert patron.category == "adult"
    assert patron.expiry_date == dt.date(2029, 11, 21)  # three years, the default validity
    assert patron.id_number_masked == patron.id_number[:4] + "*" * 10 + patron.id_number[-4:]
    assert patron.id_last4 == patron.id_number[-4:]
    assert patron.id_number_hash == id_number_hash(patron.id_number)
    assert patron.consent_at == library.clock.utcnow()
    assert [e.kind for e in patron.card_events] == ["issued"]


def test_registered_event_follows_the_contract_and_hides_the_number(library):
    patron = register_patron(library, adult_form(deposit_cents=10000))
    event = Outbox.get(Outbox.type == "patron.registered")
    body = event.payload["patron"]
    assert set(body) == {
        "id", "card_number", "name", "gender", "id_type", "id_number_hash", "id_number_masked", "birth_date",
        "phone", "category", "home_branch", "status", "expiry_date", "registered_at", "guardian_id",
    }
    assert body["home_branch"] == "HX01" and body["birth_date"] == "1990-03-07"
    assert body["registered_at"].endswith("Z")
    assert patron.id_number not in str(event.payload)
    assert patron.address not in str(event.payload)


def test_initial_pin_is_the_birth_date_or_a_chosen_one(library):
    first = register(library)
    assert verify_password("19900307", first.pin_hash)
    second = register(library, name="王芳", id_number=resident_id(seq="222"), pin="246810")
    assert verify_password("246810", second.pin_hash) and not verify_password("19900307", second.pin_hash)
    assert "4 to 12 digits" in refused(library, adult_form(name="赵六", id_number=resident_id(seq="333"), pin="12a")).message


def test_the_sequence_skips_numbers_already_taken_by_pre_printed_cards(library):
    register(library, card_number="hx0100002")  # scanned pre-printed card
    assert register(library, name="王芳", id_number=resident_id(seq="222")).card_number == "HX0100001"
    assert register(library, name="赵六", id_number=resident_id(seq="333")).card_number == "HX0100003"
    assert Setting.get(Setting.key == "card_number_next").value == 4


def test_a_scanned_card_already_in_use_is_refused(library):
    register(library)
    error = refused(library, adult_form(name="王芳", id_number=resident_id(seq="222"), card_number="HX0100001"))
    assert "already belongs to 张三丰" in error.message and error.field == "card_number"
    assert "4 to 32 letters" in refused(library, adult_form(id_number=resident_id(seq="222"), card_number="HX-1")).message


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": "  "}, "name", "name is required"),
        ({"id_number": resident_id()[:-1]}, "id_number", "has 18 characters; this one has 17"),
        ({"id_number": resident_id(region="999999")}, "id_number", "region code 999999"),
        ({"id_number": resident_id(birth="19900230")}, "id_number", "19900230"),
        ({"id_number": resident_id()[:-1] + "0" if not resident_id().endswith("0") else resident_id()[:-1] + "1"}, "id_number", "check digit"),
        ({"id_number": resident_id(birth="20300101")}, "id_number", "in the future"),
        ({"id_type": PASSPORT, "id_number": "E12345678", "birth_date": dt.date(2027, 1, 1)}, "birth_date", "in the future"),
        ({"id_type": PASSPORT, "id_number": "E12345678"}, "birth_date", "birth date is required"),
        ({"birth_date": dt.date(1991, 1, 1)}, "birth_date", "does not match the ID number"),
        ({"gender": "F"}, "gender", "does not match the ID number"),
        ({"phone": "1381234567"}, "phone", "not a mobile number"),
        ({"phone": ""}, "phone", "phone number is required"),
        ({"category": "vip"}, "category", "Unknown reader category vip"),
        ({"consent": False}, "consent", "privacy notice"),
        ({"deposit_cents": -1}, "deposit", "cannot be negative"),
        ({"expiry_date": dt.date(2026, 11, 21)}, "expiry_date", "after today"),
        ({"id_type": NO_ID, "id_number": "", "birth_date": dt.date(1990, 1, 1)}, "id_type", "Only children"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(library, changes, field, words):
    error = refused(library, adult_form(**changes))
    assert words in error.message
    assert error.field == field
    assert nothing_written()


def test_phones_are_normalised(library):
    assert register(library, phone="+86 138-1234-5678").phone == "13812345678"
    assert register(library, name="王芳", id_number=resident_id(seq="222"), phone="0516-83881234").phone == "0516-83881234"


def test_a_child_needs_a_guardian_and_becomes_category_child(library):
    error = refused(library, child_form(guardian_name="", guardian_phone=""))
    assert "needs a guardian" in error.message and error.field == "guardian_name"
    assert nothing_written()
    assert "not a mobile number" in refused(library, child_form(guardian_phone="123")).message
    assert refused(library, child_form(guardian_id_number="110101")).field == "guardian_id_number"
    child = register_patron(library, child_form())
    assert child.category == "child" and child.guardian_name == "李大明" and child.phone == ""


def test_a_child_may_link_a_registered_guardian(library):
    parent = register(library)
    child = register_patron(library, child_form(guardian_name="", guardian_phone="", guardian_id=parent.id))
    assert child.guardian_id == parent.id
    assert Outbox.get(Outbox.type == "patron.registered", Outbox.seq == Outbox.select().count()).payload["patron"][
        "guardian_id"
    ] == parent.id


def test_a_child_cannot_be_a_guardian(library):
    child = register_patron(library, child_form())
    error = refused(
        library, child_form(name="李小红", id_number=resident_id("20190101", "466"), guardian_name="", guardian_id=child.id)
    )
    assert "is a child and cannot be a guardian" in error.message


def test_young_children_may_register_without_an_id(library):
    child = register_patron(library, child_form(id_type=NO_ID, id_number="", birth_date=dt.date(2023, 5, 1)))
    assert child.id_number == "" and child.id_number_hash == "" and verify_password("20230501", child.pin_hash)


def test_the_guardian_age_is_a_setting(library):
    change_setting(library, "guardian_age", 8)
    eight_year_old = register_patron(library, child_form(guardian_name="", guardian_phone="", phone="13700000000"))
    assert eight_year_old.category == "adult"  # eight years old: no guardian needed when the age is 8
    assert eight_year_old.guardian_name == ""


def test_the_same_id_at_this_branch_is_refused_with_the_existing_card(library):
    first = register(library)
    error = refused(library, adult_form(name="张三", phone="13700000000"), DuplicatePatron)
    assert "HX0100001" in error.message and error.patron_id == first.id
    assert Patron.select().count() == 1
    # accepting warnings does not get round a duplicate ID
    refused(library, adult_form(name="张三"), DuplicatePatron, accept_possible_duplicates=True)


def test_same_name_and_phone_or_birth_date_warns_until_confirmed(library):
    register(library)
    same_phone = adult_form(id_type=PASSPORT, id_number="E12345678", birth_date=dt.date(1985, 1, 1))
    warning = refused(library, same_phone, PossibleDuplicate)
    assert "HX0100001" in warning.message and "same name and phone" in warning.message
    assert Patron.select().count() == 1
    assert register_patron(library, same_phone, accept_possible_duplicates=True).card_number == "HX0100002"
    same_birth = adult_form(id_type=PASSPORT, id_number="E87654321", phone="13700000000", birth_date=dt.date(1990, 3, 7))
    assert "same name and birth date" in refused(library, same_birth, PossibleDuplicate).message


def test_volunteers_cannot_register(as_role):
    with pytest.raises(PermissionDenied):
        register_patron(as_role("volunteer"), adult_form())
    assert nothing_written()


def test_update_changes_fields_and_syncs_only_shared_ones(library):
    patron = register(library)
    form = form_for(library, patron.id)
    form.name, form.phone, form.address = "张三峰", "13911112222", "新地址"
    updated = update_patron(library, patron.id, form)
    assert updated.name_initials == "zsf" and updated.name_pinyin == "zhangsanfeng"
    assert updated.id_number == patron.id_number  # blank ID field kept the number
    event = Outbox.select().where(Outbox.type == "patron.updated").get()
    assert event.payload == {
        "patron_id": patron.id,
        "card_number": "HX0100001",
        "changes": {"name": "张三峰", "phone": "13911112222"},
    }
    # an address-only change stays local: no event
    form.address = "另一个地址"
    update_patron(library, patron.id, form)
    assert Outbox.select().where(Outbox.type == "patron.updated").count() == 1


def test_update_of_the_id_number_sends_hash_and_mask_only(library):
    patron = register(library)
    form = form_for(library, patron.id)
    form.id_number = resident_id(seq="135")
    update_patron(library, patron.id, form)
    changes = Outbox.get(Outbox.type == "patron.updated").payload["changes"]
    assert set(changes) == {"id_number_hash", "id_number_masked"}
    assert AuditLog.select().where(AuditLog.action == "patron.id_changed").count() == 1


def test_update_refuses_bad_input_and_changes_nothing(library):
    patron = register(library)
    form = form_for(library, patron.id)
    form.phone = "12345"
    with pytest.raises(ValidationError):
        update_patron(library, patron.id, form)
    assert Patron.get_by_id(patron.id).phone == "13812345678"


def test_pinyin_handles_surnames_and_latin_names():
    assert name_pinyin("曾小贝") == ("zengxiaobei", "zxb")
    assert name_pinyin("单田芳") == ("shantianfang", "stf")
    assert name_pinyin("John Smith") == ("johnsmith", "js")
