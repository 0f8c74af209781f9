"""Shifts and the roster: when and where volunteers are needed, and who is coming.

A shift is a local date with local start and end times at a place (the branch, a reading
point, a van stop). Assigning checks the volunteer is active, not already busy at that time
and, for children's programmes, has a background check; being outside their usual
availability or lacking the skill the role names are only warnings. Nothing is deleted:
cancelled and swapped assignments stay, with their reason, as the roster's history.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from countylib.audit import record_audit
from countylib.context import ServiceContext, service
from countylib.errors import NotFound, RuleViolation, ValidationError
from countylib.i18n import N_, _, format_date
from countylib.roles import LIBRARIAN, VOLUNTEER
from countylib.settings import SettingSpec, get_setting, register_settings
from countylib.volunteers import (
    PARTS,
    SKILLS,
    WEEKDAY_NAMES,
    WEEKDAYS,
    ensure_own,
    get_volunteer,
    is_available,
    own_volunteer,
    parse_date,
    parts_of,
    skill_label,
)
from models import Calendar, Location, Shift, ShiftAssignment, Volunteer
from models.ids import new_id
from printing.volunteers import RosterSheet, RosterShift

register_settings(
    SettingSpec(
        "volunteers.background_check_years",
        3,
        N_("Years a volunteer's background check stays valid for children's shifts"),
    ),
)

# Assignments that hold a place on a shift (the others are history).
HOLDING = ("assigned", "attended")
MAX_SLOTS = 50
MAX_WEEKS = 52
ASSIGNMENT_STATUSES = {
    "assigned": N_("Assigned"),
    "attended": N_("Attended"),
    "cancelled": N_("Cancelled"),
    "swapped": N_("Swapped"),
    "no_show": N_("No-show"),
}


# -- reading what staff typed -----------------------------------------------------------------


def parse_time(value: dt.time | str, what: str) -> dt.time:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    text = str(value or "").strip().replace("：", ":")
    try:
        hours, _sep, minutes = text.partition(":")
        return dt.time(int(hours), int(minutes or 0))
    except ValueError:
        raise ValidationError("{what}: write the time as HH:MM, e.g. 09:00.", what=_(what)) from None


def _location(value: Location | str) -> Location:
    if isinstance(value, Location):
        return value
    found = Location.get_or_none((Location.code == value) | (Location.id == value))
    if found is None:
        raise NotFound("There is no place with the code {code}.", code=value)
    return found


def get_shift(value: Shift | str) -> Shift:
    if isinstance(value, Shift):
        return value
    found = Shift.get_or_none(Shift.id == value)
    if found is None:
        raise NotFound("No shift {id}.", id=value)
    return found


def get_assignment(value: ShiftAssignment | str) -> ShiftAssignment:
    if isinstance(value, ShiftAssignment):
        return ShiftAssignment.get_by_id(value.id)  # fresh: another desk may have changed it
    found = ShiftAssignment.get_or_none(ShiftAssignment.id == value)
    if found is None:
        raise NotFound("No shift assignment {id}.", id=value)
    return found


def role_label(role: str) -> str:
    """The task a shift asks for, in the current language."""
    return skill_label(role) if role else _("(any volunteer)")


def hhmm(value: dt.time) -> str:
    return value.strftime("%H:%M")


def shift_label(shift: Shift) -> str:
    """"Sat 21 Nov 2026 09:00–12:00, 城关分馆" in the current language."""
    return _("{weekday} {day} {starts}–{ends}, {place}").format(
        weekday=_(WEEKDAY_NAMES[WEEKDAYS[shift.day.weekday()]]),
        day=format_date(shift.day),
        starts=hhmm(shift.starts),
        ends=hhmm(shift.ends),
        place=shift.location.name,
    )


def shift_payload(shift: Shift) -> dict[str, Any]:
    return {
        "id": shift.id,
        "location": shift.location.code,
        "day": shift.day.isoformat(),
        "starts": hhmm(shift.starts),
        "ends": hhmm(shift.ends),
        "role": shift.role,
        "slots": shift.slots,
        "needs_background_check": shift.needs_background_check,
        "series_id": shift.series_id,
    }


def assignment_payload(a: ShiftAssignment) -> dict[str, Any]:
    return {
        "assignment_id": a.id,
        "shift_id": a.shift_id,
        "volunteer_id": a.volunteer_id,
        "card_number": a.volunteer.card_number,
        "location": a.shift.location.code,
        "day": a.shift.day.isoformat(),
    }


def _check_shift_fields(starts: dt.time, ends: dt.time, slots: int, location: Location) -> None:
    if ends <= starts:
        raise ValidationError("A shift must end after it starts ({starts}–{ends}).", starts=hhmm(starts), ends=hhmm(ends))
    if not 1 <= int(slots) <= MAX_SLOTS:
        raise ValidationError("A shift needs between 1 and {n} volunteers.", n=MAX_SLOTS)
    if not location.active:
        raise RuleViolation("The place {place} is no longer in use.", place=location.name)


# -- making shifts ----------------------------------------------------------------------------


@service(LIBRARIAN)
def create_shift(
    ctx: ServiceContext,
    *,
    location: Location | str,
    day: dt.date | str,
    starts: dt.time | str,
    ends: dt.time | str,
    role: str = "",
    slots: int = 1,
    needs_background_check: bool = False,
    series_id: str | None = None,
) -> Shift:
    place = _location(location)
    day = parse_date(day, N_("Date"))
    if day is None:
        raise ValidationError("The shift's date is required.")
    start, end = parse_time(starts, N_("Start")), parse_time(ends, N_("End"))
    _check_shift_fields(start, end, slots, place)
    shift = Shift.create(
        location=place,
        day=day,
        starts=start,
        ends=end,
        role=role.strip(),
        slots=int(slots),
        needs_background_check=bool(needs_background_check),
        series_id=series_id,
        created_at=ctx.clock.utcnow(),
    )
    ctx.record("shift.created", {"shift": shift_payload(shift)})
    return shift


@dataclass
class SeriesResult:
    shifts: list[Shift]
    skipped: list[tuple[dt.date, str]]  # closed days: (date, reason)


@service(LIBRARIAN)
def create_shift_series(
    ctx: ServiceContext,
    *,
    location: Location | str,
    first_day: dt.date | str,
    starts: dt.time | str,
    ends: dt.time | str,
    weeks: int,
    role: str = "",
    slots: int = 1,
    needs_background_check: bool = False,
) -> SeriesResult:
    """The same shift every week (e.g. every Saturday 9:00–12:00 for 8 weeks), in one step.

    Days the branch is closed (the calendar) are skipped and reported.
    """
    place = _location(location)
    first = parse_date(first_day, N_("First date"))
    if first is None:
        raise ValidationError("The first date of the series is required.")
    if not 1 <= int(weeks) <= MAX_WEEKS:
        raise ValidationError("A series runs for 1 to {n} weeks.", n=MAX_WEEKS)
    start, end = parse_time(starts, N_("Start")), parse_time(ends, N_("End"))
    _check_shift_fields(start, end, slots, place)
    days = [first + dt.timedelta(weeks=n) for n in range(int(weeks))]
    closed = {
        c.day: c.reason
        for c in Calendar.select().where(
            Calendar.day.in_(days) & (Calendar.branch.is_null() | (Calendar.branch == place.branch_id))
        )
    }
    series_id = new_id()
    shifts = [
        create_shift(
            ctx,
            location=place,
            day=day,
            starts=start,
            ends=end,
            role=role,
            slots=slots,
            needs_background_check=needs_background_check,
            series_id=series_id,
        )
        for day in days
        if day not in closed
    ]
    if not shifts:
        raise RuleViolation("Every date of this series falls on a closed day; no shifts were made.")
    return SeriesResult(shifts, sorted(closed.items()))


@service(LIBRARIAN)
def update_shift(
    ctx: ServiceContext,
    shift: Shift | str,
    *,
    slots: int | None = None,
    role: str | None = None,
    needs_background_check: bool | None = None,
) -> dict[str, Any]:
    shift = get_shift(shift)
    if shift.cancelled:
        raise RuleViolation("This shift was cancelled; make a new one instead.")
    changes: dict[str, Any] = {}
    holders = _holders(shift)
    if slots is not None and int(slots) != shift.slots:
        _check_shift_fields(shift.starts, shift.ends, slots, shift.location)
        if int(slots) < len(holders):
            raise RuleViolation(
                "{n} volunteers are already on this shift; cancel some before lowering the places to {slots}.",
                n=len(holders),
                slots=int(slots),
            )
        changes["slots"] = shift.slots = int(slots)
    if role is not None and role.strip() != shift.role:
        changes["role"] = shift.role = role.strip()
    if needs_background_check is not None and bool(needs_background_check) != shift.needs_background_check:
        shift.needs_background_check = bool(needs_background_check)
        if shift.needs_background_check:
            for a in holders:
                if not has_valid_check(a.volunteer, shift.day):
                    raise RuleViolation(
                        "{name} is on this shift without a valid background check; swap them first.", name=a.volunteer.name
                    )
        changes["needs_background_check"] = shift.needs_background_check
    if changes:
        shift.save()
        ctx.record("shift.updated", {"shift_id": shift.id, "location": shift.location.code, "changes": changes})
    return changes


@service(LIBRARIAN)
def cancel_shift(ctx: ServiceContext, shift: Shift | str, reason: str) -> list[ShiftAssignment]:
    """Call a shift off; its volunteers' assignments are cancelled with the same reason."""
    shift = get_shift(shift)
    reason = reason.strip()
    if not reason:
        raise ValidationError("Please give a reason for cancelling.")
    if shift.cancelled:
        raise RuleViolation("This shift is already cancelled.")
    if any(a.signed_in_at for a in _holders(shift)):
        raise RuleViolation("Someone has already signed in for this shift; it cannot be cancelled now.")
    shift.cancelled, shift.cancel_reason = True, reason
    shift.save()
    cancelled = []
    for a in _holders(shift):
        a.status, a.status_reason = "cancelled", reason
        a.save()
        cancelled.append(a)
    record_audit(ctx, "shift.cancelled", "shift", shift.id, reason=reason)
    ctx.record(
        "shift.cancelled",
        {"shift_id": shift.id, "location": shift.location.code, "day": shift.day.isoformat(), "reason": reason,
         "assignment_ids": [a.id for a in cancelled]},
    )
    return cancelled


