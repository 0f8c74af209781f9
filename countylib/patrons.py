"""Readers: registration (办证), the life of a card, PINs, and what staff may see of them.

Every step of a card's life is a CardEvent row and a sync event, written in the same
transaction. Full ID numbers never leave this module except through ``show_id_number``
(librarians and admins, audited); events carry only the keyed hash and the masked form,
and addresses and notes stay in this branch's database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import peewee as pw

from countylib import dates
from countylib.audit import record_audit
from countylib.auth import hash_password, verify_password
from countylib.context import ServiceContext, service
from countylib.errors import AuthenticationFailed, NotFound, RuleViolation, ValidationError
from countylib.i18n import N_, _, format_date, join_list
from countylib.idnumbers import NO_ID, RESIDENT_ID, check_id_number, check_resident_id, id_number_hash, last_four, mask
from countylib.roles import LIBRARIAN, VOLUNTEER
from countylib.settings import SettingSpec, get_setting, register_settings
from models import CardEvent, Hold, Loan, Patron, Setting

CATEGORY_LABELS = {
    "adult": N_("Adult"),
    "child": N_("Child"),
    "student": N_("Student"),
    "senior": N_("Senior"),
    "staff": N_("Staff"),
}
STATUS_LABELS = {
    "active": N_("Valid"),
    "suspended": N_("Suspended"),
    "returned": N_("Card returned"),
    "erased": N_("Erased"),
}
GENDER_LABELS = {"M": N_("Male"), "F": N_("Female"), "": N_("Not given")}
CARD_EVENT_LABELS = {
    "issued": N_("Card issued"),
    "renewed": N_("Renewed"),
    "suspended": N_("Suspended"),
    "unsuspended": N_("Suspension lifted"),
    "replaced": N_("Card replaced"),
    "returned": N_("Card returned"),
    "erased": N_("Personal data erased"),
}
# The reasons feed the annual report by code; labels are msgids, shown translated.
DEFAULT_RETURN_REASONS = [
    {"code": "moved", "label": N_("Moved away")},
    {"code": "too_far", "label": N_("Lives too far from the library")},
    {"code": "books_not_found", "label": N_("Cannot find the books wanted")},
    {"code": "few_new_books", "label": N_("Not enough new books")},
    {"code": "other_library", "label": N_("Has another library's card")},
    {"code": "other", "label": N_("Other")},
]
OTHER_REASON = "other"
# Replacements keep the code as their reason.
REPLACE_REASONS = {"lost": N_("Lost"), "damaged": N_("Damaged"), "stolen": N_("Stolen")}

register_settings(
    SettingSpec("patron_categories", list(CATEGORY_LABELS), N_("Patron categories")),
    SettingSpec("guardian_age", 14, N_("Readers younger than this need a guardian")),
    SettingSpec("child_category", "child", N_("Category of readers who need a guardian")),
    SettingSpec("card_validity_years", 3, N_("Years a new or renewed card is valid")),
    SettingSpec("expiring_soon_days", 30, N_("Cards expiring within this many days count as expiring soon"), LIBRARIAN),
    SettingSpec(
        "patron_retention_days", 180, N_("Days after a card is returned before the reader's personal data is erased")
    ),
    SettingSpec("card_return_reasons", DEFAULT_RETURN_REASONS, N_("Reasons for returning a card")),
    SettingSpec("card_number_next", 1, N_("Next number in this branch's card sequence")),
)

ERASED_NAME = "已注销读者"
MAX_NAME = 50
MAX_ADDRESS = 200
MAX_NOTES = 1000
CARD_NUMBER = re.compile(r"^[A-Z0-9]{4,32}$")
PIN = re.compile(r"^\d{4,12}$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
# Surnames whose reading differs from the character's everyday one: 曾 is zēng, not céng.
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "朴": "piao", "区": "ou", "查": "zha",
    "盖": "ge", "乐": "yue", "缪": "miao", "覃": "qin", "尉": "yu", "员": "yun", "召": "shao",
    "种": "chong", "秘": "bi", "句": "gou", "繁": "po", "长": "chang",
}


# -- small helpers everyone may use ------------------------------------------------------


def category_label(code: str) -> str:
    return _(CATEGORY_LABELS[code]) if code in CATEGORY_LABELS else code


def status_label(code: str) -> str:
    return _(STATUS_LABELS.get(code, code))


def card_status_label(status: str, expiry: dt.date | None, today: dt.date) -> str:
    """The status as staff need it: an active card past its expiry date lends nothing."""
    if status == "active" and expiry and expiry < today:
        return _("Expired")
    return status_label(status)


def card_event_reason(kind: str, reason_code: str, reason: str) -> str:
    """A card event's reason in the current language. A coded return keeps its reason's
    label as written (a msgid for the built-in ones), a replacement its code; words typed
    for "other", a suspension or a renewal show as typed."""
    if kind == "returned" and reason_code != OTHER_REASON and reason:
        return _(reason)
    if kind == "replaced" and reason in REPLACE_REASONS:
        return _(REPLACE_REASONS[reason])
    return reason


def categories() -> list[str]:
    return list(get_setting("patron_categories"))


@dataclass(frozen=True)
class ReturnReason:
    code: str
    label: str  # translated

    @property
    def needs_text(self) -> bool:
        return self.code == OTHER_REASON


def return_reasons() -> list[ReturnReason]:
    """The reasons kept as data (Setting card_return_reasons), labels translated."""
    reasons = []
    for reason in get_setting("card_return_reasons"):
        label = reason["label"]  # a msgid for the built-in reasons; added ones show as typed
        reasons.append(ReturnReason(reason["code"], _(label)))
    return reasons


def name_pinyin(name: str) -> tuple[str, str]:
    """Full pinyin and initials, lower case without spaces: 张三丰 → ("zhangsanfeng", "zsf").

    Latin-script names give their letters and the first letter of each word.
    """
    from pypinyin import Style, lazy_pinyin  # 0.3 s to import: only when a name is spelt
    syllables: list[str] = []
    for index, part in enumerate(lazy_pinyin(name, style=Style.NORMAL, errors=lambda s: s.split())):
        if index == 0 and name[:1] in SURNAME_READINGS:
            part = SURNAME_READINGS[name[0]]
        cleaned = re.sub(r"[^a-z0-9]", "", part.lower())
        if cleaned:
            syllables.append(cleaned)
    return "".join(syllables), "".join(s[0] for s in syllables)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def normalize_phone(phone: str) -> str:
    phone = re.sub(r"[\s()]", "", phone or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    digits = phone.replace("-", "")
    return digits if MOBILE.match(digits) else phone


def check_phone(phone: str, *, required: bool, field_name: str = "phone") -> str:
    phone = normalize_phone(phone)
    if not phone:
        if required:
            raise _invalid(field_name, "The phone number is required.")
        return ""
    if not (MOBILE.match(phone) or LANDLINE.match(phone)):
        raise _invalid(
            field_name,
            "{phone} is not a mobile number (11 digits starting with 1) or a landline with its area code (e.g. 0516-83881234).",
            phone=phone,
        )
    return phone


def parse_yuan(text: str, field_name: str = "deposit") -> int:
    """An amount typed in yuan ("20", "12.50", "¥5") as fen."""
    cleaned = (text or "").strip().lstrip("¥￥").replace(",", "")
    if not cleaned:
        return 0
    if not re.fullmatch(r"\d+(\.\d{1,2})?", cleaned):
        raise _invalid(field_name, "{value} is not an amount in yuan, e.g. 20 or 12.50.", value=text.strip())
    yuan, _dot, fen = cleaned.partition(".")
    return int(yuan) * 100 + int((fen + "00")[:2])


def parse_date(text: str, field_name: str) -> dt.date | None:
    """A typed date (blank is None); a refusal names the form field it is about."""
    try:
        return dates.parse_date(text)
    except ValidationError as exc:
        exc.field = field_name  # type: ignore[attr-defined]
        raise


def _invalid(field_name: str, msgid: str, **params: object) -> ValidationError:
    """A ValidationError that knows which form field it is about (the form focuses it)."""
    exc = ValidationError(msgid, **params)
    exc.field = field_name  # type: ignore[attr-defined]
    return exc


def iso_utc(value: dt.datetime | None) -> str | None:
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def iso_date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def get_patron(patron_id: str) -> Patron:
    patron = Patron.get_or_none(Patron.id == patron_id)
    if patron is None:
        raise NotFound("No reader with this record number.")
    return patron


# -- the form --------------------------------------------------------------------------


@dataclass
class PatronForm:
    """What the registration form (and each imported row) provides, as typed."""

    name: str = ""
    gender: str = ""  # M, F or blank: filled from a resident ID number
    id_type: str = RESIDENT_ID
    id_number: str = ""  # editing: blank keeps the stored number
    birth_date: dt.date | None = None  # filled from a resident ID number
    phone: str = ""
    address: str = ""
    category: str = ""  # blank: child for those who need a guardian, else adult
    expiry_date: dt.date | None = None  # blank: today + card_validity_years
    deposit_cents: int = 0
    notes: str = ""
    consent: bool = False
    card_number: str = ""  # a scanned pre-printed card; blank: the next in the sequence
    pin: str = ""  # blank: the birth date YYYYMMDD
    guardian_id: str | None = None  # an existing reader...
    guardian_name: str = ""  # ...or the guardian's details typed in
    guardian_phone: str = ""
    guardian_id_number: str = ""


def default_expiry(today: dt.date) -> dt.date:
    years = int(get_setting("card_validity_years"))
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)


def needs_guardian(birth: dt.date | None, today: dt.date) -> bool:
    return birth is not None and age_on(birth, today) < int(get_setting("guardian_age"))


def validate_form(ctx: ServiceContext, form: PatronForm, existing: Patron | None = None) -> dict:
    """Check a form as the rules say; returns the Patron field values or raises (with .field)."""
    today = ctx.clock.today()
    name = " ".join(form.name.split())
    if not name:
        raise _invalid("name", "The name is required.")
    if len(name) > MAX_NAME:
        raise _invalid("name", "The name is too long (at most {n} characters).", n=MAX_NAME)
    if form.gender not in GENDER_LABELS:
        raise _invalid("gender", "Unknown sex {gender}.", gender=form.gender)

    number = form.id_number
    if existing is not None and not number.strip() and form.id_type == existing.id_type:
        number = existing.id_number
    try:
        facts = check_id_number(form.id_type, number, today)
    except ValidationError as exc:
        exc.field = "id_number"  # type: ignore[attr-defined]
        raise

    birth, gender = form.birth_date, form.gender
    if facts.birth_date is not None:
        if birth is not None and birth != facts.birth_date:
            raise _invalid(
                "birth_date",
                "The birth date {typed} does not match the ID number ({from_id}).",
                typed=birth.isoformat(),
                from_id=facts.birth_date.isoformat(),
            )
        if gender and gender != facts.gender:
            raise _invalid("gender", "The sex does not match the ID number (its 17th digit).")
        birth, gender = facts.birth_date, facts.gender
    if birth is None:
        raise _invalid("birth_date", "The birth date is required.")
    if birth > today:
        raise _invalid("birth_date", "The birth date {date} is in the future.", date=birth.isoformat())
    if birth.year < 1900:
        raise _invalid("birth_date", "The birth date {date} is too long ago.", date=birth.isoformat())

    child = needs_guardian(birth, today)
    if form.id_type == NO_ID and not child:
        raise _invalid(
            "id_type",
            "Only children younger than {age} may register without an ID document.",
            age=int(get_setting("guardian_age")),
        )
    phone = check_phone(form.phone, required=not child)
    address = " ".join(form.address.split())
    if len(address) > MAX_ADDRESS:
        raise _invalid("address", "The address is too long (at most {n} characters).", n=MAX_ADDRESS)
    category = form.category or (get_setting("child_category") if child else "adult")
    if category not in categories():
        raise _invalid("category", "Unknown reader category {category}.", category=category)

    guardian = _guardian_fields(ctx, form, child, existing)
    expiry = form.expiry_date or (existing.expiry_date if existing is not None else None) or default_expiry(today)
    if existing is None and expiry <= today:
        raise _invalid("expiry_date", "The card's expiry date must be after today.")
    if form.deposit_cents < 0:
        raise _invalid("deposit", "The deposit cannot be negative.")
    if existing is None and not form.consent:
        raise _invalid("consent", "The reader must agree to the privacy notice before a card is issued.")
    notes = form.notes.strip()
    if len(notes) > MAX_NOTES:
        raise _invalid("notes", "The notes are too long (at most {n} characters).", n=MAX_NOTES)

    return {
        "name": name,
        "gender": gender,
        "id_type": form.id_type,
        "id_number": facts.number,
        "id_number_hash": id_number_hash(facts.number),
        "id_number_masked": mask(facts.number),
        "id_last4": last_four(facts.number),
        "birth_date": birth,
        "phone": phone,
        "address": address,
        "category": category,
        "expiry_date": expiry,
        "deposit_cents": form.deposit_cents,
        "notes": notes,
        **guardian,
    }


def _guardian_fields(ctx: ServiceContext, form: PatronForm, child: bool, existing: Patron | None) -> dict:
    none = {"guardian": None, "guardian_name": "", "guardian_phone": "", "guardian_id_number": ""}
    if not child:
        return none
    if form.guardian_id:
        guardian = Patron.get_or_none(Patron.id == form.guardian_id)
        if guardian is None or guardian.status in ("returned", "erased"):
            raise _invalid("guardian", "The guardian must be a reader with a valid card.")
        if existing is not None and guardian.id == existing.id:
            raise _invalid("guardian", "A reader cannot be their own guardian.")
        if needs_guardian(guardian.birth_date, ctx.clock.today()):
            raise _invalid("guardian", "{name} is a child and cannot be a guardian.", name=guardian.name)
        return {**none, "guardian": guardian.id}
    name = " ".join(form.guardian_name.split())
    if not name:
        raise _invalid(
            "guardian_name",
            "A reader younger than {age} needs a guardian: choose a registered reader or type the guardian's name and phone.",
            age=int(get_setting("guardian_age")),
        )
    phone = check_phone(form.guardian_phone, required=True, field_name="guardian_phone")
    number = form.guardian_id_number.strip()
    if not number and existing is not None:
        number = existing.guardian_id_number
    if number:
        try:
            number = check_resident_id(number, ctx.clock.today()).number
        except ValidationError as exc:
            exc.field = "guardian_id_number"  # type: ignore[attr-defined]
            raise
    return {**none, "guardian_name": name, "guardian_phone": phone, "guardian_id_number": number}


# -- duplicates --------------------------------------------------------------------------


class DuplicatePatron(RuleViolation):
    """The same ID number is already registered at this branch."""

    def __init__(self, msgid: str, /, patron: Patron, **params: object) -> None:
        super().__init__(msgid, card=patron.card_number, name=patron.name, **params)
        self.patron_id = patron.id
        self.card_number = patron.card_number


@dataclass(frozen=True)
class Match:
    patron_id: str
    card_number: str
    name: str
    why: str  # translated


class PossibleDuplicate(RuleViolation):
    """Someone very like this reader exists; staff confirm before a second card is issued."""

    def __init__(self, msgid: str, /, matches: list[Match]) -> None:
        super().__init__(msgid, cards=join_list(f"{m.card_number} {m.name} ({m.why})" for m in matches))
        self.matches = matches


def _refuse_duplicate_id(ctx: ServiceContext, clean: dict, exclude: str | None = None) -> None:
    if not clean["id_number_hash"]:
        return
    query = Patron.select().where(
        Patron.id_number_hash == clean["id_number_hash"],
        Patron.home_branch == ctx.branch,
        Patron.status != "erased",
    )
    if exclude:
        query = query.where(Patron.id != exclude)
    found = query.first()
    if found is not None:
        raise DuplicatePatron(
            N_("This ID number is already registered here: card {card} ({name}). Open that record instead."),
            patron=found,
        )


def possible_duplicates(ctx: ServiceContext, clean: dict, exclude: str | None = None) -> list[Match]:
    """Same ID at another branch, or the same name with the same phone or birth date."""
    matches: dict[str, Match] = {}
    live = (Patron.status != "erased") & (Patron.id != (exclude or ""))

    def add(query, why: str) -> None:
        for p in query.limit(5):
            matches.setdefault(p.id, Match(p.id, p.card_number, p.name, why))

    if clean["id_number_hash"]:
        add(
            Patron.select().where(live, Patron.id_number_hash == clean["id_number_hash"], Patron.home_branch != ctx.branch),
            _("same ID number, another branch"),
        )
    if clean["phone"]:
        add(Patron.select().where(live, Patron.name == clean["name"], Patron.phone == clean["phone"]), _("same name and phone"))
    add(
        Patron.select().where(live, Patron.name == clean["name"], Patron.birth_date == clean["birth_date"]),
        _("same name and birth date"),
    )
    return list(matches.values())


# -- card numbers and PINs ------------------------------------------------------------------


def replacements_of(number: str) -> pw.ModelSelect:
    """The CardEvents that replaced this card number (the partial index needs both terms)."""
    return CardEvent.select().where(CardEvent.old_card_number == number, CardEvent.old_card_number != "")


def card_number_blocked(number: str) -> bool:
    """A number once replaced (lost, stolen) is never valid again."""
    return replacements_of(number).exists()


def _check_new_card_number(number: str) -> str:
    number = number.strip().upper()
    if not CARD_NUMBER.match(number):
        raise _invalid("card_number", "A card number is 4 to 32 letters and digits; {card} is not.", card=number)
    holder = Patron.get_or_none(Patron.card_number == number)
    if holder is not None:
        raise _invalid("card_number", "Card {card} already belongs to {name}.", card=number, name=holder.name)
    if card_number_blocked(number):
        raise _invalid("card_number", "Card {card} was replaced as lost and is blocked for good; use another card.", card=number)
    return number


def allocate_card_number(ctx: ServiceContext) -> str:
    """The next free number of this branch's sequence (HX0100001 ...); call inside a service.

    The service's IMMEDIATE transaction holds the write lock, so two desks never get the
    same number; numbers taken by pre-printed cards are skipped.
    """
    n = int(get_setting("card_number_next"))
    while True:
        number = f"{ctx.branch.code}{n:05d}"
        n += 1
        if not Patron.select().where(Patron.card_number == number).exists() and not card_number_blocked(number):
            break
    Setting.insert(key="card_number_next", value=n).on_conflict_replace().execute()
    return number


def _pin_hash(pin: str, birth: dt.date | None) -> str:
    pin = pin.strip()
    if pin:
        if not PIN.match(pin):
            raise _invalid("pin", "A PIN is 4 to 12 digits.")
        return hash_password(pin)
    if birth is None:
        raise _invalid("pin", "There is no birth date to make the first PIN from; choose a PIN.")
    return hash_password(birth.strftime("%Y%m%d"))


# -- events ------------------------------------------------------------------------------


def registered_payload(patron: Patron) -> dict:
    """docs/events.md patron.registered: no full ID number, no address."""
    return {
        "id": patron.id,
        "card_number": patron.card_number,
        "name": patron.name,
        "gender": patron.gender,
        "id_type": patron.id_type,
        "id_number_hash": patron.id_number_hash,
        "id_number_masked": patron.id_number_masked,
        "birth_date": iso_date(patron.birth_date),
        "phone": patron.phone,
        "category": patron.category,
        "home_branch": patron.home_branch.code,
        "status": patron.status,
        "expiry_date": iso_date(patron.expiry_date),
        "registered_at": iso_utc(patron.registered_at),
        "guardian_id": patron.guardian_id,
    }


# Fields that sync (as in patron.registered); address, notes and deposit stay local.
SYNCED_FIELDS = ("name", "gender", "id_type", "id_number_hash", "id_number_masked", "birth_date", "phone", "category", "guardian")


def _card_event(ctx: ServiceContext, patron: Patron, kind: str, **fields) -> CardEvent:
    return CardEvent.create(
        patron=patron,
        kind=kind,
        card_number=fields.pop("card_number", patron.card_number),
        at=ctx.clock.utcnow(),
        staff=ctx.actor.staff_id,
        **fields,
    )


# -- registration and edits ----------------------------------------------------------------


@service(LIBRARIAN)
def register_patron(ctx: ServiceContext, form: PatronForm, *, accept_possible_duplicates: bool = False) -> Patron:
    """Issue a card (办证). Refuses a second card for one ID number at this branch; asks
    (PossibleDuplicate) when someone with the same name and phone or birth date exists."""
    clean = validate_form(ctx, form)
    scanned = _check_new_card_number(form.card_number) if form.card_number.strip() else ""
    pin_hash = _pin_hash(form.pin, clean["birth_date"])
    _refuse_duplicate_id(ctx, clean)
    if not accept_possible_duplicates:
        matches = possible_duplicates(ctx, clean)
        if matches:
            raise PossibleDuplicate(N_("This reader may already have a card: {cards}."), matches)
    card = scanned or allocate_card_number(ctx)
    full, initials = name_pinyin(clean["name"])
    now = ctx.clock.utcnow()
    patron = Patron.create(
        card_number=card,
        name_pinyin=full,
        name_initials=initials,
        home_branch=ctx.branch,
        status="active",
        consent_at=now,
        pin_hash=pin_hash,
        registered_at=now,
        updated_at=now,
        **clean,
    )
    _card_event(ctx, patron, "issued", amount_cents=clean["deposit_cents"])
    ctx.record("patron.registered", {"patron": registered_payload(patron)})
    return patron


@service(LIBRARIAN)
def update_patron(ctx: ServiceContext, patron_id: str, form: PatronForm) -> Patron:
    """Change a reader's details; a blank ID number keeps the stored one."""
    patron = get_patron(patron_id)
    if patron.status == "erased":
        raise RuleViolation("This reader's personal data has been erased; it cannot be edited.")
    clean = validate_form(ctx, form, existing=patron)
    del clean["expiry_date"]  # only renew_card moves the expiry: it leaves a CardEvent
    _refuse_duplicate_id(ctx, clean, exclude=patron.id)
    changed = {
        name: value
        for name, value in clean.items()
        if value != (patron.guardian_id if name == "guardian" else getattr(patron, name))
    }
    if not changed:
        return patron
    if "name" in changed:
        changed["name_pinyin"], changed["name_initials"] = name_pinyin(changed["name"])
    for name, value in changed.items():
        setattr(patron, name, value)
    patron.updated_at = ctx.clock.utcnow()
    patron.save()
    if "id_number" in changed or "id_type" in changed:
        record_audit(ctx, "patron.id_changed", "patron", patron.id, masked=patron.id_number_masked)
    synced = {
        ("guardian_id" if name == "guardian" else name): (iso_date(value) if isinstance(value, dt.date) else value)
        for name, value in changed.items()
        if name in SYNCED_FIELDS
    }
    if synced:
        ctx.record("patron.updated", {"patron_id": patron.id, "card_number": patron.card_number, "changes": synced})
    return patron


