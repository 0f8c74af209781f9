"""Backups of the library database, kept in rotation, and restoring one.

A backup is taken with SQLite's online backup API from a connection of its own, in ONE
step: one read transaction, so the copy is a single consistent moment even while the desk
keeps lending (in WAL mode readers never block writers, and a stepwise copy would restart
every time the desk wrote). It is written to a ``.part`` file, checked, and only then
renamed, so a USB stick pulled out mid-copy never leaves a file that looks like a backup.

Rotation keeps the three newest backups, and the newest of each of the last 7 days, 4 weeks
and 12 months, and never touches the files migrations and restores set aside (their names differ).

Restoring (SYNC.md "Restores"): the chosen file is copied next to the database, checked
(a CountyLib file, not newer than this program, intact by quick_check) and migrated if older. The sync
outbox is then merged so nothing is lost or sent twice: events the current file already
sent are marked sent, events it has not sent yet are carried over, and every unsent event
is renumbered into a NEW epoch from seq 1 (the hub recognises any it already holds by event
id). What was done after the backup is put back into the restored tables where its events
allow, and named in the summary where they do not (countylib.after_backup). Only then is the
current file renamed aside and the restored one put in its place.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from countylib import encryption
from countylib.after_backup import AfterBackup, put_back
from countylib.audit import record_audit
from countylib.clock import Clock
from countylib.errors import DatabaseError, PermissionDenied, ValidationError
from countylib.i18n import N_, _, join_sentences, ngettext
from countylib.roles import ADMIN, ROLE_NAMES, SYSTEM, Actor
from countylib.settings import SettingSpec, get_setting, register_settings
from models import Outbox, Staff, SyncState
from models.base import db
from models.database import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    DatabaseTooNew,
    NotACountyLibDatabase,
    open_database,
)
from models.ids import new_id

log = logging.getLogger(__name__)

register_settings(
    SettingSpec("backup_folder", "", N_("Backup folder (for example a USB stick); blank: 'backups' beside the database")),
)

KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 12
# Whatever their day: a backup taken by hand before a large import must outlive the app's
# own backups later that same day, which the newest-of-each-day rule alone would not keep.
KEEP_NEWEST = 3
# Restarting the app several times in an hour should not copy the file each time.
START_BACKUP_MIN_AGE = dt.timedelta(hours=1)
DAILY_BACKUP_MAX_AGE = dt.timedelta(hours=24)
SQLITE_HEADER = b"SQLite format 3\x00"
STAMP = "%Y%m%d-%H%M%S"


@dataclass(frozen=True)
class BackupFile:
    path: Path
    taken_at: dt.datetime  # local time, from the name
    size: int


@dataclass
class BackupResult:
    path: Path
    size: int
    seconds: float
    kept: int  # backups of this database in the folder after rotation
    removed: list[Path] = field(default_factory=list)
    fallback: str = ""  # why the configured folder was not used (automatic backups only)

    def line(self) -> str:
        text = _("Backed up to {path} ({size}, {seconds:.1f} s); {kept} backups kept, {removed} removed.").format(
            path=self.path, size=human_size(self.size), seconds=self.seconds, kept=self.kept, removed=len(self.removed)
        )
        return f"{text} {self.fallback}" if self.fallback else text


@dataclass
class RestoreResult:
    restored_from: Path
    aside: Path | None  # where the file that was in use went
    schema_version: int  # of the backup as found (before any migration)
    epoch: str  # the new sync epoch
    pending: int  # unsent events, renumbered into the new epoch
    carried: int  # of those, events only the replaced file had
    marked_sent: int  # events the backup held as unsent that the replaced file had sent
    note: str = ""  # when the replaced file's outbox could not be merged, why
    after: AfterBackup = field(default_factory=AfterBackup)  # what was done after the backup

    def line(self) -> str:
        parts = [_("Restored {source}.").format(source=self.restored_from)]
        if self.schema_version < SCHEMA_VERSION:
            parts.append(_("It was made by an older version of CountyLib and has been brought up to date."))
        if self.aside:
            parts.append(_("The database that was in use is kept as {aside}.").format(aside=self.aside))
        if self.pending:
            parts.append(
                ngettext(
                    "{n} change not yet sent to the central library goes there at the next sync.",
                    "{n} changes not yet sent to the central library go there at the next sync.",
                    self.pending,
                ).format(n=self.pending)
            )
        if self.carried:
            parts.append(
                ngettext(
                    "{n} of them was made after this backup was taken.",
                    "{n} of them were made after this backup was taken.",
                    self.carried,
                ).format(n=self.carried)
            )
        return join_sentences(part for part in (*parts, self.note, self.after.line()) if part)

    def details(self) -> list[str]:
        """One line per change made after the backup, as staff would say it."""
        return self.after.details()


def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"


# -- where backups go ----------------------------------------------------------------------


def default_backup_dir(db_path: Path) -> Path:
    """``backups`` beside the database: where migrations put the copy they take first, too."""
    return Path(db_path).resolve().parent / "backups"


def configured_backup_dir(db_path: Path) -> Path:
    """The admin's backup folder setting, else the default. Needs the database open."""
    folder = str(get_setting("backup_folder") or "").strip()
    return Path(folder).expanduser() if folder else default_backup_dir(db_path)


