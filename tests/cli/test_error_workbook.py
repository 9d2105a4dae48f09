"""The error workbook as a cadre uses it: reasons in Chinese, the faulty cell marked, every digit
of an ID shown, printable — and corrected in place, then imported as it is, by every importer
that writes one. One a cadre has saved is never replaced."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from factories import (
    household,
    make_id,
    person,
    small_county,
    village,
    write_villages,
    write_xlsx,
)
from fupin_cli.io.errors_file import FAULT_FILL, LEAD, TRAIL

AS_OF = "2016-09-30"
CADRE_HEADERS = ["姓名", "工号", "身份证号", "单位", "职级", "所在乡镇", "是否教师", "在岗"]
TEAM_HEADERS = ["乡镇", "村", "队长", "队长级别", "第一书记", "后盾单位", "开始日期", "结束日期"]
VISIT_HEADERS = ["日期", "干部", "户编号", "类型", "慰问金(元)", "办实事件数", "问题", "是否解决"]
MEASURE_HEADERS = ["日期", "户编号", "身份证号", "措施", "内容", "金额(元)", "经办干部"]
FUND_HEADERS = ["日期", "渠道", "类型", "金额(元)", "乡镇", "村", "项目", "户编号", "用途", "文号"]
FUND_HEADERS += ["冲销文号", "拨付文号"]
LOAN_HEADERS = ["户编号", "身份证号", "银行", "金额(元)", "发放日期", "期限(月)", "利率", "用途"]
LOAN_HEADERS += ["状态", "还款日期"]
PROJECT_HEADERS = ["乡镇", "村", "项目名称", "产业", "规模", "单位", "开始日期"]


@pytest.fixture
def county(cli, tmp_path):
    """small_county identified on 2016-09-30, with one cadre (G001) and a receipt in the ledger."""
    roster, villages = small_county(tmp_path)
    assert cli("identify", roster, "--villages", villages, "--as-of", AS_OF).exit_code == 0
    cadres = write_xlsx(tmp_path / "c0.xlsx", [cadre("王明", "G001")], CADRE_HEADERS)
    assert cli("assign", "cadres", cadres).exit_code == 0
    receipt = {"日期": "2016-03-01", "渠道": "财政投入", "类型": "到位", "金额(元)": 500000}
    fund = write_xlsx(tmp_path / "f0.xlsx", [{**receipt, "文号": "R0"}], FUND_HEADERS)
    assert cli("fund", "import", fund).exit_code == 0
    cli.tmp = tmp_path
    return cli


def cadre(name: str, staff: str, **cells: Any) -> dict[str, Any]:
    return {"姓名": name, "工号": staff, "单位": "桃源县扶贫开发办公室", "职级": "一般干部",
            "所在乡镇": "漳江镇", "在岗": "是", **cells}  # fmt: skip


def error_sheet(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    rows = list(load_workbook(path)["错误行"].iter_rows(values_only=True))
    return list(rows[0]), [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


# -- every importer: the corrected error workbook is imported as it is -------------------------


@dataclass
class Case:
    """One importer: its command, headers, a good row and a bad one (``column`` holds ``bad``,
    corrected to ``fixed``), and a query counting the rows that landed."""

    command: tuple[str, ...]
    headers: list[str]
    good: dict[str, Any]
    bad: dict[str, Any]
    column: str
    fixed: Any
    landed: str


def cases(ids: dict[str, str]) -> dict[str, Case]:
    """ids: the register's ID numbers by name (they vary with test order)."""
    return {
        "roster": Case(
            ("identify", "--as-of", AS_OF),
            [],
            {},
            {},
            "健康状况",
            "健康",
            "SELECT count(*) FROM household WHERE household_no IN ('N1', 'N2')",
        ),
        "villages": Case(
            ("identify", "--villages"),
            [],
            village("陬市镇", "新一村", "430725102211"),
            village("陬市镇", "新二村", "430725102212", poor="也许"),
            "是否贫困村",
            "否",
            "SELECT count(*) FROM village WHERE name IN ('新一村', '新二村')",
        ),
        "cadres": Case(
            ("assign", "cadres"),
            CADRE_HEADERS,
            cadre("钱一", "G101"),
            cadre("钱二", "G102", 在岗="也许"),
            "在岗",
            "是",
            "SELECT count(*) FROM cadre WHERE staff_no IN ('G101', 'G102')",
        ),
        "teams": Case(
            ("assign", "teams"),
            TEAM_HEADERS,
            {
                "乡镇": "漳江镇",
                "村": "桃花村",
                "队长": "甲",
                "队长级别": "县级",
                "开始日期": "2016-03-01",
            },
            {
                "乡镇": "陬市镇",
                "村": "金盆村",
                "队长": "乙",
                "队长级别": "省级",
                "开始日期": "2016-03-01",
            },
            "队长级别",
            "市级",
            "SELECT count(*) FROM work_team",
        ),
        "visits": Case(
            ("assign", "visits"),
            VISIT_HEADERS,
            {"日期": "2016-08-01", "干部": "G001", "户编号": "H1", "类型": "走访"},
            {"日期": "2016-08-02", "干部": "G001", "户编号": "H6", "类型": "座谈"},
            "类型",
            "慰问",
            "SELECT count(*) FROM visit",
        ),
        "measures": Case(
            ("assign", "measures"),
            MEASURE_HEADERS,
            {"日期": "2016-07-01", "户编号": "H1", "身份证号": ids["张三"], "措施": "技能培训"},
            {"日期": "2016-07-02", "户编号": "H6", "措施": "随便什么"},
            "措施",
            "易地搬迁",
            "SELECT count(*) FROM measure_record",
        ),
        "fund import": Case(
            ("fund", "import", "--partial"),
            FUND_HEADERS,
            {
                "日期": "2016-03-02",
                "渠道": "财政投入",
                "类型": "到位",
                "金额(元)": 1000,
                "文号": "R1",
            },
            {
                "日期": "2016-03-03",
                "渠道": "财政投入",
                "类型": "到位",
                "金额(元)": "两千",
                "文号": "R2",
            },
            "金额(元)",
            2000,
            "SELECT count(*) FROM fund_entry WHERE doc_no IN ('R1', 'R2')",
        ),
        "fund loans": Case(
            ("fund", "loans", "--partial"),
            LOAN_HEADERS,
            loan(ids["张三"], "H1", "4.35%"),
            loan(ids["吴九"], "H6", "百分之四"),
            "利率",
            "4.35%",
            "SELECT count(*) FROM loan",
        ),
        "fund projects": Case(
            ("fund", "projects", "--partial"),
            PROJECT_HEADERS,
            {"乡镇": "陬市镇", "村": "金盆村", "项目名称": "油茶基地", "产业": "油茶"},
            {"乡镇": "漳江镇", "村": "桃花村", "项目名称": "养鸡场", "产业": "养鸡"},
            "产业",
            "畜禽",
            "SELECT count(*) FROM project",
        ),
    }


