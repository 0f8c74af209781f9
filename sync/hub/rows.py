"""The rows one push batch reads and writes: read in bulk, changed in memory, written once.

A batch of 500 events used to cost ~1400 statements (a lookup and an upsert or two per
event), which on PostgreSQL is mostly round trips. :class:`Rows` is the batch's view of the
projection tables instead:

- an identity map: a row is one Python object for the whole batch, whichever way it was
  found, so what one event changed is what the next event sees;
- lookups by key or by an indexed column (an item's barcode, a loan's item) answered from
  memory once the batch's rows were read in bulk (:meth:`prefetch`) — including "there is
  none", because every row the batch creates is registered here as it is made;
- write-behind: changed rows wait in :attr:`pending` and go out with one ``executemany`` per
  table at the end of the batch, or before any query that must ask the database (so a
  query never misses a change the batch made).

Everything runs inside the push transaction that holds the hub-wide lock, so no other hub
process changes these tables meanwhile: memory and database cannot drift apart. SQL strings
are built once per shape (peewee building them costs more than the database work).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import peewee as pw

from sync.hub.storage import ItemRow, LoanRow, ParkedReturn, PatronRow, hub_db

# How many values go into one IN (...) list.
CHUNK = 500
# Columns besides the primary key that the fold looks rows up by.
LOOKUPS: dict[type, tuple[str, ...]] = {
    ItemRow: ("barcode",),
    PatronRow: ("card_number", "id_number_hash"),
    LoanRow: ("item_id",),
    ParkedReturn: ("item_id",),
}


class Rows:
    def __init__(self) -> None:
        self.param = hub_db.obj.param
        self._sql: dict[tuple, str] = {}
        # model -> column -> value -> {pk: row}; the primary key is one of the columns.
        self._index: dict[type, dict[str, dict[Any, dict[Any, pw.Model]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(dict))
        )
        # (model, column) -> values whose every row is in the index (read in bulk, or made here).
        self._complete: dict[tuple[type, str], set[Any]] = defaultdict(set)
        self.pending: dict[tuple[type, Any], pw.Model] = {}
        self.deferred: list[Callable[[], Any]] = []  # other writes (parked returns), in order
        self.statements = 0
        # While an event is folded: every row it looked at, as it was before (None: made by it).
        self.journal: dict[int, tuple[pw.Model, dict[str, Any] | None]] | None = None

    # -- identity map ---------------------------------------------------------------------

    @staticmethod
    def _columns(model: type[pw.Model]) -> list[str]:
        return [model._meta.primary_key.name, *LOOKUPS.get(model, ())]

    def register(self, row: pw.Model) -> pw.Model:
        """Make ``row`` the one object for its key, findable by its current column values."""
        model = type(row)
        if self.journal is not None:
            self.journal.setdefault(id(row), (row, None))
        index = self._index[model]
        for column in self._columns(model):
            index[column][getattr(row, column)][row._pk] = row
        return row

    def forget(self, row: pw.Model) -> None:
        """A row made by an event that failed (or a parked return deleted): it does not exist."""
        model = type(row)
        for column in self._columns(model):
            bucket = self._index[model][column].get(getattr(row, column))
            if bucket is not None and bucket.get(row._pk) is row:
                del bucket[row._pk]
        self.pending.pop((model, row._pk), None)

    def _live(self, model: type[pw.Model], row: pw.Model) -> bool:
        return self._index[model][model._meta.primary_key.name].get(row._pk, {}).get(row._pk) is row

    def known(self, model: type[pw.Model], column: str, value: Any) -> list[pw.Model] | None:
        """Rows whose ``column`` is ``value`` now, if memory knows all of them; else None."""
        if value not in self._complete[(model, column)]:
            return None
        return self.in_memory(model, column, value)

    def in_memory(self, model: type[pw.Model], column: str, value: Any) -> list[pw.Model]:
        """The rows in memory whose ``column`` is ``value`` now (the caller knows that suffices)."""
        rows = [r for r in self._index[model][column].get(value, {}).values()
                if getattr(r, column) == value and self._live(model, r)]
        self._seen(rows)
        return rows

    def _seen(self, rows: list[pw.Model]) -> None:
        if self.journal is not None:
            for row in rows:
                if id(row) not in self.journal:
                    self.journal[id(row)] = (row, dict(row.__data__))

    def undo(self) -> None:
        """Put every row the failed event looked at back as it was; forget the rows it made."""
        journal, self.journal = self.journal or {}, None
        for row, data in journal.values():
            if data is None:
                self.forget(row)
                continue
            row.__data__ = data
            row.__dict__.pop("_state", None)
            self.register(row)
            # It may have been written half-changed before a query: write it again as it was.
            self.save_later(row)

    def made(self, model: type[pw.Model], column: str, value: Any) -> None:
        """Every row with this value is in memory from now on (e.g. the batch created the key)."""
        self._complete[(model, column)].add(value)

    def get(self, model: type[pw.Model], pk: Any) -> pw.Model | None:
        found = self.find(model, model._meta.primary_key.name, pk)
        return found[0] if found else None

    def find(self, model: type[pw.Model], column: str, value: Any) -> list[pw.Model]:
        """Every row whose ``column`` is ``value``: from memory, or read once and then remembered."""
        rows = self.known(model, column, value)
        if rows is None:
            self.prefetch(model, column, [value])
            rows = self.known(model, column, value) or []
        return rows

    # -- reading ----------------------------------------------------------------------------

    def prefetch(self, model: type[pw.Model], column: str, values: Iterable[Any], extra: str = "") -> None:
        """Read every row whose ``column`` is one of ``values`` (and ``extra``) in one go."""
        todo = sorted({v for v in values if v not in self._complete[(model, column)]})
        if not todo:
            return
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start : start + CHUNK]
            where = f"{column} IN ({', '.join(['{p}'] * len(chunk))}){extra}"
            self.select(model, where, chunk)
        if not extra:
            self._complete[(model, column)].update(todo)

    def select(
        self, model: type[pw.Model], where: str, params: list[Any], tail: str = "", tail_params: list[Any] = ()
    ) -> list[pw.Model]:
        """Rows of ``model`` where ``where`` (columns by name, ``{p}`` for each parameter).

        Pending changes are written first, so the database answers about the batch's state;
        a row already in memory is returned as that same object."""
        key = ("select", model, where, tail)
        sql = self._sql.get(key)
        fields = model._meta.sorted_fields
        if sql is None:
            columns = ", ".join(f.column_name for f in fields)
            sql = (
                f"SELECT {columns} FROM {model._meta.table_name} WHERE {where.format(p=self.param)} "
                f"{tail.format(p=self.param)}"
            )
            self._sql[key] = sql
        found = []
        pk_index = self._index[model][model._meta.primary_key.name]
        for values in self.execute(sql, [*params, *tail_params]).fetchall():
            data = {f.name: f.python_value(v) for f, v in zip(fields, values)}
            pk = data[model._meta.primary_key.name]
            row = pk_index.get(pk, {}).get(pk)
            if row is None:
                row = model(__no_default__=True)
                row.__data__ = data
                self._seen([row])
                self.register(row)
            else:
                self._seen([row])
            found.append(row)
        return found

    def one(
        self, model: type[pw.Model], where: str, params: list[Any], tail: str = "", tail_params: list[Any] = ()
    ) -> pw.Model | None:
        rows = self.select(model, where, params, tail + " LIMIT 1", tail_params)
        return rows[0] if rows else None

    def execute(self, sql: str, params: list[Any] = ()) -> Any:
        """Any query of the batch's tables: after the pending writes."""
        self.write()
        self.statements += 1
        return hub_db.execute_sql(sql, params)

    # -- writing ----------------------------------------------------------------------------

    def save_later(self, row: pw.Model) -> None:
        self.pending[(type(row), row._pk)] = row

    def write(self) -> None:
        """Send the pending rows (one executemany per table) and the deferred writes."""
        if self.pending:
            by_model: dict[type, list[pw.Model]] = defaultdict(list)
            for (model, _), row in self.pending.items():
                by_model[model].append(row)
            self.pending = {}
            for model, rows in by_model.items():
                fields = model._meta.sorted_fields
                self._many(self._upsert_sql(model),
                           [[f.db_value(row.__data__.get(f.name)) for f in fields] for row in rows])
        operations, self.deferred = self.deferred, []
        for operation in operations:
            self.statements += 1
            operation()

    def _upsert_sql(self, model: type[pw.Model]) -> str:
        key = ("save", model)
        sql = self._sql.get(key)
        if sql is None:
            pk = model._meta.primary_key
            columns = [f.column_name for f in model._meta.sorted_fields]
            updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != pk.column_name)
            sql = (
                f"INSERT INTO {model._meta.table_name} ({', '.join(columns)}) "
                f"VALUES ({', '.join([self.param] * len(columns))}) "
                f"ON CONFLICT ({pk.column_name}) DO UPDATE SET {updates}"
            )
            self._sql[key] = sql
        return sql

    def insert_many(self, model: type[pw.Model], rows: list[dict[str, Any]]) -> None:
        """Plain INSERTs of many rows in one call (the event log of a batch)."""
        if not rows:
            return
        fields = model._meta.sorted_fields
        key = ("insert", model)
        sql = self._sql.get(key)
        if sql is None:
            columns = ", ".join(f.column_name for f in fields)
            sql = f"INSERT INTO {model._meta.table_name} ({columns}) VALUES ({', '.join([self.param] * len(fields))})"
            self._sql[key] = sql
        self._many(sql, [[f.db_value(row.get(f.name, f.default)) for f in fields] for row in rows])

    def _many(self, sql: str, values: list[list[Any]]) -> None:
        self.statements += 1
        hub_db.cursor().executemany(sql, values)
