"""fupin assess report: the year's 三率一度, the exit test and the cases behind 错退 and 漏评.

The county's facts: registered persons = members of households registered at the year's end;
exited persons = members of 已脱贫 households; agricultural population = the villages'
农业人口 (a village without one counts its members in the register); never-registered
agricultural population = agricultural population − registered − exited persons (not below 0).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from fupin_cli.core import assess as core
from fupin_cli.core.policy import Policy
from fupin_cli.db.engine import Database
from fupin_cli.jobs.assess import ANSWER_FIELDS, Home, homes, latest_answers
from fupin_cli.jobs.assign_queries import fetch

RATE_NAMES = ("wrong_exit", "missed", "wrong_registration", "approval", "incidence")
CASE_COLUMNS = [
    ("kind", "问题"),
    ("township", "乡镇"),
    ("village", "村"),
    ("household_no", "户编号"),
    ("head_name", "户主姓名"),
    ("persons", "人数"),
    ("stratum", "层"),
    ("reasons", "原因"),
    ("surveyor", "调查员"),
    ("surveyed_on", "调查日期"),
]


@dataclass
class Assessment:
    year: int
    data: dict
    cases: list[dict]

    @property
    def passed(self) -> bool:
        return self.data["exit_test"]["pass"]


def county_facts(conn: Connection, everyone: dict[int, Home]) -> core.CountyFacts:
    registered = sum(h.persons for h in everyone.values() if h.stratum == core.REGISTERED)
    exited = sum(h.persons for h in everyone.values() if h.stratum == core.EXITED)
    by_village: dict[int, int] = {}
    for h in everyone.values():
        by_village[h.village_id] = by_village.get(h.village_id, 0) + h.persons
    agri = 0
    for vid, pop in fetch(conn, "SELECT id, agricultural_population FROM village"):
        agri += pop if pop is not None else by_village.get(vid, 0)
    return core.CountyFacts(registered, exited, max(0, agri - registered - exited), agri)


def assess(db: Database, year: int, policy: Policy) -> Assessment:
    line = policy.income_line_fen(year)
    with db.reading() as conn:
        everyone = homes(conn, year)
        sample = fetch(
            conn, "SELECT household_id, stratum, persons FROM assess_sample WHERE year = ?", (year,)
        )
        answers = latest_answers(conn, year)
        facts = county_facts(conn, everyone)
    surveys, cases = [], []
    for hid, stratum, persons in sample:
        if hid not in answers:
            continue
        a = dict(zip(ANSWER_FIELDS, answers[hid], strict=True))
        s = core.Survey(
            str(hid), stratum, persons, a["income_fen"], {q: a[q] for q in core.QUESTIONS},
            a["approve"],
        )  # fmt: skip
        surveys.append(s)
        for kind, faults in (
            ("错退", core.exit_faults(s, line) if stratum == core.EXITED else []),
            ("漏评", core.missed_faults(s, line) if stratum == core.NEVER else []),
        ):
            if faults:
                h = everyone[hid]
                cases.append(
                    {
                        "kind": kind, "township": h.township, "village": h.village,
                        "household_no": h.no, "head_name": h.head_name, "persons": persons,
                        "stratum": core.STRATUM_LABELS[stratum], "reasons": "；".join(faults),
                        "surveyor": a["surveyor"], "surveyed_on": a["surveyed_on"],
                    }
                )  # fmt: skip
    rates = core.rates(surveys, line, facts, policy.assess.z)
    verdict = core.exit_test(rates, policy.assess)
    by_stratum = {st: sum(1 for s in surveys if s.stratum == st) for st in core.STRATA}
    data = {
        "year": year,
        "sample": {
            "villages": len({everyone[int(s.household_id)].village_id for s in surveys}),
            "households": len(surveys),
            "persons": sum(s.persons for s in surveys),
            "by_stratum": by_stratum,
        },
        "rates": {name: rates[name].as_dict() for name in RATE_NAMES},
        "exit_test": {
            "pass": verdict.passed,
            "conditions": [
                {
                    "name": c.name,
                    "value": c.value,
                    "threshold": c.threshold,
                    "met": c.met,
                    "met_with_confidence": c.met_with_confidence,
                }
                for c in verdict.conditions
            ],  # fmt: skip
        },
    }
    return Assessment(year, data, cases)
