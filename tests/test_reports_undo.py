"""An undo at the desk leaves no trace in the figures: a loan taken back by Ctrl+Z was never
lent, a return undone never happened, a renewal undone was never made. Real desk services on
the ``library`` fixture (Saturday 21 November 2026, 10:00 in Shanghai)."""

from __future__ import annotations

import datetime as dt

from countylib import reports
from countylib.circulation import Transaction, check_out, renew, undo
from countylib.report_data import Period
from tests.circulation_helpers import lend_renew_and_undo, lend_return_and_undo, make_bib, make_item, make_patron

TODAY = dt.date(2026, 11, 21)


def lend_undo_and_lend_again(library) -> None:
    """The tester's steps: lent to the wrong reader, undone, lent to the right one."""
    make_patron(library, "HX01P1", name="张三")
    make_patron(library, "HX01P2", name="李四")
    make_item(library, "HX01B1", bib=make_bib("红楼梦", clc_class="I242.4"))
    wrong = check_out(library, "HX01P1", "HX01B1")
    library.clock.advance(minutes=1)
    undo(library, Transaction("check_out", "HX01B1", "红楼梦", "HX01P1", loan_id=wrong.loan.id))
    library.clock.advance(minutes=1)
    check_out(library, "HX01P2", "HX01B1")


def test_an_undone_loan_is_neither_a_loan_nor_a_return_nor_a_reader(library):
    lend_undo_and_lend_again(library)
    report = reports.period_report(library, Period.day(TODAY), internal=True)
    g = report.glance
    assert (g.loans, g.returns) == (1, 0)
    assert [(d.loans, d.returns) for d in g.days] == [(1, 0)]
    c = report.circulation
    assert (c.loans, [b.loans for b in c.by_time]) == (1, [1])
    assert [(p.code, p.loans) for p in c.by_place] == [("HX01", 1)]
    assert [(r.category, r.loans) for r in c.by_category] == [("Adult", 1)]
    assert report.readers.active == 1
    assert [(r.card, r.loans) for r in report.readers.top] == [("HX01P2", 1)]
    assert report.titles.loans == 1
    assert [(t.title, t.loans) for t in report.titles.top] == [("红楼梦", 1)]
    assert {r.code: r.loans for r in report.titles.by_class}["I"] == 1


def test_an_undone_loan_is_left_out_at_a_place_and_over_longer_periods(library):
    lend_undo_and_lend_again(library)
    here = Period.day(TODAY, "HX01")
    assert (reports.glance(library, here).loans, reports.glance(library, here).returns) == (1, 0)
    assert reports.readers(library, here).active == 1
    assert reports.titles(library, here).loans == 1
    for period in (Period.month(2026, 11), Period.year(2026)):
        assert reports.circulation(library, period).loans == 1
        assert reports.readers(library, period).active == 1
        assert (reports.glance(library, period).loans, reports.glance(library, period).returns) == (1, 0)


def test_an_undone_loan_does_not_keep_a_title_off_the_weeding_list(library):
    make_patron(library, "HX01P1")
    old = make_item(library, "HX01B1", bib=make_bib("旧书", clc_class="TP311.1"))
    old.accessioned_at = dt.datetime(2020, 1, 1)
    old.save()
    lent = check_out(library, "HX01P1", "HX01B1")
    undo(library, Transaction("check_out", "HX01B1", "旧书", "HX01P1", loan_id=lent.loan.id))
    t = reports.titles(library, Period.year(2026))
    assert t.loans == 0
    assert [(w.title, w.last_loan) for w in t.weeding] == [("旧书", None)]


def test_an_undone_return_counts_the_loan_once_and_no_return(library):
    # Guard: undoing a return re-opens the loan row itself, so the loan table was right already.
    lend_return_and_undo(library)
    g = reports.glance(library, Period.day(TODAY))
    assert (g.loans, g.returns) == (1, 0)
    assert reports.circulation(library, Period.day(TODAY)).loans == 1


def test_an_undone_renewal_is_no_renewal(library):
    lend_renew_and_undo(library)
    day = library.clock.today()
    assert reports.glance(library, Period.day(day)).renewals == 0
    assert reports.glance(library, Period.day(day, "HX01")).renewals == 0
    month = reports.circulation(library, Period.month(day.year, day.month))
    assert (month.renewals, sum(b.renewals_made for b in month.by_time)) == (0, 0)


def test_a_renewal_made_again_after_an_undo_counts_once(library):
    lend_renew_and_undo(library)
    renew(library, "HX01B1")
    day = library.clock.today()
    assert reports.glance(library, Period.day(day)).renewals == 1
    assert reports.circulation(library, Period.day(day)).by_time[0].renewals_made == 1
