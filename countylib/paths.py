"""Where data lives: platformdirs' per-user folders, or COUNTYLIB_HOME when set."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "CountyLib"


def data_dir() -> Path:
    home = os.environ.get("COUNTYLIB_HOME")
    return Path(home) if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    home = os.environ.get("COUNTYLIB_HOME")
    return Path(home) / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Files the app can rebuild (tables derived from its libraries)."""
    home = os.environ.get("COUNTYLIB_HOME")
    return Path(home) / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def default_db() -> Path:
    return data_dir() / "countylib.db"


def demo_db() -> Path:
    return data_dir() / "demo.db"
