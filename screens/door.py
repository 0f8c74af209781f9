"""The door check-in mode: scan cards (the field keeps the focus), tick names on the list, add
walk-ins, and a live headcount that also counts check-ins made at another desk."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Digits, Input, Label, Static

from countylib import activities as act
from countylib.context import ServiceContext
from countylib.errors import CountyLibError
from countylib.i18n import N_, _
from screens.base import AreaScreen
from screens.events_common import fill_table, parse_number

# Who is on the door list: everyone who may still come, and everyone who came.
ON_THE_LIST = ("attended", "registered", "waitlisted", "no_show")


class DoorScreen(AreaScreen):
    CSS_PATH = "activities.tcss"
    # A scan screen: no single-letter keys (a scanner's burst typed elsewhere would fire them).
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="door.back"),
        Binding("ctrl+j", "scan", N_("Check in"), id="door.scan", show=False),
        Binding("ctrl+t", "tick", N_("Tick the chosen name"), id="door.tick"),
        Binding("ctrl+b", "undo", N_("Undo the chosen check-in"), id="door.undo"),
    ]

    def __init__(self, ctx: ServiceContext, event_id: str) -> None:
        super().__init__(ctx)
        self.event_id = event_id
        self._rows: list[act.RegistrationRow] = []
        self._version: int | None = None

    def compose_body(self) -> ComposeResult:
        event = act.get_activity(self.event_id)
        with Vertical(id="door"):
            yield Static(f"{event.title} · {act.when_text(self.ctx, event)} · {act.place_text(event)}", id="door-title", classes="title")
            with Horizontal(id="door-top"):
                with Vertical(id="door-count"):
                    yield Digits("0", id="headcount")
                    yield Static("", id="headcount-label")
                with Vertical(id="door-scan-box"):
                    yield Label(_("Scan a library card"))
                    yield Input(placeholder=_("card number"), id="door-scan")
                    yield Static("", id="door-message", classes="message")
            yield DataTable(id="door-list", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="entry"):
                yield Label(_("Walk-in"), classes="entry-label")
                yield Input(placeholder=_("name"), id="walk-name")
                yield Input(placeholder=_("phone (optional)"), id="walk-phone")
                yield Input(placeholder=_("age"), id="walk-age", classes="short")
                yield Button(_("Add walk-in"), id="walk-add", variant="primary")
            yield Static(
                _("Enter on a name or Ctrl+T ticks it; Ctrl+B undoes a check-in made by mistake."), classes="hint"
            )

    def on_mount(self) -> None:
        self.refresh_list()
        self.query_one("#door-scan", Input).focus()
        # Another desk may be checking people in at the same door.
        self.set_interval(3, self.refresh_list)

    def refresh_list(self) -> None:
        version = act.list_version(self.event_id)
        if version == self._version:
            return
        self._version = version
        event = act.get_activity(self.event_id)
        rows = [r for r in act.registrations(self.ctx, self.event_id) if r.status in ON_THE_LIST]
        self._rows = rows
        self.query_one("#headcount", Digits).update(str(sum(1 for r in rows if r.status == "attended")))
        self.query_one("#headcount-label", Static).update(
            _("checked in of {capacity} places").format(capacity=event.capacity) if event.capacity else _("checked in")
        )
        fill_table(
            self.query_one("#door-list", DataTable),
            ["✓", _("Name"), _("Card"), _("Status"), _("Checked in")],
            [
                (
                    "✓" if r.status == "attended" else "",
                    r.name,
                    r.card_number,
                    _(act.REGISTRATION_STATUS_NAMES[r.status]) + (" " + _("(at the door)") if r.at_door else ""),
                    (f"{r.checked_in_at:%H:%M}" + (" " + _("late") if r.late else "")) if r.checked_in_at else "",
                )
                for r in rows
            ],
        )

    def say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#door-message", Static)
        message.update(text)
        message.set_class(error, "error")
        message.set_class(not error, "ok")
        if error:
            self.app.bell()

    def admitted(self, done: act.CheckIn) -> None:
        notes = {
            "registered": _("{name} checked in."),
            "waitlist": _("{name} checked in from the waitlist."),
            "walk_in": _("{name} checked in as a walk-in."),
        }
        text = notes[done.how].format(name=done.name)
        if done.late:
            text += " " + _("(late)")
        self.say(text)
        self.refresh_list()

    @on(Input.Submitted, "#door-scan")
    def action_scan(self) -> None:
        scan = self.query_one("#door-scan", Input)
        card, scan.value = scan.value, ""
        scan.focus()
        if not card.strip():
            return
        try:
            done = act.check_in_card(self.ctx, self.event_id, card)
        except CountyLibError as exc:
            self.say(exc.message, error=True)
            return
        self.admitted(done)

    def _chosen(self) -> act.RegistrationRow | None:
        table = self.query_one("#door-list", DataTable)
        if not self._rows or not 0 <= table.cursor_row < len(self._rows):
            self.say(_("Choose a name in the list first."), error=True)
            return None
        return self._rows[table.cursor_row]

    @on(DataTable.RowSelected, "#door-list")
    def action_tick(self) -> None:
        row = self._chosen()
        if row is None:
            return
        try:
            done = act.check_in_registration(self.ctx, row.id)
        except CountyLibError as exc:
            self.say(exc.message, error=True)
            return
        self.admitted(done)

    def action_undo(self) -> None:
        row = self._chosen()
        if row is None:
            return
        if row.attendance_id is None:
            self.say(_("{name} has not checked in.").format(name=row.name), error=True)
            return
        try:
            act.undo_check_in(self.ctx, row.attendance_id)
        except CountyLibError as exc:
            self.say(exc.message, error=True)
            return
        self.say(_("{name}'s check-in is undone.").format(name=row.name))
        self.refresh_list()

    @on(Input.Submitted, "#walk-name")
    @on(Input.Submitted, "#walk-phone")
    @on(Input.Submitted, "#walk-age")
    @on(Button.Pressed, "#walk-add")
    def add_walk_in(self) -> None:
        fields = [self.query_one(s, Input) for s in ("#walk-name", "#walk-phone", "#walk-age")]
        try:
            age = parse_number(fields[2].value, optional=True)
            done = act.check_in_walk_in(self.ctx, self.event_id, fields[0].value, fields[1].value, age=age)
        except CountyLibError as exc:
            self.say(exc.message, error=True)
            return
        for field in fields:
            field.value = ""
        self.query_one("#door-scan", Input).focus()
        self.admitted(done)

    def action_back(self) -> None:
        self.app.pop_screen()
