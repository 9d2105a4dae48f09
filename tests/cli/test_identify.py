"""fupin identify end to end: real workbooks written here, a real SQLite file, exact outcomes."""

import json

import pytest
from openpyxl import load_workbook

from factories import (
    ROSTER_HEADERS,
    VILLAGE_HEADERS,
    household,
    make_id,
    person,
    small_county,
    village,
    write_csv,
    write_villages,
    write_xlsx,
)
from workbooks import error_rows, header_at, title_block

AS_OF = "2016-09-30"


def identify(cli, *args, code=None):
    result = cli("identify", *args, "--as-of", AS_OF, "--format", "json")
    if code is not None:
        assert result.exit_code == code, result.stderr + result.stdout
    return result


def errors_of(path):
    rows = error_rows(path)
    head = rows[0]
    return [dict(zip(head, r, strict=True)) for r in rows[1:]]


# -- the small county ---------------------------------------------------------------------------


def test_small_county_outcomes(cli, tmp_path):
    roster, villages = small_county(tmp_path)
    out = json.loads(identify(cli, roster, "--villages", villages, code=0).stdout)
    assert {
        k: out[k]
        for k in (
            "rows_read",
            "rows_rejected",
            "households",
            "persons",
            "identified",
            "review",
            "not_identified",
            "newly_identified",
            "proposed_exit",
            "returned",
            "removed",
            "errors_file",
        )
    } == {
        "rows_read": 8,
        "rows_rejected": 0,
        "households": 6,
        "persons": 8,
        "identified": 3,
        "review": 1,
        "not_identified": 2,
        "newly_identified": 3,
        "proposed_exit": 0,
        "returned": 0,
        "removed": 0,
        "errors_file": None,
    }
    assert out["identified"] + out["review"] + out["not_identified"] == out["households"]
    assert dict(cli.sql("SELECT household_no, status FROM household")) == {
        "H1": "已识别",
        "H2": "未识别",
        "H3": "已识别",
        "H4": "未识别",
        "H5": "未识别",
        "H6": "已识别",
    }
    assert dict(cli.sql("SELECT household_no, attribute FROM household WHERE status='已识别'")) == {
        "H1": "一般贫困户",
        "H3": "五保贫困户",
        "H6": "一般贫困户",
    }
    decisions = dict(
        cli.sql(
            "SELECT h.household_no, a.decision FROM assessment a JOIN household h ON h.id=a.household_id"
        )
    )
    assert decisions == {
        "H1": "identified",
        "H2": "not_identified",
        "H3": "identified",
        "H4": "review",
        "H5": "not_identified",
        "H6": "identified",
    }
    vetoes = cli.scalar(
        "SELECT vetoes FROM assessment a JOIN household h ON h.id=a.household_id WHERE household_no='H5'"
    )
    assert json.loads(vetoes) == ["有车辆或大型农机"]
    assert cli.sql("SELECT name, is_poor, agricultural_population FROM village ORDER BY code") == [
        ("桃花村", 1, 1000),
        ("枫树村", 0, 1500),
        ("金盆村", 1, 800),
    ]
    events = cli.sql(
        "SELECT h.household_no, e.event, e.date FROM status_event e JOIN household h ON h.id=e.household_id ORDER BY 1"
    )
    assert events == [
        ("H1", "identified", AS_OF),
        ("H3", "identified", AS_OF),
        ("H6", "identified", AS_OF),
    ]
    batch = cli.sql("SELECT command, input_file, input_sha256, policy_version, outcome FROM batch")
    assert batch[0][0] == "identify" and batch[0][1] == str(roster) and len(batch[0][2]) == 64
    assert batch[0][3:] == ("2016.1", "ok")


def test_rerun_changes_nothing_but_batch(cli, tmp_path):
    roster, villages = small_county(tmp_path)
    identify(cli, roster, "--villages", villages, code=0)
    before = cli.dump()
    out = json.loads(identify(cli, roster, "--villages", villages, code=0).stdout)
    assert cli.dump() == before
    assert out["newly_identified"] == 0 and out["identified"] == 3
    assert cli.scalar("SELECT count(*) FROM batch") == 2


def test_dry_run_writes_nothing(cli, tmp_path):
    roster, villages = small_county(tmp_path)
    assert cli("init").exit_code == 0
    before = cli.dump(but=())
    out = json.loads(identify(cli, roster, "--villages", villages, "--dry-run", code=0).stdout)
    assert out["identified"] == 3 and out["dry_run"] is True
    assert cli.dump(but=()) == before


def test_table_output_by_township(cli, tmp_path):
    roster, villages = small_county(tmp_path)
    result = cli("identify", roster, "--villages", villages, "--as-of", AS_OF)
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if "镇" in line or "total" in line]
    assert any("漳江镇" in line and "│ 4 " in line for line in lines)
    assert any("合计" in line and "│ 6 " in line for line in lines)


# -- faults and the error workbook ----------------------------------------------------------------


def county_with(tmp_path, *households, name="roster.xlsx", **kw):
    rows = [r for hh in households for r in hh]
    return write_xlsx(tmp_path / name, rows, **kw)


