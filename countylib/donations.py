"""Gifts of books from the public (接受社会各界捐赠): donors, the box at the desk, one
decision per book, and what the gift became.

A donation is received from a donor; each book in the box is scanned (ISBN) or typed
(title) as a line, checked against what the library already holds (查重), then decided:
accessioned here (the record is made when none exists; the copy gets a barcode, source
donation and an estimated value), forwarded to another branch or reading point, or
declined with a reason. Every decision is final and recorded as an event; deciding a
book a second time the same way changes nothing, so a double click never makes two copies.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import peewee as pw

from countylib.cataloguing import (
    BriefRecord,
    accession_items,
    create_brief_record,
    find_by_isbn,
    holdings_count,
    home_location,
    looks_like_isbn,
    normalize_isbn,
)
from countylib.context import ServiceContext, service
from countylib.errors import NotFound, RuleViolation, ValidationError
from countylib.i18n import LANGUAGE_NAMES, LANGUAGES, N_, _, join_clauses
from countylib.isbn import hyphenate
from countylib.roles import LIBRARIAN
from countylib.settings import SettingSpec, get_setting, register_settings
from models import Bib, Donation, DonationLine, Donor, Item, Location
from printing.certificates import Certificate, CertificateBook

DONOR_KINDS = {"person": N_("Person"), "organisation": N_("Organisation")}
HOW_RECEIVED = {
    "in_person": N_("Brought in person"),
    "post": N_("By post or courier"),
    "collected": N_("Collected by the library"),
    "drop_box": N_("Left in the drop box"),
}
DECLINE_REASONS = {
    "damaged": N_("damaged"),
    "outdated": N_("outdated"),
    "duplicate": N_("duplicate"),
    "unsuitable": N_("unsuitable"),
}
DECISION_NAMES = {
    "pending": N_("to decide"),
    "accessioned": N_("accessioned"),
    "forwarded": N_("forwarded"),
    "declined": N_("declined"),
}
_PHONE = re.compile(r"^\+?[\d\s-]{5,20}$")

register_settings(
    SettingSpec(
        "certificate_language", "zh_CN", N_("Language of donation certificates"), LIBRARIAN, LANGUAGES, labels=LANGUAGE_NAMES
    ),
)


# -- donors and donations -------------------------------------------------------------------


class AlreadyADonor(ValidationError):
    """The donor typed in is on the list already (same name, same phone): that one is meant."""

    def __init__(self, donor: Donor) -> None:
        who = f"{donor.name} ({donor.phone})" if donor.phone else donor.name
        super().__init__(N_("{donor} is already on the list of donors."), donor=who)
        self.donor = donor


@service(LIBRARIAN)
def register_donor(
    ctx: ServiceContext,
    name: str,
    *,
    kind: str = "person",
    phone: str = "",
    address: str = "",
    anonymous: bool = False,
    notes: str = "",
) -> Donor:
    """A person or organisation who gives books; contact kept for the thank-you."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("The donor's name is needed (a person or an organisation).")
    if kind not in DONOR_KINDS:
        raise ValidationError("A donor is a person or an organisation, not {kind}.", kind=kind)
    phone = (phone or "").strip()
    if phone and not _PHONE.match(phone):
        raise ValidationError("{phone} is not a phone number.", phone=phone)
    # The same name alone may be two people (张伟); with the same phone it is one donor twice.
    same = Donor.get_or_none((Donor.name == name) & (Donor.phone == phone))
    if same is not None:
        raise AlreadyADonor(same)
    return Donor.create(
        name=name,
        kind=kind,
        phone=phone,
        address=(address or "").strip(),
        anonymous=bool(anonymous),
        notes=(notes or "").strip(),
        created_at=ctx.clock.utcnow(),
    )


def find_donors(query: str, limit: int = 50) -> list[Donor]:
    """Donors whose name or phone contains the text, newest first (all when blank)."""
    select = Donor.select().order_by(Donor.created_at.desc()).limit(limit)
    text = (query or "").strip()
    if text:
        select = select.where(Donor.name.contains(text) | Donor.phone.contains(text))
    return list(select)


