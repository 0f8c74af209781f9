"""Dialogs of the volunteers area: the record form, a new shift, one shift's people, and the
small prompts (reason, hours correction, rating, review).

Each dialog that changes something calls the service itself and stays open with the
service's message when it refuses, so nothing is half-written and nothing typed is lost.
Escape closes a dialog without a change.
"""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Select, SelectionList, Static

from countylib.context import ServiceContext
from countylib.errors import CountyLibError
from countylib.i18n import N_, _, format_date, join_sentences
from countylib.idnumbers import FOREIGN_PERMANENT, HMT_PERMIT, ID_TYPE_LABELS, PASSPORT, RESIDENT_ID
from countylib.shifts import (
    ASSIGNMENT_STATUSES,
    assign_volunteer,
    assignments_of,
    cancel_assignment,
    cancel_shift,
    candidates_for_shift,
    check_fit,
    create_shift,
    create_shift_series,
    get_assignment,
    get_shift,
    hhmm,
    shift_label,
    shift_places,
    shift_view,
    swap_assignment,
)
from countylib.volunteer_hours import correct_hours, mark_no_show
from countylib.volunteer_recognition import period_facts, rate_assignment, write_review
from countylib.volunteers import (
    PARTS,
    SKILLS,
    STATUSES,
    WEEKDAY_NAMES,
    WEEKDAYS,
    get_volunteer,
    register_volunteer,
    update_volunteer,
    volunteer_accounts,
)
from printing.volunteers import hours_text
from screens.confirm import ConfirmDialog
from screens.i18n import translate_bindings
from screens.widgets.button_row import ButtonRow

ESCAPE = Binding("escape", "close", N_("Close"), id="volunteers.dialog.close")
SAVE = Binding("ctrl+s", "save", N_("Save"), id="volunteers.dialog.save")
NOTE_WIDTH = 66  # the wide dialog's width less the name and phone columns


class Dialog(ModalScreen):
    """A modal with a title, an error line, escape to close; subclasses fill the body."""

    CSS_PATH = "volunteer_modals.tcss"
    BINDINGS = [ESCAPE]

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__()
        self.ctx = ctx
        translate_bindings(self)

    def action_close(self) -> None:
        self.dismiss(None)

    def show_error(self, exc: CountyLibError | str) -> None:
        self.query_one(".dialog-error", Static).update(exc.message if isinstance(exc, CountyLibError) else exc)
        self.app.bell()


# -- the volunteer's record ----------------------------------------------------------------


