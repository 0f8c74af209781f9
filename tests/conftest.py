"""Shared fixtures: a real library database file per test, a fixed clock, staff by role."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from countylib import encryption
from countylib.auth import create_staff
from countylib.clock import FixedClock
from countylib.context import ServiceContext
from countylib.i18n import set_language
from countylib.library import initialize_library, open_db
from countylib.roles import Actor
from models.base import db

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = SHARED / "fixtures"
ADMIN_PASSWORD = "admin123"


@pytest.fixture(autouse=True)
def _english_and_isolated_home(monkeypatch, tmp_path_factory):
    """Tests read English messages and never touch a real data folder, and no test's
    encryption session (a passphrase, the driver switch on ``db``) outlives it."""
    set_language("en")
    monkeypatch.setenv("LANGUAGE", "en")
    monkeypatch.setenv("COUNTYLIB_HOME", str(tmp_path_factory.mktemp("home")))
    yield
    set_language("en")
    encryption.forget_passphrase()
    for switch in ("_connect", "_countylib_encryption"):  # what encryption.install sets on the instance
        vars(db).pop(switch, None)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "library.db"


@pytest.fixture
def library(db_path, clock) -> ServiceContext:
    """A freshly set-up branch (HX01) acting as the local system."""
    database = open_db(db_path)
    ctx = initialize_library(
        database,
        library_name="某某县图书馆",
        branch_code="HX01",
        branch_name="城关分馆",
        admin_user="admin",
        password=ADMIN_PASSWORD,
        language="zh_CN",
        clock=clock,
    )
    yield ctx
    database.close()


@pytest.fixture
def as_role(library) -> Callable[[str], ServiceContext]:
    """``as_role("volunteer")``: the library context acting as a new staff member of that role."""
    made: dict[str, ServiceContext] = {}

    def make(role: str) -> ServiceContext:
        if role not in made:
            staff = create_staff(library, f"{role}1", "password1", role, display_name=f"{role} one")
            made[role] = library.as_actor(Actor(staff.id, staff.username, staff.role, staff.display_name))
        return made[role]

    return make


def fixtures_dir() -> Path:
    """../shared/fixtures, or skip the test saying why."""
    if not FIXTURES.is_dir():
        pytest.skip(f"reference MARC fixtures not found at {FIXTURES} (the shared/ folder is absent)")
    return FIXTURES


@pytest.fixture
def pg_dsn() -> str:
    dsn = os.environ.get("COUNTYLIB_TEST_PG")
    if not dsn:
        pytest.skip("COUNTYLIB_TEST_PG is not set: PostgreSQL tests need a DSN")
    return dsn
