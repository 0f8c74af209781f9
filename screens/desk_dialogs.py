"""Small dialogs of the desk: a reason (override, lost, damaged), a code to place a hold on,
and the hold slip shown when a returned copy is set aside for a reader."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from countylib.i18n import N_, _, format_date
from printing.slips import HoldSlip, mask_card
from screens.i18n import translate_bindings


class _Dialog(ModalScreen):
    CSS_PATH = "desk_dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="dialog.cancel")]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReasonDialog(_Dialog):
    """Asks why (an override, a lost or damaged copy). Dismisses with the reason or None."""

    BINDINGS = [Binding("ctrl+j", "submit", N_("OK"), id="dialog.submit", show=False)]

    def __init__(self, title: str, lines: list[str], prompt: str, confirm: str) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.prompt = prompt
        self.confirm = confirm

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            for line in self.lines:
                yield Static("• " + line, classes="dialog-line")
            yield Label(self.prompt)
            yield Input(id="reason")
            yield Static("", id="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.confirm, id="ok", variant="warning")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    @on(Button.Pressed, "#ok")
    def action_submit(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.query_one("#dialog-error", Static).update(_("Please give a reason."))
            self.app.bell()
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#cancel")
    def cancel_pressed(self) -> None:
        self.dismiss(None)


class CodeDialog(_Dialog):
    """Asks for a code (a copy's barcode or an ISBN). Dismisses with the text or None."""

    BINDINGS = [Binding("ctrl+j", "submit", N_("OK"), id="dialog.submit", show=False)]

    def __init__(self, title: str, prompt: str) -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Label(self.prompt)
            yield Input(id="code")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("OK"), id="ok", variant="primary")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()

    @on(Input.Submitted, "#code")
    @on(Button.Pressed, "#ok")
    def action_submit(self) -> None:
        value = self.query_one("#code", Input).value.strip()
        self.dismiss(value or None)

    @on(Button.Pressed, "#cancel")
    def cancel_pressed(self) -> None:
        self.dismiss(None)


class HoldSlipDialog(_Dialog):
    """A returned copy is set aside: whose it is, where it goes. True: print the slip."""

    BINDINGS = [
        Binding("ctrl+s", "print_slip", N_("Print slip"), id="slip.print"),
        Binding("enter,ctrl+j", "cancel", N_("Done"), id="slip.done"),
    ]

    def __init__(self, slip: HoldSlip) -> None:
        super().__init__()
        self.slip = slip

    def compose(self) -> ComposeResult:
        slip = self.slip
        with Vertical(classes="dialog hold-slip"):
            yield Static(_("Put on the hold shelf"), classes="dialog-title")
            yield Static(slip.patron_name, id="slip-name")
            yield Static(_("Card: {card}").format(card=mask_card(slip.card_number)))
            yield Static(f"{slip.title}  ({slip.barcode})", id="slip-title")
            if slip.expires_on is not None:
                yield Static(_("Collect by {date}").format(date=format_date(slip.expires_on)))
            yield Static(_("Pick up at: {place}").format(place=slip.location_name))
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Print slip"), id="print", variant="primary")
                yield Button(_("Done"), id="done")

    def on_mount(self) -> None:
        self.query_one("#done", Button).focus()

    @on(Button.Pressed, "#print")
    def action_print_slip(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#done")
    def done_pressed(self) -> None:
        self.dismiss(None)

