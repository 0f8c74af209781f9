"""The reports area (F8): today and this week at a glance with small charts, then every table of
a chosen period (any range, optionally one place), exported to CSV or printed as a month's
statistics or the annual reading report. Queries run in thread workers, each on its own
connection, so the screen never waits on a county's five million loans."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Select, Sparkline, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from countylib import reports
from countylib.dates import parse_date
from countylib.errors import CountyLibError, os_reason
from countylib.i18n import N_, _, current_language
from countylib.report_data import Glance, Period, PeriodReport
from countylib.report_text import Num, Pct, Table, Words, period_text, report_tables, write_csv
from printing.annual_report import render_annual_report, render_period_report
from screens.base import AreaScreen
from screens.events_common import export_path

PRESETS = (
    ("today", N_("Today")),
    ("yesterday", N_("Yesterday")),
    ("this_week", N_("This week")),
    ("last_week", N_("Last week")),
    ("this_month", N_("This month")),
    ("last_month", N_("Last month")),
    ("this_year", N_("This year")),
    ("last_year", N_("Last year")),
    ("custom", N_("Chosen dates")),
)
WHOLE_LIBRARY = "*"
# The tabs and the tables each shows (keys of report_text.report_tables).
TABS = (
    ("figures", N_("Figures"), ("overview",)),
    ("lending", N_("Lending"), ("by_time", "by_class", "by_place", "by_category")),
    ("titles", N_("Titles and readers"), ("top_titles", "top_readers")),
    ("collection", N_("Collection"), ("additions", "weeding")),
    ("patrons", N_("Cards and visits"), ("card_returns", "visits_by_place")),
    ("activities", N_("Activities, volunteers, gifts"), ("activities", "volunteers", "donations")),
)
# Short labels, three figures to a row: nine in one row of cards cut the English labels
# ("Returne", "Overdu") at 120 and 140 columns.
GLANCE_LABELS = {
    "loans": N_("Lent"),
    "returns": N_("Returned"),
    "renewals": N_("Renewals"),  # "Renewed" reads 续期, a card's renewal
    "new_cards": N_("New cards"),
    "visits": N_("Came in"),
    "participants": N_("At activities"),
    "volunteer_hours": N_("Vol. hours"),
    "overdue": N_("Overdue"),
    "in_transit": N_("In transit"),
}


def preset_period(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of a named period around today."""
    if preset == "yesterday":
        day = today - dt.timedelta(days=1)
        return day, day
    if preset in ("this_week", "last_week"):
        week = Period.week_of(today - dt.timedelta(days=7 if preset == "last_week" else 0))
        return week.start, week.end
    if preset in ("this_month", "last_month"):
        first = today.replace(day=1)
        if preset == "last_month":
            first = (first - dt.timedelta(days=1)).replace(day=1)
        month = Period.month(first.year, first.month)
        return month.start, month.end
    if preset in ("this_year", "last_year"):
        year = Period.year(today.year - (preset == "last_year"))
        return year.start, year.end
    return today, today


def glance_value(glance: Glance, key: str) -> str:
    words = Words(current_language())
    if key == "volunteer_hours":
        return words.hours(glance.volunteer_minutes)
    if key == "new_cards":
        return words.number(glance.new_patrons)
    if key == "participants":
        return words.number(glance.participants)
    return words.number(getattr(glance, key))


@dataclass
class Glances:
    today: Glance
    week: Glance


class GlancePanel(Vertical):
    """One period's figures, each label with its number; the week's also with a chart per day."""

    def __init__(self, title: str, *, charts: bool, **kwargs) -> None:
        super().__init__(classes="glance", **kwargs)
        self.title = title
        self.charts = charts

    def compose(self) -> ComposeResult:
        yield Label(self.title, classes="glance-title")
        with Grid(classes="figures"):
            for key, label in GLANCE_LABELS.items():
                with Horizontal(classes="figure"):
                    yield Static(_(label), classes="figure-label")
                    yield Static("…", classes="figure-value", id=f"{self.id}-{key}")
        if self.charts:
            for key in ("loans", "returns", "visits"):
                with Horizontal(classes="spark-row"):
                    yield Label(_(GLANCE_LABELS[key]), classes="spark-label")
                    yield Sparkline([], id=f"{self.id}-spark-{key}", summary_function=max)

    def show(self, glance: Glance) -> None:
        for key in GLANCE_LABELS:
            self.query_one(f"#{self.id}-{key}", Static).update(glance_value(glance, key))
        if self.charts:
            for key in ("loans", "returns", "visits"):
                self.query_one(f"#{self.id}-spark-{key}", Sparkline).data = [getattr(d, key) for d in glance.days]


