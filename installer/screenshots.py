"""Take the screenshots installer/README.md shows: what a person sees right after installing.

    .venv/bin/python installer/screenshots.py [--home DIR]

Runs the app headless (Textual's test driver) in a scratch home folder, so the paths on the
About screen read like a librarian's PC (``--home /home/librarian`` for the published ones),
and writes docs/install-{wizard,login,home,about}.png via rsvg-convert.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = (120, 36)


async def take(docs: Path) -> None:
    from textual.widgets import Button, Input

    from countylib.app import AppConfig, make_app
    from countylib.clock import FixedClock
    from countylib.library import initialize_library, open_db
    from countylib.paths import default_db

    def shot(app, name: str) -> None:
        svg = docs / f"install-{name}.svg"
        app.save_screenshot(str(svg))
        subprocess.run(["rsvg-convert", str(svg), "-o", str(svg.with_suffix(".png"))], check=True)
        svg.unlink()
        print(f"wrote {svg.with_suffix('.png')}")

    database = default_db()
    config = AppConfig(language="zh_CN", clock=FixedClock())
    app = make_app(database, config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shot(app, "wizard")
    app.database.close()

    ctx = initialize_library(
        open_db(database), library_name="某某县图书馆", branch_code="HX01", branch_name="城关分馆",
        admin_user="admin", password="admin123", language="zh_CN",
    )
    ctx.db.close()
    app = make_app(database, config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shot(app, "login")
        app.screen.query_one("#username", Input).value = "admin"
        app.screen.query_one("#password", Input).value = "admin123"
        await pilot.click("#sign-in")
        await pilot.pause()
        shot(app, "home")
        await pilot.press("f10")
        await pilot.pause()
        app.screen.query_one("#about", Button).press()
        await pilot.pause()
        shot(app, "about")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="home folder to pretend to be (default: a temporary one)")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="countylib-shots-"))
    if (home / ".local" / "share" / "CountyLib").exists():
        raise SystemExit(f"{home} already holds CountyLib data; choose an empty home folder.")
    os.environ["HOME"] = str(home)
    for variable in ("COUNTYLIB_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        os.environ.pop(variable, None)
    try:
        asyncio.run(take(ROOT / "docs"))
    finally:
        shutil.rmtree(home / ".local" / "share" / "CountyLib", ignore_errors=True)


if __name__ == "__main__":
    main()
