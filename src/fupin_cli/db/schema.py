"""The SQLite DDL of the models, as ``sqlite3 FILE .schema`` prints it.

Regenerate ``data/schema.sql`` after changing ``db/models.py``:

    python -m fupin_cli.db.schema > data/schema.sql
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import create_engine

from fupin_cli.db.models import metadata

REGENERATE = "python -m fupin_cli.db.schema > data/schema.sql"


def sqlite_ddl() -> str:
    """Create the schema in a private in-memory database and read back what SQLite stored."""
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        metadata.create_all(conn)
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, sqlite3.Connection)
        return dump(raw)


def statements(conn: sqlite3.Connection) -> list[str]:
    """Every CREATE statement SQLite stored: each table (in creation order) followed by its
    indexes and triggers sorted by name — SQLAlchemy creates indexes in no fixed order."""
    rows = conn.execute(
        "SELECT m.sql FROM sqlite_master AS m "
        "JOIN (SELECT name, rowid AS pos FROM sqlite_master WHERE type = 'table') AS t "
        "ON t.name = m.tbl_name "
        "WHERE m.sql IS NOT NULL AND m.name NOT LIKE 'sqlite_%' "
        "ORDER BY t.pos, m.type <> 'table', m.type, m.name"
    ).fetchall()
    return [sql for (sql,) in rows]


def dump(conn: sqlite3.Connection) -> str:
    return "".join(f"{sql};\n" for sql in statements(conn))


if __name__ == "__main__":
    print(sqlite_ddl(), end="")
