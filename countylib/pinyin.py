"""Pinyin of titles and authors for the catalogue index, fast enough for bulk MARC import.

``pinyin_text("红楼梦", "曹雪芹")`` gives ``"hongloumeng hlm caoxueqin cxq"``: the full pinyin
and the initials of each, which the trigram index turns into matches for "hongloumeng",
"loumeng" and "hlm". Readings come from pypinyin's own dictionaries. pypinyin's
``lazy_pinyin`` costs about 70 µs a title, too slow for 10,000 records a second, so this
does the same work with plain lookups: characters with one reading go through one
``str.translate``; a run of Han characters holding a polyphone (行, 重, 长 ...) is segmented by
forward maximum matching over pypinyin's phrase dictionary, as pypinyin does, so 银行 reads
yinhang and 重庆 chongqing. Text that is not Han contributes its letters and digits as
words, as ``lazy_pinyin(errors=...)`` would.
"""

from __future__ import annotations

import importlib.metadata
import logging
import marshal
import os
import re
import sys
import threading
from functools import lru_cache
from pathlib import Path

from countylib.paths import cache_dir

_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_HAN_RUN = re.compile("[" + "".join(f"{chr(start)}-{chr(end)}" for start, end in _HAN_RANGES) + "]+")
_WORD = re.compile(r"[A-Za-z0-9]+")
_TONES = str.maketrans(
    {
        **dict.fromkeys("āáǎà", "a"),
        **dict.fromkeys("ōóǒò", "o"),
        **dict.fromkeys("ēéěèê", "e"),
        **dict.fromkeys("īíǐì", "i"),
        **dict.fromkeys("ūúǔù", "u"),
        **dict.fromkeys("ǖǘǚǜü", "v"),
        **dict.fromkeys("ńňǹ", "n"),
        "ḿ": "m",
        "\u0304": "",
        "\u0301": "",
        "\u030c": "",
        "\u0300": "",
    }
)
_lock = threading.Lock()
_CACHE_FORMAT = 1  # raise when _Tables.dumps changes
log = logging.getLogger(__name__)


class _Tables:
    """The readings, and the phrases that settle a polyphone, as plain dicts and sets."""

    def __init__(
        self,
        reading: dict[int, str],
        all_readings: dict[str, list[str]],
        phrases: dict[str, list[str]],
        prefixes: set[str],
    ) -> None:
        self.reading = reading
        self.all_readings = all_readings  # polyphones only
        self.polyphones = set(all_readings)
        self.phrases = phrases
        self.prefixes = prefixes
        # One space after each syllable: translate gives "hong lou meng " in one C call.
        # Han characters without a reading give nothing.
        self.spaced = {code: "" for start, end in _HAN_RANGES for code in range(start, end + 1)}
        self.spaced.update((code, text + " ") for code, text in reading.items())

    @classmethod
    def from_pypinyin(cls) -> _Tables:
        from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

        reading: dict[int, str] = {}
        all_readings: dict[str, list[str]] = {}
        for code, readings in PINYIN_DICT.items():
            plain = [r.translate(_TONES) for r in readings.split(",")]
            reading[code] = plain[0]
            if len(set(plain)) > 1:
                all_readings[chr(code)] = list(dict.fromkeys(plain))
        # Only phrases that settle a polyphone matter; the rest read as their characters.
        phrases: dict[str, list[str]] = {}
        prefixes: set[str] = set()
        for phrase, readings in PHRASES_DICT.items():
            if len(phrase) < 2 or all_readings.keys().isdisjoint(phrase):
                continue
            phrases[phrase] = [r[0].translate(_TONES) for r in readings]
            for end in range(2, len(phrase) + 1):
                prefixes.add(phrase[:end])
        return cls(reading, all_readings, phrases, prefixes)

    def dumps(self) -> bytes:
        return marshal.dumps((self.reading, self.all_readings, self.phrases, self.prefixes))

    @classmethod
    def loads(cls, data: bytes) -> _Tables:
        reading, all_readings, phrases, prefixes = marshal.loads(data)
        return cls(reading, all_readings, phrases, prefixes)


