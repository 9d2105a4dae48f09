"""The audit trail: one ``batch`` row per run of a write command, in the run's transaction.

A run that changes nothing still leaves its row (zero counts), so the clerk can see that last
night's run happened; a dry run or a crash leaves none, because the transaction is rolled back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, update

from fupin_cli.db.models import Batch

_batch = Batch.__table__  # type: ignore[attr-defined]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass
class BatchRun:
    """An open batch row; ``finish`` records the counts and the outcome."""

    conn: Connection
    id: int
    counts: dict[str, Any] = field(default_factory=dict)

    def finish(self, counts: Mapping[str, Any] | None = None, *, outcome: str = "ok") -> None:
        if counts:
            self.counts.update(counts)
        self.conn.execute(
            update(_batch)
            .where(_batch.c.id == self.id)
            .values(
                counts=json.dumps(self.counts, ensure_ascii=False, sort_keys=True, default=str),
                finished_at=_now(),
                outcome=outcome,
            )
        )


def start_batch(
    conn: Connection,
    command: str,
    *,
    arguments: Mapping[str, Any] | None = None,
    input_file: Path | None = None,
    policy_version: str | None = None,
) -> BatchRun:
    """Insert the run's batch row (inside ``conn``'s transaction) and return it open."""
    args = dict(arguments or {})
    args.setdefault("argv", sys.argv[1:])
    result = conn.execute(
        insert(_batch).values(
            command=command,
            arguments=json.dumps(args, ensure_ascii=False, sort_keys=True, default=str),
            input_file=str(input_file) if input_file else None,
            input_sha256=file_sha256(input_file) if input_file else None,
            policy_version=policy_version,
            counts="{}",
            started_at=_now(),
            outcome="running",
        )
    )
    return BatchRun(conn=conn, id=result.inserted_primary_key[0])
