"""fupin assess: the county exit self-assessment over the register (core.assess does the sums).

The strata come from each household's status at the year's end (31 December): 已脱贫 → exited,
已识别/预脱贫/返贫 → registered, no status (never identified) or 未识别 → never registered;
剔除 households are in no stratum. 人数 is the household's members in the register.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection

from fupin_cli.core import assess as core
from fupin_cli.core.codes import Relation, Status
from fupin_cli.core.idcard import mask_id
from fupin_cli.core.policy import Policy
from fupin_cli.db.bulk import executemany
from fupin_cli.db.engine import Database
from fupin_cli.db.status import REGISTERED, status_on
from fupin_cli.errors import UsageError
from fupin_cli.io.sheets import Field, Spec, Table
from fupin_cli.jobs.assign_imports import ImportOptions, ImportResult, run_import
from fupin_cli.jobs.assign_queries import execute, fetch
from fupin_cli.jobs.rows import (
    MONEY,
    RECORD_DATE,
    TEXT,
    YES_NO,
    Col,
    Plan,
    RowFault,
    digits_text,
    row_is_blank,
)


@dataclass(frozen=True)
class Home:
    id: int
    no: str
    village_id: int
    township: str
    village: str
    head_name: str
    head_id: str
    persons: int
    income_fen: int | None
    stratum: str | None


def stratum_of(status: str | None) -> str | None:
    if status == Status.EXITED.value:
        return core.EXITED
    if status in REGISTERED:
        return core.REGISTERED
    if status is None or status == Status.UNIDENTIFIED.value:
        return core.NEVER
    return None


def homes(conn: Connection, year: int) -> dict[int, Home]:
    """Every household with its stratum at the year's end."""
    status = status_on(conn, dt.date(year, 12, 31))
    persons = dict(fetch(conn, "SELECT household_id, count(*) FROM person GROUP BY household_id"))
    heads = {
        hid: (name, idn)
        for hid, name, idn in fetch(
            conn,
            "SELECT household_id, name, id_number FROM person WHERE relation = ?",
            (Relation.HEAD.value,),
        )
    }
    out = {}
    for hid, no, vid, town, village, head, income in fetch(
        conn,
        "SELECT h.id, h.household_no, h.village_id, t.name, v.name, h.head_name, "
        "h.income_per_capita_fen FROM household h JOIN village v ON v.id = h.village_id "
        "JOIN township t ON t.id = v.township_id",
    ):
        name, idn = heads.get(hid, (head or "", ""))
        out[hid] = Home(
            hid, no, vid, town, village, head or name, idn, persons.get(hid, 0), income,
            stratum_of(status.get(hid)),
        )  # fmt: skip
    return out


# --- sample ----------------------------------------------------------------------------------

SURVEY_HEADERS = [
    "乡镇", "村", "户编号", "户主姓名", "户主身份证号", "人数", "层", "登记人均纯收入(元)",
    "核实人均纯收入(元)", *core.QUESTION_LABELS.values(), "认可", "调查员", "调查日期",
]  # fmt: skip
YES_NO_COLUMNS = range(10, 16)  # 1-based: the five questions and 认可


@dataclass
class SampleResult:
    year: int
    seed: int
    villages: int
    households: int
    persons: int
    by_stratum: dict[str, int]
    output: str
    replaced: int

    def summary(self) -> dict:
        return dict(self.__dict__)


def sample(
    db: Database, year: int, n_villages: int, per_village: int, seed: int, policy: Policy,
    output: Path, dry_run: bool = False,
) -> SampleResult:  # fmt: skip
    from fupin_cli.db.audit import start_batch

    with db.transaction(dry_run=dry_run) as conn:
        everyone = homes(conn, year)
        poor = dict(fetch(conn, "SELECT id, is_poor FROM village"))
        by_village: dict[str, dict[str, list[str]]] = {}
        for h in everyone.values():
            if h.stratum is not None:
                by_village.setdefault(str(h.village_id), {}).setdefault(h.stratum, []).append(
                    str(h.id)
                )
        villages = {str(v): bool(p) for v, p in poor.items() if str(v) in by_village}
        drawn = core.draw_sample(
            villages, by_village, n_villages, per_village, policy.assess.min_per_stratum, seed
        )
        batch = start_batch(
            conn, "assess sample",
            arguments={"year": year, "villages": n_villages, "households": per_village,
                       "seed": seed, "output": output},
            policy_version=policy.version,
        )  # fmt: skip
        replaced = fetch(conn, "SELECT count(*) FROM assess_sample WHERE year = ?", (year,))[0][0]
        if replaced:  # a new draw for the year replaces the earlier one (answers are kept)
            execute(conn, "DELETE FROM assess_sample WHERE year = ?", (year,))
        chosen = [everyone[int(d.household_id)] for d in drawn]
        executemany(
            conn,
            "INSERT INTO assess_sample (year, seed, household_id, village_id, stratum, persons, "
            "batch_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(year, seed, h.id, h.village_id, h.stratum, h.persons, batch.id) for h in chosen],
        )
        by_stratum = {s: sum(1 for h in chosen if h.stratum == s) for s in core.STRATA}
        result = SampleResult(
            year, seed, len({h.village_id for h in chosen}), len(chosen),
            sum(h.persons for h in chosen), by_stratum, str(output), replaced,
        )  # fmt: skip
        write_survey(output, year, chosen)
        batch.finish(result.summary())
    return result


