"""Encryption at rest with SQLCipher: on by an admin, a passphrase at start, backups alike."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from countylib import encryption
from countylib.backup import restore_backup, take_backup
from countylib.errors import AuthenticationFailed, DatabaseError, PermissionDenied, ValidationError
from countylib.integrity import check
from countylib.library import make_context, open_db
from countylib.roles import Actor
from models import Patron
from models.base import db
from tests.circulation_helpers import make_patron

pytestmark = pytest.mark.skipif(not encryption.available(), reason="SQLCipher (sqlcipher3-wheels) is not installed")
PASSPHRASE = "县图书馆 correct horse"


@pytest.fixture(autouse=True)
def _forget():
    encryption.install(db)
    yield
    if not db.is_closed():
        db.close()
    encryption.forget_passphrase()


@pytest.fixture
def encrypted(library, db_path):
    make_patron(library, "HX01P00001", name="王小明", phone="13912345678")
    db.close()
    encryption.encrypt_database(db_path, PASSPHRASE)
    encryption.forget_passphrase()  # as after a restart
    return db_path


def test_the_file_no_longer_shows_its_contents(encrypted):
    raw = encrypted.read_bytes()
    assert not raw.startswith(b"SQLite format 3") and "王小明".encode() not in raw and b"13912345678" not in raw
    assert encryption.is_encrypted(encrypted)
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(encrypted).execute("SELECT count(*) FROM patron").fetchone()
    assert not list(encrypted.parent.glob("*.old")) and not list(encrypted.parent.glob("*.encrypting"))


def test_open_with_the_passphrase(encrypted, clock):
    with pytest.raises(DatabaseError, match="is encrypted; type its passphrase"):
        open_db(encrypted)
    with pytest.raises(AuthenticationFailed, match="Wrong passphrase"):
        encryption.unlock(encrypted, "not it at all")
    encryption.unlock(encrypted, PASSPHRASE)
    ctx = make_context(open_db(encrypted), clock)
    assert Patron.get().name == "王小明"
    make_patron(ctx, "HX01P00002")  # and it writes
    assert check(ctx.db).ok


def test_backups_are_encrypted_and_restore(encrypted, tmp_path, clock):
    encryption.unlock(encrypted, PASSPHRASE)
    backup = take_backup(encrypted, tmp_path / "usb").path
    assert encryption.is_encrypted(backup) and "王小明".encode() not in backup.read_bytes()
    ctx = make_context(open_db(encrypted), clock)
    make_patron(ctx, "HX01P00002")
    db.close()
    result = restore_backup(encrypted, backup, clock=clock)
    assert encryption.is_encrypted(encrypted) and result.aside is not None
    open_db(encrypted)
    assert [p.card_number for p in Patron.select()] == ["HX01P00001"]
    assert check().ok


def test_turn_it_off_again(encrypted):
    with pytest.raises(AuthenticationFailed):
        encryption.decrypt_database(encrypted, "wrong passphrase")
    encryption.decrypt_database(encrypted, PASSPHRASE)
    assert not encryption.is_encrypted(encrypted)
    open_db(encrypted)
    assert Patron.get().name == "王小明"


def test_refusals(library, db_path):
    db.close()
    with pytest.raises(PermissionDenied):
        encryption.encrypt_database(db_path, PASSPHRASE, actor=Actor("s1", "lib", "librarian"))
    with pytest.raises(ValidationError, match="at least 8"):
        encryption.encrypt_database(db_path, "short")
    # Another window (another process: file locks are per process) has it open.
    other = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); "
         "c.execute('SELECT 1 FROM branch').fetchone(); print('open', flush=True); time.sleep(60)", str(db_path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert other.stdout.readline().strip() == "open"
        with pytest.raises(DatabaseError, match="open in CountyLib"):
            encryption.encrypt_database(db_path, PASSPHRASE)
    finally:
        other.kill()
        other.wait()
    assert not encryption.is_encrypted(db_path)


def test_encrypt_and_check_commands(library, db_path, monkeypatch, capsys):
    from countylib.cli import main

    db.close()
    answers = iter([PASSPHRASE, "something else"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["encrypt", "--db", str(db_path)]) == 1
    assert "passphrases differ" in capsys.readouterr().err and not encryption.is_encrypted(db_path)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": PASSPHRASE)
    assert main(["encrypt", "--db", str(db_path)]) == 0
    assert encryption.is_encrypted(db_path) and capsys.readouterr().out.startswith("encrypted ")
    encryption.forget_passphrase()
    assert main(["check", "--db", str(db_path)]) == 1  # no terminal to ask on, no passphrase given
    assert "encrypted (set COUNTYLIB_PASSPHRASE)" in capsys.readouterr().err
    monkeypatch.setenv("COUNTYLIB_PASSPHRASE", PASSPHRASE)  # how a script gives it
    assert main(["check", "--db", str(db_path)]) == 0
    assert capsys.readouterr().out.startswith("Database OK")
    monkeypatch.delenv("COUNTYLIB_PASSPHRASE")
    db.close()
    assert main(["decrypt", "--db", str(db_path)]) == 0
    assert not encryption.is_encrypted(db_path)
