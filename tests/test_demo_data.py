"""The generated demo library: repeatable, internally consistent, and realistic enough."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
from pathlib import Path

import pytest
from stdnum import isbn as stdnum_isbn
from stdnum.cn import ric

from countylib.auth import sign_in
from countylib.clc import parse_class_number
from countylib.cli import main
from countylib.demo_data import ACCOUNTS, generate, id_number_hash
from countylib.errors import ValidationError
from countylib.idnumbers import id_number_hash as library_id_number_hash
from countylib.library import make_context, open_db

TODAY = dt.date(2026, 11, 21)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    generate(path, size="demo", seed=1, today=TODAY)
    return path


def rows(path: Path, sql: str, *params) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def dump_hash(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        digest = hashlib.sha256()
        for line in conn.iterdump():
            digest.update(line.encode())
        return digest.hexdigest()
    finally:
        conn.close()


def test_same_seed_and_day_give_the_same_file_contents(demo, tmp_path):
    again = tmp_path / "again.db"
    generate(again, size="demo", seed=1, today=TODAY)
    assert dump_hash(again) == dump_hash(demo)


def test_another_seed_gives_another_library(demo, tmp_path):
    other = tmp_path / "other.db"
    generate(other, size="demo", seed=2, today=TODAY)
    assert dump_hash(other) != dump_hash(demo)
    assert rows(other, "SELECT name FROM patron ORDER BY card_number LIMIT 20") != rows(
        demo, "SELECT name FROM patron ORDER BY card_number LIMIT 20"
    )


def test_sizes_are_about_what_the_demo_promises(demo):
    count = {t: rows(demo, f"SELECT count(*) FROM {t}")[0][0] for t in ("item", "bib", "patron", "loan")}
    assert count == {"item": 5000, "bib": 3000, "patron": 1000, "loan": pytest.approx(15000, rel=0.05)}
    for table in ("hold", "donor", "donation", "donation_line", "volunteer", "shift", "shift_assignment", "event",
                  "registration", "attendance", "visit_count", "calendar", "deposit_line", "card_event"):
        assert rows(demo, f"SELECT count(*) FROM {table}")[0][0] > 0, table


def test_every_resident_id_is_valid_and_matches_birth_date_and_sex(demo):
    readers = rows(demo, "SELECT id_number, birth_date, gender, id_number_masked, id_last4 FROM patron WHERE id_type = 'resident_id'")
    assert len(readers) == 1000
    for number, birth, gender, masked, last4 in readers:
        assert ric.validate(number) == number
        assert ric.get_birth_date(number).isoformat() == birth
        assert gender == ("M" if int(number[16]) % 2 else "F")
        assert masked == number[:4] + "*" * 10 + number[-4:]
        assert last4 == number[-4:]


def test_id_number_hash_is_the_libraries_keyed_hash(demo):
    key = rows(demo, "SELECT value FROM setting WHERE key = 'id_hash_key'")[0][0].strip('"')
    sample = rows(demo, "SELECT id_number, id_number_hash FROM patron ORDER BY card_number LIMIT 5")
    database = open_db(demo)
    try:
        for number, stored in sample:
            assert stored == id_number_hash(number, key) == library_id_number_hash(number)
    finally:
        database.close()


def test_readers_look_like_readers(demo):
    for card, phone, name, full, initials, category, guardian in rows(
        demo, "SELECT card_number, phone, name, name_pinyin, name_initials, category, guardian_id FROM patron"
    ):
        assert re.fullmatch(r"XZ0[12]\d{5}", card)
        assert re.fullmatch(r"1[3-9]\d{9}", phone) or (category == "child" and phone == "")
        assert 2 <= len(name) <= 3 and re.fullmatch(r"[a-z]+", full) and len(initials) == len(name)
    children = rows(demo, "SELECT count(*), count(guardian_id), count(NULLIF(guardian_name, '')) FROM patron WHERE category = 'child'")[0]
    assert children[0] > 0 and children[2] == children[0] and children[1] >= children[0] * 0.8
    # A guardian is a grown reader whose card came first.
    bad = rows(demo, """SELECT count(*) FROM patron c JOIN patron g ON g.id = c.guardian_id
                        WHERE g.category NOT IN ('adult', 'staff') OR g.registered_at > c.registered_at""")[0][0]
    assert bad == 0


def test_books_have_valid_isbns_class_numbers_and_call_numbers(demo):
    for isbn, clc, call_number, price in rows(demo, "SELECT isbn, clc_class, call_number, price_cents FROM bib"):
        assert isbn == "" or (stdnum_isbn.validate(isbn) == isbn and isbn.startswith("9787"))
        assert parse_class_number(clc).text == clc and re.search(r"\d", clc)
        assert re.fullmatch(re.escape(clc) + r"/\d+", call_number)
        assert price > 0
    assert rows(demo, "SELECT count(*) - count(DISTINCT call_number) FROM bib")[0][0] == 0
    assert rows(demo, "SELECT count(*) FROM item WHERE barcode NOT GLOB 'XZ0[12][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'")[0][0] == 0


def test_every_copy_on_loan_has_exactly_one_open_loan_and_vice_versa(demo):
    assert rows(demo, """SELECT count(*) FROM item i WHERE i.status = 'on_loan'
                         AND (SELECT count(*) FROM loan l WHERE l.item_id = i.id AND l.checked_in_at IS NULL) != 1""")[0][0] == 0
    assert rows(demo, """SELECT count(*) FROM loan l JOIN item i ON i.id = l.item_id
                         WHERE l.checked_in_at IS NULL AND i.status != 'on_loan'""")[0][0] == 0
    # No copy is lent again before it came back.
    overlaps = rows(demo, """SELECT count(*) FROM (
        SELECT checked_out_at, lag(checked_in_at) OVER (PARTITION BY item_id ORDER BY checked_out_at) AS previous_back,
               lag(checked_out_at) OVER (PARTITION BY item_id ORDER BY checked_out_at) AS previous_out
        FROM loan) WHERE previous_out IS NOT NULL AND (previous_back IS NULL OR previous_back >= checked_out_at)""")[0][0]
    assert overlaps == 0
    assert rows(demo, "SELECT count(*) FROM loan WHERE checked_in_at IS NOT NULL AND checked_in_at < checked_out_at")[0][0] == 0


def test_loans_cover_two_years_with_a_few_readers_holding_books_some_overdue(demo):
    first, last = rows(demo, "SELECT min(checked_out_at), max(checked_out_at) FROM loan")[0]
    assert first[:10] >= "2024-11-21" and last[:10] < TODAY.isoformat() and first[:7] <= "2024-12"
    holders, overdue, renewed = rows(demo, f"""SELECT count(DISTINCT patron_id), sum(due_date < '{TODAY}'), sum(renewals > 0)
                                              FROM loan WHERE checked_in_at IS NULL""")[0]
    assert 0.03 <= holders / 1000 <= 0.05
    assert overdue > 0 and renewed > 0
    assert rows(demo, "SELECT count(*) FROM loan WHERE checked_in_at IS NOT NULL AND renewals > 0")[0][0] > 0
    assert rows(demo, "SELECT count(*) FROM hold WHERE status = 'waiting'")[0][0] > 0
    ready = rows(demo, "SELECT count(*), sum(i.status = 'on_hold_shelf') FROM hold h JOIN item i ON i.id = h.item_id WHERE h.status = 'ready'")[0]
    assert ready[0] > 0 and ready[0] == ready[1]
    # Reference and local-history copies stay in the building.
    assert rows(demo, """SELECT count(*) FROM loan l JOIN item i ON i.id = l.item_id
                         WHERE i.item_type IN ('reference', 'local_history')""")[0][0] == 0


def test_loans_by_class_look_like_a_county_library(demo):
    shares = rows(demo, """SELECT substr(b.clc_class, 1, 1) AS letter, count(*) * 1.0 / (SELECT count(*) FROM loan)
                           FROM loan l JOIN item i ON i.id = l.item_id JOIN bib b ON b.id = i.bib_id
                           GROUP BY letter ORDER BY 2 DESC""")
    assert 0.40 <= shares[0][1] <= 0.60
    assert [letter for letter, _share in shares[:3]] == ["I", "G", "K"]


def test_the_catalogue_search_index_finds_chinese_substrings_and_pinyin(demo):
    def found(query: str) -> list[str]:
        return [r[0] for r in rows(demo, "SELECT b.title FROM bib_fts f JOIN bib b ON b.rowid = f.rowid WHERE bib_fts MATCH ?", query)]

    assert "平凡的世界" in found('"平凡的"')
    assert "红楼梦" in found("hongloumeng")
    assert "红楼梦" in found("hlm")
    assert rows(demo, "INSERT INTO bib_fts(bib_fts, rank) VALUES ('integrity-check', 1)") == []


def test_the_file_is_whole_and_ready_for_use(demo):
    assert rows(demo, "PRAGMA foreign_key_check") == []
    assert rows(demo, "PRAGMA integrity_check") == [("ok",)]
    assert rows(demo, "PRAGMA journal_mode") == [("wal",)]
    # History is not staff action: the only event is the library's own setting-up.
    assert rows(demo, "SELECT type FROM outbox") == [("branch.initialized",)]
    places = dict(rows(demo, "SELECT kind, count(*) FROM location GROUP BY kind"))
    assert places == {"branch": 2, "reading_point": 2, "van": 1, "van_stop": 5}
    reasons = {r[0] for r in rows(demo, "SELECT reason FROM calendar")}
    assert {"春节", "国庆节", "中秋节", "元旦"} <= reasons
    assert rows(demo, "SELECT loanable FROM circulation_rule WHERE item_type = 'reference'") == [(0,)]
    assert rows(demo, "SELECT loan_days, max_items FROM circulation_rule WHERE patron_category = 'child'") == [(20, 5)]


def test_the_three_demo_accounts_sign_in(demo):
    database = open_db(demo)
    try:
        ctx = make_context(database)
        for username, password, role, _display in ACCOUNTS:
            assert sign_in(ctx, username, password).role == role
    finally:
        database.close()


def test_the_command_line_makes_a_demo_database(tmp_path, capsys):
    path = tmp_path / "cli.db"
    assert main(["demo-data", "--size", "demo", "--seed", "3", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("demo dataset: 5,000 items, 3,000 bibs, 1,000 patrons,") and str(path) in out
    assert path.exists() and not (tmp_path / "cli.db.partial").exists()


def test_an_existing_library_is_refused_and_left_alone(library, db_path):
    library.db.close()
    before = dump_hash(db_path)
    with pytest.raises(ValidationError) as refused:
        generate(db_path, size="demo", seed=1, today=TODAY)
    assert "already holds a library" in refused.value.message
    assert dump_hash(db_path) == before
    assert main(["demo-data", "--size", "demo", "--db", str(db_path)]) == 1


def test_an_unknown_size_is_refused(tmp_path):
    with pytest.raises(ValidationError):
        generate(tmp_path / "x.db", size="city")
    assert not (tmp_path / "x.db").exists()


def test_the_demo_obeys_the_apps_own_rules_for_shifts_and_registrations(demo):
    from countylib.patrons import age_on

    overlapping = rows(demo, """
        SELECT count(*) FROM shift_assignment a JOIN shift s ON s.id = a.shift_id
        JOIN shift_assignment b ON b.volunteer_id = a.volunteer_id AND b.id < a.id JOIN shift t ON t.id = b.shift_id
        WHERE s.day = t.day AND s.starts < t.ends AND t.starts < s.ends
          AND a.status IN ('assigned', 'attended') AND b.status IN ('assigned', 'attended')""")
    assert overlapping == [(0,)]
    twice = rows(demo, "SELECT event_id, patron_id FROM registration WHERE patron_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1")
    assert twice == []
    ages = rows(demo, """
        SELECT p.birth_date, e.starts_at, e.min_age, e.max_age FROM registration r
        JOIN event e ON e.id = r.event_id JOIN patron p ON p.id = r.patron_id WHERE e.min_age IS NOT NULL""")
    assert ages
    for born, starts, low, high in ages:
        day = (dt.datetime.fromisoformat(starts[:19]) + dt.timedelta(hours=8)).date()  # the library's local day
        assert low <= age_on(dt.date.fromisoformat(born), day) <= high


def test_donations_arrive_in_ways_the_app_knows(demo):
    from countylib.donations import HOW_RECEIVED

    ways = {how for (how,) in rows(demo, "SELECT DISTINCT how_received FROM donation")}
    assert ways and ways <= set(HOW_RECEIVED)  # 'mail' once crashed the intake screen on resuming
