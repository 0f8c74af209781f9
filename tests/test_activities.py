"""Activities: planning, registration with capacity/age/guardian rules, the waitlist, check-in,
finishing, statistics — every refusal leaves nothing half-written."""

from __future__ import annotations

import datetime as dt

import pytest

from countylib import activities as act
from countylib.errors import NotFound, PermissionDenied, RuleViolation, ValidationError
from countylib.settings import change_setting
from models import Attendance, Event, Outbox, Patron, Registration

# The fixed clock stands at 2026-11-21 10:00 in Shanghai (02:00 UTC).
DAY = dt.date(2026, 11, 28)


def draft(**changes) -> act.ActivityDraft:
    base = dict(
        title="绘本故事会",
        kind="children",
        location_code="HX01",
        starts_at=dt.datetime(2026, 11, 28, 14, 30),
        ends_at=dt.datetime(2026, 11, 28, 16, 0),
        room="少儿阅览室",
        capacity=0,
        organiser="少儿部",
    )
    base.update(changes)
    return act.ActivityDraft(**base)


def patron(ctx, card: str, name: str, birth: dt.date | None = dt.date(1990, 5, 1), **extra) -> Patron:
    return Patron.create(card_number=card, name=name, home_branch=ctx.branch, birth_date=birth, **extra)


def plan(ctx, **changes) -> Event:
    return act.plan_activity(ctx, draft(**changes))[0]


def events_of(prefix: str) -> list[Outbox]:
    return list(Outbox.select().where(Outbox.type.startswith(prefix)).order_by(Outbox.seq))


# -- planning -------------------------------------------------------------------------------------


def test_plan_stores_utc_and_records_the_event(library):
    event = plan(library)
    assert event.starts_at == dt.datetime(2026, 11, 28, 6, 30)  # 14:30 in Shanghai
    assert event.room == "少儿阅览室"
    [planned] = events_of("activity.planned")
    assert planned.payload["event"]["id"] == event.id
    assert planned.payload["event"]["starts_at"] == "2026-11-28T06:30:00Z"
    assert planned.payload["event"]["location"] == "HX01"


def test_a_weekly_series_keeps_its_local_time(library):
    events = act.plan_activity(library, draft(registration_closes=dt.datetime(2026, 11, 27, 18, 0)), act.Repeat(7, 4))
    assert len(events) == 4
    assert len({e.series_id for e in events}) == 1 and events[0].series_id
    assert [act.local_time(library, e.starts_at) for e in events] == [
        dt.datetime(2026, 11, 28, 14, 30) + dt.timedelta(days=7 * n) for n in range(4)
    ]
    assert act.local_time(library, events[3].registration_closes) == dt.datetime(2026, 12, 18, 18, 0)
    assert len(events_of("activity.planned")) == 4


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"ends_at": dt.datetime(2026, 11, 28, 14, 0)}, "must end after it starts"),
        ({"kind": "party"}, "not one of the activity types"),
        ({"min_age": 12, "max_age": 6}, "lowest age is above"),
        ({"registration_closes": dt.datetime(2026, 11, 29, 9, 0)}, "cannot close after"),
        ({"registration_opens": dt.datetime(2026, 11, 29, 9, 0)}, "must open before"),
        ({"starts_at": dt.datetime(2026, 11, 1, 9, 0), "ends_at": dt.datetime(2026, 11, 1, 10, 0)}, "already be over"),
        ({"title": "  "}, "needs a title"),
        ({"capacity": -1}, "cannot be negative"),
        ({"location_code": "NOPE"}, "no place with the code"),
    ],
)
def test_bad_plans_are_refused_and_nothing_is_written(library, changes, message):
    with pytest.raises((ValidationError, NotFound)) as info:
        act.plan_activity(library, draft(**changes))
    assert message in info.value.message
    assert Event.select().count() == 0
    assert events_of("activity.") == []


def test_a_series_that_would_overlap_is_refused(library):
    with pytest.raises(ValidationError):
        act.plan_activity(library, draft(ends_at=dt.datetime(2026, 11, 30, 9, 0)), act.Repeat(1, 3))
    assert Event.select().count() == 0


