"""``countylib-hub``: migrate, serve, enroll, devices (DESIGN.md §5)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="countylib-hub", description="The county's central sync hub.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, help_text in (
        ("migrate", "create or upgrade the hub's tables"),
        ("serve", "run the hub over HTTP"),
        ("enroll", "print a one-time enrolment code for a branch device"),
        ("devices", "list or revoke enrolled devices"),
    ):
        p = sub.add_parser(name, help=f"{help_text} (not built yet)")
        p.add_argument("--dsn", required=True, help="sqlite:///path or postgresql://...")
        p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    print(f"countylib-hub: '{args.command}' is not built yet (planned in issue #6).", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
