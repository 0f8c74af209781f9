"""The Chinese Library Classification (中国图书馆分类法, 中图法): its classes as data, and the
shape of a class number.

A class number is kept as the text the cataloguer wrote (``I247.5``, ``TP311.1``,
``G250.76``): letters for the class (one letter, two for the subclasses of T), then
digits with a point after every third digit, then optional auxiliary parts from the
common tables: ``-`` general (总论复分, ``TP311.1-43``), ``=`` period, ``(…)`` place,
``"…"`` ethnic group, ``<…>`` general time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from countylib.errors import ValidationError


@dataclass(frozen=True)
class ClcClass:
    code: str
    name_zh: str
    name_en: str


# The 22 basic classes (基本大类) of the 5th edition.
TOP_CLASSES: tuple[ClcClass, ...] = (
    ClcClass("A", "马克思主义、列宁主义、毛泽东思想、邓小平理论", "Marxism, Leninism, Mao Zedong Thought, Deng Xiaoping Theory"),
    ClcClass("B", "哲学、宗教", "Philosophy and religion"),
    ClcClass("C", "社会科学总论", "Social sciences in general"),
    ClcClass("D", "政治、法律", "Politics and law"),
    ClcClass("E", "军事", "Military science"),
    ClcClass("F", "经济", "Economics"),
    ClcClass("G", "文化、科学、教育、体育", "Culture, science, education and sports"),
    ClcClass("H", "语言、文字", "Languages and writing"),
    ClcClass("I", "文学", "Literature"),
    ClcClass("J", "艺术", "Art"),
    ClcClass("K", "历史、地理", "History and geography"),
    ClcClass("N", "自然科学总论", "Natural sciences in general"),
    ClcClass("O", "数理科学和化学", "Mathematics, physics and chemistry"),
    ClcClass("P", "天文学、地球科学", "Astronomy and earth sciences"),
    ClcClass("Q", "生物科学", "Biological sciences"),
    ClcClass("R", "医药、卫生", "Medicine and health"),
    ClcClass("S", "农业科学", "Agricultural sciences"),
    ClcClass("T", "工业技术", "Industrial technology"),
    ClcClass("U", "交通运输", "Transportation"),
    ClcClass("V", "航空、航天", "Aviation and aerospace"),
    ClcClass("X", "环境科学、安全科学", "Environmental and safety sciences"),
    ClcClass("Z", "综合性图书", "General works"),
)

# T alone is divided by a second letter; every T number below the class itself has one.
T_SUBCLASSES: tuple[ClcClass, ...] = (
    ClcClass("TB", "一般工业技术", "General industrial technology"),
    ClcClass("TD", "矿业工程", "Mining engineering"),
    ClcClass("TE", "石油、天然气工业", "Petroleum and natural gas industry"),
    ClcClass("TF", "冶金工业", "Metallurgy"),
    ClcClass("TG", "金属学与金属工艺", "Metallurgy and metalworking"),
    ClcClass("TH", "机械、仪表工业", "Machinery and instruments"),
    ClcClass("TJ", "武器工业", "Weapons industry"),
    ClcClass("TK", "能源与动力工程", "Energy and power engineering"),
    ClcClass("TL", "原子能技术", "Atomic energy technology"),
    ClcClass("TM", "电工技术", "Electrical engineering"),
    ClcClass("TN", "无线电电子学、电信技术", "Radio electronics and telecommunications"),
    ClcClass("TP", "自动化技术、计算机技术", "Automation and computer technology"),
    ClcClass("TQ", "化学工业", "Chemical industry"),
    ClcClass("TS", "轻工业、手工业", "Light industry and handicrafts"),
    ClcClass("TU", "建筑科学", "Architecture and building"),
    ClcClass("TV", "水利工程", "Hydraulic engineering"),
)

CLASSES: dict[str, ClcClass] = {c.code: c for c in (*TOP_CLASSES, *T_SUBCLASSES)}

_DIGITS = r"\d{1,3}(?:\.\d{1,3})*"
_AUX = rf"(?:-{_DIGITS}|={_DIGITS}|\({_DIGITS}\)|\"{_DIGITS}\"|<{_DIGITS}>)"
_SHAPE = re.compile(rf"^(?P<letters>[A-Z]{{1,2}})(?P<digits>{_DIGITS})?(?P<aux>{_AUX}*)$")


@dataclass(frozen=True)
class ClassNumber:
    text: str  # as kept: I247.5
    main: str  # I, or TP for the subclasses of T
    top: str  # one of the 22 letters

    @property
    def top_class(self) -> ClcClass:
        return CLASSES[self.top]

    @property
    def main_class(self) -> ClcClass:
        return CLASSES[self.main]


def _dots_every_third(digits: str) -> bool:
    """The digit groups between points are three long, except the last (1 to 3)."""
    groups = digits.split(".")
    return all(len(g) == 3 for g in groups[:-1])


def _regroup(text: str) -> str:
    """``I2475`` → ``I247.5``: cataloguers often leave the points out; they are positional."""
    match = re.match(r"^([A-Z]{1,2})(\d+)(.*)$", text)
    if not match or "." in match.group(2):
        return text
    letters, digits, rest = match.groups()
    grouped = ".".join(digits[i : i + 3] for i in range(0, len(digits), 3))
    return letters + grouped + rest


def parse_class_number(value: str) -> ClassNumber:
    """Check a 中图法 class number by its shape and tidy it (case, spaces, missing points)."""
    text = _regroup(re.sub(r"\s+", "", value or "").upper())
    if not text:
        raise ValidationError("A CLC class number is needed, e.g. I247.5.")
    match = _SHAPE.match(text)
    if match is None:
        raise ValidationError(
            "{value} is not a CLC class number: letters, then digits with a point after every third, e.g. I247.5 or TP311.1.",
            value=value,
        )
    letters, digits = match.group("letters"), match.group("digits") or ""
    top = letters[0]
    if top not in CLASSES:
        raise ValidationError("{value}: there is no CLC class {letter}.", value=value, letter=top)
    if len(letters) == 2:
        if letters not in CLASSES:
            raise ValidationError("{value}: there is no CLC subclass {letters}.", value=value, letters=letters)
    elif top == "T" and digits:
        raise ValidationError(
            "{value}: numbers in class T start with a second letter, e.g. TP311.1 or TU2.", value=value
        )
    for part in re.findall(r"\d+(?:\.\d+)*", text[len(letters) :]):
        if not _dots_every_third(part):
            raise ValidationError(
                "{value}: the point goes after every third digit, e.g. G250.76.", value=value
            )
    return ClassNumber(text=text, main=letters, top=top)


def is_class_number(value: str) -> bool:
    try:
        parse_class_number(value)
    except ValidationError:
        return False
    return True


def main_class(value: str) -> str:
    """The leading letter, or the two letters of a T subclass: I247.5 → I, TP311.1 → TP."""
    return parse_class_number(value).main


def class_name(code: str, language: str) -> str:
    """The name of a top class or T subclass in the given language (zh_CN or en)."""
    entry = CLASSES[code]
    return entry.name_zh if language == "zh_CN" else entry.name_en
