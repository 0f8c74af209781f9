"""Events are written with their change or not at all, in a gapless sequence."""

from __future__ import annotations

import pytest

from countylib.context import service
from countylib.errors import RuleViolation
from countylib.roles import LIBRARIAN
from models import Branch, Outbox, SyncState, db
from sync.hlc import unpack
from sync.outbox import OutboxMisuse, record_event


@service(LIBRARIAN)
def rename_branch(ctx, name: str, *, fail_after_event: bool = False) -> None:
    Branch.update(name=name).where(Branch.id == ctx.branch.id).execute()
    ctx.record("branch.renamed", {"branch_id": ctx.branch.id, "name": name})
    if fail_after_event:
        raise RuleViolation("The rule refused it after the event was written.")


def _events():
    return list(Outbox.select().order_by(Outbox.seq))


def test_event_is_written_with_the_change(library):
    rename_branch(library, "新城分馆")
    assert Branch.get_by_id(library.branch.id).name == "新城分馆"
    last = _events()[-1]
    assert (last.type, last.payload["name"], last.branch) == ("branch.renamed", "新城分馆", "HX01")
    assert last.device_id == SyncState.get_by_id(1).device_id


def test_failing_service_leaves_neither_change_nor_event(library):
    before = _events()
    with pytest.raises(RuleViolation):
        rename_branch(library, "不该留下", fail_after_event=True)
    assert Branch.get_by_id(library.branch.id).name == "城关分馆"
    assert _events() == before
    assert SyncState.get_by_id(1).next_seq == len(before) + 1


def test_sequence_stays_gapless_across_failures(library):
    rename_branch(library, "一")
    with pytest.raises(RuleViolation):
        rename_branch(library, "二", fail_after_event=True)
    rename_branch(library, "三")
    seqs = [e.seq for e in _events()]
    assert seqs == list(range(1, len(seqs) + 1))


def test_hybrid_clock_orders_events_even_when_the_wall_clock_goes_back(library, clock):
    rename_branch(library, "一")
    clock.advance(hours=-2)  # the laptop's clock is set back
    rename_branch(library, "二")
    first, second = _events()[-2:]
    assert second.hlc > first.hlc
    assert unpack(second.hlc)[0] == unpack(first.hlc)[0]  # same wall part, counter moved on


def test_recording_outside_a_transaction_is_refused(library):
    with pytest.raises(OutboxMisuse):
        record_event("x.y", {}, branch="HX01", now=library.clock.now(), database=db)


def test_nested_service_failure_rolls_back_only_the_inner_call(library):
    @service(LIBRARIAN)
    def outer(ctx):
        rename_branch(ctx, "外层")
        with pytest.raises(RuleViolation):
            rename_branch(ctx, "内层", fail_after_event=True)

    outer(library)
    assert Branch.get_by_id(library.branch.id).name == "外层"
    assert [e.payload.get("name") for e in _events()][-1] == "外层"


def test_a_batch_of_events_keeps_the_sequence_and_clock(library):
    from countylib.context import service as as_service
    from countylib.roles import LIBRARIAN as ROLE

    @as_service(ROLE)
    def import_batch(ctx, n):
        ctx.record_many([("bib.upserted", {"n": i, "title": "红楼梦"}) for i in range(n)])

    import_batch(library, 3500)  # more than one statement's worth of parameters
    rename_branch(library, "之后")
    events = _events()
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(b.hlc > a.hlc for a, b in zip(events, events[1:]))
    assert events[-2].payload == {"n": 3499, "title": "红楼梦"}
