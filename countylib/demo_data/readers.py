"""Readers (patrons) and the life of their cards.

Made in two passes to stay small in memory at 200,000 readers: first the few numbers
every reader needs (category, birth, registration, branch), sorted by registration so
card numbers run in the order cards were issued; then each full row, written at once.
Children are registered with a guardian who is already a reader.
"""

from __future__ import annotations

import datetime as dt
import random
from array import array
from dataclasses import dataclass, field

from countylib.demo_data.bulk import BulkLoad
from countylib.demo_data.people import People, id_number_hash
from countylib.demo_data.setup import Library
from countylib.demo_data.stamps import KeyColumn, Minter, Timeline, hm
from countylib.idnumbers import last_four, mask
from models import CardEvent, Patron

CATEGORIES = ("adult", "student", "child", "senior", "staff")
ADULT, STUDENT, CHILD, SENIOR, STAFF = range(5)
CATEGORY_WEIGHTS = (52, 14, 15, 15, 4)
AGES = {ADULT: (23, 59), STUDENT: (14, 22), CHILD: (3, 13), SENIOR: (60, 85), STAFF: (24, 58)}
VALIDITY_DAYS = 3 * 365  # Setting card_validity_years defaults to 3
RETURN_REASONS = ("moved", "too_far", "books_not_found", "few_new_books", "other_library")
ACTIVE, SUSPENDED, RETURNED = 0, 1, 2
STATUS_TEXT = ("active", "suspended", "returned")


@dataclass
class Readers:
    """What the loan history needs about every reader."""

    keys: KeyColumn = field(default_factory=KeyColumn)
    category: array = field(default_factory=lambda: array("b"))
    registered: array = field(default_factory=lambda: array("i"))
    born: array = field(default_factory=lambda: array("i"))
    until: array = field(default_factory=lambda: array("i"))  # first day they may no longer borrow
    home: array = field(default_factory=lambda: array("b"))  # 0 main library, 1 城关分馆
    status: array = field(default_factory=lambda: array("b"))
    young: array = field(default_factory=lambda: array("i"))  # children's pool, most active first
    grown: array = field(default_factory=lambda: array("i"))  # everyone else
    main_count: int = 0


