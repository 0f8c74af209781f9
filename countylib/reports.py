"""Report figures: the day at a glance, circulation, classes and titles, readers, the collection,
patrons, activities, volunteers and donations, over any period and optionally one place.

Each figure is an SQL aggregate over the period; nothing is pre-computed or cached, so a report
is always today's truth. The big tables (5M loans in a county) are read only through indexes
that answer the question in index order: range counts per (place, category, day or month) for
circulation, one pass over the copies for classes and titles, one pass in reader order for the
most active readers. Times are stored in UTC; a period's days are the library's local days, so
its bounds are converted once here.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from peewee import fn

from countylib.activities import TYPE_NAMES
from countylib.circulation import UNDONE_CHECK_OUTS, undone_renewals
from countylib.clc import TOP_CLASSES
from countylib.context import ServiceContext
from countylib.desk_sql import stored_time
from countylib.errors import ValidationError
from countylib.i18n import LANGUAGE_NAMES, LANGUAGES, N_
from countylib.locations import KIND_NAMES, location_by_code
from countylib.patrons import CATEGORY_LABELS, DEFAULT_RETURN_REASONS
from countylib.report_data import (
    Activities,
    ActivityRow,
    AnnualReport,
    BucketRow,
    CategoryRow,
    Circulation,
    ClassRow,
    Collection,
    DayFigures,
    Donations,
    Glance,
    Patrons,
    Period,
    PeriodReport,
    PlaceRow,
    ReaderRow,
    Readers,
    ReasonRow,
    SourceRow,
    Target,
    TitleFigures,
    TitleRow,
    Volunteers,
    WeedingRow,
)
from countylib.roles import LIBRARIAN
from countylib.settings import SettingSpec, get_setting, register_settings
from countylib.visits import service_population
from models import Item, Loan, Location, Patron
from sync.hlc import pack

register_settings(
    SettingSpec("reports.turnover_target", 0.4, N_("Yearly turnover target (loans per copy held)"), LIBRARIAN),
    SettingSpec("reports.weeding_years", 3, N_("Titles not borrowed for this many years are weeding candidates"), LIBRARIAN),
    SettingSpec("reports.top_count", 10, N_("Rows in the top readers and top titles tables"), LIBRARIAN),
    SettingSpec(
        "reports.reader_names",
        "masked",
        N_("Readers in published reports: masked name (张*丰) or card number only"),
        LIBRARIAN,
        ("masked", "card"),
        labels={"masked": N_("masked name"), "card": N_("card number only")},
    ),
    SettingSpec(
        "reports.annual_language", "zh_CN", N_("Language of the annual reading report"), LIBRARIAN, LANGUAGES, labels=LANGUAGE_NAMES
    ),
    SettingSpec("reports.target_growth_percent", 5, N_("Growth next year's targets ask for (percent)"), LIBRARIAN),
    SettingSpec("reports.targets", {}, N_("Next year's targets set by hand (indicator: number)"), LIBRARIAN),
)

OUT_OF_COLLECTION = ("withdrawn", "lost")
WEEDING_LIST = 50  # candidates listed by title; the count covers them all
DAY_BUCKETS_UP_TO = 62  # periods up to two months are shown day by day, longer ones by month
CLASS_LETTERS = [c.code for c in TOP_CLASSES]


# -- small helpers ----------------------------------------------------------------------------


def _rows(ctx: ServiceContext, sql: str, params: list | dict = ()) -> list[tuple]:
    return ctx.db.execute_sql(sql, params if isinstance(params, dict) else tuple(params)).fetchall()


def _one(ctx: ServiceContext, sql: str, params: list | dict = ()) -> tuple:
    return ctx.db.execute_sql(sql, params if isinstance(params, dict) else tuple(params)).fetchone()


def _utc(ctx: ServiceContext, day: dt.date) -> dt.datetime:
    """The instant a local day begins, as the database stores instants (naive UTC)."""
    local = dt.datetime.combine(day, dt.time(), tzinfo=ctx.clock.timezone)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _bounds(ctx: ServiceContext, start: dt.date, end: dt.date) -> tuple[str, str]:
    """[first instant, first instant after) of the local days start..end, as stored text."""
    return stored_time(_utc(ctx, start)), stored_time(_utc(ctx, end + dt.timedelta(days=1)))


def _place(period: Period) -> Location | None:
    return location_by_code(period.location) if period.location else None


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def buckets(period: Period) -> tuple[str, list[tuple[dt.date, dt.date]]]:
    """The period cut into days (up to two months) or calendar months: (size, [(first, last)])."""
    if period.days <= DAY_BUCKETS_UP_TO:
        return "day", [(d, d) for d in (period.start + dt.timedelta(days=n) for n in range(period.days))]
    result = []
    first = period.start
    while first <= period.end:
        next_month = (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        last = min(next_month - dt.timedelta(days=1), period.end)
        result.append((first, last))
        first = next_month
    return "month", result


def _values(ctx: ServiceContext, ranges: list[tuple[dt.date, dt.date]]) -> tuple[str, list[str]]:
    """A VALUES list (n, from, to) of stored instants for the given local day ranges."""
    params: list[str] = []
    for start, end in ranges:
        params.extend(_bounds(ctx, start, end))
    return ", ".join(f"({n}, ?, ?)" for n in range(len(ranges))), params


# A loan undone at the desk was never lent: no figure counts it, nor the return the undo wrote.
# The condition names rowids, which every index of loan holds, so counts stay index-only.
LENT = f"l.rowid NOT IN (SELECT u.rowid FROM loan u WHERE u.id IN ({UNDONE_CHECK_OUTS}))"

# Renewals leave no row of their own: the desk's outbox keeps each one with its time, and the
# loan it renewed (so a place's renewals are those of the loans lent there).
RENEWAL_AT_PLACE = "AND EXISTS (SELECT 1 FROM loan l WHERE l.id = json_extract(o.payload, '$.loan_id') AND l.location_id = ?)"


def _hlc_from(ctx: ServiceContext, day: dt.date) -> int:
    """The lowest HLC stamp of an event made on the local day or later: stamps are never earlier
    than the wall clock, so it bounds a scan of the outbox from below."""
    return pack(int(_utc(ctx, day).replace(tzinfo=dt.UTC).timestamp() * 1000), 0)


def _renewals_kept(ctx: ServiceContext, day: dt.date) -> tuple[str, list[str]]:
    """A condition on the outbox (o) leaving out the renewals undone at the desk since the
    local day began, with its parameters."""
    undone = undone_renewals(_hlc_from(ctx, day))
    return (f"AND o.id NOT IN ({', '.join('?' * len(undone))})", undone) if undone else ("", [])


def mask_name(name: str) -> str:
    """张三丰 → 张*丰, 张三 → 张*: enough for readers to recognise themselves, not to be found."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_card(card: str) -> str:
    return "*" * max(len(card) - 4, 0) + card[-4:] if len(card) > 4 else card


