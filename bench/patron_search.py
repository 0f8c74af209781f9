"""Patron search and list on the county dataset (200,000 readers): p50 / p95 per kind.

    .venv/bin/python -m bench.patron_search [--patrons 200000] [--samples 200] [--db PATH]

Uses the shared county dataset (``bench/datasets.py county``) when it has been built for
this schema (it is only read, never migrated); otherwise it builds its own file of 200k readers with 20k open and a million past loans
(so the overdue filter meets realistic tables) under the system temp folder, reused on
later runs. Queries run as an admin (the ID searches need a librarian). Target: p95 ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from stdnum.cn import ric

from countylib.clock import FixedClock
from countylib.idnumbers import _hash_key, mask
from countylib.library import initialize_library, make_context, open_db
from countylib.patron_search import PatronFilter, list_patrons, search_patrons
from countylib.patrons import name_pinyin
from models import Bib, CardEvent, Item, Loan, Location, Patron, db
from models.database import SCHEMA_VERSION
from models.ids import new_id

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥建文辉力斌宇浩凯婷雪琳晨欣怡子轩梓涵一诺浩然"
REGIONS = ("320311", "320321", "320322", "320324", "320381", "320382", "110101", "310101")
CATEGORIES = (("adult", 70), ("child", 12), ("student", 10), ("senior", 7), ("staff", 1))
CLOCK = FixedClock()


def _own_dataset(path: Path, patrons: int, seed: int = 7) -> Path:
    """Readers with realistic names, IDs and phones, 2% suspended, some open loans."""
    if path.exists():
        return path
    building = path.with_suffix(".building")
    for leftover in building.parent.glob(building.name + "*"):
        leftover.unlink()
    rng = random.Random(seed)
    database = open_db(building)
    ctx = initialize_library(
        database, library_name="某某县图书馆", branch_code="HX01", branch_name="城关分馆",
        admin_user="admin", password="admin123", clock=CLOCK,
    )
    key = _hash_key()
    today = CLOCK.today()
    cats = [c for c, w in CATEGORIES for _ in range(w)]
    rows = []
    for n in range(1, patrons + 1):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 80))
        body = rng.choice(REGIONS) + birth.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
        number = body + ric.calc_check_digit(body + "0")
        full, initials = name_pinyin(name)
        rows.append(
            {
                "id": new_id(), "card_number": f"HX01{n:05d}", "name": name, "name_pinyin": full,
                "name_initials": initials, "gender": "M" if int(number[16]) % 2 else "F", "id_type": "resident_id",
                "id_number": number, "id_number_hash": hmac.new(key, number.encode(), hashlib.sha256).hexdigest(),
                "id_number_masked": mask(number), "id_last4": number[-4:], "birth_date": birth,
                "phone": f"1{rng.choice('3578')}{rng.randrange(10**9):09d}", "address": "", "category": rng.choice(cats),
                "home_branch": ctx.branch.id, "status": "suspended" if rng.random() < 0.02 else "active",
                "expiry_date": today + dt.timedelta(days=rng.randrange(-200, 1100)), "deposit_cents": 0, "notes": "",
                "pin_hash": "", "registered_at": CLOCK.utcnow(), "updated_at": CLOCK.utcnow(),
            }
        )
    with db.atomic():
        for start in range(0, len(rows), 2000):
            Patron.insert_many(rows[start : start + 2000]).execute()
        events = [
            {"id": new_id(), "patron": r["id"], "kind": "issued", "card_number": r["card_number"], "at": CLOCK.utcnow()}
            for r in rows
        ]
        for start in range(0, len(events), 5000):
            CardEvent.insert_many(events[start : start + 5000]).execute()
    _loans(ctx, [r["id"] for r in rows], rng)
    database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.execute_sql("ANALYZE")
    database.close()
    building.rename(path)  # only a finished file is ever reused
    return path


def _loans(ctx, patron_ids: list[str], rng: random.Random, items: int = 20000, past: int = 1_000_000) -> None:
    """20k items out on loan (a fifth overdue) and a million returned loans behind them."""
    location = Location.get(Location.code == ctx.branch.code)
    today = CLOCK.today()
    with db.atomic():
        bib = Bib.create(title="测试书")
        item_rows = [
            {"id": new_id(), "barcode": f"B{n:07d}", "bib": bib.id, "home_location": location.id,
             "current_location": location.id, "status": "on_loan"}
            for n in range(items)
        ]
        for start in range(0, items, 2000):
            Item.insert_many(item_rows[start : start + 2000]).execute()
        loans = []
        for item in item_rows:
            out = today - dt.timedelta(days=rng.randrange(1, 60))
            loans.append({"id": new_id(), "item": item["id"], "patron": rng.choice(patron_ids), "location": location.id,
                          "checked_out_at": out, "due_date": out + dt.timedelta(days=30)})
        for n in range(past):
            out = today - dt.timedelta(days=rng.randrange(60, 365 * 5))
            loans.append({"id": new_id(), "item": item_rows[n % items]["id"], "patron": rng.choice(patron_ids),
                          "location": location.id, "checked_out_at": out, "due_date": out + dt.timedelta(days=30),
                          "checked_in_at": out + dt.timedelta(days=rng.randrange(1, 40))})
        fields = ["id", "item", "patron", "location", "checked_out_at", "due_date", "checked_in_at"]
        for start in range(0, len(loans), 5000):
            Loan.insert_many([{f: row.get(f) for f in fields} for row in loans[start : start + 5000]]).execute()


def _schema_version(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def dataset_path(patrons: int, db_override: Path | None) -> Path:
    if db_override:
        return db_override
    try:
        from bench.datasets import path_for
    except ImportError:
        path_for = None
    if path_for is not None and path_for("county").exists():
        county = path_for("county")  # the shared county set, when someone has built it
        if _schema_version(county) == SCHEMA_VERSION:
            return county
        # Opening it would migrate the shared cache (and back up 5 GB first): not for a reader.
        print(f"{county} has an older schema; rebuild it with 'python bench/datasets.py county --rebuild'.")
    return _own_dataset(Path(tempfile.gettempdir()) / f"countylib-bench-patrons-{patrons}.db", patrons)


def measure(name: str, queries: list[Callable[[], object]]) -> tuple[str, float, float, float]:
    times = []
    for query in queries:
        start = time.perf_counter()
        query()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return name, statistics.median(times), times[int(len(times) * 0.95) - 1], times[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patrons", type=int, default=200_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    path = dataset_path(args.patrons, args.db)
    print(f"dataset {path} ready in {time.perf_counter() - started:.0f} s")
    ctx = make_context(open_db(path), CLOCK)
    rng = random.Random(1)
    total = Patron.select().count()
    sample = [Patron.get_by_id(pid) for pid in rng.sample([p.id for p in Patron.select(Patron.id)], args.samples)]
    s = lambda text: (lambda: search_patrons(ctx, text))  # noqa: E731
    lst = lambda **kw: (lambda: list_patrons(ctx, PatronFilter(**{k: v for k, v in kw.items() if k != "after"}), after=kw.get("after")))  # noqa: E731
    cards = sorted(p.card_number for p in sample)
    results = [
        measure("card number (exact)", [s(p.card_number) for p in sample]),
        measure("name, whole (张三丰)", [s(p.name) for p in sample]),
        measure("name, surname + 1 char", [s(p.name[:2]) for p in sample]),
        measure("given name (三丰)", [s(p.name[1:]) if len(p.name) > 2 else s(p.name) for p in sample]),
        measure("pinyin initials (zsf)", [s(p.name_initials) for p in sample]),
        measure("full pinyin prefix", [s(p.name_pinyin[:6]) for p in sample]),
        measure("phone (11 digits)", [s(p.phone) for p in sample]),
        measure("phone prefix (7 digits)", [s(p.phone[:7]) for p in sample]),
        measure("ID last four", [s(p.id_last4) for p in sample]),
        measure("ID number (whole)", [s(p.id_number) for p in sample]),
        measure("list: first page", [lst() for _ in sample]),
        measure("list: page after a card", [lst(after=c) for c in cards]),
        measure("list: category staff (1%)", [lst(category="staff") for _ in sample]),
        measure("list: suspended (2%)", [lst(status="suspended") for _ in sample]),
        measure("list: expiring soon", [lst(expiring_soon=True) for _ in sample]),
        measure("list: overdue", [lst(overdue=True) for _ in sample]),
        measure("list: overdue, child", [lst(overdue=True, category="child") for _ in sample]),
    ]
    print(f"\n{total:,} patrons, {Loan.select().count():,} loans, {args.samples} samples each\n")
    print(f"| {'query':<28} | p50 ms | p95 ms | max ms |")
    print(f"|{'-' * 30}|-------:|-------:|-------:|")
    for name, p50, p95, worst in results:
        flag = "" if p95 <= 50 else "  ← over 50 ms"
        print(f"| {name:<28} | {p50:6.2f} | {p95:6.2f} | {worst:6.1f} |{flag}")


if __name__ == "__main__":
    main()