def donor_payload(donor: Donor) -> dict:
    return {
        "id": donor.id,
        "name": donor.name,
        "kind": donor.kind,
        "phone": donor.phone,
        "address": donor.address,
        "anonymous": donor.anonymous,
    }


@service(LIBRARIAN)
def receive_donation(
    ctx: ServiceContext,
    donor: Donor,
    *,
    received_on: dt.date | None = None,
    how_received: str = "in_person",
    notes: str = "",
) -> Donation:
    """Open a donation for a box of books from a donor."""
    if how_received not in HOW_RECEIVED:
        raise ValidationError("{how} is not a way books arrive.", how=how_received)
    received_on = received_on or ctx.clock.today()
    if received_on > ctx.clock.today():
        raise ValidationError("A donation cannot be received on a future date ({date}).", date=received_on.isoformat())
    donation = Donation.create(
        donor=donor,
        branch=ctx.branch,
        received_on=received_on,
        how_received=how_received,
        notes=(notes or "").strip(),
        staff=ctx.actor.staff_id,
    )
    ctx.record(
        "donation.received",
        {
            "donation": {
                "id": donation.id,
                "branch": ctx.branch.code,
                "received_on": received_on.isoformat(),
                "how_received": how_received,
                "notes": donation.notes,
            },
            "donor": donor_payload(donor),
        },
    )
    return donation


# -- checking a book against the holdings (查重) --------------------------------------------


@dataclass(frozen=True)
class BookCheck:
    """What the library already has of a scanned or typed book."""

    isbn: str  # compact ISBN-13, '' when a title was typed
    title: str
    bib: Bib | None  # the record to add a copy to, when one exists
    records: int  # how many records match (title look-ups may find several editions)
    held: int  # copies held of the matching records, every branch
    held_here: int  # of those, at this branch


def _held(bibs: list[Bib], here: Location | None) -> tuple[int, int]:
    if not bibs:
        return 0, 0
    live = (Item.bib.in_(bibs)) & Item.status.not_in(("lost", "withdrawn"))
    held = Item.select().where(live).count()
    held_here = Item.select().where(live & (Item.home_location == here)).count() if here else 0
    return held, held_here


def check_book(text: str, here: Location | None = None) -> BookCheck:
    """Look a book up by ISBN (scanned or typed) or by title; malformed ISBNs are named."""
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError("Scan the ISBN or type the title of the book.")
    if looks_like_isbn(text) or re.fullmatch(r"(?i)(isbn[:：]?\s*)?[\dXx\s-]{8,}", text):
        isbn = normalize_isbn(text)
        bib = find_by_isbn(isbn)
        bibs = [bib] if bib else []
        held, held_here = _held(bibs, here)
        return BookCheck(isbn, bib.title if bib else "", bib, len(bibs), held, held_here)
    bibs = list(Bib.select().where(Bib.title == text))
    held, held_here = _held(bibs, here)
    counts = {b.id: holdings_count(b) for b in bibs}
    best = max(bibs, key=lambda b: counts[b.id]) if bibs else None
    return BookCheck("", text, best, len(bibs), held, held_here)


@service(LIBRARIAN)
def add_book(ctx: ServiceContext, donation: Donation, text: str) -> DonationLine:
    """One book from the box, waiting for a decision."""
    found = check_book(text, home_location(ctx))
    return DonationLine.create(donation=donation, isbn=found.isbn, title=found.title, bib=found.bib)


# -- deciding each book -------------------------------------------------------------------------


def _fresh(line: DonationLine) -> DonationLine:
    """The line as stored now: a screen may hold an old copy (a double click, a second desk)."""
    fresh = DonationLine.get_or_none(DonationLine.id == line.id)
    if fresh is None:
        raise NotFound("That book is no longer in the donation.")
    return fresh


