"""The written report (季度书面报告): the quarter's draft to the county committee, as a Word file.

The seed's 书记主抓: the county reports to the 县委 each quarter in writing (按季度向县委书面报告
脱贫攻坚推进情况). ``to_docx`` turns the period's ``Report`` into that draft, which the clerk
then edits in Word or WPS: a title, the headline figures in prose, the townships ranked, the
gaps and the fund rules not met, a blank for next steps, and the report's tables as 附表.

Every figure is the json report's (``Report.as_dict``) or a sum or share of them, never counted
again: households and people, money in 元 with two decimals (the json's fen ÷ 100, exact), shares
as percentages with two decimals. Townships are ranked by how far their plans are carried out —
measures delivered over measures planned, counted in household-measures (户次) — then by pairing
coverage (households paired over registered).
"""

from __future__ import annotations

import operator
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from fupin_cli.core.codes import Category, Channel
from fupin_cli.core.money import format_fen
from fupin_cli.errors import UsageError
from fupin_cli.io import word
from fupin_cli.reports import tables as t
from fupin_cli.reports.quarterly import Report
from fupin_cli.reports.render import narrow, show

QUARTER_NAMES = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}
UNIT = "元"

# The columns of the 附表 that a printed page holds (the xlsx carries them all).
SUMMARY_COLUMNS = (
    "名称",
    "贫困户",
    "贫困人口",
    "新识别",
    "预脱贫",
    "脱贫户",
    "脱贫人数",
    "返贫",
    *(c.value for c in Category),
    "未分类",
    "已结对户",
    "未结对户",
    "已结对学生",
    "未结对学生",
    "走访次数",
    "走访户数",
)
EXIT_COLUMNS = ("乡镇", "村", "贫困发生率", "村集体经济收入(元)", "收入年度", "可出列", "未达条件")
RANKING_HEADERS = (
    "名次",
    "乡镇",
    "贫困户",
    "贫困人口",
    "本期脱贫人数",
    "结对覆盖率",
    "走访户数",
    "措施计划户次",
    "已落实户次",
    "措施落实率",
)


def title_lines(report: Report, county: str) -> list[str]:
    """The title, in the two lines it prints on."""
    p = report.period
    span = f"{p.year}年{QUARTER_NAMES[p.quarter]}" if p.quarter else f"{p.year}年度"
    return [f"{county}精准扶贫工作", f"{span}书面报告"]


def to_docx(
    report: Report,
    path: Path,
    *,
    level: str,
    county: str,
    drafted: date,
    notes: Sequence[str] = (),
) -> Path:
    """Write the written report for ``report`` to ``path`` (whole, or not at all).

    ``level`` is the report's --level: the 附表 show the county and its townships (a village
    level is the xlsx's), or the county alone. ``county`` heads the title when known; ``notes``
    (an interim period, records left out, the ledger's seal) follow the signature as 说明."""
    if path.suffix.lower() != ".docx":
        raise UsageError(f"-o {path}: a written report needs a file name ending in .docx")
    doc = word.new_document("".join(title_lines(report, county)))
    _body(doc, report, county, drafted, notes)
    _annex(doc, report, "county" if level == "county" else "township")
    return word.save_document(doc, path)


def _day(d: date, *, year: bool = True) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if year else f"{d.month}月{d.day}日"


def _pct(part: int, whole: int) -> str:
    """A share as the tables print it (two decimals), a dash when there is nothing to share."""
    return show(part / whole, t.RATE) if whole else "—"


