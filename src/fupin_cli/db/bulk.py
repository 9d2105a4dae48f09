"""Bulk writes at county scale: the driver's executemany inside the command's transaction.

SQL is written with ``?`` placeholders (SQLite's); for PostgreSQL (psycopg) they become ``%s``.
This is the fast path DESIGN.md §12 measured (ORM add_all is ~13× slower); it stays inside the
SQLAlchemy connection's transaction, so a failure rolls everything back.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from typing import Any

from sqlalchemy import Connection, text


def executemany(conn: Connection, sql: str, rows: Iterable[Sequence[Any]]) -> int:
    """``sql`` for each of ``rows``; the number of rows the statements changed."""
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return 0
    if conn.dialect.name != "sqlite":
        sql = sql.replace("?", "%s")
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, rows)
        return max(cursor.rowcount, 0)
    finally:
        cursor.close()


ROWS_PER_STATEMENT = 50


class Days(dict):
    """A DATE column's values as the driver gives them — ISO text (SQLite) or a date
    (PostgreSQL) — to dates, each distinct day converted once: ``Days()[value]``."""

    def __missing__(self, value: dt.date | str) -> dt.date:
        self[value] = day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
        return day


def insert_rows(conn: Connection, head: str, rows: Sequence[Sequence[Any]]) -> int:
    """``head`` is ``INSERT INTO t (a, b, …) VALUES``; the rows go in with executemany. On SQLite,
    ROWS_PER_STATEMENT rows a statement: one statement's overhead (reset, constraint set-up)
    for fifty rows instead of one, about a third less time for a county-sized load."""
    if not rows:
        return 0
    one = "(" + ", ".join("?" * len(rows[0])) + ")"
    n = ROWS_PER_STATEMENT if conn.dialect.name == "sqlite" else 1
    whole = len(rows) - len(rows) % n if n > 1 else 0
    if whole:
        executemany(
            conn,
            f"{head} {', '.join([one] * n)}",
            [tuple(chain.from_iterable(rows[i : i + n])) for i in range(0, whole, n)],
        )
    executemany(conn, f"{head} {one}", rows[whole:])
    return len(rows)


def next_id(conn: Connection, table: str) -> int:
    """The next free integer id of ``table`` (the command holds the write lock)."""
    return (conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar() or 0) + 1


def sync_sequence(conn: Connection, table: str) -> None:
    """After inserting explicit ids: PostgreSQL's serial sequence must catch up."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 1)) FROM {table}"
            )
        )


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while a county's rows are held: the collector would walk
    millions of live objects again and again (our bulk work makes no reference cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def selected_ids(conn: Connection, ids: Iterable[int]) -> Iterator[str]:
    """A temporary one-column table of ``ids`` to join against, so that a query over a county
    table reads only the rows it needs (a county has ten times as many people as poor people).
    Yields the table's name; it is emptied afterwards. Put it first in a CROSS JOIN: SQLite then
    walks the ids and uses the big table's index (it has no statistics for a temporary table)."""
    name = "selected_id"
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {name} (id INTEGER PRIMARY KEY)")
    conn.exec_driver_sql(f"DELETE FROM {name}")
    executemany(conn, f"INSERT INTO {name} (id) VALUES (?)", [(i,) for i in ids])
    try:
        yield name
    finally:
        conn.exec_driver_sql(f"DELETE FROM {name}")


@contextmanager
def rebuilt_indexes(conn: Connection, tables: Sequence[str]) -> Iterator[None]:
    """Drop the secondary indexes of ``tables`` for a bulk load and build them again after it,
    inside the caller's transaction (a failure rolls the drop back too). Unique constraints stay."""
    from fupin_cli.db.models import metadata

    indexes = [ix for name in tables for ix in metadata.tables[name].indexes if not ix.unique]
    for ix in indexes:
        ix.drop(conn, checkfirst=True)
    yield
    for ix in indexes:
        ix.create(conn, checkfirst=True)
