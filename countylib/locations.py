"""Service points beyond the branch building: reading points (便民阅读点), the book van and its stops.

A reading point lives in a host organisation (a village committee, a school, a factory) with a
contact person there. The van drives routes; each stop is a place with a weekday and a time, so
loans made at a stop count for that stop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from countylib.calendar import WEEKDAY_NAMES
from countylib.context import ServiceContext, service
from countylib.errors import NotFound, RuleViolation, ValidationError
from countylib.i18n import N_, _, join_list
from countylib.roles import LIBRARIAN
from models import Location

CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
# Long enough for 城东社区便民阅读点 and the like; longer names are whole addresses, which
# crowd out every other column of the lists and the van timetable.
MAX_NAME = 30
MAX_TEXT = 60  # host organisation, contact, route
CODE_EXAMPLES = {"reading_point": "RP-DONGCUN", "van": "VAN-1", "van_stop": "VS-DONGCUN"}

KIND_NAMES = {
    "branch": N_("Branch"),
    "reading_point": N_("Reading point"),
    "van": N_("Book van"),
    "van_stop": N_("Van stop"),
}
# Places staff add here; branch buildings come from setting up a branch (or from sync).
ADDABLE_KINDS = ("reading_point", "van", "van_stop")


def kind_name(kind: str) -> str:
    return _(KIND_NAMES.get(kind, kind))


def weekday_name(weekday: int | None) -> str:
    return "" if weekday is None else _(WEEKDAY_NAMES[weekday])


@dataclass
class PlaceDraft:
    """What staff type for a place; checked by ``add_location`` and ``update_location``."""

    code: str
    name: str
    kind: str
    host_organisation: str = ""
    contact: str = ""
    route: str = ""
    weekday: int | None = None
    time_of_day: str = ""


def _clean(draft: PlaceDraft) -> PlaceDraft:
    code = draft.code.strip().upper()
    if not CODE.match(code):
        raise ValidationError(
            "A place code is 2 to 32 letters, digits or dashes, e.g. {example}.", example=CODE_EXAMPLES.get(draft.kind, "RP-DONGCUN")
        )
    name = draft.name.strip()
    if not name:
        raise ValidationError("The place needs a name.")
    if len(name) > MAX_NAME:
        raise ValidationError("The place name is {n} characters long; keep it to {max} at most.", n=len(name), max=MAX_NAME)
    for text in (draft.host_organisation, draft.contact, draft.route):
        if len(text.strip()) > MAX_TEXT:
            raise ValidationError("{text} is too long; keep it to {max} characters at most.", text=text.strip()[:20] + "…", max=MAX_TEXT)
    if draft.kind not in ADDABLE_KINDS:
        raise ValidationError("A place added here is a reading point, the book van or a van stop.")
    clean = PlaceDraft(
        code=code,
        name=name,
        kind=draft.kind,
        host_organisation=draft.host_organisation.strip(),
        contact=draft.contact.strip(),
        route=draft.route.strip(),
        weekday=draft.weekday,
        time_of_day=draft.time_of_day.strip(),
    )
    if clean.kind == "reading_point" and not clean.host_organisation:
        raise ValidationError("A reading point needs its host organisation (the village committee, school ...).")
    if clean.kind == "van_stop":
        if not clean.route:
            raise ValidationError("A van stop needs the route it is on.")
        if clean.weekday is None or not 0 <= clean.weekday <= 6:
            raise ValidationError("A van stop needs the weekday the van comes.")
        match = TIME.match(clean.time_of_day)
        if not match:
            raise ValidationError("Write the van's time as hours:minutes, e.g. 09:30.")
        clean.time_of_day = f"{int(match.group(1)):02d}:{match.group(2)}"
    else:
        # Only stops keep a timetable; a stray weekday on a reading point would show in the schedule.
        clean.weekday, clean.time_of_day = None, ""
        if clean.kind == "reading_point":
            clean.route = ""
    return clean


def location_payload(location: Location) -> dict:
    return {
        "id": location.id,
        "code": location.code,
        "name": location.name,
        "kind": location.kind,
        "branch": location.branch.code,
        "host_organisation": location.host_organisation,
        "contact": location.contact,
        "route": location.route,
        "weekday": location.weekday,
        "time_of_day": location.time_of_day,
        "active": location.active,
    }


def van_routes() -> list[str]:
    """The routes the open book vans drive: a van stop is on one of them."""
    vans = Location.select(Location.route).where(Location.kind == "van", Location.active, Location.route != "")
    return sorted({van.route for van in vans})


def _check_route(clean: PlaceDraft, before: Location | None = None) -> None:
    """A stop is on a route a van drives; a new route comes with its van (New van), so a
    misspelt route does not turn into a line no van serves. A stop keeps its route when
    it is edited, even if that van has since been closed."""
    if clean.kind != "van_stop" or (before is not None and before.route == clean.route):
        return
    routes = van_routes()
    if clean.route in routes:
        return
    if not routes:
        raise ValidationError("No book van has a route yet; add the van with its route first (New van).")
    raise ValidationError(
        "No book van drives the route {route}. Choose one of: {routes}; for a new route, add its van first.",
        route=clean.route,
        routes=join_list(routes),
    )


@service(LIBRARIAN)
def add_location(ctx: ServiceContext, draft: PlaceDraft) -> Location:
    clean = _clean(draft)
    _check_route(clean)
    if Location.select().where(Location.code == clean.code).exists():
        raise RuleViolation("There is already a place with the code {code}.", code=clean.code)
    location = Location.create(
        branch=ctx.branch,
        code=clean.code,
        name=clean.name,
        kind=clean.kind,
        host_organisation=clean.host_organisation,
        contact=clean.contact,
        route=clean.route,
        weekday=clean.weekday,
        time_of_day=clean.time_of_day,
    )
    ctx.record("location.added", {"location": location_payload(location)})
    return location


FIELDS = ("name", "kind", "host_organisation", "contact", "route", "weekday", "time_of_day")


@service(LIBRARIAN)
def update_location(ctx: ServiceContext, code: str, draft: PlaceDraft) -> Location:
    """Change a place's details; its code stays (loans and items name it)."""
    location = location_by_code(code)
    if location.kind == "branch":
        raise RuleViolation("A branch building is changed in the branch setup, not here.")
    clean = _clean(PlaceDraft(**{**draft.__dict__, "code": location.code}))
    _check_route(clean, location)
    changes = {f: getattr(clean, f) for f in FIELDS if getattr(clean, f) != getattr(location, f)}
    if not changes:
        return location
    if "kind" in changes and _items_out_at(location):
        raise RuleViolation("Items are still deposited at {name}; take them back before changing what kind of place it is.", name=location.name)
    Location.update(**changes).where(Location.id == location.id).execute()
    ctx.record("location.updated", {"location_id": location.id, "code": location.code, "changes": changes})
    return Location.get_by_id(location.id)


