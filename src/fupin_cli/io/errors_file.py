"""The error workbook a township cadre opens to fix their sheet.

Each rejected row keeps its original cells, plus 行号 (the row as Excel shows it), 列 (the column
header; empty for a household or row fault) and 原因 (the reason). No error file when nothing was
rejected — and an old one of the same name is removed, so a stale file never misleads.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fupin_cli.errors import UsageError
from fupin_cli.io.output import guard
from fupin_cli.io.xlsx import display_width, header_style

LEAD = ["行号", "列", "原因"]


@dataclass(frozen=True)
class Rejected:
    row: int
    cells: Sequence[Any]
    column: str
    reason: str


def default_errors_path(source: Path) -> Path:
    suffix = ".errors.csv" if source.suffix.lower() == ".csv" else ".errors.xlsx"
    return source.with_name(source.stem + suffix)


def write_errors(path: Path, headers: Sequence[str], rejected: Sequence[Rejected]) -> Path | None:
    """Write the rejected rows (sorted by row) to ``path``; remove ``path`` when there are none."""
    if not rejected:
        path.unlink(missing_ok=True)
        return None
    rows = sorted(rejected, key=lambda r: r.row)
    width = len(headers)
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(LEAD + [guard(h) for h in headers])
            for r in rows:
                w.writerow(
                    [
                        r.row,
                        guard(r.column),
                        guard(r.reason),
                        *(_csv_cell(c) for c in _pad(r.cells, width)),
                    ]
                )
        return path
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误行")
    widths = [6, 12, 60] + [max(8, display_width(h) + 2) for h in headers]
    for i, w in enumerate(widths):
        ws.column_dimensions[_letter(i)].width = min(w, 60)
    ws.freeze_panes = "A2"
    from openpyxl.cell import WriteOnlyCell

    header_cells = []
    for h in LEAD + list(headers):
        c = WriteOnlyCell(ws, value=guard(h))
        c.font, c.fill = header_style()
        header_cells.append(c)
    ws.append(header_cells)
    for r in rows:
        out = []
        for value in [r.row, r.column, r.reason, *_pad(r.cells, width)]:
            cell = WriteOnlyCell(ws, value=guard(value) if isinstance(value, str) else value)
            if isinstance(value, str):
                cell.data_type = "s"
            elif _long_whole(value):
                cell.number_format = "0"  # a 户编号 typed as a number: every digit shown
            out.append(cell)
        ws.append(out)
    ws.auto_filter.ref = f"A1:{_letter(len(LEAD) + width - 1)}{len(rows) + 1}"
    wb.save(path)
    return path


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


class ErrorFile:
    """The error workbook of one run, written so that it can never contradict the database.

    The target is checked before anything is written (not an input file, a folder that exists and
    can be written), the workbook is staged beside it *inside* the run's transaction (a failure
    rolls the run back), and ``publish`` puts it in place once the transaction has committed —
    or removes a stale one when nothing was rejected. As a context manager around the
    transaction it does the one or the other on leaving.
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
        if not os.access(folder, os.W_OK) or (
            self.target.exists() and not os.access(self.target, os.W_OK)
        ):
            raise UsageError(
                f"cannot write the error file {target}: no permission; choose another --errors path"
            )
        self.staged: Path | None = None

    def stage(self, headers: Sequence[str], rejected: Sequence[Rejected]) -> str | None:
        """Write the workbook under a temporary name; returns the final path, or None."""
        if not rejected:
            return None
        temp = self.target.with_name(f"~{os.getpid()}-{self.target.name}")
        try:
            write_errors(temp, headers, rejected)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise UsageError(
                f"cannot write the error file {self.target}: {exc.strerror}; nothing was written"
            ) from None
        self.staged = temp
        return str(self.target)

    def publish(self) -> None:
        if self.staged is None:
            self.target.unlink(missing_ok=True)
        else:
            os.replace(self.staged, self.target)
            self.staged = None

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
        else:
            self.discard()
