"""Finding readers: the desk's search box and the filtered patron list.

Everything is paged in SQL on indexed columns (card number, name, pinyin, initials, phone,
the ID's last four) so it stays quick with 200,000 readers; only the one-page result is
turned into Python objects. Reads run outside any write transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import peewee as pw

from countylib.context import ServiceContext
from countylib.errors import NotFound, RuleViolation
from countylib.i18n import format_date, join_list
from countylib.idnumbers import id_number_hash, normalize
from countylib.patrons import PatronDetails, patron_details, replacements_of
from countylib.roles import LIBRARIAN
from countylib.settings import get_setting
from models import CardEvent, Loan, Patron
from models.patrons import NAME_FROM_2, NAME_FROM_3
from printing.cards import CardFace

PAGE = 50
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_TOP = "\U0010ffff"  # sorts after every character: "prefix ≤ x < prefix+TOP" is a prefix match


@dataclass(frozen=True)
class PatronRow:
    id: str
    card_number: str
    name: str
    gender: str
    category: str
    status: str
    expiry_date: dt.date | None
    phone: str
    id_number_masked: str | None  # None: not for this role
    open_loans: int = 0
    overdue_loans: int = 0
    matched_old_card: str = ""  # found by a card number replaced as lost


@dataclass(frozen=True)
class PatronFilter:
    category: str = ""
    status: str = ""  # blank: every status except erased
    expiring_soon: bool = False  # expiry within the expiring_soon_days setting
    expired: bool = False
    overdue: bool = False  # has a loan past its due date


@dataclass(frozen=True)
class PatronPage:
    rows: list[PatronRow]
    next_after: str | None  # pass back as ``after`` for the next page; None at the end


def _prefix(column: pw.Field, prefix: str) -> pw.Expression:
    return (column >= prefix) & (column < prefix + _TOP)


def search_patrons(ctx: ServiceContext, text: str, limit: int = PAGE, include_erased: bool = False) -> list[PatronRow]:
    """Card number, name (characters from the start of the name or the given name, full
    pinyin or initials: "zsf" → 张三丰), phone, the last four characters of the ID number or
    the whole number (librarians). Best first; every part is an indexed range."""
    q = " ".join(text.split())
    if not q:
        return []
    private = ctx.actor.at_least(LIBRARIAN)
    live = Patron.status != "erased"
    queries: list[pw.Expression] = []
    old_card = ""
    compact = q.replace(" ", "")
    if _HAN.search(q):
        # From the start of the name, or of the given name: 三丰 / 丰 → 张三丰, 阳修 → 欧阳修.
        queries += [Patron.name == q, _prefix(Patron.name, q), _prefix(NAME_FROM_2, q), _prefix(NAME_FROM_3, q)]
    elif re.fullmatch(r"[A-Za-z]+", compact):
        lower, upper = compact.lower(), compact.upper()
        queries += [
            Patron.card_number == upper,
            Patron.name_initials == lower,
            _prefix(Patron.name_initials, lower),
            _prefix(Patron.name_pinyin, lower),
            _prefix(Patron.card_number, upper),
        ]
    else:
        upper = normalize(compact)
        queries += [Patron.card_number == upper]
        if upper.isdigit():
            queries += [Patron.phone == upper]
        if private and re.fullmatch(r"\d{3}[\dX]", upper):
            queries += [Patron.id_last4 == upper]
        if private and len(upper) >= 15:  # a whole ID number: compared by its keyed hash
            queries += [Patron.id_number_hash == id_number_hash(upper)]
        if upper.isdigit() and len(upper) >= 3:
            queries += [_prefix(Patron.phone, upper)]
        queries += [_prefix(Patron.card_number, upper)]
        replaced = replacements_of(upper).first()
        if replaced is not None:
            old_card = upper
            queries.insert(0, Patron.id == replaced.patron_id)
    found: dict[str, Patron] = {}
    for where in queries:
        if len(found) >= limit:
            break
        query = Patron.select().where(where)
        if not include_erased:
            query = query.where(live)
        for patron in query.limit(limit):
            found.setdefault(patron.id, patron)
    patrons = list(found.values())[:limit]
    return _rows(ctx, patrons, private, old_card)


def list_patrons(ctx: ServiceContext, filters: PatronFilter, after: str | None = None, limit: int = PAGE) -> PatronPage:
    """One page of readers in card-number order; ``after`` continues from a page's end."""
    today = ctx.clock.today()
    query = Patron.select()
    query = query.where(Patron.status == filters.status) if filters.status else query.where(Patron.status != "erased")
    if filters.category:
        query = query.where(Patron.category == filters.category)
    if filters.expiring_soon:
        soon = today + dt.timedelta(days=int(get_setting("expiring_soon_days")))
        query = query.where(Patron.expiry_date.between(today, soon))
    if filters.expired:
        query = query.where(Patron.expiry_date < today)
    if filters.overdue:
        # Walk the page's readers in card order and probe each one's open loans through the
        # (patron, checked_in_at) index: the list stops after one page. Collecting every
        # overdue reader first would look up thousands of text keys per page.
        overdue = Loan.select(pw.SQL("1")).where(
            Loan.patron == Patron.id, Loan.checked_in_at.is_null(), Loan.due_date < today
        )
        query = query.where(pw.fn.EXISTS(overdue))
    if after:
        query = query.where(Patron.card_number > after)
    patrons = list(query.order_by(Patron.card_number).limit(limit + 1))
    more = len(patrons) > limit
    patrons = patrons[:limit]
    return PatronPage(_rows(ctx, patrons, ctx.actor.at_least(LIBRARIAN)), patrons[-1].card_number if more else None)