# -- a card's life ----------------------------------------------------------------------------


def _require_status(patron: Patron, *allowed: str) -> None:
    if patron.status not in allowed:
        raise RuleViolation(
            "Card {card} is {status}; this cannot be done now.", card=patron.card_number, status=status_label(patron.status)
        )


@service(LIBRARIAN)
def renew_card(ctx: ServiceContext, patron_id: str, until: dt.date | None = None) -> Patron:
    """Extend the expiry: to ``until``, or by the validity period from today or the old expiry."""
    patron = get_patron(patron_id)
    _require_status(patron, "active", "suspended")
    today = ctx.clock.today()
    new_expiry = until or default_expiry(max(today, patron.expiry_date or today))
    if new_expiry <= today:
        raise ValidationError("The new expiry date must be after today.")
    # Renewing never shortens a card: a typo in the year would otherwise end it years early.
    if patron.expiry_date and new_expiry <= patron.expiry_date:
        raise ValidationError(
            "The card is already valid until {date}; choose a later date to renew it.",
            date=format_date(patron.expiry_date),
        )
    patron.expiry_date = new_expiry
    patron.updated_at = ctx.clock.utcnow()
    patron.save()
    _card_event(ctx, patron, "renewed", reason=new_expiry.isoformat())
    ctx.record(
        "patron.renewed", {"patron_id": patron.id, "card_number": patron.card_number, "expiry_date": iso_date(new_expiry)}
    )
    return patron


