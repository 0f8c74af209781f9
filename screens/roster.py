"""The roster: a week of places × days, each cell the shifts there with filled and open
places; below, the highlighted cell's shifts and the shifts still needing volunteers.

Enter on a cell opens its shift (or a new one when the cell is empty); Enter on a shift in
the list opens it. Printing (A4 landscape PDF) and the CSV run in a worker.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Label, Static

from countylib.context import ServiceContext
from countylib.i18n import N_, _, current_language, format_date, ngettext
from countylib.paths import data_dir
from countylib.shifts import (
    ShiftView,
    WeekRoster,
    hhmm,
    monday_of,
    role_label,
    roster_sheet,
    week_roster,
    write_roster_csv,
)
from countylib.volunteers import WEEKDAY_NAMES, WEEKDAYS
from printing.volunteers import render_roster
from screens.i18n import translate_bindings
from screens.volunteer_modals import ShiftDetail, ShiftForm


def printouts_dir() -> Path:
    folder = data_dir() / "printouts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def volunteer_paper_path(kind: str, name: str, *parts: object) -> Path:
    """hours-张晓雨-2026-zh_CN.pdf: named so staff find it by the volunteer's name."""
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", name).strip("_") or "volunteer"
    return printouts_dir() / ("-".join([kind, safe, *map(str, parts)]) + ".pdf")


PLACE_WIDTH, MAX_PLACE_WIDTH, DAY_WIDTH = 12, 24, 11