# -- at a glance ------------------------------------------------------------------------------


def glance(ctx: ServiceContext, period: Period) -> Glance:
    """Loans, returns, renewals, new cards, visits, activities, volunteer hours in the period;
    overdue items and items in transit as they stand now. One statement, every part a range
    read on an index, so it stays quick on a county's data."""
    ctx.require(LIBRARIAN)
    place = _place(period)
    start, end = _bounds(ctx, period.start, period.end)
    now = stored_time(ctx.clock.utcnow())
    where_loan = "AND +l.location_id = ?" if place else ""
    where_return = "AND +l.checkin_location_id = ?" if place else ""
    where_renewal = RENEWAL_AT_PLACE if place else ""
    renewals_kept, undone = _renewals_kept(ctx, period.start)
    where_patron = "AND EXISTS (SELECT 1 FROM patron p WHERE p.id = c.patron_id AND p.home_branch_id = ?)" if place else ""
    where_visit = "AND v.location_id = ?" if place else ""
    where_event = "AND e.location_id = ?" if place else ""
    where_shift = "AND s.location_id = ?" if place else ""
    where_transit = "AND i.current_location_id = ?" if place else ""
    sql = f"""
    SELECT
      (SELECT count(*) FROM loan l WHERE l.checked_out_at >= ? AND l.checked_out_at < ? AND {LENT} {where_loan}),
      (SELECT count(*) FROM loan l WHERE l.checked_in_at >= ? AND l.checked_in_at < ? AND {LENT} {where_return}),
      (SELECT count(*) FROM outbox o WHERE o.hlc >= ? AND o.type = 'loan.renewed'
         AND o.created_at >= ? AND o.created_at < ? {renewals_kept} {where_renewal}),
      (SELECT count(*) FROM card_event c WHERE c.at >= ? AND c.at < ? AND c.kind = 'issued' {where_patron}),
      (SELECT total(v.count) FROM visit_count v WHERE v.day BETWEEN ? AND ? {where_visit}),
      (SELECT count(*) FROM event e WHERE e.starts_at >= ? AND e.starts_at < ? AND e.starts_at < ?
         AND e.status != 'cancelled' {where_event}),
      (SELECT count(*) FROM event e JOIN attendance a ON a.event_id = e.id WHERE e.starts_at >= ? AND e.starts_at < ?
         AND e.starts_at < ? AND e.status != 'cancelled' {where_event}),
      (SELECT total(a.minutes) FROM shift s JOIN shift_assignment a ON a.shift_id = s.id
         WHERE s.day BETWEEN ? AND ? AND a.status = 'attended' {where_shift}),
      (SELECT count(*) FROM loan l WHERE l.checked_in_at IS NULL AND +l.due_date < ? {where_loan}),
      (SELECT count(*) FROM item i WHERE i.status = 'in_transit' {where_transit})
    """
    pid = [place.id] if place else []
    bid = [place.branch_id] if place else []
    days = (period.start.isoformat(), period.end.isoformat())
    params = [
        start, end, *pid,
        start, end, *pid,
        _hlc_from(ctx, period.start), start, end, *undone, *pid,
        start, end, *bid,
        *days, *pid,
        start, end, now, *pid,
        start, end, now, *pid,
        *days, *pid,
        ctx.clock.today().isoformat(), *pid,
        *pid,
    ]  # fmt: skip
    loans, returns, renewals, new, visits, events, heads, minutes, overdue, transit = _one(ctx, sql, params)
    return Glance(
        period=period,
        loans=loans,
        returns=returns,
        renewals=renewals,
        new_patrons=new,
        visits=int(visits),
        events=events,
        participants=heads,
        volunteer_minutes=int(minutes),
        overdue=overdue,
        in_transit=transit,
        days=_days(ctx, period, place) if period.days <= DAY_BUCKETS_UP_TO else [],
    )


