"""fupin identify — import a roster and identify poor households (精准识别, 五看法)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fupin_cli.cli.app import app
from fupin_cli.cli.options import (
    AsOfOpt,
    DryRunOpt,
    EncodingOpt,
    ErrorsOpt,
    FormatOpt,
    OutputFormat,
    PolicyOpt,
    SheetOpt,
    open_db,
    parse_as_of,
    state,
)
from fupin_cli.core.money import format_fen
from fupin_cli.errors import EXIT_DATA, UsageError
from fupin_cli.io.errors_file import import_hint
from fupin_cli.io.output import emit, progress_bar, stderr_console, write_csv
from fupin_cli.jobs import identify as job
from fupin_cli.jobs.template import write_template
from fupin_cli.policyfile import load_policy

COLUMNS = [
    ("township", "乡镇 township"),
    ("households", "户数 households"),
    ("persons", "人数 persons"),
    ("identified", "识别 identified"),
    ("review", "待评议 review"),
    ("not_identified", "不识别 not identified"),
]

# identify --format csv: the township table, an empty line, then these counts as key,value rows
# (the json's keys), so that a batch script reads e.g. newly_identified without a json parser
SUMMARY_COLUMNS = [("key", "指标 key"), ("value", "数值 value")]


@app.command("identify")
def identify_command(
    ctx: typer.Context,
    roster: Annotated[
        Path | None,
        typer.Argument(help="花名册 / roster .xlsx or .csv, one row per person.", dir_okay=False),
    ] = None,
    villages: Annotated[
        Path | None,
        typer.Option(
            "--villages", help="村表 / villages sheet (贫困村, 农业人口 …).", dir_okay=False
        ),
    ] = None,
    as_of: AsOfOpt = None,
    policy: PolicyOpt = None,
    dry_run: DryRunOpt = False,
    errors: ErrorsOpt = None,
    villages_errors: Annotated[
        Path | None,
        typer.Option(
            "--villages-errors",
            help="村表错误文件 / where rejected village rows go (default: beside the villages file).",
            dir_okay=False,
        ),
    ] = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    allow_moves: Annotated[
        bool,
        typer.Option(
            "--allow-moves",
            help="允许迁户 / record a person registered in another household as a move.",
        ),
    ] = False,
    template: Annotated[
        Path | None,
        typer.Option(
            "--template",
            help="导出空白模板 / write an empty roster template .xlsx and stop.",
            dir_okay=False,
        ),
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """导入花名册并识别贫困户 / import a roster and identify poor households (five looks + income line)."""
    s = state(ctx)
    say = stderr_console(s.quiet)
    if template is not None:
        if roster is not None or villages is not None:
            raise UsageError("--template writes an empty roster and imports nothing; give it alone")
        write_template(template, county=load_policy(policy).county)
        say.print(f"template written: {template}")
        return
    opts = job.IdentifyOptions(
        roster=roster,
        villages=villages,
        as_of=parse_as_of(as_of),
        dry_run=dry_run,
        errors=errors,
        villages_errors=villages_errors,
        sheet=sheet,
        encoding=encoding,
        allow_moves=allow_moves,
    )
    pol = load_policy(policy)
    db = open_db(ctx, dry_run=dry_run)
    try:
        with progress_bar(say, f"reading {roster.name}" if roster else "") as progress:
            result = job.run(
                db,
                pol,
                opts,
                warn=lambda m: say.print(f"warning: {m}", markup=False),
                progress=progress,
            )
    finally:
        db.dispose()
    if result.income_line_fen is not None:
        _say_income_line(result, pol.version, given=as_of is not None, say=say)
    _report(result, fmt, say)
    if result.problems:
        raise typer.Exit(EXIT_DATA)


def _say_income_line(result: job.IdentifyResult, version: str, *, given: bool, say) -> None:
    """Which income line judged the roster; early in a year, without --as-of, the reminder that
    a roster of last year's incomes belongs to last year (the January import)."""
    assert result.as_of is not None and result.income_line_fen is not None
    say.print(
        f"income line {format_fen(result.income_line_fen)} yuan per person a year: the "
        f"{result.income_year} line (policy {version}), judged as of {result.as_of}",
        markup=False,
        highlight=False,
    )
    if not given and result.as_of.month <= 3:
        last = result.as_of.replace(month=12, day=31, year=result.as_of.year - 1)
        say.print(
            f"note: if this roster carries {last.year}'s incomes (the year-end update), it "
            f"belongs to {last.year}Q4 and the {last.year} line: import it with --as-of {last} "
            "into the register as it was before this run (README: the January import)",
            markup=False,
            highlight=False,
        )


def _report(result: job.IdentifyResult, fmt: OutputFormat, say) -> None:
    for village, n in sorted(result.absent.items()):
        say.print(
            f"warning: {village}: {n} registered household(s) not in this roster (kept as they are)",
            markup=False,
        )
    summary = result.summary()
    rows = summary["by_township"]
    total = {"township": "合计 total", **{k: getattr(result, k) for k, _ in COLUMNS[1:]}}
    emit(
        fmt.value,
        data=summary,
        rows=[*rows, total],
        columns=COLUMNS,
        title="识别结果 identification",
    )
    if fmt is OutputFormat.csv:  # then, after an empty line, the run's counts: key,value
        print()
        counts = [
            {"key": k, "value": v}
            for k, v in summary.items()
            if not isinstance(v, (dict, list))  # by_township is the table above
        ]
        write_csv(counts, SUMMARY_COLUMNS)
    if fmt is OutputFormat.table:
        say.print(
            f"rows read {result.rows_read}, rejected {result.rows_rejected}; newly identified "
            f"{result.newly_identified}, proposed exit {result.proposed_exit}, exited {result.exited}, "
            f"returned {result.returned}, removed {result.removed}"
            + (" (dry run: nothing written)" if result.dry_run else ""),
            markup=False,
        )
    if result.members_dropped:
        say.print(
            f"warning: {result.members_dropped} member(s) that this roster no longer lists were "
            "taken off their household; if a row was deleted by mistake, restore it and run again",
            markup=False,
        )
    if result.errors_file:
        say.print(
            import_hint(result.errors_file, "identify"),
            markup=False,
        )
