"""The row of buttons at the foot of a dialog."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button

from countylib.i18n import N_
from screens.i18n import translate_bindings


class ButtonRow(Horizontal):
    """Left and Right move between the buttons, as in a desktop dialog (Tab still works)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step(-1)", N_("Previous button"), id="buttons.previous", show=False),
        Binding("right", "step(1)", N_("Next button"), id="buttons.next", show=False),
    ]

    def __init__(self, *children, **kwargs) -> None:
        super().__init__(*children, **kwargs)
        translate_bindings(self)

    def action_step(self, step: int) -> None:
        buttons = [b for b in self.query(Button) if b.focusable]
        if self.screen.focused in buttons:
            index = buttons.index(self.screen.focused) + step
            buttons[max(0, min(index, len(buttons) - 1))].focus()
