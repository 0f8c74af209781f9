"""The one-folder bundle (issue 11): built with PyInstaller, it runs without the project's Python.

Builds ``installer/countylib.spec`` through ``installer/build.py`` into a temporary folder, then
uses only the built program: ``--version``, ``demo-data`` (the whole domain, pinyin and
demo catalogs), a printout (reportlab and its fonts), and the TUI on a pseudo-terminal
as far as the login screen (Textual's lazily imported widgets and the .tcss files).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from countylib import __version__
from tests.bundle_helpers import run_in_terminal

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    pytest.importorskip("PyInstaller", reason="PyInstaller is not installed (it comes with the 'test' extra)")
    out = tmp_path_factory.mktemp("bundle")
    result = subprocess.run(
        [sys.executable, str(ROOT / "installer" / "build.py"), "--dist", str(out / "dist"), "--work", str(out / "work")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    folder = out / "dist" / "countylib"
    assert (folder / "countylib").is_file()
    return folder


def _env(home: Path) -> dict[str, str]:
    # Nothing of the development environment leaks in: no PYTHONPATH, no virtualenv.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(COUNTYLIB_HOME=str(home), TERM="xterm-256color", LANG="C.UTF-8")
    return env


def test_bundle_reports_its_version(bundle, tmp_path):
    result = subprocess.run([bundle / "countylib", "--version"], capture_output=True, text=True, env=_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"countylib {__version__}"


def test_bundle_holds_the_app_and_not_the_hub_or_the_test_tools(bundle):
    internal = bundle / "_internal"
    for data in ("countylib/locale/zh_CN/LC_MESSAGES/core.mo", "models/schema/v1.sql", "screens/login.tcss", "LICENSE"):
        assert (internal / data).is_file(), data
    for absent in ("starlette", "uvicorn", "pytest", "PyInstaller"):
        assert not (internal / absent).exists(), absent


def test_bundle_makes_demo_data_and_prints(bundle, tmp_path):
    env = _env(tmp_path)
    db = tmp_path / "demo.db"
    made = subprocess.run(
        [bundle / "countylib", "demo-data", "--size", "demo", "--db", str(db)],
        capture_output=True, text=True, env=env, timeout=240,
    )
    assert made.returncode == 0, made.stderr
    assert "demo dataset" in made.stdout
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT count(*) FROM item").fetchone()[0] >= 1000
        # pypinyin's dictionaries came along: the catalogue has its pinyin column filled.
        assert con.execute("SELECT count(*) FROM bib WHERE pinyin != ''").fetchone()[0] > 0
    finally:
        con.close()
    pdf = tmp_path / "cards.pdf"
    printed = subprocess.run(
        [bundle / "countylib", "print", "cards", "--all-new-since", "2000-01-01", "--out", str(pdf), "--db", str(db)],
        capture_output=True, text=True, env=env, timeout=240,
    )
    assert printed.returncode == 0, printed.stderr
    assert pdf.read_bytes().startswith(b"%PDF")


def test_bundle_opens_the_login_screen_in_a_terminal(bundle, tmp_path):
    env = _env(tmp_path)
    db = tmp_path / "library.db"
    init = subprocess.run(
        [bundle / "countylib", "init", "--library", "某某县图书馆", "--branch-code", "HX01",
         "--branch-name", "城关分馆", "--admin", "admin", "--password", "admin123", "--db", str(db)],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert init.returncode == 0, init.stderr
    seen, status, output = run_in_terminal(
        [str(bundle / "countylib"), "--lang", "en", "--db", str(db)],
        wait_for=["某某县图书馆", "User name", "Password", "Sign in"],
        env=env,
    )
    assert seen, f"the login screen did not appear; the program wrote:\n{output[-2000:]}"
    assert status == 0, output[-2000:]