# -- who may take a shift ---------------------------------------------------------------------


@dataclass(frozen=True)
class Concern:
    """Why a volunteer should not (blocking) or might better not take a shift."""

    msgid: str
    params: dict[str, Any]
    blocking: bool

    @property
    def message(self) -> str:
        return _(self.msgid).format(**self.params)


@dataclass
class Fit:
    volunteer: Volunteer
    concerns: list[Concern] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(c.blocking for c in self.concerns)

    @property
    def warnings(self) -> list[Concern]:
        return [c for c in self.concerns if not c.blocking]


def has_valid_check(volunteer: Volunteer, on: dt.date, years: int | None = None) -> bool:
    checked = volunteer.background_check_on
    if checked is None:
        return False
    years = int(get_setting("volunteers.background_check_years")) if years is None else years
    try:
        expires = checked.replace(year=checked.year + years)
    except ValueError:  # 29 February
        expires = checked.replace(year=checked.year + years, day=28)
    return checked <= on < expires


def _holders(shift: Shift) -> list[ShiftAssignment]:
    return list(
        ShiftAssignment.select()
        .where((ShiftAssignment.shift == shift) & ShiftAssignment.status.in_(HOLDING))
        .order_by(ShiftAssignment.assigned_at)
    )


def _busy_at(shift: Shift, volunteer: Volunteer | None = None) -> list[ShiftAssignment]:
    """Assignments holding a place at a time overlapping the shift (one volunteer's, or everyone's)."""
    query = (
        ShiftAssignment.select(ShiftAssignment, Shift, Location)
        .join(Shift)
        .join(Location)
        .where(
            ShiftAssignment.status.in_(HOLDING)
            & (Shift.day == shift.day)
            & (Shift.cancelled == False)  # noqa: E712
            & (Shift.starts < shift.ends)
            & (Shift.ends > shift.starts)
        )
    )
    if volunteer is not None:
        query = query.where(ShiftAssignment.volunteer == volunteer)
    return list(query)


