"""fupin assign teams: village work teams (驻村工作队) — leader, 第一书记, backing units, enterprise.

A team is known by (village, 开始日期); a later sheet updates it, a blank cell keeps the earlier
value, and a non-blank 后盾单位 cell replaces the team's backing units. The team in force in a
village on a date is the latest one started by then and not ended before it. A team without a
队长 or 第一书记 is accepted (``fupin assign check`` lists it); an unknown village or level, a
named leader without a level, or an invalid 统一社会信用代码 rejects the row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from fupin_cli.core.codes import LeaderLevel, clean_text
from fupin_cli.core.faults import Invalid
from fupin_cli.db.bulk import executemany
from fupin_cli.db.engine import Database
from fupin_cli.db.geo import Geography
from fupin_cli.errors import UsageError
from fupin_cli.io.sheets import Field, Spec, Table
from fupin_cli.jobs.assign_imports import (
    ImportOptions,
    ImportResult,
    Units,
    run_import,
    split_names,
)
from fupin_cli.jobs.assign_queries import fetch, insert_id, iso
from fupin_cli.jobs.rows import RECORD_DATE, TEXT, Col, Plan, RowFault, code, row_is_blank

SPEC = Spec(
    [
        Field("township", "乡镇", ("乡镇名称", "所在乡镇", "township")),
        Field("village", "村", ("村名", "村名称", "行政村", "村代码", "village"), required=True),
        Field("leader", "队长", ("工作队长", "驻村工作队长", "队长姓名", "leader")),
        Field("leader_level", "队长级别", ("队长层级", "级别", "leader level")),
        Field("secretary", "第一书记", ("驻村第一书记", "secretary")),
        Field("units", "后盾单位", ("帮扶单位", "后盾单位(多个用、分隔)", "backing units")),
        Field("enterprise", "联村企业", ("结对企业", "帮扶企业", "enterprise")),
        Field(
            "credit_code",
            "企业信用代码",
            ("统一社会信用代码", "信用代码", "企业统一社会信用代码", "credit code"),
        ),
        Field("start", "开始日期", ("进驻日期", "起始日期", "start date"), required=True),
        Field("end", "结束日期", ("撤离日期", "截止日期", "end date")),
    ]
)


def credit_code(value: Any) -> str:
    """统一社会信用代码 (GB 32100-2015), checked with python-stdnum."""
    text = clean_text(value).upper()
    try:
        return uscc.validate(text)
    except ValidationError as exc:
        raise Invalid(
            f"'{value}' is not a valid 统一社会信用代码 ({exc}); check it",
            zh=f"'{value}' 不是有效的统一社会信用代码；请核对",
        ) from None


COLUMNS = [
    Col("township", TEXT),
    Col("village", TEXT, required=True),
    Col("leader", TEXT, cached=False),
    Col("leader_level", code(LeaderLevel)),
    Col("secretary", TEXT, cached=False),
    Col("units", TEXT),
    Col("enterprise", TEXT),
    Col("credit_code", credit_code),
    Col("start", RECORD_DATE, required=True),
    Col("end", RECORD_DATE),
]

FIELDS = ("leader_name", "leader_level", "secretary_name", "enterprise_id", "end_date")


def run(db: Database, opts: ImportOptions) -> ImportResult:
    return run_import(db, opts, command="assign teams", spec=SPEC, importer=_import)


def _import(conn: Connection, table: Table, batch_id: int, result: ImportResult) -> None:
    plan = Plan(table, COLUMNS)
    geo = Geography.load(conn)
    units = Units(conn, result)
    result.count("units_created", 0)
    teams: dict[tuple[int, str], tuple[int, dict]] = {}
    for tid, vid, start, *rest in fetch(
        conn, f"SELECT id, village_id, start_date, {', '.join(FIELDS)} FROM work_team"
    ):
        teams[(vid, iso(start))] = (tid, dict(zip(FIELDS, rest, strict=True)))
    team_units: dict[int, set[int]] = {}
    for tid, uid in fetch(conn, "SELECT work_team_id, unit_id FROM work_team_unit"):
        team_units.setdefault(tid, set()).add(uid)

    seen: dict[tuple[int, str], int] = {}
    updates: list[tuple] = []
    unit_rows_out: list[tuple] = []
    unit_rows_in: list[tuple] = []
    for row_no, cells in table.rows:
        if row_is_blank(cells):
            continue
        result.rows_read += 1
        try:
            v = plan.parse(cells)
            vid = _village(geo, v["township"], v["village"], table)
            start: dt.date = v["start"]
            if v["end"] is not None and v["end"] < start:
                raise RowFault(
                    table.header_of("end"),
                    f"结束日期 {v['end']} is before 开始日期 {start}",
                    zh=f"结束日期 {v['end']} 早于开始日期 {start}",
                )
            if v["leader"] and v["leader_level"] is None:
                raise RowFault(
                    table.header_of("leader_level"),
                    f"blank, but 队长 {v['leader']} is named; give {LeaderLevel.choices()}",
                    zh=f"此格为空，但填了队长 {v['leader']}；请填 {LeaderLevel.choices()}",
                )
            key = (vid, start.isoformat())
            if key in seen:
                raise RowFault(
                    "",
                    f"the team of {geo.label(vid)} starting {start} is already in row {seen[key]}",
                    zh=f"{geo.label(vid)} 自 {start} 起的工作队已在第 {seen[key]} 行填过",
                )
            enterprise_id = _enterprise(units, v["enterprise"], v["credit_code"], table)
        except RowFault as fault:
            result.reject(row_no, cells, fault)
            continue
        seen[key] = row_no
        new = {
            "leader_name": v["leader"],
            "leader_level": v["leader_level"].value if v["leader_level"] else None,
            "secretary_name": v["secretary"],
            "enterprise_id": enterprise_id,
            "end_date": iso(v["end"]),
        }
        unit_ids = {units.id(n) for n in split_names(v["units"])} if v["units"] else None
        found = teams.get(key)
        if found is None:
            tid = insert_id(
                conn,
                f"INSERT INTO work_team (village_id, start_date, {', '.join(FIELDS)}, batch_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (vid, key[1], *(new[f] for f in FIELDS), batch_id),
            )
            unit_rows_in += [(tid, u) for u in sorted(unit_ids or ())]
            result.created += 1
            continue
        tid, old = found
        merged = {f: (old[f] if new[f] is None else new[f]) for f in FIELDS}  # blank keeps
        old_units = team_units.get(tid, set())
        units_changed = unit_ids is not None and unit_ids != old_units
        if merged == old and not units_changed:
            result.unchanged += 1
            continue
        if merged != old:
            updates.append((*(merged[f] for f in FIELDS), batch_id, tid))
        if units_changed:
            assert unit_ids is not None
            unit_rows_out += [(tid, u) for u in sorted(old_units - unit_ids)]
            unit_rows_in += [(tid, u) for u in sorted(unit_ids - old_units)]
        result.updated += 1

    executemany(
        conn,
        f"UPDATE work_team SET {', '.join(f'{f} = ?' for f in FIELDS)}, batch_id = ? WHERE id = ?",
        updates,
    )
    executemany(
        conn, "DELETE FROM work_team_unit WHERE work_team_id = ? AND unit_id = ?", unit_rows_out
    )
    executemany(
        conn, "INSERT INTO work_team_unit (work_team_id, unit_id) VALUES (?, ?)", unit_rows_in
    )


def _village(geo: Geography, township: str | None, village: str, table: Table) -> int:
    """The village of a row: 12-digit code, 乡镇 + 村 name, or a name unique in the county."""
    header = table.header_of("village")
    key = "".join(village.split())
    if township:
        tkey = "".join(township.split())
        vid = geo.by_code.get(key) or geo.villages.get((tkey, key))
        elsewhere = geo.by_name.get(key, [])
        if vid is None and elsewhere:
            where = "、".join(sorted(geo.names[i][0] for i in elsewhere))
            raise _elsewhere(header, key, where, tkey)
        if vid is None:
            raise RowFault(
                header,
                f"no village {key} in {tkey}; check the names, or import it with "
                "'fupin identify --villages' first",
                zh=f"{tkey} 没有村 {key}；请核对名称，或先用 fupin identify --villages 导入村表",
            )
        if geo.names[vid][0] != tkey:
            raise _elsewhere(header, key, geo.names[vid][0], tkey)
        return vid
    try:
        vid = geo.find(key)
    except UsageError as exc:  # a name shared by villages of several townships
        raise RowFault(
            header, str(exc).removeprefix("village "), zh=geo.ambiguous_zh(key)
        ) from None
    if vid is None:
        raise RowFault(
            header,
            f"no village {key}; give its 12-digit code or its name (with 乡镇), "
            "or import it with 'fupin identify --villages' first",
            zh=f"没有村 {key}；请填12位代码或村名（并填乡镇），或先用 fupin identify --villages "
            "导入村表",
        )
    return vid


def _elsewhere(header: str, village: str, where: str, township: str) -> RowFault:
    return RowFault(
        header,
        f"village {village} is in {where}, not {township}",
        zh=f"村 {village} 在 {where}，不在 {township}",
    )


def _enterprise(units: Units, name: str | None, code_: str | None, table: Table) -> int | None:
    """The paired enterprise (unit kind 企业): matched by credit code, then by name, or created."""
    if not name and not code_:
        return None
    h_name, h_code = table.header_of("enterprise"), table.header_of("credit_code")
    by_code = units.by_code.get(code_) if code_ else None
    if not name:
        if by_code is None:
            raise RowFault(
                h_name,
                f"blank; 企业信用代码 {code_} is not known yet, give the name",
                zh=f"此格为空；企业信用代码 {code_} 尚未登记，请填企业名称",
            )
        units.update(by_code, kind="企业", code=code_)
        return by_code
    by_name = units.by_name.get(name)
    if by_code is not None and by_code != by_name:
        raise RowFault(
            h_code,
            f"{code_} is the code of {units.rows[by_code][0]}, not {name}",
            zh=f"{code_} 是 {units.rows[by_code][0]} 的代码，不是 {name} 的",
        )
    if by_name is None:
        return units.id(name, kind="企业", code=code_)
    old_code = units.rows[by_name][2]
    if code_ and old_code and old_code != code_:
        raise RowFault(
            h_code,
            f"{name} is registered with 企业信用代码 {old_code}, not {code_}",
            zh=f"{name} 登记的企业信用代码是 {old_code}，不是 {code_}",
        )
    units.update(by_name, kind="企业", code=code_ or old_code)
    return by_name