def _body(doc, report: Report, county: str, drafted: date, notes: Sequence[str] = ()) -> None:
    p = report.period
    d = report.as_dict("township")
    word.title(
        doc,
        title_lines(report, county),
        f"（{_day(p.start)}至{_day(p.end, year=p.start.year != p.end.year)}）",
    )
    word.paragraph(doc, "县委：", indent=False)
    span = "本季度" if p.quarter else "本年度"
    word.paragraph(
        doc,
        f"现将{span}全县精准扶贫工作推进情况报告如下（在册户数、人数为{_day(p.end)}的数，"
        f"{span}数为{_day(p.start, year=False)}至{_day(p.end, year=False)}发生的数；"
        f"金额单位：{UNIT}）。",
    )
    word.heading(doc, "一、主要指标")
    for text in _headline(d, span):
        word.paragraph(doc, text)

    word.heading(doc, "二、各乡镇工作排名")
    ranking = ranking_rows(d["townships"])
    if ranking:
        word.paragraph(
            doc,
            "按帮扶措施落实率（已落实户次÷计划户次）由高到低排列，落实率相同的按结对覆盖率"
            f"（已结对户÷在册贫困户）排列。{_ranking_summary(ranking)}",
        )
        word.table(
            doc,
            "表  各乡镇工作排名",
            RANKING_HEADERS,
            ranking,
            numeric=[h not in ("乡镇",) for h in RANKING_HEADERS],
        )
    else:
        word.paragraph(doc, "登记册中尚无乡镇。")

    word.heading(doc, "三、存在的问题")
    word.heading(doc, "（一）帮扶缺口", level=2)
    word.paragraph(doc, _gaps_text(report))
    word.heading(doc, "（二）资金使用规则", level=2)
    for text in _rules_text(report):
        word.paragraph(doc, text)

    word.heading(doc, "四、下一步工作")
    word.paragraph(doc, "（请在此填写下一步工作安排。）")
    word.paragraph(doc, "")
    word.paragraph(doc, f"{county or '县'}扶贫开发工作领导小组办公室", right=True)
    word.paragraph(doc, _day(drafted), right=True)
    for note in notes:  # after the signature: what the figures leave out, the ledger's seal
        word.paragraph(doc, f"说明：{note}", indent=False)


def _headline(d: dict[str, Any], span: str) -> list[str]:
    c, target = d["county"], d["exit_target"]
    end = d["period"]["end"]
    end_day = _day(date.fromisoformat(end))
    stock = (
        f"截至{end_day}，全县在册贫困户{c['households']}户、贫困人口{c['persons']}人。"
        f"{span}新识别贫困户{c['newly_identified']}户，预脱贫{c['proposed_exit']}户，"
        f"脱贫{c['exited']}户{c['exited_persons']}人，返贫{c['returned']}户，"
        f"剔除{c['removed']}户。"
    )
    year = target["year"]
    if target["target_persons"]:
        stock += (
            f"{year}年脱贫目标{target['target_persons']}人，{year}年1月1日以来已脱贫"
            f"{target['exited_persons']}人，完成年度目标的{show(target['progress'], t.RATE)}。"
        )
    else:
        stock += (
            f"{year}年未定脱贫目标（政策文件 report.exit_target），{year}年1月1日以来已脱贫"
            f"{target['exited_persons']}人。"
        )

    pr, v, teams = c["pairing"], c["visits"], c["teams"]
    pairing = (
        f"结对帮扶方面，在册贫困户已结对{pr['households_paired']}户、未结对"
        f"{pr['households_unpaired']}户，结对覆盖率{_pct(pr['households_paired'], c['households'])}；"
        f"在校学生已结对{pr['students_paired']}人、未结对{pr['students_unpaired']}人。"
        f"{span}干部走访{v['count']}次、走访{v['households']}户，送慰问金{format_fen(v['money_fen'])}"
        f"{UNIT}、物资折价{format_fen(v['goods_fen'])}{UNIT}，办实事{v['deeds']}件。"
        f"全县贫困村{teams['poor_villages']}个，已派驻村工作队{teams['with_team']}个。"
    )

    funds = c["funds"]
    moved = [f"{ch.value}{_flows(funds[ch.key])}" for ch in Channel if any(funds[ch.key].values())]
    idle = [ch.value for ch in Channel if not any(funds[ch.key].values())]
    money = f"资金方面，{span}" + ("；".join(moved) if moved else "各渠道均无资金发生")
    if moved:
        money += "。合计" + _flows({k: sum(f[k] for f in funds.values()) for k in FLOWS})
        if idle:
            money += f"；{'、'.join(idle)}无资金发生"
    money += "。"

    cats = "、".join(f"{cat.value}{c['by_category'][cat.key]}户" for cat in Category)
    planned, delivered = _measures(c)
    tr, em, aid = c["training"], c["employment"], c["student_aid"]
    done = [
        f"帮扶措施计划{planned}户次、已落实{delivered}户次，落实率{_pct(delivered, planned)}",
        f"劳动力{tr['labourers']}人中已培训{tr['trained']}人",
        f"有劳动力的{em['households_with_labour']}户中有人务工{em['in_work']}户",
        f"在校生{aid['students']}人中已获教育资助{aid['aided']}人",
    ]
    plans = f"分类施策方面，{cats}，未分类{c['unclassified']}户。{'；'.join(done)}。"
    return [stock, pairing, money, plans]


FLOWS = {"received_fen": "到位", "allocated_fen": "拨付", "disbursed_fen": "支出"}


