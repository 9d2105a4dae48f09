"""What the three assign imports (cadres, teams, visits) share: the run, the result, helpers.

Every import reads its file before anything is written (an unreadable file is exit 2 and
nothing written), checks row by row (a faulty row is rejected with its reason and goes to the
error workbook), and writes the good rows in one transaction with its batch row. Re-importing the
same file changes nothing but ``batch``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from fupin_cli.db.audit import start_batch
from fupin_cli.db.engine import Database, before_commit
from fupin_cli.io.errors_file import ErrorFile, Rejected, default_errors_path
from fupin_cli.io.sheets import Spec, Table, open_table
from fupin_cli.jobs.assign_queries import execute, fetch, insert_id
from fupin_cli.jobs.rows import RowFault


@dataclass
class ImportOptions:
    path: Path
    dry_run: bool = False
    errors: Path | None = None
    sheet: str | None = None
    encoding: str | None = None


@dataclass
class ImportResult:
    rows_read: int = 0
    rows_rejected: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors_file: str | None = None
    dry_run: bool = False
    extra: dict[str, int] = field(default_factory=dict)  # per-import counts (units_created …)
    rejected: list[Rejected] = field(default_factory=list, repr=False)
    ignored: str | None = None  # the warning naming the columns no field claims
    command: str = ""  # the command that imports the file (and its corrected error workbook)

    @property
    def problems(self) -> bool:
        return bool(self.rows_rejected)

    def reject(self, row: int, cells: Sequence[Any], fault: RowFault) -> None:
        self.rows_rejected += 1
        self.rejected.append(fault.rejected(row, cells))

    def count(self, key: str, n: int = 1) -> None:
        self.extra[key] = self.extra.get(key, 0) + n

    def sort(
        self,
        found: tuple[int, tuple] | None,
        key: tuple,
        values: tuple,
        batch_id: int,
        inserts: list[tuple],
        updates: list[tuple],
    ) -> None:
        """A row known by its natural ``key``, with the stored (id, values) ``found`` for it: new
        → ``(*key, *values, batch_id)`` to insert; changed → ``(*values, batch_id, id)`` to
        update; the same → counted unchanged."""
        if found is None:
            inserts.append((*key, *values, batch_id))
            self.created += 1
        elif found[1] == values:
            self.unchanged += 1
        else:
            updates.append((*values, batch_id, found[0]))
            self.updated += 1

    def summary(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "rows_rejected": self.rows_rejected,
            "errors_file": self.errors_file,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            **self.extra,
            "dry_run": self.dry_run,
        }


Importer = Callable[[Connection, Table, int, ImportResult], None]


def run_import(
    db: Database,
    opts: ImportOptions,
    *,
    command: str,
    spec: Spec,
    importer: Importer,
    check_header: Callable[[Table], None] | None = None,
    policy_version: str | None = None,
) -> ImportResult:
    """Open the file, import it in one transaction with a batch row, write the error workbook."""
    table = open_table(opts.path, spec, sheet=opts.sheet, encoding=opts.encoding)
    if check_header is not None:
        check_header(table)
    result = ImportResult(dry_run=opts.dry_run, ignored=table.ignored(), command=command)
    errors = ErrorFile(opts.errors or default_errors_path(opts.path), opts.path)
    with errors, db.transaction(dry_run=opts.dry_run) as conn:
        batch = start_batch(
            conn,
            command,
            input_file=opts.path,
            arguments={"file": opts.path, "sheet": opts.sheet, "errors": opts.errors},
            policy_version=policy_version,
        )
        importer(conn, table, batch.id, result)
        result.errors_file = errors.stage(table.headers, result.rejected)
        before_commit(conn, errors.publish)
        counts = result.summary()
        counts.pop("dry_run")
        batch.finish(counts, outcome="data_problems" if result.problems else "ok")
    return result


# -- helpers ----------------------------------------------------------------------------------


_LIST_SEPARATORS = re.compile(r"[、,，;；]")


def split_names(value: str) -> list[str]:
    """后盾单位 as written: several names separated by 、 , ， (or ;). Order kept, repeats dropped."""
    out: list[str] = []
    for part in _LIST_SEPARATORS.split(value):
        name = " ".join(part.split())
        if name and name not in out:
            out.append(name)
    return out


class Units:
    """Units (单位/企业) by name, created on first use."""

    def __init__(self, conn: Connection, result: ImportResult) -> None:
        self.conn, self.result = conn, result
        self.by_name: dict[str, int] = {}
        self.by_code: dict[str, int] = {}
        self.rows: dict[int, tuple[str, str, str | None]] = {}  # id -> (name, kind, credit code)
        for uid, name, kind, code in fetch(conn, "SELECT id, name, kind, credit_code FROM unit"):
            self._remember(uid, name, kind, code)

    def _remember(self, uid: int, name: str, kind: str, code: str | None) -> None:
        self.by_name[name] = uid
        self.rows[uid] = (name, kind, code)
        if code:
            self.by_code[code] = uid

    def id(self, name: str, *, kind: str = "单位", code: str | None = None) -> int:
        uid = self.by_name.get(name)
        if uid is None:
            uid = insert_id(
                self.conn,
                "INSERT INTO unit (name, kind, credit_code) VALUES (?, ?, ?)",
                (name, kind, code),
            )
            self._remember(uid, name, kind, code)
            self.result.count("units_created")
        return uid

    def update(self, uid: int, *, kind: str, code: str | None) -> None:
        name, old_kind, old_code = self.rows[uid]
        if (old_kind, old_code) == (kind, code):
            return
        execute(
            self.conn, "UPDATE unit SET kind = ?, credit_code = ? WHERE id = ?", (kind, code, uid)
        )
        self._remember(uid, name, kind, code)
