"""``countylib print labels --out x.pdf [--since DATE | --barcodes B1,B2] [--template NAME]
[--start-at N] [--kind spine|barcode] [--one-per-page] [--calibration]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from countylib.dates import parse_date
from countylib.errors import ValidationError


def run(db: Path, out: Path, argv: list[str]) -> int:
    from printing.labels import TEMPLATES

    parser = argparse.ArgumentParser(
        prog="countylib print labels",
        description="Print spine labels (call number: class over book number) or barcode labels for copies. "
        "The sheet, and the x/y offset that makes the print land on it, come from the settings.",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--since", metavar="YYYY-MM-DD", help="copies accessioned at this branch since this (local) date")
    which.add_argument("--barcodes", help="item barcodes, comma separated: HX0100000001,HX0100000002")
    parser.add_argument(
        "--template",
        choices=sorted(TEMPLATES),
        help="label sheet (default: the branch's setting): "
        + "; ".join(f"{name}: {t.description}" for name, t in TEMPLATES.items()),
    )
    parser.add_argument("--start-at", type=int, default=1, metavar="N", help="first free label on a half-used sheet")
    parser.add_argument("--kind", choices=["spine", "barcode"], default="spine")
    parser.add_argument("--one-per-page", action="store_true", help="one label a page (thermal label printers)")
    parser.add_argument("--calibration", action="store_true", help="print the calibration page for the sheet instead")
    args = parser.parse_args(argv)
    if not args.calibration and not (args.since or args.barcodes):
        parser.error("say which copies: --since DATE or --barcodes B1,B2 (or print --calibration)")

    from countylib.cataloguing import (
        barcode_labels,
        items_accessioned_since,
        items_by_barcodes,
        label_setup,
        spine_labels,
    )
    from countylib.library import make_context, open_db
    from printing.labels import render_calibration, render_labels

    ctx = make_context(open_db(db))
    setup = label_setup(args.template, start_at=args.start_at, one_per_page=args.one_per_page)
    if args.calibration:
        render_calibration(setup, out)
        print(f"Printed the calibration page for {setup.template.name} to {out}")
        return 0
    if args.since:
        since = parse_date(args.since)
        items = items_accessioned_since(ctx, since)
        if not items:
            raise ValidationError("No copies were accessioned here since {date}.", date=args.since)
    else:
        items = items_by_barcodes([b.strip() for b in args.barcodes.split(",") if b.strip()])
    library_name = ctx.branch.library_name or ctx.branch.name
    labels = spine_labels(items) if args.kind == "spine" else barcode_labels(items, library_name)
    pages = render_labels(labels, setup, out)
    print(f"Printed {len(labels)} {args.kind} label(s) on {pages} page(s) ({setup.template.name}) to {out}")
    return 0