def check_fit(
    shift: Shift,
    volunteer: Volunteer,
    *,
    ignore: ShiftAssignment | None = None,
    busy: list[ShiftAssignment] | None = None,
    check_years: int | None = None,
    open_places: int | None = None,
) -> Fit:
    """Everything that speaks against this volunteer on this shift.

    ``busy`` (their overlapping assignments), ``check_years`` and ``open_places`` may be
    given when many volunteers are checked at once, so the picker runs a few queries
    instead of hundreds.
    """
    fit = Fit(volunteer)
    name = volunteer.name
    if busy is None:
        busy = _busy_at(shift, volunteer)
    clashes = [a for a in busy if ignore is None or a.id != ignore.id]
    if open_places is None:
        open_places = _open_places(shift, ignore)
    if open_places <= 0 and not any(a.shift_id == shift.id for a in clashes):
        fit.concerns.append(Concern(N_("This shift already has all {n} volunteers it needs."), {"n": shift.slots}, True))
    if volunteer.status != "active":
        fit.concerns.append(Concern(N_("{name} is not an active volunteer."), {"name": name}, True))
    if shift.needs_background_check and not has_valid_check(volunteer, shift.day, check_years):
        if volunteer.background_check_on is None:
            fit.concerns.append(
                Concern(N_("{name} has no background check on record, which this children's shift needs."), {"name": name}, True)
            )
        else:
            fit.concerns.append(
                Concern(N_("{name}'s background check of {date} is not valid on {day}; this children's shift needs one."),
                    {"name": name, "date": volunteer.background_check_on.isoformat(), "day": shift.day.isoformat()},
                    True,
                )
            )
    for other in clashes:
        if other.shift_id == shift.id:
            fit.concerns.append(Concern(N_("{name} is already on this shift."), {"name": name}, True))
        else:
            fit.concerns.append(
                Concern(N_("{name} is already on another shift at that time: {other}."),
                    {"name": name, "other": f"{hhmm(other.shift.starts)}–{hhmm(other.shift.ends)} {other.shift.location.name}"},
                    True,
                )
            )
    if not is_available(volunteer, shift.day, shift.starts, shift.ends):
        parts = ", ".join(_(p) for p in _part_names(shift))
        fit.concerns.append(
            Concern(N_("{name} does not usually come on {weekday} ({parts})."),
                {"name": name, "weekday": _(WEEKDAY_NAMES[WEEKDAYS[shift.day.weekday()]]), "parts": parts},
                False,
            )
        )
    if shift.role in SKILLS and shift.role not in (volunteer.skills or []):
        fit.concerns.append(
            Concern(N_("{name} has no {skill} skill on record."), {"name": name, "skill": skill_label(shift.role)}, False)
        )
    return fit


