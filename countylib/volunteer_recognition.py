"""Evaluating volunteers: ratings after shifts, the periodic review (小评 + 总结), the annual
ranking that proposes outstanding volunteers (优秀志愿者) for staff to confirm, and the
papers a volunteer takes home (hours statement, certificate of service).

The ranking's score, so staff can explain it: half from hours (relative to the year's
most hours), three tenths from reliability (shifts attended / shifts they stayed assigned
to, no-shows counting against), two tenths from the average rating (out of 5; unrated
counts as 3). Only volunteers meeting the settings' minimum hours, reliability and
rating are proposed, the best few by score.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from countylib.audit import record_audit
from countylib.context import ServiceContext, service
from countylib.errors import RuleViolation, ValidationError
from countylib.i18n import N_
from countylib.roles import LIBRARIAN
from countylib.settings import SettingSpec, get_setting, register_settings
from countylib.shifts import assignment_payload, get_assignment
from countylib.volunteer_hours import hours_lines, served_shifts
from countylib.volunteers import SKILLS, get_volunteer, parse_date
from models import Shift, ShiftAssignment, Volunteer, VolunteerHonour, VolunteerReview
from printing.volunteers import HoursStatement, ServiceCertificate, StatementLine

register_settings(
    SettingSpec("volunteers.outstanding_count", 3, N_("Outstanding volunteers proposed each year")),
    SettingSpec("volunteers.outstanding_min_hours", 20, N_("Hours a year needed to be proposed as outstanding")),
    SettingSpec(
        "volunteers.outstanding_min_reliability", 0.9, N_("Share of shifts attended needed to be proposed as outstanding")
    ),
    SettingSpec("volunteers.outstanding_min_rating", 4.0, N_("Average rating needed to be proposed as outstanding")),
)

OUTSTANDING = "outstanding"
HONOUR_TITLES = {OUTSTANDING: N_("Outstanding Volunteer")}
MAX_BRIEF = 100
UNRATED = 3.0


# -- ratings and reviews ----------------------------------------------------------------------


@service(LIBRARIAN)
def rate_assignment(ctx: ServiceContext, assignment: ShiftAssignment | str, rating: int, comment: str = "") -> ShiftAssignment:
    """A short rating (1–5) of how a shift went, with an optional remark."""
    a = get_assignment(assignment)
    if a.status != "attended":
        raise RuleViolation("Only a shift the volunteer attended can be rated.")
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        raise ValidationError("A rating is a whole number from 1 to 5.") from None
    if not 1 <= rating <= 5:
        raise ValidationError("A rating is a whole number from 1 to 5.")
    a.rating, a.comment = rating, comment.strip()
    a.save()
    ctx.record("shift.rated", {**assignment_payload(a), "rating": a.rating, "comment": a.comment})
    return a


@dataclass(frozen=True)
class PeriodFacts:
    """What the record says about a volunteer's period: the basis for a review."""

    attended: int
    no_shows: int
    minutes: int
    ratings: int
    average_rating: float | None
    comments: tuple[str, ...]

    @property
    def assigned(self) -> int:
        return self.attended + self.no_shows

    @property
    def reliability(self) -> float | None:
        return self.attended / self.assigned if self.assigned else None


def period_facts(ctx: ServiceContext, volunteer: Volunteer | str, start: dt.date, end: dt.date) -> PeriodFacts:
    ctx.require(LIBRARIAN)
    volunteer = get_volunteer(ctx, volunteer)
    served = served_shifts(ctx, start, end, volunteer)
    rated = [s.assignment.rating for s in served if s.assignment.rating]
    return PeriodFacts(
        attended=len(served),
        no_shows=_no_shows(start, end).where(ShiftAssignment.volunteer == volunteer).count(),
        minutes=sum(s.minutes for s in served),
        ratings=len(rated),
        average_rating=round(sum(rated) / len(rated), 2) if rated else None,
        comments=tuple(s.assignment.comment for s in served if s.assignment.comment),
    )


def _no_shows(start: dt.date, end: dt.date):
    return ShiftAssignment.select().join(Shift).where((ShiftAssignment.status == "no_show") & Shift.day.between(start, end))


