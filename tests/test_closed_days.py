"""Closing a run of days (a holiday week) at once, and the year's list Settings shows."""

from __future__ import annotations

import datetime as dt

import pytest

from countylib.closed_days import MAX_RUN_DAYS, close_days, closed_days_of_year, closed_weekday_names
from countylib.errors import PermissionDenied, ValidationError
from countylib.rules import due_date
from countylib.settings import change_setting
from models import Branch, Calendar


def test_close_a_run_of_days_at_once(library):
    first = dt.date(2026, 10, 1)
    assert close_days(library, first, dt.date(2026, 10, 7), "国庆节") == 7
    assert close_days(library, dt.date(2026, 10, 6), dt.date(2026, 10, 8), "调休", branch_code="HX01") == 3
    days = closed_days_of_year(library.branch, 2026)
    assert [(d.day.day, d.branch_code, d.reason) for d in days][5:] == [
        (6, None, "国庆节"),
        (6, "HX01", "调休"),
        (7, None, "国庆节"),
        (7, "HX01", "调休"),
        (8, "HX01", "调休"),
    ]
    assert closed_days_of_year(library.branch, 2025) == []


def test_another_branchs_closed_days_are_not_ours(library):
    other = Branch.create(code="HX02", name="东关分馆")
    close_days(library, dt.date(2026, 12, 1), dt.date(2026, 12, 1), "盘点", branch_code="HX02")
    assert closed_days_of_year(library.branch, 2026) == []
    assert [d.branch_code for d in closed_days_of_year(other, 2026)] == ["HX02"]


def test_a_bad_run_closes_nothing(library, as_role):
    with pytest.raises(ValidationError, match="before the first"):
        close_days(library, dt.date(2026, 10, 7), dt.date(2026, 10, 1), "国庆节")
    with pytest.raises(ValidationError, match=f"close at most {MAX_RUN_DAYS} days"):
        close_days(library, dt.date(2026, 1, 1), dt.date(2026, 12, 31), "typo")
    with pytest.raises(ValidationError, match="Say why"):
        close_days(library, dt.date(2026, 10, 1), dt.date(2026, 10, 1), "  ")
    with pytest.raises(ValidationError, match="no branch XX99"):
        close_days(library, dt.date(2026, 10, 1), dt.date(2026, 10, 3), "国庆节", branch_code="XX99")
    with pytest.raises(PermissionDenied):
        close_days(as_role("volunteer"), dt.date(2026, 10, 1), dt.date(2026, 10, 3), "国庆节")
    assert Calendar.select().count() == 0


def test_closed_weekdays_are_named(library):
    assert closed_weekday_names() == []
    change_setting(library, "closed_weekdays", [6, 0])
    assert closed_weekday_names() == ["Mon", "Sun"]


def test_due_dates_skip_a_closed_run(library):
    close_days(library, dt.date(2026, 12, 20), dt.date(2026, 12, 22), "盘点", branch_code="HX01")
    # 2026-11-21 + 30 days = 2026-12-21, inside the run: due the day after it ends.
    assert due_date(library.branch.id, dt.date(2026, 11, 21), 30) == dt.date(2026, 12, 23)
