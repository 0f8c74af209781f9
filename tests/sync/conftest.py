"""Sync test rig: a real hub process over HTTP on 127.0.0.1 and real branch database files.

The hub runs as ``countylib-hub serve`` in a subprocess on a listening socket this process
made and keeps, so the hub can be killed (SIGKILL) and started again on the same address.
Every hub test runs on SQLite, and on PostgreSQL too when COUNTYLIB_TEST_PG is set (a fresh
schema per test, dropped afterwards).

Branch databases share one process-wide peewee handle (``models.base.db``), so a test works
on one branch at a time: ``with branch.use() as ctx:`` binds that branch's file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from countylib.clock import Clock
from countylib.context import ServiceContext
from countylib.library import initialize_library, make_context, open_db
from models.base import db
from sync.client import SyncClient

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class SkewedClock(Clock):
    """The real clock, off by ``skew`` (a laptop whose clock is wrong)."""

    skew: dt.timedelta = dt.timedelta(0)

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.skew


# -- the hub ------------------------------------------------------------------------------


class HubProcess:
    def __init__(self, dsn: str, workdir: Path, env: dict[str, str] | None = None) -> None:
        self.dsn = dsn
        self.workdir = workdir
        self.env = env or {}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = workdir / f"hub-{self.port}.log"
        self.start_args: list[str] = []

    def start(self, health_verify: str | bool = True, **env: str) -> HubProcess:
        environment = {**os.environ, **self.env, **env}
        fd = self.sock.fileno()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sync.hub.cli", "serve", "--dsn", self.dsn, "--fd", str(fd), "--log-level", "warning",
             *self.start_args],
            cwd=ROOT,
            env=environment,
            pass_fds=[fd],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/v1/health", timeout=2, verify=health_verify).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("hub did not become healthy")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)
        self.proc = None

    def close(self) -> None:
        self.kill(signal.SIGTERM)
        self.sock.close()


class HubAdmin:
    """The hub admin's side, in-process against the same database (as the CLI does)."""

    def __init__(self, dsn: str) -> None:
        from sync.hub.storage import migrate, open_hub

        self.dsn = dsn
        open_hub(dsn)
        migrate()

    def bind(self) -> None:
        from sync.hub.storage import open_hub

        open_hub(self.dsn)

    def code(self, branch: str, ttl: dt.timedelta | None = None) -> str:
        from sync.hub.devices import CODE_TTL, new_enrolment_code

        self.bind()
        return new_enrolment_code(branch, ttl or CODE_TTL)

    def query(self, fn):
        from sync.hub.storage import hub_db

        self.bind()
        with hub_db.connection_context():
            return fn()

    def events(self) -> list:
        from sync.hub.storage import Event

        return self.query(lambda: list(Event.select().order_by(Event.received_at, Event.seq)))

    def open_loans(self, item_id: str) -> list:
        from sync.hub.storage import LoanRow

        return self.query(lambda: list(LoanRow.select().where((LoanRow.item_id == item_id) & LoanRow.is_open)))

    def conflicts(self, code: str | None = None) -> list[dict]:
        import json

        from sync.hub.storage import ConflictRow

        def rows():
            query = ConflictRow.select()
            if code:
                query = query.where(ConflictRow.code == code)
            return [json.loads(r.data) for r in query.order_by(ConflictRow.server_seq)]

        return self.query(rows)

    def row(self, kind: str, key: str) -> dict | None:
        import json

        from sync.hub.storage import PROJECTIONS

        model = PROJECTIONS[kind]

        def get():
            found = model.get_or_none(model._meta.primary_key == key)
            return json.loads(found.data) if found else None

        return self.query(get)

    def projection(self, kind: str) -> dict[str, dict]:
        import json

        from sync.hub.storage import PROJECTIONS

        model = PROJECTIONS[kind]
        pk = model._meta.primary_key
        return self.query(lambda: {getattr(r, pk.name): json.loads(r.data) for r in model.select()})


def _pg_schema_dsn(base: str) -> tuple[str, str]:
    schema = "clhub_" + uuid.uuid4().hex[:12]
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options=-csearch_path%3D{schema}", schema


def _drop_pg_schema(base: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(params=["sqlite", "pg"])
def hub_dsn(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/hub.db"
        return
    base = os.environ.get("COUNTYLIB_TEST_PG")
    if not base:
        pytest.skip("COUNTYLIB_TEST_PG is not set: PostgreSQL hub tests need a DSN")
    dsn, schema = _pg_schema_dsn(base)
    yield dsn
    from sync.hub.storage import hub_db

    if hub_db.obj is not None:
        with contextlib.suppress(Exception):
            hub_db.obj.close_all() if hasattr(hub_db.obj, "close_all") else hub_db.obj.close()
    _drop_pg_schema(base, schema)


@dataclass
class Hub:
    process: HubProcess
    admin: HubAdmin

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def dsn(self) -> str:
        return self.admin.dsn


@pytest.fixture
def hub(hub_dsn, tmp_path) -> Iterator[Hub]:
    admin = HubAdmin(hub_dsn)
    process = HubProcess(hub_dsn, tmp_path).start()
    yield Hub(process, admin)
    process.close()


@pytest.fixture
def proxy(hub):
    from tests.sync.proxy import FaultProxy

    made = FaultProxy(hub.process.port)
    yield made
    made.close()


# -- branches -------------------------------------------------------------------------------


@dataclass
class BranchDB:
    path: Path
    code: str
    clock: SkewedClock = field(default_factory=SkewedClock)
    initial_events: int = 0  # what setting up the branch recorded (other areas may add events there)

    @contextlib.contextmanager
    def use(self) -> Iterator[ServiceContext]:
        database = open_db(self.path)
        yield make_context(database, self.clock)

    def client(self, **options) -> SyncClient:
        options.setdefault("backoff", 0.05)
        return SyncClient(clock=self.clock, ca_file="", **options)

    def enroll(self, hub: Hub, url: str | None = None) -> None:
        with self.use():
            self.client().enroll(url or hub.url, hub.admin.code(self.code))

    def sync(self, **options):
        with self.use():
            return self.client(**options).sync()


@pytest.fixture
def make_branch(tmp_path):
    made: list[BranchDB] = []

    def make(code: str, *, name: str | None = None, skew: dt.timedelta = dt.timedelta(0), file: str | None = None):
        path = tmp_path / (file or f"{code.lower()}-{len(made)}.db")
        branch = BranchDB(path, code, SkewedClock(skew=skew))
        database = open_db(path)
        initialize_library(
            database,
            library_name="某某县图书馆",
            branch_code=code,
            branch_name=name or f"{code} 分馆",
            admin_user="admin",
            password="admin123",
            language="en",
            clock=branch.clock,
        )
        from models import Outbox

        branch.initial_events = Outbox.select().count()
        made.append(branch)
        return branch

    yield make
    if not db.is_closed():
        db.close()


@pytest.fixture
def two_branches(hub, make_branch) -> tuple[BranchDB, BranchDB]:
    """HXA and HXB, both enrolled with the hub."""
    a, b = make_branch("HXA"), make_branch("HXB")
    a.enroll(hub)
    b.enroll(hub)
    return a, b
