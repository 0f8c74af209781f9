"""Reading and writing MARC: both flavours, every character set, broken files (no database)."""

from __future__ import annotations

import io
from pathlib import Path

import pymarc
import pytest

from countylib import marc
from countylib.marc import (
    GB18030,
    MARC8,
    MARC21,
    UNIMARC,
    UTF8,
    BibFields,
    CopyOut,
    MarcRecord,
    Skipped,
    build_record,
    detect_encoding,
    map_record,
    parse_iso2709,
    read_marc,
    to_iso2709,
)
from tests.conftest import fixtures_dir


def fixture(name: str) -> Path:
    path = fixtures_dir() / "marc" / name
    if not path.exists():
        pytest.skip(f"{path} is not among the shared fixtures")
    return path


def records(name: str, **kwargs) -> list[MarcRecord]:
    return [r for r in read_marc(fixture(name), **kwargs) if isinstance(r, MarcRecord)]


def skipped(name: str) -> list[Skipped]:
    return [r for r in read_marc(fixture(name)) if isinstance(r, Skipped)]


# -- field maps against real records --------------------------------------------------------


def test_cnmarc_xml_in_an_sru_envelope_maps_200_010_210_690_701_and_090():
    found = records("dp2/sample_cnmarcxml.xml")
    assert len(found) == 10
    first = found[0]
    assert (first.flavour, first.encoding) == (UNIMARC, UTF8)
    assert first.leader == "01576nam0 2200409   4500"  # dp2 writes leader blanks as '-'
    m = map_record(first)
    assert m.control_number == "990002180740203961"
    assert m.title == "'94中国发展报告"
    assert m.author == "叶震; 李强"
    assert m.publisher == "中国统计出版社"
    assert m.year == "1994"
    assert m.isbn == "9787503717444"  # 010$a 7-5037-1744-0, kept as ISBN-13
    assert m.clc_class == "F124"
    assert m.call_number == "F124/26"
    assert m.price_cents == 6800  # 010$d CNY68.00
    gift = map_record(found[4])
    assert gift.price_cents == 9000  # 'CNY赠90.00': a gift still carries its price
    subtitle = map_record(found[2])
    assert subtitle.title == "'96 中国发展报告 : 中国的“八五”"  # 200$a : 200$e


def test_unimarc_xml_of_the_same_records_maps_the_same():
    cnmarc = [map_record(r).columns() for r in records("dp2/sample_cnmarcxml.xml")]
    unimarc = [map_record(r) for r in records("dp2/sample_unimarcxml.xml")]
    assert all(r for r in unimarc)
    assert [m.columns() for m in unimarc] == cnmarc


def test_marc21_xml_with_chinese_titles():
    found = records("dp2/sample_marcxml.xml")
    assert [r.flavour for r in found] == [MARC21] * 10
    m = map_record(found[1])
    assert m.title == "'08中国改革跟踪报告"
    assert m.publisher == "高等教育出版社"
    assert m.year == "2008"
    assert m.isbn == "9787040247657"
    assert m.price_cents == 2900  # 020$c CNY29.00
    assert m.author == "国家发展和改革委员会经济体制与管理研究所课题组编"  # no 1XX/7XX: 245$c


def test_pymarc_unimarc_record_with_non_sorting_marks():
    (record,) = records("pymarc/testunimarc.dat")
    assert record.flavour == UNIMARC
    m = map_record(record)
    assert m.title == "L'altra faccia della spirale"
    assert m.author == "Asimov, Isaac"
    assert (m.publisher, m.year, m.isbn) == ("A. Mondadori", "1996", "9788804406822")


def test_marc8_east_asian_characters_come_from_the_880_twin():
    found = records("xbib-marc/IRMARC8.bin")
    assert len(found) == 10
    chinese = map_record(found[2])
    assert found[2].encoding == MARC8
    assert chinese.title == "福禄寿喜大观"
    assert chinese.publisher == "文物出版社"
    assert chinese.isbn == "9787501018437"
    assert map_record(found[0]).title.startswith("アーツ・アンド・クラフツと日本")
    assert map_record(found[9]).title.startswith("Еврейская поэзия")  # MARC-8 Cyrillic 880


