"""The error workbook as a cadre uses it: reasons in Chinese, the faulty cell marked, every digit
of an ID shown, printable — and corrected in place, then imported as it is, by every importer
that writes one. One a cadre has saved is never replaced. Last, bad rows covering each
importer's checks go through the real commands and every 原因 they give is read back."""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from stdnum.cn import uscc

from factories import (
    CADRE_HEADERS,
    FUND_HEADERS,
    LOAN_HEADERS,
    MEASURE_HEADERS,
    PROJECT_HEADERS,
    TEAM_HEADERS,
    VISIT_HEADERS,
    household,
    make_id,
    person,
    small_county,
    village,
    write_villages,
    write_xlsx,
)
from fupin_cli.core.faults import UNTRANSLATED
from fupin_cli.io.errors_file import FAULT_FILL, LEAD, TRAIL
from workbooks import error_rows, header_at, title_block

AS_OF = "2016-09-30"
LOAN_HEADERS_REPAID = [*LOAN_HEADERS, "还款日期"]


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


def cadre(name: str, staff: str = "", idn: str = "", **cells: Any) -> dict[str, Any]:
    return {"姓名": name, "工号": staff, "身份证号": idn, "单位": "桃源县扶贫开发办公室",
            "职级": "一般干部", "所在乡镇": "漳江镇", "在岗": "是", **cells}  # fmt: skip


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
            LOAN_HEADERS_REPAID,
            loan(ids["张三"], "H1"),
            loan(ids["吴九"], "H6", 利率="百分之四"),
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


