"""Bibliographic records and copies: titles per CLC class, valid ISBNs, call numbers,
barcodes, where each copy stands (deposit collections at reading points and on the van).

Records early in the sequence are the popular ones: they get more copies, and the loan
history picks them more often, as a real collection's circulation is skewed.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import re
from array import array
from dataclasses import dataclass, field
from itertools import accumulate

from pypinyin import lazy_pinyin

from countylib.demo_data import words
from countylib.demo_data.bulk import BulkLoad
from countylib.demo_data.people import People
from countylib.demo_data.setup import Library
from countylib.demo_data.stamps import KeyColumn, Minter, Timeline, hm
from models import Bib, DepositCollection, DepositLine, Item

# Item statuses as small codes while generating.
AVAILABLE, LOST, DAMAGED, WITHDRAWN, IN_TRANSIT = 0, 1, 2, 3, 4
STATUS_TEXT = ("available", "lost", "damaged", "withdrawn", "in_transit")

# Place codes of a copy (an index into Library.places order: main, branch, points, van).
MAIN, BRANCH, POINT1, POINT2, VAN = 0, 1, 2, 3, 4

PUBLISHERS_BY_CLASS = {
    "I": ("人民文学出版社", "作家出版社", "北京十月文艺出版社", "长江文艺出版社", "太白文艺出版社", "上海文艺出版社"),
    "K": ("中华书局", "人民出版社", "生活·读书·新知三联书店", "上海古籍出版社", "陕西人民出版社", "中国社会科学出版社"),
    "T": ("机械工业出版社", "人民邮电出版社", "清华大学出版社", "电子工业出版社", "化学工业出版社", "金盾出版社"),
    "G": ("高等教育出版社", "北京大学出版社", "中信出版社", "天津人民出版社", "广西师范大学出版社"),
    "D": ("法律出版社", "中国法制出版社", "人民出版社"),
    "R": ("人民卫生出版社", "化学工业出版社", "金盾出版社"),
    "S": ("中国农业出版社", "金盾出版社", "化学工业出版社"),
    "F": ("中信出版社", "机械工业出版社", "中国人民大学出版社"),
    "B": ("中华书局", "商务印书馆", "中信出版社", "北京大学出版社"),
    "H": ("商务印书馆", "外语教学与研究出版社", "北京大学出版社"),
    "A": ("人民出版社",),
}
_ISBN_PREFIX = {name: prefix for name, prefix in (*words.PUBLISHERS_GENERAL, *words.PUBLISHERS_CHILDREN, *words.PUBLISHERS_OTHER)}
_ISBN_PREFIX.setdefault("外语教学与研究出版社", "5135")
_SLOT = re.compile(r"\{(\w+)\}")


def isbn13(body12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


class Isbns:
    """Unique ISBN-13s per publisher: title numbers walk the publisher's range in a
    seeded order, so no number repeats and nothing has to be remembered. A publisher
    whose range is used up (a 4-digit prefix holds 10,000 titles) hands the book to the
    largest publisher of the general list, as a record from another house."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._state: dict[str, list[int]] = {}
        self._roomy = sorted((name for name, _ in words.PUBLISHERS_GENERAL), key=lambda n: len(_ISBN_PREFIX[n]))

    def next(self, publisher: str) -> tuple[str, str]:
        """(publisher, ISBN): the publisher changes only when its range is used up."""
        for candidate in (publisher, *self._roomy):
            isbn = self._take(candidate)
            if isbn:
                return candidate, isbn
        raise OverflowError("every publisher's ISBN range is used up")

    def _take(self, publisher: str) -> str:
        prefix = "9787" + _ISBN_PREFIX[publisher]
        digits = 12 - len(prefix)
        space = 10**digits
        state = self._state.get(publisher)
        if state is None:
            stride = self.rng.choice((7919, 104729, 1299709, 15485863)) % space or 1
            while stride % 2 == 0 or stride % 5 == 0:
                stride += 1
            state = self._state[publisher] = [self.rng.randrange(space), stride, 0]
        start, stride, used = state
        if used >= space:
            return ""
        state[2] += 1
        return isbn13(f"{prefix}{(start + used * stride) % space:0{digits}d}")


