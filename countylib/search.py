"""Catalogue search: titles, authors, publishers, pinyin, ISBNs and call numbers.

One search box takes whatever staff type or scan:
- an ISBN (10 or 13 digits, hyphens or not) is normalised and looked up exactly;
- a call number (I247.5/12, TP311.1) is looked up by prefix, so a class finds its shelf;
- anything else goes to the FTS5 trigram index ``bib_fts`` (title, author, publisher, ISBN,
  call number, pinyin), which finds Chinese substrings (楼梦 in 红楼梦) and pinyin, full or
  initials (hongloumeng, hlm). Terms under three characters cannot use trigrams, so they
  filter with LIKE (alone, they scan the table).

The index hands back its matches in row order; the first ``CANDIDATES`` are ranked (exact
title, title prefix, title substring, author, shortest title), so a word found in half the
catalogue still answers in milliseconds. Each page of hits then gets its copies counted by
status and place in one aggregated query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from countylib.i18n import _
from countylib.isbn import hyphenate, looks_like_isbn, normalize
from countylib.marc import BadRecord, dump, parse_stored
from countylib.marc_export import record_for_export
from countylib.pinyin import spellings
from models import Bib, Item
from models.base import db

CANDIDATES = 2000
PAGE = 20
# Either case: staff type i242.4 for I242.4 (the search itself ignores case).
_CALL_NUMBER = re.compile(r"^[A-Za-z]{1,2}\d[0-9A-Za-z.\-=:()\"<>+]*(?:/[0-9A-Za-z.\-:()]+)?$")
_SPACES = re.compile(r"\s+")
_HAN_ONLY = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")
_BIB_COLUMNS = "b.id, b.title, b.author, b.publisher, b.year, b.isbn, b.clc_class, b.call_number, b.price_cents"
# Shelf order in SQL: the class part as text, then the book number (种次号) as a number,
# so I242.4/3 comes before I242.4/12.
_SHELF_ORDER = """
    CASE WHEN instr(b.call_number, '/') THEN substr(b.call_number, 1, instr(b.call_number, '/') - 1)
         ELSE b.call_number END,
    CAST(substr(b.call_number, instr(b.call_number, '/') + 1) AS INTEGER), b.call_number, b.title"""
_STATUS_GROUP = {"available": "on_shelf", "on_loan": "on_loan", "in_transit": "in_transit"}


@dataclass(frozen=True)
class Place:
    """Copies of one record in one state at one place."""

    branch: str
    location: str
    status: str  # Item status
    count: int


@dataclass
class Copies:
    total: int = 0
    on_shelf: int = 0
    on_loan: int = 0
    in_transit: int = 0
    other: int = 0  # on the hold shelf, lost, damaged, withdrawn
    places: list[Place] = field(default_factory=list)

    def where(self) -> str:
        """'城关分馆 ×2 on shelf; 幸福村阅读点 ×1 on loan' for the results table."""
        if not self.total:
            return _("no copies")
        parts = []
        for place in self.places:
            name = place.location if place.location == place.branch else f"{place.branch} · {place.location}"
            parts.append(_("{place} ×{n} {status}").format(place=name, n=place.count, status=status_label(place.status)))
        return "; ".join(parts)


def status_label(status: str) -> str:
    labels = {
        "available": _("on shelf"),
        "on_loan": _("on loan"),
        "in_transit": _("in transit"),
        "on_hold_shelf": _("on hold shelf"),
        "lost": _("lost"),
        "damaged": _("damaged"),
        "withdrawn": _("withdrawn"),
    }
    return labels.get(status, status)


@dataclass
class Hit:
    bib_id: str
    title: str
    author: str
    publisher: str
    year: str
    isbn: str
    clc_class: str
    call_number: str
    price_cents: int
    copies: Copies = field(default_factory=Copies)

    @property
    def isbn_display(self) -> str:
        return hyphenate(self.isbn) if self.isbn else ""


@dataclass
class SearchPage:
    query: str
    kind: str  # "recent", "isbn", "call_number", "text", "short"
    hits: list[Hit]
    offset: int
    limit: int
    has_more: bool

    @property
    def page_number(self) -> int:
        return self.offset // self.limit + 1 if self.limit else 1


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_catalogue(query: str, *, limit: int = PAGE, offset: int = 0) -> SearchPage:
    """A page of records matching what was typed or scanned, with their copies."""
    text = _SPACES.sub(" ", (query or "").strip())
    if not text:
        kind, rows = "recent", _recent(limit + 1, offset)
    elif looks_like_isbn(text) and normalize(text):
        kind, rows = "isbn", _by_isbn(normalize(text), limit + 1, offset)
    elif _CALL_NUMBER.match(text):
        kind, rows = "call_number", _by_call_number(text, limit + 1, offset)
    else:
        terms = text.split(" ")
        if any(len(t) >= 3 for t in terms):
            kind, rows = "text", _by_text(text, terms, limit + 1, offset)
        elif all(_HAN_ONLY.match(t) for t in terms) and _spelt(terms):
            kind, rows = "short", _by_han_pinyin(terms, _spelt(terms), limit + 1, offset)
        else:
            kind, rows = "short", _by_like(terms, limit + 1, offset)
    hits = [Hit(*row[:9]) for row in rows[:limit]]
    _count_copies(hits)
    return SearchPage(text, kind, hits, offset, limit, len(rows) > limit)


def _recent(limit: int, offset: int) -> list[tuple]:
    sql = f"SELECT {_BIB_COLUMNS} FROM bib b ORDER BY b.rowid DESC LIMIT ? OFFSET ?"
    return db.execute_sql(sql, (limit, offset)).fetchall()


def _by_isbn(isbn13: str, limit: int, offset: int) -> list[tuple]:
    sql = f"SELECT {_BIB_COLUMNS} FROM bib b WHERE b.isbn = ? ORDER BY b.title LIMIT ? OFFSET ?"
    return db.execute_sql(sql, (isbn13, limit, offset)).fetchall()


def _by_call_number(text: str, limit: int, offset: int) -> list[tuple]:
    prefix = text.upper()
    like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if len(text) >= 3:
        # The trigram index narrows to records with the text in their call number.
        sql = f"""
            SELECT {_BIB_COLUMNS} FROM bib_fts f JOIN bib b ON b.rowid = f.rowid
            WHERE bib_fts MATCH ? AND b.call_number LIKE ? ESCAPE '\\'
            ORDER BY {_SHELF_ORDER} LIMIT ? OFFSET ?"""
        params: tuple = ("call_number : " + _fts_phrase(text), like, limit, offset)
    else:
        sql = f"""
            SELECT {_BIB_COLUMNS} FROM bib b WHERE b.clc_class >= ? AND b.clc_class < ?
            ORDER BY {_SHELF_ORDER} LIMIT ? OFFSET ?"""
        params = (prefix, prefix + "\uffff", limit, offset)
    return db.execute_sql(sql, params).fetchall()


def _by_text(text: str, terms: list[str], limit: int, offset: int) -> list[tuple]:
    match = " ".join(_fts_phrase(t) for t in terms if len(t) >= 3)
    if len(terms) > 1 and all(t.isascii() and t.isalpha() for t in terms):
        # "hong lou meng" typed with spaces: the syllables run together match too.
        match = f"({match}) OR {_fts_phrase(''.join(terms))}"
    params: dict[str, object] = {
        "match": match,
        "q": text,
        "prefix": _like(text)[1:],
        "limit": limit,
        "offset": offset,
    }
    short_filters = []
    for n, term in enumerate(t for t in terms if len(t) < 3):
        params[f"s{n}"] = _like(term)
        short_filters.append(
            f" AND (b.title LIKE :s{n} ESCAPE '\\' OR b.author LIKE :s{n} ESCAPE '\\' OR b.pinyin LIKE :s{n} ESCAPE '\\')"
        )
    sql = f"""
        WITH candidates AS (SELECT rowid FROM bib_fts WHERE bib_fts MATCH :match LIMIT {CANDIDATES})
        SELECT {_BIB_COLUMNS},
            CASE WHEN b.title = :q THEN 0
                 WHEN b.title LIKE :prefix ESCAPE '\\' THEN 1
                 WHEN instr(b.title, :q) THEN 2
                 WHEN instr(b.author, :q) THEN 3
                 ELSE 4 END AS score
        FROM candidates c JOIN bib b ON b.rowid = c.rowid
        WHERE 1 {"".join(short_filters)}
        ORDER BY score, length(b.title), b.title LIMIT :limit OFFSET :offset"""
    return db.execute_sql(sql, params).fetchall()


def _spelt(terms: list[str]) -> list[list[str]] | None:
    """The pinyin spellings of each term, when every one is long enough for trigrams."""
    spelt = [spellings(t) for t in terms]
    return spelt if all(s and min(len(x) for x in s) >= 3 for s in spelt) else None


def _by_han_pinyin(terms: list[str], spelt: list[list[str]], limit: int, offset: int) -> list[tuple]:
    """One or two Han characters: too short for trigrams, but their pinyin is not.

    路遥 is looked for as "luyao" in the pinyin column (every reading of a polyphone), and
    the rows found are then checked for the characters themselves, before the candidates
    are cut off: otherwise a catalogue with thousands of 鹿瑶 would hide its 路遥.
    """
    match = " AND ".join("pinyin : (" + " OR ".join(_fts_phrase(s) for s in spellings) + ")" for spellings in spelt)
    params: dict[str, object] = {"match": match, "limit": limit, "offset": offset}
    checks = []
    for n, term in enumerate(terms):
        params[f"t{n}"] = term
        checks.append(f" AND (instr(b.title, :t{n}) OR instr(b.author, :t{n}))")
    sql = f"""
        WITH candidates AS (
            SELECT b.rowid AS rowid FROM bib_fts f JOIN bib b ON b.rowid = f.rowid
            WHERE bib_fts MATCH :match {"".join(checks)} LIMIT {CANDIDATES})
        SELECT {_BIB_COLUMNS},
            CASE WHEN b.title = :t0 OR b.author = :t0 THEN 0 WHEN instr(b.title, :t0) = 1 THEN 1 ELSE 2 END AS score
        FROM candidates c JOIN bib b ON b.rowid = c.rowid
        ORDER BY score, length(b.title), b.title LIMIT :limit OFFSET :offset"""
    return db.execute_sql(sql, params).fetchall()


def _by_like(terms: list[str], limit: int, offset: int) -> list[tuple]:
    where = " AND ".join(
        "(b.title LIKE ? ESCAPE '\\' OR b.author LIKE ? ESCAPE '\\' OR b.pinyin LIKE ? ESCAPE '\\' "
        "OR b.publisher LIKE ? ESCAPE '\\' OR b.call_number LIKE ? ESCAPE '\\')"
        for _ in terms
    )
    params = [p for t in terms for p in [_like(t)] * 5]
    sql = f"SELECT {_BIB_COLUMNS} FROM bib b WHERE {where} ORDER BY b.rowid LIMIT ? OFFSET ?"
    return db.execute_sql(sql, (*params, limit, offset)).fetchall()


def _count_copies(hits: list[Hit]) -> None:
    """Copies of each hit by status and place, in one aggregated query."""
    if not hits:
        return
    by_id = {h.bib_id: h for h in hits}
    marks = ", ".join("?" * len(by_id))
    sql = f"""
        SELECT i.bib_id, br.name, l.name, i.status, count(*)
        FROM item i
        JOIN location l ON l.id = i.current_location_id
        JOIN branch br ON br.id = l.branch_id
        WHERE i.bib_id IN ({marks})
        GROUP BY i.bib_id, l.id, i.status
        ORDER BY i.bib_id, i.status = 'available' DESC, br.name, l.name"""
    for bib_id, branch, location, status, count in db.execute_sql(sql, list(by_id)).fetchall():
        copies = by_id[bib_id].copies
        copies.total += count
        group = _STATUS_GROUP.get(status, "other")
        setattr(copies, group, getattr(copies, group) + count)
        copies.places.append(Place(branch, location, status, count))


# -- one record ---------------------------------------------------------------------------------


@dataclass
class CopyLine:
    barcode: str
    branch: str
    location: str
    status: str
    call_number: str
    price_cents: int


@dataclass
class RecordView:
    """What the record viewer shows: the columns, the MARC fields, every copy."""

    hit: Hit
    marc_format: str
    marc_lines: list[str]
    from_raw: bool  # False: no record was received, the lines show what export would write
    copies: list[CopyLine]


def record_view(bib_id: str) -> RecordView | None:
    bib = Bib.get_or_none(Bib.id == bib_id)
    if bib is None:
        return None
    hit = Hit(bib.id, bib.title, bib.author, bib.publisher, bib.year, bib.isbn, bib.clc_class, bib.call_number, bib.price_cents)
    _count_copies([hit])
    lines: list[str]
    from_raw = bool(bib.marc)
    if from_raw:
        try:
            lines = list(dump([parse_stored(bytes(bib.marc), bib.marc_format)]))
        except BadRecord as exc:
            lines = [exc.message]
    else:
        lines = list(dump([record_for_export(bib, bib.marc_format or "marc21", include_copies=False)]))
    copies = [
        CopyLine(item.barcode, item.current_location.branch.name, item.current_location.name, item.status, item.call_number, item.price_cents)
        for item in Item.select().where(Item.bib == bib).order_by(Item.barcode)
    ]
    return RecordView(hit, bib.marc_format or "marc21", lines, from_raw, copies)
