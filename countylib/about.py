"""What this installation is and where it keeps things: for the About screen and IT helpers."""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from countylib import paths
from countylib.i18n import N_

LICENCE = "MIT"
COPYRIGHT = "Copyright (c) 2026 CountyLib contributors"


@dataclass(frozen=True)
class Installation:
    version: str
    python: str
    kind: str  # msgid: how the program was installed
    program_folder: Path
    data_folder: Path
    database: Path
    backups_folder: Path  # where a migration copies the file first (models/database.py)
    log_folder: Path


def describe_installation(database: str | Path) -> Installation:
    from countylib import __version__

    database = Path(database).resolve()
    if getattr(sys, "frozen", False):
        # A PyInstaller bundle: the program is the folder holding countylib(.exe).
        kind = N_("Installed program (no Python needed)")
        program = Path(sys.executable).parent
    else:
        kind = N_("Python environment")
        program = Path(sys.prefix)
    return Installation(
        version=__version__,
        python=platform.python_version(),
        kind=kind,
        program_folder=program,
        data_folder=paths.data_dir(),
        database=database,
        backups_folder=database.parent / "backups",
        log_folder=paths.log_dir(),
    )
