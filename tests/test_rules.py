"""The lending rules, by example and by property (hypothesis)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from countylib.calendar import close_day, first_open_day, next_open_day, open_day
from countylib.circulation import check_in, check_out, renew
from countylib.errors import PermissionDenied, RuleViolation, ValidationError
from countylib.holds import cancel_hold, expire_holds, hold_shelf, place_hold
from countylib.rules import Blocked, delete_rule, find_rule, fine_for, save_rule
from countylib.settings import change_setting
from models import Branch, Calendar, CirculationRule, Hold, Item, Loan, Location, Outbox, Patron
from tests.circulation_helpers import home, make_bib, make_item, make_patron

DB_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
TODAY = dt.date(2026, 11, 21)


def reset_circulation(ctx) -> None:
    """Between hypothesis examples on one database: no loans, holds, readers or copies."""
    for model in (Hold, Loan, Item, Patron, Calendar):
        model.delete().execute()
    default = CirculationRule.branch.is_null() & CirculationRule.patron_category.is_null() & CirculationRule.item_type.is_null()
    CirculationRule.delete().where(~default).execute()


# -- closed days --------------------------------------------------------------------------


@given(
    start=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)),
    closed=st.sets(st.integers(0, 60), max_size=40),
    weekdays=st.sets(st.integers(0, 6), max_size=6),
)
def test_first_open_day_is_the_next_day_not_closed(start, closed, weekdays):
    closed_days = {start + dt.timedelta(days=n) for n in closed}

    def is_closed(day):
        return day in closed_days or day.weekday() in weekdays

    day = first_open_day(start, is_closed)
    assert day >= start and not is_closed(day)
    assert all(is_closed(start + dt.timedelta(days=n)) for n in range((day - start).days))


def test_a_calendar_with_no_open_day_is_reported():
    with pytest.raises(RuleViolation, match="no open day"):
        first_open_day(TODAY, lambda day: True)


@DB_SETTINGS
@given(
    loan_days=st.integers(1, 60),
    closed=st.sets(st.integers(0, 70), max_size=25),
    weekday=st.one_of(st.none(), st.integers(0, 6)),
    mine=st.booleans(),
)
def test_due_date_lands_on_the_next_open_day_of_the_lending_branch(library, loan_days, closed, weekday, mine):
    reset_circulation(library)
    other = Branch.get_or_none(Branch.code == "QT02") or Branch.create(code="QT02", name="other")
    save_rule(library, loan_days=loan_days)
    change_setting(library, "closed_weekdays", [] if weekday is None else [weekday])
    closed_days = {TODAY + dt.timedelta(days=n) for n in closed}
    for day in closed_days:
        Calendar.create(branch=library.branch if mine else other, day=day)
    make_patron(library, "HX01P1")
    make_item(library, "HX01B1")
    due = check_out(library, "HX01P1", "HX01B1").due_date
    counted = closed_days if mine else set()

    def is_closed(day):
        return day in counted or (weekday is not None and day.weekday() == weekday)

    assert due >= TODAY + dt.timedelta(days=loan_days) and not is_closed(due)
    assert all(is_closed(TODAY + dt.timedelta(days=n)) for n in range(loan_days, (due - TODAY).days))


def test_all_branch_closed_days_count_everywhere_and_can_be_reopened(library, as_role):
    day = dt.date(2026, 12, 1)
    close_day(as_role("librarian"), day, "元旦")
    assert next_open_day(library.branch.id, day) == day + dt.timedelta(days=1)
    open_day(as_role("librarian"), day)
    assert next_open_day(library.branch.id, day) == day
    with pytest.raises(PermissionDenied):
        close_day(as_role("volunteer"), day)


# -- the matrix ---------------------------------------------------------------------------

LEVELS = [(b, c, t) for b in (True, False) for c in (True, False) for t in (True, False)]
REFERENCE_ORDER = [  # the order, written out rather than computed
    (True, True, True), (True, True, False), (True, False, True), (True, False, False),
    (False, True, True), (False, True, False), (False, False, True), (False, False, False),
]


@DB_SETTINGS
@given(present=st.sets(st.sampled_from(LEVELS[:-1])), decoys=st.sets(st.sampled_from(LEVELS[:-1])))
def test_most_specific_rule_wins(library, present, decoys):
    reset_circulation(library)
    other = Branch.get_or_none(Branch.code == "QT02") or Branch.create(code="QT02", name="other")
    CirculationRule.update(loan_days=99).where(CirculationRule.branch.is_null()).execute()
    for level in present:  # rules that apply to (HX01, adult, book)
        b, c, t = level
        CirculationRule.create(branch=library.branch if b else None, patron_category="adult" if c else None,
                               item_type="book" if t else None, loan_days=REFERENCE_ORDER.index(level) + 1)
    for b, c, t in decoys:  # rules for other cells that must never be picked
        CirculationRule.create(branch=other if b else None, patron_category="child" if c else None,
                               item_type="av" if t else None, loan_days=77)
    expected = next((REFERENCE_ORDER.index(lv) + 1 for lv in REFERENCE_ORDER if lv in present), 99)
    assert find_rule(library.branch.id, "adult", "book").loan_days == expected


@pytest.mark.parametrize("whose,expected", [("desk", 10), ("patron", 20), ("item", 30)])
def test_whose_branch_picks_the_rule(library, whose, expected):
    patron_branch = Branch.create(code="PB01", name="patron's")
    item_branch = Branch.create(code="IB01", name="item's")
    item_home = Location.create(branch=item_branch, code="IB01", name="item's")
    save_rule(library, branch_code="HX01", loan_days=10)
    save_rule(library, branch_code="PB01", loan_days=20)
    save_rule(library, branch_code="IB01", loan_days=30)
    change_setting(library, "circulation_rule_branch", whose)
    patron = make_patron(library, "HX01P1")
    patron.home_branch = patron_branch
    patron.save()
    make_item(library, "HX01B1", location=item_home)
    assert check_out(library, "HX01P1", "HX01B1").due_date == TODAY + dt.timedelta(days=expected)


def test_rules_are_edited_by_admins_with_events(library, as_role):
    with pytest.raises(PermissionDenied):
        save_rule(as_role("librarian"), item_type="av", loan_days=7)
    rule = save_rule(library, item_type="av", loan_days=7)
    save_rule(library, item_type="av", loan_days=14)
    assert CirculationRule.get_by_id(rule.id).loan_days == 14
    with pytest.raises(ValidationError):
        save_rule(library, item_type="spaceship", loan_days=7)
    with pytest.raises(ValidationError):
        save_rule(library, loan_days=-1)
    delete_rule(library, rule.id)
    default = CirculationRule.get(CirculationRule.item_type.is_null(), CirculationRule.branch.is_null())
    with pytest.raises(RuleViolation):
        delete_rule(library, default.id)
    types = [e.type for e in Outbox.select().order_by(Outbox.seq)]
    assert types[-3:] == ["rule.saved", "rule.saved", "rule.deleted"]


@given(days=st.integers(-5, 400), per_day=st.integers(0, 100), cap=st.integers(0, 5000))
def test_fines_never_exceed_the_cap(days, per_day, cap):
    rule = CirculationRule(fine_per_day_cents=per_day, fine_cap_cents=cap)
    fine = fine_for(days, rule)
    assert fine >= 0
    assert fine == 0 if days <= 0 or per_day == 0 else fine == (min(days * per_day, cap) if cap else days * per_day)


# -- limits, renewals and holds ------------------------------------------------------------


@DB_SETTINGS
@given(max_items=st.integers(0, 6), wanted=st.integers(0, 8))
def test_a_reader_never_holds_more_than_the_limit(library, max_items, wanted):
    reset_circulation(library)
    save_rule(library, max_items=max_items)
    make_patron(library, "HX01P1")
    lent = 0
    for n in range(wanted):
        make_item(library, f"HX01B{n}")
        try:
            check_out(library, "HX01P1", f"HX01B{n}")
            lent += 1
        except Blocked as refused:
            assert [b.code for b in refused.blocks] == ["loan_limit"]
    assert lent == min(max_items, wanted) == Loan.select().count()


@DB_SETTINGS
@given(allowed=st.integers(0, 3), attempts=st.integers(1, 5), held=st.booleans())
def test_renewals_stop_at_the_limit_or_at_a_hold(library, allowed, attempts, held):
    reset_circulation(library)
    save_rule(library, renewals=allowed, renewal_days=30)
    make_patron(library, "HX01P1")
    make_patron(library, "HX01P2")
    bib = make_bib()
    make_item(library, "HX01B1", bib=bib)
    check_out(library, "HX01P1", "HX01B1")
    if held:
        place_hold(library, "HX01P2", bib.id, home(library))
    renewed = 0
    start = library.clock.instant
    try:
        for _n in range(attempts):
            library.clock.advance(days=10)
            try:
                renew(library, "HX01B1")
                renewed += 1
            except Blocked as refused:
                codes = {b.code for b in refused.blocks}
                assert codes <= {"renewal_limit", "reserved"} and codes
    finally:
        library.clock.instant = start
    assert renewed == (0 if held else min(allowed, attempts))
    assert Loan.get().renewals == renewed


@DB_SETTINGS
@given(
    role=st.sampled_from(["volunteer", "librarian", "admin"]),
    status=st.sampled_from(["active", "suspended", "returned", "erased"]),
    expired=st.booleans(),
    item_status=st.sampled_from(["available", "lost", "damaged", "withdrawn"]),
    reason=st.sampled_from(["", "馆长同意"]),
)
def test_overrides_need_a_librarian_a_reason_and_an_overridable_block(library, as_role, role, status, expired, item_status, reason):
    reset_circulation(library)
    ctx = library if role == "admin" else as_role(role)
    make_patron(library, "HX01P1", status=status, expiry=TODAY - dt.timedelta(days=1) if expired else None)
    make_item(library, "HX01B1", status=item_status)
    blocked = status != "active" or expired or item_status != "available"
    fixed = status in ("erased", "returned") or item_status == "withdrawn"  # no override lends on these
    before = Outbox.select().count()
    try:
        check_out(ctx, "HX01P1", "HX01B1", override_reason=reason or None)
        lent = True
    except (Blocked, PermissionDenied) as refused:
        lent = False
        if isinstance(refused, PermissionDenied):
            assert role == "volunteer" and blocked and reason and not fixed
    assert lent == (not blocked or (role != "volunteer" and bool(reason) and not fixed))
    assert Loan.select().count() == int(lent)
    assert Outbox.select().count() == before + int(lent)


def test_hold_limits_and_duplicates(library):
    save_rule(library, holds_allowed=1)
    make_patron(library, "HX01P1")
    first, second = make_bib("一"), make_bib("二")
    make_item(library, "HX01B1", bib=first, status="on_loan")
    make_item(library, "HX01B2", bib=second, status="on_loan")
    hold = place_hold(library, "HX01P1", first.id, home(library))
    with pytest.raises(RuleViolation, match="already has a hold"):
        place_hold(library, "HX01P1", first.id, home(library))
    with pytest.raises(RuleViolation, match="most allowed"):
        place_hold(library, "HX01P1", second.id, home(library))
    cancel_hold(library, hold.id)
    place_hold(library, "HX01P1", second.id, home(library))


def test_cancelling_a_ready_hold_passes_the_copy_on(library):
    make_patron(library, "HX01P1")
    make_patron(library, "HX01P2")
    bib = make_bib()
    make_item(library, "HX01B1", bib=bib, status="on_loan")
    first = place_hold(library, "HX01P1", bib.id, home(library))
    library.clock.advance(seconds=1)
    second = place_hold(library, "HX01P2", bib.id, home(library))
    check_in(library, "HX01B1")
    assert Hold.get_by_id(first.id).status == "ready"
    cancel_hold(library, first.id)
    assert Hold.get_by_id(second.id).status == "ready" and Item.get().status == "on_hold_shelf"
    cancel_hold(library, second.id)
    assert Item.get().status == "available"


def test_expired_holds_free_their_copies(library):
    make_patron(library, "HX01P1", name="钱七")
    bib = make_bib()
    make_item(library, "HX01B1", bib=bib, status="on_loan")
    hold = place_hold(library, "HX01P1", bib.id, home(library))
    check_in(library, "HX01B1")
    assert [row.patron_name for row in hold_shelf(home(library))] == ["钱七"]
    library.clock.advance(days=6)
    assert expire_holds(library) == []
    library.clock.advance(days=3)
    assert [h.id for h in expire_holds(library)] == [hold.id]
    assert Item.get().status == "available" and hold_shelf(home(library)) == []
