"""Writing workbooks people open: a title block, Chinese headers, frozen header row, filters,
widths, guards, a page set up to print."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fupin_cli.io.output import guard

if TYPE_CHECKING:  # openpyxl is imported when a workbook is written, not at every start-up
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from fupin_cli.io.document import Heading

TEXT_FORMAT = "@"
MONEY_FORMAT = "#,##0.00"
INT_FORMAT = "#,##0"
YEAR_FORMAT = "0"  # 2016, not 2,016
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


def save_stamped(wb: Workbook, path: Path) -> None:
    """Save ``wb`` as this program's own with its created and modified times equal: Excel, WPS
    and openpyxl each write their own modified time when they save (see ``unsaved_since``)."""
    import datetime as dt
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl.writer.excel import ExcelWriter

    if wb.write_only and not wb.worksheets:
        wb.create_sheet()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    wb.properties.creator = wb.properties.lastModifiedBy = WRITER
    wb.properties.created = wb.properties.modified = now
    # (Workbook.save would set modified to its own now, a second later at times)
    with ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).write_data()


def unsaved_since(path: Path) -> bool:
    """Whether ``path`` is a workbook ``save_stamped`` wrote that nobody has saved since, not even
    a script with openpyxl (which keeps the creator and the editor but writes its own modified
    time). Stricter than ``written_by_fupin``: a workbook of an older fupin does not count."""
    import re
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            core = z.read("docProps/core.xml").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    found = {
        tag: re.search(rf"<{tag}[^>]*>(.*?)</{tag}>", core)
        for tag in ("dc:creator", "cp:lastModifiedBy", "dcterms:created", "dcterms:modified")
    }
    if any(m is None for m in found.values()):
        return False
    text = {tag: m[1] for tag, m in found.items() if m is not None}
    return (
        text["dc:creator"] == text["cp:lastModifiedBy"] == WRITER
        and text["dcterms:created"] == text["dcterms:modified"]
    )


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


def _header_width(header: str) -> int:
    """A long header wraps onto two lines rather than widening a column of short numbers."""
    width = display_width(header)
    return width if width <= 6 else max(6, (width + 1) // 2 + 1)


def write_table(
    wb: Workbook,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    formats: dict[int, str] | None = None,
    max_width: int = 40,
    heading: Heading | None = None,
) -> Worksheet:
    """One sheet: ``heading``'s title block, then a bold frozen header row with a filter,
    guarded cells, fitted widths (text wider than ``max_width`` wraps), and the page set up to
    print (``io.document.set_page``).

    ``formats`` maps a column index to a number format (``MONEY_FORMAT``, ``TEXT_FORMAT``…).
    """
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    from fupin_cli.io.document import Heading, set_page, write_heading

    heading = heading or Heading(title)
    formats = formats or {}
    body = [[guard(v) for v in row] for row in rows]
    widths = [_header_width(h) for h in headers]
    for row in body:
        for c, value in enumerate(row[: len(widths)]):
            widths[c] = max(widths[c], display_width(value))
    widths = [min(max_width, max(6, w + 2)) for w in widths]
    ws = wb.create_sheet(title=title[:31])
    top = write_heading(ws, heading, widths)
    for c, h in enumerate(headers, start=1):
        cell = ws.cell(row=top, column=c, value=guard(h))
        cell.font, cell.fill = header_style()
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    _fit_height(ws, top, list(headers), widths)
    wrap = Alignment(wrap_text=True, vertical="top")
    top_aligned = Alignment(vertical="top")
    for r, row in enumerate(body, start=top + 1):
        wrapped = False
        for c, value in enumerate(row):
            cell = ws.cell(row=r, column=c + 1, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text
                if c < len(widths) and display_width(value) > widths[c] - 2:
                    cell.alignment, wrapped = wrap, True
            fmt = formats.get(c)
            if fmt:
                cell.number_format = fmt
            elif isinstance(value, (date, datetime)):
                cell.number_format = DATE_FORMAT
        if wrapped:  # a row of several lines: every cell of it reads from the top
            _fit_height(ws, r, row, widths)
            for c in range(len(row)):
                cell = ws.cell(row=r, column=c + 1)
                if not cell.alignment.wrap_text:
                    cell.alignment = top_aligned
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = f"A{top + 1}"
    if headers:
        last = max(ws.max_row, top)
        ws.auto_filter.ref = f"A{top}:{get_column_letter(len(headers))}{last}"
    set_page(ws, heading.title, header_row=top, widths=widths)
    return ws


def _fit_height(ws: Worksheet, row: int, values: Sequence[Any], widths: Sequence[int]) -> None:
    """Make ``row`` as tall as its wrapped text needs: spreadsheets do not grow a row to its
    text when the file does not say how tall it is (LibreOffice keeps one line)."""
    lines = max(
        (-(-display_width(v) // max(w - 2, 1)) for v, w in zip(values, widths, strict=False)),
        default=1,
    )
    if lines > 1:
        ws.row_dimensions[row].height = 15 * lines


def header_row(ws: Worksheet) -> int:
    """The row of a ``write_table`` sheet's header (below its title block)."""
    return int(str(ws.freeze_panes)[1:]) - 1