def test_marc8_cjk_record_from_marc_perl():
    (record,) = records("marc-perl/charset_cjk1.marc")
    assert record.encoding == MARC8
    assert map_record(record).title == "金田一 京助 と アイヌ語"


def test_lying_leaders_are_not_believed():
    # Evergreen's FSL.marc: leader/09 blank, body UTF-8 (a MARC-8 reading would garble it).
    fsl = records("evergreen/FSL.marc")
    assert len(fsl) == 52 and {r.encoding for r in fsl} == {UTF8}
    assert map_record(fsl[0]).title == "Люди с чистой совестью : [Воспоминания]"
    # ruby-marc: leader/09 'a' over MARC-8 accented letters.
    (accented,) = records("ruby-marc/marc8_accented_chars.marc")
    assert accented.encoding == MARC8
    assert map_record(accented).title == 'Histoire du "nouveau théâtre."'
    (blank,) = records("pymarc/utf8_without_leader_flag.dat")
    assert blank.encoding == UTF8


def test_koha_unimarc_items_in_995_become_holdings():
    (record,) = records("xbib-marc/rusmarc.xml")
    assert record.leader == marc.default_leader(UNIMARC)  # the file has no leader
    m = map_record(record)
    assert m.title == "Сучасна соціальна філософія"
    assert m.call_number == "1/А66"  # Koha's 090 holds its record number, not a call number
    assert len(m.holdings) == 198
    first = m.holdings[0]
    assert (first.barcode, first.call_number, first.price_cents) == ("206033", "1/А66", 430)
    assert "STL" in first.places


def test_holdings_fields_of_marc21_become_copies():
    found = records("xbib-marc/IRMARC8.bin")
    m = map_record(found[7])
    assert [(h.barcode, h.call_number) for h in m.holdings] == [("31407002756237", "DS135.H93 A14513 2007")]


# -- broken files --------------------------------------------------------------------------------


def test_bad_utf8_bytes_skip_the_record_with_the_field_named():
    (bad,) = skipped("ruby-marc/utf8_with_bad_bytes.marc")
    assert (bad.position, bad.offset) == (1, 0)
    assert bad.reason == "Field 245 is not valid UTF-8 text."
    assert bad.where == "record 1 (byte 0)"


def test_a_record_without_terminator_is_reported():
    (bad,) = skipped("xbib-marc/SWB1.marc21")
    assert "record terminator" in bad.reason


def test_a_length_mismatch_with_a_broken_directory_is_reported():
    (bad,) = skipped("xbib-marc/error.mrc")
    assert bad.reason == (
        "The leader says 714 bytes but the record has 715, and field 250 is not where the directory says."
    )


def test_marcxml_with_a_bad_second_record_keeps_the_first_and_third():
    found = list(read_marc(fixture("ruby-marc/three-records-second-bad.xml")))
    assert [type(r).__name__ for r in found] == ["MarcRecord", "Skipped", "MarcRecord"]
    assert found[1].position == 2 and found[1].line == 55
    assert "not well-formed" in found[1].reason
    assert map_record(found[2]).title == "The Texas ranger"


def test_many_errors_file_reads_the_good_records_in_order():
    found = list(read_marc(fixture("marc4j/pride-and-prejudice-with-many-errors.mrc")))
    assert len(found) == 383
    assert [r.position for r in found] == list(range(1, 384))
    bad = [r for r in found if isinstance(r, Skipped)]
    assert 0 < len(bad) < 30
    assert all(b.offset > 0 and b.reason for b in bad)


def test_junk_between_records_and_a_truncated_tail():
    assert len(records("marc-perl/record_cameleof.usmarc")) == 10  # Ctrl-Z between records
    found = list(read_marc(fixture("marc4j/008008027.mrc")))  # cut at 64 KiB
    assert isinstance(found[-1], Skipped) and "terminator" in found[-1].reason
    assert all(isinstance(r, MarcRecord) for r in found[:-1])


