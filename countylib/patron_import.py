"""Moving readers in from paper lists and spreadsheets: CSV and .xlsx.

The columns are mapped to the form's fields once (guessed from the headers, then
remembered in the setting ``patron_import_mapping``). A preview checks every row without
writing; the import registers each good row as the form would — same rules, its own
transaction — and lists the rejected rows by line and reason. Rows already in the
database (same card, same ID number, or same name and birth date) are skipped, so
running the same file again adds nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from countylib.context import ServiceContext
from countylib.errors import CountyLibError, ValidationError
from countylib.i18n import N_, _, join_list
from countylib.idnumbers import FOREIGN_PERMANENT, HMT_PERMIT, NO_ID, PASSPORT, RESIDENT_ID, ID_TYPES
from countylib.patrons import (
    CATEGORY_LABELS,
    PatronForm,
    parse_date,
    parse_yuan,
    possible_duplicates,
    register_patron,
    validate_form,
)
from countylib.roles import LIBRARIAN
from countylib.settings import SettingSpec, change_setting, get_setting, register_settings
from models import Patron

register_settings(
    SettingSpec("patron_import_mapping", {}, N_("Columns of the last patron import (field → column)"), LIBRARIAN)
)

# field → (label msgid, header words that usually mean it, lower case)
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "card_number": (N_("Card number"), ("借书证号", "读者证号", "证号", "卡号", "card", "card number", "card_number")),
    "name": (N_("Name"), ("姓名", "读者姓名", "名字", "name")),
    "gender": (N_("Sex"), ("性别", "sex", "gender")),
    "id_type": (N_("ID type"), ("证件类型", "id type", "id_type")),
    "id_number": (N_("ID number"), ("身份证号", "身份证号码", "身份证", "证件号码", "证件号", "id number", "id_number")),
    "birth_date": (N_("Birth date"), ("出生日期", "生日", "birth date", "birth_date", "birthday")),
    "phone": (N_("Phone"), ("手机", "手机号", "手机号码", "电话", "联系电话", "phone", "mobile")),
    "address": (N_("Address"), ("地址", "住址", "家庭住址", "address")),
    "category": (N_("Category"), ("类别", "读者类别", "读者类型", "category")),
    "expiry_date": (N_("Valid until"), ("有效期", "有效期至", "到期日期", "expiry", "expiry_date", "valid until")),
    "deposit": (N_("Deposit (yuan)"), ("押金", "deposit")),
    "notes": (N_("Notes"), ("备注", "notes")),
    "guardian_name": (N_("Guardian"), ("监护人", "监护人姓名", "家长", "家长姓名", "guardian", "guardian name")),
    "guardian_phone": (N_("Guardian's phone"), ("监护人电话", "家长电话", "guardian phone", "guardian_phone")),
    "guardian_id_number": (N_("Guardian's ID number"), ("监护人身份证号", "家长身份证号", "guardian id number")),
}
GENDERS = {"男": "M", "m": "M", "male": "M", "女": "F", "f": "F", "female": "F"}
ID_TYPE_WORDS = {
    "身份证": RESIDENT_ID, "居民身份证": RESIDENT_ID, "护照": PASSPORT, "港澳通行证": HMT_PERMIT,
    "台胞证": HMT_PERMIT, "回乡证": HMT_PERMIT, "港澳台通行证": HMT_PERMIT, "永久居留证": FOREIGN_PERMANENT,
    "外国人永久居留身份证": FOREIGN_PERMANENT, "无": NO_ID,
}
CATEGORY_WORDS = {"成人": "adult", "儿童": "child", "少儿": "child", "学生": "student", "老人": "senior", "老年": "senior", "职工": "staff"}


@dataclass
class ImportTable:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (line in the file, cells)


def read_table(path: Path) -> ImportTable:
    """The first sheet of an .xlsx, or a CSV in UTF-8 or GB18030 (what Excel saves in China)."""
    if not path.exists():
        raise ValidationError("The file {path} does not exist.", path=str(path))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
    elif path.suffix.lower() in (".csv", ".txt"):
        rows = _csv_rows(path)
    else:
        raise ValidationError("Only .csv and .xlsx files can be imported (this is {suffix}).", suffix=path.suffix or "?")
    header: list[str] | None = None
    body: list[tuple[int, list[str]]] = []
    for line, cells in rows:
        if not any(cells):
            continue
        if header is None:
            header = cells
        else:
            body.append((line, cells + [""] * (len(header) - len(cells))))
    if header is None:
        raise ValidationError("The file is empty.")
    return ImportTable(header, body)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps 13812345678 as a float
    return str(value).strip()


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise ValidationError("{path} cannot be read as an Excel workbook ({reason}).", path=path.name, reason=str(exc)) from exc
    try:
        for line, row in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            yield line, [_cell(v) for v in row]
    finally:
        book.close()


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError("{path} is neither UTF-8 nor GB18030 text.", path=path.name)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text.splitlines(keepends=True), dialect)
    for cells in reader:
        yield reader.line_num, [c.strip() for c in cells]


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """The remembered mapping where its columns still exist, else a guess from the words."""
    remembered = {f: c for f, c in dict(get_setting("patron_import_mapping")).items() if f in FIELDS and c in headers}
    mapping = dict(remembered)
    used = set(mapping.values())
    for name, (_label, words) in FIELDS.items():
        if name in mapping:
            continue
        for header in headers:
            if header not in used and header.strip().lower() in words:
                mapping[name] = header
                used.add(header)
                break
    return mapping


def row_to_form(cells: dict[str, str], consent: bool) -> PatronForm:
    """One row's text as the registration form; a ValidationError names a bad cell."""
    get = lambda name: cells.get(name, "").strip()  # noqa: E731
    gender = get("gender").lower()
    if gender and gender not in GENDERS:
        raise ValidationError("Unknown sex {value}; use 男 or 女.", value=get("gender"))
    id_type = get("id_type")
    id_type = ID_TYPE_WORDS.get(id_type, id_type) or (RESIDENT_ID if get("id_number") else NO_ID)
    if id_type not in ID_TYPES:
        raise ValidationError("Unknown ID type {value}.", value=get("id_type"))
    category = get("category")
    category = CATEGORY_WORDS.get(category, category.lower() if category.lower() in CATEGORY_LABELS else category)
    return PatronForm(
        name=get("name"),
        gender=GENDERS.get(gender, ""),
        id_type=id_type,
        id_number=get("id_number"),
        birth_date=parse_date(get("birth_date"), "birth_date"),
        phone=get("phone"),
        address=get("address"),
        category=category,
        expiry_date=parse_date(get("expiry_date"), "expiry_date"),
        deposit_cents=parse_yuan(get("deposit")),
        notes=get("notes"),
        consent=consent,
        card_number=get("card_number"),
        guardian_name=get("guardian_name"),
        guardian_phone=get("guardian_phone"),
        guardian_id_number=get("guardian_id_number"),
    )


