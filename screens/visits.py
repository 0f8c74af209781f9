"""Visitor counts: type in a clicker's totals (per hour or for the day), clear a day to count it
again, import a gate counter's file (its columns chosen once), and the year's visits per head of
the service population."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from countylib import visits
from countylib.context import ServiceContext
from countylib.dates import parse_date
from countylib.errors import CountyLibError
from countylib.i18n import N_, _, format_date
from countylib.locations import list_locations, location_by_code
from screens.confirm import ConfirmDialog
from screens.events_common import fill_table, parse_number
from screens.i18n import translate_bindings

NONE = "-"
SHOWN_DAYS = 60


class VisitsPane(Vertical):
    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(id="visits-pane")
        self.ctx = ctx
        self._days: list[tuple[str, dt.date]] = []  # (place code, day) of each table row

    def compose(self) -> ComposeResult:
        places = [(f"{loc.name} ({loc.code})", loc.code) for loc in list_locations()]
        with Horizontal(id="visit-top"):
            with Grid(id="visit-form", classes="form"):
                yield Label(_("Place"))
                yield Select(places, value=self.ctx.branch.code, allow_blank=False, id="visit-place")
                yield Label(_("Date"))
                yield Input(self.ctx.clock.today().isoformat(), id="visit-day")
                yield Label(_("Hour"))
                yield Input(placeholder=_("blank: the whole day"), id="visit-hour")
                yield Label(_("Visitors"))
                yield Input(id="visit-count")
                with Horizontal(id="visit-buttons"):
                    yield Button(_("Save count"), id="visit-save", variant="primary")
                    yield Button(_("Clear the day…"), id="visit-clear", variant="warning")
            with Vertical(id="visit-side"):
                yield Static("", id="visit-year", classes="figures")
                with Horizontal(classes="entry"):
                    yield Label(_("Service population"), classes="entry-label")
                    yield Input(str(visits.service_population() or ""), id="population")
                    yield Button(_("Set"), id="population-set")
                yield Static("", id="visit-message", classes="message")
                yield Label(_("Gate counter file (CSV)"))
                with Horizontal(classes="entry"):
                    yield Input(placeholder=_("path to the file, e.g. D:\\gate\\2026-11.csv"), id="gate-path")
                with Horizontal(classes="entry"):
                    yield Button(_("Columns…"), id="gate-columns")
                    yield Button(_("Import"), id="gate-import", variant="primary")
        yield DataTable(id="visit-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        year = self.ctx.clock.today().year
        result = visits.per_capita_visits(year)
        if result.per_head is None:
            text = _("{year}: {visits} visits. Type the service population to see visits per head.").format(
                year=year, visits=f"{result.visits:,}"
            )
        else:
            text = _("{year}: {visits} visits · service population {population} · {per_head:.2f} visits per head").format(
                year=year, visits=f"{result.visits:,}", population=f"{result.population:,}", per_head=result.per_head
            )
        self.query_one("#visit-year", Static).update(text)
        today = self.ctx.clock.today()
        rows = visits.day_totals(today - dt.timedelta(days=SHOWN_DAYS), today)
        self._days = [(r.location_code, r.day) for r in rows]
        table = self.query_one("#visit-table", DataTable)
        sources = {"manual": _("typed in"), "gate": _("gate counter")}
        fill_table(
            table,
            [_("Date"), _("Place"), _("Visitors"), _("Counted"), _("Source")],
            [
                (
                    format_date(r.day),
                    r.location_name,
                    f"{r.visits:,}",
                    _("per hour") if r.by_hour else _("day total"),
                    sources.get(r.source, r.source),
                )
                for r in rows
            ],
        )

    def say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#visit-message", Static)
        message.update(text)
        message.set_class(error, "error")
        message.set_class(not error, "ok")
        if error:
            self.app.bell()

    @on(Input.Submitted, "#visit-count")
    @on(Button.Pressed, "#visit-save")
    def save_count(self) -> None:
        place = str(self.query_one("#visit-place", Select).value)
        try:
            day = parse_date(self.query_one("#visit-day", Input).value, required=True)
            hour = parse_number(self.query_one("#visit-hour", Input).value, optional=True)
            count = parse_number(self.query_one("#visit-count", Input).value)
            visits.record_visits(self.ctx, place, day, {hour: count})
        except CountyLibError as exc:
            self.say(exc.message, error=True)
            return
        self.query_one("#visit-count", Input).value = ""
        self.say(_("Saved: {count} visitors on {date}.").format(count=count, date=format_date(day)))
        self.reload()

    @on(DataTable.RowSelected, "#visit-table")
    def show_day(self, event: DataTable.RowSelected) -> None:
        """Put the chosen day in the form, with what it holds, to correct or clear it."""
        if not 0 <= event.cursor_row < len(self._days):
            return
        code, day = self._days[event.cursor_row]
        self.query_one("#visit-place", Select).value = code
        self.query_one("#visit-day", Input).value = day.isoformat()
        self.say(self._day_text(code, day))

    def _day_text(self, code: str, day: dt.date) -> str:
        counts = visits.hour_counts(code, day)
        if None in counts:
            return _("{date}: {count} visitors for the whole day.").format(date=format_date(day), count=counts[None])
        hours = " · ".join(f"{hour:02d}:00 {counts[hour]}" for hour in sorted(counts))
        return _("{date}, per hour: {hours}").format(date=format_date(day), hours=hours)

    @on(Button.Pressed, "#visit-clear")
    def clear_day(self) -> None:
        place = str(self.query_one("#visit-place", Select).value)
        try:
            day = parse_date(self.query_one("#visit-day", Input).value, required=True)
            counts = visits.hour_counts(place, day)
        except CountyLibError as exc:
            self.say(exc.message, error=True)
            return
        name = location_by_code(place).name
        if not counts:
            self.say(_("Nothing is counted at {place} on {date}.").format(place=name, date=format_date(day)), error=True)
            return

        def clear(yes: bool) -> None:
            if not yes:
                return
            try:
                visits.clear_visits(self.ctx, place, day)
            except CountyLibError as exc:
                self.say(exc.message, error=True)
                return
            self.say(_("Cleared {place} on {date}; count the day again, per hour or as a total.").format(place=name, date=format_date(day)))
            self.reload()

        question = _("Clear the visitor counts of {place} on {date}?").format(place=name, date=format_date(day))
        question += "\n" + self._day_text(place, day)
        self.app.push_screen(ConfirmDialog(_("Clear visitor counts"), question, _("Clear the day")), clear)

    @on(Input.Submitted, "#population")
    @on(Button.Pressed, "#population-set")
    def set_population(self) -> None:
        try:
            visits.set_service_population(self.ctx, parse_number(self.query_one("#population", Input).value))
        except CountyLibError as exc:
            self.say(exc.message, error=True)
            return
        self.say(_("Service population saved."))
        self.reload()

    # -- the gate counter's file -------------------------------------------------------------------

    def _gate_file(self) -> Path | None:
        text = self.query_one("#gate-path", Input).value.strip().strip('"')
        if not text:
            self.say(_("Type the path of the gate counter's file first."), error=True)
            return None
        return Path(text).expanduser()

    @on(Button.Pressed, "#gate-columns")
    def choose_columns(self) -> None:
        path = self._gate_file()
        if path is None:
            return
        try:
            header = visits.read_header(path)
            guess = visits.guess_gate_columns(path)
        except CountyLibError as exc:
            self.say(exc.message, error=True)
            return

        def chosen(columns: visits.GateColumns | None) -> None:
            if columns is not None:
                self.say(_("Columns saved. Press Import."))

        self.app.push_screen(GateColumnsDialog(self.ctx, header, guess), chosen)

    @on(Button.Pressed, "#gate-import")
    def import_file(self) -> None:
        path = self._gate_file()
        if path is None:
            return
        if visits.gate_columns() is None:
            self.choose_columns()
            return
        place = None if visits.gate_columns().location else str(self.query_one("#visit-place", Select).value)
        self.say(_("Importing {name}…").format(name=path.name))
        self.run_import(path, place)

    @work(thread=True, exclusive=True, group="gate-import", exit_on_error=False)
    def run_import(self, path: Path, place: str | None) -> visits.GateImport:
        with self.ctx.db.connection_context():
            return visits.import_gate_file(self.ctx, path, place)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "gate-import":
            return
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.say(error.message if isinstance(error, CountyLibError) else str(error), error=True)
        elif event.state == WorkerState.SUCCESS:
            result: visits.GateImport = event.worker.result
            lines = [
                _("{used} of {read} rows imported; {changed} counts changed.").format(
                    used=result.rows_used, read=result.rows_read, changed=result.counts_changed
                )
            ]
            lines += [_("Line {line}: {problem}").format(line=p.line, problem=p.message) for p in result.problems[:20]]
            if len(result.problems) > 20:
                lines.append(_("… and {more} more rows with problems.").format(more=len(result.problems) - 20))
            self.say("\n".join(lines), error=bool(result.problems))
            self.reload()


class GateColumnsDialog(ModalScreen[visits.GateColumns | None]):
    """Choose once which of the gate file's columns hold the date, the count, the hour, the place."""

    CSS_PATH = "activities.tcss"
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="gate-columns.cancel")]

    def __init__(self, ctx: ServiceContext, header: list[str], guess: visits.GateColumns) -> None:
        super().__init__()
        self.ctx = ctx
        self.header = header
        self.guess = guess
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        saved = visits.gate_columns()
        # The columns chosen before, when this file has them (the same counter); else the guess.
        shown = saved if saved and saved.date in self.header and saved.count in self.header else self.guess
        columns = [(name, name) for name in self.header]
        optional = [(_("(none)"), NONE), *columns]

        with Vertical(classes="dialog"):
            yield Static(_("Which column holds what? This is remembered for the next files."), classes="question")
            with Grid(classes="form"):
                yield Label(_("Date (or date and time)"))
                yield Select(columns, value=shown.date, allow_blank=False, id="col-date")
                yield Label(_("Visitors in"))
                yield Select(columns, value=shown.count, allow_blank=False, id="col-count")
                yield Label(_("Hour (optional)"))
                yield Select(optional, value=shown.hour if shown.hour in self.header else NONE, allow_blank=False, id="col-hour")
                yield Label(_("Place code (optional)"))
                yield Select(optional, value=shown.location if shown.location in self.header else NONE, allow_blank=False, id="col-place")
            yield Static("", id="columns-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button(_("Save"), id="columns-save", variant="primary")
                yield Button(_("Cancel"), id="columns-cancel")

    @on(Button.Pressed, "#columns-save")
    def save(self) -> None:
        def value(selector: str) -> str:
            chosen = str(self.query_one(selector, Select).value)
            return "" if chosen == NONE else chosen

        columns = visits.GateColumns(date=value("#col-date"), count=value("#col-count"), hour=value("#col-hour"), location=value("#col-place"))
        try:
            visits.save_gate_columns(self.ctx, columns)
        except CountyLibError as exc:
            self.query_one("#columns-error", Static).update(exc.message)
            self.app.bell()
            return
        self.dismiss(columns)

    @on(Button.Pressed, "#columns-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
