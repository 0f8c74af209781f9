"""The lending-rule matrix as Settings shows it: every rule in the order the lookup tries
them, and names for the parts of a rule (changes go through ``rules.save_rule``)."""

from __future__ import annotations

from peewee import JOIN

from countylib.i18n import N_, _
from countylib.rules import specificity
from models import Branch, CirculationRule

ITEM_TYPE_LABELS = {
    "book": N_("Book"),
    "periodical": N_("Periodical"),
    "reference": N_("Reference book"),
    "local_history": N_("Local history"),
    "av": N_("Audio-visual"),
    "children": N_("Children's book"),
}


def item_type_label(code: str) -> str:
    return _(ITEM_TYPE_LABELS[code]) if code in ITEM_TYPE_LABELS else code


def is_default(rule: CirculationRule) -> bool:
    return not any(specificity(rule))


def branch_choices() -> list[Branch]:
    """Every branch a rule can name, by code (the matrix also holds rules for other branches)."""
    return list(Branch.select().order_by(Branch.code))


def list_rules() -> list[CirculationRule]:
    """Most specific first, as ``rules.find_rule`` picks them; the default rule last."""
    rules = CirculationRule.select(CirculationRule, Branch).join(Branch, on=CirculationRule.branch == Branch.id, join_type=JOIN.LEFT_OUTER)
    return sorted(
        rules,
        key=lambda r: (
            tuple(not part for part in specificity(r)),
            r.branch.code if r.branch_id else "",
            r.patron_category or "",
            r.item_type or "",
        ),
    )
