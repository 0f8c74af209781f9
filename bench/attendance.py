"""Events and attendance: how fast the desk-side calls go on this machine.

    python bench/attendance.py [--people 300]

Prints one table: registering by card, checking in at the door (scan), the door list a screen
refreshes every few seconds, a gate counter's year of hourly rows imported (and imported
again), and a deposit collection of 200 items sent and taken back.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from countylib import activities as act  # noqa: E402
from countylib import deposits, visits  # noqa: E402
from bench.timing import row, timed_each  # noqa: E402
from countylib.clock import FixedClock  # noqa: E402
from countylib.library import initialize_library, open_db  # noqa: E402
from countylib.locations import PlaceDraft, add_location  # noqa: E402
from models import Bib, Item, Location, Patron  # noqa: E402



def once(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000



def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clock = FixedClock()
        ctx = initialize_library(
            open_db(Path(tmp) / "bench.db"),
            library_name="县图书馆",
            branch_code="HX01",
            branch_name="城关分馆",
            admin_user="admin",
            password="admin123",
            clock=clock,
        )
        cards = [f"HX01{n:06d}" for n in range(args.people)]
        with ctx.db.atomic():
            for card in cards:
                Patron.create(card_number=card, name=f"读者{card[-4:]}", home_branch=ctx.branch, birth_date=dt.date(1990, 1, 1))
        [event] = act.plan_activity(
            ctx,
            act.ActivityDraft(
                title="讲座",
                kind="lecture",
                location_code="HX01",
                starts_at=dt.datetime(2026, 11, 21, 14, 0),
                ends_at=dt.datetime(2026, 11, 21, 16, 0),
                capacity=args.people // 2,
            ),
        )
        rows = [row("register by card (half go to the waitlist)", timed_each(lambda c: act.register_patron(ctx, event.id, c), cards))]
        clock.instant = dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.UTC)
        registered = cards[: args.people // 2]
        rows.append(row("check in by card at the door", timed_each(lambda c: act.check_in_card(ctx, event.id, c), registered)))
        rows.append(row(f"door list of {args.people} (redrawn when it changed)", [once(lambda: act.registrations(ctx, event.id)) for _ in range(20)]))
        rows.append(row("door list: has it changed? (every 3 s)", [once(lambda: act.list_version(event.id)) for _ in range(20)]))

        gate = Path(tmp) / "gate.csv"
        day = dt.date(2025, 1, 1)
        with gate.open("w", encoding="utf-8") as fh:
            fh.write("时间,进馆人数\n")
            for n in range(365):
                for hour in range(8, 20):
                    fh.write(f"{day + dt.timedelta(days=n)} {hour:02d}:00:00,{(n * 7 + hour) % 60}\n")
        visits.save_gate_columns(ctx, visits.GateColumns(date="时间", count="进馆人数"))
        rows.append(row("gate file: a year of hourly rows (4,380)", [once(lambda: visits.import_gate_file(ctx, gate, "HX01"))]))
        rows.append(row("the same file again (nothing changes)", [once(lambda: visits.import_gate_file(ctx, gate, "HX01"))]))

        add_location(ctx, PlaceDraft(code="RP-1", name="阅读点", kind="reading_point", host_organisation="村委会"))
        home = Location.get(Location.code == "HX01")
        with ctx.db.atomic():
            for n in range(200):
                bib = Bib.create(title=f"书{n}")
                Item.create(barcode=f"B{n:06d}", bib=bib, home_location=home, current_location=home)
        barcodes = [f"B{n:06d}" for n in range(200)]
        rows.append(row("check one scan before sending", timed_each(lambda b: deposits.check_sendable(ctx, b, "RP-1"), barcodes)))
        rows.append(row("send a collection of 200", [once(lambda: deposits.send_deposit(ctx, "RP-1", barcodes))]))
        rows.append(row("take back one scanned item", timed_each(lambda b: deposits.take_back(ctx, [b]), barcodes)))

    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  {'p50 ms':>8}  {'p99 ms':>8}  {'n':>5}")
    for name, p50, p99, n in rows:
        print(f"{name:<{width}}  {p50:>8}  {p99:>8}  {n:>5}")


if __name__ == "__main__":
    main()
