"""Writing Word documents people edit: A4, Chinese fonts, numbered pages, tables that print.

The house style is the one of a county office's written reports (GB/T 9704 in spirit): body in
仿宋 三号 at a fixed 28-point line, headings in 黑体 (first level) and 楷体 (second), the title
in 宋体 二号 bold, digits in Times New Roman, 第 N 页 共 M 页 centred in the footer. Every run's
East Asian font is set (``w:eastAsia``), so Word and WPS do not fall back to a Latin font for
the Chinese text. Tables repeat their header row on each page and never split a row.

Text goes into plain runs, which Word and WPS never evaluate: unlike a spreadsheet cell, a
name starting with = needs no guard here (a guard would also turn -1.00 into '-1.00).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from copy import deepcopy
from pathlib import Path
from typing import TYPE_CHECKING

from fupin_cli.io.xlsx import WRITER, display_width, save_office

if TYPE_CHECKING:  # python-docx is imported when a document is written
    from docx.document import Document

BODY_FONT, HEADING_FONT, SUBHEADING_FONT, TITLE_FONT, TABLE_FONT = (
    "仿宋",
    "黑体",
    "楷体",
    "宋体",
    "宋体",
)
LATIN_FONT = "Times New Roman"
BODY_PT, TITLE_PT, TABLE_PT = 16, 22, 9  # 三号, 二号, 小五
LINE_PT = 28  # fixed line pitch of the body: 22 lines to an A4 page


def _fonts(rpr, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Set the fonts of a run-properties element outright: theme fonts would win otherwise."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.attrib.clear()
    for side, name in (("ascii", latin), ("hAnsi", latin), ("cs", latin), ("eastAsia", east_asia)):
        fonts.set(qn(f"w:{side}"), name)


def _style(doc: Document, name: str, east_asia: str, size: int, *, bold: bool = False):
    from docx.shared import Pt, RGBColor

    style = doc.styles[name]
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    _fonts(style.element.get_or_add_rPr(), east_asia)
    return style


def new_document(title: str) -> Document:
    """An empty A4 document in the house style, its core properties naming ``title``."""
    import docx
    from docx.enum.text import WD_LINE_SPACING
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = docx.Document()
    doc.core_properties.title = title
    doc.core_properties.language = "zh-CN"
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    rpr = defaults.find(qn("w:rPr"))
    _fonts(rpr, BODY_FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")

    body = _style(doc, "Normal", BODY_FONT, BODY_PT)
    fmt = body.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(LINE_PT)
    fmt.space_before = fmt.space_after = Pt(0)
    for name, font in (("Heading 1", HEADING_FONT), ("Heading 2", SUBHEADING_FONT)):
        heading = _style(doc, name, font, BODY_PT)
        heading.paragraph_format.space_before = heading.paragraph_format.space_after = Pt(0)
        heading.paragraph_format.first_line_indent = Pt(2 * BODY_PT)
    _style(doc, "Title", TITLE_FONT, TITLE_PT, bold=True)
    title_style = doc.styles["Title"]
    title_style.paragraph_format.line_spacing = Pt(TITLE_PT * 1.6)
    title_style.paragraph_format.space_after = Pt(0)
    pbdr = title_style.element.get_or_add_pPr().find(qn("w:pBdr"))
    if pbdr is not None:  # the template underlines its title
        pbdr.getparent().remove(pbdr)
    _style(doc, "Caption", HEADING_FONT, 12)
    caption = doc.styles["Caption"].paragraph_format
    caption.line_spacing_rule = WD_LINE_SPACING.SINGLE
    caption.space_before, caption.space_after = Pt(12), Pt(6)
    caption.keep_with_next = True
    _style(doc, "Footer", TITLE_FONT, 10)

    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.footer_distance = Cm(2.5)
    _page_numbers(section.footer.paragraphs[0])
    return doc


def _page_numbers(paragraph) -> None:
    """第 N 页 共 M 页, as fields Word and WPS update when they lay the pages out."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.style = "Footer"

    def field(code: str) -> None:
        for kind, text in (("begin", None), (None, f" {code} "), ("separate", None), (None, "1")):
            run = paragraph.add_run()
            if kind:
                char = OxmlElement("w:fldChar")
                char.set(qn("w:fldCharType"), kind)
                run._r.append(char)
            elif text.strip() == code:
                instr = OxmlElement("w:instrText")
                instr.set(qn("xml:space"), "preserve")
                instr.text = text
                run._r.append(instr)
            else:
                run.text = text
        end = OxmlElement("w:fldChar")
        end.set(qn("w:fldCharType"), "end")
        paragraph.add_run()._r.append(end)

    paragraph.add_run("第 ")
    field("PAGE")
    paragraph.add_run(" 页 共 ")
    field("NUMPAGES")
    paragraph.add_run(" 页")


def title(doc: Document, lines: Sequence[str], subtitle: str | None = None) -> None:
    """The title, broken where given (a long title breaks at a meaning, not at the margin)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    p = doc.add_paragraph(style="Title")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for i, line in enumerate(lines):
        run = p.add_run(line)
        if i < len(lines) - 1:
            run.add_break()
    if subtitle:
        p = doc.add_paragraph(subtitle)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run_font(p.runs[0], SUBHEADING_FONT)
    doc.add_paragraph()


def _run_font(run, east_asia: str) -> None:
    _fonts(run._r.get_or_add_rPr(), east_asia)


def heading(doc: Document, text: str, level: int = 1) -> None:
    doc.add_heading(text, level=level)


def paragraph(doc: Document, text: str, *, indent: bool = True, right: bool = False) -> None:
    """A body paragraph, its first line indented two characters as Chinese prose is."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph(xml_text(text))
    if indent:
        p.paragraph_format.first_line_indent = Pt(2 * BODY_PT)
    if right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def landscape_section(doc: Document) -> None:
    """A new page turned landscape, for wide tables; the footer carries on."""
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.shared import Cm

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21)
    section.top_margin, section.bottom_margin = Cm(2.6), Cm(2.4)
    section.left_margin, section.right_margin = Cm(2.5), Cm(2.5)
    section.footer_distance = Cm(1.5)


