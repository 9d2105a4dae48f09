"""fupin fund verify: the ledger's triggers, its hash chain, and the seals recorded or printed.

The first problem found is the one named: a missing trigger, then the first entry whose content
or link does not match, then a seal a writing batch recorded that the chain no longer reaches
(entries removed from its end), then the seal given with --seal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fupin_cli.core.ledger_chain import Break, seal_position
from fupin_cli.db.engine import Database
from fupin_cli.db.ledger_seal import missing_triggers, recorded_seals, walk_ledger


@dataclass
class VerifyResult:
    entries: int
    seal: str  # the chain's own head, recomputed
    missing_triggers: list[str] = field(default_factory=list)
    broken: Break | None = None
    problems: list[str] = field(default_factory=list)  # every problem, first first
    given_seal: str | None = None
    given_position: int | None = None  # entries the ledger had when the given seal was its head

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "seal": self.seal,
            "missing_triggers": self.missing_triggers,
            "broken": None
            if self.broken is None
            else {
                "position": self.broken.position,
                "id": self.broken.id,
                "doc_no": self.broken.doc_no,
                "why": self.broken.why,
            },
            "given_seal": self.given_seal,
            "given_position": self.given_position,
            "problems": self.problems,
        }


def verify(db: Database, *, seal: str | None = None) -> VerifyResult:
    with db.reading() as conn:
        missing = missing_triggers(conn)
        walked = walk_ledger(conn)
        recorded = recorded_seals(conn)
    result = VerifyResult(walked.entries, walked.seal, missing, walked.broken, given_seal=seal)
    if missing:
        result.problems.append(
            f"the ledger's trigger(s) {', '.join(missing)} are missing or disabled: entries "
            "could be changed or deleted (any fupin write puts them back)"
        )
    if walked.broken is not None:
        result.problems.append(walked.broken.describe())
    for r in recorded:
        where = f"batch {r.batch_id} ({r.command}, {r.finished_at or 'unfinished'})"
        if r.entries > walked.entries:
            result.problems.append(
                f"{where} left {r.entries} entries sealed {r.seal}; the ledger now holds "
                f"{walked.entries}: entries were removed from its end"
            )
            break
        if walked.seal_after(r.entries) != r.seal:
            result.problems.append(
                f"{where} left the seal {r.seal} after {r.entries} entries; the chain does not "
                "reach it there: entries up to it were changed, removed or put in"
            )
            break
    if seal is not None:
        result.given_position = seal_position(walked, seal)
        if result.given_position is None:
            result.problems.append(
                f"the seal given, {seal}, is not in this ledger's chain: an entry up to it was "
                "changed or removed since it was printed"
            )
    return result
