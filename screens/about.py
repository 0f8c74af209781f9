"""About CountyLib: version, where the program, the data, the backups and the logs are, licence.

IT helpers are asked for these on the phone ("which version? where is the file?"), so every
path is shown whole and can be selected and copied with the mouse.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from countylib.about import COPYRIGHT, LICENCE, describe_installation
from countylib.i18n import N_, _
from screens.i18n import translate_bindings


class AboutScreen(ModalScreen[None]):
    CSS_PATH = "about.tcss"
    BINDINGS = [Binding("escape", "close", N_("Close"), id="about.close")]

    def __init__(self, database_path: str) -> None:
        super().__init__()
        self.database_path = database_path
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        about = describe_installation(self.database_path)
        rows = (
            (N_("Version"), about.version),
            (N_("Installed as"), f"{_(about.kind)} · Python {about.python}"),
            (N_("Program folder"), str(about.program_folder)),
            (N_("Data folder"), str(about.data_folder)),
            (N_("Database"), str(about.database)),
            (N_("Backups before upgrades"), str(about.backups_folder)),
            (N_("Log folder"), str(about.log_folder)),
            (N_("Licence"), f"{LICENCE} · {COPYRIGHT}"),
        )
        with Vertical(id="about-box"):
            yield Static(_("About CountyLib"), id="about-title")
            with Grid(id="about-facts"):
                for label, value in rows:
                    yield Label(_(label), classes="about-label")
                    yield Static(value, classes="about-value")
            yield Static(
                _(
                    "CountyLib is free software under the MIT licence: you may use, copy, change "
                    "and share it. It comes with no warranty."
                ),
                id="about-licence",
            )
            yield Button(_("Close"), id="about-close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#about-close", Button).focus()

    @on(Button.Pressed, "#about-close")
    def action_close(self) -> None:
        self.dismiss(None)
