"""The error workbook a township cadre opens to fix their sheet — and imports again.

Each rejected row keeps its original cells, after 行号 (the row as Excel shows it), 列 (the
column header; empty for a household or row fault) and 原因 (the reason, in Chinese), and before
``reason`` (the same in English, for the clerk). The faulty cell is filled in colour; columns are
as wide as their content (an ID shows every digit); the sheet prints on A4 landscape, one page
wide, the header row on every page. Every importer reads the corrected workbook as it reads the
original sheet: it passes over these added columns (``io.sheets``).

No error file when nothing was rejected — and an old one of the same name that fupin wrote is
removed, so a stale file never misleads. One somebody has edited or saved since is never
replaced or removed: the new one goes beside it (``roster.errors-2.xlsx``, then -3 …).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fupin_cli.errors import UsageError
from fupin_cli.io.document import Heading, set_page, write_heading
from fupin_cli.io.output import guard
from fupin_cli.io.xlsx import (
    TEXT_FORMAT,
    display_width,
    header_style,
    save_stamped,
    unsaved_since,
)

LEAD = ["行号", "列", "原因"]  # before the original cells
TRAIL = ["reason"]  # after them
FAULT_FILL = "FFC7CE"  # the faulty cell: Excel's own light red of 'bad'
WIDTH_ROWS = 2000  # column widths are measured on the first rows (a county file has 10⁵)
MAX_WIDTH = 60


@dataclass(frozen=True)
class Rejected:
    row: int
    cells: Sequence[Any]
    column: str
    reason: str  # English
    reason_zh: str  # what the cadre reads (core.faults)


def default_errors_path(source: Path) -> Path:
    suffix = ".errors.csv" if source.suffix.lower() == ".csv" else ".errors.xlsx"
    return source.with_name(source.stem + suffix)


def import_hint(path: str | Path, command: str) -> str:
    """The end-of-run line naming the error file and the command that imports it corrected."""
    return (
        f"rejected rows written to {path}; correct them there and import that file: "
        f"fupin {command} {path}"
    )


def write_errors(
    path: Path, headers: Sequence[str], rejected: Sequence[Rejected], *, name: str | None = None
) -> Path | None:
    """Write the rejected rows (sorted by row) to ``path``; remove ``path`` when there are none."""
    if not rejected:
        path.unlink(missing_ok=True)
        return None
    rows = sorted(rejected, key=lambda r: r.row)
    width = len(headers)
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(LEAD + [guard(h) for h in headers] + TRAIL)
            for r in rows:
                w.writerow(
                    [
                        r.row,
                        guard(r.column),
                        guard(r.reason_zh),
                        *(_csv_cell(c) for c in _pad(r.cells, width)),
                        guard(r.reason),
                    ]
                )
        return path
    _write_xlsx(path, list(headers), rows, name or path.name)
    return path


def _write_xlsx(path: Path, headers: list[str], rows: list[Rejected], name: str) -> None:
    """The error workbook: a title block naming the file it came from, then the header row
    (行号 列 原因, the file's own columns, reason) and the rejected rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误行")
    titles = LEAD + headers + TRAIL
    width = len(headers)
    widths = _widths(titles, rows, width)
    for i, w in enumerate(widths):
        ws.column_dimensions[_letter(i)].width = w
    source = name.split(".errors")[0]
    title = f"{source} 错误行（待更正）"
    heading = Heading(
        title=title,
        scope=f"原表：{source}　共 {len(rows)} 行待更正",
        notes=("更正后直接导入本表；标红的单元格是出错的格子，原因见“原因”列。",),
    )
    # a write-only sheet writes its properties and panes with its first row: set them first
    top = 2 + len(heading.lines())  # the header row, under the title and its lines
    ws.freeze_panes = f"A{top + 1}"
    set_page(ws, title, header_row=top, widths=widths, landscape=True)
    # A roster has forty columns: printed one page wide they are too small to read. As many
    # pages wide as keeps the print readable, each page repeating 行号 列 原因 at its left.
    ws.page_setup.fitToWidth = pages_wide(widths)
    ws.print_title_cols = "A:C"
    assert write_heading(ws, heading, widths) == top  # the importers find the header below it

    header_cells = []
    for h in titles:
        c = WriteOnlyCell(ws, value=guard(h))
        c.font, c.fill = header_style()
        header_cells.append(c)
    ws.append(header_cells)
    fault_fill = PatternFill("solid", fgColor=FAULT_FILL)
    fault_font = Font(color="9C0006", bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    column_of = {h: i for i, h in reversed(list(enumerate(headers))) if h}  # the first of a name
    for r in rows:
        faulty = column_of.get(r.column)
        out = []
        for i, value in enumerate([r.row, r.column, r.reason_zh, *_pad(r.cells, width), r.reason]):
            cell = WriteOnlyCell(ws, value=guard(value) if isinstance(value, str) else value)
            if isinstance(value, str):
                cell.data_type = "s"
                cell.number_format = TEXT_FORMAT  # retyped, an ID stays text
            elif _long_whole(value):
                cell.number_format = "0"  # a 户编号 typed as a number: every digit shown
            if i == 2:
                cell.alignment = wrap
                cell.font = fault_font
            elif faulty is not None and i == len(LEAD) + faulty:
                cell.fill = fault_fill
            out.append(cell)
        ws.append(out)
    ws.auto_filter.ref = f"A{top}:{_letter(len(titles) - 1)}{top + len(rows)}"
    save_stamped(wb, path)


READABLE_WIDTH = 180  # column widths a landscape A4 page prints legibly (at about 75%)


def pages_wide(widths: Sequence[float]) -> int:
    """Landscape A4 pages across for ``widths``: one for a narrow sheet, more for a wide one."""
    return max(1, -(-int(sum(widths)) // READABLE_WIDTH))


def _widths(titles: list[str], rows: list[Rejected], width: int) -> list[float]:
    """Each column as wide as its widest cell (of the first ``WIDTH_ROWS`` rows), at most
    ``MAX_WIDTH`` (the reasons wrap); an ID of 18 digits is 18 wide, not ###."""
    widths = [display_width(t) for t in titles]
    for r in rows[:WIDTH_ROWS]:
        values = [r.row, r.column, r.reason_zh, *_pad(r.cells, width), r.reason]
        for i, v in enumerate(values):
            shown = _shown(v)
            if shown > widths[i]:
                widths[i] = shown
    return [min(MAX_WIDTH, max(6, w + 2)) for w in widths]


def _shown(value: Any) -> int:
    """The characters Excel needs to show ``value`` whole."""
    if isinstance(value, float) and _long_whole(value):
        return len(str(int(value)))
    if isinstance(value, float):
        return len(f"{value:.15g}")
    return display_width(value)


def _long_whole(value: Any) -> bool:
    """A whole number Excel's General format would show as 4.30725E+12 (not infinity)."""
    return type(value) in (int, float) and 1e11 <= abs(value) < 1e30 and value == int(value)


def _pad(cells: Sequence[Any], width: int) -> list[Any]:
    out = list(cells[:width])
    return out + [""] * (width - len(out))


def _csv_cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1e15:
        return repr(value)  # show the digits that Excel kept, not a rounded integer
    return guard(value) if isinstance(value, str) else value


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def free_name(asked: Path, *inputs: Path | None) -> Path:
    """``asked``, unless a workbook there was edited or saved since fupin wrote it: then the
    first of ``NAME-2.xlsx``, ``NAME-3.xlsx`` … that is free or fupin's own, untouched."""
    if asked.suffix.lower() != ".xlsx":
        return asked  # a csv carries no mark of who saved it last
    taken = {Path(p).resolve() for p in inputs if p is not None}
    n = 1
    candidate = asked
    while candidate.resolve() in taken or (candidate.exists() and not unsaved_since(candidate)):
        n += 1
        candidate = asked.with_name(f"{asked.stem}-{n}{asked.suffix}")
    return candidate


def _remove_dead_stages(target: Path) -> None:
    """Remove ``~PID-<target name>`` files that runs killed before publishing left behind."""
    for stale in target.parent.glob(f"~*-{target.name}"):
        pid = stale.name[1:].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            stale.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


class ErrorFile:
    """The error workbook of one run, written so that it can never contradict the database.

    The target is checked before anything is written (not an input file, a folder that exists and
    can be written) and moved aside from a workbook somebody edited (``free_name``), the workbook
    is staged beside it *inside* the run's transaction (a failure rolls the run back), and
    ``publish`` puts it in place — or removes a stale one of fupin's when nothing was rejected —
    just before the transaction commits (the job registers it with ``db.engine.before_commit``),
    so a kill at any moment never leaves a committed batch row naming a file that is not there.
    As a context manager around the transaction it publishes when the job did not, and on a
    failure discards the staged file, or takes back the one it published if the commit itself
    then failed. Staged files of runs that died (``~PID-…`` beside the target, that PID no longer
    running) are removed when the next run starts.
    """

    def __init__(self, target: Path, *inputs: Path | None) -> None:
        self.target = Path(target)
        resolved = self.target.resolve()
        for source in inputs:
            if source is not None and Path(source).resolve() == resolved:
                raise UsageError(
                    f"--errors {target}: that is an input file; give the error file another name"
                )
        folder = self.target.parent
        if not folder.is_dir():
            raise UsageError(
                f"--errors {target}: folder {folder} does not exist; create it or choose another path"
            )
        if self.target.is_dir():
            raise UsageError(
                f"--errors {target}: is a folder; give a file name ending in .xlsx or .csv"
            )
        if self.target.suffix.lower() not in (".xlsx", ".csv"):
            raise UsageError(f"--errors {target}: give a file name ending in .xlsx or .csv")
        self.target = free_name(self.target, *inputs)
        if not os.access(folder, os.W_OK) or (
            self.target.exists() and not os.access(self.target, os.W_OK)
        ):
            raise UsageError(
                f"cannot write the error file {target}: no permission; choose another --errors path"
            )
        self.staged: Path | None = None
        self.published = False
        _remove_dead_stages(self.target)

    def stage(self, headers: Sequence[str], rejected: Sequence[Rejected]) -> str | None:
        """Write the workbook under a temporary name; returns the final path, or None."""
        if not rejected:
            return None
        temp = self.target.with_name(f"~{os.getpid()}-{self.target.name}")
        try:
            write_errors(temp, headers, rejected, name=self.target.name)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise UsageError(
                f"cannot write the error file {self.target}: {exc.strerror}; nothing was written"
            ) from None
        self.staged = temp
        return str(self.target)

    def publish(self) -> None:
        if self.published:
            return
        if self.staged is None:
            self.target.unlink(missing_ok=True)
        else:
            os.replace(self.staged, self.target)
            self.staged = None
        self.published = True

    def discard(self) -> None:
        if self.staged is not None:
            self.staged.unlink(missing_ok=True)
            self.staged = None

    def __enter__(self) -> ErrorFile:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        """The end of the run: publish after the transaction committed, discard after anything
        went wrong (enter it before the transaction, so that it is left after it)."""
        if exc_type is None:
            self.publish()
        elif self.published:  # the commit failed after the workbook was put in place
            self.target.unlink(missing_ok=True)
        else:
            self.discard()
