"""Checks that a branch database agrees with the hub's projections (used by several tests)."""

from __future__ import annotations

import datetime as dt

from models import Item, Loan, Outbox, Patron


def _utc(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text.rstrip("Z"))


def differences(hub_items: dict, hub_loans: dict, hub_patrons: dict) -> list[str]:
    """What the bound branch database says differently from the hub (empty: converged)."""
    problems = []
    for item in Item.select():
        state = hub_items.get(item.id)
        if state is None:
            problems.append(f"item {item.barcode} unknown to the hub")
            continue
        if state["status"] != item.status:
            problems.append(f"item {item.barcode}: here {item.status}, hub {state['status']}")
        if state.get("current_location") and state["current_location"] != item.current_location.code:
            problems.append(f"item {item.barcode}: here at {item.current_location.code}, "
                            f"hub at {state['current_location']}")
    for loan in Loan.select():
        state = hub_loans.get(loan.id)
        if state is None:
            problems.append(f"loan {loan.id} unknown to the hub")
            continue
        if (state["checked_in_at"] is None) != (loan.checked_in_at is None):
            problems.append(f"loan {loan.id}: open here {loan.checked_in_at is None}, "
                            f"hub {state['checked_in_at'] is None}")
        if state.get("patron_id") != loan.patron_id:
            problems.append(f"loan {loan.id}: reader differs")
    for patron in Patron.select():
        state = hub_patrons.get(patron.id)
        if state is None:
            problems.append(f"reader {patron.card_number} unknown to the hub")
        elif state["card_number"] != patron.card_number:
            problems.append(f"reader {patron.id}: card {patron.card_number} here, {state['card_number']} at hub")
    return problems


def assert_converged(hub, branches) -> None:
    items, loans, patrons = (hub.admin.projection(kind) for kind in ("item", "loan", "patron"))
    all_events: list[str] = []
    for branch in branches:
        with branch.use():
            problems = differences(items, loans, patrons)
            assert problems == [], f"{branch.path.name}: {problems}"
            assert Outbox.select().where(Outbox.acked_at.is_null()).count() == 0
            all_events += [e.id for e in Outbox.select()]
            # Every loan the hub holds for an item this branch holds is here too.
            local_items = {i.id for i in Item.select(Item.id)}
            local_loans = {loan.id for loan in Loan.select(Loan.id)}
            for loan_id, state in loans.items():
                if state["item_id"] in local_items:
                    assert loan_id in local_loans, f"{branch.path.name} lacks loan {loan_id}"
    hub_events = [e.id for e in hub.admin.events()]
    assert len(hub_events) == len(set(hub_events)), "an event was stored twice"
    assert set(all_events) <= set(hub_events), "an acknowledged event is missing at the hub"
    open_per_item: dict[str, int] = {}
    for state in loans.values():
        if state["checked_in_at"] is None:
            open_per_item[state["item_id"]] = open_per_item.get(state["item_id"], 0) + 1
    assert all(n == 1 for n in open_per_item.values()), "an item has two open loans at the hub"
