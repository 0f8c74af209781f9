"""``backup``, ``restore`` and ``check``: keeping the library's database safe."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from countylib.commands import common_options, db_path, unlock_if_encrypted
from countylib.i18n import _, join_sentences
from countylib.paths import default_db

DATABASE_SUFFIXES = (".db", ".sqlite", ".sqlite3", ".bak")


def register(subparsers: argparse._SubParsersAction) -> None:
    backup = subparsers.add_parser(
        "backup",
        parents=[common_options()],
        help="back up the database (safe while the app runs)",
        description="Copy the database with SQLite's online backup (consistent even while the app is in use) "
        "into the backup folder setting (default: 'backups' beside the database), then keep 7 daily, "
        "4 weekly and 12 monthly backups there.",
    )
    backup.add_argument("--to", type=Path, metavar="DIR", help="the folder to write to (e.g. a USB stick)")
    backup.set_defaults(func=backup_command)

    restore = subparsers.add_parser(
        "restore",
        parents=[common_options()],
        help="restore a backup in place of the database",
        description="Put a backup in place of the database. The database in use is kept aside first; changes "
        "not yet sent to the central library are kept and sent at the next sync. Loans, returns, renewals "
        "and new readers made after the backup are put back; every change made after it is listed. "
        "A backup of another branch, library or computer is refused unless --replace-other is given. "
        "Close the app first.",
    )
    restore.add_argument("file", type=Path, metavar="FILE", help="the backup to restore")
    restore.add_argument(
        "--replace-other",
        "--replace-other-branch",
        dest="replace_other",
        action="store_true",
        help="restore it even though it is another branch's, library's or computer's backup",
    )
    restore.set_defaults(func=restore_command)

    check = subparsers.add_parser(
        "check",
        parents=[common_options()],
        help="check the database and say where data, backups and logs are",
        description="SQLite's integrity and foreign-key checks plus the library's own: every item on loan has "
        "one open loan, the sync outbox has no gaps, the search index matches the catalogue (rebuilt if not).",
    )
    check.add_argument("--quick", action="store_true", help="quick_check instead of the full integrity_check")
    check.set_defaults(func=check_command)

    encrypt = subparsers.add_parser(
        "encrypt",
        parents=[common_options()],
        help="encrypt the database with a passphrase (SQLCipher)",
        description="Encrypt the database file (and from then on its backups) with a passphrase typed twice; "
        "CountyLib then asks for it at every start. Close the app first. Backups taken before stay unencrypted.",
    )
    encrypt.set_defaults(func=encrypt_command)
    decrypt = subparsers.add_parser(
        "decrypt",
        parents=[common_options()],
        help="turn the database's encryption off again",
        description="Write the database back as a plain SQLite file. Close the app first.",
    )
    decrypt.set_defaults(func=decrypt_command)


def backup_command(args: argparse.Namespace) -> int:
    from countylib.backup import configured_backup_dir, take_backup
    from countylib.library import open_db

    path = db_path(args)
    if not path.exists():
        from countylib.errors import DatabaseError

        raise DatabaseError("There is no database at {path} to back up.", path=str(path))
    if args.to is not None:
        _refuse_a_file_name(args.to, path)
    database = open_db(path)
    try:
        folder = args.to or configured_backup_dir(path)
    finally:
        database.close()
    print(take_backup(path, folder).line())
    return 0


def _refuse_a_file_name(folder: Path, database: Path) -> None:
    # A folder named bk1.db would hold the backup under a name of its own, where no one
    # looks for it.
    from countylib.errors import ValidationError

    if folder.is_file() or (not folder.exists() and folder.suffix.lower() in DATABASE_SUFFIXES):
        raise ValidationError(
            "--to names the folder to put backups in, and {path} looks like a file. Each backup is named "
            "after the database and the time, e.g. {example}.",
            path=str(folder),
            example=f"{database.stem}-{dt.datetime.now():%Y%m%d-%H%M%S}.db",
        )


def restore_command(args: argparse.Namespace) -> int:
    from countylib.backup import restore_backup

    path = db_path(args)
    if not path.exists():
        unlock_if_encrypted(args.file)  # restoring onto an empty place: the backup's key
    result = restore_backup(path, args.file, replace_other=args.replace_other)
    print(result.line())
    for detail in result.details():
        print(f"  {detail}")
    return 0


def _open_for_check(path: Path):
    import peewee as pw

    from countylib.errors import DatabaseError
    from countylib.library import open_db

    try:
        return open_db(path)
    except pw.DatabaseError as exc:  # damaged beyond reading its schema
        raise DatabaseError(
            "{path} is damaged ({reason}); restore a backup with: countylib restore FILE", path=str(path), reason=str(exc)
        ) from exc


def check_command(args: argparse.Namespace) -> int:
    from countylib.backup import configured_backup_dir
    from countylib.integrity import check
    from countylib.paths import log_dir

    path = db_path(args)
    if not path.exists():
        from countylib.errors import DatabaseError

        raise DatabaseError("There is no database at {path}.", path=str(path))
    database = _open_for_check(path)
    try:
        report = check(database, quick=args.quick)
        places = _("Data: {data}; backups: {backups}; logs: {logs}").format(
            data=path.resolve(), backups=configured_backup_dir(path), logs=log_dir()
        )
    finally:
        database.close()
    if report.ok:
        print(join_sentences((report.line(), places)))
        return 0
    for problem in report.problems[1:]:
        print(f"  {problem.message}")
    print(f"countylib: {join_sentences((report.line(), places))}", file=sys.stderr)
    return 1


def encrypt_command(args: argparse.Namespace) -> int:
    import getpass

    from countylib.encryption import encrypt_database
    from countylib.errors import ValidationError

    path = db_path(args)
    first = getpass.getpass("New passphrase: ")
    if getpass.getpass("The same passphrase again: ") != first:
        raise ValidationError("The two passphrases differ; nothing was changed.")
    encrypt_database(path, first)
    print(f"encrypted {path.resolve()}; CountyLib will ask for the passphrase at start. "
          f"Backups taken before this stay unencrypted.")
    return 0


def decrypt_command(args: argparse.Namespace) -> int:
    import getpass

    from countylib.encryption import decrypt_database

    path = getattr(args, "db", None) or default_db()  # not db_path(): that would ask twice
    decrypt_database(path, getpass.getpass("Passphrase: "))
    print(f"decrypted {path.resolve()}: a plain SQLite file again")
    return 0
