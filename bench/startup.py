"""Cold start: a fresh process until the desk screen is usable, against a bare Textual app.

DESIGN.md §6: CountyLib's cold start to a usable desk screen ≤ 2 × a bare Textual app with
the same widgets. Each run is a new interpreter (imports included), headless via run_test.

    .venv/bin/python -m bench.startup [--db PATH] [--runs 5]

Times include signing in (one scrypt check, ~50 ms by design).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COUNTYLIB = """
import time, sys, asyncio
t0 = time.perf_counter()
if sys.argv[2:] == ["branch"]:
    # A branch installs CountyLib without the hub extra, so peewee finds no psycopg; this
    # venv has it (the tests run a hub), and peewee imports it eagerly.
    sys.modules["psycopg"] = sys.modules["psycopg2"] = None
from countylib.app import AppConfig, make_app
from countylib.auth import sign_in
app = make_app(sys.argv[1], AppConfig(language="zh_CN"))
async def main():
    async with app.run_test(size=(120, 36)) as pilot:
        app.signed_in(sign_in(app.ctx, "admin", "admin123"))
        app.open_area("desk")
        await pilot.pause()
        assert app.current_mode == "desk"
        print(time.perf_counter() - t0)
asyncio.run(main())
"""

BARE = """
import time, asyncio
t0 = time.perf_counter()
from textual.app import App
from textual.widgets import Button, DataTable, Footer, Input, Static
class Bare(App):
    def compose(self):
        yield Static("status")
        yield Input()
        yield Static("patron")
        yield DataTable()
        yield Button("ok")
        yield Footer()
async def main():
    async with Bare().run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        print(time.perf_counter() - t0)
asyncio.run(main())
"""


def _run(code: str, *args: str) -> float:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return time.perf_counter() - started if not out.stdout.strip() else float(out.stdout.strip().splitlines()[-1])


def _demo_db(folder: Path) -> Path:
    from countylib.library import initialize_library, open_db

    path = folder / "startup.db"
    initialize_library(
        open_db(path), library_name="某某县图书馆", branch_code="HX01", branch_name="城关分馆",
        admin_user="admin", password="admin123",
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="an existing library (admin/admin123); default: a new one")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or _demo_db(Path(tmp))
        bare, ours, branch = [], [], []
        for _ in range(args.runs):  # interleaved, so a busy moment hurts every row alike
            bare.append(_run(BARE))
            ours.append(_run(COUNTYLIB, str(db), "venv"))
            branch.append(_run(COUNTYLIB, str(db), "branch"))
    print(f"{'what':<44}{'median s':>10}{'min s':>10}{'ratio':>8}")
    base = statistics.median(bare)
    for label, runs in (
        ("bare Textual app, same widgets", bare),
        ("CountyLib to a usable desk, as installed", branch),
        ("  the same in this venv (psycopg importable)", ours),
    ):
        print(f"{label:<44}{statistics.median(runs):>10.3f}{min(runs):>10.3f}{statistics.median(runs) / base:>7.2f}×")
    print("target: ≤ 2 × (DESIGN.md §6); the second row is what a branch gets")


if __name__ == "__main__":
    main()