def good(no, **kw):
    return household(
        no,
        [
            person(f"户主{no}", birth="19700101"),
            person(f"妻{no}", "配偶", birth="19710101", male=False),
        ],
        **kw,
    )


@pytest.mark.parametrize(
    ("bad_member", "column", "reason"),
    [
        ({"身份证号": "430725197001011235"}, "身份证号", "bad check digit"),
        (
            {"身份证号": 430725197001011234.0},
            "身份证号",
            "stored as a number (Excel keeps 15 digits of a number, and no X) — format the "
            "column as text and retype",
        ),
        ({"健康状况": "良好"}, "健康状况", "'良好' is not a valid 健康状况"),
        ({"劳动技能": ""}, "劳动技能", "blank; fill it in"),
        ({"姓名": None}, "姓名", "blank; fill it in"),
        ({"与户主关系": "邻居"}, "与户主关系", "is not a valid 与户主关系"),
        ({"性别": "男"}, "性别", "男 contradicts the ID number (女)"),
        ({"出生日期": "1971-02-30"}, "出生日期", "impossible date"),
        ({"出生日期": "1975-01-01"}, "出生日期", "contradicts the ID number (1971-01-01)"),
        ({"户主姓名": "别人"}, "户主姓名", "is not the 户主's name"),
    ],
)
def test_row_fault_rejects_the_whole_household(cli, tmp_path, bad_member, column, reason):
    bad = household(
        "B1",
        [
            person("户主B", birth="19700101"),
            {**person("妻B", "配偶", birth="19710101", male=False), **bad_member},
            person("子B", "之子", birth="20000101", labour="无劳动力"),
        ],
    )
    roster = county_with(tmp_path, good("G1"), bad, good("G2"))
    out = json.loads(identify(cli, roster, code=1).stdout)
    assert (out["households"], out["persons"], out["rows_rejected"]) == (2, 4, 3)
    assert out["errors_file"] == str(tmp_path / "roster.errors.xlsx")
    errs = errors_of(tmp_path / "roster.errors.xlsx")
    assert [e["行号"] for e in errs] == [4, 5, 6]
    assert errs[1]["列"] == column and reason in errs[1]["reason"]
    assert errs[0]["reason"] == errs[2]["reason"] == "household B1 rejected, see row 5"
    assert errs[0]["姓名"] == "户主B"  # the original cells come along
    assert cli.sql("SELECT household_no FROM household ORDER BY 1") == [("G1",), ("G2",)]


@pytest.mark.parametrize(
    ("members", "row", "column", "reason"),
    [
        ([person("甲", "之子"), person("乙", "配偶", male=False)], 2, "", "has no 户主"),
        (
            [person("甲"), person("乙", "户主", male=False)],
            3,
            "与户主关系",
            "a second 户主 in household B1 (the first is row 2)",
        ),
    ],
)
def test_household_faults(cli, tmp_path, members, row, column, reason):
    roster = county_with(tmp_path, household("B1", members))
    identify(cli, roster, code=1)
    errs = errors_of(tmp_path / "roster.errors.xlsx")
    fault = next(e for e in errs if e["行号"] == row)
    assert (fault["列"] or "") == column and reason in fault["reason"]


def test_conflicting_repeated_household_field(cli, tmp_path):
    rows = household("B1", [person("甲"), person("乙", "配偶", male=False)], repeat=True)
    rows[1]["家庭年人均纯收入(元)"] = 3000
    roster = county_with(tmp_path, rows, good("G1"))
    out = json.loads(identify(cli, roster, code=1).stdout)
    assert out["households"] == 1
    err = errors_of(tmp_path / "roster.errors.xlsx")[1]
    assert (
        err["列"] == "家庭年人均纯收入(元)"
        and err["reason"] == "'3,000.00' differs from the 户主 row 2 ('2,000.00')"
    )


def test_agreeing_repeats_are_fine(cli, tmp_path):
    roster = county_with(
        tmp_path, household("G1", [person("甲"), person("乙", "配偶", male=False)], repeat=True)
    )
    assert json.loads(identify(cli, roster, code=0).stdout)["persons"] == 2


def test_id_in_two_households_rejects_both(cli, tmp_path):
    shared = make_id("19700101")
    a = household("A1", [person("甲"), {**person("乙", "配偶", male=False), "身份证号": shared}])
    b = household("B1", [{**person("丙"), "身份证号": shared}])
    roster = county_with(tmp_path, a, b, good("G1"))
    out = json.loads(identify(cli, roster, code=1).stdout)
    assert out["households"] == 1 and out["rows_rejected"] == 3
    reasons = {e["行号"]: e["reason"] for e in errors_of(tmp_path / "roster.errors.xlsx")}
    assert reasons[3] == f"身份证号 {shared} also appears in household B1 (row 4)"
    assert reasons[4] == f"身份证号 {shared} also appears in household A1 (row 3)"


def test_full_width_and_fifteen_digit_ids_match_after_normalising(cli, tmp_path):
    eighteen = make_id("19700101")
    fifteen = eighteen[:6] + eighteen[8:17]
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in eighteen)
    a = household("A1", [{**person("甲"), "身份证号": fullwidth}])
    b = household("B1", [{**person("乙"), "身份证号": fifteen}])
    roster = county_with(tmp_path, a, b)
    identify(cli, roster, code=1)
    assert all("also appears" in e["reason"] for e in errors_of(tmp_path / "roster.errors.xlsx"))


