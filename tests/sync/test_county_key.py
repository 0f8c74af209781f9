"""One ID-number key for the county: the hub hands it out at enrolment, so a person
registered at two branches is found, including registrations made before enrolling."""

from __future__ import annotations

import datetime as dt

import pytest

from countylib.errors import RuleViolation
from countylib.idnumbers import HASH_KEY_SETTING, id_number_hash
from countylib.settings import change_setting, get_setting
from countylib.volunteers import register_volunteer
from models import Outbox, Patron, Setting, Volunteer
from sync.outbox import prune_acknowledged
from tests.patron_helpers import register, resident_id

from . import desk

NUMBER = resident_id("19850412", "271", "610302")


def _key() -> str:
    return Setting.get(Setting.key == HASH_KEY_SETTING).value


def test_same_resident_id_registered_at_two_branches_is_flagged(hub, two_branches):
    a, b = two_branches
    with a.use() as ctx:
        first = register(ctx, name="赵敏", id_number=NUMBER, phone="13811112222")
        key_a = _key()
    with b.use() as ctx:
        second = register(ctx, name="赵敏", id_number=NUMBER, phone="13933334444")
        assert _key() == key_a
    a.sync()
    b.sync()
    [conflict] = hub.admin.conflicts("POSSIBLE_DUPLICATE_PATRON")
    assert {s["patron_id"] for s in conflict["sides"]} == {first.id, second.id}
    assert set(conflict["branches"]) == {"HXA", "HXB"}


def test_registrations_made_before_enrolment_are_hashed_again_under_the_county_key(hub, make_branch):
    a = make_branch("HXA")
    b = make_branch("HXB")
    with a.use() as ctx:
        early = register(ctx, name="周芷若", id_number=NUMBER, phone="13811112222")
        own_key = _key()
        old_hash = early.id_number_hash
        unlinked = register_volunteer(ctx, name="殷离", id_number=resident_id("19900101", "333", "610302"), consent=True)
        linked = register_volunteer(ctx, name="周芷若", id_number=NUMBER, patron_card=early.card_number, consent=True)
        assert linked.id_number_hash == old_hash
    a.enroll(hub)
    with a.use() as ctx:
        county_key = _key()
        assert county_key != own_key
        patron = Patron.get_by_id(early.id)
        assert patron.id_number_hash == id_number_hash(NUMBER) != old_hash
        assert Volunteer.get_by_id(linked.id).id_number_hash == patron.id_number_hash
        # The queued registration was rewritten before anything left this computer.
        [queued] = [e for e in Outbox.select().where(Outbox.type == "patron.registered") if e.acked_at is None]
        assert queued.payload["patron"]["id_number_hash"] == patron.id_number_hash
        assert old_hash not in str([e.payload for e in Outbox.select()])
        # A volunteer whose number only exists as a hash under the old key is still found.
        with pytest.raises(RuleViolation):
            register_volunteer(ctx, name="殷离", id_number=resident_id("19900101", "333", "610302"), consent=True)
        assert Volunteer.get_by_id(unlinked.id).id_number_hash
    b.enroll(hub)
    with b.use() as ctx:
        assert _key() == county_key
        register(ctx, name="周芷若", id_number=NUMBER, phone="13933334444")
    a.sync()
    b.sync()
    [conflict] = hub.admin.conflicts("POSSIBLE_DUPLICATE_PATRON")
    assert early.id in {s["patron_id"] for s in conflict["sides"]}


def test_enrolling_again_keeps_the_hashes(hub, make_branch):
    a = make_branch("HXA")
    a.enroll(hub)
    with a.use() as ctx:
        patron = register(ctx, name="赵敏", id_number=NUMBER, phone="13811112222")
    a.sync()
    a.enroll(hub)
    with a.use():
        assert Patron.get_by_id(patron.id).id_number_hash == patron.id_number_hash


def test_sent_events_are_pruned_after_the_retention_window_but_loan_events_stay(hub, make_branch):
    a = make_branch("HXA")
    a.enroll(hub)
    with a.use() as ctx:
        reader = register(ctx, name="赵敏", id_number=NUMBER, phone="13811112222")
        desk.add_item(ctx, desk.add_bib(ctx, "红楼梦"), "HXA0001")
        desk.check_out(ctx, reader.card_number, "HXA0001")
    a.sync()
    with a.use() as ctx:
        assert get_setting("sync_keep_sent_days") == 90
        sent = Outbox.select().where(Outbox.acked_at.is_null(False)).count()
        assert sent > 2
        # Not yet old enough: nothing goes.
        assert prune_acknowledged(ctx.clock.utcnow() - dt.timedelta(days=90), keep_types_like="loan.%") == 0
        change_setting(ctx, "sync_keep_sent_days", 1)
        Outbox.update(acked_at=ctx.clock.utcnow() - dt.timedelta(days=2)).where(Outbox.acked_at.is_null(False)).execute()
    a.sync()
    with a.use():
        left = {e.type for e in Outbox.select()}
        assert "patron.registered" not in left
        assert "loan.checked_out" in left
