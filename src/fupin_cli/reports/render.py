"""Render the report: terminal tables, csv (one table), xlsx (every table, native charts)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from rich.cells import cell_len
from rich.console import Console

from fupin_cli.errors import UsageError
from fupin_cli.io.document import Heading, orient
from fupin_cli.io.output import stdout_console, write_csv
from fupin_cli.io.output import table as rich_table
from fupin_cli.io.xlsx import (
    INT_FORMAT,
    MONEY_FORMAT,
    PERCENT_FORMAT,
    TEXT_FORMAT,
    YEAR_FORMAT,
    header_row,
    new_workbook,
    save_workbook,
    write_table,
)
from fupin_cli.reports.tables import INT, RATE, TEXT, YEAR, YUAN, Table

FORMATS = {
    YUAN: MONEY_FORMAT,
    INT: INT_FORMAT,
    RATE: PERCENT_FORMAT,
    TEXT: TEXT_FORMAT,
    YEAR: YEAR_FORMAT,
}


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
    cells = {(r, idx.index(c)): k for (r, c), k in t.cells.items() if c in idx}
    return Table(
        t.name, t.title, [t.columns[i] for i in idx], [[r[i] for i in idx] for r in t.rows], cells
    )


def to_terminal(tables: list[Table], heading: str, console: Console | None = None) -> None:
    """Each table as a rich table; one wider than the console is cut into parts side by side
    in print — each part repeats the row's names (级别 名称 / 乡镇 村) and takes as many
    figure columns as fit — so that at 100 columns no figure is cut to '…' or wrapped."""
    console = console or stdout_console()
    console.print(heading, markup=False)
    for t in tables:
        if not t.rows:
            continue
        if t.name == "summary":
            t = narrow(t, TERMINAL_SUMMARY)
        elif t.name == "village_exit":
            t = narrow(t, TERMINAL_VILLAGE_EXIT)
        shown = [[show(v, t.kind(i, c)) for c, v in enumerate(r)] for i, r in enumerate(t.rows)]
        parts = _parts(t, shown, console.width)
        for n, idx in enumerate(parts, start=1):
            rows = [{t.headers[i]: r[i] for i in idx} for r in shown]
            title = f"{t.title} ({t.name})" + (f" {n}/{len(parts)}" if len(parts) > 1 else "")
            console.print(rich_table(rows, [(t.headers[i], t.headers[i]) for i in idx], title))


_NAMES_AT_MOST = 2  # leading text columns a part repeats (级别 名称, 乡镇 村, 渠道 …)
_PROSE = 40  # a text column wider than this is prose (未达条件, 说明): it wraps, at this width


def _parts(t: Table, shown: list[list], width: int) -> list[list[int]]:
    """The column indexes of each part of ``t`` (all of them in one part when it fits)."""
    cells = [
        min(
            max([cell_len(h), *(cell_len(str(r[i])) for r in shown)]),
            _PROSE if kind == TEXT else 10**6,
        )
        + 3  # "│ x " around a cell
        for i, (h, kind) in enumerate(t.columns)
    ]
    if sum(cells) + 1 <= width:
        return [list(range(len(cells)))]
    names = []
    for i, (_h, kind) in enumerate(t.columns[:_NAMES_AT_MOST]):
        if kind != TEXT:
            break
        names.append(i)
    if sum(cells[i] for i in names) + 1 > width // 2:  # names too wide to repeat: keep one
        names = names[:1]
    parts: list[list[int]] = []
    part: list[int] = []
    used = sum(cells[i] for i in names) + 1
    for i in range(len(names), len(cells)):
        if part and used + cells[i] > width:
            parts.append(names + part)
            part, used = [], sum(cells[i] for i in names) + 1
        part.append(i)
        used += cells[i]
    parts.append(names + part)
    return parts


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

    rows = [
        {h: cell(v, t.kind(i, c)) for c, (h, v) in enumerate(zip(t.headers, r, strict=True))}
        for i, r in enumerate(t.rows)
    ]
    write_csv(rows, [(h, h) for h in t.headers], out or sys.stdout)


UNITS = {"元": 1, "万元": 10_000}  # --unit: the money tables' unit in the workbook


def to_xlsx(
    tables: list[Table],
    path: Path,
    heading: Heading,
    *,
    unit: str = "元",
    notes: Sequence[str] = (),
) -> Path:
    """Every table on its own sheet under ``heading``'s title block (the sheet's name added to
    the title; ``notes``, warnings about the figures, under it), money in ``unit``, each sheet
    printing on A4 one page wide with its charts beside the table."""
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"-o {path}: an xlsx report needs a file name ending in .xlsx")
    wb = new_workbook()
    sheets = {}
    for t in tables:
        money = any(kind == YUAN for _h, kind in t.columns)
        t = _in_unit(t, unit)
        sheet_heading = heading.but(
            title=f"{heading.title}·{t.title}",
            unit=f"金额 {unit}" if money else "户、人",
            notes=tuple(notes),
        )
        formats = {i: FORMATS[kind] for i, (_h, kind) in enumerate(t.columns) if kind != TEXT}
        ws = write_table(wb, t.title, t.headers, t.rows, formats=formats, heading=sheet_heading)
        top = header_row(ws)
        for (r, c), kind in t.cells.items():
            ws.cell(row=top + 1 + r, column=c + 1).number_format = FORMATS[kind]
        sheets[t.name] = (ws, top)
    _charts(sheets, tables)
    wb.properties.title = heading.title
    return save_workbook(wb, path)


def _in_unit(t: Table, unit: str) -> Table:
    """``t`` with its money in ``unit`` (元 or 万元): the amounts divided, the headers renamed."""
    scale = UNITS[unit]
    if scale == 1:
        return t
    money = {c for c, (_h, kind) in enumerate(t.columns) if kind == YUAN}
    units = {c for c, h in enumerate(t.headers) if h == "单位"}  # a column naming each row's unit
    cols = [(h.replace("(元)", f"({unit})"), kind) for h, kind in t.columns]
    rows = [
        [
            v / scale
            if c in money and t.kind(i, c) == YUAN and v is not None
            else (unit if c in units and v == "元" else v)
            for c, v in enumerate(r)
        ]
        for i, r in enumerate(t.rows)
    ]
    return Table(t.name, t.title, cols, rows, t.cells)


def _charts(sheets: dict, tables: list[Table]) -> None:
    """Native charts beside their tables (``sheets``: name -> (sheet, header row)), inside the
    area that prints; a table left out (a report of some tables) has none."""
    by_name = {t.name: t for t in tables}
    for name, draw in CHARTS.items():
        if name in sheets:
            ws, top = sheets[name]
            for chart, row in draw(ws, top, by_name[name]):
                _place(ws, top + row, len(by_name[name].columns), chart)


def _place(ws, row: int, width: int, chart) -> None:
    ws.add_chart(chart, f"{_letter(width + 2)}{row}")
    # the page turns landscape when the table and the chart beside it need it
    used = [ws.column_dimensions[_letter(c)].width or 8 for c in range(1, width + 2)]
    orient(ws, [*used, chart.width * 5.2])  # a chart's width is in cm, a column's about 0.19


def _category_pie(ws, top: int, t: Table):
    from openpyxl.chart import PieChart, Reference

    n = len(t.rows)
    pie = PieChart()
    pie.title = "分类施策"
    pie.add_data(Reference(ws, min_col=2, min_row=top, max_row=top + n), titles_from_data=True)
    pie.set_categories(Reference(ws, min_col=1, min_row=top + 1, max_row=top + n))
    pie.height, pie.width = 7, 10
    yield pie, 0


def _bars(ws, title: str, *, kind: str, data: tuple[int, int], labels: int, top: int, n: int):
    """A bar chart of columns ``data`` (first, last) of the ``n`` rows under header row ``top``,
    labelled by column ``labels``; ``kind`` col (upright) or bar (across)."""
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.type, chart.title = kind, title
    chart.add_data(
        Reference(ws, min_col=data[0], max_col=data[1], min_row=top, max_row=top + n),
        titles_from_data=True,
    )
    chart.set_categories(Reference(ws, min_col=labels, min_row=top + 1, max_row=top + n))
    return chart


def _exit_bars(ws, top: int, t: Table):
    from openpyxl.chart import BarChart, Reference

    townships = len(t.rows) - 2  # the last two rows are the county's year and target
    if townships <= 0:
        return
    bar = _bars(ws, "各乡镇脱贫人数", kind="col", data=(3, 3), labels=1, top=top, n=townships)
    bar.y_axis.title = "人"
    bar.height, bar.width = 6, 12
    yield bar, 0
    target = BarChart()
    target.type = "bar"
    target.title = "全县脱贫人数与年度目标"
    rows = {"min_row": top + townships + 1, "max_row": top + townships + 2}
    target.add_data(Reference(ws, min_col=3, **rows), titles_from_data=False)
    target.set_categories(Reference(ws, min_col=1, **rows))
    target.legend = None
    target.height, target.width = 4, 12
    yield target, 13


def _fund_bars(ws, top: int, t: Table):
    money = _bars(ws, "各渠道资金", kind="col", data=(2, 4), labels=1, top=top, n=len(t.rows))
    money.height, money.width = 7, 14
    yield money, 0


def _measure_bars(ws, top: int, t: Table):
    n = sum(1 for r in t.rows if r[0] == "县")  # the county's rows come first
    if n:
        done = _bars(ws, "全县措施计划与落实(户)", kind="bar", data=(5, 6), labels=4, top=top, n=n)
        done.height, done.width = 8, 12
        yield done, 0


CHARTS = {
    "categories": _category_pie,
    "exits": _exit_bars,
    "funds": _fund_bars,
    "measures": _measure_bars,
}


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column)
