"""``countylib-hub``: migrate, serve, enroll, devices (DESIGN.md §5), plus the admin's
``new-epoch`` (after restoring the hub's database) and ``import-events`` (a revoked
device's unsent events, exported to a file by the branch app)."""

from __future__ import annotations

import argparse
import json
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

import peewee as pw

from sync.hub.storage import BadDSN, open_hub

# Commands that work on a hub already set up; the others (migrate, serve) set it up first.
NEED_A_HUB = ("enroll", "devices", "new-epoch", "import-events")


class Refused(Exception):
    """Input the hub's command line cannot act on, said in one plain line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="countylib-hub", description="The county's central sync hub.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--dsn", required=True, help="sqlite:///path or postgresql://user@host/db")
        return p

    command("migrate", "create or upgrade the hub's tables")
    serve = command("serve", "run the hub over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--fd", type=int, default=None, help=argparse.SUPPRESS)  # an inherited listening socket
    serve.add_argument("--certfile", help="TLS certificate (PEM); without it, put the hub behind a TLS proxy")
    serve.add_argument("--keyfile", help="TLS private key (PEM)")
    serve.add_argument("--log-level", default="warning")
    enroll = command("enroll", "print a one-time enrolment code for a branch device")
    enroll.add_argument("--branch", required=True, help="branch code, e.g. HX01")
    enroll.add_argument("--ttl-hours", type=_hours, default=24.0, help="how long the code stays valid")
    devices = command("devices", "list or revoke enrolled devices")
    devices.add_argument("--revoke", metavar="DEVICE", help="revoke this device id")
    command("new-epoch", "start a new hub epoch after restoring the hub database from a backup")
    imp = command("import-events", "store events a revoked device exported to a file")
    imp.add_argument("file", type=Path)
    return parser


def _hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of hours") from None
    if not 0 < hours < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} hours: a code must stay valid for some time, e.g. 24")
    return hours


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        database = open_hub(args.dsn)
    except BadDSN as exc:
        print(f"countylib-hub: {exc}", file=sys.stderr)
        return 2
    try:
        _check_place(database, args.dsn, needs_tables=args.command in NEED_A_HUB)
        return COMMANDS[args.command](args)
    except Refused as exc:
        print(f"countylib-hub: {exc}", file=sys.stderr)
        return 1
    except pw.OperationalError as exc:
        print(f"countylib-hub: cannot use the hub database {args.dsn}: {exc}", file=sys.stderr)
        return 1


def _check_place(database: pw.Database, dsn: str, *, needs_tables: bool) -> None:
    """Refuse a DSN that names no hub before anything is written: opening a mistyped SQLite
    path would leave a new, empty hub there, and its codes would work nowhere."""
    from sync.hub.storage import Meta

    if isinstance(database, pw.SqliteDatabase):
        path = Path(database.database).resolve()
        if not path.parent.is_dir():
            raise Refused(f"the folder {path.parent} does not exist; check the DSN {dsn}")
        if needs_tables and not path.is_file():
            raise Refused(f"there is no hub database at {path}; check the DSN, or set one up with: "
                          f"countylib-hub migrate --dsn {dsn}")
    if needs_tables:
        with database.connection_context():
            if not Meta.table_exists():
                raise Refused(f"{dsn} is not a CountyLib hub database (its tables are missing); "
                              f"if it is new, set it up first with: countylib-hub migrate --dsn {dsn}")


def migrate_command(args: argparse.Namespace) -> int:
    from sync.hub.storage import migrate

    epoch = migrate()
    print(f"hub tables ready (epoch {epoch})")
    return 0


def serve_command(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from sync.hub.app import create_app
    from sync.hub.storage import migrate

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    migrate()
    options = {"log_level": args.log_level, "access_log": False, "timeout_graceful_shutdown": 5}
    if args.certfile:
        options.update(ssl_certfile=args.certfile, ssl_keyfile=args.keyfile)
    app = create_app()
    if args.fd is not None:
        sock = socket.socket(fileno=args.fd)
        config = uvicorn.Config(app, **options)
        server = uvicorn.Server(config)
        server.run(sockets=[sock])
    else:
        uvicorn.run(app, host=args.host, port=args.port, **options)
    return 0


def enroll_command(args: argparse.Namespace) -> int:
    import datetime as dt

    from countylib.library import BRANCH_CODE
    from sync.hub.devices import new_enrolment_code

    branch = args.branch.strip().upper()
    if not BRANCH_CODE.match(branch):
        raise Refused(f"{args.branch!r} is not a branch code: a branch code is 2 to 8 letters or digits, e.g. HX01")
    code = new_enrolment_code(branch, dt.timedelta(hours=args.ttl_hours))
    # The code alone on standard output, so a script can take it; the words for people go
    # to standard error.
    print(code)
    print(f"one-time code for branch {branch}, valid {args.ttl_hours:g} h", file=sys.stderr)
    return 0


def devices_command(args: argparse.Namespace) -> int:
    from sync.hub.devices import list_devices, revoke

    if args.revoke:
        if not revoke(args.revoke):
            print(f"countylib-hub: no device {args.revoke}", file=sys.stderr)
            return 1
        print(f"revoked {args.revoke}")
        return 0
    rows = list_devices()
    for d in rows:
        state = f"revoked {d.revoked_at:%Y-%m-%d %H:%M}" if d.revoked_at else "active"
        seen = f"{d.last_seen_at:%Y-%m-%d %H:%M}" if d.last_seen_at else "never"
        print(f"{d.id}\t{d.branch}\t{d.name}\t{state}\tlast seen {seen}")
    # On standard output after the rows, so the summary never runs into the last row.
    print(f"{len(rows)} device(s)")
    return 0


def new_epoch_command(args: argparse.Namespace) -> int:
    from sync.hub.storage import new_epoch

    print(f"new hub epoch {new_epoch()}: every branch will pull afresh and re-send what the hub lacks")
    return 0


def import_events_command(args: argparse.Namespace) -> int:
    from sync.hub.importer import import_export_file

    summary = import_export_file(args.file)
    print(json.dumps(summary))
    return 0


COMMANDS = {
    "migrate": migrate_command,
    "serve": serve_command,
    "enroll": enroll_command,
    "devices": devices_command,
    "new-epoch": new_epoch_command,
    "import-events": import_events_command,
}


if __name__ == "__main__":
    sys.exit(main())
