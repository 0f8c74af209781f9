"""Hybrid logical clock.

A stamp packs wall-clock milliseconds (48 bits) and a logical counter (16 bits) into one
integer, so stamps compare as plain integers and sort in SQL. ``tick`` is called for every
local event, ``merge`` for every stamp received from the hub; together they keep causal
order across devices even when a laptop's clock is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

COUNTER_BITS = 16
COUNTER_MAX = (1 << COUNTER_BITS) - 1
# A remote stamp this far ahead of our wall clock is refused: one bad clock must not drag
# every device's clock into the future (SYNC.md, Clocks).
MAX_FORWARD_DRIFT_MS = 6 * 60 * 60 * 1000


def pack(wall_ms: int, counter: int) -> int:
    return (wall_ms << COUNTER_BITS) | counter


def unpack(stamp: int) -> tuple[int, int]:
    return stamp >> COUNTER_BITS, stamp & COUNTER_MAX


class ClockDriftError(ValueError):
    """A received stamp is too far in the future to be trusted."""


@dataclass
class HybridClock:
    last: int = 0

    def tick(self, now_ms: int) -> int:
        wall, counter = unpack(self.last)
        if now_ms > wall:
            self.last = pack(now_ms, 0)
        else:
            self.last = self._bump(wall, counter)
        return self.last

    def merge(self, remote: int, now_ms: int) -> int:
        r_wall, r_counter = unpack(remote)
        if r_wall - now_ms > MAX_FORWARD_DRIFT_MS:
            raise ClockDriftError(f"remote clock is {(r_wall - now_ms) / 3_600_000:.1f} h ahead")
        l_wall, l_counter = unpack(self.last)
        wall = max(l_wall, r_wall, now_ms)
        if wall == l_wall == r_wall:
            counter = max(l_counter, r_counter) + 1
        elif wall == l_wall:
            counter = l_counter + 1
        elif wall == r_wall:
            counter = r_counter + 1
        else:
            counter = 0
        if counter > COUNTER_MAX:
            wall, counter = wall + 1, 0
        self.last = pack(wall, counter)
        return self.last

    def ticks(self, now_ms: int, count: int) -> range:
        """``count`` ticks at one wall time (a batch of events). After the first, each tick
        adds one to the packed stamp: the counter, or at its limit the next millisecond."""
        first = self.tick(now_ms)
        self.last = first + count - 1
        return range(first, first + count)

    @staticmethod
    def _bump(wall: int, counter: int) -> int:
        if counter >= COUNTER_MAX:
            return pack(wall + 1, 0)
        return pack(wall, counter + 1)
