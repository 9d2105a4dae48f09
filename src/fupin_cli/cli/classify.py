"""fupin classify — the four categories and their measures (分类施策, 一户一策)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fupin_cli.cli.app import app
from fupin_cli.cli.options import (
    FormatOpt,
    JudgeAsOfOpt,
    OutputFormat,
    PolicyOpt,
    judge_as_of,
    open_db,
    parse_as_of,
    say_as_of,
    state,
)
from fupin_cli.core.classifier import Explanation
from fupin_cli.core.codes import Category
from fupin_cli.errors import UsageError
from fupin_cli.io.output import emit, print_json, stderr_console
from fupin_cli.jobs import classify as job
from fupin_cli.policyfile import load_policy

COLUMNS = [
    ("township", "乡镇 township"),
    *((c.key, f"{c.value} {c.key}") for c in Category),
    ("total", "合计 total"),
]


@app.command("classify")
def classify_command(
    ctx: typer.Context,
    village: Annotated[
        str | None,
        typer.Option(
            "--village",
            metavar="VILLAGE",
            help="村 / only this village: 12-digit code, name or 乡镇/村.",
        ),
    ] = None,
    household: Annotated[
        str | None,
        typer.Option("--household", metavar="NO", help="户 / only this household (户编号)."),
    ] = None,
    explain: Annotated[
        str | None,
        typer.Option(
            "--explain", metavar="NO", help="解释 / show every rule checked for one household."
        ),
    ] = None,
    plan: Annotated[
        str | None,
        typer.Option("--plan", metavar="NO", help="一户一策 / write one household's plan (-o)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="输出文件 / the --plan workbook (.xlsx).", dir_okay=False
        ),
    ] = None,
    show_id: Annotated[
        bool, typer.Option("--show-id", help="显示身份证号 / unmasked ID numbers in --plan.")
    ] = False,
    as_of: JudgeAsOfOpt = None,
    policy: PolicyOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """分类施策 / classify registered households: 产业帮扶 industry, 易地搬迁 relocation,
    政策兜底 safety net, 大病救助 illness aid, with measures and reasons."""
    _check(village, household, explain, plan, output)
    s = state(ctx)
    given, rules = parse_as_of(as_of) if as_of is not None else None, load_policy(policy)
    db = open_db(ctx, existing=explain is not None or plan is not None)
    try:
        if explain is not None:
            chosen = judge_as_of(db, as_of)
            one, e = job.explain_household(db, explain, policy=rules, as_of=chosen.day)
            say_as_of(chosen, s.quiet)
            _show_explanation(one, e, fmt)
        elif plan is not None:
            assert output is not None
            # None: the day of the record, else the register's own date
            p = job.plan(db, plan, output, policy=rules, as_of=given, show_id=show_id)
            say = stderr_console(s.quiet).print
            say(f"wrote {p.output}", highlight=False, markup=False)
            if not p.recorded:
                say(
                    f"{p.household_no} is not classified yet: the plan shows what the rules give "
                    "now; run fupin classify to record it",
                    highlight=False,
                    markup=False,
                )
            elif p.current is not None:
                now = p.current["category"]
                if now == p.category:  # only the measures differ
                    now = f"{now} with {'、'.join(p.current['measures']) or 'no measures'}"
                    then = f"{p.category} with {'、'.join(p.measures) or 'no measures'}"
                else:
                    then = p.category
                say(
                    f"{p.household_no}: on record {then}, the rules now give {now}; "
                    "run fupin classify to record it",
                    highlight=False,
                    markup=False,
                )
            row = {**p.__dict__, "output": str(p.output), "measures": "、".join(p.measures)}
            emit(
                fmt.value,
                data={**p.__dict__, "output": str(p.output)},
                rows=[row],
                columns=[(k, k) for k in ("household_no", "category", "measures", "cadre")],
            )
        else:
            chosen = judge_as_of(db, as_of)
            result = job.run(
                db,
                policy=rules,
                as_of=chosen.day,
                village=village,
                household=household,
                arguments={"as_of_source": chosen.source},
            )
            say_as_of(chosen, s.quiet)
            _show_counts(result, fmt, s.quiet)
    finally:
        db.dispose()


def _check(village, household, explain, plan, output) -> None:
    if explain is not None and plan is not None:
        raise UsageError("--explain and --plan: give one of them")
    single = "--explain" if explain is not None else "--plan" if plan is not None else None
    if single and (village is not None or household is not None):
        raise UsageError(f"{single} takes one household: drop --village/--household")
    if plan is not None and output is None:
        raise UsageError("--plan needs -o FILE.xlsx, the workbook to write")
    if output is not None and plan is None:
        raise UsageError("-o is the --plan workbook; give --plan NO too")


def _show_counts(result: job.ClassifyResult, fmt: OutputFormat, quiet: bool) -> None:
    stderr_console(quiet).print(
        f"classified {result.classified} households as of {result.as_of} "
        f"(policy {result.policy_version}): {result.changed} changed, "
        f"{result.unchanged} unchanged",
        highlight=False,
    )
    rows: list[dict[str, Any]] = [
        {"township": name, **counts, "total": sum(counts.values())}
        for name, counts in result.by_township.items()
    ]
    rows.append({"township": "合计 total", **result.by_category, "total": result.classified})
    emit(fmt.value, data=result.to_json(), rows=rows, columns=COLUMNS, title="分类施策 categories")


def _show_explanation(one: job.OneHousehold, e: Explanation, fmt: OutputFormat) -> None:
    registered = one.status in job.REGISTERED
    if fmt is OutputFormat.json:
        print_json(
            {
                "household_no": e.facts.household_no,
                "village": one.village,
                "status": one.status,
                "registered": registered,
                "category": e.result.category.value,
                "category_key": e.result.category.key,
                "rule": e.result.rule_number,
                "measures": [m.value for m in e.result.measures],
                "rules": [
                    {
                        "number": r.number,
                        "rule": r.label,
                        "category": r.category.value,
                        "held": r.held,
                        "applied": r.fired,
                        "conditions": [c._asdict() for c in r.conditions],
                    }
                    for r in e.rules
                ],
                "measure_checks": [
                    {"measure": m.measure.value, "rule": m.rule, "given": m.given, "why": m.why}
                    for m in e.measures
                ],
                "reasons": e.result.reasons_json(),
            }
        )
        return
    first, *rest = e.lines()
    lines = [first, f"乡镇/村 village: {one.village}", f"状态 status: {one.status}"]
    if not registered:
        lines.append("  (不在册 not registered: fupin classify stores nothing for this household)")
    typer.echo("\n".join([*lines, *rest]))