def test_volunteers_cannot_plan(as_role):
    with pytest.raises(PermissionDenied):
        act.plan_activity(as_role("volunteer"), draft())


def test_activity_types_are_data(library):
    act.add_activity_type(library, "亲子阅读")
    assert ("亲子阅读", "亲子阅读") in act.activity_types()
    event = plan(library, kind="亲子阅读")
    assert event.kind == "亲子阅读"
    with pytest.raises(RuleViolation):
        act.add_activity_type(library, "亲子阅读")
    act.remove_activity_type(library, "亲子阅读")
    assert "亲子阅读" not in dict(act.activity_types())
    # An activity of a type no longer offered can still be edited as it is.
    act.update_activity(library, event.id, draft(kind="亲子阅读", capacity=10))
    assert Event.get_by_id(event.id).capacity == 10


# -- registration ---------------------------------------------------------------------------------


def test_register_by_card_and_duplicate_refused(library):
    event = plan(library)
    p = patron(library, "HX0100001", "王小明")
    reg = act.register_patron(library, event.id, "HX0100001")
    assert reg.status == "registered"
    [created] = events_of("registration.created")
    assert created.payload["registration"]["card_number"] == "HX0100001"
    with pytest.raises(RuleViolation, match="already down for"):
        act.register_patron(library, event.id, " HX0100001 ")
    assert Registration.select().where(Registration.patron == p).count() == 1
    assert len(events_of("registration.")) == 1


def test_unknown_and_returned_cards(library):
    event = plan(library)
    with pytest.raises(NotFound, match="No reader has the card"):
        act.register_patron(library, event.id, "NOPE")
    patron(library, "HX0100009", "退卡人", status="returned")
    with pytest.raises(RuleViolation, match="no longer in use"):
        act.register_patron(library, event.id, "HX0100009")
    assert Registration.select().count() == 0


def test_walk_in_registration_needs_a_name_and_a_phone(library):
    event = plan(library)
    with pytest.raises(ValidationError, match="phone number is needed"):
        act.register_walk_in(library, event.id, "李阿姨", "")
    with pytest.raises(ValidationError, match="does not look like a phone"):
        act.register_walk_in(library, event.id, "李阿姨", "abc")
    reg = act.register_walk_in(library, event.id, "李阿姨", "138-1234-5678")
    assert reg.walk_in_phone == "13812345678"
    with pytest.raises(RuleViolation, match="already down"):
        act.register_walk_in(library, event.id, "李阿姨", "13812345678")
    # Another person with the same family phone is someone else.
    act.register_walk_in(library, event.id, "李小妹", "13812345678")
    assert Registration.select().count() == 2


def test_full_activity_waitlists_then_promotes_on_cancellation(library):
    event = plan(library, capacity=2)
    for n in range(1, 5):
        patron(library, f"C{n}", f"读者{n}")
    first = act.register_patron(library, event.id, "C1")
    act.register_patron(library, event.id, "C2")
    third = act.register_patron(library, event.id, "C3")
    fourth = act.register_patron(library, event.id, "C4")
    assert (third.status, fourth.status) == ("waitlisted", "waitlisted")

    promoted = act.cancel_registration(library, first.id)
    assert [r.id for r in promoted] == [third.id]  # first come, first served
    assert Registration.get_by_id(third.id).status == "registered"
    assert Registration.get_by_id(fourth.id).status == "waitlisted"
    [moved] = events_of("registration.promoted")
    assert moved.payload == {"registration_id": third.id, "event_id": event.id, "card_number": "C3", "name": "读者3"}
    # Cancelling someone on the waitlist frees no place: nobody moves.
    assert act.cancel_registration(library, fourth.id) == []
    with pytest.raises(RuleViolation, match="already cancelled"):
        act.cancel_registration(library, fourth.id)


def test_full_activity_refuses_when_configured(library):
    change_setting(library, "activity_when_full", "refuse")
    event = plan(library, capacity=1)
    patron(library, "C1", "甲")
    patron(library, "C2", "乙")
    act.register_patron(library, event.id, "C1")
    with pytest.raises(RuleViolation, match="is full"):
        act.register_patron(library, event.id, "C2")
    assert Registration.select().count() == 1
    assert len(events_of("registration.")) == 1


