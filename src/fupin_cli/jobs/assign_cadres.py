"""fupin assign cadres: the cadres (干部, teachers included) who pair with poor households.

A cadre is known by 工号 when the row gives one, else by 身份证号. A later sheet updates the cadre;
a blank cell keeps the earlier value (so 在岗 否 must be written to record a departure; a cadre
missing from the sheet is left as they are). Units are matched or created by name.
"""

from __future__ import annotations

from sqlalchemy import Connection

from fupin_cli.core.codes import CadreRank
from fupin_cli.db.bulk import executemany
from fupin_cli.db.engine import Database
from fupin_cli.errors import InputError
from fupin_cli.io.sheets import Field, Spec, Table
from fupin_cli.jobs.assign_imports import (
    ImportOptions,
    ImportResult,
    Units,
    run_import,
)
from fupin_cli.jobs.assign_queries import fetch
from fupin_cli.jobs.rows import ID, TEXT, YES_NO, Col, Plan, RowFault, code, digits_text
from fupin_cli.jobs.rows import row_is_blank as _blank_row

SPEC = Spec(
    [
        Field("name", "姓名", ("干部姓名", "name"), required=True),
        Field("staff_no", "工号", ("职工号", "干部编号", "staff no", "staff_no")),
        Field("id_number", "身份证号", ("身份证号码", "公民身份号码", "id number", "id_number")),
        Field("unit", "单位", ("工作单位", "所在单位", "unit")),
        Field("rank", "职级", ("职务级别", "级别", "rank"), required=True),
        Field("township", "所在乡镇", ("乡镇", "township")),
        Field("is_teacher", "是否教师", ("教师", "teacher")),
        Field("phone", "联系电话", ("电话", "手机", "phone")),
        Field("in_post", "在岗", ("是否在岗", "in post", "in_post")),
    ]
)

COLUMNS = [
    Col("name", TEXT, required=True, cached=False),
    Col("staff_no", digits_text, cached=False),
    Col("id_number", ID, cached=False),
    Col("unit", TEXT),
    Col("rank", code(CadreRank), required=True),
    Col("township", TEXT),
    Col("is_teacher", YES_NO),
    Col("phone", digits_text, cached=False),
    Col("in_post", YES_NO),
]

# the stored columns, in the order of the INSERT/UPDATE statements below
FIELDS = (
    "staff_no",
    "id_number",
    "name",
    "unit_id",
    "rank",
    "township_id",
    "is_teacher",
    "phone",
    "in_post",
)


def run(db: Database, opts: ImportOptions) -> ImportResult:
    return run_import(
        db, opts, command="assign cadres", spec=SPEC, importer=_import, check_header=_check_header
    )


def _check_header(table: Table) -> None:
    if "staff_no" not in table.columns and "id_number" not in table.columns:
        raise InputError(
            f"{table.where}, row {table.header_row}: no 工号 or 身份证号 column; "
            "a cadre is known by one of them — add it"
        )