def _pattern(stem: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(stem)}-(\d{{8}}-\d{{6}})(?:-(\d+))?\.db$")


def list_backups(folder: Path, stem: str) -> list[BackupFile]:
    """This database's rotated backups in ``folder``, newest first."""
    pattern = _pattern(stem)
    found = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return []
    for path in entries:
        match = pattern.match(path.name)
        if match and path.is_file():
            taken = dt.datetime.strptime(match.group(1), STAMP)
            found.append((taken, int(match.group(2) or 1), BackupFile(path, taken, path.stat().st_size)))
    # Several in one second are numbered -2, -3...: the highest is the newest.
    return [b for _t, _n, b in sorted(found, key=lambda f: (f[0], f[1]), reverse=True)]


def backups_to_keep(backups: list[BackupFile]) -> set[Path]:
    """``backups`` newest first (as list_backups gives them): the newest few, then
    grandfather-father-son: the newest backup of each of the last 7 days, 4 ISO weeks, 12 months."""
    keep = {backup.path for backup in backups[:KEEP_NEWEST]}
    periods: dict[str, list] = {"day": [], "week": [], "month": []}
    limits = {"day": KEEP_DAILY, "week": KEEP_WEEKLY, "month": KEEP_MONTHLY}
    for backup in backups:  # newest first
        day = backup.taken_at.date()
        keys = {"day": day, "week": day.isocalendar()[:2], "month": (day.year, day.month)}
        for period, key in keys.items():
            seen = periods[period]
            if key not in seen and len(seen) < limits[period]:
                seen.append(key)
                keep.add(backup.path)
    return keep


def rotate(folder: Path, stem: str, *, taken: Path | None = None) -> tuple[int, list[Path]]:
    backups = list_backups(folder, stem)
    keep = backups_to_keep(backups) | ({taken} if taken else set())
    removed = []
    for backup in backups:
        if backup.path not in keep:
            try:
                backup.path.unlink()
                removed.append(backup.path)
            except OSError:
                log.warning("backup.rotate_failed file=%s", backup.path.name)
    return len(backups) - len(removed), removed


# -- taking a backup -----------------------------------------------------------------------


