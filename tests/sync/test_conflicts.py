"""SYNC.md's named conflict tests: the hub's fold decides, flags for staff, and every
database ends with the hub's state."""

from __future__ import annotations

import datetime as dt

import pytest

from models import Conflict, Hold, Item, Loan, Outbox, Patron
from tests.sync import desk


def _county(hub, make_branch):
    """Branch HXA with a copy and two readers, its book van (a second HXA device), branch HXB."""
    a = make_branch("HXA")
    van = make_branch("HXA", file="van.db")
    b = make_branch("HXB")
    for branch in (a, van, b):
        branch.enroll(hub)
    with a.use() as ctx:
        bib = desk.add_bib(ctx, "白鹿原", "陈忠实")
        desk.add_item(ctx, bib, "HXA0001")
        desk.add_patron(ctx, "C0001", "王芳")
        desk.add_patron(ctx, "C0002", "李雷")
    a.sync()
    van.sync()
    b.sync()
    return a, van, b


def _loans(branch) -> list[tuple]:
    with branch.use():
        return sorted(
            (loan.id, loan.item.barcode, loan.patron.card_number, loan.checked_in_at is None)
            for loan in Loan.select()
        )


def test_return_before_checkout_arrival(hub, make_branch):
    a, van, b = _county(hub, make_branch)
    with van.use() as ctx:
        loan = desk.check_out(ctx, "C0001", "HXA0001")  # the van is offline
    with b.use() as ctx:
        desk.check_in(ctx, "HXA0001")  # returned at B, which never saw the loan
    b.sync()
    item_id = loan.item_id
    assert hub.admin.open_loans(item_id) == []
    van.sync()
    hub_loan = hub.admin.row("loan", loan.id)
    assert hub_loan["checked_in_at"] is not None and hub_loan["closed_by"] == "return"
    assert hub_loan["checkin_location"] == "HXB"
    assert hub.admin.open_loans(item_id) == []
    assert hub.admin.conflicts("CHECKIN_WITHOUT_LOAN") == []
    item = hub.admin.row("item", item_id)
    assert item["status"] == "in_transit" and item["current_branch"] == "HXB"
    for branch in (a, van, b):
        branch.sync()
    with van.use():
        assert Loan.get_by_id(loan.id).checked_in_at is not None
        assert Item.get_by_id(item_id).status == "in_transit"
    with a.use():
        assert Item.get_by_id(item_id).status == "in_transit"


@pytest.mark.parametrize("first", ["van", "branch"])
def test_two_offline_checkouts_same_item(hub, make_branch, first):
    a, van, b = _county(hub, make_branch)
    with van.use() as ctx:
        early = desk.check_out(ctx, "C0001", "HXA0001")
    van.clock.skew -= dt.timedelta(seconds=0)  # same clock; A lends a moment later
    with a.use() as ctx:
        late = desk.check_out(ctx, "C0002", "HXA0001")
    order = [van, a] if first == "van" else [a, van]
    for branch in order:
        branch.sync()
    open_loans = hub.admin.open_loans(early.item_id)
    assert [loan.id for loan in open_loans] == [late.id]
    closed = hub.admin.row("loan", early.id)
    assert closed["closed_by"] == "implied_by_checkout"
    assert closed["checked_in_at"] == hub.admin.row("loan", late.id)["checked_out_at"]
    [conflict] = hub.admin.conflicts("OPEN_LOAN_EXISTS")
    assert {side["card_number"] for side in conflict["sides"]} == {"C0001", "C0002"}
    for branch in (a, van, a, van):
        branch.sync()
    assert _loans(a) == _loans(van)
    with van.use():
        assert Conflict.get(Conflict.code == "OPEN_LOAN_EXISTS").status == "open"
        assert Loan.get_by_id(early.id).checked_in_at is not None


def test_duplicate_card_registration(hub, two_branches):
    a, b = two_branches
    with a.use() as ctx:
        first = desk.add_patron(ctx, "X0001", "张三")
    with b.use() as ctx:
        second = desk.add_patron(ctx, "X0001", "李四")  # same card number, later, offline
    b.sync()  # the later registration reaches the hub first
    a.sync()
    b.sync()
    patrons = hub.admin.projection("patron")
    assert patrons[first.id]["card_number"] == "X0001"
    assert patrons[second.id]["card_number"].startswith("X0001~")
    [conflict] = hub.admin.conflicts("DUPLICATE_CARD")
    assert set(conflict["branches"]) == {"HXA", "HXB"}
    for branch in (a, b):
        with branch.use():
            cards = {p.id: p.card_number for p in Patron.select()}
            assert cards[first.id] == "X0001"
            assert cards[second.id] == patrons[second.id]["card_number"]
            assert Conflict.select().where(Conflict.code == "DUPLICATE_CARD").count() == 1


def test_same_id_number_at_two_branches(hub, two_branches):
    a, b = two_branches
    with a.use() as ctx:
        desk.add_patron(ctx, "A0001", "赵敏", id_hash="h-123")
    with b.use() as ctx:
        desk.add_patron(ctx, "B0001", "赵敏", id_hash="h-123")
    a.sync()
    b.sync()
    [conflict] = hub.admin.conflicts("POSSIBLE_DUPLICATE_PATRON")
    assert {s["card_number"] for s in conflict["sides"]} == {"A0001", "B0001"}
    assert "merge" in conflict["actions"]


