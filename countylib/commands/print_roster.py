"""``countylib print roster --out x.pdf [--week YYYY-MM-DD] [--language L]``: the week's
volunteer roster (places × days), to pin up or hand out, as the Roster screen prints it."""

from __future__ import annotations

import argparse
from pathlib import Path

from countylib.dates import parse_date
from countylib.i18n import current_language, ngettext


def run(db: Path, out: Path, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="countylib print roster",
        description="Print a week's volunteer roster (排班表): every place and day, Monday to Sunday.",
    )
    parser.add_argument("--week", metavar="YYYY-MM-DD", help="any day of the week to print (default: this week)")
    parser.add_argument("--language", choices=["zh_CN", "en"], help="default: the language of this run")
    args = parser.parse_args(argv)

    from countylib.library import make_context, open_db
    from countylib.shifts import roster_sheet, week_roster
    from printing.volunteers import render_roster

    ctx = make_context(open_db(db))
    day = parse_date(args.week) if args.week else ctx.clock.today()
    roster = week_roster(ctx, day)
    render_roster(roster_sheet(ctx, roster), out, args.language or current_language())
    print(
        ngettext(
            "Printed the roster for the week of {monday} ({n} shift) to {path}",
            "Printed the roster for the week of {monday} ({n} shifts) to {path}",
            len(roster.shifts),
        ).format(monday=roster.monday.isoformat(), n=len(roster.shifts), path=out)
    )
    return 0
