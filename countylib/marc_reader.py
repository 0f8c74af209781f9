"""Records of a MARC file made ready for the import: read, checked and mapped to columns.

``prepared`` does it in this process. ``Reader`` does it in a second process and hands the
results over, so a large import reads and writes at once on two cores. This module
imports only the MARC reader, so that process starts quickly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from countylib.errors import ValidationError
from countylib.i18n import N_
from countylib.marc import (
    MAPPED_TAGS,
    BadRecord,
    BibFields,
    Holding,
    MAX_RECORD,
    RECORD_END,
    MarcRecord,
    Skipped,
    map_record,
    read_marc,
    record_kind_problem,
    sniff_xml,
)
from countylib.pinyin import load_tables, pinyin_text

WORKER_BATCH = 500  # records per hand-over from the reading process
HEAD_START = 1 << 20  # about 2,000 records: what the writing process reads itself while the other one starts
QUEUED_BATCHES = 8
# The catalogue columns in BibFields' order, as they travel.
COLUMNS = ("control_number", "title", "author", "publisher", "year", "isbn", "clc_class", "call_number", "price_cents")


# The record, its columns, and the pinyin of its title and author (None: spell it when writing).
Prepared = tuple[MarcRecord, BibFields, str | None]


def prepared(
    stream: BinaryIO, flavour: str, encoding: str, spell: Callable[[], bool] = lambda: True
) -> Iterator[Skipped | Prepared]:
    """Each record of the file mapped to catalogue columns, or why it cannot be imported.

    The pinyin is spelt here, while ``spell()`` says so, rather than when the record is
    written: in a parallel import this runs in the reading process, so the two share the work.
    """
    for entry in read_marc(stream, flavour=flavour, encoding=encoding, tags=MAPPED_TAGS):
        if isinstance(entry, Skipped):
            yield entry
            continue
        problem = record_kind_problem(entry)
        fields = map_record(entry) if problem is None else None
        if problem is None and not fields.title:
            problem = BadRecord(N_("The record has no title (MARC21 245 or UNIMARC 200)."))
        if problem is not None:
            yield Skipped(entry.position, entry.offset, entry.line, problem.msgid, tuple(problem.params.items()))
            continue
        yield entry, fields, pinyin_text(fields.title, fields.author) if spell() else None


def split_point(stream: BinaryIO) -> int:
    """Where the second process takes over: the end of the record that crosses
    ``HEAD_START``, or 0 (all of it) for MARCXML or a file without a record end there.

    Cutting just after a record terminator gives the records a reader of the whole file
    would see, since it splits the file on those terminators too.
    """
    at = stream.tell()
    try:
        if sniff_xml(stream.read(64)):
            return 0
        stream.seek(HEAD_START)
        end = stream.read(MAX_RECORD).find(RECORD_END)
        return HEAD_START + end + 1 if end >= 0 else 0
    finally:
        stream.seek(at)


class Reader:
    """``prepared`` run in a second process, handing over batches of records through a
    bounded queue, so reading and mapping (half an import's work) overlap with writing.

    The worker only reads the file, from byte ``start`` on (the records before it are
    this process's while the worker starts up); every write stays in this process, one
    transaction a batch as before. Records come back in file order, with their offsets in
    the file; their positions count from ``start``. The queue holds a few batches at most,
    so memory stays flat. The worker stops when told to, when the import leaves early, or
    when this process is gone.
    """

    def __init__(self, path: Path, flavour: str, encoding: str, start: int = 0) -> None:
        self.args = (str(path), flavour, encoding, start)
        self.bytes_done = 0

    def __enter__(self) -> Reader:
        # spawn, not fork: the app has threads (and a database connection) a fork would copy.
        context = multiprocessing.get_context("spawn")
        with _stderr_with_a_descriptor():
            self.queue = context.Queue(maxsize=QUEUED_BATCHES)
            self.worker = context.Process(
                target=_read_in_worker, args=(*self.args, self.queue, os.getpid()), daemon=True, name="marc-reader"
            )
            self.worker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.worker.is_alive():
            self.worker.terminate()
        self.worker.join()
        self.queue.close()
        self.queue.cancel_join_thread()

    def entries(self, records_before: int = 0) -> Iterator[Skipped | Prepared]:
        """The worker's records, numbered after the ``records_before`` read in this process."""
        while True:
            try:
                message = self.queue.get(timeout=1)
            except queue.Empty:
                if not self.worker.is_alive():
                    raise ValidationError(
                        "Reading {path} stopped unexpectedly; nothing after the batches already imported was changed.",
                        path=self.args[0],
                    ) from None
                continue
            kind, payload, self.bytes_done = message
            if kind == "failed":
                raise payload
            if kind == "end":
                return
            for entry in payload:
                if isinstance(entry, Skipped):
                    yield dataclasses.replace(entry, position=entry.position + records_before)
                else:
                    yield _from_wire(entry, records_before)


@contextlib.contextmanager
def _stderr_with_a_descriptor() -> Iterator[None]:
    """Give sys.stderr a real file descriptor while the worker starts.

    The first queue or process multiprocessing makes also starts its resource tracker,
    which it hands sys.stderr's descriptor. Inside the app sys.stderr is Textual's print capture,
    whose descriptor is -1, and the start fails ("bad value(s) in fds_to_keep"). The null
    device stands in: the tracker only writes there to warn about leaked semaphores.
    """
    try:
        usable = sys.stderr is not None and sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = False
    if usable:
        yield
        return
    saved = sys.stderr
    with open(os.devnull, "w", encoding="utf-8") as devnull:
        sys.stderr = devnull
        try:
            yield
        finally:
            sys.stderr = saved


# Records travel between the processes as plain tuples: pickling them is a sixth of the
# cost of pickling the dataclasses. Only what the import writes travels, not the fields.
_Wire = tuple[tuple[str, str, str, bytes, int, int, int], tuple, list[tuple[str, str, tuple[str, ...], int]], str]


def _to_wire(record: MarcRecord, fields: BibFields, pinyin: str | None, start: int) -> _Wire:
    return (
        (record.leader, record.flavour, record.encoding, record.raw, record.position, start + record.offset, record.line),
        tuple(getattr(fields, column) for column in COLUMNS),
        [(h.barcode, h.call_number, h.places, h.price_cents) for h in fields.holdings],
        pinyin,
    )


def _from_wire(wire: _Wire, records_before: int) -> Prepared:
    (leader, flavour, encoding, raw, position, offset, line), columns, holdings, pinyin = wire
    fields = BibFields(*columns, holdings=[Holding(*h) for h in holdings])
    return MarcRecord(leader, [], flavour, encoding, raw, records_before + position, offset, line), fields, pinyin


def _read_in_worker(path: str, flavour: str, encoding: str, start: int, out: multiprocessing.Queue, parent: int) -> None:
    def send(message: tuple) -> None:
        while True:
            try:
                out.put(message, timeout=1)
                return
            except queue.Full:
                if os.getppid() != parent:  # the import's process is gone: nobody will read this
                    raise SystemExit(1) from None

    # The pinyin tables take a twentieth of a second to load (a third the first time, when
    # they are built). The first records go to the writing process unspelt while they
    # load, so it has work from the start; it spells those.
    tables = threading.Event()
    threading.Thread(target=lambda: (load_tables(), tables.set()), daemon=True, name="pinyin-tables").start()
    try:
        with open(path, "rb") as stream:
            stream.seek(start)
            batch: list = []
            for entry in prepared(stream, flavour, encoding, tables.is_set):
                if isinstance(entry, Skipped):
                    batch.append(dataclasses.replace(entry, offset=start + entry.offset) if start else entry)
                else:
                    batch.append(_to_wire(*entry, start))
                if len(batch) >= WORKER_BATCH:
                    send(("batch", batch, stream.tell()))
                    batch = []
            send(("batch", batch, stream.tell()))
            send(("end", None, stream.tell()))
    except Exception as exc:  # handed to the import, which raises it as if it were read there
        send(("failed", exc, 0))
