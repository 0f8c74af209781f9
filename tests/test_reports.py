"""Report figures against answers worked out by hand on the small library of report_helpers.

2026 (Shanghai days): 7 loans — 红楼梦 5 (class I), 教育学 1 (G), 中国通史 1 (K); 5 at the
branch, 2 at the van stop; adults 5, children 2; January 3 (one at 01:00 on New Year's Day,
still 2025 in UTC), March 2, July 1, November 1 (today). 2025: one loan (23:00 on New Year's
Eve). Copies held at the end of 2026: 5 (one withdrawn copy does not count).
"""

from __future__ import annotations

import datetime as dt

import pytest

from countylib import reports
from countylib.errors import NotFound, PermissionDenied, ValidationError
from countylib.report_data import Period
from countylib.settings import change_setting
from tests.circulation_helpers import make_patron
from tests.report_helpers import build_small_library

YEAR = Period.year(2026)
TODAY = dt.date(2026, 11, 21)


@pytest.fixture
def small(library):
    return build_small_library(library)


def test_glance_today(library, small):
    g = reports.glance(library, Period.day(TODAY))
    assert (g.loans, g.returns, g.renewals, g.new_patrons) == (1, 1, 1, 1)
    assert (g.visits, g.events, g.participants, g.volunteer_minutes) == (40, 1, 2, 0)
    assert (g.overdue, g.in_transit) == (1, 1)
    assert [(d.day, d.loans, d.returns, d.visits) for d in g.days] == [(TODAY, 1, 1, 40)]