def test_age_range_is_enforced(library):
    event = plan(library, min_age=6, max_age=12)
    patron(library, "OLD", "大哥哥", dt.date(2010, 1, 1))  # 16 on the day
    patron(library, "KID", "小朋友", dt.date(2018, 11, 29))  # 7 on the day (8 the day after)
    patron(library, "NOBD", "没有生日", None)
    with pytest.raises(RuleViolation, match="大哥哥 is 16; 绘本故事会 is for ages 6 to 12"):
        act.register_patron(library, event.id, "OLD")
    with pytest.raises(ValidationError, match="enter 没有生日's age"):
        act.register_patron(library, event.id, "NOBD")
    with pytest.raises(ValidationError, match="enter 路人's age"):
        act.register_walk_in(library, event.id, "路人", "13900000000")
    with pytest.raises(RuleViolation, match="is 5"):
        act.register_walk_in(library, event.id, "路人", "13900000000", age=5)
    assert Registration.select().count() == 0
    assert act.register_patron(library, event.id, "KID").status == "registered"
    reg = act.register_patron(library, event.id, "NOBD", age=9)
    assert reg.stated_age == 9


def test_under_14s_need_a_guardian_when_the_activity_asks(library):
    event = plan(library, guardian_required=True)
    with pytest.raises(ValidationError, match="under 14: write the name of the adult"):
        act.register_walk_in(library, event.id, "小红", "13900000001", age=8)
    assert Registration.select().count() == 0
    reg = act.register_walk_in(library, event.id, "小红", "13900000001", age=8, guardian_name="小红妈妈")
    assert reg.guardian_name == "小红妈妈"
    # A child's card that names the guardian needs nothing more.
    patron(library, "KID", "小刚", dt.date(2019, 3, 1), guardian_name="小刚爸爸")
    assert act.register_patron(library, event.id, "KID").guardian_name == "小刚爸爸"
    # Adults need no guardian.
    act.register_walk_in(library, event.id, "老张", "13900000002", age=60)


def test_registration_window(library, clock):
    event = plan(library, registration_opens=dt.datetime(2026, 11, 23, 9, 0), registration_closes=dt.datetime(2026, 11, 27, 17, 0))
    patron(library, "C1", "甲")
    with pytest.raises(RuleViolation, match="opens on"):
        act.register_patron(library, event.id, "C1")
    clock.advance(days=3)
    act.register_patron(library, event.id, "C1")
    clock.advance(days=4)  # 11-28 10:00, after closing
    patron(library, "C2", "乙")
    with pytest.raises(RuleViolation, match="closed on .* add people at the door"):
        act.register_patron(library, event.id, "C2")


def test_no_registration_for_a_cancelled_activity(library):
    event = plan(library)
    act.cancel_activity(library, event.id, "台风")
    patron(library, "C1", "甲")
    with pytest.raises(RuleViolation, match="was cancelled"):
        act.register_patron(library, event.id, "C1")
    [cancelled] = events_of("activity.cancelled")
    assert cancelled.payload == {"event_id": event.id, "reason": "台风"}


# -- editing --------------------------------------------------------------------------------------


def test_capacity_cannot_go_below_places_taken_and_raising_it_promotes(library):
    event = plan(library, capacity=2)
    for n in range(1, 5):
        patron(library, f"C{n}", f"读者{n}")
        act.register_patron(library, event.id, f"C{n}")
    with pytest.raises(RuleViolation, match="2 people already hold a place"):
        act.update_activity(library, event.id, draft(capacity=1))
    assert Event.get_by_id(event.id).capacity == 2
    act.update_activity(library, event.id, draft(capacity=3))
    statuses = [r.status for r in Registration.select().order_by(Registration.registered_at, Registration.id)]
    assert statuses == ["registered", "registered", "registered", "waitlisted"]
    [updated] = events_of("activity.updated")
    assert updated.payload == {"event_id": event.id, "changes": {"capacity": 3}}


