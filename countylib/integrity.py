"""Is the database whole? SQLite's own checks plus the library's invariants.

- ``PRAGMA integrity_check`` (or ``quick_check``) and ``foreign_key_check``;
- every item on loan has exactly one open loan, and no other item has one — except a
  copy declared lost, whose loan stays open on purpose (the reader still owes it);
- the outbox's seq is gapless in every epoch, and the current epoch's runs up to
  ``next_seq - 1`` (acknowledged events may have been pruned from the start, never the middle);
- the catalogue's full-text index agrees with the bib table (FTS5 'integrity-check');
  when it does not, it is rebuilt from the table (it holds nothing else) and that is reported.

Problems are listed with examples (ids and barcodes, never readers' details).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import peewee as pw

from countylib.i18n import N_, _, join_list, ngettext
from models.base import db as default_db

EXAMPLES = 10  # rows named per problem
LOAN_STATUSES_WITH_OPEN_LOAN = ("on_loan", "lost")


@dataclass(frozen=True)
class Problem:
    check: str  # integrity | foreign_keys | loans | outbox | search_index
    msgid: str
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        text = _(self.msgid)
        return text.format(**self.params) if self.params else text


@dataclass
class CheckReport:
    problems: list[Problem] = field(default_factory=list)
    repaired: list[Problem] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # what ran
    items_on_loan: int = 0
    open_loans: int = 0
    events: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        if self.ok:
            text = _("Database OK ({checks}): {loans} books on loan; {events} changes in the log kept for the central library.").format(
                checks=join_list(self.checks), loans=self.open_loans, events=self.events
            )
        else:
            text = ngettext("{n} problem found: {first}", "{n} problems found; the first: {first}", len(self.problems)).format(
                n=len(self.problems), first=self.problems[0].message
            )
        if self.repaired:
            text += " " + " ".join(p.message for p in self.repaired)
        return text


def _rows(database: pw.SqliteDatabase, sql: str, params: tuple = ()) -> list[tuple]:
    return list(database.execute_sql(sql, params).fetchall())


def _has_table(database: pw.SqliteDatabase, name: str) -> bool:
    return bool(_rows(database, "SELECT 1 FROM sqlite_master WHERE name = ?", (name,)))


def _examples(values) -> str:
    values = [str(v) for v in values]
    more = len(values) - EXAMPLES
    text = ", ".join(values[:EXAMPLES])
    return text + (f" (+{more})" if more > 0 else "")


def check_sqlite(database: pw.SqliteDatabase, report: CheckReport, *, quick: bool) -> None:
    pragma = "quick_check" if quick else "integrity_check"
    result = [r[0] for r in _rows(database, f"PRAGMA {pragma}")]
    report.checks.append(_("quick check") if quick else _("integrity"))
    if result != ["ok"]:
        report.problems.append(Problem("integrity", N_("SQLite reports damage: {detail}"), {"detail": _examples(result)}))
        return
    fk = _rows(database, "PRAGMA foreign_key_check")
    report.checks.append(_("foreign keys"))
    if fk:
        tables = sorted({f"{r[0]}→{r[2]}" for r in fk})
        report.problems.append(
            Problem(
                "foreign_keys",
                N_("{n} rows point at rows that do not exist ({tables})."),
                {"n": len(fk), "tables": _examples(tables)},
            )
        )


def check_loans(database: pw.SqliteDatabase, report: CheckReport) -> None:
    report.checks.append(_("loans"))
    report.items_on_loan = _rows(database, "SELECT count(*) FROM item WHERE status = 'on_loan'")[0][0]
    report.open_loans = _rows(database, "SELECT count(*) FROM loan WHERE checked_in_at IS NULL")[0][0]
    wrong_count = _rows(
        database,
        """SELECT i.barcode, count(l.id) FROM item i
           LEFT JOIN loan l ON l.item_id = i.id AND l.checked_in_at IS NULL
           WHERE i.status = 'on_loan' GROUP BY i.id HAVING count(l.id) != 1 ORDER BY i.barcode""",
    )
    if wrong_count:
        report.problems.append(
            Problem(
                "loans",
                N_("{n} items are marked on loan without exactly one open loan: {items}"),
                {"n": len(wrong_count), "items": _examples(f"{b} ({n})" for b, n in wrong_count)},
            )
        )
    marks = ", ".join("?" * len(LOAN_STATUSES_WITH_OPEN_LOAN))
    stray = _rows(
        database,
        f"""SELECT DISTINCT i.barcode, i.status FROM loan l JOIN item i ON i.id = l.item_id
            WHERE l.checked_in_at IS NULL AND i.status NOT IN ({marks}) ORDER BY i.barcode""",
        LOAN_STATUSES_WITH_OPEN_LOAN,
    )
    if stray:
        report.problems.append(
            Problem(
                "loans",
                N_("{n} items have an open loan but are not on loan: {items}"),
                {"n": len(stray), "items": _examples(f"{b} ({s})" for b, s in stray)},
            )
        )
    doubled = _rows(
        database,
        """SELECT i.barcode FROM loan l JOIN item i ON i.id = l.item_id WHERE l.checked_in_at IS NULL
           AND i.status != 'on_loan' GROUP BY l.item_id HAVING count(*) > 1 ORDER BY i.barcode""",
    )
    if doubled:
        report.problems.append(
            Problem(
                "loans",
                N_("{n} items have more than one open loan: {items}"),
                {"n": len(doubled), "items": _examples(b for (b,) in doubled)},
            )
        )


def check_outbox(database: pw.SqliteDatabase, report: CheckReport) -> None:
    report.checks.append(_("sync outbox"))
    epochs = _rows(database, "SELECT epoch, min(seq), max(seq), count(*) FROM outbox GROUP BY epoch")
    report.events = sum(e[3] for e in epochs)
    for epoch, low, high, count in epochs:
        if high - low + 1 != count or low < 1:
            report.problems.append(
                Problem(
                    "outbox",
                    N_("Sync epoch {epoch} has gaps in its sequence: {count} events numbered {low} to {high}."),
                    {"epoch": epoch, "count": count, "low": low, "high": high},
                )
            )
    state = _rows(database, "SELECT epoch, next_seq FROM sync_state WHERE id = 1")
    if not state:
        report.problems.append(Problem("outbox", N_("This database has no sync identity (sync_state is empty).")))
        return
    epoch, next_seq = state[0]
    current = next((e for e in epochs if e[0] == epoch), None)
    if current is not None and current[2] != next_seq - 1:
        report.problems.append(
            Problem(
                "outbox",
                N_("The next sync sequence number is {next_seq}, but the last event of this epoch has {high}."),
                {"next_seq": next_seq, "high": current[2]},
            )
        )
    stale = _rows(database, "SELECT count(*) FROM outbox WHERE acked_at IS NULL AND epoch != ?", (epoch,))[0][0]
    if stale:
        # Not damage: the sync client renumbers them into a new epoch before its next push.
        report.checks.append(_("{n} unsent events of an older epoch").format(n=stale))


def check_search_index(database: pw.SqliteDatabase, report: CheckReport, *, repair: bool) -> None:
    if not _has_table(database, "bib_fts"):
        return
    report.checks.append(_("search index"))
    try:
        with database.atomic():
            database.execute_sql("INSERT INTO bib_fts(bib_fts, rank) VALUES ('integrity-check', 1)")
        return
    except (pw.DatabaseError, pw.OperationalError) as exc:
        text = str(exc).lower()
        if "readonly" in text or "read-only" in text:
            report.checks[-1] = _("search index (not checked: read-only)")
            return
    if not repair:
        report.problems.append(Problem("search_index", N_("The catalogue search index disagrees with the catalogue.")))
        return
    with database.atomic():
        database.execute_sql("INSERT INTO bib_fts(bib_fts) VALUES ('rebuild')")
    report.repaired.append(Problem("search_index", N_("The catalogue search index was out of step and has been rebuilt.")))


def check(database: pw.SqliteDatabase | None = None, *, quick: bool = False, repair: bool = True) -> CheckReport:
    """Run every check on an open database; ``quick`` uses quick_check for the SQLite part."""
    database = database or default_db
    report = CheckReport()
    try:
        check_sqlite(database, report, quick=quick)
        if any(p.check == "integrity" for p in report.problems):
            return report  # the rest would read a damaged file: restore a backup first
        check_loans(database, report)
        check_outbox(database, report)
        check_search_index(database, report, repair=repair)
    except pw.DatabaseError as exc:  # damage the quick check did not reach
        report.problems.append(Problem("integrity", N_("SQLite reports damage: {detail}"), {"detail": str(exc)}))
    return report
