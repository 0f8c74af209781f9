"""The lending rules: which rule applies, when a loan is due, and what blocks a loan.

The rule matrix is branch × patron category × item type; a missing part means "any". The
most specific rule wins, in this order (1 = the part is given):

    branch+category+type, branch+category, branch+type, branch,
    category+type, category, type, the default rule (always present).

Under borrow-anywhere-return-anywhere a setting says whose branch picks the rule: the
desk's (where the loan happens), the patron's home branch, or the item's home branch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from countylib.audit import record_audit
from countylib.calendar import next_open_day
from countylib.context import ServiceContext, service
from countylib.desk_sql import LOCATION_BRANCH, OPEN_LOANS_OF_PATRON, RULE_CANDIDATES, fetch_all, rows, scalar
from countylib.errors import NotFound, RuleViolation, ValidationError
from countylib.i18n import N_, _, format_date, ngettext
from countylib.roles import ADMIN
from countylib.settings import SettingSpec, register_settings
from models import Branch, CirculationRule, Item, Location, Patron

RULE_BRANCH_CHOICES = ("desk", "patron", "item")

register_settings(
    SettingSpec(
        "circulation_rule_branch",
        "desk",
        N_("Whose branch picks the lending rule: the desk's, the patron's or the item's"),
        choices=RULE_BRANCH_CHOICES,
        labels={"desk": N_("the desk's branch"), "patron": N_("the reader's home branch"), "item": N_("the item's branch")},
    ),
    SettingSpec("overdue_items_block", 1, N_("Overdue items that stop further borrowing (0: never)")),
    SettingSpec("fines_enabled", False, N_("Charge fines for overdue items"), choices=(False, True)),
    SettingSpec("fine_block_cents", 1000, N_("Fines (in fen) at which borrowing stops")),
    SettingSpec("lost_after_days", 90, N_("Days overdue after which an item counts as lost")),
    SettingSpec("floating_collection", False, N_("Floating collection: returned items stay where they are returned"), choices=(False, True)),
)

RULE_FIELDS = (
    "loan_days",
    "max_items",
    "renewals",
    "renewal_days",
    "holds_allowed",
    "fine_per_day_cents",
    "fine_cap_cents",
    "loanable",
)


# -- which rule ---------------------------------------------------------------------------


def specificity(rule: CirculationRule) -> tuple[bool, bool, bool]:
    """Sorts the eight lookup levels: (branch, category, type) given, compared as booleans."""
    return (rule.branch_id is not None, rule.patron_category is not None, rule.item_type is not None)


def pick_rule(candidates: Iterable[CirculationRule]) -> CirculationRule | None:
    return max(candidates, key=specificity, default=None)


def find_rule(branch_id: str | None, category: str | None, item_type: str | None) -> CirculationRule:
    """The most specific rule for this cell of the matrix (one statement)."""
    rule = pick_rule(fetch_all(CirculationRule, RULE_CANDIDATES, (branch_id, category, item_type)))
    if rule is None:
        # initialize_library always makes the default rule; only a damaged database lacks it.
        return CirculationRule(branch=None, patron_category=None, item_type=None)
    return rule


def rule_branch_id(setting: str, desk: Location, patron: Patron, item: Item) -> str:
    if setting == "patron":
        return patron.home_branch_id
    if setting == "item":
        return scalar(LOCATION_BRANCH, (item.home_location_id,))
    return desk.branch_id


def rule_for(desk: Location, patron: Patron, item: Item, setting: str = "desk") -> CirculationRule:
    return find_rule(rule_branch_id(setting, desk, patron, item), patron.category, item.item_type)


def due_date(branch_id: str, today: dt.date, days: int) -> dt.date:
    """``days`` after today, moved forward to the branch's next open day."""
    return next_open_day(branch_id, today + dt.timedelta(days=days))


def fine_for(days_overdue: int, rule: CirculationRule) -> int:
    if days_overdue <= 0 or rule.fine_per_day_cents <= 0:
        return 0
    fine = days_overdue * rule.fine_per_day_cents
    return min(fine, rule.fine_cap_cents) if rule.fine_cap_cents > 0 else fine


# -- blocks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One reason a loan (or renewal) is refused. Some a librarian may override."""

    code: str
    msgid: str
    params: dict = field(default_factory=dict)
    overridable: bool = True

    @property
    def message(self) -> str:
        text = _(self.msgid)
        return text.format(**self.params) if self.params else text


class Blocked(RuleViolation):
    """The rules refuse; ``blocks`` lists every reason, so the desk can show them all at once."""

    def __init__(self, blocks: list[Block]) -> None:
        super().__init__(blocks[0].msgid, **blocks[0].params)
        self.blocks = blocks

    @property
    def message(self) -> str:
        return " ".join(block.message for block in self.blocks)

    @property
    def overridable(self) -> bool:
        return all(block.overridable for block in self.blocks)


@dataclass(frozen=True)
class PatronStanding:
    """What the desk needs to know about a reader's record before lending."""

    open_loans: int
    overdue_items: int
    fines_cents: int


def patron_standing(patron: Patron, today: dt.date, fines_enabled: bool) -> PatronStanding:
    """Counts over the reader's open loans (lost items are not "overdue": they are lost)."""
    open_loans = overdue = fines = 0
    for stored_due, status, item_type in rows(OPEN_LOANS_OF_PATRON, (patron.id,)):
        due = dt.date.fromisoformat(stored_due)
        open_loans += 1
        if due < today and status != "lost":
            overdue += 1
            if fines_enabled:
                rule = find_rule(patron.home_branch_id, patron.category, item_type)
                fines += fine_for((today - due).days, rule)
    return PatronStanding(open_loans, overdue, fines)


