"""The frame every signed-in screen shares: status bar on top, keys in the footer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen

from countylib.context import ServiceContext
from screens.i18n import translate_bindings
from screens.widgets.footer import Footer
from screens.widgets.statusbar import StatusBar


class AreaScreen(Screen):
    """Base for area screens. Subclasses implement ``compose_body``."""

    # Set by a screen with many keys: closer together, they fit on one line at 120 columns.
    COMPACT_FOOTER = False

    def __init__(self, ctx: ServiceContext, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield from self.compose_body()
        yield Footer(compact=self.COMPACT_FOOTER)

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    def on_screen_resume(self) -> None:
        self.app.refresh_status()

    async def retranslate(self) -> None:
        """Called by the app when the language changes: rebuild text and keys."""
        translate_bindings(self)
        await self.recompose()
        self.app.refresh_status()
