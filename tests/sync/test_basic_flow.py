"""The ordinary path: enrol, push, pull, converge."""

from __future__ import annotations

from models import Item, Loan, Outbox, Patron
from tests.sync import desk


def test_two_branches_converge(hub, two_branches):
    a, b = two_branches
    with a.use() as ctx:
        bib = desk.add_bib(ctx, "红楼梦", "曹雪芹")
        desk.add_item(ctx, bib, "A0001")
        desk.add_patron(ctx, "P0001", "张三")
        desk.check_out(ctx, "P0001", "A0001")
    summary = a.sync()
    assert summary.pushed >= 5
    with a.use():
        assert Outbox.select().where(Outbox.acked_at.is_null()).count() == 0
    b.sync()
    with b.use():
        assert Patron.get(Patron.card_number == "P0001").name == "张三"
    with b.use():
        assert Item.select().count() == 0  # A's copies stay A's business (scoped), its readers do not
    with a.use():
        loan = Loan.get()
        assert Item.get(Item.barcode == "A0001").status == "on_loan"
    assert hub.admin.open_loans(loan.item_id)[0].id == loan.id
