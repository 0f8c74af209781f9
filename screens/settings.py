"""Settings: the interface language (switches at once), the library's settings, staff."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, HorizontalGroup, VerticalScroll
from textual.widgets import Button, DataTable, Label, Select, Static

from countylib.auth import list_staff
from countylib.i18n import LANGUAGE_NAMES, N_, _, current_language
from countylib.roles import ADMIN, LIBRARIAN, ROLE_NAMES
from countylib.errors import CountyLibError
from countylib.settings import change_setting, get_setting, load_area_settings, setting_value_label
from screens.about import AboutScreen
from screens.audit_log import AuditLogScreen
from screens.base import AreaScreen
from screens.closed_days import ClosedDaysScreen
from screens.rules import RulesScreen
from screens.setting_edit import SettingEditScreen
from screens.staff import StaffScreen


def staff_rows() -> list[tuple[str, ...]]:
    return [
        (s.username, s.display_name, _(ROLE_NAMES[s.role]), _("yes") if s.active else _("no")) for s in list_staff()
    ]


class SettingsScreen(AreaScreen):
    CSS_PATH = "settings.tcss"
    BINDINGS = [
        Binding("ctrl+r", "open_rules", N_("Lending rules"), id="settings.rules"),
        Binding("ctrl+d", "open_closed_days", N_("Closed days"), id="settings.closed_days"),
        Binding("ctrl+u", "open_staff", N_("Staff accounts"), id="settings.staff"),
        Binding("ctrl+a", "open_audit_log", N_("Audit log"), id="settings.audit_log"),
    ]

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="settings"):
            yield Static(_("Settings"), classes="title")
            with Horizontal(id="language-row"):
                yield Label(_("Interface language"))
                yield Select(
                    [(name, code) for code, name in LANGUAGE_NAMES.items()],
                    value=current_language(),
                    allow_blank=False,
                    id="language",
                )
            with HorizontalGroup(id="admin-buttons"):
                yield Button(_("Lending rules"), id="open-rules")
                yield Button(_("Closed days"), id="open-closed-days")
                yield Button(_("Staff accounts"), id="open-staff")
                yield Button(_("Audit log"), id="open-audit-log")
            yield Static(_("Library settings"), classes="section")
            yield Static(_("Enter on a row changes it (most settings need an administrator)."), classes="hint")
            table = DataTable(id="settings-table", cursor_type="row")
            table.add_columns(_("Setting"), _("Value"))
            for key, spec in load_area_settings().items():
                table.add_row(_(spec.label), setting_value_label(key, get_setting(key)), key=key)
            yield table
            if self.ctx.actor.at_least(ADMIN):
                yield Static(_("Staff accounts"), classes="section")
                staff = DataTable(id="staff-table", cursor_type="row")
                staff.add_columns(_("User name"), _("Name"), _("Role"), _("Active"))
                staff.add_rows(staff_rows())
                yield staff
            yield Button(_("About CountyLib"), id="about")

    @on(DataTable.RowSelected, "#settings-table")
    def edit_setting(self, event: DataTable.RowSelected) -> None:
        key = str(event.row_key.value)
        if key == "language":
            self.query_one("#language", Select).focus()
            return

        def changed(value: object) -> None:
            if value is None:
                return
            try:
                change_setting(self.ctx, key, value)
            except CountyLibError as exc:
                self.notify(exc.message, severity="error")
                self.app.bell()
                return
            table = self.query_one("#settings-table", DataTable)
            table.update_cell(key, table.ordered_columns[1].key, setting_value_label(key, get_setting(key)))
            self.notify(_("Saved."))

        self.app.push_screen(SettingEditScreen(key), changed)

    def open_admin_screen(self, role: str, screen: AreaScreen) -> None:
        """Rules and closed days need a librarian, staff accounts an administrator (the
        services check again); anyone else gets the reason instead of the screen."""
        try:
            self.ctx.require(role)
        except CountyLibError as exc:
            self.notify(exc.message, severity="error")
            self.app.bell()
            return
        self.app.push_screen(screen, self.refresh_staff)

    @on(Button.Pressed, "#open-rules")
    def action_open_rules(self) -> None:
        self.open_admin_screen(LIBRARIAN, RulesScreen(self.ctx))

    @on(Button.Pressed, "#open-closed-days")
    def action_open_closed_days(self) -> None:
        self.open_admin_screen(LIBRARIAN, ClosedDaysScreen(self.ctx))

    @on(Button.Pressed, "#open-staff")
    def action_open_staff(self) -> None:
        self.open_admin_screen(ADMIN, StaffScreen(self.ctx))

    @on(Button.Pressed, "#open-audit-log")
    def action_open_audit_log(self) -> None:
        self.open_admin_screen(ADMIN, AuditLogScreen(self.ctx))

    @on(DataTable.RowSelected, "#staff-table")
    def open_staff_account(self, event: DataTable.RowSelected) -> None:
        username = str(event.data_table.get_row(event.row_key)[0])
        self.open_admin_screen(ADMIN, StaffScreen(self.ctx, username))

    def refresh_staff(self, _result: object = None) -> None:
        for table in self.query("#staff-table").results(DataTable):
            table.clear()
            table.add_rows(staff_rows())

    @on(Button.Pressed, "#about")
    def show_about(self) -> None:
        self.app.push_screen(AboutScreen(self.ctx.db.database))

    @on(Select.Changed, "#language")
    async def change_language(self, event: Select.Changed) -> None:
        if event.value != current_language():
            await self.app.set_ui_language(str(event.value), persist=True)
