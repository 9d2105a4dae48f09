from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin_cli.core.periods import Period, PeriodError, parse_period, quarter_of, year_of

Q3_2016 = Period("2016Q3", date(2016, 7, 1), date(2016, 9, 30), 2016, 3)
YEAR_2016 = Period("2016", date(2016, 1, 1), date(2016, 12, 31), 2016, None)


@pytest.mark.parametrize(
    "text",
    [
        "2016Q3",
        "2016-Q3",
        "2016q3",
        "2016 Q3",
        " 2016-q3 ",
        "2016年第3季度",
        "2016年第三季度",
        "2016年3季度",
        "2016年第3季",
        "２０１６Ｑ３",
    ],
)
def test_quarter_forms(text: str) -> None:
    assert parse_period(text) == Q3_2016


@pytest.mark.parametrize("text", ["2016", " 2016 ", "2016年", "２０１６", 2016])
def test_year_forms(text: object) -> None:
    assert parse_period(text) == YEAR_2016


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2016Q1", date(2016, 1, 1), date(2016, 3, 31)),
        ("2016Q2", date(2016, 4, 1), date(2016, 6, 30)),
        ("2016Q3", date(2016, 7, 1), date(2016, 9, 30)),
        ("2016Q4", date(2016, 10, 1), date(2016, 12, 31)),
        ("1990Q1", date(1990, 1, 1), date(1990, 3, 31)),
        ("2100", date(2100, 1, 1), date(2100, 12, 31)),
    ],
)
def test_bounds(text: str, start: date, end: date) -> None:
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2016Q5", "'2016Q5' is not a quarter or a year; write it like 2016Q3 or 2016"),
        ("2016Q0", "'2016Q0' is not a quarter or a year; write it like 2016Q3 or 2016"),
        ("abc", "'abc' is not a quarter or a year; write it like 2016Q3 or 2016"),
        ("", "'' is not a quarter or a year; write it like 2016Q3 or 2016"),
        ("16Q3", "'16Q3' is not a quarter or a year; write it like 2016Q3 or 2016"),
        ("2016年3", "'2016年3' is not a quarter or a year; write it like 2016Q3 or 2016"),
        ("2016-09", "'2016-09' is not a quarter or a year; write it like 2016Q3 or 2016"),
        (True, "'True' is not a quarter or a year; write it like 2016Q3 or 2016"),
        ("1989", "year 1989 in '1989' is outside 1990–2100; write it like 2016Q3 or 2016"),
        ("2101Q1", "year 2101 in '2101Q1' is outside 1990–2100; write it like 2016Q3 or 2016"),
    ],
)
def test_rejections(text: object, message: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(text)
    assert str(caught.value) == message


def test_period_error_is_a_value_error() -> None:
    assert issubclass(PeriodError, ValueError)


def test_contains() -> None:
    assert Q3_2016.contains(date(2016, 7, 1))
    assert Q3_2016.contains(date(2016, 9, 30))
    assert Q3_2016.contains(datetime(2016, 9, 30, 23, 59))
    assert not Q3_2016.contains(date(2016, 6, 30))
    assert not Q3_2016.contains(date(2016, 10, 1))
    assert YEAR_2016.contains(date(2016, 12, 31))
    assert not YEAR_2016.contains(date(2017, 1, 1))


def test_quarter_of_and_year_of() -> None:
    assert quarter_of(date(2016, 9, 30)) == Q3_2016
    assert quarter_of(date(2016, 7, 1)) == Q3_2016
    assert quarter_of(date(2016, 12, 31)).label == "2016Q4"
    assert year_of(date(2016, 9, 30)) == YEAR_2016


days = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))


@given(days)
def test_every_day_lies_in_its_quarter_and_year(day: date) -> None:
    quarter = quarter_of(day)
    assert quarter.contains(day)
    assert year_of(day).contains(day)
    assert parse_period(quarter.label) == quarter
    assert parse_period(str(day.year)) == year_of(day)


@given(days)
def test_quarters_tile_the_year(day: date) -> None:
    quarter = quarter_of(day)
    if quarter.quarter == 4:
        assert quarter.end == year_of(day).end
    else:
        assert quarter_of(quarter.end + timedelta(days=1)).start == quarter.end + timedelta(days=1)
    if quarter.quarter == 1:
        assert quarter.start == year_of(day).start
