"""SYNC.md: "a card number that was replaced". A reader reports the card lost at the branch;
the book van, offline, still lends on the old card. Whichever reaches the hub first, the
hub flags REPLACED_CARD_USED once, the loan stands, and both places see the conflict."""

from __future__ import annotations

import pytest

from countylib.patrons import replace_card
from models import Conflict, Loan, Patron
from tests.sync import desk
from tests.sync.test_conflicts import _county


@pytest.mark.parametrize("first", ["branch", "van"])
def test_replaced_card_used_offline(hub, make_branch, first):
    a, van, b = _county(hub, make_branch)
    with a.use() as ctx:
        reader = Patron.get(Patron.card_number == "C0001")
        replace_card(ctx, reader.id, "C0009", reason="lost")
    with van.use() as ctx:
        loan = desk.check_out(ctx, "C0001", "HXA0001")  # the van has not heard of the new card
    for branch in ([a, van] if first == "branch" else [van, a]):
        branch.sync()
    [conflict] = hub.admin.conflicts("REPLACED_CARD_USED")
    assert conflict["patron"]["id"] == reader.id
    assert conflict["item"]["barcode"] == "HXA0001"
    [side] = conflict["sides"]
    assert side["card_number"] == "C0001" and side["loan_id"] == loan.id
    assert hub.admin.row("loan", loan.id)["checked_in_at"] is None  # the loan stands
    for branch in (a, van, a, van):
        branch.sync()
    for branch in (a, van):
        with branch.use():
            assert Conflict.select().where(Conflict.code == "REPLACED_CARD_USED").count() == 1
            assert Loan.get_by_id(loan.id).patron.card_number == "C0009"


def test_the_new_card_and_loans_before_the_replacement_are_not_flagged(hub, make_branch):
    a, van, b = _county(hub, make_branch)
    with van.use() as ctx:
        before = desk.check_out(ctx, "C0001", "HXA0001")  # lent on the old card while it was good
    van.sync()
    with a.use() as ctx:
        reader = Patron.get(Patron.card_number == "C0001")
        replace_card(ctx, reader.id, "C0009", reason="lost")
    a.sync()
    van.sync()
    with van.use() as ctx:
        desk.check_in(ctx, "HXA0001")
        desk.check_out(ctx, "C0009", "HXA0001")
    van.sync()
    assert hub.admin.conflicts("REPLACED_CARD_USED") == []
    assert hub.admin.row("loan", before.id)["checked_in_at"] is not None