def loan(borrower: str, no: str, rate: str) -> dict[str, Any]:
    return {"户编号": no, "身份证号": borrower, "银行": "桃源县农商银行", "金额(元)": 30000,
            "发放日期": "2016-05-01", "期限(月)": 36, "利率": rate, "用途": "养殖", "状态": "正常"}  # fmt: skip


def first_file(case: str, c: Case, tmp: Path) -> Path:
    if case == "roster":
        rows = [
            *household("N1", [person("甲一"), person("甲二", "配偶", male=False)]),
            *household(
                "N2", [person("乙一"), person("乙二", "子", birth="20050101", health="良好")]
            ),
        ]
        return write_xlsx(tmp / "roster.xlsx", rows)
    if case == "villages":
        return write_villages(tmp / "villages.xlsx", [c.good, c.bad])
    return write_xlsx(tmp / f"{case.replace(' ', '_')}.xlsx", [c.good, c.bad], c.headers)


CASES = list(cases({"张三": "", "吴九": ""}))


@pytest.mark.parametrize("case", CASES)
def test_the_corrected_error_workbook_is_imported_as_it_is(county, case):
    """Each importer: a file with a bad cell → the good rows land and the error workbook holds
    the bad one, its cell filled, its reason in Chinese; corrected and saved with openpyxl, the
    workbook itself is imported — its own columns passed over without a warning — and the row
    lands. Nothing is left rejected, so no new error workbook appears."""
    ids = dict(county.sql("SELECT name, id_number FROM person"))
    c = cases(ids)[case]
    path = first_file(case, c, county.tmp)
    first = county(*c.command, path, "--format", "json")
    assert first.exit_code == 1, first.stderr + first.stdout
    errors = path.with_name(path.stem + ".errors.xlsx")
    out = json.loads(first.stdout)
    assert out["villages_errors_file" if case == "villages" else "errors_file"] == str(errors)
    command = {"roster": "identify", "villages": "identify --villages"}.get(
        case, " ".join(c.command[:2])
    )
    said = " ".join(first.stderr.split())  # (the terminal wraps long lines)
    assert f"correct them there and import that file: fupin {command} {errors}" in said
    assert county.scalar(c.landed) == 1

    wb = load_workbook(errors)
    ws = wb["错误行"]
    header = [cell.value for cell in ws[1]]
    assert header[: len(LEAD)] == LEAD and header[-len(TRAIL) :] == TRAIL
    faulty = [row for row in ws.iter_rows(min_row=2) if row[1].value == c.column]
    assert len(faulty) == 1
    at = header.index(c.column)
    cell = faulty[0][at]
    assert cell.fill.fgColor.rgb.endswith(FAULT_FILL)
    assert re.search(r"[\u4e00-\u9fff]", faulty[0][2].value)
    assert faulty[0][-1].value and faulty[0][-1].value != faulty[0][2].value  # the English
    cell.value = c.fixed
    wb.save(errors)  # as a cadre's script would; WPS or Excel alike

    args = ("identify", "--villages") if case == "villages" else c.command
    again = county(*args, errors, "--format", "json")
    assert again.exit_code == 0, again.stderr + again.stdout
    assert "ignored column" not in again.stderr
    assert county.scalar(c.landed) == 2
    assert not errors.with_name(errors.stem + ".errors.xlsx").exists()


