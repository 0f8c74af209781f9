"""``enroll``, ``sync`` and ``export-koc``: this branch and the county's central library."""

from __future__ import annotations

import argparse
from pathlib import Path

from countylib.commands import common_options, db_path, iso_date, out_file



def register(subparsers: argparse._SubParsersAction) -> None:
    enroll = subparsers.add_parser(
        "enroll",
        parents=[common_options()],
        help="enrol this device with the central hub",
        description="Connect this branch database to the county's hub with a one-time code from the hub "
        "administrator (countylib-hub enroll). Done once per device.",
    )
    enroll.add_argument("--hub", required=True, help="the hub's address, e.g. https://hub.example.gov.cn")
    enroll.add_argument("--code", required=True, help="the one-time enrolment code")
    enroll.add_argument("--ca-file", help="the county's own CA certificate (PEM), if the hub uses one")
    enroll.set_defaults(func=enroll_command)

    sync = subparsers.add_parser(
        "sync",
        parents=[common_options()],
        help="push and pull events with the hub",
        description="Send this branch's changes to the hub and receive the county's: one push and pull.",
    )
    sync.add_argument("--export-unsent", type=Path, metavar="FILE",
                      help="instead of syncing, write the changes not yet sent to FILE (for a revoked device)")
    sync.set_defaults(func=sync_command)

    koc = subparsers.add_parser(
        "export-koc",
        parents=[common_options()],
        help="write a Koha offline circulation file",
        description="Write this branch's check-outs and check-ins since a date as a Koha .koc file. "
        "Transactions already written to an earlier file are left out.",
    )
    koc.add_argument("--since", type=iso_date, required=True, help="YYYY-MM-DD (a local date)")
    koc.add_argument("--out", type=Path, required=True, help="the .koc file to write")
    koc.set_defaults(func=export_koc_command)


def _context(args: argparse.Namespace):
    from countylib.library import make_context, open_db

    return make_context(open_db(db_path(args, must_exist=True)))


def enroll_command(args: argparse.Namespace) -> int:
    from sync.client import SyncClient

    ctx = _context(args)
    if args.ca_file:
        from countylib.settings import change_setting

        change_setting(ctx, "sync_ca_file", str(Path(args.ca_file).resolve()))
    answer = SyncClient(clock=ctx.clock).enroll(args.hub, args.code)
    print(f"enrolled: device {answer['device_id']} of branch {answer['branch']} with {args.hub}")
    return 0


def sync_command(args: argparse.Namespace) -> int:
    from sync.client import SyncClient

    ctx = _context(args)
    client = SyncClient(clock=ctx.clock)
    if args.export_unsent:
        n = client.export_unsent(args.export_unsent)
        print(f"exported {n} unsent event(s) to {args.export_unsent}")
        return 0
    summary = client.sync()
    print(
        f"pushed {summary.pushed}, pulled {summary.pulled}, conflicts {summary.conflicts}"
        + (f" ({summary.duplicates} already at the hub)" if summary.duplicates else "")
        + "".join(f"; {w}" for w in summary.warnings)
    )
    return 0


def export_koc_command(args: argparse.Namespace) -> int:
    from countylib.koc import export_koc

    result = export_koc(_context(args), args.since, out_file(args.out, (".koc",)))
    print(f"wrote {result.issues} issue(s) and {result.returns} return(s) to {result.path}"
          + (f"; {result.already_exported} exported before" if result.already_exported else ""))
    return 0