@service(LIBRARIAN)
def suspend_patron(ctx: ServiceContext, patron_id: str, reason: str) -> Patron:
    """Stop a card from borrowing (e.g. long overdue, damaged books) until lifted."""
    patron = get_patron(patron_id)
    _require_status(patron, "active")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Please give the reason for the suspension.")
    return _set_status(ctx, patron, "suspended", "patron.suspended", reason)


@service(LIBRARIAN)
def unsuspend_patron(ctx: ServiceContext, patron_id: str, reason: str = "") -> Patron:
    patron = get_patron(patron_id)
    _require_status(patron, "suspended")
    return _set_status(ctx, patron, "active", "patron.unsuspended", reason.strip())


def _set_status(ctx: ServiceContext, patron: Patron, status: str, event: str, reason: str) -> Patron:
    patron.status = status
    patron.updated_at = ctx.clock.utcnow()
    patron.save()
    _card_event(ctx, patron, "suspended" if status == "suspended" else "unsuspended", reason=reason)
    ctx.record(event, {"patron_id": patron.id, "card_number": patron.card_number, "reason": reason})
    return patron


@service(LIBRARIAN)
def replace_card(
    ctx: ServiceContext, patron_id: str, new_card_number: str = "", *, fee_cents: int = 0, reason: str = ""
) -> Patron:
    """补证: a new card for a lost or damaged one. The old number is blocked for good; loans
    and holds belong to the reader, so they follow to the new card."""
    patron = get_patron(patron_id)
    _require_status(patron, "active", "suspended")
    if fee_cents < 0:
        raise ValidationError("The fee cannot be negative.")
    old = patron.card_number
    new = _check_new_card_number(new_card_number) if new_card_number.strip() else allocate_card_number(ctx)
    patron.card_number = new
    patron.updated_at = ctx.clock.utcnow()
    patron.save()
    _card_event(ctx, patron, "replaced", card_number=new, old_card_number=old, amount_cents=fee_cents, reason=reason.strip())
    ctx.record("patron.card_replaced", {"patron_id": patron.id, "old_card_number": old, "card_number": new})
    return patron


