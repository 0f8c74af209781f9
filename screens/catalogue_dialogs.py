"""Dialogs of the catalogue: one record with its MARC fields, MARC import, MARC export."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, DirectoryTree, Input, Label, ProgressBar, Select, Static
from textual.worker import Worker, WorkerState

from countylib.context import ServiceContext
from countylib.dates import parse_date
from countylib.errors import CountyLibError, os_reason
from countylib.i18n import N_, _
from countylib.marc_export import ExportReport, export_marc_file
from countylib.marc_import import ImportProgress, ImportReport, import_marc_file, nothing_read_message
from countylib.paths import data_dir
from countylib.search import record_view, status_label
from screens.i18n import translate_bindings

MARC_SUFFIXES = {".mrc", ".marc", ".iso", ".dat", ".bin", ".xml", ".usmarc", ".marc21", ".cnmarc"}


def _yuan(cents: int) -> str:
    return f"{cents / 100:.2f}"


def _error_text(error: BaseException | None) -> str:
    return error.message if isinstance(error, CountyLibError) else str(error)


class _Dialog(ModalScreen):
    CSS_PATH = "catalogue_dialogs.tcss"

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    async def retranslate(self) -> None:
        translate_bindings(self)
        await self.recompose()


# -- one record ---------------------------------------------------------------------------------


class RecordDialog(_Dialog):
    """A record as staff read it: the facts, every copy and where it is, the MARC fields."""

    BINDINGS = [Binding("escape", "close", N_("Close"), id="record.close")]

    def __init__(self, ctx: ServiceContext, bib_id: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.bib_id = bib_id

    def compose(self) -> ComposeResult:
        view = record_view(self.bib_id)
        with Vertical(classes="dialog", id="record-box"):
            if view is None:
                yield Static(_("This record is no longer in the catalogue."), classes="dialog-title")
                yield Button(_("Close"), id="record-close")
                return
            hit = view.hit
            yield Static(hit.title, classes="dialog-title", id="record-title")
            facts = [
                (_("Author"), hit.author),
                (_("Publisher"), hit.publisher),
                (_("Year"), hit.year),
                (_("ISBN"), hit.isbn_display),
                (_("CLC class"), hit.clc_class),
                (_("Call number"), hit.call_number),
                (_("Price"), _yuan(hit.price_cents) if hit.price_cents else ""),
            ]
            yield Static("  ·  ".join(f"{label}: {value}" for label, value in facts if value), id="record-facts")
            yield Static(
                _("Copies: {total} · on shelf {shelf} · on loan {loan} · in transit {transit}").format(
                    total=hit.copies.total, shelf=hit.copies.on_shelf, loan=hit.copies.on_loan, transit=hit.copies.in_transit
                ),
                classes="section",
            )
            if view.copies:
                copies = DataTable(id="record-copies", cursor_type="row")
                copies.add_columns(_("Barcode"), _("Branch"), _("Place"), _("Status"), _("Call number"), _("Price"))
                copies.add_rows(
                    (c.barcode, c.branch, c.location, status_label(c.status), c.call_number, _yuan(c.price_cents))
                    for c in view.copies
                )
                yield copies
            heading = (
                _("MARC record ({format}, as received)") if view.from_raw else _("MARC record ({format}, as export would write it)")
            ).format(format=view.marc_format.upper())
            yield Static(heading, classes="section")
            with VerticalScroll(id="record-marc"):
                yield Static(Text("\n".join(view.marc_lines)), id="record-marc-lines")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Close"), id="record-close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#record-close", Button).focus()

    @on(Button.Pressed, "#record-close")
    def action_close(self) -> None:
        self.dismiss(None)


# -- import -------------------------------------------------------------------------------------


class MarcFiles(DirectoryTree):
    """Folders and the files that may hold MARC records."""

    @staticmethod
    def shows(path: Path) -> bool:
        return not path.name.startswith(".") and (path.is_dir() or path.suffix.lower() in MARC_SUFFIXES)

    def filter_paths(self, paths):
        return [p for p in paths if self.shows(p)]


def _folder_line(folder: Path) -> Text:
    """The picker's folder, or why it shows nothing (a home folder may hold only hidden files)."""
    try:
        empty = not any(MarcFiles.shows(p) for p in folder.iterdir())
    except OSError as exc:
        return Text(
            _("{folder} cannot be opened ({reason}).").format(folder=folder, reason=os_reason(exc)),
            style="bold red",
        )
    if empty:
        return Text(
            _("{folder} holds no folders or MARC files: go up a folder, or type a folder's path above.").format(
                folder=folder
            ),
            style="bold yellow",
        )
    return Text(str(folder))