def test_editing_the_rest_of_a_series(library):
    events = act.plan_activity(library, draft(), act.Repeat(7, 3))
    second = events[1]
    new = draft(
        starts_at=dt.datetime(2026, 12, 5, 15, 0), ends_at=dt.datetime(2026, 12, 5, 16, 30), title="周六绘本会", capacity=20
    )
    changed = act.update_activity(library, second.id, new, whole_series=True)
    assert [c.id for c in changed] == [second.id, events[2].id]
    first = Event.get_by_id(events[0].id)
    third = Event.get_by_id(events[2].id)
    assert first.title == "绘本故事会"
    assert third.title == "周六绘本会" and third.capacity == 20
    assert act.local_time(library, third.starts_at) == dt.datetime(2026, 12, 12, 15, 0)
    assert act.local_time(library, third.ends_at) == dt.datetime(2026, 12, 12, 16, 30)


# -- at the door ----------------------------------------------------------------------------------


def test_check_in_by_card_tick_and_walk_in_with_live_headcount(library, clock):
    event = plan(library, capacity=3)
    patron(library, "C1", "甲")
    patron(library, "C2", "乙")
    r1 = act.register_patron(library, event.id, "C1")
    r2 = act.register_patron(library, event.id, "C2")
    clock.instant = dt.datetime(2026, 11, 28, 6, 20, tzinfo=dt.UTC)  # 14:20, before the start

    done = act.check_in_card(library, event.id, "C1")
    assert (done.how, done.late, done.headcount) == ("registered", False, 1)
    with pytest.raises(RuleViolation, match="already checked in at 14:20"):
        act.check_in_card(library, event.id, "C1")

    clock.advance(minutes=25)  # 14:45: late (more than 10 minutes after 14:30)
    ticked = act.check_in_registration(library, r2.id)
    assert ticked.late and ticked.headcount == 2

    walk = act.check_in_walk_in(library, event.id, "过路人")
    assert walk.how == "walk_in" and walk.headcount == 3 and walk.registration.at_door
    with pytest.raises(RuleViolation, match="is full"):
        act.check_in_walk_in(library, event.id, "又一人")
    assert act.headcount(event.id) == 3
    assert Attendance.select().count() == 3
    door = events_of("activity.checked_in")[-1].payload
    assert door["registration"]["walk_in_name"] == "过路人"  # a receiver learns the new registration
    assert door["attendance"]["late"] is True
    assert Registration.get_by_id(r1.id).status == "attended"


def test_a_card_without_registration_is_a_walk_in_and_waitlisted_come_in_when_there_is_room(library, clock):
    event = plan(library, capacity=1)
    patron(library, "C1", "甲")
    patron(library, "C2", "乙")
    patron(library, "C3", "丙")
    r1 = act.register_patron(library, event.id, "C1")
    waiting = act.register_patron(library, event.id, "C2")
    assert waiting.status == "waitlisted"
    clock.instant = dt.datetime(2026, 11, 28, 6, 50, tzinfo=dt.UTC)
    with pytest.raises(RuleViolation, match="on the waitlist and all 1 places are taken"):
        act.check_in_card(library, event.id, "C2")
    act.mark_no_show(library, r1.id)  # 甲 is not coming: the place is free
    assert act.check_in_card(library, event.id, "C2").how == "waitlist"
    with pytest.raises(RuleViolation, match="is full"):
        act.check_in_card(library, event.id, "C3")
    assert Registration.select().where(Registration.at_door == True).count() == 0  # noqa: E712


def test_no_check_in_to_a_cancelled_or_future_activity(library):
    event = plan(library)
    patron(library, "C1", "甲")
    act.register_patron(library, event.id, "C1")
    with pytest.raises(RuleViolation, match="check-in opens that day"):
        act.check_in_card(library, event.id, "C1")
    act.cancel_activity(library, event.id)
    with pytest.raises(RuleViolation, match="was cancelled; nobody can check in"):
        act.check_in_card(library, event.id, "C1")
    with pytest.raises(RuleViolation, match="was cancelled"):
        act.check_in_walk_in(library, event.id, "某人")
    assert Attendance.select().count() == 0
    assert events_of("activity.checked_in") == []


