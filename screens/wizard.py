"""First run: set up the library, this branch, the administrator and the language."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Center, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Select, Static

from countylib.auth import MIN_PASSWORD_LENGTH
from countylib.context import ServiceContext
from countylib.errors import CountyLibError, ValidationError
from countylib.i18n import LANGUAGE_NAMES, _, current_language
from countylib.library import initialize_library
from screens.i18n import translate_bindings
from screens.widgets.footer import GATE_QUIT, Footer


class WizardScreen(Screen[ServiceContext]):
    """Dismisses with the new library's context once it is set up."""

    CSS_PATH = "wizard.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [GATE_QUIT]

    def __init__(self, database, clock=None) -> None:
        super().__init__()
        self.database = database
        self.clock = clock
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Center():
            with VerticalScroll(id="wizard"):
                yield Static(_("Welcome to CountyLib. Let us set up this library."), id="wizard-title")
                yield Label(_("Interface language"))
                yield Select(
                    [(name, code) for code, name in LANGUAGE_NAMES.items()],
                    value=current_language(),
                    allow_blank=False,
                    id="language",
                )
                yield Label(_("Library name (e.g. 某某县图书馆)"))
                yield Input(id="library-name")
                yield Label(_("Branch code (2 to 8 letters or digits, e.g. HX01)"))
                yield Input(id="branch-code", max_length=8)
                yield Label(_("Branch name"))
                yield Input(id="branch-name")
                yield Label(_("Administrator user name"))
                yield Input(value="admin", id="admin-user")
                yield Label(_("Administrator password (at least {n} characters, not only digits)").format(n=MIN_PASSWORD_LENGTH))
                yield Input(id="password", password=True)
                yield Label(_("Repeat the password"))
                yield Input(id="password2", password=True)
                yield Static("", id="wizard-error")
                yield Button(_("Set up the library"), id="create", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#library-name", Input).focus()

    @on(Select.Changed, "#language")
    async def change_language(self, event: Select.Changed) -> None:
        if event.value != current_language():
            await self.app.set_ui_language(str(event.value), persist=False)

    async def retranslate(self) -> None:
        values = {i.id: i.value for i in self.query(Input)}
        translate_bindings(self)
        await self.recompose()
        for input_id, value in values.items():
            self.query_one(f"#{input_id}", Input).value = value

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        if event.input.id == "password2":
            self.create()
        else:
            self.focus_next()

    @on(Button.Pressed, "#create")
    def create(self) -> None:
        value = lambda name: self.query_one(f"#{name}", Input).value  # noqa: E731
        error = self.query_one("#wizard-error", Static)
        try:
            if value("password") != value("password2"):
                raise ValidationError("The two passwords differ.")
            ctx = initialize_library(
                self.database,
                library_name=value("library-name"),
                branch_code=value("branch-code"),
                branch_name=value("branch-name"),
                admin_user=value("admin-user"),
                password=value("password"),
                language=current_language(),
                clock=self.clock,
            )
        except CountyLibError as exc:
            error.update(exc.message)
            self.app.bell()
            return
        self.dismiss(ctx)
