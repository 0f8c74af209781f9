"""Opening a library database and setting up a new one (the first-run wizard and `init`)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import peewee as pw

from countylib import encryption
from countylib.audit import record_audit
from countylib.auth import _check_new_account, hash_password
from countylib.clock import Clock
from countylib.context import ServiceContext
from countylib.errors import DatabaseError, ValidationError
from countylib.i18n import LANGUAGES
from countylib.roles import ADMIN, SYSTEM
from countylib.rules import DEFAULT_RULES
from countylib.settings import get_setting
from models import Branch, CirculationRule, Location, Setting, Staff, db
from models.database import DatabaseTooNew, NotACountyLibDatabase, open_database
from sync.outbox import ensure_sync_state

BRANCH_CODE = re.compile(r"^[A-Z0-9]{2,8}$")


def open_db(path: str | Path) -> pw.SqliteDatabase:
    """Open the file, migrating it if older, with every failure in plain words."""
    if encryption.has_passphrase():  # an encrypted file, unlocked at start
        encryption.install(db)
    try:
        return open_database(path)
    except NotACountyLibDatabase as exc:
        raise DatabaseError("{path} is not a CountyLib database.", path=str(path)) from exc
    except DatabaseTooNew as exc:
        raise DatabaseError(
            "{path} was written by a newer CountyLib (schema {found}); please update this program.",
            path=str(path),
            found=exc.found,
        ) from exc
    except (sqlite3.DatabaseError, pw.DatabaseError) as exc:
        text = str(exc).lower()
        if "readonly" in text or "read-only" in text:
            raise DatabaseError(
                "{path} is on read-only media (or a folder this account cannot write to); copy it to a writable folder.",
                path=str(path),
            ) from exc
        if "malformed" in text or "corrupt" in text:
            raise DatabaseError(
                "{path} is damaged. Run 'countylib check' to see how, or 'countylib restore' a backup.", path=str(path)
            ) from exc
        raise DatabaseError("Cannot open {path}: {reason}", path=str(path), reason=str(exc)) from exc


def local_branch() -> Branch | None:
    return Branch.get_or_none(Branch.is_local == True)  # noqa: E712 (peewee expression)


def is_initialized() -> bool:
    return local_branch() is not None


def make_context(database: pw.SqliteDatabase, clock: Clock | None = None) -> ServiceContext:
    """A context acting as the local system for the database's own branch."""
    branch = local_branch()
    if branch is None:
        raise DatabaseError("This database has not been set up yet. Run the setup first.")
    clock = clock or Clock()
    clock.timezone = ZoneInfo(get_setting("timezone"))
    return ServiceContext(db=database, branch=branch, actor=SYSTEM, clock=clock)


def initialize_library(
    database: pw.SqliteDatabase,
    *,
    library_name: str,
    branch_code: str,
    branch_name: str,
    admin_user: str,
    password: str,
    language: str = "zh_CN",
    clock: Clock | None = None,
) -> ServiceContext:
    """Set up an empty database for one branch: branch, its building, admin, defaults."""
    branch_code = branch_code.strip().upper()
    if not library_name.strip() or not branch_name.strip():
        raise ValidationError("The library name and the branch name are both needed.")
    if not BRANCH_CODE.match(branch_code):
        raise ValidationError("A branch code is 2 to 8 letters or digits, e.g. HX01.")
    if language not in LANGUAGES:
        raise ValidationError("Unknown language {language}.", language=language)
    _check_new_account(admin_user, password, ADMIN)
    with database.atomic("IMMEDIATE"):
        if is_initialized():
            raise ValidationError("This database is already set up for branch {code}.", code=local_branch().code)
        branch = Branch.create(
            code=branch_code, name=branch_name.strip(), library_name=library_name.strip(), is_local=True
        )
        Location.create(branch=branch, code=branch_code, name=branch_name.strip(), kind="branch")
        for key, value in (("library_name", library_name.strip()), ("language", language)):
            Setting.insert(key=key, value=value).on_conflict_replace().execute()
        # The default rule (every branch, category and type) must always exist; the starting
        # rules are local configuration like it, not staff actions, so they record no event.
        CirculationRule.create(loan_days=30, max_items=10, renewals=1, renewal_days=30)
        for values in DEFAULT_RULES:
            CirculationRule.create(**values)
        ensure_sync_state()
        admin = Staff.create(
            username=admin_user.strip(),
            display_name=admin_user.strip(),
            role=ADMIN,
            password_hash=hash_password(password),
            branch=branch,
        )
        ctx = ServiceContext(db=database, branch=branch, actor=SYSTEM, clock=clock or Clock())
        record_audit(ctx, "library.initialized", "branch", branch.id, admin=admin.username)
        ctx.record(
            "branch.initialized",
            {"branch": {"id": branch.id, "code": branch.code, "name": branch.name, "library_name": branch.library_name}},
        )
    return make_context(database, clock)
