"""Money is an integer number of fen (分, 0.01 yuan) everywhere; this module reads and writes it.

Parsing goes through ``Decimal``, never float arithmetic, so 2952.1 yuan is exactly 295210 fen.
"""

from __future__ import annotations

import math
import re
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from fupin_cli.core.codes import clean_text
from fupin_cli.core.faults import Invalid

_FORMS = "write it like 80000, 80,000.50 or 8万"
_FORMS_ZH = "请写成 80000、80,000.50 或 8万 这样的金额"
# [-]¥[-] then plain digits or digits grouped in threes by commas, optional decimals, [万][元].
_AMOUNT = re.compile(
    r"(?P<sign>[-−]?)(?:¥(?P<sign2>[-−]?))?"
    r"(?P<number>(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?|\.\d+)"
    r"(?P<wan>万?)元?"
)
_WAN = Decimal(10_000)
# The largest amount one cell may hold: 100亿元, far above any county's money, and low enough
# that millions of such amounts still add up inside SQLite's 64-bit integers. A bank-card or ID
# number pasted into 金额 is refused here instead of breaking every sum of the ledger.
MAX_YUAN = 10_000_000_000
MAX_FEN = MAX_YUAN * 100


class MoneyError(Invalid):
    """A value that is not an amount of money in yuan; the message says why in one line."""


def parse_money(value: Any, *, allow_negative: bool = False) -> int:
    """Yuan as a number or text ("80,000.50", "8.5万元", "￥1,200") → integer fen.

    Rejects blanks, text, fractions of a fen, and negatives unless ``allow_negative``.
    """
    if type(value) is float and 0 <= value <= MAX_YUAN:
        # The common cell, a float of whole fen, without Decimal: when the float is the one
        # nearest to fen/100 (fen < 10**15, at most 15 significant digits), its 15 digits
        # below are exactly fen/100 (a double keeps 15: DBL_DIG). Anything else goes on.
        fen = round(value * 100)
        if fen / 100 == value:
            return fen
    return _parse_exact(value, allow_negative)


def _parse_exact(value: Any, allow_negative: bool) -> int:
    yuan = _to_decimal(value)
    fen = yuan * 100
    if fen != fen.to_integral_value():
        raise MoneyError(
            f"'{value}' has fractions of a fen; amounts go to 2 decimal places",
            zh=f"'{value}' 不足一分；金额最多保留两位小数",
        )
    if fen < 0 and not allow_negative:
        raise MoneyError(
            f"negative amount '{value}' is not allowed here", zh=f"此处金额不能为负数：'{value}'"
        )
    if abs(fen) > MAX_FEN:
        raise MoneyError(
            f"'{value}' is more than 100亿元 ({MAX_YUAN:,} yuan), beyond any county's money; "
            "check the cell (an account or ID number?)",
            zh=f"'{value}' 超过100亿元，不可能是县里的资金；请核对此格（是否误填了账号或身份证号？）",
        )
    return int(fen)


def format_fen(fen: int) -> str:
    """Integer fen → yuan with thousands separators and 2 decimals: 8000000 → "80,000.00"."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan:,}.{cents:02d}"


def fen_to_yuan(fen: int) -> Decimal:
    """Integer fen → exact yuan with 2 decimal places: 295210 → Decimal("2952.10")."""
    return Decimal(fen).scaleb(-2)


def _to_decimal(value: Any) -> Decimal:
    """Yuan as an exact Decimal, before the fen and sign checks."""
    if isinstance(value, bool) or value is None:
        raise MoneyError(
            f"'{value}' is not an amount of money; {_FORMS}",
            zh=f"'{value}' 不是金额；{_FORMS_ZH}",
        )
    if isinstance(value, (int, Decimal)):
        if isinstance(value, Decimal) and not value.is_finite():
            raise MoneyError(
                f"'{value}' is not an amount of money; {_FORMS}",
                zh=f"'{value}' 不是金额；{_FORMS_ZH}",
            )
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MoneyError(
                f"'{value}' is not an amount of money; {_FORMS}",
                zh=f"'{value}' 不是金额；{_FORMS_ZH}",
            )
        # Excel keeps 15 significant digits; beyond them a float is binary noise (0.1 + 0.2).
        return Decimal(f"{value:.15g}")
    if isinstance(value, (date, time, timedelta)):  # an amount in a cell formatted as a date
        raise MoneyError(
            f"the cell shows the date or time {value}: it is formatted as one; format the "
            "column as a number and check the amount",
            zh=f"此格显示为日期或时间 {value}（格式设成了日期）；请将该列设为数字格式并核对金额",
        )
    if not isinstance(value, str):
        raise MoneyError(
            f"'{value}' is not an amount of money; {_FORMS}",
            zh=f"'{value}' 不是金额；{_FORMS_ZH}",
        )
    return _parse_text(value)


def _parse_text(value: str) -> Decimal:
    text = clean_text(value)  # full-width digits, "，" and "￥" become ASCII; spaces go
    if not text:
        raise MoneyError(f"blank amount; {_FORMS}", zh=f"金额为空；{_FORMS_ZH}")
    match = _AMOUNT.fullmatch(text)
    if match is None or (match["sign"] and match["sign2"]):
        raise MoneyError(
            f"'{value}' is not an amount of money; {_FORMS}",
            zh=f"'{value}' 不是金额；{_FORMS_ZH}",
        )
    amount = Decimal(match["number"].replace(",", ""))
    if match["wan"]:
        amount *= _WAN
    return -amount if match["sign"] or match["sign2"] else amount
