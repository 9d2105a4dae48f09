"""Writing workbooks people open: Chinese headers, frozen header row, filters, widths, guards."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fupin_cli.io.output import guard

if TYPE_CHECKING:  # openpyxl is imported when a workbook is written, not at every start-up
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

TEXT_FORMAT = "@"
MONEY_FORMAT = "#,##0.00"
INT_FORMAT = "#,##0"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"


@cache
def header_style() -> tuple[Any, Any]:
    """(font, fill) of a header cell."""
    from openpyxl.styles import Font, PatternFill

    return Font(bold=True), PatternFill("solid", fgColor="DDEBF7")


def display_width(value: Any) -> int:
    """Columns a value needs: CJK and full-width characters count two."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


WRITER = "fupin"  # a workbook's creator and last editor, when this program wrote it


def written_by_fupin(path: Path) -> bool:
    """Whether ``path`` is a workbook (or Word document) this program wrote and nobody has saved
    since: Excel, Word and WPS keep the creator but write the editor's name as lastModifiedBy.
    Versions before this check left openpyxl's creator and no editor; such a file counts as
    ours too."""
    import re
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            core = z.read("docProps/core.xml").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    # openpyxl declares each element's namespace on it (<dc:creator xmlns:dc="…">)
    creator = re.search(r"<(?:\w+:)?creator\b[^>]*>(.*?)</(?:\w+:)?creator>", core)
    editor = re.search(r"<(?:\w+:)?lastModifiedBy\b[^>]*>(.*?)</(?:\w+:)?lastModifiedBy>", core)
    if creator is None or creator[1] not in (WRITER, "openpyxl"):
        return False
    return editor is None or editor[1] in ("", WRITER)


def save_workbook(wb: Workbook, path: Path, option: str = "-o") -> Path:
    """Write ``wb`` to ``path`` whole or not at all (a temporary file beside it, renamed). An
    existing file is replaced only when it is one of this program's own outputs: anything else
    (a roster, a fund sheet typed over by mistake) is left alone."""
    wb.properties.creator = wb.properties.lastModifiedBy = WRITER
    return save_office(wb.save, path, option, "workbook", "an input sheet?")


def save_office(
    save: Callable[[Path], object], path: Path, option: str, kind: str, hint: str
) -> Path:
    """``save(tmp)`` then rename onto ``path``, unless ``path`` holds an Office file (a
    ``kind``, workbook or document) fupin did not write, or one edited since."""
    from fupin_cli.errors import UsageError

    if path.exists() and not written_by_fupin(path):
        raise UsageError(
            f"{option} {path}: the file exists and is not a {kind} fupin wrote ({hint}); "
            "choose another name, or move the file away first"
        )
    tmp = path.with_name(path.name + ".tmp")
    try:
        save(tmp)
        tmp.replace(path)
    except OSError as exc:
        with suppress(OSError):  # a folder of that name, say: leave it
            tmp.unlink(missing_ok=True)
        raise UsageError(
            f"{option} {path}: cannot write ({exc.strerror or exc}); check the folder"
        ) from None
    return path


def new_workbook() -> Workbook:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    return wb


def write_table(
    wb: Workbook,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    formats: dict[int, str] | None = None,
    max_width: int = 50,
) -> Worksheet:
    """One sheet: a bold frozen header row with a filter, guarded cells, fitted widths.

    ``formats`` maps a column index to a number format (``MONEY_FORMAT``, ``TEXT_FORMAT``…).
    """
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title=title[:31])
    ws.append([guard(h) for h in headers])
    for cell in ws[1]:
        cell.font, cell.fill = header_style()
    widths = [display_width(h) for h in headers]
    formats = formats or {}
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            value = guard(value)
            cell = ws.cell(row=r, column=c + 1, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            fmt = formats.get(c)
            if fmt:
                cell.number_format = fmt
            elif isinstance(value, (date, datetime)):
                cell.number_format = DATE_FORMAT
            if c < len(widths):
                widths[c] = max(widths[c], display_width(value))
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = min(max_width, max(8, width + 2))
    ws.freeze_panes = "A2"
    if headers:
        last = max(ws.max_row, 1)
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{last}"
    return ws
