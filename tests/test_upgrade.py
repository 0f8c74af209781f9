"""Installing a newer CountyLib over an older one keeps the library's data and migrates it (issue 11).

The migration steps themselves are tested in test_database.py; this is about the installed
program: an older version is installed with install.sh, its data folder holds a database of
the first schema (what a PC upgraded today has), the newer version is installed over it, and
the newer program, started as a person starts it, copies the file to backups/ and brings it
up to date with every row kept.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from countylib import __version__
from models.base import PRAGMAS, db
from models.database import SCHEMA_VERSION, create_v1_schema
from tests.install_helpers import INSTALL, ROOT, installed_paths, person_env, run_script

pytestmark = pytest.mark.slow

OLD_VERSION = "0.0.0"
LEFT_OUT = shutil.ignore_patterns(".git", ".venv", "build", "dist", "tests", "bench", "docs", "__pycache__", "*.egg-info")


def _older_release(folder: Path) -> Path:
    """This checkout, numbered as an older release."""
    source = folder / "countylib-old"
    shutil.copytree(ROOT, source, ignore=LEFT_OUT)
    pyproject = source / "pyproject.toml"
    text, count = re.subn(r'(?m)^version = ".*"$', f'version = "{OLD_VERSION}"', pyproject.read_text(encoding="utf-8"))
    assert count == 1
    pyproject.write_text(text, encoding="utf-8")
    return source


def _schema_1_database(path: Path) -> None:
    """What an older CountyLib left: a file of the first schema, with a branch and a book."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db.init(str(path), pragmas=PRAGMAS)
    db.connect()
    create_v1_schema()
    db.execute_sql(
        "INSERT INTO branch (id, code, name, library_name, is_local, created_at) "
        "VALUES ('b1', 'HX01', '城关分馆', '某某县图书馆', 1, '2025-01-01 00:00:00')"
    )
    db.execute_sql(
        "INSERT INTO bib (id, control_number, title, author, publisher, year, isbn, clc_class, call_number,"
        " price_cents, marc_format, created_at, updated_at) VALUES ('k1', '', '红楼梦', '曹雪芹', '人民文学出版社',"
        " '1982', '9787020002207', 'I242.4', 'I242.4/1', 5000, '', '2025-01-01', '2025-01-01')"
    )
    db.close()


def _read(path: Path, sql: str):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_newer_version_installed_over_an_older_keeps_and_migrates_the_data(tmp_path):
    assert SCHEMA_VERSION > 1, "nothing to migrate from schema 1"
    home = tmp_path / "home"
    home.mkdir()
    paths = installed_paths(home)
    database = paths["data"] / "countylib.db"

    old = run_script(INSTALL, home, str(_older_release(tmp_path)))
    assert old.returncode == 0, old.stdout + old.stderr
    assert f"countylib {OLD_VERSION} is installed." in old.stdout
    _schema_1_database(database)

    new = run_script(INSTALL, home)
    assert new.returncode == 0, new.stdout + new.stderr
    assert f"countylib {__version__} is installed." in new.stdout
    assert "A database is already there: it is kept" in new.stdout
    assert _read(database, "PRAGMA user_version") == 1, "installing must not touch the data"

    # The newer program opens the library's own database (no --db): as the app does at start.
    env = person_env(home)
    exported = subprocess.run(
        [paths["launcher"], "export-marc", str(tmp_path / "catalogue.mrc")], env=env, capture_output=True, text=True
    )
    assert exported.returncode == 0, exported.stderr
    assert "1 written" in exported.stdout
    assert "红楼梦".encode() in (tmp_path / "catalogue.mrc").read_bytes()

    backups = list((paths["data"] / "backups").glob("countylib-v1-before-migration-*.db"))
    assert len(backups) == 1
    assert _read(backups[0], "PRAGMA user_version") == 1
    assert _read(backups[0], "SELECT title FROM bib") == "红楼梦"
    assert _read(database, "PRAGMA user_version") == SCHEMA_VERSION
    assert _read(database, "SELECT title FROM bib WHERE id = 'k1'") == "红楼梦"
    assert _read(database, "SELECT library_name FROM branch WHERE code = 'HX01'") == "某某县图书馆"

    # Once up to date, starting again takes no further copy.
    again = subprocess.run([paths["launcher"], "export-marc", str(tmp_path / "again.mrc")], env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert len(list((paths["data"] / "backups").glob("*.db"))) == 1
