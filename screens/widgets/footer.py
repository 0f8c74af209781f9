"""The footer, in the current language for Textual's own keys too.

Our bindings are translated where they are declared (screens.i18n). Textual's widgets
bring their own, in English: an open Select's "Dismiss menu". Their descriptions are
looked up in our catalogues as the footer is built; ours, translated already, are not
msgids and come back as they are.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

from countylib.i18n import N_, _

# Textual's own descriptions, for the translation catalogues.
TEXTUAL_DESCRIPTIONS = (N_("Dismiss menu"),)

# The app's Quit key is named on the home screen, not in the footers; the screens before
# sign-in come before any home screen, so their footers show it. A priority binding like the
# app's own: otherwise that one, hidden, would take its place in the footer.
GATE_QUIT = Binding("ctrl+q", "app.quit", N_("Quit"), id="gate.quit", priority=True)


class Footer(TextualFooter):
    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.description:
                widget.description = _(widget.description)
            yield widget
