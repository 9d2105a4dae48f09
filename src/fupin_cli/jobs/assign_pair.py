"""fupin assign pair: read cadres, households, students and pairs; decide (core.pairing); write.

New pairs start and ended pairs end on ``as_of``; ended pairs stay as history (end_date,
end_reason). A run with nothing changed writes only its batch row.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection

from fupin_cli.core.codes import CadreRank
from fupin_cli.core.pairing import Household, PairingPlan, Student, plan_pairs
from fupin_cli.core.policy import Policy
from fupin_cli.db.audit import start_batch
from fupin_cli.db.bulk import executemany, insert_rows, paused_gc, rebuilt_indexes
from fupin_cli.db.engine import Database
from fupin_cli.errors import UsageError
from fupin_cli.jobs.assign_queries import (
    REGISTERED,
    STUDENT_LEVELS,
    current_teams,
    fetch,
    marks,
    team_units,
)


@dataclass
class PairOptions:
    as_of: dt.date = field(default_factory=dt.date.today)
    dry_run: bool = False
    as_of_source: str = "given"  # core.dates.AsOf.source, recorded in the batch row


@dataclass
class PairResult:
    as_of: dt.date
    pairs_kept: int = 0
    pairs_added: int = 0
    pairs_ended: int = 0
    households: int = 0
    students: int = 0
    households_unpaired: int = 0
    students_unpaired: int = 0
    ended_by_reason: dict[str, int] = field(default_factory=dict)
    shortfall: list[dict[str, Any]] = field(default_factory=list)
    by_township: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def problems(self) -> bool:
        return bool(self.households_unpaired or self.students_unpaired)

    def summary(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "pairs_kept": self.pairs_kept,
            "pairs_added": self.pairs_added,
            "pairs_ended": self.pairs_ended,
            "households": self.households,
            "students": self.students,
            "households_unpaired": self.households_unpaired,
            "students_unpaired": self.students_unpaired,
            "ended_by_reason": self.ended_by_reason,
            "shortfall": self.shortfall,
            "by_township": self.by_township,
            "dry_run": self.dry_run,
        }


@dataclass
class PairingInput:
    cadres: list[tuple]
    # driver rows in the field order of core.pairing's Cadre, Household, Student and Pair
    households: list[tuple]
    students: list[tuple]
    existing: list[tuple]
    backing: dict[int, set[int]]  # village id -> backing unit ids of its team in force


# The reads, as SQL text (bench/bench_assign.py times the same text as its baseline).
CADRES_SQL = "SELECT id, rank, in_post, is_teacher, township_id, unit_id FROM cadre"
HOUSEHOLDS_SQL = (
    "SELECT h.id, h.village_id, v.township_id FROM household h "
    f"JOIN village v ON v.id = h.village_id WHERE h.status IN ({marks(REGISTERED)})"
)
STUDENTS_SQL = (
    "SELECT p.id_number, p.household_id FROM person p JOIN household h ON h.id = p.household_id "
    f"WHERE h.status IN ({marks(REGISTERED)}) AND p.school_status IN ({marks(STUDENT_LEVELS)})"
)
# Pairs in force, oldest first. Their ids matter only to the pairs a run ends (few, and rarely):
# the usual run reads them without (a third less to read), and reads them again with their ids
# only when it has pairs to end.
PAIRS_SQL = (
    "SELECT cadre_id, household_id, person_id FROM pairing WHERE end_date IS NULL ORDER BY id"
)
PAIRS_WITH_IDS_SQL = (
    "SELECT cadre_id, household_id, person_id, id FROM pairing WHERE end_date IS NULL ORDER BY id"
)


_RANKS = frozenset(r.value for r in CadreRank)


def read_input(conn: Connection, as_of: dt.date) -> PairingInput:
    """Everything the pairing decision needs, as plain values (rows go straight into tuples;
    the decision sorts them itself)."""
    cadres = fetch(conn, CADRES_SQL)  # rows in Cadre's field order, the rank as its label
    unknown = {row[1] for row in cadres} - _RANKS
    if unknown:  # 'assign cadres' stores only known ranks: the register was edited by hand
        raise UsageError(
            f"cadre rank {', '.join(sorted(map(str, unknown)))} in the register is not one of "
            f"{', '.join(r.value for r in CadreRank)}; re-import the cadres with "
            "'fupin assign cadres FILE'"
        )
    households = fetch(conn, HOUSEHOLDS_SQL, REGISTERED)  # rows in Household's field order
    students = fetch(conn, STUDENTS_SQL, (*REGISTERED, *STUDENT_LEVELS))  # Student's
    existing = fetch(conn, PAIRS_SQL)  # Pair's, without the id
    teams = current_teams(conn, as_of)
    units = team_units(conn, [t[0] for t in teams.values()])
    backing = {vid: units.get(t[0], set()) for vid, t in teams.items()}
    return PairingInput(cadres, households, students, existing, backing)


def run(db: Database, policy: Policy, opts: PairOptions) -> PairResult:
    result = PairResult(as_of=opts.as_of, dry_run=opts.dry_run)
    day = opts.as_of.isoformat()
    with paused_gc(), db.transaction(dry_run=opts.dry_run) as conn:
        batch = start_batch(
            conn,
            "assign pair",
            policy_version=policy.version,
            arguments={"as_of": day, "as_of_source": opts.as_of_source},
        )
        given = read_input(conn, opts.as_of)
        plan = decide(given, policy)
        if plan.end:
            # Ending needs the stored ids: decide again on the pairs read with them. The second
            # plan stands on the second read alone (on SQLite this run already holds the write
            # lock, so the two reads are the same pairs).
            given.existing = fetch(conn, PAIRS_WITH_IDS_SQL)
            plan = decide(given, policy)
        # more new pairs than pairs in force (a first run): rebuild the indexes once at the end
        bulk = len(plan.add) > len(given.existing)
        with rebuilt_indexes(conn, ("pairing",) if bulk else ()):
            insert_rows(
                conn,
                "INSERT INTO pairing (cadre_id, household_id, person_id, kind, start_date, "
                "batch_id) VALUES",
                [
                    (cid, hid, sid, "student" if sid else "household", day, batch.id)
                    for cid, hid, sid, _ in plan.add
                ],
            )
        executemany(  # a pair never ends before it started
            conn,
            "UPDATE pairing SET end_reason = ?, "
            "end_date = CASE WHEN start_date > ? THEN start_date ELSE ? END WHERE id = ?",
            [(e.reason.value, day, day, e.pair.id) for e in plan.end],
        )
        _tally(conn, given, plan, result)
        counts = result.summary()
        counts.pop("by_township")
        batch.finish(counts, outcome="data_problems" if result.problems else "ok")
    return result


def decide(given: PairingInput, policy: Policy) -> PairingPlan:
    """The pure decision (core.pairing.plan_pairs) on what ``read_input`` read."""
    return plan_pairs(
        given.cadres,
        given.households,
        given.students,
        given.existing,
        policy.assign.capacity,
        given.backing,
    )


_TOWNSHIP = itemgetter(Household._fields.index("township_id"))
_ID_TOWNSHIP = itemgetter(0, Household._fields.index("township_id"))
_HOME = itemgetter(Student._fields.index("household_id"))


def _tally(conn: Connection, given: PairingInput, plan: PairingPlan, result: PairResult) -> None:
    names = dict(fetch(conn, "SELECT id, name FROM township"))
    result.pairs_kept, result.pairs_added = len(plan.keep), len(plan.add)
    result.pairs_ended = len(plan.end)
    result.ended_by_reason = dict(sorted(Counter(e.reason.value for e in plan.end).items()))
    result.households, result.students = len(given.households), len(given.students)
    result.households_unpaired = len(plan.unpaired_households)
    result.students_unpaired = len(plan.unpaired_students)
    result.shortfall = [
        {"township": names.get(tid, str(tid)), "households": h, "students": s}
        for tid, (h, s) in plan.shortfall.items()
    ]
    households: Counter[int] = Counter(map(_TOWNSHIP, given.households))
    town = dict(map(_ID_TOWNSHIP, given.households))
    students: Counter[int] = Counter(map(town.__getitem__, map(_HOME, given.students)))
    result.by_township = [
        {
            "township": names.get(tid, str(tid)),
            "households": households[tid],
            "households_paired": households[tid] - plan.shortfall.get(tid, (0, 0))[0],
            "students": students[tid],
            "students_paired": students[tid] - plan.shortfall.get(tid, (0, 0))[1],
        }
        for tid in sorted(households)
    ]