def test_hold_captured_twice(hub, make_branch):
    a = make_branch("HXA")
    van = make_branch("HXA", file="van.db")
    for branch in (a, van):
        branch.enroll(hub)
    with a.use() as ctx:
        bib = desk.add_bib(ctx, "围城", "钱钟书")
        desk.add_item(ctx, bib, "HXA0001")
        desk.add_item(ctx, bib, "HXA0002")
        desk.add_patron(ctx, "C0001", "王芳")
        hold = desk.place_hold(ctx, "C0001", bib)
    a.sync()
    van.sync()
    with van.use() as ctx:
        assert Hold.get_by_id(hold.id).status == "waiting"
        desk.capture_hold(ctx, hold.id, "HXA0001")  # earlier, at the van
    with a.use() as ctx:
        desk.capture_hold(ctx, hold.id, "HXA0002")  # later, at the branch desk
    a.sync()
    van.sync()
    state = hub.admin.row("hold", hold.id)
    assert state["status"] == "ready" and state["barcode"] == "HXA0001"  # the earlier capture wins
    [conflict] = hub.admin.conflicts("HOLD_CAPTURE_CONFLICT")
    assert {s["barcode"] for s in conflict["sides"]} == {"HXA0001", "HXA0002"}
    items = {i["barcode"]: i for i in hub.admin.projection("item").values()}
    assert items["HXA0002"]["status"] == "available"  # routed back to the shelf
    for branch in (a, van):
        branch.sync()
    for branch in (a, van):
        with branch.use():
            assert Hold.get_by_id(hold.id).item.barcode == "HXA0001"
            assert Item.get(Item.barcode == "HXA0002").status == "available"


def test_checkin_of_unknown_item_is_kept_and_flagged_later(hub, make_branch):
    from sync.hub import fold

    b = make_branch("HXB")
    b.enroll(hub)
    with b.use() as ctx:
        desk.check_in(ctx, "NOSUCH01")
    b.sync()
    [conflict] = hub.admin.conflicts("ITEM_NOT_FOUND")
    assert "NOSUCH01" in conflict["note"]
    assert fold.CHECKIN_WITHOUT_LOAN_AFTER.days >= 1
    assert any(e.type == "loan.checked_in" for e in hub.admin.events())


def test_resolution_syncs_to_every_branch(hub, make_branch):
    from countylib.conflicts import resolve_conflict

    a, van, b = _county(hub, make_branch)
    with van.use() as ctx:
        desk.check_out(ctx, "C0001", "HXA0001")
    with a.use() as ctx:
        desk.check_out(ctx, "C0002", "HXA0001")
    van.sync()
    a.sync()
    with a.use() as ctx:
        conflict = Conflict.get(Conflict.code == "OPEN_LOAN_EXISTS")
        resolve_conflict(ctx, conflict.id, "check_shelf", note="找到了")
        assert Conflict.get_by_id(conflict.id).status == "resolved"
    a.sync()
    van.sync()
    with van.use():
        resolved = Conflict.get_by_id(conflict.id)
        assert resolved.status == "resolved"
        assert resolved.data["resolution"]["action"] == "check_shelf"


def test_renewals_over_the_limit_offline(hub, make_branch):
    from countylib.circulation import renew
    from countylib.conflicts import conflict_lines

    a, van, b = _county(hub, make_branch)
    with a.use() as ctx:
        loan = desk.check_out(ctx, "C0001", "HXA0001", days=1)
    a.sync()
    van.sync()
    # Both offline; each desk allows the one renewal of the default rule, so each agrees.
    with a.use() as ctx:
        assert renew(ctx, "HXA0001").renewals == 1
    with van.use() as ctx:
        assert Loan.get_by_id(loan.id).renewals == 0
        assert renew(ctx, "HXA0001").renewals == 1
    a.sync()
    assert hub.admin.conflicts("MAX_RENEWALS_REACHED") == []
    van.sync()
    [conflict] = hub.admin.conflicts("MAX_RENEWALS_REACHED")
    assert conflict["item"]["barcode"] == "HXA0001" and conflict["patron"]["card_number"] == "C0001"
    assert [(s["renewal"], s["max_renewals"]) for s in conflict["sides"]] == [(1, 1), (2, 1)]
    assert len({s["device_id"] for s in conflict["sides"]}) == 2
    hub_loan = hub.admin.row("loan", loan.id)
    assert hub_loan["renewal_count"] == 2 and hub_loan["checked_in_at"] is None  # the renewal stands
    a.sync()
    with a.use():
        [line] = [line for line in conflict_lines() if line.code == "MAX_RENEWALS_REACHED"]
        assert line.barcode == "HXA0001" and len(line.sides) == 2 and line.actions == ("accept",)