def _days(ctx: ServiceContext, period: Period, place: Location | None) -> list[DayFigures]:
    """Loans, returns and visits day by day (the little charts)."""
    days = [period.start + dt.timedelta(days=n) for n in range(period.days)]
    values, params = _values(ctx, [(d, d) for d in days])
    where_loan = "AND +l.location_id = ?" if place else ""
    where_return = "AND +l.checkin_location_id = ?" if place else ""
    where_visit = "AND v.location_id = ?" if place else ""
    sql = f"""
    WITH k(n, a, b) AS (VALUES {values})
    SELECT k.n,
      (SELECT count(*) FROM loan l WHERE l.checked_out_at >= k.a AND l.checked_out_at < k.b AND {LENT} {where_loan}),
      (SELECT count(*) FROM loan l WHERE l.checked_in_at >= k.a AND l.checked_in_at < k.b AND {LENT} {where_return})
    FROM k ORDER BY k.n
    """
    pid = [place.id] if place else []
    counts = _rows(ctx, sql, [*params, *pid, *pid])
    visits = dict(
        _rows(
            ctx,
            f"SELECT v.day, total(v.count) FROM visit_count v WHERE v.day BETWEEN ? AND ? {where_visit} GROUP BY v.day",
            [period.start.isoformat(), period.end.isoformat(), *pid],
        )
    )
    return [DayFigures(days[n], loans, returns, int(visits.get(days[n].isoformat(), 0))) for n, loans, returns in counts]


# -- circulation ------------------------------------------------------------------------------


def _categories(ctx: ServiceContext, place_id: str | None) -> list[str]:
    """The patron categories loans were made for (at a place), found by skipping along the index."""
    if place_id is None:
        first, step = "SELECT min(patron_category) FROM loan", "SELECT min(patron_category) FROM loan WHERE patron_category > c"
        params: list[str] = []
    else:
        first = "SELECT min(patron_category) FROM loan WHERE location_id = ?"
        step = "SELECT min(patron_category) FROM loan WHERE location_id = ? AND patron_category > c"
        params = [place_id, place_id]
    sql = f"WITH RECURSIVE cats(c) AS (SELECT ({first}) UNION ALL SELECT ({step}) FROM cats WHERE c IS NOT NULL) SELECT c FROM cats WHERE c IS NOT NULL"
    return [c for (c,) in _rows(ctx, sql, params)]


