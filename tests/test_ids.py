"""Primary keys: UUIDv7 minted one at a time or a batch at a time."""

from __future__ import annotations

import uuid

import models.ids as ids


def test_batch_ids_are_uuid7_and_keep_increasing_with_single_ones():
    minted = [ids.new_id(), *ids.new_ids(5000), ids.new_id(), *ids.new_ids(3), ids.new_id()]
    assert len(minted) == 5006 and len(set(minted)) == len(minted)
    assert minted == sorted(minted)
    for text in minted:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (7, uuid.RFC_4122, text)
    assert ids.new_ids(0) == []


def test_a_batch_borrows_the_next_millisecond_when_the_counter_runs_out(monkeypatch):
    ahead = 2**44  # a millisecond far ahead of the wall clock, so the counter decides
    monkeypatch.setattr(ids, "_last_ms", ahead)
    monkeypatch.setattr(ids, "_counter", 0xFFE)
    batch = ids.new_ids(4)
    stamps = [(uuid.UUID(t).int >> 80, (uuid.UUID(t).int >> 64) & 0xFFF) for t in batch]
    assert stamps == [(ahead, 0xFFF), (ahead + 1, 0), (ahead + 1, 1), (ahead + 1, 2)]
    assert uuid.UUID(ids.new_id()).int >> 64 == ((ahead + 1) << 16) | (0x7 << 12) | 3
