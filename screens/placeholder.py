"""An area that is not built yet says so plainly, instead of pretending."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import Static

from countylib.context import ServiceContext
from countylib.i18n import _
from screens.areas import Area
from screens.base import AreaScreen


class PlaceholderScreen(AreaScreen):
    CSS_PATH = "placeholder.tcss"

    def __init__(self, ctx: ServiceContext, area: Area) -> None:
        super().__init__(ctx)
        self.area = area

    def compose_body(self) -> ComposeResult:
        with Center():
            with Vertical(id="placeholder"):
                yield Static(_(self.area.title), classes="title")
                yield Static(_(self.area.help), classes="help")
                yield Static(
                    _("Not built yet. This area is planned (issue #{n}); nothing here works yet.").format(
                        n=self.area.issue
                    ),
                    classes="notice",
                )
                yield Static(_("Press F1 to go back to the home screen."), classes="hint")
