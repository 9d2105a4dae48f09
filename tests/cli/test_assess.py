"""fupin assess sample / import / report end to end on the small county, with real workbooks."""

import json

import pytest
from openpyxl import load_workbook

from factories import small_county, write_xlsx
from workbooks import error_rows, table

SURVEY = [
    "户编号", "核实人均纯收入(元)", "吃穿不愁", "义务教育有保障", "基本医疗有保障",
    "住房安全有保障", "饮水安全有保障", "认可", "调查员", "调查日期",
]  # fmt: skip
QUESTIONS = SURVEY[2:7]


@pytest.fixture
def county(cli, tmp_path):
    """The small county identified on 2016-09-30, then H3 and H6 exited on 2016-11-01."""
    roster, villages = small_county(tmp_path)
    assert cli("identify", roster, "--villages", villages, "--as-of", "2016-09-30").exit_code == 0
    for no in ("H3", "H6"):
        hid = cli.scalar("SELECT id FROM household WHERE household_no = ?", (no,))
        cli.sql(
            "INSERT INTO status_event (household_id, date, event, from_status, to_status, reason,"
            " batch_id) VALUES (?, '2016-11-01', 'exited', '已识别', '已脱贫', 'test', 1)",
            (hid,),
        )
        cli.sql("UPDATE household SET status = '已脱贫' WHERE id = ?", (hid,))
    return cli


def answer(
    no, income, approve="是", no_to=(), who="刘调查", day="2016-12-05", yes="是", no_word="否"
):
    row = {
        "户编号": no,
        "核实人均纯收入(元)": income,
        "认可": approve,
        "调查员": who,
        "调查日期": day,
    }
    row.update({q: (no_word if q in no_to else yes) for q in QUESTIONS})
    return row


def sample(cli, tmp_path, *args):
    out = tmp_path / "survey.xlsx"
    result = cli("assess", "sample", "--year", "2016", "-o", out, "--format", "json", *args)
    assert result.exit_code == 0, result.stderr + result.stdout
    return json.loads(result.stdout), out


def test_sample_is_reproducible_stratified_and_prefilled(county, tmp_path):
    data, out = sample(county, tmp_path, "--seed", "5", "--villages", "2", "--households", "3")
    drawn = county.sql("SELECT household_id, stratum FROM assess_sample ORDER BY household_id")
    again, _ = sample(county, tmp_path, "--seed", "5", "--villages", "2", "--households", "3")
    assert again == {**data, "replaced": len(drawn)}
    assert (
        county.sql("SELECT household_id, stratum FROM assess_sample ORDER BY household_id") == drawn
    )
    assert data["villages"] == 2 and data["households"] == len(drawn)
    # two villages of three: one poor (桃花村 or 金盆村) and the non-poor 枫树村 in proportion 2:1
    # gives round(2 × 2/3) = 1 poor and 1 non-poor
    villages = {v for (v,) in county.sql("SELECT DISTINCT v.name FROM assess_sample s "
                                         "JOIN village v ON v.id = s.village_id")}  # fmt: skip
    assert "枫树村" in villages and len(villages) == 2
    full, out = sample(county, tmp_path, "--seed", "1")
    assert full["by_stratum"] == {"exited": 2, "registered": 1, "never": 3}
    assert full["persons"] == 8 and full["households"] == 6
    ws = load_workbook(out).active
    rows = [tuple(r) for r in table(ws, "乡镇")]
    assert rows[0][:9] == (
        "乡镇", "村", "户编号", "户主姓名", "户主身份证号", "人数", "层", "登记人均纯收入(元)",
        "核实人均纯收入(元)",
    )  # fmt: skip
    h1 = next(r for r in rows if r[2] == "H1")
    assert h1[:4] == ("漳江镇", "桃花村", "H1", "张三") and h1[5:8] == (2, "在册", 2000)
    assert "*" in h1[4] and len(h1[4]) == 18 and set(h1[8:]) == {None}
    assert next(r for r in rows if r[2] == "H6")[6] == "脱贫"
    assert next(r for r in rows if r[2] == "H2")[6] == "非建档立卡"
    assert int(ws.page_setup.paperSize) == 9 and ws.print_title_rows == "$1:$1"
    dv = ws.data_validations.dataValidation[0]
    assert dv.formula1 == '"是,否"' and "O2:O7" in str(dv.sqref) and "J2:J7" in str(dv.sqref)