class ReportsScreen(AreaScreen):
    CSS_PATH = "reports.tcss"
    BINDINGS = [
        Binding("f11", "refresh", N_("Refresh"), id="reports.refresh"),
        # priority: an Input would take ctrl+e itself (to the end, which the End key still does),
        # and the date fields are where the period is chosen just before exporting it.
        Binding("ctrl+e", "export_csv", N_("Export CSV"), id="reports.export", priority=True),
        Binding("ctrl+t", "monthly_pdf", N_("Monthly report (PDF)"), id="reports.monthly"),
        Binding("ctrl+r", "annual_pdf", N_("Annual report (PDF)"), id="reports.annual"),
    ]

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(ctx, **kwargs)
        self.report: PeriodReport | None = None
        self.tables: list[Table] = []
        self.requested: tuple[Period, bool] | None = None

    def compose_body(self) -> ComposeResult:
        today = self.ctx.clock.today()
        start, end = preset_period("this_month", today)
        places = [(f"{loc.name} ({loc.code})", loc.code) for loc in reports.report_places()]
        with Vertical(id="reports"):
            with Horizontal(id="glances"):
                yield GlancePanel(_("Today"), charts=False, id="glance-today")
                yield GlancePanel(_("This week"), charts=True, id="glance-week")
            # The period on one line, what to make of it on the next: in one line the buttons ran
            # off a 140-column terminal in Chinese.
            with Horizontal(id="report-bar"):
                yield Select([(_(label), key) for key, label in PRESETS], value="this_month", allow_blank=False, id="report-preset")
                yield Input(start.isoformat(), id="report-from", placeholder=_("from YYYY-MM-DD"))
                yield Input(end.isoformat(), id="report-to", placeholder=_("to YYYY-MM-DD"))
                yield Select([(_("Whole library"), WHOLE_LIBRARY), *places], value=WHOLE_LIBRARY, allow_blank=False, id="report-place")
                yield Button(_("Show"), id="report-show", variant="primary")
            with Horizontal(id="report-actions"):
                yield Checkbox(_("Names in full (internal)"), id="report-internal")
                yield Button(_("Export CSV"), id="report-export")
                yield Button(_("Monthly report (PDF)"), id="report-monthly")
                yield Button(_("Annual report (PDF)"), id="report-annual")
            yield Static("", id="report-message")
            with TabbedContent(id="report-tabs"):
                for tab_id, title, keys in TABS:
                    with TabPane(_(title), id=f"tab-{tab_id}"):
                        with VerticalScroll():
                            for key in keys:
                                yield Label("", id=f"title-{key}", classes="table-title")
                                yield DataTable(id=f"table-{key}", cursor_type="row", zebra_stripes=True, classes="report-table")

    def on_mount(self) -> None:
        self.load_glances()
        self.refresh_report(force=False)

    # -- the period ------------------------------------------------------------------------

    @on(Select.Changed, "#report-preset")
    def preset_chosen(self, event: Select.Changed) -> None:
        if event.value == "custom":
            self.query_one("#report-from", Input).focus()
            return
        start, end = preset_period(str(event.value), self.ctx.clock.today())
        self.query_one("#report-from", Input).value = start.isoformat()
        self.query_one("#report-to", Input).value = end.isoformat()
        self.refresh_report(force=False)

    @on(Input.Changed, "#report-from")
    @on(Input.Changed, "#report-to")
    def dates_typed(self, event: Input.Changed) -> None:
        if event.input.has_focus:
            self.query_one("#report-preset", Select).value = "custom"

    def chosen_period(self) -> Period:
        def day(selector: str) -> dt.date:
            return parse_date(self.query_one(selector, Input).value, required=True)

        place = self.query_one("#report-place", Select).value
        return Period(day("#report-from"), day("#report-to"), None if place == WHOLE_LIBRARY else str(place))

    @on(Input.Submitted, "#report-from")
    @on(Input.Submitted, "#report-to")
    @on(Button.Pressed, "#report-show")
    def action_refresh(self) -> None:
        self.load_glances()
        self.refresh_report(force=True)

    @on(Select.Changed, "#report-place")
    @on(Checkbox.Changed, "#report-internal")
    def choice_changed(self) -> None:
        self.refresh_report(force=False)

    def refresh_report(self, *, force: bool) -> None:
        """Add up the chosen period again: always when asked, else only when the choice changed
        (widgets announce their first value too, and a county's year takes seconds)."""
        try:
            period = self.chosen_period()
        except CountyLibError as exc:
            self.say(exc.message, error=True)
            return
        internal = self.query_one("#report-internal", Checkbox).value
        if not force and (period, internal) == self.requested:
            return
        self.requested = (period, internal)
        self.say(_("Adding up the figures…"))
        self.query_one("#report-tabs", TabbedContent).loading = True
        self.load_report(period, internal)

    # -- workers -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="report-glance", exit_on_error=False, description="today at a glance")
    def load_glances(self) -> Glances:
        today = self.ctx.clock.today()
        with self.ctx.db.connection_context():
            return Glances(reports.glance(self.ctx, Period.day(today)), reports.glance(self.ctx, Period.week_of(today)))

    @work(thread=True, exclusive=True, group="report", exit_on_error=False, description="report figures")
    def load_report(self, period: Period, internal: bool) -> PeriodReport:
        with self.ctx.db.connection_context():
            return reports.period_report(self.ctx, period, internal=internal)

    @work(thread=True, exclusive=True, group="report-annual", exit_on_error=False, description="annual report")
    def make_annual(self, year: int) -> str:
        with self.ctx.db.connection_context():
            annual = reports.annual_report(self.ctx, year)
        path = export_path(f"{annual.report.library_name}-{year}-annual-report", ".pdf")
        render_annual_report(annual, path)
        return str(path)

    @work(thread=True, exclusive=True, group="report-monthly", exit_on_error=False, description="monthly report")
    def make_monthly(self, month: Period, internal: bool) -> str:
        with self.ctx.db.connection_context():
            report = reports.period_report(self.ctx, month, internal=internal)
        place = f"-{month.location}" if month.location else ""
        path = export_path(f"{report.library_name}-{month.start:%Y-%m}{place}-monthly-report", ".pdf")
        render_period_report(report, path, current_language())
        return str(path)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        group = event.worker.group
        if not group.startswith("report"):
            return
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.say(error.message if isinstance(error, CountyLibError) else str(error), error=True)
            if group == "report":
                self.query_one("#report-tabs", TabbedContent).loading = False
        elif event.state == WorkerState.SUCCESS:
            result = event.worker.result
            if group == "report-glance":
                self.query_one("#glance-today", GlancePanel).show(result.today)
                self.query_one("#glance-week", GlancePanel).show(result.week)
            elif group == "report":
                self.show_report(result)
            elif group == "report-monthly":
                self.say(_("Monthly report written to {path}").format(path=result))
            else:
                self.say(_("Annual report written to {path}").format(path=result))

    # -- showing and exporting ------------------------------------------------------------------

    def show_report(self, report: PeriodReport) -> None:
        words = Words(current_language())
        self.report = report
        self.tables = report_tables(report, words)
        for table in self.tables:
            self.query_one(f"#title-{table.key}", Label).update(table.title)
            widget = self.query_one(f"#table-{table.key}", DataTable)
            widget.clear(columns=True)
            numeric = [any(isinstance(r[i], int | Pct | Num) for r in table.rows) for i in range(len(table.columns))]
            widget.add_columns(*(Text(c, justify="right") if numeric[i] else c for i, c in enumerate(table.columns)))
            widget.add_rows(
                [
                    tuple(Text(words.cell(v), justify="right") if numeric[i] else words.cell(v) for i, v in enumerate(row))
                    for row in table.rows
                ]
            )
        self.query_one("#report-tabs", TabbedContent).loading = False
        self.say(
            _("{period}: {loans} loans, {readers} readers, {visits} visits.").format(
                period=period_text(words, report),
                loans=words.number(report.circulation.loans),
                readers=words.number(report.readers.active),
                visits=words.number(report.patrons.visits),
            )
        )

    def action_export_csv(self) -> None:
        if self.report is None:
            self.say(_("Show a period first, then export it."), error=True)
            return
        words = Words(current_language())
        period = self.report.period
        path = export_path(f"report-{period.start:%Y%m%d}-{period.end:%Y%m%d}{'-' + period.location if period.location else ''}", ".csv")
        try:
            rows = write_csv(self.tables, path, words, heading=f"{self.report.library_name} · {period_text(words, self.report)}")
        except OSError as exc:
            self.say(_("Could not write {path}: {reason}").format(path=str(path), reason=os_reason(exc)), error=True)
            return
        self.say(_("Exported {tables} tables ({rows} rows) to {path}").format(tables=len(self.tables), rows=rows, path=str(path)))

    @on(Button.Pressed, "#report-export")
    def export_pressed(self) -> None:
        self.action_export_csv()

    @on(Button.Pressed, "#report-monthly")
    def action_monthly_pdf(self) -> None:
        """The month the shown period starts in, at the chosen place (this month, the whole
        library, if the dates are mistyped)."""
        try:
            period = self.chosen_period()
            first, place = period.start, period.location
        except CountyLibError:
            first, place = self.ctx.clock.today(), None
        label = f"{first:%Y-%m} · {place}" if place else f"{first:%Y-%m}"
        self.say(_("Writing the monthly report for {month}…").format(month=label))
        self.make_monthly(Period.month(first.year, first.month, place), self.query_one("#report-internal", Checkbox).value)

    @on(Button.Pressed, "#report-annual")
    def action_annual_pdf(self) -> None:
        try:
            year = self.chosen_period().start.year
        except CountyLibError:
            year = self.ctx.clock.today().year
        self.say(_("Writing the annual report for {year}…").format(year=year))
        self.make_annual(year)

    def say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#report-message", Static)
        message.update(text)
        message.set_class(error, "error")
        if error:
            self.app.bell()