def _cache_file() -> Path:
    """The tables as built from this pypinyin, for this Python's marshal format."""
    # Asked of the installed package's metadata: importing pypinyin loads its dictionaries.
    version = f"{importlib.metadata.version('pypinyin')}-py{sys.version_info[0]}{sys.version_info[1]}-{_CACHE_FORMAT}"
    return cache_dir() / f"pinyin-{version}.marshal"


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    """Built from pypinyin's dictionaries once (a third of a second), then read back from
    the cache folder (a twentieth): every import's reading process and every app start
    that searches would otherwise pay the third again."""
    with _lock:
        path = _cache_file()
        try:
            return _Tables.loads(path.read_bytes())
        except FileNotFoundError:
            pass
        except (OSError, EOFError, ValueError, TypeError) as exc:
            log.warning("pinyin table cache %s unreadable (%s); building it again", path, exc)
        tables = _Tables.from_pypinyin()
        _save(path, tables.dumps())
        return tables


def _save(path: Path, data: bytes) -> None:
    # Written aside and renamed: a process starting meanwhile reads the old file or none.
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part.write_bytes(data)
        os.replace(part, path)
    except OSError as exc:
        # Only a cache: the tables are in memory, and the next process builds them again.
        log.warning("could not keep the pinyin tables in %s: %s", path, exc)
        if part.exists():
            part.unlink()


def load_tables() -> None:
    """Load the reading tables now rather than at the first spelling."""
    _tables()


def _han_syllables(run: str, tables: _Tables) -> list[str]:
    spaced = tables.spaced
    if tables.polyphones.isdisjoint(run):
        return run.translate(spaced).split()
    prefixes, phrases = tables.prefixes, tables.phrases
    out: list[str] = []
    done = 0  # characters before this are in out
    i, n = 0, len(run)
    while i < n - 1:
        if run[i : i + 2] not in prefixes:
            i += 1
            continue
        best = 0
        length = 2
        while i + length <= n and run[i : i + length] in prefixes:
            if run[i : i + length] in phrases:
                best = length
            length += 1
        if not best:
            i += 1
            continue
        # The characters between phrases read as themselves, in one translate.
        out += run[done:i].translate(spaced).split()
        out += phrases[run[i : i + best]]
        i = done = i + best
    out += run[done:].translate(spaced).split()
    return out


def syllables(text: str) -> list[str]:
    """Lower-case pinyin syllables of the Han characters, other letters/digits as words."""
    tables = _tables()
    if _HAN_RUN.fullmatch(text):
        return _han_syllables(text, tables)
    out: list[str] = []
    pos = 0
    for match in _HAN_RUN.finditer(text):
        out.extend(w.lower() for w in _WORD.findall(text, pos, match.start()))
        out.extend(_han_syllables(match.group(), tables))
        pos = match.end()
    out.extend(w.lower() for w in _WORD.findall(text, pos))
    return out


def pinyin_text(title: str, author: str = "") -> str:
    """What Bib.pinyin holds: 'hongloumeng hlm caoxueqin cxq' (full and initials of each).

    Text without Han characters adds nothing: its own words are already in the index.
    """
    title_words = _spelt(title) if title else ""
    author_words = (_spelt_name(author) if len(author) <= _NAME else _spelt(author)) if author else ""
    return f"{title_words} {author_words}" if title_words and author_words else title_words or author_words


def _spelt(text: str) -> str:
    """'hongloumeng hlm': the full pinyin and the initials, or '' without Han characters."""
    if not _HAN_RUN.search(text):
        return ""
    parts = syllables(text)
    return f"{''.join(parts)} {''.join([p[0] for p in parts])}" if parts else ""


_NAME = 8  # authors this short are remembered: a catalogue names the same people again and again
_spelt_name = lru_cache(maxsize=50_000)(_spelt)


def spellings(han: str, most: int = 16) -> list[str]:
    """Every way the Han text may be spelt in pinyin (polyphones read each way), at most ``most``.

    A word searched on its own has no context to settle 长 or 行, while the title it sits in
    did; trying each reading finds it whichever way the title was read.
    """
    tables = _tables()
    found = [""]
    for char in han:
        options = tables.all_readings.get(char) or [tables.reading.get(ord(char), "")]
        found = [f + o for f in found for o in options][:most]
    return [f for f in dict.fromkeys(found) if f]