def test_import_faults_reimport_and_correction(county, tmp_path):
    sample(county, tmp_path, "--seed", "1", "--villages", "1", "--households", "20")
    sampled = {n for (n,) in county.sql("SELECT household_no FROM household h JOIN assess_sample s"
                                        " ON s.household_id = h.id")}  # fmt: skip
    other = sorted({"H1", "H2", "H3", "H4", "H5", "H6"} - sampled)[0]
    first = sorted(sampled)[0]
    rows = [
        answer(first, 5000, yes="Y", approve="√"),
        answer("H99", 5000),
        answer(other, 5000),
        answer(first, 5000, yes="1", approve="1"),
        answer(sorted(sampled)[-1], 5000, approve="也许"),
    ]
    path = write_xlsx(tmp_path / "filled.xlsx", rows, SURVEY, sheet="入户调查表")
    result = county("assess", "import", path, "--year", "2016", "--format", "json")
    assert result.exit_code == 1, result.stderr
    out = json.loads(result.stdout)
    assert (out["rows_read"], out["rows_rejected"], out["created"]) == (5, 4, 1)
    reasons = [r[-1] for r in error_rows(out["errors_file"])[1:]]  # the English column
    assert any("no household H99 in the register" in str(r) for r in reasons)
    assert any(f"household {other} is not in the 2016 sample" in str(r) for r in reasons)
    assert any("the same household as row 2" in str(r) for r in reasons)
    assert any("'也许' is not yes or no" in str(r) for r in reasons)
    stored = county.sql("SELECT income_fen, food_clothing, approve, surveyor FROM assess_answer")
    assert stored == [(500000, 1, 1, "刘调查")]

    good = write_xlsx(tmp_path / "good.xlsx", [answer(first, 5000, yes="√", approve="Y")], SURVEY)
    before = county.dump()
    out = county.json("assess", "import", good)  # the year: the latest sample's
    assert (out["created"], out["unchanged"]) == (0, 1) and county.dump() == before

    fixed = write_xlsx(
        tmp_path / "fixed.xlsx", [answer(first, 2000, no_to=("住房安全有保障",), no_word="×",
                                         day="2016-12-09")], SURVEY)  # fmt: skip
    out = county.json("assess", "import", fixed, "--year", "2016")
    assert out["updated"] == 1
    assert county.sql("SELECT income_fen, housing, surveyed_on FROM assess_answer ORDER BY id") == [
        (500000, 1, "2016-12-05"),
        (200000, 0, "2016-12-09"),
    ]


def survey_all(county, tmp_path, rows):
    sample(county, tmp_path, "--seed", "1")
    path = write_xlsx(tmp_path / "filled.xlsx", rows, SURVEY)
    assert county.json("assess", "import", path, "--year", "2016")["created"] == len(rows)


def test_report_json_contract_with_exact_numbers_and_exit_1(county, tmp_path):
    survey_all(
        county,
        tmp_path,
        [
            answer("H1", 3500),  # registered, above the line (2952), all 是: 错评 (2 persons)
            answer("H3", 4000),  # exited, meets the standard
            answer("H6", 3000, approve="否", no_to=("饮水安全有保障",)),  # 错退 (2 persons)
            answer("H2", 20000),
            answer("H4", 2500, approve=None),  # never registered, below the line: 漏评
            answer("H5", 5000, no_to=("住房安全有保障",)),  # 住房 否: 漏评
        ],
    )
    result = county("assess", "report", "--year", "2016", "--format", "json")
    assert result.exit_code == 1 and "错退率" in result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"year", "sample", "rates", "exit_test"}
    assert data["sample"] == {
        "villages": 3,
        "households": 6,
        "persons": 8,
        "by_stratum": {"exited": 2, "registered": 1, "never": 3},
    }
    r = data["rates"]
    assert {k: (v["numerator"], v["denominator"]) for k, v in r.items() if k != "incidence"} == {
        "wrong_exit": (2, 3),
        "missed": (2, 3),
        "wrong_registration": (2, 2),
        "approval": (4, 6),
    }
    assert r["wrong_exit"]["value"] == pytest.approx(2 / 3)
    # Wilson 2 of 3, z 1.96: centre 0.57306, half-width 0.36542
    assert r["wrong_exit"]["low"] == pytest.approx(0.2077, abs=1e-4)
    assert r["wrong_exit"]["high"] == pytest.approx(0.9385, abs=1e-4)
    # registered 2 persons (H1), exited 3 (H3, H6), agricultural 1000 + 1500 + 800 = 3300,
    # never-registered agricultural 3300 − 5 = 3295
    assert r["incidence"]["denominator"] == 3300
    assert r["incidence"]["value"] == pytest.approx((2 + 2 / 3 * 3 + 2 / 3 * 3295) / 3300)
    assert set(r["incidence"]) == {"value", "low", "high", "numerator", "denominator"}
    test = data["exit_test"]
    assert test["pass"] is False
    assert [(c["name"], c["threshold"], c["met"]) for c in test["conditions"]] == [
        ("incidence", 0.02, False),
        ("wrong_exit", 0.02, False),
        ("missed", 0.02, False),
        ("approval", 0.9, False),
    ]
    cases = county("assess", "report", "--year", "2016", "--format", "csv", "--table", "cases")
    assert cases.exit_code == 1
    lines = cases.stdout.strip().splitlines()
    assert lines[0].startswith("问题,乡镇,村,户编号,户主姓名,人数,层,原因")
    body = sorted(lines[1:])
    assert len(body) == 3
    assert any(
        ",H6," in line and "饮水安全有保障:否" in line and line.startswith("错退") for line in body
    )
    assert any(",H4," in line and "核实人均纯收入低于标准线" in line for line in body)
    assert any(",H5," in line and "住房安全有保障:否" in line for line in body)
    xlsx = tmp_path / "assess.xlsx"
    assert county("assess", "report", "--year", "2016", "-o", xlsx).exit_code == 1
    wb = load_workbook(xlsx)
    cases = wb["错退漏评户"]
    assert wb.sheetnames == ["三率一度", "错退漏评户"]
    assert len(table(cases, cases.cell(row=_first_row(cases), column=1).value)) == 4


