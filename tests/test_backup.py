"""Backups and restores: consistent copies, rotation, refusals, and an outbox that survives."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
from pathlib import Path

import pytest

from countylib.backup import (
    BackupFile,
    automatic_backup,
    backups_to_keep,
    configured_backup_dir,
    default_backup_dir,
    list_backups,
    restore_backup,
    rotate,
    take_backup,
)
from countylib.circulation import check_in, check_out
from countylib.cli import main
from countylib.clock import FixedClock
from countylib.errors import DatabaseError, PermissionDenied, ValidationError
from countylib.integrity import check
from countylib.library import make_context, open_db
from countylib.roles import Actor
from countylib.settings import change_setting
from models import AuditLog, Outbox, Patron, SyncState
from models.base import db
from models.database import APPLICATION_ID, SCHEMA_VERSION
from tests.circulation_helpers import make_item, make_patron


def _mark_sent(ids) -> None:
    Outbox.update(acked_at=dt.datetime(2026, 11, 21, 3, 0)).where(Outbox.id.in_(list(ids))).execute()


def _patron_events(ctx, prefix: str, n: int) -> list[str]:
    """n registrations with their events, the way a service writes them."""
    ids = []
    for i in range(n):
        with ctx.db.atomic("IMMEDIATE"):
            patron = make_patron(ctx, f"{prefix}{i:04d}")
            ids.append(ctx.record("patron.registered", {"patron_id": patron.id}).id)
    return ids


def _reopen(db_path, clock):
    return make_context(open_db(db_path), clock)


# -- taking backups ----------------------------------------------------------------------------


def test_backup_is_a_checked_countylib_file(library, db_path, tmp_path):
    result = take_backup(db_path, tmp_path / "usb", clock=library.clock)
    assert result.path.parent == tmp_path / "usb" and result.path.name.startswith("library-")
    assert not list((tmp_path / "usb").glob("*.part"))
    conn = sqlite3.connect(result.path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    assert conn.execute("SELECT count(*) FROM branch").fetchone()[0] == 1
    conn.close()
    assert "Backed up to" in result.line()


def test_backup_while_the_desk_lends_is_consistent(library, db_path, tmp_path):
    """Check-outs keep committing in another thread (own connection) while backups are taken."""
    patron = make_patron(library, "HX01P90000")
    items = [make_item(library, f"HX01B9{i:05d}") for i in range(300)]
    stop = threading.Event()
    done: list[int] = []

    def lend() -> None:
        with db.connection_context():
            for i, item in enumerate(items):
                if stop.is_set():
                    break
                check_out(library, patron.card_number, item.barcode)
                check_in(library, item.barcode)
                done.append(i)

    worker = threading.Thread(target=lend)
    worker.start()
    checked = 0
    try:
        while worker.is_alive() and checked < 5:
            # Checked at once: rotation keeps only the newest backup of a day.
            path = take_backup(db_path, tmp_path / "b").path
            conn = sqlite3.connect(path)
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            # A check-out and its event are in the same snapshot, or neither is.
            loans = conn.execute("SELECT count(*) FROM loan").fetchone()[0]
            outs = conn.execute("SELECT count(*) FROM outbox WHERE type = 'loan.checked_out'").fetchone()[0]
            assert loans == outs
            conn.close()
            checked += 1
    finally:
        stop.set()
        worker.join()
    assert checked and done


def test_backup_to_an_unreachable_folder_says_so(library, db_path, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(DatabaseError, match="cannot be reached or written. Is the USB stick plugged in"):
        take_backup(db_path, blocker / "usb")


def test_backup_folder_setting(library, db_path, tmp_path):
    assert configured_backup_dir(db_path) == default_backup_dir(db_path) == db_path.parent / "backups"
    change_setting(library, "backup_folder", str(tmp_path / "usb"))
    assert configured_backup_dir(db_path) == tmp_path / "usb"


# -- rotation -----------------------------------------------------------------------------------


def test_rotation_keeps_7_daily_4_weekly_12_monthly():
    start = dt.datetime(2026, 11, 21, 9, 0)
    backups = [
        BackupFile(Path(f"/b/library-{(start - dt.timedelta(hours=12 * n)):%Y%m%d-%H%M%S}.db"), start - dt.timedelta(hours=12 * n), 1)
        for n in range(2 * 500)  # two a day for 500 days
    ]
    keep = backups_to_keep(backups)
    kept = sorted((b.taken_at for b in backups if b.path in keep), reverse=True)
    days = {t.date() for t in kept}
    # The newest of each of the last 7 days...
    assert [start.date() - dt.timedelta(days=n) for n in range(7)] == sorted((d for d in days if d > start.date() - dt.timedelta(days=7)), reverse=True)
    assert kept[0] == start
    # ...of 4 ISO weeks and of 12 months: 12 months back and no further.
    assert len({t.isocalendar()[:2] for t in kept}) >= 4
    months = {(t.year, t.month) for t in kept}
    assert len(months) == 12 and min(months) == (2025, 12)
    assert len(kept) <= 7 + 4 + 12


def test_a_backup_taken_by_hand_outlives_the_later_ones_that_day(tmp_path):
    for hour in (9, 12, 15):  # by hand before an import at 9, then the app's own
        (tmp_path / f"library-20261121-{hour:02d}0000.db").write_bytes(b"x")
    rotate(tmp_path, "library")
    assert len(list_backups(tmp_path, "library")) == 3
    (tmp_path / "library-20261121-180000.db").write_bytes(b"x")
    rotate(tmp_path, "library")
    assert [b.path.name for b in list_backups(tmp_path, "library")] == [
        "library-20261121-180000.db", "library-20261121-150000.db", "library-20261121-120000.db"
    ]


def test_rotate_deletes_only_rotated_backups_of_this_database(tmp_path):
    for n in range(20):
        (tmp_path / f"library-202611{n + 1:02d}-020000.db").write_bytes(b"x")
    keepers = [tmp_path / "library-v1-before-migration-20260101-000000.db", tmp_path / "demo-20260101-020000.db",
               tmp_path / "notes.txt"]
    for path in keepers:
        path.write_bytes(b"x")
    kept, removed = rotate(tmp_path, "library")
    assert kept == len(list_backups(tmp_path, "library"))
    assert removed and all(p.name.startswith("library-2026") for p in removed)
    assert all(p.exists() for p in keepers)
    names = [b.path.name for b in list_backups(tmp_path, "library")]
    assert names[0] == "library-20261120-020000.db"  # newest first
    assert len(names) == 7 + 2  # 7 days, plus older weeks' and the month's newest


def test_automatic_backup_on_start_daily_and_when_the_stick_is_missing(library, db_path, tmp_path):
    clock = FixedClock(instant=dt.datetime(2026, 11, 21, 2, 0, tzinfo=dt.UTC))
    usb = tmp_path / "usb"
    first = automatic_backup(db_path, usb, reason="start", clock=clock)
    assert first is not None and first.path.parent == usb
    clock.advance(minutes=20)
    assert automatic_backup(db_path, usb, reason="start", clock=clock) is None  # restarted soon after
    assert automatic_backup(db_path, usb, reason="daily", clock=clock) is None
    clock.advance(hours=24)
    daily = automatic_backup(db_path, usb, reason="daily", clock=clock)
    assert daily is not None and daily.path.parent == usb
    # The stick is gone (its mount point is now a file): the backup goes beside the database.
    import shutil

    shutil.rmtree(usb)
    usb.write_text("")
    clock.advance(hours=25)
    fallback = automatic_backup(db_path, usb, reason="daily", clock=clock)
    assert fallback is not None and fallback.path.parent == default_backup_dir(db_path)
    assert "could not be used" in fallback.fallback and "USB stick" in fallback.fallback


# -- restore: refusals ---------------------------------------------------------------------------


def _unchanged(db_path, before: bytes) -> bool:
    return db_path.read_bytes() == before


def test_restore_refuses_files_that_are_not_countylib_databases(library, db_path, tmp_path):
    db.close()
    before = db_path.read_bytes()
    text = tmp_path / "notes.db"
    text.write_text("not a database at all, just some words " * 10)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    for path in (text, other):
        with pytest.raises(DatabaseError, match="is not a CountyLib database"):
            restore_backup(db_path, path)
    with pytest.raises(ValidationError, match="There is no file"):
        restore_backup(db_path, tmp_path / "missing.db")
    with pytest.raises(ValidationError, match="is the database itself"):
        restore_backup(db_path, db_path)
    assert _unchanged(db_path, before)
    assert not list(tmp_path.glob("*.restoring*")) and not list(tmp_path.glob("*before-restore*"))


def test_restore_refuses_a_backup_from_a_newer_program(library, db_path, tmp_path):
    backup = take_backup(db_path, tmp_path / "b").path
    conn = sqlite3.connect(backup)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    db.close()
    before = db_path.read_bytes()
    with pytest.raises(DatabaseError, match=rf"newer CountyLib \(schema {SCHEMA_VERSION + 1}\).*Update this program"):
        restore_backup(db_path, backup)
    assert _unchanged(db_path, before)


def test_restore_refuses_a_damaged_backup(library, db_path, tmp_path):
    for i in range(200):
        make_patron(library, f"HX01P{i:05d}", name="某" * 50)
    backup = take_backup(db_path, tmp_path / "b").path
    data = bytearray(backup.read_bytes())
    page = 4096
    for offset in range(page * 3, len(data) - page, page * 2):
        data[offset + 100 : offset + 400] = b"\xff" * 300
    backup.write_bytes(bytes(data))
    db.close()
    with pytest.raises(DatabaseError, match="damaged|not a CountyLib database"):
        restore_backup(db_path, backup)


def test_restore_refuses_while_the_database_is_open_elsewhere(library, db_path, tmp_path):
    backup = take_backup(db_path, tmp_path / "b").path
    db.close()
    other = sqlite3.connect(db_path)  # another CountyLib window
    other.execute("SELECT count(*) FROM branch").fetchone()
    with pytest.raises(DatabaseError, match="open in CountyLib"):
        restore_backup(db_path, backup)
    other.close()
    assert restore_backup(db_path, backup).aside is not None


def test_only_admins_restore(as_role, db_path, tmp_path):
    volunteer = as_role("volunteer")
    librarian = as_role("librarian")
    backup = take_backup(db_path, tmp_path / "b").path
    for ctx in (volunteer, librarian):
        with pytest.raises(PermissionDenied):
            restore_backup(db_path, backup, actor=ctx.actor)


# -- restore: what is kept ------------------------------------------------------------------------


def test_restore_keeps_the_current_file_aside_and_audits(library, db_path, tmp_path):
    make_patron(library, "HX01P00001")
    backup = take_backup(db_path, tmp_path / "b").path
    make_patron(library, "HX01P00002")
    admin = Actor(None, "admin", "admin")
    db.close()
    result = restore_backup(db_path, backup, actor=admin, clock=library.clock)
    assert result.aside.exists() and result.aside.parent == db_path.parent
    assert "before-restore" in result.aside.name
    aside = sqlite3.connect(result.aside)
    assert aside.execute("SELECT count(*) FROM patron").fetchone()[0] == 2  # exactly as it was
    aside.close()
    ctx = _reopen(db_path, library.clock)
    assert [p.card_number for p in Patron.select()] == ["HX01P00001"]
    entry = AuditLog.get(AuditLog.action == "database.restored")
    assert entry.username == "admin" and entry.details["source"] == backup.name
    assert check(ctx.db).ok
    assert "The database that was in use is kept as" in result.line()


def _restore_scenario(library, db_path, tmp_path, *, pushed_after_backup: int, sent_after: bool):
    """Events sent, a backup, more pushed/made, then a restore of that backup."""
    init = [e.id for e in Outbox.select()]
    sent_before = _patron_events(library, "A", 2)
    _mark_sent(init + sent_before)
    at_backup = _patron_events(library, "B", 3)  # unsent when the backup is taken
    old = SyncState.get_by_id(1)
    backup = take_backup(db_path, tmp_path / "b").path
    _mark_sent(at_backup[:pushed_after_backup])  # the hub acknowledges in seq order
    later_sent = _patron_events(library, "C", 1) if sent_after else []
    _mark_sent(later_sent)
    unsent_after = _patron_events(library, "D", 2)  # made after the backup, never pushed
    hlc_before = SyncState.get_by_id(1).hlc
    db.close()
    result = restore_backup(db_path, backup, clock=library.clock)
    _reopen(db_path, library.clock)
    state = SyncState.get_by_id(1)
    assert state.epoch != old.epoch and result.epoch == state.epoch
    assert state.device_id == old.device_id
    assert state.hlc >= hlc_before  # new events stamp after the carried ones
    everything = [e.id for e in Outbox.select()]
    assert len(everything) == len(set(everything)) == len(init) + 2 + 3 + len(later_sent) + 2
    sent = {e.id for e in Outbox.select().where(Outbox.acked_at.is_null(False))}
    assert set(init + sent_before + at_backup[:pushed_after_backup] + later_sent) == sent
    report = check()
    assert report.ok, report.problems
    return result, state, at_backup, unsent_after


def _pending() -> list[Outbox]:
    return list(Outbox.select().where(Outbox.acked_at.is_null()).order_by(Outbox.seq))


def test_restore_merges_the_outbox_under_a_new_epoch(library, db_path, tmp_path):
    """SYNC.md "Restores": new epoch, seq from 1, unsent events kept, none sent twice."""
    result, state, at_backup, unsent_after = _restore_scenario(
        library, db_path, tmp_path, pushed_after_backup=2, sent_after=False
    )
    pending = _pending()
    # Unsent: the backup's one event the hub never got, and the two only the old file had.
    assert [e.id for e in pending] == [at_backup[2], *unsent_after]
    assert [e.seq for e in pending] == [1, 2, 3] and {e.epoch for e in pending} == {state.epoch}
    assert state.next_seq == 4
    assert result.pending == 3 and result.carried == 2 and result.marked_sent == 2
    # The next event continues the new epoch.
    new = _patron_events(make_context(db, library.clock), "E", 1)
    assert Outbox.get_by_id(new[0]).seq == 4 and Outbox.get_by_id(new[0]).epoch == state.epoch
    assert check().ok


def test_restore_keeps_events_sent_after_the_backup_as_sent(library, db_path, tmp_path):
    result, state, at_backup, unsent_after = _restore_scenario(
        library, db_path, tmp_path, pushed_after_backup=3, sent_after=True
    )
    assert [e.id for e in _pending()] == unsent_after and [e.seq for e in _pending()] == [1, 2]
    assert result.marked_sent == 3 and result.carried == 2 and state.next_seq == 3


def test_restore_from_another_device_leaves_its_unsent_events_aside(library, db_path, tmp_path):
    backup = take_backup(db_path, tmp_path / "b").path
    conn = sqlite3.connect(backup)
    conn.execute("UPDATE sync_state SET device_id = 'another-laptop'")
    conn.commit()
    conn.close()
    _patron_events(library, "X", 2)
    db.close()
    with pytest.raises(ValidationError, match="another computer of"):
        restore_backup(db_path, backup)
    result = restore_backup(db_path, backup, replace_other=True)
    assert result.carried == 0 and "another computer's" in result.note
    aside = sqlite3.connect(result.aside)
    assert aside.execute("SELECT count(*) FROM outbox WHERE acked_at IS NULL").fetchone()[0] == 3
    aside.close()


def test_restore_over_a_damaged_file(library, db_path, tmp_path):
    backup = take_backup(db_path, tmp_path / "b").path
    db.close()
    db_path.write_bytes(b"\x00" * 8192)  # the disk ate it
    result = restore_backup(db_path, backup)
    assert result.aside.read_bytes() == b"\x00" * 8192
    _reopen(db_path, library.clock)
    assert check().ok


def test_restore_migrates_an_older_backup(tmp_path, clock):
    from models.database import create_v1_schema

    old = tmp_path / "old.db"
    open_db(old)  # a fresh file, then replaced by the frozen v1 schema
    db.close()
    old.unlink()
    db.init(str(old))
    db.connect()
    create_v1_schema()
    db.execute_sql("INSERT INTO sync_state (id, device_id, epoch, next_seq, hlc, hub_url, hub_cursor, last_error, clock_offset_ms) "
                   "VALUES (1, 'dev', 'e1', 1, 0, '', 0, '', 0)")
    db.close()
    target = tmp_path / "library.db"
    result = restore_backup(target, old, clock=clock)
    assert result.schema_version == 1 and result.aside is None
    open_db(target)
    from models.database import schema_version

    assert schema_version() == SCHEMA_VERSION
    db.close()


# -- through the hub: each unsent event arrives exactly once ---------------------------------------


@pytest.fixture
def real_hub(tmp_path):
    from tests.sync.conftest import Hub, HubAdmin, HubProcess

    dsn = f"sqlite:///{tmp_path}/hub.db"
    admin = HubAdmin(dsn)
    process = HubProcess(dsn, tmp_path).start()
    yield Hub(process, admin)
    process.close()


def enrolled_branch(path, hub):
    """Branch HXA set up at ``path`` and enrolled with the real hub."""
    from countylib.library import initialize_library
    from tests.sync.conftest import BranchDB, SkewedClock

    branch = BranchDB(path, "HXA", SkewedClock())
    initialize_library(open_db(path), library_name="县图书馆", branch_code="HXA", branch_name="A",
                       admin_user="admin", password="admin123", language="en", clock=branch.clock)
    branch.enroll(hub)
    return branch


def test_restore_then_sync_sends_each_event_exactly_once(real_hub, tmp_path):
    from tests.sync import desk

    path = tmp_path / "hxa.db"
    branch = enrolled_branch(path, real_hub)
    with branch.use() as ctx:
        desk.add_patron(ctx, "A0001", "甲")
        branch.client().sync()
        desk.add_patron(ctx, "B0001", "乙")  # unsent when the backup is taken...
        backup = take_backup(path, tmp_path / "b").path
        branch.client().sync()  # ...then sent
        desk.add_patron(ctx, "C0001", "丙")  # made after the backup, never sent
        desk.add_patron(ctx, "C0002", "丁")
    db.close()
    restore_backup(path, backup)
    with branch.use() as ctx:
        summary = branch.client().sync()
        assert Outbox.select().where(Outbox.acked_at.is_null()).count() == 0
        cards = {p.card_number for p in Patron.select()}
        local_ids = [e.id for e in Outbox.select()]
    assert summary.pushed == 2 and summary.duplicates == 0  # B0001 was not sent again
    assert {"A0001", "B0001", "C0001", "C0002"} <= cards  # C's rows came back down from the hub
    hub_ids = [e.id for e in real_hub.admin.events()]
    assert len(hub_ids) == len(set(hub_ids)) and set(hub_ids) == set(local_ids)


# -- the command line -----------------------------------------------------------------------------------


def test_backup_restore_check_commands(library, db_path, tmp_path, capsys):
    db.close()
    assert main(["backup", "--db", str(db_path), "--to", str(tmp_path / "usb")]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("Backed up to")
    backup = next((tmp_path / "usb").glob("library-*.db"))
    assert main(["check", "--db", str(db_path)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("Database OK") and "backups:" in line and "logs:" in line and "\n" not in line
    db.close()
    assert main(["restore", "--db", str(db_path), str(backup)]) == 0
    assert capsys.readouterr().out.startswith("Restored ")
    assert main(["restore", "--db", str(db_path), str(tmp_path / "nope.db")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("countylib: There is no file") and "\n" not in err
    assert main(["backup", "--db", str(tmp_path / "missing.db")]) == 1
    assert "There is no database" in capsys.readouterr().err


def test_check_command_reports_a_problem(library, db_path, capsys):
    item = make_item(library, status="on_loan")
    db.close()
    assert main(["check", "--db", str(db_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert "marked on loan without exactly one open loan" in err and item.barcode in err


# -- restore: what was done after the backup ------------------------------------------------------


def _lend_after_backup(library, db_path, tmp_path):
    """A reader, a copy and a backup; then the copy is lent, and the backup restored."""
    reader = make_patron(library, "HX01P00007", name="张伟")
    other = make_patron(library, "HX01P00008", name="李娜")
    item = make_item(library, "HX01B900007", title="红楼梦")
    backup = take_backup(db_path, tmp_path / "b").path
    loan = check_out(library, reader.card_number, item.barcode).loan
    db.close()
    result = restore_backup(db_path, backup, clock=library.clock)
    return result, reader, other, item, loan


def test_restore_puts_back_a_loan_made_after_the_backup(library, db_path, tmp_path):
    from countylib.circulation import current_loans
    from countylib.i18n import set_language
    from countylib.rules import Blocked
    from models import Item, Loan

    result, reader, other, item, loan = _lend_after_backup(library, db_path, tmp_path)
    ctx = _reopen(db_path, library.clock)
    assert Item.get_by_id(item.id).status == "on_loan"
    assert [line.loan_id for line in current_loans(Patron.get_by_id(reader.id), ctx.clock.today())] == [loan.id]
    with pytest.raises(Blocked) as refused:  # the desk does not lend it a second time
        check_out(ctx, other.card_number, item.barcode)
    assert [b.code for b in refused.value.blocks] == ["on_loan"]
    assert Loan.select().where(Loan.item == item.id).count() == 1
    # Put back from its event: no second event for the hub.
    assert Outbox.select().where(Outbox.type == "loan.checked_out").count() == 1
    assert result.after.total == 1 and result.after.waiting == 1
    assert (
        "1 change was made in the database that was in use after this backup was taken. Put back in this one (loans, "
        "returns, renewals, new readers): 1; still to be sent to the central library, none of them twice: 1."
    ) in result.line()
    assert result.details() == ["Lent HX01B900007 “红楼梦” to 张伟, 2026-11-21 10:00"]
    set_language("zh_CN")
    assert "备份之后，原用数据库中还做过 1 项更改" in result.line()
    assert result.details() == ["借出 HX01B900007 《红楼梦》 给 张伟 2026-11-21 10:00"]


def test_restore_command_lists_what_was_done_after_the_backup(library, db_path, tmp_path, capsys):
    reader = make_patron(library, "HX01P00007", name="张伟")
    item = make_item(library, "HX01B900007", title="红楼梦")
    backup = take_backup(db_path, tmp_path / "b").path
    check_out(library, reader.card_number, item.barcode)
    check_in(library, item.barcode)
    check_out(library, reader.card_number, item.barcode)
    _patron_events(library, "D", 1)  # a kind that is only listed
    db.close()
    assert main(["restore", "--db", str(db_path), str(backup)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Restored ") and "4 changes were made in the database that was in use after this backup was taken. Put back in this one (loans, returns, renewals, new readers): 3;" in out[0]
    assert out[1:] == [
        "  Lent HX01B900007 “红楼梦” to 张伟, 2026-11-21 10:00",
        "  Returned HX01B900007 “红楼梦”, 2026-11-21 10:00",
        "  Lent HX01B900007 “红楼梦” to 张伟, 2026-11-21 10:00",
        (
            "  These reach the central library, but show in this database only once the next sync brings them back: "
            "new readers × 1."
        ),
    ]


def test_restore_then_lending_again_gives_the_hub_one_loan(real_hub, tmp_path):
    from countylib.circulation import check_out
    from countylib.rules import Blocked
    from models import Item, Loan
    from tests.sync import desk

    path = tmp_path / "hxa.db"
    branch = enrolled_branch(path, real_hub)
    with branch.use() as ctx:
        desk.add_patron(ctx, "A0001", "张伟")
        desk.add_patron(ctx, "A0002", "李娜")
        item = desk.add_item(ctx, desk.add_bib(ctx, "红楼梦"), "HXA0000007")
        branch.client().sync()
        backup = take_backup(path, tmp_path / "b").path
        loan = check_out(ctx, "A0001", "HXA0000007").loan  # after the backup, not yet sent
    db.close()
    restore_backup(path, backup)
    with branch.use() as ctx:
        with contextlib.suppress(Blocked):  # the librarian lends the copy the desk shows as free
            check_out(ctx, "A0002", "HXA0000007")
        summary = branch.client().sync()
    hub_loans = [key for key, row in real_hub.admin.projection("loan").items() if row["item_id"] == item.id]
    assert hub_loans == [loan.id]  # one loan, the one made after the backup
    assert [row.id for row in real_hub.admin.open_loans(item.id)] == [loan.id]
    assert summary.pushed == 1 and summary.duplicates == 0
    hub_ids = [e.id for e in real_hub.admin.events()]
    assert len(hub_ids) == len(set(hub_ids))
    with branch.use():  # and this desk agrees with the hub after the sync
        assert Item.get_by_id(item.id).status == "on_loan"
        assert [(row.id, row.checked_in_at) for row in Loan.select().where(Loan.item == item.id)] == [(loan.id, None)]


def test_restore_says_when_nothing_was_done_after_the_backup(library, db_path, tmp_path):
    backup = take_backup(db_path, tmp_path / "b").path
    db.close()
    result = restore_backup(db_path, backup, clock=library.clock)
    assert result.line().endswith("Nothing was done in the database that was in use after this backup was taken.")
    assert result.details() == []


def test_restore_refuses_another_branchs_backup_unless_asked(library, db_path, tmp_path, capsys):
    from countylib.library import initialize_library

    other = tmp_path / "xz02.db"
    initialize_library(open_db(other), library_name="某某县图书馆", branch_code="XZ02", branch_name="东关分馆",
                       admin_user="admin", password="admin123", language="en")
    db.close()
    backup = take_backup(other, tmp_path / "b").path
    assert main(["--lang", "en", "restore", "--db", str(db_path), str(backup)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        f"countylib: This backup is 某某县图书馆 · 东关分馆 (XZ02)'s; the database it would replace, {db_path}, is "
        "某某县图书馆 · 城关分馆 (HX01)'s. Nothing was changed. To put XZ02's backup in place of HX01's database on "
        "purpose, restore again with --replace-other."
    )
    here = sqlite3.connect(db_path)
    assert here.execute("SELECT code FROM branch WHERE is_local = 1").fetchall() == [("HX01",)]
    here.close()
    assert not list(tmp_path.glob("*before-restore*")) and not list(tmp_path.glob("*.restoring"))
    assert main(["--lang", "en", "restore", "--db", str(db_path), str(backup), "--replace-other-branch"]) == 0
    assert capsys.readouterr().out.startswith(f"Restored {backup}. The database that was in use is kept as ")
    open_db(db_path)
    from countylib.library import local_branch

    assert local_branch().code == "XZ02"
    db.close()


def test_restore_summary_speaks_plainly(library, db_path, tmp_path, capsys):
    backup = take_backup(db_path, tmp_path / "b").path
    db.close()
    assert main(["--lang", "zh_CN", "restore", "--db", str(db_path), str(backup)]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith(f"已从 {backup} 恢复。原用数据库另存为 ") and "纪元" not in out and "结构版本" not in out
    assert main(["--lang", "en", "restore", "--db", str(db_path), str(backup)]) == 0
    out = capsys.readouterr().out
    assert "epoch" not in out and "schema" not in out
