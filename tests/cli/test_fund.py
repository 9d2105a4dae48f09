"""fupin fund end to end: a county registered with `fupin identify`, real workbooks written here,
a real SQLite file, exact exit codes, one-line errors and the json contracts."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from factories import (
    FUND_HEADERS,
    LOAN_HEADERS,
    PROJECT_HEADERS,
    small_county,
    write_csv,
    write_xlsx,
)
from workbooks import error_rows, header_at, title_block
from workbooks import table as workbook_table

IMPORT_KEYS = {
    "rows_read",
    "rows_rejected",
    "errors_file",
    "entries_added",
    "unchanged",
    "written",
    "dry_run",
    "partial",
}
FEN = 100


@pytest.fixture(scope="module")
def county_db(tmp_path_factory) -> Path:
    """漳江镇/桃花村 (poor, 1000 agricultural people), 漳江镇/枫树村 (not poor, 1500),
    陬市镇/金盆村 (poor, 800); H1 (桃花村), H3 and H6 (金盆村) identified, H2 not — registered
    through the real `fupin identify`, once per module."""
    from conftest import Cli

    tmp = tmp_path_factory.mktemp("county")
    cli = Cli(tmp / "county.db")
    roster, villages = small_county(tmp)
    result = cli("identify", roster, "--villages", villages, "--as-of", "2016-09-30")
    assert result.exit_code == 0, result.stderr
    return cli.db


@pytest.fixture
def county(cli, county_db):
    shutil.copy(county_db, cli.db)
    return cli


def e(date, channel, kind, amount, doc, **cells: Any) -> dict[str, Any]:
    """A ledger row: e("2016-03-01", "财政投入", "到位", 100000, "R1", 村="桃花村", 用途=…)."""
    return {"日期": date, "渠道": channel, "类型": kind, "金额(元)": amount, "文号": doc, **cells}


def fund_file(path: Path, rows, headers=FUND_HEADERS) -> Path:
    if path.suffix == ".csv":
        return write_csv(path, rows, headers)
    return write_xlsx(path, rows, headers, sheet="资金台账", title="桃源县扶贫资金台账")


def errors_of(path) -> list[dict[str, Any]]:
    rows = error_rows(path)
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def one_line(result) -> str:
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def entries(cli) -> list[str]:
    return [r[0] for r in cli.sql("SELECT doc_no FROM fund_entry ORDER BY id")]


def batches(cli, command: str) -> list[tuple[str, dict]]:
    rows = cli.sql("SELECT outcome, counts FROM batch WHERE command = ? ORDER BY id", (command,))
    return [(o, json.loads(c)) for o, c in rows]


def fund_import(cli, path, *args, code=0) -> dict[str, Any]:
    result = cli("fund", "import", path, *args, "--format", "json")
    assert result.exit_code == code, result.stderr + result.stdout
    return json.loads(result.stdout)


BASIC = [
    e("2016-03-01", "财政投入", "到位", 100000, "桃财〔2016〕1号"),
    e("2016-03-02", "fiscal", "拨付", "8万", "桃财〔2016〕2号", 村="桃花村", 用途="产业发展"),
    e("2016-03-03", "", "支出", 30000, "桃支〔2016〕1号", 拨付文号="桃财〔2016〕2号"),
]


# -- fund import ------------------------------------------------------------------------------


def test_import_applies_rows_in_file_order(county, tmp_path):
    out = fund_import(county, fund_file(tmp_path / "fund.xlsx", BASIC))
    assert set(out) == IMPORT_KEYS
    assert out["rows_read"] == 3 and out["entries_added"] == 3 and out["rows_rejected"] == 0
    assert out["errors_file"] is None and out["written"] is True
    rows = county.sql(
        "SELECT doc_no, date, channel, kind, amount_fen, village_id IS NOT NULL, purpose, "
        "allocation_doc FROM fund_entry ORDER BY id"
    )
    assert rows == [
        ("桃财〔2016〕1号", "2016-03-01", "fiscal", "receipt", 10_000_000, 0, None, None),
        ("桃财〔2016〕2号", "2016-03-02", "fiscal", "allocation", 8_000_000, 1, "产业发展", None),
        ("桃支〔2016〕1号", "2016-03-03", "fiscal", "disbursement", 3_000_000, 1, "产业发展",
         "桃财〔2016〕2号"),
    ]  # fmt: skip
    assert batches(county, "fund import")[0][0] == "ok"


def test_reimport_same_file_skips_unchanged_rows(county, tmp_path):
    path = fund_file(tmp_path / "fund.xlsx", BASIC)
    fund_import(county, path)
    out = fund_import(county, path)
    assert (out["entries_added"], out["unchanged"], out["rows_rejected"]) == (0, 3, 0)
    assert len(entries(county)) == 3


def test_reused_doc_with_other_content_is_a_row_fault(county, tmp_path):
    fund_import(county, fund_file(tmp_path / "fund.xlsx", BASIC))
    changed = [BASIC[0], {**BASIC[1], "金额(元)": 90000}]
    out = fund_import(county, fund_file(tmp_path / "again.xlsx", changed), code=1)
    assert (out["unchanged"], out["rows_rejected"], out["entries_added"]) == (1, 1, 0)
    [err] = errors_of(tmp_path / "again.errors.xlsx")
    assert err["行号"] == 4 and err["列"] == "文号"
    assert "already recorded with other content (金额(元) 80,000.00 ≠ 90,000.00)" in err["reason"]


def test_overdraw_in_a_file_writes_nothing_but_the_error_file(county, tmp_path):
    rows = [*BASIC, e("2016-03-05", "财政投入", "拨付", 50000, "A2", 村="金盆村", 用途="基础设施")]
    path = fund_file(tmp_path / "fund.xlsx", rows)
    before = county.dump()
    result = county("fund", "import", path, "--format", "json")
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["rows_rejected"] == 1 and out["entries_added"] == 0 and out["written"] is False
    assert out["errors_file"] == str(tmp_path / "fund.errors.xlsx")
    assert county.dump() == before
    assert batches(county, "fund import")[0][0] == "data_problems"
    [err] = errors_of(tmp_path / "fund.errors.xlsx")
    assert (err["行号"], err["列"], err["文号"]) == (6, "金额(元)", "A2")  # title row, header
    assert err["reason"] == (
        "拨付 A2 of 50,000.00 yuan exceeds the available balance of 财政投入: available "
        "20,000.00 yuan, short by 30,000.00 yuan; record the receipt first or allocate less"
    )
    assert "1 row(s) rejected, nothing was written" in result.stderr


def test_partial_writes_the_good_rows(county, tmp_path):
    rows = [
        e("2016-03-01", "社会帮扶", "到位", 1000, "S1"),
        e("2016-03-02", "社会帮扶", "拨付", 5000, "S2", 村="枫树村", 用途="教育"),  # overdraw
        e("2016-03-03", "社会帮扶", "拨付", 400, "S3", 村="枫树村", 用途="教育"),
        e("2016-03-04", "社会帮扶", "拨付", 100, "S4", 村="无此村", 用途="教育"),
        e("2016-03-04", "社会帮扶", "拨付", 100, "S5", 村="枫树村", 用途="行政经费"),
        e("2016/3/5", "社会帮扶", "到位", "abc", "S6"),
    ]
    path = fund_file(tmp_path / "fund.csv", rows)
    out = fund_import(county, path, "--partial", code=1)
    assert (out["rows_read"], out["rows_rejected"], out["entries_added"]) == (6, 4, 2)
    assert entries(county) == ["S1", "S3"]
    errors = {r["文号"]: r for r in _csv_errors(tmp_path / "fund.errors.csv")}
    assert errors["S2"]["列"] == "金额(元)" and "short by 4,000.00 yuan" in errors["S2"]["reason"]
    assert errors["S4"]["列"] == "村" and "no village '无此村'" in errors["S4"]["reason"]
    assert errors["S5"]["列"] == "用途" and "banned purpose" in errors["S5"]["reason"]
    assert errors["S6"]["列"] == "金额(元)" and "not an amount of money" in errors["S6"]["reason"]


def _csv_errors(path):
    import csv

    with path.open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_amounts_beyond_any_county_and_dates_outside_the_years_are_rejected(county, tmp_path):
    """A pasted account number in 金额 or a 9999-12-31 placeholder would stay in the append-only
    ledger for good (and overflow its sums); each is a rejected row naming its column."""
    before = county.dump()
    rows = [
        e("2016-03-01", "财政投入", "到位", 90000000000000000, "R1"),
        e("2016-03-01", "财政投入", "到位", "99999999999999999999", "R2"),
        e("9999-12-31", "财政投入", "到位", 100, "R3"),
        e("2106-03-01", "财政投入", "到位", 100, "R4"),
        e("2016-03-01", "财政投入", "到位", 100, "R5"),
    ]
    fund_import(county, fund_file(tmp_path / "f.xlsx", rows), code=1)
    reasons = {(r["行号"], r["列"]): r["reason"] for r in errors_of(tmp_path / "f.errors.xlsx")}
    too_much = "is more than 100亿元 (10,000,000,000 yuan), beyond any county's money; check the"
    assert list(reasons) == [(3, "金额(元)"), (4, "金额(元)"), (5, "日期"), (6, "日期")]
    assert too_much in reasons[(3, "金额(元)")] and too_much in reasons[(4, "金额(元)")]
    assert reasons[(5, "日期")] == "9999-12-31 is outside the years 1990–2100; check the year"
    assert county.dump() == before  # a file with a bad row writes nothing
    result = county(
        "fund", "add", "--channel", "fiscal", "--kind", "到位", "--amount", "92233720368547758",
        "--date", "2016-03-01", "--doc", "R9",
    )  # fmt: skip
    assert result.exit_code == 2 and "--amount 92233720368547758: '92233720368547758' is more" in (
        result.stderr
    )
    result = county(
        "fund", "add", "--channel", "fiscal", "--kind", "到位", "--amount", "100",
        "--date", "2101-01-01", "--doc", "R9",
    )  # fmt: skip
    assert result.exit_code == 2 and "--date 2101-01-01: 2101-01-01 is outside" in result.stderr


def test_duplicate_doc_in_one_file_and_missing_references(county, tmp_path):
    rows = [
        e("2016-03-01", "财政投入", "到位", 100, "R1"),
        e("2016-03-01", "财政投入", "到位", 100, "R1"),
        e("2016-03-02", "", "支出", 10, "D1", 拨付文号="NOPE"),
        e("2016-03-02", "", "冲销", 10, "X1"),
        e("2016-03-02", "财政投入", "拨付", 10, "A1", 村="桃花村"),
    ]
    fund_import(county, fund_file(tmp_path / "f.xlsx", rows), code=1)
    reasons = {(r["行号"], r["列"]): r["reason"] for r in errors_of(tmp_path / "f.errors.xlsx")}
    assert reasons == {
        (4, "文号"): "文号 R1 is already given in row 3",
        (5, "拨付文号"): "allocation NOPE is not in the ledger; record it first",
        (6, "冲销文号"): "a 冲销 (reversal) names the 文号 it cancels in 冲销文号",
        (7, "用途"): "a 拨付 (allocation) needs a 用途 (purpose)",
    }


def test_a_bad_row_late_in_a_file_of_many_chunks_writes_nothing(county, tmp_path, monkeypatch):
    """Rows are read in chunks (3 rows here): the row numbers run on across them, a 文号 given
    in an earlier chunk is a repeat, a blank row is skipped, and one bad row anywhere keeps
    the whole file out of the ledger."""
    import fupin_cli.jobs.fund as fund_job

    monkeypatch.setattr(fund_job, "CHUNK_ROWS", 3)
    rows = [e("2016-03-01", "财政投入", "到位", 100_000, "R1")]
    rows += [
        e("2016-03-02", "财政投入", "拨付", 100, f"A{n}", 村="桃花村", 用途="产业发展")
        for n in range(12)
    ]
    rows[7] = {}  # a blank row, in the third chunk
    rows[9]["文号"] = "A2"  # given in row 6 (the second chunk)
    rows.append(e("2016-03-03", "", "支出", 101, "D1", 拨付文号="A11"))  # more than A11 has
    path = fund_file(tmp_path / "f.xlsx", rows)
    before = county.dump()
    out = fund_import(county, path, code=1)
    assert (out["rows_read"], out["rows_rejected"], out["entries_added"]) == (13, 2, 0)
    assert out["written"] is False and county.dump() == before
    reasons = {(r["行号"], r["列"]): r["reason"] for r in errors_of(tmp_path / "f.errors.xlsx")}
    assert reasons == {  # row 1 is the title, row 2 the header
        (12, "文号"): "文号 A2 is already given in row 6",
        (16, "金额(元)"): (
            "支出 D1 of 101.00 yuan exceeds the unspent balance of allocation A11: available "
            "100.00 yuan, short by 1.00 yuan; spend less or allocate more first"
        ),
    }
    out = fund_import(county, path, "--partial", code=1)
    assert out["entries_added"] == 11 and entries(county) == [
        "R1",
        *(f"A{n}" for n in range(12) if n not in (6, 8)),
    ]


def test_unreadable_file_exits_2_and_writes_nothing(county, tmp_path):
    bogus = tmp_path / "fund.xlsx"
    bogus.write_bytes(b"not a workbook")
    before = county.dump(but=())
    result = county("fund", "import", bogus)
    assert result.exit_code == 2
    assert "cannot be read as a spreadsheet" in one_line(result)
    assert county.dump(but=()) == before
    missing = county("fund", "import", tmp_path / "none.xlsx")
    assert missing.exit_code == 2 and "file not found" in one_line(missing)
    no_header = write_xlsx(tmp_path / "h.xlsx", [{"日期": "2016-01-01"}], ["日期", "金额(元)"])
    result = county("fund", "import", no_header)
    assert result.exit_code == 2 and "required column(s)" in one_line(result)


def test_dry_run_writes_nothing(county, tmp_path):
    before = county.dump(but=())
    out = fund_import(county, fund_file(tmp_path / "f.xlsx", BASIC), "--dry-run")
    assert out["entries_added"] == 3 and out["dry_run"] is True and out["written"] is False
    assert county.dump(but=()) == before


def test_household_and_project_targets(county, tmp_path):
    projects = write_xlsx(
        tmp_path / "projects.xlsx",
        [{"乡镇": "陬市镇", "村": "金盆村", "项目名称": "油茶基地", "产业": "油茶", "规模": 3100,
          "单位": "亩", "开始日期": "2016-02-01"}],
        PROJECT_HEADERS,
    )  # fmt: skip
    assert county("fund", "projects", projects).exit_code == 0
    rows = [
        e("2016-03-01", "财政投入", "到位", 100000, "R1"),
        e("2016-03-02", "财政投入", "拨付", 20000, "A1", 项目="油茶基地", 用途="产业发展"),
        e("2016-03-02", "财政投入", "拨付", 3000, "A2", 户编号="H6", 用途="住房"),
        e("2016-03-02", "财政投入", "拨付", 3000, "A3", 村="桃花村", 户编号="H6", 用途="住房"),
    ]
    fund_import(county, fund_file(tmp_path / "f.xlsx", rows), "--partial", code=1)
    got = county.sql(
        "SELECT f.doc_no, v.name, p.name, h.household_no FROM fund_entry f "
        "JOIN village v ON v.id = f.village_id LEFT JOIN project p ON p.id = f.project_id "
        "LEFT JOIN household h ON h.id = f.household_id ORDER BY f.id"
    )
    assert got == [("A1", "金盆村", "油茶基地", None), ("A2", "金盆村", None, "H6")]
    [err] = errors_of(tmp_path / "f.errors.xlsx")
    assert err["列"] == "户编号" and "is in 陬市镇/金盆村, not 漳江镇/桃花村" in err["reason"]


# -- fund add: refusals, reversals, purpose changes -----------------------------------------------


def add(cli, *args):
    return cli("fund", "add", *args, "--format", "json")


def seed(cli):
    for args in (
        ("--channel", "财政投入", "--kind", "到位", "--amount", "10万", "--doc", "R1"),
        ("--channel", "fiscal", "--kind", "allocation", "--amount", "80000", "--doc", "A1",
         "--village", "430725101201", "--purpose", "产业发展"),
    ):  # fmt: skip
        result = add(cli, *args, "--date", "2016-03-01")
        assert result.exit_code == 0, result.stderr


def test_add_records_one_entry_and_reports_balances(county):
    seed(county)
    result = add(county, "--kind", "支出", "--amount", "30,000", "--allocation", "A1",
                 "--date", "2016-03-02", "--doc", "D1")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "added" and out["amount"] == 30_000 * FEN
    assert out["village"] == "漳江镇/桃花村" and out["purpose"] == "产业发展"
    assert out["available"] == 20_000 * FEN and out["allocation_available"] == 50_000 * FEN
    again = add(county, "--kind", "支出", "--amount", "30000", "--allocation", "A1",
                "--date", "2016-03-02", "--doc", "D1")  # fmt: skip
    assert again.exit_code == 0 and json.loads(again.stdout)["status"] == "unchanged"
    assert entries(county) == ["R1", "A1", "D1"]


def test_overdraw_refused_exit_1_one_line_nothing_written_but_the_batch(county):
    seed(county)
    before = county.dump()
    result = add(county, "--channel", "财政投入", "--kind", "拨付", "--amount", "9万",
                 "--village", "金盆村", "--purpose", "基础设施", "--date", "2016-04-01",
                 "--doc", "A9")  # fmt: skip
    assert result.exit_code == 1
    assert one_line(result) == (
        "fupin: error: refused: 拨付 A9 of 90,000.00 yuan exceeds the available balance of "
        "财政投入: available 20,000.00 yuan, short by 70,000.00 yuan; record the receipt first "
        "or allocate less"
    )
    assert result.stdout == ""
    assert county.dump() == before
    outcome, counts = batches(county, "fund add")[-1]
    assert outcome == "refused" and "short by 70,000.00 yuan" in counts["refused"]


def test_disbursement_beyond_its_allocation_refused(county):
    seed(county)
    result = add(county, "--kind", "disbursement", "--amount", "80000.01", "--allocation", "A1",
                 "--date", "2016-03-02", "--doc", "D1")  # fmt: skip
    assert result.exit_code == 1
    assert "available 80,000.00 yuan, short by 0.01 yuan" in one_line(result)
    assert entries(county) == ["R1", "A1"]


def test_banned_purpose_refused(county):
    seed(county)
    result = add(county, "--channel", "fiscal", "--kind", "allocation", "--amount", "100",
                 "--village", "桃花村", "--purpose", "购置车辆", "--date", "2016-03-02",
                 "--doc", "A2")  # fmt: skip
    assert result.exit_code == 1
    assert "用途 购置车辆 is a banned purpose" in one_line(result)
    assert batches(county, "fund add")[-1][0] == "refused"


def test_reversal_in_whole_or_part(county):
    seed(county)
    result = add(county, "--kind", "冲销", "--amount", "30000", "--reverses", "A1",
                 "--date", "2016-03-05", "--doc", "X1")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["available"] == 50_000 * FEN and out["village"] == "漳江镇/桃花村"
    over = add(county, "--kind", "冲销", "--amount", "50000.01", "--reverses", "A1",
               "--date", "2016-03-05", "--doc", "X2")  # fmt: skip
    assert over.exit_code == 1
    assert "what is left of A1 to reverse: available 50,000.00 yuan" in one_line(over)
    bal = county.json("fund", "balance", "--by", "village")
    [village] = [r for r in bal["rows"] if r["village"] == "漳江镇/桃花村"]
    assert village["allocated_fen"] == 50_000 * FEN and village["available_fen"] == 50_000 * FEN


def test_purpose_change_is_a_reversal_plus_a_new_allocation(county):
    seed(county)
    spend = add(county, "--kind", "支出", "--amount", "1000", "--allocation", "A1",
                "--purpose", "基础设施", "--date", "2016-03-02", "--doc", "D1")  # fmt: skip
    assert spend.exit_code == 1 and "purpose is unchanged" in one_line(spend)
    for args in (
        ("--kind", "冲销", "--amount", "20000", "--reverses", "A1", "--doc", "X1"),
        ("--channel", "fiscal", "--kind", "拨付", "--amount", "20000", "--village", "桃花村",
         "--purpose", "基础设施", "--doc", "A2"),
    ):  # fmt: skip
        assert add(county, *args, "--date", "2016-03-03").exit_code == 0
    by_purpose = county.json("fund", "balance", "--by", "purpose")
    assert {r["purpose"]: r["allocated_fen"] for r in by_purpose["rows"]} == {
        "产业发展": 60_000 * FEN,
        "基础设施": 20_000 * FEN,
        "(无用途 none)": 0,
    }
    assert by_purpose["total"]["allocated_fen"] == 80_000 * FEN


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--kind", "捐款"), "--kind 捐款: '捐款' is not a valid 类型"),
        (("--amount", "many"), "--amount many: 'many' is not an amount of money"),
        (("--date", "2016-02-30"), "--date 2016-02-30: impossible date"),
        (("--village", "无此村"), "--village: no village '无此村'"),
        (("--channel", "银行"), "--channel 银行: '银行' is not a valid 渠道"),
    ],
)
def test_add_usage_errors_exit_2_write_nothing(county, args, words):
    base = {"--channel": "fiscal", "--kind": "receipt", "--amount": "100",
            "--date": "2016-03-01", "--doc": "R1"}  # fmt: skip
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    before = county.dump(but=())
    result = add(county, *[x for kv in base.items() for x in kv])
    assert result.exit_code == 2
    assert words in one_line(result)
    assert county.dump(but=()) == before


def test_ledger_triggers_refuse_update_and_delete(county):
    seed(county)
    with sqlite3.connect(county.db) as conn:
        for sql in (
            "UPDATE fund_entry SET amount_fen = 1 WHERE doc_no = 'A1'",
            "DELETE FROM fund_entry WHERE doc_no = 'A1'",
        ):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(sql)
    assert county.scalar("SELECT amount_fen FROM fund_entry WHERE doc_no = 'A1'") == 8_000_000


# -- balance ----------------------------------------------------------------------------------


def test_balance_json_contract_in_fen(county, tmp_path):
    rows = [
        *BASIC,
        e("2017-01-05", "社会帮扶", "到位", 5000, "S1"),
        e("2017-01-06", "", "冲销", 1000, "X1", 冲销文号="桃支〔2016〕1号"),
    ]
    fund_import(county, fund_file(tmp_path / "f.xlsx", rows))
    out = county.json("fund", "balance")
    assert set(out) == {"year", "by", "rows", "total", "ledger_seal"} and out["by"] == "channel"
    fiscal = out["rows"][0]
    assert fiscal == {
        "channel": "财政投入",
        "channel_key": "fiscal",
        "received_fen": 10_000_000,
        "allocated_fen": 8_000_000,
        "disbursed_fen": 2_900_000,
        "available_fen": 2_000_000,
    }
    assert [r["channel_key"] for r in out["rows"]] == [
        "fiscal", "integrated", "self_raised", "credit", "social"
    ]  # fmt: skip
    assert out["total"]["received_fen"] == 10_500_000
    y2016 = county.json("fund", "balance", "--year", "2016")
    assert y2016["year"] == 2016 and y2016["rows"][0]["disbursed_fen"] == 3_000_000
    assert y2016["total"]["received_fen"] == 10_000_000
    y2017 = county.json("fund", "balance", "--year", "2017")
    assert y2017["rows"][0]["received_fen"] == 0 and y2017["rows"][0]["available_fen"] == 2_000_000
    assert y2017["rows"][0]["disbursed_fen"] == -100_000  # the reversal, in its own year
    # every money key of the json ends in _fen; the table and csv show yuan as before
    money = {
        k for r in [*out["rows"], out["total"]] for k in r if k not in ("channel", "channel_key")
    }
    assert money == {"received_fen", "allocated_fen", "disbursed_fen", "available_fen"}
    table = county("fund", "balance", "--by", "village")
    assert table.exit_code == 0 and "漳江镇/桃花村" in table.stdout and "51,000.00" in table.stdout
    assert "到位 received" in table.stdout and "_fen" not in table.stdout
    csv_out = county("fund", "balance", "--format", "csv").stdout.splitlines()
    assert csv_out[0] == "渠道 channel,到位 received,拨付 allocated,支出 disbursed,可用 available"
    assert csv_out[1] == "财政投入,100000.00,80000.00,29000.00,20000.00"
    bad = county("fund", "balance", "--by", "township")
    assert bad.exit_code == 2


# -- check ------------------------------------------------------------------------------------

# Fiscal 6 yuan × 3,300 agricultural people = 19,800; integrated ≥ 20% of 500,000; both poor
# villages 80,000 of 产业发展 and a 一事一议 entry; loans ≤ 10 × a 10,000 risk pool.
PASSING = [
    e("2016-01-10", "财政投入", "到位", 200000, "F1"),
    e("2016-01-10", "项目整合", "涉农资金总额", 500000, "T1"),
    e("2016-01-10", "项目整合", "到位", 100000, "I1"),
    e("2016-01-10", "社会帮扶", "到位", 200000, "S0"),
    e("2016-02-01", "社会帮扶", "拨付", 80000, "A1", 村="桃花村", 用途="产业发展"),
    e("2016-02-01", "社会帮扶", "拨付", 80000, "A2", 乡镇="陬市镇", 村="金盆村", 用途="产业发展"),
    e("2016-02-02", "群众自筹", "到位", 5000, "Z1", 村="桃花村", 用途="基础设施"),
    e("2016-02-02", "一事一议", "到位", 5000, "Z2", 村="金盆村", 用途="基础设施"),
    e("2016-02-03", "银行贷款", "到位", 10000, "K1", 用途="风险补偿金"),
]


def checked(cli, *args, code):
    result = cli("fund", "check", *args, "--format", "json")
    assert result.exit_code == code, result.stderr + result.stdout
    return json.loads(result.stdout)


def broken(out) -> list[tuple[str, str]]:
    return [(r["rule"], r["subject"]) for r in out["rules"] if not r["ok"]]


def loan_row(cli, borrower_name="张三", household="H1", amount=50000, **cells) -> dict:
    borrower = cli.scalar("SELECT id_number FROM person WHERE name = ?", (borrower_name,))
    return {
        "户编号": household,
        "身份证号": borrower,
        "银行": "桃源县农商银行",
        "金额(元)": amount,
        "发放日期": "2016-05-01",
        "期限(月)": 36,
        "利率": "4.35%",
        "用途": "养殖",
        "状态": "正常",
        **cells,
    }


def test_check_passes_with_the_json_contract(county, tmp_path):
    fund_import(county, fund_file(tmp_path / "f.xlsx", PASSING))
    loans = write_xlsx(tmp_path / "loans.xlsx", [loan_row(county)], LOAN_HEADERS)
    assert county("fund", "loans", loans).exit_code == 0
    out = checked(county, code=0)  # default year: the ledger's latest
    assert out["year"] == 2016 and out["ok"] is True and broken(out) == []
    for rule in out["rules"]:
        assert {"rule", "subject", "value", "threshold", "ok"} <= set(rule)
    first = {(r["rule"], r["subject"]): r for r in out["rules"]}
    fiscal = first[("fiscal_per_agri_person", "county")]
    assert (fiscal["value"], fiscal["threshold"]) == (20_000_000, 6 * 3300 * FEN)
    integrated = first[("integrated_share", "county")]
    assert (integrated["value"], integrated["threshold"]) == (10_000_000, 10_000_000)
    leverage = first[("loan_leverage", "county")]
    assert (leverage["value"], leverage["threshold"], leverage["op"]) == (
        5_000_000, 10_000_000, "<="
    )  # fmt: skip
    assert first[("village_industry", "陬市镇/金盆村")]["value"] == 8_000_000
    assert first[("self_raised_village", "漳江镇/桃花村")]["value"] == 1
    assert [r["subject"] for r in out["rules"] if r["rule"] == "channel_not_overdrawn"] == [
        "财政投入", "项目整合", "群众自筹", "银行贷款", "社会帮扶"
    ]  # fmt: skip
    table = county("fund", "check")
    assert table.exit_code == 0 and "贫困村产业资金" in table.stdout


def _without(doc):
    return [r for r in PASSING if r["文号"] != doc]


def _with(doc, **changes):
    return [({**r, **changes} if r["文号"] == doc else r) for r in PASSING]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (_with("F1", **{"金额(元)": 19799.99}), [("fiscal_per_agri_person", "county")]),
        (_with("I1", **{"金额(元)": 99999.99}), [("integrated_share", "county")]),
        (_without("T1"), [("integrated_share", "county")]),
        (_with("A2", **{"金额(元)": 79999.99}), [("village_industry", "陬市镇/金盆村")]),
        (_with("A1", 用途="基础设施"), [("village_industry", "漳江镇/桃花村")]),
        (_without("Z2"), [("self_raised_village", "陬市镇/金盆村")]),
        (_with("K1", 用途="产业发展"), [("loan_leverage", "county")]),
        # money that arrives in 2017 cannot pay for a 2016 allocation
        ([e("2017-01-02", "群众自筹", "到位", 100, "S1"), *PASSING,
          e("2016-12-01", "群众自筹", "拨付", 10100, "S2", 村="枫树村", 用途="教育")],
         [("channel_not_overdrawn", "群众自筹")]),
        # a 2016 reversal of an allocation whose spending was only un-done in 2017
        ([*PASSING, e("2016-03-01", "财政投入", "拨付", 100, "S2", 村="枫树村", 用途="教育"),
          e("2016-11-01", "", "支出", 100, "S3", 拨付文号="S2"),
          e("2017-02-01", "", "冲销", 100, "S4", 冲销文号="S3"),
          e("2016-12-01", "", "冲销", 100, "S5", 冲销文号="S2")],
         [("village_not_overdrawn", "漳江镇/枫树村")]),
    ],
)  # fmt: skip
def test_each_check_rule_fails(county, tmp_path, rows, expected):
    fund_import(county, fund_file(tmp_path / "f.xlsx", rows))
    loans = write_xlsx(tmp_path / "loans.xlsx", [loan_row(county)], LOAN_HEADERS)
    assert county("fund", "loans", loans).exit_code == 0
    out = checked(county, "--year", "2016", code=1)
    assert out["ok"] is False and broken(out) == expected
    result = county("fund", "check", "--year", "2016")
    assert result.exit_code == 1 and result.stderr.strip().endswith("broken for 2016")


def test_check_on_an_empty_ledger_breaks_the_money_rules(county):
    out = checked(county, "--year", "2016", code=1)
    assert ("fiscal_per_agri_person", "county") in broken(out)
    assert ("loan_leverage", "county") not in broken(out)


def test_check_with_a_county_policy(county, tmp_path):
    fund_import(county, fund_file(tmp_path / "f.xlsx", PASSING))
    policy = tmp_path / "policy.toml"
    policy.write_text('[policy]\nversion = "县2016"\n[fund]\nvillage_industry_min_yuan = 90000\n')
    out = checked(county, "--policy", policy, code=1)
    assert out["policy_version"] == "县2016"
    assert broken(out) == [
        ("village_industry", "漳江镇/桃花村"),
        ("village_industry", "陬市镇/金盆村"),
    ]


# -- loans and projects -----------------------------------------------------------------------


def test_loans_import_checks_every_loan_rule(county, tmp_path):
    rows = [
        loan_row(county),
        loan_row(county, "李四", amount=50000.01),
        loan_row(county, "吴九", "H6", **{"期限(月)": 37}),
        loan_row(county, "赵六", "H3"),  # born 1940: 76
        loan_row(county, "吴小", "H6"),  # born 2005: 11
        loan_row(county, "王五", "H2"),  # not identified
        loan_row(county, "吴九", "H1"),  # not a member of H1
        loan_row(county, "吴九", "H6", 用途="建房", 银行="另一银行"),
    ]
    path = write_xlsx(tmp_path / "loans.xlsx", rows, LOAN_HEADERS)
    result = county("fund", "loans", path, "--format", "json")
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert (out["rows_read"], out["rows_rejected"], out["loans_added"]) == (8, 7, 0)
    assert county.scalar("SELECT count(*) FROM loan") == 0
    reasons = {r["行号"]: (r["列"], r["reason"]) for r in errors_of(tmp_path / "loans.errors.xlsx")}
    assert reasons[3] == (
        "金额(元)",
        "loan rule broken: amount 50,000.01 yuan is above the limit of 50,000.00 yuan",
    )
    assert reasons[4] == ("期限(月)", "loan rule broken: term 37 months is above the limit of 36")
    assert reasons[5][0] == "身份证号" and "is 76 at the start date" in reasons[5][1]
    assert reasons[6][0] == "身份证号" and "is 11 at the start date" in reasons[6][1]
    assert reasons[7][0] == "户编号" and "not a registered poor household" in reasons[7][1]
    assert reasons[8][0] == "身份证号" and "not a registered member" in reasons[8][1]
    assert reasons[9][0] == "用途" and "用途 '建房' names the banned word 建房" in reasons[9][1]


PURPOSE_RULE = (
    "扶贫小额信贷须用于生产，用途写明 种植、养殖、种养、育苗、种苗、加工、农家乐、乡村旅游、民宿、合作社、"
    "电商、产业发展、农业生产、农资、化肥、饲料、大棚、果园、茶园、养猪、养牛、养羊、养鸡、养鸭、养鱼、养蜂 "
    "之一，且不含 建房、盖房、修房、购房、买房、婚丧、结婚、彩礼、丧葬、还债、债务、购车、买车、消费、理财、"
    "炒股"
)


def test_loan_purpose_is_the_clerks_own_text(county, tmp_path):
    """用途 is production when it holds a production word and no banned word (a banned word
    wins); 旅游 alone holds none (a trip is spending; 乡村旅游 or 农家乐 is the production use).
    The clerk's own text is stored; a refusal names the word and both lists, in Chinese."""
    purposes = ["油茶种植", "生猪养殖", "柑橘种植", "开办农家乐", "建房", "买化肥建房", "旅游"]
    rows = [loan_row(county, 用途=p, 银行=f"银行{i}") for i, p in enumerate(purposes)]
    path = write_xlsx(tmp_path / "loans.xlsx", rows, LOAN_HEADERS)
    out = county.json("fund", "loans", path, "--partial", code=1)
    assert (out["rows_read"], out["rows_rejected"], out["loans_added"]) == (7, 3, 4)
    assert county.sql("SELECT purpose FROM loan ORDER BY id") == [
        ("油茶种植",), ("生猪养殖",), ("柑橘种植",), ("开办农家乐",)
    ]  # fmt: skip
    reasons = {r["行号"]: (r["列"], r["原因"]) for r in errors_of(tmp_path / "loans.errors.xlsx")}
    broken = "不符合小额信贷规定："
    assert reasons == {
        6: ("用途", f"{broken}用途「建房」含禁用词 建房：{PURPOSE_RULE}"),
        7: ("用途", f"{broken}用途「买化肥建房」含禁用词 建房：{PURPOSE_RULE}"),
        8: ("用途", f"{broken}用途「旅游」不含生产性用途词：{PURPOSE_RULE}"),
    }


