"""Cataloguing by hand: a brief record built as real MARC21, and accessioning the copies.

A brief record (简编) carries title, author, publisher, year, ISBN, CLC class and price;
it is stored as a MARC21 record (encoding level 7, minimal) beside the parsed columns, so
it exports to the central cataloguers like any record they sent. Copies get a barcode and
an accession number (登录号) from this branch's own sequences, both prefixed with the
branch code, and the call number the record was given.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import peewee as pw
from pymarc import Field, Indicators, Leader, Record, Subfield
from stdnum import isbn as stdnum_isbn
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError as StdnumError

from countylib.callnumbers import assign_call_number, split_call_number
from countylib.clc import parse_class_number
from countylib.context import ServiceContext, service
from countylib.errors import NotFound, RuleViolation, SeveralProblems, ValidationError
from countylib.i18n import N_, join_list
from countylib.pinyin import pinyin_text
from countylib.roles import LIBRARIAN
from countylib.settings import SettingSpec, get_setting, register_settings
from models import Bib, Item, Location
from printing.labels import (
    DEFAULT_TEMPLATE,
    TEMPLATES,
    BarcodeLabel,
    LabelLayoutError,
    LabelPrint,
    SpineLabel,
)

BARCODE_DIGITS = 8
ACCESSION_DIGITS = 6
MAX_COPIES = 50
_CJK = re.compile(r"[\u3400-\u9fff]")


# -- ISBN and price --------------------------------------------------------------------------


def looks_like_isbn(text: str) -> bool:
    """Digits (and X, hyphens, spaces), 10 or 13 of them: what a scan or a typed ISBN is."""
    compact = re.sub(r"[\s-]", "", re.sub(r"^ISBN[:：]?", "", text.strip(), flags=re.I))
    return bool(re.fullmatch(r"\d{9}[\dXx]|\d{13}", compact))


def normalize_isbn(value: str) -> str:
    """An ISBN-10 or -13, checked, as compact ISBN-13 ('' stays ''). The message names it."""
    text = re.sub(r"^ISBN[:：]?", "", (value or "").strip(), flags=re.I).strip()
    if not text:
        return ""
    try:
        return stdnum_isbn.to_isbn13(stdnum_isbn.validate(text))
    except InvalidChecksum as exc:
        raise ValidationError("{isbn} is not a valid ISBN: the check digit is wrong.", isbn=value.strip()) from exc
    except InvalidLength as exc:
        raise ValidationError("{isbn} is not a valid ISBN: an ISBN has 10 or 13 digits.", isbn=value.strip()) from exc
    except StdnumError as exc:
        raise ValidationError("{isbn} is not a valid ISBN.", isbn=value.strip()) from exc


def format_isbn(isbn13: str) -> str:
    """978-7-02-000220-7 as printed on the book (compact when the ranges are unknown)."""
    return stdnum_isbn.format(isbn13) if isbn13 else ""


def parse_price(text: str) -> int:
    """'25', '25.5', '¥25.50', 'CNY25.00', '25元' → fen."""
    cleaned = re.sub(r"(?i)^(cny|rmb|￥|¥)|元$", "", (text or "").strip()).strip()
    if not cleaned:
        return 0
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValidationError("{price} is not a price; write it in yuan, e.g. 25.00.", price=text) from exc
    if amount < 0 or amount != amount.quantize(Decimal("0.01")) or amount >= 1_000_000:
        raise ValidationError("{price} is not a price; write it in yuan, e.g. 25.00.", price=text)
    return int(amount * 100)


def format_price(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


# -- the brief record -------------------------------------------------------------------------


@dataclass(frozen=True)
class BriefRecord:
    """A brief record as the form gives it, checked and tidied by ``check_brief_record``."""

    title: str
    clc: str
    author: str = ""
    publisher: str = ""
    year: str = ""
    isbn: str = ""  # compact ISBN-13
    price_cents: int = 0
    copies: int = 1


def check_brief_record(
    *,
    title: str,
    clc: str,
    author: str = "",
    publisher: str = "",
    year: str = "",
    isbn: str = "",
    price: str | int = 0,
    copies: int | str = 1,
) -> BriefRecord:
    """Every field checked before anything is written; every problem found is in the message."""
    problems: list[ValidationError] = []
    title = " ".join((title or "").split())
    if not title:
        problems.append(ValidationError("The title is needed."))
    try:
        clc_class = parse_class_number(clc).text
    except ValidationError as exc:
        problems.append(exc)
    year = (year or "").strip()
    if year and not re.fullmatch(r"\d{4}", year):
        problems.append(ValidationError("{year} is not a year; write four digits, e.g. 2021.", year=year))
    try:
        isbn = normalize_isbn(isbn)
    except ValidationError as exc:
        problems.append(exc)
    try:
        price_cents = price if isinstance(price, int) else parse_price(price)
    except ValidationError as exc:
        problems.append(exc)
    try:
        copies = int(copies)
        if not 0 <= copies <= MAX_COPIES:
            problems.append(ValidationError("Copies: from 0 to {most} at a time.", most=MAX_COPIES))
    except (TypeError, ValueError):
        problems.append(ValidationError("{copies} is not a number of copies.", copies=copies))
    if problems:
        raise problems[0] if len(problems) == 1 else SeveralProblems(problems)
    return BriefRecord(
        title=title,
        clc=clc_class,
        author=" ".join((author or "").split()),
        publisher=" ".join((publisher or "").split()),
        year=year,
        isbn=isbn,
        price_cents=price_cents,
        copies=copies,
    )


def build_marc21(bib: Bib, *, branch_code: str, now: dt.datetime) -> Record:
    """The record as MARC21: 001/003/005/008, 020, 084 $2 clc, 090 call number, 100, 245, 264."""
    record = Record(force_utf8=True, leader=Leader("     nam a22     7i 4500"))
    record.add_field(Field(tag="001", data=bib.control_number))
    record.add_field(Field(tag="003", data=branch_code))
    record.add_field(Field(tag="005", data=now.strftime("%Y%m%d%H%M%S.0")))
    language = "chi" if _CJK.search(bib.title) else "und"
    fixed = f"{now:%y%m%d}s{bib.year or 'uuuu'}    cc {' ' * 17}{language} d"
    record.add_field(Field(tag="008", data=fixed))
    if bib.isbn:
        isbn_sub = [Subfield("a", bib.isbn)]
        if bib.price_cents:
            isbn_sub.append(Subfield("c", f"CNY{format_price(bib.price_cents)}"))
        record.add_field(Field(tag="020", indicators=Indicators(" ", " "), subfields=isbn_sub))
    record.add_field(
        Field(tag="084", indicators=Indicators(" ", " "), subfields=[Subfield("a", bib.clc_class), Subfield("2", "clc")])
    )
    if bib.call_number:
        clc_class, book_number = split_call_number(bib.call_number)
        subs = [Subfield("a", clc_class)] + ([Subfield("b", book_number)] if book_number else [])
        record.add_field(Field(tag="090", indicators=Indicators(" ", " "), subfields=subs))
    if bib.author:
        record.add_field(Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", bib.author)]))
    title_subs = [Subfield("a", bib.title)] + ([Subfield("c", bib.author)] if bib.author else [])
    record.add_field(
        Field(tag="245", indicators=Indicators("1" if bib.author else "0", "0"), subfields=title_subs)
    )
    published = [Subfield(code, value) for code, value in (("b", bib.publisher), ("c", bib.year)) if value]
    if published:
        record.add_field(Field(tag="264", indicators=Indicators(" ", "1"), subfields=published))
    return record


def bib_payload(bib: Bib) -> dict:
    return {
        "bib": {
            "id": bib.id,
            "control_number": bib.control_number,
            "title": bib.title,
            "author": bib.author,
            "publisher": bib.publisher,
            "year": bib.year,
            "isbn": bib.isbn,
            "clc_class": bib.clc_class,
            "call_number": bib.call_number,
            "price_cents": bib.price_cents,
        }
    }


def find_by_isbn(isbn13: str) -> Bib | None:
    return Bib.select().where(Bib.isbn == isbn13).order_by(Bib.created_at).first() if isbn13 else None


@dataclass
class CataloguedBook:
    bib: Bib
    items: list[Item] = field(default_factory=list)


@service(LIBRARIAN)
def create_brief_record(
    ctx: ServiceContext,
    *,
    title: str,
    clc: str,
    author: str = "",
    publisher: str = "",
    year: str = "",
    isbn: str = "",
    price: str | int = 0,
    copies: int | str = 1,
    source: str = "purchase",
) -> CataloguedBook:
    """Catalogue a book by hand: the record (with a new call number) and its copies."""
    record = check_brief_record(
        title=title, clc=clc, author=author, publisher=publisher, year=year, isbn=isbn, price=price, copies=copies
    )
    existing = find_by_isbn(record.isbn)
    if existing is not None:
        raise RuleViolation(
            "A record for ISBN {isbn} already exists: {title} ({call_number}). Add copies to it instead.",
            isbn=format_isbn(record.isbn),
            title=existing.title,
            call_number=existing.call_number or existing.clc_class,
        )
    now = ctx.clock.utcnow()
    bib = Bib(
        title=record.title,
        author=record.author,
        publisher=record.publisher,
        year=record.year,
        isbn=record.isbn,
        clc_class=record.clc,
        price_cents=record.price_cents,
        pinyin=pinyin_text(record.title, record.author),
        created_at=now,
        updated_at=now,
    )
    bib.control_number = bib.id
    bib.call_number = assign_call_number(ctx, record.clc, record.author, record.title)
    bib.marc = build_marc21(bib, branch_code=ctx.branch.code, now=ctx.clock.local_now()).as_marc()
    bib.marc_format = "marc21"
    bib.save(force_insert=True)
    ctx.record("bib.upserted", bib_payload(bib))
    items = accession_items(ctx, bib, record.copies, source=source, price_cents=record.price_cents) if record.copies else []
    return CataloguedBook(bib, items)


# -- copies ----------------------------------------------------------------------------------


def _next_in_sequence(column: pw.Field, prefix: str, digits: int) -> int:
    """One more than the highest number already used after the prefix (index range scan).

    Called inside the service's IMMEDIATE transaction, so no other desk can take the
    same number between the read and the insert.
    """
    # Walk the unique index down from the top of the range: the first row of the right
    # length is the highest (MAX() with the length test would read the whole range).
    highest = (
        Item.select(column)
        .where(column.between(prefix + "0" * digits, prefix + "9" * digits) & (pw.fn.length(column) == len(prefix) + digits))
        .order_by(column.desc())
        .limit(1)
        .scalar()
    )
    return int(highest[len(prefix) :]) + 1 if highest else 1


def home_location(ctx: ServiceContext) -> Location:
    """The branch's own building: where accessioned copies live."""
    location = Location.get_or_none(Location.code == ctx.branch.code)
    if location is None:
        location = Location.get(Location.branch == ctx.branch, Location.kind == "branch")
    return location


