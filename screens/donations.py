"""Donations: choose or add the donor, take in the box book by book, print the thanks.

Three panes: the donor (find or add, how the books came), the intake (scan an ISBN or type
a title; the check against the holdings shows at once; a decision key per book), and the
printouts (certificate, spine and barcode labels). The scan field keeps the focus; the
decision keys act on the highlighted book, which is the one just scanned.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, ContentSwitcher, DataTable, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from countylib.cataloguing import (
    barcode_labels,
    find_by_isbn,
    format_isbn,
    format_price,
    label_setup,
    spine_labels,
)
from countylib.donations import (
    DECISION_NAMES,
    DECLINE_REASONS,
    DONOR_KINDS,
    HOW_RECEIVED,
    AlreadyADonor,
    LineView,
    OpenDonation,
    accession_line,
    accessioned_items,
    add_book,
    certificate_for,
    check_finished,
    decline_line,
    find_donation,
    find_donors,
    forward_destinations,
    forward_line,
    intake_lines,
    reason_text,
    receive_donation,
    register_donor,
    unfinished_donations,
)
from countylib.errors import CountyLibError
from countylib.i18n import N_, _, format_date
from countylib.paths import data_dir
from printing.certificates import render_certificate
from printing.labels import render_labels
from screens.base import AreaScreen
from screens.brief_record import BriefRecordScreen, Prefill
from screens.callnumber_blocks import CallNumberBlocksScreen
from screens.i18n import translate_bindings
from screens.widgets.footer import Footer


def printouts_dir() -> Path:
    folder = data_dir() / "printouts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# -- dialogs ---------------------------------------------------------------------------------


class _Dialog(ModalScreen):
    CSS_PATH = "donations.tcss"
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="donations.dialog.cancel")]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, ".cancel")
    def cancel_pressed(self) -> None:
        self.dismiss(None)

    def refuse(self, message: str) -> None:
        self.query_one(".dialog-error", Static).update(message)
        self.app.bell()

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def mended(self) -> None:
        # A refusal is about what was there when saving; once staff change it, it is stale.
        self.query_one(".dialog-error", Static).update("")


class NewDonorScreen(_Dialog):
    """Adds a donor; dismisses with the Donor or None."""

    BINDINGS = [Binding("ctrl+s", "save", N_("Save"), id="donations.donor.save")]

    def __init__(self, ctx, name: str = "") -> None:
        super().__init__()
        self.ctx = ctx
        self.name_text = name

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("New donor"), classes="dialog-title")
            yield Label(_("Name (person or organisation)"))
            yield Input(value=self.name_text, id="donor-name")
            yield Label(_("Kind"))
            yield Select([(_(label), kind) for kind, label in DONOR_KINDS.items()], value="person",
                         allow_blank=False, id="donor-kind")
            yield Label(_("Phone"))
            yield Input(id="donor-phone")
            yield Label(_("Address"))
            yield Input(id="donor-address")
            yield Checkbox(_("Wishes to stay anonymous in public lists"), id="donor-anonymous")
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save"), id="donor-save", variant="primary")
                yield Button(_("Cancel"), classes="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#donor-name", Input).focus()

    @on(Button.Pressed, "#donor-save")
    def action_save(self) -> None:
        try:
            donor = register_donor(
                self.ctx,
                self.query_one("#donor-name", Input).value,
                kind=str(self.query_one("#donor-kind", Select).value),
                phone=self.query_one("#donor-phone", Input).value,
                address=self.query_one("#donor-address", Input).value,
                anonymous=self.query_one("#donor-anonymous", Checkbox).value,
            )
        except AlreadyADonor as exc:
            self.app.notify(exc.message + " " + _("They are chosen."))
            self.dismiss(exc.donor)
            return
        except CountyLibError as exc:
            self.refuse(exc.message)
            return
        self.dismiss(donor)


class ForwardScreen(_Dialog):
    """Where a book goes instead; dismisses with a location code or None."""

    BINDINGS = [Binding("ctrl+j", "submit", N_("Forward"), id="donations.forward.submit", show=False)]

    def __init__(self, book: str, places: list[tuple[str, str]]) -> None:
        super().__init__()
        self.book = book
        self.places = places

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Forward {book} to").format(book=self.book), classes="dialog-title")
            yield Select(self.places, prompt=_("Choose a branch or reading point"), id="forward-to")
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Forward"), id="forward-ok", variant="primary")
                yield Button(_("Cancel"), classes="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#forward-to", Select).focus()

    @on(Button.Pressed, "#forward-ok")
    def action_submit(self) -> None:
        value = self.query_one("#forward-to", Select).value
        if value is Select.NULL:
            self.refuse(_("Choose where the book goes."))
            return
        self.dismiss(str(value))


class DeclineScreen(_Dialog):
    """Why a book is turned down; dismisses with the reason (a code or words) or None."""

    BINDINGS = [Binding("ctrl+j", "submit", N_("Decline"), id="donations.decline.submit", show=False)]

    def __init__(self, book: str) -> None:
        super().__init__()
        self.book = book

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Decline {book}").format(book=self.book), classes="dialog-title")
            yield Select([(_(label), code) for code, label in DECLINE_REASONS.items()],
                         prompt=_("Reason"), id="decline-reason")
            yield Label(_("Or say it in words"))
            yield Input(id="decline-words")
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Decline"), id="decline-ok", variant="warning")
                yield Button(_("Cancel"), classes="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#decline-reason", Select).focus()

    @on(Input.Submitted, "#decline-words")
    @on(Button.Pressed, "#decline-ok")
    def action_submit(self) -> None:
        words = self.query_one("#decline-words", Input).value.strip()
        code = self.query_one("#decline-reason", Select).value
        reason = words or ("" if code is Select.NULL else str(code))
        if not reason:
            self.refuse(_("Say why the book is declined: damaged, outdated, duplicate or unsuitable."))
            return
        self.dismiss(reason)


# -- the area screen -----------------------------------------------------------------------------


class DonationsScreen(AreaScreen):
    CSS_PATH = "donations.tcss"
    BINDINGS = [
        Binding("ctrl+j", "add_scanned", N_("Add book"), id="donations.scan.submit", show=False),
        Binding("ctrl+r", "accession", N_("Accession"), id="donations.accession"),
        Binding("ctrl+f", "forward", N_("Forward"), id="donations.forward"),
        # priority: the scan field keeps the focus, and an Input would take ctrl+d itself
        # (delete right, which the Delete key still does).
        Binding("ctrl+d", "decline", N_("Decline"), id="donations.decline", priority=True),
        Binding("ctrl+g", "finish", N_("Finish and print"), id="donations.finish"),
        Binding("up", "move_line(-1)", N_("Previous book"), id="donations.line.up", show=False),
        Binding("down", "move_line(1)", N_("Next book"), id="donations.line.down", show=False),
    ]

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.donor = None
        self.donation = None
        self.views: list[LineView] = []
        self.printed: list[Path] = []

    # -- layout ------------------------------------------------------------------------------

    def _pane(self) -> str:
        if self.donation is None:
            return "donor-pane"
        return "done-pane" if self.printed else "intake-pane"

    def compose_body(self) -> ComposeResult:
        with ContentSwitcher(initial=self._pane(), id="donation-panes"):
            with Vertical(id="donor-pane"):
                yield Static(_("Donations: who is giving the books?"), classes="title")
                yield Static("", id="open-donations")
                with Horizontal(classes="row"):
                    yield Input(placeholder=_("Find a donor by name or phone"), id="donor-search")
                    yield Button(_("New donor"), id="new-donor")
                    yield Button(_("Call-number blocks"), id="blocks")
                yield DataTable(id="donor-table", cursor_type="row")
                yield Static(self._donor_text(), id="donor-chosen")
                with Horizontal(classes="row"):
                    yield Select([(_(label), code) for code, label in HOW_RECEIVED.items()],
                                 value="in_person", allow_blank=False, id="how-received")
                    yield Input(placeholder=_("Notes (optional)"), id="donation-notes")
                    yield Button(_("Start intake"), id="start-intake", variant="primary")
                yield Static("", id="donor-error", classes="error")
            with Vertical(id="intake-pane"):
                yield Static(self._donation_text(), id="intake-header", classes="title")
                yield Label(_("Scan the ISBN or type the title, then Enter"))
                yield Input(id="scan")
                yield Static("", id="check")
                yield DataTable(id="lines", cursor_type="row")
            with Vertical(id="done-pane"):
                yield Static(_("The donation is finished."), classes="title")
                yield Static(self._done_text(), id="done-summary")
                with Horizontal(classes="row"):
                    yield Label(_("Reprint the labels from label number"))
                    yield Input(value="1", id="start-at")
                    yield Button(_("Reprint labels"), id="reprint")
                yield Button(_("Next donation"), id="next-donation", variant="primary")

    def on_mount(self) -> None:
        self._build()

    async def retranslate(self) -> None:
        await super().retranslate()
        self._build()

    def _build(self) -> None:
        """Columns and rows in the current language (after mounting, and after a recompose)."""
        table = self.query_one("#donor-table", DataTable)
        table.add_columns(_("Name"), _("Kind"), _("Phone"), _("Anonymous"))
        lines = self.query_one("#lines", DataTable)
        lines.add_columns("#", _("ISBN"), _("Title"), _("Held (here)"), _("Record"), _("Decision"))
        self._fill_donors("")
        self._show_unfinished()
        self._fill_lines()
        self._focus_pane()

    def _focus_pane(self) -> None:
        pane = self._pane()
        self.query_one("#donation-panes", ContentSwitcher).current = pane
        target = {"donor-pane": "#donor-search", "intake-pane": "#scan", "done-pane": "#next-donation"}[pane]
        self.query_one(target).focus()
        self.refresh_bindings()

    # -- donor pane -----------------------------------------------------------------------

    def _donor_text(self) -> str:
        if self.donor is None:
            return _("No donor chosen yet: pick one in the list (Enter) or add a new donor.")
        kind = _(DONOR_KINDS[self.donor.kind])
        text = _("Donor: {name} ({kind}) {phone}").format(name=self.donor.name, kind=kind, phone=self.donor.phone)
        unfinished = unfinished_donations(self.ctx, self.donor)
        if unfinished:
            text += "\n" + _("Their donation of {date} is not finished ({waiting}): Start intake goes on with it.").format(
                date=format_date(unfinished[0].donation.received_on), waiting=self._waiting_text(unfinished[0])
            )
        return text

    @staticmethod
    def _waiting_text(open_donation: OpenDonation) -> str:
        if not open_donation.books:
            return _("no book scanned yet")
        return _("{waiting} of {books} books waiting for a decision").format(
            waiting=open_donation.waiting, books=open_donation.books
        )

    def _show_unfinished(self) -> None:
        """Boxes left half done (signed out, or the app closed, in the middle) stay in view."""
        unfinished = unfinished_donations(self.ctx)
        text = ""
        if unfinished:
            text = _("Not finished yet: {donations}. Pick the donor to go on.").format(
                donations="; ".join(
                    f"{o.donation.donor.name} {format_date(o.donation.received_on)} ({self._waiting_text(o)})"
                    for o in unfinished
                )
            )
        shown = self.query_one("#open-donations", Static)
        shown.update(text)
        shown.display = bool(text)

    def _fill_donors(self, query: str) -> None:
        table = self.query_one("#donor-table", DataTable)
        table.clear()
        self.donor_rows = find_donors(query)
        table.add_rows(
            [
                (d.name, _(DONOR_KINDS[d.kind]), d.phone, _("yes") if d.anonymous else "")
                for d in self.donor_rows
            ]
        )

    @on(Input.Changed, "#donor-search")
    def search_donors(self, event: Input.Changed) -> None:
        self._fill_donors(event.value)

    @on(Input.Submitted, "#donor-search")
    def donor_search_submitted(self) -> None:
        if self.donor_rows:
            self._choose_donor(self.donor_rows[0] if len(self.donor_rows) == 1 else None)
            if self.donor is None:
                self.query_one("#donor-table", DataTable).focus()
        else:
            self.new_donor()

    @on(DataTable.RowSelected, "#donor-table")
    def donor_picked(self, event: DataTable.RowSelected) -> None:
        self._choose_donor(self.donor_rows[event.cursor_row])

    def _choose_donor(self, donor) -> None:
        if donor is None:
            return
        self.donor = donor
        self.query_one("#donor-chosen", Static).update(self._donor_text())
        self.query_one("#start-intake", Button).focus()

    @on(Button.Pressed, "#new-donor")
    def new_donor(self) -> None:
        def added(donor) -> None:
            if donor is not None:
                self._fill_donors("")
                self._choose_donor(donor)

        self.app.push_screen(NewDonorScreen(self.ctx, self.query_one("#donor-search", Input).value), added)

    @on(Button.Pressed, "#blocks")
    def show_blocks(self) -> None:
        self.app.push_screen(CallNumberBlocksScreen(self.ctx))

    @on(Button.Pressed, "#start-intake")
    def start_intake(self) -> None:
        error = self.query_one("#donor-error", Static)
        if self.donor is None:
            error.update(_("Choose the donor first."))
            self.app.bell()
            return
        unfinished = unfinished_donations(self.ctx, self.donor)
        if unfinished:
            self.donation = unfinished[0].donation
        else:
            try:
                self.donation = receive_donation(
                    self.ctx,
                    self.donor,
                    how_received=str(self.query_one("#how-received", Select).value),
                    notes=self.query_one("#donation-notes", Input).value,
                )
            except CountyLibError as exc:
                error.update(exc.message)
                self.app.bell()
                return
        error.update("")
        self.query_one("#intake-header", Static).update(self._donation_text())
        self._fill_lines()
        self._focus_pane()
        if unfinished:
            self._say(_("Going on with the donation of {date}.").format(date=format_date(self.donation.received_on)))

    # -- intake pane -----------------------------------------------------------------------

    def _donation_text(self) -> str:
        if self.donation is None:
            return ""
        return _("Donation from {donor}, received {date}: {how}").format(
            donor=self.donation.donor.name,
            date=format_date(self.donation.received_on),
            # A value from another version or branch (sync) is shown as it is, not a crash.
            how=_(HOW_RECEIVED[how]) if (how := self.donation.how_received) in HOW_RECEIVED else how,
        )

    def _decision_text(self, view: LineView) -> str:
        line = view.line
        decision = _(DECISION_NAMES[line.decision])
        if line.decision == "accessioned":
            return f"{decision} {line.item.barcode}"
        if line.decision == "forwarded":
            return f"{decision} → {line.forward_to.name}"
        if line.decision == "declined":
            return f"{decision}: {reason_text(line.reason)}"
        return decision

    def _fill_lines(self, select: int | None = None) -> None:
        table = self.query_one("#lines", DataTable)
        row = table.cursor_row if select is None else select
        table.clear()
        self.views = intake_lines(self.ctx, self.donation) if self.donation else []
        table.add_rows(
            [
                (
                    str(n),
                    format_isbn(v.line.isbn),
                    v.line.title or "—",
                    f"{v.held} ({v.held_here})",
                    (v.line.bib.call_number or _("yes")) if v.has_record else _("none"),
                    self._decision_text(v),
                )
                for n, v in enumerate(self.views, 1)
            ]
        )
        if self.views:
            table.move_cursor(row=max(0, min(row, len(self.views) - 1)))

    def _selected(self) -> LineView | None:
        if not self.views:
            self._say(_("Scan a book first."), error=True)
            return None
        return self.views[self.query_one("#lines", DataTable).cursor_row]

    def _say(self, text: str, *, error: bool = False) -> None:
        check = self.query_one("#check", Static)
        check.update(text)
        check.set_class(error, "error")
        if error:
            self.app.bell()

    def _describe(self, view: LineView) -> str:
        line = view.line
        book = line.title or format_isbn(line.isbn)
        if view.has_record:
            status = _("record exists, call number {call_number}").format(call_number=line.bib.call_number)
        else:
            status = _("no record yet: accessioning opens the brief record form")
        return _("{book}: {status}. The library holds {held} copies ({here} here).").format(
            book=book, status=status, held=view.held, here=view.held_here
        )

    @on(Input.Submitted, "#scan")
    def action_add_scanned(self) -> None:
        if self.donation is None or self._pane() != "intake-pane":
            return
        scan = self.query_one("#scan", Input)
        try:
            add_book(self.ctx, self.donation, scan.value)
        except CountyLibError as exc:
            self._say(exc.message, error=True)
            # Selected, so the next scan replaces it rather than joining it; a typed title
            # can still be corrected.
            scan.select_all()
            return
        scan.value = ""
        self._fill_lines(select=len(self.views))
        self._say(self._describe(self.views[-1]))
        scan.focus()

    def action_move_line(self, step: int) -> None:
        if self.views:
            table = self.query_one("#lines", DataTable)
            table.move_cursor(row=max(0, min(table.cursor_row + step, len(self.views) - 1)))
            self._say(self._describe(self.views[table.cursor_row]))

    def _decided(self, view: LineView) -> None:
        index = self.views.index(view)
        self._fill_lines(select=index)
        self._say(self._describe(self.views[index]) + " → " + self._decision_text(self.views[index]))
        self.query_one("#scan", Input).focus()

    def action_accession(self) -> None:
        view = self._selected()
        if view is None:
            return
        line = view.line
        # A second copy of a book catalogued a moment ago in this box has its record now.
        if view.has_record or line.decision != "pending" or find_by_isbn(line.isbn) is not None:
            try:
                accession_line(self.ctx, line)
            except CountyLibError as exc:
                self._say(exc.message, error=True)
                return
            self._decided(view)
            return

        def accession_with(record):
            return accession_line(self.ctx, line, record=record)

        def closed(result) -> None:
            if result is not None:
                self._decided(view)
            else:
                self.query_one("#scan", Input).focus()

        prefill = Prefill(title=line.title, isbn=format_isbn(line.isbn))
        self.app.push_screen(
            BriefRecordScreen(
                self.ctx, prefill, save=accession_with, ask_copies=False,
                heading=_("Brief record for the donated book"),
            ),
            closed,
        )

    def action_forward(self) -> None:
        view = self._selected()
        if view is None:
            return
        places = [(f"{p.name} ({p.code})", p.code) for p in forward_destinations(self.ctx)]
        if not places:
            self._say(_("There is no other branch or reading point to forward to."), error=True)
            return

        def chosen(code: str | None) -> None:
            if code is not None:
                try:
                    forward_line(self.ctx, view.line, code)
                except CountyLibError as exc:
                    self._say(exc.message, error=True)
                    return
                self._decided(view)

        self.app.push_screen(ForwardScreen(view.line.title or view.line.isbn, places), chosen)

    def action_decline(self) -> None:
        view = self._selected()
        if view is None:
            return

        def chosen(reason: str | None) -> None:
            if reason is not None:
                try:
                    decline_line(self.ctx, view.line, reason)
                except CountyLibError as exc:
                    self._say(exc.message, error=True)
                    return
                self._decided(view)

        self.app.push_screen(DeclineScreen(view.line.title or format_isbn(view.line.isbn)), chosen)

    # -- finishing --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("accession", "forward", "decline", "finish", "move_line"):
            return self._pane() == "intake-pane"
        return True

    def action_finish(self) -> None:
        if self.donation is None:
            return
        try:
            check_finished(self.donation)
        except CountyLibError as exc:
            self._say(exc.message, error=True)
            return
        self._say(_("Printing the certificate and the labels…"))
        self.print_outputs(1)

    @work(thread=True, exclusive=True, exit_on_error=False, group="donation-print", description="print donation")
    def print_outputs(self, start_at: int) -> list[Path]:
        """Certificate and labels as PDFs in the printouts folder (a worker: reportlab is slow)."""
        with self.ctx.db.connection_context():
            donation = find_donation(self.donation.id)
            certificate = certificate_for(self.ctx, donation)
            items = accessioned_items(donation)
            setup = label_setup(start_at=start_at)
            library_name = self.ctx.branch.library_name or self.ctx.branch.name
            spines, barcodes = spine_labels(items), barcode_labels(items, library_name)
        folder = printouts_dir()
        written = [folder / f"{certificate.number}-certificate.pdf"]
        render_certificate(certificate, written[0])
        if items:
            written += [folder / f"{certificate.number}-spine-labels.pdf", folder / f"{certificate.number}-barcode-labels.pdf"]
            render_labels(spines, setup, written[1])
            render_labels(barcodes, setup, written[2])
        return written

    @on(Worker.StateChanged)
    def printed_or_failed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "donation-print":
            return
        if event.state == WorkerState.SUCCESS:
            self.printed = event.worker.result
            self.query_one("#done-summary", Static).update(self._done_text())
            self._focus_pane()
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            message = error.message if isinstance(error, CountyLibError) else str(error)
            self._say(_("Printing failed: {reason}").format(reason=message), error=True)
            self.notify(message, severity="error")

    def _done_text(self) -> str:
        if not self.printed or self.donation is None:
            return ""
        accepted = sum(1 for v in self.views if v.line.decision in ("accessioned", "forwarded"))
        value = sum(v.line.estimated_value_cents for v in self.views if v.line.decision == "accessioned")
        lines = [
            _("{donor}: {accepted} of {total} books accepted, estimated value {value} yuan.").format(
                donor=self.donation.donor.name, accepted=accepted, total=len(self.views), value=format_price(value)
            ),
            _("Printed to:"),
            *[f"  {path}" for path in self.printed],
        ]
        return "\n".join(lines)

    @on(Button.Pressed, "#reprint")
    def reprint(self) -> None:
        text = self.query_one("#start-at", Input).value.strip()
        if not text.isdigit():
            self.notify(_("Give the number of the first free label, e.g. 5."), severity="error")
            return
        self.print_outputs(int(text))

    @on(Button.Pressed, "#next-donation")
    def next_donation(self) -> None:
        self.donor, self.donation, self.views, self.printed = None, None, [], []
        self.query_one("#donor-chosen", Static).update(self._donor_text())
        self._show_unfinished()
        self.query_one("#donor-search", Input).value = ""
        self.query_one("#donation-notes", Input).value = ""
        self._fill_lines()
        self._say("")
        self._fill_donors("")
        self._focus_pane()
