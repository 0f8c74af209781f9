"""The field a barcode scanner types into."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class ScanField(Input):
    """Each Enter submits the characters that came before it, and the field is emptied.

    Textual runs Enter's binding only after the keys already waiting for the field, so two
    codes arriving in one burst (a quick second scan, or a scanner sending its stored codes)
    would be read as one joined code and both refused. Here Enter is handled in key order.
    """

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            value, self.value = self.value, ""
            self.post_message(self.Submitted(self, value))
            return
        await super()._on_key(event)
