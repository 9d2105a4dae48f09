"""fupin report — the quarterly report and the township files (户有卡、村有册、乡有档)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from fupin_cli.cli.app import app
from fupin_cli.cli.options import PolicyOpt, ShowIdOpt, open_db, state
from fupin_cli.core.periods import PeriodError, parse_period
from fupin_cli.db.ledger_seal import current_seal
from fupin_cli.errors import EXIT_DATA, UsageError
from fupin_cli.io.document import county_heading, quarter_label
from fupin_cli.io.output import print_json, stderr_console, text_output
from fupin_cli.policyfile import load_policy
from fupin_cli.reports import files, mpi, render, written
from fupin_cli.reports.period_notes import period_notes
from fupin_cli.reports.quarterly import build
from fupin_cli.reports.tables import TABLES, all_tables, with_as_of


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    docx = "docx"


class MoneyUnit(StrEnum):
    yuan = "元"
    wan = "万元"


class Level(StrEnum):
    county = "county"
    township = "township"
    village = "village"


report_app = typer.Typer(
    help="报告 / the quarterly report and the township files.",
    invoke_without_command=True,
    rich_markup_mode=None,
)
app.add_typer(report_app, name="report")

OutOpt = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="输出文件 / the .xlsx file to write.", dir_okay=False),
]


@report_app.callback()
def report_command(
    ctx: typer.Context,
    quarter: Annotated[
        str | None, typer.Option("--quarter", help="季度 / the quarter, like 2016Q3.")
    ] = None,
    year: Annotated[
        str | None, typer.Option("--year", help="年度 / the whole year, like 2016.")
    ] = None,
    level: Annotated[
        Level, typer.Option("--level", help="汇总层级 / county, township or village.")
    ] = Level.village,
    fmt: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="格式 / table, json, csv, xlsx or docx (书面报告, the written report to edit in "
            "Word or WPS; default: table; with -o, the file's ending).",
        ),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option("--table", help=f"csv 的表 / the table for csv: {', '.join(TABLES)}."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="输出文件 / the file to write: .xlsx (every table), .docx (书面报告, the "
            "written report to edit in Word or WPS), .json or .csv.",
            dir_okay=False,
        ),
    ] = None,
    policy: PolicyOpt = None,
    unit: Annotated[
        MoneyUnit,
        typer.Option("--unit", help="xlsx 金额单位 / the xlsx money tables' unit: 元 or 万元."),
    ] = MoneyUnit.yuan,
    with_mpi: Annotated[
        bool, typer.Option("--mpi", help="多维贫困 / add H, A, M0 (Alkire–Foster) of the year.")
    ] = False,
) -> None:
    """季度报告 / the quarterly (--quarter 2016Q3) or yearly (--year 2016) report."""
    if ctx.invoked_subcommand is not None:
        return
    if (quarter is None) == (year is None):
        raise UsageError("give --quarter 2016Q3 or --year 2016 (one of them)")
    option, value = ("--quarter", quarter) if quarter is not None else ("--year", year)
    try:
        period = parse_period(value)
    except PeriodError as exc:
        raise UsageError(f"{option}: {exc}") from None
    if year and period.quarter is not None:
        raise UsageError(
            f"--year {year}: that is a quarter; use --quarter {year} or a year like {period.year}"
        )
    if quarter and period.quarter is None:
        raise UsageError(
            f"--quarter {quarter}: that is a year; use --year {quarter} or a quarter like {quarter}Q3"
        )
    fmt = _format(fmt, output)
    if fmt is ReportFormat.csv and table not in TABLES:
        raise UsageError(f"a csv report is one table: give --table, one of: {', '.join(TABLES)}")
    pol = load_policy(policy)
    db = open_db(ctx, existing=True)
    try:
        with db.reading() as conn:
            report = build(conn, period, pol)
            notes = period_notes(conn, period)
            seal = current_seal(conn)
            mpi_data = mpi.build(conn, period.year, pol) if with_mpi else None
    finally:
        db.dispose()
    say = stderr_console(state(ctx).quiet)
    heading = f"精准扶贫季度报告 {period.label} ({period.start} – {period.end})"
    if notes.interim:
        heading += f" {notes.interim_label}"
    tables = all_tables(report, level.value) if fmt not in WHOLE_REPORT else []
    if mpi_data is not None and fmt not in WHOLE_REPORT:
        tables.append(mpi.table(mpi_data))
    if fmt is ReportFormat.docx:
        assert output is not None
        written.to_docx(
            report,
            output,
            level=level.value,
            county=pol.county,
            drafted=date.today(),
            notes=[*notes.lines(), f"账本封印 ledger seal {seal}"],
        )
    elif fmt is ReportFormat.xlsx:
        assert output is not None
        title = "精准扶贫季度报告" if period.quarter is not None else "精准扶贫年度报告"
        when = quarter_label(period.label, period.start, period.end)
        if notes.interim:
            when += f" {notes.interim_label}"
        doc = county_heading(pol.county, title, period=when)
        render.to_xlsx(
            tables,
            output,
            doc,
            unit=unit.value,
            notes=[*notes.lines(), f"账本封印 ledger seal {seal}"],
        )
    elif fmt is ReportFormat.table:
        render.to_terminal(tables, heading)
    else:
        with text_output(output, excel=fmt is ReportFormat.csv) as out:
            if fmt is ReportFormat.json:
                data = report.as_dict(level.value)
                data.update(interim=notes.interim, as_of=notes.as_of.isoformat(), ledger_seal=seal)
                data["notes"] = notes.lines()
                if mpi_data is not None:
                    data["mpi"] = mpi_data
                print_json(data, out)
            else:
                chosen = next(t for t in tables if t.name == table)
                render.to_csv(with_as_of(chosen, notes.as_of) if notes.interim else chosen, out)
    if output is not None:
        say.print(f"report written: {output}", markup=False)
    for line in notes.lines():
        say.print(f"warning: {line}", markup=False, highlight=False, soft_wrap=True)
    if report.county.all_zero and notes.registered:
        say.print(
            f"warning: every figure of {period.label} is zero while the register holds "
            f"{notes.registered} registered household(s)",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(EXIT_DATA)


_SUFFIX_FORMAT = {
    ".xlsx": ReportFormat.xlsx,
    ".docx": ReportFormat.docx,
    ".json": ReportFormat.json,
    ".csv": ReportFormat.csv,
}
WHOLE_REPORT = (ReportFormat.json, ReportFormat.docx)  # made from the report, not its tables


def _format(fmt: ReportFormat | None, output: Path | None) -> ReportFormat:
    """The format asked for, else the -o file's ending, else the terminal table. A file asked
    for is always written: -o with the terminal table, or with another ending, is refused."""
    if output is None:
        if fmt in (ReportFormat.xlsx, ReportFormat.docx):
            raise UsageError(f"--format {fmt.value} needs -o FILE.{fmt.value}")
        return fmt or ReportFormat.table
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"-o {output}: folder {folder} does not exist")
    by_suffix = _SUFFIX_FORMAT.get(output.suffix.lower())
    if fmt is None:
        if by_suffix is None:
            raise UsageError(
                f"-o {output}: give a file name ending in .xlsx, .docx, .json or .csv (or --format)"
            )
        return by_suffix
    if fmt is ReportFormat.table:
        raise UsageError(
            "-o writes a file: give --format xlsx, docx, json or csv, or leave -o out for the table"
        )
    if by_suffix is not None and by_suffix is not fmt:
        raise UsageError(f"-o {output}: the file's ending does not match --format {fmt.value}")
    return fmt


ExitYearOpt = Annotated[
    int | None,
    typer.Option(
        "--year",
        help="出列检验年度 / the year of the exit test (default: the register's latest "
        "identification round).",
    ),
]


@report_app.command("household")
def household_card(
    ctx: typer.Context,
    household_no: Annotated[str, typer.Argument(help="户编号 / household number.")],
    output: OutOpt = None,
    show_id: ShowIdOpt = False,
    policy: PolicyOpt = None,
) -> None:
    """户卡 / the household card: members, assessment, plan, cadre, visits, money, history."""
    county = load_policy(policy).county
    _write(
        ctx,
        output,
        lambda conn, path: files.household_card(
            conn, household_no, path, show_id=show_id, county=county
        ),
    )


@report_app.command("village")
def village_register(
    ctx: typer.Context,
    village: Annotated[str, typer.Argument(help="村代码或名称 / village code, name or 乡镇/村.")],
    output: OutOpt = None,
    show_id: ShowIdOpt = False,
    year: ExitYearOpt = None,
    policy: PolicyOpt = None,
) -> None:
    """村册 / the village register: every registered household, plus a summary sheet with the
    village's exit test (贫困村出列)."""
    pol = load_policy(policy)
    _write(
        ctx,
        output,
        lambda conn, path: files.village_register(
            conn, village, path, policy=pol, year=year, show_id=show_id
        ),
    )


@report_app.command("township")
def township_file(
    ctx: typer.Context,
    township: Annotated[str, typer.Argument(help="乡镇名称 / township name or code.")],
    output: OutOpt = None,
    show_id: ShowIdOpt = False,
    year: ExitYearOpt = None,
    policy: PolicyOpt = None,
) -> None:
    """乡档 / the township file: per-village summary with each poor village's exit test, plus
    its villages' registers."""
    pol = load_policy(policy)
    _write(
        ctx,
        output,
        lambda conn, path: files.township_file(
            conn, township, path, policy=pol, year=year, show_id=show_id
        ),
    )


def _write(ctx: typer.Context, output: Path | None, make) -> None:
    if output is None:
        raise UsageError("give -o FILE.xlsx for the workbook")
    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"-o {output}: give a file name ending in .xlsx")
    db = open_db(ctx, existing=True)
    try:
        with db.reading() as conn:
            make(conn, output)
    finally:
        db.dispose()
    stderr_console(state(ctx).quiet).print(f"written: {output}", markup=False)
