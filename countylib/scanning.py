"""What a barcode scanner (or a hurried person) types, made into a code we can look up.

USB scanners act as keyboards: a burst of characters and Enter. They add noise (a leading
space, a stray control character from a misconfigured prefix, full-width digits from a
Chinese input method left switched on, lowercase), and a nervous hand scans twice.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable

from countylib.errors import ValidationError

# Card numbers and barcodes: letters, digits and the separators labels use.
CODE = re.compile(r"^[A-Z0-9][A-Z0-9\-./]{0,31}$")
# One or more codes with no space between: a scanner's burst, at any length.
SCANNED = re.compile(r"^(?=.*\d)[A-Z0-9][A-Z0-9\-./]*$")
REPEAT_WINDOW_SECONDS = 2.0


def normalize_code(raw: str) -> str:
    """Full-width to ASCII, control and format characters out, no spaces, upper case."""
    text = unicodedata.normalize("NFKC", raw)
    kept = (ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") and not ch.isspace())
    return "".join(kept).upper()


def check_code(raw: str) -> str:
    """The normalised code, or a ValidationError saying plainly why it cannot be one."""
    code = normalize_code(raw)
    if not code:
        raise ValidationError("Nothing was scanned. Scan a card or a barcode.")
    if not CODE.match(code):
        raise ValidationError(
            "{code} cannot be a card number or a barcode (letters, digits and - . / only, at most 32).",
            code=code[:40],
        )
    return code


def looks_like_scan(text: str) -> bool:
    """A scanner's burst (one code, or several run together) rather than words a person wrote:
    code characters only, no space between them, and a digit, as every card and label has."""
    code = normalize_code(text)
    return len(code) == len(unicodedata.normalize("NFKC", text).strip()) and bool(SCANNED.match(code))


def looks_like_isbn(code: str) -> bool:
    """An EAN-13 book barcode (978/979 with a valid check digit): the cover, not our label."""
    if len(code) != 13 or not code.isdigit() or code[:3] not in ("978", "979"):
        return False
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(code[:12]))
    return (10 - total % 10) % 10 == int(code[12])


class RepeatFilter:
    """Says whether a code is the same as the last one within the window (a double scan)."""

    def __init__(self, window: float = REPEAT_WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self._last: tuple[str, float] | None = None

    def is_repeat(self, code: str) -> bool:
        now = self.clock()
        last = self._last
        self._last = (code, now)
        return last is not None and last[0] == code and now - last[1] < self.window
