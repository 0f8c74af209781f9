"""The command line: the forms of DESIGN.md §5, one-line summaries, one-line failures."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from countylib.cli import build_parser, main

DESIGN_COMMANDS = [
    "init", "demo", "demo-data", "import-marc", "export-marc", "enroll", "sync",
    "backup", "restore", "check", "report", "print", "export-koc",
]


def test_every_designed_subcommand_exists_with_help_and_db():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in DESIGN_COMMANDS:
        assert name in sub.choices, name
        assert "--db" in sub.choices[name].format_help(), name


def test_init_sets_up_and_prints_one_line(tmp_path, capsys):
    db = tmp_path / "lib.db"
    code = main(["init", "--db", str(db), "--library", "某某县图书馆", "--branch-code", "hx02",
                 "--branch-name", "东关分馆", "--admin", "boss", "--password", "secret12", "--lang", "en"])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0 and len(out) == 1
    assert "东关分馆 (HX02)" in out[0]


def test_failure_is_one_plain_line_and_nonzero(tmp_path, capsys):
    args = ["init", "--db", str(tmp_path / "lib.db"), "--library", "某馆", "--branch-code", "HX02",
            "--branch-name", "分馆", "--admin", "boss", "--password", "secret12"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["countylib: This database is already set up for branch HX02."]


def test_bad_branch_code_is_explained(tmp_path, capsys):
    code = main(["init", "--db", str(tmp_path / "x.db"), "--library", "馆", "--branch-code", "城关",
                 "--branch-name", "分馆", "--admin", "boss", "--password", "secret12"])
    assert code == 1
    assert "2 to 8 letters or digits" in capsys.readouterr().err


def test_a_file_that_is_not_a_library_is_refused_without_traceback(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00junk" * 500)
    result = subprocess.run(
        [sys.executable, "-m", "countylib.cli", "init", "--db", str(junk), "--library", "馆",
         "--branch-code", "HX01", "--branch-name", "分馆", "--admin", "boss", "--password", "secret12"],
        capture_output=True, text=True, env={**os.environ, "LANGUAGE": "en"},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "not a" in result.stderr and "CountyLib database" in result.stderr


@pytest.mark.parametrize(
    "command", [["export-marc", "x.mrc"], ["import-marc", "x.mrc"], ["report", "daily", "--out", "d.pdf"], ["print", "labels", "--out", "x.pdf", "--since", "2026-11-01"]]
)
def test_a_command_on_a_missing_database_says_so_and_makes_none(tmp_path, capsys, command):
    missing = tmp_path / "countylib.db"
    assert main([*command, "--db", str(missing)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith(f"countylib: There is no library database at {missing}. Set one up with 'countylib init'")
    assert not missing.exists()


def test_a_printout_kinds_help_needs_no_out(capsys):
    with pytest.raises(SystemExit) as leaving:
        main(["print", "labels", "--help"])
    assert leaving.value.code == 0
    out = capsys.readouterr().out
    assert "--out FILE.pdf" in out and "--start-at N" in out


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("countylib ")


def test_messages_follow_the_system_language(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00junk" * 500)
    result = subprocess.run(
        [sys.executable, "-m", "countylib.cli", "demo-data", "--db", str(junk)],
        capture_output=True, text=True, env={**os.environ, "LANGUAGE": "zh_CN"},
    )
    assert result.returncode == 1
    assert "countylib: " in result.stderr and "Traceback" not in result.stderr
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.stderr)  # said in Chinese