def item_payload(item: Item) -> dict:
    return {
        "item": {
            "id": item.id,
            "barcode": item.barcode,
            "bib_id": item.bib_id,
            "home_location": item.home_location.code,
            "current_location": item.current_location.code,
            "status": item.status,
            "item_type": item.item_type,
            "call_number": item.call_number,
            "price_cents": item.price_cents,
            "source": item.source,
        }
    }


@service(LIBRARIAN)
def accession_items(
    ctx: ServiceContext, bib: Bib, copies: int = 1, *, source: str = "purchase", price_cents: int | None = None
) -> list[Item]:
    """Add copies of a record to this branch: barcode, accession number, call number each."""
    if source not in ("purchase", "donation"):
        raise ValidationError("A copy comes from a purchase or a donation, not {source}.", source=source)
    if not 1 <= copies <= MAX_COPIES:
        raise ValidationError("Copies: from 1 to {most} at a time.", most=MAX_COPIES)
    location = home_location(ctx)
    now = ctx.clock.utcnow()
    barcode_prefix = ctx.branch.code
    accession_prefix = f"{ctx.branch.code}-{ctx.clock.today():%Y}-"
    next_barcode = _next_in_sequence(Item.barcode, barcode_prefix, BARCODE_DIGITS)
    next_accession = _next_in_sequence(Item.accession_number, accession_prefix, ACCESSION_DIGITS)
    items = []
    for offset in range(copies):
        item = Item.create(
            barcode=f"{barcode_prefix}{next_barcode + offset:0{BARCODE_DIGITS}d}",
            accession_number=f"{accession_prefix}{next_accession + offset:0{ACCESSION_DIGITS}d}",
            bib=bib,
            home_location=location,
            current_location=location,
            call_number=bib.call_number,
            price_cents=bib.price_cents if price_cents is None else price_cents,
            source=source,
            accessioned_at=now,
            updated_at=now,
        )
        ctx.record("item.accessioned", item_payload(item))
        items.append(item)
    return items


