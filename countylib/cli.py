"""The ``countylib`` command line (DESIGN.md §5: the forms are a contract scripts rely on).

Each subcommand lives in ``countylib/commands/<area>.py`` and registers itself. Every
subcommand takes ``--db`` and ``--debug``, prints a one-line summary, and on failure exits
non-zero with a one-line reason (a traceback only with ``--debug``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from countylib import __version__
from countylib.commands import COMMAND_MODULES, common_options
from countylib.errors import CountyLibError, os_reason
from countylib.i18n import set_language, system_language
from countylib.logs import log_crash, setup_logging

log = logging.getLogger("countylib.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="countylib",
        description="CountyLib: offline-first library system. Without a subcommand, opens the app.",
        parents=[common_options()],
    )
    parser.add_argument("--version", action="version", version=f"countylib {__version__}")
    parser.add_argument("--lang", choices=["zh_CN", "en"], help="interface language for this run")
    parser.set_defaults(func=None)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Messages follow --lang, else the system's locale (the app itself then applies the
    # library's language setting once it has opened the database).
    language = set_language(getattr(args, "lang", None) or system_language())
    setup_logging()
    func = args.func
    if func is None:
        from countylib.commands.app import open_app

        func = open_app
    try:
        result = func(args)
    except CountyLibError as exc:
        if getattr(args, "debug", False):
            raise
        # A report or notice switches to its own language to be written; the reason it
        # failed is for the person at the keyboard, in the language of this run.
        set_language(language)
        print(f"countylib: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("countylib: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        log_crash(log, exc, args.command or "app")
        if getattr(args, "debug", False):
            raise
        set_language(language)
        print(f"countylib: {os_reason(exc)} ({exc.filename or ''})", file=sys.stderr)
        return 1
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