def circulation(ctx: ServiceContext, period: Period) -> Circulation:
    """Loans by day or month, by place and by patron category: one count per (place, category,
    day or month), each a range on the index (place, category, time), so a year of a county's
    loans is a few hundred index ranges rather than millions of rows sorted. Each day or month
    also counts the renewals made in it."""
    ctx.require(LIBRARIAN)
    place = _place(period)
    size, ranges = buckets(period)
    values, params = _values(ctx, ranges)
    if place is None:
        places = (
            "places(loc) AS (SELECT min(location_id) FROM loan UNION ALL "
            "SELECT (SELECT min(location_id) FROM loan WHERE location_id > loc) FROM places WHERE loc IS NOT NULL)"
        )
        place_params: list[str] = []
    else:
        places = "places(loc) AS (VALUES (?))"
        place_params = [place.id]
    sql = f"""
    WITH RECURSIVE {places},
    pairs(loc, cat) AS (
      SELECT loc, (SELECT min(patron_category) FROM loan WHERE location_id = loc) FROM places WHERE loc IS NOT NULL
      UNION ALL
      SELECT loc, (SELECT min(patron_category) FROM loan WHERE location_id = loc AND patron_category > cat) FROM pairs
      WHERE cat IS NOT NULL),
    k(n, a, b) AS (VALUES {values})
    SELECT p.loc, p.cat, k.n,
      (SELECT count(*) FROM loan l WHERE l.location_id = p.loc AND l.patron_category = p.cat
         AND l.checked_out_at >= k.a AND l.checked_out_at < k.b AND {LENT}),
      (SELECT total(l.renewals) FROM loan l WHERE l.location_id = p.loc AND l.patron_category = p.cat
         AND l.checked_out_at >= k.a AND l.checked_out_at < k.b AND {LENT})
    FROM pairs p CROSS JOIN k WHERE p.cat IS NOT NULL
    """
    by_time: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    by_place: dict[str, int] = defaultdict(int)
    by_category: dict[str, int] = defaultdict(int)
    for loc, cat, n, loans, renewals in _rows(ctx, sql, [*place_params, *params]):
        if not loans:
            continue
        by_time[n][0] += loans
        by_time[n][1] += int(renewals)
        by_place[loc] += loans
        by_category[cat] += loans
    made = _renewals_made(ctx, place, ranges)
    total = sum(by_place.values())
    names = {loc.id: loc for loc in Location.select().where(Location.id.in_(list(by_place)))} if by_place else {}
    return Circulation(
        period=period,
        loans=total,
        renewals=sum(r for _, r in by_time.values()),
        bucket=size,
        by_time=[BucketRow(ranges[n][0], *by_time.get(n, (0, 0)), made[n]) for n in range(len(ranges))],
        by_place=sorted(
            (PlaceRow(names[i].code, names[i].name, names[i].kind, KIND_NAMES.get(names[i].kind, names[i].kind), n, _share(n, total)) for i, n in by_place.items()),
            key=lambda r: (-r.loans, r.code),
        ),
        by_category=sorted(
            (CategoryRow(CATEGORY_LABELS.get(c, c), n, _share(n, total)) for c, n in by_category.items()), key=lambda r: (-r.loans, r.category)
        ),
    )


def _renewals_made(ctx: ServiceContext, place: Location | None, ranges: list[tuple[dt.date, dt.date]]) -> list[int]:
    """Renewals made in each day or month, whichever loans they renewed: one pass over the
    outbox from the period's first day (CROSS JOIN keeps the outbox as the outer loop)."""
    values, params = _values(ctx, ranges)
    where = RENEWAL_AT_PLACE if place else ""
    kept, undone = _renewals_kept(ctx, ranges[0][0])
    sql = f"""
    WITH k(n, a, b) AS (VALUES {values})
    SELECT k.n, count(*) FROM outbox o CROSS JOIN k
    WHERE o.hlc >= ? AND o.type = 'loan.renewed' AND o.created_at >= k.a AND o.created_at < k.b {kept} {where}
    GROUP BY k.n
    """
    counts = dict(_rows(ctx, sql, [*params, _hlc_from(ctx, ranges[0][0]), *undone, *([place.id] if place else [])]))
    return [counts.get(n, 0) for n in range(len(ranges))]


# -- classes, titles, weeding ---------------------------------------------------------------


def _title_table(ctx: ServiceContext, period: Period, place: Location | None) -> None:
    """Fill temp.report_titles: per title, copies held at the period's end, loans in the period
    and since when it has been held.

    Without a place this is one pass over the copies in key order (an index holds each copy's
    title, status and accession time), with one seek per copy into the (copy, time) index of
    loans: cheaper than joining millions of loans to their copies. With a place, copies are those
    housed there and loans those made there, whichever copies they were."""
    start, end = _bounds(ctx, period.start, period.end)
    ctx.db.execute_sql("DROP TABLE IF EXISTS temp.report_titles")
    ctx.db.execute_sql(
        "CREATE TEMP TABLE report_titles (bib_id TEXT PRIMARY KEY, holdings INTEGER, loans INTEGER, held_since TEXT) WITHOUT ROWID"
    )
    held = f"(i.status NOT IN {OUT_OF_COLLECTION!r} AND i.accessioned_at < :end)"
    if place is None:
        loans = f"(SELECT count(*) FROM loan l WHERE l.item_id = i.id AND l.checked_out_at >= :start AND l.checked_out_at < :end AND {LENT})"
        copies = f"SELECT i.bib_id AS bib_id, {held} AS held, i.accessioned_at AS accessioned, {loans} AS loans FROM item i ORDER BY i.id"
        lent_here = ""
        params: dict = {"start": start, "end": end}
    else:
        copies = f"""SELECT i.bib_id AS bib_id, {held} AS held, i.accessioned_at AS accessioned, 0 AS loans
                     FROM item i WHERE i.home_location_id = :place"""
        cats = _categories(ctx, place.id)
        lent_here = f"""UNION ALL
            SELECT i.bib_id, 0, NULL, count(*) FROM loan l JOIN item i ON i.id = l.item_id
            WHERE l.location_id = :place AND l.patron_category IN ({", ".join(f":c{n}" for n in range(len(cats))) or "NULL"})
              AND l.checked_out_at >= :start AND l.checked_out_at < :end AND {LENT}
            GROUP BY i.bib_id"""
        params = {"start": start, "end": end, "place": place.id, **{f"c{n}": c for n, c in enumerate(cats)}}
    ctx.db.execute_sql(
        f"""INSERT INTO report_titles
        WITH copies AS MATERIALIZED ({copies} {lent_here})
        SELECT bib_id, sum(held), sum(loans), min(CASE WHEN held THEN accessioned END)
        FROM copies GROUP BY bib_id HAVING sum(held) > 0 OR sum(loans) > 0""",
        params,
    )


