"""``countylib print certificate --out x.pdf (--number N | --donor NAME [--date DATE]) [--language L]``:
a donation certificate printed again, e.g. for a donor who lost theirs."""

from __future__ import annotations

import argparse
from pathlib import Path

from countylib.dates import parse_date
from countylib.i18n import _


def run(db: Path, out: Path, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="countylib print certificate",
        description="Print a donation certificate (捐赠证书) again: the books the library accepted from one donation.",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--number", help="the number printed on the certificate, e.g. HX01-20261110-3FA2")
    which.add_argument("--donor", help="the donor's name as registered (add --date if they gave more than once)")
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="the day the donation was received")
    parser.add_argument("--language", choices=["zh_CN", "en"], help="default: the library's certificate language")
    args = parser.parse_args(argv)

    from countylib.donations import certificate_for, donation_for_certificate
    from countylib.library import make_context, open_db
    from printing.certificates import render_certificate

    received_on = None
    if args.date:
        received_on = parse_date(args.date)
    ctx = make_context(open_db(db))
    donation = donation_for_certificate(ctx, number=args.number, donor=args.donor, received_on=received_on)
    certificate = certificate_for(ctx, donation, args.language)
    render_certificate(certificate, out)
    print(
        _("Printed certificate {number} for {donor} ({count} books) to {path}").format(
            number=certificate.number, donor=certificate.donor_name, count=certificate.count, path=out
        )
    )
    return 0
