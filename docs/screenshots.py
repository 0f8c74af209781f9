"""Take the screenshots the README shows, from the demo library as staff would see it.

    .venv/bin/python docs/screenshots.py

Builds the demo database (seed 1, today = 2026-11-21) in a scratch folder, drives the app
headless with Textual's test driver and writes docs/*.png via rsvg-convert (librsvg2-bin).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
SIZE = (128, 38)


def shot(app, name: str) -> None:
    svg = DOCS / f"{name}.svg"
    app.save_screenshot(str(svg))
    subprocess.run(["rsvg-convert", str(svg), "-o", str(svg.with_suffix(".png"))], check=True)
    svg.unlink()
    print(f"wrote {svg.with_suffix('.png')}")


async def scan(pilot, text: str) -> None:
    from textual.widgets import Input

    field = pilot.app.screen.query_one("#scan", Input)
    field.value = text
    await pilot.press("enter")
    await pilot.pause(0.3)


async def take(db: Path) -> None:
    import sqlite3

    from textual.widgets import Input

    from countylib.app import AppConfig, make_app
    from countylib.clock import FixedClock

    con = sqlite3.connect(db)
    card = con.execute(
        "SELECT card_number FROM patron WHERE status = 'active' AND category = 'adult' "
        "AND expiry_date > '2027-01-01' ORDER BY card_number LIMIT 1 OFFSET 3"
    ).fetchone()[0]
    barcodes = [
        r[0]
        for r in con.execute(
            "SELECT i.barcode FROM item i JOIN bib b ON b.id = i.bib_id WHERE i.status = 'available' "
            "AND i.item_type = 'book' AND b.clc_class LIKE 'I%' ORDER BY i.barcode LIMIT 2"
        )
    ]
    con.close()

    for language in ("zh_CN", "en"):
        app = make_app(db, AppConfig(language=language, clock=FixedClock(), demo=True))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            if language == "zh_CN":
                shot(app, "login-zh_CN")
            app.screen.query_one("#username", Input).value = "librarian"
            app.screen.query_one("#password", Input).value = "librarian123"
            await pilot.click("#sign-in")
            await pilot.pause()
            shot(app, f"home-{language}")
            await pilot.press("f2")
            await pilot.pause(0.5)
            await scan(pilot, card)
            for barcode in barcodes:
                await scan(pilot, barcode)
            shot(app, f"desk-{language}")
            if language == "zh_CN":
                await pilot.press("f4")
                await pilot.pause(0.5)
                field = app.screen.query_one("#query", Input)
                field.value = "hlm"
                await pilot.press("enter")
                await pilot.pause(1.5)
                shot(app, "catalogue-zh_CN")
                await pilot.press("f8")
                await pilot.pause(2.0)
                shot(app, "reports-zh_CN")


def main() -> None:
    from countylib.demo_data import generate

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["COUNTYLIB_HOME"] = tmp
        db = Path(tmp) / "demo.db"
        generate(db, size="demo", seed=1, today=dt.date(2026, 11, 21))
        asyncio.run(take(db))


if __name__ == "__main__":
    main()
