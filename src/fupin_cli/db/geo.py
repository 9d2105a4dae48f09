"""Townships and villages: find them by code or name, create the ones a roster brings.

A village is known by (乡镇, 村); wherever a command takes a village it accepts the 12-digit
code, the name when it is unique in the county, or ``乡镇/村``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, insert, select

from fupin_cli.db.models import Township, Village
from fupin_cli.errors import UsageError

_township = Township.__table__  # type: ignore[attr-defined]
_village = Village.__table__  # type: ignore[attr-defined]


@dataclass
class Geography:
    townships: dict[str, int] = field(default_factory=dict)  # name -> id
    township_names: dict[int, str] = field(default_factory=dict)
    villages: dict[tuple[str, str], int] = field(default_factory=dict)  # (township, village) -> id
    by_code: dict[str, int] = field(default_factory=dict)
    by_name: dict[str, list[int]] = field(default_factory=dict)
    names: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (township, village)
    codes: dict[int, str | None] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: Connection) -> Geography:
        geo = cls()
        for tid, name in conn.execute(select(_township.c.id, _township.c.name)):
            geo.townships[name] = tid
            geo.township_names[tid] = name
        for vid, tid, name, code in conn.execute(
            select(_village.c.id, _village.c.township_id, _village.c.name, _village.c.code)
        ):
            geo._remember(vid, geo.township_names[tid], name, code)
        return geo

    def _remember(self, vid: int, township: str, name: str, code: str | None) -> None:
        self.villages[(township, name)] = vid
        self.by_name.setdefault(name, []).append(vid)
        self.names[vid] = (township, name)
        self.codes[vid] = code
        if code:
            self.by_code[code] = vid

    def label(self, vid: int) -> str:
        t, v = self.names[vid]
        return f"{t}/{v}"

    def find(self, text: str) -> int | None:
        """A village id from a code, ``乡镇/村``, or a unique village name; None if unknown.
        An ambiguous name raises UsageError listing the choices."""
        key = "".join(str(text).split())
        if key in self.by_code:
            return self.by_code[key]
        if "/" in key:
            t, _, v = key.partition("/")
            return self.villages.get((t, v))
        ids = self.by_name.get(key, [])
        if len(ids) > 1:
            choices = ", ".join(sorted(self.label(i) for i in ids))
            raise UsageError(
                f"village '{text}' is ambiguous: {choices}; write it as 乡镇/村 or use the code"
            )
        return ids[0] if ids else None

    def ambiguous_zh(self, text: str) -> str:
        """``find``'s refusal of a name several townships' villages share, in Chinese."""
        key = "".join(str(text).split())
        choices = "、".join(sorted(self.label(i) for i in self.by_name.get(key, [])))
        return f"有几个村都叫 {key}：{choices}；请写成 乡镇/村 或填代码"

    def resolve(self, text: str, *, option: str = "--village") -> int:
        vid = self.find(text)
        if vid is None:
            raise UsageError(
                f"{option} {text}: no such village; give its 12-digit code, its name, or 乡镇/村"
            )
        return vid

    def township_id(self, conn: Connection, name: str) -> int:
        tid = self.townships.get(name)
        if tid is None:
            tid = conn.execute(insert(_township).values(name=name)).inserted_primary_key[0]
            self.townships[name] = tid
            self.township_names[tid] = name
        return tid

    def village_id(
        self,
        conn: Connection,
        township: str,
        name: str,
        *,
        batch_id: int | None = None,
        code: str | None = None,
    ) -> tuple[int, bool]:
        """The village's id, creating it (and its township) when first seen. Returns (id, created)."""
        vid = self.villages.get((township, name))
        if vid is not None:
            return vid, False
        tid = self.township_id(conn, township)
        vid = conn.execute(
            insert(_village).values(township_id=tid, name=name, code=code, batch_id=batch_id)
        ).inserted_primary_key[0]
        self._remember(vid, township, name, code)
        return vid, True

    def resolve_township(self, text: str, *, option: str = "--township") -> int:
        key = "".join(str(text).split())
        if key in self.townships:
            return self.townships[key]
        raise UsageError(
            f"{option} {text}: no such township; known: {', '.join(sorted(self.townships)) or 'none yet'}"
        )