def test_authority_records_read_but_are_marked():
    found = records("evergreen/auth-subset100.mrc")
    assert found and all(marc.record_kind_problem(r) is not None for r in found)


# -- generated records: writing, both flavours, every character set ---------------------------


BOOK = BibFields(
    control_number="HX01-000123",
    title="红楼梦",
    author="曹雪芹; 高鹗",
    publisher="人民文学出版社",
    year="1996",
    isbn="9787020002207",
    clc_class="I242.4",
    call_number="I242.4/12",
    price_cents=5940,
)
COPIES = [CopyOut("HX0100000001", "I242.4/12", "HX01", 5940), CopyOut("HX0100000002", "I242.4/12:2", "HX01-RP1", 3000)]


@pytest.mark.parametrize("flavour", [MARC21, UNIMARC])
def test_written_records_read_back_to_the_same_columns_and_copies(flavour):
    record = build_record(BOOK, flavour, library_code="HX01", stamp="20261121100000", copies=COPIES)
    back = parse_iso2709(record.raw)
    assert back.flavour == flavour and back.encoding == UTF8
    m = map_record(back)
    assert m.columns() == BOOK.columns()
    assert [(h.barcode, h.call_number, h.price_cents) for h in m.holdings] == [
        ("HX0100000001", "I242.4/12", 5940),
        ("HX0100000002", "I242.4/12:2", 3000),
    ]
    assert "HX01-RP1" in m.holdings[1].places
    # pymarc reads what we write.
    (theirs,) = list(pymarc.MARCReader(record.raw, to_unicode=True, force_utf8=True))
    assert theirs is not None and theirs["001"].data == "HX01-000123"


def test_marc21_leader_says_utf8_and_unimarc_declares_it_in_100():
    m21 = build_record(BOOK, MARC21, library_code="HX01", stamp="20261121100000")
    uni = build_record(BOOK, UNIMARC, library_code="HX01", stamp="20261121100000")
    assert m21.raw[9:10] == b"a"
    coded = parse_iso2709(uni.raw).first("100").get("a")
    assert len(coded) == 36 and coded[26:28] == "50" and coded[9:13] == "1996"


@pytest.mark.parametrize("flavour", [MARC21, UNIMARC])
def test_gb18030_records_with_a_blank_leader_are_detected(flavour):
    record = build_record(BOOK, flavour, library_code="HX01", stamp="20261121100000", copies=COPIES)
    raw = to_iso2709(record, charset="gb18030")
    assert raw[9:10] == b" "
    back = parse_iso2709(raw)
    assert back.encoding == GB18030
    assert map_record(back).columns() == BOOK.columns()
    forced = parse_iso2709(raw, encoding=GB18030)
    assert map_record(forced).title == "红楼梦"


def test_detect_encoding_on_plain_bytes():
    assert detect_encoding("红楼梦".encode(), " ") == UTF8
    assert detect_encoding("红楼梦 曹雪芹 人民文学出版社".encode("gb18030"), " ") == GB18030
    assert detect_encoding(b"Th\xe2eatre \xe1ecole", "a") == MARC8  # ANSEL acute/grave
    assert detect_encoding(b"\x1b$1!!!\x1b(B", " ") == MARC8
    assert detect_encoding("Zoë Čapek Łódź".encode() + b"\xc3(", "a") == UTF8  # mostly UTF-8: broken, not guessed


def test_forced_encoding_that_does_not_fit_skips_the_record():
    raw = build_record(BOOK, UNIMARC, library_code="HX01", stamp="20261121100000").raw
    (bad,) = list(read_marc(io.BytesIO(to_iso2709(parse_iso2709(raw), charset="gb18030")), encoding="utf-8"))
    assert isinstance(bad, Skipped) and "not valid UTF-8" in bad.reason


