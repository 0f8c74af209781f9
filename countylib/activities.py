"""Reading-promotion activities (阅读推广活动): planning, registration (报名), check-in at the door,
and what is left afterwards (活动结束，留存资料，立卷归档).

Times staff type are local wall-clock times; they are stored as naive UTC like every other
instant. A seat is held by a registration that is ``registered`` or ``attended``; when the
activity is full, new registrations go on the waitlist (or are refused, as the library chose)
and the first on the waitlist moves up when someone cancels.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from peewee import JOIN, fn

from countylib.context import ServiceContext, service
from countylib.errors import NotFound, RuleViolation, ValidationError
from countylib.i18n import N_, _, format_date
from countylib.locations import location_by_code
from countylib.roles import LIBRARIAN, VOLUNTEER
from countylib.settings import SettingSpec, change_setting, get_setting, register_settings
from models import Attendance, Event, Location, Patron, Registration
from models.ids import new_id
from printing.attendance import ActivityHeader, AttendanceRow, AttendanceSheet, SignInRow, SignInSheet

DEFAULT_TYPES = ["lecture", "children", "exhibition", "training", "reading_club", "other"]
TYPE_NAMES = {
    "lecture": N_("Lecture"),
    "children": N_("Children's activity"),
    "exhibition": N_("Exhibition"),
    "training": N_("Training"),
    "reading_club": N_("Reading club"),
    "other": N_("Other"),
}
STATUS_NAMES = {"planned": N_("planned"), "cancelled": N_("cancelled"), "finished": N_("finished")}
REGISTRATION_STATUS_NAMES = {
    "registered": N_("registered"),
    "waitlisted": N_("waitlisted"),
    "cancelled": N_("cancelled"),
    "no_show": N_("no-show"),
    "attended": N_("attended"),
}
SEAT_HOLDING = ("registered", "attended")
ACTIVE = ("registered", "waitlisted", "attended")
MAX_OCCURRENCES = 52

register_settings(
    SettingSpec("activity_types", list(DEFAULT_TYPES), N_("Activity types"), LIBRARIAN),
    SettingSpec(
        "activity_when_full",
        "waitlist",
        N_("When an activity is full, new registrations go to"),
        LIBRARIAN,
        ("waitlist", "refuse"),
        labels={"waitlist": N_("the waitlist"), "refuse": N_("nowhere: they are refused")},
    ),
    SettingSpec("activity_late_minutes", 10, N_("Minutes after the start when a check-in counts as late"), LIBRARIAN),
    SettingSpec("activity_guardian_age", 14, N_("Age under which a child comes with a guardian, when the activity asks"), LIBRARIAN),
)


# -- activity types (kept as data) ----------------------------------------------------------------


def type_name(code: str) -> str:
    """A type as staff read it: the built-in ones translated, added ones as typed."""
    return _(TYPE_NAMES[code]) if code in TYPE_NAMES else code


def activity_types() -> list[tuple[str, str]]:
    """(code, name) of the types offered for new activities."""
    return [(code, type_name(code)) for code in get_setting("activity_types")]


def add_activity_type(ctx: ServiceContext, name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationError("Type the name of the new activity type.")
    if len(name) > 24:
        raise ValidationError("An activity type's name is at most 24 characters.")
    current = list(get_setting("activity_types"))
    if name in current or name in {type_name(c) for c in current}:
        raise RuleViolation("There is already an activity type called {name}.", name=name)
    change_setting(ctx, "activity_types", current + [name])
    return name


def remove_activity_type(ctx: ServiceContext, code: str) -> None:
    """Stop offering a type; activities already of that type keep it."""
    current = list(get_setting("activity_types"))
    if code not in current:
        raise NotFound("There is no activity type called {name}.", name=code)
    if len(current) == 1:
        raise RuleViolation("Keep at least one activity type.")
    change_setting(ctx, "activity_types", [c for c in current if c != code])


# -- planning -------------------------------------------------------------------------------------


@dataclass
class ActivityDraft:
    """An activity as staff fill it in. Times are local wall-clock times (naive)."""

    title: str
    kind: str
    location_code: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: str = ""
    capacity: int = 0  # 0: no limit
    min_age: int | None = None
    max_age: int | None = None
    guardian_required: bool = False
    registration_opens: dt.datetime | None = None
    registration_closes: dt.datetime | None = None
    organiser: str = ""
    description: str = ""


@dataclass(frozen=True)
class Repeat:
    """A series: the same activity every ``every_days`` days, ``times`` times in all."""

    every_days: int
    times: int


def _to_utc(ctx: ServiceContext, local: dt.datetime | None) -> dt.datetime | None:
    if local is None:
        return None
    return local.replace(tzinfo=ctx.clock.timezone).astimezone(dt.UTC).replace(tzinfo=None)


def local_time(ctx: ServiceContext, stored: dt.datetime | None) -> dt.datetime | None:
    """A stored (naive UTC) time as the library's wall clock shows it (naive)."""
    return None if stored is None else ctx.clock.to_local(stored).replace(tzinfo=None)


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def _check_draft(draft: ActivityDraft, *, keep_kind: str | None = None) -> tuple[ActivityDraft, Location]:
    title = draft.title.strip()
    if not title:
        raise ValidationError("The activity needs a title.")
    if draft.kind not in get_setting("activity_types") and draft.kind != keep_kind:
        raise ValidationError("{kind} is not one of the activity types.", kind=draft.kind)
    location = location_by_code(draft.location_code)
    if not location.active:
        raise RuleViolation("{name} is closed; choose another place.", name=location.name)
    if draft.ends_at <= draft.starts_at:
        raise ValidationError("The activity must end after it starts.")
    if draft.capacity < 0:
        raise ValidationError("The number of places cannot be negative (0 means no limit).")
    for age in (draft.min_age, draft.max_age):
        if age is not None and not 0 <= age <= 120:
            raise ValidationError("An age limit is between 0 and 120.")
    if draft.min_age is not None and draft.max_age is not None and draft.min_age > draft.max_age:
        raise ValidationError("The lowest age is above the highest age.")
    opens, closes = draft.registration_opens, draft.registration_closes
    if opens is not None and opens >= draft.starts_at:
        raise ValidationError("Registration must open before the activity starts.")
    if opens is not None and closes is not None and closes <= opens:
        raise ValidationError("Registration must close after it opens.")
    if closes is not None and closes > draft.ends_at:
        raise ValidationError("Registration cannot close after the activity has ended.")
    clean = ActivityDraft(**{**draft.__dict__, "title": title, "room": draft.room.strip(), "organiser": draft.organiser.strip()})
    return clean, location


