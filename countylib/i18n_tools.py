"""Translation upkeep: find the UI strings in the code, report or stub the missing ones,
compile the catalogs.

    python -m countylib.i18n_tools missing            # msgids with no zh_CN translation
    python -m countylib.i18n_tools missing --write AREA  # add them, empty, to AREA.po
    python -m countylib.i18n_tools compile            # every .po -> .mo

Strings are found where they are marked: ``_()``, ``N_()``, ``ngettext()``, the first
argument of the domain errors (their message is a msgid), and the msgid argument of the
helpers in ``MSGID_HELPERS``.
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from countylib.i18n import LOCALE_DIR

ROOT = Path(__file__).resolve().parent.parent
SOURCE_PACKAGES = ("countylib", "screens", "printing", "sync", "models")
ERROR_CLASSES = (
    "CountyLibError",
    "ValidationError",
    "NotFound",
    "RuleViolation",
    "PermissionDenied",
    "AuthenticationFailed",
    "DatabaseError",
    "EncryptedFileError",
    "PassphraseNeeded",
    "BadRecord",
    "SyncError",
    "HubUnreachable",
    "NotEnrolled",
    "TokenExpired",
    "DeviceRevoked",
    "HubRefused",
)
# Helpers that build a domain error from a msgid given further along their arguments.
MSGID_HELPERS = {"_invalid": (2,)}
KEYWORDS: dict[str, object] = {
    "_": None, "N_": None, "ngettext": (1, 2), **{name: (1,) for name in ERROR_CLASSES}, **MSGID_HELPERS
}
_PINNED_DATE = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
PLACEHOLDER = re.compile(r"\{[a-zA-Z_][a-zA-Z0-9_]*\}")


def extract() -> dict[str, list[str]]:
    """msgid -> where it appears ("path:line")."""
    found: dict[str, list[str]] = {}
    for package in SOURCE_PACKAGES:
        folder = ROOT / package
        for filename, lineno, message, _comments, _context in extract_from_dir(
            folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            # ngettext gives (singular, plural): catalogs key both forms by the singular.
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault(msgid, []).append(f"{package}/{filename}:{lineno}")
    return found


def po_files(lang: str) -> list[Path]:
    return sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po"))


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=path.parent.parent.name)


def translations(lang: str) -> dict[str, str]:
    """Every translated msgid of a language, across its area catalogs."""
    result: dict[str, str] = {}
    for path in po_files(lang):
        for message in read_catalog(path):
            if message.id and message.string:
                key = message.id if isinstance(message.id, str) else message.id[0]
                value = message.string if isinstance(message.string, str) else message.string[0]
                if value:
                    result[key] = value
    return result


def missing(lang: str = "zh_CN") -> dict[str, list[str]]:
    have = translations(lang)
    return {msgid: where for msgid, where in extract().items() if msgid not in have}


def placeholder_mismatches(lang: str = "zh_CN") -> list[str]:
    """Translations whose {placeholders} differ from the msgid's (they would crash .format)."""
    return [
        msgid
        for msgid, text in translations(lang).items()
        if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(text))
    ]


def compiled_bytes(po: Path) -> bytes:
    catalog = read_catalog(po)
    # Babel stamps a header without a creation date with the current time: pin it, so the
    # same .po always compiles to the same .mo (the staleness test compares bytes).
    catalog.creation_date = _PINNED_DATE
    out = BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def stale_mo_files() -> list[Path]:
    stale = []
    for lang_dir in LOCALE_DIR.iterdir() if LOCALE_DIR.is_dir() else ():
        for po in po_files(lang_dir.name):
            mo = po.with_suffix(".mo")
            if not mo.exists() or mo.read_bytes() != compiled_bytes(po):
                stale.append(mo)
    return stale


def compile_all() -> Iterator[Path]:
    for mo in stale_mo_files():
        mo.write_bytes(compiled_bytes(mo.with_suffix(".po")))
        yield mo


def write_missing(area: str, lang: str = "zh_CN") -> int:
    """Append the untranslated msgids to ``<lang>/LC_MESSAGES/<area>.po`` (msgstr empty)."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{area}.po"
    catalog = read_catalog(path) if path.exists() else Catalog(locale=lang, project="CountyLib", charset="utf-8")
    todo = missing(lang)
    for msgid, where in todo.items():
        catalog.add(msgid, "", locations=[(w.rsplit(":", 1)[0], int(w.rsplit(":", 1)[1])) for w in where])
    catalog.fuzzy = False  # a fuzzy header would be left out of the .mo, and its charset with it
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=0, omit_header=False, sort_output=False)
    return len(todo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m countylib.i18n_tools")
    sub = parser.add_subparsers(dest="command", required=True)
    miss = sub.add_parser("missing", help="list msgids without a zh_CN translation")
    miss.add_argument("--write", metavar="AREA", help="add them, untranslated, to AREA.po")
    sub.add_parser("compile", help="compile every .po to .mo")
    args = parser.parse_args(argv)
    if args.command == "compile":
        done = list(compile_all())
        print(f"compiled {len(done)} catalog(s)")
        return 0
    if args.write:
        print(f"added {write_missing(args.write)} msgid(s) to {args.write}.po")
        return 0
    todo = missing()
    for msgid, where in sorted(todo.items()):
        print(f"{where[0]}: {msgid}")
    print(f"{len(todo)} untranslated")
    return 1 if todo else 0


if __name__ == "__main__":
    sys.exit(main())


def conflicting_translations(lang: str = "zh_CN") -> dict[str, set[str]]:
    """msgids two area catalogs translate differently: only one of them can win at run time."""
    seen: dict[str, set[str]] = {}
    for path in po_files(lang):
        for message in read_catalog(path):
            if message.id and isinstance(message.id, str) and message.string:
                seen.setdefault(message.id, set()).add(message.string)
    return {msgid: texts for msgid, texts in seen.items() if len(texts) > 1}
