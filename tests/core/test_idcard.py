from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric
from stdnum.iso7064 import mod_11_2

from fupin_cli.core.codes import Sex
from fupin_cli.core.idcard import (
    IdCard,
    IdCardError,
    age_on,
    check_digit,
    mask_id,
    mask_phone,
    normalise_id,
    parse_id,
)

NUMBER_HINT = (
    "stored as a number (Excel keeps 15 digits of a number, and no X) — format the column as "
    "text and retype"
)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

MALE_ID = "430725199001011235"
FEMALE_X_ID = "43072519900101126X"


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("43072519900101123", "5"),
        ("43072519900101126", "X"),
        ("11010519491231002", "X"),
        ("43072519900101120", "0"),
        ("43072520000229556", "2"),
    ],
)
def test_check_digit(first17: str, expected: str) -> None:
    assert check_digit(first17) == expected
    assert mod_11_2.calc_check_digit(first17) == expected
    assert ric.is_valid(first17 + expected)


@pytest.mark.parametrize(
    "first17", ["4307251990010112", "4307251990010112X", "", "４３０７２５１９９００１０１１２３"]
)
def test_check_digit_needs_17_ascii_digits(first17: str) -> None:
    with pytest.raises(IdCardError, match="need 17 digits"):
        check_digit(first17)


def test_valid_numbers_pass_unchanged() -> None:
    assert normalise_id(MALE_ID) == MALE_ID
    assert normalise_id(FEMALE_X_ID) == FEMALE_X_ID
    assert normalise_id("11010519491231002X") == "11010519491231002X"


def test_parse_id() -> None:
    assert parse_id(MALE_ID) == IdCard(
        number=MALE_ID, birth_date=date(1990, 1, 1), sex=Sex.MALE, region="430725"
    )
    assert parse_id(FEMALE_X_ID) == IdCard(
        number=FEMALE_X_ID, birth_date=date(1990, 1, 1), sex=Sex.FEMALE, region="430725"
    )
    assert parse_id("430725200002295562").birth_date == date(2000, 2, 29)


def test_bad_check_digit() -> None:
    with pytest.raises(IdCardError) as caught:
        normalise_id("43072519900101123X")
    assert str(caught.value) == "bad check digit: 43072519900101123X should end in 5"


def test_fifteen_digit_number_is_upgraded() -> None:
    assert normalise_id("430725900101123") == "43072519900101123" + "5"
    card = parse_id("430725900101123")
    assert card == IdCard(
        number="430725199001011235", birth_date=date(1990, 1, 1), sex=Sex.MALE, region="430725"
    )


def test_fifteen_digit_number_with_impossible_date() -> None:
    with pytest.raises(IdCardError) as caught:
        normalise_id("430725901301123")
    assert str(caught.value) == "impossible birth date 19901301 in the ID number"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (430725199001011235, "430725199001011235"),
        (4.30725199001011e17, "430725199001011000"),  # as Excel shows it: 15 digits
        (430725900101123, "430725900101123"),
        (430725900101123.0, "430725900101123"),  # a 15-digit number keeps its digits, no ".0"
        (4307.5, "4307.5"),
    ],
)
def test_numbers_are_rejected(value: int | float, shown: str) -> None:
    with pytest.raises(IdCardError) as caught:
        normalise_id(value)
    assert str(caught.value) == f"ID number {shown} {NUMBER_HINT}"


@pytest.mark.parametrize(
    "value", ["4.30725199001011e+17", "4.30725E+17", " 4.30725E+17 ", "4E17", "430725900101123.0"]
)
def test_scientific_notation_text_is_rejected(value: str) -> None:
    with pytest.raises(IdCardError) as caught:
        normalise_id(value)
    assert str(caught.value) == f"ID number '{value.strip()}' {NUMBER_HINT}"


