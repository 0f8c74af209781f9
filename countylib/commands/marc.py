"""``import-marc`` and ``export-marc``: MARC files in and out of the catalogue."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from countylib.commands import common_options, db_path, iso_date



def register(subparsers: argparse._SubParsersAction) -> None:
    importer = subparsers.add_parser(
        "import-marc",
        parents=[common_options()],
        help="import MARC21 / UNIMARC records (ISO 2709 or MARCXML)",
        description="Import the records of a MARC file into the catalogue; holdings with barcodes become "
        "copies. Importing the same file again changes nothing. Records that cannot be read are "
        "skipped and listed with their position and reason; the exit status is 0 when the file was "
        "processed, 1 when no record could be imported.",
    )
    importer.add_argument("file", type=Path)
    importer.add_argument("--format", choices=["auto", "marc21", "unimarc"], default="auto")
    importer.add_argument("--encoding", choices=["auto", "utf-8", "marc8", "gb18030"], default="auto",
                          help="character set of ISO 2709 records (auto: decided per record)")
    importer.set_defaults(func=import_marc)

    exporter = subparsers.add_parser(
        "export-marc",
        parents=[common_options()],
        help="export records as MARC21 or UNIMARC (ISO 2709, UTF-8)",
        description="Write catalogue records with this branch's copies (852 in MARC21, 905 in UNIMARC) "
        "for the central cataloguers: all of them, or those added, changed or given copies since a date.",
    )
    exporter.add_argument("file", type=Path)
    exporter.add_argument("--format", choices=["marc21", "unimarc"], default="marc21")
    exporter.add_argument("--since", type=iso_date, help="YYYY-MM-DD (a local date)")
    exporter.set_defaults(func=export_marc)


def _context(args: argparse.Namespace):
    from countylib.library import make_context, open_db

    return make_context(open_db(db_path(args, must_exist=True)))


def import_marc(args: argparse.Namespace) -> int:
    from countylib.marc_import import import_marc_file, nothing_read_message

    report = import_marc_file(_context(args), args.file, flavour=args.format, encoding=args.encoding)
    for entry in report.skipped:
        print(f"skipped {entry.where}: {entry.reason}")
    if report.skipped_count > len(report.skipped):
        print(f"... and {report.skipped_count - len(report.skipped)} more skipped")
    for entry in report.warnings:
        print(f"note {entry.where}: {entry.reason}")
    if not report.imported:
        print(f"countylib: {nothing_read_message(report)}", file=sys.stderr)
        return 1
    print(report.line())
    return 0


def export_marc(args: argparse.Namespace) -> int:
    from countylib.marc_export import export_marc_file

    report = export_marc_file(_context(args), args.file, flavour=args.format, since=args.since)
    for title, reason in report.problems:
        print(f"not written: {title}: {reason}")
    print(report.line())
    return 0
