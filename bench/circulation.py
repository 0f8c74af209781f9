"""Desk speed: check out / check in / renew as service calls, the same minimal transaction in
raw sqlite3 (our time as a multiple of it), and scan → screen updated in the TUI (Pilot).

    .venv/bin/python -m bench.circulation [--size county|branch|demo] [--samples 1000] [--scans 200]

Runs on ``bench.datasets.dataset(size)`` (copied first: the cache is shared and this writes).
Targets (DESIGN.md §6, county set): service p50 ≤ 1 ms, p99 ≤ 5 ms; scan → screen p99 ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.datasets import BENCH_TODAY, dataset  # noqa: E402
from countylib.app import AppConfig, make_app  # noqa: E402
from countylib.circulation import check_in, check_out, renew  # noqa: E402
from countylib.clock import FixedClock  # noqa: E402
from countylib.context import ServiceContext  # noqa: E402
from countylib.library import make_context, open_db  # noqa: E402
from models.database import hand_checkpoints_to_background  # noqa: E402
from countylib.lookups import desk_location  # noqa: E402
from models.ids import new_id  # noqa: E402

# 10:00 in the library's zone on the datasets' fixed "today".
OPENING = dt.datetime.combine(BENCH_TODAY, dt.time(2, 0), tzinfo=dt.UTC)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def pick_pairs(path: Path, count: int, location_code: str) -> list[tuple[str, str]]:
    """Readers free to borrow (active, valid, nothing on loan) and copies on the shelf here
    that nobody is waiting for: the everyday case the desk must be fast at."""
    conn = sqlite3.connect(path)
    try:
        valid_until = (BENCH_TODAY + dt.timedelta(days=60)).isoformat()  # still valid when renewing
        cards = [r[0] for r in conn.execute(
            """SELECT card_number FROM patron p WHERE status = 'active' AND (expiry_date IS NULL OR expiry_date >= ?)
               AND NOT EXISTS (SELECT 1 FROM loan l WHERE l.patron_id = p.id AND l.checked_in_at IS NULL)
               ORDER BY random() LIMIT ?""", (valid_until, count))]
        barcodes = [r[0] for r in conn.execute(
            """SELECT i.barcode FROM item i JOIN location l ON l.id = i.home_location_id
               WHERE i.status = 'available' AND i.item_type IN ('book', 'children') AND l.code = ?
               AND NOT EXISTS (SELECT 1 FROM hold h WHERE h.bib_id = i.bib_id AND h.status IN ('waiting', 'ready'))
               ORDER BY random() LIMIT ?""", (location_code, count))]
    finally:
        conn.close()
    if len(cards) < count or len(barcodes) < count:
        raise SystemExit(f"the dataset has only {len(cards)} free readers and {len(barcodes)} free copies; ask for fewer samples")
    return list(zip(cards, barcodes))


def timed(calls: list[Callable[[], object]]) -> list[float]:
    out = []
    for call in calls:
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def outbox_share(ctx, here, pairs: list[tuple[str, str]]) -> list[float]:
    """How long ``ctx.record`` (sync/outbox.py) takes inside a check-out: lend the same
    copies again with the recorder timed."""
    spent: list[float] = []
    record = ServiceContext.record

    def timed_record(self, event_type, payload):
        started = time.perf_counter()
        try:
            return record(self, event_type, payload)
        finally:
            spent.append((time.perf_counter() - started) * 1000)

    ServiceContext.record = timed_record
    try:
        for card, barcode in pairs:
            check_out(ctx, card, barcode, location=here)
    finally:
        ServiceContext.record = record
    return spent


# -- the same minimal transactions in raw sqlite3 --------------------------------------------


class Raw:
    """What a check-out, check-in and renewal must do at the least: find the rows, write the
    loan and the copy, append the outbox event, in one IMMEDIATE transaction."""

    def __init__(self, path: Path, location_id: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        pragmas = ("journal_mode=wal", "foreign_keys=1", "synchronous=normal", "busy_timeout=5000", "cache_size=-32000")
        for pragma in (*pragmas, "wal_autocheckpoint=0"):  # checkpoints off the desk path, as in the app
            self.conn.execute(f"PRAGMA {pragma}")
        self.location_id = location_id
        self.now = OPENING.replace(tzinfo=None).isoformat(sep=" ")

    def _event(self, kind: str, payload: dict) -> None:
        device, epoch, seq, hlc = self.conn.execute("SELECT device_id, epoch, next_seq, hlc FROM sync_state WHERE id = 1").fetchone()
        self.conn.execute(
            "INSERT INTO outbox (id, device_id, epoch, seq, hlc, branch, type, payload, schema_version, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
            (new_id(), device, epoch, seq, hlc + 1, "XZ01", kind, json.dumps(payload), self.now),
        )
        self.conn.execute("UPDATE sync_state SET next_seq = next_seq + 1, hlc = ? WHERE id = 1", (hlc + 1,))

    def check_out(self, card: str, barcode: str) -> None:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        patron_id, category = c.execute("SELECT id, category FROM patron WHERE card_number = ?", (card,)).fetchone()
        item_id, _status = c.execute("SELECT id, status FROM item WHERE barcode = ?", (barcode,)).fetchone()
        loan_id = new_id()
        due = (BENCH_TODAY + dt.timedelta(days=30)).isoformat()
        c.execute(
            "INSERT INTO loan (id, item_id, patron_id, location_id, checked_out_at, due_date, renewals, patron_category) "
            "VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
            (loan_id, item_id, patron_id, self.location_id, self.now, due, category),
        )
        c.execute("UPDATE item SET status = 'on_loan', current_location_id = ?, updated_at = ? WHERE id = ?",
                  (self.location_id, self.now, item_id))
        self._event("loan.checked_out", {"loan_id": loan_id, "item_id": item_id, "barcode": barcode, "card_number": card, "due_date": due})
        c.execute("COMMIT")

    def renew(self, barcode: str) -> None:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        (item_id,) = c.execute("SELECT id FROM item WHERE barcode = ?", (barcode,)).fetchone()
        loan_id, renewals = c.execute(
            "SELECT id, renewals FROM loan WHERE item_id = ? AND checked_in_at IS NULL", (item_id,)).fetchone()
        due = (BENCH_TODAY + dt.timedelta(days=33)).isoformat()
        c.execute("UPDATE loan SET due_date = ?, renewals = ? WHERE id = ?", (due, renewals + 1, loan_id))
        self._event("loan.renewed", {"loan_id": loan_id, "barcode": barcode, "due_date": due, "renewals": renewals + 1})
        c.execute("COMMIT")

    def check_in(self, barcode: str) -> None:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        (item_id,) = c.execute("SELECT id FROM item WHERE barcode = ?", (barcode,)).fetchone()
        (loan_id,) = c.execute("SELECT id FROM loan WHERE item_id = ? AND checked_in_at IS NULL", (item_id,)).fetchone()
        c.execute("UPDATE loan SET checked_in_at = ?, checkin_location_id = ? WHERE id = ?", (self.now, self.location_id, loan_id))
        c.execute("UPDATE item SET status = 'available', current_location_id = ?, updated_at = ? WHERE id = ?",
                  (self.location_id, self.now, item_id))
        self._event("loan.checked_in", {"loan_id": loan_id, "item_id": item_id, "barcode": barcode, "outcome": "shelved"})
        c.execute("COMMIT")


# -- the TUI ------------------------------------------------------------------------------------


async def scan_to_screen(path: Path, pairs: list[tuple[str, str]]) -> list[float]:
    """Per scan: from the Enter key reaching the app to the first screen update drawn after
    the desk handled it (Pilot's own waits, 20 ms idle polls, are not counted).
    One reader per pair: open the card, lend the copy; then Return mode and take all back."""
    from textual import events
    from textual.widgets import Input

    app = make_app(path, AppConfig(language="en", clock=FixedClock(instant=OPENING)))
    samples: list[float] = []
    drawn: list[float] = []
    handled: list[float] = []
    display = app._display

    def timed_display(screen, renderable) -> None:
        display(screen, renderable)
        if renderable is not None:
            drawn.append(time.perf_counter())

    app._display = timed_display
    async with app.run_test(size=(130, 40)) as pilot:
        for selector, text in (("#username", "admin"), ("#password", "admin123")):
            app.screen.query_one(selector, Input).value = text
            await pilot.press("enter")
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        desk = app.screen
        desk.repeats.window = 0  # the bench never rescans on purpose
        show = desk.show

        def timed_show(*args, **kwargs) -> None:
            show(*args, **kwargs)
            handled.append(time.perf_counter())

        desk.show = timed_show

        async def scan(code: str) -> float:
            desk.query_one("#scan", Input).value = code
            handled.clear()
            started = time.perf_counter()
            app._driver.send_message(events.Key("enter", "\r"))
            while not handled or not drawn or drawn[-1] < handled[-1]:
                if time.perf_counter() - started > 5:
                    raise SystemExit(f"no screen update within 5 s for {code}")
                await asyncio.sleep(0.0005)
            sample = (drawn[-1] - started) * 1000
            await pilot.pause()
            return sample

        warm_card, warm_barcode = pairs[0]  # the first lending warms caches and code paths: not timed
        await scan(warm_card)
        await scan(warm_barcode)
        for card, barcode in pairs[1:]:
            samples.append(await scan(card))
            samples.append(await scan(barcode))
            if "Lent to" not in str(desk.query_one("#result").render()):
                raise SystemExit(f"the desk did not lend {barcode} to {card}: {desk.query_one('#result').render()}")
        await pilot.press("escape")
        await pilot.press("f12")
        await scan(warm_barcode)
        for _card, barcode in pairs[1:]:
            samples.append(await scan(barcode))
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="county", help="dataset: county (default), branch or demo")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samples", type=int, default=1000, help="loans per service-call series")
    parser.add_argument("--scans", type=int, default=100, help="readers in the TUI run (3 scans each)")
    args = parser.parse_args(argv)

    source = dataset(args.size, args.seed)
    work = Path(tempfile.mkdtemp(prefix="bench-circulation-"))
    path = work / source.name
    started = time.perf_counter()
    shutil.copyfile(source, path)
    print(f"dataset {args.size}: {source} ({source.stat().st_size / 2**20:,.0f} MB, copied in {time.perf_counter() - started:.1f} s)")
    try:
        database = open_db(path)
        hand_checkpoints_to_background(database)  # as the desk does (countylib/app.py)
        clock = FixedClock(instant=OPENING)
        ctx = make_context(database, clock)
        here = desk_location(ctx)
        pairs = pick_pairs(path, 2 * args.samples + args.scans, here.code)
        ours_pairs, raw_pairs, tui_pairs = pairs[: args.samples], pairs[args.samples : 2 * args.samples], pairs[2 * args.samples :]

        out = timed([lambda c=c, b=b: check_out(ctx, c, b, location=here) for c, b in ours_pairs])
        clock.advance(days=3)
        ren = timed([lambda b=b: renew(ctx, b, location=here) for _c, b in ours_pairs])
        back = timed([lambda b=b: check_in(ctx, b, location=here) for _c, b in ours_pairs])
        outbox = outbox_share(ctx, here, pairs[: args.samples])
        database.close()

        raw = Raw(path, here.id)
        raw_out = timed([lambda c=c, b=b: raw.check_out(c, b) for c, b in raw_pairs])
        raw_ren = timed([lambda b=b: raw.renew(b) for _c, b in raw_pairs])
        raw_back = timed([lambda b=b: raw.check_in(b) for _c, b in raw_pairs])
        raw.conn.close()

        tui = asyncio.run(scan_to_screen(path, tui_pairs)) if tui_pairs else []
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n{'operation':<22}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'raw p50':>9}{'raw p99':>9}{'× raw p50':>11}{'target':>18}")
    for name, ours, base in (("check_out", out, raw_out), ("check_in", back, raw_back), ("renew", ren, raw_ren)):
        p50, p99 = percentile(ours, 50), percentile(ours, 99)
        r50, r99 = percentile(base, 50), percentile(base, 99)
        ok = "ok" if p50 <= 1 and p99 <= 5 else "MISSED"
        print(f"{name:<22}{len(ours):>6}{p50:>9.2f}{p99:>9.2f}{r50:>9.3f}{r99:>9.3f}{p50 / r50:>10.1f}×{'p50≤1 p99≤5 ' + ok:>18}")
    if tui:
        p50, p99 = percentile(tui, 50), percentile(tui, 99)
        ok = "ok" if p99 <= 50 else "MISSED"
        print(f"{'scan → screen (TUI)':<22}{len(tui):>6}{p50:>9.2f}{p99:>9.2f}{'':>9}{'':>9}{'':>11}{'p99≤50 ' + ok:>18}")
    print(f"of each event above, sync.outbox.record_event: p50 {percentile(outbox, 50):.2f} ms, p99 {percentile(outbox, 99):.2f} ms")
    print(f"(mean check_out {statistics.mean(out):.2f} ms; raw sqlite3 = the same rows and event, no rules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