@pytest.mark.parametrize(
    "value",
    [
        "４３０７２５１９９００１０１１２６ｘ",
        " 430725 19900101 126x ",
        "430725\u300019900101126X",
        "43072519900101126x",
        "\t43072519900101126X\n",
    ],
)
def test_full_width_spaces_and_lower_case_x(value: str) -> None:
    assert normalise_id(value) == FEMALE_X_ID


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("430725199013401235", "impossible birth date 19901340 in the ID number"),
        ("430725199002301235", "impossible birth date 19900230 in the ID number"),
        ("430725189901011235", "impossible birth date 18990101 in the ID number"),
        ("430725210101011235", "impossible birth date 21010101 in the ID number"),
        ("4307251990010112", "not an ID number: 16 digits"),
        ("43072519900101123", "not an ID number: 17 digits"),
        ("4307251990010112350", "not an ID number: 19 digits"),
        ("", "not an ID number: blank"),
        ("   ", "not an ID number: blank"),
        (
            "43O725199001011235",
            "not an ID number: '43O725199001011235' should be digits, with X allowed only at the end",
        ),
        (
            "4307251990010112X5",
            "not an ID number: '4307251990010112X5' should be digits, with X allowed only at the end",
        ),
        ("张三", "not an ID number: '张三' has 2 characters, not 18"),
        (None, "not an ID number: None"),
        (True, "not an ID number: True"),
    ],
)
def test_rejections(value: object, message: str) -> None:
    with pytest.raises(IdCardError) as caught:
        normalise_id(value)
    assert str(caught.value) == message


def test_id_card_error_is_a_value_error() -> None:
    assert issubclass(IdCardError, ValueError)


@pytest.mark.parametrize(
    ("on", "age"),
    [
        (date(2016, 9, 29), 26),
        (date(2016, 9, 30), 27),
        (date(2016, 12, 31), 27),
        (date(1989, 9, 30), 0),
        (date(1989, 9, 29), -1),
    ],
)
def test_age_on(on: date, age: int) -> None:
    assert age_on(date(1989, 9, 30), on) == age


def test_age_on_leap_day_birthday() -> None:
    born = date(2000, 2, 29)
    assert age_on(born, date(2017, 2, 28)) == 16
    assert age_on(born, date(2017, 3, 1)) == 17
    assert age_on(born, date(2016, 2, 29)) == 16


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("430725199001011235", "430725********1235"),
        ("43072519900101126X", "430725********126X"),
        ("430725900101123", "430**********23"),
        ("123456", "123*56"),
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_mask_id(number: str, masked: str) -> None:
    assert mask_id(number) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("074512345678", "074*****5678"),
        ("07451234", "074*1234"),
        ("1234567", "*******"),
        ("110", "***"),
        ("", ""),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


# A valid 17-digit body: any region, a real birth date 1900-2100, any 3-digit sequence.
bodies = st.builds(
    lambda region, born, sequence: f"{region}{born:%Y%m%d}{sequence}",
    st.from_regex(r"[1-9][0-9]{5}", fullmatch=True),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.from_regex(r"[0-9]{3}", fullmatch=True),
)


@given(bodies)
def test_valid_body_plus_check_digit_round_trips(body: str) -> None:
    number = body + check_digit(body)
    assert normalise_id(number) == number
    assert normalise_id(number.lower()) == number
    assert mod_11_2.is_valid(number)
    card = parse_id(number)
    assert card.birth_date.strftime("%Y%m%d") == body[6:14]
    assert card.sex is (Sex.MALE if int(body[16]) % 2 else Sex.FEMALE)


@given(st.from_regex(r"[0-9]{17}", fullmatch=True))
def test_check_digit_matches_the_weighted_sum(first17: str) -> None:
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    assert check_digit(first17) == "10X98765432"[total % 11]


@given(bodies, st.sampled_from("0123456789X"))
def test_only_the_right_check_digit_passes(body: str, last: str) -> None:
    right = check_digit(body)
    if last == right:
        assert normalise_id(body + last) == body + last
    else:
        with pytest.raises(IdCardError, match=f"should end in {right}$"):
            normalise_id(body + last)


@given(bodies.filter(lambda body: body[6:8] == "19"))
def test_fifteen_digit_form_upgrades_to_the_eighteen(body: str) -> None:
    old = body[:6] + body[8:]
    assert normalise_id(old) == body + check_digit(body)
