"""The villages sheet: 贫困村 flag, populations, collective income, relocation zone, services.

Villages are matched by (乡镇, 村); a later sheet updates them and a blank cell keeps the earlier
value. A row with a bad cell is rejected (to the error file); the good rows go in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, select, update

from fupin_cli.core.faults import Invalid
from fupin_cli.db.geo import Geography
from fupin_cli.db.models import Village
from fupin_cli.io.errors_file import Rejected
from fupin_cli.io.sheets import Field, Spec, open_table
from fupin_cli.jobs.rows import (
    MONEY,
    TEXT,
    YES_NO,
    Col,
    Plan,
    RowFault,
    digits_text,
    integer,
    row_is_blank,
)

_village = Village.__table__  # type: ignore[attr-defined]

# roster header -> village column, for the seven services of the exit test (贫困村出列)
SERVICE_COLUMNS = {
    "通安全饮水": "safe_water",
    "通动力电": "power",
    "通硬化路": "hardened_road",
    "危房清零": "unsafe_housing_cleared",
    "有标准化卫生室": "clinic",
    "通广播电视": "broadcasting",
    "通宽带": "broadband",
}

SPEC = Spec(
    [
        Field("township", "乡镇", ("乡镇名称", "乡(镇)", "乡镇(街道)", "township"), required=True),
        Field(
            "village",
            "村",
            ("村名", "村名称", "行政村", "村(居)", "村(社区)", "village"),
            required=True,
        ),
        Field("code", "村代码", ("村编码", "统计用区划代码", "区划代码", "village code")),
        Field("is_poor", "是否贫困村", ("贫困村", "poor village")),
        Field("registered_population", "户籍人口", ("总人口", "registered population")),
        Field("agricultural_population", "农业人口", ("agricultural population",)),
        Field(
            "collective_income",
            "村集体经济收入(元)",
            ("村集体经济收入", "集体经济收入(元)", "collective income"),
        ),
        Field("relocation_zone", "搬迁区域", ("是否搬迁区域", "relocation zone")),
        Field("year", "年度", ("年份", "year")),
        *(Field(key, header) for header, key in SERVICE_COLUMNS.items()),
    ]
)


def village_code(value) -> str:
    code = digits_text(value)
    if not (code.isdigit() and len(code) == 12):
        raise Invalid(
            f"'{value}' is not a 12-digit 统计用区划代码", zh=f"'{value}' 不是12位的统计用区划代码"
        )
    return code


def year(value) -> int:
    y = integer(value)
    if not 1990 <= y <= 2100:
        raise Invalid(f"'{value}' is not a year", zh=f"'{value}' 不是年份")
    return y


COLUMNS = [
    Col("township", TEXT, required=True, cached=False),
    Col("village", TEXT, required=True, cached=False),
    Col("code", village_code, cached=False),
    Col("is_poor", YES_NO),
    Col("registered_population", integer),
    Col("agricultural_population", integer),
    Col("collective_income", MONEY),
    Col("relocation_zone", YES_NO),
    Col("year", year),
    *(Col(key, YES_NO) for key in SERVICE_COLUMNS.values()),
]


@dataclass
class VillagesResult:
    rows_read: int = 0
    rows_rejected: int = 0
    created: int = 0
    updated: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)


def import_villages(
    conn: Connection,
    path: Path,
    *,
    geo: Geography,
    batch_id: int,
    as_of: dt.date,
    sheet: str | None = None,
    encoding: str | None = None,
    warn: Callable[[str], None] = lambda _message: None,
) -> VillagesResult:
    table = open_table(path, SPEC, sheet=sheet, encoding=encoding)
    if note := table.ignored():
        warn(note)
    plan = Plan(table, COLUMNS)
    result = VillagesResult(headers=table.headers)
    existing = {row.id: dict(row._mapping) for row in conn.execute(select(_village))}
    seen: dict[tuple[str, str], int] = {}
    codes_seen: dict[str, int] = {}
    for row_no, cells in table.rows:
        if row_is_blank(cells):
            continue
        result.rows_read += 1
        try:
            v = plan.parse(cells)
            key = (v["township"], v["village"])
            if key in seen:
                raise RowFault(
                    "",
                    f"village {key[0]}/{key[1]} already given in row {seen[key]}",
                    zh=f"村 {key[0]}/{key[1]} 已在第 {seen[key]} 行填过",
                )
            code = v["code"]
            if code:
                other = codes_seen.get(code)
                owner = geo.by_code.get(code)
                if other is not None or (owner is not None and geo.names[owner] != key):
                    where = f"row {other}" if other else geo.label(owner)
                    where_zh = f"第 {other} 行" if other else geo.label(owner)
                    raise RowFault(
                        table.header_of("code"),
                        f"code {code} is already used by {where}",
                        zh=f"代码 {code} 已被{where_zh}使用",
                    )
        except RowFault as fault:
            result.rows_rejected += 1
            result.rejected.append(fault.rejected(row_no, cells))
            continue
        seen[key] = row_no
        if code:
            codes_seen[code] = row_no
        values = {
            k: v[k]
            for k in (
                "code",
                "is_poor",
                "registered_population",
                "agricultural_population",
                "relocation_zone",
                *SERVICE_COLUMNS.values(),
            )
        }
        if v["collective_income"] is not None:
            values["collective_income_fen"] = v["collective_income"]
            values["collective_income_year"] = v["year"] or as_of.year
        values = {
            k: val for k, val in values.items() if val is not None
        }  # blank keeps the old value
        vid, created = geo.village_id(conn, key[0], key[1], batch_id=batch_id, code=code)
        old = existing.get(vid, {})
        changed = {k: val for k, val in values.items() if old.get(k) != val}
        if created:
            result.created += 1
        if changed:
            conn.execute(
                update(_village).where(_village.c.id == vid).values(**changed, batch_id=batch_id)
            )
            if code:
                geo.codes[vid] = code
                geo.by_code[code] = vid
            if not created:
                result.updated += 1
    return result
