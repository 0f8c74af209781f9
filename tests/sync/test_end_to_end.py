"""Issue 6's end-to-end story: a hub, two branches and a book van, with the real desk services.

The van works offline for a "week" (lends branch A's books, registers a reader, takes in a
donation), branch B takes back one of A's books it never saw, A lends a book the van also
lent; then everyone syncs in varied orders. Every database ends with the hub's item states
and loan history, and nothing is lost or doubled.
"""

from __future__ import annotations

import datetime as dt

import pytest

from countylib.circulation import check_in, check_out
from models import Item, Loan, Patron
from tests.sync import desk
from tests.sync.convergence import assert_converged

pytestmark = pytest.mark.slow


def test_van_week_offline_then_everyone_syncs(hub, make_branch):
    a = make_branch("HXA")
    van = make_branch("HXA", file="van.db")
    b = make_branch("HXB")
    for branch in (a, van, b):
        branch.enroll(hub)
    with a.use() as ctx:
        bib = desk.add_bib(ctx, "乡土中国", "费孝通")
        for i in range(1, 7):
            desk.add_item(ctx, bib, f"HXA{i:04d}")
        for i in range(1, 4):
            desk.add_patron(ctx, f"A{i:04d}", f"读者{i}")
    for branch in (a, van, b):
        branch.sync()

    # The van's week offline, day by day.
    for day in range(5):
        van.clock.skew = dt.timedelta(days=day)
        with van.use() as ctx:
            if day == 0:
                check_out(ctx, "A0001", "HXA0001")
                check_out(ctx, "A0002", "HXA0002")
            if day == 1:
                desk.add_patron(ctx, "VAN0001", "新读者")
                check_out(ctx, "VAN0001", "HXA0003")
            if day == 2:
                check_in(ctx, "HXA0002")
                with ctx.db.atomic("IMMEDIATE"):
                    ctx.record("donation.received", {"donation_id": "d1", "donor": "热心市民", "books": 12})
            if day == 4:
                check_out(ctx, "A0003", "HXA0004")
    van.clock.skew = dt.timedelta(days=5)
    with b.use() as ctx:
        assert check_in(ctx, "HXA0001").outcome == "unknown_item"  # B never saw A's copy
    with a.use() as ctx:
        check_out(ctx, "A0002", "HXA0004")  # A lends the copy the van lent too
        check_out(ctx, "A0003", "HXA0005")

    for branch in (b, van, a, van, b, a):
        branch.sync()
    for branch in (a, van, b):
        branch.sync()

    assert_converged(hub, [a, van, b])
    items = {s["barcode"]: s for s in hub.admin.projection("item").values()}
    assert items["HXA0001"]["status"] == "in_transit" and items["HXA0001"]["current_branch"] == "HXB"
    assert items["HXA0002"]["status"] == "available"
    assert items["HXA0003"]["status"] == "on_loan"
    assert [c["code"] for c in hub.admin.conflicts()] == ["OPEN_LOAN_EXISTS"]
    assert any(e.type == "donation.received" for e in hub.admin.events())
    with b.use():
        # B now knows A's copy it took back, and the van's new reader (readers are county-wide).
        assert Item.get(Item.barcode == "HXA0001").status == "in_transit"
        assert Patron.get(Patron.card_number == "VAN0001").name == "新读者"
    with a.use():
        assert Loan.select().where(Loan.checked_in_at.is_null()).count() == 3
