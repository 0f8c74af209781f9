"""Dates staff type, read the same way on every screen."""

from __future__ import annotations

import datetime as dt

import pytest

from countylib.dates import parse_date
from countylib.errors import ValidationError


@pytest.mark.parametrize("text", ["2026-11-21", " 2026/11/21 ", "2026.11.21", "2026年11月21日", "20261121"])
def test_the_forms_staff_write(text):
    assert parse_date(text) == dt.date(2026, 11, 21)


def test_blank_is_no_date_unless_one_is_required():
    assert parse_date("  ") is None
    with pytest.raises(ValidationError, match="Type a date"):
        parse_date("", required=True)


@pytest.mark.parametrize(
    "text, message",
    [
        ("2026-02-30", "There is no 2026-02-30: that month has 28 days."),
        ("2024-02-30", "There is no 2024-02-30: that month has 29 days."),
        ("2026-13-01", "There is no 2026-13-01: a month is 1 to 12."),
        ("21/11/2026", "'21/11/2026' is not a date like 2026-11-21."),
        ("tomorrow", "'tomorrow' is not a date like 2026-11-21."),
    ],
)
def test_a_date_that_does_not_exist_is_told_apart_from_a_wrong_form(text, message):
    with pytest.raises(ValidationError) as refused:
        parse_date(text)
    assert refused.value.message == message
