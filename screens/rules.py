"""The lending-rule matrix (Settings): every rule in the order the lookup tries them, add /
change / delete through the rule form, and a tester that shows which rule a loan would get.

Librarians may look and test; changing a rule needs an administrator, which the services
decide — the screen asks the same check first so nobody fills in a form for nothing.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Label, Select, Static

from countylib.errors import CountyLibError
from countylib.i18n import N_, _
from countylib.patrons import categories, category_label
from countylib.roles import ADMIN
from countylib.rule_matrix import ITEM_TYPE_LABELS, branch_choices, is_default, item_type_label, list_rules
from countylib.rules import delete_rule, find_rule
from countylib.settings import get_setting
from screens.base import AreaScreen
from screens.confirm import ConfirmDialog
from screens.rule_form import RuleForm, yuan

COLUMNS = (
    N_("Branch"),
    N_("Category"),
    N_("Item type"),
    N_("Days"),
    N_("Items"),
    N_("Renewals"),
    N_("Renew days"),
    N_("Holds"),
    N_("Fine/day"),
    N_("Fine cap"),
    N_("Loanable"),
)
WHOSE_BRANCH = {
    "desk": N_("the desk's branch"),
    "patron": N_("the reader's home branch"),
    "item": N_("the item's home branch"),
}


def describe_parts(rule) -> str:
    """"HX01 · Child · any item type": the cell a rule covers, in words."""
    return " · ".join(
        (
            rule.branch.code if rule.branch_id else _("any branch"),
            category_label(rule.patron_category) if rule.patron_category else _("any category"),
            item_type_label(rule.item_type) if rule.item_type else _("any item type"),
        )
    )


def rule_row(rule) -> tuple[str, ...]:
    return (
        rule.branch.code if rule.branch_id else _("any"),
        category_label(rule.patron_category) if rule.patron_category else _("any"),
        item_type_label(rule.item_type) if rule.item_type else _("any"),
        str(rule.loan_days),
        str(rule.max_items),
        str(rule.renewals),
        str(rule.renewal_days),
        str(rule.holds_allowed),
        yuan(rule.fine_per_day_cents),
        yuan(rule.fine_cap_cents),
        _("yes") if rule.loanable else _("no"),
    )


class RulesScreen(AreaScreen):
    CSS_PATH = "rules.tcss"
    BINDINGS = [
        Binding("escape", "back", N_("Back to Settings"), id="rules.back"),
        Binding("ctrl+n", "add", N_("New rule"), id="rules.add"),
        Binding("delete", "delete", N_("Delete rule"), id="rules.delete"),
        Binding("ctrl+t", "test", N_("Which rule applies?"), id="rules.test"),
    ]

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(ctx, **kwargs)
        self.rules = {}  # by id, in table order

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="rules"):
            yield Static(_("Lending rules"), classes="title")
            yield Static(
                _(
                    "The most specific rule wins: branch, then patron category, then item type; "
                    "the default rule (any · any · any, the last row) applies when no other does."
                ),
                classes="hint",
            )
            yield Static(
                _("Enter changes the highlighted rule, Ctrl+N adds one, Delete removes one.")
                if self.ctx.actor.at_least(ADMIN)
                else _("Only an administrator can change the lending rules."),
                classes="hint",
                id="rules-hint",
            )
            table = DataTable(id="rules-table", cursor_type="row", zebra_stripes=True)
            table.add_columns(*(_(c) for c in COLUMNS))
            yield table
            yield Static(_("Which rule applies?"), classes="section")
            whose = get_setting("circulation_rule_branch")
            yield Static(
                _("At the desk the branch that picks the rule is {whose} (a setting).").format(
                    whose=_(WHOSE_BRANCH.get(whose, whose))
                ),
                classes="hint",
            )
            with Horizontal(id="tester"):
                yield Label(_("Branch"))
                yield Select(
                    [(f"{b.code} {b.name}", b.id) for b in branch_choices()],
                    value=self.ctx.branch.id,
                    allow_blank=False,
                    id="test-branch",
                    compact=True,
                )
                yield Label(_("Category"))
                known = categories()
                yield Select(
                    [(category_label(c), c) for c in known], value=known[0], allow_blank=False, id="test-category", compact=True
                )
                yield Label(_("Item type"))
                yield Select(
                    [(item_type_label(t), t) for t in ITEM_TYPE_LABELS],
                    value="book",
                    allow_blank=False,
                    id="test-type",
                    compact=True,
                )
            yield Static("", id="test-result")

    def on_mount(self) -> None:
        self.load()

    async def retranslate(self) -> None:
        await super().retranslate()
        self.load()

    def load(self) -> None:
        self.rules = {rule.id: rule for rule in list_rules()}
        table = self.query_one("#rules-table", DataTable)
        table.clear()
        for rule in self.rules.values():
            table.add_row(*rule_row(rule), key=rule.id)
        table.focus()
        self.test()

    def highlighted(self):
        table = self.query_one("#rules-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self.rules.get(str(key.value))

    def refuse(self, exc: CountyLibError) -> None:
        self.notify(exc.message, severity="error")
        self.app.bell()

    def may_change(self) -> bool:
        try:
            self.ctx.require(ADMIN)
        except CountyLibError as exc:
            self.refuse(exc)
            return False
        return True

    def open_form(self, rule) -> None:
        if not self.may_change():
            return
        default = next(r for r in self.rules.values() if is_default(r))
        taken = {(r.branch.code if r.branch_id else None, r.patron_category, r.item_type) for r in self.rules.values()}

        def saved(done: bool | None) -> None:
            if done:
                self.load()
                self.notify(_("Saved."))

        self.app.push_screen(RuleForm(self.ctx, rule, default, taken), saved)

    def action_add(self) -> None:
        self.open_form(None)

    @on(DataTable.RowSelected, "#rules-table")
    def edit(self) -> None:
        rule = self.highlighted()
        if rule is not None:
            self.open_form(rule)

    def action_delete(self) -> None:
        rule = self.highlighted()
        if rule is None or not self.may_change():
            return
        if is_default(rule):
            # Nothing to confirm: the service refuses, in its own words.
            self.delete_confirmed(rule, True)
            return
        self.app.push_screen(
            ConfirmDialog(
                _("Delete rule"),
                _("Delete the rule for {parts}? Loans it covered fall back to the next rule that fits.").format(
                    parts=describe_parts(rule)
                ),
                _("Delete"),
            ),
            lambda yes: self.delete_confirmed(rule, yes),
        )

    def delete_confirmed(self, rule, confirmed: bool) -> None:
        if not confirmed:
            return
        try:
            delete_rule(self.ctx, rule.id)
        except CountyLibError as exc:
            self.refuse(exc)
            return
        self.load()
        self.notify(_("Rule deleted: {parts}").format(parts=describe_parts(rule)))

    def action_test(self) -> None:
        self.query_one("#test-branch", Select).focus()

    @on(Select.Changed, "#test-branch")
    @on(Select.Changed, "#test-category")
    @on(Select.Changed, "#test-type")
    def test(self) -> None:
        branch = self.query_one("#test-branch", Select).value
        category = self.query_one("#test-category", Select).value
        item_type = self.query_one("#test-type", Select).value
        rule = find_rule(str(branch), str(category), str(item_type))
        if rule.id in self.rules:
            self.query_one("#rules-table", DataTable).move_cursor(row=list(self.rules).index(rule.id))
        terms = (
            _("not for loan")
            if not rule.loanable
            else _("{days} days, up to {items} items, {renewals} renewal(s) of {renewal_days} days, {holds} holds").format(
                days=rule.loan_days,
                items=rule.max_items,
                renewals=rule.renewals,
                renewal_days=rule.renewal_days,
                holds=rule.holds_allowed,
            )
        )
        self.query_one("#test-result", Static).update(
            _("Applies: {parts} — {terms}").format(parts=describe_parts(rule), terms=terms)
        )

    def action_back(self) -> None:
        self.dismiss()
