"""Time-ordered UUIDs (RFC 9562 version 7) minted at the edge, so branches never collide."""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> uuid.UUID:
    """A UUIDv7: 48-bit Unix milliseconds, then a 12-bit counter that keeps one process's
    ids strictly increasing within a millisecond, then 62 random bits."""
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            _counter += 1
            if _counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                _last_ms += 1
                _counter = 0
            ms = _last_ms
        else:
            _last_ms = ms
            _counter = 0
        counter = _counter
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= rand
    return uuid.UUID(int=value)


def new_id() -> str:
    """A new primary key as canonical text (what every synced table stores)."""
    return str(uuid7())


# Bits 64-79 of a UUIDv7 (version 7, then the counter) as hex, by counter.
_VERSION_COUNTER = [f"7{counter:03x}" for counter in range(0x1000)]
# Byte 8 with the variant bits (0b10) set over a random byte.
_VARIANT = bytes(0x80 | (b & 0x3F) for b in range(256))


def new_ids(count: int) -> list[str]:
    """``count`` new primary keys at once (bulk imports): the same UUIDv7s as ``new_id``,
    strictly increasing, but the random bits drawn in one call and the text built from hex
    pieces, a fifth of the cost per id."""
    global _last_ms, _counter
    if count <= 0:
        return []
    with _lock:
        ms = max(time.time_ns() // 1_000_000, _last_ms)
        counter = _counter + 1 if ms == _last_ms else 0
        stamps = []  # (milliseconds, first counter, how many)
        left = count
        while left:
            if counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                ms, counter = ms + 1, 0
            take = min(left, 0x1000 - counter)
            stamps.append((ms, counter, take))
            counter += take
            left -= take
        _last_ms, _counter = ms, counter - 1
    random = bytearray(os.urandom(8 * count))
    random[0::8] = random[0::8].translate(_VARIANT)
    rand = random.hex()
    ids = []
    at = 0
    for ms, first, take in stamps:
        stamp = f"{ms & ((1 << 48) - 1):012x}"
        head = f"{stamp[:8]}-{stamp[8:]}-"
        for counter in range(first, first + take):
            ids.append(f"{head}{_VERSION_COUNTER[counter]}-{rand[at : at + 4]}-{rand[at + 4 : at + 16]}")
            at += 16
    return ids
