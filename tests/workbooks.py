"""Reading back the workbooks fupin writes, wherever their title block puts the table."""

from __future__ import annotations

from typing import Any

from openpyxl.worksheet.worksheet import Worksheet


def header_at(ws: Worksheet, first: str) -> int:
    """The row whose first cell is the header ``first`` (below the sheet's title block)."""
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value == first:
            return row[0].row
    raise AssertionError(f"no header row starting {first!r} on sheet {ws.title}")


def table(ws: Worksheet, first: str) -> list[list[Any]]:
    """The header row starting with ``first`` and every row under it, as lists."""
    top = header_at(ws, first)
    return [list(r) for r in ws.iter_rows(min_row=top, values_only=True)]


def records(ws: Worksheet, first: str) -> list[dict[str, Any]]:
    head, *rows = table(ws, first)
    return [dict(zip(head, r, strict=True)) for r in rows]


def title_block(ws: Worksheet, first: str) -> list[str]:
    """The lines above the header row: title, scope and period, 制表单位…"""
    top = header_at(ws, first)
    return [r[0] for r in ws.iter_rows(max_row=top - 1, max_col=1, values_only=True)]


def section(ws: Worksheet, caption: str) -> list[list[Any]]:
    """A section of a card sheet: its header row and its rows, up to the blank row after it."""
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r[0] == caption and not any(r[1:]))
    out = []
    for r in rows[start + 1 :]:
        if not any(v is not None for v in r):
            break
        out.append(r)
    width = next((i for i, v in enumerate(out[0]) if v is None), len(out[0]))
    return [r[:width] for r in out]  # the sheet is as wide as its widest section


def facts(ws: Worksheet) -> dict[str, Any]:
    """The label-value pairs of a card (项目 内容 项目 内容 …), or of a two-column sheet."""
    top = header_at(ws, next(c.value for c in ws[_first_header(ws)] if c.value))
    out: dict[str, Any] = {}
    for r in ws.iter_rows(min_row=top + 1, values_only=True):
        if not any(v is not None for v in r):
            break
        for i in range(0, len(r) - 1, 2):
            if r[i] is not None:
                out[r[i]] = r[i + 1]
    return out


def _first_header(ws: Worksheet) -> int:
    for row in ws.iter_rows(min_col=1, max_col=1):
        if isinstance(row[0].value, str) and row[0].value.startswith("项目"):
            return row[0].row
    raise AssertionError(f"no 项目 header on sheet {ws.title}")


def error_rows(path) -> list[tuple]:
    """An error workbook's header row (行号 列 原因 …) and its rows, under its title block."""
    from openpyxl import load_workbook

    ws = load_workbook(path)["错误行"]
    return list(ws.iter_rows(min_row=header_at(ws, "行号"), values_only=True))
