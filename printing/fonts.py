"""A font that can write Chinese, found once per process.

Preference: a CJK TrueType font installed on the system (embedded, so the PDF prints the
same anywhere: WenQuanYi Zen Hei or Noto CJK on Linux, Microsoft YaHei / SimSun / SimHei
on Windows), else reportlab's built-in STSong-Light CID font, which needs no file but
relies on the PDF viewer having an Adobe-GB1 font.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

FALLBACK_CID_FONT = "STSong-Light"

# (file name, subfont index inside a .ttc collection)
CANDIDATES: tuple[tuple[str, int], ...] = (
    ("wqy-zenhei.ttc", 0),
    ("wqy-microhei.ttc", 0),
    ("NotoSansCJK-Regular.ttc", 2),  # index 2: the SC (Simplified Chinese) face
    ("NotoSansSC-Regular.ttf", 0),
    ("NotoSansSC-Regular.otf", 0),
    ("msyh.ttc", 0),
    ("msyh.ttf", 0),
    ("simsun.ttc", 0),
    ("simhei.ttf", 0),
)

SEARCH_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    os.path.join(os.environ.get("WINDIR", "C:\\Windows"), "Fonts"),
)


@dataclass(frozen=True)
class CJKFont:
    name: str  # the reportlab font name to use with setFont / ParagraphStyle
    embedded: bool
    path: str | None


def _find_font_file() -> tuple[Path, int] | None:
    override = os.environ.get("COUNTYLIB_CJK_FONT")
    if override:
        return Path(override), 0
    wanted = {name.lower(): index for name, index in CANDIDATES}
    found: dict[str, Path] = {}
    for folder in SEARCH_DIRS:
        root = Path(os.path.expanduser(folder))
        if not root.is_dir():
            continue
        for dirpath, _dirs, files in os.walk(root):
            for file in files:
                key = file.lower()
                if key in wanted and key not in found:
                    found[key] = Path(dirpath) / file
    for name, index in CANDIDATES:
        if name.lower() in found:
            return found[name.lower()], index
    return None


@functools.cache
def cjk_font() -> CJKFont:
    """Register and return the font to write Chinese with."""
    located = _find_font_file()
    if located is not None:
        path, index = located
        try:
            pdfmetrics.registerFont(TTFont("CountyLibCJK", str(path), subfontIndex=index))
            return CJKFont("CountyLibCJK", True, str(path))
        except Exception:  # noqa: BLE001 - a broken or unsupported font file: use the built-in one
            pass
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_CID_FONT))
    return CJKFont(FALLBACK_CID_FONT, False, None)