def test_glance_this_week_has_a_day_per_chart_bar(library, small):
    g = reports.glance(library, Period.week_of(TODAY))
    assert g.period == Period(dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert (g.loans, g.visits, g.volunteer_minutes, g.participants) == (1, 52, 150, 2)
    assert [d.visits for d in g.days] == [0, 0, 0, 0, 12, 40, 0]
    assert [d.loans for d in g.days] == [0, 0, 0, 0, 0, 1, 0]


def test_circulation_by_month_place_and_category(library, small):
    c = reports.circulation(library, YEAR)
    assert (c.loans, c.renewals, c.bucket) == (7, 1, "month")
    assert [b.loans for b in c.by_time] == [3, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0]
    assert c.by_time[0].renewals == 1
    assert [(p.code, p.loans, round(p.share, 4)) for p in c.by_place] == [("HX01", 5, 0.7143), ("HX01-VS01", 2, 0.2857)]
    assert [p.kind for p in c.by_place] == ["branch", "van_stop"]
    assert [(r.category, r.loans) for r in c.by_category] == [("Adult", 5), ("Child", 2)]


def test_renewals_made_each_day_are_not_those_of_the_days_loans(library, small):
    # The January loan was renewed today: January's loans count one renewal, today one was made.
    november = reports.circulation(library, Period.month(2026, 11))
    today = november.by_time[TODAY.day - 1]
    assert (today.start, today.loans, today.renewals, today.renewals_made) == (TODAY, 1, 0, 1)
    assert sum(r.renewals_made for r in november.by_time) == reports.glance(library, Period.month(2026, 11)).renewals == 1
    year = reports.circulation(library, YEAR)
    assert [b.renewals_made for b in year.by_time] == [0] * 10 + [1, 0]
    assert [b.renewals for b in year.by_time] == [1] + [0] * 11
    # At a place: renewals of the loans lent there (the renewed loan was lent at the branch).
    assert reports.circulation(library, Period.day(TODAY, "HX01")).by_time[0].renewals_made == 1
    assert reports.circulation(library, Period.day(TODAY, "HX01-VS01")).by_time[0].renewals_made == 0
    assert reports.circulation(library, Period.day(TODAY - dt.timedelta(days=1))).by_time[0].renewals_made == 0


def test_the_year_follows_local_days_not_utc(library, small):
    assert reports.circulation(library, Period.day(dt.date(2026, 1, 1))).loans == 1
    assert reports.circulation(library, Period.year(2025)).loans == 1


def test_classes_share_turnover_and_top_titles(library, small):
    t = reports.titles(library, YEAR)
    by_code = {r.code: r for r in t.by_class}
    assert [r.code for r in t.by_class] == [c.code for c in reports.TOP_CLASSES]  # all 22, in order
    assert (by_code["I"].loans, by_code["I"].holdings, by_code["I"].titles) == (5, 2, 1)
    assert round(by_code["I"].share, 3) == 0.714 and by_code["I"].turnover == 2.5
    assert (by_code["G"].loans, by_code["K"].loans, by_code["T"].loans, by_code["T"].holdings) == (1, 1, 0, 1)
    assert by_code["T"].turnover == 0 and by_code["A"].turnover is None
    assert (t.loans, t.holdings, t.titles, t.turnover) == (7, 5, 4, 1.4)
    assert [(r.rank, r.title, r.loans, r.holdings) for r in t.top] == [(1, "红楼梦", 5, 2), (2, "中国通史", 1, 1), (3, "教育学", 1, 1)]


def test_weeding_candidates_are_held_long_and_never_lent(library, small):
    t = reports.titles(library, YEAR)
    assert t.weeding_years == 3 and t.weeding_count == 1
    [row] = t.weeding
    assert (row.title, row.holdings, row.held_since, row.last_loan) == ("旧书", 1, dt.date(2020, 1, 1), None)
    # Seen from the end of 2029, nothing has been lent for three years: every title held is a
    # candidate, and the list says when each was last lent.
    later = reports.titles(library, Period.year(2029))
    assert later.weeding_count == 4
    assert {(r.title, r.last_loan) for r in later.weeding} == {
        ("旧书", None), ("红楼梦", dt.date(2026, 11, 21)), ("教育学", dt.date(2026, 3, 6)), ("中国通史", dt.date(2026, 7, 1))
    }


def test_readers_are_masked_unless_internal(library, small):
    r = reports.readers(library, YEAR)
    assert r.active == 3
    assert [(x.rank, x.name, x.card, x.loans) for x in r.top] == [
        (1, "张*丰", "****0001", 3),
        (2, "李*", "****0002", 2),
        (3, "王*", "****0003", 2),
    ]
    inside = reports.readers(library, YEAR, internal=True)
    assert [x.name for x in inside.top] == ["张三丰", "李四", "王五"] and inside.top[0].card == "HX010001"
    change_setting(library, "reports.reader_names", "card")
    assert reports.readers(library, YEAR).top[0].name == ""


def test_collection_patrons_activities_volunteers_donations(library, small):
    co = reports.collection(library, YEAR)
    assert (co.added, [(s.source, s.items) for s in co.by_source], co.withdrawn_or_lost) == (1, [("donation", 1)], 1)
    pa = reports.patrons(library, YEAR)
    assert (pa.registered, pa.new_cards, pa.cards_returned, pa.visits) == (3, 1, 3, 52)
    make_patron(library, "HX01P90001", expiry=dt.date(2026, 12, 30))  # expires the day before the year ends
    make_patron(library, "HX01P90002", expiry=dt.date(2026, 12, 31))  # still valid on its last day
    assert reports.patrons(library, YEAR).registered == 4
    assert [(r.code, r.cards) for r in pa.reasons] == [("too_far", 2), ("moved", 1)]
    assert pa.visits_per_head is None
    change_setting(library, "service_population", 26)
    assert reports.patrons(library, YEAR).visits_per_head == 2.0
    ac = reports.activities(library, YEAR)
    assert (ac.activities, ac.participants, [(r.kind, r.activities) for r in ac.by_type]) == (1, 2, [("lecture", 1)])
    vo = reports.volunteers(library, YEAR)
    assert (vo.people, vo.minutes, vo.shifts) == (1, 150, 1)
    do = reports.donations(library, YEAR)
    assert (do.donors, do.donations, do.books, do.accessioned, do.forwarded, do.declined, do.value_cents) == (1, 1, 3, 1, 1, 1, 2000)


def test_every_figure_can_be_limited_to_a_place(library, small):
    year = Period.year(2026, "hx01-vs01")
    c = reports.circulation(library, year)
    assert (c.loans, [p.code for p in c.by_place], [(r.category, r.loans) for r in c.by_category]) == (2, ["HX01-VS01"], [("Adult", 2)])
    t = reports.titles(library, year)
    by_code = {r.code: r for r in t.by_class}
    assert (by_code["G"].loans, by_code["K"].loans, by_code["K"].holdings, t.holdings) == (1, 1, 1, 1)
    assert reports.readers(library, year).active == 2
    g = reports.glance(library, Period.week_of(TODAY, "HX01-VS01"))
    assert (g.loans, g.renewals, g.visits, g.overdue, g.in_transit, g.participants) == (0, 0, 12, 1, 0, 0)
    assert reports.collection(library, year).added == 1


def test_annual_report_has_last_year_and_targets(library, small):
    annual = reports.annual_report(library, 2026)
    assert annual.language == "zh_CN" and annual.report.circulation.loans == 7
    assert (annual.last_year.loans, annual.last_year.visits, annual.last_year.new_patrons) == (1, 100, 1)
    targets = {t.key: t for t in annual.targets}
    assert (targets["loans"].this_year, targets["loans"].target) == (7, 8)  # +5 %, rounded up
    assert targets["turnover"].target >= 1.47 and targets["visits_per_head"].target is None
    change_setting(library, "reports.targets", {"loans": 20})
    change_setting(library, "reports.turnover_target", 2.0)
    targets = {t.key: t for t in reports.annual_report(library, 2026).targets}
    assert (targets["loans"].target, targets["turnover"].target) == (20, 2.0)


def test_an_empty_period_and_a_fresh_library_give_zeros(library):
    report = reports.period_report(library, YEAR)
    assert (report.circulation.loans, report.titles.holdings, report.readers.active, report.patrons.visits) == (0, 0, 0, 0)
    assert report.titles.turnover is None and report.readers.top == [] and report.titles.top == []
    assert [r.loans for r in report.circulation.by_time] == [0] * 12
    assert all(r.loans == 0 and r.turnover is None for r in report.titles.by_class)
    annual = reports.annual_report(library, 2026)
    assert {t.key: t.target for t in annual.targets}["turnover"] == 0.4


def test_empty_day_in_a_busy_library(library, small):
    report = reports.period_report(library, Period.day(dt.date(2026, 2, 2)))
    assert (report.circulation.loans, report.glance.loans, report.readers.active, report.titles.loans) == (0, 0, 0, 0)
    assert report.titles.holdings == 4  # held that day, lent or not (中国通史 came in March)


def test_bad_periods_and_places_are_refused(library, small):
    with pytest.raises(ValidationError):
        Period(dt.date(2026, 2, 1), dt.date(2026, 1, 1))
    with pytest.raises(NotFound):
        reports.circulation(library, Period.year(2026, "NOWHERE"))


def test_reports_need_a_librarian(as_role, small):
    with pytest.raises(PermissionDenied):
        reports.readers(as_role("volunteer"), YEAR)
    assert reports.glance(as_role("librarian"), Period.day(TODAY)).loans == 1


def test_periods_and_masks():
    assert Period.week_of(dt.date(2026, 11, 21)).start == dt.date(2026, 11, 16)
    assert Period.month(2024, 2).end == dt.date(2024, 2, 29)
    assert Period(dt.date(2024, 2, 29), dt.date(2024, 3, 1)).year_before().start == dt.date(2023, 2, 28)
    assert reports.buckets(Period.month(2026, 2))[0] == "day"
    size, months = reports.buckets(Period(dt.date(2026, 1, 15), dt.date(2026, 4, 10)))
    assert size == "month" and months[0] == (dt.date(2026, 1, 15), dt.date(2026, 1, 31)) and months[-1][1] == dt.date(2026, 4, 10)
    assert [reports.mask_name(n) for n in ("张三丰", "李四", "欧阳修文", "王")] == ["张*丰", "李*", "欧**文", "*"]
    assert reports.mask_card("HX010001") == "****0001"
