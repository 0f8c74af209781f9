"""Signing in and out at the desk, hours, corrections with a reason, no-shows, the sums."""

from __future__ import annotations

import datetime as dt

import pytest

from countylib.errors import NotFound, PermissionDenied, RuleViolation, ValidationError
from countylib.shifts import assign_volunteer, create_shift
from countylib.volunteer_hours import (
    JustSignedIn,
    correct_hours,
    find_volunteer_at_desk,
    hours_by_month,
    hours_by_place,
    hours_lines,
    mark_no_show,
    record_no_shows,
    sign_in_or_out,
    sign_in_volunteer,
    sign_out_volunteer,
)
from countylib.volunteer_recognition import annual_ranking, hours_statement, period_facts
from models import AuditLog, Outbox, Patron, ShiftAssignment

from tests.volunteer_fixtures import SATURDAY, add_volunteer, places, volunteer_login  # noqa: F401 (fixtures)


def events(kind):
    return [e.payload for e in Outbox.select().where(Outbox.type == kind).order_by(Outbox.seq)]


def on_shift(ctx, volunteer, place="HX01", day=SATURDAY, starts="09:00", ends="12:00"):
    shift = create_shift(ctx, location=place, day=day, starts=starts, ends=ends, slots=3)
    return assign_volunteer(ctx, shift, volunteer).assignment


def test_sign_in_and_out_counts_the_minutes(library, places, clock):
    v = add_volunteer(library, "张三", card_number="V100")
    assignment = on_shift(library, v)
    signed = sign_in_volunteer(library, v)  # 10:00 local
    assert signed.id == assignment.id and signed.status == "attended"
    clock.advance(hours=2, minutes=15, seconds=50)
    out = sign_out_volunteer(library, v)
    assert out.minutes == 135
    assert events("shift.signed_in")[0]["signed_in_at"] == "2026-11-21T02:00:00Z"
    assert events("shift.signed_out")[0] == {
        "assignment_id": assignment.id, "shift_id": assignment.shift_id, "volunteer_id": v.id, "card_number": "V100",
        "location": "HX01", "day": "2026-11-21", "signed_out_at": "2026-11-21T04:15:50Z", "minutes": 135,
    }


def test_sign_in_picks_the_shift_nearest_now(library, places, clock):
    v = add_volunteer(library, "张三")
    on_shift(library, v, starts="07:00", ends="08:00")
    near = on_shift(library, v, starts="10:30", ends="12:00")
    on_shift(library, v, starts="18:00", ends="20:00")
    assert sign_in_volunteer(library, v).id == near.id


def test_sign_out_before_sign_in_is_refused(library, places):
    v = add_volunteer(library, "张三")
    on_shift(library, v)
    with pytest.raises(RuleViolation, match="has not signed in, so there is nothing to sign out of"):
        sign_out_volunteer(library, v)
    assert not events("shift.signed_out")


def test_no_shift_today_or_signed_in_twice_is_refused(library, places):
    v = add_volunteer(library, "张三")
    with pytest.raises(RuleViolation, match="no shift today"):
        sign_in_volunteer(library, v)
    on_shift(library, v)
    sign_in_volunteer(library, v)
    with pytest.raises(RuleViolation, match="signed in at 10:00 and has not signed out"):
        sign_in_volunteer(library, v)
    assert len(events("shift.signed_in")) == 1


def test_forgotten_sign_out_needs_a_librarian(library, places, clock):
    v = add_volunteer(library, "张三")
    assignment = on_shift(library, v)
    sign_in_volunteer(library, v)
    clock.advance(days=1)
    with pytest.raises(RuleViolation, match="never signed out; a librarian can correct"):
        sign_out_volunteer(library, v)
    fixed = correct_hours(library, assignment, signed_out="12:00", reason="忘记签退")
    assert (fixed.minutes, fixed.correction_reason) == (120, "忘记签退")
    assert AuditLog.get(AuditLog.action == "shift.hours_corrected").details["minutes"] == 0
    assert events("shift.hours_corrected")[0]["previous_minutes"] == 0


def test_corrections_need_a_reason_and_sane_times(library, places):
    v = add_volunteer(library, "张三")
    assignment = on_shift(library, v)
    with pytest.raises(ValidationError, match="reason"):
        correct_hours(library, assignment, signed_in="09:00", signed_out="12:00", reason=" ")
    with pytest.raises(ValidationError, match="sign-out time is before the sign-in time"):
        correct_hours(library, assignment, signed_in="12:00", signed_out="09:00", reason="手工登记")
    with pytest.raises(ValidationError, match="both the sign-in and the sign-out"):
        correct_hours(library, assignment, signed_in="09:00", reason="手工登记")
    with pytest.raises(ValidationError, match="between 0 and 1440"):
        correct_hours(library, assignment, minutes=2000, reason="手工登记")
    assert ShiftAssignment.get_by_id(assignment.id).status == "assigned"
    done = correct_hours(library, assignment, signed_in="8:50", signed_out="12:05", reason="没有签到")
    assert (done.status, done.minutes) == ("attended", 195)
    assert correct_hours(library, assignment, minutes=180, reason="按排班计").minutes == 180


