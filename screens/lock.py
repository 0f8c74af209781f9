"""The idle lock: the signed-in person types their password to carry on."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from countylib.auth import sign_in
from countylib.context import ServiceContext
from countylib.errors import CountyLibError
from countylib.i18n import _


class LockScreen(ModalScreen[bool]):
    """Dismisses True when unlocked, False when the person chose to sign out instead."""

    CSS_PATH = "lock.tcss"

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__()
        self.ctx = ctx

    def compose(self) -> ComposeResult:
        with Vertical(id="lock-box"):
            yield Static(_("Locked"), id="lock-title")
            yield Static(
                _("{user} is signed in. Type the password to continue.").format(user=self.ctx.actor.username)
            )
            yield Input(id="lock-password", password=True)
            yield Static("", id="lock-error")
            yield Button(_("Unlock"), id="unlock", variant="primary")
            yield Button(_("Sign out"), id="lock-sign-out")

    def on_mount(self) -> None:
        self.query_one("#lock-password", Input).focus()

    @on(Input.Submitted, "#lock-password")
    @on(Button.Pressed, "#unlock")
    def unlock(self) -> None:
        field = self.query_one("#lock-password", Input)
        try:
            sign_in(self.ctx, self.ctx.actor.username, field.value)
        except CountyLibError as exc:
            field.value = ""
            self.query_one("#lock-error", Static).update(exc.message)
            self.app.bell()
            return
        self.dismiss(True)

    @on(Button.Pressed, "#lock-sign-out")
    def sign_out(self) -> None:
        self.dismiss(False)
