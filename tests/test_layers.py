"""The domain does not import Textual; models import nothing of ours (DESIGN.md §2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_services_import_without_textual():
    code = (
        "import sys, importlib, pkgutil, countylib, models, sync, printing\n"
        "skip = {'countylib.app', 'countylib.cli', 'countylib.commands.app'}\n"
        "for pkg in (countylib, models, sync, printing):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if m.name not in skip and not m.name.startswith('sync.hub'):\n"
        "            importlib.import_module(m.name)\n"
        "assert 'textual' not in sys.modules, 'a service module pulled in textual'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
