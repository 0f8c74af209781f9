"""The hold shelf of this service point: who each set-aside copy waits for, and until when.
Copies past their last pickup day are passed on to the next reader (or put back) by key."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from countylib.context import ServiceContext
from countylib.errors import CountyLibError
from countylib.holds import expire_holds, hold_shelf
from countylib.i18n import N_, _, format_date, ngettext
from screens.base import AreaScreen


class HoldShelfScreen(AreaScreen):
    CSS_PATH = "desk.tcss"
    BINDINGS = [
        Binding("escape", "back", N_("Back to the desk"), id="shelf.back"),
        Binding("ctrl+e", "expire", N_("Pass on expired"), id="shelf.expire"),
    ]

    def __init__(self, ctx: ServiceContext, here) -> None:
        super().__init__(ctx)
        self.here = here

    def compose_body(self) -> ComposeResult:
        with Vertical(id="hold-shelf"):
            yield Static(_("Hold shelf: {place}").format(place=self.here.name), classes="title")
            yield Static(id="shelf-summary")
            yield DataTable(id="shelf-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self._set_up()

    async def retranslate(self) -> None:
        await super().retranslate()
        self._set_up()

    def _set_up(self) -> None:
        table = self.query_one("#shelf-table", DataTable)
        table.add_columns(_("Reader"), _("Card"), _("Phone"), _("Title"), _("Barcode"), _("Call number"), _("Collect by"))
        table.focus()
        self.load()

    def load(self) -> None:
        today = self.ctx.clock.today()
        rows = hold_shelf(self.here)
        table = self.query_one("#shelf-table", DataTable)
        table.clear()
        late = 0
        for row in rows:
            expired = row.expires_on is not None and row.expires_on < today
            late += expired
            until = Text(format_date(row.expires_on) if row.expires_on else "—", style="bold red" if expired else "")
            table.add_row(row.patron_name, row.card_number, row.phone, row.title, row.barcode, row.call_number, until)
        summary = ngettext("{n} copy on the shelf", "{n} copies on the shelf", len(rows)).format(n=len(rows))
        if late:
            summary += " · " + ngettext(
                "{n} not collected in time (red): Ctrl+E passes it on",
                "{n} not collected in time (red): Ctrl+E passes them on",
                late,
            ).format(n=late)
        self.query_one("#shelf-summary", Static).update(summary)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_expire(self) -> None:
        try:
            ended = expire_holds(self.ctx, self.here)
        except CountyLibError as exc:
            self.app.notify(exc.message, severity="error")
            self.app.bell()
            return
        self.app.notify(
            ngettext(
                "{n} hold ended. A copy no longer listed goes back to the shelves.",
                "{n} holds ended. Copies no longer listed go back to the shelves.",
                len(ended),
            ).format(n=len(ended))
        )
        self.load()
