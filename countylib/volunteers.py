"""Volunteer records (志愿者): who they are, what they can do, when they can come.

A volunteer may also be a reader (link to a patron record) and may sign in to the app with
the volunteer role (link to a staff account); that link is how the services know which
shifts are "their own". ID numbers are never stored in full here: a keyed hash finds
duplicates and a masked form is shown.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import peewee as pw

from countylib import calendar, dates
from countylib.audit import record_audit
from countylib.context import ServiceContext, service
from countylib.errors import NotFound, PermissionDenied, RuleViolation, ValidationError
from countylib.i18n import N_, _
from countylib.idnumbers import RESIDENT_ID, check_id_number, id_number_hash, id_number_hashes, mask
from countylib.patrons import check_phone
from countylib.roles import LIBRARIAN, VOLUNTEER
from models import Patron, Staff, Volunteer

STATUSES = {
    "applicant": N_("Applicant"),
    "active": N_("Serving"),
    "paused": N_("Paused"),
    "left": N_("Left"),
}

# Skills the roster knows; a shift whose role is one of these asks for it. Staff may also
# type other skills, which are kept as written.
SKILLS = {
    "storytelling": N_("Storytelling"),
    "shelving": N_("Shelving"),
    "desk": N_("Desk help"),
    "computer_help": N_("Computer help"),
    "van_driving": N_("Van driving"),
    "events": N_("Events"),
    "reading_support": N_("Reading support"),
}

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
WEEKDAY_NAMES = dict(zip(WEEKDAYS, calendar.WEEKDAY_NAMES, strict=True))
PARTS = {"am": N_("Morning"), "pm": N_("Afternoon"), "eve": N_("Evening")}
NOON, EVENING = dt.time(12, 0), dt.time(18, 0)

CARD = re.compile(r"^[A-Za-z0-9\-]{3,32}$")
FIELDS = (
    "name",
    "phone",
    "id_type",
    "id_number",
    "card_number",
    "patron_card",
    "skills",
    "availability",
    "emergency_contact",
    "background_check_on",
    "status",
    "consent",
    "staff_username",
    "notes",
)


# -- small helpers the other volunteer modules share -----------------------------------------


def skill_label(code: str) -> str:
    return _(SKILLS[code]) if code in SKILLS else code


def status_label(status: str) -> str:
    return _(STATUSES.get(status, status))


def parts_of(starts: dt.time, ends: dt.time) -> list[str]:
    """Which parts of the day (am, pm, eve) a stretch of time touches."""
    parts = []
    if starts < NOON:
        parts.append("am")
    if starts < EVENING and ends > NOON:
        parts.append("pm")
    if ends > EVENING:
        parts.append("eve")
    return parts


def is_available(volunteer: Volunteer, day: dt.date, starts: dt.time, ends: dt.time) -> bool:
    offered = set((volunteer.availability or {}).get(WEEKDAYS[day.weekday()], []))
    return set(parts_of(starts, ends)) <= offered


def pinyin_of(name: str) -> tuple[str, str]:
    from pypinyin import Style, lazy_pinyin  # 0.3 s to import: only when a name is spelt
    syllables = lazy_pinyin(name)
    initials = lazy_pinyin(name, style=Style.FIRST_LETTER)
    return "".join(syllables).lower().replace(" ", ""), "".join(initials).lower().replace(" ", "")


def volunteer_for_actor(ctx: ServiceContext) -> Volunteer | None:
    """The volunteer record of whoever is signed in (None for the command line or no link)."""
    if ctx.actor.staff_id is None:
        return None
    return Volunteer.get_or_none(Volunteer.staff == ctx.actor.staff_id)


def ensure_own(ctx: ServiceContext, volunteer: Volunteer) -> None:
    """Librarians act for anyone; a volunteer only for their own record."""
    if ctx.actor.at_least(LIBRARIAN):
        return
    if ctx.actor.staff_id is None or volunteer.staff_id != ctx.actor.staff_id:
        raise PermissionDenied("Volunteers can only see and change their own shifts.")


def own_volunteer(ctx: ServiceContext) -> Volunteer:
    volunteer = volunteer_for_actor(ctx)
    if volunteer is None:
        raise NotFound(
            "The account {user} is not linked to a volunteer record; a librarian can link it.",
            user=ctx.actor.username,
        )
    return volunteer


def volunteer_payload(v: Volunteer) -> dict[str, Any]:
    return {
        "id": v.id,
        "name": v.name,
        "phone": v.phone,
        "card_number": v.card_number,
        "id_number_hash": v.id_number_hash,
        "id_number_masked": v.id_number_masked,
        "patron_id": v.patron_id,
        "patron_card_number": v.patron.card_number if v.patron_id else None,
        "staff_username": v.staff.username if v.staff_id else None,
        "skills": list(v.skills or []),
        "availability": dict(v.availability or {}),
        "emergency_contact": v.emergency_contact,
        "background_check_on": v.background_check_on.isoformat() if v.background_check_on else None,
        "status": v.status,
        "consent_at": _iso(v.consent_at),
        "created_at": _iso(v.created_at),
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _plain(value: Any) -> Any:
    """A changed value as the event carries it: times in UTC ISO, dates as YYYY-MM-DD."""
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# -- checking what staff typed -----------------------------------------------------------------


def parse_date(value: dt.date | str | None, what: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dates.parse_date(value)
    except ValidationError as exc:
        raise ValidationError("{what}: {problem}", what=_(what), problem=exc.message) from None


def _clean_skills(skills: Iterable[str]) -> list[str]:
    result: list[str] = []
    for skill in skills:
        skill = skill.strip()
        if skill and skill not in result:
            result.append(skill)
    return result


def _clean_availability(availability: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for day, parts in availability.items():
        if day not in WEEKDAYS:
            raise ValidationError("Unknown weekday {day} in the availability.", day=day)
        chosen = [p for p in PARTS if p in set(parts)]
        unknown = set(parts) - set(PARTS)
        if unknown:
            raise ValidationError("Unknown part of the day {part} in the availability.", part=sorted(unknown)[0])
        if chosen:
            result[day] = chosen
    return {day: result[day] for day in WEEKDAYS if day in result}


def _normalised(fields: dict[str, Any], ctx: ServiceContext, current: Volunteer | None) -> dict[str, Any]:
    """Check every typed field; returns model column values. Raises before anything is written."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationError("Unknown volunteer field {field}.", field=sorted(unknown)[0])
    values: dict[str, Any] = {}
    if "name" in fields:
        name = " ".join(str(fields["name"] or "").split())
        if not name:
            raise ValidationError("The volunteer's name is required.")
        values["name"] = name
        values["name_pinyin"], values["name_initials"] = pinyin_of(name)
    if "phone" in fields:
        values["phone"] = check_phone(str(fields["phone"] or ""), required=False)
    if "id_number" in fields:
        number = str(fields["id_number"] or "").strip()
        if number:
            number = check_id_number(fields.get("id_type") or RESIDENT_ID, number, ctx.clock.today()).number
            digest = id_number_hash(number)
            clash = Volunteer.select().where(Volunteer.id_number_hash.in_(id_number_hashes(number)))
            if current is not None:
                clash = clash.where(Volunteer.id != current.id)
            other = clash.first()
            if other is not None:
                raise RuleViolation("This ID number is already registered for the volunteer {name}.", name=other.name)
            values["id_number_hash"], values["id_number_masked"] = digest, mask(number)
        else:
            values["id_number_hash"], values["id_number_masked"] = "", ""
    if "card_number" in fields:
        card = str(fields["card_number"] or "").strip().upper() or None
        if card is not None:
            if not CARD.match(card):
                raise ValidationError("A card number is 3 to 32 letters, digits or dashes.")
            clash = Volunteer.select().where(Volunteer.card_number == card)
            if current is not None:
                clash = clash.where(Volunteer.id != current.id)
            other = clash.first()
            if other is not None:
                raise RuleViolation("The card {card} already belongs to the volunteer {name}.", card=card, name=other.name)
        values["card_number"] = card
    if "patron_card" in fields:
        card = str(fields["patron_card"] or "").strip().upper()
        patron = None
        if card:
            patron = Patron.get_or_none(Patron.card_number == card)
            if patron is None:
                raise NotFound("No reader has the card {card}.", card=card)
        values["patron"] = patron
    if "skills" in fields:
        values["skills"] = _clean_skills(fields["skills"] or [])
    if "availability" in fields:
        values["availability"] = _clean_availability(fields["availability"] or {})
    if "emergency_contact" in fields:
        values["emergency_contact"] = " ".join(str(fields["emergency_contact"] or "").split())
    if "background_check_on" in fields:
        checked = parse_date(fields["background_check_on"], N_("Background check date"))
        if checked is not None and checked > ctx.clock.today():
            raise ValidationError("The background check date cannot be in the future.")
        values["background_check_on"] = checked
    if "status" in fields:
        if fields["status"] not in STATUSES:
            raise ValidationError("Unknown volunteer status {status}.", status=fields["status"])
        values["status"] = fields["status"]
    if "consent" in fields:
        if not fields["consent"]:
            raise ValidationError(
                "The volunteer's consent to keep their personal data is needed before it can be recorded."
            )
        values["consent_at"] = current.consent_at if current and current.consent_at else ctx.clock.utcnow()
    if "staff_username" in fields:
        values["staff"] = _staff_account(fields["staff_username"], current)
    if "notes" in fields:
        values["notes"] = str(fields["notes"] or "").strip()
    return values


