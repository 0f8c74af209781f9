"""An A4 page with Chinese text and a Code128 barcode, read back with a PDF text extractor."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader

from printing.fonts import cjk_font
from printing.page import Page, render_page


def test_a4_page_with_chinese_text_and_a_barcode():
    out = BytesIO()
    render_page(
        Page("某某县图书馆 借书证", ["读者：张三丰　证号：HX0100001", "《红楼梦》 I242.4/12 应还日期 2026年12月21日"], ["HX0100001"]),
        out,
    )
    reader = PdfReader(BytesIO(out.getvalue()))
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4
    text = page.extract_text()
    for expected in ("某某县图书馆 借书证", "张三丰", "红楼梦", "I242.4/12", "HX0100001"):
        assert expected in text


def test_font_is_embedded_when_a_cjk_font_is_installed():
    font = cjk_font()
    if font.path is None:
        assert font.name == "STSong-Light"
    else:
        assert font.embedded and font.name == "CountyLibCJK"


def test_falls_back_to_the_builtin_cid_font_without_a_font_file(tmp_path):
    import subprocess
    import sys

    code = (
        "from printing.fonts import cjk_font\n"
        "from printing.page import Page, render_page\n"
        "from pathlib import Path\n"
        "assert cjk_font().name == 'STSong-Light', cjk_font()\n"
        f"render_page(Page('某某县图书馆', ['读者：张三丰']), Path({str(tmp_path / 'cid.pdf')!r}))\n"
    )
    env = {"COUNTYLIB_CJK_FONT": str(tmp_path / "missing.ttf"), "PATH": ""}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    text = PdfReader(tmp_path / "cid.pdf").pages[0].extract_text()
    assert "某某县图书馆" in text and "张三丰" in text
