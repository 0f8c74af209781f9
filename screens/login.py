"""Signing in. In the demo the accounts and their passwords are shown on the screen."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from countylib.auth import sign_in
from countylib.context import ServiceContext
from countylib.errors import CountyLibError
from countylib.i18n import N_, _
from screens.i18n import translate_bindings
from screens.widgets.footer import GATE_QUIT, Footer

DEMO_ACCOUNTS = (("admin", "admin123"), ("librarian", "librarian123"), ("volunteer", "volunteer123"))


class LoginScreen(Screen):
    CSS_PATH = "login.tcss"
    BINDINGS = [Binding("ctrl+j", "submit", N_("Sign in"), id="login.submit", show=False), GATE_QUIT]

    def __init__(self, ctx: ServiceContext, *, demo: bool = False) -> None:
        super().__init__()
        self.ctx = ctx
        self.demo = demo
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Center():
            with Vertical(id="login-box"):
                yield Static(self.ctx.branch.library_name, id="library")
                yield Static(self.ctx.branch.name, id="branch")
                yield Label(_("User name"))
                yield Input(id="username")
                yield Label(_("Password"))
                yield Input(id="password", password=True)
                yield Static("", id="login-error")
                yield Button(_("Sign in"), id="sign-in", variant="primary")
                if self.demo:
                    lines = "\n".join(f"  {user} / {pw}" for user, pw in DEMO_ACCOUNTS)
                    yield Static(_("Demo accounts (user / password):") + "\n" + lines, id="demo-accounts")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#username", Input).focus()

    @on(Input.Submitted, "#username")
    def next_field(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#sign-in")
    def action_submit(self) -> None:
        username = self.query_one("#username", Input).value
        password_input = self.query_one("#password", Input)
        try:
            actor = sign_in(self.ctx, username, password_input.value)
        except CountyLibError as exc:
            password_input.value = ""
            self.query_one("#login-error", Static).update(exc.message)
            self.app.bell()
            return
        self.app.signed_in(actor)

    async def retranslate(self) -> None:
        translate_bindings(self)
        await self.recompose()
