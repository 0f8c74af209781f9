"""Subcommands of the ``countylib`` command line, one module per area."""

from __future__ import annotations

import argparse
from pathlib import Path

from countylib.paths import default_db


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


def db_path(args: argparse.Namespace) -> Path:
    return getattr(args, "db", None) or default_db()


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
