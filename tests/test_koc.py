"""The Koha offline-circulation export and the desk's undo: Koha is told what stands after it."""

from __future__ import annotations

import datetime as dt

from countylib.circulation import Transaction, check_in, check_out, undo
from countylib.koc import export_koc
from tests.circulation_helpers import lend_return_and_undo, make_item, make_patron

TODAY = dt.date(2026, 11, 21)


def transactions(path) -> list[list[str]]:
    """Each line after the header, without its time."""
    return [line.split("\t")[1:] for line in path.read_text(encoding="utf-8").splitlines()[1:]]


def test_an_undone_loan_goes_to_koha_as_nothing(library, tmp_path):
    make_patron(library, "HX01P1")
    make_patron(library, "HX01P2")
    make_item(library, "HX01B1")
    wrong = check_out(library, "HX01P1", "HX01B1")
    undo(library, Transaction("check_out", "HX01B1", "红楼梦", "HX01P1", loan_id=wrong.loan.id))
    check_out(library, "HX01P2", "HX01B1")
    result = export_koc(library, TODAY, tmp_path / "a.koc")
    assert transactions(tmp_path / "a.koc") == [["issue", "HX01P2", "HX01B1"]]
    assert (result.issues, result.returns) == (1, 0)
    again = export_koc(library, TODAY, tmp_path / "b.koc")
    assert (again.issues, again.returns, transactions(tmp_path / "b.koc")) == (0, 0, [])


def test_a_loan_undone_after_koha_had_it_is_taken_back_there(library, tmp_path):
    # Guard: Koha was told of the loan, so it must hear of its end.
    make_patron(library, "HX01P1")
    make_item(library, "HX01B1")
    lent = check_out(library, "HX01P1", "HX01B1")
    export_koc(library, TODAY, tmp_path / "a.koc")
    undo(library, Transaction("check_out", "HX01B1", "红楼梦", "HX01P1", loan_id=lent.loan.id))
    export_koc(library, TODAY, tmp_path / "b.koc")
    assert transactions(tmp_path / "b.koc") == [["return", "HX01B1"]]


def test_an_undone_return_goes_to_koha_as_nothing(library, tmp_path):
    lend_return_and_undo(library)
    result = export_koc(library, TODAY, tmp_path / "a.koc")
    assert transactions(tmp_path / "a.koc") == [["issue", "HX01P1", "HX01B1"]]
    assert (result.issues, result.returns) == (1, 0)
    export_koc(library, TODAY, tmp_path / "b.koc")
    assert transactions(tmp_path / "b.koc") == []


def test_a_return_undone_after_koha_had_it_is_lent_again_there(library, tmp_path):
    make_patron(library, "HX01P1")
    make_item(library, "HX01B1")
    lent = check_out(library, "HX01P1", "HX01B1")
    check_in(library, "HX01B1")
    export_koc(library, TODAY, tmp_path / "a.koc")
    library.clock.advance(minutes=5)
    undo(library, Transaction("check_in", "HX01B1", "红楼梦", "HX01P1", loan_id=lent.loan.id))
    result = export_koc(library, TODAY, tmp_path / "b.koc")
    lines = (tmp_path / "b.koc").read_text(encoding="utf-8").splitlines()[1:]
    assert lines == ["2026-11-21 10:05:00\tissue\tHX01P1\tHX01B1"]
    assert (result.issues, result.returns) == (1, 0)
