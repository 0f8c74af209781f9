"""The log file says what happened and never who it happened to."""

from __future__ import annotations

import datetime as dt
import logging
import logging.handlers

import pytest

from countylib.logs import LOG_NAME, log_crash, log_event, log_refusal, redact, setup_logging
from countylib.paths import log_dir

NAME, ID_NUMBER, PHONE, PASSWORD, ADDRESS = "王小明", "11010519491231002X", "13912345678", "s3cret-pw!", "西湖区北山路88号"
PASSPORT = "EK1234#567"  # mistyped: the refusal quotes it


@pytest.fixture
def logfile():
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    peewee_level = logging.getLogger("peewee").level
    path = setup_logging(logging.DEBUG)
    yield path
    for handler in root.handlers[:]:
        if handler not in before:
            handler.close()
            root.removeHandler(handler)
    root.setLevel(level)
    logging.getLogger("peewee").setLevel(peewee_level)


def test_the_log_is_in_the_log_folder_and_rotates(logfile):
    assert logfile == log_dir() / LOG_NAME
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, logging.handlers.RotatingFileHandler))
    assert handler.maxBytes > 0 and handler.backupCount >= 3
    assert setup_logging() == logfile  # twice: still one handler
    assert sum(isinstance(h, logging.handlers.RotatingFileHandler) for h in logging.getLogger().handlers) == 1


def test_a_session_leaves_no_personal_data_in_the_log(logfile, library, db_path, tmp_path):
    from countylib.auth import sign_in
    from countylib.backup import take_backup
    from countylib.circulation import check_out
    from countylib.errors import AuthenticationFailed, CountyLibError
    from countylib.idnumbers import check_id_number
    from countylib.integrity import check
    from countylib.patrons import PatronForm, register_patron
    from tests.circulation_helpers import make_item

    log = logging.getLogger("countylib.session")
    # The peewee query log would carry every value written: it must stay out of the file.
    logging.getLogger("peewee").debug("('INSERT INTO patron ...', ['%s', '%s'])", NAME, PHONE)
    patron = register_patron(library, PatronForm(
        name=NAME, id_type="resident_id", id_number=ID_NUMBER, phone=PHONE, address=ADDRESS, consent=True,
    ))
    log_event(log, "patron.registered", patron=patron.id)
    loan = check_out(library, patron.card_number, make_item(library).barcode).loan
    log_event(log, "loan.checked_out", loan=loan.id, items=1)
    try:
        check_id_number("passport", PASSPORT, dt.date(2026, 11, 21))
    except CountyLibError as exc:
        assert PASSPORT in exc.message  # the message quotes it for the screen...
        log_refusal(log, exc, "patron_form")  # ...the log does not
    with pytest.raises(AuthenticationFailed):
        sign_in(library, "admin", PASSWORD)
    try:
        raise ValueError(f"bad row for {NAME} {PHONE} {ID_NUMBER} at {ADDRESS}")
    except ValueError as exc:
        log_crash(log, exc, "patron_import")  # even a careless exception text is scrubbed
    log.info("careless %s %s", NAME, ID_NUMBER)
    take_backup(db_path, tmp_path / "b")
    check()
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = logfile.read_text(encoding="utf-8")
    for secret in (NAME, ID_NUMBER, PASSPORT, PHONE, PASSWORD, ADDRESS, "北山路"):
        assert secret not in text
    # What happened is there: event types, ids, refusal templates, the crash's kind.
    assert f"patron.registered patron={patron.id}" in text
    assert f"loan={loan.id}" in text and "backup.taken" in text
    assert "kind=ValidationError" in text and "kind=ValueError" in text and "Traceback" in text


def test_redaction_keeps_ids_and_times():
    line = "2026-11-21 10:00:01,123 INFO loan=01a2003e-603f-7000-b4fa-a5efa729c5b5 items=3 mb=12.5"
    assert redact(line) == line
    assert redact("call 138-0013-8000 or 13800138000, id 11010519491231002x, mail a.b@c.cn, 张三") == (
        "call <digits> or <digits>, id <digits>, mail <email>, <text>"
    )
