"""The one yes/no question of the app: a title, the question, a button that does it and one
that does not.

The safe button has the focus, so a stray Enter (or a scan that lands here) changes nothing;
Left and Right move between the buttons, Escape is the safe answer. Dismisses with True or
False.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from countylib.i18n import N_, _
from screens.i18n import translate_bindings
from screens.widgets.button_row import ButtonRow


class ConfirmDialog(ModalScreen[bool]):
    """``confirm`` labels the button that does it; ``details`` are shown as a list above the
    question (the records it is about, the warnings); ``cancel`` relabels the safe button
    where "Cancel" would read as the action itself."""

    CSS_PATH = "confirm.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", N_("Cancel"), id="confirm.cancel")]

    def __init__(
        self, title: str, question: str, confirm: str, *, details: Sequence[str] = (), cancel: str | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.confirm = confirm
        self.details = list(details)
        self.cancel = cancel or _("Cancel")
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        # Not markup: book titles and names can hold square brackets.
        with Vertical(id="confirm-box"):
            yield Static(self.title_text, id="confirm-title", markup=False)
            for line in self.details:
                yield Static("• " + line, classes="confirm-detail", markup=False)
            yield Static(self.question, id="confirm-question", markup=False)
            with ButtonRow(id="confirm-buttons"):
                yield Button(self.confirm, id="confirm", variant="warning")
                yield Button(self.cancel, id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def confirmed(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