def loan(borrower: str, no: str, **cells: Any) -> dict[str, Any]:
    return {"户编号": no, "身份证号": borrower, "银行": "桃源县农商银行", "金额(元)": 30000,
            "发放日期": "2016-05-01", "期限(月)": 36, "利率": "4.35%", "用途": "养殖",
            "状态": "正常", **cells}  # fmt: skip


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
    top = header_at(ws, "行号")
    assert title_block(ws, "行号")[0].endswith("错误行（待更正）")  # a title block above it
    header = [cell.value for cell in ws[top]]
    assert header[: len(LEAD)] == LEAD and header[-len(TRAIL) :] == TRAIL
    faulty = [row for row in ws.iter_rows(min_row=top + 1) if row[1].value == c.column]
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
    top = header_at(ws, "行号")
    header = [c.value for c in ws[top]]
    row = {h: c for h, c in zip(header, ws[top + 1], strict=True)}
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
    widths = [ws.column_dimensions[c.column_letter].width for c in ws[top]]
    wide = -(-int(sum(widths)) // 180)  # a roster's forty columns: pages across, not tiny print
    assert wide > 1 and (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (wide, 0)
    assert ws.print_title_rows == f"${top}:${top}"  # the header row, under the title block
    assert ws.print_title_cols == "$A:$C"  # 行号 列 原因 on every page across
    assert ws.freeze_panes == f"A{top + 1}"


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
    wb["错误行"].cell(row=header_at(wb["错误行"], "行号") + 1, column=1).value = 2
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
    wb["错误行"].cell(row=header_at(wb["错误行"], "行号") + 1, column=2).value = "健康状况"
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


# -- every reason in Chinese ---------------------------------------------------------------------


CREDIT = "91110000600037341L"  # a valid 统一社会信用代码
OTHER_CREDIT = "91430725MA4L16JQ9" + uscc.calc_check_digit("91430725MA4L16JQ9")
WANG_ID = make_id("19800505")  # 王明, cadre G001


def english_words(reason: str) -> set[str]:
    """The English words left in a Chinese reason once the cadre's own values ('…'), command
    lines (fupin identify --villages) and policy keys (fund.banned_purposes) are taken out."""
    text = re.sub(r"'[^']*'", "", reason)
    text = re.sub(r"fupin [a-z ]+|--[a-z-]+|[a-z_]+\.[a-z_]+", "", text)
    return set(re.findall(r"(?<![A-Za-z0-9])[A-Za-z]{2,}(?![A-Za-z0-9])", text)) - {"Excel"}


@pytest.fixture
def busy_county(cli, tmp_path):
    """small_county with three cadres (two named 李华), a team with its enterprise, a receipt R0
    and an allocation A0 to 桃花村."""
    roster, villages = small_county(tmp_path)
    assert cli("identify", roster, "--villages", villages, "--as-of", AS_OF).exit_code == 0
    cadres = [
        cadre("王明", "G001", WANG_ID),
        cadre("李华", "G002"),
        cadre("李华", "G003"),  # two cadres of one name
    ]
    ok(cli, "assign", "cadres", write_xlsx(tmp_path / "c0.xlsx", cadres, CADRE_HEADERS))
    team = {"乡镇": "漳江镇", "村": "桃花村", "联村企业": "甲公司", "企业信用代码": CREDIT,
            "开始日期": "2015-01-01"}  # fmt: skip
    ok(cli, "assign", "teams", write_xlsx(tmp_path / "t0.xlsx", [team], TEAM_HEADERS))
    fund = [
        fund_row("2016-03-01", "财政投入", "到位", 100000, "R0"),
        fund_row("2016-03-05", "财政投入", "拨付", 50000, "A0", 村="桃花村", 用途="产业发展"),
    ]
    ok(cli, "fund", "import", write_xlsx(tmp_path / "f0.xlsx", fund, FUND_HEADERS))
    cli.tmp = tmp_path
    cli.ids = dict(cli.sql("SELECT name, id_number FROM person"))
    return cli


def ok(cli, *args: Any) -> None:
    result = cli(*args)
    assert result.exit_code == 0, result.stderr


def fund_row(day, channel, kind, amount, doc, **cells) -> dict[str, Any]:
    return {"日期": day, "渠道": channel, "类型": kind, "金额(元)": amount, "文号": doc, **cells}


def roster_rows(cli) -> list[dict[str, Any]]:
    """One household per check (a bad row rejects its household)."""
    shared = make_id("19700303")
    twice = make_id("19710303")
    male = make_id("19800101")
    rows: list[dict[str, Any]] = []

    def hh(no: str, *members: dict[str, Any], **kw: Any) -> None:
        rows.extend(household(no, list(members), **kw))

    hh("X01", person("甲", 身份证号=male[:-1] + ("0" if male[-1] != "0" else "1")))
    hh("X02", person("甲", 身份证号=float(male[:15] + "000")))
    hh("X03", person("甲", 身份证号="43072519800101A23B"))
    hh("X04", person("甲", 身份证号="12345"))
    hh("X05", person("甲", health="良好"))
    hh("X06", person("甲", 出生日期="2016-02-30"))
    hh("X07", person("甲", 身份证号=male, 性别="女"))
    hh("X08", person("甲", 身份证号=make_id("19800101"), 出生日期="1981-01-01"))
    hh("X09", person("甲", 身份证号=twice), person("乙", "子", 身份证号=twice))
    hh("X10", person("甲", 身份证号=shared))
    hh("X11", person("乙", 身份证号=shared))
    hh("X12", person("甲", "配偶"))
    hh("X13", person("甲"), person("乙"))
    hh("X14", person("甲"), person("乙", "配偶", **{"家庭年人均纯收入(元)": 3000}), repeat=True)
    hh("X16", person("甲"), person("乙", "配偶", 户主姓名="丙"))
    hh("X17", person("甲"), village="无此村")
    hh("X18", person("甲"), township="无此镇")
    hh("X19", person("甲", birth="20300101"))
    hh("X20", person("甲"), area=-5)
    hh("X21", person("甲"), income="很多")
    hh("X22", person("甲"), dibao="也许")
    hh("X23", person("甲", 姓名=None))
    hh("X24", person("甲", 身份证号=cli.ids["张三"]))
    hh("X25", person("甲"), village="430725102201")
    hh("X26", person("甲"), area=1e12)
    hh("X27", person("甲"), land="一些")
    hh("X28", person("甲"), income="1.005")
    hh("X29", person("甲"), income=-100)
    hh("X30", person("甲"), income=2e10)
    rows.append({**household("X31", [person("甲")])[0], "户编号": "4.30725E+12"})
    head, member = household("X32", [person("甲"), person("乙", "配偶")])
    head.pop("住房状况")
    member["住房状况"] = "安全"
    rows += [head, member]
    return rows


def bad_files(cli) -> list[tuple[tuple[str, ...], Path]]:
    tmp, ids = cli.tmp, cli.ids
    villages = [
        village("陬市镇", "新一村", "123"),
        village("陬市镇", "新二村", "", registered="很多"),
        village("陬市镇", "新三村", "", agri=-5),
        village("陬市镇", "新四村", "", 年度=1800),
        village("陬市镇", "新五村", "430725102299"),
        village("陬市镇", "新五村", "430725102298"),
        village("陬市镇", "新六村", "430725101201"),  # 桃花村's code
        village("陬市镇", "新七村", "", poor="也许"),
    ]
    cadres = [
        cadre("甲"),
        cadre("乙", "G101", make_id("19820101")),
        cadre("丙", "G101"),
        cadre("丁", "G102", make_id("19810101"), 所在乡镇="无此镇"),
        cadre("戊", "G103", 职级="教师", 是否教师="否"),
        cadre("己", "G104", 在岗="也许"),
        cadre("王明", "G002", WANG_ID),  # 王明's ID, 李华's 工号
        cadre("王明", "G009", WANG_ID),  # registered with 工号 G001
    ]
    cadres.append(cadre("庚", "G105", cadres[1]["身份证号"]))
    teams = [
        {"乡镇": "漳江镇", "村": "桃花村", "开始日期": "2016-05-01", "结束日期": "2016-04-01"},
        {"乡镇": "漳江镇", "村": "枫树村", "队长": "张队长", "开始日期": "2016-05-01"},
        {"乡镇": "陬市镇", "村": "金盆村", "队长级别": "省级", "开始日期": "2016-05-01"},
        {"乡镇": "陬市镇", "村": "金盆村", "开始日期": "2016-06-01"},
        {"乡镇": "陬市镇", "村": "金盆村", "开始日期": "2016-06-01"},
        {"乡镇": "漳江镇", "村": "无此村", "开始日期": "2016-05-01"},
        {"乡镇": "陬市镇", "村": "桃花村", "开始日期": "2016-05-01"},
        {"村": "无此村", "开始日期": "2016-05-01"},
        {"村": "枫树村", "企业信用代码": "123", "开始日期": "2016-07-01"},
        {"村": "枫树村", "企业信用代码": OTHER_CREDIT, "开始日期": "2016-08-01"},
        {"村": "枫树村", "联村企业": "乙公司", "企业信用代码": CREDIT, "开始日期": "2016-09-01"},
        {
            "村": "枫树村",
            "联村企业": "甲公司",
            "企业信用代码": OTHER_CREDIT,
            "开始日期": "2016-10-01",
        },
        {"村": "枫树村", "开始日期": "2016-13-01"},
    ]
    visits = [
        {"日期": "2016-08-01", "干部": "无此人", "户编号": "H1", "类型": "走访"},
        {"日期": "2016-08-01", "干部": "李华", "户编号": "H1", "类型": "走访"},
        {"日期": "2016-08-01", "干部": "G001", "户编号": "H99", "类型": "走访"},
        {"日期": "2016-08-02", "干部": "G001", "户编号": "H1", "类型": "走访"},
        {"日期": "2016-08-02", "干部": "G001", "户编号": "H1", "类型": "走访"},
        {"日期": "2016-08-03", "干部": "G001", "户编号": "H1", "类型": "座谈"},
        {"日期": "2016-08-04", "干部": "G001", "户编号": "H1", "类型": "走访", "办实事件数": -1},
        {"日期": "2106-08-04", "干部": "G001", "户编号": "H1", "类型": "走访"},
        {"日期": "", "干部": "G001", "户编号": "H1", "类型": "走访"},
    ]
    measures = [
        {"日期": "2016-07-01", "户编号": "H99", "措施": "技能培训"},
        {"日期": "2016-07-01", "户编号": "H1", "身份证号": ids["吴九"], "措施": "技能培训"},
        {"日期": "2016-07-01", "户编号": "H1", "措施": "随便什么"},
        {"日期": "2016-07-02", "户编号": "H1", "措施": "技能培训"},
        {"日期": "2016-07-02", "户编号": "H1", "措施": "技能培训"},
        {"日期": "2016-07-03", "户编号": "H1", "措施": "技能培训", "金额(元)": -5},
        {"日期": "2016-07-04", "户编号": "H1", "措施": "技能培训", "经办干部": "无此人"},
        {"日期": "2016-07-05", "户编号": "H1", "措施": "技能培训", "金额(元)": dt.date(2016, 7, 5)},
    ]
    fund = [
        fund_row("2016-03-02", "财政投入", "到位", 1000, "R1"),
        fund_row("2016-03-02", "财政投入", "到位", 1000, "R1"),
        fund_row("2016-03-02", "财政投入", "到位", 2000, "R0"),
        fund_row("2016-03-02", "财政投入", "拨付", 10, "A1", 村="无此村", 用途="产业发展"),
        fund_row("2016-03-02", "财政投入", "拨付", 10**7, "A2", 村="桃花村", 用途="产业发展"),
        fund_row("2016-03-02", "财政投入", "拨付", 10, "A3", 村="桃花村", 用途="行政经费"),
        fund_row("2016-03-02", "财政投入", "冲销", 10, "C1"),
        fund_row("2016-03-02", "财政投入", "支出", 10, "D1"),
        fund_row("2016-03-02", "财政投入", "借出", 10, "K1"),
        fund_row("2016-03-02", "无此渠道", "到位", 10, "K2"),
        fund_row("2016-03-02", "财政投入", "拨付", 10, "A4", 项目="无此项目", 用途="产业发展"),
        fund_row("2016-03-02", "财政投入", "拨付", 10, "A5", 村="枫树村", 户编号="H1", 用途="住房"),
        fund_row("2016-03-01", "财政投入", "支出", 10, "D2", 拨付文号="A0"),
        fund_row("2016-03-02", "财政投入", "拨付", 10, "A6", 村="桃花村"),
        fund_row("2016-03-02", "财政投入", "拨付", 10, "A7", 用途="产业发展"),
        fund_row("2016-03-02", "财政投入", "到位", 0, "R3"),
        fund_row("2016-03-02", "财政投入", "到位", "1.005", "R4"),
        fund_row("2106-03-02", "财政投入", "到位", 10, "R5"),
        fund_row("2016-03-02", "财政投入", "到位", 10, "R6", 冲销文号="R0"),
        fund_row("2016-03-02", "财政投入", "到位", 10, "R7", 拨付文号="A0"),
        fund_row("2016-03-02", "财政投入", "冲销", 10, "C2", 冲销文号="C2"),
        fund_row("2016-03-02", "财政投入", "冲销", 10, "C3", 冲销文号="无此号"),
        fund_row("2016-03-06", "财政投入", "支出", 10, "D3", 拨付文号="R0"),
        fund_row("2016-03-06", "财政投入", "支出", 10**6, "D4", 拨付文号="A0"),
        fund_row("2016-03-06", "财政投入", "支出", 10, "D5", 拨付文号="A0", 用途="养殖"),
        fund_row("2016-03-06", "财政投入", "支出", 10, "D6", 拨付文号="A0", 村="金盆村"),
        fund_row("2016-03-06", "财政投入", "冲销", 10**6, "C4", 冲销文号="A0"),
        fund_row("2016-03-06", "财政投入", "冲销", 10, "C5", 冲销文号="A0", 拨付文号="A0"),
        fund_row("", "财政投入", "到位", 10, "R8"),
    ]
    loans = [
        loan(ids["张三"], "H1", **{"金额(元)": 60000}),
        loan(ids["张三"], "H1", **{"期限(月)": 48, "银行": "乙行"}),
        loan(ids["赵六"], "H3"),
        loan(ids["王五"], "H1", **{"银行": "丙行"}),
        loan(ids["王五"], "H2", **{"银行": "丁行"}),
        loan(ids["张三"], "H1", 用途="建房", 银行="戊行"),
        loan(ids["张三"], "H1", 还款日期="2016-06-01", 银行="己行"),
        loan(ids["张三"], "H1", 状态="已还", 还款日期="2099-06-01", 银行="庚行"),
        loan(ids["张三"], "H1", 状态="已还", 还款日期="2016-04-01", 银行="辛行"),
        loan(ids["吴九"], "H6"),
        loan(ids["吴九"], "H6"),
        loan(ids["张三"], "H99", 银行="壬行"),
        loan(ids["张三"], "H1", 利率=0.5, 银行="癸行"),
        loan(ids["张三"], "H1", 利率="30%", 银行="子行"),
        loan(ids["张三"], "H1", 利率="百分之四", 银行="丑行"),
        loan(ids["张三"], "H1", 利率="4.355%", 银行="寅行"),
        loan(ids["张三"], "H1", 利率="150%", 银行="卯行"),
        loan(ids["张三"], "H1", **{"期限(月)": "三年", "银行": "辰行"}),
        loan(ids["张三"], "H1", 状态="不知道", 银行="巳行"),
    ]
    projects = [
        {"乡镇": "漳江镇", "村": "无此村", "项目名称": "甲", "产业": "油茶"},
        {"村": "金盆村", "项目名称": "乙", "产业": "油茶"},
        {"村": "金盆村", "项目名称": "乙", "产业": "油茶"},
        {"村": "金盆村", "项目名称": "丙", "产业": "油茶", "规模": -3},
        {"村": "金盆村", "项目名称": "丁", "产业": "养鸡"},
        {"村": "金盆村", "项目名称": "戊", "产业": "油茶", "开始日期": "某天"},
    ]
    return [
        (("identify", "--as-of", AS_OF), write_xlsx(tmp / "roster.xlsx", roster_rows(cli))),
        (("identify", "--villages"), write_villages(tmp / "villages.xlsx", villages)),
        (("assign", "cadres"), write_xlsx(tmp / "cadres.xlsx", cadres, CADRE_HEADERS)),
        (("assign", "teams"), write_xlsx(tmp / "teams.xlsx", teams, TEAM_HEADERS)),
        (("assign", "visits"), write_xlsx(tmp / "visits.xlsx", visits, VISIT_HEADERS)),
        (("assign", "measures"), write_xlsx(tmp / "measures.xlsx", measures, MEASURE_HEADERS)),
        (("fund", "import", "--partial"), write_xlsx(tmp / "fund.xlsx", fund, FUND_HEADERS)),
        (
            ("fund", "loans", "--partial"),
            write_xlsx(tmp / "loans.xlsx", loans, LOAN_HEADERS_REPAID),
        ),
        (("fund", "projects"), write_xlsx(tmp / "projects.xlsx", projects, PROJECT_HEADERS)),
    ]


# One fragment of each check's English reason: proof that the bad rows above reach it.
CHECKS = [
    # roster
    "bad check digit", "stored as a number", "should be digits", "5 digits", "not a valid 健康状况",
    "impossible date", "contradicts the ID number (男)", "contradicts the ID number (1980",
    "appears twice in this household", "also appears in household", "has no 户主",
    "a second 户主", "differs from the 户主 row", "is not the 户主's name", "no village 无此村",
    "no township 无此镇", "a day still to come", "cannot be negative", "not an amount of money",
    "not yes or no", "blank; fill it in", "if the person moved", "is the code of 陬市镇/金盆村",
    "too large for this column", "is not a number", "fractions of a fen",
    "negative amount", "beyond any county's money", "in short form", "blank on the 户主 row",
    # villages
    "not a 12-digit", "is not a whole number", "must be 0 or more", "is not a year",
    "already given in row", "is already used by",
    # cadres
    "give 工号 or 身份证号", "工号 G101 already given", "身份证号 already given",
    "no township named 无此镇", "职级 is 教师", "belongs to another cadre",
    "is registered with 工号 G001",
    # teams
    "is before 开始日期", "队长 张队长 is named", "not a valid 队长级别", "is already in row",
    "no village 无此村 in 漳江镇", "is in 漳江镇, not 陬市镇", "give its 12-digit code",
    "not a valid 统一社会信用代码", "is not known yet", "is the code of 甲公司",
    "is registered with 企业信用代码",
    # visits and measures
    "no cadre with 工号", "2 cadres are named 李华", "no household H99 in the register",
    "the same visit", "not a valid 走访类型", "outside the years 1990–2100",
    "not a member of household H1", "is not a known 措施", "the same record",
    "shows the date or time",
    # fund
    "文号 R1 is already given", "already recorded with other content", "no village '无此村'",
    "exceeds the available balance", "banned purpose", "names the 文号 it cancels",
    "names its allocation in 拨付文号", "not a valid 类型", "not a valid 渠道",
    "no project '无此项目'", "household H1 is in", "before allocation A0", "needs a 用途",
    "goes to a village, a project or a household", "must be above 0",
    "only a 冲销 entry names a 冲销文号", "only a 支出 entry names a 拨付文号",
    "cannot reverse itself", "entry 无此号 is not in the ledger", "not a 拨付 (allocation)",
    "exceeds the unspent balance", "用途 养殖 differs from allocation A0",
    "村 陬市镇/金盆村 differs from allocation A0 (漳江镇/桃花村)", "exceeds what is left of A0",
    "names the 冲销文号 only",
    # loans and projects
    "above the limit of 50,000.00", "months is above the limit", "outside the ages",
    "not a registered member", "not a registered poor household", "a micro-loan is for production",
    "还款日期 2016-06-01 given", "is after today", "is before the 发放日期", "the same loan",
    "reads as 50%", "above any loan's annual rate", "not an interest rate; write it like",
    "2 decimal places of a percent", "between 0% and 100%", "not a valid 贷款状态",
    "no project", "project 乙 in 陬市镇/金盆村 is already given", "is below 0",
    "not a valid 产业", "'某天' is not a date",
]  # fmt: skip


def test_every_reason_an_import_gives_is_in_chinese(busy_county):
    county = busy_county
    reasons: list[tuple[str, str, str]] = []  # (file, 原因, reason)
    for command, path in bad_files(county):
        result = county(*command, path)
        assert result.exit_code == 1, (path.name, result.stderr)
        rows = error_rows(path.with_name(path.stem + ".errors.xlsx"))
        head = rows[0]
        for row in rows[1:]:
            cells = dict(zip(head, row, strict=True))
            reasons.append((path.name, cells["原因"], cells["reason"]))
    english = [r for _f, _zh, r in reasons]
    missed = [c for c in CHECKS if not any(c in r for r in english)]
    assert not missed, missed
    for name, zh, en in reasons:
        assert UNTRANSLATED not in zh, (name, zh)
        assert re.search(r"[\u4e00-\u9fff]", zh) and zh != en, (name, zh)
        assert not english_words(zh), (name, zh, english_words(zh))


def test_no_check_raises_a_bare_value_error():
    """A parser or check of the importers refuses with ``Invalid`` (or a subclass, or a
    ``RowFault``), which carries the Chinese: a bare ValueError would reach the cadre in English."""
    src = Path(__file__).parents[2] / "src" / "fupin_cli"
    found = []
    for path in [*(src / "jobs").glob("*.py"), *(src / "core").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and isinstance(node.exc.func, ast.Name)
                and node.exc.func.id == "ValueError"
            ):
                found.append(f"{path.name}:{node.lineno}")
    # the one left checks `fund balance --by`, an option, never a row
    assert [f.split(":")[0] for f in found] == ["ledger.py"], found
