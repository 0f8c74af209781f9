"""Identity document numbers: checking them, masking them, and the keyed hash.

A resident ID number (居民身份证号码) is checked part by part — length and characters, the
region code, the birth date, the check digit — so staff learn which part was mistyped.
The full number is only stored for librarians to read (audited); everything that leaves
the database (events, lists, exports to other systems) carries the masked form and the
keyed hash, which finds duplicates without revealing the number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from stdnum import numdb
from stdnum.cn import ric

from countylib.errors import ValidationError
from countylib.i18n import N_
from models import Patron, Setting, Volunteer

RESIDENT_ID = "resident_id"
PASSPORT = "passport"
HMT_PERMIT = "hmt_permit"
FOREIGN_PERMANENT = "foreign_permanent"
NO_ID = "none"

ID_TYPE_LABELS = {
    RESIDENT_ID: N_("Resident ID card"),
    PASSPORT: N_("Passport"),
    HMT_PERMIT: N_("Hong Kong/Macao/Taiwan travel permit"),
    FOREIGN_PERMANENT: N_("Foreigner's permanent residence card"),
    NO_ID: N_("None (young child)"),
}
ID_TYPES = tuple(ID_TYPE_LABELS)

HASH_KEY_SETTING = "id_hash_key"
PREVIOUS_KEYS_SETTING = "id_hash_keys_before"
EARLIEST_BIRTH_YEAR = 1900

_PASSPORT = re.compile(r"^[A-Z0-9]{5,20}$")
# 港澳居民来往内地通行证 H/M + 8 or 10 digits; 台湾居民来往大陆通行证 8 or 10 digits.
_HMT_PERMIT = re.compile(r"^([HM]\d{8}(\d{2})?|\d{8}(\d{2})?)$")
# 2017 card: three letters (nationality) + 12 digits. 2023 card: 18 digits starting with 9.
_FOREIGN_2017 = re.compile(r"^[A-Z]{3}\d{12}$")


@dataclass(frozen=True)
class IdFacts:
    """What a checked number says: its normal form and, for resident IDs, birth date and sex."""

    number: str
    birth_date: dt.date | None = None
    gender: str = ""  # M, F or blank


def normalize(number: str) -> str:
    """Upper case, no spaces or dashes: the form stored, hashed and compared."""
    return re.sub(r"[\s\-]", "", number or "").upper()


def check_id_number(id_type: str, number: str, today: dt.date) -> IdFacts:
    """Check a number of the given type; a ValidationError says which part is wrong."""
    if id_type not in ID_TYPES:
        raise ValidationError("Unknown ID type {id_type}.", id_type=id_type)
    number = normalize(number)
    if id_type == NO_ID:
        if number:
            raise ValidationError("An ID number was typed but the ID type is 'none'; choose the document's type.")
        return IdFacts("")
    if not number:
        raise ValidationError("The ID number is missing.")
    if id_type == RESIDENT_ID:
        return check_resident_id(number, today)
    if id_type == PASSPORT:
        if not _PASSPORT.match(number):
            raise ValidationError("A passport number is 5 to 20 letters and digits; {number} is not.", number=number)
    elif id_type == HMT_PERMIT:
        if not _HMT_PERMIT.match(number):
            raise ValidationError(
                "A Hong Kong/Macao permit number is H or M and 8 or 10 digits; a Taiwan permit number is 8 or 10 digits."
            )
    elif id_type == FOREIGN_PERMANENT:
        if len(number) == 18 and number.startswith("9"):
            _check_characters_and_checksum(number)
        elif not _FOREIGN_2017.match(number):
            raise ValidationError(
                "A permanent residence card number is 3 letters and 12 digits (2017 card) or 18 digits starting with 9 (2023 card)."
            )
    return IdFacts(number)


def check_resident_id(number: str, today: dt.date) -> IdFacts:
    """A resident ID number, part by part: length, characters, region, birth date, check digit."""
    number = normalize(number)
    if len(number) == 15 and number.isdigit():
        raise ValidationError(
            "This is an old 15-digit ID number; please type the 18-digit number from the current card."
        )
    if len(number) != 18:
        raise ValidationError("A resident ID number has 18 characters; this one has {n}.", n=len(number))
    _check_characters(number)
    region = number[:6]
    # The region table records when counties were renamed; a person keeps the number they
    # were given, so any county that ever had this code is accepted.
    if not _region_known(region):
        raise ValidationError(
            "The region code {region} (the first 6 digits) is not a place in China; please check it.", region=region
        )
    try:
        birth = ric.get_birth_date(number)
    except Exception:  # noqa: BLE001 - stdnum raises its own InvalidComponent for 19900231 etc.
        raise ValidationError(
            "The birth date in the ID number ({digits}, digits 7 to 14) is not a real date.", digits=number[6:14]
        ) from None
    if birth > today:
        raise ValidationError(
            "The birth date in the ID number ({date}) is in the future.", date=birth.isoformat()
        )
    if birth.year < EARLIEST_BIRTH_YEAR:
        raise ValidationError(
            "The birth date in the ID number ({date}) is too long ago; please check digits 7 to 14.",
            date=birth.isoformat(),
        )
    expected = ric.calc_check_digit(number)
    if number[-1] != expected:
        raise ValidationError(
            "The check digit (the last character) does not match the rest of the number: a digit was probably mistyped."
        )
    return IdFacts(number, birth, "M" if int(number[16]) % 2 else "F")


def _region_known(region: str) -> bool:
    """A county-level code (all six digits) that the region table knows."""
    return any("county" in props for _part, props in numdb.get("cn/loc").info(region))


def _check_characters(number: str) -> None:
    for position, char in enumerate(number, start=1):
        allowed = char.isdigit() or (position == len(number) and char == "X")
        if not allowed:
            raise ValidationError(
                "Only digits are allowed (and X as the last character); found {char} at position {position}.",
                char=char,
                position=position,
            )


def _check_characters_and_checksum(number: str) -> None:
    _check_characters(number)
    if number[-1] != ric.calc_check_digit(number):
        raise ValidationError(
            "The check digit (the last character) does not match the rest of the number: a digit was probably mistyped."
        )


def mask(number: str) -> str:
    """3203**********123X: enough to recognise a number on the phone, not enough to use it."""
    number = normalize(number)
    if not number:
        return ""
    keep = 4 if len(number) >= 12 else 2 if len(number) >= 6 else 1
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:] if len(number) > 2 * keep else "*" * len(number)


def last_four(number: str) -> str:
    """The last four characters, searchable at the desk ("the ID ends in 123X")."""
    number = normalize(number)
    return number[-4:] if len(number) >= 4 else ""


def _hash_key() -> bytes:
    row = Setting.get_or_none(Setting.key == HASH_KEY_SETTING)
    if row is None:
        # First use: mint the key. INSERT OR IGNORE and re-read, so two desks starting at
        # once agree on one key.
        Setting.insert(key=HASH_KEY_SETTING, value=secrets.token_hex(32)).on_conflict_ignore().execute()
        row = Setting.get(Setting.key == HASH_KEY_SETTING)
    return bytes.fromhex(row.value)


def _hmac(key: bytes, number: str) -> str:
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()


def id_number_hash(number: str) -> str:
    """HMAC-SHA256 of the normalised number under the library's key (Setting id_hash_key).

    The one function every module uses to store or compare ID numbers. Blank stays blank.
    """
    number = normalize(number)
    if not number:
        return ""
    return _hmac(_hash_key(), number)


def _previous_keys() -> list[str]:
    row = Setting.get_or_none(Setting.key == PREVIOUS_KEYS_SETTING)
    return list(row.value) if row is not None else []


def id_number_hashes(number: str) -> list[str]:
    """The number's hash under the current key and every key this library used before.

    Volunteers keep only the hash, so those registered before the county key arrived cannot
    be re-hashed; looking a number up under every key still finds them.
    """
    number = normalize(number)
    if not number:
        return []
    return [_hmac(_hash_key(), number)] + [_hmac(bytes.fromhex(key), number) for key in _previous_keys()]


def adopt_county_hash_key(key_hex: str) -> dict[str, str]:
    """Take the county's key (handed out by the hub at enrolment) so the same ID number
    hashes alike at every branch and the hub can see one person registered at two.

    Runs inside the caller's transaction. Every reader whose full number is on file, and
    every volunteer linked to such a reader, is hashed again; the old key is kept for looking
    up the other volunteers. Returns {old hash: new hash} so events not yet sent can be
    rewritten to match.
    """
    new_key = bytes.fromhex(key_hex)
    if len(new_key) < 32:
        raise ValueError("the county key is too short")
    current = _hash_key()
    if current == new_key:
        return {}
    changed: dict[str, str] = {}
    for patron_id, number, old in Patron.select(Patron.id, Patron.id_number, Patron.id_number_hash).where(
        Patron.id_number != ""
    ).tuples():
        new = _hmac(new_key, normalize(number))
        if new != old:
            Patron.update(id_number_hash=new).where(Patron.id == patron_id).execute()
            if old:
                changed[old] = new
    for volunteer_id, old in Volunteer.select(Volunteer.id, Volunteer.id_number_hash).where(
        Volunteer.id_number_hash != ""
    ).tuples():
        if old in changed:
            Volunteer.update(id_number_hash=changed[old]).where(Volunteer.id == volunteer_id).execute()
    kept = [current.hex()] + [key for key in _previous_keys() if key != key_hex]
    Setting.insert(key=PREVIOUS_KEYS_SETTING, value=kept).on_conflict_replace().execute()
    Setting.update(value=key_hex).where(Setting.key == HASH_KEY_SETTING).execute()
    return changed