class VolunteerForm(Dialog):
    """New volunteer, or an existing record; dismisses with the saved Volunteer."""

    BINDINGS = [ESCAPE, SAVE]

    def __init__(self, ctx: ServiceContext, volunteer=None) -> None:
        super().__init__(ctx)
        self.volunteer = volunteer

    def compose(self) -> ComposeResult:
        v = self.volunteer
        known = [s for s in (v.skills if v else []) if s in SKILLS]
        other = [s for s in (v.skills if v else []) if s not in SKILLS]
        availability = (v.availability if v else {}) or {}
        with VerticalScroll(id="volunteer-form", classes="dialog wide"):
            yield Static(_("Volunteer record") if v else _("New volunteer"), classes="dialog-title")
            with Grid(classes="form-grid two"):
                yield Label(_("Name"))
                yield Input(v.name if v else "", id="f-name", compact=True)
                yield Label(_("Phone"))
                yield Input(v.phone if v else "", id="f-phone", compact=True)
                yield Label(_("ID type"))
                yield Select(
                    [(_(ID_TYPE_LABELS[t]), t) for t in (RESIDENT_ID, PASSPORT, HMT_PERMIT, FOREIGN_PERMANENT)],
                    value=RESIDENT_ID,
                    allow_blank=False,
                    id="f-id-type",
                    compact=True,
                )
                yield Label(_("ID number"))
                yield Input(
                    "",
                    placeholder=(v.id_number_masked + "  " + _("(type to change)")) if v and v.id_number_masked else "",
                    id="f-id-number",
                    compact=True,
                )
                yield Label(_("Volunteer card"))
                yield Input((v.card_number or "") if v else "", id="f-card", compact=True)
                yield Label(_("Reader card"))
                yield Input(v.patron.card_number if v and v.patron_id else "", id="f-patron-card", compact=True)
                yield Label(_("Emergency contact"))
                yield Input(v.emergency_contact if v else "", placeholder=_("Name and phone"), id="f-emergency", compact=True)
                yield Label(_("Background check date"))
                yield Input(
                    v.background_check_on.isoformat() if v and v.background_check_on else "",
                    placeholder="YYYY-MM-DD",
                    id="f-check",
                    compact=True,
                )
                yield Label(_("Status"))
                yield Select(
                    [(_(label), code) for code, label in STATUSES.items()],
                    value=v.status if v else "applicant",
                    allow_blank=False,
                    id="f-status",
                    compact=True,
                )
                yield Label(_("Sign-in account"))
                yield Select(
                    [(s.username + (f" ({s.display_name})" if s.display_name != s.username else ""), s.username)
                     for s in volunteer_accounts(self.ctx)],
                    value=v.staff.username if v and v.staff_id else Select.NULL,
                    prompt=_("(none)"),
                    id="f-account",
                    compact=True,
                )
                yield Label(_("Notes"))
                yield Input(v.notes if v else "", id="f-notes", compact=True)
            with Horizontal(classes="form-columns"):
                with Vertical(classes="form-column"):
                    yield Label(_("Skills"))
                    yield SelectionList[str](
                        *[(_(label), code, code in known) for code, label in SKILLS.items()], id="f-skills"
                    )
                    yield Input(", ".join(other), placeholder=_("Other skills, separated by commas"), id="f-other-skills", compact=True)
                with Vertical(classes="form-column"):
                    yield Label(_("Usually available"))
                    with Grid(id="availability"):
                        for day in WEEKDAYS:
                            yield Static(_(WEEKDAY_NAMES[day]))
                            for part, label in PARTS.items():
                                yield Checkbox(
                                    _(label), part in availability.get(day, []), id=f"avail-{day}-{part}", compact=True
                                )
            yield Checkbox(
                _("The volunteer agreed that the library keeps these details"),
                bool(v and v.consent_at),
                disabled=bool(v and v.consent_at),
                id="f-consent",
                compact=True,
            )
            yield Static("", classes="dialog-error")
            with ButtonRow(classes="dialog-buttons"):
                yield Button(_("Save"), variant="primary", id="save")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#f-name", Input).focus()

    def _fields(self) -> dict:
        def value(selector: str) -> str:
            return self.query_one(selector, Input).value

        skills = list(self.query_one("#f-skills", SelectionList).selected)
        skills += [s.strip() for s in value("#f-other-skills").replace("，", ",").split(",") if s.strip()]
        account = self.query_one("#f-account", Select).value
        fields = {
            "name": value("#f-name"),
            "phone": value("#f-phone"),
            "card_number": value("#f-card"),
            "patron_card": value("#f-patron-card"),
            "emergency_contact": value("#f-emergency"),
            "background_check_on": value("#f-check"),
            "status": self.query_one("#f-status", Select).value,
            "staff_username": "" if account is Select.NULL else account,
            "notes": value("#f-notes"),
            "skills": skills,
            "availability": {
                day: [part for part in PARTS if self.query_one(f"#avail-{day}-{part}", Checkbox).value] for day in WEEKDAYS
            },
            "consent": self.query_one("#f-consent", Checkbox).value,
        }
        if value("#f-id-number").strip():
            fields["id_type"] = self.query_one("#f-id-type", Select).value
            fields["id_number"] = value("#f-id-number")
        return fields

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        try:
            if self.volunteer is None:
                saved = register_volunteer(self.ctx, **self._fields())
            else:
                update_volunteer(self.ctx, self.volunteer, **self._fields())
                saved = get_volunteer(self.ctx, self.volunteer.id)
        except CountyLibError as exc:
            self.show_error(exc)
            return
        self.dismiss(saved)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)


# -- a new shift or series ---------------------------------------------------------------------


