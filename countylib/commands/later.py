"""Commands of DESIGN.md §5 whose areas are not built yet.

They parse their documented arguments (so scripts can be written against them today)
and then say plainly that the work is still to come, exiting with status 2.
"""

from __future__ import annotations

import argparse
import sys

from countylib.commands import common_options

PLANNED: dict[str, tuple[int, str]] = {
}


def register(subparsers: argparse._SubParsersAction) -> None:
    for name, (issue, help_text) in PLANNED.items():
        parser = subparsers.add_parser(name, parents=[common_options()], help=f"{help_text} (not built yet)")
        parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        parser.set_defaults(func=_not_built(name, issue))


def _not_built(name: str, issue: int):
    def run(args: argparse.Namespace) -> int:
        print(f"countylib: '{name}' is not built yet (planned in issue #{issue}).", file=sys.stderr)
        return 2

    return run