NEW, PRESENT, REJECTED = "new", "present", "rejected"


@dataclass
class RowVerdict:
    line: int
    name: str
    verdict: str  # new | present | rejected
    reason: str = ""  # translated: why rejected, or which record it already is


def _already_present(ctx: ServiceContext, form: PatronForm, clean: dict) -> Patron | None:
    """The record this row made last time (or was typed in by hand before)."""
    card = form.card_number.strip().upper()
    if card:
        holder = Patron.get_or_none(Patron.card_number == card)
        if holder is not None and (holder.name == clean["name"] or holder.id_number_hash == clean["id_number_hash"]):
            return holder
    if clean["id_number_hash"]:
        same = Patron.get_or_none(Patron.id_number_hash == clean["id_number_hash"], Patron.home_branch == ctx.branch)
        if same is not None:
            return same
    return Patron.get_or_none(Patron.name == clean["name"], Patron.birth_date == clean["birth_date"])


def check_row(ctx: ServiceContext, line: int, cells: dict[str, str], consent: bool = True) -> tuple[RowVerdict, PatronForm | None]:
    """Validate one row as the form would, without writing anything."""
    name = cells.get("name", "").strip()
    try:
        form = row_to_form(cells, consent)
        clean = validate_form(ctx, form)
    except CountyLibError as exc:
        return RowVerdict(line, name, REJECTED, exc.message), None
    present = _already_present(ctx, form, clean)
    if present is not None:
        return RowVerdict(line, name, PRESENT, _("already registered: card {card}").format(card=present.card_number)), None
    matches = possible_duplicates(ctx, clean)
    if matches:
        found = join_list(f"{m.card_number} {m.name} ({m.why})" for m in matches)
        return RowVerdict(line, name, REJECTED, _("may already have a card: {cards}").format(cards=found)), None
    return RowVerdict(line, name, NEW), form