def test_a_county_policy_file_extends_the_loan_word_lists(county, tmp_path):
    policy = tmp_path / "county.toml"
    policy.write_text(
        '[policy]\nversion = "taoyuan-loans"\n[fund.loan]\n'
        'production_words = ["光伏"]\nbanned_words = ["砍伐"]\n',
        encoding="utf-8",
    )
    purposes = ["入股光伏电站", "砍伐林木种植", "光伏建房", "生猪养殖"]
    rows = [loan_row(county, 用途=p, 银行=f"银行{i}") for i, p in enumerate(purposes)]
    path = write_xlsx(tmp_path / "loans.xlsx", rows, LOAN_HEADERS)
    default = county.json("fund", "loans", path, "--partial", "--dry-run", code=1)
    assert (default["rows_rejected"], default["loans_added"]) == (2, 2)  # 光伏电站, 光伏建房
    out = county.json("fund", "loans", path, "--partial", "--policy", policy, code=1)
    assert (out["rows_rejected"], out["loans_added"]) == (2, 2)
    assert county.sql("SELECT purpose FROM loan ORDER BY id") == [("入股光伏电站",), ("生猪养殖",)]
    reasons = {r["行号"]: r["原因"] for r in errors_of(tmp_path / "loans.errors.xlsx")}
    assert "用途「砍伐林木种植」含禁用词 砍伐" in reasons[3]
    assert "用途「光伏建房」含禁用词 建房" in reasons[4]  # the default banned words still hold
    assert "养蜂、光伏 之一，且不含 建房、" in reasons[3] and reasons[3].endswith("炒股、砍伐")
    assert county.sql(
        "SELECT policy_version FROM batch WHERE command = 'fund loans' ORDER BY id DESC"
    )[0] == ("taoyuan-loans",)