def _folder_error(exc: BaseException, folder: Path) -> DatabaseError:
    text = str(exc).lower()
    errno = getattr(exc, "errno", None)
    if errno == 28 or "full" in text:
        return DatabaseError(
            "The backup folder {folder} is full. Nothing was written there; free some space or choose another folder.",
            folder=str(folder),
        )
    read_only = folder.is_dir() and not os.access(folder, os.W_OK)  # a write-protected stick, a CD
    if errno == 30 or read_only or "readonly" in text or "read-only" in text:
        return DatabaseError("The backup folder {folder} is read-only; choose another folder.", folder=str(folder))
    if errno in (2, 5, 13, 17, 19, 20) or "unable to open" in text:  # ENOENT EIO EACCES EEXIST ENODEV ENOTDIR
        return DatabaseError(
            "The backup folder {folder} cannot be reached or written. Is the USB stick plugged in?", folder=str(folder)
        )
    return DatabaseError("The backup to {folder} failed ({detail}).", folder=str(folder), detail=str(exc))


def _discard(part: Path) -> None:
    with contextlib.suppress(OSError):  # the stick may be gone or read-only by now
        part.unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable (POSIX); Windows cannot open folders, and needs not.
    if os.name == "posix":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _verify(path: Path, *, quick: bool) -> None:
    conn = encryption.connect(path) if encryption.is_encrypted(path) else sqlite3.connect(path)
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        result = conn.execute("PRAGMA quick_check" if quick else "PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    if app_id != APPLICATION_ID or result != "ok":
        raise DatabaseError("The backup copy at {path} did not check out ({detail}); it was not kept.",
                            path=str(path), detail=result if result != "ok" else "application id")


def take_backup(
    db_path: str | Path, folder: str | Path | None = None, *, clock: Clock | None = None, verify: bool = True
) -> BackupResult:
    """Copy the database into ``folder`` (default: ``backups`` beside it), then rotate there."""
    db_path = Path(db_path).resolve()
    folder = Path(folder).expanduser() if folder else default_backup_dir(db_path)
    if not db_path.is_file():
        raise DatabaseError("There is no database at {path} to back up.", path=str(db_path))
    clock = clock or Clock()
    started = time.perf_counter()
    stamp = clock.local_now().strftime(STAMP)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _folder_error(exc, folder) from exc
    target = folder / f"{db_path.stem}-{stamp}.db"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{db_path.stem}-{stamp}-{n}.db"
    part = target.with_name(target.name + ".part")
    try:
        if encryption.is_encrypted(db_path):
            encryption.export_copy(db_path, part)  # encrypted with the same key
        else:
            source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
            dest = sqlite3.connect(part)
            try:
                source.backup(dest)  # one step: one consistent snapshot
                # A self-contained file: no -wal beside it on the stick.
                dest.execute("PRAGMA journal_mode=DELETE")
            finally:
                dest.close()
                source.close()
        if verify:
            _verify(part, quick=True)
        with open(part, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(part, target)
        _fsync_dir(folder)
    except (*encryption.DB_ERRORS, OSError) as exc:
        _discard(part)
        raise _folder_error(exc, folder) from exc
    except BaseException:
        _discard(part)
        raise
    kept, removed = rotate(folder, db_path.stem, taken=target)
    size = target.stat().st_size
    seconds = time.perf_counter() - started
    log.info("backup.taken mb=%.1f seconds=%.2f kept=%d removed=%d", size / 1e6, seconds, kept, len(removed))
    return BackupResult(target, size, seconds, kept, removed)


def newest_backup(db_path: str | Path, folder: Path) -> BackupFile | None:
    backups = list_backups(folder, Path(db_path).stem)
    return backups[0] if backups else None


def automatic_backup(
    db_path: str | Path, folder: Path | None = None, *, reason: str = "daily", clock: Clock | None = None
) -> BackupResult | None:
    """The app's own backups: at start (unless one is under an hour old) and once a day.

    When the configured folder (a USB stick) cannot be used, the backup goes to the default
    folder beside the database instead and the result says why: a missing stick must not
    mean no backup at all. Returns None when no backup was due.
    """
    db_path = Path(db_path).resolve()
    clock = clock or Clock()
    wanted = Path(folder) if folder else default_backup_dir(db_path)
    now = clock.local_now().replace(tzinfo=None)
    max_age = START_BACKUP_MIN_AGE if reason == "start" else DAILY_BACKUP_MAX_AGE
    candidates = [wanted] if wanted == default_backup_dir(db_path) else [wanted, default_backup_dir(db_path)]
    newest = max((b.taken_at for f in candidates if (b := newest_backup(db_path, f))), default=None)
    if newest is not None and now - newest < max_age:
        return None
    try:
        return take_backup(db_path, wanted, clock=clock)
    except DatabaseError as exc:
        if wanted == default_backup_dir(db_path):
            raise
        result = take_backup(db_path, default_backup_dir(db_path), clock=clock)
        result.fallback = _("The backup folder could not be used ({reason}); this backup went to {path}.").format(
            reason=exc.message, path=result.path.parent
        )
        log.warning("backup.fallback_to_default_folder")
        return result


# -- restoring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    """Whose database a file is: which library and branch, and which computer."""

    library: str
    branch_code: str
    branch_name: str
    device_id: str

    def words(self) -> str:
        return f"{self.library} · {self.branch_name} ({self.branch_code})"


@dataclass
class _Current:
    """What the file being replaced holds for sync, read before it is set aside."""

    readable: bool
    owner: Owner | None = None
    device_id: str = ""
    hlc: int = 0
    columns: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    problem: str = ""


def _refuse_unless_sqlite(path: Path) -> None:
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        raise ValidationError("There is no file {path}.", path=str(path)) from None
    except OSError as exc:
        raise DatabaseError("Cannot read {path}: {reason}", path=str(path), reason=exc) from exc
    # Not SQLite's header: an encrypted file, if this session has a passphrase to try.
    if head != SQLITE_HEADER and not encryption.has_passphrase():
        raise DatabaseError("{path} is not a CountyLib database.", path=str(path))


def _copy_for_restore(source: Path, staging: Path) -> None:
    if encryption.is_encrypted(source):
        encryption.copy_encrypted(source, staging)
        return
    wal = source.with_name(source.name + "-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        shutil.copyfile(source, staging)  # nothing is writing a backup: a plain copy is consistent
        return
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dest = sqlite3.connect(staging)
    try:
        src.backup(dest)
    finally:
        dest.close()
        src.close()


def _inspect(staging: Path, source: Path) -> int:
    """Refuse anything that is not an intact CountyLib file this program can read."""
    conn = encryption.connect(staging) if encryption.is_encrypted(staging) else sqlite3.connect(staging)
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id != APPLICATION_ID:
            raise DatabaseError("{path} is not a CountyLib database.", path=str(source))
        if version > SCHEMA_VERSION:
            raise DatabaseError(
                "{path} was written by a newer CountyLib (schema {found}); this program reads up to schema {supported}. "
                "Update this program first.",
                path=str(source),
                found=version,
                supported=SCHEMA_VERSION,
            )
        # quick_check reads every page and record (O(N)); the full integrity_check also
        # cross-checks every index entry and takes 4x as long on a county file (200 s vs 40 s).
        # Backups were quick-checked when taken, and `countylib check` does the full one.
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise DatabaseError("{path} is damaged ({detail}); choose another backup.", path=str(source), detail=result)
    except encryption.DB_DATABASE_ERRORS as exc:
        if encryption.is_encrypted(staging):
            raise DatabaseError(
                "{path} is not a CountyLib database, or is encrypted with another passphrase.", path=str(source)
            ) from exc
        raise DatabaseError("{path} is not a CountyLib database.", path=str(source)) from exc
    finally:
        conn.close()
    return version


def _lock_current(db_path: Path) -> tuple[sqlite3.Connection | None, _Current]:
    """Take the file in use for ourselves and read its outbox.

    Leaving WAL needs every other connection closed, so it doubles as the check that no
    CountyLib window has the file open; the exclusive transaction then keeps it so until
    the file is set aside.
    """
    if not db_path.exists():
        return None, _Current(readable=False)
    try:
        conn = encryption.connect(db_path, timeout=0.5) if encryption.is_encrypted(db_path) else sqlite3.connect(
            db_path, timeout=0.5, isolation_level=None
        )
        conn.isolation_level = None
    except (*encryption.DB_ERRORS, DatabaseError) as exc:
        return None, _Current(readable=False, problem=str(exc))
    try:
        conn.execute("PRAGMA journal_mode=DELETE").fetchone()
        conn.execute("BEGIN EXCLUSIVE")
    except encryption.DB_OPERATIONAL_ERRORS as exc:
        conn.close()
        if "locked" in str(exc).lower() or "busy" in str(exc).lower():
            raise DatabaseError(
                "The database is open in CountyLib (this or another window). Close it, then restore again."
            ) from exc
        return None, _Current(readable=False, problem=str(exc))
    except encryption.DB_DATABASE_ERRORS as exc:
        conn.close()
        return None, _Current(readable=False, problem=str(exc))
    try:
        state = conn.execute("SELECT device_id, hlc FROM sync_state WHERE id = 1").fetchone()
        branch = conn.execute("SELECT library_name, code, name FROM branch WHERE is_local = 1").fetchone()
        cursor = conn.execute("SELECT * FROM outbox")
        columns = [d[0] for d in cursor.description]
        events = [dict(zip(columns, row)) for row in cursor]
    except encryption.DB_DATABASE_ERRORS as exc:
        return conn, _Current(readable=False, problem=str(exc))
    if state is None:
        return conn, _Current(readable=False, problem="no sync state")
    owner = Owner(*branch, state[0]) if branch else None
    return conn, _Current(True, owner, state[0], int(state[1] or 0), columns, events)


def _merge_outbox(current: _Current) -> tuple[str, int, list[dict[str, Any]], int, str]:
    """In the restored file (bound to ``db``): merge the replaced file's outbox, take a new epoch.

    Returns the events only the replaced file had (made after the backup), in HLC order."""
    state = SyncState.get_or_none(SyncState.id == 1)
    if state is None:
        from sync.outbox import ensure_sync_state

        state = ensure_sync_state()
    note = ""
    carried: list[dict[str, Any]] = []
    marked_sent = 0
    same_device = current.readable and current.device_id == state.device_id
    if current.readable and not same_device:
        note = _(
            "The database that was in use is another computer's: its changes not yet sent to the central library "
            "stay only in the copy kept aside."
        )
    elif not current.readable and current.problem:
        note = _(
            "The database that was in use could not be read ({problem}): any changes in it not yet sent to the "
            "central library stay only in the copy kept aside."
        ).format(problem=current.problem)
    here = {event_id: acked for event_id, acked in Outbox.select(Outbox.id, Outbox.acked_at).tuples()}
    if same_device:
        for event in current.events:
            if event["id"] in here:
                if event["acked_at"] is not None and here[event["id"]] is None:
                    Outbox.update(acked_at=event["acked_at"]).where(Outbox.id == event["id"]).execute()
                    marked_sent += 1
            else:
                carried.append(event)
    # Sent events the backup never saw are kept for the retention window, as they were.
    columns = [c for c in current.columns if c in Outbox._meta.columns]
    insert = f"INSERT OR IGNORE INTO outbox ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    for event in carried:
        if event["acked_at"] is not None:
            db.execute_sql(insert, [event[c] for c in columns])
    # Every unsent event, the backup's and the carried ones, in causal (HLC) order.
    pending = [
        (hlc, created, event_id)
        for event_id, hlc, created in Outbox.select(Outbox.id, Outbox.hlc, Outbox.created_at)
        .where(Outbox.acked_at.is_null())
        .tuples()
    ]
    # Each unsent event is parked under an epoch of its own first, so no (epoch, seq) can
    # collide on the way to its final number.
    db.execute_sql("UPDATE outbox SET epoch = 'parked-' || id WHERE acked_at IS NULL")
    for event in carried:
        if event["acked_at"] is None:
            values = {**event, "epoch": f"parked-{event['id']}"}
            db.execute_sql(insert.replace("INSERT OR IGNORE", "INSERT"), [values[c] for c in columns])
            pending.append((event["hlc"], str(event["created_at"]), event["id"]))
    pending.sort(key=lambda p: (int(p[0]), str(p[1])))
    epoch = new_id()
    cursor = db.cursor()
    cursor.executemany(
        "UPDATE outbox SET epoch = ?, seq = ? WHERE id = ?", [(epoch, n, p[2]) for n, p in enumerate(pending, 1)]
    )
    SyncState.update(
        epoch=epoch, next_seq=len(pending) + 1, hlc=max(int(state.hlc or 0), current.hlc)
    ).where(SyncState.id == 1).execute()
    carried.sort(key=lambda e: (int(e["hlc"]), str(e["created_at"])))
    return epoch, len(pending), carried, marked_sent, note


def _remove_with_sidecars(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _set_aside(db_path: Path, stamp: str) -> Path | None:
    if not db_path.exists():
        return None
    aside = db_path.with_name(f"{db_path.stem}-before-restore-{stamp}{db_path.suffix}")
    n = 1
    while aside.exists():
        n += 1
        aside = db_path.with_name(f"{db_path.stem}-before-restore-{stamp}-{n}{db_path.suffix}")
    # Its -wal and -shm go with it under the matching names, so the set-aside file opens
    # exactly as it was (and no stale WAL is ever applied to the restored file).
    for suffix in ("-wal", "-shm", "-journal"):
        sidecar = db_path.with_name(db_path.name + suffix)
        if sidecar.exists():
            os.replace(sidecar, aside.with_name(aside.name + suffix))
    os.replace(db_path, aside)
    return aside


def restore_backup(
    db_path: str | Path,
    source: str | Path,
    *,
    actor: Actor = SYSTEM,
    clock: Clock | None = None,
    replace_other: bool = False,
) -> RestoreResult:
    """Put a backup in place of the database at ``db_path`` (admins only). See the module doc.

    A backup of another library, branch or computer is refused unless ``replace_other``:
    put over this branch's database, it would take this branch's place (and its identity
    towards the central library), and this computer's unsent changes would stay behind.

    The database must not be open anywhere (this process's models are unbound first); the
    caller opens it again afterwards.
    """
    if not actor.at_least(ADMIN):
        raise PermissionDenied(
            "This needs the {role} role; you are signed in as {user} ({current}).",
            role=_(ROLE_NAMES[ADMIN]), user=actor.username, current=_(ROLE_NAMES[actor.role]),
        )
    db_path, source = Path(db_path).resolve(), Path(source).resolve()
    clock = clock or Clock()
    if source == db_path:
        raise ValidationError("{path} is the database itself, not a backup of it.", path=str(source))
    _refuse_unless_sqlite(source)
    if not db.is_closed():
        db.close()
    stamp = clock.local_now().strftime(STAMP)
    staging = db_path.with_name(db_path.name + ".restoring")
    _remove_with_sidecars(staging)
    lock = None
    try:
        try:
            _copy_for_restore(source, staging)
        except OSError as exc:
            raise DatabaseError("Cannot copy {path}: {reason}", path=str(source), reason=exc) from exc
        except encryption.DB_DATABASE_ERRORS as exc:
            raise DatabaseError("{path} is not a CountyLib database.", path=str(source)) from exc
        version = _inspect(staging, source)
        if encryption.is_encrypted(staging):
            encryption.install(db)
        lock, current = _lock_current(db_path)
        with tempfile.TemporaryDirectory(prefix="countylib-restore-") as scratch:
            try:
                open_database(staging, backup_dir=Path(scratch))  # migrates an older backup
            except (NotACountyLibDatabase, DatabaseTooNew) as exc:
                raise DatabaseError("{path} is not a CountyLib database.", path=str(source)) from exc
            if current.owner is not None and not replace_other:
                _refuse_another_owner(_owner_here(), current.owner, db_path)
            try:
                with db.atomic("IMMEDIATE"):
                    epoch, pending, later, marked_sent, note = _merge_outbox(current)
                    carried = sum(1 for e in later if e["acked_at"] is None)
                    after = put_back(later, clock) if current.readable and not note else AfterBackup()
                    _audit_restore(actor, clock, source, epoch, pending, carried, len(after.put_back))
                # Only these tables were written since the whole file was checked.
                written = ("outbox", "sync_state", "audit_log", *(("loan", "item", "patron") if after.put_back else ()))
                integrity = next(
                    (r for t in written
                     if (r := db.execute_sql(f"PRAGMA quick_check({t})").fetchone()[0]) != "ok"),
                    "ok",
                )
            finally:
                db.close()
        if integrity != "ok":
            raise DatabaseError("The restored copy did not check out ({detail}); nothing was replaced.", detail=integrity)
        _fsync_file(staging)
        if lock is not None:
            lock.execute("ROLLBACK")
            lock.close()
            lock = None
        aside = _set_aside(db_path, stamp)
        os.replace(staging, db_path)
        _fsync_dir(db_path.parent)
    except BaseException:
        if lock is not None:
            lock.close()
        if not db.is_closed():
            db.close()
        _remove_with_sidecars(staging)
        raise
    log.info("backup.restored schema=%d pending=%d carried=%d marked_sent=%d put_back=%d",
             version, pending, carried, marked_sent, len(after.put_back))
    return RestoreResult(source, aside, version, epoch, pending, carried, marked_sent, note, after)


def _owner_here() -> Owner | None:
    """Whose the database bound to ``db`` is."""
    from countylib.library import local_branch

    branch = local_branch()
    state = SyncState.get_or_none(SyncState.id == 1)
    if branch is None or state is None:
        return None
    return Owner(branch.library_name, branch.code, branch.name, state.device_id)


def _refuse_another_owner(backup: Owner | None, current: Owner, db_path: Path) -> None:
    if backup is None:
        raise ValidationError(
            "This backup holds no library (it was taken before the library was set up); the database it would "
            "replace, {path}, is {current}'s. Nothing was changed. To restore it all the same, restore again "
            "with --replace-other.",
            path=str(db_path),
            current=current.words(),
        )
    if (backup.library, backup.branch_code) != (current.library, current.branch_code):
        raise ValidationError(
            "This backup is {backup}'s; the database it would replace, {path}, is {current}'s. Nothing was changed. "
            "To put {backup_code}'s backup in place of {current_code}'s database on purpose, restore again with "
            "--replace-other.",
            backup=backup.words(),
            current=current.words(),
            backup_code=backup.branch_code,
            current_code=current.branch_code,
            path=str(db_path),
        )
    if backup.device_id != current.device_id:
        raise ValidationError(
            "This backup was taken on another computer of {branch}; the database it would replace, {path}, is this "
            "computer's, and its changes not yet sent to the central library would stay behind in the copy kept "
            "aside. Nothing was changed. To restore it all the same, restore again with --replace-other.",
            branch=backup.words(),
            path=str(db_path),
        )


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _audit_restore(
    actor: Actor, clock: Clock, source: Path, epoch: str, pending: int, carried: int, put_back: int
) -> None:
    from countylib.context import ServiceContext
    from countylib.library import local_branch

    if actor.staff_id and not Staff.select().where(Staff.id == actor.staff_id).exists():
        actor = dataclasses.replace(actor, staff_id=None)  # the account is newer than the backup
    ctx = ServiceContext(db=db, branch=local_branch(), actor=actor, clock=clock)
    record_audit(ctx, "database.restored", "database", "", source=source.name, epoch=epoch, pending=pending,
                 carried=carried, put_back=put_back)
