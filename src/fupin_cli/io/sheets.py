"""Read the spreadsheets townships send: .xlsx/.xls/.ods (python-calamine) or .csv.

``open_table(path, spec)`` finds the data sheet (``--sheet``, else the first visible sheet that
has a header row), finds the header row by its names (below title rows or a merged title), maps
the headers to field keys through ``spec``, and streams ``Row`` tuples with the row number as
Excel shows it (or the bare ``cells`` and the number of the first). Anything that makes the file
unreadable is an ``InputError`` (exit 2), one line.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from fupin_cli.errors import InputError

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
HEADER_SCAN_ROWS = 30


def norm_header(text: Any) -> str:
    """Header as compared: NFKC (full-width brackets → ASCII), no white space, lower case."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).lower()


@dataclass(frozen=True)
class Field:
    """A column a command understands: its key, the header written in templates, accepted
    variants, and whether the header must be present."""

    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    def names(self) -> set[str]:
        names = {norm_header(self.header), *(norm_header(a) for a in self.aliases)}
        names.add(_bare(self.header))  # 耕地面积(亩) may come as 耕地面积
        return names


@dataclass
class Table:
    """An opened input: where it came from, its header, and its rows (read once, either as
    ``rows`` or as ``cells``)."""

    path: Path
    sheet: str | None  # None for csv
    header_row: int  # as Excel shows it (1-based)
    headers: list[str]  # the original header cells
    columns: dict[str, int]  # field key -> column index
    unknown: list[str]  # headers no field claims
    cells: Iterator[list[Any]] = field(repr=False)  # the data rows' cells, in order
    last_row: int | None = None  # the sheet's last row number, when the reader knows it (progress)

    @property
    def first_row(self) -> int:
        """The row number of the first data row (the rows below it are numbered on)."""
        return self.header_row + 1

    @property
    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(row number, cells) for each data row."""
        return enumerate(self.cells, start=self.first_row)

    @property
    def where(self) -> str:
        return f"{self.path.name}" + (f", sheet {self.sheet}" if self.sheet else "")

    def ignored(self) -> str | None:
        """The warning naming the columns no field claims (None when every one is read)."""
        if not self.unknown:
            return None
        return f"{self.where}: ignored column(s) {', '.join(self.unknown)}"

    def header_of(self, key: str) -> str:
        col = self.columns.get(key)
        return self.headers[col] if col is not None else key


class Spec:
    """The fields of one kind of input and a lookup from header text to field key."""

    def __init__(self, fields: Sequence[Field]) -> None:
        self.fields = list(fields)
        self.by_name: dict[str, str] = {}
        self.by_bare: dict[str, Field] = {}  # a name without its unit: 补助金额 → 金额(元)
        for f in self.fields:
            for name in f.names():
                self.by_name.setdefault(name, f.key)
            for name in (f.header, *f.aliases):
                self.by_bare.setdefault(_unit_split(name)[0], f)

    def match(self, cells: Sequence[Any]) -> dict[str, int]:
        found: dict[str, int] = {}
        for i, cell in enumerate(cells):
            if cell is None or cell == "":
                continue
            key = self.by_name.get(norm_header(cell))
            if key is None:  # 补助金额(元), 期限(个月): a name of the field, in its own unit
                field, unit = self._with_unit(cell)
                if field is not None and _same_unit(unit, _unit_split(field.header)[1]):
                    key = field.key
            if key is not None and key not in found:
                found[key] = i
        return found

    def other_unit(self, cell: Any) -> Field | None:
        """The field a header names in a unit other than the field's: 金额(万元) for 金额(元)."""
        field, unit = self._with_unit(cell)
        if field is None or unit is None:
            return None
        own = _unit_split(field.header)[1]
        return field if own is not None and not _same_unit(unit, own) else None

    def _with_unit(self, cell: Any) -> tuple[Field | None, str | None]:
        bare, unit = _unit_split(str(cell))
        return (self.by_bare.get(bare) if unit is not None else None), unit

    def repeated(self, cells: Sequence[Any]) -> dict[str, list[int]]:
        """Known headers written twice (two 身份证号 columns): {header: column indexes}. A field
        named two ways (村 and 村代码) is not repeated: the first is read, the other ignored."""
        seen: dict[str, list[int]] = {}
        for i, cell in enumerate(cells):
            if cell is None or cell == "":
                continue
            name = norm_header(cell)
            if name in self.by_name:
                seen.setdefault(name, []).append(i)
        return {k: v for k, v in seen.items() if len(v) > 1}

    @property
    def required(self) -> list[Field]:
        return [f for f in self.fields if f.required]