def test_loans_partial_rate_and_status_update(county, tmp_path):
    rows = [loan_row(county, 利率=4.35), loan_row(county, "吴九", "H6", 利率="4.35")]
    path = write_xlsx(tmp_path / "loans.xlsx", rows, LOAN_HEADERS)
    assert county.json("fund", "loans", path)["loans_added"] == 2
    assert county.sql("SELECT rate_bp, status, amount_fen FROM loan ORDER BY id") == [
        (435, "正常", 5_000_000),
        (435, "正常", 5_000_000),
    ]
    again = county.json("fund", "loans", path)
    assert (again["loans_added"], again["loans_updated"], again["unchanged"]) == (0, 0, 2)
    repaid = write_xlsx(tmp_path / "l2.xlsx", [loan_row(county, 状态="已还")], LOAN_HEADERS)
    assert county.json("fund", "loans", repaid)["loans_updated"] == 1
    assert county.sql("SELECT status FROM loan ORDER BY id") == [("已还",), ("正常",)]


def test_a_repaid_loan_counts_as_outstanding_until_its_repaid_date(county, tmp_path):
    """fund check for a past year: a loan 已还 since counts until its 还款日期; one 已还 with no
    day given counts as repaid in every year (the file says no more)."""
    fund_import(county, fund_file(tmp_path / "f.xlsx", PASSING))  # risk pool 10,000 yuan
    headers = [*LOAN_HEADERS, "还款日期"]
    rows = [
        loan_row(county),  # 正常
        loan_row(county, "李四", 状态="已还", 还款日期="2017-03-01"),
        loan_row(county, "吴九", "H6", 状态="已还", 还款日期="2016-10-01"),
        loan_row(county, 银行="另一银行", 状态="已还", amount=20000),  # no day: repaid
    ]
    path = write_xlsx(tmp_path / "loans.xlsx", rows, headers)
    assert county.json("fund", "loans", path)["loans_added"] == 4
    assert county.sql("SELECT status, repaid_date FROM loan ORDER BY id") == [
        ("正常", None), ("已还", "2017-03-01"), ("已还", "2016-10-01"), ("已还", None)
    ]  # fmt: skip

    def leverage(year: str, code: int) -> tuple[int, int]:
        out = checked(county, "--year", year, code=code)
        [rule] = [r for r in out["rules"] if r["rule"] == "loan_leverage"]
        return rule["value"], rule["threshold"]

    assert leverage("2016", 0) == (100_000 * FEN, 100_000 * FEN)  # 张三 and 李四, not 吴九
    assert leverage("2017", 1) == (50_000 * FEN, 100_000 * FEN)  # 张三 only (no 2017 money)