def event_payload(event: Event) -> dict:
    return {
        "id": event.id,
        "title": event.title,
        "kind": event.kind,
        "location": event.location.code,
        "room": event.room,
        "starts_at": _iso(event.starts_at),
        "ends_at": _iso(event.ends_at),
        "capacity": event.capacity,
        "min_age": event.min_age,
        "max_age": event.max_age,
        "guardian_required": event.guardian_required,
        "registration_opens": _iso(event.registration_opens),
        "registration_closes": _iso(event.registration_closes),
        "organiser": event.organiser,
        "description": event.description,
        "series_id": event.series_id,
        "status": event.status,
    }


def _row_values(ctx: ServiceContext, draft: ActivityDraft, location: Location) -> dict:
    return {
        "title": draft.title,
        "kind": draft.kind,
        "location": location.id,
        "room": draft.room,
        "starts_at": _to_utc(ctx, draft.starts_at),
        "ends_at": _to_utc(ctx, draft.ends_at),
        "capacity": draft.capacity,
        "min_age": draft.min_age,
        "max_age": draft.max_age,
        "guardian_required": draft.guardian_required,
        "registration_opens": _to_utc(ctx, draft.registration_opens),
        "registration_closes": _to_utc(ctx, draft.registration_closes),
        "organiser": draft.organiser,
        "description": draft.description,
    }


def _shifted(draft: ActivityDraft, delta: dt.timedelta) -> ActivityDraft:
    """The same activity ``delta`` later on the wall clock (so a series keeps its local time)."""

    def move(value: dt.datetime | None) -> dt.datetime | None:
        return None if value is None else value + delta

    return ActivityDraft(
        **{
            **draft.__dict__,
            "starts_at": draft.starts_at + delta,
            "ends_at": draft.ends_at + delta,
            "registration_opens": move(draft.registration_opens),
            "registration_closes": move(draft.registration_closes),
        }
    )


@service(LIBRARIAN)
def plan_activity(ctx: ServiceContext, draft: ActivityDraft, repeat: Repeat | None = None) -> list[Event]:
    """Put an activity (or a series of them) on the programme."""
    clean, location = _check_draft(draft)
    if _to_utc(ctx, clean.ends_at) <= ctx.clock.utcnow():
        raise ValidationError("That activity would already be over; check the date.")
    series_id = None
    occurrences = [clean]
    if repeat is not None:
        if repeat.every_days < 1:
            raise ValidationError("A series repeats every day at most.")
        if not 2 <= repeat.times <= MAX_OCCURRENCES:
            raise ValidationError("A series has from 2 to {max} activities.", max=MAX_OCCURRENCES)
        if clean.ends_at - clean.starts_at > dt.timedelta(days=repeat.every_days):
            raise ValidationError("Each activity of the series would overlap the next one.")
        series_id = new_id()
        occurrences = [_shifted(clean, dt.timedelta(days=repeat.every_days * n)) for n in range(repeat.times)]
    events = []
    for occurrence in occurrences:
        event = Event.create(**_row_values(ctx, occurrence, location), series_id=series_id, status="planned")
        ctx.record("activity.planned", {"event": event_payload(event)})
        events.append(event)
    return events


def _get_event(event_id: str) -> Event:
    event = Event.get_or_none(Event.id == event_id)
    if event is None:
        raise NotFound("There is no such activity.")
    return event


def _require_planned(event: Event) -> None:
    if event.status == "cancelled":
        raise RuleViolation("{title} was cancelled.", title=event.title)
    if event.status == "finished":
        raise RuleViolation("{title} has finished.", title=event.title)


def _seats_taken(event: Event) -> int:
    return Registration.select().where(Registration.event == event, Registration.status.in_(SEAT_HOLDING)).count()


def _free_seats(event: Event) -> int | None:
    """Places still free, or None when the activity has no limit."""
    return None if event.capacity == 0 else max(0, event.capacity - _seats_taken(event))


