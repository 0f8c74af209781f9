"""``countylib print overdue-notices --out x.pdf [--min-days N] [--location CODE] [--lang L]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from countylib.circulation import notice_batch, overdue_readers
from countylib.commands import at_least_one
from countylib.i18n import LANGUAGES, set_language
from countylib.library import make_context, open_db
from countylib.lookups import desk_location, location_by_code
from countylib.settings import get_setting
from printing.notices import render_overdue_notices


def run(db: Path, out: Path, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="countylib print overdue-notices",
        description="Overdue notices (催还单), one reader a page, for readers who cannot be phoned.",
    )
    parser.add_argument("--min-days", type=at_least_one, default=1, help="only items at least this many days overdue")
    parser.add_argument("--location", help="only loans made at this service point (its code)")
    parser.add_argument("--lang", choices=LANGUAGES, help="language of the notices (default: the library's)")
    args = parser.parse_args(argv)
    database = open_db(db)
    try:
        ctx = make_context(database)
        set_language(args.lang or get_setting("language"))
        where = location_by_code(args.location) if args.location else None
        readers = overdue_readers(ctx.clock.today(), min_days=args.min_days, location=where)
        if not readers:
            print("No overdue items: no notices written.")
            return 0
        batch = notice_batch(ctx, readers, where or desk_location(ctx))
        render_overdue_notices(batch, out)
    finally:
        database.close()
    items = sum(len(r.items) for r in readers)
    print(f"Wrote {len(readers)} overdue notices ({items} items) to {out}")
    return 0
