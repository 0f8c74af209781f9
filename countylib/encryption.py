"""Encryption at rest (optional): the database file and its backups encrypted with SQLCipher.

Plain SQLite stays the default. When an admin turns encryption on, the file is exported
into an encrypted copy (``sqlcipher_export``) that replaces it; from then on the file's
first bytes are no longer SQLite's header, which is how every part of the program tells
an encrypted file (there is deliberately no setting for it: the setting would live inside
the encrypted file). The key is derived by SQLCipher from the passphrase asked at start
(PBKDF2-HMAC-SHA512, 256,000 iterations, a random salt in the file); the passphrase is
kept in this process's memory only, never written anywhere and never logged.

Backups of an encrypted database are encrypted with the same key (``export_copy``).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import peewee as pw

from countylib.errors import AuthenticationFailed, DatabaseError, PermissionDenied, ValidationError
from countylib.i18n import _
from countylib.roles import ADMIN, ROLE_NAMES, SYSTEM, Actor

try:
    from sqlcipher3 import dbapi2 as sqlcipher
except ImportError:  # the program still runs (unencrypted) where SQLCipher is missing
    sqlcipher = None

SQLITE_HEADER = b"SQLite format 3\x00"
MIN_PASSPHRASE_LENGTH = 8

# Errors of both drivers, for code that talks to either kind of file.
DB_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error,) + ((sqlcipher.Error,) if sqlcipher else ())
DB_DATABASE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.DatabaseError,) + (
    (sqlcipher.DatabaseError,) if sqlcipher else ()
)
DB_OPERATIONAL_ERRORS: tuple[type[BaseException], ...] = (sqlite3.OperationalError,) + (
    (sqlcipher.OperationalError,) if sqlcipher else ()
)

_passphrase: str | None = None  # this process's key, from the prompt at start


class EncryptedFileError(DatabaseError):
    """Refusals about an encrypted file."""


class PassphraseNeeded(EncryptedFileError):
    """An encrypted file, and no passphrase yet. Raised inside peewee's connect, which maps
    an error whose class or first base is named like a DB-API error (DatabaseError) to its
    own: hence the extra level, so this one reaches the caller as it is."""


def available() -> bool:
    return sqlcipher is not None


def is_encrypted(path: str | Path) -> bool:
    """A file that exists, has content, and is not plain SQLite (so: encrypted, or not a database).

    SQLite itself looks, through the driver this process's own connections use, rather than
    an open() of the file: POSIX drops every lock a process holds on a file when the process
    closes any descriptor of it, and SQLite only guards against that for its own descriptors.
    A plain read here while the app has the file open would leave it unlocked; a command run
    beside the app would then take itself for the file's last user and delete the WAL the app
    still writes into (sqlite.org/howtocorrupt.html, section 2.2).
    """
    driver = sqlcipher if (sqlcipher is not None and _passphrase is not None) else sqlite3
    try:
        uri = Path(path).resolve().as_uri() + "?mode=ro"
        conn = driver.connect(uri, uri=True, timeout=5)
    except (OSError, ValueError, *DB_ERRORS):
        return _header_is_not_sqlite(path)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
        return False
    except DB_ERRORS as exc:
        if "not a database" in str(exc).lower():
            return True
        # Locked by another program past the wait, or a WAL file without the shared-memory
        # file a read-only open needs (so no connection here has it open): look at the header.
        return _header_is_not_sqlite(path)
    finally:
        conn.close()


def _header_is_not_sqlite(path: str | Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return len(head) == 16 and head != SQLITE_HEADER


def _require_driver() -> None:
    if sqlcipher is None:
        raise DatabaseError("This database is encrypted, but this installation has no SQLCipher; reinstall CountyLib.")


def _quote(passphrase: str) -> str:
    return "'" + passphrase.replace("'", "''") + "'"


def connect(path: str | Path, *, timeout: float = 30, passphrase: str | None = None) -> Any:
    """A SQLCipher connection to an encrypted file, keyed with the session's passphrase."""
    _require_driver()
    key = passphrase if passphrase is not None else _passphrase
    if key is None:
        raise PassphraseNeeded("{path} is encrypted; type its passphrase when CountyLib starts.", path=str(path))
    conn = sqlcipher.connect(str(path), timeout=timeout, isolation_level=None)
    conn.execute(f"PRAGMA key = {_quote(key)}")
    return conn


def unlock(path: str | Path, passphrase: str) -> None:
    """Check the passphrase against the file and keep it for this process."""
    global _passphrase
    _require_driver()
    conn = connect(path, passphrase=passphrase, timeout=5)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher.DatabaseError:
        raise AuthenticationFailed("Wrong passphrase for the encrypted database.") from None
    finally:
        conn.close()
    _passphrase = passphrase


def has_passphrase() -> bool:
    return _passphrase is not None


def forget_passphrase() -> None:
    global _passphrase
    _passphrase = None


