"""The catalogue: one search box for titles, authors, pinyin, ISBNs and call numbers.

Results come a page at a time from SQL with their copies counted (on shelf, on loan, in
transit, and where). Enter on a result opens the record with its MARC fields; the MARC
import runs in a dialog with a progress bar, the export in another; a new brief record
opens the cataloguing form. Searching runs in a worker so a slow query never freezes the
screen.
"""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Label, Static
from textual.worker import Worker, WorkerState

from countylib.context import ServiceContext
from countylib.errors import CountyLibError
from countylib.i18n import N_, _
from countylib.marc_import import ImportReport
from countylib.search import PAGE, SearchPage, search_catalogue
from screens.base import AreaScreen
from screens.catalogue_dialogs import ExportDialog, ImportDialog, RecordDialog

KIND_NAMES = {
    "recent": N_("Latest records"),
    "isbn": N_("ISBN"),
    "call_number": N_("Call number"),
    "text": N_("Title, author, publisher or pinyin"),
    "short": N_("One or two characters"),
}
# (msgid, width in cells) of the columns after the title.
COLUMNS = (
    (N_("Author"), 12),
    (N_("ISBN"), 13),
    (N_("Call number"), 11),
    (N_("Copies"), 6),
    (N_("Shelf"), 5),
    (N_("Loan"), 5),
    (N_("Transit"), 7),
    (N_("Where"), 24),
)


