"""Reporting periods: a quarter ("2016Q3") or a whole year ("2016")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fupin_cli.core.codes import clean_text
from fupin_cli.core.dates import FIRST_YEAR, LAST_YEAR

_FORMS = "write it like 2016Q3 or 2016"
_QUARTER_END = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}
_CHINESE_NUMERALS = {"一": "1", "二": "2", "三": "3", "四": "4"}
# Matched after clean_text (no spaces) and upper(): 2016Q3, 2016-Q3 | 2016年第3季度, 2016年三季 | 2016.
_QUARTER = re.compile(r"(\d{4})-?Q([1-4])", re.A)
_CHINESE_QUARTER = re.compile(r"(\d{4})年第?([1-4一二三四])季度?", re.A)
_YEAR = re.compile(r"(\d{4})年?", re.A)


class PeriodError(ValueError):
    """Text that is not a quarter or a year; the message shows the forms that work."""


@dataclass(frozen=True, slots=True)
class Period:
    """A quarter (``quarter`` 1-4) or a whole year (``quarter`` None), both ends inclusive."""

    label: str
    start: date
    end: date
    year: int
    quarter: int | None

    def contains(self, d: date) -> bool:
        """Whether day ``d`` (a datetime counts by its date) falls inside the period."""
        if isinstance(d, datetime):
            d = d.date()
        return self.start <= d <= self.end


def quarter_of(d: date) -> Period:
    """The quarter that day ``d`` falls in."""
    return _quarter(d.year, (d.month - 1) // 3 + 1)


def year_of(d: date) -> Period:
    """The year that day ``d`` falls in."""
    return _year(d.year)


def parse_period(text: Any) -> Period:
    """Quarter ("2016Q3", "2016-q3", "2016 Q3", "2016年第3季度") or year ("2016") → Period."""
    if isinstance(text, bool):
        raise PeriodError(f"'{text}' is not a quarter or a year; {_FORMS}")
    cleaned = clean_text(text).upper()
    if match := _QUARTER.fullmatch(cleaned) or _CHINESE_QUARTER.fullmatch(cleaned):
        year, number = int(match[1]), int(_CHINESE_NUMERALS.get(match[2], match[2]))
    elif match := _YEAR.fullmatch(cleaned):
        year, number = int(match[1]), None
    else:
        raise PeriodError(f"'{text}' is not a quarter or a year; {_FORMS}")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(f"year {year} in '{text}' is outside {FIRST_YEAR}–{LAST_YEAR}; {_FORMS}")
    return _year(year) if number is None else _quarter(year, number)


def _quarter(year: int, number: int) -> Period:
    end_month, end_day = _QUARTER_END[number]
    start = date(year, end_month - 2, 1)
    return Period(f"{year}Q{number}", start, date(year, end_month, end_day), year, number)


def _year(year: int) -> Period:
    return Period(str(year), date(year, 1, 1), date(year, 12, 31), year, None)
