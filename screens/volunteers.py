"""The volunteers area (F6).

Librarians get four tabs: the volunteer list and records, the week's roster, signing in
and out at the desk, and hours & recognition. A volunteer signed in with their own account
sees only their own shifts (the services enforce the same).
"""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Select, Static, TabbedContent, TabPane

from countylib.context import ServiceContext
from countylib.i18n import N_, _, current_language, ngettext
from countylib.roles import LIBRARIAN
from countylib.settings import get_setting
from countylib.shifts import has_valid_check
from countylib.volunteers import STATUSES, get_volunteer, search_volunteers, skill_label
from screens.base import AreaScreen
from screens.roster import RosterPane
from screens.volunteer_desk import MyShiftsPane, SignInPane
from screens.volunteer_modals import VolunteerForm
from screens.volunteer_recognition import RecognitionPane


class RecordsPane(Vertical):
    def __init__(self, ctx: ServiceContext, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx

    def compose(self) -> ComposeResult:
        with Horizontal(id="vol-bar"):
            yield Input(placeholder=_("Name, pinyin, phone, card or skill"), id="vol-search")
            yield Select(
                [(_(label), code) for code, label in STATUSES.items()], prompt=_("Every status"), id="vol-status"
            )
            yield Button(_("New volunteer"), variant="primary", id="vol-new")
        yield DataTable(id="vol-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="vol-count")

    def on_mount(self) -> None:
        self.query_one("#vol-table", DataTable).add_columns(
            _("Name"), _("Phone"), _("Card"), _("Skills"), _("Status"), _("Background check"), _("Account")
        )
        self.load()

    def load(self) -> None:
        status = self.query_one("#vol-status", Select).value
        found = search_volunteers(
            self.ctx, self.query_one("#vol-search", Input).value, status=None if status is Select.NULL else status
        )
        table = self.query_one("#vol-table", DataTable)
        table.clear()
        today = self.ctx.clock.today()
        years = int(get_setting("volunteers.background_check_years"))
        separator = "、" if current_language() == "zh_CN" else ", "
        for v in found:
            if v.background_check_on is None:
                check = Text("—", style="dim")
            else:
                check = Text(v.background_check_on.isoformat(), style="" if has_valid_check(v, today, years) else "red")
            table.add_row(
                Text(v.name),
                v.phone,
                v.card_number or "",
                Text(separator.join(skill_label(s) for s in v.skills or [])),
                _(STATUSES.get(v.status, v.status)),
                check,
                v.staff.username if v.staff_id else "",
                key=v.id,
            )
        self.query_one("#vol-count", Static).update(
            ngettext(
                "{n} volunteer. Enter: open the record · Ctrl+N: new volunteer",
                "{n} volunteers. Enter: open the record · Ctrl+N: new volunteer",
                len(found),
            ).format(n=len(found))
        )

    @on(Input.Changed, "#vol-search")
    @on(Select.Changed, "#vol-status")
    def filter_changed(self) -> None:
        self.load()

    @on(Input.Submitted, "#vol-search")
    def to_table(self) -> None:
        self.query_one("#vol-table", DataTable).focus()

    @on(DataTable.RowSelected, "#vol-table")
    def open_record(self, event: DataTable.RowSelected) -> None:
        volunteer = get_volunteer(self.ctx, event.row_key.value)
        self.app.push_screen(VolunteerForm(self.ctx, volunteer), self._saved)

    @on(Button.Pressed, "#vol-new")
    def action_new_volunteer(self) -> None:
        self.app.push_screen(VolunteerForm(self.ctx), self._saved)

    def _saved(self, volunteer) -> None:
        if volunteer is not None:
            self.app.notify(_("Saved: {name}").format(name=volunteer.name))
            self.load()


NEW_ON_TAB = {"new_shift": "tab-roster", "new_volunteer": "tab-records"}  # Ctrl+N's action → its tab


class VolunteersScreen(AreaScreen):
    CSS_PATH = ["volunteers.tcss", "roster.tcss"]
    # Ctrl+N makes what the open tab lists. The keys live on the screen, not the tabs' panes,
    # so they also work while the tab bar has the focus.
    BINDINGS = [
        Binding("ctrl+n", "new_shift", N_("New shift"), id="roster.new_shift"),
        Binding("ctrl+n", "new_volunteer", N_("New volunteer"), id="volunteers.new"),
    ]

    def __init__(self, ctx: ServiceContext, **kwargs) -> None:
        super().__init__(ctx, **kwargs)
        self.active_tab = "tab-roster"
        self.roster_monday: dt.date | None = None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in NEW_ON_TAB:
            return self.ctx.actor.at_least(LIBRARIAN) and self.active_tab == NEW_ON_TAB[action]
        return super().check_action(action, parameters)

    def action_new_shift(self) -> None:
        self.query_one(RosterPane).action_new_shift()

    def action_new_volunteer(self) -> None:
        self.query_one(RecordsPane).action_new_volunteer()

    def compose_body(self) -> ComposeResult:
        if not self.ctx.actor.at_least(LIBRARIAN):
            yield MyShiftsPane(self.ctx, id="my-pane")
            return
        with TabbedContent(initial=self.active_tab, id="volunteer-tabs"):
            with TabPane(_("Roster"), id="tab-roster"):
                yield RosterPane(self.ctx, self.roster_monday)
            with TabPane(_("Sign in / out"), id="tab-desk"):
                yield SignInPane(self.ctx)
            with TabPane(_("Volunteers"), id="tab-records"):
                yield RecordsPane(self.ctx)
            with TabPane(_("Hours & recognition"), id="tab-recognition"):
                yield RecognitionPane(self.ctx)

    @on(TabbedContent.TabActivated, "#volunteer-tabs")
    def tab_changed(self, event: TabbedContent.TabActivated) -> None:
        self.active_tab = event.pane.id or self.active_tab
        self.refresh_bindings()
        # Every tab shows the latest: another desk (or this one's dialogs) may have changed it.
        if self.active_tab == "tab-desk":
            desk = self.query_one(SignInPane)
            desk.load_today()
            desk.focus_scan()
        elif self.active_tab == "tab-roster":
            self.query_one(RosterPane).load()
        elif self.active_tab == "tab-recognition":
            self.query_one(RecognitionPane).load()

    @on(RosterPane.WeekChanged)
    def remember_week(self, event: RosterPane.WeekChanged) -> None:
        self.roster_monday = event.monday
