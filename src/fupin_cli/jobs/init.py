"""Create or upgrade a register and record the run."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import inspect

from fupin_cli.db.audit import start_batch
from fupin_cli.db.engine import open_database
from fupin_cli.db.models import SCHEMA_VERSION


@dataclass
class InitResult:
    database: str
    schema_version: int
    previous_version: int
    tables: list[str]


def run(target: str, *, journal: str = "wal") -> InitResult:
    db = open_database(target, journal=journal)
    try:
        with db.transaction() as conn:
            start_batch(conn, "init").finish(
                {"previous_version": db.previous_version, "schema_version": SCHEMA_VERSION}
            )
            tables = sorted(inspect(conn).get_table_names())
        return InitResult(db.label, SCHEMA_VERSION, db.previous_version, tables)
    finally:
        db.dispose()