@dataclass(frozen=True)
class Section:
    """One part of a sheet that holds several tables (a household card): a caption, its own
    header row, its rows; ``formats`` as in ``write_table``."""

    caption: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    formats: dict[int, str] = field(default_factory=dict)
    empty: str = "无"  # the row shown when there are none
    flush_left: bool = False  # label-value pairs: a number sits by its label, not far right


def pairs(items: Sequence[tuple[str, Any]], per_row: int = 2) -> Section:
    """Label-value facts laid ``per_row`` pairs to a row (项目 内容 项目 内容), for a card."""
    rows = []
    for i in range(0, len(items), per_row):
        row: list[Any] = []
        for label, value in items[i : i + per_row]:
            row += [label, value]
        rows.append(row)
    return Section("", ["项目", "内容"] * per_row, rows, flush_left=True)


def write_sections(
    wb: Workbook,
    title: str,
    sections: Sequence[Section],
    *,
    heading: Heading,
    max_width: int = 24,
    landscape: bool | None = None,
) -> Worksheet:
    """One sheet holding ``sections`` one under another, each under its caption with its own
    header row, columns as wide as the widest of them (longer text wraps), the page set up to
    print like a ``write_table`` sheet."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from fupin_cli.io.document import set_page, write_heading

    bodies = [[[guard(v) for v in row] for row in s.rows] for s in sections]
    span = max(len(s.headers) for s in sections)
    widths = [6] * span
    for s, body in zip(sections, bodies, strict=True):
        for c, h in enumerate(s.headers):
            widths[c] = max(widths[c], _header_width(h) + 2)
        for row in body:
            for c, value in enumerate(row):
                widths[c] = max(widths[c], min(max_width, display_width(value) + 2))
    ws = wb.create_sheet(title=title[:31])
    r = write_heading(ws, heading, widths)
    for s, body in zip(sections, bodies, strict=True):
        wrap = Alignment(
            wrap_text=True, vertical="top", horizontal="left" if s.flush_left else None
        )
        if s.caption:
            cell = ws.cell(row=r, column=1, value=guard(s.caption))
            cell.font = Font(bold=True, size=12)
            r += 1
        for c, h in enumerate(s.headers, start=1):
            cell = ws.cell(row=r, column=c, value=guard(h))
            cell.font, cell.fill = header_style()
            cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        _fit_height(ws, r, list(s.headers), widths)
        r += 1
        for row in body or [[s.empty]]:
            for c, value in enumerate(row):
                cell = ws.cell(row=r, column=c + 1, value=value)
                cell.alignment = wrap  # a row of several lines reads from its top
                if isinstance(value, str):
                    cell.data_type = "s"
                fmt = s.formats.get(c)
                if fmt:
                    cell.number_format = fmt
                elif isinstance(value, (date, datetime)):
                    cell.number_format = DATE_FORMAT
            _fit_height(ws, r, row, widths)
            r += 1
        r += 1  # a blank row between sections
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    set_page(ws, heading.title, header_row=None, widths=widths, landscape=landscape)
    return ws
