"""The Events & Attendance area: activities, visitor counts, places, the van schedule and
deposit collections, one tab each. An activity opens on its own screen (registrations),
from which the door check-in mode starts."""

from __future__ import annotations

import datetime as dt

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Select, Static, TabbedContent, TabPane, TextArea

from countylib import activities as act
from countylib.context import ServiceContext
from countylib.dates import parse_date
from countylib.errors import CountyLibError
from countylib.i18n import N_, _, format_date
from countylib.locations import list_locations
from screens.base import AreaScreen
from screens.events_common import PromptDialog, fill_table, parse_moment, parse_number, parse_time
from screens.i18n import translate_bindings
from screens.places import DepositsPane, PlacesPane, VanSchedulePane
from screens.visits import VisitsPane

ALL = "*"
WHEN = (("upcoming", N_("Upcoming")), ("past", N_("Past")), ("all", N_("All dates")))


def status_text(status: str) -> str:
    return _(act.STATUS_NAMES.get(status, status))


class ActivitiesScreen(AreaScreen):
    CSS_PATH = "activities.tcss"
    BINDINGS = [
        Binding("ctrl+n", "new_activity", N_("New activity"), id="activities.new"),
        Binding("ctrl+g", "door", N_("Door check-in"), id="activities.door"),
    ]

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(ctx)
        self.active_tab = "activities"
        self._row_ids: list[str] = []

    def compose_body(self) -> ComposeResult:
        with TabbedContent(initial=self.active_tab, id="events-tabs"):
            with TabPane(_("Activities"), id="activities"):
                with Horizontal(id="activity-filters"):
                    yield Select([(_(label), key) for key, label in WHEN], value="upcoming", allow_blank=False, id="activity-when")
                    yield Select([(_("All types"), ALL), *[(name, code) for code, name in act.activity_types()]], value=ALL, allow_blank=False, id="activity-kind")
                    yield Input(placeholder=_("Search title or organiser"), id="activity-search")
                    yield Button(_("New activity"), id="activity-new", variant="primary")
                    yield Button(_("New type…"), id="activity-new-type")
                yield DataTable(id="activity-table", cursor_type="row", zebra_stripes=True)
                yield Static(_("Enter: open the activity (registrations, check-in, printouts)."), classes="hint")
            with TabPane(_("Visitor counts"), id="visits"):
                yield VisitsPane(self.ctx)
            with TabPane(_("Reading points & van"), id="places"):
                yield PlacesPane(self.ctx)
            with TabPane(_("Van schedule"), id="van"):
                yield VanSchedulePane(self.ctx)
            with TabPane(_("Deposit collections"), id="deposits"):
                yield DepositsPane(self.ctx)

    def on_mount(self) -> None:
        self.load_activities()
        self.query_one("#activity-table", DataTable).focus()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.load_activities()

    @on(TabbedContent.TabActivated, "#events-tabs")
    def remember_tab(self, event: TabbedContent.TabActivated) -> None:
        self.active_tab = event.pane.id or "activities"
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new_activity", "door"):
            return self.active_tab == "activities"
        return True

    @on(Select.Changed, "#activity-when")
    @on(Select.Changed, "#activity-kind")
    @on(Input.Changed, "#activity-search")
    def load_activities(self) -> None:
        table = self.query_one("#activity-table", DataTable)
        when = self.query_one("#activity-when", Select).value
        kind = self.query_one("#activity-kind", Select).value
        today = self.ctx.clock.today()
        rows = act.list_activities(
            self.ctx,
            start=today if when == "upcoming" else None,
            end=today - dt.timedelta(days=1) if when == "past" else None,
            kind=None if kind == ALL else str(kind),
            text=self.query_one("#activity-search", Input).value,
        )
        if when == "past":
            rows.reverse()
        fill_table(
            table,
            [_("Date"), _("Time"), _("Activity"), _("Type"), _("Venue"), _("Places"), _("Waitlist"), _("Came"), _("Status")],
            [
                (
                    format_date(r.starts_at.date()),
                    f"{r.starts_at:%H:%M}–{r.ends_at:%H:%M}",
                    r.title + (" ↻" if r.series_id else ""),
                    act.type_name(r.kind),
                    r.place,
                    f"{r.registered}/{r.capacity}" if r.capacity else str(r.registered),
                    str(r.waitlisted or ""),
                    str(r.attended or ""),
                    status_text(r.status),
                )
                for r in rows
            ],
        )
        self._row_ids = [r.id for r in rows]

    def selected_activity(self) -> str | None:
        table = self.query_one("#activity-table", DataTable)
        if not self._row_ids or table.cursor_row < 0 or table.cursor_row >= len(self._row_ids):
            return None
        return self._row_ids[table.cursor_row]

    @on(DataTable.RowSelected, "#activity-table")
    def open_activity(self) -> None:
        from screens.activity import ActivityScreen

        event_id = self.selected_activity()
        if event_id:
            self.app.push_screen(ActivityScreen(self.ctx, event_id))

    @on(Button.Pressed, "#activity-new")
    def action_new_activity(self) -> None:
        self.app.push_screen(ActivityFormScreen(self.ctx), lambda saved: self.load_activities() if saved else None)

    @on(Button.Pressed, "#activity-new-type")
    def new_type(self) -> None:
        def answered(result: tuple[str, bool] | None) -> None:
            if result is None:
                return
            try:
                name = act.add_activity_type(self.ctx, result[0])
            except CountyLibError as exc:
                self.notify(exc.message, severity="error")
                return
            kinds = self.query_one("#activity-kind", Select)
            kinds.set_options([(_("All types"), ALL), *[(label, code) for code, label in act.activity_types()]])
            kinds.value = ALL
            self.notify(_("{name} is now an activity type.").format(name=name))

        current = "、".join(label for _code, label in act.activity_types())
        self.app.push_screen(
            PromptDialog(_("Activity types now: {types}").format(types=current), _("Name of the new type"), _("Add type")), answered
        )

    def action_door(self) -> None:
        from screens.door import DoorScreen

        event_id = self.selected_activity()
        if event_id is None:
            self.notify(_("Choose an activity first."), severity="warning")
            return
        self.app.push_screen(DoorScreen(self.ctx, event_id))


