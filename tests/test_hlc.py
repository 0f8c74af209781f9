from hypothesis import given
from hypothesis import strategies as st

import pytest

from sync.hlc import COUNTER_MAX, ClockDriftError, HybridClock, pack, unpack


def test_tick_follows_the_wall_clock():
    clock = HybridClock()
    assert unpack(clock.tick(1000)) == (1000, 0)
    assert unpack(clock.tick(1000)) == (1000, 1)
    assert unpack(clock.tick(2000)) == (2000, 0)


def test_merge_moves_past_a_remote_stamp():
    clock = HybridClock(pack(1000, 3))
    merged = clock.merge(pack(5000, 7), now_ms=2000)
    assert unpack(merged) == (5000, 8)


def test_far_future_remote_stamp_is_refused():
    clock = HybridClock(pack(1000, 0))
    with pytest.raises(ClockDriftError):
        clock.merge(pack(1000 + 7 * 3600 * 1000, 0), now_ms=1000)


def test_counter_overflow_borrows_the_next_millisecond():
    clock = HybridClock(pack(1000, COUNTER_MAX))
    assert unpack(clock.tick(900)) == (1001, 0)


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 10**6), st.integers(0, 10**6)), max_size=60))
def test_stamps_only_ever_increase(steps):
    clock = HybridClock()
    last = 0
    for is_merge, now, remote in steps:
        stamp = clock.merge(pack(remote, 0), now) if is_merge and remote - now < 10**5 else clock.tick(now)
        assert stamp > last
        last = stamp


@pytest.mark.parametrize("counter", [0, 7, COUNTER_MAX - 2])
def test_a_batch_of_ticks_is_the_same_as_ticking_one_by_one(counter):
    one_by_one, batch = HybridClock(pack(1_000, counter)), HybridClock(pack(1_000, counter))
    expected = [one_by_one.tick(1_000) for _ in range(5)]
    assert list(batch.ticks(1_000, 5)) == expected and batch.last == one_by_one.last
    later = HybridClock(pack(1_000, counter))
    assert list(later.ticks(2_000, 3)) == [pack(2_000, 0), pack(2_000, 1), pack(2_000, 2)]
