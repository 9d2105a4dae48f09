"""Read what ``core.coverage`` needs for many households at once, and apply it.

``household_coverage(conn, day, households, policy)`` answers, for each household id given, its
``Coverage`` on ``day``: the plan is the latest classification made on or before ``day``
(category + measures), the records are those dated up to ``day``, the members the register's
current ones. ``fupin assign check`` and the quarterly report both use it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from itertools import groupby
from operator import itemgetter

from sqlalchemy import Connection

from fupin_cli.core.coverage import Coverage, Member, Record, coverage
from fupin_cli.core.policy import Policy
from fupin_cli.db.bulk import Days, selected_ids
from fupin_cli.jobs.assign_queries import fetch


def plans(conn: Connection, day: dt.date) -> dict[int, tuple[str, ...]]:
    """household id -> its plan on ``day``: the category and the measures of its latest
    classification made on or before ``day``."""
    out: dict[int, tuple[str, ...]] = {}
    parsed: dict[tuple[str, str | None], tuple[str, ...]] = {}  # few distinct plans in a county
    for hid, category, measures in fetch(
        conn,
        "SELECT household_id, category, measures FROM classification WHERE as_of <= ? "
        "ORDER BY household_id, id",
        (day.isoformat(),),
    ):
        key = (category, measures)
        plan = parsed.get(key)
        if plan is None:
            plan = parsed[key] = (category, *json.loads(measures or "[]"))
        out[hid] = plan  # ordered: the latest id wins
    return out


def household_coverage(
    conn: Connection, day: dt.date, households: Collection[int], policy: Policy
) -> dict[int, Coverage]:
    wanted = households if isinstance(households, (set, frozenset, dict)) else set(households)
    members: dict[int, list[Member]] = {}
    days = Days()
    with selected_ids(conn, wanted) as chosen:  # only their members, not the county's
        rows = fetch(
            conn,
            "SELECT p.household_id, p.id_number, p.name, p.birth_date, p.labour_skill, "
            f"p.school_status, p.work_status FROM {chosen} w CROSS JOIN person p "
            "WHERE p.household_id = w.id ORDER BY p.household_id, p.id_number",
        )
    for hid, group in groupby(rows, _FIRST):
        members[hid] = [
            Member(pid, name, days[birth], skill, school, work)
            for _hid, pid, name, birth, skill, school, work in group
        ]
    records: dict[int, list[Record]] = {}
    for hid, date, what, pid in fetch(
        conn,
        "SELECT household_id, date, measure, person_id FROM measure_record WHERE date <= ?",
        (day.isoformat(),),
    ):
        if hid in wanted:
            records.setdefault(hid, []).append(Record(days[date], what, pid))
    plan = plans(conn, day)
    working_age = policy.classify.working_age
    blank_unknown = policy.classify.blank_work_unknown
    return {
        hid: coverage(
            members.get(hid, ()),
            plan.get(hid, ()),
            records.get(hid, ()),
            day,
            working_age,
            blank_unknown,
        )
        for hid in wanted
    }


_FIRST = itemgetter(0)