def write_survey(path: Path, year: int, chosen: list[Home]) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from fupin_cli.io.xlsx import (
        MONEY_FORMAT,
        TEXT_FORMAT,
        new_workbook,
        save_workbook,
        write_table,
    )

    rows = [
        [
            h.township, h.village, h.no, h.head_name, mask_id(h.head_id) if h.head_id else "",
            h.persons, core.STRATUM_LABELS[h.stratum],
            None if h.income_fen is None else h.income_fen / 100,
            None, *([None] * 6), None, None,
        ]
        for h in chosen
    ]  # fmt: skip
    wb = new_workbook()
    ws = write_table(
        wb, "入户调查表", SURVEY_HEADERS, rows, formats={2: TEXT_FORMAT, 7: MONEY_FORMAT}
    )
    last = max(len(rows) + 1, 2)
    dv = DataValidation(
        type="list", formula1='"是,否"', allow_blank=True, showErrorMessage=True,
        errorTitle="是/否", error="请从下拉列表中选择 是 或 否",
    )  # fmt: skip
    for c in YES_NO_COLUMNS:
        letter = get_column_letter(c)
        dv.add(f"{letter}2:{letter}{last}")
    ws.add_data_validation(dv)
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.oddHeader.center.text = f"{year}年度贫困县退出自评 入户调查表"
    ws.oddFooter.left.text = "调查员签字:            户主签字:"
    ws.oddFooter.right.text = "第 &P 页 共 &N 页"
    save_workbook(wb, path)


# --- import ----------------------------------------------------------------------------------

SPEC = Spec(
    [
        Field("household_no", "户编号", ("户号", "户码", "household no"), required=True),
        Field("income", "核实人均纯收入(元)", ("核实人均纯收入", "核实收入", "verified income")),
        *(Field(q, label, ()) for q, label in core.QUESTION_LABELS.items()),
        Field("approve", "认可", ("群众认可", "是否认可", "approve")),
        Field("surveyor", "调查员", ("surveyor",)),
        Field("surveyed_on", "调查日期", ("survey date",)),
    ]
)
COLUMNS = [
    Col("household_no", digits_text, required=True, cached=False),
    Col("income", MONEY),
    *(Col(q, YES_NO) for q in core.QUESTIONS),
    Col("approve", YES_NO),
    Col("surveyor", TEXT),
    Col("surveyed_on", RECORD_DATE),
]
ANSWER_FIELDS = ("income_fen", *core.QUESTIONS, "approve", "surveyor", "surveyed_on")


def import_survey(db: Database, opts: ImportOptions, year: int | None) -> ImportResult:
    """Import a filled survey into ``year``'s sample (None: the latest year with a sample)."""

    def importer(conn: Connection, table: Table, batch_id: int, result: ImportResult) -> None:
        chosen = year
        if chosen is None:
            chosen = fetch(conn, "SELECT max(year) FROM assess_sample")[0][0]
            if chosen is None:
                raise UsageError(
                    "no sample drawn yet: run fupin assess sample --year Y -o SURVEY.xlsx first"
                )
        _import(conn, table, batch_id, result, chosen)

    return run_import(db, opts, command="assess import", spec=SPEC, importer=importer)


def latest_answers(conn: Connection, year: int) -> dict[int, tuple]:
    """household id -> its latest answer's values (ANSWER_FIELDS order)."""
    out = {}
    for hid, *values in fetch(
        conn,
        f"SELECT household_id, {', '.join(ANSWER_FIELDS)} FROM assess_answer WHERE year = ? "
        "ORDER BY id",
        (year,),
    ):
        out[hid] = _answer_values(values)
    return out


def _answer_values(values) -> tuple:
    income, *yes_no, surveyor, day = values
    day = day.isoformat() if isinstance(day, dt.date) else day
    return (income, *(None if v is None else bool(v) for v in yes_no), surveyor or "", day)


def _import(conn: Connection, table: Table, batch_id: int, result: ImportResult, year: int) -> None:
    plan = Plan(table, COLUMNS)
    households = dict(fetch(conn, "SELECT household_no, id FROM household"))
    sampled = {
        hid
        for (hid,) in fetch(conn, "SELECT household_id FROM assess_sample WHERE year = ?", (year,))
    }
    latest = latest_answers(conn, year)
    h_no = table.header_of("household_no")
    seen: dict[int, int] = {}
    inserts = []
    for row_no, cells in table.rows:
        if row_is_blank(cells):
            continue
        result.rows_read += 1
        try:
            v = plan.parse(cells)
            hid = households.get(v["household_no"])
            if hid is None:
                raise RowFault(
                    h_no,
                    f"no household {v['household_no']} in the register; check the 户编号",
                    zh=f"户编号 {v['household_no']} 不在台账中；请核对户编号",
                )
            if hid not in sampled:
                raise RowFault(
                    h_no,
                    f"household {v['household_no']} is not in the {year} sample; survey only the "
                    "households 'fupin assess sample' drew (or give the right --year)",
                    zh=f"户 {v['household_no']} 不在 {year} 年的抽样中；只调查抽中的户"
                    "（或核对年度）",
                )
            if hid in seen:
                raise RowFault(
                    h_no,
                    f"the same household as row {seen[hid]}",
                    zh=f"与第 {seen[hid]} 行是同一户",
                )
        except RowFault as fault:
            result.reject(row_no, cells, fault)
            continue
        seen[hid] = row_no
        day = v["surveyed_on"]
        values = _answer_values(
            (v["income"], *(v[q] for q in core.QUESTIONS), v["approve"], v["surveyor"], day)
        )
        if hid not in latest:
            result.created += 1
        elif latest[hid] == values:
            result.unchanged += 1
            continue
        else:
            result.updated += 1  # a corrected answer: appended, the latest counts
        inserts.append((year, hid, *values[:-1], day, batch_id))
    executemany(
        conn,
        f"INSERT INTO assess_answer (year, household_id, {', '.join(ANSWER_FIELDS)}, batch_id) "
        f"VALUES ({', '.join('?' * (len(ANSWER_FIELDS) + 3))})",
        inserts,
    )
