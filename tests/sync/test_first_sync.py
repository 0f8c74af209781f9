"""A library that worked before it met the hub: the first sync hands over everything it holds.

The rows below are written the way demo data and imports from an older system are: history,
with no events. Desk work then happens through the real services before enrolment, so the
outbox names rows the hub has never heard of; the hub runs over HTTP (SQLite, and PostgreSQL
when COUNTYLIB_TEST_PG is set).
"""

from __future__ import annotations

import datetime as dt

from countylib import circulation
from countylib.circulation import Transaction
from models import Bib, Branch, Conflict, Item, Location, Patron, ReplicaState


def _history(ctx) -> None:
    """A copy and two readers that existed before this computer kept events: one reader of
    this branch, one of 城关分馆 (通借通还: readers of any branch borrow anywhere)."""
    here = Location.get(Location.code == ctx.branch.code)
    other, _ = Branch.get_or_create(code="HX02", defaults={"name": "城关分馆", "library_name": "某某县图书馆"})
    expiry = dt.date.today() + dt.timedelta(days=365)
    with ctx.db.atomic("IMMEDIATE"):
        bib = Bib.create(title="平凡的世界", author="路遥")
        Item.create(barcode="HX0100000959", bib=bib, home_location=here, current_location=here)
        Patron.create(card_number="HX0100001", name="李明", home_branch=ctx.branch, expiry_date=expiry)
        Patron.create(card_number="HX0200253", name="赵雪", home_branch=other, expiry_date=expiry)


def test_book_used_before_enrolment_reaches_the_hub(hub, make_branch):
    """Taken out, undone, checked in before enrolment; lent to another branch's reader after:
    the first sync gives the hub the copy, both readers and every loan, without a conflict."""
    branch = make_branch("HX01")
    with branch.use() as ctx:
        _history(ctx)
        lent = circulation.check_out(ctx, "HX0100001", "HX0100000959")
        circulation.undo(ctx, Transaction("check_out", "HX0100000959", loan_id=lent.loan.id))
        circulation.check_in(ctx, "HX0100000959")
    branch.enroll(hub)
    with branch.use() as ctx:
        later = circulation.check_out(ctx, "HX0200253", "HX0100000959")
    summary = branch.sync()

    assert summary.conflicts == 0, hub.admin.conflicts()
    assert [e.code for e in hub.admin.events() if e.result == "exception"] == []
    with branch.use():
        item_id = Item.get(Item.barcode == "HX0100000959").id
        reader = Patron.get(Patron.card_number == "HX0200253").id
    assert hub.admin.row("item", item_id)["status"] == "on_loan"
    assert hub.admin.row("patron", reader)["home_branch"] == "HX02"
    (open_loan,) = hub.admin.open_loans(item_id)
    assert open_loan.id == later.loan.id
    assert hub.admin.row("loan", lent.loan.id)["checked_in_at"] is not None
    with branch.use():
        assert Conflict.select().count() == 0


def test_open_loans_of_other_branches_readers_need_no_conflict(hub, make_branch):
    """The demo's first sync: loans from before enrolment to readers of 城关分馆 were sent
    without those readers, and each became 未知读者证 (CARD_NOT_FOUND)."""
    branch = make_branch("HX01")
    with branch.use() as ctx:
        _history(ctx)
        with ctx.db.atomic("IMMEDIATE"):
            from models import Loan

            item = Item.get(Item.barcode == "HX0100000959")
            reader = Patron.get(Patron.card_number == "HX0200253")
            Loan.create(item=item, patron=reader, location=item.home_location_id,
                        checked_out_at=dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=3),
                        due_date=dt.date.today() + dt.timedelta(days=27))
            Item.update(status="on_loan").where(Item.id == item.id).execute()
    branch.enroll(hub)
    summary = branch.sync()

    assert summary.conflicts == 0, hub.admin.conflicts()
    assert hub.admin.conflicts("CARD_NOT_FOUND") == []


def test_copies_the_hub_missed_are_sent_again_and_their_loans_applied(hub, make_branch):
    """A hub that already flagged ITEM_NOT_FOUND (an earlier version sent the loans and never
    the copy): the next sync sends the copy, the hub applies the loans and closes the conflicts."""
    branch = make_branch("HX01")
    with branch.use() as ctx:
        _history(ctx)
        # What the earlier version did: the first sync's publishing is over, this copy not in it.
        ReplicaState.insert(id=1).on_conflict_ignore().execute()
        ReplicaState.update(published_at=dt.datetime(2026, 1, 1)).execute()
        Patron.update(home_branch=ctx.branch).execute()  # both readers here, published the old way below
    branch.enroll(hub)
    with branch.use() as ctx:
        from sync.client import _append_events

        readers = [("patron.published", {"patron": {"id": p.id, "card_number": p.card_number, "name": p.name,
                                                    "home_branch": "HX01", "status": "active"}})
                   for p in Patron.select()]
        with ctx.db.atomic("IMMEDIATE"):
            _append_events(readers, "HX01", ctx.clock.now())
        lent = circulation.check_out(ctx, "HX0200253", "HX0100000959")
    first = branch.sync()
    assert first.conflicts == 1
    assert [c["code"] for c in hub.admin.conflicts()] == ["ITEM_NOT_FOUND"]

    second = branch.sync()

    assert [c["status"] for c in hub.admin.conflicts()] == ["resolved"]
    with branch.use():
        item_id = Item.get(Item.barcode == "HX0100000959").id
        assert Conflict.select().where(Conflict.status == "open").count() == 0
    (open_loan,) = hub.admin.open_loans(item_id)
    assert open_loan.id == lent.loan.id
    assert hub.admin.row("item", item_id)["status"] == "on_loan"
    assert second.published == 1
    assert branch.sync().published == 0  # sent again once, not at every sync