def _refuse_redecision(line: DonationLine, wanted: str) -> None:
    if line.decision not in ("pending", wanted):
        raise RuleViolation(
            "{title} was already {decision}; a decision is not changed afterwards.",
            title=line.title or line.isbn,
            decision=_(DECISION_NAMES[line.decision]),
        )


def line_payload(line: DonationLine) -> dict:
    return {
        "line": {
            "id": line.id,
            "donation_id": line.donation_id,
            "isbn": line.isbn,
            "title": line.title,
            "decision": line.decision,
            "reason": line.reason,
            "forward_to": line.forward_to.code if line.forward_to_id else None,
            "bib_id": line.bib_id,
            "item_id": line.item_id,
            "barcode": line.item.barcode if line.item_id else None,
            "estimated_value_cents": line.estimated_value_cents,
        }
    }


@service(LIBRARIAN)
def accession_line(
    ctx: ServiceContext,
    line: DonationLine,
    *,
    record: BriefRecord | None = None,
    estimated_value_cents: int | None = None,
) -> DonationLine:
    """Keep the book here: make the record if there is none, then one copy (source donation).

    Accessioning a line that is already accessioned returns it unchanged.
    """
    line = _fresh(line)
    _refuse_redecision(line, "accessioned")
    if line.decision == "accessioned":
        return line
    bib = line.bib or find_by_isbn(line.isbn)
    if bib is None:
        if record is None:
            raise ValidationError(
                "There is no record for {book} yet; fill in the brief record first.", book=line.title or line.isbn
            )
        if line.isbn and record.isbn and record.isbn != line.isbn:
            raise ValidationError(
                "The brief record's ISBN {record_isbn} is not the scanned {isbn}.",
                record_isbn=record.isbn,
                isbn=line.isbn,
            )
        bib = create_brief_record(
            ctx,
            title=record.title,
            clc=record.clc,
            author=record.author,
            publisher=record.publisher,
            year=record.year,
            isbn=record.isbn or line.isbn,
            price=record.price_cents,
            copies=0,
        ).bib
    value = bib.price_cents if estimated_value_cents is None else estimated_value_cents
    if value < 0:
        raise ValidationError("An estimated value cannot be negative.")
    (item,) = accession_items(ctx, bib, 1, source="donation", price_cents=value)
    line.bib, line.item, line.decision = bib, item, "accessioned"
    line.title, line.isbn = line.title or bib.title, line.isbn or bib.isbn
    line.estimated_value_cents = value
    line.save()
    ctx.record("donation.line_decided", line_payload(line))
    return line


def forward_destinations(ctx: ServiceContext) -> list[Location]:
    """Other branches and reading points a book can be passed on to."""
    return list(
        Location.select()
        .where((Location.active == True) & (Location.id != home_location(ctx).id))  # noqa: E712
        .order_by(Location.kind, Location.code)
    )


@service(LIBRARIAN)
def forward_line(ctx: ServiceContext, line: DonationLine, location_code: str) -> DonationLine:
    """Pass the book on to another branch or reading point that needs it more."""
    line = _fresh(line)
    destination = Location.get_or_none(Location.code == (location_code or "").strip())
    if destination is None or not destination.active:
        raise NotFound("There is no place with the code {code}.", code=location_code)
    if destination.id == home_location(ctx).id:
        raise ValidationError("To keep the book here, accession it instead of forwarding it.")
    _refuse_redecision(line, "forwarded")
    if line.decision == "forwarded":
        return line
    line.decision, line.forward_to = "forwarded", destination
    line.save()
    ctx.record("donation.line_decided", line_payload(line))
    return line


@service(LIBRARIAN)
def decline_line(ctx: ServiceContext, line: DonationLine, reason: str) -> DonationLine:
    """Turn a book down, always saying why (damaged, outdated, duplicate, unsuitable, or words)."""
    line = _fresh(line)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("Say why the book is declined: damaged, outdated, duplicate or unsuitable.")
    _refuse_redecision(line, "declined")
    if line.decision == "declined":
        return line
    line.decision, line.reason = "declined", reason
    line.save()
    ctx.record("donation.line_decided", line_payload(line))
    return line


