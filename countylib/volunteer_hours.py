"""Volunteer hours: signing in and out at the desk, corrections, no-shows, and the sums.

The hours are the minutes between sign-in and sign-out, as the desk saw them. A forgotten
sign-out, a wrong time or a helper who came without signing in is put right by a
librarian, who must say why; the old figures stay in the audit log and the events.

Signing in is for a shift that has not ended (from a while before it starts); a second
scan just after signing in is a double scan, not a sign-out. The sums count time given at
two overlapping shifts once, and a stay shorter than the settings' minimum as no shift.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from countylib.audit import record_audit
from countylib.context import ServiceContext, service
from countylib.errors import NotFound, RuleViolation, ValidationError
from countylib.i18n import N_, _
from countylib.roles import LIBRARIAN, VOLUNTEER
from countylib.settings import SettingSpec, get_setting, register_settings
from countylib.shifts import ASSIGNMENT_STATUSES, assignment_payload, get_assignment, hhmm, parse_time
from countylib.volunteers import ensure_own, get_volunteer, pinyin_of, volunteer_for_actor
from models import Location, Patron, Shift, ShiftAssignment, Volunteer

register_settings(
    SettingSpec(
        "volunteers.sign_in_early_minutes",
        60,
        N_("Minutes before a shift starts that a volunteer may sign in to it"),
    ),
    SettingSpec(
        "volunteers.double_scan_minutes",
        5,
        N_("Minutes after signing in in which a second scan is taken as a double scan, not a sign-out"),
    ),
    SettingSpec(
        "volunteers.min_shift_minutes",
        15,
        N_("Shortest stay counted as a shift served (in minutes)"),
    ),
)

MAX_MINUTES = 24 * 60


class JustSignedIn(RuleViolation):
    """A second scan moments after signing in: most likely the card went past the scanner
    twice, so it is not taken as a sign-out; the desk may still sign out on purpose."""

    def __init__(self, volunteer: Volunteer, signed_in_local: dt.datetime, minutes: int) -> None:
        super().__init__(
            N_("{name} signed in at {time}, {minutes} min ago; a second scan so soon is not taken as signing out."),
            name=volunteer.name,
            time=signed_in_local.strftime("%H:%M"),
            minutes=minutes,
        )
        self.volunteer = volunteer


def _iso(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def too_short_to_count(minutes: int) -> bool:
    """A stay the sums will not count as a shift served."""
    return minutes < int(get_setting("volunteers.min_shift_minutes"))


def find_volunteer_at_desk(ctx: ServiceContext, text: str) -> list[Volunteer]:
    """Who is at the desk: a scanned card (volunteer or reader card) or part of a name.

    A volunteer signed in to the app finds only themselves.
    """
    ctx.require(VOLUNTEER)
    text = text.strip()
    if not text:
        raise ValidationError("Scan the volunteer's card or type their name.")
    card = text.upper()
    found = list(Volunteer.select().where(Volunteer.card_number == card))
    if not found:
        found = list(Volunteer.select().join(Patron).where(Patron.card_number == card))
    if not found:
        folded = pinyin_of(text)[0] if not text.isascii() else text.lower().replace(" ", "")
        found = list(
            Volunteer.select()
            .where(
                (Volunteer.status != "left")
                & (
                    Volunteer.name.contains(text)
                    | Volunteer.name_pinyin.startswith(folded)
                    | Volunteer.name_initials.startswith(folded)
                )
            )
            .order_by(Volunteer.name_pinyin)
            .limit(20)
        )
    if not ctx.actor.at_least(LIBRARIAN):
        me = volunteer_for_actor(ctx)
        found = [v for v in found if me is not None and v.id == me.id]
    if not found:
        raise NotFound("No volunteer matches {text}.", text=text)
    return found


def _today_open(volunteer: Volunteer, today: dt.date) -> list[ShiftAssignment]:
    return list(
        ShiftAssignment.select(ShiftAssignment, Shift)
        .join(Shift)
        .where(
            (ShiftAssignment.volunteer == volunteer)
            & (Shift.day == today)
            & (Shift.cancelled == False)  # noqa: E712
            & (ShiftAssignment.status == "assigned")
        )
        .order_by(Shift.starts)
    )


def _signed_in(volunteer: Volunteer) -> ShiftAssignment | None:
    return (
        ShiftAssignment.select()
        .where(
            (ShiftAssignment.volunteer == volunteer)
            & ShiftAssignment.signed_in_at.is_null(False)
            & ShiftAssignment.signed_out_at.is_null()
            & (ShiftAssignment.status == "attended")
        )
        .first()
    )


def _local(ctx: ServiceContext, day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, ctx.clock.timezone)


def _shift_to_sign_in(ctx: ServiceContext, volunteer: Volunteer, waiting: list[ShiftAssignment]) -> ShiftAssignment:
    """The shift under way or about to start whose start is nearest now; refuses when every
    one of today's shifts has ended or is still too far off."""
    now_local = ctx.clock.local_now()
    early = dt.timedelta(minutes=int(get_setting("volunteers.sign_in_early_minutes")))
    open_now = [
        a for a in waiting if _local(ctx, a.shift.day, a.shift.starts) - early <= now_local < _local(ctx, a.shift.day, a.shift.ends)
    ]
    if open_now:
        return min(open_now, key=lambda a: abs((_local(ctx, a.shift.day, a.shift.starts) - now_local).total_seconds()))
    coming = [a for a in waiting if now_local < _local(ctx, a.shift.day, a.shift.starts)]
    if coming:
        a = coming[0]
        raise RuleViolation(
            "{name}'s next shift is {start}–{end} at {place}; signing in for it opens at {time}.",
            name=volunteer.name,
            start=hhmm(a.shift.starts),
            end=hhmm(a.shift.ends),
            place=a.shift.location.name,
            time=(_local(ctx, a.shift.day, a.shift.starts) - early).strftime("%H:%M"),
        )
    a = waiting[-1]
    raise RuleViolation(
        "{name}'s shift today ({start}–{end}) has already ended; if they did come, a librarian can record the hours in the shift.",
        name=volunteer.name,
        start=hhmm(a.shift.starts),
        end=hhmm(a.shift.ends),
    )