def table(
    doc: Document,
    caption: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric: Sequence[bool] | None = None,
) -> None:
    """A captioned grid: bold centred header row repeated on each page, text cells left and
    number cells right, columns as wide as their content (a table narrower than the page is
    centred; a wider one wraps its longest columns), a row never split across pages."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Emu, Pt

    doc.add_paragraph(caption, style="Caption").alignment = WD_ALIGN_PARAGRAPH.CENTER
    section = doc.sections[-1]
    usable = section.page_width - section.left_margin - section.right_margin
    numeric = list(numeric) if numeric is not None else [False] * len(headers)
    widths = column_widths(headers, rows, int(usable))
    grid = doc.add_table(rows=0, cols=len(headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    tbl_w = grid._tbl.tblPr.find(qn("w:tblW"))
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(sum(widths) // EMU_PER_TWIP))
    for col, width in zip(grid.columns, widths, strict=True):
        col.width = Emu(width)
    _row(grid, widths, headers, header=True)
    # every body row is a copy of one styled row: python-docx styles a cell in ~0.5 ms, a copy
    # of the row's XML takes a hundredth of that (a county's 附表 hold thousands of cells)
    model = _row(grid, widths, [" "] * len(headers), numeric=numeric)
    grid._tbl.remove(model)
    for values in rows:
        tr = deepcopy(model)
        for t, value in zip(tr.iter(qn("w:t")), values, strict=True):
            t.text = xml_text(value)
        grid._tbl.append(tr)
    doc.add_paragraph().paragraph_format.line_spacing = Pt(TABLE_PT)  # air below the grid


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str | None) -> str:
    """``value`` without the control characters XML cannot hold (a stray one in a name)."""
    return _NOT_XML.sub("", value or "")


def _row(grid, widths: list[int], values, *, header=False, numeric=None):
    """Add a row of styled cells holding ``values`` to ``grid``; its ``w:tr`` element."""
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Emu, Pt

    row = grid.add_row()
    _row_flags(row, header=header)
    for c, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
        cell.width = Emu(widths[c])
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        p = cell.paragraphs[0]
        run = p.add_run(xml_text(value))
        run._r.find(qn("w:t")).set(qn("xml:space"), "preserve")
        run.font.size = Pt(TABLE_PT)
        p.paragraph_format.line_spacing = 1.0
        p.paragraph_format.first_line_indent = Pt(0)
        if header:
            run.bold = True
            _run_font(run, HEADING_FONT)
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        else:
            _run_font(run, TABLE_FONT)
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if numeric[c] else WD_ALIGN_PARAGRAPH.LEFT
    return row._tr


EMU_PER_TWIP = 635
EMU_PER_UNIT = TABLE_PT * 12700 // 2  # a half-width character at the table's size
CELL_PADDING = 3  # units: Word's default cell margins, 0.19 cm a side


def _row_flags(row, *, header: bool) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        flag = OxmlElement("w:tblHeader")  # repeat this row at the top of each page
        flag.set(qn("w:val"), "true")
        tr_pr.append(flag)


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[str]], usable: int) -> list[int]:
    """Widths (EMU) from what each column needs: its longest cell, and its header on one line
    where the page has room, else on two. Past the page's width the widest columns are cut
    to one common width, so they wrap and the narrow ones stay whole."""
    least, ample = [], []
    for c, header in enumerate(headers):
        longest = max((_units(r[c]) for r in rows), default=0)
        head = _units(header)
        two_lines = -(-head // 4) * 2  # whole characters on each line
        least.append(max(longest, two_lines, 4) + CELL_PADDING)
        ample.append(max(longest, head, 4) + CELL_PADDING)
    room = usable // EMU_PER_UNIT
    if sum(ample) <= room:
        need = ample
    elif sum(least) <= room:  # widen the two-line headers while the page has room
        need, spare = list(least), room - sum(least)
        for c in sorted(range(len(need)), key=lambda c: ample[c] - least[c]):
            grow = min(ample[c] - least[c], spare)
            need[c] += grow
            spare -= grow
    else:
        cap = _cap(sorted(least), room)
        need = [min(n, cap) for n in least]
    return [n * EMU_PER_UNIT for n in need]


def _units(text: str) -> int:
    """Half-width characters ``text`` takes, with room for a Latin font wider than Times
    (a digit is half a Chinese character in Times New Roman and 宋体, more in others)."""
    wide = display_width(text)
    narrow = len(text) - (wide - len(text))  # characters counted once
    return wide + -(-narrow // 4)


def _cap(sorted_need: list[int], room: int) -> int:
    """The largest common width the widest columns can have so that all fit in ``room``."""
    below = 0
    for i, n in enumerate(sorted_need):
        wide = len(sorted_need) - i
        if below + wide * n >= room:
            return max((room - below) // wide, CELL_PADDING + 2)
        below += n
    return sorted_need[-1]


def save_document(doc: Document, path: Path, option: str = "-o") -> Path:
    """Write ``doc`` whole or not at all, and only over a document fupin wrote that nobody has
    saved since (Word and WPS write their user as the last editor)."""
    doc.core_properties.author = doc.core_properties.last_modified_by = WRITER
    return save_office(doc.save, path, option, "document", "edited in Word or WPS since?")
