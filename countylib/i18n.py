"""Translations and locale-aware formatting.

msgids are English. Catalogs live in ``countylib/locale/<lang>/LC_MESSAGES/*.mo``: one
``.po``/``.mo`` pair per area, so each area keeps its own file; all of a language's
catalogs are chained into one lookup. The language is process-wide: one App runs per
process, and switching it takes effect on the next lookup, so screens only re-render.
"""

from __future__ import annotations

import gettext
import locale
import os
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"
LANGUAGE_NAMES = {"zh_CN": "简体中文", "en": "English"}

_translations: dict[str, gettext.NullTranslations] = {}
_current = DEFAULT_LANGUAGE


def _load(lang: str) -> gettext.NullTranslations:
    if lang not in _translations:
        chain: gettext.NullTranslations = gettext.NullTranslations()
        folder = LOCALE_DIR / lang / "LC_MESSAGES"
        for mo in sorted(folder.glob("*.mo")) if folder.is_dir() else ():
            with mo.open("rb") as fh:
                catalog = gettext.GNUTranslations(fh)
            catalog.add_fallback(chain)
            chain = catalog
        _translations[lang] = chain
    return _translations[lang]


def reload_catalogs() -> None:
    """Forget loaded catalogs (after compiling new ones)."""
    _translations.clear()


def normalize_language(value: str | None) -> str | None:
    """Map 'zh', 'zh-CN', 'zh_CN.UTF-8', 'en_US' ... to a supported language, or None."""
    if not value:
        return None
    base = value.split(".")[0].replace("-", "_")
    if base in LANGUAGES:
        return base
    if base.lower().startswith("zh"):
        return "zh_CN"
    if base.lower().startswith("en"):
        return "en"
    return None


def system_language() -> str:
    """The language the operating system asks for, when we support it."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        found = normalize_language(os.environ.get(var, "").split(":")[0])
        if found:
            return found
    found = normalize_language(locale.getlocale()[0])
    return found or DEFAULT_LANGUAGE


def set_language(lang: str) -> str:
    global _current
    chosen = normalize_language(lang)
    if chosen is None:
        raise ValueError(f"unsupported language: {lang}")
    _current = chosen
    return chosen


def current_language() -> str:
    return _current


def _(message: str) -> str:
    """Translate a message into the current language."""
    return _load(_current).gettext(message)


def translator(lang: str):
    """gettext for one language, whatever language the screen shows (printouts, e.g. an
    English certificate printed from a Chinese screen)."""
    return _load(normalize_language(lang) or DEFAULT_LANGUAGE).gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    return _load(_current).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def join_list(items: Iterable[str]) -> str:
    """Items of a list in a sentence: 红楼梦、活着 in Chinese, with the enumeration comma."""
    return ("、" if _current == "zh_CN" else ", ").join(items)


def join_clauses(items: Iterable[str]) -> str:
    """Whole clauses one after the other: ；in Chinese, ; in English."""
    return ("；" if _current == "zh_CN" else "; ").join(items)


def join_sentences(items: Iterable[str]) -> str:
    """Whole sentences, each with its own full stop: run on in Chinese (。 ends them), a space in English."""
    return ("" if _current == "zh_CN" else " ").join(items)


def _babel_locale() -> str:
    return "zh_Hans_CN" if _current == "zh_CN" else "en_GB"


def format_date(value: date, style: str = "medium") -> str:
    """A date as the current language writes it (2026年11月21日 / 21 Nov 2026)."""
    return _babel_format_date(value, format=style, locale=_babel_locale())


def format_datetime(value: datetime, style: str = "short") -> str:
    return _babel_format_datetime(value, format=style, locale=_babel_locale(), tzinfo=value.tzinfo)