def _years_before(day: dt.date, years: int) -> dt.date:
    year = day.year - years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def _as_date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text[:10]) if text else None


def titles(ctx: ServiceContext, period: Period, *, top: int | None = None, weeding_years: int | None = None) -> TitleFigures:
    """Loans and holdings by CLC class (with the share of loans and the turnover), the most
    borrowed titles, and titles held for N years but not borrowed in them (weeding candidates)."""
    ctx.require(LIBRARIAN)
    place = _place(period)
    top = int(get_setting("reports.top_count")) if top is None else top
    years = int(get_setting("reports.weeding_years")) if weeding_years is None else weeding_years
    start, end = _bounds(ctx, period.start, period.end)
    cutoff = stored_time(_utc(ctx, _years_before(period.end + dt.timedelta(days=1), years)))
    with ctx.db.atomic():
        _title_table(ctx, period, place)
        try:
            classes = _rows(
                ctx,
                """SELECT upper(substr(b.clc_class, 1, 1)), sum(t.holdings > 0), total(t.holdings), total(t.loans)
                   FROM report_titles t JOIN bib b ON b.id = t.bib_id GROUP BY 1""",
            )
            best = _rows(
                ctx,
                """SELECT b.title, b.author, b.clc_class, t.loans, t.holdings FROM
                     (SELECT * FROM report_titles WHERE loans > 0 ORDER BY loans DESC, bib_id LIMIT ?) t
                   JOIN bib b ON b.id = t.bib_id ORDER BY t.loans DESC, b.title""",
                [top],
            )
            # Held since before the cutoff and no copy lent since, anywhere. Lent in the period
            # means lent since the cutoff too, whenever the cutoff is before the period starts.
            lent_in_period = "t.loans = 0 AND" if place is None and cutoff <= start else ""
            never = f"""t.holdings > 0 AND t.held_since < :cutoff AND {lent_in_period} NOT EXISTS (
                SELECT 1 FROM item i JOIN loan l ON l.item_id = i.id
                WHERE i.bib_id = t.bib_id AND l.checked_out_at >= :cutoff AND l.checked_out_at < :end AND {LENT})"""
            (weed_count,) = _one(ctx, f"SELECT count(*) FROM report_titles t WHERE {never}", {"cutoff": cutoff, "end": end})
            weed = _rows(
                ctx,
                f"""SELECT b.title, b.author, b.call_number, t.holdings, t.held_since,
                      (SELECT max(l.checked_out_at) FROM item i JOIN loan l ON l.item_id = i.id
                       WHERE i.bib_id = t.bib_id AND l.checked_out_at < :end AND {LENT})
                    FROM (SELECT * FROM report_titles t WHERE {never} ORDER BY t.held_since, t.bib_id LIMIT :n) t
                    JOIN bib b ON b.id = t.bib_id ORDER BY t.held_since, b.title""",
                {"cutoff": cutoff, "end": end, "n": WEEDING_LIST},
            )
        finally:
            ctx.db.execute_sql("DROP TABLE IF EXISTS temp.report_titles")
    known = {code: (int(n_titles), int(held), int(lent)) for code, n_titles, held, lent in classes if code in CLASS_LETTERS}
    # Books without a class number (or with one this edition does not have) are counted apart.
    other = [sum(int(r[i]) for r in classes if r[0] not in CLASS_LETTERS) for i in (1, 2, 3)]
    total_loans = sum(int(r[3]) for r in classes)
    rows = []
    for code in [*CLASS_LETTERS, ""]:
        n_titles, held, lent = known.get(code, (0, 0, 0)) if code else tuple(other)
        if code == "" and not (held or lent):
            continue
        rows.append(ClassRow(code, n_titles, held, lent, _share(lent, total_loans), lent / held if held else None))
    return TitleFigures(
        period=period,
        loans=total_loans,
        titles=sum(r.titles for r in rows),
        holdings=sum(r.holdings for r in rows),
        by_class=rows,
        top=[TitleRow(n, title, author, clc, lent, held) for n, (title, author, clc, lent, held) in enumerate(best, 1)],
        weeding_years=years,
        weeding_count=weed_count,
        weeding=[
            WeedingRow(title, author, call, held, _as_date(since), _as_date(last)) for title, author, call, held, since, last in weed
        ],
    )


# -- readers ----------------------------------------------------------------------------------