def test_a_repaid_date_must_fit_the_status_and_the_start(county, tmp_path):
    headers = [*LOAN_HEADERS, "还款日期"]
    rows = [
        loan_row(county, 还款日期="2017-03-01"),  # 正常, with a repaid date
        loan_row(county, "李四", 状态="已还", 还款日期="2016-04-30"),  # before 2016-05-01
        loan_row(county, "吴九", "H6", 状态="已还", 还款日期="2016-12-31"),
        loan_row(county, 银行="另一银行", 状态="已还", 还款日期="2061-03-01"),  # for 2016
    ]
    path = write_xlsx(tmp_path / "loans.xlsx", rows, headers)
    out = county.json("fund", "loans", path, "--partial", code=1)
    assert (out["rows_rejected"], out["loans_added"]) == (3, 1)
    reasons = {r["行号"]: (r["列"], r["reason"]) for r in errors_of(tmp_path / "loans.errors.xlsx")}
    assert reasons == {
        2: (
            "还款日期",
            "还款日期 2017-03-01 given, but 状态 is 正常; make 状态 已还 or clear the date",
        ),
        3: ("还款日期", "还款日期 2016-04-30 is before the 发放日期 2016-05-01; check both"),
        5: ("还款日期", "还款日期 2061-03-01 is after today; check the year"),
    }


