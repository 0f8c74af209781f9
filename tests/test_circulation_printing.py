"""Receipts, hold slips and overdue notices: real PDFs, read back with pypdf."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from pypdf import PdfReader

from countylib.circulation import check_in, check_out, hold_slip_for, notice_batch, overdue_readers, receipt_for
from countylib.cli import main
from countylib.holds import place_hold
from countylib.i18n import set_language
from models import Loan, Patron
from models.database import open_database
from printing.notices import render_overdue_notices
from printing.receipts import render_hold_slip, render_receipt
from printing.slips import HoldSlip, NoticeBatch, NoticeItem, OverdueNotice, Receipt, ReceiptLine, mask_card
from tests.circulation_helpers import home, make_bib, make_item, make_patron

MM = 72 / 25.4


def pdf(buffer: BytesIO) -> PdfReader:
    buffer.seek(0)
    return PdfReader(buffer)


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def sample_receipt(lines: int = 3) -> Receipt:
    return Receipt(
        library_name="某某县图书馆",
        location_name="城关分馆",
        patron_name="张三",
        card_number="HX01P00042",
        printed_at=dt.datetime(2026, 11, 21, 10, 5),
        lines=[ReceiptLine(f"中国古典文学名著第{n}册", f"HX01B{n:06d}", dt.date(2026, 12, 21), renewed=n == 0) for n in range(lines)],
        loans_total=lines + 1,
    )


@pytest.mark.parametrize("paper,width_mm", [("80mm", 80), ("58mm", 58), ("a4", 210)])
def test_receipt_on_each_paper_is_one_page_with_every_line(paper, width_mm):
    out = BytesIO()
    render_receipt(sample_receipt(), out, paper)
    reader = pdf(out)
    assert len(reader.pages) == 1
    assert float(reader.pages[0].mediabox.width) == pytest.approx(width_mm * MM, abs=1)
    text = text_of(reader)
    for expected in ("某某县图书馆", "张三", "******0042", "HX01B000002", "Items on loan now: 4", "21 Dec 2026"):
        assert expected in text
    assert "HX01P00042" not in text


def test_a_long_receipt_grows_the_roll_not_the_page_count():
    short, long = BytesIO(), BytesIO()
    render_receipt(sample_receipt(2), short, "58mm")
    render_receipt(sample_receipt(25), long, "58mm")
    assert len(pdf(long).pages) == 1
    assert float(pdf(long).pages[0].mediabox.height) > 3 * float(pdf(short).pages[0].mediabox.height)


def test_receipt_in_chinese():
    set_language("zh_CN")
    out = BytesIO()
    render_receipt(sample_receipt(1), out, "80mm")
    assert "2026年11月21日 10:05" in text_of(pdf(out))


def test_hold_slip():
    slip = HoldSlip("某某县图书馆", "城关分馆", "李四", "HX01P00077", "三体", "HX01B000009", "I247.5/12",
                    dt.date(2026, 11, 28), dt.datetime(2026, 11, 21, 10, 0))
    for paper in ("80mm", "58mm"):
        out = BytesIO()
        render_hold_slip(slip, out, paper)
        text = text_of(pdf(out))
        assert "李四" in text and "三体" in text and "Collect by 28 Nov 2026" in text and mask_card("HX01P00077") in text


def test_overdue_notices_one_reader_a_page():
    batch = NoticeBatch(
        "某某县图书馆", "城关分馆", dt.date(2026, 12, 30),
        [
            OverdueNotice("王五", "HX01P1", "东街 3 号", "13900000001", [NoticeItem("活着", "HX01B1", "I247.57/1", dt.date(2026, 12, 1), 29)]),
            OverdueNotice("赵六", "HX01P2", "", "", [NoticeItem("围城", "HX01B2", "", dt.date(2026, 12, 20), 10),
                                                   NoticeItem("边城", "HX01B3", "", dt.date(2026, 12, 21), 9)]),
        ],
    )
    out = BytesIO()
    assert render_overdue_notices(batch, out) == 2
    reader = pdf(out)
    assert len(reader.pages) == 2
    first, second = (page.extract_text() for page in reader.pages)
    assert "王五" in first and "活着" in first and "东街 3 号" in first and "赵六" not in first
    assert "围城" in second and "边城" in second and "2 items" in second


def test_data_for_printouts_comes_from_the_desk(library):
    patron = make_patron(library, "HX01P1", name="孙八")
    make_patron(library, "HX01P2", name="周九")
    bib = make_bib("平凡的世界")
    make_item(library, "HX01B1", bib=bib)
    lent = check_out(library, "HX01P1", "HX01B1")
    receipt = receipt_for(library, patron, [ReceiptLine(lent.title, "HX01B1", lent.due_date)], home(library))
    assert (receipt.library_name, receipt.loans_total, receipt.printed_at.hour) == ("某某县图书馆", 1, 10)
    hold = place_hold(library, "HX01P2", bib.id, home(library))
    library.clock.advance(days=31)
    readers = overdue_readers(library.clock.today())
    batch = notice_batch(library, readers, home(library))
    assert [n.patron_name for n in batch.notices] == ["孙八"]
    result = check_in(library, "HX01B1")
    slip = hold_slip_for(library, result.hold)
    assert (slip.patron_name, slip.title, slip.barcode) == ("周九", "平凡的世界", "HX01B1")
    assert result.hold.id == hold.id and Patron.get_by_id(hold.patron_id).name == "周九"


def test_print_overdue_notices_command(library, db_path, tmp_path, capsys):
    make_patron(library, "HX01P1", name="吴十")
    make_item(library, "HX01B1", title="骆驼祥子")
    check_out(library, "HX01P1", "HX01B1")
    library.db.close()
    out = tmp_path / "notices.pdf"
    assert main(["print", "overdue-notices", "--db", str(db_path), "--out", str(out)]) == 0
    assert "No overdue items" in capsys.readouterr().out and not out.exists()
    # 40 days later, seen from a database where the loan is overdue: move the loan's due date back.
    open_database(db_path)
    Loan.update(due_date=dt.date(2026, 10, 1)).execute()
    Loan._meta.database.close()
    assert main(["print", "overdue-notices", "--out", str(out), "--db", str(db_path), "--lang", "zh_CN"]) == 0
    assert "Wrote 1 overdue notices (1 items)" in capsys.readouterr().out
    text = text_of(PdfReader(out))
    assert "吴十" in text and "骆驼祥子" in text
    assert main(["print", "overdue-notices", "--out", str(out), "--db", str(db_path), "--location", "NOPE"]) == 1


def test_barcode_digits_sit_clear_below_the_bars():
    from pypdf.generic import ContentStream

    slip = HoldSlip("某某县图书馆", "城关分馆", "李四", "HX01P00077", "三体", "HX01B000009", "I247.5/12",
                    dt.date(2026, 11, 28), dt.datetime(2026, 11, 21, 10, 0))
    out = BytesIO()
    render_hold_slip(slip, out, "80mm")
    page = pdf(out).pages[0]
    digits: list[float] = []

    def where(text, cm, tm, font, size):
        if text.strip() == "HX01B000009":
            digits.append(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])  # the baseline's height on the page

    page.extract_text(visitor_text=where)
    # The bars are filled rectangles; reportlab moves each flowable into place with cm.
    bars_bottom, stack, dy = None, [], 0.0
    for operands, op in ContentStream(page.get_contents(), page.pdf).operations:
        if op == b"q":
            stack.append(dy)
        elif op == b"Q":
            dy = stack.pop()
        elif op == b"cm":
            dy += float(operands[5])
        elif op == b"re" and float(operands[3]) > 10:  # a bar, not a rule
            bottom = dy + float(operands[1])
            bars_bottom = bottom if bars_bottom is None else min(bars_bottom, bottom)
    assert bars_bottom is not None
    # The digits under the bars (the lowest of the two lines naming the copy) stay clear of
    # them: their tops (7 pt type) at least 1.5 pt below. reportlab's own touched the bars.
    assert bars_bottom - (min(digits) + 7) >= 1.5
