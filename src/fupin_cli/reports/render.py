"""Render the report: terminal tables, csv (one table), xlsx (every table, native charts)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

from fupin_cli.errors import UsageError
from fupin_cli.io.output import stdout_console, write_csv
from fupin_cli.io.output import table as rich_table
from fupin_cli.io.xlsx import (
    INT_FORMAT,
    MONEY_FORMAT,
    PERCENT_FORMAT,
    TEXT_FORMAT,
    new_workbook,
    save_workbook,
    write_table,
)
from fupin_cli.reports.tables import INT, RATE, TEXT, YUAN, Table

FORMATS = {YUAN: MONEY_FORMAT, INT: INT_FORMAT, RATE: PERCENT_FORMAT, TEXT: TEXT_FORMAT}


# The terminal shows the summary's key columns; json, csv and xlsx carry all of them.
TERMINAL_SUMMARY = (
    "级别",
    "名称",
    "代码",
    "贫困户",
    "贫困人口",
    "新识别",
    "脱贫户",
    "返贫",
    "产业帮扶",
    "易地搬迁",
    "政策兜底",
    "大病救助",
    "未结对户",
    "未结对学生",
    "走访次数",
)


# The exit table's services are behind its 未达条件 column; the terminal leaves them out.
TERMINAL_VILLAGE_EXIT = (
    "乡镇",
    "村",
    "代码",
    "贫困发生率",
    "村集体经济收入(元)",
    "可出列",
    "未达条件",
)


def narrow(t: Table, keep: tuple[str, ...]) -> Table:
    idx = [i for i, h in enumerate(t.headers) if h in keep]
    return Table(
        t.name, t.title, [t.columns[i] for i in idx], [[r[i] for i in idx] for r in t.rows]
    )


def to_terminal(tables: list[Table], heading: str) -> None:
    console = stdout_console()
    console.print(heading, markup=False)
    for t in tables:
        if not t.rows:
            continue
        if t.name == "summary":
            t = narrow(t, TERMINAL_SUMMARY)
        elif t.name == "village_exit":
            t = narrow(t, TERMINAL_VILLAGE_EXIT)
        rows = [
            {h: show(v, kind) for (h, kind), v in zip(t.columns, r, strict=True)} for r in t.rows
        ]
        console.print(rich_table(rows, [(h, h) for h in t.headers], title=f"{t.title} ({t.name})"))


def show(value, kind: str):
    if value is None:
        return ""
    if kind == YUAN:
        return f"{value:,.2f}"
    if kind == RATE:
        return f"{value:.2%}"
    return value


def to_csv(t: Table, out: IO[str] | None = None) -> None:
    def cell(value, kind):
        if value is None:
            return ""
        if kind == YUAN:
            return f"{value:.2f}"
        if kind == RATE:
            return f"{value:.6f}"
        return value

    rows = [{h: cell(v, kind) for (h, kind), v in zip(t.columns, r, strict=True)} for r in t.rows]
    write_csv(rows, [(h, h) for h in t.headers], out or sys.stdout)


def to_xlsx(tables: list[Table], path: Path, heading: str) -> Path:
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"-o {path}: an xlsx report needs a file name ending in .xlsx")
    wb = new_workbook()
    sheets = {}
    for t in tables:
        formats = {i: FORMATS[kind] for i, (_h, kind) in enumerate(t.columns) if kind != TEXT}
        sheets[t.name] = write_table(wb, t.title, t.headers, t.rows, formats=formats)
    _charts(sheets, tables)
    wb.properties.title = heading
    return save_workbook(wb, path)


def _charts(sheets: dict, tables: list[Table]) -> None:
    from openpyxl.chart import BarChart, PieChart, Reference

    by_name = {t.name: t for t in tables}
    cat = sheets["categories"]
    n = len(by_name["categories"].rows)
    pie = PieChart()
    pie.title = "分类施策 category mix"
    pie.add_data(Reference(cat, min_col=2, min_row=1, max_row=n + 1), titles_from_data=True)
    pie.set_categories(Reference(cat, min_col=1, min_row=2, max_row=n + 1))
    pie.height, pie.width = 8, 12
    cat.add_chart(pie, "D2")

    ex = sheets["exits"]
    townships = len(by_name["exits"].rows) - 2  # the last two rows are the county's year and target
    if townships > 0:
        bar = BarChart()
        bar.type = "col"
        bar.title = "脱贫人数 exits by township"
        bar.y_axis.title = "人 persons"
        bar.add_data(
            Reference(ex, min_col=3, min_row=1, max_row=townships + 1), titles_from_data=True
        )
        bar.set_categories(Reference(ex, min_col=1, min_row=2, max_row=townships + 1))
        bar.height, bar.width = 9, 18
        ex.add_chart(bar, "G2")
        target = BarChart()
        target.type = "bar"
        target.title = "年度目标 exits against target"
        target.add_data(
            Reference(ex, min_col=3, min_row=townships + 2, max_row=townships + 3),
            titles_from_data=False,
        )
        target.set_categories(
            Reference(ex, min_col=1, min_row=townships + 2, max_row=townships + 3)
        )
        target.legend = None
        target.height, target.width = 5, 18
        ex.add_chart(target, "G21")

    fu = sheets["funds"]
    n = len(by_name["funds"].rows)
    money = BarChart()
    money.type = "col"
    money.title = "资金 money by channel (元)"
    money.add_data(
        Reference(fu, min_col=2, max_col=4, min_row=1, max_row=n + 1), titles_from_data=True
    )
    money.set_categories(Reference(fu, min_col=1, min_row=2, max_row=n + 1))
    money.height, money.width = 9, 18
    fu.add_chart(money, "F2")

    me = sheets["measures"]
    n = sum(1 for r in by_name["measures"].rows if r[0] == "县")  # the county's rows come first
    if n:
        done = BarChart()
        done.type = "bar"
        done.title = "措施落实 measures planned and delivered (户)"
        done.add_data(
            Reference(me, min_col=5, max_col=6, min_row=1, max_row=n + 1), titles_from_data=True
        )
        done.set_categories(Reference(me, min_col=4, min_row=2, max_row=n + 1))
        done.height, done.width = 9, 18
        me.add_chart(done, "J2")