def test_no_shows(library, places, clock):
    present, absent = add_volunteer(library, "来了"), add_volunteer(library, "没来")
    a = on_shift(library, present, starts="08:00", ends="09:30")
    b = on_shift(library, absent, starts="08:00", ends="09:30")
    later = on_shift(library, absent, starts="14:00", ends="16:00")
    correct_hours(library, a, signed_in="08:00", signed_out="09:30", reason="补登")
    with pytest.raises(RuleViolation, match="has not started"):
        mark_no_show(library, later)
    assert [x.id for x in record_no_shows(library, SATURDAY)] == [b.id]  # the afternoon shift has not ended
    assert ShiftAssignment.get_by_id(later.id).status == "assigned"
    with pytest.raises(RuleViolation, match="Only a volunteer who was expected"):
        mark_no_show(library, a)
    assert [e["assignment_id"] for e in events("shift.no_show")] == [b.id]


def test_desk_finds_volunteers_by_card_reader_card_or_name(library, places):
    patron = Patron.create(card_number="HX0100007", name="李四", home_branch=library.branch)
    zhang = add_volunteer(library, "张三", card_number="V100")
    li = add_volunteer(library, "李四", patron_card=patron.card_number)
    assert find_volunteer_at_desk(library, "v100") == [zhang]
    assert find_volunteer_at_desk(library, "HX0100007") == [li]
    assert find_volunteer_at_desk(library, "zhang") == [zhang]
    assert find_volunteer_at_desk(library, "李") == [li]
    with pytest.raises(NotFound):
        find_volunteer_at_desk(library, "nobody")
    with pytest.raises(ValidationError):
        find_volunteer_at_desk(library, " ")


def test_a_volunteer_signs_only_themselves_in_and_out(library, places, volunteer_login, clock):
    me, other = add_volunteer(library, "我", card_number="V001"), add_volunteer(library, "他", card_number="V002")
    mine, theirs = on_shift(library, me), on_shift(library, other)
    ctx = volunteer_login(me)
    assert find_volunteer_at_desk(ctx, "V001") == [me]
    with pytest.raises(NotFound):
        find_volunteer_at_desk(ctx, "V002")
    with pytest.raises(PermissionDenied):
        sign_in_volunteer(ctx, other)
    sign_in_volunteer(ctx, me)
    clock.advance(hours=1)
    assert sign_out_volunteer(ctx, me).minutes == 60
    with pytest.raises(PermissionDenied):
        sign_out_volunteer(ctx, other)
    with pytest.raises(PermissionDenied):
        correct_hours(ctx, mine, minutes=600, reason="我说了算")
    with pytest.raises(PermissionDenied):
        mark_no_show(ctx, theirs)
    with pytest.raises(PermissionDenied):
        hours_by_month(ctx, 2026)
    assert [line.minutes for line in hours_lines(ctx, me, SATURDAY, SATURDAY)] == [60]
    with pytest.raises(PermissionDenied):
        hours_lines(ctx, other, SATURDAY, SATURDAY)


