"""Every UI string has a zh_CN translation, compiled catalogs are current, dates follow the locale."""

from __future__ import annotations

import datetime as dt

from countylib import i18n, i18n_tools
from countylib.errors import NotFound


def test_every_string_in_the_code_has_a_zh_cn_translation():
    missing = i18n_tools.missing("zh_CN")
    listing = "\n".join(f"{where[0]}: {msgid}" for msgid, where in sorted(missing.items()))
    assert not missing, f"untranslated (run python -m countylib.i18n_tools missing --write AREA):\n{listing}"


def test_translations_keep_their_placeholders():
    assert i18n_tools.placeholder_mismatches("zh_CN") == []


def test_no_string_is_translated_two_ways():
    """Area catalogs are chained, so one msgid with two translations would show the wrong one
    somewhere: such strings need distinct English wording."""
    assert i18n_tools.conflicting_translations("zh_CN") == {}


def test_compiled_catalogs_match_their_sources():
    stale = i18n_tools.stale_mo_files()
    assert not stale, f"run python -m countylib.i18n_tools compile: {stale}"


def test_switching_language_changes_lookups_at_once():
    i18n.set_language("zh_CN")
    assert i18n._("Wrong user name or password.") != "Wrong user name or password."
    i18n.set_language("en")
    assert i18n._("Wrong user name or password.") == "Wrong user name or password."


def test_an_error_raised_earlier_reads_in_the_language_shown_now():
    error = NotFound("No staff account {username}.", username="王芳")
    i18n.set_language("zh_CN")
    chinese = error.message
    i18n.set_language("en")
    assert error.message == "No staff account 王芳."
    assert "王芳" in chinese and chinese != error.message


def test_dates_follow_the_language():
    day = dt.date(2026, 11, 21)
    i18n.set_language("zh_CN")
    assert i18n.format_date(day) == "2026年11月21日"
    i18n.set_language("en")
    assert i18n.format_date(day) == "21 Nov 2026"


def test_language_chosen_from_locale_names():
    assert i18n.normalize_language("zh-CN") == "zh_CN"
    assert i18n.normalize_language("zh_CN.UTF-8") == "zh_CN"
    assert i18n.normalize_language("en_US") == "en"
    assert i18n.normalize_language("fr_FR") is None


def test_lists_in_a_sentence_use_the_languages_own_separator(library):
    from countylib.cataloguing import items_by_barcodes

    for language, named in (("zh_CN", "NOPE1、NOPE2"), ("en", "NOPE1, NOPE2")):
        i18n.set_language(language)
        try:
            items_by_barcodes(["NOPE1", "NOPE2"])
        except NotFound as exc:
            assert named in exc.message
        else:
            raise AssertionError("unknown barcodes were not refused")
    assert i18n.join_clauses(["甲", "乙"]) == "甲; 乙"
    i18n.set_language("zh_CN")
    assert i18n.join_clauses(["甲", "乙"]) == "甲；乙"
