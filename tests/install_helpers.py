"""Running installer/install.sh and uninstall.sh as a person would: their own HOME, a plain PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTALL = ROOT / "installer" / "install.sh"
UNINSTALL = ROOT / "installer" / "uninstall.sh"


def base_python() -> str:
    """The Python this test environment was made from (install.sh makes its own venv from it)."""
    for name in ("python3", f"python{sys.version_info.major}.{sys.version_info.minor}"):
        candidate = Path(sys.base_prefix) / "bin" / name
        if candidate.exists():
            return str(candidate)
    return sys.executable


def person_env(home: Path, **extra: str) -> dict[str, str]:
    """A login's environment: nothing of this virtualenv, no COUNTYLIB_HOME, no XDG overrides."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key.startswith(("PIP_", "LANG", "LC_")) or key in ("TERM", "TMPDIR", "http_proxy", "https_proxy", "no_proxy")
    }
    env.update(HOME=str(home), PATH="/usr/local/bin:/usr/bin:/bin", PYTHON=base_python())
    env.update(extra)
    return env


def run_script(script: Path, home: Path, *args: str, timeout: float = 600, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", str(script), *args], env=person_env(home, **extra), capture_output=True, text=True, timeout=timeout
    )


def installed_paths(home: Path) -> dict[str, Path]:
    share = home / ".local" / "share"
    return {
        "app": share / "countylib-app",
        "launcher": home / ".local" / "bin" / "countylib",
        "desktop": share / "applications" / "countylib.desktop",
        "icon": share / "icons" / "hicolor" / "scalable" / "apps" / "countylib.svg",
        "data": share / "CountyLib",
    }