@service(LIBRARIAN)
def update_activity(ctx: ServiceContext, event_id: str, draft: ActivityDraft, *, whole_series: bool = False) -> list[Event]:
    """Change an activity; with ``whole_series`` this one and the later planned ones of its series
    take the new details, each keeping its own date."""
    event = _get_event(event_id)
    _require_planned(event)
    clean, location = _check_draft(draft, keep_kind=event.kind)
    targets = [event]
    if whole_series and event.series_id:
        targets = list(
            Event.select()
            .where(Event.series_id == event.series_id, Event.status == "planned", Event.starts_at >= event.starts_at)
            .order_by(Event.starts_at)
        )
    changed = []
    for target in targets:
        version = clean
        if target.id != event.id:
            # Same wall-clock time and length, on the target's own day.
            day_shift = local_time(ctx, target.starts_at).date() - clean.starts_at.date()
            version = _shifted(clean, day_shift)
        values = _row_values(ctx, version, location)
        if target.id != event.id:
            _check_draft(version, keep_kind=target.kind)
        changes = {k: v for k, v in values.items() if getattr(target, k if k != "location" else "location_id") != v}
        if not changes:
            continue
        taken = _seats_taken(target)
        if version.capacity and version.capacity < taken:
            raise RuleViolation(
                "{count} people already hold a place at {title} on {date}; the number of places cannot go below that.",
                count=taken,
                title=target.title,
                date=format_date(local_time(ctx, target.starts_at).date()),
            )
        Event.update(**changes).where(Event.id == target.id).execute()
        payload_changes = {k: (_iso(v) if isinstance(v, dt.datetime) else v) for k, v in changes.items()}
        if "location" in payload_changes:
            payload_changes["location"] = location.code
        ctx.record("activity.updated", {"event_id": target.id, "changes": payload_changes})
        target = Event.get_by_id(target.id)
        _promote_waitlist(ctx, target)
        changed.append(target)
    return changed


@service(LIBRARIAN)
def cancel_activity(ctx: ServiceContext, event_id: str, reason: str = "", *, whole_series: bool = False) -> list[Event]:
    """Call an activity off. Registrations stay as they were, so staff can tell those people."""
    event = _get_event(event_id)
    _require_planned(event)
    targets = [event]
    if whole_series and event.series_id:
        targets = list(
            Event.select().where(
                Event.series_id == event.series_id, Event.status == "planned", Event.starts_at >= event.starts_at
            )
        )
    for target in targets:
        Event.update(status="cancelled").where(Event.id == target.id).execute()
        ctx.record("activity.cancelled", {"event_id": target.id, "reason": reason.strip()})
    return [Event.get_by_id(t.id) for t in targets]


# -- registration ---------------------------------------------------------------------------------

PHONE = re.compile(r"^\+?\d{7,15}$")


def _clean_phone(phone: str) -> str:
    value = re.sub(r"[\s-]", "", phone)
    if value and not PHONE.match(value):
        raise ValidationError("{phone} does not look like a phone number.", phone=phone.strip())
    return value


def age_range_text(min_age: int | None, max_age: int | None) -> str:
    if min_age is not None and max_age is not None:
        return _("{low} to {high}").format(low=min_age, high=max_age)
    if min_age is not None:
        return _("{low} and over").format(low=min_age)
    if max_age is not None:
        return _("up to {high}").format(high=max_age)
    return _("all ages")


def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _check_age(ctx: ServiceContext, event: Event, name: str, age: int | None, *, required: bool) -> None:
    if event.min_age is None and event.max_age is None:
        return
    if age is None:
        if required:
            raise ValidationError(
                "{title} is for ages {range}; enter {name}'s age.",
                title=event.title,
                range=age_range_text(event.min_age, event.max_age),
                name=name,
            )
        return
    if (event.min_age is not None and age < event.min_age) or (event.max_age is not None and age > event.max_age):
        raise RuleViolation(
            "{name} is {age}; {title} is for ages {range}.",
            name=name,
            age=age,
            title=event.title,
            range=age_range_text(event.min_age, event.max_age),
        )


def _patron_by_card(card_number: str) -> Patron:
    card = card_number.strip()
    if not card:
        raise ValidationError("Scan or type a library card number.")
    patron = Patron.get_or_none(Patron.card_number == card)
    if patron is None:
        raise NotFound("No reader has the card {card}.", card=card)
    if patron.status in ("returned", "erased"):
        raise RuleViolation("Card {card} is no longer in use.", card=card)
    return patron


def _age_of(ctx: ServiceContext, event: Event, patron: Patron | None, stated: int | None) -> int | None:
    if patron is not None and patron.birth_date is not None:
        return _age_on(patron.birth_date, local_time(ctx, event.starts_at).date())
    if stated is not None and not 0 <= stated <= 120:
        raise ValidationError("An age is between 0 and 120.")
    return stated


def _patron_guardian(patron: Patron) -> str:
    if patron.guardian_name:
        return patron.guardian_name
    return patron.guardian.name if patron.guardian_id else ""


def _active_registration(event: Event, patron: Patron | None, name: str, phone: str) -> Registration | None:
    query = Registration.select().where(Registration.event == event, Registration.status.in_(ACTIVE))
    if patron is not None:
        return query.where(Registration.patron == patron).first()
    return query.where(Registration.patron.is_null(), Registration.walk_in_name == name, Registration.walk_in_phone == phone).first()


