"""Backup, restore and check times on the benchmark datasets (default: county, ≈4.9 GB).

Works on a copy of the cached dataset in a scratch folder (the cache is shared and stays
untouched); needs about three times the dataset's size free on that disk.

    .venv/bin/python bench/backup.py [county branch ...] [--scratch DIR] [--full-check]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.datasets import dataset  # noqa: E402
from countylib.backup import restore_backup, take_backup  # noqa: E402
from countylib.integrity import check  # noqa: E402
from countylib.library import open_db  # noqa: E402


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def run(size: str, scratch: Path, full_check: bool) -> list[tuple[str, str, float, str]]:
    source = dataset(size)
    work = scratch / f"{size}.db"
    shutil.copyfile(source, work)
    gb = work.stat().st_size / 1e9
    rows = []
    open_db(work).close()  # as the app leaves it: migrated, WAL checkpointed
    backup, seconds = timed(take_backup, work, scratch / "backups", verify=False)
    rows.append(("backup (online backup API)", seconds, f"{gb / seconds:.2f} GB/s"))
    backup.path.unlink()
    backup, seconds = timed(take_backup, work, scratch / "backups")
    rows.append(("backup + quick_check of the copy (default)", seconds, f"{gb / seconds:.2f} GB/s"))
    result, seconds = timed(restore_backup, work, backup.path)
    rows.append(("restore (copy, quick_check, merge, swap)", seconds, f"{result.pending} unsent kept"))
    result.aside.unlink()
    database = open_db(work)
    report, seconds = timed(check, database, quick=True)
    rows.append(("check --quick", seconds, "ok" if report.ok else report.line()))
    if full_check:
        report, seconds = timed(check, database)
        rows.append(("check (full integrity_check)", seconds, "ok" if report.ok else report.line()))
    database.close()
    label = f"{size} {gb:.1f}GB"
    return [(label if i == 0 else "", name, s, note) for i, (name, s, note) in enumerate(rows)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", default=["county"])
    parser.add_argument("--scratch", type=Path, help="folder for the working copies (default: a temp folder)")
    parser.add_argument("--full-check", action="store_true", help="also time the full integrity_check")
    args = parser.parse_args(argv)
    print(f"{'dataset':<14} {'operation':<46} {'seconds':>9}  note")
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="countylib-bench-backup-", dir=args.scratch) as scratch:
            for name, op, seconds, note in run(size, Path(scratch), args.full_check):
                print(f"{name:<14} {op:<46} {seconds:>9.1f}  {note}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
