"""``countylib print KIND --out FILE.pdf [options]``: each kind of printout is its own module.

The kinds' own options are parsed by ``countylib/commands/print_<kind>.py`` (``run(db, out,
argv)``), so each area owns its printout without touching the others.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from countylib.commands import common_options, db_path, out_file

KINDS = {
    "cards": "library cards (85.6 × 54 mm, or A4 sheets of 10)",
    "certificate": "a donation certificate (捐赠证书) printed again",
    "labels": "spine and barcode labels",
    "overdue-notices": "overdue notices (催还单), one patron a page",
    "roster": "a week's volunteer roster (排班表)",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "print",
        parents=[common_options()],
        help="print cards, labels, overdue notices, certificates, rosters as PDF",
        description="Kinds: " + "; ".join(f"{k}: {v}" for k, v in KINDS.items())
        + ". Run 'countylib print KIND --out x.pdf --help' for a kind's options.",
    )
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("options", nargs=argparse.REMAINDER, help="--out FILE.pdf and the kind's options")
    parser.set_defaults(func=print_kind)


def print_kind(args: argparse.Namespace) -> int:
    # --out may come anywhere among the kind's own options, as DESIGN.md writes the forms.
    asks_help = any(option in ("-h", "--help") for option in args.options)
    out_parser = argparse.ArgumentParser(prog=f"countylib print {args.kind}", add_help=False)
    out_parser.add_argument("--out", type=Path, required=not asks_help, help="the PDF to write")
    out_parser.add_argument("--db", type=Path)
    known, rest = out_parser.parse_known_args(args.options)
    module = importlib.import_module(f"countylib.commands.print_{args.kind.replace('-', '_')}")
    if asks_help:  # the kind's own parser prints its options and ends the program
        print(f"countylib print {args.kind} --out FILE.pdf: the PDF to write (always needed).\n")
        return module.run(Path(), Path(), ["--help"])
    if known.db is not None:
        args.db = known.db
    return module.run(db_path(args, must_exist=True), out_file(known.out, (".pdf",)), rest)
