from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin_cli.core.money import (
    MAX_FEN,
    MoneyError,
    _parse_exact,
    fen_to_yuan,
    format_fen,
    parse_money,
)

FORMS = "write it like 80000, 80,000.50 or 8万"


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        (80000, 8_000_000),
        (0, 0),
        (2952.1, 295_210),
        (2952.0, 295_200),
        (0.1 + 0.2, 30),
        (885.5999999999999, 88_560),
        (Decimal("12.34"), 1_234),
        ("80000", 8_000_000),
        ("80,000.50", 8_000_050),
        ("80，000", 8_000_000),
        ("8万", 8_000_000),
        ("8.5万元", 8_500_000),
        ("8.12345万", 8_123_450),
        ("￥1,200", 120_000),
        ("¥1200", 120_000),
        ("1200元", 120_000),
        ("1,200.00 元", 120_000),
        ("１２００．５", 120_050),
        ("１，２００", 120_000),
        (" 1 200 ", 120_000),
        ("0.05", 5),
        (".5", 50),
        ("1,234,567.89", 123_456_789),
    ],
)
def test_parse_money(value: object, fen: int) -> None:
    assert parse_money(value) == fen


@pytest.mark.parametrize(
    ("value", "fen"),
    [(-5, -500), (-2952.1, -295_210), ("-5", -500), ("-￥1,200", -120_000), ("¥-5", -500)],
)
def test_negative_when_allowed(value: object, fen: int) -> None:
    assert parse_money(value, allow_negative=True) == fen


@pytest.mark.parametrize("value", [-5, -0.01, "-5", "-￥1,200", "¥-5", "-1万"])
def test_negative_rejected_by_default(value: object) -> None:
    with pytest.raises(MoneyError) as caught:
        parse_money(value)
    assert str(caught.value) == f"negative amount '{value}' is not allowed here"


def test_negative_zero_is_zero() -> None:
    assert parse_money("-0") == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", f"blank amount; {FORMS}"),
        ("  ", f"blank amount; {FORMS}"),
        ("abc", f"'abc' is not an amount of money; {FORMS}"),
        ("八万", f"'八万' is not an amount of money; {FORMS}"),
        ("8,0000", f"'8,0000' is not an amount of money; {FORMS}"),
        ("1,5", f"'1,5' is not an amount of money; {FORMS}"),
        ("1.", f"'1.' is not an amount of money; {FORMS}"),
        ("-¥-5", f"'-¥-5' is not an amount of money; {FORMS}"),
        ("5-", f"'5-' is not an amount of money; {FORMS}"),
        ("1e5", f"'1e5' is not an amount of money; {FORMS}"),
        (True, f"'True' is not an amount of money; {FORMS}"),
        (False, f"'False' is not an amount of money; {FORMS}"),
        (None, f"'None' is not an amount of money; {FORMS}"),
        (float("nan"), f"'nan' is not an amount of money; {FORMS}"),
        (float("inf"), f"'inf' is not an amount of money; {FORMS}"),
        (Decimal("NaN"), f"'NaN' is not an amount of money; {FORMS}"),
        ("1.234", "'1.234' has fractions of a fen; amounts go to 2 decimal places"),
        (1.234, "'1.234' has fractions of a fen; amounts go to 2 decimal places"),
        ("8.1234567万", "'8.1234567万' has fractions of a fen; amounts go to 2 decimal places"),
    ],
)
def test_rejections(value: object, message: str) -> None:
    with pytest.raises(MoneyError) as caught:
        parse_money(value)
    assert str(caught.value) == message


def test_money_error_is_a_value_error() -> None:
    assert issubclass(MoneyError, ValueError)


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (8_000_000, "80,000.00"),
        (0, "0.00"),
        (5, "0.05"),
        (295_210, "2,952.10"),
        (123_456_789, "1,234,567.89"),
        (-5, "-0.05"),
        (-8_000_050, "-80,000.50"),
    ],
)
def test_format_fen(fen: int, text: str) -> None:
    assert format_fen(fen) == text


def test_fen_to_yuan() -> None:
    assert fen_to_yuan(295_210) == Decimal("2952.10")
    assert str(fen_to_yuan(295_210)) == "2952.10"
    assert str(fen_to_yuan(5)) == "0.05"
    assert str(fen_to_yuan(-5)) == "-0.05"
    assert str(fen_to_yuan(0)) == "0.00"


@given(st.integers(min_value=0, max_value=MAX_FEN))
def test_format_then_parse_round_trips(fen: int) -> None:
    assert parse_money(format_fen(fen)) == fen


@given(st.integers(min_value=-MAX_FEN, max_value=MAX_FEN))
def test_format_then_parse_round_trips_with_sign(fen: int) -> None:
    assert parse_money(format_fen(fen), allow_negative=True) == fen


@pytest.mark.parametrize(
    "value",
    [MAX_FEN / 100 + 0.01, 10**11, "90000000000000000", 1e20, "9999999999999999万"],
)
def test_an_amount_beyond_any_county_is_refused(value) -> None:
    """Above 100亿元 a cell is a pasted account or ID number, not money; refusing it keeps every
    sum of the ledger inside the database's 64-bit integers."""
    with pytest.raises(MoneyError, match="more than 100亿元"):
        parse_money(value, allow_negative=True)
    with pytest.raises(MoneyError, match="more than 100亿元"):
        parse_money(f"-{value}" if isinstance(value, str) else -value, allow_negative=True)
    assert parse_money(MAX_FEN // 100) == MAX_FEN


@given(st.integers(min_value=0, max_value=10**12))
def test_float_yuan_with_two_decimals_is_exact(fen: int) -> None:
    # What Excel hands over for a cell showing e.g. 2952.10: the nearest float to fen / 100.
    assert parse_money(fen / 100) == fen


@given(st.integers(min_value=0, max_value=MAX_FEN))
def test_fen_to_yuan_is_exact(fen: int) -> None:
    assert fen_to_yuan(fen) * 100 == fen
    assert parse_money(fen_to_yuan(fen)) == fen


def _both_ways(value: object) -> tuple[object, object]:
    def outcome(parse):
        try:
            return parse()
        except MoneyError as exc:
            return str(exc)

    fast = outcome(lambda: parse_money(value))
    return fast, outcome(lambda: _parse_exact(value, False))


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_float_reads_as_the_decimal_path_reads_it(value: float) -> None:
    fast, exact = _both_ways(value)
    assert fast == exact and type(fast) is type(exact)


@given(st.integers(min_value=0, max_value=10**15 + 10**3), st.sampled_from([100, 1000, 10]))
def test_a_float_of_fen_reads_as_the_decimal_path_reads_it(fen: int, scale: int) -> None:
    for value in (fen / scale, fen / scale + 1e-9, (fen + 0.5) / 100, fen * 0.01):
        fast, exact = _both_ways(value)
        assert fast == exact and type(fast) is type(exact)


def test_float_noise_beyond_15_digits_still_reads_as_excel_shows_it() -> None:
    assert parse_money(0.1 + 0.2) == 30  # 0.30000000000000004: not the float nearest 0.30


@pytest.mark.parametrize(
    "value", [date(1902, 5, 19), datetime(1902, 5, 19, 8, 30), time(8, 30), timedelta(days=3)]
)
def test_an_amount_in_a_cell_formatted_as_a_date_says_so(value):
    with pytest.raises(MoneyError, match="it is formatted as one; format the column as a number"):
        parse_money(value)