def readers(ctx: ServiceContext, period: Period, *, top: int | None = None, internal: bool = False) -> Readers:
    """How many readers borrowed, and the most active of them. Published reports mask them
    (name or card only, per the setting); an internal report shows them in full."""
    ctx.require(LIBRARIAN)
    place = _place(period)
    top = int(get_setting("reports.top_count")) if top is None else top
    start, end = _bounds(ctx, period.start, period.end)
    if place is None:
        # Long periods: walk the (reader, time) index in reader order and count each reader's
        # range, no sort of the period's loans; short ones: read the period's range of time.
        column = "+l.checked_out_at" if period.days > DAY_BUCKETS_UP_TO else "l.checked_out_at"
        where = f"l.patron_id IS NOT NULL AND {column} >= ? AND {column} < ? AND {LENT}"
        params: list = [start, end]
    else:
        cats = _categories(ctx, place.id)
        marks = ", ".join("?" for _ in cats) or "NULL"
        where = f"l.location_id = ? AND l.patron_category IN ({marks}) AND l.checked_out_at >= ? AND l.checked_out_at < ? AND l.patron_id IS NOT NULL AND {LENT}"
        params = [place.id, *cats, start, end]
    rows = _rows(
        ctx,
        f"""SELECT r.n, r.readers, p.name, p.card_number, p.category FROM
              (SELECT patron_id, n, count(*) OVER () AS readers FROM
                 (SELECT l.patron_id, count(*) AS n FROM loan l WHERE {where} GROUP BY l.patron_id)
               ORDER BY n DESC, patron_id LIMIT ?) r
            JOIN patron p ON p.id = r.patron_id ORDER BY r.n DESC, p.card_number""",
        [*params, max(top, 1)],
    )
    style = get_setting("reports.reader_names")

    def shown(name: str, card: str) -> tuple[str, str]:
        if internal:
            return name, card
        return ("", mask_card(card)) if style == "card" else (mask_name(name), mask_card(card))

    active = rows[0][1] if rows else 0
    return Readers(
        period=period,
        active=active,
        top=[ReaderRow(rank, *shown(name, card), CATEGORY_LABELS.get(category, category), n) for rank, (n, _r, name, card, category) in enumerate(rows[:top], 1)],
        internal=internal,
    )


# -- collection, patrons ----------------------------------------------------------------------


def collection(ctx: ServiceContext, period: Period) -> Collection:
    """Copies added in the period by how they came (purchase, donation)."""
    ctx.require(LIBRARIAN)
    place = _place(period)
    start, end = _bounds(ctx, period.start, period.end)
    where = "AND i.home_location_id = ?" if place else ""
    pid = [place.id] if place else []
    rows = _rows(
        ctx,
        f"SELECT i.source, count(*) FROM item i WHERE i.accessioned_at >= ? AND i.accessioned_at < ? {where} GROUP BY i.source ORDER BY 2 DESC, 1",
        [start, end, *pid],
    )
    (gone,) = _one(ctx, f"SELECT count(*) FROM item i WHERE i.status IN {OUT_OF_COLLECTION!r} {where}", pid)
    return Collection(period, sum(n for _, n in rows), [SourceRow(s, n) for s, n in rows], gone)


def _reason_labels() -> dict[str, str]:
    labels = {r["code"]: r["label"] for r in DEFAULT_RETURN_REASONS}
    labels.update({r["code"]: r["label"] for r in get_setting("card_return_reasons")})
    return labels


def patrons(ctx: ServiceContext, period: Period) -> Patrons:
    """Valid cards, new cards, cards returned and why, visits and visits per head.

    Readers register with a branch, not a service point: at a place, the card figures are
    those of its branch."""
    ctx.require(LIBRARIAN)
    place = _place(period)
    start, end = _bounds(ctx, period.start, period.end)
    branch = "AND p.home_branch_id = ?" if place else ""
    bid = [place.branch_id] if place else []
    # A valid card: not handed back or erased, and not expired when the period ends.
    (registered,) = _one(
        ctx,
        f"""SELECT count(*) FROM patron p WHERE p.status IN ('active', 'suspended') AND p.registered_at < ?
            AND (p.expiry_date IS NULL OR p.expiry_date >= ?) {branch}""",
        [end, period.end.isoformat(), *bid],
    )
    events = _rows(
        ctx,
        f"""SELECT c.kind, c.reason_code, count(*) FROM card_event c JOIN patron p ON p.id = c.patron_id
            WHERE c.at >= ? AND c.at < ? AND c.kind IN ('issued', 'returned') {branch} GROUP BY c.kind, c.reason_code""",
        [start, end, *bid],
    )
    labels = _reason_labels()
    reasons = sorted(
        (ReasonRow(code, labels.get(code, code or N_("Other")), n) for kind, code, n in events if kind == "returned"),
        key=lambda r: (-r.cards, r.code),
    )
    where_visit = "AND v.location_id = ?" if place else ""
    pid = [place.id] if place else []
    visits = _rows(
        ctx,
        f"""SELECT loc.code, loc.name, total(v.count) FROM visit_count v JOIN location loc ON loc.id = v.location_id
            WHERE v.day BETWEEN ? AND ? {where_visit} GROUP BY loc.code, loc.name ORDER BY 3 DESC, 1""",
        [period.start.isoformat(), period.end.isoformat(), *pid],
    )
    return Patrons(
        period=period,
        registered=registered,
        new_cards=sum(n for kind, _c, n in events if kind == "issued"),
        cards_returned=sum(r.cards for r in reasons),
        reasons=reasons,
        visits=int(sum(n for *_x, n in visits)),
        population=service_population(),
        visits_by_place=[(code, name, int(n)) for code, name, n in visits],
    )


