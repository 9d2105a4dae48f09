"""fupin assess — the county exit self-assessment (贫困县退出自评, 三率一度)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fupin_cli.cli.app import app
from fupin_cli.cli.assign import _import
from fupin_cli.cli.options import (
    DryRunOpt,
    EncodingOpt,
    ErrorsOpt,
    FileArg,
    FormatOpt,
    OutputFormat,
    PolicyOpt,
    SheetOpt,
    open_db,
    state,
)
from fupin_cli.cli.report import ReportFormat, _format
from fupin_cli.errors import EXIT_DATA, UsageError
from fupin_cli.io.output import emit, print_json, stderr_console, text_output, write_csv
from fupin_cli.jobs import assess as job
from fupin_cli.jobs import assess_report
from fupin_cli.policyfile import load_policy

assess_app = typer.Typer(
    help="贫困县退出自评 / the county exit self-assessment: draw the sample, import the survey, "
    "report 三率一度 and the exit test.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(assess_app, name="assess")

YearOpt = Annotated[int, typer.Option("--year", help="评估年度 / the year assessed, like 2016.")]

SAMPLE_COLUMNS = [
    ("year", "年度"),
    ("seed", "随机种子 seed"),
    ("villages", "抽样村 villages"),
    ("households", "抽样户 households"),
    ("persons", "人数 persons"),
]
CONDITION_LABELS = {
    "incidence": "综合贫困发生率",
    "wrong_exit": "错退率",
    "missed": "漏评率",
    "wrong_registration": "错评率",
    "approval": "群众认可度",
}


@assess_app.command("sample")
def sample_command(
    ctx: typer.Context,
    year: YearOpt,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="入户调查表 / the survey .xlsx to write.")
    ],
    villages: Annotated[int | None, typer.Option("--villages", min=1)] = None,
    households: Annotated[
        int | None, typer.Option("--households", min=1, help="每村抽样户数 / households a village.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="随机种子 / same seed, same sample.")] = 0,
    dry_run: DryRunOpt = False,
    policy: PolicyOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """抽样 / draw the year's stratified sample and write the survey workbook (入户调查表)."""
    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"-o {output}: the survey is an .xlsx file; give a name ending in .xlsx")
    pol = load_policy(policy)
    db = open_db(ctx, existing=True, dry_run=dry_run)
    try:
        result = job.sample(
            db,
            year,
            villages or pol.assess.villages,
            households or pol.assess.households_per_village,
            seed,
            pol,
            output,
            dry_run=dry_run,
        )
    finally:
        db.dispose()
    emit(fmt.value, data=result.summary(), rows=[result.summary()], columns=SAMPLE_COLUMNS)
    stderr_console(state(ctx).quiet).print(f"survey written: {output}", markup=False)


@assess_app.command("import")
def import_command(
    ctx: typer.Context,
    file: FileArg,
    year: Annotated[
        int | None,
        typer.Option("--year", help="评估年度 / the sample's year (default: the latest drawn)."),
    ] = None,
    dry_run: DryRunOpt = False,
    errors: ErrorsOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """导入入户调查 / import the filled survey; a corrected row is a new dated answer.

    Columns: 户编号, 核实人均纯收入(元), 吃穿不愁, 义务教育有保障, 基本医疗有保障, 住房安全有保障,
    饮水安全有保障, 认可 (是/否, also Y/N, 1/0, √/×), 调查员, 调查日期.
    """

    def run(db, opts):
        return job.import_survey(db, opts, year)

    _import(ctx, run, file, dry_run, errors, sheet, encoding, fmt, "入户调查 survey")


@assess_app.command("report")
def report_command(
    ctx: typer.Context,
    year: YearOpt,
    fmt: Annotated[
        ReportFormat | None,
        typer.Option("--format", "-f", help="格式 / table, json, csv or xlsx."),
    ] = None,
    table: Annotated[str | None, typer.Option("--table", help="csv 的表 / rates or cases.")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", dir_okay=False)] = None,
    policy: PolicyOpt = None,
) -> None:
    """三率一度 / the rates with 95 % intervals, the exit test and the cases to fix.

    Exit 1 when the exit test fails.
    """
    fmt = _format(fmt, output)
    if fmt is ReportFormat.csv and table not in ("rates", "cases"):
        raise UsageError("a csv report is one table: give --table rates or --table cases")
    pol = load_policy(policy)
    db = open_db(ctx, existing=True)
    try:
        result = assess_report.assess(db, year, pol)
    finally:
        db.dispose()
    rows = rate_rows(result.data)
    heading = f"{year}年度贫困县退出自评 三率一度"
    if fmt is ReportFormat.xlsx:
        assert output is not None
        write_xlsx(output, rows, result.cases)
    elif fmt is ReportFormat.table:
        emit("table", data=None, rows=rows, columns=RATE_COLUMNS, title=heading)
        emit("table", data=None, rows=result.cases, columns=assess_report.CASE_COLUMNS)
    else:
        with text_output(output, excel=fmt is ReportFormat.csv) as out:
            if fmt is ReportFormat.json:
                print_json(result.data, out)
            elif table == "cases":
                write_csv(result.cases, assess_report.CASE_COLUMNS, out)
            else:
                write_csv(rows, RATE_COLUMNS, out)
    say = stderr_console(state(ctx).quiet)
    if output is not None:
        say.print(f"report written: {output}", markup=False)
    if not result.data["sample"]["households"]:
        say.print(
            f"warning: no surveyed household for {year}: draw the sample (fupin assess sample) "
            "and import the filled survey (fupin assess import) first",
            markup=False,
        )
    if not result.passed:
        unmet = [CONDITION_LABELS[c["name"]] for c in result.data["exit_test"]["conditions"]
                 if not c["met"]]  # fmt: skip
        say.print(f"退出检验未通过 exit test failed: {'、'.join(unmet)}", markup=False)
        raise typer.Exit(EXIT_DATA)


RATE_COLUMNS = [
    ("name", "指标"),
    ("value", "估计值"),
    ("low", "95%下限"),
    ("high", "95%上限"),
    ("numerator", "分子"),
    ("denominator", "分母"),
    ("threshold", "标准"),
    ("met", "达标"),
    ("met_with_confidence", "95%把握达标"),
]


def rate_rows(data: dict) -> list[dict]:
    conditions = {c["name"]: c for c in data["exit_test"]["conditions"]}
    rows = []
    for name, r in data["rates"].items():
        c = conditions.get(name, {})
        rows.append(
            {
                **r,
                "name": CONDITION_LABELS[name],
                "threshold": c.get("threshold"),
                "met": c.get("met"),
                "met_with_confidence": c.get("met_with_confidence"),
            }
        )
    return rows


def write_xlsx(path: Path, rows: list[dict], cases: list[dict]) -> None:
    from fupin_cli.io.xlsx import new_workbook, save_workbook, write_table

    wb = new_workbook()
    for title, columns, data in (
        ("三率一度", RATE_COLUMNS, rows),
        ("错退漏评户", assess_report.CASE_COLUMNS, cases),
    ):
        write_table(
            wb,
            title,
            [h for _k, h in columns],
            [[_plain(r.get(k)) for k, _h in columns] for r in data],
        )
    save_workbook(wb, path)


def _plain(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    return value