def test_lower_case_x_and_spaces_are_normalised(cli, tmp_path):
    base = "43072519700101003"
    from fupin_cli.core.idcard import check_digit

    number = base + check_digit(base)
    messy = " " + number[:6] + " " + number[6:].lower() + " "
    roster = county_with(tmp_path, household("A1", [{**person("甲"), "身份证号": messy}]))
    identify(cli, roster, code=0)
    assert cli.scalar("SELECT id_number FROM person") == number


def test_error_file_is_removed_when_clean(cli, tmp_path):
    """A stale error workbook fupin wrote goes once the roster is clean; a file of that name
    fupin did not write (or somebody saved since) is left alone."""
    bad = household("B1", [{**person("甲"), "健康状况": "x"}])
    roster = county_with(tmp_path, bad, good("G1"))
    stale = tmp_path / "roster.errors.xlsx"
    assert json.loads(identify(cli, roster, code=1).stdout)["errors_file"] == str(stale)
    roster = county_with(tmp_path, good("G1"))
    assert json.loads(identify(cli, roster, code=0).stdout)["errors_file"] is None
    assert not stale.exists()
    stale.write_text("not fupin's")
    assert json.loads(identify(cli, roster, code=0).stdout)["errors_file"] is None
    assert stale.read_text() == "not fupin's"