def registration_payload(reg: Registration) -> dict:
    return {
        "id": reg.id,
        "event_id": reg.event_id,
        "patron_id": reg.patron_id,
        "card_number": reg.patron.card_number if reg.patron_id else None,
        "walk_in_name": reg.walk_in_name,
        "walk_in_phone": reg.walk_in_phone,
        "stated_age": reg.stated_age,
        "guardian_name": reg.guardian_name,
        "at_door": reg.at_door,
        "status": reg.status,
        "registered_at": _iso(reg.registered_at),
    }


def _register(
    ctx: ServiceContext,
    event_id: str,
    patron: Patron | None,
    name: str,
    phone: str,
    age: int | None,
    guardian_name: str,
) -> Registration:
    event = _get_event(event_id)
    _require_planned(event)
    now = ctx.clock.utcnow()
    if event.registration_opens is not None and now < event.registration_opens:
        raise RuleViolation(
            "Registration for {title} opens on {when}.",
            title=event.title,
            when=moment_text(ctx, event.registration_opens),
        )
    closes = event.registration_closes or event.starts_at
    if now > closes:
        raise RuleViolation(
            "Registration for {title} closed on {when}; add people at the door instead.",
            title=event.title,
            when=moment_text(ctx, closes),
        )
    existing = _active_registration(event, patron, name, phone)
    if existing is not None:
        raise RuleViolation(
            "{name} is already down for {title} ({status}).",
            name=name,
            title=event.title,
            status=_(REGISTRATION_STATUS_NAMES[existing.status]),
        )
    age = _age_of(ctx, event, patron, age)
    _check_age(ctx, event, name, age, required=True)
    guardian = guardian_name.strip() or (_patron_guardian(patron) if patron else "")
    limit = int(get_setting("activity_guardian_age"))
    if event.guardian_required and age is not None and age < limit and not guardian:
        raise ValidationError(
            "{name} is under {limit}: write the name of the adult who comes along.", name=name, limit=limit
        )
    status = "registered"
    free = _free_seats(event)
    if free == 0:
        if get_setting("activity_when_full") == "refuse":
            raise RuleViolation("{title} is full ({capacity} places taken).", title=event.title, capacity=event.capacity)
        status = "waitlisted"
    registration = Registration.create(
        event=event,
        patron=patron,
        walk_in_name="" if patron else name,
        walk_in_phone="" if patron else phone,
        stated_age=None if patron is not None and patron.birth_date is not None else age,
        guardian_name=guardian,
        status=status,
        registered_at=now,
    )
    ctx.record("registration.created", {"registration": registration_payload(registration)})
    return registration


@service(VOLUNTEER)
def register_patron(
    ctx: ServiceContext, event_id: str, card_number: str, *, age: int | None = None, guardian_name: str = ""
) -> Registration:
    """Register a reader by card. ``age`` is asked for only when the card has no birth date."""
    patron = _patron_by_card(card_number)
    return _register(ctx, event_id, patron, patron.name, "", age, guardian_name)


@service(VOLUNTEER)
def register_walk_in(
    ctx: ServiceContext, event_id: str, name: str, phone: str, *, age: int | None = None, guardian_name: str = ""
) -> Registration:
    """Register someone without a card by name and phone (the phone reaches them about the waitlist)."""
    name = name.strip()
    if not name:
        raise ValidationError("Type the name of the person registering.")
    phone = _clean_phone(phone)
    if not phone:
        raise ValidationError("A phone number is needed to reach {name}.", name=name)
    return _register(ctx, event_id, None, name, phone, age, guardian_name)


def _display_name(reg: Registration) -> str:
    return reg.patron.name if reg.patron_id else reg.walk_in_name


def _promote_waitlist(ctx: ServiceContext, event: Event) -> list[Registration]:
    """Move people up from the waitlist, first come first served, while places are free."""
    promoted = []
    while True:
        free = _free_seats(event)
        if free == 0:
            break
        first = (
            Registration.select()
            .where(Registration.event == event, Registration.status == "waitlisted")
            .order_by(Registration.registered_at, Registration.id)
            .first()
        )
        if first is None:
            break
        Registration.update(status="registered").where(Registration.id == first.id).execute()
        ctx.record(
            "registration.promoted",
            {
                "registration_id": first.id,
                "event_id": event.id,
                "card_number": first.patron.card_number if first.patron_id else None,
                "name": _display_name(first),
            },
        )
        promoted.append(Registration.get_by_id(first.id))
    return promoted


def _get_registration(registration_id: str) -> Registration:
    reg = Registration.get_or_none(Registration.id == registration_id)
    if reg is None:
        raise NotFound("There is no such registration.")
    return reg