# -- activities, volunteers, donations --------------------------------------------------------


def activities(ctx: ServiceContext, period: Period) -> Activities:
    """Activities held (begun, not cancelled) and their headcount, by type."""
    ctx.require(LIBRARIAN)
    place = _place(period)
    start, end = _bounds(ctx, period.start, period.end)
    where = "AND e.location_id = ?" if place else ""
    rows = _rows(
        ctx,
        f"""SELECT e.kind, count(*), total((SELECT count(*) FROM attendance a WHERE a.event_id = e.id)) FROM event e
            WHERE e.starts_at >= ? AND e.starts_at < ? AND e.starts_at < ? AND e.status != 'cancelled' {where}
            GROUP BY e.kind ORDER BY 3 DESC, 2 DESC, 1""",
        [start, end, stored_time(ctx.clock.utcnow()), *([place.id] if place else [])],
    )
    by_type = [ActivityRow(kind, TYPE_NAMES.get(kind, kind), n, int(heads)) for kind, n, heads in rows]
    return Activities(period, sum(r.activities for r in by_type), sum(r.participants for r in by_type), by_type)


def volunteers(ctx: ServiceContext, period: Period) -> Volunteers:
    """People who came, hours and shifts given, and the outstanding volunteers confirmed for the
    years the period covers (their names are published: that is the honour)."""
    ctx.require(LIBRARIAN)
    place = _place(period)
    where = "AND s.location_id = ?" if place else ""
    pid = [place.id] if place else []
    people, minutes, shifts = _one(
        ctx,
        f"""SELECT count(DISTINCT a.volunteer_id), total(a.minutes), count(*) FROM shift s
            JOIN shift_assignment a ON a.shift_id = s.id WHERE s.day BETWEEN ? AND ? AND a.status = 'attended' {where}""",
        [period.start.isoformat(), period.end.isoformat(), *pid],
    )
    honoured = _rows(
        ctx,
        """SELECT v.name, h.minutes FROM volunteer_honour h JOIN volunteer v ON v.id = h.volunteer_id
           WHERE h.year BETWEEN ? AND ? AND h.title = 'outstanding' ORDER BY h.minutes DESC, v.name""",
        [period.start.year, period.end.year],
    )
    return Volunteers(period, people, int(minutes), shifts, [(name, m) for name, m in honoured])


def donations(ctx: ServiceContext, period: Period) -> Donations:
    """Donors, gifts and books received in the period, and what became of the books."""
    ctx.require(LIBRARIAN)
    place = _place(period)
    where = "AND d.branch_id = ?" if place else ""

    def decided(decision: str) -> str:
        return f"total(dl.decision = '{decision}')"

    row = _one(
        ctx,
        f"""SELECT count(DISTINCT d.donor_id), count(DISTINCT d.id), count(dl.id), {decided("accessioned")},
              {decided("forwarded")}, {decided("declined")},
              total(CASE WHEN dl.decision = 'accessioned' THEN dl.estimated_value_cents END)
            FROM donation d LEFT JOIN donation_line dl ON dl.donation_id = d.id
            WHERE d.received_on BETWEEN ? AND ? {where}""",
        [period.start.isoformat(), period.end.isoformat(), *([place.branch_id] if place else [])],
    )
    return Donations(period, *(int(v) for v in row))


# -- whole reports ----------------------------------------------------------------------------


def _titles_beside(ctx: ServiceContext, period: Period, pool: ThreadPoolExecutor) -> Callable[[], TitleFigures]:
    """Start the pass over every copy (classes, titles, weeding: most of a big report's work) on
    a second connection in another thread, so a second core adds it up while this connection
    does the rest; SQLite lets go of Python while it reads. Inside an open transaction (whose
    rows another connection cannot see) or on an in-memory database it runs here instead."""
    if ctx.db.in_transaction() or ctx.db.database == ":memory:":
        figures = titles(ctx, period)
        return lambda: figures

    def on_own_connection() -> TitleFigures:
        with ctx.db.connection_context():
            return titles(ctx, period)

    return pool.submit(on_own_connection).result


