"""Benchmark datasets, built once and kept under bench/data/ (git-ignored).

    python bench/datasets.py county          # prebuild (and print the table)
    python bench/datasets.py demo branch --seed 2

Other benchmarks call ``dataset("county")`` and get the path of the cached file; they
open it themselves (copy it first if they write: the cache is shared).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from countylib.demo_data import SIZES, generate  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
# Benchmarks compare runs across days: the datasets' "today" is fixed.
BENCH_TODAY = dt.date(2026, 11, 21)


def path_for(size: str, seed: int = 1) -> Path:
    return DATA / f"{size}-seed{seed}.db"


def dataset(size: str, seed: int = 1) -> Path:
    """The cached dataset's path, building it first if it is not there yet."""
    path = path_for(size, seed)
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        generate(path, size=size, seed=seed, today=BENCH_TODAY)
    return path


def table(path: Path) -> list[tuple[str, int]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'bib_fts%' ORDER BY name"
        )]
        return [(name, conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in names]
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="build again even if cached")
    args = parser.parse_args(argv)
    for size in args.sizes:
        path = path_for(size, args.seed)
        if args.rebuild:
            path.unlink(missing_ok=True)
        cached = path.exists()
        started = time.perf_counter()
        if not cached:
            DATA.mkdir(parents=True, exist_ok=True)
            stage_started = [time.perf_counter()]

            def progress(stage: str) -> None:
                now = time.perf_counter()
                print(f"  {now - started:7.1f} s  {stage}", flush=True)
                stage_started[0] = now

            summary = generate(path, size=size, seed=args.seed, today=BENCH_TODAY, progress=progress)
            print(summary.line())
        seconds = time.perf_counter() - started
        megabytes = path.stat().st_size / 2**20
        print(f"\n{size} (seed {args.seed}) {'cached' if cached else 'built'}: {path}")
        print(f"{'table':<24}{'rows':>12}")
        for name, count in table(path):
            if count:
                print(f"{name:<24}{count:>12,}")
        print(f"{'build seconds':<24}{'-' if cached else f'{seconds:.1f}':>12}")
        print(f"{'file MB':<24}{megabytes:>12,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