@service(VOLUNTEER)
def cancel_registration(ctx: ServiceContext, registration_id: str) -> list[Registration]:
    """Cancel a registration; returns whoever moved up from the waitlist into the freed place."""
    reg = _get_registration(registration_id)
    event = reg.event
    _require_planned(event)
    if reg.status == "attended":
        raise RuleViolation("{name} has already checked in; undo the check-in first.", name=_display_name(reg))
    if reg.status not in ("registered", "waitlisted"):
        raise RuleViolation("{name}'s registration is already {status}.", name=_display_name(reg), status=_(REGISTRATION_STATUS_NAMES[reg.status]))
    Registration.update(status="cancelled").where(Registration.id == reg.id).execute()
    ctx.record("registration.cancelled", {"registration_id": reg.id, "event_id": event.id, "previous_status": reg.status})
    return _promote_waitlist(ctx, event) if reg.status == "registered" else []


@service(VOLUNTEER)
def mark_no_show(ctx: ServiceContext, registration_id: str) -> Registration:
    """Someone registered did not come. Their place is free for people at the door."""
    reg = _get_registration(registration_id)
    event = reg.event
    if event.status == "cancelled":
        raise RuleViolation("{title} was cancelled.", title=event.title)
    if ctx.clock.utcnow() < event.starts_at:
        raise RuleViolation("{title} has not started yet.", title=event.title)
    if reg.status != "registered":
        raise RuleViolation("Only someone registered and not yet checked in can be marked as not coming.")
    Registration.update(status="no_show").where(Registration.id == reg.id).execute()
    ctx.record("registration.no_show", {"registration_id": reg.id, "event_id": event.id})
    return Registration.get_by_id(reg.id)


# -- at the door ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckIn:
    attendance: Attendance
    registration: Registration
    name: str
    how: str  # registered | waitlist | walk_in
    late: bool
    headcount: int


def _door_open(ctx: ServiceContext, event: Event) -> None:
    if event.status == "cancelled":
        raise RuleViolation("{title} was cancelled; nobody can check in.", title=event.title)
    if event.status == "finished":
        raise RuleViolation("{title} has finished; its attendance is closed.", title=event.title)
    start_day = local_time(ctx, event.starts_at).date()
    if ctx.clock.today() < start_day:
        raise RuleViolation("{title} is on {date}; check-in opens that day.", title=event.title, date=format_date(start_day))


def _admit(ctx: ServiceContext, event: Event, reg: Registration, how: str) -> CheckIn:
    now = ctx.clock.utcnow()
    late = now > event.starts_at + dt.timedelta(minutes=int(get_setting("activity_late_minutes")))
    Registration.update(status="attended").where(Registration.id == reg.id).execute()
    name = _display_name(reg)
    attendance = Attendance.create(event=event, registration=reg, patron=reg.patron_id, name=name, checked_in_at=now, late=late)
    payload = {
        "attendance": {
            "id": attendance.id,
            "event_id": event.id,
            "registration_id": reg.id,
            "patron_id": reg.patron_id,
            "card_number": reg.patron.card_number if reg.patron_id else None,
            "name": name,
            "checked_in_at": _iso(now),
            "late": late,
        }
    }
    if reg.at_door:
        # Made at the door just now: a receiver learns of the registration from this event.
        payload["registration"] = registration_payload(Registration.get_by_id(reg.id))
    ctx.record("activity.checked_in", payload)
    return CheckIn(attendance, Registration.get_by_id(reg.id), name, how, late, headcount(event.id))


def _admit_registration(ctx: ServiceContext, event: Event, reg: Registration) -> CheckIn:
    name = _display_name(reg)
    if reg.status == "attended":
        first = Attendance.select().where(Attendance.registration == reg).first()
        raise RuleViolation(
            "{name} already checked in at {time}.",
            name=name,
            time=local_time(ctx, first.checked_in_at).strftime("%H:%M") if first else "?",
        )
    if reg.status == "cancelled":
        raise RuleViolation("{name}'s registration was cancelled; add them as a walk-in.", name=name)
    if reg.status == "waitlisted":
        if _free_seats(event) == 0:
            raise RuleViolation(
                "{name} is on the waitlist and all {capacity} places are taken.", name=name, capacity=event.capacity
            )
        return _admit(ctx, event, reg, "waitlist")
    return _admit(ctx, event, reg, "registered")


def _new_door_registration(ctx: ServiceContext, event: Event, patron: Patron | None, name: str, phone: str, age: int | None) -> Registration:
    age = _age_of(ctx, event, patron, age)
    _check_age(ctx, event, name, age, required=False)
    if _free_seats(event) == 0:
        raise RuleViolation("{title} is full: all {capacity} places are taken.", title=event.title, capacity=event.capacity)
    return Registration.create(
        event=event,
        patron=patron,
        walk_in_name="" if patron else name,
        walk_in_phone="" if patron else phone,
        stated_age=None if patron is not None and patron.birth_date is not None else age,
        guardian_name=_patron_guardian(patron) if patron else "",
        status="registered",
        at_door=True,
        registered_at=ctx.clock.utcnow(),
    )


@service(VOLUNTEER)
def check_in_card(ctx: ServiceContext, event_id: str, card_number: str) -> CheckIn:
    """A card scanned at the door: the registered reader comes in, or a reader without a
    registration is added as a walk-in while places are free."""
    event = _get_event(event_id)
    _door_open(ctx, event)
    patron = _patron_by_card(card_number)
    reg = (
        Registration.select()
        .where(Registration.event == event, Registration.patron == patron, Registration.status != "cancelled")
        .order_by(Registration.registered_at.desc())
        .first()
    )
    if reg is not None:
        return _admit_registration(ctx, event, reg)
    return _admit(ctx, event, _new_door_registration(ctx, event, patron, patron.name, "", None), "walk_in")


