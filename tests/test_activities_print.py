"""The sign-in sheet printed beforehand, the attendance list afterwards (PDF and CSV)."""

from __future__ import annotations

import csv
import datetime as dt
from io import BytesIO

from pypdf import PdfReader

from countylib import activities as act
from countylib.i18n import set_language
from models import Patron
from printing.attendance import render_attendance_sheet, render_sign_in_sheet
from tests.test_activities import draft


def pdf_text(out: BytesIO) -> str:
    return "".join(page.extract_text() for page in PdfReader(BytesIO(out.getvalue())).pages)


def held_activity(ctx, clock):
    event = act.plan_activity(ctx, draft(capacity=2, guardian_required=True))[0]
    Patron.create(card_number="C1", name="王小明", home_branch=ctx.branch, birth_date=dt.date(2018, 1, 1), guardian_name="王妈妈", phone="13812345678")
    Patron.create(card_number="C2", name="李大壮", home_branch=ctx.branch, birth_date=dt.date(1980, 1, 1))
    Patron.create(card_number="C3", name="赵等等", home_branch=ctx.branch, birth_date=dt.date(1980, 1, 1))
    act.register_patron(ctx, event.id, "C1")
    act.register_patron(ctx, event.id, "C2")
    act.register_patron(ctx, event.id, "C3")  # waitlisted
    return event


def test_sign_in_sheet_lists_the_registered_then_the_waitlist_and_blank_lines(library, clock):
    event = held_activity(library, clock)
    sheet = act.sign_in_sheet(library, event.id, blank_rows=5)
    assert [(r.name, r.phone, r.guardian, r.waitlisted) for r in sheet.rows] == [
        ("王小明", "138****5678", "王妈妈", False),
        ("李大壮", "", "", False),
        ("赵等等", "", "", True),
    ]
    out = BytesIO()
    render_sign_in_sheet(sheet, out)
    text = pdf_text(out)
    for expected in ("Sign-in sheet", "绘本故事会", "城关分馆 · 少儿阅览室", "某某县图书馆", "王小明", "138****5678", "王妈妈", "(waitlist)", "Signature", "14:30–16:00"):
        assert expected in text, expected
    assert "13812345678" not in text  # phones are masked on paper


def test_sign_in_sheet_in_chinese(library, clock):
    event = held_activity(library, clock)
    set_language("zh_CN")
    out = BytesIO()
    render_sign_in_sheet(act.sign_in_sheet(library, event.id), out)
    text = pdf_text(out)
    assert "签到表" in text and "2026年11月28日" in text and "少儿活动" in text


def test_attendance_list_pdf_and_csv(library, clock, tmp_path):
    event = held_activity(library, clock)
    clock.instant = dt.datetime(2026, 11, 28, 6, 45, tzinfo=dt.UTC)  # 14:45: late
    act.check_in_card(library, event.id, "C1")
    act.finish_activity(library, event.id, "反响很好", "卷号 2026-07")
    sheet = act.attendance_sheet(library, event.id)
    assert [(r.name, r.how, r.checked_in, r.late) for r in sheet.rows] == [("王小明", "registered", "14:45", True)]
    assert ("Attendance rate", "50%") in sheet.figures
    out = BytesIO()
    render_attendance_sheet(sheet, out)
    text = pdf_text(out)
    for expected in ("Attendance list", "王小明", "Headcount: 1", "No-shows: 1", "Attendance rate: 50%", "反响很好", "卷号 2026-07", "late"):
        assert expected in text, expected

    path = tmp_path / "attendance.csv"
    assert act.export_attendance_csv(library, event.id, path) == 2
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the names right
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["No.", "Name", "Card number", "Phone", "Came as", "Status", "Checked in", "Late"]
    assert rows[1] == ["1", "王小明", "C1", "138****5678", "registered", "attended", "2026-11-28 14:45", "yes"]
    assert rows[2][1:6] == ["李大壮", "C2", "", "registered", "no-show"]