def open_loan_count(patron: Patron) -> int:
    return Loan.select().where(Loan.patron == patron, Loan.checked_in_at.is_null()).count()


def open_hold_count(patron: Patron) -> int:
    return Hold.select().where(Hold.patron == patron, Hold.status.in_(("waiting", "ready"))).count()


@service(LIBRARIAN)
def return_card(
    ctx: ServiceContext,
    patron_id: str,
    reason_code: str,
    reason_text: str = "",
    *,
    deposit_refund_cents: int | None = None,
) -> Patron:
    """退证: only with every book back and no holds waiting. The deposit refund is recorded;
    personal data is erased once the retention period has passed."""
    patron = get_patron(patron_id)
    _require_status(patron, "active", "suspended")
    loans = open_loan_count(patron)
    if loans:
        raise RuleViolation(
            "{name} still has {n} book(s) on loan; the card can be returned when they are back.", name=patron.name, n=loans
        )
    if open_hold_count(patron):
        raise RuleViolation("{name} has holds waiting; cancel them at the desk first.", name=patron.name)
    reasons = {r.code: r for r in return_reasons()}
    if reason_code not in reasons:
        raise ValidationError("Please choose why the card is returned.")
    reason = reason_text.strip()
    if reasons[reason_code].needs_text and not reason:
        raise ValidationError("Please describe the reason.")
    reason = reason or next(r["label"] for r in get_setting("card_return_reasons") if r["code"] == reason_code)
    refund = patron.deposit_cents if deposit_refund_cents is None else deposit_refund_cents
    if not 0 <= refund <= patron.deposit_cents:
        raise ValidationError(
            "The refund must be between 0 and the deposit held ({deposit} yuan).", deposit=f"{patron.deposit_cents / 100:.2f}"
        )
    patron.status = "returned"
    patron.deposit_cents = 0
    patron.updated_at = ctx.clock.utcnow()
    patron.save()
    _card_event(ctx, patron, "returned", reason_code=reason_code, reason=reason, amount_cents=refund)
    ctx.record(
        "patron.card_returned",
        {
            "patron_id": patron.id,
            "card_number": patron.card_number,
            "reason_code": reason_code,
            "reason": reason,
            "deposit_refund_cents": refund,
        },
    )
    return patron


