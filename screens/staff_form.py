"""Dialogs of the staff accounts screen: open an account, set a new password, change a role.

Each calls its service itself and stays open with the refusal (nothing half-written,
nothing typed lost); Enter moves to the next field and submits from the last one.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from countylib.auth import MIN_PASSWORD_LENGTH, create_staff, reset_password
from countylib.context import ServiceContext
from countylib.errors import CountyLibError, ValidationError
from countylib.i18n import N_, _
from countylib.roles import LIBRARIAN, ROLE_NAMES, ROLES
from countylib.staff import change_role
from screens.i18n import translate_bindings


def role_options() -> list[tuple[str, str]]:
    return [(_(ROLE_NAMES[role]), role) for role in ROLES]


class StaffDialog(ModalScreen[str | None]):
    """A box with a title, fields, an error line and Save / Cancel; dismisses with the
    account's user name once saved, None when cancelled."""

    CSS_PATH = "staff.tcss"
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="staff_form.cancel"),
        Binding("ctrl+s", "save", N_("Save"), id="staff_form.save"),
    ]
    TITLE_TEXT = ""
    LAST_FIELD = ""  # the Input whose Enter saves

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__()
        self.ctx = ctx
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_(self.TITLE_TEXT), classes="dialog-title")
            with Grid(classes="form-grid"):
                yield from self.fields()
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save"), id="staff-save", variant="primary")
                yield Button(_("Cancel"), id="staff-cancel")

    def fields(self) -> ComposeResult:
        raise NotImplementedError

    def value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def password_fields(self) -> ComposeResult:
        """The new password, twice (read back by ``passwords``)."""
        yield Label(_("Password"))
        yield Input(
            placeholder=_("at least {n} characters, not only digits").format(n=MIN_PASSWORD_LENGTH),
            password=True,
            id="s-password",
            compact=True,
        )
        yield Label(_("Repeat the password"))
        yield Input(password=True, id="s-password2", compact=True)

    def passwords(self) -> str:
        password = self.value("#s-password")
        if password != self.value("#s-password2"):
            raise ValidationError("The two passwords differ.")
        return password

    def save(self) -> str:
        raise NotImplementedError

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        if event.input.id == self.LAST_FIELD:
            self.action_save()
        else:
            self.focus_next()

    @on(Button.Pressed, "#staff-save")
    def action_save(self) -> None:
        try:
            username = self.save()
        except CountyLibError as exc:
            self.query_one(".dialog-error", Static).update(exc.message)
            self.app.bell()
            return
        self.dismiss(username)

    @on(Button.Pressed, "#staff-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class NewStaffForm(StaffDialog):
    TITLE_TEXT = N_("New staff account")
    LAST_FIELD = "s-password2"

    def fields(self) -> ComposeResult:
        yield Label(_("User name"))
        yield Input(id="s-username", compact=True)
        yield Label(_("Name"))
        yield Input(placeholder=_("as shown on screen, e.g. 王老师"), id="s-name", compact=True)
        yield Label(_("Role"))
        yield Select(role_options(), value=LIBRARIAN, allow_blank=False, id="s-role", compact=True)
        yield from self.password_fields()

    def on_mount(self) -> None:
        self.query_one("#s-username", Input).focus()

    def save(self) -> str:
        return create_staff(
            self.ctx,
            self.value("#s-username"),
            self.passwords(),
            str(self.query_one("#s-role", Select).value),
            display_name=self.value("#s-name").strip(),
        ).username


class PasswordForm(StaffDialog):
    TITLE_TEXT = N_("New password")
    LAST_FIELD = "s-password2"

    def __init__(self, ctx: ServiceContext, staff) -> None:
        super().__init__(ctx)
        self.staff = staff

    def fields(self) -> ComposeResult:
        yield Label(_("User name"))
        yield Label(f"{self.staff.username} ({self.staff.display_name})", id="s-who")
        yield from self.password_fields()

    def on_mount(self) -> None:
        self.query_one("#s-password", Input).focus()

    def save(self) -> str:
        reset_password(self.ctx, self.staff.username, self.passwords())
        return self.staff.username


class RoleForm(StaffDialog):
    TITLE_TEXT = N_("Change role")

    def __init__(self, ctx: ServiceContext, staff) -> None:
        super().__init__(ctx)
        self.staff = staff

    def fields(self) -> ComposeResult:
        yield Label(_("User name"))
        yield Label(f"{self.staff.username} ({self.staff.display_name})", id="s-who")
        yield Label(_("Role"))
        yield Select(role_options(), value=self.staff.role, allow_blank=False, id="s-role", compact=True)

    def on_mount(self) -> None:
        self.query_one("#s-role", Select).focus()

    def save(self) -> str:
        return change_role(self.ctx, self.staff.username, str(self.query_one("#s-role", Select).value)).username
