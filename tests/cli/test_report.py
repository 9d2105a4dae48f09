"""fupin report end to end: a small county built through the real commands, then every format."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess

import pytest
from openpyxl import Workbook, load_workbook

from factories import (
    CADRE_HEADERS,
    FUND_HEADERS,
    VISIT_HEADERS,
    household,
    person,
    small_county,
    write_xlsx,
)
from workbooks import facts, header_at, records, section, table, title_block

AS_OF = "2016-09-30"  # identification day: the last day of 2016Q3
TEAM_HEADERS = ["乡镇", "村", "队长", "队长级别", "第一书记", "后盾单位", "开始日期", "结束日期"]


def ok(cli, *args, code=0):
    result = cli(*args)
    assert result.exit_code == code, result.stderr + result.stdout
    return result


@pytest.fixture
def county(cli, tmp_path):
    """small_county (H1 桃花村, H3 and H6 金盆村 identified on 2016-09-30), classified, two cadres
    paired, a work team in 桃花村, visits in Q3, money in and out."""
    roster, villages = small_county(tmp_path)
    ok(cli, "identify", roster, "--villages", villages, "--as-of", AS_OF)
    ok(cli, "classify", "--as-of", AS_OF)
    cadres = [
        {
            "姓名": "王明",
            "工号": "G001",
            "单位": "县扶贫办",
            "职级": "科级干部",
            "所在乡镇": "漳江镇",
            "在岗": "是",
        },
        {
            "姓名": "李老师",
            "工号": "T001",
            "单位": "陬市镇中学",
            "职级": "教师",
            "所在乡镇": "陬市镇",
            "是否教师": "是",
            "在岗": "是",
        },
    ]
    ok(cli, "assign", "cadres", write_xlsx(tmp_path / "cadres.xlsx", cadres, CADRE_HEADERS))
    teams = [
        {
            "乡镇": "漳江镇",
            "村": "桃花村",
            "队长": "刘队长",
            "队长级别": "县级",
            "第一书记": "陈书记",
            "后盾单位": "县扶贫办",
            "开始日期": "2016-01-01",
        }
    ]
    ok(cli, "assign", "teams", write_xlsx(tmp_path / "teams.xlsx", teams, TEAM_HEADERS))
    cli("assign", "pair", "--as-of", AS_OF)  # exit 1 is fine: capacity may be short
    visits = [
        {
            "日期": "2016-08-01",
            "干部": "G001",
            "户编号": "H1",
            "类型": "慰问",
            "慰问金(元)": 500,
            "物资折价(元)": 200,
            "办实事件数": 1,
            "问题": "屋顶漏雨",
            "是否解决": "是",
        },
        {"日期": "2016-09-30", "干部": "T001", "户编号": "H6", "类型": "走访", "办实事件数": 2},
        {"日期": "2016-10-01", "干部": "T001", "户编号": "H6", "类型": "走访"},  # Q4: not in Q3
    ]
    cli("assign", "visits", write_xlsx(tmp_path / "visits.xlsx", visits, VISIT_HEADERS))
    entries = [
        {
            "日期": "2016-07-05",
            "渠道": "财政投入",
            "类型": "到位",
            "金额(元)": 100000,
            "文号": "R1",
        },
        {
            "日期": "2016-08-01",
            "渠道": "财政投入",
            "类型": "拨付",
            "金额(元)": 80000,
            "乡镇": "漳江镇",
            "村": "桃花村",
            "用途": "产业发展",
            "文号": "A1",
        },
        {
            "日期": "2016-09-01",
            "渠道": "财政投入",
            "类型": "支出",
            "金额(元)": 30000,
            "乡镇": "漳江镇",
            "村": "桃花村",
            "用途": "产业发展",
            "文号": "D1",
            "拨付文号": "A1",
        },
        {
            "日期": "2016-10-02",
            "渠道": "社会帮扶",
            "类型": "到位",
            "金额(元)": 5000,
            "文号": "R2",
        },  # Q4
    ]
    ok(cli, "fund", "import", write_xlsx(tmp_path / "funds.xlsx", entries, FUND_HEADERS))
    return cli


def report_json(cli, *args, code=0):
    return json.loads(ok(cli, "report", *args, "--format", "json", code=code).stdout)


def test_quarter_numbers(county):
    r = report_json(county, "--quarter", "2016Q3")
    assert r["period"] == {"label": "2016Q3", "start": "2016-07-01", "end": "2016-09-30"}
    c = r["county"]
    assert (c["households"], c["persons"], c["newly_identified"], c["exited"], c["returned"]) == (
        3,
        5,
        3,
        0,
        0,
    )
    assert c["by_category"] == {"industry": 0, "relocation": 1, "safety_net": 1, "illness_aid": 1}
    assert c["visits"] == {
        "count": 2,
        "households": 2,
        "money_fen": 50000,
        "goods_fen": 20000,
        "deeds": 3,
    }
    assert c["funds"]["fiscal"] == {
        "received_fen": 10_000_000,
        "allocated_fen": 8_000_000,
        "disbursed_fen": 3_000_000,
    }
    assert c["funds"]["social"] == {"received_fen": 0, "allocated_fen": 0, "disbursed_fen": 0}
    assert c["pairing"]["households_paired"] + c["pairing"]["households_unpaired"] == 3
    assert c["pairing"]["students_paired"] + c["pairing"]["students_unpaired"] == 1
    towns = {t["name"]: t for t in r["townships"]}
    assert (towns["漳江镇"]["households"], towns["陬市镇"]["households"]) == (1, 2)
    assert towns["漳江镇"]["funds"]["fiscal"] == {
        "received_fen": 0,
        "allocated_fen": 8_000_000,
        "disbursed_fen": 3_000_000,
    }
    villages = {v["name"]: v for v in r["villages"]}
    assert villages["金盆村"]["persons"] == 3 and villages["金盆村"]["poverty_rate"] == round(
        3 / 800, 6
    )
    assert villages["桃花村"]["has_team"] is True and villages["金盆村"]["has_team"] is False
    assert r["exit_target"]["target_persons"] == 20000 and r["exit_target"]["exited_persons"] == 0
    assert {g["rule"] for g in r["gaps"]} >= {"village_no_team"}
    assert any(x["rule"] == "village_industry" for x in r["rules"])


def test_numbers_agree_with_the_database(county):
    r = report_json(county, "--quarter", "2016Q3")
    registered = county.scalar(
        "SELECT count(*) FROM household WHERE status IN ('已识别','预脱贫','返贫')"
    )
    persons = county.scalar(
        "SELECT count(*) FROM person p JOIN household h ON h.id=p.household_id "
        "WHERE h.status IN ('已识别','预脱贫','返贫')"
    )
    received = county.scalar(
        "SELECT sum(amount_fen) FROM fund_entry WHERE kind='receipt' AND date BETWEEN '2016-07-01' AND '2016-09-30'"
    )
    assert (r["county"]["households"], r["county"]["persons"]) == (registered, persons)
    assert sum(ch["received_fen"] for ch in r["county"]["funds"].values()) == received
    assert sum(t["households"] for t in r["townships"]) == registered


def test_quarter_boundary_and_empty_quarters(county):
    q4 = report_json(county, "--quarter", "2016Q4")
    assert q4["county"]["households"] == 3  # the stock carries over
    assert q4["county"]["newly_identified"] == 0  # the event was on 2016-09-30, the last day of Q3
    assert (
        q4["county"]["visits"]["count"] == 1
        and q4["county"]["funds"]["social"]["received_fen"] == 500_000
    )
    # before the register began: all zero while households are registered now — exit 1
    q2 = report_json(county, "--quarter", "2016Q2", code=1)
    assert q2["county"]["households"] == 0 and q2["county"]["newly_identified"] == 0
    assert q2["notes"][0].startswith("本期报告未含 2016-06-30 之后的记录")
    empty = report_json(county, "--quarter", "2015Q1", code=1)
    assert empty["county"]["persons"] == 0 and empty["county"]["visits"]["count"] == 0
    year = report_json(county, "--year", "2016")
    assert year["period"] == {"label": "2016", "start": "2016-01-01", "end": "2016-12-31"}
    assert year["county"]["visits"]["count"] == 3


@pytest.mark.parametrize("bad", ["2016Q5", "abc", "16Q3"])
def test_malformed_period_exits_2(county, bad):
    result = county("report", "--quarter", bad)
    assert result.exit_code == 2 and "write it like 2016Q3" in result.stderr


def test_levels(county):
    r = report_json(county, "--quarter", "2016Q3", "--level", "county")
    assert r["townships"] == [] and r["villages"] == []
    r = report_json(county, "--quarter", "2016Q3", "--level", "township")
    assert len(r["townships"]) == 2 and r["villages"] == []


def test_csv_and_xlsx_agree_with_json(county, tmp_path):
    r = report_json(county, "--quarter", "2016Q3")
    out = ok(
        county, "report", "--quarter", "2016Q3", "--format", "csv", "--table", "summary"
    ).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["名称"] == "全县 county" and int(rows[0]["贫困人口"]) == r["county"]["persons"]
    assert float(rows[0]["慰问金(元)"]) == r["county"]["visits"]["money_fen"] / 100
    funds = list(
        csv.DictReader(
            io.StringIO(
                ok(county, "report", "--quarter", "2016Q3", "-f", "csv", "--table", "funds").stdout
            )
        )
    )
    assert funds[0] == {
        "渠道": "财政投入",
        "到位(元)": "100000.00",
        "拨付(元)": "80000.00",
        "支出(元)": "30000.00",
    }

    path = tmp_path / "q3.xlsx"
    ok(county, "report", "--quarter", "2016Q3", "--format", "xlsx", "-o", path)
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "汇总",
        "分类施策",
        "属性与致贫原因",
        "脱贫进度",
        "贫困村",
        "资金",
        "村资金",
        "资金规则",
        "帮扶缺口",
        "措施落实",
        "培训就业助学",
        "贫困村出列",
    ]
    summary = wb["汇总"]
    top = header_at(summary, "级别")
    county_row = records(summary, "级别")[0]
    assert (
        county_row["贫困户"] == 3
        and county_row["大病救助"] == 1
        and county_row["慰问金(元)"] == 500
    )
    assert summary.freeze_panes == f"A{top + 1}" and summary.auto_filter.ref.startswith(f"A{top}:")
    head = table(summary, "级别")[0]
    assert (
        summary.cell(row=top + 1, column=head.index("慰问金(元)") + 1).number_format == "#,##0.00"
    )
    assert (
        len(wb["分类施策"]._charts) == 1
        and len(wb["脱贫进度"]._charts) == 2
        and len(wb["资金"]._charts) == 1
    )
    assert table(wb["资金"], "渠道")[1][1] == 100000


def test_xlsx_opens_in_libreoffice(county, tmp_path):
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if not office:
        pytest.skip("LibreOffice is not installed")
    path = tmp_path / "q3.xlsx"
    ok(county, "report", "--quarter", "2016Q3", "--format", "xlsx", "-o", path)
    subprocess.run(
        [office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    assert (tmp_path / "q3.pdf").stat().st_size > 1000


def test_csv_needs_a_table_and_xlsx_a_file(county):
    assert county("report", "--quarter", "2016Q3", "-f", "csv").exit_code == 2
    assert county("report", "--quarter", "2016Q3", "-f", "xlsx").exit_code == 2


def test_output_file_takes_its_format_from_its_ending(county, tmp_path):
    """`fupin report --quarter 2016Q3 -o q3.xlsx` (DESIGN §1) writes the workbook; -o q3.json
    and -o t.csv write the json and the csv a --format would print; nothing goes to stdout."""
    r = report_json(county, "--quarter", "2016Q3")
    result = ok(county, "report", "--quarter", "2016Q3", "-o", tmp_path / "q3.xlsx")
    assert result.stdout == "" and "report written" in result.stderr
    assert load_workbook(tmp_path / "q3.xlsx").sheetnames[0] == "汇总"
    assert ok(county, "report", "--quarter", "2016Q3", "-o", tmp_path / "q3.json").stdout == ""
    assert json.loads((tmp_path / "q3.json").read_text(encoding="utf-8")) == r
    ok(county, "report", "--quarter", "2016Q3", "--table", "summary", "-o", tmp_path / "s.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "s.csv").read_text(encoding="utf-8"))))
    assert int(rows[0]["贫困人口"]) == r["county"]["persons"]
    ok(county, "report", "--quarter", "2016Q3", "-f", "json", "-o", tmp_path / "data")
    assert json.loads((tmp_path / "data").read_text(encoding="utf-8")) == r
    assert (tmp_path / "s.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8
    ok(county, "report", "--quarter", "2016Q3", "--table", "summary", "-o", tmp_path / "s.csv")
    roster = tmp_path / "roster.csv"
    roster.write_text("乡镇,村,户编号\n漳江镇,桃花村,H1\n", encoding="utf-8")
    result = county("report", "--quarter", "2016Q3", "--table", "summary", "-o", roster)
    assert result.exit_code == 2 and "the file exists and holds something else" in result.stderr
    assert roster.read_text(encoding="utf-8") == "乡镇,村,户编号\n漳江镇,桃花村,H1\n"
    assert list(tmp_path.glob("*.tmp")) == []


@pytest.mark.parametrize(
    "args, message",
    [
        (("-o", "q3.txt"), "give a file name ending in .xlsx, .docx, .json or .csv"),
        (
            ("-f", "table", "-o", "q3.xlsx"),
            "-o writes a file: give --format xlsx, docx, json or csv",
        ),
        (("-f", "json", "-o", "q3.xlsx"), "does not match --format json"),
        (("-o", "no/such/folder/q3.xlsx"), "folder no/such/folder does not exist"),
    ],
)
def test_output_file_that_cannot_be_written_as_asked_exits_2(county, tmp_path, args, message):
    args = tuple(str(tmp_path / a) if a.startswith(("q3", "no/")) else a for a in args)
    message = message.replace("no/such/folder", str(tmp_path / "no/such/folder"))
    result = county("report", "--quarter", "2016Q3", *args)
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert result.stdout == "" and list(tmp_path.glob("q3*")) == []


def test_household_card_masks_ids(county, tmp_path):
    path = tmp_path / "card.xlsx"
    ok(county, "report", "household", "H1", "-o", path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["户卡"]  # one sheet, its sections one under another: it prints
    card = wb["户卡"]
    assert title_block(card, "项目")[0] == "建档立卡贫困户户卡"
    info = facts(card)
    assert info["户编号"] == "H1" and info["状态"] == "已识别" and info["帮扶类别"] == "大病救助"
    assert info["联系电话"] == "138****5678"
    captions = ["家庭成员", "识别评议", "帮扶计划", "帮扶措施", "走访记录", "资金", "状态变化"]
    assert [r[0] for r in card.iter_rows(values_only=True) if r[0] in captions] == captions
    ids = [r[1] for r in section(card, "家庭成员")[1:]]
    assert all(len(i) == 18 and i[6:14] == "********" for i in ids)
    visits = section(card, "走访记录")[1:]
    assert visits[0][1:4] == ["王明", "慰问", 500]
    events = section(card, "状态变化")[1:]
    assert [(e[0], e[1]) for e in events] == [(AS_OF, "识别为贫困户")]
    shown = tmp_path / "shown.xlsx"
    ok(county, "report", "household", "H1", "-o", shown, "--show-id")
    full = [r[1] for r in section(load_workbook(shown)["户卡"], "家庭成员")[1:]]
    assert {i for i in full} == {
        r[0]
        for r in county.sql(
            "SELECT id_number FROM person p JOIN household h ON h.id=p.household_id WHERE household_no='H1'"
        )
    }
    assert county("report", "household", "NOPE", "-o", tmp_path / "x.xlsx").exit_code == 2


def test_village_register_and_township_file(county, tmp_path):
    v = tmp_path / "v.xlsx"
    ok(county, "report", "village", "金盆村", "-o", v)
    wb = load_workbook(v)
    info = facts(wb["村情"])
    assert info["在册贫困户"] == 2 and info["在册贫困人口"] == 3 and info["贫困村"] == "是"
    register = table(wb["贫困户花名册"], "乡镇")[1:]
    assert sorted(r[2] for r in register) == ["H3", "H6"]
    t = tmp_path / "t.xlsx"
    ok(county, "report", "township", "漳江镇", "-o", t)
    wb = load_workbook(t)
    rows = {r[0]: r for r in table(wb["各村汇总"], "村")[1:]}
    assert rows["桃花村"][4] == 1 and rows["枫树村"][4] == 0
    assert [r[2] for r in table(wb["贫困户花名册"], "乡镇")[1:]] == ["H1"]
    assert county("report", "village", "无此村", "-o", tmp_path / "x.xlsx").exit_code == 2


def test_township_file_shows_each_poor_village_exit_test_as_its_register_does(county, tmp_path):
    t = tmp_path / "t.xlsx"
    ok(county, "report", "township", "漳江镇", "--year", "2016", "-o", t)
    sheet = load_workbook(t)["各村汇总"]
    header, *rows = table(sheet, "村")
    assert header[-2:] == ["2016年出列检验", "未达条件"]
    assert {r[2] for r in rows} == {"是", "否"}  # the fixture has both kinds in 漳江镇
    for r in rows:
        if r[2] == "否":
            assert not r[-2] and not r[-1]  # not a poor village: no exit test
            continue
        v = tmp_path / f"{r[0]}.xlsx"
        ok(county, "report", "village", r[1], "--year", "2016", "-o", v)
        info = facts(load_workbook(v)["村情"])
        assert r[-2] == info["出列检验"] and r[-2] in ("达标 可出列", "未达标")
        assert (r[-1] or "") == (info["未达条件"] or "")


def test_formula_text_comes_out_as_text(cli, tmp_path):
    roster = write_xlsx(
        tmp_path / "r.xlsx",
        household(
            "F1", [person('=HYPERLINK("http://x","点我")', birth="19600101")], income=1000, land=0.1
        ),
    )
    ok(cli, "identify", roster, "--as-of", AS_OF)
    path = tmp_path / "card.xlsx"
    ok(cli, "report", "household", "F1", "-o", path)
    card = load_workbook(path)["户卡"]
    top = next(c.row for c in card["A"] if c.value == "家庭成员") + 1  # the section's header
    cell = card[f"A{top + 1}"]
    assert cell.data_type == "s" and cell.value == '\'=HYPERLINK("http://x","点我")'
    v = tmp_path / "v.xlsx"
    ok(cli, "report", "village", "桃花村", "-o", v)
    register = load_workbook(v)["贫困户花名册"]
    assert register[f"D{header_at(register, '乡镇') + 1}"].value.startswith("'=")


def test_past_quarter_is_judged_as_the_register_stood(county):
    q2 = report_json(county, "--quarter", "2016Q2", code=1)  # nobody registered yet
    assert q2["county"]["households"] == 0
    assert not [g for g in q2["gaps"] if g["rule"] in ("household_unpaired", "student_unpaired")]
    industry = {r["subject"]: r["value"] for r in q2["rules"] if r["rule"] == "village_industry"}
    assert industry["漳江镇/桃花村"] == 0  # the allocation came on 2016-08-01, after Q2
    q3 = report_json(county, "--quarter", "2016Q3")
    industry = {r["subject"]: r["value"] for r in q3["rules"] if r["rule"] == "village_industry"}
    assert industry["漳江镇/桃花村"] == 8_000_000
    unpaired = sum(g["count"] for g in q3["gaps"] if g["rule"] == "household_unpaired")
    assert unpaired == q3["county"]["pairing"]["households_unpaired"]


def test_household_card_money_shows_reversals_negative_and_in_date_order(county, tmp_path):
    add = ["fund", "add", "--channel", "社会帮扶", "--date"]
    ok(county, *add, "2016-08-01", "--kind", "到位", "--amount", "1000", "--doc", "S1")
    ok(
        county,
        *add,
        "2016-08-02",
        "--kind",
        "拨付",
        "--amount",
        "300",
        "--household",
        "H1",
        "--purpose",
        "教育",
        "--doc",
        "S2",
    )
    ok(
        county,
        *add,
        "2016-08-03",
        "--kind",
        "冲销",
        "--amount",
        "100",
        "--reverses",
        "S2",
        "--doc",
        "S3",
    )
    path = tmp_path / "card.xlsx"
    ok(county, "report", "household", "H1", "-o", path)
    card = load_workbook(path)["户卡"]
    money = [r[1:5] for r in section(card, "资金")[1:]]
    assert money == [["S2", "社会帮扶", "拨付", 300], ["S3", "社会帮扶", "冲销", -100]]
    members = [r[4] for r in section(card, "家庭成员")[1:]]
    assert members[0] == "户主"


def test_village_receipts_show_in_village_funds(county, tmp_path):
    ok(
        county,
        "fund",
        "add",
        "--channel",
        "群众自筹",
        "--kind",
        "到位",
        "--amount",
        "2万",
        "--village",
        "金盆村",
        "--purpose",
        "基础设施",
        "--date",
        "2016-08-20",
        "--doc",
        "YS1",
    )
    out = ok(
        county, "report", "--quarter", "2016Q3", "-f", "csv", "--table", "village_funds"
    ).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    self_raised = [r for r in rows if r["村"] == "金盆村" and r["渠道"] == "群众自筹"]
    assert self_raised == [
        {
            "乡镇": "陬市镇",
            "村": "金盆村",
            "代码": "430725102201",
            "渠道": "群众自筹",
            "到位(元)": "20000.00",
            "拨付(元)": "0.00",
            "支出(元)": "0.00",
        }
    ]
    assert county("report", "--year", "2016Q3").exit_code == 2


def test_output_never_replaces_a_workbook_fupin_did_not_write(county, tmp_path):
    """-o over the roster, or over a workbook someone has edited since, is refused and the
    file is left as it was; the report's own earlier workbook is simply replaced."""
    roster = tmp_path / "roster.xlsx"
    wb = Workbook()
    wb.active.append(["户编号", "姓名"])
    wb.properties.lastModifiedBy = "统计员"  # saved in Excel or WPS, as a roster is
    wb.save(roster)
    before = roster.read_bytes()
    result = county("report", "--quarter", "2016Q3", "-o", roster)
    assert result.exit_code == 2 and result.stderr.strip() == (
        f"fupin: error: -o {roster}: the file exists and is not a workbook fupin wrote (an input "
        "sheet?); choose another name, or move the file away first"
    )
    assert roster.read_bytes() == before
    template = county("identify", "--template", roster)
    assert template.exit_code == 2 and roster.read_bytes() == before

    out = tmp_path / "q3.xlsx"
    ok(county, "report", "--quarter", "2016Q3", "-o", out)
    ok(county, "report", "--quarter", "2016Q3", "-o", out)  # its own output: replaced
    edited = load_workbook(out)
    edited.properties.lastModifiedBy = "乡镇统计员"
    edited.save(out)
    assert county("report", "--quarter", "2016Q3", "-o", out).exit_code == 2
    assert county("fund", "notice", "--village", "桃花村", "-o", out).exit_code == 2
    assert load_workbook(out).properties.lastModifiedBy == "乡镇统计员"
    older = tmp_path / "older.xlsx"  # what fupin wrote before it marked its workbooks
    Workbook().save(older)
    ok(county, "report", "--quarter", "2016Q3", "-o", older)
