"""The example county's assign sheets import as documented (examples/cadres, teams, visits)."""

import json
import shutil
from pathlib import Path

from openpyxl import load_workbook

EXAMPLES = Path(__file__).parents[2] / "examples"
AS_OF = "2016-09-30"


def test_example_sheets_pair_everyone_and_show_their_bad_rows(cli, tmp_path):
    for name in ("roster", "villages", "cadres", "teams", "visits"):
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
    rows = list(load_workbook(tmp_path / "visits.errors.xlsx").active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["户编号", "日期", "类型"]
    gaps = run("assign", "check", "--as-of", AS_OF, code=1)["gaps"]
    assert [g["rule"] for g in gaps] == ["visit_unpaired"]