@service(VOLUNTEER)
def check_in_registration(ctx: ServiceContext, registration_id: str) -> CheckIn:
    """Tick a name on the list."""
    reg = _get_registration(registration_id)
    _door_open(ctx, reg.event)
    return _admit_registration(ctx, reg.event, reg)


@service(VOLUNTEER)
def check_in_walk_in(ctx: ServiceContext, event_id: str, name: str, phone: str = "", *, age: int | None = None) -> CheckIn:
    """Someone without a registration or a card comes to the door."""
    event = _get_event(event_id)
    _door_open(ctx, event)
    name = name.strip()
    if not name:
        raise ValidationError("Type the name of the person at the door.")
    phone = _clean_phone(phone)
    if _active_registration(event, None, name, phone) is not None:
        raise RuleViolation("{name} is already on the list; tick the name instead.", name=name)
    return _admit(ctx, event, _new_door_registration(ctx, event, None, name, phone, age), "walk_in")


@service(VOLUNTEER)
def undo_check_in(ctx: ServiceContext, attendance_id: str) -> Registration:
    """Take back a check-in ticked by mistake."""
    attendance = Attendance.get_or_none(Attendance.id == attendance_id)
    if attendance is None:
        raise NotFound("There is no such check-in.")
    event = attendance.event
    _door_open(ctx, event)
    reg = attendance.registration
    Attendance.delete().where(Attendance.id == attendance.id).execute()
    back_to = "cancelled" if reg.at_door else "registered"
    Registration.update(status=back_to).where(Registration.id == reg.id).execute()
    ctx.record("activity.check_in_undone", {"attendance_id": attendance.id, "registration_id": reg.id, "event_id": event.id})
    return Registration.get_by_id(reg.id)


def headcount(event_id: str) -> int:
    return Attendance.select().where(Attendance.event == event_id).count()


def list_version(event_id: str) -> int:
    """Changes whenever anyone's status on the activity's list changes (a cheap look, for
    screens that watch a list other desks also change)."""
    rows = Registration.select(Registration.id, Registration.status).where(Registration.event == event_id).tuples()
    return hash(tuple(rows))


# -- afterwards -----------------------------------------------------------------------------------


@service(LIBRARIAN)
def finish_activity(ctx: ServiceContext, event_id: str, summary: str = "", archive_note: str = "") -> Event:
    """Close the activity: whoever registered and did not come is a no-show; the summary and the
    archive note (where the photos and sign-in sheets are filed) are kept with it."""
    event = _get_event(event_id)
    _require_planned(event)
    if ctx.clock.utcnow() < event.starts_at:
        raise RuleViolation("{title} has not started yet.", title=event.title)
    no_shows = [r.id for r in Registration.select(Registration.id).where(Registration.event == event, Registration.status == "registered")]
    if no_shows:
        Registration.update(status="no_show").where(Registration.id.in_(no_shows)).execute()
    Event.update(status="finished", summary=summary.strip(), archive_note=archive_note.strip()).where(Event.id == event.id).execute()
    ctx.record(
        "activity.finished",
        {"event_id": event.id, "summary": summary.strip(), "archive_note": archive_note.strip(), "no_shows": no_shows},
    )
    return Event.get_by_id(event.id)


@service(LIBRARIAN)
def write_summary(ctx: ServiceContext, event_id: str, summary: str, archive_note: str) -> Event:
    """Write or correct the summary and archive note of an activity."""
    event = _get_event(event_id)
    if event.status == "cancelled":
        raise RuleViolation("{title} was cancelled.", title=event.title)
    Event.update(summary=summary.strip(), archive_note=archive_note.strip()).where(Event.id == event.id).execute()
    ctx.record("activity.summary_written", {"event_id": event.id, "summary": summary.strip(), "archive_note": archive_note.strip()})
    return Event.get_by_id(event.id)


# -- queries for screens, printouts and reports ---------------------------------------------------


def moment_text(ctx: ServiceContext, stored: dt.datetime) -> str:
    """A stored time as staff read it: 2026年11月27日 18:00."""
    local = local_time(ctx, stored)
    return f"{format_date(local.date())} {local:%H:%M}"


def when_text(ctx: ServiceContext, event: Event) -> str:
    """2026年11月28日 14:30–16:00, or both dates when it runs over several days."""
    start, end = local_time(ctx, event.starts_at), local_time(ctx, event.ends_at)
    if start.date() == end.date():
        return f"{format_date(start.date())} {start:%H:%M}–{end:%H:%M}"
    return f"{format_date(start.date())} {start:%H:%M} – {format_date(end.date())} {end:%H:%M}"


def place_text(event: Event) -> str:
    return f"{event.location.name} · {event.room}" if event.room else event.location.name


@dataclass(frozen=True)
class ActivityRow:
    id: str
    title: str
    kind: str
    place: str
    starts_at: dt.datetime  # local
    ends_at: dt.datetime  # local
    capacity: int
    registered: int  # holding a place (registered or checked in)
    waitlisted: int
    attended: int
    status: str
    series_id: str | None


