"""fupin assign — cadres, pairing, village work teams and the visit log (结对帮联, 驻村帮扶)."""

from __future__ import annotations

import typer

from fupin_cli.cli.app import app
from fupin_cli.cli.options import (
    DryRunOpt,
    EncodingOpt,
    ErrorsOpt,
    FileArg,
    FormatOpt,
    JudgeAsOfOpt,
    OutputFormat,
    PolicyOpt,
    SheetOpt,
    judge_as_of,
    open_db,
    parse_as_of,
    say_as_of,
    state,
)
from fupin_cli.errors import EXIT_DATA
from fupin_cli.io.errors_file import import_hint
from fupin_cli.io.output import emit, stderr_console
from fupin_cli.jobs import (
    assign_cadres,
    assign_check,
    assign_measures,
    assign_pair,
    assign_teams,
    assign_visits,
)
from fupin_cli.jobs.assign_imports import ImportOptions, ImportResult
from fupin_cli.policyfile import load_policy

assign_app = typer.Typer(
    help="帮扶 / cadres, pairing, village work teams and the visit log (结对帮联, 驻村帮扶).\n\n"
    "Import cadres, teams, visits and measures delivered from spreadsheets; 'pair' gives every "
    "registered household and student a cadre; 'check' lists every gap.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(assign_app, name="assign")


IMPORT_COLUMNS = [
    ("rows_read", "读入行 rows read"),
    ("rows_rejected", "拒收行 rejected"),
    ("created", "新增 created"),
    ("updated", "更新 updated"),
    ("unchanged", "未变 unchanged"),
]


def _import(ctx: typer.Context, run, path, dry_run, errors, sheet, encoding, fmt, title) -> None:
    """The shell of the four imports: ``run(db, opts)`` is the job (a policy already bound)."""
    say = stderr_console(state(ctx).quiet)
    opts = ImportOptions(path, dry_run=dry_run, errors=errors, sheet=sheet, encoding=encoding)
    db = open_db(ctx, dry_run=dry_run)
    try:
        result: ImportResult = run(db, opts)
    finally:
        db.dispose()
    if result.ignored:
        say.print(f"warning: {result.ignored}", markup=False)
    emit(
        fmt.value,
        data=result.summary(),
        rows=[result.summary()],
        columns=IMPORT_COLUMNS,
        title=title,
    )
    if result.dry_run:
        say.print("dry run: nothing written", markup=False)
    if result.errors_file:
        say.print(
            f"{result.rows_rejected} row(s) rejected; "
            + import_hint(result.errors_file, result.command),
            markup=False,
        )
        raise typer.Exit(EXIT_DATA)


@assign_app.command("cadres")
def cadres_command(
    ctx: typer.Context,
    file: FileArg,
    dry_run: DryRunOpt = False,
    errors: ErrorsOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """导入干部 / import the cadres (teachers included) who pair with poor households.

    Columns: 姓名, 工号 and/or 身份证号 (a cadre is known by 工号 when given, else by 身份证号),
    单位, 职级 (市级领导 县级领导 科级干部 一般干部 教师), 所在乡镇, 是否教师, 联系电话, 在岗 (是/否).
    A blank cell keeps the earlier value; write 在岗 否 when a cadre leaves.
    """
    _import(ctx, assign_cadres.run, file, dry_run, errors, sheet, encoding, fmt, "干部 cadres")


@assign_app.command("teams")
def teams_command(
    ctx: typer.Context,
    file: FileArg,
    dry_run: DryRunOpt = False,
    errors: ErrorsOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """导入驻村工作队 / import the village work teams.

    Columns: 乡镇, 村 (12-digit code or name), 队长, 队长级别 (市级 县级 乡镇), 第一书记, 后盾单位
    (several, separated by 、 or ,), 联村企业, 企业信用代码 (统一社会信用代码), 开始日期, 结束日期.
    A team is known by village and 开始日期.
    """
    _import(ctx, assign_teams.run, file, dry_run, errors, sheet, encoding, fmt, "工作队 work teams")


@assign_app.command("visits")
def visits_command(
    ctx: typer.Context,
    file: FileArg,
    dry_run: DryRunOpt = False,
    errors: ErrorsOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """导入民情记录本 / import the visit log (民情记录本).

    Columns: 日期, 干部 (工号, 身份证号 or a unique name), 户编号, 类型 (走访 慰问 办实事 宣讲),
    慰问金(元), 物资折价(元), 办实事件数, 问题, 是否解决.
    """
    _import(ctx, assign_visits.run, file, dry_run, errors, sheet, encoding, fmt, "走访 visits")


@assign_app.command("measures")
def measures_command(
    ctx: typer.Context,
    file: FileArg,
    policy: PolicyOpt = None,
    dry_run: DryRunOpt = False,
    errors: ErrorsOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """导入帮扶措施落实台账 / import the measures delivered (帮扶措施落实台账).

    Columns: 日期, 户编号, 身份证号 (the member it reached; blank for the whole household), 措施
    (产业帮扶 易地搬迁 政策兜底 大病救助 教育资助 技能培训 危房改造 小额信贷 转移就业, or a synonym of the
    policy's [synonyms] such as 产业扶持 医疗救助 低保兜底, stored as the name it means), 内容,
    金额(元), 经办干部 (工号, 身份证号 or a unique name). A record is known by 日期, 户编号,
    身份证号, 措施, 内容.
    """
    rules = load_policy(policy)  # a bad policy file stops before the database is touched

    def run(db, opts):
        return assign_measures.run(db, opts, policy=rules)

    _import(ctx, run, file, dry_run, errors, sheet, encoding, fmt, "措施 measures")


PAIR_COLUMNS = [
    ("township", "乡镇 township"),
    ("households", "贫困户 households"),
    ("households_paired", "已结对 paired"),
    ("students", "在校生 students"),
    ("students_paired", "已结对 paired"),
]


@assign_app.command("pair")
def pair_command(
    ctx: typer.Context,
    as_of: JudgeAsOfOpt = None,
    policy: PolicyOpt = None,
    dry_run: DryRunOpt = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """结对帮联 / pair every registered household and student with a cadre.

    Keeps the valid pairs; ends (as history) those of exited households, departed cadres and
    former students; fills the gaps preferring a backing unit's cadre, then the township's, then
    any, least loaded first, and a teacher first for students. Capacity by rank comes from the
    policy; a shortfall is reported by township and exits 1.
    """
    say = stderr_console(state(ctx).quiet)
    parse_as_of(as_of)  # a bad --as-of is a usage error before the register is touched
    pol = load_policy(policy)
    db = open_db(ctx, dry_run=dry_run)
    try:
        chosen = judge_as_of(db, as_of)
        opts = assign_pair.PairOptions(
            as_of=chosen.day, dry_run=dry_run, as_of_source=chosen.source
        )
        result = assign_pair.run(db, pol, opts)
        say_as_of(chosen, state(ctx).quiet)
    finally:
        db.dispose()
    data = result.summary()
    emit(fmt.value, data=data, rows=data["by_township"], columns=PAIR_COLUMNS, title="结对 pairing")
    if fmt is OutputFormat.table:
        say.print(
            f"pairs kept {result.pairs_kept}, added {result.pairs_added}, ended {result.pairs_ended}"
            + (" (dry run: nothing written)" if result.dry_run else ""),
            markup=False,
        )
    if result.problems:
        for s in result.shortfall:
            say.print(
                f"shortfall: {s['township']}: {s['households']} household(s), "
                f"{s['students']} student(s) without a cadre; import more cadres or raise "
                "policy assign.capacity",
                markup=False,
            )
        raise typer.Exit(EXIT_DATA)


CHECK_COLUMNS = [
    ("township", "乡镇 township"),
    ("village", "村 village"),
    ("label", "问题 gap"),
    ("subject", "对象 subject"),
    ("detail", "说明 detail"),
]


@assign_app.command("check")
def check_command(
    ctx: typer.Context,
    as_of: JudgeAsOfOpt = None,
    policy: PolicyOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """帮扶缺口 / list every gap in pairing, work teams, visits and measures, by township and village.

    Rules: household_unpaired, student_unpaired, cadre_over_capacity, village_no_team,
    village_no_leader, village_no_secretary, team_no_unit, household_not_visited (policy
    assign.visit_days), visit_unpaired, measure_not_delivered (a measure of the household's plan
    with no record), labour_not_trained (a working-age able member never trained),
    student_no_aid (no 教育资助 in the school year), household_no_employment (labour, nobody in
    work). Exits 1 when any gap exists.
    """
    say = stderr_console(state(ctx).quiet)
    parse_as_of(as_of)
    pol = load_policy(policy)
    db = open_db(ctx, existing=True)
    try:
        chosen = judge_as_of(db, as_of)
        day = chosen.day
        with db.reading() as conn:
            found = assign_check.gaps(conn, day, pol)
        say_as_of(chosen, state(ctx).quiet)
    finally:
        db.dispose()
    counts = assign_check.count_by_rule(found)
    emit(
        fmt.value,
        data={
            "as_of": day.isoformat(),
            "counts": counts,
            "gaps": [g.as_dict() for g in found],
        },
        rows=[{**g.as_dict(), "label": f"{g.rule.label} {g.rule.value}"} for g in found],
        columns=CHECK_COLUMNS,
        title=f"帮扶缺口 gaps on {day}",
    )
    if fmt is OutputFormat.table:
        summary = ", ".join(f"{rule} {n}" for rule, n in counts.items())
        say.print(f"{len(found)} gap(s)" + (f": {summary}" if summary else ""), markup=False)
    if found:
        raise typer.Exit(EXIT_DATA)
