"""Driving the app the way staff do: type into fields, press keys, read the screen."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Button, Input, Static


async def type_into(pilot: Pilot, selector: str, text: str) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.press(*text) if text.isascii() else None
    if not text.isascii():  # Pilot keys are ASCII; an IME delivers the text whole
        field.insert_text_at_cursor(text)
    await pilot.pause()


async def click_button(pilot: Pilot, selector: str) -> None:
    """Click a button, waiting first for its last press to end: Textual ignores a press within
    0.2 s of the one before (a double click), so a quick test would lose its second press."""
    button = pilot.app.screen.query_one(selector, Button)
    while button.has_class("-active"):
        await pilot.pause(0.05)
    await pilot.click(selector)
    await pilot.pause()


async def sign_in(pilot: Pilot, username: str = "admin", password: str = "admin123") -> None:
    await type_into(pilot, "#username", username)
    await type_into(pilot, "#password", password)
    await pilot.press("enter")
    await pilot.pause()


def screen_text(pilot: Pilot) -> str:
    """All the text the current screen shows in Static-like widgets (labels, messages)."""
    parts = []
    for widget in pilot.app.screen.query(Static):
        parts.append(str(widget.render()))
    return "\n".join(parts)