def test_a_loans_file_without_repaid_dates_keeps_the_ones_on_record(county, tmp_path):
    with_date = write_xlsx(
        tmp_path / "l1.xlsx",
        [loan_row(county, 状态="已还", 还款日期="2017-03-01")],
        [*LOAN_HEADERS, "还款日期"],
    )
    assert county.json("fund", "loans", with_date)["loans_added"] == 1
    without = write_xlsx(tmp_path / "l2.xlsx", [loan_row(county, 状态="已还")], LOAN_HEADERS)
    assert county.json("fund", "loans", without)["unchanged"] == 1
    assert county.sql("SELECT status, repaid_date FROM loan") == [("已还", "2017-03-01")]
    reopened = write_xlsx(tmp_path / "l3.xlsx", [loan_row(county, 状态="逾期")], LOAN_HEADERS)
    assert county.json("fund", "loans", reopened)["loans_updated"] == 1
    assert county.sql("SELECT status, repaid_date FROM loan") == [("逾期", None)]


def test_projects_import_and_update(county, tmp_path):
    def project(**cells):
        return {"乡镇": "陬市镇", "村": "金盆村", "项目名称": "油茶基地", "产业": "油茶",
                "规模": 3100, "单位": "亩", "开始日期": "2016-02-01", **cells}  # fmt: skip

    path = write_xlsx(tmp_path / "p.xlsx", [project(), project(村="无此村")], PROJECT_HEADERS)
    result = county("fund", "projects", path, "--partial", "--format", "json")
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert (out["projects_added"], out["rows_rejected"]) == (1, 1)
    assert county.sql("SELECT name, industry, scale, scale_unit, start_date FROM project") == [
        ("油茶基地", "油料", 3100.0, "亩", "2016-02-01")
    ]
    bigger = write_xlsx(tmp_path / "p2.xlsx", [project(规模=3500)], PROJECT_HEADERS)
    assert county.json("fund", "projects", bigger)["projects_updated"] == 1
    assert county.scalar("SELECT scale FROM project") == 3500.0


