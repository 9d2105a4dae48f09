"""Turn spreadsheet rows into checked values, fast, with a reason for every fault.

A ``Plan`` lists the columns a command reads: field key, parser, required. ``plan.parse(cells)``
returns ``{key: value}`` (``None`` for a blank: unknown, never "no") or raises ``RowFault``
naming the column's header as the sheet shows it. Parsers of columns with few distinct values
(codes, yes/no, dates) memoise their results, so a county file costs dictionary look-ups.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fupin_cli.core.codes import Coded, clean_text, parse_yes_no
from fupin_cli.core.dates import parse_date, parse_record_date
from fupin_cli.core.faults import Invalid, zh_of
from fupin_cli.core.idcard import normalise_id
from fupin_cli.core.money import parse_money
from fupin_cli.core.text import cell_fault
from fupin_cli.io.errors_file import Rejected
from fupin_cli.io.sheets import Table
from fupin_cli.policyfile import input_limits

Parser = Callable[[Any], Any]
MAX_CELL_CHARS = input_limits().max_cell_chars  # a longer text cell is a rejected row


class RowFault(Exception):
    """One cell (or the row) is wrong: ``column`` is the header shown to the cadre ('' for the
    row), ``reason`` the English and ``zh`` the Chinese reason (core.faults)."""

    def __init__(self, column: str, reason: str, *, zh: str) -> None:
        super().__init__(f"{column}: {reason}" if column else reason)
        self.column = column
        self.reason = reason
        self.zh = zh

    def rejected(self, row: int, cells: Sequence[Any]) -> Rejected:
        """The row as the error workbook shows it."""
        return Rejected(row, cells, self.column, self.reason, self.zh)

    @classmethod
    def of(cls, column: str, exc: BaseException) -> RowFault:
        """The fault of a cell whose parser raised ``exc`` (an ``Invalid``)."""
        return cls(column, str(exc), zh=zh_of(exc))


def blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str:
    if type(value) is str and (len(value) > MAX_CELL_CHARS or not value.isprintable()):
        if fault := cell_fault(value, MAX_CELL_CHARS):
            raise fault
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def digits_text(value: Any) -> str:
    """A code-like text (户编号, 工号, 电话), NFKC-normalised without spaces: numbers typed as
    numbers keep their digits if exact."""
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= 1e15:
            raise Invalid(
                "stored as a number, digits may be lost — format the column as text and retype",
                zh="存成了数字，可能丢了位数——请将该列设为文本格式后重新录入",
            )
        value = int(value)
    code = clean_text(value)  # full-width ４３０７… is the same 户编号 as 4307…
    if _SHORT_FORM.fullmatch(code):
        raise Invalid(
            f"'{code}' is a number as Excel shows it in short form, its digits lost — format "
            "the column as text and retype",
            zh=f"'{code}' 是 Excel 显示的科学计数法数字，位数已丢失——请将该列设为文本格式后重新录入",
        )
    return code


_SHORT_FORM = re.compile(r"\d+(?:\.\d+)?E\+\d+", re.IGNORECASE)  # 4.30725E+12


# Counts, populations, years, areas and scales in a county's sheets stay far below this; a larger
# number is a pasted ID or account number, or a typo, and would not fit the database's integers.
LARGEST = 1_000_000_000


def integer(value: Any) -> int:
    """A whole number of 0 or more (a count, a population, a year), at most ``LARGEST``."""
    if isinstance(value, bool):
        raise _not_whole(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise _not_whole(value)
        n = int(value)
    elif isinstance(value, int):
        n = value
    else:
        t = "".join(str(value).replace(",", "").replace("，", "").split())
        if not t.lstrip("-").isdigit():
            raise _not_whole(value)
        n = int(t)
    if n < 0:
        raise Invalid(f"must be 0 or more, not {n}", zh=f"不能小于0，而此格为 {n}")
    if n > LARGEST:
        raise _too_large(value)
    return n


def _not_whole(value: Any) -> Invalid:
    return Invalid(f"'{value}' is not a whole number", zh=f"'{value}' 不是整数")


def _not_number(value: Any) -> Invalid:
    return Invalid(f"'{value}' is not a number", zh=f"'{value}' 不是数字")


def _too_large(value: Any) -> Invalid:
    return Invalid(
        f"'{value}' is too large for this column; check the cell",
        zh=f"'{value}' 对这一列来说太大了；请核对此格",
    )


def number(value: Any) -> float:
    """A finite number of at most ``LARGEST`` either way (an area, a scale)."""
    if isinstance(value, bool):
        raise _not_number(value)
    if isinstance(value, (int, float)):
        v = float(value)
    else:
        try:
            v = float("".join(str(value).replace(",", "").split()))
        except ValueError:
            raise _not_number(value) from None
    if not math.isfinite(v):
        raise _not_number(value)
    if abs(v) > LARGEST:
        raise _too_large(value)
    return v


def code(codes: type[Coded]) -> Parser:
    return codes.parse


@dataclass(frozen=True)
class Col:
    key: str
    parse: Parser
    required: bool = False
    cached: bool = True


YES_NO = parse_yes_no
MONEY = parse_money
DATE = parse_date
RECORD_DATE = parse_record_date  # the date of a record of the work (1990–2100)
ID = normalise_id
TEXT = text


class _Fault:
    __slots__ = ("exc",)

    def __init__(self, exc: ValueError) -> None:
        self.exc = exc


_MISS = object()


class Plan:
    """The columns of a table that a command reads, bound to their positions.

    This is the hot loop of a county import (≈ 20 million cells): answers of cached columns are
    kept per raw value, faults included, so a repeated cell costs one dictionary look-up.
    """

    def __init__(self, table: Table, cols: Sequence[Col]) -> None:
        self.table = table
        self.absent = {c.key: None for c in cols if c.key not in table.columns}
        self.absent_required = [c for c in cols if c.required and c.key not in table.columns]
        self.width = max(table.columns.values(), default=-1) + 1
        self.steps = [
            (
                c.key,
                table.columns[c.key],
                c.parse,
                c.required,
                table.header_of(c.key),
                {} if c.cached else None,
            )
            for c in cols
            if c.key in table.columns
        ]

    def parse(self, cells: Sequence[Any], *, given_only: bool = False) -> dict[str, Any]:
        """``{key: value}`` with ``None`` for blanks; with ``given_only`` only the filled cells."""
        if self.absent_required:
            c = self.absent_required[0]
            raise RowFault(c.key, "column missing; add it to the sheet", zh="缺少这一列；请加上")
        if len(cells) < self.width:
            cells = [*cells, *([""] * (self.width - len(cells)))]
        out: dict[str, Any] = {} if given_only else dict(self.absent)
        for key, idx, parse, required, header, cache in self.steps:
            raw = cells[idx]
            if raw == "" or raw is None or (type(raw) is str and raw.isspace()):
                if required:
                    raise blank_fault(header)
                if not given_only:
                    out[key] = None
                continue
            if (
                cache is not None and raw is not True and raw is not False
            ):  # True == 1 as a dict key
                hit = cache.get(raw, _MISS)
                if hit is _MISS:
                    try:
                        hit = parse(raw)
                    except ValueError as exc:
                        hit = _Fault(exc)
                    cache[raw] = hit
                if type(hit) is _Fault:
                    raise RowFault.of(header, hit.exc)
                out[key] = hit
                continue
            try:
                out[key] = parse(raw)
            except ValueError as exc:
                raise RowFault.of(header, exc) from None
        return out


def unknown_household(header: str, no: str) -> RowFault:
    """A 户编号 the register does not hold."""
    return RowFault(
        header,
        f"no household {no} in the register; check the 户编号",
        zh=f"库中没有户 {no}；请核对户编号",
    )


def blank_fault(header: str) -> RowFault:
    """A required cell left blank."""
    return RowFault(header, "blank; fill it in", zh="此格为空；请填写")


def row_is_blank(cells: Sequence[Any]) -> bool:
    return all(blank(c) for c in cells)