def install(database: pw.SqliteDatabase) -> None:
    """Let ``database`` open encrypted files (with the session key) as well as plain ones.

    Peewee picks the driver in ``_connect``; this keeps its pragmas and hooks and only swaps
    the driver for files that are encrypted. Call once at start, before ``open_database``.
    """
    if getattr(database, "_countylib_encryption", False):
        return
    plain_connect = database._connect

    def _connect() -> Any:
        if not is_encrypted(database.database):
            return plain_connect()
        conn = connect(database.database, timeout=database._timeout)
        try:
            database._add_conn_hooks(conn)
        except Exception:
            conn.close()
            raise
        return conn

    database._connect = _connect
    database._countylib_encryption = True


def export_copy(db_path: str | Path, dest: str | Path, *, passphrase: str | None = None) -> None:
    """An encrypted copy of an encrypted file, consistent (one statement, one read transaction).

    ``passphrase``: the copy's key, the session's by default (a re-key uses another)."""
    _copy(connect(db_path), dest, passphrase if passphrase is not None else _passphrase)


def _copy(source: Any, dest: str | Path, key: str | None) -> None:
    """Export everything the connection ``source`` sees into a new file ``dest`` ('' key: plain)."""
    try:
        version = source.execute("PRAGMA user_version").fetchone()[0]
        app_id = source.execute("PRAGMA application_id").fetchone()[0]
        source.execute(f"ATTACH DATABASE ? AS copy KEY {_quote(key or '')}", (str(dest),))
        try:
            source.execute("SELECT sqlcipher_export('copy')").fetchone()
            # sqlcipher_export copies tables and rows, not the header fields that say what
            # the file is and which schema it has.
            source.execute(f"PRAGMA copy.user_version = {int(version)}")
            source.execute(f"PRAGMA copy.application_id = {int(app_id)}")
        finally:
            source.execute("DETACH DATABASE copy")
    finally:
        source.close()


def copy_encrypted(source: str | Path, dest: str | Path) -> None:
    """A backup file (encrypted, self-contained) copied for restoring."""
    import shutil

    shutil.copyfile(source, dest)


def _require_admin(actor: Actor) -> None:
    if not actor.at_least(ADMIN):
        raise PermissionDenied(
            "This needs the {role} role; you are signed in as {user} ({current}).",
            role=_(ROLE_NAMES[ADMIN]), user=actor.username, current=_(ROLE_NAMES[actor.role]),
        )


def _replace(db_path: Path, new: Path) -> None:
    """Swap in the converted file; the old one is overwritten before removal (it may be plain)."""
    for suffix in ("-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    old = db_path.with_name(db_path.name + ".old")
    os.replace(db_path, old)
    os.replace(new, db_path)
    size = old.stat().st_size
    with open(old, "r+b") as fh:
        chunk = b"\0" * (1 << 20)
        for _start in range(0, size, len(chunk)):
            fh.write(chunk)
        fh.flush()
        os.fsync(fh.fileno())
    old.unlink()


def encrypt_database(db_path: str | Path, passphrase: str, *, actor: Actor = SYSTEM) -> Path:
    """Turn encryption on for the (closed) database file. Plain backups already taken stay
    plain: the caller tells the admin where they are."""
    _require_admin(actor)
    _require_driver()
    db_path = Path(db_path).resolve()
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise ValidationError("The passphrase needs at least {n} characters.", n=MIN_PASSPHRASE_LENGTH)
    if is_encrypted(db_path):
        raise ValidationError("{path} is already encrypted.", path=str(db_path))
    new = db_path.with_name(db_path.name + ".encrypting")
    new.unlink(missing_ok=True)
    source = sqlcipher.connect(str(db_path), isolation_level=None, timeout=0.5)
    try:
        source.execute("PRAGMA journal_mode=DELETE")  # fails while another window has it open
    except sqlcipher.OperationalError as exc:
        source.close()
        raise DatabaseError("The database is open in CountyLib (this or another window). Close it first.") from exc
    try:
        _copy(source, new, passphrase)
        _check(new, passphrase)
    except BaseException:
        new.unlink(missing_ok=True)
        raise
    _replace(db_path, new)
    global _passphrase
    _passphrase = passphrase
    return db_path


def decrypt_database(db_path: str | Path, passphrase: str, *, actor: Actor = SYSTEM) -> Path:
    """Turn encryption off again (admins only)."""
    _require_admin(actor)
    _require_driver()
    db_path = Path(db_path).resolve()
    if not is_encrypted(db_path):
        raise ValidationError("{path} is not encrypted.", path=str(db_path))
    unlock(db_path, passphrase)
    new = db_path.with_name(db_path.name + ".decrypting")
    new.unlink(missing_ok=True)
    source = connect(db_path, timeout=0.5)
    try:
        source.execute("PRAGMA journal_mode=DELETE")
    except sqlcipher.OperationalError as exc:
        source.close()
        raise DatabaseError("The database is open in CountyLib (this or another window). Close it first.") from exc
    try:
        _copy(source, new, "")
        _check(new, None)
    except BaseException:
        new.unlink(missing_ok=True)
        raise
    for suffix in ("-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    os.replace(new, db_path)
    forget_passphrase()
    return db_path


def _check(path: Path, passphrase: str | None) -> None:
    conn = connect(path, passphrase=passphrase) if passphrase else sqlite3.connect(path)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    if result != "ok":
        raise DatabaseError("The converted copy did not check out ({detail}); nothing was changed.", detail=result)