def holdings_count(bib: Bib | None) -> int:
    """Copies the library holds of a record (lost and withdrawn ones no longer count)."""
    if bib is None:
        return 0
    return Item.select().where((Item.bib == bib) & Item.status.not_in(("lost", "withdrawn"))).count()


# -- labels for the copies ---------------------------------------------------------------------

register_settings(
    SettingSpec(
        "label_template", DEFAULT_TEMPLATE, N_("Label sheet"), LIBRARIAN, tuple(TEMPLATES),
        labels={name: t.description for name, t in TEMPLATES.items()},
    ),
    SettingSpec("label_offset_x_mm", 0.0, N_("Label print offset across (mm, + moves right)"), LIBRARIAN),
    SettingSpec("label_offset_y_mm", 0.0, N_("Label print offset down (mm, + moves down)"), LIBRARIAN),
)


def label_setup(template: str | None = None, *, start_at: int = 1, one_per_page: bool = False) -> LabelPrint:
    """The branch's label stock and offsets from the settings; the template may be overridden."""
    name = template or get_setting("label_template")
    if name not in TEMPLATES:
        raise ValidationError(
            "There is no label sheet called {name}; the sheets are: {names}.", name=name, names=", ".join(TEMPLATES)
        )
    setup = LabelPrint(
        TEMPLATES[name],
        offset_x_mm=float(get_setting("label_offset_x_mm")),
        offset_y_mm=float(get_setting("label_offset_y_mm")),
        start_at=start_at,
        one_per_page=one_per_page,
    )
    try:
        setup.layout()
    except LabelLayoutError as exc:
        per_page = setup.template.one_per_page().per_page if one_per_page else setup.template.per_page
        raise ValidationError(
            "Start at a label from 1 to {count} on sheet {name}.", count=per_page, name=name
        ) from exc
    return setup