def list_activities(
    ctx: ServiceContext,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    status: str | None = None,
    kind: str | None = None,
    text: str = "",
    limit: int = 500,
) -> list[ActivityRow]:
    """Activities whose local start date is in [start, end], earliest first."""
    query = Event.select(Event, Location).join(Location).order_by(Event.starts_at)
    if start is not None:
        query = query.where(Event.starts_at >= _to_utc(ctx, dt.datetime.combine(start, dt.time())))
    if end is not None:
        query = query.where(Event.starts_at < _to_utc(ctx, dt.datetime.combine(end + dt.timedelta(days=1), dt.time())))
    if status:
        query = query.where(Event.status == status)
    if kind:
        query = query.where(Event.kind == kind)
    if text.strip():
        query = query.where(Event.title.contains(text.strip()) | Event.organiser.contains(text.strip()))
    events = list(query.limit(limit))
    counts: Counter[tuple[str, str]] = Counter()
    if events:
        rows = (
            Registration.select(Registration.event, Registration.status, fn.COUNT(Registration.id))
            .where(Registration.event.in_([e.id for e in events]))
            .group_by(Registration.event, Registration.status)
            .tuples()
        )
        counts = Counter({(event_id, status_): n for event_id, status_, n in rows})
    return [
        ActivityRow(
            id=e.id,
            title=e.title,
            kind=e.kind,
            place=place_text(e),
            starts_at=local_time(ctx, e.starts_at),
            ends_at=local_time(ctx, e.ends_at),
            capacity=e.capacity,
            registered=counts[(e.id, "registered")] + counts[(e.id, "attended")],
            waitlisted=counts[(e.id, "waitlisted")],
            attended=counts[(e.id, "attended")],
            status=e.status,
            series_id=e.series_id,
        )
        for e in events
    ]


def get_activity(event_id: str) -> Event:
    return _get_event(event_id)


def draft_of(ctx: ServiceContext, event: Event) -> ActivityDraft:
    """The activity as its form shows it (local times)."""
    return ActivityDraft(
        title=event.title,
        kind=event.kind,
        location_code=event.location.code,
        starts_at=local_time(ctx, event.starts_at),
        ends_at=local_time(ctx, event.ends_at),
        room=event.room,
        capacity=event.capacity,
        min_age=event.min_age,
        max_age=event.max_age,
        guardian_required=event.guardian_required,
        registration_opens=local_time(ctx, event.registration_opens),
        registration_closes=local_time(ctx, event.registration_closes),
        organiser=event.organiser,
        description=event.description,
    )


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else phone


@dataclass(frozen=True)
class RegistrationRow:
    id: str
    name: str
    card_number: str
    phone: str
    age: int | None
    guardian: str
    status: str
    at_door: bool
    registered_at: dt.datetime  # local
    attendance_id: str | None
    checked_in_at: dt.datetime | None  # local
    late: bool


STATUS_ORDER = {"attended": 0, "registered": 1, "waitlisted": 2, "no_show": 3, "cancelled": 4}


def registrations(ctx: ServiceContext, event_id: str) -> list[RegistrationRow]:
    """Everyone on an activity's list: checked in, registered, waitlisted (in waitlist order), then the rest."""
    event = _get_event(event_id)
    regs = list(
        Registration.select(Registration, Patron)
        .join(Patron, JOIN.LEFT_OUTER)
        .where(Registration.event == event)
        .order_by(Registration.registered_at, Registration.id)
    )
    attendance = {a.registration_id: a for a in Attendance.select().where(Attendance.event == event)}
    rows = []
    for reg in regs:
        patron = reg.patron if reg.patron_id else None
        seen = attendance.get(reg.id)
        age = reg.stated_age
        if patron is not None and patron.birth_date is not None:
            age = _age_on(patron.birth_date, local_time(ctx, event.starts_at).date())
        rows.append(
            RegistrationRow(
                id=reg.id,
                name=patron.name if patron else reg.walk_in_name,
                card_number=patron.card_number if patron else "",
                phone=patron.phone if patron else reg.walk_in_phone,
                age=age,
                guardian=reg.guardian_name,
                status=reg.status,
                at_door=reg.at_door,
                registered_at=local_time(ctx, reg.registered_at),
                attendance_id=seen.id if seen else None,
                checked_in_at=local_time(ctx, seen.checked_in_at) if seen else None,
                late=seen.late if seen else False,
            )
        )
    rows.sort(key=lambda r: STATUS_ORDER.get(r.status, 9))  # stable: keeps registration order within a status
    return rows


@dataclass(frozen=True)
class Outcome:
    """How an activity went."""

    headcount: int  # everyone who came in, walk-ins included
    registered: int  # registered beforehand and holding a place
    came: int  # of those, how many came
    no_shows: int
    walk_ins: int
    late: int
    waitlisted: int

    @property
    def attendance_rate(self) -> float | None:
        """Share of those registered beforehand who came (None when nobody registered)."""
        return None if self.registered == 0 else self.came / self.registered


