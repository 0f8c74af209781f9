"""Opening the app (first run: the wizard), the demo, and ``init`` without the TUI."""

from __future__ import annotations

import argparse

from countylib.commands import common_options, db_path
from countylib.paths import demo_db

DEMO_SEED = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser(
        "demo",
        parents=[common_options()],
        help="open the app on a demo database (made on first use)",
        description="Open the app on a demo database with realistic data. Accounts: "
        "admin/admin123, librarian/librarian123, volunteer/volunteer123.",
    )
    # SUPPRESS: without it the subcommand's unset option would overwrite the program's
    # --lang (countylib --lang en demo).
    demo.add_argument("--lang", choices=["zh_CN", "en"], default=argparse.SUPPRESS, help="interface language for this run")
    demo.set_defaults(func=open_demo)

    init = subparsers.add_parser(
        "init", parents=[common_options()], help="set up a new library database without the app"
    )
    init.add_argument("--library", required=True, help="library name, e.g. 某某县图书馆")
    init.add_argument("--branch-code", required=True, help="2 to 8 letters or digits, e.g. HX01")
    init.add_argument("--branch-name", required=True)
    init.add_argument("--admin", required=True, help="administrator user name")
    init.add_argument("--password", required=True, help="administrator password (at least 6 characters)")
    init.add_argument(
        "--lang", choices=["zh_CN", "en"], default=argparse.SUPPRESS, help="the library's language (default: the system's)"
    )
    init.set_defaults(func=init_library)


def open_app(args: argparse.Namespace, *, path=None, demo: bool = False) -> int:
    from countylib.app import AppConfig, make_app
    from countylib.commands import unlock_if_encrypted

    if path is not None:
        unlock_if_encrypted(path)
    app = make_app(path or db_path(args), AppConfig(language=getattr(args, "lang", None), demo=demo))
    app.run()
    return 0


def open_demo(args: argparse.Namespace) -> int:
    path = getattr(args, "db", None) or demo_db()
    if not path.exists():
        from countylib.demo_data import generate

        print(f"Making the demo database at {path} ...")
        summary = generate(path, size="demo", seed=DEMO_SEED)
        print(summary.line())
    return open_app(args, path=path, demo=True)


def init_library(args: argparse.Namespace) -> int:
    from countylib.i18n import system_language
    from countylib.library import initialize_library, open_db

    path = db_path(args)
    database = open_db(path)
    ctx = initialize_library(
        database,
        library_name=args.library,
        branch_code=args.branch_code,
        branch_name=args.branch_name,
        admin_user=args.admin,
        password=args.password,
        language=getattr(args, "lang", None) or system_language(),
    )
    print(f"Set up {ctx.branch.library_name} · {ctx.branch.name} ({ctx.branch.code}) in {path}; admin: {args.admin}")
    return 0
