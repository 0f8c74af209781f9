"""Cataloguing by hand and donation printouts: how fast they go on this machine.

    python bench/cataloguing.py [--records 500]

Prints one table: call-number allocation (one desk, then two desks in threads on one
file), brief records with one copy each (MARC21 built, pinyin, events), a donation line
accessioned, and the PDFs (labels per sheet, a certificate).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from countylib.callnumbers import allocate_running_number, reserve_block  # noqa: E402
from countylib.cataloguing import create_brief_record  # noqa: E402
from countylib.clock import FixedClock  # noqa: E402
from countylib.donations import accession_line, add_book, receive_donation, register_donor  # noqa: E402
from countylib.library import initialize_library, open_db  # noqa: E402
from models.base import db  # noqa: E402
from printing.certificates import Certificate, CertificateBook, render_certificate  # noqa: E402
from printing.labels import TEMPLATES, BarcodeLabel, LabelPrint, SpineLabel, render_labels  # noqa: E402


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def row(name: str, times: list[float], unit: str = "call") -> tuple[str, str, str, str]:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return (name, f"{statistics.median(times):.2f}", f"{p95:.2f}", f"{1000 / statistics.mean(times):,.0f} {unit}/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=500)
    args = parser.parse_args()
    n = args.records
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        ctx = initialize_library(
            open_db(path), library_name="某某县图书馆", branch_code="HX01", branch_name="城关分馆",
            admin_user="admin", password="admin123", clock=FixedClock(),
        )
        reserve_block(ctx, "", 1, 1_000_000)
        rows.append(row("allocate 种次号 (one desk)", timed(lambda: allocate_running_number(ctx, "I247.5"), n)))

        per_thread: dict[str, list[float]] = {}

        def desk(name: str) -> None:
            with db.connection_context():
                per_thread[name] = timed(lambda: allocate_running_number(ctx, "TP311.1"), n)

        threads = [threading.Thread(target=desk, args=(k,)) for k in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rows.append(row("allocate 种次号 (two desks, threads)", per_thread["a"] + per_thread["b"]))

        counter = iter(range(10**9))
        rows.append(
            row(
                "brief record + 1 copy (MARC21, pinyin, 3 events)",
                timed(lambda: create_brief_record(ctx, title=f"长安的荔枝 第{next(counter)}版", author="马伯庸",
                                                  clc="I247.5", price="45"), n),
            )
        )
        donation = receive_donation(ctx, register_donor(ctx, "张三"))
        existing = create_brief_record(ctx, title="红楼梦", clc="I242.47", isbn="9787020002207").bib
        rows.append(
            row("donation line: scan + accession (record exists)",
                timed(lambda: accession_line(ctx, add_book(ctx, donation, existing.isbn)), n))
        )
        db.close()

    spines = [SpineLabel(f"I247.5/{k}", "某某县图书馆") for k in range(1, 241)]
    barcodes = [BarcodeLabel(f"HX01{k:08d}", "某某县图书馆", "长安的荔枝", "I247.5/12") for k in range(1, 241)]
    sheet = LabelPrint(TEMPLATES["a4-3x8"])
    rows.append(row("240 spine labels, A4 3×8 (10 pages)", timed(lambda: render_labels(spines, sheet, BytesIO()), 5), "PDF"))
    rows.append(row("240 barcode labels, A4 3×8", timed(lambda: render_labels(barcodes, sheet, BytesIO()), 5), "PDF"))
    books = [CertificateBook(f"捐赠书第{k}册", "某作者") for k in range(40)]
    certificate = Certificate("某某县图书馆", "张三", FixedClock().today(), books, "HX01-1")
    rows.append(row("certificate, 40 books", timed(lambda: render_certificate(certificate, BytesIO()), 5), "PDF"))

    widths = [max(len(r[i]) for r in rows + [("what", "p50 ms", "p95 ms", "rate")]) for i in range(4)]
    header = ("what", "p50 ms", "p95 ms", "rate")
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


if __name__ == "__main__":
    main()
