"""Staff accounts (Settings, administrators): open an account, set a new password, change a
role, deactivate and reactivate. Accounts are never deleted — their names stay on the
record — and the services keep the library from losing its last administrator.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Static

from countylib.auth import list_staff
from countylib.errors import CountyLibError
from countylib.i18n import N_, _, format_datetime
from countylib.roles import ROLE_NAMES
from countylib.staff import deactivate_staff, reactivate_staff
from screens.base import AreaScreen
from screens.confirm import ConfirmDialog
from screens.staff_form import NewStaffForm, PasswordForm, RoleForm


class StaffScreen(AreaScreen):
    CSS_PATH = "staff.tcss"
    BINDINGS = [
        Binding("escape", "back", N_("Back to Settings"), id="staff.back"),
        Binding("ctrl+n", "new_account", N_("New account"), id="staff.new"),
        Binding("ctrl+r", "reset_password", N_("New password"), id="staff.password"),
        Binding("ctrl+g", "change_role", N_("Change role"), id="staff.role"),
        Binding("ctrl+d", "toggle_active", N_("Deactivate / reactivate"), id="staff.active"),
    ]

    def __init__(self, ctx, username: str | None = None, **kwargs) -> None:
        """``username``: the account to highlight first."""
        super().__init__(ctx, **kwargs)
        self.first_username = username
        self.accounts = []

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="staff"):
            yield Static(_("Staff accounts"), classes="title")
            yield Static(
                _("An account is never deleted: deactivate it and it can no longer sign in; its name stays on the record."),
                classes="hint",
            )
            table = DataTable(id="staff-accounts", cursor_type="row", zebra_stripes=True)
            table.add_columns(_("User name"), _("Name"), _("Role"), _("Active"), _("Last sign-in"))
            yield table
            with Horizontal(id="staff-buttons"):
                yield Button(_("New account"), id="staff-new")
                yield Button(_("New password"), id="staff-password")
                yield Button(_("Change role"), id="staff-role")
                yield Button(_("Deactivate / reactivate"), id="staff-active")

    def on_mount(self) -> None:
        self.load(self.first_username)

    async def retranslate(self) -> None:
        current = self.highlighted()
        await super().retranslate()
        self.load(current.username if current else None)

    def load(self, username: str | None = None) -> None:
        self.accounts = list_staff()
        table = self.query_one("#staff-accounts", DataTable)
        table.clear()
        for s in self.accounts:
            last = format_datetime(self.ctx.clock.to_local(s.last_login_at)) if s.last_login_at else ""
            table.add_row(
                s.username, s.display_name, _(ROLE_NAMES[s.role]), _("yes") if s.active else _("no"), last, key=s.username
            )
        names = [s.username for s in self.accounts]
        if username in names:
            table.move_cursor(row=names.index(username))
        table.focus()

    def highlighted(self):
        table = self.query_one("#staff-accounts", DataTable)
        if not self.accounts or not 0 <= table.cursor_row < len(self.accounts):
            return None
        return self.accounts[table.cursor_row]

    def reload_after(self, message: str):
        """What to do when a dialog closes: on a save, show the account and say what changed."""

        def done(username: str | None) -> None:
            if username:
                self.load(username)
                self.notify(message.format(username=username))

        return done

    def refuse(self, exc: CountyLibError) -> None:
        self.notify(exc.message, severity="error")
        self.app.bell()

    @on(Button.Pressed, "#staff-new")
    def action_new_account(self) -> None:
        self.app.push_screen(NewStaffForm(self.ctx), self.reload_after(_("Account {username} opened.")))

    @on(Button.Pressed, "#staff-password")
    def action_reset_password(self) -> None:
        staff = self.highlighted()
        if staff is not None:
            self.app.push_screen(PasswordForm(self.ctx, staff), self.reload_after(_("New password set for {username}.")))

    @on(Button.Pressed, "#staff-role")
    def action_change_role(self) -> None:
        staff = self.highlighted()
        if staff is not None:
            self.app.push_screen(RoleForm(self.ctx, staff), self.reload_after(_("Role of {username} changed.")))

    @on(Button.Pressed, "#staff-active")
    def action_toggle_active(self) -> None:
        staff = self.highlighted()
        if staff is None:
            return
        if not staff.active:
            self.set_active(staff, reactivate_staff, _("{username} can sign in again."))
            return
        self.app.push_screen(
            ConfirmDialog(
                _("Deactivate account"),
                _("Deactivate {username}? The account can no longer sign in; its work stays on record.").format(
                    username=staff.username
                ),
                _("Deactivate"),
            ),
            lambda yes: self.set_active(staff, deactivate_staff, _("{username} can no longer sign in.")) if yes else None,
        )

    def set_active(self, staff, change, message: str) -> None:
        try:
            change(self.ctx, staff.username)
        except CountyLibError as exc:
            self.refuse(exc)
            return
        self.load(staff.username)
        self.notify(message.format(username=staff.username))

    def action_back(self) -> None:
        self.dismiss()