def test_hours_per_month_and_per_place(library, places):
    a, b = add_volunteer(library, "甲"), add_volunteer(library, "乙")
    for volunteer, place, day, minutes in (
        (a, "HX01", dt.date(2026, 10, 3), 180),
        (a, "HX01-RP1", dt.date(2026, 11, 7), 120),
        (b, "HX01-RP1", dt.date(2026, 11, 7), 90),
        (b, "HX01", dt.date(2026, 11, 14), 60),
    ):
        correct_hours(library, on_shift(library, volunteer, place=place, day=day), minutes=minutes, reason="补登")
    no_show = on_shift(library, b, day=dt.date(2026, 11, 14), starts="14:00", ends="15:00")
    mark_no_show(library, no_show)
    months = hours_by_month(library, 2026)
    assert len(months) == 12
    assert months[9] == {"month": 10, "minutes": 180, "shifts": 1, "volunteers": 1}
    assert months[10] == {"month": 11, "minutes": 270, "shifts": 3, "volunteers": 2}
    assert months[0]["minutes"] == 0
    assert hours_by_place(library, dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == [
        {"code": "HX01", "place": "城关分馆", "minutes": 240, "shifts": 2, "volunteers": 2},
        {"code": "HX01-RP1", "place": "东街阅读点", "minutes": 210, "shifts": 2, "volunteers": 2},
    ]


@pytest.mark.usefixtures("places")
def test_a_second_scan_just_after_signing_in_is_not_a_sign_out(library, clock):
    v = add_volunteer(library, "张晓雨")
    on_shift(library, v, starts="09:00", ends="12:00")
    assert sign_in_or_out(library, v)[1] is True
    clock.advance(seconds=40)
    with pytest.raises(JustSignedIn, match="signed in at 10:00, 0 min ago; a second scan so soon is not taken"):
        sign_in_or_out(library, v)
    a = ShiftAssignment.get()
    assert (a.status, a.signed_out_at) == ("attended", None)
    clock.advance(minutes=5)
    out, signed_in = sign_in_or_out(library, v)
    assert (signed_in, out.minutes) == (False, 5)


@pytest.mark.usefixtures("places")
def test_signing_in_is_only_for_a_shift_that_has_not_ended(library, clock):
    v = add_volunteer(library, "张晓雨")
    morning = on_shift(library, v, starts="09:00", ends="12:00")
    afternoon = on_shift(library, v, starts="14:00", ends="17:00")
    clock.advance(hours=2, minutes=30)  # 12:30: the morning is over, the afternoon not yet open
    with pytest.raises(RuleViolation, match="next shift is 14:00–17:00 at 城关分馆; signing in for it opens at 13:00"):
        sign_in_volunteer(library, v)
    clock.advance(minutes=40)  # 13:10, within the hour before the start
    assert sign_in_volunteer(library, v).id == afternoon.id
    clock.advance(hours=2, minutes=12)  # 15:22: the tester's double scan, then a sign-out on purpose
    sign_out_volunteer(library, v)
    with pytest.raises(RuleViolation, match=r"shift today \(09:00–12:00\) has already ended"):
        sign_in_volunteer(library, v)
    assert ShiftAssignment.get_by_id(morning.id).status == "assigned"


@pytest.mark.usefixtures("places")
def test_a_sign_out_moments_after_signing_in_is_no_shift_served(library, clock):
    v = add_volunteer(library, "张晓雨")
    first = on_shift(library, v, day=dt.date(2026, 11, 14))
    correct_hours(library, first, minutes=170, reason="补登")
    on_shift(library, v, starts="09:00", ends="12:00")
    sign_in_volunteer(library, v)
    clock.advance(seconds=30)
    assert sign_out_volunteer(library, v).minutes == 0
    year = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert [line.minutes for line in hours_lines(library, v, *year)] == [170]
    assert hours_by_month(library, 2026)[10] == {"month": 11, "minutes": 170, "shifts": 1, "volunteers": 1}
    [row] = annual_ranking(library, 2026)
    assert (row.attended, row.assigned, row.minutes) == (1, 1, 170)
    assert period_facts(library, v, *year).attended == 1
    assert len(hours_statement(library, v, *year).lines) == 1


@pytest.mark.usefixtures("places")
def test_overlapping_shifts_count_their_shared_time_once(library):
    v = add_volunteer(library, "张晓雨")
    day = dt.date(2026, 10, 24)
    shelving = create_shift(library, location="HX01", day=day, starts="09:00", ends="12:00", slots=3)
    stories = create_shift(library, location="HX01", day=day, starts="09:30", ends="11:30", slots=2)
    afternoon = create_shift(library, location="HX01", day=day, starts="11:00", ends="13:00", slots=2)
    rows = []
    for shift, minutes in ((shelving, 174), (stories, 120), (afternoon, 120)):
        # Made as the demo data once did: nothing refused the second booking.
        rows.append(ShiftAssignment.create(shift=shift, volunteer=v, status="attended", minutes=minutes))
    correct_hours(library, rows[0], signed_in="09:02", signed_out="11:56", reason="补登")
    correct_hours(library, rows[1], signed_in="09:30", signed_out="11:30", reason="补登")
    correct_hours(library, rows[2], signed_in="11:00", signed_out="13:00", reason="补登")
    year = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    lines = hours_lines(library, v, *year)
    # 09:02–11:56 counts whole, 09:30–11:30 lies inside it, 11:00–13:00 adds 11:56–13:00.
    assert [(line.starts, line.minutes) for line in lines] == [("09:00", 174), ("11:00", 64)]
    statement = hours_statement(library, v, *year)
    assert (len(statement.lines), statement.total_minutes) == (2, 238)
    assert hours_by_month(library, 2026)[9] == {"month": 10, "minutes": 238, "shifts": 2, "volunteers": 1}
    assert hours_by_place(library, *year)[0]["minutes"] == 238
    assert annual_ranking(library, 2026)[0].minutes == 238