class ImportDialog(_Dialog):
    """Choose a file, import it with a progress bar, read what was skipped and why."""

    BINDINGS = [
        Binding("escape", "close", N_("Close"), id="import.close"),
        Binding("ctrl+s", "start", N_("Import"), id="import.start"),
    ]

    def __init__(self, ctx: ServiceContext, start_folder: Path | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.start_folder = start_folder or Path.home()
        self.cancel_requested = threading.Event()
        self.running = False
        self.report: ImportReport | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="import-box"):
            yield Static(_("Import MARC records"), classes="dialog-title")
            yield Static(
                _("MARC21 or UNIMARC/CNMARC, ISO 2709 (.mrc, .iso) or MARCXML. Importing a file again changes nothing."),
                classes="dialog-help",
            )
            with Grid(id="import-form"):
                yield Label(_("File"))
                yield Input(id="import-path", placeholder=_("type a path, or pick a file below"))
                yield Label(_("Format"))
                yield Select(
                    [(_("Detect"), "auto"), ("MARC21", "marc21"), ("UNIMARC / CNMARC", "unimarc")],
                    value="auto", allow_blank=False, id="import-format", compact=True,
                )
                yield Label(_("Character set"))
                yield Select(
                    [(_("Detect"), "auto"), ("UTF-8", "utf-8"), ("MARC-8", "marc8"), ("GB18030 / GBK", "gb18030")],
                    value="auto", allow_blank=False, id="import-encoding", compact=True,
                )
            with Horizontal(id="import-folder-row"):
                yield Button("↑ " + _("Parent folder"), id="import-up", compact=True)
                yield Static(_folder_line(self.start_folder), id="import-folder")
            yield MarcFiles(self.start_folder, id="import-files")
            yield ProgressBar(id="import-progress", show_eta=False)
            yield Static("", id="import-status")
            with VerticalScroll(id="import-skipped"):
                yield Static("", id="import-skipped-lines")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Import"), id="import-start", variant="primary")
                yield Button(_("Close"), id="import-close")

    def on_mount(self) -> None:
        self.query_one("#import-skipped").display = False
        self.query_one("#import-progress", ProgressBar).display = False
        self.query_one("#import-path", Input).focus()

    @on(DirectoryTree.FileSelected, "#import-files")
    def file_picked(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#import-path", Input).value = str(event.path)
        self.say("")  # what was said was about the path before
        self.query_one("#import-start", Button).focus()

    def show_folder(self, folder: Path) -> None:
        self.start_folder = folder  # where the picker opens again if the language changes
        tree = self.query_one("#import-files", MarcFiles)
        if Path(tree.path) != folder:
            tree.path = folder
        self.query_one("#import-folder", Static).update(_folder_line(folder))

    @on(Button.Pressed, "#import-up")
    def parent_folder(self) -> None:
        folder = Path(self.query_one("#import-files", MarcFiles).path)
        self.show_folder(folder.parent)

    @on(Input.Changed, "#import-path")
    def path_typed(self, event: Input.Changed) -> None:
        # A folder typed (or pasted) above is opened below, to pick the file from.
        folder = Path(event.value.strip()).expanduser()
        if event.value.strip() and folder.is_dir():
            self.show_folder(folder.resolve())

    @on(Input.Submitted, "#import-path")
    @on(Button.Pressed, "#import-start")
    def action_start(self) -> None:
        if self.running:
            return
        text = self.query_one("#import-path", Input).value.strip()
        if not text:
            self.say(_("Type or pick the file to import."), error=True)
            return
        if Path(text).expanduser().is_dir():
            self.say(_("{folder} is a folder: pick a MARC file in it below.").format(folder=text), warning=True)
            self.query_one("#import-files", MarcFiles).focus()
            return
        self.running = True
        self.cancel_requested.clear()
        self.report = None
        bar = self.query_one("#import-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.query_one("#import-skipped").display = False
        self.query_one("#import-files").display = True
        self.query_one("#import-folder-row").display = True
        self.query_one("#import-start", Button).disabled = True
        self.query_one("#import-close", Button).label = _("Stop")
        self.say(_("Reading {name}…").format(name=Path(text).name))
        self.run_import(
            Path(text).expanduser(),
            str(self.query_one("#import-format", Select).value),
            str(self.query_one("#import-encoding", Select).value),
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="marc-import", description="MARC import")
    def run_import(self, path: Path, flavour: str, encoding: str) -> ImportReport:
        with self.ctx.db.connection_context():
            return import_marc_file(
                self.ctx,
                path,
                flavour=flavour,
                encoding=encoding,
                progress=lambda p: self.app.call_from_thread(self.show_progress, p),
                cancelled=self.cancel_requested.is_set,
            )

    def show_progress(self, progress: ImportProgress) -> None:
        self.query_one("#import-progress", ProgressBar).update(
            total=max(progress.bytes_total, 1), progress=progress.bytes_done
        )
        self.say(
            _("{records} read · {added} added · {updated} updated · {unchanged} unchanged · {skipped} skipped").format(
                records=progress.records, added=progress.added, updated=progress.updated,
                unchanged=progress.unchanged, skipped=progress.skipped,
            )
        )

    @on(Worker.StateChanged)
    def worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "marc-import" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self.running = False
        self.query_one("#import-start", Button).disabled = False
        self.query_one("#import-close", Button).label = _("Close")
        if event.state == WorkerState.ERROR:
            self.query_one("#import-progress", ProgressBar).display = False
            self.say(_error_text(event.worker.error), error=True)
            return
        report: ImportReport = event.worker.result
        self.report = report
        bar = self.query_one("#import-progress", ProgressBar)
        if not report.cancelled:
            bar.update(total=1, progress=1)
        if report.imported:
            self.say(report.line(), warning=bool(report.skipped_count or report.warnings))
        else:
            self.say(nothing_read_message(report), error=True)
        lines = [_("Skipped {where}: {reason}").format(where=e.where, reason=e.reason) for e in report.skipped]
        lines += [_("Note {where}: {reason}").format(where=e.where, reason=e.reason) for e in report.warnings]
        if report.skipped_count > len(report.skipped):
            lines.append(_("… and {more} more skipped.").format(more=report.skipped_count - len(report.skipped)))
        self.query_one("#import-skipped-lines", Static).update(Text("\n".join(lines)))
        # The list of what was skipped takes the file picker's place.
        self.query_one("#import-skipped").display = bool(lines)
        self.query_one("#import-files").display = not lines
        self.query_one("#import-folder-row").display = not lines

    def say(self, text: str, *, error: bool = False, warning: bool = False) -> None:
        style = "bold red" if error else "bold yellow" if warning else ""
        self.query_one("#import-status", Static).update(Text(text, style=style))
        if error:
            self.app.bell()

    @on(Button.Pressed, "#import-close")
    def action_close(self) -> None:
        if self.running:
            # The import stops after the batch it is writing; what is written stays.
            self.cancel_requested.set()
            self.say(_("Stopping after the current batch…"))
            return
        self.dismiss(self.report)


# -- export -------------------------------------------------------------------------------------


class ExportDialog(_Dialog):
    """Write records for the central cataloguers: all, or those added or changed since a date."""

    BINDINGS = [
        Binding("escape", "close", N_("Close"), id="export.close"),
        Binding("ctrl+s", "start", N_("Export"), id="export.start"),
    ]

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.running = False

    def compose(self) -> ComposeResult:
        default = data_dir() / "exports" / f"catalogue-{self.ctx.clock.today():%Y%m%d}.mrc"
        with Vertical(classes="dialog", id="export-box"):
            yield Static(_("Export MARC records"), classes="dialog-title")
            with Grid(id="export-form"):
                yield Label(_("File"))
                yield Input(value=str(default), id="export-path")
                yield Label(_("Format"))
                yield Select(
                    [("MARC21", "marc21"), ("UNIMARC / CNMARC", "unimarc")],
                    value="marc21", allow_blank=False, id="export-format",
                )
                yield Label(_("Since (optional)"))
                yield Input(id="export-since", placeholder=_("YYYY-MM-DD: added, changed or given copies since"))
            yield Static("", id="export-status")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Export"), id="export-start", variant="primary")
                yield Button(_("Close"), id="export-close")

    def on_mount(self) -> None:
        self.query_one("#export-since", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#export-start")
    def action_start(self) -> None:
        if self.running:
            return
        try:
            since = parse_date(self.query_one("#export-since", Input).value)
        except CountyLibError as exc:
            self.say(exc.message, error=True)
            return
        path = Path(self.query_one("#export-path", Input).value.strip()).expanduser()
        if path.parent == data_dir() / "exports":
            path.parent.mkdir(parents=True, exist_ok=True)  # our own folder; any other must exist
        self.running = True
        self.say(_("Writing {name}…").format(name=path.name))
        self.run_export(path, str(self.query_one("#export-format", Select).value), since)

    @work(thread=True, exclusive=True, exit_on_error=False, group="marc-export", description="MARC export")
    def run_export(self, path: Path, flavour: str, since: dt.date | None) -> ExportReport:
        with self.ctx.db.connection_context():
            return export_marc_file(self.ctx, path, flavour=flavour, since=since)

    @on(Worker.StateChanged)
    def worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "marc-export" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self.running = False
        if event.state == WorkerState.ERROR:
            self.say(_error_text(event.worker.error), error=True)
            return
        report: ExportReport = event.worker.result
        self.say(report.line() + "\n" + report.path, error=bool(report.problems))

    def say(self, text: str, *, error: bool = False) -> None:
        self.query_one("#export-status", Static).update(Text(text, style="bold red" if error else ""))
        if error:
            self.app.bell()

    @on(Button.Pressed, "#export-close")
    def action_close(self) -> None:
        if not self.running:
            self.dismiss(None)