def _rows(ctx: ServiceContext, patrons: list[Patron], private: bool, old_card: str = "") -> list[PatronRow]:
    counts: dict[str, tuple[int, int]] = {}
    if patrons:
        today = ctx.clock.today()
        query = (
            Loan.select(Loan.patron, pw.fn.COUNT(Loan.id), pw.fn.SUM(pw.Case(None, [(Loan.due_date < today, 1)], 0)))
            .where(Loan.patron.in_([p.id for p in patrons]), Loan.checked_in_at.is_null())
            .group_by(Loan.patron)
            .tuples()
        )
        counts = {patron_id: (n, overdue or 0) for patron_id, n, overdue in query}
    return [
        PatronRow(
            id=p.id,
            card_number=p.card_number,
            name=p.name,
            gender=p.gender,
            category=p.category,
            status=p.status,
            expiry_date=p.expiry_date,
            phone=p.phone,
            id_number_masked=p.id_number_masked if private else None,
            open_loans=counts.get(p.id, (0, 0))[0],
            overdue_loans=counts.get(p.id, (0, 0))[1],
            matched_old_card=old_card,
        )
        for p in patrons
    ]


def find_by_card(ctx: ServiceContext, card_number: str) -> PatronDetails:
    """The reader holding this card. A number replaced as lost is refused, naming the new card."""
    number = card_number.strip().upper()
    patron = Patron.get_or_none(Patron.card_number == number)
    if patron is not None:
        return patron_details(ctx, patron.id)
    replaced = replacements_of(number).order_by(CardEvent.at.desc()).first()
    if replaced is not None:
        raise RuleViolation(
            "Card {old} was replaced on {date} and is blocked; the reader's card is now {new}.",
            old=number,
            date=format_date(ctx.clock.to_local(replaced.at).date()),
            new=replaced.patron.card_number,
        )
    raise NotFound("No reader has card {card}.", card=number)


def card_faces(
    ctx: ServiceContext, card_numbers: list[str] | None = None, registered_since: dt.date | None = None
) -> list[CardFace]:
    """What to print on the cards of these readers (by card number, or everyone whose card
    was issued or replaced since a local date), in card-number order."""
    query = Patron.select().where(Patron.status.in_(("active", "suspended")))
    if card_numbers is not None:
        wanted = [c.strip().upper() for c in card_numbers if c.strip()]
        query = query.where(Patron.card_number.in_(wanted))
        missing = sorted(set(wanted) - {p.card_number for p in query})
        if missing:
            raise NotFound("No reader with a valid card has number(s) {cards}.", cards=join_list(missing))
    if registered_since is not None:
        start = dt.datetime.combine(registered_since, dt.time(), ctx.clock.timezone).astimezone(dt.UTC)
        fresh = CardEvent.select(CardEvent.patron).where(
            CardEvent.kind.in_(("issued", "replaced")), CardEvent.at >= start.replace(tzinfo=None)
        )
        query = query.where(Patron.id.in_(fresh))
    library, language = ctx.branch.library_name, get_setting("language")
    return [
        CardFace(library, p.name, p.card_number, ctx.branch.name, language) for p in query.order_by(Patron.card_number)
    ]
