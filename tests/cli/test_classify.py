"""fupin classify end to end: a county built by fupin identify from a workbook, a real SQLite file."""

import json

import pytest
from openpyxl import load_workbook

from factories import household, person, small_county, write_xlsx
from workbooks import facts, section

AS_OF = "2016-09-30"
ZERO = {"industry": 0, "relocation": 0, "safety_net": 0, "illness_aid": 0}


@pytest.fixture
def county(cli, tmp_path):
    """The small county, identified: H1 (漳江镇, 大病), H3 (陬市镇, 五保), H6 (陬市镇, 无房 in a
    relocation-zone village, a student) are registered; H2, H4, H5 are not."""
    roster, villages = small_county(tmp_path)
    result = cli("identify", roster, "--villages", villages, "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    return cli


def classify(cli, *args, code=0):
    result = cli("classify", "--as-of", AS_OF, *args, "--format", "json")
    assert result.exit_code == code, result.stderr + result.stdout
    return json.loads(result.stdout) if code == 0 else result


def current(cli):
    """household_no → (category, measures) of the latest classification row."""
    rows = cli.sql(
        "SELECT h.household_no, c.category, c.measures FROM classification c "
        "JOIN household h ON h.id = c.household_id "
        "WHERE c.id IN (SELECT max(id) FROM classification GROUP BY household_id)"
    )
    return {no: (cat, json.loads(m)) for no, cat, m in rows}


def test_counts_json_contract_and_rows(county):
    out = classify(county)
    assert out["classified"] == 3 and out["changed"] == 3 and out["unchanged"] == 0
    assert out["by_category"] == {**ZERO, "relocation": 1, "safety_net": 1, "illness_aid": 1}
    assert list(out["by_category"]) == ["industry", "relocation", "safety_net", "illness_aid"]
    assert out["by_township"] == {
        "漳江镇": {**ZERO, "illness_aid": 1},
        "陬市镇": {**ZERO, "relocation": 1, "safety_net": 1},
    }
    assert out["policy_version"] == "2016.1" and out["as_of"] == AS_OF
    assert current(county) == {
        "H1": ("大病救助", ["技能培训", "危房改造", "小额信贷", "转移就业"]),
        "H3": ("政策兜底", ["危房改造"]),
        "H6": ("易地搬迁", ["教育资助", "技能培训", "小额信贷", "转移就业"]),
    }
    reasons = json.loads(
        county.scalar(
            "SELECT reasons FROM classification c JOIN household h ON h.id = c.household_id "
            "WHERE h.household_no = 'H3'"
        )
    )
    assert reasons[0] == {
        "subject": "政策兜底",
        "rule": "rule 1: any of no_able_worker, wubao",
        "facts": {
            "no_able_worker": {"working_age": [16, 60], "members": ["赵六(76岁,无劳动力)"]},
            "wubao": {"wubao": True},
        },
    }
    row = county.sql(
        "SELECT policy_version, as_of, batch_id FROM classification ORDER BY id LIMIT 1"
    )[0]
    batch = county.sql("SELECT id, command, policy_version, counts, outcome FROM batch")[-1]
    assert row == ("2016.1", AS_OF, batch[0])
    assert batch[1:3] == ("classify", "2016.1") and batch[4] == "ok"
    assert json.loads(batch[3])["changed"] == 3


def test_table_and_csv_output(county):
    result = county("classify", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert "陬市镇" in result.stdout and "政策兜底 safety_net" in result.stdout
    assert "classified 3 households as of 2016-09-30 (policy 2016.1): 3 changed" in result.stderr
    result = county("classify", "--as-of", AS_OF, "--format", "csv")
    assert result.stdout.splitlines() == [
        "乡镇 township,产业帮扶 industry,易地搬迁 relocation,政策兜底 safety_net,"
        "大病救助 illness_aid,合计 total",
        "漳江镇,0,0,0,1,1",
        "陬市镇,0,1,1,0,2",
        "合计 total,0,1,1,1,3",
    ]


def test_second_run_changes_nothing_but_batch(county):
    classify(county)
    before = county.dump()
    batches = county.scalar("SELECT count(*) FROM batch")
    out = classify(county)
    assert out["classified"] == 3 and out["changed"] == 0 and out["unchanged"] == 3
    assert county.dump() == before
    assert county.scalar("SELECT count(*) FROM batch") == batches + 1
    # a later date moves the ages in the reasons, not the decisions: still nothing new
    out = classify(county, "--as-of", "2016-12-31")
    assert out["changed"] == 0 and county.dump() == before
    # measures are compared as lists, not as JSON text
    county.sql("UPDATE classification SET measures = replace(measures, ',', ' , ')")
    assert classify(county)["changed"] == 0


def test_history_kept_when_the_result_changes(county, tmp_path):
    classify(county)
    first = county.sql("SELECT * FROM classification ORDER BY id")
    # the next roster: H6's boy falls seriously ill (大病 comes before 搬迁 in the rules)
    roster, _ = small_county(tmp_path)
    rows = _roster_rows(roster)
    for row in rows:
        if row["姓名"] == "吴小":
            row["健康状况"] = "患有大病"
    changed_roster = write_xlsx(tmp_path / "roster2.xlsx", rows)
    assert county("identify", changed_roster, "--as-of", AS_OF).exit_code == 0
    out = classify(county)
    assert out["changed"] == 1 and out["by_category"]["illness_aid"] == 2
    assert county.sql("SELECT * FROM classification ORDER BY id")[:3] == first  # never rewritten
    history = county.sql(
        "SELECT c.category FROM classification c JOIN household h ON h.id = c.household_id "
        "WHERE h.household_no = 'H6' ORDER BY c.id"
    )
    assert history == [("易地搬迁",), ("大病救助",)]
    # a change of measures alone is a change too
    county.sql("UPDATE person SET work_status = '省外务工' WHERE name = '张三'")
    out = classify(county)
    assert out["changed"] == 1
    assert current(county)["H1"] == ("大病救助", ["技能培训", "危房改造", "小额信贷"])


def _roster_rows(path):
    ws = load_workbook(path).active
    values = list(ws.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(values) if r and r[0] == "乡镇")
    header = values[header_at]
    return [dict(zip(header, r, strict=True)) for r in values[header_at + 1 :]]


def test_as_of_moves_ages(county):
    # 张三 (H1's only able worker, born 1970-01-01) is 61 on 2031-01-01: nobody can work
    out = classify(county, "--as-of", "2031-01-01")
    assert out["by_category"]["safety_net"] == 2 and out["changed"] == 3
    assert current(county)["H1"][0] == "政策兜底"


def test_village_and_household_selection(county):
    out = classify(county, "--village", "金盆村")
    assert out["classified"] == 2 and out["by_township"] == {
        "陬市镇": {**ZERO, "relocation": 1, "safety_net": 1}
    }
    assert set(current(county)) == {"H3", "H6"}
    assert classify(county, "--village", "陬市镇/金盆村")["changed"] == 0
    assert classify(county, "--village", "430725101201")["classified"] == 1  # 桃花村 by code
    out = classify(county, "--household", "H1")
    assert out["classified"] == 1 and out["changed"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--household", "H9"), "--household H9: no such household in the register"),
        (("--household", "H2"), "--household H2: status 未识别, not a registered poor household"),
        (("--village", "月亮村"), "--village 月亮村: no such village"),
        (("--explain", "H1", "--plan", "H1"), "--explain and --plan: give one of them"),
        (("--plan", "H1"), "--plan needs -o FILE.xlsx"),
        (("--explain", "H1", "--village", "金盆村"), "--explain takes one household"),
        (("--as-of", "2016-13-01"), "--as-of:"),
    ],
)
def test_usage_errors_exit_2_one_line_nothing_written(county, args, message):
    before = county.dump(but=())
    result = county("classify", *args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert county.dump(but=()) == before


def test_policy_file_reorders_rules(county, tmp_path):
    policy = tmp_path / "county.toml"
    policy.write_text(
        '[policy]\nversion = "桃源-2017"\n[classify]\nrules = [\n'
        '{category = "relocation", all = ["relocation_zone", "house_unsafe"]},\n'
        '{category = "safety_net", any = ["wubao"]},\n'
        '{category = "industry"}]\n',
        encoding="utf-8",
    )
    out = classify(county, "--policy", policy)
    # H3 (金盆村, a relocation zone, 危房D级) is now relocated; H1 and H6 fall to industry
    assert out["by_category"] == {**ZERO, "industry": 2, "relocation": 1}
    assert out["policy_version"] == "桃源-2017"
    assert county.sql("SELECT DISTINCT policy_version FROM classification") == [("桃源-2017",)]
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[policy]\nversion = "x"\n[classify]\nrules = [{category = "industry", any = ["rich"]},'
        ' {category = "industry"}]\n',
        encoding="utf-8",
    )
    result = county("classify", "--policy", bad)
    assert result.exit_code == 2 and "does not know the condition 'rich'" in result.stderr


def test_explain_prints_every_rule_and_writes_nothing(county):
    before = county.dump(but=())
    result = county("classify", "--explain", "H6", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    for line in [
        "户编号 household: H6",
        "乡镇/村 village: 陬市镇/金盆村",
        "状态 status: 已识别",
        "住房状况 housing: 无房",
        "搬迁区域 relocation zone: 户 household 否 no, 村 village 是 yes",
        "  吴小 之子 11岁 | 无劳动力 | 健康 | 在校 七年级 | 务工 未填",
        "  rule 1: any of no_able_worker, wubao → 政策兜底 safety_net: 否 no",
        "    [否] no_able_worker: 有16–60岁劳动力 / able worker(s) aged 16–60: 吴九(38岁)",
        "  rule 3: all of relocation_zone, house_d_or_none → 易地搬迁 relocation: 是 yes  ← 采用 applied",
        "    [是] relocation_zone: 在搬迁区域 in a relocation zone (户 household: 否, 村 village: 是)",
        "主要类别 primary category: 易地搬迁 relocation",
        "  [否] 危房改造 housing_repair (house_unsafe_not_relocated): 住房状况 housing: 无房",
        "措施 measures given: 教育资助、技能培训、小额信贷、转移就业",
    ]:
        assert line in text.splitlines(), line
    assert county.dump(but=()) == before  # no classification, no batch


def test_explain_json_and_unregistered_household(county):
    data = classify(county, "--explain", "H1")
    assert data["category"] == "大病救助" and data["category_key"] == "illness_aid"
    assert [(r["number"], r["held"], r["applied"]) for r in data["rules"]] == [
        (1, False, False),
        (2, True, True),
        (3, False, False),
        (4, True, False),
    ]
    assert data["rules"][1]["conditions"][0] == {
        "name": "serious_illness",
        "held": True,
        "why": "有成员患有大病 serious illness: 李四(44岁)",
    }
    result = county("classify", "--explain", "H2", "--as-of", AS_OF)
    assert result.exit_code == 0
    assert "状态 status: 未识别" in result.stdout and "不在册 not registered" in result.stdout


def test_explain_unknown_household_exit_2(county):
    result = county("classify", "--explain", "NOPE")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "fupin: error: --explain NOPE: no such household in the register; "
        "check the 户编号 (households come in with fupin identify)"
    ]
    assert result.stdout == ""


def _section(path, caption):
    """A section of the plan's one sheet: its header row, then its rows."""
    return section(load_workbook(path)["一户一策"], caption)


def _facts(path):
    return facts(load_workbook(path)["一户一策"])


def test_plan_workbook(county, tmp_path):
    before = county.dump(but=())
    out = tmp_path / "H1.xlsx"
    result = county("classify", "--plan", "H1", "-o", out, "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert county.dump(but=()) == before  # a plan writes no database row
    assert load_workbook(out).sheetnames == ["一户一策"]  # one sheet: it prints on one page
    summary = _facts(out)
    assert summary["户编号 household no"] == "H1"
    assert summary["乡镇/村 township/village"] == "漳江镇/桃花村"
    assert summary["帮扶类别 category"] == "大病救助 illness_aid"
    assert summary["帮扶措施 measures"] == "技能培训、危房改造、小额信贷、转移就业"
    # never classified: the plan shows what the rules give now, and says so
    assert summary["登记 on record"].startswith("未登记 not on record: what the rules give now")
    assert "按现行规则 under the rules now" not in summary
    assert summary["帮扶责任人 responsible cadre"] == "未结对 not yet paired"
    members = _section(out, "家庭成员")
    assert members[0][:2] == ["姓名 name", "身份证号 ID number"]
    ids = dict(county.sql("SELECT name, id_number FROM person"))
    assert [(m[0], m[1]) for m in members[1:]] == [
        ("张三", ids["张三"][:6] + "********" + ids["张三"][-4:]),
        ("李四", ids["李四"][:6] + "********" + ids["李四"][-4:]),
    ]
    assert [m[4] for m in members[1:]] == [46, 44]
    support = _section(out, "帮扶措施")
    assert [r[:3] for r in support[1:]] == [
        ["主要类别 category", "大病救助", "rule 2: any of serious_illness, main_cause_illness"],
        ["帮扶措施 measure", "技能培训", "ordinary_worker"],
        ["帮扶措施 measure", "危房改造", "house_unsafe_not_relocated"],
        ["帮扶措施 measure", "小额信贷", "labour_and_head_age"],
        ["帮扶措施 measure", "转移就业", "idle_worker"],
    ]
    assert "李四(44岁)" in support[1][3] and "主要致贫原因 main cause: 因病" in support[1][3]


def test_plan_states_the_record_and_what_the_rules_give_now(county, tmp_path):
    """The plan states the category on record (the latest fupin classify); when the facts have
    changed since, it shows what the rules give now beside it, until classify records that."""
    classify(county)
    out = tmp_path / "H1.xlsx"

    def plan():
        result = county("classify", "--plan", "H1", "-o", out, "--as-of", AS_OF, "-f", "json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout), _facts(out)

    data, summary = plan()
    assert data["recorded"] is True and data["current"] is None
    assert data["category"] == "大病救助"
    assert summary["登记 on record"] == f"{AS_OF} (政策版本 policy 2016.1)"
    assert "按现行规则 under the rules now" not in summary

    county.sql("UPDATE household SET is_wubao = 1 WHERE household_no = 'H1'")  # 五保 since
    data, summary = plan()
    assert data["category"] == "大病救助" and data["recorded"] is True
    measures = ["技能培训", "危房改造", "小额信贷", "转移就业"]  # the members are as they were
    assert data["current"] == {"category": "政策兜底", "measures": measures}
    assert summary["帮扶类别 category"] == "大病救助 illness_aid"
    assert summary["帮扶措施 measures"] == "技能培训、危房改造、小额信贷、转移就业"
    assert summary["按现行规则 under the rules now"] == (
        "政策兜底 safety_net; 技能培训、危房改造、小额信贷、转移就业 — the facts or the policy "
        "changed since; "
        "run fupin classify to record it"
    )
    assert (
        "on record 大病救助, the rules now give 政策兜底"
        in county("classify", "--plan", "H1", "-o", out, "--as-of", AS_OF).stderr
    )

    classify(county)
    data, summary = plan()
    assert data["category"] == "政策兜底" and data["current"] is None
    assert summary["帮扶类别 category"] == "政策兜底 safety_net"
    assert "按现行规则 under the rules now" not in summary


def test_plan_and_explain_list_members_in_family_order(cli, tmp_path):
    """户主, 配偶, then the children in the relation codes' order (之子 before 之女), whatever
    the order of the roster's rows (the plan read them in) or of the ID numbers (explain did)."""
    rows = household(
        "H1",
        [
            person("王父", "户主", birth="19700101"),
            person("小女", "之女", birth="19960101", male=False),
            person("小儿", "之子", birth="20000101"),
            person("王妻", "配偶", birth="19680101", male=False),
        ],
        income=1500,
    )
    _roster, villages = small_county(tmp_path)
    roster = write_xlsx(tmp_path / "family.xlsx", rows)
    result = cli("identify", roster, "--villages", villages, "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    out = tmp_path / "plan.xlsx"
    result = cli("classify", "--plan", "H1", "-o", out, "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert [m[0] for m in _section(out, "家庭成员")[1:]] == ["王父", "王妻", "小儿", "小女"]
    result = cli("classify", "--explain", "H1", "--as-of", AS_OF)
    listed = [
        line.split()[0]
        for line in result.stdout.splitlines()
        if line.startswith("  ") and line.split()[0] in ("王父", "王妻", "小儿", "小女")
    ]
    assert listed == ["王父", "王妻", "小儿", "小女"]


def test_plan_shows_ids_and_the_responsible_cadre(county, tmp_path):
    hid = county.scalar("SELECT id FROM household WHERE household_no = 'H6'")
    batch = county.scalar("SELECT max(id) FROM batch")
    county.sql(
        "INSERT INTO cadre (id, name, rank, is_teacher, in_post) VALUES (1, '刘干部', '科级干部', 0, 1)"
    )
    county.sql(
        "INSERT INTO cadre (id, name, rank, is_teacher, in_post) VALUES (2, '陈老师', '教师', 1, 1)"
    )
    county.sql(
        "INSERT INTO pairing (cadre_id, household_id, kind, start_date, end_date, batch_id) "
        "VALUES (2, ?, 'household', '2016-01-01', '2016-06-30', ?), "
        "(1, ?, 'household', '2016-07-01', NULL, ?)",
        (hid, batch, hid, batch),
    )
    out = tmp_path / "H6.xlsx"
    result = county("classify", "--plan", "H6", "-o", out, "--show-id", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["cadre"] == "刘干部" and data["category"] == "易地搬迁"
    summary = _facts(out)
    assert summary["帮扶责任人 responsible cadre"] == "刘干部"
    ids = {n for (n,) in county.sql("SELECT id_number FROM person")}
    assert {m[1] for m in _section(out, "家庭成员")[1:]} <= ids


def test_plan_errors(county, tmp_path):
    result = county("classify", "--plan", "H9", "-o", tmp_path / "x.xlsx")
    assert result.exit_code == 2 and "--plan H9: no such household" in result.stderr
    result = county("classify", "--plan", "H1", "-o", tmp_path / "x.csv")
    assert result.exit_code == 2 and "ending in .xlsx" in result.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_empty_register(cli):
    out = classify(cli)
    assert out["classified"] == 0 and out["by_category"] == ZERO and out["by_township"] == {}


def test_more_households_by_township(cli, tmp_path):
    rows = []
    for i in range(12):
        rows += household(
            f"T{i:02d}",
            [person(f"户主{i}", birth="19500101" if i % 3 == 0 else "19800101")],
            township=("漳江镇", "陬市镇", "热市镇")[i % 3],
            village=f"村{i % 4}",
            income=1000,
            housing="危房C级",
        )
    roster = write_xlsx(tmp_path / "r.xlsx", rows)
    assert cli("identify", roster, "--as-of", AS_OF).exit_code == 0
    registered = cli.scalar("SELECT count(*) FROM household WHERE status = '已识别'")
    out = classify(cli)
    assert out["classified"] == registered == sum(out["by_category"].values())
    assert sum(sum(t.values()) for t in out["by_township"].values()) == registered
    assert out["by_township"]["漳江镇"]["safety_net"] == 4  # the 66-year-olds


def test_plan_judges_on_the_records_day_unless_told(cli, tmp_path):
    """A 59-year-old's household classified on 2016-09-30 is judged on that day by --plan, not
    today (when she is past working age and the rules would give another category)."""
    _roster, villages = small_county(tmp_path)
    rows = household("H1", [person("甲", birth="19570101", work="其他")], income=1500)
    roster = write_xlsx(tmp_path / "r.xlsx", rows)
    assert cli("identify", roster, "--villages", villages, "--as-of", AS_OF).exit_code == 0
    assert classify(cli)["classified"] == 1
    out = tmp_path / "plan.xlsx"
    result = cli("classify", "--plan", "H1", "-o", out, "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["recorded"] is True and data["current"] is None
    summary = _facts(out)
    assert str(summary["基准日期 as of"])[:10] == AS_OF
    today = cli("classify", "--plan", "H1", "-o", out, "--as-of", "2026-06-30", "-f", "json")
    assert json.loads(today.stdout)["current"]["category"] == "政策兜底"
