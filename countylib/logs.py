"""The program's log file: what happened, for whoever fixes a problem — never who it happened to.

A rotating file ``countylib.log`` in the platformdirs log folder (1 MB × 5). Lines name
event types, ids, counts and error classes; never readers' names, ID numbers, phones,
addresses or passwords. Two habits keep it so:

- code logs message *templates* and ids (``log_refusal`` logs a refusal's msgid, not its
  formatted text, which may quote what staff typed);
- the formatter redacts anything that still looks personal — runs of 7+ digits (phones,
  ID numbers, card numbers; so sizes are logged in MB), Chinese characters (names, addresses) and e-mail addresses —
  from every line, tracebacks included. peewee's query log (which carries the values of
  every query) is held at WARNING whatever the level.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

from countylib.paths import log_dir

LOG_NAME = "countylib.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

_REDACTIONS = [
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "<email>"),
    # Phones written in groups (138-0013-8000), then any other run of 7+ digits (ID and
    # card numbers). Parts of UUIDs (our ids, not people's) are joined by '-' and stay.
    (re.compile(r"(?<![\w-])1\d{2}[\s-]\d{4}[\s-]\d{4}(?![\w-])"), "<digits>"),
    (re.compile(r"(?<![\w-])\d{6,}[\dXx](?![\w-])"), "<digits>"),
    (re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+"), "<text>"),
]
# Loggers whose messages carry values (SQL parameters): never below WARNING in the file.
_VALUE_LOGGERS = ("peewee",)


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(level: int = logging.INFO, folder: Path | None = None) -> Path:
    """Send the program's logging to the rotating file; returns its path. Safe to call twice."""
    folder = folder or log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_NAME
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.handlers.RotatingFileHandler) and isinstance(handler.formatter, RedactingFormatter):
            if Path(handler.baseFilename) == path.resolve():
                return path
            # One log file per process: a new data folder (tests, --db elsewhere) moves it.
            root.removeHandler(handler)
            handler.close()
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8")
    handler.setFormatter(RedactingFormatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    for name in _VALUE_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return path


def log_refusal(logger: logging.Logger, exc: Exception, where: str) -> None:
    """A refusal shown to staff: its kind and message template, never the text it quotes."""
    msgid = getattr(exc, "msgid", None)
    logger.info("refused where=%s kind=%s msgid=%r", where, type(exc).__name__, msgid if msgid else "-")


def log_crash(logger: logging.Logger, exc: BaseException, where: str) -> None:
    """An unexpected failure: the traceback (redacted by the formatter), for fixing it."""
    logger.error("crash where=%s kind=%s", where, type(exc).__name__, exc_info=exc)


def log_event(logger: logging.Logger, event_type: str, **ids: object) -> None:
    """Something done: its type and ids/counts, e.g. ``log_event(log, "loan.checked_out", loan=..)``."""
    logger.info("%s %s", event_type, " ".join(f"{k}={v}" for k, v in ids.items()))
