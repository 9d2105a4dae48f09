"""fupin assign cadres / teams / visits end to end: real workbooks, a real register, error files."""

import json

import pytest
from stdnum.cn import uscc

from factories import (
    CADRE_HEADERS,
    TEAM_HEADERS,
    VISIT_HEADERS,
    make_id,
    small_county,
    write_csv,
    write_xlsx,
)
from workbooks import error_rows as workbook_error_rows

AS_OF = "2016-09-30"
TEACHER_ID = make_id("19850505", male=False)
ZHAO_ID = make_id("19760101")
CREDIT_CODE = "91110000600037341L"  # a valid 统一社会信用代码


def credit_code(org: str) -> str:
    body = f"91430725{org}"
    return body + uscc.calc_check_digit(body)


def cadre(name, staff="", idn="", **cells):
    row = {
        "姓名": name,
        "工号": staff,
        "身份证号": idn,
        "单位": "桃源县扶贫开发办公室",
        "职级": "一般干部",
        "所在乡镇": "漳江镇",
        "联系电话": "13900000001",
        "在岗": "是",
    }
    return {**row, **cells}


CADRES = [
    cadre("王明", "G001", 职级="科级干部"),
    cadre("李老师", "", TEACHER_ID, 单位="漳江镇中学", 职级="教师", 所在乡镇="漳江镇"),
    # the ID typed with full-width digits and spaces: normalised
    cadre(
        "赵强",
        "G003",
        " " + ZHAO_ID.translate(str.maketrans("0123456789", "０１２３４５６７８９")) + " ",
        所在乡镇="陬市镇",
        单位="陬市镇人民政府",
    ),
]


