"""The patrons area (F3): find readers, see one, and every step of a card's life.

Left, the list: the search field takes a scanned card, a name, pinyin initials, a phone
or the ID's last four; with the field empty the filters page through every reader (in
SQL, a page at a time). Right, the highlighted reader with the actions as buttons; the
Ctrl keys do the same from anywhere on the screen.
"""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Input, Select, Static

from countylib.context import ServiceContext
from countylib.errors import CountyLibError
from countylib.i18n import N_, _, format_date, format_datetime, ngettext
from countylib.idnumbers import ID_TYPE_LABELS
from countylib.paths import data_dir
from countylib.patron_privacy import erase_expired_personal_data, erasures_due, export_patron_data, write_export
from countylib.patron_search import PatronFilter, PatronRow, card_faces, list_patrons, search_patrons
from countylib.patrons import (
    GENDER_LABELS,
    PatronDetails,
    age_on,
    card_status_label,
    categories,
    category_label,
    patron_details,
    show_id_number,
    status_label,
)
from countylib.roles import ADMIN
from countylib.settings import get_setting
from printing.cards import render_cards
from screens.base import AreaScreen
from screens.confirm import ConfirmDialog
from screens.patron_dialogs import (
    IdNumberDialog,
    RenewDialog,
    ReplaceCardDialog,
    ResetPinDialog,
    ReturnCardDialog,
    SuspendDialog,
    yuan,
)
from screens.patron_form import PatronFormScreen
from screens.patron_import import PatronImportDialog

WHEN_FILTERS = {
    "expiring_soon": N_("Expiring soon"),
    "expired": N_("Expired"),
    "overdue": N_("Has overdue books"),
}
STATUS_STYLES = {"active": "green", "suspended": "bold red", "returned": "dim", "erased": "dim"}
ACTIONS = (  # button id, label, action
    ("act-edit", N_("Edit"), "edit"),
    ("act-renew", N_("Renew card"), "renew"),
    ("act-suspend", N_("Suspend / lift"), "suspend"),
    ("act-replace", N_("Replace card"), "replace_card"),
    ("act-return", N_("Return card"), "return_card"),
    ("act-show-id", N_("Show ID number"), "show_id"),
    ("act-reset-pin", N_("Reset PIN"), "reset_pin"),
    ("act-print", N_("Print card"), "print_card"),
    ("act-export", N_("Export data"), "export"),
)


REPEAT_AFTER_DIALOG = 0.6  # seconds: a key this soon after a dialog closed is its repeat


