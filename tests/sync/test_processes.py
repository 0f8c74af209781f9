"""Real processes: two hubs on one PostgreSQL, a hub killed mid-batch, a client killed mid-sync."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests

from models import Outbox
from sync.codec import PROTOCOL_VERSION, gzip_json, iso_utc
from sync.hlc import pack
from tests.sync import desk
from tests.sync.conftest import ROOT, HubAdmin, HubProcess

pytestmark = pytest.mark.slow


def _enrol_raw(url: str, code: str, branch: str) -> tuple[str, str]:
    device = f"dev-{uuid.uuid4().hex[:16]}"
    answer = requests.post(url + "/v1/enrol", json={"code": code, "device_id": device, "branch": branch}, timeout=20)
    assert answer.status_code == 200, answer.text
    return device, answer.json()["token"]


def _patron_events(device: str, epoch: str, branch: str, first_seq: int, n: int) -> list[dict]:
    from models.ids import new_id

    now = iso_utc(__import__("datetime").datetime.now(__import__("datetime").UTC))
    events = []
    for i in range(n):
        seq = first_seq + i
        pid = new_id()
        events.append({
            "id": new_id(), "device_id": device, "epoch": epoch, "seq": seq, "hlc": pack(int(time.time() * 1000), seq),
            "branch": branch, "type": "patron.registered", "schema_version": 1, "created_at": now,
            "payload": {"patron": {"id": pid, "card_number": f"{device[-8:]}-{seq:05d}", "name": f"读者{seq}",
                                   "home_branch": branch, "registered_at": now}},
        })
    return events


def test_two_hub_processes_on_one_postgresql(tmp_path):
    import os

    from tests.sync.conftest import _drop_pg_schema, _pg_schema_dsn

    base = os.environ.get("COUNTYLIB_TEST_PG")
    if not base:
        pytest.skip("COUNTYLIB_TEST_PG is not set: the two-hub test needs PostgreSQL")
    dsn, schema = _pg_schema_dsn(base)
    admin = HubAdmin(dsn)
    hubs = [HubProcess(dsn, tmp_path).start(), HubProcess(dsn, tmp_path).start()]
    try:
        writers = [(_enrol_raw(hubs[i % 2].url, admin.code("HXA"), "HXA"), i) for i in range(4)]
        reader_device, reader_token = _enrol_raw(hubs[1].url, admin.code("HXA"), "HXA")
        errors: list[str] = []
        done = threading.Event()
        seen_seqs: list[int] = []
        received: set[str] = set()

        def push(device: str, token: str, index: int) -> None:
            epoch = str(uuid.uuid4())
            for batch in range(6):
                events = _patron_events(device, epoch, "HXA", batch * 40 + 1, 40)
                url = hubs[(index + batch) % 2].url  # alternate between the two processes
                body = {"protocol": PROTOCOL_VERSION, "device": device, "epoch": epoch, "events": events}
                answer = requests.post(url + "/v1/sync/push", data=gzip_json(body), timeout=60,
                                       headers={"Content-Encoding": "gzip", "Authorization": f"Bearer {token}"})
                if answer.status_code != 200 or answer.json()["acked_through"] != batch * 40 + 40:
                    errors.append(answer.text[:300])

        def pull_forever() -> None:
            cursor = 0
            while True:
                finished = done.is_set()
                while True:
                    page = requests.get(hubs[len(seen_seqs) % 2].url + "/v1/sync/pull", timeout=60,
                                        params={"cursor": cursor, "limit": 50},
                                        headers={"Authorization": f"Bearer {reader_token}"}).json()
                    for change in page["changes"]:
                        if change["seq"] <= cursor:
                            errors.append(f"seq {change['seq']} at or below cursor {cursor}")
                        seen_seqs.append(change["seq"])
                        received.add(change["id"])
                    cursor = page["next_cursor"]
                    if not page["has_more"]:
                        break
                if finished:
                    return
                time.sleep(0.05)

        threads = [threading.Thread(target=push, args=(d, t, i)) for (d, t), i in writers]
        reader = threading.Thread(target=pull_forever)
        reader.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done.set()
        reader.join()
        assert errors == []
        events = admin.events()
        assert len(events) == len({e.id for e in events}) == 4 * 6 * 40
        patrons = admin.projection("patron")
        assert len(patrons) == 4 * 6 * 40
        # A reader pulling while both processes committed never skipped a row.
        assert set(patrons) <= received
        assert len(seen_seqs) == len(set(seen_seqs))
    finally:
        for hub in hubs:
            hub.close()
        from sync.hub.storage import hub_db

        hub_db.obj.close_all()
        _drop_pg_schema(base, schema)


def test_hub_killed_mid_batch_and_restarted(hub_dsn, tmp_path, make_branch):
    admin = HubAdmin(hub_dsn)
    hub = HubProcess(hub_dsn, tmp_path).start(COUNTYLIB_HUB_PUSH_HOLD="3")
    try:
        a = make_branch("HXA")
        with a.use():
            a.client().enroll(hub.url, admin.code("HXA"))
        with a.use() as ctx:
            for i in range(5):
                desk.add_patron(ctx, f"P{i:04d}", f"读者{i}")
        outcome: dict = {}

        def sync() -> None:
            try:
                outcome["summary"] = a.client(attempts=8, backoff=0.2).sync()
            except Exception as exc:  # reported below
                outcome["error"] = exc

        worker = threading.Thread(target=sync)
        worker.start()
        time.sleep(1.5)  # the hub is inside the push transaction, holding it open
        hub.kill(signal.SIGKILL)
        assert admin.events() == []  # the killed transaction left nothing behind
        hub.start(COUNTYLIB_HUB_PUSH_HOLD="0")
        worker.join(timeout=120)
        assert "error" not in outcome, outcome.get("error")
        with a.use():
            assert Outbox.select().where(Outbox.acked_at.is_null()).count() == 0
            ids = sorted(e.id for e in Outbox.select())
        assert sorted(e.id for e in admin.events()) == ids
    finally:
        hub.close()


def test_client_killed_mid_sync(hub, make_branch, tmp_path):
    from tests.sync.proxy import FaultProxy

    a = make_branch("HXA")
    a.enroll(hub)
    slow = HubProcess(hub.dsn, tmp_path).start(COUNTYLIB_HUB_PUSH_HOLD="3")
    watch = FaultProxy(slow.port)  # only to see when the push is under way
    try:
        with a.use() as ctx:
            for i in range(5):
                desk.add_patron(ctx, f"P{i:04d}", f"读者{i}")
            from models import SyncState

            SyncState.update(hub_url=watch.url).execute()
        client = subprocess.Popen([sys.executable, "-m", "countylib.cli", "sync", "--db", str(a.path)], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not watch.counts.get("/v1/sync/push") and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the hub is holding the batch's transaction open
        client.send_signal(signal.SIGKILL)
        client.wait(timeout=30)
        time.sleep(4)  # the hub finishes the batch for a client that is gone
        with a.use():
            total = Outbox.select().count()
            assert Outbox.select().where(Outbox.acked_at.is_null()).count() == total
        rerun = subprocess.run([sys.executable, "-m", "countylib.cli", "sync", "--db", str(a.path)], cwd=ROOT,
                               capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stderr
        assert f"{total} already at the hub" in rerun.stdout
        with a.use():
            assert Outbox.select().where(Outbox.acked_at.is_null()).count() == 0
        assert len(hub.admin.events()) == total
    finally:
        watch.close()
        slow.close()