def period_report(ctx: ServiceContext, period: Period, *, internal: bool = False) -> PeriodReport:
    """Every section over one period. The sections other than titles are read in one
    transaction, so their figures agree; titles are read at the same moment beside them."""
    ctx.require(LIBRARIAN)
    place = _place(period)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-titles") as pool:
        title_figures = _titles_beside(ctx, period, pool)
        with ctx.db.atomic():
            sections = dict(
                glance=glance(ctx, period),
                circulation=circulation(ctx, period),
                readers=readers(ctx, period, internal=internal),
                collection=collection(ctx, period),
                patrons=patrons(ctx, period),
                activities=activities(ctx, period),
                volunteers=volunteers(ctx, period),
                donations=donations(ctx, period),
            )
        return PeriodReport(
            library_name=ctx.branch.library_name or get_setting("library_name"),
            period=period,
            place_name=place.name if place else "",
            titles=title_figures(),
            turnover_target=float(get_setting("reports.turnover_target")),
            made_on=ctx.clock.today(),
            **sections,
        )


TARGET_KEYS = (
    "loans",
    "active_readers",
    "new_cards",
    "visits",
    "visits_per_head",
    "turnover",
    "activities",
    "participants",
    "volunteer_hours",
    "donated_books",
)


def _rounded_up(value: float) -> int:
    """A target people can remember: 12,345 → 12,400 (two or three significant digits)."""
    if value <= 0:
        return 0
    step = 10 ** max(len(str(int(value))) - 3, 0)
    return int(-(-value // step) * step)


def next_year_targets(report: PeriodReport) -> list[Target]:
    """This year's figures and next year's targets: set by hand (setting reports.targets), else
    this year plus the growth the setting asks for; the turnover target never below its floor."""
    growth = 1 + float(get_setting("reports.target_growth_percent")) / 100
    fixed = dict(get_setting("reports.targets") or {})
    turnover = report.titles.turnover
    per_head = report.patrons.visits_per_head
    this_year: dict[str, tuple[float | None, int]] = {
        "loans": (report.circulation.loans, 0),
        "active_readers": (report.readers.active, 0),
        "new_cards": (report.patrons.new_cards, 0),
        "visits": (report.patrons.visits, 0),
        "visits_per_head": (per_head, 2),
        "turnover": (turnover, 2),
        "activities": (report.activities.activities, 0),
        "participants": (report.activities.participants, 0),
        "volunteer_hours": (round(report.volunteers.minutes / 60, 1), 0),
        "donated_books": (report.donations.accessioned, 0),
    }
    targets = []
    for key in TARGET_KEYS:
        value, decimals = this_year[key]
        if key in fixed:
            target: float | None = float(fixed[key])
        elif value is None:
            target = None
        elif decimals:
            target = round(value * growth + 0.005, 2)
        else:
            target = _rounded_up(value * growth)
        if key == "turnover":
            target = max(target or 0.0, report.turnover_target)
        targets.append(Target(key, value, target, decimals))
    return targets


def records_begin(ctx: ServiceContext) -> dt.date:
    """The first local day the library holds anything for: the day it was set up, or an
    earlier loan, copy or reader brought over from the system it replaced."""
    firsts = [
        ctx.branch.created_at,
        Loan.select(fn.MIN(Loan.checked_out_at)).scalar(),
        Item.select(fn.MIN(Item.accessioned_at)).scalar(),
        Patron.select(fn.MIN(Patron.registered_at)).scalar(),
    ]
    return ctx.clock.to_local(min(first for first in firsts if first)).date()


def check_period(ctx: ServiceContext, period: Period) -> None:
    """Refuse a period with nothing to report yet or any more: a report of it would be
    written, empty, as if nothing had happened."""
    if period.start > ctx.clock.today():
        raise ValidationError("The date {date} is in the future.", date=period.start.isoformat())
    first = records_begin(ctx)
    if period.end < first:
        raise ValidationError(
            "This library's records begin on {first}; there is nothing to report before that.", first=first.isoformat()
        )


def check_year(ctx: ServiceContext, year: int) -> None:
    if year > ctx.clock.today().year:
        raise ValidationError("The year {year} has not come yet.", year=year)
    first = records_begin(ctx)
    if year < first.year:
        raise ValidationError(
            "This library's records begin in {first}; there is nothing to report for {year}.", first=first.year, year=year
        )


def annual_report(ctx: ServiceContext, year: int, *, language: str | None = None) -> AnnualReport:
    """The year's report, last year's totals beside it, and next year's targets."""
    ctx.require(LIBRARIAN)
    period = Period.year(year)
    report = period_report(ctx, period)
    last_year = glance(ctx, Period.year(year - 1))
    return AnnualReport(
        year=year,
        language=language or get_setting("reports.annual_language"),
        report=report,
        last_year=last_year,
        targets=next_year_targets(report),
    )


def report_places() -> list[Location]:
    """Places a report can be limited to, every kind, closed ones too (their history counts)."""
    order = {k: i for i, k in enumerate(Location.KINDS)}
    return sorted(Location.select(), key=lambda loc: (order.get(loc.kind, 9), loc.code))

