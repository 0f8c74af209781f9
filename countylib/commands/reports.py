"""``countylib report annual|daily|monthly``: the annual reading report, and the statistics of a
day, a month or any range, as PDF or CSV (DESIGN.md §5).

    countylib report annual --year 2026 --out report.pdf [--lang zh_CN|en]
    countylib report daily [--date 2026-11-21 | --from D --to D] [--location CODE] --out x.pdf|x.csv
    countylib report monthly [--month 2026-11 | --from D --to D] [--location CODE] --out x.pdf|x.csv
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from countylib.commands import common_options, db_path, iso_date, out_file
from countylib.errors import ValidationError
from countylib.i18n import LANGUAGES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        parents=[common_options()],
        help="daily, monthly and annual reports (PDF or CSV)",
        description="The annual reading report (PDF), and the statistics of a day, a month or any range (PDF or CSV).",
    )
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    annual = kinds.add_parser("annual", parents=[common_options()], help="the annual reading report (阅读年报), PDF")
    annual.add_argument("--year", type=int, required=True)
    annual.add_argument("--out", type=Path, required=True, help="the PDF to write")
    annual.add_argument("--lang", choices=LANGUAGES, default=argparse.SUPPRESS, help="language of the report (default: the report language setting)")
    annual.set_defaults(func=annual_report)
    for kind, help_text in (("daily", "a day's figures (default: today)"), ("monthly", "a month's figures (default: this month)")):
        sub = kinds.add_parser(kind, parents=[common_options()], help=help_text + ", PDF or CSV")
        if kind == "daily":
            sub.add_argument("--date", type=iso_date, help="the day, YYYY-MM-DD")
        else:
            sub.add_argument("--month", type=_month, help="the month, YYYY-MM")
        sub.add_argument("--from", dest="start", type=iso_date, help="first day of a range, YYYY-MM-DD")
        sub.add_argument("--to", dest="end", type=iso_date, help="last day of a range, YYYY-MM-DD")
        sub.add_argument("--location", help="only this place (its code)")
        sub.add_argument("--internal", action="store_true", help="show readers' names and cards in full (for staff only)")
        sub.add_argument("--lang", choices=LANGUAGES, default=argparse.SUPPRESS, help="language of the report (default: the library's)")
        sub.add_argument("--out", type=Path, required=True, help="FILE.pdf or FILE.csv")
        sub.set_defaults(func=period_report)



def _month(text: str) -> tuple[int, int]:
    try:
        day = dt.date.fromisoformat(text + "-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a month like 2026-11: {text}") from None
    return day.year, day.month


def annual_report(args: argparse.Namespace) -> int:
    from countylib import reports
    from countylib.i18n import set_language
    from countylib.library import make_context, open_db
    from countylib.settings import get_setting
    from printing.annual_report import render_annual_report

    out_file(args.out, (".pdf",))
    database = open_db(db_path(args, must_exist=True))
    try:
        ctx = make_context(database)
        reports.check_year(ctx, args.year)
        set_language(get_setting("language"))
        annual = reports.annual_report(ctx, args.year, language=getattr(args, "lang", None))
        pages = render_annual_report(annual, args.out)
    finally:
        database.close()
    loans = annual.report.circulation.loans
    print(f"Wrote the {args.year} annual reading report ({pages} pages, {loans:,} loans, {annual.language}) to {args.out}")
    return 0


def period_report(args: argparse.Namespace) -> int:
    from countylib import reports
    from countylib.i18n import set_language
    from countylib.library import make_context, open_db
    from countylib.report_text import Words, period_text, report_tables, write_csv
    from countylib.settings import get_setting
    from printing.annual_report import render_period_report

    out_file(args.out, (".pdf", ".csv"))
    database = open_db(db_path(args, must_exist=True))
    try:
        ctx = make_context(database)
        language = getattr(args, "lang", None) or get_setting("language")
        set_language(language)
        period = _period(args, ctx.clock.today())
        reports.check_period(ctx, period)
        report = reports.period_report(ctx, period, internal=args.internal)
        words = Words(language)
        if args.out.suffix.lower() == ".csv":
            tables = report_tables(report, words)
            rows = write_csv(tables, args.out, words, heading=f"{report.library_name} · {period_text(words, report)}")
            what = f"{len(tables)} tables, {rows} rows"
        else:
            what = f"{render_period_report(report, args.out, language)} pages"
    finally:
        database.close()
    where = f" at {period.location}" if period.location else ""
    span = period.start.isoformat() if period.days == 1 else f"{period.start.isoformat()} to {period.end.isoformat()}"
    print(f"Wrote the report for {span}{where} ({report.circulation.loans:,} loans; {what}) to {args.out}")
    return 0


def _period(args: argparse.Namespace, today: dt.date):
    from countylib.report_data import Period

    location = args.location.strip().upper() if args.location else None
    if args.start or args.end:
        if not (args.start and args.end):
            raise ValidationError("Give both --from and --to for a range of days.")
        return Period(args.start, args.end, location)
    if args.kind == "daily":
        return Period.day(args.date or today, location)
    year, month = args.month or (today.year, today.month)
    return Period.month(year, month, location)