@service(LIBRARIAN)
def write_review(
    ctx: ServiceContext,
    volunteer: Volunteer | str,
    *,
    period_start: dt.date | str,
    period_end: dt.date | str,
    brief: str,
    summary: str = "",
) -> VolunteerReview:
    """The periodic evaluation: a one-line remark (小评) and the summary (总结)."""
    volunteer = get_volunteer(ctx, volunteer)
    start, end = parse_date(period_start, N_("First day")), parse_date(period_end, N_("Last day"))
    if start is None or end is None:
        raise ValidationError("A review needs the first and the last day of its period.")
    if end < start:
        raise ValidationError("The period ends before it starts.")
    brief = " ".join(brief.split())
    if not brief:
        raise ValidationError("The short remark (小评) is required.")
    if len(brief) > MAX_BRIEF:
        raise ValidationError("The short remark is at most {n} characters; put the rest in the summary.", n=MAX_BRIEF)
    review = VolunteerReview.create(
        volunteer=volunteer,
        period_start=start,
        period_end=end,
        brief=brief,
        summary=summary.strip(),
        reviewer=ctx.actor.staff_id,
        created_at=ctx.clock.utcnow(),
    )
    ctx.record(
        "volunteer.reviewed",
        {
            "review": {
                "id": review.id,
                "volunteer_id": volunteer.id,
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
                "brief": review.brief,
                "summary": review.summary,
                "reviewer": ctx.actor.username,
            }
        },
    )
    return review


def reviews_of(ctx: ServiceContext, volunteer: Volunteer | str) -> list[VolunteerReview]:
    ctx.require(LIBRARIAN)
    volunteer = get_volunteer(ctx, volunteer)
    return list(volunteer.reviews.order_by(VolunteerReview.period_end.desc()))


# -- the annual ranking -----------------------------------------------------------------------


@dataclass(frozen=True)
class RankRow:
    volunteer_id: str
    name: str
    status: str
    minutes: int
    attended: int
    no_shows: int
    ratings: int
    average_rating: float | None
    score: float
    proposed: bool
    honoured: bool

    @property
    def assigned(self) -> int:
        return self.attended + self.no_shows

    @property
    def reliability(self) -> float:
        return self.attended / self.assigned if self.assigned else 0.0


def score(minutes: int, most_minutes: int, reliability: float, average_rating: float | None) -> float:
    hours_part = minutes / most_minutes if most_minutes else 0.0
    rating_part = (average_rating if average_rating is not None else UNRATED) / 5
    return round(0.5 * hours_part + 0.3 * reliability + 0.2 * rating_part, 4)


def annual_ranking(ctx: ServiceContext, year: int) -> list[RankRow]:
    """Every volunteer with a shift that year, best first; the top eligible ones are proposed."""
    ctx.require(LIBRARIAN)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    tally: dict[str, dict[str, int]] = {}

    def row(volunteer_id: str) -> dict[str, int]:
        return tally.setdefault(volunteer_id, {"attended": 0, "no_shows": 0, "minutes": 0, "ratings": 0, "rating_sum": 0})

    for s in served_shifts(ctx, start, end):
        r = row(s.assignment.volunteer_id)
        r["attended"] += 1
        r["minutes"] += s.minutes
        if s.assignment.rating is not None:
            r["ratings"] += 1
            r["rating_sum"] += s.assignment.rating
    for a in _no_shows(start, end):
        row(a.volunteer_id)["no_shows"] += 1
    rows = [{"volunteer": volunteer_id, **r} for volunteer_id, r in tally.items()]
    if not rows:
        return []
    people = {v.id: v for v in Volunteer.select().where(Volunteer.id.in_([r["volunteer"] for r in rows]))}
    honoured = {
        h.volunteer_id
        for h in VolunteerHonour.select().where((VolunteerHonour.year == year) & (VolunteerHonour.title == OUTSTANDING))
    }
    most = max(int(r["minutes"] or 0) for r in rows)
    min_minutes = float(get_setting("volunteers.outstanding_min_hours")) * 60
    min_reliability = float(get_setting("volunteers.outstanding_min_reliability"))
    min_rating = float(get_setting("volunteers.outstanding_min_rating"))
    drafts: list[dict[str, Any]] = []
    for r in rows:
        v = people[r["volunteer"]]
        ratings = int(r["ratings"] or 0)
        average = round(int(r["rating_sum"] or 0) / ratings, 2) if ratings else None
        assigned = int(r["attended"]) + int(r["no_shows"])
        reliability = int(r["attended"]) / assigned if assigned else 0.0
        eligible = (
            v.status != "left"
            and int(r["minutes"] or 0) >= min_minutes
            and reliability >= min_reliability
            and (average is None or average >= min_rating)
        )
        drafts.append(
            dict(
                volunteer_id=v.id,
                name=v.name,
                status=v.status,
                minutes=int(r["minutes"] or 0),
                attended=int(r["attended"]),
                no_shows=int(r["no_shows"]),
                ratings=ratings,
                average_rating=average,
                score=score(int(r["minutes"] or 0), most, reliability, average),
                eligible=eligible,
                pinyin=v.name_pinyin,
            )
        )
    drafts.sort(key=lambda d: (-d["score"], -d["minutes"], d["pinyin"], d["name"]))
    places = int(get_setting("volunteers.outstanding_count"))
    result = []
    for d in drafts:
        proposed = d.pop("eligible") and places > 0
        if proposed:
            places -= 1
        d.pop("pinyin")
        result.append(RankRow(**d, proposed=proposed, honoured=d["volunteer_id"] in honoured))
    return result