# -- PINs for the self-service catalogue --------------------------------------------------------


@service(LIBRARIAN)
def reset_pin(ctx: ServiceContext, patron_id: str, new_pin: str = "") -> None:
    """Back to the birth date (or a chosen PIN), when a reader has forgotten theirs."""
    patron = get_patron(patron_id)
    _require_status(patron, "active", "suspended")
    patron.pin_hash = _pin_hash(new_pin, patron.birth_date)
    patron.save()
    record_audit(ctx, "patron.pin_reset", "patron", patron.id, to_birth_date=not new_pin.strip())


def verify_pin(card_number: str, pin: str) -> Patron | None:
    """The reader whose card and PIN these are, or None."""
    patron = Patron.get_or_none(Patron.card_number == card_number.strip().upper())
    if patron is None or patron.status not in ("active", "suspended") or not patron.pin_hash:
        return None
    return patron if verify_password(pin.strip(), patron.pin_hash) else None


@service(VOLUNTEER)
def change_pin(ctx: ServiceContext, card_number: str, old_pin: str, new_pin: str) -> None:
    """The reader changes their own PIN (old one required)."""
    patron = verify_pin(card_number, old_pin)
    if patron is None:
        raise AuthenticationFailed("Wrong card number or PIN.")
    if not new_pin.strip():
        raise ValidationError("Type the new PIN.")
    patron.pin_hash = _pin_hash(new_pin, patron.birth_date)
    patron.save()
    record_audit(ctx, "patron.pin_changed", "patron", patron.id)