def _part_names(shift: Shift) -> list[str]:
    return [PARTS[p] for p in parts_of(shift.starts, shift.ends)]


def candidates_for_shift(ctx: ServiceContext, shift: Shift | str) -> list[Fit]:
    """Active volunteers for the picker: suitable first, then with warnings, then blocked."""
    ctx.require(LIBRARIAN)
    shift = get_shift(shift)
    busy: dict[str, list[ShiftAssignment]] = {}
    for a in _busy_at(shift):
        busy.setdefault(a.volunteer_id, []).append(a)
    years = int(get_setting("volunteers.background_check_years"))
    places = _open_places(shift)
    fits = [
        check_fit(shift, v, busy=busy.get(v.id, []), check_years=years, open_places=places)
        for v in Volunteer.select().where(Volunteer.status == "active")
    ]
    return sorted(fits, key=lambda f: (f.blocked, bool(f.warnings), f.volunteer.name_pinyin, f.volunteer.name))


@dataclass
class Assigned:
    assignment: ShiftAssignment
    warnings: list[Concern]


def _refuse_if_blocked(fit: Fit) -> None:
    for concern in fit.concerns:
        if concern.blocking:
            raise RuleViolation(concern.msgid, **concern.params)


def _open_places(shift: Shift, ignore: ShiftAssignment | None = None) -> int:
    holders = [a for a in _holders(shift) if ignore is None or a.id != ignore.id]
    return shift.slots - len(holders)


