"""Shifts and the roster: making them (one and a weekly series), assigning with checks,
swaps and cancellations that keep history, the week view, CSV, and who may do what."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from countylib.errors import NotFound, PermissionDenied, RuleViolation, ValidationError
from countylib.settings import change_setting
from countylib.shifts import (
    assign_volunteer,
    cancel_assignment,
    cancel_shift,
    candidates_for_shift,
    create_shift,
    create_shift_series,
    my_shifts,
    swap_assignment,
    understaffed_shifts,
    update_shift,
    week_roster,
    write_roster_csv,
)
from models import Calendar, Outbox, Shift, ShiftAssignment

from tests.volunteer_fixtures import SATURDAY, add_volunteer, places, volunteer_login  # noqa: F401 (fixtures)

MONDAY = dt.date(2026, 11, 23)


def events(kind):
    return [e.payload for e in Outbox.select().where(Outbox.type == kind).order_by(Outbox.seq)]


def storytime(ctx, place, day=MONDAY, starts="09:00", ends="11:00", **kw):
    kw.setdefault("role", "storytelling")
    kw.setdefault("slots", 2)
    return create_shift(ctx, location=place, day=day, starts=starts, ends=ends, **kw)


def test_create_a_shift(library, places):
    branch, _point = places
    shift = create_shift(library, location="HX01", day="2026-11-23", starts="9:00", ends="12：00", role="desk", slots=2)
    assert (shift.day, shift.starts, shift.ends, shift.slots) == (MONDAY, dt.time(9), dt.time(12), 2)
    (payload,) = events("shift.created")
    assert payload["shift"] == {
        "id": shift.id, "location": "HX01", "day": "2026-11-23", "starts": "09:00", "ends": "12:00",
        "role": "desk", "slots": 2, "needs_background_check": False, "series_id": None,
    }


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"starts": "12:00", "ends": "09:00"}, ValidationError, "must end after it starts"),
        ({"starts": "nine"}, ValidationError, "HH:MM"),
        ({"slots": 0}, ValidationError, "between 1 and 50"),
        ({"location": "NOWHERE"}, NotFound, "no place with the code NOWHERE"),
        ({"day": "23/11/2026"}, ValidationError, "'23/11/2026' is not a date like 2026-11-21"),
        ({"day": "2026-02-30"}, ValidationError, "There is no 2026-02-30: that month has 28 days"),
    ],
)
def test_bad_shifts_are_refused(library, places, fields, error, message):
    values = {"location": "HX01", "day": "2026-11-23", "starts": "09:00", "ends": "12:00", **fields}
    with pytest.raises(error, match=message):
        create_shift(library, **values)
    assert Shift.select().count() == 0 and not events("shift.created")


def test_a_weekly_series_in_one_step_skips_closed_days(library, places):
    Calendar.create(branch=library.branch, day=SATURDAY + dt.timedelta(weeks=2), reason="运动会")
    result = create_shift_series(
        library, location="HX01", first_day=SATURDAY, starts="09:00", ends="12:00", weeks=8, role="shelving", slots=3
    )
    assert [s.day for s in result.shifts] == [SATURDAY + dt.timedelta(weeks=n) for n in (0, 1, 3, 4, 5, 6, 7)]
    assert result.skipped == [(SATURDAY + dt.timedelta(weeks=2), "运动会")]
    assert len({s.series_id for s in result.shifts}) == 1 and result.shifts[0].series_id
    assert len(events("shift.created")) == 7


def test_a_bad_series_writes_nothing(library, places):
    with pytest.raises(ValidationError, match="1 to 52 weeks"):
        create_shift_series(library, location="HX01", first_day=SATURDAY, starts="9:00", ends="12:00", weeks=0)
    with pytest.raises(ValidationError, match="must end after"):
        create_shift_series(library, location="HX01", first_day=SATURDAY, starts="12:00", ends="9:00", weeks=4)
    assert Shift.select().count() == 0


def test_assign_warns_about_availability_and_skills_but_allows(library, places):
    shift = storytime(library, places[0])
    weekend = add_volunteer(library, "周末", availability={"sat": ["am"]}, skills=["shelving"])
    done = assign_volunteer(library, shift, weekend)
    assert [c.message for c in done.warnings] == [
        "周末 does not usually come on Mon (Morning).",
        "周末 has no Storytelling skill on record.",
    ]
    (payload,) = events("shift.assigned")
    assert payload["volunteer_id"] == weekend.id and len(payload["warnings"]) == 2


def test_double_booking_is_refused(library, places):
    branch, point = places
    first = storytime(library, branch, starts="09:00", ends="11:00")
    overlapping = storytime(library, point, starts="10:30", ends="12:00")
    later = storytime(library, point, starts="11:00", ends="12:00")
    v = add_volunteer(library, "张三")
    assign_volunteer(library, first, v)
    with pytest.raises(RuleViolation, match="already on another shift at that time: 09:00–11:00 城关分馆"):
        assign_volunteer(library, overlapping, v)
    with pytest.raises(RuleViolation, match="already on this shift"):
        assign_volunteer(library, first, v)
    assign_volunteer(library, later, v)  # back to back is fine
    assert ShiftAssignment.select().count() == 2 and len(events("shift.assigned")) == 2


def test_childrens_shift_needs_a_valid_background_check(library, places):
    shift = storytime(library, places[0], needs_background_check=True)
    unchecked = add_volunteer(library, "未审查", background_check_on=None)
    old = add_volunteer(library, "旧审查", background_check_on=dt.date(2020, 1, 1))
    with pytest.raises(RuleViolation, match="未审查 has no background check on record"):
        assign_volunteer(library, shift, unchecked)
    with pytest.raises(RuleViolation, match="旧审查's background check of 2020-01-01 is not valid"):
        assign_volunteer(library, shift, old)
    change_setting(library, "volunteers.background_check_years", 10)
    assign_volunteer(library, shift, old)
    assert [a.volunteer.name for a in ShiftAssignment.select()] == ["旧审查"]


def test_inactive_volunteers_and_full_or_cancelled_shifts_are_refused(library, places):
    shift = storytime(library, places[0], slots=1)
    applicant = add_volunteer(library, "申请人", status="applicant")
    with pytest.raises(RuleViolation, match="not an active volunteer"):
        assign_volunteer(library, shift, applicant)
    assign_volunteer(library, shift, add_volunteer(library, "甲"))
    with pytest.raises(RuleViolation, match="already has all 1 volunteers"):
        assign_volunteer(library, shift, add_volunteer(library, "乙"))
    cancel_shift(library, shift, "暴雨")
    with pytest.raises(RuleViolation, match="was cancelled"):
        assign_volunteer(library, shift, add_volunteer(library, "丙"))


def test_candidates_come_suitable_first_then_warned_then_blocked(library, places):
    shift = storytime(library, places[0], needs_background_check=True)
    add_volunteer(library, "阿不", background_check_on=None)
    add_volunteer(library, "阿警", availability={})
    add_volunteer(library, "阿好")
    add_volunteer(library, "阿离", status="left")
    fits = candidates_for_shift(library, shift)
    assert [(f.volunteer.name, f.blocked, bool(f.warnings)) for f in fits] == [
        ("阿好", False, False),
        ("阿警", False, True),
        ("阿不", True, False),
    ]


def test_swap_and_cancel_keep_history(library, places):
    shift = storytime(library, places[0])
    a, b, c = (add_volunteer(library, n) for n in ("甲", "乙", "丙"))
    first = assign_volunteer(library, shift, a).assignment
    second = assign_volunteer(library, shift, b).assignment
    with pytest.raises(ValidationError, match="reason"):
        swap_assignment(library, first, c, " ")
    with pytest.raises(RuleViolation, match="already on this shift"):
        swap_assignment(library, first, b, "生病")
    swapped = swap_assignment(library, first, c, "生病").assignment
    cancel_assignment(library, second, "出差")
    old, gone = ShiftAssignment.get_by_id(first.id), ShiftAssignment.get_by_id(second.id)
    assert (old.status, old.status_reason, old.replaced_by_id) == ("swapped", "生病", swapped.id)
    assert (gone.status, gone.status_reason) == ("cancelled", "出差")
    view = week_roster(library, MONDAY).shifts[0]
    assert [p.name for p in view.people] == ["丙"]
    assert view.history == (("甲", "swapped", "生病"), ("乙", "cancelled", "出差"))
    assert events("shift.swapped")[0]["new_volunteer_id"] == c.id
    assert events("shift.assignment_cancelled")[0]["reason"] == "出差"


def test_cancel_a_shift_cancels_its_assignments(library, places):
    shift = storytime(library, places[0])
    assignment = assign_volunteer(library, shift, add_volunteer(library, "甲")).assignment
    with pytest.raises(ValidationError, match="reason"):
        cancel_shift(library, shift, "")
    cancel_shift(library, shift, "停电")
    assert ShiftAssignment.get_by_id(assignment.id).status == "cancelled"
    assert events("shift.cancelled")[0]["assignment_ids"] == [assignment.id]
    with pytest.raises(RuleViolation, match="already cancelled"):
        cancel_shift(library, shift, "again")


def test_update_shift_places_and_check(library, places):
    shift = storytime(library, places[0], slots=2)
    assign_volunteer(library, shift, add_volunteer(library, "甲", background_check_on=None))
    assign_volunteer(library, shift, add_volunteer(library, "乙"))
    with pytest.raises(RuleViolation, match="2 volunteers are already on this shift"):
        update_shift(library, shift, slots=1)
    with pytest.raises(RuleViolation, match="甲 is on this shift without a valid background check"):
        update_shift(library, shift, needs_background_check=True)
    assert Shift.get_by_id(shift.id).needs_background_check is False
    assert update_shift(library, shift, slots=4) == {"slots": 4}


def test_week_roster_places_by_days_with_open_places_and_csv(library, places, tmp_path):
    branch, point = places
    s1 = storytime(library, branch, slots=2)
    storytime(library, point, day=MONDAY + dt.timedelta(days=5), starts="14:00", ends="16:00", slots=1, role="")
    storytime(library, branch, day=MONDAY + dt.timedelta(days=7))  # next week: not shown
    assign_volunteer(library, s1, add_volunteer(library, "张三"))
    roster = week_roster(library, MONDAY + dt.timedelta(days=3))
    assert roster.monday == MONDAY
    assert roster.places == [("HX01", "城关分馆"), ("HX01-RP1", "东街阅读点")]
    (cell,) = roster.cell("HX01", MONDAY)
    assert (cell.filled, cell.open, cell.times, [p.name for p in cell.people]) == (1, 1, "09:00–11:00", ["张三"])
    assert [s.location_code for s in roster.understaffed] == ["HX01", "HX01-RP1"]
    assert len(understaffed_shifts(library, MONDAY, MONDAY + dt.timedelta(days=13))) == 3
    out = tmp_path / "roster.csv"
    assert write_roster_csv(roster, out) == 2
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0][:4] == ["Date", "Weekday", "Place code", "Place"]
    assert rows[1] == ["2026-11-23", "Mon", "HX01", "城关分馆", "09:00", "11:00", "Storytelling", "2", "1", "1", "张三", "no", "no"]


def test_a_volunteer_sees_only_their_own_shifts(library, places, volunteer_login):
    shift = storytime(library, places[0])
    me, other = add_volunteer(library, "我"), add_volunteer(library, "他")
    mine = assign_volunteer(library, shift, me).assignment
    theirs = assign_volunteer(library, shift, other).assignment
    ctx = volunteer_login(me)
    assert [s.assignment_id for s in my_shifts(ctx)] == [mine.id]
    with pytest.raises(PermissionDenied):
        week_roster(ctx, MONDAY)
    with pytest.raises(PermissionDenied):
        candidates_for_shift(ctx, shift)
    with pytest.raises(PermissionDenied):
        create_shift(ctx, location="HX01", day=MONDAY, starts="9:00", ends="10:00")
    with pytest.raises(PermissionDenied):
        assign_volunteer(ctx, shift, me)
    with pytest.raises(PermissionDenied):
        swap_assignment(ctx, mine, other, "x")
    with pytest.raises(PermissionDenied):
        cancel_shift(ctx, shift, "x")
    with pytest.raises(PermissionDenied, match="only see and change their own"):
        cancel_assignment(ctx, theirs, "不想去")
    cancel_assignment(ctx, mine, "家里有事")  # before the shift: their own call
    assert ShiftAssignment.get_by_id(mine.id).status == "cancelled"
    assert ShiftAssignment.get_by_id(theirs.id).status == "assigned"


def test_a_volunteer_cannot_cancel_once_the_shift_started(library, places, volunteer_login, clock):
    shift = storytime(library, places[0], day=SATURDAY, starts="09:00", ends="12:00")
    me = add_volunteer(library, "我")
    mine = assign_volunteer(library, shift, me).assignment
    with pytest.raises(RuleViolation, match="has started"):
        cancel_assignment(volunteer_login(me), mine, "迟到")


def test_an_unlinked_volunteer_account_is_told_plainly(library, as_role):
    with pytest.raises(NotFound, match="not linked to a volunteer record"):
        my_shifts(as_role("volunteer"))