def open_table(
    path: Path, spec: Spec, *, sheet: str | None = None, encoding: str | None = None
) -> Table:
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found; check the path")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a spreadsheet")
    if not path.is_file():  # a pipe never ends, a device (/dev/zero) never does either
        raise InputError(
            f"{path}: not a regular file (a pipe or a device); save the data to a file"
        )
    if path.stat().st_size == 0:
        raise InputError(
            f"{path.name}: the file is empty (0 bytes); it was not saved or not copied whole — "
            "save it again from Excel or WPS, or copy it again"
        )
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if sheet:
            raise InputError(f"{path.name}: --sheet does not apply to a csv file")
        return _open_csv(path, spec, encoding)
    if suffix in SPREADSHEET_SUFFIXES:
        if encoding:
            raise InputError(
                f"{path.name}: --encoding applies to csv files only; leave it out for {suffix}"
            )
        return _open_workbook(path, spec, sheet)
    raise InputError(
        f"{path.name}: not a spreadsheet (.xlsx, .xls, .ods or .csv); save it as .xlsx"
    )


# -- workbooks --------------------------------------------------------------------------------


def _open_workbook(path: Path, spec: Spec, wanted: str | None) -> Table:
    import python_calamine as cal

    _guard(path, None)  # before python-calamine reads the shared strings
    try:
        wb = cal.CalamineWorkbook.from_path(str(path))
    except cal.PasswordError:
        raise InputError(
            f"{path.name}: the workbook is password-protected; save a copy without a password"
        ) from None
    except Exception as exc:  # ZipError, XmlError, CalamineError: not a workbook or truncated
        raise InputError(
            f"{path.name}: cannot be read as a spreadsheet ({type(exc).__name__}: {_first_line(exc)}); "
            "open it in Excel and save it again as .xlsx"
        ) from None
    visible = {m.name: str(m.visible).endswith("Visible") for m in wb.sheets_metadata}
    if wanted is not None:
        if wanted not in wb.sheet_names:
            raise InputError(
                f"{path.name}: no sheet named '{wanted}'; sheets are: {', '.join(wb.sheet_names)}"
            )
        candidates = [wanted]
    else:
        candidates = [n for n in wb.sheet_names if visible.get(n, True)]
    for name in candidates:
        rows, last_row, whole = _sheet_rows(wb, path, name)
        table = _find_header(path, name, spec, rows)
        if table is not None:
            table.last_row = last_row
            if whole:  # (pieces are checked as they are cut)
                _check_formulas(path, name)
            return table
    where = f"sheet '{wanted}'" if wanted else "any visible sheet"
    raise InputError(f"{path.name}: no header row found in {where}; {_expected(spec)}")


def _sheet_rows(wb: Any, path: Path, name: str) -> tuple[Iterator[list[Any]], int | None, bool]:
    """The sheet's rows from its first, columns counted from A, its last row's number, and
    whether it is read whole: a county-size sheet in pieces on two cores (``xlsx_pieces``),
    any other whole."""
    from fupin_cli.io.xlsx_pieces import open_pieces

    pieces = open_pieces(path, name) if path.suffix.lower() in (".xlsx", ".xlsm") else None
    if pieces is not None:
        return pieces.rows, pieces.last_row, False
    _guard(path, name)
    try:
        sheet = wb.get_sheet_by_name(name)
    except Exception as exc:
        raise InputError(
            f"{path.name}, sheet {name}: cannot be read ({_first_line(exc)})"
        ) from None
    return _sheet_read(sheet, f"{path.name}, sheet {name}"), sheet.total_height, True


def _sheet_read(sheet: Any, where: str) -> Iterator[list[Any]]:
    """A sheet python-calamine has read: its rows from its first, columns counted from A."""
    rows = sheet.iter_rows()
    left = sheet.start[1] if sheet.start else 0
    if left:  # iter_rows counts columns from the first holding a value; we count from A
        pad = [""] * left
        rows = (pad + row for row in rows)
    return _cells_read(rows, where, sheet)


