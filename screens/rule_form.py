"""Adding or changing one lending rule: its cell of the matrix (branch, patron category, item
type — each may be "any") and its numbers.

The form calls ``save_rule`` itself and stays open with the refusal when there is one, so
nothing typed is lost; it dismisses with True once the rule is saved. An existing rule keeps
its cell (saving under another cell would make a second rule and leave this one behind).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from countylib.context import ServiceContext
from countylib.errors import CountyLibError, ValidationError
from countylib.i18n import N_, _
from countylib.patrons import categories, category_label, parse_yuan
from countylib.rule_matrix import ITEM_TYPE_LABELS, branch_choices, item_type_label
from countylib.rules import save_rule
from screens.i18n import translate_bindings

ANY = "*"  # the Select value for "any" (a rule part left empty)

# (rule field, label) in the order the form shows them.
COUNTS = (
    ("loan_days", N_("Loan days")),
    ("max_items", N_("Max items")),
    ("renewals", N_("Renewals")),
    ("renewal_days", N_("Renewal days")),
    ("holds_allowed", N_("Holds allowed")),
)
AMOUNTS = (
    ("fine_per_day_cents", N_("Daily fine (yuan)")),
    ("fine_cap_cents", N_("Fine cap (yuan)")),
)


def yuan(cents: int) -> str:
    return f"{cents / 100:.2f}"


def parse_count(text: str, label: str) -> int:
    value = text.strip()
    if not value.isdigit():
        raise ValidationError("{field} must be a whole number, 0 or more.", field=_(label))
    return int(value)


class RuleForm(ModalScreen[bool]):
    CSS_PATH = "rule_form.tcss"
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="rule_form.cancel"),
        Binding("ctrl+s", "save", N_("Save"), id="rule_form.save"),
    ]

    def __init__(
        self,
        ctx: ServiceContext,
        rule,
        template,
        taken: set[tuple[str | None, str | None, str | None]],
    ) -> None:
        """``rule`` None adds a rule, starting from ``template``'s numbers; ``taken`` lists
        the cells (branch code, category, item type) that have a rule already."""
        super().__init__()
        self.ctx = ctx
        self.rule = rule
        self.template = rule or template
        self.taken = taken
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        rule, start = self.rule, self.template
        with VerticalScroll(classes="dialog"):
            yield Static(_("Change a lending rule") if rule else _("New lending rule"), classes="dialog-title")
            with Grid(classes="form-grid"):
                yield Label(_("Branch"))
                yield Select(
                    [(_("any"), ANY)] + [(f"{b.code} {b.name}", b.code) for b in branch_choices()],
                    value=rule.branch.code if rule and rule.branch_id else ANY,
                    allow_blank=False,
                    disabled=rule is not None,
                    id="r-branch",
                    compact=True,
                )
                yield Label(_("Patron category"))
                known = categories()
                if rule and rule.patron_category and rule.patron_category not in known:
                    known.append(rule.patron_category)
                yield Select(
                    [(_("any"), ANY)] + [(category_label(c), c) for c in known],
                    value=(rule.patron_category if rule else None) or ANY,
                    allow_blank=False,
                    disabled=rule is not None,
                    id="r-category",
                    compact=True,
                )
                yield Label(_("Item type"))
                types = list(ITEM_TYPE_LABELS)
                if rule and rule.item_type and rule.item_type not in types:
                    types.append(rule.item_type)
                yield Select(
                    [(_("any"), ANY)] + [(item_type_label(t), t) for t in types],
                    value=(rule.item_type if rule else None) or ANY,
                    allow_blank=False,
                    disabled=rule is not None,
                    id="r-type",
                    compact=True,
                )
                yield Label(_("May be lent"))
                yield Checkbox(_("yes"), value=start.loanable, id="r-loanable", compact=True)
                for name, label in COUNTS:
                    yield Label(_(label))
                    yield Input(str(getattr(start, name)), id=f"r-{name}", compact=True)
                for name, label in AMOUNTS:
                    yield Label(_(label))
                    yield Input(yuan(getattr(start, name)), id=f"r-{name}", compact=True)
            yield Static(_("Fines are charged only when the fines setting is on; 0 means no fine, or no cap."), classes="hint")
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save"), id="r-save", variant="primary")
                yield Button(_("Cancel"), id="r-cancel")

    def on_mount(self) -> None:
        self.query_one("#r-loan_days" if self.rule else "#r-branch").focus()

    def part(self, selector: str) -> str | None:
        value = self.query_one(selector, Select).value
        return None if value == ANY else str(value)

    def values(self) -> dict[str, int | bool]:
        """What the form says, typed; a malformed number is refused here, naming its field."""
        values: dict[str, int | bool] = {"loanable": self.query_one("#r-loanable", Checkbox).value}
        for name, label in COUNTS:
            values[name] = parse_count(self.query_one(f"#r-{name}", Input).value, label)
        for name, label in AMOUNTS:
            values[name] = parse_yuan(self.query_one(f"#r-{name}", Input).value, name)
        return values

    @on(Input.Submitted)
    @on(Button.Pressed, "#r-save")
    def action_save(self) -> None:
        branch_code, category, item_type = self.part("#r-branch"), self.part("#r-category"), self.part("#r-type")
        try:
            values = self.values()
            if self.rule is None:
                if (branch_code, category, item_type) in self.taken:
                    raise ValidationError("There is a rule for this branch, category and item type already; change that one.")
            save_rule(self.ctx, branch_code=branch_code, patron_category=category, item_type=item_type, **values)
        except CountyLibError as exc:
            self.query_one(".dialog-error", Static).update(exc.message)
            self.app.bell()
            return
        self.dismiss(True)

    @on(Button.Pressed, "#r-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
