"""Lending, taking back, renewing and undoing at the desk: rows, events and refusals."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3

import pytest

from countylib.calendar import close_day
from countylib.circulation import (
    Transaction,
    check_in,
    check_out,
    declare_damaged,
    declare_lost,
    mark_long_overdue_lost,
    overdue_readers,
    patron_summary,
    record_in_house_use,
    renew,
    renew_all,
    undo,
    write_overdue_csv,
)
from countylib.errors import DatabaseError, NotFound, PermissionDenied, RuleViolation, ValidationError
from countylib.holds import place_hold
from countylib.rules import Blocked, save_rule, seed_default_rules
from countylib.settings import change_setting
from models import AuditLog, CardEvent, Hold, InHouseUse, Item, Loan, Outbox
from tests.circulation_helpers import event_types, events, home, lend_renew_and_undo, make_bib, make_item, make_location, make_patron

TODAY = dt.date(2026, 11, 21)  # the FixedClock's local date (10:00 in Shanghai)


def test_check_out_writes_the_loan_and_its_event(library):
    patron = make_patron(library, "HX01P1")
    item = make_item(library, "HX01B1")
    result = check_out(library, "HX01P1", "HX01B1")
    assert result.due_date == TODAY + dt.timedelta(days=30)
    loan = Loan.get()
    assert (loan.patron_id, loan.item_id, loan.due_date, loan.patron_category) == (patron.id, item.id, result.due_date, "adult")
    assert Item.get_by_id(item.id).status == "on_loan"
    [event] = events("loan.")
    assert event.type == "loan.checked_out"
    assert event.payload == {
        "loan_id": loan.id,
        "item_id": item.id,
        "barcode": "HX01B1",
        "patron_id": patron.id,
        "card_number": "HX01P1",
        "location": "HX01",
        "checked_out_at": "2026-11-21T02:00:00.000Z",
        "due_date": "2026-12-21",
        "override_reason": None,
    }


def test_scanner_noise_is_normalised(library):
    make_patron(library, "HX01P1")
    make_item(library, "HX01B1")
    result = check_out(library, " hx01p1\x02 ", "ＨＸ０１Ｂ１\r")
    assert result.item.barcode == "HX01B1"


def test_due_date_moves_past_closed_days(library):
    make_patron(library, "HX01P1")
    make_item(library, "HX01B1")
    close_day(library, dt.date(2026, 12, 21), "盘点")
    change_setting(library, "closed_weekdays", [1])  # Tuesdays
    assert check_out(library, "HX01P1", "HX01B1").due_date == dt.date(2026, 12, 23)


def test_volunteer_lends_but_cannot_override(library, as_role):
    volunteer = as_role("volunteer")
    make_patron(library, "HX01P1", expiry=TODAY - dt.timedelta(days=1))
    make_item(library, "HX01B1")
    with pytest.raises(Blocked) as refused:
        check_out(volunteer, "HX01P1", "HX01B1")
    assert [b.code for b in refused.value.blocks] == ["card_expired"]
    with pytest.raises(PermissionDenied):
        check_out(volunteer, "HX01P1", "HX01B1", override_reason="renewing card tomorrow")
    assert Loan.select().count() == 0 and event_types() == [] and AuditLog.select().where(AuditLog.action == "loan.override").count() == 0


def test_librarian_override_needs_a_reason_and_is_audited(library, as_role):
    librarian = as_role("librarian")
    make_patron(library, "HX01P1", status="suspended")
    make_item(library, "HX01B1")
    with pytest.raises(Blocked):
        check_out(librarian, "HX01P1", "HX01B1", override_reason="   ")
    result = check_out(librarian, "HX01P1", "HX01B1", override_reason="馆长同意")
    assert [b.code for b in result.overridden] == ["card_suspended"]
    assert events("loan.checked_out")[0].payload["override_reason"] == "馆长同意"
    audit = AuditLog.get(AuditLog.action == "loan.override")
    assert audit.username == "librarian1" and audit.details["blocks"] == ["card_suspended"]


def test_an_override_reason_is_words_not_a_scanned_code(library, as_role):
    """A scan landing in the reason box was taken as the reason and lent the book before."""
    librarian = as_role("librarian")
    make_patron(library, "HX01P1", status="suspended")
    make_item(library, "HX01B1")
    make_item(library, "HX01B2")
    for reason in ("HX01B2", " hx01b2\n", "XZ0100000028XZ0100000029XZ0100000030", "x"):
        with pytest.raises(ValidationError):
            check_out(librarian, "HX01P1", "HX01B1", override_reason=reason)
    assert Loan.select().count() == 0 and AuditLog.select().where(AuditLog.action == "loan.override").count() == 0
    assert check_out(librarian, "HX01P1", "HX01B1", override_reason="renewed card 2027").overridden


def test_a_handed_back_card_cannot_borrow_even_with_an_override(library):
    make_patron(library, "HX01P1", status="returned")
    make_item(library, "HX01B1")
    with pytest.raises(Blocked) as refused:
        check_out(library, "HX01P1", "HX01B1", override_reason="reader asked nicely")
    assert [b.code for b in refused.value.blocks] == ["card_returned"] and not refused.value.overridable
    assert Loan.select().count() == 0


def test_a_title_to_hold_is_found_by_a_hyphenated_or_ten_digit_isbn(library):
    from countylib.lookups import find_title

    bib = make_bib("红楼梦", isbn="9787020002207")
    assert find_title("978-7-02-000220-7").id == bib.id
    assert find_title("702000220X").id == bib.id
    with pytest.raises(NotFound):
        find_title("978-7-02-000220-8")  # a wrong check digit is no ISBN


def test_an_erased_reader_cannot_borrow_even_with_an_override(library):
    make_patron(library, "HX01P1", status="erased")
    make_item(library, "HX01B1")
    with pytest.raises(Blocked) as refused:
        check_out(library, "HX01P1", "HX01B1", override_reason="any")
    assert not refused.value.overridable


def test_loan_limit_comes_from_the_most_specific_rule(library):
    save_rule(library, patron_category="child", max_items=2)
    make_patron(library, "HX01C1", category="child")
    for n in range(3):
        make_item(library, f"HX01B{n}")
    check_out(library, "HX01C1", "HX01B0")
    check_out(library, "HX01C1", "HX01B1")
    with pytest.raises(Blocked) as refused:
        check_out(library, "HX01C1", "HX01B2")
    assert [b.code for b in refused.value.blocks] == ["loan_limit"]


def test_reference_and_local_history_stay_in_the_building(library):
    seed_default_rules(library)
    make_patron(library, "HX01P1")
    make_item(library, "HX01R1", item_type="reference")
    with pytest.raises(Blocked) as refused:
        check_out(library, "HX01P1", "HX01R1")
    assert [b.code for b in refused.value.blocks] == ["not_for_loan"]
    assert "not for loan" in refused.value.message


def test_overdue_items_block_new_loans(library):
    make_patron(library, "HX01P1")
    make_item(library, "HX01B1")
    make_item(library, "HX01B2")
    check_out(library, "HX01P1", "HX01B1")
    library.clock.advance(days=40)
    with pytest.raises(Blocked) as refused:
        check_out(library, "HX01P1", "HX01B2")
    assert [b.code for b in refused.value.blocks] == ["too_many_overdue"]
    change_setting(library, "overdue_items_block", 0)
    check_out(library, "HX01P1", "HX01B2")


def test_copy_still_on_loan_to_someone_else(library):
    make_patron(library, "HX01P1")
    make_patron(library, "HX01P2", name="李四")
    make_item(library, "HX01B1")
    check_out(library, "HX01P1", "HX01B1")
    with pytest.raises(Blocked) as refused:
        check_out(library, "HX01P2", "HX01B1")
    assert [b.code for b in refused.value.blocks] == ["on_loan"]
    check_out(library, "HX01P2", "HX01B1", override_reason="returned without check-in")
    assert Loan.select().where(Loan.checked_in_at.is_null()).count() == 1
    assert event_types() == ["loan.checked_out", "loan.checked_in", "loan.checked_out"]


def test_scanning_own_loan_again_points_to_renew(library):
    make_patron(library, "HX01P1")
    make_item(library, "HX01B1")
    check_out(library, "HX01P1", "HX01B1")
    with pytest.raises(Blocked) as refused:
        check_out(library, "HX01P1", "HX01B1", override_reason="x")
    assert refused.value.blocks[0].code == "already_theirs" and "Renew" in refused.value.message


def test_unknown_card_unknown_barcode_and_malformed_code(library):
    make_patron(library, "HX01P1")
    make_item(library, "HX01B1")
    with pytest.raises(NotFound, match="No reader has card HX01P9"):
        check_out(library, "HX01P9", "HX01B1")
    with pytest.raises(NotFound, match="No item has barcode HX01B9"):
        check_out(library, "HX01P1", "HX01B9")
    with pytest.raises(ValidationError, match="cannot be a card number"):
        check_out(library, "HX01P1", "HX01B1;DROP")
    with pytest.raises(ValidationError, match="Nothing was scanned"):
        check_in(library, " \x03 ")
    assert Loan.select().count() == 0 and event_types() == []


def test_replaced_card_is_refused_by_name(library):
    patron = make_patron(library, "HX01P2")
    CardEvent.create(patron=patron, kind="replaced", card_number="HX01P2", old_card_number="HX01P1")
    make_item(library, "HX01B1")
    with pytest.raises(RuleViolation, match="was replaced"):
        check_out(library, "HX01P1", "HX01B1")


def test_check_in_puts_it_back_on_the_shelf(library):
    make_patron(library, "HX01P1")
    make_item(library, "HX01B1")
    check_out(library, "HX01P1", "HX01B1")
    library.clock.advance(days=33)
    result = check_in(library, "HX01B1")
    assert (result.outcome, result.days_overdue, result.patron.card_number) == ("shelved", 3, "HX01P1")
    assert Item.get().status == "available" and Loan.get().checked_in_at is not None
    payload = events("loan.checked_in")[0].payload
    assert payload["outcome"] == "shelved" and payload["checked_in_at"] == "2026-12-24T02:00:00.000Z"


def test_item_of_another_place_goes_in_transit_unless_floating(library):
    point = make_location(library, "HX01-RP1")
    make_item(library, "HX01B1", location=point)
    result = check_in(library, "HX01B1")
    assert (result.outcome, result.destination.code) == ("in_transit", "HX01-RP1")
    assert Item.get().status == "in_transit"
    assert check_in(library, "HX01B1", location=point).outcome == "shelved"
    change_setting(library, "floating_collection", True)
    result = check_in(library, "HX01B1")
    assert result.outcome == "shelved" and Item.get().current_location_id == home(library).id


def test_unknown_barcode_check_in_is_recorded_for_sync(library):
    result = check_in(library, "QT02B77")
    assert result.outcome == "unknown_item"
    [event] = events("loan.checked_in")
    assert event.payload["item_id"] is None and event.payload["loan_id"] is None
    assert (event.payload["barcode"], event.payload["outcome"]) == ("QT02B77", "unknown_item")


def test_return_fills_a_waiting_hold(library):
    make_patron(library, "HX01P1")
    holder = make_patron(library, "HX01P2", name="李四")
    bib = make_bib("三体")
    make_item(library, "HX01B1", bib=bib)
    check_out(library, "HX01P1", "HX01B1")
    hold = place_hold(library, "HX01P2", bib.id, home(library))
    library.clock.advance(days=5)
    with pytest.raises(Blocked) as refused:
        renew(library, "HX01B1")
    assert [b.code for b in refused.value.blocks] == ["reserved"]
    close_day(library, dt.date(2026, 12, 3), "closed")  # today + 7 is closed: one more day
    result = check_in(library, "HX01B1")
    assert result.outcome == "hold_shelf" and result.hold.id == hold.id
    hold = Hold.get_by_id(hold.id)
    assert (hold.status, hold.expires_on) == ("ready", dt.date(2026, 12, 4))
    assert Item.get().status == "on_hold_shelf"
    assert event_types()[-2:] == ["loan.checked_in", "hold.ready"]
    with pytest.raises(Blocked) as refused:  # set aside for the holder, not the first reader
        check_out(library, "HX01P1", "HX01B1", override_reason="x")
    assert refused.value.blocks[0].code == "on_hold_shelf"
    lent = check_out(library, "HX01P2", "HX01B1")
    assert lent.hold.id == hold.id and Hold.get_by_id(hold.id).status == "filled"
    assert events("hold.filled")[0].payload == {
        "hold_id": hold.id, "item_id": lent.item.id, "barcode": "HX01B1", "loan_id": lent.loan.id,
    }
    assert holder.id == lent.patron.id


def test_hold_for_another_place_sends_the_copy_there(library):
    point = make_location(library, "HX01-RP1", name="村阅读点")
    make_patron(library, "HX01P2")
    bib = make_bib()
    make_item(library, "HX01B1", bib=bib, status="on_loan")
    place_hold(library, "HX01P2", bib.id, point)
    result = check_in(library, "HX01B1")
    assert (result.outcome, result.destination.code) == ("in_transit", "HX01-RP1")
    assert check_in(library, "HX01B1", location=point).outcome == "hold_shelf"


def test_renew_extends_and_counts(library):
    make_patron(library, "HX01P1")
    make_item(library, "HX01B1")
    check_out(library, "HX01P1", "HX01B1")
    library.clock.advance(days=20)
    renewal = renew(library, "HX01B1")
    assert (renewal.due_date, renewal.renewals) == (dt.date(2027, 1, 10), 1)
    assert events("loan.renewed")[0].payload["due_date"] == "2027-01-10"
    library.clock.advance(days=10)
    with pytest.raises(Blocked) as refused:
        renew(library, "HX01B1")
    assert [b.code for b in refused.value.blocks] == ["renewal_limit"]


def test_renewing_on_the_day_of_lending_is_refused_plainly(library):
    make_patron(library, "HX01P1")
    make_item(library, "HX01B1")
    check_out(library, "HX01P1", "HX01B1")
    with pytest.raises(Blocked, match="would not move its due date"):
        renew(library, "HX01B1", override_reason="x")


def test_renew_all_reports_each_refusal_and_keeps_the_rest(library):
    make_patron(library, "HX01P1")
    make_patron(library, "HX01P2")
    bib = make_bib("活着")
    make_item(library, "HX01B1")
    make_item(library, "HX01B2", bib=bib)
    check_out(library, "HX01P1", "HX01B1")
    check_out(library, "HX01P1", "HX01B2")
    place_hold(library, "HX01P2", bib.id, home(library))
    library.clock.advance(days=25)
    attempts = renew_all(library, "HX01P1")
    assert {a.barcode: (a.renewal is not None) for a in attempts} == {"HX01B1": True, "HX01B2": False}
    assert "reserved" in attempts[1].refusal.message
    assert len(events("loan.renewed")) == 1


def test_undo_check_out_is_a_correction_not_a_deletion(library):
    make_patron(library, "HX01P1")
    make_item(library, "HX01B1")
    lent = check_out(library, "HX01P1", "HX01B1")
    undo(library, Transaction("check_out", "HX01B1", "红楼梦", "HX01P1", loan_id=lent.loan.id))
    loan = Loan.get()
    assert loan.checked_in_at is not None and Item.get().status == "available"
    assert event_types() == ["loan.checked_out", "loan.checked_in", "loan.corrected"]
    assert events("loan.corrected")[0].payload["undid"] == "check_out"


def test_undo_renew_and_undo_check_in(library):
    lent = lend_renew_and_undo(library)
    loan = Loan.get()
    assert (loan.due_date, loan.renewals) == (lent.due_date, 0)
    check_in(library, "HX01B1")
    undo(library, Transaction("check_in", "HX01B1", "", "HX01P1", loan_id=lent.loan.id))
    loan = Loan.get()
    assert loan.checked_in_at is None and Item.get().status == "on_loan"
    assert events("loan.corrected")[-1].payload["open"] is True


def test_declare_lost_needs_a_librarian_and_leaves_the_overdue_list(library, as_role):
    make_patron(library, "HX01P1")
    make_item(library, "HX01B1")
    check_out(library, "HX01P1", "HX01B1")
    library.clock.advance(days=45)
    assert len(overdue_readers(library.clock.today())) == 1
    with pytest.raises(PermissionDenied):
        declare_lost(as_role("volunteer"), "HX01B1", "读者说丢了")
    declare_lost(as_role("librarian"), "HX01B1", "读者说丢了")
    assert Item.get().status == "lost" and Loan.get().checked_in_at is None
    assert overdue_readers(library.clock.today()) == []
    assert events("item.status_changed")[0].payload == {
        "item_id": Item.get().id, "barcode": "HX01B1", "status": "lost", "previous_status": "on_loan",
        "reason": "读者说丢了", "location": "HX01",
    }


def test_declare_damaged_takes_it_back_first(library, as_role):
    make_patron(library, "HX01P1")
    make_item(library, "HX01B1")
    check_out(library, "HX01P1", "HX01B1")
    declare_damaged(as_role("volunteer"), "HX01B1", "水渍")
    assert Item.get().status == "damaged" and Loan.get().checked_in_at is not None
    assert event_types()[-2:] == ["loan.checked_in", "item.status_changed"]


def test_in_house_use_is_counted(library):
    make_item(library, "HX01B1")
    record_in_house_use(library, "HX01B1")
    assert InHouseUse.select().count() == 1 and event_types() == ["item.used_in_house"]


def test_overdue_call_list_and_csv(library):
    make_patron(library, "HX01P1", name="王五", phone="13900000001")
    make_patron(library, "HX01P2", name="赵六")
    for n in range(3):
        make_item(library, f"HX01B{n}")
    check_out(library, "HX01P1", "HX01B0")
    check_out(library, "HX01P1", "HX01B1")
    library.clock.advance(days=5)
    check_out(library, "HX01P2", "HX01B2")
    library.clock.advance(days=31)
    readers = overdue_readers(library.clock.today())
    assert [(r.name, len(r.items), r.most_days) for r in readers] == [("王五", 2, 6), ("赵六", 1, 1)]
    out = io.StringIO()
    assert write_overdue_csv(readers, out) == 3
    assert "13900000001" in out.getvalue() and out.getvalue().splitlines()[0].startswith("Name,Card,Phone")


def test_long_overdue_items_become_lost(library):
    make_patron(library, "HX01P1")
    make_item(library, "HX01B1")
    check_out(library, "HX01P1", "HX01B1")
    library.clock.advance(days=30 + 91)
    assert mark_long_overdue_lost(library) == 1
    assert Item.get().status == "lost"


def test_patron_summary_lists_loans_holds_and_blocks(library):
    patron = make_patron(library, "HX01P1")
    make_item(library, "HX01B1")
    bib = make_bib("围城")
    make_item(library, "HX01B2", bib=bib, status="on_loan")
    check_out(library, "HX01P1", "HX01B1")
    place_hold(library, "HX01P1", bib.id, home(library))
    library.clock.advance(days=32)
    summary = patron_summary(patron, library.clock.today())
    assert [(line.barcode, line.days_overdue) for line in summary.loans] == [("HX01B1", 2)]
    assert [h.status for h in summary.holds] == ["waiting"]
    assert [b.code for b in summary.blocks] == ["too_many_overdue"]


def test_desk_location_setting_puts_loans_at_the_van_stop(library, as_role):
    stop = make_location(library, "HX01-V03", kind="van_stop")
    change_setting(as_role("librarian"), "desk_location", "HX01-V03")
    make_patron(library, "HX01P1")
    make_item(library, "HX01B1")
    check_out(library, "HX01P1", "HX01B1")
    assert Loan.get().location_id == stop.id
    assert events("loan.checked_out")[0].payload["location"] == "HX01-V03"


def test_locked_database_is_plain_words_and_nothing_half_written(library, db_path):
    make_patron(library, "HX01P1")
    make_item(library, "HX01B1")
    library.db.execute_sql("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(db_path)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseError, match="busy"):
            check_out(library, "HX01P1", "HX01B1")
    finally:
        other.rollback()
        other.close()
    assert Loan.select().count() == 0 and Outbox.select().count() == 1
    assert Item.get().status == "available"


def test_a_set_aside_copy_scanned_again_stays_for_its_reader(library):
    make_patron(library, "HX01P1")
    make_patron(library, "HX01P2")
    point = make_location(library, "HX01-RP1")
    bib = make_bib()
    make_item(library, "HX01B1", bib=bib, status="on_loan")
    first = place_hold(library, "HX01P1", bib.id, home(library))
    library.clock.advance(seconds=1)
    place_hold(library, "HX01P2", bib.id, home(library))
    check_in(library, "HX01B1")
    again = check_in(library, "HX01B1")
    assert (again.outcome, again.hold.id) == ("hold_shelf", first.id)
    assert [h.status for h in Hold.select().order_by(Hold.placed_at)] == ["ready", "waiting"]
    assert len(events("hold.ready")) == 1
    assert check_in(library, "HX01B1", location=point).outcome == "in_transit"  # carried off by mistake
    assert check_in(library, "HX01B1").hold.id == first.id and Item.get().status == "on_hold_shelf"


def test_undoing_the_return_of_a_book_that_was_not_on_loan_says_so_plainly(library):
    make_item(library, "HX01B1")
    check_in(library, "HX01B1")
    with pytest.raises(RuleViolation) as refused:
        undo(library, Transaction("check_in", "HX01B1", "红楼梦"))
    assert refused.value.msgid == (
        "{title} was not on loan when it was checked in, so there is no loan to put back. "
        "If a reader should have it, lend it to them."
    )
    assert refused.value.params == {"title": "红楼梦"}
