"""The home screen: every area by key or mouse."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Button, Static

from countylib.i18n import _
from screens.areas import AREAS
from screens.base import AreaScreen


class HomeScreen(AreaScreen):
    CSS_PATH = "home.tcss"

    def compose_body(self) -> ComposeResult:
        actor = self.ctx.actor
        with Vertical(id="home"):
            yield Static(
                _("Welcome, {name}. Choose an area with its key or the mouse.").format(
                    name=actor.display_name or actor.username
                ),
                id="welcome",
            )
            with Grid(id="areas"):
                for area in AREAS:
                    allowed = actor.at_least(area.min_role)
                    label = f"{area.key.upper()}  {_(area.title)}"
                    button = Button(label, id=f"area-{area.id}", disabled=not allowed)
                    button.tooltip = _(area.help)
                    yield button
            yield Static(_("Ctrl+P: command palette · Ctrl+L: lock · Ctrl+O: sign out · Ctrl+Q: quit"), id="home-hint")

    @on(Button.Pressed)
    def open_area(self, event: Button.Pressed) -> None:
        if event.button.id and event.button.id.startswith("area-"):
            self.app.open_area(event.button.id.removeprefix("area-"))