class ShiftForm(Dialog):
    """A shift, or the same shift every week for N weeks; dismisses with the number made."""

    BINDINGS = [ESCAPE, SAVE]

    def __init__(self, ctx: ServiceContext, *, place: str | None = None, day: dt.date | None = None) -> None:
        super().__init__(ctx)
        self.place, self.day = place, day

    def compose(self) -> ComposeResult:
        places = [(f"{loc.name} ({loc.code})", loc.code) for loc in shift_places()]
        with VerticalScroll(id="shift-form", classes="dialog"):
            yield Static(_("New shift"), classes="dialog-title")
            with Grid(classes="form-grid"):
                yield Label(_("Place"))
                yield Select(places, value=self.place or places[0][1], allow_blank=False, id="s-place", compact=True)
                yield Label(_("Date"))
                yield Input((self.day or self.ctx.clock.today()).isoformat(), placeholder="YYYY-MM-DD", id="s-day", compact=True)
                yield Label(_("Start"))
                yield Input("09:00", placeholder="HH:MM", id="s-start", compact=True)
                yield Label(_("End"))
                yield Input("12:00", placeholder="HH:MM", id="s-end", compact=True)
                yield Label(_("Task"))
                yield Select(
                    [(_(label), code) for code, label in SKILLS.items()],
                    prompt=_("(any volunteer)"),
                    id="s-role",
                    compact=True,
                )
                yield Label(_("Volunteers needed"))
                yield Input("1", type="integer", id="s-slots", compact=True)
                yield Label(_("Repeat weekly for"))
                yield Input("1", type="integer", id="s-weeks", tooltip=_("1 = this date only; 8 = the same day for 8 weeks"), compact=True)
            yield Checkbox(_("Children's programme: needs a background check"), id="s-check")
            yield Static("", classes="dialog-error")
            with ButtonRow(classes="dialog-buttons"):
                yield Button(_("Save"), variant="primary", id="save")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#s-start", Input).focus()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        role = self.query_one("#s-role", Select).value
        values = dict(
            location=self.query_one("#s-place", Select).value,
            starts=self.query_one("#s-start", Input).value,
            ends=self.query_one("#s-end", Input).value,
            role="" if role is Select.NULL else role,
            slots=int(self.query_one("#s-slots", Input).value or 0),
            needs_background_check=self.query_one("#s-check", Checkbox).value,
        )
        day = self.query_one("#s-day", Input).value
        weeks = int(self.query_one("#s-weeks", Input).value or 0)
        try:
            if weeks == 1:
                create_shift(self.ctx, day=day, **values)
                made, skipped = 1, []
            else:
                result = create_shift_series(self.ctx, first_day=day, weeks=weeks, **values)
                made, skipped = len(result.shifts), result.skipped
        except CountyLibError as exc:
            self.show_error(exc)
            return
        if skipped:
            self.app.notify(
                _("Closed days skipped: {days}").format(days=", ".join(f"{d.isoformat()} {r}" for d, r in skipped)),
                severity="warning",
            )
        self.dismiss(made)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)


# -- one shift: its people, assigning and the changes ------------------------------------------


