"""Changing one setting: one of its choices, or the value as text, checked before the dialog closes."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from countylib.errors import CountyLibError
from countylib.i18n import N_, _
from countylib.settings import SPECS, format_setting_value, get_setting, parse_setting_value, setting_value_label
from screens.i18n import translate_bindings


class SettingEditScreen(ModalScreen[object]):
    """Dismisses with the new (parsed) value, or None when cancelled."""

    CSS_PATH = "setting_edit.tcss"
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="setting.cancel")]

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        spec = SPECS[self.key]
        with Vertical(id="setting-box"):
            yield Static(_(spec.label), id="setting-label")
            if spec.choices:
                yield Select(
                    [(setting_value_label(self.key, choice), choice) for choice in spec.choices],
                    value=get_setting(self.key),
                    allow_blank=False,
                    id="setting-choice",
                )
            else:
                yield Input(format_setting_value(get_setting(self.key)), id="setting-value")
            yield Static("", id="setting-error")
            with Horizontal(id="setting-buttons"):
                yield Button(_("Save"), id="setting-save", variant="primary")
                yield Button(_("Cancel"), id="setting-cancel")

    def on_mount(self) -> None:
        self.query_one("#setting-choice, #setting-value").focus()

    @on(Input.Submitted, "#setting-value")
    @on(Button.Pressed, "#setting-save")
    def save(self) -> None:
        choices = self.query("#setting-choice")
        if choices:
            self.dismiss(choices.first(Select).value)
            return
        try:
            value = parse_setting_value(self.key, self.query_one("#setting-value", Input).value)
        except CountyLibError as exc:
            self.query_one("#setting-error", Static).update(exc.message)
            self.app.bell()
            return
        self.dismiss(value)

    @on(Button.Pressed, "#setting-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