def _staff_account(username: str | None, current: Volunteer | None) -> Staff | None:
    username = (username or "").strip()
    if not username:
        return None
    staff = Staff.get_or_none(Staff.username == username)
    if staff is None:
        raise NotFound("No staff account {username}.", username=username)
    if staff.role != VOLUNTEER:
        raise ValidationError(
            "Only an account with the volunteer role can be linked to a volunteer; {username} is not one.",
            username=username,
        )
    other = Volunteer.select().where(Volunteer.staff == staff)
    if current is not None:
        other = other.where(Volunteer.id != current.id)
    linked = other.first()
    if linked is not None:
        raise RuleViolation("The account {username} is already linked to {name}.", username=username, name=linked.name)
    return staff


# -- services ------------------------------------------------------------------------------


@service(LIBRARIAN)
def register_volunteer(ctx: ServiceContext, **fields: Any) -> Volunteer:
    """Record a new volunteer; consent is needed before anything is kept."""
    fields.setdefault("consent", False)
    fields.setdefault("status", "applicant")
    if "name" not in fields:
        raise ValidationError("The volunteer's name is required.")
    values = _normalised(fields, ctx, None)
    now = ctx.clock.utcnow()
    volunteer = Volunteer.create(**values, created_at=now, updated_at=now)
    record_audit(ctx, "volunteer.registered", "volunteer", volunteer.id, name=volunteer.name)
    ctx.record("volunteer.registered", {"volunteer": volunteer_payload(volunteer)})
    return volunteer