def reason_text(reason: str) -> str:
    """A decline reason for people: the known ones translated, free words as written."""
    return _(DECLINE_REASONS[reason]) if reason in DECLINE_REASONS else reason


# -- what the gift became ----------------------------------------------------------------------


@dataclass(frozen=True)
class LineView:
    line: DonationLine
    held: int
    held_here: int

    @property
    def has_record(self) -> bool:
        return self.line.bib_id is not None


def intake_lines(ctx: ServiceContext, donation: Donation) -> list[LineView]:
    """The donation's books in the order they were scanned, with what the library holds."""
    here = home_location(ctx)
    views = []
    lines = (
        DonationLine.select(DonationLine, Item)
        .join(Item, pw.JOIN.LEFT_OUTER, on=(DonationLine.item == Item.id))
        .where(DonationLine.donation == donation)
        .order_by(DonationLine.id)
    )
    for line in lines:
        held, held_here = _held([line.bib] if line.bib_id else [], here)
        views.append(LineView(line, held, held_here))
    return views


def find_donation(donation_id: str) -> Donation:
    """A donation read afresh, e.g. by a printing worker on its own connection."""
    return Donation.get_by_id(donation_id)


def accepted_lines(donation: Donation) -> list[DonationLine]:
    """Books that stayed with the library system: accessioned here or forwarded."""
    return list(
        DonationLine.select()
        .where((DonationLine.donation == donation) & DonationLine.decision.in_(("accessioned", "forwarded")))
        .order_by(DonationLine.id)
    )


@dataclass(frozen=True)
class OpenDonation:
    """A donation at this branch whose box is not done: books wait for a decision, or none
    was scanned yet (staff signed out, or the app closed, in the middle of the intake)."""

    donation: Donation
    waiting: int  # books without a decision
    books: int


def unfinished_donations(ctx: ServiceContext, donor: Donor | None = None) -> list[OpenDonation]:
    """The branch's unfinished donations (of ``donor`` only, when given), oldest first."""
    waiting = pw.fn.SUM(pw.Case(None, [(DonationLine.decision == "pending", 1)], 0))
    query = (
        Donation.select(Donation, pw.fn.COUNT(DonationLine.id).alias("books"), waiting.alias("waiting"))
        .join(DonationLine, pw.JOIN.LEFT_OUTER)
        .where(Donation.branch == ctx.branch)
        .group_by(Donation.id)
        .having((pw.fn.COUNT(DonationLine.id) == 0) | (waiting > 0))
        .order_by(Donation.received_on, Donation.id)
    )
    if donor is not None:
        query = query.where(Donation.donor == donor)
    return [OpenDonation(d, int(d.waiting or 0), d.books) for d in query]


def check_finished(donation: Donation) -> None:
    """A donation is finished when every book has its decision."""
    pending = DonationLine.select().where(
        (DonationLine.donation == donation) & (DonationLine.decision == "pending")
    ).count()
    if pending:
        raise RuleViolation("Books still waiting for a decision: {count}. Decide each one first.", count=pending)


@dataclass(frozen=True)
class DonationStats:
    month: str  # YYYY-MM
    donor_kind: str
    donations: int
    donors: int
    books: int
    accessioned: int
    forwarded: int
    declined: int
    value_cents: int  # estimated value of the accessioned copies


