"""The ledger's guards in the database: its append-only triggers and its hash chain.

The triggers refuse UPDATE and DELETE of a fund entry (and REPLACE, which SQLite runs as a
DELETE once ``recursive_triggers`` is on — every connection fupin opens sets it). A trigger
dropped (or, on PostgreSQL, disabled) behind fupin's back is found by ``missing_triggers`` and put
back by every write. The chain (``core.ledger_chain``) is computed by fupin as it appends, and
each writing batch records the ledger's size and seal after it, so ``fupin fund verify`` can
tell a changed, removed or cut-off entry.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from fupin_cli.core.ledger_chain import FIELDS, GENESIS, Walk, chain, walk
from fupin_cli.db.models import APPEND_ONLY_DDL, LEDGER_TRIGGERS

_SELECT_CHAIN = f"SELECT id, prev_hash, entry_hash, {', '.join(FIELDS)} FROM fund_entry ORDER BY id"


def missing_triggers(conn: Connection) -> list[str]:
    """The ledger's triggers that are not there (or, on PostgreSQL, not enabled)."""
    dialect = conn.dialect.name
    if dialect == "sqlite":
        found = {
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'fund_entry'"
            )
        }
    elif dialect == "postgresql":
        found = {
            r[0]
            for r in conn.execute(
                text(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = 'fund_entry'::regclass "
                    "AND NOT tgisinternal AND tgenabled <> 'D'"
                )
            )
        }
    else:
        return []
    return [name for name in LEDGER_TRIGGERS.get(dialect, ()) if name not in found]


def restore_triggers(conn: Connection) -> list[str]:
    """Put back the ledger's missing triggers; returns the names that were missing."""
    missing = missing_triggers(conn)
    if missing:
        for sql in APPEND_ONLY_DDL.get(conn.dialect.name, ()):
            conn.exec_driver_sql(sql)
        if conn.dialect.name == "postgresql":
            for name in missing:
                conn.exec_driver_sql(f"ALTER TABLE fund_entry ENABLE TRIGGER {name}")
    return missing


def head(conn: Connection) -> str:
    """The seal: the last entry's hash (``GENESIS`` for an empty ledger). On PostgreSQL the
    ledger is locked against other writers first, so that two runs never append to one head."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE fund_entry IN SHARE ROW EXCLUSIVE MODE")
    return current_seal(conn)


def current_seal(conn: Connection) -> str:
    """The seal as stored (the last entry's hash), for printing beside figures; no lock taken."""
    last = conn.exec_driver_sql(
        "SELECT entry_hash FROM fund_entry ORDER BY id DESC LIMIT 1"
    ).scalar()
    return last or GENESIS


def link_columns(prev_hash: str, columns: Sequence[list[Any]]) -> tuple[list[str], list[str]]:
    """The (prev_hash, entry_hash) columns of new entries given column by column in ``FIELDS``
    order, appended after ``prev_hash``."""
    pairs = chain(prev_hash, zip(*columns, strict=True))
    return [p for p, _ in pairs], [h for _, h in pairs]


def record_seal(conn: Connection, batch_id: int) -> None:
    """The ledger's size and seal after this batch's entries, in its batch row."""
    entries = conn.exec_driver_sql("SELECT count(*) FROM fund_entry").scalar()
    conn.execute(
        text("UPDATE batch SET ledger_entries = :n, ledger_seal = :seal WHERE id = :id"),
        {"n": entries, "seal": current_seal(conn), "id": batch_id},
    )


def _rows(conn: Connection) -> Iterator[tuple[int, str | None, str | None, tuple]]:
    for r in conn.exec_driver_sql(_SELECT_CHAIN):
        yield r[0], r[1], r[2], tuple(r[3:])


def walk_ledger(conn: Connection) -> Walk:
    return walk(_rows(conn))


def seal_unsealed(conn: Connection) -> int:
    """Compute the chain for entries stored without it (a register from before schema v5), once:
    the update triggers are lifted for the upgrade's own transaction and put back. Returns the
    number of entries sealed."""
    rows = list(_rows(conn))
    if not rows or all(r[2] is not None for r in rows):
        return 0
    prev = GENESIS
    updates = []
    for rid, _p, _h, values in rows:
        ((p, h),) = chain(prev, [values])
        updates.append({"p": p, "h": h, "id": rid})
        prev = h
    _lift_triggers(conn)
    conn.execute(
        text("UPDATE fund_entry SET prev_hash = :p, entry_hash = :h WHERE id = :id"), updates
    )
    for sql in APPEND_ONLY_DDL.get(conn.dialect.name, ()):
        conn.exec_driver_sql(sql)
    return len(rows)


def _lift_triggers(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for name in LEDGER_TRIGGERS["sqlite"]:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    elif conn.dialect.name == "postgresql":
        for name in LEDGER_TRIGGERS["postgresql"]:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON fund_entry")


@dataclass(frozen=True)
class RecordedSeal:
    """A seal a writing batch recorded: the ledger's size and head after it."""

    batch_id: int
    command: str
    finished_at: str | None
    entries: int
    seal: str


def recorded_seals(conn: Connection) -> list[RecordedSeal]:
    return [
        RecordedSeal(*r)
        for r in conn.exec_driver_sql(
            "SELECT id, command, finished_at, ledger_entries, ledger_seal FROM batch "
            "WHERE ledger_seal IS NOT NULL ORDER BY id"
        )
    ]
