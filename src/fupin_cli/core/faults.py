"""A value or a row refused, with its reason twice: in Chinese for the cadre who corrects the
sheet (the error workbook's 原因), in English for the clerk's terminal and log (``str(exc)``).

Every check that refuses a cell raises an ``Invalid`` (or a subclass: ``IdCardError``,
``MoneyError``, ``DateError``, ``CodeError``, ``LedgerError``) and writes both texts where it
knows the facts, so the Chinese is never a translation of the English after the fact.
"""

from __future__ import annotations

# What the error workbook's 原因 shows for a refusal that was written without its Chinese (a
# bug: tests/cli/test_error_workbook.py looks for it over every importer's checks).
UNTRANSLATED = "（未译）"


class Invalid(ValueError):
    """A refused value: ``str(exc)`` is the English reason, ``zh`` the Chinese one."""

    def __init__(self, reason: str, *, zh: str) -> None:
        super().__init__(reason)
        self.zh = zh


def zh_of(exc: BaseException) -> str:
    """The Chinese reason of ``exc``; one raised without it keeps its English, marked."""
    zh = getattr(exc, "zh", None)
    return zh if zh else f"{UNTRANSLATED}{exc}"
