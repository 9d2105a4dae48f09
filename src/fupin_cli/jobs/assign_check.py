"""fupin assign check: every gap in pairing, work teams and visits on a date, by township and village.

``gaps(conn, as_of, policy)`` is the whole check as a list of ``Gap``; the CLI renders it and the
quarterly report reuses it. Pairs count on ``as_of`` when they started by then and had not ended
(a pair ended on a day is no longer in force that day); the team in force is the latest started
and not ended before ``as_of``. Subjects are household numbers and names, never ID numbers.

Visits are judged over the last ``policy.assign.visit_days`` days up to ``as_of``: a registered
household with no visit in that window is ``household_not_visited``; a visit in it by a cadre who
holds no pair with the household, in force on the visit's day or started since (up to
``as_of``), is ``visit_unpaired``.

Measures (帮扶措施落实, ``core.coverage``) on ``as_of``: a measure the household's current plan
holds with no record of it is ``measure_not_delivered`` (one per household and measure); a
labourer never trained is ``labour_not_trained`` and a student without school aid in the school
year is ``student_no_aid`` (one per person); a household with labour and nobody in work is
``household_no_employment``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection

from fupin_cli.core.codes import CadreRank
from fupin_cli.core.coverage import PLANNABLE, Coverage, school_year
from fupin_cli.core.idcard import age_on, mask_id
from fupin_cli.core.policy import Policy
from fupin_cli.db.bulk import selected_ids
from fupin_cli.db.status import registered_on
from fupin_cli.jobs.assign_queries import (
    current_teams,
    fetch,
    team_units,
)
from fupin_cli.jobs.coverage import household_coverage


class GapRule(StrEnum):
    HOUSEHOLD_UNPAIRED = "household_unpaired"
    STUDENT_UNPAIRED = "student_unpaired"
    CADRE_OVER_CAPACITY = "cadre_over_capacity"
    VILLAGE_NO_TEAM = "village_no_team"
    VILLAGE_NO_LEADER = "village_no_leader"
    VILLAGE_NO_SECRETARY = "village_no_secretary"
    TEAM_NO_UNIT = "team_no_unit"
    HOUSEHOLD_NOT_VISITED = "household_not_visited"
    VISIT_UNPAIRED = "visit_unpaired"
    MEASURE_NOT_DELIVERED = "measure_not_delivered"
    LABOUR_NOT_TRAINED = "labour_not_trained"
    STUDENT_NO_AID = "student_no_aid"
    HOUSEHOLD_NO_EMPLOYMENT = "household_no_employment"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    GapRule.HOUSEHOLD_UNPAIRED: "贫困户无帮扶责任人",
    GapRule.STUDENT_UNPAIRED: "在校生无结对干部",
    GapRule.CADRE_OVER_CAPACITY: "干部超出帮扶能力",
    GapRule.VILLAGE_NO_TEAM: "贫困村无驻村工作队",
    GapRule.VILLAGE_NO_LEADER: "工作队无队长",
    GapRule.VILLAGE_NO_SECRETARY: "工作队无第一书记",
    GapRule.TEAM_NO_UNIT: "工作队无后盾单位",
    GapRule.HOUSEHOLD_NOT_VISITED: "贫困户久未走访",
    GapRule.VISIT_UNPAIRED: "走访干部未结对",
    GapRule.MEASURE_NOT_DELIVERED: "帮扶措施未落实",
    GapRule.LABOUR_NOT_TRAINED: "劳动力未培训",
    GapRule.STUDENT_NO_AID: "在校生未获教育资助",
    GapRule.HOUSEHOLD_NO_EMPLOYMENT: "有劳动力户无人务工",
}
_RULE_ORDER = {rule: i for i, rule in enumerate(GapRule)}


@dataclass(frozen=True)
class Gap:
    rule: GapRule
    township: str
    village: str
    village_code: str | None
    subject: str
    detail: str

    def as_dict(self) -> dict[str, str | None]:
        return {
            "rule": self.rule.value,
            "township": self.township,
            "village": self.village,
            "village_code": self.village_code,
            "subject": self.subject,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class _Village:
    township_id: int
    township: str
    name: str
    code: str | None
    is_poor: bool


def gaps(
    conn: Connection,
    as_of: dt.date,
    policy: Policy,
    coverage: dict[int, Coverage] | None = None,
    tally: Counter | None = None,
    registered: set[int] | None = None,
) -> list[Gap]:
    """Every gap on ``as_of``, ordered by township, village, rule and subject. ``coverage`` may
    carry the registered households' measure coverage on ``as_of``, and ``registered`` who was
    registered then, when the caller has them. With ``tally``, the gaps are only counted there
    by (township, village, village code, rule) — what the quarterly report shows — and none is
    returned."""
    day = as_of.isoformat()
    since = (as_of - dt.timedelta(days=policy.assign.visit_days)).isoformat()
    townships = dict(fetch(conn, "SELECT id, name FROM township"))
    villages = {
        vid: _Village(tid, townships[tid], name, code, bool(poor))
        for vid, tid, name, code, poor in fetch(
            conn, "SELECT id, township_id, name, code, is_poor FROM village"
        )
    }
    found: list[tuple[tuple, Gap]] = []

    def count(rule: GapRule, vid: int, n: int) -> None:
        """``n`` gaps of ``rule`` in village ``vid``, counted without their wording."""
        if n:
            v = villages[vid]
            tally[(v.township, v.name, v.code or "", rule.value)] += n  # type: ignore[index]

    def add(
        rule: GapRule, vid: int | None, subject: str, detail: str, township_id=None, rank=0
    ) -> None:
        v = villages.get(vid) if vid is not None else None
        tid = v.township_id if v else township_id
        if tally is not None:
            where = (v.township, v.name, v.code or "") if v else (townships.get(tid, ""), "", "")
            tally[(*where, rule.value)] += 1
            return
        gap = Gap(
            rule,
            v.township if v else townships.get(tid, ""),
            v.name if v else "",
            v.code if v else None,
            subject,
            detail,
        )
        order = (tid is None, tid or 0, vid or 0, _RULE_ORDER[rule], subject, rank, detail)
        found.append((order, gap))

    # -- pairing -------------------------------------------------------------------------------
    if registered is None:
        registered = registered_on(conn, as_of)  # as the register stood on the day, not now
    with selected_ids(conn, registered) as chosen:
        households = {
            hid: (no, vid, head)
            for hid, no, vid, head in fetch(
                conn,
                "SELECT h.id, h.household_no, h.village_id, h.head_name "
                f"FROM {chosen} r CROSS JOIN household h WHERE h.id = r.id",
            )
        }
    in_force = fetch(
        conn,
        "SELECT cadre_id, household_id, person_id FROM pairing "
        "WHERE start_date <= ? AND (end_date IS NULL OR end_date > ?)",
        (day, day),
    )
    paired_households = {hid for _c, hid, person in in_force if person is None}
    paired_students = {person for _c, _h, person in in_force if person is not None}
    for hid, (no, vid, head) in households.items():
        if hid not in paired_households:
            add(
                GapRule.HOUSEHOLD_UNPAIRED,
                vid,
                no,
                f"户主 {head or '?'}: no responsible cadre (帮扶责任人) on {day}",
            )
    if coverage is None:
        coverage = household_coverage(conn, as_of, households, policy)
    students = [
        (m.id_number, m.name, m.school_status, hid)
        for hid, c in coverage.items()
        for m in c.students
    ]
    for pid, name, level, hid in students:
        if pid not in paired_students:
            no, vid, _head = households[hid]
            add(
                GapRule.STUDENT_UNPAIRED,
                vid,
                f"{no} {name}",
                f"{level}: no cadre paired with this student on {day}",
            )

    cadres = {
        row[0]: row[1:]
        for row in fetch(
            conn, "SELECT id, name, staff_no, id_number, rank, in_post, township_id FROM cadre"
        )
    }
    load = Counter(cid for cid, _h, _p in in_force)
    for cid, n in sorted(load.items()):
        name, staff, idn, rank, in_post, tid = cadres[cid]
        cap = policy.assign.capacity.get(CadreRank(rank), 0) if in_post else 0
        if n > cap:
            detail = (
                f"{rank}: {n} pairs in force, capacity {cap}"
                if in_post
                else f"not in post, yet {n} pairs in force; run 'fupin assign pair'"
            )
            add(GapRule.CADRE_OVER_CAPACITY, None, _cadre(name, staff, idn), detail, tid)

    # -- work teams ----------------------------------------------------------------------------
    teams = current_teams(conn, as_of)
    units = team_units(conn, [t[0] for t in teams.values()])
    for vid, v in villages.items():
        team = teams.get(vid)
        if team is None:
            if v.is_poor:
                add(
                    GapRule.VILLAGE_NO_TEAM,
                    vid,
                    v.name,
                    f"贫困村 without a work team (驻村工作队) in force on {day}",
                )
            continue
        tid, leader, level, secretary, _enterprise, start, _end = team
        since_text = f"team started {start}"
        if not leader:
            add(GapRule.VILLAGE_NO_LEADER, vid, v.name, f"{since_text}: no 队长")
        elif not level:
            add(GapRule.VILLAGE_NO_LEADER, vid, v.name, f"{since_text}: 队长 {leader} has no level")
        if not secretary:
            add(GapRule.VILLAGE_NO_SECRETARY, vid, v.name, f"{since_text}: no 第一书记")
        if not units.get(tid):
            add(GapRule.TEAM_NO_UNIT, vid, v.name, f"{since_text}: no 后盾单位")

    # -- visits --------------------------------------------------------------------------------
    last_visit = dict(
        fetch(
            conn,
            "SELECT household_id, max(date) FROM visit WHERE date <= ? GROUP BY household_id",
            (day,),
        )
    )
    for hid, (no, vid, head) in households.items():
        last = last_visit.get(hid)
        if last is None or str(last) <= since:
            if tally is not None:
                count(GapRule.HOUSEHOLD_NOT_VISITED, vid, 1)
                continue
            when = f"last visited {last}" if last else "never visited"
            add(
                GapRule.HOUSEHOLD_NOT_VISITED,
                vid,
                no,
                f"户主 {head or '?'}: {when}; no visit in the {policy.assign.visit_days} days "
                f"to {day}",
            )
    for date, kind, cid, no, vid in fetch(
        conn,
        "SELECT v.date, v.kind, v.cadre_id, h.household_no, h.village_id FROM visit v "
        "JOIN household h ON h.id = v.household_id WHERE v.date > ? AND v.date <= ? "
        "AND NOT EXISTS (SELECT 1 FROM pairing p WHERE p.cadre_id = v.cadre_id "
        "AND p.household_id = v.household_id AND p.start_date <= ? "
        "AND (p.end_date IS NULL OR p.end_date > v.date)) ORDER BY v.date, v.id",
        (since, day, day),
    ):
        name, staff, idn, *_rest = cadres[cid]
        add(
            GapRule.VISIT_UNPAIRED,
            vid,
            no,
            f"{date} {kind} by {_cadre(name, staff, idn)}, who is not paired with this household",
        )

    # -- measures delivered ---------------------------------------------------------------------
    year_start, year_end = school_year(as_of)
    for hid, c in coverage.items():
        no, vid, head = households[hid]
        if tally is not None:  # the report: the same gaps, counted
            count(GapRule.MEASURE_NOT_DELIVERED, vid, len(c.missing))
            count(GapRule.LABOUR_NOT_TRAINED, vid, len(c.untrained))
            count(GapRule.STUDENT_NO_AID, vid, len(c.unaided))
            count(GapRule.HOUSEHOLD_NO_EMPLOYMENT, vid, c.needs_employment)
            continue
        who = f"户主 {head or '?'}"
        for measure in c.missing:
            add(
                GapRule.MEASURE_NOT_DELIVERED,
                vid,
                no,
                f"{who}: {measure} planned (帮扶计划), no record of it up to {day}",
                rank=PLANNABLE.index(measure),
            )
        for m in c.untrained:
            add(
                GapRule.LABOUR_NOT_TRAINED,
                vid,
                f"{no} {m.name}",
                f"{m.labour_skill}, {age_on(m.birth_date, as_of)}岁: no 技能培训 record naming "
                f"this person up to {day}",
            )
        for m in c.unaided:
            add(
                GapRule.STUDENT_NO_AID,
                vid,
                f"{no} {m.name}",
                f"{m.school_status}: no 教育资助 record naming this student in the school year "
                f"{year_start} – {year_end} up to {day}",
            )
        if c.needs_employment:
            add(
                GapRule.HOUSEHOLD_NO_EMPLOYMENT,
                vid,
                no,
                f"{who}: {len(c.idle)} labourer(s) not in work (务工状况), nobody in work and no "
                f"转移就业 record up to {day}",
            )

    found.sort(key=lambda item: item[0])
    return [gap for _order, gap in found]


def _cadre(name: str, staff: str | None, idn: str | None) -> str:
    """A cadre as shown in a gap: name and 工号, or the masked ID number."""
    if staff:
        return f"{name} (工号 {staff})"
    return f"{name} ({mask_id(idn)})" if idn else name


def count_by_rule(found: list[Gap]) -> dict[str, int]:
    counts = Counter(g.rule for g in found)
    return {rule.value: counts[rule] for rule in GapRule if counts[rule]}
