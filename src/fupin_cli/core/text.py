"""Control characters: refused in a cell, escaped in every message and workbook.

A BEL, NUL or ESC in a cell (``_x0007_`` in an .xlsx, a raw byte in a .csv) breaks what is
written from it later (openpyxl refuses it; a terminal rings, clears or is retitled). A cell
holding one is a rejected row; what still reaches a message or a workbook is shown escaped.
"""

from __future__ import annotations

import re

from fupin_cli.core.faults import Invalid

# C0 and C1 controls and DEL; tab, newline and carriage return are a cell's own
_IN_CELL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# the same but tab and newline, which lay out a message: a carriage return overwrites it
_IN_MESSAGE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escaped(found: re.Match[str]) -> str:
    return f"\\x{ord(found[0]):02x}"


def cell_fault(value: str, max_chars: int) -> Invalid | None:
    """Why a text cell cannot be taken (too long, a control character), as the refusal to
    raise; None when it can."""
    if len(value) > max_chars:
        return Invalid(
            f"{len(value):,} characters, more than the {max_chars:,} a cell may hold; "
            "shorten it (a pasted document?)",
            zh=f"共 {len(value):,} 个字，超过一个单元格可容纳的 {max_chars:,} 个；请删减"
            "（是否粘贴了整篇文档？）",
        )
    if value.isprintable():
        return None
    found = _IN_CELL.search(value)
    if found is None:
        return None
    return Invalid(
        f"holds a control character ({_escaped(found)} at character {found.start() + 1}), "
        "which no report can show; delete it and retype the text",
        zh=f"含控制字符（第 {found.start() + 1} 个字，{_escaped(found)}），报表无法显示；"
        "请删除后重新输入",
    )


def message_text(text: str) -> str:
    """``text`` for the terminal: every control character but tab and newline shown as
    ``\\xNN`` (an ESC sequence in a file name cannot clear or retitle the terminal)."""
    return text if text.isprintable() else _IN_MESSAGE.sub(_escaped, text)


def workbook_text(text: str, max_chars: int) -> str:
    """``text`` as a workbook can store it: the controls openpyxl refuses (its
    ILLEGAL_CHARACTERS_RE, and C1) shown as ``\\xNN``, at most ``max_chars`` characters (Excel's
    cell limit)."""
    if not text.isprintable():
        text = _IN_CELL.sub(_escaped, text)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"
