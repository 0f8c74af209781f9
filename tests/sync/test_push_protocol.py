"""SYNC.md's named push/pull tests: nothing lost, nothing doubled, whatever the network does."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess

import requests

from models import Item, Outbox, Patron, SyncState
from models.base import db
from models.database import backup_to
from sync.client import load_token
from sync.codec import PROTOCOL_VERSION, envelope, gzip_json
from tests.sync import desk


def _hub_ids(hub) -> list[str]:
    return [e.id for e in hub.admin.events()]


def _outbox_ids() -> list[str]:
    return [e.id for e in Outbox.select().order_by(Outbox.epoch, Outbox.seq)]


def _unsent() -> int:
    return Outbox.select().where(Outbox.acked_at.is_null()).count()


def _some_events(ctx, n: int, prefix: str = "P") -> None:
    for i in range(n):
        desk.add_patron(ctx, f"{prefix}{i:04d}", f"读者{i}")


def _raw_push(branch, hub_url: str, events: list[dict], epoch: str | None = None) -> requests.Response:
    state = SyncState.get_by_id(1)
    body = {"protocol": PROTOCOL_VERSION, "device": state.device_id, "epoch": epoch or events[0]["epoch"],
            "events": events}
    return requests.post(hub_url + "/v1/sync/push", data=gzip_json(body), timeout=10,
                         headers={"Content-Encoding": "gzip", "Authorization": f"Bearer {load_token(state.device_id)}"})


def test_lost_ack_then_retry(hub, proxy, make_branch):
    a = make_branch("HXA")
    a.enroll(hub, proxy.url)
    with a.use() as ctx:
        _some_events(ctx, 5)
        proxy.plan("/v1/sync/push", "drop_response")
        summary = a.client().sync()
        assert _unsent() == 0
        ids = _outbox_ids()
    assert "drop_response /v1/sync/push" in proxy.applied
    # The first push was stored but its answer lost; the retry was answered with duplicates.
    assert summary.duplicates == len(ids)
    hub_ids = _hub_ids(hub)
    assert sorted(hub_ids) == sorted(ids) and len(set(hub_ids)) == len(hub_ids)


def test_duplicate_batch(hub, proxy, make_branch):
    a = make_branch("HXA")
    a.enroll(hub, proxy.url)
    with a.use() as ctx:
        _some_events(ctx, 4)
        proxy.plan("/v1/sync/push", "duplicate")
        a.client().sync()
        events = [envelope(e) for e in Outbox.select().order_by(Outbox.seq)]
        # And the very same batch sent once more by hand: every event answers duplicate.
        again = _raw_push(a, hub.url, events)
    assert again.status_code == 200
    assert {r["status"] for r in again.json()["results"]} == {"duplicate"}
    assert sorted(_hub_ids(hub)) == sorted(e["id"] for e in events)
    assert len(hub.admin.projection("patron")) == 4


def test_gap_in_sequence(hub, make_branch):
    a = make_branch("HXA")
    a.enroll(hub)
    with a.use() as ctx:
        _some_events(ctx, 2)
        a.client().sync()  # the hub holds the set-up events and these two
        _some_events(ctx, 4, prefix="Q")
        pending = list(Outbox.select().where(Outbox.acked_at.is_null()).order_by(Outbox.seq))
        # The hub refuses a batch that skips seqs, and stores none of it.
        refused = _raw_push(a, hub.url, [envelope(e) for e in pending[2:]])
        assert refused.status_code == 409
        assert refused.json()["error"] == "gap"
        assert refused.json()["next_expected_seq"] == pending[0].seq
        assert len(_hub_ids(hub)) == a.initial_events + 2
        # A client that wrongly believes two events were acknowledged resends from the hub's mark.
        Outbox.update(acked_at=dt.datetime(2026, 1, 1)).where(Outbox.id.in_([e.id for e in pending[:2]])).execute()
        a.client().sync()
        assert _unsent() == 0
        ids = _outbox_ids()
    assert sorted(_hub_ids(hub)) == sorted(ids)


def _restore(branch, backup) -> None:
    db.close()
    for suffix in ("-wal", "-shm"):
        branch.path.with_name(branch.path.name + suffix).unlink(missing_ok=True)
    shutil.copy(backup, branch.path)


def test_seq_reuse_after_branch_restore(hub, make_branch, tmp_path):
    a = make_branch("HXA")
    a.enroll(hub)
    backup = tmp_path / "a-backup.db"
    with a.use() as ctx:
        _some_events(ctx, 2)
        a.client().sync()
        backup_to(backup)
        _some_events(ctx, 2, prefix="LOST")  # pushed, then lost with the restore
        a.client().sync()
        old_epoch = SyncState.get_by_id(1).epoch
    _restore(a, backup)
    with a.use() as ctx:
        _some_events(ctx, 3, prefix="NEW")  # same seqs as the lost events, other content
        summary = a.client().sync()
        state = SyncState.get_by_id(1)
        assert state.epoch != old_epoch  # seq_reuse made the client take a new epoch
        assert _unsent() == 0
        # Nothing is lost: the hub's copy of the lost registrations comes back down.
        cards = {p.card_number for p in Patron.select()}
        assert {"LOST0000", "LOST0001", "NEW0000", "NEW0001", "NEW0002"} <= cards
    assert summary.pushed == 3
    hub_ids = _hub_ids(hub)
    assert len(hub_ids) == len(set(hub_ids)) == a.initial_events + 2 + 2 + 3


def test_restored_branch_resends_unsent_events_as_duplicates(hub, make_branch, tmp_path):
    a = make_branch("HXA")
    a.enroll(hub)
    backup = tmp_path / "a-backup.db"
    with a.use() as ctx:
        _some_events(ctx, 2)
        backup_to(backup)  # taken before these reached the hub
        a.client().sync()
    _restore(a, backup)
    with a.use() as ctx:
        _some_events(ctx, 1, prefix="AFTER")
        summary = a.client().sync()
        assert _unsent() == 0
    assert summary.duplicates == a.initial_events + 2 and summary.pushed == 1
    assert len(_hub_ids(hub)) == a.initial_events + 3


class HubBackup:
    """Back up and restore the hub's database the way an admin would (file copy / pg_dump)."""

    def __init__(self, hub, folder) -> None:
        self.hub = hub
        self.folder = folder

    def take(self) -> None:
        if self.hub.dsn.startswith("sqlite"):
            source = sqlite3.connect(self.hub.dsn.removeprefix("sqlite:///"))
            target = sqlite3.connect(self.folder / "hub-backup.db")
            source.backup(target)
            source.close()
            target.close()
        else:
            base, schema = self._pg()
            subprocess.run(["pg_dump", base, "-n", schema, "-f", str(self.folder / "hub.sql")], check=True)

    def restore(self) -> None:
        self.hub.process.kill()
        if self.hub.dsn.startswith("sqlite"):
            path = self.hub.dsn.removeprefix("sqlite:///")
            for suffix in ("-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.unlink(path + suffix)
            shutil.copy(self.folder / "hub-backup.db", path)
        else:
            from sync.hub.storage import hub_db

            hub_db.obj.close_all()
            base, schema = self._pg()
            subprocess.run(["psql", base, "-q", "-c", f"DROP SCHEMA {schema} CASCADE"], check=True)
            subprocess.run(["psql", base, "-q", "-f", str(self.folder / "hub.sql")], check=True, capture_output=True)
        from sync.hub.storage import new_epoch

        self.hub.admin.bind()
        new_epoch()
        self.hub.process.start()

    def _pg(self) -> tuple[str, str]:
        base, _, options = self.hub.dsn.partition("?options=-csearch_path%3D")
        return base, options


def test_hub_restore_epoch_change(hub, make_branch, tmp_path):
    a = make_branch("HXA")
    a.enroll(hub)
    with a.use() as ctx:
        _some_events(ctx, 2)
        a.client().sync()
    backup = HubBackup(hub, tmp_path)
    backup.take()
    with a.use() as ctx:
        _some_events(ctx, 2, prefix="AFTER")
        a.client().sync()  # acknowledged by the hub, then lost with its restore
    backup.restore()
    with a.use():
        summary = a.client().sync()
        ids = _outbox_ids()
        assert Patron.select().count() == 4
    assert summary.reset
    assert summary.pushed == 2  # the two the restored hub had lost
    assert sorted(_hub_ids(hub)) == sorted(ids)
    assert len(hub.admin.projection("patron")) == 4


def test_server_500_mid_batch(hub, proxy, make_branch):
    a = make_branch("HXA")
    a.enroll(hub, proxy.url)
    with a.use() as ctx:
        _some_events(ctx, 7)
        proxy.on("/v1/sync/push", lambda: proxy.plan("/v1/sync/push", "error_500_after"), nth=2)
        proxy.on("/v1/sync/push", lambda: proxy.plan("/v1/sync/push", "error_500_before"), nth=4)
        a.client(batch_events=2).sync()
        assert _unsent() == 0
        ids = _outbox_ids()
    assert any(x.startswith("error_500_after") for x in proxy.applied)
    assert any(x.startswith("error_500_before") for x in proxy.applied)
    hub_ids = _hub_ids(hub)
    assert sorted(hub_ids) == sorted(ids) and len(hub_ids) == len(set(hub_ids))


def test_connection_cut_mid_answer_and_dropped_requests(hub, proxy, make_branch):
    a = make_branch("HXA")
    b = make_branch("HXA", file="van.db")
    a.enroll(hub, proxy.url)
    b.enroll(hub, proxy.url)
    with a.use() as ctx:
        bib = desk.add_bib(ctx, "平凡的世界")
        for i in range(6):
            desk.add_item(ctx, bib, f"A{i:04d}")
        proxy.plan("/v1/sync/push", "drop_request")
        proxy.plan("/v1/sync/push", "cut_response")
        a.client(batch_events=3).sync()
    proxy.plan("/v1/sync/snapshot", "cut_response")
    proxy.plan("/v1/sync/pull", "drop_response")
    with b.use():
        b.client(pull_limit=2).sync()
        assert Item.select().count() == 6
    assert len(_hub_ids(hub)) == len(set(_hub_ids(hub)))


def test_partial_pull_then_crash_before_cursor_commit(hub, make_branch, monkeypatch):
    import pytest

    import sync.client as client_module

    a = make_branch("HXA")
    van = make_branch("HXA", file="van.db")
    a.enroll(hub)
    van.enroll(hub)
    van.sync()  # bootstrapped on an empty county
    with a.use() as ctx:
        bib = desk.add_bib(ctx, "活着")
        for i in range(10):
            desk.add_item(ctx, bib, f"A{i:04d}")
        a.client().sync()
    real_apply = client_module.apply_changes
    calls = {"n": 0}

    def crash_on_second_page(changes, **kw):
        calls["n"] += 1
        result = real_apply(changes, **kw)
        if calls["n"] == 2:
            raise RuntimeError("power cut after applying, before the cursor commit")
        return result

    monkeypatch.setattr(client_module, "apply_changes", crash_on_second_page)
    with van.use():
        with pytest.raises(RuntimeError):
            van.client(pull_limit=4).sync()
        cursor_after_crash = SyncState.get_by_id(1).hub_cursor
        items_after_crash = Item.select().count()
    # The first page (4 rows with its cursor) stayed; the second page left no trace.
    assert items_after_crash < 10
    monkeypatch.setattr(client_module, "apply_changes", real_apply)
    with van.use():
        van.client(pull_limit=4).sync()
        assert Item.select().count() == 10
        assert SyncState.get_by_id(1).hub_cursor > cursor_after_crash
        barcodes = [i.barcode for i in Item.select()]
    assert len(barcodes) == len(set(barcodes))


def test_push_body_is_gzip_and_small(hub, make_branch):
    a = make_branch("HXA")
    a.enroll(hub)
    with a.use() as ctx:
        _some_events(ctx, 50)
        events = [envelope(e) for e in Outbox.select().order_by(Outbox.seq)]
    raw = len(json.dumps(events).encode())
    assert len(gzip_json(events)) < raw / 3
