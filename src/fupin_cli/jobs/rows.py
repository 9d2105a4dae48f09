"""Turn spreadsheet rows into checked values, fast, with a reason for every fault.

A ``Plan`` lists the columns a command reads: field key, parser, required. ``plan.parse(cells)``
returns ``{key: value}`` (``None`` for a blank: unknown, never "no") or raises ``RowFault``
naming the column's header as the sheet shows it. Parsers of columns with few distinct values
(codes, yes/no, dates) memoise their results, so a county file costs dictionary look-ups.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fupin_cli.core.codes import Coded, parse_yes_no
from fupin_cli.core.dates import parse_date
from fupin_cli.core.idcard import normalise_id
from fupin_cli.core.money import parse_money
from fupin_cli.io.sheets import Table

Parser = Callable[[Any], Any]
_FAULT = object()


class RowFault(Exception):
    """One cell (or the row) is wrong: ``column`` is the header shown to the cadre ('' for the row)."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(f"{column}: {reason}" if column else reason)
        self.column = column
        self.reason = reason


def blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def digits_text(value: Any) -> str:
    """A code-like text (户编号, 工号, 电话): numbers typed as numbers keep their digits if exact."""
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= 1e15:
            raise ValueError(
                "stored as a number, digits may be lost — format the column as text and retype"
            )
        value = int(value)
    return "".join(str(value).split())


def integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"'{value}' is not a whole number")
        return int(value)
    if isinstance(value, int):
        return value
    t = "".join(str(value).replace(",", "").replace("，", "").split())
    if not t.lstrip("-").isdigit():
        raise ValueError(f"'{value}' is not a whole number")
    return int(t)


def number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a number")
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float("".join(str(value).replace(",", "").split()))
    except ValueError:
        raise ValueError(f"'{value}' is not a number") from None


def code(codes: type[Coded]) -> Parser:
    return codes.parse


def memo(parse: Parser) -> Parser:
    """Cache a parser's answers (and its faults) by the raw cell value."""
    cache: dict[Any, Any] = {}

    def parsed(value: Any) -> Any:
        try:
            hit = cache[value]
        except KeyError:
            try:
                hit = parse(value)
            except ValueError as exc:
                hit = (_FAULT, str(exc))
            except TypeError:  # unhashable never happens for cells; be safe
                return parse(value)
            cache[value] = hit
        if type(hit) is tuple and hit and hit[0] is _FAULT:
            raise ValueError(hit[1])
        return hit

    return parsed


@dataclass(frozen=True)
class Col:
    key: str
    parse: Parser
    required: bool = False
    cached: bool = True


YES_NO = parse_yes_no
MONEY = parse_money
DATE = parse_date
ID = normalise_id
TEXT = text


class Plan:
    """The columns of a table that a command reads, bound to their positions."""

    def __init__(self, table: Table, cols: Sequence[Col]) -> None:
        self.table = table
        self.steps: list[tuple[str, int | None, Parser, bool, str]] = []
        for c in cols:
            idx = table.columns.get(c.key)
            parse = memo(c.parse) if c.cached else c.parse
            self.steps.append((c.key, idx, parse, c.required, table.header_of(c.key)))

    def parse(self, cells: Sequence[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        n = len(cells)
        for key, idx, parse, required, header in self.steps:
            raw = cells[idx] if idx is not None and idx < n else None
            if raw is None or raw == "" or (type(raw) is str and raw.isspace()):
                if required:
                    raise RowFault(header, "blank; fill it in")
                out[key] = None
                continue
            try:
                out[key] = parse(raw)
            except ValueError as exc:
                raise RowFault(header, str(exc)) from None
        return out


def row_is_blank(cells: Sequence[Any]) -> bool:
    return all(blank(c) for c in cells)
