"""Random schedules of desk work, syncs, lost connections, network faults and wrong clocks.

A hypothesis state machine drives three devices (branch A, its book van, branch B) against
one real hub through the fault proxy. After every step: the hub has at most one open loan
per copy, no event twice, and no event a device holds as acknowledged is missing. At the
end (faults healed, everyone online, everyone synced twice) every device's tables equal the
hub's projections. Each example uses branch codes of its own, so examples share the hub.
COUNTYLIB_SYNC_EXAMPLES sets how many schedules run per hub engine (100: 200 in CI, SQLite and
PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from countylib.library import initialize_library, open_db
from models import Branch, Item, Location, Outbox, Patron, SyncState
from models.base import db
from models.ids import new_id
from sync.client import SyncError
from tests.sync import desk
from tests.sync.conftest import BranchDB, SkewedClock
from tests.sync.convergence import assert_converged
from tests.sync.proxy import FaultProxy

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("COUNTYLIB_SYNC_EXAMPLES", "100"))  # per hub engine: 200 in CI
FAULTS = ["drop_request", "drop_response", "cut_response", "error_500_before", "error_500_after", "duplicate"]
_serial = itertools.count(1)


def _template(tmp_path) -> "os.PathLike":
    path = tmp_path / "template.db"
    database = open_db(path)
    initialize_library(database, library_name="县图书馆", branch_code="TPL", branch_name="模板",
                       admin_user="admin", password="admin123", language="en")
    database.close()
    return path


def _clone(template, path, code: str) -> BranchDB:
    """A new device database in a moment: the template with its own branch code and identity."""
    shutil.copy(template, path)
    branch = BranchDB(path, code, SkewedClock())
    with branch.use() as ctx:
        with db.atomic():
            Branch.update(code=code, name=f"{code} 分馆").where(Branch.code == "TPL").execute()
            Location.update(code=code, name=f"{code} 分馆").where(Location.code == "TPL").execute()
            Outbox.delete().execute()
            SyncState.update(device_id=new_id(), epoch=new_id(), next_seq=1, hlc=0).execute()
            ctx.branch = Branch.get(Branch.code == code)
            ctx.record("branch.initialized", {"branch": {"id": ctx.branch.id, "code": code, "name": ctx.branch.name,
                                                         "library_name": "县图书馆"}})
    return branch


def test_random_schedules_converge(hub, tmp_path):
    template = _template(tmp_path)
    proxy = FaultProxy(hub.process.port)

    class SyncMachine(RuleBasedStateMachine):
        @initialize()
        def county(self) -> None:
            n = next(_serial)
            self.code_a, self.code_b = f"S{n}A", f"S{n}B"
            self.devices = {
                "a": _clone(template, tmp_path / f"{n}-a.db", self.code_a),
                "van": _clone(template, tmp_path / f"{n}-van.db", self.code_a),
                "b": _clone(template, tmp_path / f"{n}-b.db", self.code_b),
            }
            self.online = {name: True for name in self.devices}
            proxy.faults.clear()
            for device in self.devices.values():
                device.enroll(hub, proxy.url)
            with self.devices["a"].use() as ctx:
                bib = desk.add_bib(ctx, "三体", "刘慈欣")
                self.barcodes = [f"{self.code_a}{i:03d}" for i in range(4)]
                for barcode in self.barcodes:
                    desk.add_item(ctx, bib, barcode)
                self.cards = [f"{self.code_a}-{i}" for i in range(3)]
                for card in self.cards:
                    desk.add_patron(ctx, card, "读者")
            for name in ("a", "van", "b"):
                self.devices[name].sync(backoff=0.01)

        # -- desk work --------------------------------------------------------------------

        @rule(device=st.sampled_from(["a", "van", "b"]), item=st.integers(0, 3), patron=st.integers(0, 2))
        def check_out(self, device: str, item: int, patron: int) -> None:
            with self.devices[device].use() as ctx:
                if Item.get_or_none(Item.barcode == self.barcodes[item]) is None:
                    return  # this desk does not hold the copy
                if Patron.get_or_none(Patron.card_number == self.cards[patron]) is None:
                    return
                desk.check_out(ctx, self.cards[patron], self.barcodes[item])

        @rule(device=st.sampled_from(["a", "van", "b"]), item=st.integers(0, 3))
        def check_in(self, device: str, item: int) -> None:
            with self.devices[device].use() as ctx:
                desk.check_in(ctx, self.barcodes[item])

        @rule(device=st.sampled_from(["a", "van", "b"]))
        def register(self, device: str) -> None:
            with self.devices[device].use() as ctx:
                card = f"{self.devices[device].code}-N{next(_serial)}"
                desk.add_patron(ctx, card, "新读者")

        # -- the world ----------------------------------------------------------------------

        @rule(device=st.sampled_from(["a", "van", "b"]))
        def sync(self, device: str) -> None:
            if not self.online[device]:
                return
            try:
                self.devices[device].sync(backoff=0.01, batch_events=3, pull_limit=5)
            except SyncError:
                pass  # a fault outlasted the retries: nothing may be lost, the invariants check it

        @rule(device=st.sampled_from(["a", "van", "b"]))
        def toggle_online(self, device: str) -> None:
            self.online[device] = not self.online[device]

        @rule(kind=st.sampled_from(FAULTS), path=st.sampled_from(["/v1/sync/push", "/v1/sync/pull", "/v1/info"]),
              times=st.integers(1, 3))
        def fault(self, kind: str, path: str, times: int) -> None:
            proxy.plan(path, kind, times)

        @rule(device=st.sampled_from(["a", "van", "b"]), hours=st.integers(-72, 72))
        def skew_clock(self, device: str, hours: int) -> None:
            self.devices[device].clock.skew = dt.timedelta(hours=hours)

        # -- what must always hold ------------------------------------------------------------

        @invariant()
        def at_most_one_open_loan_per_copy(self) -> None:
            from sync.hub.storage import LoanRow

            open_items = hub.admin.query(
                lambda: [r.item_id for r in LoanRow.select(LoanRow.item_id).where(LoanRow.is_open == True)]  # noqa: E712
            )
            assert len(open_items) == len(set(open_items))

        @invariant()
        def nothing_twice_nothing_missing(self) -> None:
            if not hasattr(self, "devices"):
                return
            hub_ids = [e.id for e in hub.admin.events()]
            assert len(hub_ids) == len(set(hub_ids))
            stored = set(hub_ids)
            for device in self.devices.values():
                with device.use():
                    acked = {e.id for e in Outbox.select(Outbox.id).where(Outbox.acked_at.is_null(False))}
                assert acked <= stored

        @precondition(lambda self: hasattr(self, "devices"))
        @rule()
        def noop(self) -> None:
            pass

        def teardown(self) -> None:
            if not hasattr(self, "devices"):
                return
            proxy.faults.clear()
            order = ["a", "van", "b"]
            for _ in range(2):
                for name in order:
                    self.devices[name].sync(backoff=0.01)
            assert_converged(hub, list(self.devices.values()))
            if not db.is_closed():
                db.close()

    SyncMachine.TestCase.settings = settings(
        max_examples=EXAMPLES,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        # Shrinking a schedule against a real hub takes minutes; a failure prints its steps as found.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
    try:
        SyncMachine.TestCase().runTest()
    finally:
        proxy.close()