# -- the public notice ------------------------------------------------------------------------


def test_notice_workbook(county, tmp_path):
    projects = write_xlsx(
        tmp_path / "projects.xlsx",
        [{"乡镇": "陬市镇", "村": "金盆村", "项目名称": "油茶基地", "产业": "油茶", "规模": 3100,
          "单位": "亩", "开始日期": "2016-02-01"}],
        PROJECT_HEADERS,
    )  # fmt: skip
    assert county("fund", "projects", projects).exit_code == 0
    rows = [
        e("2016-01-10", "财政投入", "到位", 200000, "F1"),
        e("2016-02-01", "财政投入", "拨付", 80000, "A1", 项目="油茶基地", 用途="产业发展"),
        e("2016-02-05", "", "支出", 12345.67, "D1", 拨付文号="A1"),
        e("2016-02-06", "", "冲销", 345.67, "X1", 冲销文号="D1"),
        e("2016-02-07", "社会帮扶", "到位", 1000, '=HYPERLINK("x")', 村="金盆村"),
        e("2016-02-01", "财政投入", "拨付", 1000, "A9", 村="桃花村", 用途="教育"),
    ]
    fund_import(county, fund_file(tmp_path / "f.xlsx", rows))
    out = tmp_path / "notice.xlsx"
    result = county("fund", "notice", "--village", "430725102201", "-o", out)
    assert result.exit_code == 0, result.stderr
    wb = load_workbook(out)
    assert wb.sheetnames == ["资金公示", "项目", "汇总"]
    ws = wb["资金公示"]
    top = header_at(ws, "日期")
    assert title_block(ws, "日期")[:2] == ["扶贫资金公告公示·资金", "陬市镇/金盆村　历年"]
    table = list(ws.iter_rows(min_row=top, values_only=True))
    assert table[0] == (
        "日期", "文号", "资金来源", "类型", "金额(元)", "用途", "项目", "户编号", "冲销/拨付文号"
    )  # fmt: skip
    assert [r[1:7] for r in table[1:]] == [
        ("A1", "财政投入", "拨付", 80000, "产业发展", "油茶基地"),
        ("D1", "财政投入", "支出", 12345.67, "产业发展", "油茶基地"),
        ("X1", "财政投入", "冲销", -345.67, "产业发展", "油茶基地"),
        ('\'=HYPERLINK("x")', "社会帮扶", "到位", 1000, None, None),
    ]
    assert ws[f"E{top + 1}"].number_format == "#,##0.00" and ws[f"A{top + 1}"].is_date
    assert table[1][0].date().isoformat() == "2016-02-01"
    assert ws.freeze_panes == f"A{top + 1}" and ws.print_title_rows == f"${top}:${top}"
    assert [tuple(r) for r in workbook_table(wb["项目"], "项目名称")][1] == (
        "油茶基地", "油料", 3100, "亩", table[1][0], 80000
    )  # fmt: skip
    summary = [tuple(r) for r in workbook_table(wb["汇总"], "资金来源")]
    assert summary[1:] == [("财政投入", 0, 80000, 12000, 68000), ("社会帮扶", 1000, 0, 0, 0)]
    by_name = county("fund", "notice", "--village", "金盆村", "-o", tmp_path / "n2.xlsx")
    assert by_name.exit_code == 0
    unknown = county("fund", "notice", "--village", "无此村", "-o", tmp_path / "n3.xlsx")
    assert unknown.exit_code == 2 and "no village '无此村'" in one_line(unknown)
    assert not (tmp_path / "n3.xlsx").exists()


def test_fund_help_is_bilingual(cli):
    for sub in ("import", "loans", "projects", "add", "balance", "check", "notice"):
        result = cli("fund", sub, "--help", db=False)
        assert result.exit_code == 0 and " / " in result.stdout


def test_bulk_load_keeps_file_order(county, tmp_path):
    """A load goes in 50 rows a statement; the entries keep the file's order, and the ledger
    has no index but the unique 文号 one (its queries scan; schema v2)."""
    rows = [e("2016-01-01", "财政投入", "到位", 1_000_000, "R0")]
    rows += [
        e("2016-01-02", "财政投入", "拨付", 100 + n, f"A{n:03d}", 村="桃花村", 用途="产业发展")
        for n in range(121)
    ]
    fund_import(county, fund_file(tmp_path / "big.xlsx", rows))
    assert entries(county) == ["R0", *(f"A{n:03d}" for n in range(121))]
    assert county.scalar("SELECT sum(amount_fen) FROM fund_entry WHERE kind = 'allocation'") == (
        sum(100 + n for n in range(121)) * FEN
    )
    assert county.sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'fund_entry'"
    ) == [("sqlite_autoindex_fund_entry_1",)]


