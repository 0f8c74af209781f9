"""The pinyin tables: built from pypinyin once, then read back from the cache folder."""

import logging
import os
import subprocess
import sys

import pytest

from countylib import pinyin


@pytest.fixture
def fresh_tables(tmp_path, monkeypatch):
    """The tables forgotten by this process, and the cache in a folder of the test's own."""
    monkeypatch.setattr(pinyin, "cache_dir", lambda: tmp_path / "cache")
    pinyin._tables.cache_clear()
    yield tmp_path / "cache"
    pinyin._tables.cache_clear()


def test_tables_read_back_equal_those_built():
    built = pinyin._Tables.from_pypinyin()
    again = pinyin._Tables.loads(built.dumps())
    assert vars(again) == vars(built)
    assert again.phrases["银行"] == ["yin", "hang"]


def test_the_next_process_reads_the_file_the_first_one_wrote(tmp_path):
    env = {**os.environ, "COUNTYLIB_HOME": str(tmp_path)}
    spell = [sys.executable, "-c", "from countylib.pinyin import pinyin_text; print(pinyin_text('重庆银行', '曹雪芹'))"]
    first = subprocess.run(spell, env=env, capture_output=True, text=True, check=True)
    (cached,) = (tmp_path / "cache").glob("pinyin-*.marshal")
    written = cached.stat()
    second = subprocess.run(spell, env=env, capture_output=True, text=True, check=True)
    assert first.stdout == second.stdout == "chongqingyinhang cqyh caoxueqin cxq\n"
    # Read, not built and written again: the same file, untouched.
    assert (cached.stat().st_ino, cached.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)


def test_a_damaged_cache_is_built_again(fresh_tables, caplog):
    pinyin._cache_file().parent.mkdir(parents=True)
    pinyin._cache_file().write_bytes(b"half a file")
    with caplog.at_level(logging.WARNING, logger="countylib.pinyin"):
        assert pinyin.pinyin_text("红楼梦", "曹雪芹") == "hongloumeng hlm caoxueqin cxq"
    assert "unreadable" in caplog.text
    assert pinyin._Tables.loads(pinyin._cache_file().read_bytes()).phrases["银行"] == ["yin", "hang"]


def test_a_cache_folder_that_cannot_be_written_still_spells(fresh_tables, tmp_path, monkeypatch, caplog):
    blocked = tmp_path / "a file"
    blocked.write_text("")
    monkeypatch.setattr(pinyin, "cache_dir", lambda: blocked / "cache")
    with caplog.at_level(logging.WARNING, logger="countylib.pinyin"):
        assert pinyin.pinyin_text("长江") == "changjiang cj"
    assert "could not keep the pinyin tables" in caplog.text
    assert list(tmp_path.glob("**/*.part")) == []
