"""Places beyond the branch (reading points, the book van, van stops), the van's week, and the
deposit collections: send a box of items out (scan, then a transfer list), take items back,
see what is where."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from countylib import deposits
from countylib.context import ServiceContext
from countylib.errors import CountyLibError
from countylib.i18n import N_, _, format_date
from countylib.calendar import WEEKDAY_NAMES
from countylib.locations import (
    CODE_EXAMPLES,
    PlaceDraft,
    add_location,
    deposit_destinations,
    kind_name,
    list_locations,
    location_by_code,
    set_location_active,
    update_location,
    van_routes,
    van_schedule,
    weekday_name,
)
from printing.attendance import render_transfer_list
from screens.base import AreaScreen
from screens.confirm import ConfirmDialog
from screens.events_common import clip, export_path, fill_table
from screens.i18n import translate_bindings


NAME_WIDTH = 30  # terminal cells: 15 Chinese characters
TEXT_WIDTH = 24


def _say(widget, text: str, *, error: bool = False) -> None:
    widget.update(text)
    widget.set_class(error, "error")
    widget.set_class(not error, "ok")
    if error:
        widget.app.bell()


class PlacesPane(Vertical):
    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(id="places-pane")
        self.ctx = ctx
        self._codes: list[str] = []

    def compose(self) -> ComposeResult:
        with Horizontal(classes="entry"):
            yield Button(_("New reading point"), id="place-new-rp", variant="primary")
            yield Button(_("New van stop"), id="place-new-stop")
            yield Button(_("New van"), id="place-new-van")
            yield Button(_("Edit"), id="place-edit")
            yield Button(_("Close / reopen"), id="place-toggle")
        yield Static("", id="place-message", classes="message")
        yield DataTable(id="place-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        out = {code: n for code, _name, n in deposits.counts_by_place()}
        places = list_locations(include_inactive=True)
        self._codes = [p.code for p in places]
        table = self.query_one("#place-table", DataTable)
        rows = []
        for p in places:
            if p.kind == "van_stop":
                where, when = p.route, f"{weekday_name(p.weekday)} {p.time_of_day}"
            else:
                where, when = (p.host_organisation or p.route), p.contact
            rows.append(
                (
                    p.code,
                    clip(p.name, NAME_WIDTH),
                    kind_name(p.kind),
                    clip(where, TEXT_WIDTH),
                    clip(when, TEXT_WIDTH),
                    str(out.get(p.code, "")),
                    _("yes") if p.active else _("closed"),
                )
            )
        fill_table(
            table,
            [_("Code"), _("Place name"), _("Kind"), _("Host organisation / route"), _("Contact / when"), _("Items here"), _("In service")],
            rows,
        )

    def _selected(self) -> str | None:
        table = self.query_one("#place-table", DataTable)
        if not self._codes or not 0 <= table.cursor_row < len(self._codes):
            return None
        return self._codes[table.cursor_row]

    def _after_form(self, saved: bool | None) -> None:
        if saved:
            self.reload()
            for pane in self.screen.query(VanSchedulePane):
                pane.reload()

    @on(Button.Pressed, "#place-new-rp")
    def new_reading_point(self) -> None:
        self.app.push_screen(PlaceFormScreen(self.ctx, "reading_point"), self._after_form)

    @on(Button.Pressed, "#place-new-stop")
    def new_stop(self) -> None:
        self.app.push_screen(PlaceFormScreen(self.ctx, "van_stop"), self._after_form)

    @on(Button.Pressed, "#place-new-van")
    def new_van(self) -> None:
        self.app.push_screen(PlaceFormScreen(self.ctx, "van"), self._after_form)

    @on(DataTable.RowSelected, "#place-table")
    @on(Button.Pressed, "#place-edit")
    def edit(self) -> None:
        code = self._selected()
        if code is None:
            return
        place = location_by_code(code)
        if place.kind == "branch":
            _say(self.query_one("#place-message", Static), _("A branch building is changed in the branch setup, not here."), error=True)
            return
        self.app.push_screen(PlaceFormScreen(self.ctx, place.kind, code), self._after_form)

    @on(Button.Pressed, "#place-toggle")
    def toggle(self) -> None:
        code = self._selected()
        if code is None:
            return
        place = location_by_code(code)
        try:
            set_location_active(self.ctx, code, not place.active)
        except CountyLibError as exc:
            _say(self.query_one("#place-message", Static), exc.message, error=True)
            return
        text = _("{name} is open again.") if not place.active else _("{name} is closed.")
        _say(self.query_one("#place-message", Static), text.format(name=place.name))
        self._after_form(True)


class PlaceFormScreen(ModalScreen[bool]):
    """Add or change a reading point, the van or a van stop."""

    CSS_PATH = "activities.tcss"
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="place-form.cancel")]
    TITLES = {"reading_point": N_("Reading point"), "van": N_("Book van"), "van_stop": N_("Van stop")}

    def __init__(self, ctx: ServiceContext, kind: str, code: str | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.kind = kind
        self.place = location_by_code(code) if code else None
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        p = self.place
        with Vertical(classes="dialog"):
            yield Static(_(self.TITLES[self.kind]), classes="question")
            with Grid(classes="form"):
                yield Label(_("Code"))
                yield Input(
                    p.code if p else "", placeholder=_("e.g. {code}").format(code=CODE_EXAMPLES[self.kind]), id="p-code", disabled=p is not None
                )
                yield Label(_("Place name"))
                yield Input(p.name if p else "", id="p-name")
                if self.kind == "reading_point":
                    yield Label(_("Host organisation"))
                    yield Input(p.host_organisation if p else "", placeholder=_("village committee, school, company …"), id="p-host")
                if self.kind in ("reading_point", "van"):
                    yield Label(_("Contact"))
                    yield Input(p.contact if p else "", placeholder=_("name and phone"), id="p-contact")
                if self.kind == "van":
                    yield Label(_("Route"))
                    yield Input(p.route if p else "", placeholder=_("e.g. 北线; its stops are then put on it"), id="p-route")
                if self.kind == "van_stop":
                    # A stop is on a route some van drives: routes come with their van.
                    routes = van_routes()
                    if p and p.route and p.route not in routes:
                        routes.insert(0, p.route)
                    yield Label(_("Route"))
                    yield Select(
                        [(route, route) for route in routes],
                        value=(p.route if p and p.route else routes[0]) if routes else Select.NULL,
                        allow_blank=not routes,
                        prompt=_("no van has a route yet"),
                        id="p-route-choice",
                    )
                if self.kind == "van_stop":
                    yield Label(_("Weekday"))
                    yield Select(
                        [(_(name), n) for n, name in enumerate(WEEKDAY_NAMES)],
                        value=p.weekday if p and p.weekday is not None else 0,
                        allow_blank=False,
                        id="p-weekday",
                    )
                    yield Label(_("Time"))
                    yield Input(p.time_of_day if p else "", placeholder="09:30", id="p-time")
            yield Static("", id="place-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button(_("Save"), id="p-save", variant="primary")
                yield Button(_("Cancel"), id="p-cancel")

    def _text(self, selector: str) -> str:
        found = self.query(selector)
        return found.first(Input).value if found else ""

    @on(Button.Pressed, "#p-save")
    def save(self) -> None:
        weekday = self.query("#p-weekday")
        route = self._text("#p-route")
        for choice in self.query("#p-route-choice").results(Select):
            route = "" if choice.value == Select.NULL else str(choice.value)
        draft = PlaceDraft(
            code=self._text("#p-code"),
            name=self._text("#p-name"),
            kind=self.kind,
            host_organisation=self._text("#p-host"),
            contact=self._text("#p-contact"),
            route=route,
            weekday=int(weekday.first(Select).value) if weekday else None,
            time_of_day=self._text("#p-time"),
        )
        try:
            if self.place is None:
                add_location(self.ctx, draft)
            else:
                update_location(self.ctx, self.place.code, draft)
        except CountyLibError as exc:
            self.query_one("#place-error", Static).update(exc.message)
            self.app.bell()
            return
        self.dismiss(True)

    @on(Button.Pressed, "#p-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class VanSchedulePane(Vertical):
    """The van's week: every open stop by weekday and time."""

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(id="van-pane")
        self.ctx = ctx

    def compose(self) -> ComposeResult:
        yield Static("", id="van-today", classes="figures")
        yield DataTable(id="van-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        stops = van_schedule()
        today = self.ctx.clock.today().weekday()
        todays = [s for s in stops if s.weekday == today]
        self.query_one("#van-today", Static).update(
            _("Today: {stops}").format(stops=", ".join(f"{s.time_of_day} {s.name}" for s in todays))
            if todays
            else _("The van has no stops today.")
        )
        table = self.query_one("#van-table", DataTable)
        fill_table(
            table,
            [_("Weekday"), _("Time"), _("Van stop"), _("Route"), _("Code")],
            [(weekday_name(s.weekday), s.time_of_day, clip(s.name, NAME_WIDTH), clip(s.route, TEXT_WIDTH), s.code) for s in stops],
        )


class DepositsPane(Vertical):
    """Collections out and back, and what is where."""

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(id="deposits-pane")
        self.ctx = ctx
        self._ids: list[str] = []

    def compose(self) -> ComposeResult:
        with Horizontal(classes="entry"):
            yield Button(_("Send a collection"), id="dep-send", variant="primary")
            yield Button(_("Take items back"), id="dep-back")
            yield Button(_("Transfer list (PDF)"), id="dep-print")
        yield Static("", id="dep-where", classes="figures")
        yield Static("", id="dep-message", classes="message")
        yield DataTable(id="dep-table", cursor_type="row", zebra_stripes=True)
        yield Static(_("What is where: items out now"), classes="section")
        yield DataTable(id="dep-items", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        where = deposits.counts_by_place()
        self.query_one("#dep-where", Static).update(
            _("Out now: {places}").format(places=", ".join(f"{name} {n}" for _code, name, n in where))
            if where
            else _("Nothing is out with a deposit collection.")
        )
        collections = deposits.list_collections()
        self._ids = [c.id for c in collections]
        table = self.query_one("#dep-table", DataTable)
        fill_table(
            table,
            [_("Sent"), _("Destination"), _("Items"), _("Still out"), _("Back complete"), _("Note")],
            [
                (
                    format_date(self.ctx.clock.to_local(c.sent_at).date()),
                    c.location_name,
                    str(c.total),
                    str(c.still_out or ""),
                    format_date(self.ctx.clock.to_local(c.closed_at).date()) if c.closed_at else "",
                    c.note,
                )
                for c in collections
            ],
        )
        fill_table(
            self.query_one("#dep-items", DataTable),
            [_("Place"), _("Barcode"), _("Title"), _("Call number"), _("Since"), _("Status")],
            [
                (
                    i.place_name,
                    i.barcode,
                    i.title,
                    i.call_number,
                    format_date(self.ctx.clock.to_local(i.sent_at).date()),
                    deposits.status_name(i.status),
                )
                for i in deposits.items_out()
            ],
        )

    def on_screen_resume(self) -> None:
        self.reload()

    @on(Button.Pressed, "#dep-send")
    def send(self) -> None:
        if not deposit_destinations():
            _say(self.query_one("#dep-message", Static), _("Add a reading point or the book van first (Places tab)."), error=True)
            return
        self.app.push_screen(DepositSendScreen(self.ctx), self.sent)

    def sent(self, collection_id: str | None) -> None:
        self.reload()
        if collection_id is None:
            return
        [summary] = [c for c in deposits.list_collections() if c.id == collection_id]

        def print_it(yes: bool) -> None:
            if yes:
                self.print_transfer_list(collection_id)

        _say(self.query_one("#dep-message", Static), _("{count} items sent to {place}.").format(count=summary.total, place=summary.location_name))
        self.app.push_screen(
            # The items are sent already: "Cancel" would read as taking that back.
            ConfirmDialog(
                _("Transfer list"), _("Make the transfer list (PDF) to go with them?"), _("Transfer list (PDF)"), cancel=_("No")
            ),
            print_it,
        )

    @on(Button.Pressed, "#dep-back")
    def take_back(self) -> None:
        self.app.push_screen(DepositReturnScreen(self.ctx), lambda _result: self.reload())

    @on(Button.Pressed, "#dep-print")
    def print_list(self) -> None:
        table = self.query_one("#dep-table", DataTable)
        if not self._ids or not 0 <= table.cursor_row < len(self._ids):
            _say(self.query_one("#dep-message", Static), _("Choose a collection in the list first."), error=True)
            return
        self.print_transfer_list(self._ids[table.cursor_row])

    def print_transfer_list(self, collection_id: str) -> None:
        data = deposits.transfer_list(self.ctx, collection_id)
        path = export_path(_("Transfer list") + f"-{data.destination}-{data.reference}", ".pdf")
        self.render_pdf(data, path)

    @work(thread=True, exclusive=True, group="transfer-list", exit_on_error=False)
    def render_pdf(self, data, path: Path) -> Path:
        render_transfer_list(data, path)
        return path

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "transfer-list":
            return
        message = self.query_one("#dep-message", Static)
        if event.state == WorkerState.SUCCESS:
            _say(message, _("Saved:") + "\n" + str(event.worker.result))
        elif event.state == WorkerState.ERROR:
            _say(message, _("The printout could not be made: {reason}").format(reason=event.worker.error), error=True)


class DepositSendScreen(AreaScreen):
    """Scan the items for one collection; each scan is checked at once, the whole box is sent together."""

    CSS_PATH = "activities.tcss"
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="deposit-send.back"),
        Binding("ctrl+j", "scan", N_("Add the scanned item"), id="deposit-send.scan", show=False),
        Binding("ctrl+s", "send", N_("Send the collection"), id="deposit-send.send"),
        Binding("ctrl+b", "remove", N_("Remove the chosen item"), id="deposit-send.remove"),
    ]

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(ctx)
        self.items: list = []

    def compose_body(self) -> ComposeResult:
        places = [(f"{p.name} ({kind_name(p.kind)})", p.code) for p in deposit_destinations()]
        with Vertical(id="deposit-send"):
            yield Static(_("Send a deposit collection"), classes="title")
            with Horizontal(classes="entry"):
                yield Label(_("Destination"), classes="entry-label")
                yield Select(places, value=places[0][1], allow_blank=False, id="send-to")
            with Horizontal(classes="entry"):
                yield Label(_("Note"), classes="entry-label")
                yield Input(placeholder=_("e.g. winter box, children's books"), id="send-note")
            with Horizontal(classes="entry"):
                yield Label(_("Item"), classes="entry-label")
                yield Input(placeholder=_("scan item barcodes one after another"), id="send-scan")
            yield Static("", id="send-message", classes="message")
            yield DataTable(id="send-table", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="buttons"):
                yield Button(_("Send the collection"), id="send-go", variant="primary")

    def on_mount(self) -> None:
        self.show_items()
        self.query_one("#send-scan", Input).focus()

    def show_items(self) -> None:
        table = self.query_one("#send-table", DataTable)
        fill_table(
            table,
            [_("No."), _("Barcode"), _("Title"), _("Call number")],
            [(str(n), i.barcode, i.bib.title, i.call_number or i.bib.call_number) for n, i in enumerate(self.items, start=1)],
        )
        count = len(self.items)
        self.query_one("#send-go", Button).label = _("Send the collection ({count})").format(count=count)

    def destination(self) -> str:
        return str(self.query_one("#send-to", Select).value)

    @on(Input.Submitted, "#send-scan")
    def action_scan(self) -> None:
        scan = self.query_one("#send-scan", Input)
        barcode, scan.value = scan.value.strip(), ""
        scan.focus()
        if not barcode:
            return
        message = self.query_one("#send-message", Static)
        if any(i.barcode == barcode for i in self.items):
            _say(message, _("{barcode} is already in this collection.").format(barcode=barcode), error=True)
            return
        try:
            item = deposits.check_sendable(self.ctx, barcode, self.destination())
        except CountyLibError as exc:
            _say(message, exc.message, error=True)
            return
        self.items.append(item)
        _say(message, _("{title} added.").format(title=item.bib.title))
        self.show_items()

    def action_remove(self) -> None:
        table = self.query_one("#send-table", DataTable)
        if self.items and 0 <= table.cursor_row < len(self.items):
            removed = self.items.pop(table.cursor_row)
            _say(self.query_one("#send-message", Static), _("{title} removed.").format(title=removed.bib.title))
            self.show_items()

    @on(Button.Pressed, "#send-go")
    def action_send(self) -> None:
        message = self.query_one("#send-message", Static)
        try:
            collection = deposits.send_deposit(
                self.ctx, self.destination(), [i.barcode for i in self.items], self.query_one("#send-note", Input).value
            )
        except CountyLibError as exc:
            _say(message, exc.message, error=True)
            return
        self.items = []
        self.dismiss(collection.id)

    def action_back(self) -> None:
        if not self.items:
            self.dismiss(None)
            return

        def leave(yes: bool) -> None:
            if yes:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmDialog(
                _("Leave without sending"),
                _("{count} scanned items have not been sent. Leave without sending?").format(count=len(self.items)),
                _("Leave"),
            ),
            leave,
        )


