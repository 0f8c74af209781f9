"""Closing a day, or a run of days, with a reason: for this branch or for every branch.

Dismisses with (first day, days newly closed) once saved, or None; a refusal keeps the
form open with the service's words and nothing closed.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from countylib.closed_days import MAX_RUN_DAYS, close_days
from countylib.context import ServiceContext
from countylib.errors import CountyLibError, ValidationError
from countylib.i18n import N_, _
from countylib.patrons import parse_date
from screens.i18n import translate_bindings

EVERY_BRANCH = "*"


class ClosedDayForm(ModalScreen[tuple | None]):
    CSS_PATH = "closed_days.tcss"
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="closed_day_form.cancel"),
        Binding("ctrl+s", "save", N_("Save"), id="closed_day_form.save"),
    ]

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__()
        self.ctx = ctx
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        branch = self.ctx.branch
        with Vertical(classes="dialog"):
            yield Static(_("Close the library"), classes="dialog-title")
            with Grid(classes="form-grid"):
                yield Label(_("First day"))
                yield Input(placeholder="YYYY-MM-DD", id="c-first", compact=True)
                yield Label(_("Last day"))
                yield Input(placeholder=_("blank: the first day only"), id="c-last", compact=True)
                yield Label(_("Reason"))
                yield Input(placeholder=_("e.g. 国庆节, stocktake"), id="c-reason", compact=True)
                yield Label(_("Applies to"))
                yield Select(
                    [(_("This branch ({code})").format(code=branch.code), branch.code), (_("All branches"), EVERY_BRANCH)],
                    value=branch.code,
                    allow_blank=False,
                    id="c-branch",
                    compact=True,
                )
            yield Static(_("At most {n} days at once.").format(n=MAX_RUN_DAYS), classes="hint")
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save"), id="c-save", variant="primary")
                yield Button(_("Cancel"), id="c-cancel")

    def on_mount(self) -> None:
        self.query_one("#c-first", Input).focus()

    @on(Input.Submitted, "#c-first, #c-last")
    def next_field(self) -> None:
        self.focus_next()

    @on(Input.Submitted, "#c-reason")
    @on(Button.Pressed, "#c-save")
    def action_save(self) -> None:
        branch = self.query_one("#c-branch", Select).value
        try:
            first = parse_date(self.query_one("#c-first", Input).value, "first")
            if first is None:
                raise ValidationError("The first day is required.")
            last = parse_date(self.query_one("#c-last", Input).value, "last") or first
            added = close_days(
                self.ctx,
                first,
                last,
                self.query_one("#c-reason", Input).value,
                None if branch == EVERY_BRANCH else str(branch),
            )
        except CountyLibError as exc:
            self.query_one(".dialog-error", Static).update(exc.message)
            self.app.bell()
            return
        self.dismiss((first, added))

    @on(Button.Pressed, "#c-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
