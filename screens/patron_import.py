"""Import readers from a CSV or .xlsx file: choose the columns, preview every row's verdict,
then import with a progress bar. Nothing is written before "Import"."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Label, ProgressBar, Select, Static
from textual.worker import get_current_worker

from countylib.context import ServiceContext
from countylib.errors import CountyLibError
from countylib.i18n import N_, _
from countylib.patron_import import FIELDS, NEW, PRESENT, REJECTED, ImportPreview, ImportReport, import_patrons, preview_import
from screens.i18n import translate_bindings

VERDICT_LABELS = {NEW: N_("will be added"), PRESENT: N_("already there"), REJECTED: N_("rejected")}
VERDICT_STYLES = {NEW: "green", PRESENT: "dim", REJECTED: "bold red"}


class PatronImportDialog(ModalScreen[bool]):
    """Dismisses True when readers were imported."""

    CSS_PATH = "patron_import.tcss"
    BINDINGS = [Binding("escape", "close", N_("Close"), id="patrons.import.close")]

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.preview: ImportPreview | None = None
        self.imported = False
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="import-box"):
            yield Static(_("Import readers from a spreadsheet"), classes="dialog-title")
            with Horizontal(id="import-file-row"):
                yield Input(placeholder=_("Path of a .csv or .xlsx file"), id="import-path")
                yield Button(_("Preview"), id="import-load")
            yield Static(_("Columns (guessed from the headers; the choice is remembered)"), classes="section")
            with Grid(id="import-mapping"):
                for name, (label, _words) in FIELDS.items():
                    yield Label(_(label))
                    yield Select([], prompt="—", id=f"map-{name}")
            yield Static("", id="import-counts")
            yield DataTable(id="import-rows", cursor_type="row", zebra_stripes=True)
            yield Checkbox(_("These readers agreed to the privacy notice when they registered on paper"), id="import-consent")
            yield ProgressBar(id="import-progress", show_eta=False)
            yield Static("", id="import-error")
            with Horizontal(id="import-buttons"):
                yield Button(_("Import"), id="import-run", variant="primary", disabled=True)
                yield Button(_("Close"), id="import-close")

    def on_mount(self) -> None:
        self.query_one("#import-rows", DataTable).add_columns(_("Line"), _("Name"), _("Verdict"), _("Reason"))
        self.query_one("#import-progress", ProgressBar).display = False
        self.query_one("#import-path", Input).focus()

    def show_error(self, text: str) -> None:
        self.query_one("#import-error", Static).update(text)
        if text:
            self.app.bell()

    # -- preview ---------------------------------------------------------------------------------

    def mapping(self) -> dict[str, str]:
        chosen = {}
        for name in FIELDS:
            value = self.query_one(f"#map-{name}", Select).value
            if value is not Select.NULL:
                chosen[name] = str(value)
        return chosen

    @on(Input.Submitted, "#import-path")
    @on(Button.Pressed, "#import-load")
    def load(self) -> None:
        self.run_preview(None)

    @on(Select.Changed, "#import-mapping Select")
    def mapping_changed(self) -> None:
        # Filling the choices from a preview also sends Changed: only a real change re-checks.
        if self.preview is not None and self.mapping() != self.preview.mapping:
            self.run_preview(self.mapping())

    def run_preview(self, mapping: dict[str, str] | None) -> None:
        path = Path(self.query_one("#import-path", Input).value.strip()).expanduser()
        self.show_error("")
        self.query_one("#import-counts", Static).update(_("Reading the file…"))
        self.previewing(path, mapping)

    @work(thread=True, exclusive=True, exit_on_error=False, group="patron-import", description="import preview")
    def previewing(self, path: Path, mapping: dict[str, str] | None) -> None:
        try:
            with self.ctx.db.connection_context():
                preview = preview_import(self.ctx, path, mapping)
        except CountyLibError as exc:
            self.app.call_from_thread(self._preview_failed, exc.message)
            return
        self.app.call_from_thread(self.show_preview, preview)

    def _preview_failed(self, message: str) -> None:
        self.query_one("#import-counts", Static).update("")
        self.show_error(message)

    def show_preview(self, preview: ImportPreview) -> None:
        self.preview = preview
        options = [(header, header) for header in preview.table.headers if header]
        for name in FIELDS:
            select = self.query_one(f"#map-{name}", Select)
            select.set_options(options)
            select.value = preview.mapping.get(name, Select.NULL)
        table = self.query_one("#import-rows", DataTable)
        table.clear()
        table.add_rows(
            [
                (str(v.line), Text(v.name, end=""), Text(_(VERDICT_LABELS[v.verdict]), style=VERDICT_STYLES[v.verdict], end=""), Text(v.reason, end=""))
                for v in preview.verdicts
            ]
        )
        self.query_one("#import-counts", Static).update(
            _("{rows} rows: {new} will be added, {present} are already there, {rejected} will be rejected.").format(
                rows=len(preview.verdicts), new=preview.count(NEW), present=preview.count(PRESENT), rejected=preview.count(REJECTED)
            )
        )
        self.query_one("#import-run", Button).disabled = preview.count(NEW) == 0

    # -- import -----------------------------------------------------------------------------------

    @on(Button.Pressed, "#import-run")
    def run_import(self) -> None:
        if self.preview is None:
            return
        if not self.query_one("#import-consent", Checkbox).value:
            self.show_error(_("Tick the box: the readers' consent to the privacy notice must be on paper."))
            return
        self.show_error("")
        bar = self.query_one("#import-progress", ProgressBar)
        bar.display = True
        bar.update(total=len(self.preview.verdicts), progress=0)
        self.query_one("#import-run", Button).disabled = True
        self.importing(Path(self.query_one("#import-path", Input).value.strip()).expanduser(), self.mapping())

    @work(thread=True, exclusive=True, exit_on_error=False, group="patron-import", description="import readers")
    def importing(self, path: Path, mapping: dict[str, str]) -> None:
        worker = get_current_worker()
        bar = self.query_one("#import-progress", ProgressBar)

        def progress(done: int, total: int) -> bool:
            self.app.call_from_thread(bar.update, progress=done)
            return not worker.is_cancelled

        try:
            with self.ctx.db.connection_context():
                report = import_patrons(self.ctx, path, mapping, consent_on_paper=True, progress=progress)
        except CountyLibError as exc:
            self.app.call_from_thread(self.show_error, exc.message)
            return
        self.app.call_from_thread(self.show_report, report)

    def show_report(self, report: ImportReport) -> None:
        self.imported = bool(report.added)
        self.query_one("#import-counts", Static).update(_("Imported: {summary}.").format(summary=report.summary()))
        table = self.query_one("#import-rows", DataTable)
        table.clear()
        table.add_rows(
            [(str(line), "", Text(_(VERDICT_LABELS[REJECTED]), style=VERDICT_STYLES[REJECTED], end=""), Text(reason, end="")) for line, reason in report.rejected]
        )
        self.notify(_("Imported: {summary}.").format(summary=report.summary()))

    @on(Button.Pressed, "#import-close")
    def action_close(self) -> None:
        self.workers.cancel_group(self, "patron-import")
        self.dismiss(self.imported)