@service(LIBRARIAN)
def assign_volunteer(ctx: ServiceContext, shift: Shift | str, volunteer: Volunteer | str) -> Assigned:
    """Put a volunteer on a shift; refuses double booking and missing checks, returns warnings."""
    shift, volunteer = get_shift(shift), get_volunteer(ctx, volunteer)
    if shift.cancelled:
        raise RuleViolation("This shift was cancelled.")
    fit = check_fit(shift, volunteer)
    _refuse_if_blocked(fit)
    assignment = ShiftAssignment.create(shift=shift, volunteer=volunteer, assigned_at=ctx.clock.utcnow())
    ctx.record(
        "shift.assigned",
        {**assignment_payload(assignment), "warnings": [c.msgid.format(**c.params) for c in fit.warnings]},
    )
    return Assigned(assignment, fit.warnings)


@service(VOLUNTEER)
def cancel_assignment(ctx: ServiceContext, assignment: ShiftAssignment | str, reason: str) -> ShiftAssignment:
    """Take a volunteer off a shift (kept, with the reason). Volunteers may do it for themselves
    before the shift starts."""
    assignment = get_assignment(assignment)
    ensure_own(ctx, assignment.volunteer)
    reason = reason.strip()
    if not reason:
        raise ValidationError("Please give a reason for cancelling.")
    if assignment.status != "assigned" or assignment.signed_in_at:
        raise RuleViolation(
            "Only a shift not yet started can be cancelled; this one is {status}.",
            status=_(ASSIGNMENT_STATUSES[assignment.status]),
        )
    if not ctx.actor.at_least(LIBRARIAN):
        starts = dt.datetime.combine(assignment.shift.day, assignment.shift.starts, ctx.clock.timezone)
        if ctx.clock.now() >= starts:
            raise RuleViolation("The shift has started; please ask a librarian to change it.")
    assignment.status, assignment.status_reason = "cancelled", reason
    assignment.save()
    record_audit(ctx, "shift.assignment_cancelled", "shift_assignment", assignment.id, reason=reason)
    ctx.record("shift.assignment_cancelled", {**assignment_payload(assignment), "reason": reason})
    return assignment


@service(LIBRARIAN)
def swap_assignment(
    ctx: ServiceContext, assignment: ShiftAssignment | str, volunteer: Volunteer | str, reason: str
) -> Assigned:
    """Another volunteer takes this place; the old assignment stays as "swapped"."""
    old = get_assignment(assignment)
    new_volunteer = get_volunteer(ctx, volunteer)
    reason = reason.strip()
    if not reason:
        raise ValidationError("Please give a reason for the swap.")
    if old.status != "assigned" or old.signed_in_at:
        raise RuleViolation(
            "Only a shift not yet started can be swapped; this one is {status}.",
            status=_(ASSIGNMENT_STATUSES[old.status]),
        )
    if new_volunteer.id == old.volunteer_id:
        raise ValidationError("Pick a different volunteer for the swap.")
    fit = check_fit(old.shift, new_volunteer, ignore=old)
    _refuse_if_blocked(fit)
    new = ShiftAssignment.create(shift=old.shift, volunteer=new_volunteer, assigned_at=ctx.clock.utcnow())
    old.status, old.status_reason, old.replaced_by = "swapped", reason, new
    old.save()
    record_audit(ctx, "shift.swapped", "shift_assignment", old.id, reason=reason, to=new_volunteer.id)
    ctx.record(
        "shift.swapped",
        {
            **assignment_payload(old),
            "new_assignment_id": new.id,
            "new_volunteer_id": new_volunteer.id,
            "new_card_number": new_volunteer.card_number,
            "reason": reason,
        },
    )
    return Assigned(new, fit.warnings)


# -- the roster -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnShift:
    assignment_id: str
    volunteer_id: str
    name: str
    status: str
    signed_in: bool


