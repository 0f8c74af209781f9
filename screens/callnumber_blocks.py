"""The blocks of call-number running numbers (种次号) this branch holds: how far each has
counted, and recording a new block the central library reserved (administrators)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from countylib.callnumbers import block_usage, reserve_block
from countylib.context import ServiceContext
from countylib.errors import CountyLibError
from countylib.i18n import N_, _
from countylib.roles import ADMIN
from screens.i18n import translate_bindings
from screens.widgets.footer import Footer


class CallNumberBlocksScreen(ModalScreen[None]):
    CSS_PATH = "callnumber_blocks.tcss"
    BINDINGS = [Binding("escape", "close", N_("Close"), id="blocks.close")]

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__()
        self.ctx = ctx
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="blocks-box"):
            yield Static(_("Call-number blocks of this branch"), id="blocks-title")
            yield Static(
                _("Running numbers (种次号) are given only from these blocks, so no other branch gives the same call number."),
                id="blocks-help",
            )
            yield DataTable(id="blocks-table", cursor_type="row")
            if self.ctx.actor.at_least(ADMIN):
                yield Static(_("Record a block the central library reserved"), classes="blocks-section")
                with Horizontal(id="blocks-form"):
                    yield Label(_("Classes"))
                    yield Input(placeholder=_("all, I, I247.5 …"), id="block-prefix")
                    yield Label(_("From"))
                    yield Input(id="block-first")
                    yield Label(_("To"))
                    yield Input(id="block-last")
                    yield Button(_("Add block"), id="block-add", variant="primary")
            yield Static("", id="blocks-error")
            yield Button(_("Close"), id="blocks-close")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#blocks-table", DataTable)
        table.add_columns(_("Classes"), _("From"), _("To"), _("Given out"), _("Note"))
        self._fill()

    def _fill(self) -> None:
        table = self.query_one("#blocks-table", DataTable)
        table.clear()
        table.add_rows(
            [
                (block.class_prefix or _("all"), str(block.first_number), str(block.last_number), str(used), block.note)
                for block, used in block_usage(self.ctx.branch)
            ]
        )

    @on(Input.Submitted, "#block-last")
    @on(Button.Pressed, "#block-add")
    def add_block(self) -> None:
        error = self.query_one("#blocks-error", Static)
        first, last = self.query_one("#block-first", Input).value, self.query_one("#block-last", Input).value
        if not (first.strip().isdigit() and last.strip().isdigit()):
            error.update(_("From and To are whole numbers, e.g. 1001 and 2000."))
            self.app.bell()
            return
        prefix = self.query_one("#block-prefix", Input).value.strip()
        try:
            reserve_block(self.ctx, "" if prefix.lower() in ("all", _("all")) else prefix, int(first), int(last))
        except CountyLibError as exc:
            error.update(exc.message)
            self.app.bell()
            return
        error.update("")
        for field in ("#block-prefix", "#block-first", "#block-last"):
            self.query_one(field, Input).value = ""
        self._fill()

    @on(Button.Pressed, "#blocks-close")
    def action_close(self) -> None:
        self.dismiss(None)