def test_report_passes_on_a_clean_survey_but_not_with_confidence(county, tmp_path):
    survey_all(county, tmp_path, [answer(n, 9000) for n in ("H2", "H3", "H4", "H5", "H6")])
    data = county.json("assess", "report", "--year", "2016")
    assert data["exit_test"]["pass"] is True
    by = {c["name"]: c for c in data["exit_test"]["conditions"]}
    # 5 of 5 approve: Wilson low end 0.566 < 0.9, so not with 95 % confidence
    assert by["approval"]["met"] and not by["approval"]["met_with_confidence"]
    assert by["incidence"]["value"] == pytest.approx(2 / 3300)
    assert data["rates"]["wrong_registration"]["value"] is None  # H1 not surveyed
    assert data["rates"]["wrong_registration"]["denominator"] == 0


def test_report_mpi_by_hand(county, tmp_path):
    # look scores (housing, production, labour, education, health) at cutoff 0.5, weights 0.2:
    # H1 (2 persons) 1 1 0 .5 1 -> c 0.8; H3 (1) all five -> 1.0; H5 (1) and H6 (2) -> 0.6;
    # H2, H4 (1 each) none. k 0.4: 6 of 8 persons poor; A = (1.6 + 1.0 + 0.6 + 1.2) / 6
    data = county.json("report", "--year", "2016", "--mpi")
    m = data["mpi"]
    assert m["k"] == 0.4 and m["H"] == pytest.approx(0.75)
    assert m["A"] == pytest.approx(4.4 / 6) and m["M0"] == pytest.approx(0.55)
    assert m["dimensions"]["health"]["censored_headcount"] == pytest.approx(3 / 8)
    assert m["dimensions"]["labour"]["contribution"] == pytest.approx(0.2 * (1 / 8) / 0.55)
    assert sum(d["contribution"] for d in m["dimensions"].values()) == pytest.approx(1)
    towns = {t["name"]: t for t in m["townships"]}
    # 漳江镇: H1, H2, H4, H5 (5 persons), M0 = (1.6 + 0.6) / 5; share 5/8 × 0.44 / 0.55 = 0.5
    assert towns["漳江镇"]["H"] == pytest.approx(0.6) and towns["漳江镇"]["M0"] == pytest.approx(
        0.44
    )
    assert towns["漳江镇"]["contribution"] == pytest.approx(0.5)
    assert "mpi" not in county.json("report", "--year", "2016")
    xlsx = tmp_path / "report.xlsx"
    assert county("report", "--year", "2016", "--mpi", "-o", xlsx).exit_code == 0
    sheet = load_workbook(xlsx)["多维贫困"]
    assert table(sheet, "范围")[1][:5] == ["全县", None, 0.75, pytest.approx(4.4 / 6), 0.55]


def test_import_before_any_sample_is_a_usage_error(county, tmp_path):
    path = write_xlsx(tmp_path / "filled.xlsx", [answer("H1", 5000)], SURVEY)
    result = county("assess", "import", path)
    assert result.exit_code == 2 and "no sample drawn yet" in result.stderr
    assert county.scalar("SELECT count(*) FROM assess_answer") == 0
    result = county("assess", "report", "--year", "2016")
    assert result.exit_code == 1 and "no surveyed household for 2016" in result.stderr


def _first_row(ws) -> int:
    """The header row under a sheet's title block: the first row with more than one value."""
    for row in ws.iter_rows():
        if sum(c.value is not None for c in row) > 1:
            return row[0].row
    raise AssertionError(ws.title)