class ShiftDetail(Dialog):
    """Who is on a shift (and who was), who could be, and what can be done about it."""

    BINDINGS = [ESCAPE]

    def __init__(self, ctx: ServiceContext, shift_id: str) -> None:
        super().__init__(ctx)
        self.shift_id = shift_id

    def compose(self) -> ComposeResult:
        with Vertical(id="shift-detail", classes="dialog wide"):
            yield Static("", id="detail-title", classes="dialog-title")
            yield Static("", id="detail-facts")
            yield Label(_("On this shift"), classes="section")
            yield DataTable(id="detail-people", cursor_type="row", zebra_stripes=True)
            with ButtonRow(classes="dialog-buttons"):
                yield Button(_("Swap…"), id="swap")
                yield Button(_("Take off…"), id="take-off")
                yield Button(_("No-show"), id="no-show")
                yield Button(_("Correct hours…"), id="correct")
                yield Button(_("Rate…"), id="rate")
            yield Label(_("Add a volunteer (Enter): suitable first; greyed ones cannot take this shift"), classes="section")
            yield DataTable(id="detail-candidates", cursor_type="row", zebra_stripes=True)
            yield Static("", classes="dialog-error")
            with ButtonRow(classes="dialog-buttons"):
                yield Button(_("Cancel shift…"), variant="error", id="cancel-shift")
                yield Button(_("Close"), variant="primary", id="close")

    def on_mount(self) -> None:
        people = self.query_one("#detail-people", DataTable)
        people.add_columns(_("Name"), _("Status"), _("In"), _("Out"), _("Hours"), _("Rating"), _("Note"))
        candidates = self.query_one("#detail-candidates", DataTable)
        candidates.add_column(_("Name"))
        candidates.add_column(_("Phone"))
        # A fixed width lets a long note wrap onto more lines of its row instead of running off the edge.
        candidates.add_column(_("Note"), width=NOTE_WIDTH)
        self.refresh_detail()
        candidates.focus()

    def refresh_detail(self) -> None:
        view = shift_view(self.ctx, self.shift_id)
        shift = get_shift(self.shift_id)
        self.query_one("#detail-title", Static).update(shift_label(shift))
        facts = [
            _("Task: {task}").format(task=_(SKILLS[view.role]) if view.role in SKILLS else (view.role or _("(any volunteer)"))),
            _("{filled} of {slots} places filled").format(filled=view.filled, slots=view.slots),
        ]
        if view.needs_background_check:
            facts.append(_("background check needed"))
        if view.cancelled:
            facts.append(_("CANCELLED: {reason}").format(reason=shift.cancel_reason))
        self.query_one("#detail-facts", Static).update(" · ".join(facts))
        people = self.query_one("#detail-people", DataTable)
        people.clear()
        local = self.ctx.clock.to_local
        for a in assignments_of(self.ctx, self.shift_id):
            people.add_row(
                Text(a.volunteer.name),
                _(ASSIGNMENT_STATUSES[a.status]),
                local(a.signed_in_at).strftime("%H:%M") if a.signed_in_at else "",
                local(a.signed_out_at).strftime("%H:%M") if a.signed_out_at else "",
                hours_text(a.minutes) if a.status == "attended" else "",
                "★" * a.rating if a.rating else "",
                Text(a.status_reason or a.correction_reason),
                key=a.id,
            )
        candidates = self.query_one("#detail-candidates", DataTable)
        candidates.clear()
        if view.cancelled:
            return
        for fit in candidates_for_shift(self.ctx, shift):
            note = join_sentences(c.message for c in fit.concerns)
            style = "dim" if fit.blocked else ""
            candidates.add_row(
                Text(fit.volunteer.name, style=style),
                Text(fit.volunteer.phone, style=style),
                Text(note, style=style or "yellow") if note else Text(_("suitable"), style="green"),
                key=fit.volunteer.id,
                height=None,
            )

    def _selected_assignment(self):
        people = self.query_one("#detail-people", DataTable)
        if people.row_count == 0:
            self.show_error(_("Nobody is on this shift yet."))
            return None
        key = people.coordinate_to_cell_key(people.cursor_coordinate).row_key.value
        return get_assignment(key)

    def _after(self, message: str) -> None:
        self.query_one(".dialog-error", Static).update("")
        self.app.notify(message)
        self.refresh_detail()

    @on(DataTable.RowSelected, "#detail-candidates")
    def pick_candidate(self, event: DataTable.RowSelected) -> None:
        volunteer = get_volunteer(self.ctx, event.row_key.value)
        fit = check_fit(get_shift(self.shift_id), volunteer)
        if fit.blocked:
            self.show_error(join_sentences(c.message for c in fit.concerns if c.blocking))
            return
        if fit.warnings:
            dialog = ConfirmDialog(
                _("This shift may not suit {name}").format(name=volunteer.name),
                _("Assign {name} anyway?").format(name=volunteer.name),
                _("Assign anyway"),
                details=[c.message for c in fit.warnings],
            )
            self.app.push_screen(dialog, lambda yes: self._assign(volunteer) if yes else None)
        else:
            self._assign(volunteer)

    def _assign(self, volunteer) -> None:
        try:
            assign_volunteer(self.ctx, self.shift_id, volunteer)
        except CountyLibError as exc:
            self.show_error(exc)
            return
        self._after(_("{name} is on the shift.").format(name=volunteer.name))

    @on(Button.Pressed, "#swap")
    def swap(self) -> None:
        a = self._selected_assignment()
        if a is None:
            return
        candidates = self.query_one("#detail-candidates", DataTable)
        if candidates.row_count == 0:
            return
        new_id = candidates.coordinate_to_cell_key(candidates.cursor_coordinate).row_key.value
        new = get_volunteer(self.ctx, new_id)

        def done(reason: str | None) -> None:
            if reason is None:
                return
            try:
                swap_assignment(self.ctx, a, new, reason)
            except CountyLibError as exc:
                self.show_error(exc)
                return
            self._after(_("{old} swapped with {new}.").format(old=a.volunteer.name, new=new.name))

        self.app.push_screen(
            ReasonPrompt(self.ctx, _("Swap {old} for {new} (the highlighted volunteer below). Why?").format(
                old=a.volunteer.name, new=new.name)),
            done,
        )

    @on(Button.Pressed, "#take-off")
    def take_off(self) -> None:
        a = self._selected_assignment()
        if a is None:
            return

        def done(reason: str | None) -> None:
            if reason is None:
                return
            try:
                cancel_assignment(self.ctx, a, reason)
            except CountyLibError as exc:
                self.show_error(exc)
                return
            self._after(_("{name} is off the shift.").format(name=a.volunteer.name))

        self.app.push_screen(ReasonPrompt(self.ctx, _("Take {name} off this shift. Why?").format(name=a.volunteer.name)), done)

    @on(Button.Pressed, "#no-show")
    def no_show(self) -> None:
        a = self._selected_assignment()
        if a is None:
            return
        try:
            mark_no_show(self.ctx, a)
        except CountyLibError as exc:
            self.show_error(exc)
            return
        self._after(_("{name} is recorded as not having come.").format(name=a.volunteer.name))

    @on(Button.Pressed, "#correct")
    def correct(self) -> None:
        a = self._selected_assignment()
        if a is not None:
            self.app.push_screen(HoursDialog(self.ctx, a.id), lambda saved: self.refresh_detail() if saved else None)

    @on(Button.Pressed, "#rate")
    def rate(self) -> None:
        a = self._selected_assignment()
        if a is not None:
            self.app.push_screen(RatingDialog(self.ctx, a.id), lambda saved: self.refresh_detail() if saved else None)

    @on(Button.Pressed, "#cancel-shift")
    def cancel_whole_shift(self) -> None:
        def done(reason: str | None) -> None:
            if reason is None:
                return
            try:
                cancel_shift(self.ctx, self.shift_id, reason)
            except CountyLibError as exc:
                self.show_error(exc)
                return
            self._after(_("The shift is cancelled."))

        self.app.push_screen(ReasonPrompt(self.ctx, _("Cancel this whole shift. Why?")), done)

    @on(Button.Pressed, "#close")
    def close(self) -> None:
        self.dismiss(None)


