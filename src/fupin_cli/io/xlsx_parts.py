"""What an .xlsx says beyond its cells' values, read from its zip parts: which part holds a
sheet, and whether the sheet's formulas carry results that can be trusted.

python-calamine gives a formula cell's stored result: blank when the file holds none (written
by a program, never opened in Excel), or 0 when the program wrote a placeholder and asked Excel
to recalculate on opening (``fullCalcOnLoad``). Imported, either is a wrong figure with no
word said: an income of 0 identifies a household. Such a sheet is refused, naming the cell.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from xml.etree import ElementTree

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"  # SpreadsheetML
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# Tags may carry a namespace prefix (<x:f>, as the OpenXML SDK writes them).
_P = rb"(?:\w+:)?"
_NO_RESULT = re.compile(  # a formula, then the cell's end or an empty value
    rb"(?:</" + _P + rb"f>|<" + _P + rb"f\b[^>]*/>)\s*(?:</" + _P + rb"c>|<" + _P + rb"v\s*/>)"
)
_ANY_FORMULA = re.compile(rb"<" + _P + rb"f[ >/]")
_CELL_REF = re.compile(rb"<" + _P + rb'c\b[^>]*?\br="([A-Z]{1,3}\d+)"')
_RECALC = re.compile(rb"<" + _P + rb"calcPr\b[^>]*\bfullCalcOnLoad\s*=\s*[\"'](?:1|true)[\"']")
_CHUNK = 8 << 20  # a sheet is checked a piece at a time, not held whole
_OVERLAP = 4096  # what the end of one piece shares with the next: a cell's tags


def sheet_member(zf: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding the worksheet named ``sheet`` (None when not found plainly)."""
    try:
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    rid = next(
        (
            s.get(f"{{{_REL}}}id")
            for s in book.iter(f"{{{MAIN_NS}}}sheet")
            if s.get("name") == sheet
        ),
        None,
    )
    target = next((r.get("Target") for r in rels if rid and r.get("Id") == rid), None)
    if not target:
        return None
    name = target[1:] if target.startswith("/") else posixpath.normpath(f"xl/{target}")
    return name if name in zf.NameToInfo else None


def recalculates_on_open(zf: zipfile.ZipFile) -> bool:
    """The workbook asks Excel to recalculate every formula when opened: its stored results
    are placeholders."""
    try:
        return _RECALC.search(zf.read("xl/workbook.xml")) is not None
    except KeyError:
        return False


def formula_fault(xml: bytes, recalculate: bool) -> str | None:
    """Why ``xml`` (a sheet, or a run of its rows) holds a formula result that cannot be
    trusted, naming the first such cell; None when every formula carries its result."""
    if not _has_formula(xml):
        return None
    found = (_ANY_FORMULA if recalculate else _NO_RESULT).search(xml)
    if found is None:
        return None
    at = max(xml.rfind(b"<c ", 0, found.start()), xml.rfind(b":c ", 0, found.start()))
    cell = _CELL_REF.match(xml, xml.rfind(b"<", 0, at + 1)) if at >= 0 else None
    where = f"cell {cell.group(1).decode()}" if cell else "a cell"
    if recalculate:
        why = (
            "holds a formula whose result Excel has not worked out yet (the file asks to be "
            "recalculated when opened)"
        )
    else:
        why = (
            "holds a formula without its result (the file was written by a program, not saved "
            "by Excel)"
        )
    return f"{where} {why}; open the file in Excel or WPS, save it, and import it again"


def _has_formula(xml: bytes) -> bool:
    """Whether ``xml`` may hold a formula element (<f>, <f …/>, <x:f>). Each "f" is looked at:
    memchr finds them at memory speed and a sheet of Chinese data holds few, where a search
    for "<f>" costs 0.07 s a 100 MB with the GIL held. Past a thousand, the regex decides."""
    at = xml.find(b"f")
    for _ in range(1000):
        if at < 0:
            return False
        if xml[at - 1 : at] in (b"<", b":") and xml[at + 1 : at + 2] in (b">", b" ", b"/"):
            return True
        at = xml.find(b"f", at + 1)
    return _ANY_FORMULA.search(xml, at) is not None


def sheet_formula_fault(zf: zipfile.ZipFile, member: str) -> str | None:
    """``formula_fault`` over a whole sheet, read a piece at a time."""
    recalculate = recalculates_on_open(zf)
    tail = b""
    with zf.open(member) as xml:
        while chunk := xml.read(_CHUNK):
            window = tail + chunk
            if fault := formula_fault(window, recalculate):
                return fault
            tail = window[-_OVERLAP:]
    return None