@service(VOLUNTEER)
def sign_in_volunteer(ctx: ServiceContext, volunteer: Volunteer | str) -> ShiftAssignment:
    """Start today's shift: of those not yet ended, the one whose start is nearest to now."""
    volunteer = get_volunteer(ctx, volunteer)
    already = _signed_in(volunteer)
    if already is not None:
        raise RuleViolation(
            "{name} signed in at {time} and has not signed out yet.",
            name=volunteer.name,
            time=ctx.clock.to_local(already.signed_in_at).strftime("%H:%M"),
        )
    waiting = _today_open(volunteer, ctx.clock.local_now().date())
    if not waiting:
        raise RuleViolation("{name} has no shift today to sign in to.", name=volunteer.name)
    assignment = _shift_to_sign_in(ctx, volunteer, waiting)
    assignment.status, assignment.signed_in_at = "attended", ctx.clock.utcnow()
    assignment.save()
    ctx.record("shift.signed_in", {**assignment_payload(assignment), "signed_in_at": _iso(assignment.signed_in_at)})
    return assignment


@service(VOLUNTEER)
def sign_out_volunteer(ctx: ServiceContext, volunteer: Volunteer | str) -> ShiftAssignment:
    """End the shift the volunteer signed in to; the minutes between are their hours."""
    volunteer = get_volunteer(ctx, volunteer)
    assignment = _signed_in(volunteer)
    if assignment is None:
        raise RuleViolation("{name} has not signed in, so there is nothing to sign out of.", name=volunteer.name)
    now = ctx.clock.utcnow()
    if assignment.shift.day != ctx.clock.today():
        raise RuleViolation(
            "{name} signed in on {day} and never signed out; a librarian can correct that shift's hours.",
            name=volunteer.name,
            day=assignment.shift.day.isoformat(),
        )
    if now < assignment.signed_in_at:
        raise RuleViolation("The sign-out time would be before the sign-in time; check the computer's clock.")
    assignment.signed_out_at = now
    assignment.minutes = int((now - assignment.signed_in_at).total_seconds() // 60)
    assignment.save()
    ctx.record(
        "shift.signed_out",
        {**assignment_payload(assignment), "signed_out_at": _iso(now), "minutes": assignment.minutes},
    )
    return assignment


@service(VOLUNTEER)
def sign_in_or_out(ctx: ServiceContext, volunteer: Volunteer | str) -> tuple[ShiftAssignment, bool]:
    """The desk's one scan: signs out whoever is signed in, otherwise signs in (True).

    Raises JustSignedIn for a scan within minutes of signing in; sign_out_volunteer is the
    deliberate way out.
    """
    volunteer = get_volunteer(ctx, volunteer)
    current = _signed_in(volunteer)
    if current is not None:
        since = ctx.clock.utcnow() - current.signed_in_at
        if since < dt.timedelta(minutes=int(get_setting("volunteers.double_scan_minutes"))):
            raise JustSignedIn(volunteer, ctx.clock.to_local(current.signed_in_at), int(since.total_seconds() // 60))
        return sign_out_volunteer(ctx, volunteer), False
    return sign_in_volunteer(ctx, volunteer), True


def day_sheet(ctx: ServiceContext, day: dt.date) -> list[ShiftAssignment]:
    """Everyone expected, present or missing on a day's shifts: the desk's list."""
    ctx.require(LIBRARIAN)
    return list(
        ShiftAssignment.select(ShiftAssignment, Shift, Location, Volunteer)
        .join(Shift)
        .join(Location)
        .switch(ShiftAssignment)
        .join(Volunteer)
        .where((Shift.day == day) & ShiftAssignment.status.in_(("assigned", "attended", "no_show")))
        .order_by(Shift.starts, Location.code, Volunteer.name_pinyin)
    )


def _local_to_utc(ctx: ServiceContext, day: dt.date, value: dt.time | str | None, what: str) -> dt.datetime | None:
    if value is None or value == "":
        return None
    moment = dt.datetime.combine(day, parse_time(value, what), ctx.clock.timezone)
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


@service(LIBRARIAN)
def correct_hours(
    ctx: ServiceContext,
    assignment: ShiftAssignment | str,
    *,
    reason: str,
    signed_in: dt.time | str | None = None,
    signed_out: dt.time | str | None = None,
    minutes: int | None = None,
) -> ShiftAssignment:
    """Set the times (local, on the shift's day) or the minutes of one shift, with a reason.

    Also turns a no-show or a missing sign-in into attendance when the volunteer did come.
    """
    a = get_assignment(assignment)
    reason = reason.strip()
    if not reason:
        raise ValidationError("Please give a reason for the correction.")
    if a.status in ("cancelled", "swapped"):
        raise RuleViolation(
            "This assignment was {status}; there are no hours to correct.", status=_(ASSIGNMENT_STATUSES[a.status])
        )
    day = a.shift.day
    new_in = _local_to_utc(ctx, day, signed_in, N_("Signed in")) or a.signed_in_at
    new_out = _local_to_utc(ctx, day, signed_out, N_("Signed out")) or a.signed_out_at
    if minutes is None:
        if new_in is None or new_out is None:
            raise ValidationError("Give both the sign-in and the sign-out time, or the minutes.")
        if new_out <= new_in:
            raise ValidationError("The sign-out time is before the sign-in time.")
        minutes = int((new_out - new_in).total_seconds() // 60)
    if not 0 <= int(minutes) <= MAX_MINUTES:
        raise ValidationError("The minutes must be between 0 and {n}.", n=MAX_MINUTES)
    if new_in and new_out and new_out <= new_in:
        raise ValidationError("The sign-out time is before the sign-in time.")
    if new_in and a.shift.day > ctx.clock.today():
        raise ValidationError("Hours cannot be recorded for a shift that has not happened yet.")
    previous = {"minutes": a.minutes, "status": a.status}
    a.signed_in_at, a.signed_out_at, a.minutes = new_in, new_out, int(minutes)
    a.status, a.correction_reason = "attended", reason
    a.save()
    record_audit(ctx, "shift.hours_corrected", "shift_assignment", a.id, reason=reason, **previous, new_minutes=a.minutes)
    ctx.record(
        "shift.hours_corrected",
        {
            **assignment_payload(a),
            "signed_in_at": _iso(a.signed_in_at) if a.signed_in_at else None,
            "signed_out_at": _iso(a.signed_out_at) if a.signed_out_at else None,
            "minutes": a.minutes,
            "previous_minutes": previous["minutes"],
            "previous_status": previous["status"],
            "reason": reason,
        },
    )
    return a


@service(LIBRARIAN)
def mark_no_show(ctx: ServiceContext, assignment: ShiftAssignment | str) -> ShiftAssignment:
    a = get_assignment(assignment)
    if a.status != "assigned":
        raise RuleViolation("Only a volunteer who was expected and did not sign in can be marked as not coming.")
    starts = dt.datetime.combine(a.shift.day, a.shift.starts, ctx.clock.timezone)
    if ctx.clock.now() < starts:
        raise RuleViolation("The shift has not started yet.")
    a.status = "no_show"
    a.save()
    ctx.record("shift.no_show", assignment_payload(a))
    return a


@service(LIBRARIAN)
def record_no_shows(ctx: ServiceContext, day: dt.date) -> list[ShiftAssignment]:
    """Everyone still only "assigned" to a shift of that day which has ended did not come."""
    now = ctx.clock.now()
    marked = []
    for a in (
        ShiftAssignment.select(ShiftAssignment, Shift)
        .join(Shift)
        .where((Shift.day == day) & (Shift.cancelled == False) & (ShiftAssignment.status == "assigned"))  # noqa: E712
    ):
        if dt.datetime.combine(a.shift.day, a.shift.ends, ctx.clock.timezone) <= now:
            marked.append(mark_no_show(ctx, a))
    return marked


# -- sums -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """An attended shift as the sums count it."""

    assignment: ShiftAssignment  # with its shift and place
    minutes: int  # time not already counted at an overlapping shift of the same volunteer


def served_shifts(
    ctx: ServiceContext, start: dt.date, end: dt.date, volunteer: Volunteer | None = None
) -> list[Served]:
    """Attended shifts between two dates, the same for every sum and paper.

    A volunteer cannot give the same hour twice: where two of their stays overlap, the later
    one counts only the time the earlier did not. What is left below the minimum stay (a
    sign-out moments after signing in, a shift wholly inside another) is no shift served.
    """
    query = (
        ShiftAssignment.select(ShiftAssignment, Shift, Location)
        .join(Shift)
        .join(Location)
        .where((ShiftAssignment.status == "attended") & Shift.day.between(start, end))
    )
    if volunteer is not None:
        query = query.where(ShiftAssignment.volunteer == volunteer)
    shortest = int(get_setting("volunteers.min_shift_minutes"))

    def began(a: ShiftAssignment) -> dt.datetime:
        # Corrected by minutes alone, a stay has no sign-in time: it is taken from the shift's start.
        return a.signed_in_at or _local_to_utc(ctx, a.shift.day, a.shift.starts, N_("Start"))

    stays = sorted(query, key=lambda a: (a.volunteer_id, began(a), a.id))
    result: list[Served] = []
    counted_until: dict[str, dt.datetime] = {}
    for a in stays:
        begin = began(a)
        finish = begin + dt.timedelta(minutes=a.minutes)
        covered = counted_until.get(a.volunteer_id)
        new_from = max(begin, covered) if covered else begin
        minutes = max(0, int((finish - new_from).total_seconds() // 60))
        counted_until[a.volunteer_id] = max(finish, covered) if covered else finish
        if minutes >= shortest:
            result.append(Served(a, minutes))
    return sorted(result, key=lambda s: (s.assignment.shift.day, s.assignment.shift.starts, s.assignment.volunteer_id))


def _sums(served: list[Served]) -> dict[str, Any]:
    return {
        "minutes": sum(s.minutes for s in served),
        "shifts": len(served),
        "volunteers": len({s.assignment.volunteer_id for s in served}),
    }


def hours_by_month(ctx: ServiceContext, year: int) -> list[dict[str, Any]]:
    """Per month: minutes given, shifts attended, distinct volunteers (the reports use this)."""
    ctx.require(LIBRARIAN)
    served = served_shifts(ctx, dt.date(year, 1, 1), dt.date(year, 12, 31))
    return [
        {"month": m, **_sums([s for s in served if s.assignment.shift.day.month == m])} for m in range(1, 13)
    ]


def hours_by_place(ctx: ServiceContext, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Per place (branch, reading point, van stop) between two dates, most hours first."""
    ctx.require(LIBRARIAN)
    by_place: dict[tuple[str, str], list[Served]] = {}
    for s in served_shifts(ctx, start, end):
        place = s.assignment.shift.location
        by_place.setdefault((place.code, place.name), []).append(s)
    rows = [{"code": code, "place": name, **_sums(served)} for (code, name), served in by_place.items()]
    return sorted(rows, key=lambda r: -r["minutes"])


@dataclass(frozen=True)
class HoursLine:
    day: dt.date
    place: str
    role: str
    starts: str
    ends: str
    minutes: int


def hours_lines(ctx: ServiceContext, volunteer: Volunteer | str, start: dt.date, end: dt.date) -> list[HoursLine]:
    """One volunteer's attended shifts (their own, or anyone's for librarians)."""
    volunteer = get_volunteer(ctx, volunteer)
    ensure_own(ctx, volunteer)
    return [
        HoursLine(
            s.assignment.shift.day,
            s.assignment.shift.location.name,
            s.assignment.shift.role,
            hhmm(s.assignment.shift.starts),
            hhmm(s.assignment.shift.ends),
            s.minutes,
        )
        for s in served_shifts(ctx, start, end, volunteer)
    ]
