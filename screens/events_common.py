"""Small pieces the events-area screens share: reading typed dates and numbers, where exported
files go, and a dialog asking for a short text."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from rich.cells import cell_len, set_cell_size
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Static

from countylib.dates import parse_date
from countylib.errors import ValidationError
from countylib.i18n import N_, _
from countylib.paths import data_dir
from screens.i18n import translate_bindings


def export_path(stem: str, suffix: str) -> Path:
    """A new file in the exports folder; the name says what and when (never overwrites)."""
    folder = data_dir() / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r'[\\/:*?"<>|\s]+', "-", stem).strip("-")[:60] or "export"
    path = folder / f"{safe}{suffix}"
    n = 2
    while path.exists():
        path = folder / f"{safe}-{n}{suffix}"
        n += 1
    return path


def parse_time(text: str) -> dt.time:
    match = re.fullmatch(r"([01]?\d|2[0-3])[:：]([0-5]\d)", text.strip())
    if not match:
        raise ValidationError("Write the time as hours:minutes, e.g. 14:30.")
    return dt.time(int(match.group(1)), int(match.group(2)))


def parse_moment(text: str) -> dt.datetime | None:
    """'2026-11-27 18:00' (or blank: none)."""
    text = text.strip()
    if not text:
        return None
    day, _sep, time = text.partition(" ")
    if not time.strip():
        raise ValidationError("Write a date and a time, e.g. 2026-11-27 18:00.")
    return dt.datetime.combine(parse_date(day, required=True), parse_time(time))


def parse_number(text: str, *, optional: bool = False) -> int | None:
    text = text.strip()
    if not text and optional:
        return None
    if re.fullmatch(r"[-−]\s*\d+", text):
        # Every number typed here counts something (people, places, hours): none goes below 0.
        raise ValidationError("{value} is less than 0; write 0 or more.", value=text)
    if not text.isdigit():
        raise ValidationError("{value} is not a whole number.", value=text or "—")
    return int(text)


class PromptDialog(ModalScreen[tuple[str, bool] | None]):
    """Ask for one line of text (and optionally a yes/no option); escape cancels."""

    CSS_PATH = "activities.tcss"
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="prompt.cancel")]

    def __init__(self, question: str, label: str, ok: str, *, option: str | None = None, value: str = "") -> None:
        super().__init__()
        self.question, self.label, self.ok, self.option, self.value = question, label, ok, option, value
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="question")
            yield Label(self.label)
            yield Input(value=self.value, id="prompt-text")
            if self.option:
                yield Checkbox(self.option, id="prompt-option")
            with Horizontal(classes="buttons"):
                yield Button(self.ok, id="ok", variant="primary")
                yield Button(_("Back"), id="cancel")

    @on(Input.Submitted, "#prompt-text")
    @on(Button.Pressed, "#ok")
    def accept(self) -> None:
        option = self.query_one("#prompt-option", Checkbox).value if self.option else False
        self.dismiss((self.query_one("#prompt-text", Input).value, option))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal cells, ending in … when cut: one long name (places
    synced from elsewhere can have any) must not push a table's other columns off the screen."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1).rstrip() + "…"


def fill_table(table: DataTable, columns: list[str], rows: list[tuple]) -> None:
    """Replace a table's rows in one go, keeping its cursor row where it can.

    The columns are added once: clearing them too makes the table re-measure from the
    headings, and when its size comes out unchanged it keeps showing the narrow cut.
    """
    if not table.columns:
        table.add_columns(*columns)
    cursor = table.cursor_row
    table.clear()
    table.add_rows(rows)
    if rows:
        table.move_cursor(row=min(max(cursor, 0), len(rows) - 1))
