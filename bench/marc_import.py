"""MARC import speed and catalogue search latency.

    .venv/bin/python -m bench.marc_import [--records 100000] [--flavour unimarc|marc21] [--runs 3]
                                          [--bibs 500000] [--samples 300] [--skip-search]

Import: a generated file of Chinese records (title, author, publisher, year, ISBN, CLC,
price, one copy each in 905/852) is imported into a fresh library, so every record costs
a Bib row, its trigram index entry and pinyin, an Item, and two outbox events. The import
runs as the app runs a large file: records read and mapped in a second process while
this one writes (its CPU is counted in "rec/s CPU" and shown as "reader CPU s"), then
again all in one process, as small files are. Printed beside it: bare pymarc parsing of
the same file (MARCReader, UTF-8), our reading alone, and our import as a fraction of
pymarc's parse rate. Target: ≥ 10,000 records/s (wall, with the second core free).

Search: ``bench.datasets.dataset("county")`` when that module exists (500k bibs), else a
file of ``--bibs`` generated bibs (with copies on shelf, on loan and in transit) made once
under the system temp folder. p50/p95 per kind of query. Target: p95 ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from countylib.clock import FixedClock
from countylib.marc import MAPPED_TAGS, BibFields, CopyOut, build_record, map_record, read_marc

# The library's modules are imported inside the functions: a parallel import's reading
# process starts by importing this module (multiprocessing's spawn re-imports __main__),
# and the app's own entry point imports little at the top, so neither should this.

CLOCK = FixedClock()
WORDS = (
    "中国 历史 文化 经济 发展 报告 研究 社会 科学 技术 教育 文学 艺术 哲学 思想 理论 实践 管理 方法 "
    "城市 乡村 农业 工业 生态 环境 法律 制度 政治 改革 开放 现代 传统 民族 地方 县域 图书馆 阅读 儿童 "
    "故事 小说 散文 诗歌 选集 全集 读本 教程 指南 手册 词典 概论 原理 基础 应用 数据 计算机 网络 "
    "健康 医学 养生 烹饪 旅游 地理 自然 动物 植物 天文 数学 物理 化学 生物 音乐 美术 书法 电影 "
    "红楼梦 三国演义 水浒传 西游记 长江 黄河 重庆 银行 行长 音乐家 朝阳 长城 故宫 丝绸之路"
).split()
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红建文辉力斌宇浩凯婷雪琳晨欣怡轩涵诺然"
PUBLISHERS = ("人民文学出版社", "中华书局", "商务印书馆", "科学出版社", "高等教育出版社", "作家出版社", "江苏人民出版社")
# Two-character words a reader may well ask for that the generated catalogue does not hold.
NOT_HELD = ("鲁迅", "茅盾", "巴金", "老舍", "冰心", "莫言", "余华", "路遥", "围城", "边城", "呐喊", "骆驼", "平凡", "活着")
SHORT = ("two characters", "two characters, not held", "one character", "two initials")
CLASSES = ("I247.5", "I267", "K20", "F124", "G250.76", "TP311.1", "D668", "R161", "J292", "O13", "S5", "X321")


def _isbn13(rng: random.Random) -> str:
    body = "9787" + "".join(rng.choice("0123456789") for _ in range(8))
    check = (10 - sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body)) % 10) % 10
    return body + str(check)


def fake_bib(rng: random.Random, n: int) -> BibFields:
    title = "".join(rng.choice(WORDS) for _ in range(rng.randint(2, 4)))
    author = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    clc = rng.choice(CLASSES)
    return BibFields(
        control_number=f"CN{n:09d}",
        title=title,
        author=author,
        publisher=rng.choice(PUBLISHERS),
        year=str(rng.randint(1980, 2026)),
        isbn=_isbn13(rng),
        clc_class=clc,
        call_number=f"{clc}/{rng.randint(1, 999)}",
        price_cents=rng.randint(800, 12000),
    )


def generate_file(path: Path, records: int, flavour: str, seed: int = 5) -> Path:
    """``records`` records in ISO 2709 UTF-8, one copy each; made once, then reused."""
    if path.exists():
        return path
    rng = random.Random(seed)
    with open(path.with_suffix(".part"), "wb") as out:
        for n in range(1, records + 1):
            bib = fake_bib(rng, n)
            copy = CopyOut(f"B{n:010d}", bib.call_number, "HX01", bib.price_cents)
            out.write(build_record(bib, flavour, library_code="HX01", stamp="20261121100000", copies=[copy]).raw)
    path.with_suffix(".part").rename(path)
    return path


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>12,.0f}"


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class _Timer:
    """Wall-clock and CPU seconds of a block: on a shared machine the CPU time is the
    steadier number (other processes take the wall clock, not our CPU seconds). CPU
    counts the reading process of a parallel import too (it has ended by then)."""

    def __enter__(self) -> _Timer:
        self.wall, self.cpu, self.children = time.perf_counter(), time.process_time(), _children_cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.children = _children_cpu() - self.children
        self.cpu = time.process_time() - self.cpu + self.children


def _peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_import(records: int, flavour: str, runs: int) -> None:
    import os
    import warnings

    from pymarc import MARCReader

    from countylib.library import initialize_library, open_db
    from countylib.marc_import import import_marc_file
    from countylib.pinyin import pinyin_text
    from models import Bib, Item, Outbox, db

    folder = Path(tempfile.gettempdir()) / "countylib-bench"
    folder.mkdir(exist_ok=True)
    marc_file = generate_file(folder / f"marc-{flavour}-{records}.mrc", records, flavour)
    size_mb = marc_file.stat().st_size / 2**20
    pinyin_text("预热", "")  # the pinyin tables load once per process; not part of any rate

    warnings.simplefilter("ignore")
    with _Timer() as bare:
        with open(marc_file, "rb") as fh:
            parsed = sum(1 for r in MARCReader(fh, to_unicode=True, force_utf8=True) if r is not None)
    with _Timer() as ours:
        mapped = sum(1 for r in read_marc(marc_file, tags=MAPPED_TAGS) if map_record(r).title)

    def fresh_library(path: Path):
        return initialize_library(
            open_db(path), library_name="某某县图书馆", branch_code="HX01", branch_name="城关分馆",
            admin_user="admin", password="admin123", clock=CLOCK,
        )

    with tempfile.TemporaryDirectory() as tmp:
        imports: list[_Timer] = []
        rss_before = _peak_rss_mib()
        for run in range(runs):
            ctx = fresh_library(Path(tmp) / f"import-{run}.db")
            with _Timer() as first_t:
                first = import_marc_file(ctx, marc_file, parallel=True)
            rss_after = _peak_rss_mib()
            imports.append(first_t)
            assert first.added == records
            if run < runs - 1:
                db.close()
        with _Timer() as again_t:
            again = import_marc_file(ctx, marc_file, parallel=True)
        bibs, items, events = Bib.select().count(), Item.select().count(), Outbox.select().count()
        db.close()
        serial_ctx = fresh_library(Path(tmp) / "serial.db")
        with _Timer() as serial_t:
            serial = import_marc_file(serial_ctx, marc_file, parallel=False)
        db.close()

    assert parsed == mapped == records == serial.added and again.unchanged == records
    median = sorted(imports, key=lambda t: t.wall)[len(imports) // 2]
    best = min(imports, key=lambda t: t.wall)
    load = os.getloadavg()[0]
    print(f"\nMARC import: {records:,} {flavour} records, {size_mb:.1f} MiB, one copy each "
          f"(2 cores, load average {load:.1f} while measuring)")
    print(f"{'what':<48}{'wall s':>8}{'rec/s wall':>12}{'rec/s CPU':>11}{'reader CPU s':>14}")
    rows = [("pymarc MARCReader, parse only", bare), ("countylib read_marc + field maps", ours)]
    rows += [(f"import, run {n} (Bib+FTS+pinyin, Item, 2 events)", t) for n, t in enumerate(imports, 1)]
    rows += [("re-import, nothing changes", again_t), ("import, all in one process", serial_t)]
    for label, t in rows:
        reader = f"{t.children:>14.2f}" if t.children else ""
        print(f"{label:<48}{t.wall:>8.2f}{_rate(records, t.wall)}{_rate(records, t.cpu):>11}{reader}")
    print(f"import, median / best of {runs}: {records / median.wall:,.0f} / {records / best.wall:,.0f} records/s "
          f"(a shared 2-core machine varies by a fifth from run to run)")
    print(f"import rate / pymarc parse rate: {bare.wall / median.wall:.2f} wall (median); "
          f"in one process {bare.wall / serial_t.wall:.2f} wall, {bare.cpu / serial_t.cpu:.2f} CPU")
    print(f"peak RSS before the first import / after the last: {rss_before:.0f} / {rss_after:.0f} MiB "
          f"(file {size_mb:.0f} MiB; reading streams, so this stays flat)")
    print(f"rows: {bibs:,} bibs, {items:,} items, {events:,} events; target ≥ 10,000 records/s")


# -- search ----------------------------------------------------------------------------------


def _own_search_db(path: Path, bibs: int, seed: int = 11) -> Path:
    """``bibs`` bibs, 1.5 copies each: 80% on shelf, 15% on loan, 5% in transit."""
    from countylib.library import initialize_library, open_db
    from countylib.pinyin import pinyin_text
    from models import Location
    from models.ids import new_id

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
    other = Location.create(branch=ctx.branch, code="HX01-RP1", name="幸福村阅读点", kind="reading_point")
    places = (Location.get(Location.code == "HX01").id, other.id)
    now = str(CLOCK.utcnow())
    conn = database.connection()
    for start in range(1, bibs + 1, 20_000):
        bib_rows, item_rows = [], []
        for n in range(start, min(start + 20_000, bibs + 1)):
            b = fake_bib(rng, n)
            bib_id = new_id()
            bib_rows.append((bib_id, b.control_number, b.title, b.author, b.publisher, b.year, b.isbn, b.clc_class,
                             b.call_number, b.price_cents, "unimarc", pinyin_text(b.title, b.author), now, now))
            for c in range(rng.choice((1, 1, 2))):
                status = rng.choices(("available", "on_loan", "in_transit"), (80, 15, 5))[0]
                place = rng.choice(places)
                item_rows.append((new_id(), f"S{n:09d}{c}", bib_id, place, place, status, "book", b.call_number,
                                  b.price_cents, "purchase", now, now))
        with database.atomic():
            conn.executemany(
                "INSERT INTO bib (id, control_number, title, author, publisher, year, isbn, clc_class, call_number, "
                "price_cents, marc_format, pinyin, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                bib_rows,
            )
            conn.executemany(
                "INSERT INTO item (id, barcode, bib_id, home_location_id, current_location_id, status, item_type, "
                "call_number, price_cents, source, accessioned_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                item_rows,
            )
    database.execute_sql("ANALYZE")
    database.close()
    building.rename(path)
    return path


def _search_db(bibs: int) -> Path:
    try:
        from bench.datasets import dataset  # another bench's county set, when present
    except ImportError:
        folder = Path(tempfile.gettempdir()) / "countylib-bench"
        folder.mkdir(exist_ok=True)
        return _own_search_db(folder / f"catalogue-{bibs}.db", bibs)
    return Path(dataset("county"))


def bench_search(bibs: int, samples: int) -> None:
    from countylib.library import make_context, open_db
    from countylib.search import search_catalogue
    from models import Bib, db

    path = _search_db(bibs)
    database = open_db(path)
    make_context(database, CLOCK)
    total = Bib.select().count()
    rng = random.Random(3)
    rowids = sorted({rng.randint(1, total) for _ in range(samples)})
    marks = ", ".join("?" * len(rowids))
    sample = database.execute_sql(
        f"SELECT title, author, isbn, call_number, pinyin FROM bib WHERE rowid IN ({marks}) AND pinyin != '' AND isbn != ''",
        rowids,
    ).fetchall()

    def part(text: str, size: int) -> str:
        at = rng.randrange(max(len(text) - size, 0) + 1)
        return text[at : at + size]

    def isbn10(isbn13: str) -> str:
        from stdnum import isbn

        return isbn.format(isbn.to_isbn10(isbn13))

    kinds: dict[str, Callable[[tuple], str]] = {
        "title substring (3-4 chars)": lambda r: part(r[0], rng.choice((3, 4))),
        "author": lambda r: r[1],
        "pinyin, full": lambda r: r[4].split()[0][: rng.choice((6, 9, 12))],
        "pinyin, initials": lambda r: r[4].split()[1][:3],
        "ISBN-13": lambda r: r[2],
        "ISBN-10, hyphenated": lambda r: isbn10(r[2]),
        "call number": lambda r: r[3],
        "two characters": lambda r: part(r[0], 2),
        "two characters, not held": lambda r: rng.choice(NOT_HELD),
        "one character": lambda r: part(r[0], 1),
        "two initials": lambda r: r[4].split()[1][:2],
    }
    search_catalogue("红楼")  # load the pinyin tables once, as the app's first short search does
    print(f"\nCatalogue search over {total:,} bibs ({path.name}), {len(sample)} queries per kind, 20 results a page")
    print(f"{'kind':<30}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'hits/q':>8}")
    everything: list[float] = []
    short: list[float] = []
    for kind, make in kinds.items():
        times, hits = [], 0
        for row in sample:
            query = make(row)
            started = time.perf_counter()
            page = search_catalogue(query, limit=20)
            times.append((time.perf_counter() - started) * 1000)
            hits += len(page.hits)
        times.sort()
        everything += times
        if kind in SHORT:
            short += times
        p95 = times[int(len(times) * 0.95) - 1]
        print(f"{kind:<30}{statistics.median(times):>9.1f}{p95:>9.1f}{times[-1]:>9.1f}{hits / len(sample):>8.1f}")
    for label, times in (("one or two characters", short), ("every kind", everything)):
        times.sort()
        print(f"{label:<30}{statistics.median(times):>9.1f}{times[int(len(times) * 0.95) - 1]:>9.1f}{times[-1]:>9.1f}"
              + ("   target p95 ≤ 50 ms" if times is everything else ""))
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--flavour", choices=("unimarc", "marc21"), default="unimarc")
    parser.add_argument("--bibs", type=int, default=500_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3, help="imports into fresh databases (median and best shown)")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-search", action="store_true")
    args = parser.parse_args()
    if not args.skip_import:
        bench_import(args.records, args.flavour, args.runs)
    if not args.skip_search:
        bench_search(args.bibs, args.samples)


if __name__ == "__main__":
    main()
