"""A household's status on a date, from its dated status events (the latest on or before it).

The check and the report judge the register as it stood on their date, so a report for a past
quarter does not change when later rosters are imported.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, text

from fupin_cli.core.codes import Status

REGISTERED = frozenset(s.value for s in Status if s.registered)  # 已识别 预脱贫 返贫

_STATUS_ON = text(
    "SELECT household_id, to_status FROM ("
    " SELECT household_id, to_status,"
    "  ROW_NUMBER() OVER (PARTITION BY household_id ORDER BY date DESC, id DESC) AS rn"
    " FROM status_event WHERE to_status IS NOT NULL AND date <= :day) e WHERE rn = 1"
)


def status_on(conn: Connection, day: dt.date) -> dict[int, str]:
    """household id -> status label on ``day`` (households with no event yet are absent)."""
    return {hid: status for hid, status in conn.execute(_STATUS_ON, {"day": day.isoformat()})}


def registered_on(conn: Connection, day: dt.date) -> set[int]:
    """The households registered poor (建档立卡在册) on ``day``."""
    return {hid for hid, status in status_on(conn, day).items() if status in REGISTERED}


def register_date(conn: Connection, today: dt.date | None = None) -> dt.date | None:
    """The register's own date: the as-of of its latest identification round, never after
    today; None for a register that holds no identification yet."""
    latest = conn.execute(text("SELECT max(as_of) FROM assessment")).scalar()
    if latest is None:
        return None
    day = latest if isinstance(latest, dt.date) else dt.date.fromisoformat(str(latest)[:10])
    return min(day, today or dt.date.today())
