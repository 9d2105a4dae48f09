"""Options shared by every command, as Annotated aliases, and the run's state."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from fupin_cli.core.dates import GIVEN, AsOf, DateError, choose_as_of, parse_record_date
from fupin_cli.db.engine import Database, open_database
from fupin_cli.db.status import register_date
from fupin_cli.errors import UsageError
from fupin_cli.io.output import stderr_console


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@dataclass
class AppState:
    db: str = "fupin.db"
    journal: str = "wal"
    quiet: bool = False


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj


def open_db(ctx: typer.Context, *, existing: bool = False, dry_run: bool = False) -> Database:
    """The register named by --db / FUPIN_DB.

    ``existing``: a command that only reads (a report, a check, a balance) refuses a register
    that is not there, rather than create an empty one and report zeros (a mistyped --db in a
    scheduled run). ``dry_run``: a dry run against a register that is not there runs on an empty
    one in memory, so that it leaves no file behind."""
    s = state(ctx)
    path = s.db.removeprefix("sqlite:///")
    missing = "://" not in path and not Path(path).exists()
    if existing and missing:
        raise UsageError(
            f"database {s.db}: no register there; check --db (or FUPIN_DB), "
            "or build the register first with fupin identify"
        )
    if dry_run and missing:
        db = open_database("sqlite:///:memory:", journal=s.journal)
        db.label = f"{s.db} (not there: the dry run used an empty register in memory)"
        return db
    db = open_database(s.db, journal=s.journal, create=not existing)
    say = stderr_console(s.quiet)
    db.warn = lambda message: say.print(f"warning: {message}", markup=False, highlight=False)
    if not s.quiet:
        db.on_wait = lambda message: say.print(message, markup=False, highlight=False)
    return db


def parse_as_of(value: str | None):
    """--as-of DATE (default today), or a UsageError naming the option."""
    import datetime as dt

    if value is None:
        return dt.date.today()
    try:
        return parse_record_date(value)
    except DateError as exc:
        raise UsageError(f"--as-of: {exc}") from None


def judge_as_of(db: Database, value: str | None) -> AsOf:
    """The day a command that judges the register works as of: --as-of, else the register's
    own date (its latest identification's, never after today), else today."""
    import datetime as dt

    given = parse_as_of(value) if value is not None else None
    register_day = None
    if given is None:
        with db.reading() as conn:
            register_day = register_date(conn)
    return choose_as_of(given, register_day, dt.date.today())


def say_as_of(chosen: AsOf, quiet: bool = False) -> None:
    """A day fupin chose is said on stderr once the work is done, so the log of a scheduled run
    shows the day each judgement used; a day given with --as-of is the clerk's own."""
    if chosen.source != GIVEN:
        stderr_console(quiet).print(chosen.describe(), markup=False, highlight=False)


FormatOpt = Annotated[
    OutputFormat,
    typer.Option(
        "--format", "-f", help="输出格式 / output format: table, json or csv.", case_sensitive=False
    ),
]
DryRunOpt = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="只检查不写入 / check everything, write nothing (the error file is still written).",
    ),
]
PolicyOpt = Annotated[
    Path | None,
    typer.Option(
        "--policy", help="政策文件 / policy TOML merged over the shipped defaults.", dir_okay=False
    ),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="基准日期 / the date the work is done as of (default today)."),
]
JudgeAsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="基准日期 / the day to judge the register on (default: the register's own date, "
        "the as-of of its latest identification).",
    ),
]
ErrorsOpt = Annotated[
    Path | None,
    typer.Option(
        "--errors",
        help="错误文件 / where rejected rows go (default: <input>.errors.xlsx beside it).",
        dir_okay=False,
    ),
]
FileArg = Annotated[
    Path,
    typer.Argument(
        help="表格 / the .xlsx or .csv file to import.", dir_okay=False, show_default=False
    ),
]
SheetOpt = Annotated[
    str | None,
    typer.Option(
        "--sheet", help="工作表 / sheet name (default: the first visible sheet with a header row)."
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option("--encoding", help="csv 编码 / csv encoding (default: detect UTF-8 or GB18030)."),
]
ShowIdOpt = Annotated[
    bool,
    typer.Option("--show-id", help="显示完整身份证号和电话 / show full ID numbers and phones."),
]