def test_renewal_from_an_old_client_is_not_flagged(hub, make_branch):
    a, van, b = _county(hub, make_branch)
    with a.use() as ctx:
        loan = desk.check_out(ctx, "C0001", "HXA0001", days=1)
    a.sync()
    for branch in (a, van, a):
        with branch.use() as ctx, ctx.db.atomic("IMMEDIATE"):
            # What clients before the limit field recorded for a renewal.
            ctx.record("loan.renewed", {"loan_id": loan.id, "barcode": "HXA0001", "card_number": "C0001",
                                        "due_date": "2099-01-01", "renewals": 1, "renewed_at": "2026-01-01T00:00:00Z"})
        branch.sync()
    assert hub.admin.row("loan", loan.id)["renewal_count"] == 3
    assert hub.admin.conflicts("MAX_RENEWALS_REACHED") == []


def test_undone_renewal_comes_off_the_hubs_count(hub, make_branch):
    """Renewed at A and undone there: the hub counts no renewal, so the van's renewal later is
    the loan's first and within the limit of one."""
    from countylib.circulation import Transaction, renew, undo

    a, van, _ = _county(hub, make_branch)
    with a.use() as ctx:
        loan = desk.check_out(ctx, "C0001", "HXA0001", days=1)
    a.sync()
    van.sync()
    with a.use() as ctx:
        renewal = renew(ctx, "HXA0001")
        undo(ctx, Transaction("renew", "HXA0001", "白鹿原", "C0001", loan_id=loan.id,
                              previous_due_date=renewal.previous_due_date, previous_renewals=0))
        here = Loan.get_by_id(loan.id)
        assert here.renewals == 0
    a.sync()
    hub_loan = hub.admin.row("loan", loan.id)
    assert (hub_loan["renewal_count"], hub_loan["renewals"], hub_loan["renewal_log"]) == (0, 0, [])
    assert hub_loan["due_date"] == here.due_date.isoformat()
    with van.use() as ctx:
        renew(ctx, "HXA0001")
    van.sync()
    assert hub.admin.row("loan", loan.id)["renewal_count"] == 1
    assert hub.admin.conflicts("MAX_RENEWALS_REACHED") == []


def test_undone_renewal_from_an_old_client_counts_once(hub, make_branch):
    """Desks before the fix undid a renewal with a loan.renewed putting the due date back, then
    the loan.corrected: the pair takes the renewal back and is no renewal itself, even when the
    two reach the hub in different pushes."""
    from countylib.circulation import renew

    a, van, _ = _county(hub, make_branch)
    with a.use() as ctx:
        loan = desk.check_out(ctx, "C0001", "HXA0001", days=1)
    a.sync()
    with a.use() as ctx:
        previous = renew(ctx, "HXA0001").previous_due_date.isoformat()
    with van.use() as ctx:
        van.sync()
        renew(ctx, "HXA0001")  # another desk's renewal in between: it stays counted
    van.sync()
    with a.use() as ctx, ctx.db.atomic("IMMEDIATE"):
        ctx.record("loan.renewed", {"loan_id": loan.id, "barcode": "HXA0001", "card_number": "C0001",
                                    "due_date": previous, "renewals": 0, "renewed_at": "2026-01-01T00:00:00Z"})
    a.sync()
    with a.use() as ctx, ctx.db.atomic("IMMEDIATE"):
        ctx.record("loan.corrected", {"loan_id": loan.id, "barcode": "HXA0001", "card_number": "C0001",
                                      "undid": "renew", "due_date": previous, "renewals": 0, "open": True,
                                      "corrected_at": "2026-01-01T00:00:01Z"})
    a.sync()
    with van.use():
        [vans] = Outbox.select().where(Outbox.type == "loan.renewed")
    hub_loan = hub.admin.row("loan", loan.id)
    assert hub_loan["renewal_count"] == 1
    assert [s["event_id"] for s in hub_loan["renewal_log"]] == [vans.id]


def test_unreadable_payload_changes_nothing(hub, make_branch):
    """A handler that fails halfway leaves every row as the batch's previous event left it."""
    a = make_branch("HXA")
    a.enroll(hub)
    with a.use() as ctx:
        bib = desk.add_bib(ctx, "白鹿原", "陈忠实")
        item = desk.add_item(ctx, bib, "HXA0001")
    a.sync()
    with a.use() as ctx, ctx.db.atomic("IMMEDIATE"):
        # One batch: a change, then a re-statement of the copy that fails after changing it
        # in memory (no barcode), then a check-in that changes the copy again.
        ctx.record("item.status_changed", {"item_id": item.id, "barcode": "HXA0001", "status": "damaged"})
        ctx.record("item.accessioned", {"item": {"id": item.id, "call_number": "I 247.5/HALF",
                                                 "home_location": "NEWPLACE"}})
    with a.use() as ctx:
        desk.check_in(ctx, "HXA0001")
    summary = a.sync()
    assert summary.exceptions == 1
    [conflict] = hub.admin.conflicts("INVALID_PAYLOAD")
    assert "KeyError" in conflict["note"]
    state = hub.admin.row("item", item.id)
    assert state["status"] == "available" and state["call_number"] == ""
    assert hub.admin.row("location", "NEWPLACE") is None
