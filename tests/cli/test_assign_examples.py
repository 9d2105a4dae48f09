"""The example county's assign sheets import as documented (examples/cadres, teams, visits,
measures)."""

import json
import shutil
from pathlib import Path

from workbooks import error_rows

EXAMPLES = Path(__file__).parents[2] / "examples"
AS_OF = "2016-09-30"


def test_example_sheets_pair_everyone_and_show_their_bad_rows(cli, tmp_path):
    for name in ("roster", "villages", "cadres", "teams", "visits", "measures"):
        shutil.copy(EXAMPLES / f"{name}.xlsx", tmp_path / f"{name}.xlsx")
    identify = cli(
        "identify",
        tmp_path / "roster.xlsx",
        "--villages",
        tmp_path / "villages.xlsx",
        "--as-of",
        AS_OF,
    )
    assert identify.exit_code == 1  # the example roster carries faulty households on purpose

    def run(*args, code=0):
        result = cli(*args, "--format", "json")
        assert result.exit_code == code, result.stderr
        return json.loads(result.stdout)

    assert run("assign", "cadres", tmp_path / "cadres.xlsx")["created"] == 12
    assert run("assign", "teams", tmp_path / "teams.xlsx")["created"] == 2
    pair = run("assign", "pair", "--as-of", AS_OF)
    assert (pair["households"], pair["students"], pair["pairs_added"]) == (19, 10, 29)
    visits = run("assign", "visits", tmp_path / "visits.xlsx", code=1)
    assert (visits["created"], visits["rows_rejected"]) == (36, 3)
    rows = error_rows(tmp_path / "visits.errors.xlsx")
    assert [r[1] for r in rows[1:]] == ["户编号", "日期", "类型"]
    measures = run("assign", "measures", tmp_path / "measures.xlsx", code=1)
    assert (measures["created"], measures["rows_rejected"]) == (14, 1)
    rows = error_rows(tmp_path / "measures.errors.xlsx")
    assert [(r[0], r[1]) for r in rows[1:]] == [(16, "身份证号")]  # a child of another household
    assert run("classify", "--as-of", AS_OF)["classified"] == 19
    gaps = run("assign", "check", "--as-of", AS_OF, code=1)["gaps"]
    coverage = {"measure_not_delivered", "labour_not_trained", "student_no_aid"}
    coverage.add("household_no_employment")
    assert [g["rule"] for g in gaps if g["rule"] not in coverage] == ["visit_unpaired"]
    # 林梅娟's household: every measure of its plan but its category (大病救助) delivered;
    # 吴爱娜 trained and placed in work, her husband 林毅 (技能劳动力) not yet trained
    lin = [
        (g["rule"], g["subject"], g["detail"])
        for g in gaps
        if g["subject"].startswith("4307250102011")
    ]
    assert lin == [
        (
            "measure_not_delivered",
            "4307250102011",
            f"户主 林梅娟: 大病救助 planned (帮扶计划), no record of it up to {AS_OF}",
        ),
        (
            "labour_not_trained",
            "4307250102011 林毅",
            f"技能劳动力, 40岁: no 技能培训 record naming this person up to {AS_OF}",
        ),
    ]
    # the rejected row meant 黄欣玉, whose aid is still missing
    assert ("student_no_aid", "4307250202021 黄欣玉") in {(g["rule"], g["subject"]) for g in gaps}