REPEATS = ((0, N_("Does not repeat")), (1, N_("Every day")), (7, N_("Every week")), (14, N_("Every two weeks")))


class ActivityFormScreen(ModalScreen[bool]):
    """Plan a new activity (or a series), or change one. Saving calls the service; a refusal
    is shown here and the form stays open."""

    CSS_PATH = "activities.tcss"
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="activity-form.cancel"),
        Binding("ctrl+s", "save", N_("Save"), id="activity-form.save"),
    ]

    def __init__(self, ctx: ServiceContext, event_id: str | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.event_id = event_id
        self.event = act.get_activity(event_id) if event_id else None
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        d = act.draft_of(self.ctx, self.event) if self.event else None
        start = d.starts_at if d else dt.datetime.combine(self.ctx.clock.today() + dt.timedelta(days=7), dt.time(14, 30))
        end = d.ends_at if d else start + dt.timedelta(hours=1, minutes=30)
        types = act.activity_types()
        if d and d.kind not in dict(types):
            types.append((d.kind, act.type_name(d.kind)))
        places = [(f"{loc.name} ({loc.code})", loc.code) for loc in list_locations() if loc.kind in ("branch", "reading_point")]

        def moment(value: dt.datetime | None) -> str:
            return f"{value:%Y-%m-%d %H:%M}" if value else ""

        with VerticalScroll(classes="dialog wide", id="activity-form"):
            yield Static(_("Change the activity") if self.event else _("New activity"), classes="question")
            with Grid(classes="form"):
                yield Label(_("Activity title"))
                yield Input(d.title if d else "", id="f-title")
                yield Label(_("Type"))
                yield Select([(name, code) for code, name in types], value=d.kind if d else types[0][0], allow_blank=False, id="f-kind")
                yield Label(_("Venue"))
                yield Select(places, value=d.location_code if d else self.ctx.branch.code, allow_blank=False, id="f-place")
                yield Label(_("Room"))
                yield Input(d.room if d else "", placeholder=_("e.g. lecture hall, children's room"), id="f-room")
                yield Label(_("Date"))
                yield Input(start.date().isoformat(), id="f-date")
                yield Label(_("From – to"))
                with Horizontal(classes="pair"):
                    yield Input(f"{start:%H:%M}", id="f-start")
                    yield Input(f"{end:%H:%M}", id="f-end")
                yield Label(_("Last day (if several days)"))
                yield Input(end.date().isoformat() if end.date() != start.date() else "", placeholder=_("blank: the same day"), id="f-end-date")
                yield Label(_("Places (0: no limit)"))
                yield Input(str(d.capacity) if d else "0", id="f-capacity")
                yield Label(_("Ages from – to"))
                with Horizontal(classes="pair"):
                    yield Input("" if not d or d.min_age is None else str(d.min_age), placeholder=_("any"), id="f-min-age")
                    yield Input("" if not d or d.max_age is None else str(d.max_age), placeholder=_("any"), id="f-max-age")
                yield Label("")
                yield Checkbox(_("Children under 14 come with a guardian"), d.guardian_required if d else False, id="f-guardian")
                yield Label(_("Registration opens"))
                yield Input(moment(d.registration_opens) if d else "", placeholder=_("blank: at once"), id="f-opens")
                yield Label(_("Registration closes"))
                yield Input(moment(d.registration_closes) if d else "", placeholder=_("blank: when it starts"), id="f-closes")
                yield Label(_("Organiser"))
                yield Input(d.organiser if d else "", id="f-organiser")
                if self.event is None:
                    yield Label(_("Repeat"))
                    with Horizontal(classes="pair"):
                        yield Select([(_(label), days) for days, label in REPEATS], value=0, allow_blank=False, id="f-repeat")
                        yield Input("4", placeholder=_("times"), id="f-times")
                elif self.event.series_id:
                    yield Label("")
                    yield Checkbox(_("Also change the later activities of this series"), id="f-series")
            yield Label(_("Description"))
            yield TextArea(d.description if d else "", id="f-description")
            yield Static("", id="form-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button(_("Save"), id="save", variant="primary")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#f-title", Input).focus()

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def read_draft(self) -> act.ActivityDraft:
        day = parse_date(self._value("#f-date"), required=True)
        end_day = parse_date(self._value("#f-end-date")) or day
        return act.ActivityDraft(
            title=self._value("#f-title"),
            kind=str(self.query_one("#f-kind", Select).value),
            location_code=str(self.query_one("#f-place", Select).value),
            starts_at=dt.datetime.combine(day, parse_time(self._value("#f-start"))),
            ends_at=dt.datetime.combine(end_day, parse_time(self._value("#f-end"))),
            room=self._value("#f-room"),
            capacity=parse_number(self._value("#f-capacity") or "0"),
            min_age=parse_number(self._value("#f-min-age"), optional=True),
            max_age=parse_number(self._value("#f-max-age"), optional=True),
            guardian_required=self.query_one("#f-guardian", Checkbox).value,
            registration_opens=parse_moment(self._value("#f-opens")),
            registration_closes=parse_moment(self._value("#f-closes")),
            organiser=self._value("#f-organiser"),
            description=self.query_one("#f-description", TextArea).text,
        )

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        try:
            draft = self.read_draft()
            if self.event is None:
                every = int(self.query_one("#f-repeat", Select).value)
                repeat = None
                if every:
                    times = parse_number(self._value("#f-times"))
                    repeat = act.Repeat(every, times)
                planned = act.plan_activity(self.ctx, draft, repeat)
                self.app.notify(
                    _("{title}: {count} activities planned.").format(title=draft.title.strip(), count=len(planned))
                    if len(planned) > 1
                    else _("{title} is on the programme.").format(title=draft.title.strip())
                )
            else:
                series = self.event.series_id is not None and self.query_one("#f-series", Checkbox).value
                act.update_activity(self.ctx, self.event.id, draft, whole_series=series)
                self.app.notify(_("Saved."))
        except CountyLibError as exc:
            self.query_one("#form-error", Static).update(exc.message)
            self.app.bell()
            return
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