# -- the workbook a cadre opens ----------------------------------------------------------------


def test_an_id_stored_as_a_number_shows_every_digit_and_columns_fit(cli, tmp_path):
    """户编号 and 身份证号 typed as numbers: each shown whole (format 0, a column wide enough),
    never ### or 4.3E+17; text cells are text-formatted so a retyped ID stays text; the reason
    column wraps; the sheet prints on A4 landscape one page wide with its header row repeated."""
    number_id = int(make_id("19461018")[:15] + "000")
    rows = household("4307250101071", [person("甲", 身份证号=float(number_id))])
    rows[0]["户编号"] = 4307250101071
    roster = write_xlsx(tmp_path / "roster.xlsx", rows)
    assert cli("identify", roster, "--as-of", AS_OF).exit_code == 1
    ws = load_workbook(tmp_path / "roster.errors.xlsx")["错误行"]
    header = [c.value for c in ws[1]]
    row = {h: c for h, c in zip(header, ws[2], strict=True)}
    assert row["列"].value == "身份证号"
    assert "存成了数字" in row["原因"].value and "stored as a number" in row["reason"].value
    for name, digits in (("户编号", 13), ("身份证号", 18)):
        cell = row[name]
        assert cell.number_format == "0" and len(str(int(cell.value))) == digits
        assert ws.column_dimensions[cell.column_letter].width >= digits + 1
    assert row["姓名"].number_format == "@"
    assert row["身份证号"].fill.fgColor.rgb.endswith(FAULT_FILL)
    assert row["原因"].alignment.wrap_text
    assert ws.column_dimensions[row["原因"].column_letter].width <= 60
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.print_title_rows == "$1:$1"
    assert ws.freeze_panes == "A2"


# -- a saved error workbook is never replaced ----------------------------------------------------


def bad_roster(tmp_path: Path, health: str = "良好") -> Path:
    rows = [*household("B1", [person("甲", health=health)]), *household("G1", [person("乙")])]
    return write_xlsx(tmp_path / "roster.xlsx", rows)


def identify_json(cli, *args, code: int) -> dict[str, Any]:
    result = cli("identify", *args, "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == code, result.stderr + result.stdout
    result_out = json.loads(result.stdout)
    result_out["stderr"] = result.stderr
    return result_out


def test_an_error_workbook_saved_since_is_kept_and_the_new_one_goes_beside_it(cli, tmp_path):
    roster = bad_roster(tmp_path)
    first = tmp_path / "roster.errors.xlsx"
    assert identify_json(cli, roster, code=1)["errors_file"] == str(first)
    again = identify_json(cli, roster, code=1)  # untouched since fupin wrote it: replaced
    assert again["errors_file"] == str(first)
    assert not (tmp_path / "roster.errors-2.xlsx").exists()

    wb = load_workbook(first)  # the cadre corrects it in WPS: WPS names its editor
    wb["错误行"]["A2"].value = 2
    wb.properties.lastModifiedBy = "张会计"
    wb.save(first)
    saved = first.read_bytes()
    out = identify_json(cli, roster, code=1)  # the clerk runs the original roster again
    second = tmp_path / "roster.errors-2.xlsx"
    assert out["errors_file"] == str(second) and first.read_bytes() == saved
    said = " ".join(out["stderr"].split())
    assert f"rejected rows written to {second}; correct them there and import" in said
    assert identify_json(cli, roster, code=1)["errors_file"] == str(second)  # -2 is fupin's

    time.sleep(1.1)  # a script saves -2 with openpyxl, which keeps creator and editor
    wb = load_workbook(second)
    wb["错误行"]["B2"].value = "健康状况"
    wb.save(second)
    kept = second.read_bytes()
    out = identify_json(cli, roster, code=1)
    assert out["errors_file"] == str(tmp_path / "roster.errors-3.xlsx")
    assert second.read_bytes() == kept and first.read_bytes() == saved

    clean = bad_roster(tmp_path, health="健康")  # nothing rejected: fupin's own -3 goes
    assert identify_json(cli, clean, code=0)["errors_file"] is None
    assert not (tmp_path / "roster.errors-3.xlsx").exists()
    assert first.read_bytes() == saved and second.read_bytes() == kept


def test_a_foreign_file_under_the_errors_name_is_left_alone(cli, tmp_path):
    roster = bad_roster(tmp_path)
    mine = tmp_path / "mine.xlsx"
    write_xlsx(mine, [{"a": 1}], ["a"])  # someone's own workbook given as --errors
    before = mine.read_bytes()
    out = identify_json(cli, roster, "--errors", mine, code=1)
    assert out["errors_file"] == str(tmp_path / "mine-2.xlsx") and mine.read_bytes() == before