class PatronsScreen(AreaScreen):
    CSS_PATH = "patrons.tcss"
    COMPACT_FOOTER = True
    BINDINGS = [
        Binding("ctrl+j", "search", N_("Search"), id="patrons.search", show=False),
        Binding("ctrl+n", "register", N_("New card"), id="patrons.register"),
        Binding("ctrl+r", "renew", N_("Renew card"), id="patrons.renew"),
        Binding("ctrl+s", "suspend", N_("Suspend"), id="patrons.suspend"),
        Binding("ctrl+b", "replace_card", N_("Replace card"), id="patrons.replace_card"),
        Binding("ctrl+t", "return_card", N_("Return card"), id="patrons.return_card"),
        Binding("ctrl+y", "show_id", N_("Show ID"), id="patrons.show_id"),
        Binding("ctrl+g", "print_card", N_("Print card"), id="patrons.print_card"),
        Binding("ctrl+f", "import_file", N_("Import"), id="patrons.import"),
        # priority: the search field has the cursor, and an Input would take ctrl+e itself.
        Binding("ctrl+e", "erase_expired", N_("Erase expired data"), id="patrons.erase_expired", priority=True),
        Binding("ctrl+pagedown", "next_page", N_("Next page"), id="patrons.next_page", show=False),
        Binding("ctrl+pageup", "previous_page", N_("Previous page"), id="patrons.previous_page", show=False),
    ]

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(ctx)
        self.rows: list[PatronRow] = []
        self.selected: PatronDetails | None = None
        self.page_starts: list[str | None] = [None]  # the ``after`` of each page shown so far
        self.next_after: str | None = None
        self.due_for_erasure = 0

    # -- layout ---------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="patrons"):
            with Vertical(id="patron-list"):
                with Horizontal(id="patron-bar"):
                    yield Input(
                        placeholder=_("Card, name, pinyin (zsf), phone or the ID's last four — Enter"),
                        id="patron-search",
                    )
                    yield Button(_("New card"), id="register", variant="primary")
                with Horizontal(id="patron-filters"):
                    yield Select([(category_label(c), c) for c in categories()], prompt=_("Every category"), id="filter-category")
                    yield Select(
                        [(status_label(s), s) for s in ("active", "suspended", "returned", "erased")],
                        prompt=_("Every status"),
                        id="filter-status",
                    )
                    yield Select([(_(label), key) for key, label in WHEN_FILTERS.items()], prompt=_("Any time"), id="filter-when")
                    yield Button(_("Import…"), id="import")
                yield DataTable(id="patron-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="patron-count")
                with Horizontal(id="patron-erase-bar"):
                    yield Static("", id="erase-due")
                    yield Button(_("Erase expired data…"), id="erase-expired", variant="error")
            with VerticalScroll(id="patron-side"):
                yield Static(_("Find a reader, or register a new one (Ctrl+N)."), id="patron-detail")
                with Grid(id="patron-actions"):
                    for button_id, label, _action in ACTIONS:
                        yield Button(_(label), id=button_id, disabled=True)

    def on_mount(self) -> None:
        self.fill()
        self.count_due()

    def fill(self) -> None:
        table = self.query_one("#patron-table", DataTable)
        table.add_columns(_("Card"), _("Name"), _("Category"), _("Status"), _("Valid until"), _("Loans"), _("Phone"), _("ID"))
        self.query_one("#patron-search", Input).focus()
        self.load(self.page_starts[-1])

    async def retranslate(self) -> None:
        """The language changed: rebuild in the new words, keeping the search and the page."""
        search = self.query_one("#patron-search", Input).value
        await super().retranslate()
        self.query_one("#patron-search", Input).value = search
        self.fill()
        self.count_due()

    # -- loading the list (a worker: big tables) ---------------------------------------------------

    def current_filter(self) -> PatronFilter:
        def value(selector: str) -> str:
            v = self.query_one(selector, Select).value
            return "" if v is Select.NULL else str(v)

        when = value("#filter-when")
        return PatronFilter(
            category=value("#filter-category"),
            status=value("#filter-status"),
            expiring_soon=when == "expiring_soon",
            expired=when == "expired",
            overdue=when == "overdue",
        )

    def load(self, after: str | None = None) -> None:
        self.query_one("#patron-count", Static).update(_("Searching…"))
        self.fetch(self.query_one("#patron-search", Input).value, self.current_filter(), after)

    @work(thread=True, exclusive=True, exit_on_error=False, group="patrons", description="patron search")
    def fetch(self, text: str, filters: PatronFilter, after: str | None) -> None:
        with self.ctx.db.connection_context():
            if text.strip():
                rows, next_after = [r for r in search_patrons(self.ctx, text) if _passes(r, filters, self.ctx)], None
            else:
                page = list_patrons(self.ctx, filters, after=after)
                rows, next_after = page.rows, page.next_after
        self.app.call_from_thread(self.show_rows, rows, next_after, bool(text.strip()))

    def show_rows(self, rows: list[PatronRow], next_after: str | None, searched: bool) -> None:
        self.rows, self.next_after = rows, next_after
        table = self.query_one("#patron-table", DataTable)
        table.clear()
        table.add_rows([self._cells(r) for r in rows])
        if searched:
            text = ngettext("{n} reader found", "{n} readers found", len(rows)).format(n=len(rows))
            if rows and rows[0].matched_old_card:
                text += " · " + _("card {old} was replaced: this reader's card is now {new}").format(
                    old=rows[0].matched_old_card, new=rows[0].card_number
                )
        else:
            page = len(self.page_starts)
            text = _("Page {page}").format(page=page) + " · " + ngettext("{n} reader", "{n} readers", len(rows)).format(n=len(rows))
            if next_after:
                text += " · " + _("Ctrl+PgDn: next page")
            if page > 1:
                text += " · " + _("Ctrl+PgUp: previous page")
        self.query_one("#patron-count", Static).update(text)
        if rows:
            table.move_cursor(row=0)
            self.show_patron(rows[0].id)
        else:
            self.show_patron(None)

    def _cells(self, r: PatronRow) -> list:
        loans = str(r.open_loans) if r.open_loans else ""
        if r.overdue_loans:
            loans = Text(_("{n} ({late} late)").format(n=r.open_loans, late=r.overdue_loans), style="bold red", end="")
        expiry = ""
        if r.expiry_date:
            expiry = Text(r.expiry_date.isoformat(), style="red" if r.expiry_date < self.ctx.clock.today() else "", end="")
        return [
            r.card_number,
            Text(r.name, end=""),
            category_label(r.category),
            Text(self._status(r.status, r.expiry_date), style=self._status_style(r.status, r.expiry_date), end=""),
            expiry,
            loans,
            r.phone,
            r.id_number_masked or "",
        ]

    def _status(self, status: str, expiry: dt.date | None) -> str:
        return card_status_label(status, expiry, self.ctx.clock.today())

    def _status_style(self, status: str, expiry: dt.date | None) -> str:
        if status == "active" and expiry and expiry < self.ctx.clock.today():
            return "red"
        return STATUS_STYLES.get(status, "")

    @on(Input.Submitted, "#patron-search")
    def action_search(self) -> None:
        self.page_starts = [None]
        self.load()

    @on(Select.Changed)
    def filters_changed(self) -> None:
        self.page_starts = [None]
        self.load()

    def action_next_page(self) -> None:
        if self.next_after and not self.query_one("#patron-search", Input).value.strip():
            self.page_starts.append(self.next_after)
            self.load(self.next_after)

    def action_previous_page(self) -> None:
        if len(self.page_starts) > 1:
            self.page_starts.pop()
            self.load(self.page_starts[-1])

    # -- the highlighted reader ------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#patron-table")
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.rows):
            self.show_patron(self.rows[event.cursor_row].id)

    @on(DataTable.RowSelected, "#patron-table")
    def row_selected(self) -> None:
        self.action_edit()

    def show_patron(self, patron_id: str | None) -> None:
        detail = self.query_one("#patron-detail", Static)
        self.selected = patron_details(self.ctx, patron_id) if patron_id else None
        for button_id, _label, _action in ACTIONS:
            self.query_one("#" + button_id, Button).disabled = self.selected is None
        if self.selected is None:
            detail.update(_("No reader selected."))
            return
        detail.update(self.describe(self.selected))
        live = self.selected.status in ("active", "suspended")
        for button_id in ("act-renew", "act-suspend", "act-replace", "act-return", "act-reset-pin", "act-print"):
            self.query_one("#" + button_id, Button).disabled = not live
        self.query_one("#act-suspend", Button).label = (
            _("Lift suspension") if self.selected.status == "suspended" else _("Suspend")
        )
        self.query_one("#act-edit", Button).disabled = self.selected.status == "erased"

    def describe(self, p: PatronDetails) -> Text:
        today = self.ctx.clock.today()
        text = Text()
        text.append(p.name + "\n", style="bold")
        text.append(p.card_number + "  ", style="bold cyan")
        text.append(self._status(p.status, p.expiry_date) + "\n", style=self._status_style(p.status, p.expiry_date))

        def line(label: str, value: str, style: str = "") -> None:
            text.append(f"{label}: ", style="dim")
            text.append(value + "\n", style=style)

        line(_("Category"), category_label(p.category))
        if p.birth_date:
            line(
                _("Born"),
                _("{date} (age {age})").format(date=format_date(p.birth_date), age=age_on(p.birth_date, today))
                + ("  " + _(GENDER_LABELS[p.gender]) if p.gender else ""),
            )
        line(_("Phone"), p.phone or "—")
        if p.may_see_private:
            line(_(ID_TYPE_LABELS.get(p.id_type, p.id_type)), p.id_number_masked or "—")
            line(_("Address"), p.address or "—")
        if p.guardian_name:
            guardian = p.guardian_name + (f" ({p.guardian_card})" if p.guardian_card else "")
            line(_("Guardian"), f"{guardian}  {p.guardian_phone}")
        if p.expiry_date:
            line(_("Valid until"), format_date(p.expiry_date), "bold red" if p.expiry_date < today else "")
        line(_("Deposit"), yuan(p.deposit_cents))
        loans = ngettext("{n} book on loan", "{n} books on loan", p.open_loans).format(n=p.open_loans)
        if p.overdue_loans:
            loans += ", " + ngettext("{n} overdue", "{n} overdue", p.overdue_loans).format(n=p.overdue_loans)
        line(_("Loans"), loans, "bold red" if p.overdue_loans else "")
        if p.open_holds:
            line(_("Holds"), str(p.open_holds))
        line(_("Card issued on"), format_datetime(self.ctx.clock.to_local(p.registered_at)))
        if p.consent_at:
            line(_("Privacy consent"), format_datetime(self.ctx.clock.to_local(p.consent_at)))
        if p.notes:
            line(_("Notes"), p.notes)
        if p.history:
            text.append("\n" + _("Card history") + "\n", style="bold")
            for h in p.history[:6]:
                when = format_date(self.ctx.clock.to_local(h.at).date(), "short")
                detail = h.card_number if h.kind == "issued" else h.reason
                if h.kind == "replaced":
                    detail = f"{h.old_card_number} → {h.card_number}"
                text.append(f"{when}  {h.label}  {detail}\n")
        return text

    # -- actions -------------------------------------------------------------------------------------------

    @on(Button.Pressed, "#patron-actions Button")
    def action_button(self, event: Button.Pressed) -> None:
        for button_id, _label, action in ACTIONS:
            if event.button.id == button_id:
                getattr(self, f"action_{action}")()

    def _need_selected(self) -> PatronDetails | None:
        # A key pressed twice in a form (Ctrl+S, to save) lands here once the form has
        # closed, where it means something else (Ctrl+S suspends the card): not acted on.
        # Pressed before the form closed, or just after: however late it is handled.
        if self.app.input_at - self.app.dialog_closed_at < REPEAT_AFTER_DIALOG:
            return None
        if self.selected is None:
            self.notify(_("Choose a reader in the list first."), severity="warning")
            self.app.bell()
        return self.selected

    def _after_change(self, result: object) -> None:
        """A dialog or the form changed something: refresh the list and the reader."""
        if result:
            keep = self.selected.id if self.selected else None
            self.load(self.page_starts[-1])
            if keep:
                self.show_patron(keep)

    @on(Button.Pressed, "#register")
    def action_register(self) -> None:
        self.app.push_screen(PatronFormScreen(self.ctx), self._registered)

    def _registered(self, patron_id: str | None) -> None:
        if patron_id:
            details = patron_details(self.ctx, patron_id)
            search = self.query_one("#patron-search", Input)
            search.value = details.card_number
            self.action_search()

    def action_edit(self) -> None:
        if (p := self._need_selected()) and p.status != "erased":
            self.app.push_screen(PatronFormScreen(self.ctx, p.id), self._registered)

    def action_renew(self) -> None:
        if p := self._need_selected():
            self.app.push_screen(RenewDialog(self.ctx, p), self._after_change)

    def action_suspend(self) -> None:
        if p := self._need_selected():
            self.app.push_screen(SuspendDialog(self.ctx, p), self._after_change)

    def action_replace_card(self) -> None:
        if p := self._need_selected():
            self.app.push_screen(ReplaceCardDialog(self.ctx, p), self._replaced)

    def _replaced(self, new_card: str | None) -> None:
        if new_card:
            self.notify(_("New card {card} issued; the old one is blocked.").format(card=new_card))
            self.query_one("#patron-search", Input).value = new_card
            self.action_search()

    def action_return_card(self) -> None:
        if p := self._need_selected():
            self.app.push_screen(ReturnCardDialog(self.ctx, p), self._after_change)

    def action_reset_pin(self) -> None:
        if p := self._need_selected():
            self.app.push_screen(ResetPinDialog(self.ctx, p), lambda done: self.notify(_("PIN reset.")) if done else None)

    def action_show_id(self) -> None:
        if p := self._need_selected():
            try:
                number = show_id_number(self.ctx, p.id)
            except CountyLibError as exc:
                self.notify(exc.message, severity="error")
                self.app.bell()
                return
            self.app.push_screen(IdNumberDialog(p.name, number))

    def action_print_card(self) -> None:
        if p := self._need_selected():
            try:
                faces = card_faces(self.ctx, [p.card_number])
                out = data_dir() / "cards" / f"{p.card_number}.pdf"
                out.parent.mkdir(parents=True, exist_ok=True)
                render_cards(faces, out)
            except (CountyLibError, OSError) as exc:
                self.notify(getattr(exc, "message", str(exc)), severity="error")
                return
            self.notify(_("Card saved for printing: {path}").format(path=str(out)))

    def action_export(self) -> None:
        if p := self._need_selected():
            folder = data_dir() / "exports"
            stem = f"{p.card_number}-{self.ctx.clock.today():%Y%m%d}"
            try:
                export = export_patron_data(self.ctx, p.id)
                folder.mkdir(parents=True, exist_ok=True)
                write_export(export, folder / f"{stem}.csv")
                write_export(export, folder / f"{stem}.pdf")
            except (CountyLibError, OSError) as exc:
                self.notify(getattr(exc, "message", str(exc)), severity="error")
                return
            self.notify(_("The reader's data was saved in {folder} as {name}.csv and {name}.pdf.").format(folder=str(folder), name=stem))

    @on(Button.Pressed, "#import")
    def action_import_file(self) -> None:
        self.app.push_screen(PatronImportDialog(self.ctx), self._after_change)

    # -- retention ---------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="patrons-erase", description="count expired data")
    def count_due(self) -> None:
        with self.ctx.db.connection_context():
            due = erasures_due(self.ctx)
        self.app.call_from_thread(self.show_due, due)

    def show_due(self, due: int) -> None:
        """Say how many readers' data is due for erasure; only an administrator may erase it."""
        self.due_for_erasure = due
        admin = self.ctx.actor.at_least(ADMIN)
        text = ngettext(
            "Personal data of {n} reader is due for erasure: the card was returned longer ago than the retention period.",
            "Personal data of {n} readers is due for erasure: the card was returned longer ago than the retention period.",
            due,
        ).format(n=due)
        if not admin:
            text += " " + _("An administrator can erase it.")
        self.query_one("#erase-due", Static).update(text)
        self.query_one("#patron-erase-bar").display = due > 0
        self.query_one("#erase-expired", Button).display = admin
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "erase_expired":
            return self.due_for_erasure > 0 and self.ctx.actor.at_least(ADMIN)
        return True

    @on(Button.Pressed, "#erase-expired")
    def action_erase_expired(self) -> None:
        # Counted again: readers may have come due, or been erased elsewhere, since the screen opened.
        due = erasures_due(self.ctx)
        if not due:
            self.show_due(0)
            return
        question = ngettext(
            "The name, ID number, phone, address, birth date, notes and PIN of {n} reader whose card was "
            "returned longer ago than the retention period will be erased. This cannot be undone.",
            "The names, ID numbers, phones, addresses, birth dates, notes and PINs of {n} readers whose cards were "
            "returned longer ago than the retention period will be erased. This cannot be undone.",
            due,
        ).format(n=due)
        dialog = ConfirmDialog(_("Erase expired personal data"), question, _("Erase"))
        self.app.push_screen(dialog, lambda yes: self.erase_expired() if yes else None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="patrons-erase", description="erase expired data")
    def erase_expired(self) -> None:
        """Returned cards past the retention period lose their personal data (PIPL)."""
        try:
            with self.ctx.db.connection_context():
                erased = erase_expired_personal_data(self.ctx)
        except CountyLibError as exc:
            self.app.call_from_thread(self.notify, exc.message, severity="error")
            return
        self.app.call_from_thread(self._erased, erased)

    def _erased(self, erased: int) -> None:
        self.notify(
            ngettext("Personal data of {n} reader erased.", "Personal data of {n} readers erased.", erased).format(n=erased)
        )
        self._after_change(True)
        self.count_due()


def _passes(row: PatronRow, filters: PatronFilter, ctx: ServiceContext) -> bool:
    """The filters applied to one page of search results (already in memory)."""
    today = ctx.clock.today()
    if filters.category and row.category != filters.category:
        return False
    if filters.status and row.status != filters.status:
        return False
    if filters.expired and not (row.expiry_date and row.expiry_date < today):
        return False
    if filters.overdue and not row.overdue_loans:
        return False
    if filters.expiring_soon:
        soon = today + dt.timedelta(days=int(get_setting("expiring_soon_days")))
        if not (row.expiry_date and today <= row.expiry_date <= soon):
            return False
    return True
