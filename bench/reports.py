"""Reports on the county dataset (5M loans): the annual reading report and the daily screen.

    python bench/reports.py [--year 2026] [--runs 5]

Targets (DESIGN.md §6): the annual report PDF in ≤ 10 s; the daily screen's queries (today and
this week at a glance) in ≤ 200 ms. The reports read through indexes the models declare
(loan by copy/reader/place and time, item and bib covering indexes); when the cached dataset was
built before them, a copy with those indexes is made once beside it (the cache itself is shared
and never written). Times are wall clock, with this process's CPU time beside them: on a shared
machine the difference is other people's work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.datasets import BENCH_TODAY, dataset  # noqa: E402
from countylib import reports  # noqa: E402
from countylib.clock import FixedClock  # noqa: E402
from countylib.library import make_context, open_db  # noqa: E402
from countylib.report_data import Period  # noqa: E402
from models import Bib, Item, Loan  # noqa: E402
from printing.annual_report import render_annual_report  # noqa: E402

REPORT_MODELS = (Loan, Item, Bib)


def _index_sql() -> list[tuple[str, str]]:
    """(name, CREATE INDEX ...) of every index the report models declare."""
    found = []
    for model in REPORT_MODELS:
        for index in model._schema._create_indexes(safe=True):
            sql, _params = index.query()
            found.append((sql.split('"')[1], sql))
    return found


def report_copy(source: Path) -> Path:
    """The dataset itself if it has the report indexes, else a copy of it that has them."""
    wanted = _index_sql()
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as conn:
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    if all(name in present for name, _sql in wanted):
        return source
    copy = source.with_name(source.stem + "-reports.db")
    if not copy.exists():
        print(f"copying {source.name} and adding the report indexes (once) ...", flush=True)
        partial = copy.with_name(copy.name + ".partial")
        shutil.copyfile(source, partial)
        with sqlite3.connect(partial) as conn:
            for _name, sql in wanted:
                conn.execute(sql)
        partial.rename(copy)
    else:
        with sqlite3.connect(copy) as conn:
            for _name, sql in wanted:
                conn.execute(sql)
    return copy


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=BENCH_TODAY.year)
    parser.add_argument("--runs", type=int, default=5, help="runs of the daily screen's queries")
    args = parser.parse_args()
    path = report_copy(dataset("county"))
    clock = FixedClock(instant=dt.datetime.combine(BENCH_TODAY, dt.time(2, 0), tzinfo=dt.UTC))
    database = open_db(path)
    ctx = make_context(database, clock)
    rows: list[tuple[str, float, float, str]] = []

    today = clock.today()
    daily = []
    for _ in range(args.runs):
        _g, wall, cpu = timed(lambda: (reports.glance(ctx, Period.day(today)), reports.glance(ctx, Period.week_of(today))))
        daily.append((wall, cpu))
    rows.append(("daily screen: today + this week (median)", statistics.median(w for w, _ in daily), statistics.median(c for _, c in daily), "≤ 200 ms"))
    rows.append(("daily screen: today + this week (slowest)", max(w for w, _ in daily), max(c for _, c in daily), ""))

    year = Period.year(args.year)
    for name, fn in (
        ("circulation (month × place × category)", lambda: reports.circulation(ctx, year)),
        ("classes, titles, weeding", lambda: reports.titles(ctx, year)),
        ("readers (active, top)", lambda: reports.readers(ctx, year)),
        ("collection, patrons, activities, volunteers, gifts", lambda: (
            reports.collection(ctx, year), reports.patrons(ctx, year), reports.activities(ctx, year),
            reports.volunteers(ctx, year), reports.donations(ctx, year))),
    ):  # fmt: skip
        _v, wall, cpu = timed(fn)
        rows.append((f"  {name}", wall, cpu, ""))

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "annual.pdf"

        def annual():
            report = reports.annual_report(ctx, args.year)
            return report, render_annual_report(report, out)

        (report, pages), wall, cpu = timed(annual)
        size = out.stat().st_size
    rows.append((f"annual report {args.year}: figures + PDF ({pages} pages, {size // 1024} KiB)", wall, cpu, "≤ 10 s"))
    database.close()

    loans = report.report.circulation.loans
    print(f"\nreports on {path.name}: {loans:,} loans in {args.year}, {report.report.titles.holdings:,} copies held")
    print(f"{'what':<62}{'wall ms':>10}{'cpu ms':>10}  target")
    for name, wall, cpu, target in rows:
        print(f"{name:<62}{wall:>10,.0f}{cpu:>10,.0f}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
