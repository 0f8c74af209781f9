"""Build the one-folder bundle: ``python installer/build.py`` → ``dist/countylib/``.

Runs PyInstaller on ``installer/countylib.spec`` with the Python that runs this script (so
build from the project's environment: ``.venv/bin/python installer/build.py``), then starts
the built program once (``countylib --version``) so a broken bundle fails here, not at a
branch. Prints one line: where, how long, how big. The same steps run on Windows (the
GitHub workflow) and Linux; the output folder is what the Windows installer packages.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "installer" / "countylib.spec"
NAME = "countylib"


def executable(bundle: Path) -> Path:
    return bundle / (f"{NAME}.exe" if os.name == "nt" else NAME)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def build(dist: Path, work: Path, *, quiet: bool = True) -> Path:
    """Build into ``dist/countylib`` and return that folder."""
    command = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
        "--distpath", str(dist), "--workpath", str(work), str(SPEC),
    ]
    if quiet:
        command[4:4] = ["--log-level", "WARN"]
    subprocess.run(command, cwd=ROOT, check=True)
    return dist / NAME


def has_pyinstaller() -> bool:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller", help="PyInstaller's work folder")
    parser.add_argument("--verbose", action="store_true", help="show PyInstaller's whole log")
    args = parser.parse_args(argv)
    if not has_pyinstaller():
        print("build: PyInstaller is not installed here (pip install -e '.[test]' brings it).", file=sys.stderr)
        return 2
    started = time.monotonic()
    bundle = build(args.dist.resolve(), args.work.resolve(), quiet=not args.verbose)
    seconds = time.monotonic() - started
    version = subprocess.run(
        [str(executable(bundle)), "--version"], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    print(f"built {version} in {seconds:.0f} s: {bundle} ({folder_size(bundle) / 2**20:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