def test_bulk_insert_writes_every_value_as_given(county):
    """The bulk insert writes NULL into the statement for a column blank in 50 rows running and
    binds it otherwise: whatever the runs of blanks or of one day, kind and channel, each row
    reads back exactly, in order."""
    import datetime as dt
    import random

    import fupin_cli.jobs.fund as fund_job
    from fupin_cli.core.ledger import Entry
    from fupin_cli.db.audit import start_batch
    from fupin_cli.db.engine import open_database

    villages = [r[0] for r in county.sql("SELECT id FROM village ORDER BY id")]
    households = [r[0] for r in county.sql("SELECT id FROM household ORDER BY id")]
    rng = random.Random(6)
    entries: list[Entry] = []
    for n in range(50 * 7 + 23):  # 7 statements of 50 rows and 23 rows on their own
        block = n // 50  # blocks 0, 3: nothing blank throughout; 1: 冲销文号 in one row only
        docs = [x.doc for x in entries]
        entries.append(
            Entry(
                f"D{n:04d}",
                # blocks 2, 4: one day, kind and channel throughout (block 4 also a blank note)
                dt.date(2016, 3, block)
                if block in (2, 4)
                else dt.date(2016, 1, 1) + dt.timedelta(days=n % 300),
                "disbursement"
                if block in (2, 4)
                else rng.choice(["receipt", "allocation", "disbursement", "reversal"]),
                rng.randrange(1, 10**9),
                "integrated" if block in (2, 4) else rng.choice(["fiscal", "integrated"]),
                village=rng.choice(villages) if block in (0, 3) or rng.random() < 0.3 else None,
                household=rng.choice(households) if block in (0, 3) or n % 7 == 0 else None,
                purpose=rng.choice(["产业发展", "教育"]) if block != 5 else None,
                reverses=rng.choice(docs) if docs and (block in (0, 3) or n == 77) else None,
                allocation=rng.choice(docs) if docs and n % 50 == 49 else None,
                note="" if block == 4 else ("备注" if n % 3 else ""),
            )
        )
    db = open_database(str(county.db))
    try:
        with db.transaction() as conn:
            batch = start_batch(conn, "test")
            assert fund_job._insert_entries(conn, entries, batch.id) == len(entries)
    finally:
        db.dispose()
    stored = county.sql(
        "SELECT doc_no, date, channel, kind, amount_fen, village_id, project_id, household_id, "
        "purpose, reverses_doc, allocation_doc, note, batch_id FROM fund_entry ORDER BY id"
    )
    assert stored == [
        (
            x.doc,
            x.date.isoformat(),
            x.channel,
            x.kind,
            x.amount,
            x.village,
            x.project,
            x.household,
            x.purpose,
            x.reverses,
            x.allocation,
            x.note,
            batch.id,
        )
        for x in entries
    ]


def test_errors_option_names_the_error_file(county, tmp_path):
    rows = [e("2016-03-01", "财政投入", "到位", "多少", "R1")]
    target = tmp_path / "out" / "fund-errors.xlsx"
    target.parent.mkdir()
    out = fund_import(county, fund_file(tmp_path / "f.xlsx", rows), "--errors", target, code=1)
    assert out["errors_file"] == str(target)
    assert [r["列"] for r in errors_of(target)] == ["金额(元)"]
    assert not (tmp_path / "f.errors.xlsx").exists()
    fixed = [e("2016-03-01", "财政投入", "到位", 100, "R1")]
    out = fund_import(county, fund_file(tmp_path / "f.xlsx", fixed), "--errors", target)
    assert out["errors_file"] is None and not target.exists()  # no stale error file


def test_a_ledger_read_in_pieces_imports_exactly_as_one_read_whole(county, tmp_path, monkeypatch):
    """A county-size sheet is parsed in pieces on worker threads (io/xlsx_pieces). Here the
    pieces are made a few KiB: the register, the summary and every rejected row with its row
    number come out the same as from the whole read."""
    from conftest import Cli
    from fupin_cli.io import xlsx_pieces

    rows = [e("2016-01-05", "社会帮扶", "到位", 10_000_000, "R0")]
    for i in range(1, 1500):
        doc = f"桃社〔2016〕{i}号"
        if i % 250 == 0:
            rows.append(e("2016-02-01", "社会帮扶", "拨付", 100, doc, 村="无此村", 用途="教育"))
        elif i % 333 == 0:
            rows.append(e("2016-02-01", "社会帮扶", "拨付", "abc", doc, 村="桃花村", 用途="教育"))
        else:
            rows.append(e("2016-02-01", "社会帮扶", "拨付", 100 + i, doc, 村="枫树村", 用途="教育"))
    path = fund_file(tmp_path / "ledger.xlsx", rows)
    whole = Cli(tmp_path / "whole.db")
    shutil.copy(county.db, whole.db)

    out_whole = fund_import(whole, path, "--partial", "--errors", tmp_path / "whole.xlsx", code=1)
    parsed: list[int] = []
    parse = xlsx_pieces._Reader._parse
    monkeypatch.setattr(xlsx_pieces, "_cores", lambda: 2)
    monkeypatch.setattr(xlsx_pieces, "MIN_SHEET_BYTES", 0)
    monkeypatch.setattr(xlsx_pieces, "PIECE_BYTES", 16 << 10)
    monkeypatch.setattr(xlsx_pieces._Reader, "_parse", lambda s, b: parsed.append(1) or parse(s, b))
    out_pieces = fund_import(
        county, path, "--partial", "--errors", tmp_path / "pieces.xlsx", code=1
    )

    assert len(parsed) > 5
    assert (out_pieces["rows_read"], out_pieces["rows_rejected"]) == (1500, 9)
    del out_whole["errors_file"], out_pieces["errors_file"]
    assert out_pieces == out_whole
    assert county.dump() == whole.dump()
    assert errors_of(tmp_path / "pieces.xlsx") == errors_of(tmp_path / "whole.xlsx")
    assert [r["行号"] for r in errors_of(tmp_path / "pieces.xlsx")][:3] == [253, 336, 503]


def test_a_piece_that_cannot_be_read_stops_the_import_with_nothing_written(
    county, tmp_path, monkeypatch
):
    """The damage is found in a later piece, after earlier rows were checked: exit 2, one line
    naming the file and sheet, the register as before."""
    import zipfile

    from fupin_cli.io import xlsx_pieces

    rows = [e("2016-01-05", "社会帮扶", "到位", 100 + i, f"桃社〔2016〕{i}号") for i in range(1500)]
    path = fund_file(tmp_path / "ledger.xlsx", rows)
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(damaged, "w") as out:
        for info in src.infolist():
            out.writestr(info.filename, src.read(info), compress_type=zipfile.ZIP_STORED)
    raw = bytearray(damaged.read_bytes())
    # the cell as stored: UTF-8, or character references where openpyxl writes through lxml
    forms = [lambda text: text.encode(), lambda text: text.encode("ascii", "xmlcharrefreplace")]
    form = next(f for f in forms if f("桃社〔2016〕1490号") in raw)
    at = raw.index(form("桃社〔2016〕1490号"))
    raw[at : at + len(form("桃"))] = form("湘")  # the stored CRC no longer matches
    damaged.write_bytes(bytes(raw))
    monkeypatch.setattr(xlsx_pieces, "_cores", lambda: 2)
    monkeypatch.setattr(xlsx_pieces, "MIN_SHEET_BYTES", 0)
    monkeypatch.setattr(xlsx_pieces, "PIECE_BYTES", 16 << 10)
    parsed: list[int] = []
    parse = xlsx_pieces._Reader._parse
    monkeypatch.setattr(xlsx_pieces._Reader, "_parse", lambda s, b: parsed.append(1) or parse(s, b))
    before = county.dump(but=())

    result = county("fund", "import", damaged)
    assert len(parsed) > 5  # read in pieces up to the damage
    assert result.exit_code == 2
    assert one_line(result).startswith(
        "fupin: error: damaged.xlsx, sheet 资金台账: cannot be read ("
    )
    assert county.dump(but=()) == before


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_tab_separated_file_as_excel_saves_unicode_text_imports(county, tmp_path, encoding):
    """Excel's 'Unicode text' is UTF-16 with tabs; a clerk renames it .csv."""
    lines = [
        "\t".join(FUND_HEADERS),
        "\t".join(
            ["2016-03-01", "财政投入", "到位", "100000", "", "", "", "", "", "桃财1号", "", ""]
        ),
        "\t".join(
            ["2016-03-02", "财政投入", "拨付", "8万", "", "桃花村", "", "", "产业发展", "桃财2号"]
        ),
    ]
    path = tmp_path / "ledger.csv"
    lines.insert(0, "桃源县资金台账,日期,渠道")  # a title with commas: the tabs still win
    path.write_bytes("\r\n".join(lines).encode(encoding))
    out = fund_import(county, path)
    assert (out["rows_read"], out["entries_added"]) == (2, 2)
    assert out["rows_rejected"] == 0
    rows = county.sql("SELECT doc_no, amount_fen FROM fund_entry ORDER BY id")
    assert rows == [("桃财1号", 100000 * FEN), ("桃财2号", 80000 * FEN)]


