"""One activity: its details, registration by card or for someone without a card, the list of
registrations (cancel, no-show), printouts, finishing it with a summary and archive note."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static, TextArea
from textual.worker import Worker, WorkerState

from countylib import activities as act
from countylib.context import ServiceContext
from countylib.errors import CountyLibError
from countylib.i18n import N_, _
from printing.attendance import render_attendance_sheet, render_sign_in_sheet
from screens.base import AreaScreen
from screens.confirm import ConfirmDialog
from screens.events_common import PromptDialog, export_path, fill_table, parse_number
from screens.i18n import translate_bindings


def registration_status(status: str) -> str:
    return _(act.REGISTRATION_STATUS_NAMES.get(status, status))


def details_text(ctx: ServiceContext, event) -> str:
    parts = [act.type_name(event.kind), act.when_text(ctx, event), act.place_text(event)]
    if event.organiser:
        parts.append(_("organised by {who}").format(who=event.organiser))
    rules = []
    if event.min_age is not None or event.max_age is not None:
        rules.append(_("for ages {range}").format(range=act.age_range_text(event.min_age, event.max_age)))
    if event.guardian_required:
        rules.append(_("children under 14 come with a guardian"))
    if event.registration_opens:
        rules.append(_("registration opens {when}").format(when=act.moment_text(ctx, event.registration_opens)))
    rules.append(_("registration closes {when}").format(when=act.moment_text(ctx, event.registration_closes or event.starts_at)))
    return " · ".join(parts) + "\n" + " · ".join(rules)


class ActivityScreen(AreaScreen):
    CSS_PATH = "activities.tcss"
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="activity.back"),
        Binding("ctrl+g", "door", N_("Door check-in"), id="activity.door"),
        Binding("ctrl+s", "sign_in_sheet", N_("Sign-in sheet"), id="activity.sign_in_sheet"),
        Binding("ctrl+j", "register_card", N_("Register"), id="activity.register", show=False),
    ]

    def __init__(self, ctx: ServiceContext, event_id: str) -> None:
        super().__init__(ctx)
        self.event_id = event_id
        self._rows: list[act.RegistrationRow] = []

    def compose_body(self) -> ComposeResult:
        event = act.get_activity(self.event_id)
        with Vertical(id="activity"):
            yield Static("", id="a-title", classes="title")
            yield Static("", id="a-details")
            yield Static("", id="a-figures", classes="figures")
            with Horizontal(classes="entry"):
                yield Label(_("Card"), classes="entry-label")
                yield Input(placeholder=_("scan or type a card number"), id="reg-card")
                yield Button(_("Register card"), id="reg-card-add", variant="primary")
            with Horizontal(classes="entry"):
                yield Label(_("No card"), classes="entry-label")
                yield Input(placeholder=_("name"), id="reg-name")
                yield Input(placeholder=_("phone"), id="reg-phone")
                yield Button(_("Register"), id="reg-walk-in-add")
            with Horizontal(classes="entry"):
                yield Label(_("Child"), classes="entry-label")
                yield Input(placeholder=_("age"), id="reg-age", classes="short")
                yield Input(placeholder=_("guardian who comes along"), id="reg-guardian")
            yield Static("", id="a-message", classes="message")
            yield DataTable(id="reg-table", cursor_type="row", zebra_stripes=True)
            with Grid(id="activity-actions"):
                yield Button(_("Door check-in"), id="do-door", variant="success")
                yield Button(_("Cancel registration"), id="do-cancel-reg")
                yield Button(_("Mark no-show"), id="do-no-show")
                yield Button(_("Edit activity"), id="do-edit")
                yield Button(_("Sign-in sheet (PDF)"), id="do-sheet")
                yield Button(_("Attendance list (PDF, CSV)"), id="do-attendance")
                yield Button(_("Finish…") if event.status == "planned" else _("Summary…"), id="do-finish")
                yield Button(_("Cancel activity…"), id="do-cancel-event", variant="error")

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#reg-card", Input).focus()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.reload()

    def reload(self) -> None:
        event = act.get_activity(self.event_id)
        self.event = event
        status = "" if event.status == "planned" else "  [" + _(act.STATUS_NAMES[event.status]) + "]"
        self.query_one("#a-title", Static).update(event.title + status)
        self.query_one("#a-details", Static).update(details_text(self.ctx, event))
        self._rows = act.registrations(self.ctx, self.event_id)
        if event.status == "finished":
            figures = " · ".join(f"{label} {value}" for label, value in act.outcome_figures(act.outcome(event.id)))
        else:
            taken = sum(1 for r in self._rows if r.status in act.SEAT_HOLDING)
            waiting = sum(1 for r in self._rows if r.status == "waitlisted")
            came = sum(1 for r in self._rows if r.status == "attended")
            places = f"{taken}/{event.capacity}" if event.capacity else str(taken)
            figures = _("Places taken {places} · waitlist {waiting} · checked in {came}").format(places=places, waiting=waiting, came=came)
        self.query_one("#a-figures", Static).update(figures)
        table = self.query_one("#reg-table", DataTable)
        fill_table(
            table,
            [_("No."), _("Name"), _("Card"), _("Phone"), _("Age"), _("Guardian"), _("Status"), _("Checked in")],
            [
                (
                    str(n),
                    r.name,
                    r.card_number,
                    r.phone,
                    "" if r.age is None else str(r.age),
                    r.guardian,
                    registration_status(r.status) + (" " + _("(at the door)") if r.at_door else ""),
                    (f"{r.checked_in_at:%H:%M}" + (" " + _("late") if r.late else "")) if r.checked_in_at else "",
                )
                for n, r in enumerate(self._rows, start=1)
            ],
        )

    def say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#a-message", Static)
        message.update(text)
        message.set_class(error, "error")
        message.set_class(not error, "ok")
        if error:
            self.app.bell()

    def selected(self) -> act.RegistrationRow | None:
        table = self.query_one("#reg-table", DataTable)
        if not self._rows or not 0 <= table.cursor_row < len(self._rows):
            self.say(_("Choose a registration in the list first."), error=True)
            return None
        return self._rows[table.cursor_row]

    # -- registering ---------------------------------------------------------------------------

    def _child_fields(self) -> tuple[int | None, str]:
        return parse_number(self.query_one("#reg-age", Input).value, optional=True), self.query_one("#reg-guardian", Input).value

    def _registered(self, reg) -> None:
        name = reg.patron.name if reg.patron_id else reg.walk_in_name
        if reg.status == "waitlisted":
            self.say(_("{name} is on the waitlist: the activity is full.").format(name=name))
        else:
            self.say(_("{name} is registered.").format(name=name))
        for selector in ("#reg-age", "#reg-guardian"):
            self.query_one(selector, Input).value = ""
        self.reload()

    @on(Input.Submitted, "#reg-card")
    @on(Button.Pressed, "#reg-card-add")
    def action_register_card(self) -> None:
        card = self.query_one("#reg-card", Input)
        try:
            age, guardian = self._child_fields()
            reg = act.register_patron(self.ctx, self.event_id, card.value, age=age, guardian_name=guardian)
        except CountyLibError as exc:
            self.say(exc.message, error=True)
            return
        card.value = ""
        card.focus()
        self._registered(reg)

    @on(Input.Submitted, "#reg-name")
    @on(Input.Submitted, "#reg-phone")
    @on(Button.Pressed, "#reg-walk-in-add")
    def register_walk_in(self) -> None:
        name, phone = self.query_one("#reg-name", Input), self.query_one("#reg-phone", Input)
        try:
            age, guardian = self._child_fields()
            reg = act.register_walk_in(self.ctx, self.event_id, name.value, phone.value, age=age, guardian_name=guardian)
        except CountyLibError as exc:
            self.say(exc.message, error=True)
            return
        name.value = phone.value = ""
        self._registered(reg)

    # -- the list --------------------------------------------------------------------------------

    @on(Button.Pressed, "#do-cancel-reg")
    def cancel_registration(self) -> None:
        row = self.selected()
        if row is None:
            return

        def confirmed(yes: bool) -> None:
            if not yes:
                return
            try:
                promoted = act.cancel_registration(self.ctx, row.id)
            except CountyLibError as exc:
                self.say(exc.message, error=True)
                return
            text = _("{name}'s registration is cancelled.").format(name=row.name)
            for reg in promoted:
                who = reg.patron.name if reg.patron_id else reg.walk_in_name
                phone = reg.patron.phone if reg.patron_id else reg.walk_in_phone
                text += " " + _("{name} moves up from the waitlist; tell them ({phone}).").format(name=who, phone=phone or "—")
            self.say(text)
            self.reload()

        question = _("Cancel {name}'s registration?").format(name=row.name)
        # "Cancel" beside "Cancel registration" would read as the same thing.
        self.app.push_screen(
            ConfirmDialog(_("Cancel a registration"), question, _("Cancel registration"), cancel=_("Back")), confirmed
        )

    @on(Button.Pressed, "#do-no-show")
    def mark_no_show(self) -> None:
        row = self.selected()
        if row is None:
            return
        try:
            act.mark_no_show(self.ctx, row.id)
        except CountyLibError as exc:
            self.say(exc.message, error=True)
            return
        self.say(_("{name} did not come.").format(name=row.name))
        self.reload()

    # -- elsewhere -------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(Button.Pressed, "#do-door")
    def action_door(self) -> None:
        from screens.door import DoorScreen

        self.app.push_screen(DoorScreen(self.ctx, self.event_id))

    @on(Button.Pressed, "#do-edit")
    def edit(self) -> None:
        from screens.activities import ActivityFormScreen

        if self.event.status != "planned":
            self.say(_("Only a planned activity can be changed."), error=True)
            return
        self.app.push_screen(ActivityFormScreen(self.ctx, self.event_id), lambda saved: self.reload() if saved else None)

    @on(Button.Pressed, "#do-finish")
    def finish(self) -> None:
        if self.event.status == "cancelled":
            self.say(_("{title} was cancelled.").format(title=self.event.title), error=True)
            return
        self.app.push_screen(FinishDialog(self.ctx, self.event_id), lambda done: self.refresh_after_finish() if done else None)

    async def refresh_after_finish(self) -> None:
        await self.recompose()
        self.reload()

    @on(Button.Pressed, "#do-cancel-event")
    def cancel_event(self) -> None:
        series = _("Also cancel the later activities of this series") if self.event.series_id else None

        def answered(result: tuple[str, bool] | None) -> None:
            if result is None:
                return
            reason, whole_series = result
            try:
                cancelled = act.cancel_activity(self.ctx, self.event_id, reason, whole_series=whole_series)
            except CountyLibError as exc:
                self.say(exc.message, error=True)
                return
            people = sum(1 for r in self._rows if r.status in ("registered", "waitlisted"))
            self.say(
                _("{count} activities cancelled; {people} people registered need to be told.").format(
                    count=len(cancelled), people=people
                )
            )
            self.reload()

        self.app.push_screen(
            PromptDialog(
                _("Cancel {title}?").format(title=self.event.title), _("Reason (for the record)"), _("Cancel activity"), option=series
            ),
            answered,
        )

    # -- printouts (rendered in a worker: reportlab takes a moment) -------------------------------

    @on(Button.Pressed, "#do-sheet")
    def action_sign_in_sheet(self) -> None:
        sheet = act.sign_in_sheet(self.ctx, self.event_id)
        path = export_path(_("Sign-in sheet") + f"-{self.event.title}-{act.local_time(self.ctx, self.event.starts_at):%Y%m%d}", ".pdf")
        self.render_file(lambda: render_sign_in_sheet(sheet, path), [path])

    @on(Button.Pressed, "#do-attendance")
    def attendance_list(self) -> None:
        sheet = act.attendance_sheet(self.ctx, self.event_id)
        stem = _("Attendance list") + f"-{self.event.title}-{act.local_time(self.ctx, self.event.starts_at):%Y%m%d}"
        pdf, csv_path = export_path(stem, ".pdf"), export_path(stem, ".csv")
        act.export_attendance_csv(self.ctx, self.event_id, csv_path)
        self.render_file(lambda: render_attendance_sheet(sheet, pdf), [pdf, csv_path])

    @work(thread=True, exclusive=True, group="print", exit_on_error=False)
    def render_file(self, render, paths: list[Path]) -> list[Path]:
        render()
        return paths

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "print":
            return
        if event.state == WorkerState.SUCCESS:
            files = "\n".join(str(p) for p in event.worker.result)
            self.say(_("Saved:") + "\n" + files)
        elif event.state == WorkerState.ERROR:
            self.say(_("The printout could not be made: {reason}").format(reason=event.worker.error), error=True)


class FinishDialog(ModalScreen[bool]):
    """Close an activity (no-shows are marked) with its summary and archive note, or correct them later."""

    CSS_PATH = "activities.tcss"
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="finish.cancel")]

    def __init__(self, ctx: ServiceContext, event_id: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.event = act.get_activity(event_id)
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        finishing = self.event.status == "planned"
        with Vertical(classes="dialog wide"):
            yield Static(
                _("Finish {title}: everyone registered who has not checked in becomes a no-show.").format(title=self.event.title)
                if finishing
                else _("Summary and archive note of {title}").format(title=self.event.title),
                classes="question",
            )
            yield Label(_("Summary (how it went, remarks)"))
            yield TextArea(self.event.summary, id="finish-summary")
            yield Label(_("Archive note (where photos, sign-in sheets and the file are kept)"))
            yield Input(self.event.archive_note, id="finish-archive")
            yield Static("", id="finish-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button(_("Finish activity") if finishing else _("Save"), id="finish-ok", variant="primary")
                yield Button(_("Cancel"), id="finish-cancel")

    @on(Button.Pressed, "#finish-ok")
    def save(self) -> None:
        summary = self.query_one("#finish-summary", TextArea).text
        archive = self.query_one("#finish-archive", Input).value
        try:
            if self.event.status == "planned":
                act.finish_activity(self.ctx, self.event.id, summary, archive)
            else:
                act.write_summary(self.ctx, self.event.id, summary, archive)
        except CountyLibError as exc:
            self.query_one("#finish-error", Static).update(exc.message)
            self.app.bell()
            return
        self.dismiss(True)

    @on(Button.Pressed, "#finish-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