@pytest.fixture
def county(cli, tmp_path):
    roster, villages = small_county(tmp_path)
    result = cli("identify", roster, "--villages", villages, "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    return cli


def run(cli, *args, code=0):
    result = cli(*args, "--format", "json")
    assert result.exit_code == code, result.stderr + result.stdout
    return json.loads(result.stdout)


def error_rows(path):
    rows = workbook_error_rows(path)
    return rows[0], rows[1:]


# -- cadres -----------------------------------------------------------------------------------


def test_cadres_import_json_contract_rows_and_reimport(county, tmp_path):
    sheet = write_xlsx(tmp_path / "cadres.xlsx", CADRES, CADRE_HEADERS, sheet="干部")
    out = run(county, "assign", "cadres", sheet)
    assert out == {
        "rows_read": 3,
        "rows_rejected": 0,
        "errors_file": None,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "units_created": 3,
        "left_post": 0,
        "dry_run": False,
    }
    rows = county.sql(
        "SELECT c.staff_no, c.id_number, c.name, u.name, c.rank, t.name, c.is_teacher, c.phone, "
        "c.in_post FROM cadre c JOIN unit u ON u.id = c.unit_id "
        "LEFT JOIN township t ON t.id = c.township_id ORDER BY c.id"
    )
    assert rows == [
        ("G001", None, "王明", "桃源县扶贫开发办公室", "科级干部", "漳江镇", 0, "13900000001", 1),
        (None, TEACHER_ID, "李老师", "漳江镇中学", "教师", "漳江镇", 1, "13900000001", 1),
        ("G003", ZHAO_ID, "赵强", "陬市镇人民政府", "一般干部", "陬市镇", 0, "13900000001", 1),
    ]
    assert county.sql("SELECT DISTINCT kind FROM unit") == [("单位",)]
    batch = county.sql("SELECT command, outcome, input_sha256, counts FROM batch")[-1]
    assert batch[:2] == ("assign cadres", "ok") and batch[2]
    assert json.loads(batch[3])["created"] == 3

    before = county.dump()
    again = run(county, "assign", "cadres", sheet)
    assert again["unchanged"] == 3 and again["created"] == again["updated"] == 0
    assert county.dump() == before


def test_cadres_bad_rows_rejected_to_the_error_workbook(county, tmp_path):
    bad_check = make_id("19800101")[:-1] + ("0" if make_id("19800101")[-1] != "0" else "1")
    rows = [
        cadre("王明", "G001"),
        cadre("钱处", "G010", 职级="处级干部"),
        cadre("孙错", "", bad_check),
        cadre("周空", ""),
        cadre("王明二", "G001"),
        cadre("吴乡", "G011", 所在乡镇="桃花镇"),
        cadre("郑师", "G012", 职级="教师", 是否教师="否"),
        cadre("冯岗", "G013", 在岗="也许"),
    ]
    sheet = write_xlsx(tmp_path / "cadres.xlsx", rows, CADRE_HEADERS)
    result = county("assign", "cadres", sheet, "--format", "json")
    assert result.exit_code == 1, result.stderr
    out = json.loads(result.stdout)
    errors = tmp_path / "cadres.errors.xlsx"
    assert out["rows_read"] == 8 and out["rows_rejected"] == 7 and out["created"] == 1
    assert out["errors_file"] == str(errors)
    assert "7 row(s) rejected" in result.stderr
    header, rejected = error_rows(errors)
    assert list(header) == ["行号", "列", "原因", *CADRE_HEADERS, "reason"]
    got = [(r[0], r[1], r[-1]) for r in rejected]
    assert [g[:2] for g in got] == [
        (3, "职级"),
        (4, "身份证号"),
        (5, "工号"),
        (6, "工号"),
        (7, "所在乡镇"),
        (8, "是否教师"),
        (9, "在岗"),
    ]
    reasons = [g[2] for g in got]
    assert "'处级干部' is not a valid 职级" in reasons[0]
    assert "bad check digit" in reasons[1]
    assert reasons[2] == "give 工号 or 身份证号"
    assert reasons[3] == "工号 G001 already given in row 2"
    assert "no township named 桃花镇" in reasons[4] and "漳江镇" in reasons[4]
    assert reasons[5] == "职级 is 教师 but 是否教师 is 否"
    assert "not yes or no" in reasons[6]
    assert rejected[0][3:5] == ("钱处", "G010")  # the cadre's own cells follow
    assert county.sql("SELECT name FROM cadre") == [("王明",)]
    assert county.sql("SELECT outcome FROM batch")[-1] == ("data_problems",)

    # fixed and sent again: the error file goes away
    sheet = write_xlsx(tmp_path / "cadres.xlsx", rows[:1], CADRE_HEADERS)
    assert county("assign", "cadres", sheet).exit_code == 0
    assert not errors.exists()


def test_cadre_conflicting_keys_rejected(county, tmp_path):
    first = write_xlsx(tmp_path / "a.xlsx", CADRES, CADRE_HEADERS)
    run(county, "assign", "cadres", first)
    rows = [
        cadre("王明", "G001", TEACHER_ID),  # the ID is 李老师's
        cadre("赵强", "G099", ZHAO_ID),  # this ID is registered with 工号 G003
    ]
    sheet = write_xlsx(tmp_path / "b.xlsx", rows, CADRE_HEADERS)
    out = run(county, "assign", "cadres", sheet, "--errors", tmp_path / "why.xlsx", code=1)
    assert out["rows_rejected"] == 2 and out["errors_file"] == str(tmp_path / "why.xlsx")
    _h, rejected = error_rows(tmp_path / "why.xlsx")
    assert (rejected[0][1], rejected[0][-1]) == (
        "身份证号",
        "身份证号 belongs to another cadre (李老师, 工号 -)",
    )
    assert (rejected[1][1], rejected[1][-1]) == (
        "工号",
        "this 身份证号 is registered with 工号 G003, not G099",
    )


def test_cadre_update_blank_keeps_and_departure_recorded(county, tmp_path):
    run(county, "assign", "cadres", write_xlsx(tmp_path / "a.xlsx", CADRES, CADRE_HEADERS))
    later = [
        cadre("王明", "G001", 职级="科级干部", 联系电话="", 在岗="否"),
        cadre("李老师", "", TEACHER_ID, 单位="", 职级="教师", 联系电话="13911112222"),
    ]
    out = run(county, "assign", "cadres", write_xlsx(tmp_path / "b.xlsx", later, CADRE_HEADERS))
    assert (out["updated"], out["unchanged"], out["left_post"]) == (2, 0, 1)
    assert county.sql("SELECT name, phone, in_post FROM cadre ORDER BY id")[:2] == [
        ("王明", "13900000001", 0),  # blank phone keeps the old one
        ("李老师", "13911112222", 1),
    ]
    assert (
        county.scalar("SELECT u.name FROM cadre c JOIN unit u ON u.id = c.unit_id WHERE c.id = 2")
        == "漳江镇中学"
    )


def test_cadres_csv_from_chinese_excel_with_errors_csv(county, tmp_path):
    rows = [*CADRES, cadre("错级", "G020", 职级="处级")]
    sheet = write_csv(tmp_path / "cadres.csv", rows, CADRE_HEADERS, encoding="gb18030")
    out = run(county, "assign", "cadres", sheet, code=1)
    assert out["created"] == 3 and out["rows_rejected"] == 1
    text = (tmp_path / "cadres.errors.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("行号,列,原因,姓名")
    assert "处级" in text.splitlines()[1]


def test_cadres_without_a_key_column_or_a_spreadsheet_exit_2_nothing_written(county, tmp_path):
    before = county.counts(but=())
    headers = [h for h in CADRE_HEADERS if h not in ("工号", "身份证号")]
    sheet = write_xlsx(tmp_path / "cadres.xlsx", [cadre("王明")], headers)
    result = county("assign", "cadres", sheet)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "fupin: error: cadres.xlsx, sheet 花名册, row 1: no 工号 or 身份证号 column; "
        "a cadre is known by one of them — add it"
    ]
    (tmp_path / "notes.txt").write_text("hello")
    for command in ("cadres", "teams", "visits"):
        result = county("assign", command, tmp_path / "notes.txt")
        assert result.exit_code == 2 and "not a spreadsheet" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert county.counts(but=()) == before


def test_dry_run_writes_nothing_but_the_error_file(county, tmp_path):
    before = county.dump(but=())
    rows = [*CADRES, cadre("钱处", "G010", 职级="处级干部")]
    sheet = write_xlsx(tmp_path / "cadres.xlsx", rows, CADRE_HEADERS)
    out = run(county, "assign", "cadres", sheet, "--dry-run", code=1)
    assert out["dry_run"] is True and out["created"] == 3
    assert county.dump(but=()) == before
    assert (tmp_path / "cadres.errors.xlsx").exists()


# -- teams ------------------------------------------------------------------------------------


def team(village, township="", **cells):
    row = {
        "乡镇": township,
        "村": village,
        "队长": "张队长",
        "队长级别": "县级",
        "第一书记": "刘书记",
        "后盾单位": "桃源县财政局",
        "开始日期": "2016-03-01",
    }
    return {**row, **cells}


def test_teams_import_units_enterprise_and_reimport(county, tmp_path):
    rows = [
        team(
            "桃花村",
            "漳江镇",
            后盾单位="桃源县财政局、桃源县教育局,常德市林业局，桃源县财政局",
            联村企业="湖南桃花源农业开发有限公司",
            企业信用代码=CREDIT_CODE.lower(),
        ),
        # by code, without leader, secretary or backing unit: accepted, listed by check later
        team("430725102201", 队长="", 队长级别="", 第一书记="", 后盾单位=""),
        team("枫树村", 队长级别="乡镇", 开始日期="2016年4月1日", 结束日期="2017-03-31"),
    ]
    sheet = write_xlsx(tmp_path / "teams.xlsx", rows, TEAM_HEADERS)
    out = run(county, "assign", "teams", sheet)
    assert (out["rows_read"], out["rows_rejected"], out["created"], out["units_created"]) == (
        3,
        0,
        3,
        4,
    )
    teams = county.sql(
        "SELECT v.name, w.leader_name, w.leader_level, w.secretary_name, u.name, w.start_date, "
        "w.end_date FROM work_team w JOIN village v ON v.id = w.village_id "
        "LEFT JOIN unit u ON u.id = w.enterprise_id ORDER BY w.id"
    )
    assert teams == [
        ("桃花村", "张队长", "县级", "刘书记", "湖南桃花源农业开发有限公司", "2016-03-01", None),
        ("金盆村", None, None, None, None, "2016-03-01", None),
        ("枫树村", "张队长", "乡镇", "刘书记", None, "2016-04-01", "2017-03-31"),
    ]
    backing = county.sql(
        "SELECT v.name, u.name FROM work_team_unit x JOIN work_team w ON w.id = x.work_team_id "
        "JOIN village v ON v.id = w.village_id JOIN unit u ON u.id = x.unit_id ORDER BY 1, 2"
    )
    assert backing == [
        ("枫树村", "桃源县财政局"),
        ("桃花村", "常德市林业局"),
        ("桃花村", "桃源县教育局"),
        ("桃花村", "桃源县财政局"),
    ]
    assert county.sql("SELECT name, kind, credit_code FROM unit WHERE kind = '企业'") == [
        ("湖南桃花源农业开发有限公司", "企业", CREDIT_CODE)
    ]
    before = county.dump()
    again = run(county, "assign", "teams", sheet)
    assert again["unchanged"] == 3 and again["units_created"] == 0
    assert county.dump() == before


def test_teams_bad_rows_rejected(county, tmp_path):
    bad_code = CREDIT_CODE[:-1] + "M"
    rows = [
        team("不存在村", "漳江镇"),
        team("桃花村", "漳江镇", 队长级别="省级"),
        team("桃花村", "漳江镇", 联村企业="某公司", 企业信用代码=bad_code),
        team("桃花村", "漳江镇", 开始日期="2016-05-01", 结束日期="2016-04-01"),
        team("桃花村", "漳江镇", 队长级别=""),
        team("枫树村", "陬市镇"),
        team("桃花村", "漳江镇", 开始日期="2016-02-30"),
        team("金盆村", "陬市镇"),
        team("金盆村", "陬市镇", 第一书记="另一人"),
        team("", "漳江镇"),
    ]
    sheet = write_xlsx(tmp_path / "teams.xlsx", rows, TEAM_HEADERS)
    out = run(county, "assign", "teams", sheet, code=1)
    assert out["created"] == 1 and out["rows_rejected"] == 9
    _h, rejected = error_rows(tmp_path / "teams.errors.xlsx")
    got = {r[0]: (r[1], r[-1]) for r in rejected}
    assert got[2][0] == "村" and got[2][1].startswith("no village 不存在村 in 漳江镇")
    assert got[3][0] == "队长级别" and "'省级' is not a valid 队长级别" in got[3][1]
    assert got[4][0] == "企业信用代码" and "is not a valid 统一社会信用代码" in got[4][1]
    assert got[5] == ("结束日期", "结束日期 2016-04-01 is before 开始日期 2016-05-01")
    assert got[6][0] == "队长级别" and got[6][1].startswith("blank, but 队长 张队长 is named")
    assert got[7] == ("村", "village 枫树村 is in 漳江镇, not 陬市镇")
    assert got[8][0] == "开始日期" and "impossible date" in got[8][1]
    assert got[10] == (None, "the team of 陬市镇/金盆村 starting 2016-03-01 is already in row 9")
    assert got[11] == ("村", "blank; fill it in")
    assert county.scalar("SELECT count(*) FROM unit WHERE name = '某公司'") == 0


def test_team_update_replaces_units_and_blank_keeps(county, tmp_path):
    run(county, "assign", "teams", write_xlsx(tmp_path / "a.xlsx", [team("桃花村")], TEAM_HEADERS))
    later = [team("桃花村", 队长="", 队长级别="", 后盾单位="桃源县教育局", 结束日期="2016-12-31")]
    out = run(county, "assign", "teams", write_xlsx(tmp_path / "b.xlsx", later, TEAM_HEADERS))
    assert out["updated"] == 1
    assert county.sql("SELECT leader_name, end_date FROM work_team") == [("张队长", "2016-12-31")]
    assert county.sql("SELECT u.name FROM work_team_unit x JOIN unit u ON u.id = x.unit_id") == [
        ("桃源县教育局",)
    ]


def test_enterprise_code_must_match_its_name(county, tmp_path):
    other = credit_code("123456780")
    rows = [team("桃花村", 联村企业="甲公司", 企业信用代码=CREDIT_CODE)]
    run(county, "assign", "teams", write_xlsx(tmp_path / "a.xlsx", rows, TEAM_HEADERS))
    rows = [
        team("金盆村", 联村企业="乙公司", 企业信用代码=CREDIT_CODE),
        team("金盆村", 联村企业="甲公司", 企业信用代码=other, 开始日期="2016-06-01"),
        team("枫树村", 联村企业="", 企业信用代码=CREDIT_CODE),
    ]
    out = run(
        county, "assign", "teams", write_xlsx(tmp_path / "b.xlsx", rows, TEAM_HEADERS), code=1
    )
    assert out["rows_rejected"] == 2 and out["created"] == 1
    _h, rejected = error_rows(tmp_path / "b.errors.xlsx")
    assert (rejected[0][1], rejected[0][-1]) == (
        "企业信用代码",
        f"{CREDIT_CODE} is the code of 甲公司, not 乙公司",
    )
    assert (rejected[1][1], rejected[1][-1]) == (
        "企业信用代码",
        f"甲公司 is registered with 企业信用代码 {CREDIT_CODE}, not {other}",
    )
    assert (
        county.scalar(
            "SELECT u.name FROM work_team w JOIN village v ON v.id = w.village_id "
            "JOIN unit u ON u.id = w.enterprise_id WHERE v.name = '枫树村'"
        )
        == "甲公司"
    )


# -- visits -----------------------------------------------------------------------------------


def visit(date, who, no, kind="走访", **cells):
    return {"日期": date, "干部": who, "户编号": no, "类型": kind, **cells}


@pytest.fixture
def staffed(county, tmp_path):
    rows = [*CADRES, cadre("王明", "G004")]  # two cadres named 王明
    run(county, "assign", "cadres", write_xlsx(tmp_path / "cadres.xlsx", rows, CADRE_HEADERS))
    return county


def test_visits_import_finds_cadres_and_reimport_changes_nothing(staffed, tmp_path):
    rows = [
        visit(
            "2016-09-01", "G001", "H1", "慰问", **{"慰问金(元)": "500", "物资折价(元)": "1,200.50"}
        ),
        visit(
            "2016/9/2", TEACHER_ID.lower(), "H6", "办实事", 办实事件数=2, 问题="学费", 是否解决="是"
        ),
        visit("2016-09-03", "赵强", "H3", "宣讲"),  # a unique name
        visit("2016-09-03", "g003", "H3", "走访", 问题="房屋漏雨", 是否解决="否"),
    ]
    sheet = write_xlsx(tmp_path / "visits.xlsx", rows, VISIT_HEADERS)
    out = run(staffed, "assign", "visits", sheet)
    assert out == {
        "rows_read": 4,
        "rows_rejected": 0,
        "errors_file": None,
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "money_fen": 50000,
        "goods_fen": 120050,
        "deeds": 2,
        "dry_run": False,
    }
    got = staffed.sql(
        "SELECT v.date, c.name, h.household_no, v.kind, v.money_fen, v.goods_fen, v.deeds, "
        "v.problem, v.solved FROM visit v JOIN cadre c ON c.id = v.cadre_id "
        "JOIN household h ON h.id = v.household_id ORDER BY v.id"
    )
    assert got == [
        ("2016-09-01", "王明", "H1", "慰问", 50000, 120050, 0, "", None),
        ("2016-09-02", "李老师", "H6", "办实事", 0, 0, 2, "学费", 1),
        ("2016-09-03", "赵强", "H3", "宣讲", 0, 0, 0, "", None),
        ("2016-09-03", "赵强", "H3", "走访", 0, 0, 0, "房屋漏雨", 0),
    ]
    before = staffed.dump()
    assert run(staffed, "assign", "visits", sheet)["unchanged"] == 4
    assert staffed.dump() == before
    rows[0]["慰问金(元)"] = "600"
    out = run(staffed, "assign", "visits", write_xlsx(tmp_path / "v2.xlsx", rows, VISIT_HEADERS))
    assert (out["updated"], out["unchanged"]) == (1, 3)


def test_visits_bad_rows_rejected(staffed, tmp_path):
    rows = [
        visit("2016-09-01", "G001", "H1"),
        visit("2016-09-01", "查无此人", "H1"),
        visit("2016-09-01", "G001", "H99"),
        visit("2016-09-01", "王明", "H1"),
        visit("2016-02-30", "G001", "H1"),
        visit("2016-09-01", "G001", "H1", "座谈"),
        visit("2016-09-01", "G001", "H1", 办实事件数=-1),
        visit("2016-09-01", "G001", "H1"),
        visit("2016-09-01", "G001", "H1", 办实事件数=10**30),
        visit("2099-13-01", "G001", "H1"),
        visit("2106-09-01", "G001", "H1"),
    ]
    sheet = write_xlsx(tmp_path / "visits.xlsx", rows, VISIT_HEADERS)
    out = run(staffed, "assign", "visits", sheet, code=1)
    assert out["created"] == 1 and out["rows_rejected"] == 10
    header, rejected = error_rows(tmp_path / "visits.errors.xlsx")
    assert list(header) == ["行号", "列", "原因", *VISIT_HEADERS, "reason"]
    got = {r[0]: (r[1], r[-1]) for r in rejected}
    assert got[3] == (
        "干部",
        "no cadre with 工号, 身份证号 or name '查无此人'; check it, or import the cadre with "
        "'fupin assign cadres' first",
    )
    assert got[4] == ("户编号", "no household H99 in the register; check the 户编号")
    assert got[5] == (
        "干部",
        "2 cadres are named 王明 (工号 G001, 工号 G004); write the 工号 instead",
    )
    assert got[6] == ("日期", "impossible date '2016-02-30'; write it like 2016-09-30")
    assert got[7][0] == "类型" and "'座谈' is not a valid 走访类型" in got[7][1]
    assert got[8] == ("办实事件数", "must be 0 or more, not -1")
    assert got[9] == (None, "the same visit (日期, 干部, 户编号, 类型, 问题) as row 2")
    assert got[10] == (
        "办实事件数",
        f"'{float(10**30)}' is too large for this column; check the cell",
    )
    assert got[11][0] == "日期"
    assert got[12] == ("日期", "2106-09-01 is outside the years 1990–2100; check the year")
    assert staffed.scalar("SELECT count(*) FROM visit") == 1