def _guard(path: Path, sheet: str | None) -> None:
    """An .xlsx whose parts inflate past the limits, or (``sheet``, read whole) whose extent is
    beyond a roster's, is refused before python-calamine reads it (``xlsx_guard``)."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return
    from fupin_cli.io.xlsx_guard import check_sheet, check_workbook
    from fupin_cli.io.xlsx_parts import sheet_member
    from fupin_cli.policyfile import input_limits

    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile):  # not a zip: python-calamine says what it is
        return
    with zf:
        try:
            if sheet is None:
                check_workbook(zf, input_limits(), path.name)
            elif member := sheet_member(zf, sheet):
                check_sheet(zf, member, input_limits(), f"{path.name}, sheet {sheet}")
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
            raise InputError(
                f"{path.name}: cannot be read as a spreadsheet ({_first_line(exc)}); "
                "open it in Excel and save it again as .xlsx"
            ) from None


def _check_formulas(path: Path, name: str) -> None:
    """An .xlsx sheet whose formulas lack their results is refused (``xlsx_parts``)."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return
    from fupin_cli.io.xlsx_parts import sheet_formula_fault, sheet_member

    try:
        with zipfile.ZipFile(path) as zf:
            member = sheet_member(zf, name)
            fault = member and sheet_formula_fault(zf, member)
    except Exception:  # python-calamine read the sheet; what zipfile cannot is not a fault
        return
    if fault:
        raise InputError(f"{path.name}, sheet {name}, {fault}")


def _cells_read(rows: Iterator[list[Any]], where: str, sheet: Any) -> Iterator[list[Any]]:
    try:
        yield from rows
    except (OverflowError, ValueError) as exc:
        raise cell_error(where, sheet, exc) from None


def cell_error(where: str, sheet: Any, exc: BaseException) -> InputError:
    """A cell python-calamine cannot give as a value (a huge number in a date or time format),
    named by its row: the sheet read again up to it (only when this happens)."""
    good = 0  # rows given before the cell
    try:
        for _row in sheet.iter_rows():
            good += 1
        at = ""
    except Exception:
        at = f", row {good + 1}"
    return InputError(
        f"{where}{at}: a cell cannot be read ({_first_line(exc)}); a number too large for its "
        "date or time format? correct the number, or format the cell as General"
    )


# -- csv --------------------------------------------------------------------------------------


def _open_csv(path: Path, spec: Spec, encoding: str | None) -> Table:
    from fupin_cli.policyfile import input_limits

    limit = input_limits().max_part_bytes
    if path.stat().st_size > limit:
        raise InputError(
            f"{path.name}: {path.stat().st_size >> 20:,} MiB, more than the {limit >> 20:,} MiB "
            "a csv may be; split it"
        )
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError(f"{path.name}: the file is empty")
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(
                f"--encoding {encoding}: unknown encoding; try utf-8 or gb18030"
            ) from None
        candidates = [encoding]
    elif raw.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]  # Excel's 'Unicode text', renamed .csv
    else:
        candidates = ["utf-8", "gb18030"]  # GBK files from Chinese Windows Excel decode as gb18030
    for enc in candidates:
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(
            f"{path.name}: cannot decode the text as {' or '.join(candidates)}; give --encoding"
        )
    if "\x00" in text[:4096]:
        raise InputError(f"{path.name}: not a text csv file; save it as CSV (UTF-8) or .xlsx")
    # tabs when the file's start has more of them than commas, as Excel's 'Unicode text' and a
    # copy out of a sheet have; else commas
    start = text[:8192]
    delimiter = "\t" if start.count("\t") > start.count(",") else ","
    table = _find_header(path, None, spec, _csv_rows(path, text, delimiter))
    if table is None:
        raise InputError(f"{path.name}: no header row found; {_expected(spec)}")
    return table


def _csv_rows(path: Path, text: str, delimiter: str) -> Iterator[list[str]]:
    """The csv's records, cells stripped. A quote never closed swallows the rest of the file
    into one cell: refused, naming the row and line where it opened."""
    csv.field_size_limit(max(len(text), csv.field_size_limit()))  # a long cell: a rejected row
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    closed = text.rstrip().endswith('"')
    line = 0  # the line the record before ended on
    for n, row in enumerate(reader, start=1):
        if not closed and row and "\n" in row[-1] and text.endswith(row[-1]):
            raise InputError(
                f'{path.name}, row {n} (line {line + 1}): a quote (") opened there is never '
                "closed, so the rest of the file reads as one cell; close it or delete it"
            )
        line = reader.line_num
        yield [c.strip() for c in row]