def _formula_ledger(
    path: Path, *, result: float | None, recalculate: bool, filler: int = 0
) -> Path:
    """A ledger whose last amount is the formula =40000*2 (xlsxwriter), with ``result`` stored
    (None: none at all) and the workbook's ask to recalculate on opening kept or removed (Excel
    removes it when it saves)."""
    import zipfile

    import xlsxwriter

    raw = path.with_suffix(".raw.xlsx")
    book = xlsxwriter.Workbook(str(raw))
    sheet = book.add_worksheet("资金台账")
    sheet.write_row(0, 0, FUND_HEADERS)
    sheet.write_row(1, 0, ["2016-03-01", "财政投入", "到位", 100000, "", "", "", "", "", "R1"])
    for i in range(filler):  # receipts before the formula's row, to make the sheet large
        sheet.write_row(
            2 + i, 0, ["2016-03-01", "社会帮扶", "到位", 1, "", "", "", "", "", f"S{i}"]
        )
    at = 2 + filler
    sheet.write_row(
        at, 0, ["2016-03-02", "财政投入", "拨付", None, "", "桃花村", "", "", "产业发展"]
    )
    sheet.write_formula(at, 3, "=40000*2", None, result if result is not None else 0)
    sheet.write_string(at, 9, "A1")
    book.close()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml" and not recalculate:
                data = data.replace(b' fullCalcOnLoad="1"', b"")
            if info.filename == "xl/worksheets/sheet1.xml" and result is None:
                data = data.replace(b"<f>40000*2</f><v>0</v>", b"<f>40000*2</f>")
            out.writestr(info, data)
    return path


NO_RESULT = (
    "holds a formula without its result (the file was written by a program, not saved by Excel)"
)
NOT_WORKED_OUT = (
    "holds a formula whose result Excel has not worked out yet (the file asks to be "
    "recalculated when opened)"
)


@pytest.mark.parametrize(
    ("result", "recalculate", "why"),
    [
        (None, False, NO_RESULT),
        (0, True, NOT_WORKED_OUT),
        (80000, True, NOT_WORKED_OUT),
    ],
)
@pytest.mark.parametrize("pieces", [False, True])
def test_a_formula_without_a_trusted_result_stops_the_import(
    county, tmp_path, monkeypatch, result, recalculate, why, pieces
):
    """A blank or a placeholder 0 would go in as the amount with no word said."""
    from fupin_cli.io import xlsx_pieces

    filler = 3000 if pieces else 0
    path = _formula_ledger(
        tmp_path / "ledger.xlsx", result=result, recalculate=recalculate, filler=filler
    )
    parsed: list[int] = []
    if pieces:
        parse = xlsx_pieces._Reader._parse
        monkeypatch.setattr(xlsx_pieces, "_cores", lambda: 2)
        monkeypatch.setattr(xlsx_pieces, "MIN_SHEET_BYTES", 0)
        monkeypatch.setattr(xlsx_pieces, "PIECE_BYTES", 16 << 10)
        monkeypatch.setattr(xlsx_pieces, "FIRST_PIECE_BYTES", 16 << 10)
        monkeypatch.setattr(
            xlsx_pieces._Reader, "_parse", lambda s, b: parsed.append(1) or parse(s, b)
        )
    before = county.dump(but=())
    result_ = county("fund", "import", path)
    assert result_.exit_code == 2
    assert one_line(result_) == (
        f"fupin: error: ledger.xlsx, sheet 资金台账, cell D{3 + filler} {why}; open the file in "
        "Excel or WPS, save it, and import it again"
    )
    assert (len(parsed) > 3) is pieces
    assert county.dump(but=()) == before


def test_a_formula_saved_with_its_result_imports_that_result(county, tmp_path):
    path = _formula_ledger(tmp_path / "ledger.xlsx", result=80000, recalculate=False)
    fund_import(county, path)
    assert county.sql("SELECT doc_no, amount_fen FROM fund_entry ORDER BY id") == [
        ("R1", 100000 * FEN),
        ("A1", 80000 * FEN),
    ]


def test_an_amount_column_in_another_unit_is_refused_not_dropped(county, tmp_path):
    """金额(万元) is not 金额(元): read as blank (measures) or missing (ledger) before."""
    headers = ["日期", "渠道", "类型", "金额(万元)", "文号"]
    path = write_xlsx(
        tmp_path / "f.xlsx", [{**e("2016-03-01", "财政投入", "到位", 8, "R1")}], headers
    )
    result = county("fund", "import", path)
    assert result.exit_code == 2
    assert one_line(result) == (
        "fupin: error: f.xlsx, sheet 花名册, row 1: column 金额(万元) is in another unit than "
        "金额(元), which fupin reads; convert the column and head it 金额(元)"
    )


def test_columns_no_field_claims_are_named_on_stderr(county, tmp_path):
    rows = [{**BASIC[0], "经办人": "李会计"}]
    path = write_xlsx(tmp_path / "f.xlsx", rows, [*FUND_HEADERS, "经办人"])
    result = county("fund", "import", path, "--format", "json")
    assert result.exit_code == 0
    assert "warning: f.xlsx, sheet 花名册: ignored column(s) 经办人" in result.stderr
    assert json.loads(result.stdout)["entries_added"] == 1


def test_a_household_number_excel_shows_in_short_form_is_refused(county, tmp_path):
    """4.30725E+12 is what is left of a 户编号 typed as a number and saved as text."""
    rows = [e("2016-03-01", "社会帮扶", "到位", 100, "S1", 户编号="4.30725E+12")]
    fund_import(county, fund_file(tmp_path / "f.xlsx", rows), code=1)
    [err] = errors_of(tmp_path / "f.errors.xlsx")
    assert (err["列"], err["reason"]) == (
        "户编号",
        "'4.30725E+12' is a number as Excel shows it in short form, its digits lost — format "
        "the column as text and retype",
    )


def test_a_long_number_is_shown_whole_in_the_error_workbook(county, tmp_path):
    """A 户编号 typed as a number: General format would show it as 4.30725E+12."""
    rows = [e("2016-03-01", "社会帮扶", "到位", 100, "S1", 户编号=4307250010099)]
    fund_import(county, fund_file(tmp_path / "f.xlsx", rows), code=1)
    sheet = load_workbook(tmp_path / "f.errors.xlsx")["错误行"]
    [cell] = [c for c in sheet[header_at(sheet, "行号") + 1] if c.value == 4307250010099]
    assert cell.number_format == "0"
