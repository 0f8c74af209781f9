"""installer/install.sh and uninstall.sh on Linux, into a temporary HOME (issue 11).

A real install: a virtual environment made with the system's Python, the checkout built into
a wheel and installed with its dependencies from the package index. Then what a person
uses is checked: the `countylib` command, the menu entry (valid, and its Exec chain really
reaches the program through a terminal), running the installer again, and the uninstaller
leaving the library's data where it was.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from countylib import __version__
from tests.install_helpers import INSTALL, ROOT, UNINSTALL, installed_paths, person_env, run_script

pytestmark = pytest.mark.slow


BUILD_FOLDER_APPEARED: list[bool] = []


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("home")
    had_build_folder = (ROOT / "build").exists()
    result = run_script(INSTALL, home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"countylib {__version__} is installed." in result.stdout
    BUILD_FOLDER_APPEARED.append(not had_build_folder and (ROOT / "build").exists())
    return home


def _desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive (Name, Name[zh_CN])
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_command_runs(installed):
    launcher = installed_paths(installed)["launcher"]
    result = subprocess.run([launcher, "--version"], env=person_env(installed), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"countylib {__version__}"


def test_the_checkout_is_left_as_it_was(installed):
    # The wheel is built from a copy: no build/ folder appears in the source tree.
    assert BUILD_FOLDER_APPEARED == [False]


def test_desktop_entry_is_valid_and_opens_a_terminal(installed):
    paths = installed_paths(installed)
    entry = _desktop_entry(paths["desktop"])
    assert entry["Type"] == "Application"
    assert entry["Name"] == "CountyLib" and "图书馆" in entry["Name[zh_CN]"]
    assert Path(entry["Icon"]).is_file()
    # Either the desktop opens the terminal (Terminal=true) or the entry runs a terminal itself.
    exec_line = entry["Exec"].strip('"')
    assert entry["Terminal"] == "true" or Path(exec_line).name == "countylib-terminal"
    assert Path(exec_line).is_file() and Path(exec_line).stat().st_mode & 0o111
    validator = shutil.which("desktop-file-validate")
    if validator:
        checked = subprocess.run([validator, paths["desktop"]], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_menu_entry_reaches_the_program_through_a_terminal(installed, tmp_path):
    """A stand-in terminal (x-terminal-emulator -e CMD...) on PATH: the Exec chain must run countylib."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    record = tmp_path / "terminal-was-asked"
    terminal = fake_bin / "x-terminal-emulator"
    terminal.write_text(f'#!/bin/sh\necho "$@" > "{record}"\n[ "$1" = -e ] && shift\nexec "$@"\n')
    terminal.chmod(0o755)
    exec_line = _desktop_entry(installed_paths(installed)["desktop"])["Exec"].strip('"')
    env = person_env(installed, PATH=f"{fake_bin}:/usr/local/bin:/usr/bin:/bin")
    result = subprocess.run([exec_line, "--version"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"countylib {__version__}" in result.stdout
    assert record.read_text().startswith("-e ")


def test_installing_again_changes_nothing_but_the_program(installed):
    paths = installed_paths(installed)
    desktop_before = paths["desktop"].read_text(encoding="utf-8")
    result = run_script(INSTALL, installed)
    assert result.returncode == 0, result.stdout + result.stderr
    assert paths["desktop"].read_text(encoding="utf-8") == desktop_before
    assert sorted(p.name for p in paths["launcher"].parent.iterdir()) == ["countylib"]


def test_someone_elses_countylib_command_is_not_overwritten(tmp_path):
    launcher = installed_paths(tmp_path)["launcher"]
    launcher.parent.mkdir(parents=True)
    launcher.write_text("#!/bin/sh\necho mine\n")
    result = run_script(INSTALL, tmp_path)
    assert result.returncode != 0
    assert "was not made by this installer" in result.stderr
    assert launcher.read_text() == "#!/bin/sh\necho mine\n"
    assert not installed_paths(tmp_path)["app"].exists()


def test_uninstall_removes_the_program_and_keeps_the_data(installed):
    paths = installed_paths(installed)
    env = person_env(installed)
    made = subprocess.run(
        [paths["launcher"], "init", "--library", "某某县图书馆", "--branch-code", "HX01", "--branch-name", "城关分馆",
         "--admin", "admin", "--password", "admin123"],
        env=env, capture_output=True, text=True,
    )
    assert made.returncode == 0, made.stderr
    database = paths["data"] / "countylib.db"
    assert database.is_file()
    # The copy install.sh left in the program folder is the one a person runs later.
    result = subprocess.run(["sh", paths["app"] / "uninstall.sh"], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for gone in ("app", "launcher", "desktop", "icon"):
        assert not paths[gone].exists(), gone
    assert database.is_file()
    assert f"The library's data is kept in {paths['data']}" in result.stdout
    again = run_script(UNINSTALL, installed)
    assert again.returncode == 0
    assert "nothing to remove" in again.stdout
