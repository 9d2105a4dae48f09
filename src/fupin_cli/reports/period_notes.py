"""What a period's report cannot show: records dated after its end, and a period not over yet.

A report counts the register as it stood on the period's last day. A roster imported in January
without --as-of is dated after the fourth quarter, and that quarter's report leaves it out; so
does a classification made on the wall clock's day for data of an earlier quarter. ``Notes``
finds what the report leaves out and says in one line how to date it inside the period; the CLI
prints the lines on stderr and every format carries them (json ``notes``, the workbook's title).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Connection, bindparam, text

from fupin_cli.core.periods import Period
from fupin_cli.db.status import REGISTERED

# kind → (query of count, first day, last day after :end; the words for the line)
_LATER: dict[str, tuple[str, str]] = {
    "identified": (
        "SELECT count(DISTINCT household_id), min(date), max(date) FROM status_event "
        "WHERE event = 'identified' AND date > :end",
        "{n} household(s) identified (识别)",
    ),
    "status": (
        "SELECT count(DISTINCT household_id), min(date), max(date) FROM status_event "
        "WHERE event IN ('proposed_exit', 'exited', 'returned', 'removed') AND date > :end",
        "{n} household(s) exited, returned or removed (脱贫/返贫/剔除)",
    ),
    # households the report shows 未分类: classified only after the end
    "classified": (
        "SELECT count(DISTINCT household_id), min(as_of), max(as_of) FROM classification c "
        "WHERE as_of > :end AND NOT EXISTS (SELECT 1 FROM classification e "
        "WHERE e.household_id = c.household_id AND e.as_of <= :end)",
        "{n} household(s) classified (分类)",
    ),
    "measures": (
        "SELECT count(*), min(date), max(date) FROM measure_record WHERE date > :end",
        "{n} measure record(s) (帮扶措施)",
    ),
    "money": (
        "SELECT count(*), min(date), max(date) FROM fund_entry WHERE date > :end",
        "{n} ledger entr(ies) (资金)",
    ),
}


_REGISTERED_NOW = text("SELECT count(*) FROM household WHERE status IN :registered").bindparams(
    bindparam("registered", expanding=True)
)


def _day(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


@dataclass
class Notes:
    """The report's notes: what it leaves out, and whether its period is over."""

    period: Period
    as_of: dt.date  # the period's end, or today for a period not over yet
    later: dict[str, int] = field(default_factory=dict)  # kind → records dated after the end
    first: dt.date | None = None
    last: dt.date | None = None
    registered: int = 0  # households on the register now

    @property
    def interim(self) -> bool:
        return self.as_of < self.period.end

    @property
    def interim_label(self) -> str:
        """截至 DATE, for headings; empty for a period that is over."""
        return f"期中 截至 {self.as_of.isoformat()}" if self.interim else ""

    def left_out_line(self) -> str | None:
        if not self.later:
            return None
        end = self.period.end.isoformat()
        what = ", ".join(_LATER[k][1].format(n=n) for k, n in self.later.items())
        when = f"{self.first}" if self.first == self.last else f"{self.first} – {self.last}"
        fixes = []
        if "identified" in self.later or "status" in self.later:
            fixes.append(f"fupin identify ROSTER --as-of {end}")
        if "classified" in self.later or "identified" in self.later:
            fixes.append(f"fupin classify --as-of {end}")
        if "measures" in self.later or "money" in self.later:
            fixes.append("the 日期 column of the measures or ledger file")
        return (
            f"本期报告未含 {end} 之后的记录 / this report leaves out records dated after {end}: "
            f"{what}, dated {when}; if they belong to {self.period.label}, date them inside it: "
            + "; ".join(fixes)
        )

    def lines(self) -> list[str]:
        """Every note, one line each: the interim mark, then what is left out."""
        out = []
        if self.interim:
            out.append(
                f"期中报告 interim: {self.period.label} ends on {self.period.end}; "
                f"figures as of {self.as_of} (截至 {self.as_of})"
            )
        if line := self.left_out_line():
            out.append(line)
        return out


def period_notes(conn: Connection, period: Period, today: dt.date | None = None) -> Notes:
    today = today or dt.date.today()
    notes = Notes(period, min(period.end, today))
    end = {"end": period.end.isoformat()}
    firsts, lasts = [], []
    for kind, (sql, _words) in _LATER.items():
        n, first, last = conn.execute(text(sql), end).one()
        if n:
            notes.later[kind] = n
            firsts.append(_day(first))
            lasts.append(_day(last))
    if firsts:
        notes.first, notes.last = min(firsts), max(lasts)
    notes.registered = conn.execute(_REGISTERED_NOW, {"registered": sorted(REGISTERED)}).scalar()
    return notes
