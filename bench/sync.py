"""Sync speed over loopback: push 10k events, pull 100k changed rows, bytes per event on the wire.

    .venv/bin/python -m bench.sync [--push 10000] [--pull 100000] [--dsn sqlite:///... | postgresql://...]

A real hub (``countylib-hub serve``) runs in a subprocess on 127.0.0.1; branches are real
SQLite files. Push: a branch's outbox of check-outs, check-ins and registrations, sent with
the client's own batching (≤ 500 events / ≤ 256 KB gzip). Pull: a fresh device of the same
branch pulls every row another device's events changed, applying each page to its tables
with the cursor in the same transaction (and, separately, the transfer alone).
Targets (DESIGN.md §6): push 10k ≤ 5 s, pull 100k ≤ 20 s. A PostgreSQL DSN must name an empty
database (``CREATE DATABASE benchsync``): the hub's tables stay there afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from countylib.clock import Clock  # noqa: E402
from countylib.library import initialize_library, make_context, open_db  # noqa: E402
from models import Bib, Item, Location, Outbox, Patron, SyncState  # noqa: E402
from models.base import db  # noqa: E402
from models.ids import new_id  # noqa: E402
from sync.client import SyncClient, SyncSummary, load_token  # noqa: E402
from sync.codec import iso_utc  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


class CountingSession(requests.Session):
    """Bytes on the wire: request bodies as sent, answers as received (gzip where used)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0
        self.received = 0

    def request(self, method, url, **kwargs):  # type: ignore[override]
        data = kwargs.get("data")
        if isinstance(data, (bytes, bytearray)):
            self.sent += len(data)
        response = super().request(method, url, **kwargs)
        self.received += int(response.headers.get("content-length") or len(response.content))
        return response


def start_hub(dsn: str, workdir: Path) -> tuple[subprocess.Popen, str, socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sync.hub.cli", "serve", "--dsn", dsn, "--fd", str(sock.fileno())],
        cwd=ROOT, pass_fds=[sock.fileno()], stdout=(workdir / "hub.log").open("wb"), stderr=subprocess.STDOUT,
    )
    for _ in range(300):
        try:
            if requests.get(url + "/v1/health", timeout=1).status_code == 200:
                return proc, url, sock
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit("hub did not start")


