"""fupin fund — the four channels ledger (四个一点 + 社会帮扶), projects, micro-loans, rules."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from fupin_cli.cli.app import app
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
from fupin_cli.core.money import fen_to_yuan, format_fen
from fupin_cli.db.ledger_seal import current_seal
from fupin_cli.errors import UsageError
from fupin_cli.io.errors_file import import_hint
from fupin_cli.io.output import emit, print_json, stderr_console
from fupin_cli.jobs import fund as job
from fupin_cli.jobs import fund_registers as registers
from fupin_cli.jobs import fund_verify as verify_job
from fupin_cli.policyfile import load_policy

fund_app = typer.Typer(
    help="资金台账 / the funds ledger: four channels (四个一点) plus social money, projects, "
    "micro-loans and the county's money rules.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(fund_app, name="fund")


class By(StrEnum):
    channel = "channel"
    village = "village"
    purpose = "purpose"


PartialOpt = Annotated[
    bool,
    typer.Option(
        "--partial",
        help="部分写入 / write the good rows even when some are rejected (default: write nothing).",
    ),
]
YearOpt = Annotated[int | None, typer.Option("--year", help="年度 / the year (e.g. 2016).")]


def _say(ctx: typer.Context, message: str) -> None:
    stderr_console(state(ctx).quiet).print(message, highlight=False, markup=False)


def _import(
    ctx: typer.Context,
    run: Callable[..., job.ImportResult],
    path: Path,
    policy: Path | None,
    dry_run: bool,
    partial: bool,
    errors: Path | None,
    sheet: str | None,
    encoding: str | None,
    fmt: OutputFormat,
) -> None:
    """The shell of the three imports: options in, the job, the summary out, exit 1 on rejects."""
    opts = job.ImportOptions(
        dry_run=dry_run, partial=partial, errors=errors, sheet=sheet, encoding=encoding
    )
    rules = load_policy(policy)  # a bad policy file stops before the database is touched
    db = open_db(ctx, dry_run=dry_run)
    try:
        result = run(db, path, policy=rules, opts=opts)
    finally:
        db.dispose()
    if result.ignored:
        _say(ctx, f"warning: {result.ignored}")
    summary = result.summary()
    emit(
        fmt.value,
        data=summary,
        rows=[{"item": k, "value": v} for k, v in summary.items()],
        columns=[("item", "项目 item"), ("value", "数量 value")],
    )
    if result.rows_rejected:
        done = (
            "the good rows were written"
            if result.written
            else ("dry run" if dry_run else "nothing was written")
        )
        hint = import_hint(result.errors_file, result.command)
        if not result.written and not dry_run:  # the corrected rows alone would miss the good
            hint = (
                f"rejected rows written to {result.errors_file}; correct the file and import it "
                f"again, or import it with --partial and then the corrected {result.errors_file}"
            )
        _say(ctx, f"{result.rows_rejected} row(s) rejected, {done}; {hint}")
        raise typer.Exit(1)


@fund_app.command("import")
def import_command(
    ctx: typer.Context,
    path: FileArg,
    policy: PolicyOpt = None,
    dry_run: DryRunOpt = False,
    partial: PartialOpt = False,
    errors: ErrorsOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """导入资金台账 / import ledger entries (日期 渠道 类型 金额(元) 乡镇 村 项目 户编号 用途 文号
    冲销文号 拨付文号), applied in file order."""
    _import(ctx, job.import_entries, path, policy, dry_run, partial, errors, sheet, encoding, fmt)


@fund_app.command("loans")
def loans_command(
    ctx: typer.Context,
    path: FileArg,
    policy: PolicyOpt = None,
    dry_run: DryRunOpt = False,
    partial: PartialOpt = False,
    errors: ErrorsOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """导入小额信贷 / import micro-loans (户编号 身份证号 银行 金额(元) 发放日期 期限(月) 利率 用途
    状态, and 还款日期 for a loan 已还), checked against the loan rules. 用途 is the clerk's own
    text (油茶种植, 开办农家乐): it must hold a production word and no banned word (the policy's
    fund.loan.production_words and banned_words)."""
    _import(
        ctx, registers.import_loans, path, policy, dry_run, partial, errors, sheet, encoding, fmt
    )


@fund_app.command("projects")
def projects_command(
    ctx: typer.Context,
    path: FileArg,
    policy: PolicyOpt = None,
    dry_run: DryRunOpt = False,
    partial: PartialOpt = False,
    errors: ErrorsOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """导入扶贫项目 / import projects (乡镇 村 项目名称 产业 规模 单位 开始日期)."""
    _import(
        ctx, registers.import_projects, path, policy, dry_run, partial, errors, sheet, encoding, fmt
    )


def _opt(name: str, help_text: str) -> Any:
    return typer.Option(name, help=help_text)


@fund_app.command("add")
def add_command(
    ctx: typer.Context,
    kind: Annotated[
        str,
        _opt(
            "--kind",
            "类型 / 到位 receipt, 拨付 allocation, 支出 disbursement, 冲销 reversal, 涉农资金总额 agri_total.",
        ),
    ],
    amount: Annotated[str, _opt("--amount", "金额 / yuan: 80000, 80,000.50 or 8万.")],
    date: Annotated[str, _opt("--date", "日期 / the entry's date (2016-09-30).")],
    doc: Annotated[str, _opt("--doc", "文号 / the entry's document number (unique).")],
    channel: Annotated[
        str | None,
        _opt(
            "--channel",
            "渠道 / 财政投入 fiscal, 项目整合 integrated, 群众自筹 self_raised, 银行贷款 credit, 社会帮扶 social.",
        ),
    ] = None,
    village: Annotated[str | None, _opt("--village", "村 / village code, name or 乡镇/村.")] = None,
    project: Annotated[str | None, _opt("--project", "项目 / project name.")] = None,
    household: Annotated[str | None, _opt("--household", "户编号 / household number.")] = None,
    purpose: Annotated[str | None, _opt("--purpose", "用途 / purpose, e.g. 产业发展.")] = None,
    reverses: Annotated[
        str | None, _opt("--reverses", "冲销文号 / the 文号 a reversal cancels.")
    ] = None,
    allocation: Annotated[
        str | None, _opt("--allocation", "拨付文号 / the allocation a disbursement spends.")
    ] = None,
    note: Annotated[str, _opt("--note", "备注 / a remark.")] = "",
    policy: PolicyOpt = None,
    dry_run: DryRunOpt = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """记一笔 / record one ledger entry; an overdraw or banned purpose is refused (exit 1)."""
    req = job.AddRequest(
        kind=kind,
        amount=amount,
        date=date,
        doc=doc,
        channel=channel,
        village=village,
        project=project,
        household=household,
        purpose=purpose,
        reverses=reverses,
        allocation=allocation,
        note=note,
    )
    rules = load_policy(policy)
    db = open_db(ctx, dry_run=dry_run)
    try:
        result = job.add_entry(db, req, policy=rules, dry_run=dry_run)
    finally:
        db.dispose()
    data = {
        "status": result.status,
        **result.entry,
        "available": result.available,
        "allocation_available": result.allocation_available,
        "dry_run": result.dry_run,
    }
    shown = {
        k: (format_fen(v) if k in ("amount", "available", "allocation_available") and v else v)
        for k, v in data.items()
    }
    emit(
        fmt.value,
        data=data,
        rows=[{"item": k, "value": v} for k, v in shown.items() if v is not None],
        columns=[("item", "项目 item"), ("value", "值 value")],
    )


_MONEY_COLUMNS = (
    ("received_fen", "到位 received"),
    ("allocated_fen", "拨付 allocated"),
    ("disbursed_fen", "支出 disbursed"),
    ("available_fen", "可用 available"),
)
_BY_HEADERS = {"channel": "渠道 channel", "village": "村 village", "purpose": "用途 purpose"}


def _say_seal(ctx: typer.Context, seal: str, fmt: OutputFormat) -> None:
    """The ledger's seal under figures a person reads (json carries ``ledger_seal``)."""
    if fmt is not OutputFormat.json:
        _say(ctx, f"账本封印 ledger seal {seal} (fupin fund verify --seal checks it later)")


