"""Call numbers: blocks of running numbers, allocation under concurrency, author numbers,
shelf order."""

from __future__ import annotations

import multiprocessing
import threading

import pytest

from countylib.callnumbers import (
    allocate_running_number,
    assign_call_number,
    author_number,
    block_usage,
    call_number_sort_key,
    reserve_block,
    split_call_number,
)
from countylib.errors import PermissionDenied, RuleViolation, ValidationError
from countylib.library import make_context, open_db
from countylib.settings import change_setting
from models import Bib, Branch, Outbox
from models.base import db
from models.callnumbers import CallNumberBlock


def test_numbers_count_up_inside_the_block(library):
    reserve_block(library, "I", 101, 103)
    assert [allocate_running_number(library, "I247.5") for _ in range(3)] == [101, 102, 103]
    # Each class counts on its own inside a prefix block.
    assert allocate_running_number(library, "I246") == 101
    event = Outbox.select().where(Outbox.type == "callnumber.block_reserved").get()
    assert event.payload["block"]["class_prefix"] == "I"
    assert event.payload["block"]["branch"] == "HX01"


def test_most_specific_block_first_then_the_general_one(library):
    reserve_block(library, "", 1, 2)
    reserve_block(library, "I247.5", 500, 500)
    assert allocate_running_number(library, "I247.5") == 500
    assert allocate_running_number(library, "I247.5") == 1
    assert allocate_running_number(library, "K825") == 1


def test_exhausted_block_says_what_to_do(library):
    reserve_block(library, "I247.5", 1, 2)
    allocate_running_number(library, "I247.5")
    allocate_running_number(library, "I247.5")
    with pytest.raises(RuleViolation) as info:
        allocate_running_number(library, "I247.5")
    assert info.value.message == (
        "The call numbers for class I247.5 are used up at this branch (blocks 1–2). "
        "Ask the central library for a new block."
    )


def test_no_block_for_the_class(library):
    reserve_block(library, "K", 1, 9)
    with pytest.raises(RuleViolation) as info:
        allocate_running_number(library, "I247.5")
    assert "holds no block of call numbers for class I247.5" in info.value.message


def test_numbers_already_on_records_are_skipped(library):
    reserve_block(library, "", 1, 10)
    Bib.create(title="红楼梦", clc_class="I242.47", call_number="I242.47/1")
    assert allocate_running_number(library, "I242.47") == 2


def test_overlapping_blocks_for_related_classes_are_refused(library):
    reserve_block(library, "I", 1, 100)
    other = Branch.create(code="HX02", name="东关分馆")
    CallNumberBlock.create(branch=other, class_prefix="I247", first_number=200, last_number=300)
    with pytest.raises(RuleViolation) as info:
        reserve_block(library, "I247.5", 250, 260)
    assert "branch HX02" in info.value.message
    with pytest.raises(RuleViolation):
        reserve_block(library, "", 50, 60)
    # Unrelated classes may reuse the same numbers: I247.5/1 and K825/1 are different call numbers.
    reserve_block(library, "K", 1, 100)
    with pytest.raises(ValidationError):
        reserve_block(library, "I", 10, 5)
    with pytest.raises(ValidationError):
        reserve_block(library, "L1", 1000, 1005)


def test_only_admins_reserve_blocks(as_role):
    with pytest.raises(PermissionDenied):
        reserve_block(as_role("librarian"), "I", 1, 10)


def test_block_usage(library):
    block = reserve_block(library, "I", 1, 100)
    allocate_running_number(library, "I247.5")
    allocate_running_number(library, "I246")
    assert block_usage(library.branch) == [(CallNumberBlock.get_by_id(block.id), 2)]


def test_two_threads_on_one_file_never_share_a_number(library):
    reserve_block(library, "", 1, 1000)
    results: dict[str, list[int]] = {}
    errors: list[Exception] = []

    def desk(name: str) -> None:
        try:
            with db.connection_context():  # each thread: its own SQLite connection
                results[name] = [allocate_running_number(library, "I247.5") for _ in range(60)]
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=desk, args=(name,)) for name in ("front", "back")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    everything = results["front"] + results["back"]
    assert sorted(everything) == list(range(1, 121))


def _allocate_in_process(path: str, count: int) -> list[int]:
    database = open_db(path)
    try:
        ctx = make_context(database)
        return [allocate_running_number(ctx, "TP311.1") for _ in range(count)]
    finally:
        database.close()


def test_two_processes_on_one_file_never_share_a_number(library, db_path):
    reserve_block(library, "TP", 1, 1000)
    db.close()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        first, second = pool.starmap(_allocate_in_process, [(str(db_path), 40), (str(db_path), 40)])
    db.connect(reuse_if_open=True)
    assert not set(first) & set(second)
    assert sorted(first + second) == list(range(1, 81))


def test_running_scheme_by_default(library):
    reserve_block(library, "", 1, 99)
    assert assign_call_number(library, "i2475", "曹雪芹") == "I247.5/1"


def test_author_scheme(library):
    change_setting(library, "call_number_scheme", "author")
    assert assign_call_number(library, "I242.47", "（清）曹雪芹 著") == "I242.47/CXQ"
    Bib.create(title="红楼梦", clc_class="I242.47", call_number="I242.47/CXQ")
    assert assign_call_number(library, "I242.47", "曹雪芹") == "I242.47/CXQ-2"
    with pytest.raises(ValidationError):
        assign_call_number(library, "I242.47", "", title="无名")


def test_author_numbers():
    assert author_number("马伯庸 著") == "MBY"
    assert author_number("余华，苏童") == "YH"
    assert author_number("[美] 海明威") == "HMW"
    assert author_number("Mark Twain") == "MT"
    assert author_number("") == ""


def test_split():
    assert split_call_number("I247.5/12") == ("I247.5", "12")
    assert split_call_number("TP311.1-43/CXQ-2") == ("TP311.1-43", "CXQ-2")
    assert split_call_number("I247.5") == ("I247.5", "")


def test_shelf_order():
    shelf = [
        "A81/1",
        "I247.5",
        "I247.5/12",
        "I247.5/100",
        "I247.5-53/2",
        "I247.51/1",
        "I247.57/3",
        "I248/1",
        "I712(07)/3",
        "K250.6=49/1",
        "T/1",
        "TB1/1",
        "TP3/9",
        "TP311.1/5",
        "TP311.1/40",
        "TP311.13/1",
        "Z228/2",
        "not a call number",
    ]
    shuffled = list(reversed(shelf))
    assert sorted(shuffled, key=call_number_sort_key) == shelf
    # Author numbers: letters, then the distinguishing number numerically.
    assert sorted(["I247.5/CXQ-10", "I247.5/CXQ-2", "I247.5/CXQ"], key=call_number_sort_key) == [
        "I247.5/CXQ",
        "I247.5/CXQ-2",
        "I247.5/CXQ-10",
    ]
