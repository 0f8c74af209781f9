"""Hours and recognition: the year's ranking with the proposed outstanding volunteers
(confirmed here by staff), hours per month and per place, and the papers for the
highlighted volunteer (hours statement, certificate, review)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from countylib.context import ServiceContext
from countylib.errors import CountyLibError
from countylib.i18n import LANGUAGE_NAMES, _, current_language, ngettext
from countylib.volunteer_hours import hours_by_month, hours_by_place
from countylib.volunteer_recognition import (
    annual_ranking,
    confirm_outstanding,
    hours_statement,
    service_certificate,
)
from printing.volunteers import hours_text, render_certificate, render_hours_statement
from screens.confirm import ConfirmDialog
from screens.roster import volunteer_paper_path
from screens.volunteer_modals import ReviewForm


class RecognitionPane(Vertical):
    def __init__(self, ctx: ServiceContext, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.year = ctx.clock.today().year

    def compose(self) -> ComposeResult:
        with Horizontal(id="rank-bar"):
            yield Label(_("Service year"))
            yield Input(str(self.year), type="integer", id="rank-year")
            yield Button(_("Show"), id="rank-show")
            yield Button(_("Confirm proposed"), variant="primary", id="rank-confirm",
                         tooltip=_("Name every proposed volunteer outstanding (优秀志愿者) for the year"))
            yield Button(_("Confirm highlighted"), id="rank-confirm-one")
        yield Static("", id="rank-note")
        yield DataTable(id="rank-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="rank-papers"):
            yield Label(_("For the highlighted volunteer:"))
            yield Select([(name, code) for code, name in LANGUAGE_NAMES.items()], value=current_language(),
                         allow_blank=False, id="paper-language")
            yield Button(_("Hours statement"), id="paper-statement")
            yield Button(_("Certificate"), id="paper-certificate")
            yield Button(_("Review…"), id="paper-review")
        with Horizontal(id="rank-sums"):
            with Vertical():
                yield Label(_("Hours per month"), classes="section")
                yield DataTable(id="month-table", cursor_type="none")
            with Vertical():
                yield Label(_("Hours per place"), classes="section")
                yield DataTable(id="place-table", cursor_type="none")

    def on_mount(self) -> None:
        self.query_one("#rank-table", DataTable).add_columns(
            "#", _("Name"), _("Hours"), _("Attended / assigned"), _("Reliability"), _("Rating"), _("Score"), _("Outstanding")
        )
        self.query_one("#month-table", DataTable).add_columns(_("Month"), _("Hours"), _("Shifts"), _("Volunteers"))
        self.query_one("#place-table", DataTable).add_columns(_("Place"), _("Hours"), _("Shifts"), _("Volunteers"))
        self.load()

    def load(self) -> None:
        table = self.query_one("#rank-table", DataTable)
        table.clear()
        ranking = annual_ranking(self.ctx, self.year)
        for n, row in enumerate(ranking, start=1):
            if row.honoured:
                mark = Text(_("confirmed"), style="bold green")
            elif row.proposed:
                mark = Text(_("proposed"), style="bold yellow")
            else:
                mark = ""
            table.add_row(
                str(n),
                Text(row.name),
                hours_text(row.minutes),
                f"{row.attended} / {row.assigned}",
                f"{row.reliability:.0%}",
                f"{row.average_rating:.1f}" if row.average_rating is not None else "—",
                f"{row.score:.3f}",
                mark,
                key=row.volunteer_id,
            )
        proposed = sum(1 for r in ranking if r.proposed and not r.honoured)
        self.query_one("#rank-note", Static).update(
            ngettext(
                "{n} volunteer served in {year}; {p} proposed as outstanding, waiting for staff to confirm.",
                "{n} volunteers served in {year}; {p} proposed as outstanding, waiting for staff to confirm.",
                len(ranking),
            ).format(
                n=len(ranking), year=self.year, p=proposed
            )
            if ranking
            else _("Nobody attended a shift in {year}.").format(year=self.year)
        )
        months = self.query_one("#month-table", DataTable)
        months.clear()
        for m in hours_by_month(self.ctx, self.year):
            if m["shifts"]:
                months.add_row(f"{self.year}-{m['month']:02d}", hours_text(m['minutes']), str(m["shifts"]), str(m["volunteers"]))
        places = self.query_one("#place-table", DataTable)
        places.clear()
        for p in hours_by_place(self.ctx, dt.date(self.year, 1, 1), dt.date(self.year, 12, 31)):
            places.add_row(Text(p["place"]), hours_text(p['minutes']), str(p["shifts"]), str(p["volunteers"]))

    def highlighted(self) -> str | None:
        table = self.query_one("#rank-table", DataTable)
        if table.row_count == 0:
            self.app.notify(_("Nobody to choose in {year}.").format(year=self.year), severity="warning")
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    @on(Input.Submitted, "#rank-year")
    @on(Button.Pressed, "#rank-show")
    def show_year(self) -> None:
        try:
            year = int(self.query_one("#rank-year", Input).value)
        except ValueError:
            year = 0
        if not 2000 <= year <= self.ctx.clock.today().year + 1:
            self.app.notify(_("Type a year such as {year}.").format(year=self.ctx.clock.today().year), severity="error")
            return
        self.year = year
        self.load()

    def _confirm(self, ids: list[str]) -> None:
        try:
            made = confirm_outstanding(self.ctx, self.year, ids)
        except CountyLibError as exc:
            self.app.notify(exc.message, severity="error")
            return
        self.app.notify(
            ngettext(
                "{n} outstanding volunteer confirmed for {year}.", "{n} outstanding volunteers confirmed for {year}.", len(made)
            ).format(n=len(made), year=self.year)
        )
        self.load()

    @on(Button.Pressed, "#rank-confirm")
    def confirm_proposed(self) -> None:
        rows = [r for r in annual_ranking(self.ctx, self.year) if r.proposed and not r.honoured]
        if not rows:
            self.app.notify(_("No proposals are waiting for {year}.").format(year=self.year), severity="warning")
            return
        question = _("Name these volunteers outstanding for {year}?").format(year=self.year) + "\n" + "、".join(r.name for r in rows)
        self.app.push_screen(
            ConfirmDialog(_("Outstanding volunteers"), question, _("Confirm proposed")),
            lambda yes: self._confirm([r.volunteer_id for r in rows]) if yes else None,
        )

    @on(Button.Pressed, "#rank-confirm-one")
    def confirm_one(self) -> None:
        volunteer_id = self.highlighted()
        if volunteer_id is not None:
            self._confirm([volunteer_id])

    def _paper_period(self) -> tuple[dt.date, dt.date]:
        return dt.date(self.year, 1, 1), min(dt.date(self.year, 12, 31), self.ctx.clock.today())

    @on(Button.Pressed, "#paper-statement")
    def statement(self) -> None:
        volunteer_id = self.highlighted()
        if volunteer_id is None:
            return
        data = hours_statement(self.ctx, volunteer_id, *self._paper_period())
        language = self.query_one("#paper-language", Select).value
        self.render_paper(render_hours_statement, data, volunteer_paper_path("hours", data.volunteer, self.year, language), language)

    @on(Button.Pressed, "#paper-certificate")
    def certificate(self) -> None:
        volunteer_id = self.highlighted()
        if volunteer_id is None:
            return
        try:
            data = service_certificate(self.ctx, volunteer_id, *self._paper_period())
        except CountyLibError as exc:
            self.app.notify(exc.message, severity="error")
            return
        language = self.query_one("#paper-language", Select).value
        self.render_paper(render_certificate, data, volunteer_paper_path("certificate", data.volunteer, self.year, language), language)

    @work(thread=True, exit_on_error=False, group="volunteer-papers", description="volunteer PDF")
    def render_paper(self, renderer, data, path: Path, language: str) -> None:
        renderer(data, path, language)
        self.app.call_from_thread(self.app.notify, _("Saved as {path}").format(path=path))

    @on(Button.Pressed, "#paper-review")
    def review(self) -> None:
        volunteer_id = self.highlighted()
        if volunteer_id is not None:
            start, end = self._paper_period()
            self.app.push_screen(
                ReviewForm(self.ctx, volunteer_id, start, end),
                lambda saved: self.app.notify(_("Review saved.")) if saved else None,
            )
