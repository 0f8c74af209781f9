"""The overdue call list: who to phone, what they have, how late; as CSV and as notices."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from countylib.circulation import (
    OverdueReader,
    mark_long_overdue_lost,
    notice_batch,
    overdue_readers,
    write_overdue_csv,
)
from countylib.context import ServiceContext
from countylib.errors import CountyLibError
from countylib.i18n import N_, _, format_date, ngettext
from countylib.paths import data_dir
from countylib.rules import describe_overdue
from countylib.settings import get_setting
from screens.base import AreaScreen
from screens.confirm import ConfirmDialog


class OverdueScreen(AreaScreen):
    CSS_PATH = "desk.tcss"
    COMPACT_FOOTER = True
    BINDINGS = [
        Binding("escape", "back", N_("Back to the desk"), id="overdue.back"),
        Binding("ctrl+f", "toggle_scope", N_("This desk / everywhere"), id="overdue.scope"),
        Binding("ctrl+e", "export_csv", N_("Save as CSV"), id="overdue.csv"),
        Binding("ctrl+s", "print_notices", N_("Print notices"), id="overdue.print"),
        Binding("ctrl+g", "mark_lost", N_("Long overdue → lost"), id="overdue.lost"),
    ]

    def __init__(self, ctx: ServiceContext, here) -> None:
        super().__init__(ctx)
        self.here = here
        self.only_here = False
        self.readers: list[OverdueReader] = []

    def compose_body(self) -> ComposeResult:
        with Vertical(id="overdue"):
            yield Static(_("Overdue: the call list"), classes="title")
            yield Static(_("Loading…"), id="overdue-summary")
            yield DataTable(id="overdue-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="overdue-items")

    def on_mount(self) -> None:
        self._set_up()

    async def retranslate(self) -> None:
        await super().retranslate()
        self._set_up()

    def _set_up(self) -> None:
        table = self.query_one("#overdue-table", DataTable)
        table.add_columns(_("Reader"), _("Card"), _("Phone"), _("Items"), _("Longest"))
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="overdue", description="overdue list")
    def load(self) -> list[OverdueReader]:
        with self.ctx.db.connection_context():
            return overdue_readers(self.ctx.clock.today(), location=self.here if self.only_here else None)

    @on(Worker.StateChanged)
    def worker_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.SUCCESS and event.worker.group == "overdue":
            self.show_readers(event.worker.result)
        elif event.state == WorkerState.SUCCESS and event.worker.group == "print":
            self.app.notify(_("Saved for printing: {path}").format(path=str(event.worker.result)))
        elif event.state == WorkerState.ERROR:
            self.app.notify(str(event.worker.error), severity="error")
            self.app.bell()

    def show_readers(self, readers: list[OverdueReader]) -> None:
        self.readers = readers
        table = self.query_one("#overdue-table", DataTable)
        table.clear()
        table.add_rows(
            (r.name, r.card_number, r.phone or r.guardian_phone, str(len(r.items)), describe_overdue(r.most_days))
            for r in readers
        )
        items = sum(len(r.items) for r in readers)
        scope = self.here.name if self.only_here else _("every service point")
        self.query_one("#overdue-summary", Static).update(
            ngettext("{n} reader", "{n} readers", len(readers)).format(n=len(readers))
            + " · "
            + ngettext("{n} item", "{n} items", items).format(n=items)
            + " · "
            + _("lent at {scope}").format(scope=scope)
        )
        self.show_items(0)

    @on(DataTable.RowHighlighted, "#overdue-table")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_items(event.cursor_row)

    def show_items(self, row: int) -> None:
        box = self.query_one("#overdue-items", Static)
        if not self.readers or row >= len(self.readers):
            box.update(_("Nobody has anything overdue.") if not self.readers else "")
            return
        reader = self.readers[row]
        lines = [
            _("{barcode}  {title} — due {date}, {overdue}").format(
                barcode=item.barcode, title=item.title, date=format_date(item.due_date), overdue=describe_overdue(item.days_overdue)
            )
            for item in reader.items
        ]
        if reader.address:
            lines.append(_("Address: {address}").format(address=reader.address))
        box.update("\n".join(lines))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_toggle_scope(self) -> None:
        self.only_here = not self.only_here
        self.load()

    def action_export_csv(self) -> None:
        folder = data_dir() / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"overdue-{self.ctx.clock.today():%Y%m%d}.csv"
        # utf-8-sig: spreadsheet programs on Chinese Windows read it without garbling.
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            rows = write_overdue_csv(self.readers, out)
        self.app.notify(ngettext("{n} row saved to {path}", "{n} rows saved to {path}", rows).format(n=rows, path=str(path)))

    def action_print_notices(self) -> None:
        if not self.readers:
            self.app.notify(_("Nobody has anything overdue."), severity="warning")
            return
        batch = notice_batch(self.ctx, self.readers, self.here)
        path = data_dir() / "printouts" / f"overdue-notices-{self.ctx.clock.today():%Y%m%d}.pdf"
        self.render_notices(batch, path)

    @work(thread=True, exit_on_error=False, group="print", description="overdue notices")
    def render_notices(self, batch, path: Path) -> Path:
        from printing.notices import render_overdue_notices  # the PDF engine loads at the first print

        path.parent.mkdir(parents=True, exist_ok=True)
        render_overdue_notices(batch, path)
        return path

    def action_mark_lost(self) -> None:
        days = get_setting("lost_after_days")
        dialog = ConfirmDialog(
            _("Long overdue → lost"),
            _("Record every item more than {n} days overdue as lost? The loans stay on the readers' records.").format(n=days),
            _("Record as lost"),
        )
        self.app.push_screen(dialog, self._mark_lost)

    def _mark_lost(self, yes: bool) -> None:
        if not yes:
            return
        try:
            count = mark_long_overdue_lost(self.ctx, location=self.here)
        except CountyLibError as exc:
            self.app.notify(exc.message, severity="error")
            self.app.bell()
            return
        self.app.notify(ngettext("{n} item recorded as lost.", "{n} items recorded as lost.", count).format(n=count))
        self.load()
