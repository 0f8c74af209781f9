"""Dialogs of the patrons area: renew, suspend, replace a card (补证), return a card (退证),
reset the PIN, show the ID number.

A dialog that changes something calls the service itself and stays open with the service's
message when it refuses, so nothing is half-written and nothing typed is lost. Escape
closes any of them without a change.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static

from countylib.context import ServiceContext
from countylib.errors import CountyLibError
from countylib.i18n import N_, _, format_date
from countylib.patrons import (
    REPLACE_REASONS,
    PatronDetails,
    default_expiry,
    parse_date,
    parse_yuan,
    renew_card,
    replace_card,
    reset_pin,
    return_card,
    return_reasons,
    suspend_patron,
    unsuspend_patron,
)
from screens.i18n import translate_bindings


def yuan(cents: int) -> str:
    return f"{cents / 100:.2f}"


class PatronDialog(ModalScreen):
    """Base: a centred box, an error line, OK and Cancel; Enter / Ctrl+J submit."""

    CSS_PATH = "patron_dialogs.tcss"
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="patrons.dialog.cancel"),
        Binding("ctrl+j", "submit", N_("OK"), id="patrons.dialog.submit", show=False),
    ]
    confirm_label = N_("OK")
    confirm_variant = "primary"

    def __init__(self) -> None:
        super().__init__(classes="patron-modal")
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Vertical(classes="patron-dialog"):
            yield from self.compose_dialog()
            yield Static("", classes="dialog-error", id="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_(self.confirm_label), id="ok", variant=self.confirm_variant)
                yield Button(_("Cancel"), id="cancel")

    def compose_dialog(self) -> ComposeResult:
        raise NotImplementedError

    def on_mount(self) -> None:
        self.focus_start()

    def focus_start(self) -> None:
        """Where the cursor starts (Textual calls every class's on_mount: override this)."""
        inputs = self.query(Input)
        if inputs:
            inputs.first().focus()

    def show_error(self, text: str) -> None:
        self.query_one("#dialog-error", Static).update(text)
        self.app.bell()

    def attempt(self, action) -> bool:
        """Run a service call; on a refusal show its message and keep the dialog open."""
        try:
            result = action()
        except CountyLibError as exc:
            self.show_error(exc.message)
            return False
        self.dismiss(result if result is not None else True)
        return True

    @on(Input.Submitted)
    def next_or_submit(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; in the last one (often a scanned card) it submits."""
        if event.input is list(self.query(Input))[-1]:
            self.submit()
        else:
            self.focus_next(Input)

    @on(Button.Pressed, "#ok")
    def action_submit(self) -> None:
        self.submit()

    def submit(self) -> None:
        raise NotImplementedError

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class RenewDialog(PatronDialog):
    confirm_label = N_("Renew card")

    def __init__(self, ctx: ServiceContext, patron: PatronDetails) -> None:
        self.ctx, self.patron = ctx, patron
        super().__init__()

    def compose_dialog(self) -> ComposeResult:
        today = self.ctx.clock.today()
        proposed = default_expiry(max(today, self.patron.expiry_date or today))
        yield Static(_("Renew card {card} ({name})").format(card=self.patron.card_number, name=self.patron.name), classes="dialog-title")
        if self.patron.expiry_date:
            yield Static(_("Valid until {date} now.").format(date=format_date(self.patron.expiry_date)))
        yield Label(_("New expiry date"))
        yield Input(proposed.isoformat(), id="until")

    def submit(self) -> None:
        def renew():
            until = parse_date(self.query_one("#until", Input).value, "expiry_date")
            return renew_card(self.ctx, self.patron.id, until)

        self.attempt(renew)


class SuspendDialog(PatronDialog):
    """Suspend with a reason, or lift a suspension (the reason is optional then)."""

    confirm_variant = "warning"

    def __init__(self, ctx: ServiceContext, patron: PatronDetails) -> None:
        self.ctx, self.patron = ctx, patron
        self.lifting = patron.status == "suspended"
        self.confirm_label = N_("Lift the suspension") if self.lifting else N_("Suspend")
        super().__init__()

    def compose_dialog(self) -> ComposeResult:
        title = _("Lift the suspension of {name} ({card})") if self.lifting else _("Suspend {name} ({card})")
        yield Static(title.format(name=self.patron.name, card=self.patron.card_number), classes="dialog-title")
        yield Label(_("Reason (optional)") if self.lifting else _("Reason"))
        yield Input(id="reason")

    def submit(self) -> None:
        reason = self.query_one("#reason", Input).value
        service = unsuspend_patron if self.lifting else suspend_patron
        self.attempt(lambda: service(self.ctx, self.patron.id, reason))


class ReplaceCardDialog(PatronDialog):
    """补证: scan the new card (or leave blank for the next number), the fee, the reason.
    Dismisses with the new card number."""

    confirm_label = N_("Replace the card")
    confirm_variant = "warning"

    def __init__(self, ctx: ServiceContext, patron: PatronDetails) -> None:
        self.ctx, self.patron = ctx, patron
        super().__init__()

    def compose_dialog(self) -> ComposeResult:
        yield Static(
            _("Replace card {card} of {name}").format(card=self.patron.card_number, name=self.patron.name),
            classes="dialog-title",
        )
        yield Static(_("The old number is blocked for good. Loans and holds stay with the reader."), classes="dialog-note")
        yield Label(_("Why"))
        yield Select([(_(label), code) for code, label in REPLACE_REASONS.items()], value="lost", allow_blank=False, id="why")
        yield Label(_("Fee (yuan)"))
        yield Input("0", id="fee")
        yield Label(_("New card number (scan it, or leave blank for the next number)"))
        yield Input(id="new-card")

    def focus_start(self) -> None:
        self.query_one("#new-card", Input).focus()

    def submit(self) -> None:
        def replace():
            fee = parse_yuan(self.query_one("#fee", Input).value, "fee")
            why = str(self.query_one("#why", Select).value)
            patron = replace_card(
                self.ctx, self.patron.id, self.query_one("#new-card", Input).value, fee_cents=fee, reason=why
            )
            return patron.card_number

        self.attempt(replace)


class ReturnCardDialog(PatronDialog):
    """退证: a reason from the list kept as data, words for "other", the deposit refund."""

    confirm_label = N_("Return the card")
    confirm_variant = "error"

    def __init__(self, ctx: ServiceContext, patron: PatronDetails) -> None:
        self.ctx, self.patron = ctx, patron
        self.reasons = return_reasons()
        super().__init__()

    def compose_dialog(self) -> ComposeResult:
        yield Static(
            _("Return card {card} of {name}").format(card=self.patron.card_number, name=self.patron.name),
            classes="dialog-title",
        )
        if self.patron.open_loans:
            yield Static(
                _("{n} book(s) still on loan: the card can be returned when they are back.").format(n=self.patron.open_loans),
                classes="dialog-line",
            )
        yield Label(_("Why is the card returned?"))
        with RadioSet(id="reason"):
            for index, reason in enumerate(self.reasons):
                yield RadioButton(reason.label, value=index == 0, name=reason.code)
        yield Label(_("In words (needed for 'Other')"))
        yield Input(id="reason-text")
        yield Label(_("Deposit refunded (yuan; {held} held)").format(held=yuan(self.patron.deposit_cents)))
        yield Input(yuan(self.patron.deposit_cents), id="refund")

    def focus_start(self) -> None:
        self.query_one("#reason", RadioSet).focus()

    def submit(self) -> None:
        def give_back():
            pressed = self.query_one("#reason", RadioSet).pressed_button
            code = pressed.name if pressed is not None else ""
            refund = parse_yuan(self.query_one("#refund", Input).value, "refund")
            return return_card(
                self.ctx, self.patron.id, code or "", self.query_one("#reason-text", Input).value, deposit_refund_cents=refund
            )

        self.attempt(give_back)


class ResetPinDialog(PatronDialog):
    confirm_label = N_("Reset the PIN")

    def __init__(self, ctx: ServiceContext, patron: PatronDetails) -> None:
        self.ctx, self.patron = ctx, patron
        super().__init__()

    def compose_dialog(self) -> ComposeResult:
        yield Static(_("Reset the catalogue PIN of {name}").format(name=self.patron.name), classes="dialog-title")
        yield Label(_("New PIN (4 to 12 digits; blank: the birth date, YYYYMMDD)"))
        yield Input(id="pin", password=True)

    def submit(self) -> None:
        self.attempt(lambda: reset_pin(self.ctx, self.patron.id, self.query_one("#pin", Input).value))


class IdNumberDialog(PatronDialog):
    """Shows a full ID number (fetched, and audited, by the caller)."""

    confirm_label = N_("Close")

    def __init__(self, name: str, number: str) -> None:
        self.name_text, self.number = name, number
        super().__init__()

    def compose_dialog(self) -> ComposeResult:
        yield Static(_("ID number of {name}").format(name=self.name_text), classes="dialog-title")
        yield Static(self.number or _("(none recorded)"), id="id-number")
        yield Static(_("This showing has been recorded in the audit log."), classes="dialog-note")

    def focus_start(self) -> None:
        self.query_one("#ok", Button).focus()

    def submit(self) -> None:
        self.dismiss(None)
