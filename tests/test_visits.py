"""Visitor counts by hand and from a gate counter's CSV; visits per head of the service population."""

from __future__ import annotations

import datetime as dt

import pytest

from countylib import visits
from countylib.errors import NotFound, ValidationError
from countylib.locations import PlaceDraft, add_location
from countylib.settings import change_setting
from models import Outbox, VisitCount

TODAY = dt.date(2026, 11, 21)  # the fixed clock's local date


def visit_events() -> list[Outbox]:
    return list(Outbox.select().where(Outbox.type.startswith("visit.")).order_by(Outbox.seq))


def test_day_total_is_set_not_added(library):
    assert visits.record_visits(library, "HX01", TODAY, {None: 250}) == 1
    assert visits.record_visits(library, "HX01", TODAY, {None: 260}) == 1  # a correction
    assert visits.record_visits(library, "HX01", TODAY, {None: 260}) == 0  # nothing changed
    assert visits.total_visits(TODAY, TODAY) == 260
    assert VisitCount.select().count() == 1
    events = visit_events()
    assert len(events) == 2
    assert events[-1].payload["counts"] == [
        {"id": VisitCount.get().id, "location": "HX01", "day": "2026-11-21", "hour": None, "count": 260}
    ]


def test_hourly_counts(library):
    visits.record_visits(library, "HX01", TODAY, {9: 30, 10: 41})
    visits.record_visits(library, "hx01", TODAY, {10: 45, 11: 12})
    assert visits.hour_counts("HX01", TODAY) == {9: 30, 10: 45, 11: 12}
    [day] = visits.day_totals(TODAY, TODAY)
    assert (day.visits, day.by_hour, day.location_code) == (87, True, "HX01")


@pytest.mark.parametrize(
    "day, counts, message",
    [
        (TODAY + dt.timedelta(days=1), {None: 5}, "in the future"),
        (TODAY, {None: -1}, "cannot be negative"),
        (TODAY, {None: 500_000}, "check the number"),
        (TODAY, {24: 5}, "from 0 to 23"),
        (TODAY, {None: 5, 9: 3}, "not both"),
        (TODAY, {}, "at least one"),
    ],
)
def test_bad_counts_are_refused(library, day, counts, message):
    with pytest.raises(ValidationError, match=message):
        visits.record_visits(library, "HX01", day, counts)
    assert VisitCount.select().count() == 0
    assert visit_events() == []


def test_a_day_is_counted_per_hour_or_as_a_total_never_both(library):
    visits.record_visits(library, "HX01", TODAY, {9: 30})
    with pytest.raises(ValidationError, match="already has counts per hour"):
        visits.record_visits(library, "HX01", TODAY, {None: 300})
    assert visits.clear_visits(library, "HX01", TODAY) == 1
    visits.record_visits(library, "HX01", TODAY, {None: 300})
    with pytest.raises(ValidationError, match="already has a total"):
        visits.record_visits(library, "HX01", TODAY, {9: 30})
    with pytest.raises(NotFound):
        visits.record_visits(library, "NOWHERE", TODAY, {None: 1})


def test_per_capita_visits(library):
    assert visits.per_capita_visits(2026).per_head is None  # population not set yet
    visits.record_visits(library, "HX01", TODAY, {None: 3000})
    visits.record_visits(library, "HX01", dt.date(2026, 1, 5), {None: 1500})
    visits.set_service_population(library, 9000)
    result = visits.per_capita_visits(2026)
    assert (result.visits, result.population, result.per_head) == (4500, 9000, 0.5)
    assert visits.visits_by_month(2026) == {1: 1500, 11: 3000}
    with pytest.raises(ValidationError):
        visits.set_service_population(library, -5)


GATE_FILE = """时间,进馆人数,出馆人数,门
2026-11-20 09:00:00,35,2,南门
2026-11-20 09:00:00,5,0,北门
2026-11-20 10:00:00,48,30,南门
2026-11-20 11:00:00,abc,1,南门
2026-13-01 09:00:00,4,0,南门

2026-11-20 12:00:00,20,40,南门
2026-11-25 09:00:00,7,0,南门
"""


def write(tmp_path, text: str, encoding: str = "utf-8") -> object:
    path = tmp_path / "gate.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_gate_file_broken_rows_are_reported_by_line_and_the_rest_imported(library, tmp_path):
    path = write(tmp_path, GATE_FILE, "gb18030")  # what Chinese gate counters write
    assert visits.read_header(path) == ["时间", "进馆人数", "出馆人数", "门"]
    with pytest.raises(ValidationError, match="columns first"):
        visits.import_gate_file(library, path, "HX01")
    visits.save_gate_columns(library, visits.GateColumns(date="时间", count="进馆人数"))
    result = visits.import_gate_file(library, path, "HX01")
    assert [(p.line, p.message) for p in result.problems] == [
        (5, "'abc' is not a number of visitors."),
        (6, "'2026-13-01 09:00:00' is not a date like 2026-11-20."),
        (9, "2026-11-25 is in the future."),
    ]
    assert (result.rows_read, result.rows_used, result.counts_changed) == (7, 4, 3)
    assert visits.hour_counts("HX01", dt.date(2026, 11, 20)) == {9: 40, 10: 48, 12: 20}  # two doors add up
    assert [e.payload["source"] for e in visit_events()] == ["gate"]

    again = visits.import_gate_file(library, path, "HX01")  # importing twice changes nothing
    assert again.counts_changed == 0 and len(again.problems) == 3
    assert visits.total_visits(dt.date(2026, 11, 20), dt.date(2026, 11, 20)) == 108
    assert len(visit_events()) == 1


