"""Reads the assign jobs share: plain-tuple fetches, and who is registered, a student, backed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from fupin_cli.core.codes import SchoolStatus, Status
from fupin_cli.db.bulk import executemany

# The code lists decide; SQL only filters by their labels.
REGISTERED = tuple(s.value for s in Status if s.registered)  # 已识别 预脱贫 返贫
STUDENT_LEVELS = tuple(s.value for s in SchoolStatus if s.is_student)  # 小学 and above


def marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def fetch(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Plain tuples through the driver's cursor: the fast read for county-sized tables."""
    if conn.dialect.name != "sqlite":
        sql = sql.replace("?", "%s")
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, tuple(params))
        return cursor.fetchall()
    finally:
        cursor.close()


def execute(conn: Connection, sql: str, params: Sequence[Any] = ()) -> None:
    executemany(conn, sql, [tuple(params)])


def insert_id(conn: Connection, sql: str, params: Sequence[Any]) -> int:
    """Insert one row and return its id (SQLite and PostgreSQL alike)."""
    if conn.dialect.name != "sqlite":
        return fetch(conn, sql + " RETURNING id", params)[0][0]
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, tuple(params))
        return cursor.lastrowid
    finally:
        cursor.close()


def iso(value: dt.date | str | None) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else value


def current_teams(conn: Connection, as_of: dt.date) -> dict[int, tuple]:
    """village id -> the work team in force on ``as_of``: the latest started by then and not
    ended before it (结束日期 is the team's last day). Values are (team id, leader_name,
    leader_level, secretary_name, enterprise_id, start_date, end_date)."""
    day = as_of.isoformat()
    out: dict[int, tuple] = {}
    for row in fetch(
        conn,
        "SELECT village_id, id, leader_name, leader_level, secretary_name, enterprise_id, "
        "start_date, end_date FROM work_team WHERE start_date <= ? "
        "AND (end_date IS NULL OR end_date >= ?) ORDER BY village_id, start_date, id",
        (day, day),
    ):
        out[row[0]] = row[1:]  # ordered: the latest start wins
    return out


def team_units(conn: Connection, team_ids: Sequence[int]) -> dict[int, set[int]]:
    """team id -> its backing unit ids (后盾单位)."""
    wanted = set(team_ids)
    out: dict[int, set[int]] = {}
    for tid, uid in fetch(conn, "SELECT work_team_id, unit_id FROM work_team_unit"):
        if tid in wanted:
            out.setdefault(tid, set()).add(uid)
    return out
