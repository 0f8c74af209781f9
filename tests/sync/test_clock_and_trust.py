"""Clocks that are wrong, tokens that expire, devices that are revoked, requests that lie."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import stat
import subprocess
import sys

import pytest
import requests

from models import Loan, Outbox, SyncState
from sync.client import DeviceRevoked, SyncClient, TokenExpired, load_token, token_path
from sync.codec import PROTOCOL_VERSION, envelope, gzip_json
from sync.hlc import unpack
from tests.sync import desk
from tests.sync.conftest import ROOT


def _county(hub, make_branch, van_skew=dt.timedelta(0)):
    a = make_branch("HXA")
    van = make_branch("HXA", file="van.db", skew=van_skew)
    a.enroll(hub)
    van.enroll(hub)
    with a.use() as ctx:
        bib = desk.add_bib(ctx, "边城", "沈从文")
        desk.add_item(ctx, bib, "HXA0001")
        desk.add_patron(ctx, "C0001", "王芳")
        desk.add_patron(ctx, "C0002", "李雷")
    a.sync()
    van.sync()
    return a, van


def test_clock_ahead_3_days(hub, make_branch):
    a, van = _county(hub, make_branch, van_skew=dt.timedelta(days=3))
    with van.use() as ctx:
        van_loan = desk.check_out(ctx, "C0001", "HXA0001")  # the van's clock says three days later
        raw_due = van_loan.due_date
    with a.use() as ctx:
        a_loan = desk.check_out(ctx, "C0002", "HXA0001")  # really a moment after the van's
    a.sync()
    summary = van.sync()
    assert any("3 days ahead" in w for w in summary.warnings)
    assert summary.clock_offset_ms < -2.9 * 86400_000
    # Corrected time orders the two loans as they happened, not as the van's clock says.
    assert [loan.id for loan in hub.admin.open_loans(a_loan.item_id)] == [a_loan.id]
    van_state = hub.admin.row("loan", van_loan.id)
    assert van_state["closed_by"] == "implied_by_checkout"
    hub_time = dt.datetime.fromisoformat(van_state["checked_out_at"].rstrip("Z"))
    assert abs(hub_time - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(minutes=5)
    # The reader does not get three extra days: the due date moved back with the clock.
    assert (raw_due - dt.date.fromisoformat(van_state["due_date"])).days == 3
    van.sync()
    with van.use():
        assert Loan.get_by_id(van_loan.id).due_date == dt.date.fromisoformat(van_state["due_date"])


def test_clock_behind_and_jumps_back(hub, make_branch):
    a, van = _county(hub, make_branch, van_skew=dt.timedelta(hours=-2))
    with van.use() as ctx:
        loan = desk.check_out(ctx, "C0001", "HXA0001")
        van.clock.skew = dt.timedelta(days=-1)  # someone sets the clock back another day
        desk.check_in(ctx, "HXA0001")
        stamps = [e.hlc for e in Outbox.select().where(Outbox.acked_at.is_null()).order_by(Outbox.seq)]
    # The HLC never runs backwards, even when the wall clock does.
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    summary = van.sync()
    assert any("1 day behind" in w for w in summary.warnings), summary
    state = hub.admin.row("loan", loan.id)
    # The device's own order holds: the return closes the loan it follows.
    assert state["closed_by"] == "return"
    opened = dt.datetime.fromisoformat(state["checked_out_at"].rstrip("Z"))
    closed = dt.datetime.fromisoformat(state["checked_in_at"].rstrip("Z"))
    assert opened <= closed <= dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=1)
    assert hub.admin.conflicts("CHECKIN_WITHOUT_LOAN") == []
    with van.use():
        wall, _ = unpack(SyncState.get_by_id(1).hlc)
    # Merging the hub's stamp moved our HLC up to the county's time.
    assert wall >= (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).timestamp() * 1000


def test_token_expired_mid_sync(hub, proxy, make_branch):
    from sync.hub.storage import Device

    a = make_branch("HXA")
    a.enroll(hub, proxy.url)
    with a.use() as ctx:
        for i in range(6):
            desk.add_patron(ctx, f"P{i:04d}", f"读者{i}")
        device_id = SyncState.get_by_id(1).device_id

    def expire() -> None:
        hub.admin.query(lambda: Device.update(token_issued_at=dt.datetime(2020, 1, 1)).where(
            Device.id == device_id).execute())

    proxy.on("/v1/sync/push", expire, nth=2)
    with a.use():
        with pytest.raises(TokenExpired):
            a.client(batch_events=3).sync()
        total = Outbox.select().count()
        assert Outbox.select().where(Outbox.acked_at.is_null()).count() == total - 3
    a.enroll(hub, proxy.url)  # a fresh code: same device, same sequence
    with a.use():
        a.client(batch_events=3).sync()
        assert Outbox.select().where(Outbox.acked_at.is_null()).count() == 0
        assert SyncState.get_by_id(1).device_id == device_id
    ids = [e.id for e in hub.admin.events()]
    assert len(ids) == len(set(ids)) == total


def test_device_revoked(hub, make_branch, tmp_path):
    a = make_branch("HXA")
    a.enroll(hub)
    with a.use() as ctx:
        desk.add_patron(ctx, "P0001", "王芳")
        a.client().sync()
        for i in range(3):
            desk.add_patron(ctx, f"Q{i:04d}", f"读者{i}")
        device_id = SyncState.get_by_id(1).device_id
    result = subprocess.run([sys.executable, "-m", "sync.hub.cli", "devices", "--dsn", hub.dsn, "--revoke", device_id],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    with a.use():
        with pytest.raises(DeviceRevoked) as refused:
            a.client().sync()
        assert refused.value.unsent == 3
        assert "3 unsent" in refused.value.message
        exported = tmp_path / "unsent.json"
        assert a.client().export_unsent(exported) == 3
    # The hub admin imports the file; importing it twice stores nothing twice.
    for expected in ({"stored": 3, "already_there": 0}, {"stored": 0, "already_there": 3}):
        result = subprocess.run([sys.executable, "-m", "sync.hub.cli", "import-events", "--dsn", hub.dsn,
                                 str(exported)], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        assert {k: summary[k] for k in expected} == expected
    assert len(hub.admin.projection("patron")) == 4


def test_token_file_is_owner_only(hub, make_branch):
    a = make_branch("HXA")
    a.enroll(hub)
    with a.use():
        path = token_path(SyncState.get_by_id(1).device_id)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600
    assert len(json.loads(path.read_text())["token"]) >= 43  # 256 random bits


def test_token_rotation_keeps_working(hub, make_branch):
    from sync.hub.storage import Device

    a = make_branch("HXA")
    a.enroll(hub)
    with a.use():
        device_id = SyncState.get_by_id(1).device_id
        old = load_token(device_id)
    hub.admin.query(lambda: Device.update(token_issued_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)
                                          - dt.timedelta(days=8)).where(Device.id == device_id).execute())
    a.sync()
    with a.use():
        new = load_token(device_id)
    assert new != old
    # The old token still works for the grace period (the answer with the new one may be lost).
    ok = requests.get(hub.url + "/v1/info", headers={"Authorization": f"Bearer {old}"}, timeout=10)
    assert ok.status_code == 200
    a.sync()


# -- auth: requests that must be refused, with nothing stored --------------------------------


_BRANCHES: list = []


def _enrolled(hub, make_branch):
    a = make_branch("HXA")
    a.enroll(hub)
    _BRANCHES.append(a)
    with a.use() as ctx:
        desk.add_patron(ctx, "P0001", "王芳")
        state = SyncState.get_by_id(1)
        events = [envelope(e) for e in Outbox.select().order_by(Outbox.seq)]
        token = load_token(state.device_id)
    return state, events, token


def _push(hub, token, body, *, raw: bytes | None = None):
    headers = {"Content-Encoding": "gzip"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(hub.url + "/v1/sync/push", data=raw if raw is not None else gzip_json(body),
                         headers=headers, timeout=20)


def _body(state, events):
    return {"protocol": PROTOCOL_VERSION, "device": state.device_id, "epoch": state.epoch, "events": events}


def test_push_without_token_is_refused(hub, make_branch):
    state, events, _ = _enrolled(hub, make_branch)
    for token in (None, "not-a-real-token"):
        answer = _push(hub, token, _body(state, events))
        assert answer.status_code == 401
        assert answer.json()["error"] in ("no_token", "bad_token")
    assert requests.get(hub.url + "/v1/sync/pull", timeout=10).status_code == 401
    assert hub.admin.events() == []


def test_revoked_token_is_refused(hub, make_branch):
    from sync.hub.devices import revoke

    state, events, token = _enrolled(hub, make_branch)
    hub.admin.bind()
    revoke(state.device_id)
    answer = _push(hub, token, _body(state, events))
    assert answer.status_code == 403 and answer.json()["error"] == "device_revoked"
    pull = requests.get(hub.url + "/v1/sync/pull", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert pull.status_code == 403
    assert hub.admin.events() == []


def test_another_branchs_events_are_refused(hub, make_branch):
    state, events, token = _enrolled(hub, make_branch)
    forged = [dict(e) for e in events]
    forged[-1]["branch"] = "HXB"
    answer = _push(hub, token, _body(state, forged))
    assert answer.status_code == 403 and answer.json()["error"] == "wrong_branch"
    other_device = [dict(e, device_id="someone-else-0001") for e in events]
    answer = _push(hub, token, _body(state, other_device))
    assert answer.status_code == 403 and answer.json()["error"] == "wrong_device"
    assert hub.admin.events() == []  # nothing of either batch was half-stored


def test_oversized_batch_is_refused(hub, make_branch):
    state, events, token = _enrolled(hub, make_branch)
    template = events[0]
    many = [dict(template, seq=i + 1, id=f"{template['id'][:-12]}{i:012d}") for i in range(1001)]
    answer = _push(hub, token, _body(state, many))
    assert answer.status_code == 413 and answer.json()["error"] == "batch_too_long"
    blob = os.urandom(2 << 20)  # incompressible and over the wire limit
    answer = _push(hub, token, None, raw=blob)
    assert answer.status_code == 413
    bomb = gzip.compress(b"[" + b" " * (64 << 20) + b"]")  # tiny on the wire, 64 MiB inside
    answer = _push(hub, token, None, raw=bomb)
    assert answer.status_code == 413 and answer.json()["error"] == "too_large"
    assert hub.admin.events() == []


def test_malformed_json_is_refused(hub, make_branch):
    state, events, token = _enrolled(hub, make_branch)
    answer = _push(hub, token, None, raw=gzip.compress(b"{not json"))
    assert answer.status_code == 400 and answer.json()["error"] == "malformed"
    answer = _push(hub, token, None, raw=b"plainly not gzip")
    assert answer.status_code == 400
    broken = [dict(events[0])] + [dict(e) for e in events[1:]]
    del broken[-1]["payload"]
    answer = _push(hub, token, _body(state, broken))
    assert answer.status_code == 400 and "payload" in answer.json()["message"]
    assert hub.admin.events() == []
    # Nothing is stuck: the client's own push goes through afterwards, once.
    _BRANCHES[-1].sync()
    assert len(hub.admin.events()) == len(events)


def test_health_time_and_schema(hub):
    assert requests.get(hub.url + "/v1/health", timeout=10).json()["status"] == "ok"
    clock = requests.get(hub.url + "/v1/time", timeout=10).json()
    assert abs(clock["hub_time_ms"] / 1000 - dt.datetime.now(dt.UTC).timestamp()) < 60
    schema = requests.get(hub.url + "/v1/openapi.json", timeout=10).json()
    assert schema["openapi"].startswith("3.1")
    assert {"/v1/sync/push", "/v1/sync/pull", "/v1/sync/snapshot", "/v1/enrol", "/v1/info"} <= set(schema["paths"])


def test_enrolment_codes_are_one_time_and_branch_bound(hub, make_branch):
    from countylib.errors import CountyLibError

    a = make_branch("HXA")
    b = make_branch("HXB")
    code = hub.admin.code("HXA")
    with a.use():
        SyncClient(clock=a.clock, ca_file="").enroll(hub.url, code)
    with b.use():
        with pytest.raises(CountyLibError, match="already been used"):
            SyncClient(clock=b.clock, ca_file="").enroll(hub.url, code)
        with pytest.raises(CountyLibError, match="is for branch HXA, but this computer belongs to branch HXB"):
            SyncClient(clock=b.clock, ca_file="").enroll(hub.url, hub.admin.code("HXA"))
        with pytest.raises(CountyLibError, match="expired"):
            SyncClient(clock=b.clock, ca_file="").enroll(hub.url, hub.admin.code("HXB", dt.timedelta(seconds=-1)))
        with pytest.raises(CountyLibError, match="not known"):
            SyncClient(clock=b.clock, ca_file="").enroll(hub.url, "AAAA-BBBB-CCCC")