def build_readers(load: BulkLoad, library: Library, timeline: Timeline, n: int, seed: int) -> Readers:
    rng = random.Random(f"{seed}:readers")
    people = People(random.Random(f"{seed}:reader-details"))
    mint = Minter(random.Random(f"{seed}:reader-keys"))
    today = timeline.today
    today_date = dt.date.fromordinal(today)
    earliest = today - 8 * 365  # the library card system's first year

    # Pass 1: the skeleton of every reader.
    cat = array("b")
    birth = array("i")
    reg = array("i")
    for _ in range(n):
        c = rng.choices(range(5), CATEGORY_WEIGHTS)[0]
        low, high = AGES[c]
        b = people.birth_date(today_date, low, high).toordinal()
        first = max(earliest, b + (3 if c == CHILD else 14) * 365)
        cat.append(c)
        birth.append(b)
        reg.append(rng.randint(min(first, today - 1), today - 1))
    order = sorted(range(n), key=lambda p: (reg[p], cat[p] == CHILD, p))
    position = array("i", [0]) * n
    for pos, p in enumerate(order):
        position[p] = pos

    # Guardians: a grown reader (20 to 45 years older) whose card came first.
    parents = [p for p in range(n) if cat[p] in (ADULT, STAFF)]
    guardian = array("i", [-1]) * n
    for p in range(n):
        if cat[p] != CHILD or not parents:
            continue
        for _attempt in range(40):
            g = parents[rng.randrange(len(parents))]
            if 20 * 365 <= birth[p] - birth[g] <= 45 * 365 and position[g] < position[p]:
                guardian[p] = g
                break
    is_guardian = bytearray(n)
    for p in range(n):
        if guardian[p] >= 0:
            is_guardian[guardian[p]] = 1

    patrons = load.sink(Patron, (
        "id", "card_number", "name", "name_pinyin", "name_initials", "gender", "id_type", "id_number", "id_number_hash",
        "id_number_masked", "id_last4", "birth_date", "phone", "address", "category", "home_branch_id", "status",
        "expiry_date", "deposit_cents", "notes", "consent_at", "pin_hash", "guardian_id", "guardian_name",
        "guardian_phone", "guardian_id_number", "registered_at", "updated_at",
    ))
    events = load.sink(CardEvent, (
        "id", "patron_id", "kind", "card_number", "old_card_number", "reason_code", "reason", "amount_cents", "at", "staff_id",
    ))
    readers = Readers()
    # Readers are numbered by position in card order from here on.
    family: dict[int, tuple[str, str, str, str, str]] = {}  # guardian → (id, name, phone, id number, surname)
    card_next = [1, 1]
    branch_ids = (library.main_branch, library.other_branch)
    codes = (library.main.code, library.branch.code)
    librarian = library.staff["librarian"]

    for pos, p in enumerate(order):
        c = cat[p]
        b_date = dt.date.fromordinal(birth[p])
        gender = "M" if rng.random() < 0.5 else "F"
        parent = family.get(guardian[p]) if guardian[p] >= 0 else None
        surname = parent[4] if parent and rng.random() < 0.85 else None
        name, full, initials = people.name(gender, b_date.year, surname)
        number = people.id_number(b_date, gender)
        phone = "" if c == CHILD else people.phone()
        address = people.address()
        home = 1 if rng.random() < 0.27 else 0
        code = codes[home]
        card = f"{code}{card_next[home]:05d}"
        card_next[home] += 1
        r = reg[p]
        reg_text, reg_ms = timeline.stamp(r, hm(rng.randint(9, 17), rng.randint(0, 59)))
        pid = readers.keys.append(mint.value(reg_ms))
        if is_guardian[p]:
            family[p] = (pid, name, phone, number, name[0])
        if c == CHILD and parent is None:  # a parent who has no card of their own
            parent_gender = "M" if rng.random() < 0.5 else "F"
            parent_birth = dt.date.fromordinal(birth[p] - rng.randint(23, 38) * 365)
            parent_name = (surname or name[0]) + people.given_name(parent_gender, parent_birth.year)
            parent = ("", parent_name, people.phone(), people.id_number(parent_birth, parent_gender), "")

        deposit = 0
        if dt.date.fromordinal(r).year < 2019 and rng.random() < 0.6:
            deposit = 5000 if c in (CHILD, STUDENT) else 10000
        # Cards run three years; most readers renew when they expire.
        expiry = r + VALIDITY_DAYS
        renewals = []
        while expiry < today and rng.random() < 0.8:
            renewals.append(expiry - rng.randint(0, 20))
            expiry += VALIDITY_DAYS
        status = ACTIVE
        until = expiry
        roll = rng.random()
        returned_on = 0
        if roll < 0.025 and today - r > 120:
            status = RETURNED
            returned_on = rng.randint(r + 60, today - 1)
            until = min(until, returned_on)
            renewals = [d for d in renewals if d < returned_on]
        elif roll < 0.035:
            status = SUSPENDED
        updated_text = reg_text
        staff = librarian
        events.add((mint(reg_ms), pid, "issued", card, "", "", "", deposit, reg_text, staff))
        for day in renewals:
            text, ms = timeline.stamp(day, hm(rng.randint(9, 17), rng.randint(0, 59)))
            events.add((mint(ms), pid, "renewed", card, "", "", "", 0, text, staff))
            updated_text = text
        if status == SUSPENDED:
            day = rng.randint(max(r, today - 200), today - 1)
            text, ms = timeline.stamp(day, hm(rng.randint(9, 17), rng.randint(0, 59)))
            events.add((mint(ms), pid, "suspended", card, "", "overdue", "多册图书逾期未还", 0, text, librarian))
            updated_text = max(updated_text, text)
        elif status == RETURNED:
            text, ms = timeline.stamp(returned_on, hm(rng.randint(9, 17), rng.randint(0, 59)))
            events.add((mint(ms), pid, "returned", card, "", rng.choice(RETURN_REASONS), "", deposit, text, librarian))
            updated_text = max(updated_text, text)
            deposit = 0

        patrons.add((
            pid, card, name, full, initials, gender, "resident_id", number, id_number_hash(number, library.hash_key),
            mask(number), last_four(number), b_date.isoformat(), phone, address, CATEGORIES[c], branch_ids[home],
            STATUS_TEXT[status], timeline.iso(expiry), deposit, "", reg_text, "",
            (parent[0] or None) if parent else None, parent[1] if parent else "", parent[2] if parent else "",
            parent[3] if parent else "", reg_text, updated_text,
        ))
        readers.category.append(c)
        readers.registered.append(r)
        readers.born.append(birth[p])
        readers.until.append(until if status != RETURNED else returned_on)
        readers.home.append(home)
        readers.status.append(status)
    readers.main_count = card_next[0] - 1

    # Who borrows most is not who registered first: activity order is a shuffle.
    activity = list(range(n))
    rng.shuffle(activity)
    readers.young = array("i", [p for p in activity if readers.category[p] == CHILD])
    readers.grown = array("i", [p for p in activity if readers.category[p] != CHILD])
    return readers