class CatalogueScreen(AreaScreen):
    CSS_PATH = "catalogue.tcss"
    BINDINGS = [
        Binding("ctrl+j", "search", N_("Search"), id="catalogue.search", show=False),
        Binding("pagedown", "page(1)", N_("Next page"), id="catalogue.next_page"),
        Binding("pageup", "page(-1)", N_("Previous page"), id="catalogue.previous_page"),
        Binding("ctrl+r", "open_record", N_("Record"), id="catalogue.record"),
        Binding("ctrl+n", "new_record", N_("New record"), id="catalogue.new_record"),
        Binding("f11", "import_marc", N_("Import MARC"), id="catalogue.import"),
        Binding("f12", "export_marc", N_("Export MARC"), id="catalogue.export"),
        Binding("escape", "focus_search", N_("Search box"), id="catalogue.focus_search", show=False),
    ]

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(ctx)
        self.query_text = ""
        self.page_offset = 0
        self.page: SearchPage | None = None
        self.widths: list[int] = []
        self.import_folder: Path | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="catalogue"):
            with Horizontal(id="search-row"):
                yield Label(_("Search"), id="search-label")
                yield Input(
                    value=self.query_text,
                    id="query",
                    placeholder=_("Title, author, pinyin (hlm), ISBN or call number, then Enter"),
                )
            yield Static("", id="search-info")
            yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
            yield Static("", id="page-info")

    def on_mount(self) -> None:
        self._set_up()

    async def retranslate(self) -> None:
        await super().retranslate()
        self._set_up()

    def _set_up(self) -> None:
        table = self.query_one("#results", DataTable)
        fixed = sum(width for _label, width in COLUMNS)
        # The title takes what the other columns leave (2 cells of padding a column).
        title_width = max(self.app.size.width - fixed - 2 * (len(COLUMNS) + 1) - 6, 16)
        self.widths = [title_width] + [width for _label, width in COLUMNS]
        table.add_column(_("Title"), width=title_width)
        for label, width in COLUMNS:
            table.add_column(_(label), width=width)
        self.query_one("#query", Input).focus()
        self.run_search(self.query_text, self.page_offset)

    # -- searching -----------------------------------------------------------------------

    @on(Input.Submitted, "#query")
    def action_search(self) -> None:
        self.query_text = self.query_one("#query", Input).value
        self.page_offset = 0
        self.run_search(self.query_text, 0)

    def action_page(self, step: int) -> None:
        if self.page is None:
            return
        if step > 0 and not self.page.has_more:
            self.app.bell()
            return
        if step < 0 and self.page_offset == 0:
            self.app.bell()
            return
        self.page_offset = max(self.page_offset + step * PAGE, 0)
        self.run_search(self.query_text, self.page_offset)

    @work(thread=True, exclusive=True, exit_on_error=False, group="catalogue-search", description="catalogue search")
    def run_search(self, text: str, offset: int) -> SearchPage:
        with self.ctx.db.connection_context():
            return search_catalogue(text, limit=PAGE, offset=offset)

    @on(Worker.StateChanged)
    def worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "catalogue-search":
            return
        if event.state == WorkerState.SUCCESS:
            self.show_page(event.worker.result)
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            self.query_one("#search-info", Static).update(
                Text(error.message if isinstance(error, CountyLibError) else str(error), style="bold red")
            )
            self.app.bell()

    def show_page(self, page: SearchPage) -> None:
        self.page = page
        table = self.query_one("#results", DataTable)
        table.clear()
        table.add_rows(
            [
                _fit(value, width)
                for value, width in zip(
                    (
                        hit.title,
                        hit.author,
                        hit.isbn,
                        hit.call_number,
                        str(hit.copies.total),
                        str(hit.copies.on_shelf),
                        str(hit.copies.on_loan),
                        str(hit.copies.in_transit),
                        hit.copies.where(),
                    ),
                    self.widths,
                    strict=True,
                )
            ]
            for hit in page.hits
        )
        info = _(KIND_NAMES[page.kind])
        if page.query:
            info = _("{kind}: “{query}”").format(kind=info, query=page.query)
        self.query_one("#search-info", Static).update(info)
        if not page.hits:
            summary = _("Nothing found. Try fewer characters, the pinyin initials, or the ISBN.") if page.query else _(
                "The catalogue is empty. Import MARC records (F11) or catalogue a book (Ctrl+N)."
            )
        else:
            first = page.offset + 1
            summary = _("Page {page} · records {first}–{last}").format(
                page=page.page_number, first=first, last=page.offset + len(page.hits)
            )
            if page.has_more:
                summary += " · " + _("more on the next page (PgDn)")
        self.query_one("#page-info", Static).update(summary)

    # -- one record ------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#results")
    def row_chosen(self, event: DataTable.RowSelected) -> None:
        self._open(event.cursor_row)

    def action_open_record(self) -> None:
        self._open(self.query_one("#results", DataTable).cursor_row)

    def _open(self, row: int) -> None:
        if self.page is None or not 0 <= row < len(self.page.hits):
            self.app.bell()
            return
        self.app.push_screen(RecordDialog(self.ctx, self.page.hits[row].bib_id))

    def action_focus_search(self) -> None:
        self.query_one("#query", Input).focus()

    # -- cataloguing, import, export ----------------------------------------------------------

    def action_new_record(self) -> None:
        from screens.brief_record import BriefRecordScreen

        def saved(result: object) -> None:
            if result is not None:
                self.run_search(self.query_text, self.page_offset)

        self.app.push_screen(BriefRecordScreen(self.ctx), saved)

    def action_import_marc(self) -> None:
        def done(report: ImportReport | None) -> None:
            if report is not None:
                # The next file most likely comes from the same folder (a USB stick, Downloads).
                self.import_folder = Path(report.path).expanduser().resolve().parent
                self.page_offset = 0
                self.run_search(self.query_text, 0)

        self.app.push_screen(ImportDialog(self.ctx, self.import_folder), done)

    def action_export_marc(self) -> None:
        self.app.push_screen(ExportDialog(self.ctx))


def _fit(text: str, width: int) -> str:
    """Text cut to ``width`` terminal cells (a Han character takes two), marked with '…'."""
    if cell_len(text) <= width:
        return text
    while cell_len(text) > width - 1:
        text = text[:-1]
    return text + "…"