def test_gate_file_with_hour_and_place_columns(library, tmp_path):
    add_location(library, PlaceDraft(code="RP-DC", name="东村阅读点", kind="reading_point", host_organisation="东村村委会"))
    path = write(tmp_path, "date;hour;in;place\n2026/11/19;09:00-10:00;12;RP-DC\n2026/11/19;9;3;HX01\n2026/11/19;25;3;HX01\n2026/11/19;10;3;XX\n")
    visits.save_gate_columns(library, visits.GateColumns(date="date", count="in", hour="hour", location="place"))
    result = visits.import_gate_file(library, path)
    assert [p.line for p in result.problems] == [4, 5]
    assert "no place with the code XX" in result.problems[1].message
    assert visits.hour_counts("RP-DC", dt.date(2026, 11, 19)) == {9: 12}
    assert visits.hour_counts("HX01", dt.date(2026, 11, 19)) == {9: 3}


def test_gate_rows_that_clash_with_a_typed_day_total_are_reported(library, tmp_path):
    visits.record_visits(library, "HX01", dt.date(2026, 11, 20), {None: 100})
    visits.save_gate_columns(library, visits.GateColumns(date="时间", count="进馆人数"))
    result = visits.import_gate_file(library, write(tmp_path, GATE_FILE), "HX01")
    assert [p.line for p in result.problems] == [2, 3, 4, 5, 6, 8, 9]
    assert "counted both per hour and as a day total" in result.problems[0].message
    assert result.counts_changed == 0
    assert visits.hour_counts("HX01", dt.date(2026, 11, 20)) == {None: 100}


def test_a_gate_file_missing_a_column_imports_nothing(library, tmp_path):
    visits.save_gate_columns(library, visits.GateColumns(date="Date", count="In"))
    with pytest.raises(ValidationError, match="no column called Date; its columns are: 时间, 进馆人数"):
        visits.import_gate_file(library, write(tmp_path, GATE_FILE), "HX01")
    assert VisitCount.select().count() == 0


def test_gate_columns_are_checked(library):
    with pytest.raises(ValidationError):
        visits.save_gate_columns(library, visits.GateColumns(date="", count="In"))
    with pytest.raises(ValidationError, match="one thing only"):
        visits.save_gate_columns(library, visits.GateColumns(date="x", count="x"))
    change_setting(library, "gate_csv_columns", {})
    assert visits.gate_columns() is None


def test_gate_columns_are_guessed_by_their_names_then_by_what_they_hold(tmp_path):
    # The names say it: a separate time column is the hour, never the count.
    path = write(tmp_path, "日期,时间,进馆人数\n2026-11-20,09:00,35\n2026-11-20,10:00,40\n")
    assert visits.guess_gate_columns(path) == visits.GateColumns(date="日期", count="进馆人数", hour="时间")
    # People going out are not the count, wherever the column stands.
    path = write(tmp_path, "出馆人数,进馆人数,日期\n3,5,2026-11-20\n")
    assert visits.guess_gate_columns(path) == visits.GateColumns(date="日期", count="进馆人数")
    # No date in any name: the column holding dates and times is the date.
    path = write(tmp_path, GATE_FILE)
    assert visits.guess_gate_columns(path) == visits.GateColumns(date="时间", count="进馆人数")
    path = write(tmp_path, "date;hour;in;place\n2026/11/19;09:00-10:00;12;RP-DC\n")
    assert visits.guess_gate_columns(path) == visits.GateColumns(date="date", count="in", hour="hour", location="place")


def test_a_day_cleared_is_sent_on_and_can_be_counted_the_other_way(library):
    visits.record_visits(library, "HX01", TODAY, {10: 100})
    assert visits.clear_visits(library, "HX01", TODAY) == 1
    visits.record_visits(library, "HX01", TODAY, {None: 50})
    assert visits.hour_counts("HX01", TODAY) == {None: 50}
    counted, cleared, again = visit_events()
    assert cleared.type == "visit.cleared"
    assert cleared.payload == {"location": "HX01", "day": "2026-11-21", "ids": [counted.payload["counts"][0]["id"]]}
    assert again.payload["counts"][0]["hour"] is None
