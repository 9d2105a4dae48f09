"""fupin assign measures: the 帮扶措施落实台账 — which measure reached which household, and when.

措施 is a name classify uses: a category (产业帮扶 易地搬迁 政策兜底 大病救助) or a measure (教育资助
技能培训 危房改造 小额信贷 转移就业), by label, English key or a synonym of the policy's [synonyms]
(产业扶持, 医疗救助, 低保兜底 …; stored as the canonical label) — not by number, since the two
code lists share their numbers. 身份证号 names the member it reached (training, school aid); blank
means the household as a whole. 经办干部 is the cadre's 工号, 身份证号 or unique name (optional).

A record is known by (日期, 户编号, 身份证号, 措施, 内容); a later sheet updates its amount and
cadre. The table's UNIQUE constraint cannot catch repeats of household-level records (its
person_id is NULL), so the import matches them itself.
"""

from __future__ import annotations

from sqlalchemy import Connection

from fupin_cli.core.faults import Invalid
from fupin_cli.core.policy import Policy
from fupin_cli.core.words import PLAN_MEMBERS, Vocabulary
from fupin_cli.db.bulk import executemany
from fupin_cli.db.engine import Database
from fupin_cli.io.sheets import Field, Spec, Table
from fupin_cli.jobs.assign_imports import ImportOptions, ImportResult, run_import
from fupin_cli.jobs.assign_queries import fetch, iso
from fupin_cli.jobs.assign_visits import Cadres
from fupin_cli.jobs.rows import (
    ID,
    MONEY,
    RECORD_DATE,
    TEXT,
    Col,
    Plan,
    RowFault,
    digits_text,
    row_is_blank,
    unknown_household,
)

SPEC = Spec(
    [
        Field("date", "日期", ("落实日期", "帮扶日期", "发放日期", "date"), required=True),
        Field("household_no", "户编号", ("户号", "户码", "household no"), required=True),
        Field("id_number", "身份证号", ("身份证号码", "公民身份号码", "id number", "id_number")),
        Field("measure", "措施", ("帮扶措施", "措施类型", "项目类型", "measure"), required=True),
        Field("content", "内容", ("措施内容", "帮扶内容", "具体内容", "content")),
        Field("amount", "金额(元)", ("金额", "资助金额", "补助金额", "amount")),
        Field("cadre", "经办干部", ("干部", "经办人", "帮扶干部", "cadre")),
    ]
)


def columns(names: Vocabulary) -> list[Col]:
    return [
        Col("date", RECORD_DATE, required=True),
        Col("household_no", digits_text, required=True, cached=False),
        Col("id_number", ID, cached=False),
        Col("measure", names.parse, required=True),
        Col("content", TEXT, cached=False),
        Col("amount", MONEY),
        Col("cadre", TEXT),
    ]


def vocabulary(policy: Policy) -> Vocabulary:
    """The 措施 names: every category and measure, by label, key or the policy's synonyms."""
    return Vocabulary.build("措施", PLAN_MEMBERS, policy.synonyms)


def run(db: Database, opts: ImportOptions, *, policy: Policy) -> ImportResult:
    cols = columns(vocabulary(policy))

    def importer(conn: Connection, table: Table, batch_id: int, result: ImportResult) -> None:
        _import(conn, Plan(table, cols), table, batch_id, result)

    return run_import(
        db,
        opts,
        command="assign measures",
        spec=SPEC,
        importer=importer,
        policy_version=policy.version,
    )


def _import(
    conn: Connection, plan: Plan, table: Table, batch_id: int, result: ImportResult
) -> None:
    cadres = Cadres(conn)
    households = dict(fetch(conn, "SELECT household_no, id FROM household"))
    home = dict(fetch(conn, "SELECT id_number, household_id FROM person"))
    existing: dict[tuple, tuple[int, tuple]] = {}
    for rid, date, hid, pid, what, content, amount, cid in fetch(
        conn,
        "SELECT id, date, household_id, person_id, measure, content, amount_fen, cadre_id "
        "FROM measure_record",
    ):
        existing[(iso(date), hid, pid, what, content or "")] = (rid, (amount, cid))

    h_no, h_id, h_cadre = (table.header_of(k) for k in ("household_no", "id_number", "cadre"))
    result.count("amount_fen", 0)
    seen: dict[tuple, int] = {}
    inserts: list[tuple] = []
    updates: list[tuple] = []
    for row_no, cells in table.rows:
        if row_is_blank(cells):
            continue
        result.rows_read += 1
        try:
            v = plan.parse(cells)
            hid = households.get(v["household_no"])
            if hid is None:
                raise unknown_household(h_no, v["household_no"])
            pid = v["id_number"]
            if pid is not None and home.get(pid) != hid:
                raise RowFault(
                    h_id,
                    f"this person is not a member of household {v['household_no']}"
                    + ("" if pid in home else " (nor in the register)")
                    + "; check the 身份证号 and the 户编号",
                    zh=f"此人不是户 {v['household_no']} 的成员"
                    + ("" if pid in home else "（也不在库中）")
                    + "；请核对身份证号和户编号",
                )
            cid = None
            if v["cadre"]:
                try:
                    cid = cadres.find(v["cadre"])
                except Invalid as exc:
                    raise RowFault.of(h_cadre, exc) from None
            key = (v["date"].isoformat(), hid, pid, v["measure"], v["content"] or "")
            if key in seen:
                raise RowFault(
                    "",
                    f"the same record (日期, 户编号, 身份证号, 措施, 内容) as row {seen[key]}",
                    zh=f"与第 {seen[key]} 行是同一条记录（日期、户编号、身份证号、措施、内容相同）",
                )
        except RowFault as fault:
            result.reject(row_no, cells, fault)
            continue
        seen[key] = row_no
        values = (v["amount"] or 0, cid)
        result.sort(existing.get(key), key, values, batch_id, inserts, updates)
        result.count("amount_fen", values[0])

    executemany(
        conn,
        "INSERT INTO measure_record (date, household_id, person_id, measure, content, amount_fen, "
        "cadre_id, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        inserts,
    )
    executemany(
        conn,
        "UPDATE measure_record SET amount_fen = ?, cadre_id = ?, batch_id = ? WHERE id = ?",
        updates,
    )
