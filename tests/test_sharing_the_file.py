"""The database file shared with another program while the app has it open.

SQLite keeps a WAL database consistent between processes with POSIX locks, and POSIX drops
every lock a process holds on a file when that process closes any descriptor of it
(sqlite.org/howtocorrupt.html, 2.2). The app reads whether a file is encrypted before each
backup and each new connection; had it read the header with open()/close(), a command run
beside it (``countylib check``, ``export-marc``, a backup) would have found the file unlocked,
taken itself for the last user, and deleted the WAL the app still writes into.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from countylib import encryption
from countylib.backup import take_backup
from countylib.library import make_context, open_db
from models.base import db
from tests.test_outbox import rename_branch

PASSPHRASE = "县图书馆 correct horse"
READ_BRANCH_NAME = textwrap.dedent(
    """
    import sys
    if sys.argv[2]:
        from sqlcipher3 import dbapi2 as driver
    else:
        import sqlite3 as driver
    conn = driver.connect(sys.argv[1], timeout=10)
    if sys.argv[2]:
        conn.execute("PRAGMA key = '" + sys.argv[2] + "'")
    print(conn.execute("SELECT name FROM branch WHERE is_local").fetchone()[0])
    conn.close()
    """
)


def _other_program(db_path, passphrase: str) -> str:
    """A separate process opens the file, reads and closes it, as a command run beside the app does."""
    done = subprocess.run(
        [sys.executable, "-c", READ_BRANCH_NAME, str(db_path), passphrase], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _a_worker_connects() -> None:
    with db.connection_context():
        db.execute_sql("SELECT count(*) FROM branch").fetchone()


@pytest.fixture(params=["plain", "encrypted"])
def passphrase(request, library, db_path):
    if request.param == "plain":
        yield ""
        return
    if not encryption.available():
        pytest.skip("SQLCipher (sqlcipher3-wheels) is not installed")
    db.close()
    encryption.encrypt_database(db_path, PASSPHRASE)
    yield PASSPHRASE
    if not db.is_closed():
        db.close()
    encryption.forget_passphrase()


def test_a_command_run_beside_the_app_leaves_its_wal_and_its_later_work(passphrase, db_path, tmp_path, clock):
    if passphrase:
        encryption.unlock(db_path, passphrase)
    app = make_context(open_db(db_path), clock)
    with app.db.atomic("IMMEDIATE"):
        rename_branch(app, "城关分馆（一）")
    take_backup(db_path, tmp_path / "backups")  # as the app does at start, its connection open
    worker = threading.Thread(target=_a_worker_connects)  # each opens its own connection
    worker.start()
    worker.join()
    assert _other_program(db_path, passphrase) == "城关分馆（一）"
    wal = db_path.with_name(db_path.name + "-wal")
    assert wal.exists(), "the other program took itself for the last user and removed the app's WAL"
    with app.db.atomic("IMMEDIATE"):
        rename_branch(app, "城关分馆（二）")
    assert _other_program(db_path, passphrase) == "城关分馆（二）"
