"""fupin fund projects / loans: the 扶贫项目 register and the 扶贫小额信贷 register.

Unlike the ledger these are registers of things that change: a project's scale, a loan's status
(正常 → 逾期 → 已还). A re-imported row with the same key updates the record (counted as
updated) or, when identical, is skipped (unchanged). A loan breaking the loan rules is a row
fault naming the rule.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from fupin_cli.core.codes import Industry, LoanStatus
from fupin_cli.core.idcard import parse_id
from fupin_cli.core.ledger import LoanFacts, loan_violations, rate_bp
from fupin_cli.core.policy import Policy
from fupin_cli.db.engine import Database
from fupin_cli.db.models import Household, Loan, Person, Project
from fupin_cli.io.sheets import Field, Spec, Table
from fupin_cli.jobs.fund import ImportOptions, ImportResult, run_import
from fupin_cli.jobs.fund_refs import RefError, Refs
from fupin_cli.jobs.rows import (
    ID,
    MONEY,
    RECORD_DATE,
    TEXT,
    Col,
    Plan,
    RowFault,
    code,
    digits_text,
    integer,
    number,
    row_is_blank,
)

_project = Project.__table__  # type: ignore[attr-defined]
_loan = Loan.__table__  # type: ignore[attr-defined]
_household = Household.__table__  # type: ignore[attr-defined]
_person = Person.__table__  # type: ignore[attr-defined]

# -- projects -------------------------------------------------------------------------------------

PROJECT_SPEC = Spec(
    [
        Field("township", "乡镇", ("乡镇名称", "乡(镇)", "township")),
        Field("village", "村", ("村名", "行政村", "村代码", "village"), required=True),
        Field("name", "项目名称", ("项目", "project"), required=True),
        Field("industry", "产业", ("产业类型", "industry"), required=True),
        Field("scale", "规模", ("建设规模", "scale")),
        Field("unit", "单位", ("规模单位", "计量单位", "unit")),
        Field("start_date", "开始日期", ("开工日期", "实施日期", "start date")),
    ]
)

PROJECT_COLUMNS = [
    Col("township", TEXT),
    Col("village", TEXT, required=True),
    Col("name", TEXT, required=True, cached=False),
    Col("industry", code(Industry), required=True),
    Col("scale", number),
    Col("unit", TEXT),
    Col("start_date", RECORD_DATE),
]


def import_projects(
    db: Database, path: Path, *, policy: Policy, opts: ImportOptions
) -> ImportResult:
    """fupin fund projects FILE."""

    def body(conn: Connection, table: Table, batch_id: int, result: ImportResult):
        plan = Plan(table, PROJECT_COLUMNS)
        refs = Refs(conn)
        header = table.header_of
        existing = {
            (r.village_id, r.name): r for r in conn.execute(select(_project)).mappings().all()
        }
        seen: dict[tuple[int, str], int] = {}
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for row_no, cells in table.rows:
            if row_is_blank(cells):
                continue
            result.rows_read += 1
            try:
                v = plan.parse(cells)
                try:
                    vid = refs.village(v["township"], v["village"])
                except RefError as exc:
                    raise RowFault.of(header("village"), exc) from None
                key = (vid, v["name"])
                if key in seen:
                    raise RowFault(
                        header("name"),
                        f"project {v['name']} in {refs.geo.label(vid)} is already given in row "
                        f"{seen[key]}",
                        zh=f"{refs.geo.label(vid)} 的项目 {v['name']} 已在第 {seen[key]} 行填过",
                    )
                if v["scale"] is not None and v["scale"] < 0:
                    raise RowFault(
                        header("scale"),
                        f"scale {v['scale']} is below 0",
                        zh=f"规模 {v['scale']} 小于0",
                    )
            except RowFault as fault:
                result.fault(row_no, cells, fault)
                continue
            seen[key] = row_no
            values = {
                "village_id": vid,
                "name": v["name"],
                "industry": v["industry"].value,
                "scale": v["scale"],
                "scale_unit": v["unit"],
                "start_date": v["start_date"],
            }
            _sort(existing.get(key), values, batch_id, new, changed, result)
        result.added, result.updated = len(new), len(changed)

        return _writer(conn, _project, new, changed)

    return run_import(
        db,
        path,
        command="fund projects",
        spec=PROJECT_SPEC,
        noun="projects",
        policy=policy,
        opts=opts,
        body=body,
    )


# -- loans ----------------------------------------------------------------------------------------

LOAN_SPEC = Spec(
    [
        Field("household", "户编号", ("户号", "household"), required=True),
        Field(
            "borrower",
            "身份证号",
            ("借款人身份证号", "身份证号码", "公民身份号码", "borrower id"),
            required=True,
        ),
        Field("name", "借款人", ("借款人姓名", "姓名", "borrower")),
        Field("bank", "银行", ("贷款银行", "放贷银行", "bank"), required=True),
        Field("amount", "金额(元)", ("贷款金额(元)", "贷款金额", "金额", "amount"), required=True),
        Field("start_date", "发放日期", ("放款日期", "贷款日期", "start date"), required=True),
        Field("term", "期限(月)", ("期限", "贷款期限(月)", "贷款期限", "term"), required=True),
        Field("rate", "利率", ("年利率", "利率(%)", "年利率(%)", "rate"), required=True),
        Field("purpose", "用途", ("贷款用途", "purpose"), required=True),
        Field("status", "状态", ("贷款状态", "还款状态", "status"), required=True),
        Field("repaid", "还款日期", ("结清日期", "还清日期", "repaid date")),
    ]
)

LOAN_COLUMNS = [
    Col("household", digits_text, required=True, cached=False),
    Col("borrower", ID, required=True, cached=False),
    Col("bank", TEXT, required=True),
    Col("amount", MONEY, required=True),
    Col("start_date", RECORD_DATE, required=True),
    Col("term", integer, required=True),
    Col("rate", rate_bp, required=True),
    Col("purpose", TEXT, required=True),
    Col("status", code(LoanStatus), required=True),
    Col("repaid", RECORD_DATE),
]

_LOAN_FIELDS = {
    "amount": "amount",
    "term": "term",
    "borrower": "borrower",
    "household": "household",
    "purpose": "purpose",
}


def import_loans(db: Database, path: Path, *, policy: Policy, opts: ImportOptions) -> ImportResult:
    """fupin fund loans FILE."""
    rules = policy.fund.loan

    def body(conn: Connection, table: Table, batch_id: int, result: ImportResult):
        plan = Plan(table, LOAN_COLUMNS)
        header = table.header_of
        households = {
            no: (hid, status)
            for hid, no, status in conn.execute(
                select(_household.c.id, _household.c.household_no, _household.c.status)
            )
        }
        existing = {
            (r.borrower_id, r.bank, r.start_date): r
            for r in conn.execute(select(_loan)).mappings().all()
        }
        seen: dict[tuple[str, str, dt.date], int] = {}
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for row_no, cells in table.rows:
            if row_is_blank(cells):
                continue
            result.rows_read += 1
            try:
                v = plan.parse(cells)
                found = households.get(v["household"])
                if found is None:
                    raise RowFault(
                        header("household"),
                        f"no household {v['household']} in the register (import the roster first)",
                        zh=f"库中没有户 {v['household']}（请先导入花名册）",
                    )
                hid, status = found
                home = conn.execute(
                    select(_person.c.household_id).where(_person.c.id_number == v["borrower"])
                ).scalar()
                facts = LoanFacts(
                    amount=v["amount"],
                    term_months=v["term"],
                    start_date=v["start_date"],
                    borrower_birth=parse_id(v["borrower"]).birth_date,
                    household_status=status,
                    purpose=v["purpose"],
                    borrower_in_household=home == hid,
                )
                broken = loan_violations(facts, rules)
                if broken:
                    raise RowFault(
                        header(_LOAN_FIELDS[broken[0][0]]),
                        "loan rule broken: " + "; ".join(reason for _f, reason, _zh in broken),
                        zh="不符合小额信贷规定：" + "；".join(zh for _f, _r, zh in broken),
                    )
                if (repaid := v["repaid"]) is not None:
                    if v["status"] is not LoanStatus.REPAID:
                        raise RowFault(
                            header("repaid"),
                            f"还款日期 {repaid} given, but 状态 is {v['status'].value}; "
                            f"make 状态 {LoanStatus.REPAID.value} or clear the date",
                            zh=f"填了还款日期 {repaid}，状态却是 {v['status'].value}；请把状态改为 "
                            f"{LoanStatus.REPAID.value}，或清空还款日期",
                        )
                    if repaid > dt.date.today():
                        raise RowFault(
                            header("repaid"),
                            f"还款日期 {repaid} is after today; check the year",
                            zh=f"还款日期 {repaid} 在今天之后；请核对年份",
                        )
                    if repaid < v["start_date"]:
                        raise RowFault(
                            header("repaid"),
                            f"还款日期 {repaid} is before the 发放日期 {v['start_date']}; check both",
                            zh=f"还款日期 {repaid} 早于发放日期 {v['start_date']}；请核对两者",
                        )
                key = (v["borrower"], v["bank"], v["start_date"])
                if key in seen:
                    raise RowFault(
                        header("borrower"),
                        f"the same loan (borrower, bank, date) is already given in row {seen[key]}",
                        zh=f"同一笔贷款（借款人、银行、发放日期相同）已在第 {seen[key]} 行填过",
                    )
            except RowFault as fault:
                result.fault(row_no, cells, fault)
                continue
            seen[key] = row_no
            values = {
                "household_id": hid,
                "borrower_id": v["borrower"],
                "bank": v["bank"],
                "amount_fen": v["amount"],
                "start_date": v["start_date"],
                "term_months": v["term"],
                "rate_bp": v["rate"],
                "purpose": v["purpose"],
                "status": v["status"].value,
            }
            if v["status"] is not LoanStatus.REPAID:
                values["repaid_date"] = None
            elif "repaid" in table.columns:  # a file without the column keeps the day on record
                values["repaid_date"] = v["repaid"]
            _sort(existing.get(key), values, batch_id, new, changed, result)
        result.added, result.updated = len(new), len(changed)

        return _writer(conn, _loan, new, changed)

    return run_import(
        db,
        path,
        command="fund loans",
        spec=LOAN_SPEC,
        noun="loans",
        policy=policy,
        opts=opts,
        body=body,
    )


# -- the two registers share how a row is sorted and written ---------------------------------


def _sort(old: dict | None, values: dict, batch_id: int, new: list, changed: list, result) -> None:
    """A register row is new, changed (then updated in place), or unchanged (counted)."""
    if old is None:
        new.append({**values, "batch_id": batch_id})
    elif any(old[k] != val for k, val in values.items()):
        changed.append({**values, "id": old["id"], "batch_id": batch_id})
    else:
        result.unchanged += 1


def _writer(conn, table, new: list[dict], changed: list[dict]):
    """The write step the import runner calls once every row has passed."""

    def write() -> None:
        if new:
            conn.execute(insert(table), new)
        for row in changed:
            conn.execute(update(table).where(table.c.id == row.pop("id")).values(**row))

    return write
