"""MARC records in and out: ISO 2709 and MARCXML, MARC21 and UNIMARC/CNMARC.

Reading is record by record with the position of each, so a file of a million records
streams in flat memory and one broken record is skipped with its place and reason while
the rest are read. The ISO 2709 reader is our own rather than pymarc's: files in the wild
have wrong record lengths, junk between records, leaders that lie about the character set
(leader/09 'a' over MARC-8, blank over UTF-8, blank over GB18030 in Chinese exchange files),
and import speed needs decoding to stop at the fields the catalogue uses. pymarc's MARC-8
converter does the MARC-8 decoding.

Field maps exist for both flavours because pymarc's convenience properties are MARC21-only:
a CNMARC title is 200$a, its ISBN 010$a, its CLC class 690$a, its copies in 905.
Writing builds MARC21 or UNIMARC from a Bib row (and its copies) in UTF-8.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from countylib.errors import ValidationError
from countylib.i18n import N_
from countylib.isbn import find_isbn, hyphenate
from countylib.isbn import normalize as normalize_isbn

MARC21 = "marc21"
UNIMARC = "unimarc"
FORMATS = ("auto", MARC21, UNIMARC)
UTF8 = "utf-8"
MARC8 = "marc8"
GB18030 = "gb18030"
ENCODINGS = ("auto", UTF8, MARC8, GB18030)

RECORD_END = b"\x1d"
FIELD_END = b"\x1e"
SUBFIELD = b"\x1f"
LEADER_LEN = 24
MAX_RECORD = 99_999  # the leader's five digits
BLOCK = 1 << 20
# The reason given for a piece of the file that is not a record at all (imports name the file).
NOT_MARC = N_("This is not MARC: a MARC record begins with a leader of digits, and this does not.")
# Bytes that some systems put between records (newlines, NUL padding, DOS end-of-file).
_JUNK = b"\r\n\x00\x1a \t"
# MARC non-sorting marks (NSB/NSE) and their ISO 6429 twins: kept in the raw record,
# dropped from the text people read.
_NON_SORT_MARK = re.compile("[\x88\x89\x98\x9c]")
_UNTIDY = re.compile("[\x88\x89\x98\x9c\n\t\r]|  ")
_HIGH_PAIR = re.compile(rb"[\x81-\xfe][\xa1-\xfe]")
_HIGH = re.compile(rb"[\x80-\xff]")
_DIRECTORY = re.compile(rb"(?:[0-9A-Za-z]{3}\d{9})*")
_PRINTABLE = bytes(b if 0x20 <= b < 0x7F else 0x20 for b in range(256))
_HAN = re.compile(r"[\u4e00-\u9fff]")
_STDERR_LOCK = threading.Lock()
_NCR = re.compile(r"&#x([0-9A-Fa-f]{2,6});")
_UTF8_SEQ = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


class BadRecord(ValidationError):
    """A record that cannot be read; the message says why, the reader says where."""


# -- records --------------------------------------------------------------------------------


@dataclass(slots=True)
class Field:
    tag: str
    ind1: str = " "
    ind2: str = " "
    subfields: list[tuple[str, str]] = field(default_factory=list)
    data: str | None = None  # control fields (001-009) have data, no subfields

    @property
    def is_control(self) -> bool:
        return self.data is not None

    def get(self, code: str) -> str:
        for c, value in self.subfields:
            if c == code:
                return value
        return ""

    def all(self, code: str) -> list[str]:
        return [value for c, value in self.subfields if c == code]

    def text(self) -> str:
        """The field as a cataloguer reads it: '245 10 $a红楼梦 $f曹雪芹著'."""
        if self.data is not None:
            return f"{self.tag}    {self.data}"
        subs = " ".join(f"${c}{_NON_SORT_MARK.sub('', v)}" for c, v in self.subfields)
        return f"{self.tag} {self.ind1}{self.ind2} {subs}"


@dataclass(slots=True)
class MarcRecord:
    leader: str
    fields: list[Field]
    flavour: str = MARC21
    encoding: str = UTF8
    raw: bytes = b""  # ISO 2709 as received; for MARCXML input, as written by us in UTF-8
    position: int = 0  # 1-based number of the record in its file
    offset: int = 0  # byte offset in an ISO 2709 file
    line: int = 0  # line in a MARCXML file
    _by_tag: dict[str, list[Field]] | None = None

    def _index(self) -> dict[str, list[Field]]:
        if self._by_tag is None:
            index: dict[str, list[Field]] = {}
            for f in self.fields:
                index.setdefault(f.tag, []).append(f)
            self._by_tag = index
        return self._by_tag

    def get_fields(self, *tags: str) -> list[Field]:
        """Fields with these tags, tag by tag in the order given (then in record order)."""
        index = self._index()
        if len(tags) == 1:
            return index.get(tags[0], [])
        return [f for tag in tags for f in index.get(tag, ())]

    def first(self, tag: str) -> Field | None:
        found = self._index().get(tag)
        return found[0] if found else None

    def control(self, tag: str) -> str:
        f = self.first(tag)
        return (f.data or "") if f is not None else ""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record that could not be read, where it was, and why (a msgid with params)."""

    position: int
    offset: int
    line: int
    msgid: str
    params: tuple[tuple[str, object], ...] = ()

    @property
    def reason(self) -> str:
        from countylib.i18n import _

        text = _(self.msgid)
        return text.format(**dict(self.params)) if self.params else text

    @property
    def where(self) -> str:
        from countylib.i18n import _

        if self.line:
            return _("record {n} (line {line})").format(n=self.position, line=self.line)
        return _("record {n} (byte {offset})").format(n=self.position, offset=self.offset)


