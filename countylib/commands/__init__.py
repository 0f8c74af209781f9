"""Subcommands of the ``countylib`` command line, one module per area."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys
from pathlib import Path

from countylib.dates import parse_date
from countylib.errors import DatabaseError, ValidationError
from countylib.i18n import _
from countylib.paths import default_db, demo_db


def common_options() -> argparse.ArgumentParser:
    """--db and --debug, accepted by the program and by every subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        type=Path,
        default=argparse.SUPPRESS,
        help=f"database file (default: {default_db()})",
    )
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    return common


def iso_date(text: str) -> dt.date:
    """An argparse type for YYYY-MM-DD options."""
    try:
        return parse_date(text, required=True)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def at_least_one(text: str) -> int:
    """An argparse type for counts of days and the like, where 0 or less means a typo."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is too small; give 1 or more")
    return value


def out_file(out: Path, suffixes: tuple[str, ...]) -> Path:
    """The file an --out names, ready to be written, the same way for every command.

    Its ending must say what is written: a PDF saved as o3.txt opens as garbage. A folder
    that does not exist yet is made, as a librarian typing a new folder name expects.
    """
    if out.suffix.lower() not in suffixes:
        raise ValidationError(
            "{path}: this command writes {kind} files, so the name must end in {kind}.",
            path=str(out),
            kind="/".join(suffixes),
        )
    if out.is_dir():
        raise ValidationError("{path} is a folder; give the name of the file to write in it.", path=str(out))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError("Cannot make the folder {folder}: {reason}", folder=str(out.parent), reason=exc) from exc
    return out


def db_path(args: argparse.Namespace, *, must_exist: bool = False) -> Path:
    """The database the command works on, unlocked first when it is encrypted.

    ``must_exist``: the command works on a library's data, so a missing file is a mistake to
    explain (opening it would leave an empty database behind), not a new library to make.
    """
    path = getattr(args, "db", None) or default_db()
    if must_exist and not Path(path).exists():
        hint = _("The demo's database is {demo}.").format(demo=demo_db()) if demo_db().exists() else ""
        raise DatabaseError(
            "There is no library database at {path}. Set one up with 'countylib init' (or in the app), "
            "or name one with --db. {hint}",
            path=str(path),
            hint=hint,
        )
    unlock_if_encrypted(path)
    return path


def unlock_if_encrypted(path: Path) -> None:
    """Ask for the passphrase of an encrypted database once per process (never on the
    command line, where other users could read it; COUNTYLIB_PASSPHRASE serves scripts)."""
    from countylib import encryption

    if not encryption.is_encrypted(path) or encryption.has_passphrase():
        return
    passphrase = os.environ.get("COUNTYLIB_PASSPHRASE")
    if not passphrase:
        if not sys.stdin.isatty():
            # No one to ask: the file is encrypted, or not a database at all.
            raise DatabaseError(
                "{path} is not a plain CountyLib database: it is encrypted (set COUNTYLIB_PASSPHRASE) or not a database.",
                path=str(path),
            )
        passphrase = getpass.getpass(f"Passphrase for {path}: ")
    encryption.unlock(path, passphrase)


from countylib.commands import app  # noqa: E402  (modules register themselves)
from countylib.commands import backup  # noqa: E402
from countylib.commands import data  # noqa: E402
from countylib.commands import later  # noqa: E402
from countylib.commands import marc  # noqa: E402
from countylib.commands import printing  # noqa: E402
from countylib.commands import reports  # noqa: E402
from countylib.commands import sync  # noqa: E402

COMMAND_MODULES = [
    app,
    data,
    printing,
    reports,
    marc,
    sync,
    backup,
    later,
]
