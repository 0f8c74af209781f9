"""Desk work that moves a copy without lending it, as the hub applies it: a copy scanned back
that was not on loan, and deposit collections sent to a reading point and taken back."""

from __future__ import annotations

import datetime as dt

from countylib.circulation import check_in
from countylib.deposits import send_deposit, take_back
from countylib.locations import PlaceDraft, add_location
from models import Item, Loan
from tests.sync import desk


def _age_parked_returns(hub, days: int = 4) -> int:
    """Make every return waiting at the hub look ``days`` old (the hub flags them after 3)."""
    from sync.hub.storage import ParkedReturn, utcnow

    return hub.admin.query(
        lambda: ParkedReturn.update(received_at=utcnow() - dt.timedelta(days=days)).execute()
    )


def _branch_with_a_copy(hub, make_branch):
    a = make_branch("HXA")
    van = make_branch("HXA", file="van.db")
    for branch in (a, van):
        branch.enroll(hub)
    with a.use() as ctx:
        bib = desk.add_bib(ctx, "白鹿原", "陈忠实")
        desk.add_item(ctx, bib, "HXA0001")
        desk.add_patron(ctx, "C0001", "王芳")
    a.sync()
    van.sync()
    return a, van


def test_shelf_copy_checked_in_is_no_return_for_the_hub(hub, make_branch):
    """Scanned in Return mode from the shelf: the desk says it was not on loan, and the hub
    waits for no check-out, so no CHECKIN_WITHOUT_LOAN three days later."""
    a, _ = _branch_with_a_copy(hub, make_branch)
    with a.use() as ctx:
        result = check_in(ctx, "HXA0001")
        assert (result.loan, result.outcome, result.previous_status) == (None, "shelved", "available")
    a.sync()
    assert _age_parked_returns(hub) == 0
    with a.use() as ctx:
        desk.add_patron(ctx, "C0002", "李雷")  # any later push runs the hub's check for old returns
    a.sync()
    assert hub.admin.conflicts("CHECKIN_WITHOUT_LOAN") == []
    assert hub.admin.conflicts() == []
    item = hub.admin.row("item", result.item.id)
    assert (item["status"], item["current_location"]) == ("available", "HXA")


def test_shelf_scan_still_closes_a_loan_this_desk_had_not_heard_of(hub, make_branch):
    """The van lent the copy and synced; this PC had not synced since, so the copy looked on the
    shelf here. The hub knows the loan: the check-in is its return."""
    a, van = _branch_with_a_copy(hub, make_branch)
    with van.use() as ctx:
        loan = desk.check_out(ctx, "C0001", "HXA0001")
    van.sync()
    with a.use() as ctx:
        assert check_in(ctx, "HXA0001").loan is None
    a.sync()
    hub_loan = hub.admin.row("loan", loan.id)
    assert hub_loan["checked_in_at"] is not None and hub_loan["closed_by"] == "return"
    assert hub.admin.open_loans(loan.item_id) == []
    van.sync()
    with van.use():
        assert Loan.get_by_id(loan.id).checked_in_at is not None


def test_return_of_a_loan_made_elsewhere_still_waits_for_its_check_out(hub, make_branch):
    """A copy this PC knows is on loan, with the loan at another branch (通借通还), or one it never
    saw: a real return, which the hub keeps until the check-out arrives."""
    a, _ = _branch_with_a_copy(hub, make_branch)
    with a.use() as ctx:
        Item.update(status="on_loan").where(Item.barcode == "HXA0001").execute()  # as the hub had said
        assert check_in(ctx, "HXA0001").previous_status == "on_loan"
        check_in(ctx, "QT02B77")  # never seen here
    a.sync()
    assert _age_parked_returns(hub) == 1  # the unknown copy is ITEM_NOT_FOUND, not parked
    with a.use() as ctx:
        desk.add_patron(ctx, "C0002", "李雷")
    a.sync()
    assert len(hub.admin.conflicts("CHECKIN_WITHOUT_LOAN")) == 1


def test_deposit_collection_moves_copies_at_the_hub(hub, make_branch):
    a, van = _branch_with_a_copy(hub, make_branch)
    with a.use() as ctx:
        add_location(ctx, PlaceDraft(code="RP-DC", name="东村阅读点", kind="reading_point", host_organisation="东村村委会"))
        send_deposit(ctx, "RP-DC", ["HXA0001"])
        item_id = Item.get(Item.barcode == "HXA0001").id
    a.sync()
    item = hub.admin.row("item", item_id)
    assert (item["status"], item["current_location"], item["current_branch"]) == ("available", "RP-DC", "HXA")
    van.sync()
    with van.use():
        assert Item.get_by_id(item_id).current_location.code == "RP-DC"
    with a.use() as ctx:
        take_back(ctx, ["HXA0001"])
    a.sync()
    item = hub.admin.row("item", item_id)
    assert (item["status"], item["current_location"]) == ("available", "HXA")
    van.sync()
    with van.use():
        assert Item.get_by_id(item_id).current_location.code == "HXA"
    assert hub.admin.conflicts() == []
