"""The terminal report stays readable at 100 columns (issue 14 §6): a table wider than the
console is cut into parts that repeat the row's names; no line is wider than the console and no
figure is cut to '…'. A county built through the real commands; COLUMNS=100 as a user sets it."""

from __future__ import annotations

import csv
import io

from rich.cells import cell_len
from rich.console import Console

from factories import small_county
from fupin_cli.reports.render import TERMINAL_SUMMARY, to_terminal
from fupin_cli.reports.tables import INT, TEXT, Table

AS_OF = "2016-09-30"


def ok(cli, *args):
    result = cli(*args)
    assert result.exit_code in (0, 1), result.stderr
    return result


def county(cli, tmp_path):
    roster, villages = small_county(tmp_path)
    ok(cli, "identify", roster, "--villages", villages, "--as-of", AS_OF)
    ok(cli, "classify", "--as-of", AS_OF)


def cells_of(line: str) -> list[str]:
    bar = line.strip()[0]  # ┃ in a header row, │ in a body row
    return [c.strip() for c in line.strip().strip(bar).split(bar)]


def test_report_at_100_columns_fits_and_keeps_every_figure(cli, tmp_path, monkeypatch):
    county(cli, tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    out = ok(cli, "report", "--quarter", "2016Q3").stdout
    lines = out.splitlines()
    assert max(cell_len(line) for line in lines) <= 100
    assert "…" not in out
    # the summary in two parts, each repeating 级别 名称; together every key column once
    assert "汇总 (summary) 1/2" in out and "汇总 (summary) 2/2" in out
    heads = [cells_of(line) for line in lines if line.startswith("┃ 级别 ┃ 名称 ")]
    summary_heads = heads[:2]
    assert [h[:2] for h in summary_heads] == [["级别", "名称"], ["级别", "名称"]]
    assert summary_heads[0] + summary_heads[1][2:] == list(TERMINAL_SUMMARY)
    # the county's figures, read back from the two parts, are the csv's
    county_rows = [cells_of(line) for line in lines if line.startswith("│ 县   │ 全县 county")]
    shown = dict(zip(summary_heads[0], county_rows[0], strict=True))
    shown.update(zip(summary_heads[1], county_rows[1], strict=True))
    monkeypatch.delenv("COLUMNS")
    table = ok(cli, "report", "--quarter", "2016Q3", "-f", "csv", "--table", "summary").stdout
    csv_county = next(csv.DictReader(io.StringIO(table)))
    assert {h: shown[h] for h in TERMINAL_SUMMARY} == {h: csv_county[h] for h in TERMINAL_SUMMARY}
    assert shown["贫困户"] == "3" and shown["大病救助"] == "1"


def test_without_columns_a_batch_log_keeps_one_wide_table(cli, tmp_path, monkeypatch):
    county(cli, tmp_path)
    monkeypatch.delenv("COLUMNS", raising=False)
    out = ok(cli, "report", "--quarter", "2016Q3").stdout
    assert "汇总 (summary)" in out and "1/2" not in out
    assert max(cell_len(line) for line in out.splitlines()) > 100


def test_to_terminal_on_a_console_of_width_100_cuts_wide_tables_into_parts():
    headers = [("乡镇", TEXT), ("村", TEXT)] + [(f"指标{i:02d}", INT) for i in range(20)]
    rows = [["漳江镇", "桃花村", *(10**i for i in range(20))]]
    buf = io.StringIO()
    to_terminal([Table("wide", "宽表", headers, rows)], "标题", Console(file=buf, width=100))
    out = buf.getvalue()
    assert max(cell_len(line) for line in out.splitlines()) <= 100 and "…" not in out
    for i in range(20):  # every figure whole, once
        assert out.count(f" {10**i} ") == 1, i
        assert out.count(f"指标{i:02d}") == 1
    parts = out.count("宽表 (wide) ")
    assert parts >= 3 and out.count("│ 漳江镇 │ 桃花村 │") == parts
