"""Closed days (Settings): a year's holidays and closures for this branch and for all
branches, closing a day or a run of days with a reason, reopening a day, and the weekdays
the library is always closed (a setting, changed here too).

Due dates and hold pickup days skip every day listed here (``countylib.calendar``).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from countylib.calendar import WEEKDAY_NAMES, open_day
from countylib.closed_days import ClosedDay, closed_days_of_year, closed_weekday_names
from countylib.errors import CountyLibError
from countylib.i18n import N_, _, format_date, join_list
from countylib.settings import change_setting
from screens.base import AreaScreen
from screens.closed_day_form import ClosedDayForm
from screens.confirm import ConfirmDialog
from screens.setting_edit import SettingEditScreen


class ClosedDaysScreen(AreaScreen):
    CSS_PATH = "closed_days.tcss"
    COMPACT_FOOTER = True
    BINDINGS = [
        Binding("escape", "back", N_("Back to Settings"), id="closed_days.back"),
        Binding("ctrl+n", "close", N_("Close days"), id="closed_days.close"),
        Binding("delete", "reopen", N_("Reopen day"), id="closed_days.reopen"),
        Binding("ctrl+left", "year(-1)", N_("Previous year"), id="closed_days.previous_year"),
        Binding("ctrl+right", "year(1)", N_("Next year"), id="closed_days.next_year"),
        Binding("ctrl+w", "weekdays", N_("Weekly closing days"), id="closed_days.weekdays"),
    ]

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(ctx, **kwargs)
        self.year = ctx.clock.today().year
        self.days: list[ClosedDay] = []

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="closed-days"):
            yield Static(_("Closed days"), classes="title")
            yield Static(
                _("Due dates and the last day to collect a hold never fall on a closed day; they move to the next open day."),
                classes="hint",
            )
            yield Static("", id="weekly")
            yield Static("", id="year", classes="section")
            table = DataTable(id="closed-table", cursor_type="row", zebra_stripes=True)
            table.add_columns(_("Date"), _("Weekday"), _("Applies to"), _("Reason"))
            yield table
            yield Static("", id="closed-empty", classes="hint")
            yield Static(
                _("Ctrl+N closes a day or a run of days, Delete reopens the highlighted day, Ctrl+←/→ change the year."),
                classes="hint",
            )

    def on_mount(self) -> None:
        self.load()

    async def retranslate(self) -> None:
        await super().retranslate()
        self.load()

    def load(self, focus_day=None) -> None:
        weekly = closed_weekday_names()
        self.query_one("#weekly", Static).update(
            _("Closed every week: {days}").format(days=join_list(weekly))
            if weekly
            else _("No weekday is closed every week.")
        )
        self.query_one("#year", Static).update(_("Closed days in {year}").format(year=self.year))
        self.days = closed_days_of_year(self.ctx.branch, self.year)
        table = self.query_one("#closed-table", DataTable)
        table.clear()
        everywhere, here = _("All branches"), _("This branch ({code})").format(code=self.ctx.branch.code)
        table.add_rows(
            (format_date(d.day), _(WEEKDAY_NAMES[d.day.weekday()]), here if d.branch_code else everywhere, d.reason)
            for d in self.days
        )
        self.query_one("#closed-empty", Static).update(
            "" if self.days else _("No closed days in {year}.").format(year=self.year)
        )
        if focus_day is not None:
            rows = [n for n, d in enumerate(self.days) if d.day >= focus_day]
            if rows:
                table.move_cursor(row=rows[0])
        table.focus()

    def refuse(self, exc: CountyLibError) -> None:
        self.notify(exc.message, severity="error")
        self.app.bell()

    def action_year(self, step: int) -> None:
        self.year += step
        self.load()

    def action_close(self) -> None:
        def closed(result: tuple | None) -> None:
            if result is None:
                return
            first, added = result
            self.year = first.year
            self.load(focus_day=first)
            self.notify(_("Closed days added: {n}").format(n=added))

        self.app.push_screen(ClosedDayForm(self.ctx), closed)

    def highlighted(self) -> ClosedDay | None:
        table = self.query_one("#closed-table", DataTable)
        return self.days[table.cursor_row] if self.days and 0 <= table.cursor_row < len(self.days) else None

    def action_reopen(self) -> None:
        day = self.highlighted()
        if day is None:
            return
        where = _("all branches") if day.branch_code is None else day.branch_code
        question = _("Open again on {date} ({where})? Loans due later are not moved back.").format(
            date=format_date(day.day), where=where
        )

        def reopen(yes: bool) -> None:
            if not yes:
                return
            try:
                open_day(self.ctx, day.day, day.branch_code)
            except CountyLibError as exc:
                self.refuse(exc)
                return
            self.load(focus_day=day.day)
            self.notify(_("Open again on {date}.").format(date=format_date(day.day)))

        self.app.push_screen(ConfirmDialog(_("Reopen day"), question, _("Reopen")), reopen)

    def action_weekdays(self) -> None:
        def changed(value: object) -> None:
            if value is None:
                return
            try:
                change_setting(self.ctx, "closed_weekdays", value)
            except CountyLibError as exc:
                self.refuse(exc)
                return
            self.load()
            self.notify(_("Saved."))

        self.app.push_screen(SettingEditScreen("closed_weekdays"), changed)

    def action_back(self) -> None:
        self.dismiss()
