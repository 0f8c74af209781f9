"""The audit log, for administrators: who signed in, overrode a block, looked at an ID
number, deleted or restored something — filtered by words, kind and dates, newest first,
200 at a time, and exported as CSV. The services refuse anyone but an admin; this screen
only shows their refusal.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from countylib.audit_log import PAGE, AuditEntry, AuditFilter, count_audit_entries, export_audit_log, kinds, list_audit_entries
from countylib.context import ServiceContext
from countylib.dates import parse_date
from countylib.errors import CountyLibError, ValidationError
from countylib.i18n import N_, _
from countylib.paths import data_dir
from screens.base import AreaScreen
from screens.i18n import translate_bindings


def _error_text(error: BaseException | None) -> str:
    return error.message if isinstance(error, CountyLibError) else str(error)


def _date(text: str) -> dt.date | None:
    try:
        return parse_date(text)
    except ValidationError as exc:
        raise ValueError(exc.message) from None


class AuditLogScreen(AreaScreen):
    CSS_PATH = "audit_log.tcss"
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="audit.back"),
        Binding("ctrl+s", "export", N_("Export CSV"), id="audit.export"),
        # Pages of the log, not of the table (arrows and the mouse scroll within a page).
        Binding("pagedown", "page(1)", N_("Older"), id="audit.older", priority=True),
        Binding("pageup", "page(-1)", N_("Newer"), id="audit.newer", priority=True),
    ]

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(ctx)
        self.first = 0
        self.total = 0
        self.audit_filter = AuditFilter()

    def compose_body(self) -> ComposeResult:
        with Vertical(id="audit-log"):
            yield Static(_("Audit log"), classes="title")
            with Horizontal(id="audit-filters"):
                yield Input(id="audit-text", placeholder=_("user, action or id"))
                yield Select([(label, i) for i, (label, _parts) in enumerate(kinds())], prompt=_("All kinds"),
                             id="audit-kind")
                yield Input(id="audit-since", placeholder=_("from YYYY-MM-DD"))
                yield Input(id="audit-until", placeholder=_("to YYYY-MM-DD"))
                yield Button(_("Show"), id="audit-show", variant="primary")
            yield Static(id="audit-summary")
            yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self._set_up()

    async def retranslate(self) -> None:
        await super().retranslate()
        self._set_up()

    def _set_up(self) -> None:
        table = self.query_one("#audit-table", DataTable)
        table.add_columns(_("When"), _("User"), _("Action"), _("Target"), _("Details"))
        self.query_one("#audit-text", Input).focus()
        self.load()

    def _read_filter(self) -> AuditFilter | None:
        kind = self.query_one("#audit-kind", Select).value
        parts = kinds()[kind][1] if isinstance(kind, int) else ()
        try:
            since = _date(self.query_one("#audit-since", Input).value)
            until = _date(self.query_one("#audit-until", Input).value)
        except ValueError as exc:
            self.say(str(exc), error=True)
            return None
        return AuditFilter(text=self.query_one("#audit-text", Input).value, actions=parts, since=since, until=until)

    @on(Input.Submitted)
    @on(Button.Pressed, "#audit-show")
    def show(self) -> None:
        flt = self._read_filter()
        if flt is not None:
            self.audit_filter, self.first = flt, 0
            self.load()

    @on(Select.Changed, "#audit-kind")
    def kind_changed(self) -> None:
        self.show()

    def load(self) -> None:
        self.say(_("Reading the log…"))
        self.read_page(self.audit_filter, self.first)

    @work(thread=True, exclusive=True, exit_on_error=False, group="audit-read", description="audit log")
    def read_page(self, flt: AuditFilter, offset: int) -> tuple[int, list[AuditEntry]]:
        with self.ctx.db.connection_context():
            return count_audit_entries(self.ctx, flt), list_audit_entries(self.ctx, flt, offset=offset)

    @on(Worker.StateChanged)
    def worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "audit-read" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        table = self.query_one("#audit-table", DataTable)
        table.clear()
        if event.state == WorkerState.ERROR:
            self.total = 0
            self.say(_error_text(event.worker.error), error=True)
            return
        self.total, entries = event.worker.result
        table.add_rows(
            (
                self.ctx.clock.to_local(e.at).strftime("%Y-%m-%d %H:%M:%S"),
                e.username,
                e.action,
                f"{e.target_type} {e.target_id}".strip(),
                e.details_text(),
            )
            for e in entries
        )
        if not entries:
            self.say(_("No entries match."))
        else:
            self.say(_("Entries {first}–{last} of {total}, newest first. PgDn: older, PgUp: newer.").format(
                first=self.first + 1, last=self.first + len(entries), total=self.total))

    def action_page(self, step: int) -> None:
        offset = self.first + step * PAGE
        if 0 <= offset < max(self.total, 1):
            self.first = offset
            self.load()

    def say(self, text: str, *, error: bool = False) -> None:
        self.query_one("#audit-summary", Static).update(Text(text, style="bold red" if error else ""))
        if error:
            self.app.bell()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_export(self) -> None:
        self.app.push_screen(ExportAuditDialog(self.ctx, self.audit_filter))


class ExportAuditDialog(ModalScreen[int | None]):
    """Where to write the CSV (the entries the screen's filter shows, all pages)."""

    CSS_PATH = "audit_log.tcss"
    BINDINGS = [
        Binding("escape", "close", N_("Close"), id="audit_export.close"),
        Binding("ctrl+s", "start", N_("Export"), id="audit_export.start"),
    ]

    def __init__(self, ctx: ServiceContext, flt: AuditFilter) -> None:
        super().__init__()
        self.ctx = ctx
        self.audit_filter = flt
        self.running = False
        self.written: int | None = None
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        default = data_dir() / "exports" / f"audit-log-{self.ctx.clock.today():%Y%m%d}.csv"
        with Vertical(classes="dialog", id="audit-export-box"):
            yield Static(_("Export the audit log as CSV"), classes="dialog-title")
            yield Label(_("File"))
            yield Input(value=str(default), id="audit-export-path")
            yield Static("", id="audit-export-status")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Export"), id="audit-export-start", variant="primary")
                yield Button(_("Close"), id="audit-export-close")

    def on_mount(self) -> None:
        self.query_one("#audit-export-path", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#audit-export-start")
    def action_start(self) -> None:
        if self.running:
            return
        path = Path(self.query_one("#audit-export-path", Input).value.strip()).expanduser()
        if path.parent == data_dir() / "exports":
            path.parent.mkdir(parents=True, exist_ok=True)  # our own folder; any other must exist
        self.running = True
        self.say(_("Writing {name}…").format(name=path.name))
        self.run_export(path)

    @work(thread=True, exclusive=True, exit_on_error=False, group="audit-export", description="audit export")
    def run_export(self, path: Path) -> tuple[Path, int]:
        with self.ctx.db.connection_context():
            return path, export_audit_log(self.ctx, path, self.audit_filter)

    @on(Worker.StateChanged)
    def worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "audit-export" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self.running = False
        if event.state == WorkerState.ERROR:
            self.say(_error_text(event.worker.error), error=True)
            return
        path, self.written = event.worker.result
        self.say(_("{n} entries written to {path}").format(n=self.written, path=path))

    def say(self, text: str, *, error: bool = False) -> None:
        self.query_one("#audit-export-status", Static).update(Text(text, style="bold red" if error else ""))
        if error:
            self.app.bell()

    @on(Button.Pressed, "#audit-export-close")
    def action_close(self) -> None:
        if not self.running:
            self.dismiss(self.written)
