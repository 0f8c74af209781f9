"""Opening, identity, pragmas and forward migrations of the library database."""

from __future__ import annotations

import sqlite3

import pytest

from countylib.errors import DatabaseError
from countylib.library import open_db
from models.base import PRAGMAS, db
from models.database import SCHEMA_VERSION, create_v1_schema, schema_version


def _make_v1_file(path):
    db.init(str(path), pragmas=PRAGMAS)
    db.connect()
    create_v1_schema()
    db.execute_sql(
        "INSERT INTO branch (id, code, name, library_name, is_local, created_at) "
        "VALUES ('b1', 'HX01', '城关分馆', '某某县图书馆', 1, '2025-01-01 00:00:00')"
    )
    db.execute_sql(
        "INSERT INTO bib (id, control_number, title, author, publisher, year, isbn, clc_class, call_number,"
        " price_cents, marc_format, created_at, updated_at) VALUES ('k1', '', '红楼梦', '曹雪芹', '人民文学出版社',"
        " '1982', '9787020002207', 'I242.4', 'I242.4/1', 5000, '', '2025-01-01', '2025-01-01')"
    )
    db.execute_sql(
        "INSERT INTO patron (id, card_number, name, name_pinyin, name_initials, gender, id_type, id_number,"
        " id_number_hash, id_number_masked, phone, address, category, home_branch_id, status, deposit_cents,"
        " notes, pin_hash, guardian_name, guardian_phone, guardian_id_number, registered_at, updated_at)"
        " VALUES ('p1', 'HX0100001', '张三丰', 'zhangsanfeng', 'zsf', 'M', 'resident_id', '61030319800101123x',"
        " 'h', '6103**********123X', '', '', 'adult', 'b1', 'active', 0, '', '', '', '', '', '2025-01-01', '2025-01-01')"
    )
    db.close()


def _schema(path):
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'bib_fts%'")]
        columns = {t: sorted((c[1], c[2], c[3]) for c in con.execute(f'PRAGMA table_info("{t}")')) for t in tables}
        indexes = sorted(r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('index','trigger')"))
        return columns, indexes
    finally:
        con.close()


def test_new_file_gets_current_schema_and_pragmas(tmp_path):
    database = open_db(tmp_path / "new.db")
    assert schema_version() == SCHEMA_VERSION
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 5000
    database.close()


def test_version_1_file_is_backed_up_then_migrated(tmp_path):
    path = tmp_path / "branch.db"
    _make_v1_file(path)
    database = open_db(path)
    assert schema_version() == SCHEMA_VERSION
    # Data survives, and the new search index covers the rows that were already there.
    hits = database.execute_sql("SELECT rowid FROM bib_fts WHERE bib_fts MATCH '红楼梦'").fetchall()
    assert len(hits) == 1
    last4 = database.execute_sql("SELECT id_last4 FROM patron WHERE card_number = 'HX0100001'").fetchone()[0]
    assert last4 == "123X"
    database.close()
    backups = list((tmp_path / "backups").glob("branch-v1-before-migration-*.db"))
    assert len(backups) == 1
    con = sqlite3.connect(backups[0])
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    assert con.execute("SELECT title FROM bib").fetchone()[0] == "红楼梦"
    con.close()


def test_migrated_schema_equals_a_new_one(tmp_path):
    """Every model change needs its migration step: a v1 file upgraded must match a new file."""
    old = tmp_path / "old.db"
    _make_v1_file(old)
    open_db(old).close()
    open_db(tmp_path / "fresh.db").close()
    assert _schema(old) == _schema(tmp_path / "fresh.db")


def test_file_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "future.db"
    open_db(path).close()
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(DatabaseError, match="newer CountyLib"):
        open_db(path)


def test_foreign_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE things (x)")
    con.close()
    with pytest.raises(DatabaseError, match="not a CountyLib database"):
        open_db(path)


def test_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("这不是数据库，只是一些文字。" * 200, encoding="utf-8")
    with pytest.raises(DatabaseError, match="not a CountyLib database"):
        open_db(path)


def test_damaged_file_is_explained(tmp_path):
    path = tmp_path / "lib.db"
    open_db(path).close()
    raw = bytearray(path.read_bytes())
    # Scribble over the schema page after the file header: it still says it is SQLite.
    raw[100:4096] = b"\xff" * 3996
    path.write_bytes(bytes(raw))
    with pytest.raises(DatabaseError) as refused:
        open_db(path)
    assert str(path) in refused.value.message


def test_read_only_folder_is_explained(tmp_path):
    import os

    if os.geteuid() == 0:
        pytest.skip("root can write anywhere; the read-only bind mount test in test_disk_full covers this")
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "lib.db"
    open_db(path).close()
    folder.chmod(0o555)
    path.chmod(0o444)
    try:
        with pytest.raises(DatabaseError, match="read-only"):
            open_db(path)
    finally:
        folder.chmod(0o755)


def test_checkpoints_can_leave_the_commit_path(library):
    from models.database import checkpoint, hand_checkpoints_to_background
    from tests.test_outbox import rename_branch

    hand_checkpoints_to_background(library.db)
    assert library.db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    for n in range(20):
        rename_branch(library, f"分馆{n}")
    busy, frames, copied = checkpoint(library.db)
    assert busy == 0 and frames > 0 and copied == frames


def _wait_for(condition, seconds: float = 10.0) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_long_write_hands_its_checkpoints_to_a_second_thread(library, db_path):
    """In WAL mode only a checkpoint writes the database file itself, so its size tells
    whether the second thread copied the WAL back while this one kept the commits."""
    import threading

    from models.database import checkpoints_in_background, hand_checkpoints_to_background

    hand_checkpoints_to_background(library.db)
    library.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    library.db.execute_sql("CREATE TABLE filler (text TEXT)")
    library.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    size_before = db_path.stat().st_size
    with checkpoints_in_background(library.db) as committed:
        assert library.db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        with library.db.atomic():
            library.db.execute_sql(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
                "INSERT INTO filler SELECT hex(randomblob(500)) FROM n"
            )
        assert db_path.stat().st_size == size_before, "nothing but a checkpoint writes the file"
        committed()
        assert _wait_for(lambda: db_path.stat().st_size > size_before + 1_000_000)
    assert "wal-checkpoint" not in {t.name for t in threading.enumerate()}
    # The desk's own setting comes back: its commits still never checkpoint.
    assert library.db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 0


def test_the_checkpoint_thread_stops_when_the_write_fails(library):
    import threading

    from models.database import checkpoints_in_background

    with pytest.raises(ZeroDivisionError), checkpoints_in_background(library.db):
        1 / 0  # noqa: B018
    assert "wal-checkpoint" not in {t.name for t in threading.enumerate()}
    assert library.db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