def _flows(flows: dict[str, int]) -> str:
    """到位…元、拨付…元、支出…元 of one channel's (or the channels') money."""
    return "、".join(f"{word}{format_fen(flows[k])}{UNIT}" for k, word in FLOWS.items())


def _measures(scope: dict[str, Any]) -> tuple[int, int]:
    """Household-measures (户次) planned and delivered, over every measure."""
    measures = scope["measures"].values()
    return sum(m["planned"] for m in measures), sum(m["delivered"] for m in measures)


def ranking_rows(townships: list[dict[str, Any]]) -> list[list[str]]:
    """The townships, best first, as the ranking table's rows (text cells). Equal rates share
    a place (1, 1, 3)."""
    scored = []
    for s in townships:
        planned, delivered = _measures(s)
        paired = s["pairing"]["households_paired"]
        key = (
            -(delivered / planned) if planned else 1.0,  # nothing planned: last
            -(paired / s["households"]) if s["households"] else 1.0,
        )
        scored.append((key, s, planned, delivered, paired))
    scored.sort(key=lambda x: (x[0], x[1]["code"] or "", x[1]["name"]))
    rows, place, previous = [], 0, None
    for i, (key, s, planned, delivered, paired) in enumerate(scored, start=1):
        if key != previous:
            place, previous = i, key
        rows.append(
            [
                str(place),
                s["name"],
                str(s["households"]),
                str(s["persons"]),
                str(s["exited_persons"]),
                _pct(paired, s["households"]),
                str(s["visits"]["households"]),
                str(planned),
                str(delivered),
                _pct(delivered, planned),
            ]
        )
    return rows


def _ranking_summary(rows: list[list[str]]) -> str:
    rated = [r for r in rows if r[-1] != "—"]  # a township that planned nothing has no rate
    if len(rated) < 2:
        return ""
    first, last = rated[0], rated[-1]
    if first[-1] == last[-1]:
        return f"各乡镇落实率均为{first[-1]}。"
    return f"落实率最高的是{first[1]}（{first[-1]}），最低的是{last[1]}（{last[-1]}）。"


