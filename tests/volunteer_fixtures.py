"""Shared set-up for the volunteer tests: places, volunteers, a volunteer's own login.

The fixed clock stands at Saturday 2026-11-21 10:00 in the library (02:00 UTC).
"""

from __future__ import annotations

import datetime as dt

import pytest

from countylib.auth import create_staff
from countylib.roles import Actor
from countylib.volunteers import register_volunteer
from models import Location

SATURDAY = dt.date(2026, 11, 21)
EVERY_DAY = {day: ["am", "pm", "eve"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def places(library):
    """The branch building (made by the setup) and a reading point."""
    branch = Location.get(Location.code == "HX01")
    point = Location.create(branch=library.branch, code="HX01-RP1", name="东街阅读点", kind="reading_point")
    return branch, point


def add_volunteer(ctx, name, **fields):
    values = dict(
        consent=True,
        status="active",
        availability=EVERY_DAY,
        skills=["storytelling", "shelving"],
        background_check_on=dt.date(2025, 6, 1),
    )
    values.update(fields)
    return register_volunteer(ctx, name=name, **values)


@pytest.fixture
def volunteer_login(library):
    """``volunteer_login(volunteer)``: a context signed in as that volunteer's own account."""
    made = {}

    def make(volunteer):
        from countylib.volunteers import update_volunteer

        if volunteer.id not in made:
            username = f"vol{len(made) + 1}"
            staff = create_staff(library, username, "password1", "volunteer", display_name=volunteer.name)
            update_volunteer(library, volunteer, staff_username=username)
            made[volunteer.id] = library.as_actor(Actor(staff.id, staff.username, staff.role, staff.display_name))
        return made[volunteer.id]

    return make