def card_blocks(patron: Patron, today: dt.date) -> list[Block]:
    """Blocks from the card itself (expired, suspended, returned, erased)."""
    blocks: list[Block] = []
    if patron.status == "erased":
        blocks.append(Block("card_erased", N_("This reader's record was erased; the card cannot be used."), overridable=False))
    elif patron.status == "returned":
        # Handed back: the reader has left the library, so there is no one to lend to.
        blocks.append(
            Block("card_returned", N_("Card {card} was handed back; it is no longer valid."), {"card": patron.card_number}, overridable=False)
        )
    elif patron.status == "suspended":
        blocks.append(Block("card_suspended", N_("Card {card} is suspended."), {"card": patron.card_number}))
    if patron.expiry_date is not None and patron.expiry_date < today:
        blocks.append(
            Block("card_expired", N_("The card expired on {date}."), {"date": format_date(patron.expiry_date)})
        )
    return blocks


def patron_blocks(patron: Patron, today: dt.date, standing: PatronStanding, settings: dict) -> list[Block]:
    """Everything on the reader's record that stops new loans."""
    blocks = card_blocks(patron, today)
    limit = int(settings.get("overdue_items_block") or 0)
    if limit > 0 and standing.overdue_items >= limit:
        blocks.append(
            Block(
                "too_many_overdue",
                N_("{name} has {n} overdue item(s); they must come back first."),
                {"name": patron.name, "n": standing.overdue_items},
            )
        )
    if settings.get("fines_enabled") and standing.fines_cents >= int(settings.get("fine_block_cents") or 0) > 0:
        blocks.append(
            Block(
                "fines_owed",
                N_("{name} owes {amount} yuan in fines."),
                {"name": patron.name, "amount": f"{standing.fines_cents / 100:.2f}"},
            )
        )
    return blocks


def describe_overdue(days: int) -> str:
    return ngettext("{n} day overdue", "{n} days overdue", days).format(n=days)


def ensure_rule_parts(branch_code: str | None, item_type: str | None) -> Branch | None:
    if item_type is not None and item_type not in Item.TYPES:
        raise ValidationError("Unknown item type {type}.", type=item_type)
    if branch_code is None:
        return None
    branch = Branch.get_or_none(Branch.code == branch_code)
    if branch is None:
        raise ValidationError("There is no branch {code}.", code=branch_code)
    return branch


def rule_payload(rule: CirculationRule) -> dict:
    branch = Branch.get_by_id(rule.branch_id).code if rule.branch_id else None
    return {
        "rule_id": rule.id,
        "branch": branch,
        "patron_category": rule.patron_category,
        "item_type": rule.item_type,
        **{name: getattr(rule, name) for name in RULE_FIELDS},
    }


@service(ADMIN)
def save_rule(
    ctx: ServiceContext,
    *,
    branch_code: str | None = None,
    patron_category: str | None = None,
    item_type: str | None = None,
    **values: int | bool,
) -> CirculationRule:
    """Create or change one cell of the rule matrix (admins, in Settings)."""
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError("Unknown rule field {field}.", field=", ".join(sorted(unknown)))
    for name, value in values.items():
        if name != "loanable" and (not isinstance(value, int) or value < 0):
            raise ValidationError("{field} must be a whole number, 0 or more.", field=name)
    if values.get("loan_days", 1) == 0 and values.get("loanable", True):
        raise ValidationError("A loanable rule needs at least one loan day.")
    branch = ensure_rule_parts(branch_code, item_type)
    category = patron_category.strip() if patron_category else None
    rule = CirculationRule.get_or_none(
        CirculationRule.branch.is_null() if branch is None else CirculationRule.branch == branch,
        CirculationRule.patron_category.is_null() if category is None else CirculationRule.patron_category == category,
        CirculationRule.item_type.is_null() if item_type is None else CirculationRule.item_type == item_type,
    )
    old = rule_payload(rule) if rule else None
    if rule is None:
        rule = CirculationRule(branch=branch, patron_category=category, item_type=item_type)
    for name, value in values.items():
        setattr(rule, name, value)
    rule.save(force_insert=old is None)
    payload = rule_payload(rule)
    record_audit(ctx, "rule.saved", "circulation_rule", rule.id, old=old, new=payload)
    ctx.record("rule.saved", {"rule": payload})
    return rule


@service(ADMIN)
def delete_rule(ctx: ServiceContext, rule_id: str) -> None:
    rule = CirculationRule.get_or_none(CirculationRule.id == rule_id)
    if rule is None:
        raise NotFound("There is no such lending rule.")
    if rule.branch_id is None and rule.patron_category is None and rule.item_type is None:
        raise RuleViolation("The default rule cannot be deleted; change it instead.")
    payload = rule_payload(rule)
    rule.delete_instance()
    record_audit(ctx, "rule.deleted", "circulation_rule", rule_id, old=payload)
    ctx.record("rule.deleted", {"rule_id": rule_id})


# Sensible starting rules: reference and local-history stay in the building, periodicals
# go out for two weeks. The default rule (30 days, 10 items, 1 renewal) comes with setup.
DEFAULT_RULES = (
    {"item_type": "reference", "loanable": False},
    {"item_type": "local_history", "loanable": False},
    {"item_type": "periodical", "loan_days": 14, "renewals": 0, "renewal_days": 14},
)


def seed_default_rules(ctx: ServiceContext) -> int:
    """Add the starting rules that are not there yet (setup and demo data call this)."""
    added = 0
    for values in DEFAULT_RULES:
        values = dict(values)
        item_type = values.pop("item_type")
        exists = CirculationRule.select().where(
            CirculationRule.branch.is_null(),
            CirculationRule.patron_category.is_null(),
            CirculationRule.item_type == item_type,
        ).exists()
        if not exists:
            save_rule(ctx, item_type=item_type, **values)
            added += 1
    return added

