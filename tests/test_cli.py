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


# -- the tester's round: options, --out, dates, languages ------------------------------------------


def test_the_programs_lang_reaches_every_subcommand(monkeypatch, tmp_path):
    import countylib.commands.app as app_command
    from countylib.i18n import current_language

    seen = []
    monkeypatch.setattr(app_command, "open_app", lambda args, **kw: seen.append((args.lang, current_language())))
    demo = tmp_path / "demo.db"
    demo.touch()  # an existing demo database: nothing to generate
    assert main(["--lang", "en", "demo", "--db", str(demo)]) == 0
    assert main(["demo", "--db", str(demo), "--lang", "en"]) == 0
    assert main(["--lang", "zh_CN", "demo", "--db", str(demo)]) == 0
    assert seen == [("en", "en"), ("en", "en"), ("zh_CN", "zh_CN")]


def test_an_error_reads_in_the_language_of_the_run_not_the_librarys(library, db_path, tmp_path, capsys):
    library.db.close()
    out = str(tmp_path / "n.pdf")
    assert main(["--lang", "en", "print", "overdue-notices", "--db", str(db_path), "--out", out, "--location", "NOPE"]) == 1
    assert capsys.readouterr().err.strip() == "countylib: There is no service point NOPE."


def test_os_reasons_read_in_the_language_of_the_run(library, db_path, tmp_path, capsys):
    library.db.close()
    missing = str(tmp_path / "nosuch" / "x.mrc")
    assert main(["--lang", "zh_CN", "import-marc", "--db", str(db_path), missing]) == 1
    assert capsys.readouterr().err.strip() == f"countylib: 无法打开 {missing}：没有这个文件或文件夹"


def test_check_in_chinese_is_all_chinese(library, db_path, capsys):
    library.db.close()
    assert main(["--lang", "zh_CN", "check", "--db", str(db_path)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("数据库正常（完整性、外键、") and "纪元" not in line
    assert "数据：" in line and "；备份：" in line and "；日志：" in line and ", " not in line


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["report", "daily", "--date", "2030-01-01"], "The date 2030-01-01 is in the future."),
        (["report", "monthly", "--month", "2030-01"], "The date 2030-01-01 is in the future."),
        (["report", "daily", "--date", "1999-01-01"], "there is nothing to report before that."),
        (["report", "annual", "--year", "1899"], "; there is nothing to report for 1899."),
        (["report", "annual", "--year", "2099"], "The year 2099 has not come yet."),
    ],
)
def test_reports_of_days_with_no_records_are_refused(library, db_path, tmp_path, capsys, args, says):
    library.db.close()
    out = tmp_path / "r.pdf"
    assert main(["--lang", "en", *args, "--db", str(db_path), "--out", str(out)]) == 1
    assert says in capsys.readouterr().err and not out.exists()


def test_min_days_below_one_is_refused(library, db_path, tmp_path, capsys):
    library.db.close()
    with pytest.raises(SystemExit) as refused:
        main(["print", "overdue-notices", "--db", str(db_path), "--out", str(tmp_path / "n.pdf"), "--min-days", "-5"])
    assert refused.value.code == 2 and "--min-days: -5 is too small" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["print", "overdue-notices", "--out", "{dir}/o3.txt"],
        ["report", "annual", "--year", "2026", "--out", "{dir}/o3.txt"],
        ["report", "daily", "--out", "{dir}/o3.txt"],
        ["export-koc", "--since", "2026-01-01", "--out", "{dir}/o3.txt"],
    ],
)
def test_an_out_whose_ending_does_not_match_is_refused(library, db_path, tmp_path, capsys, args):
    library.db.close()
    args = [a.format(dir=tmp_path) for a in args]
    assert main(["--lang", "en", *args, "--db", str(db_path)]) == 1
    assert "so the name must end in" in capsys.readouterr().err
    assert not (tmp_path / "o3.txt").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["export-koc", "--since", "2026-01-01", "--out", "{dir}/nodir/x.koc"],
        ["report", "daily", "--out", "{dir}/nodir/x.csv"],
    ],
)
def test_every_out_makes_its_folder(library, db_path, tmp_path, capsys, args):
    library.db.close()
    args = [a.format(dir=tmp_path) for a in args]
    assert main([*args, "--db", str(db_path)]) == 0, capsys.readouterr().err
    assert len(list((tmp_path / "nodir").iterdir())) == 1  # the file, and no .tmp left beside it


def test_backup_to_a_file_name_is_refused(library, db_path, tmp_path, capsys):
    library.db.close()
    assert main(["--lang", "en", "backup", "--db", str(db_path), "--to", str(tmp_path / "bk1.db")]) == 1
    assert "--to names the folder to put backups in" in capsys.readouterr().err
    assert not (tmp_path / "bk1.db").exists()