def test_undo_a_mistaken_tick(library, clock):
    event = plan(library)
    patron(library, "C1", "甲")
    reg = act.register_patron(library, event.id, "C1")
    clock.instant = dt.datetime(2026, 11, 28, 6, 30, tzinfo=dt.UTC)
    done = act.check_in_registration(library, reg.id)
    walk = act.check_in_walk_in(library, event.id, "路人", "13900000000")
    assert act.undo_check_in(library, done.attendance.id).status == "registered"
    assert act.undo_check_in(library, walk.attendance.id).status == "cancelled"
    assert act.headcount(event.id) == 0
    assert len(events_of("activity.check_in_undone")) == 2


# -- afterwards -----------------------------------------------------------------------------------


def test_finish_marks_no_shows_and_keeps_the_archive_note(library, clock):
    event = plan(library, capacity=10)
    for n in range(1, 5):
        patron(library, f"C{n}", f"读者{n}")
        act.register_patron(library, event.id, f"C{n}")
    with pytest.raises(RuleViolation, match="has not started"):
        act.finish_activity(library, event.id)
    clock.instant = dt.datetime(2026, 11, 28, 6, 35, tzinfo=dt.UTC)
    act.check_in_card(library, event.id, "C1")
    act.check_in_card(library, event.id, "C2")
    act.check_in_card(library, event.id, "C3")
    act.check_in_walk_in(library, event.id, "路人")
    clock.advance(hours=2)
    finished = act.finish_activity(library, event.id, "孩子们很投入。", "照片、签到表存档于 2026-活动-12 卷")
    assert finished.status == "finished" and finished.archive_note.startswith("照片")
    result = act.outcome(event.id)
    assert (result.headcount, result.registered, result.came, result.no_shows, result.walk_ins) == (4, 4, 3, 1, 1)
    assert result.attendance_rate == 0.75
    [closed] = events_of("activity.finished")
    assert len(closed.payload["no_shows"]) == 1
    with pytest.raises(RuleViolation, match="has finished; its attendance is closed"):
        act.check_in_card(library, event.id, "C4")
    act.write_summary(library, event.id, "修改后的总结", "2026-活动-12")
    assert Event.get_by_id(event.id).summary == "修改后的总结"


def test_statistics_per_type_and_month(library, clock):
    lecture = plan(library, kind="lecture", title="讲座")
    story = plan(library, title="故事会")
    cancelled = plan(library, title="取消的")
    act.cancel_activity(library, cancelled.id)
    patron(library, "C1", "甲")
    clock.instant = dt.datetime(2026, 11, 28, 6, 35, tzinfo=dt.UTC)
    act.check_in_card(library, lecture.id, "C1")
    act.check_in_walk_in(library, lecture.id, "路人")
    act.check_in_walk_in(library, story.id, "路人")
    clock.instant = dt.datetime(2026, 12, 31, 12, 0, tzinfo=dt.UTC)
    stats = act.statistics(library, 2026)
    assert [(r.month, r.kind, r.activities, r.participants) for r in stats.rows] == [(11, "children", 1, 1), (11, "lecture", 1, 2)]
    assert (stats.activities, stats.participants) == (2, 3)
    assert stats.by_type() == {"children": (1, 1), "lecture": (1, 2)}


def test_list_and_registration_rows(library):
    event = plan(library, capacity=1)
    patron(library, "C1", "甲", phone="13812345678")
    act.register_patron(library, event.id, "C1")
    act.register_walk_in(library, event.id, "乙", "13900000000")
    [row] = act.list_activities(library, start=DAY, end=DAY)
    assert (row.registered, row.waitlisted, row.capacity, row.place) == (1, 1, 1, "城关分馆 · 少儿阅览室")
    rows = act.registrations(library, event.id)
    assert [(r.name, r.status) for r in rows] == [("甲", "registered"), ("乙", "waitlisted")]
    assert act.list_activities(library, start=DAY + dt.timedelta(days=1)) == []
    assert act.list_activities(library, text="绘本")[0].id == event.id
