"""Dates as they arrive from spreadsheets: date objects, Excel serial numbers, or text."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from fupin_cli.core.faults import Invalid

_FORMS = "write it like 2016-09-30"
_FORMS_ZH = "请写成 2016-09-30 这样的日期"
# Excel's 1900 date system: serial 1 is 1900-01-01, and serial 60 is 1900-02-29, a day that never
# was (kept for Lotus 1-2-3 compatibility); from serial 61 on, day 0 is 1899-12-30.
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_FAKE_LEAP_DAY = 60
_EXCEL_LAST_SERIAL = 2958465  # 9999-12-31
# An optional time after a date is accepted and dropped: " 00:00:00", "T08:00", " 8:00:00.000".
_TIME = r"(?:(?:T|\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_PATTERNS = [
    re.compile(r"(?P<y>\d{4})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})" + _TIME, re.A),
    re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日?", re.A),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})", re.A),
]


# The years a record of the programme's work may carry (a ledger entry, a loan, a visit, a
# measure, a team's posting), and that --year and --quarter accept (core.periods).
FIRST_YEAR, LAST_YEAR = 1990, 2100


class DateError(Invalid):
    """A value that is not a real date; the message shows the form that works."""


def parse_date(value: Any) -> date:
    """A date, datetime (its day), Excel serial (1900 system) or date text → ``date``. An
    eight-digit whole number is 20160930 typed into a cell Excel took for a number (no serial
    has eight digits).

    Text may be 2016-09-30, 2016/9/30, 2016.9.30, 2016年9月30日 or 20160930, in full-width digits
    too, with an optional time of day after it.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isfinite(value) and value == int(value) and len(str(int(value))) == 8:
            return parse_date(str(int(value)))  # 20160930 typed into a cell taken for a number
        return _from_serial(value)
    if not isinstance(value, str):
        raise DateError(f"'{value}' is not a date; {_FORMS}", zh=f"'{value}' 不是日期；{_FORMS_ZH}")
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        raise DateError(f"blank date; {_FORMS}", zh=f"日期为空；{_FORMS_ZH}")
    match = next(filter(None, (pattern.fullmatch(text) for pattern in _PATTERNS)), None)
    if match is None:
        raise DateError(
            f"'{value.strip()}' is not a date; {_FORMS}",
            zh=f"'{value.strip()}' 不是日期；{_FORMS_ZH}",
        )
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        raise DateError(
            f"impossible date '{value.strip()}'; {_FORMS}",
            zh=f"日期 '{value.strip()}' 不存在；{_FORMS_ZH}",
        ) from None


def parse_record_date(value: Any) -> date:
    """``parse_date`` for the date of a record of the work: within FIRST_YEAR–LAST_YEAR, so a
    typed 2106 for 2016 or a 9999-12-31 placeholder is refused, not kept for good."""
    day = parse_date(value)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise DateError(
            f"{as_written(value, day)} is outside the years {FIRST_YEAR}–{LAST_YEAR}; check "
            "the year",
            zh=f"{as_written(value, day, zh=True)} 不在 {FIRST_YEAR}–{LAST_YEAR} 年之间；请核对年份",
        )
    return day


def as_written(value: Any, day: date, *, zh: bool = False) -> str:
    """A date cell as a message names it: the day, or the number the cell holds with the day
    Excel counts it as (2016.07 in a date cell is 1905-07-08); in Chinese with ``zh``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        shown = int(value) if value == int(value) else value
        if len(str(shown)) == 8:  # 20160930, read as that day
            if zh:
                return f"数字 {shown}（读作 {day.isoformat()}）"
            return f"the number {shown} (read as {day.isoformat()})"
        if zh:
            return f"数字 {shown}（Excel 记作 {day.isoformat()}）"
        return f"the number {shown} (Excel's day {day.isoformat()})"
    if zh:
        return day.isoformat()
    return day.isoformat()


def _from_serial(serial: float) -> date:
    """Excel serial → date; a fractional part (time of day) is dropped."""
    if not math.isfinite(serial) or not 1 <= serial < _EXCEL_LAST_SERIAL + 1:
        raise DateError(
            f"Excel date number {serial} is out of range (1 to {_EXCEL_LAST_SERIAL}); {_FORMS}",
            zh=f"Excel 日期数字 {serial} 超出范围（1 至 {_EXCEL_LAST_SERIAL}）；{_FORMS_ZH}",
        )
    day = int(serial)
    if day == _EXCEL_FAKE_LEAP_DAY:
        raise DateError(
            f"impossible date: Excel date number {serial} is 1900-02-29; {_FORMS}",
            zh=f"日期不存在：Excel 日期数字 {serial} 是 1900-02-29；{_FORMS_ZH}",
        )
    if day < _EXCEL_FAKE_LEAP_DAY:
        day += 1  # before the fake leap day Excel counts one day behind the real calendar
    return _EXCEL_EPOCH + timedelta(days=day)


# -- the day a command judges the register on ---------------------------------------------------

GIVEN, REGISTER, TODAY = "given", "register", "today"


@dataclass(frozen=True)
class AsOf:
    """The day a command judges the register on (基准日期), and where that day came from:
    ``given`` (--as-of), ``register`` (the as-of of its latest identification) or ``today``
    (a register not identified yet)."""

    day: date
    source: str

    def describe(self) -> str:
        why = {
            GIVEN: "given with --as-of",
            REGISTER: "the register's date, its latest identification; --as-of to judge another day",
            TODAY: "today: the register holds no identification yet",
        }[self.source]
        return f"as of {self.day.isoformat()} ({why})"


def choose_as_of(given: date | None, register_day: date | None, today: date) -> AsOf:
    """The day to judge on: the one given, else the register's own date, never after today.

    A register is judged as of its data, not the wall clock: classifying in January a roster
    identified as of 2016-09-30 gives the plans of 2016-09-30, which the quarter's report finds."""
    if given is not None:
        return AsOf(given, GIVEN)
    if register_day is not None:
        return AsOf(min(register_day, today), REGISTER)
    return AsOf(today, TODAY)
