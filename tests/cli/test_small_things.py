"""Smaller things a new user hit (issue 14 §6): identify's csv carries the run's counts, and a
0-byte workbook says it is empty. Real files written here, a real register, the real commands."""

from __future__ import annotations

import csv
import io

import pytest

from factories import household, person, write_xlsx

AS_OF = "2016-09-30"


def test_identify_csv_carries_the_summary_counts_after_the_township_table(cli, tmp_path):
    roster = write_xlsx(
        tmp_path / "roster.xlsx",
        [
            *household("C1", [person("甲"), person("乙", "配偶", male=False)], income=1000),
            *household("C2", [person("丙", 身份证号="12345")]),  # rejected: a bad ID
            *household("C3", [person("丁")], income=50000, housing="安全", area=200, land=5),
        ],
    )
    result = cli("identify", roster, "--as-of", AS_OF, "--format", "csv")
    assert result.exit_code == 1, result.stderr  # a rejected row
    table, counts = result.stdout.split("\n\n")
    assert list(csv.reader(io.StringIO(table))) == [
        ["乡镇 township", "户数 households", "人数 persons", "识别 identified", "待评议 review",
         "不识别 not identified"],
        ["漳江镇", "2", "3", "1", "0", "1"],
        ["合计 total", "2", "3", "1", "0", "1"],
    ]  # fmt: skip
    rows = list(csv.reader(io.StringIO(counts)))
    assert rows[0] == ["指标 key", "数值 value"]
    got = dict(rows[1:])
    json_summary = cli.json("identify", roster, "--as-of", AS_OF, code=1)
    assert list(got) == [k for k, v in json_summary.items() if not isinstance(v, (dict, list))]
    assert got["rows_read"] == "4" and got["rows_rejected"] == "1"
    assert got["newly_identified"] == "1" and got["identified"] == "1"
    assert got["errors_file"] == str(tmp_path / "roster.errors.xlsx")
    assert got["villages_errors_file"] == "" and got["dry_run"] == "否"
    # the table view is unchanged: no second part on stdout
    table_view = cli("identify", roster, "--as-of", AS_OF)
    assert "指标 key" not in table_view.stdout and "合计 total" in table_view.stdout


@pytest.mark.parametrize(
    "command",
    [
        ("identify", "FILE", "--as-of", AS_OF),
        ("identify", "--villages", "FILE"),
        ("fund", "import", "FILE"),
        ("assign", "cadres", "FILE"),
        ("assign", "measures", "FILE"),
    ],
)
def test_a_0_byte_workbook_says_it_is_empty(cli, tmp_path, command):
    empty = tmp_path / "名单.xlsx"
    empty.write_bytes(b"")
    args = [empty if word == "FILE" else word for word in command]
    result = cli(*args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "fupin: error: 名单.xlsx: the file is empty (0 bytes); it was not saved or not copied "
        "whole — save it again from Excel or WPS, or copy it again"
    ]
    assert not list(tmp_path.glob("*.errors.*"))
