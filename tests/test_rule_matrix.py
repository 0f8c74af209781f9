"""The rule matrix as Settings lists it: the lookup's order, the default rule last."""

from __future__ import annotations

from countylib.rule_matrix import branch_choices, is_default, item_type_label, list_rules
from countylib.rules import save_rule
from models import Branch


def test_rules_list_in_lookup_order(library):
    save_rule(library, item_type="book", loan_days=21)
    save_rule(library, patron_category="child", loan_days=20, max_items=5)
    save_rule(library, branch_code="HX01", patron_category="child", loan_days=14)
    save_rule(library, patron_category="child", item_type="av", loan_days=7)
    parts = [(r.branch.code if r.branch_id else None, r.patron_category, r.item_type) for r in list_rules()]
    assert parts[-1] == (None, None, None) and is_default(list_rules()[-1])
    assert not any(is_default(r) for r in list_rules()[:-1])
    assert parts.index(("HX01", "child", None)) < parts.index((None, "child", "av")) < parts.index((None, "child", None))
    assert parts.index((None, "child", None)) < parts.index((None, None, "book"))


def test_branch_choices_are_every_branch_by_code(library):
    Branch.create(code="QT02", name="other")
    Branch.create(code="AB01", name="东关分馆")
    assert [b.code for b in branch_choices()] == ["AB01", "HX01", "QT02"]


def test_item_types_have_names():
    assert item_type_label("local_history") == "Local history"
    assert item_type_label("comics") == "comics"  # a type added later still shows
