"""The quarterly (季度搞点评) and yearly (年底总结账) report: stock at the period's end, flows in it.

``build(conn, period, policy)`` reads the register with a handful of grouped queries, sums them
per village, and rolls villages up into townships and the county. The result is plain data
(``Report``) that the renderers turn into a terminal table, json, csv or xlsx.

Status at the period's end comes from the dated status events (the latest on or before the
end), so a report for a past quarter does not change when later quarters are imported. Members
and attributes are the register's current ones.

Measures delivered (``core.coverage``) are counted at the period's end against each registered
household's plan then: ``measures`` counts households (planned, and of those delivered), and
``training`` / ``employment`` / ``student_aid`` the labourers trained, the households with labour
that have someone in work, and the students aided in the school year. Every poor village gets
the exit test (``core.village_exit``) for the period's year.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from fupin_cli.core.codes import Category, Channel, SchoolStatus
from fupin_cli.core.coverage import PLANNABLE
from fupin_cli.core.ledger import ALLOCATION, DISBURSEMENT, RECEIPT
from fupin_cli.core.periods import Period
from fupin_cli.core.policy import Policy
from fupin_cli.core.village_exit import ExitTest, VillageFacts, exit_test
from fupin_cli.db.bulk import paused_gc, selected_ids
from fupin_cli.db.geo import Geography
from fupin_cli.db.status import REGISTERED, status_on
from fupin_cli.jobs import fund as fund_job
from fupin_cli.jobs.assign_check import gaps as assign_gaps
from fupin_cli.jobs.assign_queries import fetch
from fupin_cli.jobs.coverage import household_coverage
from fupin_cli.jobs.villages import SERVICE_COLUMNS

STUDENT = tuple(s.value for s in SchoolStatus if s.is_student)
CATEGORY_KEYS = {c.value: c.key for c in Category}
CHANNELS = [c.key for c in Channel]
EVENTS = ("identified", "proposed_exit", "exited", "returned", "removed")


def _zero_funds() -> dict[str, dict[str, int]]:
    return {ch: {"received_fen": 0, "allocated_fen": 0, "disbursed_fen": 0} for ch in CHANNELS}


@dataclass
class Stats:
    """One scope's numbers: the county, a township or a village."""

    level: str
    code: str | None
    name: str
    township: str | None = None
    households: int = 0  # registered poor at the period's end
    persons: int = 0
    events: Counter = field(default_factory=Counter)  # identified … removed, in the period
    exited_persons: int = 0  # people in households that exited in the period
    by_category: Counter = field(default_factory=Counter)
    unclassified: int = 0
    by_attribute: Counter = field(default_factory=Counter)
    by_cause: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)
    households_paired: int = 0
    students: int = 0
    students_paired: int = 0
    visits: Counter = field(
        default_factory=Counter
    )  # count, households, money_fen, goods_fen, deeds
    funds: dict[str, dict[str, int]] = field(default_factory=_zero_funds)
    poor_villages: int = 0
    poor_villages_with_team: int = 0
    # measures delivered (households), training (people), employment (households), aid (people)
    measures_planned: Counter = field(default_factory=Counter)
    measures_delivered: Counter = field(default_factory=Counter)  # of the planned households
    labourers: int = 0
    trained: int = 0
    labour_households: int = 0
    employed_households: int = 0
    aid_students: int = 0
    aided_students: int = 0
    # villages only
    is_poor: bool | None = None
    agricultural_population: int | None = None
    has_team: bool | None = None

    def add(self, other: Stats) -> None:
        for name in (
            "households",
            "persons",
            "exited_persons",
            "unclassified",
            "households_paired",
            "students",
            "students_paired",
            "poor_villages",
            "poor_villages_with_team",
            "labourers",
            "trained",
            "labour_households",
            "employed_households",
            "aid_students",
            "aided_students",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in (
            "events",
            "by_category",
            "by_attribute",
            "by_cause",
            "by_status",
            "visits",
            "measures_planned",
            "measures_delivered",
        ):
            getattr(self, name).update(getattr(other, name))
        for ch, flows in other.funds.items():
            for k, v in flows.items():
                self.funds[ch][k] += v
        if other.agricultural_population is not None and other.is_poor:
            self.agricultural_population = (
                self.agricultural_population or 0
            ) + other.agricultural_population

    @property
    def poverty_rate(self) -> float | None:
        if not self.agricultural_population:
            return None
        return round(self.persons / self.agricultural_population, 6)

    @property
    def all_zero(self) -> bool:
        """Nobody registered at the period's end, and nothing happened in the period."""
        money = any(v for flows in self.funds.values() for v in flows.values())
        return not (self.households or any(self.events.values()) or self.visits["count"] or money)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "households": self.households,
            "persons": self.persons,
            "newly_identified": self.events["identified"],
            "proposed_exit": self.events["proposed_exit"],
            "exited": self.events["exited"],
            "exited_persons": self.exited_persons,
            "returned": self.events["returned"],
            "removed": self.events["removed"],
            "by_category": {c.key: self.by_category[c.key] for c in Category},
            "unclassified": self.unclassified,
            "by_attribute": dict(sorted(self.by_attribute.items())),
            "by_cause": dict(sorted(self.by_cause.items(), key=lambda kv: (-kv[1], kv[0]))),
            "by_status": dict(sorted(self.by_status.items())),
            "pairing": {
                "households_paired": self.households_paired,
                "households_unpaired": self.households - self.households_paired,
                "students_paired": self.students_paired,
                "students_unpaired": self.students - self.students_paired,
            },
            "visits": {
                k: self.visits[k]
                for k in ("count", "households", "money_fen", "goods_fen", "deeds")
            },
            "funds": self.funds,
            "teams": {
                "poor_villages": self.poor_villages,
                "with_team": self.poor_villages_with_team,
            },
            "measures": {
                m: {"planned": self.measures_planned[m], "delivered": self.measures_delivered[m]}
                for m in PLANNABLE
            },
            "training": {"labourers": self.labourers, "trained": self.trained},
            "employment": {
                "households_with_labour": self.labour_households,
                "in_work": self.employed_households,
            },
            "student_aid": {"students": self.aid_students, "aided": self.aided_students},
        }
        if self.level == "township":
            out["township"] = self.name
        if self.level == "village":
            out["township"] = self.township
            out["is_poor"] = bool(self.is_poor)
            out["agricultural_population"] = self.agricultural_population
            out["poverty_rate"] = self.poverty_rate
            out["has_team"] = self.has_team
        return out