def test_forced_format_overrides_detection():
    raw = build_record(BOOK, UNIMARC, library_code="HX01", stamp="20261121100000").raw
    (record,) = list(read_marc(io.BytesIO(raw), flavour=MARC21))
    assert record.flavour == MARC21 and map_record(record).title == ""  # no 245: not a MARC21 book


def test_streaming_across_tiny_blocks_gives_the_same_records(monkeypatch):
    iso = b"".join(
        build_record(BibFields(f"N{n}", f"书名{n}", isbn=""), UNIMARC, library_code="HX01", stamp="20261121100000").raw
        + (b"\n" if n % 3 == 0 else b"")
        for n in range(25)
    )
    xml = fixture("marc-perl/xml_batch-ns.xml").read_bytes()
    expected_iso = [map_record(r).title for r in read_marc(io.BytesIO(iso))]
    expected_xml = [map_record(r).title for r in read_marc(io.BytesIO(xml))]
    monkeypatch.setattr(marc, "BLOCK", 7)
    assert [map_record(r).title for r in read_marc(io.BytesIO(iso))] == expected_iso
    assert [map_record(r).title for r in read_marc(io.BytesIO(xml))] == expected_xml
    assert len(expected_iso) == 25 and len(expected_xml) == 10


def test_marcxml_written_by_pymarc_with_a_namespace_prefix_reads_back():
    record = build_record(BOOK, MARC21, library_code="HX01", stamp="20261121100000", copies=COPIES)
    (theirs,) = list(pymarc.MARCReader(record.raw, to_unicode=True, force_utf8=True))
    xml = pymarc.record_to_xml(theirs, namespace=True).replace(b"<record", b"<marc:record", 1)
    xml = xml.replace(b"</record>", b"</marc:record>").replace(
        b'xmlns="http://www.loc.gov/MARC21/slim"', b'xmlns:marc="http://www.loc.gov/MARC21/slim"'
    )
    for tag in (b"leader", b"controlfield", b"datafield", b"subfield"):
        xml = xml.replace(b"<" + tag, b"<marc:" + tag).replace(b"</" + tag, b"</marc:" + tag)
    document = b'<?xml version="1.0" encoding="UTF-8"?>\n<marc:collection xmlns:marc="http://www.loc.gov/MARC21/slim">' + xml + b"</marc:collection>"
    (back,) = list(read_marc(io.BytesIO(document)))
    assert isinstance(back, MarcRecord)
    assert map_record(back).columns() == BOOK.columns()


def test_nothing_marc_in_an_xml_file_reads_as_no_records():
    assert list(read_marc(fixture("marc-perl/xml_invalid.xml"))) == []
    (empty,) = list(read_marc(fixture("marc-perl/xml_empty-record.xml")))
    assert isinstance(empty, Skipped) and empty.reason == "The record is empty."


def test_price_and_call_number_rules():
    assert marc.parse_price("CNY68.00") == 6800
    assert marc.parse_price("¥25") == 2500
    assert marc.parse_price("25.50元") == 2550
    assert marc.parse_price("$14.95") == 0  # not yuan: not a price we can keep in fen
    assert marc.parse_price("价格不详") == 0
    assert marc._call_number("I247.5", "12", "I247.5") == "I247.5/12"
    assert marc._call_number("NK1071", ".A87 2004", "") == "NK1071 .A87 2004"


def test_a_file_without_terminators_is_read_in_pieces_not_whole(monkeypatch):
    monkeypatch.setattr(marc, "BLOCK", 4096)
    junk = bytes(range(32, 127)) * 5000  # about 470 KB of text and no 0x1D
    good = build_record(BOOK, UNIMARC, library_code="HX01", stamp="20261121100000").raw
    found = list(read_marc(io.BytesIO(junk + b"\x1d" + good)))
    assert isinstance(found[-1], MarcRecord) and map_record(found[-1]).title == "红楼梦"
    assert all(isinstance(r, Skipped) for r in found[:-1]) and len(found) >= 3
    assert max(len(c) for _, c in marc.iter_chunks(io.BytesIO(junk))) <= 2 * marc.MAX_RECORD + 4096