@dataclass(frozen=True)
class ShiftView:
    id: str
    location_code: str
    location_name: str
    day: dt.date
    starts: dt.time
    ends: dt.time
    role: str
    slots: int
    needs_background_check: bool
    cancelled: bool
    people: tuple[OnShift, ...]
    history: tuple[tuple[str, str, str], ...]  # (name, status, reason) of cancelled / swapped

    @property
    def filled(self) -> int:
        return len(self.people)

    @property
    def open(self) -> int:
        return 0 if self.cancelled else max(0, self.slots - self.filled)

    @property
    def times(self) -> str:
        return f"{hhmm(self.starts)}–{hhmm(self.ends)}"


@dataclass
class WeekRoster:
    monday: dt.date
    places: list[tuple[str, str]]  # (code, name)
    shifts: list[ShiftView]

    @property
    def days(self) -> list[dt.date]:
        return [self.monday + dt.timedelta(days=n) for n in range(7)]

    def cell(self, code: str, day: dt.date) -> list[ShiftView]:
        return [s for s in self.shifts if s.location_code == code and s.day == day]

    @property
    def understaffed(self) -> list[ShiftView]:
        return [s for s in self.shifts if s.open > 0]


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def shift_views(query) -> list[ShiftView]:
    shifts = list(query.join(Location).switch(Shift).order_by(Shift.day, Shift.starts, Location.code))
    by_shift: dict[str, list[ShiftAssignment]] = {s.id: [] for s in shifts}
    if shifts:
        for a in (
            ShiftAssignment.select(ShiftAssignment, Volunteer)
            .join(Volunteer)
            .where(ShiftAssignment.shift.in_(list(by_shift)))
            .order_by(ShiftAssignment.assigned_at)
        ):
            by_shift[a.shift_id].append(a)
    views = []
    for s in shifts:
        rows = by_shift[s.id]
        views.append(
            ShiftView(
                id=s.id,
                location_code=s.location.code,
                location_name=s.location.name,
                day=s.day,
                starts=s.starts,
                ends=s.ends,
                role=s.role,
                slots=s.slots,
                needs_background_check=s.needs_background_check,
                cancelled=s.cancelled,
                people=tuple(
                    OnShift(a.id, a.volunteer_id, a.volunteer.name, a.status, a.signed_in_at is not None)
                    for a in rows
                    if a.status in HOLDING
                ),
                history=tuple(
                    (a.volunteer.name, a.status, a.status_reason) for a in rows if a.status in ("cancelled", "swapped")
                ),
            )
        )
    return views


def week_roster(ctx: ServiceContext, any_day: dt.date) -> WeekRoster:
    """Places × days for the week holding ``any_day`` (Monday to Sunday)."""
    ctx.require(LIBRARIAN)
    monday = monday_of(any_day)
    views = shift_views(Shift.select(Shift, Location).where(Shift.day.between(monday, monday + dt.timedelta(days=6))))
    kinds = {kind: n for n, kind in enumerate(Location.KINDS)}
    used = {v.location_code for v in views}
    places = sorted(
        (loc for loc in Location.select() if loc.active or loc.code in used),
        key=lambda loc: (kinds.get(loc.kind, 9), loc.code),
    )
    return WeekRoster(monday, [(p.code, p.name) for p in places], views)


def shift_view(ctx: ServiceContext, shift: Shift | str) -> ShiftView:
    ctx.require(LIBRARIAN)
    shift = get_shift(shift)
    return shift_views(Shift.select(Shift, Location).where(Shift.id == shift.id))[0]


def assignments_of(ctx: ServiceContext, shift: Shift | str) -> list[ShiftAssignment]:
    """Everyone who is or was on a shift, in the order they were put on it."""
    ctx.require(LIBRARIAN)
    return list(
        ShiftAssignment.select(ShiftAssignment, Volunteer)
        .join(Volunteer)
        .where(ShiftAssignment.shift == get_shift(shift))
        .order_by(ShiftAssignment.assigned_at)
    )


def shift_places() -> list[Location]:
    """Places a shift can be at: every active one, the branch building first."""
    kinds = {kind: n for n, kind in enumerate(Location.KINDS)}
    return sorted(Location.select().where(Location.active == True), key=lambda loc: (kinds.get(loc.kind, 9), loc.code))  # noqa: E712