# -- small prompts -----------------------------------------------------------------------------


class ReasonPrompt(Dialog):
    """Asks why; dismisses with the reason, or None."""

    def __init__(self, ctx: ServiceContext, question: str) -> None:
        super().__init__(ctx)
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-title")
            yield Input(placeholder=_("Reason"), id="reason", compact=True)
            yield Static("", classes="dialog-error")
            with ButtonRow(classes="dialog-buttons"):
                yield Button(_("OK"), variant="primary", id="ok")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    @on(Button.Pressed, "#ok")
    def ok(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.show_error(_("Please give a reason."))
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)


class HoursDialog(Dialog):
    """A librarian corrects one shift's times (or minutes), with a reason."""

    BINDINGS = [ESCAPE, SAVE]

    def __init__(self, ctx: ServiceContext, assignment_id: str) -> None:
        super().__init__(ctx)
        self.assignment_id = assignment_id

    def compose(self) -> ComposeResult:
        a = get_assignment(self.assignment_id)
        local = self.ctx.clock.to_local
        with Vertical(classes="dialog"):
            yield Static(
                _("Correct the hours of {name}, {shift}").format(name=a.volunteer.name, shift=shift_label(a.shift)),
                classes="dialog-title",
            )
            with Grid(classes="form-grid"):
                yield Label(_("Signed in"))
                yield Input(local(a.signed_in_at).strftime("%H:%M") if a.signed_in_at else hhmm(a.shift.starts), id="h-in", compact=True)
                yield Label(_("Signed out"))
                yield Input(local(a.signed_out_at).strftime("%H:%M") if a.signed_out_at else hhmm(a.shift.ends), id="h-out", compact=True)
                yield Label(_("Or minutes"))
                yield Input("", type="integer", placeholder=_("(from the times)"), id="h-minutes", compact=True)
                yield Label(_("Reason"))
                yield Input("", id="h-reason", compact=True)
            yield Static("", classes="dialog-error")
            with ButtonRow(classes="dialog-buttons"):
                yield Button(_("Save"), variant="primary", id="save")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#h-reason", Input).focus()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        minutes = self.query_one("#h-minutes", Input).value.strip()
        try:
            correct_hours(
                self.ctx,
                self.assignment_id,
                reason=self.query_one("#h-reason", Input).value,
                signed_in=None if minutes else self.query_one("#h-in", Input).value,
                signed_out=None if minutes else self.query_one("#h-out", Input).value,
                minutes=int(minutes) if minutes else None,
            )
        except CountyLibError as exc:
            self.show_error(exc)
            return
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)


