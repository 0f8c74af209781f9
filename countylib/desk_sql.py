"""The statements the desk runs on every scan, written once as SQL.

peewee compiles a query's SQL anew on every call: 0.2–0.5 ms for a wide table such as
patron on the 2-core machine, ten times what SQLite needs to run it, and a check-out runs
a dozen of them. So the desk's hot statements are plain SQL here. Reads come back as the
same model instances peewee would give (values converted by the fields themselves), so the
rules read them like any other row; writes touch only the columns that change.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import TypeVar

import json

import peewee as pw

from countylib.settings import SPECS
from models import Item, Loan
from models.base import BaseModel, JSONField, db

M = TypeVar("M", bound=BaseModel)

_CONVERTED = (pw.DateField, pw.DateTimeField, pw.BooleanField)


@functools.cache
def _columns(model: type[BaseModel]) -> dict[str, tuple[str, Callable | None]]:
    """column name → (field name, converter or None when the stored value is the value)."""
    out = {}
    for field in model._meta.sorted_fields:
        convert = field.python_value if isinstance(field, (*_CONVERTED, JSONField)) else None
        out[field.column_name] = (field.name, convert)
    return out


def _instance(model: type[M], names: list[str], row: tuple) -> M:
    columns = _columns(model)
    data = {}
    for name, value in zip(names, row):
        field_name, convert = columns[name]
        data[field_name] = convert(value) if convert is not None and value is not None else value
    obj = model.__new__(model)
    obj.__data__ = data
    obj._dirty = set()
    obj.__rel__ = {}
    return obj


def fetch_one(model: type[M], sql: str, params: Iterable = ()) -> M | None:
    cursor = db.execute_sql(sql, tuple(params))
    row = cursor.fetchone()
    if row is None:
        return None
    return _instance(model, [d[0] for d in cursor.description], row)


def fetch_all(model: type[M], sql: str, params: Iterable = ()) -> list[M]:
    cursor = db.execute_sql(sql, tuple(params))
    names = [d[0] for d in cursor.description]
    return [_instance(model, names, row) for row in cursor.fetchall()]


def rows(sql: str, params: Iterable = ()) -> list[tuple]:
    return db.execute_sql(sql, tuple(params)).fetchall()


def scalar(sql: str, params: Iterable = ()):
    row = db.execute_sql(sql, tuple(params)).fetchone()
    return None if row is None else row[0]


def stored_time(value: dt.datetime) -> str:
    """A naive UTC datetime as peewee stores it in SQLite."""
    return value.isoformat(sep=" ")


def stored_date(value: dt.date) -> str:
    return value.isoformat()


PATRON_BY_ID = "SELECT * FROM patron WHERE id = ?"
PATRON_BY_CARD = "SELECT * FROM patron WHERE card_number = ?"
ITEM_BY_BARCODE = "SELECT * FROM item WHERE barcode = ?"
OPEN_LOAN_OF_ITEM = "SELECT * FROM loan WHERE item_id = ? AND checked_in_at IS NULL"
OPEN_HOLDS_OF_BIB = "SELECT * FROM hold WHERE bib_id = ? AND status IN ('waiting', 'ready') ORDER BY placed_at, id"
BIB_TITLE = "SELECT title FROM bib WHERE id = ?"
LOCATION_BRANCH = "SELECT branch_id FROM location WHERE id = ?"
OPEN_LOANS_OF_PATRON = (
    "SELECT l.due_date, i.status, i.item_type FROM loan l JOIN item i ON i.id = l.item_id "
    "WHERE l.patron_id = ? AND l.checked_in_at IS NULL"
)
CURRENT_LOANS = (
    "SELECT l.id, i.barcode, b.title, l.due_date, l.renewals, i.status FROM loan l "
    "JOIN item i ON i.id = l.item_id JOIN bib b ON b.id = i.bib_id "
    "WHERE l.patron_id = ? AND l.checked_in_at IS NULL ORDER BY l.due_date, i.barcode"
)
PATRON_HOLDS = (
    "SELECT h.id, b.title, h.status, h.expires_on FROM hold h JOIN bib b ON b.id = h.bib_id "
    "WHERE h.patron_id = ? AND h.status IN ('waiting', 'ready') ORDER BY h.status, h.placed_at"
)
RULE_CANDIDATES = (
    "SELECT * FROM circulation_rule WHERE (branch_id IS NULL OR branch_id = ?) "
    "AND (patron_category IS NULL OR patron_category = ?) AND (item_type IS NULL OR item_type = ?)"
)
CLOSED_DAYS_ALL = "SELECT day FROM calendar WHERE day BETWEEN ? AND ? AND branch_id IS NULL"
CLOSED_DAYS_OF_BRANCH = "SELECT day FROM calendar WHERE day BETWEEN ? AND ? AND (branch_id IS NULL OR branch_id = ?)"


@functools.cache
def _settings_sql(count: int) -> str:
    return f"SELECT key, value FROM setting WHERE key IN ({', '.join('?' * count)})"


def settings_values(*keys: str) -> dict:
    """Several settings in one statement (the desk reads a handful on every scan)."""
    found = {key: json.loads(value) for key, value in rows(_settings_sql(len(keys)), keys)}
    return {key: found.get(key, SPECS[key].default) for key in keys}


def insert_loan(loan: Loan) -> None:
    db.execute_sql(
        "INSERT INTO loan (id, item_id, patron_id, location_id, checked_out_at, due_date, renewals, "
        "checked_in_at, checkin_location_id, staff_id, patron_category) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)",
        (
            loan.id, loan.item_id, loan.patron_id, loan.location_id, stored_time(loan.checked_out_at),
            stored_date(loan.due_date), loan.renewals, loan.staff_id, loan.patron_category,
        ),
    )


def save_item_place(item: Item) -> None:
    """Where a copy is and what state it is in: the only columns circulation changes."""
    db.execute_sql(
        "UPDATE item SET status = ?, current_location_id = ?, updated_at = ? WHERE id = ?",
        (item.status, item.current_location_id, stored_time(item.updated_at), item.id),
    )


def close_loan(loan: Loan) -> None:
    db.execute_sql(
        "UPDATE loan SET checked_in_at = ?, checkin_location_id = ? WHERE id = ?",
        (stored_time(loan.checked_in_at), loan.checkin_location_id, loan.id),
    )


def save_loan_due(loan: Loan) -> None:
    db.execute_sql(
        "UPDATE loan SET due_date = ?, renewals = ? WHERE id = ?", (stored_date(loan.due_date), loan.renewals, loan.id)
    )