def _money_rows(rows: list[dict[str, Any]], fmt: OutputFormat) -> list[dict[str, Any]]:
    """Fen as yuan for people: 1,234.00 in a table, 1234.00 in csv."""
    show = format_fen if fmt is OutputFormat.table else (lambda f: str(fen_to_yuan(f)))
    money = {k for k, _ in _MONEY_COLUMNS}
    return [{k: (show(v) if k in money else v) for k, v in r.items()} for r in rows]


@fund_app.command("balance")
def balance_command(
    ctx: typer.Context,
    year: YearOpt = None,
    by: Annotated[
        By, typer.Option("--by", help="分组 / group by channel, village or purpose.")
    ] = By.channel,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """资金余额 / received, allocated, disbursed and available (by channel: receipts − allocations;
    by village or purpose: allocations − disbursements). Json amounts are integer fen, their
    keys ending in _fen (received_fen, allocated_fen, disbursed_fen, available_fen)."""
    db = open_db(ctx, existing=True)
    try:
        with db.reading() as conn:
            report = job.fund_balance(conn, year=year, by=by.value)
            seal = current_seal(conn)
    finally:
        db.dispose()
    data = {"year": report.year, "by": report.by, "rows": report.rows, "total": report.total}
    data["ledger_seal"] = seal
    columns = [(by.value, _BY_HEADERS[by.value]), *_MONEY_COLUMNS]
    if by is By.village:
        columns.insert(1, ("village_code", "村代码 code"))
    title = f"资金余额 balance {year}" if year else "资金余额 balance (all years)"
    emit(
        fmt.value,
        data=data,
        rows=_money_rows([*report.rows, report.total], fmt),
        columns=columns,
        title=title,
    )
    _say_seal(ctx, seal, fmt)


@fund_app.command("check")
def check_command(
    ctx: typer.Context,
    year: YearOpt = None,
    policy: PolicyOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """资金规则检查 / each county money rule with its figure and threshold; exit 1 when one is
    broken. Default year: the latest in the ledger."""
    rules_policy = load_policy(policy)
    db = open_db(ctx, existing=True)
    try:
        with db.reading() as conn:
            the_year = year if year is not None else job.latest_year(conn)
            results = job.fund_rules(conn, the_year, rules_policy)
            seal = current_seal(conn)
    finally:
        db.dispose()
    records = [
        {
            "rule": r.rule,
            "subject": r.subject,
            "value": r.value,
            "threshold": r.threshold,
            "ok": r.ok,
            "op": r.op,
            "unit": r.unit,
            "note": r.note,
        }
        for r in results
    ]
    broken = [r for r in results if not r.ok]

    def show(value: int, unit: str) -> str:
        return format_fen(value) if unit == "fen" else str(value)

    rows = [
        {
            "title": r.title,
            "subject": r.subject,
            "value": show(r.value, r.unit),
            "op": r.op,
            "threshold": show(r.threshold, r.unit),
            "ok": "✓" if r.ok else "✗",
            "note": r.note,
        }
        for r in results
    ]
    emit(
        fmt.value,
        data={
            "year": the_year,
            "policy_version": rules_policy.version,
            "ok": not broken,
            "rules": records,
            "ledger_seal": seal,
        },
        rows=rows,
        columns=[
            ("title", "规则 rule"),
            ("subject", "对象 subject"),
            ("value", "实际 value"),
            ("op", ""),
            ("threshold", "标准 threshold"),
            ("ok", "结果 ok"),
            ("note", "说明 note"),
        ],
        title=f"资金规则 fund rules {the_year}",
    )
    _say_seal(ctx, seal, fmt)
    if broken:
        _say(ctx, f"{len(broken)} of {len(results)} rule check(s) broken for {the_year}")
        raise typer.Exit(1)


@fund_app.command("notice")
def notice_command(
    ctx: typer.Context,
    village: Annotated[str, _opt("--village", "村 / village code, name or 乡镇/村.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="输出 / the .xlsx file to write.", dir_okay=False)
    ],
    year: YearOpt = None,
    policy: PolicyOpt = None,
) -> None:
    """村级公告公示 / the village's public notice of its money and projects, as .xlsx."""
    county = load_policy(policy).county
    db = open_db(ctx, existing=True)
    try:
        with db.reading() as conn:
            notice = job.village_notice(conn, village, year=year)
    finally:
        db.dispose()
    path = job.write_notice(notice, output, county=county)
    _say(
        ctx,
        f"{notice.village}: {len(notice.entries)} entries, {len(notice.projects)} projects → {path}",
    )


@fund_app.command("verify")
def verify_command(
    ctx: typer.Context,
    seal: Annotated[
        str | None,
        typer.Option(
            "--seal",
            help="封印 / a seal printed earlier (on a report, a balance or a check): the ledger "
            "must still reach it.",
        ),
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """账本校验 / check the ledger: its append-only triggers, the hash chain of every entry, and
    the seals recorded by each writing run (and --seal). Exit 1 naming the first problem."""
    if seal is not None and not _is_hash(seal):
        raise UsageError(f"--seal {seal!r}: a seal is 64 hexadecimal characters, as printed")
    db = open_db(ctx, existing=True)
    try:
        result = verify_job.verify(db, seal=seal.lower() if seal else None)
    finally:
        db.dispose()
    if fmt is OutputFormat.json:
        print_json(result.as_dict())
    elif result.ok:
        line = f"ledger intact, {result.entries} entries, seal {result.seal}"
        if result.given_position is not None:
            line += f" (the seal given is its head after entry {result.given_position})"
        typer.echo(line)
    else:
        typer.echo(f"ledger broken: {result.problems[0]}")
    if not result.ok:
        for more in result.problems[1:]:
            _say(ctx, f"also: {more}")
        raise typer.Exit(1)


def _is_hash(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdefABCDEF" for c in value)