@service(LIBRARIAN)
def confirm_outstanding(ctx: ServiceContext, year: int, volunteers: list[Volunteer | str]) -> list[VolunteerHonour]:
    """Staff confirm the year's outstanding volunteers (from the proposal or their own choice)."""
    if year > ctx.clock.today().year:
        raise ValidationError("The year {year} has not begun yet.", year=year)
    if not volunteers:
        raise ValidationError("Choose at least one volunteer to confirm.")
    ranking = {row.volunteer_id: row for row in annual_ranking(ctx, year)}
    made = []
    for item in volunteers:
        v = get_volunteer(ctx, item)
        if VolunteerHonour.select().where(
            (VolunteerHonour.volunteer == v) & (VolunteerHonour.year == year) & (VolunteerHonour.title == OUTSTANDING)
        ).exists():
            raise RuleViolation("{name} is already an outstanding volunteer for {year}.", name=v.name, year=year)
        row = ranking.get(v.id)
        if row is None:
            raise RuleViolation("{name} has no attended shifts in {year}.", name=v.name, year=year)
        honour = VolunteerHonour.create(
            volunteer=v,
            year=year,
            title=OUTSTANDING,
            minutes=row.minutes,
            confirmed_by=ctx.actor.staff_id,
            confirmed_at=ctx.clock.utcnow(),
        )
        record_audit(ctx, "volunteer.honoured", "volunteer", v.id, year=year, proposed=row.proposed)
        ctx.record(
            "volunteer.honoured",
            {
                "honour": {
                    "id": honour.id,
                    "volunteer_id": v.id,
                    "card_number": v.card_number,
                    "year": year,
                    "title": OUTSTANDING,
                    "minutes": honour.minutes,
                    "proposed": row.proposed,
                    "confirmed_by": ctx.actor.username,
                }
            },
        )
        made.append(honour)
    return made


# -- papers to take home ------------------------------------------------------------------------


def _role_msgid(role: str) -> str:
    return SKILLS.get(role, role)


def hours_statement(ctx: ServiceContext, volunteer: Volunteer | str, start: dt.date, end: dt.date) -> HoursStatement:
    """Data for the hours statement; a volunteer may have their own."""
    volunteer = get_volunteer(ctx, volunteer)
    if end < start:
        raise ValidationError("The period ends before it starts.")
    lines = [
        StatementLine(line.day, line.place, _role_msgid(line.role), f"{line.starts}–{line.ends}", line.minutes)
        for line in hours_lines(ctx, volunteer, start, end)
    ]
    return HoursStatement(
        library=ctx.branch.library_name,
        branch=ctx.branch.name,
        volunteer=volunteer.name,
        id_masked=volunteer.id_number_masked,
        start=start,
        end=end,
        lines=lines,
        issued_on=ctx.clock.today(),
    )


def service_certificate(ctx: ServiceContext, volunteer: Volunteer | str, start: dt.date, end: dt.date) -> ServiceCertificate:
    """Data for the certificate of service: issued by the library, so librarians only."""
    ctx.require(LIBRARIAN)
    statement = hours_statement(ctx, volunteer, start, end)
    if not statement.lines:
        raise RuleViolation("{name} has no attended shifts in this period; there is nothing to certify.", name=statement.volunteer)
    v = get_volunteer(ctx, volunteer)
    places: list[str] = []
    for line in statement.lines:
        if line.place not in places:
            places.append(line.place)
    honours = [
        (h.year, HONOUR_TITLES.get(h.title, h.title))
        for h in v.honours.where(VolunteerHonour.year.between(start.year, end.year)).order_by(VolunteerHonour.year)
    ]
    return ServiceCertificate(
        library=ctx.branch.library_name,
        branch=ctx.branch.name,
        volunteer=v.name,
        id_masked=v.id_number_masked,
        start=start,
        end=end,
        minutes=statement.total_minutes,
        shifts=len(statement.lines),
        places=places,
        honours=honours,
        issued_on=ctx.clock.today(),
    )