def spine_labels(items: list[Item]) -> list[SpineLabel]:
    return [SpineLabel(item.call_number or item.bib.call_number) for item in items]


def barcode_labels(items: list[Item], library_name: str) -> list[BarcodeLabel]:
    return [
        BarcodeLabel(item.barcode, library_name, title=item.bib.title, call_number=item.call_number)
        for item in items
    ]


def items_accessioned_since(ctx: ServiceContext, day: dt.date) -> list[Item]:
    """This branch's copies accessioned on or after a local date, in accession order."""
    start = dt.datetime.combine(day, dt.time(), ctx.clock.timezone).astimezone(dt.UTC).replace(tzinfo=None)
    places = Location.select(Location.id).where(Location.branch == ctx.branch)
    return list(
        Item.select(Item, Bib)
        .join(Bib)
        .where((Item.accessioned_at >= start) & Item.home_location.in_(places))
        .order_by(Item.accessioned_at, Item.barcode)
    )


def items_by_barcodes(barcodes: list[str]) -> list[Item]:
    """The copies with these barcodes, in the order given; an unknown barcode is named."""
    found = {i.barcode: i for i in Item.select(Item, Bib).join(Bib).where(Item.barcode.in_(barcodes))}
    missing = [b for b in barcodes if b not in found]
    if missing:
        raise NotFound("No copy has the barcode {barcodes}.", barcodes=join_list(missing))
    return [found[b] for b in barcodes]
