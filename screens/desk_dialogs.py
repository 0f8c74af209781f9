"""Small dialogs of the desk: a reason (override, lost, damaged), a code to place a hold on,
and the hold slip shown when a returned copy is set aside for a reader."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from countylib.circulation import check_reason
from countylib.errors import CountyLibError
from countylib.i18n import N_, _, format_date
from countylib.scanning import looks_like_scan
from printing.slips import HoldSlip, mask_card
from screens.i18n import translate_bindings
from screens.widgets.scan_field import ScanField


class _Dialog(ModalScreen):
    CSS_PATH = "desk_dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="dialog.cancel")]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReasonDialog(_Dialog):
    """Asks why (an override, a lost or damaged copy). Dismisses with the reason or None.

    The desk's scanner keeps scanning while the dialog is open, so its codes land in the
    reason box: each is refused here with ``scan_refusal`` and the box emptied, never
    taken as the reason (nor the next copy left unlent without a word)."""

    BINDINGS = [Binding("ctrl+j", "submit", N_("OK"), id="dialog.submit", show=False)]

    def __init__(self, title: str, lines: list[str], prompt: str, confirm: str, scan_refusal: str) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.prompt = prompt
        self.confirm = confirm
        self.scan_refusal = scan_refusal

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            for line in self.lines:
                yield Static("• " + line, classes="dialog-line")
            yield Label(self.prompt)
            # Enter takes what came before it, in key order: a burst of scans is one code each.
            yield ScanField(id="reason")
            yield Static("", id="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.confirm, id="ok", variant="warning")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def reason_entered(self, event: Input.Submitted) -> None:
        self.submit(event.value)

    @on(Button.Pressed, "#ok")
    def action_submit(self) -> None:
        field = self.query_one("#reason", Input)
        text, field.value = field.value, ""
        self.submit(text)

    def submit(self, text: str) -> None:
        """The box is empty again by now (as after a scan): a refused reason is written anew."""
        error = self.query_one("#dialog-error", Static)
        if not text.strip():
            error.update(_("Please give a reason."))
        elif looks_like_scan(text):
            error.update(self.scan_refusal)
        else:
            try:
                self.dismiss(check_reason(text))
                return
            except CountyLibError as exc:
                error.update(exc.message)
        self.app.bell()

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

