"""Label sheets in millimetres: where each label lands, start-at-N, one per page, the
calibration page, and ``countylib print labels``."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.lib.units import mm

from countylib.callnumbers import reserve_block
from countylib.cataloguing import create_brief_record
from countylib.cli import main
from countylib.settings import change_setting
from printing.labels import (
    TEMPLATES,
    BarcodeLabel,
    LabelLayoutError,
    LabelPrint,
    LabelTemplate,
    SpineLabel,
    render_calibration,
    render_labels,
)


def texts(page) -> list[tuple[str, float, float]]:
    """Each text run on the page with its position in millimetres from the top left."""
    height = float(page.mediabox.height)
    runs: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + cm[4]
            y = tm[5] * cm[3] + cm[5]
            runs.append((text.strip(), x / mm, (height - y) / mm))

    page.extract_text(visitor_text=visit)
    return runs


def lines(page) -> list[str]:
    return [line.strip() for line in page.extract_text().splitlines() if line.strip()]


def slot_of(template: LabelTemplate, x_mm: float, y_mm: float, setup: LabelPrint | None = None) -> int:
    dx = setup.offset_x_mm if setup else 0
    dy = setup.offset_y_mm if setup else 0
    for slot in range(template.per_page):
        left, top = template.slot_origin_mm(slot)
        if left + dx <= x_mm <= left + dx + template.label_width_mm and top + dy <= y_mm <= top + dy + template.label_height_mm:
            return slot
    raise AssertionError(f"text at {x_mm:.1f},{y_mm:.1f} mm is on no label")


def render(labels, setup) -> PdfReader:
    out = BytesIO()
    render_labels(labels, setup, out)
    return PdfReader(BytesIO(out.getvalue()))


def test_built_in_sheets_fit_their_pages():
    assert {"a4-3x8", "a4-4x10", "a4-5x13", "thermal-50x30"} <= set(TEMPLATES)
    for template in TEMPLATES.values():
        template.check()
    assert [TEMPLATES[n].per_page for n in ("a4-3x8", "a4-4x10", "a4-5x13")] == [24, 40, 65]
    with pytest.raises(LabelLayoutError):
        LabelTemplate("too-wide", "", 210, 297, 4, 8, 70, 36).check()


def test_spine_label_has_class_over_book_number():
    reader = render([SpineLabel("I247.5/12"), SpineLabel("TP311.1-43/100")], LabelPrint(TEMPLATES["a4-3x8"]))
    page = reader.pages[0]
    assert lines(page)[:2] == ["I247.5", "12"]
    runs = texts(page)
    (cls, x1, y1), (num, x2, y2) = runs[0], runs[1]
    assert (cls, num) == ("I247.5", "12")
    assert y2 > y1  # the 书次号 is the lower line
    template = TEMPLATES["a4-3x8"]
    assert slot_of(template, x1, y1) == slot_of(template, x2, y2) == 0
    assert [r[0] for r in runs[2:]] == ["TP311.1-43", "100"]
    assert slot_of(template, runs[2][1], runs[2][2]) == 1


@pytest.mark.parametrize("name", ["a4-3x8", "a4-4x10", "a4-5x13"])
def test_labels_per_page_follow_the_template(name):
    template = TEMPLATES[name]
    labels = [BarcodeLabel(f"HX01{n:08d}", "某某县图书馆") for n in range(1, template.per_page + 2)]
    reader = render(labels, LabelPrint(template))
    assert len(reader.pages) == 2
    first = [t for t in texts(reader.pages[0]) if t[0].startswith("HX01")]
    assert len(first) == template.per_page
    assert sorted(slot_of(template, x, y) for _t, x, y in first) == list(range(template.per_page))
    assert [t[0] for t in texts(reader.pages[1]) if t[0].startswith("HX01")] == [f"HX01{template.per_page + 1:08d}"]
    assert "某某县图书馆" in reader.pages[0].extract_text()


def test_start_at_n_leaves_earlier_labels_blank():
    template = TEMPLATES["a4-3x8"]
    labels = [SpineLabel(f"I247.5/{n}") for n in range(1, 23)]
    reader = render(labels, LabelPrint(template, start_at=5))
    slots = sorted({slot_of(template, x, y) for _t, x, y in texts(reader.pages[0])})
    assert slots == list(range(4, 24))  # labels 1-4 of the half-used sheet stay blank
    assert texts(reader.pages[0])[0][0] == "I247.5"
    # 20 fit on the rest of the first sheet, the last two start the next one at label 1.
    assert sorted({slot_of(template, x, y) for _t, x, y in texts(reader.pages[1])}) == [0, 1]
    with pytest.raises(LabelLayoutError):
        render(labels, LabelPrint(template, start_at=25))
    with pytest.raises(LabelLayoutError):
        render(labels, LabelPrint(template, start_at=0))


def test_offset_moves_every_label():
    template = TEMPLATES["a4-3x8"]
    plain = texts(render([SpineLabel("K295/7")], LabelPrint(template)).pages[0])
    moved_setup = LabelPrint(template, offset_x_mm=2, offset_y_mm=-1.5)
    moved = texts(render([SpineLabel("K295/7")], moved_setup).pages[0])
    assert moved[0][1] == pytest.approx(plain[0][1] + 2, abs=0.01)
    assert moved[0][2] == pytest.approx(plain[0][2] - 1.5, abs=0.01)


def test_one_label_per_page_for_thermal_printers():
    labels = [BarcodeLabel("HX0100000001", "某某县图书馆"), BarcodeLabel("HX0100000002", "某某县图书馆")]
    for setup in (LabelPrint(TEMPLATES["thermal-50x30"]), LabelPrint(TEMPLATES["a4-5x13"], one_per_page=True)):
        reader = render(labels, setup)
        assert len(reader.pages) == 2
        width = float(reader.pages[0].mediabox.width) / mm
        assert width == pytest.approx(setup.layout().label_width_mm, abs=0.01)
        assert "HX0100000002" in reader.pages[1].extract_text()


def test_calibration_page_numbers_every_label():
    out = BytesIO()
    setup = LabelPrint(TEMPLATES["a4-4x10"], offset_x_mm=1.5)
    render_calibration(setup, out)
    reader = PdfReader(BytesIO(out.getvalue()))
    template = TEMPLATES["a4-4x10"]
    numbers = {t[0]: slot_of(template, t[1], t[2], setup) for t in texts(reader.pages[0]) if t[1] > 8 and t[2] > 8}  # not the rulers
    for n in range(1, 41):
        assert numbers[str(n)] == n - 1
    instructions = reader.pages[1].extract_text()
    assert "a4-4x10" in instructions and "x 1.5 mm" in instructions


@pytest.fixture
def catalogued(library):
    reserve_block(library, "", 1, 99)
    create_brief_record(library, title="长安的荔枝", author="马伯庸", clc="I247.5", copies=2)
    create_brief_record(library, title="活着", author="余华", clc="I247.57", copies=1)
    return library


def test_print_labels_command(catalogued, db_path, tmp_path, capsys):
    out = tmp_path / "spine.pdf"
    assert main(["print", "labels", "--db", str(db_path), "--out", str(out), "--since", "2026-11-01"]) == 0
    assert "Printed 3 spine label(s) on 1 page(s) (a4-3x8)" in capsys.readouterr().out
    assert lines(PdfReader(out).pages[0]) == ["I247.5", "1", "I247.5", "1", "I247.57", "1"]

    out = tmp_path / "barcodes.pdf"
    argv = ["print", "labels", "--db", str(db_path), "--out", str(out), "--barcodes", "HX0100000003",
            "--kind", "barcode", "--template", "thermal-50x30"]
    assert main(argv) == 0
    text = PdfReader(out).pages[0].extract_text()
    assert "HX0100000003" in text and "某某县图书馆" in text and "活着" in text


def test_print_labels_uses_the_offset_setting(catalogued, db_path, tmp_path):
    change_setting(catalogued, "label_offset_x_mm", 3.0)
    out = tmp_path / "cal.pdf"
    assert main(["print", "labels", "--db", str(db_path), "--out", str(out), "--calibration", "--template", "a4-5x13"]) == 0
    assert "x 3 mm" in PdfReader(out).pages[1].extract_text()


def test_print_labels_bad_input(catalogued, db_path, tmp_path, capsys):
    out = tmp_path / "x.pdf"
    assert main(["print", "labels", "--db", str(db_path), "--out", str(out), "--barcodes", "HX0100000001,NOPE"]) == 1
    assert "No copy has the barcode NOPE." in capsys.readouterr().err
    assert main(["print", "labels", "--db", str(db_path), "--out", str(out), "--since", "2027-01-01"]) == 1
    assert "No copies were accessioned here since 2027-01-01." in capsys.readouterr().err
    assert main(["print", "labels", "--db", str(db_path), "--out", str(out), "--since", "01/11/2026"]) == 1
    assert main(["print", "labels", "--db", str(db_path), "--out", str(out), "--since", "2026-11-01",
                 "--start-at", "30"]) == 1
    assert "Start at a label from 1 to 24 on sheet a4-3x8." in capsys.readouterr().err
    assert not Path(out).exists()
