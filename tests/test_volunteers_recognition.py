"""Ratings, the periodic review, the annual ranking and confirming outstanding volunteers,
and the printouts (roster, hours statement, certificate) read back with pypdf."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from pypdf import PdfReader

from countylib.errors import PermissionDenied, RuleViolation, ValidationError
from countylib.settings import change_setting
from countylib.shifts import assign_volunteer, create_shift, roster_sheet, week_roster
from countylib.volunteer_hours import correct_hours, mark_no_show
from countylib.volunteer_recognition import (
    annual_ranking,
    confirm_outstanding,
    hours_statement,
    period_facts,
    rate_assignment,
    score,
    service_certificate,
    write_review,
)
from models import Outbox, VolunteerHonour, VolunteerReview
from printing.volunteers import render_certificate, render_hours_statement, render_roster

from tests.volunteer_fixtures import add_volunteer, places, volunteer_login  # noqa: F401 (fixtures)

YEAR = 2026


def events(kind):
    return [e.payload for e in Outbox.select().where(Outbox.type == kind).order_by(Outbox.seq)]


def served(ctx, volunteer, day, minutes, *, rating=None, place="HX01", starts="09:00", ends="12:00"):
    shift = create_shift(ctx, location=place, day=day, starts=starts, ends=ends, slots=5)
    a = assign_volunteer(ctx, shift, volunteer).assignment
    correct_hours(ctx, a, minutes=minutes, reason="补登")
    if rating:
        rate_assignment(ctx, a, rating, "认真")
    return a


def missed(ctx, volunteer, day):
    shift = create_shift(ctx, location="HX01", day=day, starts="14:00", ends="16:00", slots=5)
    return mark_no_show(ctx, assign_volunteer(ctx, shift, volunteer).assignment)


def days(n, start=dt.date(2026, 3, 2)):
    return [start + dt.timedelta(weeks=k) for k in range(n)]


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def test_rating_only_attended_shifts_from_1_to_5(library, places):
    v = add_volunteer(library, "张三")
    a = served(library, v, dt.date(2026, 11, 7), 120)
    with pytest.raises(ValidationError, match="1 to 5"):
        rate_assignment(library, a, 6)
    rate_assignment(library, a, 5, "讲故事很生动")
    assert events("shift.rated")[0]["rating"] == 5
    no_show = missed(library, v, dt.date(2026, 11, 7))
    with pytest.raises(RuleViolation, match="Only a shift the volunteer attended"):
        rate_assignment(library, no_show, 3)


def test_period_facts_and_a_review(library, places, as_role):
    v = add_volunteer(library, "张三")
    served(library, v, dt.date(2026, 7, 4), 180, rating=5)
    served(library, v, dt.date(2026, 8, 1), 120, rating=4)
    missed(library, v, dt.date(2026, 8, 8))
    facts = period_facts(library, v, dt.date(2026, 7, 1), dt.date(2026, 12, 31))
    assert (facts.attended, facts.no_shows, facts.minutes, facts.average_rating) == (2, 1, 300, 4.5)
    assert facts.reliability == pytest.approx(2 / 3)
    librarian = as_role("librarian")
    with pytest.raises(ValidationError, match="short remark"):
        write_review(librarian, v, period_start="2026-07-01", period_end="2026-12-31", brief="  ")
    with pytest.raises(ValidationError, match="ends before it starts"):
        write_review(librarian, v, period_start="2026-12-31", period_end="2026-07-01", brief="好")
    with pytest.raises(ValidationError, match="at most 100"):
        write_review(librarian, v, period_start="2026-07-01", period_end="2026-12-31", brief="好" * 101)
    review = write_review(
        librarian, v, period_start="2026-07-01", period_end="2026-12-31", brief="热心可靠", summary="下半年服务五小时，讲故事受欢迎。"
    )
    assert VolunteerReview.select().count() == 1 and review.reviewer_id is not None
    assert events("volunteer.reviewed")[0]["review"]["brief"] == "热心可靠"


def test_score_weighs_hours_reliability_and_rating():
    assert score(600, 600, 1.0, 5.0) == 1.0
    assert score(300, 600, 1.0, None) == pytest.approx(0.25 + 0.3 + 0.12)
    assert score(0, 0, 0.0, None) == pytest.approx(0.12)


def test_annual_ranking_proposes_the_best_eligible(library, places):
    change_setting(library, "volunteers.outstanding_count", 2)
    change_setting(library, "volunteers.outstanding_min_hours", 10)
    star, steady, flaky, light, gone = (add_volunteer(library, n) for n in ("明星", "稳定", "常缺", "偶尔", "离开"))
    for day in days(10):
        served(library, star, day, 180, rating=5)  # 30 h
        served(library, steady, day, 120, rating=4, starts="13:00", ends="15:00")  # 20 h
        served(library, flaky, day, 180, rating=5, starts="15:00", ends="18:00")  # 30 h ...
    for day in days(3, dt.date(2026, 6, 6)):
        missed(library, flaky, day)  # ... but 10 of 13
    served(library, light, dt.date(2026, 5, 2), 120, rating=5)  # 2 h: below the minimum
    for day in days(8):
        served(library, gone, day, 180, rating=5, starts="18:00", ends="21:00")
    from countylib.volunteers import update_volunteer

    update_volunteer(library, gone, status="left")
    served(library, star, dt.date(2025, 5, 3), 600)  # another year: not counted
    ranking = annual_ranking(library, YEAR)
    by_name = {r.name: r for r in ranking}
    assert (by_name["明星"].minutes, by_name["明星"].attended, by_name["明星"].reliability) == (1800, 10, 1.0)
    assert (by_name["常缺"].attended, by_name["常缺"].no_shows) == (10, 3)
    assert by_name["常缺"].reliability == pytest.approx(10 / 13)
    # 常缺 has as many hours as 明星 but missed 3 of 13 shifts; 离开 ranks but has left
    assert [r.name for r in ranking] == ["明星", "常缺", "离开", "稳定", "偶尔"]
    assert [r.name for r in ranking if r.proposed] == ["明星", "稳定"]  # 离开 left, 常缺 unreliable, 偶尔 too few hours
    assert ranking[0].score == 1.0


def test_confirming_outstanding_volunteers(library, places, volunteer_login):
    v, other = add_volunteer(library, "张三"), add_volunteer(library, "无班")
    served(library, v, dt.date(2026, 5, 2), 300, rating=5)
    with pytest.raises(PermissionDenied):
        confirm_outstanding(volunteer_login(v), YEAR, [v])
    with pytest.raises(PermissionDenied):
        annual_ranking(volunteer_login(v), YEAR)
    with pytest.raises(RuleViolation, match="无班 has no attended shifts in 2026"):
        confirm_outstanding(library, YEAR, [v, other])
    assert VolunteerHonour.select().count() == 0  # nothing half-written
    with pytest.raises(ValidationError, match="has not begun"):
        confirm_outstanding(library, YEAR + 1, [v])
    (honour,) = confirm_outstanding(library, YEAR, [v])
    assert (honour.year, honour.title, honour.minutes) == (YEAR, "outstanding", 300)
    assert events("volunteer.honoured")[0]["honour"]["proposed"] is False  # 5 h: staff may still choose them
    assert annual_ranking(library, YEAR)[0].honoured
    with pytest.raises(RuleViolation, match="already an outstanding volunteer for 2026"):
        confirm_outstanding(library, YEAR, [v])


def test_hours_statement_pdf_in_both_languages(library, places, volunteer_login):
    v = add_volunteer(library, "张三丰", id_number="11010519491231002X")
    served(library, v, dt.date(2026, 10, 10), 150, place="HX01-RP1")
    served(library, v, dt.date(2026, 11, 7), 180)
    statement = hours_statement(volunteer_login(v), v, dt.date(2026, 1, 1), dt.date(2026, 12, 31))  # their own
    assert statement.total_minutes == 330
    for language, expected in (
        ("zh_CN", ["志愿服务时长明细", "张三丰", "1101**********002X", "东街阅读点", "5.5"]),
        ("en", ["Volunteer hours statement", "张三丰", "Period: 1 Jan 2026 to 31 Dec 2026", "2 shifts, 5.5 hours in all."]),
    ):
        out = BytesIO()
        render_hours_statement(statement, out, language)
        text = pdf_text(out.getvalue())
        for piece in expected:
            assert piece in text, (language, piece)
        assert "11010519491231002X" not in text


def test_certificate_pdf_mentions_hours_and_honours(library, places, volunteer_login):
    v = add_volunteer(library, "张三丰")
    for day in days(3, dt.date(2026, 5, 2)):
        served(library, v, day, 300, rating=5)
    confirm_outstanding(library, YEAR, [v])
    with pytest.raises(PermissionDenied):
        service_certificate(volunteer_login(v), v, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    cert = service_certificate(library, v, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert (cert.minutes, cert.shifts, cert.places, cert.honours) == (900, 3, ["城关分馆"], [(2026, "Outstanding Volunteer")])
    zh, en = BytesIO(), BytesIO()
    render_certificate(cert, zh, "zh_CN")
    render_certificate(cert, en, "en")
    zh_text = " ".join(pdf_text(zh.getvalue()).split())
    en_text = " ".join(pdf_text(en.getvalue()).split())
    for piece in ("志愿服务证明", "张三丰", "15.0", "优秀志愿者", "某某县图书馆"):
        assert piece in zh_text, piece
    for piece in ("Certificate of Volunteer Service", "15.0 hours", "Outstanding Volunteer for 2026", "(seal)"):
        assert piece in en_text, piece
    with pytest.raises(RuleViolation, match="nothing to certify"):
        service_certificate(library, v, dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def test_roster_pdf_is_a4_landscape_with_names_and_open_places(library, places):
    monday = dt.date(2026, 11, 23)
    shift = create_shift(library, location="HX01", day=monday, starts="09:00", ends="11:00", role="storytelling", slots=2,
                         needs_background_check=True)
    create_shift(library, location="HX01-RP1", day=monday + dt.timedelta(days=5), starts="14:00", ends="16:00", slots=1)
    assign_volunteer(library, shift, add_volunteer(library, "张三"))
    sheet = roster_sheet(library, week_roster(library, monday))
    for language, expected in (
        ("zh_CN", ["志愿者排班表", "城关分馆", "东街阅读点", "张三", "讲故事", "缺 1 人"]),
        ("en", ["Volunteer roster", "Storytelling *", "1 open", "Open places this week: 2"]),
    ):
        out = BytesIO()
        render_roster(sheet, out, language)
        page = PdfReader(BytesIO(out.getvalue())).pages[0]
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)
        text = pdf_text(out.getvalue())
        for piece in expected:
            assert piece in text, (language, piece)


def test_print_roster_from_the_command_line(library, places, db_path, tmp_path, capsys):
    from countylib.cli import main

    monday = dt.date(2026, 11, 23)
    shift = create_shift(library, location="HX01", day=monday + dt.timedelta(days=2), starts="09:00", ends="11:00", slots=1)
    assign_volunteer(library, shift, add_volunteer(library, "张三"))
    out = tmp_path / "周排班.pdf"
    argv = ["--lang", "en", "print", "roster", "--db", str(db_path), "--out", str(out)]
    assert main([*argv, "--week", "2026-11-27"]) == 0
    assert f"Printed the roster for the week of 2026-11-23 (1 shift) to {out}" in capsys.readouterr().out
    text = pdf_text(out.read_bytes())
    assert "Volunteer roster" in text and "张三" in text
    assert main([*argv, "--week", "27/11/2026"]) == 1
    assert "27/11/2026" in capsys.readouterr().err