# -- what staff see ---------------------------------------------------------------------------


@service(LIBRARIAN)
def show_id_number(ctx: ServiceContext, patron_id: str) -> str:
    """The full ID number, for librarians and admins only; every showing is audited."""
    patron = get_patron(patron_id)
    record_audit(ctx, "patron.id_viewed", "patron", patron.id, card=patron.card_number)
    return patron.id_number


@dataclass(frozen=True)
class CardHistoryLine:
    at: dt.datetime  # naive UTC
    kind: str
    label: str  # translated
    card_number: str
    old_card_number: str
    reason: str
    amount_cents: int


@dataclass(frozen=True)
class PatronDetails:
    """A reader as the signed-in staff member may see them: volunteers get no ID or address."""

    id: str
    card_number: str
    name: str
    gender: str
    category: str
    status: str
    birth_date: dt.date | None
    phone: str
    expiry_date: dt.date | None
    deposit_cents: int
    notes: str
    registered_at: dt.datetime
    consent_at: dt.datetime | None
    id_type: str
    id_number_masked: str | None  # None: not for this role
    address: str | None  # None: not for this role
    guardian_id: str | None
    guardian_name: str
    guardian_phone: str
    guardian_card: str
    open_loans: int
    overdue_loans: int
    open_holds: int
    history: list[CardHistoryLine] = field(default_factory=list)

    @property
    def may_see_private(self) -> bool:
        return self.address is not None


