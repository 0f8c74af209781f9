"""Call numbers (索书号): CLC class / 书次号, how the 书次号 is given, and shelf order.

The 书次号 is either a running number per class (种次号, the common practice: the 12th
work catalogued in I247.5 is I247.5/12) or an author number made from the author's name
(a setting). A running number is one county-wide counter per class, yet branches
catalogue offline. So the centre reserves blocks of numbers for each branch — per class,
per class prefix ("I" = every class under I) or for every class ("") — and a branch
counts only inside its own blocks. Two branches never hold overlapping blocks for
related classes, so two offline places never give out the same call number, and nothing
has to be renumbered when they sync. The most specific block is used first; when every
block for a class is used up the librarian is told plainly what to ask the centre for.
"""

from __future__ import annotations

import re


from countylib.clc import parse_class_number
from countylib.context import ServiceContext, service
from countylib.errors import RuleViolation, ValidationError
from countylib.i18n import N_, join_list
from countylib.roles import ADMIN, LIBRARIAN
from countylib.settings import SettingSpec, get_setting, register_settings
from models import Bib, Branch
from models.callnumbers import CallNumberBlock, CallNumberCursor

RUNNING = "running"
AUTHOR = "author"

register_settings(
    SettingSpec(
        "call_number_scheme",
        RUNNING,
        N_("Book number (书次号): running number per class, or author number"),
        ADMIN,
        (RUNNING, AUTHOR),
        labels={RUNNING: N_("running number (种次号)"), AUTHOR: N_("author number (著者号)")},
    ),
)


def compose(clc_class: str, book_number: str) -> str:
    return f"{clc_class}/{book_number}" if book_number else clc_class


def split_call_number(call_number: str) -> tuple[str, str]:
    """``I247.5/12`` → (``I247.5``, ``12``): the class, and the 书次号 after the first slash."""
    clc_class, _, book_number = (call_number or "").strip().partition("/")
    return clc_class.strip(), book_number.strip()


# -- blocks -------------------------------------------------------------------------------


def _related(a: str, b: str) -> bool:
    """Two prefixes cover some class in common when one starts with the other."""
    return a.startswith(b) or b.startswith(a)


def _check_prefix(class_prefix: str) -> str:
    return parse_class_number(class_prefix).text if class_prefix.strip() else ""


@service(ADMIN)
def reserve_block(
    ctx: ServiceContext, class_prefix: str, first_number: int, last_number: int, note: str = ""
) -> CallNumberBlock:
    """Record a block of running numbers the centre reserved for this branch."""
    prefix = _check_prefix(class_prefix)
    if first_number < 1 or last_number < first_number:
        raise ValidationError(
            "A block runs from a first number (1 or more) to a last number no smaller: {first}–{last} does not.",
            first=first_number,
            last=last_number,
        )
    for other in CallNumberBlock.select(CallNumberBlock, Branch).join(Branch):
        if (
            _related(prefix, other.class_prefix)
            and first_number <= other.last_number
            and other.first_number <= last_number
        ):
            raise RuleViolation(
                "Numbers {first}–{last} overlap the block {other_first}–{other_last} that branch {branch} holds for {prefix}.",
                first=first_number,
                last=last_number,
                other_first=other.first_number,
                other_last=other.last_number,
                branch=other.branch.code,
                prefix=other.class_prefix or "*",
            )
    block = CallNumberBlock.create(
        branch=ctx.branch,
        class_prefix=prefix,
        first_number=first_number,
        last_number=last_number,
        note=note.strip(),
        reserved_at=ctx.clock.utcnow(),
    )
    ctx.record(
        "callnumber.block_reserved",
        {
            "block": {
                "id": block.id,
                "branch": ctx.branch.code,
                "class_prefix": prefix,
                "first_number": first_number,
                "last_number": last_number,
                "note": block.note,
            }
        },
    )
    return block


def _blocks_for(branch: Branch, clc_class: str) -> list[CallNumberBlock]:
    """This branch's blocks that cover the class, most specific first, then in number order."""
    blocks = [
        b
        for b in CallNumberBlock.select().where(CallNumberBlock.branch == branch)
        if clc_class.startswith(b.class_prefix)
    ]
    return sorted(blocks, key=lambda b: (-len(b.class_prefix), b.first_number))


def _taken(clc_class: str, number: int) -> bool:
    """A number already on a record (e.g. imported from the centre) is never given again."""
    return (
        Bib.select(Bib.id)
        .where((Bib.clc_class == clc_class) & (Bib.call_number == compose(clc_class, str(number))))
        .exists()
    )


