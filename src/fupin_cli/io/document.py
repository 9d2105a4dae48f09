"""A workbook sheet as a printed document: the title block above the table and the page setup.

Every sheet fupin writes opens with a title block — the document's title, its scope (county,
township, village), its period or date, 制表单位 and 制表日期, the unit — and prints on A4,
one page wide, the table's header row repeated on every page, the title and page numbers in
the page header and footer. ``write_heading`` and ``set_page`` work on any openpyxl worksheet,
so a writer that does not go through ``io.xlsx.write_table`` can use them too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from fupin_cli.io.output import guard

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

# Excel column widths (characters of the default font) that fit across A4 inside the margins.
PORTRAIT_WIDTH = 90
LANDSCAPE_WIDTH = 135
DEFAULT_OFFICE = "县扶贫办"


def office_of(county: str) -> str:
    """制表单位: the county's poverty-alleviation office, named when the county is known."""
    return f"{county}扶贫开发工作领导小组办公室" if county else DEFAULT_OFFICE


@dataclass(frozen=True)
class Heading:
    """What a sheet's title block says. ``scope`` names the county, township or village;
    ``period`` the quarter or the date the figures stand on; ``unit`` the unit of its figures
    (元, 万元, 户、人); ``notes`` extra lines (warnings the reader must see)."""

    title: str
    scope: str = ""
    period: str = ""
    office: str = DEFAULT_OFFICE
    made: dt.date = field(default_factory=dt.date.today)
    unit: str = ""
    notes: Sequence[str] = ()

    def lines(self) -> list[str]:
        """The title block's lines under the title."""
        stamp = [f"制表单位：{self.office}", f"制表日期：{self.made.isoformat()}"]
        if self.unit:
            stamp.append(f"单位：{self.unit}")
        first = "　".join(x for x in (self.scope, self.period) if x)
        return [*([first] if first else []), "　　".join(stamp), *self.notes]

    def but(self, **changes) -> Heading:
        return replace(self, **changes)


def county_heading(
    county: str, title: str, *places: str | None, period: str = "", unit: str = ""
) -> Heading:
    """The title block of a county document: '桃源县' + ``title`` (the county left out when the
    policy does not name it), the township and village in ``places``, the county's office."""
    return Heading(
        title=f"{county}{title}",
        scope=" ".join(p for p in places if p),
        period=period,
        office=office_of(county),
        unit=unit,
    )


def write_heading(ws: Worksheet, heading: Heading, widths: Sequence[float], row: int = 1) -> int:
    """Write ``heading`` from ``row`` down (on a write-only sheet: as its first rows), each
    line merged across the table's columns (``widths``, as Excel counts them) and as tall as
    its wrapped text needs; returns the row below it, where the table's header row goes."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from fupin_cli.io.xlsx import display_width

    write_only = not hasattr(ws, "merge_cells")
    span, room = max(len(widths), 1), max(sum(widths), 8)
    lines = [(heading.title, 16), *((text, 10) for text in heading.lines())]
    for text, size in lines:
        cell = WriteOnlyCell(ws, value=guard(text)) if write_only else ws.cell(row=row, column=1)
        cell.value = guard(text)
        cell.data_type = "s"
        cell.font = Font(bold=size > 10, size=size)
        cell.alignment = Alignment(
            horizontal="center" if size > 10 else "left", vertical="center", wrap_text=True
        )
        # a merged cell does not grow with its text: as many lines as the text needs
        needed = -(-display_width(text) * size / 11 // (room - 1))
        ws.row_dimensions[row].height = max(1, needed) * size * 1.45
        if write_only:
            ws.append([cell])
        if span > 1:
            ws.merged_cells.add(f"A{row}:{get_column_letter(span)}{row}")
        row += 1
    return row


def set_page(
    ws: Worksheet,
    title: str,
    *,
    header_row: int | None,
    widths: Sequence[float],
    landscape: bool | None = None,
) -> None:
    """A4, landscape when the columns are wider than a portrait page, fitted to one page wide
    (as many pages down as it takes), the header row printed on every page, the document title
    and the sheet in the page header, 第 N 页 共 M 页 in the footer."""
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.page_setup.paperSize = 9  # A4 (Worksheet.PAPERSIZE_A4; a write-only sheet lacks the name)
    orient(ws, widths, landscape)
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    if header_row is not None:
        ws.print_title_rows = f"{header_row}:{header_row}"
    ws.oddHeader.left.text = _header_text(title)
    ws.oddHeader.left.size = 9
    ws.oddHeader.right.text = "&A"
    ws.oddHeader.right.size = 9
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"
    ws.oddFooter.center.size = 9


def orient(ws: Worksheet, widths: Sequence[float], landscape: bool | None = None) -> None:
    """Landscape when ``widths`` (the columns that print, and a chart beside them as columns'
    worth of width) are wider than a portrait page."""
    wide = sum(widths) > PORTRAIT_WIDTH if landscape is None else landscape
    ws.page_setup.orientation = "landscape" if wide else "portrait"


def _header_text(title: str) -> str:
    return title.replace("&", "&&")  # '&' starts a header code


def quarter_label(label: str, start: dt.date, end: dt.date) -> str:
    """'2016年第3季度（2016-07-01至2016-09-30）' for 2016Q3, '2016年度（…）' for a year."""
    year, _, q = label.partition("Q")
    name = f"{year}年第{q}季度" if q else f"{year}年度"
    return f"{name}（{start.isoformat()}至{end.isoformat()}）"