def _mapped(table: ImportTable, mapping: dict[str, str]) -> Iterator[tuple[int, dict[str, str]]]:
    index = {name: table.headers.index(column) for name, column in mapping.items() if column in table.headers}
    for line, cells in table.rows:
        yield line, {name: cells[i] if i < len(cells) else "" for name, i in index.items()}


def _check_mapping(mapping: dict[str, str]) -> None:
    if "name" not in mapping:
        raise ValidationError("Choose which column holds the readers' names.")
    unknown = set(mapping) - set(FIELDS)
    if unknown:
        raise ValidationError("Unknown field(s) in the column mapping: {fields}.", fields=", ".join(sorted(unknown)))


@dataclass
class ImportPreview:
    table: ImportTable
    mapping: dict[str, str]
    verdicts: list[RowVerdict]

    def count(self, verdict: str) -> int:
        return sum(1 for v in self.verdicts if v.verdict == verdict)


def preview_import(ctx: ServiceContext, path: Path, mapping: dict[str, str] | None = None) -> ImportPreview:
    """Read the file and check every row; nothing is written."""
    ctx.require(LIBRARIAN)
    table = read_table(path)
    mapping = guess_mapping(table.headers) if mapping is None else mapping
    _check_mapping(mapping)
    return ImportPreview(table, mapping, [check_row(ctx, line, cells)[0] for line, cells in _mapped(table, mapping)])


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)  # card numbers
    present: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

    def summary(self) -> str:
        return _("{added} added, {present} already there, {rejected} rejected").format(
            added=len(self.added), present=self.present, rejected=len(self.rejected)
        )


def import_patrons(
    ctx: ServiceContext,
    path: Path,
    mapping: dict[str, str],
    *,
    consent_on_paper: bool,
    progress: Callable[[int, int], bool] | None = None,
) -> ImportReport:
    """Register every good row (each in its own transaction) and report the rest.

    ``consent_on_paper``: the librarian confirms the readers agreed to the privacy notice
    when they registered on paper. ``progress(done, total)`` may return False to stop.
    """
    ctx.require(LIBRARIAN)
    if not consent_on_paper:
        raise ValidationError("Confirm that these readers agreed to the privacy notice when they registered.")
    _check_mapping(mapping)
    table = read_table(path)
    change_setting(ctx, "patron_import_mapping", dict(mapping))
    report = ImportReport()
    rows = list(_mapped(table, mapping))
    for done, (line, cells) in enumerate(rows, start=1):
        verdict, form = check_row(ctx, line, cells, consent=True)
        if verdict.verdict == PRESENT:
            report.present += 1
        elif verdict.verdict == REJECTED:
            report.rejected.append((line, verdict.reason))
        else:
            try:
                report.added.append(register_patron(ctx, form, accept_possible_duplicates=True).card_number)
            except CountyLibError as exc:
                report.rejected.append((line, exc.message))
        if progress is not None and progress(done, len(rows)) is False:
            break
    return report
