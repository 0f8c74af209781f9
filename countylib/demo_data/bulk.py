"""Writing millions of rows quickly: raw executemany, indexes and triggers set aside.

The generated rows bypass the services on purpose: they are history that already
happened, not staff actions, so no outbox events and no audit entries are written, and
no per-row ORM work is wanted. Column lists come from the peewee models at run time, so
a column another area adds later is filled with the model's default instead of breaking
the generator (a column the generator cannot fill is reported plainly).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

import peewee as pw

from models.base import PRAGMAS

CHUNK = 20_000


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def insert_sql(model: type[pw.Model], columns: Sequence[str], time_column: str | None = None) -> str:
    """INSERT for the given columns (bound as ?1, ?2 ...); the model's other columns get
    their defaults, and time defaults (created_at ...) repeat ``time_column``."""
    table = model._meta.table_name
    by_column = {f.column_name: f for f in model._meta.sorted_fields}
    unknown = [c for c in columns if c not in by_column]
    if unknown:
        raise RuntimeError(f"demo data writes {table}.{unknown[0]}, which the model no longer has")
    names = list(columns)
    values = [f"?{i}" for i in range(1, len(columns) + 1)]
    for column, field in by_column.items():
        if column in columns or isinstance(field, pw.AutoField):
            continue
        default = field.default
        if callable(default):
            if isinstance(field, pw.DateTimeField | pw.DateField):
                if time_column is None:
                    raise RuntimeError(f"demo data cannot fill {table}.{column} (a time)")
                names.append(column)
                values.append(f"?{list(columns).index(time_column) + 1}")
                continue
            default = default()
        if default is None and not field.null:
            raise RuntimeError(f"demo data cannot fill {table}.{column}")
        names.append(column)
        values.append(_literal(None if default is None else field.db_value(default)))
    quoted = ", ".join('"' + n + '"' for n in names)
    return f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join(values)})'


def insert_row(conn: sqlite3.Connection, model: type[pw.Model], values: dict, time_column: str | None = None) -> None:
    conn.execute(insert_sql(model, list(values), time_column), tuple(values.values()))


class Sink:
    """Rows for one table: tuples in the order of ``columns``, written in chunks."""

    def __init__(self, conn: sqlite3.Connection, model: type[pw.Model], columns: Sequence[str], time_column: str | None):
        self.conn = conn
        self.table = model._meta.table_name
        self.count = 0
        self._rows: list[tuple] = []
        self.sql = insert_sql(model, columns, time_column)

    def add(self, row: tuple) -> None:
        self._rows.append(row)
        if len(self._rows) >= CHUNK:
            self.flush()

    def extend(self, rows: Iterable[tuple]) -> None:
        for row in rows:
            self.add(row)

    def flush(self) -> None:
        if not self._rows:
            return
        self.conn.execute("BEGIN")
        self.conn.executemany(self.sql, self._rows)
        self.conn.execute("COMMIT")
        self.count += len(self._rows)
        self._rows.clear()


class BulkLoad:
    """A loading session on the raw connection: fast pragmas, no secondary indexes, no
    full-text triggers; ``finish`` puts everything back and rebuilds what was set aside."""

    def __init__(self, database: pw.SqliteDatabase, models: Iterable[type[pw.Model]]) -> None:
        self.conn: sqlite3.Connection = database.connection()
        self.sinks: list[Sink] = []
        self._tables = [m._meta.table_name for m in models]
        self._indexes: list[str] = []
        self._triggers: list[str] = []

    def start(self) -> None:
        conn = self.conn
        # Nothing is half-useful here: the file is built under a temporary name and only
        # renamed into place when complete, so a crash needs no journal to recover from.
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -131072")
        marks = ",".join("?" * len(self._tables))
        self._indexes = [
            sql
            for name, sql in conn.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY name",
                self._tables,
            )
        ]
        for (name,) in conn.execute(
            f"SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY name",
            self._tables,
        ).fetchall():
            conn.execute(f'DROP INDEX "{name}"')
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'bib' ORDER BY name"
        ).fetchall()
        self._triggers = [sql for _name, sql in triggers]
        for name, _sql in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')

    def sink(self, model: type[pw.Model], columns: Sequence[str], *, time_column: str | None = None) -> Sink:
        sink = Sink(self.conn, model, columns, time_column)
        self.sinks.append(sink)
        return sink

    def flush_all(self) -> None:
        for sink in self.sinks:
            sink.flush()

    def update(self, sql: str, rows: Sequence[tuple]) -> None:
        self.conn.execute("BEGIN")
        self.conn.executemany(sql, rows)
        self.conn.execute("COMMIT")

    def finish(self) -> None:
        conn = self.conn
        self.flush_all()
        conn.execute("BEGIN")
        for sql in self._indexes:
            conn.execute(sql)
        # The catalogue's full-text index is built once over all records, then the
        # triggers keep it current as staff edit.
        conn.execute("INSERT INTO bib_fts(bib_fts) VALUES ('rebuild')")
        for sql in self._triggers:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA analysis_limit = 1000")
        conn.execute("ANALYZE")
        conn.execute(f"PRAGMA cache_size = {PRAGMAS['cache_size']}")
        conn.execute(f"PRAGMA journal_mode = {PRAGMAS['journal_mode']}")
        conn.execute(f"PRAGMA synchronous = {PRAGMAS['synchronous']}")
        conn.execute(f"PRAGMA foreign_keys = {PRAGMAS['foreign_keys']}")