def cell_text(shifts: list[ShiftView]) -> Text:
    """One line a shift: its start, filled/places (green when full), * when a check is needed.
    The list below the grid has the whole times and names."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for n, s in enumerate(shifts):
        if n:
            text.append("\n")
        if s.cancelled:
            text.append(f"{hhmm(s.starts)} ✕", style="dim strike")
            continue
        text.append(f"{hhmm(s.starts)} ")
        style = "bold green" if s.open == 0 else "bold red"
        text.append(f"{s.filled}/{s.slots}", style=style)
        if s.needs_background_check:
            text.append(" *", style="yellow")
    return text


class RosterPane(Vertical):
    BINDINGS = [
        Binding("ctrl+left", "week(-1)", N_("Previous week"), id="roster.previous_week"),
        Binding("ctrl+right", "week(1)", N_("Next week"), id="roster.next_week"),
    ]

    @dataclass
    class WeekChanged(Message):
        monday: dt.date

    def __init__(self, ctx: ServiceContext, monday: dt.date | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        translate_bindings(self)
        self.monday = monday_of(monday or ctx.clock.today())
        self.roster: WeekRoster | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="roster-bar"):
            yield Button("◀", id="roster-prev", tooltip=_("Previous week"))
            yield Static("", id="roster-week")
            yield Button("▶", id="roster-next", tooltip=_("Next week"))
            yield Button(_("This week"), id="roster-today")
            yield Button(_("New shift"), id="roster-new", variant="primary")
            yield Button(_("Print"), id="roster-print")
            yield Button(_("CSV"), id="roster-csv")
        yield DataTable(id="roster-grid", cursor_type="cell", zebra_stripes=False)
        with Horizontal(id="roster-lower"):
            with Vertical(id="roster-cell"):
                yield Label("", id="roster-cell-title")
                yield DataTable(id="roster-shifts", cursor_type="row")
            with Vertical(id="roster-warnings-box"):
                yield Label(_("Still needing volunteers"), classes="section")
                yield Static("", id="roster-warnings")

    def on_mount(self) -> None:
        self.query_one("#roster-shifts", DataTable).add_columns(_("Time"), _("Task"), _("Places"), _("Volunteers"))
        self.load()
        self.query_one("#roster-grid", DataTable).focus()

    def load(self) -> None:
        self.roster = roster = week_roster(self.ctx, self.monday)
        sunday = self.monday + dt.timedelta(days=6)
        self.query_one("#roster-week", Static).update(
            _("Week of {start} – {end}").format(start=format_date(self.monday), end=format_date(sunday))
        )
        grid = self.query_one("#roster-grid", DataTable)
        cursor = grid.cursor_coordinate
        grid.clear(columns=True)
        # Wide enough for the longest place name (城东社区便民阅读点 is 18 cells), within reason.
        names = [cell_len(name) for _code, name in roster.places]
        grid.add_column(_("Place"), key="place", width=min(MAX_PLACE_WIDTH, max([PLACE_WIDTH, *names])))
        for day in roster.days:
            label = f"{_(WEEKDAY_NAMES[WEEKDAYS[day.weekday()]])} {day.month}/{day.day}"
            today = day == self.ctx.clock.today()
            grid.add_column(Text(label, style="bold reverse") if today else label, key=day.isoformat(), width=DAY_WIDTH)
        for code, name in roster.places:
            cells = [roster.cell(code, day) for day in roster.days]
            height = max([1, *(len(c) for c in cells)])
            grid.add_row(Text(name, no_wrap=True, overflow="ellipsis"), *(cell_text(c) for c in cells), key=code, height=height)
        if roster.places:
            grid.move_cursor(row=min(cursor.row, len(roster.places) - 1), column=max(1, cursor.column))
        self.show_warnings()
        self.show_cell()

    def show_warnings(self) -> None:
        assert self.roster is not None
        lines = [
            _("{weekday} {time} {place}: {n} open").format(
                weekday=_(WEEKDAY_NAMES[WEEKDAYS[s.day.weekday()]]), time=s.times, place=s.location_name, n=s.open
            )
            for s in self.roster.understaffed
        ]
        self.query_one("#roster-warnings", Static).update(
            Text("\n".join(lines), style="yellow") if lines else Text(_("Every shift this week is filled."), style="green")
        )

    def selected_cell(self) -> tuple[str, dt.date] | None:
        grid = self.query_one("#roster-grid", DataTable)
        if self.roster is None or not self.roster.places or grid.cursor_column < 1:
            return None
        code = self.roster.places[grid.cursor_row][0]
        return code, self.roster.days[grid.cursor_column - 1]

    def show_cell(self) -> None:
        table = self.query_one("#roster-shifts", DataTable)
        table.clear()
        found = self.selected_cell()
        title = self.query_one("#roster-cell-title", Label)
        if found is None:
            title.update(_("Pick a day in the grid."))
            return
        code, day = found
        place = dict(self.roster.places)[code]
        title.update(_("{place}, {day}").format(place=place, day=format_date(day)))
        for s in self.roster.cell(code, day):
            names = "、".join(p.name for p in s.people)
            if s.cancelled:
                places = Text(_("cancelled"), style="dim")
            else:
                places = Text(f"{s.filled}/{s.slots}", style="green" if s.open == 0 else "red")
            table.add_row(s.times, Text(role_label(s.role) + (" *" if s.needs_background_check else "")), places, Text(names), key=s.id)

    @on(DataTable.CellHighlighted, "#roster-grid")
    def cell_moved(self) -> None:
        self.show_cell()

    @on(DataTable.CellSelected, "#roster-grid")
    def open_cell(self) -> None:
        found = self.selected_cell()
        if found is None:
            return
        shifts = self.roster.cell(*found)
        if not shifts:
            self.action_new_shift()
        elif len(shifts) == 1:
            self.open_shift(shifts[0].id)
        else:
            self.query_one("#roster-shifts", DataTable).focus()

    @on(DataTable.RowSelected, "#roster-shifts")
    def open_listed_shift(self, event: DataTable.RowSelected) -> None:
        self.open_shift(event.row_key.value)

    def open_shift(self, shift_id: str) -> None:
        self.app.push_screen(ShiftDetail(self.ctx, shift_id), lambda _result: self.load())

    @on(Button.Pressed, "#roster-new")
    def action_new_shift(self) -> None:
        found = self.selected_cell()
        place, day = found if found else (None, self.monday)
        self.app.push_screen(ShiftForm(self.ctx, place=place, day=day), self._shifts_made)

    def _shifts_made(self, made: int | None) -> None:
        if made:
            self.app.notify(ngettext("{n} shift made.", "{n} shifts made.", made).format(n=made))
            self.load()

    def action_week(self, step: int) -> None:
        self.monday += dt.timedelta(weeks=step)
        self.post_message(self.WeekChanged(self.monday))
        self.load()

    @on(Button.Pressed, "#roster-prev")
    def previous_week(self) -> None:
        self.action_week(-1)

    @on(Button.Pressed, "#roster-next")
    def next_week(self) -> None:
        self.action_week(1)

    @on(Button.Pressed, "#roster-today")
    def this_week(self) -> None:
        self.monday = monday_of(self.ctx.clock.today())
        self.post_message(self.WeekChanged(self.monday))
        self.load()

    @on(Button.Pressed, "#roster-print")
    def print_roster(self) -> None:
        sheet = roster_sheet(self.ctx, week_roster(self.ctx, self.monday))
        self.render_pdf(sheet, printouts_dir() / f"roster-{self.monday.isoformat()}.pdf", current_language())

    @work(thread=True, exclusive=True, exit_on_error=False, group="roster-print", description="roster PDF")
    def render_pdf(self, sheet, path: Path, language: str) -> None:
        render_roster(sheet, path, language)
        self.app.call_from_thread(self.app.notify, _("Roster saved as {path}").format(path=path))

    @on(Button.Pressed, "#roster-csv")
    def export_csv(self) -> None:
        path = printouts_dir() / f"roster-{self.monday.isoformat()}.csv"
        rows = write_roster_csv(week_roster(self.ctx, self.monday), path)
        self.app.notify(ngettext("{n} shift saved as {path}", "{n} shifts saved as {path}", rows).format(n=rows, path=path))
