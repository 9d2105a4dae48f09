from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin_cli.core.dates import DateError, parse_date, parse_record_date

SEPT_30 = date(2016, 9, 30)


@pytest.mark.parametrize(
    "value",
    [
        date(2016, 9, 30),
        datetime(2016, 9, 30),
        datetime(2016, 9, 30, 23, 59, 59),
        42643,
        42643.0,
        42643.75,
        "2016-09-30",
        "2016-9-30",
        "2016/9/30",
        "2016/09/30",
        "2016.9.30",
        "2016年9月30日",
        "2016年09月30日",
        "2016 年 9 月 30 日",
        "2016年9月30",
        "20160930",
        "2016-09-30 00:00:00",
        "2016-09-30 08:15:00.000",
        "2016/9/30 0:00",
        "2016-9-30T08:00",
        " 2016-09-30 ",
        "２０１６－０９－３０",
        "２０１６年９月３０日",
        "２０１６０９３０",
    ],
)
def test_forms(value: object) -> None:
    assert parse_date(value) == SEPT_30


def test_datetime_becomes_a_plain_date() -> None:
    parsed = parse_date(datetime(2016, 9, 30, 8))
    assert type(parsed) is date


@pytest.mark.parametrize(
    ("serial", "day"),
    [
        (1, date(1900, 1, 1)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),
        (36526, date(2000, 1, 1)),
        (2958465, date(9999, 12, 31)),
        (2958465.99, date(9999, 12, 31)),
    ],
)
def test_excel_serials(serial: float, day: date) -> None:
    assert parse_date(serial) == day


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2016-02-30", "impossible date '2016-02-30'; write it like 2016-09-30"),
        ("2016-13-01", "impossible date '2016-13-01'; write it like 2016-09-30"),
        ("2015年2月29日", "impossible date '2015年2月29日'; write it like 2016-09-30"),
        ("20160931", "impossible date '20160931'; write it like 2016-09-30"),
        ("0000-01-01", "impossible date '0000-01-01'; write it like 2016-09-30"),
        ("", "blank date; write it like 2016-09-30"),
        ("  ", "blank date; write it like 2016-09-30"),
        ("abc", "'abc' is not a date; write it like 2016-09-30"),
        ("2016-09/30", "'2016-09/30' is not a date; write it like 2016-09-30"),
        ("16-9-30", "'16-9-30' is not a date; write it like 2016-09-30"),
        ("2016-09", "'2016-09' is not a date; write it like 2016-09-30"),
        ("42643", "'42643' is not a date; write it like 2016-09-30"),
        ("2016-09-30 8", "'2016-09-30 8' is not a date; write it like 2016-09-30"),
        (None, "'None' is not a date; write it like 2016-09-30"),
        (True, "'True' is not a date; write it like 2016-09-30"),
        (0, "Excel date number 0 is out of range (1 to 2958465); write it like 2016-09-30"),
        (0.5, "Excel date number 0.5 is out of range (1 to 2958465); write it like 2016-09-30"),
        (-1, "Excel date number -1 is out of range (1 to 2958465); write it like 2016-09-30"),
        (
            2958466,
            "Excel date number 2958466 is out of range (1 to 2958465); write it like 2016-09-30",
        ),
        (
            float("nan"),
            "Excel date number nan is out of range (1 to 2958465); write it like 2016-09-30",
        ),
        (60, "impossible date: Excel date number 60 is 1900-02-29; write it like 2016-09-30"),
    ],
)
def test_rejections(value: object, message: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_date(value)
    assert str(caught.value) == message


def test_date_error_is_a_value_error() -> None:
    assert issubclass(DateError, ValueError)


days = st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31))


@given(days)
def test_text_forms_round_trip(day: date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.year}/{day.month}/{day.day}") == day
    assert parse_date(f"{day.year}年{day.month}月{day.day}日") == day
    assert parse_date(day.strftime("%Y%m%d")) == day


@given(days)
def test_serials_count_days_from_1899_12_30(day: date) -> None:
    serial = (day - date(1899, 12, 30)).days
    assert parse_date(serial) == day
    assert parse_date(serial + 0.5) == day


@pytest.mark.parametrize("value", [20160930, 20160930.0])
def test_an_eight_digit_number_is_the_date_typed_without_separators(value):
    """20160930 typed into a cell Excel took for a number: no Excel serial has eight digits."""
    assert parse_date(value) == date(2016, 9, 30)
    assert parse_record_date(value) == date(2016, 9, 30)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (2016.07, "the number 2016.07 (Excel's day 1905-07-08) is outside the years 1990–2100"),
        (1959, "the number 1959 (Excel's day 1905-05-12) is outside the years 1990–2100"),
        ("1905-07-08", "1905-07-08 is outside the years 1990–2100"),
        (19890930, "the number 19890930 (read as 1989-09-30) is outside the years 1990–2100"),
    ],
)
def test_a_date_out_of_the_years_is_named_as_the_cell_holds_it(value, words):
    with pytest.raises(DateError, match=re.escape(words)):
        parse_record_date(value)


# -- the day a command judges the register on ---------------------------------------------------


def test_choose_as_of_prefers_the_day_given_then_the_register_never_after_today():
    from fupin_cli.core.dates import GIVEN, REGISTER, TODAY, AsOf, choose_as_of

    today, q3, later = date(2017, 1, 10), date(2016, 9, 30), date(2030, 1, 1)
    assert choose_as_of(q3, later, today) == AsOf(q3, GIVEN)
    assert choose_as_of(None, q3, today) == AsOf(q3, REGISTER)
    assert choose_as_of(None, later, today) == AsOf(today, REGISTER)  # never after today
    assert choose_as_of(None, None, today) == AsOf(today, TODAY)
    assert choose_as_of(None, q3, today).describe() == (
        "as of 2016-09-30 (the register's date, its latest identification; "
        "--as-of to judge another day)"
    )
