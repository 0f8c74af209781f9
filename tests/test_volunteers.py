"""Volunteer records: registering, masking, searching, linking accounts, who may do what."""

from __future__ import annotations

import datetime as dt

import pytest

from countylib.errors import NotFound, PermissionDenied, RuleViolation, ValidationError
from countylib.volunteers import (
    get_volunteer,
    is_available,
    parts_of,
    register_volunteer,
    search_volunteers,
    update_volunteer,
)
from models import AuditLog, Outbox, Volunteer

from tests.volunteer_fixtures import add_volunteer, volunteer_login  # noqa: F401 (fixture)

VALID_ID = "11010519491231002X"


def events(kind):
    return [e.payload for e in Outbox.select().where(Outbox.type == kind).order_by(Outbox.seq)]


def test_register_keeps_a_masked_id_and_a_hash_never_the_number(library):
    v = register_volunteer(
        library,
        name="张 三丰",
        phone="13800001111",
        id_number=VALID_ID,
        card_number="v0001",
        skills=["storytelling", "  Calligraphy "],
        availability={"sat": ["pm", "am"], "sun": []},
        emergency_contact="李四 13900002222",
        background_check_on="2025-06-01",
        consent=True,
    )
    assert (v.name, v.name_pinyin, v.name_initials) == ("张 三丰", "zhangsanfeng", "zsf")
    assert v.id_number_masked == "1101**********002X"
    assert v.id_number_hash and VALID_ID not in v.id_number_hash
    assert v.card_number == "V0001"
    assert v.skills == ["storytelling", "Calligraphy"]
    assert v.availability == {"sat": ["am", "pm"]}
    assert v.status == "applicant" and v.consent_at is not None
    (payload,) = events("volunteer.registered")
    assert payload["volunteer"]["id"] == v.id and payload["volunteer"]["id_number_masked"] == "1101**********002X"
    assert VALID_ID not in str(payload)
    assert AuditLog.select().where(AuditLog.action == "volunteer.registered").count() == 1


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"name": "  "}, ValidationError, "name is required"),
        ({"name": "王五", "consent": False}, ValidationError, "consent"),
        ({"name": "王五", "phone": "call me"}, ValidationError, "is not a mobile number"),
        ({"name": "王五", "phone": "12345"}, ValidationError, "is not a mobile number"),
        ({"name": "王五", "phone": "1380013800"}, ValidationError, "is not a mobile number"),
        ({"name": "王五", "id_number": "110105194912310021"}, ValidationError, "check digit"),
        ({"name": "王五", "background_check_on": "2030-01-01"}, ValidationError, "cannot be in the future"),
        ({"name": "王五", "background_check_on": "1/6/2025"}, ValidationError, "not a date like 2026-11-21"),
        ({"name": "王五", "status": "retired"}, ValidationError, "Unknown volunteer status"),
        ({"name": "王五", "availability": {"someday": ["am"]}}, ValidationError, "Unknown weekday"),
        ({"name": "王五", "availability": {"mon": ["night"]}}, ValidationError, "Unknown part of the day"),
        ({"name": "王五", "patron_card": "NOPE01"}, NotFound, "No reader has the card"),
        ({"name": "王五", "staff_username": "ghost"}, NotFound, "No staff account"),
        ({"name": "王五", "favourite_colour": "blue"}, ValidationError, "Unknown volunteer field"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(library, fields, error, message):
    fields = {"consent": True, **fields}
    with pytest.raises(error, match=message):
        register_volunteer(library, **fields)
    assert Volunteer.select().count() == 0
    assert not events("volunteer.registered")


def test_the_same_id_number_or_card_cannot_be_registered_twice(library):
    add_volunteer(library, "张三", id_number=VALID_ID, card_number="V001")
    with pytest.raises(RuleViolation, match="already registered for the volunteer 张三"):
        add_volunteer(library, "张三二", id_number=VALID_ID.lower())
    with pytest.raises(RuleViolation, match="already belongs to the volunteer 张三"):
        add_volunteer(library, "李四", card_number="v001")
    assert Volunteer.select().count() == 1


def test_update_sends_only_what_changed(library):
    v = add_volunteer(library, "张三", phone="13800001111")
    assert update_volunteer(library, v, phone="13800001111") == {}
    changes = update_volunteer(library, v, phone="13900009999", status="paused", background_check_on="2026-01-02")
    assert changes == {"phone": "13900009999", "status": "paused", "background_check_on": "2026-01-02"}
    assert events("volunteer.updated")[-1] == {"volunteer_id": v.id, "card_number": None, "changes": changes}
    assert Volunteer.get_by_id(v.id).status == "paused"


def test_a_failed_update_changes_nothing(library):
    v = add_volunteer(library, "张三", phone="13800001111")
    with pytest.raises(ValidationError):
        update_volunteer(library, v, phone="13900009999", status="bogus")
    assert Volunteer.get_by_id(v.id).phone == "13800001111"
    assert not events("volunteer.updated")


def test_linking_a_sign_in_account(library, as_role):
    v = add_volunteer(library, "张三")
    as_role("librarian")  # the account librarian1 exists but has the wrong role
    with pytest.raises(ValidationError, match="Only an account with the volunteer role"):
        update_volunteer(library, v, staff_username="librarian1")
    as_role("volunteer")
    changes = update_volunteer(library, v, staff_username="volunteer1")
    assert changes["staff_username"] == "volunteer1"
    other = add_volunteer(library, "李四")
    with pytest.raises(RuleViolation, match="already linked to 张三"):
        update_volunteer(library, other, staff_username="volunteer1")
    assert update_volunteer(library, v, staff_username="")["staff_id"] is None


def test_search_by_name_pinyin_initials_phone_card_and_skill(library):
    zhang = add_volunteer(library, "张三丰", phone="13800001111", card_number="V100", skills=["storytelling"])
    li = add_volunteer(library, "李四", phone="13900002222", skills=["van_driving"], status="applicant")
    assert search_volunteers(library, "三丰") == [zhang]
    assert search_volunteers(library, "zhangsan") == [zhang]
    assert search_volunteers(library, "ZSF") == [zhang]
    assert search_volunteers(library, "2222") == [li]
    assert search_volunteers(library, "v100") == [zhang]
    assert search_volunteers(library, "Van driving") == [li]
    assert search_volunteers(library, skill="storytelling") == [zhang]
    assert search_volunteers(library, status="applicant") == [li]
    assert search_volunteers(library) == [zhang, li]  # active first


def test_availability_by_part_of_day():
    assert parts_of(dt.time(9), dt.time(12)) == ["am"]
    assert parts_of(dt.time(11), dt.time(14)) == ["am", "pm"]
    assert parts_of(dt.time(18), dt.time(20)) == ["eve"]
    v = Volunteer(availability={"sat": ["am"]})
    assert is_available(v, dt.date(2026, 11, 21), dt.time(9), dt.time(12))
    assert not is_available(v, dt.date(2026, 11, 21), dt.time(11), dt.time(14))
    assert not is_available(v, dt.date(2026, 11, 22), dt.time(9), dt.time(12))


def test_volunteers_cannot_manage_records(library, as_role, volunteer_login):
    v = add_volunteer(library, "张三")
    me = volunteer_login(v)
    with pytest.raises(PermissionDenied):
        register_volunteer(me, name="李四", consent=True)
    with pytest.raises(PermissionDenied):
        update_volunteer(me, v, phone="13800001111")
    with pytest.raises(PermissionDenied):
        search_volunteers(me, "张")
    assert get_volunteer(me, v.id) == v  # their own record
    other = add_volunteer(library, "李四")
    with pytest.raises(PermissionDenied, match="only see and change their own"):
        get_volunteer(me, other.id)
    librarian = as_role("librarian")
    assert search_volunteers(librarian, "张") == [v]


def test_phone_is_checked_and_written_as_for_readers(library):
    v = register_volunteer(library, name="王五", consent=True, phone="+86 138-0013-8000")
    assert v.phone == "13800138000"
    assert update_volunteer(library, v, phone="0516-83881234") == {"phone": "0516-83881234"}