def _skipped(position: int, offset: int, line: int, exc: BadRecord) -> Skipped:
    return Skipped(position, offset, line, exc.msgid, tuple(exc.params.items()))


# -- detecting the flavour and the character set -----------------------------------------


def detect_flavour(tags: Iterable[str], default: str = MARC21) -> str:
    """MARC21 has 245 and 008; UNIMARC has 200 and its 100 coded data."""
    tags = set(tags)
    if "245" in tags:
        return MARC21
    if "200" in tags:
        return UNIMARC
    if "008" in tags:
        return MARC21
    return default


def detect_encoding(body: bytes, leader9: str) -> str:
    """The character set of a record's field data, whatever leader/09 claims.

    ESC sequences only occur in MARC-8. Data that decodes as UTF-8 is UTF-8 (leaders say
    blank over UTF-8 often). Data that does not: mostly-valid UTF-8 with a few bad bytes
    stays UTF-8 (and the record is reported broken, not guessed at); Han text in GB18030
    comes as pairs of high bytes; MARC-8 puts a diacritic before an ASCII letter.
    """
    if b"\x1b" in body:
        return MARC8
    if body.isascii():
        # Plain ASCII reads the same either way, except MARC-8's &#x...; references.
        return MARC8 if leader9 != "a" and b"&#x" in body else UTF8
    try:
        body.decode("utf-8")
        return UTF8
    except UnicodeDecodeError:
        pass
    high = len(_HIGH.findall(body))
    in_utf8 = sum(len(m) for m in _UTF8_SEQ.findall(body))
    if in_utf8 >= 0.8 * high or (leader9 == "a" and in_utf8 >= 0.5 * high):
        return UTF8
    paired = 2 * len(_HIGH_PAIR.findall(body))
    if paired >= 0.8 * high:
        try:
            body.decode("gb18030")
            return GB18030
        except UnicodeDecodeError:
            pass
    return MARC8


def _decoder(encoding: str):
    if encoding == MARC8:
        from pymarc.marc8 import MARC8ToUnicode

        def marc8(data: bytes) -> str:
            # A new converter per subfield: MARC-8 escapes do not carry across subfields.
            try:
                if b"\x1b$" not in data:
                    text = MARC8ToUnicode(quiet=True).translate(data)
                else:
                    # pymarc writes a note to stderr for a cut-short East Asian character
                    # even when quiet; it would scribble over the command line's summary.
                    with _STDERR_LOCK, contextlib.redirect_stderr(io.StringIO()):
                        text = MARC8ToUnicode(quiet=True).translate(data)
            except (IndexError, TypeError, KeyError, ValueError) as exc:
                raise UnicodeDecodeError("marc8", data, 0, len(data), str(exc)) from exc
            # MARC-8 writes characters it lacks as numeric references (&#x200F;).
            return _NCR.sub(lambda m: chr(int(m.group(1), 16)), text) if "&#x" in text else text

        return marc8
    codec = "gb18030" if encoding == GB18030 else "utf-8"
    return lambda data: data.decode(codec)


_ENCODING_NAMES = {UTF8: "UTF-8", MARC8: "MARC-8", GB18030: "GB18030"}


# -- ISO 2709 -----------------------------------------------------------------------------