class PinyinPieces:
    """Pinyin of titles and authors, worked out per vocabulary piece and cached; the text
    has the shape ``countylib.cataloguing`` gives Bib.pinyin: 'hongloumeng hlm caoxueqin cxq'."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, str]] = {}

    def words(self, text: str) -> tuple[str, str]:
        found = self._cache.get(text)
        if found is None:
            syllables = [s.lower() for s in lazy_pinyin(text, errors=lambda chunk: re.findall(r"[A-Za-z0-9]+", chunk))]
            found = self._cache[text] = ("".join(syllables), "".join(s[0] for s in syllables if s))
        return found

    def join(self, pieces: list[str]) -> tuple[str, str]:
        full, initials = [], []
        for piece in pieces:
            f, i = self.words(piece)
            full.append(f)
            initials.append(i)
        return "".join(full), "".join(initials)

    @staticmethod
    def text(title: tuple[str, str], author: tuple[str, str]) -> str:
        return " ".join(w for w in (*title, *author) if w)


@dataclass
class Collection:
    """What the circulation history needs to know about every copy."""

    bib_keys: KeyColumn = field(default_factory=KeyColumn)
    item_keys: KeyColumn = field(default_factory=KeyColumn)
    item_bib: array = field(default_factory=lambda: array("i"))
    item_place: array = field(default_factory=lambda: array("b"))
    item_sent: array = field(default_factory=lambda: array("i"))  # day it reached its point or van
    item_children: array = field(default_factory=lambda: array("b"))
    item_status: array = field(default_factory=lambda: array("b"))
    free_from: array = field(default_factory=lambda: array("i"))  # first day it may be lent
    pools: dict[str, array] = field(default_factory=dict)  # loanable copies per class letter, popular first
    donated: list[tuple[int, int]] = field(default_factory=list)  # (item, accession day) given in the history


def _cumulative(pairs) -> tuple[list, list[float]]:
    values = [v for v, _ in pairs]
    return values, list(accumulate(w for _, w in pairs))


def _pick(rng: random.Random, table: tuple[list, list[float]]):
    values, cum = table
    return values[bisect.bisect(cum, rng.random() * cum[-1])]


class TitleMaker:
    def __init__(self, rng: random.Random, people: People, pinyin: PinyinPieces, n_authors: int) -> None:
        self.rng = rng
        self.pinyin = pinyin
        self.templates = {
            letter: [([p for p in _SLOT.split(template) if p], classes) for template, classes in templates]
            for letter, templates in words.TITLE_TEMPLATES.items()
        }
        # Authors recur: a county collection holds several books by most of its authors.
        self.authors = []
        for _ in range(n_authors):
            gender = "M" if rng.random() < 0.6 else "F"
            name, full, initials = people.name(gender, rng.randint(1940, 1995))
            self.authors.append((name, (full, initials)))

    def title(self, letter: str) -> tuple[str, tuple[str, str], str]:
        """(title, its pinyin keys, class number). A template's own class number wins when it
        is specific; a bare class letter takes the number a slot value carries."""
        rng = self.rng
        template, classes = rng.choice(self.templates[letter])
        clc = rng.choice(classes)
        pieces = []
        for part in template:
            values = words.TITLE_SLOTS.get(part)
            if values is None:
                pieces.append(part)
                continue
            text, _, own_class = rng.choice(values).partition("|")
            pieces.append(text)
            if own_class and not any(ch.isdigit() for ch in clc):
                clc = own_class
        if rng.random() < 0.06:
            pieces.append(rng.choice(("（第2版）", "（修订版）", "（上）", "（下）", "（插图本）")))
        return "".join(pieces), self.pinyin.join(pieces), clc

    def author(self, letter: str) -> tuple[str, tuple[str, str]]:
        rng = self.rng
        name, keys = self.authors[int(len(self.authors) * rng.random() ** 1.6)]
        if letter in "GHZDFSRT":
            suffix = rng.choice(words.EDITOR_SUFFIX)
            if suffix:
                return name + suffix, self.pinyin.join([name, suffix])
        return name, keys


def build_collection(
    load: BulkLoad, library: Library, timeline: Timeline, n_bibs: int, n_items: int, seed: int
) -> Collection:
    rng = random.Random(f"{seed}:catalogue")
    mint = Minter(random.Random(f"{seed}:catalogue-keys"))
    people = People(random.Random(f"{seed}:authors"))
    pinyin = PinyinPieces()
    titles = TitleMaker(rng, people, pinyin, max(40, n_bibs // 6))
    isbns = Isbns(rng)
    collection = Collection()
    today = timeline.today
    today_year = dt.date.fromordinal(today).year
    place_ids = [library.main.id, library.branch.id, library.reading_points[0].id, library.reading_points[1].id, library.van.id]
    place_codes = [library.main.code, library.branch.code]

    bibs = load.sink(Bib, ("id", "title", "author", "publisher", "year", "isbn", "clc_class", "call_number",
                           "price_cents", "pinyin", "created_at", "updated_at"))
    items = load.sink(Item, ("id", "barcode", "bib_id", "home_location_id", "current_location_id", "status",
                             "item_type", "call_number", "price_cents", "source", "accession_number",
                             "accessioned_at", "updated_at"))
    class_table = _cumulative([(letter, share) for letter, share, _loan in words.CLASS_SHARES])
    general = [name for name, _ in words.PUBLISHERS_GENERAL]
    children_publishers = [name for name, _ in words.PUBLISHERS_CHILDREN]

    # Copies per record: one each, the rest to popular (early) records, classics most.
    copies = array("H", [1]) * n_bibs
    for _ in range(max(0, n_items - n_bibs)):
        copies[int(n_bibs * rng.random() ** 2.2)] += 1

    p_point = min(0.04, 3000 / max(n_items, 1))
    p_van = min(0.07, 6000 / max(n_items, 1))
    # Deposit collections go out every two months; a copy joins one sent after it arrived.
    batches = {place: [today - 20 - 61 * k - 7 * place for k in range(7)] for place in (POINT1, POINT2, VAN)}
    deposit_lines: dict[tuple[int, int], list[tuple[int, str]]] = {}
    running: dict[str, int] = {}
    barcode_next = [1, 1]
    accession_next: dict[tuple[int, int], int] = {}
    pools: dict[str, list[int]] = {}

    for b in range(n_bibs):
        if b < len(words.CLASSICS) and b < n_bibs // 4:
            title, author, publisher, clc, kind = words.CLASSICS[b]
            title_keys, author_keys = pinyin.words(title), pinyin.words(author)
            letter = clc[0]
            year = today_year - int(rng.random() ** 2 * 15)
        else:
            letter = _pick(rng, class_table)
            title, title_keys, clc = titles.title(letter)
            author, author_keys = titles.author(letter)
            kind = "children" if clc in words.CHILDREN_CLASSES else ""
            if clc in ("H163", "H164", "Z227", "Z126") and rng.random() < 0.6:
                kind = "reference"
            elif clc.startswith("K294") and rng.random() < 0.6:
                kind = "local_history"
            if kind == "children":
                publisher = rng.choice(children_publishers)
            else:
                publisher = rng.choice(PUBLISHERS_BY_CLASS.get(letter) or general)
            age = rng.random()
            year = today_year - (int(age * 2) if age < 0.15 else int(2 + (age - 0.15) * 12) if age < 0.55 else int(8 + (age - 0.55) ** 1.5 * 80))
        year = max(year, 1978)
        isbn = ""
        if not ((year < 1987 or kind == "local_history") and rng.random() < 0.7):
            publisher, isbn = isbns.next(publisher)
        n = running.get(clc, 0) + 1
        running[clc] = n
        call_number = f"{clc}/{n}"
        price = rng.choice(words.PRICES_OLD if year < 2008 else words.PRICES_NEW)

        # When the copies came: within two years of publication, or (older books) at any
        # time in the last twelve years as the collection was built up.
        published = dt.date(year, 3, 1).toordinal()
        first_day = max(published, today - 12 * 365)
        last_day = min(max(published + 730, first_day), today - 1)
        arrivals = sorted(rng.randint(first_day, last_day) for _ in range(copies[b]))
        created_text, created_ms = timeline.stamp(arrivals[0], hm(rng.randint(9, 16), rng.randint(0, 59)))
        bib_id = collection.bib_keys.append(mint.value(created_ms))
        bibs.add((bib_id, title, author, publisher, str(year), isbn, clc, call_number, price,
                  PinyinPieces.text(title_keys, author_keys), created_text, created_text))

        for arrival in arrivals:
            i = len(collection.item_keys)
            item_type = kind or "book"
            roll = rng.random()
            place = MAIN
            if item_type in ("reference", "local_history"):
                place = MAIN
            elif roll < 0.25:
                place = BRANCH
            elif roll < 0.25 + p_point:
                place = POINT1
            elif roll < 0.25 + 2 * p_point:
                place = POINT2
            elif roll < 0.25 + 2 * p_point + p_van:
                place = VAN
            sent = 0
            if place >= POINT1:
                later = [d for d in batches[place] if d > arrival + 7]
                if later:
                    batch = rng.randrange(len(later))
                    sent = later[batch]
                else:
                    place = MAIN
            status = AVAILABLE
            roll = rng.random()
            if roll < 0.004:
                status = LOST
            elif roll < 0.006:
                status = DAMAGED
            elif roll < 0.012:
                status = WITHDRAWN
            elif roll < 0.013 and place <= BRANCH:
                status = IN_TRANSIT
            branch = BRANCH if place == BRANCH else MAIN
            code = place_codes[branch]
            barcode = f"{code}{barcode_next[branch]:08d}"
            barcode_next[branch] += 1
            a_year = dt.date.fromordinal(arrival).year
            seq = accession_next.get((branch, a_year), 0) + 1
            accession_next[(branch, a_year)] = seq
            source = "donation" if rng.random() < 0.08 else "purchase"
            stamp, ms = timeline.stamp(arrival, hm(rng.randint(9, 16), rng.randint(0, 59)))
            item_id = collection.item_keys.append(mint.value(ms))
            home = place_ids[branch]
            if sent:
                deposit_lines.setdefault((place, batches[place].index(sent)), []).append((i, barcode))
            items.add((item_id, barcode, bib_id, home, place_ids[place], STATUS_TEXT[status], item_type, call_number,
                       price, source, f"{code}-{a_year}-{seq:06d}", stamp, stamp))
            collection.item_bib.append(b)
            collection.item_place.append(place)
            collection.item_sent.append(sent)
            collection.item_children.append(1 if item_type == "children" else 0)
            collection.item_status.append(status)
            collection.free_from.append(arrival + 1)
            if status == AVAILABLE and item_type not in ("reference", "local_history"):
                pools.setdefault(letter, []).append(i)
            if source == "donation" and arrival >= timeline.first:
                collection.donated.append((i, arrival))

    collection.pools = {letter: array("i", indices) for letter, indices in pools.items()}
    _deposit_collections(load, library, timeline, mint, collection, batches, deposit_lines)
    _call_number_cursors(load, library, running, timeline, mint)
    return collection


def _deposit_collections(load, library, timeline, mint, collection, batches, deposit_lines) -> None:
    places = {POINT1: library.reading_points[0], POINT2: library.reading_points[1], VAN: library.van}
    heads = load.sink(DepositCollection, ("id", "location_id", "sent_at", "sent_by", "note", "closed_at"))
    lines = load.sink(DepositLine, ("id", "collection_id", "item_id", "barcode", "sent_from_id", "returned_at", "returned_by"))
    for key in sorted(deposit_lines):
        place, batch = key
        day = batches[place][batch]
        stamp, ms = timeline.stamp(day, hm(9, 30))
        head = mint(ms)
        heads.add((head, places[place].id, stamp, "librarian", f"第{len(batches[place]) - batch}批图书", None))
        for i, barcode in deposit_lines[key]:
            lines.add((mint(ms), head, collection.item_keys[i], barcode, library.main.id, None, ""))


def _call_number_cursors(load, library, running, timeline, mint) -> None:
    """A block of running numbers for the main library, its cursors past the numbers used,
    so cataloguing in the demo continues each class where the collection stops."""
    from models.callnumbers import CallNumberBlock, CallNumberCursor

    stamp, ms = timeline.stamp(timeline.first - 1, hm(10))
    block_id = mint(ms)
    highest = max(running.values(), default=0)
    load.sink(CallNumberBlock, ("id", "branch_id", "class_prefix", "first_number", "last_number", "note", "reserved_at")).add(
        (block_id, library.main_branch, "", 1, max(99_999, highest * 2), "总馆种次号", stamp)
    )
    cursors = load.sink(CallNumberCursor, ("block_id", "clc_class", "next_number"))
    for clc in sorted(running):
        cursors.add((block_id, clc, running[clc] + 1))