def donation_statistics(start: dt.date, end: dt.date) -> list[DonationStats]:
    """Donations received from ``start`` to ``end`` (inclusive), by month and donor kind."""
    month = pw.fn.strftime("%Y-%m", Donation.received_on)

    def count(decision: str) -> pw.Expression:
        return pw.fn.COALESCE(pw.fn.SUM(pw.Case(None, [(DonationLine.decision == decision, 1)], 0)), 0)

    rows = (
        Donation.select(
            month.alias("month"),
            Donor.kind.alias("kind"),
            pw.fn.COUNT(Donation.id.distinct()).alias("donations"),
            pw.fn.COUNT(Donor.id.distinct()).alias("donors"),
            pw.fn.COUNT(DonationLine.id).alias("books"),
            count("accessioned").alias("accessioned"),
            count("forwarded").alias("forwarded"),
            count("declined").alias("declined"),
            pw.fn.COALESCE(
                pw.fn.SUM(pw.Case(None, [(DonationLine.decision == "accessioned", DonationLine.estimated_value_cents)], 0)),
                0,
            ).alias("value"),
        )
        .join(Donor, on=(Donation.donor == Donor.id))
        .switch(Donation)
        .join(DonationLine, pw.JOIN.LEFT_OUTER, on=(DonationLine.donation == Donation.id))
        .where(Donation.received_on.between(start, end))
        .group_by(month, Donor.kind)
        .order_by(month, Donor.kind)
        .tuples()
    )
    return [DonationStats(*row) for row in rows]



def certificate_for(ctx: ServiceContext, donation: Donation, language: str | None = None) -> Certificate:
    """The thank-you for a finished donation: the books the library accepted (kept or passed on)."""
    check_finished(donation)
    books = [
        CertificateBook(
            # A book passed on unopened may be known by its ISBN alone: the row still says which.
            (line.bib.title if line.bib_id else line.title) or f"ISBN {hyphenate(line.isbn)}",
            line.bib.author if line.bib_id else "",
        )
        for line in accepted_lines(donation)
    ]
    return Certificate(
        library_name=ctx.branch.library_name or ctx.branch.name,
        donor_name=donation.donor.name,
        received_on=donation.received_on,
        books=books,
        number=certificate_number(ctx, donation),
        issued_on=ctx.clock.today(),
        language=language or get_setting("certificate_language"),
    )


def certificate_number(ctx: ServiceContext, donation: Donation) -> str:
    return f"{ctx.branch.code}-{donation.received_on:%Y%m%d}-{donation.id[-4:].upper()}"


_CERTIFICATE_NUMBER = re.compile(r"^\s*([\w-]+?)-(\d{8})-([0-9A-Fa-f]{4})\s*$")


def donation_for_certificate(
    ctx: ServiceContext, *, number: str | None = None, donor: str | None = None, received_on: dt.date | None = None
) -> Donation:
    """The finished donation a certificate is reprinted for: by the number printed on the
    first one, or by the donor's name (and the day, when they gave more than once)."""
    query = Donation.select(Donation, Donor).join(Donor).where(Donation.branch == ctx.branch)
    if number is not None:
        match = _CERTIFICATE_NUMBER.match(number)
        if match is None or match.group(1).upper() != ctx.branch.code.upper():
            raise ValidationError(
                "{number} is not a certificate number of this branch (like {example}).",
                number=number,
                example=f"{ctx.branch.code}-20261110-3FA2",
            )
        day = dt.datetime.strptime(match.group(2), "%Y%m%d").date()
        query = query.where((Donation.received_on == day) & Donation.id.endswith(match.group(3).lower()))
    else:
        query = query.where(Donor.name == (donor or "").strip())
        if received_on is not None:
            query = query.where(Donation.received_on == received_on)
    found = [d for d in query.order_by(Donation.received_on) if accepted_lines(d)]
    if not found:
        raise NotFound(
            "No donation with books accepted matches {what}.",
            what=number or " ".join(str(part) for part in (donor, received_on) if part),
        )
    if len(found) > 1:
        listed = join_clauses(
            f"{certificate_number(ctx, d)} ({d.received_on:%Y-%m-%d}, {len(accepted_lines(d))})" for d in found
        )
        raise ValidationError(
            "{donor} gave more than once: {listed}. Say which with its number or its date.",
            donor=found[0].donor.name,
            listed=listed,
        )
    return found[0]


def accessioned_items(donation: Donation) -> list[Item]:
    """The copies this donation added here, for their spine and barcode labels."""
    return list(
        Item.select(Item, Bib)
        .join(Bib)
        .switch(Item)
        .join(DonationLine, on=(DonationLine.item == Item.id))
        .where(DonationLine.donation == donation)
        .order_by(Item.barcode)
    )
