"""Where a push spends its time at the hub: SQL statements per event, and time in the database.

    .venv/bin/python -m bench.hub_push [--events 10000] [--dsn sqlite:///... | postgresql://...]

No HTTP and no subprocess: the branch's outbox (the same desk day as ``bench.sync``) is cut
into the client's batches and handed to ``service.push`` in this process, with every
statement the hub sends counted by kind (an ``executemany`` counts once) and the time spent
waiting on the database measured. A PostgreSQL DSN gets a fresh schema, dropped afterwards.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.sync import fill_outbox, new_branch  # noqa: E402
from models import Outbox, SyncState  # noqa: E402
from models.base import db  # noqa: E402
from sync.codec import envelope  # noqa: E402


class Counter:
    """Counts statements by their first words, and the time spent waiting on the database."""

    def __init__(self, database) -> None:
        self.kinds: collections.Counter[str] = collections.Counter()
        self.seconds = 0.0
        self.database = database
        self._execute = database.execute_sql
        self._cursor = database.cursor

    def __enter__(self) -> Counter:
        counter = self

        def execute_sql(sql, params=None, *args, **kwargs):
            counter.kinds[" ".join(sql.split()[:3])[:48]] += 1
            start = time.perf_counter()
            try:
                return counter._execute(sql, params, *args, **kwargs)
            finally:
                counter.seconds += time.perf_counter() - start

        class Cursor:
            def __init__(self, real) -> None:
                self.real = real

            def executemany(self, sql, rows):
                rows = list(rows)
                counter.kinds["executemany " + " ".join(sql.split()[:3])[:36]] += 1
                start = time.perf_counter()
                try:
                    return self.real.executemany(sql, rows)
                finally:
                    counter.seconds += time.perf_counter() - start

            def __getattr__(self, name):
                return getattr(self.real, name)

            def __iter__(self):
                return iter(self.real)

        self.database.execute_sql = execute_sql
        self.database.cursor = lambda *a, **k: Cursor(counter._cursor(*a, **k))
        return self

    def __exit__(self, *exc) -> None:
        del self.database.execute_sql
        del self.database.cursor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--dsn", help="hub database (default: a fresh SQLite file)")
    parser.add_argument("--batch", type=int, default=500, help="events per batch (the client sends ≤ 500)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="countylib-bench-hub-"))
    os.environ["COUNTYLIB_HOME"] = str(work / "home")
    schema = None
    dsn = args.dsn or f"sqlite:///{work}/hub.db"
    if dsn.startswith("postgres"):
        import psycopg

        schema = "hubbench_" + uuid.uuid4().hex[:10]
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        dsn += ("&" if "?" in dsn else "?") + f"options=-csearch_path%3D{schema}"
    try:
        run(dsn, work, args.events, args.batch)
    finally:
        if schema:
            import psycopg

            with psycopg.connect(args.dsn, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")
        shutil.rmtree(work, ignore_errors=True)


def run(dsn: str, work: Path, events: int, batch: int) -> None:
    from sync.hub import devices, service
    from sync.hub.storage import Device, hub_db, migrate, open_hub

    open_hub(dsn)
    migrate()
    branch = work / "branch.db"
    new_branch(branch, "BNA")
    fill_outbox(branch, events)
    device_id = SyncState.get_by_id(1).device_id
    rows = list(Outbox.select().order_by(Outbox.seq))
    envelopes = [envelope(r) | {"device_id": device_id} for r in rows]
    db.close()
    with hub_db.connection_context():
        code = devices.new_enrolment_code("BNA")
        with hub_db.atomic():
            devices.enrol(code, device_id, "BNA", "bench")
    batches = [envelopes[i : i + batch] for i in range(0, len(envelopes), batch)]
    outcomes: collections.Counter[tuple] = collections.Counter()
    with hub_db.connection_context(), Counter(hub_db.obj) as counter:
        caller = devices.Caller(Device.get_by_id(device_id), False)
        start = time.perf_counter()
        for chunk in batches:
            body = {"protocol": 1, "device": device_id, "epoch": chunk[0]["epoch"], "batch_id": str(uuid.uuid4()),
                    "clock_offset_ms": 0, "events": chunk}
            answer = service.push(caller, body)
            outcomes.update((r["status"], r["code"]) for r in answer["results"])
        total = time.perf_counter() - start
    engine = "PostgreSQL" if dsn.startswith("postgres") else "SQLite"
    n = len(envelopes)
    statements = sum(counter.kinds.values())
    print(f"\nhub push in process, {engine}, {n} events in {len(batches)} batches, {os.cpu_count()} cores")
    print(f"total {total:.2f} s ({n / total:.0f} events/s), database calls {counter.seconds:.2f} s")
    print(f"statements {statements} = {statements / n:.2f} per event, {statements / len(batches):.1f} per batch")
    print("outcomes", dict(outcomes))
    for kind, count in counter.kinds.most_common():
        print(f"  {count:>7}  {kind}")


if __name__ == "__main__":
    main()
