"""``countylib print cards --out x.pdf [--cards C1,C2 | --all-new-since DATE] [--sheet]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from countylib.dates import parse_date
from countylib.errors import ValidationError


def run(db: Path, out: Path, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="countylib print cards",
        description="Print library cards (85.6 × 54 mm) one per page, or A4 sheets of 10 with --sheet.",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--cards", help="card numbers, comma separated: HX0100001,HX0100002")
    which.add_argument(
        "--all-new-since", metavar="YYYY-MM-DD", help="every card issued or replaced since this (local) date"
    )
    parser.add_argument("--sheet", action="store_true", help="A4 sheets of 10 cards instead of one card a page")
    args = parser.parse_args(argv)

    from countylib.library import make_context, open_db
    from countylib.patron_search import card_faces
    from printing.cards import render_cards

    since = None
    if args.all_new_since:
        since = parse_date(args.all_new_since)
    ctx = make_context(open_db(db))
    faces = card_faces(ctx, card_numbers=args.cards.split(",") if args.cards else None, registered_since=since)
    if not faces:
        raise ValidationError("No cards to print: nobody was issued a card since {date}.", date=args.all_new_since)
    pages = render_cards(faces, out, sheet=args.sheet)
    print(f"Printed {len(faces)} card(s) on {pages} page(s) to {out}")
    return 0