def understaffed_shifts(ctx: ServiceContext, start: dt.date, end: dt.date) -> list[ShiftView]:
    """Shifts between the dates that still lack volunteers: the roster's warning list."""
    ctx.require(LIBRARIAN)
    views = shift_views(Shift.select(Shift, Location).where(Shift.day.between(start, end) & (Shift.cancelled == False)))  # noqa: E712
    return [v for v in views if v.open > 0]


CSV_COLUMNS = (
    N_("Date"),
    N_("Weekday"),
    N_("Place code"),
    N_("Place"),
    N_("Start"),
    N_("End"),
    N_("Task"),
    N_("Places"),
    N_("Filled"),
    N_("Open"),
    N_("Volunteers"),
    N_("Background check needed"),
    N_("Cancelled"),
)


def roster_rows(roster: WeekRoster) -> list[list[str]]:
    """The roster as rows for a CSV file or a spreadsheet (current language)."""
    rows = []
    for s in roster.shifts:
        rows.append(
            [
                s.day.isoformat(),
                _(WEEKDAY_NAMES[WEEKDAYS[s.day.weekday()]]),
                s.location_code,
                s.location_name,
                hhmm(s.starts),
                hhmm(s.ends),
                role_label(s.role),
                str(s.slots),
                str(s.filled),
                str(s.open),
                "、".join(p.name for p in s.people),
                _("yes") if s.needs_background_check else _("no"),
                _("yes") if s.cancelled else _("no"),
            ]
        )
    return rows


def write_roster_csv(roster: WeekRoster, out: Path) -> int:
    """UTF-8 with a byte-order mark, so Excel on a Chinese Windows opens it correctly."""
    rows = roster_rows(roster)
    with Path(out).open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([_(c) for c in CSV_COLUMNS])
        writer.writerows(rows)
    return len(rows)


# -- a volunteer's own view -------------------------------------------------------------------


@dataclass(frozen=True)
class MyShift:
    assignment_id: str
    shift_id: str
    day: dt.date
    starts: dt.time
    ends: dt.time
    place: str
    role: str
    status: str
    signed_in_at: dt.datetime | None  # local time
    signed_out_at: dt.datetime | None
    minutes: int


def shifts_of(ctx: ServiceContext, volunteer: Volunteer | str, start: dt.date, end: dt.date) -> list[MyShift]:
    """One volunteer's assignments between two dates (their own, or any for librarians)."""
    volunteer = get_volunteer(ctx, volunteer)
    query = (
        ShiftAssignment.select(ShiftAssignment, Shift, Location)
        .join(Shift)
        .join(Location)
        .where((ShiftAssignment.volunteer == volunteer) & Shift.day.between(start, end))
        .order_by(Shift.day, Shift.starts)
    )
    local = ctx.clock.to_local
    return [
        MyShift(
            a.id,
            a.shift_id,
            a.shift.day,
            a.shift.starts,
            a.shift.ends,
            a.shift.location.name,
            a.shift.role,
            a.status,
            local(a.signed_in_at) if a.signed_in_at else None,
            local(a.signed_out_at) if a.signed_out_at else None,
            a.minutes,
        )
        for a in query
    ]


def my_shifts(ctx: ServiceContext, start: dt.date | None = None, end: dt.date | None = None) -> list[MyShift]:
    """The signed-in volunteer's shifts (default: the last 30 days and the next 60)."""
    ctx.require(VOLUNTEER)
    volunteer = own_volunteer(ctx)
    today = ctx.clock.today()
    return shifts_of(ctx, volunteer, start or today - dt.timedelta(days=30), end or today + dt.timedelta(days=60))


def roster_sheet(ctx: ServiceContext, roster: WeekRoster) -> RosterSheet:
    """The week's roster as plain data for the printed sheet."""
    return RosterSheet(
        library=ctx.branch.library_name,
        branch=ctx.branch.name,
        monday=roster.monday,
        places=roster.places,
        shifts=[
            RosterShift(
                place_code=s.location_code,
                day=s.day,
                starts=hhmm(s.starts),
                ends=hhmm(s.ends),
                role=SKILLS.get(s.role, s.role),
                slots=s.slots,
                names=tuple(p.name for p in s.people),
                needs_background_check=s.needs_background_check,
                cancelled=s.cancelled,
            )
            for s in roster.shifts
        ],
        printed_on=ctx.clock.today(),
    )