@dataclass
class VillageExit:
    """One poor village's exit test (贫困村出列) for the report's year."""

    village: Stats
    facts: VillageFacts
    test: ExitTest

    @property
    def poverty_rate(self) -> float | None:
        rate = self.facts.poverty_rate
        return None if rate is None else round(rate, 6)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.village.code,
            "name": self.village.name,
            "poverty_rate": self.poverty_rate,
            "collective_income_fen": self.facts.collective_income_fen,
            "ok": self.test.ok,
            "unmet": self.test.keys,
        }


@dataclass
class Report:
    period: Period
    county: Stats
    townships: list[Stats]
    villages: list[Stats]
    exit_target: int | None
    exited_persons_year: int
    max_poverty_rate: float
    gaps: list[dict[str, Any]]
    rules: list[dict[str, Any]]
    village_exit: list[VillageExit] = field(default_factory=list)
    services: tuple[str, ...] = ()  # the policy's exit services, in its order

    def as_dict(self, level: str = "village") -> dict[str, Any]:
        target = self.exit_target
        return {
            "period": {
                "label": self.period.label,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "county": self.county.as_dict(),
            "townships": [t.as_dict() for t in self.townships]
            if level in ("township", "village")
            else [],
            "villages": [v.as_dict() for v in self.villages] if level == "village" else [],
            "exit_target": {
                "year": self.period.year,
                "target_persons": target,
                "exited_persons": self.exited_persons_year,
                "progress": round(self.exited_persons_year / target, 6) if target else None,
            },
            "poor_villages": [
                {
                    "code": v.code,
                    "name": v.name,
                    "township": v.township,
                    "persons": v.persons,
                    "agricultural_population": v.agricultural_population,
                    "poverty_rate": v.poverty_rate,
                    "below_threshold": v.poverty_rate is not None
                    and v.poverty_rate < self.max_poverty_rate,
                    "has_team": v.has_team,
                }
                for v in self.villages
                if v.is_poor
            ],
            "gaps": self.gaps,
            "rules": self.rules,
            "village_exit": [x.as_dict() for x in self.village_exit],
        }


def build(conn: Connection, period: Period, policy: Policy) -> Report:
    """The report for ``period``, as the register stood at its end."""
    with paused_gc():  # a county's worth of rows and no reference cycles: no collector passes
        return _build(conn, period, policy)


def _build(conn: Connection, period: Period, policy: Policy) -> Report:
    geo = Geography.load(conn)
    start, end = period.start.isoformat(), period.end.isoformat()
    villages: dict[int, Stats] = {}
    for vid, (township, name) in sorted(
        geo.names.items(), key=lambda kv: (kv[1][0], geo.codes[kv[0]] or "", kv[1][1])
    ):
        villages[vid] = Stats("village", geo.codes[vid], name, township=township)
    for vid, is_poor, agri in conn.execute(
        text("SELECT id, is_poor, agricultural_population FROM village")
    ):
        villages[vid].is_poor = bool(is_poor)
        villages[vid].agricultural_population = agri

    # households and their status at the end (the latest dated event on or before it)
    home: dict[int, int] = {}
    registered: set[int] = set()
    on_end = status_on(conn, period.end)
    with selected_ids(conn, on_end) as chosen:  # households with a status: a tenth of the county
        facts = fetch(
            conn,
            f"SELECT h.id, h.village_id, h.attribute, h.main_cause FROM {chosen} s CROSS JOIN household h "
            "WHERE h.id = s.id",
        )
        size: dict[int, int] = dict(
            fetch(
                conn,
                f"SELECT p.household_id, count(*) FROM {chosen} s CROSS JOIN person p "
                "WHERE p.household_id = s.id GROUP BY p.household_id",
            )
        )
    for hid, vid, attribute, cause in facts:
        status = on_end[hid]
        v = villages[vid]
        home[hid] = vid
        v.by_status[status] += 1
        if status in REGISTERED:
            registered.add(hid)
            v.households += 1
            v.by_attribute[attribute or "未填"] += 1
            v.by_cause[cause or "未填"] += 1
    for hid in registered:
        villages[home[hid]].persons += size.get(hid, 0)

    for vid, event, n in conn.execute(
        text(
            "SELECT h.village_id, e.event, count(*) FROM status_event e JOIN household h ON h.id = e.household_id "
            "WHERE e.date BETWEEN :start AND :end GROUP BY h.village_id, e.event"
        ),
        {"start": start, "end": end},
    ):
        villages[vid].events[event] += n
    exited_year = 0
    for hid, vid, day in conn.execute(
        text(
            "SELECT e.household_id, h.village_id, e.date FROM status_event e JOIN household h ON h.id = e.household_id "
            "WHERE e.event = 'exited' AND e.date BETWEEN :year_start AND :end"
        ),
        {"year_start": f"{period.year}-01-01", "end": end},
    ):
        people = size.get(hid, 0)
        exited_year += people
        if str(day) >= start:
            villages[vid].exited_persons += people

    # category at the end: the latest classification made on or before it
    classified: set[int] = set()
    for hid, category in conn.execute(
        text(
            "SELECT household_id, category FROM (SELECT household_id, category, ROW_NUMBER() OVER "
            "(PARTITION BY household_id ORDER BY id DESC) AS rn FROM classification WHERE as_of <= :end) c WHERE rn = 1"
        ),
        {"end": end},
    ):
        if hid in registered:
            classified.add(hid)
            villages[home[hid]].by_category[CATEGORY_KEYS.get(category, category)] += 1
    for hid in registered - classified:
        villages[home[hid]].unclassified += 1

    # pairing in force at the end
    paired_households: set[int] = set()
    paired_students: set[str] = set()
    for hid, kind, pid in conn.execute(
        text(
            "SELECT household_id, kind, person_id FROM pairing WHERE start_date <= :end "
            "AND (end_date IS NULL OR end_date > :end)"
        ),
        {"end": end},
    ):
        if kind == "household":
            paired_households.add(hid)
        elif pid:
            paired_students.add(pid)
    for hid in paired_households & registered:
        villages[home[hid]].households_paired += 1
    # measures, training, school aid and the students themselves, from the registered members
    cover = household_coverage(conn, period.end, registered, policy)  # shared with the gaps below
    students = [(m.id_number, hid) for hid, c in cover.items() for m in c.students]
    for pid, hid in students:
        v = villages[home[hid]]
        v.students += 1
        v.students_paired += pid in paired_students

    for vid, n, hh, money, goods, deeds in conn.execute(
        text(
            "SELECT h.village_id, count(*), count(DISTINCT v.household_id), coalesce(sum(v.money_fen), 0), "
            "coalesce(sum(v.goods_fen), 0), coalesce(sum(v.deeds), 0) FROM visit v JOIN household h ON h.id = v.household_id "
            "WHERE v.date BETWEEN :start AND :end GROUP BY h.village_id"
        ),
        {"start": start, "end": end},
    ):
        villages[vid].visits.update(
            {"count": n, "households": hh, "money_fen": money, "goods_fen": goods, "deeds": deeds}
        )

    teams = {
        vid
        for (vid,) in conn.execute(
            text(
                "SELECT DISTINCT village_id FROM work_team WHERE start_date <= :end AND (end_date IS NULL OR end_date >= :end)"
            ),
            {"end": end},
        )
    }
    for vid, v in villages.items():
        if v.is_poor:
            v.poor_villages = 1
            v.has_team = vid in teams
            v.poor_villages_with_team = int(v.has_team)

    # measures delivered, training, employment and school aid at the end
    for hid, c in cover.items():
        v = villages[home[hid]]
        v.measures_planned.update(c.planned)
        v.measures_delivered.update(m for m in c.planned if m in c.delivered)
        v.labourers += len(c.labourers)
        v.trained += len(c.labourers) - len(c.untrained)
        if c.labourers:
            v.labour_households += 1
            v.employed_households += c.in_work
        v.aid_students += len(c.students)
        v.aided_students += len(c.students) - len(c.unaided)

    exits = _village_exits(conn, villages, period.year, policy)

    county = Stats("county", None, "全县 county")
    received_county = _zero_funds()
    for channel, vid, kind, amount in _money(conn, period):
        column = {
            RECEIPT: "received_fen",
            ALLOCATION: "allocated_fen",
            DISBURSEMENT: "disbursed_fen",
        }.get(kind)
        if column is None or channel not in received_county:
            continue
        received_county[channel][column] += amount
        if vid is not None and vid in villages:
            villages[vid].funds[channel][column] += amount

    townships: dict[str, Stats] = {}
    for v in villages.values():
        t = townships.get(v.township)
        if t is None:
            t = townships[v.township] = Stats(
                "township", _township_code(geo, v.township), v.township
            )
        t.add(v)
    for t in townships.values():
        county.add(t)
    county.funds = received_county  # the county sees every entry, targeted or not
    county.agricultural_population = (
        sum(v.agricultural_population or 0 for v in villages.values()) or None
    )

    # the committee reads how many gaps of each kind each village has; the list itself is
    # `fupin assign check --as-of END` (a county has tens of thousands of them)
    gap_counts: Counter = Counter()
    assign_gaps(conn, period.end, policy, coverage=cover, tally=gap_counts, registered=registered)
    found_gaps = [
        {"rule": rule, "township": t, "village": v, "village_code": code or None, "count": n}
        for (t, v, code, rule), n in sorted(gap_counts.items())
    ]
    rules = [
        {
            "rule": r.rule,
            "title": r.title,
            "subject": r.subject,
            "value": r.value,
            "threshold": r.threshold,
            "op": r.op,
            "unit": r.unit,
            "ok": r.ok,
        }
        for r in fund_job.fund_rules(conn, period.year, policy, until=period.end)
    ]
    return Report(
        period=period,
        county=county,
        townships=sorted(townships.values(), key=lambda s: (s.code or "", s.name)),
        villages=list(villages.values()),
        exit_target=policy.exit_targets.get(period.year),
        exited_persons_year=exited_year,
        max_poverty_rate=policy.village_exit.max_poverty_rate,
        gaps=found_gaps,
        rules=rules,
        village_exit=exits,
        services=policy.village_exit.services,
    )


def _village_exits(
    conn: Connection, villages: dict[int, Stats], year: int, policy: Policy
) -> list[VillageExit]:
    """The exit test of every poor village, in the report's village order."""
    columns = ", ".join(SERVICE_COLUMNS.values())
    facts: dict[int, VillageFacts] = {}
    for vid, income, income_year, *flags in conn.execute(
        text(f"SELECT id, collective_income_fen, collective_income_year, {columns} FROM village")
    ):
        v = villages[vid]
        facts[vid] = VillageFacts(
            poor_persons=v.persons,
            agricultural_population=v.agricultural_population,
            collective_income_fen=income,
            collective_income_year=income_year,
            services={
                name: None if flag is None else bool(flag)
                for name, flag in zip(SERVICE_COLUMNS, flags, strict=True)
            },
        )
    return [
        VillageExit(v, facts[vid], exit_test(facts[vid], year, policy.village_exit))
        for vid, v in villages.items()
        if v.is_poor
    ]


def _money(conn: Connection, period: Period) -> list[tuple[str, int | None, str, int]]:
    """(channel, village id, kind, net amount) of the ledger entries dated in the period; a
    reversal nets against the kind of the entry it cancels."""
    rows = conn.execute(
        text(
            "SELECT e.channel, e.village_id, CASE WHEN e.kind = 'reversal' THEN t.kind ELSE e.kind END AS k, "
            "sum(CASE WHEN e.kind = 'reversal' THEN -e.amount_fen ELSE e.amount_fen END) "
            "FROM fund_entry e LEFT JOIN fund_entry t ON t.doc_no = e.reverses_doc "
            "WHERE e.date BETWEEN :start AND :end GROUP BY e.channel, e.village_id, k"
        ),
        {"start": period.start.isoformat(), "end": period.end.isoformat()},
    )
    return [(ch, vid, kind, int(amount)) for ch, vid, kind, amount in rows]


def _township_code(geo: Geography, township: str) -> str | None:
    codes = [
        geo.codes[vid] for vid, (t, _v) in geo.names.items() if t == township and geo.codes[vid]
    ]
    return min(codes)[:9] if codes else None
