"""The multidimensional poverty measure (H, A, M0) of a year over the register (core.mpi).

Every household the register holds with an identification on or before 31 December of the year
counts (registered or not), weighted by its members; its deprivations are the latest
identification's five look scores. Weights and k are the identification policy's; the look
cutoff is ``[assess] look_cutoff``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from fupin_cli.core import mpi
from fupin_cli.core.policy import DIMENSIONS, Policy
from fupin_cli.jobs.assign_queries import fetch
from fupin_cli.reports.tables import RATE, TEXT, Table

_LATEST = (
    "SELECT a.household_id, t.code, t.name, "
    + ", ".join(f"a.{d}_score" for d in DIMENSIONS)
    + " FROM assessment a JOIN household h ON h.id = a.household_id"
    " JOIN village v ON v.id = h.village_id JOIN township t ON t.id = v.township_id"
    " WHERE a.id = (SELECT max(b.id) FROM assessment b"
    "  WHERE b.household_id = a.household_id AND b.as_of <= ?)"
)


def build(conn: Connection, year: int, policy: Policy) -> dict:
    persons = dict(fetch(conn, "SELECT household_id, count(*) FROM person GROUP BY household_id"))
    units, names = [], {}
    for hid, code, name, *scores in fetch(conn, _LATEST, (dt.date(year, 12, 31).isoformat(),)):
        key = code or name
        names[key] = (code, name)
        units.append(mpi.Unit(persons.get(hid, 0), dict(zip(DIMENSIONS, scores, strict=True)), key))
    w, cutoff, k = policy.identify.weights, policy.assess.look_cutoff, policy.identify.k
    whole = mpi.measure(units, w, cutoff, k)
    return {
        "k": k,
        "H": whole.H,
        "A": whole.A,
        "M0": whole.M0,
        "dimensions": {
            d: {
                "censored_headcount": whole.censored_headcount[d],
                "contribution": whole.contribution[d],
            }
            for d in DIMENSIONS
        },
        "townships": [
            {
                "code": names[g][0],
                "name": names[g][1],
                "H": m.H,
                "A": m.A,
                "M0": m.M0,
                "contribution": share,
            }  # fmt: skip
            for g, (m, share) in mpi.by_group(units, w, cutoff, k).items()
        ],
    }


LOOK_LABELS = {"housing": "住房", "production": "生产", "labour": "劳动力", "education": "教育",
               "health": "健康"}  # fmt: skip


def table(data: dict) -> Table:
    """The 多维贫困 sheet: the county, each township, then each look's censored headcount."""
    rows = [["全县", "", data["H"], data["A"], data["M0"], 1.0 if data["M0"] else 0.0]]
    rows += [[t["name"], "", t["H"], t["A"], t["M0"], t["contribution"]] for t in data["townships"]]
    rows += [
        ["维度", LOOK_LABELS[d], v["censored_headcount"], None, None, v["contribution"]]
        for d, v in data["dimensions"].items()
    ]
    return Table(
        "mpi",
        "多维贫困",
        [("范围", TEXT), ("维度", TEXT), ("H/删截发生率", RATE), ("A", RATE), ("M0", RATE),
         ("贡献", RATE)],
        rows,
    )  # fmt: skip