def outcome(event_id: str) -> Outcome:
    event = _get_event(event_id)
    regs = list(Registration.select().where(Registration.event == event))
    advance = [r for r in regs if not r.at_door and r.status in ("registered", "attended", "no_show")]
    return Outcome(
        headcount=headcount(event.id),
        registered=len(advance),
        came=sum(1 for r in advance if r.status == "attended"),
        no_shows=sum(1 for r in regs if r.status == "no_show"),
        walk_ins=sum(1 for r in regs if r.at_door and r.status == "attended"),
        late=Attendance.select().where(Attendance.event == event, Attendance.late == True).count(),  # noqa: E712
        waitlisted=sum(1 for r in regs if r.status == "waitlisted"),
    )


def outcome_figures(result: Outcome) -> list[tuple[str, str]]:
    rate = "—" if result.attendance_rate is None else f"{result.attendance_rate:.0%}"
    return [
        (_("Headcount"), str(result.headcount)),
        (_("Registered"), str(result.registered)),
        (_("Came"), str(result.came)),
        (_("No-shows"), str(result.no_shows)),
        (_("Walk-ins"), str(result.walk_ins)),
        (_("Late"), str(result.late)),
        (_("Attendance rate"), rate),
    ]


def _header(ctx: ServiceContext, event: Event) -> ActivityHeader:
    return ActivityHeader(
        library=ctx.branch.library_name,
        title=event.title,
        kind=type_name(event.kind),
        when=when_text(ctx, event),
        place=place_text(event),
        organiser=event.organiser,
    )


def sign_in_sheet(ctx: ServiceContext, event_id: str, blank_rows: int = 10) -> SignInSheet:
    """The sheet printed before the activity: who registered (then the waitlist), and blank lines."""
    event = _get_event(event_id)
    rows = [
        SignInRow(
            name=r.name,
            card_number=r.card_number,
            phone=mask_phone(r.phone),
            guardian=r.guardian,
            waitlisted=r.status == "waitlisted",
        )
        for r in registrations(ctx, event_id)
        if r.status in ("registered", "attended", "waitlisted")
    ]
    return SignInSheet(header=_header(ctx, event), rows=rows, blank_rows=blank_rows)


def _came_as(row: RegistrationRow) -> str:
    return _("walk-in") if row.at_door else _("registered")


def attendance_sheet(ctx: ServiceContext, event_id: str) -> AttendanceSheet:
    event = _get_event(event_id)
    rows = [
        AttendanceRow(
            name=r.name,
            card_number=r.card_number,
            how=_came_as(r),
            checked_in=f"{r.checked_in_at:%H:%M}" if r.checked_in_at else "",
            late=r.late,
        )
        for r in registrations(ctx, event_id)
        if r.status == "attended"
    ]
    return AttendanceSheet(
        header=_header(ctx, event),
        rows=rows,
        figures=outcome_figures(outcome(event_id)),
        summary=event.summary,
        archive_note=event.archive_note,
    )


def export_attendance_csv(ctx: ServiceContext, event_id: str, path: Path) -> int:
    """The attendance list as CSV (UTF-8 with BOM, so Excel opens the Chinese names); returns rows written."""
    rows = [r for r in registrations(ctx, event_id) if r.status in ("attended", "no_show")]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([_("No."), _("Name"), _("Card number"), _("Phone"), _("Came as"), _("Status"), _("Checked in"), _("Late")])
        for number, r in enumerate(rows, start=1):
            writer.writerow(
                [
                    number,
                    r.name,
                    r.card_number,
                    mask_phone(r.phone),
                    _came_as(r),
                    _(REGISTRATION_STATUS_NAMES[r.status]),
                    f"{r.checked_in_at:%Y-%m-%d %H:%M}" if r.checked_in_at else "",
                    _("yes") if r.late else "",
                ]
            )
    return len(rows)


@dataclass(frozen=True)
class ActivityStat:
    month: int
    kind: str
    activities: int
    participants: int


@dataclass
class YearStatistics:
    year: int
    rows: list[ActivityStat] = field(default_factory=list)

    def by_type(self) -> dict[str, tuple[int, int]]:
        totals: dict[str, tuple[int, int]] = {}
        for row in self.rows:
            n, p = totals.get(row.kind, (0, 0))
            totals[row.kind] = (n + row.activities, p + row.participants)
        return totals

    @property
    def activities(self) -> int:
        return sum(r.activities for r in self.rows)

    @property
    def participants(self) -> int:
        return sum(r.participants for r in self.rows)


def statistics(ctx: ServiceContext, year: int) -> YearStatistics:
    """Activities held in a year (started, not cancelled) and their headcount, per local month and type."""
    start = _to_utc(ctx, dt.datetime(year, 1, 1))
    end = min(_to_utc(ctx, dt.datetime(year + 1, 1, 1)), ctx.clock.utcnow())
    heads = Attendance.select(fn.COUNT(Attendance.id)).where(Attendance.event == Event.id)
    events = (
        Event.select(Event.starts_at, Event.kind, heads.alias("heads"))
        .where(Event.starts_at >= start, Event.starts_at < end, Event.status != "cancelled")
        .tuples()
    )
    cells: dict[tuple[int, str], list[int]] = {}
    for starts_at, kind, heads_count in events:
        cell = cells.setdefault((local_time(ctx, starts_at).month, kind), [0, 0])
        cell[0] += 1
        cell[1] += heads_count or 0
    return YearStatistics(
        year=year, rows=[ActivityStat(month, kind, n, p) for (month, kind), (n, p) in sorted(cells.items())]
    )
