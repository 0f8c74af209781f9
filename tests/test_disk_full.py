"""A full disk and read-only media: a plain message, nothing half-written, no damage.

Where this process may mount file systems (root, as on the dev machines and CI), the real
thing: a size-limited tmpfs filled to the brim, and one remounted read-only. Everywhere, the
same errors made at the SQLite layer: ``PRAGMA max_page_count`` gives the genuine
SQLITE_FULL, ``PRAGMA query_only`` the read-only refusal.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from countylib.backup import take_backup
from countylib.circulation import check_in, check_out
from countylib.errors import DatabaseError
from countylib.integrity import check
from countylib.library import make_context, open_db
from models import Loan, Outbox
from models.base import db
from tests.circulation_helpers import make_item, make_patron

FULL = "The disk is full. Nothing was saved; free some space and try again."
READ_ONLY = "The database is on read-only media. Nothing was saved; copy it to a writable folder."


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a file system here ({done.stderr.strip() or 'mount failed'}); "
                    "the SQLite-layer tests below cover the same errors")


@contextlib.contextmanager
def small_fs(where: Path, size: str):
    where.mkdir()
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where))
    try:
        yield where
    finally:
        if not db.is_closed():
            db.close()
        subprocess.run(["umount", "-l", str(where)], check=False)


@contextlib.contextmanager
def read_only_view(folder: Path, where: Path):
    """``folder`` seen through a read-only bind mount (as a write-protected stick or a CD)."""
    where.mkdir()
    _mount("--bind", str(folder), str(where))
    try:
        _mount("-o", "remount,bind,ro", str(where))
        yield where
    finally:
        if not db.is_closed():
            db.close()
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(folder: Path) -> Path:
    """Write a file until the file system says no more."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def _counts() -> tuple[int, int]:
    return Loan.select().count(), Outbox.select().count()


def _lend_until_full(ctx, patron, items) -> DatabaseError:
    for item in items:
        try:
            check_out(ctx, patron.card_number, item.barcode)
            check_in(ctx, item.barcode)
        except DatabaseError as exc:
            return exc
    pytest.fail("the disk never filled up")


def test_full_disk_on_a_real_small_file_system(library, db_path, tmp_path):
    patron = make_patron(library, "HX01P00001")
    items = [make_item(library, f"HX01B{i:06d}") for i in range(3000)]
    db.close()
    with small_fs(tmp_path / "small", "8m") as small:
        path = small / "library.db"
        shutil.copy(db_path, path)
        ctx = make_context(open_db(path), library.clock)
        filler = _fill(small)
        error = _lend_until_full(ctx, patron, items)
        assert "Nothing was saved" in error.message
        # What was refused left nothing behind: every loan has its event, the file is whole.
        assert check(ctx.db).ok
        assert Outbox.select().where(Outbox.type == "loan.checked_out").count() == Loan.select().count()
        filler.unlink()
        check_out(ctx, patron.card_number, items[-1].barcode)  # space again: work goes on
        db.close()
        ctx = make_context(open_db(path), library.clock)
        assert check(ctx.db).ok


def test_full_disk_message_is_plain(library, db_path, tmp_path):
    patron = make_patron(library, "HX01P00001")
    items = [make_item(library, f"HX01B{i:06d}") for i in range(3000)]
    db.close()
    with small_fs(tmp_path / "small", "8m") as small:
        path = small / "library.db"
        shutil.copy(db_path, path)
        ctx = make_context(open_db(path), library.clock)
        _fill(small)
        assert _lend_until_full(ctx, patron, items).message == FULL


def test_backup_to_a_full_stick(library, db_path, tmp_path):
    for i in range(400):
        make_patron(library, f"HX01P{i:05d}", name="某" * 80)
    with small_fs(tmp_path / "stick", "256k") as stick:
        with pytest.raises(DatabaseError, match="is full. Nothing was written there"):
            take_backup(db_path, stick)
        assert not list(stick.glob("*.part")) and not list(stick.glob("*.db"))


def test_read_only_media(library, db_path, tmp_path):
    backup = take_backup(db_path, tmp_path / "disc").path
    before = backup.read_bytes()
    db.close()
    with read_only_view(tmp_path / "disc", tmp_path / "ro") as media:
        # The app cannot open a file it cannot write: a one-line reason, the file untouched.
        with pytest.raises(DatabaseError, match="readonly|read-only"):
            open_db(media / backup.name)
        with pytest.raises(DatabaseError, match="read-only; choose another folder"):
            take_backup(db_path, media)
    assert backup.read_bytes() == before


# -- the same errors at the SQLite layer (no mounting needed) -----------------------------------------


def test_sqlite_full_from_max_page_count(library):
    patron = make_patron(library, "HX01P00001")
    items = [make_item(library, f"HX01B{i:06d}") for i in range(2000)]
    pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
    db.execute_sql(f"PRAGMA max_page_count = {pages}")
    error = _lend_until_full(library, patron, items)
    assert "Nothing was saved" in error.message
    assert check(library.db).ok
    assert Outbox.select().where(Outbox.type == "loan.checked_out").count() == Loan.select().count()
    db.execute_sql("PRAGMA max_page_count = 1073741823")
    check_out(library, patron.card_number, items[-1].barcode)
    assert check(library.db).ok


def test_sqlite_full_message_is_plain(library):
    patron = make_patron(library, "HX01P00001")
    items = [make_item(library, f"HX01B{i:06d}") for i in range(2000)]
    db.execute_sql(f"PRAGMA max_page_count = {db.execute_sql('PRAGMA page_count').fetchone()[0]}")
    assert _lend_until_full(library, patron, items).message == FULL


def test_read_only_connection(library):
    patron = make_patron(library, "HX01P00001")
    item = make_item(library, "HX01B000001")
    db.execute_sql("PRAGMA query_only = 1")
    with pytest.raises(DatabaseError) as refused:
        check_out(library, patron.card_number, item.barcode)
    assert refused.value.message == READ_ONLY
    db.execute_sql("PRAGMA query_only = 0")
    assert Loan.select().count() == 0 and check(library.db).ok
