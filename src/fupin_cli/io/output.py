"""Render results: a rich table for people, json and csv for programs. Data goes to stdout.

Every string that leaves the program through csv or xlsx passes ``guard`` so that no exported
cell can start a formula (CSV/formula injection).
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fupin_cli.core.text import message_text, workbook_text

FORMATS = ("table", "json", "csv")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")

Column = tuple[str, str]  # (record key, header shown)


def guard(value: Any) -> Any:
    """A string that a spreadsheet would read as a formula gets a leading apostrophe; one
    holding a control character has it shown escaped (openpyxl cannot store it, a terminal
    obeys it), one longer than a cell holds is cut (``core.text.workbook_text``)."""
    if isinstance(value, str):
        if not value.isprintable() or len(value) > _cell_chars():
            value = workbook_text(value, _cell_chars())
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


@cache
def _cell_chars() -> int:
    from fupin_cli.policyfile import input_limits

    return input_limits().max_cell_chars


@contextmanager
def text_output(path: Path | None, *, excel: bool = False) -> Iterator[IO[str]]:
    """Where json or csv goes: stdout, or the file ``path`` (-o), written whole or not at all (a
    temporary file beside it, renamed when complete). An existing file is replaced only by the
    same kind of output (the same first line): a roster.csv given as -o is left alone.
    ``excel``: a byte-order mark first, so that Excel reads the UTF-8 (csv)."""
    if path is None:
        yield sys.stdout
        return
    from fupin_cli.errors import UsageError

    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8-sig" if excel else "utf-8", newline="") as out:
            yield out
        if path.exists() and _first_line(path) != _first_line(tmp):
            raise UsageError(
                f"-o {path}: the file exists and holds something else (an input?); choose "
                "another name, or move the file away first"
            )
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"-o {path}: cannot write ({exc.strerror}); check the folder") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _first_line(path: Path) -> str:
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            return f.readline().rstrip("\r\n")
    except OSError:
        return ""


EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of stdout went away


class _StdoutConsole(Console):
    def on_broken_pipe(self) -> None:
        """`fupin … | head`: stop quietly, as a Unix tool killed by SIGPIPE does (rich's own
        answer is exit 1, which here says "data problems")."""
        self.quiet = True
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(EXIT_BROKEN_PIPE)


def stdout_console() -> Console:
    # Not a terminal (a batch script, a pipe): no colour, and 200 columns unless COLUMNS says
    # how wide (COLUMNS=100 fupin report … > report.txt).
    tty = sys.stdout.isatty()
    width = None if tty else _columns() or 200
    return _StdoutConsole(
        file=sys.stdout, width=width, no_color=not tty, highlight=False, markup=False
    )


def _columns() -> int | None:
    value = os.environ.get("COLUMNS", "")
    return int(value) if value.isdigit() and int(value) >= 40 else None


class _StderrConsole(Console):
    def print(self, *objects: Any, **options: Any) -> None:
        """Messages carry file names and cells: their control characters shown escaped."""
        super().print(*(message_text(o) if isinstance(o, str) else o for o in objects), **options)


def stderr_console(quiet: bool = False) -> Console:
    # markup off: messages carry file names, household names and policy versions, never markup
    width = None if sys.stderr.isatty() else 200
    return _StderrConsole(file=sys.stderr, quiet=quiet, highlight=False, markup=False, width=width)


def table(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], title: str | None = None
) -> Table:
    """A rich Table whose cells are plain Text: data can never inject console markup."""
    t = Table(title=Text(title) if title else None, show_lines=False)
    for _key, header in columns:
        t.add_column(Text(header))
    for row in rows:
        t.add_row(*(Text(_cell(row.get(key))) for key, _h in columns))
    return t


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _csv(value: Any) -> str:
    """A csv cell: text is guarded against formulas; numbers (a negative one too) stay numbers."""
    return guard(value) if isinstance(value, str) else _cell(value)


def print_json(obj: Any, out: IO[str] | None = None) -> None:
    out = out or sys.stdout
    json.dump(obj, out, ensure_ascii=False, indent=2, default=str)
    out.write("\n")


def write_csv(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], out: IO[str] | None = None
) -> None:
    out = out or sys.stdout
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([guard(h) for _k, h in columns])
    for row in rows:
        writer.writerow([_csv(row.get(k)) for k, _h in columns])


def emit(
    fmt: str,
    *,
    data: Any,
    rows: Sequence[Mapping[str, Any]] = (),
    columns: Sequence[Column] = (),
    title: str | None = None,
) -> None:
    """Print a command's result: ``data`` as json, or ``rows``×``columns`` as table/csv."""
    if fmt == "json":
        print_json(data)
    elif fmt == "csv":
        write_csv(rows, columns)
    else:
        stdout_console().print(table(rows, columns, title))


class StageBar:
    """The reading bar, then one line for each later stage.

    ``bar(done, total)`` moves the reading bar; ``total`` is a guess (a sheet read in pieces
    counts its rows from the XML's size), so the bar never shows fewer than ``done``, and
    ``bar(n, n)`` at the end of the read fills it: 100%. ``bar.stage(label)`` fills the line
    before and opens one for the stage, so a long write after the read is named, not a bar
    sitting below 100%."""

    def __init__(self, progress: Any, label: str) -> None:
        self._progress = progress
        self._task = progress.add_task(label, total=None, figures="")

    def __call__(self, done: int, total: int | None) -> None:
        total = max(total, done) if total is not None else None
        shown = f"{done:,}/{total:,} rows" if total is not None else f"{done:,} rows"
        self._progress.update(self._task, completed=done, total=total, figures=shown)

    def stage(self, label: str) -> None:
        self.finish()
        self._task = self._progress.add_task(label, total=None, figures="")

    def finish(self) -> None:
        """The current line at 100%."""
        task = next(t for t in self._progress.tasks if t.id == self._task)
        done = task.total if task.total is not None else max(task.completed, 1)
        self._progress.update(self._task, completed=done, total=done)


@contextmanager
def progress_bar(console: Console, label: str) -> Iterator[StageBar | None]:
    """A progress bar on stderr when it is a terminal (and not --quiet); else nothing at all,
    so batch logs stay clean. Yields a ``StageBar`` or None."""
    if console.quiet or not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[figures]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        bar = StageBar(progress, label)
        yield bar
        bar.finish()
