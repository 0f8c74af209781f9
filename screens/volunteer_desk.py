"""Signing volunteers in and out: the desk panel for librarians (scan a card or type a
name; the same scan signs in, then out) and a volunteer's own page (their shifts, sign in,
sign out, cancel an upcoming shift, print their hours)."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, Static

from countylib.context import ServiceContext
from countylib.errors import CountyLibError
from countylib.i18n import N_, _, current_language, format_date
from countylib.shifts import (
    ASSIGNMENT_STATUSES,
    cancel_assignment,
    hhmm,
    my_shifts,
    role_label,
)
from countylib.volunteer_hours import (
    JustSignedIn,
    day_sheet,
    find_volunteer_at_desk,
    hours_lines,
    record_no_shows,
    sign_in_or_out,
    sign_in_volunteer,
    sign_out_volunteer,
    too_short_to_count,
)
from countylib.volunteer_recognition import hours_statement
from countylib.volunteers import volunteer_for_actor
from printing.volunteers import hours_text, render_hours_statement
from screens.i18n import translate_bindings
from screens.roster import volunteer_paper_path
from screens.volunteer_modals import ReasonPrompt


def signed_out_text(a) -> str:
    name = a.volunteer.name
    if too_short_to_count(a.minutes):
        return _("{name} signed out after {minutes} min: too short to count as a shift.").format(name=name, minutes=a.minutes)
    return _("{name} signed out: {hours} hours.").format(name=name, hours=hours_text(a.minutes))


def toggle_sign(ctx: ServiceContext, volunteer_id: str) -> str:
    """Sign in or out; says what happened."""
    a, signed_in = sign_in_or_out(ctx, volunteer_id)
    name = a.volunteer.name
    if not signed_in:
        return signed_out_text(a)
    return _("{name} signed in for {start}–{end} at {place}.").format(
        name=name, start=hhmm(a.shift.starts), end=hhmm(a.shift.ends), place=a.shift.location.name
    )


def local_hhmm(ctx: ServiceContext, value: dt.datetime | None) -> str:
    return ctx.clock.to_local(value).strftime("%H:%M") if value else ""


class SignInPane(Vertical):
    """The librarian's desk panel for volunteers."""

    BINDINGS = [Binding("ctrl+j", "scan", N_("Sign in / out"), id="volunteer_desk.scan", show=False)]

    def __init__(self, ctx: ServiceContext, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.signing_out: str | None = None  # the volunteer the "sign out now" button is for
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        yield Label(_("Scan the volunteer's card or type their name, then Enter: the first time signs in, the next signs out."))
        with Horizontal(id="desk-bar"):
            yield Input(placeholder=_("Card or name"), id="desk-scan")
            yield Button(_("Record no-shows"), id="desk-no-shows", tooltip=_("Everyone still expected on today's ended shifts"))
        with Horizontal(id="desk-result-bar"):
            yield Static("", id="desk-result")
            yield Button("", variant="warning", id="desk-sign-out")
        yield DataTable(id="desk-matches", cursor_type="row")
        yield Label(_("Today's shifts (Enter on a row: sign that volunteer in or out)"), classes="section")
        yield DataTable(id="desk-today", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#desk-matches", DataTable).add_columns(_("Name"), _("Card"), _("Phone"))
        self.query_one("#desk-matches", DataTable).display = False
        self.query_one("#desk-sign-out", Button).display = False
        self.query_one("#desk-today", DataTable).add_columns(
            _("Time"), _("Place"), _("Volunteer"), _("Status"), _("In"), _("Out"), _("Hours")
        )
        self.load_today()

    def focus_scan(self) -> None:
        self.query_one("#desk-scan", Input).focus()

    def load_today(self) -> None:
        table = self.query_one("#desk-today", DataTable)
        table.clear()
        # A volunteer may have two shifts today: rows are assignments, Enter acts for their volunteer.
        self.today_volunteers: dict[str, str] = {}
        for a in day_sheet(self.ctx, self.ctx.clock.today()):
            self.today_volunteers[a.id] = a.volunteer_id
            table.add_row(
                f"{hhmm(a.shift.starts)}–{hhmm(a.shift.ends)}",
                Text(a.shift.location.name),
                Text(a.volunteer.name),
                _(ASSIGNMENT_STATUSES[a.status]),
                local_hhmm(self.ctx, a.signed_in_at),
                local_hhmm(self.ctx, a.signed_out_at),
                hours_text(a.minutes) if a.signed_out_at else "",
                key=a.id,
            )

    def say(self, text: str, ok: bool) -> None:
        self.query_one("#desk-result", Static).update(Text(text, style="bold green" if ok else "bold red"))
        if not ok:
            self.app.bell()

    def act_for(self, volunteer_id: str) -> None:
        sign_out = self.query_one("#desk-sign-out", Button)
        sign_out.display = False
        try:
            self.say(toggle_sign(self.ctx, volunteer_id), True)
        except JustSignedIn as exc:
            self.say(exc.message, False)
            # Signing out on purpose stays possible, but only by a press of its own.
            self.signing_out = volunteer_id
            sign_out.label = _("Sign {name} out now").format(name=exc.volunteer.name)
            sign_out.display = True
        except CountyLibError as exc:
            self.say(exc.message, False)
        self.query_one("#desk-matches", DataTable).display = False
        self.load_today()
        self.focus_scan()

    @on(Button.Pressed, "#desk-sign-out")
    def sign_out_on_purpose(self) -> None:
        self.query_one("#desk-sign-out", Button).display = False
        try:
            self.say(signed_out_text(sign_out_volunteer(self.ctx, self.signing_out)), True)
        except CountyLibError as exc:
            self.say(exc.message, False)
        self.load_today()
        self.focus_scan()

    @on(Input.Submitted, "#desk-scan")
    def action_scan(self) -> None:
        field = self.query_one("#desk-scan", Input)
        text, field.value = field.value, ""
        matches = self.query_one("#desk-matches", DataTable)
        try:
            found = find_volunteer_at_desk(self.ctx, text)
        except CountyLibError as exc:
            self.say(exc.message, False)
            matches.display = False
            return
        if len(found) == 1:
            self.act_for(found[0].id)
            return
        matches.clear()
        for v in found:
            matches.add_row(Text(v.name), v.card_number or "", v.phone, key=v.id)
        matches.display = True
        self.say(_("{n} volunteers match; pick one and press Enter.").format(n=len(found)), True)
        matches.focus()

    @on(DataTable.RowSelected, "#desk-matches")
    def picked_match(self, event: DataTable.RowSelected) -> None:
        self.act_for(event.row_key.value)

    @on(DataTable.RowSelected, "#desk-today")
    def picked_today(self, event: DataTable.RowSelected) -> None:
        self.act_for(self.today_volunteers[event.row_key.value])

    @on(Button.Pressed, "#desk-no-shows")
    def no_shows(self) -> None:
        try:
            marked = record_no_shows(self.ctx, self.ctx.clock.today())
        except CountyLibError as exc:
            self.say(exc.message, False)
            return
        self.say(_("{n} recorded as not having come.").format(n=len(marked)), True)
        self.load_today()


class MyShiftsPane(Vertical):
    """What a volunteer signed in with their own account sees."""

    def __init__(self, ctx: ServiceContext, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.me = volunteer_for_actor(ctx)

    def compose(self) -> ComposeResult:
        if self.me is None:
            yield Static(
                _("This account is not linked to a volunteer record yet; a librarian can link it in the volunteer's record."),
                id="my-unlinked",
            )
            return
        yield Static(_("Your shifts, {name}").format(name=self.me.name), classes="title")
        yield Static("", id="my-total")
        with Horizontal(id="my-bar"):
            yield Button(_("Sign in to my shift"), variant="success", id="my-sign-in")
            yield Button(_("Sign out of my shift"), variant="warning", id="my-sign-out")
            yield Button(_("Cannot come…"), id="my-cancel", tooltip=_("Cancel the highlighted upcoming shift"))
            yield Button(_("Print my hours"), id="my-statement")
        yield Static("", id="my-result")
        yield DataTable(id="my-shifts", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        if self.me is None:
            return
        self.query_one("#my-shifts", DataTable).add_columns(
            _("Date"), _("Time"), _("Place"), _("Task"), _("Status"), _("In"), _("Out"), _("Hours")
        )
        self.load()

    def load(self) -> None:
        table = self.query_one("#my-shifts", DataTable)
        table.clear()
        shifts = my_shifts(self.ctx)
        for s in shifts:
            table.add_row(
                format_date(s.day),
                f"{hhmm(s.starts)}–{hhmm(s.ends)}",
                Text(s.place),
                Text(role_label(s.role)),
                _(ASSIGNMENT_STATUSES[s.status]),
                s.signed_in_at.strftime("%H:%M") if s.signed_in_at else "",
                s.signed_out_at.strftime("%H:%M") if s.signed_out_at else "",
                hours_text(s.minutes) if s.status == "attended" and s.signed_out_at else "",
                key=s.assignment_id,
            )
        today = self.ctx.clock.today()
        upcoming = [n for n, s in enumerate(shifts) if s.day >= today]
        if upcoming:
            table.move_cursor(row=upcoming[0])  # the list opens at today, earlier shifts above
        lines = hours_lines(self.ctx, self.me, dt.date(today.year, 1, 1), dt.date(today.year, 12, 31))
        self.query_one("#my-total", Static).update(
            _("Your hours in {year}: {hours}").format(year=today.year, hours=hours_text(sum(line.minutes for line in lines)))
        )

    def say(self, text: str, ok: bool) -> None:
        self.query_one("#my-result", Static).update(Text(text, style="bold green" if ok else "bold red"))

    @on(Button.Pressed, "#my-sign-in")
    def sign_in(self) -> None:
        try:
            a = sign_in_volunteer(self.ctx, self.me)
        except CountyLibError as exc:
            self.say(exc.message, False)
            return
        self.say(_("Signed in for {start}–{end} at {place}.").format(
            start=hhmm(a.shift.starts), end=hhmm(a.shift.ends), place=a.shift.location.name), True)
        self.load()

    @on(Button.Pressed, "#my-sign-out")
    def sign_out(self) -> None:
        try:
            a = sign_out_volunteer(self.ctx, self.me)
        except CountyLibError as exc:
            self.say(exc.message, False)
            return
        if too_short_to_count(a.minutes):
            self.say(_("Signed out after {minutes} min: too short to count as a shift.").format(minutes=a.minutes), True)
        else:
            self.say(_("Signed out: {hours} hours. Thank you!").format(hours=hours_text(a.minutes)), True)
        self.load()

    @on(Button.Pressed, "#my-cancel")
    def cannot_come(self) -> None:
        table = self.query_one("#my-shifts", DataTable)
        if table.row_count == 0:
            return
        assignment_id = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

        def done(reason: str | None) -> None:
            if reason is None:
                return
            try:
                cancel_assignment(self.ctx, assignment_id, reason)
            except CountyLibError as exc:
                self.say(exc.message, False)
                return
            self.say(_("The shift is cancelled; the library has been told."), True)
            self.load()

        self.app.push_screen(ReasonPrompt(self.ctx, _("You cannot come to this shift. Why?")), done)

    @on(Button.Pressed, "#my-statement")
    def statement(self) -> None:
        year = self.ctx.clock.today().year
        data = hours_statement(self.ctx, self.me, dt.date(year, 1, 1), dt.date(year, 12, 31))
        self.render_statement(data, volunteer_paper_path("hours", self.me.name, year), current_language())

    @work(thread=True, exclusive=True, exit_on_error=False, group="my-statement", description="hours statement PDF")
    def render_statement(self, data, path, language: str) -> None:
        render_hours_statement(data, path, language)
        self.app.call_from_thread(self.app.notify, _("Hours statement saved as {path}").format(path=path))
