"""Every reason an import gives the cadre is in Chinese: bad rows covering each importer's checks
go through the real commands, and every 原因 of every error workbook is read back."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from stdnum.cn import uscc

from factories import (
    household,
    make_id,
    person,
    small_county,
    village,
    write_villages,
    write_xlsx,
)
from fupin_cli.core.faults import UNTRANSLATED

AS_OF = "2016-09-30"
CADRE_HEADERS = ["姓名", "工号", "身份证号", "单位", "职级", "所在乡镇", "是否教师", "在岗"]
TEAM_HEADERS = ["乡镇", "村", "队长", "队长级别", "后盾单位", "联村企业", "企业信用代码"]
TEAM_HEADERS += ["开始日期", "结束日期"]
VISIT_HEADERS = ["日期", "干部", "户编号", "类型", "慰问金(元)", "办实事件数", "问题"]
MEASURE_HEADERS = ["日期", "户编号", "身份证号", "措施", "内容", "金额(元)", "经办干部"]
FUND_HEADERS = ["日期", "渠道", "类型", "金额(元)", "乡镇", "村", "项目", "户编号", "用途", "文号"]
FUND_HEADERS += ["冲销文号", "拨付文号"]
LOAN_HEADERS = ["户编号", "身份证号", "银行", "金额(元)", "发放日期", "期限(月)", "利率", "用途"]
LOAN_HEADERS += ["状态", "还款日期"]
PROJECT_HEADERS = ["乡镇", "村", "项目名称", "产业", "规模", "单位", "开始日期"]
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
def county(cli, tmp_path):
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


def cadre(name: str, staff: str = "", idn: str = "", **cells: Any) -> dict[str, Any]:
    return {"姓名": name, "工号": staff, "身份证号": idn, "单位": "扶贫办", "职级": "一般干部",
            "所在乡镇": "漳江镇", "在岗": "是", **cells}  # fmt: skip


def fund_row(day, channel, kind, amount, doc, **cells) -> dict[str, Any]:
    return {"日期": day, "渠道": channel, "类型": kind, "金额(元)": amount, "文号": doc, **cells}


def loan(cli, name: str, no: str, **cells: Any) -> dict[str, Any]:
    return {"户编号": no, "身份证号": cli.ids[name], "银行": "农商银行", "金额(元)": 30000,
            "发放日期": "2016-05-01", "期限(月)": 36, "利率": "4.35%", "用途": "养殖",
            "状态": "正常", **cells}  # fmt: skip


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
        loan(cli, "张三", "H1", **{"金额(元)": 60000}),
        loan(cli, "张三", "H1", **{"期限(月)": 48, "银行": "乙行"}),
        loan(cli, "赵六", "H3"),
        loan(cli, "王五", "H1", **{"银行": "丙行"}),
        loan(cli, "王五", "H2", **{"银行": "丁行"}),
        loan(cli, "张三", "H1", 用途="建房", 银行="戊行"),
        loan(cli, "张三", "H1", 还款日期="2016-06-01", 银行="己行"),
        loan(cli, "张三", "H1", 状态="已还", 还款日期="2099-06-01", 银行="庚行"),
        loan(cli, "张三", "H1", 状态="已还", 还款日期="2016-04-01", 银行="辛行"),
        loan(cli, "吴九", "H6"),
        loan(cli, "吴九", "H6"),
        loan(cli, "张三", "H99", 银行="壬行"),
        loan(cli, "张三", "H1", 利率=0.5, 银行="癸行"),
        loan(cli, "张三", "H1", 利率="30%", 银行="子行"),
        loan(cli, "张三", "H1", 利率="百分之四", 银行="丑行"),
        loan(cli, "张三", "H1", 利率="4.355%", 银行="寅行"),
        loan(cli, "张三", "H1", 利率="150%", 银行="卯行"),
        loan(cli, "张三", "H1", **{"期限(月)": "三年", "银行": "辰行"}),
        loan(cli, "张三", "H1", 状态="不知道", 银行="巳行"),
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
        (("fund", "loans", "--partial"), write_xlsx(tmp / "loans.xlsx", loans, LOAN_HEADERS)),
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
    "not a member of household H1", "not a 帮扶类别 or 帮扶措施", "the same record",
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
    "not a registered member", "not a registered poor household", "not a production purpose",
    "还款日期 2016-06-01 given", "is after today", "is before the 发放日期", "the same loan",
    "reads as 50%", "above any loan's annual rate", "not an interest rate; write it like",
    "2 decimal places of a percent", "between 0% and 100%", "not a valid 贷款状态",
    "no project", "project 乙 in 陬市镇/金盆村 is already given", "is below 0",
    "not a valid 产业", "'某天' is not a date",
]  # fmt: skip


def test_every_reason_an_import_gives_is_in_chinese(county):
    reasons: list[tuple[str, str, str]] = []  # (file, 原因, reason)
    for command, path in bad_files(county):
        result = county(*command, path)
        assert result.exit_code == 1, (path.name, result.stderr)
        rows = list(
            load_workbook(path.with_name(path.stem + ".errors.xlsx"))["错误行"].iter_rows(
                values_only=True
            )
        )
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
