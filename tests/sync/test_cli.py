"""The command-line forms of DESIGN.md §5 for sync, run as real processes."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

from countylib.koc import export_koc
from models import KocExport
from tests.sync import desk
from tests.sync.conftest import ROOT


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_enroll_sync_and_hub_commands(hub, make_branch):
    a = make_branch("HXA")
    with a.use() as ctx:
        desk.add_patron(ctx, "P0001", "王芳")
    code = _run("sync.hub.cli", "enroll", "--dsn", hub.dsn, "--branch", "hxa")
    assert code.returncode == 0, code.stderr
    enrolled = _run("countylib.cli", "enroll", "--db", str(a.path), "--hub", hub.url, "--code", code.stdout.strip())
    assert enrolled.returncode == 0, enrolled.stderr
    assert "enrolled" in enrolled.stdout
    synced = _run("countylib.cli", "sync", "--db", str(a.path))
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.startswith(f"pushed {a.initial_events + 1}, pulled")
    again = _run("countylib.cli", "enroll", "--db", str(a.path), "--hub", hub.url, "--code", code.stdout.strip())
    assert again.returncode == 1 and "already been used" in again.stderr
    devices = _run("sync.hub.cli", "devices", "--dsn", hub.dsn)
    assert devices.returncode == 0 and "HXA" in devices.stdout


def test_sync_without_enrolment_says_so(make_branch):
    a = make_branch("HXA")
    result = _run("countylib.cli", "sync", "--db", str(a.path))
    assert result.returncode == 1
    assert "not connected to a central library" in result.stderr
    assert "Traceback" not in result.stderr


def test_sync_with_hub_down_fails_in_plain_words(make_branch):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    a = make_branch("HXA")
    with a.use():
        from models import SyncState

        SyncState.update(hub_url=f"http://127.0.0.1:{port}").execute()
        from sync.client import save_token

        save_token(SyncState.get_by_id(1).device_id, f"http://127.0.0.1:{port}", "x" * 43)
    result = _run("countylib.cli", "sync", "--db", str(a.path))
    assert result.returncode == 1
    assert "cannot be reached" in result.stderr


def test_export_koc(make_branch, tmp_path):
    a = make_branch("HXA")
    with a.use() as ctx:
        bib = desk.add_bib(ctx, "红楼梦")
        desk.add_item(ctx, bib, "HXA0001")
        desk.add_patron(ctx, "C0001", "王芳")
        desk.check_out(ctx, "C0001", "HXA0001")
        desk.check_in(ctx, "HXA0001")
    out = tmp_path / "first.koc"
    result = _run("countylib.cli", "export-koc", "--db", str(a.path), "--since", "2020-01-01", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "1 issue(s) and 1 return(s)" in result.stdout
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("Version=1.0\tGenerator=CountyLib\tGeneratorVersion=")
    stamp, command, card, barcode = lines[1].split("\t")
    assert (command, card, barcode) == ("issue", "C0001", "HXA0001")
    local_now = dt.datetime.now(a.clock.timezone)
    written = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=a.clock.timezone)
    assert abs(written - local_now) < dt.timedelta(minutes=5)  # local time, as Koha reads it
    assert lines[2].split("\t")[1:] == ["return", "HXA0001"]
    with a.use() as ctx:
        desk.check_out(ctx, "C0001", "HXA0001")
        second = export_koc(ctx, dt.date(2020, 1, 1), tmp_path / "second.koc")
        assert (second.issues, second.returns, second.already_exported) == (1, 0, 2)
        assert KocExport.select().count() == 3
    assert len((tmp_path / "second.koc").read_text().splitlines()) == 2


def test_export_koc_refuses_a_future_date(make_branch, tmp_path):
    a = make_branch("HXA")
    result = _run("countylib.cli", "export-koc", "--db", str(a.path), "--since", "2999-01-01", "--out",
                  str(tmp_path / "x.koc"))
    assert result.returncode == 1 and "future" in result.stderr
    assert not (tmp_path / "x.koc").exists()


def test_hub_enroll_checks_what_it_is_given(tmp_path):
    hub_db = tmp_path / "hub.db"
    dsn = f"sqlite:///{hub_db}"
    assert _run("sync.hub.cli", "migrate", "--dsn", dsn).returncode == 0
    typo = _run("sync.hub.cli", "enroll", "--dsn", f"sqlite:///{tmp_path}/typo.db", "--branch", "HX01")
    assert typo.returncode == 1 and typo.stdout == "" and not (tmp_path / "typo.db").exists()
    assert "there is no hub database at" in typo.stderr and f"countylib-hub migrate --dsn sqlite:///{tmp_path}/typo.db" in typo.stderr
    no_folder = _run("sync.hub.cli", "enroll", "--dsn", f"sqlite:///{tmp_path}/nodir/hub.db", "--branch", "HX01")
    assert no_folder.returncode == 1 and "Traceback" not in no_folder.stderr
    assert no_folder.stderr.strip() == (
        f"countylib-hub: the folder {tmp_path}/nodir does not exist; check the DSN sqlite:///{tmp_path}/nodir/hub.db"
    )
    bad_code = _run("sync.hub.cli", "enroll", "--dsn", dsn, "--branch", "总馆 !!")
    assert bad_code.returncode == 1 and bad_code.stdout == "" and "2 to 8 letters or digits" in bad_code.stderr
    negative = _run("sync.hub.cli", "enroll", "--dsn", dsn, "--branch", "HX01", "--ttl-hours", "-5")
    assert negative.returncode == 2 and negative.stdout == "" and "must stay valid" in negative.stderr
    import sqlite3

    not_a_hub = tmp_path / "other.db"
    sqlite3.connect(not_a_hub).execute("CREATE TABLE x (a)").connection.close()
    other = _run("sync.hub.cli", "devices", "--dsn", f"sqlite:///{not_a_hub}")
    assert other.returncode == 1 and "not a CountyLib hub database" in other.stderr
    good = _run("sync.hub.cli", "enroll", "--dsn", dsn, "--branch", "hx01", "--ttl-hours", "2")
    assert good.returncode == 0 and len(good.stdout.split()) == 1 and "branch HX01, valid 2 h" in good.stderr


def test_hub_devices_summary_follows_the_rows_on_its_own_line(hub, make_branch):
    make_branch("HXA").enroll(hub)
    devices = _run("sync.hub.cli", "devices", "--dsn", hub.dsn)
    assert devices.returncode == 0
    lines = devices.stdout.splitlines()
    assert "\tHXA\t" in lines[0] and lines[-1] == "1 device(s)"
