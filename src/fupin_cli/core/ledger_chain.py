"""The ledger's hash chain (账本封印): each entry is sealed with the hash before it.

Every fund entry stores ``prev_hash``, the ``entry_hash`` of the entry recorded before it (the
first one: ``GENESIS``), and its own ``entry_hash``: the SHA-256 of ``prev_hash`` and its
canonical fields. The last entry's hash is the ledger's seal. An entry whose amount is changed
behind fupin's back no longer matches its hash; an entry taken out breaks the link of the one
after it; an entry taken off the end shortens the chain below a seal printed or recorded
before. Pure: plain values in, plain values out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
# The sealed fields, in this order: the entry's content as stored (the batch that wrote it and
# its row id are not content: a register merged elsewhere keeps its seals).
FIELDS = (
    "doc_no",
    "date",
    "channel",
    "kind",
    "amount_fen",
    "village_id",
    "project_id",
    "household_id",
    "purpose",
    "reverses_doc",
    "allocation_doc",
    "note",
)
_NULL = "\\N"


def canonical(values: Sequence[Any]) -> str:
    """One line of the sealed fields: unit separators between them, ``\\N`` for a NULL, a date
    as ISO (``str`` of a date, or the ISO text SQLite keeps)."""
    return "\x1f".join(_NULL if v is None else str(v) for v in values)


def link(prev_hash: str, values: Sequence[Any]) -> str:
    """The hash of an entry whose sealed fields are ``values``, after ``prev_hash``."""
    return hashlib.sha256(f"{prev_hash}\x1e{canonical(values)}".encode()).hexdigest()


def chain(prev_hash: str, rows: Iterable[Sequence[Any]]) -> list[tuple[str, str]]:
    """(prev_hash, entry_hash) for each of ``rows`` (sealed fields) appended after ``prev_hash``."""
    out = []
    for values in rows:
        entry_hash = link(prev_hash, values)
        out.append((prev_hash, entry_hash))
        prev_hash = entry_hash
    return out


@dataclass(frozen=True)
class Break:
    """Where the chain first fails: the entry (its position from 1, id and 文号) and why."""

    position: int
    id: int
    doc_no: str
    why: str  # "content" | "link" | "unsealed"

    def describe(self) -> str:
        what = {
            "content": "its content does not match its hash (changed after it was recorded)",
            "link": "it does not follow the entry before it (an entry was taken out or put in)",
            "unsealed": "it carries no hash (written without fupin)",
        }[self.why]
        return f"entry {self.position} (id {self.id}, 文号 {self.doc_no}): {what}"


@dataclass
class Walk:
    """The chain walked: how many entries, the head hash (the seal), the hash after each entry
    (for checking earlier seals), and the first break."""

    entries: int = 0
    seal: str = GENESIS
    hashes: list[str] | None = None
    broken: Break | None = None

    def seal_after(self, entries: int) -> str | None:
        """The chain's head after its first ``entries`` entries (None beyond its end)."""
        assert self.hashes is not None
        if entries == 0:
            return GENESIS
        return self.hashes[entries - 1] if entries <= len(self.hashes) else None


def walk(rows: Iterable[tuple[int, str | None, str | None, Sequence[Any]]]) -> Walk:
    """Walk the stored entries in the order recorded: (id, prev_hash, entry_hash, fields).

    The seal computed is the chain's own (each entry's hash recomputed from the one before), so
    after a break it is no stored value and matches no earlier seal."""
    result = Walk(hashes=[])
    prev = GENESIS
    assert result.hashes is not None
    for position, (rid, stored_prev, stored_hash, values) in enumerate(rows, start=1):
        computed = link(prev, values)
        if result.broken is None:
            doc = str(values[0])
            if stored_hash is None or stored_prev is None:
                result.broken = Break(position, rid, doc, "unsealed")
            elif stored_prev != prev:
                result.broken = Break(position, rid, doc, "link")
            elif stored_hash != computed:
                result.broken = Break(position, rid, doc, "content")
        result.hashes.append(computed)
        prev = computed
        result.entries = position
    result.seal = prev
    return result


def seal_position(w: Walk, seal: str) -> int | None:
    """The number of entries the ledger had when ``seal`` was its head (0 for an empty ledger),
    or None when no entry of this chain ends with it."""
    if seal == GENESIS:
        return 0
    assert w.hashes is not None
    try:
        return w.hashes.index(seal) + 1
    except ValueError:
        return None