def _import(conn: Connection, table: Table, batch_id: int, result: ImportResult) -> None:
    plan = Plan(table, COLUMNS)
    units = Units(conn, result)
    result.count("units_created", 0)
    result.count("left_post", 0)
    townships = dict(fetch(conn, "SELECT name, id FROM township"))
    cadres: dict[int, dict] = {}
    by_staff: dict[str, int] = {}
    by_id: dict[str, int] = {}
    for row in fetch(conn, f"SELECT id, {', '.join(FIELDS)} FROM cadre"):
        c = dict(zip(FIELDS, row[1:], strict=True))
        c["is_teacher"], c["in_post"] = bool(c["is_teacher"]), bool(c["in_post"])
        cadres[row[0]] = c
        if c["staff_no"]:
            by_staff[c["staff_no"]] = row[0]
        if c["id_number"]:
            by_id[c["id_number"]] = row[0]

    h_staff, h_id = table.header_of("staff_no"), table.header_of("id_number")
    seen_staff: dict[str, int] = {}
    seen_id: dict[str, int] = {}
    inserts: list[tuple] = []
    updates: list[tuple] = []
    for row_no, cells in table.rows:
        if _blank_row(cells):
            continue
        result.rows_read += 1
        try:
            v = plan.parse(cells)
            staff, idn = v["staff_no"] or None, v["id_number"]
            if not staff and not idn:
                raise RowFault(
                    h_staff if "staff_no" in table.columns else h_id,
                    "give 工号 or 身份证号",
                    zh="请填工号或身份证号",
                )
            if staff in seen_staff:
                raise RowFault(
                    h_staff,
                    f"工号 {staff} already given in row {seen_staff[staff]}",
                    zh=f"工号 {staff} 已在第 {seen_staff[staff]} 行填过",
                )
            if idn in seen_id:
                raise RowFault(
                    h_id,
                    f"身份证号 already given in row {seen_id[idn]}",
                    zh=f"身份证号已在第 {seen_id[idn]} 行填过",
                )
            township_id = None
            if v["township"]:
                township_id = townships.get(v["township"])
                if township_id is None:
                    known = "、".join(sorted(townships))
                    raise RowFault(
                        table.header_of("township"),
                        f"no township named {v['township']} (known: {known or 'none yet'}); "
                        "check the spelling",
                        zh=f"没有名为 {v['township']} 的乡镇（现有：{known or '尚无'}）；请核对写法",
                    )
            rank: CadreRank = v["rank"]
            if rank is CadreRank.TEACHER and v["is_teacher"] is False:
                raise RowFault(
                    table.header_of("is_teacher"),
                    "职级 is 教师 but 是否教师 is 否",
                    zh="职级为教师，是否教师却填了否",
                )
            cid = _match(staff, idn, by_staff, by_id, cadres, h_staff, h_id)
        except RowFault as fault:
            result.reject(row_no, cells, fault)
            continue
        if staff:
            seen_staff[staff] = row_no
        if idn:
            seen_id[idn] = row_no
        old = cadres.get(cid) if cid is not None else None
        is_teacher = v["is_teacher"]
        if is_teacher is None:
            is_teacher = (
                True if rank is CadreRank.TEACHER else (old["is_teacher"] if old else False)
            )
        new = {
            "staff_no": staff,
            "id_number": idn,
            "name": v["name"],
            "unit_id": units.id(v["unit"]) if v["unit"] else None,
            "rank": rank.value,
            "township_id": township_id,
            "is_teacher": is_teacher,
            "phone": v["phone"] or None,
            "in_post": v["in_post"],
        }
        if old is None:
            if new["in_post"] is None:
                new["in_post"] = True
            inserts.append((*(new[f] for f in FIELDS), batch_id))
            result.created += 1
            continue
        merged = {f: (old[f] if new[f] is None else new[f]) for f in FIELDS}  # blank keeps
        if merged == old:
            result.unchanged += 1
            continue
        if old["in_post"] and not merged["in_post"]:
            result.count("left_post")
        updates.append((*(merged[f] for f in FIELDS), batch_id, cid))
        result.updated += 1

    executemany(
        conn,
        f"INSERT INTO cadre ({', '.join(FIELDS)}, batch_id) VALUES ({', '.join('?' * (len(FIELDS) + 1))})",
        inserts,
    )
    executemany(
        conn,
        f"UPDATE cadre SET {', '.join(f'{f} = ?' for f in FIELDS)}, batch_id = ? WHERE id = ?",
        updates,
    )


def _match(
    staff: str | None,
    idn: str | None,
    by_staff: dict[str, int],
    by_id: dict[str, int],
    cadres: dict[int, dict],
    h_staff: str,
    h_id: str,
) -> int | None:
    """The stored cadre this row describes (None: a new cadre), or a RowFault on a conflict."""
    s = by_staff.get(staff) if staff else None
    i = by_id.get(idn) if idn else None
    if s is not None and i is not None and s != i:
        other = cadres[i]
        raise RowFault(
            h_id,
            f"身份证号 belongs to another cadre ({other['name']}, 工号 {other['staff_no'] or '-'})",
            zh=f"此身份证号属于另一名干部（{other['name']}，工号 {other['staff_no'] or '-'}）",
        )
    if s is None and i is not None and staff and cadres[i]["staff_no"]:
        raise RowFault(
            h_staff,
            f"this 身份证号 is registered with 工号 {cadres[i]['staff_no']}, not {staff}",
            zh=f"此身份证号登记的工号是 {cadres[i]['staff_no']}，不是 {staff}",
        )
    return s if s is not None else i