@service(LIBRARIAN)
def set_location_active(ctx: ServiceContext, code: str, active: bool) -> Location:
    """Close a place (it stays in the history and the statistics) or open it again."""
    location = location_by_code(code)
    if location.kind == "branch":
        raise RuleViolation("A branch building is changed in the branch setup, not here.")
    if location.active == active:
        return location
    if not active:
        out = _items_out_at(location)
        if out:
            raise RuleViolation(
                "{count} items are still deposited at {name}; take them back before closing it.",
                count=out,
                name=location.name,
            )
    Location.update(active=active).where(Location.id == location.id).execute()
    ctx.record("location.updated", {"location_id": location.id, "code": location.code, "changes": {"active": active}})
    return Location.get_by_id(location.id)


def _items_out_at(location: Location) -> int:
    from models import DepositCollection, DepositLine

    return (
        DepositLine.select()
        .join(DepositCollection)
        .where(DepositCollection.location == location, DepositLine.returned_at.is_null())
        .count()
    )


# -- queries for screens and reports ------------------------------------------------------------


def location_by_code(code: str) -> Location:
    location = Location.get_or_none(Location.code == code.strip().upper())
    if location is None:
        raise NotFound("There is no place with the code {code}.", code=code.strip())
    return location


def list_locations(kind: str | None = None, *, include_inactive: bool = False) -> list[Location]:
    query = Location.select()
    if kind is not None:
        query = query.where(Location.kind == kind)
    if not include_inactive:
        query = query.where(Location.active == True)  # noqa: E712 (peewee expression)
    order = {k: i for i, k in enumerate(Location.KINDS)}
    return sorted(query, key=lambda loc: (order.get(loc.kind, 9), loc.code))


def deposit_destinations() -> list[Location]:
    """Places a deposit collection can go to: open reading points and the van."""
    return [loc for loc in list_locations() if loc.kind in ("reading_point", "van")]


def van_schedule() -> list[Location]:
    """Open van stops in the order of the week: weekday, then time, then route."""
    stops = list_locations("van_stop")
    return sorted(stops, key=lambda s: (s.weekday if s.weekday is not None else 9, s.time_of_day, s.route, s.code))


def van_stops_on(weekday: int) -> list[Location]:
    """Where the van goes on a weekday (0 = Monday): the day's stops in time order."""
    return [stop for stop in van_schedule() if stop.weekday == weekday]