# -- header -----------------------------------------------------------------------------------


def _find_header(
    path: Path, sheet: str | None, spec: Spec, rows: Iterator[list[Any]]
) -> Table | None:
    """Scan the first rows for the one whose cells name the most known fields."""
    best: tuple[int, int, list[Any], dict[str, int]] | None = None
    seen: list[list[Any]] = []
    for index, cells in enumerate(rows):
        seen.append(cells)
        found = spec.match(cells)
        if len(found) >= 2 and (best is None or len(found) > len(best[3])):
            best = (index, len(found), cells, found)
        if index + 1 >= HEADER_SCAN_ROWS:
            break
    if best is None:
        return None
    index, _n, cells, columns = best
    missing = [f for f in spec.required if f.key not in columns]
    where = f"{path.name}" + (f", sheet {sheet}" if sheet else "")
    for at in spec.repeated(cells).values():
        from openpyxl.utils import get_column_letter

        names = ", ".join(f"{get_column_letter(i + 1)} ({str(cells[i]).strip()})" for i in at)
        raise InputError(
            f"{where}, row {index + 1}: columns {names} name the same field; keep one of them"
        )
    for i, cell in enumerate(cells):  # 金额(万元) for 金额(元): the field, in another unit
        field = spec.other_unit(cell) if cell and i not in columns.values() else None
        if field is not None and field.key not in columns:
            raise InputError(
                f"{where}, row {index + 1}: column {str(cell).strip()} is in another unit than "
                f"{field.header}, which fupin reads; convert the column and head it "
                f"{field.header}"
            )
    if missing:
        names = ", ".join(f.header for f in missing)
        raise InputError(
            f"{where}, row {index + 1}: required column(s) {names} missing from the header; add them"
        )
    headers = [("" if c is None else str(c).strip()) for c in cells]
    claimed = set(columns.values())
    added = _error_workbook_columns(headers)
    unknown = [h for i, h in enumerate(headers) if h and i not in claimed and i not in added]
    # The rows scanned after the header, then the rest: the numbers run on (row index + 1).
    return Table(path, sheet, index + 1, headers, columns, unknown, chain(seen[index + 1 :], rows))


def _error_workbook_columns(headers: list[str]) -> set[int]:
    """The columns an error workbook adds around the original cells (行号, 列, 原因 first,
    reason last): read back corrected, they are passed over without a warning."""
    from fupin_cli.io.errors_file import LEAD, TRAIL

    if headers[: len(LEAD)] != LEAD:
        return set()
    added = set(range(len(LEAD)))
    if headers[-len(TRAIL) :] == TRAIL:
        added |= set(range(len(headers) - len(TRAIL), len(headers)))
    return added


def _bare(header: str) -> str:
    """A header without its bracketed unit: 金额(万元) → 金额."""
    return _unit_split(header)[0]


def _unit_split(header: str) -> tuple[str, str | None]:
    """(name, unit) of a header as compared: 金额（万元） → (金额, 万元); 姓名 → (姓名, None)."""
    text = norm_header(header)
    at = text.find("(")
    if at > 0 and text.endswith(")"):
        return text[:at], text[at + 1 : -1]
    return text, None


# Units written two ways (after NFKC, which makes ㎡ "m2"); a field without a unit is a count.
_SAME_UNIT = {"个月": "月", "平米": "m2", "平方米": "m2", "m²": "m2", "元/人": "元", "元/年": "元"}
_COUNTS = {"人", "户", "个", "名", "次", "口"}


def _same_unit(unit: str | None, own: str | None) -> bool:
    if unit is None:
        return own is None
    if own is None:
        return unit in _COUNTS  # 农业人口(人) for 农业人口
    return _SAME_UNIT.get(unit, unit) == _SAME_UNIT.get(own, own)


def _expected(spec: Spec) -> str:
    names = ", ".join(f.header for f in (spec.required or spec.fields[:5]))
    return f"expected a row of column names such as {names}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def cells_of(
    table: Table, cells: Sequence[Any], keys: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """The row as {field key: cell}; a short row gives blanks."""
    cols = keys or table.columns
    n = len(cells)
    return {k: (cells[i] if i < n else "") for k, i in cols.items()}


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
