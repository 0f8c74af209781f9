"""What the scanner types, made into codes: noise, double scans, ISBNs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from countylib.errors import ValidationError
from countylib.scanning import RepeatFilter, check_code, looks_like_isbn, normalize_code


@pytest.mark.parametrize(
    "raw,code",
    [(" hx01b0001\r", "HX01B0001"), ("\x02HX01P7\x03", "HX01P7"), ("ＨＸ０１Ｂ１", "HX01B1"), ("hx01-b/1.2", "HX01-B/1.2"),
     ("HX01\u200bB1", "HX01B1")],
)
def test_noise_is_removed(raw, code):
    assert check_code(raw) == code


@pytest.mark.parametrize("raw", ["", " \t", "\x1b[A", "HX01;B1", "张三", "X" * 33, "-HX01"])
def test_what_cannot_be_a_code_is_refused(raw):
    with pytest.raises(ValidationError):
        check_code(raw)


@given(st.text(alphabet="abcXYZ0123456789-./ \t\r\n\x00\x02", max_size=40))
def test_normalising_twice_changes_nothing(raw):
    once = normalize_code(raw)
    assert normalize_code(once) == once and once == once.upper() and not any(ch.isspace() for ch in once)


def test_a_double_scan_within_two_seconds_is_a_repeat():
    now = [100.0]
    repeats = RepeatFilter(clock=lambda: now[0])
    assert not repeats.is_repeat("HX01B1")
    now[0] += 1.5
    assert repeats.is_repeat("HX01B1")
    now[0] += 2.5
    assert not repeats.is_repeat("HX01B1")
    assert not repeats.is_repeat("HX01B2")


def test_isbn_from_the_cover_is_recognised():
    assert looks_like_isbn("9787020002207")
    assert not looks_like_isbn("9787020002208")  # check digit wrong
    assert not looks_like_isbn("HX01B0000001")
