"""Volunteers: how fast the roster, the picker, the desk and the year's ranking go.

    python bench/volunteers.py [--volunteers 300] [--places 6]

Builds a year of shifts (every place, every day, a morning and an afternoon shift), fills
most of them, records the hours, then prints one table: the week view, the picker's
candidate list for one shift, assigning, signing in and out at the desk, the annual ranking
and the hours sums, and the roster PDF.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.timing import row, timed_each  # noqa: E402
from countylib.clock import FixedClock  # noqa: E402
from countylib.library import initialize_library, open_db  # noqa: E402
from countylib.shifts import (  # noqa: E402
    assign_volunteer,
    candidates_for_shift,
    create_shift,
    create_shift_series,
    roster_sheet,
    week_roster,
)
from countylib.volunteer_hours import hours_by_month, hours_by_place, sign_in_or_out  # noqa: E402
from countylib.volunteer_recognition import annual_ranking  # noqa: E402
from countylib.volunteers import SKILLS, WEEKDAYS, register_volunteer  # noqa: E402
from models import Location, ShiftAssignment  # noqa: E402
from printing.volunteers import render_roster  # noqa: E402

YEAR_START = dt.date(2026, 1, 5)  # a Monday




def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--volunteers", type=int, default=300)
    parser.add_argument("--places", type=int, default=6)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        clock = FixedClock()
        ctx = initialize_library(
            open_db(Path(tmp) / "bench.db"),
            library_name="县图书馆",
            branch_code="HX01",
            branch_name="城关分馆",
            admin_user="admin",
            password="admin123",
            clock=clock,
        )
        with ctx.db.atomic():
            for n in range(1, args.places):
                Location.create(branch=ctx.branch, code=f"HX01-RP{n}", name=f"阅读点{n}", kind="reading_point")
            people = [
                register_volunteer(
                    ctx,
                    name=f"志愿者{n:04d}",
                    phone=f"138{n:08d}",
                    card_number=f"V{n:05d}",
                    consent=True,
                    status="active",
                    skills=rng.sample(sorted(SKILLS), 2),
                    availability={d: ["am", "pm"] for d in rng.sample(WEEKDAYS, 3)},
                    background_check_on=dt.date(2025, 1, 1) if n % 3 else None,
                )
                for n in range(args.volunteers)
            ]
        places = [loc.code for loc in Location.select()]
        start = time.perf_counter()
        with ctx.db.atomic():
            shifts = []
            for code in places:
                for weekday in range(7):
                    for starts, ends in (("09:00", "12:00"), ("14:00", "17:00")):
                        shifts += create_shift_series(
                            ctx, location=code, first_day=YEAR_START + dt.timedelta(days=weekday),
                            starts=starts, ends=ends, weeks=52, slots=2,
                        ).shifts
        series_ms = (time.perf_counter() - start) * 1000
        with ctx.db.atomic():
            # Fill the year as a busy branch would: two volunteers on most shifts, hours recorded.
            for shift in shifts:
                for volunteer in rng.sample(people, 2):
                    try:
                        a = assign_volunteer(ctx, shift, volunteer).assignment
                    except Exception:  # noqa: BLE001 - a double booking: the service refused, as it should
                        continue
                    if shift.day < clock.today():
                        a.status, a.minutes = ("attended", rng.randint(120, 200)) if rng.random() < 0.93 else ("no_show", 0)
                        a.save()
        assignments = ShiftAssignment.select().count()

        weeks = [YEAR_START + dt.timedelta(weeks=n) for n in range(0, 52, 2)]
        picks = rng.sample(shifts, 30)
        table = [
            row("create 52-week series (one call per series)", [series_ms / (len(places) * 14)]),
            row("week roster (places x days)", timed_each(lambda d: week_roster(ctx, d), weeks)),
            row("picker candidates for a shift", timed_each(lambda s: candidates_for_shift(ctx, s), picks)),
        ]
        today = clock.today()
        fresh = [create_shift(ctx, location=places[0], day=today, starts="18:00", ends="20:00", slots=40)]
        desk = rng.sample(people, 30)
        table.append(row("assign (with all checks)", timed_each(lambda v: assign_volunteer(ctx, fresh[0], v), desk)))
        table.append(row("desk scan: sign in", timed_each(lambda v: sign_in_or_out(ctx, v), desk)))
        clock.advance(hours=2)
        table.append(row("desk scan: sign out", timed_each(lambda v: sign_in_or_out(ctx, v), desk)))
        table.append(row("annual ranking", timed_each(lambda y: annual_ranking(ctx, y), [2026] * 5)))
        table.append(row("hours by month", timed_each(lambda y: hours_by_month(ctx, y), [2026] * 5)))
        table.append(
            row("hours by place", timed_each(lambda y: hours_by_place(ctx, dt.date(y, 1, 1), dt.date(y, 12, 31)), [2026] * 5))
        )
        sheets = [roster_sheet(ctx, week_roster(ctx, d)) for d in weeks[:5]]
        table.append(row("roster PDF (A4 landscape)", timed_each(lambda s: render_roster(s, BytesIO(), "zh_CN"), sheets)))

    print(f"{args.volunteers} volunteers, {len(places)} places, {len(shifts)} shifts, {assignments} assignments")
    print(f"{'operation':<46} {'p50 ms':>9} {'p99 ms':>9} {'n':>5}")
    for name, p50, p99, n in table:
        print(f"{name:<46} {p50:>9} {p99:>9} {n:>5}")


if __name__ == "__main__":
    main()
