"""The library beyond lending: gifts of books, volunteers and their shifts, activities
with registrations and attendance, and the daily visitor counts."""

from __future__ import annotations

import datetime as dt
import json
import random

from countylib.demo_data import words
from countylib.demo_data.bulk import BulkLoad
from countylib.demo_data.catalogue import Collection
from countylib.demo_data.people import People, id_number_hash
from countylib.demo_data.readers import Readers
from countylib.demo_data.setup import Library
from countylib.demo_data.stamps import Minter, Timeline, hm
from countylib.idnumbers import mask
from countylib.patrons import age_on
from models import (
    Attendance,
    Donation,
    DonationLine,
    Donor,
    Event,
    Registration,
    Shift,
    ShiftAssignment,
    VisitCount,
    Volunteer,
)

CHILD_AGES = (3, 8)  # children's activities are for these ages
OTHER_GIFTS = ("小学数学练习册", "《读者》合订本", "《故事会》合订本", "高考复习资料", "旧版英语词典", "《电脑报》合订本", "初中语文教辅")


def write_donations(load: BulkLoad, library: Library, timeline: Timeline, collection: Collection, n_donors: int, seed: int) -> None:
    rng = random.Random(f"{seed}:donations")
    mint = Minter(random.Random(f"{seed}:donation-keys"))
    people = People(random.Random(f"{seed}:donors"))
    donors = load.sink(Donor, ("id", "name", "kind", "phone", "address", "anonymous", "notes", "created_at"))
    donations = load.sink(Donation, ("id", "donor_id", "branch_id", "received_on", "how_received", "notes", "staff_id"))
    lines = load.sink(DonationLine, ("id", "donation_id", "isbn", "title", "bib_id", "item_id", "decision", "reason",
                                     "forward_to_id", "estimated_value_cents"))
    today, first = timeline.today, timeline.first

    # Gifts: the donated copies that arrived in the last two years, in arrival order,
    # grouped into the donations they came with.
    gifts = sorted(collection.donated, key=lambda g: (g[1], g[0]))
    groups: list[list[tuple[int, int]]] = []
    k = 0
    while k < len(gifts):
        size = rng.choice((1, 1, 2, 3, 5, 8, 12, 20))
        groups.append(gifts[k : k + size])
        k += size
    # Recent gifts still being sorted: no copies yet.
    for _ in range(max(2, n_donors // 15)):
        groups.append([(-1, rng.randint(today - 12, today - 1))])

    n_donors = max(3, min(n_donors, len(groups)))
    donor_rows = []
    for d in range(n_donors):
        roll = rng.random()
        if roll < 0.1:
            donor_rows.append(("匿名捐赠者", "person", "", "", 1))
        elif roll < 0.32:
            donor_rows.append((rng.choice(words.ORG_DONORS), "organisation", f"0917-{rng.randint(8200000, 8299999)}", "", 0))
        else:
            gender = "M" if rng.random() < 0.55 else "F"
            name, _full, _initials = people.name(gender, rng.randint(1945, 2000))
            donor_rows.append((name, "person", people.phone(), people.address(), 0))
    donor_ids: list[str | None] = [None] * n_donors
    for gift_group in groups:
        d = int(n_donors * rng.random() ** 1.5)  # some give again and again
        arrival = gift_group[0][1]
        received = max(first - 10, arrival - rng.randint(1, 10)) if gift_group[0][0] >= 0 else arrival
        stamp, ms = timeline.stamp(received, hm(rng.randint(9, 16), rng.randint(0, 59)))
        if donor_ids[d] is None:
            donor_ids[d] = mint(ms)
            name, kind, phone, address, anonymous = donor_rows[d]
            donors.add((donor_ids[d], name, kind, phone, address, anonymous, "", stamp))
        donation = mint(ms)
        branch = library.other_branch if rng.random() < 0.2 else library.main_branch
        donations.add((donation, donor_ids[d], branch, timeline.iso(received), rng.choice(("in_person", "in_person", "post", "drop_box")),
                       rng.choice(words.DONATION_NOTES), library.staff["librarian"]))
        for i, _arrival in gift_group:
            if i >= 0:
                lines.add((mint(ms), donation, "", "", collection.bib_keys[collection.item_bib[i]], collection.item_keys[i],
                           "accessioned", "", None, rng.choice(words.PRICES_NEW)))
            else:
                lines.add((mint(ms), donation, "", rng.choice(OTHER_GIFTS), None, None, "pending", "", None, 0))
        # Most gifts include something the library does not keep.
        for _ in range(rng.choice((0, 0, 1, 2, 4))):
            if rng.random() < 0.5:
                place = rng.choice(library.reading_points)
                lines.add((mint(ms), donation, "", rng.choice(OTHER_GIFTS), None, None, "forwarded", "复本已足，转赠阅读点",
                           place.id, rng.choice(words.PRICES_OLD)))
            else:
                lines.add((mint(ms), donation, "", rng.choice(OTHER_GIFTS), None, None, "declined",
                           rng.choice(words.DECLINE_REASONS), None, 0))
    load.flush_all()
    load.conn.execute("BEGIN")
    load.conn.execute(
        "UPDATE donation_line SET title = (SELECT title FROM bib WHERE bib.id = donation_line.bib_id),"
        " isbn = (SELECT isbn FROM bib WHERE bib.id = donation_line.bib_id) WHERE bib_id IS NOT NULL"
    )
    load.conn.execute("COMMIT")


def write_volunteers(load: BulkLoad, library: Library, timeline: Timeline, readers: Readers, n_volunteers: int, seed: int) -> None:
    rng = random.Random(f"{seed}:volunteers")
    mint = Minter(random.Random(f"{seed}:volunteer-keys"))
    people = People(random.Random(f"{seed}:volunteer-people"))
    today = timeline.today
    load.flush_all()
    volunteers = load.sink(Volunteer, (
        "id", "name", "name_pinyin", "name_initials", "phone", "card_number", "id_number_hash", "id_number_masked",
        "patron_id", "skills", "availability", "emergency_contact", "background_check_on", "status", "consent_at",
        "created_at", "staff_id", "notes", "updated_at",
    ))
    roster = []  # (id, skills, availability, status)
    weekdays = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    for v in range(n_volunteers):
        day = rng.randint(today - 900, today - 20)
        stamp, ms = timeline.stamp(day, hm(rng.randint(9, 16), rng.randint(0, 59)))
        vid = mint(ms)
        patron = None
        if v == 0:  # the demo's volunteer account belongs to a volunteer on the roster
            name, full, initials = "张晓雨", *people.pinyin.name("张", "晓雨")
            number = people.id_number(dt.date(1998, 5, 14), "F")
            phone = people.phone()
        elif rng.random() < 0.35 and readers.grown:
            p = readers.grown[rng.randrange(len(readers.grown))]
            patron = readers.keys[p]
            name, full, initials, phone, number = load.conn.execute(
                "SELECT name, name_pinyin, name_initials, phone, id_number FROM patron WHERE id = ?", (patron,)
            ).fetchone()
        else:
            gender = "M" if rng.random() < 0.4 else "F"
            born = rng.randint(1955, 2006)
            name, full, initials = people.name(gender, born)
            number = people.id_number(dt.date(born, rng.randint(1, 12), rng.randint(1, 28)), gender)
            phone = people.phone()
        skills = sorted(rng.sample(words.VOLUNTEER_SKILLS, rng.choice((1, 1, 2, 2, 3))))
        if v == 0:
            skills = ["desk", "shelving", "storytelling"]
        days = sorted(rng.sample(range(7), rng.choice((1, 2, 2, 3))), key=int)
        if v == 0:
            days = [5, 6]
        availability = {weekdays[d]: sorted(rng.sample(("am", "pm"), rng.choice((1, 2)))) for d in days}
        status = "active" if v == 0 else rng.choices(("active", "paused", "left", "applicant"), (70, 10, 8, 12))[0]
        checked = timeline.iso(rng.randint(day, today - 1)) if "storytelling" in skills and status != "applicant" else None
        emergency = f"{people.surname()}{people.given_name('M', 1970)} {people.phone()}"
        volunteers.add((vid, name, full, initials, phone, f"{library.main.code}V{v + 1:04d}", id_number_hash(number, library.hash_key),
                        mask(number), patron, _json(skills), _json(availability), emergency, checked, status, stamp, stamp,
                        library.staff["volunteer"] if v == 0 else None, "", stamp))
        roster.append((vid, skills, availability, status))
    _write_shifts(load, library, timeline, roster, max(1, n_volunteers // 25), rng, mint)


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


SHIFT_PLAN = (  # weekday, place, role, start, end, slots, background check needed
    (5, "main", "shelving", (9, 0), (12, 0), 3, False),
    (5, "main", "storytelling", (9, 30), (11, 30), 2, True),
    (5, "main", "desk", (14, 0), (17, 0), 2, False),
    (6, "main", "shelving", (9, 0), (12, 0), 2, False),
    (6, "main", "desk", (14, 0), (17, 0), 2, False),
    (2, "main", "computer_help", (14, 30), (17, 0), 1, False),
    (1, "van", "reading_support", (9, 0), (16, 0), 1, False),
    (3, "van", "reading_support", (9, 0), (16, 0), 1, False),
    (4, "branch", "shelving", (14, 0), (17, 0), 2, False),
)


def _write_shifts(load, library, timeline, roster, scale, rng, mint) -> None:
    shifts = load.sink(Shift, ("id", "location_id", "day", "starts", "ends", "role", "slots", "needs_background_check",
                               "series_id", "cancelled", "cancel_reason", "created_at"))
    assignments = load.sink(ShiftAssignment, ("id", "shift_id", "volunteer_id", "status", "signed_in_at", "signed_out_at",
                                              "minutes", "rating", "comment", "correction_reason", "assigned_at",
                                              "status_reason", "replaced_by_id"))
    places = {"main": library.main.id, "van": library.van.id, "branch": library.branch.id}
    today = timeline.today
    first = today - 8 * 7
    start_text, start_ms = timeline.stamp(first - 21, hm(10))
    series = [mint(start_ms) for _ in SHIFT_PLAN]
    weekdays = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    active = [v for v in roster if v[3] == "active"]
    busy: dict[tuple[str, int], list[tuple[tuple[int, int], tuple[int, int]]]] = {}  # (volunteer, day) → times
    for day in range(first, today + 15):
        if day in library.closed:
            continue
        weekday = timeline.weekday(day)
        for k, (wd, place, role, (h1, m1), (h2, m2), slots, check) in enumerate(SHIFT_PLAN):
            if wd != weekday:
                continue
            slots *= scale
            made, made_ms = timeline.stamp(day - 14, hm(10))
            shift = mint(made_ms)
            cancelled = rng.random() < 0.03
            shifts.add((shift, places[place], timeline.iso(day), f"{h1:02d}:{m1:02d}:00", f"{h2:02d}:{m2:02d}:00", role, slots,
                        int(check), series[k], int(cancelled), "天气原因，暂停一次" if cancelled else "", made))
            if cancelled:
                continue
            part = "am" if h1 < 12 else "pm"
            # Nobody is put on two shifts at once: the app refuses that when staff assign.
            free = [v for v in active if not any(s < (h2, m2) and (h1, m1) < e for s, e in busy.get((v[0], day), ()))]
            fits = [v for v in free if part in v[2].get(weekdays[weekday], ()) and role in v[1]]
            fits = fits or [v for v in free if role in v[1]]
            for v in rng.sample(fits, min(slots, len(fits))):
                busy.setdefault((v[0], day), []).append(((h1, m1), (h2, m2)))
                assigned, _ = timeline.stamp(day - rng.randint(3, 13), hm(rng.randint(9, 20)))
                if day >= today:
                    assignments.add((mint(made_ms), shift, v[0], "assigned", None, None, 0, None, "", "", assigned, "", None))
                    continue
                outcome = rng.choices(("attended", "no_show", "cancelled"), (85, 7, 8))[0]
                if outcome == "attended":
                    begin = hm(h1, m1) + rng.randint(-600, 600)
                    end = hm(h2, m2) + rng.randint(-600, 900)
                    signed_in, _ = timeline.stamp(day, begin)
                    signed_out, _ = timeline.stamp(day, end)
                    rating = rng.choice((None, None, 4, 5, 5))
                    assignments.add((mint(made_ms), shift, v[0], "attended", signed_in, signed_out, (end - begin) // 60, rating,
                                     "", "", assigned, "", None))
                else:
                    reason = "临时有事请假" if outcome == "cancelled" else ""
                    assignments.add((mint(made_ms), shift, v[0], outcome, None, None, 0, None, "", "", assigned, reason, None))


def write_events(load: BulkLoad, library: Library, timeline: Timeline, readers: Readers, per_week: float, seed: int) -> None:
    rng = random.Random(f"{seed}:events")
    mint = Minter(random.Random(f"{seed}:event-keys"))
    people = People(random.Random(f"{seed}:event-people"))
    events = load.sink(Event, ("id", "title", "kind", "location_id", "room", "starts_at", "ends_at", "capacity", "min_age",
                               "max_age", "guardian_required", "registration_opens", "registration_closes", "organiser",
                               "description", "series_id", "status", "summary"))
    registrations = load.sink(Registration, ("id", "event_id", "patron_id", "walk_in_name", "walk_in_phone", "stated_age",
                                             "guardian_name", "at_door", "status", "registered_at"))
    attendance = load.sink(Attendance, ("id", "event_id", "registration_id", "patron_id", "name", "checked_in_at", "late"))
    today, first = timeline.today, timeline.first
    kinds = [k for k, _ in words.EVENT_MIX]
    kind_weights = [w for _, w in words.EVENT_MIX]
    monday = first - timeline.weekday(first)
    carry = 0.0
    for week in range(monday, today + 28, 7):
        carry += per_week
        count, carry = int(carry), carry - int(carry)
        for _ in range(count):
            kind = rng.choices(kinds, kind_weights)[0]
            spec = words.EVENT_KINDS[kind]
            day = week + (rng.choice((5, 6)) if spec["weekend"] else rng.randint(1, 4))
            if day in library.closed or day < first:
                continue
            branch = rng.random() < 0.2
            place = library.branch if branch else library.main
            h1, h2 = spec["hours"]
            starts, start_ms = timeline.stamp(day, hm(h1))
            last_day = day + 13 if kind == "exhibition" else day
            ends, _ = timeline.stamp(last_day, hm(h2))
            low, high = spec["capacity"]
            capacity = rng.randint(low, high) if high else 0
            title = rng.choice(spec["titles"]).format(topic=rng.choice(spec["topics"]))
            opens = closes = None
            if capacity:
                opens, _ = timeline.stamp(day - 10, hm(9))
                closes, _ = timeline.stamp(day - 1, hm(17))
            past = last_day < today
            cancelled = rng.random() < 0.04
            status = "cancelled" if cancelled else "finished" if past else "planned"
            child = kind == "children"
            event = mint(start_ms - 12 * 86_400_000)
            came = 0
            if capacity and not cancelled:
                wanted = int(capacity * rng.uniform(0.5, 1.15))
                pool = readers.grown
                if child:  # as the app checks it: the reader's age on the day of the event
                    on = dt.date.fromordinal(day)
                    pool = [p for p in readers.young
                            if CHILD_AGES[0] <= age_on(dt.date.fromordinal(readers.born[p]), on) <= CHILD_AGES[1]]
                down: set[int] = set()  # a reader registers once for an event
                for k in range(wanted):
                    reg_day = rng.randint(day - 10, day - 1)
                    reg_text, reg_ms = timeline.stamp(reg_day, hm(rng.randint(8, 21), rng.randint(0, 59)))
                    p = pool[rng.randrange(len(pool))] if rng.random() < 0.85 and pool else None
                    if p is not None and (readers.registered[p] > reg_day or p in down):
                        p = None
                    if p is not None:
                        down.add(p)
                    walk_in, phone, age = ("", "", None)
                    if p is None:
                        gender = "M" if rng.random() < 0.5 else "F"
                        walk_in = people.name(gender, 2018 if child else rng.randint(1950, 2004))[0]
                        phone = people.phone()
                        age = rng.randint(*CHILD_AGES) if child else None
                    guardian = people.name("F", 1988)[0] if child and p is None else ""
                    state = "registered" if k < capacity else "waitlisted"
                    if past:
                        state = "cancelled" if state == "waitlisted" else rng.choices(("attended", "no_show", "cancelled"), (80, 15, 5))[0]
                    registration = mint(reg_ms)
                    registrations.add((registration, event, readers.keys[p] if p is not None else None, walk_in, phone, age,
                                       guardian, 0, state, reg_text))
                    if state == "attended":
                        came += 1
                        late = rng.random() < 0.1
                        seen, seen_ms = timeline.stamp(day, hm(h1) + rng.randint(-900, -60) + (1200 if late else 0))
                        attendance.add((mint(seen_ms), event, registration, readers.keys[p] if p is not None else None,
                                        walk_in, seen, int(late)))
            if past and not cancelled and kind in ("lecture", "exhibition"):
                for _ in range(rng.randint(5, 40)):
                    on = rng.randint(day, last_day)
                    seen, seen_ms = timeline.stamp(on, hm(h1) + rng.randint(0, 3600))
                    name = people.name("M" if rng.random() < 0.5 else "F", rng.randint(1950, 2010))[0]
                    attendance.add((mint(seen_ms), event, None, None, name, seen, 0))
                    came += 1
            organiser = rng.choice(words.ORGANISERS)
            summary = f"到场{came}人" if past and not cancelled else ""
            events.add((event, title, "children" if child else kind, place.id, spec["room"], starts, ends, capacity,
                        CHILD_AGES[0] if child else None, CHILD_AGES[1] if child else None, int(child), opens, closes, organiser,
                        f"{organiser}主办。", None, status, summary))
    load.flush_all()
    conn = load.conn
    conn.execute("BEGIN")
    # Names and guardians of readers are on their cards; copy them where the lists show them.
    conn.execute("UPDATE attendance SET name = (SELECT name FROM patron WHERE patron.id = attendance.patron_id) WHERE patron_id IS NOT NULL")
    conn.execute(
        "UPDATE registration SET guardian_name = (SELECT guardian_name FROM patron WHERE patron.id = registration.patron_id)"
        " WHERE patron_id IS NOT NULL AND event_id IN (SELECT id FROM event WHERE kind = 'children')"
    )
    conn.execute("COMMIT")


def write_visits(load: BulkLoad, library: Library, timeline: Timeline, scale: float, seed: int) -> None:
    rng = random.Random(f"{seed}:visits")
    mint = Minter(random.Random(f"{seed}:visit-keys"))
    visits = load.sink(VisitCount, ("id", "location_id", "day", "hour", "count", "source"))
    base = [(library.main, 350, 650, "gate"), (library.branch, 150, 280, "gate")]
    base += [(point, 25, 45, "manual") for point in library.reading_points]
    for day in range(timeline.first, timeline.today):
        if day in library.closed:
            continue
        weekday = timeline.weekday(day)
        month = int(timeline.iso(day)[5:7])
        season = 1.4 if month in (7, 8) else 1.15 if month in (1, 2) else 1.0
        text, ms = timeline.stamp(day, hm(21))
        for place, weekday_count, weekend_count, source in base:
            mean = (weekend_count if weekday >= 5 else weekday_count) * season * scale
            visits.add((mint(ms), place.id, timeline.iso(day), None, max(0, int(rng.gauss(mean, mean * 0.15))), source))
        for stop in library.stops:
            if stop.weekday == weekday:
                visits.add((mint(ms), stop.id, timeline.iso(day), None, rng.randint(40, 120), "manual"))
