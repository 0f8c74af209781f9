"""Two years of lending, day by day, and the holds waiting today.

A copy is never lent twice at once: each copy remembers the first day it is back on the
shelf, and a loan only takes a copy that is. Loans are written day by day in time order,
so their time-ordered keys arrive in key order. Copies still out today (a few per cent
of readers have some, a share of them overdue) are marked on loan, copies set aside for
a hold are on the hold shelf; every other copy's loans are all returned.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from itertools import accumulate

from countylib.demo_data import words
from countylib.demo_data.bulk import BulkLoad
from countylib.demo_data.catalogue import BRANCH, MAIN, POINT1, VAN, Collection
from countylib.demo_data.readers import ACTIVE, CATEGORIES, CHILD, Readers
from countylib.demo_data.setup import Library
from countylib.demo_data.stamps import Minter, Timeline, hm
from models import Hold, Loan

LOAN_DAYS, RENEWAL_DAYS = 30, 30
CHILD_LOAN_DAYS, CHILD_RENEWAL_DAYS = 20, 20
OPEN_READER_SHARE = 0.04  # readers with books at home today
NEVER = 1 << 30


@dataclass
class OpenLoan:
    item: int
    reader: int
    day: int


@dataclass
class History:
    open_loans: list[OpenLoan] = field(default_factory=list)
    loans: int = 0


def _weight(timeline: Timeline, day: int) -> float:
    """Busier at weekends and in the school holidays (July, August, around Spring Festival)."""
    weekday = timeline.weekday(day)
    month = int(timeline.iso(day)[5:7])
    w = (0.8, 0.9, 0.9, 0.9, 1.0, 1.6, 1.5)[weekday]
    if month in (7, 8):
        w *= 1.45
    elif month in (1, 2):
        w *= 1.2
    return w


class Lending:
    """Picks copies, readers and times for loans."""

    def __init__(self, rng: random.Random, library: Library, timeline: Timeline, collection: Collection, readers: Readers):
        self.rng = rng
        self.timeline = timeline
        self.c = collection
        self.r = readers
        self.closed = library.closed
        shares = [(letter, loan) for letter, _collection, loan in words.CLASS_SHARES if letter in collection.pools]
        self.letters = [letter for letter, _ in shares]
        self.cum = list(accumulate(share for _, share in shares))
        self.place_ids = [library.main.id, library.branch.id, library.reading_points[0].id, library.reading_points[1].id]
        self.stops_by_weekday: dict[int, list] = {}
        for stop in library.stops:
            self.stops_by_weekday.setdefault(stop.weekday, []).append(stop)
        self.stop_times = {stop.id: stop for stop in library.stops}
        self.librarian = library.staff["librarian"]
        self.admin = library.staff["admin"]
        self.volunteer = library.staff["volunteer"]

    def due(self, day: int) -> int:
        """Due dates that fall on a closed day move to the next open day."""
        while day in self.closed:
            day += 1
        return day

    def copy(self, day: int) -> tuple[int, int, str] | None:
        """(copy, place kind, location id) of a copy on the shelf that day, or None."""
        rng, c = self.rng, self.c
        total = self.cum[-1]
        for _attempt in range(15):
            pool = c.pools[self.letters[bisect.bisect(self.cum, rng.random() * total)]]
            i = pool[int(len(pool) * rng.random() ** 2)]
            if c.free_from[i] > day:
                continue
            place = c.item_place[i]
            if place >= POINT1 and day < c.item_sent[i]:
                place = MAIN  # lent from the main library before it went out
            if place == VAN:
                stops = self.stops_by_weekday.get(self.timeline.weekday(day))
                if not stops:
                    continue
                return i, place, rng.choice(stops).id
            return i, place, self.place_ids[place]
        return None

    def reader(self, day: int, child_book: bool) -> int | None:
        rng, r = self.rng, self.r
        pool = r.young if child_book and rng.random() < 0.75 and r.young else r.grown
        for _attempt in range(15):
            p = pool[int(len(pool) * rng.random() ** 1.3)]
            if r.registered[p] <= day < r.until[p]:
                return p
        return None

    def time_at(self, place: int, location: str) -> int:
        rng = self.rng
        if place == VAN:
            start = self.stop_times[location].time_of_day
            return hm(int(start[:2]), int(start[3:])) + rng.randint(0, 7200)
        return rng.randint(hm(9), hm(17, 30))

    def staff(self, place: int) -> str:
        if place >= POINT1:
            return self.volunteer
        return self.admin if self.rng.random() < 0.05 else self.librarian


def write_history(load: BulkLoad, library: Library, timeline: Timeline, collection: Collection, readers: Readers,
                  n_loans: int, seed: int) -> History:
    rng = random.Random(f"{seed}:loans")
    mint = Minter(random.Random(f"{seed}:loan-keys"))
    lend = Lending(rng, library, timeline, collection, readers)
    today, first = timeline.today, timeline.first
    loans = load.sink(Loan, ("id", "item_id", "patron_id", "location_id", "checked_out_at", "due_date", "renewals",
                             "checked_in_at", "checkin_location_id", "staff_id", "patron_category"))
    history = History()

    # Who has books at home today, and since when: most borrowed in the last month.
    can_borrow = [p for p in range(len(readers.keys)) if readers.status[p] == ACTIVE and readers.until[p] > today]
    holders = rng.sample(can_borrow, min(len(can_borrow), round(len(readers.keys) * OPEN_READER_SHARE)))
    still_out: dict[int, list[int]] = {}
    for p in holders:
        for _ in range(rng.choices((1, 2, 3, 4), (45, 30, 15, 10))[0]):
            back = rng.randint(1, 30) if rng.random() < 0.75 else rng.randint(31, 75)
            day = max(today - back, readers.registered[p])
            while day in lend.closed and day < today - 1:
                day += 1
            still_out.setdefault(day, []).append(p)
    n_open = sum(len(v) for v in still_out.values())

    open_days = [d for d in range(first, today) if d not in lend.closed]
    weights = list(accumulate(_weight(timeline, d) for d in open_days))
    target = max(0, n_loans - n_open)
    done = 0
    for k, day in enumerate(open_days):
        quota = round(weights[k] / weights[-1] * target) - done
        done += quota
        rows: list[tuple] = []
        for _ in range(quota):
            row = _returned_loan(lend, day, today)
            if row:
                rows.append(row)
        for p in still_out.get(day, ()):
            row = _open_loan(lend, day, today, p, history)
            if row:
                rows.append(row)
        rows.sort(key=lambda row: row[0])
        for row in rows:
            loans.add((mint(row[0]), *row[1:]))
        history.loans += len(rows)

    _mark_items(load, timeline, collection, history)
    return history


def _returned_loan(lend: Lending, day: int, today: int) -> tuple | None:
    rng, c, r = lend.rng, lend.c, lend.r
    picked = lend.copy(day)
    if picked is None:
        return None
    i, place, location = picked
    p = lend.reader(day, bool(c.item_children[i]))
    if p is None:
        return None
    child = r.category[p] == CHILD
    loan_days = CHILD_LOAN_DAYS if child else LOAN_DAYS
    renewal_days = CHILD_RENEWAL_DAYS if child else RENEWAL_DAYS
    roll = rng.random()
    if roll < 0.08:
        kept = rng.randint(0, 2)
    elif roll < 0.75:
        kept = rng.randint(3, loan_days)
    elif roll < 0.88:
        kept = rng.randint(loan_days + 1, loan_days + renewal_days)
    else:
        kept = rng.randint(loan_days + 1, loan_days + 45)  # came back late
    back = day + kept
    if back >= today:
        back = rng.randint(day, today - 1)
    while back in lend.closed and back > day:
        back -= 1
    # Kept past the loan period: renewed (the middle band) or simply returned late.
    renewals = 1 if 0.75 <= roll < 0.88 and back - day > loan_days else 0
    due = lend.due(day + loan_days + (renewal_days if renewals else 0))
    out_time = lend.time_at(place, location)
    out_text, out_ms = lend.timeline.stamp(day, out_time)
    if back == day:
        in_time = min(out_time + rng.randint(600, 7200), hm(23, 0))
    else:
        in_time = rng.randint(hm(9), hm(17, 45))
    in_text, _ = lend.timeline.stamp(back, in_time)
    c.free_from[i] = back + 1
    returned_at = location if rng.random() < 0.85 or place <= BRANCH else lend.place_ids[MAIN]
    return (out_ms, c.item_keys[i], r.keys[p], location, out_text, lend.timeline.iso(due), renewals, in_text, returned_at,
            lend.staff(place), CATEGORIES[r.category[p]])


def _open_loan(lend: Lending, day: int, today: int, p: int, history: History) -> tuple | None:
    rng, c, r = lend.rng, lend.c, lend.r
    picked = lend.copy(day)
    if picked is None:
        return None
    i, place, location = picked
    child = r.category[p] == CHILD
    loan_days = CHILD_LOAN_DAYS if child else LOAN_DAYS
    renewal_days = CHILD_RENEWAL_DAYS if child else RENEWAL_DAYS
    renewals = 1 if today - day > loan_days - 5 and rng.random() < 0.5 else 0
    due = lend.due(day + loan_days + (renewal_days if renewals else 0))
    out_text, out_ms = lend.timeline.stamp(day, lend.time_at(place, location))
    c.free_from[i] = NEVER
    history.open_loans.append(OpenLoan(i, p, day))
    return (out_ms, c.item_keys[i], r.keys[p], location, out_text, lend.timeline.iso(due), renewals, None, None,
            lend.staff(place), CATEGORIES[r.category[p]])


def _mark_items(load: BulkLoad, timeline: Timeline, collection: Collection, history: History) -> None:
    rows = []
    for loan in history.open_loans:
        text, _ = timeline.stamp(loan.day, hm(17, 50))
        rows.append((text, collection.item_keys[loan.item]))
    load.flush_all()
    load.update("UPDATE item SET status = 'on_loan', updated_at = ? WHERE id = ?", rows)


def write_holds(load: BulkLoad, library: Library, timeline: Timeline, collection: Collection, readers: Readers,
                history: History, seed: int) -> None:
    rng = random.Random(f"{seed}:holds")
    mint = Minter(random.Random(f"{seed}:hold-keys"))
    today, first = timeline.today, timeline.first
    c, r = collection, readers
    holds = load.sink(Hold, ("id", "patron_id", "bib_id", "item_id", "pickup_location_id", "status", "placed_at",
                             "ready_at", "expires_on", "closed_at"))
    pickup = (library.main.id, library.branch.id)
    n = len(r.keys)

    def someone(day: int) -> int | None:
        for _attempt in range(20):
            p = r.grown[int(len(r.grown) * rng.random() ** 1.3)]
            if r.registered[p] <= day < r.until[p] and r.status[p] == ACTIVE:
                return p
        return None

    def at(day: int) -> tuple[str, int]:
        return timeline.stamp(day, rng.randint(hm(9), hm(17, 30)))

    rows = []
    # Waiting: someone wants a book that is out.
    for loan in rng.sample(history.open_loans, min(len(history.open_loans), max(3, n // 250))):
        day = rng.randint(max(loan.day, today - 20), today - 1)
        p = someone(day)
        if p is None or p == loan.reader:
            continue
        placed, ms = at(day)
        rows.append((ms, r.keys[p], c.bib_keys[c.item_bib[loan.item]], None, pickup[r.home[p]], "waiting", placed, None, None, None))
    # Ready: a copy on the hold shelf at the desk where it stands.
    on_shelf = []
    taken: set[int] = set()
    shelved = [i for letter in sorted(c.pools) for i in c.pools[letter][:5000]]
    for _attempt in range(max(2, n // 300) * 5):
        if len(on_shelf) >= max(2, n // 300) or not shelved:
            break
        i = shelved[rng.randrange(len(shelved))]
        if i in taken or c.free_from[i] > today - 1 or c.item_place[i] > BRANCH:
            continue
        ready_day = rng.randint(max(c.free_from[i], today - 6), today - 1)
        p = someone(ready_day - 3)
        if p is None:
            continue
        taken.add(i)
        placed, ms = at(ready_day - rng.randint(1, 10))
        ready, _ = at(ready_day)
        expires = ready_day + 7
        while expires in library.closed:
            expires += 1
        c.free_from[i] = NEVER
        on_shelf.append((ready, c.item_keys[i]))
        rows.append((ms, r.keys[p], c.bib_keys[c.item_bib[i]], c.item_keys[i], pickup[c.item_place[i]], "ready", placed,
                     ready, timeline.iso(expires), None))
    # Closed holds of the last two years.
    letters = sorted(c.pools)
    for _ in range(max(5, n // 50)):
        pool = c.pools[rng.choice(letters)]
        i = pool[int(len(pool) * rng.random() ** 2)]
        day = rng.randint(first, today - 30)
        p = someone(day)
        if p is None:
            continue
        placed, ms = at(day)
        closed, _ = at(day + rng.randint(2, 20))
        outcome = rng.choices(("filled", "cancelled", "expired"), (60, 25, 15))[0]
        rows.append((ms, r.keys[p], c.bib_keys[c.item_bib[i]], c.item_keys[i] if outcome == "filled" else None,
                     pickup[r.home[p]], outcome, placed, closed if outcome != "cancelled" else None, None, closed))
    rows.sort(key=lambda row: row[0])
    for row in rows:
        holds.add((mint(row[0]), *row[1:]))
    load.flush_all()
    load.update("UPDATE item SET status = 'on_hold_shelf', updated_at = ? WHERE id = ?", on_shelf)