@service(LIBRARIAN)
def allocate_running_number(ctx: ServiceContext, clc_class: str) -> int:
    """The next free 种次号 for the class from this branch's blocks.

    Runs in an IMMEDIATE transaction, so two desks (threads or processes) on one file
    take turns and never receive the same number.
    """
    clc_class = parse_class_number(clc_class).text
    blocks = _blocks_for(ctx.branch, clc_class)
    if not blocks:
        raise RuleViolation(
            "This branch holds no block of call numbers for class {clc}. Ask the central library to reserve one, or use author numbers.",
            clc=clc_class,
        )
    for block in blocks:
        cursor, _ = CallNumberCursor.get_or_create(
            block=block, clc_class=clc_class, defaults={"next_number": block.first_number}
        )
        number = cursor.next_number
        while number <= block.last_number and _taken(clc_class, number):
            number += 1
        if number <= block.last_number:
            cursor.next_number = number + 1
            cursor.save()
            return number
        if cursor.next_number != number:
            cursor.next_number = number
            cursor.save()
    ranges = join_list(f"{b.first_number}–{b.last_number}" for b in blocks)
    raise RuleViolation(
        "The call numbers for class {clc} are used up at this branch (blocks {ranges}). Ask the central library for a new block.",
        clc=clc_class,
        ranges=ranges,
    )


def block_usage(branch: Branch) -> list[tuple[CallNumberBlock, int]]:
    """Each of the branch's blocks with how many numbers have been given out of it."""
    rows = []
    for block in CallNumberBlock.select().where(CallNumberBlock.branch == branch).order_by(
        CallNumberBlock.class_prefix, CallNumberBlock.first_number
    ):
        used = sum(c.next_number - block.first_number for c in block.cursors)
        rows.append((block, used))
    return rows


# -- author numbers -----------------------------------------------------------------------

# Role words and nationality marks that come with a name but are not part of it.
_ROLE = re.compile(r"(主编|编著|编译|编写|编|著|译|绘|撰|等)$")
_NATIONALITY = re.compile(r"^[\[［(（〔][^\]］)）〕]*[\]］)）〕]")


def author_number(author: str) -> str:
    """An author number from the first author's name: pinyin initials, e.g. 曹雪芹 → CXQ.

    A simple pinyin-initials scheme (not a printed 著者号码表): it needs no table and no
    central counter, so any branch derives the same number offline.
    """
    from pypinyin import Style, lazy_pinyin  # 0.3 s to import: only when a name is spelt
    name = re.split(r"[,，、;；/]", (author or "").strip())[0].strip()
    name = _ROLE.sub("", _NATIONALITY.sub("", name).strip()).strip()
    if not name:
        return ""
    initials = "".join(
        syllable[0] for syllable in lazy_pinyin(name, style=Style.FIRST_LETTER, errors=lambda s: s.split()) if syllable
    )
    letters = re.sub(r"[^A-Za-z]", "", initials).upper()
    return letters[:3]


@service(LIBRARIAN)
def assign_call_number(ctx: ServiceContext, clc_class: str, author: str = "", title: str = "") -> str:
    """A new call number for a work in the class, by the branch's chosen scheme."""
    clc_class = parse_class_number(clc_class).text
    if get_setting("call_number_scheme") == AUTHOR:
        base = author_number(author)
        if not base:
            raise ValidationError("An author number needs the author's name; none was given for {title}.", title=title)
        # Another work of the same author in the same class gets a distinguishing -2, -3 ...
        taken = {
            b.call_number
            for b in Bib.select(Bib.call_number).where(
                (Bib.clc_class == clc_class) & (Bib.call_number.startswith(compose(clc_class, base)))
            )
        }
        book_number, n = base, 1
        while compose(clc_class, book_number) in taken:
            n += 1
            book_number = f"{base}-{n}"
        return compose(clc_class, book_number)
    return compose(clc_class, str(allocate_running_number(ctx, clc_class)))


# -- shelf order --------------------------------------------------------------------------

_AUX_ORDER = {"-": 0, "(": 1, "=": 2, '"': 3, "<": 4}
_CLASS_KEY = re.compile(r"^([A-Z]{1,2})([\d.]*)([-(=\"<>)\d.]*)$")


def _class_key(match: re.Match) -> tuple:
    letters, digits, aux = match.groups()
    # Class digits are decimal: I247.5 < I247.57 < I248, so compare them as text.
    aux_parts = tuple(
        (_AUX_ORDER.get(symbol, 9), number.replace(".", ""))
        for symbol, number in re.findall(r"([-(=\"<])([\d.]+)", aux)
    )
    return (letters, digits.replace(".", ""), aux_parts)


def _book_key(book_number: str) -> tuple:
    # Numbers compare as numbers (12 < 100), letters as letters; punctuation only separates.
    return tuple(
        (0, int(token), "") if token.isdigit() else (1, 0, token.upper())
        for token in re.findall(r"\d+|[A-Za-z]+|[^\W\d_]+", book_number)
    )


def call_number_sort_key(call_number: str) -> tuple:
    """Shelf order: class first (segment by segment), then the 书次号, numerically.

    I247.5/12 < I247.5/100 < I247.57/3 < I248/1; text that is no call number goes last.
    """
    clc_class, book_number = split_call_number(call_number)
    match = _CLASS_KEY.match(clc_class.upper())
    if match is None:
        return (1, call_number)
    return (0, _class_key(match), _book_key(book_number))
