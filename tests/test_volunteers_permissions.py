"""Every volunteers service, called by a volunteer signed in with their own account:
librarian-only ones refuse and write nothing; the volunteer-facing ones work for their own
record and refuse anyone else's."""

from __future__ import annotations

import datetime as dt

import pytest

from countylib import shifts, volunteer_hours, volunteer_recognition, volunteers
from countylib.errors import PermissionDenied
from models import Outbox

from tests.volunteer_fixtures import SATURDAY, add_volunteer, places, volunteer_login  # noqa: F401 (fixtures)

YEAR_START, YEAR_END = dt.date(2026, 1, 1), dt.date(2026, 12, 31)


@pytest.fixture
def setting(library, places, volunteer_login):
    me, other = add_volunteer(library, "我", card_number="V001"), add_volunteer(library, "他", card_number="V002")
    shift = shifts.create_shift(library, location="HX01", day=SATURDAY, starts="09:00", ends="12:00", slots=3)
    mine = shifts.assign_volunteer(library, shift, me).assignment
    theirs = shifts.assign_volunteer(library, shift, other).assignment
    past = shifts.create_shift(library, location="HX01", day=SATURDAY - dt.timedelta(days=7), starts="09:00", ends="12:00")
    done = shifts.assign_volunteer(library, past, other).assignment
    volunteer_hours.correct_hours(library, done, minutes=180, reason="补登")
    evening = shifts.create_shift(library, location="HX01", day=SATURDAY, starts="18:00", ends="19:00")
    return dict(ctx=volunteer_login(me), me=me, other=other, shift=shift, mine=mine, theirs=theirs, done=done, evening=evening)


LIBRARIAN_ONLY = {
    "register_volunteer": lambda s: volunteers.register_volunteer(s["ctx"], name="新人", consent=True),
    "update_volunteer (own record too)": lambda s: volunteers.update_volunteer(s["ctx"], s["me"], phone="13800001111"),
    "search_volunteers": lambda s: volunteers.search_volunteers(s["ctx"], "我"),
    "volunteer_accounts": lambda s: volunteers.volunteer_accounts(s["ctx"]),
    "create_shift": lambda s: shifts.create_shift(s["ctx"], location="HX01", day=SATURDAY, starts="13:00", ends="14:00"),
    "create_shift_series": lambda s: shifts.create_shift_series(
        s["ctx"], location="HX01", first_day=SATURDAY, starts="13:00", ends="14:00", weeks=2
    ),
    "update_shift": lambda s: shifts.update_shift(s["ctx"], s["shift"], slots=5),
    "cancel_shift": lambda s: shifts.cancel_shift(s["ctx"], s["shift"], "x"),
    "candidates_for_shift": lambda s: shifts.candidates_for_shift(s["ctx"], s["shift"]),
    "assign_volunteer (even themselves)": lambda s: shifts.assign_volunteer(s["ctx"], s["evening"], s["me"]),
    "swap_assignment": lambda s: shifts.swap_assignment(s["ctx"], s["mine"], s["other"], "x"),
    "week_roster": lambda s: shifts.week_roster(s["ctx"], SATURDAY),
    "shift_view": lambda s: shifts.shift_view(s["ctx"], s["shift"]),
    "assignments_of": lambda s: shifts.assignments_of(s["ctx"], s["shift"]),
    "understaffed_shifts": lambda s: shifts.understaffed_shifts(s["ctx"], SATURDAY, SATURDAY),
    "correct_hours (own too)": lambda s: volunteer_hours.correct_hours(s["ctx"], s["mine"], minutes=600, reason="x"),
    "mark_no_show": lambda s: volunteer_hours.mark_no_show(s["ctx"], s["theirs"]),
    "record_no_shows": lambda s: volunteer_hours.record_no_shows(s["ctx"], SATURDAY),
    "day_sheet": lambda s: volunteer_hours.day_sheet(s["ctx"], SATURDAY),
    "hours_by_month": lambda s: volunteer_hours.hours_by_month(s["ctx"], 2026),
    "hours_by_place": lambda s: volunteer_hours.hours_by_place(s["ctx"], YEAR_START, YEAR_END),
    "rate_assignment": lambda s: volunteer_recognition.rate_assignment(s["ctx"], s["done"], 5),
    "period_facts": lambda s: volunteer_recognition.period_facts(s["ctx"], s["me"], YEAR_START, YEAR_END),
    "write_review": lambda s: volunteer_recognition.write_review(
        s["ctx"], s["me"], period_start=YEAR_START, period_end=YEAR_END, brief="自评优秀"
    ),
    "reviews_of": lambda s: volunteer_recognition.reviews_of(s["ctx"], s["me"]),
    "annual_ranking": lambda s: volunteer_recognition.annual_ranking(s["ctx"], 2026),
    "confirm_outstanding": lambda s: volunteer_recognition.confirm_outstanding(s["ctx"], 2026, [s["other"]]),
    "service_certificate (own too)": lambda s: volunteer_recognition.service_certificate(s["ctx"], s["me"], YEAR_START, YEAR_END),
}

NOT_THEIRS = {
    "get_volunteer": lambda s: volunteers.get_volunteer(s["ctx"], s["other"].id),
    "shifts_of": lambda s: shifts.shifts_of(s["ctx"], s["other"], YEAR_START, YEAR_END),
    "cancel_assignment": lambda s: shifts.cancel_assignment(s["ctx"], s["theirs"], "x"),
    "sign_in_volunteer": lambda s: volunteer_hours.sign_in_volunteer(s["ctx"], s["other"]),
    "sign_out_volunteer": lambda s: volunteer_hours.sign_out_volunteer(s["ctx"], s["other"]),
    "sign_in_or_out": lambda s: volunteer_hours.sign_in_or_out(s["ctx"], s["other"]),
    "hours_lines": lambda s: volunteer_hours.hours_lines(s["ctx"], s["other"], YEAR_START, YEAR_END),
    "hours_statement": lambda s: volunteer_recognition.hours_statement(s["ctx"], s["other"], YEAR_START, YEAR_END),
}


@pytest.mark.parametrize("call", list(LIBRARIAN_ONLY.values()), ids=list(LIBRARIAN_ONLY))
def test_librarian_only_services_refuse_a_volunteer(setting, call):
    before = Outbox.select().count()
    with pytest.raises(PermissionDenied):
        call(setting)
    assert Outbox.select().count() == before


@pytest.mark.parametrize("call", list(NOT_THEIRS.values()), ids=list(NOT_THEIRS))
def test_a_volunteer_cannot_act_on_someone_elses_record(setting, call):
    before = Outbox.select().count()
    with pytest.raises(PermissionDenied, match="only see and change their own"):
        call(setting)
    assert Outbox.select().count() == before


def test_the_volunteer_facing_services_work_for_their_own_record(setting, clock):
    ctx, me = setting["ctx"], setting["me"]
    assert volunteers.get_volunteer(ctx, me.id) == me
    assert [s.assignment_id for s in shifts.my_shifts(ctx)] == [setting["mine"].id]
    assert volunteer_hours.find_volunteer_at_desk(ctx, "V001") == [me]
    assert volunteer_hours.sign_in_or_out(ctx, me)[1] is True
    clock.advance(hours=2)
    signed_out, signed_in = volunteer_hours.sign_in_or_out(ctx, me)
    assert (signed_in, signed_out.minutes) == (False, 120)
    assert [line.minutes for line in volunteer_hours.hours_lines(ctx, me, YEAR_START, YEAR_END)] == [120]
    assert volunteer_recognition.hours_statement(ctx, me, YEAR_START, YEAR_END).total_minutes == 120