def iter_chunks(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(byte offset, record bytes) for each record, split on the record terminator.

    Splitting on 0x1D rather than trusting each leader's length keeps one wrong length
    from swallowing the records after it. A tail without a terminator comes out as is.
    """
    buffer = b""
    base = 0  # file offset of buffer[0]
    while True:
        block = stream.read(BLOCK)
        if not block:
            break
        buffer += block
        start = 0
        while True:
            end = buffer.find(RECORD_END, start)
            if end < 0:
                break
            chunk = buffer[start : end + 1]
            stripped = chunk.lstrip(_JUNK)
            if len(stripped) > 1:
                yield base + start + len(chunk) - len(stripped), stripped
            start = end + 1
        buffer = buffer[start:]
        base += start
        if len(buffer) > 2 * MAX_RECORD:
            # No terminator in far more than a record's length: not MARC. Hand it on as
            # one unreadable piece instead of holding the rest of the file in memory.
            junk, buffer = buffer[:-MAX_RECORD], buffer[-MAX_RECORD:]
            yield base, junk
            base += len(junk)
    tail = buffer.lstrip(_JUNK)
    if tail.rstrip(_JUNK):
        yield base + len(buffer) - len(tail), tail


def _directory(chunk: bytes) -> tuple[int, list[tuple[str, int, int]]]:
    """Check leader and directory; (base address, [(tag, start, end)]) of each field."""
    size = len(chunk)
    if not chunk[:5].isdigit() and not chunk[12:17].isdigit():
        # Checked first: for a text file named .mrc, "too short" or "no record terminator"
        # would send staff looking for a damaged record rather than the wrong file.
        raise BadRecord(NOT_MARC)
    if size < LEADER_LEN + 2:
        raise BadRecord(N_("The record is too short to be MARC ({size} bytes)."), size=size)
    if chunk[-1] != RECORD_END[0]:
        raise BadRecord(N_("The record does not end with a record terminator (the file may be cut short)."))
    if not chunk[:5].isdigit():
        raise BadRecord(N_("The leader's record length is not a number ({value})."), value=read_leader(chunk)[:5])
    if not chunk[12:17].isdigit():
        raise BadRecord(N_("The leader's base address is not a number ({value})."), value=read_leader(chunk)[12:17])
    declared = int(chunk[:5])
    base = int(chunk[12:17])
    if base < LEADER_LEN + 1 or base > size or chunk[base - 1] != FIELD_END[0] or (base - 1 - LEADER_LEN) % 12:
        raise BadRecord(N_("The directory is damaged (the base address {base} does not end it)."), base=base)
    directory = chunk[LEADER_LEN : base - 1]
    if not _DIRECTORY.fullmatch(directory):
        for n in range(len(directory) // 12):
            entry = directory[n * 12 : n * 12 + 12]
            if not _DIRECTORY.fullmatch(entry):
                raise BadRecord(N_("Directory entry {n} is damaged ({entry})."), n=n + 1, entry=entry.decode("latin-1"))
    text = directory.decode("latin-1")
    entries: list[tuple[str, int, int]] = []
    last = size - 1  # the record terminator
    field_end = FIELD_END[0]
    for n in range(0, len(text), 12):
        start = base + int(text[n + 7 : n + 12])
        end = start + int(text[n + 3 : n + 7]) - 1  # the field terminator
        if end >= last or chunk[end] != field_end:
            if declared != size:
                raise BadRecord(
                    N_("The leader says {declared} bytes but the record has {actual}, and field {tag} is not where the directory says."),
                    declared=declared,
                    actual=size,
                    tag=text[n : n + 3],
                )
            raise BadRecord(N_("Field {tag} is not where the directory says."), tag=text[n : n + 3])
        entries.append((text[n : n + 3], start, end))
    if not entries:
        raise BadRecord(N_("The record has no fields."))
    return base, entries


def read_leader(chunk: bytes) -> str:
    """The leader as text; stray control or 8-bit bytes (seen in real files) become blanks."""
    return chunk[:LEADER_LEN].translate(_PRINTABLE).decode("ascii")


def parse_iso2709(
    chunk: bytes,
    *,
    flavour: str = "auto",
    encoding: str = "auto",
    tags: frozenset[str] | None = None,
    default_flavour: str = MARC21,
) -> MarcRecord:
    """One ISO 2709 record; only ``tags`` are decoded when given (the rest stay in raw)."""
    base, entries = _directory(chunk)
    leader = read_leader(chunk)
    if flavour == "auto":
        flavour = detect_flavour((t for t, _, _ in entries), default_flavour)
    if encoding == "auto":
        encoding = detect_encoding(chunk[base:], leader[9])
    decode = _decoder(encoding)
    # UTF-8 and GB18030 never use the delimiter bytes inside a character, so a whole field
    # decodes at once; MARC-8 escapes are undone subfield by subfield.
    whole = encoding != MARC8
    codec = "gb18030" if encoding == GB18030 else "utf-8"
    fields: list[Field] = []
    for tag, start, end in entries:
        if tags is not None and tag not in tags:
            continue
        data = chunk[start:end]
        try:
            if tag < "010" and tag.isdigit():
                fields.append(Field(tag, data=decode(data)))
                continue
            if whole:
                parts = data.decode(codec).split("\x1f")
                subfields = [(part[0], part[1:]) for part in parts[1:] if part]
                indicators = parts[0]
            else:
                raw_parts = data.split(SUBFIELD)
                subfields = [(part[:1].decode("latin-1"), decode(part[1:])) for part in raw_parts[1:] if part]
                indicators = raw_parts[0].decode("latin-1")
        except UnicodeDecodeError:
            raise BadRecord(
                N_("Field {tag} is not valid {encoding} text."), tag=tag, encoding=_ENCODING_NAMES[encoding]
            ) from None
        ind1, ind2 = (indicators + "  ")[:2]
        fields.append(Field(tag, ind1, ind2, subfields))
    return MarcRecord(leader, fields, flavour, encoding, chunk)


def read_iso2709(
    stream: BinaryIO,
    *,
    flavour: str = "auto",
    encoding: str = "auto",
    tags: frozenset[str] | None = None,
) -> Iterator[MarcRecord | Skipped]:
    seen = MARC21
    for position, (offset, chunk) in enumerate(iter_chunks(stream), start=1):
        try:
            record = parse_iso2709(chunk, flavour=flavour, encoding=encoding, tags=tags, default_flavour=seen)
        except BadRecord as exc:
            yield _skipped(position, offset, 0, exc)
            continue
        seen = record.flavour
        record.position, record.offset = position, offset
        yield record


# -- MARCXML ----------------------------------------------------------------------------------

# Start and end tags of any element named "record", with or without a namespace prefix:
# MARCXML collections, SRU envelopes (whose own <record> wraps <recordData><record>), Koha.
_RECORD_TAG = re.compile(r"<(/?)(?:[\w.-]+:)?record(?=[\s/>])([^>]*)>")
_PREFIXED = re.compile(r"<(/?)[\w.-]+:")
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([\w.-]+)[\"']")
_UNIMARC_NS = ("unimarc", "nlc.cn", "rusmarc", "rba.ru")
_LONE_SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass
class _Open:
    start: int  # offset in the text buffer; -1 once trimmed away
    line: int
    attrs: str
    nested: bool = False


class _Lines:
    """Line numbers of offsets in a sliding text buffer, counted once, left to right."""

    def __init__(self) -> None:
        self.pos = 0  # buffer offset counted up to
        self.line = 1  # line number at self.pos

    def at(self, text: str, offset: int) -> int:
        if offset > self.pos:
            self.line += text.count("\n", self.pos, offset)
            self.pos = offset
        return self.line

    def trimmed(self, text: str, keep: int) -> None:
        self.at(text, keep)
        self.pos -= keep


def read_marcxml(stream: BinaryIO, *, flavour: str = "auto") -> Iterator[MarcRecord | Skipped]:
    """Each MARC record element of a MARCXML file or SRU response, parsed on its own.

    A whole-document parser stops at the first bad character; cutting the text into
    record elements first lets the records after a broken one still be read.
    """
    head = stream.read(4096)
    match = _XML_DECL.match(head.lstrip(codecs.BOM_UTF8))
    charset = (match.group(1).decode("ascii") if match else "utf-8").lower()
    if charset in ("utf-8", "utf8"):
        charset = "utf-8-sig"
    try:
        decoder = codecs.getincrementaldecoder(charset)(errors="surrogateescape")
    except LookupError:
        decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="surrogateescape")
    text = decoder.decode(head)
    lines = _Lines()
    scan = 0
    stack: list[_Open] = []
    position = 0
    seen = MARC21
    eof = False
    while True:
        for m in _RECORD_TAG.finditer(text, scan):
            scan = m.end()
            closing, attrs = m.group(1), m.group(2)
            if not closing:
                if stack:
                    stack[-1].nested = True
                opened = _Open(m.start(), lines.at(text, m.start()), attrs)
                if attrs.rstrip().endswith("/"):  # <record/>
                    position += 1
                    yield Skipped(position, 0, opened.line, N_("The record is empty."))
                    continue
                stack.append(opened)
                continue
            if not stack:
                continue
            current = stack.pop()
            if current.nested or current.start < 0:
                continue
            position += 1
            try:
                record = _parse_xml_record(text[current.start : m.end()], current.attrs, flavour, seen)
            except BadRecord as exc:
                yield Skipped(position, 0, current.line, exc.msgid, tuple(exc.params.items()))
                continue
            seen = record.flavour
            record.position, record.line = position, current.line
            yield record
        if eof:
            break
        block = stream.read(BLOCK)
        eof = not block
        text += decoder.decode(block, final=eof)
        # Keep only what the innermost open record still needs. A tag cut in two by the
        # block boundary lies after ``scan`` and is found when scanning resumes.
        keep = stack[-1].start if stack and stack[-1].start >= 0 else scan
        if keep > 0:
            lines.trimmed(text, keep)
            text = text[keep:]
            scan -= keep
            for entry in stack:
                entry.start = entry.start - keep if entry.start >= keep else -1
    for entry in stack:
        if entry.start >= 0 and not entry.nested:
            position += 1
            yield Skipped(position, 0, entry.line, N_("The file ends inside this record."))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_xml_record(element: str, attrs: str, flavour: str, default_flavour: str) -> MarcRecord:
    if _LONE_SURROGATE.search(element):
        raise BadRecord(N_("The record has bytes that are not valid in the file's character set."))
    # Namespace prefixes and attributes of the record tag may be declared on an ancestor
    # we cut away: parse the element without them.
    body = _PREFIXED.sub(r"<\1", element)
    body = "<record>" + body[body.index(">") + 1 :]
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise BadRecord(N_("The XML of this record is not well-formed ({detail})."), detail=str(exc)) from None
    leader = ""
    fields: list[Field] = []
    for child in root:
        name = _local(child.tag) if isinstance(child.tag, str) else ""
        if name == "leader":
            # Some systems (dp2, Aleph) write blanks in the leader as '-'.
            leader = (child.text or "").replace("-", " ")
        elif name in ("controlfield", "datafield"):
            tag = _xml_tag(child.get("tag"))
            if name == "controlfield":
                fields.append(Field(tag, data=(child.text or "")))
                continue
            subfields = []
            for sub in child:
                if not isinstance(sub.tag, str) or _local(sub.tag) != "subfield":
                    continue
                code = sub.get("code") or ""
                if len(code) != 1:
                    raise BadRecord(N_("Field {tag} has a subfield without a proper code."), tag=tag)
                subfields.append((code, sub.text or ""))
            ind1 = (child.get("ind1") or " ")[:1] or " "
            ind2 = (child.get("ind2") or " ")[:1] or " "
            fields.append(Field(tag, ind1, ind2, subfields))
    if not fields:
        raise BadRecord(N_("The record is empty."))
    if flavour == "auto":
        if any(ns in attrs.lower() for ns in _UNIMARC_NS):
            flavour = UNIMARC
        else:
            flavour = detect_flavour((f.tag for f in fields), default_flavour)
    leader = (leader + " " * LEADER_LEN)[:LEADER_LEN] if leader else default_leader(flavour)
    record = MarcRecord(leader, fields, flavour, UTF8)
    record.raw = to_iso2709(record)
    return record


def _xml_tag(tag: str | None) -> str:
    tag = (tag or "").strip()
    if tag.isdigit() and len(tag) < 3:
        return tag.zfill(3)
    if len(tag) != 3 or not tag.isalnum():
        raise BadRecord(N_("A field has a tag that is not three letters or digits ({tag})."), tag=tag)
    return tag


# -- reading a file ---------------------------------------------------------------------------


def sniff_xml(head: bytes) -> bool:
    return head.lstrip(codecs.BOM_UTF8 + b" \t\r\n").startswith(b"<")


def check_options(flavour: str, encoding: str) -> None:
    if flavour not in FORMATS:
        raise ValidationError("Unknown MARC format {format}; use auto, marc21 or unimarc.", format=flavour)
    if encoding not in ENCODINGS:
        raise ValidationError("Unknown encoding {encoding}; use auto, utf-8, marc8 or gb18030.", encoding=encoding)


def read_marc(
    source: BinaryIO | str | Path,
    *,
    flavour: str = "auto",
    encoding: str = "auto",
    tags: frozenset[str] | None = None,
) -> Iterator[MarcRecord | Skipped]:
    """Every record of an ISO 2709 or MARCXML file, in order: a MarcRecord or a Skipped.

    ``encoding`` applies to ISO 2709 (an XML file declares its own).
    """
    check_options(flavour, encoding)
    if isinstance(source, (str, Path)):
        with open(source, "rb") as stream:
            yield from read_marc(stream, flavour=flavour, encoding=encoding, tags=tags)
        return
    stream = source if isinstance(source, io.BufferedReader) else io.BufferedReader(source)  # type: ignore[arg-type]
    if sniff_xml(stream.peek(64)[:64]):
        yield from read_marcxml(stream, flavour=flavour)
    else:
        yield from read_iso2709(stream, flavour=flavour, encoding=encoding, tags=tags)


def parse_stored(raw: bytes, flavour: str = "auto") -> MarcRecord:
    """A record kept in Bib.marc, fully decoded (for the record viewer and export)."""
    return parse_iso2709(raw, flavour=flavour or "auto")


# -- field maps -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Holding:
    """A copy described in the record's holdings fields."""

    barcode: str
    call_number: str = ""
    places: tuple[str, ...] = ()  # values that may name one of our location codes
    price_cents: int = 0


@dataclass(slots=True)
class BibFields:
    control_number: str
    title: str
    author: str = ""
    publisher: str = ""
    year: str = ""
    isbn: str = ""
    clc_class: str = ""
    call_number: str = ""
    price_cents: int = 0
    holdings: list[Holding] = field(default_factory=list)

    def columns(self) -> dict[str, object]:
        return {
            "control_number": self.control_number,
            "title": self.title,
            "author": self.author,
            "publisher": self.publisher,
            "year": self.year,
            "isbn": self.isbn,
            "clc_class": self.clc_class,
            "call_number": self.call_number,
            "price_cents": self.price_cents,
        }


# holdings tag -> (barcode, call number parts, whole call number, places (narrowest first), price)
_HOLDINGS: dict[str, tuple[str, tuple[str, ...], str, tuple[str, ...], str]] = {
    "852": ("p", ("h", "i"), "", ("b", "c", "a"), "9"),  # MARC21/UNIMARC location: $a library, $b place
    "905": ("b", ("d", "e"), "s", ("c", "a"), "9"),  # CNMARC/CALIS 馆藏: $a library, $c place, $s 索书号
    "949": ("i", ("a",), "", ("l", "m"), "p"),  # local items (SirsiDynix style)
    "952": ("p", ("o",), "", ("c", "a", "b"), "g"),  # Koha MARC21 items
    "995": ("f", ("k",), "", ("e", "b", "c"), "p"),  # Koha UNIMARC items
}
MAPPED_TAGS = frozenset(
    {"001", "008", "010", "020", "050", "084", "090", "099", "100", "110", "111", "200", "210", "214", "245"}
    | {"260", "264", "365", "686", "690", "700", "701", "702", "710", "711", "712", "880"}
    | set(_HOLDINGS)
)
_TRAILING = " \t/:;,=."
_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")
_PRICE = re.compile(r"(?i)^\s*(CNY|RMB|¥|￥|元)?\s*\D{0,3}?(\d+(?:,\d{3})*(?:\.\d{1,2})?)\s*(元|圆)?")
_FOREIGN = re.compile(r"(?i)^\s*(\$|US\$|USD|EUR|€|£|GBP|JPY|HK\$|NT\$|TWD)")


def clean(value: str) -> str:
    """Subfield text as people read it: no non-sorting marks, no ISBD punctuation at the end."""
    if _UNTIDY.search(value):  # rare: one search finds out, for a tenth of the cost of tidying
        value = " ".join(_NON_SORT_MARK.sub("", value).split())
    return value.rstrip(_TRAILING).strip()


def parse_price(text: str) -> int:
    """'CNY68.00', 'CNY赠90.00', '¥25', '25.00元', '4.30' → fen; other currencies → 0."""
    if not text or _FOREIGN.match(text):
        return 0
    match = _PRICE.match(text)
    if not match:
        return 0
    yuan, _point, fen = match.group(2).replace(",", "").partition(".")  # at most two decimals
    return int(yuan) * 100 + int(fen.ljust(2, "0"))


def _vernacular(record: MarcRecord, f: Field) -> Field:
    """A MARC21 field's 880 twin in the original script (CJK titles of OCLC records)."""
    link = f.get("6")
    if not link.startswith("880-"):
        return f
    occurrence = link[4:6]
    for other in record.get_fields("880"):
        if other.get("6").startswith(f"{f.tag}-{occurrence}"):
            return other
    return f


def _join(f: Field, codes: str, sep: str = " ") -> str:
    """The subfields' text in order, ISBD punctuation between them kept, the end cleaned."""
    return clean(sep.join(v for c, v in f.subfields if c in codes and v.strip()))


def _call_number(class_part: str, item_part: str, clc: str) -> str:
    """Class part and book number: 'I247.5/12' for CLC (索书号), 'NK1071 .A87' otherwise."""
    class_part, item_part = class_part.strip(), item_part.strip()
    if not item_part:
        return class_part
    if not class_part:
        return item_part
    is_clc = bool(clc) and class_part[:1] == clc[:1]
    return f"{class_part}/{item_part}" if is_clc else f"{class_part} {item_part}"


def _isbn_in(fields: list[Field]) -> str:
    """The first valid ISBN in the fields' $a (020 or 010), '' when none is valid."""
    for f in fields:
        for code, value in f.subfields:
            if code == "a":
                found = normalize_isbn(value) or find_isbn(value)
                if found:
                    return found
    return ""


def _price_in(fields: list[Field], price_code: str) -> int:
    for f in fields:
        for code, value in f.subfields:
            if code == price_code:
                cents = parse_price(value)
                if cents:
                    return cents
    return 0


def map_record(record: MarcRecord) -> BibFields:
    """The catalogue's columns and the copies, from either flavour."""
    mapped = _map_unimarc(record) if record.flavour == UNIMARC else _map_marc21(record)
    mapped.holdings = _holdings(record, mapped)
    return mapped


def _map_marc21(record: MarcRecord) -> BibFields:
    title = ""
    f245 = record.first("245")
    if f245 is not None:
        title = _join(_vernacular(record, f245), "abnp")
    names: list[str] = []
    for f in record.get_fields("100", "110", "111", "700", "710", "711"):
        name = _join(_vernacular(record, f), "ab" if f.tag[1] == "1" else "a")
        if name and name not in names:
            names.append(name)
    if not names and f245 is not None:
        names = [clean(_vernacular(record, f245).get("c"))]
    publisher, year = "", ""
    for f in record.get_fields("260", "264"):
        if f.tag == "264" and f.ind2 not in ("1", " "):
            continue
        v = _vernacular(record, f)
        publisher = publisher or clean(v.get("b"))
        year = year or _year(f.get("c"))
    if not year:
        fixed = record.control("008")
        year = fixed[7:11] if fixed[7:11].isdigit() else ""
    isbn = _isbn_in(record.get_fields("020"))
    price = _price_in(record.get_fields("020"), "c") or _price_in(record.get_fields("365"), "b")
    clc = ""
    for f in record.get_fields("084"):
        if f.get("2").strip().lower().startswith("clc"):
            clc = clean(f.get("a")).replace(" ", "")
            if clc:
                break
    call = ""
    for f in record.get_fields("090", "099"):
        call = call or _call_number(clean(f.get("a")), clean(f.get("b")), clc)
    if not call:
        for f in record.get_fields("852"):
            call = call or _call_number(clean(f.get("h")), clean(f.get("i")), clc)
    if not call:
        for f in record.get_fields("050"):
            call = call or _join(f, "ab")
    return BibFields(
        control_number=record.control("001").strip(),
        title=title,
        author="; ".join(n for n in names[:3] if n),
        publisher=publisher,
        year=year,
        isbn=isbn,
        clc_class=clc,
        call_number=call,
        price_cents=price,
    )


def _map_unimarc(record: MarcRecord) -> BibFields:
    title = ""
    f200 = record.first("200")
    if f200 is not None:
        title = " : ".join(x for x in (_join(f200, "a", " ; "), _join(f200, "e")) if x)
        part = _join(f200, "hi", ". ")
        title = f"{title}. {part}" if part and title else title or part
    names: list[str] = []
    for tags in (("700", "701"), ("710", "711"), ("702", "712")):
        for f in record.get_fields(*tags):
            name = clean(f.get("a"))
            rest = clean(f.get("b")).lstrip(" ,")
            name = f"{name}, {rest}" if name and rest and not _HAN.search(name) else name
            if name and name not in names:
                names.append(name)
        if names:
            break
    if not names and f200 is not None:
        names = [clean(f200.get("f"))]
    publisher, year = "", ""
    for f in record.get_fields("210", "214"):
        publisher = publisher or clean(f.get("c"))
        year = year or _year(f.get("d"))
    if not year:
        coded = (record.first("100") or Field("100")).get("a")
        year = coded[9:13] if coded[9:13].isdigit() else ""
    isbn = _isbn_in(record.get_fields("010"))
    price = _price_in(record.get_fields("010"), "d")
    clc = ""
    for f in record.get_fields("690"):
        clc = clean(f.get("a")).replace(" ", "")
        if clc:
            break
    if not clc:
        for f in record.get_fields("686"):
            if f.get("2").lower().startswith("clc"):
                clc = clean(f.get("a")).replace(" ", "")
                break
    # 090 is the record's own call number (dp2 adds the whole of it in $u); 905 the copies'.
    call = ""
    for f in record.get_fields("090"):
        if f.get("a").strip().isdigit():
            continue  # Koha keeps its record number in 090, not a call number
        call = clean(f.get("u")) or _call_number(clean(f.get("a")), clean(f.get("b")), clc or f.get("a"))
        if call:
            break
    if not call:
        for f in record.get_fields("905"):
            call = clean(f.get("s")) or _call_number(clean(f.get("d")), clean(f.get("e")), clc or f.get("d"))
            if call:
                break
    if not call:
        for f in record.get_fields("995"):
            call = clean(f.get("k"))
            if call:
                break
    return BibFields(
        control_number=record.control("001").strip(),
        title=title,
        author="; ".join(n for n in names[:3] if n),
        publisher=publisher,
        year=year,
        isbn=isbn,
        clc_class=clc,
        call_number=call,
        price_cents=price,
    )


def _year(text: str) -> str:
    match = _YEAR.search(text or "")
    return match.group(1) if match else ""


def _holdings(record: MarcRecord, bib: BibFields) -> list[Holding]:
    found: list[Holding] = []
    seen: set[str] = set()
    for f in record.fields:
        spec = _HOLDINGS.get(f.tag)
        if spec is None:
            continue
        barcode_code, call_codes, whole_code, place_codes, price_code = spec
        barcode = f.get(barcode_code).strip()
        if not barcode or barcode in seen:
            continue
        seen.add(barcode)
        call = clean(f.get(whole_code)) if whole_code else ""
        if not call and call_codes:
            parts = [clean(f.get(c)) for c in call_codes]
            if f.tag == "905":
                call = "/".join(p for p in parts if p)
            else:
                call = _call_number(parts[0], parts[1] if len(parts) > 1 else "", bib.clc_class)
        found.append(
            Holding(
                barcode=barcode,
                call_number=call or bib.call_number,
                places=tuple(v.strip() for c in place_codes for v in f.all(c) if v.strip()),
                price_cents=parse_price(f.get(price_code)) or bib.price_cents,
            )
        )
    return found


def record_kind_problem(record: MarcRecord) -> BadRecord | None:
    """Why a readable record is still not a book for the catalogue, or None."""
    kind = record.leader[6:7]
    if kind == "z" or (record.flavour == UNIMARC and kind in ("x", "y")):
        return BadRecord(N_("This is an authority record, not a bibliographic record."))
    if record.flavour == MARC21 and kind in ("u", "v", "x", "y"):
        return BadRecord(N_("This is a holdings record, not a bibliographic record."))
    return None


# -- writing ----------------------------------------------------------------------------------


def default_leader(flavour: str) -> str:
    # MARC21: new, language material, monograph, UTF-8. UNIMARC: leader/09 undefined,
    # the character set is declared in 100$a/26-29 instead.
    return "00000nam a2200000 i 4500" if flavour == MARC21 else "00000nam0 2200000   450 "


def to_iso2709(record: MarcRecord, charset: str = "utf-8") -> bytes:
    """The record in ISO 2709: UTF-8 (MARC21 leader/09 'a'), or GB18030 as Chinese
    exchange files are (leader/09 blank)."""
    directory = bytearray()
    data = bytearray()
    for f in record.fields:
        if f.data is not None:
            body = f.data.encode(charset) + FIELD_END
        else:
            body = (
                (f.ind1 + f.ind2).encode(charset)
                + b"".join(SUBFIELD + code.encode(charset) + value.encode(charset) for code, value in f.subfields)
                + FIELD_END
            )
        if len(body) > 9999:
            raise BadRecord(N_("Field {tag} is too long for ISO 2709 ({size} bytes)."), tag=f.tag, size=len(body))
        directory += f"{f.tag:>3.3}{len(body):04d}{len(data):05d}".encode("ascii")
        data += body
    base = LEADER_LEN + len(directory) + 1
    total = base + len(data) + 1
    if total > 99999:
        raise BadRecord(N_("The record is too long for ISO 2709 ({size} bytes)."), size=total)
    leader = (record.leader + " " * LEADER_LEN)[:LEADER_LEN]
    if record.flavour == MARC21:
        leader = leader[:9] + ("a" if charset == "utf-8" else " ") + leader[10:]
    leader = f"{total:05d}{leader[5:10]}22{base:05d}{leader[17:20]}45{leader[22:]}"
    return leader.encode("ascii") + bytes(directory) + FIELD_END + bytes(data) + RECORD_END


@dataclass(frozen=True, slots=True)
class CopyOut:
    """A copy as the export writes it into the holdings field."""

    barcode: str
    call_number: str
    location: str
    price_cents: int


def _split_call(call: str) -> tuple[str, str]:
    class_part, _, book = call.partition("/")
    return class_part.strip(), book.strip()


def _yuan(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def build_record(
    bib: BibFields,
    flavour: str,
    *,
    library_code: str,
    stamp: str,
    copies: Iterable[CopyOut] = (),
) -> MarcRecord:
    """A MARC21 or UNIMARC record for a catalogue row; ``stamp`` is YYYYMMDDhhmmss."""
    chinese = bool(re.search(r"[\u4e00-\u9fff]", bib.title))
    language = "chi" if chinese else "und"
    fields: list[Field] = [Field("001", data=bib.control_number), Field("005", data=f"{stamp}.0")]
    isbn = hyphenate(bib.isbn) if bib.isbn else ""
    authors = [a.strip() for a in bib.author.split(";") if a.strip()]
    class_part, book_number = _split_call(bib.call_number)
    if flavour == MARC21:
        year = bib.year if len(bib.year) == 4 and bib.year.isdigit() else "uuuu"
        fields.append(Field("008", data=f"{stamp[2:8]}s{year}    {'cc ' if chinese else 'xx '}{' ' * 17}{language} d"))
        if isbn or bib.price_cents:
            subs = ([("a", isbn)] if isbn else []) + ([("c", f"CNY{_yuan(bib.price_cents)}")] if bib.price_cents else [])
            fields.append(Field("020", " ", " ", subs))
        if bib.clc_class:
            fields.append(Field("084", " ", " ", [("a", bib.clc_class), ("2", "clc")]))
        if bib.call_number:
            fields.append(Field("090", " ", " ", [("a", bib.call_number)]))
        if authors:
            fields.append(Field("100", "1", " ", [("a", authors[0])]))
        title_subs = [("a", bib.title)] + ([("c", bib.author)] if bib.author else [])
        fields.append(Field("245", "1" if authors else "0", "0", title_subs))
        published = [(c, v) for c, v in (("b", bib.publisher), ("c", bib.year)) if v]
        if published:
            fields.append(Field("264", " ", "1", published))
        fields += [Field("700", "1", " ", [("a", a)]) for a in authors[1:]]
    else:
        year = bib.year if len(bib.year) == 4 and bib.year.isdigit() else "    "
        coded = f"{stamp[:8]}d{year}    km y0{language}y50      {'ea' if chinese else 'ba'}"
        if isbn or bib.price_cents:
            subs = ([("a", isbn)] if isbn else []) + ([("d", f"CNY{_yuan(bib.price_cents)}")] if bib.price_cents else [])
            fields.append(Field("010", " ", " ", subs))
        if bib.call_number:
            fields.append(Field("090", " ", " ", [("a", class_part)] + ([("b", book_number)] if book_number else [])))
        fields.append(Field("100", " ", " ", [("a", coded)]))
        fields.append(Field("101", "0", " ", [("a", language)]))
        fields.append(Field("200", "1", " ", [("a", bib.title)] + ([("f", bib.author)] if bib.author else [])))
        published = [(c, v) for c, v in (("c", bib.publisher), ("d", bib.year)) if v]
        if published:
            fields.append(Field("210", " ", " ", published))
        if bib.clc_class:
            fields.append(Field("690", " ", " ", [("a", bib.clc_class)]))
        fields += [Field("701" if n else "700", " ", "0", [("a", a)]) for n, a in enumerate(authors)]
        fields.append(Field("801", " ", "0", [("a", "CN"), ("b", library_code), ("c", stamp[:8])]))
    fields += holdings_fields(flavour, copies, library_code=library_code, bib_price_cents=bib.price_cents)
    record = MarcRecord(default_leader(flavour), fields, flavour, UTF8)
    record.raw = to_iso2709(record)
    return record


HOLDINGS_TAGS = frozenset(_HOLDINGS)


def holdings_fields(
    flavour: str, copies: Iterable[CopyOut], *, library_code: str, bib_price_cents: int = 0
) -> list[Field]:
    """Our copies as MARC21 852 or CNMARC 905 fields (the maps above read them back)."""
    fields = []
    for copy in copies:
        price = [("9", _yuan(copy.price_cents))] if copy.price_cents and copy.price_cents != bib_price_cents else []
        if flavour == MARC21:
            subs = [("a", library_code), ("b", copy.location)]
            subs += [("h", copy.call_number)] if copy.call_number else []
            fields.append(Field("852", " ", " ", subs + [("p", copy.barcode)] + price))
        else:
            copy_class, copy_book = _split_call(copy.call_number)
            subs = [("a", library_code), ("b", copy.barcode), ("c", copy.location)]
            subs += [("d", copy_class)] if copy_class else []
            subs += [("e", copy_book)] if copy_book else []
            subs += [("s", copy.call_number)] if copy.call_number else []
            fields.append(Field("905", " ", " ", subs + price))
    return fields


def with_copies(record: MarcRecord, copies: Iterable[CopyOut], *, library_code: str, bib_price_cents: int) -> MarcRecord:
    """A received record re-issued in UTF-8, its holdings fields replaced by our copies."""
    fields = [f for f in record.fields if f.tag not in HOLDINGS_TAGS]
    fields += holdings_fields(record.flavour, copies, library_code=library_code, bib_price_cents=bib_price_cents)
    rebuilt = MarcRecord(record.leader, fields, record.flavour, UTF8)
    rebuilt.raw = to_iso2709(rebuilt)
    return rebuilt


def dump(records: Iterable[MarcRecord]) -> Iterator[str]:
    """Lines of MARC fields for people: the leader, then each field."""
    for record in records:
        yield f"LDR    {record.leader}"
        for f in record.fields:
            yield f.text()