def test_errors_option_and_csv_errors(cli, tmp_path):
    bad = household("B1", [{**person("甲"), "健康状况": "x"}])
    roster = write_csv(tmp_path / "r.csv", [*bad, *good("G1")])
    out = json.loads(identify(cli, roster, code=1).stdout)
    assert out["errors_file"] == str(tmp_path / "r.errors.csv")
    import csv

    with (tmp_path / "r.errors.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:4] == ["行号", "列", "原因", "乡镇"]
    assert rows[1][:2] == ["2", "健康状况"] and rows[1][-1].startswith(
        "'x' is not a valid 健康状况"
    )
    target = tmp_path / "mine.xlsx"
    out = json.loads(identify(cli, roster, "--errors", target, code=1).stdout)
    assert out["errors_file"] == str(target) and target.exists()


# -- layouts ------------------------------------------------------------------------------------


def test_title_rows_hidden_sheets_and_merged_household_cells(cli, tmp_path):
    rows = [*good("G1"), *good("G2")]
    for r in rows:
        if r.get("与户主关系") != "户主":
            r["户编号"] = None  # vertically merged: blank below the first row
    roster = write_xlsx(
        tmp_path / "r.xlsx",
        rows,
        title="桃源县花名册",
        before=[("填表说明", "visible"), ("旧表", "hidden")],
    )
    wb = load_workbook(roster)
    wb["旧表"].append(ROSTER_HEADERS)  # a hidden sheet with a header is still skipped
    wb["旧表"].append(["x"] * len(ROSTER_HEADERS))
    wb.save(roster)
    out = json.loads(identify(cli, roster, code=0).stdout)
    assert (out["households"], out["persons"]) == (2, 4)


def test_blank_and_subtotal_rows(cli, tmp_path):
    rows = [*good("G1"), {}, {"乡镇": "合计", "家庭年人均纯收入(元)": 4000}, *good("G2")]
    roster = county_with(tmp_path, rows)
    result = identify(cli, roster, code=0)
    assert json.loads(result.stdout)["rows_read"] == 4
    assert "skipped 1 subtotal row(s)" in result.stderr


def test_header_variants_and_unknown_columns(cli, tmp_path):
    headers = [
        h.replace("身份证号", "公民身份号码")
        .replace("户主姓名", "户主")
        .replace("耕地面积(亩)", "生产资料(耕地亩数)")
        for h in ROSTER_HEADERS
    ] + ["备注"]
    rows = [
        {
            (
                k.replace("身份证号", "公民身份号码")
                .replace("户主姓名", "户主")
                .replace("耕地面积(亩)", "生产资料(耕地亩数)")
            ): v
            for k, v in r.items()
        }
        for r in good("G1")
    ]
    roster = write_xlsx(tmp_path / "r.xlsx", rows, headers)
    result = identify(cli, roster, code=0)
    assert json.loads(result.stdout)["persons"] == 2
    assert "ignored column(s) 备注" in result.stderr
    assert cli.scalar("SELECT farmland_mu FROM household") == 0.3


def test_codes_as_numbers_and_dates_as_text(cli, tmp_path):
    rows = household(
        "G1", [person("甲", birth="19700101", health="03", labour=1, school="01", education="02")]
    )
    rows[0]["出生日期"] = "1970年1月1日"
    roster = county_with(tmp_path, rows)
    identify(cli, roster, code=0)
    assert cli.sql(
        "SELECT health, labour_skill, school_status, education, birth_date FROM person"
    ) == [("患有大病", "普通劳动力", "非在校生", "小学", "1970-01-01")]


def test_gbk_csv(cli, tmp_path):
    roster = write_csv(tmp_path / "gbk.csv", [*good("G1"), *good("G2")], encoding="gbk")
    out = json.loads(identify(cli, roster, code=0).stdout)
    assert out["households"] == 2
    assert cli.scalar("SELECT name FROM township") == "漳江镇"


def test_explicit_sheet(cli, tmp_path):
    roster = write_xlsx(tmp_path / "r.xlsx", good("G1"), sheet="二组")
    assert identify(cli, roster, "--sheet", "二组", code=0).exit_code == 0
    result = identify(cli, roster, "--sheet", "三组", code=2)
    assert "no sheet named '三组'; sheets are: 二组" in result.stderr


# -- unreadable input: exit 2, nothing written, no error file ------------------------------------


def _assert_nothing_written(cli, tmp_path, result, message):
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.errors.*"))
    assert (
        not cli.db.exists()
        or cli.scalar("SELECT count(*) FROM batch WHERE command='identify'") == 0
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("r.xlsx", b"this is not a zip file", "cannot be read as a spreadsheet"),
        ("r.txt", b"hello", "not a spreadsheet"),
        ("r.csv", b"", "r.csv: the file is empty (0 bytes); "),
        ("r.csv", b"\n \n", "r.csv: the file is empty"),
        ("r.xlsx", b"", "r.xlsx: the file is empty (0 bytes); "),
        ("r.csv", "说明,没有表头\n1,2\n".encode(), "no header row found"),
    ],
)
def test_unreadable_inputs(cli, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    _assert_nothing_written(cli, tmp_path, identify(cli, path), message)


def test_truncated_workbook(cli, tmp_path):
    full = county_with(tmp_path, good("G1"), name="full.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(full[: len(full) // 2])
    _assert_nothing_written(cli, tmp_path, identify(cli, path), "cannot be read as a spreadsheet")


def test_missing_required_column(cli, tmp_path):
    headers = [h for h in ROSTER_HEADERS if h != "健康状况"]
    path = write_xlsx(tmp_path / "r.xlsx", good("G1"), headers)
    _assert_nothing_written(
        cli, tmp_path, identify(cli, path), "required column(s) 健康状况 missing"
    )


def test_missing_file(cli, tmp_path):
    _assert_nothing_written(cli, tmp_path, identify(cli, tmp_path / "nope.xlsx"), "file not found")


def test_year_without_income_line(cli, tmp_path):
    roster = county_with(tmp_path, good("G1"))
    result = cli("identify", roster, "--as-of", "2017-03-01")
    _assert_nothing_written(cli, tmp_path, result, "no income line for 2017")


def test_bad_policy_file(cli, tmp_path):
    roster = county_with(tmp_path, good("G1"))
    policy = tmp_path / "p.toml"
    policy.write_text('[policy]\nversion = "x"\n[identify]\nk = "high"\n', encoding="utf-8")
    _assert_nothing_written(
        cli, tmp_path, identify(cli, roster, "--policy", policy), "identify.k: must be a number"
    )


def test_custom_policy_version_is_recorded(cli, tmp_path):
    roster = county_with(tmp_path, good("G1"))
    policy = tmp_path / "p.toml"
    policy.write_text(
        '[policy]\nversion = "taoyuan-2017a"\n[income_lines]\n2017 = 3100\n', encoding="utf-8"
    )
    assert cli("identify", roster, "--policy", policy, "--as-of", "2017-03-01").exit_code == 0
    assert cli.sql("SELECT policy_version, income_line_fen FROM assessment") == [
        ("taoyuan-2017a", 310000)
    ]


# -- moves, yearly transitions (动态调整) ---------------------------------------------------------


def test_person_registered_elsewhere_is_refused_unless_allow_moves(cli, tmp_path):
    mover = person("迁", "配偶", birth="19750505", male=False)
    first = county_with(tmp_path, household("A1", [person("甲"), mover]), name="a.xlsx")
    identify(cli, first, code=0)
    second = county_with(tmp_path, household("B1", [person("乙"), mover]), name="b.xlsx")
    out = json.loads(identify(cli, second, code=1).stdout)
    assert out["moves_refused"] == 1 and out["households"] == 0
    err = errors_of(tmp_path / "b.errors.xlsx")[1]
    assert (
        err["reason"]
        == f"身份证号 {mover['身份证号']} is registered in household A1, not B1; if the person moved, run again with --allow-moves"
    )
    out = json.loads(identify(cli, second, "--allow-moves", code=0).stdout)
    assert out["moves"] == 1
    assert (
        cli.scalar(
            "SELECT h.household_no FROM person p JOIN household h ON h.id=p.household_id WHERE id_number=?",
            (mover["身份证号"],),
        )
        == "B1"
    )
    assert cli.scalar("SELECT count(*) FROM status_event WHERE event='member_moved'") == 2


def test_yearly_transitions(cli, tmp_path):
    poor = dict(income=2000, housing="危房D级", land=0.1)
    well = dict(income=9000, housing="安全", area=200, land=5)
    year = {2015: AS_OF.replace("2016", "2015"), 2016: AS_OF}

    def run(when, **cells):
        path = county_with(
            tmp_path,
            household("A1", [person("甲", labour="技能劳动力", education="高中")], **cells),
            name=f"r{when}.xlsx",
        )
        return json.loads(cli("identify", path, "--as-of", when, "--format", "json").stdout)

    assert run(year[2015], **poor)["newly_identified"] == 1
    assert run(year[2016], **well)["proposed_exit"] == 1
    assert run(year[2016], **well)["exited"] == 0  # same year: still 预脱贫, nothing new
    assert cli.scalar("SELECT status FROM household") == "预脱贫"


def test_exit_return_and_removal(cli, tmp_path):
    policy = tmp_path / "p.toml"
    policy.write_text(
        '[policy]\nversion = "lines"\n[income_lines]\n2017 = 3000\n2018 = 3100\n', encoding="utf-8"
    )
    poor = dict(income=2000, housing="危房D级", land=0.1)
    well = dict(income=9000, housing="安全", area=200, land=5)

    def run(when, name, **cells):
        path = county_with(
            tmp_path,
            household("A1", [person("甲", labour="技能劳动力", education="高中")], **cells),
            name=name,
        )
        result = cli("identify", path, "--as-of", when, "--policy", policy, "--format", "json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    assert run("2016-03-01", "a.xlsx", **poor)["newly_identified"] == 1
    assert run("2016-09-30", "b.xlsx", **well)["proposed_exit"] == 1
    assert run("2017-09-30", "c.xlsx", **well)["exited"] == 1
    assert run("2018-09-30", "d.xlsx", **poor)["returned"] == 1
    assert run("2018-10-30", "e.xlsx", **poor, vehicle="是")["removed"] == 1
    events = [r[0] for r in cli.sql("SELECT event FROM status_event ORDER BY id")]
    assert events == ["identified", "proposed_exit", "exited", "returned", "removed"]
    assert cli.scalar("SELECT status FROM household") == "剔除"
    assert cli.scalar("SELECT count(*) FROM assessment") == 5


def test_absent_registered_households_are_counted(cli, tmp_path):
    full = county_with(
        tmp_path,
        good("G1", income=1000, land=0.1),
        good("G2", income=1000, land=0.1),
        name="full.xlsx",
    )
    identify(cli, full, code=0)
    part = county_with(tmp_path, good("G1", income=1000, land=0.1), name="part.xlsx")
    result = identify(cli, part, code=0)
    assert json.loads(result.stdout)["absent_households"] == {"漳江镇/桃花村": 1}
    assert "漳江镇/桃花村: 1 registered household(s) not in this roster" in result.stderr
    assert cli.scalar("SELECT status FROM household WHERE household_no='G2'") == "已识别"


def test_member_left_household_is_removed(cli, tmp_path):
    members = [person("甲"), person("乙", "配偶", male=False)]
    identify(cli, county_with(tmp_path, household("A1", members), name="a.xlsx"), code=0)
    identify(cli, county_with(tmp_path, household("A1", members[:1]), name="b.xlsx"), code=0)
    assert cli.sql("SELECT name FROM person") == [("甲",)]


def test_quota(cli, tmp_path):
    policy = tmp_path / "p.toml"
    policy.write_text('[policy]\nversion = "q"\n[identify]\nquota = 1\n', encoding="utf-8")
    roster = county_with(
        tmp_path, good("G1", land=0.1), household("G2", [person("病", health="患有大病")], land=0.1)
    )
    out = json.loads(identify(cli, roster, "--policy", policy, code=0).stdout)
    assert (out["identified"], out["review"]) == (1, 1)
    assert cli.scalar("SELECT status FROM household WHERE household_no='G2'") == "已识别"


# -- villages alone, template -------------------------------------------------------------------


def test_villages_alone_update_keeps_blank_values(cli, tmp_path):
    v1 = write_villages(
        tmp_path / "v1.xlsx", [village("漳江镇", "桃花村", "430725101201", agri=1000, income=30000)]
    )
    out = json.loads(identify(cli, "--villages", v1, code=0).stdout)
    assert (out["villages_created"], out["households"]) == (1, 0)
    v2 = write_villages(
        tmp_path / "v2.xlsx",
        [village("漳江镇", "桃花村", "", agri=None, income=50000, 通安全饮水="是")],
    )
    out = json.loads(identify(cli, "--villages", v2, code=0).stdout)
    assert out["villages_updated"] == 1
    assert cli.sql(
        "SELECT code, agricultural_population, collective_income_fen, collective_income_year, safe_water FROM village"
    ) == [("430725101201", 1000, 5000000, 2016, 1)]


def test_bad_village_rows(cli, tmp_path):
    v = write_villages(
        tmp_path / "v.xlsx",
        [village("漳江镇", "桃花村", "12345"), village("漳江镇", "枫树村", poor="也许")],
    )
    out = json.loads(identify(cli, "--villages", v, code=1).stdout)
    assert out["villages_rejected"] == 2
    errs = errors_of(tmp_path / "v.errors.xlsx")
    assert [(e["列"], e["reason"]) for e in errs] == [
        ("村代码", "'12345' is not a 12-digit 统计用区划代码"),
        ("是否贫困村", "'也许' is not yes or no; use 是 or 否 (also Y/N, 1/0)"),
    ]


def test_numbers_too_large_or_impossible_are_rejected_rows(cli, tmp_path):
    """A pasted ID or account number where a population or an amount goes is a rejected row
    naming its column — not an internal error from the database's integers."""
    v = write_villages(
        tmp_path / "v.xlsx",
        [
            village("漳江镇", "桃花村", registered=10**30),
            village("漳江镇", "枫树村", income=1e25),
            village("漳江镇", "李家村", agri=-5),
            village("漳江镇", "张家村", registered="inf"),
        ],
    )
    out = json.loads(identify(cli, "--villages", v, code=1).stdout)
    assert out["villages_rejected"] == 4
    errs = [(e["列"], e["reason"]) for e in errors_of(tmp_path / "v.errors.xlsx")]
    assert errs[0] == ("户籍人口", "'1e+30' is too large for this column; check the cell")
    assert errs[1][0] == "村集体经济收入(元)" and "is more than 100亿元" in errs[1][1]
    assert errs[2] == ("农业人口", "must be 0 or more, not -5")
    assert errs[3] == ("户籍人口", "'inf' is not a whole number")
    assert cli.scalar("SELECT count(*) FROM village") == 0


def test_nothing_to_do_is_a_usage_error(cli):
    result = cli("identify")
    assert result.exit_code == 2 and "give a roster file" in result.stderr


def test_template(cli, tmp_path):
    path = tmp_path / "模板.xlsx"
    assert cli("identify", "--template", path).exit_code == 0
    wb = load_workbook(path)
    ws = wb["花名册"]
    top = header_at(ws, "乡镇")  # under the title block
    assert title_block(ws, "乡镇")[0] == "建档立卡贫困户识别花名册"
    headers = [c.value for c in ws[top]]
    assert headers[:6] == ["乡镇", "村", "组", "户编号", "姓名", "身份证号"]
    assert ws.cell(row=top + 1, column=6).number_format == "@"
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists[f"L{top + 1}"] == '"健康,长期慢性病,患有大病,残疾"'
    assert "填表说明" in wb.sheetnames
    # the template, filled in, is read back by identify
    for i, cell in enumerate(
        [
            "漳江镇",
            "桃花村",
            1,
            "T1",
            "甲",
            make_id(),
            None,
            "户主",
            None,
            "小学",
            "非在校生",
            "健康",
            "普通劳动力",
        ],
        start=1,
    ):
        ws.cell(row=top + 1, column=i, value=cell)
    wb.save(path)
    assert json.loads(identify(cli, path, code=0).stdout)["persons"] == 1


def test_formula_text_in_names_is_just_text(cli, tmp_path):
    bad = household("B1", [{**person('=HYPERLINK("http://x","y")'), "健康状况": "?"}])
    roster = county_with(tmp_path, bad)
    identify(cli, roster, code=1)
    ws = load_workbook(tmp_path / "roster.errors.xlsx")["错误行"]
    name = ws.cell(
        row=header_at(ws, "行号") + 1, column=3 + 5
    )  # 行号, 列, 原因, then 乡镇 村 组 户编号 姓名
    assert name.data_type in ("s", "inlineStr") and name.value.startswith("'=HYPERLINK")


# -- the error file never contradicts the database -------------------------------------------------


def test_unwritable_errors_target_writes_nothing(cli, tmp_path):
    bad = household("B1", [{**person("甲"), "健康状况": "?"}])
    roster = county_with(tmp_path, bad, good("G1"))
    result = identify(cli, roster, "--errors", tmp_path / "nope" / "e.xlsx")
    assert result.exit_code == 2
    assert "folder" in result.stderr and "does not exist" in result.stderr
    assert not cli.db.exists()  # the register is not even created for a run that fails first


def test_errors_target_may_not_be_an_input(cli, tmp_path):
    roster = county_with(tmp_path, good("G1"))
    before = roster.read_bytes()
    result = identify(cli, roster, "--errors", roster)
    assert result.exit_code == 2 and "that is an input file" in result.stderr
    assert roster.read_bytes() == before
    result = identify(cli, roster, "--errors", tmp_path / "e.txt")
    assert result.exit_code == 2 and result.stderr.strip() == (
        f"fupin: error: --errors {tmp_path / 'e.txt'}: give a file name ending in .xlsx or .csv"
    )


def test_error_file_staged_inside_the_transaction(cli, tmp_path, monkeypatch):
    """A failure while writing the error workbook rolls the run back: no households, no batch."""
    import fupin_cli.io.errors_file as ef

    def broken(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ef, "write_errors", broken)
    roster = county_with(tmp_path, household("B1", [{**person("甲"), "健康状况": "?"}]), good("G1"))
    assert cli("init").exit_code == 0
    result = identify(cli, roster)
    assert result.exit_code == 2 and "cannot write the error file" in result.stderr
    assert cli.scalar("SELECT count(*) FROM household") == 0
    assert cli.scalar("SELECT count(*) FROM batch WHERE command='identify'") == 0
    assert not list(tmp_path.glob("*errors*"))


def test_policy_version_with_brackets_is_plain_text(cli, tmp_path):
    roster = county_with(tmp_path, good("G1"))
    policy = tmp_path / "p.toml"
    policy.write_text('[policy]\nversion = "v[/x][bold]2"\n', encoding="utf-8")
    result = cli("identify", roster, "--policy", policy, "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert cli.scalar("SELECT policy_version FROM assessment") == "v[/x][bold]2"
    assert cli("classify", "--policy", policy, "--as-of", AS_OF).exit_code == 0


def test_header_only_roster_is_unreadable(cli, tmp_path):
    path = write_xlsx(tmp_path / "empty.xlsx", [])
    _assert_nothing_written(cli, tmp_path, identify(cli, path), "a header row but no person rows")


def test_township_and_village_merged_over_households(cli, tmp_path):
    rows = [*good("G1"), *good("G2"), *good("G3", village="枫树村")]
    path = write_xlsx(tmp_path / "merged.xlsx", rows)
    wb = load_workbook(path)
    ws = wb["花名册"]
    ws.merge_cells("B2:B5")  # G2 (rows 4-5) shares G1's 村
    ws.merge_cells("A2:A7")  # all three share G1's 乡镇; G3 (row 6) has its own 村
    wb.save(path)
    out = json.loads(identify(cli, path, code=0).stdout)
    assert out["households"] == 3
    assert cli.sql(
        "SELECT h.household_no, v.name FROM household h JOIN village v ON v.id=h.village_id ORDER BY 1"
    ) == [("G1", "桃花村"), ("G2", "桃花村"), ("G3", "枫树村")]


def test_signature_rows_below_the_data_are_skipped(cli, tmp_path):
    rows = [*good("G1"), {"乡镇": "填表人：张三", "村": "审核人：李四"}]
    result = identify(cli, county_with(tmp_path, rows), code=0)
    assert json.loads(result.stdout)["households"] == 1
    assert "skipped 1 signature row(s)" in result.stderr


def test_roster_villages_are_the_registers_once_it_has_a_villages_sheet(cli, tmp_path):
    """With the villages sheet imported (coded villages), a 村 or 乡镇 the register does not
    hold is a spelling to fix — the household is rejected naming the column — not a new
    village; 村 may also hold the village's 12-digit code."""
    _roster, villages = small_county(tmp_path)
    identify(cli, "--villages", villages, code=0)
    rows = [
        *household("T1", [person("甲", birth="19700101")], village="桃化村"),
        *household("T2", [person("乙", birth="19700101")], township="漳江", village="桃花村"),
        *household("T3", [person("丙", birth="19700101")], village="430725102201"),
        *household(
            "T4", [person("丁", birth="19700101")], township="陬市镇", village="430725102201"
        ),
    ]
    roster = write_xlsx(tmp_path / "typos.xlsx", rows)
    out = json.loads(identify(cli, roster, code=1).stdout)
    assert out["rows_read"] == 4 and out["rows_rejected"] == 3
    errs = [(e["行号"], e["列"], e["reason"]) for e in errors_of(tmp_path / "typos.errors.xlsx")]
    assert errs == [
        (
            2,
            "村",
            "no village 桃化村 in 漳江镇 in the register; check the spelling (its villages: "
            "枫树村、桃花村) or add the village with --villages",
        ),
        (
            3,
            "乡镇",
            "no township 漳江 in the register; check the spelling (townships: 漳江镇、陬市镇)",
        ),
        (
            4,
            "乡镇",
            "村 430725102201 is the code of 陬市镇/金盆村, not of a village in 漳江镇; check the "
            "乡镇 or the code",
        ),
    ]
    places = "SELECT t.name, v.name FROM village v JOIN township t ON t.id = v.township_id"
    assert sorted(cli.sql(places)) == [
        ("漳江镇", "枫树村"),
        ("漳江镇", "桃花村"),
        ("陬市镇", "金盆村"),
    ]
    # nothing created
    assert cli.sql(
        "SELECT h.household_no, v.name FROM household h JOIN village v ON v.id = h.village_id"
    ) == [("T4", "金盆村")]


def test_a_register_without_a_villages_sheet_grows_its_villages_from_rosters(cli, tmp_path):
    rows = [*household("T1", [person("甲", birth="19700101")], village="新村")]
    identify(cli, write_xlsx(tmp_path / "r.xlsx", rows), code=0)
    assert cli.sql("SELECT name, code FROM village") == [("新村", None)]


def test_full_width_household_number_is_the_same_household(cli, tmp_path):
    rows = [*household("4307250101001", [person("甲", birth="19700101")])]
    identify(cli, write_xlsx(tmp_path / "a.xlsx", rows), code=0)
    rows = [*household("４３０７２５０１０１００１", [person("甲", birth="19700101")])]
    out = json.loads(identify(cli, write_xlsx(tmp_path / "b.xlsx", rows), code=0).stdout)
    assert out["rows_rejected"] == 0
    assert cli.sql("SELECT household_no FROM household") == [("4307250101001",)]


def test_a_member_born_in_the_future_rejects_the_household(cli, tmp_path):
    """Born after today: a mistyped date. Born after --as-of but before the roster was made (a
    baby of the roster's year) is a member like any other."""
    rows = [
        *household("H1", [person("甲", birth="19700101"), person("乙", "之子", birth="20990601")]),
        *household("H2", [person("丙", birth="19700101"), person("丁", "之女", birth="20161201")]),
    ]
    out = json.loads(identify(cli, write_xlsx(tmp_path / "r.xlsx", rows), code=1).stdout)
    assert out["rows_rejected"] == 2
    errs = [(e["行号"], e["列"], e["reason"]) for e in errors_of(tmp_path / "r.errors.xlsx")]
    assert errs[1] == (
        3,
        "出生日期",
        "born 2099-06-01, a day still to come; check the 出生日期 and 身份证号",
    )
    assert cli.sql("SELECT household_no FROM household") == [("H2",)]
    assert cli.scalar("SELECT count(*) FROM person") == 2


def test_a_member_no_longer_listed_is_counted_and_warned_about(cli, tmp_path):
    members = [person("甲", birth="19700101"), person("乙", "配偶", birth="19720101", male=False)]
    identify(cli, write_xlsx(tmp_path / "a.xlsx", household("H1", members)), code=0)
    result = cli(
        "identify", write_xlsx(tmp_path / "b.xlsx", household("H1", members[:1])), "--as-of", AS_OF
    )
    assert result.exit_code == 0, result.stderr
    assert (
        "warning: 1 member(s) that this roster no longer lists were taken off their household; "
        "if a row was deleted by mistake, restore it and run again"
    ) in result.stderr
    assert cli.sql("SELECT name FROM person") == [("甲",)]
    counts = json.loads(cli.scalar("SELECT counts FROM batch ORDER BY id DESC LIMIT 1"))
    assert counts["members_dropped"] == 1
    again = identify(cli, write_xlsx(tmp_path / "b.xlsx", household("H1", members[:1])), code=0)
    assert json.loads(again.stdout)["members_dropped"] == 0 and "warning" not in again.stderr


def test_a_header_written_twice_is_an_unreadable_file(cli, tmp_path):
    """Two 身份证号 columns (the first left empty) used to reject every row as blank; the file
    is refused naming both columns."""
    headers = [*ROSTER_HEADERS, "身份证号"]
    rows = [{**r, "身份证号": r["身份证号"]} for r in household("H1", [person("甲")])]
    path = write_xlsx(tmp_path / "twice.xlsx", rows, headers)
    result = cli("identify", path, "--as-of", AS_OF)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "fupin: error: twice.xlsx, sheet 花名册, row 1: columns F (身份证号), AB (身份证号) name the "
        "same field; keep one of them"
    )


def test_a_dry_run_leaves_no_register_behind(cli, tmp_path):
    roster, villages = small_county(tmp_path)
    new = tmp_path / "new.db"
    result = cli("--db", new, "identify", roster, "--villages", villages, "--as-of", AS_OF,
                 "--dry-run", "--format", "json", db=False)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["identified"] == 3 and not new.exists()
    assert list(tmp_path.glob("new.db*")) == []


def test_a_move_is_not_a_dropped_member_and_a_rejected_household_moves_nobody(cli, tmp_path):
    head, mover = person("甲"), person("迁", "配偶", birth="19750505", male=False)
    _roster, villages = small_county(tmp_path)
    identify(cli, "--villages", villages, code=0)
    first = county_with(tmp_path, household("A1", [head, mover]), name="a.xlsx")
    identify(cli, first, code=0)
    # B1 is misspelt into a village the register does not hold: rejected, so 迁 stays in A1
    typo = county_with(
        tmp_path, household("B1", [person("乙"), mover], village="桃化村"), name="t.xlsx"
    )
    out = json.loads(identify(cli, typo, "--allow-moves", code=1).stdout)
    assert out["moves"] == 0 and out["households"] == 0
    assert cli.scalar("SELECT count(*) FROM status_event WHERE event = 'member_moved'") == 0
    # A1 without 迁 and B1 with 迁, in one roster: a move, not a dropped member
    both = county_with(
        tmp_path, household("A1", [head]), household("B1", [person("乙"), mover]),
        name="both.xlsx",
    )  # fmt: skip
    result = identify(cli, both, "--allow-moves", code=0)
    out = json.loads(result.stdout)
    assert out["moves"] == 1 and out["members_dropped"] == 0
    assert "taken off their household" not in result.stderr
    home = "SELECT h.household_no FROM person p JOIN household h ON h.id = p.household_id "
    assert cli.scalar(home + "WHERE p.id_number = ?", (mover["身份证号"],)) == "B1"


def test_a_villages_sheet_reads_a_count_with_its_unit_and_names_what_it_ignores(cli, tmp_path):
    """农业人口(人) is 农业人口; a column no field claims is named on stderr, not dropped
    without a word."""
    rows = [
        {**village("漳江镇", "桃花村", "430725100201"), "农业人口(人)": 1234, "联系人": "李主任"}
    ]
    for row in rows:
        del row["农业人口"]
    headers = [h if h != "农业人口" else "农业人口(人)" for h in VILLAGE_HEADERS] + ["联系人"]
    villages = write_villages(tmp_path / "villages.xlsx", rows, headers)
    result = cli("identify", "--villages", villages, "--as-of", "2016-09-30")
    assert result.exit_code == 0, result.stderr
    assert "warning: villages.xlsx, sheet 村表: ignored column(s) 联系人" in result.stderr
    assert cli.sql("SELECT name, agricultural_population FROM village") == [("桃花村", 1234)]