class RatingDialog(Dialog):
    BINDINGS = [ESCAPE, SAVE]

    def __init__(self, ctx: ServiceContext, assignment_id: str) -> None:
        super().__init__(ctx)
        self.assignment_id = assignment_id

    def compose(self) -> ComposeResult:
        a = get_assignment(self.assignment_id)
        with Vertical(classes="dialog"):
            yield Static(_("How did the shift go? {name}").format(name=a.volunteer.name), classes="dialog-title")
            with Grid(classes="form-grid"):
                yield Label(_("Rating"))
                yield Select([("★" * n, n) for n in range(5, 0, -1)], value=a.rating or 5, allow_blank=False, id="r-rating", compact=True)
                yield Label(_("Remark"))
                yield Input(a.comment, id="r-comment", compact=True)
            yield Static("", classes="dialog-error")
            with ButtonRow(classes="dialog-buttons"):
                yield Button(_("Save"), variant="primary", id="save")
                yield Button(_("Cancel"), id="cancel")

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        try:
            rate_assignment(
                self.ctx, self.assignment_id, self.query_one("#r-rating", Select).value, self.query_one("#r-comment", Input).value
            )
        except CountyLibError as exc:
            self.show_error(exc)
            return
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)


class ReviewForm(Dialog):
    """The periodic evaluation (小评 + 总结), with the period's record alongside."""

    BINDINGS = [ESCAPE, SAVE]

    def __init__(self, ctx: ServiceContext, volunteer_id: str, start: dt.date, end: dt.date) -> None:
        super().__init__(ctx)
        self.volunteer_id, self.start, self.end = volunteer_id, start, end

    def compose(self) -> ComposeResult:
        v = get_volunteer(self.ctx, self.volunteer_id)
        facts = period_facts(self.ctx, v, self.start, self.end)
        reliability = f"{facts.reliability:.0%}" if facts.reliability is not None else "—"
        rating = f"{facts.average_rating:.1f}" if facts.average_rating is not None else "—"
        with Vertical(classes="dialog wide"):
            yield Static(_("Review of {name}").format(name=v.name), classes="dialog-title")
            yield Static(
                _("{start} – {end}: {attended} shifts attended, {no_shows} missed, {hours} hours, "
                  "reliability {reliability}, average rating {rating}").format(
                    start=format_date(self.start), end=format_date(self.end), attended=facts.attended,
                    no_shows=facts.no_shows, hours=hours_text(facts.minutes), reliability=reliability, rating=rating,
                ),
                id="review-facts",
            )
            if facts.comments:
                yield Static(_("Remarks after shifts: {remarks}").format(remarks=" / ".join(facts.comments)), id="review-remarks")
            with Grid(classes="form-grid"):
                yield Label(_("First day"))
                yield Input(self.start.isoformat(), id="v-start", compact=True)
                yield Label(_("Last day"))
                yield Input(self.end.isoformat(), id="v-end", compact=True)
                yield Label(_("Short remark (小评)"))
                yield Input("", id="v-brief", compact=True)
                yield Label(_("Summary (总结)"))
                yield Input("", id="v-summary", compact=True)
            yield Static("", classes="dialog-error")
            with ButtonRow(classes="dialog-buttons"):
                yield Button(_("Save"), variant="primary", id="save")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#v-brief", Input).focus()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        try:
            write_review(
                self.ctx,
                self.volunteer_id,
                period_start=self.query_one("#v-start", Input).value,
                period_end=self.query_one("#v-end", Input).value,
                brief=self.query_one("#v-brief", Input).value,
                summary=self.query_one("#v-summary", Input).value,
            )
        except CountyLibError as exc:
            self.show_error(exc)
            return
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)
