"""Reading and writing projection rows on the fold's hot path, with SQL built once.

peewee builds each query's SQL anew; in the fold that costs more than the database work
itself (a push of 10k events makes ~50k small lookups and writes). These helpers keep one
SQL string per (table, condition) and convert values with the models' own field
conversions, so rows read here are ordinary model instances.
"""

from __future__ import annotations

from typing import Any

import peewee as pw

from sync.hub.storage import hub_db


class Rows:
    def __init__(self) -> None:
        self.param = hub_db.obj.param
        self._sql: dict[tuple, str] = {}

    def select(
        self, model: type[pw.Model], where: str, params: list[Any], tail: str = "", tail_params: list[Any] = ()
    ) -> list[pw.Model]:
        """Rows of ``model`` where ``where`` (columns by name, ``{p}`` for each parameter)."""
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
        for values in hub_db.execute_sql(sql, [*params, *tail_params]).fetchall():
            row = model(__no_default__=True)
            row.__data__ = {f.name: f.python_value(v) for f, v in zip(fields, values)}
            found.append(row)
        return found

    def one(
        self, model: type[pw.Model], where: str, params: list[Any], tail: str = "", tail_params: list[Any] = ()
    ) -> pw.Model | None:
        rows = self.select(model, where, params, tail + " LIMIT 1", tail_params)
        return rows[0] if rows else None

    def save(self, row: pw.Model) -> None:
        """Insert or replace the row by its primary key (one statement either way)."""
        model = type(row)
        key = ("save", model)
        sql = self._sql.get(key)
        fields = model._meta.sorted_fields
        if sql is None:
            pk = model._meta.primary_key
            columns = [f.column_name for f in fields]
            updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != pk.column_name)
            sql = (
                f"INSERT INTO {model._meta.table_name} ({', '.join(columns)}) "
                f"VALUES ({', '.join([self.param] * len(columns))}) "
                f"ON CONFLICT ({pk.column_name}) DO UPDATE SET {updates}"
            )
            self._sql[key] = sql
        hub_db.execute_sql(sql, [f.db_value(row.__data__.get(f.name)) for f in fields])

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
        values = [[f.db_value(row.get(f.name, f.default)) for f in fields] for row in rows]
        cursor = hub_db.cursor()
        cursor.executemany(sql, values)
