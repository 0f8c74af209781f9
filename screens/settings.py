"""Settings: the interface language (switches at once), the library's settings, staff."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Label, Select, Static

from countylib.auth import list_staff
from countylib.i18n import LANGUAGE_NAMES, _, current_language
from countylib.roles import ADMIN, ROLE_NAMES
from countylib.errors import CountyLibError
from countylib.settings import change_setting, format_setting_value, get_setting, load_area_settings
from screens.about import AboutScreen
from screens.base import AreaScreen
from screens.setting_edit import SettingEditScreen


class SettingsScreen(AreaScreen):
    CSS_PATH = "settings.tcss"

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
            yield Static(_("Library settings"), classes="section")
            yield Static(_("Enter on a row changes it (most settings need an administrator)."), classes="hint")
            table = DataTable(id="settings-table", cursor_type="row")
            table.add_columns(_("Setting"), _("Value"))
            for key, spec in load_area_settings().items():
                table.add_row(_(spec.label), format_setting_value(get_setting(key)), key=key)
            yield table
            if self.ctx.actor.at_least(ADMIN):
                yield Static(_("Staff accounts"), classes="section")
                staff = DataTable(id="staff-table", cursor_type="row")
                staff.add_columns(_("User name"), _("Name"), _("Role"), _("Active"))
                staff.add_rows(
                    [
                        (s.username, s.display_name, _(ROLE_NAMES[s.role]), _("yes") if s.active else _("no"))
                        for s in list_staff()
                    ]
                )
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
            table.update_cell(key, table.ordered_columns[1].key, format_setting_value(get_setting(key)))
            self.notify(_("Saved."))

        self.app.push_screen(SettingEditScreen(key), changed)

    @on(Button.Pressed, "#about")
    def show_about(self) -> None:
        self.app.push_screen(AboutScreen(self.ctx.db.database))

    @on(Select.Changed, "#language")
    async def change_language(self, event: Select.Changed) -> None:
        if event.value != current_language():
            await self.app.set_ui_language(str(event.value), persist=True)