@service(LIBRARIAN)
def update_volunteer(ctx: ServiceContext, volunteer: Volunteer | str, **fields: Any) -> dict[str, Any]:
    """Change some fields of a record; returns what changed (as sent to other branches)."""
    volunteer = get_volunteer(ctx, volunteer)
    values = _normalised(fields, ctx, volunteer)
    changes: dict[str, Any] = {}
    for column, value in values.items():
        if column == "patron":
            if volunteer.patron_id != (value.id if value else None):
                changes["patron_id"] = value.id if value else None
                changes["patron_card_number"] = value.card_number if value else None
        elif column == "staff":
            if volunteer.staff_id != (value.id if value else None):
                changes["staff_id"] = value.id if value else None
                changes["staff_username"] = value.username if value else None
        elif column not in ("name_pinyin", "name_initials") and getattr(volunteer, column) != value:
            changes[column] = _plain(value)
        setattr(volunteer, column, value)
    if not changes:
        return {}
    volunteer.updated_at = ctx.clock.utcnow()
    volunteer.save()
    record_audit(ctx, "volunteer.updated", "volunteer", volunteer.id, fields=sorted(changes))
    ctx.record("volunteer.updated", {"volunteer_id": volunteer.id, "card_number": volunteer.card_number, "changes": changes})
    return changes


def get_volunteer(ctx: ServiceContext, volunteer: Volunteer | str) -> Volunteer:
    """A volunteer by record or id; a volunteer actor may only fetch their own."""
    if isinstance(volunteer, str):
        found = Volunteer.get_or_none(Volunteer.id == volunteer)
        if found is None:
            raise NotFound("No volunteer record {id}.", id=volunteer)
        volunteer = found
    ensure_own(ctx, volunteer)
    return volunteer


def search_volunteers(
    ctx: ServiceContext,
    text: str = "",
    *,
    status: str | None = None,
    skill: str | None = None,
    limit: int = 200,
) -> list[Volunteer]:
    """By name, pinyin (full or initials), phone, card or skill; librarians only."""
    ctx.require(LIBRARIAN)
    query = Volunteer.select()
    if status:
        query = query.where(Volunteer.status == status)
    if skill:
        query = query.where(_has_skill(skill))
    text = text.strip()
    if text:
        folded = text.lower().replace(" ", "")
        condition = (
            Volunteer.name.contains(text)
            | Volunteer.phone.contains(text)
            | (Volunteer.card_number == text.upper())
            | Volunteer.name_pinyin.startswith(folded)
            | Volunteer.name_initials.startswith(folded)
            | _has_skill(text)
        )
        codes = [code for code, label in SKILLS.items() if text.lower() in (code, _(label).lower(), label.lower())]
        for code in codes:
            condition |= _has_skill(code)
        query = query.where(condition)
    order = {"active": 0, "applicant": 1, "paused": 2, "left": 3}
    found = list(query.order_by(Volunteer.name_pinyin, Volunteer.name).limit(limit))
    return sorted(found, key=lambda v: order.get(v.status, 9))


def _has_skill(skill: str) -> pw.Expression:
    # The skills column is a JSON list; match the quoted item (a LIKE on the field would
    # JSON-encode the pattern itself).
    return pw.fn.instr(Volunteer.skills, json.dumps(skill, ensure_ascii=False)) > 0


def volunteer_accounts(ctx: ServiceContext) -> list[Staff]:
    """Volunteer-role sign-in accounts, for linking one to a record."""
    ctx.require(LIBRARIAN)
    return list(Staff.select().where((Staff.role == VOLUNTEER) & (Staff.active == True)).order_by(Staff.username))  # noqa: E712
