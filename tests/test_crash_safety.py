"""Power-cut safety: a real process lending and taking back books is killed with SIGKILL at
random moments, hundreds of times; after each kill the database must be whole, hold every
transaction the process reported done, and hold nothing half-done.

The worker is this file run as a program. To make hundreds of rounds fit in about a minute,
it imports everything once and then forks a fresh child per round (before any database is
opened: no SQLite handle crosses a fork); the child opens the file, lends and takes back,
and prints each transaction's loan id only after its commit. The test SIGKILLs the child.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import peewee as pw
import pytest

ROOT = Path(__file__).resolve().parents[1]
TIME_BUDGET = 70.0  # seconds of kill rounds
MAX_ROUNDS = 600
MIN_ROUNDS = 100


# -- the worker (run as a program) --------------------------------------------------------------


def say(line: str) -> None:
    """One write(2) per line: a kill can never leave half a line (pipes write < 4 KB atomically)."""
    os.write(1, (line + "\n").encode())


def _work(db_path: str, seed: int) -> None:
    from countylib.circulation import check_in, check_out
    from countylib.errors import CountyLibError
    from countylib.library import make_context, open_db
    from models import Item, Patron

    ctx = make_context(open_db(db_path))
    rng = random.Random(seed)
    cards = [c for (c,) in Patron.select(Patron.card_number).tuples()]
    barcodes = [b for (b,) in Item.select(Item.barcode).tuples()]
    say("ready")
    while True:
        barcode = rng.choice(barcodes)
        try:
            if Item.get(Item.barcode == barcode).status == "on_loan":
                done = check_in(ctx, barcode)
                say(f"IN {done.loan.id}")
            else:
                done = check_out(ctx, rng.choice(cards), barcode)
                say(f"OUT {done.loan.id}")
        except CountyLibError:
            continue  # a rule said no (limits): nothing was written


def _zygote(db_path: str) -> None:
    """Import once; for every 'go SEED' line fork a worker, report its pid and its end."""
    import countylib.circulation  # noqa: F401  (the imports are the slow part)
    import countylib.library  # noqa: F401

    for line in sys.stdin:
        seed = int(line.split()[1])
        pid = os.fork()
        if pid == 0:
            try:
                _work(db_path, seed)
            except BaseException as exc:  # noqa: BLE001 - reported to the test, which fails on it
                say(f"ERROR {type(exc).__name__}: {exc}")
            finally:
                os._exit(1)
        say(f"pid {pid}")
        os.waitpid(pid, 0)
        say("dead")


# -- the test ------------------------------------------------------------------------------------


class Zygote:
    def __init__(self, db_path: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, __file__, str(db_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, bufsize=1, env=env, cwd=ROOT,
        )
        self.buffer = ""
        self.child: int | None = None

    def readline(self, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while "\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 65536).decode()
            if not chunk:
                raise AssertionError("the worker process ended")
            self.buffer += chunk
        line, self.buffer = self.buffer.split("\n", 1)
        return line

    def round(self, seed: int, rng: random.Random) -> list[str]:
        """One worker, killed at a random moment; returns what it reported done."""
        self.proc.stdin.write(f"go {seed}\n")
        self.proc.stdin.flush()
        lines = []
        # On a busy machine the child can speak before its parent reports the child's pid.
        while not (line := self.readline(30) or "").startswith("pid "):
            assert line, f"the zygote never reported a worker; got {lines[-5:]}"
            lines.append(line)
        pid = self.child = int(line.split()[1])
        # Sometimes while it is still opening the file, mostly in the middle of lending.
        deadline = time.monotonic() + rng.choice([0.0, 0.01, rng.uniform(0.02, 0.4)])
        while (left := deadline - time.monotonic()) > 0:
            got = self.readline(left)
            if got is None:
                break
            lines.append(got)
        os.kill(pid, signal.SIGKILL)
        while (got := self.readline(30)) != "dead":
            assert got is not None, f"the worker did not die; got {lines[-5:]}, pid {pid}"
            lines.append(got)
        self.child = None
        errors = [x for x in lines if x.startswith("ERROR")]
        assert not errors, errors
        return lines

    def close(self) -> None:
        if self.child is not None:
            # A failed round may leave its worker lending; it must not outlive the test.
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.child, signal.SIGKILL)
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _loans_and_events(database: pw.SqliteDatabase) -> tuple[dict[str, bool], set[str], set[str]]:
    loans = {lid: closed for lid, closed in database.execute_sql("SELECT id, checked_in_at IS NOT NULL FROM loan")}
    out_events, in_events = set(), set()
    for kind, payload in database.execute_sql(
        "SELECT type, payload FROM outbox WHERE type IN ('loan.checked_out', 'loan.checked_in')"
    ):
        loan_id = json.loads(payload)["loan_id"]
        (out_events if kind == "loan.checked_out" else in_events).add(loan_id)
    return loans, out_events, in_events


def _verify(db_path: Path, reported_out: set[str], reported_in: set[str]) -> None:
    from countylib.integrity import check

    database = pw.SqliteDatabase(str(db_path), pragmas={"foreign_keys": 1, "busy_timeout": 5000})
    try:
        report = check(database)
        assert report.ok and not report.repaired, [p.message for p in report.problems + report.repaired]
        loans, out_events, in_events = _loans_and_events(database)
    finally:
        database.close()
    # Everything the worker called done is there.
    assert reported_out <= loans.keys(), reported_out - loans.keys()
    assert all(loans[lid] for lid in reported_in), [lid for lid in reported_in if not loans[lid]]
    # Nothing half-done: each loan has its event and each event its loan, both ways.
    assert out_events == loans.keys()
    assert in_events == {lid for lid, closed in loans.items() if closed}


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="the worker forks a child per round (POSIX only)")
def test_sigkill_at_random_moments_never_loses_or_half_writes(library, db_path, capsys):
    from models.base import db
    from tests.circulation_helpers import make_item, make_patron

    for i in range(150):
        make_patron(library, f"HX01P{i:05d}")
    for i in range(300):
        make_item(library, f"HX01B{i:06d}")
    db.close()
    rng = random.Random(20261121)
    zygote = Zygote(db_path)
    reported_out: set[str] = set()
    reported_in: set[str] = set()
    rounds = 0
    started = time.monotonic()
    try:
        while rounds < MAX_ROUNDS and time.monotonic() - started < TIME_BUDGET:
            for line in zygote.round(rng.randrange(1 << 30), rng):
                kind, _, loan_id = line.partition(" ")
                if kind == "OUT":
                    reported_out.add(loan_id)
                elif kind == "IN":
                    reported_in.add(loan_id)
            rounds += 1
            _verify(db_path, reported_out, reported_in)
    finally:
        zygote.close()
    with capsys.disabled():
        print(f"\ncrash safety: {rounds} SIGKILL rounds in {time.monotonic() - started:.0f} s, "
              f"{len(reported_out)} check-outs and {len(reported_in)} check-ins reported done, all present, "
              "integrity and invariants ok after every round")
    assert rounds >= MIN_ROUNDS
    assert len(reported_out) > rounds  # the kills landed mid-work, not only at start-up


if __name__ == "__main__":
    _zygote(sys.argv[1])