def patron_details(ctx: ServiceContext, patron_id: str) -> PatronDetails:
    """One reader for the detail view (a read: no transaction, nothing audited)."""
    patron = get_patron(patron_id)
    private = ctx.actor.at_least(LIBRARIAN)
    guardian = patron.guardian
    today = ctx.clock.today()
    open_loans = Loan.select().where(Loan.patron == patron, Loan.checked_in_at.is_null())
    history = [
        CardHistoryLine(
            e.at,
            e.kind,
            _(CARD_EVENT_LABELS.get(e.kind, e.kind)),
            e.card_number,
            e.old_card_number,
            card_event_reason(e.kind, e.reason_code, e.reason),
            e.amount_cents,
        )
        for e in patron.card_events.order_by(CardEvent.at.desc(), CardEvent.id.desc())
    ]
    return PatronDetails(
        id=patron.id,
        card_number=patron.card_number,
        name=patron.name,
        gender=patron.gender,
        category=patron.category,
        status=patron.status,
        birth_date=patron.birth_date,
        phone=patron.phone,
        expiry_date=patron.expiry_date,
        deposit_cents=patron.deposit_cents,
        notes=patron.notes,
        registered_at=patron.registered_at,
        consent_at=patron.consent_at,
        id_type=patron.id_type,
        id_number_masked=patron.id_number_masked if private else None,
        address=patron.address if private else None,
        guardian_id=patron.guardian_id,
        guardian_name=guardian.name if guardian else patron.guardian_name,
        guardian_phone=guardian.phone if guardian else patron.guardian_phone,
        guardian_card=guardian.card_number if guardian else "",
        open_loans=open_loans.count(),
        overdue_loans=open_loans.where(Loan.due_date < today).count(),
        open_holds=open_hold_count(patron),
        history=history,
    )


def form_for(ctx: ServiceContext, patron_id: str) -> PatronForm:
    """The edit form's starting values (librarians only); the ID number is left blank."""
    ctx.require(LIBRARIAN)
    p = get_patron(patron_id)
    return PatronForm(
        name=p.name,
        gender=p.gender,
        id_type=p.id_type,
        birth_date=p.birth_date,
        phone=p.phone,
        address=p.address,
        category=p.category,
        expiry_date=p.expiry_date,
        deposit_cents=p.deposit_cents,
        notes=p.notes,
        consent=p.consent_at is not None,
        card_number=p.card_number,
        guardian_id=p.guardian_id,
        guardian_name=p.guardian_name,
        guardian_phone=p.guardian_phone,
    )

