"""ISBNs as the catalogue keeps them: checked with python-stdnum, stored as compact ISBN-13.

MARC fields carry ISBNs with qualifiers ("0415212723 (pbk.) :"), hyphens, or not at all
valid; a scanned or typed ISBN may be 10 or 13 digits, hyphenated or not. Everything that
compares ISBNs goes through ``normalize`` so 7-5037-1744-0 and 9787503717444 are one book.
"""

from __future__ import annotations

import re

from stdnum import isbn as stdnum_isbn
from stdnum.exceptions import ValidationError as StdnumError

# An ISBN-10 or -13 inside free text, hyphens and spaces allowed between the digits.
_CANDIDATE = re.compile(r"(?<![\dXx])(?:97[89][-\s]?)?(?:\d[-\s]?){9}[\dXx](?![\dXx])")
_SHAPE = re.compile(r"^(?:ISBN[:：]?\s*)?[\d\s-]{9,17}[\dXx]$", re.I)


def _isbn13_check(first12: str) -> str:
    return str((10 - (sum(map(int, first12[0::2])) + 3 * sum(map(int, first12[1::2]))) % 10) % 10)


def _fast(compact: str) -> str | None:
    """The arithmetic stdnum does, for the plain shapes a MARC import meets by the million.

    Returns the ISBN-13, '' when the check digit is wrong, None to let stdnum decide.
    """
    if len(compact) == 13 and compact.isdigit() and compact[:3] in ("978", "979"):
        return compact if _isbn13_check(compact[:12]) == compact[12] else ""
    if len(compact) == 10 and compact[:9].isdigit() and (compact[9].isdigit() or compact[9] in "Xx"):
        total = sum((10 - i) * int(d) for i, d in enumerate(compact[:9])) + (10 if compact[9] in "Xx" else int(compact[9]))
        if total % 11:
            return ""
        return "978" + compact[:9] + _isbn13_check("978" + compact[:9])
    return None


def normalize(value: str | None) -> str:
    """The compact ISBN-13 of a valid ISBN-10/13, or '' when it is not a valid ISBN."""
    text = (value or "").strip()
    if text[:4].upper() == "ISBN":
        text = re.sub(r"^ISBN[:：]?\s*", "", text, flags=re.I)
    if not text:
        return ""
    fast = _fast(text.replace("-", "").replace(" ", ""))
    if fast is not None:
        return fast
    try:
        return stdnum_isbn.to_isbn13(stdnum_isbn.validate(text))
    except StdnumError:
        return ""


def find_isbn(text: str | None) -> str:
    """The first valid ISBN inside a MARC subfield such as '0553268473 (pbk.) :' (or '')."""
    for match in _CANDIDATE.finditer(text or ""):
        found = normalize(match.group())
        if found:
            return found
    return ""


def looks_like_isbn(text: str) -> bool:
    """Typed or scanned digits that are meant as an ISBN (10 or 13 of them, hyphens allowed)."""
    text = text.strip()
    if not _SHAPE.match(text):
        return False
    digits = re.sub(r"[^\dXx]", "", re.sub(r"^ISBN", "", text, flags=re.I))
    return len(digits) in (10, 13)


def hyphenate(isbn13: str) -> str:
    """978-7-5037-1744-8 as printed on the book; compact when the ranges are unknown."""
    return stdnum_isbn.format(isbn13) if isbn13 else ""