def gap_totals(report: Report) -> list[tuple[str, str, int, int]]:
    """(rule, label, gaps, villages) per gap rule, most gaps first."""
    count: Counter = Counter()
    villages: defaultdict[str, set] = defaultdict(set)
    for g in report.gaps:
        count[g["rule"]] += g["count"]
        if g["village"]:
            villages[g["rule"]].add((g["township"], g["village"]))
    return [
        (rule, t.GAP_LABELS.get(rule, rule), n, len(villages[rule]))
        for rule, n in sorted(count.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _gaps_text(report: Report) -> str:
    end = report.period.end
    totals = gap_totals(report)
    if not totals:
        return f"截至{_day(end)}，按帮扶缺口规则核查，未发现帮扶缺口。"
    parts = "；".join(
        f"{label}{n}个" + (f"（涉及{v}个村）" if v else "") for _rule, label, n, v in totals
    )
    return (
        f"截至{_day(end)}，按帮扶缺口规则核查，共有缺口{sum(n for *_x, n, _v in totals)}个：{parts}。"
        f"各乡镇分布见附表；逐户名单可用 fupin assign check --as-of {end.isoformat()} 导出，"
        "请各乡镇逐项整改。"
    )


RULE_SUBJECTS = {"county": "全县"}
OPS = {">=": "≥", "<=": "≤", ">": "＞", "<": "＜", "==": "＝"}


HOLDS = {">=": operator.ge, "<=": operator.le, ">": operator.gt}
UNSET = "未能核定（缺少核定所需的数，见 fupin fund check）"


def rule_cells(r: dict[str, Any]) -> list[str]:
    """A fund rule as 规则, 对象, 实际, 标准 (money in 元 with two decimals, exact), 达标. A rule
    not met though its figures compare well had no standard to judge by (no 涉农资金总额
    declared, say): its standard reads so."""

    def value(v: int) -> str:
        return f"{format_fen(v)}{UNIT}" if r["unit"] == "fen" else str(v)

    op = r["op"]
    unset = not r["ok"] and op in HOLDS and HOLDS[op](r["value"], r["threshold"])
    return [
        r["title"],
        RULE_SUBJECTS.get(r["subject"], r["subject"]),
        value(r["value"]),
        UNSET if unset else f"{OPS.get(op, op)}{value(r['threshold'])}",
        "是" if r["ok"] else "否",
    ]


def _rules_text(report: Report) -> list[str]:
    """How many fund rules were judged and, rule by rule, those not met: each one named up to
    three, past that the first three and the count (the 附表 lists them all)."""
    p = report.period  # the rules judge the year's money up to the period's end
    broken: dict[str, list[list[str]]] = {}
    for r in report.rules:
        if not r["ok"]:
            broken.setdefault(r["title"], []).append(rule_cells(r))
    misses = sum(len(cells) for cells in broken.values())
    head = f"{p.year}年1月1日至{_day(p.end, year=False)}的资金使用规则共核查{len(report.rules)}项，"
    if not broken:
        return [head + "全部达标。"]
    lines = [head + f"未达标{misses}项："]
    for i, (title, cells) in enumerate(broken.items(), start=1):
        if len(cells) <= 3:
            detail = "；".join(
                f"{subject}实际{actual}，标准{standard}"
                for _t, subject, actual, standard, _ok in cells
            )
        else:
            detail = "、".join(c[1] for c in cells[:3]) + "等，逐项见附表"
        lines.append(f"{i}. {title}（未达标{len(cells)}项）：{detail}。")
    return lines


def rules_table(report: Report) -> t.Table:
    """The fund rules not met (the xlsx carries every rule judged)."""
    cols = [(h, t.TEXT) for h in ("规则", "对象", "实际", "标准")]
    rows = [rule_cells(r)[:4] for r in report.rules if not r["ok"]]
    return t.Table("rules", "资金使用规则未达标", cols, rows)


def _without(table: t.Table, *headers: str) -> t.Table:
    return narrow(table, tuple(h for h in table.headers if h not in headers))


_BILINGUAL = re.compile(r"(\S*[^\x00-\x7f]\S*)\s+[\x20-\x7e]+")


def chinese(text: str) -> str:
    """A bilingual label in Chinese only: "全县 county" → "全县"."""
    match = _BILINGUAL.fullmatch(text)
    return match[1] if match else text


def annex_tables(report: Report, level: str) -> list[t.Table]:
    """The report's tables as the 附表 print them: the county and its townships (or the county
    alone), the poor villages, the columns a landscape page holds."""
    return [
        narrow(t.summary(report, level), SUMMARY_COLUMNS),
        t.categories(report),
        t.composition(report),
        t.exits(report),
        t.funds(report),
        _without(t.measures(report, "county"), "级别", "名称", "代码"),
        _without(t.coverage(report, level), "代码"),
        _without(t.villages(report), "代码"),
        narrow(t.village_exit(report), EXIT_COLUMNS),
        rules_table(report),
        gap_table(report, county_only=level == "county"),
    ]


def table_cells(table: t.Table) -> list[list[str]]:
    """A table's rows as the text its cells print."""
    return [
        [
            chinese(v) if kind == t.TEXT and isinstance(v, str) else str(show(v, kind))
            for (_h, kind), v in zip(table.columns, row, strict=True)
        ]
        for row in table.rows
    ]


def _annex(doc, report: Report, level: str) -> None:
    """The report's tables, as 附表 on landscape pages."""
    word.landscape_section(doc)
    word.heading(doc, "附表")
    for i, table in enumerate(annex_tables(report, level), start=1):
        rows = table_cells(table) or [["无"] + [""] * (len(table.columns) - 1)]
        word.table(
            doc,
            f"附表{i}  {table.title}",
            table.headers,
            rows,
            numeric=[kind != t.TEXT for _h, kind in table.columns],
        )


def gap_table(report: Report, *, county_only: bool) -> t.Table:
    """帮扶缺口 by township (rows) and rule (columns), with the county's total."""
    totals = gap_totals(report)
    rules = [rule for rule, *_rest in totals]
    by_town: dict[str, Counter] = {s.name: Counter() for s in report.townships}
    for g in report.gaps:
        by_town.setdefault(g["township"] or "县直", Counter())[g["rule"]] += g["count"]
    rows = (
        []
        if county_only
        else [
            [town, *(counts[r] for r in rules), sum(counts.values())]
            for town, counts in by_town.items()
        ]
    )
    rows.append(["全县", *(n for _r, _l, n, _v in totals), sum(n for _r, _l, n, _v in totals)])
    cols = [("乡镇", t.TEXT), *((label, t.INT) for _r, label, _n, _v in totals), ("合计", t.INT)]
    return t.Table("gaps_by_township", "帮扶缺口（按乡镇）", cols, rows)
