"""Identity numbers: each wrong part named, masking, the keyed hash."""

from __future__ import annotations

import datetime as dt

import pytest
from stdnum.cn import ric

from countylib.errors import ValidationError
from countylib.idnumbers import (
    FOREIGN_PERMANENT,
    HMT_PERMIT,
    NO_ID,
    PASSPORT,
    RESIDENT_ID,
    check_id_number,
    id_number_hash,
    last_four,
    mask,
)
from models import Setting

TODAY = dt.date(2026, 11, 21)


def resident_id(region: str = "320311", birth: str = "19900307", seq: str = "123") -> str:
    """A resident ID number with the right check digit."""
    body = region + birth + seq
    return body + ric.calc_check_digit(body + "0")


def refusal(id_type: str, number: str) -> str:
    with pytest.raises(ValidationError) as info:
        check_id_number(id_type, number, TODAY)
    return info.value.message


def test_a_good_resident_id_gives_birth_date_and_sex():
    facts = check_id_number(RESIDENT_ID, resident_id(seq="123"), TODAY)
    assert facts.birth_date == dt.date(1990, 3, 7)
    assert facts.gender == "M"  # 17th digit odd
    assert check_id_number(RESIDENT_ID, resident_id(seq="124"), TODAY).gender == "F"


def test_spaces_and_lower_case_x_are_accepted():
    number = next(resident_id(seq=f"{n:03d}") for n in range(1000) if resident_id(seq=f"{n:03d}").endswith("X"))
    spaced = f"{number[:6]} {number[6:14]} {number[14:].lower()}"
    assert check_id_number(RESIDENT_ID, spaced, TODAY).number == number


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("32031119900307123", "has 18 characters; this one has 17"),
        ("320311900307123", "old 15-digit"),
        ("3203111990O3071234", "found O at position 11"),
        ("32031119900307123Y", "found Y at position 18"),
    ],
)
def test_length_and_characters_are_named(number, words):
    assert words in refusal(RESIDENT_ID, number)


def test_an_unknown_region_is_named():
    assert "region code 999999" in refusal(RESIDENT_ID, resident_id(region="999999"))


def test_an_impossible_birth_date_is_named():
    assert "19900231" in refusal(RESIDENT_ID, resident_id(birth="19900231"))


def test_a_future_birth_date_is_refused():
    assert "in the future" in refusal(RESIDENT_ID, resident_id(birth="20270101"))


def test_a_wrong_check_digit_is_named():
    good = resident_id()
    wrong = good[:-1] + ("1" if good[-1] != "1" else "2")
    assert "check digit" in refusal(RESIDENT_ID, wrong)


def test_other_document_types():
    assert check_id_number(PASSPORT, "e12345678", TODAY).number == "E12345678"
    assert check_id_number(HMT_PERMIT, "H12345678", TODAY).number == "H12345678"
    assert check_id_number(HMT_PERMIT, "12345678", TODAY).number == "12345678"
    assert check_id_number(FOREIGN_PERMANENT, "USA123456789012", TODAY).number == "USA123456789012"
    assert check_id_number(NO_ID, "", TODAY).number == ""
    assert "passport" in refusal(PASSPORT, "E1-2?3")
    assert "permit" in refusal(HMT_PERMIT, "X1234")
    assert "permanent residence" in refusal(FOREIGN_PERMANENT, "US12345")
    assert "'none'" in refusal(NO_ID, "123456")
    assert "missing" in refusal(PASSPORT, "  ")


def test_mask_shows_only_the_ends():
    assert mask("32031119900307123X") == "3203**********123X"
    assert mask("E12345678") == "E1*****78"
    assert mask("") == ""
    assert last_four("32031119900307123x") == "123X"


def test_hash_is_keyed_stable_and_made_on_first_use(library):
    assert Setting.get_or_none(Setting.key == "id_hash_key") is None
    first = id_number_hash("32031119900307123x")
    assert Setting.get(Setting.key == "id_hash_key").value
    assert first == id_number_hash(" 32031119900307123X ")
    assert first != id_number_hash("32031119900307124X")
    assert len(first) == 64 and "3203" not in first
    assert id_number_hash("") == ""