def enrolment_code(dsn: str, branch: str) -> str:
    out = subprocess.run([sys.executable, "-m", "sync.hub.cli", "enroll", "--dsn", dsn, "--branch", branch],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def new_branch(path: Path, code: str) -> None:
    database = open_db(path)
    initialize_library(database, library_name="Bench County", branch_code=code, branch_name=f"{code} branch",
                       admin_user="admin", password="admin123", language="en", clock=Clock())


def fill_outbox(path: Path, events: int) -> None:
    """A desk day, many times over: readers registered, copies accessioned, lent and returned.

    Rows and events are written in bulk (one transaction per thousand) to keep setup short;
    the events are exactly what the services record (docs/events.md)."""
    from sync.client import _append_events

    ctx = make_context(open_db(path))
    here = Location.get(Location.code == ctx.branch.code)
    made = 0
    serial = 0
    while made < events:
        with db.atomic("IMMEDIATE"):
            rows: list[tuple[str, dict]] = []
            now = dt.datetime.now(dt.UTC)
            stamp = iso_utc(now)
            for _ in range(100):
                serial += 1
                bib = Bib.create(title=f"书名 {serial}", author=f"作者 {serial % 97}")
                item = Item.create(barcode=f"{ctx.branch.code}{serial:07d}", bib=bib, home_location=here,
                                   current_location=here)
                patron = Patron.create(card_number=f"C{ctx.branch.code}{serial:07d}", name=f"读者{serial}",
                                       home_branch=ctx.branch)
                loan_id = new_id()
                rows += [
                    ("bib.upserted", {"bib": {"id": bib.id, "title": bib.title, "author": bib.author}}),
                    ("item.accessioned", {"item": {"id": item.id, "barcode": item.barcode, "bib_id": bib.id,
                                                   "home_location": here.code, "current_location": here.code,
                                                   "status": "available", "item_type": "book"}}),
                    ("patron.registered", {"patron": {"id": patron.id, "card_number": patron.card_number,
                                                      "name": patron.name, "home_branch": ctx.branch.code,
                                                      "status": "active", "registered_at": stamp}}),
                    ("loan.checked_out", {"loan_id": loan_id, "item_id": item.id, "barcode": item.barcode,
                                          "patron_id": patron.id, "card_number": patron.card_number,
                                          "location": here.code, "checked_out_at": stamp,
                                          "due_date": (now + dt.timedelta(days=30)).date().isoformat()}),
                    ("loan.checked_in", {"loan_id": loan_id, "item_id": item.id, "barcode": item.barcode,
                                         "location": here.code, "checked_in_at": stamp, "outcome": "shelved"}),
                ]
            rows = rows[: events - made]
            _append_events(rows, ctx.branch.code, now)
            made += len(rows)


def timed_push(path: Path) -> tuple[float, int, int]:
    open_db(path)
    session = CountingSession()
    client = SyncClient(session=session, ca_file="")
    token = load_token(SyncState.get_by_id(1).device_id)
    client._info(token)
    summary = SyncSummary()
    n = Outbox.select().where(Outbox.acked_at.is_null()).count()
    start = time.perf_counter()
    client._push_all(token, summary)
    return time.perf_counter() - start, n, session.sent


def timed_pull(path: Path, limit: int) -> tuple[float, int, int]:
    open_db(path)
    session = CountingSession()
    client = SyncClient(session=session, ca_file="", pull_limit=limit)
    token = load_token(SyncState.get_by_id(1).device_id)
    client._info(token)
    from models import ReplicaState

    ReplicaState.insert(id=1).on_conflict_ignore().execute()
    summary = SyncSummary()
    start = time.perf_counter()
    client._pull_all(token, summary)
    return time.perf_counter() - start, summary.pulled, session.received


def timed_transfer(url: str, token: str, limit: int) -> tuple[float, int, int]:
    session = CountingSession()
    cursor, rows = 0, 0
    start = time.perf_counter()
    while True:
        page = session.get(url + "/v1/sync/pull", params={"cursor": cursor, "limit": limit},
                           headers={"Authorization": f"Bearer {token}"}, timeout=120).json()
        rows += len(page["changes"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return time.perf_counter() - start, rows, session.received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--push", type=int, default=10_000, help="events to push")
    parser.add_argument("--pull", type=int, default=100_000, help="rows to pull")
    parser.add_argument("--limit", type=int, default=1000, help="rows per pull page")
    parser.add_argument("--dsn", help="hub database (default: a fresh SQLite file)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="countylib-bench-sync-"))
    os.environ["COUNTYLIB_HOME"] = str(work / "home")
    dsn = args.dsn or f"sqlite:///{work}/hub.db"
    subprocess.run([sys.executable, "-m", "sync.hub.cli", "migrate", "--dsn", dsn], cwd=ROOT, check=True,
                   capture_output=True)
    proc, url, sock = start_hub(dsn, work)
    results = []
    try:
        # push
        pusher = work / "pusher.db"
        new_branch(pusher, "BNA")
        SyncClient(ca_file="").enroll(url, enrolment_code(dsn, "BNA"))
        t0 = time.perf_counter()
        fill_outbox(pusher, args.push)
        setup = time.perf_counter() - t0
        seconds, n, sent = timed_push(pusher)
        results.append(("push", n, seconds, sent, 5.0 * n / 10_000, f"setup {setup:.1f} s"))

        # pull: another device of the branch receives what the bulk events changed
        bulk = work / "bulk.db"
        new_branch(bulk, "BNA")
        SyncClient(ca_file="").enroll(url, enrolment_code(dsn, "BNA"))
        # each group of 5 events changes 4 rows (bib, item, patron, loan)
        fill_outbox(bulk, max(0, int(args.pull * 5 / 4) - args.push))
        t0 = time.perf_counter()
        timed_push(bulk)
        setup = time.perf_counter() - t0
        reader = work / "reader.db"
        new_branch(reader, "BNA")
        SyncClient(ca_file="").enroll(url, enrolment_code(dsn, "BNA"))
        token = load_token(SyncState.get_by_id(1).device_id)
        seconds, rows, received = timed_transfer(url, token, args.limit)
        results.append(("pull, transfer only", rows, seconds, received, None, f"setup push {setup:.1f} s"))
        seconds, rows, received = timed_pull(reader, args.limit)
        results.append(("pull + apply", rows, seconds, received, 20.0 * rows / 100_000, ""))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        sock.close()
        if not db.is_closed():
            db.close()
    engine = "PostgreSQL" if dsn.startswith("postgres") else "SQLite"
    print(f"\nsync over loopback, hub on {engine}, {os.cpu_count()} cores")
    print(f"| {'what':<20} | {'rows':>7} | {'seconds':>7} | {'per s':>8} | {'bytes/row':>9} | {'target':>8} | note")
    print(f"|{'-' * 22}|{'-' * 9}|{'-' * 9}|{'-' * 10}|{'-' * 11}|{'-' * 10}|------")
    for what, rows, seconds, wire, target, note in results:
        target_text = f"≤ {target:.1f} s" if target else ""
        print(f"| {what:<20} | {rows:>7} | {seconds:>7.2f} | {rows / seconds:>8.0f} | {wire / max(rows, 1):>9.0f} |"
              f" {target_text:>8} | {note}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