class DepositReturnScreen(AreaScreen):
    """Items back from a reading point or the van: each scan returns one item at once."""

    CSS_PATH = "activities.tcss"
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="deposit-return.back"),
        Binding("ctrl+j", "scan", N_("Take back the scanned item"), id="deposit-return.scan", show=False),
    ]

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(ctx)
        self.returned: list[tuple[str, str, str]] = []

    def compose_body(self) -> ComposeResult:
        with Vertical(id="deposit-return"):
            yield Static(_("Take items back from a deposit collection"), classes="title")
            with Horizontal(classes="entry"):
                yield Label(_("Item"), classes="entry-label")
                yield Input(placeholder=_("scan item barcodes one after another"), id="back-scan")
            yield Static("", id="back-message", classes="message")
            yield DataTable(id="back-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.show_returned()
        self.query_one("#back-scan", Input).focus()

    def show_returned(self) -> None:
        table = self.query_one("#back-table", DataTable)
        fill_table(
            table,
            [_("No."), _("Barcode"), _("Title"), _("Came back from")],
            [(str(n), *row) for n, row in enumerate(reversed(self.returned), start=1)],
        )

    @on(Input.Submitted, "#back-scan")
    def action_scan(self) -> None:
        scan = self.query_one("#back-scan", Input)
        barcode, scan.value = scan.value.strip(), ""
        scan.focus()
        if not barcode:
            return
        message = self.query_one("#back-message", Static)
        try:
            [line] = deposits.take_back(self.ctx, [barcode])
        except CountyLibError as exc:
            _say(message, exc.message, error=True)
            return
        place = line.collection.location.name
        title = line.item.bib.title
        self.returned.append((line.barcode, title, place))
        _say(message, _("{title} is back from {place}.").format(title=title, place=place))
        self.show_returned()

    def action_back(self) -> None:
        self.dismiss(None)
