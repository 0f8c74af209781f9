"""Importing readers from CSV and .xlsx: mapping remembered, preview, per-line report,
re-running adds nothing."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from countylib.errors import ValidationError
from countylib.patron_import import NEW, REJECTED, guess_mapping, import_patrons, preview_import
from countylib.settings import get_setting
from models import Outbox, Patron
from tests.patron_helpers import register, resident_id

GOOD = resident_id()
WRONG_CHECK_DIGIT = GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1")
HEADER = ["序号", "姓名", "性别", "身份证号", "手机", "地址", "读者类别", "押金", "监护人", "监护人电话"]
ROWS = [
    ["1", "张三丰", "男", resident_id(), "13812345678", "解放路1号", "成人", "100", "", ""],
    ["2", "王芳", "女", resident_id(seq="222"), "139 1111 2222", "", "", "0", "", ""],
    ["3", "坏号码", "", WRONG_CHECK_DIGIT, "13800000001", "", "", "", "", ""],  # bad check digit
    ["4", "李小明", "", resident_id("20180601", "456"), "", "", "", "", "", ""],  # child without guardian
    ["5", "李小红", "女", resident_id("20190101", "466"), "", "", "", "", "李大明", "13900001111"],
    ["6", "电话错", "", resident_id(seq="246"), "12345", "", "", "", "", ""],  # bad phone
    ["7", "押金错", "", resident_id(seq="268"), "13800000002", "", "", "十元", "", ""],
]


def write_csv(path, rows=ROWS, encoding="utf-8-sig"):
    path.write_text("\n".join(",".join(r) for r in [HEADER, *rows]) + "\n", encoding=encoding)
    return path


def write_xlsx(path, rows=ROWS):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        cells = list(row)
        cells[4] = int(cells[4]) if cells[4].isdigit() else cells[4]  # Excel stores phones as numbers
        sheet.append(cells)
    sheet.append([])  # a trailing blank row is ignored
    book.save(path)
    return path


def test_mapping_is_guessed_from_chinese_headers(library):
    mapping = guess_mapping(HEADER)
    assert mapping == {
        "name": "姓名", "gender": "性别", "id_number": "身份证号", "phone": "手机", "address": "地址",
        "category": "读者类别", "deposit": "押金", "guardian_name": "监护人", "guardian_phone": "监护人电话",
    }


def test_preview_checks_every_row_and_writes_nothing(library, tmp_path):
    preview = preview_import(library, write_csv(tmp_path / "readers.csv"))
    assert [(v.line, v.verdict) for v in preview.verdicts] == [
        (2, NEW), (3, NEW), (4, REJECTED), (5, REJECTED), (6, NEW), (7, REJECTED), (8, REJECTED)
    ]
    assert Patron.select().count() == 0 and not Outbox.select().where(Outbox.type == "patron.registered").exists()


@pytest.mark.parametrize("kind", ["csv", "csv-gbk", "xlsx"])
def test_import_reports_bad_rows_by_line_and_rerun_adds_nothing(library, tmp_path, kind):
    if kind == "xlsx":
        path = write_xlsx(tmp_path / "readers.xlsx")
    else:
        path = write_csv(tmp_path / "readers.csv", encoding="gb18030" if kind == "csv-gbk" else "utf-8-sig")
    mapping = guess_mapping(preview_import(library, path).table.headers)
    report = import_patrons(library, path, mapping, consent_on_paper=True)
    assert report.added == ["HX0100001", "HX0100002", "HX0100003"]
    lines = dict(report.rejected)
    assert sorted(lines) == [4, 5, 7, 8]
    assert "check digit" in lines[4]
    assert "needs a guardian" in lines[5]
    assert "not a mobile number" in lines[7]
    assert "not an amount" in lines[8]
    zhang = Patron.get(Patron.name == "张三丰")
    assert (zhang.gender, zhang.deposit_cents, zhang.category, zhang.address) == ("M", 10000, "adult", "解放路1号")
    assert Patron.get(Patron.name == "王芳").phone == "13911112222"
    child = Patron.get(Patron.name == "李小红")
    assert child.category == "child" and child.guardian_phone == "13900001111"
    assert get_setting("patron_import_mapping") == mapping  # remembered for next time

    again = import_patrons(library, path, mapping, consent_on_paper=True)
    assert again.added == [] and again.present == 3 and len(again.rejected) == 4
    assert Patron.select().count() == 3
    assert Outbox.select().where(Outbox.type == "patron.registered").count() == 3


def test_rows_already_registered_by_hand_are_skipped(library, tmp_path):
    register(library)  # 张三丰 with the same ID
    report = import_patrons(library, write_csv(tmp_path / "r.csv", ROWS[:2]), guess_mapping(HEADER), consent_on_paper=True)
    assert report.present == 1 and report.added == ["HX0100002"]


def test_the_remembered_mapping_wins_over_guessing(library, tmp_path):
    header = ["读者", "证件", "联系"]
    path = tmp_path / "odd.csv"
    path.write_text("读者,证件,联系\n张三丰,%s,13812345678\n" % resident_id(), encoding="utf-8")
    mapping = {"name": "读者", "id_number": "证件", "phone": "联系"}
    import_patrons(library, path, mapping, consent_on_paper=True)
    assert guess_mapping(header) == mapping


def test_refusals_before_anything_is_read(library, tmp_path):
    path = write_csv(tmp_path / "r.csv")
    with pytest.raises(ValidationError):
        import_patrons(library, path, guess_mapping(HEADER), consent_on_paper=False)
    with pytest.raises(ValidationError):
        import_patrons(library, path, {"phone": "手机"}, consent_on_paper=True)
    with pytest.raises(ValidationError):
        preview_import(library, tmp_path / "missing.csv")
    (tmp_path / "x.xls").write_bytes(b"old excel")
    with pytest.raises(ValidationError):
        preview_import(library, tmp_path / "x.xls")
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    with pytest.raises(ValidationError):
        preview_import(library, tmp_path / "bad.xlsx")
    assert Patron.select().count() == 0
